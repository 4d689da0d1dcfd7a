//! An in-process Kubernetes API-server fake on loopback, for the tests of `push`.
//!
//! No kube-apiserver, envtest, kind or k3s can run on the project's machines (docs/kubernetes.md §6),
//! so this module behaves like the real server for exactly what `push` (through kube-rs) and
//! kubectl use, over plain HTTP or TLS with a CA made per run, reached through real kubeconfig
//! files (see `kubeconfig.rs`). It emulates:
//!
//! - discovery: `/version`, `/api`, `/apis`, `/api/v1`, `/healthz`, `/livez`, `/readyz`;
//! - `namespaces` (cluster-scoped), `secrets` and `serviceaccounts`: GET, LIST (label and field
//!   selectors), POST, PUT, PATCH (server-side apply, JSON merge, strategic merge, JSON patch),
//!   DELETE (with preconditions), `dryRun=All`, `fieldValidation=Strict`;
//! - one global `resourceVersion` bumped per write, `409 Conflict` on a stale one, no bump on a
//!   no-op write; `metadata.managedFields` with Apply/Update ownership, apply conflicts (409)
//!   without `force`, fields dropped from an apply removed;
//! - validation from pkg/apis/core/validation: names (DNS-1123 subdomain / label), label and
//!   annotation keys and values, Secret data keys, `type` immutable, `immutable: true`,
//!   `.dockerconfigjson` a JSON object, 1 MiB of data (all 422 `Invalid` with causes);
//! - NamespaceLifecycle: 404 `namespaces "x" not found` on a create in a missing namespace, 403 in
//!   a terminating one; a new namespace gets its `default` ServiceAccount;
//! - bearer-token authentication (401), RBAC denials injected per user/verb/resource/namespace
//!   (403 with the authorizer's message); fault injection per route (500, slow, plain-text 404,
//!   dropped connection, an object another client creates just before the request); a
//!   concurrent writer that changes an object just before a client's write.
//!
//! Every response body that is a `Status` is byte-identical to the real server's. Every request
//! is recorded (method, path, query, content type, headers, body, user, status).
//! `tests/apiserver_fake.rs` keeps it honest against the real kubectl (`get -o json`,
//! `create secret` with its protobuf body, `apply --server-side`, `delete`, `label`, dry runs).
//!
//! Not emulated: watch (refused with 400), pagination (`limit`/`continue` ignored: one page),
//! responses other than JSON (protobuf is read, never written; no Table, no CBOR), YAML bodies
//! that are not JSON, aggregated discovery and OpenAPI v2, API groups other than core `v1` and
//! resources other than the three above, subresources, `generateName`, garbage collection and
//! finalizers (a deleted namespace stays Terminating), admission webhooks, client-certificate
//! and basic auth, impersonation, 429 and priority-and-fairness, HTTP/2, list merge keys in
//! server-side apply and strategic merge (every list is atomic: right for `imagePullSecrets`,
//! not for a ServiceAccount's `secrets`), the `Warning` header for dropped unknown fields.

mod fields;
mod http;
mod protobuf;
pub mod status;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};
use status::{ApiError, FieldError};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The token `ApiServer::start*` accept for [`DEFAULT_USER`].
pub const DEFAULT_TOKEN: &str = "fake-apiserver-token";
/// The user [`DEFAULT_TOKEN`] authenticates as.
pub const DEFAULT_USER: &str = "alice";
/// The field manager of objects the tests seed.
pub const SEED_MANAGER: &str = "test-seed";
/// The field manager of the concurrent writer.
pub const CONCURRENT_MANAGER: &str = "concurrent-writer";

/// A resource the fake serves.
struct Kind {
    resource: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    /// Top-level fields of the type; anything else is an unknown field.
    fields: &'static [&'static str],
}

const KINDS: &[Kind] = &[
    Kind {
        resource: "namespaces",
        singular: "namespace",
        kind: "Namespace",
        namespaced: false,
        short: &["ns"],
        fields: &["apiVersion", "kind", "metadata", "spec", "status"],
    },
    Kind {
        resource: "secrets",
        singular: "secret",
        kind: "Secret",
        namespaced: true,
        short: &[],
        fields: &[
            "apiVersion",
            "kind",
            "metadata",
            "data",
            "stringData",
            "type",
            "immutable",
        ],
    },
    Kind {
        resource: "serviceaccounts",
        singular: "serviceaccount",
        kind: "ServiceAccount",
        namespaced: true,
        short: &["sa"],
        fields: &[
            "apiVersion",
            "kind",
            "metadata",
            "secrets",
            "imagePullSecrets",
            "automountServiceAccountToken",
        ],
    },
];

const METADATA_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

fn kind_of(resource: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.resource == resource)
}

/// What an injected fault does.
#[derive(Debug, Clone)]
pub enum FaultKind {
    /// 500 with the real server's `InternalError` Status.
    InternalError,
    /// Wait this long, then handle the request normally (the write still happens).
    Slow(Duration),
    /// `404 page not found` as text/plain, as a proxy or a wrong path answers.
    PlainText404,
    /// Read the request, then close the connection without answering.
    DropConnection,
    /// 502 text/plain quoting the request body, as some proxies and firewalls do: a client
    /// that prints server messages must scrub what it sent.
    EchoBody,
    /// Another client creates this object (as `manager`, operation Update, as kubectl create
    /// would) just before the request, which is then handled normally: a create race.
    CreateFirst { object: Value, manager: String },
}

/// A fault injected on requests whose path starts with `path` (and method, if set).
#[derive(Debug, Clone)]
pub struct Fault {
    pub kind: FaultKind,
    pub path: String,
    pub method: Option<String>,
    /// How many requests it hits; None: all.
    pub times: Option<u32>,
}

impl Fault {
    pub fn new(kind: FaultKind, path: &str) -> Fault {
        Fault {
            kind,
            path: path.to_string(),
            method: None,
            times: None,
        }
    }
    pub fn method(mut self, method: &str) -> Fault {
        self.method = Some(method.to_string());
        self
    }
    pub fn times(mut self, n: u32) -> Fault {
        self.times = Some(n);
        self
    }
}

/// A request as the fake received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Percent-decoded path.
    pub path: String,
    /// The raw query string (after `?`, still encoded).
    pub query: String,
    /// Decoded query pairs, empty pairs skipped.
    pub params: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub tls: bool,
    /// The authenticated user, if the token was good.
    pub user: Option<String>,
    /// The status answered; None while pending or when the connection was dropped.
    pub status: Option<u16>,
}

impl Request {
    /// The last value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
    /// The whole request as text: request line, headers, body (for "never appears" checks).
    pub fn to_text(&self) -> String {
        let mut s = format!("{} {}?{}\n", self.method, self.path, self.query);
        for (k, v) in &self.headers {
            s.push_str(&format!("{k}: {v}\n"));
        }
        s.push('\n');
        s.push_str(&String::from_utf8_lossy(&self.body));
        s
    }
}

struct Writer {
    resource: String,
    namespace: String,
    name: String,
    remaining: u32,
    change: Box<dyn Fn(&mut Value) + Send>,
}

struct Denial {
    user: String,
    verb: String,
    resource: String,
    namespace: Option<String>,
}

type Key = (String, String, String);

