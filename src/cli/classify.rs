//! Sort argv into what it asks for before clap runs: the protocol actions docker sends (byte-exact
//! usage and unknown-action lines, and a helper path that never builds the clap command), the
//! hidden `man`, a misspelt command, or anything else for clap.

use super::Cli;
use crate::protocol::Action;
use std::ffi::OsString;
use std::path::PathBuf;

/// What an argument vector asks for.
#[derive(Debug)]
pub enum Invocation {
    /// A protocol action, as docker runs it: exactly one argument.
    Protocol(Action),
    /// No argument at all: a person exploring; the help, on stdout, exit 0.
    Help,
    /// A protocol action followed by more than options (never what a client sends): the
    /// protocol's usage line, exit 1.
    Usage,
    /// `man DIR`: write the man pages (packaging/generate-assets.sh refreshes man/ with it).
    /// Kept out of clap so that no help, completion or man page offers it.
    Man(PathBuf),
    /// A first word that is no command: said on stderr with what was meant, exit 2.
    Unknown { word: String, meant: Option<String> },
    /// Anything else: parse with clap.
    Cli,
}

/// Sort an argument vector (without the program name) into an [`Invocation`].
pub fn classify(args: &[OsString]) -> Invocation {
    let first = match args.first() {
        None => return Invocation::Help,
        Some(a) => a.to_string_lossy(),
    };
    if let Some(action) = Action::from_arg(&first) {
        if args.len() == 1 {
            return Invocation::Protocol(action);
        }
        // `get --help`, `list --backend pass`: a person's options, for clap. Anything else
        // after an action is not what a client sends.
        let options_follow = args[1..].iter().any(|a| {
            let a = a.to_string_lossy();
            a == "-h" || a == "--help" || a == "--backend" || a.starts_with("--backend=")
        });
        return if options_follow && !first.starts_with('-') {
            Invocation::Cli
        } else {
            Invocation::Usage
        };
    }
    if first == "man" && args.len() == 2 {
        return Invocation::Man(PathBuf::from(&args[1]));
    }
    if !first.starts_with('-') && first != "help" {
        let names = command_names();
        if !names.iter().any(|n| *n == first) {
            return Invocation::Unknown {
                meant: crate::suggest::closest(&first, names.iter().map(String::as_str))
                    .map(str::to_owned),
                word: first.into_owned(),
            };
        }
    }
    Invocation::Cli
}

/// Every command's name and alias (the hidden ones too).
pub(super) fn command_names() -> Vec<String> {
    use clap::CommandFactory;
    Cli::command()
        .get_subcommands()
        .flat_map(|c| std::iter::once(c.get_name()).chain(c.get_all_aliases()))
        .map(str::to_owned)
        .collect()
}

impl Invocation {
    /// The line for [`Invocation::Unknown`].
    pub fn unknown_line(word: &str, meant: Option<&str>) -> String {
        let word = crate::untrusted::line(word, 60);
        match meant {
            Some(m) => format!(
                "unknown command '{word}': did you mean '{m}'? (--help lists every command)"
            ),
            None => format!("unknown command '{word}': --help lists every command"),
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn classification() {
        assert!(matches!(classify(&args(&[])), Invocation::Help));
        assert!(matches!(
            classify(&args(&["get"])),
            Invocation::Protocol(Action::Get)
        ));
        assert!(matches!(classify(&args(&["get", "x"])), Invocation::Usage));
        assert!(matches!(
            classify(&args(&["get", "--help"])),
            Invocation::Cli
        ));
        assert!(matches!(
            classify(&args(&["list", "--backend", "pass"])),
            Invocation::Cli
        ));
        assert!(matches!(
            classify(&args(&["--version", "--help"])),
            Invocation::Usage
        ));
        for version in ["--version", "-v", "-V", "version"] {
            assert!(matches!(
                classify(&args(&[version])),
                Invocation::Protocol(Action::Version)
            ));
        }
        assert!(matches!(
            classify(&args(&["GET"])),
            Invocation::Unknown { meant: Some(m), .. } if m == "get"
        ));
        assert!(matches!(
            classify(&args(&["docter", "--json"])),
            Invocation::Unknown { meant: Some(m), .. } if m == "doctor"
        ));
        assert!(matches!(classify(&args(&["push", "x"])), Invocation::Cli));
        assert!(matches!(classify(&args(&["--help"])), Invocation::Cli));
        assert!(matches!(classify(&args(&["help"])), Invocation::Cli));
        assert!(matches!(classify(&args(&["man", "d"])), Invocation::Man(_)));
        assert!(matches!(
            classify(&args(&["--backend", "pass", "get"])),
            Invocation::Cli
        ));
    }
}
