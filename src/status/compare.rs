//! A Secret's entries against what their source gives now, compared in memory: only "equal"
//! or "differs" ever leaves this module, never a secret.

use crate::Secret;
use crate::backend::{Backend, Credential};
use crate::push::pull_secret::{DATA_KEY, kubelet_key};
use crate::settings::Settings;
use crate::source::{Reader, Source};
use k8s_openapi::api::core::v1::Secret as KubeSecret;
use std::collections::{BTreeMap, HashMap};

/// One registry's entry in a Secret; the password is wiped when dropped.
pub(super) struct Entry {
    pub username: String,
    pub password: Secret,
}

/// The `auths` of a Secret's `.dockerconfigjson`, by key (empty when it is not one).
pub(super) fn entries(secret: &KubeSecret) -> BTreeMap<String, Entry> {
    #[derive(serde::Deserialize)]
    struct Auth {
        #[serde(default)]
        username: Option<String>,
        #[serde(default)]
        password: Option<String>,
        #[serde(default)]
        auth: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Config {
        #[serde(default)]
        auths: BTreeMap<String, Auth>,
    }
    let Some(bytes) = secret.data.as_ref().and_then(|d| d.get(DATA_KEY)) else {
        return BTreeMap::new();
    };
    let Ok(config) = serde_json::from_slice::<Config>(&bytes.0) else {
        return BTreeMap::new();
    };
    config
        .auths
        .into_iter()
        .map(|(key, a)| {
            let (username, password) = match (a.username, a.password, a.auth) {
                (Some(u), Some(p), _) => (u, p),
                // `auth` alone: base64 of user:password, as the kubelet reads it.
                (_, _, Some(auth)) => {
                    use base64::Engine;
                    let decoded = base64::engine::general_purpose::STANDARD
                        .decode(auth.trim())
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok())
                        .unwrap_or_default();
                    let decoded = Secret::new(decoded);
                    let (u, p) = decoded.expose().split_once(':').unwrap_or(("", ""));
                    (u.to_owned(), p.to_owned())
                }
                (u, p, None) => (u.unwrap_or_default(), p.unwrap_or_default()),
            };
            (
                key,
                Entry {
                    username,
                    password: Secret::new(password),
                },
            )
        })
        .collect()
}

/// Whether two secrets are equal, without an early exit on the first differing byte.
pub(super) fn same(a: &Secret, b: &Secret) -> bool {
    let (a, b) = (a.expose().as_bytes(), b.expose().as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a source says about one registry.
pub(super) type Lookup = Result<Option<Credential>, String>;

/// The sources read so far, each opened once, each registry asked once.
pub(super) struct Sources<'a> {
    settings: &'a Settings,
    /// `--backend` of this run, for the keychain when no saved push names one.
    backend: Option<String>,
    keychains: HashMap<Option<String>, Result<Box<dyn Backend>, String>>,
    readers: HashMap<Source, Result<Reader, String>>,
    answers: HashMap<(Source, Option<String>, String), Lookup>,
}

impl<'a> Sources<'a> {
    pub fn new(settings: &'a Settings, backend: Option<String>) -> Sources<'a> {
        Sources {
            settings,
            backend,
            keychains: HashMap::new(),
            readers: HashMap::new(),
            answers: HashMap::new(),
        }
    }

    /// The credential `source` (with `backend` for the keychain; None: this run's) holds for
    /// the registry `key` now, or why it cannot be read.
    pub fn get(&mut self, source: &Source, backend: Option<&str>, key: &str) -> Lookup {
        let backend = backend.map(str::to_owned).or_else(|| self.backend.clone());
        let id = (source.clone(), backend.clone(), key.to_owned());
        if let Some(answer) = self.answers.get(&id) {
            return answer.clone();
        }
        let answer = self.ask(source, backend, key);
        self.answers.insert(id, answer.clone());
        answer
    }

    fn ask(&mut self, source: &Source, backend: Option<String>, key: &str) -> Lookup {
        // A kubelet key is no query for `get`'s matching when it is Docker Hub's.
        let query = if key == crate::registry::DOCKER_HUB_KEY {
            "docker.io"
        } else {
            key
        };
        let found = if *source == Source::Keychain {
            let settings = self.settings;
            let keychain = self.keychains.entry(backend.clone()).or_insert_with(|| {
                crate::backend::open(settings, backend.as_deref())
                    .map_err(|e| format!("cannot read the keychain: {e}"))
            });
            match keychain {
                Ok(k) => k
                    .find(query)
                    .map_err(|e| format!("cannot read the keychain: {e}")),
                Err(e) => Err(e.clone()),
            }
        } else {
            let settings = self.settings;
            let reader = self.readers.entry(source.clone()).or_insert_with(|| {
                Reader::open(source, settings).map_err(|e| format!("cannot read {source}: {e}"))
            });
            match reader {
                Ok(r) => r
                    .get(query)
                    .map_err(|e| format!("cannot read {source}: {e}")),
                Err(e) => Err(e.clone()),
            }
        };
        // Only a credential for the same kubelet key counts (get's matching is wider).
        found.map(|c| c.filter(|c| kubelet_key(&c.server_url) == kubelet_key(query)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;

    fn secret(json: &str) -> KubeSecret {
        KubeSecret {
            data: Some(BTreeMap::from([(
                DATA_KEY.to_owned(),
                ByteString(json.as_bytes().to_vec()),
            )])),
            ..KubeSecret::default()
        }
    }

    #[test]
    fn entries_are_read_from_fields_or_from_auth_alone() {
        // "alice:pw" in base64.
        let s = secret(
            r#"{"auths":{"a.io":{"username":"u","password":"p","auth":"dTpw"},"b.io":{"auth":"YWxpY2U6cHc="}}}"#,
        );
        let e = entries(&s);
        assert_eq!(e["a.io"].username, "u");
        assert!(same(&e["a.io"].password, &Secret::new("p".into())));
        assert_eq!(e["b.io"].username, "alice");
        assert!(same(&e["b.io"].password, &Secret::new("pw".into())));
        assert!(!same(&e["b.io"].password, &Secret::new("pX".into())));
        assert!(!same(&e["b.io"].password, &Secret::new("pww".into())));
        assert!(entries(&secret("not json")).is_empty());
        assert!(entries(&KubeSecret::default()).is_empty());
    }
}
