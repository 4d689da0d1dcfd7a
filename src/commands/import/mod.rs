//! `import`: move the plaintext credentials Docker left in config.json into the keychain.
//!
//! The file is stripped only once every entry is stored and read back; a different credential
//! already in the keychain is never overwritten without `--overwrite`; a store that forgets at
//! reboot is refused unless `--allow-volatile`; `--from` copies podman's auth.json and never
//! modifies it. No secret is ever printed. The full rules are in docs/design.md (Commands).

mod keychain;
mod plaintext;

pub use keychain::{Sorted, sort_against_keychain, store_verified};
pub use plaintext::{
    Kind, Plain, Unmovable, has_plaintext, holds_credential, plaintext_entries, unmovable,
};

use crate::backend::{self, Backend, select};
use crate::commands::ExitStatus;
use crate::docker_config::{self, DockerConfig, Saved};
use crate::hint::Hint;
use crate::messages::{self, Speaker};
use crate::settings::Settings;
pub(crate) use plaintext::strip;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

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
        "nothing was imported: the keychain already holds different credentials for {registries}; run `docker-credential-keyring import --overwrite` to replace them with the ones in {from}"
    )]
    AllConflict { registries: String, from: String },
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
    #[error(transparent)]
    Helper(#[from] crate::protocol::client::Error),
    #[error(
        "{program} holds no credentials for {registry} (nothing was changed); `{program} list` shows what it holds"
    )]
    NotInHelper { program: String, registry: String },
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

