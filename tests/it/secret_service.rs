//! The secret-service backend against a real gnome-keyring on a private D-Bus: interop with
//! Debian's `docker-credential-secretservice` and `secret-tool`, and every failure the user can
//! meet (locked keyring, no bus, dead bus, no Secret Service, a daemon that stops answering).
//! The generic protocol rules are covered for every backend in `tests/it/protocol.rs`.

#![cfg(target_os = "linux")]

use std::ffi::OsString;
use std::time::Duration;
use support::secret_service::{SecretServiceFixture, bus_without_secret_service, fixture};
use support::{Keyring, Run, command, helper, run_command, store};

use docker_credential_keyring::protocol::NOT_FOUND;

fn get(k: &dyn Keyring, server: &str) -> Run {
    helper(k, &["get"], server)
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(run.ok()).unwrap_or_else(|e| panic!("JSON ({e}): {run:#?}"))
}

/// Run the binary with exactly `env` (plus a scrubbed environment and the backend).
fn helper_env(env: Vec<(OsString, OsString)>, args: &[&str], stdin: &str) -> Run {
    let mut env = env;
    env.push((
        "DOCKER_CREDENTIAL_KEYRING_BACKEND".into(),
        "secret-service".into(),
    ));
    let mut cmd = command(&env);
    cmd.args(args);
    run_command(cmd, stdin.as_bytes())
}

/// Every action, with the stdin it needs.
const ACTIONS: &[(&str, &str)] = &[
    ("get", "https://registry.example"),
    (
        "store",
        r#"{"ServerURL":"https://registry.example","Username":"u","Secret":"s"}"#,
    ),
    ("erase", "https://registry.example"),
    ("list", ""),
];

#[track_caller]
fn assert_fails_with(run: &Run, needle: &str, action: &str) {
    let line = run.fails();
    assert!(
        line.contains(needle),
        "{action}: expected {needle:?} in the message: {run:#?}"
    );
    assert!(
        !line.contains(NOT_FOUND),
        "{action}: a false not-found: {run:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Interop with Docker's helper and libsecret

#[test]
fn go_helper_items_with_two_usernames_read_replaced_and_erased_as_one_credential() {
    let k = fixture();
    let server = "https://registry.example.com";
    k.go_store(server, "alice", "alice-secret");
    k.go_store(server, "bob", "bob-secret");
    let items = k.items_for(server);
    assert_eq!(items.len(), 2, "the Go helper keeps one item per username");

    // get: deterministic, the most recently stored item. (The Go helper's own get answers
    // either username, depending on libsecret's hash-table order.)
    for _ in 0..3 {
        let got = json(&get(&k, server));
        assert_eq!(got["Username"], "bob", "{items:#?}");
        assert_eq!(got["Secret"], "bob-secret");
    }

    // list: one entry for the server.
    let listed = json(&helper(&k, &["list"], ""));
    assert_eq!(listed, serde_json::json!({server: "bob"}));

    // store: replaces every item for the server, leaving exactly one.
    store(&k, server, "carol", "carol-secret");
    let items = k.items_for(server);
    assert_eq!(items.len(), 1, "{items:#?}");
    assert_eq!(items[0]["attribute.username"], "carol");
    assert_eq!(items[0]["secret"], "carol-secret");
    let go = k.go_helper(&["get"], server);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(go.ok()).unwrap(),
        serde_json::json!({"ServerURL": server, "Username": "carol", "Secret": "carol-secret"})
    );

    // erase: removes every item for the server.
    k.go_store(server, "dave", "dave-secret");
    assert_eq!(k.items_for(server).len(), 2);
    helper(&k, &["erase"], server).ok();
    assert_eq!(k.items_for(server).len(), 0);
    assert_eq!(get(&k, server).fails(), NOT_FOUND);
    assert_eq!(k.go_helper(&["get"], server).fails(), NOT_FOUND);
    assert_eq!(helper(&k, &["erase"], server).fails(), NOT_FOUND);
}

#[test]
fn go_helper_reads_lists_and_erases_what_we_store() {
    let k = fixture();
    store(
        &k,
        "https://index.docker.io/v1/",
        "me",
        "p@ss w0rd\u{e9}\"\\",
    );
    store(&k, "registry.example:5000", "other", "token");
    let go = k.go_helper(&["get"], "https://index.docker.io/v1/");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(go.ok()).unwrap(),
        serde_json::json!({"ServerURL": "https://index.docker.io/v1/", "Username": "me", "Secret": "p@ss w0rd\u{e9}\"\\"})
    );
    let go_list: serde_json::Value = serde_json::from_str(k.go_helper(&["list"], "").ok()).unwrap();
    assert_eq!(
        go_list,
        serde_json::json!({"https://index.docker.io/v1/": "me", "registry.example:5000": "other"})
    );
    k.go_helper(&["erase"], "registry.example:5000").ok();
    assert_eq!(get(&k, "registry.example:5000").fails(), NOT_FOUND);
    assert_eq!(
        json(&helper(&k, &["list"], "")),
        serde_json::json!({"https://index.docker.io/v1/": "me"})
    );
}

