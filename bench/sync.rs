//! `sync` and sync on store, through the built binary, against the project's API-server fake
//! (TLS, token auth, on loopback) and the kernel keyring (keyutils backend):
//!
//! - `store` latency with `"sync_on_store": false` and `true` (a saved push includes the stored
//!   registry, so every `true` run starts a detached sync), interleaved run by run so both see
//!   the same machine, medians and their ratio;
//! - `sync` of 3 saved pushes × 10 namespaces when nothing changed.
//!
//! Run: `cargo bench --bench sync` (add `--profile dev` for a quick debug-build figure).

#[cfg(target_os = "linux")]
fn main() {
    use std::time::Duration;
    use support::apiserver::ApiServer;
    use support::keyutils::KernelKeyring;
    use support::kubeconfig::Kubeconfig;
    use support::{helper, store};

    if !std::env::args().any(|a| a == "--bench") {
        println!("bench/sync.rs: run with `cargo bench --bench sync`");
        return;
    }
    const RUNS: usize = 30;
    let server = ApiServer::start_tls();
    let namespaces: Vec<String> = (0..10).map(|i| format!("bench-{i:02}")).collect();
    for ns in &namespaces {
        server.create_namespace(ns);
    }
    let keyring = KernelKeyring::new();
    let registries = ["ghcr.io", "registry.example.com:5000", "docker.io"];
    for (i, r) in registries.iter().enumerate() {
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
    let kc = kubeconfig.to_str().unwrap();
    for (i, r) in registries.iter().enumerate() {
        let name = format!("regcred-{i}");
        let mut args = vec!["push", r, "--kubeconfig", kc, "--name", &name, "--save"];
        for ns in &namespaces {
            args.extend(["-n", ns]);
        }
        helper(&keyring, &args, "").ok();
    }

    let sync = support::timed(9, || {
        let run = helper(&keyring, &["sync"], "");
        assert_eq!(run.stdout.matches(": unchanged").count(), 30, "{run:#?}");
        run
    });

    let config_dir = keyring
        .home
        .path()
        .join(".config/docker-credential-keyring");
    let set = |on: bool| {
        std::fs::write(
            config_dir.join("config.json"),
            format!("{{\"sync_on_store\": {on}}}"),
        )
        .unwrap()
    };
    let payload = r#"{"ServerURL":"ghcr.io","Username":"user0","Secret":"bench-secret-0"}"#;
    let (mut off, mut on) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        set(false);
        off.push(helper(&keyring, &["store"], payload).elapsed);
        set(true);
        on.push(helper(&keyring, &["store"], payload).elapsed);
        // Let the detached sync finish, so it does not weigh on the next pair.
        std::thread::sleep(Duration::from_millis(300));
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (off, on) = (median(&mut off), median(&mut on));
    println!("store, sync_on_store false: {off:.2?} (median of {RUNS}, interleaved)");
    println!("store, sync_on_store true:  {on:.2?} (starts a detached sync each time)");
    println!(
        "ratio true/false: {:.2}",
        on.as_secs_f64() / off.as_secs_f64()
    );
    println!("sync, 3 saved pushes x 10 namespaces, nothing changed: {sync:.2?} (median of 9)");
}

#[cfg(not(target_os = "linux"))]
fn main() {}
