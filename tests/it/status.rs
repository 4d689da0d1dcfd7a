//! `status` end to end: the built binary reads a real kernel keyring (the keyutils backend) or a
//! credential helper on PATH, and the project's API-server fake through a real kubeconfig;
//! the real kubectl deletes what a test takes away, and the fix commands status prints are run
//! by `sh` as a person would paste them.

#![cfg(target_os = "linux")]

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD};
use serde_json::Value;
use std::path::PathBuf;
use support::apiserver::{ApiServer, PodSeed, Request};
use support::keyutils::KernelKeyring;
use support::kubeconfig::{Auth, Ca, ExecPlugin, Kubeconfig};
use support::{Run, helper_command, run_command, store};

const REGISTRY: &str = "registry.example.com";
const OTHER: &str = "other.example.com";
/// The passwords: never in any output of ours, in no form.
const FIRST: &str = "canary-first-7c1d93a";
const SECOND: &str = "canary-second-e28b4f0";
const OTHER_PW: &str = "canary-other-5a7e2c1";
/// What the `docker login` stand-in stores.
const FRESH: &str = "canary-fresh-0b9d4e2";

struct World {
    keyring: KernelKeyring,
    server: ApiServer,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl World {
    fn new() -> World {
        let keyring = KernelKeyring::new();
        store(&keyring, REGISTRY, "alice", FIRST);
        let server = ApiServer::start_tls();
        server.create_namespace("dev");
        server.create_namespace("staging");
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = Kubeconfig::new()
            .server("fake", &server)
            .context_ns("fake", "dev")
            .current("fake")
            .write(dir.path().join("kubeconfig"));
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        let w = World {
            keyring,
            server,
            dir,
            kubeconfig,
        };
        // `docker login R`, as far as the keychain is concerned: what docker stores.
        w.script(
            "docker",
            &format!(
                r#"[ "$1" = login ] || exit 2
printf '{{"ServerURL":"%s","Username":"alice","Secret":"{FRESH}"}}' "$2" | docker-credential-keyring store"#
            ),
        );
        w
    }

    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    /// An executable `NAME` in our bin directory.
    fn script(&self, name: &str, body: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.bin().join(name);
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
    }

    /// PATH: our bin directory, the binary's, then the system's (kubectl, sh).
    fn path(&self) -> std::ffi::OsString {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![self.bin(), support::bin().parent().unwrap().to_path_buf()];
        dirs.extend(std::env::split_paths(&path));
        std::env::join_paths(dirs).unwrap()
    }

    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = helper_command(&self.keyring, args);
        cmd.env("PATH", self.path());
        cmd
    }

    fn run(&self, args: &[&str]) -> Run {
        let run = run_command(self.command(args), b"");
        assert_no_secret(&run.stdout);
        assert_no_secret(&run.stderr);
        run
    }

    fn k(&self) -> &str {
        self.kubeconfig.to_str().unwrap()
    }

    /// `push REGISTRY… ARGS --kubeconfig K`, which must succeed.
    fn push(&self, args: &[&str]) {
        let mut a = vec!["push"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["--kubeconfig", self.k()]);
        self.run(&a).ok();
    }

    /// `status ARGS`.
    fn status(&self, args: &[&str]) -> Run {
        let mut a = vec!["status"];
        a.extend_from_slice(args);
        self.run(&a)
    }

    /// `status -A --kubeconfig K -o json`, parsed, and its exit status.
    fn status_json(&self) -> (Value, Option<i32>) {
        let run = self.status(&["-A", "--kubeconfig", self.k(), "-o", "json"]);
        (serde_json::from_str(&run.stdout).unwrap(), run.code)
    }

    /// A command line status printed, run by `sh` in the binary's environment.
    fn sh(&self, line: &str) -> Run {
        let cmd = helper_command(&self.keyring, &[]);
        let mut sh = std::process::Command::new("sh");
        sh.arg("-c").arg(line);
        sh.env_clear();
        for (k, v) in cmd.get_envs() {
            if let Some(v) = v {
                sh.env(k, v);
            }
        }
        sh.env("PATH", self.path());
        let run = run_command(sh, b"");
        assert_no_secret(&run.stdout);
        assert_no_secret(&run.stderr);
        run
    }

