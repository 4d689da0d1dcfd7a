//! `push` end to end: the built binary reads a real keychain (gnome-keyring on a private bus)
//! and talks, through real kubeconfig files, to the project's loopback API-server fake
//! (the crate in tests/apiserver-fake), whose request log shows exactly what was sent.

#![cfg(target_os = "linux")]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::apiserver::{
    ApiServer, CONCURRENT_MANAGER, DEFAULT_USER, Fault, FaultKind, Request, unrelated_ca_pem,
};
use support::kubeconfig::{Auth, Ca, ExecPlugin, Kubeconfig, kubeconfig_env};
use support::secret_service::{SecretServiceFixture, fixture};
use support::{Keyring, Run, command, run_command, store};

/// The registry password: must never show up anywhere but inside the Secret's data.
const CANARY: &str = "canary-Pw-4f1e9b2c7d";
const REGISTRY: &str = "registry.example.com";
const FIELD_MANAGER: &str = "docker-credential-keyring";
const MANAGED_BY: &str = "app.kubernetes.io/managed-by";

/// A keychain holding the canary credential, a fake API server with namespace `dev`, and a
/// kubeconfig whose context `fake` points at it with namespace `dev`.
struct World {
    keyring: SecretServiceFixture,
    server: ApiServer,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl World {
    fn new() -> World {
        World::with(ApiServer::start_tls())
    }

    fn with(server: ApiServer) -> World {
        let keyring = fixture();
        store(&keyring, REGISTRY, "alice", CANARY);
        server.create_namespace("dev");
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = Kubeconfig::new()
            .server("fake", &server)
            .context_ns("fake", "dev")
            .current("fake")
            .write(dir.path().join("kube/config"));
        World {
            keyring,
            server,
            dir,
            kubeconfig,
        }
    }

    fn push(&self, args: &[&str]) -> Run {
        push_with(&self.keyring, &[&self.kubeconfig], args)
    }

    /// The decoded `.dockerconfigjson` of a Secret in the fake.
    fn config(&self, ns: &str, name: &str) -> Value {
        let data = self
            .server
            .secret_data(ns, name)
            .expect("the secret exists");
        serde_json::from_slice(&data[".dockerconfigjson"]).unwrap()
    }
}

/// Run `docker-credential-keyring push ARGS` against `keyring`, with `KUBECONFIG` listing
/// `kubeconfigs`.
fn push_with(keyring: &dyn Keyring, kubeconfigs: &[&Path], args: &[&str]) -> Run {
    let run = push_raw(keyring, kubeconfigs, args);
    assert_no_canary_in_output(&run);
    run
}

/// Like [`push_with`], for the runs whose output is meant to hold the secret (`-o`).
fn push_raw(keyring: &dyn Keyring, kubeconfigs: &[&Path], args: &[&str]) -> Run {
    let mut env = keyring.env();
    env.push((
        "DOCKER_CREDENTIAL_KEYRING_BACKEND".into(),
        keyring.backend().into(),
    ));
    env.push(kubeconfig_env(kubeconfigs));
    let mut cmd = command(&env);
    cmd.arg("push").args(args);
    run_command(cmd, b"")
}

#[track_caller]
fn assert_no_canary_in_output(run: &Run) {
    for text in [&run.stdout, &run.stderr] {
        assert_no_canary_in(text, &format!("{run:#?}"));
    }
}

/// No form of the canary in `text`, including inside any base64 run (a truncated
/// `.dockerconfigjson` would still reveal the password).
#[track_caller]
fn assert_no_canary_in(text: &str, context: &str) {
    for form in secret_forms() {
        assert!(
            !text.contains(&form),
            "a secret form {form:?} leaked: {context}"
        );
    }
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '+' || c == '/';
    for token in text.split(|c: char| !is_b64(c)) {
        for start in 0..4.min(token.len()) {
            let t = &token[start..];
            let t = &t[..t.len() / 4 * 4];
            if t.len() >= 12
                && let Ok(bytes) = B64.decode(t)
            {
                let decoded = String::from_utf8_lossy(&bytes);
                assert!(
                    !decoded.contains(&CANARY[..10]),
                    "the password is readable in base64 {t:?}: {context}"
                );
            }
        }
    }
}

/// The canary as it could leak: raw, base64, and base64 of `user:password` (the `auth` field).
fn secret_forms() -> Vec<String> {
    vec![
        CANARY.to_string(),
        B64.encode(CANARY),
        B64.encode(format!("alice:{CANARY}")),
    ]
}

/// Every request's text with `data` of Secret bodies removed contains no form of the canary.
#[track_caller]
fn assert_no_canary_in_requests(requests: &[Request]) {
    for r in requests {
        let mut r = r.clone();
        if let Some(mut body) = r.json() {
            if let Some(d) = body.get_mut("data") {
                *d = json!("<data>");
            }
            r.body = body.to_string().into_bytes();
        }
        let text = r.to_text();
        assert_no_canary_in(&text, &format!("sent outside the Secret's data: {text}"));
    }
}

#[track_caller]
fn lines(run: &Run) -> Vec<&str> {
    run.stdout.lines().collect()
}

/// Succeeded: exit 0 and exactly these lines.
#[track_caller]
fn assert_lines(run: &Run, expected: &[&str]) {
    assert_eq!(lines(run), expected, "{run:#?}");
    assert_eq!(run.code, Some(0), "{run:#?}");
}

/// The one stdout line starting with `prefix`.
#[track_caller]
fn line<'a>(run: &'a Run, prefix: &str) -> &'a str {
    let found: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with(prefix))
        .collect();
    assert_eq!(found.len(), 1, "one line for {prefix}: {run:#?}");
    found[0]
}

