//! The item layout of Docker's `docker-credential-osxkeychain` (v0.9): which internet-password
//! attributes a server URL becomes, and which server URL an item's attributes list as. Pure
//! functions, compiled and tested on every platform; the macOS calls that read and write the
//! keychain with them are in `macos.rs`.
//!
//! What Docker's helper does (its `Add`, `Get`, `Delete`, `List` and `splitServer`):
//! - the server URL is parsed as its `registryurl.Parse` does (Go's `net/url` with `//`
//!   prepended when there is no `://`; only `http`, `https` or no scheme; a host required);
//! - it becomes `kSecAttrProtocol` (`htps`, or `http` for an `http://` URL), `kSecAttrServer`
//!   (the host name without brackets or port), `kSecAttrPort` (only when not 0) and
//!   `kSecAttrPath` (the unescaped path, only when not empty): `Get` and `Delete` query these;
//! - `Add` writes an internet password (`kSecClassInternetPassword`) with those, plus the label
//!   `Docker Credentials`, the account (the username) and the authentication type `dflt`; the
//!   data is the secret's UTF-8 bytes;
//! - `List` shows every internet password labelled `Docker Credentials` as
//!   `https://` (protocol `htps`, else `http://`) + host (`[host]:port` when a port is set) +
//!   path, written as Go's `url.URL.String` writes it.

use std::fmt;

/// The label of every item (Docker's `credentials.CredsLabel`).
pub const LABEL: &str = "Docker Credentials";
/// The authentication type `Add` writes, for helpers older than v0.9 that query it.
pub const AUTHENTICATION_TYPE: &str = "dflt";
/// `kSecAttrProtocolHTTPS` (four characters: "htps" is not a typo).
pub const PROTOCOL_HTTPS: &str = "htps";
/// `kSecAttrProtocolHTTP`.
pub const PROTOCOL_HTTP: &str = "http";
/// `kSecClassInternetPassword`.
pub const CLASS_INTERNET_PASSWORD: &str = "inet";
/// `kSecClassGenericPassword` (the items of earlier versions of ours).
pub const CLASS_GENERIC_PASSWORD: &str = "genp";

/// A keychain item attribute, by its Security framework constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attr {
    /// `kSecClass`
    Class,
    /// `kSecAttrLabel`
    Label,
    /// `kSecAttrAccount`
    Account,
    /// `kSecAttrProtocol`
    Protocol,
    /// `kSecAttrServer`
    Server,
    /// `kSecAttrPort`
    Port,
    /// `kSecAttrPath`
    Path,
    /// `kSecAttrAuthenticationType`
    AuthenticationType,
    /// `kSecAttrService` (generic passwords only)
    Service,
}

impl Attr {
    /// The constant's value: the key of the attribute in the dictionaries the keychain takes
    /// and returns.
    pub fn code(self) -> &'static str {
        match self {
            Attr::Class => "class",
            Attr::Label => "labl",
            Attr::Account => "acct",
            Attr::Protocol => "ptcl",
            Attr::Server => "srvr",
            Attr::Port => "port",
            Attr::Path => "path",
            Attr::AuthenticationType => "atyp",
            Attr::Service => "svce",
        }
    }
}

/// An attribute's value: a string (`CFString`) or a 32-bit number (`CFNumber`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    Text(String),
    Number(i32),
}

/// Attributes in the order they are written.
pub type Attributes = Vec<(Attr, Value)>;

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// Why Docker's helper cannot file a server URL (it refuses it the same way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadServer(pub &'static str);

impl fmt::Display for BadServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Where an internet password is filed: the attributes `Get` and `Delete` query. `port` 0 and an
/// empty `path` are attributes left out (go-keychain drops a zero or empty value).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    /// `htps` or `http` (an item of another program may hold another code).
    pub protocol: String,
    /// The host name, after the namespace (none outside the tests).
    pub server: String,
    pub port: i32,
    pub path: String,
}

