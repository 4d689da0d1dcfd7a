//! Property tests: the JSON we print decodes to exactly what was stored and follows Go's
//! encoding rules for arbitrary Unicode; address matching never crosses a host or a port and
//! is symmetric where it should be.

use docker_credential_keyring::protocol::json::go_json;
use docker_credential_keyring::protocol::parse_store;
use docker_credential_keyring::registry::{
    Address, candidates, equivalents, registry_key, resolve, same_registry, writer_spellings,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Go's `encoding/json` string encoding, written from its specification, char by char.
fn go_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[<>&\"\\\\\u{0}-\u{1f}\u{7f}\u{2028}\u{2029}a-zé😀 ]{0,40}",
    ]
}

proptest! {
    #[test]
    fn get_output_is_go_encoding_and_round_trips(server in any_text(), user in any_text(), secret in any_text()) {
        #[derive(serde::Serialize)]
        struct Answer<'a> {
            #[serde(rename = "ServerURL")] s: &'a str,
            #[serde(rename = "Username")] u: &'a str,
            #[serde(rename = "Secret")] p: &'a str,
        }
        let out = go_json(&Answer { s: &server, u: &user, p: &secret });
        let want = format!(
            "{{\"ServerURL\":{},\"Username\":{},\"Secret\":{}}}\n",
            go_string(&server), go_string(&user), go_string(&secret)
        );
        prop_assert_eq!(&out, &want);
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        prop_assert_eq!(back["Secret"].as_str().unwrap(), secret.as_str());
        prop_assert_eq!(back["Username"].as_str().unwrap(), user.as_str());
    }

    #[test]
    fn list_output_sorted_and_round_trips(entries in proptest::collection::btree_map(any_text(), any_text(), 0..8)) {
        let out = go_json(&entries);
        let body: Vec<String> = entries.iter().map(|(k, v)| format!("{}:{}", go_string(k), go_string(v))).collect();
        prop_assert_eq!(out, format!("{{{}}}\n", body.join(",")));
    }

    #[test]
    fn store_accepts_what_clients_send(server in any_text(), user in any_text(), secret in any_text()) {
        let payload = serde_json::json!({"ServerURL": server, "Username": user, "Secret": secret}).to_string();
        match parse_store(&payload) {
            Ok(c) => {
                prop_assert_eq!(&c.server_url, &server);
                prop_assert_eq!(&c.username, &user);
                prop_assert_eq!(c.secret.expose(), &secret);
            }
            Err(e) => prop_assert!(server.is_empty() || user.is_empty(), "{e}"),
        }
    }
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("registry.example.com".to_owned()),
        Just("REGISTRY.example.com".to_owned()),
        Just("evil.registry.example.com".to_owned()),
        Just("registry.example.com.evil.com".to_owned()),
        Just("docker.io".to_owned()),
        Just("index.docker.io".to_owned()),
        Just("registry-1.docker.io".to_owned()),
        Just("[::1]".to_owned()),
        "[a-z0-9.-]{1,12}",
    ]
}

/// An address as its four generated parts: scheme, host, port, path.
type Parts = (&'static str, String, String, &'static str);

fn address() -> impl Strategy<Value = String> {
    address_parts().prop_map(|(s, h, p, path)| format!("{s}{h}{p}{path}"))
}

fn address_parts() -> impl Strategy<Value = Parts> {
    (
        prop_oneof![
            Just(""),
            Just("https://"),
            Just("http://"),
            Just("HTTPS://")
        ],
        host(),
        prop_oneof![
            Just(String::new()),
            Just(":443".to_owned()),
            Just(":80".to_owned()),
            Just(":5000".to_owned()),
            (1u16..).prop_map(|p| format!(":{p}"))
        ],
        prop_oneof![
            Just(""),
            Just("/"),
            Just("/v1/"),
            Just("/v2/"),
            Just("/org"),
            Just("/org/repo"),
            Just("/org/"),
            Just("@x"),
            Just("/../x")
        ],
    )
}

