//! The `file` store's derived key, cached in the Linux kernel's user keyring (`@u`).
//!
//! A `user` key named `docker-credential-keyring:file:<salt>:<source>` holding the 32-byte key,
//! with a kernel timeout: the kernel deletes it when the time is up, and at reboot. It is
//! created in this process's own keyring, given its timeout, and only then linked into `@u`,
//! so a crash can never leave a key without a timeout behind. Default permissions: only
//! processes of the same user that possess `@u` read it. `keyctl purge user
//! docker-credential-keyring:` forgets every cached key at once.
//!
//! Elsewhere (macOS, Windows) or where keyctl is blocked (containers' seccomp), there is no
//! cache: [`get`] finds nothing and [`put`] says why.

use super::Key;

#[cfg(target_os = "linux")]
mod imp {
    use super::Key;
    use crate::secret::Secret;
    use linux_keyutils::{KeyRing, KeyRingIdentifier};

    pub fn get(id: &str) -> Option<Key> {
        let user = KeyRing::from_special_id(KeyRingIdentifier::User, false).ok()?;
        let key = user.search(id).ok()?;
        let mut buf = Secret::new([0u8; 33]);
        let n = key.read(buf.expose_mut()).ok()?;
        if n != 32 {
            return None;
        }
        let mut out = Secret::new([0u8; 32]);
        out.expose_mut().copy_from_slice(&buf.expose()[..32]);
        Some(out)
    }

    pub fn put(id: &str, key: &Key, seconds: u64) -> Result<(), String> {
        let why = |e: linux_keyutils::KeyError| format!("kernel keyring: {e:?}");
        let own = KeyRing::from_special_id(KeyRingIdentifier::Process, true).map_err(why)?;
        let user = KeyRing::from_special_id(KeyRingIdentifier::User, true).map_err(why)?;
        let cached = own.add_key(id, key.expose()).map_err(why)?;
        let linked = cached
            .set_timeout(usize::try_from(seconds).unwrap_or(usize::MAX))
            .and_then(|()| user.link_key(cached));
        let _ = own.unlink_key(cached);
        if let Err(e) = linked {
            let _ = cached.invalidate();
            return Err(why(e));
        }
        Ok(())
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::Key;

    pub fn get(_id: &str) -> Option<Key> {
        None
    }

    pub fn put(_id: &str, _key: &Key, _seconds: u64) -> Result<(), String> {
        Err("there is no kernel keyring on this platform".to_owned())
    }
}

/// The cached key named `id`, if it is there and not expired.
pub fn get(id: &str) -> Option<Key> {
    imp::get(id)
}

/// Cache `key` as `id` for `seconds`.
pub fn put(id: &str, key: &Key, seconds: u64) -> Result<(), String> {
    imp::put(id, key, seconds)
}
