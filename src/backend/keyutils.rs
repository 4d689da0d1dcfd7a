//! The `keyutils` backend: credentials in the Linux kernel keyring, for headless machines.
//!
//! # Where and for how long
//! Keys live in the user's **persistent keyring** (persistent-keyring(7)), inside a keyring of
//! ours named `docker-credential-keyring` (or `$DOCKER_CREDENTIAL_KEYRING_KEYUTILS_KEYRING`):
//! `keyctl session - sh -c 'keyctl get_persistent @s >/dev/null; keyctl show %:docker-credential-keyring'`
//! shows it (descriptions only; `keyctl print <id>` in the same shell shows a payload).
//! - Kept in kernel memory only, never on disk: **gone at reboot**.
//! - The persistent keyring **expires after `/proc/sys/kernel/keys/persistent_keyring_expiry`
//!   seconds unused** (default 259200 s = 3 days); every use of this backend resets the timer.
//! - Readable by processes of the same user that ask for the persistent keyring (any of them can
//!   link it in), and by root.
//! - Per-user quota (non-root: `/proc/sys/kernel/keys/maxkeys` 200 keys and `maxbytes` 20,000
//!   bytes by default, shared with every other keyring user): a few long tokens fill it.
//!
//! # Why the persistent keyring itself
//! The session keyring does not survive into the next process where nothing set one up (CI jobs,
//! cron, containers, SSH without `pam_keyinit`): each process then gets a fresh one and a key
//! stored by one `docker login` is not found by the next `docker pull`. We link the persistent
//! keyring into our own *process* keyring (`KEYCTL_GET_PERSISTENT`) and work there, so no
//! session keyring is needed or created.
//!
//! # Key layout
//! One `user` key per credential, description `<server> <username>` with `%`, space, `;` and
//! control characters percent-escaped in each part, so `list` recovers both from the description
//! alone (no payload is read). Payload: one format byte (`0x01`) then the secret; the kernel
//! refuses empty payloads, and docker may store an empty secret.

use crate::backend::{Backend, Credential, Listed};
use crate::keyctl as sys;
use crate::secret::Secret;
use std::ffi::CString;
use zeroize::Zeroizing;

/// Our keyring's name inside the persistent keyring by default.
pub const DEFAULT_KEYRING: &str = "docker-credential-keyring";

/// Format byte at the start of every payload we write.
const PAYLOAD_FORMAT: u8 = 1;
/// Longest key description the kernel takes (4096 with its NUL).
const MAX_DESCRIPTION: usize = 4095;
/// Largest `user` key payload the kernel takes.
const MAX_PAYLOAD: usize = 32767;

/// Why the kernel keyring backend could not do what was asked. One line, no secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "the kernel keyring is blocked here ({call}: {errno}): allow keyctl/add_key (a container's seccomp profile blocks them) or choose another backend"
    )]
    Blocked { call: &'static str, errno: Errno },
    #[error(
        "this kernel has no persistent keyrings (CONFIG_PERSISTENT_KEYRINGS): choose another backend"
    )]
    NoPersistentKeyring,
    #[error(
        "the kernel keyring quota is full ({limits}): erase credentials you no longer need, raise the limits in /proc/sys/kernel/keys/, or choose another backend"
    )]
    QuotaExceeded { limits: String },
    #[error(
        "the credential is too large for the kernel keyring ({what} of {len} bytes, at most {max}): choose another backend"
    )]
    TooLarge {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("the kernel keyring cannot hold a NUL character in a server URL or username")]
    Nul,
    #[error(
        "the kernel key for {server_url} is not in docker-credential-keyring's format: erase it (`docker-credential-keyring erase`) and store the credential again"
    )]
    UnknownFormat { server_url: String },
    #[error("the kernel keyring refused {call}: {errno}")]
    Failed { call: &'static str, errno: Errno },
}

impl crate::hint::Hint for Error {
    fn hint(&self) -> Option<String> {
        let facts = crate::backend::Kind::Keyutils.facts();
        let retention = format!("{}, {}", facts.keeps, facts.lasts);
        Some(match self {
            Error::Blocked { .. } => format!(
                "Docker's default seccomp profile blocks the keyctl and add_key system calls. Run the container with a profile that allows them, \
                 or use the pass or file backend inside containers. (The keyutils backend keeps {retention}.)"
            ),
            Error::QuotaExceeded { .. } => format!(
                "A non-root user may hold {} keys and {} bytes of keys in total (root: {} and {}); every keyring user on this account shares that. \
                 `docker-credential-keyring list` shows what we keep; `cat /proc/key-users` shows the use. \
                 The keyutils backend keeps {retention}.",
                read_limit("maxkeys"),
                read_limit("maxbytes"),
                read_limit("root_maxkeys"),
                read_limit("root_maxbytes"),
            ),
            Error::Failed { .. } | Error::NoPersistentKeyring | Error::TooLarge { .. } => {
                format!("The keyutils backend keeps {retention}.")
            }
            Error::Nul | Error::UnknownFormat { .. } => return None,
        })
    }
}

