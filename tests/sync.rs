//! Saved pushes and `sync` end to end: the built binary reads a real kernel keyring (the
//! keyutils backend), where a test rotates the credential with a real `store`, and writes to
//! the project's API-server fake through a real kubeconfig file.

#![cfg(target_os = "linux")]

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD};
use serde_json::Value;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::apiserver::{ApiServer, DEFAULT_TOKEN};
use support::keyutils::KernelKeyring;
use support::kubeconfig::{Auth, Ca, Kubeconfig};
use support::{Run, helper, helper_command, run_command, store};

const REGISTRY: &str = "registry.example.com";
/// The first and the rotated password: never in any output, log or file of ours.
const FIRST: &str = "canary-first-7c1d93a";
const SECOND: &str = "canary-second-e28b4f0";

struct World {
    keyring: KernelKeyring,
    server: ApiServer,
    _dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl World {
    fn new() -> World {
        let keyring = KernelKeyring::new();
        store(&keyring, REGISTRY, "alice", FIRST);
        let server = ApiServer::start_tls();
        server.create_namespace("dev");
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = Kubeconfig::new()
            .server("fake", &server)
            .context_ns("fake", "dev")
            .current("fake")
            .write(dir.path().join("kubeconfig"));
        World {
            keyring,
            server,
            _dir: dir,
            kubeconfig,
        }
    }

    /// The binary with `args`; no KUBECONFIG: a saved push must carry its own.
    fn run(&self, args: &[&str]) -> Run {
        let run = run_command(helper_command(&self.keyring, args), b"");
        assert_no_secret(&run.stdout);
        assert_no_secret(&run.stderr);
        run
    }

    fn push_save(&self, extra: &[&str]) -> Run {
        let k = self.kubeconfig.to_str().unwrap();
        let mut args = vec!["push", REGISTRY, "--kubeconfig", k, "--save"];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    fn rotate(&self, secret: &str) {
        store(&self.keyring, REGISTRY, "alice", secret);
    }

    /// The password in the Secret the fake holds.
    fn pushed_password(&self) -> Option<String> {
        let data = self.server.secret_data("dev", "regcred")?;
        let config: Value = serde_json::from_slice(&data[".dockerconfigjson"]).unwrap();
        Some(config["auths"][REGISTRY]["password"].as_str()?.to_owned())
    }

    fn home(&self) -> PathBuf {
        self.keyring.home.path().to_path_buf()
    }

    fn saved_file(&self) -> PathBuf {
        self.home()
            .join(".config/docker-credential-keyring/saved-pushes.json")
    }

    fn log(&self) -> PathBuf {
        self.home()
            .join(".local/state/docker-credential-keyring/sync.log")
    }

    fn enable_sync_on_store(&self) {
        let dir = self.home().join(".config/docker-credential-keyring");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.json"), r#"{"sync_on_store": true}"#).unwrap();
    }

    /// `sync ARGS` running in the background, its stdout and stderr lines arriving on the
    /// channels.
    fn spawn(&self, args: &[&str]) -> (Child, mpsc::Receiver<String>, mpsc::Receiver<String>) {
        let mut cmd = helper_command(&self.keyring, args);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let out = lines_of(child.stdout.take().unwrap());
        let err = lines_of(child.stderr.take().unwrap());
        (child, out, err)
    }
}

/// Each line read from `pipe`, as it arrives.
fn lines_of(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            assert_no_secret(&line);
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[track_caller]
fn assert_no_secret(text: &str) {
    for s in [FIRST, SECOND] {
        for form in [
            s.to_owned(),
            B64.encode(s),
            B64.encode(format!("alice:{s}")),
        ] {
            assert!(!text.contains(&form), "a secret leaked: {text}");
        }
    }
}

/// Wait (generously: this is no timing claim) until `cond` holds.
#[track_caller]
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

fn terminate(child: &Child) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Wait for `child` to exit (killing it after a generous bound) and say how it ended.
fn wait_exit(child: &mut Child) -> (std::process::ExitStatus, Duration) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status, start.elapsed());
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("still running 20 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn sync_picks_up_a_rotation_then_says_unchanged() {
    let w = World::new();
    let saved = w.push_save(&[]);
    assert_eq!(saved.ok(), "fake/dev/regcred: created\n", "{saved:#?}");
    assert!(saved.stderr.contains("saved as push 1"), "{saved:#?}");
    assert_eq!(w.pushed_password().as_deref(), Some(FIRST));

    w.rotate(SECOND);
    let run = w.run(&["sync"]);
    assert_eq!(run.ok(), "fake/dev/regcred: updated\n", "{run:#?}");
    assert_eq!(w.pushed_password().as_deref(), Some(SECOND));

    let run = w.run(&["sync"]);
    assert_eq!(run.ok(), "fake/dev/regcred: unchanged\n", "{run:#?}");
    let list = w.run(&["sync", "--list"]);
    let text = list.ok();
    assert!(
        text.starts_with(&format!(
            "1: keychain {REGISTRY} -> regcred in context fake, its namespace (kubeconfig /"
        )),
        "{text}"
    );
    assert!(text.contains("  last run: 20"), "{text}");
    assert!(text.contains("  fake/dev/regcred: unchanged"), "{text}");
    assert_no_secret(&std::fs::read_to_string(w.saved_file()).unwrap());
}

#[test]
fn a_failing_target_fails_sync_and_is_listed() {
    let w = World::new();
    w.push_save(&["-n", "dev", "-n", "missing"]);
    let run = w.run(&["sync"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stdout.contains("fake/dev/regcred: unchanged\n"),
        "{run:#?}"
    );
    assert!(
        run.stdout.contains("fake/missing/regcred: failed: "),
        "{run:#?}"
    );
    let list = w.run(&["sync", "--list"]);
    assert!(
        list.ok().contains("  fake/missing/regcred: failed: "),
        "{list:#?}"
    );
}

#[test]
fn saving_the_same_targets_again_updates_the_saved_push() {
    let w = World::new();
    w.push_save(&[]);
    let again = w.push_save(&["--service-account", "default"]);
    assert!(again.stderr.contains("updated saved push 1"), "{again:#?}");
    let list = w.run(&["sync", "--list"]);
    let text = list.ok();
    assert!(!text.contains("\n2: "), "{text}");
    assert!(text.contains("(service accounts: default)"), "{text}");
}

#[test]
fn forget_removes_one_and_an_unknown_id_is_refused() {
    let w = World::new();
    w.push_save(&[]);
    let run = w.run(&["sync", "--forget", "7"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(
        run.stderr,
        "docker-credential-keyring: no saved push with id 7: see `docker-credential-keyring sync --list`\n"
    );
    w.run(&["sync", "--forget", "1"]).ok();
    let list = w.run(&["sync", "--list"]);
    assert_eq!(list.code, Some(1), "{list:#?}");
    assert!(list.stderr.contains("no saved pushes"), "{list:#?}");
    // The Secret stays: forgetting changes nothing in the cluster.
    assert_eq!(w.pushed_password().as_deref(), Some(FIRST));
}

#[test]
fn a_bad_interval_is_one_clear_line_and_exit_2() {
    let w = World::new();
    let run = w.run(&["sync", "--every", "5 minutes"]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(
        run.stderr
            .lines()
            .next()
            .unwrap()
            .contains("use a whole number and a unit, e.g. 90s, 30m, 6h"),
        "{run:#?}"
    );
}

#[test]
fn every_picks_up_a_rotation_and_sigterm_ends_it_with_status_0() {
    let w = World::new();
    w.push_save(&[]);
    let (mut child, lines, _) = w.spawn(&["sync", "--every", "1s"]);
    // The first round finds nothing changed and prints nothing; give it time to pass.
    eventually("a first round recorded", || {
        let text = std::fs::read_to_string(w.saved_file()).unwrap_or_default();
        text.contains("fake/dev/regcred: unchanged")
    });
    w.rotate(SECOND);
    let line = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("a line for the rotation");
    assert_eq!(line, "fake/dev/regcred: updated");
    assert_eq!(w.pushed_password().as_deref(), Some(SECOND));
    terminate(&child);
    let (status, took) = wait_exit(&mut child);
    assert_eq!(status.code(), Some(0), "{status:?}");
    // Loosely: the interval is sliced, so this is about a second at most on a quiet machine.
    assert!(took < Duration::from_secs(10), "{took:?}");
    // Nothing else was printed: the unchanged rounds are silent.
    assert!(lines.try_recv().is_err());
}

#[test]
fn sync_on_store_updates_the_secret_in_the_background() {
    let w = World::new();
    w.push_save(&[]);
    w.enable_sync_on_store();
    let payload = serde_json::json!({"ServerURL": REGISTRY, "Username": "alice", "Secret": SECOND});
    let run = helper(&w.keyring, &["store"], &payload.to_string());
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (Some(0), "", "")
    );
    eventually("the Secret follows the store", || {
        w.pushed_password().as_deref() == Some(SECOND)
    });
    eventually("the background run is listed", || {
        w.run(&["sync", "--list"])
            .stdout
            .contains("  fake/dev/regcred: updated")
    });
    let log = std::fs::read_to_string(w.log()).unwrap();
    assert!(log.contains("fake/dev/regcred: updated"), "{log}");
    assert_no_secret(&log);
}

#[test]
fn sync_on_store_never_fails_the_store_when_the_cluster_is_unreachable() {
    let w = World::new();
    w.push_save(&[]);
    w.enable_sync_on_store();
    // The saved kubeconfig now points at a port where nothing listens.
    Kubeconfig::new()
        .cluster(
            "fake",
            "https://127.0.0.1:9",
            Ca::Data(w.server.ca_pem().into()),
        )
        .user("fake", Auth::Token(DEFAULT_TOKEN.into()))
        .context("fake", "fake", "fake", Some("dev"))
        .current("fake")
        .write(&w.kubeconfig);
    let payload = serde_json::json!({"ServerURL": REGISTRY, "Username": "alice", "Secret": SECOND});
    let run = helper(&w.keyring, &["store"], &payload.to_string());
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (Some(0), "", "")
    );
    let got = helper(&w.keyring, &["get"], REGISTRY);
    assert!(got.ok().contains(SECOND));
    eventually("the failure is listed", || {
        w.run(&["sync", "--list"])
            .stdout
            .contains("  fake/dev/regcred: failed: ")
    });
    assert_no_secret(&std::fs::read_to_string(w.log()).unwrap());
}

#[test]
fn sync_on_store_starts_only_for_registries_a_saved_push_includes() {
    let w = World::new();
    w.push_save(&[]).ok();
    w.enable_sync_on_store();
    store(&w.keyring, "other.example.com", "bob", SECOND);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!w.log().exists(), "a sync was started for another registry");
    // Another spelling of the saved registry counts (the address rules of `get`).
    store(&w.keyring, &format!("https://{REGISTRY}"), "alice", SECOND);
    eventually("a sync for the saved registry", || {
        std::fs::read_to_string(w.log())
            .unwrap_or_default()
            .contains(&format!(
                "store of https://{REGISTRY}: syncing saved push 1"
            ))
    });
}

/// A JWT whose payload says `exp`.
fn jwt(exp: u64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"ci","exp":{exp}}}"#));
    format!("{header}.{claims}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk")
}

#[test]
fn push_and_sync_say_when_a_jwt_expires_and_never_print_it() {
    let w = World::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = jwt(now + 7200);
    store(&w.keyring, REGISTRY, "alice", &token);
    let saved = w.push_save(&[]);
    saved.ok();
    assert!(
        saved
            .stderr
            .contains(&format!("push: {REGISTRY}: the credential expires at 20")),
        "{saved:#?}"
    );
    assert!(
        saved.stderr.contains("no sync timer is enabled"),
        "{saved:#?}"
    );
    let (mut child, _, errors) = w.spawn(&["sync", "--every", "6h"]);
    // The first round warns (the token lives 2 h, the next round is in 6 h).
    let mut stderr = String::new();
    while !stderr.contains("use a shorter --every") {
        let line = errors
            .recv_timeout(Duration::from_secs(30))
            .expect("the warning");
        stderr.push_str(&line);
        stderr.push('\n');
    }
    terminate(&child);
    assert_eq!(wait_exit(&mut child).0.code(), Some(0));
    assert!(
        stderr.contains(": sync: warning: push 1: a credential expires in ")
            && stderr.contains("before the next round (every 6h 0m): use a shorter --every"),
        "{stderr}"
    );
    let claims = token.split('.').nth(1).unwrap();
    for text in [&saved.stdout, &saved.stderr, &stderr] {
        assert!(!text.contains(claims), "the token was printed: {text}");
    }
    let list = w.run(&["sync", "--list"]);
    assert!(list.ok().contains("  credential expires: 20"), "{list:#?}");
    assert!(!list.stdout.contains(claims));
}
