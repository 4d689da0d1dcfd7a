//! `status`: what our pull Secrets hold in every cluster, whether each registry still matches
//! its source, and why a pod cannot pull.
//!
//! Contexts are reached as `push` reaches them (a saved push's pinned kubeconfig, exec plugins
//! once per context, the same refusals of insecure transports). Per context three requests:
//! our Secrets (label-selected), the service accounts and the pending pods, each across all
//! namespaces, falling back to the namespaces in scope one by one where RBAC forbids that.
//! Credentials are compared here, in memory: no secret is ever printed.

mod causes;
mod compare;
mod gather;
mod render;

use crate::settings::Settings;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// What `status` is asked to show.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Kubeconfig contexts (with none of contexts, namespaces, all_namespaces: the saved
    /// pushes' contexts).
    pub contexts: Vec<String>,
    pub namespaces: Vec<String>,
    pub all_namespaces: bool,
    /// The kubeconfig file (None: `$KUBECONFIG`, `~/.kube/config`, then in-cluster).
    pub kubeconfig: Option<PathBuf>,
    pub output: Output,
    /// Read Secrets even over a transport where they can be read on the way.
    pub insecure: bool,
    pub request_timeout: Duration,
    /// The keychain backend override (`--backend`).
    pub backend: Option<String>,
}

/// `-o`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Output {
    #[default]
    Table,
    Wide,
    Json,
    Yaml,
}

/// Why `status` showed nothing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "invalid namespace {0:?}: use lowercase letters, digits and '-' (a DNS-1123 label, at most 63 characters)"
    )]
    BadNamespace(String),
    #[error(transparent)]
    Kubeconfig(#[from] crate::push::kubeconfig::Error),
    #[error(transparent)]
    Saved(#[from] crate::sync::saved::Error),
    #[error("cannot start the network runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot write to stdout: {0}")]
    Stdout(#[source] std::io::Error),
}

impl crate::hint::Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Error::Kubeconfig(e) => crate::hint::Hint::hint(e),
            _ => None,
        }
    }
}

/// How a `status` run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every registry current, no pod in scope failing to pull for a reason found here.
    AllCurrent,
    /// Something is stale, expired, missing, unknown or failing to pull, or a context could
    /// not be read.
    NeedsAttention,
}

/// Run `status`: the report to `out`, per-context errors and notes to `err`.
pub fn run(
    options: &Options,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, Error> {
    if let Some(ns) = options
        .namespaces
        .iter()
        .find(|n| !crate::push::pull_secret::is_dns1123_label(n))
    {
        return Err(Error::BadNamespace(ns.clone()));
    }
    let store = crate::sync::saved::Store::beside(settings.config_path());
    // No config directory means no saved push: the named scope still works.
    let saved = match &store {
        Ok(s) => s.read()?.pushes,
        Err(_) => Vec::new(),
    };
    let plan = gather::plan(options, &saved)?;
    let plugin_timeout = crate::protocol::client::timeout(settings)
        .unwrap_or(crate::protocol::client::DEFAULT_TIMEOUT);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let clusters = runtime.block_on(gather::fetch(&plan, options, plugin_timeout, err));
    drop(runtime);
    let mut sources = compare::Sources::new(settings, options.backend.clone());
    let report = causes::report(&plan, &clusters, &saved, &mut sources, crate::expiry::now());
    for e in &report.errors {
        let _ = writeln!(
            err,
            "{}: status: {}",
            crate::BINARY_NAME,
            crate::untrusted::line(&e.error, 1000)
        );
    }
    render::write(&report, options.output, out).map_err(Error::Stdout)?;
    Ok(if report.healthy() {
        Outcome::AllCurrent
    } else {
        Outcome::NeedsAttention
    })
}
