//! `push`: stored credentials to Kubernetes pull secrets.
//!
//! 1. Check every name given (secret, namespaces, service accounts), then read the selected
//!    credentials from the keychain and build the `.dockerconfigjson` ([`dockerconfig`]): every
//!    refusal happens here, before any cluster is contacted.
//! 2. `--dry-run` (client) prints what would be applied and contacts no cluster.
//! 3. Otherwise a small async runtime is started — only here, never on the helper path — and
//!    [`cluster`] applies the Secret to every context × namespace concurrently, printing one
//!    line per target as `context/namespace/name: created | updated | unchanged | failed: why`.
//!
//! A Secret of the same name that push did not make (no managed-by label) is never changed
//! unless `--adopt` says to merge into it; a cluster reached where the passwords can be read
//! (plain HTTP off loopback, `insecure-skip-tls-verify`) gets nothing unless `--insecure`.
//!
//! In a Secret of ours, the registries annotation lists the registry keys push wrote: entries
//! it does not list are someone else's (adopted, or added by hand) and survive every push.
//!
//! `push --delete` removes what push made: the Secret (only when it carries our managed-by
//! label) and the reference to it in the named service accounts; a Secret that also holds
//! registries push did not write loses only ours and our label, and stays referenced.

pub mod cluster;
pub mod dockerconfig;
pub mod kubeconfig;

use crate::Hint;
use crate::backend::Credential;
use crate::secret::Secret;
use dockerconfig::{Entry, Refusal};
use std::collections::BTreeMap;
use std::io::Write;

/// The field manager of our server-side applies.
pub const FIELD_MANAGER: &str = crate::BINARY_NAME;

/// What `push` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Registries to push, matched like `get`.
    pub registries: Vec<String>,
    /// Push every credential in the keychain.
    pub all: bool,
    /// Target namespaces (empty: each context's own).
    pub namespaces: Vec<String>,
    /// Kubeconfig contexts (empty: the current one).
    pub contexts: Vec<String>,
    /// The kubeconfig file (None: `$KUBECONFIG`, `~/.kube/config`, then in-cluster).
    pub kubeconfig: Option<std::path::PathBuf>,
    /// The Secret's name.
    pub name: String,
    /// Service accounts whose imagePullSecrets list the Secret.
    pub service_accounts: Vec<String>,
    /// `--dry-run`, and which.
    pub dry_run: Option<DryRun>,
    /// Print manifests in this format (with a dry run only).
    pub output: Option<OutputFormat>,
    /// Create a missing namespace.
    pub create_namespace: bool,
    /// Delete and recreate a Secret that cannot be updated.
    pub replace: bool,
    /// Take over (merge into) a Secret push did not make.
    pub adopt: bool,
    /// Send the passwords to a cluster where they can be read on the way.
    pub insecure: bool,
    /// Remove what push made instead.
    pub delete: bool,
    /// How long each API request may take (at least a second).
    pub request_timeout: std::time::Duration,
    /// The keychain backend override (`--backend`).
    pub backend: Option<String>,
}

/// `--dry-run` modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryRun {
    /// No cluster contact at all.
    Client,
    /// The API server validates and answers without persisting.
    Server,
}

/// `-o` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Json,
    Yaml,
}

/// How a `push` run ended when it got as far as the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every target succeeded.
    AllDone,
    /// At least one target failed (its line says why).
    SomeFailed,
}

