//! What the fake holds: stored objects under one global resourceVersion, uids, tokens, RBAC
//! denials, faults, concurrent writers and the request log; and the two writes every path ends
//! in (create and replace), with admission, system fields and field ownership.

use crate::patching::fields;
use crate::status::{self, Answer, ApiError, ok};
use crate::validation::{normalize, validate};
use crate::{CONCURRENT_MANAGER, Kind};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
    /// Handle the request (a write is committed), then close the connection without answering:
    /// the client cannot tell whether its write happened.
    DropAnswer,
    /// 502 text/plain quoting the request body, as some proxies and firewalls do: a client
    /// that prints server messages must scrub what it sent.
    EchoBody,
    /// A Failure Status with these words, as a hostile or broken server (or a middlebox) may
    /// send: nothing in them is checked, control characters included.
    Status {
        code: u16,
        reason: String,
        message: String,
    },
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

pub(crate) struct Writer {
    pub(crate) resource: String,
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) remaining: u32,
    pub(crate) change: Box<dyn Fn(&mut Value) + Send>,
}

pub(crate) struct Denial {
    pub(crate) user: String,
    pub(crate) verb: String,
    pub(crate) resource: String,
    pub(crate) namespace: Option<String>,
}

pub(crate) type Key = (String, String, String);

#[derive(Default)]
pub(crate) struct State {
    pub(crate) objects: BTreeMap<Key, Value>,
    pub(crate) revision: u64,
    pub(crate) uids: u64,
    pub(crate) tokens: BTreeMap<String, String>,
    pub(crate) denials: Vec<Denial>,
    pub(crate) faults: Vec<Fault>,
    pub(crate) writers: Vec<Writer>,
    pub(crate) requests: Vec<Request>,
    pub(crate) port: u16,
    pub(crate) in_flight: usize,
    pub(crate) max_in_flight: usize,
    /// Objects deleted while they had finalizers: terminating (deletionTimestamp set) for this
    /// many more requests, then removed, as if the finalizers' controller had finished.
    pub(crate) finalizing: BTreeMap<Key, u32>,
    /// What watches stream (see `watch`).
    pub(crate) watch: crate::watch::Log,
}

/// Counts a request as in flight until dropped.
pub(crate) struct InFlight<'a>(pub(crate) &'a Mutex<State>);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).in_flight -= 1;
    }
}

pub(crate) fn key(resource: &str, namespace: &str, name: &str) -> Key {
    (resource.into(), namespace.into(), name.into())
}

pub(crate) fn mark_terminating(ns: &mut Value) {
    ns["metadata"]["deletionTimestamp"] = json!(now());
    ns["status"] = json!({"phase": "Terminating"});
}

impl State {
    fn next_revision(&mut self) -> String {
        self.revision += 1;
        self.revision.to_string()
    }

    pub(crate) fn store(&mut self, key: Key, mut obj: Value) -> Value {
        obj["metadata"]["resourceVersion"] = json!(self.next_revision());
        let old = self.objects.insert(key.clone(), obj.clone());
        self.watch
            .changed(self.revision, key, old, Some(obj.clone()));
        obj
    }

    /// Remove an object (a new resourceVersion), as watches see it.
    pub(crate) fn remove(&mut self, key: &Key) -> bool {
        let Some(mut old) = self.objects.remove(key) else {
            return false;
        };
        self.revision += 1;
        old["metadata"]["resourceVersion"] = json!(self.revision.to_string());
        self.watch
            .changed(self.revision, key.clone(), Some(old), None);
        true
    }

    pub(crate) fn new_uid(&mut self) -> String {
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

    pub(crate) fn authorize(
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
                && (d.namespace.is_none()
                    || d.namespace.as_deref() == namespace
                    // `Some("")`: only requests across all namespaces.
                    || (d.namespace.as_deref() == Some("") && namespace.is_none()))
        });
        if denied {
            Err(status::forbidden(user, verb, resource, name, namespace))
        } else {
            Ok(())
        }
    }

    /// One request's worth of the finalizers' controllers: an object whose round is over loses
    /// its finalizers and is gone.
    pub(crate) fn run_finalizers(&mut self) {
        let mut done = Vec::new();
        for (k, rounds) in self.finalizing.iter_mut() {
            if *rounds == 0 {
                done.push(k.clone());
            } else {
                *rounds -= 1;
            }
        }
        for k in done {
            self.finalizing.remove(&k);
            self.remove(&k);
        }
    }

    /// Run the concurrent writers registered for this object.
    pub(crate) fn run_writers(&mut self, resource: &str, namespace: &str, name: &str) {
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

pub(crate) fn now() -> String {
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

/// Namespace lifecycle admission for creates in `ns`.
pub(crate) fn admit_create(st: &State, kind: &Kind, ns: &str, name: &str) -> Result<(), ApiError> {
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

/// The storage layer refuses to create an object carrying a resourceVersion: a plain error
/// the server answers as a 500 without a reason. (A value that is not a number, or 0, passes.)
pub(crate) fn refuse_resource_version_on_create(obj: &Value) -> Result<(), ApiError> {
    let set = obj["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|rv| rv.parse::<u64>().ok())
        .is_some_and(|rv| rv != 0);
    if set {
        return Err(status::failure(
            500,
            "",
            "resourceVersion should not be set on objects to be created",
            status::Details::default(),
        ));
    }
    Ok(())
}

pub(crate) fn create(
    st: &mut State,
    kind: &Kind,
    ns: &str,
    mut obj: Value,
    manager: &str,
    dry: bool,
) -> Result<Value, ApiError> {
    let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
    admit_create(st, kind, ns, &name)?;
    let original = obj.clone();
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
    // Storage checks the resourceVersion before it looks for an existing object.
    refuse_resource_version_on_create(&original)?;
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
pub(crate) fn update(
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

/// Create `obj` with `manager` owning its fields (operation Update), validated as a POST.
pub(crate) fn seed_into(st: &mut State, obj: Value, manager: &str) -> Result<Value, ApiError> {
    let kind = crate::KINDS
        .iter()
        .find(|k| Some(k.kind) == obj["kind"].as_str())
        .expect("a kind the fake serves");
    let ns = obj["metadata"]["namespace"]
        .as_str()
        .unwrap_or(if kind.namespaced { "default" } else { "" })
        .to_string();
    create(st, kind, &ns, obj, manager, false)
}
