//! Secret hygiene: a canary secret that is stored, read, listed, erased, pushed and imported
//! never shows up anywhere but where the protocol prints it (`get` on stdout) and, encrypted,
//! in the store itself.
//!
//! Every run gets `RUST_LOG=trace` and `RUST_BACKTRACE=1`. While the operations run, a watcher
//! thread samples `/proc/*/cmdline` and `/proc/*/environ` of every process (the helper and its
//! children: pass, gpg, gpg-agent, exec credential plugins; the keyring daemon), and afterwards
//! every file under the test's HOME/XDG directories, `/dev/shm` and the files written in the
//! temporary directory since the test began is searched for the canary in plaintext (and for
//! the base64 forms config.json and pull secrets use).
//!
//! Also: closed stdout, `/dev/full`, a pipe whose reader goes away (with SIGPIPE ignored and
//! with it at its default) end with a non-zero exit and no panic.

#![cfg(target_os = "linux")]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use support::secret_service::{SecretServiceFixture, fixture};
use support::{Keyring, Run, helper_command, run_command};

/// A secret nobody else uses: unique per test, so parallel tests cannot confuse each other.
fn canary(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("CANARY{tag}x{}x{nanos:x}", std::process::id())
}

/// The needles a leak of `secret` (for `username`) can take: plaintext, base64 of
/// `username:secret` (config.json `auth`, the dockerconfigjson `auth`), and base64 of the secret
/// alone at each of the three alignments (inside a longer base64 text).
fn needles(username: &str, secret: &str) -> Vec<Vec<u8>> {
    let mut n = vec![
        secret.as_bytes().to_vec(),
        B64.encode(format!("{username}:{secret}")).into_bytes(),
    ];
    for pad in 0..3 {
        let prefixed = format!("{}{secret}", "x".repeat(pad));
        let enc = B64.encode(prefixed.as_bytes());
        // Skip the characters that depend on the prefix, keep the rest but the last block.
        let skip = (pad * 4).div_ceil(3);
        let keep = enc.len().saturating_sub(4);
        if keep > skip + 8 {
            n.push(enc.as_bytes()[skip..keep].to_vec());
        }
    }
    n
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

fn leaks(hay: &[u8], needles: &[Vec<u8>]) -> bool {
    needles.iter().any(|n| contains(hay, n))
}

/// Samples every process's argv and environment until stopped.
struct Watch {
    stop: Arc<AtomicBool>,
    state: Arc<Mutex<(Vec<String>, BTreeSet<String>)>>,
    handle: std::thread::JoinHandle<()>,
}

impl Watch {
    fn start(needles: Vec<Vec<u8>>) -> Watch {
        let stop = Arc::new(AtomicBool::new(false));
        let state = Arc::new(Mutex::new((Vec::new(), BTreeSet::new())));
        let (flag, shared) = (stop.clone(), state.clone());
        let handle = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let Ok(dir) = std::fs::read_dir("/proc") else {
                    break;
                };
                for e in dir.flatten() {
                    let name = e.file_name();
                    let Some(pid) = name
                        .to_str()
                        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
                    else {
                        continue;
                    };
                    let p = Path::new("/proc").join(pid);
                    let comm = std::fs::read_to_string(p.join("comm")).unwrap_or_default();
                    let comm = comm.trim().to_owned();
                    for what in ["cmdline", "environ"] {
                        let Ok(bytes) = std::fs::read(p.join(what)) else {
                            continue;
                        };
                        if what == "cmdline" {
                            // Scripts (pass) run as their interpreter: note argv[0..2] too.
                            let mut st = shared.lock().unwrap();
                            for arg in bytes.split(|b| *b == 0).take(2) {
                                let arg = String::from_utf8_lossy(arg);
                                st.1.insert(arg.rsplit('/').next().unwrap_or("").to_owned());
                            }
                        }
                        if what == "environ"
                            && let Some(home) = bytes
                                .split(|b| *b == 0)
                                .find_map(|v| v.strip_prefix(b"HOME="))
                        {
                            // Which test's process this is: each runs under a HOME of its own.
                            let key = format!("{comm} HOME={}", String::from_utf8_lossy(home));
                            shared.lock().unwrap().1.insert(key);
                        }
                        if leaks(&bytes, &needles) {
                            shared
                                .lock()
                                .unwrap()
                                .0
                                .push(format!("{what} of pid {pid} ({comm})"));
                        }
                    }
                    shared.lock().unwrap().1.insert(comm);
                }
            }
        });
        Watch {
            stop,
            state,
            handle,
        }
    }

    /// Whether every name in `names` has been sampled so far.
    fn has_seen(&self, names: &[&str]) -> bool {
        let st = self.state.lock().unwrap();
        names.iter().all(|n| st.1.contains(*n))
    }

    /// Stop sampling; the leaks found and the process names seen.
    fn finish(self) -> (Vec<String>, BTreeSet<String>) {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap();
        std::mem::take(&mut *self.state.lock().unwrap())
    }
}

