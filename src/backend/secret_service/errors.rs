//! What a failed call means: D-Bus error names and how they map to our errors.

use super::{bus, dh};
use crate::backend::Error;

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
