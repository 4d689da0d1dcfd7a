//! Peak memory (maximum resident set size, from `/usr/bin/time -f %M`, i.e. the kernel's
//! getrusage of the child) of the release binary for:
//!
//! - `get` with 1000 entries stored (one Secret Service round trip set),
//! - `list` of 1000 entries,
//! - `store`, `version` (the floor: a process that only starts),
//! - `push` of one registry to 50 namespaces against the loopback API-server fake.
//!
//! on a private dbus-daemon + gnome-keyring (the test fixtures). Goals (issue #7): get < 10 MB,
//! list < 20 MB. Run with `bench/memory.sh` (`cargo bench --bench memory`); prints a table and
//! exits 1 when a goal is missed.

#[cfg(target_os = "linux")]
use std::io::Write;
#[cfg(target_os = "linux")]
use std::process::{Command, Stdio};
#[cfg(target_os = "linux")]
use support::Keyring;

#[cfg(target_os = "linux")]
const ENTRIES: usize = 1000;
#[cfg(target_os = "linux")]
const NAMESPACES: usize = 50;
#[cfg(target_os = "linux")]
const REPEATS: usize = 5;

#[cfg(target_os = "linux")]
/// Max RSS in KiB of one run of the binary with `args` on `keyring` (plus `env`), and whether
/// it succeeded.
fn max_rss(
    keyring: &dyn Keyring,
    env: &[(&str, String)],
    args: &[&str],
    stdin: &str,
) -> (u64, bool) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(out.path())
        .arg(support::bin())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DOCKER_CREDENTIAL_KEYRING_BACKEND", keyring.backend())
        .envs(keyring.env())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd
        .spawn()
        .expect("run /usr/bin/time (Debian package `time`)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let status = child.wait().unwrap();
    let text = std::fs::read_to_string(out.path()).unwrap();
    let kib = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("/usr/bin/time printed {text:?}"));
    (kib, status.success())
}

#[cfg(target_os = "linux")]
fn main() {
    // `cargo test --all-targets` runs bench targets too, without `--bench`: skip there.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let k = support::secret_service::fixture();
    eprintln!("storing {ENTRIES} entries …");
    for i in 0..ENTRIES {
        let server = format!("https://registry{i}.bench.example:5000");
        support::store(
            &k,
            &server,
            &format!("user{i}"),
            &format!("secret-{i}-{}", "s".repeat(40)),
        );
    }
    let server = support::apiserver::ApiServer::start();
    let mut push_args: Vec<String> =
        vec!["push".into(), "https://registry7.bench.example:5000".into()];
    for n in 0..NAMESPACES {
        let ns = format!("team{n}");
        server.create_namespace(&ns);
        push_args.push("-n".into());
        push_args.push(ns);
    }
    let kc = support::kubeconfig::Kubeconfig::new()
        .server("bench", &server)
        .current("bench")
        .write(k.home.path().join("kubeconfig"));
    let kube_env = vec![("KUBECONFIG", kc.display().to_string())];
    let push_args: Vec<&str> = push_args.iter().map(String::as_str).collect();
    let store_payload = serde_json::json!({
        "ServerURL": "https://registry1.bench.example:5000",
        "Username": "user1",
        "Secret": "another-secret",
    })
    .to_string();

    type Case<'a> = (
        &'a str,
        Vec<&'a str>,
        &'a str,
        Vec<(&'a str, String)>,
        Option<u64>,
    );
    let cases: Vec<Case> = vec![
        ("version", vec!["version"], "", vec![], None),
        (
            "get (1000 stored)",
            vec!["get"],
            "https://registry500.bench.example:5000",
            vec![],
            Some(10 * 1024),
        ),
        (
            "list (1000 entries)",
            vec!["list"],
            "",
            vec![],
            Some(20 * 1024),
        ),
        ("store", vec!["store"], &store_payload, vec![], None),
        (
            "push (50 namespaces)",
            push_args.clone(),
            "",
            kube_env.clone(),
            None,
        ),
    ];
    println!(
        "\n{:<24} {:>12} {:>10} {:>8}",
        "action", "max RSS", "goal", "status"
    );
    let mut missed = false;
    for (name, args, stdin, env, goal) in cases {
        let mut worst = 0;
        for _ in 0..REPEATS {
            let (kib, ok) = max_rss(&k, &env, &args, stdin);
            assert!(ok, "{name} failed");
            worst = worst.max(kib);
        }
        let verdict = match goal {
            Some(g) if worst >= g => {
                missed = true;
                "MISSED"
            }
            Some(_) => "ok",
            None => "-",
        };
        println!(
            "{:<24} {:>9.1} MB {:>10} {:>8}",
            name,
            worst as f64 / 1024.0,
            goal.map(|g| format!("< {} MB", g / 1024))
                .unwrap_or_default(),
            verdict
        );
    }
    let pushed = (0..NAMESPACES)
        .filter(|n| server.secret(&format!("team{n}"), "regcred").is_some())
        .count();
    assert_eq!(pushed, NAMESPACES, "push reached every namespace");
    println!(
        "\n(max of {REPEATS} runs each; binary {:?})",
        support::bin()
    );
    if missed {
        std::process::exit(1);
    }
}

/// Its fixtures (and the keychains it measures) are Linux's.
#[cfg(not(target_os = "linux"))]
fn main() {}
