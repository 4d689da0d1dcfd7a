//! `doctor`: is this machine set up to use the helper, and if not, what fixes it.
//!
//! Checks, in order: the backend in use and why it was chosen; a round trip through it with a
//! throw-away entry (store, get, erase, then make sure it is gone), which also tells reachable
//! from locked; where `store` and `erase` take their per-user lock and whether that place is
//! safe (created by nothing here); the binary docker would run (on PATH, and the same version as this one); and
//! Docker's config (parseable, `credsStore`/`credHelpers` pointing here, registries that
//! `credHelpers` sends to other helpers, plaintext secrets still in `auths` or in the backup,
//! empty `auths` entries no helper serves, and how to go back to the store setup replaced).
//! Each problem comes with the command that fixes it. Exit status 0 only when nothing is a
//! problem (notes do not count); `--json` prints the same as one JSON object.

use super::ExitStatus;
use crate::backend::{self, Backend, Credential};
use crate::commands::import;
use crate::docker_config::{self, DockerConfig, Object};
use crate::hint::Hint;
use crate::secret::Secret;
use crate::settings::Settings;
use serde::Serialize;
use std::convert::Infallible;
use std::io::Write;
use std::path::Path;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Ok,
    /// Worth knowing, not a problem.
    Note,
    /// Docker will not get its credentials from the keychain as expected.
    Problem,
}

/// One check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
    /// The command (or action) that fixes it, for problems and notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// The whole diagnosis.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub healthy: bool,
    pub backend: Option<String>,
    /// The store/erase lock every process of this user shares (see [`crate::store_lock`]).
    pub store_lock: Option<std::path::PathBuf>,
    pub checks: Vec<Check>,
}

/// Which backend would be used, and why.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The name asked for (`auto` when nothing forces one).
    pub requested: String,
    /// Why: which flag, variable, config file or `auto` rule picked it.
    pub why: String,
}

/// Why the backend is the one it is, from [`backend::select`]: `--backend`,
/// `DOCKER_CREDENTIAL_KEYRING_BACKEND`, the config file, or what `auto` found.
pub fn describe_choice(settings: &Settings, flag: Option<&str>) -> Choice {
    use backend::select;
    match select::requested(settings, flag) {
        Err(e) => Choice {
            requested: "?".into(),
            why: format!("the choice cannot be made: {e}"),
        },
        Ok((name, select::Origin::Default)) => match select::auto(settings) {
            Ok(choice) => Choice {
                requested: choice.kind.name().to_owned(),
                // What and why in one short line; `backends` has why each other was not.
                why: if choice.passed_over.is_empty() {
                    format!("picked by auto: {}", choice.usable)
                } else {
                    let names: Vec<&str> = choice.passed_over.iter().map(|k| k.name()).collect();
                    format!(
                        "picked by auto: {}; passed over {} (`docker-credential-keyring backends` says why)",
                        choice.usable,
                        names.join(", ")
                    )
                },
            },
            Err(_) => Choice {
                requested: name,
                why: "auto found no usable backend".into(),
            },
        },
        Ok((name, origin)) => Choice {
            requested: name,
            why: format!("chosen by {}", origin.describe()),
        },
    }
}

fn check(name: &'static str, status: Status, detail: String, fix: Option<String>) -> Check {
    Check {
        name,
        status,
        detail,
        fix,
    }
}

/// Why the round trip failed, with the backend's own remedy when it has one.
struct Failed {
    detail: String,
    fix: Option<String>,
}

impl From<String> for Failed {
    fn from(detail: String) -> Self {
        Failed { detail, fix: None }
    }
}

impl From<&str> for Failed {
    fn from(detail: &str) -> Self {
        detail.to_owned().into()
    }
}

