//! Moving in: what docker resolves each switched registry to before `setup`, and how it will
//! resolve the same credential through this helper after. Credentials come from the helper
//! docker used for them (the previous `credsStore`, or a registry's previous `credHelpers`
//! entry), which is only read, or from plaintext `auths` entries; each is sorted against what
//! the keychain already answers. Nothing is written here.

use crate::backend::{Backend, Kind};
use crate::commands::import::{self, Plain, Sorted, Unmovable};
use crate::docker_config::DockerConfig;
use crate::protocol::client::{self, Helper};
use crate::settings::Settings;
use std::path::Path;

/// Which registries setup switches to this helper.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// `credsStore`: every registry no other `credHelpers` entry claims.
    Everything,
    /// `credHelpers` for these registries (as the user gave them).
    Registries(&'a [String]),
}

/// What one helper docker used before gives us.
#[derive(Debug)]
pub struct FromHelper {
    /// `docker-credential-NAME`.
    pub program: String,
    /// Our backend reads this helper's own items (the same store, the same layout).
    pub in_place: bool,
    /// And the helper reads ours: going back to it loses no login made since.
    pub shared_both_ways: bool,
    /// Its credentials sorted against the keychain.
    pub sorted: Sorted,
    /// Servers it lists or was asked for that it has no credential for (docker had none
    /// either), with why.
    pub empty: Vec<(String, String)>,
    /// Servers it lists that `credHelpers` sends to another helper: docker keeps asking that one.
    pub elsewhere: Vec<(String, String)>,
}

/// The whole move.
#[derive(Debug, Default)]
pub struct Plan {
    pub helpers: Vec<FromHelper>,
    /// Plaintext `auths` entries of the switched registries.
    pub file: Sorted,
    /// Plaintext entries kept because a helper's credential for the same registry is brought
    /// instead (the one docker used).
    pub shadowed: Vec<Plain>,
    /// Switched entries whose fields cannot all move, each with whether docker read it before
    /// (no helper served it) and so loses it now.
    pub unmovable: Vec<(Unmovable, bool)>,
}

impl Plan {
    /// How many credentials are written.
    pub fn to_store(&self) -> usize {
        self.helpers
            .iter()
            .map(|h| h.sorted.to_store.len())
            .sum::<usize>()
            + self.file.to_store.len()
    }
}

/// Why the move cannot be planned: nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "cannot read {program}: {source}; switching now would lose {logins}: fix that and run setup again, or run setup with --no-import to switch anyway and log in again later (nothing was changed)"
    )]
    Unreadable {
        program: String,
        #[source]
        source: client::Error,
        logins: String,
    },
    #[error(transparent)]
    Import(#[from] import::Error),
}

/// The helper programs that docker would consider ours: `credsStore`/`credHelpers` values.
fn is_ours(value: &str) -> bool {
    value == crate::HELPER_SUFFIX
}

/// The `credHelpers` value docker uses for the auths key or listed server `server`: it looks
/// up the string it asks with (`https://index.docker.io/v1/` for Docker Hub, else host[:port]).
/// `Some("")` is an entry that sends the registry to the file itself.
fn cred_helper<'c>(helpers: &[(&str, &'c str)], server: &str) -> Option<&'c str> {
    let asked = crate::registry::docker_hostname(server);
    helpers
        .iter()
        .find(|(k, _)| *k == server || *k == asked)
        .map(|(_, v)| *v)
}

/// The helper docker asked for `server` before the switch (None: it read the file).
fn helper_before(helpers: &[(&str, &str)], store: &Option<String>, server: &str) -> Option<String> {
    match cred_helper(helpers, server) {
        Some("") => None,
        Some(h) => Some(h.to_owned()),
        None => store.clone(),
    }
}

/// The helper docker asks for the auths key `key` in `config`: its `credHelpers` entry, else
/// `credsStore`; None when docker reads the file itself.
pub fn served_by(config: &DockerConfig, key: &str) -> Option<String> {
    cred_helper(&config.cred_helpers(), key)
        .or(config.creds_store())
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
}

/// Whether `key` (an auths key or a server) is one of the registries given with --registry.
fn names_registry(key: &str, registries: &[String]) -> bool {
    let keys = super::helper_keys(key);
    registries
        .iter()
        .any(|r| super::helper_keys(r).iter().any(|k| keys.contains(k)))
}

