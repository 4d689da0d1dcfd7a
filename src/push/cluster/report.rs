//! What happened on each target, as types, and the one place that says it as lines:
//! `CONTEXT/NAMESPACE/NAME: created | updated | … | failed: REASON`, then one line per
//! service account. Everything in them that came from outside (registry keys of a Secret read
//! from the cluster, a server's or a plugin's words in a reason) is made one clean, bounded
//! line here, so what is printed, logged and saved holds no control character.

use crate::untrusted::line;

/// Bounds of a registry key and of a whole reason, as printed.
const KEY_CHARS: usize = 256;
const REASON_CHARS: usize = 2000;

pub use super::reason::Reason;

/// An existing Secret's registries that a write kept (not push's) and dropped (push wrote
/// them before and no longer does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registries {
    pub kept: Vec<String>,
    pub removed: Vec<String>,
}

/// What happened to a target's Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretResult {
    /// Made now; `in_new_namespace`: by a server dry run, in a namespace it would create.
    Created { in_new_namespace: bool },
    /// Push's, and changed (`recreated`: deleted and made again, its type or immutability
    /// forbidding an update).
    Updated {
        recreated: bool,
        registries: Registries,
    },
    /// Push's, and already as this push writes it.
    Unchanged { registries: Registries },
    /// Someone else's, taken over with `--adopt` (merged into, or `recreated`).
    Adopted {
        recreated: bool,
        registries: Registries,
    },
    /// `--delete`: there was none.
    Absent,
    /// `--delete`: deleted.
    Deleted,
    /// `--delete` on a Secret that also holds registries push did not write: only push's
    /// (`removed`) and its label went; the others (`kept`) stay.
    Stripped {
        kept: Vec<String>,
        removed: Vec<String>,
    },
}

impl SecretResult {
    /// Whether the service accounts follow: reference a Secret that now exists, or drop a
    /// reference to one that is gone. Not for one a server dry run could not really write.
    pub fn accounts_follow(&self, server_dry_run: bool) -> bool {
        match self {
            SecretResult::Created { in_new_namespace } => !in_new_namespace,
            SecretResult::Updated { recreated, .. } | SecretResult::Adopted { recreated, .. } => {
                !(*recreated && server_dry_run)
            }
            SecretResult::Unchanged { .. } | SecretResult::Absent | SecretResult::Deleted => true,
            SecretResult::Stripped { .. } => false,
        }
    }

    fn word(&self) -> String {
        match self {
            SecretResult::Created {
                in_new_namespace: true,
            } => "created (in a namespace that would be created)".into(),
            SecretResult::Created { .. } => "created".into(),
            SecretResult::Updated {
                recreated,
                registries,
            } => with_registries(
                if *recreated {
                    "updated (deleted and recreated)"
                } else {
                    "updated"
                },
                registries,
            ),
            SecretResult::Unchanged { registries } => with_registries("unchanged", registries),
            SecretResult::Adopted {
                recreated,
                registries,
            } => with_registries(
                if *recreated {
                    "adopted (deleted and recreated)"
                } else {
                    "adopted"
                },
                registries,
            ),
            SecretResult::Absent => "absent".into(),
            SecretResult::Deleted => "deleted".into(),
            SecretResult::Stripped { kept, removed } => {
                let ours = if removed.is_empty() {
                    "its label".to_owned()
                } else {
                    format!("push's registries ({}) and its label", keys(removed))
                };
                format!(
                    "kept for its other registries ({}): removed {ours}; service accounts still refer to it",
                    keys(kept)
                )
            }
        }
    }
}

/// What happened to a service account's imagePullSecrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountResult {
    Updated,
    Unchanged,
}

/// Everything that happened on one target (context × namespace).
#[derive(Debug)]
pub struct TargetReport {
    pub context: String,
    pub namespace: String,
    /// The Secret's name.
    pub name: String,
    pub server_dry_run: bool,
    pub secret: Result<SecretResult, Reason>,
    /// Each `--service-account`, when the Secret's result let them follow.
    pub accounts: Vec<(String, Result<AccountResult, Reason>)>,
}

impl TargetReport {
    pub fn failed(&self) -> bool {
        self.secret.is_err() || self.accounts.iter().any(|(_, r)| r.is_err())
    }

    /// Whether a service account now lists the Secret (or no longer does).
    pub fn touched_service_account(&self) -> bool {
        self.accounts
            .iter()
            .any(|(_, r)| matches!(r, Ok(AccountResult::Updated)))
    }

