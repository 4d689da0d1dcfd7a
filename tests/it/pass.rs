//! The `pass` backend against real `pass` and `gpg`, and against Debian's
//! `docker-credential-pass` (interop both ways). The generic protocol suite runs over this
//! fixture in tests/it/protocol.rs; these are the pass-specific checks.

#![cfg(target_os = "linux")]

use serde_json::{Value, json};
use std::path::Path;
use support::pass::PassStore;
use support::{helper, store};

use docker_credential_keyring::protocol::NOT_FOUND;

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s:?}"))
}

fn creds(server: &str, user: &str, secret: &str) -> String {
    json!({"ServerURL": server, "Username": user, "Secret": secret}).to_string()
}

/// The `.gpg` files under the server's folder, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

fn encoded(server: &str) -> String {
    docker_credential_keyring::backend::pass::base64url_encode(server.as_bytes())
}

#[test]
fn entries_are_where_docker_credential_pass_puts_them() {
    let p = PassStore::new();
    store(&p, "https://registry.example.com", "alice", "s3cr3t");
    let dir = p.folder().join(encoded("https://registry.example.com"));
    assert_eq!(
        dir.file_name().unwrap(),
        "aHR0cHM6Ly9yZWdpc3RyeS5leGFtcGxlLmNvbQ=="
    );
    assert_eq!(files(&dir), ["alice.gpg"]);
    // And pass itself decrypts it to exactly the secret, no newline added.
    let shown = p.pass(
        &[
            "show",
            "docker-credential-helpers/aHR0cHM6Ly9yZWdpc3RyeS5leGFtcGxlLmNvbQ==/alice",
        ],
        "",
    );
    assert_eq!(shown.ok(), "s3cr3t");
}

#[test]
fn docker_credential_pass_reads_what_we_store() {
    let p = PassStore::new();
    store(&p, "https://index.docker.io/v1/", "alice", "tok/en+=");
    store(&p, "localhost:5000", "bob", "");
    let got = p.docker_credential_pass(&["get"], "https://index.docker.io/v1/\n");
    assert_eq!(
        json(got.ok()),
        json!({"ServerURL": "https://index.docker.io/v1/", "Username": "alice", "Secret": "tok/en+="})
    );
    let listed = p.docker_credential_pass(&["list"], "");
    assert_eq!(
        json(listed.ok()),
        json!({"https://index.docker.io/v1/": "alice", "localhost:5000": "bob"})
    );
    // Its erase removes ours.
    p.docker_credential_pass(&["erase"], "localhost:5000\n")
        .ok();
    assert_eq!(helper(&p, &["get"], "localhost:5000").fails(), NOT_FOUND);
}

#[test]
fn we_read_list_and_erase_what_docker_credential_pass_stores() {
    let p = PassStore::new();
    p.docker_credential_pass(
        &["store"],
        &creds("https://ghcr.io", "octo cat", "ghp_token\u{e9}"),
    )
    .ok();
    p.docker_credential_pass(&["store"], &creds("quay.io", "q", "pw"))
        .ok();
    let got = helper(&p, &["get"], "https://ghcr.io\n");
    assert_eq!(
        json(got.ok()),
        json!({"ServerURL": "https://ghcr.io", "Username": "octo cat", "Secret": "ghp_token\u{e9}"})
    );
    assert_eq!(
        json(helper(&p, &["list"], "").ok()),
        json!({"https://ghcr.io": "octo cat", "quay.io": "q"})
    );
    helper(&p, &["erase"], "quay.io").ok();
    // (Debian's 0.6.4 `get` of a missing server prints empty credentials with exit 0, so ask
    // its `list`.)
    assert_eq!(
        json(p.docker_credential_pass(&["list"], "").ok()),
        json!({"https://ghcr.io": "octo cat"})
    );
    assert!(!p.folder().join(encoded("quay.io")).exists());
}

#[test]
fn an_entry_typed_in_with_pass_insert_loses_its_trailing_newline_like_the_go_helper() {
    let p = PassStore::new();
    let name = format!("docker-credential-helpers/{}/me", encoded("r.example"));
    p.pass(&["insert", "-m", "-f", &name], "typed\n").ok();
    let ours = json(helper(&p, &["get"], "r.example").ok());
    let theirs = json(p.docker_credential_pass(&["get"], "r.example").ok());
    assert_eq!(ours["Secret"], "typed");
    assert_eq!(ours, theirs);
}