/// Whether our backend reads `helper`'s items where that helper keeps them: our Secret Service
/// backend uses Docker's `io.docker.Credentials` items, our pass backend Docker's
/// `docker-credential-helpers/<base64url(server)>/<user>` layout in the same store, our
/// keychain backend the internet passwords docker-credential-osxkeychain (and Docker Desktop's
/// `desktop`, on macOS) writes, our wincred backend Docker's labelled generic credentials. Only
/// a hint for the report: every credential is still read back through our backend before it
/// counts as readable.
pub fn reads_in_place(helper: &str, ours: Kind) -> bool {
    matches!(
        (helper, ours),
        ("secretservice", Kind::SecretService)
            | ("pass", Kind::Pass)
            | ("osxkeychain" | "desktop", Kind::Keychain)
            | ("wincred", Kind::Wincred)
    )
}

/// The `auths` keys holding plaintext secrets that docker stops reading once `scope` is
/// switched (what `--no-import` leaves behind).
pub fn switched_plaintext(config: &DockerConfig, path: &Path, scope: Scope) -> Vec<String> {
    let helpers = config.cred_helpers();
    let Some(auths) = config.auths() else {
        return Vec::new();
    };
    let keys: Vec<String> = match import::plaintext_entries(path, auths, false) {
        Ok(entries) => entries.into_iter().map(|p| p.key).collect(),
        // An undecodable `auth` still holds something: name it too.
        Err(_) => auths
            .iter()
            .filter(|(_, e)| import::holds_credential(e))
            .map(|(k, _)| k.to_owned())
            .collect(),
    };
    keys.into_iter()
        .filter(|k| match scope {
            Scope::Everything => cred_helper(&helpers, k).is_none(),
            Scope::Registries(r) => names_registry(k, r),
        })
        .collect()
}

/// Plan the move for `scope` in `config`. Every helper involved is read here (list, get); one
/// that cannot be read stops everything, naming the logins docker would lose.
pub fn plan(
    config: &DockerConfig,
    path: &Path,
    scope: Scope,
    settings: &Settings,
    backend: &dyn Backend,
    overwrite: bool,
) -> Result<Plan, Error> {
    let helpers = config.cred_helpers();
    let store = config
        .creds_store()
        .filter(|s| !s.is_empty() && !is_ours(s))
        .map(str::to_owned);
    let auth_keys: Vec<&str> = config
        .auths()
        .map(|a| a.keys().collect())
        .unwrap_or_default();
    // Whether the switch makes docker ask this helper for `key` (a `credHelpers` entry, even
    // one naming us, keeps deciding for its registry under `credsStore`).
    let switched = |key: &str| match scope {
        Scope::Everything => cred_helper(&helpers, key).is_none(),
        Scope::Registries(r) => names_registry(key, r),
    };
    let mut plan = Plan::default();

    // The helpers docker used, and what each is asked.
    let mut asks: Vec<(String, Option<Vec<String>>)> = Vec::new();
    match scope {
        Scope::Everything => {
            if let Some(s) = &store {
                asks.push((s.clone(), None));
            }
        }
        Scope::Registries(registries) => {
            for r in registries {
                let server = crate::registry::docker_hostname(r);
                let Some(h) = helper_before(&helpers, &store, &server).filter(|h| !is_ours(h))
                else {
                    continue;
                };
                match asks.iter_mut().find(|(name, _)| *name == h) {
                    Some((_, Some(list))) => list.push(server),
                    _ => asks.push((h, Some(vec![server]))),
                }
            }
        }
    }
    let ours = backend.kind();
    for (name, servers) in asks {
        let program = format!("{}{name}", client::PREFIX);
        let unreadable = |source| {
            let logins: Vec<String> = match &servers {
                Some(s) => s.clone(),
                None => auth_keys
                    .iter()
                    .filter(|k| switched(k))
                    .map(|k| k.to_string())
                    .collect(),
            };
            Error::Unreadable {
                program: program.clone(),
                source,
                logins: if logins.is_empty() {
                    format!("every login docker keeps in {program}")
                } else {
                    format!("the logins docker keeps in it for {}", logins.join(", "))
                },
            }
        };
        let helper = Helper::find(&name, settings).map_err(unreadable)?;
        let mut found = Vec::new();
        let mut empty = Vec::new();
        let mut elsewhere = Vec::new();
        let servers = match &servers {
            Some(s) => s.clone(),
            None => helper.list().map_err(unreadable)?.into_keys().collect(),
        };
        for server in servers {
            if !switched(&server) {
                let other = match cred_helper(&helpers, &server).unwrap_or_default() {
                    "" => "config.json itself".to_owned(),
                    h if is_ours(h) => "this helper already".to_owned(),
                    h => format!("{}{h}", client::PREFIX),
                };
                elsewhere.push((server, other));
                continue;
            }
            match helper.get(&server).map_err(unreadable)? {
                Some(c) => found.push(Plain::from_credential(c)),
                None => empty.push((
                    server,
                    format!("{program} has no credential for it, so docker had none either"),
                )),
            }
        }
        let sorted = import::sort_against_keychain(backend, found, overwrite)?;
        plan.helpers.push(FromHelper {
            program,
            in_place: reads_in_place(&name, ours),
            shared_both_ways: shared_both_ways(&name, ours),
            sorted,
            empty,
            elsewhere,
        });
    }

    // Plaintext entries of the switched registries; a helper's credential wins (docker asked
    // the helper, not the file).
    let (entries, unmovable) = import::movable_entries(path, config, false)?;
    let brought = |key: &str| {
        plan.helpers.iter().any(|h| {
            h.sorted
                .to_store
                .iter()
                .chain(&h.sorted.already)
                .chain(h.sorted.conflicts.iter().map(|(p, _)| p))
                .any(|p| names_registry(key, std::slice::from_ref(&p.server)))
        })
    };
    let (shadowed, entries): (Vec<Plain>, Vec<Plain>) = entries
        .into_iter()
        .filter(|p| switched(&p.key))
        .partition(|p| brought(&p.key));
    plan.shadowed = shadowed;
    plan.file = import::sort_against_keychain(backend, entries, overwrite)?;
    // Docker read such an entry itself when no helper served it; after the switch it asks us.
    let served_before = |key: &str| helper_before(&helpers, &store, key).is_some();
    plan.unmovable = unmovable
        .into_iter()
        .filter(|u| switched(&u.key))
        .map(|u| {
            let lost = !served_before(&u.key);
            (u, lost)
        })
        .collect();
    Ok(plan)
}

