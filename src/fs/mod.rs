//! File-system plumbing shared by the store lock, the `file` backend and Docker's config file:
//! an exclusive lock with a deadline, private directories and a lock file that cannot be
//! planted ([`open_private`]), and an atomic replace that keeps a file's mode and owner
//! ([`replace`]).
//!
//! Crates: std's `File::try_lock` (flock on Unix, LockFileEx on Windows) is the lock; fs4 and
//! fd-lock wrap the same calls and neither has a deadline either, so they would add nothing.
//! tempfile makes the temporary file of [`replace`] (random name, `O_EXCL`, removed on every
//! error path) and renames it over the target.

mod private;
mod replace;

pub use private::{CheckError, append_private, check_private, create_private_dir, open_private};
pub use replace::{Owner, ReplaceError, mode, replace};

use std::fs::{File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often a waiter tries the lock again. A holder keeps it for one read-modify-write
/// (milliseconds) and a try is one system call, so one short interval for every lock hands it
/// over quickly at no real cost.
const POLL: Duration = Duration::from_millis(2);

/// Why a lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process still held it when the deadline passed.
    #[error("still held by another process after {} s", .0.as_secs())]
    TimedOut(Duration),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Take an exclusive advisory lock on `file`, waiting at most `deadline` for another holder.
/// The kernel releases it when the file is closed or its process dies, so it never goes stale.
pub fn lock_exclusive(file: &File, deadline: Duration) -> Result<(), LockError> {
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) if start.elapsed() < deadline => std::thread::sleep(POLL),
            Err(TryLockError::WouldBlock) => return Err(LockError::TimedOut(deadline)),
            Err(TryLockError::Error(e)) => return Err(LockError::Io(e)),
        }
    }
}

/// Whether `path` is a file that can be run (Unix: any execute bit; elsewhere, a file): how a
/// program is found on PATH.
#[cfg(unix)]
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether `path` is a file that can be run.
#[cfg(not(unix))]
pub fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// The directory holding `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_locker_waits_then_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let held = open_private(dir.path(), "x.lock").unwrap();
        lock_exclusive(&held, Duration::from_secs(10)).unwrap();
        let other = open_private(dir.path(), "x.lock").unwrap();
        let e = lock_exclusive(&other, Duration::from_millis(50)).unwrap_err();
        assert!(matches!(e, LockError::TimedOut(_)), "{e}");
        drop(held);
        lock_exclusive(&other, Duration::from_millis(50)).unwrap();
    }

    #[test]
    fn parent_of_a_bare_name_is_the_current_directory() {
        assert_eq!(parent_dir(Path::new("config.json")), Path::new("."));
        assert_eq!(parent_dir(Path::new("/a/b")), Path::new("/a"));
    }
}
