//! The cluster side of `push`: one kube client per context, the Secret applied server-side to
//! every target concurrently (bounded), service accounts updated with optimistic concurrency,
//! and every API error turned into a line a person can act on.

use super::dockerconfig;
use super::dockerconfig::{
    DATA_KEY, MANAGED_BY, MANAGED_BY_LABEL, MergeError, REGISTRIES_ANNOTATION, SECRET_TYPE,
    annotated_registries,
};
use super::kubeconfig::{self, IN_CLUSTER, Target};
use super::{DryRun, Error, FIELD_MANAGER, Options, Outcome, Payload};
use futures::StreamExt;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{
    LocalObjectReference, Namespace, Secret as KubeSecret, ServiceAccount,
};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use std::io::Write;
use std::time::Duration;
use zeroize::Zeroize;

/// Targets worked on at once.
pub const CONCURRENCY: usize = 8;
/// Attempts of a service-account update that keeps meeting 409 Conflict.
const SA_ATTEMPTS: usize = 5;

/// One context's connection, or why there is none.
struct Context {
    name: String,
    server: String,
    client: Result<Client, String>,
    default_namespace: String,
    /// The command of the context's exec credential plugin, named when it fails.
    exec_command: Option<String>,
    /// Why the registry passwords could be read on the way to this cluster, when the user
    /// sends them anyway (`--insecure`): warned about per target.
    exposure: Option<String>,
}

/// Everything a target needs.
struct Job<'a> {
    options: &'a Options,
    payload: Option<&'a Payload>,
    timeout: Duration,
    server_dry_run: bool,
}

/// What one target printed, and whether it failed.
struct Report {
    lines: Vec<String>,
    failed: bool,
    touched_service_account: bool,
}

/// Apply (or delete) on every target; print one line per target as results arrive, in order.
pub async fn run(
    options: &Options,
    config: Option<Kubeconfig>,
    payload: Option<&Payload>,
) -> Result<Outcome, Error> {
    let names = kubeconfig::contexts(config.as_ref(), &options.contexts)?;
    let timeout = options.request_timeout.max(Duration::from_secs(1));
    let mut contexts = Vec::new();
    for name in names {
        contexts.push(connect(config.as_ref(), &name, timeout, options).await);
    }
    let targets = kubeconfig::pair(&names_of(&contexts), &options.namespaces, |c| {
        contexts
            .iter()
            .find(|x| x.name == c)
            .map(|x| x.default_namespace.clone())
            .unwrap_or_else(|| "default".into())
    });
    let job = Job {
        options,
        payload,
        timeout,
        server_dry_run: options.dry_run == Some(DryRun::Server),
    };
    let job = &job;
    let contexts = &contexts;
    let mut reports = futures::stream::iter(targets.into_iter().map(|t| async move {
        let ctx = contexts
            .iter()
            .find(|c| c.name == t.context)
            .expect("every target's context was connected");
        job.target(ctx, &t).await
    }))
    .buffered(CONCURRENCY);
    let mut failed = false;
    let mut touched_sa = false;
    let mut out = std::io::stdout().lock();
    while let Some(report) = reports.next().await {
        failed |= report.failed;
        touched_sa |= report.touched_service_account;
        for line in &report.lines {
            writeln!(out, "{line}")
                .and_then(|()| out.flush())
                .map_err(Error::Stdout)?;
        }
    }
    if touched_sa && !options.delete && !job.server_dry_run {
        eprintln!(
            "note: only pods created from now on use the new imagePullSecrets; restart running ones (e.g. kubectl rollout restart deployment NAME) to use them"
        );
    }
    Ok(if failed {
        Outcome::SomeFailed
    } else {
        Outcome::AllDone
    })
}

fn names_of(contexts: &[Context]) -> Vec<String> {
    contexts.iter().map(|c| c.name.clone()).collect()
}

