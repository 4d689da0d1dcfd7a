//! Which clusters and namespaces `push` talks to, found as kubectl finds them: `--kubeconfig`,
//! else every file of the `KUBECONFIG` list (merged, first one wins, missing files skipped),
//! else `~/.kube/config`, else the in-cluster service account; and where a saved push was
//! aimed ([`Pinned`]): the files, each context's server and CA, the namespaces.

use super::Options;
use kube::config::Kubeconfig;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::path::{Path, PathBuf};

/// The context name reported for the in-cluster configuration.
pub const IN_CLUSTER: &str = "in-cluster";
const IN_CLUSTER_NAMESPACE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
const IN_CLUSTER_CA: &str = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
/// The pinned CA of a cluster with no certificate-authority setting.
pub const SYSTEM_ROOTS: &str = "system roots";
/// The pinned CA of a cluster whose certificate is not checked at all.
pub const NO_CA_CHECK: &str = "insecure-skip-tls-verify";

/// Why no cluster could be chosen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read the kubeconfig {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error(
        "no kubeconfig: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config (e.g. with your cluster's `get-credentials` command)"
    )]
    Missing,
    #[error("context {name:?} is not in the kubeconfig (it has: {known}): check --context")]
    UnknownContext { name: String, known: String },
    #[error(
        "the kubeconfig has no current-context: pass --context (it has: {known}) or run `kubectl config use-context NAME`"
    )]
    NoCurrentContext { known: String },
    #[error("--context needs a kubeconfig; none was found (running in a pod uses no contexts)")]
    ContextWithoutKubeconfig,
    #[error("cannot pin context {context:?}: {reason}: fix the kubeconfig and run the push again")]
    Unpinnable { context: String, reason: String },
    #[error(
        "context {context:?} now points to {now} (saved: {then}): run the push again with --save to re-aim it"
    )]
    Repointed {
        context: String,
        now: String,
        then: String,
    },
    #[error(
        "context {context:?} now points to {server} with another certificate authority ({now}; saved: {then}): run the push again with --save to re-aim it"
    )]
    Recertified {
        context: String,
        server: String,
        now: String,
        then: String,
    },
    #[error(
        "none of the kubeconfig files this push was saved with exists any more ({files}): run the push again with --save to re-aim it"
    )]
    PinnedFilesGone { files: String },
}

/// The line says what to do.
impl crate::hint::Hint for Error {}

/// Read the kubeconfig kubectl would use; `None` when there is none (in-cluster, or nothing).
pub fn load(explicit: Option<&Path>) -> Result<Option<Kubeconfig>, Error> {
    let mut config = load_files(explicit)?;
    if let Some(config) = &mut config {
        inline_token_files(config);
    }
    Ok(config)
}

/// kubectl (client-go) trims the whitespace around a `tokenFile`'s token, so `echo TOKEN > file`
/// works; kube sends the file verbatim and fails on the final newline. Read such files once, as
/// kubectl would, and hand kube the trimmed token. An unreadable file is left to kube, whose
/// error names it.
fn inline_token_files(config: &mut Kubeconfig) {
    for named in &mut config.auth_infos {
        let Some(auth) = named.auth_info.as_mut() else {
            continue;
        };
        if auth.token.is_some() {
            continue; // `token` wins over `tokenFile`, as in kubectl
        }
        let Some(path) = auth.token_file.as_deref() else {
            continue;
        };
        if let Ok(raw) = std::fs::read_to_string(path) {
            let raw = zeroize::Zeroizing::new(raw);
            auth.token = Some(secrecy::SecretString::from(raw.trim().to_owned()));
            auth.token_file = None;
        }
    }
}

/// The files kubectl would read, absolute: `--kubeconfig`, else the whole `KUBECONFIG` list
/// (missing files included: they are skipped when read, as kubectl does), else
/// `~/.kube/config` when it exists; empty: none (in-cluster).
pub fn files(explicit: Option<&Path>) -> Vec<PathBuf> {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
    if let Some(path) = explicit {
        return vec![absolute(path)];
    }
    if let Some(list) = std::env::var_os("KUBECONFIG").filter(|l| !l.is_empty()) {
        // A set KUBECONFIG never falls back to ~/.kube/config.
        return std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .map(|p| absolute(&p))
            .collect();
    }
    // kubectl's home: $HOME, else (Windows, where HOME is usually unset) %USERPROFILE%.
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var_os("USERPROFILE").filter(|_| cfg!(windows)));
    if let Some(home) = home {
        let default = PathBuf::from(home).join(".kube").join("config");
        if default.exists() {
            return vec![absolute(&default)];
        }
    }
    Vec::new()
}