/// Why `push` did nothing at all. One line naming cause and fix; never a secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(
        "{query}: no credentials for this registry in the keychain: run `docker login {query}` first"
    )]
    NotStored { query: String },
    #[error("the keychain holds no credentials: run `docker login REGISTRY` first")]
    NothingStored,
    #[error(
        "none of the {skipped} credentials in the keychain can be used by the kubelet (see the lines above): log in with a username and password"
    )]
    NothingUsable { skipped: usize },
    #[error(
        "{first} and {second} are both stored for registry {key} with different credentials: push one of them by name"
    )]
    Ambiguous {
        first: String,
        second: String,
        key: String,
    },
    #[error(
        "invalid secret name {0:?}: use lowercase letters, digits, '-' and '.' (a DNS-1123 subdomain, at most 253 characters)"
    )]
    BadSecretName(String),
    #[error(
        "invalid namespace {0:?}: use lowercase letters, digits and '-' (a DNS-1123 label, at most 63 characters)"
    )]
    BadNamespace(String),
    #[error(
        "invalid service account name {0:?}: use lowercase letters, digits, '-' and '.' (a DNS-1123 subdomain)"
    )]
    BadServiceAccount(String),
    #[error(
        "-o/--output prints manifests only with --dry-run: add --dry-run (or --dry-run=server)"
    )]
    OutputWithoutDryRun,
    #[error("cannot read the keychain: {0}")]
    Keychain(#[from] crate::Error),
    #[error(transparent)]
    Kubeconfig(#[from] kubeconfig::Error),
    #[error("cannot start the network runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot write to stdout: {0}")]
    Stdout(#[source] std::io::Error),
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Error::NotStored { .. } => Some(format!(
                "The registries in the keychain: {} list",
                crate::BINARY_NAME
            )),
            Error::Keychain(e) => e.hint(),
            _ => None,
        }
    }
}

/// Run `push` (or `push --delete`): one line per target to `out`, warnings and notes to `err`.
pub fn run(options: &Options, out: &mut dyn Write, err: &mut dyn Write) -> Result<Outcome, Error> {
    check_names(options)?;
    if options.output.is_some() && options.dry_run.is_none() {
        return Err(Error::OutputWithoutDryRun);
    }
    // The kubeconfig and --context names are checked before the keychain is read (which can
    // mean an unlock prompt), so a typo costs nothing.
    let client_dry_run = options.dry_run == Some(DryRun::Client);
    let kubeconfig = if client_dry_run {
        None
    } else {
        let kubeconfig = kubeconfig::load(options.kubeconfig.as_deref())?;
        kubeconfig::check_contexts(kubeconfig.as_ref(), &options.contexts)?;
        kubeconfig::contexts(kubeconfig.as_ref(), &options.contexts)?;
        kubeconfig
    };
    let payload = if options.delete {
        None
    } else {
        Some(Payload::from_keychain(options, err)?)
    };
    if client_dry_run {
        return dry_run_client(options, payload.as_ref(), out);
    }
    // The runtime exists only from here on: the helper actions never build it.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(cluster::run(
        options,
        kubeconfig,
        payload.as_ref(),
        out,
        err,
    ))
}

fn check_names(options: &Options) -> Result<(), Error> {
    if !dockerconfig::is_dns1123_subdomain(&options.name) {
        return Err(Error::BadSecretName(options.name.clone()));
    }
    if let Some(ns) = options
        .namespaces
        .iter()
        .find(|n| !dockerconfig::is_dns1123_label(n))
    {
        return Err(Error::BadNamespace(ns.clone()));
    }
    if let Some(sa) = options
        .service_accounts
        .iter()
        .find(|n| !dockerconfig::is_dns1123_subdomain(n))
    {
        return Err(Error::BadServiceAccount(sa.clone()));
    }
    Ok(())
}

/// What goes into every target's Secret.
pub struct Payload {
    /// The registry keys, sorted.
    pub keys: Vec<String>,
    /// The `.dockerconfigjson` bytes.
    pub config: Secret<Vec<u8>>,
    /// Every secret value in any form we send, to scrub from server messages.
    redact: Vec<Secret>,
}

