//! The helper's error: what `store`, `get`, `erase` and `list` can fail with, as one line.
//!
//! The `Display` text of each variant is what the helper prints on stdout (the protocol's error
//! channel), so it never contains a secret. Its [`Hint`] is an optional longer remedy that
//! goes to stderr, which clients leave on the user's terminal.

use crate::backend;
use crate::hint::Hint;

/// Docker treats this as "no credentials": an anonymous pull, or a login prompt. The reference
/// helpers print it too, so [`super::client`] reads it back from them (docs/protocol.md §2).
pub const NOT_FOUND: &str = "credentials not found in native keychain";
/// `store`, `get` or `erase` with an empty server URL.
pub const NO_SERVER_URL: &str = "no credentials server URL";
/// `store` with an empty username.
pub const NO_USERNAME: &str = "no credentials username";

/// Everything a protocol action can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{NOT_FOUND}")]
    NotFound,
    #[error("{NO_SERVER_URL}")]
    MissingServerUrl,
    #[error("{NO_USERNAME}")]
    MissingUsername,
    #[error("input on stdin exceeds {limit} bytes: send {expected}")]
    InputTooLarge {
        limit: usize,
        /// What the action reads.
        expected: &'static str,
    },
    #[error(
        "invalid credentials on stdin ({reason}): send {{\"ServerURL\":…,\"Username\":…,\"Secret\":…}}"
    )]
    BadInput { reason: String },
    #[error("cannot read stdin: {0}")]
    Stdin(#[source] std::io::Error),
    #[error("cannot write the answer to stdout: {0}")]
    Stdout(#[source] std::io::Error),
    #[error(transparent)]
    Backend(#[from] backend::Error),
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Error::Backend(e) => Hint::hint(e),
            _ => None,
        }
    }
}

/// Result with the protocol's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