impl Address {
    /// The query of Docker's `Get` and `Delete`: class, protocol, server, port (when not 0),
    /// path (when not empty).
    ///
    /// docker-credential-helpers osxkeychain: `item.SetProtocol(kSecProtocolTypeHTTPS)`,
    /// `item.SetServer(u.Hostname())`, `item.SetPort(int32(port))`, `item.SetPath(u.Path)`.
    pub fn query(&self) -> Attributes {
        let mut attrs = vec![
            (Attr::Class, text(CLASS_INTERNET_PASSWORD)),
            (Attr::Protocol, text(&self.protocol)),
        ];
        if !self.server.is_empty() {
            attrs.push((Attr::Server, text(&self.server)));
        }
        if self.port != 0 {
            attrs.push((Attr::Port, Value::Number(self.port)));
        }
        if !self.path.is_empty() {
            attrs.push((Attr::Path, text(&self.path)));
        }
        attrs
    }

    /// The attributes of the item Docker's `Add` writes here for `username` (the data is the
    /// secret's UTF-8 bytes).
    ///
    /// docker-credential-helpers osxkeychain: `item.SetSecClass(keychain.SecClassInternetPassword)`,
    /// `item.SetLabel(credentials.CredsLabel)`, `item.SetAccount(creds.Username)`,
    /// `item.SetData([]byte(creds.Secret))`, `item.SetAuthenticationType("dflt")`.
    pub fn item(&self, username: &str) -> Attributes {
        let mut attrs = vec![
            (Attr::Class, text(CLASS_INTERNET_PASSWORD)),
            (Attr::Label, text(LABEL)),
        ];
        if !username.is_empty() {
            attrs.push((Attr::Account, text(username)));
        }
        attrs.push((Attr::AuthenticationType, text(AUTHENTICATION_TYPE)));
        attrs.extend(self.query().into_iter().skip(1));
        attrs
    }

    /// The address of an item from the attributes the keychain returned.
    pub fn of_item(item: &[(Attr, Value)]) -> Address {
        let get = |attr: Attr| {
            item.iter()
                .find(|(a, _)| *a == attr)
                .map(|(_, v)| v.clone())
        };
        let text = |attr: Attr| match get(attr) {
            Some(Value::Text(s)) => s,
            _ => String::new(),
        };
        Address {
            protocol: text(Attr::Protocol),
            server: text(Attr::Server),
            port: match get(Attr::Port) {
                Some(Value::Number(n)) => n,
                _ => 0,
            },
            path: text(Attr::Path),
        }
    }

    /// The key Docker's `List` shows for an item here, the namespace taken off the server;
    /// `None` for an item outside the namespace.
    ///
    /// docker-credential-helpers osxkeychain: `proto := "http"; if r.Protocol ==
    /// kSecProtocolTypeHTTPS { proto = "https" }`, `host = net.JoinHostPort(host,
    /// strconv.Itoa(int(r.Port)))` when the port is not 0, `u := url.URL{Scheme: proto, Host:
    /// host, Path: r.Path}; resp[u.String()] = r.Account`.
    pub fn listed_name(&self, namespace: &str) -> Option<String> {
        let server = self.server.strip_prefix(namespace)?;
        let scheme = if self.protocol == PROTOCOL_HTTPS {
            "https"
        } else {
            "http"
        };
        let host = if self.port != 0 {
            if server.contains(':') {
                format!("[{server}]:{}", self.port)
            } else {
                format!("{server}:{}", self.port)
            }
        } else {
            server.to_owned()
        };
        // url.URL.String: "scheme:", then "//" when there is a host or a path, the escaped host,
        // a "/" when the path does not start with one, the escaped path.
        let mut out = format!("{scheme}:");
        if !host.is_empty() || !self.path.is_empty() {
            out.push_str("//");
        }
        out.push_str(&escape(&host, Mode::Host));
        let path = escape(&self.path, Mode::Path);
        if !path.is_empty() && !path.starts_with('/') && !host.is_empty() {
            out.push('/');
        }
        out.push_str(&path);
        Some(out)
    }
}

