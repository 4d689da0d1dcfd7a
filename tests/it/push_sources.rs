//! `push --from SOURCE`: Docker's own Go helpers (docker-credential-secretservice on a private
//! gnome-keyring, docker-credential-pass on a throw-away store) and Docker's config.json as
//! sources, read by the built binary; the API-server fake shows what reached the cluster.
//! A missing, failing or hung source helper fails the run before any request, and no form of
//! a source secret ever appears in our output, a helper's argv or its environment.

#![cfg(target_os = "linux")]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use std::ffi::OsString;
use std::path::PathBuf;
use support::apiserver::ApiServer;
use support::kubeconfig::{Kubeconfig, kubeconfig_env};
use support::pass::PassStore;
use support::secret_service::{SecretServiceFixture, fixture};
use support::{Keyring, Run, command, run_command};

const CANARY_A: &str = "canary-A-5e0c1d9b77";
const CANARY_B: &str = "canary-B-91f3aa20c4";
const CANARY_C: &str = "canary-C-3d7e8b6a15";
const PASSPHRASE_CANARY: &str = "passphrase-canary-0b9d";

/// Every form a secret could leak in: raw, base64, base64 of `user:password`.
#[track_caller]
fn assert_no_secret_in(text: &str, context: &str) {
    for (user, pw) in [
        ("alice", CANARY_A),
        ("bob", CANARY_B),
        ("carol", CANARY_C),
        ("x", PASSPHRASE_CANARY),
    ] {
        for form in [
            pw.to_owned(),
            B64.encode(pw),
            B64.encode(format!("{user}:{pw}")),
        ] {
            assert!(!text.contains(&form), "{form:?} leaked: {context}");
        }
    }
}

#[track_caller]
fn assert_no_secret_in_output(run: &Run) {
    assert_no_secret_in(&run.stdout, &format!("{run:#?}"));
    assert_no_secret_in(&run.stderr, &format!("{run:#?}"));
}

/// The sources' keychains (a gnome-keyring and a pass store), a bin directory on PATH for test
/// helpers, Docker's config directory, and the API-server fake with namespace `dev`.
struct World {
    ss: SecretServiceFixture,
    pass: PassStore,
    dir: tempfile::TempDir,
    server: ApiServer,
    kubeconfig: PathBuf,
}

