//! Warnings, notes and progress lines on stderr: every non-fatal message goes through here, so
//! the prefix follows one rule (fatal errors are rendered once, by `main`, from a
//! [`crate::hint::Hint`]).
//!
//! The rule: where stderr is shared with other programs' output (the helper run by docker, a
//! backend, `push` and `sync` run from scripts, timers and pipelines such as `push -o yaml |
//! kubectl apply -f -`) a line names the program, and the command when there is one:
//! `docker-credential-keyring: push: warning: …`. The commands a person runs at a terminal and
//! reads as a report (`setup`, `import`) say only `warning: …` / `note: …`. A message that cannot
//! be written has nowhere to say so, and never fails the command.

use std::fmt;
use std::io::Write;

/// Who speaks, which decides the prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    /// The program itself, outside any command (the helper path, a backend).
    Program,
    /// A command whose stderr is shared (`push`, `sync`): the program and the command.
    Command(&'static str),
    /// A command read as a report at a terminal (`setup`, `import`): no prefix.
    Report,
}

/// How a message ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Something the user may want to act on; the command went on.
    Warning,
    /// Something worth knowing.
    Note,
    /// Progress or an outcome: no level word.
    Info,
}

/// The prefix of a line from `speaker` at `level`.
pub fn prefix(speaker: Speaker, level: Level) -> String {
    let mut p = match speaker {
        Speaker::Program => format!("{}: ", crate::BINARY_NAME),
        Speaker::Command(c) => format!("{}: {c}: ", crate::BINARY_NAME),
        Speaker::Report => String::new(),
    };
    p.push_str(match level {
        Level::Warning => "warning: ",
        Level::Note => "note: ",
        Level::Info => "",
    });
    p
}

/// Write one line from `speaker` at `level` to `err`.
pub fn say(err: &mut dyn Write, speaker: Speaker, level: Level, text: fmt::Arguments) {
    let _ = writeln!(err, "{}{text}", prefix(speaker, level));
}

/// A warning line.
pub fn warning(err: &mut dyn Write, speaker: Speaker, text: fmt::Arguments) {
    say(err, speaker, Level::Warning, text);
}

/// A note line.
pub fn note(err: &mut dyn Write, speaker: Speaker, text: fmt::Arguments) {
    say(err, speaker, Level::Note, text);
}

/// A progress or outcome line.
pub fn info(err: &mut dyn Write, speaker: Speaker, text: fmt::Arguments) {
    say(err, speaker, Level::Info, text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_prefix_rule() {
        let line = |speaker, level| {
            let mut out = Vec::new();
            say(&mut out, speaker, level, format_args!("x"));
            String::from_utf8(out).unwrap()
        };
        assert_eq!(
            line(Speaker::Command("push"), Level::Warning),
            "docker-credential-keyring: push: warning: x\n"
        );
        assert_eq!(
            line(Speaker::Command("sync"), Level::Info),
            "docker-credential-keyring: sync: x\n"
        );
        assert_eq!(
            line(Speaker::Program, Level::Warning),
            "docker-credential-keyring: warning: x\n"
        );
        assert_eq!(line(Speaker::Report, Level::Note), "note: x\n");
    }
}