#[derive(Default)]
struct State {
    objects: BTreeMap<Key, Value>,
    revision: u64,
    uids: u64,
    tokens: BTreeMap<String, String>,
    denials: Vec<Denial>,
    faults: Vec<Fault>,
    writers: Vec<Writer>,
    requests: Vec<Request>,
    port: u16,
    in_flight: usize,
    max_in_flight: usize,
}

/// Counts a request as in flight until dropped.
struct InFlight<'a>(&'a Mutex<State>);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).in_flight -= 1;
    }
}

/// The running fake. Stops listening when dropped.
pub struct ApiServer {
    state: Arc<Mutex<State>>,
    listener: http::Listener,
    ca_pem: Option<String>,
}

/// A CA certificate (PEM) that signed nothing the fake serves: the "bad CA" of kubeconfigs.
pub fn unrelated_ca_pem() -> String {
    make_ca("unrelated-ca").0.pem()
}

fn make_ca(name: &str) -> (rcgen::Certificate, rcgen::Issuer<'static, rcgen::KeyPair>) {
    let key = rcgen::KeyPair::generate().expect("CA key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).expect("self-sign the CA");
    (cert, rcgen::Issuer::new(params, key))
}

fn tls_config() -> (Arc<rustls::ServerConfig>, String) {
    let (ca, issuer) = make_ca("fake-apiserver-ca");
    let key = rcgen::KeyPair::generate().expect("server key");
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "kube-apiserver");
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params
        .signed_by(&key, &issuer)
        .expect("sign the server cert");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("server TLS config");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (Arc::new(config), ca.pem())
}

impl ApiServer {
    /// Plain HTTP on 127.0.0.1, accepting [`DEFAULT_TOKEN`] as [`DEFAULT_USER`], with the
    /// `default` namespace.
    pub fn start() -> ApiServer {
        ApiServer::start_with(None)
    }

    /// Like [`ApiServer::start`] over TLS, with a CA made for this server ([`ApiServer::ca_pem`]).
    pub fn start_tls() -> ApiServer {
        let (config, ca) = tls_config();
        let mut s = ApiServer::start_with(Some(config));
        s.ca_pem = Some(ca);
        s
    }

    fn start_with(tls: Option<Arc<rustls::ServerConfig>>) -> ApiServer {
        let state = Arc::new(Mutex::new(State {
            revision: 1000,
            ..Default::default()
        }));
        let shared = state.clone();
        let listener = http::Listener::start(tls, Arc::new(move |raw| handle(&shared, raw)));
        let server = ApiServer {
            state,
            listener,
            ca_pem: None,
        };
        {
            let mut st = server.lock();
            st.port = server.listener.addr.port();
            st.tokens
                .insert(DEFAULT_TOKEN.to_string(), DEFAULT_USER.to_string());
        }
        server.create_namespace("default");
        server
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.listener.addr)
    }

    /// The same server under the name `localhost` (the certificate covers both).
    pub fn url_localhost(&self) -> String {
        self.url().replace("127.0.0.1", "localhost")
    }

    /// The CA that signed the server's certificate (TLS servers only).
    pub fn ca_pem(&self) -> &str {
        self.ca_pem.as_deref().expect("a TLS server")
    }

    /// Accept `token` as `user`.
    pub fn add_token(&self, token: &str, user: &str) {
        self.lock()
            .tokens
            .insert(token.to_string(), user.to_string());
    }

    /// RBAC: deny `user` the `verb` (get, list, create, update, patch, delete) on `resource`,
    /// in `namespace` (None: everywhere).
    pub fn deny(&self, user: &str, verb: &str, resource: &str, namespace: Option<&str>) {
        self.lock().denials.push(Denial {
            user: user.into(),
            verb: verb.into(),
            resource: resource.into(),
            namespace: namespace.map(String::from),
        });
    }

    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push(fault);
    }

    /// Remove every injected fault.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Before each of the next `times` writes (PUT, PATCH, DELETE) of this object, another
    /// client changes it with `change` (manager [`CONCURRENT_MANAGER`], new resourceVersion).
    pub fn concurrent_writer(
        &self,
        resource: &str,
        namespace: &str,
        name: &str,
        times: u32,
        change: impl Fn(&mut Value) + Send + 'static,
    ) {
        self.lock().writers.push(Writer {
            resource: resource.into(),
            namespace: namespace.into(),
            name: name.into(),
            remaining: times,
            change: Box::new(change),
        });
    }

    /// Create a namespace (and its `default` ServiceAccount), as an administrator would.
    pub fn create_namespace(&self, name: &str) {
        self.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}));
    }

    /// Mark a namespace as being deleted (it stays Terminating: there is no namespace controller).
    pub fn terminate_namespace(&self, name: &str) {
        let mut st = self.lock();
        let key = key("namespaces", "", name);
        let mut ns = st
            .objects
            .get(&key)
            .cloned()
            .expect("an existing namespace");
        mark_terminating(&mut ns);
        st.store(key, ns);
    }

    /// Create any object as [`SEED_MANAGER`] (validated as a POST would be; no RBAC).
    pub fn seed(&self, obj: Value) -> Value {
        self.seed_as(obj, SEED_MANAGER)
    }

    /// Create any object with `manager` owning its fields (operation Update, as kubectl create).
    #[track_caller]
    pub fn seed_as(&self, obj: Value, manager: &str) -> Value {
        match seed_into(&mut self.lock(), obj, manager) {
            Ok(v) => v,
            Err(e) => panic!("seeding failed: {}", e.body),
        }
    }

    /// Server-side apply `obj` as `manager` with force, as another tool would (no RBAC).
    #[track_caller]
    pub fn seed_apply(&self, obj: Value, manager: &str) -> Value {
        let kind = KINDS
            .iter()
            .find(|k| Some(k.kind) == obj["kind"].as_str())
            .expect("a kind the fake serves");
        let ns = obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default")
            .to_string();
        let name = obj["metadata"]["name"].as_str().unwrap().to_string();
        let mut st = self.lock();
        match apply(&mut st, kind, &ns, &name, obj, manager, true, false) {
            Ok((_, v)) => v,
            Err(e) => panic!("seeding failed: {}", e.body),
        }
    }

    /// An object as stored, managedFields included.
    pub fn get(&self, resource: &str, namespace: &str, name: &str) -> Option<Value> {
        let ns = if kind_of(resource).is_some_and(|k| k.namespaced) {
            namespace
        } else {
            ""
        };
        self.lock().objects.get(&key(resource, ns, name)).cloned()
    }

    pub fn secret(&self, namespace: &str, name: &str) -> Option<Value> {
        self.get("secrets", namespace, name)
    }

    pub fn service_account(&self, namespace: &str, name: &str) -> Option<Value> {
        self.get("serviceaccounts", namespace, name)
    }

    pub fn namespace(&self, name: &str) -> Option<Value> {
        self.get("namespaces", "", name)
    }

    /// A Secret's data, decoded.
    pub fn secret_data(&self, namespace: &str, name: &str) -> Option<BTreeMap<String, Vec<u8>>> {
        let s = self.secret(namespace, name)?;
        Some(
            s["data"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), B64.decode(v.as_str().unwrap()).unwrap()))
                        .collect()
                })
                .unwrap_or_default(),
        )
    }

    /// The names in a ServiceAccount's `imagePullSecrets`, in order.
    pub fn image_pull_secrets(&self, namespace: &str, name: &str) -> Vec<String> {
        self.service_account(namespace, name)
            .and_then(|sa| sa["imagePullSecrets"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|e| e["name"].as_str().unwrap_or("").to_string())
            .collect()
    }

    /// Every object of a resource (all namespaces).
    pub fn objects(&self, resource: &str) -> Vec<Value> {
        self.lock()
            .objects
            .iter()
            .filter(|(k, _)| k.0 == resource)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The current global resourceVersion.
    pub fn revision(&self) -> u64 {
        self.lock().revision
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    /// The requests other than GET (the writes a client attempted).
    pub fn writes(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .collect()
    }

    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// The most requests ever being handled at the same time (a client's concurrency).
    pub fn max_in_flight(&self) -> usize {
        self.lock().max_in_flight
    }

    /// One request over plain HTTP with the default token, as a bare client would send it:
    /// the status and the body, byte for byte. (Plain-HTTP servers only.)
    pub fn call(&self, method: &str, path: &str, content_type: &str, body: &str) -> (u16, String) {
        use std::io::{Read, Write};
        assert!(self.ca_pem.is_none(), "ApiServer::call speaks plain HTTP");
        let mut s = std::net::TcpStream::connect(self.listener.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {DEFAULT_TOKEN}\r\nUser-Agent: raw-test-client/1.0\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.listener.addr,
            body.len()
        );
        if !content_type.is_empty() {
            req.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes()).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        let text = String::from_utf8_lossy(&out).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
        let code = head.split(' ').nth(1).unwrap().parse().unwrap();
        (code, body.to_string())
    }
}

fn key(resource: &str, namespace: &str, name: &str) -> Key {
    (resource.into(), namespace.into(), name.into())
}

fn mark_terminating(ns: &mut Value) {
    ns["metadata"]["deletionTimestamp"] = json!(now());
    ns["status"] = json!({"phase": "Terminating"});
}

impl State {
    fn next_revision(&mut self) -> String {
        self.revision += 1;
        self.revision.to_string()
    }

    fn store(&mut self, key: Key, mut obj: Value) -> Value {
        obj["metadata"]["resourceVersion"] = json!(self.next_revision());
        self.objects.insert(key, obj.clone());
        obj
    }

    fn new_uid(&mut self) -> String {
        self.uids += 1;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            nanos,
            self.port,
            self.uids & 0xfff,
            (self.uids >> 12) & 0xfff,
            self.uids
        )
    }

    fn authorize(
        &self,
        user: &str,
        verb: &str,
        resource: &str,
        name: Option<&str>,
        namespace: Option<&str>,
    ) -> Result<(), ApiError> {
        let denied = self.denials.iter().any(|d| {
            d.user == user
                && d.verb == verb
                && d.resource == resource
                && (d.namespace.is_none() || d.namespace.as_deref() == namespace)
        });
        if denied {
            Err(status::forbidden(user, verb, resource, name, namespace))
        } else {
            Ok(())
        }
    }

    /// Run the concurrent writers registered for this object.
    fn run_writers(&mut self, resource: &str, namespace: &str, name: &str) {
        let mut writers = std::mem::take(&mut self.writers);
        for w in writers.iter_mut() {
            if w.remaining == 0
                || w.resource != resource
                || w.namespace != namespace
                || w.name != name
            {
                continue;
            }
            w.remaining -= 1;
            let k = key(resource, namespace, name);
            if let Some(old) = self.objects.get(&k).cloned() {
                let mut new = old.clone();
                (w.change)(&mut new);
                if let Some(m) = new["metadata"].as_object_mut() {
                    m.remove("managedFields");
                }
                fields::update(Some(&old), &mut new, CONCURRENT_MANAGER, &now());
                self.store(k, new);
            }
        }
        writers.retain(|w| w.remaining > 0);
        self.writers = writers;
    }
}

fn now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn pct_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(v) => {
                    out.push(v);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (pct_decode(k, true), pct_decode(v, true))
        })
        .collect()
}

