//! The pull secret itself, built without any I/O: the `.dockerconfigjson` bytes and the Secret
//! manifest around them (docs/kubernetes.md §1–§3).
//!
//! For one registry the bytes are exactly what `kubectl create secret docker-registry` writes:
//! compact JSON, Go's escaping, map keys sorted, entry fields in the order `username`,
//! `password`, `email` (omitted when empty), `auth`, no trailing newline. Several registries go
//! into the same `auths` object.

use crate::Secret;
use crate::registry::{Address, DOCKER_HUB_KEY, TOKEN_USERNAME};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret as KubeSecret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use std::collections::BTreeMap;
use zeroize::Zeroize;

/// The Secret type the kubelet reads pull credentials from.
pub const SECRET_TYPE: &str = "kubernetes.io/dockerconfigjson";
/// The data key of that type.
pub const DATA_KEY: &str = ".dockerconfigjson";
/// The label marking what `push` made; `push --delete` removes only secrets carrying it.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// The value of [`MANAGED_BY_LABEL`].
pub const MANAGED_BY: &str = crate::BINARY_NAME;
/// The annotation listing the registry keys push wrote into the secret (a JSON array of
/// strings, never a secret): its other registries are someone else's and are kept, as kubectl
/// apply's last-applied annotation tells its own fields from others'. Earlier versions wrote the
/// keys comma-separated; that form is still read ([`annotated_registries`]).
pub const REGISTRIES_ANNOTATION: &str = "docker-credential-keyring/registries";
/// The most decoded data the API server accepts in one Secret.
pub const MAX_SECRET_BYTES: usize = 1 << 20;

/// One registry's credential, keyed as the kubelet matches it.
pub struct Entry {
    /// The `auths` key ([`kubelet_key`]).
    pub key: String,
    pub username: String,
    pub password: Secret,
    /// Written only when non-empty (the keychain never holds one; kept for kubectl parity).
    pub email: String,
}

/// Why an entry cannot go into a pull secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "{server}: the keychain holds an identity token (docker login with a token), which the kubelet ignores; create a registry access token or robot account, `docker login {server}` with its username and password, then push again"
    )]
    IdentityToken { server: String },
    #[error(
        "{server}: the username contains ':', which breaks the kubelet (it splits `auth` at the first ':'); log in with a username without ':'"
    )]
    ColonInUsername { server: String },
    #[error(transparent)]
    NotAddress(#[from] crate::registry::NotAddress),
    #[error(
        "the pull secret would hold {size} bytes, more than the API server's limit of 1 MiB: push fewer registries per secret (--name)"
    )]
    TooLarge { size: usize },
}

/// The line says what to do.
impl crate::hint::Hint for Refusal {}

/// The `auths` key the kubelet matches for a stored server string (docs/kubernetes.md §3): Docker Hub
/// as `https://index.docker.io/v1/`, everything else as lowercase `host[:port][/path]` without a
/// scheme or `/v1/`/`/v2/` suffix. A server string that is no plain address is kept verbatim.
pub fn kubelet_key(server: &str) -> String {
    let Some(address) = Address::parse(server) else {
        return server.to_owned();
    };
    if address.is_docker_hub() && address.path.is_empty() {
        return DOCKER_HUB_KEY.to_owned();
    }
    let mut key = address.host_port();
    for segment in &address.path {
        key.push('/');
        key.push_str(segment);
    }
    key
}

/// Check that `username` can be used by the kubelet for `server`.
pub fn check_entry(server: &str, username: &str) -> Result<(), Refusal> {
    if username == TOKEN_USERNAME {
        return Err(Refusal::IdentityToken {
            server: server.to_owned(),
        });
    }
    if username.contains(':') {
        return Err(Refusal::ColonInUsername {
            server: server.to_owned(),
        });
    }
    Ok(())
}