/// Where Docker's helper files `server_url` (prefixed by `namespace`, empty outside the tests).
/// The store path: user information, a query and a fragment are dropped, as Docker drops them.
pub fn address(server_url: &str, namespace: &str) -> Result<Address, BadServer> {
    parse(server_url, namespace).map(|(address, _)| address)
}

/// Where `server_url` is filed when it names that place and nothing else: `None` when Docker's
/// helper refuses it, or when it carries user information, a query or a fragment (Docker drops
/// them, so they would alias another address; our address rules match such strings only by
/// themselves).
pub fn exact_address(server_url: &str, namespace: &str) -> Option<Address> {
    match parse(server_url, namespace) {
        Ok((address, false)) => Some(address),
        _ => None,
    }
}

/// registryurl.Parse, then splitServer. The flag: something was dropped (user information, a
/// query, a fragment).
fn parse(server_url: &str, namespace: &str) -> Result<(Address, bool), BadServer> {
    let raw = if !server_url.contains("://") && !server_url.starts_with("//") {
        format!("//{server_url}")
    } else {
        server_url.to_owned()
    };
    let url = go_url_parse(&raw)?;
    if !matches!(url.scheme.as_str(), "" | "https" | "http") {
        return Err(BadServer(
            "only http:// and https:// server URLs can be kept in the macOS keychain",
        ));
    }
    let (hostname, port) = split_host_port(&url.host);
    if hostname.is_empty() {
        return Err(BadServer("the server URL has no host name"));
    }
    let port = match port {
        "" => 0,
        digits => digits
            .parse::<i32>()
            .map_err(|_| BadServer("the server URL's port is out of range"))?,
    };
    let address = Address {
        protocol: if url.scheme == "http" {
            PROTOCOL_HTTP
        } else {
            PROTOCOL_HTTPS
        }
        .to_owned(),
        server: format!("{namespace}{hostname}"),
        port,
        path: url.path,
    };
    Ok((address, url.dropped))
}

/// The parts of Go's `url.URL` that Docker's helper uses.
struct GoUrl {
    scheme: String,
    /// Unescaped `host[:port]`.
    host: String,
    /// Unescaped path.
    path: String,
    /// User information, a query or a fragment was present.
    dropped: bool,
}

const BAD_URL: BadServer = BadServer("the server URL does not parse as a URL");

/// Go's `url.Parse`, for the absolute and `//`-relative forms registryurl.Parse hands it.
fn go_url_parse(raw: &str) -> Result<GoUrl, BadServer> {
    let (raw, fragment) = match raw.split_once('#') {
        Some((u, f)) => (u, Some(f)),
        None => (raw, None),
    };
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(BadServer("the server URL holds a control character"));
    }
    let (scheme, rest) = get_scheme(raw)?;
    let scheme = scheme.to_ascii_lowercase();
    let mut dropped = fragment.is_some_and(|f| !f.is_empty());
    if let Some(f) = fragment {
        unescape(f, Mode::Fragment)?;
    }
    let rest = if rest.ends_with('?') && rest.matches('?').count() == 1 {
        dropped = true;
        &rest[..rest.len() - 1]
    } else if let Some((before, _query)) = rest.split_once('?') {
        dropped = true;
        before
    } else {
        rest
    };
    if !rest.starts_with('/') {
        if !scheme.is_empty() {
            // An opaque URL (`scheme:rest`): no host.
            return Ok(GoUrl {
                scheme,
                host: String::new(),
                path: String::new(),
                dropped,
            });
        }
        if rest.split('/').next().is_some_and(|s| s.contains(':')) {
            return Err(BAD_URL);
        }
    }
    let mut host = String::new();
    let mut path = rest;
    if (!scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let authority = &rest[2..];
        let (authority, tail) = match authority.find('/') {
            Some(i) => (&authority[..i], &authority[i..]),
            None => (authority, ""),
        };
        path = tail;
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        host = parse_host(hostport)?;
        if let Some(userinfo) = userinfo {
            if !valid_userinfo(userinfo) {
                return Err(BAD_URL);
            }
            for part in userinfo.splitn(2, ':') {
                unescape(part, Mode::UserPassword)?;
            }
            dropped = true;
        }
    }
    let path = unescape(path, Mode::Path)?;
    Ok(GoUrl {
        scheme,
        host,
        path,
        dropped,
    })
}

