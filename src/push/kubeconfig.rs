//! Which clusters and namespaces `push` talks to, found as kubectl finds them: `--kubeconfig`,
//! else every file of the `KUBECONFIG` list (merged, first one wins, missing files skipped),
//! else `~/.kube/config`, else the in-cluster service account.

use super::Options;
use kube::config::Kubeconfig;
use std::path::{Path, PathBuf};

/// The context name reported for the in-cluster configuration.
pub const IN_CLUSTER: &str = "in-cluster";
const IN_CLUSTER_NAMESPACE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// Why no cluster could be chosen.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read the kubeconfig {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error(
        "no kubeconfig: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config (e.g. with your cluster's `get-credentials` command)"
    )]
    Missing,
    #[error("context {name:?} is not in the kubeconfig (it has: {known}): check --context")]
    UnknownContext { name: String, known: String },
    #[error(
        "the kubeconfig has no current-context: pass --context (it has: {known}) or run `kubectl config use-context NAME`"
    )]
    NoCurrentContext { known: String },
    #[error("--context needs a kubeconfig; none was found (running in a pod uses no contexts)")]
    ContextWithoutKubeconfig,
}

/// The line says what to do.
impl crate::Hint for Error {}

/// Read the kubeconfig kubectl would use; `None` when there is none (in-cluster, or nothing).
pub fn load(explicit: Option<&Path>) -> Result<Option<Kubeconfig>, Error> {
    let mut config = load_files(explicit)?;
    if let Some(config) = &mut config {
        inline_token_files(config);
    }
    Ok(config)
}

/// kubectl (client-go) trims the whitespace around a `tokenFile`'s token, so `echo TOKEN > file`
/// works; kube sends the file verbatim and fails on the final newline. Read such files once, as
/// kubectl would, and hand kube the trimmed token. An unreadable file is left to kube, whose
/// error names it.
fn inline_token_files(config: &mut Kubeconfig) {
    for named in &mut config.auth_infos {
        let Some(auth) = named.auth_info.as_mut() else {
            continue;
        };
        if auth.token.is_some() {
            continue; // `token` wins over `tokenFile`, as in kubectl
        }
        let Some(path) = auth.token_file.as_deref() else {
            continue;
        };
        if let Ok(raw) = std::fs::read_to_string(path) {
            let raw = zeroize::Zeroizing::new(raw);
            auth.token = Some(secrecy::SecretString::from(raw.trim().to_owned()));
            auth.token_file = None;
        }
    }
}

fn load_files(explicit: Option<&Path>) -> Result<Option<Kubeconfig>, Error> {
    let read = |p: &Path| {
        Kubeconfig::read_from(p).map_err(|e| Error::Read {
            path: p.to_owned(),
            reason: one_line(&e.to_string()),
        })
    };
    if let Some(path) = explicit {
        return read(path).map(Some);
    }
    if let Some(list) = std::env::var_os("KUBECONFIG").filter(|l| !l.is_empty()) {
        // As kubectl: files of the list that do not exist are skipped, and a set KUBECONFIG
        // never falls back to ~/.kube/config.
        let paths: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty() && p.exists())
            .collect();
        let mut merged: Option<Kubeconfig> = None;
        for p in &paths {
            let next = read(p)?;
            merged = Some(match merged {
                None => next,
                Some(m) => m.merge(next).map_err(|e| Error::Read {
                    path: p.clone(),
                    reason: e.to_string(),
                })?,
            });
        }
        return Ok(merged);
    }
    if let Some(home) = std::env::var_os("HOME") {
        let default = PathBuf::from(home).join(".kube").join("config");
        if default.exists() {
            return read(&default).map(Some);
        }
    }
    Ok(None)
}

/// The first line of a (possibly multi-line, snippet-rendering) parser message.
fn one_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}

fn known_contexts(config: &Kubeconfig) -> String {
    let names: Vec<&str> = config.contexts.iter().map(|c| c.name.as_str()).collect();
    if names.is_empty() {
        "no contexts".into()
    } else {
        names.join(", ")
    }
}

