//! `Status` bodies and validation messages, byte for byte as the real kube-apiserver writes them
//! (key order included: Go encodes struct fields in declaration order).

/// A status code and a JSON body, or a `Status` error.
pub type Answer = Result<(u16, String), ApiError>;

/// A success answer with `v` as its body.
pub fn ok(code: u16, v: &serde_json::Value) -> Answer {
    Ok((code, v.to_string()))
}

/// A JSON string literal.
pub fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// Go's `encoding/json` escapes `<`, `>`, `&`, U+2028 and U+2029 in strings; in JSON text
/// these characters only occur inside strings, so escaping the whole text is exact.
pub fn go_escape(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// An API error: the HTTP status and its `Status` body.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub body: String,
}

/// `details` of a Status.
#[derive(Default)]
pub struct Details<'a> {
    pub name: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub uid: Option<&'a str>,
    /// (reason, message, field), each optional.
    pub causes: Vec<(Option<&'a str>, Option<String>, Option<String>)>,
}

impl Details<'_> {
    fn render(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(n) = self.name {
            parts.push(format!("\"name\":{}", q(n)));
        }
        if let Some(k) = self.kind {
            parts.push(format!("\"kind\":{}", q(k)));
        }
        if let Some(u) = self.uid {
            parts.push(format!("\"uid\":{}", q(u)));
        }
        if !self.causes.is_empty() {
            let causes: Vec<String> = self
                .causes
                .iter()
                .map(|(reason, message, field)| {
                    let mut c = Vec::new();
                    if let Some(r) = reason {
                        c.push(format!("\"reason\":{}", q(r)));
                    }
                    if let Some(m) = message {
                        c.push(format!("\"message\":{}", q(m)));
                    }
                    if let Some(f) = field {
                        c.push(format!("\"field\":{}", q(f)));
                    }
                    format!("{{{}}}", c.join(","))
                })
                .collect();
            parts.push(format!("\"causes\":[{}]", causes.join(",")));
        }
        if parts.is_empty() {
            None
        } else {
            Some(format!("{{{}}}", parts.join(",")))
        }
    }
}

/// A `Failure` Status.
pub fn failure(code: u16, reason: &str, message: &str, details: Details) -> ApiError {
    let mut body = format!(
        "{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{{}},\"status\":\"Failure\",\"message\":{}",
        q(message)
    );
    if !reason.is_empty() {
        body.push_str(&format!(",\"reason\":{}", q(reason)));
    }
    if let Some(d) = details.render() {
        body.push_str(&format!(",\"details\":{d}"));
    }
    body.push_str(&format!(",\"code\":{code}}}"));
    ApiError { code, body }
}

/// A `Success` Status, as DELETE answers for secrets and service accounts.
pub fn success(resource: &str, name: &str, uid: &str) -> String {
    format!(
        "{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{{}},\"status\":\"Success\",\"details\":{{\"name\":{},\"kind\":{},\"uid\":{}}}}}",
        q(name),
        q(resource),
        q(uid)
    )
}

/// 404 `secrets "x" not found`.
pub fn not_found(resource: &str, name: &str) -> ApiError {
    failure(
        404,
        "NotFound",
        &format!("{resource} {} not found", q(name)),
        Details {
            name: Some(name),
            kind: Some(resource),
            ..Default::default()
        },
    )
}

/// 404 for a path the server does not serve.
pub fn no_such_path() -> ApiError {
    failure(
        404,
        "NotFound",
        "the server could not find the requested resource",
        Details::default(),
    )
}

/// 409 `secrets "x" already exists`.
pub fn already_exists(resource: &str, name: &str) -> ApiError {
    failure(
        409,
        "AlreadyExists",
        &format!("{resource} {} already exists", q(name)),
        Details {
            name: Some(name),
            kind: Some(resource),
            ..Default::default()
        },
    )
}

