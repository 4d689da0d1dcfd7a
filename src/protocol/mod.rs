//! The Docker credential-helper protocol (docs/protocol.md §1–§5 and §7), byte for byte.
//!
//! - Input: stdin lines are joined with no separator, a `\r` before each line end dropped;
//!   `get`/`erase` trim Unicode whitespace; `store` reads the first JSON value with keys matched
//!   case-insensitively. The total input is bounded ([`MAX_INPUT`]).
//! - Output: compact JSON exactly as Go's `encoding/json` writes it ([`go_json`]).
//! - Errors: one line on stdout and exit status 1 (done by the caller with [`Error`]'s text).

pub mod client;
mod error;
pub mod json;

pub use error::{Error, NO_SERVER_URL, NO_USERNAME, NOT_FOUND, Result};

use crate::backend::{Backend, Credential};
use crate::registry;
use crate::secret::Secret;
use serde::Serialize;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use zeroize::Zeroizing;

use json::go_json;

/// The most stdin we read: far above any real credential (the reference dies at 64 KiB a line).
pub const MAX_INPUT: usize = 1 << 20;

/// The protocol actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Store,
    Get,
    Erase,
    List,
    Version,
}

impl Action {
    /// The action an argument names (case-sensitive, as the reference helpers are).
    pub fn from_arg(arg: &str) -> Option<Action> {
        Some(match arg {
            "store" => Action::Store,
            "get" => Action::Get,
            "erase" => Action::Erase,
            "list" => Action::List,
            "version" | "--version" | "-v" | "-V" => Action::Version,
            _ => return None,
        })
    }

    /// The word a client passes.
    pub fn name(self) -> &'static str {
        match self {
            Action::Store => "store",
            Action::Get => "get",
            Action::Erase => "erase",
            Action::List => "list",
            Action::Version => "version",
        }
    }
}

/// `Usage: docker-credential-keyring <store|get|erase|list|version>`
pub fn usage_line() -> String {
    format!(
        "Usage: {} <store|get|erase|list|version>",
        crate::BINARY_NAME
    )
}

/// `docker-credential-keyring (<project URL>) v<semver>`
pub fn version_line() -> String {
    format!(
        "{} ({}) v{}",
        crate::BINARY_NAME,
        env!("CARGO_PKG_REPOSITORY"),
        env!("CARGO_PKG_VERSION")
    )
}

/// Run one protocol action. `open` is called only when the action needs the keychain, after
/// the input has been validated; `list` and `version` never touch `stdin`.
pub fn run(
    action: Action,
    open: impl FnOnce() -> Result<Box<dyn Backend>>,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
) -> Result<()> {
    run_reporting(action, open, stdin, stdout).map(drop)
}

/// [`run`], answering the server URL a successful `store` stored (for `sync_on_store`).
pub fn run_reporting(
    action: Action,
    open: impl FnOnce() -> Result<Box<dyn Backend>>,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
) -> Result<Option<String>> {
    match action {
        Action::Version => emit(stdout, format!("{}\n", version_line()).as_bytes()).map(|()| None),
        Action::List => {
            let entries = open()?.list()?;
            let map: BTreeMap<String, String> = entries
                .into_iter()
                .map(|e| (e.server_url, e.username))
                .collect();
            emit(stdout, go_json(&map).as_bytes()).map(|()| None)
        }
        Action::Get => {
            let query = read_server_url(stdin)?;
            let credential = get(&*open()?, &query)?.ok_or(Error::NotFound)?;
            #[derive(Serialize)]
            struct Answer<'a> {
                #[serde(rename = "ServerURL")]
                server_url: &'a str,
                #[serde(rename = "Username")]
                username: &'a str,
                #[serde(rename = "Secret")]
                secret: &'a str,
            }
            let out = Zeroizing::new(go_json(&Answer {
                server_url: &query,
                username: &credential.username,
                secret: credential.secret.expose(),
            }));
            emit(stdout, out.as_bytes()).map(|()| None)
        }
        Action::Erase => {
            let query = read_server_url(stdin)?;
            if erase(&*open()?, &query)? {
                Ok(None)
            } else {
                Err(Error::NotFound)
            }
        }
        Action::Store => {
            let input = read_input(stdin)?;
            let credential = parse_store(&input)?;
            open()?.store(&credential)?;
            Ok(Some(credential.server_url.clone()))
        }
    }
}

/// The credential that answers `query` by the address rules of [`registry::resolve`], as the
/// backend finds it: the Secret Service with its own searches by registry, every other backend
/// by `resolve_among` over the server names it holds.
pub fn get(backend: &dyn Backend, query: &str) -> Result<Option<Credential>> {
    Ok(backend.find(query)?)
}

/// Erase what `query` names: the exact server string, or else every stored equivalent form
/// ([`registry::equivalents`]). `Ok(false)` when nothing was deleted.
pub fn erase(backend: &dyn Backend, query: &str) -> Result<bool> {
    if backend.erase(query)? {
        return Ok(true);
    }
    let listed = backend.list()?;
    let mut erased = false;
    for key in registry::equivalents(query, listed.iter().map(|l| l.server_url.as_str())) {
        erased |= backend.erase(key)?;
    }
    Ok(erased)
}

