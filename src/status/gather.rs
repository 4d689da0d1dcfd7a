//! Which contexts and namespaces `status` looks at, and the three lists it reads from each.

use super::{Error, Options};
use crate::push::cluster::explain::transport;
use crate::push::cluster::{Context, connect};
use crate::push::kubeconfig;
use crate::push::namespaces::Rule;
use crate::push::pull_secret::{MANAGED_BY, MANAGED_BY_LABEL};
use crate::sync::saved::SavedPush;
use crate::untrusted::line;
use k8s_openapi::api::core::v1::{Namespace, Pod, Secret as KubeSecret, ServiceAccount};
use kube::api::{Api, ListParams, ObjectList};
use kube::config::Kubeconfig;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Where to look.
pub(super) struct Plan {
    pub groups: Vec<Group>,
    /// Saved pushes that cannot be looked at (not pinned, kubeconfig gone, re-aimed context).
    pub errors: Vec<String>,
}

/// Contexts read from the same kubeconfig files.
pub(super) struct Group {
    pub config: Option<Kubeconfig>,
    /// `--kubeconfig PATH` for the fix commands, when these files are not the default ones.
    pub kubeconfig_flag: Option<PathBuf>,
    pub scopes: Vec<Scope>,
}

/// One context and what is looked at in it.
pub(super) struct Scope {
    pub context: String,
    /// The namespaces shown (None: all).
    pub namespaces: Option<Vec<String>>,
    /// Read one by one where a list across all namespaces is forbidden.
    pub fallback: Vec<String>,
    /// Pods are looked at everywhere in scope (else only where our Secrets are expected or
    /// found).
    pub all_pods: bool,
    /// The Secrets saved pushes write here: (namespace, name, saved push id).
    pub expected: Vec<(String, String, u64)>,
    /// Saved pushes here whose namespaces are a rule (`-A`, a selector): resolved against the
    /// namespace list, read only when there is one.
    pub rules: Vec<RuleTarget>,
}

/// A saved push's rule in one context.
pub(super) struct RuleTarget {
    pub rule: Rule,
    pub excluded: Vec<String>,
    pub name: String,
    pub id: u64,
}

/// The rule of a saved push, when its namespaces are one.
fn rule_of(p: &SavedPush) -> Option<Rule> {
    match &p.namespace_selector {
        Some(s) => crate::push::selector::Selector::parse(s)
            .ok()
            .map(Rule::Selector),
        None => p.all_namespaces.then_some(Rule::All),
    }
}

fn rule_target(p: &SavedPush) -> Option<RuleTarget> {
    Some(RuleTarget {
        rule: rule_of(p)?,
        excluded: p.excluded_namespaces.clone(),
        name: p.name.clone(),
        id: p.id,
    })
}

impl Scope {
    pub fn shows(&self, namespace: &str) -> bool {
        self.namespaces
            .as_ref()
            .is_none_or(|n| n.iter().any(|x| x == namespace))
    }
}

/// What one context answered.
pub(super) struct Lists {
    pub secrets: Vec<KubeSecret>,
    pub accounts: Vec<ServiceAccount>,
    pub pods: Vec<Pod>,
    /// The Secrets the rules here expect: (namespace, name, saved push id).
    pub covered: Vec<(String, String, u64)>,
}

/// Every scope's answer (or why there is none), as `[group][scope]`.
pub(super) type Fetched = Vec<Vec<Result<Lists, String>>>;

