//! The backend's error, and what a failed call means: D-Bus error names and how they map to it.

use super::{bus, dh};
use crate::hint::Hint;

/// Why the secret-service backend could not do what was asked: one line naming the cause and
/// the fix; never a secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No D-Bus session bus to talk to.
    #[error(
        "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset and there is no $XDG_RUNTIME_DIR/bus): run inside a desktop session, or choose a headless backend (see `docker-credential-keyring backends`)"
    )]
    NoSessionBus,
    /// The session bus address does not answer.
    #[error(
        "cannot connect to the D-Bus session bus at {address} ({reason}): fix DBUS_SESSION_BUS_ADDRESS, or choose a headless backend (see `docker-credential-keyring backends`)"
    )]
    BusUnreachable { address: String, reason: String },
    /// The session bus has no `org.freedesktop.secrets`.
    #[error(
        "no Secret Service on the D-Bus session bus (nothing owns org.freedesktop.secrets): start gnome-keyring-daemon or KeePassXC, or choose a headless backend (see `docker-credential-keyring backends`)"
    )]
    NoSecretService,
    /// The Secret Service has no default collection to store into.
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
}

impl Error {
    /// Whether the keychain is locked and nobody unlocked it (a prompt dismissed, not shown, or
    /// not answered in time).
    pub fn is_locked(&self) -> bool {
        matches!(self, Error::Locked | Error::PromptTimeout { .. })
    }
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Error::NoSessionBus | Error::BusUnreachable { .. } | Error::NoSecretService => Some(
                "The secret-service backend needs a desktop keyring (gnome-keyring, KWallet, KeePassXC) on the \
                 D-Bus session bus. On servers, CI runners and SSH sessions choose another backend: \
                 `docker-credential-keyring backends` lists the ones that work here; select one with \
                 DOCKER_CREDENTIAL_KEYRING_BACKEND=NAME."
                    .to_owned(),
            ),
            Error::Locked => Some(
                "From a terminal without a desktop, gnome-keyring can be unlocked with its password on \
                 stdin: `read -rs pw && printf %s \"$pw\" | gnome-keyring-daemon --unlock`. On a desktop, \
                 unlock it in Seahorse (Passwords and Keys)."
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

pub(super) const ERR_IS_LOCKED: &str = "org.freedesktop.Secret.Error.IsLocked";
pub(super) const ERR_NO_SUCH_OBJECT: &str = "org.freedesktop.Secret.Error.NoSuchObject";
pub(super) const ERR_UNKNOWN_OBJECT: &str = "org.freedesktop.DBus.Error.UnknownObject";
pub(super) const ERR_UNKNOWN_METHOD: &str = "org.freedesktop.DBus.Error.UnknownMethod";
pub(super) const ERR_UNKNOWN_INTERFACE: &str = "org.freedesktop.DBus.Error.UnknownInterface";
pub(super) const ERR_NOT_SUPPORTED: &str = "org.freedesktop.DBus.Error.NotSupported";

/// An item that is gone (deleted by someone else between our search and our call).
///
/// gnome-keyring answers a call on a just-deleted item with `UnknownMethod` ("No such
/// interface org.freedesktop.DBus.Properties on object at path …"): the object exports nothing
/// any more. We only call items that a search returned, so that answer means "gone".
pub(super) fn vanished(e: &bus::ReplyError) -> bool {
    e.is(ERR_NO_SUCH_OBJECT)
        || e.is(ERR_UNKNOWN_OBJECT)
        || e.is(ERR_UNKNOWN_METHOD)
        || e.is(ERR_UNKNOWN_INTERFACE)
}

pub(super) fn failed(what: &str, e: dh::DhError) -> Error {
    Error::Failed {
        service: bus::WHO,
        what: what.to_owned(),
        message: e.to_string(),
    }
}
