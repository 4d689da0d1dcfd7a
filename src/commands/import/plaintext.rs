//! The plaintext credentials in a config file's `auths`: found, and stripped once they are
//! safely in the keychain.

use super::Error;
use crate::backend::Credential;
use crate::docker_config::{DockerConfig, Json, Object};
use crate::secret::Secret;
use base64::Engine;
use std::path::Path;

/// The Username the docker CLI stores for an identity token.
use crate::registry::{DOCKER_HUB_KEY, TOKEN_USERNAME};
/// The fields of an `auths` entry that hold or derive from a secret, removed after import.
const SECRET_FIELDS: &[&str] = &["auth", "username", "password", "identitytoken"];

/// What a plaintext entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `auth` (base64 `user:password`) or `username` + `password`.
    Password,
    /// `identitytoken` (stored as Username `<token>`).
    IdentityToken,
}

/// One plaintext credential found in a config file.
#[derive(Debug, Clone)]
pub struct Plain {
    /// The `auths` key, as written in the file.
    pub key: String,
    /// The server string it is stored under in the keychain.
    pub server: String,
    pub kind: Kind,
    pub username: String,
    pub secret: Secret,
}

impl Plain {
    /// What another credential helper answered, as an entry to copy.
    pub fn from_credential(c: Credential) -> Plain {
        Plain {
            key: c.server_url.clone(),
            kind: if c.username == TOKEN_USERNAME {
                Kind::IdentityToken
            } else {
                Kind::Password
            },
            server: c.server_url,
            username: c.username,
            secret: c.secret,
        }
    }

    pub(super) fn credential(&self) -> Credential {
        Credential {
            server_url: self.server.clone(),
            username: self.username.clone(),
            secret: self.secret.clone(),
        }
    }

    /// `user alice` or `identity token` — what a report may say about it.
    pub fn describe(&self) -> String {
        match self.kind {
            Kind::Password => format!("user {}", self.username),
            Kind::IdentityToken => "identity token".into(),
        }
    }
}

fn is_hub_alias(key: &str) -> bool {
    let host = key
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    crate::registry::DOCKER_HUB_ALIASES.contains(&host) || host == "index.docker.io/v1"
}

/// The plaintext credentials in an `auths` object, in file order. Stub entries are skipped.
pub fn plaintext_entries(path: &Path, auths: &Object, podman: bool) -> Result<Vec<Plain>, Error> {
    let mut found = Vec::new();
    for (key, entry) in auths.iter() {
        let Json::Object(entry) = entry else { continue };
        let field = |name: &str| {
            entry
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.as_str())
                .filter(|s| !s.is_empty())
        };
        let server = if podman && is_hub_alias(key) {
            DOCKER_HUB_KEY.to_owned()
        } else {
            key.to_owned()
        };
        let bad = || Error::BadAuth {
            path: path.to_owned(),
            registry: key.to_owned(),
        };
        let (kind, username, secret) = if let Some(token) = field("identitytoken") {
            (
                Kind::IdentityToken,
                TOKEN_USERNAME.to_owned(),
                Secret::new(token.to_owned()),
            )
        } else if let Some(auth) = field("auth") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| bad())?;
            let decoded = Secret::new(String::from_utf8(decoded).map_err(|_| bad())?);
            let (user, pass) = decoded.expose().split_once(':').ok_or_else(bad)?;
            if user.is_empty() {
                return Err(bad());
            }
            (
                Kind::Password,
                user.to_owned(),
                Secret::new(pass.to_owned()),
            )
        } else if let (Some(user), Some(pass)) = (field("username"), field("password")) {
            (
                Kind::Password,
                user.to_owned(),
                Secret::new(pass.to_owned()),
            )
        } else {
            continue;
        };
        found.push(Plain {
            key: key.to_owned(),
            server,
            kind,
            username,
            secret,
        });
    }
    Ok(found)
}

/// An `auths` entry whose fields cannot all move into a credential helper, which keeps one
/// username and one secret: moving it would drop part of it, so it is left exactly as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmovable {
    /// The `auths` key, as written in the file.
    pub key: String,
    /// Why, for the warning line.
    pub why: &'static str,
}

