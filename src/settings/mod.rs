//! Our settings, read once at start into [`Settings`] and passed down by reference: every
//! `DOCKER_CREDENTIAL_KEYRING_*` variable, and our config file ([`file`]). No other
//! module reads these variables. The config file is loaded on first use only, because only the
//! actions that open a keychain need it (`version` and `--help` must work with a broken one).
//!
//! Values are kept as given; the module that uses one parses it, so an invalid value fails the
//! action that needs it, with the same message as ever, and nothing else.

pub mod file;

use crate::secret::Secret;
use file::Config;
use std::cell::OnceCell;
use std::path::{Path, PathBuf};

/// The backend to use (below `--backend`, above the config file).
pub const BACKEND_ENV: &str = "DOCKER_CREDENTIAL_KEYRING_BACKEND";
/// Seconds each Secret Service (D-Bus) call may take.
pub const TIMEOUT_ENV: &str = "DOCKER_CREDENTIAL_KEYRING_TIMEOUT";
/// Seconds an unlock prompt may stay unanswered.
pub const PROMPT_TIMEOUT_ENV: &str = "DOCKER_CREDENTIAL_KEYRING_PROMPT_TIMEOUT";
/// The `file` backend's passphrase, for scripts and CI.
pub const PASSPHRASE_ENV: &str = "DOCKER_CREDENTIAL_KEYRING_PASSPHRASE";
/// How long the `file` backend's derived key stays cached, in seconds (`0`: no cache).
pub const FILE_CACHE_SECONDS_ENV: &str = "DOCKER_CREDENTIAL_KEYRING_FILE_CACHE_SECONDS";
/// The name of the kernel keyring the `keyutils` backend keeps its keys in.
pub const KEYUTILS_KEYRING_ENV: &str = "DOCKER_CREDENTIAL_KEYRING_KEYUTILS_KEYRING";
/// The directory of the store lock instead of the per-user default.
pub const LOCK_DIR_ENV: &str = "DOCKER_CREDENTIAL_KEYRING_LOCK_DIR";
/// macOS: a prefix before every keychain item's server name (and earlier versions' service names).
pub const KEYCHAIN_SERVICE_ENV: &str = "DOCKER_CREDENTIAL_KEYRING_KEYCHAIN_SERVICE";
/// Seconds another credential helper (a source of `push --from`, `import --from-helper`) may
/// take to answer.
pub const HELPER_TIMEOUT_ENV: &str = "DOCKER_CREDENTIAL_KEYRING_HELPER_TIMEOUT";
/// Windows: a prefix before every target name (none by default: Docker's own target names).
pub const WINCRED_PREFIX_ENV: &str = "DOCKER_CREDENTIAL_KEYRING_WINCRED_PREFIX";

/// One of our variables, as the man page describes it.
pub struct Variable {
    pub name: &'static str,
    /// Plain text, one paragraph.
    pub doc: &'static str,
}

/// Every variable we read, in the order the man page lists them.
pub const VARIABLES: &[Variable] = &[
    Variable {
        name: BACKEND_ENV,
        doc: "the backend to use (below --backend, above the config file).",
    },
    Variable {
        name: TIMEOUT_ENV,
        doc: "seconds to wait for the keyring daemon before failing (default 5; when auto \
              probes the Secret Service, 2 unless this is set).",
    },
    Variable {
        name: PROMPT_TIMEOUT_ENV,
        doc: "seconds to wait for an unlock prompt to be answered (default 60).",
    },
    Variable {
        name: HELPER_TIMEOUT_ENV,
        doc: "seconds another credential helper read by push --from or import --from-helper, \
              or a kubeconfig exec plugin run by push, may take to answer before it is stopped \
              with every process it started (default 30).",
    },
    Variable {
        name: PASSPHRASE_ENV,
        doc: "the passphrase of the file backend (otherwise asked on the terminal, never on \
              stdin). Read once at start and removed from the environment, so no child process \
              (pass, gpg, exec plugins) inherits it.",
    },
    Variable {
        name: FILE_CACHE_SECONDS_ENV,
        doc: "Linux: how long the file backend keeps its derived key in the kernel keyring \
              (default 900, 0 never; elsewhere the key is never cached).",
    },
    Variable {
        name: KEYUTILS_KEYRING_ENV,
        doc: "the name of the kernel keyring the keyutils backend keeps its keys in.",
    },
    Variable {
        name: LOCK_DIR_ENV,
        doc: "the directory of the per-user lock that serializes store and erase, instead of \
              /run/user/<uid>/docker-credential-keyring (or ~/.cache/docker-credential-keyring, \
              on macOS ~/Library/Caches/docker-credential-keyring, the home directory taken \
              from the password database, not from HOME, which is used only for a uid the \
              database lacks; on Windows the local cache directory, %LOCALAPPDATA%). It must be \
              yours and writable only by you; every process must see the same value. When the \
              lock cannot be taken, store and erase fail instead of running unlocked.",
    },
    Variable {
        name: KEYCHAIN_SERVICE_ENV,
        doc: "macOS: a prefix before the server name of every keychain backend item (none by \
              default, so the items are Docker's own), and of the service names of earlier \
              versions' generic passwords instead of docker-credential-keyring: (a namespace of \
              their own, as the tests use).",
    },
    Variable {
        name: WINCRED_PREFIX_ENV,
        doc: "Windows: a prefix before every target name of the wincred backend (none by \
              default, so the target names are Docker's own).",
    },
];

