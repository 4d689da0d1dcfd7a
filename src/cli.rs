//! The command line: the protocol actions docker runs, and the subcommands people run.
//!
//! The protocol actions (`store`, `get`, `erase`, `list`, `version`) are recognised before clap
//! so that their usage and unknown-action lines stay byte-exact and the helper path stays
//! cheap; everything else goes through clap. The same definition generates the man pages and
//! shell completions.

use crate::protocol::Action;
use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

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
    Backends {
        /// Print JSON for scripts (stable field names)
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        backend: BackendArg,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
    /// Turn stored credentials (or docker's, or another helper's: --from) into Kubernetes pull
    /// secrets (or remove them with --delete)
    Push(PushArgs),
    /// Run every push saved with `push … --save` again, so cluster secrets follow rotated
    /// credentials (once, or --every interval); --list and --forget manage them
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
                  namespaces (where RBAC forbids that, the namespaces in scope one by one). \
                  Credentials are compared on this machine; none is ever printed. Exit status: \
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
    if crate::push::dockerconfig::is_dns1123_label(text) {
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
    /// The library's options.
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
    /// The library's options.
    pub fn options(&self) -> crate::sync::Options {
        crate::sync::Options {
            only: self.only.clone(),
            every: self.every,
            watch: self.watch,
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
    pub fn options(&self, backend: Option<&str>) -> crate::setup::Options {
        crate::setup::Options {
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
    pub fn options(&self, backend: Option<&str>) -> crate::import::Options {
        crate::import::Options {
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
    pub fn options(&self, backend: Option<&str>) -> crate::doctor::Options {
        crate::doctor::Options {
            backend: backend.map(str::to_owned),
            json: self.json,
        }
    }
}

impl PushArgs {
    /// The library's options.
    pub fn options(&self, backend: Option<&str>) -> crate::push::Options {
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
            Command::Backends { backend, .. } => backend,
            Command::Setup(a) => &a.backend,
            Command::Import(a) => &a.backend,
            Command::Doctor(a) => &a.backend,
            Command::Push(a) => &a.backend,
            Command::Sync(a) => &a.backend,
            Command::Status(a) => &a.backend,
            Command::Version | Command::Completions { .. } => return None,
        };
        arg.backend.as_deref()
    }

    /// The protocol action this subcommand is, if it is one.
    pub fn action(&self) -> Option<Action> {
        Some(match self {
            Command::Store(_) => Action::Store,
            Command::Get(_) => Action::Get,
            Command::Erase(_) => Action::Erase,
            Command::List(_) => Action::List,
            Command::Version => Action::Version,
            _ => return None,
        })
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

/// What an argument vector asks for.
#[derive(Debug)]
pub enum Invocation {
    /// A protocol action, as docker runs it: exactly one argument.
    Protocol(Action),
    /// No argument at all: a person exploring; the help, on stdout, exit 0.
    Help,
    /// A protocol action followed by more than options (never what a client sends): the
    /// protocol's usage line, exit 1.
    Usage,
    /// `man DIR`: write the man pages (packaging/generate-assets.sh refreshes man/ with it).
    /// Kept out of clap so that no help, completion or man page offers it.
    Man(PathBuf),
    /// A first word that is no command: said on stderr with what was meant, exit 2.
    Unknown { word: String, meant: Option<String> },
    /// Anything else: parse with clap.
    Cli,
}

/// Sort an argument vector (without the program name) into an [`Invocation`].
pub fn classify(args: &[OsString]) -> Invocation {
    let first = match args.first() {
        None => return Invocation::Help,
        Some(a) => a.to_string_lossy(),
    };
    if let Some(action) = Action::from_arg(&first) {
        if args.len() == 1 {
            return Invocation::Protocol(action);
        }
        // `get --help`, `list --backend pass`: a person's options, for clap. Anything else
        // after an action is not what a client sends.
        let options_follow = args[1..].iter().any(|a| {
            let a = a.to_string_lossy();
            a == "-h" || a == "--help" || a == "--backend" || a.starts_with("--backend=")
        });
        return if options_follow && !first.starts_with('-') {
            Invocation::Cli
        } else {
            Invocation::Usage
        };
    }
    if first == "man" && args.len() == 2 {
        return Invocation::Man(PathBuf::from(&args[1]));
    }
    if !first.starts_with('-') && first != "help" {
        let names = command_names();
        if !names.iter().any(|n| *n == first) {
            return Invocation::Unknown {
                meant: crate::suggest::closest(&first, names.iter().map(String::as_str))
                    .map(str::to_owned),
                word: first.into_owned(),
            };
        }
    }
    Invocation::Cli
}

/// Every command's name and alias (the hidden ones too).
fn command_names() -> Vec<String> {
    use clap::CommandFactory;
    Cli::command()
        .get_subcommands()
        .flat_map(|c| std::iter::once(c.get_name()).chain(c.get_all_aliases()))
        .map(str::to_owned)
        .collect()
}

impl Invocation {
    /// The line for [`Invocation::Unknown`].
    pub fn unknown_line(word: &str, meant: Option<&str>) -> String {
        let word = crate::untrusted::line(word, 60);
        match meant {
            Some(m) => format!(
                "unknown command '{word}': did you mean '{m}'? (--help lists every command)"
            ),
            None => format!("unknown command '{word}': --help lists every command"),
        }
    }
}

/// The clap command, with its commands grouped for the reader in the help: those docker runs,
/// then those people run. Parse with this rather than `Cli::parse`.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let cmd = Cli::command();
    let (mut docker, mut people) = (String::new(), String::new());
    for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
        let name = sub.get_name();
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        let group = if Action::from_arg(name).is_some() {
            &mut docker
        } else {
            &mut people
        };
        group.push_str(&listing_line(name, &about));
    }
    people.push_str(&listing_line(
        "help",
        "Print this help, or a command's (also COMMAND --help)",
    ));
    let mut cmd = cmd;
    for (name, _) in EXAMPLES {
        cmd = cmd.mut_subcommand(name, |sub| {
            let examples = examples_text(name).unwrap_or_default();
            let long = match sub.get_after_help() {
                Some(after) => format!("{after}\n\n{examples}"),
                None => examples,
            };
            sub.after_long_help(long)
        });
    }
    cmd.help_template(format!(
        "{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n\
         Commands docker runs (JSON over stdin and stdout):\n{docker}\n\
         Commands for people:\n{people}\n\
         Options:\n{{options}}{{after-help}}"
    ))
}

/// Examples, per command: in its `--help` (not `-h`) and its man page. tests/cli.rs parses each
/// one with this definition, so none can name an option that does not exist.
pub const EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    (
        "store",
        &[(
            "Store a credential as docker login does (docker runs this itself)",
            r#"printf '{"ServerURL":"ghcr.io","Username":"me","Secret":"TOKEN"}' | docker-credential-keyring store"#,
        )],
    ),
    (
        "get",
        &[(
            "Read it back (the server URL on stdin)",
            "printf ghcr.io | docker-credential-keyring get",
        )],
    ),
    (
        "erase",
        &[(
            "Forget it",
            "printf ghcr.io | docker-credential-keyring erase",
        )],
    ),
    (
        "list",
        &[(
            "Every stored server and its username, from the pass backend",
            "docker-credential-keyring list --backend pass",
        )],
    ),
    ("version", &[("", "docker-credential-keyring version")]),
    (
        "setup",
        &[
            (
                "Make docker use the keychain for every registry",
                "docker-credential-keyring setup",
            ),
            (
                "Only for one registry",
                "docker-credential-keyring setup --registry ghcr.io",
            ),
        ],
    ),
    (
        "import",
        &[
            (
                "See what would move out of config.json",
                "docker-credential-keyring import --dry-run",
            ),
            (
                "Copy podman's logins",
                "docker-credential-keyring import --from",
            ),
            (
                "Copy what Docker's pass helper holds",
                "docker-credential-keyring import --from-helper pass",
            ),
        ],
    ),
    ("doctor", &[("", "docker-credential-keyring doctor")]),
    (
        "backends",
        &[("", "docker-credential-keyring backends --json")],
    ),
    (
        "completions",
        &[(
            "bash, for the current user",
            "docker-credential-keyring completions bash > ~/.local/share/bash-completion/completions/docker-credential-keyring",
        )],
    ),
    (
        "push",
        &[
            (
                "ghcr.io's credential into namespace apps",
                "docker-credential-keyring push ghcr.io -n apps",
            ),
            (
                "… and make the default service account use it",
                "docker-credential-keyring push ghcr.io -n apps --service-account default",
            ),
            (
                "Only print the Secret",
                "docker-credential-keyring push ghcr.io --dry-run -o yaml",
            ),
            (
                "A fresh ECR token from Amazon's helper, saved for sync",
                "docker-credential-keyring push --from helper:ecr-login ACCOUNT.dkr.ecr.REGION.amazonaws.com --save",
            ),
            (
                "Remove it again",
                "docker-credential-keyring push --delete -n apps",
            ),
        ],
    ),
    (
        "sync",
        &[
            (
                "Run every saved push once",
                "docker-credential-keyring sync",
            ),
            (
                "In the foreground, every 30 minutes",
                "docker-credential-keyring sync --every 30m",
            ),
            (
                "What is saved and how it last went",
                "docker-credential-keyring sync --list",
            ),
        ],
    ),
    (
        "status",
        &[
            (
                "Every saved push's Secrets: current, stale, expired or missing",
                "docker-credential-keyring status",
            ),
            (
                "Namespace apps of the current context, with service accounts and saved pushes",
                "docker-credential-keyring status -n apps -o wide",
            ),
            (
                "Every namespace, for scripts",
                "docker-credential-keyring status -A -o json",
            ),
        ],
    ),
];

/// [`EXAMPLES`] of `command` as help text.
fn examples_text(command: &str) -> Option<String> {
    let (_, examples) = EXAMPLES.iter().find(|(c, _)| *c == command)?;
    let mut text = String::from("Examples:");
    for (what, line) in *examples {
        if !what.is_empty() {
            text.push_str(&format!("\n  # {what}"));
        }
        text.push_str(&format!("\n  {line}"));
    }
    Some(text)
}

/// `  NAME         ABOUT`, the about wrapped under itself at 100 columns.
fn listing_line(name: &str, about: &str) -> String {
    const INDENT: usize = 16;
    const WIDTH: usize = 100;
    let mut out = format!("  {name:<width$}", width = INDENT - 2);
    let mut column = INDENT;
    for word in about.split_whitespace() {
        if column > INDENT && column + 1 + word.len() > WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(INDENT));
            column = INDENT;
        } else if column > INDENT {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += word.chars().count();
    }
    out.push('\n');
    out
}

/// The name kubectl runs this binary under for `kubectl keyring` (a link or copy of it).
pub const PLUGIN_NAME: &str = "kubectl-keyring";
/// How people type the plugin: its name in help, usage and errors.
pub const PLUGIN_DISPLAY: &str = "kubectl keyring";
/// The commands `kubectl keyring` offers: the people commands. The protocol actions are
/// docker's; completions and man pages belong to the helper's own name.
const PLUGIN_COMMANDS: &[&str] = &[
    "push", "status", "sync", "setup", "import", "doctor", "backends",
];
/// kubectl's flags that take a value (passed through to a plugin as plain arguments).
const KUBECTL_FLAGS: &[&str] = &[
    "--context",
    "-n",
    "--namespace",
    "--kubeconfig",
    "--backend",
];

/// Whether argv[0]'s file name is [`PLUGIN_NAME`] (with or without `.exe`, any case).
pub fn is_plugin(argv0: Option<&std::ffi::OsStr>) -> bool {
    let name = argv0
        .and_then(|a| std::path::Path::new(a).file_name())
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.strip_suffix(".exe").unwrap_or(&name) == PLUGIN_NAME
}

/// [`classify`] for `kubectl keyring`: only its commands, the protocol actions refused (the
/// line to print, exit 2). kubectl users write its flags first (`kubectl keyring -n apps push
/// ghcr.io`): they are moved after the command, where clap reads them.
pub fn classify_plugin(args: &mut Vec<OsString>) -> Result<Invocation, String> {
    let mut at = 0;
    while let Some(a) = args.get(at).map(|a| a.to_string_lossy()) {
        if !a.starts_with('-') {
            break;
        }
        at += if KUBECTL_FLAGS.contains(&&*a) { 2 } else { 1 };
    }
    let Some(word) = args.get(at).map(|a| a.to_string_lossy().into_owned()) else {
        return Ok(match args.first().map(|a| a.to_string_lossy()) {
            None => Invocation::Help,
            Some(v) if args.len() == 1 && Action::from_arg(&v) == Some(Action::Version) => {
                Invocation::Protocol(Action::Version)
            }
            Some(_) => Invocation::Cli,
        });
    };
    if PLUGIN_COMMANDS.contains(&word.as_str()) || word == "help" || word == "version" {
        if word == "version" && args.len() == 1 {
            return Ok(Invocation::Protocol(Action::Version));
        }
        let command = args.remove(at);
        args.insert(0, command);
        return Ok(Invocation::Cli);
    }
    let helper = crate::BINARY_NAME;
    if Action::from_arg(&word).is_some() {
        return Err(format!(
            "'{word}' is a credential-helper action for docker, not a {PLUGIN_DISPLAY} \
             command: run {helper} {word}"
        ));
    }
    if command_names().contains(&word) {
        return Err(format!(
            "'{word}' is not a {PLUGIN_DISPLAY} command: run {helper} {word}"
        ));
    }
    Ok(Invocation::Unknown {
        meant: crate::suggest::closest(&word, PLUGIN_COMMANDS.iter().copied()).map(str::to_owned),
        word,
    })
}

/// The clap command as `kubectl keyring`: its commands only (the others hidden, and refused by
/// [`classify_plugin`] before clap runs), every usage line saying `kubectl keyring …`.
pub fn plugin_command() -> clap::Command {
    use clap::CommandFactory;
    let mut cmd = Cli::command()
        .name(PLUGIN_NAME)
        .bin_name(PLUGIN_DISPLAY)
        .about(
            "Turn the registry credentials in the system keychain into Kubernetes pull \
             secrets, and keep them in sync",
        )
        .after_help(format!(
            "kubectl's --context, -n and --kubeconfig mean what they mean to kubectl. The \
             credential-helper actions docker runs (store, get, erase, list) are {}'s. Exit \
             status: 0 on success, 1 on any error, 2 for a bad command line. `{PLUGIN_DISPLAY} \
             COMMAND --help` shows a command's options.",
            crate::BINARY_NAME
        ));
    let mut listing = String::new();
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    for name in names {
        if PLUGIN_COMMANDS.contains(&name.as_str()) {
            let sub = cmd.find_subcommand(&name).expect("listed above");
            let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            listing.push_str(&listing_line(&name, &about));
        } else {
            cmd = cmd.mut_subcommand(&name, |s| s.hide(true));
        }
    }
    listing.push_str(&listing_line(
        "help",
        "Print this help, or a command's (also COMMAND --help)",
    ));
    cmd.help_template(format!(
        "{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\nCommands:\n{listing}\n\
         Options:\n{{options}}{{after-help}}"
    ))
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

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn classification() {
        assert!(matches!(classify(&args(&[])), Invocation::Help));
        assert!(matches!(
            classify(&args(&["get"])),
            Invocation::Protocol(Action::Get)
        ));
        assert!(matches!(classify(&args(&["get", "x"])), Invocation::Usage));
        assert!(matches!(
            classify(&args(&["get", "--help"])),
            Invocation::Cli
        ));
        assert!(matches!(
            classify(&args(&["list", "--backend", "pass"])),
            Invocation::Cli
        ));
        assert!(matches!(
            classify(&args(&["--version", "--help"])),
            Invocation::Usage
        ));
        for version in ["--version", "-v", "-V", "version"] {
            assert!(matches!(
                classify(&args(&[version])),
                Invocation::Protocol(Action::Version)
            ));
        }
        assert!(matches!(
            classify(&args(&["GET"])),
            Invocation::Unknown { meant: Some(m), .. } if m == "get"
        ));
        assert!(matches!(
            classify(&args(&["docter", "--json"])),
            Invocation::Unknown { meant: Some(m), .. } if m == "doctor"
        ));
        assert!(matches!(classify(&args(&["push", "x"])), Invocation::Cli));
        assert!(matches!(classify(&args(&["--help"])), Invocation::Cli));
        assert!(matches!(classify(&args(&["help"])), Invocation::Cli));
        assert!(matches!(classify(&args(&["man", "d"])), Invocation::Man(_)));
        assert!(matches!(
            classify(&args(&["--backend", "pass", "get"])),
            Invocation::Cli
        ));
    }

    #[test]
    fn help_groups_the_commands_docker_runs_apart_from_those_people_run() {
        let help = command().render_help().to_string();
        let docker = help.find("Commands docker runs").unwrap();
        let people = help.find("Commands for people").unwrap();
        let options = help.find("Options:").unwrap();
        assert!(docker < people && people < options, "{help}");
        for action in ["store", "get", "erase", "list", "version"] {
            let at = help.find(&format!("\n  {action} ")).unwrap();
            assert!(docker < at && at < people, "{action}: {help}");
        }
        for command in ["setup", "push", "sync", "doctor", "help"] {
            let at = help.find(&format!("\n  {command} ")).unwrap();
            assert!(people < at && at < options, "{command}: {help}");
        }
        assert!(!help.contains("\n  man "), "{help}");
    }

    #[test]
    fn every_example_parses_and_every_command_has_one() {
        use clap::CommandFactory;
        for (name, examples) in EXAMPLES {
            assert!(!examples.is_empty(), "{name}");
            for (_, line) in *examples {
                let ours = line.rsplit('|').next().unwrap().trim();
                let ours = ours.split(" > ").next().unwrap();
                let words: Vec<&str> = ours.split_whitespace().collect();
                assert_eq!(words[1..].first(), Some(name), "{line}");
                if let Err(e) = command().try_get_matches_from(&words) {
                    panic!("{line}: {e}");
                }
            }
        }
        for sub in Cli::command().get_subcommands() {
            assert!(
                EXAMPLES.iter().any(|(n, _)| *n == sub.get_name()),
                "{} has no example",
                sub.get_name()
            );
        }
    }

    #[test]
    fn the_plugin_is_known_by_argv0s_file_name() {
        use std::ffi::OsStr;
        for yes in [
            "kubectl-keyring",
            "/usr/bin/kubectl-keyring",
            "KUBECTL-KEYRING.EXE",
            "C:/krew/bin/kubectl-keyring.exe",
        ] {
            assert!(is_plugin(Some(OsStr::new(yes))), "{yes}");
        }
        for no in [
            "docker-credential-keyring",
            "/opt/kubectl-keyring/docker-credential-keyring",
            "kubectl-keyring-dev",
            "",
        ] {
            assert!(!is_plugin(Some(OsStr::new(no))), "{no}");
        }
        assert!(!is_plugin(None));
    }

    #[test]
    fn plugin_classification() {
        let plugin = |a: &[&str]| {
            let mut v = args(a);
            classify_plugin(&mut v).map(|i| (i, v))
        };
        assert!(matches!(plugin(&[]), Ok((Invocation::Help, _))));
        for version in [&["version"][..], &["--version"], &["-V"]] {
            assert!(matches!(
                plugin(version),
                Ok((Invocation::Protocol(Action::Version), _))
            ));
        }
        for action in ["store", "get", "erase", "list"] {
            let line = plugin(&[action]).unwrap_err();
            assert!(line.contains("run docker-credential-keyring"), "{line}");
            assert!(plugin(&["--backend", "pass", action]).is_err());
        }
        assert!(plugin(&["completions", "bash"]).is_err());
        assert!(matches!(
            plugin(&["pusj"]),
            Ok((Invocation::Unknown { meant: Some(m), .. }, _)) if m == "push"
        ));
        // kubectl's flags before the command move after it, values kept in place.
        let (i, v) = plugin(&["-n", "apps", "--context", "c", "push", "ghcr.io"]).unwrap();
        assert!(matches!(i, Invocation::Cli));
        assert_eq!(
            v,
            args(&["push", "-n", "apps", "--context", "c", "ghcr.io"])
        );
        let (_, v) = plugin(&["--context=c", "sync"]).unwrap();
        assert_eq!(v, args(&["sync", "--context=c"]));
        assert!(matches!(plugin(&["--help"]), Ok((Invocation::Cli, _))));
        plugin_command().debug_assert();
    }

    #[test]
    fn clap_definition_is_valid() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