/// The scope: the saved pushes' contexts by default, else the contexts and namespaces named
/// (of `--kubeconfig` when given).
pub(super) fn plan(options: &Options, saved: &[SavedPush]) -> Result<Plan, Error> {
    let named = !options.contexts.is_empty()
        || !options.namespaces.is_empty()
        || options.all_namespaces
        || options.kubeconfig.is_some();
    let mut plan = Plan {
        groups: Vec::new(),
        errors: Vec::new(),
    };
    if named || saved.is_empty() {
        let config = kubeconfig::load(options.kubeconfig.as_deref())?;
        kubeconfig::check_contexts(config.as_ref(), &options.contexts)?;
        let contexts = kubeconfig::contexts(config.as_ref(), &options.contexts)?;
        let mut scopes = Vec::new();
        for c in contexts {
            let namespaces = if options.all_namespaces {
                None
            } else if options.namespaces.is_empty() {
                Some(vec![kubeconfig::default_namespace(config.as_ref(), &c)])
            } else {
                Some(options.namespaces.clone())
            };
            let mut scope = Scope {
                context: c.clone(),
                fallback: namespaces.clone().unwrap_or_default(),
                namespaces,
                all_pods: true,
                expected: Vec::new(),
                rules: Vec::new(),
            };
            for p in saved {
                for pin in p.pinned.iter().flat_map(|x| &x.contexts) {
                    if pin.context != c {
                        continue;
                    }
                    scope.rules.extend(rule_target(p));
                    for ns in &pin.namespaces {
                        if scope.shows(ns) {
                            scope.expected.push((ns.clone(), p.name.clone(), p.id));
                        }
                    }
                }
            }
            scopes.push(scope);
        }
        plan.groups.push(Group {
            config,
            kubeconfig_flag: options.kubeconfig.clone(),
            scopes,
        });
        return Ok(plan);
    }
    // Each saved push where it was pinned; pushes pinned to the same files share a group.
    let mut by_files: Vec<(Vec<PathBuf>, Group)> = Vec::new();
    for p in saved {
        let Some(pinned) = &p.pinned else {
            plan.errors.push(format!(
                "saved push {} is not pinned to a cluster (saved by an older version): run its push again with --save",
                p.id
            ));
            continue;
        };
        let at = match by_files.iter().position(|(f, _)| *f == pinned.kubeconfig) {
            Some(at) => at,
            None => match kubeconfig::load_pinned(&pinned.kubeconfig) {
                Ok(config) => {
                    let flag = match pinned.kubeconfig.as_slice() {
                        [one] if pinned.kubeconfig != kubeconfig::files(None) => Some(one.clone()),
                        _ => None,
                    };
                    by_files.push((
                        pinned.kubeconfig.clone(),
                        Group {
                            config,
                            kubeconfig_flag: flag,
                            scopes: Vec::new(),
                        },
                    ));
                    by_files.len() - 1
                }
                Err(e) => {
                    plan.errors.push(format!("saved push {}: {e}", p.id));
                    continue;
                }
            },
        };
        let group = &mut by_files[at].1;
        let contexts: Vec<String> = pinned.contexts.iter().map(|c| c.context.clone()).collect();
        // Where a saved push now points elsewhere nothing is read for it (as sync refuses).
        if let Err(e) = kubeconfig::check_pinned(group.config.as_ref(), &contexts, pinned) {
            plan.errors.push(format!("saved push {}: {e}", p.id));
            continue;
        }
        for pin in &pinned.contexts {
            let scope = match group.scopes.iter().position(|s| s.context == pin.context) {
                Some(i) => &mut group.scopes[i],
                None => {
                    group.scopes.push(Scope {
                        context: pin.context.clone(),
                        namespaces: None,
                        fallback: Vec::new(),
                        all_pods: false,
                        expected: Vec::new(),
                        rules: Vec::new(),
                    });
                    group.scopes.last_mut().expect("just pushed")
                }
            };
            scope.rules.extend(rule_target(p));
            for ns in &pin.namespaces {
                if !scope.fallback.contains(ns) {
                    scope.fallback.push(ns.clone());
                }
                scope.expected.push((ns.clone(), p.name.clone(), p.id));
            }
        }
    }
    plan.groups = by_files.into_iter().map(|(_, g)| g).collect();
    Ok(plan)
}

