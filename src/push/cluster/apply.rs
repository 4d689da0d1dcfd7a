//! Writing the Secret: server-side apply, onto what was read, only into a Secret push made
//! (or adopts), recreated when its type or immutability says so.

use super::explain::Failure;
use super::report::{Reason, Registries, SecretResult};
use super::{Context, Job, is_ours};
use crate::push::FIELD_MANAGER;
use crate::push::pull_secret::{
    DATA_KEY, MANAGED_BY, MergeError, SECRET_TYPE, annotated_registries,
};
use k8s_openapi::api::core::v1::{Namespace, Secret as KubeSecret};
use kube::Client;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};

impl Job<'_> {
    /// Server-side apply of the Secret, and what happened to it. A secret of this name that push did not make is changed
    /// only with `--adopt`, and then merged into, never overwritten.
    pub(super) async fn apply_secret(
        &self,
        ctx: &Context,
        ns: &str,
        client: &Client,
        secrets: &Api<KubeSecret>,
    ) -> Result<SecretResult, Reason> {
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
        let mut registries = Registries::default();
        if let Some(existing) = &before {
            let ours = is_ours(existing);
            let type_ = existing.type_.as_deref().unwrap_or("Opaque");
            let other_type = type_ != SECRET_TYPE;
            // As the server says it: quoted in a reason only as one clean bounded line.
            let type_ = crate::untrusted::line(type_, 100);
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
                        registries = Registries {
                            kept: m.kept,
                            removed: m.removed,
                        };
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
                let deleted = self
                    .call(secrets.delete(name, &dp))
                    .await
                    .map_err(|f| explain("deleting the secret to recreate it", &f))?;
                if deleted.is_left() && !self.server_dry_run {
                    // Answered with the object: it has finalizers and stays, terminating,
                    // until they are done. Applying now would write into the old one.
                    self.wait_until_gone(ctx, ns, secrets, existing.metadata.uid.as_deref())
                        .await?;
                }
                recreated = true;
                manifest.0.metadata.resource_version = None;
                if self.server_dry_run {
                    // The server kept it: applying now would meet the same 422.
                    return Ok(if adopted {
                        SecretResult::Adopted {
                            recreated,
                            registries,
                        }
                    } else {
                        SecretResult::Updated {
                            recreated,
                            registries,
                        }
                    });
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
                    return Ok(SecretResult::Created {
                        in_new_namespace: true,
                    });
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
        Ok(match &before {
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
                    same_content(b, &after)
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
        })
    }
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
                return Err(format!(
                    "secret {name} is still being deleted after {}s (finalizers another controller must remove): push again once it is gone",
                    limit.as_secs()
                ));
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
