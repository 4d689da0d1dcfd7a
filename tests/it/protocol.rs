//! The credential-helper protocol, binary-level, run against every backend of the system it runs
//! on (the Linux ones; the login keychain on macOS; the Credential Manager on Windows): each rule
//! of docs/protocol.md §1–§5 and each row of §8 (adjusted where §7 decides differently).
//!
//! One suite, parameterized: `protocol_suite!` below instantiates every case for each backend
//! fixture, so a backend is covered by adding one line.

use support::{Keyring, helper, helper_bytes, helper_stdin_open, store};

use docker_credential_keyring::protocol::{NO_SERVER_URL as NO_URL, NO_USERNAME, NOT_FOUND};

/// The three lines clients parse, pinned here as Docker's credential-helpers write them
/// (credentials/error.go): every other test reads them through the constants.
#[test]
fn wire_messages_are_the_reference_bytes() {
    assert_eq!(NOT_FOUND, "credentials not found in native keychain");
    assert_eq!(NO_URL, "no credentials server URL");
    assert_eq!(NO_USERNAME, "no credentials username");
}

fn get_json(k: &dyn Keyring, query: &str) -> String {
    helper(k, &["get"], query).ok().to_owned()
}

fn list_json(k: &dyn Keyring) -> serde_json::Value {
    serde_json::from_str(helper(k, &["list"], "").ok()).expect("list prints JSON")
}

/// The key `list` shows for a server stored under `server`: the server as stored, except in the
/// macOS keychain, which names each entry as Docker's osxkeychain does (`https://` + host[:port]
/// + path) whatever spelling stored it.
fn listed_as(server: &str) -> String {
    if cfg!(target_os = "macos") && !server.contains("://") {
        format!("https://{server}")
    } else {
        server.to_owned()
    }
}

fn store_round_trip(k: &dyn Keyring) {
    store(k, "https://a.example.com", "alice", "s3cret");
    assert_eq!(
        get_json(k, "https://a.example.com"),
        "{\"ServerURL\":\"https://a.example.com\",\"Username\":\"alice\",\"Secret\":\"s3cret\"}\n"
    );
}

fn get_missing_is_not_found(k: &dyn Keyring) {
    let r = helper(k, &["get"], "https://a.example.com");
    assert_eq!(r.fails(), NOT_FOUND);
}

fn empty_server_url(k: &dyn Keyring) {
    for input in ["", " \t\r\n", "\n\n"] {
        assert_eq!(helper(k, &["get"], input).fails(), NO_URL, "get {input:?}");
        assert_eq!(
            helper(k, &["erase"], input).fails(),
            NO_URL,
            "erase {input:?}"
        );
    }
    let r = helper(
        k,
        &["store"],
        r#"{"ServerURL": "", "Username": "u", "Secret": "s"}"#,
    );
    assert_eq!(r.fails(), NO_URL);
    let r = helper(
        k,
        &["store"],
        r#"{"ServerURL": "", "Username": "", "Secret": "s"}"#,
    );
    assert_eq!(r.fails(), NO_URL, "the URL is checked first");
}

fn empty_username(k: &dyn Keyring) {
    let r = helper(
        k,
        &["store"],
        r#"{"ServerURL": "https://a.example.com", "Username": "", "Secret": "s"}"#,
    );
    assert_eq!(r.fails(), NO_USERNAME);
    assert_eq!(list_json(k), serde_json::json!({}), "nothing stored");
}

fn empty_secret_is_allowed(k: &dyn Keyring) {
    store(k, "https://a.example.com", "alice", "");
    assert_eq!(
        get_json(k, "https://a.example.com"),
        "{\"ServerURL\":\"https://a.example.com\",\"Username\":\"alice\",\"Secret\":\"\"}\n"
    );
}

