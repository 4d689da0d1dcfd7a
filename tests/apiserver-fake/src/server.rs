//! The handle tests hold: start a server, seed and inspect objects, inject faults and denials,
//! read the request log.

use crate::http;
use crate::patching::apply;
use crate::routing::handle;
use crate::state::{Denial, Fault, Request, State, Writer, key, mark_terminating};
use crate::tls::tls_config;
use crate::{DEFAULT_TOKEN, DEFAULT_USER, KINDS, SEED_MANAGER, kind_of};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The running fake. Stops listening when dropped.
pub struct ApiServer {
    state: Arc<Mutex<State>>,
    listener: http::Listener,
    ca_pem: Option<String>,
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

    /// Like [`ApiServer::start_tls`], serving its CA certificate itself as the server's (some
    /// hand-made clusters do; Go's TLS accepts it, rustls never does).
    pub fn start_tls_ca_as_server() -> ApiServer {
        let (config, ca) = crate::tls::tls_config_ca_as_server();
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
    /// in `namespace` (None: everywhere; `Some("")`: only across all namespaces, as a role
    /// bound per namespace without a cluster role).
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

    /// Expire every watch: open ones end with 410 Gone, and so does one asked from an older
    /// resourceVersion (the client must list again).
    pub fn expire_watches(&self) {
        let mut st = self.lock();
        let revision = st.revision;
        st.watch.expire(revision);
    }

    /// Down (`true`): every connection is closed without an answer, open watches too, as a
    /// cluster that went away; up again with `false`. Requests meanwhile are not recorded.
    pub fn set_down(&self, down: bool) {
        self.lock().watch.set_down(down);
    }

    /// Delete an object at once, as another client would (no RBAC); whether it existed.
    pub fn delete(&self, resource: &str, namespace: &str, name: &str) -> bool {
        let ns = if kind_of(resource).is_some_and(|k| k.namespaced) {
            namespace
        } else {
            ""
        };
        self.lock().remove(&key(resource, ns, name))
    }

    /// Remove every injected fault.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Before each of the next `times` writes (PUT, PATCH, DELETE) of this object, another
    /// client changes it with `change` (manager [`crate::CONCURRENT_MANAGER`], new
    /// resourceVersion).
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
        match crate::state::seed_into(&mut self.lock(), obj, manager) {
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
