//! `push`: stored credentials to Kubernetes pull secrets (`push --delete` removes them).
//!
//! Every refusal (names, kubeconfig, credentials the kubelet cannot use) happens before any
//! cluster is contacted; only then is an async runtime started (never on the helper path) and
//! [`cluster`] works on every context × namespace. Push changes only Secrets it made, unless
//! `--adopt`. The rules of ownership are in docs/design.md (Commands).

pub mod cluster;
mod dry_run;
pub mod kubeconfig;
mod listener;
pub mod namespaces;
mod payload;
pub mod pull_secret;
pub mod selector;

pub use payload::Payload;

use crate::hint::Hint;
use crate::messages::{self, Speaker};
use crate::source::Source;
use pull_secret::Refusal;
use std::io::Write;

/// Who push's warnings and notes come from ([`crate::messages`]).
pub const PUSH: Speaker = Speaker::Command("push");

/// The field manager of our server-side applies.
pub const FIELD_MANAGER: &str = crate::BINARY_NAME;

/// What `push` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Registries to push, matched like `get`.
    pub registries: Vec<String>,
    /// Push every credential the source holds.
    pub all: bool,
    /// Where the credentials are read (`--from`).
    pub source: Source,
    /// Target namespaces (empty: each context's own, or the rule's).
    pub namespaces: Vec<String>,
    /// `-A`: every namespace of each context but the system and ignored ones.
    pub all_namespaces: bool,
    /// `--namespace-selector`: the namespaces whose labels match.
    pub namespace_selector: Option<String>,
    /// Namespaces removed from the rule (by `push --delete` of a saved rule push's target).
    pub excluded_namespaces: Vec<String>,
    /// Only these of its targets (what `sync --watch` saw change); empty: all of them.
    pub only_targets: Vec<kubeconfig::Target>,
    /// Kubeconfig contexts (empty: the current one).
    pub contexts: Vec<String>,
    /// The kubeconfig file (None: `$KUBECONFIG`, `~/.kube/config`, then in-cluster).
    pub kubeconfig: Option<std::path::PathBuf>,
    /// The Secret's name.
    pub name: String,
    /// Service accounts whose imagePullSecrets list the Secret.
    pub service_accounts: Vec<String>,
    /// `--dry-run`, and which.
    pub dry_run: Option<DryRun>,
    /// Print manifests in this format (with a dry run only).
    pub output: Option<OutputFormat>,
    /// Create a missing namespace.
    pub create_namespace: bool,
    /// Delete and recreate a Secret that cannot be updated.
    pub replace: bool,
    /// Take over (merge into) a Secret push did not make.
    pub adopt: bool,
    /// Send the passwords to a cluster where they can be read on the way.
    pub insecure: bool,
    /// Remove what push made instead.
    pub delete: bool,
    /// How long each API request may take (at least a second).
    pub request_timeout: std::time::Duration,
    /// The keychain backend override (`--backend`).
    pub backend: Option<String>,
    /// Where a saved push was aimed: its kubeconfig files are read (not `$KUBECONFIG`), a
    /// context that now resolves elsewhere is refused before anything is sent, and its
    /// targets are the pinned namespaces.
    pub pinned: Option<kubeconfig::Pinned>,
}

/// `--dry-run` modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DryRun {
    /// No cluster contact at all.
    Client,
    /// The API server validates and answers without persisting.
    Server,
}

/// `-o` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Json,
    Yaml,
}

/// How a `push` run ended when it got as far as the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every target succeeded.
    AllDone,
    /// At least one target failed (its line says why).
    SomeFailed,
}

