//! Docker's own config file (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`):
//! read it, edit it keeping everything we do not touch, and replace it safely.
//!
//! - **Order and unknown fields are kept.** The file is parsed into [`Json`], a tree whose
//!   objects keep their keys in file order (our own small type rather than serde_json's
//!   `preserve_order` feature, which would switch key order for every `serde_json::Value` in the
//!   whole build, including output other modules want sorted).
//! - **Docker's layout.** Written exactly as the docker CLI writes it: Go's
//!   `json.MarshalIndent(cfg, "", "\t")` (tab indent, `": "`, `<>&` and U+2028/9 escaped, no
//!   trailing newline).
//! - **Atomic, with a backup.** A temp file in the same directory, fsynced, renamed over the
//!   target, directory fsynced; the previous bytes are kept in `config.json.bak` (0600). The new
//!   file keeps the old file's permissions (0600 for a new file). A symlinked config is written
//!   through to its target, the link is kept.
//! - **The owner is kept.** Run as root on a user's file (`sudo … setup`), the new file and the
//!   backup get the old file's uid/gid before the rename, as the docker CLI does. Like the
//!   docker CLI, a file that did not exist belongs to whoever creates it. When the owner
//!   cannot be given back (not root, another user's file), nothing is written.
//! - **Locked.** Every read-modify-write holds an exclusive `flock` on the directory that holds
//!   the file, so two of our processes never interleave (the docker CLI itself only renames, so
//!   it can never leave a torn file either).
//! - **Nothing is written when nothing changes**, so a second `setup` changes no byte.
//! - **Bad input is refused, not repaired:** invalid JSON, an empty file, a field of the wrong
//!   type, a read-only file or directory each give a typed [`Error`] and leave the file as it was.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use zeroize::{Zeroize, Zeroizing};

/// The environment variable naming Docker's config directory.
pub const DOCKER_CONFIG_ENV: &str = "DOCKER_CONFIG";
/// The file name inside the config directory.
pub const CONFIG_FILE: &str = "config.json";
/// Suffix of the backup kept next to the file.
pub const BACKUP_SUFFIX: &str = ".bak";
/// How long to wait for another process holding the config lock.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// Why Docker's config file could not be read or written. One line naming cause and fix;
/// never the file's content (it may hold secrets).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "cannot find Docker's config directory: neither DOCKER_CONFIG nor HOME is set; set DOCKER_CONFIG=/path/to/.docker"
    )]
    NoHome,
    #[error("cannot read {path}: {source}; check its permissions")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "{path} is empty, not JSON; write {{}} into it or delete it, then run this again (nothing was changed)"
    )]
    Empty { path: PathBuf },
    #[error(
        "{path} is not valid JSON ({reason} at line {line}, column {column}); fix or move it aside, then run this again (nothing was changed)"
    )]
    Invalid {
        path: PathBuf,
        reason: &'static str,
        line: usize,
        column: usize,
    },
    #[error(
        "{path}: {field} must be {expected}, found {found}; fix it, then run this again (nothing was changed)"
    )]
    WrongType {
        path: PathBuf,
        field: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error(
        "{path} is read-only; make it writable (chmod u+w {path:?}) or point DOCKER_CONFIG elsewhere (nothing was changed)"
    )]
    ReadOnlyFile { path: PathBuf },
    #[error(
        "cannot write in {dir}: {reason}; make the directory writable or point DOCKER_CONFIG elsewhere (nothing was changed)"
    )]
    ReadOnlyDir { dir: PathBuf, reason: String },
    #[error("cannot write {path}: {source} (the previous file is unchanged)")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "cannot give the rewritten {path} its owner {uid}:{gid} back ({source}); run this as that user or as root (the previous file is unchanged)"
    )]
    Owner {
        path: PathBuf,
        uid: u32,
        gid: u32,
        #[source]
        source: io::Error,
    },
    #[error(
        "another docker-credential-keyring is editing {dir} and has not finished after {secs} s; wait for it or stop it, then run this again"
    )]
    LockTimeout { dir: PathBuf, secs: u64 },
    #[error("cannot lock {dir} for editing: {source}")]
    Lock {
        dir: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Result with this module's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Docker's config directory: `$DOCKER_CONFIG`, else `~/.docker`.
pub fn config_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(DOCKER_CONFIG_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".docker")),
        None => Err(Error::NoHome),
    }
}

/// Docker's config file: `config_dir()/config.json`.
pub fn config_path() -> Result<PathBuf> {
    Ok(config_dir()?.join(CONFIG_FILE))
}

