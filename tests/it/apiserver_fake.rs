//! The API-server fake kept honest: the real kubectl, through real kubeconfig files, gets from
//! it what it gets from a real kube-apiserver (its requests, its Status bodies, its messages),
//! and the behaviours `push` relies on (server-side apply ownership, resourceVersion conflicts,
//! validation, namespace lifecycle, RBAC, faults) hold byte for byte.
//!
//! kubectl does not send bearer tokens over plain HTTP, so the kubectl tests use TLS; the
//! byte-exact checks of bodies use [`ApiServer::call`] over plain HTTP.

#![cfg(target_os = "linux")]

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::apiserver::{ApiServer, DEFAULT_USER, Fault, FaultKind, unrelated_ca_pem};
use support::kubeconfig::{Auth, Ca, ExecPlugin, Kubeconfig, kubeconfig_env, require_kubectl};

#[derive(Debug)]
struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Out {
    #[track_caller]
    fn ok(&self) -> &str {
        assert_eq!(self.code, Some(0), "kubectl failed: {self:#?}");
        &self.stdout
    }
    #[track_caller]
    fn fails(&self) -> &str {
        assert_ne!(self.code, Some(0), "kubectl should have failed: {self:#?}");
        &self.stderr
    }
}

/// A TLS fake, a kubeconfig for it (context `fake`), and a throw-away HOME for kubectl.
struct Env {
    server: ApiServer,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl Env {
    fn new() -> Env {
        require_kubectl();
        let server = ApiServer::start_tls();
        server.create_namespace("dev");
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = Kubeconfig::new()
            .server("fake", &server)
            .context_ns("fake", "dev")
            .current("fake")
            .write(dir.path().join("kube/config"));
        Env {
            server,
            dir,
            kubeconfig,
        }
    }

    fn kubectl(&self, args: &[&str]) -> Out {
        kubectl_with(self.dir.path(), &[self.kubeconfig.as_path()], args, None)
    }

    fn kubectl_in(&self, args: &[&str], stdin: &str) -> Out {
        kubectl_with(
            self.dir.path(),
            &[self.kubeconfig.as_path()],
            args,
            Some(stdin),
        )
    }
}

fn kubectl_with(home: &Path, kubeconfigs: &[&Path], args: &[&str], stdin: Option<&str>) -> Out {
    use std::io::Write;
    let (k, v) = kubeconfig_env(kubeconfigs);
    let mut child = Command::new("kubectl")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env(k, v)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl is installed");
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    let o = child.wait_with_output().unwrap();
    Out {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn manager_entry<'a>(obj: &'a Value, manager: &str, operation: &str) -> Option<&'a Value> {
    obj["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager && e["operation"] == operation)
}

fn rv(obj: &Value) -> u64 {
    obj["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

const CREATE_ARGS: &[&str] = &[
    "create",
    "secret",
    "docker-registry",
    "regcred",
    "--docker-server=registry.example.com",
    "--docker-username=alice",
    "--docker-password=s3cret",
];

#[test]
fn kubectl_create_then_get_round_trips_the_secret() {
    let env = Env::new();
    let offline: Value = serde_json::from_str(
        env.kubectl(&[CREATE_ARGS, &["--dry-run=client", "-o", "json"]].concat())
            .ok(),
    )
    .unwrap();
    assert!(env.server.requests().is_empty() || env.server.writes().is_empty());

    assert_eq!(env.kubectl(CREATE_ARGS).ok(), "secret/regcred created\n");
    let post = env.server.writes().pop().unwrap();
    assert_eq!(post.method, "POST");
    assert_eq!(post.path, "/api/v1/namespaces/dev/secrets");
    assert_eq!(post.param("fieldManager"), Some("kubectl-create"));
    assert_eq!(
        post.content_type.as_deref(),
        Some("application/vnd.kubernetes.protobuf"),
        "kubectl sends protobuf: the fake must read it"
    );
    assert_eq!(post.status, Some(201));
    assert_eq!(post.user.as_deref(), Some(DEFAULT_USER));

    let got: Value = serde_json::from_str(
        env.kubectl(&["get", "secret", "regcred", "-o", "json"])
            .ok(),
    )
    .unwrap();
    assert_eq!(got["data"], offline["data"]);
    assert_eq!(got["type"], "kubernetes.io/dockerconfigjson");
    assert_eq!(got["metadata"]["namespace"], "dev");
    assert!(
        got["metadata"]["uid"]
            .as_str()
            .is_some_and(|u| u.len() == 36)
    );

    let stored = env.server.secret("dev", "regcred").unwrap();
    let entry = manager_entry(&stored, "kubectl-create", "Update").expect("kubectl-create owns it");
    assert_eq!(
        entry["fieldsV1"],
        json!({"f:data": {"f:.dockerconfigjson": {}}, "f:type": {}})
    );

    // A second create is refused as the real server refuses it.
    let again = env.kubectl(CREATE_ARGS);
    assert!(
        again
            .fails()
            .contains("failed to create secret secrets \"regcred\" already exists"),
        "{again:#?}"
    );
}

/// A dockerconfigjson Secret `regcred` with our label and data other than what
/// `CREATE_ARGS` makes, as `kubectl apply` reads it.
fn labelled_manifest() -> String {
    json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "regcred", "labels": {"app.kubernetes.io/managed-by": "docker-credential-keyring"}},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": "eyJhdXRocyI6e319"}
    })
    .to_string()
}

/// An [`Env`] where `kubectl create` made `regcred`, and the Secret as stored then.
fn env_with_created_regcred() -> (Env, Value) {
    let env = Env::new();
    env.kubectl(CREATE_ARGS).ok();
    let created = env.server.secret("dev", "regcred").unwrap();
    (env, created)
}

/// `kubectl apply --server-side --force-conflicts` of `manifest`; the Secret as stored after.
fn force_apply(env: &Env, manifest: &str) -> Value {
    let forced = env.kubectl_in(
        &["apply", "--server-side", "--force-conflicts", "-f", "-"],
        manifest,
    );
    assert_eq!(forced.ok(), "secret/regcred serverside-applied\n");
    env.server.secret("dev", "regcred").unwrap()
}

/// Apply a different .dockerconfigjson: the field is kubectl-create's, so kubectl reports the
/// conflict the real server reports.
#[test]
fn kubectl_apply_of_a_field_another_manager_owns_conflicts() {
    let (env, created) = env_with_created_regcred();
    let conflict = env.kubectl_in(&["apply", "--server-side", "-f", "-"], &labelled_manifest());
    assert!(
        conflict.fails().contains(
            "Apply failed with 1 conflict: conflict with \"kubectl-create\" using v1: .data..dockerconfigjson"
        ),
        "{conflict:#?}"
    );
    assert_eq!(env.server.secret("dev", "regcred").unwrap(), created);
    let patch = env.server.writes().pop().unwrap();
    assert_eq!(patch.method, "PATCH");
    assert_eq!(
        patch.content_type.as_deref(),
        Some("application/apply-patch+yaml")
    );
    assert_eq!(patch.param("force"), Some("false"));
    assert_eq!(patch.param("fieldManager"), Some("kubectl"));
    assert_eq!(patch.status, Some(409));
}

#[test]
fn kubectl_apply_with_force_conflicts_takes_the_field_over() {
    let (env, created) = env_with_created_regcred();
    let applied = force_apply(&env, &labelled_manifest());
    assert!(rv(&applied) > rv(&created));
    assert_eq!(applied["data"][".dockerconfigjson"], "eyJhdXRocyI6e319");
    let mine = manager_entry(&applied, "kubectl", "Apply").unwrap();
    assert_eq!(
        mine["fieldsV1"],
        json!({
            "f:data": {"f:.dockerconfigjson": {}},
            "f:metadata": {"f:labels": {"f:app.kubernetes.io/managed-by": {}}},
            "f:type": {}
        })
    );
    // kubectl-create keeps only what it still shares: the type, which had the same value.
    let theirs = manager_entry(&applied, "kubectl-create", "Update").unwrap();
    assert_eq!(theirs["fieldsV1"], json!({"f:type": {}}));
}

/// The same apply again changes nothing: no new resourceVersion.
#[test]
fn kubectl_apply_of_the_same_configuration_again_changes_nothing() {
    let (env, _) = env_with_created_regcred();
    let manifest = labelled_manifest();
    let applied = force_apply(&env, &manifest);
    env.kubectl_in(&["apply", "--server-side", "-f", "-"], &manifest)
        .ok();
    assert_eq!(env.server.secret("dev", "regcred").unwrap(), applied);
}

/// Dropping the label from the applied configuration removes it (nobody else owns it).
#[test]
fn kubectl_apply_without_a_label_it_applied_before_removes_it() {
    let (env, _) = env_with_created_regcred();
    let manifest = labelled_manifest();
    force_apply(&env, &manifest);
    let mut without_label: Value = serde_json::from_str(&manifest).unwrap();
    without_label["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("labels");
    env.kubectl_in(
        &["apply", "--server-side", "-f", "-"],
        &without_label.to_string(),
    )
    .ok();
    let after = env.server.secret("dev", "regcred").unwrap();
    assert!(after["metadata"]["labels"].is_null(), "{after:#}");
}

#[test]
fn kubectl_sees_the_real_status_messages() {
    let env = Env::new();
    let missing = env.kubectl(&["get", "namespace", "nowhere"]);
    assert!(
        missing
            .fails()
            .contains("Error from server (NotFound): namespaces \"nowhere\" not found"),
        "{missing:#?}"
    );
    let create_missing = env.kubectl(&[CREATE_ARGS, &["-n", "nowhere"]].concat());
    assert!(
        create_missing
            .fails()
            .contains("failed to create secret namespaces \"nowhere\" not found"),
        "{create_missing:#?}"
    );

    env.server.create_namespace("leaving");
    env.server.terminate_namespace("leaving");
    let terminating = env.kubectl(&[CREATE_ARGS, &["-n", "leaving"]].concat());
    assert!(
        terminating.fails().contains(
            "failed to create secret secrets \"regcred\" is forbidden: unable to create new content in namespace leaving because it is being terminated"
        ),
        "{terminating:#?}"
    );

    env.server
        .deny(DEFAULT_USER, "patch", "secrets", Some("dev"));
    let manifest = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"regcred"},"stringData":{"a":"b"}}"#;
    let denied = env.kubectl_in(&["apply", "--server-side", "-f", "-"], manifest);
    assert!(
        denied.fails().contains(
            "Error from server (Forbidden): secrets \"regcred\" is forbidden: User \"alice\" cannot patch resource \"secrets\" in API group \"\" in the namespace \"dev\""
        ),
        "{denied:#?}"
    );
    // Elsewhere the same user may.
    env.server.create_namespace("other");
    env.kubectl_in(
        &["apply", "--server-side", "-n", "other", "-f", "-"],
        manifest,
    )
    .ok();
}

