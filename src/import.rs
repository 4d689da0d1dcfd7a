//! `import`: move the plaintext credentials Docker left in config.json into the keychain.
//!
//! Every `auths` entry holding a secret (`auth` = base64 `user:password`, `username` +
//! `password`, or `identitytoken`, stored as Username `<token>` the way the docker CLI stores
//! it) is written through [`Backend::store`] and read back with [`Backend::get`]. Only when
//! **every** entry was stored and verified are the secrets removed from config.json, leaving the
//! empty `{}` stub Docker itself keeps (it also keeps `email` and anything else non-secret). If
//! any write or read-back fails, config.json is not touched. The whole run holds the config
//! lock, and the strip re-reads the file and only removes a secret that is still the one that
//! was verified.
//!
//! Before writing, each server is looked up in the keychain: the same credential there is just
//! stripped from the file; a *different* one is never overwritten (the file's copy may be the
//! stale one): that entry stays in the file and is reported, unless `--overwrite`. An import
//! that could move nothing at all fails.
//!
//! `config.json.bak` (the backup of the previous file) would otherwise keep the plaintext
//! secrets, so the same entries are stripped from it too.
//!
//! `--from PATH` reads podman/skopeo's `auth.json` (same `auths` format). That file is **copied,
//! never modified**: podman, skopeo and buildah read it directly and consult only `credHelpers`,
//! so stripping it would log them out. Its Docker Hub keys (`docker.io`, …) are stored as
//! `https://index.docker.io/v1/`, the server string the docker CLI uses.
//!
//! **Never into a store that forgets.** A backend that does not survive a reboot (`keyutils`:
//! see [`crate::backend::select::Info::durable`]) would become the only copy once the file is
//! stripped, so import refuses it before anything happens (config.json and its backup keep
//! every byte) and says what that store keeps and for how long; `--allow-volatile` moves them
//! anyway and says where they now live. `--from` needs no flag: its source is never modified,
//! so copying into such a store loses nothing; it only warns.
//!
//! No secret is ever printed: the report names registries and usernames only.

use crate::Hint;
use crate::backend::{self, Backend, Credential, select};
use crate::docker_config::{self, DockerConfig, Json, Object, Saved};
use crate::secret::Secret;
use base64::Engine;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The Username the docker CLI stores for an identity token.
pub const TOKEN_USERNAME: &str = "<token>";
/// The server string the docker CLI uses for Docker Hub.
pub const DOCKER_HUB: &str = "https://index.docker.io/v1/";
/// The fields of an `auths` entry that hold or derive from a secret, removed after import.
const SECRET_FIELDS: &[&str] = &["auth", "username", "password", "identitytoken"];

/// Why an import stopped. Nothing in the config file was changed when one of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] docker_config::Error),
    #[error(
        "{path}: the \"auth\" of {registry:?} is not base64 of user:password; fix or remove that entry, then run import again (nothing was changed)"
    )]
    BadAuth { path: PathBuf, registry: String },
    #[error("cannot open the keychain: {0} (nothing was changed)")]
    Open(#[source] backend::Error),
    #[error(
        "storing the credential for {registry} in the keychain failed: {source}; config.json was not changed"
    )]
    Store {
        registry: String,
        #[source]
        source: backend::Error,
    },
    #[error(
        "reading back the credential for {registry} from the keychain failed: {reason}; config.json was not changed"
    )]
    Verify { registry: String, reason: String },
    #[error("cannot write the report: {0}")]
    Output(#[source] std::io::Error),
    #[error("reading the keychain's entry for {registry} failed: {source} (nothing was changed)")]
    Read {
        registry: String,
        #[source]
        source: backend::Error,
    },
    #[error(
        "nothing was imported: the keychain already holds different credentials for {registries}; run `docker-credential-keyring import --overwrite` to replace them with the ones in the file"
    )]
    AllConflict { registries: String },
    #[error(
        "{path} was not changed: the {backend} backend keeps {keeps}, {lasts}, so the credentials would be lost once removed from the file; pass --allow-volatile to move them anyway, or choose a durable backend with --backend (see `docker-credential-keyring backends`)"
    )]
    Volatile {
        path: PathBuf,
        backend: &'static str,
        keeps: &'static str,
        lasts: &'static str,
    },
    #[error(
        "cannot tell where podman's auth.json is: neither REGISTRY_AUTH_FILE nor XDG_RUNTIME_DIR is set; pass --from PATH"
    )]
    NoAuthFile,
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Error::Open(e) | Error::Store { source: e, .. } | Error::Read { source: e, .. } => {
                e.hint()
            }
            _ => None,
        }
    }
}