/// Go's `getScheme`: `[a-zA-Z][a-zA-Z0-9+-.]*:` or no scheme.
fn get_scheme(raw: &str) -> Result<(&str, &str), BadServer> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err(BAD_URL),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// Go's `parseHost`: `host[:port]` or `[ipv6%25zone]:port`, unescaped.
fn parse_host(host: &str) -> Result<String, BadServer> {
    if host.starts_with('[') {
        let i = host.rfind(']').ok_or(BAD_URL)?;
        if !valid_optional_port(&host[i + 1..]) {
            return Err(BAD_URL);
        }
        if let Some(zone) = host[..i].find("%25") {
            let mut out = unescape(&host[..zone], Mode::Host)?;
            out.push_str(&unescape(&host[zone..i], Mode::Zone)?);
            out.push_str(&unescape(&host[i..], Mode::Host)?);
            return Ok(out);
        }
    } else if let Some(i) = host.rfind(':')
        && !valid_optional_port(&host[i..])
    {
        return Err(BAD_URL);
    }
    unescape(host, Mode::Host)
}

/// Go's `validOptionalPort`: empty, or `:` and digits.
fn valid_optional_port(port: &str) -> bool {
    port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// Go's `splitHostPort` (as `url.Hostname` and `url.Port` use it).
fn split_host_port(host_port: &str) -> (&str, &str) {
    let mut host = host_port;
    let mut port = "";
    if let Some(colon) = host.rfind(':')
        && valid_optional_port(&host[colon..])
    {
        port = &host[colon + 1..];
        host = &host[..colon];
    }
    if host.starts_with('[') && host.ends_with(']') && host.len() >= 2 {
        host = &host[1..host.len() - 1];
    }
    (host, port)
}

/// Go's `validUserinfo`.
fn valid_userinfo(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '-' | '.'
                    | '_'
                    | ':'
                    | '~'
                    | '!'
                    | '$'
                    | '&'
                    | '\''
                    | '('
                    | ')'
                    | '*'
                    | '+'
                    | ','
                    | ';'
                    | '='
                    | '%'
                    | '@'
            )
    })
}

/// The parts of a URL Go's escaping treats differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
    Fragment,
}

/// Go's `shouldEscape` for the modes used here.
fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Mode::Host | Mode::Zone)
        && matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
        )
    {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => {
            return match mode {
                Mode::Path => c == b'?',
                Mode::UserPassword => matches!(c, b'@' | b'/' | b'?' | b':'),
                Mode::Fragment => false,
                Mode::Host | Mode::Zone => true,
            };
        }
        _ => {}
    }
    if mode == Mode::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

