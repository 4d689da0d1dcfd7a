//! The `file` backend through the built binary: round trip, wrong passphrase, damaged files,
//! concurrent helpers, permissions, nothing secret on disk, and the passphrase prompt on the
//! terminal (never stdin).

#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use support::file::{FileKeyring, PASSPHRASE};
use support::{Keyring, command, helper, run_command, store};

use docker_credential_keyring::protocol::NOT_FOUND;

/// Like `helper`, in a new session without a controlling terminal (`setsid`), so that a
/// passphrase prompt can never reach the terminal `cargo test` runs in.
fn detached(k: &dyn Keyring, args: &[&str], stdin: &str) -> support::Run {
    let mut env = k.env();
    env.push((
        "DOCKER_CREDENTIAL_KEYRING_BACKEND".into(),
        k.backend().into(),
    ));
    let mut cmd = Command::new("setsid");
    for (key, _) in std::env::vars_os() {
        let name = key.to_string_lossy();
        if name.starts_with("DOCKER_CREDENTIAL_KEYRING_")
            || [
                "DBUS_SESSION_BUS_ADDRESS",
                "DISPLAY",
                "PASSWORD_STORE_DIR",
                "GNUPGHOME",
            ]
            .contains(&name.as_ref())
        {
            cmd.env_remove(&key);
        }
    }
    cmd.envs(env.iter().map(|(a, b)| (a, b)));
    cmd.arg("-w").arg(support::bin()).args(args);
    run_command(cmd, stdin.as_bytes())
}

fn get_json(k: &dyn Keyring, server: &str) -> serde_json::Value {
    serde_json::from_str(helper(k, &["get"], server).ok()).expect("get prints JSON")
}

#[test]
fn round_trip() {
    let k = FileKeyring::new();
    assert_eq!(helper(&k, &["list"], "").ok(), "{}\n");
    assert_eq!(
        helper(&k, &["get"], "https://a.example.com").fails(),
        NOT_FOUND
    );
    assert!(!k.file().exists(), "get and list create nothing");

    store(&k, "https://a.example.com", "alice", "pä55 wörd\u{2028}&<>");
    store(&k, "registry.example.com:5000", "<token>", "refresh-token");
    assert_eq!(
        helper(&k, &["get"], "https://a.example.com").ok(),
        "{\"ServerURL\":\"https://a.example.com\",\"Username\":\"alice\",\"Secret\":\"pä55 wörd\\u2028\\u0026\\u003c\\u003e\"}\n"
    );
    assert_eq!(
        get_json(&k, "registry.example.com:5000")["Secret"],
        "refresh-token"
    );
    assert_eq!(
        helper(&k, &["list"], "").ok(),
        "{\"https://a.example.com\":\"alice\",\"registry.example.com:5000\":\"\\u003ctoken\\u003e\"}\n"
    );
    // Replace, then erase.
    store(&k, "https://a.example.com", "bob", "second");
    assert_eq!(get_json(&k, "https://a.example.com")["Username"], "bob");
    assert_eq!(get_json(&k, "https://a.example.com")["Secret"], "second");
    helper(&k, &["erase"], "https://a.example.com").ok();
    assert_eq!(
        helper(&k, &["get"], "https://a.example.com").fails(),
        NOT_FOUND
    );
    assert_eq!(
        helper(&k, &["erase"], "https://a.example.com").fails(),
        NOT_FOUND
    );
    assert_eq!(
        helper(&k, &["list"], "").ok(),
        "{\"registry.example.com:5000\":\"\\u003ctoken\\u003e\"}\n"
    );
    // An empty secret is allowed by the protocol.
    store(&k, "empty.example.com", "u", "");
    assert_eq!(get_json(&k, "empty.example.com")["Secret"], "");
}

