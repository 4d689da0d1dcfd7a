//! What can go wrong in a backend, and the remedy for each ([`crate::hint::Hint`]), from the data
//! the error carries and the backends' facts ([`Kind`]).

use super::file;
#[cfg(target_os = "macos")]
use super::keychain;
#[cfg(target_os = "linux")]
use super::keyutils;
use super::kind::{Kind, UnknownBackend};
use super::pass;
#[cfg(windows)]
use super::wincred;
use crate::hint::Hint;
use crate::settings::BACKEND_ENV;
use std::path::PathBuf;

/// Why a backend could not do what was asked. The `Display` text is one line naming the cause
/// and the fix; it never holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The named backend is not one we know; where the choice came from, for the hint.
    #[error("{unknown}")]
    UnknownBackend {
        unknown: UnknownBackend,
        config_path: Option<PathBuf>,
    },
    /// The store lock cannot be used safely, or another helper held it too long: nothing was
    /// done.
    #[error(transparent)]
    Lock(#[from] crate::store_lock::Error),
    /// The backend exists but cannot be used on this platform or build.
    #[error("the {kind} backend is not available here: {reason}")]
    Unavailable { kind: Kind, reason: String },
    /// The encrypted-file backend failed.
    #[error(transparent)]
    File(file::Error),
    /// `auto` found no usable backend.
    #[error("{0}")]
    NothingUsable(NothingUsable),
    /// The config file is unreadable or invalid.
    #[error(transparent)]
    Config(#[from] crate::settings::file::Error),
    /// The secret-service backend failed.
    #[error(transparent)]
    SecretService(#[from] super::secret_service::Error),
    /// The `pass` backend failed.
    #[error(transparent)]
    Pass(#[from] pass::Error),
    /// The kernel keyring backend failed.
    #[cfg(target_os = "linux")]
    #[error(transparent)]
    Keyutils(#[from] keyutils::Error),
    /// The macOS Keychain backend failed.
    #[cfg(target_os = "macos")]
    #[error(transparent)]
    Keychain(#[from] keychain::Error),
    /// The Windows Credential Manager backend failed.
    #[cfg(windows)]
    #[error(transparent)]
    Wincred(#[from] wincred::Error),
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Error::File(e) => e.hint(),
            Error::NothingUsable(e) => Some(e.remedy()),
            Error::UnknownBackend { config_path, .. } => {
                let here: Vec<&str> = Kind::ALL
                    .iter()
                    .filter(|k| k.supported())
                    .map(|k| k.name())
                    .collect();
                Some(format!(
                    "hint: the backend comes from --backend, then {BACKEND_ENV}, then the config file ({}); \
                     backends on this platform: {}, auto",
                    config_path
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "none: no home directory".to_owned()),
                    here.join(", ")
                ))
            }
            Error::SecretService(e) => e.hint(),
            Error::Pass(e) => e.hint(),
            #[cfg(target_os = "linux")]
            Error::Keyutils(e) => e.hint(),
            #[cfg(target_os = "macos")]
            Error::Keychain(e) => e.hint(),
            #[cfg(windows)]
            Error::Wincred(e) => e.hint(),
            _ => None,
        }
    }
}

/// `auto` found nothing: why, for each candidate.
#[derive(Debug, Clone)]
pub struct NothingUsable {
    /// (backend, why it was passed over), in probe order.
    pub passed_over: Vec<(Kind, String)>,
    /// The config file, for the command that sets up `file`.
    pub config_path: Option<PathBuf>,
}

impl std::fmt::Display for NothingUsable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let candidates: Vec<&str> = self.passed_over.iter().map(|(k, _)| k.name()).collect();
        write!(
            f,
            "no usable keychain here (tried {}): set one up, or choose `file` (encrypted file, \
             passphrase) or `keyutils` (kernel keyring, lost at reboot) with --backend or {BACKEND_ENV}",
            candidates.join(", ")
        )
    }
}

impl NothingUsable {
    /// Why each was passed over, then one line per backend: the command that sets it up.
    pub fn remedy(&self) -> String {
        let mut out = String::from("Why each was passed over:\n");
        for (kind, why) in &self.passed_over {
            out.push_str(&format!("  {kind}: {why}\n"));
        }
        out.push_str("Set up one of them:\n");
        for kind in Kind::ALL.iter().filter(|k| k.supported()) {
            out.push_str(&format!("  {:<15} {}\n", kind.name(), kind.facts().setup));
        }
        out.push_str(
            "`docker-credential-keyring backends` shows what each keeps and for how long.",
        );
        out
    }
}