/// Build the client of one context (kube runs its exec plugin here). A context where the
/// passwords could be read on the way gets no client unless `--insecure` says so; `--delete`
/// sends no password and is not checked.
async fn connect(
    config: Option<&Kubeconfig>,
    name: &str,
    timeout: Duration,
    options: &Options,
) -> Context {
    let exec_command = kubeconfig::exec_command(config, name);
    let loaded = match config {
        None => Config::incluster().map_err(|e| format!("in-cluster configuration: {e}")),
        Some(kc) => Config::from_custom_kubeconfig(
            kc.clone(),
            &KubeConfigOptions {
                context: Some(name.to_owned()),
                ..KubeConfigOptions::default()
            },
        )
        .await
        .map_err(|e| {
            format!(
                "context {name:?} in the kubeconfig: {}",
                describe(&e, exec_command.as_deref())
            )
        }),
    };
    match loaded {
        Ok(mut cfg) => {
            cfg.connect_timeout = Some(timeout);
            let server = cfg.cluster_url.to_string();
            let default_namespace = if name == IN_CLUSTER {
                cfg.default_namespace.clone()
            } else {
                kubeconfig::default_namespace(config, name)
            };
            let exposure = kubeconfig::exposure(
                &server,
                cfg.cluster_url.scheme_str(),
                cfg.cluster_url.host().unwrap_or_default(),
                cfg.accept_invalid_certs,
            )
            .filter(|_| !options.delete);
            let client = match &exposure {
                Some(why) if !options.insecure => Err(format!(
                    "refused to send the registry passwords to context {name:?}: {why}: give the cluster an https:// server and its certificate-authority, or pass --insecure to send them anyway"
                )),
                _ => Client::try_from(cfg).map_err(|e| {
                    if auth_error(&e).is_some() {
                        format!(
                            "cannot get credentials for context {name:?}: {}: check the context's user (exec plugin, token or certificate)",
                            describe(&e, exec_command.as_deref())
                        )
                    } else {
                        format!(
                            "cannot set up a client for context {name:?} ({server}): {}",
                            chain(&e)
                        )
                    }
                }),
            };
            Context {
                name: name.to_owned(),
                server,
                client,
                default_namespace,
                exec_command,
                exposure,
            }
        }
        Err(reason) => Context {
            name: name.to_owned(),
            server: String::new(),
            client: Err(reason),
            default_namespace: kubeconfig::default_namespace(config, name),
            exec_command,
            exposure: None,
        },
    }
}

/// A request that did not succeed.
enum Failure {
    Kube(kube::Error),
    Timeout,
}

impl From<kube::Error> for Failure {
    fn from(e: kube::Error) -> Self {
        Failure::Kube(e)
    }
}

impl Failure {
    fn status(&self) -> Option<&kube::core::Status> {
        match self {
            Failure::Kube(kube::Error::Api(s)) => Some(s),
            _ => None,
        }
    }

    fn code(&self) -> Option<u16> {
        self.status().map(|s| s.code)
    }

    /// A real Kubernetes Status body (not a proxy's plain text).
    fn is_status(&self) -> bool {
        self.status()
            .is_some_and(|s| s.reason != "Failed to parse error data")
    }

    fn is_conflict(&self) -> bool {
        self.code() == Some(409) && self.is_status()
    }

    fn is_not_found(&self) -> bool {
        self.code() == Some(404) && self.is_status()
    }

    /// 403 because the namespace is being deleted.
    fn is_terminating(&self) -> bool {
        self.code() == Some(403)
            && self
                .status()
                .is_some_and(|s| s.message.contains("being terminated"))
    }

    /// 404 because the namespace does not exist.
    fn is_namespace_missing(&self) -> bool {
        self.is_not_found()
            && self.status().is_some_and(|s| {
                s.details.as_ref().is_some_and(|d| d.kind == "namespaces")
                    || s.message.starts_with("namespaces \"")
            })
    }
}

/// The whole `source()` chain of an error, deduplicated, as one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    let text = parts.join(": ").replace('\n', " ");
    // kube's variant names add nothing for a person.
    ["ServiceError: ", "HyperError: ", "Error: "]
        .iter()
        .fold(text, |t, p| {
            t.strip_prefix(p).map(str::to_owned).unwrap_or(t)
        })
}

/// The credential error somewhere in `e`'s source chain (at connect time kube wraps it in
/// `Error::Auth`, at request time in a service error).
fn auth_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a kube::client::AuthError> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(auth) = err.downcast_ref::<kube::client::AuthError>() {
            return Some(auth);
        }
        cur = err.source();
    }
    None
}

