//! `push -A`, `push --namespace-selector` and their saved rules under `sync`, end to end: the
//! built binary reads a real kernel keyring and writes to the project's API-server fake
//! through a real kubeconfig file; requests are counted in the fake's log.

#![cfg(target_os = "linux")]

use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Instant;
use support::apiserver::ApiServer;
use support::keyutils::KernelKeyring;
use support::kubeconfig::Kubeconfig;
use support::{Run, helper_command, run_command, store};

const REGISTRY: &str = "registry.example.com";
const FIRST: &str = "canary-first-9a7e21";
const SECOND: &str = "canary-second-3f0c55";

struct World {
    keyring: KernelKeyring,
    server: ApiServer,
    _dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl World {
    fn new() -> World {
        let keyring = KernelKeyring::new();
        store(&keyring, REGISTRY, "alice", FIRST);
        let server = ApiServer::start_tls();
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = Kubeconfig::new()
            .server("fake", &server)
            .current("fake")
            .write(dir.path().join("kubeconfig"));
        World {
            keyring,
            server,
            _dir: dir,
            kubeconfig,
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        let run = run_command(helper_command(&self.keyring, args), b"");
        for s in [FIRST, SECOND] {
            assert!(
                !run.stdout.contains(s) && !run.stderr.contains(s),
                "{run:#?}"
            );
        }
        run
    }

    /// `push REGISTRY --kubeconfig … ARGS`.
    fn push(&self, extra: &[&str]) -> Run {
        let k = self.kubeconfig.to_str().unwrap();
        let mut args = vec!["push", REGISTRY, "--kubeconfig", k];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    fn namespace(&self, name: &str, labels: Value, annotations: Value) {
        self.server.seed(json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": labels, "annotations": annotations},
        }));
    }

    /// The namespaces holding our Secret `regcred`, sorted.
    fn with_secret(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .server
            .objects("secrets")
            .iter()
            .filter(|s| s["metadata"]["name"] == "regcred")
            .map(|s| s["metadata"]["namespace"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    }
}

#[test]
fn all_namespaces_skips_the_system_namespaces_and_an_ignored_one() {
    let w = World::new();
    for ns in [
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "apps",
        "web",
    ] {
        w.server.create_namespace(ns);
    }
    w.namespace(
        "quiet",
        json!({}),
        json!({"docker-credential-keyring/ignore": "true"}),
    );
    let run = w.push(&["-A"]);
    run.ok();
    assert_eq!(w.with_secret(), ["apps", "default", "web"], "{run:#?}");
    assert_eq!(run.stdout.lines().count(), 3, "{run:#?}");
    assert!(
        run.stdout.contains("fake/apps/regcred: created"),
        "{run:#?}"
    );
}

#[test]
fn a_selector_picks_exactly_the_matching_namespaces_and_a_saved_one_follows_a_relabel() {
    let w = World::new();
    w.namespace("a1", json!({"team": "a"}), json!({}));
    w.namespace("a2", json!({"team": "a", "tier": "dev"}), json!({}));
    w.namespace("b1", json!({"team": "b"}), json!({}));
    w.namespace("old", json!({"team": "a", "legacy": "yes"}), json!({}));
    w.namespace("kube-system", json!({"team": "a"}), json!({}));
    let run = w.push(&["--namespace-selector", "team=a,!legacy", "--save"]);
    run.ok();
    assert_eq!(w.with_secret(), ["a1", "a2"], "{run:#?}");
    // The server is asked for the matching namespaces (not every one).
    let listed = w
        .server
        .requests()
        .into_iter()
        .find(|r| r.path == "/api/v1/namespaces")
        .expect("the namespaces were listed");
    assert_eq!(listed.param("labelSelector"), Some("team=a,!legacy"));
    // Relabelled into scope (and one out of it): the saved rule follows, the list is not kept.
    w.server.seed_apply(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b1", "labels": {"team": "a"}}}),
        "someone",
    );
    w.namespace("a3", json!({"team": "a"}), json!({}));
    let run = w.run(&["sync"]);
    run.ok();
    assert_eq!(w.with_secret(), ["a1", "a2", "a3", "b1"], "{run:#?}");
    assert!(run.stdout.contains("fake/b1/regcred: created"), "{run:#?}");
    assert!(
        run.stdout.contains("fake/a1/regcred: unchanged"),
        "{run:#?}"
    );
    let list = w.run(&["sync", "--list"]);
    assert!(
        list.stdout.contains("namespaces matching team=a,!legacy")
            && list.stdout.contains("namespaces listed at each run"),
        "{list:#?}"
    );
}

#[test]
fn create_namespace_a_second_way_of_naming_namespaces_and_bad_selectors_are_refused() {
    let w = World::new();
    let run = w.push(&["-A", "--create-namespace"]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    let run = w.push(&["--namespace-selector", "team=a", "-n", "apps"]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    for bad in ["team in (a", "", "bad key=x", "n>1"] {
        let run = w.push(&["--namespace-selector", bad]);
        assert_eq!(run.code, Some(1), "{run:#?}");
        assert!(
            run.stderr.contains("invalid namespace selector")
                && run.stderr.contains("kubectl's -l syntax"),
            "{run:#?}"
        );
        assert_eq!(run.stderr.lines().count(), 1, "{run:#?}");
    }
    assert!(w.server.requests().is_empty(), "nothing may be contacted");
}

#[test]
fn dry_runs_and_manifests_cover_the_rules_namespaces_and_write_nothing() {
    let w = World::new();
    w.namespace("apps", json!({"env": "dev"}), json!({}));
    w.namespace("prod", json!({"env": "prod"}), json!({}));
    w.server.create_namespace("kube-system");
    let run = w.push(&[
        "--namespace-selector",
        "env!=prod",
        "--dry-run",
        "-o",
        "json",
    ]);
    run.ok();
    let list: Value = serde_json::from_str(&run.stdout).unwrap();
    let mut nss: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["namespace"].as_str().unwrap())
        .collect();
    nss.sort();
    assert_eq!(nss, ["apps", "default"]);
    let run = w.push(&["-A", "--dry-run=server", "--service-account", "default"]);
    run.ok();
    assert_eq!(run.stdout.matches("server dry run").count(), 6, "{run:#?}");
    assert!(w.with_secret().is_empty());
    assert!(
        w.server
            .requests()
            .iter()
            .filter(|r| r.method != "GET")
            .all(|r| r.param("dryRun") == Some("All")),
        "only dry-run writes"
    );
}

/// Requests per method, for the report.
fn summary(server: &ApiServer) -> (usize, usize) {
    let r = server.requests();
    let writes = r.iter().filter(|r| r.method != "GET").count();
    (r.len(), writes)
}

#[test]
fn sync_of_a_saved_all_namespaces_push_over_300_namespaces_is_a_few_requests() {
    let w = World::new();
    for i in 0..300 {
        w.server.create_namespace(&format!("ns-{i:03}"));
    }
    w.push(&["-A", "--service-account", "default", "--save"])
        .ok();
    assert_eq!(w.with_secret().len(), 301);
    w.server.clear_requests();
    let started = Instant::now();
    let run = w.run(&["sync"]);
    let unchanged_time = started.elapsed();
    run.ok();
    let (total, writes) = summary(&w.server);
    eprintln!("figure: sync, 301 namespaces unchanged: {total} requests, {unchanged_time:?}");
    assert!(total <= 4, "{total} requests: {:#?}", w.server.requests());
    assert_eq!(writes, 0);
    assert_eq!(run.stdout.matches(": unchanged").count(), 602, "{run:#?}");
    // The credential changes: one write per namespace (the service accounts already list it).
    store(&w.keyring, REGISTRY, "alice", SECOND);
    w.server.clear_requests();
    let started = Instant::now();
    let run = w.run(&["sync"]);
    let changed_time = started.elapsed();
    run.ok();
    let (total, writes) = summary(&w.server);
    eprintln!(
        "figure: sync, 301 namespaces changed: {total} requests ({writes} writes), {changed_time:?}"
    );
    assert_eq!(writes, 301, "{:#?}", w.server.writes().first());
    // Nothing read twice: the lists, then the writes.
    assert!(total <= 4 + 301, "{total} requests");
    assert!(
        w.server
            .writes()
            .iter()
            .all(|r| r.method == "PATCH" && r.path.ends_with("/secrets/regcred"))
    );
    assert_eq!(run.stdout.matches("/regcred: updated").count(), 301);
}

#[test]
fn a_forbidden_cluster_wide_list_falls_back_to_each_namespace_said_once() {
    let w = World::new();
    for ns in ["apps", "web", "ops"] {
        w.server.create_namespace(ns);
    }
    w.server
        .deny(support::apiserver::DEFAULT_USER, "list", "secrets", None);
    let run = w.push(&["-A"]);
    run.ok();
    assert_eq!(w.with_secret(), ["apps", "default", "ops", "web"]);
    assert_eq!(
        run.stderr
            .matches(
                "cannot list secrets across namespaces (forbidden): reading each namespace instead"
            )
            .count(),
        1,
        "{run:#?}"
    );
    // Namespaces cannot be listed: one line says what RBAC is missing, nothing is written.
    w.server
        .deny(support::apiserver::DEFAULT_USER, "list", "namespaces", None);
    w.server.clear_requests();
    let run = w.push(&["-A"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stdout
            .contains("fake/*/regcred: failed: forbidden to list namespaces in context \"fake\""),
        "{run:#?}"
    );
    assert!(w.server.writes().is_empty());
}

#[test]
fn push_delete_of_a_saved_target_takes_it_out_of_the_saved_push_and_sync_leaves_it_deleted() {
    let w = World::new();
    for ns in ["apps", "web"] {
        w.server.create_namespace(ns);
    }
    w.push(&["-A", "--save"]).ok();
    let k = w.kubeconfig.to_str().unwrap();
    let run = w.run(&["push", "--delete", "--kubeconfig", k, "-n", "apps"]);
    run.ok();
    assert!(
        run.stderr
            .contains("saved push 1 no longer writes to fake/apps: excluded from its rule"),
        "{run:#?}"
    );
    let run = w.run(&["sync"]);
    run.ok();
    assert_eq!(w.with_secret(), ["default", "web"], "{run:#?}");
    let list = w.run(&["sync", "--list"]);
    assert!(list.stdout.contains("(except apps)"), "{list:#?}");
    // A push naming its namespaces loses the one deleted; the last one deleted forgets it.
    w.run(&[
        "push",
        REGISTRY,
        "--kubeconfig",
        k,
        "--name",
        "other",
        "-n",
        "apps",
        "-n",
        "web",
        "--save",
    ])
    .ok();
    let run = w.run(&[
        "push",
        "--delete",
        "--kubeconfig",
        k,
        "--name",
        "other",
        "-n",
        "web",
    ]);
    run.ok();
    assert!(
        run.stderr
            .contains("saved push 2 no longer writes to fake/web"),
        "{run:#?}"
    );
    w.run(&["sync"]).ok();
    assert!(w.server.secret("web", "other").is_none());
    assert!(w.server.secret("apps", "other").is_some());
    let run = w.run(&[
        "push",
        "--delete",
        "--kubeconfig",
        k,
        "--name",
        "other",
        "-n",
        "apps",
    ]);
    assert!(run.stderr.contains("forgot saved push 2"), "{run:#?}");
    // The same rule deleted: the saved push is forgotten, every Secret of it gone.
    let run = w.run(&["push", "--delete", "--kubeconfig", k, "-A"]);
    run.ok();
    assert!(run.stderr.contains("forgot saved push 1"), "{run:#?}");
    assert!(w.with_secret().is_empty(), "{run:#?}");
    let list = w.run(&["sync", "--list"]);
    assert!(list.stderr.contains("no saved pushes"), "{list:#?}");
}

// ---- sync --watch ----

use std::io::BufRead;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Each line read from `pipe`, as it arrives.
fn lines_of(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A running `sync --watch`, killed when dropped.
struct Watching {
    child: Child,
    err: mpsc::Receiver<String>,
    _out: mpsc::Receiver<String>,
    said: Vec<String>,
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Watching {
    /// Wait (at most 20 s) for a stderr line containing `text`; every line seen is kept.
    #[track_caller]
    fn line(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        if let Some(l) = self.said.iter().find(|l| l.contains(text)) {
            return l.clone();
        }
        while Instant::now() < deadline {
            if let Ok(l) = self.err.recv_timeout(Duration::from_millis(100)) {
                for s in [FIRST, SECOND] {
                    assert!(!l.contains(s), "{l}");
                }
                self.said.push(l.clone());
                if l.contains(text) {
                    return l;
                }
            }
        }
        panic!("no line with {text:?}: {:#?}", self.said);
    }

    fn drain(&mut self) {
        while let Ok(l) = self.err.try_recv() {
            self.said.push(l);
        }
    }
}

impl World {
    fn watch(&self, every: &str) -> Watching {
        let mut cmd = helper_command(&self.keyring, &["sync", "--watch", "--every", every]);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let _out = lines_of(child.stdout.take().unwrap());
        let err = lines_of(child.stderr.take().unwrap());
        Watching {
            child,
            err,
            _out,
            said: Vec::new(),
        }
    }

    /// Wait until the watches on namespaces and on our Secrets are open.
    #[track_caller]
    fn watches_open(&self) {
        eventually("both watches open", || {
            let r = self.server.requests();
            let open = |p: &str| {
                r.iter()
                    .any(|r| r.path == p && r.param("watch") == Some("true"))
            };
            open("/api/v1/namespaces") && open("/api/v1/secrets")
        });
    }
}

/// Poll (at most 10 s: a ceiling for a loaded machine, not the claim) until `cond` holds;
/// how long it took.
#[track_caller]
fn eventually(what: &str, mut cond: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "never happened: {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    start.elapsed()
}

#[test]
fn under_watch_a_new_namespace_gets_its_secret_and_deleted_or_edited_ones_come_back() {
    let w = World::new();
    w.namespace("apps", json!({"team": "a"}), json!({}));
    w.push(&["-A", "--service-account", "default", "--save"])
        .ok();
    let mut watching = w.watch("5m");
    let first = watching.line("watching");
    assert!(
        first.contains("context fake")
            && first.contains("push 1 (keychain registry.example.com -> regcred: all namespaces)")
            && first.contains("credentials re-read every 5m"),
        "{first}"
    );
    w.watches_open();
    // A namespace created: its Secret and its default service account's reference follow.
    w.server.create_namespace("fresh");
    let latency = eventually("the new namespace's Secret", || {
        w.server.secret("fresh", "regcred").is_some()
            && w.server.image_pull_secrets("fresh", "default") == ["regcred"]
    });
    eprintln!("figure: namespace created -> Secret and reference under --watch: {latency:?}");
    // An ignored one gets nothing.
    w.namespace(
        "quiet",
        json!({}),
        json!({"docker-credential-keyring/ignore": "true"}),
    );
    // Deleted by someone else: back.
    assert!(w.server.delete("secrets", "apps", "regcred"));
    let latency = eventually("the deleted Secret back", || {
        w.server.secret("apps", "regcred").is_some()
    });
    eprintln!("figure: Secret deleted -> restored under --watch: {latency:?}");
    // Edited by someone else (its data replaced): restored.
    let before = w.server.secret_data("apps", "regcred").unwrap();
    w.server.seed_apply(
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "regcred", "namespace": "apps"},
               "data": {".dockerconfigjson": "eyJhdXRocyI6e319"}}),
        "kubectl-edit",
    );
    assert_ne!(w.server.secret_data("apps", "regcred").unwrap(), before);
    let latency = eventually("the edited Secret restored", || {
        w.server.secret_data("apps", "regcred").unwrap() == before
    });
    eprintln!("figure: Secret edited -> restored under --watch: {latency:?}");
    assert!(w.server.secret("quiet", "regcred").is_none());
    // Taken out with push --delete: not undone.
    let k = w.kubeconfig.to_str().unwrap();
    let run = w.run(&["push", "--delete", "--kubeconfig", k, "-n", "apps"]);
    run.ok();
    assert!(w.server.secret("apps", "regcred").is_none());
    w.server.create_namespace("later");
    eventually("a later namespace still served", || {
        w.server.secret("later", "regcred").is_some()
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        w.server.secret("apps", "regcred").is_none(),
        "push --delete was undone"
    );
    watching.drain();
    assert!(
        !watching.said.iter().any(|l| l.contains("failed")),
        "{:#?}",
        watching.said
    );
}

#[test]
fn under_watch_an_outage_is_said_once_and_so_is_the_recovery_and_sigterm_exits_0() {
    let w = World::new();
    w.push(&["-A", "--save"]).ok();
    let mut watching = w.watch("3s");
    watching.line("watching");
    w.watches_open();
    w.server.set_down(true);
    watching.line("context fake: unreachable");
    // Several retries fail meanwhile (backoff 0.5 s, 1 s, 2 s, capped at --every).
    std::thread::sleep(Duration::from_secs(4));
    w.server.set_down(false);
    watching.line("context fake: reachable again");
    // Healing works again after the outage.
    w.server.create_namespace("after");
    eventually("a namespace made after the outage served", || {
        w.server.secret("after", "regcred").is_some()
    });
    watching.drain();
    let count = |t: &str| watching.said.iter().filter(|l| l.contains(t)).count();
    assert_eq!(count("unreachable"), 1, "{:#?}", watching.said);
    assert_eq!(count("reachable again"), 1, "{:#?}", watching.said);
    // SIGTERM: exit status 0, at once.
    let status = std::process::Command::new("kill")
        .args(["-TERM", &watching.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let exit = loop {
        if let Some(s) = watching.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    eprintln!("figure: SIGTERM -> exit: {:?}", start.elapsed());
    assert_eq!(exit.code(), Some(0));
}

#[test]
fn under_watch_an_expired_watch_lists_again_and_misses_nothing() {
    let w = World::new();
    w.push(&["--namespace-selector", "team=a", "--save"]).ok();
    let mut watching = w.watch("5m");
    watching.line("watching");
    w.watches_open();
    let lists_before = w
        .server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/namespaces" && r.param("watch").is_none())
        .count();
    w.server.expire_watches();
    // Relabelled into scope right after the watch expired.
    w.namespace("b", json!({"team": "b"}), json!({}));
    w.server.seed_apply(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b", "labels": {"team": "a"}}}),
        "someone",
    );
    eventually("the relabelled namespace served", || {
        w.server.secret("b", "regcred").is_some()
    });
    let lists_after = w
        .server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/namespaces" && r.param("watch").is_none())
        .count();
    assert!(lists_after > lists_before, "410 Gone made it list again");
}

#[test]
fn under_watch_a_push_saved_meanwhile_is_watched_too() {
    let w = World::new();
    let mut watching = w.watch("5m");
    let first = watching.line("watching");
    assert!(
        first.contains("the pushes saved from now on (none yet)"),
        "{first}"
    );
    w.push(&["-A", "--save"]).ok();
    watching.line("now also watching context fake");
    w.watches_open();
    w.server.create_namespace("next");
    eventually("the next namespace served", || {
        w.server.secret("next", "regcred").is_some()
    });
}

/// `status` shows which namespaces a saved rule covers, and a covered namespace whose Secret is
/// gone as `missing` (one more request per context: the namespace list, only for rules).
#[test]
fn status_shows_what_a_saved_rule_covers_and_what_it_lacks() {
    let w = World::new();
    for ns in ["apps", "web"] {
        w.server.create_namespace(ns);
    }
    w.push(&["-A", "--save"]).ok();
    let status = w.run(&["status"]);
    assert_eq!(status.code, Some(0), "{status:#?}");
    assert!(
        status
            .stderr
            .contains("saved push 1 (all namespaces) covers 3 namespaces in context \"fake\": apps, default, web"),
        "{status:#?}"
    );
    assert!(w.server.delete("secrets", "web", "regcred"));
    let status = w.run(&["status"]);
    assert_eq!(status.code, Some(1), "{status:#?}");
    let web: Vec<&str> = status
        .stdout
        .lines()
        .filter(|l| l.contains(" web ") || l.contains("\tweb\t"))
        .collect();
    assert!(
        web.iter().any(|l| l.contains("missing")),
        "the covered namespace lacks its Secret: {status:#?}"
    );
}
