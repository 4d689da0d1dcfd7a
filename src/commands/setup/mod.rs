//! `setup`: make docker use this helper, in one step, losing no login.
//!
//! Sets `credsStore` (or `credHelpers` per `--registry`) in Docker's config, after checking that
//! docker can find the helper and a keychain works. Whatever docker resolved for the switched
//! registries before comes along: the previous helper's credentials are copied (each read back;
//! that helper is only read) or found already readable in place, plaintext `auths` entries are
//! imported (as [`crate::commands::import`] does); the rest of the file stays as docker reads it. A helper
//! that cannot be read, a failed copy or a conflict changes nothing; the file is written once,
//! and its backup is the file as it was before. See docs/design.md.

mod moving;

pub use moving::{Plan, Scope, reads_in_place, served_by, shared_both_ways};

use crate::commands::ExitStatus;
use crate::commands::import::{self, Plain};
use crate::docker_config::{self, DockerConfig, Json, Saved};
use crate::hint::Hint;
use crate::messages::{self, Level, Speaker};
use crate::settings::Settings;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Why setup stopped. Nothing was changed when one of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "no executable named docker-credential-keyring on PATH, so docker could not run it; install it into a directory on PATH (e.g. `install -m755 {exe} /usr/local/bin/`), then run setup again (nothing was changed)"
    )]
    NotOnPath { exe: String },
    #[error(
        "no usable keychain here, so docker would fail every pull through this helper ({0}); set one up first (nothing was changed)"
    )]
    NoKeychain(#[source] crate::backend::Error),
    #[error(transparent)]
    Config(#[from] docker_config::Error),
    #[error(transparent)]
    Import(#[from] import::Error),
    #[error(transparent)]
    Previous(#[from] moving::Error),
    #[error(
        "the keychain already holds different credentials for {registries} than {program}, which docker uses now; run setup with --overwrite to replace them with {program}'s, or with --no-import to keep the keychain's (nothing was changed)"
    )]
    Conflict { registries: String, program: String },
    #[error("cannot write the report: {0}")]
    Output(#[source] std::io::Error),
    #[error(
        "setup cancelled: nothing was changed; to switch docker without moving the plaintext of {keys}, run setup --no-import (docker then no longer reads them)"
    )]
    Cancelled { keys: String },
    #[error("{0} (docker's config was not changed)")]
    SaveBackend(#[from] crate::settings::file::WriteError),
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Error::Import(e) | Error::Previous(moving::Error::Import(e)) => e.hint(),
            Error::NoKeychain(e) => e.hint(),
            _ => None,
        }
    }
}

/// Options of the `setup` subcommand.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Registries to route to this helper with `credHelpers`; empty: `credsStore`.
    pub registries: Vec<String>,
    /// Bring nothing along: leave plaintext credentials where they are and do not read the
    /// previous helper.
    pub no_import: bool,
    /// Do not ask before importing, even on a terminal.
    pub yes: bool,
    /// Show the whole plan and change nothing.
    pub dry_run: bool,
    /// Replace a different credential the keychain holds with the one docker uses now.
    pub overwrite: bool,
    /// The backend override (`--backend`), for the import.
    pub backend: Option<String>,
    /// Import even into a backend that forgets at reboot (`--allow-volatile`).
    pub allow_volatile: bool,
}

/// Every executable named `name` (`name.exe` on Windows) on `path` (a PATH value), in PATH order.
pub fn find_on_path(name: &str, path: Option<&std::ffi::OsStr>) -> Vec<PathBuf> {
    let Some(path) = path else {
        return Vec::new();
    };
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    std::env::split_paths(path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(&file))
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && executable(&m)))
        .collect()
}

/// Whether a file may be run: an execute bit on Unix; elsewhere the `.exe` name says so.
fn executable(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        true
    }
}