/// Refuse `--context` names the kubeconfig lacks, before anything is sent.
pub fn check_contexts(config: Option<&Kubeconfig>, contexts: &[String]) -> Result<(), Error> {
    let Some(config) = config else {
        return if contexts.is_empty() {
            Ok(())
        } else {
            Err(Error::ContextWithoutKubeconfig)
        };
    };
    for name in contexts {
        if !config.contexts.iter().any(|c| &c.name == name) {
            return Err(Error::UnknownContext {
                name: name.clone(),
                known: known_contexts(config),
            });
        }
    }
    Ok(())
}

/// The contexts to use: `--context` names, else the current context, else in-cluster.
pub fn contexts(config: Option<&Kubeconfig>, asked: &[String]) -> Result<Vec<String>, Error> {
    let mut names: Vec<String> = Vec::new();
    for a in asked {
        if !names.contains(a) {
            names.push(a.clone());
        }
    }
    if !names.is_empty() {
        return Ok(names);
    }
    match config {
        None if in_cluster() => Ok(vec![IN_CLUSTER.to_owned()]),
        None => Err(Error::Missing),
        Some(c) => match c.current_context.as_deref().filter(|s| !s.is_empty()) {
            Some(current) => Ok(vec![current.to_owned()]),
            None => Err(Error::NoCurrentContext {
                known: known_contexts(c),
            }),
        },
    }
}

fn in_cluster() -> bool {
    std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
}

/// A context's default namespace as kubectl reads it (`default` when unset).
pub fn default_namespace(config: Option<&Kubeconfig>, context: &str) -> String {
    let from_file = match config {
        Some(c) => c
            .contexts
            .iter()
            .find(|n| n.name == context)
            .and_then(|n| n.context.as_ref())
            .and_then(|c| c.namespace.clone()),
        None => std::fs::read_to_string(IN_CLUSTER_NAMESPACE)
            .ok()
            .map(|s| s.trim().to_owned()),
    };
    from_file
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".to_owned())
}

/// One place to put the Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub context: String,
    pub namespace: String,
}