/// A dockerconfigjson Secret named `name`, as `kubectl apply` reads it.
fn dockerconfigjson_manifest(name: &str) -> String {
    json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": "eyJhdXRocyI6e319"}
    })
    .to_string()
}

/// The names of every Secret the fake stores, sorted: what refused writes must not change.
fn secret_names(server: &ApiServer) -> Vec<String> {
    server
        .objects("secrets")
        .iter()
        .map(|s| s["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn kubectl_sees_a_secret_type_change_refused_as_immutable() {
    let env = Env::new();
    env.server.seed(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "regcred", "namespace": "dev"},
        "type": "Opaque", "data": {"token": "eA=="}
    }));
    let type_change = env.kubectl_in(
        &["apply", "--server-side", "--force-conflicts", "-f", "-"],
        &dockerconfigjson_manifest("regcred"),
    );
    assert!(
        type_change.fails().contains(
            "The Secret \"regcred\" is invalid: type: Invalid value: \"kubernetes.io/dockerconfigjson\": field is immutable"
        ),
        "{type_change:#?}"
    );
    assert_eq!(secret_names(&env.server), ["regcred"]);
}

#[test]
fn kubectl_sees_data_of_an_immutable_secret_refused() {
    let env = Env::new();
    env.server.seed(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "frozen", "namespace": "dev"},
        "type": "kubernetes.io/dockerconfigjson", "immutable": true,
        "data": {".dockerconfigjson": "e30="}
    }));
    let frozen = env.kubectl_in(
        &["apply", "--server-side", "--force-conflicts", "-f", "-"],
        &dockerconfigjson_manifest("frozen"),
    );
    assert!(
        frozen.fails().contains(
            "The Secret \"frozen\" is invalid: data: Forbidden: field is immutable when `immutable` is set"
        ),
        "{frozen:#?}"
    );
    assert_eq!(secret_names(&env.server), ["frozen"]);
}