/// What a plaintext entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `auth` (base64 `user:password`) or `username` + `password`.
    Password,
    /// `identitytoken` (stored as Username `<token>`).
    IdentityToken,
}

/// One plaintext credential found in a config file.
#[derive(Debug, Clone)]
pub struct Plain {
    /// The `auths` key, as written in the file.
    pub key: String,
    /// The server string it is stored under in the keychain.
    pub server: String,
    pub kind: Kind,
    pub username: String,
    pub secret: Secret,
}

impl Plain {
    fn credential(&self) -> Credential {
        Credential {
            server_url: self.server.clone(),
            username: self.username.clone(),
            secret: self.secret.clone(),
        }
    }

    /// `user alice` or `identity token` — what a report may say about it.
    pub fn describe(&self) -> String {
        match self.kind {
            Kind::Password => format!("user {}", self.username),
            Kind::IdentityToken => "identity token".into(),
        }
    }
}

/// Options of the `import` subcommand.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Read podman/skopeo's auth.json at this path instead of Docker's config (never modified);
    /// an empty path means podman's default ([`podman_auth_file`]).
    pub from: Option<PathBuf>,
    /// Only show what would move.
    pub dry_run: bool,
    /// The backend override (`--backend`).
    pub backend: Option<String>,
    /// Replace a different credential the keychain already holds for the same server.
    pub overwrite: bool,
    /// Strip the file even when the backend forgets at reboot (`--allow-volatile`).
    pub allow_volatile: bool,
}

/// Refuse to strip `path` into a backend that does not survive a reboot, unless
/// `--allow-volatile`: then the credentials' only copy would vanish with it.
pub fn refuse_volatile(options: &Options, path: &Path) -> Result<(), Error> {
    match select::requested_volatile(options.backend.as_deref()) {
        Some(info) if !options.allow_volatile => Err(Error::Volatile {
            path: path.to_owned(),
            backend: info.name,
            keeps: info.keeps,
            lasts: info.lasts,
        }),
        _ => Ok(()),
    }
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Report {
    /// The entries moved (or that would move, in a dry run).
    pub moved: Vec<(String, String)>,
    /// What happened to the config file (None: not touched).
    pub saved: Option<Saved>,
}

/// podman/skopeo's auth.json: `$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`.
pub fn podman_auth_file() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("REGISTRY_AUTH_FILE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|p| !p.is_empty())
        .map(|d| PathBuf::from(d).join("containers/auth.json"))
}

fn is_hub_alias(key: &str) -> bool {
    let host = key
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    matches!(
        host,
        "docker.io" | "index.docker.io" | "registry-1.docker.io" | "index.docker.io/v1"
    )
}

/// The plaintext credentials in an `auths` object, in file order. Stub entries are skipped.
/// The plaintext entries of `config` (read from `path`) and the report that lists them.
fn plan(path: &Path, config: &DockerConfig, podman: bool) -> Result<(Vec<Plain>, Report), Error> {
    let entries = match config.auths() {
        Some(auths) => plaintext_entries(path, auths, podman)?,
        None => Vec::new(),
    };
    let report = Report {
        moved: entries
            .iter()
            .map(|p| (p.server.clone(), p.describe()))
            .collect(),
        saved: None,
    };
    Ok((entries, report))
}

pub fn plaintext_entries(path: &Path, auths: &Object, podman: bool) -> Result<Vec<Plain>, Error> {
    let mut found = Vec::new();
    for (key, entry) in auths.iter() {
        let Json::Object(entry) = entry else { continue };
        let field = |name: &str| {
            entry
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.as_str())
                .filter(|s| !s.is_empty())
        };
        let server = if podman && is_hub_alias(key) {
            DOCKER_HUB.to_owned()
        } else {
            key.to_owned()
        };
        let bad = || Error::BadAuth {
            path: path.to_owned(),
            registry: key.to_owned(),
        };
        let (kind, username, secret) = if let Some(token) = field("identitytoken") {
            (
                Kind::IdentityToken,
                TOKEN_USERNAME.to_owned(),
                Secret::new(token.to_owned()),
            )
        } else if let Some(auth) = field("auth") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| bad())?;
            let decoded = Secret::new(String::from_utf8(decoded).map_err(|_| bad())?);
            let (user, pass) = decoded.expose().split_once(':').ok_or_else(bad)?;
            if user.is_empty() {
                return Err(bad());
            }
            (
                Kind::Password,
                user.to_owned(),
                Secret::new(pass.to_owned()),
            )
        } else if let (Some(user), Some(pass)) = (field("username"), field("password")) {
            (
                Kind::Password,
                user.to_owned(),
                Secret::new(pass.to_owned()),
            )
        } else {
            continue;
        };
        found.push(Plain {
            key: key.to_owned(),
            server,
            kind,
            username,
            secret,
        });
    }
    Ok(found)
}

