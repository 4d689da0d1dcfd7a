//! A saved push goes only where it was aimed: `push --save` pins each context's kubeconfig
//! files, server, CA and namespaces, and `sync` (by hand, `--every`, or started by `store`)
//! refuses a context that now resolves elsewhere before anything is sent; the files that
//! decide where it goes are checked before they are read; the detached sync keeps none of its
//! caller's descriptors; a locked keychain is asked once per `--every` round; and the `file`
//! backend with an environment passphrase is refused for `"sync_on_store": true`.
//!
//! Real components: the built binary, the kernel keyring (keyutils backend), gnome-keyring with
//! gcr-prompter under Xvfb (secret-service backend), the encrypted file backend, and two
//! API-server fakes over TLS whose kubeconfigs both name their context `ctx`.

#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};
use support::apiserver::{ApiServer, Fault, FaultKind};
use support::keyutils::KernelKeyring;
use support::kubeconfig::{Auth, ExecPlugin, Kubeconfig};
use support::{Keyring, Run, helper_command, run_command, store};

const REGISTRY: &str = "registry.example.com";
const FIRST: &str = "canary-first-3f9a0c1";
const SECOND: &str = "canary-second-81d7e2b";

/// A keychain holding [`REGISTRY`], two clusters, and a directory for kubeconfigs.
struct World<K: Keyring> {
    keyring: K,
    home: PathBuf,
    /// The cluster the push is saved against.
    a: ApiServer,
    /// Another cluster whose kubeconfig also names its context `ctx`.
    b: ApiServer,
    dir: tempfile::TempDir,
}

fn kernel_world() -> World<KernelKeyring> {
    let keyring = KernelKeyring::new();
    let home = keyring.home.path().to_path_buf();
    store(&keyring, REGISTRY, "alice", FIRST);
    World::with(keyring, home)
}

impl<K: Keyring> World<K> {
    fn with(keyring: K, home: PathBuf) -> World<K> {
        let a = ApiServer::start_tls();
        let b = ApiServer::start_tls();
        for s in [&a, &b] {
            s.create_namespace("dev");
            s.create_namespace("prod");
        }
        let w = World {
            keyring,
            home,
            a,
            b,
            dir: tempfile::tempdir().unwrap(),
        };
        w.write_kubeconfig("a", &w.a, "dev");
        w.write_kubeconfig("b", &w.b, "dev");
        w
    }

