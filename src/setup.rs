//! `setup`: make docker use this helper, in one step.
//!
//! Sets `credsStore` (or `credHelpers` per `--registry`) in Docker's config, after checking that
//! docker can find the helper and a keychain works; plaintext credentials are imported first
//! (as [`crate::import`] does), and a failed import changes nothing. See docs/design.md.

use crate::Hint;
use crate::docker_config::{self, DockerConfig, Json, Saved};
use crate::import;
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
    #[error("cannot write the report: {0}")]
    Output(#[source] std::io::Error),
    #[error("setup cancelled: nothing was changed")]
    Cancelled,
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Error::Import(e) => e.hint(),
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
    /// Leave plaintext credentials where they are.
    pub no_import: bool,
    /// Do not ask before importing, even on a terminal.
    pub yes: bool,
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
/// CLI looks up), and for Docker Hub both `index.docker.io` (docker CLI) and `docker.io`
/// (podman, skopeo, buildah).
pub fn helper_keys(registry: &str) -> Vec<String> {
    let trimmed = registry
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = trimmed.split('/').next().unwrap_or("").to_ascii_lowercase();
    if crate::registry::DOCKER_HUB_ALIASES.contains(&host.as_str()) {
        vec!["index.docker.io".into(), "docker.io".into()]
    } else {
        vec![host]
    }
}

/// Apply the setup edit to `config`; returns a warning when another helper is replaced (an
/// existing credsStore, or credHelpers entries).
pub fn apply(config: &mut DockerConfig, registries: &[String]) -> Option<String> {
    let suffix = crate::HELPER_SUFFIX;
    if registries.is_empty() {
        let previous = config.creds_store().map(str::to_owned);
        config
            .root
            .insert("credsStore", Json::String(suffix.to_owned()));
        return previous.filter(|p| p != suffix && !p.is_empty()).map(|p| {
            format!(
                "warning: credsStore was {p:?}; credentials stored by docker-credential-{p} are not moved: log in again where needed"
            )
        });
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
                replaced.push(format!("{key} (was {other:?})"));
            }
            helpers.insert(key, Json::String(suffix.to_owned()));
        }
    }
    (!replaced.is_empty()).then(|| {
        format!(
            "warning: credHelpers for {} now use this helper; credentials stored by the previous helpers are not moved: log in again where needed",
            replaced.join(", ")
        )
    })
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
) -> Result<(), Error> {
    let path = docker_config::config_path()?;
    run_at(options, settings, &path, out, err)
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
    crate::backend::open(settings, options.backend.as_deref()).map_err(Error::NoKeychain)?;

    // Validate the file (and refuse bad input) before anything else happens.
    let config = DockerConfig::load(path)?;
    let plaintext = import::has_plaintext(config.auths());
    drop(config);

    if plaintext && !options.no_import {
        let import_options = import::Options {
            backend: options.backend.clone(),
            allow_volatile: options.allow_volatile,
            ..Default::default()
        };
        import::refuse_volatile(&import_options, settings, path)?;
        let go = options.yes
            || !std::io::stdin().is_terminal()
            || confirm(
                out,
                "config.json holds plaintext credentials; move them into the keychain now?",
            )?;
        if !go {
            return Err(Error::Cancelled);
        }
        import::run_docker(&import_options, settings, path, out, err)?;
    }

    let (warning, saved) = docker_config::edit(path, |config| {
        Ok::<_, Error>(apply(config, &options.registries))
    })?;
    if let Some(w) = warning {
        say(out, &w)?;
    }
    let what = if options.registries.is_empty() {
        "\"credsStore\": \"keyring\"".to_owned()
    } else {
        let keys: Vec<String> = options
            .registries
            .iter()
            .flat_map(|r| helper_keys(r))
            .collect();
        format!("\"credHelpers\" for {}", keys.join(", "))
    };
    match saved {
        Saved::Unchanged => say(
            out,
            &format!("{} already has {what}: nothing to change", path.display()),
        )?,
        Saved::Written { backup, .. } => {
            let backup = backup
                .map(|b| format!(" (previous file kept as {})", b.display()))
                .unwrap_or_default();
            say(out, &format!("{} now has {what}{backup}", path.display()))?;
        }
    }
    if plaintext && options.no_import {
        say(
            out,
            "plaintext credentials are still in config.json and docker will no longer use them: run `docker-credential-keyring import` to move them into the keychain",
        )?;
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
        assert_eq!(helper_keys("docker.io"), ["index.docker.io", "docker.io"]);
        assert_eq!(
            helper_keys("https://index.docker.io/v1/"),
            ["index.docker.io", "docker.io"]
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
