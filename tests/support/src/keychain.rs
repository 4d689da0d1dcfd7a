//! The macOS login keychain, under a service prefix of this test's own
//! (`DOCKER_CREDENTIAL_KEYRING_KEYCHAIN_SERVICE`).

use crate::platform::PlatformKeyring;

/// A namespace of the real login keychain for one test.
pub fn fixture() -> PlatformKeyring {
    PlatformKeyring::new("keychain", "DOCKER_CREDENTIAL_KEYRING_KEYCHAIN_SERVICE")
}
