//! Pods, as far as `status` reads them: seeded with a phase and container statuses (there is
//! no scheduler or kubelet here), listed in a namespace or across all of them, and selected by
//! the pod fields the real server indexes (`status.phase`, `spec.nodeName`,
//! `spec.serviceAccountName`).

use crate::ApiServer;
use serde_json::{Value, json};

/// A pod to seed: one container running `image`, waiting with `waiting` (`ErrImagePull`,
/// `ImagePullBackOff`) or running when None.
#[derive(Debug, Clone)]
pub struct PodSeed {
    pub namespace: String,
    pub name: String,
    pub image: String,
    pub waiting: Option<String>,
    /// `spec.imagePullSecrets`.
    pub image_pull_secrets: Vec<String>,
    /// `spec.serviceAccountName` (the server defaults it to `default`).
    pub service_account: String,
    /// Owned by a ReplicaSet (so deleting it is how one restarts it).
    pub owned: bool,
}

impl PodSeed {
    pub fn new(namespace: &str, name: &str, image: &str) -> PodSeed {
        PodSeed {
            namespace: namespace.into(),
            name: name.into(),
            image: image.into(),
            waiting: Some("ErrImagePull".into()),
            image_pull_secrets: Vec::new(),
            service_account: "default".into(),
            owned: true,
        }
    }

    /// The object, as the server would hold it after the kubelet reported on it.
    pub fn to_json(&self) -> Value {
        let (phase, state) = match &self.waiting {
            Some(reason) => (
                "Pending",
                json!({"waiting": {"reason": reason, "message": format!("Back-off pulling image \"{}\"", self.image)}}),
            ),
            None => (
                "Running",
                json!({"running": {"startedAt": crate::state::now()}}),
            ),
        };
        let mut metadata = json!({"name": self.name, "namespace": self.namespace});
        if self.owned {
            metadata["ownerReferences"] = json!([{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{}-rs", self.name),
                "uid": "00000000-0000-4000-8000-000000000001", "controller": true
            }]);
        }
        let pull_secrets: Vec<Value> = self
            .image_pull_secrets
            .iter()
            .map(|n| json!({"name": n}))
            .collect();
        let mut spec = json!({
            "serviceAccountName": self.service_account,
            "containers": [{"name": "app", "image": self.image}],
        });
        if !pull_secrets.is_empty() {
            spec["imagePullSecrets"] = json!(pull_secrets);
        }
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": metadata,
            "spec": spec,
            "status": {
                "phase": phase,
                "containerStatuses": [{
                    "name": "app", "image": self.image, "imageID": "", "ready": false,
                    "restartCount": 0, "started": false, "state": state
                }]
            }
        })
    }
}

impl ApiServer {
    /// Seed a pod (its namespace must exist).
    pub fn seed_pod(&self, pod: &PodSeed) -> Value {
        self.seed(pod.to_json())
    }
}

/// A pod field the server can select on (None for any other field or object).
pub(crate) fn field<'a>(obj: &'a Value, name: &str) -> Option<&'a str> {
    if obj["kind"].as_str() != Some("Pod") {
        return None;
    }
    match name {
        "status.phase" => obj["status"]["phase"].as_str(),
        "spec.nodeName" => obj["spec"]["nodeName"].as_str().or(Some("")),
        "spec.serviceAccountName" => obj["spec"]["serviceAccountName"].as_str(),
        _ => None,
    }
}
