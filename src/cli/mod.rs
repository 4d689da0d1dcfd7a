//! The command line: the protocol actions docker runs, and the subcommands people run.
//!
//! The protocol actions (`store`, `get`, `erase`, `list`, `version`) are recognised before clap
//! so that their usage and unknown-action lines stay byte-exact and the helper path stays
//! cheap; everything else goes through clap. The same definition generates the man pages and
//! shell completions.
//!
//! This file is the definition (every command and option); [`classify`] sorts argv before clap
//! runs, [`help`] is the grouped help and the examples, [`plugin`] is `kubectl keyring`.

pub mod classify;
pub mod help;
pub mod plugin;

use clap::{Parser, Subcommand};

/// A Docker credential helper on the operating system's keychain, and a bridge that turns the
/// stored credentials into Kubernetes pull secrets.
#[derive(Debug, Parser)]
#[command(
    name = "docker-credential-keyring",
    version,
    disable_version_flag = true,
    after_help = "Docker runs the protocol actions itself once ~/.docker/config.json says \
                  \"credsStore\": \"keyring\". Exit status: 0 on success, 1 on any error, 2 \
                  for a bad command line. The protocol actions print their error line on \
                  stdout, as the protocol requires; every other command prints errors on \
                  stderr. `docker-credential-keyring COMMAND --help` shows a command's options."
)]
pub struct Cli {
    /// The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto
    /// (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)
    #[arg(long, value_name = "NAME", value_parser = backend_names(), hide_possible_values = true)]
    pub backend: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

/// `--backend` after a command that opens a keychain (before it, [`Cli::backend`]). Not global:
/// `version` and `completions` open none, so they do not offer it.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BackendArg {
    /// The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto
    /// (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)
    #[arg(long, value_name = "NAME", value_parser = backend_names(), hide_possible_values = true)]
    pub backend: Option<String>,
}

impl Cli {
    /// `--backend`, given before the command or after it (after wins).
    pub fn backend(&self) -> Option<&str> {
        self.command.backend().or(self.backend.as_deref())
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Store the credential read as JSON from stdin: {"ServerURL":…,"Username":…,"Secret":…}
    Store(BackendArg),
    /// Print the credential for the server URL read from stdin, as JSON
    Get(BackendArg),
    /// Erase the credential for the server URL read from stdin
    Erase(BackendArg),
    /// Print every stored server with its username, as JSON (never reads a secret)
    List(BackendArg),
    /// Print the version
    Version,
    /// Make docker use this helper: set "credsStore": "keyring" (or credHelpers with
    /// --registry) in Docker's config.json, bringing along every login docker had for those
    /// registries (the previous helper's, copied and verified, or plaintext ones, imported)
    Setup(SetupArgs),
    /// Move the plaintext credentials in Docker's config.json into the keychain (verified),
    /// then remove them from the file; or copy podman's auth.json (--from) or another
    /// credential helper's entries (--from-helper)
    Import(ImportArgs),
    /// Check the backend, the keychain, the binary on PATH and Docker's config; print the fix
    /// for each problem (exit 0 only when healthy)
    Doctor(DoctorArgs),
    /// Show each keychain backend: available here or not and why, which one `auto` picks, and
    /// what each keeps and for how long
    Backends(BackendsArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions(CompletionsArgs),
    /// Turn stored credentials (or docker's, or another helper's: --from) into Kubernetes pull
    /// secrets (or remove them with --delete)
    Push(PushArgs),
    /// Run every push saved with `push … --save` again, so cluster secrets follow rotated
    /// credentials (once, every --every interval, or --watch to heal within seconds); --list and
    /// --forget manage them
    Sync(SyncArgs),
    /// Show what push put in each cluster: every pull Secret's registries and whether each is
    /// current, stale, expired, missing or unknown, and why a pod cannot pull (with the fix)
    Status(StatusArgs),
}

/// `status` options.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "By default: every saved push's targets and every Secret push made in those \
                  saved pushes' contexts (each reached through the kubeconfig it was pinned to; with no saved push, the \
                  current context and namespace); \
                  --context, -n, -A or --kubeconfig look there instead. Per context three requests: push's \
                  Secrets, the service accounts and the pending pods, each across all \
                  namespaces (where RBAC forbids that, the namespaces in scope one by one); one \
                  more, the namespace list, where a saved push's namespaces are a rule (-A, a \
                  selector). Credentials are compared on this machine; none is ever printed. Exit status: \
                  0 when every registry is current and no pod fails to pull for a cause found \
                  here, 1 otherwise (or when a context cannot be read), 2 for a bad command line."
)]
pub struct StatusArgs {
    #[command(flatten)]
    pub backend: BackendArg,
    /// Namespace to look at (repeatable; default: the context's namespace)
    #[arg(
        short = 'n',
        long = "namespace",
        value_name = "NS",
        conflicts_with = "all_namespaces",
        value_parser = namespace_name
    )]
    pub namespaces: Vec<String>,
    /// Look at every namespace
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Kubeconfig context (repeatable; default: the current context)
    #[arg(long = "context", value_name = "CTX")]
    pub contexts: Vec<String>,
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// wide (adds service accounts, saved-push ids, images and details), json or yaml
    #[arg(short = 'o', long = "output", value_enum, value_name = "FORMAT")]
    pub output: Option<StatusOutput>,
    /// Read Secrets even from a cluster reached over plain http:// (other than a loopback
    /// port only your uid listens on) or with insecure-skip-tls-verify
    #[arg(long)]
    pub insecure: bool,
    /// How long to wait for each API request: 30s, 2m (0 waits as long as the server takes)
    #[arg(long, default_value = "30s", value_name = "DURATION",
          value_parser = crate::duration::parse_timeout)]
    pub request_timeout: std::time::Duration,
}

