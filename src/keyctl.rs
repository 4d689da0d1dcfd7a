//! The kernel keyring's system calls (`keyctl(2)`, `add_key(2)`; linux/keyctl.h numbers, a
//! stable kernel ABI), for the `keyutils` backend and the `file` backend's key cache. Errors are
//! the raw errno: each caller names them in its own terms.

use std::ffi::CStr;

pub type Serial = i32;
pub const KEY_SPEC_PROCESS_KEYRING: Serial = -2;
pub const KEY_SPEC_USER_KEYRING: Serial = -4;
const KEYCTL_GET_KEYRING_ID: libc::c_long = 0;
const KEYCTL_DESCRIBE: libc::c_long = 6;
const KEYCTL_LINK: libc::c_long = 8;
const KEYCTL_UNLINK: libc::c_long = 9;
const KEYCTL_SEARCH: libc::c_long = 10;
const KEYCTL_READ: libc::c_long = 11;
const KEYCTL_SET_TIMEOUT: libc::c_long = 15;
const KEYCTL_INVALIDATE: libc::c_long = 21;
const KEYCTL_GET_PERSISTENT: libc::c_long = 22;

fn result(ret: libc::c_long) -> Result<libc::c_long, i32> {
    if ret < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(ret)
    }
}

/// `KEYCTL_GET_KEYRING_ID` without creating anything: is keyctl callable at all?
pub fn get_keyring_id(id: Serial) -> Result<Serial, i32> {
    // SAFETY: integer arguments only.
    let ret = unsafe { libc::syscall(libc::SYS_keyctl, KEYCTL_GET_KEYRING_ID, id, 0) };
    result(ret).map(|r| r as Serial)
}

/// `KEYCTL_GET_PERSISTENT` for our own uid, linked into `dest`.
pub fn get_persistent(dest: Serial) -> Result<Serial, i32> {
    // SAFETY: integer arguments only; uid -1 means "mine".
    let ret = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_GET_PERSISTENT,
            -1 as libc::c_int,
            dest,
        )
    };
    result(ret).map(|r| r as Serial)
}

/// `KEYCTL_SEARCH` under `ring` (recursively) for a key of `ktype` named `desc`.
pub fn search(ring: Serial, ktype: &CStr, desc: &CStr) -> Result<Serial, i32> {
    // SAFETY: both strings are NUL-terminated and outlive the call; dest 0 = link nowhere.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_SEARCH,
            ring,
            ktype.as_ptr(),
            desc.as_ptr(),
            0 as Serial,
        )
    };
    result(ret).map(|r| r as Serial)
}

/// `add_key(2)`: create (or, for `user` keys, update in place) a key in `ring`.
pub fn add_key(
    ktype: &CStr,
    desc: &CStr,
    payload: Option<&[u8]>,
    ring: Serial,
) -> Result<Serial, i32> {
    let (ptr, len) = match payload {
        Some(p) => (p.as_ptr(), p.len()),
        None => (std::ptr::null(), 0),
    };
    // SAFETY: strings NUL-terminated, payload pointer valid for `len` bytes (or NULL, 0).
    let ret = unsafe {
        libc::syscall(
            libc::SYS_add_key,
            ktype.as_ptr(),
            desc.as_ptr(),
            ptr,
            len,
            ring,
        )
    };
    result(ret).map(|r| r as Serial)
}

/// `KEYCTL_READ` into `buf`; returns the full size, which may exceed `buf` (then nothing
/// is guaranteed about `buf`'s contents).
pub fn read_into(id: Serial, buf: &mut [u8]) -> Result<usize, i32> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_READ,
            id,
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    result(ret).map(|r| r as usize)
}

/// The whole payload (for a keyring: its links) of `id`, into `buf`, grown as needed.
pub fn read(id: Serial, buf: &mut Vec<u8>) -> Result<(), i32> {
    loop {
        let cap = buf.capacity().max(64);
        buf.clear();
        buf.resize(cap, 0);
        let len = read_into(id, buf)?;
        if len <= cap {
            buf.truncate(len);
            return Ok(());
        }
        // Wipe before growing: a payload may be a secret.
        zeroize::Zeroize::zeroize(buf);
        *buf = Vec::with_capacity(len);
    }
}

/// `KEYCTL_DESCRIBE`: `type;uid;gid;perm;description`.
pub fn describe(id: Serial) -> Result<Vec<u8>, i32> {
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_keyctl,
                KEYCTL_DESCRIBE,
                id,
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        let len = result(ret)? as usize;
        if len <= buf.len() {
            buf.truncate(len.saturating_sub(1)); // the trailing NUL
            return Ok(buf);
        }
        buf = vec![0u8; len];
    }
}

/// `KEYCTL_INVALIDATE`: destroy `id` now (its payload is freed at once).
pub fn invalidate(id: Serial) -> Result<(), i32> {
    // SAFETY: integer arguments only.
    result(unsafe { libc::syscall(libc::SYS_keyctl, KEYCTL_INVALIDATE, id) }).map(|_| ())
}

/// `KEYCTL_UNLINK` `id` from `ring`.
pub fn unlink(id: Serial, ring: Serial) -> Result<(), i32> {
    // SAFETY: integer arguments only.
    result(unsafe { libc::syscall(libc::SYS_keyctl, KEYCTL_UNLINK, id, ring) }).map(|_| ())
}

/// `KEYCTL_LINK` `id` into `ring`.
pub fn link(id: Serial, ring: Serial) -> Result<(), i32> {
    // SAFETY: integer arguments only.
    result(unsafe { libc::syscall(libc::SYS_keyctl, KEYCTL_LINK, id, ring) }).map(|_| ())
}

/// `KEYCTL_SET_TIMEOUT`: the kernel destroys `id` after `seconds` (0: never).
pub fn set_timeout(id: Serial, seconds: u32) -> Result<(), i32> {
    // SAFETY: integer arguments only.
    result(unsafe { libc::syscall(libc::SYS_keyctl, KEYCTL_SET_TIMEOUT, id, seconds) }).map(|_| ())
}
