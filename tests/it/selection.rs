//! Choosing the backend, through the built binary: `--backend` > the environment variable >
//! the config file > `auto`; what `auto` does with no bus, a bus without a Secret Service,
//! a real Secret Service, an initialised `pass`, an existing encrypted file, and nothing at
//! all; and the `backends` report.

#![cfg(target_os = "linux")]

use serde_json::Value;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;
use support::file::PASSPHRASE;
use support::pass::PassStore;
use support::secret_service;
use support::{Home, Keyring, Run, command, run_command};

use docker_credential_keyring::protocol::NOT_FOUND;
const ENV: &str = "DOCKER_CREDENTIAL_KEYRING_BACKEND";

/// Run the binary with exactly `env` (plus the scrubbing of `support::command`).
fn run(env: &[(OsString, OsString)], args: &[&str], stdin: &str) -> Run {
    let mut cmd = command(env);
    cmd.args(args);
    run_command(cmd, stdin.as_bytes())
}

/// Purges the file store's cached keys of a HOME when the test ends.
struct PurgeOnDrop(PathBuf);

impl Drop for PurgeOnDrop {
    fn drop(&mut self) {
        support::file::purge_cached_keys(&self.0);
    }
}

/// A throw-away HOME; the file store's passphrase is in the environment so that choosing
/// `file` never prompts.
fn home_env(home: &Home) -> Vec<(OsString, OsString)> {
    let mut env = home.env();
    env.push((
        "DOCKER_CREDENTIAL_KEYRING_PASSPHRASE".into(),
        PASSPHRASE.into(),
    ));
    env.push((
        "DOCKER_CREDENTIAL_KEYRING_FILE_CACHE_SECONDS".into(),
        "60".into(),
    ));
    env
}

fn with(env: &[(OsString, OsString)], key: &str, value: &str) -> Vec<(OsString, OsString)> {
    let mut env = env.to_vec();
    env.push((key.into(), value.into()));
    env
}

fn config_path(home: &Home) -> PathBuf {
    home.path()
        .join(".config/docker-credential-keyring/config.json")
}

