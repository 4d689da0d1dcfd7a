//! Shared test support: run the built binary as clients do, against a keychain fixture.
//!
//! Every integration test runs the real `docker-credential-keyring` binary with a clean
//! environment (no inherited `DOCKER_CREDENTIAL_KEYRING_*`, D-Bus or keyring variables, a
//! throw-away HOME and XDG directories) plus whatever the keychain fixture adds.
//!
//! A library of its own (the dev-dependency `support`), so each test file uses the parts it needs.

// A fixture's `new()` creates a real temp dir, keyring or store: not a `Default` value.
#![allow(clippy::new_without_default)]

// The fixtures of the keychains Linux has (and the tools they drive: docker, kubectl, keyctl).
#[cfg(target_os = "linux")]
pub mod adoption;
#[cfg(target_os = "linux")]
pub mod docker_daemon;
#[cfg(target_os = "linux")]
pub mod file;
#[cfg(target_os = "linux")]
pub mod keyutils;
#[cfg(target_os = "linux")]
pub mod kubeconfig;
#[cfg(target_os = "linux")]
pub mod pass;
#[cfg(target_os = "linux")]
pub mod secret_service;
// The platform keychains, each on its own system (their common part compiles everywhere).
#[cfg(target_os = "macos")]
pub mod keychain;
pub mod platform;
#[cfg(windows)]
pub mod wincred;

/// The API-server fake (the crate in tests/apiserver-fake), as `support::apiserver`.
pub use apiserver_fake as apiserver;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test. Cargo builds it next to the directory of the test or bench
/// executable running this (`target/<profile>/deps/`), and sets `CARGO_BIN_EXE_*` only for the
/// package's own targets, not for this library: so it is found from the running executable.
pub fn bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the path of the running test");
    let mut dir = exe.parent().expect("the test's directory").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let bin = dir.join(format!(
        "docker-credential-keyring{}",
        std::env::consts::EXE_SUFFIX
    ));
    assert!(
        bin.is_file(),
        "{} is not built: run the tests with cargo",
        bin.display()
    );
    bin
}

/// A keychain the binary can be pointed at, isolated for one test.
pub trait Keyring {
    /// The backend name (`--backend` / `DOCKER_CREDENTIAL_KEYRING_BACKEND`).
    fn backend(&self) -> &'static str;
    /// Environment variables that point the binary at this keychain.
    fn env(&self) -> Vec<(OsString, OsString)>;
}

/// The variable naming the store lock's directory.
pub const LOCK_DIR_ENV: &str = "DOCKER_CREDENTIAL_KEYRING_LOCK_DIR";

/// Variables a test must not inherit from the developer's session.
const SCRUBBED: &[&str] = &[
    "DBUS_SESSION_BUS_ADDRESS",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "PASSWORD_STORE_DIR",
    "GNUPGHOME",
    "DOCKER_CONFIG",
    "KUBECONFIG",
];

/// A throw-away HOME with XDG directories inside.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("temp home"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// HOME, XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME under this directory, and the
    /// store lock there too ([`Home::lock_dir`]).
    pub fn env(&self) -> Vec<(OsString, OsString)> {
        let p = self.path();
        vec![
            ("HOME".into(), p.into()),
            ("XDG_CONFIG_HOME".into(), p.join(".config").into()),
            ("XDG_DATA_HOME".into(), p.join(".local/share").into()),
            ("XDG_CACHE_HOME".into(), p.join(".cache").into()),
            (LOCK_DIR_ENV.into(), self.lock_dir().into()),
        ]
    }

    /// The store lock's directory for this home. The binary's default is per user, from the
    /// password database, whatever HOME says: tests that ran on it would share one lock with
    /// each other and with the developer's own helpers.
    pub fn lock_dir(&self) -> PathBuf {
        self.path().join(".cache/docker-credential-keyring")
    }
}

