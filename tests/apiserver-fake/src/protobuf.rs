//! Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), decoded to the
//! JSON form for the kinds the fake serves. kubectl sends `create` bodies this way; answers
//! are always JSON, which every client accepts.
//!
//! Wire format: the magic `k8s\0`, then a `runtime.Unknown` {typeMeta=1 {apiVersion=1, kind=2},
//! raw=2, contentEncoding=3, contentType=4} whose `raw` is the object's message
//! (k8s.io/api/core/v1/generated.proto).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};

/// A protobuf field: number and payload.
enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Other,
}

fn varint(b: &[u8], i: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*i)?;
        *i += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn fields(b: &[u8]) -> Option<Vec<(u64, Field<'_>)>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let key = varint(b, &mut i)?;
        let (num, wire) = (key >> 3, key & 7);
        let f = match wire {
            0 => Field::Varint(varint(b, &mut i)?),
            2 => {
                let len = varint(b, &mut i)? as usize;
                let s = b.get(i..i + len)?;
                i += len;
                Field::Bytes(s)
            }
            1 => {
                i += 8;
                Field::Other
            }
            5 => {
                i += 4;
                Field::Other
            }
            _ => return None,
        };
        out.push((num, f));
    }
    Some(out)
}

fn string(b: &[u8]) -> Value {
    json!(String::from_utf8_lossy(b))
}

/// A `map<string, string>` (or `bytes`, base64-encoded as JSON has it) entry.
fn map_entry(b: &[u8], bytes_values: bool) -> Option<(String, Value)> {
    let mut k = String::new();
    let mut v = json!("");
    for (n, f) in fields(b)? {
        if let Field::Bytes(s) = f {
            match n {
                1 => k = String::from_utf8_lossy(s).into_owned(),
                2 if bytes_values => v = json!(B64.encode(s)),
                2 => v = string(s),
                _ => {}
            }
        }
    }
    Some((k, v))
}

fn insert_entry(
    obj: &mut Map<String, Value>,
    field: &str,
    b: &[u8],
    bytes_values: bool,
) -> Option<()> {
    let (k, v) = map_entry(b, bytes_values)?;
    obj.entry(field)
        .or_insert_with(|| json!({}))
        .as_object_mut()?
        .insert(k, v);
    Some(())
}

fn object_meta(b: &[u8]) -> Option<Value> {
    let mut m = Map::new();
    for (n, f) in fields(b)? {
        match (n, f) {
            (1, Field::Bytes(s)) => {
                m.insert("name".into(), string(s));
            }
            (2, Field::Bytes(s)) => {
                m.insert("generateName".into(), string(s));
            }
            (3, Field::Bytes(s)) => {
                m.insert("namespace".into(), string(s));
            }
            (5, Field::Bytes(s)) => {
                m.insert("uid".into(), string(s));
            }
            (6, Field::Bytes(s)) => {
                m.insert("resourceVersion".into(), string(s));
            }
            (11, Field::Bytes(s)) => insert_entry(&mut m, "labels", s, false)?,
            (12, Field::Bytes(s)) => insert_entry(&mut m, "annotations", s, false)?,
            (14, Field::Bytes(s)) => m
                .entry("finalizers")
                .or_insert_with(|| json!([]))
                .as_array_mut()?
                .push(string(s)),
            _ => {}
        }
    }
    // Empty strings are unset fields in the Go struct: drop them as the JSON encoder would.
    m.retain(|_, v| v.as_str() != Some(""));
    Some(Value::Object(m))
}

fn secret(b: &[u8]) -> Option<Value> {
    let mut m = Map::new();
    for (n, f) in fields(b)? {
        match (n, f) {
            (1, Field::Bytes(s)) => {
                m.insert("metadata".into(), object_meta(s)?);
            }
            (2, Field::Bytes(s)) => insert_entry(&mut m, "data", s, true)?,
            (3, Field::Bytes(s)) if !s.is_empty() => {
                m.insert("type".into(), string(s));
            }
            (4, Field::Bytes(s)) => insert_entry(&mut m, "stringData", s, false)?,
            (5, Field::Varint(v)) => {
                m.insert("immutable".into(), json!(v != 0));
            }
            _ => {}
        }
    }
    Some(Value::Object(m))
}

fn name_ref(b: &[u8]) -> Option<Value> {
    let mut name = String::new();
    for (n, f) in fields(b)? {
        if let (1, Field::Bytes(s)) = (n, f) {
            name = String::from_utf8_lossy(s).into_owned();
        }
    }
    Some(json!({"name": name}))
}

fn service_account(b: &[u8]) -> Option<Value> {
    let mut m = Map::new();
    for (n, f) in fields(b)? {
        match (n, f) {
            (1, Field::Bytes(s)) => {
                m.insert("metadata".into(), object_meta(s)?);
            }
            // ObjectReference: name is field 3.
            (2, Field::Bytes(s)) => {
                let mut name = String::new();
                for (n, f) in fields(s)? {
                    if let (3, Field::Bytes(x)) = (n, f) {
                        name = String::from_utf8_lossy(x).into_owned();
                    }
                }
                m.entry("secrets")
                    .or_insert_with(|| json!([]))
                    .as_array_mut()?
                    .push(json!({"name": name}));
            }
            (3, Field::Bytes(s)) => m
                .entry("imagePullSecrets")
                .or_insert_with(|| json!([]))
                .as_array_mut()?
                .push(name_ref(s)?),
            (4, Field::Varint(v)) => {
                m.insert("automountServiceAccountToken".into(), json!(v != 0));
            }
            _ => {}
        }
    }
    Some(Value::Object(m))
}

fn namespace(b: &[u8]) -> Option<Value> {
    let mut m = Map::new();
    for (n, f) in fields(b)? {
        match (n, f) {
            (1, Field::Bytes(s)) => {
                m.insert("metadata".into(), object_meta(s)?);
            }
            (2, Field::Bytes(s)) => {
                let mut finalizers = Vec::new();
                for (n, f) in fields(s)? {
                    if let (1, Field::Bytes(x)) = (n, f) {
                        finalizers.push(string(x));
                    }
                }
                if !finalizers.is_empty() {
                    m.insert("spec".into(), json!({"finalizers": finalizers}));
                }
            }
            _ => {}
        }
    }
    Some(Value::Object(m))
}

/// The JSON form of a protobuf body, or why it cannot be read.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    let rest = body
        .strip_prefix(b"k8s\0")
        .ok_or("protobuf body without the k8s magic prefix")?;
    let mut api_version = String::new();
    let mut kind = String::new();
    let mut raw: &[u8] = &[];
    for (n, f) in fields(rest).ok_or("malformed protobuf envelope")? {
        match (n, f) {
            (1, Field::Bytes(tm)) => {
                for (n, f) in fields(tm).ok_or("malformed TypeMeta")? {
                    match (n, f) {
                        (1, Field::Bytes(s)) => api_version = String::from_utf8_lossy(s).into(),
                        (2, Field::Bytes(s)) => kind = String::from_utf8_lossy(s).into(),
                        _ => {}
                    }
                }
            }
            (2, Field::Bytes(r)) => raw = r,
            _ => {}
        }
    }
    let mut obj = match kind.as_str() {
        "Secret" => secret(raw),
        "ServiceAccount" => service_account(raw),
        "Namespace" => namespace(raw),
        other => {
            return Err(format!(
                "the test API server cannot decode protobuf {other}"
            ));
        }
    }
    .ok_or_else(|| format!("malformed protobuf {kind}"))?;
    obj["apiVersion"] = json!(api_version);
    obj["kind"] = json!(kind);
    Ok(obj)
}
