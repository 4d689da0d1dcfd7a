//! Pushing 3 registries to 50 namespaces against the project's API-server fake (TLS, token
//! auth, on loopback): one `push` run with 50 `-n`, against a sequential loop of 50 runs with
//! one `-n` each, and against the kubectl way (one `kubectl apply --server-side` per namespace
//! of the manifest our `--dry-run -o json` prints). Wall time and requests the server received,
//! with the ratios, in one run.
//!
//! Run: `cargo bench --bench push` (add `--profile dev` for a quick debug-build figure).

#[cfg(target_os = "linux")]
use std::time::{Duration, Instant};
#[cfg(target_os = "linux")]
use support::apiserver::ApiServer;
#[cfg(target_os = "linux")]
use support::kubeconfig::Kubeconfig;
#[cfg(target_os = "linux")]
use support::secret_service::fixture;
#[cfg(target_os = "linux")]
use support::{helper, store};

#[cfg(target_os = "linux")]
const NAMESPACES: usize = 50;
#[cfg(target_os = "linux")]
const REGISTRIES: [&str; 3] = ["ghcr.io", "registry.example.com:5000", "docker.io"];

#[cfg(target_os = "linux")]
struct Figure {
    label: &'static str,
    wall: Duration,
    requests: usize,
}

#[cfg(target_os = "linux")]
fn main() {
    // `cargo test --all-targets` runs bench binaries too, without `--bench`: measure only when
    // `cargo bench` asks.
    if !std::env::args().any(|a| a == "--bench") {
        println!("bench/push.rs: run with `cargo bench --bench push`");
        return;
    }
    let server = ApiServer::start_tls();
    let namespaces: Vec<String> = (0..NAMESPACES).map(|i| format!("bench-{i:02}")).collect();
    for ns in &namespaces {
        server.create_namespace(ns);
    }
    let keyring = fixture();
    for (i, r) in REGISTRIES.iter().enumerate() {
        store(
            &keyring,
            r,
            &format!("user{i}"),
            &format!("bench-secret-{i}"),
        );
    }
    let kubeconfig = Kubeconfig::new()
        .server("bench", &server)
        .current("bench")
        .write(keyring.home.path().join("kubeconfig"));
    let kc = kubeconfig.to_str().unwrap().to_owned();

    let push = |name: &str, nss: &[String]| {
        let mut args: Vec<String> = vec!["push".into()];
        args.extend(REGISTRIES.iter().map(|s| s.to_string()));
        args.extend([
            "--kubeconfig".into(),
            kc.clone(),
            "--name".into(),
            name.into(),
        ]);
        for ns in nss {
            args.extend(["-n".into(), ns.clone()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = helper(&keyring, &args, "");
        let out = run.ok();
        assert_eq!(out.matches(": created").count(), nss.len(), "{out}");
    };

    let mut figures = Vec::new();

    // 1. One run, every namespace.
    server.clear_requests();
    let t = Instant::now();
    push("regcred-one-run", &namespaces);
    figures.push(Figure {
        label: "push, one run with 50 -n (concurrent)",
        wall: t.elapsed(),
        requests: server.requests().len(),
    });

    // 2. The same, one namespace per run.
    server.clear_requests();
    let t = Instant::now();
    for ns in &namespaces {
        push("regcred-loop", std::slice::from_ref(ns));
    }
    figures.push(Figure {
        label: "push, 50 sequential runs with one -n",
        wall: t.elapsed(),
        requests: server.requests().len(),
    });

    // 3. kubectl apply --server-side per namespace of our client-dry-run manifest.
    let manifests: Vec<std::path::PathBuf> = namespaces
        .iter()
        .map(|ns| {
            let mut args = vec!["push"];
            args.extend(REGISTRIES);
            args.extend([
                "--name",
                "regcred-kubectl",
                "--dry-run",
                "-o",
                "json",
                "-n",
                ns,
            ]);
            let run = helper(&keyring, &args, "");
            let path = keyring.home.path().join(format!("{ns}.json"));
            std::fs::write(&path, run.ok()).unwrap();
            path
        })
        .collect();
    server.clear_requests();
    let t = Instant::now();
    for m in &manifests {
        let out = std::process::Command::new("kubectl")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", keyring.home.path())
            .env("KUBECONFIG", &kubeconfig)
            .args(["apply", "--server-side", "--force-conflicts"])
            .args(["--field-manager", "docker-credential-keyring", "-f"])
            .arg(m)
            .output()
            .expect("kubectl");
        assert!(out.status.success(), "{out:?}");
    }
    figures.push(Figure {
        label: "kubectl apply --server-side, 50 sequential runs",
        wall: t.elapsed(),
        requests: server.requests().len(),
    });

    // 4. The one run again: nothing to change.
    server.clear_requests();
    let t = Instant::now();
    {
        let mut args: Vec<String> = vec!["push".into()];
        args.extend(REGISTRIES.iter().map(|s| s.to_string()));
        args.extend([
            "--kubeconfig".into(),
            kc.clone(),
            "--name".into(),
            "regcred-one-run".into(),
        ]);
        for ns in &namespaces {
            args.extend(["-n".into(), ns.clone()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = helper(&keyring, &args, "");
        assert_eq!(run.ok().matches(": unchanged").count(), NAMESPACES);
    }
    figures.push(Figure {
        label: "push, one run again (all unchanged)",
        wall: t.elapsed(),
        requests: server.requests().len(),
    });

    println!(
        "push bench: {} registries x {NAMESPACES} namespaces, fake API server over TLS on loopback",
        REGISTRIES.len()
    );
    for f in &figures {
        println!(
            "  {:<50} {:>8.1} ms  {:>5} requests",
            f.label,
            f.wall.as_secs_f64() * 1000.0,
            f.requests
        );
    }
    let base = &figures[0];
    for f in &figures[1..3] {
        println!(
            "  ratio {:<44} {:>8.1}x time  {:>5.2}x requests",
            f.label,
            f.wall.as_secs_f64() / base.wall.as_secs_f64(),
            f.requests as f64 / base.requests as f64
        );
    }
}

/// Its fixtures (and the keychains it measures) are Linux's.
#[cfg(not(target_os = "linux"))]
fn main() {}
