//! Which backend serves a call: `--backend` > `DOCKER_CREDENTIAL_KEYRING_BACKEND` > the config
//! file > `auto`.
//!
//! # `auto`
//! The platform keychain where it answers: the macOS Keychain, the Windows Credential Manager.
//! On Linux and other Unixes, in this order:
//!
//! 1. `secret-service`, when a session bus is there and something owns (or can be activated as)
//!    `org.freedesktop.secrets`: the desktop's own keychain, what users expect, and what Docker's
//!    reference helper uses, so items are shared with it.
//! 2. `pass`, when `pass` and `gpg` are installed and the store is initialised (`.gpg-id`):
//!    someone set it up on purpose, it persists, and it is shared with `docker-credential-pass`.
//! 3. `file`, when the encrypted file already exists: it was chosen once explicitly, keep using it.
//!
//! `keyutils` is never picked by `auto`: it forgets everything at reboot (and after 3 idle days),
//! which nobody should discover after the fact. `file` is never *created* by `auto`: it needs a
//! passphrase, which is a decision for the user. Both are one setting away, and when nothing is
//! usable the error says so: one line on stdout naming the options, and on stderr the one
//! command that sets up each.
//!
//! # Cost
//! Probes are cheap and bounded: `pass` and `file` look at the file system only; the Secret
//! Service probe is one bus connection and one `Ping` with a deadline
//! ([`SECRET_SERVICE_PROBE_TIMEOUT`]). With nothing there, `auto` costs a few milliseconds
//! (2.2 ms measured, process start to exit) and never hangs. The config file is read only
//! when neither the flag nor the variable chose, and only by actions that open a keychain.
//!
//! `auto` moves on only from a backend that is *absent* (no bus, a stale bus address, nothing
//! owning `org.freedesktop.secrets`, pass not installed or not initialised). A Secret Service
//! that is there but does not answer in time is an error: falling back would silently store
//! new credentials somewhere else and make the old ones look lost.

use super::{Backend, Error, open_named};
use std::path::PathBuf;

/// The variable that forces a backend.
pub use super::BACKEND_ENV;

/// Every backend name, in the order `backends` shows them.
pub const NAMES: &[&str] = &[
    "secret-service",
    "keychain",
    "wincred",
    "pass",
    "keyutils",
    "file",
];

/// Where a backend name came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--backend NAME`
    Flag,
    /// `DOCKER_CREDENTIAL_KEYRING_BACKEND`
    Env,
    /// The config file at this path.
    Config(PathBuf),
    /// Nothing chose: `auto`.
    Default,
}

impl Origin {
    /// A short label, stable for `backends --json`.
    pub fn label(&self) -> &'static str {
        match self {
            Origin::Flag => "flag",
            Origin::Env => "env",
            Origin::Config(_) => "config",
            Origin::Default => "default",
        }
    }

    /// Human words.
    pub fn describe(&self) -> String {
        match self {
            Origin::Flag => "--backend".to_owned(),
            Origin::Env => BACKEND_ENV.to_owned(),
            Origin::Config(p) => format!("the config file {}", p.display()),
            Origin::Default => "the default".to_owned(),
        }
    }
}

/// The backend name asked for and where from (`auto` when nothing chose). Reads the config
/// file only when neither the flag nor the variable is set.
pub fn requested(flag: Option<&str>) -> Result<(String, Origin), Error> {
    if let Some(name) = flag {
        return Ok((name.to_owned(), Origin::Flag));
    }
    if let Ok(name) = std::env::var(BACKEND_ENV)
        && !name.is_empty()
    {
        return Ok((name, Origin::Env));
    }
    if let Some(path) = crate::config::config_path() {
        let config = crate::config::Config::load_from(&path)?;
        if let Some(name) = config.backend {
            return Ok((name, Origin::Config(path)));
        }
    }
    Ok(("auto".to_owned(), Origin::Default))
}

/// Open the backend the flag, variable, config file or `auto` chooses.
pub fn open(flag: Option<&str>) -> Result<Box<dyn Backend>, Error> {
    let (name, _) = requested(flag)?;
    if name == "auto" {
        return open_named(auto()?.name);
    }
    open_named(&name)
}

/// What `auto` picked and why.
#[derive(Debug, Clone)]
pub struct AutoChoice {
    pub name: &'static str,
    pub reason: String,
}