/// What the generator put in, apart from the parser under test: the registry an address names
/// (lowercase host, Hub's aliases as one, the scheme's default port as none), its scheme
/// (None: unspecified) and its path segments (a lone v1/v2 API prefix dropped).
fn oracle(parts: &Parts) -> ((String, Option<u16>), Option<&'static str>, Vec<String>) {
    let (scheme, host, port, path) = parts;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "https://" => Some("https"),
        "http://" => Some("http"),
        _ => None,
    };
    let default = if scheme == Some("http") { 80 } else { 443 };
    let port = port
        .strip_prefix(':')
        .map(|p| p.parse::<u16>().unwrap())
        .filter(|p| *p != default);
    let mut host = host.to_ascii_lowercase();
    if port.is_none()
        && ["docker.io", "index.docker.io", "registry-1.docker.io"].contains(&host.as_str())
    {
        host = "docker.io".to_owned();
    }
    let mut segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if segments == ["v1"] || segments == ["v2"] {
        segments.clear();
    }
    ((host, port), scheme, segments)
}

proptest! {
    #[test]
    fn resolve_never_crosses_host_or_port(query_parts in address_parts(), stored_parts in proptest::collection::vec(address_parts(), 0..6)) {
        // The oracle is what the generator put in, never the parser under test.
        let join = |(s, h, p, path): &Parts| format!("{s}{h}{p}{path}");
        let query = join(&query_parts);
        let stored: Vec<String> = stored_parts.iter().map(join).collect();
        if let Some(hit) = resolve(&query, stored.iter().map(String::as_str)) {
            let i = stored.iter().position(|s| s == hit);
            prop_assert!(i.is_some(), "{} is not stored", hit);
            if hit != query {
                // Neither has a path no registry address has (a user part, a `..`).
                for parts in [&query_parts, &stored_parts[i.unwrap()]] {
                    prop_assert!(!matches!(parts.3, "@x" | "/../x"), "{} answered {}", query, hit);
                }
                let (q_registry, q_scheme, q_path) = oracle(&query_parts);
                let (h_registry, h_scheme, h_path) = oracle(&stored_parts[i.unwrap()]);
                prop_assert_eq!(q_registry, h_registry, "{} answered {}", query, hit);
                prop_assert!(q_path.starts_with(&h_path), "{} answered {}", query, hit);
                // An explicit http query never finds an https or scheme-less entry, and back.
                if let (Some(q), Some(h)) = (q_scheme, h_scheme) {
                    prop_assert_eq!(q, h);
                }
                if q_scheme == Some("http") {
                    prop_assert_eq!(h_scheme, Some("http"));
                }
            }
        }
    }

    #[test]
    fn same_registry_is_symmetric_and_reflexive(a in address(), b in address()) {
        prop_assert_eq!(same_registry(&a, &b), same_registry(&b, &a));
        prop_assert!(same_registry(&a, &a));
    }

    #[test]
    fn equivalents_agree_with_same_registry(query in address(), stored in proptest::collection::vec(address(), 0..6)) {
        let eq = equivalents(&query, stored.iter().map(String::as_str));
        for s in &stored {
            if same_registry(&query, s) && Address::parse(&query).is_some() {
                prop_assert!(eq.contains(&s.as_str()), "{} should erase {}", query, s);
            }
        }
        let counts: BTreeMap<&str, usize> = eq.iter().fold(BTreeMap::new(), |mut m, s| { *m.entry(*s).or_default() += 1; m });
        for (s, n) in counts {
            prop_assert_eq!(n, stored.iter().filter(|x| x.as_str() == s).count());
        }
    }
}

/// What `get` answers through exact lookups: the first candidate that is stored.
fn first_stored(query: &str, stored: &[String]) -> Option<String> {
    candidates(query).into_iter().find(|c| stored.contains(c))
}

