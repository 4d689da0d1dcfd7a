//! `push -A` and `push --namespace-selector`: a rule for the namespaces of each context,
//! resolved at every run (a saved push keeps the rule, never the list it found). Never covered:
//! the system namespaces, one annotated `docker-credential-keyring/ignore: "true"`, one being
//! deleted, and one the user removed from the rule with `push --delete`.

use super::selector::Selector;
use k8s_openapi::api::core::v1::Namespace;

/// Namespaces `-A` never writes to: the cluster's own.
pub const SYSTEM: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];
/// A namespace carrying this annotation with `"true"` is left out of every rule.
pub const IGNORE_ANNOTATION: &str = "docker-credential-keyring/ignore";

/// Which namespaces a push covers, when it names none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `-A`: every namespace.
    All,
    /// `--namespace-selector`: those whose labels match.
    Selector(Selector),
}

impl Rule {
    /// The `labelSelector` of the namespace list, if any.
    pub fn label_selector(&self) -> Option<String> {
        match self {
            Rule::All => None,
            Rule::Selector(s) => Some(s.to_string()),
        }
    }

    /// `all namespaces` / `namespaces matching team=a`, for lines people read.
    pub fn describe(&self) -> String {
        match self {
            Rule::All => "all namespaces".into(),
            Rule::Selector(s) => format!("namespaces matching {s}"),
        }
    }

    /// Whether `ns` is covered, `excluded` being the namespaces removed from the rule.
    pub fn covers(&self, ns: &Namespace, excluded: &[String]) -> bool {
        let meta = &ns.metadata;
        let Some(name) = meta.name.as_deref() else {
            return false;
        };
        let ignored = meta
            .annotations
            .as_ref()
            .and_then(|a| a.get(IGNORE_ANNOTATION))
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let terminating = meta.deletion_timestamp.is_some()
            || ns.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Terminating");
        let selected = match self {
            Rule::All => true,
            Rule::Selector(s) => s.matches(meta.labels.as_ref()),
        };
        selected
            && !SYSTEM.contains(&name)
            && !ignored
            && !terminating
            && !excluded.iter().any(|e| e == name)
    }
}

/// The covered namespaces' names among `items`, sorted.
pub fn covered(rule: &Rule, items: &[Namespace], excluded: &[String]) -> Vec<String> {
    let mut names: Vec<String> = items
        .iter()
        .filter(|n| rule.covers(n, excluded))
        .filter_map(|n| n.metadata.name.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(name: &str, labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> Namespace {
        let map = |p: &[(&str, &str)]| {
            (!p.is_empty()).then(|| {
                p.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
        };
        Namespace {
            metadata: kube::api::ObjectMeta {
                name: Some(name.into()),
                labels: map(labels),
                annotations: map(annotations),
                ..Default::default()
            },
            ..Namespace::default()
        }
    }

    #[test]
    fn all_skips_the_system_ignored_and_excluded_namespaces() {
        let items = vec![
            ns("default", &[], &[]),
            ns("kube-system", &[], &[]),
            ns("kube-public", &[], &[]),
            ns("kube-node-lease", &[], &[]),
            ns("quiet", &[], &[(IGNORE_ANNOTATION, "true")]),
            ns("loud", &[], &[(IGNORE_ANNOTATION, "false")]),
            ns("gone", &[], &[]),
        ];
        assert_eq!(
            covered(&Rule::All, &items, &["gone".into()]),
            ["default", "loud"]
        );
        let team = Rule::Selector(Selector::parse("team=a").unwrap());
        let items = vec![
            ns("a1", &[("team", "a")], &[]),
            ns("b1", &[("team", "b")], &[]),
        ];
        assert_eq!(covered(&team, &items, &[]), ["a1"]);
    }
}