fn rv(obj: &Value) -> u64 {
    obj["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn owner<'a>(obj: &'a Value, manager: &str) -> Option<&'a Value> {
    obj["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager)
}

fn patches(requests: &[Request]) -> Vec<&Request> {
    requests.iter().filter(|r| r.method == "PATCH").collect()
}

/// A [`World`] in which `push` already created `dev/regcred`, so that the next push
/// that reaches the server answers `unchanged` (or `updated` after a new password).
fn world_with_regcred() -> World {
    let w = World::new();
    assert_lines(&w.push(&[REGISTRY]), &["fake/dev/regcred: created"]);
    w
}

#[test]
fn a_first_push_creates_the_secret_by_server_side_apply() {
    let w = World::new();
    let run = w.push(&[REGISTRY]);
    assert_lines(&run, &["fake/dev/regcred: created"]);

    let secret = w.server.secret("dev", "regcred").unwrap();
    assert_eq!(secret["type"], "kubernetes.io/dockerconfigjson");
    assert_eq!(secret["metadata"]["labels"][MANAGED_BY], FIELD_MANAGER);
    assert_eq!(
        w.config("dev", "regcred"),
        json!({"auths": {REGISTRY: {
            "username": "alice", "password": CANARY,
            "auth": B64.encode(format!("alice:{CANARY}"))
        }}})
    );
    let annotations = secret["metadata"]["annotations"].to_string();
    assert!(annotations.contains(REGISTRY) && !annotations.contains(CANARY));

    // Server-side apply exactly as the spec says: the query, the content type, force.
    let requests = w.server.requests();
    let apply = patches(&requests);
    assert_eq!(apply.len(), 1, "{requests:#?}");
    let apply = apply[0];
    assert_eq!(apply.path, "/api/v1/namespaces/dev/secrets/regcred");
    assert_eq!(
        apply.content_type.as_deref(),
        Some("application/apply-patch+yaml")
    );
    assert_eq!(apply.param("fieldManager"), Some(FIELD_MANAGER));
    // Read as absent, so created without force: a secret someone else makes meanwhile is not
    // taken over (see a_secret_made_while_push_creates_one_is_not_taken_over).
    assert_eq!(apply.param("force"), None, "{}", apply.query);
    assert!(
        apply
            .query
            .ends_with("fieldManager=docker-credential-keyring"),
        "{}",
        apply.query
    );
    assert_eq!(apply.param("dryRun"), None);
    assert_eq!(apply.status, Some(201));
    assert!(apply.tls);
    assert_eq!(
        apply.user.as_deref(),
        Some(DEFAULT_USER),
        "bearer token sent"
    );
    let sent = apply.json().unwrap();
    assert_eq!(sent["kind"], "Secret");
    assert_eq!(sent["apiVersion"], "v1");
    assert_eq!(sent["metadata"]["name"], "regcred");
    let ours = owner(&secret, FIELD_MANAGER).expect("push owns its fields");
    assert_eq!(ours["operation"], "Apply");
    assert_eq!(
        ours["fieldsV1"]["f:data"],
        json!({"f:.dockerconfigjson": {}})
    );
    assert_no_canary_in_requests(&requests);
}

/// Again: nothing to change, nothing written.
#[test]
fn a_second_push_with_nothing_to_change_writes_nothing() {
    let w = world_with_regcred();
    let secret = w.server.secret("dev", "regcred").unwrap();
    let before = w.server.revision();
    assert_lines(&w.push(&[REGISTRY]), &["fake/dev/regcred: unchanged"]);
    assert_eq!(w.server.revision(), before);
    assert_eq!(w.server.secret("dev", "regcred").unwrap(), secret);
}

/// A new password in the keychain: updated, new resourceVersion, new bytes; our existing
/// secret is applied with force.
#[test]
fn a_new_password_updates_the_secret_applying_with_force() {
    let w = world_with_regcred();
    let secret = w.server.secret("dev", "regcred").unwrap();
    store(&w.keyring, REGISTRY, "alice", "rotated-Pw-0000");
    w.server.clear_requests();
    assert_lines(&w.push(&[REGISTRY]), &["fake/dev/regcred: updated"]);
    let requests = w.server.requests();
    let apply = patches(&requests);
    assert_eq!(apply.len(), 1, "{requests:#?}");
    assert!(
        apply[0]
            .query
            .ends_with("&force=true&fieldManager=docker-credential-keyring"),
        "{}",
        apply[0].query
    );
    let updated = w.server.secret("dev", "regcred").unwrap();
    assert!(rv(&updated) > rv(&secret));
    assert_eq!(
        w.config("dev", "regcred")["auths"][REGISTRY]["password"],
        "rotated-Pw-0000"
    );
    assert_no_canary_in_requests(&w.server.requests());
}

#[test]
fn several_namespaces_and_contexts_from_two_kubeconfig_files() {
    let w = World::new();
    for ns in ["a", "b"] {
        w.server.create_namespace(ns);
    }
    // A second cluster over plain HTTP, in a second file of KUBECONFIG.
    let second = ApiServer::start();
    for ns in ["a", "b"] {
        second.create_namespace(ns);
    }
    let other = Kubeconfig::new()
        .server("second", &second)
        .current("second")
        .write(w.dir.path().join("second"));
    let run = push_with(
        &w.keyring,
        &[&w.kubeconfig, &other],
        &[
            REGISTRY,
            "--context",
            "fake",
            "--context",
            "second",
            "-n",
            "a",
            "-n",
            "b",
        ],
    );
    let mut got = lines(&run);
    got.sort();
    assert_eq!(
        got,
        [
            "fake/a/regcred: created",
            "fake/b/regcred: created",
            "second/a/regcred: created",
            "second/b/regcred: created",
        ],
        "{run:#?}"
    );
    assert_eq!(run.code, Some(0));
    for server in [&w.server, &second] {
        for ns in ["a", "b"] {
            let s = server
                .secret(ns, "regcred")
                .expect("secret in every target");
            assert_eq!(s["metadata"]["labels"][MANAGED_BY], FIELD_MANAGER);
        }
        assert_eq!(server.secret("dev", "regcred"), None);
        assert_no_canary_in_requests(&server.requests());
    }
    assert!(second.requests().iter().all(|r| !r.tls));

    // Without --context: the first file's current context, and its namespace.
    let run = push_with(&w.keyring, &[&w.kubeconfig, &other], &[REGISTRY]);
    assert_lines(&run, &["fake/dev/regcred: created"]);
}

#[test]
fn targets_run_concurrently_and_bounded() {
    let w = World::new();
    let namespaces: Vec<String> = (0..20).map(|i| format!("ns-{i:02}")).collect();
    for ns in &namespaces {
        w.server.create_namespace(ns);
        // Every request of a target takes a while, so targets overlap if they can.
        w.server.inject(Fault::new(
            FaultKind::Slow(Duration::from_millis(300)),
            &format!("/api/v1/namespaces/{ns}/"),
        ));
    }
    let mut args = vec![REGISTRY];
    for ns in &namespaces {
        args.extend(["-n", ns.as_str()]);
    }
    let run = w.push(&args);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(lines(&run).len(), 20);
    assert!(
        lines(&run).iter().all(|l| l.ends_with(": created")),
        "{run:#?}"
    );
    // One line per target, in the order the targets were given.
    let order: Vec<&str> = lines(&run)
        .iter()
        .map(|l| l.split('/').nth(1).unwrap())
        .collect();
    assert_eq!(order, namespaces);
    let max = w.server.max_in_flight();
    assert!(max >= 2, "targets run one at a time (max in flight {max})");
    assert!(
        max <= docker_credential_keyring::push::cluster::CONCURRENCY,
        "more than CONCURRENCY requests at once: {max}"
    );
}

#[test]
fn every_registry_in_one_secret_and_kubeconfig_selection() {
    let w = World::new();
    store(
        &w.keyring,
        "https://index.docker.io/v1/",
        "hubuser",
        "hub-Pw-1",
    );
    store(&w.keyring, "GHCR.io", "octo", "gh-Pw-2");
    // --kubeconfig wins over KUBECONFIG, whose files here do not even exist.
    let missing = w.dir.path().join("missing");
    let run = push_with(
        &w.keyring,
        &[&missing],
        &["--all", "--kubeconfig", w.kubeconfig.to_str().unwrap()],
    );
    assert_lines(&run, &["fake/dev/regcred: created"]);
    let auths = w.config("dev", "regcred")["auths"].clone();
    let keys: Vec<&String> = auths.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["ghcr.io", "https://index.docker.io/v1/", REGISTRY],
        "kubelet keys, lowercase, Docker Hub as index.docker.io/v1/"
    );
    assert_eq!(auths["ghcr.io"]["username"], "octo");
    let annotations = w.server.secret("dev", "regcred").unwrap()["metadata"]["annotations"].clone();
    let listed = annotations
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .as_str()
        .unwrap();
    for key in ["ghcr.io", "https://index.docker.io/v1/", REGISTRY] {
        assert!(listed.contains(key), "{listed}");
    }
    for pw in ["hub-Pw-1", "gh-Pw-2"] {
        assert!(!run.stdout.contains(pw) && !run.stderr.contains(pw));
        assert!(!annotations.to_string().contains(pw));
    }

    // A missing file in a KUBECONFIG list is skipped, as kubectl skips it.
    let run = push_with(&w.keyring, &[&missing, &w.kubeconfig], &["docker.io"]);
    assert_lines(
        &run,
        &["fake/dev/regcred: updated (removed ghcr.io, registry.example.com, no longer pushed)"],
    );
    let auths = w.config("dev", "regcred")["auths"].clone();
    assert_eq!(
        auths.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["https://index.docker.io/v1/"],
        "one registry named: the secret holds just that one"
    );

    // An unknown --context: refused before anything is sent.
    w.server.clear_requests();
    let run = w.push(&[REGISTRY, "--context", "nope"]);
    assert_ne!(run.code, Some(0));
    assert!(run.fails_on_stderr().contains("nope"), "{run:#?}");
    assert!(w.server.requests().is_empty());
}

#[test]
fn exec_plugin_credentials() {
    let w = World::new();
    w.server.add_token("exec-issued-token", "bob");
    let plugin = ExecPlugin::new(w.dir.path(), "exec-issued-token");
    let kc = Kubeconfig::new()
        .server_as("exec", &w.server, Auth::Exec(plugin.command.clone()))
        .context_ns("exec", "dev")
        .current("exec")
        .write(w.dir.path().join("exec-config"));
    w.server.create_namespace("second");
    let run = push_with(&w.keyring, &[&kc], &[REGISTRY, "-n", "dev", "-n", "second"]);
    assert_lines(
        &run,
        &["exec/dev/regcred: created", "exec/second/regcred: created"],
    );
    // The plugin runs once per context, not per target.
    let per_context = plugin.calls();
    assert_eq!(per_context, 1, "plugin runs");
    let many: Vec<String> = (0..10).map(|i| format!("many-{i}")).collect();
    let mut args = vec![REGISTRY];
    for ns in &many {
        w.server.create_namespace(ns);
        args.extend(["-n", ns.as_str()]);
    }
    assert_eq!(push_with(&w.keyring, &[&kc], &args).code, Some(0));
    assert_eq!(
        plugin.calls(),
        2 * per_context,
        "plugin runs grew with the targets"
    );
    let log = plugin.log_text();
    assert!(log.contains("KUBERNETES_EXEC_INFO="), "{log}");
    for form in secret_forms() {
        assert!(!log.contains(&form), "a secret reached the plugin: {log}");
    }
    let users: Vec<_> = w.server.requests().iter().map(|r| r.user.clone()).collect();
    assert!(
        users.iter().all(|u| u.as_deref() == Some("bob")),
        "{users:?}"
    );

    // A plugin that fails: the target fails naming the credentials.
    let broken = w.dir.path().join("broken-plugin");
    std::fs::write(&broken, "#!/bin/sh\necho 'token expired' >&2\nexit 1\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&broken, std::fs::Permissions::from_mode(0o755)).unwrap();
    let kc = Kubeconfig::new()
        .server_as("broken", &w.server, Auth::Exec(broken))
        .context_ns("broken", "dev")
        .current("broken")
        .write(w.dir.path().join("broken-config"));
    let run = push_with(&w.keyring, &[&kc], &[REGISTRY]);
    let l = line(&run, "broken/dev/regcred: failed: ");
    assert!(l.contains("credentials"), "{l}");
    assert_ne!(run.code, Some(0));
}

/// Two contexts of one cluster sharing one exec-plugin user.
fn two_contexts_sharing(w: &World, plugin: &ExecPlugin) -> PathBuf {
    w.server.create_namespace("second");
    Kubeconfig::new()
        .cluster(
            "fake",
            &w.server.url(),
            Ca::Data(w.server.ca_pem().to_string()),
        )
        .user("shared", Auth::Exec(plugin.command.clone()))
        .context("one", "fake", "shared", Some("dev"))
        .context("two", "fake", "shared", Some("dev"))
        .current("one")
        .write(w.dir.path().join("shared-config"))
}

/// Push to 2 namespaces of each of the two contexts; the lines name every target.
fn push_to_both(w: &World, kc: &Path) {
    let run = push_with(
        &w.keyring,
        &[kc],
        &[
            REGISTRY,
            "--context",
            "one",
            "--context",
            "two",
            "-n",
            "dev",
            "-n",
            "second",
        ],
    );
    assert_eq!(run.code, Some(0), "{run:#?}");
    for t in ["one/dev", "one/second", "two/dev", "two/second"] {
        assert!(run.stdout.contains(&format!("{t}/regcred: ")), "{run:#?}");
    }
}

#[test]
fn an_exec_plugin_without_expiry_runs_once_per_context() {
    let w = World::new();
    w.server.add_token("exec-issued-token", "bob");
    let plugin = ExecPlugin::new(w.dir.path(), "exec-issued-token");
    let kc = two_contexts_sharing(&w, &plugin);
    push_to_both(&w, &kc);
    // An MFA plugin would prompt once per context, not once per client kube builds.
    assert_eq!(plugin.calls(), 2, "plugin runs");
    let users: Vec<_> = w.server.requests().iter().map(|r| r.user.clone()).collect();
    assert!(
        users.iter().all(|u| u.as_deref() == Some("bob")),
        "{users:?}"
    );
}

#[test]
fn an_exec_plugin_with_expiry_runs_once_per_context() {
    let w = World::new();
    w.server.add_token("expiring-token", "bob");
    // Valid for long after the run: nothing calls for a refresh.
    let plugin = ExecPlugin::expiring(w.dir.path(), "expiring-token", "2999-01-01T00:00:00Z");
    let kc = two_contexts_sharing(&w, &plugin);
    push_to_both(&w, &kc);
    assert_eq!(plugin.calls(), 2, "plugin runs");
    let users: Vec<_> = w.server.requests().iter().map(|r| r.user.clone()).collect();
    assert!(
        users.iter().all(|u| u.as_deref() == Some("bob")),
        "{users:?}"
    );
}

#[test]
fn an_exec_plugins_malformed_expiry_is_a_credential_failure() {
    let w = World::new();
    w.server.add_token("expiring-token", "bob");
    let plugin = ExecPlugin::expiring(w.dir.path(), "expiring-token", "next tuesday");
    let kc = Kubeconfig::new()
        .server_as("odd", &w.server, Auth::Exec(plugin.command.clone()))
        .context_ns("odd", "dev")
        .current("odd")
        .write(w.dir.path().join("odd-config"));
    let run = push_with(&w.keyring, &[&kc], &[REGISTRY]);
    let l = line(&run, "odd/dev/regcred: failed: ");
    assert!(l.contains("credentials") && l.contains("expiration"), "{l}");
    assert!(!run.stdout.contains("expiring-token"), "{run:#?}");
    assert_eq!(run.code, Some(1));
    assert!(w.server.writes().is_empty());
}

#[test]
fn a_ca_that_did_not_sign_the_server_certificate_fails_and_sends_nothing() {
    let w = World::new();
    let home = w.dir.path();
    let bad_ca = Kubeconfig::new()
        .cluster("badca", &w.server.url(), Ca::Data(unrelated_ca_pem()))
        .user(
            "badca",
            Auth::Token(support::apiserver::DEFAULT_TOKEN.into()),
        )
        .context("badca", "badca", "badca", Some("dev"))
        .current("badca")
        .write(home.join("bad-ca"));
    let run = push_with(&w.keyring, &[&bad_ca], &[REGISTRY]);
    let l = line(&run, "badca/dev/regcred: failed: ");
    assert!(l.contains(&w.server.url()), "names the server: {l}");
    assert!(
        l.contains("answered, but its certificate was refused")
            && l.contains("it is not signed by a CA this context trusts")
            && l.contains("checked against the cluster's certificate-authority-data"),
        "says why in words, and where the CA came from: {l}"
    );
    assert!(
        !l.contains("cannot reach") && !l.contains("UnknownIssuer"),
        "{l}"
    );
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        w.server.requests().is_empty(),
        "nothing is sent to an unverified server"
    );
}

/// kubectl (Go's TLS) accepts a server presenting its CA certificate as its own; rustls never
/// does. Said in words, never as rustls's error dump.
#[test]
fn a_server_presenting_its_ca_certificate_is_refused_in_words() {
    let w = World::with(ApiServer::start_tls_ca_as_server());
    let run = w.push(&[REGISTRY]);
    let l = line(&run, "fake/dev/regcred: failed: ");
    assert!(
        l.contains("its certificate was refused")
            && l.contains("presents a CA certificate as its own"),
        "{l}\n{}",
        run.stderr
    );
    assert!(
        !l.contains("CaUsedAsEndEntity") && !l.contains("cannot reach"),
        "{l}"
    );
    assert!(w.server.requests().is_empty());
}

#[test]
fn a_wrong_bearer_token_fails_with_401() {
    let w = World::new();
    let home = w.dir.path();
    let wrong_token = Kubeconfig::new()
        .server_as("wrong", &w.server, Auth::Token("not-the-token".into()))
        .context_ns("wrong", "dev")
        .current("wrong")
        .write(home.join("wrong"));
    let run = push_with(&w.keyring, &[&wrong_token], &[REGISTRY]);
    let l = line(&run, "wrong/dev/regcred: failed: ");
    assert!(l.contains("401") && l.contains("credentials"), "{l}");
    assert_eq!(run.code, Some(1));
    assert!(
        w.server
            .requests()
            .iter()
            .all(|r| r.status == Some(401) && r.user.is_none())
    );
    assert!(
        w.server
            .requests()
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer not-the-token"))
    );
}

/// The CA as a file, the server under its DNS name: accepted.
#[test]
fn a_ca_file_and_the_server_under_its_dns_name_are_accepted() {
    let w = World::new();
    let home = w.dir.path();
    let ca_file = home.join("ca.crt");
    std::fs::write(&ca_file, w.server.ca_pem()).unwrap();
    let by_name = Kubeconfig::new()
        .cluster("byname", &w.server.url_localhost(), Ca::File(ca_file))
        .user(
            "byname",
            Auth::Token(support::apiserver::DEFAULT_TOKEN.into()),
        )
        .context("byname", "byname", "byname", Some("dev"))
        .current("byname")
        .write(home.join("by-name"));
    assert_lines(
        &push_with(&w.keyring, &[&by_name], &[REGISTRY]),
        &["byname/dev/regcred: created"],
    );
}

#[test]
fn insecure_skip_tls_verify_is_used_with_insecure_and_warned_about() {
    let w = world_with_regcred();
    let home = w.dir.path();
    let insecure = Kubeconfig::new()
        .cluster("insecure", &w.server.url(), Ca::Insecure)
        .user(
            "insecure",
            Auth::Token(support::apiserver::DEFAULT_TOKEN.into()),
        )
        .context("insecure", "insecure", "insecure", Some("dev"))
        .current("insecure")
        .write(home.join("insecure"));
    let run = push_with(&w.keyring, &[&insecure], &[REGISTRY, "--insecure"]);
    assert_lines(&run, &["insecure/dev/regcred: unchanged"]);
    assert!(run.stderr.contains("insecure-skip-tls-verify"), "{run:#?}");
}

/// A CA path relative to the kubeconfig's directory: kubectl resolves it there, whatever the
/// working directory.
#[test]
fn a_relative_ca_path_is_resolved_from_the_kubeconfig_directory() {
    let w = world_with_regcred();
    let home = w.dir.path();
    std::fs::create_dir_all(home.join("rel")).unwrap();
    std::fs::write(home.join("rel/ca.crt"), w.server.ca_pem()).unwrap();
    let relative = Kubeconfig::new()
        .cluster("relative", &w.server.url(), Ca::File("ca.crt".into()))
        .user(
            "relative",
            Auth::Token(support::apiserver::DEFAULT_TOKEN.into()),
        )
        .context("relative", "relative", "relative", Some("dev"))
        .current("relative")
        .write(home.join("rel/config"));
    assert_lines(
        &push_with(&w.keyring, &[&relative], &[REGISTRY]),
        &["relative/dev/regcred: unchanged"],
    );
}

/// A token file instead of an inline token (no final newline: see
/// token_file_with_a_final_newline_works_as_with_kubectl).
#[test]
fn a_token_file_authenticates_as_its_user() {
    let w = world_with_regcred();
    let home = w.dir.path();
    w.server.add_token("file-token", "carol");
    let token_file = home.join("token");
    std::fs::write(&token_file, "file-token").unwrap();
    let by_file = Kubeconfig::new()
        .server_as("tokenfile", &w.server, Auth::TokenFile(token_file))
        .context_ns("tokenfile", "dev")
        .current("tokenfile")
        .write(home.join("token-file"));
    w.server.clear_requests();
    assert_lines(
        &push_with(&w.keyring, &[&by_file], &[REGISTRY]),
        &["tokenfile/dev/regcred: unchanged"],
    );
    assert!(
        w.server
            .requests()
            .iter()
            .all(|r| r.user.as_deref() == Some("carol"))
    );
}

/// Nobody listening: the line names the context and the server.
#[test]
fn a_server_nobody_listens_on_fails_naming_context_and_address() {
    let w = World::new();
    let home = w.dir.path();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let nobody = Kubeconfig::new()
        .cluster("down", &format!("http://{closed}"), Ca::None)
        .user("down", Auth::Token("t".into()))
        .context("down", "down", "down", Some("dev"))
        .current("down")
        .write(home.join("down"));
    let run = push_with(&w.keyring, &[&nobody], &[REGISTRY]);
    let l = line(&run, "down/dev/regcred: failed: ");
    assert!(
        l.contains(&closed.to_string()) && l.contains("\"down\""),
        "{l}"
    );
    assert_eq!(run.code, Some(1));
}

/// kubectl (client-go) trims the token file it reads, so `echo TOKEN > file` works there (see
/// tests/it/apiserver_fake.rs); kube 5 alone would send the newline, so push trims it itself.
#[test]
fn token_file_with_a_final_newline_works_as_with_kubectl() {
    let w = World::new();
    w.server.add_token("file-token", "carol");
    let token_file = w.dir.path().join("token");
    std::fs::write(&token_file, "file-token\n").unwrap();
    let kc = Kubeconfig::new()
        .server_as("tokenfile", &w.server, Auth::TokenFile(token_file))
        .context_ns("tokenfile", "dev")
        .current("tokenfile")
        .write(w.dir.path().join("token-file"));
    assert_lines(
        &push_with(&w.keyring, &[&kc], &[REGISTRY]),
        &["tokenfile/dev/regcred: created"],
    );
}

#[test]
fn missing_namespace_and_create_namespace() {
    let w = World::new();
    let run = w.push(&[REGISTRY, "-n", "nowhere", "-n", "dev"]);
    let l = line(&run, "fake/nowhere/regcred: failed: ");
    assert!(
        l.contains("nowhere") && l.contains("--create-namespace"),
        "{l}"
    );
    assert_eq!(line(&run, "fake/dev/"), "fake/dev/regcred: created");
    assert_eq!(run.code, Some(1));
    assert_eq!(w.server.namespace("nowhere"), None);

    let run = w.push(&[REGISTRY, "-n", "nowhere", "--create-namespace"]);
    assert_lines(&run, &["fake/nowhere/regcred: created"]);
    assert!(w.server.namespace("nowhere").is_some());
    assert!(w.server.secret("nowhere", "regcred").is_some());
    let created_ns = w
        .server
        .writes()
        .into_iter()
        .find(|r| r.path == "/api/v1/namespaces")
        .expect("a namespace create");
    assert_eq!(created_ns.method, "POST");
    assert_eq!(created_ns.param("fieldManager"), Some(FIELD_MANAGER));
}

#[test]
fn terminating_namespace() {
    let w = World::new();
    w.server.create_namespace("leaving");
    w.server.terminate_namespace("leaving");
    let run = w.push(&[REGISTRY, "-n", "leaving"]);
    let l = line(&run, "fake/leaving/regcred: failed: ");
    assert!(l.contains("leaving") && l.contains("terminating"), "{l}");
    assert_eq!(run.code, Some(1));
    assert_eq!(w.server.secret("leaving", "regcred"), None);
}

#[test]
fn rbac_denial_names_user_verb_resource_and_namespace() {
    let w = World::new();
    w.server.create_namespace("locked");
    w.server
        .deny(DEFAULT_USER, "patch", "secrets", Some("locked"));
    let run = w.push(&[REGISTRY, "-n", "locked", "-n", "dev"]);
    let l = line(&run, "fake/locked/regcred: failed: ");
    assert!(
        l.contains(
            "secrets \"regcred\" is forbidden: User \"alice\" cannot patch resource \"secrets\" in API group \"\" in the namespace \"locked\""
        ),
        "the server's message is kept: {l}"
    );
    assert!(l.contains("RBAC"), "{l}");
    assert_eq!(line(&run, "fake/dev/"), "fake/dev/regcred: created");
    assert_eq!(run.code, Some(1));

    // The secret is made, the service account may not be changed: that line fails, saying
    // which permission is missing.
    w.server
        .deny(DEFAULT_USER, "update", "serviceaccounts", Some("dev"));
    let run = w.push(&[REGISTRY, "--service-account", "default"]);
    assert_eq!(
        line(&run, "fake/dev/regcred: "),
        "fake/dev/regcred: unchanged"
    );
    let l = line(&run, "fake/dev/serviceaccount/default: failed: ");
    assert!(
        l.contains("cannot update resource \"serviceaccounts\"") && l.contains("RBAC"),
        "{l}"
    );
    assert_eq!(run.code, Some(1));
    assert!(w.server.image_pull_secrets("dev", "default").is_empty());

    // Creating through apply also needs `create`.
    w.server.create_namespace("nocreate");
    w.server
        .deny(DEFAULT_USER, "create", "secrets", Some("nocreate"));
    let run = w.push(&[REGISTRY, "-n", "nocreate"]);
    let l = line(&run, "fake/nocreate/regcred: failed: ");
    // The server's message names no verb here (as kube-apiserver's): push's hint does.
    assert!(
        l.contains("secrets \"regcred\" is forbidden")
            && l.contains("needs RBAC get, create and patch on secrets"),
        "{l}"
    );
    assert!(w.server.secret("nocreate", "regcred").is_none());
}

#[test]
fn another_type_or_immutable_needs_replace() {
    let w = World::new();
    w.server.seed(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "regcred", "namespace": "dev"},
        "type": "Opaque", "data": {"token": "eA=="}
    }));
    let run = w.push(&[REGISTRY]);
    let l = line(&run, "fake/dev/regcred: failed: ");
    assert!(
        l.contains("Opaque") && l.contains("--adopt --replace"),
        "{l}"
    );
    assert_eq!(run.code, Some(1));
    assert_eq!(w.server.secret("dev", "regcred").unwrap()["type"], "Opaque");

    let old_uid = w.server.secret("dev", "regcred").unwrap()["metadata"]["uid"].clone();
    w.server.clear_requests();
    let run = w.push(&[REGISTRY, "--adopt", "--replace"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(
        line(&run, "fake/dev/regcred: "),
        "fake/dev/regcred: adopted (deleted and recreated)",
        "{run:#?}"
    );
    let replaced = w.server.secret("dev", "regcred").unwrap();
    assert_eq!(replaced["type"], "kubernetes.io/dockerconfigjson");
    assert_ne!(replaced["metadata"]["uid"], old_uid);
    let delete = w
        .server
        .writes()
        .into_iter()
        .find(|r| r.method == "DELETE")
        .expect("a DELETE");
    let options = delete.json().unwrap();
    assert_eq!(
        options["preconditions"]["uid"], old_uid,
        "deletes exactly what it looked at"
    );

    // Immutable with other data (made by push, then frozen by someone).
    w.server.create_namespace("frozen");
    w.server.seed(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "regcred", "namespace": "frozen", "labels": {MANAGED_BY: FIELD_MANAGER}},
        "type": "kubernetes.io/dockerconfigjson", "immutable": true,
        "data": {".dockerconfigjson": "e30="}
    }));
    let run = w.push(&[REGISTRY, "-n", "frozen"]);
    let l = line(&run, "fake/frozen/regcred: failed: ");
    assert!(l.contains("immutable") && l.contains("--replace"), "{l}");
    let run = w.push(&[REGISTRY, "-n", "frozen", "--replace"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(
        w.config("frozen", "regcred")["auths"][REGISTRY]["username"],
        "alice"
    );
}

/// --replace deletes, then creates: a Secret with finalizers is still there, terminating, when
/// DELETE answers. push creates the new one only once the old one is gone.
#[test]
fn replace_waits_until_a_secret_with_finalizers_is_gone() {
    let w = World::new();
    w.server.seed(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "regcred", "namespace": "dev", "finalizers": ["example.com/cleanup"]},
        "type": "Opaque", "data": {"token": "eA=="}
    }));
    let run = w.push(&[REGISTRY, "--adopt", "--replace"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(
        line(&run, "fake/dev/regcred: "),
        "fake/dev/regcred: adopted (deleted and recreated)",
        "{run:#?}"
    );
    let made = w.server.secret("dev", "regcred").unwrap();
    assert_eq!(made["type"], "kubernetes.io/dockerconfigjson");
    assert!(made["metadata"]["deletionTimestamp"].is_null(), "{made:#}");
    assert_eq!(
        w.config("dev", "regcred")["auths"][REGISTRY]["username"],
        "alice"
    );
}

#[test]
fn a_secret_push_may_not_read_is_not_written() {
    // Without RBAC get, push cannot tell whether the secret is its own: it writes nothing
    // (a blind apply would take over whatever secret has that name).
    let w = World::new();
    let seeded = w.server.seed(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "regcred", "namespace": "dev"},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": B64.encode(r#"{"auths":{"other.io":{"auth":"eDp5"}}}"#)}
    }));
    w.server.deny(DEFAULT_USER, "get", "secrets", None);
    let run = w.push(&[REGISTRY]);
    let l = line(&run, "fake/dev/regcred: failed: ");
    assert!(
        l.contains("cannot get resource \"secrets\"") && l.contains("RBAC get"),
        "{l}"
    );
    assert_eq!(run.code, Some(1));
    assert!(patches(&w.server.requests()).is_empty(), "{run:#?}");
    assert_eq!(w.server.secret("dev", "regcred").unwrap(), seeded);
}