fn identity_token_escaped_like_go(k: &dyn Keyring) {
    // The docker CLI sends <token> JSON-escaped.
    let r = helper(
        k,
        &["store"],
        r#"{"ServerURL":"https://tok.example.com","Username":"\u003ctoken\u003e","Secret":"idtoken&<>"}"#,
    );
    r.ok();
    assert_eq!(
        get_json(k, "https://tok.example.com"),
        "{\"ServerURL\":\"https://tok.example.com\",\"Username\":\"\\u003ctoken\\u003e\",\"Secret\":\"idtoken\\u0026\\u003c\\u003e\"}\n"
    );
}

fn store_keys_case_insensitive_extra_ignored(k: &dyn Keyring) {
    let r = helper(
        k,
        &["store"],
        r#"{"serverurl":"https://c.example.com","USERNAME":"carol","secret":"pw3","Extra":5}"#,
    );
    r.ok();
    assert_eq!(
        get_json(k, "https://c.example.com"),
        "{\"ServerURL\":\"https://c.example.com\",\"Username\":\"carol\",\"Secret\":\"pw3\"}\n"
    );
}

fn store_reads_first_json_value_only(k: &dyn Keyring) {
    let r = helper(
        k,
        &["store"],
        "  \n{\"ServerURL\":\"https://g.example.com\",\"Username\":\"u\",\"Secret\":\"s\"} garbage {",
    );
    r.ok();
    assert!(get_json(k, "https://g.example.com").contains("\"Username\":\"u\""));
}

fn store_json_split_over_lines(k: &dyn Keyring) {
    let r = helper(
        k,
        &["store"],
        "{\"ServerURL\":\r\n\"https://l.example.com\",\r\n\"Username\":\"u\",\"Secret\":\"s\"}\r\n",
    );
    r.ok();
    assert!(get_json(k, "https://l.example.com").contains("\"Secret\":\"s\""));
}

fn get_joins_lines_drops_cr_and_trims(k: &dyn Keyring) {
    store(k, "https://index.docker.io/v1/", "hubuser", "hubpw");
    let want = "{\"ServerURL\":\"https://index.docker.io/v1/\",\"Username\":\"hubuser\",\"Secret\":\"hubpw\"}\n";
    assert_eq!(get_json(k, "https://index.docker.io/v1/\r\n"), want);
    assert_eq!(get_json(k, "https://index.docker.io\n/v1/\n"), want);
    assert_eq!(get_json(k, " \u{a0}https://index.docker.io/v1/\t\n"), want);
}

fn unicode_raw_and_line_separators_escaped(k: &dyn Keyring) {
    store(k, "https://u.example.com", "jürgen", "päss\u{2028}");
    assert_eq!(
        get_json(k, "https://u.example.com"),
        "{\"ServerURL\":\"https://u.example.com\",\"Username\":\"jürgen\",\"Secret\":\"päss\\u2028\"}\n"
    );
}

fn control_characters_escaped_like_go(k: &dyn Keyring) {
    let secret = "q\"b\\s/\n\r\t\u{8}\u{c}\u{1}\u{7f}\u{2029}é😀";
    store(k, "https://ctl.example.com", "u", secret);
    let out = get_json(k, "https://ctl.example.com");
    assert_eq!(
        out,
        "{\"ServerURL\":\"https://ctl.example.com\",\"Username\":\"u\",\"Secret\":\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\u{7f}\\u2029é😀\"}\n"
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["Secret"], secret, "decodes to exactly what was stored");
}

fn get_echoes_the_trimmed_query(k: &dyn Keyring) {
    store(k, "https://registry.example.com", "alice", "pw");
    assert_eq!(
        get_json(k, " registry.example.com \n"),
        "{\"ServerURL\":\"registry.example.com\",\"Username\":\"alice\",\"Secret\":\"pw\"}\n"
    );
}