/// Queries as clients send them, odd ones included: mixed case, `HTTPS://`, default and other
/// ports, trailing and doubled slashes, API prefixes, repository paths, user info, dot paths.
fn query() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just(""),
            Just("https://"),
            Just("http://"),
            Just("HTTPS://"),
            Just("Http://")
        ],
        prop_oneof![
            Just("registry.example.com"),
            Just("REGISTRY.example.com"),
            Just("reg.example"),
            Just("docker.io"),
            Just("Index.Docker.io"),
            Just("registry-1.docker.io"),
            Just("[::1]"),
            Just("localhost"),
        ],
        prop_oneof![
            Just(""),
            Just(":443"),
            Just(":80"),
            Just(":5000"),
            Just(":05000")
        ],
        prop_oneof![
            Just(""),
            Just("/"),
            Just("//"),
            Just("/v1/"),
            Just("/v2"),
            Just("/org"),
            Just("/org/"),
            Just("/org/repo"),
            Just("/org//repo/"),
            Just("/v1/org/repo"),
            Just("/Org/repo"),
            Just("@x"),
            Just("/../x"),
            Just("?q=1"),
        ],
    )
        .prop_map(|(s, h, p, path)| format!("{s}{h}{p}{path}"))
}

/// Stored strings in the regular family `candidates` enumerates (lowercase scheme and host,
/// plain port numbers, single slashes), and opaque ones.
fn regular_stored() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            prop_oneof![Just(""), Just("https://"), Just("http://")],
            prop_oneof![
                Just("registry.example.com"),
                Just("reg.example"),
                Just("evil.registry.example.com"),
                Just("docker.io"),
                Just("index.docker.io"),
                Just("registry-1.docker.io"),
                Just("[::1]"),
                Just("localhost"),
            ],
            prop_oneof![
                Just(""),
                Just(":443"),
                Just(":80"),
                Just(":5000"),
                Just(":5001")
            ],
            prop_oneof![
                Just(""),
                Just("/"),
                Just("/v1"),
                Just("/v1/"),
                Just("/v2/"),
                Just("/org"),
                Just("/org/"),
                Just("/org/repo"),
                Just("/org/repo/"),
                Just("/Org"),
                Just("/other"),
                Just("/org/repo/deeper"),
            ],
        )
            .prop_map(|(s, h, p, path)| format!("{s}{h}{p}{path}")),
        Just("weird key@x".to_owned()),
        Just("https://user@registry.example.com".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Over regular stores (and the query itself stored, and its own spellings of scheme and
    /// host), the first stored candidate is exactly `resolve`'s answer.
    #[test]
    fn candidates_agree_with_resolve(
        query in query(),
        stored in proptest::collection::vec(regular_stored(), 0..8),
        with_query in any::<bool>(),
        own_spelling in proptest::option::of(regular_stored()),
    ) {
        let mut stored = stored;
        if with_query {
            stored.push(query.clone());
        }
        // The query's own spelling of its host (e.g. `REGISTRY.example.com`) counts as regular.
        if let (Some(extra), Some(q)) = (own_spelling, Address::parse(&query)) {
            let raw = query.split("://").last().unwrap_or(&query);
            let raw_host = raw.split(['/', ':']).next().unwrap_or(raw);
            if !q.host.starts_with('[') && raw_host.eq_ignore_ascii_case(&q.host) {
                stored.push(extra.replacen(&q.host, raw_host, 1));
            }
        }
        let want = resolve(&query, stored.iter().map(String::as_str)).map(str::to_owned);
        prop_assert_eq!(first_stored(&query, &stored), want, "query {:?} stored {:?}", query, stored);
    }

    /// Over any store, irregular spellings included: whatever the candidates find answers the
    /// query on its own, and when `resolve`'s answer is a candidate, the candidates find it.
    #[test]
    fn candidates_never_find_what_resolve_would_not(
        query in prop_oneof![query(), address()],
        stored in proptest::collection::vec(prop_oneof![address(), regular_stored(), query()], 0..8),
    ) {
        let got = first_stored(&query, &stored);
        if let Some(g) = &got {
            prop_assert_eq!(resolve(&query, [g.as_str()]), Some(g.as_str()));
        }
        let want = resolve(&query, stored.iter().map(String::as_str));
        if let Some(w) = want
            && candidates(&query).iter().any(|c| c == w)
        {
            prop_assert_eq!(got.as_deref(), Some(w));
        }
    }

    /// The lookups a miss costs are bounded by the query, not by what is stored.
    #[test]
    fn candidates_are_few(query in query()) {
        let n = candidates(&query).len();
        prop_assert!(n <= 256, "{} candidates for {:?}", n, query);
    }
}

#[test]
fn candidates_cover_the_address_table() {
    // Every equivalent spelling the address rules name is looked up.
    let c = candidates("registry.example.com");
    for s in [
        "registry.example.com",
        "https://registry.example.com",
        "https://registry.example.com/",
        "https://registry.example.com:443/",
        "registry.example.com/v2/",
        "http://registry.example.com",
    ] {
        assert!(c.iter().any(|x| x == s), "{s} missing from {c:?}");
    }
    // The http entry comes after every https-equivalent one.
    let http = c
        .iter()
        .position(|x| x == "http://registry.example.com")
        .unwrap();
    let https = c
        .iter()
        .position(|x| x == "https://registry.example.com")
        .unwrap();
    assert!(https < http);
    let hub = candidates("docker.io/library/alpine");
    assert!(hub.iter().any(|x| x == "https://index.docker.io/v1/"));
    assert!(hub.iter().any(|x| x == "docker.io/library"));
    assert_eq!(candidates("a b"), vec!["a b".to_owned()]);
    assert_eq!(candidates("https://user@registry.example.com").len(), 1);
}

/// Stored strings as other clients' helpers write them (what `writer_spellings` claims to
/// cover): `host[:port]` and `https://host[:port]`, lowercase, no path, no written default
/// port; for Docker Hub `https://index.docker.io/v1/` and `docker.io`.
fn writer_stored() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            prop_oneof![Just(""), Just("https://")],
            prop_oneof![
                Just("registry.example.com"),
                Just("reg.example"),
                Just("evil.registry.example.com"),
                Just("[::1]"),
                Just("localhost"),
            ],
            prop_oneof![Just(""), Just(":5000"), Just(":5001"), Just(":80")],
        )
            .prop_map(|(s, h, p)| format!("{s}{h}{p}")),
        Just("https://index.docker.io/v1/".to_owned()),
        Just("docker.io".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever answers a query other than itself has the query's registry key: one search
    /// on that key finds every spelling a backend filed under it.
    #[test]
    fn resolve_never_crosses_a_registry_key(
        query in prop_oneof![query(), address()],
        stored in prop_oneof![address(), regular_stored(), query()],
    ) {
        if stored != query && resolve(&query, [stored.as_str()]).is_some() {
            prop_assert!(registry_key(&query).is_some());
            prop_assert_eq!(registry_key(&query), registry_key(&stored));
        }
    }

    /// Few searches, each of them a spelling that answers the query and that the general
    /// candidate list holds too.
    #[test]
    fn writer_spellings_are_few_and_answer(query in prop_oneof![query(), address()]) {
        let w = writer_spellings(&query);
        prop_assert!(w.len() <= 3, "{:?}", w);
        prop_assert_eq!(&w[0], &query);
        let all = candidates(&query);
        for s in &w {
            prop_assert_eq!(resolve(&query, [s.as_str()]), Some(s.as_str()));
            prop_assert!(all.contains(s), "{} not among the candidates", s);
        }
    }
}