#[test]
fn store_leaves_exactly_one_username_per_server() {
    let p = PassStore::new();
    // docker-credential-pass keeps one file per username it was given.
    p.docker_credential_pass(&["store"], &creds("https://r.io", "bob", "b"))
        .ok();
    p.docker_credential_pass(&["store"], &creds("https://r.io", "alice", "a"))
        .ok();
    let dir = p.folder().join(encoded("https://r.io"));
    assert_eq!(files(&dir), ["alice.gpg", "bob.gpg"]);
    store(&p, "https://r.io", "carol", "c");
    assert_eq!(files(&dir), ["carol.gpg"]);
    assert_eq!(
        json(helper(&p, &["get"], "https://r.io").ok()),
        json!({"ServerURL": "https://r.io", "Username": "carol", "Secret": "c"})
    );
    // Storing the same username again replaces the secret, still one file.
    store(&p, "https://r.io", "carol", "c2");
    assert_eq!(files(&dir), ["carol.gpg"]);
    assert_eq!(
        json(helper(&p, &["get"], "https://r.io").ok())["Secret"],
        "c2"
    );
}

/// Every regular file under `dir` (depth-limited) modified at or after `since`.
fn files_under(
    dir: &Path,
    since: std::time::SystemTime,
    depth: usize,
    out: &mut Vec<std::path::PathBuf>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() && depth > 0 {
            files_under(&path, since, depth - 1, out);
        } else if meta.is_file() && meta.modified().is_ok_and(|m| m >= since) {
            out.push(path);
        }
    }
}

#[test]
fn nothing_is_in_plaintext_on_disk() {
    let since = std::time::SystemTime::now() - std::time::Duration::from_secs(2);
    let p = PassStore::new();
    let secret = "PLAINTEXT-CANARY-7f3a9c1e";
    store(&p, "https://canary.example", "canary-user", secret);
    assert_eq!(
        json(helper(&p, &["get"], "https://canary.example").ok())["Secret"],
        secret
    );
    // The store, the GnuPG home and HOME (all under the fixture's root), and whatever was
    // written in the temp directories while this test ran.
    let mut files = Vec::new();
    files_under(p.root(), std::time::UNIX_EPOCH, 20, &mut files);
    let in_root = files.len();
    files_under(&std::env::temp_dir(), since, 6, &mut files);
    files_under(Path::new("/dev/shm"), since, 6, &mut files);
    for path in &files {
        if let Ok(bytes) = std::fs::read(path) {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "the secret is readable in {}",
                path.display()
            );
        }
    }
    assert!(in_root > 3, "looked at {in_root} files only: {files:?}");
    assert!(
        files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "gpg"))
    );
}

#[test]
fn uninitialised_store_says_run_pass_init() {
    let p = PassStore::uninitialised();
    let run = helper(&p, &["store"], &creds("https://r.io", "u", "s"));
    let line = run.fails();
    assert!(
        line.contains("not initialised") && line.contains("pass init"),
        "{line}"
    );
    assert!(run.stderr.contains("pass init"), "hint: {run:#?}");
    assert!(!p.folder().exists(), "a half-made store was left behind");
    // Reading an empty, uninitialised store is simply "nothing stored".
    assert_eq!(helper(&p, &["get"], "https://r.io").fails(), NOT_FOUND);
    assert_eq!(helper(&p, &["list"], "").ok(), "{}\n");
}

#[test]
fn a_missing_secret_key_is_an_error_never_not_found() {
    let p = PassStore::new();
    store(&p, "https://r.io", "u", "s");
    // The same store read with a GnuPG home that lacks the key.
    let other = PassStore::uninitialised();
    let mut env = p.env_vars();
    env.retain(|(k, _)| k != "GNUPGHOME");
    env.push(("GNUPGHOME".into(), other.gnupg.clone().into()));
    env.push(("DOCKER_CREDENTIAL_KEYRING_BACKEND".into(), "pass".into()));
    let mut cmd = support::command(&env);
    cmd.arg("get");
    let run = support::run_command(cmd, b"https://r.io\n");
    let line = run.fails();
    assert_ne!(line, NOT_FOUND);
    assert!(line.contains("secret key"), "{line}");
    assert!(run.stdout.lines().count() == 1);
    // Nothing was lost: the right key still reads it.
    assert_eq!(
        json(helper(&p, &["get"], "https://r.io").ok())["Secret"],
        "s"
    );
}

#[test]
fn a_store_for_a_key_we_do_not_have_fails_clearly_and_leaves_nothing() {
    let p = PassStore::uninitialised();
    // .gpg-id names a key this GNUPGHOME does not hold.
    std::fs::create_dir_all(&p.store).unwrap();
    std::fs::write(
        p.store.join(".gpg-id"),
        "0123456789ABCDEF0123456789ABCDEF01234567\n",
    )
    .unwrap();
    let line = helper(&p, &["store"], &creds("https://r.io", "u", "s"))
        .fails()
        .to_owned();
    assert!(
        line.contains("cannot encrypt") && line.contains("public key"),
        "{line}"
    );
    assert!(files(&p.folder()).is_empty(), "{:?}", files(&p.folder()));
}

