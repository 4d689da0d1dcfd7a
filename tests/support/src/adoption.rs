//! Support for the adoption tests (setup, import, doctor, the real docker CLI, docker-py): a
//! sandbox holding a keychain fixture (the real `file` backend unless a test picks another), a
//! temp HOME, a `DOCKER_CONFIG`, a bin directory that is the whole PATH (our binary under the
//! name docker finds it by, plus the real docker CLI), and optionally a stub daemon.

use super::docker_daemon::DockerDaemon;
use super::file::FileKeyring;
use super::{Keyring, Run, bin, run_command};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the real docker CLI is: the one on the inherited PATH (tests/run.sh installs it).
pub fn docker_cli() -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("docker"))
        .find(|p| p.is_file())
        .expect("the docker CLI is on PATH (tests/run.sh installs it)")
}

/// A sandbox for docker, our binary and docker-py.
pub struct Sandbox {
    pub home: tempfile::TempDir,
    pub keyring: Box<dyn Keyring>,
    pub daemon: Option<DockerDaemon>,
    /// Extra variables for every command.
    pub extra_env: Vec<(OsString, OsString)>,
}

impl Sandbox {
    /// A sandbox whose PATH holds `docker-credential-keyring` (a symlink to the built binary)
    /// and `docker`.
    pub fn new() -> Sandbox {
        let s = Sandbox::without_helper_on_path();
        std::os::unix::fs::symlink(bin(), s.bin_dir().join("docker-credential-keyring"))
            .expect("link the helper");
        s
    }

    /// A sandbox whose PATH holds only `docker`: docker cannot find our helper.
    pub fn without_helper_on_path() -> Sandbox {
        let home = tempfile::tempdir().expect("temp home");
        std::fs::create_dir_all(home.path().join("bin")).unwrap();
        std::fs::create_dir_all(home.path().join(".docker")).unwrap();
        std::os::unix::fs::symlink(docker_cli(), home.path().join("bin/docker"))
            .expect("link docker");
        Sandbox {
            home,
            keyring: Box::new(FileKeyring::new()),
            daemon: None,
            extra_env: Vec::new(),
        }
    }

    /// Use `keyring` instead of the default `file` fixture.
    pub fn keyring(mut self, keyring: Box<dyn Keyring>) -> Sandbox {
        self.keyring = keyring;
        self
    }

    /// Start a stub daemon accepting `accepted` logins; docker commands go to it.
    pub fn with_daemon(mut self, accepted: &[(&str, &str)]) -> Sandbox {
        self.daemon = Some(DockerDaemon::start(accepted));
        self
    }

    pub fn daemon(&self) -> &DockerDaemon {
        self.daemon.as_ref().expect("the sandbox has a daemon")
    }

    pub fn bin_dir(&self) -> PathBuf {
        self.home.path().join("bin")
    }

    pub fn config_dir(&self) -> PathBuf {
        self.home.path().join(".docker")
    }

    pub fn config(&self) -> PathBuf {
        self.config_dir().join("config.json")
    }

    /// The config file's bytes (panics when missing).
    pub fn config_bytes(&self) -> Vec<u8> {
        std::fs::read(self.config()).expect("config.json exists")
    }

    /// The config file as JSON.
    pub fn config_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.config_bytes()).expect("config.json is JSON")
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config(), text).unwrap();
    }

    /// The whole environment of a command in this sandbox (nothing inherited): the keychain
    /// fixture's variables, then the sandbox's (which win).
    pub fn env(&self) -> Vec<(OsString, OsString)> {
        let h = self.home.path();
        let mut env = self.keyring.env();
        env.extend::<Vec<(OsString, OsString)>>(vec![
            ("PATH".into(), self.bin_dir().into()),
            ("HOME".into(), h.into()),
            ("XDG_CONFIG_HOME".into(), h.join(".config").into()),
            ("XDG_CACHE_HOME".into(), h.join(".cache").into()),
            ("DOCKER_CONFIG".into(), self.config_dir().into()),
            ("LANG".into(), "C.UTF-8".into()),
            (
                "DOCKER_CREDENTIAL_KEYRING_BACKEND".into(),
                self.keyring.backend().into(),
            ),
        ]);
        if let Some(d) = &self.daemon {
            env.push(("DOCKER_HOST".into(), d.host().into()));
        }
        env.extend(self.extra_env.iter().cloned());
        env
    }

    /// `program` with this sandbox's environment only.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear();
        cmd.envs(self.env());
        cmd.current_dir(self.home.path());
        cmd
    }

    /// Run the real docker CLI.
    pub fn docker(&self, args: &[&str], stdin: &str) -> Run {
        let mut cmd = self.command(docker_cli());
        cmd.args(args);
        run_command(cmd, stdin.as_bytes())
    }

    /// Run our binary.
    pub fn ours(&self, args: &[&str], stdin: &str) -> Run {
        let mut cmd = self.command(bin());
        cmd.args(args);
        run_command(cmd, stdin.as_bytes())
    }

    /// `get` through our binary: (username, secret), or None when not found.
    pub fn get(&self, server: &str) -> Option<(String, String)> {
        let run = self.ours(&["get"], server);
        if run.code == Some(1) && run.stdout.trim() == "credentials not found in native keychain" {
            return None;
        }
        let v: serde_json::Value = serde_json::from_str(run.ok()).expect("get prints JSON");
        Some((
            v["Username"].as_str().unwrap().to_owned(),
            v["Secret"].as_str().unwrap().to_owned(),
        ))
    }

    /// `list` through our binary.
    pub fn list(&self) -> serde_json::Value {
        serde_json::from_str(self.ours(&["list"], "").ok()).expect("list prints JSON")
    }

    /// Run `script` with the python3 the test run inherited (the one `tests/run.sh` installed
    /// docker-py into), in this sandbox; its directory comes after the sandbox's bin directory
    /// on PATH.
    pub fn python(&self, script: &str) -> Run {
        let python = python3();
        let path = format!(
            "{}:{}",
            self.bin_dir().display(),
            python.parent().unwrap().display()
        );
        let mut cmd = self.command(&python);
        cmd.env("PATH", path).arg("-c").arg(script);
        run_command(cmd, b"")
    }
}

