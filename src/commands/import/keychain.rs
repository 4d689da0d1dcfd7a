//! Writing into the keychain: what it already holds sorted out first, every write read back.

use super::{Error, Plain};
use crate::backend::Backend;

/// Store every entry through one backend instance, then read each back through a fresh one
/// (so what is checked is what was persisted, not a cache of the writer). Stops at the first
/// failure.
pub fn store_verified(
    open: &dyn Fn() -> Result<Box<dyn Backend>, Error>,
    entries: &[Plain],
) -> Result<&'static str, Error> {
    let writer = open()?;
    for p in entries {
        writer
            .store(&p.credential())
            .map_err(|source| Error::Store {
                registry: p.server.clone(),
                source,
            })?;
    }
    let reader = open()?;
    for p in entries {
        let reason = match reader.get(&p.server) {
            Ok(Some(c)) if c.username == p.username && c.secret == p.secret => continue,
            Ok(Some(_)) => "the keychain returned a different credential".to_owned(),
            Ok(None) => "the keychain does not have it".to_owned(),
            Err(e) => e.to_string(),
        };
        return Err(Error::Verify {
            registry: p.server.clone(),
            reason,
        });
    }
    Ok(writer.name())
}

/// The entries to store, and the ones the keychain already holds under exactly their server
/// string: the same credential (nothing to store, safe to strip), or a different one (left
/// alone unless `overwrite`: the file's copy might be the stale one).
#[derive(Debug, Default)]
pub struct Sorted {
    pub to_store: Vec<Plain>,
    pub already: Vec<Plain>,
    pub conflicts: Vec<(Plain, String)>,
}

/// Sort `entries` against what the keychain holds.
pub fn sort_against_keychain(
    backend: &dyn Backend,
    entries: Vec<Plain>,
    overwrite: bool,
) -> Result<Sorted, Error> {
    let mut sorted = Sorted::default();
    for p in entries {
        match backend.get(&p.server) {
            Ok(None) => sorted.to_store.push(p),
            Ok(Some(c)) if c.username == p.username && c.secret == p.secret => {
                sorted.already.push(p)
            }
            Ok(Some(_)) if overwrite => sorted.to_store.push(p),
            Ok(Some(c)) => sorted.conflicts.push((p, c.username)),
            Err(source) => {
                return Err(Error::Read {
                    registry: p.server.clone(),
                    source,
                });
            }
        }
    }
    Ok(sorted)
}
