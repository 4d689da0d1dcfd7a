//! The real docker CLI against a stub daemon, with our helper as its credential store.

mod support;

use support::docker_daemon::DockerDaemon;

#[test]
fn stub_daemon_speaks_the_cli_protocol() {
    let daemon = DockerDaemon::start(&[("alice", "s3cret")]);
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink("/usr/local/bin/docker", bin.join("docker")).unwrap();
    let out = std::process::Command::new("docker")
        .env("DOCKER_CONFIG", dir.path())
        .env("DOCKER_HOST", daemon.host())
        .env("HOME", dir.path())
        .env("PATH", &bin)
        .args([
            "login",
            "-u",
            "alice",
            "--password-stdin",
            "reg.example:5000",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(b"s3cret\n")?;
            c.wait_with_output()
        })
        .unwrap();
    eprintln!("{out:?}");
    eprintln!(
        "{}",
        std::fs::read_to_string(dir.path().join("config.json")).unwrap()
    );
    let out = std::process::Command::new("docker")
        .env("DOCKER_CONFIG", dir.path())
        .env("DOCKER_HOST", daemon.host())
        .env("PATH", &bin)
        .args(["pull", "reg.example:5000/img"])
        .output()
        .unwrap();
    eprintln!("{out:?}");
    for r in daemon.requests() {
        eprintln!(
            "{} {} {:?} {:?}",
            r.method,
            r.target,
            r.registry_auth(),
            String::from_utf8_lossy(&r.body)
        );
    }
    panic!();
}