/// An errno from the keyring system calls, shown by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.0 {
            libc::EPERM => "EPERM, operation not permitted",
            libc::EACCES => "EACCES, permission denied",
            libc::ENOSYS => "ENOSYS, system call not available",
            libc::EDQUOT => "EDQUOT, quota exceeded",
            libc::ENOKEY => "ENOKEY, no such key",
            libc::EKEYEXPIRED => "EKEYEXPIRED, key expired",
            libc::EKEYREVOKED => "EKEYREVOKED, key revoked",
            libc::EINVAL => "EINVAL, invalid argument",
            libc::ENOMEM => "ENOMEM, out of memory",
            libc::EOPNOTSUPP => "EOPNOTSUPP, not supported",
            n => return write!(f, "errno {n}"),
        };
        f.write_str(name)
    }
}

fn read_limit(name: &str) -> String {
    std::fs::read_to_string(format!("/proc/sys/kernel/keys/{name}"))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "?".to_owned())
}

fn classify(call: &'static str, errno: Errno) -> Error {
    match errno.0 {
        libc::EPERM | libc::ENOSYS => Error::Blocked { call, errno },
        libc::EDQUOT => {
            let (keys, bytes) = if is_root() {
                ("root_maxkeys", "root_maxbytes")
            } else {
                ("maxkeys", "maxbytes")
            };
            Error::QuotaExceeded {
                limits: format!(
                    "{} keys / {} bytes per user",
                    read_limit(keys),
                    read_limit(bytes)
                ),
            }
        }
        _ => Error::Failed { call, errno },
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A cheap check that the kernel keyring works here: one `keyctl` call that creates nothing
/// (microseconds), and the persistent-keyring sysctl exists.
pub fn probe() -> Result<(), crate::backend::Error> {
    match sys::get_keyring_id(sys::KEY_SPEC_USER_KEYRING) {
        Ok(_) => {}
        Err(libc::ENOKEY) => {}
        Err(e) => return Err(classify("keyctl", Errno(e)).into()),
    }
    if !std::path::Path::new("/proc/sys/kernel/keys/persistent_keyring_expiry").exists() {
        return Err(Error::NoPersistentKeyring.into());
    }
    Ok(())
}

/// What `auto` finds (it never picks this backend: it forgets at reboot).
pub(in crate::backend) fn found(_settings: &crate::settings::Settings) -> super::kind::Found {
    match probe() {
        Ok(()) => super::kind::Found::Usable(
            "the kernel keyring answers (never picked by auto: it forgets at reboot)".to_owned(),
            None,
        ),
        Err(e) => super::kind::Found::Absent(e.to_string()),
    }
}

/// Open it.
pub(in crate::backend) fn open(
    settings: &crate::settings::Settings,
) -> Result<Box<dyn super::Backend>, crate::backend::Error> {
    Ok(Box::new(Keyutils::open(settings)?))
}

/// The kernel keyring backend: our named keyring inside the user's persistent keyring.
#[derive(Debug)]
pub struct Keyutils {
    name: CString,
    persistent: sys::Serial,
}

fn c(ktype: &'static str) -> CString {
    CString::new(ktype).expect("no NUL")
}

impl Keyutils {
    /// Link the persistent keyring into this process (resetting its expiry timer). Our keyring
    /// inside it is looked up when needed and created only by `store`.
    pub fn open(settings: &crate::settings::Settings) -> Result<Keyutils, Error> {
        Keyutils::named(
            settings
                .keyutils_keyring
                .as_deref()
                .unwrap_or(DEFAULT_KEYRING),
        )
    }

    /// The backend on the keyring `name` inside the persistent keyring.
    pub fn named(name: &str) -> Result<Keyutils, Error> {
        let name = CString::new(name).map_err(|_| Error::Nul)?;
        let persistent = match sys::get_persistent(sys::KEY_SPEC_PROCESS_KEYRING) {
            Ok(id) => id,
            Err(libc::EOPNOTSUPP) => return Err(Error::NoPersistentKeyring),
            Err(e) => return Err(classify("KEYCTL_GET_PERSISTENT", Errno(e))),
        };
        Ok(Keyutils { name, persistent })
    }

    /// Our keyring, if it exists.
    fn ring(&self) -> Result<Option<sys::Serial>, Error> {
        match sys::search(self.persistent, &c("keyring"), &self.name) {
            Ok(id) => Ok(Some(id)),
            Err(libc::ENOKEY | libc::EKEYEXPIRED | libc::EKEYREVOKED) => Ok(None),
            Err(e) => Err(classify("KEYCTL_SEARCH", Errno(e))),
        }
    }

    /// Our keyring, created if missing.
    fn ring_or_create(&self) -> Result<sys::Serial, Error> {
        if let Some(id) = self.ring()? {
            return Ok(id);
        }
        // add_key of a keyring displaces one of the same name: only when the search found none.
        sys::add_key(&c("keyring"), &self.name, None, self.persistent)
            .map_err(|e| classify("add_key(keyring)", Errno(e)))
    }

    /// Every `user` key in our keyring with its decoded (server, username).
    fn entries(&self, ring: sys::Serial) -> Result<Vec<(sys::Serial, String, String)>, Error> {
        let mut links = Vec::new();
        match sys::read(ring, &mut links) {
            Ok(()) => {}
            Err(libc::EKEYEXPIRED | libc::EKEYREVOKED | libc::ENOKEY) => return Ok(Vec::new()),
            Err(e) => return Err(classify("KEYCTL_READ(keyring)", Errno(e))),
        }
        let mut out = Vec::new();
        for chunk in links.chunks_exact(4) {
            let id = sys::Serial::from_ne_bytes(chunk.try_into().expect("4 bytes"));
            // A key that went away (or that we may not view) since the read: not ours to list.
            let Ok(described) = sys::describe(id) else {
                continue;
            };
            let Ok(described) = String::from_utf8(described) else {
                continue;
            };
            let mut parts = described.splitn(5, ';');
            if parts.next() != Some("user") {
                continue;
            }
            let Some(description) = parts.nth(3) else {
                continue;
            };
            if let Some((server, username)) = decode_description(description) {
                out.push((id, server, username));
            }
        }
        out.sort_by(|a, b| (&a.1, &a.2).cmp(&(&b.1, &b.2)));
        Ok(out)
    }

    /// Destroy key `id` (invalidate: the payload is freed now, not at garbage collection).
    fn destroy(&self, id: sys::Serial, ring: sys::Serial) -> Result<(), Error> {
        match sys::invalidate(id) {
            Ok(()) | Err(libc::ENOKEY | libc::EKEYEXPIRED | libc::EKEYREVOKED) => Ok(()),
            Err(_) => match sys::unlink(id, ring) {
                Ok(()) | Err(libc::ENOENT | libc::ENOKEY) => Ok(()),
                Err(e) => Err(classify("KEYCTL_UNLINK", Errno(e))),
            },
        }
    }
}

impl Keyutils {
    /// The credential of `server_url` among `entries` (id, server, username), its payload read.
    fn read_entry(
        &self,
        entries: &[(sys::Serial, String, String)],
        server_url: &str,
    ) -> Result<Option<Credential>, crate::backend::Error> {
        let Some((id, server_url, username)) = entries
            .iter()
            .find(|(_, s, _)| s == server_url)
            .map(|(id, s, u)| (*id, s.clone(), u.clone()))
        else {
            return Ok(None);
        };
        let mut payload = Zeroizing::new(Vec::with_capacity(256));
        match sys::read(id, &mut payload) {
            Ok(()) => {}
            Err(libc::ENOKEY | libc::EKEYEXPIRED | libc::EKEYREVOKED) => return Ok(None),
            Err(e) => return Err(classify("KEYCTL_READ", Errno(e)).into()),
        }
        let secret = match payload.split_first() {
            Some((&PAYLOAD_FORMAT, rest)) => String::from_utf8_lossy(rest).into_owned(),
            _ => return Err(Error::UnknownFormat { server_url }.into()),
        };
        Ok(Some(Credential {
            server_url,
            username,
            secret: Secret::new(secret),
        }))
    }
}

impl Backend for Keyutils {
    fn kind(&self) -> crate::backend::Kind {
        crate::backend::Kind::Keyutils
    }

    fn list(&self) -> Result<Vec<Listed>, crate::backend::Error> {
        let Some(ring) = self.ring()? else {
            return Ok(Vec::new());
        };
        let mut listed: Vec<Listed> = Vec::new();
        for (_, server_url, username) in self.entries(ring)? {
            // One per server (the first username), as the other backends list.
            if listed.last().is_some_and(|l| l.server_url == server_url) {
                continue;
            }
            listed.push(Listed {
                server_url,
                username,
            });
        }
        Ok(listed)
    }

    fn get(&self, server_url: &str) -> Result<Option<Credential>, crate::backend::Error> {
        let Some(ring) = self.ring()? else {
            return Ok(None);
        };
        let entries = self.entries(ring)?;
        self.read_entry(&entries, server_url)
    }

    fn find(&self, query: &str) -> Result<Option<Credential>, crate::backend::Error> {
        let Some(ring) = self.ring()? else {
            return Ok(None);
        };
        // A key's description holds the username too, so the kernel cannot search by server:
        // one read of the ring's descriptions (no payload) serves the whole lookup.
        let entries = self.entries(ring)?;
        let names = entries.iter().map(|(_, s, _)| s.clone()).collect();
        crate::backend::resolve_among(query, names, |name| self.read_entry(&entries, name))
    }

    fn store(&self, credential: &Credential) -> Result<(), crate::backend::Error> {
        let description = encode_description(&credential.server_url, &credential.username);
        if description.len() > MAX_DESCRIPTION {
            return Err(Error::TooLarge {
                what: "server URL and username",
                len: description.len(),
                max: MAX_DESCRIPTION,
            }
            .into());
        }
        let description = CString::new(description).map_err(|_| Error::Nul)?;
        let secret = credential.secret.expose().as_bytes();
        if secret.len() + 1 > MAX_PAYLOAD {
            return Err(Error::TooLarge {
                what: "secret",
                len: secret.len(),
                max: MAX_PAYLOAD - 1,
            }
            .into());
        }
        let mut payload = Zeroizing::new(Vec::with_capacity(secret.len() + 1));
        payload.push(PAYLOAD_FORMAT);
        payload.extend_from_slice(secret);
        let ring = self.ring_or_create()?;
        // Same description: the kernel updates the key in place (atomic for readers).
        let id = add_key_waiting_for_gc(&description, &payload, ring)?;
        for (other, server, _) in self.entries(ring)? {
            if other != id && server == credential.server_url {
                self.destroy(other, ring)?;
            }
        }
        Ok(())
    }

    fn erase(&self, server_url: &str) -> Result<bool, crate::backend::Error> {
        let Some(ring) = self.ring()? else {
            return Ok(false);
        };
        let mut erased = false;
        for (id, server, _) in self.entries(ring)? {
            if server == server_url {
                self.destroy(id, ring)?;
                erased = true;
            }
        }
        Ok(erased)
    }
}

/// `add_key` of a `user` key; on a full quota, wait up to half a second for the kernel's garbage
/// collector, which frees erased and replaced keys asynchronously (an `erase` then a `store`
/// would otherwise fail on a quota that is only about to be freed).
fn add_key_waiting_for_gc(
    description: &CString,
    payload: &[u8],
    ring: sys::Serial,
) -> Result<sys::Serial, Error> {
    let mut waited = 0;
    loop {
        match sys::add_key(&c("user"), description, Some(payload), ring) {
            Err(libc::EDQUOT) if waited < 10 => {
                std::thread::sleep(std::time::Duration::from_millis(50));
                waited += 1;
            }
            other => return other.map_err(|e| classify("add_key", Errno(e))),
        }
    }
}

/// `<server> <username>`, each part percent-escaped (`%`, space, `;`, control characters).
pub fn encode_description(server_url: &str, username: &str) -> String {
    let mut out = String::with_capacity(server_url.len() + username.len() + 1);
    escape_into(server_url, &mut out);
    out.push(' ');
    escape_into(username, &mut out);
    out
}

fn escape_into(s: &str, out: &mut String) {
    for ch in s.chars() {
        if ch == '%' || ch == ' ' || ch == ';' || ch.is_ascii_control() {
            out.push_str(&format!("%{:02X}", ch as u32));
        } else {
            out.push(ch);
        }
    }
}

/// The inverse of [`encode_description`]; `None` for descriptions we did not write.
pub fn decode_description(description: &str) -> Option<(String, String)> {
    let (server, username) = description.split_once(' ')?;
    if username.contains(' ') {
        return None;
    }
    let (server, username) = (unescape(server)?, unescape(username)?);
    (!server.is_empty() && !username.is_empty()).then_some((server, username))
}

fn unescape(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_round_trip_and_are_unambiguous() {
        let cases = [
            ("https://index.docker.io/v1/", "alice"),
            ("a b", "c d"),
            ("x;y%z", "u;v%w"),
            ("tab\there", "new\nline"),
            ("ünï", "cödé"),
            ("localhost:5000", "%20"),
        ];
        for (s, u) in cases {
            let d = encode_description(s, u);
            assert_eq!(d.matches(' ').count(), 1, "{d}");
            assert!(
                !d.contains(';') && !d.chars().any(|c| c.is_ascii_control()),
                "{d}"
            );
            assert_eq!(
                decode_description(&d),
                Some((s.to_owned(), u.to_owned())),
                "{d}"
            );
        }
        assert_eq!(
            encode_description("https://r.io", "bob"),
            "https://r.io bob"
        );
        assert_eq!(decode_description("no-separator"), None);
        assert_eq!(decode_description("a b c"), None);
        assert_eq!(decode_description("a %zz"), None);
    }
}
