//! The `keychain` backend (macOS): generic passwords in the login keychain, through the keyring
//! ecosystem's `apple-native-keyring-store` (feature `keychain`) on `keyring-core`.
//!
//! # Layout
//! One generic password per credential: service `docker-credential-keyring:<ServerURL verbatim>`,
//! account = username, password = the secret's UTF-8 bytes. `list` searches the login keychain's
//! generic passwords by attributes only (no secret is read, so no keychain prompt) and keeps the
//! ones with our service prefix.
//!
//! # Interop limits (honest)
//! Docker's `docker-credential-osxkeychain` stores **internet passwords** (protocol, server, port,
//! path; label `Docker Credentials`). The store crate only writes and finds generic passwords, so
//! credentials stored by one helper are **not** seen by the other: after switching, run
//! `docker login` again (or import). What it keeps: in the login keychain, encrypted on disk,
//! until erased; unlocked with the user's login.
//!
//! # Built and tested where it runs
//! This module is compiled only on macOS, against the real store crate; the CI workflow
//! (`.github/workflows/ci.yml`) builds it and runs the protocol suite (`tests/protocol.rs`)
//! against the runner's login keychain, each test under its own service prefix
//! ([`SERVICE_ENV`]).

use crate::backend::{Backend, Credential, Listed};
use crate::secret::Secret;
use keyring_core::{CredentialStore, Entry};
use std::collections::HashMap;
use std::sync::Arc;

/// Prefix of our items' service attribute.
pub const SERVICE_PREFIX: &str = "docker-credential-keyring:";

/// The variable that replaces [`SERVICE_PREFIX`]: a namespace of its own (the tests give each
/// test one, so they share the login keychain without seeing each other's items).
pub use crate::settings::KEYCHAIN_SERVICE_ENV as SERVICE_ENV;

/// Why the macOS Keychain backend could not do what was asked. One line, no secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "the macOS keychain refused access ({0}): unlock the login keychain (Keychain Access) and allow docker-credential-keyring"
    )]
    NoAccess(String),
    #[error("the macOS keychain failed: {0}")]
    Platform(String),
    #[error("the macOS keychain cannot store this credential: {0}")]
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
            Error::Platform("a stored item is not in the expected format".to_owned())
        }
        _ => Error::Platform("unexpected keychain error".to_owned()),
    }
}

/// A cheap check: the login keychain answers a store construction (no item is read).
pub fn probe() -> Result<(), crate::backend::Error> {
    Keychain::open().map(|_| ()).map_err(Into::into)
}

/// The login keychain.
pub struct Keychain {
    store: Arc<CredentialStore>,
    /// Prefix of our items' service attribute: [`SERVICE_PREFIX`] or `$SERVICE_ENV`.
    prefix: String,
}

impl Keychain {
    pub fn open(settings: &crate::settings::Settings) -> Result<Keychain, Error> {
        let prefix = settings
            .keychain_service
            .clone()
            .unwrap_or_else(|| SERVICE_PREFIX.to_owned());
        let store: Arc<CredentialStore> =
            apple_native_keyring_store::keychain::Store::new().map_err(map)?;
        Ok(Keychain { store, prefix })
    }

    /// Entries stored under exactly `server_url`, each with its username.
    fn entries_for(&self, server_url: &str) -> Result<Vec<(Entry, String)>, Error> {
        let service = format!("{}{server_url}", self.prefix);
        let spec = HashMap::from([("service", service.as_str())]);
        let mut found: Vec<(Entry, String)> = Entry::search_in_store(&self.store, &spec)
            .map_err(map)?
            .into_iter()
            .filter_map(|e| {
                let (s, user) = e.get_specifiers()?;
                (s == service).then_some((e, user))
            })
            .collect();
        found.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(found)
    }
}

impl Backend for Keychain {
    fn kind(&self) -> crate::backend::Kind {
        crate::backend::Kind::Keychain
    }

    fn list(&self) -> Result<Vec<Listed>, crate::backend::Error> {
        let all = Entry::search_in_store(&self.store, &HashMap::new()).map_err(map)?;
        let mut listed: Vec<Listed> = all
            .iter()
            .filter_map(|e| {
                let (service, username) = e.get_specifiers()?;
                let server_url = service.strip_prefix(&self.prefix)?.to_owned();
                Some(Listed {
                    server_url,
                    username,
                })
            })
            .collect();
        listed.sort();
        listed.dedup_by(|a, b| a.server_url == b.server_url);
        Ok(listed)
    }

    fn get(&self, server_url: &str) -> Result<Option<Credential>, crate::backend::Error> {
        let Some((entry, username)) = self.entries_for(server_url)?.into_iter().next() else {
            return Ok(None);
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
        let service = format!("{}{}", self.prefix, credential.server_url);
        let entry =
            Entry::new_in_store(&self.store, &service, &credential.username).map_err(map)?;
        entry
            .set_secret(credential.secret.expose().as_bytes())
            .map_err(map)?;
        for (other, username) in self.entries_for(&credential.server_url)? {
            if username != credential.username {
                match other.delete_credential() {
                    Ok(()) | Err(keyring_core::Error::NoEntry) => {}
                    Err(e) => return Err(map(e).into()),
                }
            }
        }
        Ok(())
    }

    fn erase(&self, server_url: &str) -> Result<bool, crate::backend::Error> {
        let mut erased = false;
        for (entry, _) in self.entries_for(server_url)? {
            match entry.delete_credential() {
                Ok(()) => erased = true,
                Err(keyring_core::Error::NoEntry) => {}
                Err(e) => return Err(map(e).into()),
            }
        }
        Ok(erased)
    }
}
