//! The `file` store's derived key, cached in the Linux kernel's user keyring (`@u`).
//!
//! A `user` key named `docker-credential-keyring:file:<salt>:<source>` (the file's salt in hex,
//! `tty` or `env`: nothing derived from the passphrase is in the name, which `/proc/keys` shows)
//! holding the 32-byte key, followed for `env` by a check of the passphrase (see
//! `super::passphrase::cache_payload`), with a kernel timeout: the kernel deletes it when the time is up,
//! and at reboot. It is created in this process's own keyring, given its timeout, and only then
//! linked into `@u`, so a crash can never leave a key without a timeout behind. Default
//! permissions: only processes of the same user that possess `@u` (and root) read the payload.
//! `keyctl purge -p user docker-credential-keyring:file:` forgets every cached key at once.
//!
//! Elsewhere (macOS, Windows) or where keyctl is blocked (containers' seccomp), there is no
//! cache: [`get`] finds nothing and [`put`] says why.

use crate::secret::Secret;

/// The largest payload we cache (a key and a 32-byte check).
pub const MAX_PAYLOAD: usize = 64;

/// Whether this platform has the cache at all (only Linux has a kernel keyring). Where it has
/// none, not caching is the documented behaviour, not a fault to warn about on every call.
pub const EXISTS: bool = cfg!(target_os = "linux");

#[cfg(target_os = "linux")]
mod imp {
    //! On the kernel keyring's system calls ([`crate::keyctl`]).
    use super::MAX_PAYLOAD;
    use crate::keyctl as sys;
    use crate::secret::Secret;
    use std::ffi::CString;

    fn os_error(errno: i32) -> String {
        std::io::Error::from_raw_os_error(errno).to_string()
    }

    pub fn get(id: &str) -> Option<Secret<Vec<u8>>> {
        let desc = CString::new(id).ok()?;
        let serial = sys::search(sys::KEY_SPEC_USER_KEYRING, c"user", &desc).ok()?;
        // One byte more than we ever cache: a longer payload is not ours.
        let mut buf = Secret::new(vec![0u8; MAX_PAYLOAD + 1]);
        let n = sys::read_into(serial, buf.expose_mut()).ok()?;
        if n > MAX_PAYLOAD {
            return None;
        }
        buf.expose_mut().truncate(n);
        Some(buf)
    }

    pub fn put(id: &str, payload: &[u8], seconds: u64) -> Result<(), String> {
        let desc = CString::new(id).map_err(|e| e.to_string())?;
        let seconds = u32::try_from(seconds).unwrap_or(u32::MAX);
        let serial = sys::add_key(c"user", &desc, Some(payload), sys::KEY_SPEC_PROCESS_KEYRING)
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
    use crate::secret::Secret;

    pub fn get(_id: &str) -> Option<Secret<Vec<u8>>> {
        None
    }

    pub fn put(_id: &str, _payload: &[u8], _seconds: u64) -> Result<(), String> {
        Err("there is no kernel keyring on this platform".to_owned())
    }
}

/// The payload cached as `id` (at most [`MAX_PAYLOAD`] bytes), if it is there and not expired.
pub fn get(id: &str) -> Option<Secret<Vec<u8>>> {
    imp::get(id)
}

/// Cache `payload` as `id` for `seconds`.
pub fn put(id: &str, payload: &[u8], seconds: u64) -> Result<(), String> {
    imp::put(id, payload, seconds)
}
