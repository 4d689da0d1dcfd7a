//! Parsing and validating the file: a JSON object, with Docker's fields of Docker's types.

use super::{Error, Json, Object, Result};
use serde::Deserialize;
use std::path::Path;

/// The string fields of an `auths` entry Docker knows.
const AUTH_STRING_FIELDS: &[&str] = &[
    "auth",
    "username",
    "password",
    "email",
    "serveraddress",
    "identitytoken",
    "registrytoken",
];

/// Parse and validate the file's bytes: a JSON object, with Docker's fields of Docker's types.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Object> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Empty {
            path: path.to_owned(),
        });
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Json::deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| Error::Invalid {
            path: path.to_owned(),
            reason: match e.classify() {
                serde_json::error::Category::Eof => "it ends too early",
                serde_json::error::Category::Syntax => "syntax error",
                serde_json::error::Category::Data => "bad value",
                serde_json::error::Category::Io => "read error",
            },
            line: e.line(),
            column: e.column(),
        })?;
    let wrong = |field: String, expected: &'static str, found: &Json| Error::WrongType {
        path: path.to_owned(),
        field,
        expected,
        found: found.kind(),
    };
    let root = match value {
        Json::Object(o) => o,
        other => return Err(wrong("the top level".into(), "an object", &other)),
    };
    if let Some(v) = root.get("credsStore")
        && !matches!(v, Json::String(_) | Json::Null)
    {
        return Err(wrong("\"credsStore\"".into(), "a string", v));
    }
    match root.get("credHelpers") {
        None | Some(Json::Null) => {}
        Some(Json::Object(helpers)) => {
            for (k, v) in helpers.iter() {
                if !matches!(v, Json::String(_)) {
                    return Err(wrong(format!("\"credHelpers\".{k:?}"), "a string", v));
                }
            }
        }
        Some(v) => return Err(wrong("\"credHelpers\"".into(), "an object", v)),
    }
    match root.get("auths") {
        None | Some(Json::Null) => {}
        Some(Json::Object(auths)) => {
            for (registry, entry) in auths.iter() {
                let entry = match entry {
                    Json::Object(e) => e,
                    Json::Null => continue,
                    v => return Err(wrong(format!("\"auths\".{registry:?}"), "an object", v)),
                };
                for (k, v) in entry.iter() {
                    if AUTH_STRING_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(k))
                        && !matches!(v, Json::String(_) | Json::Null)
                    {
                        return Err(wrong(
                            format!("\"auths\".{registry:?}.{k:?}"),
                            "a string",
                            v,
                        ));
                    }
                }
            }
        }
        Some(v) => return Err(wrong("\"auths\"".into(), "an object", v)),
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_typed() {
        let p = Path::new("c.json");
        assert!(matches!(parse(p, b""), Err(Error::Empty { .. })));
        assert!(matches!(parse(p, b" \n\t"), Err(Error::Empty { .. })));
        assert!(matches!(
            parse(p, b"{\"auths\": {"),
            Err(Error::Invalid { .. })
        ));
        assert!(matches!(
            parse(p, b"{} trailing"),
            Err(Error::Invalid { .. })
        ));
        assert!(matches!(parse(p, b"[]"), Err(Error::WrongType { .. })));
        assert!(matches!(
            parse(p, br#"{"credsStore": 5}"#),
            Err(Error::WrongType { .. })
        ));
        assert!(matches!(
            parse(p, br#"{"credHelpers": []}"#),
            Err(Error::WrongType { .. })
        ));
        assert!(matches!(
            parse(p, br#"{"credHelpers": {"a": 1}}"#),
            Err(Error::WrongType { .. })
        ));
        assert!(matches!(
            parse(p, br#"{"auths": "x"}"#),
            Err(Error::WrongType { .. })
        ));
        assert!(matches!(
            parse(p, br#"{"auths": {"h": {"auth": 12}}}"#),
            Err(Error::WrongType { .. })
        ));
    }

    #[test]
    fn errors_never_show_content() {
        let secret = "hunter2-very-secret";
        let text = format!(r#"{{"auths": {{"h": {{"auth": "{secret}" "#);
        let e = parse(Path::new("c.json"), text.as_bytes()).unwrap_err();
        assert!(!e.to_string().contains(secret), "{e}");
        let text = format!(r#"{{"auths": {{"h": {{"password": ["{secret}"]}}}}}}"#);
        let e = parse(Path::new("c.json"), text.as_bytes()).unwrap_err();
        assert!(!e.to_string().contains(secret), "{e}");
    }
}