/// Whether `helper` also reads what our backend writes (for going back): every pair our
/// backend reads in place, since each writes the helper's own item format.
pub fn shared_both_ways(helper: &str, ours: Kind) -> bool {
    reads_in_place(helper, ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cred_helpers_are_looked_up_as_docker_asks() {
        let helpers = [("gcr.io", "gcloud"), ("https://index.docker.io/v1/", "hub")];
        assert_eq!(cred_helper(&helpers, "gcr.io"), Some("gcloud"));
        assert_eq!(cred_helper(&helpers, "https://gcr.io"), Some("gcloud"));
        assert_eq!(cred_helper(&helpers, "docker.io"), Some("hub"));
        assert_eq!(cred_helper(&helpers, "quay.io"), None);
    }

    #[test]
    fn the_helper_before_is_the_entry_then_the_store() {
        let helpers = [("gcr.io", "gcloud"), ("file.example", "")];
        let store = Some("pass".to_owned());
        assert_eq!(
            helper_before(&helpers, &store, "gcr.io").as_deref(),
            Some("gcloud")
        );
        assert_eq!(helper_before(&helpers, &store, "file.example"), None);
        assert_eq!(
            helper_before(&helpers, &store, "quay.io").as_deref(),
            Some("pass")
        );
        assert_eq!(helper_before(&helpers, &None, "quay.io"), None);
    }

    #[test]
    fn registries_match_their_auths_keys() {
        let r = ["https://Quay.io/v2/".to_owned(), "docker.io".to_owned()];
        assert!(names_registry("quay.io", &r));
        assert!(names_registry("https://index.docker.io/v1/", &r));
        assert!(!names_registry("ghcr.io", &r));
        assert!(!names_registry("quay.io.evil.example", &r));
    }

    #[test]
    fn only_known_pairs_read_in_place() {
        assert!(reads_in_place("secretservice", Kind::SecretService));
        assert!(reads_in_place("pass", Kind::Pass));
        assert!(!reads_in_place("pass", Kind::File));
        assert!(reads_in_place("osxkeychain", Kind::Keychain));
        assert!(!reads_in_place("osxkeychain", Kind::File));
        assert!(!reads_in_place("desktop", Kind::SecretService));
        assert!(reads_in_place("wincred", Kind::Wincred));
        assert!(shared_both_ways("wincred", Kind::Wincred));
        assert!(shared_both_ways("secretservice", Kind::SecretService));
    }
}