/// Whether an `auths` object still holds any secret.
pub fn has_plaintext(auths: Option<&Object>) -> bool {
    auths.is_some_and(|a| {
        a.iter().any(|(_, e)| {
            e.as_object().is_some_and(|e| {
                e.iter().any(|(k, v)| {
                    SECRET_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(k))
                        && v.as_str().is_some_and(|s| !s.is_empty())
                })
            })
        })
    })
}

/// Remove the secret fields of the entries in `moved` from `config`, but only where the file
/// still holds the secret that was verified. Returns how many entries were stripped.
fn strip(config: &mut DockerConfig, moved: &[Plain], podman: bool) -> Result<usize, Error> {
    let path = config.path.clone();
    let Some(auths) = config.auths() else {
        return Ok(0);
    };
    let current = plaintext_entries(&path, auths, podman)?;
    let still_same: Vec<&str> = current
        .iter()
        .filter(|c| {
            moved
                .iter()
                .any(|m| m.key == c.key && m.username == c.username && m.secret == c.secret)
        })
        .map(|c| c.key.as_str())
        .collect::<Vec<_>>();
    let keys: Vec<String> = still_same.iter().map(|s| s.to_string()).collect();
    let Some(Json::Object(auths)) = config.root.get_mut("auths") else {
        return Ok(0);
    };
    for (key, entry) in auths.iter_mut() {
        if !keys.iter().any(|k| k == key) {
            continue;
        }
        if let Json::Object(entry) = entry {
            let secret_keys: Vec<String> = entry
                .keys()
                .filter(|k| SECRET_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(k)))
                .map(str::to_owned)
                .collect();
            for k in secret_keys {
                if let Some(mut v) = entry.remove(&k)
                    && let Json::String(s) = &mut v
                {
                    zeroize::Zeroize::zeroize(s);
                }
            }
        }
    }
    Ok(keys.len())
}

fn say(out: &mut dyn Write, args: fmt::Arguments) -> Result<(), Error> {
    out.write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(Error::Output)
}

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

