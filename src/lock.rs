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
//!   the home directory from the password database, never from `$HOME`.
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
//! had, `store` and `erase` fail with a line saying why instead of running unlocked.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a writer waits for another before giving up with [`Error::Busy`].
pub const WAIT: Duration = Duration::from_secs(10);
/// The variable naming the lock's directory instead of the per-user default.
pub use crate::settings::LOCK_DIR_ENV;
/// The lock file's name in its directory.
pub const LOCK_NAME: &str = "store.lock";

/// Why the store lock cannot be used. One line naming the cause and the fix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "no place for the store lock: the password database has no home directory for uid {uid}: set {LOCK_DIR_ENV} to a directory only you can write; nothing was changed"
    )]
    NoHome { uid: u32 },
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

/// Take an exclusive lock on an open file, waiting at most `timeout`. `Ok(false)` when the
/// wait timed out.
fn wait_for(file: &File, timeout: Duration) -> io::Result<bool> {
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(true),
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(std::fs::TryLockError::WouldBlock) => return Ok(false),
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}

/// The directory of the store lock: `dir` ([`LOCK_DIR_ENV`]) when given, else from the uid and
/// the password database, never from `XDG_*` or `HOME`.
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
    let file = imp::open_in(&dir, &path)?;
    Ok((path, file))
}

/// Take the store lock (in `dir`, else the default place), waiting at most [`WAIT`] for
/// another helper; held until the returned file is dropped.
pub fn acquire(dir: Option<&Path>) -> Result<File, Error> {
    let (path, file) = open_store_lock(dir)?;
    match wait_for(&file, WAIT) {
        Ok(true) => Ok(file),
        Ok(false) => Err(Error::Busy {
            path,
            seconds: WAIT.as_secs(),
        }),
        Err(source) => Err(Error::Io { path, source }),
    }
}

/// Check the lock's directory and file where they exist, creating nothing (for `doctor`).
pub fn check_store_lock(dir: Option<&Path>) -> Result<PathBuf, Error> {
    let dir = store_lock_dir(dir)?;
    let path = dir.join(LOCK_NAME);
    imp::check_existing(&dir, &path)?;
    Ok(path)
}

#[cfg(unix)]
mod imp {
    use super::Error;
    use std::ffi::{CStr, CString, OsStr};
    use std::fs::File;
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    use std::path::{Path, PathBuf};

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
        let home = passwd_home(uid).ok_or(Error::NoHome { uid })?;
        #[cfg(target_os = "macos")]
        return Ok(home.join("Library/Caches").join(crate::BINARY_NAME));
        #[cfg(not(target_os = "macos"))]
        Ok(home.join(".cache").join(crate::BINARY_NAME))
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

    fn unsafe_path(path: &Path, reason: String) -> Error {
        Error::Unsafe {
            path: path.to_owned(),
            reason,
        }
    }

