//! `kubectl keyring`: the same binary started as kubectl's plugin, with the people commands only
//! and kubectl's flags accepted before the command.

use super::Cli;
use super::classify::{Invocation, command_names};
use super::help::listing_line;
use crate::protocol::Action;
use std::ffi::OsString;

/// The name kubectl runs this binary under for `kubectl keyring` (a link or copy of it).
pub const PLUGIN_NAME: &str = "kubectl-keyring";
/// How people type the plugin: its name in help, usage and errors.
pub const PLUGIN_DISPLAY: &str = "kubectl keyring";
/// The commands `kubectl keyring` offers: the people commands. The protocol actions are
/// docker's; completions and man pages belong to the helper's own name.
const PLUGIN_COMMANDS: &[&str] = &[
    "push", "status", "sync", "setup", "import", "doctor", "backends",
];
/// kubectl's flags that take a value (passed through to a plugin as plain arguments).
const KUBECTL_FLAGS: &[&str] = &[
    "--context",
    "-n",
    "--namespace",
    "--kubeconfig",
    "--backend",
];

/// Whether argv[0]'s file name is [`PLUGIN_NAME`] (with or without `.exe`, any case).
pub fn is_plugin(argv0: Option<&std::ffi::OsStr>) -> bool {
    let name = argv0
        .and_then(|a| std::path::Path::new(a).file_name())
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.strip_suffix(".exe").unwrap_or(&name) == PLUGIN_NAME
}

/// [`super::classify::classify`] for `kubectl keyring`: only its commands, the protocol actions refused (the
/// line to print, exit 2). kubectl users write its flags first (`kubectl keyring -n apps push
/// ghcr.io`): they are moved after the command, where clap reads them.
pub fn classify_plugin(args: &mut Vec<OsString>) -> Result<Invocation, String> {
    let mut at = 0;
    while let Some(a) = args.get(at).map(|a| a.to_string_lossy()) {
        if !a.starts_with('-') {
            break;
        }
        at += if KUBECTL_FLAGS.contains(&&*a) { 2 } else { 1 };
    }
    let Some(word) = args.get(at).map(|a| a.to_string_lossy().into_owned()) else {
        return Ok(match args.first().map(|a| a.to_string_lossy()) {
            None => Invocation::Help,
            Some(v) if args.len() == 1 && Action::from_arg(&v) == Some(Action::Version) => {
                Invocation::Protocol(Action::Version)
            }
            Some(_) => Invocation::Cli,
        });
    };
    if PLUGIN_COMMANDS.contains(&word.as_str()) || word == "help" || word == "version" {
        if word == "version" && args.len() == 1 {
            return Ok(Invocation::Protocol(Action::Version));
        }
        let command = args.remove(at);
        args.insert(0, command);
        return Ok(Invocation::Cli);
    }
    let helper = crate::BINARY_NAME;
    if Action::from_arg(&word).is_some() {
        return Err(format!(
            "'{word}' is a credential-helper action for docker, not a {PLUGIN_DISPLAY} \
             command: run {helper} {word}"
        ));
    }
    if command_names().contains(&word) {
        return Err(format!(
            "'{word}' is not a {PLUGIN_DISPLAY} command: run {helper} {word}"
        ));
    }
    Ok(Invocation::Unknown {
        meant: crate::suggest::closest(&word, PLUGIN_COMMANDS.iter().copied()).map(str::to_owned),
        word,
    })
}

/// The clap command as `kubectl keyring`: its commands only (the others hidden, and refused by
/// [`classify_plugin`] before clap runs), every usage line saying `kubectl keyring …`.
pub fn plugin_command() -> clap::Command {
    use clap::CommandFactory;
    let mut cmd = Cli::command()
        .name(PLUGIN_NAME)
        .bin_name(PLUGIN_DISPLAY)
        .about(
            "Turn the registry credentials in the system keychain into Kubernetes pull \
             secrets, and keep them in sync",
        )
        .after_help(format!(
            "kubectl's --context, -n and --kubeconfig mean what they mean to kubectl. The \
             credential-helper actions docker runs (store, get, erase, list) are {}'s. Exit \
             status: 0 on success, 1 on any error, 2 for a bad command line. `{PLUGIN_DISPLAY} \
             COMMAND --help` shows a command's options.",
            crate::BINARY_NAME
        ));
    let mut listing = String::new();
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    for name in names {
        if PLUGIN_COMMANDS.contains(&name.as_str()) {
            let sub = cmd.find_subcommand(&name).expect("listed above");
            let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            listing.push_str(&listing_line(&name, &about));
        } else {
            cmd = cmd.mut_subcommand(&name, |s| s.hide(true));
        }
    }
    listing.push_str(&listing_line(
        "help",
        "Print this help, or a command's (also COMMAND --help)",
    ));
    cmd.help_template(format!(
        "{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\nCommands:\n{listing}\n\
         Options:\n{{options}}{{after-help}}"
    ))
}
#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_plugin_is_known_by_argv0s_file_name() {
        use std::ffi::OsStr;
        for yes in [
            "kubectl-keyring",
            "/usr/bin/kubectl-keyring",
            "KUBECTL-KEYRING.EXE",
            "C:/krew/bin/kubectl-keyring.exe",
        ] {
            assert!(is_plugin(Some(OsStr::new(yes))), "{yes}");
        }
        for no in [
            "docker-credential-keyring",
            "/opt/kubectl-keyring/docker-credential-keyring",
            "kubectl-keyring-dev",
            "",
        ] {
            assert!(!is_plugin(Some(OsStr::new(no))), "{no}");
        }
        assert!(!is_plugin(None));
    }

    #[test]
    fn plugin_classification() {
        let plugin = |a: &[&str]| {
            let mut v = args(a);
            classify_plugin(&mut v).map(|i| (i, v))
        };
        assert!(matches!(plugin(&[]), Ok((Invocation::Help, _))));
        for version in [&["version"][..], &["--version"], &["-V"]] {
            assert!(matches!(
                plugin(version),
                Ok((Invocation::Protocol(Action::Version), _))
            ));
        }
        for action in ["store", "get", "erase", "list"] {
            let line = plugin(&[action]).unwrap_err();
            assert!(line.contains("run docker-credential-keyring"), "{line}");
            assert!(plugin(&["--backend", "pass", action]).is_err());
        }
        assert!(plugin(&["completions", "bash"]).is_err());
        assert!(matches!(
            plugin(&["pusj"]),
            Ok((Invocation::Unknown { meant: Some(m), .. }, _)) if m == "push"
        ));
        // kubectl's flags before the command move after it, values kept in place.
        let (i, v) = plugin(&["-n", "apps", "--context", "c", "push", "ghcr.io"]).unwrap();
        assert!(matches!(i, Invocation::Cli));
        assert_eq!(
            v,
            args(&["push", "-n", "apps", "--context", "c", "ghcr.io"])
        );
        let (_, v) = plugin(&["--context=c", "sync"]).unwrap();
        assert_eq!(v, args(&["sync", "--context=c"]));
        assert!(matches!(plugin(&["--help"]), Ok((Invocation::Cli, _))));
        plugin_command().debug_assert();
    }
}