/// Read the files a saved push was pinned to (as a `KUBECONFIG` list), whatever the
/// environment says now; `None` when it was pinned in-cluster.
pub fn load_pinned(files: &[PathBuf]) -> Result<Option<Kubeconfig>, Error> {
    if files.is_empty() {
        return Ok(None);
    }
    let mut config = read_list(files)?.ok_or_else(|| Error::PinnedFilesGone {
        files: join_paths(files),
    })?;
    inline_token_files(&mut config);
    Ok(Some(config))
}

fn join_paths(files: &[PathBuf]) -> String {
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

fn read_one(p: &Path) -> Result<Kubeconfig, Error> {
    Kubeconfig::read_from(p).map_err(|e| Error::Read {
        path: p.to_owned(),
        reason: one_line(&e.to_string()),
    })
}

/// A `KUBECONFIG` list merged as kubectl merges it: first one wins, missing files skipped.
fn read_list(paths: &[PathBuf]) -> Result<Option<Kubeconfig>, Error> {
    let mut merged: Option<Kubeconfig> = None;
    for p in paths.iter().filter(|p| p.exists()) {
        let next = read_one(p)?;
        merged = Some(match merged {
            None => next,
            Some(m) => m.merge(next).map_err(|e| Error::Read {
                path: p.clone(),
                reason: e.to_string(),
            })?,
        });
    }
    Ok(merged)
}

fn load_files(explicit: Option<&Path>) -> Result<Option<Kubeconfig>, Error> {
    if let Some(path) = explicit {
        return read_one(path).map(Some);
    }
    read_list(&files(None))
}

/// The first line of a (possibly multi-line, snippet-rendering) parser message.
fn one_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}

fn known_contexts(config: &Kubeconfig) -> String {
    let names: Vec<&str> = config.contexts.iter().map(|c| c.name.as_str()).collect();
    if names.is_empty() {
        "no contexts".into()
    } else {
        names.join(", ")
    }
}

/// Refuse `--context` names the kubeconfig lacks, before anything is sent.
pub fn check_contexts(config: Option<&Kubeconfig>, contexts: &[String]) -> Result<(), Error> {
    let Some(config) = config else {
        return if contexts.is_empty() {
            Ok(())
        } else {
            Err(Error::ContextWithoutKubeconfig)
        };
    };
    for name in contexts {
        if !config.contexts.iter().any(|c| &c.name == name) {
            return Err(Error::UnknownContext {
                name: name.clone(),
                known: known_contexts(config),
            });
        }
    }
    Ok(())
}

/// The contexts to use: `--context` names, else the current context, else in-cluster.
pub fn contexts(config: Option<&Kubeconfig>, asked: &[String]) -> Result<Vec<String>, Error> {
    let mut names: Vec<String> = Vec::new();
    for a in asked {
        if !names.contains(a) {
            names.push(a.clone());
        }
    }
    if !names.is_empty() {
        return Ok(names);
    }
    match config {
        None if in_cluster() => Ok(vec![IN_CLUSTER.to_owned()]),
        None => Err(Error::Missing),
        Some(c) => match c.current_context.as_deref().filter(|s| !s.is_empty()) {
            Some(current) => Ok(vec![current.to_owned()]),
            None => Err(Error::NoCurrentContext {
                known: known_contexts(c),
            }),
        },
    }
}

fn in_cluster() -> bool {
    std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
}

/// A context's default namespace as kubectl reads it (`default` when unset).
pub fn default_namespace(config: Option<&Kubeconfig>, context: &str) -> String {
    let from_file = match config {
        Some(c) => c
            .contexts
            .iter()
            .find(|n| n.name == context)
            .and_then(|n| n.context.as_ref())
            .and_then(|c| c.namespace.clone()),
        None => std::fs::read_to_string(IN_CLUSTER_NAMESPACE)
            .ok()
            .map(|s| s.trim().to_owned()),
    };
    from_file
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".to_owned())
}