/// A namespace name (a DNS-1123 label): anything else is a bad command line.
fn namespace_name(text: &str) -> Result<String, String> {
    if crate::push::pull_secret::is_dns1123_label(text) {
        Ok(text.to_owned())
    } else {
        Err(
            "use lowercase letters, digits and '-' (a DNS-1123 label, at most 63 characters)"
                .into(),
        )
    }
}

/// `status -o` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusOutput {
    Wide,
    Json,
    Yaml,
}

impl StatusArgs {
    /// The command's options.
    pub fn options(&self, backend: Option<&str>) -> crate::status::Options {
        use crate::status::Output;
        crate::status::Options {
            contexts: self.contexts.clone(),
            namespaces: self.namespaces.clone(),
            all_namespaces: self.all_namespaces,
            kubeconfig: self.kubeconfig.clone(),
            output: match self.output {
                None => Output::Table,
                Some(StatusOutput::Wide) => Output::Wide,
                Some(StatusOutput::Json) => Output::Json,
                Some(StatusOutput::Yaml) => Output::Yaml,
            },
            insecure: self.insecure,
            request_timeout: self.request_timeout,
            backend: backend.map(str::to_owned),
        }
    }
}

/// `backends` options.
#[derive(Debug, clap::Args)]
pub struct BackendsArgs {
    /// Print JSON for scripts (stable field names)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub backend: BackendArg,
}

impl BackendsArgs {
    /// The command's options.
    pub fn options(&self, backend: Option<&str>) -> crate::commands::backends::Options {
        crate::commands::backends::Options {
            backend: backend.map(str::to_owned),
            json: self.json,
        }
    }
}

/// `completions` options.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    pub shell: clap_complete::Shell,
}

impl CompletionsArgs {
    /// The command's options.
    pub fn options(&self) -> crate::commands::completions::Options {
        crate::commands::completions::Options { shell: self.shell }
    }
}

/// `sync` options.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Each target prints one line, as push does (unchanged when nothing changed); \
                  exit status 1 if any target failed. With --every only changes and failures \
                  are printed, a failing round never ends it, and SIGINT/SIGTERM end it with \
                  exit status 0. To run it regularly instead: systemctl --user enable --now \
                  docker-credential-keyring-sync.timer (every 30 min), or the launchd agent \
                  io.github.docker-credential-keyring.sync on macOS. With \"sync_on_store\": \
                  true in the config file, a store (docker login) for a registry a saved push \
                  includes runs that push in the background. Each saved push goes only where \
                  it was pinned by push --save (kubeconfig files, each context's server and CA, \
                  namespaces), whatever KUBECONFIG says now: a context that now points to \
                  another server or CA fails that push before anything is sent; run the push \
                  again with --save to re-aim it."
)]
pub struct SyncArgs {
    #[command(flatten)]
    pub backend: BackendArg,
    /// Run a round now and then every DURATION (90s, 30m, 1h30m, 2d; at least 1s) until
    /// interrupted, printing only changes and failures
    #[arg(long, value_name = "DURATION", value_parser = crate::sync::parse_interval,
          conflicts_with_all = ["list", "forget"])]
    pub every: Option<std::time::Duration>,
    /// Stay in the foreground watching each context's namespaces and our Secrets: a namespace
    /// entering a saved push's scope gets its Secret, a Secret of ours deleted or edited by
    /// someone else is put back; a whole round re-reads the credentials every --every
    /// (default 5m) and before a known expiry
    #[arg(long, conflicts_with_all = ["list", "forget"])]
    pub watch: bool,
    /// Run only the saved push with this id (repeatable)
    #[arg(long = "only", value_name = "ID", conflicts_with_all = ["list", "forget"])]
    pub only: Vec<u64>,
    /// Show each saved push: its id, what it pushes where, where it is pinned (servers, CA
    /// fingerprints, namespaces, kubeconfig files), when it last ran and each target's last
    /// result
    #[arg(long, conflicts_with = "forget")]
    pub list: bool,
    /// Forget the saved push with this id (its Secrets stay in the clusters)
    #[arg(long, value_name = "ID")]
    pub forget: Option<u64>,
}

