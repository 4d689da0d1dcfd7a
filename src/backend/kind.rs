//! Every backend as a [`Kind`]: its name, what it keeps and for how long, where it exists, how
//! `auto` probes it, and how it opens. `backends`, `doctor`, the man page and error messages
//! read these facts from here.

use super::{Backend, Error, Serialized};
use crate::settings::Settings;
use std::time::Duration;

/// A backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    SecretService,
    Keychain,
    Wincred,
    Pass,
    Keyutils,
    File,
}

/// A name that is no backend's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown backend {name:?}{}: choose one of {}, auto", meant(name), Kind::names().join(", "))]
pub struct UnknownBackend {
    pub name: String,
}

/// `, did you mean "keyutils"?` for a near miss; nothing otherwise.
fn meant(name: &str) -> String {
    let mut names = Kind::names();
    names.push("auto");
    crate::suggest::closest(name, names)
        .map(|m| format!(" (did you mean {m:?}?)"))
        .unwrap_or_default()
}

/// What a backend keeps, for how long, and how to set it up.
pub struct Facts {
    /// Where and how it keeps secrets (`backends`).
    pub keeps: &'static str,
    /// How long they last (`backends`).
    pub lasts: &'static str,
    /// Whether what it keeps survives a reboot. Commands that remove the only other copy of a
    /// credential (`import`, `setup`) refuse a backend that does not, unless told otherwise.
    pub durable: bool,
    /// The command that sets it up.
    pub setup: &'static str,
    /// One sentence for the man page.
    pub summary: &'static str,
}

/// How long a probe waits for the Secret Service to answer before giving up on it, unless
/// DOCKER_CREDENTIAL_KEYRING_TIMEOUT says otherwise. Absent services answer at once (no bus: no
/// connection; no owner: an error reply); only a hung bus or daemon costs this much, and then
/// `auto` fails rather than store elsewhere.
pub const SECRET_SERVICE_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What a probe found.
#[derive(Debug)]
pub enum Found {
    /// Usable, why, and the connection the probe opened (to be reused when it is opened).
    Usable(String, Option<Probed>),
    /// Not there (no bus, not installed, not initialised): `auto` moves on.
    Absent(String),
    /// There but failing (a service that does not answer in time, …): `auto` stops with this
    /// error rather than silently storing somewhere else.
    Broken(Error),
}

/// A connection a probe opened, handed to [`Kind::open_probed`].
#[derive(Debug)]
pub enum Probed {
    SecretService(super::secret_service::Probed),
}

impl Kind {
    /// Every backend, in the order `backends` shows them.
    pub const ALL: [Kind; 6] = [
        Kind::SecretService,
        Kind::Keychain,
        Kind::Wincred,
        Kind::Pass,
        Kind::Keyutils,
        Kind::File,
    ];

