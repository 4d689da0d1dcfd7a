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

#[test]
fn bash_completion_completes_subcommands() {
    let mut cmd = command(&[]);
    cmd.args(["completions", "bash"]);
    let script = run_command(cmd, b"").ok().to_owned();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{script}\nCOMP_WORDS=(docker-credential-keyring ver); COMP_CWORD=1; \
             _docker__credential__keyring docker-credential-keyring ver docker-credential-keyring; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        ))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "version");
}
