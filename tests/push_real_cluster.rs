//! Opt-in: `push` against a real cluster (kind, k3d, minikube, …). Runs only when
//! `DOCKER_CREDENTIAL_KEYRING_TEST_KUBECONFIG` (or its older name `PUSH_TEST_KUBECONFIG`) names
//! a kubeconfig whose current context may create namespaces; otherwise it prints, uncaptured,
//! that it was SKIPPED and tested nothing. Each test works in a namespace of its own, deleted at
//! the end:
//!
//! ```sh
//! kind create cluster --name dck && kind get kubeconfig --name dck > /tmp/dck.kubeconfig
//! DOCKER_CREDENTIAL_KEYRING_TEST_KUBECONFIG=/tmp/dck.kubeconfig \
//!     cargo test --test push_real_cluster -- --nocapture
//! ```

#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::Command;
use support::secret_service::{SecretServiceFixture, fixture};
use support::{Run, helper, store};

fn kubectl(kubeconfig: &Path, args: &[&str]) -> String {
    let out = Command::new("kubectl")
        .env("KUBECONFIG", kubeconfig)
        .args(args)
        .output()
        .expect("kubectl");
    assert!(out.status.success(), "kubectl {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Deletes the test namespace however the test ends.
struct Cleanup(PathBuf, String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = Command::new("kubectl")
            .env("KUBECONFIG", &self.0)
            .args(["delete", "namespace", &self.1, "--wait=false"])
            .output();
    }
}

/// The variable naming the kubeconfig of the cluster to test against.
const VAR: &str = "DOCKER_CREDENTIAL_KEYRING_TEST_KUBECONFIG";

/// The real cluster, a namespace of this test's own (deleted when dropped) and a keychain
/// holding two credentials.
struct Cluster {
    kubeconfig: PathBuf,
    ns: String,
    keyring: SecretServiceFixture,
    _cleanup: Cleanup,
}

impl Cluster {
    /// `None`, after saying so past the harness's capture, when no cluster is configured.
    fn new(test: &str, ns_suffix: &str) -> Option<Cluster> {
        let Some(kc) = std::env::var_os(VAR).or_else(|| std::env::var_os("PUSH_TEST_KUBECONFIG"))
        else {
            // Written past the test harness's capture, so every run shows that nothing was tested.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: {VAR} is not set, so no real cluster was tested \
                 (set it to a kind/k3d/minikube kubeconfig to run it)"
            );
            return None;
        };
        let kubeconfig = PathBuf::from(kc);
        assert!(
            kubeconfig.is_file(),
            "{VAR}={} is not a readable kubeconfig file",
            kubeconfig.display()
        );
        let ns = format!("dck-test-{}-{ns_suffix}", std::process::id());
        let cleanup = Cleanup(kubeconfig.clone(), ns.clone());
        let keyring = fixture();
        store(&keyring, "ghcr.io", "octo", "real-cluster-pw-1");
        store(
            &keyring,
            "https://index.docker.io/v1/",
            "hub",
            "real-cluster-pw-2",
        );
        Some(Cluster {
            kubeconfig,
            ns,
            keyring,
            _cleanup: cleanup,
        })
    }

    /// Like [`Cluster::new`], with `regcred` already pushed into a namespace push created.
    fn with_regcred(test: &str, ns_suffix: &str) -> Option<Cluster> {
        let c = Cluster::new(test, ns_suffix)?;
        let run = c.push(&["--create-namespace"]);
        assert!(
            run.ok().contains(&format!("/{}/regcred: created", c.ns)),
            "{run:?}"
        );
        Some(c)
    }

    fn kcs(&self) -> &str {
        self.kubeconfig.to_str().unwrap()
    }

    /// `push ghcr.io docker.io` into the test namespace, with `extra` arguments.
    fn push(&self, extra: &[&str]) -> Run {
        let mut args = vec![
            "push",
            "ghcr.io",
            "docker.io",
            "--kubeconfig",
            self.kcs(),
            "-n",
            &self.ns,
        ];
        args.extend_from_slice(extra);
        helper(&self.keyring, &args, "")
    }

    /// The service-account controller makes `default` shortly after the namespace.
    fn wait_for_default_service_account(&self) {
        let sa_exists = || {
            Command::new("kubectl")
                .env("KUBECONFIG", &self.kubeconfig)
                .args(["get", "serviceaccount", "default", "-n", &self.ns])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        let mut waited = 0;
        while !sa_exists() {
            waited += 1;
            assert!(
                waited < 60,
                "no default service account in {} after 60 s",
                self.ns
            );
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
}

/// Missing namespace: a clear failure, then created with --create-namespace.
#[test]
fn real_cluster_missing_namespace_fails_then_create_namespace_creates() {
    let Some(c) = Cluster::new(
        "real_cluster_missing_namespace_fails_then_create_namespace_creates",
        "ns",
    ) else {
        return;
    };
    let run = c.push(&[]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stdout.contains("--create-namespace"), "{run:?}");
    let run = c.push(&["--create-namespace"]);
    assert!(
        run.ok().contains(&format!("/{}/regcred: created", c.ns)),
        "{run:?}"
    );
}

#[test]
fn real_cluster_push_again_and_server_dry_run_are_unchanged() {
    let Some(c) = Cluster::with_regcred(
        "real_cluster_push_again_and_server_dry_run_are_unchanged",
        "again",
    ) else {
        return;
    };
    let run = c.push(&[]);
    assert!(run.ok().contains(": unchanged"), "{run:?}");
    let run = c.push(&["--dry-run=server"]);
    assert!(run.ok().contains(": unchanged (server dry run"), "{run:?}");
}

/// The kubelet's view: the right type and keys; server-side apply by our field manager, as
/// the fake in tests/push.rs assumes.
#[test]
fn real_cluster_secret_has_the_type_label_and_field_manager_push_expects() {
    let Some(c) = Cluster::with_regcred(
        "real_cluster_secret_has_the_type_label_and_field_manager_push_expects",
        "view",
    ) else {
        return;
    };
    let (kc, ns) = (c.kubeconfig.as_path(), c.ns.as_str());
    let secret = kubectl(kc, &["get", "secret", "regcred", "-n", ns, "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&secret).unwrap();
    assert_eq!(v["type"], "kubernetes.io/dockerconfigjson");
    assert_eq!(
        v["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "docker-credential-keyring"
    );
    let secret = kubectl(
        kc,
        &[
            "get",
            "secret",
            "regcred",
            "-n",
            ns,
            "-o",
            "json",
            "--show-managed-fields",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&secret).unwrap();
    let ours = v["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["manager"] == "docker-credential-keyring")
        .expect("push is a field manager of the secret");
    assert_eq!(ours["operation"], "Apply");
    assert!(
        ours["fieldsV1"]["f:data"]
            .get("f:.dockerconfigjson")
            .is_some()
    );
}

/// The default service account (made by the cluster) gets the reference once.
#[test]
fn real_cluster_default_service_account_gets_the_reference_once() {
    let Some(c) = Cluster::with_regcred(
        "real_cluster_default_service_account_gets_the_reference_once",
        "sa",
    ) else {
        return;
    };
    c.wait_for_default_service_account();
    let run = c.push(&["--service-account", "default"]);
    assert!(
        run.ok().contains("serviceaccount/default: updated"),
        "{run:?}"
    );
    let run = c.push(&["--service-account", "default"]);
    assert!(
        run.ok().contains("serviceaccount/default: unchanged"),
        "{run:?}"
    );
    let pull = kubectl(
        &c.kubeconfig,
        &[
            "get",
            "sa",
            "default",
            "-n",
            &c.ns,
            "-o",
            "jsonpath={.imagePullSecrets}",
        ],
    );
    assert_eq!(pull.matches("regcred").count(), 1, "{pull}");
}

/// Removal: the secret and the reference, nothing else.
#[test]
fn real_cluster_delete_removes_the_secret_and_the_reference() {
    let Some(c) = Cluster::with_regcred(
        "real_cluster_delete_removes_the_secret_and_the_reference",
        "delete",
    ) else {
        return;
    };
    c.wait_for_default_service_account();
    let run = c.push(&["--service-account", "default"]);
    assert!(
        run.ok().contains("serviceaccount/default: updated"),
        "{run:?}"
    );
    let run = helper(
        &c.keyring,
        &[
            "push",
            "--delete",
            "--kubeconfig",
            c.kcs(),
            "-n",
            &c.ns,
            "--service-account",
            "default",
        ],
        "",
    );
    let out = run.ok();
    assert!(
        out.contains("regcred: deleted") && out.contains("default: updated"),
        "{out}"
    );
    for s in ["real-cluster-pw-1", "real-cluster-pw-2"] {
        assert!(!run.stdout.contains(s) && !run.stderr.contains(s));
    }
}
