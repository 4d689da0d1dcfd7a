//! What the server checks on every write: the body decoded as the typed decoder reads it, its
//! defaults, and validation after pkg/apis/core/validation and
//! k8s.io/apimachinery/pkg/util/validation (names, labels, annotations, Secrets).

use crate::protobuf;
use crate::status::{self, ApiError, FieldError};
use crate::{Kind, METADATA_FIELDS};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The body's name and namespace must be the URL's.
pub(crate) fn check_identity(
    kind: &Kind,
    obj: &Value,
    ns: &str,
    name: &str,
) -> Result<(), ApiError> {
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
pub(crate) fn decode(
    kind: &Kind,
    body: &[u8],
    content_type: &str,
    strict: bool,
) -> Result<Value, ApiError> {
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
pub(crate) fn normalize(kind: &Kind, obj: &mut Value) {
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

pub(crate) fn validate(kind: &Kind, old: Option<&Value>, obj: &Value) -> Result<(), ApiError> {
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