#[test]
fn field_ownership_is_taken_with_force_and_others_fields_stay() {
    let w = World::new();
    // Someone made the secret with kubectl create and labelled it.
    w.server.seed_as(
        json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "regcred", "namespace": "dev", "labels": {"team": "payments"}},
            "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": B64.encode(r#"{"auths":{}}"#)}
        }),
        "kubectl-create",
    );
    let run = w.push(&[REGISTRY, "--adopt"]);
    assert_lines(&run, &["fake/dev/regcred: adopted"]);
    let s = w.server.secret("dev", "regcred").unwrap();
    assert_eq!(s["metadata"]["labels"]["team"], "payments");
    assert_eq!(s["metadata"]["labels"][MANAGED_BY], FIELD_MANAGER);
    let theirs = owner(&s, "kubectl-create").unwrap();
    assert!(
        theirs["fieldsV1"]["f:data"].is_null(),
        "the data moved to push: {s:#}"
    );
    assert_eq!(
        theirs["fieldsV1"]["f:metadata"]["f:labels"],
        json!({"f:team": {}})
    );
    assert_eq!(
        owner(&s, FIELD_MANAGER).unwrap()["fieldsV1"]["f:data"],
        json!({"f:.dockerconfigjson": {}})
    );
    // Without force the fake would have refused: the apply must carry force=true.
    assert!(
        patches(&w.server.requests())
            .iter()
            .all(|p| p.param("force") == Some("true"))
    );
}

