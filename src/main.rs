//! `docker-credential-keyring`: parse the arguments, dispatch, print the outcome.

use clap::Parser;
use docker_credential_keyring::cli::{Cli, Command, Invocation, classify};
use docker_credential_keyring::settings::Settings;
use docker_credential_keyring::{
    Error, backend, backends, completions, hardening, man, protocol, push,
};
use docker_credential_keyring::{doctor, import, setup};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    hardening::protect_process();
    // SAFETY: first thing in main, before any thread is started (nothing has run but
    // hardening's prctl/setrlimit), so nothing can read the environment concurrently. The
    // passphrase leaves the environment before anything can be spawned (pass, gpg, kubeconfig
    // exec plugins, other helpers): every child would inherit it.
    let settings = unsafe { Settings::take_from_env() };
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    match classify(&args) {
        Invocation::Usage => fail_line(&protocol::usage_line()),
        Invocation::UnknownAction(arg) => fail_line(&protocol::unknown_action_line(&arg)),
        Invocation::Protocol(action) => run_action(action, &settings, None),
        Invocation::Cli => {
            let cli = Cli::parse();
            if let Some(action) = cli.command.action() {
                return run_action(action, &settings, cli.backend.as_deref());
            }
            match cli.command {
                Command::Backends { json } => backends::run(
                    &settings,
                    cli.backend.as_deref(),
                    json,
                    &mut std::io::stdout().lock(),
                ),
                Command::Completions { shell } => {
                    completions::write(shell, &mut std::io::stdout().lock());
                    ExitCode::SUCCESS
                }
                Command::Push(args) => {
                    report_push(push::run(&args, &settings, cli.backend.as_deref()))
                }
                Command::Man { dir } => match man::write_all(&dir) {
                    Ok(_) => ExitCode::SUCCESS,
                    Err(e) => {
                        fail_stderr(&format!("cannot write man pages to {}: {e}", dir.display()))
                    }
                },
                Command::Setup(a) => human(
                    setup::run(
                        &a.options(cli.backend.as_deref()),
                        &settings,
                        &mut std::io::stdout(),
                    ),
                    setup::Error::hint,
                ),
                Command::Import(a) => human(
                    import::run(
                        &a.options(cli.backend.as_deref()),
                        &settings,
                        &mut std::io::stdout(),
                    ),
                    import::Error::hint,
                ),
                Command::Doctor(a) => {
                    let report = doctor::diagnose(&settings, cli.backend.as_deref());
                    let printed = doctor::print(&report, a.json, &mut std::io::stdout());
                    match (printed, report.healthy) {
                        (Ok(()), true) => ExitCode::SUCCESS,
                        _ => ExitCode::FAILURE,
                    }
                }
                Command::Store
                | Command::Get
                | Command::Erase
                | Command::List
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
    let result = protocol::run(
        action,
        open,
        &mut std::io::stdin().lock(),
        &mut std::io::stdout().lock(),
    );
    report(result)
}

/// Errors are one line on stdout and exit status 1; a longer remedy goes to stderr.
fn report(result: Result<(), Error>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Stdout(_)) => ExitCode::FAILURE,
        Err(e) => {
            if let Some(hint) = e.hint() {
                let _ = writeln!(std::io::stderr(), "{hint}");
            }
            fail_line(&e.to_string())
        }
    }
}

/// `push` printed its own per-target lines; a refusal before any target is one line on stdout,
/// like every other error of the binary, with a longer remedy on stderr.
fn report_push(result: Result<push::Outcome, push::Error>) -> ExitCode {
    match result {
        Ok(push::Outcome::AllDone) => ExitCode::SUCCESS,
        Ok(push::Outcome::SomeFailed) => ExitCode::FAILURE,
        Err(e) => {
            if let Some(hint) = e.hint() {
                let _ = writeln!(std::io::stderr(), "{hint}");
            }
            fail_line(&e.to_string())
        }
    }
}

fn fail_line(line: &str) -> ExitCode {
    let _ = writeln!(std::io::stdout(), "{line}");
    ExitCode::FAILURE
}

/// The people-facing subcommands (setup, import): the report went to stdout; an error is one
/// line on stderr (plus its hint), exit 1.
fn human<T, E: std::fmt::Display>(
    result: Result<T, E>,
    hint: fn(&E) -> Option<String>,
) -> ExitCode {
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            let code = fail_stderr(&e.to_string());
            if let Some(hint) = hint(&e) {
                let _ = writeln!(std::io::stderr(), "{hint}");
            }
            code
        }
    }
}

/// Errors of the non-protocol subcommands go to stderr, exit 1.
fn fail_stderr(line: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "docker-credential-keyring: {line}");
    ExitCode::FAILURE
}