/// The helper's short name as `/proc/<pid>/comm` shows it (15 bytes).
const HELPER_COMM: &str = "docker-credenti";

/// What the watcher records for the helper running under `home`: a test's own helper, not one
/// another test (or another suite on the machine) runs.
fn helper_in(home: &Path) -> String {
    format!("{HELPER_COMM} HOME={}", home.display())
}

/// Every file under `dirs` (and, when `since` is given, files in the temporary directory
/// modified since then) that holds a needle.
fn files_with(dirs: &[&Path], since: Option<SystemTime>, needles: &[Vec<u8>]) -> Vec<PathBuf> {
    fn walk(dir: &Path, since: Option<SystemTime>, out: &mut Vec<PathBuf>, depth: usize) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            let path = e.path();
            if ft.is_dir() && depth < 12 {
                walk(&path, since, out, depth + 1);
            } else if ft.is_file() {
                let Ok(md) = e.metadata() else { continue };
                let fresh = match since {
                    None => true,
                    Some(t) => md.modified().map(|m| m >= t).unwrap_or(true),
                };
                if fresh && md.len() < 8 << 20 {
                    out.push(path);
                }
            }
        }
    }
    let mut files = Vec::new();
    for d in dirs {
        walk(d, None, &mut files, 0);
    }
    if let Some(t) = since {
        walk(&std::env::temp_dir(), Some(t), &mut files, 0);
        walk(Path::new("/dev/shm"), Some(t), &mut files, 0);
    }
    files.sort();
    files.dedup();
    files
        .into_iter()
        .filter(|f| {
            std::fs::read(f)
                .map(|b| leaks(&b, needles))
                .unwrap_or(false)
        })
        .collect()
}

/// The environment every run gets on top of the fixture's: the loudest logging and backtraces.
fn loud() -> Vec<(OsString, OsString)> {
    vec![
        ("RUST_LOG".into(), "trace".into()),
        ("RUST_BACKTRACE".into(), "1".into()),
        ("RUST_LIB_BACKTRACE".into(), "1".into()),
    ]
}

/// Run the helper with `args` on `keyring`, loudly, and check its outputs: the canary only on
/// stdout, and only when `stdout_may_hold` (a `get`).
#[track_caller]
fn run(
    keyring: &dyn Keyring,
    args: &[&str],
    stdin: &str,
    needles: &[Vec<u8>],
    stdout_may_hold: bool,
) -> Run {
    let mut cmd = helper_command(keyring, args);
    cmd.envs(loud());
    let r = run_command(cmd, stdin.as_bytes());
    assert_clean(&r, needles, stdout_may_hold, args);
    r
}

#[track_caller]
fn assert_clean(r: &Run, needles: &[Vec<u8>], stdout_may_hold: bool, what: &[&str]) {
    assert!(
        !leaks(r.stderr.as_bytes(), needles),
        "secret on stderr of {what:?}: {r:#?}"
    );
    assert!(!r.stderr.contains("panicked"), "panic in {what:?}: {r:#?}");
    if !stdout_may_hold {
        assert!(
            !leaks(r.stdout.as_bytes(), needles),
            "secret on stdout of {what:?}: {r:#?}"
        );
    }
}