#[test]
fn writer_spellings_of_common_queries() {
    assert_eq!(
        writer_spellings("docker.io/library/alpine"),
        [
            "docker.io/library/alpine",
            "https://index.docker.io/v1/",
            "docker.io"
        ]
    );
    assert_eq!(
        writer_spellings("Ghcr.io/org/repo"),
        ["Ghcr.io/org/repo", "https://ghcr.io", "ghcr.io"]
    );
    assert_eq!(
        writer_spellings("https://localhost:5000"),
        ["https://localhost:5000", "localhost:5000"]
    );
    assert_eq!(
        writer_spellings("http://localhost:5000"),
        ["http://localhost:5000"]
    );
    assert_eq!(writer_spellings("a b"), ["a b"]);
    assert_eq!(
        registry_key("HTTPS://Index.Docker.io:443/v1/").as_deref(),
        Some("docker.io")
    );
    assert_eq!(
        registry_key("http://Reg.example:80/x").as_deref(),
        Some("reg.example")
    );
    assert_eq!(
        registry_key("https://reg.example:80").as_deref(),
        Some("reg.example:80")
    );
    assert_eq!(registry_key("a b"), None);
}

/// The real Secret Service, for [`secret_service_lookup_agrees_with_resolve`]: one
/// gnome-keyring for all its cases, emptied before each.
#[cfg(target_os = "linux")]
fn keyring() -> &'static support::secret_service::SecretServiceFixture {
    static K: std::sync::OnceLock<support::secret_service::SecretServiceFixture> =
        std::sync::OnceLock::new();
    K.get_or_init(support::secret_service::fixture)
}

