//! The command line as clients see it, before any keychain is involved (docs/protocol.md §1).

use support::{command, run_command, run_command_stdin_open};

fn run(args: &[&str], stdin: &str) -> support::Run {
    let mut cmd = command(&[]);
    cmd.args(args);
    run_command(cmd, stdin.as_bytes())
}

const USAGE: &str = "Usage: docker-credential-keyring <store|get|erase|list|version>";

#[test]
fn no_argument_prints_usage_on_stdout_exit_1() {
    let r = run(&[], "");
    assert_eq!(r.fails(), USAGE);
    assert_eq!(r.stderr, "");
}

#[test]
fn extra_argument_after_an_action_prints_usage() {
    for args in [
        &["get", "extra"][..],
        &["store", "x"],
        &["list", "-v"],
        &["version", "x"],
    ] {
        let r = run(args, "");
        assert_eq!(r.fails(), USAGE, "{args:?}");
    }
}

#[test]
fn unknown_action_is_named() {
    for action in ["GET", "Store", "delete", "foo"] {
        let r = run(&[action], "");
        assert_eq!(
            r.fails(),
            format!("docker-credential-keyring: unknown action: {action}")
        );
    }
}

#[test]
fn version_in_all_spellings_never_reads_stdin() {
    let want = format!(
        "docker-credential-keyring (https://github.com/docker-credential-keyring/docker-credential-keyring) v{}\n",
        env!("CARGO_PKG_VERSION")
    );
    for arg in ["version", "--version", "-v"] {
        let mut cmd = command(&[]);
        cmd.arg(arg);
        let r = run_command_stdin_open(cmd);
        assert_eq!(r.ok(), want, "{arg}");
        assert!(r.elapsed.as_secs() < 30, "{arg} waited for stdin");
    }
}

#[test]
fn help_exits_0() {
    for arg in ["--help", "-h"] {
        let r = run(&[arg], "");
        let out = r.ok();
        assert!(out.contains("store"), "{out}");
        assert!(out.contains("--backend"), "{out}");
    }
}
