//! Moving in without losing a login: `setup` over Docker's own credential stores (the real
//! `docker-credential-pass` on a real pass/gpg store, the real `docker-credential-secretservice`
//! on a real gnome-keyring), and `setup --registry` over a config with several logins. What
//! counts is docker's own resolution: the real docker CLI pulls from the stub daemon, which
//! records the credential it was sent, before and after.

#![cfg(target_os = "linux")]

use serde_json::json;
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use support::adoption::{Sandbox, auth, names};
use support::pass::PassStore;

const A: &str = "a.example:5000";
const B: &str = "b.example";
const C: &str = "c.example";
const LOGINS: &[(&str, &str, &str)] = &[(A, "alice", "pw-a-71c3"), (B, "bob", "pw-b-0e9d")];

/// What docker sends for `registry` on a pull: (username, password), empty when anonymous.
fn resolve(s: &Sandbox, registry: &str) -> (String, String) {
    s.docker(&["pull", &format!("{registry}/team/img")], "")
        .ok();
    let pulls = s.daemon().pulls();
    let sent = pulls
        .last()
        .and_then(|p| p.registry_auth())
        .unwrap_or(serde_json::Value::Null);
    let field = |k: &str| sent[k].as_str().unwrap_or("").to_owned();
    (field("username"), field("password"))
}

fn expected(user: &str, pw: &str) -> (String, String) {
    (user.to_owned(), pw.to_owned())
}

