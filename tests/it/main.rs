//! The integration tests: one binary (one link of the library, kube and the fixtures instead of
//! one per file), one module per area. Each runs the built binary as clients do, against real
//! components; the fixtures are the `support` crate, the Kubernetes API server is the
//! `apiserver-fake` crate.
//!
//! Run one area with its module path: `cargo test --test it protocol::`, or one test:
//! `cargo test --test it sync::saved_push_runs_again`.
//!
//! `tests/secret_service_probe.rs` stays a binary of its own: it changes the process
//! environment, which no other test may read at the same time.

/// The API-server fake against the real kubectl: the same requests, Status bodies and messages.
mod apiserver_fake;
/// The committed man pages and completions are what the binary generates.
mod assets;
/// The command line as clients see it, before any keychain is involved.
mod cli;
/// The real docker CLI against a stub daemon, with our helper as its credential store.
mod docker_cli;
/// docker-py's credential store against our helper.
mod docker_py;
/// `doctor`: what it reports, and the fix it names for each problem.
mod doctor;
/// Faults mid-operation: a killed or stopped keyring daemon, a lost bus, a full or read-only disk.
mod faults;
/// The `file` backend: round trip, wrong passphrase, damaged files, concurrency, the prompt.
mod file_backend;
/// Findings of the fuzz targets, kept as regression tests.
mod fuzz_regressions;
/// Secret hygiene: a canary secret shows up nowhere it should not.
mod hygiene;
/// `import`: plaintext config.json, podman's auth.json and other helpers into the keychain.
mod import;
/// The `keyutils` backend against the real kernel keyring.
mod keyutils;
/// `kubectl keyring`, run by the real kubectl as its plugin.
mod kubectl_plugin;
/// Plain http:// on loopback only to a listener of our own uid.
mod loopback;
/// `setup` over Docker's own credential stores, without losing a login.
mod moving_in;
/// `push -A`, `--namespace-selector`, their saved rules, and `sync --watch`.
mod namespaces;
/// The macOS keychain's and Windows Credential Manager's own cases (CI's macOS/Windows jobs).
mod native_keychain;
/// The `pass` backend against real pass and gpg, and Debian's docker-credential-pass.
mod pass;
/// Property tests: Go's JSON, address matching.
mod properties;
/// The credential-helper protocol against every backend of this system.
mod protocol;
/// `push` end to end against the API-server fake.
mod push;
/// `push --dry-run -o json` byte for byte against kubectl's Secret.
mod push_golden;
/// `push` against a real cluster (ignored unless asked for).
mod push_real_cluster;
/// `push --from`: Docker's Go helpers and config.json as sources.
mod push_sources;
/// The secret-service backend against a real gnome-keyring on a private bus.
mod secret_service;
/// Choosing the backend: --backend, the variable, the config file, auto.
mod selection;
/// `setup` with the file backend, Docker's config file checked byte for byte.
mod setup;
/// `status`: what each cluster holds, whether it is current, why a pod cannot pull.
mod status;
/// Saved pushes and `sync` end to end.
mod sync;
/// A saved push goes only where it was aimed.
mod sync_pinning;
/// Text from a cluster reaches no output, file or log unescaped.
mod untrusted;

/// The unprivileged user's kernel-keyring quota, shared by every test that uses it (the
/// keyutils quota tests fill it; setup stores into it): one such test at a time.
#[cfg(target_os = "linux")]
pub static UNPRIVILEGED_QUOTA: std::sync::Mutex<()> = std::sync::Mutex::new(());
