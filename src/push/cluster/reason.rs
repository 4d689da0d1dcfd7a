//! Why a target failed, as a type, and the one place that says it in words (what went wrong,
//! what to do). No variant holds a secret: the words of a server or a plugin are scrubbed and
//! bounded before they get here, and again by the report when printed.

use crate::push::pull_secret::{DATA_KEY, MANAGED_BY, MANAGED_BY_LABEL, Refusal};
use std::fmt;

/// A target's failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The context cannot be used (kubeconfig, credentials, client), in its own words.
    Context(String),
    /// A request to the API server failed, explained ([`super::Job::explain`]).
    Request(String),
    /// The Secret exists and push did not make it (`type_`: of another type than a pull secret).
    NotOurs { name: String, type_: Option<String> },
    /// `--adopt` of a Secret whose data push cannot read as a docker config.
    NotDockerConfig { name: String },
    /// What the merged Secret would hold cannot go into a pull secret.
    Refused(Refusal),
    /// The Secret's type (`Some`) or immutability (`None`) forbids an update; `--replace` would.
    NeedsReplace { name: String, type_: Option<String> },
    /// A Secret of this name appeared between the read and a creating apply (409).
    AppearedWhileCreating { name: String },
    /// The Secret changed between the read and the apply (409).
    ChangedWhileMerging { name: String },
    /// It appeared meanwhile with the same content; push's label was taken back off, or taking
    /// it back failed (`undo_failed`).
    AppearedWithSameContent {
        name: String,
        undo_failed: Option<Box<Reason>>,
    },
    /// A deleted Secret still terminating after `secs` seconds (finalizers).
    StillDeleting { name: String, secs: u64 },
    /// `--delete` of a Secret push did not make.
    NotMadeByPush { name: String },
    /// The Secret changed while `--delete` removed push's registries from it (409).
    ChangedWhileRemoving { name: String },
    /// `--service-account` names an account the namespace does not have.
    NoServiceAccount { account: String, namespace: String },
    /// The service account changed under every attempt to update it (409).
    AccountKeptChanging { account: String, attempts: usize },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Context(why) | Reason::Request(why) => f.write_str(why),
            Reason::NotOurs {
                name,
                type_: Some(type_),
            } => write!(
                f,
                "secret {name} exists with type {type_} and was not made by {MANAGED_BY}: choose another --name, or --adopt --replace to delete it and recreate it as push's"
            ),
            Reason::NotOurs { name, type_: None } => write!(
                f,
                "secret {name} exists and was not made by {MANAGED_BY}: choose another --name, or --adopt to take it over (its other registries are kept)"
            ),
            Reason::NotDockerConfig { name } => write!(
                f,
                "the {DATA_KEY} of secret {name} is not a JSON object with an \"auths\" object, so --adopt cannot keep its registries: fix or delete the secret yourself, or choose another --name"
            ),
            Reason::Refused(r) => write!(f, "{r}"),
            Reason::NeedsReplace {
                name,
                type_: Some(type_),
            } => write!(
                f,
                "secret {name} exists with type {type_} (a type cannot change): --replace deletes and recreates it"
            ),
            Reason::NeedsReplace { name, type_: None } => write!(
                f,
                "secret {name} exists and is immutable: --replace deletes and recreates it"
            ),
            Reason::AppearedWhileCreating { name } => write!(
                f,
                "secret {name} appeared while push was creating it (409 Conflict: someone else made it meanwhile): nothing was changed; push again to check whose it is"
            ),
            Reason::ChangedWhileMerging { name } => write!(
                f,
                "secret {name} changed while push was merging into it (409 Conflict): push again"
            ),
            Reason::AppearedWithSameContent { name, undo_failed } => {
                write!(
                    f,
                    "secret {name} appeared while push was creating it (someone else made it meanwhile, with the same content)"
                )?;
                match undo_failed {
                    None => write!(
                        f,
                        ": push's label was taken back off; push again to check whose it is"
                    ),
                    Some(why) => write!(f, ", and taking push's label back off failed: {why}"),
                }
            }
            Reason::StillDeleting { name, secs } => write!(
                f,
                "secret {name} is still being deleted after {secs}s (finalizers another controller must remove): push again once it is gone"
            ),
            Reason::NotMadeByPush { name } => write!(
                f,
                "secret {name} was not made by {MANAGED_BY} (no {MANAGED_BY_LABEL}={MANAGED_BY} label): left alone, and so are the service accounts"
            ),
            Reason::ChangedWhileRemoving { name } => write!(
                f,
                "secret {name} changed while push was removing its registries from it (409 Conflict): push --delete again"
            ),
            Reason::NoServiceAccount { account, namespace } => write!(
                f,
                "service account {account} does not exist in namespace {namespace}: create it (kubectl create serviceaccount {account} -n {namespace}) or check --service-account"
            ),
            Reason::AccountKeptChanging { account, attempts } => write!(
                f,
                "service account {account} kept changing under us (409 Conflict {attempts} times): try again"
            ),
        }
    }
}
