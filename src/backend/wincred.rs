//! The `wincred` backend (Windows): generic credentials in the Windows Credential Manager,
//! through the keyring ecosystem's `windows-native-keyring-store` on `keyring-core`.
//!
//! # Layout
//! One generic credential per server, as Docker's `docker-credential-wincred` writes it: target
//! name = ServerURL verbatim, user name = username, blob = the secret's UTF-8 bytes, persistence
//! `Local` (this machine). We also set the comment to `docker-credential-keyring` and `list` shows
//! the credentials carrying it (the store crate can enumerate targets and read comments, not
//! attributes).
//!
//! # Interop limits (honest)
//! - Our `get` and `erase` find Docker's credentials (same target name); so does its `get` find
//!   ours only in helpers older than 0.7: newer `docker-credential-wincred` look for the
//!   attribute `label=Docker Credentials`, which the store crate cannot write, so they neither
//!   get nor list what we stored. Our `list` does not show credentials stored by Docker's helper
//!   (they carry no comment of ours).
//! - **Blob limit**: Windows refuses a credential blob over 2560 bytes. A longer secret (some SSO
//!   and ECR tokens) is refused with a clear message instead of being split: a split value would
//!   be unreadable by every other wincred helper. Use the `pass` or `file` backend for such tokens.
//! - What it keeps: in the user's credential store (protected with DPAPI on disk) until erased.
//!
//! # Built and tested where it runs
//! This module is compiled only on Windows, against the real store crate; the CI workflow
//! (`.github/workflows/ci.yml`) builds it and runs the protocol suite (`tests/protocol.rs`)
//! against the runner's Credential Manager, each test under its own target-name prefix
//! ([`PREFIX_ENV`]).

use crate::backend::{Backend, Credential, Listed};
use crate::secret::Secret;
use keyring_core::{CredentialStore, Entry};
use std::collections::HashMap;
use std::sync::Arc;

/// Windows' `CRED_MAX_CREDENTIAL_BLOB_SIZE`.
pub const MAX_BLOB: usize = 2560;
/// The comment our credentials carry, so `list` can tell them from other programs'.
pub const COMMENT: &str = "docker-credential-keyring";
/// The variable that puts a prefix before every target name (none by default: Docker's target
/// names). A namespace of its own: the tests give each test one, so they share the Credential
/// Manager without seeing each other's credentials.
pub use crate::settings::WINCRED_PREFIX_ENV as PREFIX_ENV;

/// Why the Windows Credential Manager backend could not do what was asked. One line, no secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "the secret is {len} bytes, but Windows Credential Manager holds at most {MAX_BLOB}: use the pass or file backend for long tokens (--backend file)"
    )]
    TooLong { len: usize },
    #[error("Windows Credential Manager refused access ({0})")]
    NoAccess(String),
    #[error("Windows Credential Manager failed: {0}")]
    Platform(String),
    #[error("Windows Credential Manager cannot store this credential: {0}")]
    Invalid(String),
}

impl crate::Hint for Error {
    fn hint(&self) -> Option<String> {
        None
    }
}

/// Our error for a keyring-core error, never quoting bytes it carries (they may be a secret).
fn map(e: keyring_core::Error) -> Error {
    use keyring_core::Error as K;
    match e {
        K::NoStorageAccess(p) => Error::NoAccess(p.to_string()),
        K::PlatformFailure(p) => Error::Platform(p.to_string()),
        K::TooLong(what, max) => Error::Invalid(format!("{what} is longer than {max}")),
        K::Invalid(what, why) => Error::Invalid(format!("{what} {why}")),
        K::BadEncoding(_) | K::BadDataFormat(..) => {
            Error::Platform("a stored credential is not in the expected format".to_owned())
        }
        _ => Error::Platform("unexpected credential manager error".to_owned()),
    }
}

/// A cheap check: the store can be constructed (no credential is read).
pub fn probe() -> Result<(), crate::backend::Error> {
    Wincred::open().map(|_| ()).map_err(Into::into)
}

/// The Windows Credential Manager.
pub struct Wincred {
    store: Arc<CredentialStore>,
    /// Put before every target name: empty, or `$PREFIX_ENV`.
    prefix: String,
}

impl Wincred {
    pub fn open(settings: &crate::settings::Settings) -> Result<Wincred, Error> {
        let prefix = settings.wincred_prefix.clone().unwrap_or_default();
        let store: Arc<CredentialStore> =
            windows_native_keyring_store::Store::new().map_err(map)?;
        Ok(Wincred { store, prefix })
    }

    /// The entry whose target name is exactly the prefix and `server_url`.
    fn entry(&self, server_url: &str) -> Result<Entry, Error> {
        let target = format!("{}{server_url}", self.prefix);
        let mods = HashMap::from([("target", target.as_str()), ("persistence", "Local")]);
        // Service and user are unused when `target` is given.
        Entry::new_in_store_with_modifiers(&self.store, "docker-credential-keyring", "", &mods)
            .map_err(map)
    }
}

impl Backend for Wincred {
    fn kind(&self) -> crate::backend::Kind {
        crate::backend::Kind::Wincred
    }

    fn list(&self) -> Result<Vec<Listed>, crate::backend::Error> {
        let mut listed = Vec::new();
        for entry in Entry::search_in_store(&self.store, &HashMap::new()).map_err(map)? {
            let Ok(attrs) = entry.get_attributes() else {
                continue;
            };
            if attrs.get("comment").map(String::as_str) != Some(COMMENT) {
                continue;
            }
            let (Some(target), Some(user)) = (attrs.get("target_name"), attrs.get("username"))
            else {
                continue;
            };
            if let Some(server_url) = target.strip_prefix(&self.prefix) {
                listed.push(Listed {
                    server_url: server_url.to_owned(),
                    username: user.clone(),
                });
            }
        }
        listed.sort();
        Ok(listed)
    }

    fn get(&self, server_url: &str) -> Result<Option<Credential>, crate::backend::Error> {
        let entry = self.entry(server_url)?;
        let username = match entry.get_attributes() {
            Ok(attrs) => attrs.get("username").cloned().unwrap_or_default(),
            Err(keyring_core::Error::NoEntry) => return Ok(None),
            Err(e) => return Err(map(e).into()),
        };
        let bytes = match entry.get_secret() {
            Ok(b) => zeroize::Zeroizing::new(b),
            Err(keyring_core::Error::NoEntry) => return Ok(None),
            Err(e) => return Err(map(e).into()),
        };
        Ok(Some(Credential {
            server_url: server_url.to_owned(),
            username,
            secret: Secret::new(String::from_utf8_lossy(&bytes).into_owned()),
        }))
    }

    fn store(&self, credential: &Credential) -> Result<(), crate::backend::Error> {
        let secret = credential.secret.expose().as_bytes();
        if secret.len() > MAX_BLOB {
            return Err(Error::TooLong { len: secret.len() }.into());
        }
        let entry = self.entry(&credential.server_url)?;
        // One target per server: this replaces whatever was stored for it. set_secret keeps an
        // existing credential's user name and comment, so set both right after.
        entry.set_secret(secret).map_err(map)?;
        let attrs = HashMap::from([
            ("username", credential.username.as_str()),
            ("comment", COMMENT),
        ]);
        entry.update_attributes(&attrs).map_err(map)?;
        Ok(())
    }

    fn erase(&self, server_url: &str) -> Result<bool, crate::backend::Error> {
        match self.entry(server_url)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(map(e).into()),
        }
    }
}