#[test]
fn kubectl_sees_a_dockerconfigjson_that_is_not_an_object_refused() {
    let env = Env::new();
    let not_object = env.kubectl(&[
        "create",
        "secret",
        "generic",
        "notjson",
        "--type=kubernetes.io/dockerconfigjson",
        "--from-literal=.dockerconfigjson=[1]",
    ]);
    assert!(
        not_object.fails().contains(
            "failed to create secret Secret \"notjson\" is invalid: data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": json: cannot unmarshal array into Go value of type map[string]interface {}"
        ),
        "{not_object:#?}"
    );
    assert!(secret_names(&env.server).is_empty());
}

#[test]
fn kubectl_sees_a_missing_dockerconfigjson_key_refused() {
    let env = Env::new();
    let missing_key = env.kubectl(&[
        "create",
        "secret",
        "generic",
        "nokey",
        "--type=kubernetes.io/dockerconfigjson",
        "--from-literal=other=x",
    ]);
    assert!(
        missing_key
            .fails()
            .contains("failed to create secret Secret \"nokey\" is invalid: data[.dockerconfigjson]: Required value"),
        "{missing_key:#?}"
    );
    assert!(secret_names(&env.server).is_empty());
}

#[test]
fn kubectl_sees_data_over_1_mib_refused_and_exactly_1_mib_accepted() {
    let env = Env::new();
    let big = env.dir.path().join("big");
    std::fs::write(&big, vec![b'x'; 1024 * 1024 + 1]).unwrap();
    let too_big = env.kubectl(&[
        "create",
        "secret",
        "generic",
        "big",
        &format!("--from-file=blob={}", big.display()),
    ]);
    assert!(
        too_big
            .fails()
            .contains("failed to create secret Secret \"big\" is invalid: data: Too long: may not be more than 1048576 bytes"),
        "{too_big:#?}"
    );
    assert!(secret_names(&env.server).is_empty());
    std::fs::write(&big, vec![b'x'; 1024 * 1024]).unwrap();
    env.kubectl(&[
        "create",
        "secret",
        "generic",
        "big",
        &format!("--from-file=blob={}", big.display()),
    ])
    .ok();
    assert_eq!(secret_names(&env.server), ["big"]);
}

#[test]
fn kubectl_sees_an_invalid_secret_name_refused() {
    let env = Env::new();
    let bad_name = env.kubectl(&[
        "create",
        "secret",
        "generic",
        "Bad_Name",
        "--from-literal=a=b",
    ]);
    assert!(
        bad_name.fails().contains(
            "failed to create secret Secret \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters"
        ),
        "{bad_name:#?}"
    );
    assert!(secret_names(&env.server).is_empty());
}

#[test]
fn kubectl_dry_run_server_persists_nothing() {
    let env = Env::new();
    let before = env.server.revision();
    let out = env.kubectl(&[CREATE_ARGS, &["--dry-run=server"]].concat());
    assert_eq!(out.ok(), "secret/regcred created (server dry run)\n");
    assert_eq!(env.server.secret("dev", "regcred"), None);
    assert_eq!(env.server.revision(), before);
    assert_eq!(env.server.writes()[0].param("dryRun"), Some("All"));
}

#[test]
fn kubectl_delete_and_label_selection() {
    let env = Env::new();
    env.kubectl(CREATE_ARGS).ok();
    env.kubectl(&[
        "label",
        "secret",
        "regcred",
        "app.kubernetes.io/managed-by=docker-credential-keyring",
    ])
    .ok();
    env.kubectl(&[
        "create",
        "secret",
        "generic",
        "unrelated",
        "--from-literal=a=b",
    ])
    .ok();
    let selected = env.kubectl(&[
        "get",
        "secrets",
        "-A",
        "-l",
        "app.kubernetes.io/managed-by=docker-credential-keyring",
        "-o",
        "name",
    ]);
    assert_eq!(selected.ok(), "secret/regcred\n");
    let labelled = env.server.secret("dev", "regcred").unwrap();
    assert!(manager_entry(&labelled, "kubectl-label", "Update").is_some());

    let deleted = env.kubectl(&["delete", "secret", "regcred"]);
    assert_eq!(deleted.ok(), "secret \"regcred\" deleted\n");
    assert_eq!(env.server.secret("dev", "regcred"), None);
    assert!(env.server.secret("dev", "unrelated").is_some());
}

#[test]
fn kubectl_with_a_wrong_token_is_unauthorized() {
    let env = Env::new();
    let home = env.dir.path();
    let wrong = Kubeconfig::new()
        .server_as("fake", &env.server, Auth::Token("wrong".into()))
        .current("fake")
        .write(home.join("wrong"));
    let unauthorized = kubectl_with(home, &[&wrong], &["get", "secrets"], None);
    assert!(
        unauthorized
            .fails()
            .contains("You must be logged in to the server"),
        "{unauthorized:#?}"
    );
    assert!(
        env.server
            .requests()
            .iter()
            .any(|r| r.status == Some(401) && r.user.is_none())
    );
}

#[test]
fn kubectl_refuses_a_server_certificate_an_unrelated_ca_did_not_sign() {
    let env = Env::new();
    let home = env.dir.path();
    let bad_ca = Kubeconfig::new()
        .cluster("fake", &env.server.url(), Ca::Data(unrelated_ca_pem()))
        .user(
            "fake",
            Auth::Token(support::apiserver::DEFAULT_TOKEN.into()),
        )
        .context("fake", "fake", "fake", None)
        .current("fake")
        .write(home.join("bad-ca"));
    let refused = kubectl_with(home, &[&bad_ca], &["get", "secrets"], None);
    assert!(
        refused
            .fails()
            .contains("x509: certificate signed by unknown authority"),
        "{refused:#?}"
    );
}