#[test]
fn we_read_what_the_go_helper_stores() {
    let k = fixture();
    k.go_store("https://ghcr.io", "octo", "ghp_secret");
    assert_eq!(
        json(&get(&k, "https://ghcr.io")),
        serde_json::json!({"ServerURL": "https://ghcr.io", "Username": "octo", "Secret": "ghp_secret"})
    );
    assert_eq!(
        json(&helper(&k, &["list"], "")),
        serde_json::json!({"https://ghcr.io": "octo"})
    );
}

#[test]
fn secret_tool_sees_our_items_in_dockers_schema() {
    let k = fixture();
    store(&k, "https://quay.io", "robot", "s3cret");
    let items = k.items_for("https://quay.io");
    assert_eq!(items.len(), 1, "{items:#?}");
    let item = &items[0];
    assert_eq!(item["label"], "https://quay.io");
    assert_eq!(item["secret"], "s3cret");
    assert_eq!(item["schema"], "io.docker.Credentials");
    assert_eq!(item["attribute.server"], "https://quay.io");
    assert_eq!(item["attribute.username"], "robot");
    assert_eq!(item["attribute.docker_cli"], "1");
    assert_eq!(item["attribute.label"], "Docker Credentials");
    // Ours beside Docker's: the registry key every spelling of quay.io shares.
    assert_eq!(item["attribute.registry"], "quay.io");
    let attrs: Vec<&String> = item
        .keys()
        .filter(|k| k.starts_with("attribute."))
        .collect();
    assert_eq!(
        attrs.len(),
        5,
        "exactly Docker's attributes and `registry` (+ xdg:schema): {item:#?}"
    );
    // Stored in the collection the `default` alias names (the login keyring, on disk), not in
    // the in-memory `session` one: the alias read here, apart from the helper.
    let reply = k.dbus_send(&[
        "/org/freedesktop/secrets",
        "org.freedesktop.Secret.Service.ReadAlias",
        "string:default",
    ]);
    let reply = String::from_utf8_lossy(&reply.stdout);
    let default = reply
        .split('"')
        .nth(1)
        .unwrap_or_else(|| panic!("ReadAlias answers an object path: {reply}"));
    assert_eq!(default, support::secret_service::LOGIN);
    // secret-tool prints an item's path inside its collection only: ask the service itself.
    let reply = k.dbus_send(&[
        "/org/freedesktop/secrets",
        "org.freedesktop.Secret.Service.SearchItems",
        "dict:string:string:server,https://quay.io",
    ]);
    let reply = String::from_utf8_lossy(&reply.stdout);
    let paths: Vec<&str> = reply
        .split('"')
        .filter(|p| p.starts_with("/org/freedesktop/secrets/"))
        .collect();
    assert_eq!(paths.len(), 1, "{reply}");
    let (collection, _) = paths[0].rsplit_once('/').unwrap();
    assert_eq!(collection, default, "{reply}");
}

#[test]
fn storing_again_replaces_in_place() {
    let k = fixture();
    store(&k, "https://r.example", "u", "one");
    store(&k, "https://r.example", "u", "two");
    store(&k, "https://r.example", "v", "three");
    let items = k.items_for("https://r.example");
    assert_eq!(items.len(), 1, "{items:#?}");
    assert_eq!(json(&get(&k, "https://r.example"))["Secret"], "three");
}

