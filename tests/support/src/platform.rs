//! The platform keychain (macOS login keychain, Windows Credential Manager), shared with the
//! user: each fixture works under a name prefix of its own, set through the backend's namespace
//! variable, so tests running in parallel never see each other's items; Drop erases whatever the
//! test left under it, through the binary.

use crate::{Home, Keyring, LOCK_DIR_ENV, helper};
use std::ffi::OsString;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One test's namespace in the platform keychain.
pub struct PlatformKeyring {
    /// Holds the store lock only: HOME is left as it is, since the keychain APIs find the
    /// user's keychain through it.
    pub home: Home,
    /// The prefix of every item this fixture's binary writes.
    pub prefix: String,
    backend: &'static str,
    variable: &'static str,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl PlatformKeyring {
    /// A fresh namespace of `backend`, named through `variable`.
    pub fn new(backend: &'static str, variable: &'static str) -> PlatformKeyring {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        PlatformKeyring {
            home: Home::new(),
            prefix: format!(
                "dck-test-{}-{}-{nanos}:",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ),
            backend,
            variable,
        }
    }
}

impl Keyring for PlatformKeyring {
    fn backend(&self) -> &'static str {
        self.backend
    }

    fn env(&self) -> Vec<(OsString, OsString)> {
        vec![
            (LOCK_DIR_ENV.into(), self.home.lock_dir().into()),
            (self.variable.into(), self.prefix.clone().into()),
        ]
    }
}

impl Drop for PlatformKeyring {
    fn drop(&mut self) {
        let listed = helper(self, &["list"], "");
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str(&listed.stdout) else {
            eprintln!("cannot list {} to clean up: {listed:?}", self.prefix);
            return;
        };
        for server in map.keys() {
            let r = helper(self, &["erase"], server);
            if r.code != Some(0) {
                eprintln!("cannot erase {}{server}: {r:?}", self.prefix);
            }
        }
    }
}