/// The `.dockerconfigjson` bytes for `entries` (sorted by key; a later duplicate key replaces an
/// earlier one). Refuses more than [`MAX_SECRET_BYTES`].
pub fn dockerconfigjson(entries: &[Entry]) -> Result<Secret<Vec<u8>>, Refusal> {
    #[derive(Serialize)]
    struct Auth<'a> {
        username: &'a str,
        password: &'a str,
        #[serde(skip_serializing_if = "str::is_empty")]
        email: &'a str,
        auth: &'a str,
    }
    #[derive(Serialize)]
    struct Config<'a> {
        auths: BTreeMap<&'a str, Auth<'a>>,
    }
    let auth_values: Vec<Secret> = entries
        .iter()
        .map(|e| {
            let mut pair = Secret::new(format!("{}:{}", e.username, e.password.expose()));
            let encoded = Secret::new(STANDARD.encode(pair.expose().as_bytes()));
            pair.expose_mut().zeroize();
            encoded
        })
        .collect();
    let config = Config {
        auths: entries
            .iter()
            .zip(&auth_values)
            .map(|(e, auth)| {
                (
                    e.key.as_str(),
                    Auth {
                        username: &e.username,
                        password: e.password.expose(),
                        email: &e.email,
                        auth: auth.expose(),
                    },
                )
            })
            .collect(),
    };
    let mut json = Secret::new(crate::protocol::json::go_json(&config));
    json.expose_mut().pop(); // go_json ends with the Encoder's newline; kubectl's bytes do not.
    let bytes = Secret::new(std::mem::take(json.expose_mut()).into_bytes());
    if bytes.expose().len() > MAX_SECRET_BYTES {
        return Err(Refusal::TooLarge {
            size: bytes.expose().len(),
        });
    }
    Ok(bytes)
}

/// A Secret manifest whose data is wiped from memory when dropped.
pub struct Manifest(pub KubeSecret);

impl Drop for Manifest {
    fn drop(&mut self) {
        if let Some(data) = self.0.data.as_mut() {
            for value in data.values_mut() {
                value.0.zeroize();
            }
        }
    }
}

impl std::fmt::Debug for Manifest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manifest")
            .field("name", &self.0.metadata.name)
            .field("namespace", &self.0.metadata.namespace)
            .field("data", &"<redacted>")
            .finish()
    }
}

/// The pull Secret `name` in `namespace` holding `config` (the `.dockerconfigjson` bytes) for
/// the registry keys `keys`, labelled as ours.
pub fn manifest(
    name: &str,
    namespace: Option<&str>,
    keys: &[String],
    config: &Secret<Vec<u8>>,
) -> Manifest {
    let mut keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    keys.sort_unstable();
    keys.dedup();
    Manifest(KubeSecret {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: namespace.map(str::to_owned),
            labels: Some(BTreeMap::from([(
                MANAGED_BY_LABEL.to_owned(),
                MANAGED_BY.to_owned(),
            )])),
            annotations: Some(BTreeMap::from([(
                REGISTRIES_ANNOTATION.to_owned(),
                serde_json::to_string(&keys).expect("strings serialize"),
            )])),
            ..ObjectMeta::default()
        },
        type_: Some(SECRET_TYPE.to_owned()),
        data: Some(BTreeMap::from([(
            DATA_KEY.to_owned(),
            ByteString(config.expose().clone()),
        )])),
        ..KubeSecret::default()
    })
}

/// Why an existing `.dockerconfigjson` cannot take our registries.
#[derive(Debug)]
pub enum MergeError {
    /// Not a JSON object whose `auths` (if any) is an object: its registries cannot be kept.
    NotDockerConfig,
    /// The merged secret would be too large.
    Refused(Refusal),
}

/// The result of [`merge`].
pub struct Merged {
    /// The merged `.dockerconfigjson` bytes.
    pub config: Secret<Vec<u8>>,
    /// The registry keys of the existing secret kept because they are not push's, sorted.
    pub kept: Vec<String>,
    /// The registry keys push wrote before and this push no longer writes (removed), sorted.
    pub removed: Vec<String>,
}

