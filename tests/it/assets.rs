//! The committed man pages and completion scripts are exactly what the binary generates:
//! run `packaging/generate-assets.sh` after changing the command line.

use std::collections::BTreeMap;
use std::path::Path;
use support::{command, run_command};

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "1"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

const STALE: &str = "stale: run packaging/generate-assets.sh and commit the result";

#[test]
fn man_pages_are_fresh() {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = command(&[]);
    cmd.arg("man").arg(out.path());
    run_command(cmd, b"").ok();
    let generated = files(out.path());
    let committed = files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("man"));
    assert!(generated.contains_key("docker-credential-keyring.1"));
    assert_eq!(
        generated.keys().collect::<Vec<_>>(),
        committed.keys().collect::<Vec<_>>(),
        "man/ {STALE}"
    );
    for (name, bytes) in &generated {
        assert!(committed[name] == *bytes, "man/{name} {STALE}");
    }
}

#[test]
fn main_man_page_covers_protocol_backends_environment_files_exit_status() {
    let page = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("man/docker-credential-keyring.1"),
    )
    .unwrap();
    for section in [
        "PROTOCOL",
        "BACKENDS",
        "ENVIRONMENT",
        "FILES",
        "EXIT STATUS",
    ] {
        assert!(page.contains(&format!(".SH \"{section}\"")), "{section}");
    }
}

#[test]
fn every_command_page_has_values_in_its_synopsis_and_examples() {
    let man = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    for (name, page) in files(&man) {
        if name == "docker-credential-keyring.1" {
            continue;
        }
        let page = String::from_utf8(page).unwrap();
        assert!(page.contains(".SH \"EXAMPLES\""), "{name}");
        // version and completions open no keychain: no --backend there.
        let opens_a_keychain = !name.ends_with("-version.1") && !name.ends_with("-completions.1");
        assert_eq!(
            page.contains("[\\-\\-backend NAME]"),
            opens_a_keychain,
            "{name}: the synopsis names each option's value, --backend where it means something"
        );
    }
    let push = std::fs::read_to_string(man.join("docker-credential-keyring-push.1")).unwrap();
    for shown in [
        "[\\-\\-from SOURCE]",
        "[\\-n|\\-\\-namespace NS]…",
        "[\\-\\-dry\\-run[=MODE]]",
    ] {
        assert!(push.contains(shown), "{shown}");
    }
}

#[test]
fn completions_are_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/completions");
    for (shell, file) in [
        ("bash", "docker-credential-keyring.bash"),
        ("zsh", "_docker-credential-keyring"),
        ("fish", "docker-credential-keyring.fish"),
        ("powershell", "_docker-credential-keyring.ps1"),
    ] {
        let mut cmd = command(&[]);
        cmd.args(["completions", shell]);
        let run = run_command(cmd, b"");
        let committed = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        assert!(
            run.ok() == committed,
            "packaging/completions/{file} {STALE}"
        );
    }
}

/// What the committed bash script offers for the command line `words` (the last one being
/// completed), as bash itself computes it after `complete -p` names the function.
fn bash_completes(words: &[&str]) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("packaging/completions/docker-credential-keyring.bash");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}' || exit 9\n\
             f=$(complete -p docker-credential-keyring | sed -n 's/.* -F \\([^ ]*\\) .*/\\1/p')\n\
             [ -n \"$f\" ] || exit 8\n\
             COMP_WORDS=(docker-credential-keyring {}); COMP_CWORD=${{#COMP_WORDS[@]}}; \
             COMP_CWORD=$((COMP_CWORD - 1))\n\
             \"$f\" docker-credential-keyring \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display(),
            quoted.join(" ")
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_commands_options_of_every_command_and_backend_names() {
    assert_eq!(bash_completes(&["ver"]), ["version"]);
    assert_eq!(bash_completes(&["push", "--dry"]), ["--dry-run"]);
    assert_eq!(bash_completes(&["sync", "--ev"]), ["--every"]);
    assert_eq!(bash_completes(&["setup", "--allow"]), ["--allow-volatile"]);
    let backends = [
        "secret-service",
        "keychain",
        "wincred",
        "pass",
        "keyutils",
        "file",
        "auto",
    ];
    assert_eq!(bash_completes(&["--backend", ""]), backends);
    assert_eq!(bash_completes(&["push", "--backend", ""]), backends);
    assert_eq!(
        bash_completes(&["--backend", "key"]),
        ["keychain", "keyutils"]
    );
    let commands = bash_completes(&[""]);
    assert!(commands.iter().any(|c| c == "push"), "{commands:?}");
    assert!(!commands.iter().any(|c| c == "man"), "{commands:?}");
}

