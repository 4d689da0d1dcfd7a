//! Replace a file whole: readers see the old or the new bytes, never half of them, and a crash
//! leaves one or the other. The new file gets the mode and owner asked for before it takes the
//! old one's place.

use std::fs::Metadata;
use std::io::{self, Write};
use std::path::Path;

/// A file's owner (Unix), to give back to the file that replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
}

impl Owner {
    /// The owner of the file `meta` describes, where files have one we can set (Unix).
    pub fn of(meta: &Metadata) -> Option<Owner> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some(Owner {
                uid: meta.uid(),
                gid: meta.gid(),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            None
        }
    }
}

/// A file's permission bits as Unix shows them. Elsewhere only "read-only" exists: 0444 for a
/// read-only file, else 0666, so that a `mode & 0o222` test means the same everywhere.
pub fn mode(meta: &Metadata) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o7777
    }
    #[cfg(not(unix))]
    {
        if meta.permissions().readonly() {
            0o444
        } else {
            0o666
        }
    }
}

/// Why [`replace`] failed. The target is unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum ReplaceError {
    /// No temporary file could be made next to the target (the directory is not writable).
    #[error("cannot create a file in {}: {source}", dir.display())]
    Create {
        dir: std::path::PathBuf,
        #[source]
        source: io::Error,
    },
    /// The owner could not be given to the new file.
    #[error("cannot give the new file its owner {}:{} ({source})", owner.uid, owner.gid)]
    Owner {
        owner: Owner,
        #[source]
        source: io::Error,
    },
    /// Writing, syncing or renaming failed.
    #[error(transparent)]
    Write(io::Error),
}

impl ReplaceError {
    /// The underlying I/O error, for callers that tell no case apart.
    pub fn into_io(self) -> io::Error {
        match self {
            ReplaceError::Create { source, .. } | ReplaceError::Owner { source, .. } => source,
            ReplaceError::Write(e) => e,
        }
    }
}

/// Atomically replace `path` with `bytes`: a temporary file in the same directory (created
/// 0600, so the bytes are never readable by others on the way), given `owner` and then `mode`
/// (Unix; ignored elsewhere), fsynced, renamed over `path`; then the directory is fsynced so
/// the rename survives a crash. The temporary file is removed on every error.
pub fn replace(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    owner: Option<Owner>,
) -> Result<(), ReplaceError> {
    let dir = super::parent_dir(path);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let prefix = format!(".{name}.");
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|source| ReplaceError::Create {
            dir: dir.clone(),
            source,
        })?;
    #[cfg(unix)]
    {
        // The owner before the mode: chown clears set-id bits, the mode then sets them back.
        if let Some(owner) = owner {
            give(tmp.as_file(), owner)?;
        }
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(ReplaceError::Write)?;
    }
    #[cfg(not(unix))]
    let _ = (mode, owner);
    tmp.write_all(bytes).map_err(ReplaceError::Write)?;
    tmp.as_file().sync_all().map_err(ReplaceError::Write)?;
    tmp.persist(path)
        .map_err(|e| ReplaceError::Write(e.error))?;
    // Best effort: the new file is in place whatever this says.
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Give `file` this owner. Only a different user is fatal: a group we may not set (our file, in
/// a group we are not in) is left as it is, since the user keeps the file either way.
#[cfg(unix)]
fn give(file: &std::fs::File, owner: Owner) -> Result<(), ReplaceError> {
    use std::os::unix::fs::MetadataExt;
    let m = file.metadata().map_err(ReplaceError::Write)?;
    if (m.uid(), m.gid()) == (owner.uid, owner.gid) {
        return Ok(());
    }
    match std::os::unix::fs::fchown(file, Some(owner.uid), Some(owner.gid)) {
        Ok(()) => Ok(()),
        Err(_) if m.uid() == owner.uid => Ok(()),
        Err(source) => Err(ReplaceError::Owner { owner, source }),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn replaces_with_the_mode_asked_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        std::fs::write(&path, "old").unwrap();
        replace(&path, b"new", 0o640, None).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(names(dir.path()), ["f.json"]);
    }
}
