//! The `status` command: what push put in each cluster and why a pod cannot pull
//! ([`crate::status`]).

use super::ExitStatus;
use crate::settings::Settings;
use std::io::Write;

/// Look, and say what needs attention (exit status 1) or that nothing does.
pub fn run(
    options: &crate::status::Options,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, crate::status::Error> {
    Ok(match crate::status::run(options, settings, out, err)? {
        crate::status::Outcome::AllCurrent => ExitStatus::Success,
        crate::status::Outcome::NeedsAttention => ExitStatus::Failure,
    })
}
