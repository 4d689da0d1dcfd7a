//! The `secret-service` backend: the freedesktop.org Secret Service (gnome-keyring, KWallet,
//! KeePassXC) on the D-Bus session bus, with items in Docker's own schema so that Docker's
//! `docker-credential-secretservice` and we read, list and erase each other's credentials.
//!
//! # Items
//! One item per server, attributes exactly as Docker's helper writes them:
//! `xdg:schema=io.docker.Credentials`, `label=Docker Credentials`, `server=<ServerURL verbatim>`,
//! `username`, `docker_cli=1`; the item's display label is the server URL. New items go to the
//! default collection (`ReadAlias("default")`), created in one `CreateItem` call (replace=true),
//! after which every other item for that server is deleted: Docker's helper leaves one item per
//! username, we keep one credential per server. Where several items match (left by Docker's
//! helper), `get` and `list` take the most recently modified one (then the most recently
//! created, then the highest object path), so answers are deterministic.
//!
//! # Round trips
//! Calls that do not depend on each other are pipelined: all sent, then all replies collected.
//! `get` is the `Hello` handshake, a search for the exact string, then (if it found nothing) one
//! pipelined batch of searches for the other spellings that can answer (a miss ends there,
//! without a transfer session or any item read), then the session's opening with the found
//! item's attributes, then the secret; `list` is a search plus the
//! `Attributes` of every item in one pipelined batch, and never opens a session or asks for a
//! secret. It may unlock, though: a keyring locked since the service loaded it shows only
//! hashed attributes (no server, no username), so `list` asks to unlock those items, which shows
//! the unlock prompt where one can be shown and fails with [`Error::Locked`] where not.
//!
//! # Failures
//! Every call has a deadline (`DOCKER_CREDENTIAL_KEYRING_TIMEOUT` seconds, default 5); unlock
//! prompts have their own (`DOCKER_CREDENTIAL_KEYRING_PROMPT_TIMEOUT`, default 60), after which
//! the prompt is dismissed. No session bus, an address that does not answer, no Secret Service
//! on the bus, a locked keyring that cannot be unlocked, and a silent service are each their own
//! [`Error`] variant: never a "not found".
//!
//! # Secrets in memory
//! Secrets we hold live in [`Secret`] / `Zeroizing` buffers, wiped on drop, on error paths too
//! (a failed decryption, a secret that is not UTF-8); so are the DH private exponent, the shared
//! secret, the AES key and the ciphers' expanded keys ([`dh`]). What libdbus copies into its own
//! message buffers (the encrypted secret, or the plain one with a `plain` session) is freed, not
//! wiped.
//!
//! # Why we speak D-Bus ourselves
//! The keyring-core Secret Service stores (zbus- and dbus-based) were measured and read
//! (`~/.cargo/registry/src`, keyring-core 1.1, dbus-secret-service-keyring-store 1.0.1,
//! dbus-secret-service 4.1, secret-service 5.2):
//! - a Docker-schema item takes two writes through the store API (`set_secret` creates the item
//!   with the store's own attributes, then `update_attributes`); a crash in between leaves an item
//!   docker cannot see;
//! - every call re-resolves the item by a search and checks lock state: list costs ~0.6–0.9 ms
//!   per item, while the target is 1000 items in ~100 ms;
//! - unlock prompts have no deadline of ours: `secret-service` (zbus) waits for `Completed`
//!   with no timeout, `dbus-secret-service` loops one-second waits for a year by default;
//! - `dbus-secret-service` draws its DH private key from `fastrand` (not a cryptographic RNG,
//!   see its `session.rs`), and the zbus stack brings an async runtime and 3.8 MB.
//!
//! So this module uses the blocking `dbus` crate (libdbus) directly, with the transfer session
//! in [`dh`] on RustCrypto crates and keys from `getrandom`.

mod bus;
mod dh;
mod prompt;

use crate::backend::{Backend, Credential, Error, Listed};
use crate::secret::Secret;
use bus::{Bus, Reply};
use dbus::Message;
use dbus::Path;
use dbus::arg::{RefArg, Variant};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// Seconds an unlock prompt may stay unanswered.
pub use crate::settings::PROMPT_TIMEOUT_ENV;
/// Seconds each D-Bus call may take.
pub use crate::settings::TIMEOUT_ENV;

