//! The `push` command: one push ([`crate::push`]), or with `--save` a push recorded for `sync`
//! ([`crate::sync::push_and_save`]).

use super::ExitStatus;
use crate::settings::Settings;
use crate::sync::SaveError;
use std::io::Write;

/// What `push` is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The push itself.
    pub push: crate::push::Options,
    /// Record it, so that `sync` runs it again.
    pub save: bool,
}

/// Run the push (and save it); each target's line says how it went.
pub fn run(
    options: &Options,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, SaveError> {
    let outcome = if options.save {
        crate::sync::push_and_save(&options.push, settings, out, err)?
    } else if options.push.delete {
        // A saved push's target deleted is taken out of that saved push first, so no sync
        // (or watch) puts it back.
        crate::sync::delete_and_unsave(&options.push, settings, out, err)?
    } else {
        crate::push::run(&options.push, settings, out, err)?
    };
    Ok(outcome.into())
}