/// `e` as one line; a credential error said without what the exec plugin printed on stdout,
/// which is a credential (kube's own text quotes it).
fn describe(e: &(dyn std::error::Error + 'static), exec: Option<&str>) -> String {
    use kube::client::AuthError;
    let Some(auth) = auth_error(e) else {
        return chain(e);
    };
    let plugin = match exec {
        Some(c) => format!("the exec plugin {c:?}"),
        None => "the kubeconfig's credential command".to_owned(),
    };
    match auth {
        AuthError::AuthExecRun { out, .. } => {
            let stderr = shorten_to(&String::from_utf8_lossy(&out.stderr), 300);
            if stderr.is_empty() {
                format!(
                    "{plugin} failed ({}) and printed nothing on stderr",
                    out.status
                )
            } else {
                format!("{plugin} failed ({}): {stderr}", out.status)
            }
        }
        AuthError::AuthExecParse(_) => format!(
            "{plugin} printed something that is not an ExecCredential (not shown: it may hold a credential)"
        ),
        AuthError::ExecPluginFailed => {
            format!("{plugin} printed an ExecCredential without a status")
        }
        AuthError::AuthExecStart(io) => format!("cannot run {plugin}: {io}"),
        other => chain(other),
    }
}

/// Whether another field manager owns part of `secret`: one push just created has only ours.
fn made_by_others(secret: &KubeSecret) -> bool {
    secret.metadata.managed_fields.as_ref().is_some_and(|m| {
        m.iter()
            .any(|e| e.manager.as_deref() != Some(FIELD_MANAGER))
    })
}

fn is_ours(secret: &KubeSecret) -> bool {
    secret
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(MANAGED_BY_LABEL))
        .is_some_and(|v| v == MANAGED_BY)
}

