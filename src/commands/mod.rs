//! The commands people run, one module each, all of one shape:
//! `run(&Options, &Settings, out, err) -> Result<ExitStatus, impl Hint>`. The protocol actions
//! docker runs are [`crate::protocol`]; [`push`] and [`sync`] here are the commands over the
//! [`crate::push`] and [`crate::sync`] subsystems.

pub mod backends;
pub mod completions;
pub mod doctor;
pub mod import;
pub mod man;
pub mod push;
pub mod setup;
pub mod status;
pub mod sync;

/// How a command that did not fail outright ended; its error, when it did, is rendered by
/// `main` from the [`crate::hint::Hint`] it returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Exit status 0.
    Success,
    /// Exit status 1, already explained on the command's output (a failed target, an unhealthy
    /// diagnosis), or with nowhere left to explain it (stdout closed).
    Failure,
}

impl From<crate::push::Outcome> for ExitStatus {
    fn from(outcome: crate::push::Outcome) -> ExitStatus {
        match outcome {
            crate::push::Outcome::AllDone => ExitStatus::Success,
            crate::push::Outcome::SomeFailed => ExitStatus::Failure,
        }
    }
}
