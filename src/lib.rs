//! docker-credential-keyring: a Docker credential helper on the operating system's keychain,
//! and a bridge that turns stored credentials into Kubernetes pull secrets.
//!
//! The binary (`src/main.rs`) only parses arguments and dispatches; every behaviour lives here,
//! one module per concern:
//!
//! - [`protocol`]: the credential-helper wire protocol: the actions, their messages
//!   ([`protocol::Error`]), Go-exact JSON ([`protocol::json`]) and the client that runs other
//!   helpers ([`protocol::client`]).
//! - [`registry`]: which stored server address answers a query.
//! - [`backend`]: the keychain backends behind one small trait, and how one is chosen;
//!   [`store_lock`]: the lock that serializes writes to a store.
//! - [`settings`]: every `DOCKER_CREDENTIAL_KEYRING_*` variable and our config file and
//!   directories ([`settings::file`]), read once.
//! - [`docker_config`]: the docker CLI's config.json, read and edited byte for byte.
//! - [`secret`]: the redacting, zeroizing wrapper every secret lives in; [`hint`]: the remedy
//!   printed after an error.
//! - [`child`]: another program run within one deadline, its output capped, killed with its group.
//! - [`source`]: where `push` reads credentials: the keychain, docker's own resolution, a helper.
//! - [`push`]: stored credentials to Kubernetes pull secrets (`push` only: the helper path
//!   never starts its async runtime or kube client); [`push::pull_secret`] is the Secret itself.
//! - [`sync`]: saved pushes, `sync` (once, `--every`, on `store`); [`expiry`]: when a
//!   token says it expires.
//! - [`status`]: what our pull Secrets hold in each cluster, and why a pod cannot pull.
//! - [`commands`]: the other commands people run (`setup`, `import`, `doctor`, `backends`,
//!   `completions`, `man`).
//! - [`untrusted`]: text from a cluster, a helper or a Secret, made safe to print or save.
//! - [`cli`]: the command-line definition, how argv is classified, the grouped help and
//!   `kubectl keyring`; the man pages and completions are generated from it.
//! - [`fs`], [`duration`], [`suggest`], [`hardening`]: small tools the rest share.

pub mod backend;
pub mod child;
pub mod cli;
pub mod commands;
pub mod docker_config;
pub mod duration;
pub mod expiry;
pub mod fs;
pub mod hardening;
pub mod hint;
#[cfg(target_os = "linux")]
pub mod keyctl;
pub mod messages;
pub mod protocol;
pub mod push;
pub mod registry;
pub mod secret;
pub mod settings;
pub mod source;
pub mod status;
pub mod store_lock;
pub mod suggest;
pub mod sync;
pub mod untrusted;

pub use secret::Secret;

/// The name docker finds us by: `docker-credential-<suffix>`.
pub const BINARY_NAME: &str = "docker-credential-keyring";
/// The `credsStore` / `credHelpers` value that selects this helper.
pub const HELPER_SUFFIX: &str = "keyring";
