//! The cluster side of `push`: one kube client per context, the Secret applied server-side to
//! every target concurrently (bounded), service accounts updated with optimistic concurrency,
//! and every API error turned into a line a person can act on.

mod apply;
mod delete;
mod exec;
mod explain;
mod reason;
mod report;
mod service_account;

use super::kubeconfig::{self, IN_CLUSTER, Target};
use super::pull_secret::{MANAGED_BY, MANAGED_BY_LABEL};
use super::{DryRun, Error, Options, Outcome, PUSH, Payload};
use crate::messages;
use explain::{Failure, auth_error, chain, describe};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Secret as KubeSecret, ServiceAccount};
use kube::api::Api;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use reason::Reason;
use report::TargetReport;
use std::cell::RefCell;
use std::io::Write;
use std::time::Duration;

/// Targets worked on at once.
pub const CONCURRENCY: usize = 8;

/// One context's connection, or why there is none.
struct Context {
    name: String,
    server: String,
    client: Result<Client, Reason>,
    default_namespace: String,
    /// The command of the context's exec credential plugin, named when it fails.
    exec_command: Option<String>,
    /// Where the CA that should sign the server's certificate comes from, named when the
    /// certificate is refused.
    ca_source: String,
    /// Why the registry passwords could be read on the way to this cluster, when the user
    /// sends them anyway (`--insecure`): warned about per target.
    exposure: Option<kubeconfig::Exposure>,
}

/// Everything a target needs.
struct Job<'a> {
    options: &'a Options,
    payload: Option<&'a Payload>,
    /// None: `--request-timeout 0`, wait as long as the server takes.
    timeout: Option<Duration>,
    server_dry_run: bool,
    /// Where warnings go (stderr), shared by the targets in flight.
    err: RefCell<&'a mut dyn Write>,
}

