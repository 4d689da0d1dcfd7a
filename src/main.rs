//! `docker-credential-keyring`: parse the arguments, dispatch, print the outcome.

use clap::FromArgMatches;
use docker_credential_keyring::cli::classify::{Invocation, classify};
use docker_credential_keyring::cli::{Cli, Command, help, plugin};
use docker_credential_keyring::commands::{self, ExitStatus};
use docker_credential_keyring::commands::{backends, completions, doctor, import, man, setup};
use docker_credential_keyring::hint::Hint;
use docker_credential_keyring::protocol::{self, Action, Error};
use docker_credential_keyring::settings::Settings;
use docker_credential_keyring::{backend, hardening, sync};
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    hardening::protect_process();
    // SAFETY: first thing in main, before any thread is started (nothing has run but
    // hardening's prctl/setrlimit), so nothing can read the environment concurrently. The
    // passphrase leaves the environment before anything can be spawned (pass, gpg, kubeconfig
    // exec plugins, other helpers): every child would inherit it.
    let settings = unsafe { Settings::take_from_env() };
    let mut argv = std::env::args_os();
    let argv0 = argv.next().unwrap_or_default();
    let mut args: Vec<_> = argv.collect();
    // Started as `kubectl-keyring`: kubectl's plugin, with only the people commands.
    let plugin = plugin::is_plugin(Some(&argv0));
    let command = if plugin {
        plugin::plugin_command
    } else {
        help::command
    };
    let invocation = if plugin {
        let _ = PROGRAM.set(plugin::PLUGIN_DISPLAY);
        match plugin::classify_plugin(&mut args) {
            Ok(invocation) => invocation,
            Err(line) => return usage_error(&line),
        }
    } else {
        classify(&args)
    };
    let (out, err) = (&mut std::io::stdout().lock(), &mut std::io::stderr());
    match invocation {
        Invocation::Usage => say(Channel::Stdout, &protocol::usage_line(), None),
        Invocation::Help => print_help(command()),
        Invocation::Man(dir) => exit(man::run(&man::Options { dir }, &settings, out, err)),
        Invocation::Unknown { word, meant } => {
            usage_error(&Invocation::unknown_line(&word, meant.as_deref()))
        }
        Invocation::Protocol(action) => run_action(action, &settings, None),
        Invocation::Cli => run_command(command(), argv0, args, &settings, out, err),
    }
}

/// A command clap parses: a protocol action given options, or a people command.
fn run_command(
    command: clap::Command,
    argv0: OsString,
    args: Vec<OsString>,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    let matches = command.get_matches_from(std::iter::once(argv0).chain(args));
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let backend = cli.backend();
    let s = settings;
    match &cli.command {
        Command::Store(_) => run_action(Action::Store, s, backend),
        Command::Get(_) => run_action(Action::Get, s, backend),
        Command::Erase(_) => run_action(Action::Erase, s, backend),
        Command::List(_) => run_action(Action::List, s, backend),
        Command::Version => run_action(Action::Version, s, backend),
        Command::Setup(a) => exit(setup::run(&a.options(backend), s, out, err)),
        Command::Import(a) => exit(import::run(&a.options(backend), s, out, err)),
        Command::Doctor(a) => exit(doctor::run(&a.options(backend), s, out, err)),
        Command::Backends(a) => exit(backends::run(&a.options(backend), s, out, err)),
        Command::Completions(a) => exit(completions::run(&a.options(), s, out, err)),
        Command::Push(a) => exit(commands::push::run(&a.options(backend), s, out, err)),
        Command::Sync(a) => exit(commands::sync::run(&a.options(), s, out, err)),
        Command::Status(a) => exit(commands::status::run(&a.options(backend), s, out, err)),
    }
}

fn run_action(action: Action, settings: &Settings, backend_name: Option<&str>) -> ExitCode {
    let open = || backend::open(settings, backend_name).map_err(Error::from);
    let stdin_read = matches!(action, Action::Store | Action::Get | Action::Erase);
    if stdin_read && std::io::stdin().is_terminal() {
        // A person typed it: say what it waits for (clients always pipe stdin).
        let _ = writeln!(
            std::io::stderr(),
            "reading {} from stdin; end with Ctrl-D (docker-credential-keyring {} --help)",
            if action == Action::Store {
                "{\"ServerURL\":…,\"Username\":…,\"Secret\":…}"
            } else {
                "a server URL"
            },
            action.name(),
        );
    }
    let result = protocol::run_reporting(
        action,
        open,
        &mut std::io::stdin().lock(),
        &mut std::io::stdout().lock(),
    );
    match result {
        Ok(stored) => {
            if let Some(server) = stored {
                // Opt-in, detached, and unable to fail the store.
                sync::after_store(settings, &server);
            }
            ExitCode::SUCCESS
        }
        // The answer could not be written: stdout is gone, so there is nowhere to say so.
        Err(Error::Stdout(_)) => ExitCode::FAILURE,
        Err(e) => fail(Channel::Stdout, &e),
    }
}

/// The name errors are prefixed with: the helper's, or `kubectl keyring` as kubectl's plugin.
static PROGRAM: std::sync::OnceLock<&str> = std::sync::OnceLock::new();

/// Where a command's errors go: a convention per command, kept byte for byte.
#[derive(Debug, Clone, Copy)]
enum Channel {
    /// The protocol's error channel: the line on stdout (clients parse it), the longer remedy
    /// before it on stderr.
    Stdout,
    /// The people-facing commands (push, sync, setup, import, man): `docker-credential-keyring:
    /// LINE` on stderr, then the remedy, so stdout carries only results (`push -o yaml |
    /// kubectl apply -f -` never feeds an error to kubectl).
    Stderr,
}

/// The one error renderer: `e`'s line and its [`Hint`] on `channel`, exit status 1.
fn fail(channel: Channel, e: &dyn Hint) -> ExitCode {
    say(channel, &e.to_string(), e.hint())
}

/// A line (and a longer remedy) on `channel`, exit status 1.
fn say(channel: Channel, line: &str, hint: Option<String>) -> ExitCode {
    let mut stderr = std::io::stderr();
    match channel {
        Channel::Stdout => {
            if let Some(hint) = hint {
                let _ = writeln!(stderr, "{hint}");
            }
            let _ = writeln!(std::io::stdout(), "{line}");
        }
        Channel::Stderr => {
            let program = PROGRAM
                .get()
                .unwrap_or(&docker_credential_keyring::BINARY_NAME);
            let _ = writeln!(stderr, "{program}: {line}");
            if let Some(hint) = hint {
                let _ = writeln!(stderr, "{hint}");
            }
        }
    }
    ExitCode::FAILURE
}

/// A bad command line: the line on stderr, exit status 2.
fn usage_error(line: &str) -> ExitCode {
    say(Channel::Stderr, line, None);
    ExitCode::from(2)
}

/// The help, exit status 0: a help that cannot be written has nowhere to say so.
fn print_help(mut command: clap::Command) -> ExitCode {
    let _ = command.print_help();
    ExitCode::SUCCESS
}

/// A people command's result: its exit status, or its error rendered on stderr.
fn exit(result: Result<ExitStatus, impl Hint>) -> ExitCode {
    match result {
        Ok(ExitStatus::Success) => ExitCode::SUCCESS,
        Ok(ExitStatus::Failure) => ExitCode::FAILURE,
        Err(e) => fail(Channel::Stderr, &e),
    }
}