/// Where writes to `path` really go: a symlink (even a chain, even a dangling one) is followed to
/// its final target so the link itself stays in place.
pub fn resolve_target(path: &Path) -> PathBuf {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => match fs::read_link(&current) {
                Ok(link) => {
                    current = match current.parent() {
                        Some(parent) if link.is_relative() => parent.join(link),
                        _ => link,
                    }
                }
                Err(_) => return current,
            },
            _ => return current,
        }
    }
    current
}

// ---------------------------------------------------------------------------------------------
// The ordered JSON tree.

/// A JSON value whose objects keep their key order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Object),
}

/// A JSON object with its keys in file order. A key repeated in the file keeps its first
/// position and its last value (Go's decoder also lets the last one win).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Object(Vec<(String, Json)>);

impl Object {
    /// An empty object.
    pub fn new() -> Object {
        Object(Vec::new())
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Set `key`: replaced in place when present, appended otherwise.
    pub fn insert(&mut self, key: impl Into<String>, value: Json) {
        let key = key.into();
        match self.get_mut(&key) {
            Some(slot) => *slot = value,
            None => self.0.push((key, value)),
        }
    }

    /// Remove `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Json> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(i).1)
    }

    /// The object under `key`, created (appended, empty) when missing. `None` if `key` holds
    /// something that is not an object.
    pub fn object_entry(&mut self, key: &str) -> Option<&mut Object> {
        if self.get(key).is_none() {
            self.0.push((key.to_owned(), Json::Object(Object::new())));
        }
        match self.get_mut(key) {
            Some(Json::Object(o)) => Some(o),
            _ => None,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Json)> {
        self.0.iter_mut().map(|(k, v)| (k.as_str(), v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Json {
    /// The JSON type name, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    fn wipe(&mut self) {
        match self {
            Json::String(s) => s.zeroize(),
            Json::Array(a) => a.iter_mut().for_each(Json::wipe),
            Json::Object(o) => o.0.iter_mut().for_each(|(_, v)| v.wipe()),
            _ => {}
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Json;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
                Ok(Json::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
                Ok(Json::Number(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
                Ok(Json::Number(n.into()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Json, E> {
                serde_json::Number::from_f64(n)
                    .map(Json::Number)
                    .ok_or_else(|| E::custom("number out of range"))
            }
            fn visit_str<E>(self, s: &str) -> Result<Json, E> {
                Ok(Json::String(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Json, E> {
                Ok(Json::String(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(v) = seq.next_element()? {
                    items.push(v);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut o = Object::new();
                while let Some((k, v)) = map.next_entry::<String, Json>()? {
                    o.insert(k, v);
                }
                Ok(Json::Object(o))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Number(n) => n.serialize(s),
            Json::String(v) => s.serialize_str(v),
            Json::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Json::Object(o) => o.serialize(s),
        }
    }
}

impl Serialize for Object {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Render `root` byte for byte as the docker CLI writes its config file:
/// `json.MarshalIndent(cfg, "", "\t")`, HTML characters escaped, no trailing newline.
pub fn render(root: &Object) -> Zeroizing<Vec<u8>> {
    let mut plain = Zeroizing::new(Vec::new());
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut *plain, formatter);
    root.serialize(&mut ser).expect("a JSON tree serializes");
    let plain = Zeroizing::new(String::from_utf8(std::mem::take(&mut *plain)).expect("UTF-8"));
    let mut out = Zeroizing::new(Vec::with_capacity(plain.len() + 16));
    for c in plain.chars() {
        let escaped: &[u8] = match c {
            '<' => b"\\u003c",
            '>' => b"\\u003e",
            '&' => b"\\u0026",
            '\u{2028}' => b"\\u2028",
            '\u{2029}' => b"\\u2029",
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                continue;
            }
        };
        out.extend_from_slice(escaped);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The config file.

/// What [`DockerConfig::save`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// The rendered bytes equal the file's: nothing was written.
    Unchanged,
    /// The file was replaced; the previous bytes are in `backup` (when there was a file).
    Written {
        target: PathBuf,
        backup: Option<PathBuf>,
    },
}

/// Docker's config file, loaded and validated, ready to be edited and saved.
pub struct DockerConfig {
    /// The path as given (possibly a symlink).
    pub path: PathBuf,
    /// Where it really lives (symlinks followed).
    pub target: PathBuf,
    /// The top-level object.
    pub root: Object,
    original: Option<Zeroizing<Vec<u8>>>,
}

impl fmt::Debug for DockerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DockerConfig")
            .field("path", &self.path)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Drop for DockerConfig {
    fn drop(&mut self) {
        self.root.0.iter_mut().for_each(|(_, v)| v.wipe());
    }
}

/// The string fields of an `auths` entry Docker knows.
const AUTH_STRING_FIELDS: &[&str] = &[
    "auth",
    "username",
    "password",
    "email",
    "serveraddress",
    "identitytoken",
    "registrytoken",
];

impl DockerConfig {
    /// Read and validate the file at `path`. A missing file is an empty config (it will be
    /// created on save); an empty or invalid one is an error.
    pub fn load(path: &Path) -> Result<DockerConfig> {
        let target = resolve_target(path);
        let original = match fs::read(&target) {
            Ok(bytes) => Some(Zeroizing::new(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(Error::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let root = match &original {
            None => Object::new(),
            Some(bytes) => parse(path, bytes)?,
        };
        Ok(DockerConfig {
            path: path.to_owned(),
            target,
            root,
            original,
        })
    }

    /// Whether the file existed when loaded.
    pub fn exists(&self) -> bool {
        self.original.is_some()
    }

    /// `credsStore`, if set.
    pub fn creds_store(&self) -> Option<&str> {
        self.root.get("credsStore").and_then(Json::as_str)
    }

    /// `credHelpers` entries, in file order.
    pub fn cred_helpers(&self) -> Vec<(&str, &str)> {
        match self.root.get("credHelpers") {
            Some(Json::Object(o)) => o
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k, v)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The `auths` object, if present.
    pub fn auths(&self) -> Option<&Object> {
        self.root.get("auths").and_then(Json::as_object)
    }

    /// The bytes this config would be written as.
    pub fn render(&self) -> Zeroizing<Vec<u8>> {
        render(&self.root)
    }

    /// Whether saving would change the file.
    pub fn is_changed(&self) -> bool {
        match &self.original {
            Some(old) => **old != *self.render(),
            None => true,
        }
    }

    /// Write the config back (see the module docs). Call it while holding [`lock`].
    pub fn save(&self) -> Result<Saved> {
        self.save_inner(true)
    }

    /// Like [`DockerConfig::save`] without writing a backup (for rewriting the backup itself).
    pub fn save_without_backup(&self) -> Result<Saved> {
        self.save_inner(false)
    }

    fn save_inner(&self, keep_backup: bool) -> Result<Saved> {
        let new = self.render();
        if let Some(old) = &self.original
            && **old == *new
        {
            return Ok(Saved::Unchanged);
        }
        let dir = parent_dir(&self.target);
        let old = match fs::metadata(&self.target) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(Error::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let old_mode = old.as_ref().map(|m| m.permissions().mode() & 0o7777);
        let owner = old.as_ref().map(Owner::of);
        check_writable(&self.target, &dir, old_mode)?;
        if !dir.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(|e| dir_error(&dir, e))?;
        }
        let backup = match &self.original {
            Some(old) if keep_backup => {
                let backup = backup_path(&self.target);
                // Refused for the backup (written first), the owner would be refused for the
                // file too: name the file the user asked about.
                replace_file(&backup, old, 0o600, owner).map_err(|e| match e {
                    Error::Owner {
                        uid, gid, source, ..
                    } => Error::Owner {
                        path: self.path.clone(),
                        uid,
                        gid,
                        source,
                    },
                    e => e,
                })?;
                Some(backup)
            }
            _ => None,
        };
        replace_file(&self.target, &new, old_mode.unwrap_or(0o600), owner)?;
        Ok(Saved::Written {
            target: self.target.clone(),
            backup,
        })
    }
}

/// `config.json.bak` next to `target`.
pub fn backup_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(BACKUP_SUFFIX);
    target.with_file_name(name)
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Parse and validate the file's bytes: a JSON object, with Docker's fields of Docker's types.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Object> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Empty {
            path: path.to_owned(),
        });
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Json::deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| Error::Invalid {
            path: path.to_owned(),
            reason: match e.classify() {
                serde_json::error::Category::Eof => "it ends too early",
                serde_json::error::Category::Syntax => "syntax error",
                serde_json::error::Category::Data => "bad value",
                serde_json::error::Category::Io => "read error",
            },
            line: e.line(),
            column: e.column(),
        })?;
    let wrong = |field: String, expected: &'static str, found: &Json| Error::WrongType {
        path: path.to_owned(),
        field,
        expected,
        found: found.kind(),
    };
    let root = match value {
        Json::Object(o) => o,
        other => return Err(wrong("the top level".into(), "an object", &other)),
    };
    if let Some(v) = root.get("credsStore")
        && !matches!(v, Json::String(_) | Json::Null)
    {
        return Err(wrong("\"credsStore\"".into(), "a string", v));
    }
    match root.get("credHelpers") {
        None | Some(Json::Null) => {}
        Some(Json::Object(helpers)) => {
            for (k, v) in helpers.iter() {
                if !matches!(v, Json::String(_)) {
                    return Err(wrong(format!("\"credHelpers\".{k:?}"), "a string", v));
                }
            }
        }
        Some(v) => return Err(wrong("\"credHelpers\"".into(), "an object", v)),
    }
    match root.get("auths") {
        None | Some(Json::Null) => {}
        Some(Json::Object(auths)) => {
            for (registry, entry) in auths.iter() {
                let entry = match entry {
                    Json::Object(e) => e,
                    Json::Null => continue,
                    v => return Err(wrong(format!("\"auths\".{registry:?}"), "an object", v)),
                };
                for (k, v) in entry.iter() {
                    if AUTH_STRING_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(k))
                        && !matches!(v, Json::String(_) | Json::Null)
                    {
                        return Err(wrong(
                            format!("\"auths\".{registry:?}.{k:?}"),
                            "a string",
                            v,
                        ));
                    }
                }
            }
        }
        Some(v) => return Err(wrong("\"auths\"".into(), "an object", v)),
    }
    Ok(root)
}

fn dir_error(dir: &Path, e: io::Error) -> Error {
    Error::ReadOnlyDir {
        dir: dir.to_owned(),
        reason: e.to_string(),
    }
}

/// Refuse before touching anything when the file or its directory is read-only. Write bits are
/// checked as well as access, so a file made read-only on purpose is respected even by root.
fn check_writable(target: &Path, dir: &Path, old_mode: Option<u32>) -> Result<()> {
    if let Some(mode) = old_mode {
        let open = OpenOptions::new().write(true).open(target);
        if mode & 0o222 == 0
            || matches!(&open, Err(e) if matches!(e.kind(), io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem))
        {
            return Err(Error::ReadOnlyFile {
                path: target.to_owned(),
            });
        }
    }
    // The nearest existing ancestor decides (the directory may not exist yet).
    let mut existing = dir.to_path_buf();
    while !existing.exists() {
        match existing.parent() {
            Some(p) if !p.as_os_str().is_empty() => existing = p.to_path_buf(),
            _ => break,
        }
    }
    if let Ok(m) = fs::metadata(&existing)
        && m.permissions().mode() & 0o222 == 0
    {
        return Err(Error::ReadOnlyDir {
            dir: existing,
            reason: "it has no write permission".into(),
        });
    }
    Ok(())
}

/// A file's owner, to give back to the file that replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Owner {
    uid: u32,
    gid: u32,
}

// Unix only, like this whole module (it needs file modes and flock).
impl Owner {
    fn of(m: &fs::Metadata) -> Owner {
        use std::os::unix::fs::MetadataExt;
        Owner {
            uid: m.uid(),
            gid: m.gid(),
        }
    }

    /// Give `file` (the temp file about to replace `path`) this owner. Only a different user
    /// is fatal: a group we may not set (ours to write, in a group we are not in) is left as
    /// it was before, since the user keeps the file either way.
    fn give(self, file: &File, path: &Path) -> Result<()> {
        use std::os::unix::fs::MetadataExt;
        let m = file.metadata().map_err(|source| Error::Write {
            path: path.to_owned(),
            source,
        })?;
        if (m.uid(), m.gid()) == (self.uid, self.gid) {
            return Ok(());
        }
        match std::os::unix::fs::fchown(file, Some(self.uid), Some(self.gid)) {
            Ok(()) => Ok(()),
            Err(_) if m.uid() == self.uid => Ok(()),
            Err(source) => Err(Error::Owner {
                path: path.to_owned(),
                uid: self.uid,
                gid: self.gid,
                source,
            }),
        }
    }
}

/// Atomically replace `path` with `bytes` at `mode` (and `owner`, when given): temp file in the
/// same directory, fsync, rename, fsync the directory.
fn replace_file(path: &Path, bytes: &[u8], mode: u32, owner: Option<Owner>) -> Result<()> {
    let dir = parent_dir(path);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.tmp-{}-{attempt}", std::process::id()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(dir_error(&dir, e)),
        }
    };
    // The owner before the mode: chown clears set-id bits, the mode then sets them as they were.
    if let Some(owner) = owner
        && let Err(e) = owner.give(&file, path)
    {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    let written = file
        .write_all(bytes)
        .and_then(|()| file.set_permissions(fs::Permissions::from_mode(mode)))
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(source) = written {
        let _ = fs::remove_file(&tmp);
        return Err(Error::Write {
            path: path.to_owned(),
            source,
        });
    }
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Locking.

/// An exclusive lock on the directory holding Docker's config file; released on drop.
#[derive(Debug)]
pub struct Lock {
    _dir: Option<File>,
}

/// Take the edit lock for the config file at `path` (on the directory of its real target),
/// waiting up to 30 s for another holder. A directory that does not exist yet needs no lock
/// until it is created, so then there is nothing to lock.
pub fn lock(path: &Path) -> Result<Lock> {
    let dir = parent_dir(&resolve_target(path));
    let handle = match File::open(&dir) {
        Ok(h) => h,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // Create it so that concurrent creators serialise on it too.
            match fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
            {
                Ok(()) => File::open(&dir).map_err(|source| Error::Lock {
                    dir: dir.clone(),
                    source,
                })?,
                Err(_) => return Ok(Lock { _dir: None }),
            }
        }
        Err(source) => return Err(Error::Lock { dir, source }),
    };
    let start = Instant::now();
    loop {
        match handle.try_lock() {
            Ok(()) => return Ok(Lock { _dir: Some(handle) }),
            Err(fs::TryLockError::WouldBlock) if start.elapsed() < LOCK_WAIT => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(Error::LockTimeout {
                    dir,
                    secs: LOCK_WAIT.as_secs(),
                });
            }
            Err(fs::TryLockError::Error(source)) => return Err(Error::Lock { dir, source }),
        }
    }
}

/// Lock, load, let `edit` change the config, save: the whole read-modify-write under the lock.
/// If `edit` fails nothing is written.
pub fn edit<T, E: From<Error>>(
    path: &Path,
    edit: impl FnOnce(&mut DockerConfig) -> Result<T, E>,
) -> Result<(T, Saved), E> {
    let _lock = lock(path)?;
    let mut config = DockerConfig::load(path)?;
    let out = edit(&mut config)?;
    let saved = config.save()?;
    Ok((out, saved))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(text: &str) -> Object {
        parse(Path::new("config.json"), text.as_bytes()).unwrap()
    }

    #[test]
    fn renders_like_docker_cli() {
        // What docker 29 writes after `docker login` (MarshalIndent with a tab).
        let text = "{\n\t\"auths\": {\n\t\t\"https://index.docker.io/v1/\": {}\n\t},\n\t\"credsStore\": \"keyring\"\n}";
        assert_eq!(&*render(&obj(text)), text.as_bytes());
        let empty = "{\n\t\"auths\": {},\n\t\"x\": []\n}";
        assert_eq!(&*render(&obj(empty)), empty.as_bytes());
        assert_eq!(&*render(&Object::new()), b"{}");
    }

    #[test]
    fn keeps_order_and_unknown_fields() {
        let text = r#"{"z":1,"psFormat":"table {{.ID}}","a":{"y":[1,2.5,null,true],"b":"<&>"},"auths":{}}"#;
        let out = String::from_utf8(render(&obj(text)).to_vec()).unwrap();
        assert_eq!(
            out,
            "{\n\t\"z\": 1,\n\t\"psFormat\": \"table {{.ID}}\",\n\t\"a\": {\n\t\t\"y\": [\n\t\t\t1,\n\t\t\t2.5,\n\t\t\tnull,\n\t\t\ttrue\n\t\t],\n\t\t\"b\": \"\\u003c\\u0026\\u003e\"\n\t},\n\t\"auths\": {}\n}"
        );
    }

    #[test]
    fn duplicate_key_keeps_first_position_last_value() {
        let o = obj(r#"{"a":1,"b":2,"a":3}"#);
        assert_eq!(o.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(o.get("a"), Some(&Json::Number(3.into())));
    }

    #[test]
    fn insert_replaces_in_place_or_appends() {
        let mut o = obj(r#"{"a":1,"b":2}"#);
        o.insert("a", Json::Null);
        o.insert("c", Json::Bool(true));
        assert_eq!(o.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(o.remove("b"), Some(Json::Number(2.into())));
        assert_eq!(o.len(), 2);
    }

    #[test]
    fn bad_input_is_typed() {
        let p = Path::new("c.json");
        assert!(matches!(parse(p, b""), Err(Error::Empty { .. })));
        assert!(matches!(parse(p, b" \n\t"), Err(Error::Empty { .. })));
        assert!(matches!(
            parse(p, b"{\"auths\": {"),
            Err(Error::Invalid { .. })
        ));
        assert!(matches!(
            parse(p, b"{} trailing"),
            Err(Error::Invalid { .. })
        ));
        assert!(matches!(parse(p, b"[]"), Err(Error::WrongType { .. })));
        assert!(matches!(
            parse(p, br#"{"credsStore": 5}"#),
            Err(Error::WrongType { .. })
        ));
        assert!(matches!(
            parse(p, br#"{"credHelpers": []}"#),
            Err(Error::WrongType { .. })
        ));
        assert!(matches!(
            parse(p, br#"{"credHelpers": {"a": 1}}"#),
            Err(Error::WrongType { .. })
        ));
        assert!(matches!(
            parse(p, br#"{"auths": "x"}"#),
            Err(Error::WrongType { .. })
        ));
        assert!(matches!(
            parse(p, br#"{"auths": {"h": {"auth": 12}}}"#),
            Err(Error::WrongType { .. })
        ));
    }

    #[test]
    fn errors_never_show_content() {
        let secret = "hunter2-very-secret";
        let text = format!(r#"{{"auths": {{"h": {{"auth": "{secret}" "#);
        let e = parse(Path::new("c.json"), text.as_bytes()).unwrap_err();
        assert!(!e.to_string().contains(secret), "{e}");
        let text = format!(r#"{{"auths": {{"h": {{"password": ["{secret}"]}}}}}}"#);
        let e = parse(Path::new("c.json"), text.as_bytes()).unwrap_err();
        assert!(!e.to_string().contains(secret), "{e}");
    }

    #[test]
    fn save_is_atomic_idempotent_and_keeps_a_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        fs::write(&path, "{\"auths\":{}}").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let (_, saved) = edit(&path, |c| {
            c.root.insert("credsStore", Json::String("keyring".into()));
            Ok::<_, Error>(())
        })
        .unwrap();
        assert!(matches!(
            saved,
            Saved::Written {
                backup: Some(_),
                ..
            }
        ));
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "{\n\t\"auths\": {},\n\t\"credsStore\": \"keyring\"\n}"
        );
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let bak = dir.path().join("config.json.bak");
        assert_eq!(fs::read_to_string(&bak).unwrap(), "{\"auths\":{}}");
        assert_eq!(
            fs::metadata(&bak).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let (_, again) = edit(&path, |c| {
            c.root.insert("credsStore", Json::String("keyring".into()));
            Ok::<_, Error>(())
        })
        .unwrap();
        assert_eq!(again, Saved::Unchanged);
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.contains("tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn new_file_is_0600_in_a_new_0700_dir() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/.docker/config.json");
        let (_, saved) = edit(&path, |c| {
            c.root.insert("credsStore", Json::String("keyring".into()));
            Ok::<_, Error>(())
        })
        .unwrap();
        assert!(matches!(saved, Saved::Written { backup: None, .. }));
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn symlink_is_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real/config.json");
        fs::create_dir(dir.path().join("real")).unwrap();
        fs::write(&real, "{}").unwrap();
        let link = dir.path().join("config.json");
        std::os::unix::fs::symlink("real/config.json", &link).unwrap();
        edit(&link, |c| {
            c.root.insert("credsStore", Json::String("keyring".into()));
            Ok::<_, Error>(())
        })
        .unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(fs::read_to_string(&real).unwrap().contains("keyring"));
        assert!(dir.path().join("real/config.json.bak").exists());
    }

    #[test]
    fn read_only_file_and_dir_are_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        fs::write(&path, "{}").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
        let set = |c: &mut DockerConfig| {
            c.root.insert("credsStore", Json::String("keyring".into()));
            Ok::<_, Error>(())
        };
        assert!(matches!(edit(&path, set), Err(Error::ReadOnlyFile { .. })));
        assert_eq!(fs::read_to_string(&path).unwrap(), "{}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o500)).unwrap();
        let r = edit(&path, set);
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();
        assert!(matches!(r, Err(Error::ReadOnlyDir { .. })), "{r:?}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "{}");
        assert!(!dir.path().join("config.json.bak").exists());
    }
}
