//! `push --dry-run -o json` against kubectl: the decoded `.dockerconfigjson` of our Secret must
//! be byte-identical to what `kubectl create secret docker-registry … --dry-run=client -o json`
//! writes for the same credential (docs/kubernetes.md §1), and several registries in one secret must
//! be exactly kubectl's entries side by side. Also: every refusal `push` makes before it sends
//! anything, each with a clear message, the right exit status and no secret in any output.

#![cfg(target_os = "linux")]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use std::process::Command;
use support::secret_service::{SecretServiceFixture, fixture};
use support::{Home, helper, store};

/// kubectl's Secret for one credential, offline.
fn kubectl_secret(server: Option<&str>, username: &str, password: &str) -> Vec<u8> {
    let home = Home::new();
    let mut cmd = Command::new("kubectl");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .args(["create", "secret", "docker-registry", "regcred"]);
    if let Some(s) = server {
        cmd.arg(format!("--docker-server={s}"));
    }
    cmd.arg(format!("--docker-username={username}"))
        .arg(format!("--docker-password={password}"))
        .args(["--dry-run=client", "-o", "json"]);
    let out = cmd
        .output()
        .expect("kubectl runs (it is on every machine of this project; see tests/run.sh)");
    assert!(out.status.success(), "kubectl failed: {out:?}");
    decoded(&serde_json::from_slice(&out.stdout).unwrap())
}

/// The decoded `.dockerconfigjson` of a Secret manifest.
fn decoded(secret: &Value) -> Vec<u8> {
    assert_eq!(secret["kind"], "Secret");
    assert_eq!(secret["type"], "kubernetes.io/dockerconfigjson");
    STANDARD
        .decode(secret["data"][".dockerconfigjson"].as_str().unwrap())
        .unwrap()
}

/// Our Secret for `registries`, via `push --dry-run -o json -n ns`.
fn our_secret(keyring: &SecretServiceFixture, registries: &[&str]) -> Value {
    let mut args = vec!["push"];
    args.extend_from_slice(registries);
    args.extend_from_slice(&["--dry-run", "-o", "json", "-n", "golden"]);
    let run = helper(keyring, &args, "");
    let v: Value = serde_json::from_str(run.ok()).expect("push prints one JSON Secret");
    assert_eq!(v["metadata"]["name"], "regcred");
    assert_eq!(v["metadata"]["namespace"], "golden");
    assert_eq!(
        v["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "docker-credential-keyring"
    );
    v
}

/// One credential stored under `stored`, pushed as `query`, against kubectl with `server`.
#[track_caller]
fn golden_one(stored: &str, query: &str, kubectl_server: Option<&str>, user: &str, pw: &str) {
    let k = fixture();
    store(&k, stored, user, pw);
    let ours = decoded(&our_secret(&k, &[query]));
    let theirs = kubectl_secret(kubectl_server, user, pw);
    assert_eq!(
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&theirs)
    );
    assert_eq!(ours, theirs);
}

#[test]
fn plain_credential_is_kubectl_identical() {
    golden_one(
        "registry.example.com",
        "registry.example.com",
        Some("registry.example.com"),
        "alice",
        "s3cret",
    );
}

#[test]
fn special_characters_are_kubectl_identical() {
    let special = "\"\\<>&:/=+%$ '";
    golden_one(
        "registry.example.com:5000",
        "registry.example.com:5000",
        Some("registry.example.com:5000"),
        "u\"\\<>&/=+%$ '",
        special,
    );
}

#[test]
fn unicode_is_kubectl_identical() {
    golden_one(
        "ghcr.io",
        "ghcr.io",
        Some("ghcr.io"),
        "jöran",
        "pässwörd✓😀\u{2028}\u{2029}\u{7f}",
    );
}

#[test]
fn docker_hub_is_kubectl_identical() {
    // Stored by `docker login` under the Hub's key, asked for as podman names it.
    golden_one(
        "https://index.docker.io/v1/",
        "docker.io",
        None,
        "hubuser",
        "dckr_pat_abc",
    );
    // Stored as `docker.io`: still keyed the way kubectl (and the kubelet) expect.
    golden_one("docker.io", "docker.io", None, "hubuser", "pw");
}

#[test]
fn uppercase_and_scheme_become_the_kubelet_key() {
    let k = fixture();
    store(&k, "https://Registry.Example.COM/v2/", "alice", "pw");
    let ours = decoded(&our_secret(&k, &["registry.example.com"]));
    assert_eq!(
        ours,
        kubectl_secret(Some("registry.example.com"), "alice", "pw")
    );
}

