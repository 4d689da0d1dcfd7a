//! Cross-process locks. Docker pulls and builds run helpers in parallel, and a `store` is a
//! read-modify-write (write the new entry, then remove what else was stored for that server):
//! two of them interleaved could lose both entries or leave two. [`Serialized`] wraps every
//! backend so that `store` and `erase` run one at a time per user; `get` and `list` never wait.
//!
//! The lock is an advisory `flock` on a file in the user's runtime directory
//! (`$XDG_RUNTIME_DIR/docker-credential-keyring/`, else the cache directory): released by the
//! kernel when a helper dies, so it can never go stale.

use crate::backend::{Backend, Credential, Error, Listed};
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a writer waits for another before giving up with [`Error::Busy`].
pub const WAIT: Duration = Duration::from_secs(10);

/// Take an exclusive lock on `path` (created 0600 if missing), waiting at most `timeout`.
/// `Ok(None)` when the wait timed out. The lock is held until the returned file is dropped.
pub fn exclusive(path: &Path, timeout: Duration) -> io::Result<Option<File>> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}

/// Create `dir` (and parents) with mode 0700 where it does not exist yet.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Where the store lock lives: the runtime directory when there is one, else the cache.
fn store_lock_path() -> Option<PathBuf> {
    let base = directories::BaseDirs::new()?;
    let dir = base
        .runtime_dir()
        .unwrap_or_else(|| base.cache_dir())
        .join(crate::BINARY_NAME);
    Some(dir.join("store.lock"))
}

/// A backend whose `store` and `erase` run one at a time per user.
pub struct Serialized {
    inner: Box<dyn Backend>,
    lock_path: Option<PathBuf>,
}

impl Serialized {
    pub fn new(inner: Box<dyn Backend>) -> Serialized {
        Serialized {
            inner,
            lock_path: store_lock_path(),
        }
    }

    /// The lock, or `None` when no lock file can be had (no home, read-only disk): a helper
    /// that cannot lock still works, as the reference helpers always do.
    fn lock(&self) -> Result<Option<File>, Error> {
        let Some(path) = &self.lock_path else {
            return Ok(None);
        };
        if let Some(dir) = path.parent()
            && private_dir(dir).is_err()
        {
            return Ok(None);
        }
        match exclusive(path, WAIT) {
            Ok(Some(file)) => Ok(Some(file)),
            Ok(None) => Err(Error::Busy {
                path: path.clone(),
                seconds: WAIT.as_secs(),
            }),
            Err(_) => Ok(None),
        }
    }
}

impl Backend for Serialized {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn list(&self) -> Result<Vec<Listed>, Error> {
        self.inner.list()
    }

    fn get(&self, server_url: &str) -> Result<Option<Credential>, Error> {
        self.inner.get(server_url)
    }

    fn get_any(&self, candidates: &[String]) -> Result<Option<Credential>, Error> {
        self.inner.get_any(candidates)
    }

    fn store(&self, credential: &Credential) -> Result<(), Error> {
        let _lock = self.lock()?;
        self.inner.store(credential)
    }

    fn erase(&self, server_url: &str) -> Result<bool, Error> {
        let _lock = self.lock()?;
        self.inner.erase(server_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_locker_waits_then_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let held = exclusive(&path, WAIT).unwrap().expect("first lock");
        assert!(
            exclusive(&path, Duration::from_millis(50))
                .unwrap()
                .is_none()
        );
        drop(held);
        assert!(
            exclusive(&path, Duration::from_millis(50))
                .unwrap()
                .is_some()
        );
    }
}