    fn kubeconfig(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `DIR/name`: context `ctx` (current) on `server`, namespace `ns`.
    fn write_kubeconfig(&self, name: &str, server: &ApiServer, ns: &str) -> PathBuf {
        Kubeconfig::new()
            .server("ctx", server)
            .context_ns("ctx", ns)
            .current("ctx")
            .write(self.kubeconfig(name))
    }

    /// The binary with `args`, `KUBECONFIG` set to `kubeconfig` (a list, `:`-joined) or unset.
    fn command(&self, kubeconfig: Option<&str>, args: &[&str]) -> Command {
        let mut cmd = helper_command(&self.keyring, args);
        if let Some(k) = kubeconfig {
            cmd.env("KUBECONFIG", k);
        }
        cmd
    }

    fn run(&self, kubeconfig: Option<&str>, args: &[&str]) -> Run {
        let run = run_command(self.command(kubeconfig, args), b"");
        for text in [&run.stdout, &run.stderr] {
            assert!(
                !text.contains(FIRST) && !text.contains(SECOND),
                "a secret leaked: {run:#?}"
            );
        }
        run
    }

    fn path_of(&self, name: &str) -> String {
        self.kubeconfig(name).to_str().unwrap().to_owned()
    }

    fn config_dir(&self) -> PathBuf {
        self.home.join(".config/docker-credential-keyring")
    }

    fn state_dir(&self) -> PathBuf {
        self.home.join(".local/state/docker-credential-keyring")
    }

    fn enable_sync_on_store(&self) {
        std::fs::create_dir_all(self.config_dir()).unwrap();
        std::fs::write(
            self.config_dir().join("config.json"),
            r#"{"sync_on_store": true}"#,
        )
        .unwrap();
    }

    fn password_in(server: &ApiServer, ns: &str) -> Option<String> {
        let data = server.secret_data(ns, "regcred")?;
        let config: serde_json::Value = serde_json::from_slice(&data[".dockerconfigjson"]).unwrap();
        Some(config["auths"][REGISTRY]["password"].as_str()?.to_owned())
    }
}

/// Wait (generously: no timing claim) until `cond` holds.
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

#[test]
fn a_sync_from_a_shell_with_another_kubeconfig_uses_the_pinned_file() {
    let w = kernel_world();
    let a = w.path_of("a");
    let saved = w.run(Some(&a), &["push", REGISTRY, "--save"]);
    assert_eq!(saved.ok(), "ctx/dev/regcred: created\n", "{saved:#?}");
    store(&w.keyring, REGISTRY, "alice", SECOND);

    // Another project's shell: its KUBECONFIG also has a context `ctx`, on cluster b.
    let run = w.run(Some(&w.path_of("b")), &["sync"]);
    assert_eq!(run.ok(), "ctx/dev/regcred: updated\n", "{run:#?}");
    assert_eq!(
        World::<KernelKeyring>::password_in(&w.a, "dev").as_deref(),
        Some(SECOND)
    );
    assert!(w.b.requests().is_empty(), "{:#?}", w.b.requests());

    // And from a shell with no KUBECONFIG at all.
    let run = w.run(None, &["sync"]);
    assert_eq!(run.ok(), "ctx/dev/regcred: unchanged\n", "{run:#?}");
    assert!(w.b.requests().is_empty());

    // `sync --list` says where it is pinned: the server, the CA's fingerprint, the file.
    let list = w.run(None, &["sync", "--list"]);
    let text = list.ok();
    assert!(
        text.contains(&format!(
            "  pinned: context ctx -> {} (CA sha256:",
            w.a.url()
        )),
        "{text}"
    );
    assert!(text.contains("), namespace dev\n"), "{text}");
    assert!(
        text.contains(&format!("  pinned kubeconfig: {a}\n")),
        "{text}"
    );
}

#[test]
fn a_context_that_now_points_to_another_cluster_is_refused_and_nothing_reaches_it() {
    let w = kernel_world();
    // A KUBECONFIG list whose first file does not exist yet (a per-project override, as
    // direnv sets up): the whole list is pinned.
    let list = format!("{}:{}", w.path_of("override"), w.path_of("a"));
    w.run(Some(&list), &["push", REGISTRY, "--save"]).ok();
    w.a.clear_requests();

    // The override appears, naming `ctx` for cluster b, with an exec credential plugin.
    let plugin = ExecPlugin::new(w.dir.path(), support::apiserver::DEFAULT_TOKEN);
    Kubeconfig::new()
        .server_as("ctx", &w.b, Auth::Exec(plugin.command.clone()))
        .context_ns("ctx", "dev")
        .current("ctx")
        .write(w.kubeconfig("override"));
    store(&w.keyring, REGISTRY, "alice", SECOND);
    for kubeconfig in [None, Some(list.as_str())] {
        let run = w.run(kubeconfig, &["sync"]);
        assert_eq!(run.code, Some(1), "{run:#?}");
        assert_eq!(
            run.stdout,
            format!(
                "push 1: failed: context \"ctx\" now points to {} (saved: {}): run the push again with --save to re-aim it\n",
                w.b.url(),
                w.a.url()
            ),
            "{run:#?}"
        );
    }
    assert!(w.b.requests().is_empty(), "{:#?}", w.b.requests());
    assert_eq!(plugin.calls(), 0, "the new cluster's exec plugin ran");
    assert!(w.a.writes().is_empty());
    let list_run = w.run(None, &["sync", "--list"]);
    assert!(
        list_run
            .ok()
            .contains("  failed: context \"ctx\" now points to "),
        "{list_run:#?}"
    );

    // The same server with another CA is refused too.
    std::fs::remove_file(w.kubeconfig("override")).unwrap();
    Kubeconfig::new()
        .cluster(
            "ctx",
            &w.a.url(),
            support::kubeconfig::Ca::Data(w.b.ca_pem().into()),
        )
        .user("ctx", Auth::Token(support::apiserver::DEFAULT_TOKEN.into()))
        .context("ctx", "ctx", "ctx", Some("dev"))
        .current("ctx")
        .write(w.kubeconfig("a"));
    let run = w.run(None, &["sync"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stdout.contains(&format!(
            "context \"ctx\" now points to {} with another certificate authority",
            w.a.url()
        )),
        "{run:#?}"
    );
    assert!(w.a.requests().is_empty(), "{:#?}", w.a.requests());

    // Re-aimed by saving again: the same saved push, now pinned to b.
    let again = w.run(Some(&w.path_of("b")), &["push", REGISTRY, "--save"]);
    assert!(again.stderr.contains("updated saved push 1"), "{again:#?}");
    assert_eq!(
        World::<KernelKeyring>::password_in(&w.b, "dev").as_deref(),
        Some(SECOND)
    );
}

#[test]
fn the_sync_a_store_starts_goes_only_where_the_push_was_pinned() {
    let w = kernel_world();
    let a = w.path_of("a");
    let b = w.path_of("b");
    w.run(Some(&a), &["push", REGISTRY, "--save"]).ok();
    w.enable_sync_on_store();
    let login = |secret: &str| {
        // `docker login` from a shell whose KUBECONFIG names another cluster's `ctx`.
        let payload =
            serde_json::json!({"ServerURL": REGISTRY, "Username": "alice", "Secret": secret});
        let run = run_command(
            w.command(Some(&b), &["store"]),
            payload.to_string().as_bytes(),
        );
        assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""), "{run:#?}");
    };
    login(SECOND);
    eventually("the pinned cluster's Secret follows the store", || {
        World::<KernelKeyring>::password_in(&w.a, "dev").as_deref() == Some(SECOND)
    });
    assert!(w.b.requests().is_empty(), "{:#?}", w.b.requests());

