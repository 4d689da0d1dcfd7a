//! The config file as loaded, edited and saved: atomically, with a backup, keeping the old
//! file's mode and owner, and not at all when nothing changed.

use super::{BACKUP_SUFFIX, Error, Json, Object, Result, parse, render, resolve_target};
use crate::fs::{Owner, ReplaceError, parent_dir};
use std::fmt;
use std::fs::{self, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

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
        self.root.wipe();
    }
}

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

    /// Write the config back (see the module docs). Call it while holding [`super::lock`].
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
        let old_mode = old.as_ref().map(crate::fs::mode);
        let owner = old.as_ref().and_then(Owner::of);
        check_writable(&self.target, &dir, old_mode)?;
        if !dir.exists() {
            crate::fs::create_private_dir(&dir).map_err(|e| dir_error(&dir, e))?;
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
        && crate::fs::mode(&m) & 0o222 == 0
    {
        return Err(Error::ReadOnlyDir {
            dir: existing,
            reason: "it has no write permission".into(),
        });
    }
    Ok(())
}

/// Atomically replace `path` with `bytes` at `mode` (and `owner`, when given).
fn replace_file(path: &Path, bytes: &[u8], mode: u32, owner: Option<Owner>) -> Result<()> {
    crate::fs::replace(path, bytes, mode, owner).map_err(|e| match e {
        ReplaceError::Create { dir, source } => dir_error(&dir, source),
        ReplaceError::Owner { owner, source } => Error::Owner {
            path: path.to_owned(),
            uid: owner.uid,
            gid: owner.gid,
            source,
        },
        ReplaceError::Write(source) => Error::Write {
            path: path.to_owned(),
            source,
        },
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::docker_config::edit;
    use std::os::unix::fs::PermissionsExt;

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