#[test]
fn list_of_hundreds_of_items_is_complete_and_reads_no_secret() {
    let k = fixture();
    let n = 300;
    let mut expected = serde_json::Map::new();
    for i in 0..n {
        let server = format!("https://r{i}.example");
        // Half through the Go helper, half through us.
        if i % 2 == 0 {
            k.go_store(&server, &format!("user{i}"), "s");
        } else {
            store(&k, &server, &format!("user{i}"), "s");
        }
        expected.insert(server, format!("user{i}").into());
    }
    let monitor = k.monitor();
    let listed = json(&helper(&k, &["list"], ""));
    let seen = monitor.finish();
    assert_eq!(listed, serde_json::Value::Object(expected));
    // Reads no secret: no transfer session, no secret asked for (and the monitor saw the list).
    assert!(calls(&seen, "SearchItems") > 0, "monitor saw no search");
    for member in ["OpenSession", "GetSecret", "GetSecrets", "Unlock"] {
        assert_eq!(calls(&seen, member), 0, "list called {member}");
    }
}

#[test]
fn list_asks_for_no_secret_and_opens_no_session() {
    let k = fixture();
    store(&k, "https://a.example", "u", "s");
    k.go_store("https://b.example", "v", "t");
    for locked in [false, true] {
        if locked {
            k.lock(); // attributes stay readable: list still needs no unlock
        }
        let monitor = k.monitor();
        let listed = json(&helper(&k, &["list"], ""));
        let seen = monitor.finish();
        assert_eq!(
            listed,
            serde_json::json!({"https://a.example": "u", "https://b.example": "v"})
        );
        assert!(
            seen.contains("member=SearchItems"),
            "monitor saw nothing? {seen}"
        );
        for member in ["GetSecret", "GetSecrets", "OpenSession", "Unlock"] {
            assert!(
                !seen.contains(&format!("member={member}\n"))
                    && !seen.contains(&format!("member={member} ")),
                "list called {member} (locked: {locked}):\n{seen}"
            );
        }
    }
}

#[test]
fn the_bus_is_found_at_xdg_runtime_dir_without_an_address() {
    let k = fixture();
    store(&k, "https://r.example", "u", "s");
    let mut env = k.home.env();
    env.push(("XDG_RUNTIME_DIR".into(), k.runtime_dir().into()));
    let run = helper_env(env, &["get"], "https://r.example");
    assert_eq!(json(&run)["Username"], "u");
}

// ---------------------------------------------------------------------------------------------
// Locked keyring

#[test]
fn locked_collection_fails_fast_for_get_store_and_erase_and_loses_nothing() {
    let k = fixture();
    store(&k, "https://registry.example", "u", "s");
    k.lock();
    for (action, stdin) in ACTIONS.iter().filter(|(a, _)| *a != "list") {
        let run = helper(&k, &[action], stdin);
        assert_fails_with(&run, "keyring is locked", action);
        // Fast: no wait for an unlock prompt (a hang detector with room for a loaded machine).
        assert!(run.elapsed < Duration::from_secs(10), "{action}: {run:#?}");
        assert!(
            run.stderr.contains("gnome-keyring-daemon --unlock"),
            "{run:#?}"
        );
    }
    // Docker's own helper crashes here (libsecret assertion, SIGSEGV); we are still intact:
    // the credential is there, and list (attributes only) works while locked.
    assert_eq!(
        json(&helper(&k, &["list"], "")),
        serde_json::json!({"https://registry.example": "u"})
    );
    assert_eq!(k.items_for("https://registry.example").len(), 1);
}

#[test]
fn keyring_locked_since_start_fails_fast_for_every_action() {
    let mut k = fixture();
    store(&k, "https://registry.example", "u", "s");
    k.restart_locked();
    for (action, stdin) in ACTIONS {
        let run = helper(&k, &[action], stdin);
        assert_fails_with(&run, "keyring is locked", action);
        // Fast: no wait for an unlock prompt (a hang detector with room for a loaded machine).
        assert!(run.elapsed < Duration::from_secs(10), "{action}: {run:#?}");
    }
}

// ---------------------------------------------------------------------------------------------
// No bus, dead bus, no service, silent service

#[test]
fn no_session_bus() {
    let home = support::Home::new();
    let empty_runtime = home.path().join("run");
    std::fs::create_dir_all(&empty_runtime).unwrap();
    for with_runtime_dir in [false, true] {
        let mut env = home.env();
        if with_runtime_dir {
            env.push(("XDG_RUNTIME_DIR".into(), empty_runtime.clone().into()));
        }
        for (action, stdin) in ACTIONS {
            let run = helper_env(env.clone(), &[action], stdin);
            assert_fails_with(&run, "no D-Bus session bus", action);
            assert!(
                run.stdout.contains("docker-credential-keyring backends"),
                "{run:#?}"
            );
            assert!(
                run.stderr.contains("DOCKER_CREDENTIAL_KEYRING_BACKEND"),
                "{run:#?}"
            );
        }
    }
}

