//! Shell completion scripts, generated from the clap definition.

use super::ExitStatus;
use crate::settings::Settings;
use std::convert::Infallible;
use std::io::Write;

/// What `completions` is asked to do.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The shell to complete for.
    pub shell: clap_complete::Shell,
}

/// Print the script for the shell; one that cannot be written has nowhere to say so.
pub fn run(
    options: &Options,
    _settings: &Settings,
    out: &mut dyn Write,
    _err: &mut dyn Write,
) -> Result<ExitStatus, Infallible> {
    Ok(match write(options.shell, out) {
        Ok(()) => ExitStatus::Success,
        Err(_) => ExitStatus::Failure,
    })
}

/// Write the completion script for `shell` to `out`.
pub fn write(shell: clap_complete::Shell, out: &mut dyn Write) -> std::io::Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(
        shell,
        &mut crate::cli::help::command(),
        crate::BINARY_NAME,
        &mut script,
    );
    if shell == clap_complete::Shell::Bash {
        script = fix_bash_names(&script);
    }
    out.write_all(&script)
}

/// clap_complete 4.6 names each subcommand's state two ways when the binary's name has dashes:
/// its word loop sets `docker__credential__keyring__subcmd__push`, while the case that offers
/// push's options tests `docker__subcmd__credential__subcmd__keyring__subcmd__push`, so bash
/// completed no option of any subcommand. Use the loop's spelling in both.
fn fix_bash_names(script: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(script);
    let wrong = format!(
        "{}__subcmd__",
        crate::BINARY_NAME.replace('-', "__subcmd__")
    );
    let right = format!("{}__subcmd__", crate::BINARY_NAME.replace('-', "__"));
    text.replace(&wrong, &right).into_bytes()
}
