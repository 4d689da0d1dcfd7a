//! Faults while the helper works: the keyring daemon killed or stopped mid-operation, the bus
//! going away, a full disk and a read-only directory under the file store and Docker's
//! config.json, an API server that drops connections or answers 500 during `push`.
//!
//! Each must end with a clear error (one line naming the cause, never the "not found" text
//! docker reads as "no credentials"), in bounded time (generous bounds: these are hang
//! detectors, not speed measurements), with no partial state and nothing lost: afterwards,
//! every entry is either its old or its new complete value.

#![cfg(target_os = "linux")]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::secret_service::{SecretServiceFixture, fixture};
use support::{Keyring, Run, helper, helper_command, run_command, store};

use docker_credential_keyring::protocol::NOT_FOUND;
const HELPERS: usize = 16;

fn server(i: usize) -> String {
    format!("https://reg{i}.faults.example")
}

/// The two complete values entry `i` may have: (username, secret).
fn old(i: usize) -> (String, String) {
    (
        format!("old-user-{i}"),
        format!("old-secret-{i}-{}", "o".repeat(64)),
    )
}
fn new(i: usize) -> (String, String) {
    (
        format!("new-user-{i}"),
        format!("new-secret-{i}-{}", "n".repeat(64)),
    )
}

/// 16 helpers at once: even ones store the new value of entry i, odd ones read entry i.
/// `fault` runs on this thread once the helpers are under way. Every run ends by itself (the
/// support runner kills a helper after 60 s, which fails the bound below). Also returns how
/// many helpers met the fault: were still running when it had struck.
fn under_fault(
    k: &dyn Keyring,
    extra_env: &[(&str, &str)],
    delay: Duration,
    fault: impl FnOnce(),
) -> (Vec<(usize, &'static str, Run)>, usize) {
    let mut struck = None;
    let runs = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..HELPERS)
            .map(|i| {
                let mut cmd = if i % 2 == 0 {
                    helper_command(k, &["store"])
                } else {
                    helper_command(k, &["get"])
                };
                for (key, v) in extra_env {
                    cmd.env(key, v);
                }
                let (action, input) = if i % 2 == 0 {
                    let (u, s) = new(i);
                    (
                        "store",
                        serde_json::json!({"ServerURL": server(i), "Username": u, "Secret": s})
                            .to_string(),
                    )
                } else {
                    ("get", server(i))
                };
                scope.spawn(move || {
                    let r = run_command(cmd, input.as_bytes());
                    (i, action, r, std::time::Instant::now())
                })
            })
            .collect();
        std::thread::sleep(delay);
        fault();
        struck = Some(std::time::Instant::now());
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    let struck = struck.expect("the fault ran");
    let met = runs.iter().filter(|(_, _, _, end)| *end > struck).count();
    let runs: Vec<_> = runs.into_iter().map(|(i, a, r, _)| (i, a, r)).collect();
    let summary: Vec<String> = runs
        .iter()
        .map(|(i, a, r)| {
            format!(
                "{i}:{a}:{:?}:{}",
                r.code,
                r.stdout.trim().chars().take(60).collect::<String>()
            )
        })
        .collect();
    eprintln!("outcomes: {summary:#?}");
    for (i, action, r) in &runs {
        assert!(
            r.elapsed < Duration::from_secs(40),
            "helper {i} ({action}) took {:?}: {r:#?}",
            r.elapsed
        );
        match r.code {
            Some(0) => {
                if *action == "get" {
                    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
                    let pair = (
                        v["Username"].as_str().unwrap().to_owned(),
                        v["Secret"].as_str().unwrap().to_owned(),
                    );
                    assert!(
                        pair == old(*i) || pair == new(*i),
                        "get {i}: torn value {pair:?}"
                    );
                }
            }
            Some(1) => {
                let line = r.fails();
                assert_ne!(
                    line, NOT_FOUND,
                    "helper {i} ({action}) claimed no credentials: {r:#?}"
                );
                assert!(line.len() > 20, "a clear error: {r:#?}");
            }
            _ => panic!("helper {i} ({action}) neither succeeded nor failed cleanly: {r:#?}"),
        }
        assert!(!r.stderr.contains("panicked"), "{r:#?}");
    }
    eprintln!("{met} of {HELPERS} helpers met the fault");
    (runs, met)
}