#[test]
fn dead_bus_address() {
    let home = support::Home::new();
    let socket = home.path().join("no-such-bus");
    let mut env = home.env();
    env.push((
        "DBUS_SESSION_BUS_ADDRESS".into(),
        format!("unix:path={}", socket.display()).into(),
    ));
    for (action, stdin) in ACTIONS {
        let run = helper_env(env.clone(), &[action], stdin);
        assert_fails_with(&run, "cannot connect to the D-Bus session bus", action);
        assert!(run.stdout.contains("DBUS_SESSION_BUS_ADDRESS"), "{run:#?}");
    }
}

#[test]
fn bus_without_a_secret_service() {
    let k = bus_without_secret_service();
    for (action, stdin) in ACTIONS {
        let run = helper(&k, &[action], stdin);
        assert_fails_with(&run, "no Secret Service on the D-Bus session bus", action);
    }
}

#[test]
fn killed_daemon_is_no_secret_service() {
    let mut k = fixture();
    store(&k, "https://registry.example", "u", "s");
    k.kill_keyring();
    for (action, stdin) in ACTIONS {
        let run = helper(&k, &[action], stdin);
        assert_fails_with(&run, "no Secret Service", action);
    }
}

fn with_timeout(k: &SecretServiceFixture, seconds: &str) -> Vec<(OsString, OsString)> {
    let mut env = k.env();
    env.push(("DOCKER_CREDENTIAL_KEYRING_TIMEOUT".into(), seconds.into()));
    env
}

#[test]
fn stopped_daemon_times_out_in_bounded_time() {
    let k = fixture();
    store(&k, "https://registry.example", "u", "s");
    k.stop_keyring();
    for (action, stdin) in ACTIONS {
        let run = helper_env(with_timeout(&k, "1"), &[action], stdin);
        assert_fails_with(&run, "did not answer within 1 s", action);
        assert!(
            run.stdout.contains("DOCKER_CREDENTIAL_KEYRING_TIMEOUT"),
            "{run:#?}"
        );
        // The 1 s asked for, with a generous allowance for a loaded machine.
        assert!(run.elapsed < Duration::from_secs(11), "{action}: {run:#?}");
    }
    k.continue_keyring();
    assert_eq!(json(&get(&k, "https://registry.example"))["Secret"], "s");
}

#[test]
fn stopped_bus_times_out_in_bounded_time() {
    let k = fixture();
    k.stop_bus();
    let run = helper_env(with_timeout(&k, "1"), &["list"], "");
    k.continue_bus();
    assert_fails_with(&run, "did not answer within 1 s", "list");
    assert!(run.stdout.contains("connection handshake"), "{run:#?}");
    assert!(run.elapsed < Duration::from_secs(11), "{run:#?}");
}

#[test]
fn invalid_timeout_settings_are_refused_before_anything_happens() {
    let k = fixture();
    for var in [
        "DOCKER_CREDENTIAL_KEYRING_TIMEOUT",
        "DOCKER_CREDENTIAL_KEYRING_PROMPT_TIMEOUT",
    ] {
        for bad in ["0", "-3", "soon"] {
            let mut env = k.env();
            env.push((var.into(), bad.into()));
            let run = helper_env(env, &["store"], ACTIONS[1].1);
            let line = run.fails();
            assert_eq!(
                line,
                format!(
                    "invalid {var}=\"{bad}\": expected a number of seconds greater than 0 and at most 86400"
                )
            );
        }
    }
    assert_eq!(get(&k, "https://registry.example").fails(), NOT_FOUND);
}

// ---------------------------------------------------------------------------------------------
// A real unlock prompt (gcr-prompter on a virtual display)

fn with_prompt_timeout(k: &SecretServiceFixture, seconds: &str) -> Vec<(OsString, OsString)> {
    let mut env = k.env();
    env.push((
        "DOCKER_CREDENTIAL_KEYRING_PROMPT_TIMEOUT".into(),
        seconds.into(),
    ));
    env
}

