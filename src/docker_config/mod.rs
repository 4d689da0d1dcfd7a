//! Docker's own config file (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, the
//! home directory found as the docker CLI finds it: `%USERPROFILE%` on Windows, `$HOME` elsewhere):
//! read it, edit it keeping everything we do not touch (key order, unknown fields), and write it
//! back as the docker CLI would, atomically, with a backup, under a lock. Bad input is refused,
//! never repaired. Why each choice: docs/design.md, "Docker's config.json".

mod file;
mod json;
mod parse;

pub use file::{DockerConfig, Saved, backup_path};
pub use json::{Json, Object, render};
pub use parse::parse;

use std::ffi::OsString;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The environment variable naming Docker's config directory.
pub const DOCKER_CONFIG_ENV: &str = "DOCKER_CONFIG";
/// The variable the docker CLI takes the home directory from (Go's `os.UserHomeDir`):
/// `USERPROFILE` on Windows, `HOME` elsewhere.
pub const HOME_ENV: &str = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
/// The file name inside the config directory.
pub const CONFIG_FILE: &str = "config.json";
/// Suffix of the backup kept next to the file.
pub const BACKUP_SUFFIX: &str = ".bak";
/// How long to wait for another process holding the config lock: longer than the credential
/// stores' 10 s, since `import` holds it while it stores every credential it moves.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// Why a file could not be read, with what to do about it.
fn read_failure(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file; check the path".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied; check its permissions".to_owned(),
        _ => e.to_string(),
    }
}

/// Why Docker's config file could not be read or written. One line naming cause and fix;
/// never the file's content (it may hold secrets).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "cannot find Docker's config directory: neither DOCKER_CONFIG nor {HOME_ENV} is set; set DOCKER_CONFIG=/path/to/.docker"
    )]
    NoHome,
    #[error("cannot read {path}: {}", read_failure(source))]
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

/// Docker's config directory: `$DOCKER_CONFIG`, else `.docker` in the home directory
/// ([`HOME_ENV`]), as the docker CLI's `config.Dir` finds it.
pub fn config_dir() -> Result<PathBuf> {
    config_dir_from(
        std::env::var_os(DOCKER_CONFIG_ENV),
        std::env::var_os(HOME_ENV),
    )
}

/// [`config_dir`] from the values of `DOCKER_CONFIG` and [`HOME_ENV`] (empty is unset).
fn config_dir_from(docker_config: Option<OsString>, home: Option<OsString>) -> Result<PathBuf> {
    if let Some(dir) = docker_config.filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    match home.filter(|h| !h.is_empty()) {
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

/// An exclusive lock on the directory holding Docker's config file; released on drop.
#[derive(Debug)]
pub struct Lock {
    _dir: Option<File>,
}

/// Take the edit lock for the config file at `path` (on the directory of its real target),
/// waiting up to 30 s for another holder. A directory that does not exist yet needs no lock
/// until it is created, so then there is nothing to lock.
#[cfg(unix)]
pub fn lock(path: &Path) -> Result<Lock> {
    use crate::fs::LockError;
    let dir = crate::fs::parent_dir(&resolve_target(path));
    let handle = match File::open(&dir) {
        Ok(h) => h,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // Create it so that concurrent creators serialise on it too.
            match crate::fs::create_private_dir(&dir) {
                Ok(()) => File::open(&dir).map_err(|source| Error::Lock {
                    dir: dir.clone(),
                    source,
                })?,
                Err(_) => return Ok(Lock { _dir: None }),
            }
        }
        Err(source) => return Err(Error::Lock { dir, source }),
    };
    match crate::fs::lock_exclusive(&handle, LOCK_WAIT) {
        Ok(()) => Ok(Lock { _dir: Some(handle) }),
        Err(LockError::TimedOut(_)) => Err(Error::LockTimeout {
            dir,
            secs: LOCK_WAIT.as_secs(),
        }),
        Err(LockError::Io(source)) => Err(Error::Lock { dir, source }),
    }
}

/// Elsewhere (Windows) there is no edit lock: std cannot open a directory to lock it, and a lock
/// file of ours in Docker's directory would be a file nobody asked for. The file is still only
/// ever replaced whole, as the docker CLI itself does.
#[cfg(not(unix))]
pub fn lock(path: &Path) -> Result<Lock> {
    let _ = (path, LOCK_WAIT);
    Ok(Lock { _dir: None })
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

    #[test]
    fn the_config_dir_is_found_as_the_docker_cli_finds_it() {
        let dir = |d: Option<&str>, h: Option<&str>| {
            config_dir_from(d.map(Into::into), h.map(Into::into))
        };
        assert_eq!(dir(Some("/d"), Some("/h")).unwrap(), Path::new("/d"));
        assert_eq!(
            dir(Some(""), Some("/h")).unwrap(),
            Path::new("/h").join(".docker")
        );
        assert!(matches!(dir(None, Some("")), Err(Error::NoHome)));
        // Go's os.UserHomeDir: USERPROFILE on Windows (HOME is usually unset there).
        assert_eq!(HOME_ENV, if cfg!(windows) { "USERPROFILE" } else { "HOME" });
        assert!(Error::NoHome.to_string().contains(HOME_ENV));
    }
}