/// Create `obj` with `manager` owning its fields (operation Update), validated as a POST.
fn seed_into(st: &mut State, obj: Value, manager: &str) -> Result<Value, ApiError> {
    let kind = KINDS
        .iter()
        .find(|k| Some(k.kind) == obj["kind"].as_str())
        .expect("a kind the fake serves");
    let ns = obj["metadata"]["namespace"]
        .as_str()
        .unwrap_or(if kind.namespaced { "default" } else { "" })
        .to_string();
    create(st, kind, &ns, obj, manager, false)
}

/// One request, from the wire to the answer.
fn handle(shared: &Arc<Mutex<State>>, raw: http::RawRequest) -> http::Reply {
    let (path, query) = match raw.target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (raw.target.clone(), String::new()),
    };
    let path = pct_decode(&path, false);
    let params = parse_query(&query);
    let token = raw
        .header("authorization")
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim);
    let (index, fault, user) = {
        let mut st = shared.lock().unwrap_or_else(|e| e.into_inner());
        let user = token.and_then(|t| st.tokens.get(t).cloned());
        st.requests.push(Request {
            method: raw.method.clone(),
            path: path.clone(),
            query: query.clone(),
            params: params.clone(),
            content_type: raw.header("content-type").map(String::from),
            headers: raw.headers.clone(),
            body: raw.body.clone(),
            tls: raw.tls,
            user: user.clone(),
            status: None,
        });
        let index = st.requests.len() - 1;
        st.in_flight += 1;
        st.max_in_flight = st.max_in_flight.max(st.in_flight);
        let fault = st
            .faults
            .iter_mut()
            .find(|f| {
                path.starts_with(&f.path)
                    && f.method.as_deref().is_none_or(|m| m == raw.method)
                    && f.times != Some(0)
            })
            .map(|f| {
                if let Some(n) = f.times.as_mut() {
                    *n -= 1;
                }
                f.kind.clone()
            });
        (index, fault, user)
    };
    let _in_flight = InFlight(shared);
    let record = |status: u16| {
        let mut st = shared.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = st.requests.get_mut(index) {
            r.status = Some(status);
        }
    };
    match fault {
        Some(FaultKind::DropConnection) => return http::Reply::Drop,
        Some(FaultKind::PlainText404) => {
            record(404);
            return http::Reply::Respond(http::Response::text(404, "404 page not found\n"));
        }
        Some(FaultKind::InternalError) => {
            record(500);
            let e = status::internal("injected fault");
            return http::Reply::Respond(http::Response::json(500, status::go_escape(&e.body)));
        }
        Some(FaultKind::EchoBody) => {
            record(502);
            let mut body = b"502 Bad Gateway: upstream rejected the request: ".to_vec();
            body.extend_from_slice(&raw.body);
            return http::Reply::Respond(http::Response::text(502, body));
        }
        Some(FaultKind::Slow(d)) => std::thread::sleep(d),
        Some(FaultKind::CreateFirst { object, manager }) => {
            let mut st = shared.lock().unwrap_or_else(|e| e.into_inner());
            seed_into(&mut st, object, &manager).expect("the racing object is valid");
        }
        None => {}
    }
    let call = Call {
        method: &raw.method,
        params: &params,
        content_type: raw.header("content-type").unwrap_or(""),
        user_agent: raw.header("user-agent").unwrap_or(""),
        body: &raw.body,
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let result = {
        let mut st = shared.lock().unwrap_or_else(|e| e.into_inner());
        route(&mut st, &call, &segments, user.as_deref())
    };
    let (code, body) = match result {
        Ok((code, v)) => (code, v),
        Err(e) => (e.code, e.body),
    };
    record(code);
    http::Reply::Respond(http::Response::json(code, status::go_escape(&body)))
}

