//! A rule push (`-A`, `--namespace-selector`) per context: its namespaces from one list, and
//! what is already there from one list of our Secrets across namespaces (and one of the
//! service accounts): a target already as push would write it costs no request, so a `sync`
//! where nothing changed makes a handful of requests per context, however many namespaces.

use super::explain::Failure;
use super::report::{Reason, Registries, SecretResult};
use super::{Context, Job};
use crate::push::namespaces::{Rule, covered};
use crate::push::pull_secret::{MANAGED_BY, MANAGED_BY_LABEL, SECRET_TYPE};
use k8s_openapi::api::core::v1::{Namespace, Secret as KubeSecret, ServiceAccount};
use kube::Client;
use kube::api::{Api, ListParams};
use std::collections::{BTreeMap, HashMap, HashSet};

/// What one context already holds, read with one list per resource.
#[derive(Debug, Default)]
pub(super) struct Known {
    /// Our Secrets of this name, by namespace.
    pub(super) secrets: HashMap<String, KubeSecret>,
    /// (namespace, service account) already listing the Secret; None: not read.
    pub(super) referencing: Option<HashSet<(String, String)>>,
}

impl Job<'_> {
    /// The namespaces `rule` covers in `ctx`, from one list.
    pub(super) async fn rule_namespaces(
        &self,
        ctx: &Context,
        client: &Client,
        rule: &Rule,
    ) -> Result<Vec<String>, Reason> {
        let api: Api<Namespace> = Api::all(client.clone());
        let mut lp = ListParams::default();
        if let Some(s) = rule.label_selector() {
            lp = lp.labels(&s);
        }
        match self.call(api.list(&lp)).await {
            Ok(list) => Ok(covered(
                rule,
                &list.items,
                &self.options.excluded_namespaces,
            )),
            Err(f) if f.code() == Some(403) && f.is_status() => Err(Reason::Context(format!(
                "forbidden to list namespaces in context {:?}: -A and --namespace-selector need RBAC list on namespaces (cluster-wide); name the namespaces with -n instead",
                ctx.name
            ))),
            Err(f) => Err(self.explain(ctx, "*", "listing the namespaces", &f)),
        }
    }

    /// Our Secrets (and the service accounts' references) across namespaces, or None when
    /// that cannot be listed (then every target is read on its own, said once).
    pub(super) async fn survey(&self, ctx: &Context, client: &Client) -> Option<Known> {
        let name = &self.options.name;
        let secrets: Api<KubeSecret> = Api::all(client.clone());
        let lp = ListParams::default()
            .labels(&format!("{MANAGED_BY_LABEL}={MANAGED_BY}"))
            .fields(&format!("metadata.name={name}"));
        let fallback = |f: &Failure, what: &str| {
            let why = if f.code() == Some(403) {
                "forbidden".to_owned()
            } else {
                crate::untrusted::line(&self.explain(ctx, "*", what, f).to_string(), 500)
            };
            let _ = writeln!(
                self.err.borrow_mut(),
                "{}: push: note: context {}: cannot list {what} across namespaces ({why}): reading each namespace instead",
                crate::BINARY_NAME,
                crate::untrusted::line(&ctx.name, 256),
            );
        };
        let list = match self.call(secrets.list(&lp)).await {
            Ok(l) => l,
            Err(f) => {
                fallback(&f, "secrets");
                return None;
            }
        };
        let mut known = Known::default();
        for s in list.items {
            if let Some(ns) = s.metadata.namespace.clone() {
                known.secrets.insert(ns, s);
            }
        }
        if !self.options.service_accounts.is_empty() {
            let accounts: Api<ServiceAccount> = Api::all(client.clone());
            let mut lp = ListParams::default();
            if let [only] = &self.options.service_accounts[..] {
                lp = lp.fields(&format!("metadata.name={only}"));
            }
            match self.call(accounts.list(&lp)).await {
                Ok(list) => {
                    let mut refs = HashSet::new();
                    for sa in list.items {
                        let listed = sa
                            .image_pull_secrets
                            .iter()
                            .flatten()
                            .any(|r| &r.name == name);
                        if let (true, Some(ns), Some(n)) =
                            (listed, sa.metadata.namespace, sa.metadata.name)
                        {
                            refs.insert((ns, n));
                        }
                    }
                    known.referencing = Some(refs);
                }
                Err(f) => fallback(&f, "service accounts"),
            }
        }
        Some(known)
    }

    /// The target's result without a request, when what is there is what push would write.
    pub(super) fn already(&self, known: &Known, ns: &str) -> Option<SecretResult> {
        let payload = self.payload?;
        if self.options.delete || self.options.adopt || self.server_dry_run {
            return None;
        }
        let existing = known.secrets.get(ns)?;
        let wanted = payload.manifest(&self.options.name, Some(ns));
        let subset = |want: &Option<BTreeMap<String, String>>,
                      have: &Option<BTreeMap<String, String>>| {
            want.iter()
                .flatten()
                .all(|(k, v)| have.as_ref().and_then(|h| h.get(k)) == Some(v))
        };
        let same = existing.metadata.deletion_timestamp.is_none()
            && existing.type_.as_deref() == Some(SECRET_TYPE)
            && existing.data == wanted.0.data
            && subset(&wanted.0.metadata.labels, &existing.metadata.labels)
            && subset(
                &wanted.0.metadata.annotations,
                &existing.metadata.annotations,
            );
        if !same {
            return None;
        }
        Some(SecretResult::Unchanged {
            registries: Registries::default(),
        })
    }

    /// Whether the survey saw `sa` in `ns` already listing the Secret.
    pub(super) fn account_known(&self, known: &Known, ns: &str, sa: &str) -> bool {
        !self.options.delete
            && known
                .referencing
                .as_ref()
                .is_some_and(|r| r.contains(&(ns.to_owned(), sa.to_owned())))
    }
}
