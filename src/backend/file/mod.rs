//! `file`: an encrypted credential file, for machines with no keychain at all. One JSON file in
//! the platform data directory (0600 in a 0700 directory); server names and usernames in clear
//! (so `list` and "not stored" need no passphrase), each secret sealed under a key derived from
//! the passphrase, which the kernel's user keyring caches for a while. The choices and their
//! measurements: docs/design.md, "The encrypted file backend".

mod crypto;
mod format;
mod key_cache;
mod passphrase;
mod update;

use super::{Backend, Credential, Listed};
use crate::secret::Secret;
use crypto::{Key, MAX_KDF_ITERATIONS, MAX_KDF_MEMORY_KIB, MAX_KDF_PARALLELISM, aad, open, seal};
use format::{Document, Entry};
use std::cell::{OnceCell, RefCell};
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;
use zeroize::Zeroizing;

use crate::settings::FILE_CACHE_SECONDS_ENV;
use crate::settings::PASSPHRASE_ENV;
/// The default cache lifetime: sudo's 15 minutes.
pub const DEFAULT_CACHE_SECONDS: u64 = 900;

/// The store's file name inside the data directory.
pub const FILE_NAME: &str = "credentials.enc.json";
pub const LOCK_NAME: &str = "credentials.lock";
/// How long a writer waits for another (which holds the lock for one rewrite).
const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// What went wrong with the encrypted file. Messages name the file and the fix, never a secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "wrong passphrase for the credential file {path}: check {PASSPHRASE_ENV}, or type it again"
    )]
    WrongPassphrase { path: PathBuf },
    #[error(
        "the credential file {path} needs a passphrase: set {PASSPHRASE_ENV} or run the command from a terminal"
    )]
    NoPassphrase { path: PathBuf },
    #[error("the passphrase for the credential file must not be empty: choose one and try again")]
    EmptyPassphrase,
    #[error("the two passphrases typed differ: nothing was stored, try again")]
    PassphraseMismatch,
    #[error("cannot read the passphrase from the terminal: {0}")]
    Prompt(#[source] io::Error),
    #[error(
        "the credential file {path} is damaged ({reason}): nothing was changed; restore it from a backup, or move it away to start a new store"
    )]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "the entry for {server} in the credential file {path} is damaged and cannot be decrypted: store it again"
    )]
    CorruptEntry { path: PathBuf, server: String },
    #[error(
        "the credential file {path} asks for a key derivation beyond the limits ({memory_kib} KiB of memory, {iterations} passes, {parallelism} lanes; at most {MAX_KDF_MEMORY_KIB} KiB, {MAX_KDF_ITERATIONS} passes, {MAX_KDF_PARALLELISM} lanes): nothing was derived or changed; restore the file from a backup, or move it away to start a new store"
    )]
    KdfTooCostly {
        path: PathBuf,
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
    },
    #[error(
        "the credential file {path} was written by a newer docker-credential-keyring (format version {version}): upgrade this one"
    )]
    NewerVersion { path: PathBuf, version: u32 },
    #[error("cannot {action} the credential file {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "another docker-credential-keyring has held the lock {path} for over {seconds} s: try again, or remove that process"
    )]
    LockTimeout { path: PathBuf, seconds: u64 },
    #[error(
        "refusing {} for the credential file's lock: {reason}: make the directory yours and private (chmod 700); nothing was changed",
        path.display()
    )]
    UnsafeLock { path: PathBuf, reason: String },
    #[error("no home directory to keep the credential file in: set HOME")]
    NoHome,
    #[error(
        "{FILE_CACHE_SECONDS_ENV} must be a number of seconds (0 turns the cache off), not {value:?}"
    )]
    BadCacheSeconds { value: String },
    #[error("cannot get random bytes from the operating system: {0}")]
    Random(String),
    #[error("the credential file's encryption failed: {0}")]
    Crypto(String),
}

