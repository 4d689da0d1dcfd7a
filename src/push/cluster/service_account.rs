//! The Secret in a service account's imagePullSecrets: added or removed, every other entry
//! kept, with optimistic concurrency.

use super::report::{AccountResult, Reason};
use super::{Context, Job};
use crate::push::FIELD_MANAGER;
use k8s_openapi::api::core::v1::{LocalObjectReference, ServiceAccount};
use kube::api::{Api, PostParams};

/// Attempts of a service-account update that keeps meeting 409 Conflict.
const SA_ATTEMPTS: usize = 5;

impl Job<'_> {
    /// Add (or with `--delete` remove) our secret in `sa`'s imagePullSecrets, keeping every
    /// other entry: GET, change, PUT with the resourceVersion read, again on 409.
    pub(super) async fn update_service_account(
        &self,
        ctx: &Context,
        ns: &str,
        accounts: &Api<ServiceAccount>,
        sa: &str,
    ) -> Result<AccountResult, Reason> {
        let name = &self.options.name;
        let what = format!("updating service account {sa}");
        for _ in 0..SA_ATTEMPTS {
            let current = self
                .call(accounts.get_opt(sa))
                .await
                .map_err(|f| self.explain(ctx, ns, &what, &f))?;
            let Some(mut account) = current else {
                if self.options.delete {
                    return Ok(AccountResult::Unchanged);
                }
                return Err(Reason::NoServiceAccount {
                    account: sa.to_owned(),
                    namespace: ns.to_owned(),
                });
            };
            let list = account.image_pull_secrets.get_or_insert_with(Vec::new);
            let present = list.iter().any(|r| &r.name == name);
            if self.options.delete {
                if !present {
                    return Ok(AccountResult::Unchanged);
                }
                list.retain(|r| &r.name != name);
            } else {
                if present {
                    return Ok(AccountResult::Unchanged);
                }
                list.push(LocalObjectReference { name: name.clone() });
            }
            let pp = PostParams {
                dry_run: self.server_dry_run,
                field_manager: Some(FIELD_MANAGER.to_owned()),
            };
            match self.call(accounts.replace(sa, &pp, &account)).await {
                Ok(_) => return Ok(AccountResult::Updated),
                Err(f) if f.is_conflict() => continue,
                Err(f) => return Err(self.explain(ctx, ns, &what, &f)),
            }
        }
        Err(Reason::AccountKeptChanging {
            account: sa.to_owned(),
            attempts: SA_ATTEMPTS,
        })
    }
}
