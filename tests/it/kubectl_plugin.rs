//! `kubectl keyring`: the binary on PATH under the name `kubectl-keyring`, found and run by the
//! real kubectl as one of its plugins. kubectl passes everything after the plugin's name through
//! as plain arguments (its own --context, -n, --kubeconfig too): they mean what they mean to
//! kubectl. Only the people commands are offered; the protocol actions stay docker's.

#![cfg(target_os = "linux")]

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;
use support::file::FileKeyring;
use support::kubeconfig::{Auth, Ca, Kubeconfig};
use support::{Keyring, Run, helper, run_command, store};

/// A directory holding `kubectl-keyring`, a link to the built binary, as packages install it.
struct Plugin {
    dir: tempfile::TempDir,
}

impl Plugin {
    fn new() -> Plugin {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(support::bin(), dir.path().join("kubectl-keyring")).unwrap();
        Plugin { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("kubectl-keyring")
    }

    /// The real kubectl with `args`, this plugin first on PATH, pointed at `keyring`.
    fn kubectl(&self, keyring: &dyn Keyring, args: &[&str], stdin: &str) -> Run {
        let mut path = OsString::from(self.dir.path());
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap_or_default());
        let mut cmd = Command::new("kubectl");
        cmd.env_clear()
            .env("PATH", path)
            .env("DOCKER_CREDENTIAL_KEYRING_BACKEND", keyring.backend())
            .envs(keyring.env())
            .args(args);
        run_command(cmd, stdin.as_bytes())
    }
}

/// A file keychain holding a Docker Hub credential, stored as `docker login` stores it.
fn keychain() -> FileKeyring {
    let k = FileKeyring::new();
    store(
        &k,
        "https://index.docker.io/v1/",
        "hubuser",
        "dckr_pat_plugin",
    );
    k
}

#[test]
fn kubectl_runs_the_plugins_push_dry_run_as_yaml() {
    let (k, plugin) = (keychain(), Plugin::new());
    let args = [
        "push",
        "docker.io",
        "--dry-run=client",
        "-o",
        "yaml",
        "-n",
        "apps",
    ];
    let mut through_kubectl = vec!["keyring"];
    through_kubectl.extend(args);
    let yaml = plugin.kubectl(&k, &through_kubectl, "").ok().to_owned();
    assert!(yaml.contains("kind: Secret"), "{yaml}");
    assert!(yaml.contains("namespace: apps"), "{yaml}");
    assert!(
        yaml.contains("type: kubernetes.io/dockerconfigjson"),
        "{yaml}"
    );
    // Exactly what the helper's own `push` prints.
    assert_eq!(yaml, helper(&k, &args, "").ok());
    // The issue's command line as is: no namespace given, and no kubeconfig: `default`.
    let run = plugin.kubectl(
        &k,
        &[
            "keyring",
            "push",
            "docker.io",
            "--dry-run=client",
            "-o",
            "yaml",
        ],
        "",
    );
    assert!(run.ok().contains("namespace: default"), "{run:#?}");
}

#[test]
fn kubectls_flags_mean_what_they_mean_to_kubectl_before_or_after_the_command() {
    let (k, plugin) = (keychain(), Plugin::new());
    let kubeconfig = Kubeconfig::new()
        .cluster("c", "https://127.0.0.1:1", Ca::None)
        .user("u", Auth::Anonymous)
        .context("other", "c", "u", Some("other-ns"))
        .context("team", "c", "u", Some("team-ns"))
        .current("other")
        .write(k.home.path().join("kubeconfig"));
    let kc = kubeconfig.to_str().unwrap();
    let dry = ["--dry-run=client", "-o", "yaml"];
    // After the command, as push takes them.
    let mut after = vec!["keyring", "push", "docker.io", "--kubeconfig", kc];
    after.extend(["--context", "team"]);
    after.extend(dry);
    let run = plugin.kubectl(&k, &after, "");
    assert!(run.ok().contains("namespace: team-ns"), "{run:#?}");
    // Before it, where kubectl users put them (`kubectl -n apps get pods`; kubectl itself
    // refuses flags before a plugin's name).
    let mut before = vec![
        "keyring",
        "--kubeconfig",
        kc,
        "--context",
        "team",
        "-n",
        "apps",
    ];
    before.extend(["push", "docker.io"]);
    before.extend(dry);
    let run = plugin.kubectl(&k, &before, "");
    let yaml = run.ok();
    assert!(yaml.contains("namespace: apps"), "{run:#?}");
    assert!(!yaml.contains("other-ns"), "{run:#?}");
}

