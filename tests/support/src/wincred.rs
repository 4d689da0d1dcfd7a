//! The Windows Credential Manager, under a target-name prefix of this test's own
//! (`DOCKER_CREDENTIAL_KEYRING_WINCRED_PREFIX`).

use crate::platform::PlatformKeyring;

/// A namespace of the real Credential Manager for one test.
pub fn fixture() -> PlatformKeyring {
    PlatformKeyring::new("wincred", "DOCKER_CREDENTIAL_KEYRING_WINCRED_PREFIX")
}