/// Store, read back and erase a throw-away credential; always tries to clean up. Each step
/// goes through a fresh backend from `open`, so what is checked is what was persisted.
fn round_trip(
    backend: &dyn Backend,
    open: &dyn Fn() -> Result<Box<dyn Backend>, backend::Error>,
) -> Result<(), Failed> {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nonce = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let server = format!(
        "https://doctor-{}-{nonce}.docker-credential-keyring.invalid",
        std::process::id()
    );
    let credential = Credential {
        server_url: server.clone(),
        username: "doctor".into(),
        secret: Secret::new(format!("throw-away-{nonce}")),
    };
    backend.store(&credential).map_err(|e| Failed {
        detail: format!("storing a test entry failed: {e}"),
        fix: e.hint(),
    })?;
    let reopen = |what: &str| {
        open().map_err(|e| Failed::from(format!("reopening the keychain to {what} failed: {e}")))
    };
    let read = reopen("read the test entry back")?.get(&server);
    let erased = reopen("erase the test entry")?.erase(&server);
    match read {
        Ok(Some(c)) if c == credential => {}
        Ok(Some(_)) => return Err("the test entry read back differs from what was stored".into()),
        Ok(None) => return Err("the test entry was stored but cannot be read back".into()),
        Err(e) => return Err(format!("reading the test entry back failed: {e}").into()),
    }
    match erased {
        Ok(true) => {}
        Ok(false) => return Err("erasing the test entry deleted nothing".into()),
        Err(e) => return Err(format!("erasing the test entry failed: {e}").into()),
    }
    match reopen("check the test entry is gone")?.get(&server) {
        Ok(None) => Ok(()),
        Ok(Some(_)) => Err(format!("the test entry {server} is still there after erase").into()),
        Err(e) => Err(format!("checking the test entry was erased failed: {e}").into()),
    }
}

fn backend_checks(
    settings: &Settings,
    flag: Option<&str>,
    checks: &mut Vec<Check>,
) -> Option<String> {
    let choice = describe_choice(settings, flag);
    let opened = backend::open(settings, flag);
    match opened {
        Err(e) => {
            checks.push(check(
                "backend",
                Status::Problem,
                if choice.requested == "auto" {
                    e.to_string()
                } else {
                    format!("{} ({}) cannot be opened: {e}", choice.requested, choice.why)
                },
                Some(e.hint().unwrap_or_else(|| {
                    format!(
                        "choose a working backend: docker-credential-keyring doctor --backend NAME, then set {}=NAME",
                        crate::settings::BACKEND_ENV
                    )
                })),
            ));
            None
        }
        Ok(b) => {
            let name = b.name().to_owned();
            checks.push(check(
                "backend",
                Status::Ok,
                format!("{name} ({})", choice.why),
                None,
            ));
            match round_trip(&*b, &|| backend::open(settings, flag)) {
                Ok(()) => checks.push(check(
                    "keychain",
                    Status::Ok,
                    format!("reachable and unlocked: a test entry was stored, read back and erased in {name}"),
                    None,
                )),
                Err(failed) => checks.push(check(
                    "keychain",
                    Status::Problem,
                    format!("{name}: {}", failed.detail),
                    Some(failed.fix.unwrap_or_else(|| {
                        format!(
                            "unlock or start the keychain, or pick another backend with {}=NAME",
                            crate::settings::BACKEND_ENV
                        )
                    })),
                )),
            }
            Some(name)
        }
    }
}