    fn io_error(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
        move |source| Error::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// The directory must be ours and writable by nobody else.
    fn check_dir(dir: &Path, meta: &std::fs::Metadata) -> Result<(), Error> {
        if meta.uid() != euid() {
            return Err(unsafe_path(
                dir,
                format!(
                    "the directory is owned by uid {}, not by you (uid {})",
                    meta.uid(),
                    euid()
                ),
            ));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(unsafe_path(
                dir,
                format!(
                    "the directory is writable by others (mode {:04o})",
                    meta.mode() & 0o7777
                ),
            ));
        }
        Ok(())
    }

    /// The lock file must be a regular file of ours.
    fn check_file(path: &Path, meta: &std::fs::Metadata) -> Result<(), Error> {
        if !meta.file_type().is_file() {
            return Err(unsafe_path(path, "it is not a regular file".to_owned()));
        }
        if meta.uid() != euid() {
            return Err(unsafe_path(
                path,
                format!(
                    "it is owned by uid {}, not by you (uid {})",
                    meta.uid(),
                    euid()
                ),
            ));
        }
        Ok(())
    }

    fn cstring(path: &Path) -> Result<CString, Error> {
        CString::new(path.as_os_str().as_bytes())
            .map_err(|_| unsafe_path(path, "the path contains a NUL character".to_owned()))
    }

    fn symlink_refused(path: &Path, e: io::Error) -> Error {
        if e.raw_os_error() == Some(libc::ELOOP) || e.raw_os_error() == Some(libc::ENOTDIR) {
            unsafe_path(path, "it is a symbolic link or not a directory".to_owned())
        } else {
            io_error(path)(e)
        }
    }

    pub fn open_in(dir: &Path, path: &Path) -> Result<File, Error> {
        // Missing parts are created 0700; existing ones are checked below, not trusted.
        match std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
        {
            Ok(()) => {}
            Err(e) => return Err(io_error(dir)(e)),
        }
        let dir_c = cstring(dir)?;
        // SAFETY: a NUL-terminated path; the descriptor is owned below.
        let dir_fd = unsafe {
            libc::open(
                dir_c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        if dir_fd < 0 {
            return Err(symlink_refused(dir, io::Error::last_os_error()));
        }
        // SAFETY: a fresh descriptor that nothing else owns.
        let dir_file = File::from(unsafe { OwnedFd::from_raw_fd(dir_fd) });
        check_dir(dir, &dir_file.metadata().map_err(io_error(dir))?)?;
        let name = CString::new(super::LOCK_NAME).expect("no NUL");
        // SAFETY: a NUL-terminated name relative to a directory descriptor we hold.
        let fd = unsafe {
            libc::openat(
                dir_file.as_raw_fd(),
                name.as_ptr(),
                libc::O_RDWR
                    | libc::O_CREAT
                    | libc::O_NOFOLLOW
                    | libc::O_CLOEXEC
                    | libc::O_NONBLOCK,
                0o600 as libc::c_uint,
            )
        };
        if fd < 0 {
            let e = io::Error::last_os_error();
            return Err(if e.raw_os_error() == Some(libc::ELOOP) {
                unsafe_path(path, "it is a symbolic link".to_owned())
            } else {
                io_error(path)(e)
            });
        }
        // SAFETY: a fresh descriptor that nothing else owns.
        let file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        check_file(path, &file.metadata().map_err(io_error(path))?)?;
        Ok(file)
    }

    pub fn check_existing(dir: &Path, path: &Path) -> Result<(), Error> {
        match std::fs::symlink_metadata(dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_error(dir)(e)),
            Ok(m) if m.file_type().is_symlink() || !m.is_dir() => {
                return Err(unsafe_path(
                    dir,
                    "it is a symbolic link or not a directory".to_owned(),
                ));
            }
            Ok(m) => check_dir(dir, &m)?,
        }
        match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(path)(e)),
            Ok(m) if m.file_type().is_symlink() => {
                Err(unsafe_path(path, "it is a symbolic link".to_owned()))
            }
            Ok(m) => check_file(path, &m),
        }
    }
}

#[cfg(not(unix))]
mod imp {
    //! Windows: the per-user local cache directory (no runtime directory there, and no
    //! variable that differs between a user's shells); ACLs keep others out of the profile.
    use super::Error;
    use std::fs::{File, OpenOptions};
    use std::path::{Path, PathBuf};

    pub fn default_dir() -> Result<PathBuf, Error> {
        directories::BaseDirs::new()
            .map(|b| b.cache_dir().join(crate::BINARY_NAME))
            .ok_or(Error::NoHome { uid: 0 })
    }

    pub fn open_in(dir: &Path, path: &Path) -> Result<File, Error> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_owned(),
            source,
        })?;
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|source| Error::Io {
                path: path.to_owned(),
                source,
            })
    }

    pub fn check_existing(_dir: &Path, _path: &Path) -> Result<(), Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_locker_waits_then_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_NAME);
        let held = imp::open_in(dir.path(), &path).unwrap();
        assert!(wait_for(&held, WAIT).unwrap());
        let other = imp::open_in(dir.path(), &path).unwrap();
        assert!(!wait_for(&other, Duration::from_millis(50)).unwrap());
        drop(held);
        assert!(wait_for(&other, Duration::from_millis(50)).unwrap());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_planted_as_the_lock_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "").unwrap();
        let path = dir.path().join(LOCK_NAME);
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let e = imp::open_in(dir.path(), &path).unwrap_err();
        assert!(e.to_string().contains("it is a symbolic link"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_planted_as_the_lock_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::create_dir(&target).unwrap();
        let lock_dir = dir.path().join("locks");
        std::os::unix::fs::symlink(&target, &lock_dir).unwrap();
        let e = imp::open_in(&lock_dir, &lock_dir.join(LOCK_NAME)).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(!target.join(LOCK_NAME).exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_directory_writable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let path = dir.path().join(LOCK_NAME);
        let e = imp::open_in(dir.path(), &path).unwrap_err();
        assert!(
            e.to_string().contains("writable by others (mode 0777)"),
            "{e}"
        );
        assert!(!path.exists());
    }
}