impl World {
    fn new() -> World {
        let ss = fixture();
        let pass = PassStore::new();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        std::fs::create_dir_all(dir.path().join("docker")).unwrap();
        let server = ApiServer::start_tls();
        server.create_namespace("dev");
        let kubeconfig = Kubeconfig::new()
            .server("fake", &server)
            .context_ns("fake", "dev")
            .current("fake")
            .write(dir.path().join("kube/config"));
        World {
            ss,
            pass,
            dir,
            server,
            kubeconfig,
        }
    }

    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    /// A helper script `docker-credential-NAME` in our bin directory.
    fn script(&self, name: &str, body: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.bin().join(format!("docker-credential-{name}"));
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn docker_config(&self, config: &Value) {
        std::fs::write(
            self.dir.path().join("docker/config.json"),
            serde_json::to_string_pretty(config).unwrap(),
        )
        .unwrap();
    }

    /// Our binary's environment: both keychains reachable (for the Go helpers it runs), our
    /// bin directory first on PATH, Docker's config here, the kubeconfig, and a passphrase
    /// that no child may inherit.
    fn env(&self) -> Vec<(OsString, OsString)> {
        let mut env = self.ss.env();
        env.push(("GNUPGHOME".into(), self.pass.gnupg.clone().into()));
        env.push(("PASSWORD_STORE_DIR".into(), self.pass.store.clone().into()));
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![self.bin()];
        dirs.extend(std::env::split_paths(&path));
        env.push(("PATH".into(), std::env::join_paths(dirs).unwrap()));
        env.push((
            "DOCKER_CONFIG".into(),
            self.dir.path().join("docker").into(),
        ));
        env.push(kubeconfig_env(&[&self.kubeconfig]));
        env.push((
            "DOCKER_CREDENTIAL_KEYRING_PASSPHRASE".into(),
            PASSPHRASE_CANARY.into(),
        ));
        env
    }

    /// `push ARGS`; no secret in its output.
    fn push(&self, args: &[&str]) -> Run {
        let run = self.push_raw(args, &[]);
        assert_no_secret_in_output(&run);
        run
    }

    /// `push ARGS` with extra variables, output unchecked (`-o` prints the Secret).
    fn push_raw(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut env = self.env();
        env.extend(extra.iter().map(|(k, v)| (k.into(), v.into())));
        let mut cmd = command(&env);
        cmd.arg("push").args(args);
        run_command(cmd, b"")
    }

    /// `push --dry-run -o json -n dev ARGS`: the auths of the Secret it would apply.
    #[track_caller]
    fn dry_auths(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--dry-run", "-o", "json", "-n", "dev"]);
        let run = self.push_raw(&all, &[]);
        assert_eq!(run.code, Some(0), "{run:#?}");
        assert_no_secret_in(&run.stderr, &format!("{run:#?}"));
        let manifest: Value = serde_json::from_str(&run.stdout).unwrap();
        let data = B64
            .decode(manifest["data"][".dockerconfigjson"].as_str().unwrap())
            .unwrap();
        serde_json::from_slice::<Value>(&data).unwrap()["auths"].clone()
    }

    fn go_pass_store(&self, server: &str, user: &str, secret: &str) {
        let payload = json!({"ServerURL": server, "Username": user, "Secret": secret});
        let run = self
            .pass
            .docker_credential_pass(&["store"], &payload.to_string());
        assert_eq!(run.code, Some(0), "docker-credential-pass store: {run:#?}");
    }

    #[track_caller]
    fn assert_nothing_sent(&self) {
        let requests: Vec<String> = self.server.requests().iter().map(|r| r.to_text()).collect();
        assert!(requests.is_empty(), "no request may be sent: {requests:#?}");
    }
}

fn entry(user: &str, pw: &str) -> Value {
    json!({"username": user, "password": pw, "auth": B64.encode(format!("{user}:{pw}"))})
}

#[test]
fn helper_secretservice_is_a_source_and_its_secret_reaches_only_the_secret() {
    let w = World::new();
    w.ss.go_store("a.example.com", "alice", CANARY_A);
    let run = w.push(&["--from", "helper:secretservice", "a.example.com"]);
    assert_eq!(run.stdout, "fake/dev/regcred: created\n", "{run:#?}");
    assert_eq!(run.code, Some(0), "{run:#?}");
    let data = w.server.secret_data("dev", "regcred").unwrap();
    let config: Value = serde_json::from_slice(&data[".dockerconfigjson"]).unwrap();
    assert_eq!(
        config["auths"],
        json!({"a.example.com": entry("alice", CANARY_A)})
    );
    // The source is only read.
    let listed = w.ss.go_helper(&["list"], "");
    assert_eq!(listed.stdout.trim(), r#"{"a.example.com":"alice"}"#);
}

#[test]
fn helper_pass_is_a_source_all_is_what_it_lists() {
    let w = World::new();
    w.go_pass_store("b.example.com", "bob", CANARY_B);
    w.go_pass_store("c.example.com:5000", "carol", CANARY_C);
    assert_eq!(
        w.dry_auths(&["--from", "helper:pass", "--all"]),
        json!({
            "b.example.com": entry("bob", CANARY_B),
            "c.example.com:5000": entry("carol", CANARY_C),
        })
    );
    assert_eq!(
        w.dry_auths(&["--from", "helper:pass", "c.example.com:5000"]),
        json!({"c.example.com:5000": entry("carol", CANARY_C)})
    );
    // A registry the helper does not hold: one line naming the helper.
    let run = w.push(&["--from", "helper:pass", "d.example.com"]);
    assert_eq!(
        run.fails_line(),
        "d.example.com: no credentials for this registry in docker-credential-pass: run `docker login d.example.com` first"
    );
    w.assert_nothing_sent();
}

#[test]
fn docker_resolves_cred_helpers_then_creds_store_then_auths() {
    let w = World::new();
    w.ss.go_store("a.example.com", "alice", CANARY_A);
    w.go_pass_store("a.example.com", "bob", CANARY_B); // shadowed by credHelpers
    w.go_pass_store("b.example.com", "bob", CANARY_B);
    w.docker_config(&json!({
        "auths": {"c.example.com": {"auth": B64.encode(format!("carol:{CANARY_C}"))}},
        "credHelpers": {"a.example.com": "secretservice"},
        "credsStore": "pass",
    }));
    assert_eq!(
        w.dry_auths(&[
            "--from",
            "docker",
            "a.example.com",
            "https://b.example.com/v2/"
        ]),
        json!({
            "a.example.com": entry("alice", CANARY_A),
            "b.example.com": entry("bob", CANARY_B),
        })
    );
    // With a credsStore docker never reads plaintext auths.
    let run = w.push(&["--from", "docker", "c.example.com"]);
    assert_eq!(
        run.fails_line(),
        "c.example.com: no credentials for this registry in docker's config.json and the helpers it names: run `docker login c.example.com` first"
    );
    // Everything docker knows: the store's list, overridden by credHelpers.
    assert_eq!(
        w.dry_auths(&["--from", "docker", "--all"]),
        json!({
            "a.example.com": entry("alice", CANARY_A),
            "b.example.com": entry("bob", CANARY_B),
        })
    );
    // Without a credsStore, the plaintext auths.
    w.docker_config(&json!({
        "auths": {"c.example.com": {"auth": B64.encode(format!("carol:{CANARY_C}"))}},
        "credHelpers": {"a.example.com": "secretservice"},
    }));
    assert_eq!(
        w.dry_auths(&["--from", "docker", "--all"]),
        json!({
            "a.example.com": entry("alice", CANARY_A),
            "c.example.com": entry("carol", CANARY_C),
        })
    );
    // And to the cluster.
    let run = w.push(&["--from", "docker", "c.example.com", "a.example.com"]);
    assert_eq!(run.stdout, "fake/dev/regcred: created\n", "{run:#?}");
    let data = w.server.secret_data("dev", "regcred").unwrap();
    let config: Value = serde_json::from_slice(&data[".dockerconfigjson"]).unwrap();
    assert_eq!(
        config["auths"],
        json!({
            "a.example.com": entry("alice", CANARY_A),
            "c.example.com": entry("carol", CANARY_C),
        })
    );
}

#[test]
fn a_missing_source_helper_fails_before_any_request() {
    let w = World::new();
    let run = w.push(&["--from", "helper:nonexistent", "a.example.com"]);
    assert_eq!(
        run.fails_line(),
        "docker-credential-nonexistent was not found on PATH: install it, or add the directory that holds it to PATH"
    );
    // Also when docker's config names it.
    w.docker_config(&json!({"credsStore": "nonexistent"}));
    let run = w.push(&["--from", "docker", "--all"]);
    assert!(
        run.fails_line()
            .starts_with("docker-credential-nonexistent was not found on PATH"),
        "{run:#?}"
    );
    w.assert_nothing_sent();
}

#[test]
fn a_failing_source_helper_fails_with_its_own_message_before_any_request() {
    let w = World::new();
    w.script("broken", "echo 'vault is sealed: run vault unseal'\nexit 1");
    let run = w.push(&["--from", "helper:broken", "a.example.com"]);
    assert_eq!(
        run.fails_line(),
        "docker-credential-broken get failed: vault is sealed: run vault unseal"
    );
    let run = w.push(&["--from", "helper:broken", "--all"]);
    assert_eq!(
        run.fails_line(),
        "docker-credential-broken list failed: vault is sealed: run vault unseal"
    );
    w.docker_config(&json!({"credHelpers": {"a.example.com": "broken"}}));
    let run = w.push(&["--from", "docker", "a.example.com"]);
    assert_eq!(
        run.fails_line(),
        "docker-credential-broken get failed: vault is sealed: run vault unseal"
    );
    // An answer that is not the protocol's JSON is refused without being quoted.
    w.script(
        "garbled",
        &format!("echo '{{\"Username\":\"alice\",\"Secret\":\"{CANARY_A}\"'"),
    );
    let run = w.push(&["--from", "helper:garbled", "a.example.com"]);
    assert!(
        run.fails_line()
            .starts_with("docker-credential-garbled get answered something that is not"),
        "{run:#?}"
    );
    w.assert_nothing_sent();
}

#[test]
fn a_hung_source_helper_is_stopped_at_the_deadline() {
    let w = World::new();
    w.script("hung", "exec sleep 300");
    let run = w.push_raw(
        &["--from", "helper:hung", "a.example.com"],
        &[("DOCKER_CREDENTIAL_KEYRING_HELPER_TIMEOUT", "1")],
    );
    assert_eq!(
        run.fails_line(),
        "docker-credential-hung get did not answer within 1 s and was stopped; check that it works on its own (it may be waiting for a prompt), or raise DOCKER_CREDENTIAL_KEYRING_HELPER_TIMEOUT"
    );
    w.assert_nothing_sent();
}

#[test]
fn no_secret_in_a_source_helpers_argv_or_environment() {
    let w = World::new();
    w.ss.go_store("a.example.com", "alice", CANARY_A);
    let log = w.dir.path().join("spy.log");
    // Records its argv and environment, then is the real Go helper.
    w.script(
        "spy",
        &format!(
            "{{ printf 'argv:'; printf ' %s' \"$@\"; echo; env; }} >> '{}'\nexec docker-credential-secretservice \"$@\"",
            log.display()
        ),
    );
    let run = w.push(&["--from", "helper:spy", "--all"]);
    assert_eq!(run.stdout, "fake/dev/regcred: created\n", "{run:#?}");
    w.docker_config(&json!({"credsStore": "spy"}));
    let run = w.push(&["--from", "docker", "a.example.com"]);
    assert_eq!(run.stdout, "fake/dev/regcred: unchanged\n", "{run:#?}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("argv: list\n"), "{text}");
    assert_eq!(text.matches("argv: get\n").count(), 2, "{text}");
    assert!(text.contains("DBUS_SESSION_BUS_ADDRESS="), "{text}");
    assert!(
        !text.contains("DOCKER_CREDENTIAL_KEYRING_PASSPHRASE"),
        "{text}"
    );
    assert_no_secret_in(&text, "the helper's argv or environment");
}

#[test]
fn a_failing_helper_that_prints_its_credential_is_not_quoted() {
    let w = World::new();
    let answer =
        format!(r#"{{"ServerURL":"a.example.com","Username":"alice","Secret":"{CANARY_A}"}}"#);
    // `push` checks every form of the canary in its output.
    w.script("leaky", &format!("echo '{answer}'\nexit 1"));
    let run = w.push(&["--from", "helper:leaky", "a.example.com"]);
    assert_eq!(
        run.fails_line(),
        "docker-credential-leaky get failed: it exited with exit status: 1 (its output is not repeated: it may hold a secret)"
    );
    let run = w.push(&["--from", "helper:leaky", "--all"]);
    assert!(
        run.fails_line()
            .starts_with("docker-credential-leaky list failed: it exited with exit status: 1"),
        "{run:#?}"
    );
    // Its own message on stderr is shown instead; stdout stays unquoted.
    w.script(
        "leaky",
        &format!("echo '{answer}'\necho 'vault is sealed: run vault unseal' >&2\nexit 1"),
    );
    let run = w.push(&["--from", "helper:leaky", "a.example.com"]);
    assert_eq!(
        run.fails_line(),
        "docker-credential-leaky get failed: vault is sealed: run vault unseal"
    );
    // A plain `Secret: ...` line is no message either.
    w.script("leaky", &format!("echo 'Secret: {CANARY_A}'\nexit 1"));
    let run = w.push(&["--from", "helper:leaky", "a.example.com"]);
    assert!(
        run.fails_line()
            .ends_with("(its output is not repeated: it may hold a secret)")
    );
    w.assert_nothing_sent();
}

/// Whether process `pid` is gone (or a zombie its new parent has yet to reap).
fn gone(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| s.contains(") Z "))
}

#[test]
fn a_helper_that_never_reads_and_leaves_a_child_is_stopped_with_it_at_the_deadline() {
    let w = World::new();
    let key = format!("{}.example.com", "a".repeat(100_000));
    std::fs::write(w.dir.path().join("key"), &key).unwrap();
    let pids = w.dir.path().join("pids");
    // It lists a 100 KB key, and every `get` starts a child holding its stdout, then sleeps
    // without reading its input.
    w.script(
        "hostile",
        &format!(
            r#"case "$1" in
list) printf '{{"%s":"u","ok.example.com":"u"}}' "$(cat '{key}')" ;;
*) echo $$ >> '{pids}'; sleep 1000 & echo $! >> '{pids}'; exec sleep 1000 ;;
esac"#,
            key = w.dir.path().join("key").display(),
            pids = pids.display(),
        ),
    );
    let run = w.push_raw(
        &["--from", "helper:hostile", "--all"],
        &[("DOCKER_CREDENTIAL_KEYRING_HELPER_TIMEOUT", "2")],
    );
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
    assert_no_secret_in_output(&run);
    // The long key is never sent (it is no registry address); the other one is asked for,
    // and the helper stopped.
    assert!(run.stderr.len() < 2000, "{run:#?}");
    assert_eq!(
        run.fails_line(),
        "docker-credential-hostile get did not answer within 2 s and was stopped; check that it works on its own (it may be waiting for a prompt), or raise DOCKER_CREDENTIAL_KEYRING_HELPER_TIMEOUT"
    );
    assert!(run.elapsed < std::time::Duration::from_secs(30), "{run:#?}");
    assert_eq!(started.len(), 2, "the helper and its child: {started:?}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !started.iter().all(|p| gone(*p)) {
        if std::time::Instant::now() > deadline {
            cleanup();
            panic!("the helper or its child survived the deadline: {started:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    w.assert_nothing_sent();
}

#[test]
fn keys_that_are_not_addresses_are_refused_and_never_take_someone_elses_registry() {
    let w = World::new();
    // Someone else's Secret holding b.example.com.
    let victim = entry("victim", CANARY_C);
    w.server.seed_as(
        json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "regcred", "namespace": "dev"},
            "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": B64.encode(json!({"auths": {"b.example.com": victim}}).to_string())},
        }),
        "kubectl-create",
    );
    // A helper listing one key that names two registries, and a plain one.
    w.script(
        "evil",
        &format!(
            r#"case "$1" in
list) echo '{{"a.example.com,b.example.com":"alice","ok.example.com":"alice"}}' ;;
get) read -r server; printf '{{"ServerURL":"%s","Username":"alice","Secret":"{CANARY_A}"}}' "$server" ;;
esac"#
        ),
    );
    let adopt = w.push(&["--from", "helper:evil", "--all", "--adopt"]);
    assert_eq!(adopt.code, Some(0), "{adopt:#?}");
    // The next pushes (named, then everything) leave b.example.com as it was.
    for args in [&["ok.example.com"][..], &["--all"]] {
        let mut all = vec!["--from", "helper:evil"];
        all.extend_from_slice(args);
        let run = w.push(&all);
        assert_eq!(run.code, Some(0), "{run:#?}");
        let data = w.server.secret_data("dev", "regcred").unwrap();
        let config: Value = serde_json::from_slice(&data[".dockerconfigjson"]).unwrap();
        assert_eq!(config["auths"]["b.example.com"], victim, "{args:?}");
        assert_eq!(config["auths"].as_object().unwrap().len(), 2, "{config}");
    }
    // What the adopting push said and wrote: the key skipped, only ok.example.com push's.
    assert_eq!(
        adopt.stderr,
        "docker-credential-keyring: push: skipped \"a.example.com,b.example.com\" is not a registry address (it contains a comma): keep its credentials under [https://]host[:port][/path], e.g. `docker login registry.example.com`\n",
        "{adopt:#?}"
    );
    assert_eq!(
        adopt.stdout,
        "fake/dev/regcred: adopted (kept its other registries: b.example.com)\n"
    );
    let secret = w.server.secret("dev", "regcred").unwrap();
    assert_eq!(
        secret["metadata"]["annotations"]["docker-credential-keyring/registries"],
        r#"["ok.example.com"]"#
    );
    // A registry named that is not an address is refused before any source is asked.
    let run = w.push(&["--from", "helper:evil", "x.example.com,b.example.com"]);
    assert_eq!(
        run.fails_line(),
        "\"x.example.com,b.example.com\" is not a registry address (it contains a comma): keep its credentials under [https://]host[:port][/path], e.g. `docker login registry.example.com`"
    );
    // The same from docker's config: plaintext auths and credHelpers keys.
    w.docker_config(&json!({
        "auths": {
            "c.example.com *": {"auth": B64.encode(format!("carol:{CANARY_C}"))},
            "c.example.com": {"auth": B64.encode(format!("carol:{CANARY_C}"))},
        },
        "credHelpers": {"d.example.com,b.example.com": "evil"},
    }));
    let run = w.push_raw(
        &[
            "--from",
            "docker",
            "--all",
            "--dry-run",
            "-o",
            "json",
            "-n",
            "dev",
        ],
        &[],
    );
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_no_secret_in(&run.stderr, &format!("{run:#?}"));
    let skipped: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(skipped.len(), 2, "{run:#?}");
    assert!(
        skipped[0]
            .contains("\"c.example.com *\" is not a registry address (it contains white space)"),
        "{run:#?}"
    );
    assert!(
        skipped[1].contains(
            "\"d.example.com,b.example.com\" is not a registry address (it contains a comma)"
        ),
        "{run:#?}"
    );
}

/// Lines of our own the tests use.
trait Fails {
    /// push's failure shape (exit 1, nothing on stdout, the line on stderr): that line.
    fn fails_line(&self) -> &str;
}

impl Fails for Run {
    #[track_caller]
    fn fails_line(&self) -> &str {
        self.fails_on_stderr().trim_end()
    }
}
