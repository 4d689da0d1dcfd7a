//! Where the key comes from: this process, the kernel key cache, or the passphrase (from the
//! environment as the binary found it at start, else a prompt on the terminal, never stdin).

use super::crypto::{CHECK_TEXT, Key, check_key, decode, derive, new_kdf, seal};
use super::format::{Document, FORMAT, VERSION};
use super::{Error, FileStore, key_cache};
use crate::secret::Secret;
use std::collections::BTreeMap;
use std::io;

/// Where the passphrase comes from.
pub(super) enum Source {
    Env(Secret),
    Terminal,
}

impl FileStore {
    pub(super) fn source(&self) -> Source {
        if let Some(p) = &self.passphrase {
            return Source::Env(p.clone());
        }
        match &self.env_passphrase {
            Some(p) if !p.expose().is_empty() => Source::Env(p.clone()),
            _ => Source::Terminal,
        }
    }

    /// The key that opens `doc`: from this process, the cache, or the passphrase (checked).
    pub(super) fn unlock(&self, doc: &Document) -> Result<Key, Error> {
        if let Some((salt, key)) = self.key.get()
            && *salt == doc.kdf.salt
        {
            return Ok(key.clone());
        }
        let source = self.source();
        let cache_id = cache_id(&doc.kdf.salt, &source);
        let cache = (self.cache_seconds > 0).then_some(());
        if cache.is_some()
            && let Some(payload) = key_cache::get(&cache_id)
            && let Some(key) = cached_key(payload.expose(), &source)
            && check_key(doc, &key)
        {
            let _ = self.key.set((doc.kdf.salt.clone(), key.clone()));
            return Ok(key);
        }
        let passphrase = match &source {
            Source::Env(p) => p.clone(),
            Source::Terminal => self.prompt(&format!(
                "Passphrase for the credential file {}: ",
                self.path.display()
            ))?,
        };
        let key = derive(&passphrase, &doc.kdf)?;
        if !check_key(doc, &key) {
            return Err(Error::WrongPassphrase {
                path: self.path.clone(),
            });
        }
        if cache.is_some() {
            self.remember(&doc.kdf.salt, &source, &key);
        }
        let _ = self.key.set((doc.kdf.salt.clone(), key.clone()));
        Ok(key)
    }

    pub(super) fn remember(&self, salt: &str, source: &Source, key: &Key) {
        if !key_cache::EXISTS {
            return;
        }
        let payload = cache_payload(key, source);
        if let Err(why) = key_cache::put(
            &cache_id(salt, source),
            payload.expose(),
            self.cache_seconds,
        ) {
            crate::messages::warning(
                &mut io::stderr(),
                crate::messages::Speaker::Program,
                format_args!(
                    "the file store's key cannot be cached ({why}): \
                     every call will ask for the passphrase or derive the key again"
                ),
            );
        }
    }

    /// A new, empty store: a fresh salt, the passphrase (asked twice at a terminal), the key.
    pub(super) fn create(&self) -> Result<(Document, Key), Error> {
        let passphrase = match self.source() {
            Source::Env(p) => p,
            Source::Terminal => {
                let first = self.prompt(&format!(
                    "New passphrase for the credential file {}: ",
                    self.path.display()
                ))?;
                let again = self.prompt("Repeat the passphrase: ")?;
                if first != again {
                    return Err(Error::PassphraseMismatch);
                }
                first
            }
        };
        let kdf = new_kdf()?;
        let key = derive(&passphrase, &kdf)?;
        let check = seal(&key, CHECK_TEXT, b"check")?;
        let doc = Document {
            format: FORMAT.to_owned(),
            version: VERSION,
            kdf,
            check,
            entries: BTreeMap::new(),
        };
        // Cached only once the file is written with this salt (see `modify`): a helper that
        // loses the race to create the file must not leave a key for a salt nobody uses.
        Ok((doc, key))
    }