#[test]
fn wrong_passphrase_is_an_error_never_not_found() {
    let k = FileKeyring::new();
    store(&k, "https://a.example.com", "alice", "s1");
    let before = std::fs::read(k.file()).unwrap();
    let wrong = k.with_passphrase(Some("not the passphrase"));

    let line = helper(&wrong, &["get"], "https://a.example.com")
        .fails()
        .to_owned();
    assert!(
        line.starts_with("wrong passphrase for the credential file"),
        "{line}"
    );
    assert!(!line.contains("not the passphrase") && !line.contains(PASSPHRASE));

    let payload = r#"{"ServerURL":"b.example.com","Username":"u","Secret":"s2"}"#;
    let line = helper(&wrong, &["store"], payload).fails().to_owned();
    assert!(line.starts_with("wrong passphrase"), "{line}");
    assert_eq!(std::fs::read(k.file()).unwrap(), before, "nothing written");

    // list needs no passphrase at all, and never asks for one.
    let none = k.with_passphrase(None);
    assert_eq!(
        detached(&none, &["list"], "").ok(),
        "{\"https://a.example.com\":\"alice\"}\n"
    );
    // Without a passphrase and without a terminal: a clear error, not "not found".
    let run = detached(&none, &["get"], "https://a.example.com");
    let line = run.fails();
    assert!(
        line.contains("needs a passphrase")
            && line.contains("DOCKER_CREDENTIAL_KEYRING_PASSPHRASE"),
        "{run:#?}"
    );
    // The right one still works.
    assert_eq!(get_json(&k, "https://a.example.com")["Secret"], "s1");
}

/// Every action on a damaged file fails with a line naming the file, and leaves it as it was.
fn assert_refused_untouched(k: &FileKeyring, bytes: &[u8], expect: &str) {
    std::fs::write(k.file(), bytes).unwrap();
    let payload = r#"{"ServerURL":"new.example.com","Username":"u","Secret":"s"}"#;
    for (args, stdin) in [
        (&["get"][..], "https://a.example.com"),
        (&["list"][..], ""),
        (&["store"][..], payload),
        (&["erase"][..], "https://a.example.com"),
    ] {
        let run = helper(k, args, stdin);
        let line = run.fails();
        assert!(
            line.contains(expect) && line.contains(&k.file().display().to_string()),
            "{args:?}: {run:#?}"
        );
        assert_ne!(line, NOT_FOUND);
        assert_eq!(
            std::fs::read(k.file()).unwrap(),
            bytes,
            "{args:?} changed the file"
        );
    }
}

