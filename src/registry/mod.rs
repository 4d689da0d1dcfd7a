//! Registry address matching: which stored server address answers a query.
//!
//! Clients ask for the same registry in different spellings: the docker CLI sends `host:port`,
//! podman sends `docker.io`, crane sends `host/org/repo` first. The rules (docs/protocol.md §7):
//!
//! 1. The exact string always wins.
//! 2. Then an *equivalent form*: host compared case-insensitively, a trailing `/` ignored,
//!    `:443` on https (and `:80` on http) the same as no port, a scheme-less address the same as
//!    `https://` (and the same as `http://` only when no https form is stored). The Docker Hub
//!    aliases `docker.io`, `index.docker.io`, `registry-1.docker.io` and
//!    `https://index.docker.io/v1/` are one registry.
//! 3. A query with a repository path (`host/org/repo`) falls back to the longest stored path
//!    prefix (whole segments only), then to the bare host.
//!
//! Nothing ever matches across a host, a non-default port, or an explicit `http`/`https`
//! boundary. Anything that does not parse as a plain `[scheme://]host[:port][/path]`
//! (user info `a@b`, query strings, other schemes, odd characters) matches only itself.

/// The canonical host every Docker Hub alias maps to.
pub const DOCKER_HUB_HOST: &str = "docker.io";
/// The key the docker CLI (and kubectl) use for Docker Hub.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";
/// The hosts that are all Docker Hub.
pub const DOCKER_HUB_ALIASES: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];
/// The Username with which the docker CLI stores an identity (refresh) token as the secret.
pub const TOKEN_USERNAME: &str = "<token>";

/// The scheme an address was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scheme {
    /// No scheme: means https, or http when only that is stored.
    Unspecified,
    Https,
    Http,
}

/// A parsed registry address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The scheme as written.
    pub scheme: Scheme,
    /// Lowercased host (IPv6 literals keep their brackets); `docker.io` for every Hub alias.
    pub host: String,
    /// The port, `None` when absent or the scheme's default.
    pub port: Option<u16>,
    /// Non-empty path segments (a lone `v1`/`v2` API prefix removed).
    pub path: Vec<String>,
}

impl Address {
    /// Parse `[http[s]://]host[:port][/path]`; `None` for anything else.
    pub fn parse(input: &str) -> Option<Address> {
        let (scheme, rest) = split_scheme(input)?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') || path.contains(['?', '#', '@']) {
            return None;
        }
        let (host, port) = split_host_port(authority)?;
        let mut host = host.to_ascii_lowercase();
        let default_port = match scheme {
            Scheme::Http => 80,
            Scheme::Https | Scheme::Unspecified => 443,
        };
        let port = port.filter(|&p| p != default_port);
        let mut path: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if path
            .iter()
            .any(|s| s == "." || s == ".." || s.chars().any(char::is_whitespace))
        {
            return None;
        }
        let hub = port.is_none() && DOCKER_HUB_ALIASES.contains(&host.as_str());
        if hub {
            host = DOCKER_HUB_HOST.to_owned();
            if path.first().is_some_and(|s| s == "v1" || s == "v2") {
                path.remove(0);
            }
        } else if path.len() == 1 && (path[0] == "v1" || path[0] == "v2") {
            path.clear();
        }
        Some(Address {
            scheme,
            host,
            port,
            path,
        })
    }

    /// Whether this is Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        self.host == DOCKER_HUB_HOST && self.port.is_none()
    }

    /// `host[:port]`, lowercase, as the kubelet and the docker CLI key a registry.
    pub fn host_port(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }

    fn same_host(&self, other: &Address) -> bool {
        self.host == other.host && self.port == other.port
    }

    fn path_is_prefix_of(&self, other: &Address) -> bool {
        other.path.starts_with(&self.path)
    }
}

/// How a stored address's scheme relates to a query's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SchemeFit {
    /// Written the same way.
    Same,
    /// Scheme-less against https: the same registry.
    Equivalent,
    /// A scheme-less query against an `http://` entry: used only when nothing better exists.
    HttpFallback,
}

