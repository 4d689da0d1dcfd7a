//! Shell completion scripts, generated from the clap definition.

use crate::cli::Cli;
use clap::CommandFactory;
use std::io::Write;

/// Write the completion script for `shell` to `out`.
pub fn write(shell: clap_complete::Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut Cli::command(), crate::BINARY_NAME, out);
}