/// Reach every context of `plan` (sequentially: exec plugins may prompt) and read its three
/// lists (every context at once).
pub(super) async fn fetch(
    plan: &Plan,
    options: &Options,
    plugin_timeout: Duration,
    err: &mut dyn Write,
) -> Fetched {
    let timeout = (!options.request_timeout.is_zero()).then_some(options.request_timeout);
    // push's connection rules: `insecure` as given, and Secrets (passwords) are what is read.
    let push_options = crate::push::Options {
        insecure: options.insecure,
        ..crate::push::Options::default()
    };
    let mut contexts = Vec::new();
    for group in &plan.groups {
        let mut row = Vec::new();
        for scope in &group.scopes {
            row.push(
                connect(
                    group.config.as_ref(),
                    &scope.context,
                    timeout,
                    plugin_timeout,
                    &push_options,
                )
                .await,
            );
        }
        contexts.push(row);
    }
    let mut work = Vec::new();
    for (g, group) in plan.groups.iter().enumerate() {
        for (s, scope) in group.scopes.iter().enumerate() {
            let ctx = &contexts[g][s];
            work.push(async move { read(ctx, scope, timeout).await });
        }
    }
    let results = futures::future::join_all(work).await;
    let mut out: Fetched = Vec::new();
    let mut results = results.into_iter();
    for group in &plan.groups {
        let mut row = Vec::new();
        for _ in &group.scopes {
            let (lists, notes) = results.next().expect("one result per scope");
            for n in notes {
                let _ = writeln!(err, "{}: status: {}", crate::BINARY_NAME, line(&n, 1000));
            }
            row.push(lists);
        }
        out.push(row);
    }
    out
}

/// A failed request.
enum Failure {
    Kube(kube::Error),
    Timeout,
}

impl Failure {
    fn forbidden(&self) -> bool {
        matches!(self, Failure::Kube(kube::Error::Api(s)) if s.code == 403)
    }
}

async fn call<T>(
    timeout: Option<Duration>,
    fut: impl std::future::Future<Output = kube::Result<T>>,
) -> Result<T, Failure> {
    match timeout {
        None => fut.await.map_err(Failure::Kube),
        Some(limit) => match tokio::time::timeout(limit, fut).await {
            Ok(r) => r.map_err(Failure::Kube),
            Err(_) => Err(Failure::Timeout),
        },
    }
}

/// One context's three lists, and the notes to say (a fallback to named namespaces).
async fn read(
    ctx: &Context,
    scope: &Scope,
    timeout: Option<Duration>,
) -> (Result<Lists, String>, Vec<String>) {
    let mut notes = Vec::new();
    let client = match (&ctx.client, &ctx.exposure) {
        // push's refusal, said for what status does: read the passwords.
        (Err(_), Some(e)) => {
            let refused = format!(
                "refused to read the pull Secrets of context {:?}: {}: {}, or pass --insecure to read them anyway",
                ctx.name, e.why, e.fix
            );
            return (Err(refused), notes);
        }
        (Err(reason), None) => return (Err(reason.to_string()), notes),
        (Ok(c), exposure) => {
            if let Some(e) = exposure {
                notes.push(format!(
                    "warning: context {:?}: reading the pull Secrets anyway (--insecure): {}",
                    ctx.name, e.why
                ));
            }
            c.clone()
        }
    };
    let ours = ListParams::default().labels(&format!("{MANAGED_BY_LABEL}={MANAGED_BY}"));
    let pending = ListParams::default().fields("status.phase=Pending");
    let plain = ListParams::default();
    let (secrets, accounts, pods) = futures::join!(
        list::<KubeSecret>(ctx, &client, scope, timeout, &ours, "secrets"),
        list::<ServiceAccount>(ctx, &client, scope, timeout, &plain, "service accounts"),
        list::<Pod>(ctx, &client, scope, timeout, &pending, "pods"),
    );
    let lists = (|| {
        let (secrets, a) = secrets?;
        let (accounts, b) = accounts?;
        let (pods, c) = pods?;
        let fell_back: Vec<String> = [a, b, c].into_iter().flatten().collect();
        if !fell_back.is_empty() {
            notes.push(format!(
                "context {:?}: not allowed to list {} in all namespaces: reading namespace{} {} one by one",
                ctx.name,
                fell_back.join(", "),
                if scope.fallback.len() == 1 { "" } else { "s" },
                scope.fallback.join(", ")
            ));
        }
        Ok(Lists {
            secrets,
            accounts,
            pods,
            covered: Vec::new(),
        })
    })();
    let lists = match lists {
        Ok(mut lists) if !scope.rules.is_empty() => {
            // One more list, only where a saved push's namespaces are a rule.
            let all: Api<Namespace> = Api::all(client.clone());
            match call(timeout, all.list(&ListParams::default())).await {
                Ok(ObjectList { items, .. }) => {
                    for r in &scope.rules {
                        let names = crate::push::namespaces::covered(&r.rule, &items, &r.excluded);
                        notes.push(format!(
                            "saved push {} ({}) covers {} namespace{} in context {:?}: {}",
                            r.id,
                            r.rule.describe(),
                            names.len(),
                            if names.len() == 1 { "" } else { "s" },
                            ctx.name,
                            names.join(", ")
                        ));
                        lists
                            .covered
                            .extend(names.into_iter().map(|ns| (ns, r.name.clone(), r.id)));
                    }
                }
                Err(_) => notes.push(format!(
                    "context {:?}: cannot list namespaces, so what a saved push's rule covers is not known (need RBAC list on namespaces)",
                    ctx.name
                )),
            }
            Ok(lists)
        }
        other => other,
    };
    (lists, notes)
}

