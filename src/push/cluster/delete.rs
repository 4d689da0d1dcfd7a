//! `push --delete`: remove what push wrote, and only that.

use super::report::{Reason, SecretResult};
use super::{Context, Job, is_ours};
use crate::push::FIELD_MANAGER;
use crate::push::pull_secret::{
    self, DATA_KEY, MANAGED_BY_LABEL, REGISTRIES_ANNOTATION, annotated_registries,
};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret as KubeSecret;
use kube::api::{Api, PostParams};
use zeroize::Zeroize;

impl Job<'_> {
    /// `--delete`: remove what push wrote, only from a Secret carrying our label. A secret that
    /// also holds registries push did not write (adopted, or added by hand) keeps them: only
    /// ours and our label and annotation go, and the service accounts keep referring to it.
    pub(super) async fn delete_secret(
        &self,
        ctx: &Context,
        ns: &str,
        secrets: &Api<KubeSecret>,
    ) -> Result<SecretResult, Reason> {
        let name = &self.options.name;
        let existing = self
            .call(secrets.get_opt(name))
            .await
            .map_err(|f| self.explain(ctx, ns, "reading the secret", &f))?;
        let Some(existing) = existing else {
            return Ok(SecretResult::Absent);
        };
        if !is_ours(&existing) {
            return Err(Reason::NotMadeByPush { name: name.clone() });
        }
        // Without our annotation (an older push) or with a .dockerconfigjson nothing can be
        // told apart in, everything in the secret is ours.
        let data = existing.data.as_ref().and_then(|d| d.get(DATA_KEY));
        let stripped = match (annotated_registries(&existing), data) {
            (Some(listed), Some(bytes)) => {
                let nothing = crate::Secret::new(br#"{"auths":{}}"#.to_vec());
                pull_secret::merge(&bytes.0, &nothing, |k| listed.iter().any(|l| l == k)).ok()
            }
            _ => None,
        };
        if let Some(m) = stripped.filter(|m| !m.kept.is_empty()) {
            // Wiped when dropped, like every manifest we send.
            let mut left = pull_secret::Manifest(existing.clone());
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
                Ok(_) => Ok(SecretResult::Stripped {
                    kept: m.kept,
                    removed: m.removed,
                }),
                Err(f) if f.is_not_found() => Ok(SecretResult::Absent),
                Err(f) if f.is_conflict() => {
                    Err(Reason::ChangedWhileRemoving { name: name.clone() })
                }
                Err(f) => {
                    Err(self.explain(ctx, ns, "removing push's registries from the secret", &f))
                }
            };
        }
        let dp = self.delete_exactly(&existing);
        match self.call(secrets.delete(name, &dp)).await {
            Ok(_) => Ok(SecretResult::Deleted),
            Err(f) if f.is_not_found() => Ok(SecretResult::Absent),
            Err(f) => Err(self.explain(ctx, ns, "deleting the secret", &f)),
        }
    }
}