#[test]
fn corrupted_and_truncated_files_are_refused_and_left_alone() {
    let k = FileKeyring::new();
    store(&k, "https://a.example.com", "alice", "s1");
    store(&k, "https://b.example.com", "bob", "s2");
    let good = std::fs::read(k.file()).unwrap();

    let truncated = &good[..good.len() / 2];
    assert_refused_untouched(&k, truncated, "is truncated");
    assert_refused_untouched(&k, b"", "is truncated");

    let mut garbled = good.clone();
    let at = garbled.len() / 3;
    garbled[at..at + 8].copy_from_slice(b"\x00\xffGARBLE");
    assert_refused_untouched(&k, &garbled, "is damaged");

    // A sealed secret changed inside valid JSON: that entry is damaged, the passphrase is fine.
    let mut doc: serde_json::Value = serde_json::from_slice(&good).unwrap();
    let sealed = doc["entries"]["https://a.example.com"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let flipped = if sealed.starts_with('A') { "B" } else { "A" };
    doc["entries"]["https://a.example.com"]["secret"] = format!("{flipped}{}", &sealed[1..]).into();
    std::fs::write(k.file(), serde_json::to_vec(&doc).unwrap()).unwrap();
    let line = helper(&k, &["get"], "https://a.example.com")
        .fails()
        .to_owned();
    assert!(
        line.contains("the entry for https://a.example.com") && line.contains("damaged"),
        "{line}"
    );
    assert_eq!(get_json(&k, "https://b.example.com")["Secret"], "s2");

    // A sealed secret moved to another server does not open there either (bound to its name).
    let mut doc: serde_json::Value = serde_json::from_slice(&good).unwrap();
    doc["entries"]["https://b.example.com"]["secret"] =
        doc["entries"]["https://a.example.com"]["secret"].clone();
    std::fs::write(k.file(), serde_json::to_vec(&doc).unwrap()).unwrap();
    let line = helper(&k, &["get"], "https://b.example.com")
        .fails()
        .to_owned();
    assert!(line.contains("damaged"), "{line}");

    // A file from a newer version says so.
    let mut doc: serde_json::Value = serde_json::from_slice(&good).unwrap();
    doc["version"] = 2.into();
    std::fs::write(k.file(), serde_json::to_vec(&doc).unwrap()).unwrap();
    let line = helper(&k, &["list"], "").fails().to_owned();
    assert!(line.contains("newer docker-credential-keyring"), "{line}");

    // Restored, everything is there again.
    std::fs::write(k.file(), &good).unwrap();
    assert_eq!(get_json(&k, "https://a.example.com")["Secret"], "s1");
}

#[test]
fn sixteen_concurrent_writers_lose_nothing() {
    // Starting from no file at all: the writers also race to create it.
    let k = FileKeyring::new();
    std::thread::scope(|s| {
        for i in 0..16 {
            let k = &k;
            s.spawn(move || {
                store(
                    k,
                    &format!("https://r{i}.example.com"),
                    &format!("user{i}"),
                    &format!("secret{i}"),
                )
            });
        }
    });
    let list: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(helper(&k, &["list"], "").ok()).unwrap();
    assert_eq!(list.len(), 16, "{list:?}");
    for i in 0..16 {
        let got = get_json(&k, &format!("https://r{i}.example.com"));
        assert_eq!(got["Username"], format!("user{i}"));
        assert_eq!(got["Secret"], format!("secret{i}"));
    }
    let dir = k.file().parent().unwrap().to_owned();
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn sixteen_concurrent_stores_to_one_server_leave_exactly_one() {
    let k = FileKeyring::new();
    store(&k, "https://other.example.com", "keep", "kept");
    std::thread::scope(|s| {
        for i in 0..16 {
            let k = &k;
            s.spawn(move || {
                store(
                    k,
                    "https://same.example.com",
                    &format!("user{i}"),
                    &format!("secret{i}"),
                )
            });
        }
    });
    let list: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(helper(&k, &["list"], "").ok()).unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    let got = get_json(&k, "https://same.example.com");
    let user = got["Username"].as_str().unwrap();
    let i: usize = user.strip_prefix("user").unwrap().parse().unwrap();
    assert_eq!(
        got["Secret"],
        format!("secret{i}"),
        "username and secret from one store"
    );
    assert_eq!(get_json(&k, "https://other.example.com")["Secret"], "kept");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn file_is_0600_in_a_0700_directory() {
    let k = FileKeyring::new();
    store(&k, "https://a.example.com", "alice", "s1");
    assert_eq!(mode(&k.file()), 0o600);
    assert_eq!(mode(k.file().parent().unwrap()), 0o700);
    assert_eq!(mode(&k.file().with_file_name("credentials.lock")), 0o600);
    // Still so after a rewrite (the temporary file is created 0600 and renamed over).
    store(&k, "https://b.example.com", "bob", "s2");
    assert_eq!(mode(&k.file()), 0o600);
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn no_secret_and_no_passphrase_anywhere_on_disk() {
    let k = FileKeyring::new();
    let secret = "TOPSECRET-7f3a9c-do-not-leak";
    store(&k, "https://a.example.com", "alice", secret);
    store(&k, "https://b.example.com", "bob", "other-secret");
    helper(&k, &["erase"], "https://b.example.com").ok();
    assert_eq!(get_json(&k, "https://a.example.com")["Secret"], secret);
    let mut files = Vec::new();
    files_under(k.home.path(), &mut files);
    assert!(files.contains(&k.file()), "{files:?}");
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        for needle in [secret, "TOPSECRET", "other-secret", PASSPHRASE] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle:?} readable in {}",
                file.display()
            );
        }
    }
}

#[test]
fn get_of_a_server_not_stored_needs_no_passphrase() {
    // docker asks for Docker Hub on every public pull: that must not prompt or fail.
    let k = FileKeyring::new();
    store(&k, "https://a.example.com", "alice", "s1");
    let none = k.with_passphrase(None);
    assert_eq!(
        detached(&none, &["get"], "https://index.docker.io/v1/").fails(),
        NOT_FOUND
    );
    assert_eq!(
        detached(&none, &["erase"], "https://nothere.example.com").fails(),
        NOT_FOUND
    );
    // erase needs no passphrase either: anyone who can write the file can delete from it.
    detached(&none, &["erase"], "https://a.example.com").ok();
    assert_eq!(helper(&k, &["list"], "").ok(), "{}\n");
}