/// Where a saved push was aimed when it was saved: `sync` reads these files, and refuses a
/// context that now resolves to another server or CA before anything is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pinned {
    /// The kubeconfig files read, absolute (the whole `KUBECONFIG` list when it was used);
    /// empty: in-cluster.
    pub kubeconfig: Vec<PathBuf>,
    pub contexts: Vec<Pin>,
}

/// One context of a [`Pinned`] push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    pub context: String,
    /// The cluster's `server`, as the kubeconfig has it.
    pub server: String,
    /// `sha256:HEX` of the certificate-authority bytes as configured (`-data` decoded, else
    /// the file's contents), [`SYSTEM_ROOTS`] or [`NO_CA_CHECK`].
    pub ca: String,
    /// The namespaces written (the context's own, resolved at save time, when none was named).
    pub namespaces: Vec<String>,
}

impl Pinned {
    /// Every pinned context × its namespaces.
    pub fn targets(&self) -> Vec<Target> {
        let mut out = Vec::new();
        for pin in &self.contexts {
            for ns in &pin.namespaces {
                out.push(Target {
                    context: pin.context.clone(),
                    namespace: ns.clone(),
                });
            }
        }
        out
    }
}

/// Pin `contexts` of `config` (None: in-cluster) read from `files`: each one's server, CA and
/// namespaces (`namespaces`, else its own).
pub fn pin(
    config: Option<&Kubeconfig>,
    files: Vec<PathBuf>,
    contexts: &[String],
    namespaces: &[String],
) -> Result<Pinned, Error> {
    let mut pins = Vec::new();
    for name in contexts {
        let (server, ca) = aim(config, name)?;
        let namespaces = if namespaces.is_empty() {
            vec![default_namespace(config, name)]
        } else {
            namespaces.to_vec()
        };
        pins.push(Pin {
            context: name.clone(),
            server,
            ca,
            namespaces,
        });
    }
    Ok(Pinned {
        kubeconfig: files,
        contexts: pins,
    })
}

/// Refuse a pinned context that now resolves to another server or CA. Reads the kubeconfig's
/// data only: no exec plugin runs, nothing is sent.
pub fn check_pinned(
    config: Option<&Kubeconfig>,
    contexts: &[String],
    pinned: &Pinned,
) -> Result<(), Error> {
    for pin in &pinned.contexts {
        if !contexts.contains(&pin.context) {
            return Err(Error::Unpinnable {
                context: pin.context.clone(),
                reason: "it is pinned but not among the push's contexts".into(),
            });
        }
        let (server, ca) = aim(config, &pin.context)?;
        if server != pin.server {
            return Err(Error::Repointed {
                context: pin.context.clone(),
                now: show_server(&server),
                then: show_server(&pin.server),
            });
        }
        if ca != pin.ca {
            return Err(Error::Recertified {
                context: pin.context.clone(),
                server: show_server(&server),
                now: short_ca(&ca),
                then: short_ca(&pin.ca),
            });
        }
    }
    Ok(())
}

/// A server URL for people: one printable line, any `user:password@` left out.
pub fn show_server(server: &str) -> String {
    let shown = match server.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..end].rfind('@') {
                Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                None => server.to_owned(),
            }
        }
        None => server.to_owned(),
    };
    crate::untrusted::line(&shown, 200)
}

/// A pinned CA for people: `sha256:` and the first 16 hex digits.
pub fn short_ca(ca: &str) -> String {
    match ca.strip_prefix("sha256:") {
        Some(hex) if hex.len() > 16 => format!("CA sha256:{}…", &hex[..16]),
        _ => ca.to_owned(),
    }
}