impl crate::hint::Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Error::NoPassphrase { .. } => Some(format!(
                "hint: the passphrase is read from {PASSPHRASE_ENV} or from the terminal (never from stdin); \
                 once typed it is remembered for {FILE_CACHE_SECONDS_ENV} seconds (default {DEFAULT_CACHE_SECONDS})"
            )),
            Error::Corrupt { path, .. } => Some(format!(
                "hint: `mv {} {}.damaged` starts an empty store; the old file keeps whatever can be recovered",
                path.display(),
                path.display()
            )),
            _ => None,
        }
    }
}

pub(super) fn io_error<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// The encrypted-file backend.
pub struct FileStore {
    path: PathBuf,
    lock_path: PathBuf,
    cache_seconds: u64,
    /// The file as last read or written by this instance (reads need no lock).
    loaded: RefCell<Option<Rc<Option<Document>>>>,
    /// A passphrase given by the caller, ahead of the environment and the terminal.
    passphrase: Option<Secret>,
    /// [`PASSPHRASE_ENV`] as the settings found it at start.
    env_passphrase: Option<Secret>,
    /// The key once derived or fetched, with the salt it belongs to.
    key: OnceCell<(String, Key)>,
}

/// The store file's path under the platform data directory.
pub fn default_path() -> Option<PathBuf> {
    crate::settings::file::project_dirs().map(|d| d.data_dir().join(FILE_NAME))
}

/// Whether the store file exists (cheap: one `stat`), for `auto`.
pub fn exists() -> bool {
    default_path().is_some_and(|p| p.is_file())
}

impl FileStore {
    /// The store in the platform data directory.
    pub fn open(settings: &crate::settings::Settings) -> Result<FileStore, Error> {
        let path = default_path().ok_or(Error::NoHome)?;
        FileStore::at(path, settings)
    }

    /// The store in the file at `path`.
    pub fn at(path: PathBuf, settings: &crate::settings::Settings) -> Result<FileStore, Error> {
        let cache_seconds = match &settings.file_cache_seconds {
            None => DEFAULT_CACHE_SECONDS,
            Some(v) => v.trim().parse().map_err(|_| Error::BadCacheSeconds {
                value: v.to_owned(),
            })?,
        };
        let lock_path = path.with_file_name(LOCK_NAME);
        Ok(FileStore {
            path,
            lock_path,
            cache_seconds,
            loaded: RefCell::new(None),
            passphrase: None,
            env_passphrase: settings.passphrase.clone(),
            key: OnceCell::new(),
        })
    }

    /// The path of the store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<Option<Document>, Error> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error("read", &self.path)(e)),
        };
        format::parse(&self.path, &bytes).map(Some)
    }

    /// The store in the file at `path`, opened with `passphrase` rather than the environment
    /// or a prompt.
    pub fn at_with_passphrase(path: PathBuf, passphrase: Secret) -> Result<FileStore, Error> {
        let mut store = FileStore::at(path, &crate::settings::Settings::default())?;
        store.passphrase = Some(passphrase);
        Ok(store)
    }

    /// The file as this instance last read or wrote it (read once, then kept until a write).
    fn loaded(&self) -> Result<Rc<Option<Document>>, Error> {
        if let Some(doc) = self.loaded.borrow().as_ref() {
            return Ok(Rc::clone(doc));
        }
        let doc = Rc::new(self.read()?);
        *self.loaded.borrow_mut() = Some(Rc::clone(&doc));
        Ok(doc)
    }
}

impl Backend for FileStore {
    fn kind(&self) -> crate::backend::Kind {
        crate::backend::Kind::File
    }

