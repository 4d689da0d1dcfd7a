//! Where `push` reads credentials (`--from`): our keychain, whatever the docker CLI would use,
//! or one other credential helper. Reading is all a source is ever asked to do.
//!
//! `docker` resolves each registry as the docker CLI does from its config.json:
//! `credHelpers[registry]`, else `credsStore`, else the plaintext `auths`; everything (`--all`)
//! is what the docker CLI's `GetAllCredentials` answers: the `credsStore`'s list (or, without
//! one, the `auths`), overridden by each `credHelpers` entry.

use crate::backend::Credential;
use crate::docker_config::{self, DockerConfig};
use crate::protocol::client::{self, Helper};
use crate::registry::{NotAddress, check_address, convert_to_hostname, docker_hostname};
use crate::settings::Settings;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// A place credentials are read from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Source {
    /// This helper's keychain (the default).
    #[default]
    Keychain,
    /// What the docker CLI would use, from its config.json.
    Docker,
    /// One credential helper, `docker-credential-NAME` on PATH.
    Helper(String),
}

/// A `--from` value that is none of the sources.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown source {0:?}: use keychain, docker or helper:NAME (NAME as in docker-credential-NAME)"
)]
pub struct BadSource(pub String);

impl FromStr for Source {
    type Err = BadSource;
    fn from_str(s: &str) -> Result<Source, BadSource> {
        match s {
            "keychain" => Ok(Source::Keychain),
            "docker" => Ok(Source::Docker),
            _ => match s.strip_prefix("helper:") {
                Some(name) if client::valid_name(name) => Ok(Source::Helper(name.into())),
                _ => Err(BadSource(s.to_owned())),
            },
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Keychain => f.write_str("keychain"),
            Source::Docker => f.write_str("docker"),
            Source::Helper(name) => write!(f, "helper:{name}"),
        }
    }
}

impl serde::Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Source, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Source {
    /// The source in a sentence: "the keychain", "docker's credentials", "docker-credential-pass".
    pub fn describe(&self) -> String {
        match self {
            Source::Keychain => "the keychain".into(),
            Source::Docker => "docker's config.json and the helpers it names".into(),
            Source::Helper(name) => format!("{}{name}", client::PREFIX),
        }
    }
}

/// Why a source could not be read. Nothing was sent anywhere when one of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Helper(#[from] client::Error),
    #[error(transparent)]
    Config(#[from] docker_config::Error),
    #[error(
        "{path}: the \"auth\" of {registry:?} is not base64 of user:password; fix or remove that entry (as docker would fail on it too)"
    )]
    BadAuth { path: PathBuf, registry: String },
}

/// A source other than the keychain, opened: the helper found, or docker's config read. Opening
/// fails at once for a helper that is not there.
pub enum Reader {
    Helper(Helper),
    Docker(Docker),
}

impl Reader {
    /// Open `source` (not the keychain, which `push` reads itself).
    pub fn open(source: &Source, settings: &Settings) -> Result<Reader, Error> {
        match source {
            Source::Helper(name) => Ok(Reader::Helper(Helper::find(name, settings)?)),
            Source::Docker => Ok(Reader::Docker(Docker::load(settings)?)),
            Source::Keychain => unreachable!("the keychain is read by its backend"),
        }
    }

    /// The credential for `query`, asked directly (helpers that mint tokens list nothing).
    pub fn get(&self, query: &str) -> Result<Option<Credential>, Error> {
        match self {
            Reader::Helper(h) => Ok(h.lookup(query)?),
            Reader::Docker(d) => d.get(query),
        }
    }

    /// Every credential the source knows, sorted by server, and the keys it knows that are
    /// no registry address (never asked for).
    pub fn all(&self) -> Result<All, Error> {
        match self {
            Reader::Helper(h) => get_listed(h),
            Reader::Docker(d) => d.all(),
        }
    }
}

/// What a source holds in all.
#[derive(Debug, Default)]
pub struct All {
    /// The credentials, sorted by server.
    pub found: Vec<Credential>,
    /// Each key that is not a registry address, with why: left out, and never sent to a helper.
    pub refused: Vec<NotAddress>,
}

/// Every credential `helper` lists (one erased meanwhile is left out); a listed key that is not
/// a registry address is refused without being asked for.
pub fn get_listed(helper: &Helper) -> Result<All, Error> {
    let mut all = All::default();
    for server in helper.list()?.into_keys() {
        if let Err(e) = check_address(&server) {
            all.refused.push(e);
        } else if let Some(c) = helper.get(&server)? {
            all.found.push(c);
        }
    }
    Ok(all)
}

