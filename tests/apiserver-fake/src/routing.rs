//! From the wire to a handler: authentication, fault injection, the request log, and the
//! paths and verbs the fake serves (discovery, list, get, create, update, patch, delete).

use crate::http;
use crate::patching::patch;
use crate::state::{FaultKind, InFlight, Request, State, create, key, mark_terminating, update};
use crate::status::{self, Answer, ApiError, FieldError, ok};
use crate::validation::{check_identity, decode};
use crate::{KINDS, Kind, kind_of};
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};

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

/// One request, from the wire to the answer.
pub(crate) fn handle(shared: &Arc<Mutex<State>>, raw: http::RawRequest) -> http::Reply {
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
        if st.watch.down {
            return http::Reply::Drop;
        }
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
    match &fault {
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
        Some(FaultKind::Status {
            code,
            reason,
            message,
        }) => {
            record(*code);
            let e = status::failure(*code, reason, message, status::Details::default());
            return http::Reply::Respond(http::Response::json(*code, e.body));
        }
        Some(FaultKind::Slow(d)) => std::thread::sleep(*d),
        Some(FaultKind::CreateFirst { object, manager }) => {
            let mut st = shared.lock().unwrap_or_else(|e| e.into_inner());
            crate::state::seed_into(&mut st, object.clone(), manager)
                .expect("the racing object is valid");
        }
        Some(FaultKind::DropAnswer) | None => {}
    }
    let call = Call {
        method: &raw.method,
        params: &params,
        content_type: raw.header("content-type").unwrap_or(""),
        user_agent: raw.header("user-agent").unwrap_or(""),
        body: &raw.body,
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if let Some(reply) = crate::watch::start(shared, &call, &segments, user.as_deref()) {
        return reply;
    }
    let result = {
        let mut st = shared.lock().unwrap_or_else(|e| e.into_inner());
        st.run_finalizers();
        route(&mut st, &call, &segments, user.as_deref())
    };
    let (code, body) = match result {
        Ok((code, v)) => (code, v),
        Err(e) => (e.code, e.body),
    };
    if matches!(fault, Some(FaultKind::DropAnswer)) {
        // Handled, and the answer lost on the way: the request stays recorded without a status.
        return http::Reply::Drop;
    }
    record(code);
    http::Reply::Respond(http::Response::json(code, status::go_escape(&body)))
}

pub(crate) struct Call<'a> {
    pub(crate) method: &'a str,
    pub(crate) params: &'a [(String, String)],
    pub(crate) content_type: &'a str,
    pub(crate) user_agent: &'a str,
    pub(crate) body: &'a [u8],
}

impl Call<'_> {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `dryRun=All`, checked as the server checks its options.
    pub(crate) fn dry_run(&self, options: &str) -> Result<bool, ApiError> {
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
    pub(crate) fn manager(&self) -> String {
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

    pub(crate) fn strict(&self) -> bool {
        self.param("fieldValidation") == Some("Strict")
    }
}

pub(crate) fn route(st: &mut State, call: &Call, seg: &[&str], user: Option<&str>) -> Answer {
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

pub(crate) fn ns_opt<'a>(kind: &Kind, ns: &'a str) -> Option<&'a str> {
    kind.namespaced.then_some(ns)
}

fn authorize_create(st: &State, user: &str, kind: &Kind, ns: &str) -> Result<(), ApiError> {
    st.authorize(user, "create", kind.resource, None, ns_opt(kind, ns))
}