/// Pair every context with every namespace (`-n`, else the context's default), without
/// duplicates, in the order given.
pub fn pair(
    contexts: &[String],
    namespaces: &[String],
    default: impl Fn(&str) -> String,
) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::new();
    for c in contexts {
        let nss = if namespaces.is_empty() {
            vec![default(c)]
        } else {
            namespaces.to_vec()
        };
        for ns in nss {
            let t = Target {
                context: c.clone(),
                namespace: ns,
            };
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

/// The targets of a client dry run: no cluster contact; `config` is read only when needed.
pub fn offline_targets(
    config: Option<&Kubeconfig>,
    options: &Options,
) -> Result<Vec<Target>, Error> {
    let contexts = if config.is_none() && options.contexts.is_empty() && !in_cluster() {
        // No kubeconfig was read (not needed with -o and -n) or none exists: kubectl's
        // offline dry run also works without one, in namespace `default`.
        vec!["-".to_owned()]
    } else {
        if config.is_some() {
            check_contexts(config, &options.contexts)?;
        }
        contexts(config, &options.contexts)?
    };
    let targets = pair(&contexts, &options.namespaces, |c| {
        default_namespace(config, c)
    });
    for t in &targets {
        if !crate::push::dockerconfig::is_dns1123_label(&t.namespace) {
            return Err(Error::Read {
                path: PathBuf::from("kubeconfig"),
                reason: format!(
                    "context {:?} names the invalid namespace {:?}",
                    t.context, t.namespace
                ),
            });
        }
    }
    Ok(targets)
}

/// The command of the exec credential plugin of `context`'s user, if it has one: named when
/// the plugin fails (its arguments and environment are not shown: they may hold secrets).
pub fn exec_command(config: Option<&Kubeconfig>, context: &str) -> Option<String> {
    let config = config?;
    let user = config
        .contexts
        .iter()
        .find(|c| c.name == context)?
        .context
        .as_ref()?
        .user
        .clone()?;
    config
        .auth_infos
        .iter()
        .find(|a| a.name == user)?
        .auth_info
        .as_ref()?
        .exec
        .as_ref()?
        .command
        .clone()
}

/// Why credentials sent to a server could be read on the way, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    pub why: String,
    pub fix: &'static str,
}

/// Why credentials sent to `server` could be read on the way, if they could: plain `http://`
/// to a host that is not loopback; plain `http://` to loopback where `not_ours` (the listener
/// check, `listener::not_ours`) finds that a socket listening there is not ours, or
/// none is; or TLS without checking the server's certificate (`insecure-skip-tls-verify`).
/// Loopback is decided on the URL's text (`localhost`, 127.0.0.0/8, `::1`).
pub fn exposure(
    server: &str,
    scheme: Option<&str>,
    host: &str,
    port: Option<u16>,
    skip_tls_verify: bool,
    not_ours: impl FnOnce(&str, u16) -> Option<String>,
) -> Option<Exposure> {
    const HTTPS: &str = "give the cluster an https:// server and its certificate-authority";
    if scheme == Some("http") && !is_loopback(host) {
        return Some(Exposure {
            why: format!(
                "its API server {server} is plain http:// on a host that is not loopback, so anyone on the way can read the registry passwords"
            ),
            fix: HTTPS,
        });
    }
    if scheme == Some("http") {
        return not_ours(host, port.unwrap_or(80)).map(|why| Exposure {
            why: format!("its API server {server} is plain http:// on loopback, and {why}"),
            fix: "run the proxy (kubectl proxy) as yourself, or give the cluster an https:// server",
        });
    }
    if skip_tls_verify {
        return Some(Exposure {
            why: format!(
                "its cluster has insecure-skip-tls-verify: true, so whoever answers for {server} gets the registry passwords"
            ),
            fix: HTTPS,
        });
    }
    None
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.eq_ignore_ascii_case("localhost.") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `url` is exposed, with every loopback listener ours.
    fn exposed(url: &str, skip: bool) -> bool {
        exposed_with(url, skip, |_, _| None).is_some()
    }

    fn exposed_with(
        url: &str,
        skip: bool,
        not_ours: impl FnOnce(&str, u16) -> Option<String>,
    ) -> Option<Exposure> {
        let (scheme, rest) = url.split_once("://").unwrap();
        let authority = rest.split('/').next().unwrap();
        // As http::Uri splits it: an IPv6 host keeps its brackets.
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let end = v6.find(']').unwrap() + 2;
                (&authority[..end], authority[end..].strip_prefix(':'))
            }
            None => match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            },
        };
        let port = port.map(|p| p.parse().unwrap());
        exposure(url, Some(scheme), host, port, skip, not_ours)
    }

    #[test]
    fn loopback_http_goes_only_to_our_own_listener() {
        let mut asked = None;
        let e = exposed_with("http://[::1]:8001", false, |host, port| {
            asked = Some((host.to_owned(), port));
            Some("port 8001 on ::1 is listened on by uid 7".into())
        })
        .unwrap();
        assert_eq!(asked, Some(("[::1]".to_owned(), 8001)));
        assert!(
            e.why.contains("uid 7") && e.fix.contains("kubectl proxy"),
            "{e:?}"
        );
        let mut port = None;
        assert!(
            exposed_with("http://localhost", false, |_, p| {
                port = Some(p);
                None
            })
            .is_none()
        );
        assert_eq!(port, Some(80));
        // Not asked for https, nor for a remote host (refused whoever listens).
        let never = |_: &str, _: u16| -> Option<String> { panic!("not a loopback http URL") };
        assert!(exposed_with("https://127.0.0.1:6443", false, never).is_none());
        assert!(exposed_with("http://k.example", false, never).is_some());
    }

    #[test]
    fn loopback_http_is_fine_elsewhere_not() {
        for ok in [
            "http://127.0.0.1:8001",
            "http://127.9.8.7",
            "http://localhost:8001",
            "http://LOCALHOST",
            "http://[::1]:8001",
            "https://k.example:6443",
        ] {
            assert!(!exposed(ok, false), "{ok}");
        }
        for bad in [
            "http://k.example:8080",
            "http://10.0.0.1",
            "http://localhost.evil.example",
            "http://[::2]",
            "http://128.0.0.1",
        ] {
            assert!(exposed(bad, false), "{bad}");
        }
        assert!(exposed("https://127.0.0.1:6443", true));
        assert!(exposed("https://k.example", true));
    }
}