#[test]
fn kubectl_accepts_a_ca_file_and_the_server_named_localhost() {
    let env = Env::new();
    let home = env.dir.path();
    let ca_file = home.join("ca.crt");
    std::fs::write(&ca_file, env.server.ca_pem()).unwrap();
    let by_file = Kubeconfig::new()
        .cluster("fake", &env.server.url_localhost(), Ca::File(ca_file))
        .user(
            "fake",
            Auth::Token(support::apiserver::DEFAULT_TOKEN.into()),
        )
        .context("fake", "fake", "fake", None)
        .current("fake")
        .write(home.join("ca-file"));
    kubectl_with(home, &[&by_file], &["get", "namespace", "dev"], None).ok();
}

/// A token file ending in a newline, as `echo TOKEN > file` writes it: client-go trims it.
#[test]
fn kubectl_trims_the_final_newline_of_a_token_file() {
    let env = Env::new();
    let home = env.dir.path();
    env.server.add_token("file-token", "carol");
    let token_file = home.join("token");
    std::fs::write(&token_file, "file-token\n").unwrap();
    let by_token_file = Kubeconfig::new()
        .server_as("tf", &env.server, Auth::TokenFile(token_file))
        .current("tf")
        .write(home.join("token-file"));
    env.server.clear_requests();
    kubectl_with(home, &[&by_token_file], &["get", "namespace", "dev"], None).ok();
    assert!(
        env.server
            .requests()
            .iter()
            .any(|r| r.user.as_deref() == Some("carol"))
    );
}

#[test]
fn kubectl_sends_the_token_an_exec_credential_plugin_provides() {
    let env = Env::new();
    let home = env.dir.path();
    env.server.add_token("exec-token", "bob");
    let plugin = ExecPlugin::new(home, "exec-token");
    let exec = Kubeconfig::new()
        .server_as("exec", &env.server, Auth::Exec(plugin.command.clone()))
        .current("exec")
        .write(home.join("exec"));
    env.server.clear_requests();
    kubectl_with(home, &[&exec], &["get", "namespace", "dev"], None).ok();
    assert!(plugin.calls() >= 1);
    assert!(plugin.log_text().contains("KUBERNETES_EXEC_INFO="));
    let users: Vec<Option<String>> = env
        .server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/namespaces/dev")
        .map(|r| r.user.clone())
        .collect();
    assert_eq!(users, [Some("bob".to_string())]);
}

/// Two files in KUBECONFIG, a second server: both contexts usable, the first file's
/// current-context wins.
#[test]
fn kubectl_merges_two_kubeconfig_files_and_the_first_current_context_wins() {
    let env = Env::new();
    let home = env.dir.path();
    let second = ApiServer::start_tls();
    second.create_namespace("prod");
    let other = Kubeconfig::new()
        .server("second", &second)
        .current("second")
        .write(home.join("second"));
    let both: [&Path; 2] = [&env.kubeconfig, &other];
    let contexts = kubectl_with(home, &both, &["config", "get-contexts", "-o", "name"], None);
    assert_eq!(contexts.ok(), "fake\nsecond\n");
    let current = kubectl_with(home, &both, &["config", "current-context"], None);
    assert_eq!(current.ok(), "fake\n");
    kubectl_with(
        home,
        &both,
        &["--context", "second", "get", "namespace", "prod"],
        None,
    )
    .ok();
    assert!(
        kubectl_with(home, &both, &["get", "namespace", "prod"], None)
            .fails()
            .contains("namespaces \"prod\" not found")
    );
}

#[test]
fn kubectl_sees_injected_faults() {
    let env = Env::new();
    env.kubectl(CREATE_ARGS).ok();
    let secret_path = "/api/v1/namespaces/dev/secrets/regcred";

    env.server
        .inject(Fault::new(FaultKind::InternalError, secret_path).times(1));
    let internal = env.kubectl(&["get", "secret", "regcred"]);
    assert!(
        internal
            .fails()
            .contains("Error from server (InternalError): Internal error occurred: injected fault"),
        "{internal:#?}"
    );

    // kubectl retries a 404 after refreshing discovery: the fault stays until cleared.
    env.server
        .inject(Fault::new(FaultKind::PlainText404, secret_path));
    let proxy = env.kubectl(&["get", "secret", "regcred"]);
    assert!(
        proxy
            .fails()
            .contains("the server could not find the requested resource"),
        "{proxy:#?}"
    );
    env.server.clear_faults();

    // Go retries an idempotent request once on a reused connection that was dropped.
    env.server
        .inject(Fault::new(FaultKind::DropConnection, secret_path));
    let dropped = env.kubectl(&["get", "secret", "regcred"]);
    assert!(dropped.fails().contains("EOF"), "{dropped:#?}");
    env.server.clear_faults();

    env.server.inject(
        Fault::new(FaultKind::Slow(Duration::from_secs(3)), secret_path)
            .method("GET")
            .times(1),
    );
    let slow = env.kubectl(&["get", "secret", "regcred", "--request-timeout=1s"]);
    assert!(
        slow.fails().contains("Client.Timeout exceeded")
            || slow.stderr.contains("context deadline exceeded"),
        "{slow:#?}"
    );

    // Faults spent: the next request is answered normally.
    env.kubectl(&["get", "secret", "regcred"]).ok();
}

// ---- byte-exact bodies and raw protocol behaviour, over plain HTTP ----