/// The server and CA `context` resolves to, from the kubeconfig's data alone.
fn aim(config: Option<&Kubeconfig>, context: &str) -> Result<(String, String), Error> {
    let unpinnable = |reason: String| Error::Unpinnable {
        context: context.to_owned(),
        reason,
    };
    let Some(config) = config else {
        // In-cluster, as kube reads it.
        let host = std::env::var("KUBERNETES_SERVICE_HOST")
            .map_err(|_| unpinnable("KUBERNETES_SERVICE_HOST is not set".into()))?;
        let port = std::env::var("KUBERNETES_SERVICE_PORT")
            .map_err(|_| unpinnable("KUBERNETES_SERVICE_PORT is not set".into()))?;
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        let ca = std::fs::read(IN_CLUSTER_CA)
            .map_err(|e| unpinnable(format!("cannot read {IN_CLUSTER_CA}: {e}")))?;
        return Ok((format!("https://{host}:{port}"), fingerprint(&ca)));
    };
    let cluster_name = config
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .map(|c| c.cluster.clone())
        .ok_or_else(|| unpinnable("it is not in the kubeconfig".into()))?;
    let cluster = config
        .clusters
        .iter()
        .find(|c| c.name == cluster_name)
        .and_then(|c| c.cluster.as_ref())
        .ok_or_else(|| {
            unpinnable(format!(
                "its cluster {cluster_name:?} is not in the kubeconfig"
            ))
        })?;
    let server = cluster
        .server
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| unpinnable(format!("its cluster {cluster_name:?} has no server")))?;
    let ca = if cluster.insecure_skip_tls_verify == Some(true) {
        NO_CA_CHECK.to_owned()
    } else if let Some(data) = &cluster.certificate_authority_data {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .map_err(|e| {
                unpinnable(format!("its certificate-authority-data is not base64: {e}"))
            })?;
        fingerprint(&bytes)
    } else if let Some(path) = &cluster.certificate_authority {
        let bytes = std::fs::read(path).map_err(|e| {
            unpinnable(format!("cannot read its certificate-authority {path}: {e}"))
        })?;
        fingerprint(&bytes)
    } else {
        SYSTEM_ROOTS.to_owned()
    };
    Ok((server, ca))
}

fn fingerprint(bytes: &[u8]) -> String {
    let digest = sha2::Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// One place to put the Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub context: String,
    pub namespace: String,
}

/// Pair every context with every namespace (`-n`, else the context's default), without
/// duplicates, in the order given.
pub fn pair(
    contexts: &[String],
    namespaces: &[String],
    default: impl Fn(&str) -> String,
) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::new();
    for c in contexts {
        let nss = if namespaces.is_empty() {
            vec![default(c)]
        } else {
            namespaces.to_vec()
        };
        for ns in nss {
            let t = Target {
                context: c.clone(),
                namespace: ns,
            };
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

/// The targets of a client dry run: no cluster contact; `config` is read only when needed.
pub fn offline_targets(
    config: Option<&Kubeconfig>,
    options: &Options,
) -> Result<Vec<Target>, Error> {
    let contexts = if config.is_none() && options.contexts.is_empty() && !in_cluster() {
        // No kubeconfig was read (not needed with -o and -n) or none exists: kubectl's
        // offline dry run also works without one, in namespace `default`.
        vec!["-".to_owned()]
    } else {
        if config.is_some() {
            check_contexts(config, &options.contexts)?;
        }
        contexts(config, &options.contexts)?
    };
    let targets = pair(&contexts, &options.namespaces, |c| {
        default_namespace(config, c)
    });
    for t in &targets {
        if !crate::push::pull_secret::is_dns1123_label(&t.namespace) {
            return Err(Error::Read {
                path: PathBuf::from("kubeconfig"),
                reason: format!(
                    "context {:?} names the invalid namespace {:?}",
                    t.context, t.namespace
                ),
            });
        }
    }
    Ok(targets)
}

/// The command of the exec credential plugin of `context`'s user, if it has one: named when
/// the plugin fails (its arguments and environment are not shown: they may hold secrets).
pub fn exec_command(config: Option<&Kubeconfig>, context: &str) -> Option<String> {
    let config = config?;
    let user = config
        .contexts
        .iter()
        .find(|c| c.name == context)?
        .context
        .as_ref()?
        .user
        .clone()?;
    config
        .auth_infos
        .iter()
        .find(|a| a.name == user)?
        .auth_info
        .as_ref()?
        .exec
        .as_ref()?
        .command
        .clone()
}

/// Where `context`'s cluster takes the CA that signs its server's certificate, for a message
/// about a refused certificate.
pub fn ca_source(config: Option<&Kubeconfig>, context: &str) -> String {
    let Some(config) = config else {
        return "the service account's ca.crt".to_owned();
    };
    let cluster = config
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| config.clusters.iter().find(|k| k.name == c.cluster))
        .and_then(|k| k.cluster.as_ref());
    match cluster {
        Some(c) if c.certificate_authority_data.is_some() => {
            "the cluster's certificate-authority-data in the kubeconfig".to_owned()
        }
        Some(c) if c.certificate_authority.is_some() => format!(
            "the cluster's certificate-authority {}",
            c.certificate_authority.as_deref().unwrap_or_default()
        ),
        _ => "this system's root certificates (the cluster names no certificate-authority)"
            .to_owned(),
    }
}

/// Why credentials sent to a server could be read on the way, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    pub why: String,
    pub fix: &'static str,
}

