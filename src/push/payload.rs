//! What goes into every target's Secret: the selected credentials read from the keychain,
//! keyed as the kubelet matches them, and every form of their secrets to scrub from what
//! servers say.

use super::pull_secret::{self, Entry, Refusal};
use super::{Error, Options, PUSH};
use crate::backend::Credential;
use crate::messages;
use crate::secret::Secret;
use crate::source::All;
use crate::source::Source;
use std::collections::BTreeMap;
use std::io::Write;

/// What goes into every target's Secret.
pub struct Payload {
    /// The registry keys, sorted.
    pub keys: Vec<String>,
    /// The `.dockerconfigjson` bytes.
    pub config: Secret<Vec<u8>>,
    /// Every secret value in any form we send, to scrub from server messages.
    redact: Vec<Secret>,
    /// Each registry key whose secret says when it expires, with that time (epoch seconds).
    pub expires: Vec<(String, u64)>,
}

impl Payload {
    /// Read the selected credentials from the source (`--from`) and build the secret's bytes,
    /// refusing what the kubelet cannot use; what `--all` skips is said on `err`.
    pub fn from_source(
        options: &Options,
        settings: &crate::settings::Settings,
        err: &mut dyn Write,
    ) -> Result<Payload, Error> {
        let from = &options.source;
        // A registry named must be an address: nothing else is asked of any source.
        for query in &options.registries {
            crate::registry::check_address(query).map_err(Refusal::from)?;
        }
        let all = if *from == Source::Keychain {
            from_keychain(options, settings)?
        } else {
            // A helper that is not there fails here, before any credential is asked for.
            let reader = crate::source::Reader::open(from, settings)?;
            if options.all {
                reader.all()?
            } else {
                let mut found = Vec::new();
                for query in &options.registries {
                    let c = reader.get(query)?.ok_or_else(|| Error::NotStored {
                        query: query.clone(),
                        from: from.clone(),
                    })?;
                    found.push(c);
                }
                All {
                    found,
                    refused: Vec::new(),
                }
            }
        };
        let found = if options.all {
            usable(all, from, err)?
        } else {
            let found = all.found;
            for (query, c) in options.registries.iter().zip(&found) {
                pull_secret::check_entry(query, &c.username)?;
            }
            found
        };
        Payload::build(found)
    }

    /// Key the credentials as the kubelet matches them and build the bytes. Every key must be
    /// a registry address (what is not never reaches a Secret or our annotation).
    pub fn build(found: Vec<Credential>) -> Result<Payload, Error> {
        let mut by_key: BTreeMap<String, Credential> = BTreeMap::new();
        for c in found {
            crate::registry::check_address(&c.server_url).map_err(Refusal::from)?;
            let key = pull_secret::kubelet_key(&c.server_url);
            if let Some(previous) = by_key.get(&key) {
                if previous.username != c.username || previous.secret != c.secret {
                    return Err(Error::Ambiguous {
                        first: previous.server_url.clone(),
                        second: c.server_url,
                        key,
                    });
                }
                continue;
            }
            by_key.insert(key, c);
        }
        let entries: Vec<Entry> = by_key
            .into_iter()
            .map(|(key, c)| Entry {
                key,
                username: c.username.clone(),
                password: c.secret.clone(),
                email: String::new(),
            })
            .collect();
        let config = pull_secret::dockerconfigjson(&entries)?;
        let mut redact: Vec<Secret> = Vec::new();
        for e in &entries {
            use base64::Engine;
            let b64 = base64::engine::general_purpose::STANDARD;
            let pw = e.password.expose();
            if pw.len() >= 4 {
                redact.push(e.password.clone());
                let quoted = Secret::new(crate::protocol::json::go_json(pw));
                let escaped = &quoted.expose()[1..quoted.expose().len() - 2];
                redact.push(Secret::new(escaped.to_owned()));
            }
            redact.push(Secret::new(
                b64.encode(format!("{}:{pw}", e.username).as_bytes()),
            ));
        }
        redact.push(Secret::new(base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            config.expose(),
        )));
        let expires = entries
            .iter()
            .filter_map(|e| Some((e.key.clone(), crate::expiry::of(e.password.expose())?)))
            .collect();
        Ok(Payload {
            keys: entries.iter().map(|e| e.key.clone()).collect(),
            config,
            redact,
            expires,
        })
    }

    /// The Secret manifest for `namespace`.
    pub fn manifest(&self, name: &str, namespace: Option<&str>) -> pull_secret::Manifest {
        pull_secret::manifest(name, namespace, &self.keys, &self.config)
    }

    /// The Secret manifest for `namespace` holding our registries merged into `theirs` (an
    /// existing secret's `.dockerconfigjson`; those of its registries `pushed_before` says push
    /// wrote are dropped), and what happened to its registries ([`pull_secret::merge`]). The
    /// annotation lists only ours.
    pub fn merged_manifest(
        &self,
        name: &str,
        namespace: &str,
        theirs: &[u8],
        pushed_before: impl Fn(&str) -> bool,
    ) -> Result<(pull_secret::Manifest, pull_secret::Merged), pull_secret::MergeError> {
        let merged = pull_secret::merge(theirs, &self.config, pushed_before)?;
        let manifest = pull_secret::manifest(name, Some(namespace), &self.keys, &merged.config);
        Ok((manifest, merged))
    }

    /// `text` with every secret we send replaced by `<redacted>` (server messages can quote
    /// what they were sent).
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.redact {
            if !s.expose().is_empty() && out.contains(s.expose().as_str()) {
                out = out.replace(s.expose().as_str(), "<redacted>");
            }
        }
        out
    }
}