#[test]
fn first_store_without_passphrase_or_terminal_creates_nothing() {
    let k = FileKeyring::new();
    let none = k.with_passphrase(None);
    let payload = r#"{"ServerURL":"a.example.com","Username":"u","Secret":"s"}"#;
    let run = detached(&none, &["store"], payload);
    assert!(run.fails().contains("needs a passphrase"), "{run:#?}");
    assert!(run.stderr.contains("never from stdin"), "{run:#?}");
    assert!(!k.file().exists());
}

#[test]
fn bad_cache_seconds_is_a_clear_error() {
    let k = FileKeyring::new();
    let mut env = k.env();
    env.push(("DOCKER_CREDENTIAL_KEYRING_BACKEND".into(), "file".into()));
    env.push((
        "DOCKER_CREDENTIAL_KEYRING_FILE_CACHE_SECONDS".into(),
        "15m".into(),
    ));
    let mut cmd = command(&env);
    cmd.arg("list");
    let run = run_command(cmd, b"");
    assert!(
        run.fails()
            .contains("DOCKER_CREDENTIAL_KEYRING_FILE_CACHE_SECONDS must be a number of seconds"),
        "{run:#?}"
    );
}

/// Run `shell` under `script`, which gives it a pseudo-terminal as controlling terminal and
/// types `typed` into it. The helper's stdin inside `shell` is a pipe (the protocol).
fn under_terminal(k: &dyn Keyring, shell: &str, typed: &str) -> support::Run {
    let mut env = k.env();
    env.push(("DOCKER_CREDENTIAL_KEYRING_BACKEND".into(), "file".into()));
    env.push(("BIN".into(), support::bin().into()));
    let mut cmd = Command::new("script");
    for (key, _) in std::env::vars_os() {
        let name = key.to_string_lossy();
        if name.starts_with("DOCKER_CREDENTIAL_KEYRING_") {
            cmd.env_remove(&key);
        }
    }
    cmd.envs(env.iter().map(|(a, b)| (a, b)));
    cmd.args(["-qec", shell, "/dev/null"]);
    run_command(cmd, typed.as_bytes())
}

#[test]
fn passphrase_prompt_reads_the_terminal_not_stdin() {
    let k = FileKeyring::new();
    let tty = k.with_passphrase(None);
    // The first store asks twice on the terminal; stdin carries the credential.
    let run = under_terminal(
        &tty,
        r#"printf '%s' '{"ServerURL":"tty.example.com","Username":"u","Secret":"from-tty"}' | "$BIN" store; echo "rc=$?""#,
        "typed-on-tty\ntyped-on-tty\n",
    );
    assert!(
        run.stdout
            .contains("New passphrase for the credential file"),
        "{run:#?}"
    );
    assert!(run.stdout.contains("Repeat the passphrase"), "{run:#?}");
    assert!(run.stdout.contains("rc=0"), "{run:#?}");

    // The passphrase typed there is the store's: the environment's must match it.
    let env = k.with_passphrase(Some("typed-on-tty"));
    assert_eq!(get_json(&env, "tty.example.com")["Secret"], "from-tty");

    // With the cache off, get prompts again on the terminal and reads the URL from stdin.
    let run = under_terminal(
        &tty,
        r#"echo tty.example.com | DOCKER_CREDENTIAL_KEYRING_FILE_CACHE_SECONDS=0 "$BIN" get; echo "rc=$?""#,
        "typed-on-tty\n",
    );
    assert!(
        run.stdout.contains("Passphrase for the credential file"),
        "{run:#?}"
    );
    assert!(
        run.stdout
            .contains(r#"{"ServerURL":"tty.example.com","Username":"u","Secret":"from-tty"}"#),
        "{run:#?}"
    );

    // A wrong passphrase typed at the terminal is refused.
    let run = under_terminal(
        &tty,
        r#"echo tty.example.com | DOCKER_CREDENTIAL_KEYRING_FILE_CACHE_SECONDS=0 "$BIN" get; echo "rc=$?""#,
        "wrong\n",
    );
    assert!(run.stdout.contains("wrong passphrase"), "{run:#?}");
    assert!(run.stdout.contains("rc=1"), "{run:#?}");

    // Two different passphrases at creation: nothing stored.
    let fresh = FileKeyring::new();
    let run = under_terminal(
        &fresh.with_passphrase(None),
        r#"printf '%s' '{"ServerURL":"x.example.com","Username":"u","Secret":"s"}' | "$BIN" store; echo "rc=$?""#,
        "one\ntwo\n",
    );
    assert!(
        run.stdout.contains("the two passphrases typed differ"),
        "{run:#?}"
    );
    assert!(!fresh.file().exists());
}

#[test]
fn a_passphrase_typed_at_the_terminal_is_cached() {
    let k = FileKeyring::new();
    store(&k, "cached.example.com", "u", "cached-secret");
    let tty = k.with_passphrase(None);
    // Typed once at the terminal (cache on: the fixture's 60 s)...
    let run = under_terminal(
        &tty,
        r#"echo cached.example.com | "$BIN" get; echo "rc=$?""#,
        &format!("{PASSPHRASE}\n"),
    );
    assert!(run.stdout.contains("cached-secret"), "{run:#?}");
    // ... then a call with no terminal and no passphrase finds the key in the cache.
    let run = detached(&tty, &["get"], "cached.example.com");
    assert!(run.ok().contains("cached-secret"), "{run:#?}");
    // A passphrase from the environment is still checked, cache or not.
    let wrong = k.with_passphrase(Some("wrong"));
    assert!(
        helper(&wrong, &["get"], "cached.example.com")
            .fails()
            .starts_with("wrong passphrase")
    );
}

/// The descriptions of the kernel keys caching `k`'s key, as every process that may view them
/// sees them in `/proc/keys`.
fn cached_key_descriptions(k: &FileKeyring) -> (String, Vec<String>) {
    use base64::Engine as _;
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(k.file()).unwrap()).unwrap();
    let salt = base64::engine::general_purpose::STANDARD
        .decode(doc["kdf"]["salt"].as_str().unwrap())
        .unwrap();
    let hex: String = salt.iter().map(|b| format!("{b:02x}")).collect();
    let prefix = format!("docker-credential-keyring:file:{hex}");
    let keys = std::fs::read_to_string("/proc/keys").unwrap();
    let found = keys
        .lines()
        .filter_map(|l| l.find(&prefix).map(|at| &l[at..]))
        .map(|d| d.split(": ").next().unwrap_or(d).to_owned())
        .collect();
    (prefix, found)
}

