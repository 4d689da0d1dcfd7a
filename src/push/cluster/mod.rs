//! The cluster side of `push`: one kube client per context, the Secret applied server-side to
//! every target concurrently (bounded), service accounts updated with optimistic concurrency,
//! and every API error turned into a line a person can act on.

mod apply;
mod delete;
mod exec;
pub(crate) mod explain;
mod reason;
mod report;
mod scope;
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
use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

/// Targets worked on at once.
pub const CONCURRENCY: usize = 8;

/// One context's connection, or why there is none (also how `status` reaches a context).
pub(crate) struct Context {
    pub(crate) name: String,
    pub(crate) server: String,
    pub(crate) client: Result<Client, Reason>,
    pub(crate) default_namespace: String,
    /// The command of the context's exec credential plugin, named when it fails.
    pub(crate) exec_command: Option<String>,
    /// Where the CA that should sign the server's certificate comes from, named when the
    /// certificate is refused.
    pub(crate) ca_source: String,
    /// Why the registry passwords could be read on the way to this cluster, when the user
    /// sends them anyway (`--insecure`): warned about per target.
    pub(crate) exposure: Option<kubeconfig::Exposure>,
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
    /// What each context of a rule push already holds (see [`scope`]).
    known: HashMap<String, scope::Known>,
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
    let mut job = Job {
        options,
        payload,
        timeout,
        server_dry_run: options.dry_run == Some(DryRun::Server),
        err: RefCell::new(err),
        known: HashMap::new(),
    };
    // A context whose rule cannot be resolved: its line, and no target there.
    let mut unresolved = Vec::new();
    let targets = match options.rule()? {
        Some(rule) => {
            let mut targets = Vec::new();
            for ctx in &contexts {
                let client = match &ctx.client {
                    Ok(c) => c.clone(),
                    Err(_) => {
                        // Said by the target, as for any push.
                        targets.push(Target {
                            context: ctx.name.clone(),
                            namespace: "*".into(),
                        });
                        continue;
                    }
                };
                match job.rule_namespaces(ctx, &client, &rule).await {
                    Ok(names) => {
                        if let Some(known) = job.survey(ctx, &client).await {
                            job.known.insert(ctx.name.clone(), known);
                        }
                        targets.extend(names.into_iter().map(|namespace| Target {
                            context: ctx.name.clone(),
                            namespace,
                        }));
                    }
                    Err(reason) => unresolved.push(report::TargetReport {
                        context: ctx.name.clone(),
                        namespace: "*".into(),
                        name: options.name.clone(),
                        server_dry_run: job.server_dry_run,
                        secret: Err(reason),
                        accounts: Vec::new(),
                    }),
                }
            }
            targets
        }
        None => match &options.pinned {
            Some(pinned) => pinned.targets(),
            None => kubeconfig::pair(&names_of(&contexts), &options.namespaces, |c| {
                contexts
                    .iter()
                    .find(|x| x.name == c)
                    .map(|x| x.default_namespace.clone())
                    .unwrap_or_else(|| "default".into())
            }),
        },
    };
    let mut targets = targets;
    if !options.only_targets.is_empty() {
        targets.retain(|t| options.only_targets.contains(t));
    }
    let mut failed = !unresolved.is_empty();
    for report in &unresolved {
        for line in report.lines() {
            writeln!(out, "{line}")
                .and_then(|()| out.flush())
                .map_err(Error::Stdout)?;
        }
    }
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

/// A client dry run's targets under a rule: each context's namespaces, listed (nothing else
/// is sent; no password, so no exposure check).
pub async fn rule_targets(
    options: &Options,
    config: Option<Kubeconfig>,
    plugin_timeout: Duration,
    err: &mut dyn Write,
) -> Result<Vec<Target>, Error> {
    let Some(rule) = options.rule()? else {
        return Ok(Vec::new());
    };
    let reading = Options {
        delete: true,
        ..options.clone()
    };
    let names = kubeconfig::contexts(config.as_ref(), &options.contexts)?;
    let timeout = (!options.request_timeout.is_zero()).then_some(options.request_timeout);
    let job = Job {
        options,
        payload: None,
        timeout,
        server_dry_run: false,
        err: RefCell::new(err),
        known: HashMap::new(),
    };
    let mut targets = Vec::new();
    for name in names {
        let ctx = connect(config.as_ref(), &name, timeout, plugin_timeout, &reading).await;
        let listed = match &ctx.client {
            Ok(client) => job.rule_namespaces(&ctx, client, &rule).await,
            Err(reason) => Err(reason.clone()),
        };
        let names = listed.map_err(|r| Error::RuleUnresolved(r.to_string()))?;
        targets.extend(names.into_iter().map(|namespace| Target {
            context: name.clone(),
            namespace,
        }));
    }
    Ok(targets)
}

/// A client of `context` that only reads (a watch): built as push builds its own, exec plugin
/// included; no password goes through it, so no exposure check.
pub async fn reader(
    config: Option<&Kubeconfig>,
    context: &str,
    timeout: Option<Duration>,
    plugin_timeout: Duration,
) -> Result<Client, String> {
    let reading = Options {
        delete: true,
        ..Options::default()
    };
    connect(config, context, timeout, plugin_timeout, &reading)
        .await
        .client
        .map_err(|r| r.to_string())
}

fn names_of(contexts: &[Context]) -> Vec<String> {
    contexts.iter().map(|c| c.name.clone()).collect()
}

/// Build the client of one context, running its exec plugin (once). A context where the
/// passwords could be read on the way gets no client unless `--insecure` says so; `--delete`
/// sends no password and is not checked.
pub(crate) async fn connect(
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
    /// A delete of `existing` as it was read and nothing else: a Secret replaced or changed
    /// meanwhile (another uid or resourceVersion) makes the server refuse it (409).
    fn delete_exactly(&self, existing: &KubeSecret) -> kube::api::DeleteParams {
        kube::api::DeleteParams {
            dry_run: self.server_dry_run,
            preconditions: Some(kube::api::Preconditions {
                uid: existing.metadata.uid.clone(),
                resource_version: existing.metadata.resource_version.clone(),
            }),
            ..kube::api::DeleteParams::default()
        }
    }

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
        // What a rule push's survey saw: a target already as push writes it costs nothing.
        let known = self.known.get(&t.context);
        let secrets: Api<KubeSecret> = Api::namespaced(client.clone(), &t.namespace);
        report.secret = match known.and_then(|k| self.already(k, &t.namespace)) {
            Some(result) => Ok(result),
            None if self.options.delete => self.delete_secret(ctx, &t.namespace, &secrets).await,
            None => {
                let surveyed = known.and_then(|k| k.secrets.get(&t.namespace).cloned());
                self.apply_secret(ctx, &t.namespace, &client, &secrets, surveyed)
                    .await
            }
        };
        let follow = report
            .secret
            .as_ref()
            .is_ok_and(|r| r.accounts_follow(self.server_dry_run));
        if follow {
            let accounts: Api<ServiceAccount> = Api::namespaced(client, &t.namespace);
            for sa in &self.options.service_accounts {
                if known.is_some_and(|k| self.account_known(k, &t.namespace, sa)) {
                    report
                        .accounts
                        .push((sa.clone(), Ok(report::AccountResult::Unchanged)));
                    continue;
                }
                let result = self
                    .update_service_account(ctx, &t.namespace, &accounts, sa)
                    .await;
                report.accounts.push((sa.clone(), result));
            }
        }
        report
    }
}