/// A sandbox whose docker talks to a stub daemon accepting LOGINS (and carol's), with the
/// system PATH after its own bin directory (Docker's Go helpers, pass and gpg live there).
fn sandbox(keyring: Box<dyn support::Keyring>) -> Sandbox {
    let mut s = Sandbox::new().keyring(keyring).with_daemon(&[
        ("alice", "pw-a-71c3"),
        ("bob", "pw-b-0e9d"),
        ("carol", "pw-c-5a2f"),
    ]);
    let mut dirs = vec![s.bin_dir()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    s.extra_env
        .push(("PATH".into(), std::env::join_paths(dirs).unwrap()));
    s
}

fn pass_env(p: &PassStore) -> Vec<(OsString, OsString)> {
    vec![
        ("GNUPGHOME".into(), p.gnupg.clone().into()),
        ("PASSWORD_STORE_DIR".into(), p.store.clone().into()),
    ]
}

/// A helper script `docker-credential-NAME` in the sandbox's bin directory.
fn script(s: &Sandbox, name: &str, body: &str) {
    let path = s.bin_dir().join(format!("docker-credential-{name}"));
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `docker login` both LOGINS through whatever config.json says.
fn log_in(s: &Sandbox) {
    for (registry, user, pw) in LOGINS {
        let out = s.docker(
            &["login", "-u", user, "--password-stdin", registry],
            &format!("{pw}\n"),
        );
        out.ok();
        assert!(!out.stderr.contains("unencrypted"), "{out:#?}");
    }
}

fn assert_resolves_logins(s: &Sandbox) {
    for (registry, user, pw) in LOGINS {
        assert_eq!(resolve(s, registry), expected(user, pw), "{registry}");
    }
}

/// Docker's docker-credential-pass as the credsStore, two registries logged in through it, and
/// a credHelpers entry for another helper; our backend is the encrypted file, which cannot read
/// pass: every login is copied (read back), pass is left as it was, the other helper's entry
/// survives, and docker resolves each registry to the same credential.
#[test]
fn setup_over_docker_credential_pass_copies_every_login() {
    let p = PassStore::new();
    let mut s = sandbox(Box::new(support::file::FileKeyring::new()));
    s.extra_env.extend(pass_env(&p));
    script(
        &s,
        "other",
        r#"[ "$1" = get ] && echo '{"ServerURL":"c.example","Username":"carol","Secret":"pw-c-5a2f"}'"#,
    );
    s.write_config(&format!(
        "{{\n\t\"credsStore\": \"pass\",\n\t\"credHelpers\": {{\n\t\t\"{C}\": \"other\"\n\t}}\n}}"
    ));
    log_in(&s);
    // pass also holds a stale login for C, which docker never asks it for (credHelpers wins).
    let stale = json!({"ServerURL": C, "Username": "stale", "Secret": "pw-stale-11f0"});
    p.docker_credential_pass(&["store"], &stale.to_string())
        .ok();
    assert_resolves_logins(&s);
    assert_eq!(resolve(&s, C), expected("carol", "pw-c-5a2f"));
    let listed_before = p.docker_credential_pass(&["list"], "").stdout;
    let before = s.config_bytes();

    let out = s.ours(&["setup"], "");
    let stdout = out.ok();
    for (_, _, pw) in LOGINS {
        assert!(!stdout.contains(pw) && !out.stderr.contains(pw), "{out:#?}");
    }
    for line in [
        format!("copied {A} (user alice) from docker-credential-pass into the keychain (file)"),
        format!("copied {B} (user bob) from docker-credential-pass into the keychain (file)"),
        "now has \"credsStore\": \"keyring\" instead of \"pass\"".to_owned(),
        "logins: 2 copied or moved, 0 already readable, 0 could not be brought".to_owned(),
        format!("left {C} to docker-credential-other: credHelpers sends it there, and still will"),
        "docker-credential-pass was left as it is; to go back, set \"credsStore\": \"pass\" again"
            .to_owned(),
    ] {
        assert!(stdout.contains(&line), "{line:?} missing: {out:#?}");
    }
    assert!(!stdout.contains("log in again"), "{out:#?}");

    let config = s.config_json();
    assert_eq!(config["credsStore"], "keyring");
    assert_eq!(config["credHelpers"], json!({C: "other"}), "untouched");
    assert_eq!(
        std::fs::read(s.config_dir().join("config.json.bak")).unwrap(),
        before,
        "the backup is the file from before"
    );
    // Docker resolves every registry as before: A and B through us now, C through its helper.
    assert_resolves_logins(&s);
    assert_eq!(resolve(&s, C), expected("carol", "pw-c-5a2f"));
    assert_eq!(s.get(A), Some(expected("alice", "pw-a-71c3")));
    assert_eq!(s.list(), json!({A: "alice", B: "bob"}), "C was not copied");
    // The source was only read.
    assert_eq!(
        p.docker_credential_pass(&["list"], "").stdout,
        listed_before
    );

    // doctor says how to go back and what stays readable there.
    let doctor = s.ours(&["doctor", "--json"], "");
    let report: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap();
    let back = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "going back")
        .unwrap_or_else(|| panic!("{report}"));
    assert!(
        back["detail"]
            .as_str()
            .unwrap()
            .contains("docker-credential-pass still holds what it held then"),
        "{back}"
    );
    assert!(
        back["fix"]
            .as_str()
            .unwrap()
            .contains("set \"credsStore\": \"pass\""),
        "{back}"
    );

    // A second run has nothing to move and changes nothing.
    let bytes = s.config_bytes();
    assert!(s.ours(&["setup"], "").ok().contains("nothing to change"));
    assert_eq!(s.config_bytes(), bytes);
}

/// Our pass backend keeps Docker's layout in the same store: setup over docker-credential-pass
/// finds every login readable in place and writes nothing into the store.
#[test]
fn setup_over_docker_credential_pass_with_our_pass_backend_copies_nothing() {
    let p = std::rc::Rc::new(PassStore::new());
    let s = sandbox(Box::new(p.clone()));
    s.write_config("{\n\t\"credsStore\": \"pass\"\n}");
    log_in(&s);
    assert_resolves_logins(&s);
    let files = |dir: &std::path::Path| {
        let mut v = Vec::new();
        for e in walk(dir) {
            let m = std::fs::metadata(&e).unwrap();
            v.push((e, m.len(), m.modified().unwrap()));
        }
        v.sort();
        v
    };
    let store_before = files(&p.folder());

    let out = s.ours(&["setup"], "");
    let stdout = out.ok();
    assert!(
        stdout.contains(&format!(
            "{A} (user alice): already readable: the pass backend reads docker-credential-pass's items in place (nothing copied)"
        )),
        "{out:#?}"
    );
    assert!(
        stdout.contains("logins: 0 copied or moved, 2 already readable, 0 could not be brought"),
        "{out:#?}"
    );
    assert!(
        stdout.contains("it reads the same items, so every login stays readable there"),
        "{out:#?}"
    );
    assert_eq!(files(&p.folder()), store_before, "nothing written to pass");
    assert_eq!(s.config_json()["credsStore"], "keyring");
    assert_resolves_logins(&s);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Docker's docker-credential-secretservice as the credsStore, two registries logged in through
/// it; our Secret Service backend reads Docker's items in place: nothing is copied, and docker
/// resolves each registry as before.
#[test]
fn setup_over_docker_credential_secretservice_reads_in_place() {
    let ss = std::rc::Rc::new(support::secret_service::fixture());
    let s = sandbox(Box::new(ss.clone()));
    s.write_config("{\n\t\"credsStore\": \"secretservice\"\n}");
    log_in(&s);
    assert_resolves_logins(&s);
    let items_before: Vec<_> = LOGINS.iter().map(|(r, _, _)| ss.items_for(r)).collect();

    let out = s.ours(&["setup"], "");
    let stdout = out.ok();
    for (registry, user, _) in LOGINS {
        assert!(
            stdout.contains(&format!(
                "{registry} (user {user}): already readable: the secret-service backend reads docker-credential-secretservice's items in place (nothing copied)"
            )),
            "{out:#?}"
        );
    }
    assert!(
        stdout.contains("logins: 0 copied or moved, 2 already readable, 0 could not be brought"),
        "{out:#?}"
    );
    let items_after: Vec<_> = LOGINS.iter().map(|(r, _, _)| ss.items_for(r)).collect();
    assert_eq!(items_after, items_before, "no item written");
    assert_eq!(s.config_json()["credsStore"], "keyring");
    assert_resolves_logins(&s);
}

/// The same Go helper with the encrypted file as our backend: each login is copied.
#[test]
fn setup_over_docker_credential_secretservice_into_the_file_backend_copies() {
    let ss = support::secret_service::fixture();
    let mut s = sandbox(Box::new(support::file::FileKeyring::new()));
    s.extra_env.extend(ss.tool_env());
    s.write_config("{\n\t\"credsStore\": \"secretservice\"\n}");
    log_in(&s);
    assert_resolves_logins(&s);
    let out = s.ours(&["setup"], "");
    let stdout = out.ok();
    assert!(
        stdout.contains(&format!(
            "copied {B} (user bob) from docker-credential-secretservice into the keychain (file)"
        )),
        "{out:#?}"
    );
    assert!(
        stdout.contains("logins: 2 copied or moved, 0 already readable, 0 could not be brought"),
        "{out:#?}"
    );
    assert_resolves_logins(&s);
    assert_eq!(
        s.list(),
        json!({A: "alice", B: "bob"}),
        "in the file backend now"
    );
}

/// `--dry-run` shows the whole plan and changes nothing: no byte of config.json, no backup, no
/// keychain entry.
#[test]
fn setup_dry_run_over_pass_shows_the_plan_and_changes_nothing() {
    let p = PassStore::new();
    let mut s = sandbox(Box::new(support::file::FileKeyring::new()));
    s.extra_env.extend(pass_env(&p));
    s.write_config("{\n\t\"credsStore\": \"pass\"\n}");
    log_in(&s);
    let before = s.config_bytes();
    let out = s.ours(&["setup", "--dry-run"], "");
    let stdout = out.ok();
    for line in [
        format!("would copy {A} (user alice) from docker-credential-pass into the keychain"),
        format!("would copy {B} (user bob) from docker-credential-pass into the keychain"),
        "would set \"credsStore\": \"keyring\" in".to_owned(),
        "(was \"pass\")".to_owned(),
        "logins: 2 to copy or move, 0 already readable, 0 could not be brought".to_owned(),
        "dry run: nothing was changed".to_owned(),
    ] {
        assert!(stdout.contains(&line), "{line:?} missing: {out:#?}");
    }
    assert_eq!(s.config_bytes(), before);
    assert_eq!(names(&s.config_dir()), ["config.json"]);
    assert_eq!(s.list(), json!({}));
}

/// The previous helper cannot be read (missing, failing, hanging): setup says which logins docker
/// would lose, names --no-import and the fix, and changes no byte; --no-import switches anyway.
#[test]
fn setup_refuses_when_the_previous_helper_cannot_be_read() {
    let mut s = sandbox(Box::new(support::file::FileKeyring::new()));
    script(&s, "broken", "echo 'vault is sealed'\nexit 1");
    script(&s, "hung", "exec sleep 30");
    s.extra_env.push((
        "DOCKER_CREDENTIAL_KEYRING_HELPER_TIMEOUT".into(),
        "1".into(),
    ));
    for (store, cause) in [
        (
            "desktop",
            "docker-credential-desktop was not found on PATH: install it",
        ),
        (
            "broken",
            "docker-credential-broken list failed: vault is sealed",
        ),
        (
            "hung",
            "docker-credential-hung list did not answer within 1 s",
        ),
    ] {
        let text = format!(
            "{{\n\t\"auths\": {{\n\t\t\"{A}\": {{}},\n\t\t\"{B}\": {{}}\n\t}},\n\t\"credsStore\": \"{store}\"\n}}"
        );
        s.write_config(&text);
        for args in [&["setup"][..], &["setup", "--dry-run"]] {
            let out = s.ours(args, "");
            assert_eq!(out.code, Some(1), "{out:#?}");
            assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
            for part in [
                cause,
                &format!("switching now would lose the logins docker keeps in it for {A}, {B}"),
                "--no-import",
                "nothing was changed",
            ] {
                assert!(out.stderr.contains(part), "{part:?} missing: {out:#?}");
            }
            assert_eq!(s.config_bytes(), text.as_bytes(), "{store}: byte for byte");
            assert_eq!(names(&s.config_dir()), ["config.json"]);
        }
    }
    // Asked to, it switches anyway and says what was not brought.
    let out = s.ours(&["setup", "--no-import"], "");
    assert!(
        out.ok().contains(
            "nothing was brought from docker-credential-hung (--no-import): run `docker-credential-keyring import --from-helper hung`"
        ),
        "{out:#?}"
    );
    assert_eq!(s.config_json()["credsStore"], "keyring");
}

/// The keychain already answers a different credential for a registry than the helper docker
/// uses: setup stops (naming it and --overwrite) and changes nothing; --overwrite brings it.
#[test]
fn setup_never_replaces_a_different_keychain_credential_unless_asked() {
    let p = PassStore::new();
    let mut s = sandbox(Box::new(support::file::FileKeyring::new()));
    s.extra_env.extend(pass_env(&p));
    s.write_config("{\n\t\"credsStore\": \"pass\"\n}");
    log_in(&s);
    s.ours(
        &["store"],
        &json!({"ServerURL": A, "Username": "old", "Secret": "old-pw"}).to_string(),
    )
    .ok();
    let before = s.config_bytes();
    let out = s.ours(&["setup"], "");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(
        out.stderr.contains(&format!(
            "the keychain already holds different credentials for {A} than docker-credential-pass"
        )) && out.stderr.contains("--overwrite"),
        "{out:#?}"
    );
    assert_eq!(s.config_bytes(), before);
    assert_eq!(s.get(B), None, "nothing copied either");
    s.ours(&["setup", "--overwrite"], "").ok();
    assert_resolves_logins(&s);
}

/// `setup --registry X` over a config with several plaintext logins: only X's entry moves; the
/// others stay byte for byte and docker still reads them; an entry whose fields cannot all move
/// stays as it is with one warning; the backup is the file from before.
#[test]
fn setup_registry_moves_only_that_registrys_login() {
    let s = sandbox(Box::new(support::file::FileKeyring::new()));
    let text = format!(
        "{{\n\t\"auths\": {{\n\t\t\"{A}\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}},\n\t\t\"{B}\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}},\n\t\t\"{C}\": {{\n\t\t\t\"auth\": \"{}\",\n\t\t\t\"identitytoken\": \"tok-c-93e1\"\n\t\t}}\n\t}}\n}}",
        auth("alice", "pw-a-71c3"),
        auth("bob", "pw-b-0e9d"),
        auth("carol", "pw-c-5a2f"),
    );
    s.write_config(&text);
    assert_resolves_logins(&s);
    let before: serde_json::Value = serde_json::from_str(&text).unwrap();

    let out = s.ours(&["setup", "--registry", A], "");
    out.ok();
    assert!(
        out.stdout.contains(&format!(
            "moved {A} (user alice) from {} into the keychain (file)",
            s.config().display()
        )),
        "{out:#?}"
    );
    let config = s.config_json();
    assert_eq!(config["credHelpers"], json!({A: "keyring"}));
    assert_eq!(config["auths"][A], json!({}));
    assert_eq!(
        config["auths"][B], before["auths"][B],
        "left as docker reads it"
    );
    assert_eq!(config["auths"][C], before["auths"][C]);
    assert_eq!(
        std::fs::read(s.config_dir().join("config.json.bak")).unwrap(),
        text.as_bytes(),
        "the backup is the file from before"
    );
    assert_resolves_logins(&s);
    assert_eq!(s.list(), json!({A: "alice"}));

    // Then C, whose password and identity token cannot both move: left as it is, one warning.
    let bytes = s.config_bytes();
    let out = s.ours(&["setup", "--registry", C], "");
    out.ok();
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning"))
        .collect();
    assert_eq!(warnings.len(), 1, "{out:#?}");
    assert!(
        warnings[0].contains(&format!("left {C} in"))
            && warnings[0].contains("exactly as it is")
            && warnings[0].contains("a password and an identity token together")
            && warnings[0].contains(&format!("log in again (docker login {C})")),
        "{out:#?}"
    );
    assert!(
        out.stdout
            .contains("logins: 0 copied or moved, 0 already readable, 1 could not be brought"),
        "{out:#?}"
    );
    assert!(!out.stderr.contains("tok-c-93e1") && !out.stdout.contains("tok-c-93e1"));
    assert_eq!(s.config_json()["auths"][C], before["auths"][C]);
    assert_eq!(
        std::fs::read(s.config_dir().join("config.json.bak")).unwrap(),
        bytes
    );
}

/// `setup --registry X` while pass is the credsStore: X's login comes along from pass (docker
/// asks us for X now), the other registry stays with pass.
#[test]
fn setup_registry_brings_that_login_from_the_creds_store() {
    let p = PassStore::new();
    let mut s = sandbox(Box::new(support::file::FileKeyring::new()));
    s.extra_env.extend(pass_env(&p));
    s.write_config("{\n\t\"credsStore\": \"pass\"\n}");
    log_in(&s);
    let dry = s.ours(&["setup", "--registry", A, "--dry-run"], "");
    let plan = dry.ok();
    assert!(
        plan.contains(&format!(
            "would copy {A} (user alice) from docker-credential-pass into the keychain\n"
        )) && plan.contains(&format!("would set \"credHelpers\" for {A} in "))
            && !plan.contains("(was")
            && !plan.contains(B),
        "{dry:#?}"
    );
    assert_eq!(s.list(), json!({}));
    let out = s.ours(&["setup", "--registry", A], "");
    assert!(
        out.ok().contains(&format!(
            "copied {A} (user alice) from docker-credential-pass into the keychain (file)"
        )),
        "{out:#?}"
    );
    let config = s.config_json();
    assert_eq!(config["credsStore"], "pass");
    assert_eq!(config["credHelpers"], json!({A: "keyring"}));
    assert_eq!(s.list(), json!({A: "alice"}), "only A");
    assert_resolves_logins(&s);
}

/// `setup --registry docker.io` routes Docker Hub to us under the key the docker CLI looks up
/// (`https://index.docker.io/v1/`), so the Hub login it moves is the one docker then sends; the
/// other registry's plaintext stays where docker reads it.
#[test]
fn setup_registry_docker_hub_is_routed_where_the_docker_cli_looks() {
    let s = sandbox(Box::new(support::file::FileKeyring::new()));
    let text = format!(
        "{{\n\t\"auths\": {{\n\t\t\"https://index.docker.io/v1/\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}},\n\t\t\"{B}\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}}\n\t}}\n}}",
        auth("hubuser", "pw-hub-3d7e"),
        auth("bob", "pw-b-0e9d"),
    );
    s.write_config(&text);
    assert_eq!(
        resolve(&s, "docker.io/library"),
        expected("hubuser", "pw-hub-3d7e")
    );
    s.ours(&["setup", "--registry", "docker.io"], "").ok();
    let config = s.config_json();
    assert_eq!(
        config["credHelpers"]["https://index.docker.io/v1/"],
        "keyring"
    );
    assert_eq!(config["auths"]["https://index.docker.io/v1/"], json!({}));
    assert_eq!(
        resolve(&s, "docker.io/library"),
        expected("hubuser", "pw-hub-3d7e")
    );
    assert_eq!(resolve(&s, B), expected("bob", "pw-b-0e9d"));
}

/// A previous helper (any program speaking the protocol) that lists a server it then has no
/// credential for, and holds an identity token: the token is copied as a token, the empty one
/// is reported as not brought (docker had none either), and setup switches, counting each.
#[test]
fn setup_reports_what_could_not_be_brought() {
    let s = sandbox(Box::new(support::file::FileKeyring::new()));
    script(
        &s,
        "vault",
        r#"read -r q
case "$1 $q" in
  "list "*) echo '{"tok.example":"<token>","gone.example":"u","esc\u001b[31m.example":"u"}' ;;
  "get tok.example") echo '{"ServerURL":"tok.example","Username":"<token>","Secret":"idt-77e0"}' ;;
  *) echo 'credentials not found in native keychain'; exit 1 ;;
esac"#,
    );
    s.write_config("{\"credsStore\": \"vault\"}");
    let out = s.ours(&["setup"], "");
    let stdout = out.ok();
    assert!(!stdout.contains("idt-77e0") && !out.stderr.contains("idt-77e0"));
    for line in [
        "copied tok.example (identity token) from docker-credential-vault into the keychain (file)",
        "could not bring gone.example: docker-credential-vault has no credential for it, so docker had none either",
        "could not bring esc[31m.example: docker-credential-vault has no credential for it",
        "logins: 1 copied or moved, 0 already readable, 2 could not be brought",
    ] {
        assert!(stdout.contains(line), "{line:?} missing: {out:#?}");
    }
    assert!(
        !stdout.contains('\x1b'),
        "a helper's text reaches the terminal as it came"
    );
    assert_eq!(s.get("tok.example"), Some(expected("<token>", "idt-77e0")));
    assert_eq!(s.config_json()["credsStore"], "keyring");
}