    fn list(&self) -> Result<Vec<Listed>, super::Error> {
        Ok(self
            .loaded()?
            .as_ref()
            .as_ref()
            .map(|doc| {
                doc.entries
                    .iter()
                    .map(|(server, e)| Listed {
                        server_url: server.clone(),
                        username: e.username.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    fn get(&self, server_url: &str) -> Result<Option<Credential>, super::Error> {
        let loaded = self.loaded()?;
        let Some(doc) = loaded.as_ref() else {
            return Ok(None);
        };
        let Some(entry) = doc.entries.get(server_url) else {
            return Ok(None);
        };
        let key = self.unlock(doc)?;
        let plain =
            open(&key, &entry.secret, &aad(server_url, &entry.username)).ok_or_else(|| {
                Error::CorruptEntry {
                    path: self.path.clone(),
                    server: server_url.to_owned(),
                }
            })?;
        // `plain` is wiped on drop; a copy that is not UTF-8 comes back inside the error, and is
        // wiped there too.
        let secret = String::from_utf8(plain.to_vec()).map_err(|e| {
            drop(Zeroizing::new(e.into_bytes()));
            Error::CorruptEntry {
                path: self.path.clone(),
                server: server_url.to_owned(),
            }
        })?;
        Ok(Some(Credential {
            server_url: server_url.to_owned(),
            username: entry.username.clone(),
            secret: Secret::new(secret),
        }))
    }

    fn find(&self, query: &str) -> Result<Option<Credential>, super::Error> {
        // Names are in the loaded document: only the entry found is decrypted.
        let names = match self.loaded()?.as_ref() {
            Some(doc) => doc.entries.keys().cloned().collect(),
            None => return Ok(None),
        };
        super::resolve_among(query, names, |name| self.get(name))
    }

    fn store(&self, credential: &Credential) -> Result<(), super::Error> {
        self.modify(
            true,
            |doc, key| {
                let key = key.expect("store is given the key");
                let sealed = seal(
                    key,
                    credential.secret.expose().as_bytes(),
                    &aad(&credential.server_url, &credential.username),
                )?;
                doc.entries.insert(
                    credential.server_url.clone(),
                    Entry {
                        username: credential.username.clone(),
                        secret: sealed,
                    },
                );
                Ok(((), true))
            },
            || (),
        )?;
        Ok(())
    }

    fn erase(&self, server_url: &str) -> Result<bool, super::Error> {
        Ok(self.modify(
            false,
            |doc, _| {
                let removed = doc.entries.remove(server_url).is_some();
                Ok((removed, removed))
            },
            || false,
        )?)
    }
}

impl From<Error> for super::Error {
    fn from(e: Error) -> super::Error {
        super::Error::File(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_instance_sees_its_own_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store").join(FILE_NAME);
        let store = FileStore::at_with_passphrase(path, Secret::new("pass phrase".into())).unwrap();
        let store = FileStore {
            cache_seconds: 0,
            ..store
        };
        assert_eq!(store.list().unwrap(), vec![]);
        let cred = Credential {
            server_url: "registry.example.com".into(),
            username: "alice".into(),
            secret: Secret::new("s3cret".into()),
        };
        store.store(&cred).unwrap();
        assert_eq!(store.get("registry.example.com").unwrap(), Some(cred));
        assert_eq!(store.list().unwrap().len(), 1);
        assert!(store.erase("registry.example.com").unwrap());
        assert_eq!(store.get("registry.example.com").unwrap(), None);
        assert_eq!(store.list().unwrap(), vec![]);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_planted_as_the_lock_is_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("store");
        std::fs::create_dir(&data).unwrap();
        let target = dir.path().join("elsewhere");
        std::os::unix::fs::symlink(&target, data.join(LOCK_NAME)).unwrap();
        let store = FileStore::at_with_passphrase(data.join(FILE_NAME), Secret::new("pp".into()));
        let store = FileStore {
            cache_seconds: 0,
            ..store.unwrap()
        };
        let cred = Credential {
            server_url: "registry.example.com".into(),
            username: "alice".into(),
            secret: Secret::new("s3cret".into()),
        };
        let e = store.store(&cred).unwrap_err().to_string();
        assert!(
            e.contains("credentials.lock") && e.contains("symbolic link"),
            "{e}"
        );
        assert!(!target.exists(), "the symlink was followed");
        assert!(!data.join(FILE_NAME).exists());
    }
}
