//! The real docker CLI (`/usr/local/bin/docker`) against a stub daemon, with our helper as its
//! credential store: `docker login` stores through the helper, `docker pull` carries the stored
//! credentials in `X-Registry-Auth`, `docker logout` erases them, and a pull after logout is
//! anonymous and succeeds — with a hand-written `"credsStore": "keyring"` and after `setup`.

#![cfg(target_os = "linux")]

use support::Keyring;
use support::adoption::{Sandbox, auth};

/// Every scenario runs on the Secret Service (a private bus with a real gnome-keyring, what
/// desktops use) and on the encrypted `file` backend (what headless machines use).
macro_rules! on_every_keychain {
    ($($scenario:ident),* $(,)?) => {
        mod secret_service {
            $(#[test] fn $scenario() { super::$scenario(Box::new(support::secret_service::fixture())) })*
        }
        mod file {
            $(#[test] fn $scenario() { super::$scenario(Box::new(support::file::FileKeyring::new())) })*
        }
    };
}

on_every_keychain!(
    login_pull_logout_with_creds_store_keyring,
    login_pull_logout_after_setup,
    login_through_cred_helpers_after_setup_registry,
    rejected_login_stores_nothing,
    setup_imports_what_docker_wrote_in_plaintext,
);

const REGISTRY: &str = "reg.example:5000";

/// The credentials the last pull sent, as the daemon decoded them.
fn last_pull_auth(s: &Sandbox) -> serde_json::Value {
    let pulls = s.daemon().pulls();
    let last = pulls.last().expect("docker pulled");
    last.registry_auth().unwrap_or(serde_json::Value::Null)
}

/// login, pull, logout, pull again: everything through our helper.
fn login_pull_logout(s: &Sandbox) {
    let out = s.docker(
        &["login", "-u", "alice", "--password-stdin", REGISTRY],
        "s3cret\n",
    );
    out.ok();
    assert!(out.stdout.contains("Login Succeeded"), "{out:#?}");
    assert!(
        !out.stderr.contains("unencrypted"),
        "docker stored in plaintext: {out:#?}"
    );
    // The keychain has it; config.json only has Docker's empty stub.
    assert_eq!(
        s.get(REGISTRY),
        Some(("alice".to_owned(), "s3cret".to_owned()))
    );
    let config = s.config_json();
    assert_eq!(config["auths"][REGISTRY], serde_json::json!({}));
    assert!(!String::from_utf8_lossy(&s.config_bytes()).contains(&auth("alice", "s3cret")));

    s.docker(&["pull", &format!("{REGISTRY}/team/img")], "")
        .ok();
    let sent = last_pull_auth(s);
    assert_eq!(sent["username"], "alice", "{sent}");
    assert_eq!(sent["password"], "s3cret", "{sent}");
    assert_eq!(sent["serveraddress"], REGISTRY, "{sent}");

    let out = s.docker(&["logout", REGISTRY], "");
    out.ok();
    assert_eq!(s.get(REGISTRY), None);
    assert_eq!(s.list(), serde_json::json!({}));

    let pulls_before = s.daemon().pulls().len();
    let out = s.docker(&["pull", &format!("{REGISTRY}/team/img")], "");
    out.ok();
    assert_eq!(s.daemon().pulls().len(), pulls_before + 1);
    let sent = last_pull_auth(s);
    assert!(
        sent.get("username").is_none_or(|u| u == "")
            && sent.get("password").is_none_or(|p| p == ""),
        "a pull after logout must be anonymous: {sent}"
    );
}

fn login_pull_logout_with_creds_store_keyring(keyring: Box<dyn Keyring>) {
    let s = Sandbox::new()
        .keyring(keyring)
        .with_daemon(&[("alice", "s3cret")]);
    s.write_config("{\n\t\"credsStore\": \"keyring\"\n}");
    login_pull_logout(&s);
}

fn login_pull_logout_after_setup(keyring: Box<dyn Keyring>) {
    let s = Sandbox::new()
        .keyring(keyring)
        .with_daemon(&[("alice", "s3cret"), ("bob", "hub-pw")]);
    s.ours(&["setup"], "").ok();
    assert_eq!(s.config_json()["credsStore"], "keyring");
    login_pull_logout(&s);

    // Docker Hub too: docker stores it under https://index.docker.io/v1/.
    s.docker(&["login", "-u", "bob", "--password-stdin"], "hub-pw\n")
        .ok();
    assert_eq!(
        s.get("https://index.docker.io/v1/"),
        Some(("bob".to_owned(), "hub-pw".to_owned()))
    );
    s.docker(&["pull", "alpine"], "").ok();
    let sent = last_pull_auth(&s);
    assert_eq!(sent["username"], "bob", "{sent}");
    assert_eq!(sent["password"], "hub-pw", "{sent}");
    s.docker(&["logout"], "").ok();
    assert_eq!(s.get("https://index.docker.io/v1/"), None);
}

fn login_through_cred_helpers_after_setup_registry(keyring: Box<dyn Keyring>) {
    let s = Sandbox::new()
        .keyring(keyring)
        .with_daemon(&[("alice", "s3cret")]);
    s.ours(&["setup", "--registry", REGISTRY], "").ok();
    let config = s.config_json();
    assert_eq!(config["credHelpers"][REGISTRY], "keyring");
    assert!(config.get("credsStore").is_none());
    login_pull_logout(&s);
}

fn rejected_login_stores_nothing(keyring: Box<dyn Keyring>) {
    let s = Sandbox::new()
        .keyring(keyring)
        .with_daemon(&[("alice", "s3cret")]);
    s.write_config("{\n\t\"credsStore\": \"keyring\"\n}");
    let out = s.docker(
        &["login", "-u", "alice", "--password-stdin", REGISTRY],
        "wrong\n",
    );
    assert_ne!(out.code, Some(0), "{out:#?}");
    assert_eq!(s.get(REGISTRY), None);
    assert_eq!(s.daemon().logins().len(), 1);
}

/// What docker itself wrote in plaintext (no credential store on PATH) moves into the keychain
/// with `setup`, and docker then pulls with it from there.
fn setup_imports_what_docker_wrote_in_plaintext(keyring: Box<dyn Keyring>) {
    let s = Sandbox::without_helper_on_path()
        .keyring(keyring)
        .with_daemon(&[("alice", "s3cret"), ("bob", "hub-pw")]);
    s.docker(
        &["login", "-u", "alice", "--password-stdin", REGISTRY],
        "s3cret\n",
    )
    .ok();
    s.docker(&["login", "-u", "bob", "--password-stdin"], "hub-pw\n")
        .ok();
    let plain = String::from_utf8(s.config_bytes()).unwrap();
    assert!(plain.contains(&auth("alice", "s3cret")), "{plain}");

    // Our binary is not on PATH yet: setup refuses and changes nothing.
    let refused = s.ours(&["setup"], "");
    assert_eq!(refused.code, Some(1), "{refused:#?}");
    assert!(refused.stderr.contains("on PATH"), "{refused:#?}");
    assert_eq!(s.config_bytes(), plain.as_bytes());

    std::os::unix::fs::symlink(
        support::bin(),
        s.bin_dir().join("docker-credential-keyring"),
    )
    .unwrap();
    let out = s.ours(&["setup"], "");
    out.ok();
    assert!(
        !out.stdout.contains("s3cret") && !out.stdout.contains("hub-pw"),
        "{out:#?}"
    );
    let after = String::from_utf8(s.config_bytes()).unwrap();
    assert!(!after.contains("\"auth\""), "{after}");
    assert_eq!(s.config_json()["credsStore"], "keyring");
    assert_eq!(
        s.get(REGISTRY),
        Some(("alice".to_owned(), "s3cret".to_owned()))
    );

    s.docker(&["pull", &format!("{REGISTRY}/img")], "").ok();
    assert_eq!(last_pull_auth(&s)["password"], "s3cret");
    s.docker(&["pull", "alpine"], "").ok();
    assert_eq!(last_pull_auth(&s)["username"], "bob");
}

/// `setup --backend file` keeps the choice in our config file: docker's own calls, which carry
/// neither our flag nor our variable, then use it (before, every one answered "no usable
/// keychain here").
#[test]
fn setup_backend_is_what_dockers_own_calls_use_afterwards() {
    let s = Sandbox::new()
        .keyring(Box::new(support::file::FileKeyring::new()))
        .with_daemon(&[("alice", "s3cret")]);
    let bare = |program: std::path::PathBuf, args: &[&str]| {
        let mut cmd = s.command(program);
        cmd.env_remove("DOCKER_CREDENTIAL_KEYRING_BACKEND")
            .args(args);
        cmd
    };
    let setup = support::run_command(bare(support::bin(), &["--backend", "file", "setup"]), b"");
    assert!(
        setup.ok().contains("saved \"backend\": \"file\""),
        "{setup:#?}"
    );
    let login = support::run_command(
        bare(
            support::adoption::docker_cli(),
            &["login", "-u", "alice", "--password-stdin", REGISTRY],
        ),
        b"s3cret\n",
    );
    assert!(login.ok().contains("Login Succeeded"), "{login:#?}");
    let get = support::run_command(bare(support::bin(), &["get"]), REGISTRY.as_bytes());
    assert!(get.ok().contains("\"Secret\":\"s3cret\""), "{get:#?}");
}

/// `setup --registry` with a URL spelling (scheme, capitals, the default port, an API path)
/// writes the key `docker pull host/app` looks up, so the pull carries the credential.
#[test]
fn setup_registry_with_a_url_spelling_routes_the_pull_to_us() {
    let s = Sandbox::new()
        .keyring(Box::new(support::file::FileKeyring::new()))
        .with_daemon(&[("alice", "s3cret")]);
    s.ours(
        &["store"],
        r#"{"ServerURL":"registry.example.com","Username":"alice","Secret":"s3cret"}"#,
    )
    .ok();
    s.ours(
        &[
            "setup",
            "--registry",
            "https://Registry.Example.com:443/v2/",
        ],
        "",
    )
    .ok();
    assert_eq!(
        s.config_json()["credHelpers"]["registry.example.com"],
        "keyring",
        "{}",
        s.config_json()
    );
    s.docker(&["pull", "registry.example.com/team/img"], "")
        .ok();
    let sent = last_pull_auth(&s);
    assert_eq!(sent["username"], "alice", "{sent}");
    assert_eq!(sent["password"], "s3cret", "{sent}");
}
