//! `watch=true`: every change is logged with its resourceVersion, and a watch streams the
//! changes after the one it asks for, filtered by its selectors as the server's cacher does
//! (an object leaving the selection is `DELETED`, one entering it `ADDED`). A resourceVersion
//! older than the log's floor is `410 Gone` (an `ERROR` event, as the real server sends it).

use crate::http::Reply;
use crate::routing::{Call, field_selector_matches, label_selector_matches, parse_label_selector};
use crate::state::{Key, State};
use crate::{kind_of, status};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One change: (revision, key, before, after).
type Change = (u64, Key, Option<Value>, Option<Value>);

#[derive(Default)]
pub(crate) struct Log {
    changes: Vec<Change>,
    /// Watches from before this revision are expired (410).
    floor: u64,
    /// Bumped to end every open watch (with 410 when `expired`).
    generation: u64,
    /// Unreachable: every connection is closed at once.
    pub(crate) down: bool,
}

impl Log {
    pub(crate) fn changed(&mut self, rev: u64, key: Key, old: Option<Value>, new: Option<Value>) {
        self.changes.push((rev, key, old, new));
    }

    /// Expire every watch so far (they end with 410 and must relist).
    pub(crate) fn expire(&mut self, revision: u64) {
        self.floor = revision + 1;
        self.generation += 1;
        self.changes.clear();
    }

    pub(crate) fn set_down(&mut self, down: bool) {
        self.down = down;
        self.generation += 1;
    }
}

/// A watch request, answered as a stream; None: not a watch (routed as usual).
pub(crate) fn start(
    shared: &Arc<Mutex<State>>,
    call: &Call,
    seg: &[&str],
    user: Option<&str>,
) -> Option<Reply> {
    if call.method != "GET" || !call.param("watch").is_some_and(|w| w == "true" || w == "1") {
        return None;
    }
    let (resource, ns) = match seg {
        ["api", "v1", res] => (*res, None),
        ["api", "v1", "namespaces", ns, res] => (*res, Some(ns.to_string())),
        _ => return None,
    };
    let kind = kind_of(resource)?;
    let fail =
        |code: u16, body: String| Some(Reply::Respond(crate::http::Response::json(code, body)));
    let Some(user) = user else {
        let e = status::unauthorized();
        return fail(e.code, e.body);
    };
    let st = shared.lock().unwrap_or_else(|e| e.into_inner());
    if let Err(e) = st.authorize(user, "watch", kind.resource, None, ns.as_deref()) {
        return fail(e.code, e.body);
    }
    let selector = match parse_label_selector(call.param("labelSelector").unwrap_or("")) {
        Ok(s) => s,
        Err(e) => {
            let e = status::bad_request(&format!("unable to parse requirement: {e}"));
            return fail(e.code, e.body);
        }
    };
    let fields = call.param("fieldSelector").unwrap_or("").to_owned();
    let from: u64 = call
        .param("resourceVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(st.revision);
    let timeout = call
        .param("timeoutSeconds")
        .and_then(|t| t.parse().ok())
        .map_or(Duration::from_secs(1800), Duration::from_secs);
    let generation = st.watch.generation;
    drop(st);
    let resource = kind.resource.to_owned();
    let shared = shared.clone();
    Some(Reply::Stream(Box::new(move |w: &mut dyn Write| {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nCache-Control: no-cache, private\r\n\r\n";
        if w.write_all(head.as_bytes())
            .and_then(|()| w.flush())
            .is_err()
        {
            return;
        }
        let chunk = |w: &mut dyn Write, event: &Value| {
            let mut line = event.to_string();
            line.push('\n');
            write!(w, "{:x}\r\n{line}\r\n", line.len()).and_then(|()| w.flush())
        };
        let matches = |v: &Option<Value>| {
            v.as_ref().is_some_and(|v| {
                label_selector_matches(&selector, v) && field_selector_matches(&fields, v)
            })
        };
        let started = Instant::now();
        let mut at = from;
        loop {
            let (events, expired) = {
                let st = shared.lock().unwrap_or_else(|e| e.into_inner());
                let log = &st.watch;
                if log.down {
                    return;
                }
                // Expired before or while it streams (the other reason to end, going down,
                // closes the connection above).
                let expired = at + 1 < log.floor || log.generation != generation;
                let mut events = Vec::new();
                for (rev, key, old, new) in &log.changes {
                    if *rev <= at || key.0 != resource || ns.as_deref().is_some_and(|n| key.1 != n)
                    {
                        continue;
                    }
                    at = *rev;
                    let (was, is) = (matches(old), matches(new));
                    let event = match (was, is) {
                        (false, true) => ("ADDED", new),
                        (true, true) => ("MODIFIED", new),
                        (true, false) => ("DELETED", if new.is_some() { new } else { old }),
                        (false, false) => continue,
                    };
                    let mut object = event.1.clone().unwrap_or_default();
                    object["metadata"]["resourceVersion"] = json!(rev.to_string());
                    events.push(json!({"type": event.0, "object": object}));
                }
                (events, expired)
            };
            for e in &events {
                if chunk(w, e).is_err() {
                    return;
                }
            }
            if expired {
                let gone = json!({"type": "ERROR", "object": {
                    "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": format!("too old resource version: {from} ({})", at + 1),
                    "reason": "Expired", "code": 410,
                }});
                let _ = chunk(w, &gone);
                break;
            }
            if started.elapsed() >= timeout {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = w.write_all(b"0\r\n\r\n").and_then(|()| w.flush());
    })))
}