impl Job<'_> {
    async fn call<T>(
        &self,
        fut: impl std::future::Future<Output = kube::Result<T>>,
    ) -> Result<T, Failure> {
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(r) => r.map_err(Failure::Kube),
            Err(_) => Err(Failure::Timeout),
        }
    }

    fn suffix(&self) -> &'static str {
        if self.server_dry_run {
            " (server dry run: nothing persisted)"
        } else {
            ""
        }
    }

    /// A failure as plain language naming what to do; scrubbed of every secret we send.
    fn explain(&self, ctx: &Context, ns: &str, what: &str, f: &Failure) -> String {
        let name = &ctx.name;
        let server = &ctx.server;
        let text = match f {
            Failure::Timeout => format!(
                "no answer from the API server {server} of context {name:?} within {}s while {what}: check that the cluster is up and reachable, or raise --request-timeout",
                self.timeout.as_secs()
            ),
            Failure::Kube(kube::Error::Api(s)) => {
                let plain = !f.is_status();
                let msg = s.message.trim();
                match s.code {
                    401 => format!(
                        "the API server {server} rejected the credentials of context {name:?} (401 Unauthorized): log in to the cluster again or renew the token (check with `kubectl --context {name} auth whoami`)"
                    ),
                    403 if f.is_terminating() => format!(
                        "namespace {ns} is being deleted (terminating) in context {name:?}: wait until it is gone and push again, or choose another namespace"
                    ),
                    403 if !plain => format!(
                        "forbidden while {what} ({msg}): the context's user needs RBAC {} in namespace {ns}",
                        if what.contains("service account") {
                            "get and update on serviceaccounts"
                        } else if self.options.delete {
                            "get and delete on secrets"
                        } else {
                            "get, create and patch on secrets"
                        }
                    ),
                    404 if f.is_namespace_missing() => format!(
                        "namespace {ns} does not exist in context {name:?}: create it, or add --create-namespace"
                    ),
                    404 if plain => format!(
                        "the server {server} of context {name:?} answered 404 without a Kubernetes status while {what} ({}): is the server URL an API server, not a proxy or a wrong path?",
                        shorten(msg)
                    ),
                    422 => format!(
                        "the API server refused the secret (422 Invalid: {msg}): if it exists with another type or is immutable, --replace deletes and recreates it"
                    ),
                    code if plain => format!(
                        "the server {server} of context {name:?} answered {code} while {what}: {}",
                        shorten(msg)
                    ),
                    code => format!(
                        "the API server {server} of context {name:?} answered {code} {} while {what}: {msg}",
                        s.reason
                    ),
                }
            }
            Failure::Kube(e) if auth_error(e).is_some() => format!(
                "cannot get credentials for context {name:?}: {}: check the context's user (exec plugin, token or certificate)",
                describe(e, ctx.exec_command.as_deref())
            ),
            Failure::Kube(e) => format!(
                "cannot reach the API server {server} of context {name:?} while {what}: {}",
                chain(e)
            ),
        };
        match self.payload {
            Some(p) => p.scrub(&text),
            None => text,
        }
    }

    async fn target(&self, ctx: &Context, t: &Target) -> Report {
        let label = format!("{}/{}/{}", t.context, t.namespace, self.options.name);
        let client = match &ctx.client {
            Ok(c) => c.clone(),
            Err(reason) => {
                let reason = match self.payload {
                    Some(p) => p.scrub(reason),
                    None => reason.clone(),
                };
                return Report {
                    lines: vec![format!("{label}: failed: {reason}")],
                    failed: true,
                    touched_service_account: false,
                };
            }
        };
        if let Some(why) = &ctx.exposure {
            // Said before anything is sent.
            eprintln!(
                "{}: push: warning: {label}: sending the registry passwords anyway (--insecure): {why}",
                crate::BINARY_NAME
            );
        }
        let secrets: Api<KubeSecret> = Api::namespaced(client.clone(), &t.namespace);
        let result = if self.options.delete {
            self.delete_secret(ctx, &t.namespace, &secrets).await
        } else {
            self.apply_secret(ctx, &t.namespace, &client, &secrets)
                .await
        };
        let mut report = Report {
            lines: Vec::new(),
            failed: false,
            touched_service_account: false,
        };
        let proceed = match result {
            Ok((word, proceed)) => {
                report
                    .lines
                    .push(format!("{label}: {word}{}", self.suffix()));
                proceed
            }
            Err(reason) => {
                report.lines.push(format!("{label}: failed: {reason}"));
                report.failed = true;
                false
            }
        };
        if proceed {
            let accounts: Api<ServiceAccount> = Api::namespaced(client, &t.namespace);
            for sa in &self.options.service_accounts {
                let sa_label = format!("{}/{}/serviceaccount/{sa}", t.context, t.namespace);
                match self
                    .update_service_account(ctx, &t.namespace, &accounts, sa)
                    .await
                {
                    Ok(changed) => {
                        report.touched_service_account |= changed;
                        let word = if changed { "updated" } else { "unchanged" };
                        report
                            .lines
                            .push(format!("{sa_label}: {word}{}", self.suffix()));
                    }
                    Err(reason) => {
                        report.failed = true;
                        report.lines.push(format!("{sa_label}: failed: {reason}"));
                    }
                }
            }
        }
        report
    }

    /// Server-side apply of the Secret; the word for the report line, and whether the service
    /// accounts may now reference it. A secret of this name that push did not make is changed
    /// only with `--adopt`, and then merged into, never overwritten.
    async fn apply_secret(
        &self,
        ctx: &Context,
        ns: &str,
        client: &Client,
        secrets: &Api<KubeSecret>,
    ) -> Result<(String, bool), String> {
        let payload = self.payload.expect("apply has a payload");
        let name = &self.options.name;
        let mut manifest = payload.manifest(name, Some(ns));
        let explain = |what: &str, f: &Failure| self.explain(ctx, ns, what, f);
        // Whose the secret is decides what may happen to it: a role that may not read it
        // gets nothing written (a blind apply could take over someone else's secret).
        let mut before = self
            .call(secrets.get_opt(name))
            .await
            .map_err(|f| explain("reading the secret to check that push made it", &f))?;
        let mut recreated = false;
        let mut adopted = false;
        let mut kept: Vec<String> = Vec::new();
        let mut removed: Vec<String> = Vec::new();
        if let Some(existing) = &before {
            let ours = is_ours(existing);
            let type_ = existing.type_.as_deref().unwrap_or("Opaque");
            let other_type = type_ != SECRET_TYPE;
            if !ours && !self.options.adopt {
                return Err(if other_type {
                    format!(
                        "secret {name} exists with type {type_} and was not made by {MANAGED_BY}: choose another --name, or --adopt --replace to delete it and recreate it as push's"
                    )
                } else {
                    format!(
                        "secret {name} exists and was not made by {MANAGED_BY}: choose another --name, or --adopt to take it over (its other registries are kept)"
                    )
                });
            }
            // Which of its registries push wrote (and may drop): those our annotation lists;
            // all of them in a secret of ours without it (made before it existed); none with
            // --adopt, which keeps everything this push does not write.
            let listed = annotated_registries(existing);
            let everything_ours = ours && !self.options.adopt && listed.is_none();
            if !everything_ours {
                let theirs = existing
                    .data
                    .as_ref()
                    .and_then(|d| d.get(DATA_KEY))
                    .map_or(&b"{}"[..], |b| b.0.as_slice());
                let listed = listed.unwrap_or_default();
                let pushed_before =
                    |key: &str| !self.options.adopt && listed.iter().any(|k| k == key);
                match payload.merged_manifest(name, ns, theirs, pushed_before) {
                    Ok((merged, m)) => {
                        manifest = merged;
                        kept = m.kept;
                        removed = m.removed;
                    }
                    // Ours, and nothing in it can be told apart as someone else's: the label
                    // says it is ours, so it is written as push's.
                    Err(MergeError::NotDockerConfig) if ours && !self.options.adopt => {}
                    Err(MergeError::NotDockerConfig) => {
                        return Err(format!(
                            "the {DATA_KEY} of secret {name} is not a JSON object with an \"auths\" object, so --adopt cannot keep its registries: fix or delete the secret yourself, or choose another --name"
                        ));
                    }
                    Err(MergeError::Refused(r)) => return Err(r.to_string()),
                }
            }
            adopted = !ours;
            // Apply only onto what was read: a change made meanwhile (a registry added by
            // hand, the label removed) is not lost (409).
            manifest.0.metadata.resource_version = existing.metadata.resource_version.clone();
            let immutable = existing.immutable == Some(true) && existing.data != manifest.0.data;
            if other_type || immutable {
                let why = if other_type {
                    format!("secret {name} exists with type {type_} (a type cannot change)")
                } else {
                    format!("secret {name} exists and is immutable")
                };
                if !self.options.replace {
                    return Err(format!("{why}: --replace deletes and recreates it"));
                }
                let dp = DeleteParams {
                    dry_run: self.server_dry_run,
                    preconditions: Some(Preconditions {
                        uid: existing.metadata.uid.clone(),
                        resource_version: existing.metadata.resource_version.clone(),
                    }),
                    ..DeleteParams::default()
                };
                self.call(secrets.delete(name, &dp))
                    .await
                    .map_err(|f| explain("deleting the secret to recreate it", &f))?;
                recreated = true;
                manifest.0.metadata.resource_version = None;
                if self.server_dry_run {
                    // The server kept it: applying now would meet the same 422.
                    let word = if adopted {
                        "adopted (deleted and recreated)"
                    } else {
                        "updated (deleted and recreated)"
                    };
                    return Ok((with_kept(word, &kept, &removed), false));
                }
                before = None;
            }
        }
        // A secret read as absent is created without force: if someone else creates one of
        // this name meanwhile, its fields owned by another manager make the apply fail with 409
        // Conflict instead of being taken over. An existing one of ours is applied with force
        // (fields someone changed by hand are taken back).
        let creating = before.is_none();
        let mut params = PatchParams::apply(FIELD_MANAGER);
        if !creating {
            params = params.force();
        }
        params.dry_run = self.server_dry_run;
        let patch = Patch::Apply(&manifest.0);
        let apply = || self.call(secrets.patch(name, &params, &patch));
        let failed = |f: Failure| {
            if f.is_conflict() && creating {
                format!(
                    "secret {name} appeared while push was creating it (409 Conflict: someone else made it meanwhile): nothing was changed; push again to check whose it is"
                )
            } else if f.is_conflict() && manifest.0.metadata.resource_version.is_some() {
                format!(
                    "secret {name} changed while push was merging into it (409 Conflict): push again"
                )
            } else {
                explain("applying the secret", &f)
            }
        };
        let after = match apply().await {
            Ok(s) => s,
            Err(f) if f.is_namespace_missing() && self.options.create_namespace => {
                let namespaces: Api<Namespace> = Api::all(client.clone());
                let ns_object = Namespace {
                    metadata: kube::api::ObjectMeta {
                        name: Some(ns.to_owned()),
                        ..Default::default()
                    },
                    ..Namespace::default()
                };
                let pp = PostParams {
                    dry_run: self.server_dry_run,
                    field_manager: Some(FIELD_MANAGER.to_owned()),
                };
                match self.call(namespaces.create(&pp, &ns_object)).await {
                    Ok(_) => {}
                    Err(f) if f.code() == Some(409) && f.is_status() => {} // created meanwhile
                    Err(f) => return Err(explain("creating the namespace", &f)),
                }
                if self.server_dry_run {
                    return Ok((
                        "created (in a namespace that would be created)".into(),
                        false,
                    ));
                }
                apply().await.map_err(failed)?
            }
            Err(f) => return Err(failed(f)),
        };
        if creating && !self.server_dry_run && made_by_others(&after) {
            // It existed after all: someone made it meanwhile with nothing that conflicts with
            // ours (the same content). Take back what this apply added (our label and
            // annotation; what they own too stays) by applying nothing as our manager.
            let nothing = KubeSecret {
                metadata: kube::api::ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(ns.to_owned()),
                    ..Default::default()
                },
                ..KubeSecret::default()
            };
            let undo = PatchParams::apply(FIELD_MANAGER);
            let undone = self
                .call(secrets.patch(name, &undo, &Patch::Apply(&nothing)))
                .await;
            let what = format!(
                "secret {name} appeared while push was creating it (someone else made it meanwhile, with the same content)"
            );
            return Err(match undone {
                Ok(_) => format!(
                    "{what}: push's label was taken back off; push again to check whose it is"
                ),
                Err(f) => format!(
                    "{what}, and taking push's label back off failed: {}",
                    explain("removing push's label", &f)
                ),
            });
        }
        let word = match &before {
            _ if recreated && adopted => "adopted (deleted and recreated)",
            _ if recreated => "updated (deleted and recreated)",
            _ if adopted => "adopted",
            None => "created",
            Some(b) if self.server_dry_run => {
                if same_content(b, &after) {
                    "unchanged"
                } else {
                    "updated"
                }
            }
            Some(b) => {
                if b.metadata.resource_version.is_some()
                    && b.metadata.resource_version == after.metadata.resource_version
                {
                    "unchanged"
                } else {
                    "updated"
                }
            }
        };
        Ok((with_kept(word, &kept, &removed), true))
    }

    /// `--delete`: remove what push wrote, only from a Secret carrying our label. A secret that
    /// also holds registries push did not write (adopted, or added by hand) keeps them: only
    /// ours and our label and annotation go, and the service accounts keep referring to it.
    /// `Ok((word, proceed))`: whether the service accounts' references go too.
    async fn delete_secret(
        &self,
        ctx: &Context,
        ns: &str,
        secrets: &Api<KubeSecret>,
    ) -> Result<(String, bool), String> {
        let name = &self.options.name;
        let existing = self
            .call(secrets.get_opt(name))
            .await
            .map_err(|f| self.explain(ctx, ns, "reading the secret", &f))?;
        let Some(existing) = existing else {
            return Ok(("absent".into(), true));
        };
        if !is_ours(&existing) {
            return Err(format!(
                "secret {name} was not made by {MANAGED_BY} (no {MANAGED_BY_LABEL}={MANAGED_BY} label): left alone, and so are the service accounts"
            ));
        }
        // Without our annotation (an older push) or with a .dockerconfigjson nothing can be
        // told apart in, everything in the secret is ours.
        let data = existing.data.as_ref().and_then(|d| d.get(DATA_KEY));
        let stripped = match (annotated_registries(&existing), data) {
            (Some(listed), Some(bytes)) => {
                let nothing = crate::Secret::new(br#"{"auths":{}}"#.to_vec());
                dockerconfig::merge(&bytes.0, &nothing, |k| listed.iter().any(|l| l == k)).ok()
            }
            _ => None,
        };
        if let Some(m) = stripped.filter(|m| !m.kept.is_empty()) {
            // Wiped when dropped, like every manifest we send.
            let mut left = dockerconfig::Manifest(existing.clone());
            if let Some(labels) = left.0.metadata.labels.as_mut() {
                labels.remove(MANAGED_BY_LABEL);
            }
            if let Some(annotations) = left.0.metadata.annotations.as_mut() {
                annotations.remove(REGISTRIES_ANNOTATION);
            }
            let data = left.0.data.get_or_insert_with(Default::default);
            if let Some(mut old) =
                data.insert(DATA_KEY.to_owned(), ByteString(m.config.expose().clone()))
            {
                old.0.zeroize();
            }
            let pp = PostParams {
                dry_run: self.server_dry_run,
                field_manager: Some(FIELD_MANAGER.to_owned()),
            };
            // A PUT with the resourceVersion read: a change made meanwhile is not lost (409).
            let result = self.call(secrets.replace(name, &pp, &left.0)).await;
            return match result {
                Ok(_) => {
                    let ours = if m.removed.is_empty() {
                        "its label".to_owned()
                    } else {
                        format!("push's registries ({}) and its label", m.removed.join(", "))
                    };
                    Ok((
                        format!(
                            "kept for its other registries ({}): removed {ours}; service accounts still refer to it",
                            m.kept.join(", ")
                        ),
                        false,
                    ))
                }
                Err(f) if f.is_not_found() => Ok(("absent".into(), true)),
                Err(f) if f.is_conflict() => Err(format!(
                    "secret {name} changed while push was removing its registries from it (409 Conflict): push --delete again"
                )),
                Err(f) => {
                    Err(self.explain(ctx, ns, "removing push's registries from the secret", &f))
                }
            };
        }
        let dp = DeleteParams {
            dry_run: self.server_dry_run,
            preconditions: Some(Preconditions {
                uid: existing.metadata.uid.clone(),
                resource_version: existing.metadata.resource_version.clone(),
            }),
            ..DeleteParams::default()
        };
        match self.call(secrets.delete(name, &dp)).await {
            Ok(_) => Ok(("deleted".into(), true)),
            Err(f) if f.is_not_found() => Ok(("absent".into(), true)),
            Err(f) => Err(self.explain(ctx, ns, "deleting the secret", &f)),
        }
    }

    /// Add (or with `--delete` remove) our secret in `sa`'s imagePullSecrets, keeping every
    /// other entry: GET, change, PUT with the resourceVersion read, again on 409.
    /// `Ok(true)` when the account changed.
    async fn update_service_account(
        &self,
        ctx: &Context,
        ns: &str,
        accounts: &Api<ServiceAccount>,
        sa: &str,
    ) -> Result<bool, String> {
        let name = &self.options.name;
        let what = format!("updating service account {sa}");
        for _ in 0..SA_ATTEMPTS {
            let current = self
                .call(accounts.get_opt(sa))
                .await
                .map_err(|f| self.explain(ctx, ns, &what, &f))?;
            let Some(mut account) = current else {
                if self.options.delete {
                    return Ok(false);
                }
                return Err(format!(
                    "service account {sa} does not exist in namespace {ns}: create it (kubectl create serviceaccount {sa} -n {ns}) or check --service-account"
                ));
            };
            let list = account.image_pull_secrets.get_or_insert_with(Vec::new);
            let present = list.iter().any(|r| &r.name == name);
            if self.options.delete {
                if !present {
                    return Ok(false);
                }
                list.retain(|r| &r.name != name);
            } else {
                if present {
                    return Ok(false);
                }
                list.push(LocalObjectReference { name: name.clone() });
            }
            let pp = PostParams {
                dry_run: self.server_dry_run,
                field_manager: Some(FIELD_MANAGER.to_owned()),
            };
            match self.call(accounts.replace(sa, &pp, &account)).await {
                Ok(_) => return Ok(true),
                Err(f) if f.is_conflict() => continue,
                Err(f) => return Err(self.explain(ctx, ns, &what, &f)),
            }
        }
        Err(format!(
            "service account {sa} kept changing under us (409 Conflict {SA_ATTEMPTS} times): try again"
        ))
    }
}

