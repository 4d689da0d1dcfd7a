//! The `sync` command: run the saved pushes again ([`crate::sync::run`]), list them, or forget
//! one.

use super::ExitStatus;
use crate::settings::Settings;
use std::io::Write;

/// What `sync` is asked to do.
#[derive(Debug, Clone)]
pub enum Options {
    /// Run the saved pushes (once, or every interval).
    Run(crate::sync::Options),
    /// `--list`: show each saved push.
    List,
    /// `--forget ID`: forget one (its Secrets stay in the clusters).
    Forget(u64),
}

/// Run, list or forget; each target's line says how a run went.
pub fn run(
    options: &Options,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, crate::sync::Error> {
    match options {
        Options::Run(o) => crate::sync::run(o, settings, out, err).map(ExitStatus::from),
        Options::List => crate::sync::list(settings, out, err).map(|()| ExitStatus::Success),
        Options::Forget(id) => {
            crate::sync::forget(settings, *id, out).map(|()| ExitStatus::Success)
        }
    }
}