const SERVICE: &str = "org.freedesktop.secrets";
const SERVICE_PATH: &str = "/org/freedesktop/secrets";
const IFACE_SERVICE: &str = "org.freedesktop.Secret.Service";
const IFACE_COLLECTION: &str = "org.freedesktop.Secret.Collection";
const IFACE_ITEM: &str = "org.freedesktop.Secret.Item";
const IFACE_PROMPT: &str = "org.freedesktop.Secret.Prompt";
const IFACE_PROPERTIES: &str = "org.freedesktop.DBus.Properties";

const ERR_IS_LOCKED: &str = "org.freedesktop.Secret.Error.IsLocked";
const ERR_NO_SUCH_OBJECT: &str = "org.freedesktop.Secret.Error.NoSuchObject";
const ERR_UNKNOWN_OBJECT: &str = "org.freedesktop.DBus.Error.UnknownObject";
const ERR_UNKNOWN_METHOD: &str = "org.freedesktop.DBus.Error.UnknownMethod";
const ERR_UNKNOWN_INTERFACE: &str = "org.freedesktop.DBus.Error.UnknownInterface";
const ERR_NOT_SUPPORTED: &str = "org.freedesktop.DBus.Error.NotSupported";

/// Docker's schema (docker-credential-helpers, secretservice_linux.c).
const SCHEMA: &str = "io.docker.Credentials";
const LABEL_ATTRIBUTE: &str = "Docker Credentials";
/// libsecret's content type for passwords, as Docker's helper stores them.
const CONTENT_TYPE: &str = "text/plain";

/// Deadlines, from our settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub call_timeout: Duration,
    pub prompt_timeout: Duration,
}

impl Settings {
    /// `DOCKER_CREDENTIAL_KEYRING_TIMEOUT` (default 5 s) and
    /// `DOCKER_CREDENTIAL_KEYRING_PROMPT_TIMEOUT` (default 60 s).
    pub fn from_settings(settings: &crate::settings::Settings) -> Result<Settings, Error> {
        Ok(Settings {
            call_timeout: seconds(TIMEOUT_ENV, settings.timeout.as_deref(), 5.0)?,
            prompt_timeout: seconds(PROMPT_TIMEOUT_ENV, settings.prompt_timeout.as_deref(), 60.0)?,
        })
    }
}

fn seconds(name: &'static str, value: Option<&str>, default: f64) -> Result<Duration, Error> {
    match value {
        None => Ok(Duration::from_secs_f64(default)),
        Some(raw) => parse_seconds(name, raw),
    }
}

fn parse_seconds(name: &'static str, value: &str) -> Result<Duration, Error> {
    match value.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(Error::InvalidSetting {
            name,
            value: value.to_owned(),
            expected: "a number of seconds greater than 0 and at most 86400",
        }),
    }
}

/// A Secret Service that answered [`probe`]: its connection, kept so that opening the backend
/// after `auto` chose it does not connect a second time.
pub struct Probed {
    bus: Bus,
}

impl std::fmt::Debug for Probed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Probed")
    }
}

/// Whether a session bus and a Secret Service on it answer within `timeout` (one connection
/// plus one `Ping`; a service that D-Bus activation can start is started). For choosing a
/// backend automatically; the connection is handed back for [`SecretService::from_probe`].
pub fn probe(timeout: Duration) -> Result<Probed, Error> {
    let settings = Settings {
        call_timeout: timeout,
        prompt_timeout: timeout,
    };
    let bus = Bus::connect(&settings)?;
    let ping = bus::call(SERVICE_PATH, "org.freedesktop.DBus.Peer", "Ping");
    // Any answer, even an error reply, means the service is there; `call` turns "no such
    // name" and silence into errors.
    let _answered = bus.call(ping, "answer a ping")?;
    Ok(Probed { bus })
}

/// An open transfer session.
struct Session {
    path: Path<'static>,
    /// `None` for a `plain` session (a service that refuses Diffie-Hellman).
    key: Option<dh::AesKey>,
}

/// The Secret Service backend over one private connection to the session bus.
pub struct SecretService {
    bus: Bus,
    settings: Settings,
    session: RefCell<Option<Session>>,
}