    // The pinned file now names `ctx` for cluster b: the next login's sync refuses it.
    w.write_kubeconfig("a", &w.b, "dev");
    login(FIRST);
    let log = w.state_dir().join("sync.log");
    eventually("the refusal is logged", || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains(&format!(
                "push 1: failed: context \"ctx\" now points to {} (saved: {})",
                w.b.url(),
                w.a.url()
            ))
    });
    assert!(w.b.requests().is_empty(), "{:#?}", w.b.requests());
}

#[test]
fn the_namespace_the_context_had_at_save_time_is_pinned() {
    let w = kernel_world();
    let a = w.path_of("a");
    w.run(None, &["push", REGISTRY, "--kubeconfig", &a, "--save"])
        .ok();
    // The context's namespace changes afterwards: the Secret does not move.
    w.write_kubeconfig("a", &w.a, "prod");
    store(&w.keyring, REGISTRY, "alice", SECOND);
    let run = w.run(None, &["sync"]);
    assert_eq!(run.ok(), "ctx/dev/regcred: updated\n", "{run:#?}");
    assert_eq!(
        World::<KernelKeyring>::password_in(&w.a, "dev").as_deref(),
        Some(SECOND)
    );
    assert!(w.a.secret("prod", "regcred").is_none());
}

#[test]
fn a_push_saved_before_pinning_is_refused_until_it_is_saved_again() {
    let w = kernel_world();
    let a = w.path_of("a");
    // saved-pushes.json as the previous version wrote it: context names, no pins.
    std::fs::create_dir_all(w.config_dir()).unwrap();
    let old = serde_json::json!({
        "next_id": 2,
        "pushes": [{
            "id": 1, "source": "keychain", "registries": [REGISTRY], "all": false,
            "contexts": ["ctx"], "namespaces": [], "name": "regcred",
            "service_accounts": [], "kubeconfig": null, "backend": null,
            "create_namespace": false, "insecure": false, "request_timeout": 30,
            "last_run": null, "last_results": [], "last_error": null, "expires": null
        }]
    });
    std::fs::write(
        w.config_dir().join("saved-pushes.json"),
        serde_json::to_string_pretty(&old).unwrap(),
    )
    .unwrap();
    let run = w.run(Some(&a), &["sync"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stdout.starts_with(
            "push 1: failed: saved push 1 is not pinned to a cluster (saved by an older version): run its push again with --save to pin it"
        ),
        "{run:#?}"
    );
    assert!(w.a.requests().is_empty(), "{:#?}", w.a.requests());
    let list = w.run(None, &["sync", "--list"]);
    assert!(
        list.ok()
            .contains("  not pinned (saved by an older version)"),
        "{list:#?}"
    );

    let again = w.run(Some(&a), &["push", REGISTRY, "--save"]);
    assert!(again.stderr.contains("updated saved push 1"), "{again:#?}");
    assert_eq!(w.run(None, &["sync"]).ok(), "ctx/dev/regcred: unchanged\n");
}

#[test]
fn a_config_directory_others_can_write_is_refused_before_any_request() {
    let w = kernel_world();
    let a = w.path_of("a");
    w.run(None, &["push", REGISTRY, "--kubeconfig", &a, "--save"])
        .ok();
    w.a.clear_requests();
    std::fs::set_permissions(w.config_dir(), std::fs::Permissions::from_mode(0o777)).unwrap();
    for args in [
        &["sync"][..],
        &["sync", "--list"],
        &["push", REGISTRY, "--kubeconfig", &a, "--save"],
    ] {
        let run = w.run(None, args);
        assert_eq!(run.code, Some(1), "{args:?}: {run:#?}");
        // Said on stderr after the program's name, nothing on stdout: one line.
        let (said, prefix) = (&run.stderr, "docker-credential-keyring: ");
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(
            said.starts_with(&format!(
                "{prefix}refusing {}: the directory is writable by others (mode 0777): make it yours and private",
                w.config_dir().display()
            )),
            "{args:?}: {run:#?}"
        );
        assert_eq!(said.lines().count(), 1, "{run:#?}");
    }
    assert!(w.a.requests().is_empty(), "{:#?}", w.a.requests());

    // A saved-pushes.json others can write is refused as well.
    std::fs::set_permissions(w.config_dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let file = w.config_dir().join("saved-pushes.json");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let run = w.run(None, &["sync"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stderr
            .contains("saved-pushes.json: it is writable by others (mode 0666)"),
        "{run:#?}"
    );
    assert!(w.a.requests().is_empty(), "{:#?}", w.a.requests());
}

#[test]
fn a_planted_sync_log_symlink_is_not_followed() {
    let w = kernel_world();
    let a = w.path_of("a");
    w.run(None, &["push", REGISTRY, "--kubeconfig", &a, "--save"])
        .ok();
    w.enable_sync_on_store();
    std::fs::create_dir_all(w.state_dir()).unwrap();
    std::fs::set_permissions(w.state_dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let victim = w.dir.path().join("victim");
    std::fs::write(&victim, "").unwrap();
    std::os::unix::fs::symlink(&victim, w.state_dir().join("sync.log")).unwrap();

    store(&w.keyring, REGISTRY, "alice", SECOND);
    // The background sync still runs (it logs nowhere) ...
    eventually("the Secret follows the store", || {
        World::<KernelKeyring>::password_in(&w.a, "dev").as_deref() == Some(SECOND)
    });
    eventually("the background run is recorded", || {
        w.run(None, &["sync", "--list"])
            .stdout
            .contains("  ctx/dev/regcred: updated")
    });
    // ... and never wrote through the link.
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "");
    assert!(
        std::fs::symlink_metadata(w.state_dir().join("sync.log"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn the_detached_sync_keeps_none_of_the_callers_descriptors() {
    let w = kernel_world();
    let a = w.path_of("a");
    w.run(
        None,
        &[
            "push",
            REGISTRY,
            "--kubeconfig",
            &a,
            "--save",
            "--request-timeout",
            "120",
        ],
    )
    .ok();
    w.enable_sync_on_store();
    // The cluster stops answering: each request waits far longer than this test does.
    w.a.inject(Fault::new(FaultKind::Slow(Duration::from_secs(90)), "/"));

    // A pipe whose write end the caller passes to `store` as fd 3, not close-on-exec.
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the array we own.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    let (read_end, write_end) = (fds[0], fds[1]);
    let mut cmd = w.command(None, &["store"]);
    // SAFETY: dup2 is async-signal-safe; the new fd 3 has no close-on-exec flag.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
            if libc::dup2(write_end, 3) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let payload = serde_json::json!({"ServerURL": REGISTRY, "Username": "alice", "Secret": SECOND});
    let run = run_command(cmd, payload.to_string().as_bytes());
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (Some(0), "", ""),
        "{run:#?}"
    );
    // SAFETY: our own descriptor, closed once.
    unsafe { libc::close(write_end) };
    // The background sync started and is waiting on the cluster.
    eventually("the background sync reached the cluster", || {
        !w.a.requests().is_empty()
    });
    // EOF once every holder of the write end is gone: the store, and not the sync.
    // SAFETY: a descriptor we own.
    let mut reader: std::fs::File = unsafe { std::os::fd::FromRawFd::from_raw_fd(read_end) };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut reader, &mut buf);
        let _ = tx.send(());
    });
    assert!(
        rx.recv_timeout(Duration::from_secs(15)).is_ok(),
        "the pipe stayed open while the background sync waits for the cluster"
    );
    w.a.clear_faults();
}

#[test]
fn the_file_backend_with_an_environment_passphrase_is_refused_for_sync_on_store() {
    let keyring = support::file::FileKeyring::new();
    let home = keyring.home.path().to_path_buf();
    store(&keyring, REGISTRY, "alice", FIRST);
    let w = World::with(keyring, home);
    w.enable_sync_on_store();
    let a = w.path_of("a");
    let run = w.run(None, &["push", REGISTRY, "--kubeconfig", &a, "--save"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stderr.starts_with(
            "docker-credential-keyring: not saved: \"sync_on_store\": true runs sync in the background after each store, and with the file backend and the passphrase only in DOCKER_CREDENTIAL_KEYRING_PASSPHRASE that sync can never unlock the file"
        ),
        "{run:#?}"
    );
    assert_eq!(
        (run.stderr.lines().count(), run.stdout.as_str()),
        (1, ""),
        "{run:#?}"
    );
    assert!(w.a.requests().is_empty(), "{:#?}", w.a.requests());
    assert!(!w.config_dir().join("saved-pushes.json").exists());

    let doctor = w.run(None, &["doctor", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap();
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "sync_on_store")
        .unwrap_or_else(|| panic!("{doctor:#?}"));
    assert_eq!(check["status"], "problem", "{doctor:#?}");
    assert_eq!(report["healthy"], false);

    // Without sync_on_store the same push saves (a timer's sync has the passphrase).
    std::fs::write(w.config_dir().join("config.json"), "{}").unwrap();
    let run = w.run(None, &["push", REGISTRY, "--kubeconfig", &a, "--save"]);
    assert_eq!(run.ok(), "ctx/dev/regcred: created\n", "{run:#?}");
}

#[test]
fn every_asks_a_locked_keychain_once_per_round() {
    let mut k = support::secret_service::fixture();
    let home = k.home.path().to_path_buf();
    store(&k, REGISTRY, "alice", FIRST);
    k.start_prompter();
    let mut w = World::with(k, home);
    let a = w.path_of("a");
    for name in ["regcred", "second", "third"] {
        w.run(
            None,
            &[
                "push",
                REGISTRY,
                "--kubeconfig",
                &a,
                "--name",
                name,
                "--save",
            ],
        )
        .ok();
    }
    w.keyring.lock();
    let monitor = w.keyring.monitor();
    let mut cmd = w.command(None, &["sync", "--every", "1h"]);
    cmd.env("DOCKER_CREDENTIAL_KEYRING_PROMPT_TIMEOUT", "2")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let saved = w.config_dir().join("saved-pushes.json");
    eventually("the first push's failure is recorded", || {
        std::fs::read_to_string(&saved)
            .unwrap_or_default()
            .contains("nobody answered the keyring unlock prompt")
    });
    // Time for the other two to prompt, one after the other, had they been run (2 s each).
    std::thread::sleep(Duration::from_secs(6));
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stdout,
        "push 1: failed: cannot read the keychain: nobody answered the keyring unlock prompt within 2 s: answer the dialog (it stays open) and retry, or raise DOCKER_CREDENTIAL_KEYRING_PROMPT_TIMEOUT\n",
        "{stderr}"
    );
    assert_eq!(
        stderr,
        "docker-credential-keyring: sync: the keychain is locked: the other saved pushes that read it wait for the next round (in 1h 0m) instead of prompting again\n"
    );
    let bus = monitor.finish();
    let prompts = bus
        .lines()
        .filter(|l| l.contains("interface=org.freedesktop.Secret.Prompt; member=Prompt"))
        .count();
    assert_eq!(prompts, 1, "{bus}");
    // The other saved pushes did not run this round.
    let text = std::fs::read_to_string(&saved).unwrap();
    let data: serde_json::Value = serde_json::from_str(&text).unwrap();
    let runs: Vec<bool> = data["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["last_error"].is_string())
        .collect();
    assert_eq!(runs, [true, false, false], "{text}");
    assert!(w.keyring.keyring_alive(), "gnome-keyring-daemon crashed");
}