fn address_matching_through_the_binary(k: &dyn Keyring) {
    store(k, "https://index.docker.io/v1/", "hub", "hubpw");
    store(k, "registry.example.com:5000", "five", "pw5");
    store(k, "https://registry.example.com", "plain", "pw");
    for q in [
        "docker.io",
        "index.docker.io",
        "registry-1.docker.io",
        "docker.io/library/alpine",
    ] {
        assert!(get_json(k, q).contains("\"Username\":\"hub\""), "{q}");
    }
    assert!(get_json(k, "registry.example.com/org/repo").contains("\"Username\":\"plain\""));
    assert!(get_json(k, "https://registry.example.com:5000").contains("\"Username\":\"five\""));
    for q in [
        "http://registry.example.com",
        "registry.example.com:5001",
        "evil.registry.example.com",
        "registry.example.com.evil.com",
        "registry.example.com@evil.com",
        "https://user@registry.example.com",
    ] {
        assert_eq!(helper(k, &["get"], q).fails(), NOT_FOUND, "{q}");
    }
}

fn list_empty_and_sorted_never_reads_stdin(k: &dyn Keyring) {
    let r = helper_stdin_open(k, &["list"]);
    assert_eq!(r.ok(), "{}\n");
    store(k, "https://z.example.com", "zed", "1");
    store(k, "a.example.com:5000", "<token>", "2");
    store(k, "https://index.docker.io/v1/", "hub", "3");
    let r = helper_stdin_open(k, &["list"]);
    assert_eq!(
        r.ok(),
        format!(
            "{{\"{}\":\"\\u003ctoken\\u003e\",\"https://index.docker.io/v1/\":\"hub\",\"https://z.example.com\":\"zed\"}}\n",
            listed_as("a.example.com:5000")
        )
    );
}

fn every_listed_key_is_gettable(k: &dyn Keyring) {
    for i in 0..20 {
        store(
            k,
            &format!("r{i}.example.com"),
            &format!("user{i}"),
            &format!("pw{i}"),
        );
    }
    let listed = list_json(k);
    let map = listed.as_object().unwrap();
    assert_eq!(map.len(), 20);
    for (server, user) in map {
        let v: serde_json::Value = serde_json::from_str(&get_json(k, server)).unwrap();
        assert_eq!(&v["Username"], user);
        assert_eq!(v["Secret"], format!("pw{}", &user.as_str().unwrap()[4..]));
    }
}

fn store_replaces_the_server_entry(k: &dyn Keyring) {
    store(k, "https://r.example.com", "first", "one");
    store(k, "https://r.example.com", "second", "two");
    assert_eq!(
        get_json(k, "https://r.example.com"),
        "{\"ServerURL\":\"https://r.example.com\",\"Username\":\"second\",\"Secret\":\"two\"}\n"
    );
    assert_eq!(
        list_json(k),
        serde_json::json!({"https://r.example.com": "second"})
    );
    store(k, "https://r.example.com", "second", "three");
    assert!(get_json(k, "https://r.example.com").contains("\"Secret\":\"three\""));
}

fn erase_then_gone_and_erase_missing_fails(k: &dyn Keyring) {
    store(k, "https://e.example.com", "u", "s");
    store(k, "https://keep.example.com", "k", "s");
    helper(k, &["erase"], "https://e.example.com\n").ok();
    assert_eq!(
        helper(k, &["get"], "https://e.example.com").fails(),
        NOT_FOUND
    );
    assert_eq!(
        helper(k, &["erase"], "https://e.example.com").fails(),
        NOT_FOUND
    );
    assert_eq!(
        list_json(k),
        serde_json::json!({"https://keep.example.com": "k"})
    );
}

fn docker_logout_sequence(k: &dyn Keyring) {
    // `docker logout host` tries host, http://host, https://host in turn.
    store(k, "registry.example.com", "u", "s");
    helper(k, &["erase"], "registry.example.com").ok();
    assert_eq!(
        helper(k, &["erase"], "http://registry.example.com").fails(),
        NOT_FOUND
    );
    assert_eq!(
        helper(k, &["erase"], "https://registry.example.com").fails(),
        NOT_FOUND
    );
    // Erasing an equivalent spelling removes the stored one.
    store(k, "https://registry.example.com/", "u", "s");
    helper(k, &["erase"], "REGISTRY.example.com").ok();
    assert_eq!(list_json(k), serde_json::json!({}));
}