/// An item and its attributes.
type Attributed = (Path<'static>, HashMap<String, String>);

/// What we read of one item.
struct ItemInfo {
    path: Path<'static>,
    attributes: HashMap<String, String>,
    created: u64,
    modified: u64,
}

impl ItemInfo {
    /// Newest first: most recently modified, then created, then the highest object path
    /// (gnome-keyring numbers items in creation order).
    fn recency(&self) -> (u64, u64, usize, &str) {
        (self.modified, self.created, self.path.len(), &self.path)
    }
}

impl SecretService {
    /// The credential stored under the first of `candidates` that is stored.
    fn search_in_order(&self, candidates: &[String]) -> Result<Option<Credential>, Error> {
        // Search first: docker asks for registries we hold nothing for (every anonymous pull),
        // and those answers need no transfer session (the service's Diffie-Hellman costs more
        // than a round trip). The exact string alone first (what docker stored is what docker
        // asks for, so a hit is one search), then every other spelling in one pipelined batch.
        let (first, rest) = match candidates.split_first() {
            Some((first, rest)) => (std::slice::from_ref(first), rest),
            None => return Ok(None),
        };
        for batch in [first, rest] {
            if let Some(found) = self.search_batch(batch)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// Connect to the session bus with the deadlines of our settings.
    pub fn open(settings: &crate::settings::Settings) -> Result<SecretService, Error> {
        Self::with_settings(Settings::from_settings(settings)?)
    }

    /// The backend on the connection [`probe`] made, with the deadlines of our settings.
    pub fn from_probe(
        probed: Probed,
        settings: &crate::settings::Settings,
    ) -> Result<SecretService, Error> {
        let settings = Settings::from_settings(settings)?;
        let mut bus = probed.bus;
        bus.timeout = settings.call_timeout;
        Ok(SecretService {
            bus,
            settings,
            session: RefCell::new(None),
        })
    }

    /// Connect to the session bus with explicit deadlines.
    pub fn with_settings(settings: Settings) -> Result<SecretService, Error> {
        Ok(SecretService {
            bus: Bus::connect(&settings)?,
            settings,
            session: RefCell::new(None),
        })
    }

    /// Run `msgs` pipelined, opening the transfer session in the same batch if there is none
    /// yet.
    fn call_with_session(&self, mut msgs: Vec<Message>, what: &str) -> Result<Vec<Reply>, Error> {
        if self.session.borrow().is_some() {
            return self.bus.call_all(msgs, what);
        }
        let pair = dh::KeyPair::generate().map_err(|e| failed("open a session", e))?;
        let open = bus::call(SERVICE_PATH, IFACE_SERVICE, "OpenSession")
            .append2(dh::ALGORITHM, Variant(pair.public.clone()));
        msgs.insert(0, open);
        let mut replies = self.bus.call_all(msgs, what)?;
        let first = replies.remove(0);
        let session = match first {
            Ok(reply) => {
                let (output, path): (Variant<Vec<u8>>, Path<'static>) = reply
                    .read2()
                    .map_err(|e| prompt::bad_reply("open a session", e))?;
                let key = pair
                    .derive_key(&output.0)
                    .map_err(|e| failed("open a session", e))?;
                Session {
                    path,
                    key: Some(key),
                }
            }
            Err(e) if e.is(ERR_NOT_SUPPORTED) => self.open_plain_session()?,
            Err(e) => return Err(e.into_error("open an encrypted session")),
        };
        *self.session.borrow_mut() = Some(session);
        Ok(replies)
    }

    /// A `plain` session, only for services that refuse Diffie-Hellman: secrets then cross the
    /// (user-private) session bus unencrypted, as with libsecret in that case.
    fn open_plain_session(&self) -> Result<Session, Error> {
        const WHAT: &str = "open a session";
        let open = bus::call(SERVICE_PATH, IFACE_SERVICE, "OpenSession")
            .append2("plain", Variant(String::new()));
        let reply = self.bus.call(open, WHAT)?.map_err(|e| e.into_error(WHAT))?;
        let (_, path): (Variant<Box<dyn RefArg>>, Path<'static>) =
            reply.read2().map_err(|e| prompt::bad_reply(WHAT, e))?;
        Ok(Session { path, key: None })
    }

    /// `SearchItems` for Docker items with `server` (or all Docker items): (unlocked, locked).
    ///
    /// The search leaves out `xdg:schema`: gnome-keyring reports the schema of items in a
    /// keyring that is locked since it was loaded as `org.freedesktop.Secret.Generic`, so a
    /// search on it would miss them and turn "locked" into a false "not found". `docker_cli=1`
    /// is Docker's own marker (its helper's `list` searches on it alone).
    fn search_msg(server: Option<&str>) -> Message {
        let mut attrs: HashMap<&str, &str> = HashMap::new();
        attrs.insert("docker_cli", "1");
        if let Some(server) = server {
            attrs.insert("server", server);
        }
        bus::call(SERVICE_PATH, IFACE_SERVICE, "SearchItems").append1(attrs)
    }

    fn read_search(reply: Reply) -> Result<(Vec<Path<'static>>, Vec<Path<'static>>), Error> {
        const WHAT: &str = "search the keyring";
        reply
            .map_err(|e| e.into_error(WHAT))?
            .read2()
            .map_err(|e| prompt::bad_reply(WHAT, e))
    }

    /// The attributes and times of `paths` (`GetAll`), pipelined. Items that vanished in the
    /// meantime are left out.
    fn item_infos(&self, paths: &[Path<'static>]) -> Result<Vec<ItemInfo>, Error> {
        const WHAT: &str = "read item attributes";
        let msgs = paths
            .iter()
            .map(|p| bus::call(p, IFACE_PROPERTIES, "GetAll").append1(IFACE_ITEM))
            .collect();
        let replies = self.bus.call_all(msgs, WHAT)?;
        let mut infos = Vec::with_capacity(paths.len());
        for (path, reply) in paths.iter().zip(replies) {
            match reply {
                Ok(m) => infos.push(item_info(path.clone(), &m)?),
                Err(e) if vanished(&e) => {}
                Err(e) => return Err(e.into_error(WHAT)),
            }
        }
        Ok(infos)
    }

    /// The `Attributes` of `paths`, pipelined (one property, the cheapest read for the
    /// service). Items that vanished in the meantime are left out.
    fn item_attributes(&self, paths: &[Path<'static>]) -> Result<Vec<Attributed>, Error> {
        const WHAT: &str = "read item attributes";
        let msgs = paths
            .iter()
            .map(|p| bus::call(p, IFACE_PROPERTIES, "Get").append2(IFACE_ITEM, "Attributes"))
            .collect();
        let replies = self.bus.call_all(msgs, WHAT)?;
        let mut out = Vec::with_capacity(paths.len());
        for (path, reply) in paths.iter().zip(replies) {
            match reply {
                Ok(m) => {
                    let Variant(attrs): Variant<HashMap<String, String>> =
                        m.read1().map_err(|e| prompt::bad_reply(WHAT, e))?;
                    out.push((path.clone(), attrs));
                }
                Err(e) if vanished(&e) => {}
                Err(e) => return Err(e.into_error(WHAT)),
            }
        }
        Ok(out)
    }

    /// Unlock `items` if any are locked.
    fn unlock(&self, items: Vec<Path<'static>>) -> Result<(), Error> {
        if items.is_empty() {
            return Ok(());
        }
        prompt::unlock(&self.bus, &self.settings, items)
    }

    /// The secret of `item`, decrypted.
    fn read_secret(&self, reply: Reply) -> Result<Option<Secret>, Error> {
        const WHAT: &str = "read a secret";
        let reply = match reply {
            Ok(m) => m,
            Err(e) if vanished(&e) => return Ok(None),
            Err(e) if e.is(ERR_IS_LOCKED) => return Err(Error::Locked),
            Err(e) => return Err(e.into_error(WHAT)),
        };
        let (_, parameters, value, _): (Path<'static>, Vec<u8>, Vec<u8>, String) =
            reply.read1().map_err(|e| prompt::bad_reply(WHAT, e))?;
        let value = zeroize::Zeroizing::new(value);
        let session = self.session.borrow();
        let plain = match session.as_ref().and_then(|s| s.key.as_ref()) {
            Some(key) => key
                .decrypt(&parameters, &value)
                .map_err(|e| failed(WHAT, e))?,
            None => Secret::new(value.to_vec()),
        };
        let mut bytes = plain;
        let bytes = std::mem::take(bytes.expose_mut());
        match String::from_utf8(bytes) {
            Ok(s) => Ok(Some(Secret::new(s))),
            Err(e) => {
                drop(zeroize::Zeroizing::new(e.into_bytes()));
                Err(Error::Failed {
                    service: bus::WHO,
                    what: WHAT.to_owned(),
                    message:
                        "the stored secret is not UTF-8 text, so it is not a Docker credential"
                            .into(),
                })
            }
        }
    }

    fn session_path(&self) -> Path<'static> {
        self.session
            .borrow()
            .as_ref()
            .expect("session opened")
            .path
            .clone()
    }

    /// `CreateItem` in `collection`; `Ok(None)` when the collection is locked.
    fn create_item(
        &self,
        collection: &Path<'static>,
        credential: &Credential,
    ) -> Result<Option<Path<'static>>, Error> {
        const WHAT: &str = "store the credential";
        let session = self.session.borrow();
        let session = session.as_ref().expect("session opened");
        let plain = credential.secret.expose().as_bytes();
        let (parameters, value) = match &session.key {
            Some(key) => {
                let (iv, cipher) = key.encrypt(plain).map_err(|e| failed(WHAT, e))?;
                (iv, zeroize::Zeroizing::new(cipher))
            }
            None => (Vec::new(), zeroize::Zeroizing::new(plain.to_vec())),
        };
        let mut attributes: HashMap<&str, &str> = HashMap::new();
        attributes.insert("xdg:schema", SCHEMA);
        attributes.insert("label", LABEL_ATTRIBUTE);
        attributes.insert("server", &credential.server_url);
        attributes.insert("username", &credential.username);
        attributes.insert("docker_cli", "1");
        let attributes: HashMap<String, String> = attributes
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let mut properties: HashMap<&str, Variant<Box<dyn RefArg>>> = HashMap::new();
        properties.insert(
            "org.freedesktop.Secret.Item.Label",
            Variant(Box::new(credential.server_url.clone())),
        );
        properties.insert(
            "org.freedesktop.Secret.Item.Attributes",
            Variant(Box::new(attributes)),
        );
        let secret = (
            session.path.clone(),
            parameters.as_slice(),
            value.as_slice(),
            CONTENT_TYPE,
        );
        let msg =
            bus::call(collection, IFACE_COLLECTION, "CreateItem").append3(properties, secret, true);
        drop(value);
        let reply = match self.bus.call(msg, WHAT)? {
            Ok(m) => m,
            Err(e) if e.is(ERR_IS_LOCKED) => return Ok(None),
            Err(e) => return Err(e.into_error(WHAT)),
        };
        let (item, prompt_path): (Path<'static>, Path<'static>) =
            reply.read2().map_err(|e| prompt::bad_reply(WHAT, e))?;
        if &*prompt_path == "/" {
            return Ok(Some(item));
        }
        match prompt::run(&self.bus, &self.settings, &prompt_path)? {
            Some(result) => match result.0.as_str() {
                Some(p) => Ok(Some(Path::new(p.to_owned()).map_err(|e| {
                    Error::Failed {
                        service: bus::WHO,
                        what: WHAT.into(),
                        message: format!("unexpected prompt result ({e})"),
                    }
                })?)),
                None => Err(Error::Failed {
                    service: bus::WHO,
                    what: WHAT.into(),
                    message: "the prompt did not say which item it created".into(),
                }),
            },
            None => Err(Error::Locked),
        }
    }

    /// Search `candidates` pipelined; the credential of the first one with items.
    fn search_batch(&self, candidates: &[String]) -> Result<Option<Credential>, Error> {
        if candidates.is_empty() {
            return Ok(None);
        }
        let msgs = candidates
            .iter()
            .map(|c| Self::search_msg(Some(c)))
            .collect();
        let replies = self.bus.call_all(msgs, "search the keyring")?;
        for (candidate, reply) in candidates.iter().zip(replies) {
            let (unlocked, locked) = Self::read_search(reply)?;
            if unlocked.is_empty() && locked.is_empty() {
                continue;
            }
            if let Some(found) = self.read_found(candidate, unlocked, locked)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// The credential behind the items a search for `server_url` found: unlock what is
    /// locked, then read the newest item's secret (the session is opened here, with the first
    /// read). `None` when they all vanished meanwhile.
    fn read_found(
        &self,
        server_url: &str,
        unlocked: Vec<Path<'static>>,
        locked: Vec<Path<'static>>,
    ) -> Result<Option<Credential>, Error> {
        self.unlock(locked.clone())?;
        let mut paths = unlocked;
        paths.extend(locked);
        const WHAT: &str = "read the credential";
        // The item's attributes travel with the session's opening; several items (left by
        // Docker's helper): the newest answers.
        let (path, attributes) = if paths.len() == 1 {
            let get =
                bus::call(&paths[0], IFACE_PROPERTIES, "Get").append2(IFACE_ITEM, "Attributes");
            let reply = self.call_with_session(vec![get], WHAT)?.remove(0);
            let attributes: HashMap<String, String> = match reply {
                Ok(m) => {
                    m.read1::<Variant<HashMap<String, String>>>()
                        .map_err(|e| prompt::bad_reply(WHAT, e))?
                        .0
                }
                Err(e) if vanished(&e) => return Ok(None),
                Err(e) => return Err(e.into_error(WHAT)),
            };
            (paths.remove(0), attributes)
        } else {
            let msgs = paths
                .iter()
                .map(|p| bus::call(p, IFACE_PROPERTIES, "GetAll").append1(IFACE_ITEM))
                .collect();
            let replies = self.call_with_session(msgs, WHAT)?;
            let mut infos = Vec::new();
            for (path, reply) in paths.iter().zip(replies) {
                match reply {
                    Ok(m) => infos.push(item_info(path.clone(), &m)?),
                    Err(e) if vanished(&e) => continue,
                    Err(e) => return Err(e.into_error(WHAT)),
                }
            }
            // Newest first; an item with an empty secret yields to an older one with a secret:
            // gnome-keyring killed inside CreateItem leaves the new item on disk without its
            // secret, next to the previous credential (tests/faults.rs).
            infos.sort_by(|a, b| b.recency().cmp(&a.recency()));
            let session = self.session_path();
            let msgs = infos
                .iter()
                .map(|i| bus::call(&i.path, IFACE_ITEM, "GetSecret").append1(session.clone()))
                .collect();
            let replies = self.bus.call_all(msgs, WHAT)?;
            let mut chosen: Option<(ItemInfo, Secret)> = None;
            for (info, reply) in infos.into_iter().zip(replies) {
                let Some(secret) = self.read_secret(reply)? else {
                    continue;
                };
                let empty = secret.expose().is_empty();
                if chosen
                    .as_ref()
                    .is_none_or(|(_, s)| s.expose().is_empty() && !empty)
                {
                    chosen = Some((info, secret));
                }
                if !empty {
                    break;
                }
            }
            let Some((info, secret)) = chosen else {
                return Ok(None);
            };
            let mut attributes = info.attributes;
            return Ok(Some(Credential {
                server_url: attributes
                    .remove("server")
                    .unwrap_or_else(|| server_url.to_owned()),
                username: attributes.remove("username").unwrap_or_default(),
                secret,
            }));
        };
        let get_secret = bus::call(&path, IFACE_ITEM, "GetSecret").append1(self.session_path());
        let secret = self.bus.call(get_secret, WHAT)?;
        let Some(secret) = self.read_secret(secret)? else {
            return Ok(None);
        };
        let mut attributes = attributes;
        Ok(Some(Credential {
            server_url: attributes
                .remove("server")
                .unwrap_or_else(|| server_url.to_owned()),
            username: attributes.remove("username").unwrap_or_default(),
            secret,
        }))
    }

    /// Delete `items`, pipelined; how many were deleted by us.
    fn delete(&self, items: &[Path<'static>]) -> Result<usize, Error> {
        const WHAT: &str = "delete a credential";
        let msgs = items
            .iter()
            .map(|p| bus::call(p, IFACE_ITEM, "Delete"))
            .collect();
        let replies = self.bus.call_all(msgs, WHAT)?;
        let mut deleted = 0;
        for reply in replies {
            match reply {
                Ok(m) => {
                    let prompt_path: Path<'static> =
                        m.read1().map_err(|e| prompt::bad_reply(WHAT, e))?;
                    if &*prompt_path == "/"
                        || prompt::run(&self.bus, &self.settings, &prompt_path)?.is_some()
                    {
                        deleted += 1;
                    } else {
                        return Err(Error::Locked);
                    }
                }
                Err(e) if vanished(&e) => {}
                Err(e) if e.is(ERR_IS_LOCKED) => return Err(Error::Locked),
                Err(e) => return Err(e.into_error(WHAT)),
            }
        }
        Ok(deleted)
    }
}

impl Backend for SecretService {
    fn kind(&self) -> crate::backend::Kind {
        crate::backend::Kind::SecretService
    }

    fn list(&self) -> Result<Vec<Listed>, Error> {
        let search = self
            .bus
            .call(Self::search_msg(None), "search the keyring")?;
        let (unlocked, locked) = Self::read_search(search)?;
        let locked: HashSet<Path<'static>> = locked.into_iter().collect();
        let mut paths = unlocked;
        paths.extend(locked.iter().cloned());
        let mut items = self.item_attributes(&paths)?;
        // A keyring locked since it was loaded shows only hashed attributes: unlock those
        // items (prompting if possible), then read them again.
        let unreadable: Vec<Path<'static>> = items
            .iter()
            .filter(|(path, attrs)| locked.contains(path) && !attrs.contains_key("server"))
            .map(|(path, _)| path.clone())
            .collect();
        if !unreadable.is_empty() {
            self.unlock(unreadable.clone())?;
            let again: HashSet<&Path<'static>> = unreadable.iter().collect();
            items.retain(|(path, _)| !again.contains(path));
            items.extend(self.item_attributes(&unreadable)?);
        }
        let mut by_server: HashMap<String, Vec<Attributed>> = HashMap::new();
        for (path, attrs) in items {
            if let Some(server) = attrs.get("server").cloned() {
                by_server.entry(server).or_default().push((path, attrs));
            }
        }
        // Servers with several items (left by Docker's helper): the newest answers, as in get.
        let duplicates: Vec<Path<'static>> = by_server
            .values()
            .filter(|v| v.len() > 1)
            .flat_map(|v| v.iter().map(|(p, _)| p.clone()))
            .collect();
        let mut newest: HashMap<String, ItemInfo> = HashMap::new();
        for info in self.item_infos(&duplicates)? {
            let Some(server) = info.attributes.get("server").cloned() else {
                continue;
            };
            match newest.get(&server) {
                Some(have) if have.recency() >= info.recency() => {}
                _ => {
                    newest.insert(server, info);
                }
            }
        }
        let mut listed: Vec<Listed> = by_server
            .into_iter()
            .filter_map(|(server_url, mut candidates)| {
                let pick = match newest.get(&server_url) {
                    Some(info) => candidates.iter().position(|(p, _)| *p == info.path)?,
                    None => 0,
                };
                let (_, mut attrs) = candidates.swap_remove(pick);
                Some(Listed {
                    server_url,
                    username: attrs.remove("username").unwrap_or_default(),
                })
            })
            .collect();
        listed.sort();
        Ok(listed)
    }

    fn get(&self, server_url: &str) -> Result<Option<Credential>, Error> {
        self.search_in_order(&[server_url.to_owned()])
    }

    fn find(&self, query: &str) -> Result<Option<Credential>, Error> {
        // The service can only match attributes exactly: every spelling the rules can match.
        self.search_in_order(&crate::registry::candidates(query))
    }

    fn store(&self, credential: &Credential) -> Result<(), Error> {
        let alias = bus::call(SERVICE_PATH, IFACE_SERVICE, "ReadAlias").append1("default");
        let search = Self::search_msg(Some(&credential.server_url));
        let mut replies =
            self.call_with_session(vec![alias, search], "find the default keyring")?;
        let (unlocked, locked) = Self::read_search(replies.pop().expect("two replies"))?;
        let collection: Path<'static> = replies
            .pop()
            .expect("two replies")
            .map_err(|e| e.into_error("find the default keyring"))?
            .read1()
            .map_err(|e| prompt::bad_reply("find the default keyring", e))?;
        if &*collection == "/" {
            return Err(Error::NoDefaultCollection);
        }
        let mut existing = unlocked;
        if !locked.is_empty() {
            // The old items must go too: unlock them with the collection, in one prompt.
            let mut objects = vec![collection.clone()];
            objects.extend(locked.iter().cloned());
            self.unlock(objects)?;
            existing.extend(locked);
        }
        let item = match self.create_item(&collection, credential)? {
            Some(item) => item,
            None => {
                self.unlock(vec![collection.clone()])?;
                self.create_item(&collection, credential)?
                    .ok_or(Error::Locked)?
            }
        };
        let others: Vec<Path<'static>> = existing.into_iter().filter(|p| *p != item).collect();
        if !others.is_empty() {
            self.delete(&others)?;
        }
        Ok(())
    }

    fn erase(&self, server_url: &str) -> Result<bool, Error> {
        let search = self
            .bus
            .call(Self::search_msg(Some(server_url)), "search the keyring")?;
        let (unlocked, locked) = Self::read_search(search)?;
        if unlocked.is_empty() && locked.is_empty() {
            return Ok(false);
        }
        self.unlock(locked.clone())?;
        let mut paths = unlocked;
        paths.extend(locked);
        Ok(self.delete(&paths)? > 0)
    }
}

/// An item that is gone (deleted by someone else between our search and our call).
///
/// gnome-keyring answers a call on a just-deleted item with `UnknownMethod` ("No such
/// interface org.freedesktop.DBus.Properties on object at path …"): the object exports nothing
/// any more. We only call items that a search returned, so that answer means "gone".
fn vanished(e: &bus::ReplyError) -> bool {
    e.is(ERR_NO_SUCH_OBJECT)
        || e.is(ERR_UNKNOWN_OBJECT)
        || e.is(ERR_UNKNOWN_METHOD)
        || e.is(ERR_UNKNOWN_INTERFACE)
}

fn failed(what: &str, e: dh::DhError) -> Error {
    Error::Failed {
        service: bus::WHO,
        what: what.to_owned(),
        message: e.to_string(),
    }
}

/// An item's `GetAll` reply.
fn item_info(path: Path<'static>, reply: &Message) -> Result<ItemInfo, Error> {
    let props: HashMap<String, Variant<Box<dyn RefArg>>> = reply
        .read1()
        .map_err(|e| prompt::bad_reply("read item attributes", e))?;
    let mut attributes = HashMap::new();
    if let Some(Variant(v)) = props.get("Attributes")
        && let Some(mut it) = v.as_iter()
    {
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
                attributes.insert(k.to_owned(), v.to_owned());
            }
        }
    }
    let number = |name: &str| props.get(name).and_then(|v| v.0.as_u64()).unwrap_or(0);
    Ok(ItemInfo {
        path,
        attributes,
        created: number("Created"),
        modified: number("Modified"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_and_refuse_nonsense() {
        let ok = |v| parse_seconds(TIMEOUT_ENV, v).unwrap();
        assert_eq!(ok("5"), Duration::from_secs(5));
        assert_eq!(ok(" 0.5 "), Duration::from_millis(500));
        for bad in ["0", "-1", "NaN", "inf", "abc", "", "86401"] {
            let e = parse_seconds(TIMEOUT_ENV, bad).unwrap_err();
            assert!(
                e.to_string().starts_with(&format!(
                    "invalid DOCKER_CREDENTIAL_KEYRING_TIMEOUT={bad:?}"
                )),
                "{e}"
            );
        }
    }

    #[test]
    fn newest_item_wins_ties_by_path_number() {
        let info = |path: &str, modified, created| ItemInfo {
            path: Path::new(path.to_owned()).unwrap(),
            attributes: HashMap::new(),
            created,
            modified,
        };
        let a = info("/org/freedesktop/secrets/collection/login/9", 10, 5);
        let b = info("/org/freedesktop/secrets/collection/login/10", 10, 5);
        let c = info("/org/freedesktop/secrets/collection/login/2", 11, 1);
        assert!(b.recency() > a.recency());
        assert!(c.recency() > b.recency());
        assert!(info("/x/1", 10, 6).recency() > a.recency());
    }
}