struct Call<'a> {
    method: &'a str,
    params: &'a [(String, String)],
    content_type: &'a str,
    user_agent: &'a str,
    body: &'a [u8],
}

impl Call<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `dryRun=All`, checked as the server checks its options.
    fn dry_run(&self, options: &str) -> Result<bool, ApiError> {
        let values: Vec<&str> = self
            .params
            .iter()
            .filter(|(k, _)| k == "dryRun")
            .map(|(_, v)| v.as_str())
            .collect();
        for v in &values {
            if *v != "All" {
                return Err(status::invalid(
                    &format!("{options}.meta.k8s.io"),
                    "",
                    &[FieldError::not_supported("dryRun", v, &["All"])],
                ));
            }
        }
        Ok(!values.is_empty())
    }

    /// The field manager: `fieldManager`, else the User-Agent up to the first `/`.
    fn manager(&self) -> String {
        match self.param("fieldManager") {
            Some(m) if !m.is_empty() => m.to_string(),
            _ => {
                let ua = self.user_agent.split('/').next().unwrap_or("");
                if ua.is_empty() {
                    "unknown".into()
                } else {
                    ua.chars().take(128).collect()
                }
            }
        }
    }

    fn strict(&self) -> bool {
        self.param("fieldValidation") == Some("Strict")
    }
}

type Answer = Result<(u16, String), ApiError>;

fn ok(code: u16, v: &Value) -> Answer {
    Ok((code, v.to_string()))
}

fn route(st: &mut State, call: &Call, seg: &[&str], user: Option<&str>) -> Answer {
    let public = matches!(seg, ["version"] | ["healthz"] | ["livez"] | ["readyz"]);
    if public && call.method == "GET" {
        return match seg {
            ["version"] => ok(
                200,
                &json!({
                    "major": "1", "minor": "32", "gitVersion": "v1.32.0",
                    "gitCommit": "0000000000000000000000000000000000000000",
                    "gitTreeState": "clean", "buildDate": "2024-12-11T18:04:20Z",
                    "goVersion": "go1.23.3", "compiler": "gc", "platform": "linux/amd64"
                }),
            ),
            _ => Ok((200, "ok".into())),
        };
    }
    let Some(user) = user else {
        return Err(status::unauthorized());
    };
    let m = call.method;
    match seg {
        ["api"] if m == "GET" => ok(
            200,
            &json!({
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": format!("127.0.0.1:{}", st.port)}
                ]
            }),
        ),
        ["apis"] if m == "GET" => ok(
            200,
            &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": []}),
        ),
        ["openapi", "v3"] if m == "GET" => ok(
            200,
            &json!({"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=0000000000000000"}}}),
        ),
        ["openapi", "v3", "api", "v1"] if m == "GET" => ok(200, &openapi_v3()),
        ["api", "v1"] if m == "GET" => {
            let resources: Vec<Value> = KINDS
                .iter()
                .map(|k| {
                    let mut r = json!({
                        "name": k.resource,
                        "singularName": k.singular,
                        "namespaced": k.namespaced,
                        "kind": k.kind,
                        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
                    });
                    if !k.short.is_empty() {
                        r["shortNames"] = json!(k.short);
                    }
                    r
                })
                .collect();
            ok(
                200,
                &json!({"kind": "APIResourceList", "groupVersion": "v1", "resources": resources}),
            )
        }
        ["api", "v1", res] if kind_of(res).is_some() => {
            let kind = kind_of(res).unwrap();
            match m {
                "GET" => list(st, call, user, kind, None),
                "POST" if !kind.namespaced => {
                    authorize_create(st, user, kind, "")?;
                    let obj = decode(kind, call.body, call.content_type, call.strict())?;
                    let dry = call.dry_run("CreateOptions")?;
                    create(st, kind, "", obj, &call.manager(), dry).map(|v| (201, v.to_string()))
                }
                _ => Err(method_not_allowed()),
            }
        }
        ["api", "v1", "namespaces", name] => item(st, call, user, &KINDS[0], "", name),
        ["api", "v1", "namespaces", ns, res] if kind_of(res).is_some_and(|k| k.namespaced) => {
            let kind = kind_of(res).unwrap();
            match m {
                "GET" => list(st, call, user, kind, Some(ns)),
                "POST" => {
                    authorize_create(st, user, kind, ns)?;
                    let obj = decode(kind, call.body, call.content_type, call.strict())?;
                    if let Some(body_ns) = obj["metadata"]["namespace"].as_str()
                        && body_ns != *ns
                    {
                        return Err(status::bad_request(
                            "the namespace of the provided object does not match the namespace sent on the request",
                        ));
                    }
                    let dry = call.dry_run("CreateOptions")?;
                    create(st, kind, ns, obj, &call.manager(), dry).map(|v| (201, v.to_string()))
                }
                _ => Err(method_not_allowed()),
            }
        }
        ["api", "v1", "namespaces", ns, res, name]
            if kind_of(res).is_some_and(|k| k.namespaced) =>
        {
            item(st, call, user, kind_of(res).unwrap(), ns, name)
        }
        _ => Err(status::no_such_path()),
    }
}

/// An OpenAPI v3 document of `api/v1` with just what kubectl reads from it: which PATCH
/// operations take the `fieldValidation` and `dryRun` query parameters.
fn openapi_v3() -> Value {
    let mut paths = Map::new();
    for k in KINDS {
        let path = if k.namespaced {
            format!("/api/v1/namespaces/{{namespace}}/{}/{{name}}", k.resource)
        } else {
            format!("/api/v1/{}/{{name}}", k.resource)
        };
        let params: Vec<Value> = ["dryRun", "fieldManager", "fieldValidation", "force"]
            .iter()
            .map(|p| json!({"name": p, "in": "query", "schema": {"type": "string", "uniqueItems": true}}))
            .collect();
        let gvk = json!({"group": "", "version": "v1", "kind": k.kind});
        let op = |action: &str, id: &str| {
            json!({
                "operationId": format!("{id}{}", k.kind),
                "parameters": params,
                "responses": {"200": {"description": "OK"}},
                "x-kubernetes-action": action,
                "x-kubernetes-group-version-kind": gvk,
            })
        };
        paths.insert(
            path,
            json!({
                "get": op("get", "readCoreV1Namespaced"),
                "put": op("put", "replaceCoreV1Namespaced"),
                "patch": op("patch", "patchCoreV1Namespaced"),
                "delete": op("delete", "deleteCoreV1Namespaced"),
            }),
        );
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": {}},
    })
}

fn method_not_allowed() -> ApiError {
    status::failure(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        status::Details::default(),
    )
}

fn ns_opt<'a>(kind: &Kind, ns: &'a str) -> Option<&'a str> {
    kind.namespaced.then_some(ns)
}

fn authorize_create(st: &State, user: &str, kind: &Kind, ns: &str) -> Result<(), ApiError> {
    st.authorize(user, "create", kind.resource, None, ns_opt(kind, ns))
}