#[test]
fn a_passphrase_that_cannot_be_asked_for_is_an_error_never_not_found() {
    let p = PassStore::with_passphrase(Some("correct horse"));
    p.init();
    store(&p, "https://r.io", "u", "s");
    // Forget any cached passphrase, then read without a terminal (setsid: no controlling tty;
    // stdin is a pipe).
    let _ = std::process::Command::new("gpgconf")
        .env("GNUPGHOME", &p.gnupg)
        .args(["--kill", "gpg-agent"])
        .output();
    let mut env = p.env_vars();
    env.push(("DOCKER_CREDENTIAL_KEYRING_BACKEND".into(), "pass".into()));
    let cmd = support::command(&env);
    let program = cmd.get_program().to_owned();
    let mut wrapped = std::process::Command::new("setsid");
    wrapped.arg("-w").arg(program).arg("get");
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    let run = support::run_command(wrapped, b"https://r.io\n");
    let line = run.fails();
    assert_ne!(line, NOT_FOUND);
    assert!(line.contains("passphrase"), "{line}");
}

#[test]
fn pass_not_installed_is_named_with_the_fix() {
    let p = PassStore::new();
    let mut env = p.env_vars();
    env.push(("PATH".into(), "/nonexistent".into()));
    env.push(("DOCKER_CREDENTIAL_KEYRING_BACKEND".into(), "pass".into()));
    let mut cmd = support::command(&env);
    cmd.arg("store");
    let run = support::run_command(cmd, creds("https://r.io", "u", "s").as_bytes());
    let line = run.fails();
    assert!(
        line.contains("not installed") && line.contains("apt install pass"),
        "{line}"
    );
}

#[test]
fn a_username_with_a_slash_is_refused_and_nothing_is_stored() {
    let p = PassStore::new();
    let line = helper(&p, &["store"], &creds("https://r.io", "org/robot", "s"))
        .fails()
        .to_owned();
    assert!(line.contains("'/'"), "{line}");
    assert_eq!(helper(&p, &["list"], "").ok(), "{}\n");
}

#[test]
fn list_decrypts_nothing() {
    let p = PassStore::new();
    store(&p, "https://a.io", "a", "1");
    store(&p, "https://b.io", "b", "2");
    // Without the secret key nothing can be decrypted; list still answers.
    let other = PassStore::uninitialised();
    let mut env = p.env_vars();
    env.retain(|(k, _)| k != "GNUPGHOME");
    env.push(("GNUPGHOME".into(), other.gnupg.clone().into()));
    env.push(("DOCKER_CREDENTIAL_KEYRING_BACKEND".into(), "pass".into()));
    let mut cmd = support::command(&env);
    cmd.arg("list");
    let run = support::run_command(cmd, b"");
    assert_eq!(
        json(run.ok()),
        json!({"https://a.io": "a", "https://b.io": "b"})
    );
    // Folders that are not ours (not base64url) are skipped, not an error.
    std::fs::create_dir_all(p.folder().join("not base64!")).unwrap();
    assert_eq!(
        json(helper(&p, &["list"], "").ok()),
        json!({"https://a.io": "a", "https://b.io": "b"})
    );
}

#[test]
fn git_integration_records_our_changes() {
    let p = PassStore::new();
    p.pass(&["git", "init"], "").ok();
    let _ = p.pass(&["git", "config", "user.email", "t@example.invalid"], "");
    let _ = p.pass(&["git", "config", "user.name", "t"], "");
    store(&p, "https://r.io", "u", "s");
    helper(&p, &["erase"], "https://r.io").ok();
    let log = p.run(
        "git",
        &["-C", p.store.to_str().unwrap(), "log", "--format=%s"],
        "",
    );
    let log = log.ok();
    assert!(log.contains("docker-credential-helpers"), "{log}");
    assert_eq!(
        log.lines().count(),
        2,
        "a commit for the insert and one for the rm: {log}"
    );
}