fn scheme_fit(query: Scheme, stored: Scheme) -> Option<SchemeFit> {
    use Scheme::*;
    match (query, stored) {
        (q, s) if q == s => Some(SchemeFit::Same),
        (Unspecified, Https) | (Https, Unspecified) => Some(SchemeFit::Equivalent),
        (Unspecified, Http) => Some(SchemeFit::HttpFallback),
        _ => None,
    }
}

fn split_scheme(input: &str) -> Option<(Scheme, &str)> {
    match input.find("://") {
        None => Some((Scheme::Unspecified, input)),
        Some(i) => {
            let scheme = &input[..i];
            let rest = &input[i + 3..];
            if scheme.eq_ignore_ascii_case("https") {
                Some((Scheme::Https, rest))
            } else if scheme.eq_ignore_ascii_case("http") {
                Some((Scheme::Http, rest))
            } else {
                None
            }
        }
    }
}

fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let end = v6.find(']')?;
        let host = &authority[..end + 2];
        let after = &v6[end + 1..];
        if !v6[..end]
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return None;
        }
        match after {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':')?)),
        }
    } else {
        let mut parts = authority.splitn(2, ':');
        let host = parts.next()?;
        let valid = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_';
        if host.is_empty() || !host.chars().all(valid) {
            return None;
        }
        (host, parts.next())
    };
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().ok()?)
        }
        Some(_) => return None,
    };
    Some((host, port))
}

/// The stored address that answers `query` for `get`, by the rules in the module docs.
pub fn resolve<'a>(query: &str, stored: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let stored: Vec<&'a str> = stored.into_iter().collect();
    if let Some(exact) = stored.iter().find(|s| **s == query) {
        return Some(exact);
    }
    let q = Address::parse(query)?;
    let candidates: Vec<(&'a str, Address, SchemeFit)> = stored
        .iter()
        .filter_map(|s| {
            let a = Address::parse(s)?;
            let fit = scheme_fit(q.scheme, a.scheme)?;
            (a.same_host(&q) && a.path_is_prefix_of(&q)).then_some((*s, a, fit))
        })
        .collect();
    // An http entry answers a scheme-less query only when no https-equivalent entry exists.
    let strong = candidates.iter().any(|c| c.2 != SchemeFit::HttpFallback);
    candidates
        .into_iter()
        .filter(|c| !strong || c.2 != SchemeFit::HttpFallback)
        .min_by(|a, b| {
            b.1.path
                .len()
                .cmp(&a.1.path.len())
                .then(a.2.cmp(&b.2))
                .then(a.0.cmp(b.0))
        })
        .map(|c| c.0)
}

