//! Keychain backends behind one small trait, and how one is chosen.
//!
//! A backend stores one credential per server string, verbatim, and answers only exact server
//! strings: the address rules of [`crate::registry`] are applied above it, in
//! [`crate::protocol`], identically for every backend.

use crate::secret::Secret;
use std::fmt;

#[cfg(target_os = "macos")]
pub mod keychain;
#[cfg(target_os = "linux")]
pub mod keyutils;
pub mod pass;
#[cfg(windows)]
pub mod wincred;

/// One stored credential.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The server string exactly as it was stored.
    pub server_url: String,
    pub username: String,
    pub secret: Secret,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("server_url", &self.server_url)
            .field("username", &self.username)
            .field("secret", &self.secret)
            .finish()
    }
}

/// A stored entry as `list` shows it: no secret.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Listed {
    pub server_url: String,
    pub username: String,
}

/// A keychain that holds Docker credentials.
pub trait Backend {
    /// The backend's name as used by `--backend` and `DOCKER_CREDENTIAL_KEYRING_BACKEND`.
    fn name(&self) -> &'static str;

    /// Every stored entry, without unlocking or decrypting any secret.
    fn list(&self) -> Result<Vec<Listed>, Error>;

    /// The credential stored under exactly `server_url`, if any.
    fn get(&self, server_url: &str) -> Result<Option<Credential>, Error>;

    /// Store `credential`, replacing everything stored under exactly its server string.
    fn store(&self, credential: &Credential) -> Result<(), Error>;

    /// Delete everything stored under exactly `server_url`; `Ok(false)` when nothing was there.
    fn erase(&self, server_url: &str) -> Result<bool, Error>;
}

/// Why a backend could not do what was asked. The `Display` text is one line naming the cause
/// and the fix; it never holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The named backend is not one we know.
    #[error(
        "unknown backend {name:?}: choose one of secret-service, keychain, wincred, pass, keyutils, file, auto"
    )]
    UnknownBackend { name: String },
    /// The backend exists but cannot be used on this platform or build.
    #[error("the {name} backend is not available here: {reason}")]
    Unavailable { name: &'static str, reason: String },
    /// The `pass` backend failed.
    #[error(transparent)]
    Pass(#[from] pass::Error),
    /// The kernel keyring backend failed.
    #[cfg(target_os = "linux")]
    #[error(transparent)]
    Keyutils(#[from] keyutils::Error),
    /// The macOS Keychain backend failed.
    #[cfg(target_os = "macos")]
    #[error(transparent)]
    Keychain(#[from] keychain::Error),
    /// The Windows Credential Manager backend failed.
    #[cfg(windows)]
    #[error(transparent)]
    Wincred(#[from] wincred::Error),
}

impl Error {
    /// A longer remedy for stderr, when one helps.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Pass(e) => e.hint(),
            #[cfg(target_os = "linux")]
            Error::Keyutils(e) => e.hint(),
            #[cfg(target_os = "macos")]
            Error::Keychain(e) => e.hint(),
            #[cfg(windows)]
            Error::Wincred(e) => e.hint(),
            _ => None,
        }
    }
}

/// The environment variable that forces a backend.
pub const BACKEND_ENV: &str = "DOCKER_CREDENTIAL_KEYRING_BACKEND";

/// Open the backend named `name`, or the one `DOCKER_CREDENTIAL_KEYRING_BACKEND` names.
pub fn open(name: Option<&str>) -> Result<Box<dyn Backend>, Error> {
    let env = std::env::var(BACKEND_ENV).ok();
    let name = name.or(env.as_deref()).unwrap_or("auto");
    match name {
        "pass" => return Ok(Box::new(pass::Pass::open()?)),
        #[cfg(target_os = "linux")]
        "keyutils" => return Ok(Box::new(keyutils::Keyutils::open()?)),
        #[cfg(target_os = "macos")]
        "keychain" => return Ok(Box::new(keychain::Keychain::open()?)),
        #[cfg(windows)]
        "wincred" => return Ok(Box::new(wincred::Wincred::open()?)),
        _ => {}
    }
    Err(Error::UnknownBackend {
        name: name.to_owned(),
    })
}
