//! Writing the Secret: server-side apply, onto what was read, only into a Secret push made
//! (or adopts), recreated when its type or immutability says so: [`Job::apply_secret`] in
//! steps (read, ownership, merge, recreate, apply, undo), each failure a [`Reason`].

use super::explain::Failure;
use super::report::{Reason, Registries, SecretResult};
use super::{Context, Job, is_ours};
use crate::push::FIELD_MANAGER;
use crate::push::pull_secret::{DATA_KEY, Manifest, MergeError, SECRET_TYPE, annotated_registries};
use k8s_openapi::api::core::v1::{Namespace, Secret as KubeSecret};
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};

/// What the read found and the steps before the apply decided: the state handed from one step
/// of [`Job::apply_secret`] to the next.
struct Plan {
    /// The Secret to apply (wiped when dropped).
    manifest: Manifest,
    /// The Secret as read; `None` when absent or deleted to be recreated.
    before: Option<KubeSecret>,
    /// Deleted to be made again (its type or immutability forbade an update).
    recreated: bool,
    /// Someone else's, taken over with `--adopt`.
    adopted: bool,
    /// What the merge kept of the existing Secret's registries, and dropped.
    registries: Registries,
}

impl Job<'_> {
    /// Server-side apply of the Secret, and what happened to it. A secret of this name that
    /// push did not make is changed only with `--adopt`, and then merged into, never
    /// overwritten. The steps: read, ownership, merge, recreate, apply, undo.
    pub(super) async fn apply_secret(
        &self,
        ctx: &Context,
        ns: &str,
        client: &Client,
        secrets: &Api<KubeSecret>,
        surveyed: Option<KubeSecret>,
    ) -> Result<SecretResult, Reason> {
        let payload = self.payload.expect("apply has a payload");
        let name = &self.options.name;
        // A Secret of ours the survey just listed needs no second read (the apply is made onto
        // its resourceVersion: a change meanwhile is a 409, never lost).
        let before = match surveyed {
            Some(s) => Some(s),
            None => self.read(ctx, ns, secrets).await?,
        };
        let mut plan = Plan {
            manifest: payload.manifest(name, Some(ns)),
            before: None,
            recreated: false,
            adopted: false,
            registries: Registries::default(),
        };
        if let Some(existing) = before {
            let ours = self.ownership(&existing)?;
            self.merge(&mut plan, ns, &existing, ours)?;
            plan.adopted = !ours;
            // Apply only onto what was read: a change made meanwhile (a registry added by
            // hand, the label removed) is not lost (409).
            plan.manifest.0.metadata.resource_version = existing.metadata.resource_version.clone();
            plan.before = Some(existing);
            if let Some(result) = self.recreate(ctx, ns, secrets, &mut plan).await? {
                return Ok(result);
            }
        }
        let after = match self.apply(ctx, ns, client, secrets, &plan).await? {
            Applied::Secret(after) => after,
            Applied::DryRunInNewNamespace => {
                return Ok(SecretResult::Created {
                    in_new_namespace: true,
                });
            }
        };
        let creating = plan.before.is_none();
        if creating && !self.server_dry_run && made_by_others(&after) {
            return Err(self.undo(ctx, ns, secrets).await);
        }
        Ok(self.outcome(plan, &after))
    }

    /// Read the Secret. Whose it is decides what may happen to it: a role that may not read it
    /// gets nothing written (a blind apply could take over someone else's secret).
    async fn read(
        &self,
        ctx: &Context,
        ns: &str,
        secrets: &Api<KubeSecret>,
    ) -> Result<Option<KubeSecret>, Reason> {
        self.call(secrets.get_opt(&self.options.name))
            .await
            .map_err(|f| self.explain(ctx, ns, "reading the secret to check that push made it", &f))
    }

    /// Whether an existing Secret is push's; someone else's is refused without `--adopt`.
    fn ownership(&self, existing: &KubeSecret) -> Result<bool, Reason> {
        let ours = is_ours(existing);
        if !ours && !self.options.adopt {
            return Err(Reason::NotOurs {
                name: self.options.name.clone(),
                type_: other_type(existing),
            });
        }
        Ok(ours)
    }

    /// Merge push's registries into an existing Secret. Which of its registries push wrote
    /// (and may drop): those our annotation lists; all of them in a secret of ours without it
    /// (made before it existed); none with --adopt, which keeps everything this push does not
    /// write.
    fn merge(
        &self,
        plan: &mut Plan,
        ns: &str,
        existing: &KubeSecret,
        ours: bool,
    ) -> Result<(), Reason> {
        let payload = self.payload.expect("apply has a payload");
        let name = &self.options.name;
        let listed = annotated_registries(existing);
        if ours && !self.options.adopt && listed.is_none() {
            return Ok(());
        }
        let theirs = existing
            .data
            .as_ref()
            .and_then(|d| d.get(DATA_KEY))
            .map_or(&b"{}"[..], |b| b.0.as_slice());
        let listed = listed.unwrap_or_default();
        let pushed_before = |key: &str| !self.options.adopt && listed.iter().any(|k| k == key);
        match payload.merged_manifest(name, ns, theirs, pushed_before) {
            Ok((merged, m)) => {
                plan.manifest = merged;
                plan.registries = Registries {
                    kept: m.kept,
                    removed: m.removed,
                };
                Ok(())
            }
            // Ours, and nothing in it can be told apart as someone else's: the label says it
            // is ours, so it is written as push's.
            Err(MergeError::NotDockerConfig) if ours && !self.options.adopt => Ok(()),
            Err(MergeError::NotDockerConfig) => Err(Reason::NotDockerConfig { name: name.clone() }),
            Err(MergeError::Refused(r)) => Err(Reason::Refused(r)),
        }
    }

    /// Delete the Secret to make it again when its type or immutability forbids an update
    /// (only with `--replace`). `Some` result: a server dry run, which ends here (the server
    /// kept it: applying now would meet the same 422).
    async fn recreate(
        &self,
        ctx: &Context,
        ns: &str,
        secrets: &Api<KubeSecret>,
        plan: &mut Plan,
    ) -> Result<Option<SecretResult>, Reason> {
        let name = &self.options.name;
        let existing = plan.before.as_ref().expect("recreate follows a read");
        let type_ = other_type(existing);
        let immutable = existing.immutable == Some(true) && existing.data != plan.manifest.0.data;
        if type_.is_none() && !immutable {
            return Ok(None);
        }
        if !self.options.replace {
            return Err(Reason::NeedsReplace {
                name: name.clone(),
                type_,
            });
        }
        let dp = self.delete_exactly(existing);
        let deleted = self
            .call(secrets.delete(name, &dp))
            .await
            .map_err(|f| self.explain(ctx, ns, "deleting the secret to recreate it", &f))?;
        if deleted.is_left() && !self.server_dry_run {
            // Answered with the object: it has finalizers and stays, terminating, until they
            // are done. Applying now would write into the old one.
            self.wait_until_gone(ctx, ns, secrets, existing.metadata.uid.as_deref())
                .await?;
        }
        plan.recreated = true;
        plan.manifest.0.metadata.resource_version = None;
        if self.server_dry_run {
            let registries = std::mem::take(&mut plan.registries);
            return Ok(Some(if plan.adopted {
                SecretResult::Adopted {
                    recreated: true,
                    registries,
                }
            } else {
                SecretResult::Updated {
                    recreated: true,
                    registries,
                }
            }));
        }
        plan.before = None;
        Ok(None)
    }

    /// The server-side apply (creating the namespace first with `--create-namespace`). A secret
    /// read as absent is created without force: if someone else creates one of this name
    /// meanwhile, its fields owned by another manager make the apply fail with 409 Conflict
    /// instead of being taken over. An existing one of ours is applied with force (fields
    /// someone changed by hand are taken back).
    async fn apply(
        &self,
        ctx: &Context,
        ns: &str,
        client: &Client,
        secrets: &Api<KubeSecret>,
        plan: &Plan,
    ) -> Result<Applied, Reason> {
        let name = &self.options.name;
        let creating = plan.before.is_none();
        let mut params = PatchParams::apply(FIELD_MANAGER);
        if !creating {
            params = params.force();
        }
        params.dry_run = self.server_dry_run;
        let patch = Patch::Apply(&plan.manifest.0);
        let apply = || self.call(secrets.patch(name, &params, &patch));
        let failed = |f: Failure| {
            if f.is_conflict() && creating {
                Reason::AppearedWhileCreating { name: name.clone() }
            } else if f.is_conflict() && plan.manifest.0.metadata.resource_version.is_some() {
                Reason::ChangedWhileMerging { name: name.clone() }
            } else {
                self.explain(ctx, ns, "applying the secret", &f)
            }
        };
        match apply().await {
            Ok(s) => Ok(Applied::Secret(Box::new(s))),
            Err(f) if f.is_namespace_missing() && self.options.create_namespace => {
                self.create_namespace(ctx, ns, client).await?;
                if self.server_dry_run {
                    return Ok(Applied::DryRunInNewNamespace);
                }
                apply()
                    .await
                    .map(|s| Applied::Secret(Box::new(s)))
                    .map_err(failed)
            }
            Err(f) => Err(failed(f)),
        }
    }

    /// `--create-namespace`: the namespace, made now (one created meanwhile is fine).
    async fn create_namespace(
        &self,
        ctx: &Context,
        ns: &str,
        client: &Client,
    ) -> Result<(), Reason> {
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
            Ok(_) => Ok(()),
            Err(f) if f.code() == Some(409) && f.is_status() => Ok(()), // created meanwhile
            Err(f) => Err(self.explain(ctx, ns, "creating the namespace", &f)),
        }
    }

    /// A creating apply met a Secret someone made meanwhile with nothing that conflicts with
    /// ours (the same content). Take back what this apply added (our label and annotation;
    /// what they own too stays) by applying nothing as our manager.
    async fn undo(&self, ctx: &Context, ns: &str, secrets: &Api<KubeSecret>) -> Reason {
        let name = &self.options.name;
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
        Reason::AppearedWithSameContent {
            name: name.clone(),
            undo_failed: undone
                .err()
                .map(|f| Box::new(self.explain(ctx, ns, "removing push's label", &f))),
        }
    }

    /// What happened to the Secret, from the plan and the applied object.
    fn outcome(&self, plan: Plan, after: &KubeSecret) -> SecretResult {
        let Plan {
            before,
            recreated,
            adopted,
            registries,
            ..
        } = plan;
        match &before {
            _ if adopted => SecretResult::Adopted {
                recreated,
                registries,
            },
            _ if recreated => SecretResult::Updated {
                recreated,
                registries,
            },
            None => SecretResult::Created {
                in_new_namespace: false,
            },
            Some(b) => {
                let unchanged = if self.server_dry_run {
                    same_content(b, after)
                } else {
                    b.metadata.resource_version.is_some()
                        && b.metadata.resource_version == after.metadata.resource_version
                };
                if unchanged {
                    SecretResult::Unchanged { registries }
                } else {
                    SecretResult::Updated {
                        recreated: false,
                        registries,
                    }
                }
            }
        }
    }
}

