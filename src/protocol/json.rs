//! JSON exactly as Go's `encoding/json` writes it: the protocol's answers, the
//! `.dockerconfigjson` push sends and the docker CLI's config file are compared byte for byte
//! with what Go tools write. The one place Go's escaping is implemented.

use serde::Serialize;
use zeroize::Zeroizing;

/// Serialize compactly exactly as Go's `encoding/json` does, with the trailing newline its
/// `Encoder` writes: serde_json agrees except that Go also escapes `<`, `>`, `&`, U+2028 and
/// U+2029. Those characters never occur inside serde_json's own escapes, so a pass over the
/// output is exact.
pub fn go_json<T: Serialize + ?Sized>(value: &T) -> String {
    let plain = Zeroizing::new(serde_json::to_string(value).expect("maps of strings serialize"));
    let mut out = String::with_capacity(plain.len() + 16);
    escape_into(&plain, &mut out);
    out.push('\n');
    out
}

/// Append serde_json's output `plain` to `out` with the escapes Go adds and serde_json does
/// not: `<`, `>`, `&`, U+2028 and U+2029. None of them occurs inside serde_json's own escapes,
/// so a pass over any serde_json output (compact or indented) is exact.
pub fn escape_into(plain: &str, out: &mut String) {
    for c in plain.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn json_matches_go() {
        let mut m = BTreeMap::new();
        m.insert(
            "b<>&".to_string(),
            "\u{2028}\u{2029}\n\r\t\u{8}\u{c}\u{1}\u{7f}é\"\\/".to_string(),
        );
        m.insert("a".to_string(), "x".to_string());
        assert_eq!(
            go_json(&m),
            "{\"a\":\"x\",\"b\\u003c\\u003e\\u0026\":\"\\u2028\\u2029\\n\\r\\t\\b\\f\\u0001\u{7f}é\\\"\\\\/\"}\n"
        );
        assert_eq!(go_json(&BTreeMap::<String, String>::new()), "{}\n");
    }
}