#[test]
fn the_cached_keys_name_holds_the_salt_and_nothing_derived_from_the_passphrase() {
    let k = FileKeyring::new();
    store(&k, "https://a.example.com", "alice", "s1");
    let (prefix, found) = cached_key_descriptions(&k);
    assert_eq!(found, [format!("{prefix}:env")]);
}

#[test]
fn a_wrong_passphrase_is_refused_while_the_right_ones_key_is_cached() {
    let k = FileKeyring::new();
    store(&k, "https://a.example.com", "alice", "s1");
    assert_eq!(cached_key_descriptions(&k).1.len(), 1, "the key is cached");
    let wrong = k.with_passphrase(Some("not the passphrase"));
    let line = helper(&wrong, &["get"], "https://a.example.com")
        .fails()
        .to_owned();
    assert!(line.starts_with("wrong passphrase"), "{line}");
    assert_eq!(get_json(&k, "https://a.example.com")["Secret"], "s1");
}

/// The store's file with its Argon2 parameters set to `memory_kib` and `iterations`.
fn with_kdf(k: &FileKeyring, memory_kib: u64, iterations: u64) -> Vec<u8> {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(k.file()).unwrap()).unwrap();
    doc["kdf"]["memory_kib"] = memory_kib.into();
    doc["kdf"]["iterations"] = iterations.into();
    serde_json::to_vec_pretty(&doc).unwrap()
}

#[test]
fn a_file_asking_for_4_gib_of_kdf_memory_is_refused() {
    let k = FileKeyring::new();
    store(&k, "https://a.example.com", "alice", "s1");
    let hostile = with_kdf(&k, 4 * 1024 * 1024, 3);
    assert_refused_untouched(&k, &hostile, "asks for a key derivation beyond the limits");
}

#[test]
fn a_file_asking_for_a_million_kdf_passes_is_refused() {
    let k = FileKeyring::new();
    store(&k, "https://a.example.com", "alice", "s1");
    let hostile = with_kdf(&k, 64 * 1024, 1_000_000);
    assert_refused_untouched(&k, &hostile, "asks for a key derivation beyond the limits");
}