/// A [`World`] with service account `dev/builder`, made by helm, pulling with `theirs`.
fn world_with_builder_account() -> World {
    let w = World::new();
    w.server.seed_apply(
        json!({
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "builder", "namespace": "dev"},
            "imagePullSecrets": [{"name": "theirs"}]
        }),
        "helm",
    );
    w
}

#[test]
fn service_account_image_pull_secrets_are_appended_with_a_put_of_the_read_version() {
    let w = world_with_builder_account();
    let run = w.push(&[REGISTRY, "--service-account", "builder"]);
    assert_eq!(
        lines(&run),
        [
            "fake/dev/regcred: created",
            "fake/dev/serviceaccount/builder: updated"
        ],
        "{run:#?}"
    );
    assert_eq!(run.code, Some(0));
    assert!(
        // Prefixed like push's other notes (messages.rs): stderr is shared in pipelines.
        run.stderr
            .contains("docker-credential-keyring: push: note: only pods created from now on"),
        "{run:#?}"
    );
    assert_eq!(
        w.server.image_pull_secrets("dev", "builder"),
        ["theirs", "regcred"]
    );
    let put = w
        .server
        .writes()
        .into_iter()
        .find(|r| r.method == "PUT")
        .expect("a PUT of the account");
    assert_eq!(put.path, "/api/v1/namespaces/dev/serviceaccounts/builder");
    let sent = put.json().unwrap();
    assert!(
        sent["metadata"]["resourceVersion"].is_string(),
        "the PUT carries the resourceVersion it read: {sent:#}"
    );
}