/// What the apply step answered.
enum Applied {
    /// The Secret as the server now has it.
    Secret(Box<KubeSecret>),
    /// A server dry run in a namespace it would create: nothing to apply into.
    DryRunInNewNamespace,
}

/// The type of an existing Secret when it is not a pull secret's: as the server says it, one
/// clean bounded line (it is quoted in a reason).
fn other_type(existing: &KubeSecret) -> Option<String> {
    let type_ = existing.type_.as_deref().unwrap_or("Opaque");
    (type_ != SECRET_TYPE).then(|| crate::untrusted::line(type_, 100))
}

impl Job<'_> {
    /// After a graceful delete: wait (at most the request timeout) until the Secret whose uid
    /// was `uid` is gone.
    async fn wait_until_gone(
        &self,
        ctx: &Context,
        ns: &str,
        secrets: &Api<KubeSecret>,
        uid: Option<&str>,
    ) -> Result<(), Reason> {
        let name = &self.options.name;
        // Finalizers are no request: with no request timeout (0), still give up after 30 s.
        let limit = self.timeout.unwrap_or(std::time::Duration::from_secs(30));
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let now = self
                .call(secrets.get_opt(name))
                .await
                .map_err(|f| self.explain(ctx, ns, "waiting for the deleted secret to go", &f))?;
            match now {
                Some(s) if s.metadata.uid.as_deref() == uid => {}
                // Gone, or made again by someone else (the apply then meets it as theirs).
                _ => return Ok(()),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Reason::StillDeleting {
                    name: name.clone(),
                    secs: limit.as_secs(),
                });
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
}

/// Whether another field manager owns part of `secret`: one push just created has only ours.
fn made_by_others(secret: &KubeSecret) -> bool {
    secret.metadata.managed_fields.as_ref().is_some_and(|m| {
        m.iter()
            .any(|e| e.manager.as_deref() != Some(FIELD_MANAGER))
    })
}

fn same_content(a: &KubeSecret, b: &KubeSecret) -> bool {
    a.data == b.data
        && a.type_ == b.type_
        && a.metadata.labels == b.metadata.labels
        && a.metadata.annotations == b.metadata.annotations
}