/// A finished run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// Assert success and return stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, Some(0), "expected success: {self:#?}");
        &self.stdout
    }

    /// Assert the protocol's failure shape (exit 1, one line on stdout) and return the line.
    #[track_caller]
    pub fn fails(&self) -> &str {
        assert_eq!(self.code, Some(1), "expected exit 1: {self:#?}");
        assert!(
            self.stdout.ends_with('\n') && self.stdout.matches('\n').count() == 1,
            "expected exactly one line on stdout: {self:#?}"
        );
        self.stdout.trim_end_matches('\n')
    }

    /// Assert the people commands' failure shape (exit 1, nothing on stdout, `BINARY: LINE`
    /// on stderr after any warnings, the remedy after it) and return LINE.
    #[track_caller]
    pub fn fails_on_stderr(&self) -> &str {
        assert_eq!(self.code, Some(1), "expected exit 1: {self:#?}");
        assert_eq!(self.stdout, "", "expected nothing on stdout: {self:#?}");
        self.stderr
            .lines()
            .filter_map(|l| l.strip_prefix("docker-credential-keyring: "))
            .next_back()
            .unwrap_or_else(|| {
                panic!("expected `docker-credential-keyring: …` on stderr: {self:#?}")
            })
    }
}

impl From<(Output, Duration)> for Run {
    fn from((o, elapsed): (Output, Duration)) -> Run {
        Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            elapsed,
        }
    }
}

/// A command for the binary with a scrubbed environment plus `env`.
pub fn command(env: &[(OsString, OsString)]) -> Command {
    let mut cmd = Command::new(bin());
    for (k, _) in std::env::vars_os() {
        let k_str = k.to_string_lossy();
        if k_str.starts_with("DOCKER_CREDENTIAL_KEYRING_") || SCRUBBED.contains(&k_str.as_ref()) {
            cmd.env_remove(&k);
        }
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd
}

/// Run `cmd` feeding `stdin` (closed right after). A helper still running after 60 s is
/// killed, so a hang fails the test instead of hanging the suite.
pub fn run_command(cmd: Command, stdin: &[u8]) -> Run {
    run_inner(cmd, Some(stdin.to_vec()))
}

/// Run `cmd` with a stdin pipe that stays open (never written, never closed) until it exits:
/// a helper that reads stdin hangs here and is killed after 60 s.
pub fn run_command_stdin_open(cmd: Command) -> Run {
    run_inner(cmd, None)
}

fn run_inner(mut cmd: Command, stdin: Option<Vec<u8>>) -> Run {
    use std::io::Read;
    let start = Instant::now();
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn the binary");
    let mut input = child.stdin.take().unwrap();
    let held_open = stdin.is_none();
    let writer = std::thread::spawn(move || match stdin {
        Some(data) => {
            let _ = input.write_all(&data);
        }
        None => {
            // Keep the pipe open until the child is gone.
            std::thread::sleep(Duration::from_secs(61));
            drop(input);
        }
    });
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    };
    let out = reader(Box::new(child.stdout.take().unwrap()));
    let err = reader(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the binary") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            break child.wait().expect("reap the binary");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = start.elapsed();
    if !held_open {
        let _ = writer.join();
    }
    let output = Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    Run::from((output, elapsed))
}

/// Run the binary with `args` against `keyring`, feeding `stdin`.
pub fn helper(keyring: &dyn Keyring, args: &[&str], stdin: &str) -> Run {
    helper_bytes(keyring, args, stdin.as_bytes())
}

/// Like [`helper`] with raw bytes on stdin.
pub fn helper_bytes(keyring: &dyn Keyring, args: &[&str], stdin: &[u8]) -> Run {
    run_command(helper_command(keyring, args), stdin)
}

/// The binary with `args`, pointed at `keyring` (its env plus the backend variable).
pub fn helper_command(keyring: &dyn Keyring, args: &[&str]) -> Command {
    let mut env = keyring.env();
    env.push((
        "DOCKER_CREDENTIAL_KEYRING_BACKEND".into(),
        keyring.backend().into(),
    ));
    let mut cmd = command(&env);
    cmd.args(args);
    cmd
}

/// Run the binary with `args` against `keyring` with a stdin that is open but never written.
pub fn helper_stdin_open(keyring: &dyn Keyring, args: &[&str]) -> Run {
    run_command_stdin_open(helper_command(keyring, args))
}

/// The median wall time of `n` runs of `f` (for the benches in `bench/`).
pub fn timed(n: usize, mut f: impl FnMut() -> Run) -> Duration {
    let mut runs: Vec<Duration> = (0..n).map(|_| f().elapsed).collect();
    runs.sort();
    runs[runs.len() / 2]
}

/// `store` a credential through the binary and assert it worked.
#[track_caller]
pub fn store(keyring: &dyn Keyring, server: &str, username: &str, secret: &str) {
    let payload = serde_json::json!({"ServerURL": server, "Username": username, "Secret": secret});
    helper(keyring, &["store"], &payload.to_string()).ok();
}