/// Again: nothing to add, no PUT.
#[test]
fn service_account_already_listing_the_secret_is_unchanged_and_not_written() {
    let w = world_with_builder_account();
    let run = w.push(&[REGISTRY, "--service-account", "builder"]);
    assert_eq!(
        lines(&run),
        [
            "fake/dev/regcred: created",
            "fake/dev/serviceaccount/builder: updated"
        ],
        "{run:#?}"
    );
    w.server.clear_requests();
    let run = w.push(&[REGISTRY, "--service-account", "builder"]);
    assert_eq!(
        lines(&run),
        [
            "fake/dev/regcred: unchanged",
            "fake/dev/serviceaccount/builder: unchanged"
        ]
    );
    assert!(w.server.writes().iter().all(|r| r.method != "PUT"));
    assert_eq!(
        w.server.image_pull_secrets("dev", "builder"),
        ["theirs", "regcred"]
    );
}

/// Two other writers get in between GET and PUT: push reads again and keeps their entries.
#[test]
fn service_account_written_concurrently_is_read_again_and_their_entries_kept() {
    let w = World::new();
    w.server.create_namespace("busy");
    w.server
        .concurrent_writer("serviceaccounts", "busy", "default", 2, |sa| {
            let list = sa["imagePullSecrets"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut list = list;
            list.push(json!({"name": format!("other-{}", list.len())}));
            sa["imagePullSecrets"] = Value::Array(list);
        });
    let run = w.push(&[REGISTRY, "-n", "busy", "--service-account", "default"]);
    assert_eq!(
        line(&run, "fake/busy/serviceaccount/default: "),
        "fake/busy/serviceaccount/default: updated",
        "{run:#?}"
    );
    assert_eq!(
        w.server.image_pull_secrets("busy", "default"),
        ["other-0", "other-1", "regcred"]
    );
    let puts: Vec<Option<u16>> = w
        .server
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.contains("/busy/"))
        .map(|r| r.status)
        .collect();
    assert_eq!(puts, [Some(409), Some(409), Some(200)]);
    // The list is atomic: whoever wrote it last owns all of it (as on a real server).
    let sa = w.server.service_account("busy", "default").unwrap();
    assert_eq!(
        owner(&sa, FIELD_MANAGER).unwrap()["fieldsV1"],
        json!({"f:imagePullSecrets": {}})
    );
    assert!(owner(&sa, CONCURRENT_MANAGER).is_none());
}

/// A writer that never stops: push gives up with a clear line and a failure status.
#[test]
fn service_account_that_keeps_changing_fails_with_409_after_retries() {
    let w = World::new();
    w.server.create_namespace("storm");
    w.server
        .concurrent_writer("serviceaccounts", "storm", "default", 100, |sa| {
            sa["metadata"]["labels"] = json!({"touched": "again"});
        });
    let run = w.push(&[REGISTRY, "-n", "storm", "--service-account", "default"]);
    let l = line(&run, "fake/storm/serviceaccount/default: failed: ");
    assert!(l.contains("409") && l.contains("try again"), "{l}");
    assert_eq!(run.code, Some(1));
    assert!(w.server.image_pull_secrets("storm", "default").is_empty());
}

#[test]
fn service_account_that_does_not_exist_fails_naming_it() {
    let w = World::new();
    let run = w.push(&[REGISTRY, "--service-account", "ghost"]);
    let l = line(&run, "fake/dev/serviceaccount/ghost: failed: ");
    assert!(l.contains("ghost") && l.contains("does not exist"), "{l}");
    assert_eq!(run.code, Some(1));
}