/// Store, get, list, erase the canary, with the failure paths that take a secret in, while
/// the watcher samples every process: at least 3 rounds, more until the watcher has seen every
/// name in `watch_for` (short-lived children), at most 40.
fn cycle(keyring: &dyn Keyring, user: &str, secret: &str, needles: &[Vec<u8>], watch_for: &[&str]) {
    let watch = Watch::start(needles.to_vec());
    let server = "https://registry.hygiene.example:5000";
    let payload =
        serde_json::json!({"ServerURL": server, "Username": user, "Secret": secret}).to_string();
    let bad_payloads = [
        format!("{{\"ServerURL\":\"{server}\",\"Username\":\"{user}\",\"Secret\":\"{secret}"),
        format!("{{\"ServerURL\":\"\",\"Username\":\"{user}\",\"Secret\":\"{secret}\"}}"),
        format!("{{\"ServerURL\":\"{server}\",\"Username\":\"{user}\",\"Secret\":[\"{secret}\"]}}"),
        format!(
            "{{\"ServerURL\":\"{server}\",\"Username\":\"{user}\",\"Secret\":\"{secret}\u{1}\"}}"
        ),
        format!(
            "{{\"ServerURL\":\"{server}\",\"Username\":\"{user}\",\"{secret}\":1,\"Secret\":{secret}}}"
        ),
        format!("[\"{secret}\"]"),
        secret.to_owned(),
    ];
    for round in 1..=40 {
        run(keyring, &["store"], &payload, needles, false).ok();
        let got = run(keyring, &["get"], server, needles, true);
        let v: serde_json::Value = serde_json::from_str(got.ok()).unwrap();
        assert_eq!(
            v["Secret"], secret,
            "get returns the canary (the check can fail)"
        );
        run(keyring, &["list"], "", needles, false).ok();
        if round == 1 {
            // Payloads that are refused: the error must not quote the secret back.
            for bad in &bad_payloads {
                let r = run(keyring, &["store"], bad, needles, false);
                assert_ne!(r.code, Some(0), "refused: {bad:?} {r:#?}");
            }
            // A secret where a server URL belongs.
            run(keyring, &["get"], secret, needles, false);
            run(keyring, &["erase"], secret, needles, false);
        }
        run(keyring, &["erase"], server, needles, false).ok();
        let gone = run(keyring, &["get"], server, needles, false);
        assert_eq!(gone.fails(), docker_credential_keyring::protocol::NOT_FOUND);
        if round >= 3 && watch.has_seen(watch_for) {
            break;
        }
    }
    run(keyring, &["store"], &payload, needles, false).ok();
    let (found, seen) = watch.finish();
    finish(found, &seen, watch_for);
}

#[track_caller]
fn finish(found: Vec<String>, seen: &BTreeSet<String>, watch_for: &[&str]) {
    assert!(found.is_empty(), "secret in argv/environment: {found:#?}");
    for w in watch_for {
        assert!(
            seen.contains(*w),
            "the watcher never sampled {w:?} while it ran (seen: {seen:?})"
        );
    }
}

#[test]
fn secret_service_canary_stays_out_of_outputs_processes_and_files() {
    let start = SystemTime::now();
    let k = fixture();
    let secret = canary("ss");
    let n = needles("alice", &secret);
    cycle(&k, "alice", &secret, &n, &[HELPER_COMM]);
    // A stopped daemon: the timeout error names the daemon, never the secret.
    k.stop_keyring();
    let payload =
        serde_json::json!({"ServerURL": "stuck.example", "Username": "alice", "Secret": secret})
            .to_string();
    let mut cmd = helper_command(&k, &["store"]);
    cmd.envs(loud())
        .env("DOCKER_CREDENTIAL_KEYRING_TIMEOUT", "1");
    let r = run_command(cmd, payload.as_bytes());
    assert_clean(&r, &n, false, &["store (daemon stopped)"]);
    assert_eq!(r.code, Some(1), "{r:#?}");
    k.continue_keyring();
    let files = files_with(&[k.home.path()], Some(start), &n);
    assert!(files.is_empty(), "secret in files: {files:?}");
    // The store itself is encrypted on disk: gnome-keyring's login.keyring holds no plaintext.
    let keyrings = k.home.path().join(".local/share/keyrings");
    assert!(
        std::fs::read_dir(&keyrings).map(|d| d.count()).unwrap_or(0) > 0,
        "gnome-keyring wrote its keyring file under the test HOME ({keyrings:?}), so the scan covered it"
    );
}