fn list(st: &State, call: &Call, user: &str, kind: &Kind, ns: Option<&str>) -> Answer {
    if call.param("watch").is_some_and(|w| w == "true" || w == "1") {
        return Err(status::bad_request(
            "watch is not supported by the test API server",
        ));
    }
    st.authorize(user, "list", kind.resource, None, ns)?;
    let selector = call.param("labelSelector").unwrap_or("");
    let field_selector = call.param("fieldSelector").unwrap_or("");
    let items: Vec<Value> = st
        .objects
        .iter()
        .filter(|(k, _)| k.0 == kind.resource && ns.is_none_or(|n| k.1 == n))
        .map(|(_, v)| v)
        .filter(|v| {
            label_selector_matches(selector, v) && field_selector_matches(field_selector, v)
        })
        .map(|v| {
            let mut v = v.clone();
            let m = v.as_object_mut().unwrap();
            m.remove("kind");
            m.remove("apiVersion");
            v
        })
        .collect();
    ok(
        200,
        &json!({
            "kind": format!("{}List", kind.kind),
            "apiVersion": "v1",
            "metadata": {"resourceVersion": st.revision.to_string()},
            "items": items,
        }),
    )
}

fn label_selector_matches(selector: &str, obj: &Value) -> bool {
    let labels = &obj["metadata"]["labels"];
    selector
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .all(|req| {
            if let Some((k, v)) = req.split_once("!=") {
                labels[k.trim()].as_str() != Some(v.trim())
            } else if let Some((k, v)) = req.split_once("==").or_else(|| req.split_once('=')) {
                labels[k.trim()].as_str() == Some(v.trim())
            } else if let Some(k) = req.strip_prefix('!') {
                labels.get(k.trim()).is_none()
            } else {
                labels.get(req).is_some()
            }
        })
}

fn field_selector_matches(selector: &str, obj: &Value) -> bool {
    selector
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .all(|req| {
            let (k, v, eq) = match req.split_once("!=") {
                Some((k, v)) => (k, v, false),
                None => match req.split_once("==").or_else(|| req.split_once('=')) {
                    Some((k, v)) => (k, v, true),
                    None => return false,
                },
            };
            let actual = match k.trim() {
                "metadata.name" => obj["metadata"]["name"].as_str(),
                "metadata.namespace" => obj["metadata"]["namespace"].as_str(),
                "type" => obj["type"].as_str(),
                _ => None,
            };
            (actual == Some(v.trim())) == eq
        })
}

fn item(st: &mut State, call: &Call, user: &str, kind: &Kind, ns: &str, name: &str) -> Answer {
    let k = key(kind.resource, ns, name);
    let nso = ns_opt(kind, ns);
    match call.method {
        "GET" => {
            st.authorize(user, "get", kind.resource, Some(name), nso)?;
            match st.objects.get(&k) {
                Some(v) => ok(200, v),
                None => Err(status::not_found(kind.resource, name)),
            }
        }
        "PUT" => {
            st.authorize(user, "update", kind.resource, Some(name), nso)?;
            let obj = decode(kind, call.body, call.content_type, call.strict())?;
            check_identity(kind, &obj, ns, name)?;
            let dry = call.dry_run("UpdateOptions")?;
            st.run_writers(kind.resource, ns, name);
            let Some(live) = st.objects.get(&k).cloned() else {
                return Err(status::not_found(kind.resource, name));
            };
            update(st, kind, &live, obj, &call.manager(), dry)
        }
        "PATCH" => {
            st.authorize(user, "patch", kind.resource, Some(name), nso)?;
            patch(st, call, user, kind, ns, name)
        }
        "DELETE" => {
            st.authorize(user, "delete", kind.resource, Some(name), nso)?;
            let dry = call.dry_run("DeleteOptions")?;
            st.run_writers(kind.resource, ns, name);
            let Some(live) = st.objects.get(&k).cloned() else {
                return Err(status::not_found(kind.resource, name));
            };
            let options: Value = if call.body.is_empty() {
                json!({})
            } else {
                serde_json::from_slice(call.body)
                    .map_err(|e| status::bad_request(&format!("invalid DeleteOptions: {e}")))?
            };
            for (what, field, live_field) in [
                ("UID", "uid", "uid"),
                ("ResourceVersion", "resourceVersion", "resourceVersion"),
            ] {
                if let Some(want) = options["preconditions"][field].as_str() {
                    let have = live["metadata"][live_field].as_str().unwrap_or("");
                    if want != have {
                        return Err(status::precondition_failed(
                            kind.resource,
                            name,
                            what,
                            want,
                            have,
                        ));
                    }
                }
            }
            if !kind.namespaced {
                let mut ns_obj = live.clone();
                if ns_obj["metadata"]["deletionTimestamp"].is_null() {
                    mark_terminating(&mut ns_obj);
                    if !dry {
                        ns_obj = st.store(k, ns_obj);
                    }
                }
                return ok(200, &ns_obj);
            }
            if !dry {
                st.objects.remove(&k);
                st.revision += 1;
            }
            let uid = live["metadata"]["uid"].as_str().unwrap_or("");
            Ok((200, status::success(kind.resource, name, uid)))
        }
        _ => Err(method_not_allowed()),
    }
}