/// The `credHelpers` keys for a registry as given by the user: its host[:port] (what the docker
/// CLI looks up), and for Docker Hub `https://index.docker.io/v1/` (the key the docker CLI looks
/// up for Hub), `index.docker.io` and `docker.io` (podman, skopeo, buildah, docker-py).
pub fn helper_keys(registry: &str) -> Vec<String> {
    use crate::registry::{Address, DOCKER_HUB_KEY, convert_to_hostname};
    let registry = registry.trim();
    let Some(address) = Address::parse(registry) else {
        // Not an address: the name as docker would cut it (setup refuses it before this).
        return vec![convert_to_hostname(registry).to_ascii_lowercase()];
    };
    if address.is_docker_hub() {
        return vec![
            DOCKER_HUB_KEY.into(),
            "index.docker.io".into(),
            "docker.io".into(),
        ];
    }
    // What `docker pull host/app` looks up: the host lowercase, the default port left out;
    // then what `docker login` looks up for this spelling, when that differs (a written port).
    let mut keys = vec![address.host_port()];
    let login = convert_to_hostname(registry);
    if login.eq_ignore_ascii_case(&format!("{}:443", address.host))
        || login.eq_ignore_ascii_case(&format!("{}:80", address.host))
    {
        keys.push(login.to_ascii_lowercase());
    }
    keys
}

/// Apply the setup edit to `config`: `credsStore` (no registries) or `credHelpers` entries. Other
/// helpers' `credHelpers` entries are left as they are. Returns what it replaced: the previous
/// `credsStore`, or `credHelpers` entries naming other helpers.
pub fn apply(config: &mut DockerConfig, registries: &[String]) -> Vec<(String, String)> {
    let suffix = crate::HELPER_SUFFIX;
    if registries.is_empty() {
        let previous = config.creds_store().map(str::to_owned);
        config
            .root
            .insert("credsStore", Json::String(suffix.to_owned()));
        return previous
            .filter(|p| p != suffix && !p.is_empty())
            .map(|p| vec![("credsStore".to_owned(), p)])
            .unwrap_or_default();
    }
    let helpers = match config.root.object_entry("credHelpers") {
        Some(h) => h,
        None => {
            // null: replace it with an object.
            config
                .root
                .insert("credHelpers", Json::Object(docker_config::Object::new()));
            config.root.object_entry("credHelpers").expect("just set")
        }
    };
    let mut replaced = Vec::new();
    for registry in registries {
        for key in helper_keys(registry) {
            if let Some(Json::String(other)) = helpers.get(&key)
                && other != suffix
                && !other.is_empty()
            {
                replaced.push((key.clone(), other.clone()));
            }
            helpers.insert(key, Json::String(suffix.to_owned()));
        }
    }
    replaced
}

/// The prefix of a note in setup's report on stdout.
fn note() -> String {
    messages::prefix(Speaker::Report, Level::Note)
}

fn say(out: &mut dyn Write, line: &str) -> Result<(), Error> {
    writeln!(out, "{line}").map_err(Error::Output)
}

fn confirm(out: &mut dyn Write, question: &str) -> Result<bool, Error> {
    write!(out, "{question} [Y/n] ")
        .and_then(|()| out.flush())
        .map_err(Error::Output)?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(Error::Output)?;
    let a = answer.trim().to_ascii_lowercase();
    Ok(a.is_empty() || a == "y" || a == "yes")
}

/// Run setup on Docker's config, writing a human report to `out` and warnings to `err`.
pub fn run(
    options: &Options,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let path = docker_config::config_path()?;
    run_at(options, settings, &path, out, err).map(|()| ExitStatus::Success)
}

/// What the switch sets, for the report.
fn what(options: &Options) -> String {
    if options.registries.is_empty() {
        "\"credsStore\": \"keyring\"".to_owned()
    } else {
        let keys: Vec<String> = options
            .registries
            .iter()
            .flat_map(|r| helper_keys(r))
            .collect();
        format!("\"credHelpers\" for {}", keys.join(", "))
    }
}

/// The longest server or user name the report repeats.
const MAX_SHOWN: usize = 300;