/// Apply (or delete) on every target; write its lines to `out` as results arrive, in order,
/// and warnings and notes to `err`. An exec credential plugin may take `plugin_timeout`.
pub async fn run(
    options: &Options,
    config: Option<Kubeconfig>,
    payload: Option<&Payload>,
    plugin_timeout: Duration,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, Error> {
    let names = kubeconfig::contexts(config.as_ref(), &options.contexts)?;
    let timeout = (!options.request_timeout.is_zero()).then_some(options.request_timeout);
    let mut contexts = Vec::new();
    for name in names {
        contexts.push(connect(config.as_ref(), &name, timeout, plugin_timeout, options).await);
    }
    let targets = match &options.pinned {
        Some(pinned) => pinned.targets(),
        None => kubeconfig::pair(&names_of(&contexts), &options.namespaces, |c| {
            contexts
                .iter()
                .find(|x| x.name == c)
                .map(|x| x.default_namespace.clone())
                .unwrap_or_else(|| "default".into())
        }),
    };
    let job = Job {
        options,
        payload,
        timeout,
        server_dry_run: options.dry_run == Some(DryRun::Server),
        err: RefCell::new(err),
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
    while let Some(report) = reports.next().await {
        failed |= report.failed();
        touched_sa |= report.touched_service_account();
        for line in report.lines() {
            writeln!(out, "{line}")
                .and_then(|()| out.flush())
                .map_err(Error::Stdout)?;
        }
    }
    drop(reports);
    if touched_sa && !options.delete && !job.server_dry_run {
        messages::note(
            &mut *job.err.borrow_mut(),
            PUSH,
            format_args!(
                "only pods created from now on use the new imagePullSecrets; restart running ones (e.g. kubectl rollout restart deployment NAME) to use them"
            ),
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

/// Build the client of one context, running its exec plugin (once). A context where the
/// passwords could be read on the way gets no client unless `--insecure` says so; `--delete`
/// sends no password and is not checked.
async fn connect(
    config: Option<&Kubeconfig>,
    name: &str,
    timeout: Option<Duration>,
    plugin_timeout: Duration,
    options: &Options,
) -> Context {
    let exec_command = kubeconfig::exec_command(config, name);
    let ca_source = kubeconfig::ca_source(config, name);
    let loaded = match config {
        None => Config::incluster()
            .map_err(|e| Reason::Context(format!("in-cluster configuration: {e}"))),
        Some(kc) => Config::from_custom_kubeconfig(
            kc.clone(),
            &KubeConfigOptions {
                context: Some(name.to_owned()),
                ..KubeConfigOptions::default()
            },
        )
        .await
        .map_err(|e| {
            Reason::Context(format!(
                "context {name:?} in the kubeconfig: {}",
                describe(&e, exec_command.as_deref())
            ))
        }),
    };
    match loaded {
        Ok(mut cfg) => {
            cfg.connect_timeout = timeout;
            let server = cfg.cluster_url.to_string();
            let default_namespace = if name == IN_CLUSTER {
                cfg.default_namespace.clone()
            } else {
                kubeconfig::default_namespace(config, name)
            };
            // Not checked for --delete: it sends no password (and asks no listener).
            let exposure = (!options.delete)
                .then(|| {
                    kubeconfig::exposure(
                        &server,
                        cfg.cluster_url.scheme_str(),
                        cfg.cluster_url.host().unwrap_or_default(),
                        cfg.cluster_url.port_u16(),
                        cfg.accept_invalid_certs,
                        crate::push::listener::not_ours,
                    )
                })
                .flatten();
            let client = match &exposure {
                Some(e) if !options.insecure => Err(Reason::Context(format!(
                    "refused to send the registry passwords to context {name:?}: {}: {}, or pass --insecure to send them anyway",
                    e.why, e.fix
                ))),
                _ => exec::resolve(&mut cfg.auth_info, plugin_timeout)
                    .map_err(kube::Error::Auth)
                    .and_then(|()| Client::try_from(cfg))
                    .map_err(|e| {
                    Reason::Context(if auth_error(&e).is_some() {
                        format!(
                            "cannot get credentials for context {name:?}: {}: check the context's user (exec plugin, token or certificate)",
                            describe(&e, exec_command.as_deref())
                        )
                    } else {
                        format!(
                            "cannot set up a client for context {name:?} ({server}): {}",
                            chain(&e)
                        )
                    })
                }),
            };
            Context {
                name: name.to_owned(),
                server,
                client,
                default_namespace,
                exec_command,
                ca_source,
                exposure,
            }
        }
        Err(reason) => Context {
            name: name.to_owned(),
            server: String::new(),
            client: Err(reason),
            default_namespace: kubeconfig::default_namespace(config, name),
            exec_command,
            ca_source,
            exposure: None,
        },
    }
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
        let Some(limit) = self.timeout else {
            return fut.await.map_err(Failure::Kube);
        };
        match tokio::time::timeout(limit, fut).await {
            Ok(r) => r.map_err(Failure::Kube),
            Err(_) => Err(Failure::Timeout),
        }
    }

    async fn target(&self, ctx: &Context, t: &Target) -> TargetReport {
        let mut report = TargetReport {
            context: t.context.clone(),
            namespace: t.namespace.clone(),
            name: self.options.name.clone(),
            server_dry_run: self.server_dry_run,
            secret: Ok(report::SecretResult::Absent),
            accounts: Vec::new(),
        };
        let client = match &ctx.client {
            Ok(c) => c.clone(),
            Err(reason) => {
                report.secret = Err(match (self.payload, reason) {
                    (Some(p), Reason::Context(why)) => Reason::Context(p.scrub(why)),
                    _ => reason.clone(),
                });
                return report;
            }
        };
        if let Some(e) = &ctx.exposure {
            // Said before anything is sent.
            messages::warning(
                &mut *self.err.borrow_mut(),
                PUSH,
                format_args!(
                    "{}/{}/{}: sending the registry passwords anyway (--insecure): {}",
                    t.context,
                    t.namespace,
                    self.options.name,
                    crate::untrusted::line(&e.why, 1000)
                ),
            );
        }
        let secrets: Api<KubeSecret> = Api::namespaced(client.clone(), &t.namespace);
        report.secret = if self.options.delete {
            self.delete_secret(ctx, &t.namespace, &secrets).await
        } else {
            self.apply_secret(ctx, &t.namespace, &client, &secrets)
                .await
        };
        let follow = report
            .secret
            .as_ref()
            .is_ok_and(|r| r.accounts_follow(self.server_dry_run));
        if follow {
            let accounts: Api<ServiceAccount> = Api::namespaced(client, &t.namespace);
            for sa in &self.options.service_accounts {
                let result = self
                    .update_service_account(ctx, &t.namespace, &accounts, sa)
                    .await;
                report.accounts.push((sa.clone(), result));
            }
        }
        report
    }
}
