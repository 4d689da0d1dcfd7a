//! The `wincred` backend (Windows): generic credentials in the Windows Credential Manager, in
//! the layout of Docker's `docker-credential-wincred`, so that each helper reads, lists and
//! erases what the other stored.
//!
//! # Layout
//! [`layout`] (pure, tested on every platform): TargetName = the server URL verbatim, UserName
//! = the username, the blob = the secret's UTF-8 bytes, Persist = local machine, and the
//! attribute `label` = `Docker Credentials` that Docker's `get` and `list` require. `list`
//! shows Docker's credentials and ours (and those of earlier versions of ours, which carried
//! the comment `docker-credential-keyring` instead of the label); a credential of another
//! program under the same target name is never read as a login, overwritten or erased.
//!
//! # Limits
//! - **Blob limit**: Windows refuses a credential blob over 2560 bytes. A longer secret (some
//!   SSO and ECR tokens) is refused with a clear message instead of being split: a split value
//!   would be unreadable by every other wincred helper. Use the `file` backend for such tokens.
//! - What it keeps: in the user's credential store (protected with DPAPI on disk) until erased.
//!
//! # Why not the keyring-core store crate
//! `windows-native-keyring-store` 1.1 writes no credential attributes (so Docker's helper
//! would neither get nor list what we store) and returns none; the four Credential Manager
//! calls are made directly through `windows-sys`, as Docker's library makes them.
//!
//! # Built and tested where it runs
//! The calls (`windows.rs`) are compiled only on Windows; the CI workflow
//! (`.github/workflows/ci.yml`) builds them, runs the protocol suite against the runner's
//! Credential Manager, each test under its own target-name prefix ([`crate::settings::WINCRED_PREFIX_ENV`]), and checks
//! interop with Docker's released `docker-credential-wincred`.

pub mod layout;
#[cfg(windows)]
mod windows;

pub use layout::MAX_BLOB;
#[cfg(windows)]
pub use windows::{Error, Wincred, probe};
#[cfg(not(windows))]
super::unsupported::stand_in!(crate::backend::Kind::Wincred);

/// What `auto` finds.
#[cfg(windows)]
pub(in crate::backend) fn found(_settings: &crate::settings::Settings) -> super::kind::Found {
    match probe() {
        Ok(why) => super::kind::Found::Usable(why, None),
        Err(e) => super::kind::Found::Absent(e.to_string()),
    }
}

/// Open it.
#[cfg(windows)]
pub(in crate::backend) fn open(
    settings: &crate::settings::Settings,
) -> Result<Box<dyn super::Backend>, super::Error> {
    Ok(Box::new(Wincred::open(settings)?))
}