#[test]
fn unanswered_prompt_gives_up_at_the_prompt_deadline_and_leaves_the_keyring_running() {
    let mut k = fixture();
    store(&k, "https://registry.example", "u", "s");
    k.start_prompter();
    k.lock();
    let run = helper_env(
        with_prompt_timeout(&k, "2"),
        &["get"],
        "https://registry.example",
    );
    assert_fails_with(
        &run,
        "nobody answered the keyring unlock prompt within 2 s",
        "get",
    );
    assert!(
        run.stdout
            .contains("DOCKER_CREDENTIAL_KEYRING_PROMPT_TIMEOUT"),
        "{run:#?}"
    );
    assert!(
        run.elapsed >= Duration::from_secs(2) && run.elapsed < Duration::from_secs(12),
        "{run:#?}"
    );
    // We never Dismiss (it aborts gnome-keyring): the daemon is alive, the dialog still up.
    assert!(k.keyring_alive(), "gnome-keyring-daemon crashed");
    assert!(
        k.prompt_windows().iter().any(|w| w.contains("Unlock")),
        "{:?}",
        k.prompt_windows()
    );
    // A second call meets the same bounded wait, not a crashed or wedged daemon.
    let run = helper_env(
        with_prompt_timeout(&k, "1"),
        &["erase"],
        "https://registry.example",
    );
    assert_fails_with(
        &run,
        "nobody answered the keyring unlock prompt within 1 s",
        "erase",
    );
    assert!(k.keyring_alive(), "gnome-keyring-daemon crashed");
}

#[test]
fn answered_prompt_unlocks_and_the_call_goes_through() {
    let mut k = fixture();
    store(&k, "https://registry.example", "u", "s");
    k.start_prompter();
    k.lock();
    let env = with_prompt_timeout(&k, "30");
    let call = std::thread::spawn(move || {
        helper_env(
            env,
            &["store"],
            r#"{"ServerURL":"https://registry.example","Username":"v","Secret":"t"}"#,
        )
    });
    k.answer_prompt(support::secret_service::PASSWORD);
    call.join().unwrap().ok();
    assert!(!k.is_locked());
    assert_eq!(
        json(&get(&k, "https://registry.example")),
        serde_json::json!({"ServerURL": "https://registry.example", "Username": "v", "Secret": "t"})
    );
    assert_eq!(k.items_for("https://registry.example").len(), 1);
}

/// How many calls of `member` the monitor saw.
fn calls(seen: &str, member: &str) -> usize {
    seen.matches(&format!("member={member}\n")).count()
        + seen.matches(&format!("member={member} ")).count()
}

#[test]
fn get_miss_reads_no_item_and_opens_no_session() {
    let k = fixture();
    for i in 0..5 {
        store(&k, &format!("https://r{i}.example"), "u", "s");
    }
    k.go_store("https://registry.example.com/other", "v", "t");
    let monitor = k.monitor();
    let r = helper(&k, &["get"], "registry.example.com/org/repo");
    let seen = monitor.finish();
    assert_eq!(r.fails(), NOT_FOUND, "{seen}");
    // Only searches, each for one exact server string or for the registry key of the items
    // we wrote: no listing search (`docker_cli` alone), no item read (the Go helper's item is
    // not ours and not under a spelling its writers use), no transfer session.
    let searches = calls(&seen, "SearchItems");
    assert!(searches > 1, "monitor saw no search? {seen}");
    assert_eq!(
        seen.matches("string \"server\"").count() + seen.matches("string \"registry\"").count(),
        searches,
        "a search without a server or registry:\n{seen}"
    );
    assert_eq!(
        seen.matches("string \"registry\"").count(),
        1,
        "one registry search:\n{seen}"
    );
    // A handful of searches, not one per spelling the address rules allow.
    assert!(searches <= 4, "{searches} searches:\n{seen}");
    for member in [
        "Get",
        "GetAll",
        "GetSecret",
        "GetSecrets",
        "OpenSession",
        "Unlock",
    ] {
        assert_eq!(calls(&seen, member), 0, "a miss called {member}:\n{seen}");
    }
}

#[test]
fn get_hit_is_one_search_one_session_one_secret() {
    let k = fixture();
    for i in 0..5 {
        store(&k, &format!("https://r{i}.example"), "u", "s");
    }
    store(&k, "https://index.docker.io/v1/", "hub", "pw");
    store(&k, "registry.example.com", "plain", "pw2");
    // Exactly what is stored: one search.
    let monitor = k.monitor();
    let out = helper(&k, &["get"], "https://index.docker.io/v1/")
        .ok()
        .to_owned();
    let seen = monitor.finish();
    assert!(out.contains("\"Username\":\"hub\""), "{out}");
    assert_eq!(calls(&seen, "SearchItems"), 1, "{seen}");
    assert_eq!(calls(&seen, "OpenSession"), 1, "{seen}");
    assert_eq!(calls(&seen, "GetSecret"), 1, "{seen}");
    // Another spelling of a stored address: one batch of searches, still one session and one
    // secret, and no other item read.
    let monitor = k.monitor();
    let out = helper(&k, &["get"], "registry.example.com/org/repo")
        .ok()
        .to_owned();
    let seen = monitor.finish();
    assert!(out.contains("\"Username\":\"plain\""), "{out}");
    assert_eq!(calls(&seen, "OpenSession"), 1, "{seen}");
    assert_eq!(calls(&seen, "GetSecret"), 1, "{seen}");
    assert_eq!(calls(&seen, "Get") + calls(&seen, "GetAll"), 1, "{seen}");
}

