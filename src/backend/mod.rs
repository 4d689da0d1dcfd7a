//! Keychain backends behind one small trait: each one a [`Kind`] ([`kind`]), chosen by
//! [`select`], opened by [`open`].
//!
//! A backend stores one credential per server string, verbatim, and answers only exact server
//! strings: the address rules of [`crate::registry`] are applied above it, in
//! [`crate::protocol`], identically for every backend, through [`Backend::find`], so that `get`
//! never lists the keychain.

use crate::secret::Secret;
use crate::settings::Settings;
use std::fmt;

// Every backend module has the same items on every platform (`found`, `open`): the real
// ones where it is built, an unsupported stand-in elsewhere, so that nothing above this list
// needs a `cfg` (keychain and wincred choose inside their own folders).
mod error;
pub mod file;
pub mod keychain;
#[cfg(target_os = "linux")]
pub mod keyutils;
#[cfg(not(target_os = "linux"))]
pub mod keyutils {
    //! The kernel keyring exists only on Linux: the stand-in.
    super::unsupported::stand_in!(crate::backend::Kind::Keyutils);
}
pub mod kind;
pub mod pass;
#[cfg(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
))]
pub mod secret_service;
#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
)))]
#[path = "secret_service_unsupported.rs"]
pub mod secret_service;
pub mod select;
mod serialized;
mod unsupported;
pub mod wincred;

/// The stand-ins the platforms here do not use, built by the tests so that they cannot rot.
#[cfg(test)]
#[allow(dead_code)]
#[path = "secret_service_unsupported.rs"]
mod secret_service_stand_in;
#[cfg(test)]
#[allow(dead_code)]
mod keyutils_stand_in {
    crate::backend::unsupported::stand_in!(crate::backend::Kind::Keyutils);
}

/// The environment variable that forces a backend.
pub use error::{Error, NothingUsable};
pub use kind::{Kind, UnknownBackend};
pub use serialized::Serialized;

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
    /// Which backend this is.
    fn kind(&self) -> Kind;

    /// The backend's name as used by `--backend` and `DOCKER_CREDENTIAL_KEYRING_BACKEND`.
    fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// Every stored entry (server and username); no secret is read or decrypted. Only
    /// `secret-service` may unlock: items of a keyring still locked since the service loaded it
    /// show only hashed attributes, so they are unlocked first (the unlock prompt where one can
    /// be shown, else [`Error::Locked`]). The other backends never unlock or prompt in `list`.
    fn list(&self) -> Result<Vec<Listed>, Error>;

    /// The credential stored under exactly `server_url`, if any.
    fn get(&self, server_url: &str) -> Result<Option<Credential>, Error>;

    /// The credential that answers `query` by the address rules of [`crate::registry`], without
    /// reading any other entry's secret. By default, exact gets of every spelling the rules can
    /// match ([`crate::registry::candidates`]); a backend that holds every server name at hand
    /// resolves over those instead ([`resolve_among`]), which also finds unusual spellings.
    fn find(&self, query: &str) -> Result<Option<Credential>, Error> {
        for candidate in crate::registry::candidates(query) {
            if let Some(found) = self.get(&candidate)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// Store `credential`, replacing everything stored under exactly its server string.
    fn store(&self, credential: &Credential) -> Result<(), Error>;

    /// Delete everything stored under exactly `server_url`; `Ok(false)` when nothing was there.
    fn erase(&self, server_url: &str) -> Result<bool, Error>;
}

/// [`Backend::find`] for a backend that has every stored server name at hand (no secret read):
/// the address rules applied over `names`, then `get` of the answer. A name whose `get` finds
/// nothing (an entry without a credential) is passed over, as `list` would not show it.
pub fn resolve_among(
    query: &str,
    mut names: Vec<String>,
    mut get: impl FnMut(&str) -> Result<Option<Credential>, Error>,
) -> Result<Option<Credential>, Error> {
    while let Some(found) = crate::registry::resolve(query, names.iter().map(String::as_str)) {
        let found = found.to_owned();
        if let Some(credential) = get(&found)? {
            return Ok(Some(credential));
        }
        names.retain(|n| *n != found);
    }
    Ok(None)
}

/// Open the backend chosen by `flag` (`--backend`), else `DOCKER_CREDENTIAL_KEYRING_BACKEND`,
/// else the config file, else `auto` (see [`select`]); after `auto`, on the connection its
/// probe opened.
pub fn open(settings: &Settings, flag: Option<&str>) -> Result<Box<dyn Backend>, Error> {
    match select::chosen(settings, flag)?.0 {
        select::Choice::Kind(kind) => kind.open(settings),
        select::Choice::Auto => {
            let auto = select::auto(settings)?;
            auto.kind.open_probed(settings, auto.probed)
        }
    }
}
