//! The `keychain` backend (macOS): internet passwords in the default keychain, in the item
//! format of Docker's `docker-credential-osxkeychain` (and so of Docker Desktop's `desktop`
//! helper on macOS), so that each helper reads, lists and erases what the other stored.
//!
//! # Layout
//! [`layout`] (pure, tested on every platform): class `kSecClassInternetPassword`, label
//! `Docker Credentials`, account = username, authentication type `dflt`, and the server URL
//! split as Docker splits it into protocol (`htps`/`http`), server, port and path; the data is
//! the secret's UTF-8 bytes. One item per address: a `store` replaces every item of ours or
//! Docker's filed there. `list` shows each address as Docker's `list` does
//! (`https://host[:port][/path]`), whatever spelling it was stored under, and reads no secret.
//! Internet passwords without Docker's label (a browser's saved password for the same site)
//! are neither read nor deleted.
//!
//! Earlier versions of ours wrote generic passwords (service
//! `docker-credential-keyring:<ServerURL>`): they are still read, listed and erased, and the
//! next `store` to their address replaces them with a Docker-format item.
//!
//! # Namespace
//! [`crate::settings::KEYCHAIN_SERVICE_ENV`] puts a prefix before every item's server (and replaces the generic
//! passwords' service prefix): the tests give each test one, so they share the login keychain
//! without seeing each other's items or the user's.
//!
//! # Built and tested where it runs
//! The keychain calls (`macos.rs`) are compiled only on macOS; the CI workflow
//! (`.github/workflows/ci.yml`) builds them, runs the protocol suite against the runner's
//! keychain and checks interop with Docker's released `docker-credential-osxkeychain`.

pub mod layout;
#[cfg(target_os = "macos")]
mod macos;

#[cfg(target_os = "macos")]
pub use macos::{Error, Keychain, probe};
#[cfg(not(target_os = "macos"))]
super::unsupported::stand_in!(crate::backend::Kind::Keychain);

/// What `auto` finds.
#[cfg(target_os = "macos")]
pub(in crate::backend) fn found(_settings: &crate::settings::Settings) -> super::kind::Found {
    match probe() {
        Ok(why) => super::kind::Found::Usable(why, None),
        Err(e) => super::kind::Found::Absent(e.to_string()),
    }
}

/// Open it.
#[cfg(target_os = "macos")]
pub(in crate::backend) fn open(
    settings: &crate::settings::Settings,
) -> Result<Box<dyn super::Backend>, super::Error> {
    Ok(Box::new(Keychain::open(settings)?))
}

/// The service prefix of the generic passwords earlier versions wrote.
pub const LEGACY_SERVICE_PREFIX: &str = "docker-credential-keyring:";