#[test]
fn status_bodies_are_byte_exact() {
    let server = ApiServer::start();
    let secret = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"regcred"},"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"e30="}}"#;
    assert_eq!(
        server.call("POST", "/api/v1/namespaces/x/secrets", "application/json", secret),
        (
            404,
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"namespaces"},"code":404}"#
                .to_string()
        )
    );
    assert_eq!(
        server.call("GET", "/api/v1/namespaces/x", "", ""),
        (
            404,
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"namespaces"},"code":404}"#
                .to_string()
        )
    );
    server.deny(DEFAULT_USER, "patch", "secrets", Some("default"));
    assert_eq!(
        server.call(
            "PATCH",
            "/api/v1/namespaces/default/secrets/regcred?&force=true&fieldManager=docker-credential-keyring",
            "application/apply-patch+yaml",
            secret
        ),
        (
            403,
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets \"regcred\" is forbidden: User \"alice\" cannot patch resource \"secrets\" in API group \"\" in the namespace \"default\"","reason":"Forbidden","details":{"name":"regcred","kind":"secrets"},"code":403}"#
                .to_string()
        )
    );
    assert_eq!(
        server.call("PUT", "/api/v1/namespaces/default/secrets/none", "application/json", &secret.replace("regcred", "none")),
        (
            404,
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets \"none\" not found","reason":"NotFound","details":{"name":"none","kind":"secrets"},"code":404}"#
                .to_string()
        )
    );
    let (code, body) = server.call(
        "POST",
        "/api/v1/namespaces/default/secrets",
        "application/json",
        &secret.replace("e30=", "W10="),
    );
    assert_eq!(code, 422);
    assert_eq!(
        body,
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Secret \"regcred\" is invalid: data[.dockerconfigjson]: Invalid value: \"\u003csecret contents redacted\u003e\": json: cannot unmarshal array into Go value of type map[string]interface {}","reason":"Invalid","details":{"name":"regcred","kind":"Secret","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"\u003csecret contents redacted\u003e\": json: cannot unmarshal array into Go value of type map[string]interface {}","field":"data[.dockerconfigjson]"}]},"code":422}"#
    );
    let mut unauthenticated = server.requests();
    unauthenticated.retain(|r| r.user.is_none());
    assert!(unauthenticated.is_empty());
}

#[test]
fn server_side_apply_as_push_sends_it() {
    let server = ApiServer::start();
    let path = "/api/v1/namespaces/default/secrets/regcred?&force=true&fieldManager=docker-credential-keyring";
    let body = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "regcred", "labels": {"app.kubernetes.io/managed-by": "docker-credential-keyring"}},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": "e30="}
    });
    let (code, created) = server.call(
        "PATCH",
        path,
        "application/apply-patch+yaml",
        &body.to_string(),
    );
    assert_eq!(code, 201);
    let created: Value = serde_json::from_str(&created).unwrap();
    let (code, again) = server.call(
        "PATCH",
        path,
        "application/apply-patch+yaml",
        &body.to_string(),
    );
    assert_eq!(code, 200);
    let again: Value = serde_json::from_str(&again).unwrap();
    assert_eq!(created, again, "a no-op apply must not write");

    // Another manager applies the same field with another value: conflict without force.
    let other = "/api/v1/namespaces/default/secrets/regcred?fieldManager=helm";
    let changed = body.to_string().replace("e30=", "eyJhdXRocyI6e319");
    let (code, conflict) = server.call("PATCH", other, "application/apply-patch+yaml", &changed);
    assert_eq!(code, 409);
    assert_eq!(
        conflict,
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Apply failed with 1 conflict: conflict with \"docker-credential-keyring\" using v1: .data..dockerconfigjson","reason":"Conflict","details":{"causes":[{"reason":"FieldManagerConflict","message":"conflict with \"docker-credential-keyring\" using v1","field":".data..dockerconfigjson"}]},"code":409}"#
    );
    // The same value is shared, not a conflict.
    let (code, _) = server.call(
        "PATCH",
        other,
        "application/apply-patch+yaml",
        &body.to_string(),
    );
    assert_eq!(code, 200);

    // Apply needs a field manager; force only goes with apply.
    let (code, msg) = server.call(
        "PATCH",
        "/api/v1/namespaces/default/secrets/regcred",
        "application/apply-patch+yaml",
        &body.to_string(),
    );
    assert_eq!(code, 422, "{msg}");
    assert!(msg.contains("fieldManager: Required value: is required for apply patch"));
    let (code, _) = server.call(
        "PATCH",
        "/api/v1/namespaces/default/secrets/regcred?force=true",
        "application/merge-patch+json",
        "{}",
    );
    assert_eq!(code, 422);
    let (code, _) = server.call(
        "PATCH",
        "/api/v1/namespaces/default/secrets/regcred",
        "application/x-unknown",
        "{}",
    );
    assert_eq!(code, 415);
}

#[test]
fn service_account_put_conflicts_on_a_stale_resource_version() {
    let server = ApiServer::start();
    let path = "/api/v1/namespaces/default/serviceaccounts/default";
    let (code, body) = server.call("GET", path, "", "");
    assert_eq!(code, 200);
    let mut sa: Value = serde_json::from_str(&body).unwrap();
    sa["imagePullSecrets"] = json!([{"name": "regcred"}]);

    // Someone else appends their entry between our GET and our PUT.
    server.concurrent_writer("serviceaccounts", "default", "default", 1, |sa| {
        sa["imagePullSecrets"] = json!([{"name": "theirs"}]);
    });
    let (code, conflict) = server.call("PUT", path, "application/json", &sa.to_string());
    assert_eq!(code, 409);
    assert_eq!(
        conflict,
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on serviceaccounts \"default\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"default","kind":"serviceaccounts"},"code":409}"#
    );
    assert_eq!(server.image_pull_secrets("default", "default"), ["theirs"]);

    // Read again, append, PUT: accepted, both entries kept.
    let (_, body) = server.call("GET", path, "", "");
    let mut sa: Value = serde_json::from_str(&body).unwrap();
    sa["imagePullSecrets"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "regcred"}));
    let (code, _) = server.call("PUT", path, "application/json", &sa.to_string());
    assert_eq!(code, 200);
    assert_eq!(
        server.image_pull_secrets("default", "default"),
        ["theirs", "regcred"]
    );
    let stored = server.service_account("default", "default").unwrap();
    assert!(manager_entry(&stored, "raw-test-client", "Update").is_some());
    assert!(manager_entry(&stored, support::apiserver::CONCURRENT_MANAGER, "Update").is_none());
}

