//! PATCH in its four content types: server-side apply (through `fields`), JSON merge patch,
//! strategic merge patch (as a merge patch: every list is atomic; its `$` directives are
//! refused with 415) and JSON patch.

pub(crate) mod fields;

use crate::Kind;
use crate::routing::{Call, ns_opt};
use crate::state::{State, admit_create, key, now, refuse_resource_version_on_create, update};
use crate::status::{self, Answer, ApiError, FieldError};
use crate::validation::{check_identity, decode, normalize, validate};
use serde_json::{Map, Value, json};

pub(crate) fn patch(
    st: &mut State,
    call: &Call,
    user: &str,
    kind: &Kind,
    ns: &str,
    name: &str,
) -> Answer {
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
            // Creating through apply also needs `create` (asked of the authorizer after
            // `patch`, and worded differently).
            st.authorize(user, "create", kind.resource, Some(name), ns_opt(kind, ns))
                .map_err(|_| status::forbidden_create_on_apply(kind.resource, name))?;
        }
        let applied = decode(kind, call.body, call.content_type, call.strict())?;
        // What the server's field manager refuses before anything else (structuredmerge.go).
        if !applied["metadata"]["managedFields"].is_null() {
            return Err(status::bad_request("metadata.managedFields must be nil"));
        }
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
    if ct == "application/strategic-merge-patch+json"
        && let Some(directive) = directive_in(&patch_doc)
    {
        // Applying it as a merge patch would silently do something else than the real server.
        return Err(status::failure(
            415,
            "UnsupportedMediaType",
            &format!(
                "the test API server does not implement strategic merge patch directives (found {directive:?}): send a JSON merge patch or server-side apply"
            ),
            status::Details::default(),
        ));
    }
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
pub(crate) fn apply(
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
        refuse_resource_version_on_create(&applied)?;
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
        if v.is_null() {
            t.remove(k);
        } else {
            merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// The first strategic-merge directive (`$patch`, `$retainKeys`, `$setElementOrder/…`,
/// `$deleteFromPrimitiveList/…`: any key starting with `$`) anywhere in a patch.
fn directive_in(patch: &Value) -> Option<String> {
    match patch {
        Value::Object(m) => m.iter().find_map(|(k, v)| {
            if k.starts_with('$') {
                Some(k.clone())
            } else {
                directive_in(v)
            }
        }),
        Value::Array(a) => a.iter().find_map(directive_in),
        _ => None,
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