fn path_checks(checks: &mut Vec<Check>) {
    let found = crate::commands::setup::find_on_path(
        crate::BINARY_NAME,
        std::env::var_os("PATH").as_deref(),
    );
    let Some(first) = found.first() else {
        let exe = std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| crate::BINARY_NAME.into());
        checks.push(check(
            "binary",
            Status::Problem,
            format!(
                "no {} on PATH: docker cannot run the helper",
                crate::BINARY_NAME
            ),
            Some(format!("install -m755 {exe} /usr/local/bin/")),
        ));
        return;
    };
    // Ask it its version; `version` never reads stdin and needs no keychain.
    let version = std::process::Command::new(first)
        .arg("version")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output();
    let ours = crate::protocol::version_line();
    match version {
        Ok(o) if o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == ours => checks
            .push(check(
                "binary",
                Status::Ok,
                format!("docker runs {}", first.display()),
                None,
            )),
        Ok(o) => checks.push(check(
            "binary",
            Status::Note,
            format!(
                "docker runs {}, which reports {:?}, not this version ({ours})",
                first.display(),
                String::from_utf8_lossy(&o.stdout).trim()
            ),
            Some(format!("replace {} with this build", first.display())),
        )),
        Err(e) => checks.push(check(
            "binary",
            Status::Problem,
            format!("{} is on PATH but cannot be run: {e}", first.display()),
            Some(format!(
                "reinstall it: install -m755 <new build> {}",
                first.display()
            )),
        )),
    }
}

/// The checks of Docker's config.json, each one its own function below.
fn config_checks(backend: Option<&str>, checks: &mut Vec<Check>) {
    let path = match docker_config::config_path() {
        Ok(p) => p,
        Err(e) => {
            checks.push(check("docker-config", Status::Problem, e.to_string(), None));
            return;
        }
    };
    let config = match DockerConfig::load(&path) {
        Ok(c) => c,
        Err(e) => {
            checks.push(check(
                "docker-config",
                Status::Problem,
                e.to_string(),
                Some(format!(
                    "fix {} by hand (a copy may be in {})",
                    path.display(),
                    docker_config::backup_path(&path).display()
                )),
            ));
            return;
        }
    };
    let suffix = crate::HELPER_SUFFIX;
    let store = config.creds_store().filter(|s| !s.is_empty());
    checks.push(creds_store_check(&path, &config, store));
    checks.extend(cred_helpers_check(&config));
    checks.push(plaintext_check(&path, &config));
    checks.extend(logins_check(&path, &config));
    let bak = docker_config::backup_path(&config.target);
    let backup = std::fs::read(&bak)
        .ok()
        .and_then(|bytes| docker_config::parse(&bak, &bytes).ok());
    checks.extend(backup_check(&bak, backup.as_ref()));
    if store == Some(suffix) {
        checks.extend(going_back_check(&path, &bak, backup.as_ref(), backend));
    }
}

/// `credsStore`: whether docker uses this helper (for every registry, or some by credHelpers).
fn creds_store_check(path: &Path, config: &DockerConfig, store: Option<&str>) -> Check {
    let suffix = crate::HELPER_SUFFIX;
    let ours: Vec<&str> = config
        .cred_helpers()
        .iter()
        .filter(|(_, v)| *v == suffix)
        .map(|(k, _)| *k)
        .collect();
    match store {
        Some(s) if s == suffix => check(
            "credsStore",
            Status::Ok,
            format!("{} has \"credsStore\": \"keyring\"", path.display()),
            None,
        ),
        _ if !ours.is_empty() => check(
            "credsStore",
            Status::Ok,
            format!(
                "{} sends {} to this helper with credHelpers{}",
                path.display(),
                ours.join(", "),
                store
                    .map(|s| format!("; other registries use credsStore {s:?}"))
                    .unwrap_or_default()
            ),
            None,
        ),
        Some(other) => check(
            "credsStore",
            Status::Problem,
            format!(
                "{} has \"credsStore\": {other:?}: docker uses docker-credential-{other}, not this helper",
                path.display()
            ),
            Some("docker-credential-keyring setup".into()),
        ),
        None => check(
            "credsStore",
            Status::Problem,
            format!(
                "{} has no credsStore{}: docker does not use this helper",
                path.display(),
                if config.exists() {
                    ""
                } else {
                    " (the file does not exist)"
                }
            ),
            Some("docker-credential-keyring setup".into()),
        ),
    }
}