fn emit(stdout: &mut dyn Write, bytes: &[u8]) -> Result<()> {
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(Error::Stdout)
}

/// Read stdin as the reference does: lines joined with no separator, each line's trailing `\r`
/// dropped. Invalid UTF-8 becomes U+FFFD (as Go's JSON encoder would print it anyway).
pub fn read_input(stdin: &mut dyn Read) -> Result<Zeroizing<String>> {
    let mut raw = Zeroizing::new(Vec::new());
    stdin
        .take(MAX_INPUT as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(Error::Stdin)?;
    if raw.len() > MAX_INPUT {
        return Err(Error::InputTooLarge {
            limit: MAX_INPUT,
            expected: "one credential as {\"ServerURL\":…,\"Username\":…,\"Secret\":…}",
        });
    }
    let mut joined = Zeroizing::new(Vec::with_capacity(raw.len()));
    for line in raw.split_inclusive(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        joined.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
    }
    Ok(Zeroizing::new(
        String::from_utf8_lossy(&joined).into_owned(),
    ))
}

/// The server URL `get` and `erase` read: the joined input with Unicode whitespace trimmed.
pub fn read_server_url(stdin: &mut dyn Read) -> Result<String> {
    let input = read_input(stdin).map_err(|e| match e {
        Error::InputTooLarge { limit, .. } => Error::InputTooLarge {
            limit,
            expected: "one server URL, e.g. ghcr.io",
        },
        e => e,
    })?;
    let url = input.trim();
    if url.is_empty() {
        return Err(Error::MissingServerUrl);
    }
    Ok(url.to_owned())
}

/// Parse `store`'s JSON like Go's `json.Decoder` into the reference's struct: the first JSON
/// value only, keys matched case-insensitively (Unicode simple folding), the last duplicate
/// winning, `null` meaning empty, unknown keys ignored. Checks the URL, then the username.
pub fn parse_store(input: &str) -> Result<Credential> {
    let credential = parse_answer(input)?;
    if credential.server_url.is_empty() {
        return Err(Error::MissingServerUrl);
    }
    if credential.username.is_empty() {
        return Err(Error::MissingUsername);
    }
    Ok(credential)
}

/// Parse another helper's `get` answer as the docker CLI's client does (Go's `json.Decoder`
/// into its `Credentials`): the rules of [`parse_store`], no field required. The reason of an
/// error never quotes a value (the answer holds a secret).
pub fn parse_answer(input: &str) -> Result<Credential> {
    let mut de = serde_json::Deserializer::from_str(input);
    let mut fields = StoreSeed
        .deserialize(&mut de)
        .map_err(|e| Error::BadInput {
            reason: e.to_string(),
        })?;
    Ok(Credential {
        server_url: std::mem::take(&mut fields.server_url),
        username: std::mem::take(&mut fields.username),
        secret: Secret::new(std::mem::take(&mut fields.secret)),
    })
}

#[derive(Default)]
struct StoreFields {
    server_url: String,
    username: String,
    secret: String,
}

impl Drop for StoreFields {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
    }
}

/// Go's field-name matching: equal under Unicode simple case folding (so `serverurl`,
/// `SERVERURL` and even `ſecret` with a long s match).
fn fold_eq(key: &str, field: &str) -> bool {
    let fold = |s: &str| -> String {
        s.chars()
            .flat_map(char::to_uppercase)
            .flat_map(char::to_lowercase)
            .collect()
    };
    fold(key) == field
}

struct StoreSeed;

impl<'de> DeserializeSeed<'de> for StoreSeed {
    type Value = StoreFields;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<StoreFields, D::Error> {
        d.deserialize_any(StoreVisitor)
    }
}

struct StoreVisitor;

/// Messages here never quote the offending value: it may be a secret.
fn not_an_object<E: de::Error>(what: &str) -> E {
    E::custom(format!("found {what} where a JSON object was expected"))
}