    /// The lines printed for this target.
    pub fn lines(&self) -> Vec<String> {
        let suffix = if self.server_dry_run {
            " (server dry run: nothing persisted)"
        } else {
            ""
        };
        let said = |label: String, what: Result<String, &Reason>| match what {
            Ok(word) => format!("{label}: {word}{suffix}"),
            Err(reason) => format!(
                "{label}: failed: {}",
                line(&reason.to_string(), REASON_CHARS)
            ),
        };
        // Names we were given, not sent: cleaned all the same, a kubeconfig may be someone's.
        let name = |text: &str| line(text, KEY_CHARS);
        let (context, namespace) = (name(&self.context), name(&self.namespace));
        let mut lines = vec![said(
            format!("{context}/{namespace}/{}", name(&self.name)),
            self.secret.as_ref().map(SecretResult::word),
        )];
        for (sa, result) in &self.accounts {
            let word = result.as_ref().map(|r| match r {
                AccountResult::Updated => "updated".to_owned(),
                AccountResult::Unchanged => "unchanged".to_owned(),
            });
            lines.push(said(
                format!("{context}/{namespace}/serviceaccount/{}", name(sa)),
                word,
            ));
        }
        lines
    }
}

/// `word`, naming the registries push wrote before and dropped now, and those of the existing
/// secret that were kept (not push's).
fn with_registries(word: &str, registries: &Registries) -> String {
    let mut notes = Vec::new();
    if !registries.removed.is_empty() {
        notes.push(format!(
            "removed {}, no longer pushed",
            keys(&registries.removed)
        ));
    }
    if !registries.kept.is_empty() {
        notes.push(format!(
            "kept its other registries: {}",
            keys(&registries.kept)
        ));
    }
    if notes.is_empty() {
        word.to_owned()
    } else {
        format!("{word} ({})", notes.join("; "))
    }
}

/// Registry keys as printed: each one clean and bounded (they come from the cluster).
fn keys(keys: &[String]) -> String {
    keys.iter()
        .map(|k| line(k, KEY_CHARS))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(secret: Result<SecretResult, Reason>, dry: bool) -> TargetReport {
        TargetReport {
            context: "dev".into(),
            namespace: "team".into(),
            name: "regcred".into(),
            server_dry_run: dry,
            secret,
            accounts: vec![
                ("ci".into(), Ok(AccountResult::Updated)),
                ("bot".into(), Err(Reason::Request("no such account".into()))),
            ],
        }
    }

    #[test]
    fn lines_as_printed() {
        let r = report(
            Ok(SecretResult::Adopted {
                recreated: false,
                registries: Registries {
                    kept: vec!["a.io".into()],
                    removed: vec!["b.io".into()],
                },
            }),
            true,
        );
        assert_eq!(
            r.lines(),
            [
                "dev/team/regcred: adopted (removed b.io, no longer pushed; kept its other registries: a.io) (server dry run: nothing persisted)",
                "dev/team/serviceaccount/ci: updated (server dry run: nothing persisted)",
                "dev/team/serviceaccount/bot: failed: no such account",
            ]
        );
        assert!(r.failed() && r.touched_service_account());
        let r = report(
            Ok(SecretResult::Stripped {
                kept: vec!["a.io".into()],
                removed: vec![],
            }),
            false,
        );
        assert_eq!(
            r.lines()[0],
            "dev/team/regcred: kept for its other registries (a.io): removed its label; service accounts still refer to it"
        );
        assert_eq!(
            report(Err(Reason::Request("why".into())), false).lines()[0],
            "dev/team/regcred: failed: why"
        );
    }

    #[test]
    fn text_from_the_cluster_is_printed_without_control_characters() {
        let r = report(
            Ok(SecretResult::Adopted {
                recreated: false,
                registries: Registries {
                    kept: vec!["evil\x1b]0;owned\x07.io".into()],
                    removed: vec!["b\u{9b}2J.io".into()],
                },
            }),
            false,
        );
        let printed = r.lines().join("\n");
        assert!(!printed.contains(['\x1b', '\x07', '\u{9b}']), "{printed:?}");
        assert!(printed.contains("evil]0;owned.io"), "{printed}");
        let r = report(
            Err(Reason::Request(
                "forbidden (User \"\x1b[2Jx\x07\" cannot)\r\nnext".into(),
            )),
            false,
        );
        assert_eq!(
            r.lines()[0],
            "dev/team/regcred: failed: forbidden (User \"[2Jx\" cannot)  next"
        );
    }

    #[test]
    fn which_results_let_the_accounts_follow() {
        let recreated = SecretResult::Updated {
            recreated: true,
            registries: Registries::default(),
        };
        assert!(recreated.accounts_follow(false) && !recreated.accounts_follow(true));
        assert!(
            !SecretResult::Created {
                in_new_namespace: true
            }
            .accounts_follow(true)
        );
        assert!(SecretResult::Absent.accounts_follow(false));
        assert!(
            !SecretResult::Stripped {
                kept: vec![],
                removed: vec![]
            }
            .accounts_follow(false)
        );
    }
}