/// Why credentials sent to `server` could be read on the way, if they could: plain `http://`
/// to a host that is not loopback; plain `http://` to loopback where `not_ours` (the listener
/// check, `listener::not_ours`) finds that a socket listening there is not ours, or
/// none is; or TLS without checking the server's certificate (`insecure-skip-tls-verify`).
/// Loopback is decided on the URL's text (`localhost`, 127.0.0.0/8, `::1`).
pub fn exposure(
    server: &str,
    scheme: Option<&str>,
    host: &str,
    port: Option<u16>,
    skip_tls_verify: bool,
    not_ours: impl FnOnce(&str, u16) -> Option<String>,
) -> Option<Exposure> {
    const HTTPS: &str = "give the cluster an https:// server and its certificate-authority";
    if scheme == Some("http") && !is_loopback(host) {
        return Some(Exposure {
            why: format!(
                "its API server {server} is plain http:// on a host that is not loopback, so anyone on the way can read the registry passwords"
            ),
            fix: HTTPS,
        });
    }
    if scheme == Some("http") {
        return not_ours(host, port.unwrap_or(80)).map(|why| Exposure {
            why: format!("its API server {server} is plain http:// on loopback, and {why}"),
            fix: "run the proxy (kubectl proxy) as yourself, or give the cluster an https:// server",
        });
    }
    if skip_tls_verify {
        return Some(Exposure {
            why: format!(
                "its cluster has insecure-skip-tls-verify: true, so whoever answers for {server} gets the registry passwords"
            ),
            fix: HTTPS,
        });
    }
    None
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.eq_ignore_ascii_case("localhost.") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `url` is exposed, with every loopback listener ours.
    fn exposed(url: &str, skip: bool) -> bool {
        exposed_with(url, skip, |_, _| None).is_some()
    }

    fn exposed_with(
        url: &str,
        skip: bool,
        not_ours: impl FnOnce(&str, u16) -> Option<String>,
    ) -> Option<Exposure> {
        let (scheme, rest) = url.split_once("://").unwrap();
        let authority = rest.split('/').next().unwrap();
        // As http::Uri splits it: an IPv6 host keeps its brackets.
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let end = v6.find(']').unwrap() + 2;
                (&authority[..end], authority[end..].strip_prefix(':'))
            }
            None => match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            },
        };
        let port = port.map(|p| p.parse().unwrap());
        exposure(url, Some(scheme), host, port, skip, not_ours)
    }

    #[test]
    fn loopback_http_goes_only_to_our_own_listener() {
        let mut asked = None;
        let e = exposed_with("http://[::1]:8001", false, |host, port| {
            asked = Some((host.to_owned(), port));
            Some("port 8001 on ::1 is listened on by uid 7".into())
        })
        .unwrap();
        assert_eq!(asked, Some(("[::1]".to_owned(), 8001)));
        assert!(
            e.why.contains("uid 7") && e.fix.contains("kubectl proxy"),
            "{e:?}"
        );
        let mut port = None;
        assert!(
            exposed_with("http://localhost", false, |_, p| {
                port = Some(p);
                None
            })
            .is_none()
        );
        assert_eq!(port, Some(80));
        // Not asked for https, nor for a remote host (refused whoever listens).
        let never = |_: &str, _: u16| -> Option<String> { panic!("not a loopback http URL") };
        assert!(exposed_with("https://127.0.0.1:6443", false, never).is_none());
        assert!(exposed_with("http://k.example", false, never).is_some());
    }

    fn config(yaml: &str) -> Kubeconfig {
        Kubeconfig::from_yaml(yaml).unwrap()
    }

    const TWO: &str = r#"
apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "https://a.example:6443", certificate-authority-data: "Q0EtQQ=="}
- name: b
  cluster: {server: "https://b.example:6443"}
users:
- name: u
  user: {token: t}
contexts:
- name: ctx
  context: {cluster: a, user: u, namespace: apps}
- name: other
  context: {cluster: b, user: u}
