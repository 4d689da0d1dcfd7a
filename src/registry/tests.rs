//! The address rules, case by case.

use super::*;

/// (query, stored entries, expected answer)
const CASES: &[(&str, &[&str], Option<&str>)] = &[
    // exact first, even when an equivalent form is stored too
    (
        "registry.example.com",
        &["https://registry.example.com", "registry.example.com"],
        Some("registry.example.com"),
    ),
    // scheme-less ≡ https
    (
        "registry.example.com",
        &["https://registry.example.com"],
        Some("https://registry.example.com"),
    ),
    (
        "https://registry.example.com",
        &["registry.example.com"],
        Some("registry.example.com"),
    ),
    // scheme-less ≡ http only when only that is stored
    (
        "registry.example.com",
        &["http://registry.example.com"],
        Some("http://registry.example.com"),
    ),
    (
        "registry.example.com",
        &[
            "http://registry.example.com",
            "https://registry.example.com",
        ],
        Some("https://registry.example.com"),
    ),
    // explicit http/https never cross
    (
        "http://registry.example.com",
        &["https://registry.example.com"],
        None,
    ),
    (
        "https://registry.example.com",
        &["http://registry.example.com"],
        None,
    ),
    (
        "http://registry.example.com",
        &["registry.example.com"],
        None,
    ),
    // host case, trailing slash, default port
    (
        "REGISTRY.Example.COM",
        &["registry.example.com"],
        Some("registry.example.com"),
    ),
    (
        "registry.example.com/",
        &["https://registry.example.com"],
        Some("https://registry.example.com"),
    ),
    (
        "https://registry.example.com:443",
        &["registry.example.com"],
        Some("registry.example.com"),
    ),
    (
        "registry.example.com",
        &["https://registry.example.com:443/"],
        Some("https://registry.example.com:443/"),
    ),
    (
        "http://registry.example.com:80",
        &["http://registry.example.com"],
        Some("http://registry.example.com"),
    ),
    (
        "https://registry.example.com/v2/",
        &["registry.example.com"],
        Some("registry.example.com"),
    ),
    // non-default ports never cross
    ("registry.example.com:5000", &["registry.example.com"], None),
    ("registry.example.com", &["registry.example.com:5000"], None),
    (
        "registry.example.com:5000",
        &["registry.example.com:5001"],
        None,
    ),
    (
        "registry.example.com:5000",
        &["https://registry.example.com:5000/"],
        Some("https://registry.example.com:5000/"),
    ),
    (
        "localhost:5000",
        &["http://localhost:5000"],
        Some("http://localhost:5000"),
    ),
    (
        "[::1]:5000",
        &["https://[::1]:5000"],
        Some("https://[::1]:5000"),
    ),
    ("[::1]:5000", &["[::1]:5001"], None),
    // Docker Hub aliases
    (
        "docker.io",
        &["https://index.docker.io/v1/"],
        Some("https://index.docker.io/v1/"),
    ),
    (
        "index.docker.io",
        &["https://index.docker.io/v1/"],
        Some("https://index.docker.io/v1/"),
    ),
    (
        "registry-1.docker.io",
        &["https://index.docker.io/v1/"],
        Some("https://index.docker.io/v1/"),
    ),
    (
        "https://index.docker.io/v1/",
        &["docker.io"],
        Some("docker.io"),
    ),
    (
        "docker.io/library/alpine",
        &["https://index.docker.io/v1/"],
        Some("https://index.docker.io/v1/"),
    ),
    (
        "docker.io",
        &["https://index.docker.io/v1/access-token"],
        None,
    ),
    ("docker.io:5000", &["https://index.docker.io/v1/"], None),
    // repository paths: longest stored prefix, then host
    (
        "registry.example.com/org/repo",
        &["registry.example.com"],
        Some("registry.example.com"),
    ),
    (
        "registry.example.com/org/repo",
        &["registry.example.com", "registry.example.com/org"],
        Some("registry.example.com/org"),
    ),
    (
        "registry.example.com/org/repo",
        &["registry.example.com/org/repo", "registry.example.com/org"],
        Some("registry.example.com/org/repo"),
    ),
    (
        "registry.example.com/org/repo",
        &["registry.example.com/other"],
        None,
    ),
    (
        "registry.example.com/organization/repo",
        &["registry.example.com/org"],
        None,
    ),
    ("registry.example.com", &["registry.example.com/org"], None),
    (
        "registry.example.com/org/repo",
        &["https://registry.example.com/org/"],
        Some("https://registry.example.com/org/"),
    ),
    // lookalikes: subdomains, suffixes, prefixes, user@host tricks
    ("registry.example.com", &["evil.registry.example.com"], None),
    ("evil.registry.example.com", &["registry.example.com"], None),
    (
        "registry.example.com",
        &["registry.example.com.evil.com"],
        None,
    ),
    (
        "registry.example.com.evil.com",
        &["registry.example.com"],
        None,
    ),
    ("registry.example.comx", &["registry.example.com"], None),
    ("xregistry.example.com", &["registry.example.com"], None),
    (
        "registry.example.com@evil.com",
        &["registry.example.com"],
        None,
    ),
    (
        "https://registry.example.com@evil.com",
        &["registry.example.com"],
        None,
    ),
    (
        "https://user@registry.example.com",
        &["registry.example.com"],
        None,
    ),
    (
        "evil.com/registry.example.com",
        &["registry.example.com"],
        None,
    ),
    (
        "registry.example.com",
        &["evil.com/registry.example.com"],
        None,
    ),
    (
        "registry.example.com/../org",
        &["registry.example.com"],
        None,
    ),
    ("registry.example.com?x=1", &["registry.example.com"], None),
    (
        "ftp://registry.example.com",
        &["registry.example.com"],
        None,
    ),
    (
        "registry.example.com:5000x",
        &["registry.example.com"],
        None,
    ),
    ("registry.example.com:", &["registry.example.com"], None),
    ("", &["registry.example.com"], None),
    ("registry example.com", &["registry"], None),
    // opaque strings still match themselves exactly
    ("weird key@x", &["weird key@x"], Some("weird key@x")),
];