/// Go's `unescape`: `%XX` decoded, malformed escapes and (in a host) bytes that need escaping
/// refused. The result must be UTF-8: the keychain's attributes are strings.
fn unescape(s: &str, mode: Mode) -> Result<String, BadServer> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let (Some(&h), Some(&l)) = (b.get(i + 1), b.get(i + 2)) else {
                    return Err(BAD_URL);
                };
                let (Some(h), Some(l)) = (hex(h), hex(l)) else {
                    return Err(BAD_URL);
                };
                let v = h << 4 | l;
                if mode == Mode::Host && h < 8 && &s[i..i + 3] != "%25" {
                    return Err(BAD_URL);
                }
                if mode == Mode::Zone
                    && &s[i..i + 3] != "%25"
                    && v != b' '
                    && should_escape(v, Mode::Host)
                {
                    return Err(BAD_URL);
                }
                out.push(v);
                i += 3;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape(c, mode) {
                    return Err(BadServer(
                        "the server URL's host holds a character hosts cannot",
                    ));
                }
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| BadServer("the server URL is not UTF-8 once unescaped"))
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Go's `escape` for a path or a host.
fn escape(s: &str, mode: Mode) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if should_escape(c, mode) {
            out.push_str(&format!("%{c:02X}"));
        } else {
            out.push(c as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn https(server: &str, port: i32, path: &str) -> Address {
        Address {
            protocol: PROTOCOL_HTTPS.to_owned(),
            server: server.to_owned(),
            port,
            path: path.to_owned(),
        }
    }

    #[test]
    fn the_attributes_docker_add_writes() {
        // docker-credential-helpers osxkeychain: Add sets class, label, account, data,
        // authentication type "dflt", then splitServer's protocol, server, port and path.
        let a = address("https://registry.example.com:5000/team/x", "").unwrap();
        assert_eq!(
            a.item("alice"),
            vec![
                (Attr::Class, text("inet")),
                (Attr::Label, text("Docker Credentials")),
                (Attr::Account, text("alice")),
                (Attr::AuthenticationType, text("dflt")),
                (Attr::Protocol, text("htps")),
                (Attr::Server, text("registry.example.com")),
                (Attr::Port, Value::Number(5000)),
                (Attr::Path, text("/team/x")),
            ]
        );
        let codes: Vec<&str> = a.item("alice").iter().map(|(k, _)| k.code()).collect();
        assert_eq!(
            codes,
            [
                "class", "labl", "acct", "atyp", "ptcl", "srvr", "port", "path"
            ]
        );
    }

    #[test]
    fn the_query_docker_get_and_delete_use() {
        // No port and no path: those attributes are left out, not written as 0 or "".
        assert_eq!(
            address("registry.example.com", "").unwrap().query(),
            vec![
                (Attr::Class, text("inet")),
                (Attr::Protocol, text("htps")),
                (Attr::Server, text("registry.example.com")),
            ]
        );
        assert_eq!(
            address("http://localhost:0/", "").unwrap().query(),
            vec![
                (Attr::Class, text("inet")),
                (Attr::Protocol, text("http")),
                (Attr::Server, text("localhost")),
                (Attr::Path, text("/")),
            ]
        );
    }

    #[test]
    fn server_urls_become_docker_addresses() {
        for (url, want) in [
            ("registry.example.com", https("registry.example.com", 0, "")),
            (
                "https://registry.example.com",
                https("registry.example.com", 0, ""),
            ),
            (
                "HTTPS://Registry.Example.com/",
                https("Registry.Example.com", 0, "/"),
            ),
            (
                "https://index.docker.io/v1/",
                https("index.docker.io", 0, "/v1/"),
            ),
            ("a.example.com:5000", https("a.example.com", 5000, "")),
            ("[::1]:5000/v2", https("::1", 5000, "/v2")),
            ("r.example.com/a%20b", https("r.example.com", 0, "/a b")),
            ("r.example.com?x=1#f", https("r.example.com", 0, "")),
            ("user:pw@r.example.com", https("r.example.com", 0, "")),
        ] {
            assert_eq!(address(url, "").unwrap(), want, "{url}");
        }
        let http = address("http://r.example.com:80", "ns:").unwrap();
        assert_eq!(
            (http.protocol.as_str(), http.server.as_str(), http.port),
            ("http", "ns:r.example.com", 80)
        );
    }

    #[test]
    fn what_docker_refuses_is_refused() {
        for bad in [
            "ftp://r.example.com",
            "https://",
            "/just/a/path",
            ":5000",
            "r.example.com:abc",
            "r.example.com/%zz",
            "r.exa mple.com",
            "r.example.com\n",
            "https://r.example.com:99999999999",
        ] {
            assert!(address(bad, "").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn exact_lookups_skip_urls_docker_would_alias() {
        assert!(exact_address("https://r.example.com/x", "").is_some());
        for aliased in [
            "https://user@r.example.com",
            "r.example.com@evil.example.com",
            "r.example.com?q",
            "r.example.com#f",
        ] {
            assert_eq!(exact_address(aliased, ""), None, "{aliased}");
        }
    }

    #[test]
    fn items_list_as_docker_lists_them() {
        for (url, listed) in [
            ("registry.example.com", "https://registry.example.com"),
            ("a.example.com:5000", "https://a.example.com:5000"),
            ("https://index.docker.io/v1/", "https://index.docker.io/v1/"),
            ("http://h.example.com/p", "http://h.example.com/p"),
            ("[::1]:5000", "https://[::1]:5000"),
            ("r.example.com/a%20b?x", "https://r.example.com/a%20b"),
            ("r.example.com/ü", "https://r.example.com/%C3%BC"),
        ] {
            let a = address(url, "").unwrap();
            assert_eq!(a.listed_name("").as_deref(), Some(listed), "{url}");
            // What Docker lists files where the item is.
            assert_eq!(address(listed, "").unwrap(), a, "{listed}");
        }
        let mut other = https("x.example.com", 0, "");
        other.protocol = "ftp ".to_owned();
        assert_eq!(other.listed_name("").unwrap(), "http://x.example.com");
    }

    #[test]
    fn a_namespace_prefixes_the_server_and_hides_the_rest() {
        let a = address("r.example.com:5000", "dck-test-1:").unwrap();
        assert_eq!(a.server, "dck-test-1:r.example.com");
        assert_eq!(
            a.listed_name("dck-test-1:").as_deref(),
            Some("https://r.example.com:5000")
        );
        assert_eq!(a.listed_name("dck-test-2:"), None);
    }

    #[test]
    fn found_items_read_back_to_their_address() {
        let a = address("https://r.example.com:444/p", "").unwrap();
        assert_eq!(Address::of_item(&a.item("u")), a);
        let bare = address("r.example.com", "").unwrap();
        assert_eq!(Address::of_item(&bare.item("u")), bare);
        assert_ne!(bare, a);
    }

    /// Docker's own results for awkward server URLs: each line is the input, then protocol,
    /// server, port, path and the `list` key, or ERR where Docker refuses it. Produced by running
    /// registryurl.Parse and splitServer/List's formatting on Go's net/url (go1.19).
    const DOCKER_RESULTS: &str = r#"registry.example.com	htps	registry.example.com	0		https://registry.example.com
https://registry.example.com	htps	registry.example.com	0		https://registry.example.com
http://registry.example.com	http	registry.example.com	0		http://registry.example.com
HTTPS://Registry.Example.COM/	htps	Registry.Example.COM	0	/	https://Registry.Example.COM/
https://index.docker.io/v1/	htps	index.docker.io	0	/v1/	https://index.docker.io/v1/
a.example.com:5000	htps	a.example.com	5000		https://a.example.com:5000
a.example.com:5000/v2/	htps	a.example.com	5000	/v2/	https://a.example.com:5000/v2/
[::1]:5000	htps	::1	5000		https://[::1]:5000
[::1]	htps	::1	0		https://::1
[fe80::1%25en0]:5000	htps	fe80::1%en0	5000		https://[fe80::1%25en0]:5000
localhost:0	htps	localhost	0		https://localhost
localhost:00080	htps	localhost	80		https://localhost:80
r.example.com:	htps	r.example.com	0		https://r.example.com
https://r.example.com:/x	htps	r.example.com	0	/x	https://r.example.com/x
r.example.com/a%20b	htps	r.example.com	0	/a b	https://r.example.com/a%20b
r.example.com/a%2Fb	htps	r.example.com	0	/a/b	https://r.example.com/a/b
r.example.com/a b	htps	r.example.com	0	/a b	https://r.example.com/a%20b
r.example.com/ü	htps	r.example.com	0	/ü	https://r.example.com/%C3%BC
r.example.com/%zz	ERR
r.example.com?x=1	htps	r.example.com	0		https://r.example.com
r.example.com#frag	htps	r.example.com	0		https://r.example.com
r.example.com/p?q#f	htps	r.example.com	0	/p	https://r.example.com/p
user@r.example.com	htps	r.example.com	0		https://r.example.com
user:pw@r.example.com:5000/x	htps	r.example.com	5000	/x	https://r.example.com:5000/x
u%40x@r.example.com	htps	r.example.com	0		https://r.example.com
r.example.com@evil.example.com	htps	evil.example.com	0		https://evil.example.com
ftp://r.example.com	ERR
https://	ERR
//r.example.com	htps	r.example.com	0		https://r.example.com
///r.example.com	ERR
/path	ERR
:5000	ERR
r.exa mple.com	ERR
r.example.com:abc	ERR
https://r.example.com:99999	htps	r.example.com	99999		https://r.example.com:99999
ex%41mple.com	ERR
ex%C3%BCmple.com	htps	exümple.com	0		https://ex%C3%BCmple.com
https:r.example.com	ERR
a:b://c	ERR
1http://x	ERR
r.example.com/~user/(x)!$&'*+,;=:@	htps	r.example.com	0	/~user/(x)!$&'*+,;=:@	https://r.example.com/~user/%28x%29%21$&%27%2A+,;=:@
r.example.com/[x]	htps	r.example.com	0	/[x]	https://r.example.com/%5Bx%5D
HTTP://R.example.com	http	R.example.com	0		http://R.example.com
hTtPs://x	htps	x	0		https://x
r_under.example.com	htps	r_under.example.com	0		https://r_under.example.com
*.example.com	htps	*.example.com	0		https://*.example.com
r.example.com/a?b?c	htps	r.example.com	0	/a	https://r.example.com/a
r.example.com?	htps	r.example.com	0		https://r.example.com
https://r.example.com?#	htps	r.example.com	0		https://r.example.com
r.example.com/%41%2F	htps	r.example.com	0	/A/	https://r.example.com/A/
xn--bcher-kva.example	htps	xn--bcher-kva.example	0		https://xn--bcher-kva.example
bücher.example	htps	bücher.example	0		https://b%C3%BCcher.example
r.example.com:65536	htps	r.example.com	65536		https://r.example.com:65536
"#;

    #[test]
    fn awkward_urls_come_out_as_docker_makes_them() {
        for line in DOCKER_RESULTS.lines() {
            let mut fields = line.split('\t');
            let url = fields.next().unwrap();
            let want: Vec<&str> = fields.collect();
            let got = match address(url, "") {
                Err(_) => vec!["ERR".to_owned()],
                Ok(a) => vec![
                    a.protocol.clone(),
                    a.server.clone(),
                    a.port.to_string(),
                    a.path.clone(),
                    a.listed_name("").unwrap(),
                ],
            };
            assert_eq!(got, want, "{url:?}");
        }
    }

    proptest::proptest! {
        /// Every key `list` shows files back where the item is: each listed entry is gettable
        /// under its listed name, whatever spelling stored it.
        #[test]
        fn listed_names_file_back_where_the_item_is(
            scheme in proptest::sample::select(vec!["", "https://", "http://", "HTTPS://"]),
            host in "[a-zA-Z0-9][a-zA-Z0-9.-]{0,20}",
            port in proptest::option::of(1u16..),
            path in proptest::collection::vec("[a-zA-Z0-9 ü%._~:@()!*+,;=$&'-]{0,8}", 0..4),
        ) {
            let mut url = format!("{scheme}{host}");
            if let Some(port) = port {
                url.push_str(&format!(":{port}"));
            }
            for segment in &path {
                url.push('/');
                url.push_str(segment);
            }
            if let Ok(a) = address(&url, "ns:") {
                let listed = a.listed_name("ns:").unwrap();
                proptest::prop_assert_eq!(address(&listed, "ns:").unwrap(), a.clone(), "{} -> {}", url, listed);
                proptest::prop_assert_eq!(exact_address(&listed, "ns:"), Some(a));
            }
        }
    }
}
