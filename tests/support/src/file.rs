//! The `file` backend fixture: a throw-away HOME whose data directory holds the encrypted
//! store, the passphrase given through `DOCKER_CREDENTIAL_KEYRING_PASSPHRASE`.
//!
//! Every fixture has a fresh store, hence a fresh salt, hence its own entries in the kernel
//! key cache: fixtures never see each other's cached keys. The cache lifetime is kept short
//! (60 s), and dropping the fixture purges its store's cached keys, so test runs leave nothing
//! in the user keyring (whose quota, 200 keys for a non-root user, other tests share).

use super::{Home, Keyring};
use std::ffi::OsString;
use std::path::PathBuf;

/// The passphrase fixtures use unless a test picks another.
pub const PASSPHRASE: &str = "correct horse battery staple";

/// An isolated encrypted-file store.
pub struct FileKeyring {
    pub home: Home,
    pub passphrase: Option<String>,
}

impl FileKeyring {
    pub fn new() -> FileKeyring {
        FileKeyring {
            home: Home::new(),
            passphrase: Some(PASSPHRASE.to_owned()),
        }
    }

    /// The same store, with another passphrase (or none).
    pub fn with_passphrase(&self, passphrase: Option<&str>) -> FileKeyringView<'_> {
        FileKeyringView {
            store: self,
            passphrase: passphrase.map(str::to_owned),
        }
    }

    /// The encrypted file.
    pub fn file(&self) -> PathBuf {
        self.home
            .path()
            .join(".local/share/docker-credential-keyring/credentials.enc.json")
    }

    fn env_with(&self, passphrase: Option<&str>) -> Vec<(OsString, OsString)> {
        let mut env = self.home.env();
        env.push((
            "DOCKER_CREDENTIAL_KEYRING_FILE_CACHE_SECONDS".into(),
            "60".into(),
        ));
        if let Some(p) = passphrase {
            env.push(("DOCKER_CREDENTIAL_KEYRING_PASSPHRASE".into(), p.into()));
        }
        env
    }
}

impl Drop for FileKeyring {
    fn drop(&mut self) {
        purge_cached_keys(&self.file());
    }
}

/// Remove the keys the store at `file` cached in the user keyring (`keyctl purge`).
pub fn purge_cached_keys(file: &std::path::Path) {
    use base64::Engine as _;
    let Ok(bytes) = std::fs::read(file) else {
        return;
    };
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return;
    };
    let Some(salt) = doc["kdf"]["salt"]
        .as_str()
        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
    else {
        return;
    };
    let hex: String = salt.iter().map(|b| format!("{b:02x}")).collect();
    let _ = std::process::Command::new("keyctl")
        .args([
            "purge",
            "-p",
            "user",
            &format!("docker-credential-keyring:file:{hex}:"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

impl Default for FileKeyring {
    fn default() -> Self {
        FileKeyring::new()
    }
}

impl Keyring for FileKeyring {
    fn backend(&self) -> &'static str {
        "file"
    }

    fn env(&self) -> Vec<(OsString, OsString)> {
        self.env_with(self.passphrase.as_deref())
    }
}

/// A [`FileKeyring`] seen with another passphrase.
pub struct FileKeyringView<'a> {
    store: &'a FileKeyring,
    passphrase: Option<String>,
}

impl Keyring for FileKeyringView<'_> {
    fn backend(&self) -> &'static str {
        "file"
    }

    fn env(&self) -> Vec<(OsString, OsString)> {
        self.store.env_with(self.passphrase.as_deref())
    }
}