/// The counts of the move, per kind.
#[derive(Debug, Default)]
struct Counts {
    moved: usize,
    already: usize,
    not_brought: usize,
}

/// Print the per-registry lines of `plan` (`dry`: as what would happen).
fn report_plan(
    plan: &Plan,
    backend: &str,
    dry: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
    file: &str,
) -> Result<Counts, Error> {
    let mut n = Counts::default();
    // What a helper listed is its text, not ours: one printable, bounded line.
    let clean = |text: &str| crate::untrusted::line(text, MAX_SHOWN);
    let describe = |p: &Plain| clean(&format!("{} ({})", p.server, p.describe()));
    let into = if dry {
        String::new()
    } else {
        format!(" ({backend})")
    };
    for h in &plan.helpers {
        let program = &h.program;
        for p in &h.sorted.to_store {
            let verb = if dry { "would copy" } else { "copied" };
            say(
                out,
                &format!(
                    "{verb} {} from {program} into the keychain{into}",
                    describe(p)
                ),
            )?;
            n.moved += 1;
        }
        for p in &h.sorted.already {
            let line = if h.in_place {
                format!(
                    "{}: already readable: the {backend} backend reads {program}'s items in place (nothing copied)",
                    describe(p)
                )
            } else {
                format!(
                    "{}: already readable: the keychain holds the same credential as {program}",
                    describe(p)
                )
            };
            say(out, &line)?;
            n.already += 1;
        }
        for (server, why) in &h.empty {
            say(out, &format!("could not bring {}: {why}", clean(server)))?;
            n.not_brought += 1;
        }
        for (server, other) in &h.elsewhere {
            say(
                out,
                &format!(
                    "left {} to {other}: credHelpers sends it there, and still will",
                    clean(server)
                ),
            )?;
        }
    }
    for p in &plan.file.to_store {
        let verb = if dry { "would move" } else { "moved" };
        say(
            out,
            &format!("{verb} {} from {file} into the keychain{into}", describe(p)),
        )?;
        n.moved += 1;
    }
    for p in &plan.file.already {
        say(out, &format!("{} was already in the keychain", describe(p)))?;
        n.already += 1;
    }
    for (p, user) in &plan.file.conflicts {
        messages::warning(
            err,
            Speaker::Report,
            format_args!(
                "kept {} in {file}: the keychain already holds a different credential for it (user {user}); setup --overwrite replaces it",
                p.server
            ),
        );
    }
    for p in &plan.shadowed {
        messages::warning(
            err,
            Speaker::Report,
            format_args!(
                "kept {} in {file}: docker used the helper's credential for it, which is brought instead",
                p.server
            ),
        );
    }
    for (u, lost) in &plan.unmovable {
        let consequence = if *lost {
            n.not_brought += 1;
            format!(
                "; docker asks this helper for it from now on: log in again (docker login {})",
                u.key
            )
        } else {
            String::new()
        };
        messages::warning(
            err,
            Speaker::Report,
            format_args!(
                "left {} in {file} exactly as it is: {}{consequence}",
                u.key, u.why
            ),
        );
    }
    Ok(n)
}

/// The backend named by `--backend` for this run, and our config file: docker's own calls carry
/// no flag, so the choice is kept where they read it. (A DOCKER_CREDENTIAL_KEYRING_BACKEND the
/// user exported is theirs to keep.)
fn backend_to_keep(
    settings: &Settings,
    flag: Option<&str>,
    opened: &str,
) -> Option<(String, std::path::PathBuf)> {
    use crate::backend::select::{Origin, requested};
    let (name, origin) = requested(settings, flag).ok()?;
    let named = matches!(origin, Origin::Flag) && name != "auto";
    (named && name == opened).then(|| Some((name, settings.config_path()?.to_owned())))?
}