/// The registry keys listed in [`REGISTRIES_ANNOTATION`] of `secret`, when it has one: the
/// registries push wrote there (everything else in it is someone else's).
///
/// The annotation is a JSON array. Anything else is the comma-separated form older versions
/// wrote, read for compatibility, except where it cannot be trusted: when a registry key in the
/// secret itself contains a comma (an older push wrote `a.io,b.io` as one key, and someone
/// else's `b.io` must not pass for ours), and for a value that is neither form. Then no
/// registry counts as push's: nothing in the secret is removed, and the next push writes the
/// JSON form.
pub fn annotated_registries(secret: &KubeSecret) -> Option<Vec<String>> {
    let listed = secret
        .metadata
        .annotations
        .as_ref()?
        .get(REGISTRIES_ANNOTATION)?;
    if let Ok(keys) = serde_json::from_str::<Vec<String>>(listed) {
        return Some(keys);
    }
    let keys: Vec<String> = listed
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect();
    let trusted = keys
        .iter()
        .all(|k| crate::registry::check_address(k).is_ok())
        && !data_keys(secret).iter().any(|k| k.contains(','));
    Some(if trusted { keys } else { Vec::new() })
}

/// The `auths` keys of a Secret's `.dockerconfigjson` (none when it is not one).
fn data_keys(secret: &KubeSecret) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Keys {
        #[serde(default)]
        auths: BTreeMap<String, serde::de::IgnoredAny>,
    }
    secret
        .data
        .as_ref()
        .and_then(|d| d.get(DATA_KEY))
        .and_then(|b| serde_json::from_slice::<Keys>(&b.0).ok())
        .map(|k| k.auths.into_keys().collect())
        .unwrap_or_default()
}

/// A parsed `.dockerconfigjson` whose strings (passwords, `auth`) are wiped when dropped.
struct Wiped(serde_json::Value);

impl Drop for Wiped {
    fn drop(&mut self) {
        fn wipe(v: &mut serde_json::Value) {
            match v {
                serde_json::Value::String(s) => s.zeroize(),
                serde_json::Value::Array(a) => a.iter_mut().for_each(wipe),
                serde_json::Value::Object(o) => o.values_mut().for_each(wipe),
                _ => {}
            }
        }
        wipe(&mut self.0);
    }
}

/// One of our entries read back from [`dockerconfigjson`]'s bytes, to be written again with
/// kubectl's field order (a `serde_json::Value` would sort the fields, so a merged secret would
/// differ from a plain one for the same credentials). Wiped when dropped.
#[derive(Serialize, serde::Deserialize)]
struct OurAuth {
    username: String,
    password: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    email: String,
    auth: String,
}

impl Drop for OurAuth {
    fn drop(&mut self) {
        self.password.zeroize();
        self.auth.zeroize();
    }
}

