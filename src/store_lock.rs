//! Cross-process locks. Docker pulls and builds run helpers in parallel, and a `store` is a
//! read-modify-write (write the new entry, then remove what else was stored for that server;
//! for keyutils the first one also creates the keyring, and a second creation would displace
//! the first keyring with its keys): two of them interleaved could lose both entries or leave
//! two. [`acquire`] serializes them per user (the backend layer takes it around every `store`
//! and `erase`); `get` and `list` never wait.
//!
//! # Where the lock lives
//! An advisory `flock` on `store.lock` (released by the kernel when a helper dies, so it never
//! goes stale) in one directory per user, the same for every process of that user whatever
//! its environment: a desktop shell has `XDG_RUNTIME_DIR` and `XDG_CACHE_HOME`, cron, `su`
//! and services often do not, and two helpers on two different locks are not serialized.
//! - `/run/user/<uid>/docker-credential-keyring/` when `/run/user/<uid>` exists, is ours and
//!   private (systemd keeps it while the user has a session or lingers; it is what
//!   `XDG_RUNTIME_DIR` names when set, but is found without it);
//! - else `<home>/.cache/docker-credential-keyring/` (macOS: `<home>/Library/Caches/…`) with
//!   the home directory from the password database, never from `$HOME`;
//! - for a uid the password database does not know (a container run with an arbitrary uid, as
//!   OpenShift does), `$HOME/.cache/docker-credential-keyring/` when `$HOME` is an absolute path
//!   to a real directory that is ours and not writable by group or others (such a process has
//!   no other per-user place, and a home that others cannot write cannot be swapped under it).
//!
//! (Only at the user's very first login or last logout, while `/run/user/<uid>` appears or
//! goes, can two helpers pick different places.) `DOCKER_CREDENTIAL_KEYRING_LOCK_DIR` names
//! another directory, for users with neither; every process must then see the same value (the
//! callers pass it in from [`crate::settings::Settings::lock_dir`]).
//!
//! # Cannot be planted
//! The directory is used only when it is a real directory (not a symbolic link), owned by us
//! and not writable by group or others; the lock file is opened relative to it with
//! `O_NOFOLLOW | O_CLOEXEC` and must be a regular file owned by us. When the lock cannot be
//! had, `store` and `erase` fail with a line saying why instead of running unlocked (the checks
//! are [`crate::fs::open_private`]'s).

use crate::fs::{CheckError, LockError};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a writer waits for another before giving up with [`Error::Busy`].
pub const WAIT: Duration = Duration::from_secs(10);
use crate::settings::LOCK_DIR_ENV;
/// The lock file's name in its directory.
pub const LOCK_NAME: &str = "store.lock";

/// Why the store lock cannot be used. One line naming the cause and the fix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "no place for the store lock: the password database has no home directory for uid {uid}, and $HOME {home}: make $HOME a directory of yours that only you can write, or set {LOCK_DIR_ENV} to such a directory; nothing was changed"
    )]
    NoHome {
        uid: u32,
        /// Why `$HOME` cannot stand in.
        home: String,
    },
    #[error(
        "refusing the store lock {}: {reason}: make the directory yours and private (chmod 700), or set {LOCK_DIR_ENV} to such a directory; nothing was changed",
        path.display()
    )]
    Unsafe { path: PathBuf, reason: String },
    #[error(
        "cannot take the store lock {}: {source}: fix that path, or set {LOCK_DIR_ENV} to a directory only you can write; nothing was changed",
        path.display()
    )]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Another helper held the store lock for too long.
    #[error(
        "another docker-credential-keyring kept {} locked for {seconds} s: try again when it has finished",
        path.display()
    )]
    Busy { path: PathBuf, seconds: u64 },
}

impl From<CheckError> for Error {
    fn from(e: CheckError) -> Error {
        match e {
            CheckError::Unsafe { path, reason } => Error::Unsafe { path, reason },
            CheckError::Io { path, source } => Error::Io { path, source },
        }
    }
}

/// The directory of the store lock: `dir` ([`LOCK_DIR_ENV`]) when given, else from the uid and
/// the password database, never from `XDG_*`; from `HOME` only for a uid the database lacks.
pub fn store_lock_dir(dir: Option<&Path>) -> Result<PathBuf, Error> {
    match dir {
        Some(dir) => Ok(dir.to_owned()),
        None => imp::default_dir(),
    }
}

/// The store lock's path (see the module docs).
pub fn store_lock_path(dir: Option<&Path>) -> Result<PathBuf, Error> {
    Ok(store_lock_dir(dir)?.join(LOCK_NAME))
}

/// Open (creating it and its directory if needed) the store lock file, checked as the module
/// docs say, without locking it.
pub fn open_store_lock(dir: Option<&Path>) -> Result<(PathBuf, File), Error> {
    let dir = store_lock_dir(dir)?;
    let path = dir.join(LOCK_NAME);
    let file = crate::fs::open_private(&dir, LOCK_NAME)?;
    Ok((path, file))
}