#[test]
fn a_per_folder_gpg_id_is_honoured() {
    let p = PassStore::new();
    let second = p.new_key("second <second@example.invalid>", None);
    p.pass(&["init", "-p", "docker-credential-helpers", &second], "")
        .ok();
    store(&p, "https://r.io", "u", "s");
    let file = p.folder().join(encoded("https://r.io")).join("u.gpg");
    let packets = p
        .gpg(&["--batch", "--list-only", "--list-packets"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&packets.stdout).into_owned()
        + &String::from_utf8_lossy(&packets.stderr);
    let subkeys = p
        .gpg(&["--batch", "--with-colons", "--list-keys", &second])
        .output()
        .unwrap();
    let subkeys = String::from_utf8_lossy(&subkeys.stdout).into_owned();
    let enc_key = subkeys
        .lines()
        .find(|l| l.starts_with("sub:"))
        .and_then(|l| l.split(':').nth(4))
        .unwrap()
        .to_owned();
    assert!(text.contains(&enc_key), "{text}\n{subkeys}");
    assert_eq!(
        json(helper(&p, &["get"], "https://r.io").ok())["Secret"],
        "s"
    );
}

#[test]
fn the_users_password_store_gpg_opts_are_kept() {
    let p = PassStore::new();
    let mut env = p.env_vars();
    env.push(("PASSWORD_STORE_GPG_OPTS".into(), "--armor".into()));
    env.push(("DOCKER_CREDENTIAL_KEYRING_BACKEND".into(), "pass".into()));
    let mut cmd = support::command(&env);
    cmd.arg("store");
    support::run_command(cmd, creds("https://r.io", "u", "s").as_bytes()).ok();
    let file = p.folder().join(encoded("https://r.io")).join("u.gpg");
    let bytes = std::fs::read(&file).unwrap();
    assert!(
        bytes.starts_with(b"-----BEGIN PGP MESSAGE-----"),
        "not armored: {:?}",
        String::from_utf8_lossy(&bytes[..20.min(bytes.len())])
    );
    assert_eq!(
        json(helper(&p, &["get"], "https://r.io").ok())["Secret"],
        "s"
    );
}

#[test]
fn children_get_no_secret_in_argv_or_environment() {
    let p = PassStore::new();
    p.pass(&["git", "init"], "").ok();
    let _ = p.pass(&["git", "config", "user.email", "t@example.invalid"], "");
    let _ = p.pass(&["git", "config", "user.name", "t"], "");
    // A git hook, run by `pass insert` under our binary, records what it inherited: its
    // environment and its ancestors' command lines.
    let seen = p.root().join("seen-by-hook");
    let hook = p.store.join(".git/hooks/pre-commit");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nenv > '{0}'\npid=$$\nwhile [ \"$pid\" -gt 1 ]; do tr '\\0' ' ' < /proc/$pid/cmdline >> '{0}'; echo >> '{0}'; pid=$(awk '{{print $4}}' /proc/$pid/stat); done\n",
            seen.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut env = p.env_vars();
    env.push((
        "DOCKER_CREDENTIAL_KEYRING_PASSPHRASE".into(),
        "PASSPHRASE-CANARY-31".into(),
    ));
    env.push(("DOCKER_CREDENTIAL_KEYRING_BACKEND".into(), "pass".into()));
    let mut cmd = support::command(&env);
    cmd.arg("store");
    support::run_command(
        cmd,
        creds("https://r.io", "u", "SECRET-CANARY-77").as_bytes(),
    )
    .ok();
    let seen = std::fs::read_to_string(&seen).expect("the hook ran");
    assert!(seen.contains("PASSWORD_STORE_DIR="), "{seen}");
    assert!(seen.contains("docker-credential-keyring"), "{seen}");
    assert!(!seen.contains("PASSPHRASE-CANARY-31"), "{seen}");
    assert!(!seen.contains("SECRET-CANARY-77"), "{seen}");
}

#[test]
fn names_longer_than_a_file_name_fail_clearly_and_store_nothing() {
    let p = PassStore::new();
    let longest = format!("https://{}", "a".repeat(189 - 8));
    store(&p, &longest, &"u".repeat(251), "s");
    assert_eq!(json(helper(&p, &["get"], &longest).ok())["Secret"], "s");
    let too_long = format!("{longest}x");
    let line = helper(&p, &["store"], &creds(&too_long, "u", "s"))
        .fails()
        .to_owned();
    assert!(line.contains("server URL is too long"), "{line}");
    let line = helper(
        &p,
        &["store"],
        &creds("https://r.io", &"u".repeat(252), "s"),
    )
    .fails()
    .to_owned();
    assert!(line.contains("username is too long"), "{line}");
    assert_eq!(
        json(helper(&p, &["list"], "").ok())
            .as_object()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn get_miss_reads_no_other_entry() {
    let p = PassStore::new();
    store(&p, "https://a.example", "alice", "s");
    // An entry nobody can read (a folder that is a symlink loop): a get that enumerated the
    // store (the old miss path, a list) fails on it; exact lookups never touch it.
    let other = p.folder().join(encoded("https://other.example"));
    std::os::unix::fs::symlink(&other, &other).unwrap();
    assert_eq!(
        helper(&p, &["get"], "registry.example.com/org/repo").fails(),
        NOT_FOUND
    );
    // Another spelling of a stored address is still found.
    let out = json(helper(&p, &["get"], "a.example/org/repo").ok());
    assert_eq!(out["Username"], "alice");
}