#[test]
fn kubectl_plugin_list_finds_it() {
    let (k, plugin) = (FileKeyring::new(), Plugin::new());
    let run = plugin.kubectl(&k, &["plugin", "list"], "");
    // kubectl exits 1 on warnings of its own, e.g. a packaged kubectl-keyring further down PATH
    // that ours overshadows: what it lists and what it warns about count, not its status.
    let ours = plugin.path().to_str().unwrap().to_owned();
    let first = run.stdout.lines().find(|l| l.starts_with('/'));
    assert_eq!(
        first,
        Some(ours.as_str()),
        "ours is the one kubectl runs: {run:#?}"
    );
    for warning in run.stderr.lines().filter(|l| l.contains("- warning:")) {
        assert!(
            warning.ends_with(&format!(
                "is overshadowed by a similarly named plugin: {ours}"
            )),
            "a warning about ours: {run:#?}"
        );
    }
}

#[test]
fn help_and_errors_say_kubectl_keyring_and_offer_only_the_people_commands() {
    let (k, plugin) = (FileKeyring::new(), Plugin::new());
    for args in [&["keyring"][..], &["keyring", "--help"]] {
        let help = plugin.kubectl(&k, args, "").ok().to_owned();
        assert!(
            help.contains("Usage: kubectl keyring [OPTIONS] <COMMAND>"),
            "{help}"
        );
        for command in ["push", "sync", "setup", "import", "doctor", "backends"] {
            assert!(
                help.contains(&format!("\n  {command} ")),
                "{command}: {help}"
            );
        }
        for hidden in ["store", "get", "erase", "list", "completions"] {
            assert!(
                !help.contains(&format!("\n  {hidden} ")),
                "{hidden}: {help}"
            );
        }
        assert!(!help.contains("docker-credential-keyring push"), "{help}");
    }
    let push = plugin.kubectl(&k, &["keyring", "push", "--help"], "");
    assert!(
        push.ok().contains("Usage: kubectl keyring push [OPTIONS]"),
        "{push:#?}"
    );

    let typo = plugin.kubectl(&k, &["keyring", "pusj", "docker.io"], "");
    assert_eq!(typo.code, Some(2), "{typo:#?}");
    assert_eq!(
        typo.stderr,
        "kubectl keyring: unknown command 'pusj': did you mean 'push'? (--help lists every command)\n"
    );
    let bad = plugin.kubectl(&k, &["keyring", "push", "docker.io", "--bogus"], "");
    assert_eq!(bad.code, Some(2), "{bad:#?}");
    assert!(
        bad.stderr.contains("Usage: kubectl keyring push "),
        "{bad:#?}"
    );
    // A failure of the command itself names the plugin too.
    let missing = plugin.kubectl(&k, &["keyring", "push", "ghcr.io", "--dry-run"], "");
    assert_eq!(missing.code, Some(1), "{missing:#?}");
    assert!(
        missing.stderr.starts_with("kubectl keyring: "),
        "{missing:#?}"
    );
}

#[test]
fn protocol_actions_are_refused_with_the_helpers_name_and_change_nothing() {
    let (k, plugin) = (keychain(), Plugin::new());
    let before = helper(&k, &["list"], "").ok().to_owned();
    let payload = r#"{"ServerURL":"evil.example.com","Username":"u","Secret":"s"}"#;
    for action in ["store", "get", "erase", "list"] {
        let run = plugin.kubectl(&k, &["keyring", action], payload);
        assert_eq!(run.code, Some(2), "{action}: {run:#?}");
        assert_eq!(run.stdout, "", "{action}");
        assert_eq!(
            run.stderr,
            format!(
                "kubectl keyring: '{action}' is a credential-helper action for docker, not a \
                 kubectl keyring command: run docker-credential-keyring {action}\n"
            )
        );
    }
    let run = plugin.kubectl(&k, &["keyring", "completions", "bash"], "");
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert_eq!(
        run.stderr,
        "kubectl keyring: 'completions' is not a kubectl keyring command: run \
         docker-credential-keyring completions\n"
    );
    assert_eq!(helper(&k, &["list"], "").ok(), before);
    // The version is harmless and what people ask a plugin for.
    let version = plugin.kubectl(&k, &["keyring", "version"], "");
    assert!(version.ok().contains(" v"), "{version:#?}");
}