    /// The name `--backend` and the config file use.
    pub fn name(self) -> &'static str {
        match self {
            Kind::SecretService => "secret-service",
            Kind::Keychain => "keychain",
            Kind::Wincred => "wincred",
            Kind::Pass => "pass",
            Kind::Keyutils => "keyutils",
            Kind::File => "file",
        }
    }

    /// Every name, in [`Kind::ALL`] order.
    pub fn names() -> Vec<&'static str> {
        Kind::ALL.iter().map(|k| k.name()).collect()
    }

    /// The backend called `name` (`auto` is not one: see [`super::select::Choice`]).
    pub fn parse(name: &str) -> Result<Kind, UnknownBackend> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| UnknownBackend {
                name: name.to_owned(),
            })
    }

    /// Why it cannot exist on this platform; `None` when it is built here.
    pub fn not_here(self) -> Option<&'static str> {
        match self {
            Kind::Keychain if !cfg!(target_os = "macos") => {
                Some("the macOS Keychain exists only on macOS")
            }
            Kind::Wincred if !cfg!(windows) => {
                Some("the Windows Credential Manager exists only on Windows")
            }
            Kind::SecretService
                if !cfg!(any(
                    target_os = "linux",
                    target_os = "freebsd",
                    target_os = "openbsd",
                    target_os = "netbsd",
                    target_os = "dragonfly"
                )) =>
            {
                Some("built on Linux and the BSDs only")
            }
            Kind::Pass if !cfg!(all(unix, not(target_os = "macos"))) => {
                Some("built on Linux and other Unix desktops only")
            }
            Kind::Keyutils if !cfg!(target_os = "linux") => {
                Some("the kernel keyring exists only on Linux")
            }
            _ => None,
        }
    }

    /// Whether it is built for this platform.
    pub fn supported(self) -> bool {
        self.not_here().is_none()
    }

    /// Whether what it keeps survives a reboot.
    pub fn durable(self) -> bool {
        self.facts().durable
    }

    /// Whether only the user can set it up (`auto` never picks or creates it), so `backends`
    /// always shows how, even when it is available.
    pub fn needs_setup_line(self) -> bool {
        matches!(self, Kind::File | Kind::Keyutils)
    }

    /// The backends `auto` considers on this platform, in order. Never `keyutils`: it forgets
    /// at reboot. `file` only when its file already exists.
    pub fn auto_candidates() -> &'static [Kind] {
        if cfg!(target_os = "macos") {
            &[Kind::Keychain, Kind::File]
        } else if cfg!(windows) {
            &[Kind::Wincred, Kind::File]
        } else if cfg!(unix) {
            &[Kind::SecretService, Kind::Pass, Kind::File]
        } else {
            &[Kind::File]
        }
    }

    /// What it keeps, for how long, and how to set it up.
    pub fn facts(self) -> &'static Facts {
        match self {
            Kind::SecretService => &Facts {
                keeps: "items in the desktop keyring (gnome-keyring, KeePassXC) over D-Bus, encrypted on disk with the login password; shared with docker-credential-secretservice",
                lasts: "until erased",
                durable: true,
                setup: "log in to a desktop session running gnome-keyring, KWallet or KeePassXC (Secret Service enabled); over SSH: `dbus-run-session -- bash`, then `gnome-keyring-daemon --unlock --components=secrets` and type the keyring password",
                summary: "the desktop keyring over D-Bus (GNOME Keyring, KWallet, KeePassXC), in the item format of Docker's docker-credential-secretservice, so both helpers see each other's entries.",
            },
            Kind::Keychain => &Facts {
                keeps: "internet passwords in the default (login) keychain, encrypted on disk, in the item format of docker-credential-osxkeychain (and Docker Desktop), so both helpers see each other's entries; `list` names each as Docker does (https://host[:port][/path])",
                lasts: "until erased",
                durable: true,
                setup: "nothing on a desktop login: the login keychain is there and unlocked; over SSH: `security unlock-keychain ~/Library/Keychains/login.keychain-db`",
                summary: "the macOS Keychain, in the item format of Docker's docker-credential-osxkeychain, so both helpers see each other's entries.",
            },
            Kind::Wincred => &Facts {
                keeps: "generic credentials in the Windows Credential Manager, DPAPI-protected on disk, in the layout of docker-credential-wincred (target name, user name, label), so both helpers see each other's entries; secrets at most 2560 bytes",
                lasts: "until erased",
                durable: true,
                setup: "nothing on an interactive logon: the Credential Manager is always there on Windows",
                summary: "the Windows Credential Manager, in the layout of Docker's docker-credential-wincred, so both helpers see each other's entries.",
            },
            Kind::Pass => &Facts {
                keeps: "gpg-encrypted files under ~/.password-store/docker-credential-helpers/ (server names in clear); shared with docker-credential-pass",
                lasts: "until erased",
                durable: true,
                setup: "gpg --quick-generate-key 'Your Name <you@example.com>' && pass init you@example.com",
                summary: "the password-store, in the layout of docker-credential-pass, encrypted with gpg.",
            },
            Kind::Keyutils => &Facts {
                keeps: "keys in the user's persistent kernel keyring, in kernel memory only (quota: 200 keys / 20,000 bytes for a non-root user)",
                lasts: "until reboot, or 3 days without use (the persistent keyring's expiry, reset on each use)",
                durable: false,
                setup: "docker-credential-keyring --backend keyutils setup   (saves the choice in the config file)",
                summary: "the Linux kernel's persistent keyring: survives logout, not reboot, expires after days unused.",
            },
            Kind::File => &Facts {
                keeps: "one file, credentials.enc.json in the data directory, mode 0600; secrets sealed with XChaCha20-Poly1305 under an Argon2id key from your passphrase (server names and usernames in clear); the key is cached in the kernel keyring (Linux only) for DOCKER_CREDENTIAL_KEYRING_FILE_CACHE_SECONDS (default 900)",
                lasts: "until erased",
                durable: true,
                setup: "docker-credential-keyring --backend file setup   (saves the choice in the config file; the first store asks for a new passphrase)",
                summary: "one encrypted file under the user's data directory, for machines with nothing else.",
            },
        }
    }

    /// Whether it can be used here if chosen. For `file`, `auto` asks whether the file exists
    /// (`auto` never creates it), anyone else whether it could be created.
    pub fn probe(self, for_auto: bool, settings: &crate::settings::Settings) -> Found {
        if let Some(why) = self.not_here() {
            return Found::Absent(why.to_owned());
        }
        match self {
            Kind::SecretService => super::secret_service::found(settings),
            Kind::Pass => super::pass::found(settings),
            Kind::Keyutils => super::keyutils::found(settings),
            Kind::Keychain => super::keychain::found(settings),
            Kind::Wincred => super::wincred::found(settings),
            Kind::File => match super::file::default_path() {
                Some(p) if p.is_file() => {
                    usable(format!("the encrypted file {} exists", p.display()))
                }
                Some(p) if for_auto => Found::Absent(format!(
                    "no encrypted file at {} (auto never creates one)",
                    p.display()
                )),
                Some(p) => usable(format!(
                    "the first store creates {} (asks for a new passphrase)",
                    p.display()
                )),
                None if for_auto => Found::Absent("no home directory".to_owned()),
                None => Found::Absent("no home directory to keep the file in: set HOME".to_owned()),
            },
        }
    }

    /// Open it. Every backend's store and erase run one at a time per user ([`Serialized`]),
    /// except `file`: it locks its own file around read-modify-write, and must not hold a lock
    /// that other helpers wait on while it prompts for a passphrase or derives its key.
    pub fn open(self, settings: &Settings) -> Result<Box<dyn Backend>, Error> {
        self.open_probed(settings, None)
    }

    /// Open it, on the connection its probe opened when there is one.
    pub fn open_probed(
        self,
        settings: &Settings,
        probed: Option<Probed>,
    ) -> Result<Box<dyn Backend>, Error> {
        let serialized = |inner: Box<dyn Backend>| -> Result<Box<dyn Backend>, Error> {
            Ok(Box::new(Serialized::new(inner, settings.lock_dir.clone())))
        };
        if let Some(Probed::SecretService(probed)) = probed {
            return serialized(super::secret_service::open_probed(probed, settings)?);
        }
        if let Some(reason) = self.not_here() {
            return Err(Error::Unavailable {
                kind: self,
                reason: reason.to_owned(),
            });
        }
        match self {
            Kind::File => Ok(Box::new(super::file::FileStore::open(settings)?)),
            Kind::SecretService => serialized(super::secret_service::open(settings)?),
            Kind::Pass => serialized(super::pass::open(settings)?),
            Kind::Keyutils => serialized(super::keyutils::open(settings)?),
            Kind::Keychain => serialized(super::keychain::open(settings)?),
            Kind::Wincred => serialized(super::wincred::open(settings)?),
        }
    }
}

fn usable(why: String) -> Found {
    Found::Usable(why, None)
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Kind {
    type Err = UnknownBackend;
    fn from_str(name: &str) -> Result<Kind, UnknownBackend> {
        Kind::parse(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_auto_is_no_kind() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.name()), Ok(kind));
        }
        assert!(Kind::parse("auto").is_err());
        assert_eq!(
            UnknownBackend {
                name: "x".to_owned()
            }
            .to_string(),
            "unknown backend \"x\": choose one of secret-service, keychain, wincred, pass, keyutils, file, auto"
        );
        let typo = UnknownBackend {
            name: "keyutil".to_owned(),
        };
        assert!(
            typo.to_string()
                .starts_with("unknown backend \"keyutil\" (did you mean \"keyutils\"?): "),
            "{typo}"
        );
    }

    #[test]
    fn auto_only_picks_durable_backends_built_here() {
        // `requested_volatile` relies on this: `auto` itself never answers a volatile backend.
        for kind in Kind::auto_candidates() {
            assert!(kind.durable() && kind.supported(), "{kind}");
        }
        assert!(!Kind::Keyutils.durable() && Kind::File.durable());
    }
}
