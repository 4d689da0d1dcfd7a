//! The command line as clients see it, before any keychain is involved (docs/protocol.md §1).

use support::{command, run_command, run_command_stdin_open};

fn run(args: &[&str], stdin: &str) -> support::Run {
    let mut cmd = command(&[]);
    cmd.args(args);
    run_command(cmd, stdin.as_bytes())
}

const USAGE: &str = "Usage: docker-credential-keyring <store|get|erase|list|version>";

#[test]
fn no_argument_prints_the_whole_help_on_stdout_exit_0() {
    let r = run(&[], "");
    let out = r.ok();
    for word in [
        "Commands docker runs",
        "store",
        "Commands for people",
        "setup",
        "push",
        "sync",
    ] {
        assert!(out.contains(word), "{word}: {out}");
    }
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
fn an_unknown_word_is_named_on_stderr_with_what_was_meant_exit_2() {
    for (typo, meant) in [
        ("docter", "doctor"),
        ("pushh", "push"),
        ("sycn", "sync"),
        ("lsit", "list"),
        ("GET", "get"),
    ] {
        for args in [&[typo][..], &[typo, "--json"]] {
            let r = run(args, "");
            assert_eq!(r.code, Some(2), "{args:?}: {r:?}");
            assert_eq!(r.stdout, "", "{args:?}");
            assert!(
                r.stderr.contains(&format!("'{typo}'")),
                "{args:?}: {}",
                r.stderr
            );
            assert!(
                r.stderr.contains(&format!("did you mean '{meant}'")),
                "{args:?}: {}",
                r.stderr
            );
            assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        }
    }
    let r = run(&["frobnicate"], "");
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("'frobnicate'"), "{}", r.stderr);
}

#[test]
fn help_after_every_action_and_subcommand_exits_0() {
    for command in [
        "store", "get", "erase", "list", "setup", "push", "sync", "doctor",
    ] {
        for flag in ["--help", "-h"] {
            let r = run(&[command, flag], "");
            let out = r.ok();
            assert!(
                out.contains("Usage: docker-credential-keyring"),
                "{command}: {out}"
            );
            assert!(out.contains("--backend"), "{command}: {out}");
        }
    }
}

#[test]
fn an_action_takes_backend_after_it_as_before_it() {
    for args in [
        &["list", "--backend", "nosuch"][..],
        &["--backend", "nosuch", "list"],
    ] {
        let r = run(args, "");
        assert_eq!(r.code, Some(2), "{args:?}: {r:?}");
        assert!(r.stderr.contains("'nosuch'"), "{}", r.stderr);
        assert_eq!(
            r.stdout, "",
            "{args:?}: a bad command line is no protocol answer"
        );
    }
}

#[test]
fn version_in_all_spellings_never_reads_stdin() {
    let want = format!(
        "docker-credential-keyring (https://github.com/docker-credential-keyring/docker-credential-keyring) v{}\n",
        env!("CARGO_PKG_VERSION")
    );
    for arg in ["version", "--version", "-v", "-V"] {
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

/// A person who types `get` on a terminal is told what it waits for (clients always pipe
/// stdin, so they never see it).
#[test]
fn get_on_a_terminal_says_what_it_reads() {
    let home = support::Home::new();
    let mut cmd = command(&home.env());
    cmd.env("DOCKER_CREDENTIAL_KEYRING_BACKEND", "keyutils");
    cmd.args([
        "-qec",
        &format!("{} get", support::bin().display()),
        "/dev/null",
    ]);
    let mut script = std::process::Command::new("/usr/bin/script");
    script.args(cmd.get_args());
    script.env_clear();
    script.envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))));
    // The terminal gets a URL and then Ctrl-D, as a person would type them.
    let r = run_command(script, b"nothing.example.com\n\x04");
    assert!(
        r.stdout
            .contains("reading a server URL from stdin; end with Ctrl-D"),
        "{r:#?}"
    );
    assert!(
        r.stdout
            .contains(docker_credential_keyring::protocol::NOT_FOUND),
        "{r:#?}"
    );
}