/// `auto` found nothing: why, for each candidate.
#[derive(Debug, Clone)]
pub struct NothingUsable {
    /// (backend, why it was passed over), in probe order.
    pub passed_over: Vec<(&'static str, String)>,
}

impl std::fmt::Display for NothingUsable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let candidates: Vec<&str> = self.passed_over.iter().map(|(n, _)| *n).collect();
        write!(
            f,
            "no usable keychain here (tried {}): set one up, or choose `file` (encrypted file, \
             passphrase) or `keyutils` (kernel keyring, lost at reboot) with --backend or {BACKEND_ENV}",
            candidates.join(", ")
        )
    }
}

impl NothingUsable {
    /// One line per option: the command that sets it up.
    pub fn hint(&self) -> String {
        let mut out = String::from("Why each was passed over:\n");
        for (name, why) in &self.passed_over {
            out.push_str(&format!("  {name}: {why}\n"));
        }
        out.push_str("Set up one of them:\n");
        for info in INFOS.iter().filter(|i| supported(i.name)) {
            out.push_str(&format!(
                "  {:<15} {}\n",
                info.name,
                setup_command(info.name)
            ));
        }
        out.push_str(
            "`docker-credential-keyring backends` shows what each keeps and for how long.",
        );
        out
    }
}

/// Stderr remedy for an unknown backend name.
pub fn unknown_hint() -> String {
    let here: Vec<&str> = NAMES.iter().copied().filter(|n| supported(n)).collect();
    format!(
        "hint: the backend comes from --backend, then {BACKEND_ENV}, then the config file ({}); \
         backends on this platform: {}, auto",
        crate::config::config_path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "none: no home directory".to_owned()),
        here.join(", ")
    )
}

/// `auto`'s candidates on this platform, in order, each with its probe.
fn candidates() -> Vec<(&'static str, Probe)> {
    let mut list: Vec<(&'static str, Probe)> = Vec::new();
    #[cfg(target_os = "macos")]
    list.push(("keychain", probe_keychain));
    #[cfg(windows)]
    list.push(("wincred", probe_wincred));
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        #[cfg(any(
            target_os = "linux",
            target_os = "freebsd",
            target_os = "openbsd",
            target_os = "netbsd",
            target_os = "dragonfly"
        ))]
        list.push(("secret-service", probe_secret_service));
        list.push(("pass", probe_pass));
    }
    list.push(("file", probe_file_exists));
    list
}

/// The names `auto` considers on this platform, in order.
pub fn auto_candidates() -> Vec<&'static str> {
    candidates().into_iter().map(|(n, _)| n).collect()
}

/// What a probe found.
#[derive(Debug)]
pub enum Found {
    /// Usable, and why.
    Usable(String),
    /// Not there (no bus, not installed, not initialised): `auto` moves on.
    Absent(String),
    /// There but failing (a service that does not answer in time, …): `auto` stops with this
    /// error rather than silently storing somewhere else.
    Broken(Error),
}

/// A probe.
type Probe = fn() -> Found;

/// What `auto` picks here, probing candidates in order.
pub fn auto() -> Result<AutoChoice, Error> {
    let mut passed_over: Vec<(&'static str, String)> = Vec::new();
    for (name, probe) in candidates() {
        match probe() {
            Found::Usable(why) => {
                let reason = if passed_over.is_empty() {
                    why
                } else {
                    let before: Vec<String> = passed_over
                        .iter()
                        .map(|(n, w)| format!("{n}: {w}"))
                        .collect();
                    format!("{why} (passed over {})", before.join("; "))
                };
                return Ok(AutoChoice { name, reason });
            }
            Found::Absent(why) => passed_over.push((name, why)),
            Found::Broken(e) => return Err(e),
        }
    }
    Err(Error::NothingUsable(NothingUsable { passed_over }))
}

/// Whether the backend is built for this platform.
pub fn supported(name: &str) -> bool {
    not_on_this_platform(name).is_none() && NAMES.contains(&name)
}

/// Why a known backend cannot exist on this platform; `None` when it can (or is unknown).
pub fn not_on_this_platform(name: &str) -> Option<String> {
    match name {
        "keychain" if !cfg!(target_os = "macos") => {
            Some("the macOS Keychain exists only on macOS".to_owned())
        }
        "wincred" if !cfg!(windows) => {
            Some("the Windows Credential Manager exists only on Windows".to_owned())
        }
        "secret-service"
            if !cfg!(any(
                target_os = "linux",
                target_os = "freebsd",
                target_os = "openbsd",
                target_os = "netbsd",
                target_os = "dragonfly"
            )) =>
        {
            Some("built on Linux and the BSDs only".to_owned())
        }
        "pass" if !cfg!(all(unix, not(target_os = "macos"))) => {
            Some("built on Linux and other Unix desktops only".to_owned())
        }
        "keyutils" if !cfg!(target_os = "linux") => {
            Some("the kernel keyring exists only on Linux".to_owned())
        }
        _ => None,
    }
}

/// The `&'static` spelling of a known backend name (for error values).
pub fn static_name(name: &str) -> &'static str {
    NAMES
        .iter()
        .copied()
        .find(|n| *n == name)
        .unwrap_or("unknown")
}

