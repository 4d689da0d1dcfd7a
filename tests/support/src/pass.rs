//! A throw-away `pass` password store with its own GnuPG home and key, for one test.
//!
//! Real `gpg` and `pass`: a temporary GNUPGHOME holding a fresh key without passphrase
//! (`gpg --batch --quick-gen-key … future-default`: ed25519 to sign, cv25519 to encrypt), a
//! temporary PASSWORD_STORE_DIR initialised with `pass init <fingerprint>`. Drop stops the
//! gpg-agent it started and removes everything.

use super::{Home, Keyring, Run, run_command};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PassStore {
    pub home: Home,
    /// GNUPGHOME of this store's key.
    pub gnupg: PathBuf,
    /// PASSWORD_STORE_DIR.
    pub store: PathBuf,
    /// The fingerprint of the store's key.
    pub key: String,
}

/// The environment variables for `pass` and `gpg` children: none inherited but PATH.
fn base_env() -> Vec<(OsString, OsString)> {
    vec![(
        "PATH".into(),
        std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
    )]
}

impl PassStore {
    /// A store initialised for a fresh key without passphrase.
    pub fn new() -> PassStore {
        let store = PassStore::uninitialised();
        store.init();
        store
    }

    /// A GnuPG home with a key, and an empty store directory that `pass init` has not seen.
    pub fn uninitialised() -> PassStore {
        PassStore::with_passphrase(None)
    }

    /// Like [`PassStore::uninitialised`], the key protected by `passphrase` when given.
    pub fn with_passphrase(passphrase: Option<&str>) -> PassStore {
        let home = Home::new();
        let gnupg = home.path().join("gnupg");
        std::fs::create_dir(&gnupg).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&gnupg, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        // No network key lookups (WKD, keyservers) on failure paths.
        std::fs::write(gnupg.join("gpg.conf"), "auto-key-locate local\n").unwrap();
        let store = home.path().join("password-store");
        let mut s = PassStore {
            home,
            gnupg,
            store,
            key: String::new(),
        };
        s.key = s.new_key(
            "docker-credential-keyring test <test@example.invalid>",
            passphrase,
        );
        s
    }

    /// Generate another key in this GNUPGHOME; its fingerprint.
    pub fn new_key(&self, uid: &str, passphrase: Option<&str>) -> String {
        let out = self
            .gpg(&[
                "--batch",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                passphrase.unwrap_or(""),
                "--quick-gen-key",
                uid,
                "future-default",
                "default",
                "never",
            ])
            .output()
            .expect("run gpg");
        assert!(out.status.success(), "gpg --quick-gen-key: {out:?}");
        let out = self
            .gpg(&["--batch", "--with-colons", "--list-keys", uid])
            .output()
            .unwrap();
        let listing = String::from_utf8_lossy(&out.stdout);
        listing
            .lines()
            .find(|l| l.starts_with("fpr:"))
            .and_then(|l| l.split(':').nth(9))
            .expect("fingerprint of the new key")
            .to_owned()
    }

    /// `pass init <key>`.
    pub fn init(&self) {
        let run = self.pass(&["init", &self.key], "");
        assert_eq!(run.code, Some(0), "pass init: {run:#?}");
    }

    /// The environment that points `pass`, `gpg` and our binary at this store.
    pub fn env_vars(&self) -> Vec<(OsString, OsString)> {
        let mut env = self.home.env();
        env.push(("GNUPGHOME".into(), self.gnupg.clone().into()));
        env.push(("PASSWORD_STORE_DIR".into(), self.store.clone().into()));
        env
    }

    /// `gpg` in this GNUPGHOME.
    pub fn gpg(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("gpg");
        cmd.env_clear()
            .envs(base_env())
            .envs(self.env_vars())
            .args(args);
        cmd
    }

    /// Run `program args…` with only PATH and this store's environment, feeding `stdin`.
    pub fn run(&self, program: &str, args: &[&str], stdin: &str) -> Run {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .envs(base_env())
            .envs(self.env_vars())
            .args(args);
        run_command(cmd, stdin.as_bytes())
    }

    /// Run the real `pass`.
    pub fn pass(&self, args: &[&str], stdin: &str) -> Run {
        self.run("pass", args, stdin)
    }

    /// Run Debian's `docker-credential-pass`.
    pub fn docker_credential_pass(&self, args: &[&str], stdin: &str) -> Run {
        self.run("docker-credential-pass", args, stdin)
    }

    /// Our folder inside the store.
    pub fn folder(&self) -> PathBuf {
        self.store.join("docker-credential-helpers")
    }

    /// The path of the root temporary directory (store, GnuPG home, HOME).
    pub fn root(&self) -> &Path {
        self.home.path()
    }
}

impl Keyring for PassStore {
    fn backend(&self) -> &'static str {
        "pass"
    }
    fn env(&self) -> Vec<(OsString, OsString)> {
        self.env_vars()
    }
}

impl Drop for PassStore {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env_clear()
            .envs(base_env())
            .env("GNUPGHOME", &self.gnupg)
            .args(["--kill", "gpg-agent"])
            .output();
    }
}