#[test]
fn resolve_table() {
    for (query, stored, want) in CASES {
        let got = resolve(query, stored.iter().copied());
        assert_eq!(got, *want, "query {query:?} against {stored:?}");
    }
}

#[test]
fn equivalents_ignore_path_fallback() {
    let stored = [
        "registry.example.com",
        "https://registry.example.com/",
        "registry.example.com/org",
        "http://registry.example.com",
    ];
    assert_eq!(
        equivalents("REGISTRY.example.com", stored),
        vec!["registry.example.com", "https://registry.example.com/"]
    );
    assert_eq!(
        equivalents("registry.example.com/org/repo", stored),
        Vec::<&str>::new()
    );
    assert_eq!(
        equivalents("http://registry.example.com", stored),
        vec!["http://registry.example.com"]
    );
    assert_eq!(
        equivalents("docker.io", ["https://index.docker.io/v1/"]),
        vec!["https://index.docker.io/v1/"]
    );
    assert_eq!(equivalents("a b", ["a b", "c"]), vec!["a b"]);
}

#[test]
fn same_registry_is_symmetric() {
    let addrs = [
        "registry.example.com",
        "https://registry.example.com",
        "http://registry.example.com",
        "registry.example.com:443",
        "registry.example.com:5000",
        "docker.io",
        "https://index.docker.io/v1/",
        "index.docker.io",
        "registry.example.com/org",
        "REGISTRY.example.com/",
        "x@y",
    ];
    for a in addrs {
        for b in addrs {
            assert_eq!(same_registry(a, b), same_registry(b, a), "{a} vs {b}");
        }
    }
    assert!(same_registry("docker.io", "https://index.docker.io/v1/"));
    assert!(!same_registry(
        "http://registry.example.com",
        "registry.example.com"
    ));
}

#[test]
fn address_parts() {
    let a = Address::parse("HTTPS://Registry.Example.com:5000/org/").unwrap();
    assert_eq!(a.scheme, Scheme::Https);
    assert_eq!(a.host_port(), "registry.example.com:5000");
    assert_eq!(a.path, vec!["org"]);
    assert!(
        Address::parse("https://index.docker.io/v1/")
            .unwrap()
            .is_docker_hub()
    );
    assert!(!Address::parse("docker.io:5000").unwrap().is_docker_hub());
}

#[test]
fn registry_keys_must_be_addresses() {
    for ok in [
        "registry.example.com",
        "https://index.docker.io/v1/",
        "http://r.io:5000/team/app",
        "[::1]:5000",
        "123.dkr.ecr.us-east-1.amazonaws.com",
        "r_1.example/x~a-b",
    ] {
        assert_eq!(check_address(ok), Ok(()), "{ok}");
    }
    let long = format!("r.io/{}", "a".repeat(MAX_ADDRESS_LEN));
    for (bad, reason) in [
        ("", "it is empty"),
        ("a.example.com,b.example.com", "it contains a comma"),
        ("r.io team", "it contains white space"),
        ("*.example.com", "it contains '*'"),
        ("r.io\x1b]0;x\x07", "it contains a control character"),
        ("r.io/\u{202E}x", "it contains '\\u{202e}'"),
        ("r.io/a;b", "it contains ';'"),
        ("ftp://r.io", "it is not [scheme://]host[:port][/path]"),
        ("r.io:99999", "it is not [scheme://]host[:port][/path]"),
        ("r.io/../x", "it is not [scheme://]host[:port][/path]"),
        (long.as_str(), "it is longer than 1024 bytes"),
    ] {
        let e = check_address(bad).unwrap_err();
        assert_eq!(e.reason, reason, "{bad:?}");
        let line = e.to_string();
        assert!(!line.contains(['\n', '\x1b', '\x07']), "{line}");
    }
}
