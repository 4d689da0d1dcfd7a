//! The saved pushes: `saved-pushes.json` beside our config.json. Every read-modify-write holds
//! an exclusive lock (`saved-pushes.lock`, a private file in that directory), so a `sync` run
//! by the timer and one started by `store` never lose each other's results; the file is
//! replaced whole (crate::fs::replace), so a reader sees the old or the new one.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The file's name, in our config directory.
pub const FILE_NAME: &str = "saved-pushes.json";
pub const LOCK_NAME: &str = "saved-pushes.lock";
/// Waiting longer for another of our processes means something is stuck: say so.
const LOCK_DEADLINE: Duration = Duration::from_secs(10);

/// The file's contents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedPushes {
    /// The next id handed out: ids are never reused, so a forgotten id cannot come back
    /// meaning another push.
    #[serde(default = "one")]
    pub next_id: u64,
    #[serde(default)]
    pub pushes: Vec<SavedPush>,
}

fn one() -> u64 {
    1
}

/// One saved `push`: what it reads, where it writes, and how its last run went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedPush {
    pub id: u64,
    /// Where the credentials come from (`keychain`, `docker`, `helper:NAME`).
    pub source: crate::source::Source,
    #[serde(default)]
    pub registries: Vec<String>,
    #[serde(default)]
    pub all: bool,
    /// The contexts, named at save time (the current context then, when none was given), so
    /// switching kubectl's context never redirects a saved push to another cluster.
    #[serde(default)]
    pub contexts: Vec<String>,
    /// Empty: each context's own namespace at run time (or the rule's).
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// `-A`: the rule is kept, and its namespaces listed at every run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_namespaces: bool,
    /// `--namespace-selector`, kept as a rule like `-A`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<String>,
    /// Namespaces taken out of the rule by `push --delete` there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_namespaces: Vec<String>,
    pub name: String,
    #[serde(default)]
    pub service_accounts: Vec<String>,
    /// `--kubeconfig`, absolute, when one was given (the files read are in `pinned`).
    #[serde(default)]
    pub kubeconfig: Option<PathBuf>,
    /// Where it was aimed when saved: files, servers, CAs, namespaces. None: saved by a
    /// version that did not pin, and refused by `sync` until saved again.
    #[serde(default)]
    pub pinned: Option<crate::push::kubeconfig::Pinned>,
    /// `--backend`, when one was given.
    #[serde(default)]
    pub backend: Option<String>,
    #[serde(default)]
    pub create_namespace: bool,
    #[serde(default)]
    pub insecure: bool,
    #[serde(default = "thirty")]
    pub request_timeout: u64,
    /// When it last ran (epoch seconds).
    #[serde(default)]
    pub last_run: Option<u64>,
    /// Each target's line from that run.
    #[serde(default)]
    pub last_results: Vec<String>,
    /// Why that run did nothing at all, when it did nothing.
    #[serde(default)]
    pub last_error: Option<String>,
    /// When the earliest of its credentials expires, as of the last run (epoch seconds).
    #[serde(default)]
    pub expires: Option<u64>,
}

fn thirty() -> u64 {
    30
}

impl SavedPush {
    /// Whether `other` writes the same Secrets (same kubeconfig, contexts, namespaces and
    /// name): then it is the same saved push, whatever it reads.
    pub fn same_targets(&self, other: &SavedPush) -> bool {
        self.kubeconfig == other.kubeconfig
            && self.contexts == other.contexts
            && self.namespaces == other.namespaces
            && self.all_namespaces == other.all_namespaces
            && self.namespace_selector == other.namespace_selector
            && self.name == other.name
    }

    /// `keychain registry.example.com -> regcred in context dev, namespace team`, one line.
    pub fn describe(&self) -> String {
        let what = if self.all {
            "--all".to_owned()
        } else {
            self.registries.join(" ")
        };
        let plural = |n: usize, word: &str| {
            if n == 1 {
                word.to_owned()
            } else {
                format!("{word}s")
            }
        };
        let contexts = if self.contexts.is_empty() {
            "the current context (in-cluster)".to_owned()
        } else {
            format!(
                "{} {}",
                plural(self.contexts.len(), "context"),
                self.contexts.join(",")
            )
        };
        let namespaces = if let Some(s) = &self.namespace_selector {
            format!("namespaces matching {s}")
        } else if self.all_namespaces {
            "all namespaces".to_owned()
        } else if self.namespaces.is_empty() {
            "its namespace".to_owned()
        } else {
            format!(
                "{} {}",
                plural(self.namespaces.len(), "namespace"),
                self.namespaces.join(",")
            )
        };
        let mut s = format!(
            "{} {what} -> {} in {contexts}, {namespaces}",
            self.source, self.name
        );
        if !self.excluded_namespaces.is_empty() {
            s.push_str(&format!(" (except {})", self.excluded_namespaces.join(",")));
        }
        if !self.service_accounts.is_empty() {
            s.push_str(&format!(
                " (service accounts: {})",
                self.service_accounts.join(",")
            ));
        }
        if let Some(k) = &self.kubeconfig {
            s.push_str(&format!(" (kubeconfig {})", k.display()));
        }
        s
    }

