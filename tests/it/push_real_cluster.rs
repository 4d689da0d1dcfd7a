//! `push` against a real cluster (kind, k3d, minikube, …): the check of the API-server fake's
//! assumptions against a real kube-apiserver. Every test is ignored (it shows in the summary's
//! ignored count) and runs with `--ignored` when `DOCKER_CREDENTIAL_KEYRING_TEST_KUBECONFIG` (or
//! its older name `PUSH_TEST_KUBECONFIG`) names a kubeconfig whose current context may create
//! namespaces and RBAC objects; run with `--ignored` without it, each test fails. CI runs them
//! against a kind cluster. Each test works in a namespace of its own, deleted at the end:
//!
//! ```sh
//! kind create cluster --name dck && kind get kubeconfig --name dck > /tmp/dck.kubeconfig
//! DOCKER_CREDENTIAL_KEYRING_TEST_KUBECONFIG=/tmp/dck.kubeconfig \
//!     cargo test --test it push_real_cluster:: -- --ignored
//! ```

#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::Command;
use support::secret_service::{SecretServiceFixture, fixture};
use support::{Run, helper, store};

fn kubectl(kubeconfig: &Path, args: &[&str]) -> String {
    kubectl_in(kubeconfig, args, "")
}

/// `kubectl args` with `stdin`; asserts success and returns stdout.
fn kubectl_in(kubeconfig: &Path, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("kubectl")
        .env("KUBECONFIG", kubeconfig)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "kubectl {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The tests are ignored: they run only with `--ignored` and a real cluster.
const IGNORED: &str = "needs DOCKER_CREDENTIAL_KEYRING_TEST_KUBECONFIG: a real cluster";

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
    /// Fails when no cluster is configured: the tests are ignored, so running them is asking
    /// for a real cluster.
    fn new(ns_suffix: &str) -> Cluster {
        let Some(kc) = std::env::var_os(VAR).or_else(|| std::env::var_os("PUSH_TEST_KUBECONFIG"))
        else {
            panic!("{VAR} is not set: {IGNORED} (a kind/k3d/minikube kubeconfig)");
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
        Cluster {
            kubeconfig,
            ns,
            keyring,
            _cleanup: cleanup,
        }
    }

    /// Like [`Cluster::new`], with `regcred` already pushed into a namespace push created.
    fn with_regcred(ns_suffix: &str) -> Cluster {
        let c = Cluster::new(ns_suffix);
        let run = c.push(&["--create-namespace"]);
        assert!(
            run.ok().contains(&format!("/{}/regcred: created", c.ns)),
            "{run:?}"
        );
        c
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
#[ignore = "needs DOCKER_CREDENTIAL_KEYRING_TEST_KUBECONFIG: a real cluster"]
fn real_cluster_missing_namespace_fails_then_create_namespace_creates() {
    let c = Cluster::new("ns");
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
#[ignore = "needs DOCKER_CREDENTIAL_KEYRING_TEST_KUBECONFIG: a real cluster"]
fn real_cluster_push_again_and_server_dry_run_are_unchanged() {
    let c = Cluster::with_regcred("again");
    // push says `unchanged` because a no-op apply keeps the resourceVersion (the fake assumes
    // the same): seen here by kubectl, not by push.
    let rv = || {
        kubectl(
            &c.kubeconfig,
            &[
                "get",
                "secret",
                "regcred",
                "-n",
                &c.ns,
                "-o",
                "jsonpath={.metadata.resourceVersion}",
            ],
        )
    };
    let before = rv();
    let run = c.push(&[]);
    assert!(run.ok().contains(": unchanged"), "{run:?}");
    assert_eq!(rv(), before, "a no-op apply keeps the resourceVersion");
    let run = c.push(&["--dry-run=server"]);
    assert!(run.ok().contains(": unchanged (server dry run"), "{run:?}");
    assert_eq!(rv(), before);
}

/// The answer to a server-side apply carries `metadata.managedFields`: push tells a Secret it
/// just created from one someone made meanwhile by them (the fake answers the same way).
#[test]
#[ignore = "needs DOCKER_CREDENTIAL_KEYRING_TEST_KUBECONFIG: a real cluster"]
fn real_cluster_apply_answers_carry_managed_fields() {
    let c = Cluster::new("fields");
    let kc = c.kubeconfig.as_path();
    kubectl(kc, &["create", "namespace", &c.ns]);
    let apply = |name: &str| -> serde_json::Value {
        let body = serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": c.ns,
                         "labels": {"app.kubernetes.io/managed-by": "docker-credential-keyring"}},
        });
        let out = kubectl_in(
            kc,
            &[
                "apply",
                "--server-side",
                "--field-manager=docker-credential-keyring",
                "--show-managed-fields",
                "-o",
                "json",
                "-f",
                "-",
            ],
            &body.to_string(),
        );
        serde_json::from_str(&out).unwrap()
    };
    let managers = |v: &serde_json::Value| -> Vec<(String, String)> {
        v["metadata"]["managedFields"]
            .as_array()
            .unwrap_or_else(|| panic!("the apply answer carries managedFields: {v:#}"))
            .iter()
            .map(|e| {
                (
                    e["manager"].as_str().unwrap().to_owned(),
                    e["operation"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    // Created by the apply: ours alone.
    let fresh = apply("fresh");
    assert_eq!(
        managers(&fresh),
        [("docker-credential-keyring".to_owned(), "Apply".to_owned())]
    );
    // Made by someone else first: the answer names them too.
    kubectl(
        kc,
        &[
            "create",
            "secret",
            "generic",
            "theirs",
            "-n",
            &c.ns,
            "--from-literal=k=v",
        ],
    );
    let theirs = apply("theirs");
    let m = managers(&theirs);
    assert!(
        m.contains(&("docker-credential-keyring".to_owned(), "Apply".to_owned()))
            && m.iter()
                .any(|(name, op)| name == "kubectl-create" && op == "Update"),
        "{m:?}"
    );
}

/// Creating a Secret through server-side apply needs RBAC `create`; updating one needs only
/// `patch`. push asks for what it needs by name.
#[test]
#[ignore = "needs DOCKER_CREDENTIAL_KEYRING_TEST_KUBECONFIG: a real cluster"]
fn real_cluster_creating_through_apply_needs_create_rbac() {
    let c = Cluster::with_regcred("rbac");
    let kc = c.kubeconfig.as_path();
    let ns = c.ns.as_str();
    kubectl(kc, &["create", "serviceaccount", "pusher", "-n", ns]);
    kubectl(
        kc,
        &[
            "create",
            "role",
            "pusher",
            "-n",
            ns,
            "--verb=get,list,patch,update",
            "--resource=secrets",
        ],
    );
    kubectl(
        kc,
        &[
            "create",
            "rolebinding",
            "pusher",
            "-n",
            ns,
            "--role=pusher",
            &format!("--serviceaccount={ns}:pusher"),
        ],
    );
    let token = kubectl(kc, &["create", "token", "pusher", "-n", ns]);
    // The admin's kubeconfig with the service account's token as its user.
    let mut limited: serde_json::Value = serde_json::from_str(&kubectl(
        kc,
        &["config", "view", "--raw", "--minify", "-o", "json"],
    ))
    .unwrap();
    limited["users"][0]["user"] = serde_json::json!({"token": token.trim()});
    let limited_path = c.keyring.home.path().join("limited.kubeconfig");
    std::fs::write(&limited_path, limited.to_string()).unwrap();
    let push = |extra: &[&str]| {
        let mut args = vec![
            "push",
            "ghcr.io",
            "docker.io",
            "--kubeconfig",
            limited_path.to_str().unwrap(),
            "-n",
            ns,
        ];
        args.extend_from_slice(extra);
        helper(&c.keyring, &args, "")
    };
    // RBAC may take a moment to see the new binding.
    let mut run = push(&[]);
    for _ in 0..30 {
        if run.code == Some(0) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
        run = push(&[]);
    }
    assert!(run.ok().contains("/regcred: unchanged"), "{run:?}");
    // Without the Secret, the same apply would create it: forbidden without `create`.
    kubectl(kc, &["delete", "secret", "regcred", "-n", ns]);
    let run = push(&[]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stdout.contains("/regcred: failed: ")
            && run.stdout.contains("forbidden")
            && run.stdout.contains("RBAC get, create and patch on secrets"),
        "{run:?}"
    );
    let left = kubectl(kc, &["get", "secrets", "-n", ns, "-o", "name"]);
    assert!(!left.contains("secret/regcred"), "{left}");
}

/// The kubelet's view: the right type and keys; server-side apply by our field manager, as
/// the fake in tests/it/push.rs assumes.
#[test]
#[ignore = "needs DOCKER_CREDENTIAL_KEYRING_TEST_KUBECONFIG: a real cluster"]
fn real_cluster_secret_has_the_type_label_and_field_manager_push_expects() {
    let c = Cluster::with_regcred("view");
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
#[ignore = "needs DOCKER_CREDENTIAL_KEYRING_TEST_KUBECONFIG: a real cluster"]
fn real_cluster_default_service_account_gets_the_reference_once() {
    let c = Cluster::with_regcred("sa");
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
#[ignore = "needs DOCKER_CREDENTIAL_KEYRING_TEST_KUBECONFIG: a real cluster"]
fn real_cluster_delete_removes_the_secret_and_the_reference() {
    let c = Cluster::with_regcred("delete");
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
