//! Saved pushes and `sync` end to end: the built binary reads a real kernel keyring (the
//! keyutils backend), where a test rotates the credential with a real `store`, or a rotating
//! credential helper (a script on PATH whose `get` mints a new token each time), and writes to
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
use support::apiserver::{ApiServer, Fault, FaultKind};
use support::keyutils::KernelKeyring;
use support::kubeconfig::Kubeconfig;
use support::{Run, helper, helper_command, run_command, store};

const REGISTRY: &str = "registry.example.com";
/// The first and the rotated password: never in any output, log or file of ours.
const FIRST: &str = "canary-first-7c1d93a";
const SECOND: &str = "canary-second-e28b4f0";
/// What every command of ours gets in its environment; no child of ours may inherit it.
const PASSPHRASE_CANARY: &str = "passphrase-canary-51d0ae";
/// The registry the rotating helper serves.
const ROTATING: &str = "r.example";

/// The rotating helper's token number `n`: never in any output, log or file of ours.
fn token(n: u64) -> String {
    format!("rotating-{n}-canary-4b8e1f")
}

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
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = Kubeconfig::new()
            .server("fake", &server)
            .context_ns("fake", "dev")
            .current("fake")
            .write(dir.path().join("kubeconfig"));
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        World {
            keyring,
            server,
            dir,
            kubeconfig,
        }
    }

    /// The binary with `args`; no KUBECONFIG: a saved push must carry its own. Our bin
    /// directory (test helpers) first on PATH, and a passphrase that no child may inherit.
    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = helper_command(&self.keyring, args);
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![self.bin()];
        dirs.extend(std::env::split_paths(&path));
        cmd.env("PATH", std::env::join_paths(dirs).unwrap())
            .env("DOCKER_CREDENTIAL_KEYRING_PASSPHRASE", PASSPHRASE_CANARY);
        cmd
    }

    fn run(&self, args: &[&str]) -> Run {
        let run = run_command(self.command(args), b"");
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

    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    /// A helper script `docker-credential-NAME` on the binary's PATH.
    fn script(&self, name: &str, body: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.bin().join(format!("docker-credential-{name}"));
        // Written aside and renamed: a running sync never sees a half-written script.
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
    }

    /// `docker-credential-rotating`: `list` shows [`ROTATING`]; each `get` answers
    /// [`token`]`(N)`, N a counter it increments on every call, except while the file
    /// `frozen` exists (then N stays); the file `once` increments it one more time and goes.
    /// Each call appends its argv and environment to `spy.log`.
    fn rotating_helper(&self) {
        let d = self.dir.path().display();
        self.script(
            "rotating",
            &format!(
                r#"d='{d}'
{{ printf 'argv:'; printf ' %s' "$@"; echo; env; }} >> "$d/spy.log"
case "$1" in
list) printf '{{"{ROTATING}":"AWS"}}\n' ;;
get)
  read -r server || true
  n=$(cat "$d/counter" 2>/dev/null || echo 0)
  if [ -e "$d/once" ]; then rm -f "$d/once"; n=$((n+1))
  elif [ ! -e "$d/frozen" ]; then n=$((n+1)); fi
  echo "$n" > "$d/counter"
  echo get >> "$d/calls"
  printf '{{"ServerURL":"%s","Username":"AWS","Secret":"rotating-%s-canary-4b8e1f"}}\n' "$server" "$n" ;;
*) echo "unsupported action: $1"; exit 1 ;;
esac"#
            ),
        );
    }

    /// The rotating helper's counter: the number of the token it last answered.
    fn counter(&self) -> u64 {
        std::fs::read_to_string(self.dir.path().join("counter"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// How many `get`s the rotating helper answered.
    fn gets(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("calls"))
            .unwrap_or_default()
            .lines()
            .count()
    }

    /// Create (`true`) or remove one of the rotating helper's switch files.
    fn switch(&self, name: &str, on: bool) {
        let path = self.dir.path().join(name);
        if on {
            std::fs::write(path, "").unwrap();
        } else {
            std::fs::remove_file(path).unwrap();
        }
    }

    /// `push --from helper:rotating r.example --kubeconfig … --save ARGS`.
    fn push_save_rotating(&self, extra: &[&str]) -> Run {
        let k = self.kubeconfig.to_str().unwrap();
        let mut args = vec![
            "push",
            "--from",
            "helper:rotating",
            ROTATING,
            "--kubeconfig",
            k,
            "--save",
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// The password for `registry` in the Secret `name` the fake holds in `dev`.
    fn password_in(&self, name: &str, registry: &str) -> Option<String> {
        let data = self.server.secret_data("dev", name)?;
        let config: Value = serde_json::from_slice(&data[".dockerconfigjson"]).unwrap();
        Some(config["auths"][registry]["password"].as_str()?.to_owned())
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
        let mut cmd = self.command(args);
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
    assert!(!text.contains("-canary-4b8e1f"), "a token leaked: {text}");
    assert!(
        !text.contains(PASSPHRASE_CANARY),
        "the passphrase leaked: {text}"
    );
    let tokens = (0..50).map(|n| ("AWS", token(n)));
    let ours = [FIRST, SECOND].map(|s| ("alice", s.to_owned()));
    for (user, s) in ours.into_iter().chain(tokens) {
        for form in [s.clone(), B64.encode(&s), B64.encode(format!("{user}:{s}"))] {
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

/// Nothing saved is nothing to do, as an empty `kubectl get` is: exit 0 and one note (a timer
/// enabled before the first `push --save` stays green).
#[test]
fn sync_with_nothing_saved_exits_0_with_a_note() {
    let w = World::new();
    for args in [
        &["sync"][..],
        &["sync", "--list"],
        &["sync", "--every", "1h"],
    ] {
        let run = w.run(args);
        assert_eq!(run.code, Some(0), "{args:?}: {run:#?}");
        assert_eq!(run.stdout, "", "{args:?}");
        assert_eq!(
            run.stderr,
            "docker-credential-keyring: no saved pushes: save one with `docker-credential-keyring push REGISTRY … --save`\n",
            "{args:?}"
        );
    }
}

/// `push --save --dry-run` shows what would be saved, sends nothing and saves nothing.
#[test]
fn push_save_dry_run_previews_and_saves_nothing() {
    let w = World::new();
    w.server.create_namespace("apps");
    let preview = w.push_save(&["--dry-run", "-n", "apps"]);
    preview.ok();
    assert!(
        preview.stderr.contains("push: would save as push 1 (")
            && preview.stderr.contains("(dry run: nothing was saved)"),
        "{preview:#?}"
    );
    assert!(
        w.server.requests().is_empty(),
        "a client dry run sends nothing"
    );
    assert!(
        w.run(&["sync", "--list"])
            .stderr
            .contains("no saved pushes")
    );
    w.push_save(&["-n", "apps"]).ok();
    let again = w.push_save(&["--dry-run", "-n", "apps"]);
    assert!(
        again.stderr.contains("push: would update saved push 1 ("),
        "{again:#?}"
    );
}

/// `push --save` says when nothing will run the saved pushes, and not while `sync --every` runs.
#[test]
fn push_save_notes_when_nothing_runs_the_saved_pushes() {
    let w = World::new();
    let saved = w.push_save(&[]);
    assert!(
        saved
            .stderr
            .contains("push: note: nothing runs the saved pushes yet"),
        "{saved:#?}"
    );
    let (mut child, _, errors) = w.spawn(&["sync", "--every", "1h"]);
    // Its first round has run once the Secret is there again after a change.
    store(&w.keyring, REGISTRY, "alice", "second-password-7c1d");
    let _ = errors.recv_timeout(Duration::from_secs(1));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut saved = w.push_save(&[]);
    while saved.stderr.contains("nothing runs the saved pushes")
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(200));
        saved = w.push_save(&[]);
    }
    terminate(&child);
    assert_eq!(wait_exit(&mut child).0.code(), Some(0));
    assert!(
        !saved.stderr.contains("nothing runs the saved pushes"),
        "sync --every runs them: {saved:#?}"
    );
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
    assert_eq!(list.code, Some(0), "an empty list is no failure: {list:#?}");
    assert_eq!(list.stdout, "");
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
            .contains("use whole numbers with units, e.g. 90s, 30m, 1h30m, 2d"),
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
    // Nothing else was printed (read to the end of the stream): the unchanged rounds are silent.
    let mut rest = Vec::new();
    loop {
        match lines.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => rest.push(line),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(e) => panic!("stdout did not end after the exit: {e}"),
        }
    }
    assert!(rest.is_empty(), "printed: {rest:?}");
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
    // The saved push's cluster now drops every connection.
    w.server.inject(Fault::new(FaultKind::DropConnection, "/"));
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
    w.server.clear_requests();
    store(&w.keyring, "other.example.com", "bob", SECOND);
    // Another spelling of the saved registry counts (the address rules of `get`).
    store(&w.keyring, &format!("https://{REGISTRY}"), "alice", SECOND);
    eventually("the saved push's round is logged", || {
        std::fs::read_to_string(w.log())
            .unwrap_or_default()
            .contains("fake/dev/regcred: ")
    });
    // Settled: no background run of this world (the binary, with this HOME) is left, however
    // slow; only then does "nothing else ran" mean something.
    let bin = support::bin().canonicalize().unwrap();
    let home = format!("HOME={}", w.home().display());
    eventually("every background sync has exited", || {
        std::fs::read_dir("/proc").unwrap().flatten().all(|e| {
            let ours = std::fs::read_link(e.path().join("exe")).is_ok_and(|x| x == bin);
            let here = std::fs::read(e.path().join("environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|v| v == home.as_bytes()));
            !(ours && here)
        })
    });
    let log = std::fs::read_to_string(w.log()).unwrap();
    let started: Vec<_> = log.lines().filter(|l| l.contains(": store of ")).collect();
    assert_eq!(started.len(), 1, "one sync, for the saved registry: {log}");
    assert!(
        started[0].contains(&format!(
            "store of https://{REGISTRY}: syncing saved push 1"
        )),
        "{log}"
    );
    assert_eq!(
        log.matches("fake/dev/regcred: ").count(),
        1,
        "one round ran: {log}"
    );
    let writes: Vec<_> = w
        .server
        .writes()
        .into_iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        writes,
        ["PATCH /api/v1/namespaces/dev/secrets/regcred"],
        "one write, by the saved push's one sync"
    );
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
        saved
            .stderr
            .contains("nothing runs the saved pushes, so the Secret goes stale then"),
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

#[test]
fn sync_from_a_rotating_helper_picks_up_the_new_token_then_says_unchanged() {
    let w = World::new();
    w.rotating_helper();
    let saved = w.push_save_rotating(&[]);
    assert_eq!(saved.ok(), "fake/dev/regcred: created\n", "{saved:#?}");
    let first = w.counter();
    assert_eq!(w.password_in("regcred", ROTATING), Some(token(first)));

    // Each `get` mints a new token: sync pushes it.
    let run = w.run(&["sync"]);
    assert_eq!(run.ok(), "fake/dev/regcred: updated\n", "{run:#?}");
    let second = w.counter();
    assert!(second > first, "the helper was not asked again");
    assert_eq!(w.password_in("regcred", ROTATING), Some(token(second)));

    // The same token again: nothing to change.
    w.switch("frozen", true);
    let run = w.run(&["sync"]);
    assert_eq!(run.ok(), "fake/dev/regcred: unchanged\n", "{run:#?}");
    assert_eq!(w.password_in("regcred", ROTATING), Some(token(second)));
    let list = w.run(&["sync", "--list"]);
    let text = list.ok();
    assert!(
        text.starts_with(&format!("1: helper:rotating {ROTATING} -> regcred ")),
        "{text}"
    );
    assert!(text.contains("  fake/dev/regcred: unchanged"), "{text}");
}

#[test]
fn every_picks_up_a_rotating_helpers_new_token_within_three_rounds() {
    let w = World::new();
    w.rotating_helper();
    w.switch("frozen", true);
    w.push_save_rotating(&[]).ok();
    let before = w.counter();
    let (mut child, lines, _) = w.spawn(&["sync", "--every", "1s"]);
    // The first round gets the same token and prints nothing; wait until it is recorded.
    eventually("a first round recorded", || {
        let text = std::fs::read_to_string(w.saved_file()).unwrap_or_default();
        text.contains("fake/dev/regcred: unchanged")
    });
    let gets = w.gets();
    // The helper's next `get` answers a new token (and the ones after it, that token again).
    w.switch("once", true);
    let line = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("a line for the rotation");
    assert_eq!(line, "fake/dev/regcred: updated");
    // Each round asks the helper once; another round may have begun since the line.
    let rounds = w.gets() - gets;
    assert!(
        (1..=3).contains(&rounds),
        "the rotation took {rounds} rounds"
    );
    assert_eq!(w.counter(), before + 1);
    assert_eq!(w.password_in("regcred", ROTATING), Some(token(before + 1)));
    terminate(&child);
    let (status, _) = wait_exit(&mut child);
    assert_eq!(status.code(), Some(0), "{status:?}");
    // The rounds before and after the rotation found nothing to change and said nothing (read
    // to the end of the stream).
    let mut rest = Vec::new();
    loop {
        match lines.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => rest.push(line),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(e) => panic!("stdout did not end after the exit: {e}"),
        }
    }
    assert!(rest.is_empty(), "printed: {rest:?}");
}

#[test]
fn a_missing_or_failing_source_helper_fails_only_its_push_and_touches_nothing() {
    let w = World::new();
    w.rotating_helper();
    let k = w.kubeconfig.to_str().unwrap();
    // Two helpers that work when the pushes are saved (the rotating one under other names).
    for name in ["gone", "broken"] {
        w.script(name, "exec docker-credential-rotating \"$@\"");
        let from = format!("helper:{name}");
        let secret = format!("{name}-cred");
        let run = w.run(&[
            "push",
            "--from",
            &from,
            ROTATING,
            "--kubeconfig",
            k,
            "--name",
            &secret,
            "--save",
        ]);
        assert_eq!(
            run.ok(),
            format!("fake/dev/{secret}: created\n"),
            "{run:#?}"
        );
    }
    // Saved last: the failures before it must not keep it from running.
    w.push_save(&[]).ok();
    let kept: Vec<_> = ["gone-cred", "broken-cred"]
        .iter()
        .map(|name| w.server.secret("dev", name).unwrap())
        .collect();

    std::fs::remove_file(w.bin().join("docker-credential-gone")).unwrap();
    w.script("broken", "echo 'vault is sealed: run vault unseal'\nexit 1");
    w.rotate(SECOND);
    w.server.clear_requests();
    let run = w.run(&["sync"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(
        run.stdout,
        "push 1: failed: docker-credential-gone was not found on PATH: install it, or add the directory that holds it to PATH\n\
         push 2: failed: docker-credential-broken get failed: vault is sealed: run vault unseal\n\
         fake/dev/regcred: updated\n",
        "{run:#?}"
    );
    assert_eq!(w.pushed_password().as_deref(), Some(SECOND));
    // Nothing was sent for the failing pushes: no request names their Secrets, every write is
    // the working push's, and their Secrets are as they were.
    for r in w.server.requests() {
        assert!(
            !r.path.contains("gone-cred") && !r.path.contains("broken-cred"),
            "a request for a failing push: {}",
            r.to_text()
        );
    }
    for r in w.server.writes() {
        assert!(r.path.ends_with("/secrets/regcred"), "{}", r.to_text());
    }
    for (name, before) in ["gone-cred", "broken-cred"].iter().zip(&kept) {
        assert_eq!(w.server.secret("dev", name).as_ref(), Some(before));
    }

    let list = w.run(&["sync", "--list"]);
    let text = list.ok();
    assert!(
        text.contains(
            "  failed: docker-credential-gone was not found on PATH: install it, or add the directory that holds it to PATH\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "  failed: docker-credential-broken get failed: vault is sealed: run vault unseal\n"
        ),
        "{text}"
    );
    assert!(text.contains("  fake/dev/regcred: updated\n"), "{text}");
}

#[test]
fn a_rotating_helpers_tokens_never_leave_the_secret() {
    let w = World::new();
    w.rotating_helper();
    // Every run's output is checked by `run`, every line of `spawn` by `lines_of`.
    w.push_save_rotating(&[]).ok();
    w.run(&["sync"]).ok();
    w.run(&["sync", "--list"]).ok();
    let (mut child, lines, errors) = w.spawn(&["sync", "--every", "1s"]);
    let line = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("a line for the rotation");
    assert_eq!(line, "fake/dev/regcred: updated");
    terminate(&child);
    assert_eq!(wait_exit(&mut child).0.code(), Some(0));
    while errors.recv_timeout(Duration::from_secs(5)).is_ok() {}

    // A store for the registry starts the saved push in the background, which asks the
    // helper again: its log is checked too.
    w.enable_sync_on_store();
    let counter = w.counter();
    let payload = serde_json::json!({"ServerURL": ROTATING, "Username": "AWS", "Secret": FIRST});
    let run = run_command(w.command(&["store"]), payload.to_string().as_bytes());
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (Some(0), "", "")
    );
    eventually("the background sync pushed a new token", || {
        w.password_in("regcred", ROTATING) != Some(token(counter))
            && std::fs::read_to_string(w.log())
                .unwrap_or_default()
                .contains("fake/dev/regcred: updated")
    });
    assert_no_secret(&std::fs::read_to_string(w.log()).unwrap());
    assert_no_secret(&std::fs::read_to_string(w.saved_file()).unwrap());

    // The helper's argv is only the action; its environment has neither a token nor our
    // passphrase (each of our commands had it), also when the detached sync ran it.
    let spy = std::fs::read_to_string(w.dir.path().join("spy.log")).unwrap();
    let argv: Vec<&str> = spy.lines().filter(|l| l.starts_with("argv:")).collect();
    assert!(argv.len() >= 4, "{spy}");
    assert!(
        argv.iter().all(|l| *l == "argv: get" || *l == "argv: list"),
        "{argv:?}"
    );
    assert!(spy.contains("DOCKER_CREDENTIAL_KEYRING_BACKEND="), "{spy}");
    assert!(
        !spy.contains("DOCKER_CREDENTIAL_KEYRING_PASSPHRASE"),
        "{spy}"
    );
    assert_no_secret(&spy);
}

#[test]
fn a_failing_helper_that_prints_its_credential_leaks_it_nowhere() {
    let w = World::new();
    w.rotating_helper();
    w.script("leaky", "exec docker-credential-rotating \"$@\"");
    let k = w.kubeconfig.to_str().unwrap();
    let run = w.run(&[
        "push",
        "--from",
        "helper:leaky",
        ROTATING,
        "--kubeconfig",
        k,
        "--save",
    ]);
    assert_eq!(run.ok(), "fake/dev/regcred: created\n", "{run:#?}");

    // From now on it prints its credential, then fails. Every output of `run` is checked.
    w.script(
        "leaky",
        &format!(
            r#"printf '{{"ServerURL":"{ROTATING}","Username":"AWS","Secret":"{}"}}\n'
exit 1"#,
            token(7)
        ),
    );
    let failed = "docker-credential-leaky get failed: it exited with exit status: 1 (its output is not repeated: it may hold a secret)";
    let run = w.run(&["sync"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(
        run.stdout,
        format!("push 1: failed: {failed}\n"),
        "{run:#?}"
    );
    let list = w.run(&["sync", "--list"]);
    assert!(
        list.stdout.contains(&format!("  failed: {failed}\n")),
        "{list:#?}"
    );
    // The background sync a store starts logs the same failure.
    w.enable_sync_on_store();
    let payload = serde_json::json!({"ServerURL": ROTATING, "Username": "AWS", "Secret": FIRST});
    let run = run_command(w.command(&["store"]), payload.to_string().as_bytes());
    assert_eq!(run.code, Some(0), "{run:#?}");
    eventually("the background sync logged the failure", || {
        std::fs::read_to_string(w.log())
            .unwrap_or_default()
            .contains("docker-credential-leaky get failed")
    });
    assert_no_secret(&std::fs::read_to_string(w.log()).unwrap());
    let saved = std::fs::read_to_string(w.saved_file()).unwrap();
    assert!(saved.contains("its output is not repeated"), "{saved}");
    assert_no_secret(&saved);
}