/// One resource across all namespaces; where that is forbidden, in each fallback namespace
/// (then `what` comes back, for the context's one note).
async fn list<K>(
    ctx: &Context,
    client: &kube::Client,
    scope: &Scope,
    timeout: Option<Duration>,
    params: &ListParams,
    what: &str,
) -> Result<(Vec<K>, Option<String>), String>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    let all: Api<K> = Api::all(client.clone());
    let failure = match call(timeout, all.list(params)).await {
        Ok(ObjectList { items, .. }) => return Ok((items, None)),
        Err(f) => f,
    };
    let whole = format!("listing {what} in all namespaces");
    if !failure.forbidden() || scope.fallback.is_empty() {
        return Err(explain(ctx, &whole, &failure, timeout));
    }
    let mut items = Vec::new();
    for ns in &scope.fallback {
        let api: Api<K> = Api::namespaced(client.clone(), ns);
        match call(timeout, api.list(params)).await {
            Ok(l) => items.extend(l.items),
            Err(f) => {
                return Err(explain(
                    ctx,
                    &format!("listing {what} in namespace {ns}"),
                    &f,
                    timeout,
                ));
            }
        }
    }
    Ok((items, Some(what.to_owned())))
}

/// A failed list as one line naming what to do (as push says its failures).
fn explain(ctx: &Context, what: &str, f: &Failure, timeout: Option<Duration>) -> String {
    let name = &ctx.name;
    let server = &ctx.server;
    match f {
        Failure::Timeout => format!(
            "no answer from the API server {server} of context {name:?} within {}s while {what}: check that the cluster is up and reachable, or raise --request-timeout",
            timeout.unwrap_or_default().as_secs()
        ),
        Failure::Kube(kube::Error::Api(s)) => {
            let msg = line(&s.message, 300);
            match s.code {
                401 => format!(
                    "the API server {server} rejected the credentials of context {name:?} (401 Unauthorized): log in to the cluster again or renew the token (check with `kubectl --context {name} auth whoami`)"
                ),
                403 => format!(
                    "forbidden while {what} in context {name:?} ({msg}): the context's user needs RBAC list on secrets, serviceaccounts and pods (or name namespaces it may read with -n)"
                ),
                code => format!(
                    "the API server {server} of context {name:?} answered {code} while {what}: {msg}"
                ),
            }
        }
        Failure::Kube(e) => transport(ctx, what, e),
    }
}