/// The body's name and namespace must be the URL's.
fn check_identity(kind: &Kind, obj: &Value, ns: &str, name: &str) -> Result<(), ApiError> {
    let body_name = obj["metadata"]["name"].as_str().unwrap_or("");
    if body_name != name {
        return Err(status::bad_request(&format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    if kind.namespaced
        && let Some(body_ns) = obj["metadata"]["namespace"].as_str()
        && body_ns != ns
    {
        return Err(status::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(())
}

/// A request body as the typed decoder reads it: JSON, the right kind, unknown fields dropped
/// (or refused under `fieldValidation=Strict`), nulls dropped, types checked.
fn decode(kind: &Kind, body: &[u8], content_type: &str, strict: bool) -> Result<Value, ApiError> {
    let cannot = |detail: &str| {
        status::bad_request(&format!(
            "{k} in version \"v1\" cannot be handled as a {k}: {detail}",
            k = kind.kind
        ))
    };
    let media = content_type.split(';').next().unwrap_or("").trim();
    let mut v: Value = match media {
        "application/vnd.kubernetes.protobuf" => protobuf::decode(body).map_err(|e| cannot(&e))?,
        // JSON, and YAML as far as it is JSON (what apply-patch+yaml clients send).
        "" | "application/json" | "application/apply-patch+yaml" | "application/yaml" => {
            serde_json::from_slice(body).map_err(|e| {
                cannot(&format!(
                    "the test API server reads JSON (and JSON-as-YAML) bodies only: {e}"
                ))
            })?
        }
        other => return Err(status::unsupported_body(other)),
    };
    if !v.is_object() {
        return Err(cannot("the body is not a JSON object"));
    }
    strip_nulls(&mut v);
    match v["kind"].as_str() {
        None => {
            return Err(status::bad_request(&format!(
                "Object 'Kind' is missing in '{}'",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            )));
        }
        Some(k) if k != kind.kind => {
            return Err(cannot(&format!("unexpected kind {k}")));
        }
        _ => {}
    }
    if v["apiVersion"].as_str() != Some("v1") {
        return Err(cannot(&format!(
            "the API version in the data ({}) does not match the expected API version (v1)",
            v["apiVersion"].as_str().unwrap_or("")
        )));
    }
    let mut unknown = Vec::new();
    let obj = v.as_object_mut().unwrap();
    obj.retain(|k, _| {
        let known = kind.fields.contains(&k.as_str());
        if !known {
            unknown.push(k.clone());
        }
        known
    });
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.retain(|k, _| {
            let known = METADATA_FIELDS.contains(&k.as_str());
            if !known {
                unknown.push(format!("metadata.{k}"));
            }
            known
        });
    } else if obj.contains_key("metadata") {
        return Err(cannot("metadata must be an object"));
    }
    if strict && !unknown.is_empty() {
        let list: Vec<String> = unknown
            .iter()
            .map(|u| format!("unknown field \"{u}\""))
            .collect();
        return Err(cannot(&format!(
            "strict decoding error: {}",
            list.join(", ")
        )));
    }
    let string_map = |v: &Value, what: &str| -> Result<(), ApiError> {
        match v {
            Value::Null => Ok(()),
            Value::Object(m) if m.values().all(Value::is_string) => Ok(()),
            _ => Err(cannot(&format!(
                "json: cannot unmarshal into Go struct field {what} of type map[string]string"
            ))),
        }
    };
    string_map(&v["metadata"]["labels"], "ObjectMeta.metadata.labels")?;
    string_map(
        &v["metadata"]["annotations"],
        "ObjectMeta.metadata.annotations",
    )?;
    if kind.kind == "Secret" {
        string_map(&v["stringData"], "Secret.stringData")?;
        match &v["data"] {
            Value::Null => {}
            Value::Object(m) => {
                for val in m.values() {
                    let s = val.as_str().ok_or_else(|| {
                        cannot("json: cannot unmarshal into Go struct field Secret.data of type []uint8")
                    })?;
                    B64.decode(s)
                        .map_err(|e| cannot(&format!("illegal base64 data: {e}")))?;
                }
            }
            _ => {
                return Err(cannot(
                    "json: cannot unmarshal into Go struct field Secret.data of type map[string][]uint8",
                ));
            }
        }
        if !v["type"].is_null() && !v["type"].is_string() {
            return Err(cannot(
                "json: cannot unmarshal into Go struct field Secret.type of type v1.SecretType",
            ));
        }
        if !v["immutable"].is_null() && !v["immutable"].is_boolean() {
            return Err(cannot(
                "json: cannot unmarshal into Go struct field Secret.immutable of type bool",
            ));
        }
    }
    if kind.kind == "ServiceAccount" {
        for field in ["imagePullSecrets", "secrets"] {
            match &v[field] {
                Value::Null => {}
                Value::Array(a) if a.iter().all(Value::is_object) => {}
                _ => {
                    return Err(cannot(&format!(
                        "json: cannot unmarshal into Go struct field ServiceAccount.{field}"
                    )));
                }
            }
        }
    }
    Ok(v)
}

fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, c| !c.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// Defaults and conversions the server applies to every write.
fn normalize(kind: &Kind, obj: &mut Value) {
    if kind.kind == "Secret" {
        if let Some(Value::Object(sd)) = obj.as_object_mut().unwrap().remove("stringData") {
            for (k, v) in sd {
                obj["data"][&k] = json!(B64.encode(v.as_str().unwrap_or("")));
            }
        }
        if obj["type"].as_str().is_none_or(str::is_empty) {
            obj["type"] = json!("Opaque");
        }
    }
    if kind.kind == "Namespace" && obj["spec"]["finalizers"].is_null() {
        obj["spec"]["finalizers"] = json!(["kubernetes"]);
    }
}

/// Namespace lifecycle admission for creates in `ns`.
fn admit_create(st: &State, kind: &Kind, ns: &str, name: &str) -> Result<(), ApiError> {
    if !kind.namespaced {
        return Ok(());
    }
    match st.objects.get(&key("namespaces", "", ns)) {
        None => Err(status::not_found("namespaces", ns)),
        Some(n) if !n["metadata"]["deletionTimestamp"].is_null() => {
            Err(status::namespace_terminating(kind.resource, name, ns))
        }
        Some(_) => Ok(()),
    }
}

fn create(
    st: &mut State,
    kind: &Kind,
    ns: &str,
    mut obj: Value,
    manager: &str,
    dry: bool,
) -> Result<Value, ApiError> {
    let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
    admit_create(st, kind, ns, &name)?;
    normalize(kind, &mut obj);
    if let Some(m) = obj["metadata"].as_object_mut() {
        for system in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "deletionTimestamp",
            "managedFields",
        ] {
            m.remove(system);
        }
    }
    validate(kind, None, &obj)?;
    let k = key(kind.resource, ns, &name);
    if st.objects.contains_key(&k) {
        return Err(status::already_exists(kind.resource, &name));
    }
    if kind.namespaced {
        obj["metadata"]["namespace"] = json!(ns);
    }
    obj["metadata"]["uid"] = json!(st.new_uid());
    obj["metadata"]["creationTimestamp"] = json!(now());
    if kind.kind == "Namespace" {
        obj["status"] = json!({"phase": "Active"});
    }
    fields::update(None, &mut obj, manager, &now());
    if dry {
        return Ok(obj);
    }
    let stored = st.store(k, obj);
    if kind.kind == "Namespace" {
        // What the service-account controller does for every new namespace.
        let mut sa = json!({
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": name, "uid": st.new_uid(), "creationTimestamp": now()}
        });
        if let Some(m) = sa["metadata"].as_object_mut() {
            m.remove("managedFields");
        }
        st.store(key("serviceaccounts", &name, "default"), sa);
    }
    Ok(stored)
}

/// PUT (and the tail of non-apply patches): `obj` replaces `live`.
fn update(
    st: &mut State,
    kind: &Kind,
    live: &Value,
    mut obj: Value,
    manager: &str,
    dry: bool,
) -> Answer {
    let name = live["metadata"]["name"].as_str().unwrap_or("").to_string();
    let live_rv = live["metadata"]["resourceVersion"].as_str().unwrap_or("");
    if let Some(rv) = obj["metadata"]["resourceVersion"].as_str()
        && !rv.is_empty()
        && rv != live_rv
    {
        return Err(status::conflict(kind.resource, &name));
    }
    if let Some(uid) = obj["metadata"]["uid"].as_str()
        && !uid.is_empty()
        && Some(uid) != live["metadata"]["uid"].as_str()
    {
        return Err(status::precondition_failed(
            kind.resource,
            &name,
            "UID",
            uid,
            live["metadata"]["uid"].as_str().unwrap_or(""),
        ));
    }
    normalize(kind, &mut obj);
    for system in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "namespace",
        "name",
    ] {
        match live["metadata"].get(system) {
            Some(v) => obj["metadata"][system] = v.clone(),
            None => {
                if let Some(m) = obj["metadata"].as_object_mut() {
                    m.remove(system);
                }
            }
        }
    }
    if kind.kind == "Namespace" {
        obj["status"] = live["status"].clone();
    }
    obj["metadata"]["resourceVersion"] = json!(live_rv);
    validate(kind, Some(live), &obj)?;
    fields::update(Some(live), &mut obj, manager, &now());
    if &obj == live {
        return ok(200, live);
    }
    if dry {
        return ok(200, &obj);
    }
    let k = key(
        kind.resource,
        obj["metadata"]["namespace"].as_str().unwrap_or(""),
        &name,
    );
    let stored = st.store(k, obj);
    ok(200, &stored)
}

fn patch(st: &mut State, call: &Call, user: &str, kind: &Kind, ns: &str, name: &str) -> Answer {
    let ct = call
        .content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let force = call.param("force");
    let is_apply = ct == "application/apply-patch+yaml";
    if !matches!(
        ct.as_str(),
        "application/apply-patch+yaml"
            | "application/merge-patch+json"
            | "application/strategic-merge-patch+json"
            | "application/json-patch+json"
    ) {
        return Err(status::unsupported_patch(&ct));
    }
    if is_apply && call.param("fieldManager").is_none_or(str::is_empty) {
        return Err(status::invalid(
            "PatchOptions.meta.k8s.io",
            "",
            &[FieldError::required(
                "fieldManager",
                "is required for apply patch",
            )],
        ));
    }
    if !is_apply && force.is_some() {
        return Err(status::invalid(
            "PatchOptions.meta.k8s.io",
            "",
            &[FieldError::forbidden(
                "force",
                "may not be specified for non-apply patch",
            )],
        ));
    }
    let force = match force {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(status::bad_request(&format!(
                "invalid boolean value for force: {other:?}"
            )));
        }
    };
    let dry = call.dry_run("PatchOptions")?;
    st.run_writers(kind.resource, ns, name);
    let k = key(kind.resource, ns, name);
    let live = st.objects.get(&k).cloned();
    if is_apply {
        if live.is_none() {
            // Creating through apply also needs `create`.
            st.authorize(user, "create", kind.resource, Some(name), ns_opt(kind, ns))?;
        }
        let applied = decode(kind, call.body, call.content_type, call.strict())?;
        if let Some(n) = applied["metadata"]["name"].as_str()
            && n != name
        {
            return Err(status::bad_request(&format!(
                "the name of the object ({n}) does not match the name on the URL ({name})"
            )));
        }
        check_identity(kind, &with_name(&applied, name), ns, name)?;
        return apply(st, kind, ns, name, applied, &call.manager(), force, dry)
            .map(|(code, v)| (code, v.to_string()));
    }
    let Some(live) = live else {
        return Err(status::not_found(kind.resource, name));
    };
    let patch_doc: Value = serde_json::from_slice(call.body)
        .map_err(|e| status::bad_request(&format!("error decoding patch: {e}")))?;
    let mut patched = live.clone();
    if ct == "application/json-patch+json" {
        json_patch(&mut patched, &patch_doc)
            .map_err(|msg| status::failure(422, "Invalid", &msg, status::Details::default()))?;
    } else {
        merge_patch(&mut patched, &patch_doc);
    }
    let bytes = serde_json::to_vec(&patched).unwrap();
    let obj = decode(kind, &bytes, "application/json", call.strict())?;
    check_identity(kind, &obj, ns, name)?;
    update(st, kind, &live, obj, &call.manager(), dry)
}

fn with_name(obj: &Value, name: &str) -> Value {
    let mut o = obj.clone();
    o["metadata"]["name"] = json!(name);
    o
}

#[allow(clippy::too_many_arguments)]
fn apply(
    st: &mut State,
    kind: &Kind,
    ns: &str,
    name: &str,
    applied: Value,
    manager: &str,
    force: bool,
    dry: bool,
) -> Result<(u16, Value), ApiError> {
    let k = key(kind.resource, ns, name);
    let live = st.objects.get(&k).cloned();
    if let (Some(l), Some(rv)) = (&live, applied["metadata"]["resourceVersion"].as_str())
        && Some(rv) != l["metadata"]["resourceVersion"].as_str()
    {
        return Err(status::conflict(kind.resource, name));
    }
    if live.is_none() {
        admit_create(st, kind, ns, name)?;
    }
    let mut result = fields::apply(live.as_ref(), &applied, manager, force, &now())
        .map_err(|c| status::apply_conflicts(&c))?;
    normalize(kind, &mut result);
    result["metadata"]["name"] = json!(name);
    match live {
        None => {
            if kind.namespaced {
                result["metadata"]["namespace"] = json!(ns);
            }
            validate(kind, None, &result)?;
            result["metadata"]["uid"] = json!(st.new_uid());
            result["metadata"]["creationTimestamp"] = json!(now());
            if kind.kind == "Namespace" {
                result["status"] = json!({"phase": "Active"});
            }
            if dry {
                return Ok((201, result));
            }
            Ok((201, st.store(k, result)))
        }
        Some(live) => {
            validate(kind, Some(&live), &result)?;
            if result == live || dry {
                return Ok((200, result));
            }
            Ok((200, st.store(k, result)))
        }
    }
}

/// RFC 7386 JSON merge patch (also used for strategic merge: Secrets, ServiceAccounts and
/// Namespaces have no list with a merge key that push touches; `imagePullSecrets` is atomic).
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let t = target.as_object_mut().unwrap();
    for (k, v) in p {
        if k.starts_with("$") {
            continue;
        }
        if v.is_null() {
            t.remove(k);
        } else {
            merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// RFC 6902 JSON patch: add, remove, replace, test, copy, move.
fn json_patch(doc: &mut Value, ops: &Value) -> Result<(), String> {
    let ops = ops.as_array().ok_or("the JSON patch is not an array")?;
    for op in ops {
        let kind = op["op"]
            .as_str()
            .ok_or("a JSON patch operation has no op")?;
        let path = op["path"]
            .as_str()
            .ok_or("a JSON patch operation has no path")?;
        match kind {
            "test" => {
                if doc.pointer(path) != Some(&op["value"]) {
                    return Err(format!("testing value {path} failed: test failed"));
                }
            }
            "remove" => {
                pointer_remove(doc, path).ok_or_else(|| {
                    format!("remove operation does not apply: doc is missing path: \"{path}\"")
                })?;
            }
            "add" | "replace" => {
                if kind == "replace" && doc.pointer(path).is_none() {
                    return Err(format!(
                        "replace operation does not apply: doc is missing key: {path}"
                    ));
                }
                pointer_add(doc, path, op["value"].clone(), kind == "replace").ok_or_else(
                    || format!("{kind} operation does not apply: doc is missing path: \"{path}\""),
                )?;
            }
            "copy" | "move" => {
                let from = op["from"].as_str().ok_or("copy/move without from")?;
                let v = if kind == "move" {
                    pointer_remove(doc, from)
                } else {
                    doc.pointer(from).cloned()
                }
                .ok_or_else(|| {
                    format!("{kind} operation does not apply: doc is missing from path: {from}")
                })?;
                pointer_add(doc, path, v, false).ok_or_else(|| {
                    format!("{kind} operation does not apply: doc is missing path: \"{path}\"")
                })?;
            }
            other => return Err(format!("Unexpected kind: {other}")),
        }
    }
    Ok(())
}

fn split_pointer(path: &str) -> Option<(String, String)> {
    let (parent, last) = path.rsplit_once('/')?;
    Some((
        parent.to_string(),
        last.replace("~1", "/").replace("~0", "~"),
    ))
}

fn pointer_remove(doc: &mut Value, path: &str) -> Option<Value> {
    let (parent, last) = split_pointer(path)?;
    match doc.pointer_mut(&parent)? {
        Value::Object(m) => m.remove(&last),
        Value::Array(a) => {
            let i: usize = last.parse().ok()?;
            (i < a.len()).then(|| a.remove(i))
        }
        _ => None,
    }
}

fn pointer_add(doc: &mut Value, path: &str, value: Value, replace: bool) -> Option<()> {
    if path.is_empty() {
        *doc = value;
        return Some(());
    }
    let (parent, last) = split_pointer(path)?;
    match doc.pointer_mut(&parent)? {
        Value::Object(m) => {
            m.insert(last, value);
        }
        Value::Array(a) => {
            if last == "-" {
                a.push(value);
            } else {
                let i: usize = last.parse().ok()?;
                if replace {
                    *a.get_mut(i)? = value;
                } else if i <= a.len() {
                    a.insert(i, value);
                } else {
                    return None;
                }
            }
        }
        _ => return None,
    }
    Some(())
}

// ---- validation (pkg/apis/core/validation, k8s.io/apimachinery/pkg/util/validation) ----

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// Errors of a DNS-1123 subdomain (`metadata.name` of most objects).
fn subdomain_errors(field: &str, s: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push(FieldError::invalid(
            field,
            s,
            "must be no more than 253 characters",
        ));
    }
    if !s.split('.').all(is_dns1123_label) {
        errs.push(FieldError::invalid(
            field,
            s,
            &format!(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '{DNS1123_LABEL_FMT}(\\.{DNS1123_LABEL_FMT})*')"
            ),
        ));
    }
    errs
}

/// Errors of a DNS-1123 label (namespace names).
fn label_name_errors(field: &str, s: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(FieldError::invalid(
            field,
            s,
            "must be no more than 63 characters",
        ));
    }
    if !is_dns1123_label(s) {
        errs.push(FieldError::invalid(
            field,
            s,
            &format!(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '{DNS1123_LABEL_FMT}')"
            ),
        ));
    }
    errs
}