#[test]
fn several_registries_are_kubectl_entries_side_by_side() {
    let k = fixture();
    let creds = [
        ("https://index.docker.io/v1/", None, "hubuser", "hub<pw>&"),
        ("ghcr.io", Some("ghcr.io"), "octo", "ghp_ü✓"),
        (
            "registry.example.com:5000",
            Some("registry.example.com:5000"),
            "alice",
            "\"\\<>&:/=+%$ '",
        ),
    ];
    for (server, _, user, pw) in creds {
        store(&k, server, user, pw);
    }
    let secret = our_secret(&k, &["ghcr.io", "docker.io", "registry.example.com:5000"]);
    let ours = String::from_utf8(decoded(&secret)).unwrap();
    // kubectl's `{"auths":{KEY:ENTRY}}` for each, joined in sorted key order.
    let mut parts: Vec<(String, String)> = creds
        .iter()
        .map(|(_, kserver, user, pw)| {
            let theirs = String::from_utf8(kubectl_secret(*kserver, user, pw)).unwrap();
            let part = theirs
                .strip_prefix("{\"auths\":{")
                .and_then(|s| s.strip_suffix("}}"))
                .expect("kubectl's shape")
                .to_owned();
            let key: String = serde_json::from_str::<Value>(&theirs).unwrap()["auths"]
                .as_object()
                .unwrap()
                .keys()
                .next()
                .unwrap()
                .clone();
            (key, part)
        })
        .collect();
    parts.sort();
    let expected = format!(
        "{{\"auths\":{{{}}}}}",
        parts
            .iter()
            .map(|p| p.1.as_str())
            .collect::<Vec<_>>()
            .join(",")
    );
    assert_eq!(ours, expected);
    assert_eq!(
        secret["metadata"]["annotations"]["docker-credential-keyring/registries"],
        r#"["ghcr.io","https://index.docker.io/v1/","registry.example.com:5000"]"#
    );
}

#[test]
fn all_pushes_every_usable_entry_and_skips_tokens() {
    let k = fixture();
    store(&k, "ghcr.io", "octo", "pw1");
    store(&k, "tokens.example.com", "<token>", "identity-token-value");
    let run = helper(
        &k,
        &["push", "--all", "--dry-run", "-o", "json", "-n", "x"],
        "",
    );
    let v: Value = serde_json::from_str(run.ok()).unwrap();
    let config: Value = serde_json::from_slice(&decoded(&v)).unwrap();
    let keys: Vec<&String> = config["auths"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["ghcr.io"]);
    assert!(run.stderr.contains("skipped tokens.example.com"), "{run:?}");
    assert!(!run.stderr.contains("identity-token-value"));

    // Nothing usable at all, and nothing at all: each says so, exit 1.
    let only_tokens = fixture();
    store(
        &only_tokens,
        "tokens.example.com",
        "<token>",
        "identity-token-value",
    );
    let run = helper(&only_tokens, &["push", "--all", "--dry-run", "-n", "x"], "");
    assert!(
        run.fails_on_stderr().contains("none of the 1 credentials"),
        "{run:?}"
    );
    assert!(
        !run.stdout.contains("identity-token-value")
            && !run.stderr.contains("identity-token-value")
    );
    let empty = fixture();
    let run = helper(&empty, &["push", "--all", "--dry-run", "-n", "x"], "");
    assert!(
        run.fails_on_stderr()
            .contains("no credentials in the keychain"),
        "{run:?}"
    );
}

#[test]
fn several_namespaces_print_a_v1_list_and_yaml_parses() {
    let k = fixture();
    store(&k, "ghcr.io", "octo", "pw1");
    let run = helper(
        &k,
        &[
            "push",
            "ghcr.io",
            "--dry-run",
            "-o",
            "json",
            "-n",
            "a",
            "-n",
            "b",
        ],
        "",
    );
    let v: Value = serde_json::from_str(run.ok()).unwrap();
    assert_eq!(v["kind"], "List");
    assert_eq!(v["apiVersion"], "v1");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["metadata"]["namespace"], "a");
    assert_eq!(items[1]["metadata"]["namespace"], "b");
    assert_eq!(decoded(&items[0]), decoded(&items[1]));

    let yaml = helper(
        &k,
        &["push", "ghcr.io", "--dry-run", "-o", "yaml", "-n", "a"],
        "",
    );
    // Parsed back with a YAML 1.1 reader (python3-yaml, as kubectl-adjacent tooling reads it).
    let out = Command::new("python3")
        .args([
            "-c",
            "import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(yaml.ok().as_bytes())?;
            c.wait_with_output()
        })
        .expect("python3 with yaml (python3-yaml in tests/run.sh)");
    assert!(out.status.success(), "{out:?}");
    let from_yaml: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(decoded(&from_yaml), decoded(&items[0]));
    assert_eq!(from_yaml["metadata"]["namespace"], "a");
}

