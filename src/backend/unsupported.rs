//! The stand-in of a backend not built on this platform, as cargo's credential crates have
//! `UnsupportedCredential`: the same items as the real module, so that [`super::kind`] names
//! every backend without a `cfg`. [`super::Kind::not_here`] answers before any of them is
//! reached; if one is, it says the same as `not_here`.

use super::kind::{Found, Kind};
use super::{Backend, Error};

/// What `auto` finds of a backend not built here.
pub(super) fn found(kind: Kind) -> Found {
    Found::Absent(reason(kind).to_owned())
}

/// Opening a backend not built here.
pub(super) fn open(kind: Kind) -> Result<Box<dyn Backend>, Error> {
    Err(Error::Unavailable {
        kind,
        reason: reason(kind).to_owned(),
    })
}

fn reason(kind: Kind) -> &'static str {
    kind.not_here().unwrap_or("not built here")
}

/// A backend module's stand-in: `found` and `open`, as every backend module has them.
macro_rules! stand_in {
    ($kind:expr) => {
        /// Not built here: what `auto` finds.
        pub(in crate::backend) fn found(
            _settings: &crate::settings::Settings,
        ) -> crate::backend::kind::Found {
            crate::backend::unsupported::found($kind)
        }

        /// Not built here: opening it fails as [`crate::backend::Kind::not_here`] says.
        pub(in crate::backend) fn open(
            _settings: &crate::settings::Settings,
        ) -> Result<Box<dyn crate::backend::Backend>, crate::backend::Error> {
            crate::backend::unsupported::open($kind)
        }
    };
}
pub(super) use stand_in;
