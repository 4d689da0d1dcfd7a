//! A JSON tree whose objects keep their key order, rendered byte for byte as the docker CLI
//! writes its config file.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::fmt;
use zeroize::{Zeroize, Zeroizing};

/// A JSON value whose objects keep their key order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Object),
}

/// A JSON object with its keys in file order. A key repeated in the file keeps its first
/// position and its last value (Go's decoder also lets the last one win).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Object(Vec<(String, Json)>);

impl Object {
    /// An empty object.
    pub fn new() -> Object {
        Object(Vec::new())
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Set `key`: replaced in place when present, appended otherwise.
    pub fn insert(&mut self, key: impl Into<String>, value: Json) {
        let key = key.into();
        match self.get_mut(&key) {
            Some(slot) => *slot = value,
            None => self.0.push((key, value)),
        }
    }

    /// Remove `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Json> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(i).1)
    }

    /// The object under `key`, created (appended, empty) when missing. `None` if `key` holds
    /// something that is not an object.
    pub fn object_entry(&mut self, key: &str) -> Option<&mut Object> {
        if self.get(key).is_none() {
            self.0.push((key.to_owned(), Json::Object(Object::new())));
        }
        match self.get_mut(key) {
            Some(Json::Object(o)) => Some(o),
            _ => None,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Json)> {
        self.0.iter_mut().map(|(k, v)| (k.as_str(), v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Overwrite every string in the tree (it may hold secrets) before it is freed.
    pub(crate) fn wipe(&mut self) {
        self.0.iter_mut().for_each(|(_, v)| v.wipe());
    }
}

impl Json {
    /// The JSON type name, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    fn wipe(&mut self) {
        match self {
            Json::String(s) => s.zeroize(),
            Json::Array(a) => a.iter_mut().for_each(Json::wipe),
            Json::Object(o) => o.0.iter_mut().for_each(|(_, v)| v.wipe()),
            _ => {}
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Json;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
                Ok(Json::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
                Ok(Json::Number(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
                Ok(Json::Number(n.into()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Json, E> {
                serde_json::Number::from_f64(n)
                    .map(Json::Number)
                    .ok_or_else(|| E::custom("number out of range"))
            }
            fn visit_str<E>(self, s: &str) -> Result<Json, E> {
                Ok(Json::String(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Json, E> {
                Ok(Json::String(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(v) = seq.next_element()? {
                    items.push(v);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut o = Object::new();
                while let Some((k, v)) = map.next_entry::<String, Json>()? {
                    o.insert(k, v);
                }
                Ok(Json::Object(o))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Number(n) => n.serialize(s),
            Json::String(v) => s.serialize_str(v),
            Json::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Json::Object(o) => o.serialize(s),
        }
    }
}

impl Serialize for Object {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Render `root` byte for byte as the docker CLI writes its config file:
/// `json.MarshalIndent(cfg, "", "\t")`, HTML characters escaped, no trailing newline.
pub fn render(root: &Object) -> Zeroizing<Vec<u8>> {
    let mut plain = Zeroizing::new(Vec::new());
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut *plain, formatter);
    root.serialize(&mut ser).expect("a JSON tree serializes");
    let plain = Zeroizing::new(String::from_utf8(std::mem::take(&mut *plain)).expect("UTF-8"));
    let mut out = Zeroizing::new(String::with_capacity(plain.len() + 16));
    crate::protocol::json::escape_into(&plain, &mut out);
    Zeroizing::new(std::mem::take(&mut *out).into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker_config::parse;
    use std::path::Path;

    fn obj(text: &str) -> Object {
        parse(Path::new("config.json"), text.as_bytes()).unwrap()
    }

    #[test]
    fn renders_like_docker_cli() {
        // What docker 29 writes after `docker login` (MarshalIndent with a tab).
        let text = "{\n\t\"auths\": {\n\t\t\"https://index.docker.io/v1/\": {}\n\t},\n\t\"credsStore\": \"keyring\"\n}";
        assert_eq!(&*render(&obj(text)), text.as_bytes());
        let empty = "{\n\t\"auths\": {},\n\t\"x\": []\n}";
        assert_eq!(&*render(&obj(empty)), empty.as_bytes());
        assert_eq!(&*render(&Object::new()), b"{}");
    }

    #[test]
    fn keeps_order_and_unknown_fields() {
        let text = r#"{"z":1,"psFormat":"table {{.ID}}","a":{"y":[1,2.5,null,true],"b":"<&>"},"auths":{}}"#;
        let out = String::from_utf8(render(&obj(text)).to_vec()).unwrap();
        assert_eq!(
            out,
            "{\n\t\"z\": 1,\n\t\"psFormat\": \"table {{.ID}}\",\n\t\"a\": {\n\t\t\"y\": [\n\t\t\t1,\n\t\t\t2.5,\n\t\t\tnull,\n\t\t\ttrue\n\t\t],\n\t\t\"b\": \"\\u003c\\u0026\\u003e\"\n\t},\n\t\"auths\": {}\n}"
        );
    }

    #[test]
    fn duplicate_key_keeps_first_position_last_value() {
        let o = obj(r#"{"a":1,"b":2,"a":3}"#);
        assert_eq!(o.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(o.get("a"), Some(&Json::Number(3.into())));
    }

    #[test]
    fn insert_replaces_in_place_or_appends() {
        let mut o = obj(r#"{"a":1,"b":2}"#);
        o.insert("a", Json::Null);
        o.insert("c", Json::Bool(true));
        assert_eq!(o.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(o.remove("b"), Some(Json::Number(2.into())));
        assert_eq!(o.len(), 2);
    }
}
