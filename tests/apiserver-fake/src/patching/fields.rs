//! Field ownership (`metadata.managedFields`) and server-side apply, after
//! sigs.k8s.io/structured-merge-diff as far as Secrets, ServiceAccounts and Namespaces need:
//! maps are granular (each key a field), lists and scalars are atomic.
//!
//! Apply: the applied configuration's fields become the manager's; a field another manager owns
//! with a different value is a conflict (409) unless `force` moves it over; fields the manager
//! applied before and no longer applies are removed when nobody else owns them. Update (POST,
//! PUT, non-apply PATCH): changed fields move to the updating manager.

use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// A field: the keys from the object's root, e.g. `["data", ".dockerconfigjson"]`.
pub type Path = Vec<String>;
pub type FieldSet = BTreeSet<Path>;

/// Metadata fields the server owns; never part of a field set.
const SYSTEM_METADATA: &[&str] = &[
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
    "managedFields",
];

/// `.data..dockerconfigjson`, as conflict messages print a field.
pub fn display(path: &Path) -> String {
    path.iter().map(|s| format!(".{s}")).collect()
}

/// Every field `obj` sets, with its value.
pub fn leaves(obj: &Value) -> BTreeMap<Path, Value> {
    fn walk(v: &Value, path: &mut Path, out: &mut BTreeMap<Path, Value>) {
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    let skip = (path.is_empty()
                        && matches!(k.as_str(), "apiVersion" | "kind" | "status"))
                        || (path.len() == 1
                            && path[0] == "metadata"
                            && SYSTEM_METADATA.contains(&k.as_str()));
                    if skip || c.is_null() {
                        continue;
                    }
                    path.push(k.clone());
                    walk(c, path, out);
                    path.pop();
                }
            }
            other => {
                out.insert(path.clone(), other.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(obj, &mut Vec::new(), &mut out);
    out
}

pub fn value_at<'a>(obj: &'a Value, path: &Path) -> Option<&'a Value> {
    path.iter().try_fold(obj, |v, k| v.get(k))
}