fn write_config(home: &Home, text: &str) {
    let path = config_path(home);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn file_store(home: &Home) -> PathBuf {
    home.path()
        .join(".local/share/docker-credential-keyring/credentials.enc.json")
}

const PAYLOAD: &str = r#"{"ServerURL":"https://sel.example.com","Username":"u","Secret":"s"}"#;

fn backends_json(env: &[(OsString, OsString)]) -> Value {
    let r = run(env, &["backends", "--json"], "");
    serde_json::from_str(r.ok()).unwrap_or_else(|e| panic!("backends --json: {e}: {r:#?}"))
}

#[test]
fn precedence_flag_then_env_then_config_then_auto() {
    let home = Home::new();
    let _purge = PurgeOnDrop(file_store(&home));
    let env = home_env(&home);
    // Backends that cannot exist on Linux make each layer's choice visible in the error.
    let windows = "the Windows Credential Manager exists only on Windows";
    let macos = "the macOS Keychain exists only on macOS";

    // Config alone chooses (over auto, which would find nothing here).
    write_config(&home, r#"{"backend": "wincred"}"#);
    assert!(run(&env, &["list"], "").fails().contains(windows));
    write_config(&home, r#"{"backend": "file"}"#);
    run(&env, &["store"], PAYLOAD).ok();
    assert!(file_store(&home).is_file(), "the config file chose `file`");

    // The variable beats the config file, both ways.
    let env_wincred = with(&env, ENV, "wincred");
    assert!(run(&env_wincred, &["list"], "").fails().contains(windows));
    write_config(&home, r#"{"backend": "wincred"}"#);
    let env_file = with(&env, ENV, "file");
    assert_eq!(
        run(&env_file, &["list"], "").ok(),
        "{\"https://sel.example.com\":\"u\"}\n"
    );

    // The flag beats the variable, both ways (and the config file).
    let r = run(&env_wincred, &["--backend", "keychain", "list"], "");
    assert!(r.fails().contains(macos), "{r:#?}");
    let r = run(
        &env_wincred,
        &["--backend", "file", "get"],
        "sel.example.com",
    );
    assert!(r.ok().contains("\"Secret\":\"s\""), "{r:#?}");
    // After the action it works the same (a person's spelling; docker passes the action alone).
    let r = run(&env_wincred, &["list", "--backend", "file"], "");
    assert_eq!(r.ok(), "{\"https://sel.example.com\":\"u\"}\n");

    // An empty variable counts as unset: the config file decides.
    let r = run(&with(&env, ENV, ""), &["list"], "");
    assert!(r.fails().contains(windows), "{r:#?}");

    // backends --json says which layer chose.
    assert_eq!(backends_json(&env)["selected"]["source"], "config");
    assert_eq!(backends_json(&env_file)["selected"]["source"], "env");
    let r = run(&env_file, &["--backend", "file", "backends", "--json"], "");
    let v: Value = serde_json::from_str(r.ok()).unwrap();
    assert_eq!(v["selected"]["source"], "flag");
    assert_eq!(v["selected"]["name"], "file");
    assert_eq!(v["selected"]["error"], Value::Null);
}

#[test]
fn unknown_backend_names_are_refused_clearly() {
    let home = Home::new();
    let env = home_env(&home);
    // On the command line: a bad command line (exit 2), with the names to choose from.
    let r = run(&env, &["--backend", "gnome-keyring", "list"], "");
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(
        r.stderr.contains("'gnome-keyring'") && r.stderr.contains("secret-service"),
        "{r:#?}"
    );
    assert_eq!(r.stdout, "");
    // From the variable: the backend's own error.
    let r = run(&with(&env, ENV, "gnome-keyring"), &["list"], "");
    let line = r.fails();
    assert!(
        line.starts_with("unknown backend \"gnome-keyring\": choose one of")
            && line.contains("secret-service")
            && line.contains("file"),
        "{r:#?}"
    );
    assert!(r.stderr.contains("config"), "{r:#?}");
    write_config(&home, r#"{"backend": "gnome-keyring"}"#);
    let r = run(&env, &["get"], "https://a.example.com");
    assert!(
        r.fails().starts_with("unknown backend \"gnome-keyring\""),
        "{r:#?}"
    );
    assert_ne!(r.stdout.trim(), NOT_FOUND);
    assert!(
        r.stderr.contains(&config_path(&home).display().to_string()),
        "{r:#?}"
    );
}

#[test]
fn a_broken_config_file_is_an_error_but_version_never_reads_it() {
    let home = Home::new();
    let _purge = PurgeOnDrop(file_store(&home));
    let env = home_env(&home);
    write_config(&home, r#"{"backend": "file""#);
    let r = run(&env, &["list"], "");
    let line = r.fails();
    assert!(
        line.contains(&config_path(&home).display().to_string()) && line.contains("not valid"),
        "{r:#?}"
    );
    // A typo in a key is not silently ignored either.
    write_config(&home, r#"{"backend": "file", "backnd": "pass"}"#);
    assert!(run(&env, &["list"], "").fails().contains("backnd"));
    // version and --help never read it.
    for args in [&["version"][..], &["--version"][..], &["-v"][..]] {
        assert!(
            run(&env, args, "")
                .ok()
                .starts_with("docker-credential-keyring (")
        );
    }
    run(&env, &["--help"], "").ok();
    // The flag and the variable bypass it entirely.
    run(&with(&env, ENV, "file"), &["list"], "").ok();
    run(&env, &["--backend", "file", "list"], "").ok();
    // backends reports it without failing.
    let v = backends_json(&env);
    assert!(
        v["selected"]["error"]
            .as_str()
            .unwrap()
            .contains("not valid")
            || v["selected"]["error"].as_str().unwrap().contains("backnd")
    );
}

/// `auto` with nothing usable: one line on stdout naming the options, the set-up commands on
/// stderr, exit 1, quickly.
#[track_caller]
fn assert_nothing_usable(r: &Run, why_secret_service: &str) {
    let line = r.fails();
    assert!(
        line.starts_with("no usable keychain here")
            && line.contains("file")
            && line.contains("keyutils")
            && line.contains(ENV),
        "{r:#?}"
    );
    assert_ne!(line, NOT_FOUND);
    assert!(r.stderr.contains(why_secret_service), "{r:#?}");
    assert!(r.stderr.contains("pass init"), "{r:#?}");
    // The remedy is the one command that also saves the choice for docker's own calls.
    assert!(
        r.stderr
            .contains("docker-credential-keyring --backend file setup"),
        "{r:#?}"
    );
    // Quickly: no bus timeout waited out (a hang detector with room for a loaded machine).
    assert!(
        r.elapsed < Duration::from_secs(10),
        "auto took {:?}",
        r.elapsed
    );
}

#[test]
fn auto_with_no_session_bus_and_nothing_else() {
    let home = Home::new();
    let _purge = PurgeOnDrop(file_store(&home));
    let env = home_env(&home);
    for (args, stdin) in [
        (&["get"][..], "https://a.example.com"),
        (&["list"][..], ""),
        (&["store"][..], PAYLOAD),
        (&["erase"][..], "https://a.example.com"),
    ] {
        let r = run(&env, args, stdin);
        assert_nothing_usable(&r, "no D-Bus session bus");
    }
    assert!(!file_store(&home).exists(), "auto never creates the file");
    let v = backends_json(&env);
    assert_eq!(v["auto"]["name"], Value::Null);
    assert!(
        v["auto"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("no usable keychain")
    );
    assert_eq!(v["selected"]["source"], "default");
    assert_eq!(v["selected"]["name"], Value::Null);

    // Once the encrypted file exists (created by an explicit choice), auto uses it.
    run(&env, &["--backend", "file", "store"], PAYLOAD).ok();
    let r = run(&env, &["get"], "sel.example.com");
    assert!(r.ok().contains("\"Secret\":\"s\""), "{r:#?}");
    assert_eq!(backends_json(&env)["auto"]["name"], "file");
}

#[test]
fn auto_with_a_bus_but_no_secret_service() {
    let bus = secret_service::bus_without_secret_service();
    let mut env = home_env(&bus.home);
    env.push((
        "DBUS_SESSION_BUS_ADDRESS".into(),
        bus.address().to_owned().into(),
    ));
    let r = run(&env, &["get"], "https://a.example.com");
    assert_nothing_usable(&r, "nothing owns org.freedesktop.secrets");
    let v = backends_json(&env);
    let ss = &v["backends"][0];
    assert_eq!(ss["name"], "secret-service");
    assert_eq!(ss["available"], false);
    assert!(
        ss["reason"]
            .as_str()
            .unwrap()
            .contains("org.freedesktop.secrets")
    );

    // A stale bus address (nothing listening) is passed over just as quickly.
    let mut stale = home_env(&bus.home);
    stale.push((
        "DBUS_SESSION_BUS_ADDRESS".into(),
        format!("unix:path={}/no-such-bus", bus.home.path().display()).into(),
    ));
    let r = run(&stale, &["list"], "");
    assert_nothing_usable(&r, "cannot connect to the D-Bus session bus");
}

#[test]
fn auto_picks_the_secret_service_when_it_answers() {
    let ss = secret_service::fixture();
    let mut env = home_env(&ss.home);
    env.extend(ss.env());
    let v = backends_json(&env);
    assert_eq!(v["auto"]["name"], "secret-service", "{v:#}");
    run(&env, &["store"], PAYLOAD).ok();
    assert_eq!(ss.items_for("https://sel.example.com").len(), 1);
    assert!(!file_store(&ss.home).exists());
}

#[test]
fn auto_reuses_the_connection_its_probe_opened() {
    let ss = secret_service::fixture();
    let mut env = home_env(&ss.home);
    env.extend(ss.env());
    run(&env, &["store"], PAYLOAD).ok();
    let monitor = ss.monitor();
    let r = run(&env, &["get"], "https://sel.example.com");
    let seen = monitor.finish();
    assert!(r.ok().contains(r#""Secret":"s""#), "{r:#?}");
    // Every connection to the bus registers with one `Hello`.
    assert_eq!(seen.matches("member=Hello").count(), 1, "{seen}");
}

#[test]
fn auto_fails_rather_than_switch_stores_when_the_secret_service_hangs() {
    let ss = secret_service::fixture();
    let _purge = PurgeOnDrop(file_store(&ss.home));
    let mut env = home_env(&ss.home);
    env.extend(ss.env());
    // Another usable store exists: auto must still not silently use it.
    run(&env, &["--backend", "file", "store"], PAYLOAD).ok();
    ss.stop_keyring();
    let r = run(&env, &["get"], "sel.example.com");
    ss.continue_keyring();
    let line = r.fails();
    assert!(line.contains("did not answer"), "{r:#?}");
    assert!(!line.contains("\"Secret\""));
    assert!(r.elapsed < Duration::from_secs(10), "{r:#?}");
}

/// The deadline its message tells the user to raise is the one `auto` waits by: a keyring that
/// answers after 3 s is used with DOCKER_CREDENTIAL_KEYRING_TIMEOUT=20 (the probe's own 2 s
/// gave up before).
#[test]
fn auto_waits_as_long_as_docker_credential_keyring_timeout_says() {
    let ss = secret_service::fixture();
    let mut env = home_env(&ss.home);
    env.extend(ss.env());
    run(&env, &["store"], PAYLOAD).ok();
    env.push(("DOCKER_CREDENTIAL_KEYRING_TIMEOUT".into(), "20".into()));
    ss.stop_keyring();
    let mut cmd = command(&env);
    cmd.arg("get");
    let thawed = std::thread::scope(|scope| {
        let thaw = scope.spawn(|| {
            std::thread::sleep(Duration::from_secs(3));
            ss.continue_keyring();
        });
        let r = run_command(cmd, b"sel.example.com");
        thaw.join().unwrap();
        r
    });
    assert!(thawed.ok().contains(r#""Secret":"s""#), "{thawed:#?}");
    assert!(
        thawed.elapsed >= Duration::from_secs(3),
        "the keyring was frozen for 3 s, so the answer cannot have come sooner: {thawed:#?}"
    );
}

#[test]
fn auto_picks_pass_when_initialised_before_the_file() {
    let store = PassStore::new();
    let _purge = PurgeOnDrop(file_store(&store.home));
    let mut env = store.env_vars();
    env.extend(home_env(&store.home));
    env.push(("PATH".into(), std::env::var_os("PATH").unwrap_or_default()));
    let v = backends_json(&env);
    assert_eq!(v["auto"]["name"], "pass", "{v:#}");
    assert!(
        v["auto"]["reason"]
            .as_str()
            .unwrap()
            .contains("no D-Bus session bus"),
        "the reason says why secret-service was passed over: {v:#}"
    );
    run(&env, &["store"], PAYLOAD).ok();
    let shown = store.pass(&["ls"], "");
    assert!(
        shown.stdout.contains("docker-credential-helpers"),
        "{shown:#?}"
    );
    let r = run(&env, &["get"], "https://sel.example.com");
    assert!(r.ok().contains("\"Secret\":\"s\""), "{r:#?}");

    // An existing encrypted file does not take precedence over an initialised pass.
    run(&env, &["--backend", "file", "store"], PAYLOAD).ok();
    assert_eq!(backends_json(&env)["auto"]["name"], "pass");

    // An uninitialised store is passed over, with the reason.
    let bare = PassStore::uninitialised();
    let mut env = bare.env_vars();
    env.extend(home_env(&bare.home));
    let r = run(&env, &["list"], "");
    assert_nothing_usable(&r, "no D-Bus session bus");
    assert!(r.stderr.contains("is not initialised"), "{r:#?}");
}

#[test]
fn backends_report() {
    let home = Home::new();
    let env = home_env(&home);
    let v = backends_json(&env);
    let names: Vec<&str> = v["backends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "secret-service",
            "keychain",
            "wincred",
            "pass",
            "keyutils",
            "file"
        ]
    );
    for b in v["backends"].as_array().unwrap() {
        for field in ["keeps", "lasts", "setup", "reason"] {
            assert!(!b[field].as_str().unwrap().is_empty(), "{field} of {b:#}");
        }
        for field in ["supported", "available", "auto_candidate"] {
            assert!(b[field].is_boolean(), "{field} of {b:#}");
        }
    }
    let by_name = |n: &str| {
        v["backends"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("keychain")["supported"], false);
    assert_eq!(by_name("wincred")["available"], false);
    assert_eq!(by_name("keyutils")["auto_candidate"], false);
    assert!(
        by_name("keyutils")["lasts"]
            .as_str()
            .unwrap()
            .contains("reboot")
    );
    assert_eq!(by_name("file")["available"], true);
    assert_eq!(by_name("file")["auto_candidate"], true);
    assert!(
        by_name("file")["setup"]
            .as_str()
            .unwrap()
            .starts_with("docker-credential-keyring --backend file setup")
    );

    let r = run(&env, &["backends"], "");
    let text = r.ok();
    for needle in [
        "secret-service  unavailable: no D-Bus session bus",
        "keychain        not on this platform",
        "keyutils        available",
        "lasts: until reboot",
        "auto picks: nothing",
        "in use: none",
    ] {
        assert!(text.contains(needle), "{needle:?} in:\n{text}");
    }
    // Nothing was created by looking.
    assert!(!file_store(&home).exists());
    assert!(!config_path(&home).exists());
}
