//! What a failed call means: D-Bus error names, the remedies printed with our errors.

use super::{bus, dh};
use crate::backend::Error;

pub(super) const ERR_IS_LOCKED: &str = "org.freedesktop.Secret.Error.IsLocked";
pub(super) const ERR_NO_SUCH_OBJECT: &str = "org.freedesktop.Secret.Error.NoSuchObject";
pub(super) const ERR_UNKNOWN_OBJECT: &str = "org.freedesktop.DBus.Error.UnknownObject";
pub(super) const ERR_UNKNOWN_METHOD: &str = "org.freedesktop.DBus.Error.UnknownMethod";
pub(super) const ERR_UNKNOWN_INTERFACE: &str = "org.freedesktop.DBus.Error.UnknownInterface";
pub(super) const ERR_NOT_SUPPORTED: &str = "org.freedesktop.DBus.Error.NotSupported";

/// The stderr remedy when the Secret Service cannot be reached.
pub fn hint_unavailable() -> String {
    "The secret-service backend needs a desktop keyring (gnome-keyring, KWallet, KeePassXC) on the \
     D-Bus session bus. On servers, CI runners and SSH sessions choose another backend: \
     `docker-credential-keyring backends` lists the ones that work here; select one with \
     DOCKER_CREDENTIAL_KEYRING_BACKEND=NAME."
        .to_owned()
}

/// The stderr remedy when the keyring is locked and cannot be unlocked here.
pub fn hint_locked() -> String {
    "From a terminal without a desktop, gnome-keyring can be unlocked with its password on \
     stdin: `read -rs pw && printf %s \"$pw\" | gnome-keyring-daemon --unlock`. On a desktop, \
     unlock it in Seahorse (Passwords and Keys)."
        .to_owned()
}

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