    /// Where it is pinned, one line per context and one for the files (no secrets: servers,
    /// CA fingerprints, namespaces, paths).
    pub fn describe_pins(&self) -> Vec<String> {
        let Some(pinned) = &self.pinned else {
            return vec![format!(
                "not pinned (saved by an older version): sync refuses it until its push is run again with --save (or `sync --forget {}`)",
                self.id
            )];
        };
        let mut lines: Vec<String> = pinned
            .contexts
            .iter()
            .map(|p| {
                let namespaces = if p.namespaces.is_empty() {
                    "namespaces listed at each run".to_owned()
                } else {
                    format!("namespace {}", p.namespaces.join(","))
                };
                format!(
                    "pinned: context {} -> {} ({}), {namespaces}",
                    p.context,
                    crate::push::kubeconfig::show_server(&p.server),
                    crate::push::kubeconfig::short_ca(&p.ca),
                )
            })
            .collect();
        if pinned.kubeconfig.is_empty() {
            lines.push("pinned kubeconfig: none (in-cluster)".to_owned());
        } else {
            let files: Vec<String> = pinned
                .kubeconfig
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            lines.push(format!("pinned kubeconfig: {}", files.join(", ")));
        }
        lines
    }
}

/// The saved pushes could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no config directory (no home directory): saved pushes need one")]
    NoDirectory,
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid ({reason}): fix it, or delete it to forget every saved push")]
    Parse { path: PathBuf, reason: String },
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error("cannot lock {path}: {reason}")]
    Lock { path: PathBuf, reason: String },
    /// The directory or the file could have been changed by someone else: not read.
    #[error("{0}: make it yours and private (chmod 700 the directory, chmod 600 the files)")]
    Unsafe(crate::fs::CheckError),
}

impl crate::hint::Hint for Error {}

/// The saved pushes' file in the directory of our config file.
pub struct Store {
    dir: PathBuf,
    /// Our config file's name in `dir`.
    config_name: String,
}

/// The file, held locked until dropped.
pub struct Locked {
    _lock: std::fs::File,
    path: PathBuf,
    pub data: SavedPushes,
}

impl Store {
    /// The store beside `config_path` (our config.json).
    pub fn beside(config_path: Option<&Path>) -> Result<Store, Error> {
        let config = config_path.ok_or(Error::NoDirectory)?;
        Ok(Store {
            dir: crate::fs::parent_dir(config),
            config_name: config
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        })
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// Read without locking (a reader sees a whole file either way).
    pub fn read(&self) -> Result<SavedPushes, Error> {
        self.check()?;
        read(&self.path())
    }

    /// Our config directory, config.json and saved-pushes.json must be ours and writable by
    /// nobody else: what they say decides where credentials go.
    pub fn check(&self) -> Result<(), Error> {
        for name in [self.config_name.as_str(), FILE_NAME]
            .into_iter()
            .filter(|n| !n.is_empty())
        {
            crate::fs::check_private(&self.dir, name).map_err(Error::Unsafe)?;
        }
        Ok(())
    }

    /// Take the lock and read.
    pub fn lock(&self) -> Result<Locked, Error> {
        let lock_path = self.dir.join(LOCK_NAME);
        let failed = |reason: String| Error::Lock {
            path: lock_path.clone(),
            reason,
        };
        self.check()?;
        let file =
            crate::fs::open_private(&self.dir, LOCK_NAME).map_err(|e| failed(e.to_string()))?;
        crate::fs::lock_exclusive(&file, LOCK_DEADLINE).map_err(|e| failed(e.to_string()))?;
        let path = self.path();
        let data = read(&path)?;
        Ok(Locked {
            _lock: file,
            path,
            data,
        })
    }
}

impl Locked {
    /// Write the data back (0600: it names clusters and registries, not secrets).
    pub fn write(&self) -> Result<(), Error> {
        let mut text = serde_json::to_string_pretty(&self.data).expect("plain data serializes");
        text.push('\n');
        crate::fs::replace(&self.path, text.as_bytes(), 0o600, None).map_err(|e| Error::Write {
            path: self.path.clone(),
            reason: e.to_string(),
        })
    }
}

fn read(path: &Path) -> Result<SavedPushes, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(SavedPushes {
                next_id: 1,
                pushes: Vec::new(),
            });
        }
        Err(source) => {
            return Err(Error::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    serde_json::from_str(&text).map_err(|e| Error::Parse {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_ids_are_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::beside(Some(&dir.path().join("config.json"))).unwrap();
        assert!(store.read().unwrap().pushes.is_empty());
        let mut l = store.lock().unwrap();
        l.data.pushes.push(SavedPush {
            id: l.data.next_id,
            source: crate::source::Source::Keychain,
            name: "regcred".into(),
            ..SavedPush::default()
        });
        l.data.next_id += 1;
        l.write().unwrap();
        drop(l);
        let read = store.read().unwrap();
        assert_eq!((read.next_id, read.pushes.len()), (2, 1));
        std::fs::write(store.path(), "{\"pushs\":[]}").unwrap();
        assert!(matches!(store.read(), Err(Error::Parse { .. })));
    }
}
