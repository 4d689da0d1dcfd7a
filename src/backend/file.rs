//! `file`: an encrypted credential file, for machines with no keychain at all.
//!
//! # Where and how
//! One JSON file, `credentials.enc.json` in the platform data directory
//! (`~/.local/share/docker-credential-keyring/` on Linux, `$XDG_DATA_HOME` respected), mode
//! 0600 in a 0700 directory. Each secret is sealed on its own with XChaCha20-Poly1305 (random
//! 192-bit nonce) under a 256-bit key derived from the passphrase with Argon2id (64 MiB, 3 passes,
//! 1 lane; the parameters and the 16-byte salt are written in the file, so they can be raised
//! later without breaking old files; a file asking for more than 1 GiB, 16 passes or 16 lanes
//! is refused before anything is derived). The server string and username are bound to their secret as
//! associated data: moving or relabelling a sealed secret in the file makes it fail to open. A
//! `check` value (a fixed text sealed under the key) tells a wrong passphrase apart from a
//! damaged entry, and is verified before anything is written, so a wrong passphrase can never
//! add entries under a second key.
//!
//! # The passphrase
//! From `DOCKER_CREDENTIAL_KEYRING_PASSPHRASE`, else a prompt on `/dev/tty` (never stdin: stdin
//! carries the protocol). The binary reads the variable once at start and removes it from its
//! environment before anything runs, so no child (pass, gpg, kubeconfig exec plugins, other
//! helpers) inherits it ([`crate::settings::Settings::take_from_env`]). Without either (no terminal, as under CI), the action fails with a
//! line saying how to give one. The first `store` creates the file; at a terminal it asks twice.
//! The passphrase is only asked for when a secret has to be sealed or opened: a `get` for a
//! server that is not stored (docker asks for Docker Hub on every public pull) answers "not
//! found" at once, and `erase` and `list` never ask.
//!
//! # Why Argon2id + XChaCha20-Poly1305 and not `age`
//! Measured on these 2-core machines (release builds): age's passphrase recipient is scrypt at
//! log2(N)=18, 735 ms per derivation (age calibrates to about a second); Argon2id at 64 MiB × 3
//! passes takes 142 ms (19 MiB × 2, OWASP's floor: 27 ms). A docker pull runs `get` once per
//! image, so a KDF on every call is not acceptable either way, and the key must be cached. age
//! offers nothing cacheable short of the plaintext: its file key is internal to the crate. With
//! our own KDF the cacheable thing is the 32-byte derived key, and per-entry sealing lets `list`
//! and the "not stored" path work without it. Both crates are RustCrypto's, audited (NCC, 2020,
//! for chacha20poly1305) and widely used.
//!
//! # The key cache (`DOCKER_CREDENTIAL_KEYRING_FILE_CACHE_SECONDS`, default 900)
//! Like sudo's timestamp: after the passphrase has been typed (or read from the environment)
//! and checked, the derived key stays in the Linux kernel's user keyring (`@u`, see
//! [`key_cache`]) for 15 minutes from that moment, not extended by use, then the kernel
//! deletes it. It never touches the disk and dies at reboot or logout of the user's last
//! session. `0` disables the cache (every call pays the KDF, and prompts at a terminal);
//! `keyctl purge -p user docker-credential-keyring:file:` forgets it at once. The cache entry's
//! name (which `/proc/keys` shows) holds the file's salt and nothing derived from the passphrase.
//! A key cached from the terminal is never used for a call that brings its own passphrase in the
//! environment: that call's entry also holds a check of its passphrase, keyed with the derived
//! key, so a wrong passphrase misses the cache, is derived, and is refused. Where the
//! kernel keyring is unavailable (macOS, Windows, containers whose seccomp profile blocks
//! keyctl) there is no cache and a warning says so once per call.
//!
//! # Why `list` does not need the passphrase
//! Server addresses and usernames are kept in clear, like `pass` keeps them in its directory
//! names and docker itself writes every server name into `~/.docker/config.json`. In exchange,
//! `list` (which clients run before fetching everything, and docker runs on `docker build`) is
//! one file read, never asks for the passphrase, never derives the key, never stalls a script.
//! What is secret — passwords and tokens — is sealed.
//!
//! # Concurrency and crashes
//! docker runs helpers in parallel. Readers need no lock: the file is only ever replaced whole
//! (written to a temporary file in the same directory, fsynced, renamed over, directory
//! fsynced), so a reader sees the old or the new file, never half of one. Writers take an
//! exclusive lock on `credentials.lock` around read-modify-write, and derive keys (the slow
//! part) before taking it, never while holding it; waiting for the lock gives up after 10 s
//! with an error rather than hanging. A file that does not parse, is truncated, or has an
//! unknown version is an error naming the file, and nothing is written over it.