#[test]
fn unauthenticated_requests_get_401_and_public_endpoints_answer() {
    let server = ApiServer::start();
    use std::io::{Read, Write};
    let get = |path: &str, auth: &str| {
        let mut s =
            std::net::TcpStream::connect(server.url().trim_start_matches("http://")).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let denied = get(
        "/api/v1/namespaces/default/secrets",
        "Authorization: Bearer nope\r\n",
    );
    assert!(
        denied.starts_with("HTTP/1.1 401 Unauthorized\r\n"),
        "{denied}"
    );
    assert!(denied.ends_with(
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#
    ));
    assert!(get("/api", "").starts_with("HTTP/1.1 401"));
    let version = get("/version", "");
    assert!(version.starts_with("HTTP/1.1 200 OK\r\n") && version.contains("\"gitVersion\""));
    let unknown = get(
        "/apis/apps/v1/deployments",
        "Authorization: Bearer fake-apiserver-token\r\n",
    );
    assert!(unknown.starts_with("HTTP/1.1 404"));
}

const SECRETS: &str = "/api/v1/namespaces/default/secrets";

/// A Secret body with these labels and `stringData` (which the server turns into `data`).
fn secret_body(name: &str, labels: Value) -> String {
    json!({"apiVersion": "v1", "kind": "Secret",
           "metadata": {"name": name, "labels": labels},
           "stringData": {"k": "v"}})
    .to_string()
}

/// A plain-HTTP fake holding Secrets `a` (label team=x) and `b` (team=y) in `default`, both
/// POSTed as a client would.
fn server_with_secrets_a_and_b() -> ApiServer {
    let server = ApiServer::start();
    assert_eq!(
        server
            .call(
                "POST",
                SECRETS,
                "application/json",
                &secret_body("a", json!({"team": "x"}))
            )
            .0,
        201
    );
    assert_eq!(
        server
            .call(
                "POST",
                SECRETS,
                "application/json",
                &secret_body("b", json!({"team": "y"}))
            )
            .0,
        201
    );
    server
}

#[test]
fn string_data_becomes_base64_data_and_the_type_defaults_to_opaque() {
    let server = server_with_secrets_a_and_b();
    let a = server.secret("default", "a").unwrap();
    assert_eq!(a["data"], json!({"k": "dg=="}));
    assert_eq!(a["type"], "Opaque");
    assert!(a.get("stringData").is_none());
}

#[test]
fn lists_filter_by_label_and_field_selectors() {
    let server = server_with_secrets_a_and_b();
    let (_, list) = server.call("GET", &format!("{SECRETS}?labelSelector=team%3Dx"), "", "");
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["kind"], "SecretList");
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["metadata"]["name"], "a");
    let (_, list) = server.call(
        "GET",
        &format!("{SECRETS}?fieldSelector=metadata.name!%3Da"),
        "",
        "",
    );
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["items"][0]["metadata"]["name"], "b");
}

/// Merge patch (null deletes), JSON patch with a failing test, strategic merge.
#[test]
fn merge_json_and_strategic_merge_patches_apply() {
    let server = server_with_secrets_a_and_b();
    let (code, _) = server.call(
        "PATCH",
        &format!("{SECRETS}/a"),
        "application/merge-patch+json",
        r#"{"metadata":{"labels":{"team":null,"tier":"gold"}}}"#,
    );
    assert_eq!(code, 200);
    assert_eq!(
        server.secret("default", "a").unwrap()["metadata"]["labels"],
        json!({"tier": "gold"})
    );
    let (code, _) = server.call(
        "PATCH",
        &format!("{SECRETS}/a"),
        "application/json-patch+json",
        r#"[{"op":"test","path":"/metadata/labels/tier","value":"silver"},{"op":"remove","path":"/metadata/labels"}]"#,
    );
    assert_eq!(code, 422);
    let (code, _) = server.call(
        "PATCH",
        &format!("{SECRETS}/a"),
        "application/json-patch+json",
        r#"[{"op":"test","path":"/metadata/labels/tier","value":"gold"},{"op":"add","path":"/metadata/labels/zone","value":"eu"}]"#,
    );
    assert_eq!(code, 200);
    let (code, _) = server.call(
        "PATCH",
        &format!("{SECRETS}/a"),
        "application/strategic-merge-patch+json",
        r#"{"metadata":{"annotations":{"note":"hi"}}}"#,
    );
    assert_eq!(code, 200);
    let a = server.secret("default", "a").unwrap();
    assert_eq!(
        a["metadata"]["labels"],
        json!({"tier": "gold", "zone": "eu"})
    );
    assert_eq!(a["metadata"]["annotations"], json!({"note": "hi"}));
    assert_eq!(
        a["metadata"]["managedFields"][0]["manager"], "raw-test-client",
        "the User-Agent names the manager when fieldManager is absent"
    );
}

#[test]
fn a_patch_with_a_stale_resource_version_conflicts() {
    let server = server_with_secrets_a_and_b();
    assert!(
        rv(&server.secret("default", "a").unwrap()) > 1,
        "resourceVersion 1 must be stale for this test"
    );
    let (code, _) = server.call(
        "PATCH",
        &format!("{SECRETS}/a"),
        "application/merge-patch+json",
        r#"{"metadata":{"resourceVersion":"1"}}"#,
    );
    assert_eq!(code, 409);
}

/// Dry runs validate and persist nothing; a bad dryRun value is refused.
#[test]
fn dry_runs_persist_nothing_and_a_bad_dry_run_value_is_refused() {
    let server = server_with_secrets_a_and_b();
    let before = server.revision();
    let (code, body) = server.call(
        "PATCH",
        "/api/v1/namespaces/default/secrets/new?fieldManager=m&dryRun=All",
        "application/apply-patch+yaml",
        &secret_body("new", json!({})),
    );
    assert_eq!(code, 201, "{body}");
    assert_eq!(server.secret("default", "new"), None);
    let (code, _) = server.call("DELETE", &format!("{SECRETS}/a?dryRun=All"), "", "");
    assert_eq!(code, 200);
    assert!(server.secret("default", "a").is_some());
    assert_eq!(server.revision(), before);
    let (code, body) = server.call(
        "POST",
        &format!("{SECRETS}?dryRun=Some"),
        "application/json",
        &secret_body("c", json!({})),
    );
    assert_eq!(code, 422);
    assert!(
        body.contains(r#"dryRun: Unsupported value: \"Some\": supported values: \"All\""#),
        "{body}"
    );
}

#[test]
fn invalid_label_keys_and_namespace_names_are_refused() {
    let server = ApiServer::start();
    let (code, body) = server.call(
        "POST",
        SECRETS,
        "application/json",
        &secret_body("ok", json!({"bad key!": "v"})),
    );
    assert_eq!(code, 422);
    assert!(
        body.contains("metadata.labels: Invalid value: \\\"bad key!\\\""),
        "{body}"
    );
    let ns = r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"has.dot"}}"#;
    let (code, body) = server.call("POST", "/api/v1/namespaces", "application/json", ns);
    assert_eq!(code, 422);
    assert!(
        body.contains("a lowercase RFC 1123 label must consist of"),
        "{body}"
    );
}