const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";

fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

/// A label or annotation key: `[prefix/]name`.
fn qualified_name_errors(field: &str, key: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        if p.is_empty() {
            errs.push(FieldError::invalid(
                field,
                key,
                "prefix part must be non-empty",
            ));
        } else if !p.split('.').all(is_dns1123_label) || p.len() > 253 {
            errs.push(FieldError::invalid(
                field,
                key,
                &format!(
                    "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '{DNS1123_LABEL_FMT}(\\.{DNS1123_LABEL_FMT})*')"
                ),
            ));
        }
    }
    if name.len() > 63 {
        errs.push(FieldError::invalid(
            field,
            key,
            "name part must be no more than 63 characters",
        ));
    }
    if !is_qualified_name_part(name) || name.contains('/') {
        errs.push(FieldError::invalid(
            field,
            key,
            &format!(
                "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '{QUALIFIED_NAME_FMT}')"
            ),
        ));
    }
    errs
}

fn metadata_errors(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(labels) = obj["metadata"]["labels"].as_object() {
        for (k, v) in labels {
            errs.extend(qualified_name_errors("metadata.labels", k));
            let v = v.as_str().unwrap_or("");
            if v.len() > 63 {
                errs.push(FieldError::invalid(
                    "metadata.labels",
                    v,
                    "must be no more than 63 characters",
                ));
            }
            if !v.is_empty() && !is_qualified_name_part(v) {
                errs.push(FieldError::invalid(
                    "metadata.labels",
                    v,
                    &format!(
                        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '({QUALIFIED_NAME_FMT})?')"
                    ),
                ));
            }
        }
    }
    if let Some(annotations) = obj["metadata"]["annotations"].as_object() {
        let mut total = 0;
        for (k, v) in annotations {
            errs.extend(qualified_name_errors(
                "metadata.annotations",
                &k.to_ascii_lowercase(),
            ));
            total += k.len() + v.as_str().unwrap_or("").len();
        }
        if total > 256 * 1024 {
            errs.push(FieldError {
                field: "metadata.annotations".into(),
                reason: "FieldValueTooLong",
                body: format!("Too long: must have at most {} bytes", 256 * 1024),
            });
        }
    }
    errs
}

