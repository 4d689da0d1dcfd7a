//! docker-credential-keyring: a Docker credential helper on the operating system's keychain,
//! and a bridge that turns stored credentials into Kubernetes pull secrets.
//!
//! The binary (`src/main.rs`) only parses arguments and dispatches; every behaviour lives here,
//! one module per concern:
//!
//! - [`protocol`]: the credential-helper wire protocol (stdin rules, Go-exact JSON, messages).
//! - [`registry`]: which stored server address answers a query.
//! - [`backend`]: the keychain backends behind one small trait, and how one is chosen.
//! - [`backends`]: the `backends` subcommand (what each backend keeps, which one `auto` picks).
//! - [`settings`]: every `DOCKER_CREDENTIAL_KEYRING_*` variable and the config file, read once.
//! - [`config`]: our config file (the backend choice) and platform directories.
//! - [`secret`]: the redacting, zeroizing wrapper every secret lives in.
//! - [`child`]: another program run within one deadline, its output capped, killed with its group.
//! - [`helper_client`]: other credential helpers run as the docker CLI runs them (`list`, `get`).
//! - [`source`]: where `push` reads credentials: the keychain, docker's own resolution, a helper.
//! - [`push`]: stored credentials to Kubernetes pull secrets (`push` only: the helper path
//!   never starts its async runtime or kube client).
//! - [`sync`]: saved pushes, `sync` (once, `--every`, on `store`); [`expiry`]: when a
//!   token says it expires.
//! - [`status`]: what our pull Secrets hold in each cluster, and why a pod cannot pull.
//! - [`untrusted`]: text from a cluster, a helper or a Secret, made safe to print or save.
//! - [`cli`]: the command-line definition; [`man`] and [`completions`] are generated from it.

pub mod backend;
pub mod backends;
pub mod child;
pub mod cli;
pub mod completions;
pub mod config;
pub mod docker_config;
pub mod doctor;
pub mod duration;
pub mod error;
pub mod expiry;
pub mod fs;
pub mod go_json;
pub mod hardening;
pub mod helper_client;
pub mod import;
#[cfg(target_os = "linux")]
pub mod keyctl;
pub mod lock;
pub mod man;
pub mod protocol;
pub mod push;
pub mod registry;
pub mod secret;
pub mod settings;
pub mod setup;
pub mod source;
pub mod status;
pub mod suggest;
pub mod sync;
pub mod untrusted;

pub use error::{Error, Hint, Result};
pub use secret::Secret;

/// The name docker finds us by: `docker-credential-<suffix>`.
pub const BINARY_NAME: &str = "docker-credential-keyring";
/// The `credsStore` / `credHelpers` value that selects this helper.
pub const HELPER_SUFFIX: &str = "keyring";