#[test]
fn request_timeout_takes_kubectls_durations_and_0_waits_as_long_as_it_takes() {
    let w = World::new();
    w.server.create_namespace("slow");
    let path = "/api/v1/namespaces/slow/secrets/regcred";
    w.server
        .inject(Fault::new(FaultKind::Slow(Duration::from_secs(3)), path).times(1));
    let run = w.push(&[REGISTRY, "-n", "slow", "--request-timeout", "1s"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        line(&run, "fake/slow/regcred: failed: ").contains("within 1s"),
        "{run:#?}"
    );
    w.server
        .inject(Fault::new(FaultKind::Slow(Duration::from_secs(3)), path).times(1));
    let run = w.push(&[REGISTRY, "-n", "slow", "--request-timeout", "0"]);
    assert_eq!(
        line(&run, "fake/slow/"),
        "fake/slow/regcred: created",
        "{run:#?}"
    );
    let run = w.push(&[REGISTRY, "-n", "slow", "--request-timeout", "5x"]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(run.stderr.contains("not a duration"), "{run:#?}");
}

#[test]
fn faults_end_in_clear_failed_lines_and_other_targets_still_done() {
    let w = World::new();
    for ns in ["internal", "slow", "proxy", "dropped", "fine"] {
        w.server.create_namespace(ns);
    }
    let path = |ns: &str| format!("/api/v1/namespaces/{ns}/secrets/regcred");
    w.server
        .inject(Fault::new(FaultKind::InternalError, &path("internal")).method("PATCH"));
    w.server.inject(Fault::new(
        FaultKind::Slow(Duration::from_secs(6)),
        &path("slow"),
    ));
    w.server
        .inject(Fault::new(FaultKind::PlainText404, &path("proxy")));
    w.server
        .inject(Fault::new(FaultKind::DropConnection, &path("dropped")).method("PATCH"));
    let run = w.push(&[
        REGISTRY,
        "--request-timeout",
        "2",
        "-n",
        "internal",
        "-n",
        "slow",
        "-n",
        "proxy",
        "-n",
        "dropped",
        "-n",
        "fine",
    ]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(lines(&run).len(), 5, "{run:#?}");
    assert_eq!(line(&run, "fake/fine/"), "fake/fine/regcred: created");

    let internal = line(&run, "fake/internal/regcred: failed: ");
    assert!(
        internal.contains("500") && internal.contains("Internal error occurred: injected fault"),
        "{internal}"
    );
    let slow = line(&run, "fake/slow/regcred: failed: ");
    assert!(
        slow.contains("no answer") && slow.contains("2s") && slow.contains(&w.server.url()),
        "{slow}"
    );
    let proxy = line(&run, "fake/proxy/regcred: failed: ");
    assert!(
        proxy.contains("404") && proxy.contains("without a Kubernetes status"),
        "{proxy}"
    );
    let dropped = line(&run, "fake/dropped/regcred: failed: ");
    assert!(
        dropped.contains(&w.server.url()) && dropped.contains("\"fake\""),
        "{dropped}"
    );
    for l in lines(&run) {
        assert!(!l.contains('\n') && l.len() < 600, "one readable line: {l}");
    }
    assert_no_canary_in_requests(&w.server.requests());
}

#[test]
fn a_proxy_quoting_the_request_never_makes_push_print_the_secret() {
    let w = World::new();
    w.server.inject(
        Fault::new(
            FaultKind::EchoBody,
            "/api/v1/namespaces/dev/secrets/regcred",
        )
        .method("PATCH"),
    );
    let run = w.push(&[REGISTRY]);
    // push_with already asserted that no form of the canary is in stdout or stderr; the
    // whole .dockerconfigjson in base64 must not be there either.
    let data = w
        .server
        .requests()
        .iter()
        .find(|r| r.method == "PATCH")
        .and_then(|r| r.json())
        .unwrap()["data"][".dockerconfigjson"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !run.stdout.contains(&data[..40]) && !run.stderr.contains(&data[..40]),
        "{run:#?}"
    );
    let l = line(&run, "fake/dev/regcred: failed: ");
    assert!(l.contains("502"), "{l}");
}

#[test]
fn server_dry_run_persists_nothing() {
    let w = World::new();
    let before = w.server.revision();
    let run = w.push(&[REGISTRY, "--dry-run=server", "--service-account", "default"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        line(&run, "fake/dev/regcred: ").contains("created"),
        "{run:#?}"
    );
    assert_eq!(w.server.secret("dev", "regcred"), None);
    assert_eq!(w.server.revision(), before);
    assert!(w.server.image_pull_secrets("dev", "default").is_empty());
    let writes = w.server.writes();
    assert!(!writes.is_empty());
    assert!(
        writes.iter().all(|r| r.param("dryRun") == Some("All")),
        "{writes:#?}"
    );
}

#[test]
fn client_dry_run_contacts_no_server() {
    let w = World::new();
    let run = push_raw(
        &w.keyring,
        &[&w.kubeconfig],
        &[REGISTRY, "--dry-run", "-o", "json"],
    );
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(w.server.requests().is_empty());
    let manifest: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(manifest["metadata"]["namespace"], "dev");
    // What it prints is what kubectl can apply, here against the fake.
    support::kubeconfig::require_kubectl();
    let out = std::process::Command::new("kubectl")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", w.dir.path())
        .env("KUBECONFIG", &w.kubeconfig)
        .args([
            "apply",
            "--server-side",
            "--field-manager",
            FIELD_MANAGER,
            "-f",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(run.stdout.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        w.config("dev", "regcred")["auths"][REGISTRY]["password"],
        CANARY
    );
    // And push then finds nothing to change.
    assert_lines(&w.push(&[REGISTRY]), &["fake/dev/regcred: unchanged"]);
}

#[test]
fn removal_deletes_only_what_push_made() {
    let w = World::new();
    w.server.seed_apply(
        json!({
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": "dev"},
            "imagePullSecrets": [{"name": "theirs"}]
        }),
        "helm",
    );
    assert_eq!(
        w.push(&[REGISTRY, "--service-account", "default"]).code,
        Some(0)
    );
    assert_eq!(
        w.server.image_pull_secrets("dev", "default"),
        ["theirs", "regcred"]
    );

    let run = w.push(&["--delete", "--service-account", "default"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        line(&run, "fake/dev/regcred: ").contains("deleted"),
        "{run:#?}"
    );
    assert!(
        line(&run, "fake/dev/serviceaccount/default: ").contains("updated"),
        "{run:#?}"
    );
    assert_eq!(w.server.secret("dev", "regcred"), None);
    assert_eq!(w.server.image_pull_secrets("dev", "default"), ["theirs"]);

    // A secret of the same name that push did not make is left alone, and so is the account.
    let seeded = w.server.seed(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "regcred", "namespace": "dev"},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": "e30="}
    }));
    let account = w.server.service_account("dev", "default");
    w.server.clear_requests();
    let run = w.push(&["--delete", "--service-account", "default"]);
    let l = line(&run, "fake/dev/regcred: failed: ");
    assert!(l.contains("left alone"), "{l}");
    assert_eq!(run.code, Some(1));
    // Not deleted, nor changed another way (PUT, PATCH), nor even tried: this run sent no
    // write to the secret, and both objects are as they were.
    let secret_writes: Vec<_> = w
        .server
        .writes()
        .into_iter()
        .filter(|r| r.path == "/api/v1/namespaces/dev/secrets/regcred")
        .map(|r| format!("{} {:?}", r.method, r.status))
        .collect();
    assert!(secret_writes.is_empty(), "{secret_writes:?}");
    assert_eq!(w.server.secret("dev", "regcred"), Some(seeded));
    assert_eq!(w.server.service_account("dev", "default"), account);
    assert_eq!(w.server.image_pull_secrets("dev", "default"), ["theirs"]);
}

#[test]
fn an_unknown_registry_is_refused_before_anything_is_sent() {
    let w = World::new();
    let run = w.push(&["unknown.example.org"]);
    assert_ne!(run.code, Some(0));
    assert!(
        run.fails_on_stderr().contains("unknown.example.org"),
        "{run:#?}"
    );
    assert!(w.server.requests().is_empty());
}

/// A `regcred` as someone makes it by hand (kubectl create), holding two registries.
fn hand_made_object(ns: &str) -> Value {
    let config = json!({"auths": {
        "other.io": {"username": "bob", "password": "their-Pw-1", "auth": B64.encode("bob:their-Pw-1")},
        REGISTRY: {"username": "old", "password": "their-Pw-2", "auth": B64.encode("old:their-Pw-2")},
    }});
    json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "regcred", "namespace": ns, "labels": {"team": "payments"}},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": B64.encode(config.to_string())}
    })
}

/// [`hand_made_object`] in the fake.
fn hand_made_regcred(server: &ApiServer, ns: &str) -> Value {
    server.seed_as(hand_made_object(ns), "kubectl-create")
}

#[test]
fn a_hand_made_regcred_survives_push_and_push_delete() {
    let w = World::new();
    w.server.create_namespace("fresh");
    let before = hand_made_regcred(&w.server, "dev");
    let run = w.push(&[REGISTRY, "-n", "dev", "-n", "fresh"]);
    assert_eq!(
        line(&run, "fake/dev/regcred: "),
        "fake/dev/regcred: failed: secret regcred exists and was not made by docker-credential-keyring: choose another --name, or --adopt to take it over (its other registries are kept)"
    );
    assert_eq!(
        line(&run, "fake/fresh/"),
        "fake/fresh/regcred: created",
        "other targets proceed"
    );
    assert_eq!(run.code, Some(1));
    assert_eq!(w.server.secret("dev", "regcred").unwrap(), before);
    assert!(
        w.server
            .writes()
            .iter()
            .all(|r| !r.path.starts_with("/api/v1/namespaces/dev/")),
        "nothing sent to change it: {:#?}",
        w.server.writes()
    );

    let run = w.push(&["--delete", "-n", "dev"]);
    let l = line(&run, "fake/dev/regcred: failed: ");
    assert!(l.contains("not made by"), "{l}");
    assert_eq!(run.code, Some(1));
    assert_eq!(w.server.secret("dev", "regcred").unwrap(), before);
}

#[test]
fn adopt_keeps_the_other_registries_and_adds_ours_and_the_label() {
    let w = World::new();
    let before = hand_made_regcred(&w.server, "dev");
    let theirs: Value = serde_json::from_slice(
        &w.server.secret_data("dev", "regcred").unwrap()[".dockerconfigjson"],
    )
    .unwrap();
    let run = w.push(&[REGISTRY, "--adopt"]);
    assert_lines(
        &run,
        &["fake/dev/regcred: adopted (kept its other registries: other.io)"],
    );
    let after = w.server.secret("dev", "regcred").unwrap();
    assert_eq!(after["metadata"]["uid"], before["metadata"]["uid"]);
    assert_eq!(after["metadata"]["labels"][MANAGED_BY], FIELD_MANAGER);
    assert_eq!(after["metadata"]["labels"]["team"], "payments");
    let config = w.config("dev", "regcred");
    assert_eq!(config["auths"]["other.io"], theirs["auths"]["other.io"]);
    assert_eq!(config["auths"][REGISTRY]["username"], "alice");
    assert_eq!(config["auths"][REGISTRY]["password"], CANARY);
    assert_eq!(config["auths"].as_object().unwrap().len(), 2);
    // One apply, carrying the resourceVersion read (a change made meanwhile is not lost).
    let requests = w.server.requests();
    let applies = patches(&requests);
    assert_eq!(applies.len(), 1, "{requests:#?}");
    assert_eq!(
        applies[0].json().unwrap()["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );
    // From now on it is push's, and push's annotation lists only the registry push wrote.
    assert_eq!(
        after["metadata"]["annotations"]["docker-credential-keyring/registries"],
        format!("[\"{REGISTRY}\"]")
    );
}

/// The `.dockerconfigjson` of a Secret as stored, as text.
fn config_text(w: &World, ns: &str, name: &str) -> String {
    String::from_utf8(w.server.secret_data(ns, name).unwrap()[".dockerconfigjson"].clone()).unwrap()
}

#[test]
fn a_plain_push_after_adopt_keeps_the_adopted_registries() {
    let w = World::new();
    hand_made_regcred(&w.server, "dev");
    let theirs = w.config("dev", "regcred")["auths"]["other.io"].clone();
    let run = w.push(&[REGISTRY, "--adopt"]);
    assert_lines(
        &run,
        &["fake/dev/regcred: adopted (kept its other registries: other.io)"],
    );
    let adopted = w.server.secret("dev", "regcred").unwrap();
    // Our entry as kubectl writes it, even next to someone else's.
    let ours = format!(
        r#""{REGISTRY}":{{"username":"alice","password":"{CANARY}","auth":"{}"}}"#,
        B64.encode(format!("alice:{CANARY}"))
    );
    assert!(config_text(&w, "dev", "regcred").contains(&ours));

    // No --adopt now: other.io is not push's, so it stays; nothing else changed either.
    let run = w.push(&[REGISTRY]);
    assert_lines(
        &run,
        &["fake/dev/regcred: unchanged (kept its other registries: other.io)"],
    );
    assert_eq!(w.config("dev", "regcred")["auths"]["other.io"], theirs);
    assert_eq!(w.server.secret("dev", "regcred").unwrap(), adopted);
}

#[test]
fn a_later_push_drops_only_the_registries_push_wrote() {
    let w = World::new();
    store(&w.keyring, "second.example.com", "carol", "second-Pw-55");
    hand_made_regcred(&w.server, "dev");
    let theirs = w.config("dev", "regcred")["auths"]["other.io"].clone();
    let run = w.push(&[REGISTRY, "second.example.com", "--adopt"]);
    assert_lines(
        &run,
        &["fake/dev/regcred: adopted (kept its other registries: other.io)"],
    );

    // second.example.com was push's: a push without it removes it; other.io stays.
    let run = w.push(&[REGISTRY]);
    assert_lines(
        &run,
        &[
            "fake/dev/regcred: updated (removed second.example.com, no longer pushed; kept its other registries: other.io)",
        ],
    );
    let config = w.config("dev", "regcred");
    let keys: Vec<&String> = config["auths"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["other.io", REGISTRY]);
    assert_eq!(config["auths"]["other.io"], theirs);
    let secret = w.server.secret("dev", "regcred").unwrap();
    assert_eq!(
        secret["metadata"]["annotations"]["docker-credential-keyring/registries"],
        format!("[\"{REGISTRY}\"]")
    );
}

#[test]
fn push_delete_leaves_the_adopted_registries_in_a_secret_without_our_label() {
    let w = World::new();
    let made = hand_made_regcred(&w.server, "dev");
    let theirs = w.config("dev", "regcred")["auths"]["other.io"].clone();
    w.server.seed_apply(
        json!({
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": "dev"},
            "imagePullSecrets": [{"name": "regcred"}]
        }),
        "helm",
    );
    assert_eq!(w.push(&[REGISTRY, "--adopt"]).code, Some(0));

    let run = w.push(&["--delete", "--service-account", "default"]);
    assert_lines(
        &run,
        &[
            "fake/dev/regcred: kept for its other registries (other.io): removed push's registries (registry.example.com) and its label; service accounts still refer to it",
        ],
    );
    let left = w.server.secret("dev", "regcred").expect("the secret stays");
    assert_eq!(left["metadata"]["uid"], made["metadata"]["uid"]);
    assert_eq!(left["metadata"]["labels"], json!({"team": "payments"}));
    assert!(
        left["metadata"]["annotations"]["docker-credential-keyring/registries"].is_null(),
        "{left:#}"
    );
    assert_eq!(
        w.config("dev", "regcred"),
        json!({"auths": {"other.io": theirs}})
    );
    // The reference serves other.io still.
    assert_eq!(w.server.image_pull_secrets("dev", "default"), ["regcred"]);
    // No longer push's: a plain push leaves it alone.
    let run = w.push(&[REGISTRY]);
    assert!(
        line(&run, "fake/dev/regcred: failed: ").contains("not made by"),
        "{run:#?}"
    );
}

#[test]
fn a_secret_made_while_push_creates_one_is_not_taken_over() {
    let w = World::new();
    // push reads "absent"; someone else creates regcred just before push's apply.
    let path = "/api/v1/namespaces/dev/secrets/regcred";
    w.server.inject(
        Fault::new(
            FaultKind::CreateFirst {
                object: hand_made_object("dev"),
                manager: "kubectl-create".into(),
            },
            path,
        )
        .method("PATCH")
        .times(1),
    );
    let run = w.push(&[REGISTRY]);
    assert_eq!(
        lines(&run),
        [
            "fake/dev/regcred: failed: secret regcred appeared while push was creating it (409 Conflict: someone else made it meanwhile): nothing was changed; push again to check whose it is"
        ],
        "{run:#?}"
    );
    assert_eq!(run.code, Some(1));
    let secret = w.server.secret("dev", "regcred").unwrap();
    assert_eq!(secret["metadata"]["labels"], json!({"team": "payments"}));
    assert!(owner(&secret, FIELD_MANAGER).is_none(), "{secret:#}");
    assert_eq!(
        w.config("dev", "regcred")["auths"][REGISTRY]["username"],
        "old"
    );
    // Pushing again finds it and refuses it as someone else's.
    let run = w.push(&[REGISTRY]);
    assert!(
        line(&run, "fake/dev/regcred: failed: ").contains("not made by"),
        "{run:#?}"
    );
}

#[test]
fn replace_does_not_touch_a_foreign_secret_of_another_type() {
    let w = World::new();
    let before = w.server.seed(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "regcred", "namespace": "dev"},
        "type": "Opaque", "data": {"token": "eA=="}
    }));
    let run = w.push(&[REGISTRY, "--replace"]);
    let l = line(&run, "fake/dev/regcred: failed: ");
    assert!(
        l.contains("not made by docker-credential-keyring") && l.contains("--adopt --replace"),
        "{l}"
    );
    assert_eq!(run.code, Some(1));
    assert_eq!(w.server.secret("dev", "regcred").unwrap(), before);
    assert!(w.server.writes().is_empty(), "{:#?}", w.server.writes());
}