fn oversized_input_is_refused_nothing_stored(k: &dyn Keyring) {
    let huge = format!(
        "{{\"ServerURL\":\"https://big.example.com\",\"Username\":\"u\",\"Secret\":\"{}\"}}",
        "x".repeat(1 << 20)
    );
    let r = helper(k, &["store"], &huge);
    let line = r.fails();
    assert!(line.contains("exceeds"), "{line}");
    assert_eq!(list_json(k), serde_json::json!({}));
    assert!(line.contains("\"ServerURL\""), "{line}");
    let r = helper(k, &["get"], &"y".repeat((1 << 20) + 10));
    let line = r.fails();
    assert!(line.contains("exceeds"), "{line}");
    assert!(
        line.contains("server URL") && !line.contains("\"ServerURL\""),
        "get reads a URL, not JSON: {line}"
    );
}

#[cfg(not(windows))] // Windows refuses such a secret: long_secret_refused_by_wincred
fn long_single_line_beyond_go_limit_works(k: &dyn Keyring) {
    // The reference dies on lines of 64 KiB; a 20 KB JWT-like token must pass everywhere.
    let secret = "t".repeat(20_000);
    store(k, "https://long.example.com", "u", &secret);
    let v: serde_json::Value =
        serde_json::from_str(&get_json(k, "https://long.example.com")).unwrap();
    assert_eq!(v["Secret"], secret);
}

/// Windows holds at most 2560 bytes per credential: 2560 is kept, 2561 (and a 20 KB token) is
/// refused with nothing stored.
#[cfg(windows)]
fn long_secret_refused_by_wincred(k: &dyn Keyring) {
    let fits = "f".repeat(2560);
    store(k, "https://fits.example.com", "u", &fits);
    let v: serde_json::Value =
        serde_json::from_str(&get_json(k, "https://fits.example.com")).unwrap();
    assert_eq!(v["Secret"], fits);
    for len in [2561, 20_000] {
        let secret = "t".repeat(len);
        let r = helper(
            k,
            &["store"],
            &store_payload("https://long.example.com", "u", &secret),
        );
        let line = r.fails();
        assert!(
            line.contains(&format!("the secret is {len} bytes")),
            "{line}"
        );
        assert!(line.contains("at most 2560"), "{line}");
        assert!(!r.stdout.contains(&secret) && !r.stderr.contains(&secret));
        assert_eq!(
            list_json(k),
            serde_json::json!({"https://fits.example.com": "u"})
        );
    }
}

fn bad_json_is_refused_without_echo(k: &dyn Keyring) {
    for bad in [
        r#"{"ServerURL":"https://b.example.com","Username":"u","Secret":"canary-1234"#,
        r#"{"ServerURL":"https://b.example.com","Username":"u","Secret":987654321}"#,
        r#"["canary-1234"]"#,
        "canary-1234",
    ] {
        let r = helper(k, &["store"], bad);
        let line = r.fails();
        assert!(line.starts_with("invalid credentials on stdin"), "{line}");
        for leak in ["canary-1234", "987654321"] {
            assert!(
                !r.stdout.contains(leak) && !r.stderr.contains(leak),
                "{r:?}"
            );
        }
    }
    assert_eq!(list_json(k), serde_json::json!({}));
}

fn invalid_utf8_query_is_handled(k: &dyn Keyring) {
    let r = helper_bytes(k, &["get"], b"https://\xff\xfe.example.com");
    assert_eq!(r.fails(), NOT_FOUND);
}

fn secrets_never_reach_stderr(k: &dyn Keyring) {
    let canary = "CANARY-c4n4ry-secret";
    let runs = [
        helper(
            k,
            &["store"],
            &format!(
                r#"{{"ServerURL":"https://s.example.com","Username":"u","Secret":"{canary}"}}"#
            ),
        ),
        helper(k, &["get"], "https://s.example.com"),
        helper(k, &["list"], ""),
        helper(k, &["erase"], "https://s.example.com"),
    ];
    for r in &runs {
        assert_eq!(r.code, Some(0), "{r:?}");
        assert!(!r.stderr.contains(canary), "{r:?}");
    }
    assert!(!runs[0].stdout.contains(canary) && !runs[2].stdout.contains(canary));
}