/// Run setup on the config file at `path`.
pub fn run_at(
    options: &Options,
    settings: &Settings,
    path: &Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Error> {
    let found = find_on_path(crate::BINARY_NAME, std::env::var_os("PATH").as_deref());
    if found.is_empty() {
        let exe = std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| crate::BINARY_NAME.to_owned());
        return Err(Error::NotOnPath { exe });
    }

    // With no usable keychain every `get` would be an error, and docker fails a pull on any
    // error but "not found": never switch docker over to a helper that cannot answer.
    let backend =
        crate::backend::open(settings, options.backend.as_deref()).map_err(Error::NoKeychain)?;
    let backend_name = backend.name();

    // One lock over the whole read, copy and write (a dry run writes nothing and takes none,
    // since taking it may create the directory).
    let _lock = if options.dry_run {
        None
    } else {
        Some(docker_config::lock(path)?)
    };
    // Validate the file (and refuse bad input) before anything else happens.
    let mut config = DockerConfig::load(path)?;
    let file = path.display().to_string();
    let scope = if options.registries.is_empty() {
        Scope::Everything
    } else {
        Scope::Registries(&options.registries)
    };
    let plan = if options.no_import {
        Plan::default()
    } else {
        moving::plan(&config, path, scope, settings, &*backend, options.overwrite)?
    };
    drop(backend);
    let import_options = import::Options {
        backend: options.backend.clone(),
        allow_volatile: options.allow_volatile,
        ..Default::default()
    };
    let strips = !plan.file.to_store.is_empty() || !plan.file.already.is_empty();

    let keep = backend_to_keep(settings, options.backend.as_deref(), backend_name);
    if options.dry_run {
        let n = report_plan(&plan, backend_name, true, out, err, &file)?;
        if let Some((name, path)) = &keep {
            say(
                out,
                &format!("would save \"backend\": {name:?} in {}", path.display()),
            )?;
        }
        let replaced = apply(&mut config, &options.registries);
        let was = match replaced.iter().find(|(k, _)| k == "credsStore") {
            Some((_, p)) => format!(" (was {p:?})"),
            None => replaced_list(&replaced),
        };
        if config.is_changed() {
            say(out, &format!("would set {} in {file}{was}", what(options)))?;
        } else {
            say(out, &format!("{file} already has {}", what(options)))?;
        }
        counts_line(out, &n, true)?;
        if let Some(conflict) = first_conflict(&plan) {
            say(out, &format!("{}setup would stop here: {conflict}", note()))?;
        }
        if strips && let Err(e) = import::refuse_volatile(&import_options, settings, path) {
            say(out, &format!("{}setup would stop here: {e}", note()))?;
        }
        return say(out, "dry run: nothing was changed");
    }

    if let Some(conflict) = first_conflict(&plan) {
        return Err(conflict);
    }
    // What --no-import leaves behind that docker no longer reads.
    let left_plaintext = if options.no_import {
        moving::switched_plaintext(&config, path, scope)
    } else {
        Vec::new()
    };
    if strips {
        import::refuse_volatile(&import_options, settings, path)?;
        let keys: Vec<&str> = plan
            .file
            .to_store
            .iter()
            .chain(&plan.file.already)
            .map(|p| p.key.as_str())
            .collect();
        let keys = keys.join(", ");
        let go = options.yes
            || !std::io::stdin().is_terminal()
            || confirm(
                out,
                &format!(
                    "config.json holds plaintext credentials for {keys}; move them into the keychain now?"
                ),
            )?;
        if !go {
            return Err(Error::Cancelled { keys });
        }
    }

    // Copy, each read back through a fresh backend; any failure stops before the file changes.
    let open =
        || crate::backend::open(settings, options.backend.as_deref()).map_err(import::Error::Open);
    let mut to_store: Vec<Plain> = Vec::new();
    for h in &plan.helpers {
        to_store.extend(h.sorted.to_store.iter().cloned());
    }
    to_store.extend(plan.file.to_store.iter().cloned());
    if !to_store.is_empty() {
        import::store_verified(&open, &to_store)?;
    }
    let n = report_plan(&plan, backend_name, false, out, err, &file)?;
    // The backend named for this run becomes docker's too (its calls carry no flag or
    // variable of ours), before docker is switched to it.
    if let Some((name, path)) = &keep
        && crate::settings::file::save_backend(path, name)?
    {
        say(
            out,
            &format!(
                "saved \"backend\": {name:?} in {}, so docker's calls use it too",
                path.display()
            ),
        )?;
        if let Ok(kind) = crate::backend::Kind::parse(name) {
            let facts = kind.facts();
            say(
                out,
                &format!(
                    "{name} keeps: {}; for how long: {}",
                    facts.keeps, facts.lasts
                ),
            )?;
        }
    }

    // Now, and only now, the file: the moved plaintext stripped and the switch, in one write.
    let mut moved_file: Vec<Plain> = plan.file.to_store.clone();
    moved_file.extend(plan.file.already.iter().cloned());
    let stripped = import::strip(&mut config, &moved_file, false)?;
    let replaced = apply(&mut config, &options.registries);
    let saved = config.save()?;
    let previous_store = replaced
        .iter()
        .find(|(k, _)| k == "credsStore")
        .map(|(_, v)| v.clone());
    match &saved {
        Saved::Unchanged => say(
            out,
            &format!("{file} already has {}: nothing to change", what(options)),
        )?,
        Saved::Written { backup, .. } => {
            let was = previous_store
                .as_ref()
                .map(|p| format!(" instead of {p:?}"))
                .unwrap_or_else(|| replaced_list(&replaced));
            let backup = backup
                .as_ref()
                .map(|b| format!(" (the previous file is kept as {})", b.display()))
                .unwrap_or_default();
            say(
                out,
                &format!("{file} now has {}{was}{backup}", what(options)),
            )?;
        }
    }
    if stripped > 0 {
        say(
            out,
            &format!(
                "removed {stripped} plaintext secret(s) from {file}; the entries stay as the empty stubs Docker keeps"
            ),
        )?;
        if let Saved::Written {
            backup: Some(bak), ..
        } = &saved
        {
            say(out, &import::backup_note(bak))?;
        }
    }
    if n.moved + n.already + n.not_brought > 0 {
        counts_line(out, &n, false)?;
    }
    for h in &plan.helpers {
        let stays = if h.shared_both_ways {
            "it reads the same items, so every login stays readable there"
        } else {
            "it keeps what it held; logins made from now on are only in the keychain"
        };
        say(
            out,
            &format!(
                "{} was left as it is; to go back, {}: {stays}",
                h.program,
                going_back(&h.program, &previous_store, &replaced, options, &file)
            ),
        )?;
    }
    if options.no_import {
        if !left_plaintext.is_empty() {
            say(
                out,
                &format!(
                    "plaintext credentials for {} are still in config.json and docker will no longer use them: run `docker-credential-keyring import` to move them into the keychain",
                    left_plaintext.join(", ")
                ),
            )?;
        }
        if let Some(p) = &previous_store {
            say(
                out,
                &format!(
                    "nothing was brought from docker-credential-{p} (--no-import): run `docker-credential-keyring import --from-helper {p}` to copy its logins, or log in again"
                ),
            )?;
        }
    }
    if let Some(kind) =
        crate::backend::select::requested_volatile(settings, options.backend.as_deref())
    {
        if stripped > 0 {
            say(
                out,
                &format!(
                    "warning (--allow-volatile): the only copy of these credentials is now in {}, which keeps them {}; after that, `docker login` again",
                    kind.name(),
                    kind.facts().lasts
                ),
            )?;
        }
        if plan.helpers.iter().any(|h| !h.sorted.to_store.is_empty()) {
            say(
                out,
                &format!(
                    "{}{} keeps the copies {}; the helpers they came from still hold them",
                    messages::prefix(Speaker::Report, Level::Warning),
                    kind.name(),
                    kind.facts().lasts
                ),
            )?;
        }
    }
    say(
        out,
        &format!(
            "docker finds the helper at {}; check everything with `docker-credential-keyring doctor`",
            found[0].display()
        ),
    )?;
    Ok(())
}