/// `ours` (bytes from [`dockerconfigjson`]) merged into `theirs` (an existing secret's
/// `.dockerconfigjson`). Ours replace entries of the same kubelet key ([`kubelet_key`], so
/// `https://r.io` gives way to `r.io`); of the others, those `pushed_before` says push wrote
/// are removed, all else is kept, as are the other top-level fields. Our entries keep
/// kubectl's field order; kept ones are rewritten compact with their fields sorted.
pub fn merge(
    theirs: &[u8],
    ours: &Secret<Vec<u8>>,
    pushed_before: impl Fn(&str) -> bool,
) -> Result<Merged, MergeError> {
    #[derive(serde::Deserialize)]
    struct Ours {
        auths: BTreeMap<String, OurAuth>,
    }
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Auth<'a> {
        Ours(&'a OurAuth),
        Theirs(&'a serde_json::Value),
    }
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Top<'a> {
        Auths(BTreeMap<&'a str, Auth<'a>>),
        Other(&'a serde_json::Value),
    }
    let mut theirs =
        Wiped(serde_json::from_slice(theirs).map_err(|_| MergeError::NotDockerConfig)?);
    let ours: Ours = serde_json::from_slice(ours.expose()).expect("we wrote valid JSON");
    let top = theirs
        .0
        .as_object_mut()
        .ok_or(MergeError::NotDockerConfig)?;
    let their_auths = match top.remove("auths") {
        None => Wiped(serde_json::Value::Object(serde_json::Map::new())),
        Some(a @ serde_json::Value::Object(_)) => Wiped(a),
        Some(other) => {
            drop(Wiped(other));
            return Err(MergeError::NotDockerConfig);
        }
    };
    let their_auths = their_auths.0.as_object().expect("checked above");
    let mut kept = Vec::new();
    let mut removed = Vec::new();
    let mut auths: BTreeMap<&str, Auth> = BTreeMap::new();
    for (key, value) in their_auths {
        if ours.auths.contains_key(key) || ours.auths.contains_key(&kubelet_key(key)) {
            continue; // replaced by ours
        }
        if pushed_before(key) {
            removed.push(key.clone());
        } else {
            kept.push(key.clone());
            auths.insert(key, Auth::Theirs(value));
        }
    }
    for (key, value) in &ours.auths {
        auths.insert(key, Auth::Ours(value));
    }
    let mut out: BTreeMap<&str, Top> = top
        .iter()
        .map(|(k, v)| (k.as_str(), Top::Other(v)))
        .collect();
    out.insert("auths", Top::Auths(auths));
    let mut json = Secret::new(crate::protocol::json::go_json(&out));
    json.expose_mut().pop(); // the Encoder's newline, as in [`dockerconfigjson`]
    let config = Secret::new(std::mem::take(json.expose_mut()).into_bytes());
    if config.expose().len() > MAX_SECRET_BYTES {
        return Err(MergeError::Refused(Refusal::TooLarge {
            size: config.expose().len(),
        }));
    }
    Ok(Merged {
        config,
        kept,
        removed,
    })
}

/// Whether `name` is a DNS-1123 subdomain (Secret and ServiceAccount names).
pub fn is_dns1123_subdomain(name: &str) -> bool {
    !name.is_empty() && name.len() <= 253 && name.split('.').all(is_label_chars)
}

/// Whether `name` is a DNS-1123 label (namespace names).
pub fn is_dns1123_label(name: &str) -> bool {
    name.len() <= 63 && is_label_chars(name)
}

fn is_label_chars(label: &str) -> bool {
    let b = label.as_bytes();
    let ok = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty() && ok(&b[0]) && ok(&b[b.len() - 1]) && b.iter().all(|c| ok(c) || *c == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, user: &str, pw: &str) -> Entry {
        Entry {
            key: key.into(),
            username: user.into(),
            password: Secret::new(pw.into()),
            email: String::new(),
        }
    }

    fn text(entries: &[Entry]) -> String {
        String::from_utf8(dockerconfigjson(entries).unwrap().expose().clone()).unwrap()
    }

    #[test]
    fn kubectl_bytes_for_one_registry() {
        assert_eq!(
            text(&[entry("registry.example.com", "alice", "s3cret")]),
            r#"{"auths":{"registry.example.com":{"username":"alice","password":"s3cret","auth":"YWxpY2U6czNjcmV0"}}}"#
        );
        let mut e = entry("registry.example.com", "alice", "s3cret");
        e.email = "alice@example.com".into();
        assert_eq!(
            text(&[e]),
            r#"{"auths":{"registry.example.com":{"username":"alice","password":"s3cret","email":"alice@example.com","auth":"YWxpY2U6czNjcmV0"}}}"#
        );
    }

    #[test]
    fn go_escaping_and_unicode() {
        let t = text(&[entry("r.io", "bob", "<a&b>\"\\ é\u{2028}")]);
        assert!(
            t.contains(r#""password":"\u003ca\u0026b\u003e\"\\ é\u2028""#),
            "{t}"
        );
        assert!(!t.ends_with('\n'));
    }

    #[test]
    fn several_registries_sorted() {
        let t = text(&[
            entry("z.io", "z", "1"),
            entry(DOCKER_HUB_KEY, "h", "2"),
            entry("a.io:5000", "a", "3"),
        ]);
        let a = t.find("a.io:5000").unwrap();
        let h = t.find(DOCKER_HUB_KEY).unwrap();
        let z = t.find("z.io").unwrap();
        assert!(a < h && h < z, "{t}");
    }

    #[test]
    fn keys_as_the_kubelet_matches() {
        assert_eq!(kubelet_key("docker.io"), DOCKER_HUB_KEY);
        assert_eq!(kubelet_key("https://index.docker.io/v1/"), DOCKER_HUB_KEY);
        assert_eq!(kubelet_key("registry-1.docker.io"), DOCKER_HUB_KEY);
        assert_eq!(kubelet_key("https://GHCR.io/"), "ghcr.io");
        assert_eq!(kubelet_key("Reg.Example:5000/v2/"), "reg.example:5000");
        assert_eq!(kubelet_key("https://reg.example:443"), "reg.example");
        assert_eq!(kubelet_key("reg.example/team/app"), "reg.example/team/app");
        assert_eq!(kubelet_key("docker.io/library"), "docker.io/library");
        assert_eq!(kubelet_key("odd thing"), "odd thing");
    }

    #[test]
    fn refusals() {
        assert!(matches!(
            check_entry("r.io", "<token>"),
            Err(Refusal::IdentityToken { .. })
        ));
        assert!(matches!(
            check_entry("r.io", "a:b"),
            Err(Refusal::ColonInUsername { .. })
        ));
        assert!(check_entry("r.io", "alice").is_ok());
        let big = "x".repeat(MAX_SECRET_BYTES);
        assert!(matches!(
            dockerconfigjson(&[entry("r.io", "a", &big)]),
            Err(Refusal::TooLarge { .. })
        ));
        let msg = Refusal::TooLarge { size: 5 }.to_string();
        assert!(!msg.contains("xxx"));
    }

    #[test]
    fn names() {
        for ok in ["regcred", "a", "a-b.c-d", "0a"] {
            assert!(is_dns1123_subdomain(ok), "{ok}");
        }
        for bad in ["", "A", "-a", "a-", "a..b", "a_b", ".a", &"a".repeat(254)] {
            assert!(!is_dns1123_subdomain(bad), "{bad}");
        }
        assert!(is_dns1123_label("team-a"));
        assert!(!is_dns1123_label("team.a"));
        assert!(!is_dns1123_label(&"a".repeat(64)));
    }

    #[test]
    fn merge_keeps_theirs_and_replaces_ours() {
        let ours = dockerconfigjson(&[entry("r.io", "a", "new")]).unwrap();
        let theirs = br#"{"auths":{"https://r.io":{"auth":"b2xkOm9sZA=="},"z.io":{"auth":"eDp5"}},"credsStore":"x"}"#;
        let m = merge(theirs, &ours, |_| false).unwrap();
        assert_eq!(m.kept, ["z.io"]);
        assert!(m.removed.is_empty());
        // Ours in kubectl's field order, theirs as they were.
        assert_eq!(
            String::from_utf8(m.config.expose().clone()).unwrap(),
            r#"{"auths":{"r.io":{"username":"a","password":"new","auth":"YTpuZXc="},"z.io":{"auth":"eDp5"}},"credsStore":"x"}"#
        );
        let m = merge(b"{}", &ours, |_| false).unwrap();
        assert!(m.kept.is_empty());
        assert_eq!(m.config.expose(), ours.expose(), "nothing kept: our bytes");
        for bad in [
            &b"not json"[..],
            b"[]",
            br#"{"auths":[]}"#,
            br#""x""#,
            br#"{"auths":null}"#,
        ] {
            assert!(matches!(
                merge(bad, &ours, |_| false),
                Err(MergeError::NotDockerConfig)
            ));
        }
    }

    #[test]
    fn merge_removes_only_what_push_wrote_before() {
        let ours = dockerconfigjson(&[entry("r.io", "a", "new")]).unwrap();
        let theirs = br#"{"auths":{"gone.io":{"auth":"eDp5"},"other.io":{"auth":"eDp6"},"r.io":{"auth":"eDp4"}}}"#;
        let m = merge(theirs, &ours, |k| k == "r.io" || k == "gone.io").unwrap();
        assert_eq!(m.kept, ["other.io"]);
        assert_eq!(m.removed, ["gone.io"]);
        assert_eq!(
            String::from_utf8(m.config.expose().clone()).unwrap(),
            r#"{"auths":{"other.io":{"auth":"eDp6"},"r.io":{"username":"a","password":"new","auth":"YTpuZXc="}}}"#
        );
        // Everything push wrote before and nothing else: exactly our bytes.
        let m = merge(theirs, &ours, |_| true).unwrap();
        assert!(m.kept.is_empty());
        assert_eq!(m.removed, ["gone.io", "other.io"]);
        assert_eq!(m.config.expose(), ours.expose());
        // Removing every registry of ours (push --delete) leaves theirs only.
        let none = Secret::new(br#"{"auths":{}}"#.to_vec());
        let m = merge(theirs, &none, |k| k != "other.io").unwrap();
        assert_eq!(m.kept, ["other.io"]);
        assert_eq!(
            String::from_utf8(m.config.expose().clone()).unwrap(),
            r#"{"auths":{"other.io":{"auth":"eDp6"}}}"#
        );
    }

    fn annotated(value: &str, data: Option<&str>) -> Option<Vec<String>> {
        let mut s = KubeSecret::default();
        s.metadata.annotations = Some(BTreeMap::from([(
            REGISTRIES_ANNOTATION.to_owned(),
            value.to_owned(),
        )]));
        s.data = data.map(|d| BTreeMap::from([(DATA_KEY.to_owned(), ByteString(d.into()))]));
        annotated_registries(&s)
    }

    #[test]
    fn annotation_lists_registries_as_a_json_array() {
        assert_eq!(annotated_registries(&KubeSecret::default()), None);
        let config = dockerconfigjson(&[entry("r.io", "a", "b")]).unwrap();
        let keys = ["r.io".to_owned(), "[::1]:5000".to_owned()];
        let m = manifest("regcred", None, &keys, &config);
        let value = &m.0.metadata.annotations.as_ref().unwrap()[REGISTRIES_ANNOTATION];
        assert_eq!(value, r#"["[::1]:5000","r.io"]"#);
        assert_eq!(annotated(value, None).unwrap(), ["[::1]:5000", "r.io"]);
        // A key with a comma stays one key.
        assert_eq!(annotated(r#"["a.io,b.io"]"#, None).unwrap(), ["a.io,b.io"]);
    }

    #[test]
    fn the_old_comma_form_is_read_unless_it_cannot_be_trusted() {
        let data = r#"{"auths":{"a.io":{},"b.io":{}}}"#;
        assert_eq!(
            annotated("a.io, b.io,,", Some(data)).unwrap(),
            ["a.io", "b.io"]
        );
        assert_eq!(
            annotated("[::1]:5000,r.io", None).unwrap(),
            ["[::1]:5000", "r.io"]
        );
        // An older push wrote the key `a.io,b.io`: b.io in the secret is not ours.
        let data = r#"{"auths":{"a.io,b.io":{},"b.io":{}}}"#;
        assert_eq!(
            annotated("a.io,b.io", Some(data)).unwrap(),
            Vec::<String>::new()
        );
        // Neither form: nothing is push's.
        assert_eq!(annotated("[\"a.io\"", None).unwrap(), Vec::<String>::new());
        assert_eq!(annotated("a.io,b io", None).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn manifest_shape() {
        let config = dockerconfigjson(&[entry("r.io", "a", "b")]).unwrap();
        let m = manifest("regcred", Some("ns"), &["r.io".into()], &config);
        let v = serde_json::to_value(&m.0).unwrap();
        assert_eq!(v["type"], SECRET_TYPE);
        assert_eq!(v["kind"], "Secret");
        assert_eq!(v["apiVersion"], "v1");
        assert_eq!(v["metadata"]["labels"][MANAGED_BY_LABEL], MANAGED_BY);
        assert_eq!(
            v["metadata"]["annotations"][REGISTRIES_ANNOTATION],
            r#"["r.io"]"#
        );
        assert_eq!(
            STANDARD
                .decode(v["data"][DATA_KEY].as_str().unwrap())
                .unwrap(),
            config.expose().clone()
        );
        assert!(!format!("{m:?}").contains("YTpi"));
    }
}