    /// kubectl against the fake.
    fn kubectl(&self, args: &[&str]) -> Run {
        let mut cmd = std::process::Command::new("kubectl");
        cmd.env_clear()
            .env("PATH", self.path())
            .env("HOME", self.dir.path())
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args);
        run_command(cmd, b"")
    }
}

fn assert_no_secret(text: &str) {
    for (user, s) in [
        ("alice", FIRST),
        ("alice", SECOND),
        ("bob", OTHER_PW),
        ("alice", FRESH),
    ] {
        for form in [
            s.to_owned(),
            B64.encode(s),
            B64.encode(format!("{user}:{s}")),
        ] {
            assert!(!text.contains(&form), "a secret leaked: {text}");
        }
    }
    assert!(!text.contains("-canary-4b8e1f"), "a token leaked: {text}");
}

/// Each data line of the table whose cells include all of `cells`.
fn lines_with<'a>(table: &'a str, cells: &[&str]) -> Vec<&'a str> {
    table
        .lines()
        .filter(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            cells.iter().all(|c| words.contains(c))
        })
        .collect()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn jwt(exp: u64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"ci","exp":{exp}}}"#));
    format!("{header}.{claims}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk")
}

/// The lists `status` sent, as `path?query`.
fn lists(requests: &[Request]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/api/v1/"))
        .map(|r| format!("{}?{}", r.path, r.query))
        .collect()
}