/// Why `push` did nothing at all. One line naming cause and fix; never a secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(
        "{query}: no credentials for this registry in {}: run `docker login {query}` first", from.describe()
    )]
    NotStored { query: String, from: Source },
    #[error("no credentials in {}: run `docker login REGISTRY` first", from.describe())]
    NothingStored { from: Source },
    #[error(
        "none of the {skipped} credentials in {} can be pushed (see the lines above): log in with a username and password, under the registry's address", from.describe()
    )]
    NothingUsable { skipped: usize, from: Source },
    #[error(transparent)]
    Source(#[from] crate::source::Error),
    #[error(
        "{first} and {second} are both stored for registry {key} with different credentials: push one of them by name"
    )]
    Ambiguous {
        first: String,
        second: String,
        key: String,
    },
    #[error(
        "invalid secret name {0:?}: use lowercase letters, digits, '-' and '.' (a DNS-1123 subdomain, at most 253 characters)"
    )]
    BadSecretName(String),
    #[error(
        "invalid namespace {0:?}: use lowercase letters, digits and '-' (a DNS-1123 label, at most 63 characters)"
    )]
    BadNamespace(String),
    #[error(
        "invalid service account name {0:?}: use lowercase letters, digits, '-' and '.' (a DNS-1123 subdomain)"
    )]
    BadServiceAccount(String),
    #[error(transparent)]
    BadSelector(#[from] selector::Error),
    #[error(
        "--create-namespace cannot be combined with -A/--all-namespaces or --namespace-selector (they cover namespaces that exist): drop --create-namespace, or name the namespaces with -n"
    )]
    CreateNamespaceWithRule,
    #[error("{0}")]
    RuleUnresolved(String),
    #[error(
        "-n/--namespace, -A/--all-namespaces and --namespace-selector choose the namespaces in different ways: use one of them"
    )]
    NamespacesTwice,
    #[error(
        "-o/--output prints manifests only with --dry-run: add --dry-run (or --dry-run=server)"
    )]
    OutputWithoutDryRun,
    #[error("cannot read the keychain: {0}")]
    Keychain(#[from] crate::protocol::Error),
    #[error(transparent)]
    Kubeconfig(#[from] kubeconfig::Error),
    #[error("cannot start the network runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot write to stdout: {0}")]
    Stdout(#[source] std::io::Error),
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Error::NotStored {
                from: Source::Keychain,
                ..
            } => Some(format!(
                "The registries in the keychain: {} list",
                crate::BINARY_NAME
            )),
            Error::NotStored {
                from: Source::Helper(name),
                ..
            } => Some(format!(
                "The registries it lists: {}{name} list",
                crate::protocol::client::PREFIX
            )),
            Error::Keychain(e) => e.hint(),
            Error::Refused(e) => e.hint(),
            Error::Kubeconfig(e) => e.hint(),
            _ => None,
        }
    }
}

/// Run `push` (or `push --delete`): one line per target to `out`, warnings and notes to `err`.
pub fn run(
    options: &Options,
    settings: &crate::settings::Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, Error> {
    run_reporting(options, settings, out, err).map(|r| r.outcome)
}

/// What a `push` run reports besides its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub outcome: Outcome,
    /// Each pushed registry whose secret says when it expires, with that time (epoch seconds).
    pub expires: Vec<(String, u64)>,
}

