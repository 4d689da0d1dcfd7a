//! The platform keychains' own cases, checked with the platform's own tools (CI runs them on
//! the macOS and Windows runners; Docker's helpers are checked in tests/interop/):
//! - macOS: the item we store is the internet password Docker's osxkeychain writes, as
//!   `security find-internet-password` sees it; a generic password of an earlier version is
//!   read, listed, then migrated by the next store;
//! - Windows: a generic credential of another program under the same target name (made with
//!   `cmdkey`) is neither listed, read, overwritten nor erased.
#![cfg(any(target_os = "macos", windows))]

use std::process::Command;
use support::{helper, store};

#[cfg(target_os = "macos")]
fn security(args: &[&str]) -> bool {
    Command::new("security")
        .args(args)
        .output()
        .expect("the security tool")
        .status
        .success()
}

#[cfg(target_os = "macos")]
#[test]
fn stored_items_are_docker_internet_passwords() {
    let k = support::keychain::fixture();
    store(&k, "https://r.example.com:5000/team", "alice", "pw");
    let server = format!("{}r.example.com", k.prefix);
    // docker-credential-osxkeychain's attributes, queried one by one.
    assert!(security(&[
        "find-internet-password",
        "-s",
        &server,
        "-a",
        "alice",
        "-r",
        "htps",
        "-P",
        "5000",
        "-p",
        "/team",
        "-t",
        "dflt",
        "-l",
        "Docker Credentials",
    ]));
    assert!(!security(&[
        "find-internet-password",
        "-s",
        &server,
        "-r",
        "http"
    ]));
}

#[cfg(target_os = "macos")]
#[test]
fn a_generic_password_of_an_earlier_version_is_read_then_migrated() {
    let k = support::keychain::fixture();
    let service = format!("{}https://old.example.com", k.prefix);
    // -A: any application may read it, so no access dialog for our binary.
    assert!(security(&[
        "add-generic-password",
        "-A",
        "-s",
        &service,
        "-a",
        "olduser",
        "-w",
        "oldpw",
    ]));
    assert_eq!(
        helper(&k, &["list"], "").ok(),
        "{\"https://old.example.com\":\"olduser\"}\n"
    );
    assert!(
        helper(&k, &["get"], "old.example.com")
            .ok()
            .contains("\"Username\":\"olduser\",\"Secret\":\"oldpw\"")
    );
    store(&k, "old.example.com", "newuser", "newpw");
    assert!(
        !security(&["find-generic-password", "-s", &service]),
        "the old item is gone"
    );
    assert_eq!(
        helper(&k, &["list"], "").ok(),
        "{\"https://old.example.com\":\"newuser\"}\n"
    );
    assert!(
        helper(&k, &["get"], "https://old.example.com")
            .ok()
            .contains("\"Secret\":\"newpw\"")
    );
}

#[cfg(windows)]
fn cmdkey(args: &[&str]) -> String {
    let out = Command::new("cmdkey").args(args).output().expect("cmdkey");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[cfg(windows)]
#[test]
fn another_programs_credential_is_left_alone() {
    let k = support::wincred::fixture();
    let target = format!("{}https://other.example.com", k.prefix);
    cmdkey(&[
        &format!("/generic:{target}"),
        "/user:someone",
        "/pass:theirs",
    ]);
    struct Remove(String);
    impl Drop for Remove {
        fn drop(&mut self) {
            cmdkey(&[&format!("/delete:{}", self.0)]);
        }
    }
    let _remove = Remove(target.clone());
    assert!(cmdkey(&[&format!("/list:{target}")]).contains("someone"));

    assert_eq!(helper(&k, &["list"], "").ok(), "{}\n");
    assert_eq!(
        helper(&k, &["get"], "https://other.example.com").fails(),
        docker_credential_keyring::protocol::NOT_FOUND
    );
    let r = helper(
        &k,
        &["store"],
        r#"{"ServerURL":"https://other.example.com","Username":"u","Secret":"mine"}"#,
    );
    assert!(r.fails().contains("neither Docker's nor ours"), "{r:?}");
    assert_eq!(
        helper(&k, &["erase"], "https://other.example.com").fails(),
        docker_credential_keyring::protocol::NOT_FOUND
    );
    assert!(
        cmdkey(&[&format!("/list:{target}")]).contains("someone"),
        "still there"
    );
}