#[test]
fn unknown_fields_are_dropped_unless_field_validation_is_strict() {
    let server = ApiServer::start();
    let (code, _) = server.call(
        "POST",
        SECRETS,
        "application/json",
        r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"},"bogus":1}"#,
    );
    assert_eq!(code, 201, "unknown fields are dropped by default");
    let (code, body) = server.call(
        "POST",
        &format!("{SECRETS}?fieldValidation=Strict"),
        "application/json",
        r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"y"},"bogus":1}"#,
    );
    assert_eq!(code, 400);
    assert!(
        body.contains(r#"strict decoding error: unknown field \"bogus\""#),
        "{body}"
    );
}

#[test]
fn a_body_over_the_3_mib_request_limit_gets_413() {
    let server = ApiServer::start();
    let huge = "x".repeat(3 * 1024 * 1024 + 1);
    let (code, _) = server.call("POST", SECRETS, "application/json", &huge);
    assert_eq!(code, 413);
}

/// In a terminating namespace existing objects may still change; nothing new is created.
#[test]
fn a_terminating_namespace_lets_objects_change_but_not_be_created() {
    let server = server_with_secrets_a_and_b();
    server.terminate_namespace("default");
    let (code, _) = server.call(
        "PATCH",
        &format!("{SECRETS}/b"),
        "application/merge-patch+json",
        r#"{"metadata":{"labels":{"team":"z"}}}"#,
    );
    assert_eq!(code, 200);
    let (code, _) = server.call(
        "POST",
        SECRETS,
        "application/json",
        &secret_body("late", json!({})),
    );
    assert_eq!(code, 403);
}

#[test]
fn deleting_a_namespace_marks_it_terminating_and_answers_the_object() {
    let server = ApiServer::start();
    server.create_namespace("gone");
    let (code, body) = server.call("DELETE", "/api/v1/namespaces/gone", "", "");
    assert_eq!(code, 200);
    let ns: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ns["status"]["phase"], "Terminating");
}

#[test]
fn kubectl_creates_namespaces_and_service_accounts_from_protobuf() {
    let env = Env::new();
    assert_eq!(
        env.kubectl(&["create", "namespace", "extra"]).ok(),
        "namespace/extra created\n"
    );
    let ns = env.server.namespace("extra").unwrap();
    assert_eq!(ns["status"]["phase"], "Active");
    assert_eq!(ns["spec"]["finalizers"], json!(["kubernetes"]));
    // The service-account controller's work: every namespace has `default`.
    assert!(env.server.service_account("extra", "default").is_some());
    assert_eq!(
        env.kubectl(&["create", "serviceaccount", "builder", "-n", "extra"])
            .ok(),
        "serviceaccount/builder created\n"
    );
    let post = env.server.writes().pop().unwrap();
    assert_eq!(
        post.content_type.as_deref(),
        Some("application/vnd.kubernetes.protobuf")
    );
    // kubectl patch (strategic merge) replaces the atomic imagePullSecrets list whole.
    env.kubectl(&[
        "patch",
        "serviceaccount",
        "builder",
        "-n",
        "extra",
        "-p",
        r#"{"imagePullSecrets":[{"name":"a"},{"name":"b"}]}"#,
    ])
    .ok();
    env.kubectl(&[
        "patch",
        "serviceaccount",
        "builder",
        "-n",
        "extra",
        "-p",
        r#"{"imagePullSecrets":[{"name":"c"}]}"#,
    ])
    .ok();
    assert_eq!(env.server.image_pull_secrets("extra", "builder"), ["c"]);
    let listed = env.kubectl(&["get", "serviceaccounts", "-n", "extra", "-o", "name"]);
    assert_eq!(
        listed.ok(),
        "serviceaccount/builder\nserviceaccount/default\n"
    );
}

// ---- what kube-apiserver refuses, or does in steps, the fake does too ----

/// `metadata.managedFields must be nil` (the field manager's check, structuredmerge.go): an
/// apply carrying them, as a client that applies what it read would send, is a 400.
#[test]
fn an_apply_carrying_managed_fields_is_refused() {
    let server = server_with_secrets_a_and_b();
    let before = server.secret("default", "a").unwrap();
    let mut body = before.clone();
    body["metadata"]["labels"]["team"] = json!("z");
    for target in ["a", "fresh"] {
        body["metadata"]["name"] = json!(target);
        let (code, answer) = server.call(
            "PATCH",
            &format!("{SECRETS}/{target}?fieldManager=tool"),
            "application/apply-patch+yaml",
            &body.to_string(),
        );
        assert_eq!(
            (code, answer.as_str()),
            (
                400,
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"metadata.managedFields must be nil","reason":"BadRequest","code":400}"#
            )
        );
    }
    assert_eq!(server.secret("default", "a").unwrap(), before);
    assert_eq!(server.secret("default", "fresh"), None);
}

/// The storage layer refuses to create an object that carries a resourceVersion (a number
/// other than 0), by POST or by apply, with a 500 without a reason.
#[test]
fn a_create_carrying_a_resource_version_is_refused() {
    let server = ApiServer::start();
    let refused = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"resourceVersion should not be set on objects to be created","code":500}"#;
    let with_rv = |name: &str, rv: &str| {
        json!({"apiVersion": "v1", "kind": "Secret",
               "metadata": {"name": name, "resourceVersion": rv},
               "stringData": {"k": "v"}})
        .to_string()
    };
    let (code, body) = server.call("POST", SECRETS, "application/json", &with_rv("p", "1234"));
    assert_eq!((code, body.as_str()), (500, refused));
    let (code, body) = server.call(
        "PATCH",
        &format!("{SECRETS}/q?fieldManager=tool"),
        "application/apply-patch+yaml",
        &with_rv("q", "1234"),
    );
    assert_eq!((code, body.as_str()), (500, refused));
    assert!(
        secret_names(&server).is_empty(),
        "{:?}",
        secret_names(&server)
    );
    // 0 is no resourceVersion.
    let (code, _) = server.call("POST", SECRETS, "application/json", &with_rv("r", "0"));
    assert_eq!(code, 201);
}

