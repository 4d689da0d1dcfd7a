//! Real kubeconfig files for the tests of `push`: clusters, users, contexts, written as the YAML
//! kubectl reads, with token auth, exec credential plugins, CA data (or a wrong CA), and
//! `KUBECONFIG` lists of several files.
//!
//! ```ignore
//! let kc = Kubeconfig::new()
//!     .server("dev", &server)                       // cluster + token user + context "dev"
//!     .context_ns("dev", "apps")
//!     .current("dev");
//! let path = kc.write(dir.path().join("config"));
//! ```

use apiserver_fake::{ApiServer, DEFAULT_TOKEN};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// How a cluster's server certificate is checked.
#[derive(Debug, Clone)]
pub enum Ca {
    /// No CA setting (plain HTTP servers).
    None,
    /// `certificate-authority-data`: base64 of this PEM.
    Data(String),
    /// `certificate-authority`: a file path.
    File(PathBuf),
    /// `insecure-skip-tls-verify: true`.
    Insecure,
}

/// How a user authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No credentials at all.
    Anonymous,
    /// `token:`.
    Token(String),
    /// `tokenFile:` (re-read by clients from time to time).
    TokenFile(PathBuf),
    /// `exec:` with the `client.authentication.k8s.io/v1` API.
    Exec(PathBuf),
}

#[derive(Debug, Clone)]
struct Cluster {
    name: String,
    server: String,
    ca: Ca,
}

#[derive(Debug, Clone)]
struct User {
    name: String,
    auth: Auth,
}

#[derive(Debug, Clone)]
struct Context {
    name: String,
    cluster: String,
    user: String,
    namespace: Option<String>,
}

/// A kubeconfig file being put together.
#[derive(Debug, Clone, Default)]
pub struct Kubeconfig {
    clusters: Vec<Cluster>,
    users: Vec<User>,
    contexts: Vec<Context>,
    current: Option<String>,
}

fn q(s: &str) -> String {
    // A JSON string is a YAML double-quoted scalar.
    serde_json::to_string(s).unwrap()
}

impl Kubeconfig {
    pub fn new() -> Kubeconfig {
        Kubeconfig::default()
    }

    pub fn cluster(mut self, name: &str, server: &str, ca: Ca) -> Kubeconfig {
        self.clusters.push(Cluster {
            name: name.into(),
            server: server.into(),
            ca,
        });
        self
    }

    pub fn user(mut self, name: &str, auth: Auth) -> Kubeconfig {
        self.users.push(User {
            name: name.into(),
            auth,
        });
        self
    }

    pub fn context(
        mut self,
        name: &str,
        cluster: &str,
        user: &str,
        namespace: Option<&str>,
    ) -> Kubeconfig {
        self.contexts.push(Context {
            name: name.into(),
            cluster: cluster.into(),
            user: user.into(),
            namespace: namespace.map(String::from),
        });
        self
    }

    pub fn current(mut self, context: &str) -> Kubeconfig {
        self.current = Some(context.into());
        self
    }

    /// Cluster `name` for `server` (its CA when TLS), user `name` with the server's default
    /// token, and context `name` joining them (namespace unset).
    pub fn server(self, name: &str, server: &ApiServer) -> Kubeconfig {
        self.server_as(name, server, Auth::Token(DEFAULT_TOKEN.into()))
    }

    /// Like [`Kubeconfig::server`] with the given user credentials.
    pub fn server_as(self, name: &str, server: &ApiServer, auth: Auth) -> Kubeconfig {
        let ca = if server.url().starts_with("https") {
            Ca::Data(server.ca_pem().to_string())
        } else {
            Ca::None
        };
        self.cluster(name, &server.url(), ca)
            .user(name, auth)
            .context(name, name, name, None)
    }

    /// Set the namespace of an existing context.
    pub fn context_ns(mut self, context: &str, namespace: &str) -> Kubeconfig {
        let c = self
            .contexts
            .iter_mut()
            .find(|c| c.name == context)
            .expect("a context of this kubeconfig");
        c.namespace = Some(namespace.into());
        self
    }

