//! `docker-credential-keyring backends`: every backend, whether it works here and why, which
//! one `auto` picks and why, which one a call would use, and what each keeps for how long.
//!
//! `--json` prints one object with stable field names for scripts:
//! `{"selected": {"name", "source", "error"}, "auto": {"name", "reason"},
//!   "backends": [{"name", "supported", "available", "reason", "auto_candidate", "keeps",
//!   "lasts", "durable", "setup"}]}` (`name` is `null` where nothing is usable; `error` is `null` unless
//! the flag, variable or config file names something unusable).

use super::ExitStatus;
use crate::backend::Kind;
use crate::backend::select::{self, Choice};
use crate::settings::Settings;
use serde::Serialize;
use std::convert::Infallible;
use std::io::Write;

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report {
    pub selected: Selected,
    pub auto: Auto,
    pub backends: Vec<BackendRow>,
    /// Where the config file is (for the text, not the JSON).
    #[serde(skip)]
    pub config_path: Option<std::path::PathBuf>,
}

/// What a protocol call would use now.
#[derive(Debug, Serialize)]
pub struct Selected {
    /// The backend name (`null` when the choice cannot be made).
    pub name: Option<String>,
    /// `flag`, `env`, `config` or `default` (then `auto` decided).
    pub source: &'static str,
    /// Why the choice fails, if it does.
    pub error: Option<String>,
}

/// What `auto` picks here.
#[derive(Debug, Serialize)]
pub struct Auto {
    pub name: Option<&'static str>,
    pub reason: String,
}

/// One backend.
#[derive(Debug, Serialize)]
pub struct BackendRow {
    pub name: &'static str,
    #[serde(skip)]
    pub kind: Kind,
    /// Built for this platform.
    pub supported: bool,
    /// Usable here if chosen.
    pub available: bool,
    /// Why (not) available.
    pub reason: String,
    /// Whether `auto` considers it on this platform.
    pub auto_candidate: bool,
    /// Where it keeps secrets.
    pub keeps: &'static str,
    /// How long they last.
    pub lasts: &'static str,
    /// Whether what it keeps survives a reboot.
    pub durable: bool,
    /// The command that sets it up.
    pub setup: String,
}

/// Probe everything and build the report.
pub fn report(settings: &Settings, flag: Option<&str>) -> Report {
    let auto = match select::auto(settings) {
        Ok(choice) => Auto {
            name: Some(choice.kind.name()),
            reason: choice.reason,
        },
        Err(e) => Auto {
            name: None,
            reason: e.to_string(),
        },
    };
    let selected = match select::requested(settings, flag) {
        Err(e) => Selected {
            name: None,
            source: "config",
            error: Some(e.to_string()),
        },
        Ok((name, origin)) => match Choice::parse(&name) {
            Ok(Choice::Auto) => Selected {
                name: auto.name.map(str::to_owned),
                source: origin.label(),
                error: auto.name.is_none().then(|| auto.reason.clone()),
            },
            Ok(Choice::Kind(kind)) => Selected {
                name: Some(name),
                source: origin.label(),
                error: select::availability(kind, settings)
                    .err()
                    .map(|why| format!("{kind} (from {}) is not usable: {why}", origin.describe())),
            },
            Err(_) => Selected {
                error: Some(format!(
                    "unknown backend {name:?} (from {})",
                    origin.describe()
                )),
                name: Some(name),
                source: origin.label(),
            },
        },
    };
    let candidates = Kind::auto_candidates();
    let backends = Kind::ALL
        .into_iter()
        .map(|kind| {
            let facts = kind.facts();
            let (available, reason) = match select::availability(kind, settings) {
                Ok(why) => (true, why),
                Err(why) => (false, why),
            };
            BackendRow {
                name: kind.name(),
                kind,
                supported: kind.supported(),
                available,
                reason,
                auto_candidate: candidates.contains(&kind),
                keeps: facts.keeps,
                lasts: facts.lasts,
                durable: facts.durable,
                setup: kind.facts().setup.to_owned(),
            }
        })
        .collect();
    Report {
        selected,
        auto,
        backends,
        config_path: settings.config_path.clone(),
    }
}

/// What `backends` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The backend override (`--backend`).
    pub backend: Option<String>,
    /// Print JSON instead of text.
    pub json: bool,
}

/// Run the subcommand: print the report as text or JSON to `out`. A report that cannot be
/// written has nowhere to say so: exit status 1.
pub fn run(
    options: &Options,
    settings: &Settings,
    out: &mut dyn Write,
    _err: &mut dyn Write,
) -> Result<ExitStatus, Infallible> {
    let report = report(settings, options.backend.as_deref());
    let text = if options.json {
        let mut s = serde_json::to_string_pretty(&report).expect("the report serializes");
        s.push('\n');
        s
    } else {
        render(&report)
    };
    Ok(
        match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => ExitStatus::Success,
            Err(_) => ExitStatus::Failure,
        },
    )
}

/// The report for people.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for b in &report.backends {
        let state = if !b.supported {
            "not on this platform"
        } else if b.available {
            "available"
        } else {
            "unavailable"
        };
        out.push_str(&format!("{:<15} {state}: {}\n", b.name, b.reason));
        if b.supported {
            out.push_str(&format!("    keeps: {}\n", b.keeps));
            out.push_str(&format!("    lasts: {}\n", b.lasts));
            if !b.available || b.kind.needs_setup_line() {
                out.push_str(&format!("    set up: {}\n", b.setup));
            }
        }
    }
    out.push('\n');
    match report.auto.name {
        Some(name) => out.push_str(&format!(
            "auto picks: {name}, because {}\n",
            report.auto.reason
        )),
        None => out.push_str(&format!("auto picks: nothing: {}\n", report.auto.reason)),
    }
    let s = &report.selected;
    let origin = match s.source {
        "flag" => "--backend".to_owned(),
        "env" => crate::settings::BACKEND_ENV.to_owned(),
        "config" => report
            .config_path
            .as_ref()
            .map(|p| format!("the config file {}", p.display()))
            .unwrap_or_else(|| "the config file".to_owned()),
        _ => "auto (nothing else chose)".to_owned(),
    };
    match (&s.name, &s.error) {
        (_, Some(e)) => out.push_str(&format!("in use: none: {e}\n")),
        (Some(name), None) => out.push_str(&format!("in use: {name}, chosen by {origin}\n")),
        (None, None) => out.push_str("in use: none\n"),
    }
    out
}