/// The selected credentials in the keychain: every one (`--all`), or each registry found as
/// `get` finds it.
fn from_keychain(options: &Options, settings: &crate::settings::Settings) -> Result<All, Error> {
    let keychain = crate::backend::open(settings, options.backend.as_deref())
        .map_err(crate::protocol::Error::from)?;
    let mut found: Vec<Credential> = Vec::new();
    let mut refused = Vec::new();
    if options.all {
        for l in keychain.list().map_err(crate::protocol::Error::from)? {
            if let Err(e) = crate::registry::check_address(&l.server_url) {
                refused.push(e);
            } else if let Some(c) = keychain
                .get(&l.server_url)
                .map_err(crate::protocol::Error::from)?
            {
                found.push(c);
            } // else erased meanwhile
        }
    } else {
        for query in &options.registries {
            // Found as `get` finds it: the spellings the query can match.
            let c = keychain
                .find(query)
                .map_err(crate::protocol::Error::from)?
                .ok_or_else(|| Error::NotStored {
                    query: query.clone(),
                    from: Source::Keychain,
                })?;
            found.push(c);
        }
    }
    Ok(All { found, refused })
}

/// With `--all` an entry the kubelet cannot use, or a key that is no registry address, is
/// skipped, not fatal: said on `err`.
fn usable(all: All, from: &Source, err: &mut dyn Write) -> Result<Vec<Credential>, Error> {
    let mut skipped = 0;
    let mut found = Vec::new();
    for refusal in all.refused {
        messages::info(err, PUSH, format_args!("skipped {refusal}"));
        skipped += 1;
    }
    for c in all.found {
        if let Err(refusal) = pull_secret::check_entry(&c.server_url, &c.username) {
            messages::info(
                err,
                PUSH,
                format_args!(
                    "skipped {}",
                    crate::untrusted::line(&refusal.to_string(), 1000)
                ),
            );
            skipped += 1;
            continue;
        }
        found.push(c);
    }
    if found.is_empty() {
        return Err(if skipped > 0 {
            Error::NothingUsable {
                skipped,
                from: from.clone(),
            }
        } else {
            Error::NothingStored { from: from.clone() }
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred(server: &str, user: &str, pw: &str) -> Credential {
        Credential {
            server_url: server.into(),
            username: user.into(),
            secret: Secret::new(pw.into()),
        }
    }

    #[test]
    fn equivalent_entries_merge_and_conflicts_refuse() {
        let p = Payload::build(vec![
            cred("docker.io", "a", "pw"),
            cred("https://index.docker.io/v1/", "a", "pw"),
        ])
        .unwrap();
        assert_eq!(p.keys, vec!["https://index.docker.io/v1/".to_owned()]);
        let e = Payload::build(vec![
            cred("docker.io", "a", "pw"),
            cred("https://index.docker.io/v1/", "b", "pw"),
        ]);
        assert!(matches!(e, Err(Error::Ambiguous { .. })));
    }

    #[test]
    fn scrub_removes_every_form() {
        let p = Payload::build(vec![cred("r.io", "alice", "p<ss&word")]).unwrap();
        let s = p.scrub("got p<ss&word and p\\u003css\\u0026word and YWxpY2U6cDxzcyZ3b3Jk");
        assert!(!s.contains("ss"), "{s}");
    }
}