mod key_cache;

use super::{Backend, Credential, Listed};
use crate::secret::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use std::cell::{OnceCell, RefCell};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// How long the derived key stays cached, in seconds (`0`: no cache).
pub use crate::settings::FILE_CACHE_SECONDS_ENV as CACHE_SECONDS_ENV;
/// The variable holding the passphrase, for scripts and CI.
pub use crate::settings::PASSPHRASE_ENV;
/// The default cache lifetime: sudo's 15 minutes.
pub const DEFAULT_CACHE_SECONDS: u64 = 900;

/// The store's file name inside the data directory.
pub const FILE_NAME: &str = "credentials.enc.json";
const LOCK_NAME: &str = "credentials.lock";
const FORMAT: &str = "docker-credential-keyring encrypted credentials";
const VERSION: u32 = 1;
const CHECK_TEXT: &[u8] = b"docker-credential-keyring key check v1";
const LOCK_TIMEOUT: Duration = Duration::from_secs(10);
/// Argon2id parameters for new files (see the module docs for the measurements).
const KDF_MEMORY_KIB: u32 = 64 * 1024;
const KDF_ITERATIONS: u32 = 3;
const KDF_PARALLELISM: u32 = 1;
/// The most a file may ask of the KDF: a file is input, and Argon2 parameters are a request for
/// memory and time (an edited one could ask for 4 TiB or a million passes). Room above today's
/// values for stronger ones later: 1 GiB and 16 passes take about 12 s here. (Lanes are
/// computed one after another: they add no work, but are bounded too.)
const MAX_KDF_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_KDF_ITERATIONS: u32 = 16;
const MAX_KDF_PARALLELISM: u32 = 16;

/// The derived key.
type Key = Secret<[u8; 32]>;

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
    #[error("no home directory to keep the credential file in: set HOME")]
    NoHome,
    #[error(
        "{CACHE_SECONDS_ENV} must be a number of seconds (0 turns the cache off), not {value:?}"
    )]
    BadCacheSeconds { value: String },
    #[error("cannot get random bytes from the operating system: {0}")]
    Random(String),
    #[error("the credential file's encryption failed: {0}")]
    Crypto(String),
}