/// 409 on a stale `resourceVersion`.
pub fn conflict(resource: &str, name: &str) -> ApiError {
    failure(
        409,
        "Conflict",
        &format!(
            "Operation cannot be fulfilled on {resource} {}: the object has been modified; please apply your changes to the latest version and try again",
            q(name)
        ),
        Details {
            name: Some(name),
            kind: Some(resource),
            ..Default::default()
        },
    )
}

/// 409 on a failed DELETE precondition.
pub fn precondition_failed(
    resource: &str,
    name: &str,
    what: &str,
    want: &str,
    have: &str,
) -> ApiError {
    failure(
        409,
        "Conflict",
        &format!(
            "Operation cannot be fulfilled on {resource} {}: Precondition failed: {what} in precondition: {want}, {what} in object meta: {have}",
            q(name)
        ),
        Details {
            name: Some(name),
            kind: Some(resource),
            ..Default::default()
        },
    )
}

/// 409 from server-side apply: fields owned by other managers, without `force`.
/// `conflicts` is (manager, field path) in order.
pub fn apply_conflicts(conflicts: &[(String, String)]) -> ApiError {
    let mut by_manager: Vec<(&str, Vec<&str>)> = Vec::new();
    for (m, f) in conflicts {
        match by_manager.iter_mut().find(|(x, _)| x == m) {
            Some((_, fs)) => fs.push(f),
            None => by_manager.push((m, vec![f])),
        }
    }
    let n = conflicts.len();
    let mut message = format!(
        "Apply failed with {n} conflict{}: ",
        if n == 1 { "" } else { "s" }
    );
    let groups: Vec<String> = by_manager
        .iter()
        .map(|(m, fs)| {
            if fs.len() == 1 {
                format!("conflict with {} using v1: {}", q(m), fs[0])
            } else {
                let list: Vec<String> = fs.iter().map(|f| format!("- {f}")).collect();
                format!("conflicts with {} using v1:\n{}", q(m), list.join("\n"))
            }
        })
        .collect();
    message.push_str(&groups.join("\n"));
    let causes = conflicts
        .iter()
        .map(|(m, f)| {
            (
                Some("FieldManagerConflict"),
                Some(format!("conflict with {} using v1", q(m))),
                Some(f.clone()),
            )
        })
        .collect();
    failure(
        409,
        "Conflict",
        &message,
        Details {
            causes,
            ..Default::default()
        },
    )
}

/// 401 for a missing or wrong bearer token.
pub fn unauthorized() -> ApiError {
    failure(401, "Unauthorized", "Unauthorized", Details::default())
}

/// 403 from RBAC, with the authorizer's message.
pub fn forbidden(
    user: &str,
    verb: &str,
    resource: &str,
    name: Option<&str>,
    namespace: Option<&str>,
) -> ApiError {
    let subject = match name {
        Some(n) => format!("{resource} {}", q(n)),
        None => resource.to_string(),
    };
    let scope = match namespace {
        Some(ns) => format!("in the namespace {}", q(ns)),
        None => "at the cluster scope".to_string(),
    };
    failure(
        403,
        "Forbidden",
        &format!(
            "{subject} is forbidden: User {} cannot {verb} resource {} in API group \"\" {scope}",
            q(user),
            q(resource)
        ),
        Details {
            name: name.filter(|n| !n.is_empty()),
            kind: Some(resource),
            ..Default::default()
        },
    )
}

/// 403 for creating through apply without `create`: patch.go's create authorization check
/// reports the authorizer's reason, which RBAC leaves empty when it simply allows nothing.
pub fn forbidden_create_on_apply(resource: &str, name: &str) -> ApiError {
    failure(
        403,
        "Forbidden",
        &format!("{resource} {} is forbidden: ", q(name)),
        Details {
            name: Some(name).filter(|n| !n.is_empty()),
            kind: Some(resource),
            ..Default::default()
        },
    )
}

