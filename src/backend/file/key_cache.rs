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
    //! Five keyctl operations through libc (the same dependency as the keyutils backend).
    use super::Key;
    use crate::secret::Secret;
    use std::ffi::CString;

    const KEY_SPEC_PROCESS_KEYRING: libc::c_long = -2;
    const KEY_SPEC_USER_KEYRING: libc::c_long = -4;
    const KEYCTL_LINK: libc::c_long = 8;
    const KEYCTL_UNLINK: libc::c_long = 9;
    const KEYCTL_SEARCH: libc::c_long = 10;
    const KEYCTL_READ: libc::c_long = 11;
    const KEYCTL_SET_TIMEOUT: libc::c_long = 15;
    const KEYCTL_INVALIDATE: libc::c_long = 21;

    fn check(ret: libc::c_long) -> Result<libc::c_long, String> {
        if ret < 0 {
            Err(std::io::Error::last_os_error().to_string())
        } else {
            Ok(ret)
        }
    }

    fn keyctl(op: libc::c_long, a: libc::c_long, b: libc::c_long) -> Result<libc::c_long, String> {
        // SAFETY: keyctl with integer arguments only.
        check(unsafe { libc::syscall(libc::SYS_keyctl, op, a, b, 0 as libc::c_long) })
    }

    pub fn get(id: &str) -> Option<Key> {
        let desc = CString::new(id).ok()?;
        // SAFETY: the type and description are NUL-terminated strings that outlive the call.
        let serial = check(unsafe {
            libc::syscall(
                libc::SYS_keyctl,
                KEYCTL_SEARCH,
                KEY_SPEC_USER_KEYRING,
                c"user".as_ptr(),
                desc.as_ptr(),
                0 as libc::c_long,
            )
        })
        .ok()?;
        let mut buf = Secret::new([0u8; 33]);
        // SAFETY: the buffer is valid for its length; the kernel writes at most that much.
        let n = check(unsafe {
            libc::syscall(
                libc::SYS_keyctl,
                KEYCTL_READ,
                serial,
                buf.expose_mut().as_mut_ptr(),
                buf.expose().len(),
            )
        })
        .ok()?;
        if n != 32 {
            return None;
        }
        let mut out = Secret::new([0u8; 32]);
        out.expose_mut().copy_from_slice(&buf.expose()[..32]);
        Some(out)
    }

    pub fn put(id: &str, key: &Key, seconds: u64) -> Result<(), String> {
        let desc = CString::new(id).map_err(|e| e.to_string())?;
        let seconds = libc::c_long::try_from(seconds.min(u32::MAX.into())).unwrap_or(0);
        // SAFETY: NUL-terminated type and description, a payload valid for its length.
        let serial = check(unsafe {
            libc::syscall(
                libc::SYS_add_key,
                c"user".as_ptr(),
                desc.as_ptr(),
                key.expose().as_ptr(),
                key.expose().len(),
                KEY_SPEC_PROCESS_KEYRING,
            )
        })?;
        let linked = keyctl(KEYCTL_SET_TIMEOUT, serial, seconds)
            .and_then(|_| keyctl(KEYCTL_LINK, serial, KEY_SPEC_USER_KEYRING));
        let _ = keyctl(KEYCTL_UNLINK, serial, KEY_SPEC_PROCESS_KEYRING);
        if let Err(e) = linked {
            let _ = keyctl(KEYCTL_INVALIDATE, serial, 0);
            return Err(format!("kernel keyring: {e}"));
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