/// [`run`], also answering when the pushed credentials expire (for `sync`'s warnings).
pub fn run_reporting(
    options: &Options,
    settings: &crate::settings::Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Report, Error> {
    let mut expires = Vec::new();
    let outcome = run_inner(options, settings, out, err, &mut expires)?;
    Ok(Report { outcome, expires })
}

fn run_inner(
    options: &Options,
    settings: &crate::settings::Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
    expires: &mut Vec<(String, u64)>,
) -> Result<Outcome, Error> {
    check_names(options)?;
    // Exec credential plugins get the deadline of credential helpers.
    let plugin_timeout =
        crate::protocol::client::timeout(settings).map_err(crate::source::Error::from)?;
    if options.output.is_some() && options.dry_run.is_none() {
        return Err(Error::OutputWithoutDryRun);
    }
    // The kubeconfig and --context names are checked before the keychain is read (which can
    // mean an unlock prompt), so a typo costs nothing.
    let client_dry_run = options.dry_run == Some(DryRun::Client);
    let kubeconfig = if client_dry_run {
        None
    } else {
        let kubeconfig = match &options.pinned {
            Some(pinned) => kubeconfig::load_pinned(&pinned.kubeconfig)?,
            None => kubeconfig::load(options.kubeconfig.as_deref())?,
        };
        kubeconfig::check_contexts(kubeconfig.as_ref(), &options.contexts)?;
        let contexts = kubeconfig::contexts(kubeconfig.as_ref(), &options.contexts)?;
        if let Some(pinned) = &options.pinned {
            // Before the keychain is read and before any exec plugin runs.
            kubeconfig::check_pinned(kubeconfig.as_ref(), &contexts, pinned)?;
        }
        kubeconfig
    };
    let payload = if options.delete {
        None
    } else {
        Some(Payload::from_source(options, settings, err)?)
    };
    if let Some(p) = &payload {
        // When it stops working, said once before anything is sent: a token pushed into a
        // cluster goes stale there silently.
        let now = crate::expiry::now();
        for (registry, at) in &p.expires {
            messages::info(
                err,
                PUSH,
                format_args!(
                    "{}",
                    crate::untrusted::line(&crate::expiry::describe(registry, *at, now), 1000)
                ),
            );
        }
        expires.clone_from(&p.expires);
    }
    if client_dry_run && options.rule()?.is_none() {
        return dry_run::dry_run_client(options, payload.as_ref(), out, None);
    }
    // The runtime exists only from here on: the helper actions never build it.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    if client_dry_run {
        // A rule's namespaces are only known to the cluster: listed (read, nothing written).
        let kubeconfig = kubeconfig::load(options.kubeconfig.as_deref())?;
        let targets = runtime.block_on(cluster::rule_targets(
            options,
            kubeconfig,
            plugin_timeout,
            err,
        ))?;
        return dry_run::dry_run_client(options, payload.as_ref(), out, Some(targets));
    }
    runtime.block_on(cluster::run(
        options,
        kubeconfig,
        payload.as_ref(),
        plugin_timeout,
        out,
        err,
    ))
}

/// Where `options` would push now, pinned for `push --save`: the kubeconfig files read, each
/// context's server and CA, the namespaces. Contacts no cluster, runs no exec plugin.
pub fn aim(options: &Options) -> Result<kubeconfig::Pinned, Error> {
    check_names(options)?;
    let config = kubeconfig::load(options.kubeconfig.as_deref())?;
    kubeconfig::check_contexts(config.as_ref(), &options.contexts)?;
    let contexts = kubeconfig::contexts(config.as_ref(), &options.contexts)?;
    let files = match config {
        Some(_) => kubeconfig::files(options.kubeconfig.as_deref()),
        None => Vec::new(),
    };
    let mut pinned = kubeconfig::pin(config.as_ref(), files, &contexts, &options.namespaces)?;
    if options.rule()?.is_some() {
        // The rule is kept, never the list it finds now: re-evaluated at every run.
        for pin in &mut pinned.contexts {
            pin.namespaces.clear();
        }
    }
    Ok(pinned)
}

impl Options {
    /// The rule choosing the namespaces (`-A`, `--namespace-selector`), if any.
    pub fn rule(&self) -> Result<Option<namespaces::Rule>, Error> {
        Ok(match (&self.namespace_selector, self.all_namespaces) {
            (Some(_), true) => return Err(Error::NamespacesTwice),
            (Some(s), false) => Some(namespaces::Rule::Selector(selector::Selector::parse(s)?)),
            (None, true) => Some(namespaces::Rule::All),
            (None, false) => None,
        })
    }
}

fn check_names(options: &Options) -> Result<(), Error> {
    if options.rule()?.is_some() {
        if !options.namespaces.is_empty() {
            return Err(Error::NamespacesTwice);
        }
        if options.create_namespace {
            return Err(Error::CreateNamespaceWithRule);
        }
    }
    if !pull_secret::is_dns1123_subdomain(&options.name) {
        return Err(Error::BadSecretName(options.name.clone()));
    }
    if let Some(ns) = options
        .namespaces
        .iter()
        .find(|n| !pull_secret::is_dns1123_label(n))
    {
        return Err(Error::BadNamespace(ns.clone()));
    }
    if let Some(sa) = options
        .service_accounts
        .iter()
        .find(|n| !pull_secret::is_dns1123_subdomain(n))
    {
        return Err(Error::BadServiceAccount(sa.clone()));
    }
    Ok(())
}