impl<'de> Visitor<'de> for StoreVisitor {
    type Value = StoreFields;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_unit<E: de::Error>(self) -> Result<StoreFields, E> {
        Ok(StoreFields::default())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<StoreFields, E> {
        Err(not_an_object("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<StoreFields, E> {
        Err(not_an_object("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<StoreFields, E> {
        Err(not_an_object("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<StoreFields, E> {
        Err(not_an_object("a number"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<StoreFields, E> {
        Err(not_an_object("a string"))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<StoreFields, A::Error> {
        Err(not_an_object("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StoreFields, A::Error> {
        let mut fields = StoreFields::default();
        while let Some(key) = map.next_key::<String>()? {
            let slot = if fold_eq(&key, "serverurl") {
                &mut fields.server_url
            } else if fold_eq(&key, "username") {
                &mut fields.username
            } else if fold_eq(&key, "secret") {
                &mut fields.secret
            } else {
                map.next_value::<de::IgnoredAny>()?;
                continue;
            };
            // `null` leaves the field as it was, like Go.
            if let Some(value) = map.next_value::<OptionalString>()?.0 {
                zeroize::Zeroize::zeroize(slot);
                *slot = value;
            }
        }
        Ok(fields)
    }
}

/// A JSON string or `null`; any other type is an error that names no value.
struct OptionalString(Option<String>);

impl<'de> de::Deserialize<'de> for OptionalString {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OptionalString;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_unit<E: de::Error>(self) -> Result<OptionalString, E> {
                Ok(OptionalString(None))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OptionalString, E> {
                Ok(OptionalString(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<OptionalString, E> {
                Ok(OptionalString(Some(v)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<OptionalString, E> {
                Err(E::custom(
                    "a credential field holds a boolean, not a string",
                ))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<OptionalString, E> {
                Err(E::custom("a credential field holds a number, not a string"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<OptionalString, E> {
                Err(E::custom("a credential field holds a number, not a string"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<OptionalString, E> {
                Err(E::custom("a credential field holds a number, not a string"))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<OptionalString, A::Error> {
                Err(de::Error::custom(
                    "a credential field holds an array, not a string",
                ))
            }
            fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<OptionalString, A::Error> {
                Err(de::Error::custom(
                    "a credential field holds an object, not a string",
                ))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(bytes: &[u8]) -> String {
        read_input(&mut &bytes[..]).unwrap().to_string()
    }

    #[test]
    fn lines_are_joined_and_cr_dropped() {
        assert_eq!(input(b"https://a\r\n"), "https://a");
        assert_eq!(input(b"https://a\nb\n"), "https://ab");
        assert_eq!(input(b"a\r"), "a");
        assert_eq!(input(b"a\r\r\n"), "a\r");
        assert_eq!(input(b"a\rb"), "a\rb");
        assert_eq!(input(b""), "");
    }

    #[test]
    fn server_url_trims_unicode_space() {
        let url = read_server_url(&mut &"\u{a0}\t https://a b \u{2003}\n".as_bytes()[..]).unwrap();
        assert_eq!(url, "https://a b");
        assert!(matches!(
            read_server_url(&mut &b" \r\n\t"[..]),
            Err(Error::MissingServerUrl)
        ));
    }

    #[test]
    fn input_is_bounded() {
        let big = vec![b'a'; MAX_INPUT + 1];
        assert!(matches!(
            read_input(&mut &big[..]),
            Err(Error::InputTooLarge { .. })
        ));
        let ok = vec![b'a'; MAX_INPUT];
        assert_eq!(read_input(&mut &ok[..]).unwrap().len(), MAX_INPUT);
    }

    #[test]
    fn store_json_like_go() {
        let c = parse_store(
            r#"  {"serverurl":"https://a","USERNAME":"carol","secret":"pw3","Extra":5}"#,
        )
        .unwrap();
        assert_eq!(
            (
                c.server_url.as_str(),
                c.username.as_str(),
                c.secret.expose().as_str()
            ),
            ("https://a", "carol", "pw3")
        );
        let c = parse_store(r#"{"ServerURL":"x","Username":"u","Secret":"s"} garbage"#).unwrap();
        assert_eq!(c.server_url, "x");
        let c = parse_store(r#"{"ServerURL":"x","serverURL":"y","Username":"u","Username":null,"ſecret":"s","Nested":{"a":[1]}}"#).unwrap();
        assert_eq!(
            (
                c.server_url.as_str(),
                c.username.as_str(),
                c.secret.expose().as_str()
            ),
            ("y", "u", "s")
        );
        let c = parse_store(r#"{"ServerURL":" x ","Username":"u"}"#).unwrap();
        assert_eq!(c.server_url, " x ");
        assert_eq!(c.secret.expose(), "");
    }

    #[test]
    fn store_validation_order() {
        assert!(matches!(
            parse_store(r#"{"ServerURL":"","Username":"u","Secret":"s"}"#),
            Err(Error::MissingServerUrl)
        ));
        assert!(matches!(
            parse_store(r#"{"ServerURL":"a","Username":"","Secret":"s"}"#),
            Err(Error::MissingUsername)
        ));
        assert!(matches!(parse_store("null"), Err(Error::MissingServerUrl)));
        assert!(matches!(
            parse_store(r#"{"Username":""}"#),
            Err(Error::MissingServerUrl)
        ));
    }

    #[test]
    fn bad_store_json_never_echoes_values() {
        for bad in [
            r#"{"ServerURL":"a","Username":"u","Secret":123456789}"#,
            r#"{"ServerURL":"a","Username":"u","Secret":["topsecret"]}"#,
            r#""topsecret""#,
            r#"["topsecret"]"#,
            r#"{"ServerURL":"a","Secret":"topsecret"#,
            "",
            "123456789",
        ] {
            let err = parse_store(bad).expect_err(bad).to_string();
            assert!(err.starts_with("invalid credentials on stdin"), "{err}");
            assert!(
                !err.contains("topsecret") && !err.contains("123456789"),
                "{err}"
            );
        }
    }

    #[test]
    fn actions_are_case_sensitive() {
        assert_eq!(Action::from_arg("get"), Some(Action::Get));
        assert_eq!(Action::from_arg("GET"), None);
        assert_eq!(Action::from_arg("-v"), Some(Action::Version));
    }
}