#[test]
fn pass_canary_stays_out_of_pass_and_gpg_argv_environment_and_files() {
    let start = SystemTime::now();
    let p = support::pass::PassStore::new();
    let secret = canary("pass");
    let n = needles("bob", &secret);
    cycle(&p, "bob", &secret, &n, &[HELPER_COMM, "pass", "gpg"]);
    let files = files_with(&[p.home.path()], Some(start), &n);
    assert!(
        files.is_empty(),
        "secret in files (plaintext next to pass's .gpg): {files:?}"
    );
    // The check can fail: the entry is there, encrypted.
    let entries = files_with_suffix(p.root(), ".gpg");
    assert!(!entries.is_empty(), "pass holds the entry as .gpg files");
}

fn files_with_suffix(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn file_store_canary_is_only_ciphertext_on_disk() {
    let start = SystemTime::now();
    let f = support::file::FileKeyring::new();
    let secret = canary("file");
    let n = needles("carol", &secret);
    cycle(&f, "carol", &secret, &n, &[HELPER_COMM]);
    assert!(
        f.file().exists(),
        "the encrypted store exists: {:?}",
        f.file()
    );
    let files = files_with(&[f.home.path()], Some(start), &n);
    assert!(files.is_empty(), "secret in files: {files:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn keyutils_canary_stays_out_of_outputs_and_files() {
    let start = SystemTime::now();
    let k = support::keyutils::KernelKeyring::new();
    let secret = canary("keyutils");
    let n = needles("dave", &secret);
    cycle(&k, "dave", &secret, &n, &[HELPER_COMM]);
    let files = files_with(&[], Some(start), &n);
    assert!(files.is_empty(), "secret in files: {files:?}");
}

#[test]
fn import_moves_the_canary_out_of_config_json_and_leaves_it_only_in_the_named_backup() {
    let start = SystemTime::now();
    let s = support::adoption::Sandbox::new().keyring(Box::new(fixture()));
    let secret = canary("import");
    let n = needles("erin", &secret);
    s.write_config(&format!(
        "{{\n\t\"auths\": {{\n\t\t\"registry.import.example\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}}\n\t}}\n}}",
        support::adoption::auth("erin", &secret)
    ));
    assert!(
        leaks(&s.config_bytes(), &n),
        "the config holds the canary (the check can fail)"
    );
    let config = s.config_bytes();
    let watch = Watch::start(n.clone());
    // Again (config.json as before, the keychain already holding it) until the watcher has
    // sampled the helper at least once: a run it never saw proves nothing.
    let ours = helper_in(s.home.path());
    let mut r = None;
    for round in 1..=40 {
        if round > 1 {
            s.write_config(std::str::from_utf8(&config).unwrap());
        }
        let mut cmd = s.command(support::bin());
        cmd.arg("import").envs(loud());
        let run = run_command(cmd, b"");
        assert_clean(&run, &n, false, &["import"]);
        run.ok();
        r = Some(run);
        if watch.has_seen(&[&ours]) {
            break;
        }
    }
    let r = r.expect("import ran");
    let (found, seen) = watch.finish();
    finish(found, &seen, &[&ours]);
    assert_eq!(
        s.get("registry.import.example"),
        Some(("erin".to_owned(), secret.clone())),
        "imported into the keychain"
    );
    // The one copy left is config.json.bak, the file as it was before the run (kept so that it
    // can be restored whole), which the report names with the command that removes it.
    let bak = s.config_dir().join("config.json.bak");
    let files = files_with(&[s.home.path()], Some(start), &n);
    assert_eq!(
        files,
        std::slice::from_ref(&bak),
        "secret left in files other than the backup: {files:?}"
    );
    assert!(
        r.stdout.contains(&format!("rm {}", bak.display())),
        "the report says how to remove the backup: {r:#?}"
    );
    std::fs::remove_file(&bak).unwrap();
    let files = files_with(&[s.home.path()], Some(start), &n);
    assert!(files.is_empty(), "secret left in files: {files:?}");
}

#[test]
fn push_keeps_the_canary_out_of_outputs_argv_and_the_exec_plugins_environment() {
    use support::apiserver::{ApiServer, Fault, FaultKind};
    use support::kubeconfig::{Auth, ExecPlugin, Kubeconfig};
    let start = SystemTime::now();
    let k: SecretServiceFixture = fixture();
    let secret = canary("push");
    let n = needles("frank", &secret);
    support::store(&k, "registry.push.example", "frank", &secret);
    let server = ApiServer::start();
    let plugin = ExecPlugin::new(k.home.path(), support::apiserver::DEFAULT_TOKEN);
    let kc = Kubeconfig::new()
        .server_as("dev", &server, Auth::Exec(plugin.command.clone()))
        .context_ns("dev", "default")
        .current("dev")
        .write(k.home.path().join("kubeconfig"));
    let kc = kc.to_str().unwrap();
    let watch = Watch::start(n.clone());
    // Until the watcher has sampled the helper at least once: a run it never saw proves nothing.
    let ours = helper_in(k.home.path());
    for _ in 1..=40 {
        // Dry run without -o: a summary, no secret.
        run(
            &k,
            &[
                "push",
                "registry.push.example",
                "--kubeconfig",
                kc,
                "--dry-run",
            ],
            "",
            &n,
            false,
        )
        .ok();
        // A failing API server: the error names the server's answer, not the secret.
        server.inject(Fault::new(
            FaultKind::InternalError,
            "/api/v1/namespaces/default/secrets",
        ));
        let failed = run(
            &k,
            &["push", "registry.push.example", "--kubeconfig", kc],
            "",
            &n,
            false,
        );
        assert_ne!(failed.code, Some(0), "{failed:#?}");
        server.clear_faults();
        run(
            &k,
            &["push", "registry.push.example", "--kubeconfig", kc],
            "",
            &n,
            false,
        )
        .ok();
        if watch.has_seen(&[&ours]) {
            break;
        }
    }
    let (found, seen) = watch.finish();
    finish(found, &seen, &[&ours]);
    assert!(plugin.calls() > 0, "the exec plugin ran");
    assert!(
        !leaks(plugin.log_text().as_bytes(), &n),
        "secret in the exec plugin's argv or environment"
    );
    // The secret did reach the cluster (the checks above could have failed).
    let data = server
        .secret_data("default", "regcred")
        .expect("secret pushed");
    assert!(leaks(&data[".dockerconfigjson"], &n));
    let files = files_with(&[k.home.path()], Some(start), &n);
    assert!(files.is_empty(), "secret in files: {files:?}");
}

/// `sh -c SCRIPT` with the helper as `$0` on `keyring`, stdin `input`.
fn shell(keyring: &dyn Keyring, script: &str, input: &str) -> Run {
    let mut env = keyring.env();
    env.push((
        "DOCKER_CREDENTIAL_KEYRING_BACKEND".into(),
        keyring.backend().into(),
    ));
    env.extend(loud());
    let mut cmd = support::command(&env);
    // `command` runs the binary; run bash with the binary as $0 instead.
    let mut sh = Command::new("bash");
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    sh.args(["-c", script]).arg(support::bin());
    let _ = &mut cmd;
    run_command(sh, input.as_bytes())
}

#[test]
fn get_with_stdout_closed_or_full_fails_without_a_panic() {
    let k = fixture();
    let secret = canary("closed");
    let n = needles("gina", &secret);
    support::store(&k, "closed.example", "gina", &secret);
    for script in [
        r#"exec "$0" get >&-"#,
        r#"exec "$0" get >/dev/full"#,
        r#"exec "$0" list >&-"#,
        r#"exec "$0" version >/dev/full"#,
    ] {
        let r = shell(&k, script, "closed.example");
        assert_eq!(r.code, Some(1), "{script}: {r:#?}");
        assert_clean(&r, &n, false, &[script]);
    }
}

#[test]
fn list_into_a_pipe_whose_reader_exits_ends_without_a_panic() {
    let f = support::file::FileKeyring::new();
    // More than a pipe buffer (64 KiB) of list output: 40 entries with 2 KB usernames.
    let user = "u".repeat(2000);
    let mut many = Vec::new();
    for i in 0..40 {
        many.push(format!("registry{i}.example"));
    }
    let script = format!(
        r#"
        while read -r s; do
          printf '{{"ServerURL":"%s","Username":"{user}","Secret":"s"}}' "$s" | "$0" store || exit 9
        done
    "#
    );
    let script = script.as_str();
    let r = shell(&f, script, &(many.join("\n") + "\n"));
    assert_eq!(r.code, Some(0), "{r:#?}");
    let full = support::helper(&f, &["list"], "");
    assert!(
        full.ok().len() > 64 * 1024,
        "list output exceeds a pipe buffer"
    );
    for script in [
        // SIGPIPE ignored (as Rust sets it, and as inherited from e.g. nohup).
        r#"trap '' PIPE; "$0" list | head -c 10 >/dev/null; echo "status=${PIPESTATUS[0]}" >&2"#,
        // SIGPIPE at its default in the parent.
        r#"trap - PIPE; "$0" list | head -c 10 >/dev/null; echo "status=${PIPESTATUS[0]}" >&2"#,
        // A reader that exits before reading anything.
        r#""$0" list | true; echo "status=${PIPESTATUS[0]}" >&2"#,
    ] {
        let r = shell(&f, script, "");
        assert!(!r.stderr.contains("panicked"), "{script}: {r:#?}");
        let status: i32 = r
            .stderr
            .lines()
            .find_map(|l| l.strip_prefix("status="))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{script}: {r:#?}"));
        assert_eq!(
            status, 1,
            "a broken pipe is a failure, exit 1: {script}: {r:#?}"
        );
    }
}

/// The `file` backend's passphrase, given in the environment, opens the store for `push` but
/// is taken out of the environment first: the kubeconfig exec plugin push runs (a child that
/// logs its environment) never sees it.
#[test]
fn the_file_passphrase_never_reaches_an_exec_plugin() {
    use support::apiserver::ApiServer;
    use support::file::{FileKeyring, PASSPHRASE};
    use support::kubeconfig::{Auth, ExecPlugin, Kubeconfig};
    let k = FileKeyring::new();
    // No cached key: the passphrase itself must open the store.
    const NO_CACHE: (&str, &str) = ("DOCKER_CREDENTIAL_KEYRING_FILE_CACHE_SECONDS", "0");
    let mut cmd = helper_command(&k, &["store"]);
    cmd.env(NO_CACHE.0, NO_CACHE.1);
    run_command(
        cmd,
        serde_json::json!({"ServerURL": "registry.file.example", "Username": "gina", "Secret": "s"})
            .to_string()
            .as_bytes(),
    )
    .ok();
    let server = ApiServer::start();
    let plugin = ExecPlugin::new(k.home.path(), support::apiserver::DEFAULT_TOKEN);
    let kc = Kubeconfig::new()
        .server_as("dev", &server, Auth::Exec(plugin.command.clone()))
        .context_ns("dev", "default")
        .current("dev")
        .write(k.home.path().join("kubeconfig"));
    let mut cmd = helper_command(
        &k,
        &[
            "push",
            "registry.file.example",
            "--kubeconfig",
            kc.to_str().unwrap(),
        ],
    );
    cmd.env(NO_CACHE.0, NO_CACHE.1);
    run_command(cmd, b"").ok();
    let log = plugin.log_text();
    assert!(plugin.calls() > 0, "the exec plugin ran");
    assert!(
        log.contains("HOME="),
        "the plugin logged its environment: {log}"
    );
    assert!(
        !log.contains(PASSPHRASE) && !log.contains("DOCKER_CREDENTIAL_KEYRING_PASSPHRASE"),
        "the passphrase reached the exec plugin: {log}"
    );
    assert!(server.secret_data("default", "regcred").is_some(), "pushed");
}