impl Payload {
    /// Read the selected credentials and build the secret's bytes, refusing what the kubelet
    /// cannot use; what `--all` skips is said on `err`.
    pub fn from_keychain(options: &Options, err: &mut dyn Write) -> Result<Payload, Error> {
        let keychain =
            crate::backend::open(options.backend.as_deref()).map_err(crate::Error::from)?;
        let mut found: Vec<Credential> = Vec::new();
        if options.all {
            let listed = keychain.list().map_err(crate::Error::from)?;
            let mut skipped = 0;
            for l in listed {
                let Some(c) = keychain.get(&l.server_url).map_err(crate::Error::from)? else {
                    continue; // erased meanwhile
                };
                if let Err(refusal) = dockerconfig::check_entry(&c.server_url, &c.username) {
                    // With --all an unusable entry is skipped, not fatal: say so.
                    let _ = writeln!(err, "{}: push: skipped {refusal}", crate::BINARY_NAME);
                    skipped += 1;
                    continue;
                }
                found.push(c);
            }
            if found.is_empty() {
                return Err(if skipped > 0 {
                    Error::NothingUsable { skipped }
                } else {
                    Error::NothingStored
                });
            }
        } else {
            for query in &options.registries {
                // Found as `get` finds it: the spellings the query can match.
                let c = keychain
                    .get_any(&crate::registry::candidates(query))
                    .map_err(crate::Error::from)?
                    .ok_or_else(|| Error::NotStored {
                        query: query.clone(),
                    })?;
                dockerconfig::check_entry(query, &c.username)?;
                found.push(c);
            }
        }
        Payload::build(found)
    }

    /// Key the credentials as the kubelet matches them and build the bytes.
    pub fn build(found: Vec<Credential>) -> Result<Payload, Error> {
        let mut by_key: BTreeMap<String, Credential> = BTreeMap::new();
        for c in found {
            let key = dockerconfig::kubelet_key(&c.server_url);
            if let Some(previous) = by_key.get(&key) {
                if previous.username != c.username || previous.secret != c.secret {
                    return Err(Error::Ambiguous {
                        first: previous.server_url.clone(),
                        second: c.server_url,
                        key,
                    });
                }
                continue;
            }
            by_key.insert(key, c);
        }
        let entries: Vec<Entry> = by_key
            .into_iter()
            .map(|(key, c)| Entry {
                key,
                username: c.username.clone(),
                password: c.secret.clone(),
                email: String::new(),
            })
            .collect();
        let config = dockerconfig::dockerconfigjson(&entries)?;
        let mut redact: Vec<Secret> = Vec::new();
        for e in &entries {
            use base64::Engine;
            let b64 = base64::engine::general_purpose::STANDARD;
            let pw = e.password.expose();
            if pw.len() >= 4 {
                redact.push(e.password.clone());
                let quoted = Secret::new(crate::go_json::go_json(pw));
                let escaped = &quoted.expose()[1..quoted.expose().len() - 2];
                redact.push(Secret::new(escaped.to_owned()));
            }
            redact.push(Secret::new(
                b64.encode(format!("{}:{pw}", e.username).as_bytes()),
            ));
        }
        redact.push(Secret::new(base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            config.expose(),
        )));
        Ok(Payload {
            keys: entries.iter().map(|e| e.key.clone()).collect(),
            config,
            redact,
        })
    }

    /// The Secret manifest for `namespace`.
    pub fn manifest(&self, name: &str, namespace: Option<&str>) -> dockerconfig::Manifest {
        dockerconfig::manifest(name, namespace, &self.keys, &self.config)
    }

    /// The Secret manifest for `namespace` holding our registries merged into `theirs` (an
    /// existing secret's `.dockerconfigjson`; those of its registries `pushed_before` says push
    /// wrote are dropped), and what happened to its registries ([`dockerconfig::merge`]). The
    /// annotation lists only ours.
    pub fn merged_manifest(
        &self,
        name: &str,
        namespace: &str,
        theirs: &[u8],
        pushed_before: impl Fn(&str) -> bool,
    ) -> Result<(dockerconfig::Manifest, dockerconfig::Merged), dockerconfig::MergeError> {
        let merged = dockerconfig::merge(theirs, &self.config, pushed_before)?;
        let manifest = dockerconfig::manifest(name, Some(namespace), &self.keys, &merged.config);
        Ok((manifest, merged))
    }

    /// `text` with every secret we send replaced by `<redacted>` (server messages can quote
    /// what they were sent).
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.redact {
            if !s.expose().is_empty() && out.contains(s.expose().as_str()) {
                out = out.replace(s.expose().as_str(), "<redacted>");
            }
        }
        out
    }
}