/// Take the store lock (in `dir`, else the default place), waiting at most [`WAIT`] for
/// another helper; held until the returned file is dropped.
pub fn acquire(dir: Option<&Path>) -> Result<File, Error> {
    let (path, file) = open_store_lock(dir)?;
    match crate::fs::lock_exclusive(&file, WAIT) {
        Ok(()) => Ok(file),
        Err(LockError::TimedOut(_)) => Err(Error::Busy {
            path,
            seconds: WAIT.as_secs(),
        }),
        Err(LockError::Io(source)) => Err(Error::Io { path, source }),
    }
}

/// Check the lock's directory and file where they exist, creating nothing (for `doctor`).
pub fn check_store_lock(dir: Option<&Path>) -> Result<PathBuf, Error> {
    let dir = store_lock_dir(dir)?;
    let path = dir.join(LOCK_NAME);
    crate::fs::check_private(&dir, LOCK_NAME)?;
    Ok(path)
}

#[cfg(unix)]
mod imp {
    use super::Error;
    use std::ffi::{CStr, OsStr};
    use std::os::unix::ffi::OsStrExt;
    #[cfg(target_os = "linux")]
    use std::os::unix::fs::MetadataExt;
    use std::path::PathBuf;

    fn euid() -> u32 {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() }
    }

    pub fn default_dir() -> Result<PathBuf, Error> {
        let uid = euid();
        #[cfg(target_os = "linux")]
        {
            let run = PathBuf::from(format!("/run/user/{uid}"));
            if std::fs::symlink_metadata(&run)
                .is_ok_and(|m| m.is_dir() && m.uid() == uid && m.mode() & 0o077 == 0)
            {
                return Ok(run.join(crate::BINARY_NAME));
            }
        }
        let home = match passwd_home(uid) {
            Some(home) => home,
            None => env_home(uid).map_err(|home| Error::NoHome { uid, home })?,
        };
        #[cfg(target_os = "macos")]
        return Ok(home.join("Library/Caches").join(crate::BINARY_NAME));
        #[cfg(not(target_os = "macos"))]
        Ok(home.join(".cache").join(crate::BINARY_NAME))
    }

    /// `$HOME` for a uid the password database lacks, when it is an absolute path to a real
    /// directory owned by `uid` and not writable by group or others; else why not.
    fn env_home(uid: u32) -> Result<PathBuf, String> {
        let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) else {
            return Err("is not set".to_owned());
        };
        let home = PathBuf::from(home);
        let shown = crate::untrusted::line(&home.to_string_lossy(), 200);
        if !home.is_absolute() {
            return Err(format!("({shown}) is not an absolute path"));
        }
        let meta = match std::fs::symlink_metadata(&home) {
            Ok(m) => m,
            Err(e) => return Err(format!("({shown}) cannot be used: {e}")),
        };
        if meta.file_type().is_symlink() || !meta.is_dir() {
            return Err(format!("({shown}) is a symbolic link or not a directory"));
        }
        if meta.uid() != uid {
            return Err(format!(
                "({shown}) is owned by uid {}, not by you (uid {uid})",
                meta.uid()
            ));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(format!(
                "({shown}) is writable by others (mode {:04o})",
                meta.mode() & 0o7777
            ));
        }
        Ok(home)
    }

    /// The home directory of `uid` in the password database (getpwuid_r: no global state).
    fn passwd_home(uid: u32) -> Option<PathBuf> {
        let mut buf = vec![0u8; 1024];
        loop {
            // SAFETY: an all-zero passwd (integers and null pointers) is a valid value.
            let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
            let mut found: *mut libc::passwd = std::ptr::null_mut();
            // SAFETY: every pointer is valid for the call; `buf` outlives our use of `pwd`.
            let rc = unsafe {
                libc::getpwuid_r(
                    uid,
                    &mut pwd,
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    &mut found,
                )
            };
            if rc == libc::ERANGE && buf.len() < 1 << 20 {
                buf.resize(buf.len() * 2, 0);
                continue;
            }
            if rc != 0 || found.is_null() || pwd.pw_dir.is_null() {
                return None;
            }
            // SAFETY: pw_dir points to a NUL-terminated string inside `buf`.
            let dir = unsafe { CStr::from_ptr(pwd.pw_dir) };
            let dir = PathBuf::from(OsStr::from_bytes(dir.to_bytes()));
            return dir.is_absolute().then_some(dir);
        }
    }
}

#[cfg(not(unix))]
mod imp {
    //! Windows: the per-user local cache directory (no runtime directory there, and no
    //! variable that differs between a user's shells); ACLs keep others out of the profile.
    use super::Error;
    use std::path::PathBuf;

    pub fn default_dir() -> Result<PathBuf, Error> {
        directories::BaseDirs::new()
            .map(|b| b.cache_dir().join(crate::BINARY_NAME))
            .ok_or_else(|| Error::NoHome {
                uid: 0,
                home: "cannot be found".to_owned(),
            })
    }
}

// Its one test sets Unix mode bits.
#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_toolkit_refusals_keep_the_store_lock_messages() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = Error::from(crate::fs::open_private(dir.path(), LOCK_NAME).unwrap_err());
        let line = e.to_string();
        assert!(line.starts_with("refusing the store lock "), "{line}");
        assert!(line.contains("writable by others (mode 0777)"), "{line}");
        assert!(line.contains(LOCK_DIR_ENV), "{line}");
    }
}
