//! The `pass` and `keyutils` backends through the built binary: median wall time of `get`,
//! `store` and `list` (10 and 100 entries), with Debian's `docker-credential-pass` beside ours.
//!
//! Run: `cargo bench --bench headless` (add `--profile dev` for a quick debug-build figure).

#[cfg(target_os = "linux")]
use std::time::Duration;
#[cfg(target_os = "linux")]
use support::keyutils::KernelKeyring;
#[cfg(target_os = "linux")]
use support::pass::PassStore;
#[cfg(target_os = "linux")]
use support::{Keyring, helper, store, timed};

#[cfg(target_os = "linux")]
/// A get for something not stored (what docker asks on an anonymous pull from Docker Hub).
fn miss(k: &dyn Keyring, n: usize) -> Duration {
    timed(n, || {
        let r = helper(k, &["get"], "https://index.docker.io/v1/");
        r.fails();
        r
    })
}

#[cfg(target_os = "linux")]
/// get / store / list10 / list100 / get among 100 / miss10 / miss100 for one backend fixture.
fn measure(k: &dyn Keyring, n: usize) -> [Duration; 7] {
    for i in 0..10 {
        store(k, &format!("https://r{i}.example.com"), "user", "secret");
    }
    let get = timed(n, || {
        let r = helper(k, &["get"], "https://r5.example.com");
        r.ok();
        r
    });
    let store_one = timed(n, || {
        let payload = r#"{"ServerURL":"https://bench.example.com","Username":"u","Secret":"s"}"#;
        let r = helper(k, &["store"], payload);
        r.ok();
        r
    });
    let list10 = timed(n, || helper(k, &["list"], ""));
    let miss10 = miss(k, n);
    for i in 10..100 {
        store(k, &format!("https://r{i}.example.com"), "user", "secret");
    }
    let list100 = timed(n, || helper(k, &["list"], ""));
    let get100 = timed(n, || helper(k, &["get"], "https://r50.example.com"));
    let miss100 = miss(k, n);
    [get, store_one, list10, list100, get100, miss10, miss100]
}

#[cfg(target_os = "linux")]
fn main() {
    // `cargo test --all-targets` runs this too, without `--bench`: measure only when asked.
    if !std::env::args().any(|a| a == "--bench") {
        println!("bench/headless.rs: run `cargo bench --bench headless` to measure");
        return;
    }
    let keyutils = KernelKeyring::new();
    let [kg, ks, kl10, kl100, kg100, km10, km100] = measure(&keyutils, 31);
    drop(keyutils);

    let pass = PassStore::new();
    let [pg, ps, pl10, pl100, pg100, pm10, pm100] = measure(&pass, 15);
    let go_get = timed(15, || {
        let r = pass.docker_credential_pass(&["get"], "https://r5.example.com");
        r.ok();
        r
    });
    let go_list100 = timed(15, || pass.docker_credential_pass(&["list"], ""));
    let go_miss100 = timed(15, || {
        pass.docker_credential_pass(&["get"], "https://index.docker.io/v1/")
    });

    println!("median wall time per call (process start to exit):");
    println!("                      keyutils        pass   docker-credential-pass");
    println!("  get                 {kg:>8.1?}  {pg:>10.1?}  {go_get:>10.1?}");
    println!("  store               {ks:>8.1?}  {ps:>10.1?}");
    println!("  list, 10 entries    {kl10:>8.1?}  {pl10:>10.1?}");
    println!("  list, 100 entries   {kl100:>8.1?}  {pl100:>10.1?}  {go_list100:>10.1?}");
    println!("  get among 100       {kg100:>8.1?}  {pg100:>10.1?}");
    println!("  get miss, 10        {km10:>8.1?}  {pm10:>10.1?}");
    println!("  get miss, 100       {km100:>8.1?}  {pm100:>10.1?}  {go_miss100:>10.1?}");
}

/// Its fixtures (and the keychains it measures) are Linux's.
#[cfg(not(target_os = "linux"))]
fn main() {}
