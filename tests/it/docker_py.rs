//! docker-py (`docker.credentials.Store('keyring')`, the client library docker-compose v1 and
//! many tools use) against our helper: store, get, list, erase, and `CredentialsNotFound`.

#![cfg(target_os = "linux")]

use support::adoption::Sandbox;

const SCRIPT: &str = r#"
import json, docker, docker.credentials as c
out = {"version": docker.__version__}
s = c.Store("keyring")
s.store(server="https://reg.example:5000", username="alice", secret="pa$$ <&> wörd")
s.store(server="tok.example", username="<token>", secret="identity-token-1")
out["get"] = s.get("https://reg.example:5000")
out["token"] = s.get("tok.example")
out["list"] = s.list()
s.erase("https://reg.example:5000")
try:
    s.get("https://reg.example:5000")
    out["after_erase"] = "found"
except c.errors.CredentialsNotFound as e:
    out["after_erase"] = "CredentialsNotFound"
try:
    s.get("never.example")
    out["missing"] = "found"
except c.errors.CredentialsNotFound:
    out["missing"] = "CredentialsNotFound"
try:
    s.erase("never.example")
    out["erase_missing"] = "ok"
except c.errors.StoreError as e:
    out["erase_missing"] = type(e).__name__
out["list_after"] = s.list()
print(json.dumps(out))
"#;

#[test]
fn docker_py_on_the_secret_service() {
    docker_py_store_get_list_erase_not_found(Box::new(support::secret_service::fixture()));
}

#[test]
fn docker_py_on_the_file_backend() {
    docker_py_store_get_list_erase_not_found(Box::new(support::file::FileKeyring::new()));
}

fn docker_py_store_get_list_erase_not_found(keyring: Box<dyn support::Keyring>) {
    let s = Sandbox::new().keyring(keyring);
    let run = s.python(SCRIPT);
    let out: serde_json::Value =
        serde_json::from_str(run.ok().trim()).unwrap_or_else(|e| panic!("{e}: {run:#?}"));
    assert!(out["version"].as_str().unwrap().starts_with('7'), "{out}");
    assert_eq!(
        out["get"],
        serde_json::json!({"ServerURL": "https://reg.example:5000", "Username": "alice", "Secret": "pa$$ <&> wörd"})
    );
    assert_eq!(
        out["token"],
        serde_json::json!({"ServerURL": "tok.example", "Username": "<token>", "Secret": "identity-token-1"})
    );
    assert_eq!(
        out["list"],
        serde_json::json!({"https://reg.example:5000": "alice", "tok.example": "<token>"})
    );
    assert_eq!(out["after_erase"], "CredentialsNotFound");
    assert_eq!(out["missing"], "CredentialsNotFound");
    // Erasing what is not stored is an error (docs/protocol.md §7), which docker-py raises.
    assert_eq!(out["erase_missing"], "CredentialsNotFound");
    assert_eq!(
        out["list_after"],
        serde_json::json!({"tok.example": "<token>"})
    );
    // And the keychain really holds what docker-py stored.
    assert_eq!(
        s.get("tok.example"),
        Some(("<token>".into(), "identity-token-1".into()))
    );
}