/// The report word, naming the registries push wrote before and dropped now, and those of
/// the existing secret that were kept (not push's).
fn with_kept(word: &str, kept: &[String], removed: &[String]) -> String {
    let mut notes = Vec::new();
    if !removed.is_empty() {
        notes.push(format!("removed {}, no longer pushed", removed.join(", ")));
    }
    if !kept.is_empty() {
        notes.push(format!("kept its other registries: {}", kept.join(", ")));
    }
    if notes.is_empty() {
        word.to_owned()
    } else {
        format!("{word} ({})", notes.join("; "))
    }
}

fn same_content(a: &KubeSecret, b: &KubeSecret) -> bool {
    a.data == b.data
        && a.type_ == b.type_
        && a.metadata.labels == b.metadata.labels
        && a.metadata.annotations == b.metadata.annotations
}

fn shorten(text: &str) -> String {
    shorten_to(text, 120)
}

fn shorten_to(text: &str, chars: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(chars) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, reason: &str, message: &str, kind: Option<&str>) -> Failure {
        let mut s = kube::core::Status::failure(message, reason).with_code(code);
        if let Some(kind) = kind {
            s.details = serde_json::from_value(serde_json::json!({ "kind": kind })).unwrap();
        }
        Failure::Kube(kube::Error::Api(s.boxed()))
    }

    /// `push r.io` with defaults.
    fn push() -> Options {
        Options {
            registries: vec!["r.io".into()],
            name: "regcred".into(),
            ..Options::default()
        }
    }

    fn explain(options: &Options, f: &Failure) -> String {
        let payload = Payload::build(vec![crate::backend::Credential {
            server_url: "r.io".into(),
            username: "alice".into(),
            secret: crate::Secret::new("hunter2-secret".into()),
        }])
        .unwrap();
        let job = Job {
            options,
            payload: Some(&payload),
            timeout: Duration::from_secs(7),
            server_dry_run: false,
        };
        let ctx = Context {
            name: "dev".into(),
            server: "https://k.example:6443/".into(),
            client: Err("unused".into()),
            default_namespace: "default".into(),
            exec_command: None,
            exposure: None,
        };
        job.explain(&ctx, "team", "applying the secret", f)
    }

    #[test]
    fn statuses_in_plain_language() {
        let e = explain(&push(), &status(401, "Unauthorized", "Unauthorized", None));
        assert!(
            e.contains("credentials of context \"dev\"") && e.contains("401"),
            "{e}"
        );
        let e = explain(
            &push(),
            &status(
                403,
                "Forbidden",
                "secrets \"regcred\" is forbidden: User \"bob\" cannot patch resource \"secrets\" in API group \"\" in the namespace \"team\"",
                Some("secrets"),
            ),
        );
        assert!(
            e.contains("cannot patch resource") && e.contains("RBAC"),
            "{e}"
        );
        let e = explain(
            &push(),
            &status(
                403,
                "Forbidden",
                "secrets \"regcred\" is forbidden: unable to create new content in namespace team because it is being terminated",
                Some("secrets"),
            ),
        );
        assert!(e.contains("terminating"), "{e}");
        let missing = status(
            404,
            "NotFound",
            "namespaces \"team\" not found",
            Some("namespaces"),
        );
        assert!(missing.is_namespace_missing());
        assert!(explain(&push(), &missing).contains("--create-namespace"));
        let plain = status(
            404,
            "Failed to parse error data",
            "404 page not found",
            None,
        );
        assert!(!plain.is_not_found() && !plain.is_namespace_missing());
        let e = explain(&push(), &plain);
        assert!(
            e.contains("without a Kubernetes status") && e.contains("404 page not found"),
            "{e}"
        );
        let e = explain(
            &push(),
            &status(
                422,
                "Invalid",
                "Secret \"regcred\" is invalid: type: field is immutable",
                None,
            ),
        );
        assert!(e.contains("--replace"), "{e}");
        let e = explain(&push(), &Failure::Timeout);
        assert!(
            e.contains("within 7s") && e.contains("https://k.example:6443/"),
            "{e}"
        );
    }

    #[test]
    fn server_messages_are_scrubbed() {
        let e = explain(
            &push(),
            &status(
                500,
                "InternalError",
                "oops hunter2-secret YWxpY2U6aHVudGVyMi1zZWNyZXQ=",
                None,
            ),
        );
        assert!(
            !e.contains("hunter2") && !e.contains("YWxpY2U6aHVudGVyMi1zZWNyZXQ="),
            "{e}"
        );
    }
}