/// Store what needs storing (verified), report conflicts on stderr; the entries now safely in
/// the keychain are returned. Fails when there were entries and none could be moved.
fn move_entries(
    options: &Options,
    entries: Vec<Plain>,
    out: &mut dyn Write,
    verb: &str,
) -> Result<Vec<Plain>, Error> {
    let sorted = sort_against_keychain(&*open(options)?, entries, options.overwrite)?;
    if sorted.to_store.is_empty() && sorted.already.is_empty() {
        return Err(Error::AllConflict {
            registries: sorted
                .conflicts
                .iter()
                .map(|(p, _)| p.server.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let backend = if sorted.to_store.is_empty() {
        open(options)?.name()
    } else {
        store_verified(&|| open(options), &sorted.to_store)?
    };
    list_moves(out, verb, &sorted.to_store, &format!(" ({backend})"))?;
    for p in &sorted.already {
        say(
            out,
            format_args!(
                "{} ({}) was already in the keychain",
                p.server,
                p.describe()
            ),
        )?;
    }
    for (p, user) in &sorted.conflicts {
        eprintln!(
            "warning: kept {} in the file: the keychain already holds a different credential for it (user {user}); `docker-credential-keyring import --overwrite` replaces it",
            p.server
        );
    }
    let mut done = sorted.to_store;
    done.extend(sorted.already);
    Ok(done)
}

/// Run an import, writing a human report to `out`.
pub fn run(options: &Options, out: &mut dyn Write) -> Result<Report, Error> {
    match &options.from {
        Some(from) if from.as_os_str().is_empty() => {
            let from = podman_auth_file().ok_or(Error::NoAuthFile)?;
            run_from_auth_file(options, &from, out)
        }
        Some(from) => run_from_auth_file(options, from, out),
        None => run_docker(options, &docker_config::config_path()?, out),
    }
}

fn open(options: &Options) -> Result<Box<dyn Backend>, Error> {
    backend::open(options.backend.as_deref()).map_err(Error::Open)
}

fn list_moves(
    out: &mut dyn Write,
    verb: &str,
    entries: &[Plain],
    backend: &str,
) -> Result<(), Error> {
    for p in entries {
        say(
            out,
            format_args!(
                "{verb} {} ({}) into the keychain{backend}",
                p.server,
                p.describe()
            ),
        )?;
    }
    Ok(())
}

/// Import Docker's own config.json at `path` and strip it.
pub fn run_docker(options: &Options, path: &Path, out: &mut dyn Write) -> Result<Report, Error> {
    if !docker_config::resolve_target(path).exists() {
        say(
            out,
            format_args!("there is no {}: nothing to import", path.display()),
        )?;
        return Ok(Report::default());
    }
    let _lock = docker_config::lock(path)?;
    let config = DockerConfig::load(path)?;
    let (entries, mut report) = plan(path, &config, false)?;
    if entries.is_empty() {
        say(
            out,
            format_args!(
                "no plaintext credentials in {}: nothing to import",
                path.display()
            ),
        )?;
        return Ok(report);
    }
    if options.dry_run {
        list_moves(out, "would move", &entries, "")?;
        let command = match refuse_volatile(options, path) {
            Ok(()) => "`docker-credential-keyring import`",
            Err(e) => {
                say(out, format_args!("note: import would stop here: {e}"))?;
                "`docker-credential-keyring import --allow-volatile` (or choose a durable backend)"
            }
        };
        say(
            out,
            format_args!("dry run: nothing was changed; run {command} to move them"),
        )?;
        return Ok(report);
    }
    refuse_volatile(options, path)?;
    drop(config);
    let moved = move_entries(options, entries, out, "moved")?;
    // Every entry is in the keychain and verified: now, and only now, strip the file.
    let mut config = DockerConfig::load(path)?;
    let stripped = strip(&mut config, &moved, false)?;
    let saved = config.save()?;
    if let Saved::Written {
        backup: Some(bak), ..
    } = &saved
    {
        strip_backup(bak, &moved);
    }
    report.moved = moved
        .iter()
        .map(|p| (p.server.clone(), p.describe()))
        .collect();
    say(
        out,
        format_args!(
            "removed {stripped} plaintext secret(s) from {}; the entries stay as the empty stubs Docker keeps",
            path.display()
        ),
    )?;
    if options.allow_volatile
        && let Some(info) = select::requested_volatile(options.backend.as_deref())
    {
        say(
            out,
            format_args!(
                "warning (--allow-volatile): the only copy of these credentials is now in {}, which keeps them {}; after that, `docker login` again",
                info.name, info.lasts
            ),
        )?;
    }
    report.saved = Some(saved);
    Ok(report)
}

/// The backup holds the previous file, secrets and all: strip the entries that now live in the
/// keychain from it too. Best effort (the backup is ours); a failure is reported on stderr.
fn strip_backup(bak: &Path, entries: &[Plain]) {
    let result = (|| -> Result<(), Error> {
        let mut backup = DockerConfig::load(bak)?;
        if strip(&mut backup, entries, false)? > 0 {
            backup.save_without_backup()?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        eprintln!(
            "warning: could not remove the imported secrets from the backup {}: {e}; delete it yourself",
            bak.display()
        );
    }
}

/// Copy podman/skopeo's auth.json at `from` into the keychain (the file is left as it is).
fn run_from_auth_file(
    options: &Options,
    from: &Path,
    out: &mut dyn Write,
) -> Result<Report, Error> {
    let file = DockerConfig::load(from)?;
    if !file.exists() {
        return Err(Error::Config(docker_config::Error::Read {
            path: from.to_owned(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        }));
    }
    let (entries, mut report) = plan(from, &file, true)?;
    if entries.is_empty() {
        say(
            out,
            format_args!("no credentials in {}: nothing to import", from.display()),
        )?;
        return Ok(report);
    }
    if options.dry_run {
        list_moves(out, "would copy", &entries, "")?;
        say(out, format_args!("dry run: nothing was changed"))?;
        return Ok(report);
    }
    let moved = move_entries(options, entries, out, "copied")?;
    say(
        out,
        format_args!(
            "{} was left as it is: podman, skopeo and buildah read it directly",
            from.display()
        ),
    )?;
    // Nothing is removed from the source, so a store that forgets loses nothing: a warning,
    // not a refusal.
    if let Some(info) = select::requested_volatile(options.backend.as_deref()) {
        eprintln!(
            "warning: {} keeps the copies {}; {} still holds them",
            info.name,
            info.lasts,
            from.display()
        );
    }
    report.moved = moved
        .iter()
        .map(|p| (p.server.clone(), p.describe()))
        .collect();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str, podman: bool) -> Result<Vec<Plain>, Error> {
        let root = docker_config::parse(Path::new("c.json"), text.as_bytes()).unwrap();
        plaintext_entries(
            Path::new("c.json"),
            root.get("auths").unwrap().as_object().unwrap(),
            podman,
        )
    }

    #[test]
    fn every_form_is_recognised() {
        // alice:pa:ss, base64.
        let e = entries(
            r#"{"auths":{
                "https://index.docker.io/v1/":{"auth":"YWxpY2U6cGE6c3M="},
                "reg.example:5000":{"username":"bob","password":"pw"},
                "tok.example":{"auth":"Ym9iOg==","identitytoken":"idt"},
                "stub.example":{},
                "email.example":{"email":"x@y"}
            }}"#,
            false,
        )
        .unwrap();
        let got: Vec<_> = e
            .iter()
            .map(|p| {
                (
                    p.server.as_str(),
                    p.kind,
                    p.username.as_str(),
                    p.secret.expose().as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "https://index.docker.io/v1/",
                    Kind::Password,
                    "alice",
                    "pa:ss"
                ),
                ("reg.example:5000", Kind::Password, "bob", "pw"),
                ("tok.example", Kind::IdentityToken, "<token>", "idt"),
            ]
        );
    }

    #[test]
    fn podman_hub_keys_become_dockers() {
        let e = entries(
            r#"{"auths":{"docker.io":{"auth":"YTpi"},"quay.io/org":{"auth":"YTpi"}}}"#,
            true,
        )
        .unwrap();
        assert_eq!(e[0].server, DOCKER_HUB);
        assert_eq!(e[1].server, "quay.io/org");
    }

    #[test]
    fn bad_auth_is_refused_without_showing_it() {
        for auth in ["!!!notbase64", "bm9jb2xvbg==" /* nocolon */] {
            let text = format!(r#"{{"auths":{{"r":{{"auth":"{auth}"}}}}}}"#);
            let e = entries(&text, false).unwrap_err();
            assert!(matches!(e, Error::BadAuth { .. }));
            assert!(!e.to_string().contains(auth));
        }
    }

    #[test]
    fn strip_keeps_stub_and_other_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(
            &path,
            r#"{"auths":{"r":{"auth":"YTpi","email":"e@x"},"s":{"identitytoken":"t"}},"other":1}"#,
        )
        .unwrap();
        let mut c = DockerConfig::load(&path).unwrap();
        let moved = plaintext_entries(&path, c.auths().unwrap(), false).unwrap();
        assert_eq!(strip(&mut c, &moved, false).unwrap(), 2);
        assert_eq!(
            String::from_utf8(c.render().to_vec()).unwrap(),
            "{\n\t\"auths\": {\n\t\t\"r\": {\n\t\t\t\"email\": \"e@x\"\n\t\t},\n\t\t\"s\": {}\n\t},\n\t\"other\": 1\n}"
        );
        assert!(!has_plaintext(c.auths()));
    }
}
