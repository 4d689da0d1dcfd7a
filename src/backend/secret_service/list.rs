//! `list`: one search, then the attributes of every item in one batch; no session, no secret.

use super::Error;
use super::SecretService;
use super::items::{Attributed, ItemInfo};
use crate::backend::Listed;
use dbus::Path;
use std::collections::{HashMap, HashSet};

impl SecretService {
    /// `Backend::list`: one server per entry, the newest item where Docker's helper left several.
    pub(super) fn list_items(&self) -> Result<Vec<Listed>, Error> {
        let search = self
            .bus
            .call(Self::search_msg(None), "search the keyring")?;
        let (unlocked, locked) = Self::read_search(search)?;
        let locked: HashSet<Path<'static>> = locked.into_iter().collect();
        let mut paths = unlocked;
        paths.extend(locked.iter().cloned());
        let items = self.readable_attributes(&paths, &locked)?;
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
}