#[test]
fn get_finds_our_items_under_any_spelling_with_one_registry_search() {
    let k = fixture();
    // Spellings no client writes, which no exact lookup of the query's spellings would find.
    store(&k, "HTTPS://Registry.Example.COM:443/", "odd", "s1");
    store(&k, "https://Index.Docker.io:443/v1", "hub", "s2");
    store(&k, "https://registry.example.com/team", "team", "s3");
    // The SearchItems calls whose attributes include `registry` (dbus-monitor prints a message
    // as a header line and its indented arguments).
    let registry_searches = |seen: &str| {
        let mut messages: Vec<String> = Vec::new();
        for line in seen.lines() {
            match messages.last_mut() {
                Some(m) if line.starts_with(' ') => m.push_str(line),
                _ => messages.push(line.to_owned()),
            }
        }
        messages
            .iter()
            .filter(|m| {
                m.starts_with("method call ")
                    && m.contains("member=SearchItems")
                    && m.contains("string \"registry\"")
            })
            .count()
    };
    for (query, user) in [
        ("registry.example.com", "odd"),
        ("registry.example.com/other/app", "odd"),
        ("registry.example.com/team/app", "team"),
        ("docker.io/library/alpine", "hub"),
    ] {
        let monitor = k.monitor();
        let r = get(&k, query);
        let seen = monitor.finish();
        assert_eq!(json(&r)["Username"], user, "{query}");
        assert_eq!(
            registry_searches(&seen),
            1,
            "{query}: one registry search:\n{seen}"
        );
    }
    // A path of ours that does not answer: read (its server), but no session, no secret.
    for query in ["registry.example.com:5000", "http://registry.example.com"] {
        let monitor = k.monitor();
        let r = get(&k, query);
        let seen = monitor.finish();
        assert_eq!(r.fails(), NOT_FOUND);
        assert_eq!(
            registry_searches(&seen),
            1,
            "{query}: one registry search (the monitor saw it):\n{seen}"
        );
        for member in ["GetSecret", "OpenSession", "Unlock"] {
            assert_eq!(
                calls(&seen, member),
                0,
                "{query}: a miss called {member}:\n{seen}"
            );
        }
    }
}

#[test]
fn get_finds_other_writers_items_under_the_spellings_they_write() {
    let k = fixture();
    // As the docker CLI, podman and crane store them (the Go helper writes no `registry`).
    k.go_store("https://index.docker.io/v1/", "cli", "s1");
    k.go_store("quay.io", "podman", "s2");
    k.go_store("https://ghcr.io", "crane", "s3");
    k.go_store("localhost:5000", "local", "s4");
    for (query, user) in [
        ("docker.io", "cli"),
        ("registry-1.docker.io/library/alpine", "cli"),
        ("https://quay.io/v2/", "podman"),
        ("QUAY.io/org/repo", "podman"),
        ("ghcr.io/org/repo", "crane"),
        ("https://localhost:5000", "local"),
    ] {
        assert_eq!(json(&get(&k, query))["Username"], user, "{query}");
    }
    // The trade-off: a foreign item under a spelling no writer uses answers only its exact
    // string (finding it otherwise costs a search per spelling, each a scan of every item).
    k.go_store("https://example.org:443/", "rare", "s5");
    assert_eq!(get(&k, "example.org").fails(), NOT_FOUND);
    assert_eq!(
        json(&get(&k, "https://example.org:443/"))["Username"],
        "rare"
    );
    // Exact beats an equivalent spelling of ours.
    store(&k, "https://quay.io", "ours", "s6");
    assert_eq!(json(&get(&k, "quay.io"))["Username"], "podman");
    assert_eq!(json(&get(&k, "https://quay.io/org"))["Username"], "ours");
}
