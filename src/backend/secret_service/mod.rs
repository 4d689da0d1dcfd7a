//! The `secret-service` backend: the freedesktop.org Secret Service (gnome-keyring, KWallet,
//! KeePassXC) on the D-Bus session bus, in Docker's own item schema so that Docker's
//! `docker-credential-secretservice` and we read, list and erase each other's credentials.
//!
//! We speak D-Bus ourselves (blocking `dbus` crate, libdbus) with pipelined calls, a deadline on
//! every call and prompt, and our own transfer session ([`dh`]); the schema, the search plan of
//! `get` and why not keyring-core's stores are in docs/design.md (Secret Service). Secrets we hold
//! live in [`Secret`](crate::secret::Secret) / `Zeroizing` buffers, error paths included; what
//! libdbus copies into its own message buffers is freed, not wiped.

mod bus;
mod dh;
mod errors;
mod get;
mod items;
mod list;
mod prompt;
mod session;
mod store;

pub use errors::Error;

use crate::backend::{Backend, Credential, Listed};
use bus::Bus;
use dbus::Path;
use session::Session;
use std::cell::RefCell;
use std::time::Duration;

use crate::settings::PROMPT_TIMEOUT_ENV;
use crate::settings::TIMEOUT_ENV;

const SERVICE: &str = "org.freedesktop.secrets";
const SERVICE_PATH: &str = "/org/freedesktop/secrets";
const IFACE_SERVICE: &str = "org.freedesktop.Secret.Service";
const IFACE_COLLECTION: &str = "org.freedesktop.Secret.Collection";
const IFACE_ITEM: &str = "org.freedesktop.Secret.Item";
const IFACE_PROMPT: &str = "org.freedesktop.Secret.Prompt";
const IFACE_PROPERTIES: &str = "org.freedesktop.DBus.Properties";

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

/// A connection a successful [`probe`] opened, for [`SecretService::from_probe`] to reuse.
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

/// What `auto` finds: a Secret Service that answers within the probe's deadline (its
/// connection kept for [`open_probed`]); absent when there is no bus or no service on it;
/// broken when one is there but does not answer.
pub(in crate::backend) fn found(settings: &crate::settings::Settings) -> super::kind::Found {
    use super::kind::Found;
    let deadline = match &settings.timeout {
        None => super::kind::SECRET_SERVICE_PROBE_TIMEOUT,
        Some(_) => match Settings::from_settings(settings) {
            Ok(s) => s.call_timeout,
            Err(e) => return Found::Broken(e.into()),
        },
    };
    match probe(deadline) {
        Ok(probed) => Found::Usable(
            "a Secret Service answers on the session bus".to_owned(),
            Some(super::kind::Probed::SecretService(probed)),
        ),
        Err(e @ (Error::NoSessionBus | Error::BusUnreachable { .. } | Error::NoSecretService)) => {
            Found::Absent(e.to_string())
        }
        Err(e) => Found::Broken(e.into()),
    }
}

/// Open it.
pub(in crate::backend) fn open(
    settings: &crate::settings::Settings,
) -> Result<Box<dyn super::Backend>, crate::backend::Error> {
    Ok(Box::new(SecretService::open(settings)?))
}

/// Open it on the connection its probe opened.
pub(in crate::backend) fn open_probed(
    probed: Probed,
    settings: &crate::settings::Settings,
) -> Result<Box<dyn super::Backend>, crate::backend::Error> {
    Ok(Box::new(SecretService::from_probe(probed, settings)?))
}

/// The Secret Service backend over one private connection to the session bus.
pub struct SecretService {
    bus: Bus,
    settings: Settings,
    session: RefCell<Option<Session>>,
}

impl SecretService {
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

    /// Unlock `items` if any are locked.
    fn unlock(&self, items: Vec<Path<'static>>) -> Result<(), Error> {
        if items.is_empty() {
            return Ok(());
        }
        prompt::unlock(&self.bus, &self.settings, items)
    }
}

impl Backend for SecretService {
    fn kind(&self) -> crate::backend::Kind {
        crate::backend::Kind::SecretService
    }

    fn list(&self) -> Result<Vec<Listed>, crate::backend::Error> {
        Ok(self.list_items()?)
    }

    fn get(&self, server_url: &str) -> Result<Option<Credential>, crate::backend::Error> {
        Ok(self.search_batch(&[server_url.to_owned()])?)
    }

    /// Not every spelling [`crate::registry::candidates`] lists is searched: each search
    /// costs the service a scan of every item, so a miss searches the registry key and the few
    /// spellings other writers use instead.
    fn find(&self, query: &str) -> Result<Option<Credential>, crate::backend::Error> {
        Ok(self.find_registry(query)?)
    }

    fn store(&self, credential: &Credential) -> Result<(), crate::backend::Error> {
        Ok(self.store_credential(credential)?)
    }

    fn erase(&self, server_url: &str) -> Result<bool, crate::backend::Error> {
        Ok(self.erase_server(server_url)?)
    }
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
}
