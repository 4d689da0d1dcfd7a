//! Keychain backends behind one small trait, and how one is chosen.
//!
//! A backend stores one credential per server string, verbatim, and answers only exact server
//! strings: the address rules of [`crate::registry`] are applied above it, in
//! [`crate::protocol`], identically for every backend, through [`Backend::find`], so that `get`
//! never lists the keychain.

use crate::secret::Secret;
use std::fmt;

pub mod file;
#[cfg(target_os = "macos")]
pub mod keychain;
#[cfg(target_os = "linux")]
pub mod keyutils;
pub mod pass;
pub mod secret_service;
pub mod select;
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

/// Why a backend could not do what was asked. The `Display` text is one line naming the cause
/// and the fix; it never holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The named backend is not one we know.
    #[error(
        "unknown backend {name:?}: choose one of secret-service, keychain, wincred, pass, keyutils, file, auto"
    )]
    UnknownBackend { name: String },
    /// Another helper held the store lock for too long.
    #[error(
        "another docker-credential-keyring kept {} locked for {seconds} s: try again when it has finished",
        path.display()
    )]
    Busy {
        path: std::path::PathBuf,
        seconds: u64,
    },
    /// The store lock cannot be used safely: nothing was done.
    #[error(transparent)]
    Lock(#[from] crate::lock::Error),
    /// The backend exists but cannot be used on this platform or build.
    #[error("the {name} backend is not available here: {reason}")]
    Unavailable { name: &'static str, reason: String },
    /// The encrypted-file backend failed.
    #[error(transparent)]
    File(file::Error),
    /// `auto` found no usable backend.
    #[error("{0}")]
    NothingUsable(select::NothingUsable),
    /// The config file is unreadable or invalid.
    #[error(transparent)]
    Config(#[from] crate::config::Error),
    /// No D-Bus session bus to talk to (secret-service).
    #[error(
        "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset and there is no $XDG_RUNTIME_DIR/bus): run inside a desktop session, or choose a headless backend (see `docker-credential-keyring backends`)"
    )]
    NoSessionBus,
    /// The session bus address does not answer (secret-service).
    #[error(
        "cannot connect to the D-Bus session bus at {address} ({reason}): fix DBUS_SESSION_BUS_ADDRESS, or choose a headless backend (see `docker-credential-keyring backends`)"
    )]
    BusUnreachable { address: String, reason: String },
    /// The session bus has no `org.freedesktop.secrets` (secret-service).
    #[error(
        "no Secret Service on the D-Bus session bus (nothing owns org.freedesktop.secrets): start gnome-keyring-daemon or KeePassXC, or choose a headless backend (see `docker-credential-keyring backends`)"
    )]
    NoSecretService,
    /// The Secret Service has no default collection to store into (secret-service).
    #[error(
        "the Secret Service has no default keyring: create one (e.g. in Seahorse: File > New > Password Keyring, then set it as default) and retry"
    )]
    NoDefaultCollection,
    /// The keychain is locked and could not be unlocked: no prompt could be shown, or it was
    /// dismissed.
    #[error(
        "the keyring is locked and the unlock prompt was dismissed or could not be shown: unlock it (log in to the desktop session, or run `gnome-keyring-daemon --unlock`) and retry, or choose a headless backend (see `docker-credential-keyring backends`)"
    )]
    Locked,
    /// Nobody answered the unlock prompt in time.
    #[error(
        "nobody answered the keyring unlock prompt within {seconds} s: answer the dialog (it stays open) and retry, or raise DOCKER_CREDENTIAL_KEYRING_PROMPT_TIMEOUT"
    )]
    PromptTimeout { seconds: f64 },
    /// The keychain service stopped answering.
    #[error("{service} did not answer within {seconds} s when asked to {what}: {fix}")]
    Timeout {
        service: &'static str,
        what: String,
        seconds: f64,
        fix: &'static str,
    },
    /// The keychain service answered with an error we have no better words for.
    #[error("{service} failed to {what}: {message}")]
    Failed {
        service: &'static str,
        what: String,
        message: String,
    },
    /// A setting (environment variable) has a value we cannot use.
    #[error("invalid {name}={value:?}: expected {expected}")]
    InvalidSetting {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
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
            Error::File(e) => e.hint(),
            Error::NothingUsable(e) => Some(e.hint()),
            Error::UnknownBackend { .. } => Some(select::unknown_hint()),
            Error::NoSessionBus | Error::BusUnreachable { .. } | Error::NoSecretService => {
                Some(secret_service::hint_unavailable())
            }
            Error::Locked => Some(secret_service::hint_locked()),
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

/// Open the backend chosen by `flag` (`--backend`), else `DOCKER_CREDENTIAL_KEYRING_BACKEND`,
/// else the config file, else `auto` (see [`select`]).
pub fn open(flag: Option<&str>) -> Result<Box<dyn Backend>, Error> {
    select::open(flag)
}

/// Open the backend called `name` (not `auto`).
pub fn open_named(name: &str) -> Result<Box<dyn Backend>, Error> {
    // Every backend's store and erase run one at a time per user ([`crate::lock`]), except
    // `file`: it locks its own file around read-modify-write, and must not hold a lock that
    // other helpers wait on while it prompts for a passphrase or derives its key.
    let serialized = |inner: Box<dyn Backend>| -> Result<Box<dyn Backend>, Error> {
        Ok(Box::new(crate::lock::Serialized::new(inner)))
    };
    match name {
        "file" => return Ok(Box::new(file::FileStore::open()?)),
        secret_service::NAME => {
            return serialized(Box::new(secret_service::SecretService::open()?));
        }
        "pass" => return serialized(Box::new(pass::Pass::open()?)),
        #[cfg(target_os = "linux")]
        "keyutils" => return serialized(Box::new(keyutils::Keyutils::open()?)),
        #[cfg(target_os = "macos")]
        "keychain" => return serialized(Box::new(keychain::Keychain::open()?)),
        #[cfg(windows)]
        "wincred" => return serialized(Box::new(wincred::Wincred::open()?)),
        _ => {}
    }
    if let Some(reason) = select::not_on_this_platform(name) {
        return Err(Error::Unavailable {
            name: select::static_name(name),
            reason,
        });
    }
    Err(Error::UnknownBackend {
        name: name.to_owned(),
    })
}
