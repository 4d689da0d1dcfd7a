//! `get`: a search for the exact string, then (on a miss) one batch for the registry's other
//! spellings; the session is opened only when a secret is about to be read.

use super::Error;
use super::errors::vanished;
use super::items::{ItemInfo, item_info};
use super::{IFACE_ITEM, IFACE_PROPERTIES, SecretService, bus, prompt};
use crate::backend::Credential;
use crate::registry;
use crate::secret::Secret;
use dbus::Path;
use dbus::arg::Variant;
use std::collections::{HashMap, HashSet};

impl SecretService {
    /// The credential that answers `query`: the exact string, else the registry's other
    /// spellings ([`Self::search_registry`]).
    pub(super) fn find_registry(&self, query: &str) -> Result<Option<Credential>, Error> {
        // Search first: docker asks for registries we hold nothing for (every anonymous pull),
        // and those answers need no transfer session (the service's Diffie-Hellman costs more
        // than a round trip). The exact string alone first (what docker stored is what docker
        // asks for, so a hit is one search), then the registry's other spellings.
        match self.search_batch(&[query.to_owned()])? {
            Some(found) => Ok(Some(found)),
            None => self.search_registry(query),
        }
    }

    /// After a miss on the exact string: one pipelined batch of a search for every item we wrote
    /// for the query's registry (whatever its spelling) and a search for each spelling other
    /// writers store ([`registry::writer_spellings`]); [`registry::resolve`] picks among what
    /// they found. Only the items the registry search alone found are read (their `server`),
    /// without a session; the session is opened with the chosen item's read.
    pub(super) fn search_registry(&self, query: &str) -> Result<Option<Credential>, Error> {
        let Some(key) = registry::registry_key(query) else {
            return Ok(None);
        };
        let spellings: Vec<String> = registry::writer_spellings(query)
            .into_iter()
            .filter(|s| s != query)
            .collect();
        let mut msgs = vec![Self::registry_search_msg(&key)];
        msgs.extend(spellings.iter().map(|s| Self::search_msg(Some(s))));
        let mut replies = self.bus.call_all(msgs, "search the keyring")?.into_iter();
        let (ours, ours_locked) = Self::read_search(replies.next().expect("one reply each"))?;
        let mut server_of: HashMap<Path<'static>, String> = HashMap::new();
        let mut locked: HashSet<Path<'static>> = ours_locked.iter().cloned().collect();
        for (spelling, reply) in spellings.iter().zip(replies) {
            let (unlocked, locked_here) = Self::read_search(reply)?;
            for path in unlocked.into_iter().chain(locked_here.iter().cloned()) {
                server_of.insert(path, spelling.clone());
            }
            locked.extend(locked_here);
        }
        let unknown: Vec<Path<'static>> = ours
            .into_iter()
            .chain(ours_locked)
            .filter(|p| !server_of.contains_key(p))
            .collect();
        if !unknown.is_empty() {
            for (path, mut attrs) in self.readable_attributes(&unknown, &locked)? {
                if let Some(server) = attrs.remove("server") {
                    server_of.insert(path, server);
                }
            }
        }
        let Some(chosen) = registry::resolve(query, server_of.values().map(String::as_str)) else {
            return Ok(None);
        };
        let chosen = chosen.to_owned();
        let (locked_items, unlocked_items): (Vec<Path<'static>>, Vec<Path<'static>>) = server_of
            .into_iter()
            .filter(|(_, server)| *server == chosen)
            .map(|(path, _)| path)
            .partition(|p| locked.contains(p));
        self.read_found(&chosen, unlocked_items, locked_items)
    }

    /// Search `candidates` pipelined; the credential of the first one with items.
    pub(super) fn search_batch(&self, candidates: &[String]) -> Result<Option<Credential>, Error> {
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
    pub(super) fn read_found(
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
            // secret, next to the previous credential (tests/it/faults.rs).
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
}