/// Docker's config.json, read to resolve credentials as the docker CLI does.
pub struct Docker {
    path: PathBuf,
    config: DockerConfig,
    timeout: std::time::Duration,
}

impl Docker {
    /// Read `$DOCKER_CONFIG/config.json` (else `~/.docker/config.json`); a missing file is an
    /// empty config, as for the docker CLI.
    pub fn load(settings: &Settings) -> Result<Docker, Error> {
        let path = docker_config::config_path()?;
        let config = DockerConfig::load(&path)?;
        Ok(Docker {
            path,
            config,
            timeout: client::timeout(settings)?,
        })
    }

    fn helper(&self, name: &str) -> Result<Helper, Error> {
        Ok(Helper::find_with_timeout(name, self.timeout)?)
    }

    /// The helper docker would ask for `hostname`: `credHelpers[hostname]`, else `credsStore`.
    fn store_for(&self, hostname: &str) -> Option<&str> {
        self.config
            .cred_helpers()
            .into_iter()
            .find(|(k, v)| *k == hostname && !v.is_empty())
            .map(|(_, v)| v)
            .or_else(|| self.config.creds_store().filter(|s| !s.is_empty()))
    }

    /// The plaintext `auths` entries, keyed as in the file.
    fn plaintext(&self) -> Result<Vec<Credential>, Error> {
        let Some(auths) = self.config.auths() else {
            return Ok(Vec::new());
        };
        let entries = crate::commands::import::plaintext_entries(&self.path, auths, false)
            .map_err(|e| {
                match e {
                    crate::commands::import::Error::BadAuth { path, registry } => {
                        Error::BadAuth { path, registry }
                    }
                    // plaintext_entries fails only on a bad `auth`.
                    other => Error::BadAuth {
                        path: self.path.clone(),
                        registry: other.to_string(),
                    },
                }
            })?;
        Ok(entries
            .into_iter()
            .map(|p| Credential {
                server_url: p.key,
                username: p.username,
                secret: p.secret,
            })
            .collect())
    }

    /// The credential docker would use for `query`.
    pub fn get(&self, query: &str) -> Result<Option<Credential>, Error> {
        let hostname = docker_hostname(query);
        if let Some(name) = self.store_for(&hostname) {
            return Ok(self.helper(name)?.get(&hostname)?);
        }
        // The docker CLI's file store: the exact key, else a key with that hostname.
        let plain = self.plaintext()?;
        let exact = plain.iter().position(|c| c.server_url == hostname);
        let found = exact.or_else(|| {
            plain
                .iter()
                .position(|c| convert_to_hostname(&c.server_url) == hostname)
        });
        Ok(found.map(|i| plain.into_iter().nth(i).expect("found above")))
    }

    /// Every credential docker knows, as its `GetAllCredentials` answers; keys that are not
    /// registry addresses are refused (a `credHelpers` one is never asked for).
    pub fn all(&self) -> Result<All, Error> {
        let mut found: BTreeMap<String, Credential> = BTreeMap::new();
        let mut refused = Vec::new();
        match self.config.creds_store().filter(|s| !s.is_empty()) {
            Some(store) => {
                let listed = get_listed(&self.helper(store)?)?;
                refused = listed.refused;
                for c in listed.found {
                    found.insert(c.server_url.clone(), c);
                }
            }
            None => {
                for c in self.plaintext()? {
                    if let Err(e) = check_address(&c.server_url) {
                        refused.push(e);
                    } else {
                        found.insert(c.server_url.clone(), c);
                    }
                }
            }
        }
        for (registry, name) in self.config.cred_helpers() {
            if name.is_empty() {
                continue;
            }
            if let Err(e) = check_address(registry) {
                refused.push(e);
                continue;
            }
            match self.helper(name)?.get(registry)? {
                Some(c) => found.insert(registry.to_owned(), c),
                None => found.remove(registry),
            };
        }
        Ok(All {
            found: found.into_values().collect(),
            refused,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_strings_round_trip() {
        for s in ["keychain", "docker", "helper:pass", "helper:ecr-login"] {
            let parsed: Source = s.parse().unwrap();
            assert_eq!(parsed.to_string(), s);
            let json = serde_json::to_string(&parsed).unwrap();
            assert_eq!(json, format!("\"{s}\""));
            assert_eq!(serde_json::from_str::<Source>(&json).unwrap(), parsed);
        }
        for bad in ["", "helper:", "helper:../x", "Keychain", "pass"] {
            assert!(bad.parse::<Source>().is_err(), "{bad:?}");
        }
    }
}