    /// The file's text (YAML, as kubectl writes it, strings double-quoted).
    pub fn to_yaml(&self) -> String {
        let mut y = String::from("apiVersion: v1\nkind: Config\npreferences: {}\n");
        y.push_str("clusters:\n");
        for c in &self.clusters {
            y.push_str(&format!(
                "- name: {}\n  cluster:\n    server: {}\n",
                q(&c.name),
                q(&c.server)
            ));
            match &c.ca {
                Ca::None => {}
                Ca::Data(pem) => y.push_str(&format!(
                    "    certificate-authority-data: {}\n",
                    B64.encode(pem)
                )),
                Ca::File(p) => y.push_str(&format!(
                    "    certificate-authority: {}\n",
                    q(&p.to_string_lossy())
                )),
                Ca::Insecure => y.push_str("    insecure-skip-tls-verify: true\n"),
            }
        }
        y.push_str("users:\n");
        for u in &self.users {
            y.push_str(&format!("- name: {}\n  user:", q(&u.name)));
            match &u.auth {
                Auth::Anonymous => y.push_str(" {}\n"),
                Auth::Token(t) => y.push_str(&format!("\n    token: {}\n", q(t))),
                Auth::TokenFile(p) => y.push_str(&format!(
                    "\n    tokenFile: {}\n",
                    q(&p.to_string_lossy())
                )),
                Auth::Exec(cmd) => y.push_str(&format!(
                    "\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      args: [\"get-token\"]\n      interactiveMode: Never\n      provideClusterInfo: false\n",
                    q(&cmd.to_string_lossy())
                )),
            }
        }
        y.push_str("contexts:\n");
        for c in &self.contexts {
            y.push_str(&format!(
                "- name: {}\n  context:\n    cluster: {}\n    user: {}\n",
                q(&c.name),
                q(&c.cluster),
                q(&c.user)
            ));
            if let Some(ns) = &c.namespace {
                y.push_str(&format!("    namespace: {}\n", q(ns)));
            }
        }
        if let Some(cur) = &self.current {
            y.push_str(&format!("current-context: {}\n", q(cur)));
        }
        y
    }

    /// Write the file (mode 0600, as kubectl does) and return its path.
    pub fn write(&self, path: impl AsRef<Path>) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, self.to_yaml()).expect("write the kubeconfig");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path
    }
}

/// `KUBECONFIG` for a list of files, first wins (as kubectl and kube-rs merge them).
pub fn kubeconfig_env(files: &[&Path]) -> (OsString, OsString) {
    let joined = std::env::join_paths(files).expect("kubeconfig paths without ':'");
    ("KUBECONFIG".into(), joined)
}

/// A client-go exec credential plugin: a shell script printing an `ExecCredential` with a
/// bearer token, logging each call (arguments and environment) so tests can count calls and
/// check that nothing secret reaches the plugin's environment.
pub struct ExecPlugin {
    pub command: PathBuf,
    pub log: PathBuf,
}

impl ExecPlugin {
    /// Write the plugin into `dir`, answering `token` (no `expirationTimestamp`).
    pub fn new(dir: &Path, token: &str) -> ExecPlugin {
        ExecPlugin::with_status(dir, serde_json::json!({"token": token}))
    }

    /// Write the plugin into `dir`, answering `token` valid until `expiration` (RFC 3339).
    pub fn expiring(dir: &Path, token: &str, expiration: &str) -> ExecPlugin {
        ExecPlugin::with_status(
            dir,
            serde_json::json!({"token": token, "expirationTimestamp": expiration}),
        )
    }

    /// Write the plugin into `dir`, answering an `ExecCredential` with this `status`.
    pub fn with_status(dir: &Path, status: serde_json::Value) -> ExecPlugin {
        use std::os::unix::fs::PermissionsExt;
        let command = dir.join("kube-token-plugin");
        let log = dir.join("kube-token-plugin.log");
        let credential = serde_json::json!({
            "apiVersion": "client.authentication.k8s.io/v1",
            "kind": "ExecCredential",
            "status": status,
        });
        let script = format!(
            "#!/bin/sh\n\
             # Exec credential plugin for tests: log the call, print the credential.\n\
             {{ echo '--- call'; echo \"args: $*\"; env; }} >> '{log}'\n\
             cat <<'EOF'\n{credential}\nEOF\n",
            log = log.display()
        );
        std::fs::write(&command, script).unwrap();
        std::fs::set_permissions(&command, std::fs::Permissions::from_mode(0o755)).unwrap();
        ExecPlugin { command, log }
    }

    /// How many times the plugin ran.
    pub fn calls(&self) -> usize {
        self.log_text().matches("--- call").count()
    }

    /// Everything the plugin logged (arguments and environments).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// The oldest kubectl whose requests the fake is checked against (what the project's machines
/// carry is newer): older ones validate with the protobuf OpenAPI v2 document, which the fake
/// does not serve, and print other messages.
pub const KUBECTL_MIN_MINOR: u32 = 27;

/// Fail clearly (never pass silently) when the kubectl on PATH is too old for the tests that
/// check the fake against it.
#[track_caller]
pub fn require_kubectl() {
    let out = std::process::Command::new("kubectl")
        .args(["version", "--client", "-o", "json"])
        .output()
        .expect("kubectl is installed (tests/run.sh installs it)");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let minor: u32 = v["clientVersion"]["minor"]
        .as_str()
        .unwrap_or("0")
        .trim_end_matches('+')
        .parse()
        .unwrap_or(0);
    assert!(
        minor >= KUBECTL_MIN_MINOR,
        "kubectl {} is too old for the API-server fake's kubectl tests: install kubectl 1.{KUBECTL_MIN_MINOR} or newer",
        v["clientVersion"]["gitVersion"]
    );
}