#[test]
fn adopt_refuses_a_dockerconfigjson_it_cannot_merge_into() {
    let w = World::new();
    // Valid for the API server (a JSON object), but no registries push could keep.
    let before = w.server.seed(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "regcred", "namespace": "dev"},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": B64.encode(r#"{"auths":["other.io"]}"#)}
    }));
    let run = w.push(&[REGISTRY, "--adopt"]);
    let l = line(&run, "fake/dev/regcred: failed: ");
    assert!(
        l.contains(".dockerconfigjson") && l.contains("cannot keep its registries"),
        "{l}"
    );
    assert_eq!(run.code, Some(1));
    assert_eq!(w.server.secret("dev", "regcred").unwrap(), before);
    assert!(w.server.writes().is_empty());
}

/// A kubeconfig whose context `name` uses `cluster` (URL and CA) with the fake's token.
fn kubeconfig_for(w: &World, name: &str, url: &str, ca: Ca) -> PathBuf {
    Kubeconfig::new()
        .cluster(name, url, ca)
        .user(name, Auth::Token(support::apiserver::DEFAULT_TOKEN.into()))
        .context(name, name, name, Some("dev"))
        .current(name)
        .write(w.dir.path().join(name))
}

#[test]
fn plain_http_to_a_remote_cluster_is_refused_without_insecure() {
    let w = World::new();
    let kc = kubeconfig_for(&w, "remote", "http://registry.invalid:1", Ca::None);
    let run = push_with(&w.keyring, &[&kc], &[REGISTRY]);
    let l = line(&run, "remote/dev/regcred: failed: ");
    assert!(
        l.contains("http://registry.invalid:1") && l.contains("--insecure"),
        "{l}"
    );
    assert!(
        !l.contains("dns") && !l.contains("resolve"),
        "no connection tried: {l}"
    );
    assert_eq!(run.code, Some(1));
    assert!(!run.stderr.contains("warning"), "{run:#?}");
}

#[test]
fn an_insecure_cluster_is_refused_before_its_exec_plugin_runs() {
    let w = World::new();
    let plugin = ExecPlugin::new(w.dir.path(), "exec-issued-token");
    let kc = Kubeconfig::new()
        .cluster("remote", "http://registry.invalid:1", Ca::None)
        .user("remote", Auth::Exec(plugin.command.clone()))
        .context("remote", "remote", "remote", Some("dev"))
        .current("remote")
        .write(w.dir.path().join("remote-exec"));
    let run = push_with(&w.keyring, &[&kc], &[REGISTRY]);
    let l = line(&run, "remote/dev/regcred: failed: ");
    assert!(l.contains("--insecure"), "{l}");
    // No MFA prompt for a cluster we will not talk to.
    assert_eq!(plugin.calls(), 0, "plugin runs");
    assert_eq!(run.code, Some(1));
}

#[test]
fn plain_http_to_a_remote_cluster_with_insecure_warns_and_connects() {
    let w = World::new();
    let kc = kubeconfig_for(&w, "remote", "http://registry.invalid:1", Ca::None);
    let run = push_with(&w.keyring, &[&kc], &[REGISTRY, "--insecure"]);
    let l = line(&run, "remote/dev/regcred: failed: ");
    assert!(
        l.contains("cannot reach the API server") && !l.contains("--insecure"),
        "{l}"
    );
    assert_eq!(run.code, Some(1));
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("warning"))
        .collect();
    assert_eq!(warnings.len(), 1, "{run:#?}");
    assert!(
        warnings[0].contains("remote/dev/regcred") && warnings[0].contains("http://"),
        "{run:#?}"
    );
}

#[test]
fn skip_tls_verify_cluster_is_refused_without_insecure() {
    let w = World::new();
    let kc = kubeconfig_for(&w, "skipverify", &w.server.url(), Ca::Insecure);
    let run = push_with(&w.keyring, &[&kc], &[REGISTRY]);
    let l = line(&run, "skipverify/dev/regcred: failed: ");
    assert!(
        l.contains("insecure-skip-tls-verify") && l.contains("--insecure"),
        "{l}"
    );
    assert_eq!(run.code, Some(1));
    assert!(w.server.requests().is_empty(), "nothing sent");
}

#[test]
fn server_dry_run_to_a_skip_verify_cluster_is_refused_too() {
    // A server dry run sends the secret's body all the same.
    let w = World::new();
    let kc = kubeconfig_for(&w, "skipverify", &w.server.url(), Ca::Insecure);
    let run = push_with(&w.keyring, &[&kc], &[REGISTRY, "--dry-run=server"]);
    let l = line(&run, "skipverify/dev/regcred: failed: ");
    assert!(l.contains("--insecure"), "{l}");
    assert_eq!(run.code, Some(1));
    assert!(w.server.requests().is_empty(), "nothing sent");
}

#[test]
fn skip_tls_verify_cluster_with_insecure_works_and_warns_per_target() {
    let w = World::new();
    w.server.create_namespace("second");
    let kc = kubeconfig_for(&w, "skipverify", &w.server.url(), Ca::Insecure);
    let run = push_with(
        &w.keyring,
        &[&kc],
        &[REGISTRY, "--insecure", "-n", "dev", "-n", "second"],
    );
    assert_lines(
        &run,
        &[
            "skipverify/dev/regcred: created",
            "skipverify/second/regcred: created",
        ],
    );
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("warning"))
        .collect();
    assert_eq!(warnings.len(), 2, "{run:#?}");
    assert!(
        warnings
            .iter()
            .all(|l| l.contains("insecure-skip-tls-verify"))
    );
}