impl crate::Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Error::NoPassphrase { .. } => Some(format!(
                "hint: the passphrase is read from {PASSPHRASE_ENV} or from the terminal (never from stdin); \
                 once typed it is remembered for {CACHE_SECONDS_ENV} seconds (default {DEFAULT_CACHE_SECONDS})"
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

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// The file's contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    format: String,
    version: u32,
    kdf: Kdf,
    /// `CHECK_TEXT` sealed under the key: base64(nonce ‖ ciphertext).
    check: String,
    entries: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Kdf {
    algorithm: String,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    /// base64
    salt: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    username: String,
    /// The secret sealed under the key: base64(nonce ‖ ciphertext).
    secret: String,
}

/// Where the passphrase comes from.
enum Source {
    Env(Secret),
    Terminal,
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
    crate::config::project_dirs().map(|d| d.data_dir().join(FILE_NAME))
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
        let corrupt = |reason: String| Error::Corrupt {
            path: self.path.clone(),
            reason,
        };
        // Look at the version before the strict parse, so a newer file says "upgrade".
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes)
            && let Some(version) = v.get("version").and_then(|v| v.as_u64())
            && version > u64::from(VERSION)
        {
            return Err(Error::NewerVersion {
                path: self.path.clone(),
                version: version.try_into().unwrap_or(u32::MAX),
            });
        }
        let doc: Document = serde_json::from_slice(&bytes).map_err(|e| {
            corrupt(if e.is_eof() {
                "it is truncated".to_owned()
            } else {
                format!("not the expected JSON: {e}")
            })
        })?;
        if doc.format != FORMAT || doc.version != VERSION {
            return Err(corrupt("not a docker-credential-keyring store".to_owned()));
        }
        let kdf = &doc.kdf;
        if kdf.memory_kib > MAX_KDF_MEMORY_KIB
            || kdf.iterations > MAX_KDF_ITERATIONS
            || kdf.parallelism > MAX_KDF_PARALLELISM
        {
            return Err(Error::KdfTooCostly {
                path: self.path.clone(),
                memory_kib: kdf.memory_kib,
                iterations: kdf.iterations,
                parallelism: kdf.parallelism,
            });
        }
        if doc.kdf.algorithm != "argon2id" || kdf_params(&doc.kdf).is_err() {
            return Err(corrupt("unknown key-derivation parameters".to_owned()));
        }
        if decode(&doc.kdf.salt).is_none_or(|s| s.len() < 16)
            || decode(&doc.check).is_none_or(|c| c.len() < 24 + 16)
        {
            return Err(corrupt("bad salt or key check".to_owned()));
        }
        for (server, entry) in &doc.entries {
            if decode(&entry.secret).is_none_or(|c| c.len() < 24 + 16) {
                return Err(corrupt(format!(
                    "the entry for {server} is not sealed data"
                )));
            }
        }
        Ok(Some(doc))
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

    fn source(&self) -> Source {
        if let Some(p) = &self.passphrase {
            return Source::Env(p.clone());
        }
        match &self.env_passphrase {
            Some(p) if !p.expose().is_empty() => Source::Env(p.clone()),
            _ => Source::Terminal,
        }
    }

    /// The key that opens `doc`: from this process, the cache, or the passphrase (checked).
    fn unlock(&self, doc: &Document) -> Result<Key, Error> {
        if let Some((salt, key)) = self.key.get()
            && *salt == doc.kdf.salt
        {
            return Ok(key.clone());
        }
        let source = self.source();
        let cache_id = cache_id(&doc.kdf.salt, &source);
        let cache = (self.cache_seconds > 0).then_some(());
        if cache.is_some()
            && let Some(payload) = key_cache::get(&cache_id)
            && let Some(key) = cached_key(payload.expose(), &source)
            && check_key(doc, &key)
        {
            let _ = self.key.set((doc.kdf.salt.clone(), key.clone()));
            return Ok(key);
        }
        let passphrase = match &source {
            Source::Env(p) => p.clone(),
            Source::Terminal => self.prompt(&format!(
                "Passphrase for the credential file {}: ",
                self.path.display()
            ))?,
        };
        let key = derive(&passphrase, &doc.kdf)?;
        if !check_key(doc, &key) {
            return Err(Error::WrongPassphrase {
                path: self.path.clone(),
            });
        }
        if cache.is_some() {
            self.remember(&doc.kdf.salt, &source, &key);
        }
        let _ = self.key.set((doc.kdf.salt.clone(), key.clone()));
        Ok(key)
    }

    fn remember(&self, salt: &str, source: &Source, key: &Key) {
        let payload = cache_payload(key, source);
        if let Err(why) = key_cache::put(
            &cache_id(salt, source),
            payload.expose(),
            self.cache_seconds,
        ) {
            let _ = writeln!(
                io::stderr(),
                "docker-credential-keyring: warning: the file store's key cannot be cached ({why}): \
                 every call will ask for the passphrase or derive the key again"
            );
        }
    }

    /// A new, empty store: a fresh salt, the passphrase (asked twice at a terminal), the key.
    fn create(&self) -> Result<(Document, Key), Error> {
        let passphrase = match self.source() {
            Source::Env(p) => p,
            Source::Terminal => {
                let first = self.prompt(&format!(
                    "New passphrase for the credential file {}: ",
                    self.path.display()
                ))?;
                let again = self.prompt("Repeat the passphrase: ")?;
                if first != again {
                    return Err(Error::PassphraseMismatch);
                }
                first
            }
        };
        let mut salt = [0u8; 16];
        random(&mut salt)?;
        let kdf = Kdf {
            algorithm: "argon2id".to_owned(),
            memory_kib: KDF_MEMORY_KIB,
            iterations: KDF_ITERATIONS,
            parallelism: KDF_PARALLELISM,
            salt: BASE64.encode(salt),
        };
        let key = derive(&passphrase, &kdf)?;
        let check = seal(&key, CHECK_TEXT, b"check")?;
        let doc = Document {
            format: FORMAT.to_owned(),
            version: VERSION,
            kdf,
            check,
            entries: BTreeMap::new(),
        };
        // Cached only once the file is written with this salt (see `modify`): a helper that
        // loses the race to create the file must not leave a key for a salt nobody uses.
        Ok((doc, key))
    }

    fn prompt(&self, prompt: &str) -> Result<Secret, Error> {
        let answer = match rpassword::prompt_password(prompt) {
            Ok(a) => Secret::new(a),
            // ENXIO (6 on Linux and macOS): this process has no controlling terminal.
            Err(e) if e.raw_os_error() == Some(6) || e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::NoPassphrase {
                    path: self.path.clone(),
                });
            }
            Err(e) => return Err(Error::Prompt(e)),
        };
        if answer.expose().is_empty() {
            return Err(Error::EmptyPassphrase);
        }
        Ok(answer)
    }

    /// Read-modify-write under the lock. `change` gets the current document (created if
    /// `create` and absent) and the key when `needs_key`; returns whether to write.
    fn modify<T>(
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
            self.ensure_dir()?;
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

    fn ensure_dir(&self) -> Result<(), Error> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        if dir.is_dir() {
            return Ok(());
        }
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent).map_err(io_error("create the directory of", dir))?;
        }
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(io_error("create the directory of", &self.path)(e)),
        }
    }

    /// The exclusive lock, waited for at most [`LOCK_TIMEOUT`].
    fn lock(&self) -> Result<File, Error> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&self.lock_path)
            .map_err(io_error("open the lock of", &self.path))?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < LOCK_TIMEOUT => {
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::LockTimeout {
                        path: self.lock_path.clone(),
                        seconds: LOCK_TIMEOUT.as_secs(),
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(io_error("lock", &self.path)(e));
                }
            }
        }
    }

    /// Replace the file atomically: temp file in the same directory, fsync, rename, fsync dir.
    fn write(&self, doc: &Document) -> Result<(), Error> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let mut suffix = [0u8; 6];
        random(&mut suffix)?;
        let tmp = dir.join(format!(
            ".{FILE_NAME}.{}.{}.tmp",
            std::process::id(),
            suffix
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ));
        let mut json = serde_json::to_vec_pretty(doc).expect("the document serializes");
        json.push(b'\n');
        let result = (|| {
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&tmp)?;
            file.write_all(&json)?;
            file.sync_all()?;
            drop(file);
            std::fs::rename(&tmp, &self.path)?;
            #[cfg(unix)]
            File::open(dir)?.sync_all()?;
            Ok(())
        })();
        result.map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io_error("write", &self.path)(e)
        })
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

    fn get_any(&self, candidates: &[String]) -> Result<Option<Credential>, super::Error> {
        // Names are in the loaded document: only the entry found is decrypted.
        let loaded = self.loaded()?;
        let Some(doc) = loaded.as_ref() else {
            return Ok(None);
        };
        match candidates.iter().find(|c| doc.entries.contains_key(*c)) {
            Some(found) => self.get(found),
            None => Ok(None),
        }
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

/// The cache entry's name: the file's salt (public: it is in the file) and where the
/// passphrase came from. Nothing derived from the passphrase: the name is in `/proc/keys`.
fn cache_id(salt: &str, source: &Source) -> String {
    let salt_hex: String = decode(salt)
        .unwrap_or_default()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let from = match source {
        Source::Terminal => "tty",
        Source::Env(_) => "env",
    };
    format!("docker-credential-keyring:file:{salt_hex}:{from}")
}

/// A check of a passphrase from the environment, kept in the cached payload after the key:
/// BLAKE2b keyed with the derived key itself, so it proves nothing to whoever lacks the key
/// (and whoever can read the payload has the key already). A call whose passphrase does not
/// match misses the cache, derives, and is refused.
fn passphrase_check(
    key: &Key,
    passphrase: &Secret,
) -> blake2::Blake2bMac<blake2::digest::consts::U32> {
    use blake2::digest::Mac;
    let mut mac =
        <blake2::Blake2bMac<blake2::digest::consts::U32> as Mac>::new_from_slice(key.expose())
            .expect("a 32-byte BLAKE2b key");
    mac.update(b"docker-credential-keyring file cache: passphrase from env\0");
    mac.update(passphrase.expose().as_bytes());
    mac
}

/// What the cache keeps: the key, then for [`Source::Env`] the passphrase's check.
fn cache_payload(key: &Key, source: &Source) -> Secret<Vec<u8>> {
    use blake2::digest::Mac;
    let mut payload = Secret::new(Vec::with_capacity(key_cache::MAX_PAYLOAD));
    payload.expose_mut().extend_from_slice(key.expose());
    if let Source::Env(p) = source {
        let tag = passphrase_check(key, p).finalize().into_bytes();
        payload.expose_mut().extend_from_slice(&tag);
    }
    payload
}

/// The key in a cached payload, when the payload has the shape `source` writes and, for
/// [`Source::Env`], its check matches this passphrase (compared in constant time).
fn cached_key(payload: &[u8], source: &Source) -> Option<Key> {
    use blake2::digest::Mac;
    let (key_bytes, tag) = match (source, payload.len()) {
        (Source::Terminal, 32) => (payload, None),
        (Source::Env(p), 64) => (&payload[..32], Some((p, &payload[32..]))),
        _ => return None,
    };
    let mut key = Secret::new([0u8; 32]);
    key.expose_mut().copy_from_slice(key_bytes);
    if let Some((p, tag)) = tag {
        passphrase_check(&key, p).verify_slice(tag).ok()?;
    }
    Some(key)
}

fn kdf_params(kdf: &Kdf) -> Result<argon2::Params, argon2::Error> {
    argon2::Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
}

fn derive(passphrase: &Secret, kdf: &Kdf) -> Result<Key, Error> {
    let params = kdf_params(kdf).map_err(|e| Error::Crypto(e.to_string()))?;
    let salt = Zeroizing::new(decode(&kdf.salt).unwrap_or_default());
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Secret::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.expose().as_bytes(), &salt, key.expose_mut())
        .map_err(|e| Error::Crypto(e.to_string()))?;
    Ok(key)
}