/// Everything we were told: our variables as found at start, and the config file.
#[derive(Debug, Default)]
pub struct Settings {
    /// [`BACKEND_ENV`], when set and not empty.
    pub backend: Option<String>,
    /// [`TIMEOUT_ENV`], unparsed.
    pub timeout: Option<String>,
    /// [`PROMPT_TIMEOUT_ENV`], unparsed.
    pub prompt_timeout: Option<String>,
    /// [`HELPER_TIMEOUT_ENV`], unparsed.
    pub helper_timeout: Option<String>,
    /// [`PASSPHRASE_ENV`].
    pub passphrase: Option<Secret>,
    /// [`FILE_CACHE_SECONDS_ENV`], unparsed.
    pub file_cache_seconds: Option<String>,
    /// [`KEYUTILS_KEYRING_ENV`], when set and not empty.
    pub keyutils_keyring: Option<String>,
    /// [`LOCK_DIR_ENV`], when set and not empty.
    pub lock_dir: Option<PathBuf>,
    /// [`KEYCHAIN_SERVICE_ENV`], when set and not empty.
    pub keychain_service: Option<String>,
    /// [`WINCRED_PREFIX_ENV`], when set.
    pub wincred_prefix: Option<String>,
    /// Where our config file is, when the platform has a home directory.
    pub config_path: Option<PathBuf>,
    /// The config file, once loaded.
    config: OnceCell<Result<Config, file::Error>>,
}

impl Settings {
    /// Our variables as the environment has them now; the config file is not read yet.
    pub fn from_env() -> Settings {
        let text = |name| std::env::var(name).ok();
        let non_empty = |name| text(name).filter(|v: &String| !v.is_empty());
        Settings {
            backend: non_empty(BACKEND_ENV),
            timeout: std::env::var_os(TIMEOUT_ENV).map(|v| v.to_string_lossy().into_owned()),
            prompt_timeout: std::env::var_os(PROMPT_TIMEOUT_ENV)
                .map(|v| v.to_string_lossy().into_owned()),
            helper_timeout: text(HELPER_TIMEOUT_ENV),
            passphrase: text(PASSPHRASE_ENV).map(Secret::new),
            file_cache_seconds: text(FILE_CACHE_SECONDS_ENV),
            keyutils_keyring: non_empty(KEYUTILS_KEYRING_ENV),
            lock_dir: std::env::var_os(LOCK_DIR_ENV)
                .filter(|d| !d.is_empty())
                .map(PathBuf::from),
            keychain_service: non_empty(KEYCHAIN_SERVICE_ENV),
            wincred_prefix: text(WINCRED_PREFIX_ENV),
            config_path: file::config_path(),
            config: OnceCell::new(),
        }
    }

    /// [`Settings::from_env`], then [`PASSPHRASE_ENV`] leaves the environment, so that no
    /// child (pass, gpg, kubeconfig exec plugins, other helpers) inherits it.
    ///
    /// # Safety
    /// Changes the process environment: call it before any other thread exists.
    pub unsafe fn take_from_env() -> Settings {
        let settings = Settings::from_env();
        if std::env::var_os(PASSPHRASE_ENV).is_some() {
            // SAFETY: the caller guarantees no other thread reads the environment.
            unsafe { std::env::remove_var(PASSPHRASE_ENV) };
        }
        settings
    }

    /// The config file's settings (defaults when there is none), read on first use only.
    pub fn config(&self) -> Result<&Config, file::Error> {
        self.config
            .get_or_init(|| match &self.config_path {
                Some(path) => Config::load_from(path),
                None => Ok(Config::default()),
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Where the config file is, when there can be one.
    pub fn config_path(&self) -> Option<&Path> {
        self.config_path.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_file_is_read_once_and_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, r#"{"backend":"pass"}"#).unwrap();
        let settings = Settings {
            config_path: Some(path.clone()),
            ..Settings::default()
        };
        assert_eq!(settings.config().unwrap().backend.as_deref(), Some("pass"));
        std::fs::write(&path, "{").unwrap();
        assert_eq!(settings.config().unwrap().backend.as_deref(), Some("pass"));
        let broken = Settings {
            config_path: Some(path),
            ..Settings::default()
        };
        assert!(broken.config().is_err());
    }
}
