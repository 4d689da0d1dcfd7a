//! The crate's error type: every failure the user can see, as one line naming cause and fix.
//!
//! The `Display` text of each variant is what the helper prints on stdout (the protocol's error
//! channel), so it never contains a secret. Its [`Hint`] is an optional longer remedy that
//! goes to stderr, which clients leave on the user's terminal.

use crate::backend;

/// The three messages clients parse byte for byte (docs/protocol.md §2).
pub mod messages {
    /// Docker treats this as "no credentials": an anonymous pull, or a login prompt.
    pub const NOT_FOUND: &str = "credentials not found in native keychain";
    /// `store`, `get` or `erase` with an empty server URL.
    pub const NO_SERVER_URL: &str = "no credentials server URL";
    /// `store` with an empty username.
    pub const NO_USERNAME: &str = "no credentials username";
}

/// Everything that can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("credentials not found in native keychain")]
    NotFound,
    #[error("no credentials server URL")]
    MissingServerUrl,
    #[error("no credentials username")]
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

/// The longer remedy behind an error's one-line `Display`, printed on stderr. Every error a
/// command returns implements it, so `main` renders all of them one way.
pub trait Hint: std::error::Error {
    /// A remedy of one or more lines, when one helps.
    fn hint(&self) -> Option<String> {
        None
    }
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