/// Run `jobs` helpers at once (one thread each, all released together).
fn at_once(jobs: Vec<(Vec<&'static str>, String)>, k: &dyn Keyring) -> Vec<support::Run> {
    let barrier = std::sync::Barrier::new(jobs.len());
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|(args, input)| {
                let cmd = support::helper_command(k, args);
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    support::run_command(cmd, input.as_bytes())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn store_payload(server: &str, user: &str, secret: &str) -> String {
    serde_json::json!({"ServerURL": server, "Username": user, "Secret": secret}).to_string()
}

/// Secrets are `pw-<user>`, so a (username, secret) pair that does not match is corruption.
fn assert_consistent(k: &dyn Keyring, server: &str) -> Option<String> {
    let r = helper(k, &["get"], server);
    if r.code == Some(1) && r.stdout.trim() == NOT_FOUND {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(r.ok()).unwrap();
    let user = v["Username"].as_str().unwrap().to_owned();
    assert_eq!(v["Secret"], format!("pw-{user}"), "torn entry for {server}");
    Some(user)
}

fn concurrent_helpers_lose_nothing(k: &dyn Keyring) {
    for j in 0..8 {
        store(
            k,
            &format!("gone{j}.example.com"),
            &format!("g{j}"),
            &format!("pw-g{j}"),
        );
        store(
            k,
            &format!("kept{j}.example.com"),
            &format!("k{j}"),
            &format!("pw-k{j}"),
        );
    }
    let mut jobs = Vec::new();
    for i in 0..40 {
        let server = format!("s{}.example.com", i % 10);
        let user = format!("u{i}");
        jobs.push((
            vec!["store"],
            store_payload(&server, &user, &format!("pw-{user}")),
        ));
    }
    for j in 0..8 {
        jobs.push((vec!["erase"], format!("gone{j}.example.com")));
        jobs.push((vec!["get"], format!("kept{j}.example.com")));
    }
    for i in 0..8 {
        jobs.push((vec!["get"], format!("s{i}.example.com")));
    }
    assert_eq!(jobs.len(), 64);
    let runs = at_once(jobs, k);
    for r in &runs[..56] {
        assert_eq!(r.code, Some(0), "{r:?}");
    }
    // What each concurrent `get` answered, not just its status: one whole line of JSON, the
    // queried server, and a username and secret from one and the same store.
    let answer = |r: &support::Run, server: &str| -> (String, String) {
        assert!(
            r.stdout.ends_with('\n') && r.stdout.matches('\n').count() == 1,
            "one line: {r:?}"
        );
        let v: serde_json::Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("a torn answer ({e}): {r:?}"));
        assert_eq!(v["ServerURL"], server, "{r:?}");
        let field = |f: &str| {
            v[f].as_str()
                .unwrap_or_else(|| panic!("{f}: {r:?}"))
                .to_owned()
        };
        (field("Username"), field("Secret"))
    };
    for j in 0..8 {
        let erased = &runs[40 + 2 * j];
        assert_eq!(erased.stdout, "", "{erased:?}");
        let server = format!("kept{j}.example.com");
        assert_eq!(
            answer(&runs[41 + 2 * j], &server),
            (format!("k{j}"), format!("pw-k{j}"))
        );
    }
    for (i, r) in runs[56..].iter().enumerate() {
        if r.code != Some(0) {
            assert_eq!(r.stdout.trim(), NOT_FOUND, "{r:?}");
            continue;
        }
        let server = format!("s{i}.example.com");
        let (user, secret) = answer(r, &server);
        let n: usize = user
            .strip_prefix('u')
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{user:?} under {server}"));
        assert_eq!(n % 10, i, "{user} under {server}");
        assert_eq!(secret, format!("pw-{user}"), "a torn credential: {r:?}");
    }
    let listed = list_json(k);
    let map = listed.as_object().unwrap();
    assert_eq!(map.len(), 18, "10 stored + 8 kept, no duplicates: {listed}");
    for i in 0..10 {
        let server = format!("s{i}.example.com");
        let user = assert_consistent(k, &server).expect("stored entry lost");
        assert_eq!(map[&listed_as(&server)], user.as_str());
        assert_eq!(
            user[1..].parse::<usize>().unwrap() % 10,
            i,
            "{user} under {server}"
        );
    }
    for j in 0..8 {
        assert_eq!(assert_consistent(k, &format!("gone{j}.example.com")), None);
        assert_eq!(
            assert_consistent(k, &format!("kept{j}.example.com")),
            Some(format!("k{j}"))
        );
    }
}

fn concurrent_stores_to_one_server_leave_one(k: &dyn Keyring) {
    let jobs = (0..16)
        .map(|i| {
            let user = format!("u{i}");
            (
                vec!["store"],
                store_payload("https://one.example.com", &user, &format!("pw-{user}")),
            )
        })
        .collect();
    for r in at_once(jobs, k) {
        r.ok();
    }
    let listed = list_json(k);
    assert_eq!(listed.as_object().unwrap().len(), 1, "{listed}");
    let user = assert_consistent(k, "https://one.example.com").expect("entry lost");
    assert_eq!(listed["https://one.example.com"], user.as_str());
}

/// Instantiate every case for one backend fixture.
macro_rules! cases {
    ($($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let keyring = fixture();
                super::$case(&keyring);
            }
        )*
    };
}

/// `backend => fixture, [cases only some backends pass]`.
macro_rules! protocol_suite {
    ($($backend:ident => $fixture:expr, [$($extra:ident),*]);* $(;)?) => {
        $(
            mod $backend {
                #[allow(unused_imports)]
                use super::*;
                fn fixture() -> impl Keyring {
                    $fixture
                }
                cases!(
                    store_round_trip,
                    get_missing_is_not_found,
                    empty_server_url,
                    empty_username,
                    empty_secret_is_allowed,
                    identity_token_escaped_like_go,
                    store_keys_case_insensitive_extra_ignored,
                    store_reads_first_json_value_only,
                    store_json_split_over_lines,
                    get_joins_lines_drops_cr_and_trims,
                    unicode_raw_and_line_separators_escaped,
                    control_characters_escaped_like_go,
                    get_echoes_the_trimmed_query,
                    address_matching_through_the_binary,
                    list_empty_and_sorted_never_reads_stdin,
                    every_listed_key_is_gettable,
                    store_replaces_the_server_entry,
                    erase_then_gone_and_erase_missing_fails,
                    docker_logout_sequence,
                    oversized_input_is_refused_nothing_stored,
                    bad_json_is_refused_without_echo,
                    invalid_utf8_query_is_handled,
                    secrets_never_reach_stderr,
                    concurrent_helpers_lose_nothing,
                    concurrent_stores_to_one_server_leave_one,
                    $($extra),*
                );
            }
        )*
    };
}

#[cfg(target_os = "linux")]
protocol_suite! {
    secret_service => support::secret_service::fixture(), [long_single_line_beyond_go_limit_works];
    file => support::file::FileKeyring::new(), [long_single_line_beyond_go_limit_works];
    pass => support::pass::PassStore::new(), [long_single_line_beyond_go_limit_works];
    keyutils => support::keyutils::KernelKeyring::new(), [long_single_line_beyond_go_limit_works];
}

#[cfg(target_os = "macos")]
protocol_suite! {
    keychain => support::keychain::fixture(), [long_single_line_beyond_go_limit_works];
}

#[cfg(windows)]
protocol_suite! {
    wincred => support::wincred::fixture(), [long_secret_refused_by_wincred];
}