/// Whether a backend can be used if chosen: `Ok(why)` or `Err(why not)`.
pub fn availability(name: &str) -> Result<String, String> {
    if let Some(why) = not_on_this_platform(name) {
        return Err(why);
    }
    let found = match name {
        #[cfg(any(
            target_os = "linux",
            target_os = "freebsd",
            target_os = "openbsd",
            target_os = "netbsd",
            target_os = "dragonfly"
        ))]
        "secret-service" => probe_secret_service(),
        #[cfg(all(unix, not(target_os = "macos")))]
        "pass" => probe_pass(),
        #[cfg(target_os = "linux")]
        "keyutils" => probe_keyutils(),
        #[cfg(target_os = "macos")]
        "keychain" => probe_keychain(),
        #[cfg(windows)]
        "wincred" => probe_wincred(),
        "file" => probe_file_usable(),
        _ => Found::Absent("unknown backend".to_owned()),
    };
    match found {
        Found::Usable(why) => Ok(why),
        Found::Absent(why) => Err(why),
        Found::Broken(e) => Err(e.to_string()),
    }
}

/// How long `auto` waits for the Secret Service to answer before giving up on it. Absent
/// services answer at once (no bus: no connection; no owner: an error reply); only a hung bus
/// or daemon costs this much, and then `auto` fails rather than store elsewhere.
pub const SECRET_SERVICE_PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

