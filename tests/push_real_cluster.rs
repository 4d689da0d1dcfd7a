//! Opt-in: `push` against a real cluster (kind, k3d, minikube, …). Runs only when
//! `DOCKER_CREDENTIAL_KEYRING_TEST_KUBECONFIG` (or its older name `PUSH_TEST_KUBECONFIG`) names
//! a kubeconfig whose current context may create namespaces; otherwise it prints, uncaptured,
//! that it was SKIPPED and tested nothing. It works in a namespace of its own, deleted at the end:
//!
//! ```sh
//! kind create cluster --name dck && kind get kubeconfig --name dck > /tmp/dck.kubeconfig
//! DOCKER_CREDENTIAL_KEYRING_TEST_KUBECONFIG=/tmp/dck.kubeconfig \
//!     cargo test --test push_real_cluster -- --nocapture
//! ```

#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::Command;
use support::secret_service::fixture;
use support::{helper, store};

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
struct Cleanup<'a>(&'a Path, String);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        let _ = Command::new("kubectl")
            .env("KUBECONFIG", self.0)
            .args(["delete", "namespace", &self.1, "--wait=false"])
            .output();
    }
}

/// The variable naming the kubeconfig of the cluster to test against.
const VAR: &str = "DOCKER_CREDENTIAL_KEYRING_TEST_KUBECONFIG";

#[test]
fn push_to_a_real_cluster() {
    let Some(kc) = std::env::var_os(VAR).or_else(|| std::env::var_os("PUSH_TEST_KUBECONFIG"))
    else {
        // Written past the test harness's capture, so every run shows that nothing was tested.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED push_to_a_real_cluster: {VAR} is not set, so no real cluster was tested \
             (set it to a kind/k3d/minikube kubeconfig to run it)"
        );
        return;
    };
    let kc = Path::new(&kc);
    assert!(
        kc.is_file(),
        "{VAR}={} is not a readable kubeconfig file",
        kc.display()
    );
    let kcs = kc.to_str().unwrap();
    let ns = format!("dck-test-{}", std::process::id());
    let _cleanup = Cleanup(kc, ns.clone());
    let k = fixture();
    store(&k, "ghcr.io", "octo", "real-cluster-pw-1");
    store(
        &k,
        "https://index.docker.io/v1/",
        "hub",
        "real-cluster-pw-2",
    );

    let push = |extra: &[&str]| {
        let mut args = vec![
            "push",
            "ghcr.io",
            "docker.io",
            "--kubeconfig",
            kcs,
            "-n",
            &ns,
        ];
        args.extend_from_slice(extra);
        helper(&k, &args, "")
    };
    // Missing namespace: a clear failure, then created with --create-namespace.
    let run = push(&[]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stdout.contains("--create-namespace"), "{run:?}");
    let run = push(&["--create-namespace"]);
    assert!(
        run.ok().contains(&format!("/{ns}/regcred: created")),
        "{run:?}"
    );
    let run = push(&[]);
    assert!(run.ok().contains(": unchanged"), "{run:?}");
    let run = push(&["--dry-run=server"]);
    assert!(run.ok().contains(": unchanged (server dry run"), "{run:?}");

    // The kubelet's view: the right type and keys.
    let secret = kubectl(kc, &["get", "secret", "regcred", "-n", &ns, "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&secret).unwrap();
    assert_eq!(v["type"], "kubernetes.io/dockerconfigjson");
    assert_eq!(
        v["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "docker-credential-keyring"
    );
    // Server-side apply by our field manager, as the fake in tests/push.rs assumes.
    let secret = kubectl(
        kc,
        &[
            "get",
            "secret",
            "regcred",
            "-n",
            &ns,
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

    // The default service account (made by the cluster) gets the reference once.
    let sa_exists = || {
        Command::new("kubectl")
            .env("KUBECONFIG", kc)
            .args(["get", "serviceaccount", "default", "-n", &ns])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let mut waited = 0;
    while !sa_exists() {
        waited += 1;
        assert!(waited < 60, "no default service account in {ns} after 60 s");
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    let run = push(&["--service-account", "default"]);
    assert!(
        run.ok().contains("serviceaccount/default: updated"),
        "{run:?}"
    );
    let run = push(&["--service-account", "default"]);
    assert!(
        run.ok().contains("serviceaccount/default: unchanged"),
        "{run:?}"
    );
    let pull = kubectl(
        kc,
        &[
            "get",
            "sa",
            "default",
            "-n",
            &ns,
            "-o",
            "jsonpath={.imagePullSecrets}",
        ],
    );
    assert_eq!(pull.matches("regcred").count(), 1, "{pull}");

    // Removal: the secret and the reference, nothing else.
    let run = helper(
        &k,
        &[
            "push",
            "--delete",
            "--kubeconfig",
            kcs,
            "-n",
            &ns,
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
