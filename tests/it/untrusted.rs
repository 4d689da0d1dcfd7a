//! Text from a cluster is untrusted: a registry key of an adopted Secret and an API server's
//! status message carrying terminal escape sequences reach no output, saved file or log of ours
//! with a control character in them. The built binary reads a real kernel keyring and talks to
//! the project's API-server fake through a real kubeconfig file; `sync_on_store` runs the
//! saved push in the background, writing `sync.log`.

#![cfg(target_os = "linux")]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use support::apiserver::{ApiServer, Fault, FaultKind};
use support::keyutils::KernelKeyring;
use support::kubeconfig::Kubeconfig;
use support::{Run, helper, helper_command, run_command, store};

const REGISTRY: &str = "registry.example.com";
/// A registry key of someone else's Secret that retitles a terminal (OSC 0 … BEL).
const EVIL_KEY: &str = "evil\x1b]0;owned\x07.example.com";
/// What a hostile API server answers: clears the screen and retitles the terminal.
const EVIL_MESSAGE: &str =
    "secrets \"regcred\" is forbidden: mallory\x1b[2J\x1b]0;owned\x07 says no\r\nFAKE LINE";

/// No ESC, BEL or other control character but the line breaks of `text`.
#[track_caller]
fn assert_clean(what: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(bad.is_empty(), "{what} holds {bad:?}: {text:?}");
}

#[track_caller]
fn assert_run_clean(what: &str, run: &Run) {
    assert_clean(&format!("{what}: stdout"), &run.stdout);
    assert_clean(&format!("{what}: stderr"), &run.stderr);
}

/// Every string in a JSON document, recursively.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        Value::Object(o) => o.iter().for_each(|(k, v)| {
            out.push(k.clone());
            strings(v, out)
        }),
        _ => {}
    }
}

fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "never happened: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn escape_sequences_from_a_cluster_reach_no_output_saved_file_or_log() {
    let keyring = KernelKeyring::new();
    store(&keyring, REGISTRY, "alice", "first-Pw-1");
    let server = ApiServer::start_tls();
    server.create_namespace("dev");
    server.create_namespace("locked");
    server.inject(Fault::new(
        FaultKind::Status {
            code: 403,
            reason: "Forbidden\x1b[5m".into(),
            message: EVIL_MESSAGE.into(),
        },
        "/api/v1/namespaces/locked/",
    ));
    // Someone else's Secret, taken over with --adopt: its registries are kept and named.
    let theirs = json!({"auths": {EVIL_KEY: {"auth": B64.encode("bob:their-Pw")}}});
    server.seed_as(
        json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "regcred", "namespace": "dev"},
            "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": B64.encode(theirs.to_string())}
        }),
        "kubectl-create",
    );
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = Kubeconfig::new()
        .server("fake", &server)
        .current("fake")
        .write(dir.path().join("kubeconfig"));
    let run = |args: &[&str]| run_command(helper_command(&keyring, args), b"");

    let k = kubeconfig.to_str().unwrap();
    let pushed = run(&[
        "push",
        REGISTRY,
        "--kubeconfig",
        k,
        "-n",
        "dev",
        "-n",
        "locked",
        "--adopt",
        "--save",
    ]);
    assert_eq!(pushed.code, Some(1), "{pushed:#?}");
    assert_run_clean("push --save", &pushed);
    assert!(
        pushed.stdout.contains(
            "fake/dev/regcred: adopted (kept its other registries: evil]0;owned.example.com)"
        ),
        "{pushed:#?}"
    );
    assert!(
        pushed.stdout.contains("fake/locked/regcred: failed: ")
            && pushed
                .stdout
                .contains("is forbidden: mallory[2J]0;owned says no  FAKE LINE"),
        "the server's message is still said: {pushed:#?}"
    );
    // The key itself is kept as it is in the Secret: only what we print is cleaned.
    let data = server.secret_data("dev", "regcred").unwrap();
    let config: Value = serde_json::from_slice(&data[".dockerconfigjson"]).unwrap();
    assert!(config["auths"].get(EVIL_KEY).is_some(), "{config}");

    let synced = run(&["sync"]);
    assert!(synced.stdout.contains("fake/dev/regcred: "), "{synced:#?}");
    assert_run_clean("sync", &synced);

    // The background sync after a store writes the same lines to its log.
    let home = keyring.home.path();
    let config_dir = home.join(".config/docker-credential-keyring");
    std::fs::write(config_dir.join("config.json"), r#"{"sync_on_store": true}"#).unwrap();
    let payload = json!({"ServerURL": REGISTRY, "Username": "alice", "Secret": "second-Pw-2"});
    let stored = helper(&keyring, &["store"], &payload.to_string());
    assert_eq!(stored.code, Some(0), "{stored:#?}");
    let log = home.join(".local/state/docker-credential-keyring/sync.log");
    eventually("the background sync logs its lines", || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("fake/locked/regcred: failed"))
    });
    assert_clean("sync.log", &std::fs::read_to_string(&log).unwrap());

    let listed = run(&["sync", "--list"]);
    assert!(
        listed.stdout.contains("kept its other registries"),
        "{listed:#?}"
    );
    assert_run_clean("sync --list", &listed);
    let saved = saved_strings(&config_dir.join("saved-pushes.json"));
    assert!(saved.iter().any(|s| s.contains("mallory")), "{saved:#?}");
    assert!(
        saved.iter().any(|s| s.contains("evil]0;owned")),
        "{saved:#?}"
    );
    for s in &saved {
        assert_clean("saved-pushes.json", s);
    }

    // A file an older version wrote, with the cluster's raw words in it: listed cleaned.
    let path = config_dir.join("saved-pushes.json");
    let mut old: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    old["pushes"][0]["last_results"] = json!([format!(
        "fake/dev/regcred: adopted (kept its other registries: {EVIL_KEY})"
    )]);
    old["pushes"][0]["last_error"] = json!(EVIL_MESSAGE);
    std::fs::write(&path, old.to_string()).unwrap();
    let listed = run(&["sync", "--list"]);
    assert!(
        listed.stdout.contains("evil]0;owned.example.com") && listed.stdout.contains("FAKE LINE"),
        "{listed:#?}"
    );
    assert_run_clean("sync --list of an old file", &listed);
}

/// Every string of the saved pushes file (its raw bytes hold no control character either).
fn saved_strings(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    assert_clean("saved-pushes.json (raw)", &text);
    let mut out = Vec::new();
    strings(&serde_json::from_str(&text).unwrap(), &mut out);
    out
}

#[test]
fn a_failing_exec_plugins_stderr_is_shown_without_control_characters() {
    use std::os::unix::fs::PermissionsExt;
    let keyring = KernelKeyring::new();
    store(&keyring, REGISTRY, "alice", "first-Pw-1");
    let server = ApiServer::start_tls();
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("plugin");
    std::fs::write(
        &plugin,
        "#!/bin/sh\nprintf 'login expired\\033]0;owned\\007\\033[2J\\r\\nFAKE LINE\\n' >&2\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let kubeconfig = Kubeconfig::new()
        .server_as("fake", &server, support::kubeconfig::Auth::Exec(plugin))
        .current("fake")
        .write(dir.path().join("kubeconfig"));
    let args = [
        "push",
        REGISTRY,
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
    ];
    let run = run_command(helper_command(&keyring, &args), b"");
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_run_clean("push", &run);
    assert!(
        run.stdout.contains("login expired]0;owned[2J  FAKE LINE"),
        "the plugin's words are still said: {run:#?}"
    );
}
