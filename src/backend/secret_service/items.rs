//! Items in Docker's schema (plus our `registry` attribute): the searches that find them and
//! the reads of their attributes.

use super::Error;
use super::errors::vanished;
use super::{
    IFACE_ITEM, IFACE_PROPERTIES, IFACE_SERVICE, SERVICE_PATH, SecretService, bus, prompt,
};
use crate::backend::Credential;
use crate::registry;
use bus::Reply;
use dbus::Message;
use dbus::Path;
use dbus::arg::{RefArg, Variant};
use std::collections::{HashMap, HashSet};

/// Docker's schema (docker-credential-helpers, secretservice_linux.c).
pub(super) const SCHEMA: &str = "io.docker.Credentials";
pub(super) const LABEL_ATTRIBUTE: &str = "Docker Credentials";
/// libsecret's content type for passwords, as Docker's helper stores them.
pub(super) const CONTENT_TYPE: &str = "text/plain";
/// Our one attribute beside Docker's: the item's [`registry::registry_key`], so that one search
/// finds every spelling of a registry among the items we wrote.
pub(super) const REGISTRY_ATTRIBUTE: &str = "registry";

/// An item and its attributes.
pub(super) type Attributed = (Path<'static>, HashMap<String, String>);

/// What we read of one item.
pub(super) struct ItemInfo {
    pub(super) path: Path<'static>,
    pub(super) attributes: HashMap<String, String>,
    pub(super) created: u64,
    pub(super) modified: u64,
}

impl ItemInfo {
    /// Newest first: most recently modified, then created, then the highest object path
    /// (gnome-keyring numbers items in creation order).
    pub(super) fn recency(&self) -> (u64, u64, usize, &str) {
        (self.modified, self.created, self.path.len(), &self.path)
    }
}

impl SecretService {
    /// `SearchItems` for Docker items with `server` (or all Docker items): (unlocked, locked).
    ///
    /// The search leaves out `xdg:schema`: gnome-keyring reports the schema of items in a
    /// keyring that is locked since it was loaded as `org.freedesktop.Secret.Generic`, so a
    /// search on it would miss them and turn "locked" into a false "not found". `docker_cli=1`
    /// is Docker's own marker (its helper's `list` searches on it alone).
    pub(super) fn search_msg(server: Option<&str>) -> Message {
        let mut attrs: HashMap<&str, &str> = HashMap::new();
        attrs.insert("docker_cli", "1");
        if let Some(server) = server {
            attrs.insert("server", server);
        }
        bus::call(SERVICE_PATH, IFACE_SERVICE, "SearchItems").append1(attrs)
    }

    /// `SearchItems` for the items we wrote for the registry `key` (every spelling).
    pub(super) fn registry_search_msg(key: &str) -> Message {
        let mut attrs: HashMap<&str, &str> = HashMap::new();
        attrs.insert("docker_cli", "1");
        attrs.insert(REGISTRY_ATTRIBUTE, key);
        bus::call(SERVICE_PATH, IFACE_SERVICE, "SearchItems").append1(attrs)
    }

    pub(super) fn read_search(
        reply: Reply,
    ) -> Result<(Vec<Path<'static>>, Vec<Path<'static>>), Error> {
        const WHAT: &str = "search the keyring";
        reply
            .map_err(|e| e.into_error(WHAT))?
            .read2()
            .map_err(|e| prompt::bad_reply(WHAT, e))
    }

    /// The attributes and times of `paths` (`GetAll`), pipelined. Items that vanished in the
    /// meantime are left out.
    pub(super) fn item_infos(&self, paths: &[Path<'static>]) -> Result<Vec<ItemInfo>, Error> {
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
    pub(super) fn item_attributes(
        &self,
        paths: &[Path<'static>],
    ) -> Result<Vec<Attributed>, Error> {
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

    /// The `Attributes` of `paths`, of which `locked` are locked: an item of a keyring locked
    /// since the service loaded it shows only hashed attributes (no `server`), so those are
    /// unlocked (prompting if possible) and read again.
    pub(super) fn readable_attributes(
        &self,
        paths: &[Path<'static>],
        locked: &HashSet<Path<'static>>,
    ) -> Result<Vec<Attributed>, Error> {
        let mut items = self.item_attributes(paths)?;
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
        Ok(items)
    }
}

/// The attributes of a new item for `credential`: Docker's, and our registry key.
pub(super) fn new_item_attributes(credential: &Credential) -> HashMap<String, String> {
    let mut attributes: HashMap<String, String> = [
        ("xdg:schema", SCHEMA),
        ("label", LABEL_ATTRIBUTE),
        ("server", &credential.server_url),
        ("username", &credential.username),
        ("docker_cli", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    if let Some(key) = registry::registry_key(&credential.server_url) {
        attributes.insert(REGISTRY_ATTRIBUTE.to_owned(), key);
    }
    attributes
}

/// An item's `GetAll` reply.
pub(super) fn item_info(path: Path<'static>, reply: &Message) -> Result<ItemInfo, Error> {
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