/// 403 for a create in a namespace being deleted (NamespaceLifecycle admission).
pub fn namespace_terminating(resource: &str, name: &str, namespace: &str) -> ApiError {
    failure(
        403,
        "Forbidden",
        &format!(
            "{resource} {} is forbidden: unable to create new content in namespace {namespace} because it is being terminated",
            q(name)
        ),
        Details {
            name: Some(name),
            kind: Some(resource),
            causes: vec![(
                Some("NamespaceTerminating"),
                Some(format!("namespace {namespace} is being terminated")),
                Some("metadata.namespace".into()),
            )],
            ..Default::default()
        },
    )
}

/// 400 BadRequest with a message.
pub fn bad_request(message: &str) -> ApiError {
    failure(400, "BadRequest", message, Details::default())
}

/// 413 for a body over the limit.
pub fn too_large() -> String {
    failure(
        413,
        "RequestEntityTooLarge",
        "Request entity too large: limit is 3145728",
        Details::default(),
    )
    .body
}

/// 415 for a PATCH content type the server does not know.
pub fn unsupported_patch(content_type: &str) -> ApiError {
    failure(
        415,
        "UnsupportedMediaType",
        &format!(
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {content_type})"
        ),
        Details::default(),
    )
}

/// 415 for a POST or PUT body in a format the server does not read.
pub fn unsupported_body(content_type: &str) -> ApiError {
    failure(
        415,
        "UnsupportedMediaType",
        &format!(
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf, application/cbor (got {content_type})"
        ),
        Details::default(),
    )
}

/// 500 as the server answers an internal error.
pub fn internal(message: &str) -> ApiError {
    failure(
        500,
        "InternalError",
        &format!("Internal error occurred: {message}"),
        Details {
            causes: vec![(None, Some(message.to_string()), None)],
            ..Default::default()
        },
    )
}

/// One field error of a validation failure (k8s.io/apimachinery/pkg/util/validation/field).
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: String,
    pub reason: &'static str,
    /// What follows `field: ` in the message.
    pub body: String,
}

impl FieldError {
    pub fn invalid(field: &str, value: &str, detail: &str) -> FieldError {
        FieldError {
            field: field.into(),
            reason: "FieldValueInvalid",
            body: format!("Invalid value: {}: {detail}", q(value)),
        }
    }
    pub fn required(field: &str, detail: &str) -> FieldError {
        FieldError {
            field: field.into(),
            reason: "FieldValueRequired",
            body: if detail.is_empty() {
                "Required value".into()
            } else {
                format!("Required value: {detail}")
            },
        }
    }
    pub fn forbidden(field: &str, detail: &str) -> FieldError {
        FieldError {
            field: field.into(),
            reason: "FieldValueForbidden",
            body: format!("Forbidden: {detail}"),
        }
    }
    pub fn too_long(field: &str, max: usize) -> FieldError {
        FieldError {
            field: field.into(),
            reason: "FieldValueTooLong",
            body: format!("Too long: may not be more than {max} bytes"),
        }
    }
    pub fn not_supported(field: &str, value: &str, supported: &[&str]) -> FieldError {
        let list: Vec<String> = supported.iter().map(|s| q(s)).collect();
        FieldError {
            field: field.into(),
            reason: "FieldValueNotSupported",
            body: format!(
                "Unsupported value: {}: supported values: {}",
                q(value),
                list.join(", ")
            ),
        }
    }
}

/// 422 Invalid: `Secret "x" is invalid: field: …` (several errors in brackets).
pub fn invalid(kind: &str, name: &str, errors: &[FieldError]) -> ApiError {
    let rendered: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.body))
        .collect();
    let list = if rendered.len() == 1 {
        rendered[0].clone()
    } else {
        format!("[{}]", rendered.join(", "))
    };
    failure(
        422,
        "Invalid",
        &format!("{kind} {} is invalid: {list}", q(name)),
        Details {
            name: Some(name),
            kind: Some(kind),
            causes: errors
                .iter()
                .map(|e| (Some(e.reason), Some(e.body.clone()), Some(e.field.clone())))
                .collect(),
            ..Default::default()
        },
    )
}