pub(crate) fn list(st: &State, call: &Call, user: &str, kind: &Kind, ns: Option<&str>) -> Answer {
    if call.param("watch").is_some_and(|w| w == "true" || w == "1") {
        return Err(status::bad_request(
            "watch is not supported by the test API server",
        ));
    }
    st.authorize(user, "list", kind.resource, None, ns)?;
    let selector = parse_label_selector(call.param("labelSelector").unwrap_or(""))
        .map_err(|e| status::bad_request(&format!("unable to parse requirement: {e}")))?;
    let field_selector = call.param("fieldSelector").unwrap_or("");
    let items: Vec<Value> = st
        .objects
        .iter()
        .filter(|(k, _)| k.0 == kind.resource && ns.is_none_or(|n| k.1 == n))
        .map(|(_, v)| v)
        .filter(|v| {
            label_selector_matches(&selector, v) && field_selector_matches(field_selector, v)
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

/// One requirement of a label selector (k8s.io/apimachinery/pkg/labels).
#[derive(Debug)]
pub(crate) enum Requirement {
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

/// Parse a label selector: `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`,
/// comma-separated. `Err` names what could not be parsed.
pub(crate) fn parse_label_selector(selector: &str) -> Result<Vec<Requirement>, String> {
    // Split at the commas outside parentheses.
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in selector.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&selector[start..]);
    let values = |set: &str| -> Result<Vec<String>, String> {
        let inner = set
            .trim()
            .strip_prefix('(')
            .and_then(|s| s.strip_suffix(')'))
            .ok_or_else(|| format!("expected a parenthesized set of values, found {set:?}"))?;
        Ok(inner.split(',').map(|v| v.trim().to_owned()).collect())
    };
    let key = |k: &str| -> Result<String, String> {
        let k = k.trim();
        if k.is_empty() || k.contains(char::is_whitespace) {
            Err(format!("invalid label key {k:?}"))
        } else {
            Ok(k.to_owned())
        }
    };
    let mut reqs = Vec::new();
    for part in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let words: Vec<&str> = part.splitn(2, char::is_whitespace).collect();
        let req = if let [k, rest] = words[..]
            && let Some(set) = rest.trim_start().strip_prefix("notin")
        {
            Requirement::NotIn(key(k)?, values(set)?)
        } else if let [k, rest] = words[..]
            && let Some(set) = rest.trim_start().strip_prefix("in")
        {
            Requirement::In(key(k)?, values(set)?)
        } else if let Some((k, v)) = part.split_once("!=") {
            Requirement::NotIn(key(k)?, vec![v.trim().to_owned()])
        } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
            Requirement::In(key(k)?, vec![v.trim().to_owned()])
        } else if let Some(k) = part.strip_prefix('!') {
            Requirement::NotExists(key(k)?)
        } else {
            Requirement::Exists(key(part)?)
        };
        reqs.push(req);
    }
    Ok(reqs)
}

pub(crate) fn label_selector_matches(selector: &[Requirement], obj: &Value) -> bool {
    let labels = &obj["metadata"]["labels"];
    let value = |k: &str| labels.get(k).and_then(Value::as_str);
    selector.iter().all(|req| match req {
        Requirement::Exists(k) => value(k).is_some(),
        Requirement::NotExists(k) => value(k).is_none(),
        Requirement::In(k, set) => value(k).is_some_and(|v| set.iter().any(|s| s == v)),
        // As the real server: an object without the key matches `!=` and `notin`.
        Requirement::NotIn(k, set) => value(k).is_none_or(|v| set.iter().all(|s| s != v)),
    })
}

pub(crate) fn field_selector_matches(selector: &str, obj: &Value) -> bool {
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
                other => crate::pods::field(obj, other),
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
            let finalizers = live["metadata"]["finalizers"]
                .as_array()
                .is_some_and(|f| !f.is_empty());
            if finalizers {
                // Graceful deletion: marked, answered as the object, and kept until its
                // finalizers are done (one more request here). Deleting it again changes nothing.
                if !live["metadata"]["deletionTimestamp"].is_null() {
                    return ok(200, &live);
                }
                let mut marked = live.clone();
                marked["metadata"]["deletionTimestamp"] = json!(crate::state::now());
                marked["metadata"]["deletionGracePeriodSeconds"] = json!(0);
                if dry {
                    return ok(200, &marked);
                }
                let stored = st.store(k.clone(), marked);
                st.finalizing.insert(k, 1);
                return ok(200, &stored);
            }
            if !dry {
                st.remove(&k);
            }
            let uid = live["metadata"]["uid"].as_str().unwrap_or("");
            Ok((200, status::success(kind.resource, name, uid)))
        }
        _ => Err(method_not_allowed()),
    }
}