/// `--dry-run` (client): print the manifests (`-o`) or what would be done; no cluster contact.
/// The kubeconfig is read only when a context's default namespace or name is needed.
fn dry_run_client(
    options: &Options,
    payload: Option<&Payload>,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let need_kubeconfig =
        options.namespaces.is_empty() || (options.output.is_none() && options.contexts.is_empty());
    let kubeconfig = if need_kubeconfig {
        kubeconfig::load(options.kubeconfig.as_deref())?
    } else {
        None
    };
    let targets = kubeconfig::offline_targets(kubeconfig.as_ref(), options)?;
    let mut write = |text: &str| out.write_all(text.as_bytes()).map_err(Error::Stdout);
    match (options.output, payload) {
        (Some(format), Some(payload)) => {
            let manifests: Vec<_> = targets
                .iter()
                .map(|t| payload.manifest(&options.name, Some(&t.namespace)))
                .collect();
            let value = if manifests.len() == 1 {
                serde_json::to_value(&manifests[0].0)
            } else {
                let items: Vec<_> = manifests.iter().map(|m| &m.0).collect();
                serde_json::to_value(serde_json::json!({
                    "apiVersion": "v1",
                    "kind": "List",
                    "items": items,
                }))
            }
            .expect("manifests serialize");
            let value = Secret::new(value.to_string());
            let parsed: serde_json::Value =
                serde_json::from_str(value.expose()).expect("just serialized");
            let text = Secret::new(match format {
                OutputFormat::Json => {
                    let mut t = serde_json::to_string_pretty(&parsed).expect("serializes");
                    t.push('\n');
                    t
                }
                OutputFormat::Yaml => {
                    // Plain scalars, as kubectl writes them (no folded `>-` blocks).
                    let mut options = serde_saphyr::SerializerOptions::default();
                    options.prefer_block_scalars = false;
                    serde_saphyr::to_string_with_options(&parsed, options).expect("serializes")
                }
            });
            write(text.expose())?;
        }
        _ => {
            for t in &targets {
                let line = match payload {
                    Some(p) => format!(
                        "{}/{}/{}: would apply {} (client dry run: nothing sent)\n",
                        t.context,
                        t.namespace,
                        options.name,
                        p.keys.join(",")
                    ),
                    None => format!(
                        "{}/{}/{}: would delete if made by {} (client dry run: nothing sent)\n",
                        t.context,
                        t.namespace,
                        options.name,
                        crate::BINARY_NAME
                    ),
                };
                write(&line)?;
            }
        }
    }
    Ok(Outcome::AllDone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred(server: &str, user: &str, pw: &str) -> Credential {
        Credential {
            server_url: server.into(),
            username: user.into(),
            secret: Secret::new(pw.into()),
        }
    }

    #[test]
    fn equivalent_entries_merge_and_conflicts_refuse() {
        let p = Payload::build(vec![
            cred("docker.io", "a", "pw"),
            cred("https://index.docker.io/v1/", "a", "pw"),
        ])
        .unwrap();
        assert_eq!(p.keys, vec!["https://index.docker.io/v1/".to_owned()]);
        let e = Payload::build(vec![
            cred("docker.io", "a", "pw"),
            cred("https://index.docker.io/v1/", "b", "pw"),
        ]);
        assert!(matches!(e, Err(Error::Ambiguous { .. })));
    }

    #[test]
    fn scrub_removes_every_form() {
        let p = Payload::build(vec![cred("r.io", "alice", "p<ss&word")]).unwrap();
        let s = p.scrub("got p<ss&word and p\\u003css\\u0026word and YWxpY2U6cDxzcyZ3b3Jk");
        assert!(!s.contains("ss"), "{s}");
    }
}