/// The entries of `auths` that cannot all move: a password and an identity token together
/// (the docker CLI itself would keep only the token), or a `registrytoken` beside a password
/// or token (a helper has no field for it). A `registrytoken` alone has no secret a helper
/// could hold and is never touched anyway.
pub fn unmovable(auths: &Object) -> Vec<Unmovable> {
    let mut found = Vec::new();
    for (key, entry) in auths.iter() {
        let Json::Object(entry) = entry else { continue };
        let field = |name: &str| {
            entry
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.as_str())
                .filter(|s| !s.is_empty())
        };
        // `auth` is base64 of user:password: a password is there when something follows the
        // colon. Undecodable values are import's error to report, not this check's.
        let auth_password = field("auth").is_some_and(|a| {
            base64::engine::general_purpose::STANDARD
                .decode(a.trim())
                .ok()
                .and_then(|d| d.iter().position(|&b| b == b':').map(|i| i + 1 < d.len()))
                .unwrap_or(false)
        });
        let password = auth_password || field("password").is_some();
        let token = field("identitytoken").is_some();
        let why = if field("registrytoken").is_some() && (password || token) {
            "it holds a registry token, which a credential helper has no field for"
        } else if password && token {
            "it holds a password and an identity token together, and a credential helper keeps only one of them"
        } else {
            continue;
        };
        found.push(Unmovable {
            key: key.to_owned(),
            why,
        });
    }
    found
}

/// Whether one `auths` entry holds a credential docker would send (a secret field, or a
/// `registrytoken`); an empty stub does not.
pub fn holds_credential(entry: &Json) -> bool {
    entry.as_object().is_some_and(|e| {
        e.iter().any(|(k, v)| {
            (SECRET_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(k))
                || k.eq_ignore_ascii_case("registrytoken"))
                && v.as_str().is_some_and(|s| !s.is_empty())
        })
    })
}

/// Whether an `auths` object still holds any secret.
pub fn has_plaintext(auths: Option<&Object>) -> bool {
    auths.is_some_and(|a| {
        a.iter().any(|(_, e)| {
            e.as_object().is_some_and(|e| {
                e.iter().any(|(k, v)| {
                    SECRET_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(k))
                        && v.as_str().is_some_and(|s| !s.is_empty())
                })
            })
        })
    })
}