/// zsh and fish read their scripts without running them (skipped where the shell is missing:
/// tests/run.sh installs both).
#[test]
fn zsh_and_fish_scripts_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/completions");
    for (shell, file) in [
        ("zsh", "_docker-credential-keyring"),
        ("fish", "docker-credential-keyring.fish"),
    ] {
        let Ok(out) = std::process::Command::new(shell)
            .arg("-n")
            .arg(dir.join(file))
            .output()
        else {
            assert!(
                std::env::var_os("CI").is_none(),
                "{shell} is missing: tests/run.sh installs it"
            );
            continue;
        };
        assert!(out.status.success(), "{shell}: {out:?}");
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let values = match shell {
            "zsh" => ":NAME:(secret-service keychain wincred pass keyutils file auto)",
            _ => "-l backend -d",
        };
        assert!(text.contains(values), "{file} offers no backend names");
        if shell == "fish" {
            assert!(
                text.contains("-r -f -a \"secret-service"),
                "{file}: backend names"
            );
        }
        assert!(!text.contains("'man:"), "{file} offers the man writer");
    }
}

/// The systemd unit and the launchd agent run the binary wherever it was installed (cargo
/// install's ~/.cargo/bin, pip-style ~/.local/bin, the packages' /usr/bin and /usr/local/bin,
/// Homebrew's /opt/homebrew/bin): each starts `sync` from a home where only ~/.cargo/bin or
/// ~/.local/bin holds it, with a service manager's bare environment.
#[test]
fn the_timer_units_find_the_binary_wherever_it_was_installed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let unit = std::fs::read_to_string(
        root.join("packaging/systemd/docker-credential-keyring-sync.service"),
    )
    .unwrap();
    let value = |key: &str| {
        unit.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in the unit"))
            .to_owned()
    };
    let plist = std::fs::read_to_string(
        root.join("packaging/macos/io.github.docker-credential-keyring.sync.plist"),
    )
    .unwrap();
    let script = plist
        .split("<string>-c</string>")
        .nth(1)
        .and_then(|rest| rest.split("<string>").nth(1))
        .and_then(|rest| rest.split("</string>").next())
        .expect("the agent runs /bin/sh -c SCRIPT")
        .replace("&quot;", "\"");
    for bin_dir in [".cargo/bin", ".local/bin"] {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join(bin_dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink(support::bin(), dir.join("docker-credential-keyring")).unwrap();
        let h = home.path().to_str().unwrap();
        let path = value("Environment=PATH=").replace("%h", h);
        let exec = value("ExecStart=");
        let mut words = exec.split_whitespace();
        let mut systemd = std::process::Command::new(words.next().unwrap());
        systemd
            .args(words)
            .env_clear()
            .env("HOME", h)
            .env("PATH", path);
        let mut launchd = std::process::Command::new("/bin/sh");
        launchd
            .args(["-c", &script])
            .env_clear()
            .env("HOME", h)
            .env("PATH", "/usr/bin:/bin");
        for (who, mut cmd) in [("systemd", systemd), ("launchd", launchd)] {
            if who == "launchd" && bin_dir != ".cargo/bin" {
                continue; // the agent looks in ~/.cargo/bin and Homebrew's directories
            }
            let out = cmd.output().unwrap();
            let said = String::from_utf8_lossy(&out.stderr);
            assert!(
                said.contains("saved pushes") || said.contains("saved push"),
                "{who} with the binary in ~/{bin_dir}: {out:?}"
            );
        }
    }
}