#[cfg(target_os = "linux")]
proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Our items under any spelling (stored by our `store`), other writers' under the spellings
    /// they write (by Docker's Go helper): the secret-service backend's `get`, run on a real
    /// gnome-keyring, answers what `resolve` picks among every item the keyring holds (read
    /// with secret-tool, apart from the backend). Foreign items under other spellings answer
    /// only their exact string: the documented trade-off, so the generator stores none.
    #[test]
    fn secret_service_lookup_agrees_with_resolve(
        query in prop_oneof![query(), address()],
        ours in proptest::collection::vec(prop_oneof![address(), regular_stored(), query()], 0..5),
        foreign in proptest::collection::vec(writer_stored(), 0..3),
        with_query in any::<bool>(),
        writer in proptest::option::of(1usize..3),
    ) {
        let k = keyring();
        // (It exits 1 when there was nothing to clear.)
        k.secret_tool(&["clear", "xdg:schema", "io.docker.Credentials"]);
        let mut foreign = foreign;
        if with_query {
            foreign.push(query.clone());
        }
        // Often, another writer's item where another writer would have put it for this query.
        if let Some(spelling) = writer.and_then(|i| writer_spellings(&query).get(i).cloned()) {
            foreign.push(spelling);
        }
        // One item per server string, each with a username of its own.
        let mut written: Vec<String> = Vec::new();
        for (i, server) in ours.iter().chain(&foreign).enumerate() {
            if written.contains(server) {
                continue;
            }
            let payload = serde_json::json!({"ServerURL": server, "Username": format!("u{i}"), "Secret": "s"}).to_string();
            let r = if i < ours.len() {
                support::helper(k, &["store"], &payload)
            } else {
                k.go_helper(&["store"], &payload)
            };
            if r.code == Some(0) {
                written.push(server.clone());
            }
        }
        let items = support::secret_service::parse_secret_tool(&k.secret_tool(&[
            "search", "--all", "--unlock", "xdg:schema", "io.docker.Credentials",
        ]));
        let user_of: BTreeMap<String, String> = items
            .iter()
            .map(|i| (i["attribute.server"].clone(), i["attribute.username"].clone()))
            .collect();
        prop_assert_eq!(user_of.len(), items.len(), "one item per server: {:?}", items);
        let want = resolve(&query, user_of.keys().map(String::as_str)).map(|s| user_of[s].clone());
        let r = support::helper(k, &["get"], &query);
        let got = match r.code {
            Some(0) => {
                let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
                Some(v["Username"].as_str().unwrap().to_owned())
            }
            _ => None,
        };
        prop_assert_eq!(got, want, "query {:?} items {:?}: {:?}", query, user_of, r);
    }
}
