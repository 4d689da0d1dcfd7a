//! Opt-in: `push` against a real cluster (kind, k3d, minikube, …). Runs only when
//! `PUSH_TEST_KUBECONFIG` names a kubeconfig whose current context may create namespaces;
//! otherwise it says so and passes. It works in a namespace of its own, deleted at the end:
//!
//! ```sh
//! kind create cluster --name dck && kind get kubeconfig --name dck > /tmp/dck.kubeconfig
//! PUSH_TEST_KUBECONFIG=/tmp/dck.kubeconfig cargo test --test push_real_cluster -- --nocapture
//! ```

mod support;

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

#[test]
fn push_to_a_real_cluster() {
    let Some(kc) = std::env::var_os("PUSH_TEST_KUBECONFIG") else {
        eprintln!("push_to_a_real_cluster: not run (set PUSH_TEST_KUBECONFIG to a kubeconfig)");
        return;
    };
    let kc = Path::new(&kc);
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

    // The default service account (made by the cluster) gets the reference once.
    kubectl(
        kc,
        &[
            "wait",
            "--for=jsonpath={.metadata.name}=default",
            "serviceaccount/default",
            "-n",
            &ns,
            "--timeout=60s",
        ],
    );
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