/// `credHelpers`: registries docker sends to other helpers.
fn cred_helpers_check(config: &DockerConfig) -> Option<Check> {
    let suffix = crate::HELPER_SUFFIX;
    let helpers = config.cred_helpers();
    let elsewhere: Vec<String> = helpers
        .iter()
        .filter(|(_, v)| *v != suffix)
        .map(|(k, v)| format!("{k} → docker-credential-{v}"))
        .collect();
    (!elsewhere.is_empty()).then(|| {
        check(
            "credHelpers",
            Status::Note,
            format!(
                "credHelpers sends these registries to other helpers: {}",
                elsewhere.join(", ")
            ),
            Some(
                "docker-credential-keyring setup --registry REGISTRY (for each one you want here)"
                    .into(),
            ),
        )
    })
}

/// `plaintext`: secrets still in config.json.
fn plaintext_check(path: &Path, config: &DockerConfig) -> Check {
    if import::has_plaintext(config.auths()) {
        let n = config
            .auths()
            .and_then(|a| import::plaintext_entries(path, a, false).ok())
            .map(|e| {
                e.iter()
                    .map(|p| p.server.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_else(|| "some entries".into());
        check(
            "plaintext",
            Status::Problem,
            format!("{} still holds plaintext secrets for {n}", path.display()),
            Some("docker-credential-keyring import".into()),
        )
    } else {
        check(
            "plaintext",
            Status::Ok,
            "no plaintext secrets in config.json".into(),
            None,
        )
    }
}

/// `logins`: empty auths entries that no helper serves.
fn logins_check(path: &Path, config: &DockerConfig) -> Option<Check> {
    // An empty stub is what docker keeps beside a helper's credential; with no helper to ask,
    // docker sends no credential at all for that registry.
    let unserved: Vec<&str> = config
        .auths()
        .map(|a| {
            a.iter()
                .filter(|(k, e)| {
                    !import::holds_credential(e)
                        && crate::commands::setup::served_by(config, k).is_none()
                })
                .map(|(k, _)| k)
                .collect()
        })
        .unwrap_or_default();
    (!unserved.is_empty()).then(|| {
        check(
            "logins",
            Status::Problem,
            format!(
                "{} has empty auths entries that no credential helper serves, so docker sends no credential for {}",
                path.display(),
                unserved.join(", ")
            ),
            Some(format!(
                "docker-credential-keyring setup, if the keychain holds them (`docker-credential-keyring list`); else docker login {}",
                unserved[0]
            )),
        )
    })
}

/// `backup`: a backup still holding plaintext secrets.
fn backup_check(bak: &Path, backup: Option<&Object>) -> Option<Check> {
    let root = backup?;
    import::has_plaintext(root.get("auths").and_then(|a| a.as_object())).then(|| {
        check(
            "backup",
            Status::Note,
            format!("the backup {} holds plaintext secrets", bak.display()),
            Some(format!("rm {}", bak.display())),
        )
    })
}

/// `going back`: how to return to the helper setup replaced.
fn going_back_check(
    path: &Path,
    bak: &Path,
    backup: Option<&Object>,
    backend: Option<&str>,
) -> Option<Check> {
    let suffix = crate::HELPER_SUFFIX;
    // Going back: setup keeps the file from before it as the backup, and never changes the
    // helper it replaced.
    let p = backup
        .and_then(|root| root.get("credsStore").and_then(|v| v.as_str()))
        .filter(|p| !p.is_empty() && *p != suffix)?;
    let shared = backend
        .and_then(|b| backend::Kind::parse(b).ok())
        .is_some_and(|k| crate::commands::setup::shared_both_ways(p, k));
    let stays = if shared {
        format!(
            "docker-credential-{p} reads the same items as this helper, so every login, old and new, stays readable there"
        )
    } else {
        format!(
            "docker-credential-{p} still holds what it held then (setup only copies); logins made since are only in the keychain"
        )
    };
    Some(check(
        "going back",
        Status::Note,
        format!(
            "the backup {} is from before setup replaced credsStore {p:?}: {stays}",
            bak.display()
        ),
        Some(format!(
            "to go back, set \"credsStore\": {p:?} in {} again (or restore the backup)",
            path.display()
        )),
    ))
}

/// Run every check.
pub fn diagnose(settings: &Settings, backend_flag: Option<&str>) -> Report {
    let mut checks = Vec::new();
    let backend = backend_checks(settings, backend_flag, &mut checks);
    let store_lock = lock_check(settings, &mut checks);
    path_checks(&mut checks);
    config_checks(backend.as_deref(), &mut checks);
    if let Some(why) = crate::sync::unusable_in_background(backend_flag, settings) {
        checks.push(check(
            "sync_on_store",
            Status::Problem,
            why,
            Some("set \"sync_on_store\": false, or choose another backend".into()),
        ));
    }
    Report {
        healthy: checks.iter().all(|c| c.status != Status::Problem),
        backend,
        store_lock,
        checks,
    }
}

/// Where `store` and `erase` lock, and whether that place is safe (nothing is created).
fn lock_check(settings: &Settings, checks: &mut Vec<Check>) -> Option<std::path::PathBuf> {
    let dir = settings.lock_dir.as_deref();
    match crate::store_lock::check_store_lock(dir) {
        Ok(path) => {
            checks.push(check(
                "store lock",
                Status::Ok,
                format!(
                    "{} (the same for every process of this user)",
                    path.display()
                ),
                None,
            ));
            Some(path)
        }
        Err(e) => {
            checks.push(check(
                "store lock",
                Status::Problem,
                e.to_string(),
                Some(format!(
                    "make that directory yours and private (chmod 700), or set {}",
                    crate::settings::LOCK_DIR_ENV
                )),
            ));
            crate::store_lock::store_lock_path(dir).ok()
        }
    }
}

/// Options of `doctor`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The backend override (`--backend`).
    pub backend: Option<String>,
    /// Print JSON instead of text.
    pub json: bool,
}

/// Run every check and print the diagnosis to `out`: exit status 0 when healthy. The report
/// says what is wrong; one that cannot be written has nowhere to (exit status 1).
pub fn run(
    options: &Options,
    settings: &Settings,
    out: &mut dyn Write,
    _err: &mut dyn Write,
) -> Result<ExitStatus, Infallible> {
    let report = diagnose(settings, options.backend.as_deref());
    Ok(match print(&report, options.json, out) {
        Ok(()) if report.healthy => ExitStatus::Success,
        _ => ExitStatus::Failure,
    })
}

/// Print `report` as text (or JSON) to `out`.
pub fn print(report: &Report, json: bool, out: &mut dyn Write) -> std::io::Result<()> {
    if json {
        let text = serde_json::to_string_pretty(report).expect("a report serializes");
        return writeln!(out, "{text}");
    }
    for c in &report.checks {
        let mark = match c.status {
            Status::Ok => "ok     ",
            Status::Note => "note   ",
            Status::Problem => "PROBLEM",
        };
        writeln!(out, "{mark} {:<13} {}", c.name, c.detail)?;
        if let Some(fix) = &c.fix {
            // A remedy written for an error line ("hint: …") reads as the fix itself here; a
            // remedy of several lines starts on a line of its own.
            let fix = fix.strip_prefix("hint: ").unwrap_or(fix);
            let indent = format!("\n{:27}", "");
            if fix.contains('\n') {
                writeln!(
                    out,
                    "        {:<13} fix:{indent}{}",
                    "",
                    fix.replace('\n', &indent)
                )?;
            } else {
                writeln!(out, "        {:<13} fix: {fix}", "")?;
            }
        }
    }
    writeln!(
        out,
        "{}",
        if report.healthy {
            "healthy: docker gets its credentials from the keychain"
        } else {
            "not healthy: run the fixes above, then `docker-credential-keyring doctor` again"
        }
    )
}