impl SyncArgs {
    /// The command's options: run, `--list` or `--forget ID`.
    pub fn options(&self) -> crate::commands::sync::Options {
        use crate::commands::sync::Options;
        if self.list {
            Options::List
        } else if let Some(id) = self.forget {
            Options::Forget(id)
        } else {
            Options::Run(crate::sync::Options {
                only: self.only.clone(),
                every: self.every,
                watch: self.watch,
            })
        }
    }
}

/// `setup` options.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Over another credsStore (pass, secretservice, osxkeychain, wincred, desktop, …) \
                  setup reads every login that helper lists and makes sure docker resolves \
                  the same credential through this helper afterwards: already readable in \
                  place (our secret-service backend reads docker-credential-secretservice's \
                  items, our pass backend docker-credential-pass's), or copied and read back. \
                  The previous helper is never changed, so setting its credsStore again goes \
                  back. credHelpers entries naming other helpers stay as they are. If the \
                  previous helper cannot be read, setup changes nothing and says which logins \
                  would be lost (--no-import switches anyway). config.json is written once; \
                  config.json.bak is the file as it was before."
)]
pub struct SetupArgs {
    #[command(flatten)]
    pub backend: BackendArg,
    /// Use this helper only for REGISTRY (a credHelpers entry); repeatable, bringing REGISTRY's
    /// login along from the helper that served it. Without it, "credsStore": "keyring" makes
    /// it the helper for every registry that credHelpers does not send elsewhere
    #[arg(long = "registry", value_name = "REGISTRY")]
    pub registries: Vec<String>,
    /// Bring nothing along: neither read the previous helper nor move plaintext credentials
    /// (docker ignores both for the switched registries afterwards)
    #[arg(long)]
    pub no_import: bool,
    /// Show the whole plan (what would be copied, moved, left, and the change to config.json);
    /// change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Replace a different credential the keychain already holds for a registry with the one
    /// docker uses now (without it, setup stops and changes nothing)
    #[arg(long)]
    pub overwrite: bool,
    /// Import without asking, even on a terminal
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Import even when the backend forgets at reboot (keyutils): the credentials' only copy
    /// is then lost at the next reboot. Without it, setup refuses and changes nothing
    #[arg(long)]
    pub allow_volatile: bool,
}

/// `import` options.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub backend: BackendArg,
    /// Only show what would move; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Copy from podman/skopeo's auth.json instead (left unchanged). Without PATH:
    /// $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json
    #[arg(long, value_name = "PATH", num_args = 0..=1, conflicts_with = "from_helper")]
    pub from: Option<Option<std::path::PathBuf>>,
    /// Copy the credentials the credential helper docker-credential-NAME (on PATH) lists, or
    /// only the REGISTRY arguments (asked for directly: helpers like ecr-login list nothing);
    /// the helper is only read, never changed
    #[arg(long, value_name = "NAME")]
    pub from_helper: Option<String>,
    /// With --from-helper: copy only these registries
    #[arg(value_name = "REGISTRY", requires = "from_helper")]
    pub registries: Vec<String>,
    /// Replace a different credential the keychain already holds for the same registry
    /// (without it, such entries are kept in the file and reported)
    #[arg(long)]
    pub overwrite: bool,
    /// Strip config.json even when the backend forgets at reboot (keyutils): the credentials'
    /// only copy is then lost at the next reboot. Without it, import refuses and changes
    /// nothing. Not needed with --from, whose file is never modified (a warning only)
    #[arg(long)]
    pub allow_volatile: bool,
}

/// `doctor` options.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub backend: BackendArg,
    /// Print the diagnosis as JSON
    #[arg(long)]
    pub json: bool,
}