/// What going back to `program` takes, as an instruction: set the `credsStore` or the
/// `credHelpers` entries it had again, or remove the entries setup added.
fn going_back(
    program: &str,
    previous_store: &Option<String>,
    replaced: &[(String, String)],
    options: &Options,
    file: &str,
) -> String {
    let name = program
        .strip_prefix(crate::protocol::client::PREFIX)
        .unwrap_or(program);
    if previous_store.as_deref() == Some(name) {
        return format!("set \"credsStore\": {name:?} again in {file}");
    }
    let keys: Vec<String> = replaced
        .iter()
        .filter(|(k, v)| k != "credsStore" && v == name)
        .map(|(k, v)| format!("{k:?}: {v:?}"))
        .collect();
    if keys.is_empty() {
        // It is still the credsStore, serving every other registry.
        let added: Vec<String> = options
            .registries
            .iter()
            .flat_map(|r| helper_keys(r))
            .collect();
        format!(
            "remove the \"credHelpers\" entries for {} from {file}",
            added.join(", ")
        )
    } else {
        format!(
            "set \"credHelpers\" {{{}}} again in {file}",
            keys.join(", ")
        )
    }
}

fn replaced_list(replaced: &[(String, String)]) -> String {
    let list: Vec<String> = replaced
        .iter()
        .filter(|(k, _)| k != "credsStore")
        .map(|(k, v)| format!("{k} was {v:?}"))
        .collect();
    if list.is_empty() {
        String::new()
    } else {
        format!(" ({})", list.join(", "))
    }
}