#[test]
fn a_fresh_push_is_current_and_a_new_password_makes_every_target_stale() {
    let w = World::new();
    w.push(&[REGISTRY, "-n", "dev", "-n", "staging", "--save"]);
    let fresh = w.status(&[]);
    assert_eq!(fresh.code, Some(0), "{fresh:?}");
    for ns in ["dev", "staging"] {
        assert_eq!(
            lines_with(&fresh.stdout, &["fake", ns, "regcred", REGISTRY, "current"]).len(),
            1,
            "{}",
            fresh.stdout
        );
    }
    store(&w.keyring, REGISTRY, "alice", SECOND);
    let stale = w.status(&[]);
    assert_eq!(stale.code, Some(1), "{stale:?}");
    for ns in ["dev", "staging"] {
        let l = lines_with(&stale.stdout, &["fake", ns, "regcred", REGISTRY, "stale"]);
        assert_eq!(l.len(), 1, "{}", stale.stdout);
        assert!(l[0].contains("the Secret last changed at"), "{}", l[0]);
    }
    // -o wide names the saved push and -o json gives the same as objects.
    let wide = w.status(&["-o", "wide"]);
    assert!(wide.stdout.contains("SAVED-PUSH"), "{}", wide.stdout);
    let json: Value = serde_json::from_str(&w.status(&["-o", "json"]).stdout).unwrap();
    let secrets = json["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 2, "{json}");
    for s in secrets {
        assert_eq!(s["savedPush"], 1, "{s}");
        assert_eq!(s["registries"][0]["registry"], REGISTRY, "{s}");
        assert_eq!(s["registries"][0]["state"], "stale", "{s}");
    }
    // --kubeconfig alone: its current context and namespace, not the saved pushes.
    let named = w.status(&["--kubeconfig", w.k()]);
    assert_eq!(
        lines_with(&named.stdout, &["stale"]).len(),
        1,
        "{}",
        named.stdout
    );
    assert_eq!(lines_with(&named.stdout, &["dev", "stale"]).len(), 1);
    let yaml = w.status(&["-o", "yaml"]);
    assert!(yaml.stdout.contains("state: stale"), "{}", yaml.stdout);
}

#[test]
fn one_context_costs_one_list_of_secrets_one_of_service_accounts_one_of_pending_pods() {
    let w = World::new();
    for ns in ["a", "b", "c"] {
        w.server.create_namespace(ns);
    }
    w.push(&[REGISTRY, "-n", "a", "-n", "b", "-n", "c", "--save"]);
    w.server.clear_requests();
    w.status(&[]).ok();
    let mut sent = lists(&w.server.requests());
    sent.sort();
    assert_eq!(
        sent,
        [
            "/api/v1/pods?&fieldSelector=status.phase%3DPending",
            "/api/v1/secrets?&labelSelector=app.kubernetes.io%2Fmanaged-by%3Ddocker-credential-keyring",
            "/api/v1/serviceaccounts?",
        ],
        "{sent:?}"
    );
}

#[test]
fn a_secret_deleted_with_kubectl_is_missing() {
    let w = World::new();
    w.push(&[REGISTRY, "-n", "dev", "-n", "staging", "--save"]);
    let out = w.kubectl(&["delete", "secret", "regcred", "-n", "staging"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let run = w.status(&[]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(
        lines_with(&run.stdout, &["staging", "regcred", REGISTRY, "missing"]).len(),
        1,
        "{}",
        run.stdout
    );
    assert_eq!(
        lines_with(&run.stdout, &["dev", "regcred", REGISTRY, "current"]).len(),
        1,
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("sync --only 1"), "{}", run.stdout);
}

#[test]
fn an_expired_jwt_is_expired_and_a_live_one_says_when_it_expires() {
    let w = World::new();
    store(&w.keyring, REGISTRY, "alice", &jwt(now() - 60));
    store(&w.keyring, OTHER, "bob", &jwt(now() + 3 * 3600 + 600));
    w.push(&[REGISTRY, OTHER, "-n", "dev", "--save"]);
    let run = w.status(&[]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(
        lines_with(&run.stdout, &["dev", REGISTRY, "expired"]).len(),
        1,
        "{}",
        run.stdout
    );
    let live = lines_with(&run.stdout, &["dev", OTHER, "current"]);
    assert_eq!(live.len(), 1, "{}", run.stdout);
    assert!(
        live[0].contains("in 3h 9m") || live[0].contains("in 3h 10m"),
        "{}",
        live[0]
    );
    for token in [jwt(now() - 60), jwt(now() + 3 * 3600 + 600)] {
        let payload = token.split('.').nth(1).unwrap();
        assert!(!run.stdout.contains(payload) && !run.stderr.contains(payload));
    }
    // A pod using it cannot pull: expired here too, so log in again, then the saved push.
    w.server.seed_pod(&pod(
        "dev",
        "api",
        &format!("{REGISTRY}/api:2"),
        &["regcred"],
    ));
    let json: Value = serde_json::from_str(&w.status(&["-o", "json"]).stdout).unwrap();
    let p = &json["pods"][0];
    assert_eq!(p["cause"], "expired", "{json}");
    let fix = p["fix"].as_str().unwrap();
    assert_eq!(
        fix,
        format!("docker login {REGISTRY} && docker-credential-keyring sync --only 1"),
        "{json}"
    );
    assert_eq!(w.sh(fix).code, Some(0));
    let after = w.status(&[]);
    assert_eq!(after.code, Some(0), "{after:?}");
    assert_eq!(
        lines_with(&after.stdout, &["api", "retrying"]).len(),
        1,
        "{}",
        after.stdout
    );
}

#[test]
fn every_context_costs_three_lists_and_one_exec_plugin_run() {
    let w = World::new();
    let second = ApiServer::start_tls();
    second.create_namespace("dev");
    let plugin = ExecPlugin::new(w.dir.path(), support::apiserver::DEFAULT_TOKEN);
    let two = Kubeconfig::new()
        .server_as("one", &w.server, Auth::Exec(plugin.command.clone()))
        .server_as("two", &second, Auth::Exec(plugin.command.clone()))
        .current("one")
        .write(w.dir.path().join("two-kubeconfig"));
    let k = two.to_str().unwrap();
    let push = [
        "push",
        REGISTRY,
        "--kubeconfig",
        k,
        "--context",
        "one",
        "--context",
        "two",
        "-n",
        "dev",
        "--save",
    ];
    w.run(&push).ok();
    w.server.clear_requests();
    second.clear_requests();
    let before = plugin.calls();
    let run = w.status(&[]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(plugin.calls() - before, 2, "once per context");
    for (ctx, server) in [("one", &w.server), ("two", &second)] {
        assert_eq!(lists(&server.requests()).len(), 3, "{ctx}");
        assert_eq!(
            lines_with(&run.stdout, &[ctx, "dev", "regcred", REGISTRY, "current"]).len(),
            1,
            "{}",
            run.stdout
        );
    }
}

#[test]
fn a_failing_source_is_unknown_with_its_reason() {
    let w = World::new();
    let flag = w.dir.path().join("down");
    w.script(
        "docker-credential-flaky",
        &format!(
            r#"if [ -e '{}' ]; then echo "token service unreachable" >&2; echo "token service unreachable"; exit 1; fi
case "$1" in
get) read -r s; printf '{{"ServerURL":"%s","Username":"ci","Secret":"rotating-1-canary-4b8e1f"}}\n' "$s" ;;
list) printf '{{"r.example":"ci"}}\n' ;;
esac"#,
            flag.display()
        ),
    );
    w.push(&["--from", "helper:flaky", "r.example", "-n", "dev", "--save"]);
    assert_eq!(w.status(&[]).code, Some(0));
    std::fs::write(&flag, "").unwrap();
    let run = w.status(&[]);
    assert_eq!(run.code, Some(1), "{run:?}");
    let l = lines_with(&run.stdout, &["dev", "r.example", "unknown"]);
    assert_eq!(l.len(), 1, "{}", run.stdout);
    assert!(l[0].contains("token service unreachable"), "{}", l[0]);
}

#[test]
fn a_locked_keychain_is_unknown_with_its_reason() {
    let w = World::new();
    // The file backend: unlocked by its passphrase, locked without it (no terminal to ask on,
    // no cached key).
    let with = |args: &[&str], passphrase: bool| {
        let mut cmd = w.command(args);
        cmd.env("DOCKER_CREDENTIAL_KEYRING_FILE_CACHE_SECONDS", "0");
        if passphrase {
            cmd.env(
                "DOCKER_CREDENTIAL_KEYRING_PASSPHRASE",
                "canary-passphrase-91c3",
            );
        }
        let payload =
            format!(r#"{{"ServerURL":"{REGISTRY}","Username":"alice","Secret":"{FIRST}"}}"#);
        let run = run_command(cmd, payload.as_bytes());
        assert_no_secret(&run.stdout);
        assert_no_secret(&run.stderr);
        assert!(!run.stdout.contains("canary-passphrase-91c3"));
        run
    };
    with(&["store", "--backend", "file"], true).ok();
    with(
        &[
            "push",
            REGISTRY,
            "-n",
            "dev",
            "--backend",
            "file",
            "--kubeconfig",
            w.k(),
        ],
        true,
    )
    .ok();
    let status = [
        "status",
        "-n",
        "dev",
        "--backend",
        "file",
        "--kubeconfig",
        w.k(),
    ];
    assert_eq!(with(&status, true).code, Some(0));
    let run = with(&status, false);
    assert_eq!(run.code, Some(1), "{run:?}");
    let l = lines_with(&run.stdout, &["dev", REGISTRY, "unknown"]);
    assert_eq!(l.len(), 1, "{}", run.stdout);
    assert!(l[0].contains("cannot read the keychain"), "{}", l[0]);
}

/// A pod in `ns` waiting in ErrImagePull.
fn pod(ns: &str, name: &str, image: &str, refs: &[&str]) -> PodSeed {
    let mut p = PodSeed::new(ns, name, image);
    p.image_pull_secrets = refs.iter().map(|s| (*s).to_owned()).collect();
    p
}

#[test]
fn each_cause_of_a_failing_pull_is_named_with_a_fix_that_works() {
    let w = World::new();
    store(&w.keyring, OTHER, "bob", OTHER_PW);
    for ns in ["a", "b", "c", "d", "e"] {
        w.server.create_namespace(ns);
    }
    w.push(&[OTHER, "-n", "b"]);
    w.push(&[REGISTRY, "-n", "c"]);
    w.push(&[REGISTRY, "-n", "d"]);
    store(&w.keyring, REGISTRY, "alice", SECOND);
    let image = format!("{REGISTRY}/team/app:1.0");
    w.server.seed_pod(&pod("a", "pa", &image, &[]));
    w.server.seed_pod(&pod("b", "pb", &image, &["regcred"]));
    w.server.seed_pod(&pod("c", "pc", &image, &[]));
    w.server.seed_pod(&pod("d", "pd", &image, &["regcred"]));
    let mut backoff = pod("e", "pe", "nocred.example.com/app", &[]);
    backoff.waiting = Some("ImagePullBackOff".into());
    w.server.seed_pod(&backoff);
    // A running pod is nobody's concern.
    let mut running = pod("a", "fine", &image, &[]);
    running.waiting = None;
    w.server.seed_pod(&running);

    let (json, code) = w.status_json();
    assert_eq!(code, Some(1));
    let pods = json["pods"].as_array().unwrap();
    let by_ns = |ns: &str| {
        pods.iter()
            .find(|p| p["namespace"] == ns)
            .unwrap_or_else(|| panic!("no pod in {ns}: {json}"))
            .clone()
    };
    assert_eq!(pods.len(), 5, "{json}");
    let expected = [
        ("a", "no-secret", REGISTRY),
        ("b", "secret-lacks-registry", REGISTRY),
        ("c", "not-referenced", REGISTRY),
        ("d", "stale", REGISTRY),
        ("e", "no-credential", "nocred.example.com"),
    ];
    for (ns, cause, registry) in expected {
        let p = by_ns(ns);
        assert_eq!(p["cause"], cause, "{p}");
        assert_eq!(p["registry"], registry, "{p}");
        assert!(p["fix"].is_string(), "{p}");
    }
    assert!(
        by_ns("e")["fix"]
            .as_str()
            .unwrap()
            .starts_with("docker login nocred.example.com && "),
        "{json}"
    );
    // The table says the same.
    let table = w.status(&["-A", "--kubeconfig", w.k()]);
    for (ns, cause, _) in expected {
        let pod = format!("p{ns}");
        assert_eq!(
            lines_with(&table.stdout, &[&pod, cause]).len(),
            1,
            "{}",
            table.stdout
        );
    }
    for (ns, _, _) in expected {
        let fix = by_ns(ns)["fix"].as_str().unwrap().to_owned();
        let run = w.sh(&fix);
        assert_eq!(run.code, Some(0), "{fix}: {run:?}");
    }
    let (after, code) = w.status_json();
    assert_eq!(code, Some(0), "{after:#}");
    for p in after["pods"].as_array().unwrap() {
        assert_eq!(p["cause"], "retrying", "{p}");
    }
}

#[test]
fn where_lists_across_namespaces_are_forbidden_the_saved_namespaces_are_read_one_by_one() {
    let w = World::new();
    w.push(&[REGISTRY, "-n", "dev", "-n", "staging", "--save"]);
    for resource in ["secrets", "serviceaccounts", "pods"] {
        w.server
            .deny(support::apiserver::DEFAULT_USER, "list", resource, Some(""));
    }
    w.server.clear_requests();
    let run = w.status(&[]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        lines_with(&run.stdout, &["current"]).len(),
        2,
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("not allowed to list secrets, service accounts, pods in all namespaces: reading namespaces dev, staging one by one"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.matches("not allowed").count(),
        1,
        "{}",
        run.stderr
    );
    let sent = lists(&w.server.requests());
    assert_eq!(sent.len(), 3 + 3 * 2, "{sent:?}");
    // -A has no namespaces to fall back to: the context's line says what is needed.
    let all = w.status(&["-A", "--kubeconfig", w.k()]);
    assert_eq!(all.code, Some(1), "{all:?}");
    assert!(
        all.stderr.contains("forbidden while listing"),
        "{}",
        all.stderr
    );
}

#[test]
fn contexts_are_reached_as_push_reaches_them() {
    let w = World::new();
    // An exec plugin runs once per context, however many lists are read.
    let plugin = ExecPlugin::new(w.dir.path(), support::apiserver::DEFAULT_TOKEN);
    let exec = Kubeconfig::new()
        .server_as("fake", &w.server, Auth::Exec(plugin.command.clone()))
        .current("fake")
        .write(w.dir.path().join("exec-kubeconfig"));
    let run = w.status(&["-n", "dev", "--kubeconfig", exec.to_str().unwrap()]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(plugin.calls(), 1);
    // A server whose certificate is not checked gets no request without --insecure.
    let insecure = Kubeconfig::new()
        .cluster("loose", &w.server.url(), Ca::Insecure)
        .user(
            "loose",
            Auth::Token(support::apiserver::DEFAULT_TOKEN.into()),
        )
        .context("loose", "loose", "loose", Some("dev"))
        .current("loose")
        .write(w.dir.path().join("insecure-kubeconfig"));
    w.server.clear_requests();
    let refused = w.status(&["--kubeconfig", insecure.to_str().unwrap()]);
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("refused to read the pull Secrets of context \"loose\""),
        "{}",
        refused.stderr
    );
    assert!(lists(&w.server.requests()).is_empty());
    let allowed = w.status(&["--kubeconfig", insecure.to_str().unwrap(), "--insecure"]);
    assert_eq!(allowed.code, Some(0), "{allowed:?}");
    assert!(
        allowed.stderr.contains("anyway (--insecure)"),
        "{}",
        allowed.stderr
    );
    // A saved push whose context now points elsewhere is not looked at.
    w.push(&[REGISTRY, "-n", "dev", "--save"]);
    let other = ApiServer::start_tls();
    Kubeconfig::new()
        .server("fake", &other)
        .context_ns("fake", "dev")
        .current("fake")
        .write(&w.kubeconfig);
    let moved = w.status(&[]);
    assert_eq!(moved.code, Some(1), "{moved:?}");
    assert!(
        moved.stderr.contains("run the push again with --save"),
        "{}",
        moved.stderr
    );
}

#[test]
fn a_bad_command_line_exits_2() {
    let w = World::new();
    assert_eq!(w.status(&["-o", "toml"]).code, Some(2));
    assert_eq!(w.status(&["-A", "-n", "dev"]).code, Some(2));
    let bad = w.status(&["-n", "Not_A_Namespace", "--kubeconfig", w.k()]);
    assert_eq!(bad.code, Some(2));
    assert!(bad.stderr.contains("DNS-1123 label"), "{}", bad.stderr);
    // A context the kubeconfig lacks: said before anything is read.
    w.server.clear_requests();
    let unknown = w.status(&["--context", "nope", "--kubeconfig", w.k()]);
    assert_eq!(unknown.code, Some(1));
    assert!(
        unknown
            .stderr
            .contains("context \"nope\" is not in the kubeconfig"),
        "{}",
        unknown.stderr
    );
    assert!(w.server.requests().is_empty());
}

/// The closing figure: 300 namespaces, 300 Secrets, 1,000 pods (a third of them failing to
/// pull) on the fake. Prints the requests and the wall time; asserts only the request count.
#[test]
fn three_hundred_namespaces_cost_three_lists() {
    let w = World::new();
    let names: Vec<String> = (0..300).map(|i| format!("ns-{i:03}")).collect();
    for n in &names {
        w.server.create_namespace(n);
    }
    let mut args = vec![REGISTRY];
    for n in &names {
        args.extend(["-n", n.as_str()]);
    }
    args.push("--save");
    w.push(&args);
    let image = format!("{REGISTRY}/team/app:1.0");
    for i in 0..1000 {
        let mut p = pod(&names[i % 300], &format!("pod-{i}"), &image, &["regcred"]);
        if i % 3 != 0 {
            p.waiting = None;
        }
        w.server.seed_pod(&p);
    }
    w.server.clear_requests();
    let run = w.status(&[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let sent = lists(&w.server.requests());
    assert_eq!(sent.len(), 3, "{sent:?}");
    let current = run
        .stdout
        .lines()
        .filter(|l| l.split_whitespace().nth(4) == Some("current"))
        .count();
    assert_eq!(current, 300, "{}", run.stdout);
    eprintln!(
        "status over 300 namespaces, 300 Secrets, 1000 pods: {} requests, {:?} wall time",
        w.server.requests().len(),
        run.elapsed
    );
}

#[test]
fn kubectl_keyring_status_takes_kubectls_flags_first() {
    let w = World::new();
    w.push(&[REGISTRY, "-n", "dev"]);
    let plugin = w.bin().join("kubectl-keyring");
    std::os::unix::fs::symlink(support::bin(), &plugin).unwrap();
    let cmd = w.command(&[]);
    let mut plug = std::process::Command::new(&plugin);
    plug.env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            plug.env(k, v);
        }
    }
    plug.args(["-n", "dev", "--kubeconfig", w.k(), "status"]);
    let run = run_command(plug, b"");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        lines_with(&run.stdout, &["dev", "regcred", REGISTRY, "current"]).len(),
        1,
        "{}",
        run.stdout
    );
}

#[test]
fn fixes_for_a_saved_push_update_it_rather_than_fight_it() {
    let w = World::new();
    store(&w.keyring, OTHER, "bob", OTHER_PW);
    w.push(&[
        REGISTRY,
        "-n",
        "dev",
        "--service-account",
        "default",
        "--save",
    ]);
    // Its Secret lacks OTHER: the fix is the saved push again with OTHER added, saved (so the
    // next sync does not take it away again).
    w.server.seed_pod(&pod(
        "dev",
        "needs-other",
        &format!("{OTHER}/x:1"),
        &["regcred"],
    ));
    // Created before the service account listed regcred.
    w.server
        .seed_pod(&pod("dev", "old", &format!("{REGISTRY}/y:1"), &[]));
    let json: Value = serde_json::from_str(&w.status(&["-o", "json"]).stdout).unwrap();
    let fix_of = |pod: &str, cause: &str| {
        let p = json["pods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["pod"] == pod)
            .unwrap_or_else(|| panic!("{pod}: {json}"));
        assert_eq!(p["cause"], cause, "{p}");
        p["fix"].as_str().unwrap().to_owned()
    };
    let add = fix_of("needs-other", "secret-lacks-registry");
    assert_eq!(
        add,
        format!(
            "docker-credential-keyring push {REGISTRY} {OTHER} --kubeconfig {} --context fake -n dev --name regcred --service-account default --save",
            w.k()
        )
    );
    let restart = fix_of("old", "not-referenced");
    assert_eq!(
        restart,
        format!(
            "kubectl --kubeconfig {} --context fake delete pod -n dev old",
            w.k()
        )
    );
    for fix in [add, restart] {
        assert_eq!(w.sh(&fix).code, Some(0), "{fix}");
    }
    let saved = w.run(&["sync", "--list"]);
    assert_eq!(
        saved.stdout.matches("-> regcred").count(),
        1,
        "{}",
        saved.stdout
    );
    assert!(saved.stdout.contains(OTHER), "{}", saved.stdout);
    let after = w.status(&[]);
    assert_eq!(after.code, Some(0), "{after:?}");
    for registry in [REGISTRY, OTHER] {
        let state = after.stdout.lines().find_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.get(2) == Some(&"regcred") && w.get(3) == Some(&registry)).then(|| w[4])
        });
        assert_eq!(state, Some("current"), "{}", after.stdout);
    }
}

#[test]
fn a_context_that_cannot_be_reached_gets_its_line_and_the_others_are_still_shown() {
    let w = World::new();
    let gone = ApiServer::start_tls();
    let two = Kubeconfig::new()
        .server("one", &w.server)
        .server("two", &gone)
        .current("one")
        .write(w.dir.path().join("two-kubeconfig"));
    drop(gone);
    w.push(&[REGISTRY, "-n", "dev"]);
    let k = two.to_str().unwrap();
    let run = w.status(&[
        "--kubeconfig",
        k,
        "--context",
        "one",
        "--context",
        "two",
        "-n",
        "dev",
        "--request-timeout",
        "10s",
    ]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(
        lines_with(&run.stdout, &["one", "dev", "regcred", REGISTRY, "current"]).len(),
        1,
        "{}",
        run.stdout
    );
    let errors: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(
        errors[0].starts_with("docker-credential-keyring: status: cannot reach the API server")
            && errors[0].contains("of context \"two\""),
        "{}",
        run.stderr
    );
    let json: Value = serde_json::from_str(
        &w.status(&[
            "--kubeconfig",
            k,
            "--context",
            "one",
            "--context",
            "two",
            "-n",
            "dev",
            "-o",
            "json",
        ])
        .stdout,
    )
    .unwrap();
    assert_eq!(json["errors"][0]["context"], "two", "{json}");
}