/// Every entry is its old or new complete value; `list` agrees with `get`; a store that
/// reported success is not lost.
#[track_caller]
fn nothing_lost(k: &dyn Keyring, runs: &[(usize, &'static str, Run)]) {
    nothing_lost_with(k, runs, &|_| String::new())
}

/// [`nothing_lost`], with `describe(i)` added to a failure (the keychain's own view of entry i).
#[track_caller]
fn nothing_lost_with(
    k: &dyn Keyring,
    runs: &[(usize, &'static str, Run)],
    describe: &dyn Fn(usize) -> String,
) {
    let listed: serde_json::Value = serde_json::from_str(helper(k, &["list"], "").ok()).unwrap();
    for i in 0..HELPERS {
        let r = helper(k, &["get"], &server(i));
        let v: serde_json::Value = serde_json::from_str(r.ok()).unwrap_or_else(|e| {
            panic!("entry {i} lost ({e}): {r:#?}");
        });
        let pair = (
            v["Username"].as_str().unwrap().to_owned(),
            v["Secret"].as_str().unwrap().to_owned(),
        );
        assert!(
            pair == old(i) || pair == new(i),
            "entry {i} is neither old nor new: {pair:?}; {}",
            describe(i)
        );
        // `list` names one of the two usernames (it reads no secret, so after a crash inside
        // CreateItem it may name the torn newer item's user while `get` answers the previous
        // complete credential).
        let user = listed[server(i)].as_str().unwrap_or_default();
        assert!(
            user == old(i).0 || user == new(i).0,
            "list names a known user for {i}: {user:?}"
        );
        let stored_ok = runs
            .iter()
            .any(|(j, a, r)| *j == i && *a == "store" && r.code == Some(0));
        if stored_ok {
            assert_eq!(pair, new(i), "entry {i}: a store that succeeded was lost");
        }
    }
    assert_eq!(
        listed.as_object().unwrap().len(),
        HELPERS,
        "no entry duplicated or invented: {listed}"
    );
}

/// SIGKILL `pid` with the shell's builtin kill (procps' /usr/bin/kill is not on every image).
fn kill9(pid: u32) {
    let status = Command::new("sh")
        .args(["-c", "kill -s KILL \"$1\"", "sh", &pid.to_string()])
        .status()
        .expect("run sh");
    assert!(status.success(), "kill -KILL {pid}");
}

fn seed(k: &dyn Keyring) {
    for i in 0..HELPERS {
        let (u, s) = old(i);
        store(k, &server(i), &u, &s);
    }
}

#[test]
fn keyring_daemon_killed_while_16_helpers_run() {
    let mut met_any = 0;
    for delay_ms in [0, 30, 60, 90, 120, 150, 200] {
        let mut k = fixture();
        seed(&k);
        let pid = k.keyring_pid();
        let (runs, met) = under_fault(
            &k,
            &[("DOCKER_CREDENTIAL_KEYRING_TIMEOUT", "5")],
            Duration::from_millis(delay_ms),
            || {
                kill9(pid);
            },
        );
        // A fresh daemon on the same keyring files.
        k.restart_keyring();
        nothing_lost_with(&k, &runs, &|i| {
            format!("items: {:#?}", k.items_for(&server(i)))
        });
        met_any += met;
    }
    // The later kills may come after every helper is done; the early ones may not.
    assert!(
        met_any > 0,
        "no helper was running when the daemon was killed: nothing was tested"
    );
}

#[test]
fn keyring_daemon_stopped_while_16_helpers_run_times_out_cleanly() {
    let k = fixture();
    seed(&k);
    let (runs, _) = under_fault(
        &k,
        &[("DOCKER_CREDENTIAL_KEYRING_TIMEOUT", "2")],
        Duration::from_millis(20),
        || k.stop_keyring(),
    );
    let timed_out: Vec<_> = runs.iter().filter(|(_, _, r)| r.code == Some(1)).collect();
    assert!(
        !timed_out.is_empty(),
        "some helper met the stopped daemon (the check can fail)"
    );
    for (_, _, r) in &timed_out {
        // The daemon that stopped answering is named, with the setting that bounds the wait;
        // writers queued behind it give up on the store lock with their own message.
        assert!(
            r.stdout.contains("did not answer within 2 s")
                || r.stdout.contains("another docker-credential-keyring"),
            "{r:#?}"
        );
        // Within the configured deadline (2 s per call) after at most the 10 s a writer waits
        // for the store lock, plus a generous allowance for a loaded machine.
        if r.stdout.contains("did not answer within 2 s") {
            assert!(r.elapsed < Duration::from_secs(20), "{r:#?}");
        }
    }
    k.continue_keyring();
    // Requests the daemon queued while stopped are processed now: let them land.
    std::thread::sleep(Duration::from_millis(500));
    nothing_lost(&k, &runs);
}

#[test]
fn bus_killed_while_16_helpers_run() {
    let mut k = fixture();
    seed(&k);
    let bus = k.bus_pid();
    let (runs, met) = under_fault(
        &k,
        &[("DOCKER_CREDENTIAL_KEYRING_TIMEOUT", "5")],
        Duration::from_millis(30),
        || {
            kill9(bus);
        },
    );
    assert!(
        met > 0,
        "no helper was running when the bus was killed: nothing was tested"
    );
    k.restart_bus_and_keyring();
    nothing_lost(&k, &runs);
}

// ---- the file store and config.json on a full or read-only filesystem ----

/// A tmpfs of `size` mounted on `dir` for one test (root only: CI runs as root), unmounted on
/// drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "mount a tmpfs (the fault tests run as root, as CI does): {out:?}"
        );
        Tmpfs(dir.to_path_buf())
    }

    fn read_only(&self) {
        let out = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .output()
            .unwrap();
        assert!(out.status.success(), "remount read-only: {out:?}");
    }

    fn read_write(&self) {
        let out = Command::new("mount")
            .args(["-o", "remount,rw"])
            .arg(&self.0)
            .output()
            .unwrap();
        assert!(out.status.success(), "remount read-write: {out:?}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn store_json(server: &str, user: &str, secret: &str) -> String {
    serde_json::json!({"ServerURL": server, "Username": user, "Secret": secret}).to_string()
}

#[test]
fn file_store_on_a_full_disk_fails_clearly_and_keeps_the_previous_file() {
    let f = support::file::FileKeyring::new();
    let dir = f.file().parent().unwrap().to_path_buf();
    let _fs = Tmpfs::mount(&dir, "64k");
    store(&f, "a.example", "alice", "first");
    let before = std::fs::read(f.file()).unwrap();
    // A credential too large for what is left: the new file cannot be written.
    let big = "x".repeat(48 * 1024);
    let r = helper(&f, &["store"], &store_json("b.example", "bob", &big));
    let line = r.fails();
    assert!(
        line.to_lowercase().contains("space") || line.contains("full"),
        "names the full disk: {r:#?}"
    );
    assert_eq!(
        std::fs::read(f.file()).unwrap(),
        before,
        "previous file intact"
    );
    let got: serde_json::Value =
        serde_json::from_str(helper(&f, &["get"], "a.example").ok()).unwrap();
    assert_eq!(got["Secret"], "first");
    assert_eq!(helper(&f, &["get"], "b.example").fails(), NOT_FOUND);
    // No temporary file left behind to fill the disk further.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert_eq!(names, vec!["credentials.enc.json".to_owned()], "{names:?}");
}

#[test]
fn file_store_in_a_read_only_directory_fails_clearly_and_loses_nothing() {
    let f = support::file::FileKeyring::new();
    let dir = f.file().parent().unwrap().to_path_buf();
    let fs = Tmpfs::mount(&dir, "1m");
    store(&f, "a.example", "alice", "first");
    let before = std::fs::read(f.file()).unwrap();
    fs.read_only();
    for (args, input) in [
        (&["store"][..], store_json("a.example", "alice", "second")),
        (&["store"][..], store_json("b.example", "bob", "other")),
        (&["erase"][..], "a.example".to_owned()),
    ] {
        let r = helper(&f, args, &input);
        let line = r.fails();
        assert_ne!(line, NOT_FOUND, "{r:#?}");
        assert!(
            line.contains("read-only") || line.contains("Read-only"),
            "names the read-only filesystem: {r:#?}"
        );
    }
    // Reading still works on a read-only disk.
    let got: serde_json::Value =
        serde_json::from_str(helper(&f, &["get"], "a.example").ok()).unwrap();
    assert_eq!(got["Secret"], "first");
    helper(&f, &["list"], "").ok();
    fs.read_write();
    assert_eq!(
        std::fs::read(f.file()).unwrap(),
        before,
        "previous file intact"
    );
}

#[test]
fn import_with_config_json_on_a_full_or_read_only_disk_loses_nothing() {
    use support::adoption::{Sandbox, auth};
    let secret = "imported-secret-value";
    let config = format!(
        "{{\n\t\"auths\": {{\n\t\t\"registry.faults.example\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}}\n\t}},\n\t\"psFormat\": \"{}\"\n}}",
        auth("ivan", secret),
        "p".repeat(20_000)
    );
    // Read-only: the config cannot be rewritten.
    let s = Sandbox::new().keyring(Box::new(fixture()));
    let fs = Tmpfs::mount(&s.config_dir(), "1m");
    s.write_config(&config);
    fs.read_only();
    let r = s.ours(&["import"], "");
    assert_eq!(r.code, Some(1), "{r:#?}");
    assert!(
        r.stderr.contains("read-only") || r.stderr.contains("Read-only"),
        "names the read-only filesystem: {r:#?}"
    );
    assert!(!r.stderr.contains(secret) && !r.stdout.contains(secret));
    assert_eq!(s.config_bytes(), config.as_bytes(), "config.json unchanged");
    fs.read_write();
    drop(fs);
    // Full: room for the file but not for a second copy (the rewrite and its backup).
    let s = Sandbox::new().keyring(Box::new(fixture()));
    let fs = Tmpfs::mount(&s.config_dir(), "28k");
    s.write_config(&config);
    let r = s.ours(&["import"], "");
    assert_eq!(r.code, Some(1), "{r:#?}");
    assert!(!r.stderr.contains(secret) && !r.stdout.contains(secret));
    let now = s.config_bytes();
    // Nothing lost: the credential is in config.json as before, or in the keychain.
    let in_config = now == config.as_bytes();
    let in_keychain = s.get("registry.faults.example") == Some(("ivan".into(), secret.into()));
    assert!(
        in_config || in_keychain,
        "the credential is somewhere: config now {:?}",
        String::from_utf8_lossy(&now[..now.len().min(200)])
    );
    assert!(
        serde_json::from_slice::<serde_json::Value>(&now).is_ok(),
        "config.json is still valid JSON"
    );
    drop(fs);
}

// ---- push against an API server that fails ----

fn push_env(k: &SecretServiceFixture, kubeconfig: &Path) -> Vec<(OsString, OsString)> {
    let mut env = k.env();
    env.push(("KUBECONFIG".into(), kubeconfig.into()));
    env
}

/// A keychain holding one credential and a plain-HTTP fake with namespaces one, two, three.
struct PushFaults {
    keyring: SecretServiceFixture,
    server: support::apiserver::ApiServer,
    kubeconfig: PathBuf,
}

impl PushFaults {
    fn new() -> PushFaults {
        use support::apiserver::ApiServer;
        use support::kubeconfig::Kubeconfig;
        let keyring = fixture();
        store(
            &keyring,
            "registry.push-faults.example",
            "jane",
            "push-secret",
        );
        let server = ApiServer::start();
        for ns in ["one", "two", "three"] {
            server.create_namespace(ns);
        }
        let kubeconfig = Kubeconfig::new()
            .server("dev", &server)
            .current("dev")
            .write(keyring.home.path().join("kubeconfig"));
        PushFaults {
            keyring,
            server,
            kubeconfig,
        }
    }

    fn push(&self) -> Run {
        let mut cmd = support::command(&push_env(&self.keyring, &self.kubeconfig));
        cmd.args([
            "--backend",
            "secret-service",
            "push",
            "registry.push-faults.example",
            "-n",
            "one",
            "-n",
            "two",
            "-n",
            "three",
            "--request-timeout",
            "5",
        ]);
        run_command(cmd, b"")
    }

    /// With `kind` injected on the write (PATCH) of namespace `two`'s secret, after push's
    /// read of it succeeded: push fails that target alone, by name, leaks nothing, and leaves
    /// no partial state.
    #[track_caller]
    fn assert_only_two_fails(&self, kind: support::apiserver::FaultKind, what: &str) {
        use support::apiserver::Fault;
        self.server.clear_faults();
        self.server.clear_requests();
        self.server
            .inject(Fault::new(kind, "/api/v1/namespaces/two/secrets/regcred").method("PATCH"));
        let r = self.push();
        // The fault was met: push read the secret, then its write hit the fault.
        let two: Vec<_> = self
            .server
            .requests()
            .into_iter()
            .filter(|q| q.path == "/api/v1/namespaces/two/secrets/regcred")
            .collect();
        assert!(
            two.iter().any(|q| q.method == "GET" && q.status.is_some()),
            "{what}: push read the secret first: {two:#?}"
        );
        assert!(
            two.iter()
                .any(|q| q.method == "PATCH" && q.status.is_none_or(|s| s >= 500)),
            "{what}: push's write met the fault: {two:#?}"
        );
        assert_eq!(r.code, Some(1), "{what}: {r:#?}");
        assert!(
            r.elapsed < Duration::from_secs(40),
            "{what}: bounded: {r:#?}"
        );
        assert!(!r.stderr.contains("panicked"), "{r:#?}");
        let failed: Vec<_> = r.stdout.lines().filter(|l| l.contains("failed")).collect();
        assert_eq!(
            failed.len(),
            1,
            "{what}: one target failed, by name: {r:#?}"
        );
        assert!(failed[0].contains("/two/"), "{what}: {r:#?}");
        assert!(
            !r.stdout.contains("push-secret") && !r.stderr.contains("push-secret"),
            "{r:#?}"
        );
        // No partial state: the failed namespace has no secret or a complete one.
        for ns in ["one", "three"] {
            let data = self
                .server
                .secret_data(ns, "regcred")
                .expect("the others were pushed");
            let doc: serde_json::Value =
                serde_json::from_slice(&data[".dockerconfigjson"]).unwrap();
            assert!(doc["auths"]["registry.push-faults.example"]["auth"].is_string());
        }
        if let Some(data) = self.server.secret_data("two", "regcred") {
            let doc: serde_json::Value =
                serde_json::from_slice(&data[".dockerconfigjson"]).unwrap();
            assert!(doc["auths"]["registry.push-faults.example"]["auth"].is_string());
        }
    }

    /// The fault that commits the write and drops the answer: push cannot know whether it
    /// happened, so it says `two` failed; what the server holds is complete.
    #[track_caller]
    fn assert_two_written_but_unanswered(&self) {
        self.assert_only_two_fails(
            support::apiserver::FaultKind::DropAnswer,
            "answer dropped after the write",
        );
        let data = self
            .server
            .secret_data("two", "regcred")
            .expect("the fault commits the write");
        let doc: serde_json::Value = serde_json::from_slice(&data[".dockerconfigjson"]).unwrap();
        let auth = doc["auths"]["registry.push-faults.example"]["auth"]
            .as_str()
            .unwrap();
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth)
            .unwrap();
        assert_eq!(decoded, b"jane:push-secret", "a complete credential");
    }

    /// The keychain lost nothing along the way.
    #[track_caller]
    fn assert_keychain_kept(&self) {
        let got: serde_json::Value = serde_json::from_str(
            helper(&self.keyring, &["get"], "registry.push-faults.example").ok(),
        )
        .unwrap();
        assert_eq!(got["Secret"], "push-secret");
    }
}

#[test]
fn push_fails_only_the_target_whose_connection_the_server_drops() {
    let w = PushFaults::new();
    w.assert_only_two_fails(
        support::apiserver::FaultKind::DropConnection,
        "dropped connection",
    );
    w.assert_keychain_kept();
}

#[test]
fn push_fails_only_the_target_the_server_answers_500() {
    let w = PushFaults::new();
    w.assert_only_two_fails(support::apiserver::FaultKind::InternalError, "500");
    w.assert_keychain_kept();
}

#[test]
fn push_fails_only_the_target_whose_answer_the_server_drops_after_writing() {
    let w = PushFaults::new();
    w.assert_two_written_but_unanswered();
    w.assert_keychain_kept();
}

/// After the faults, once the server is well again, a retry completes everything.
#[test]
fn push_retried_after_server_faults_completes_every_target() {
    use support::apiserver::FaultKind;
    let w = PushFaults::new();
    w.assert_only_two_fails(FaultKind::DropConnection, "dropped connection");
    w.assert_only_two_fails(FaultKind::InternalError, "500");
    w.assert_two_written_but_unanswered();
    w.server.clear_faults();
    let r = w.push();
    r.ok();
    assert!(
        r.stdout.contains("/two/regcred: unchanged"),
        "the write the lost answer hid is found: {r:#?}"
    );
    assert!(w.server.secret_data("two", "regcred").is_some());
    w.assert_keychain_kept();
}

/// Regression (found by `keyring_daemon_killed_while_16_helpers_run`): gnome-keyring killed
/// inside `CreateItem` leaves the new item on disk without its secret, next to the previous
/// credential. `get` must answer the previous complete credential, not the newer torn one.
#[test]
fn an_item_torn_by_a_daemon_crash_does_not_shadow_the_previous_credential() {
    let k = fixture();
    store(&k, "https://torn.example", "old-user", "old-secret");
    // The torn item, as the crash leaves it: Docker's attributes, newer, empty secret.
    std::thread::sleep(Duration::from_millis(1100));
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        "printf '' | secret-tool store --label=https://torn.example xdg:schema io.docker.Credentials label 'Docker Credentials' server https://torn.example username new-user docker_cli 1",
    ])
    .env_clear()
    .env("PATH", std::env::var_os("PATH").unwrap_or_default())
    .envs(k.tool_env());
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let items = k.items_for("https://torn.example");
    assert_eq!(items.len(), 2, "both items are there: {items:#?}");
    let got: serde_json::Value =
        serde_json::from_str(helper(&k, &["get"], "https://torn.example").ok()).unwrap();
    assert_eq!(
        (got["Username"].as_str(), got["Secret"].as_str()),
        (Some("old-user"), Some("old-secret"))
    );
    // The next store cleans up: one item, the new credential.
    store(&k, "https://torn.example", "new-user", "new-secret");
    assert_eq!(k.items_for("https://torn.example").len(), 1);
}