/// The fault that commits the write and loses the answer: the client sees the connection
/// close, the object is there.
#[test]
fn a_dropped_answer_after_the_write_leaves_the_write_done() {
    use std::io::{Read, Write};
    let server = ApiServer::start();
    server.inject(Fault::new(FaultKind::DropAnswer, SECRETS).method("POST"));
    let body = secret_body("kept", json!({}));
    let addr = server.url().trim_start_matches("http://").to_owned();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST {SECRETS} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        support::apiserver::DEFAULT_TOKEN,
        body.len()
    )
    .unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    assert!(server.secret("default", "kept").is_some());
    let post = server.writes().pop().unwrap();
    assert_eq!((post.method.as_str(), post.status), ("POST", None));
}

/// An object with finalizers is not gone when DELETE answers: it is marked with a
/// deletionTimestamp and answered as the object, can be read, not created again, for one more
/// request; then its finalizers are done and it is gone.
#[test]
fn deleting_an_object_with_finalizers_is_graceful_for_one_round() {
    let server = ApiServer::start();
    server.seed(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "held", "namespace": "default", "finalizers": ["example.com/cleanup"]},
        "type": "Opaque", "data": {"k": "dg=="}
    }));
    let (code, body) = server.call("DELETE", &format!("{SECRETS}/held"), "", "");
    assert_eq!(code, 200, "{body}");
    let answered: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answered["kind"], "Secret", "the object, not a Status");
    assert!(answered["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(answered["metadata"]["deletionGracePeriodSeconds"], 0);
    // The one round: still there, terminating; a create of the name conflicts.
    let (code, _) = server.call(
        "POST",
        SECRETS,
        "application/json",
        &secret_body("held", json!({})),
    );
    assert_eq!(code, 409);
    // Then gone.
    let (code, _) = server.call("GET", &format!("{SECRETS}/held"), "", "");
    assert_eq!(code, 404);
    // Without finalizers, DELETE is immediate, as before.
    let server = server_with_secrets_a_and_b();
    let (code, body) = server.call("DELETE", &format!("{SECRETS}/a"), "", "");
    assert_eq!(code, 200);
    assert!(body.contains(r#""status":"Success""#), "{body}");
    assert_eq!(server.secret("default", "a"), None);
}

/// Set-based label selectors as labels.Parse reads them; `!=` and `notin` match objects
/// without the key; a selector that does not parse is a 400, never an empty list.
#[test]
fn set_based_label_selectors_select() {
    let server = server_with_secrets_a_and_b();
    assert_eq!(
        server
            .call(
                "POST",
                SECRETS,
                "application/json",
                &secret_body("c", json!({}))
            )
            .0,
        201
    );
    let names = |selector: &str| -> Vec<String> {
        let (code, list) = server.call(
            "GET",
            &format!(
                "{SECRETS}?labelSelector={}",
                selector
                    .replace(' ', "+")
                    .replace('=', "%3D")
                    .replace('!', "%21")
            ),
            "",
            "",
        );
        assert_eq!(code, 200, "{selector}: {list}");
        let list: Value = serde_json::from_str(&list).unwrap();
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names("team in (x,y)"), ["a", "b"]);
    assert_eq!(names("team in (x, z)"), ["a"]);
    assert_eq!(names("team notin (x)"), ["b", "c"]);
    assert_eq!(names("team"), ["a", "b"]);
    assert_eq!(names("!team"), ["c"]);
    assert_eq!(names("team!=y"), ["a", "c"]);
    assert_eq!(names("team in (x,y),team!=x"), ["b"]);
    let (code, body) = server.call("GET", &format!("{SECRETS}?labelSelector=team+in+x"), "", "");
    assert_eq!(code, 400, "{body}");
}

/// Strategic merge patch directives are not applied as merge patches (that would do something
/// else than the real server): 415, and nothing changes.
#[test]
fn strategic_merge_directives_are_refused_not_dropped() {
    let server = server_with_secrets_a_and_b();
    let before = server.secret("default", "a").unwrap();
    for patch in [
        r#"{"metadata":{"labels":{"$patch":"replace","tier":"gold"}}}"#,
        r#"{"$retainKeys":["data"],"data":{"k":"dg=="}}"#,
    ] {
        let (code, body) = server.call(
            "PATCH",
            &format!("{SECRETS}/a"),
            "application/strategic-merge-patch+json",
            patch,
        );
        assert_eq!(code, 415, "{patch}: {body}");
    }
    assert_eq!(server.secret("default", "a").unwrap(), before);
}

/// Creating through apply without RBAC `create`: patch.go's own check, whose message carries
/// the authorizer's reason (empty from RBAC), not the "User … cannot create" of a plain denial.
#[test]
fn creating_through_apply_without_create_is_forbidden_as_the_server_words_it() {
    let server = ApiServer::start();
    server.deny(DEFAULT_USER, "create", "secrets", None);
    let (code, body) = server.call(
        "PATCH",
        &format!("{SECRETS}/new?fieldManager=tool"),
        "application/apply-patch+yaml",
        &secret_body("new", json!({})),
    );
    assert_eq!(
        (code, body.as_str()),
        (
            403,
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets \"new\" is forbidden: ","reason":"Forbidden","details":{"name":"new","kind":"secrets"},"code":403}"#
        )
    );
    // A POST is denied by the authorization filter, in its own words.
    let (code, body) = server.call(
        "POST",
        SECRETS,
        "application/json",
        &secret_body("new", json!({})),
    );
    assert_eq!(code, 403);
    assert!(
        body.contains(r#"User \"alice\" cannot create resource \"secrets\""#),
        "{body}"
    );
}