/// Remove the secret fields of the entries in `moved` from `config`, but only where the file
/// still holds the secret that was verified. Returns how many entries were stripped.
pub(crate) fn strip(
    config: &mut DockerConfig,
    moved: &[Plain],
    podman: bool,
) -> Result<usize, Error> {
    let path = config.path.clone();
    let Some(auths) = config.auths() else {
        return Ok(0);
    };
    let current = plaintext_entries(&path, auths, podman)?;
    let still_same: Vec<&str> = current
        .iter()
        .filter(|c| {
            moved
                .iter()
                .any(|m| m.key == c.key && m.username == c.username && m.secret == c.secret)
        })
        .map(|c| c.key.as_str())
        .collect::<Vec<_>>();
    let keys: Vec<String> = still_same.iter().map(|s| s.to_string()).collect();
    let Some(Json::Object(auths)) = config.root.get_mut("auths") else {
        return Ok(0);
    };
    for (key, entry) in auths.iter_mut() {
        if !keys.iter().any(|k| k == key) {
            continue;
        }
        if let Json::Object(entry) = entry {
            let secret_keys: Vec<String> = entry
                .keys()
                .filter(|k| SECRET_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(k)))
                .map(str::to_owned)
                .collect();
            for k in secret_keys {
                if let Some(mut v) = entry.remove(&k)
                    && let Json::String(s) = &mut v
                {
                    zeroize::Zeroize::zeroize(s);
                }
            }
        }
    }
    Ok(keys.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker_config;

    fn entries(text: &str, podman: bool) -> Result<Vec<Plain>, Error> {
        let root = docker_config::parse(Path::new("c.json"), text.as_bytes()).unwrap();
        plaintext_entries(
            Path::new("c.json"),
            root.get("auths").unwrap().as_object().unwrap(),
            podman,
        )
    }

    #[test]
    fn every_form_is_recognised() {
        // alice:pa:ss, base64.
        let e = entries(
            r#"{"auths":{
                "https://index.docker.io/v1/":{"auth":"YWxpY2U6cGE6c3M="},
                "reg.example:5000":{"username":"bob","password":"pw"},
                "tok.example":{"auth":"Ym9iOg==","identitytoken":"idt"},
                "stub.example":{},
                "email.example":{"email":"x@y"}
            }}"#,
            false,
        )
        .unwrap();
        let got: Vec<_> = e
            .iter()
            .map(|p| {
                (
                    p.server.as_str(),
                    p.kind,
                    p.username.as_str(),
                    p.secret.expose().as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "https://index.docker.io/v1/",
                    Kind::Password,
                    "alice",
                    "pa:ss"
                ),
                ("reg.example:5000", Kind::Password, "bob", "pw"),
                ("tok.example", Kind::IdentityToken, "<token>", "idt"),
            ]
        );
    }

    #[test]
    fn entries_that_cannot_all_move_are_found() {
        // "bob:pw", "carol:" (no password: docker's own identity-token login), "x".
        let root = docker_config::parse(
            Path::new("c.json"),
            br#"{"auths":{
                "both":{"auth":"Ym9iOnB3","identitytoken":"t"},
                "fields":{"username":"u","password":"p","IdentityToken":"t"},
                "token-login":{"auth":"Y2Fyb2w6","identitytoken":"t"},
                "rt":{"registrytoken":"r","auth":"Ym9iOnB3"},
                "rt-only":{"registrytoken":"r"},
                "plain":{"auth":"Ym9iOnB3"},
                "bad":{"auth":"!!","identitytoken":"t"}
            }}"#,
        )
        .unwrap();
        let found = unmovable(root.get("auths").unwrap().as_object().unwrap());
        let keys: Vec<&str> = found.iter().map(|u| u.key.as_str()).collect();
        assert_eq!(keys, ["both", "fields", "rt"]);
        assert!(found[0].why.contains("password and an identity token"));
        assert!(found[2].why.contains("registry token"));
    }

    #[test]
    fn podman_hub_keys_become_dockers() {
        let e = entries(
            r#"{"auths":{"docker.io":{"auth":"YTpi"},"quay.io/org":{"auth":"YTpi"}}}"#,
            true,
        )
        .unwrap();
        assert_eq!(e[0].server, DOCKER_HUB_KEY);
        assert_eq!(e[1].server, "quay.io/org");
    }

    #[test]
    fn bad_auth_is_refused_without_showing_it() {
        for auth in ["!!!notbase64", "bm9jb2xvbg==" /* nocolon */] {
            let text = format!(r#"{{"auths":{{"r":{{"auth":"{auth}"}}}}}}"#);
            let e = entries(&text, false).unwrap_err();
            assert!(matches!(e, Error::BadAuth { .. }));
            assert!(!e.to_string().contains(auth));
        }
    }

    #[test]
    fn strip_keeps_stub_and_other_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(
            &path,
            r#"{"auths":{"r":{"auth":"YTpi","email":"e@x"},"s":{"identitytoken":"t"}},"other":1}"#,
        )
        .unwrap();
        let mut c = DockerConfig::load(&path).unwrap();
        let moved = plaintext_entries(&path, c.auths().unwrap(), false).unwrap();
        assert_eq!(strip(&mut c, &moved, false).unwrap(), 2);
        assert_eq!(
            String::from_utf8(c.render().to_vec()).unwrap(),
            "{\n\t\"auths\": {\n\t\t\"r\": {\n\t\t\t\"email\": \"e@x\"\n\t\t},\n\t\t\"s\": {}\n\t},\n\t\"other\": 1\n}"
        );
        assert!(!has_plaintext(c.auths()));
    }
}