current-context: ctx
"#;

    #[test]
    fn a_pin_holds_the_server_the_ca_fingerprint_and_the_namespaces() {
        let kc = config(TWO);
        let names = ["ctx".to_owned(), "other".to_owned()];
        let pinned = pin(Some(&kc), vec![PathBuf::from("/k")], &names, &[]).unwrap();
        let ctx = &pinned.contexts[0];
        assert_eq!(ctx.server, "https://a.example:6443");
        // `printf CA-A | sha256sum`: the bytes as configured, -data decoded.
        assert_eq!(
            ctx.ca,
            "sha256:9be06ea94f325c3673db4fffedd38d047342e3fd916a5a6bb24fa72e3e778874"
        );
        assert_eq!(ctx.namespaces, ["apps"]);
        assert_eq!(pinned.contexts[1].ca, SYSTEM_ROOTS);
        assert_eq!(pinned.contexts[1].namespaces, ["default"]);
        check_pinned(Some(&kc), &names, &pinned).unwrap();
        let targets: Vec<String> = pinned
            .targets()
            .iter()
            .map(|t| format!("{}/{}", t.context, t.namespace))
            .collect();
        assert_eq!(targets, ["ctx/apps", "other/default"]);
    }

    #[test]
    fn another_server_or_ca_or_no_ca_check_is_refused() {
        let names = ["ctx".to_owned()];
        let pinned = pin(Some(&config(TWO)), Vec::new(), &names, &[]).unwrap();
        let moved = config(&TWO.replace("https://a.example:6443", "https://evil.example"));
        let e = check_pinned(Some(&moved), &names, &pinned).unwrap_err();
        assert_eq!(
            e.to_string(),
            "context \"ctx\" now points to https://evil.example (saved: https://a.example:6443): run the push again with --save to re-aim it"
        );
        let recertified = config(&TWO.replace("Q0EtQQ==", "Q0EtQg=="));
        let e = check_pinned(Some(&recertified), &names, &pinned).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("context \"ctx\" now points to https://a.example:6443 with another certificate authority (CA sha256:"),
            "{e}"
        );
        let unchecked = config(&TWO.replace(
            "certificate-authority-data: \"Q0EtQQ==\"",
            "insecure-skip-tls-verify: true",
        ));
        let e = check_pinned(Some(&unchecked), &names, &pinned).unwrap_err();
        assert!(
            e.to_string()
                .contains("(insecure-skip-tls-verify; saved: CA sha256:"),
            "{e}"
        );
    }

    #[test]
    fn a_ca_file_is_fingerprinted_by_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "CA-A").unwrap();
        let yaml = TWO.replace(
            "certificate-authority-data: \"Q0EtQQ==\"",
            &format!("certificate-authority: {:?}", ca.display().to_string()),
        );
        let names = ["ctx".to_owned()];
        let from_file = pin(Some(&config(&yaml)), Vec::new(), &names, &[]).unwrap();
        let from_data = pin(Some(&config(TWO)), Vec::new(), &names, &[]).unwrap();
        assert_eq!(from_file.contexts[0].ca, from_data.contexts[0].ca);
        std::fs::write(&ca, "CA-B").unwrap();
        assert!(check_pinned(Some(&config(&yaml)), &names, &from_file).is_err());
    }

    #[test]
    fn a_server_is_shown_without_its_userinfo() {
        assert_eq!(
            show_server("https://u:p@k.example:6443/x"),
            "https://k.example:6443/x"
        );
        assert_eq!(
            show_server("https://k.example/a@b"),
            "https://k.example/a@b"
        );
    }

    #[test]
    fn loopback_http_is_fine_elsewhere_not() {
        for ok in [
            "http://127.0.0.1:8001",
            "http://127.9.8.7",
            "http://localhost:8001",
            "http://LOCALHOST",
            "http://[::1]:8001",
            "https://k.example:6443",
        ] {
            assert!(!exposed(ok, false), "{ok}");
        }
        for bad in [
            "http://k.example:8080",
            "http://10.0.0.1",
            "http://localhost.evil.example",
            "http://[::2]",
            "http://128.0.0.1",
        ] {
            assert!(exposed(bad, false), "{bad}");
        }
        assert!(exposed("https://127.0.0.1:6443", true));
        assert!(exposed("https://k.example", true));
    }
}
