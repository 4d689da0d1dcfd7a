//! `store` (one `CreateItem`, then the older items for that server deleted) and `erase`.

use super::Error;
use super::errors::{ERR_IS_LOCKED, failed, vanished};
use super::items::{CONTENT_TYPE, new_item_attributes};
use super::{
    IFACE_COLLECTION, IFACE_ITEM, IFACE_SERVICE, SERVICE_PATH, SecretService, bus, prompt,
};
use crate::backend::Credential;
use dbus::Path;
use dbus::arg::{RefArg, Variant};
use std::collections::HashMap;

impl SecretService {
    /// `Backend::store`: the default collection and the server's old items in one batch (with
    /// the session), one `CreateItem`, then the old items deleted.
    pub(super) fn store_credential(&self, credential: &Credential) -> Result<(), Error> {
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

    /// `Backend::erase`: every item for exactly `server_url`.
    pub(super) fn erase_server(&self, server_url: &str) -> Result<bool, Error> {
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

    /// `CreateItem` in `collection`; `Ok(None)` when the collection is locked.
    pub(super) fn create_item(
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
        let attributes = new_item_attributes(credential);
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

    /// Delete `items`, pipelined; how many were deleted by us.
    pub(super) fn delete(&self, items: &[Path<'static>]) -> Result<usize, Error> {
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