fn counts_line(out: &mut dyn Write, n: &Counts, dry: bool) -> Result<(), Error> {
    say(
        out,
        &format!(
            "logins: {} {}, {} already readable, {} could not be brought",
            n.moved,
            if dry {
                "to copy or move"
            } else {
                "copied or moved"
            },
            n.already,
            n.not_brought
        ),
    )
}

/// A helper's credential the keychain answers differently (not replaced without --overwrite).
fn first_conflict(plan: &Plan) -> Option<Error> {
    plan.helpers
        .iter()
        .find(|h| !h.sorted.conflicts.is_empty())
        .map(|h| Error::Conflict {
            registries: h
                .sorted
                .conflicts
                .iter()
                .map(|(p, _)| p.server.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            program: h.program.clone(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_keys_are_hosts() {
        assert_eq!(
            helper_keys("https://reg.example:5000/v2/"),
            ["reg.example:5000"]
        );
        assert_eq!(helper_keys("Reg.Example"), ["reg.example"]);
        // docker pull registry.example.com/app looks up the host without the default port.
        assert_eq!(
            helper_keys("https://Registry.Example.com:443/v2/"),
            ["registry.example.com", "registry.example.com:443"]
        );
        assert_eq!(
            helper_keys("http://r2.example.com:80/"),
            ["r2.example.com", "r2.example.com:80"]
        );
        assert_eq!(helper_keys("HTTP://r2.example.com:80/"), ["r2.example.com"]);
        assert_eq!(helper_keys("r3.example.com:8443"), ["r3.example.com:8443"]);
        assert_eq!(
            helper_keys("docker.io"),
            [
                "https://index.docker.io/v1/",
                "index.docker.io",
                "docker.io"
            ]
        );
        assert_eq!(
            helper_keys("https://index.docker.io/v1/"),
            [
                "https://index.docker.io/v1/",
                "index.docker.io",
                "docker.io"
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn find_on_path_needs_an_executable_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("tool");
        std::fs::write(&f, "").unwrap();
        let path = std::ffi::OsString::from(dir.path());
        assert!(find_on_path("tool", Some(&path)).is_empty());
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(find_on_path("tool", Some(&path)), [f]);
        assert!(find_on_path("tool", None).is_empty());
    }
}
