//! Label selectors in kubectl's `-l` syntax (`a=b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`,
//! `!a`, comma-joined), parsed and checked before any cluster is contacted, and matched
//! locally as the API server matches them (so a watch can tell a relabel without asking).

use std::collections::BTreeMap;
use std::fmt;

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

/// A parsed label selector. Its `Display` is the canonical text sent as `labelSelector`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(Vec<Requirement>);

/// Why a selector was refused: one line naming the part and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid namespace selector {text:?}: {why}: use kubectl's -l syntax (team=a, env!=prod, tier in (dev,qa), !legacy, comma-joined)"
)]
pub struct Error {
    text: String,
    why: String,
}

impl Selector {
    /// Parse `text`; an empty selector (which would match everything) is refused: `-A` says that.
    pub fn parse(text: &str) -> Result<Selector, Error> {
        let fail = |why: String| Error {
            text: crate::untrusted::line(text, 200),
            why,
        };
        let mut parts = Vec::new();
        let (mut depth, mut start) = (0i32, 0);
        for (i, c) in text.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&text[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
            if !(0..=1).contains(&depth) {
                return Err(fail("unbalanced parentheses".into()));
            }
        }
        if depth != 0 {
            return Err(fail("unbalanced parentheses".into()));
        }
        parts.push(&text[start..]);
        let mut reqs = Vec::new();
        for part in parts {
            let part = part.trim();
            if part.is_empty() {
                return Err(fail(if text.trim().is_empty() {
                    "it is empty (for every namespace use -A)".into()
                } else {
                    "an empty requirement between commas".into()
                }));
            }
            reqs.push(requirement(part).map_err(fail)?);
        }
        Ok(Selector(reqs))
    }

    /// Whether `labels` satisfy every requirement (a missing key satisfies `!=` and `notin`,
    /// as on the server).
    pub fn matches(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        let value = |k: &str| labels.and_then(|l| l.get(k)).map(String::as_str);
        self.0.iter().all(|r| match r {
            Requirement::Exists(k) => value(k).is_some(),
            Requirement::NotExists(k) => value(k).is_none(),
            Requirement::In(k, set) => value(k).is_some_and(|v| set.iter().any(|s| s == v)),
            Requirement::NotIn(k, set) => value(k).is_none_or(|v| set.iter().all(|s| s != v)),
        })
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|r| match r {
                Requirement::Exists(k) => k.clone(),
                Requirement::NotExists(k) => format!("!{k}"),
                Requirement::In(k, v) if v.len() == 1 => format!("{k}={}", v[0]),
                Requirement::NotIn(k, v) if v.len() == 1 => format!("{k}!={}", v[0]),
                Requirement::In(k, v) => format!("{k} in ({})", v.join(",")),
                Requirement::NotIn(k, v) => format!("{k} notin ({})", v.join(",")),
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

fn requirement(part: &str) -> Result<Requirement, String> {
    if let Some((k, rest)) = part.split_once(char::is_whitespace) {
        let rest = rest.trim_start();
        for (op, not) in [("notin", true), ("in", false)] {
            if let Some(set) = rest.strip_prefix(op)
                && set.trim_start().starts_with('(')
            {
                let values = set_values(set)?;
                let k = key(k)?;
                return Ok(if not {
                    Requirement::NotIn(k, values)
                } else {
                    Requirement::In(k, values)
                });
            }
        }
    }
    if part.contains(['<', '>']) {
        return Err(format!(
            "{part:?}: the numeric operators < and > do not apply to namespace labels"
        ));
    }
    if let Some((k, v)) = part.split_once("!=") {
        return Ok(Requirement::NotIn(key(k)?, vec![value(v)?]));
    }
    if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
        return Ok(Requirement::In(key(k)?, vec![value(v)?]));
    }
    if let Some(k) = part.strip_prefix('!') {
        return Ok(Requirement::NotExists(key(k)?));
    }
    Ok(Requirement::Exists(key(part)?))
}

fn set_values(set: &str) -> Result<Vec<String>, String> {
    let inner = set
        .trim()
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| format!("{:?}: expected a set of values in parentheses", set.trim()))?;
    let values = inner.split(',').map(value).collect::<Result<Vec<_>, _>>()?;
    if values.iter().all(String::is_empty) {
        return Err("an empty set of values".into());
    }
    Ok(values)
}

/// A label key: `[prefix/]name`, the prefix a DNS subdomain, the name a qualified name.
fn key(k: &str) -> Result<String, String> {
    let k = k.trim();
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let prefix_ok = prefix.is_none_or(crate::push::pull_secret::is_dns1123_subdomain);
    if !prefix_ok || !qualified(name) {
        return Err(format!(
            "{:?} is not a label key (letters, digits, '-', '_', '.', at most 63, optionally prefixed by a DNS name and '/')",
            crate::untrusted::line(k, 100)
        ));
    }
    Ok(k.to_owned())
}

fn value(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() || qualified(v) {
        Ok(v.to_owned())
    } else {
        Err(format!(
            "{:?} is not a label value (letters, digits, '-', '_', '.', at most 63, beginning and ending with a letter or digit)",
            crate::untrusted::line(v, 100)
        ))
    }
}

fn qualified(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn kubectl_syntax_parses_and_matches() {
        let s = Selector::parse("team=a, env!=prod,tier in (dev, qa),!legacy,owner").unwrap();
        assert_eq!(
            s.to_string(),
            "team=a,env!=prod,tier in (dev,qa),!legacy,owner"
        );
        let yes = labels(&[("team", "a"), ("tier", "qa"), ("owner", "x")]);
        assert!(s.matches(Some(&yes)));
        let mut no = yes.clone();
        no.insert("legacy".into(), "".into());
        assert!(!s.matches(Some(&no)));
        assert!(!s.matches(None));
        let n = Selector::parse("env notin (prod,staging)").unwrap();
        assert!(n.matches(None));
        assert!(!n.matches(Some(&labels(&[("env", "prod")]))));
        assert!(Selector::parse("example.com/team==a").is_ok());
    }

    #[test]
    fn bad_selectors_say_why() {
        for bad in [
            "",
            "a=b,,c",
            "a in (x",
            "a in ()",
            "bad key=x",
            "a=-x",
            "a>1",
            "a in x",
            "a=b)",
        ] {
            let e = Selector::parse(bad).unwrap_err().to_string();
            assert!(e.starts_with("invalid namespace selector"), "{bad}: {e}");
        }
    }
}
