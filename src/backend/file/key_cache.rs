//! The `file` store's derived key, cached in the Linux kernel's user keyring (`@u`).
//!
//! A `user` key named `docker-credential-keyring:file:<salt>:<source>` holding the 32-byte key,
//! with a kernel timeout: the kernel deletes it when the time is up, and at reboot. It is
//! created in this process's own keyring, given its timeout, and only then linked into `@u`,
//! so a crash can never leave a key without a timeout behind. Default permissions: only
//! processes of the same user that possess `@u` read it. `keyctl purge -p user
//! docker-credential-keyring:file:` forgets every cached key at once.
//!
//! Elsewhere (macOS, Windows) or where keyctl is blocked (containers' seccomp), there is no
//! cache: [`get`] finds nothing and [`put`] says why.

use super::Key;

#[cfg(target_os = "linux")]
mod imp {
    //! On the keyutils backend's system calls.
    use super::Key;
    use crate::backend::keyutils::sys;
    use crate::secret::Secret;
    use std::ffi::CString;

    fn os_error(errno: i32) -> String {
        std::io::Error::from_raw_os_error(errno).to_string()
    }

    pub fn get(id: &str) -> Option<Key> {
        let desc = CString::new(id).ok()?;
        let serial = sys::search(sys::KEY_SPEC_USER_KEYRING, c"user", &desc).ok()?;
        // One byte more than a key: a longer payload is not ours.
        let mut buf = Secret::new([0u8; 33]);
        let n = sys::read_into(serial, buf.expose_mut()).ok()?;
        if n != 32 {
            return None;
        }
        let mut out = Secret::new([0u8; 32]);
        out.expose_mut().copy_from_slice(&buf.expose()[..32]);
        Some(out)
    }

    pub fn put(id: &str, key: &Key, seconds: u64) -> Result<(), String> {
        let desc = CString::new(id).map_err(|e| e.to_string())?;
        let seconds = u32::try_from(seconds).unwrap_or(u32::MAX);
        let serial = sys::add_key(
            c"user",
            &desc,
            Some(&key.expose()[..]),
            sys::KEY_SPEC_PROCESS_KEYRING,
        )
        .map_err(os_error)?;
        let linked = sys::set_timeout(serial, seconds)
            .and_then(|()| sys::link(serial, sys::KEY_SPEC_USER_KEYRING));
        let _ = sys::unlink(serial, sys::KEY_SPEC_PROCESS_KEYRING);
        if let Err(e) = linked {
            let _ = sys::invalidate(serial);
            return Err(format!("kernel keyring: {}", os_error(e)));
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
