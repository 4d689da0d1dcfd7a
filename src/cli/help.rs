//! The help: the commands grouped for the reader (those docker runs, then those people run) and
//! each command's examples.

use super::Cli;
use crate::protocol::Action;

/// The clap command, with its commands grouped for the reader in the help: those docker runs,
/// then those people run. Parse with this rather than `Cli::parse`.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let cmd = Cli::command();
    let (mut docker, mut people) = (String::new(), String::new());
    for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
        let name = sub.get_name();
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        let group = if Action::from_arg(name).is_some() {
            &mut docker
        } else {
            &mut people
        };
        group.push_str(&listing_line(name, &about));
    }
    people.push_str(&listing_line(
        "help",
        "Print this help, or a command's (also COMMAND --help)",
    ));
    let mut cmd = cmd;
    for (name, _) in EXAMPLES {
        cmd = cmd.mut_subcommand(name, |sub| {
            let examples = examples_text(name).unwrap_or_default();
            let long = match sub.get_after_help() {
                Some(after) => format!("{after}\n\n{examples}"),
                None => examples,
            };
            sub.after_long_help(long)
        });
    }
    cmd.help_template(format!(
        "{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n\
         Commands docker runs (JSON over stdin and stdout):\n{docker}\n\
         Commands for people:\n{people}\n\
         Options:\n{{options}}{{after-help}}"
    ))
}

/// Examples, per command: in its `--help` (not `-h`) and its man page. tests/it/cli.rs parses each
/// one with this definition, so none can name an option that does not exist.
pub const EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    (
        "store",
        &[(
            "Store a credential as docker login does (docker runs this itself)",
            r#"printf '{"ServerURL":"ghcr.io","Username":"me","Secret":"TOKEN"}' | docker-credential-keyring store"#,
        )],
    ),
    (
        "get",
        &[(
            "Read it back (the server URL on stdin)",
            "printf ghcr.io | docker-credential-keyring get",
        )],
    ),
    (
        "erase",
        &[(
            "Forget it",
            "printf ghcr.io | docker-credential-keyring erase",
        )],
    ),
    (
        "list",
        &[(
            "Every stored server and its username, from the pass backend",
            "docker-credential-keyring list --backend pass",
        )],
    ),
    ("version", &[("", "docker-credential-keyring version")]),
    (
        "setup",
        &[
            (
                "Make docker use the keychain for every registry",
                "docker-credential-keyring setup",
            ),
            (
                "Only for one registry",
                "docker-credential-keyring setup --registry ghcr.io",
            ),
        ],
    ),
    (
        "import",
        &[
            (
                "See what would move out of config.json",
                "docker-credential-keyring import --dry-run",
            ),
            (
                "Copy podman's logins",
                "docker-credential-keyring import --from",
            ),
            (
                "Copy what Docker's pass helper holds",
                "docker-credential-keyring import --from-helper pass",
            ),
        ],
    ),
    ("doctor", &[("", "docker-credential-keyring doctor")]),
    (
        "backends",
        &[("", "docker-credential-keyring backends --json")],
    ),
    (
        "completions",
        &[(
            "bash, for the current user",
            "docker-credential-keyring completions bash > ~/.local/share/bash-completion/completions/docker-credential-keyring",
        )],
    ),
    (
        "push",
        &[
            (
                "ghcr.io's credential into namespace apps",
                "docker-credential-keyring push ghcr.io -n apps",
            ),
            (
                "… and make the default service account use it",
                "docker-credential-keyring push ghcr.io -n apps --service-account default",
            ),
            (
                "Only print the Secret",
                "docker-credential-keyring push ghcr.io --dry-run -o yaml",
            ),
            (
                "A fresh ECR token from Amazon's helper, saved for sync",
                "docker-credential-keyring push --from helper:ecr-login ACCOUNT.dkr.ecr.REGION.amazonaws.com --save",
            ),
            (
                "Remove it again",
                "docker-credential-keyring push --delete -n apps",
            ),
        ],
    ),
    (
        "sync",
        &[
            (
                "Run every saved push once",
                "docker-credential-keyring sync",
            ),
            (
                "In the foreground, every 30 minutes",
                "docker-credential-keyring sync --every 30m",
            ),
            (
                "What is saved and how it last went",
                "docker-credential-keyring sync --list",
            ),
        ],
    ),
    (
        "status",
        &[
            (
                "Every saved push's Secrets: current, stale, expired or missing",
                "docker-credential-keyring status",
            ),
            (
                "Namespace apps of the current context, with service accounts and saved pushes",
                "docker-credential-keyring status -n apps -o wide",
            ),
            (
                "Every namespace, for scripts",
                "docker-credential-keyring status -A -o json",
            ),
        ],
    ),
];

/// [`EXAMPLES`] of `command` as help text.
fn examples_text(command: &str) -> Option<String> {
    let (_, examples) = EXAMPLES.iter().find(|(c, _)| *c == command)?;
    let mut text = String::from("Examples:");
    for (what, line) in *examples {
        if !what.is_empty() {
            text.push_str(&format!("\n  # {what}"));
        }
        text.push_str(&format!("\n  {line}"));
    }
    Some(text)
}

/// `  NAME         ABOUT`, the about wrapped under itself at 100 columns.
pub(super) fn listing_line(name: &str, about: &str) -> String {
    const INDENT: usize = 16;
    const WIDTH: usize = 100;
    let mut out = format!("  {name:<width$}", width = INDENT - 2);
    let mut column = INDENT;
    for word in about.split_whitespace() {
        if column > INDENT && column + 1 + word.len() > WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(INDENT));
            column = INDENT;
        } else if column > INDENT {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += word.chars().count();
    }
    out.push('\n');
    out
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_groups_the_commands_docker_runs_apart_from_those_people_run() {
        let help = command().render_help().to_string();
        let docker = help.find("Commands docker runs").unwrap();
        let people = help.find("Commands for people").unwrap();
        let options = help.find("Options:").unwrap();
        assert!(docker < people && people < options, "{help}");
        for action in ["store", "get", "erase", "list", "version"] {
            let at = help.find(&format!("\n  {action} ")).unwrap();
            assert!(docker < at && at < people, "{action}: {help}");
        }
        for command in ["setup", "push", "sync", "doctor", "help"] {
            let at = help.find(&format!("\n  {command} ")).unwrap();
            assert!(people < at && at < options, "{command}: {help}");
        }
        assert!(!help.contains("\n  man "), "{help}");
    }

    #[test]
    fn every_example_parses_and_every_command_has_one() {
        use clap::CommandFactory;
        for (name, examples) in EXAMPLES {
            assert!(!examples.is_empty(), "{name}");
            for (_, line) in *examples {
                let ours = line.rsplit('|').next().unwrap().trim();
                let ours = ours.split(" > ").next().unwrap();
                let words: Vec<&str> = ours.split_whitespace().collect();
                assert_eq!(words[1..].first(), Some(name), "{line}");
                if let Err(e) = command().try_get_matches_from(&words) {
                    panic!("{line}: {e}");
                }
            }
        }
        for sub in Cli::command().get_subcommands() {
            assert!(
                EXAMPLES.iter().any(|(n, _)| *n == sub.get_name()),
                "{} has no example",
                sub.get_name()
            );
        }
    }
}