/// Every stored spelling that can answer `query` for `get`, best first: the first of them that
/// is stored is what [`resolve`] picks, so a backend answers a query with exact lookups (a miss
/// costs a fixed number of them, whatever the keychain holds) instead of listing everything.
///
/// The list is the query itself, then each *regular* spelling of every address that matches:
/// no scheme, `https://` or `http://` (lowercase, or as the query wrote its own); the host in
/// lowercase or as the query spelled it (every alias for Docker Hub); the port as a plain
/// number, and a default port either absent or written (`:443`, `:80`); the path's segments one
/// `/` apart, with or without one trailing `/`, and on a bare host also `/v1` and `/v2`. Stored
/// strings outside that family (a host in another mixed case than the query's, `HTTPS://`,
/// `//` inside the path, a zero-padded port) are found by exact query only: enumerating their
/// spellings has no end, and finding them otherwise means reading every entry (what a miss must
/// not cost). `tests/it/properties.rs` checks the claim against `resolve`.
pub fn candidates(query: &str) -> Vec<String> {
    let mut out = vec![query.to_owned()];
    let Some(q) = Address::parse(query) else {
        return out;
    };
    // The query's own spellings of scheme and host (validated by the parse above).
    let (raw_scheme, rest) = match query.find("://") {
        Some(i) => (&query[..i + 3], &query[i + 3..]),
        None => ("", query),
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    let raw_host = split_host_port(authority).map_or(q.host.as_str(), |(h, _)| h);
    let scheme_spellings = |scheme: Scheme| -> Vec<&str> {
        let plain = match scheme {
            Scheme::Unspecified => "",
            Scheme::Https => "https://",
            Scheme::Http => "http://",
        };
        let mut v = vec![plain];
        if scheme == q.scheme && raw_scheme != plain {
            v.push(raw_scheme);
        }
        v
    };
    let mut hosts: Vec<&str> = if q.is_docker_hub() {
        DOCKER_HUB_ALIASES.to_vec()
    } else {
        vec![q.host.as_str()]
    };
    if !hosts.contains(&raw_host) {
        hosts.push(raw_host);
    }
    let schemes: &[Scheme] = match q.scheme {
        Scheme::Unspecified => &[Scheme::Unspecified, Scheme::Https, Scheme::Http],
        Scheme::Https => &[Scheme::Https, Scheme::Unspecified],
        Scheme::Http => &[Scheme::Http],
    };
    let mut spellings = Vec::new();
    for len in 0..=q.path.len() {
        let joined = q.path[..len].join("/");
        let paths: Vec<String> = if len == 0 {
            ["", "/", "/v1", "/v1/", "/v2", "/v2/"]
                .map(String::from)
                .to_vec()
        } else {
            vec![format!("/{joined}"), format!("/{joined}/")]
        };
        for &scheme in schemes {
            let ports = match (q.port, scheme) {
                (Some(p), _) => vec![format!(":{p}")],
                (None, Scheme::Http) => vec![String::new(), ":80".to_owned()],
                (None, _) => vec![String::new(), ":443".to_owned()],
            };
            for prefix in scheme_spellings(scheme) {
                for host in &hosts {
                    for port in &ports {
                        for path in &paths {
                            spellings.push(format!("{prefix}{host}{port}{path}"));
                        }
                    }
                }
            }
        }
    }
    // Keep what `resolve` would take on its own, in `resolve`'s order: an http entry for a
    // scheme-less query only after every https-equivalent one, then the longest path, the
    // closer scheme, the smaller string.
    let mut ranked: Vec<(bool, std::cmp::Reverse<usize>, SchemeFit, String)> = spellings
        .into_iter()
        .filter(|s| s != query)
        .filter_map(|s| {
            let a = Address::parse(&s)?;
            let fit = scheme_fit(q.scheme, a.scheme)?;
            (a.same_host(&q) && a.path_is_prefix_of(&q)).then(|| {
                (
                    fit == SchemeFit::HttpFallback,
                    std::cmp::Reverse(a.path.len()),
                    fit,
                    s,
                )
            })
        })
        .collect();
    ranked.sort();
    ranked.dedup_by(|a, b| a.3 == b.3);
    out.extend(ranked.into_iter().map(|r| r.3));
    out
}

/// The registry an address names, as the address rules compare it: `host[:port]`, host
/// lowercase, a default port dropped, every Docker Hub alias `docker.io`. An address answers a
/// query other than itself only when their keys are equal, so a backend that files entries
/// under this key finds every spelling of a registry with one lookup. `None` for what does not
/// parse (it answers only itself).
pub fn registry_key(address: &str) -> Option<String> {
    Address::parse(address).map(|a| a.host_port())
}

/// The key the docker CLI files a registry under: Docker Hub's `https://index.docker.io/v1/`,
/// else the address without scheme and path (its `ConvertToHostname`). What `docker login`
/// stores, and what docker asks a helper for.
pub fn docker_hostname(query: &str) -> String {
    if registry_key(query).as_deref() == Some(DOCKER_HUB_HOST) {
        return DOCKER_HUB_KEY.to_owned();
    }
    convert_to_hostname(query)
}

/// The docker CLI's `ConvertToHostname`: strip `http://` or `https://`, cut at the first `/`.
pub fn convert_to_hostname(address: &str) -> String {
    let rest = address
        .strip_prefix("http://")
        .or_else(|| address.strip_prefix("https://"))
        .unwrap_or(address);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

/// The spellings other clients' helpers store for the registry of `query` that answer it,
/// the query itself first: the docker CLI stores `host[:port]` (Docker Hub:
/// `https://index.docker.io/v1/`), podman and skopeo `host[:port]` (Hub: `docker.io`), crane
/// and oras `host` or `https://host`. For a keychain shared with those writers where each
/// lookup costs a scan (the Secret Service): their entries under other spellings (a path, a
/// written default port, `http://`) answer only their exact string.
pub fn writer_spellings(query: &str) -> Vec<String> {
    let mut out = vec![query.to_owned()];
    let Some(q) = Address::parse(query) else {
        return out;
    };
    let spellings = if q.is_docker_hub() {
        vec![DOCKER_HUB_KEY.to_owned(), DOCKER_HUB_HOST.to_owned()]
    } else {
        let host_port = q.host_port();
        vec![format!("https://{host_port}"), host_port]
    };
    for s in spellings {
        if !out.contains(&s) && resolve(query, [s.as_str()]) == Some(s.as_str()) {
            out.push(s);
        }
    }
    out
}

/// Every stored address that names the same registry *and path* as `query` (no prefix
/// fallback): what `erase` removes when the exact string is not stored.
pub fn equivalents<'a>(query: &str, stored: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let Some(q) = Address::parse(query) else {
        return stored.into_iter().filter(|s| *s == query).collect();
    };
    let matches: Vec<(&'a str, SchemeFit)> = stored
        .into_iter()
        .filter_map(|s| {
            let a = Address::parse(s)?;
            let fit = scheme_fit(q.scheme, a.scheme)?;
            (a.same_host(&q) && a.path == q.path).then_some((s, fit))
        })
        .collect();
    let strong = matches.iter().any(|m| m.1 != SchemeFit::HttpFallback);
    matches
        .into_iter()
        .filter(|m| !strong || m.1 != SchemeFit::HttpFallback)
        .map(|m| m.0)
        .collect()
}

/// A registry key (from the keychain, docker's config, another helper's list) that is not a
/// registry address, and so is never put into a pull secret nor into the annotation listing
/// push's registries there (where a comma would make one key two).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{shown:?} is not a registry address ({reason}): keep its credentials under [https://]host[:port][/path], e.g. `docker login registry.example.com`"
)]
pub struct NotAddress {
    /// The key as one printable, bounded line.
    pub shown: String,
    pub reason: String,
}

