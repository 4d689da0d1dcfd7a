//! Which backend serves a call: `--backend` > `DOCKER_CREDENTIAL_KEYRING_BACKEND` > the config
//! file > `auto`, which probes the candidates of [`Kind::auto_candidates`] in order. The
//! answer is a [`Choice`] and where it came from; opening it is [`super::open`]'s job. Why the
//! order is what it is: docs/design.md, "Backend selection".

use super::kind::{Found, Kind, Probed, UnknownBackend};
use super::{Error, NothingUsable};
use crate::settings::{BACKEND_ENV, Settings};
use std::path::PathBuf;

/// What was asked for: a backend, or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Auto,
    Kind(Kind),
}

impl Choice {
    /// `auto` or a backend's name.
    pub fn parse(name: &str) -> Result<Choice, UnknownBackend> {
        match name {
            "auto" => Ok(Choice::Auto),
            _ => Kind::parse(name).map(Choice::Kind),
        }
    }
}

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
pub fn requested(
    settings: &Settings,
    flag: Option<&str>,
) -> Result<(String, Origin), crate::settings::file::Error> {
    if let Some(name) = flag {
        return Ok((name.to_owned(), Origin::Flag));
    }
    if let Some(name) = &settings.backend {
        return Ok((name.clone(), Origin::Env));
    }
    if let Some(path) = settings.config_path() {
        let config = settings.config()?;
        if let Some(name) = &config.backend {
            return Ok((name.clone(), Origin::Config(path.to_owned())));
        }
    }
    Ok(("auto".to_owned(), Origin::Default))
}

/// [`requested`], parsed.
pub fn chosen(settings: &Settings, flag: Option<&str>) -> Result<(Choice, Origin), Error> {
    let (name, origin) = requested(settings, flag)?;
    match Choice::parse(&name) {
        Ok(choice) => Ok((choice, origin)),
        Err(unknown) => Err(Error::UnknownBackend {
            unknown,
            config_path: settings.config_path.clone(),
        }),
    }
}

/// What `auto` picked and why.
#[derive(Debug)]
pub struct AutoChoice {
    pub kind: Kind,
    pub reason: String,
    /// Why the picked one is usable (the first part of `reason`).
    pub usable: String,
    /// The candidates before it that were not.
    pub passed_over: Vec<Kind>,
    /// The connection its probe opened, for [`Kind::open_probed`].
    pub probed: Option<Probed>,
}

/// What `auto` picks here, probing candidates in order.
pub fn auto(settings: &Settings) -> Result<AutoChoice, Error> {
    let mut passed_over: Vec<(Kind, String)> = Vec::new();
    for &kind in Kind::auto_candidates() {
        match kind.probe(true, settings) {
            Found::Usable(why, probed) => {
                let usable = why.clone();
                let reason = if passed_over.is_empty() {
                    why
                } else {
                    let before: Vec<String> = passed_over
                        .iter()
                        .map(|(k, w)| format!("{k}: {w}"))
                        .collect();
                    format!("{why} (passed over {})", before.join("; "))
                };
                return Ok(AutoChoice {
                    kind,
                    reason,
                    usable,
                    passed_over: passed_over.into_iter().map(|(k, _)| k).collect(),
                    probed,
                });
            }
            Found::Absent(why) => passed_over.push((kind, why)),
            Found::Broken(e) => return Err(e),
        }
    }
    Err(Error::NothingUsable(NothingUsable {
        passed_over,
        config_path: settings.config_path.clone(),
    }))
}

/// Whether a backend can be used if chosen: `Ok(why)` or `Err(why not)`.
pub fn availability(kind: Kind, settings: &Settings) -> Result<String, String> {
    match kind.probe(false, settings) {
        Found::Usable(why, _) => Ok(why),
        Found::Absent(why) => Err(why),
        Found::Broken(e) => Err(e.to_string()),
    }
}

/// The backend a call would use (`--backend`, the variable, the config file), when it is one
/// that does not survive a reboot. Nothing is probed or opened: `auto` never picks such a
/// backend, and an unreadable config file is left for opening the backend to report.
pub fn requested_volatile(settings: &Settings, flag: Option<&str>) -> Option<Kind> {
    match requested(settings, flag)
        .ok()
        .map(|(name, _)| Choice::parse(&name))
    {
        Some(Ok(Choice::Kind(kind))) if !kind.durable() => Some(kind),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_beats_variable_beats_config_and_auto_is_a_choice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, r#"{"backend":"file"}"#).unwrap();
        let mut settings = Settings::default();
        settings.config_path = Some(path.clone());
        let kind = |s: &Settings, flag| chosen(s, flag).unwrap();
        assert_eq!(
            kind(&settings, None),
            (Choice::Kind(Kind::File), Origin::Config(path))
        );
        settings.backend = Some("keyutils".into());
        assert_eq!(
            kind(&settings, None),
            (Choice::Kind(Kind::Keyutils), Origin::Env)
        );
        assert_eq!(requested_volatile(&settings, None), Some(Kind::Keyutils));
        assert_eq!(kind(&settings, Some("auto")), (Choice::Auto, Origin::Flag));
        assert_eq!(requested_volatile(&settings, Some("pass")), None);
        let e = chosen(&settings, Some("bogus")).unwrap_err();
        assert!(matches!(e, Error::UnknownBackend { .. }), "{e:?}");
    }
}