impl SetupArgs {
    /// The library's options.
    pub fn options(&self, backend: Option<&str>) -> crate::commands::setup::Options {
        crate::commands::setup::Options {
            registries: self.registries.clone(),
            no_import: self.no_import,
            yes: self.yes,
            dry_run: self.dry_run,
            overwrite: self.overwrite,
            backend: backend.map(str::to_owned),
            allow_volatile: self.allow_volatile,
        }
    }
}

impl ImportArgs {
    /// The library's options.
    pub fn options(&self, backend: Option<&str>) -> crate::commands::import::Options {
        crate::commands::import::Options {
            // `--from` without a path: podman's default file (an empty path means that).
            from: self.from.as_ref().map(|p| p.clone().unwrap_or_default()),
            from_helper: self.from_helper.clone(),
            registries: self.registries.clone(),
            dry_run: self.dry_run,
            backend: backend.map(str::to_owned),
            overwrite: self.overwrite,
            allow_volatile: self.allow_volatile,
        }
    }
}

impl DoctorArgs {
    /// The library's options.
    pub fn options(&self, backend: Option<&str>) -> crate::commands::doctor::Options {
        crate::commands::doctor::Options {
            backend: backend.map(str::to_owned),
            json: self.json,
        }
    }
}

impl PushArgs {
    /// The command's options: the push, and whether to save it.
    pub fn options(&self, backend: Option<&str>) -> crate::commands::push::Options {
        crate::commands::push::Options {
            push: self.push_options(backend),
            save: self.save,
        }
    }

    /// The push's options.
    pub fn push_options(&self, backend: Option<&str>) -> crate::push::Options {
        use crate::push;
        crate::push::Options {
            registries: self.registries.clone(),
            all: self.all,
            source: self.from.clone(),
            namespaces: self.namespaces.clone(),
            all_namespaces: self.all_namespaces,
            namespace_selector: self.namespace_selector.clone(),
            excluded_namespaces: Vec::new(),
            only_targets: Vec::new(),
            contexts: self.contexts.clone(),
            kubeconfig: self.kubeconfig.clone(),
            name: self.name.clone(),
            service_accounts: self.service_accounts.clone(),
            dry_run: self.dry_run.map(|d| match d {
                DryRun::Client => push::DryRun::Client,
                DryRun::Server => push::DryRun::Server,
            }),
            output: self.output.map(|o| match o {
                OutputFormat::Json => push::OutputFormat::Json,
                OutputFormat::Yaml => push::OutputFormat::Yaml,
            }),
            create_namespace: self.create_namespace,
            replace: self.replace,
            adopt: self.adopt,
            insecure: self.insecure,
            delete: self.delete,
            request_timeout: self.request_timeout,
            backend: backend.map(str::to_owned),
            pinned: None,
        }
    }
}

impl Command {
    /// `--backend` given after this command.
    pub fn backend(&self) -> Option<&str> {
        let arg = match self {
            Command::Store(b) | Command::Get(b) | Command::Erase(b) | Command::List(b) => b,
            Command::Backends(a) => &a.backend,
            Command::Setup(a) => &a.backend,
            Command::Import(a) => &a.backend,
            Command::Doctor(a) => &a.backend,
            Command::Push(a) => &a.backend,
            Command::Sync(a) => &a.backend,
            Command::Status(a) => &a.backend,
            Command::Version | Command::Completions(_) => return None,
        };
        arg.backend.as_deref()
    }
}