#[cfg(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
))]
fn probe_secret_service() -> Found {
    match super::secret_service::probe(SECRET_SERVICE_PROBE_TIMEOUT) {
        Ok(()) => Found::Usable("a Secret Service answers on the session bus".to_owned()),
        Err(e @ (Error::NoSessionBus | Error::BusUnreachable { .. } | Error::NoSecretService)) => {
            Found::Absent(e.to_string())
        }
        Err(e) => Found::Broken(e),
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
fn probe_pass() -> Found {
    match super::pass::probe() {
        Ok(()) => Found::Usable(format!(
            "pass is installed and its store {} is initialised",
            super::pass::store_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default()
        )),
        Err(e) => Found::Absent(e.to_string()),
    }
}

#[cfg(target_os = "linux")]
fn probe_keyutils() -> Found {
    match super::keyutils::probe() {
        Ok(()) => Found::Usable(
            "the kernel keyring answers (never picked by auto: it forgets at reboot)".to_owned(),
        ),
        Err(e) => Found::Absent(e.to_string()),
    }
}

#[cfg(target_os = "macos")]
fn probe_keychain() -> Found {
    match super::keychain::probe() {
        Ok(()) => Found::Usable("the macOS login keychain answers".to_owned()),
        Err(e) => Found::Absent(e.to_string()),
    }
}

#[cfg(windows)]
fn probe_wincred() -> Found {
    match super::wincred::probe() {
        Ok(()) => Found::Usable("the Windows Credential Manager answers".to_owned()),
        Err(e) => Found::Absent(e.to_string()),
    }
}

fn probe_file_exists() -> Found {
    match super::file::default_path() {
        Some(p) if p.is_file() => {
            Found::Usable(format!("the encrypted file {} exists", p.display()))
        }
        Some(p) => Found::Absent(format!(
            "no encrypted file at {} (auto never creates one)",
            p.display()
        )),
        None => Found::Absent("no home directory".to_owned()),
    }
}

fn probe_file_usable() -> Found {
    match super::file::default_path() {
        Some(p) if p.is_file() => {
            Found::Usable(format!("the encrypted file {} exists", p.display()))
        }
        Some(p) => Found::Usable(format!(
            "the first store creates {} (asks for a new passphrase)",
            p.display()
        )),
        None => Found::Absent("no home directory to keep the file in: set HOME".to_owned()),
    }
}

/// What a backend is, where it keeps secrets, how long they last, and how to set it up.
pub struct Info {
    pub name: &'static str,
    pub keeps: &'static str,
    pub lasts: &'static str,
    /// Whether what it keeps survives a reboot. Commands that remove the only other copy of a
    /// credential (`import`, `setup`) refuse a backend that does not, unless told otherwise.
    pub durable: bool,
    pub setup: &'static str,
}

/// The facts `backends` prints, in [`NAMES`] order.
pub const INFOS: &[Info] = &[
    Info {
        name: "secret-service",
        keeps: "items in the desktop keyring (gnome-keyring, KeePassXC) over D-Bus, encrypted on disk with the login password; shared with docker-credential-secretservice",
        lasts: "until erased",
        durable: true,
        setup: "log in to a desktop session running gnome-keyring, KWallet or KeePassXC (Secret Service enabled); over SSH: `dbus-run-session -- bash`, then `gnome-keyring-daemon --unlock --components=secrets` and type the keyring password",
    },
    Info {
        name: "keychain",
        keeps: "generic passwords in the login keychain, encrypted on disk (not shared with docker-credential-osxkeychain, which writes internet passwords; untested: built for macOS, never run here)",
        lasts: "until erased",
        durable: true,
        setup: "nothing: the login keychain is always there on macOS",
    },
    Info {
        name: "wincred",
        keeps: "generic credentials in the Windows Credential Manager, DPAPI-protected on disk (secrets at most 2560 bytes; same target names as docker-credential-wincred; untested: built for Windows, never run here)",
        lasts: "until erased",
        durable: true,
        setup: "nothing: the Credential Manager is always there on Windows",
    },
    Info {
        name: "pass",
        keeps: "gpg-encrypted files under ~/.password-store/docker-credential-helpers/ (server names in clear); shared with docker-credential-pass",
        lasts: "until erased",
        durable: true,
        setup: "gpg --quick-generate-key 'Your Name <you@example.com>' && pass init you@example.com",
    },
    Info {
        name: "keyutils",
        keeps: "keys in the user's persistent kernel keyring, in kernel memory only (quota: 200 keys / 20,000 bytes for a non-root user)",
        lasts: "until reboot, or 3 days without use (the persistent keyring's expiry, reset on each use)",
        durable: false,
        setup: "export DOCKER_CREDENTIAL_KEYRING_BACKEND=keyutils   (or {\"backend\": \"keyutils\"} in the config file)",
    },
    Info {
        name: "file",
        keeps: "one file, credentials.enc.json in the data directory, mode 0600; secrets sealed with XChaCha20-Poly1305 under an Argon2id key from your passphrase (server names and usernames in clear); the key is cached in the kernel keyring for DOCKER_CREDENTIAL_KEYRING_FILE_CACHE_SECONDS (default 900)",
        lasts: "until erased",
        durable: true,
        setup: "mkdir -p ~/.config/docker-credential-keyring && echo '{\"backend\": \"file\"}' > ~/.config/docker-credential-keyring/config.json",
    },
];

/// The one command that sets up `name` here (the config file's real path for `file`).
pub fn setup_command(name: &str) -> String {
    match (name, crate::config::config_path()) {
        ("file", Some(path)) => format!(
            "mkdir -p '{}' && echo '{{\"backend\": \"file\"}}' > '{}'   (the first store asks for a new passphrase)",
            path.parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            path.display()
        ),
        _ => info(name).map(|i| i.setup.to_owned()).unwrap_or_default(),
    }
}

/// The facts about `name`.
pub fn info(name: &str) -> Option<&'static Info> {
    INFOS.iter().find(|i| i.name == name)
}

/// The facts about `name` when it does not survive a reboot; `None` for a durable backend.
pub fn volatile(name: &str) -> Option<&'static Info> {
    info(name).filter(|i| !i.durable)
}

/// The backend a call would use (`--backend`, the variable, the config file), when it is one
/// that does not survive a reboot. Nothing is probed or opened: `auto` never picks such a
/// backend, and an unreadable config file is left for opening the backend to report.
pub fn requested_volatile(flag: Option<&str>) -> Option<&'static Info> {
    requested(flag).ok().and_then(|(name, _)| volatile(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_backend_has_facts_and_auto_only_picks_durable_ones() {
        for name in NAMES {
            assert!(info(name).is_some(), "{name}");
        }
        // `requested_volatile` relies on this: `auto` itself never answers a volatile backend.
        for name in auto_candidates() {
            assert!(volatile(name).is_none(), "{name}");
        }
        assert_eq!(volatile("keyutils").map(|i| i.name), Some("keyutils"));
        assert!(volatile("auto").is_none() && volatile("file").is_none());
    }
}