fn check_key(doc: &Document, key: &Key) -> bool {
    open(key, &doc.check, b"check").is_some_and(|p| p.as_slice() == CHECK_TEXT)
}

/// Associated data binding a sealed secret to its server and username.
fn aad(server: &str, username: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(server.len() + username.len() + 24);
    out.extend_from_slice(b"entry\0");
    out.extend_from_slice(&(server.len() as u64).to_be_bytes());
    out.extend_from_slice(server.as_bytes());
    out.extend_from_slice(&(username.len() as u64).to_be_bytes());
    out.extend_from_slice(username.as_bytes());
    out
}

fn seal(key: &Key, plain: &[u8], aad: &[u8]) -> Result<String, Error> {
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    let mut nonce = [0u8; 24];
    random(&mut nonce)?;
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad })
        .map_err(|_| Error::Crypto("sealing a secret failed".to_owned()))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(BASE64.encode(out))
}

fn open(key: &Key, sealed: &str, aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let bytes = decode(sealed)?;
    if bytes.len() < 24 + 16 {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(24);
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
        .map(Zeroizing::new)
}

fn decode(text: &str) -> Option<Vec<u8>> {
    BASE64.decode(text).ok()
}

fn random(buf: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(buf).map_err(|e| Error::Random(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Secret::new([7u8; 32])
    }

    #[test]
    fn a_cached_env_key_opens_only_for_its_passphrase() {
        let right = Source::Env(Secret::new("right".into()));
        let payload = cache_payload(&key(), &right);
        assert_eq!(payload.expose().len(), 64);
        let got = cached_key(payload.expose(), &right).expect("the right passphrase");
        assert_eq!(got.expose(), key().expose());
        let wrong = Source::Env(Secret::new("wrong".into()));
        assert!(cached_key(payload.expose(), &wrong).is_none());
    }

    #[test]
    fn a_cached_env_key_is_not_a_terminal_key_and_back() {
        let env = Source::Env(Secret::new("right".into()));
        let from_env = cache_payload(&key(), &env);
        assert!(cached_key(from_env.expose(), &Source::Terminal).is_none());
        let from_tty = cache_payload(&key(), &Source::Terminal);
        assert_eq!(from_tty.expose().len(), 32);
        assert!(cached_key(from_tty.expose(), &env).is_none());
        assert!(cached_key(from_tty.expose(), &Source::Terminal).is_some());
    }

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
}