/// A locked previous store: docker-credential-pass on a key whose passphrase nobody can type
/// here (no terminal, no pinentry) lists its logins but cannot decrypt them. setup changes no
/// byte and names the logins docker would lose.
#[test]
fn setup_refuses_over_a_locked_pass_store() {
    let p = PassStore::with_passphrase(Some("a passphrase nobody types"));
    p.init();
    for (registry, user, pw) in LOGINS {
        let payload = json!({"ServerURL": registry, "Username": user, "Secret": pw});
        p.docker_credential_pass(&["store"], &payload.to_string())
            .ok();
    }
    let mut s = Sandbox::new();
    s.extra_env.extend(pass_env(&p));
    let mut dirs = vec![s.bin_dir()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    s.extra_env
        .push(("PATH".into(), std::env::join_paths(dirs).unwrap()));
    let text = format!(
        "{{\n\t\"auths\": {{\n\t\t\"{A}\": {{}},\n\t\t\"{B}\": {{}}\n\t}},\n\t\"credsStore\": \"pass\"\n}}"
    );
    s.write_config(&text);
    let out = s.ours(&["setup"], "");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(
        out.stderr
            .contains("cannot read docker-credential-pass: docker-credential-pass get failed")
            && out.stderr.contains(&format!(
                "switching now would lose the logins docker keeps in it for {A}, {B}"
            ))
            && out.stderr.contains("--no-import"),
        "{out:#?}"
    );
    assert_eq!(s.config_bytes(), text.as_bytes());
    assert_eq!(names(&s.config_dir()), ["config.json"]);
    assert_eq!(s.list(), json!({}));
}
