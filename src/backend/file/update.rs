//! Writing: read-modify-write under the file's own lock, the file replaced whole. Readers take
//! no lock (they see the old file or the new one); writers derive the key before taking the lock,
//! never while others wait on it.

use super::crypto::Key;
use super::format::{self, Document};
use super::{Error, FileStore, LOCK_NAME, LOCK_TIMEOUT, io_error};
use crate::fs::{CheckError, LockError};
use std::fs::File;
use std::io;

impl FileStore {
    /// Read-modify-write under the lock. `change` gets the current document (created if
    /// `create` and absent) and the key when `needs_key`; returns whether to write.
    pub(super) fn modify<T>(
        &self,
        needs_key: bool,
        mut change: impl FnMut(&mut Document, Option<&Key>) -> Result<(T, bool), Error>,
        absent: impl FnOnce() -> T,
    ) -> Result<T, Error> {
        // The key is derived before the lock is taken (never prompt or run the KDF while other
        // helpers wait); if the file changed identity meanwhile, start again.
        for _ in 0..5 {
            let before = self.read()?;
            let (fresh, key) = match (&before, needs_key) {
                (None, false) => return Ok(absent()),
                (None, true) => {
                    let (doc, key) = self.create()?;
                    (Some(doc), Some(key))
                }
                (Some(doc), true) => (None, Some(self.unlock(doc)?)),
                (Some(_), false) => (None, None),
            };
            let _lock = self.lock()?;
            let mut current = match (self.read()?, before, fresh) {
                (Some(now), Some(was), None) if now.kdf == was.kdf => now,
                (None, None, Some(fresh)) => fresh,
                _ => continue,
            };
            let created = current.entries.is_empty() && !self.path.exists();
            let (result, write) = change(&mut current, key.as_ref())?;
            if write {
                self.write(&current)?;
                self.loaded.borrow_mut().take();
                if created
                    && self.cache_seconds > 0
                    && let Some(key) = &key
                {
                    self.remember(&current.kdf.salt, &self.source(), key);
                }
            }
            return Ok(result);
        }
        Err(Error::Io {
            action: "update",
            path: self.path.clone(),
            source: io::Error::other("it kept being replaced by other processes"),
        })
    }

    /// The exclusive lock on `credentials.lock`, checked like the store lock (a private
    /// directory of ours, no symbolic link), waited for at most [`LOCK_TIMEOUT`].
    fn lock(&self) -> Result<File, Error> {
        let dir = crate::fs::parent_dir(&self.path);
        let file = crate::fs::open_private(&dir, LOCK_NAME).map_err(|e| match e {
            CheckError::Unsafe { path, reason } => Error::UnsafeLock { path, reason },
            CheckError::Io { path, source } if path == self.lock_path => {
                io_error("open the lock of", &self.path)(source)
            }
            CheckError::Io { source, .. } => {
                io_error("create the directory of", &self.path)(source)
            }
        })?;
        match crate::fs::lock_exclusive(&file, LOCK_TIMEOUT) {
            Ok(()) => Ok(file),
            Err(LockError::TimedOut(_)) => Err(Error::LockTimeout {
                path: self.lock_path.clone(),
                seconds: LOCK_TIMEOUT.as_secs(),
            }),
            Err(LockError::Io(e)) => Err(io_error("lock", &self.path)(e)),
        }
    }

    /// Replace the file atomically, 0600.
    fn write(&self, doc: &Document) -> Result<(), Error> {
        crate::fs::replace(&self.path, &format::to_bytes(doc), 0o600, None)
            .map_err(|e| io_error("write", &self.path)(e.into_io()))
    }
}