pub fn set_at(obj: &mut Value, path: &Path, value: Value) {
    let mut cur = obj;
    for (i, k) in path.iter().enumerate() {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let m = cur.as_object_mut().unwrap();
        if i + 1 == path.len() {
            m.insert(k.clone(), value);
            return;
        }
        cur = m
            .entry(k.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// Remove a field, and the maps it leaves empty (as Go's `omitempty` would).
pub fn remove_at(obj: &mut Value, path: &Path) {
    fn go(v: &mut Value, path: &[String]) {
        let Some(m) = v.as_object_mut() else { return };
        if path.len() == 1 {
            m.remove(&path[0]);
            return;
        }
        if let Some(child) = m.get_mut(&path[0]) {
            go(child, &path[1..]);
            if child.as_object().is_some_and(|c| c.is_empty()) && path[0] != "metadata" {
                m.remove(&path[0]);
            }
        }
    }
    go(obj, path)
}

/// One `managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub manager: String,
    pub operation: String,
    pub time: String,
    pub fields: FieldSet,
}

impl Entry {
    fn is(&self, manager: &str, operation: &str) -> bool {
        self.manager == manager && self.operation == operation
    }
}

/// `fieldsV1` of a field set: `{"f:data":{"f:.dockerconfigjson":{}}}`.
pub fn fields_v1(fields: &FieldSet) -> Value {
    let mut root = Value::Object(Map::new());
    for p in fields {
        let prefixed: Path = p.iter().map(|s| format!("f:{s}")).collect();
        set_at(&mut root, &prefixed, json!({}));
    }
    root
}

fn parse_fields_v1(v: &Value) -> FieldSet {
    fn walk(v: &Value, path: &mut Path, out: &mut FieldSet) {
        let children: Vec<(&String, &Value)> = v
            .as_object()
            .map(|m| m.iter().filter(|(k, _)| k.starts_with("f:")).collect())
            .unwrap_or_default();
        let has_items = v
            .as_object()
            .is_some_and(|m| m.keys().any(|k| k.starts_with("k:") || k.starts_with("v:")));
        if (children.is_empty() || has_items) && !path.is_empty() {
            out.insert(path.clone());
            return;
        }
        for (k, c) in children {
            path.push(k[2..].to_string());
            walk(c, path, out);
            path.pop();
        }
    }
    let mut out = FieldSet::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

/// The entries in `metadata.managedFields` (ours only: `apiVersion: v1`, no subresource).
pub fn entries(obj: &Value) -> Vec<Entry> {
    let Some(list) = obj
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    list.iter()
        .filter(|e| e.get("subresource").is_none())
        .map(|e| Entry {
            manager: e["manager"].as_str().unwrap_or("").to_string(),
            operation: e["operation"].as_str().unwrap_or("Update").to_string(),
            time: e["time"].as_str().unwrap_or("").to_string(),
            fields: e.get("fieldsV1").map(parse_fields_v1).unwrap_or_default(),
        })
        .collect()
}

/// Write `entries` into `metadata.managedFields`.
pub fn set_entries(obj: &mut Value, entries: &[Entry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            json!({
                "manager": e.manager,
                "operation": e.operation,
                "apiVersion": "v1",
                "time": e.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": fields_v1(&e.fields),
            })
        })
        .collect();
    let meta = obj
        .as_object_mut()
        .unwrap()
        .entry("metadata")
        .or_insert_with(|| json!({}));
    if list.is_empty() {
        meta.as_object_mut().unwrap().remove("managedFields");
    } else {
        meta["managedFields"] = Value::Array(list);
    }
}

fn overlaps(a: &Path, b: &Path) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// Server-side apply of `applied` by `manager` onto `live` (None: the object is created).
/// Returns the new object (managedFields included) or the conflicts (manager, field).
pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    now: &str,
) -> Result<Value, Vec<(String, String)>> {
    let empty = json!({});
    let live_obj = live.unwrap_or(&empty);
    let mut owners = entries(live_obj);
    let new = leaves(applied);

    let mut conflicts = Vec::new();
    let mut forced: Vec<(usize, Path)> = Vec::new();
    for (i, e) in owners.iter().enumerate() {
        if e.is(manager, "Apply") {
            continue;
        }
        for owned in &e.fields {
            for (p, v) in &new {
                if overlaps(owned, p) && value_at(live_obj, p) != Some(v) {
                    conflicts.push((e.manager.clone(), display(owned)));
                    forced.push((i, owned.clone()));
                    break;
                }
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflicts);
    }
    for (i, p) in forced {
        owners[i].fields.remove(&p);
    }

    let mut result = match live {
        Some(l) => l.clone(),
        None => json!({
            "apiVersion": applied["apiVersion"],
            "kind": applied["kind"],
            "metadata": {},
        }),
    };
    let previous: FieldSet = owners
        .iter()
        .find(|e| e.is(manager, "Apply"))
        .map(|e| e.fields.clone())
        .unwrap_or_default();
    for p in &previous {
        let still_applied = new.contains_key(p);
        let owned_by_others = owners
            .iter()
            .any(|e| !e.is(manager, "Apply") && e.fields.iter().any(|o| overlaps(o, p)));
        if !still_applied && !owned_by_others {
            remove_at(&mut result, p);
        }
    }
    for (p, v) in &new {
        set_at(&mut result, p, v.clone());
    }

    let fields: FieldSet = new.keys().cloned().collect();
    match owners.iter_mut().find(|e| e.is(manager, "Apply")) {
        Some(e) => {
            if e.fields != fields {
                e.fields = fields;
                e.time = now.to_string();
            }
        }
        None => owners.push(Entry {
            manager: manager.to_string(),
            operation: "Apply".into(),
            time: now.to_string(),
            fields,
        }),
    }
    owners.retain(|e| !e.fields.is_empty());
    set_entries(&mut result, &owners);
    Ok(result)
}

/// Ownership after a non-apply write of `new` over `old` by `manager`: changed fields become the
/// manager's, removed fields nobody's. `new`'s own managedFields (if any) are the starting point.
pub fn update(old: Option<&Value>, new: &mut Value, manager: &str, now: &str) {
    let empty = json!({});
    let old_obj = old.unwrap_or(&empty);
    let mut owners = if new.pointer("/metadata/managedFields").is_some() {
        entries(new)
    } else {
        entries(old_obj)
    };
    let before = leaves(old_obj);
    let after = leaves(new);
    let changed: FieldSet = after
        .iter()
        .filter(|(p, v)| before.get(*p) != Some(*v))
        .map(|(p, _)| p.clone())
        .collect();
    let removed: FieldSet = before
        .keys()
        .filter(|p| !after.contains_key(*p))
        .cloned()
        .collect();
    for e in owners.iter_mut() {
        e.fields
            .retain(|f| !changed.iter().chain(removed.iter()).any(|c| overlaps(f, c)));
    }
    if !changed.is_empty() {
        match owners.iter_mut().find(|e| e.is(manager, "Update")) {
            Some(e) => {
                e.fields.extend(changed);
                e.time = now.to_string();
            }
            None => owners.push(Entry {
                manager: manager.to_string(),
                operation: "Update".into(),
                time: now.to_string(),
                fields: changed,
            }),
        }
    }
    owners.retain(|e| !e.fields.is_empty());
    set_entries(new, &owners);
}
