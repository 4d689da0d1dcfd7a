//! `docker-credential-keyring`: parse the arguments, dispatch, print the outcome.

use clap::FromArgMatches;
use docker_credential_keyring::cli::classify::{Invocation, classify};
use docker_credential_keyring::cli::{Cli, Command, help, plugin};
use docker_credential_keyring::commands::{backends, completions, doctor, import, man, setup};
use docker_credential_keyring::hint::Hint;
use docker_credential_keyring::protocol::{self, Error};
use docker_credential_keyring::settings::Settings;
use docker_credential_keyring::{backend, hardening, push, sync};
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
            Err(line) => {
                say(Channel::Stderr, &line, None);
                return ExitCode::from(2);
            }
        }
    } else {
        classify(&args)
    };
    match invocation {
        Invocation::Usage => say(Channel::Stdout, &protocol::usage_line(), None),
        Invocation::Help => {
            // A help that cannot be written has nowhere to say so.
            let _ = command().print_help();
            ExitCode::SUCCESS
        }
        Invocation::Man(dir) => match man::write_all(&dir) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => say(
                Channel::Stderr,
                &format!("cannot write man pages to {}: {e}", dir.display()),
                None,
            ),
        },
        Invocation::Unknown { word, meant } => {
            say(
                Channel::Stderr,
                &Invocation::unknown_line(&word, meant.as_deref()),
                None,
            );
            ExitCode::from(2)
        }
        Invocation::Protocol(action) => run_action(action, &settings, None),
        Invocation::Cli => {
            let matches = command().get_matches_from(std::iter::once(argv0).chain(args));
            let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
            let backend = cli.backend().map(str::to_owned);
            let backend = backend.as_deref();
            if let Some(action) = cli.command.action() {
                return run_action(action, &settings, backend);
            }
            match cli.command {
                Command::Backends { json, .. } => {
                    let out = &mut std::io::stdout().lock();
                    // A report that cannot be written has nowhere to say so.
                    match backends::run(&settings, backend, json, out) {
                        Ok(_) => ExitCode::SUCCESS,
                        Err(_) => ExitCode::FAILURE,
                    }
                }
                Command::Completions { shell } => {
                    // A script that cannot be written has nowhere to say so.
                    match completions::write(shell, &mut std::io::stdout().lock()) {
                        Ok(()) => ExitCode::SUCCESS,
                        Err(_) => ExitCode::FAILURE,
                    }
                }
                Command::Push(args) => {
                    let options = args.options(backend);
                    let (out, err) = (&mut std::io::stdout().lock(), &mut std::io::stderr());
                    if args.save {
                        targets(
                            sync::push_and_save(&options, &settings, out, err),
                            Channel::Stderr,
                        )
                    } else {
                        targets(push::run(&options, &settings, out, err), Channel::Stderr)
                    }
                }
                Command::Sync(a) => {
                    let out = &mut std::io::stdout().lock();
                    let result = if a.list {
                        sync::list(&settings, out, &mut std::io::stderr())
                            .map(|()| push::Outcome::AllDone)
                    } else if let Some(id) = a.forget {
                        sync::forget(&settings, id, out).map(|()| push::Outcome::AllDone)
                    } else {
                        sync::run(&a.options(), &settings, out, &mut std::io::stderr())
                    };
                    targets(result, Channel::Stderr)
                }
                Command::Setup(a) => finish(
                    setup::run(
                        &a.options(backend),
                        &settings,
                        &mut std::io::stdout(),
                        &mut std::io::stderr(),
                    ),
                    Channel::Stderr,
                ),
                Command::Import(a) => finish(
                    import::run(
                        &a.options(backend),
                        &settings,
                        &mut std::io::stdout(),
                        &mut std::io::stderr(),
                    ),
                    Channel::Stderr,
                ),
                Command::Doctor(a) => {
                    let options = a.options(backend);
                    // The report says what is wrong; one it cannot write has nowhere to.
                    match doctor::run(&options, &settings, &mut std::io::stdout()) {
                        Ok(report) if report.healthy => ExitCode::SUCCESS,
                        _ => ExitCode::FAILURE,
                    }
                }
                Command::Store(_)
                | Command::Get(_)
                | Command::Erase(_)
                | Command::List(_)
                | Command::Version => {
                    unreachable!("protocol actions are dispatched above")
                }
            }
        }
    }
}

fn run_action(
    action: protocol::Action,
    settings: &Settings,
    backend_name: Option<&str>,
) -> ExitCode {
    let open = || backend::open(settings, backend_name).map_err(Error::from);
    let stdin_read = matches!(
        action,
        protocol::Action::Store | protocol::Action::Get | protocol::Action::Erase
    );
    if stdin_read && std::io::stdin().is_terminal() {
        // A person typed it: say what it waits for (clients always pipe stdin).
        let _ = writeln!(
            std::io::stderr(),
            "reading {} from stdin; end with Ctrl-D (docker-credential-keyring {} --help)",
            if action == protocol::Action::Store {
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

/// The result of a command that works on targets (push, sync): each failed target's line said
/// why, so only an error that stopped the whole run is rendered, on `channel`.
fn targets(result: Result<push::Outcome, impl Hint>, channel: Channel) -> ExitCode {
    match result {
        Ok(push::Outcome::AllDone) => ExitCode::SUCCESS,
        Ok(push::Outcome::SomeFailed) => ExitCode::FAILURE,
        Err(e) => fail(channel, &e),
    }
}

/// A command's result: success, or its error on `channel`.
fn finish<T>(result: Result<T, impl Hint>, channel: Channel) -> ExitCode {
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => fail(channel, &e),
    }
}
