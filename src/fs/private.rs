//! A private directory and a file in it that cannot be planted. On Unix the directory is used
//! only when it is a real directory (not a symbolic link), owned by us and not writable by group
//! or others; the file is opened relative to it with `O_NOFOLLOW | O_CLOEXEC` and must be a
//! regular file owned by us. Elsewhere (Windows) the profile's ACLs keep others out and std's
//! plain calls are used.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// Why a private directory or its file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// Someone else could have planted or changed it: refused.
    #[error("refusing {}: {reason}", path.display())]
    Unsafe { path: PathBuf, reason: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Create `dir` with its missing parents, each new one 0700 on Unix (as the XDG base directory
/// rules ask); directories that exist are left as they are.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Open `name` in the private directory `dir` for reading and writing, creating both (0700,
/// 0600) when missing and checking both (see the module docs). Never truncates.
pub fn open_private(dir: &Path, name: &str) -> Result<File, CheckError> {
    imp::open_private(dir, name, false)
}

/// [`open_private`] for appending (a log: every write goes to the end).
pub fn append_private(dir: &Path, name: &str) -> Result<File, CheckError> {
    imp::open_private(dir, name, true)
}

/// Check `dir` and `name` in it where they exist, creating nothing.
pub fn check_private(dir: &Path, name: &str) -> Result<(), CheckError> {
    imp::check_private(dir, name)
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> CheckError + '_ {
    move |source| CheckError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(unix)]
mod imp {
    use super::{CheckError, io_error};
    use std::ffi::CString;
    use std::fs::File;
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::MetadataExt;
    use std::path::Path;

    fn euid() -> u32 {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() }
    }

    fn unsafe_path(path: &Path, reason: String) -> CheckError {
        CheckError::Unsafe {
            path: path.to_owned(),
            reason,
        }
    }

    /// The directory must be ours and writable by nobody else.
    fn check_dir(dir: &Path, meta: &std::fs::Metadata) -> Result<(), CheckError> {
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

    /// The file must be a regular file of ours that nobody else can write.
    fn check_file(path: &Path, meta: &std::fs::Metadata) -> Result<(), CheckError> {
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
        if meta.mode() & 0o022 != 0 {
            return Err(unsafe_path(
                path,
                format!(
                    "it is writable by others (mode {:04o})",
                    meta.mode() & 0o7777
                ),
            ));
        }
        Ok(())
    }

    fn cstring(path: &Path, bytes: &[u8]) -> Result<CString, CheckError> {
        CString::new(bytes)
            .map_err(|_| unsafe_path(path, "the path contains a NUL character".to_owned()))
    }

    pub fn open_private(dir: &Path, name: &str, append: bool) -> Result<File, CheckError> {
        let path = dir.join(name);
        // Missing parts are created 0700; existing ones are checked below, not trusted.
        super::create_private_dir(dir).map_err(io_error(dir))?;
        let dir_c = cstring(dir, dir.as_os_str().as_bytes())?;
        // SAFETY: a NUL-terminated path; the descriptor is owned below.
        let dir_fd = unsafe {
            libc::open(
                dir_c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        if dir_fd < 0 {
            let e = io::Error::last_os_error();
            return Err(
                if matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENOTDIR)) {
                    unsafe_path(dir, "it is a symbolic link or not a directory".to_owned())
                } else {
                    io_error(dir)(e)
                },
            );
        }
        // SAFETY: a fresh descriptor that nothing else owns.
        let dir_file = File::from(unsafe { OwnedFd::from_raw_fd(dir_fd) });
        check_dir(dir, &dir_file.metadata().map_err(io_error(dir))?)?;
        let name_c = cstring(&path, name.as_bytes())?;
        // SAFETY: a NUL-terminated name relative to a directory descriptor we hold.
        let fd = unsafe {
            libc::openat(
                dir_file.as_raw_fd(),
                name_c.as_ptr(),
                libc::O_RDWR
                    | libc::O_CREAT
                    | libc::O_NOFOLLOW
                    | libc::O_CLOEXEC
                    | libc::O_NONBLOCK
                    | if append { libc::O_APPEND } else { 0 },
                0o600 as libc::c_uint,
            )
        };
        if fd < 0 {
            let e = io::Error::last_os_error();
            return Err(if e.raw_os_error() == Some(libc::ELOOP) {
                unsafe_path(&path, "it is a symbolic link".to_owned())
            } else {
                io_error(&path)(e)
            });
        }
        // SAFETY: a fresh descriptor that nothing else owns.
        let file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        check_file(&path, &file.metadata().map_err(io_error(&path))?)?;
        Ok(file)
    }

    pub fn check_private(dir: &Path, name: &str) -> Result<(), CheckError> {
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
        let path = dir.join(name);
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(&path)(e)),
            Ok(m) if m.file_type().is_symlink() => {
                Err(unsafe_path(&path, "it is a symbolic link".to_owned()))
            }
            Ok(m) => check_file(&path, &m),
        }
    }
}

#[cfg(not(unix))]
mod imp {
    use super::{CheckError, io_error};
    use std::fs::{File, OpenOptions};
    use std::path::Path;

    pub fn open_private(dir: &Path, name: &str, append: bool) -> Result<File, CheckError> {
        super::create_private_dir(dir).map_err(io_error(dir))?;
        let path = dir.join(name);
        OpenOptions::new()
            .read(true)
            .write(true)
            .append(append)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error(&path))
    }

    pub fn check_private(_dir: &Path, _name: &str) -> Result<(), CheckError> {
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_symlink_planted_as_the_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("x.lock")).unwrap();
        let e = open_private(dir.path(), "x.lock").unwrap_err();
        assert!(e.to_string().contains("it is a symbolic link"), "{e}");
        let e = check_private(dir.path(), "x.lock").unwrap_err();
        assert!(e.to_string().contains("it is a symbolic link"), "{e}");
    }

    #[test]
    fn a_symlink_planted_as_the_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::create_dir(&target).unwrap();
        let private = dir.path().join("locks");
        std::os::unix::fs::symlink(&target, &private).unwrap();
        let e = open_private(&private, "x.lock").unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(!target.join("x.lock").exists());
    }

    #[test]
    fn a_directory_writable_by_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = open_private(dir.path(), "x.lock").unwrap_err();
        assert!(
            e.to_string().contains("writable by others (mode 0777)"),
            "{e}"
        );
        assert!(!dir.path().join("x.lock").exists());
        assert!(check_private(dir.path(), "x.lock").is_err());
    }

    #[test]
    fn a_file_others_can_write_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        std::fs::write(&path, "").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o622)).unwrap();
        let e = append_private(dir.path(), "x.log").unwrap_err();
        assert!(
            e.to_string().contains("writable by others (mode 0622)"),
            "{e}"
        );
        assert!(check_private(dir.path(), "x.log").is_err());
    }

    #[test]
    fn appending_goes_to_the_end() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        append_private(dir.path(), "x.log")
            .unwrap()
            .write_all(b"a\n")
            .unwrap();
        append_private(dir.path(), "x.log")
            .unwrap()
            .write_all(b"b\n")
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("x.log")).unwrap(),
            "a\nb\n"
        );
    }

    #[test]
    fn missing_directories_are_created_private() {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("a/b");
        open_private(&private, "x.lock").unwrap();
        for d in [dir.path().join("a"), private.clone()] {
            let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", d.display());
        }
        let file = std::fs::metadata(private.join("x.lock")).unwrap();
        assert_eq!(file.permissions().mode() & 0o777, 0o600);
    }
}
