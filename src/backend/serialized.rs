//! [`Serialized`]: a backend whose `store` and `erase` run one at a time per user, under the
//! store lock ([`crate::store_lock`]); `get` and `list` never wait.

use super::{Backend, Credential, Error, Listed};
use std::path::PathBuf;

/// A backend whose `store` and `erase` hold the store lock.
pub struct Serialized {
    inner: Box<dyn Backend>,
    /// The lock's directory when the settings name one.
    lock_dir: Option<PathBuf>,
}

impl Serialized {
    pub fn new(inner: Box<dyn Backend>, lock_dir: Option<PathBuf>) -> Serialized {
        Serialized { inner, lock_dir }
    }
}

impl Backend for Serialized {
    fn kind(&self) -> super::Kind {
        self.inner.kind()
    }

    fn list(&self) -> Result<Vec<Listed>, Error> {
        self.inner.list()
    }

    fn get(&self, server_url: &str) -> Result<Option<Credential>, Error> {
        self.inner.get(server_url)
    }

    fn find(&self, query: &str) -> Result<Option<Credential>, Error> {
        self.inner.find(query)
    }

    fn store(&self, credential: &Credential) -> Result<(), Error> {
        let _lock = crate::store_lock::acquire(self.lock_dir.as_deref())?;
        self.inner.store(credential)
    }

    fn erase(&self, server_url: &str) -> Result<bool, Error> {
        let _lock = crate::store_lock::acquire(self.lock_dir.as_deref())?;
        self.inner.erase(server_url)
    }
}