/// The real interpreter behind `python3` on the inherited PATH (resolving pyenv-style shims).
pub fn python3() -> PathBuf {
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3 is installed (tests/run.sh installs it)");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// The base64 `auth` value Docker writes for user:password.
pub fn auth(user: &str, password: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// Every file name in `dir`.
pub fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A shared fixture: the sandbox uses it while the test keeps a handle to drive it (lock it,
/// run Docker's Go helper on it, …).
impl<T: Keyring> Keyring for std::rc::Rc<T> {
    fn backend(&self) -> &'static str {
        (**self).backend()
    }

    fn env(&self) -> Vec<(OsString, OsString)> {
        (**self).env()
    }
}

// Shared by the setup, import and doctor tests.

/// Docker Hub, host:port (password with a colon), an identity token, a stub, an email-only
/// entry, and fields import must not touch.
pub fn plaintext_config() -> String {
    format!(
        "{{\n\t\"auths\": {{\n\t\t\"https://index.docker.io/v1/\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}},\n\t\t\"reg.example:5000\": {{\n\t\t\t\"auth\": \"{}\",\n\t\t\t\"email\": \"bob@example.com\"\n\t\t}},\n\t\t\"tok.example\": {{\n\t\t\t\"auth\": \"{}\",\n\t\t\t\"identitytoken\": \"id-token-XYZ\"\n\t\t}},\n\t\t\"stub.example\": {{}}\n\t}},\n\t\"psFormat\": \"x\"\n}}",
        auth("alice", "hub-secret"),
        auth("bob", "pa:ss:word"),
        auth("carol", "")
    )
}

pub const SECRETS: &[&str] = &["hub-secret", "pa:ss:word", "id-token-XYZ"];

pub fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "a secret was printed: {text}");
    }
    for (u, p) in [("alice", "hub-secret"), ("bob", "pa:ss:word")] {
        assert!(!text.contains(&auth(u, p)), "a secret was printed: {text}");
    }
}

// A store that forgets at reboot (keyutils): never made the only copy without --allow-volatile.

/// A sandbox on a real kernel keyring of its own, holding the plaintext config and a backup
/// (whose bytes must survive a refusal too).
pub fn volatile_sandbox() -> (Sandbox, String, Vec<u8>) {
    let s = Sandbox::new().keyring(Box::new(crate::keyutils::KernelKeyring::new()));
    let text = plaintext_config();
    s.write_config(&text);
    let bak = format!(
        "{{\"auths\": {{\"old.example\": {{\"auth\": \"{}\"}}}}}}",
        auth("dan", "old")
    );
    std::fs::write(s.config_dir().join("config.json.bak"), &bak).unwrap();
    (s, text, bak.into_bytes())
}

/// The refusal: exit 1, one line naming the store, what it keeps, for how long and the fix;
/// config.json and its backup byte for byte as they were; nothing in the keychain.
pub fn assert_refused_volatile(s: &Sandbox, out: &crate::Run, text: &str, bak: &[u8]) {
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
    for part in [
        "keyutils",
        "kernel memory only",
        "until reboot, or 3 days without use",
        "--allow-volatile",
        "durable backend",
        "was not changed",
    ] {
        assert!(out.stderr.contains(part), "{part:?} missing: {out:#?}");
    }
    assert_no_secret(&out.stdout);
    assert_no_secret(&out.stderr);
    assert_eq!(s.config_bytes(), text.as_bytes());
    assert_eq!(
        std::fs::read(s.config_dir().join("config.json.bak")).unwrap(),
        bak
    );
    assert_eq!(names(&s.config_dir()), ["config.json", "config.json.bak"]);
    assert_eq!(s.list(), serde_json::json!({}), "nothing stored either");
}

// Run as root on a user's file: the owner is kept.

pub fn owner(path: &std::path::Path) -> (u32, u32) {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).unwrap();
    (m.uid(), m.gid())
}

/// A sandbox whose config.json and backup belong to uid/gid 12345 (we are root: the tests run
/// as root here, which is what `sudo docker-credential-keyring setup` is).
pub fn users_files(text: &str) -> Sandbox {
    assert!(
        crate::keyutils::is_root(),
        "this test needs root (tests/run.sh runs the suite as root)"
    );
    let s = Sandbox::new();
    s.write_config(text);
    let bak = s.config_dir().join("config.json.bak");
    std::fs::write(&bak, "{}").unwrap();
    for p in [s.config(), bak] {
        std::os::unix::fs::chown(&p, Some(12345), Some(12345)).unwrap();
    }
    s
}