#[test]
fn client_dry_run_reads_no_kubeconfig_when_namespaces_are_given() {
    let k = fixture();
    store(&k, "ghcr.io", "octo", "pw1");
    let garbage = k.home.path().join("garbage-kubeconfig");
    std::fs::write(&garbage, "{{{ not yaml").unwrap();
    let g = garbage.to_str().unwrap();
    let run = helper(
        &k,
        &[
            "push",
            "ghcr.io",
            "--kubeconfig",
            g,
            "--dry-run",
            "-o",
            "json",
            "-n",
            "a",
        ],
        "",
    );
    run.ok();
    // Without -n the context's namespace is needed: the kubeconfig is read (and here refused).
    let run = helper(
        &k,
        &[
            "push",
            "ghcr.io",
            "--kubeconfig",
            g,
            "--dry-run",
            "-o",
            "json",
        ],
        "",
    );
    assert!(
        run.fails_on_stderr().contains("cannot read the kubeconfig"),
        "{run:?}"
    );
}

#[test]
fn client_dry_run_uses_the_contexts_namespace() {
    let k = fixture();
    store(&k, "ghcr.io", "octo", "pw1");
    let kc = k.home.path().join("kubeconfig");
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\ncurrent-context: dev\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: dev\n  context:\n    cluster: c\n    user: u\n    namespace: team-a\n- name: prod\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n    token: t\n",
    )
    .unwrap();
    let kc = kc.to_str().unwrap();
    let run = helper(
        &k,
        &["push", "ghcr.io", "--kubeconfig", kc, "--dry-run"],
        "",
    );
    assert_eq!(
        run.ok(),
        "dev/team-a/regcred: would apply ghcr.io (client dry run: nothing sent)\n"
    );
    let run = helper(
        &k,
        &[
            "push",
            "ghcr.io",
            "--kubeconfig",
            kc,
            "--context",
            "dev",
            "--context",
            "prod",
            "--dry-run",
            "-o",
            "json",
        ],
        "",
    );
    let v: Value = serde_json::from_str(run.ok()).unwrap();
    let namespaces: Vec<&Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["metadata"]["namespace"])
        .collect();
    assert_eq!(namespaces, ["team-a", "default"]);
    let run = helper(
        &k,
        &[
            "push",
            "ghcr.io",
            "--kubeconfig",
            kc,
            "--context",
            "staging",
            "--dry-run",
        ],
        "",
    );
    let line = run.fails_on_stderr();
    assert!(
        line.contains("\"staging\"") && line.contains("dev, prod"),
        "{line}"
    );
}

/// A refusal: exit 1, one line on stdout containing `expect`, no secret anywhere.
#[track_caller]
fn refused(k: &SecretServiceFixture, args: &[&str], expect: &str, secrets: &[&str]) {
    let run = helper(k, args, "");
    let line = run.fails_on_stderr();
    assert!(line.contains(expect), "expected {expect:?} in {run:?}");
    for s in secrets {
        assert!(
            !run.stdout.contains(s) && !run.stderr.contains(s),
            "secret leaked: {run:?}"
        );
    }
}