/// Check that `key` is a registry address: `[http[s]://]host[:port][/path]` as [`Address`]
/// parses it, made of letters, digits and `-._~:/[]` only (no comma, white space, `*`, control
/// or other characters), at most [`MAX_ADDRESS_LEN`] bytes.
pub fn check_address(key: &str) -> Result<(), NotAddress> {
    let reason = if key.is_empty() {
        Some("it is empty".to_owned())
    } else if key.len() > MAX_ADDRESS_LEN {
        Some(format!("it is longer than {MAX_ADDRESS_LEN} bytes"))
    } else if let Some(c) = key.chars().find(|c| !address_char(*c)) {
        Some(match c {
            ',' => "it contains a comma".to_owned(),
            '*' => "it contains '*'".to_owned(),
            c if c.is_control() => "it contains a control character".to_owned(),
            c if c.is_whitespace() => "it contains white space".to_owned(),
            c => format!("it contains {c:?}"),
        })
    } else if Address::parse(key).is_none() {
        Some("it is not [scheme://]host[:port][/path]".to_owned())
    } else {
        None
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(NotAddress {
            shown: crate::untrusted::line(key, 100),
            reason,
        }),
    }
}

/// The longest registry key taken: a host is at most 253 bytes, a repository name (host and
/// path) at most 255 in the distribution spec; this leaves room for a scheme, a port and more.
pub const MAX_ADDRESS_LEN: usize = 1024;

fn address_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | ':' | '/' | '[' | ']')
}

/// Whether two addresses name the same registry and path (symmetric; http never equals https).
pub fn same_registry(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (Address::parse(a), Address::parse(b)) {
        (Some(x), Some(y)) => {
            x.same_host(&y)
                && x.path == y.path
                && matches!(
                    scheme_fit(x.scheme, y.scheme),
                    Some(SchemeFit::Same | SchemeFit::Equivalent)
                )
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