const MAX_SECRET_SIZE: usize = 1024 * 1024;

fn validate(kind: &Kind, old: Option<&Value>, obj: &Value) -> Result<(), ApiError> {
    let name = obj["metadata"]["name"].as_str().unwrap_or("");
    let mut errs = Vec::new();
    if name.is_empty() {
        errs.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ));
    } else if kind.kind == "Namespace" {
        errs.extend(label_name_errors("metadata.name", name));
    } else {
        errs.extend(subdomain_errors("metadata.name", name));
    }
    errs.extend(metadata_errors(obj));
    if kind.kind == "Secret" {
        errs.extend(secret_errors(old, obj));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(status::invalid(kind.kind, name, &errs))
    }
}

fn secret_errors(old: Option<&Value>, obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let data: BTreeMap<String, Vec<u8>> = obj["data"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        B64.decode(v.as_str().unwrap_or("")).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut total = 0;
    for (k, v) in &data {
        let valid_key = !k.is_empty()
            && k.len() <= 253
            && k.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'));
        if !valid_key {
            errs.push(FieldError::invalid(
                &format!("data[{k}]"),
                k,
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            ));
        }
        total += v.len();
    }
    if total > MAX_SECRET_SIZE {
        errs.push(FieldError::too_long("data", MAX_SECRET_SIZE));
    }
    let ty = obj["type"].as_str().unwrap_or("Opaque");
    let json_key = match ty {
        "kubernetes.io/dockerconfigjson" => Some(".dockerconfigjson"),
        "kubernetes.io/dockercfg" => Some(".dockercfg"),
        _ => None,
    };
    if let Some(jk) = json_key {
        let field = format!("data[{jk}]");
        match data.get(jk) {
            None => errs.push(FieldError::required(&field, "")),
            Some(bytes) => {
                if let Some(e) = go_json_object_error(bytes) {
                    errs.push(FieldError::invalid(
                        &field,
                        "<secret contents redacted>",
                        &e,
                    ));
                }
            }
        }
    }
    if let Some(old) = old {
        let old_ty = old["type"].as_str().unwrap_or("Opaque");
        if old_ty != ty {
            errs.push(FieldError::invalid("type", ty, "field is immutable"));
        }
        if old["immutable"] == json!(true) {
            if obj["immutable"] != json!(true) {
                errs.push(FieldError::forbidden(
                    "immutable",
                    "field is immutable when `immutable` is set",
                ));
            }
            if old["data"] != obj["data"] {
                errs.push(FieldError::forbidden(
                    "data",
                    "field is immutable when `immutable` is set",
                ));
            }
        }
    }
    errs
}

/// What Go's `json.Unmarshal(b, &map[string]interface{}{})` says about `b`, if it fails.
fn go_json_object_error(b: &[u8]) -> Option<String> {
    let trimmed = b.iter().position(|c| !c.is_ascii_whitespace());
    let Some(start) = trimmed else {
        return Some("unexpected end of JSON input".into());
    };
    match serde_json::from_slice::<Value>(b) {
        Ok(Value::Object(_)) | Ok(Value::Null) => None,
        Ok(v) => {
            let what = match v {
                Value::Array(_) => "array",
                Value::String(_) => "string",
                Value::Number(_) => "number",
                _ => "bool",
            };
            Some(format!(
                "json: cannot unmarshal {what} into Go value of type map[string]interface {{}}"
            ))
        }
        Err(e) if e.is_eof() => Some("unexpected end of JSON input".into()),
        Err(_) => {
            let c = b[start];
            if b"{[\"-0123456789tfn".contains(&c) {
                Some("invalid character in JSON input".into())
            } else {
                Some(format!(
                    "invalid character '{}' looking for beginning of value",
                    c as char
                ))
            }
        }
    }
}