/// Options of the `import` subcommand.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Read podman/skopeo's auth.json at this path instead of Docker's config (never modified);
    /// an empty path means podman's default ([`podman_auth_file`]).
    pub from: Option<PathBuf>,
    /// Copy from the credential helper `docker-credential-NAME` instead (never modified).
    pub from_helper: Option<String>,
    /// With `from_helper`: only these registries, each asked for directly.
    pub registries: Vec<String>,
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
pub fn refuse_volatile(options: &Options, settings: &Settings, path: &Path) -> Result<(), Error> {
    match select::requested_volatile(settings, options.backend.as_deref()) {
        Some(kind) if !options.allow_volatile => Err(Error::Volatile {
            path: path.to_owned(),
            backend: kind.name(),
            keeps: kind.facts().keeps,
            lasts: kind.facts().lasts,
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

/// The plaintext entries of `config` (read from `path`) that can move, and the report that
/// lists them; the entries that cannot all move are warned about on `err` and left out.
fn plan(
    path: &Path,
    config: &DockerConfig,
    podman: bool,
    err: &mut dyn Write,
) -> Result<(Vec<Plain>, Report), Error> {
    let (entries, left) = movable_entries(path, config, podman)?;
    for u in &left {
        warn_unmovable(err, u, &path.display().to_string());
    }
    let report = Report {
        moved: entries
            .iter()
            .map(|p| (p.server.clone(), p.describe()))
            .collect(),
        saved: None,
    };
    Ok((entries, report))
}

/// The plaintext entries of `config` that can move, and those whose fields cannot all move.
pub fn movable_entries(
    path: &Path,
    config: &DockerConfig,
    podman: bool,
) -> Result<(Vec<Plain>, Vec<Unmovable>), Error> {
    let Some(auths) = config.auths() else {
        return Ok((Vec::new(), Vec::new()));
    };
    let left = unmovable(auths);
    let entries = plaintext_entries(path, auths, podman)?
        .into_iter()
        .filter(|p| !left.iter().any(|u| u.key == p.key))
        .collect();
    Ok((entries, left))
}

/// The one warning line for an entry left as it is in `file`.
pub fn warn_unmovable(err: &mut dyn Write, u: &Unmovable, file: &str) {
    messages::warning(
        err,
        Speaker::Report,
        format_args!("left {} in {file} exactly as it is: {}", u.key, u.why),
    );
}

fn say(out: &mut dyn Write, args: fmt::Arguments) -> Result<(), Error> {
    out.write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(Error::Output)
}

/// Store what needs storing (verified), report conflicts on `err`; the entries now safely in
/// the keychain are returned. Fails when there were entries and none could be moved.
fn move_entries(
    options: &Options,
    settings: &Settings,
    entries: Vec<Plain>,
    out: &mut dyn Write,
    err: &mut dyn Write,
    verb: &str,
    source: &str,
) -> Result<Vec<Plain>, Error> {
    let sorted = sort_against_keychain(&*open(options, settings)?, entries, options.overwrite)?;
    if sorted.to_store.is_empty() && sorted.already.is_empty() {
        return Err(Error::AllConflict {
            registries: sorted
                .conflicts
                .iter()
                .map(|(p, _)| p.server.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            from: source.to_owned(),
        });
    }
    let backend = if sorted.to_store.is_empty() {
        open(options, settings)?.name()
    } else {
        store_verified(&|| open(options, settings), &sorted.to_store)?
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
        messages::warning(
            err,
            Speaker::Report,
            format_args!(
                "kept {} in {source}: the keychain already holds a different credential for it (user {user}); `docker-credential-keyring import --overwrite` replaces it",
                p.server
            ),
        );
    }
    let mut done = sorted.to_store;
    done.extend(sorted.already);
    Ok(done)
}

/// Run an import, writing a human report to `out` and warnings to `err`.
pub fn run(
    options: &Options,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    import(options, settings, out, err).map(|_| ExitStatus::Success)
}

/// [`run`], answering what was moved.
pub fn import(
    options: &Options,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Report, Error> {
    if let Some(name) = &options.from_helper {
        return run_from_helper(options, settings, name, out, err);
    }
    match &options.from {
        Some(from) if from.as_os_str().is_empty() => {
            let from = podman_auth_file().ok_or(Error::NoAuthFile)?;
            run_from_auth_file(options, settings, &from, out, err)
        }
        Some(from) => run_from_auth_file(options, settings, from, out, err),
        None => run_docker(options, settings, &docker_config::config_path()?, out, err),
    }
}

fn open(options: &Options, settings: &Settings) -> Result<Box<dyn Backend>, Error> {
    backend::open(settings, options.backend.as_deref()).map_err(Error::Open)
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
pub fn run_docker(
    options: &Options,
    settings: &Settings,
    path: &Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Report, Error> {
    if !docker_config::resolve_target(path).exists() {
        say(
            out,
            format_args!("there is no {}: nothing to import", path.display()),
        )?;
        return Ok(Report::default());
    }
    let _lock = docker_config::lock(path)?;
    let config = DockerConfig::load(path)?;
    let (entries, mut report) = plan(path, &config, false, err)?;
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
        let command = match refuse_volatile(options, settings, path) {
            Ok(()) => "`docker-credential-keyring import`",
            Err(e) => {
                say(
                    out,
                    format_args!(
                        "{}import would stop here: {e}",
                        messages::prefix(Speaker::Report, messages::Level::Note)
                    ),
                )?;
                "`docker-credential-keyring import --allow-volatile` (or choose a durable backend)"
            }
        };
        say(
            out,
            format_args!("dry run: nothing was changed; run {command} to move them"),
        )?;
        return Ok(report);
    }
    refuse_volatile(options, settings, path)?;
    drop(config);
    let moved = move_entries(options, settings, entries, out, err, "moved", "the file")?;
    // Every entry is in the keychain and verified: now, and only now, strip the file.
    let mut config = DockerConfig::load(path)?;
    let stripped = strip(&mut config, &moved, false)?;
    // The backup is the file as it was before this run, so that it can be restored whole.
    let saved = config.save()?;
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
    if let Saved::Written {
        backup: Some(bak), ..
    } = &saved
    {
        say(out, format_args!("{}", backup_note(bak)))?;
    }
    if options.allow_volatile
        && let Some(kind) = select::requested_volatile(settings, options.backend.as_deref())
    {
        say(
            out,
            format_args!(
                "warning (--allow-volatile): the only copy of these credentials is now in {}, which keeps them {}; after that, `docker login` again",
                kind.name(),
                kind.facts().lasts
            ),
        )?;
    }
    report.saved = Some(saved);
    Ok(report)
}

/// What the report says about the backup of a file that held plaintext secrets.
pub fn backup_note(bak: &Path) -> String {
    format!(
        "the previous file is kept as {} (secrets included, so that it can be restored): remove it once docker works (rm {})",
        bak.display(),
        bak.display()
    )
}

/// Copy podman/skopeo's auth.json at `from` into the keychain (the file is left as it is).
fn run_from_auth_file(
    options: &Options,
    settings: &Settings,
    from: &Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Report, Error> {
    let file = DockerConfig::load(from)?;
    if !file.exists() {
        return Err(Error::Config(docker_config::Error::Read {
            path: from.to_owned(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        }));
    }
    let (entries, mut report) = plan(from, &file, true, err)?;
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
    let moved = move_entries(options, settings, entries, out, err, "copied", "the file")?;
    say(
        out,
        format_args!(
            "{} was left as it is: podman, skopeo and buildah read it directly",
            from.display()
        ),
    )?;
    // Nothing is removed from the source, so a store that forgets loses nothing: a warning,
    // not a refusal.
    if let Some(kind) = select::requested_volatile(settings, options.backend.as_deref()) {
        messages::warning(
            err,
            Speaker::Report,
            format_args!(
                "{} keeps the copies {}; {} still holds them",
                kind.name(),
                kind.facts().lasts,
                from.display()
            ),
        );
    }
    report.moved = moved
        .iter()
        .map(|p| (p.server.clone(), p.describe()))
        .collect();
    Ok(report)
}

/// Copy what the credential helper `docker-credential-NAME` holds (every entry it lists, or
/// the registries named) into the keychain, each read back; the helper is only read.
fn run_from_helper(
    options: &Options,
    settings: &Settings,
    name: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Report, Error> {
    use crate::protocol::client::Helper;
    let helper = Helper::find(name, settings)?;
    let program = helper.program().to_owned();
    // Everything is read before anything is written: a registry the helper lacks stops the
    // run with the keychain untouched.
    let mut found = Vec::new();
    if options.registries.is_empty() {
        for server in helper.list()?.into_keys() {
            if let Some(c) = helper.get(&server)? {
                found.push(c);
            } // else erased meanwhile
        }
    } else {
        for registry in &options.registries {
            let c = helper.lookup(registry)?.ok_or_else(|| Error::NotInHelper {
                program: program.clone(),
                registry: registry.clone(),
            })?;
            found.push(c);
        }
    }
    let entries: Vec<Plain> = found.into_iter().map(Plain::from_credential).collect();
    let mut report = Report {
        moved: entries
            .iter()
            .map(|p| (p.server.clone(), p.describe()))
            .collect(),
        saved: None,
    };
    if entries.is_empty() {
        say(
            out,
            format_args!("{program} holds no credentials: nothing to import"),
        )?;
        return Ok(report);
    }
    if options.dry_run {
        list_moves(out, "would copy", &entries, "")?;
        say(out, format_args!("dry run: nothing was changed"))?;
        return Ok(report);
    }
    let moved = move_entries(options, settings, entries, out, err, "copied", &program)?;
    say(out, format_args!("{program} was left as it is"))?;
    // Nothing is removed from the source, so a store that forgets loses nothing.
    if let Some(kind) = select::requested_volatile(settings, options.backend.as_deref()) {
        messages::warning(
            err,
            Speaker::Report,
            format_args!(
                "{} keeps the copies {}; {program} still holds them",
                kind.name(),
                kind.facts().lasts,
            ),
        );
    }
    report.moved = moved
        .iter()
        .map(|p| (p.server.clone(), p.describe()))
        .collect();
    Ok(report)
}
