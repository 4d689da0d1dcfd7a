//! The longer remedy behind an error's one-line `Display`: every error a command returns
//! implements [`Hint`], so `main` renders all of them one way.

/// The remedy printed on stderr after an error's line.
pub trait Hint: std::error::Error {
    /// A remedy of one or more lines, when one helps.
    fn hint(&self) -> Option<String> {
        None
    }
}

/// Commands that cannot fail with a message (a report that cannot be written has nowhere to
/// say so: they end with [`crate::commands::ExitStatus::Failure`]).
impl Hint for std::convert::Infallible {}