#[test]
fn refusals_before_anything_is_sent() {
    let k = fixture();
    store(&k, "tokens.example.com", "<token>", "identity-token-value");
    store(&k, "colon.example.com", "team:bot", "colon-secret");
    store(&k, "ghcr.io", "octo", "ghcr-secret");
    // A kubeconfig pointing nowhere: none of these may get as far as using it.
    let kc = k.home.path().join("kubeconfig");
    std::fs::write(&kc, "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:9\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n    token: t\n").unwrap();
    let kc = kc.to_str().unwrap();
    let all = ["identity-token-value", "colon-secret", "ghcr-secret"];
    refused(
        &k,
        &["push", "tokens.example.com", "--kubeconfig", kc],
        "identity token",
        &all,
    );
    refused(
        &k,
        &["push", "colon.example.com", "--kubeconfig", kc],
        "contains ':'",
        &all,
    );
    refused(
        &k,
        &["push", "nothere.example.com", "--kubeconfig", kc],
        "no credentials for this registry in the keychain",
        &all,
    );
    refused(
        &k,
        &["push", "ghcr.io", "--name", "Reg_Cred", "--kubeconfig", kc],
        "invalid secret name \"Reg_Cred\"",
        &all,
    );
    refused(
        &k,
        &["push", "ghcr.io", "-n", "team.a", "--kubeconfig", kc],
        "invalid namespace \"team.a\"",
        &all,
    );
    refused(
        &k,
        &[
            "push",
            "ghcr.io",
            "--service-account",
            "Default",
            "--kubeconfig",
            kc,
        ],
        "invalid service account name",
        &all,
    );
    refused(
        &k,
        &["push", "ghcr.io", "-o", "json", "--kubeconfig", kc],
        "--dry-run",
        &all,
    );
    // The "not found" message docker parses must never be used for push.
    let run = helper(&k, &["push", "nothere.example.com", "--kubeconfig", kc], "");
    assert!(
        !run.stdout
            .contains(docker_credential_keyring::protocol::NOT_FOUND)
    );
}

#[test]
fn more_than_one_mebibyte_is_refused() {
    let k = fixture();
    let big = "b".repeat(800 * 1024);
    store(&k, "big.example.com", "alice", &big);
    let run = helper(
        &k,
        &[
            "push",
            "big.example.com",
            "--dry-run",
            "-o",
            "json",
            "-n",
            "x",
        ],
        "",
    );
    let line = run.fails_on_stderr();
    assert!(line.contains("1 MiB"), "{line}");
    assert!(!run.stdout.contains("bbbbbbbb") && !run.stderr.contains("bbbbbbbb"));
}

#[test]
fn usage_errors_are_clap_errors() {
    let k = fixture();
    // Neither a registry nor --all.
    let run = helper(&k, &["push", "-n", "x"], "");
    assert_eq!(run.code, Some(2), "{run:?}");
    // --delete takes no registries.
    let run = helper(&k, &["push", "--delete", "ghcr.io"], "");
    assert_eq!(run.code, Some(2), "{run:?}");
}

#[test]
fn kubeconfig_list_like_kubectl() {
    use support::{helper_command, run_command};
    let k = fixture();
    store(&k, "ghcr.io", "octo", "pw1");
    let write = |path: &std::path::Path, ns: &str| {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            path,
            format!("apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:9\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n    namespace: {ns}\nusers:\n- name: u\n  user:\n    token: t\n"),
        )
        .unwrap();
    };
    let home_config = k.home.path().join(".kube/config");
    write(&home_config, "from-home");
    let listed = k.home.path().join("listed");
    write(&listed, "from-list");
    let missing = k.home.path().join("missing");
    let run = |kubeconfig: &std::ffi::OsStr| {
        let mut cmd = helper_command(&k, &["push", "ghcr.io", "--dry-run"]);
        cmd.env("KUBECONFIG", kubeconfig);
        run_command(cmd, b"")
    };
    // Missing files in the list are skipped; the first existing one answers.
    let list = std::env::join_paths([&missing, &listed]).unwrap();
    assert!(
        run(&list).ok().starts_with("c/from-list/regcred: "),
        "{:?}",
        run(&list)
    );
    // A set KUBECONFIG never falls back to ~/.kube/config.
    let only_missing = run(missing.as_os_str());
    assert!(
        only_missing.ok().starts_with("-/default/regcred: "),
        "{only_missing:?}"
    );
    // Unset: ~/.kube/config.
    let run = helper(&k, &["push", "ghcr.io", "--dry-run"], "");
    assert!(run.ok().starts_with("c/from-home/regcred: "), "{run:?}");
}

#[test]
fn a_wrong_context_is_refused_before_the_keychain_is_asked() {
    // No Secret Service on this bus: reading the keychain would fail with another message.
    let k = support::secret_service::bus_without_secret_service();
    let kc = k.home.path().join("kubeconfig");
    std::fs::write(&kc, "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:9\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n    token: t\n").unwrap();
    let run = helper(
        &k,
        &[
            "push",
            "ghcr.io",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--context",
            "nope",
        ],
        "",
    );
    let line = run.fails_on_stderr();
    assert!(
        line.contains("context \"nope\" is not in the kubeconfig (it has: c)"),
        "{line}"
    );
}
