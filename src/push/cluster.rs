//! The cluster side of `push`: one kube client per context, the Secret applied server-side to
//! every target concurrently (bounded), service accounts updated with optimistic concurrency,
//! and every API error turned into a line a person can act on.

use super::dockerconfig::{MANAGED_BY, MANAGED_BY_LABEL, SECRET_TYPE};
use super::kubeconfig::{self, IN_CLUSTER, Target};
use super::{Error, FIELD_MANAGER, Outcome, Payload};
use crate::cli::{DryRun, PushArgs};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{
    LocalObjectReference, Namespace, Secret as KubeSecret, ServiceAccount,
};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use std::io::Write;
use std::time::Duration;

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
}

/// Everything a target needs.
struct Job<'a> {
    args: &'a PushArgs,
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
    args: &PushArgs,
    config: Option<Kubeconfig>,
    payload: Option<&Payload>,
) -> Result<Outcome, Error> {
    let names = kubeconfig::contexts(config.as_ref(), &args.contexts)?;
    let timeout = Duration::from_secs(args.request_timeout.max(1));
    let mut contexts = Vec::new();
    for name in names {
        contexts.push(connect(config.as_ref(), &name, timeout).await);
    }
    let targets = kubeconfig::pair(&names_of(&contexts), &args.namespaces, |c| {
        contexts
            .iter()
            .find(|x| x.name == c)
            .map(|x| x.default_namespace.clone())
            .unwrap_or_else(|| "default".into())
    });
    let job = Job {
        args,
        payload,
        timeout,
        server_dry_run: args.dry_run == Some(DryRun::Server),
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
    if touched_sa && !args.delete && !job.server_dry_run {
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

/// Build the client of one context. Exec plugins run on the first request, not here.
async fn connect(config: Option<&Kubeconfig>, name: &str, timeout: Duration) -> Context {
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
        .map_err(|e| format!("context {name:?} in the kubeconfig: {}", chain(&e))),
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
            let client = Client::try_from(cfg).map_err(|e| match e {
                kube::Error::Auth(_) => format!(
                    "cannot get credentials for context {name:?}: {}: check the context's user (exec plugin, token or certificate)",
                    chain(&e)
                ),
                _ => format!(
                    "cannot set up a client for context {name:?} ({server}): {}",
                    chain(&e)
                ),
            });
            Context {
                name: name.to_owned(),
                server,
                client,
                default_namespace,
            }
        }
        Err(reason) => Context {
            name: name.to_owned(),
            server: String::new(),
            client: Err(reason),
            default_namespace: kubeconfig::default_namespace(config, name),
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
                        } else if self.args.delete {
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
            Failure::Kube(kube::Error::Auth(e)) => format!(
                "cannot get credentials for context {name:?}: {}: check the context's user (exec plugin, token or certificate)",
                chain(e)
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
        let label = format!("{}/{}/{}", t.context, t.namespace, self.args.name);
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
        let secrets: Api<KubeSecret> = Api::namespaced(client.clone(), &t.namespace);
        let result = if self.args.delete {
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
            for sa in &self.args.service_accounts {
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
    /// accounts may now reference it.
    async fn apply_secret(
        &self,
        ctx: &Context,
        ns: &str,
        client: &Client,
        secrets: &Api<KubeSecret>,
    ) -> Result<(String, bool), String> {
        let payload = self.payload.expect("apply has a payload");
        let name = &self.args.name;
        let manifest = payload.manifest(name, Some(ns));
        let explain = |what: &str, f: &Failure| self.explain(ctx, ns, what, f);
        // Reading first tells created from updated; a role that may apply but not read still
        // gets its secret, reported without that distinction.
        let (mut before, readable) = match self.call(secrets.get_opt(name)).await {
            Ok(b) => (b, true),
            Err(f) if f.code() == Some(403) && f.is_status() && !f.is_terminating() => {
                (None, false)
            }
            Err(f) => return Err(explain("reading the secret", &f)),
        };
        let mut recreated = false;
        if let Some(existing) = &before {
            let other_type = existing.type_.as_deref().unwrap_or("Opaque") != SECRET_TYPE;
            let immutable = existing.immutable == Some(true) && existing.data != manifest.0.data;
            if other_type || immutable {
                let why = if other_type {
                    format!(
                        "secret {name} exists with type {} (a type cannot change)",
                        existing.type_.as_deref().unwrap_or("Opaque")
                    )
                } else {
                    format!("secret {name} exists and is immutable")
                };
                if !self.args.replace {
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
                if self.server_dry_run {
                    // The server kept it: applying now would meet the same 422.
                    return Ok(("updated (deleted and recreated)".into(), false));
                }
                before = None;
            }
        }
        let mut params = PatchParams::apply(FIELD_MANAGER).force();
        params.dry_run = self.server_dry_run;
        let patch = Patch::Apply(&manifest.0);
        let apply = || self.call(secrets.patch(name, &params, &patch));
        let after = match apply().await {
            Ok(s) => s,
            Err(f) if f.is_namespace_missing() && self.args.create_namespace => {
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
                apply()
                    .await
                    .map_err(|f| explain("applying the secret", &f))?
            }
            Err(f) => return Err(explain("applying the secret", &f)),
        };
        let word = match &before {
            _ if recreated => "updated (deleted and recreated)",
            None if !readable => {
                "applied (created or updated: RBAC allows no get on secrets to tell which)"
            }
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
        Ok((word.to_owned(), true))
    }

    /// `--delete`: remove the Secret only if it carries our label.
    async fn delete_secret(
        &self,
        ctx: &Context,
        ns: &str,
        secrets: &Api<KubeSecret>,
    ) -> Result<(String, bool), String> {
        let name = &self.args.name;
        let existing = self
            .call(secrets.get_opt(name))
            .await
            .map_err(|f| self.explain(ctx, ns, "reading the secret", &f))?;
        let Some(existing) = existing else {
            return Ok(("absent".into(), true));
        };
        let ours = existing
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(MANAGED_BY_LABEL))
            .is_some_and(|v| v == MANAGED_BY);
        if !ours {
            return Err(format!(
                "secret {name} was not made by {MANAGED_BY} (no {MANAGED_BY_LABEL}={MANAGED_BY} label): left alone, and so are the service accounts"
            ));
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
        let name = &self.args.name;
        let what = format!("updating service account {sa}");
        for _ in 0..SA_ATTEMPTS {
            let current = self
                .call(accounts.get_opt(sa))
                .await
                .map_err(|f| self.explain(ctx, ns, &what, &f))?;
            let Some(mut account) = current else {
                if self.args.delete {
                    return Ok(false);
                }
                return Err(format!(
                    "service account {sa} does not exist in namespace {ns}: create it (kubectl create serviceaccount {sa} -n {ns}) or check --service-account"
                ));
            };
            let list = account.image_pull_secrets.get_or_insert_with(Vec::new);
            let present = list.iter().any(|r| &r.name == name);
            if self.args.delete {
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

fn same_content(a: &KubeSecret, b: &KubeSecret) -> bool {
    a.data == b.data
        && a.type_ == b.type_
        && a.metadata.labels == b.metadata.labels
        && a.metadata.annotations == b.metadata.annotations
}

fn shorten(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn status(code: u16, reason: &str, message: &str, kind: Option<&str>) -> Failure {
        let mut s = kube::core::Status::failure(message, reason).with_code(code);
        if let Some(kind) = kind {
            s.details = serde_json::from_value(serde_json::json!({ "kind": kind })).unwrap();
        }
        Failure::Kube(kube::Error::Api(s.boxed()))
    }

    fn explain(args: &[&str], f: &Failure) -> String {
        let cli = crate::cli::Cli::try_parse_from(args).unwrap();
        let crate::cli::Command::Push(args) = cli.command else {
            panic!("push")
        };
        let payload = Payload::build(vec![crate::backend::Credential {
            server_url: "r.io".into(),
            username: "alice".into(),
            secret: crate::Secret::new("hunter2-secret".into()),
        }])
        .unwrap();
        let job = Job {
            args: &args,
            payload: Some(&payload),
            timeout: Duration::from_secs(7),
            server_dry_run: false,
        };
        let ctx = Context {
            name: "dev".into(),
            server: "https://k.example:6443/".into(),
            client: Err("unused".into()),
            default_namespace: "default".into(),
        };
        job.explain(&ctx, "team", "applying the secret", f)
    }

    const PUSH: &[&str] = &["x", "push", "r.io"];

    #[test]
    fn statuses_in_plain_language() {
        let e = explain(PUSH, &status(401, "Unauthorized", "Unauthorized", None));
        assert!(
            e.contains("credentials of context \"dev\"") && e.contains("401"),
            "{e}"
        );
        let e = explain(
            PUSH,
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
            PUSH,
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
        assert!(explain(PUSH, &missing).contains("--create-namespace"));
        let plain = status(
            404,
            "Failed to parse error data",
            "404 page not found",
            None,
        );
        assert!(!plain.is_not_found() && !plain.is_namespace_missing());
        let e = explain(PUSH, &plain);
        assert!(
            e.contains("without a Kubernetes status") && e.contains("404 page not found"),
            "{e}"
        );
        let e = explain(
            PUSH,
            &status(
                422,
                "Invalid",
                "Secret \"regcred\" is invalid: type: field is immutable",
                None,
            ),
        );
        assert!(e.contains("--replace"), "{e}");
        let e = explain(PUSH, &Failure::Timeout);
        assert!(
            e.contains("within 7s") && e.contains("https://k.example:6443/"),
            "{e}"
        );
    }

    #[test]
    fn server_messages_are_scrubbed() {
        let e = explain(
            PUSH,
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