    pub(super) fn prompt(&self, prompt: &str) -> Result<Secret, Error> {
        let answer = match rpassword::prompt_password(prompt) {
            Ok(a) => Secret::new(a),
            // ENXIO (6 on Linux and macOS): this process has no controlling terminal.
            Err(e) if e.raw_os_error() == Some(6) || e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::NoPassphrase {
                    path: self.path.clone(),
                });
            }
            Err(e) => return Err(Error::Prompt(e)),
        };
        if answer.expose().is_empty() {
            return Err(Error::EmptyPassphrase);
        }
        Ok(answer)
    }
}

/// The cache entry's name: the file's salt (public: it is in the file) and where the
/// passphrase came from. Nothing derived from the passphrase: the name is in `/proc/keys`.
fn cache_id(salt: &str, source: &Source) -> String {
    let salt_hex: String = decode(salt)
        .unwrap_or_default()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let from = match source {
        Source::Terminal => "tty",
        Source::Env(_) => "env",
    };
    format!("docker-credential-keyring:file:{salt_hex}:{from}")
}

/// A check of a passphrase from the environment, kept in the cached payload after the key:
/// BLAKE2b keyed with the derived key itself, so it proves nothing to whoever lacks the key
/// (and whoever can read the payload has the key already). A call whose passphrase does not
/// match misses the cache, derives, and is refused.
fn passphrase_check(
    key: &Key,
    passphrase: &Secret,
) -> blake2::Blake2bMac<blake2::digest::consts::U32> {
    use blake2::digest::Mac;
    let mut mac =
        <blake2::Blake2bMac<blake2::digest::consts::U32> as Mac>::new_from_slice(key.expose())
            .expect("a 32-byte BLAKE2b key");
    mac.update(b"docker-credential-keyring file cache: passphrase from env\0");
    mac.update(passphrase.expose().as_bytes());
    mac
}

/// What the cache keeps: the key, then for [`Source::Env`] the passphrase's check.
fn cache_payload(key: &Key, source: &Source) -> Secret<Vec<u8>> {
    use blake2::digest::Mac;
    let mut payload = Secret::new(Vec::with_capacity(key_cache::MAX_PAYLOAD));
    payload.expose_mut().extend_from_slice(key.expose());
    if let Source::Env(p) = source {
        let tag = passphrase_check(key, p).finalize().into_bytes();
        payload.expose_mut().extend_from_slice(&tag);
    }
    payload
}

/// The key in a cached payload, when the payload has the shape `source` writes and, for
/// [`Source::Env`], its check matches this passphrase (compared in constant time).
fn cached_key(payload: &[u8], source: &Source) -> Option<Key> {
    use blake2::digest::Mac;
    let (key_bytes, tag) = match (source, payload.len()) {
        (Source::Terminal, 32) => (payload, None),
        (Source::Env(p), 64) => (&payload[..32], Some((p, &payload[32..]))),
        _ => return None,
    };
    let mut key = Secret::new([0u8; 32]);
    key.expose_mut().copy_from_slice(key_bytes);
    if let Some((p, tag)) = tag {
        passphrase_check(&key, p).verify_slice(tag).ok()?;
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Secret::new([7u8; 32])
    }

    #[test]
    fn a_cached_env_key_opens_only_for_its_passphrase() {
        let right = Source::Env(Secret::new("right".into()));
        let payload = cache_payload(&key(), &right);
        assert_eq!(payload.expose().len(), 64);
        let got = cached_key(payload.expose(), &right).expect("the right passphrase");
        assert_eq!(got.expose(), key().expose());
        let wrong = Source::Env(Secret::new("wrong".into()));
        assert!(cached_key(payload.expose(), &wrong).is_none());
    }

    #[test]
    fn a_cached_env_key_is_not_a_terminal_key_and_back() {
        let env = Source::Env(Secret::new("right".into()));
        let from_env = cache_payload(&key(), &env);
        assert!(cached_key(from_env.expose(), &Source::Terminal).is_none());
        let from_tty = cache_payload(&key(), &Source::Terminal);
        assert_eq!(from_tty.expose().len(), 32);
        assert!(cached_key(from_tty.expose(), &env).is_none());
        assert!(cached_key(from_tty.expose(), &Source::Terminal).is_some());
    }
}