/// An exec plugin script in `w`'s directory.
fn plugin_script(w: &World, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = w.dir.path().join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

const PLUGIN_SECRET: &str = "plugin-stdout-Token-9c3e1a";

#[test]
fn a_failing_exec_plugins_stdout_is_never_printed() {
    let w = World::new();
    let plugin = plugin_script(
        &w,
        "leaky-plugin",
        &format!(
            "echo '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{PLUGIN_SECRET}\"}}}}'\necho 'token expired, log in again' >&2\nexit 3\n"
        ),
    );
    let kc = Kubeconfig::new()
        .server_as("leaky", &w.server, Auth::Exec(plugin.clone()))
        .context_ns("leaky", "dev")
        .current("leaky")
        .write(w.dir.path().join("leaky-config"));
    let run = push_with(&w.keyring, &[&kc], &[REGISTRY]);
    let l = line(&run, "leaky/dev/regcred: failed: ");
    assert!(
        l.contains(plugin.to_str().unwrap())
            && l.contains("exit status: 3")
            && l.contains("token expired, log in again"),
        "{l}"
    );
    assert!(
        !run.stdout.contains(PLUGIN_SECRET) && !run.stderr.contains(PLUGIN_SECRET),
        "{run:#?}"
    );
    assert_eq!(run.code, Some(1));
}

#[test]
fn an_exec_plugins_unparseable_stdout_is_never_printed() {
    let w = World::new();
    let plugin = plugin_script(
        &w,
        "garbled-plugin",
        &format!(
            "echo '{{\"apiVersion\": \"client.authentication.k8s.io/v1\", \"status\": {{\"token\": \"{PLUGIN_SECRET}\" ]]'\n"
        ),
    );
    let kc = Kubeconfig::new()
        .server_as("garbled", &w.server, Auth::Exec(plugin.clone()))
        .context_ns("garbled", "dev")
        .current("garbled")
        .write(w.dir.path().join("garbled-config"));
    let run = push_with(&w.keyring, &[&kc], &[REGISTRY]);
    let l = line(&run, "garbled/dev/regcred: failed: ");
    assert!(
        l.contains(plugin.to_str().unwrap()) && l.contains("not an ExecCredential"),
        "{l}"
    );
    assert!(
        !run.stdout.contains(PLUGIN_SECRET) && !run.stderr.contains(PLUGIN_SECRET),
        "{run:#?}"
    );
    assert_eq!(run.code, Some(1));
}

#[test]
fn a_secret_made_with_our_content_while_push_creates_one_is_not_taken_over() {
    let w = World::new();
    // The racing secret holds exactly the bytes push writes: nothing conflicts with our apply.
    let config = format!(
        r#"{{"auths":{{"{REGISTRY}":{{"username":"alice","password":"{CANARY}","auth":"{}"}}}}}}"#,
        B64.encode(format!("alice:{CANARY}"))
    );
    let racing = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "regcred", "namespace": "dev", "labels": {"team": "payments"}},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": B64.encode(&config)}
    });
    w.server.inject(
        Fault::new(
            FaultKind::CreateFirst {
                object: racing,
                manager: "kubectl-create".into(),
            },
            "/api/v1/namespaces/dev/secrets/regcred",
        )
        .method("PATCH")
        .times(1),
    );
    let run = w.push(&[REGISTRY]);
    assert_eq!(
        lines(&run),
        [
            "fake/dev/regcred: failed: secret regcred appeared while push was creating it (someone else made it meanwhile, with the same content): push's label was taken back off; push again to check whose it is"
        ],
        "{run:#?}"
    );
    assert_eq!(run.code, Some(1));
    let secret = w.server.secret("dev", "regcred").unwrap();
    assert_eq!(secret["metadata"]["labels"], json!({"team": "payments"}));
    assert!(secret["metadata"]["annotations"].is_null(), "{secret:#}");
    assert_eq!(config_text(&w, "dev", "regcred"), config);
    assert!(
        line(&w.push(&[REGISTRY]), "fake/dev/regcred: failed: ").contains("not made by"),
        "no longer taken for push's"
    );
}

/// Whether process `pid` is gone (or a zombie its new parent has yet to reap).
fn gone(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| s.contains(") Z "))
}

#[test]
fn a_hanging_or_flooding_exec_plugin_fails_only_its_context_within_the_deadline() {
    let w = World::new();
    let pids = w.dir.path().join("plugin-pids");
    let hung = plugin_script(
        &w,
        "hung-plugin",
        &format!(
            "echo $$ >> '{p}'\nsleep 1000 &\necho $! >> '{p}'\nexec sleep 1000\n",
            p = pids.display()
        ),
    );
    let flood = plugin_script(&w, "flood-plugin", &format!("exec yes '{PLUGIN_SECRET}'\n"));
    let kc = Kubeconfig::new()
        .server_as("hung", &w.server, Auth::Exec(hung))
        .context_ns("hung", "dev")
        .server_as("flood", &w.server, Auth::Exec(flood))
        .context_ns("flood", "dev")
        .server("fake", &w.server)
        .context_ns("fake", "dev")
        .current("fake")
        .write(w.dir.path().join("plugins-config"));
    let mut env = w.keyring.env();
    env.push((
        "DOCKER_CREDENTIAL_KEYRING_BACKEND".into(),
        w.keyring.backend().into(),
    ));
    env.push(kubeconfig_env(&[&kc]));
    env.push((
        "DOCKER_CREDENTIAL_KEYRING_HELPER_TIMEOUT".into(),
        "2".into(),
    ));
    let mut cmd = command(&env);
    cmd.args(["push", REGISTRY, "--context", "hung", "--context", "flood"])
        .args(["--context", "fake"]);
    let run = run_command(cmd, b"");
    let started: Vec<u32> = std::fs::read_to_string(&pids)
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    let cleanup = || {
        for pid in &started {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    };
    if run.code.is_none() {
        cleanup();
        panic!("push hung (killed after 60 s): {run:#?}");
    }
    assert_no_canary_in_output(&run);
    assert!(!run.stdout.contains(PLUGIN_SECRET) && !run.stderr.contains(PLUGIN_SECRET));
    assert!(
        line(&run, "hung/dev/regcred: failed: ")
            .contains("did not answer within 2 s and was stopped"),
        "{run:#?}"
    );
    assert!(
        line(&run, "flood/dev/regcred: failed: ").contains("printed more than 1 MiB"),
        "{run:#?}"
    );
    assert_eq!(
        line(&run, "fake/dev/regcred: "),
        "fake/dev/regcred: created"
    );
    assert_eq!(run.code, Some(1));
    assert_eq!(started.len(), 2, "the plugin and its child: {started:?}");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !started.iter().all(|p| gone(*p)) {
        if std::time::Instant::now() > deadline {
            cleanup();
            panic!("the plugin or its child survived the deadline: {started:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A Secret of push's, annotated by an older version (comma-separated), holding `auths`.
fn older_push_secret(w: &World, annotation: &str, auths: Value) {
    w.server.seed_apply(
        json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {
                "name": "regcred", "namespace": "dev",
                "labels": {MANAGED_BY: FIELD_MANAGER},
                "annotations": {"docker-credential-keyring/registries": annotation},
            },
            "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": B64.encode(json!({"auths": auths}).to_string())}
        }),
        FIELD_MANAGER,
    );
}

#[test]
fn an_older_comma_annotation_is_read_once_and_rewritten_as_json() {
    let w = World::new();
    let theirs = json!({"auth": B64.encode("bob:their-Pw-1")});
    older_push_secret(
        &w,
        &format!("{REGISTRY},gone.example.com"),
        json!({REGISTRY: {"auth": "eDp5"}, "gone.example.com": {"auth": "eDp5"}, "other.io": theirs}),
    );
    let run = w.push(&[REGISTRY]);
    assert_lines(
        &run,
        &[
            "fake/dev/regcred: updated (removed gone.example.com, no longer pushed; kept its other registries: other.io)",
        ],
    );
    let secret = w.server.secret("dev", "regcred").unwrap();
    assert_eq!(
        secret["metadata"]["annotations"]["docker-credential-keyring/registries"],
        format!("[\"{REGISTRY}\"]")
    );
    assert_eq!(w.config("dev", "regcred")["auths"]["other.io"], theirs);
}

#[test]
fn an_older_annotation_that_split_a_key_with_a_comma_removes_nobody_elses_registry() {
    let w = World::new();
    // An older push wrote the helper-listed key `a.example.com,b.example.com` as one key (and
    // in its annotation); b.example.com is someone else's.
    let theirs = json!({"auth": B64.encode("bob:their-Pw-1")});
    older_push_secret(
        &w,
        "a.example.com,b.example.com",
        json!({"a.example.com,b.example.com": {"auth": "eDp5"}, "b.example.com": theirs}),
    );
    let run = w.push(&[REGISTRY]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let config = w.config("dev", "regcred");
    assert_eq!(config["auths"]["b.example.com"], theirs, "{config}");
    assert_eq!(config["auths"][REGISTRY]["password"], CANARY);
    let secret = w.server.secret("dev", "regcred").unwrap();
    assert_eq!(
        secret["metadata"]["annotations"]["docker-credential-keyring/registries"],
        format!("[\"{REGISTRY}\"]")
    );
}

#[test]
fn all_skips_a_keychain_key_that_is_not_an_address_and_pushes_the_rest() {
    let w = World::new();
    store(
        &w.keyring,
        "x.example.com,other.io",
        "mallory",
        "mallory-Pw-1",
    );
    let run = push_raw(
        &w.keyring,
        &[&w.kubeconfig],
        &["--all", "--dry-run", "-o", "json", "-n", "dev"],
    );
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(
        run.stderr,
        "docker-credential-keyring: push: skipped \"x.example.com,other.io\" is not a registry address (it contains a comma): keep its credentials under [https://]host[:port][/path], e.g. `docker login registry.example.com`\n"
    );
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let data = B64
        .decode(v["data"][".dockerconfigjson"].as_str().unwrap())
        .unwrap();
    let config: Value = serde_json::from_slice(&data).unwrap();
    let keys: Vec<&String> = config["auths"].as_object().unwrap().keys().collect();
    assert_eq!(keys, [REGISTRY]);
    assert_eq!(
        v["metadata"]["annotations"]["docker-credential-keyring/registries"],
        format!("[\"{REGISTRY}\"]")
    );
}