/// `push`: one pull Secret per namespace holding the selected registries, applied server-side.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Each target prints one line: CONTEXT/NAMESPACE/NAME: created | updated | \
                  unchanged | failed: REASON (and CONTEXT/NAMESPACE/serviceaccount/SA: … per \
                  --service-account). Exit status 1 if any target failed. \
                  push changes only secrets it made (labelled \
                  app.kubernetes.io/managed-by=docker-credential-keyring); see --adopt. \
                  Remove what push made with: push --delete [--service-account SA …]"
)]
pub struct PushArgs {
    #[command(flatten)]
    pub backend: BackendArg,
    /// Registries to push, matched like `get` (`docker.io` finds the Docker Hub entry)
    #[arg(value_name = "REGISTRY", required_unless_present_any = ["all", "delete"], conflicts_with = "all")]
    pub registries: Vec<String>,
    /// Push every credential the source holds (with helper:NAME, what it lists); one whose key
    /// is no registry address, or that the kubelet cannot use, is skipped with a line on stderr
    #[arg(long)]
    pub all: bool,
    /// Where to read the credentials: keychain (this helper's), docker (each registry resolved
    /// as the docker CLI does from its config.json: credHelpers, then credsStore, then
    /// plaintext auths), or helper:NAME (the credential helper docker-credential-NAME on PATH,
    /// e.g. helper:ecr-login; a registry named is asked for directly). Sources are only read
    #[arg(
        long = "from",
        value_name = "SOURCE",
        default_value = "keychain",
        conflicts_with = "delete"
    )]
    pub from: crate::source::Source,
    /// Target namespace (repeatable; default: the context's namespace)
    #[arg(short = 'n', long = "namespace", value_name = "NS")]
    pub namespaces: Vec<String>,
    /// Every namespace of each context but kube-system, kube-public, kube-node-lease and those
    /// annotated docker-credential-keyring/ignore="true", listed at every run (saved: the rule)
    #[arg(short = 'A', long, conflicts_with_all = ["namespaces", "namespace_selector", "create_namespace"])]
    pub all_namespaces: bool,
    /// The namespaces whose labels match, in kubectl's -l syntax (team=a, env!=prod,
    /// tier in (dev,qa), !legacy), system and ignored ones excepted, listed at every run
    #[arg(long, value_name = "SELECTOR", conflicts_with_all = ["namespaces", "create_namespace"])]
    pub namespace_selector: Option<String>,
    /// Kubeconfig context (repeatable; default: the current context)
    #[arg(long = "context", value_name = "CTX")]
    pub contexts: Vec<String>,
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// Name of the Secret
    #[arg(long, default_value = "regcred", value_name = "NAME")]
    pub name: String,
    /// Add the secret to this service account's imagePullSecrets (repeatable)
    #[arg(long = "service-account", value_name = "NAME")]
    pub service_accounts: Vec<String>,
    /// client: contact no cluster, print what would be applied; server: validate on the server
    /// without persisting
    #[arg(long, value_enum, value_name = "MODE", num_args = 0..=1, require_equals = true,
          default_missing_value = "client")]
    pub dry_run: Option<DryRun>,
    /// With --dry-run: print the manifests for `kubectl apply -f -`
    #[arg(short = 'o', long = "output", value_enum, value_name = "FORMAT")]
    pub output: Option<OutputFormat>,
    /// Create a missing namespace
    #[arg(long)]
    pub create_namespace: bool,
    /// Delete and recreate a secret push made that cannot be updated (another type, or
    /// immutable); a secret push did not make also needs --adopt
    #[arg(long)]
    pub replace: bool,
    /// Take over a secret of this name that push did not make (without the
    /// app.kubernetes.io/managed-by label): merge into its .dockerconfigjson, keeping the
    /// registries this push does not write, then label it as push's. Registries push did not
    /// write stay on every later push; on a secret push made, --adopt also keeps those push
    /// wrote before and no longer writes
    #[arg(long)]
    pub adopt: bool,
    /// Send the credentials even to a cluster reached over plain http:// (other than to a
    /// loopback port only your uid listens on, checked on Linux) or with
    /// insecure-skip-tls-verify, where others can read them (a warning per target)
    #[arg(long)]
    pub insecure: bool,
    /// Delete the secret (only if push made it) and remove it from the --service-account lists;
    /// a secret also holding registries push did not write keeps them, loses push's registries
    /// and label, and stays in the lists
    #[arg(long, conflicts_with_all = ["registries", "all", "replace", "adopt", "create_namespace", "output"])]
    pub delete: bool,
    /// How long to wait for each API request: 30s, 2m (a bare number is seconds; 0 waits as
    /// long as the server takes)
    #[arg(long, default_value = "30s", value_name = "DURATION",
          value_parser = crate::duration::parse_timeout)]
    pub request_timeout: std::time::Duration,
    /// Also save this push (everything on this command line but --adopt, --replace, --dry-run
    /// and -o) so `sync` runs it again, pinned to the kubeconfig files, each context's server
    /// and CA, and the namespaces used now (with -A or --namespace-selector: the rule, listed
    /// again at every run); a saved push writing the same Secrets is updated
    /// (which re-aims it). With --dry-run: say what would be saved, and save nothing
    #[arg(long, conflicts_with = "delete")]
    pub save: bool,
}

/// `--dry-run` modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DryRun {
    /// No cluster contact at all
    Client,
    /// The API server validates and answers without persisting
    Server,
}

/// `-o` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Json,
    Yaml,
}
/// Every backend name and `auto`: offered by the shell completions; a misspelt one gets
/// clap's "did you mean".
fn backend_names() -> clap::builder::PossibleValuesParser {
    let mut names = crate::backend::Kind::names();
    names.push("auto");
    clap::builder::PossibleValuesParser::new(names)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_valid() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
