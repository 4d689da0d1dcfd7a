//! The `file` backend and `auto`, through the built binary: median wall time of `get` (key
//! cached in the kernel keyring, and with the cache off so every call runs Argon2id), `store`,
//! `list` at 10 and 100 entries, and `auto` probing when nothing is usable.
//!
//! Run: `cargo bench --bench file` (add `--profile dev` for a quick debug-build figure).

#[cfg(target_os = "linux")]
use std::ffi::OsString;
#[cfg(target_os = "linux")]
use support::file::FileKeyring;
#[cfg(target_os = "linux")]
use support::{Home, Keyring, command, helper, run_command, store, timed};

#[cfg(target_os = "linux")]
struct NoCache<'a>(&'a FileKeyring);

#[cfg(target_os = "linux")]
impl Keyring for NoCache<'_> {
    fn backend(&self) -> &'static str {
        "file"
    }
    fn env(&self) -> Vec<(OsString, OsString)> {
        let mut env = self.0.env();
        env.push((
            "DOCKER_CREDENTIAL_KEYRING_FILE_CACHE_SECONDS".into(),
            "0".into(),
        ));
        env
    }
}

#[cfg(target_os = "linux")]
fn main() {
    // `cargo test --all-targets` runs bench targets too, without `--bench`: skip there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("bench/file.rs: run with `cargo bench --bench file`");
        return;
    }
    let k = FileKeyring::new();
    for i in 0..10 {
        store(&k, &format!("https://r{i}.example.com"), "user", "secret");
    }
    let get = timed(31, || {
        let r = helper(&k, &["get"], "https://r5.example.com");
        r.ok();
        r
    });
    let get_missing = timed(31, || helper(&k, &["get"], "https://index.docker.io/v1/"));
    let get_nocache = timed(11, || {
        let r = helper(&NoCache(&k), &["get"], "https://r5.example.com");
        r.ok();
        r
    });
    let store_one = timed(21, || {
        let payload = r#"{"ServerURL":"https://bench.example.com","Username":"u","Secret":"s"}"#;
        let r = helper(&k, &["store"], payload);
        r.ok();
        r
    });
    let list10 = timed(31, || helper(&k, &["list"], ""));
    for i in 10..100 {
        store(&k, &format!("https://r{i}.example.com"), "user", "secret");
    }
    let list100 = timed(31, || helper(&k, &["list"], ""));
    let get100 = timed(31, || helper(&k, &["get"], "https://r50.example.com"));

    let home = Home::new();
    let env = home.env();
    let auto_nothing = timed(31, || {
        let mut cmd = command(&env);
        cmd.arg("list");
        run_command(cmd, b"")
    });

    println!("file backend, median wall time per call (process start to exit):");
    println!("  get, key cached          {get:>10.1?}");
    println!("  get, server not stored   {get_missing:>10.1?}");
    println!("  get, cache off (Argon2id){get_nocache:>10.1?}");
    println!("  store (cached key, fsync){store_one:>10.1?}");
    println!("  list, 10 entries         {list10:>10.1?}");
    println!("  list, 100 entries        {list100:>10.1?}");
    println!("  get, 100 entries         {get100:>10.1?}");
    println!("auto with nothing usable (no bus, no pass, no file): {auto_nothing:.1?}");
}

/// Its fixtures (and the keychains it measures) are Linux's.
#[cfg(not(target_os = "linux"))]
fn main() {}
