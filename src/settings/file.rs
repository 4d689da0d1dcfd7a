//! Our config file (the backend choice, `sync_on_store`) and the platform directories where
//! our data lives.
//!
//! `~/.config/docker-credential-keyring/config.json` on Linux (`$XDG_CONFIG_HOME` respected),
//! `~/Library/Application Support/docker-credential-keyring/config.json` on macOS,
//! `%APPDATA%\docker-credential-keyring\config\config.json` on Windows. It holds the backend
//! (`{"backend": "pass"}`) and `sync_on_store`. A missing file means defaults; a file that
//! cannot be read or parsed is an error naming it (a typo must not silently pick another
//! keychain). Only the actions that open a keychain read it, through
//! [`crate::settings::Settings::config`]: `version` and `--help` never do.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The application's directories (config, data), from the platform conventions.
pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", crate::BINARY_NAME)
}

/// Where our state (the background sync's log) lives: `$XDG_STATE_HOME/docker-credential-keyring`
/// on Linux, the local data directory elsewhere.
pub fn state_dir() -> Option<PathBuf> {
    project_dirs().map(|d| {
        d.state_dir()
            .unwrap_or_else(|| d.data_local_dir())
            .to_path_buf()
    })
}

/// Our config file's name, in the platform config directory.
pub const FILE_NAME: &str = "config.json";

/// Where the config file is, when the platform has a home directory.
pub fn config_path() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join(FILE_NAME))
}

/// The settings in the config file.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The backend name, as for `--backend`.
    #[serde(default)]
    pub backend: Option<String>,
    /// After a successful `store` for a registry a saved push includes, run that push in the
    /// background (`sync --only ID…`, detached, logged in the state directory).
    #[serde(default)]
    pub sync_on_store: bool,
}

/// The config file could not be used. `Clone`, so the settings can hand out the one outcome of
/// reading it to every caller.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error(
        "the config file {path} is not valid ({reason}): write it as {{\"backend\": \"NAME\", \"sync_on_store\": true}} (both optional) or delete it"
    )]
    Parse { path: PathBuf, reason: String },
}

/// The one line already names the fix.
impl crate::hint::Hint for Error {}

/// The config file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the config file {path}: {reason}")]
pub struct WriteError {
    pub path: PathBuf,
    pub reason: String,
}

/// Record `backend` in the config file at `path` (created 0600 in a 0700 directory when
/// missing), keeping every other setting in it; returns whether the file changed.
pub fn save_backend(path: &Path, backend: &str) -> Result<bool, WriteError> {
    let failed = |reason: String| WriteError {
        path: path.to_owned(),
        reason,
    };
    let mut value = match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str::<serde_json::Value>(&text)
            .map_err(|e| failed(format!("it is not JSON ({e}); fix or delete it")))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => serde_json::json!({}),
        Err(e) => return Err(failed(e.to_string())),
    };
    let object = value
        .as_object_mut()
        .ok_or_else(|| failed("it is not a JSON object; fix or delete it".into()))?;
    if object.get("backend").and_then(|b| b.as_str()) == Some(backend) {
        return Ok(false);
    }
    object.insert("backend".into(), backend.into());
    let mut text = serde_json::to_string_pretty(&value).expect("JSON serializes");
    text.push('\n');
    crate::fs::create_private_dir(&crate::fs::parent_dir(path))
        .map_err(|e| failed(e.to_string()))?;
    crate::fs::replace(path, text.as_bytes(), 0o600, None).map_err(|e| failed(e.to_string()))?;
    Ok(true)
}

impl Config {
    /// The settings in the file at `path`; defaults when it does not exist.
    pub fn load_from(path: &Path) -> Result<Config, Error> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(source) => {
                return Err(Error::Read {
                    path: path.to_owned(),
                    source: Arc::new(source),
                });
            }
        };
        serde_json::from_str(&text).map_err(|e| Error::Parse {
            path: path.to_owned(),
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saving_the_backend_keeps_the_other_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/config.json");
        assert!(save_backend(&path, "file").unwrap());
        assert_eq!(
            Config::load_from(&path).unwrap().backend.as_deref(),
            Some("file")
        );
        std::fs::write(&path, r#"{"sync_on_store": true, "backend": "pass"}"#).unwrap();
        assert!(save_backend(&path, "keyutils").unwrap());
        let config = Config::load_from(&path).unwrap();
        assert_eq!(config.backend.as_deref(), Some("keyutils"));
        assert!(config.sync_on_store);
        assert!(!save_backend(&path, "keyutils").unwrap());
        std::fs::write(&path, "[1]").unwrap();
        assert!(save_backend(&path, "file").is_err());
    }

    #[test]
    fn parses_backend_and_rejects_typos() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        assert_eq!(Config::load_from(&path).unwrap(), Config::default());
        std::fs::write(&path, r#"{"backend":"pass"}"#).unwrap();
        assert_eq!(
            Config::load_from(&path).unwrap().backend.as_deref(),
            Some("pass")
        );
        std::fs::write(&path, r#"{"backnd":"pass"}"#).unwrap();
        let e = Config::load_from(&path).unwrap_err().to_string();
        assert!(e.contains("config.json") && e.contains("backnd"), "{e}");
        std::fs::write(&path, "{").unwrap();
        assert!(Config::load_from(&path).is_err());
    }
}
