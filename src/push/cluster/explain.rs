//! Every failed request said in plain language: what went wrong, where, and what to do.

use super::reason::Reason;
use super::{Context, Job};
use crate::untrusted::line;

/// Bounds of what a server or a plugin said, as quoted in a reason.
const MESSAGE_CHARS: usize = 300;
const REASON_CHARS: usize = 60;
/// A body that is not a Kubernetes Status (a proxy's page) says less.
const PLAIN_CHARS: usize = 120;
const STDERR_CHARS: usize = 300;
const CHAIN_CHARS: usize = 500;

/// A request that did not succeed.
pub(super) enum Failure {
    Kube(kube::Error),
    Timeout,
}

impl From<kube::Error> for Failure {
    fn from(e: kube::Error) -> Self {
        Failure::Kube(e)
    }
}

impl Failure {
    pub(super) fn status(&self) -> Option<&kube::core::Status> {
        match self {
            Failure::Kube(kube::Error::Api(s)) => Some(s),
            _ => None,
        }
    }

    pub(super) fn code(&self) -> Option<u16> {
        self.status().map(|s| s.code)
    }

    /// A real Kubernetes Status body (not a proxy's plain text).
    pub(super) fn is_status(&self) -> bool {
        self.status()
            .is_some_and(|s| s.reason != "Failed to parse error data")
    }

    pub(super) fn is_conflict(&self) -> bool {
        self.code() == Some(409) && self.is_status()
    }

    pub(super) fn is_not_found(&self) -> bool {
        self.code() == Some(404) && self.is_status()
    }

    /// 403 because the namespace is being deleted.
    pub(super) fn is_terminating(&self) -> bool {
        self.code() == Some(403)
            && self
                .status()
                .is_some_and(|s| s.message.contains("being terminated"))
    }

    /// 404 because the namespace does not exist.
    pub(super) fn is_namespace_missing(&self) -> bool {
        self.is_not_found()
            && self.status().is_some_and(|s| {
                s.details.as_ref().is_some_and(|d| d.kind == "namespaces")
                    || s.message.starts_with("namespaces \"")
            })
    }
}

/// The whole `source()` chain of an error, deduplicated, as one line.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    // Parts may quote the server (a certificate's names, a body it sent): made one clean line.
    let text = line(&parts.join(": "), CHAIN_CHARS);
    // kube's variant names add nothing for a person.
    ["ServiceError: ", "HyperError: ", "Error: "]
        .iter()
        .fold(text, |t, p| {
            t.strip_prefix(p).map(str::to_owned).unwrap_or(t)
        })
}

/// Why TLS refused the server's certificate, in words, when that is what `e` is (rustls's error
/// travels inside io::Errors, whose `source` skips it: `get_ref` reaches it).
pub(crate) fn refused_certificate(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    use rustls::{CertificateError as C, Error as Tls};
    let mut cur = Some(e);
    let tls = loop {
        let err = cur?;
        if let Some(tls) = err.downcast_ref::<Tls>() {
            break tls;
        }
        // An io::Error's `source` is its inner error's source: step into the inner error.
        cur = match err.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    };
    let Tls::InvalidCertificate(why) = tls else {
        return Some(format!(
            "the TLS handshake failed ({})",
            line(&tls.to_string(), 200)
        ));
    };
    Some(match why {
        C::UnknownIssuer => "it is not signed by a CA this context trusts".to_owned(),
        C::Expired | C::ExpiredContext { .. } => "it has expired".to_owned(),
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "it is not valid yet (is this machine's clock right?)".to_owned()
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "it is not issued for the server's host name (compare the kubeconfig's server with the names in the certificate)".to_owned()
        }
        C::Revoked => "it has been revoked".to_owned(),
        C::BadSignature | C::BadEncoding => "it is malformed or its signature is wrong".to_owned(),
        other if format!("{other:?}").contains("CaUsedAsEndEntity") => {
            "the server presents a CA certificate as its own; kubectl's TLS accepts that, the rustls library this tool uses never does: give the API server a certificate issued by that CA".to_owned()
        }
        other => line(&format!("{other:?}"), 200),
    })
}

/// A request that got no API answer, in words: the context's credentials failed, the server's
/// certificate was refused, or the server was not reached (push and status say it alike).
pub(crate) fn transport(ctx: &Context, what: &str, e: &kube::Error) -> String {
    let (name, server) = (&ctx.name, &ctx.server);
    if auth_error(e).is_some() {
        return format!(
            "cannot get credentials for context {name:?}: {}: check the context's user (exec plugin, token or certificate)",
            describe(e, ctx.exec_command.as_deref())
        );
    }
    match refused_certificate(e) {
        Some(why) => format!(
            "the API server {server} of context {name:?} answered, but its certificate was refused while {what}: {why}; checked against {}",
            ctx.ca_source
        ),
        None => format!(
            "cannot reach the API server {server} of context {name:?} while {what}: {}",
            chain(e)
        ),
    }
}

/// The credential error somewhere in `e`'s source chain (at connect time kube wraps it in
/// `Error::Auth`, at request time in a service error).
pub(crate) fn auth_error<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a kube::client::AuthError> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(auth) = err.downcast_ref::<kube::client::AuthError>() {
            return Some(auth);
        }
        cur = err.source();
    }
    None
}

/// `e` as one line; a credential error said without what the exec plugin printed on stdout,
/// which is a credential (kube's own text quotes it).
pub(crate) fn describe(e: &(dyn std::error::Error + 'static), exec: Option<&str>) -> String {
    use kube::client::AuthError;
    let Some(auth) = auth_error(e) else {
        return chain(e);
    };
    let plugin = match exec {
        Some(c) => format!("the exec plugin {c:?}"),
        None => "the kubeconfig's credential command".to_owned(),
    };
    match auth {
        AuthError::AuthExecRun { out, .. } => {
            let stderr = line(&String::from_utf8_lossy(&out.stderr), STDERR_CHARS);
            if stderr.is_empty() {
                format!(
                    "{plugin} failed ({}) and printed nothing on stderr",
                    out.status
                )
            } else {
                format!("{plugin} failed ({}): {stderr}", out.status)
            }
        }
        AuthError::AuthExecParse(_) => format!(
            "{plugin} printed something that is not an ExecCredential (not shown: it may hold a credential)"
        ),
        AuthError::ExecPluginFailed => {
            format!("{plugin} printed an ExecCredential without a status")
        }
        AuthError::AuthExecStart(io) => format!("cannot run {plugin}: {io}"),
        // Already a sentence (ours: a plugin stopped at its deadline or output cap).
        AuthError::AuthExec(why) => why.clone(),
        other => chain(other),
    }
}

impl Job<'_> {
    /// A failure as plain language naming what to do; scrubbed of every secret we send.
    pub(super) fn explain(&self, ctx: &Context, ns: &str, what: &str, f: &Failure) -> Reason {
        let name = &ctx.name;
        let server = &ctx.server;
        let text = match f {
            Failure::Timeout => format!(
                "no answer from the API server {server} of context {name:?} within {}s while {what}: check that the cluster is up and reachable, or raise --request-timeout",
                self.timeout.unwrap_or_default().as_secs()
            ),
            Failure::Kube(kube::Error::Api(s)) => {
                let plain = !f.is_status();
                // The server's own words: untrusted, so one clean bounded line.
                let msg = line(&s.message, MESSAGE_CHARS);
                let reason = line(&s.reason, REASON_CHARS);
                match s.code {
                    401 => format!(
                        "the API server {server} rejected the credentials of context {name:?} (401 Unauthorized): log in to the cluster again or renew the token (check with `kubectl --context {name} auth whoami`)"
                    ),
                    403 if f.is_terminating() => format!(
                        "namespace {ns} is being deleted (terminating) in context {name:?}: wait until it is gone and push again, or choose another namespace"
                    ),
                    403 if !plain => format!(
                        "forbidden while {what} ({msg}): the context's user needs RBAC {} in namespace {ns}",
                        if what.contains("service account") {
                            "get and update on serviceaccounts"
                        } else if self.options.delete {
                            "get and delete on secrets"
                        } else {
                            "get, create and patch on secrets"
                        }
                    ),
                    404 if f.is_namespace_missing() => format!(
                        "namespace {ns} does not exist in context {name:?}: create it, or add --create-namespace"
                    ),
                    404 if plain => format!(
                        "the server {server} of context {name:?} answered 404 without a Kubernetes status while {what} ({}): is the server URL an API server, not a proxy or a wrong path?",
                        line(&msg, PLAIN_CHARS)
                    ),
                    422 => format!(
                        "the API server refused the secret (422 Invalid: {msg}): if it exists with another type or is immutable, --replace deletes and recreates it"
                    ),
                    code if plain => format!(
                        "the server {server} of context {name:?} answered {code} while {what}: {}",
                        line(&msg, PLAIN_CHARS)
                    ),
                    code => format!(
                        "the API server {server} of context {name:?} answered {code} {reason} while {what}: {msg}"
                    ),
                }
            }
            Failure::Kube(e) => transport(ctx, what, e),
        };
        Reason::Request(match self.payload {
            Some(p) => p.scrub(&text),
            None => text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::push::{Options, Payload};
    use std::time::Duration;

    pub(super) fn status(code: u16, reason: &str, message: &str, kind: Option<&str>) -> Failure {
        let mut s = kube::core::Status::failure(message, reason).with_code(code);
        if let Some(kind) = kind {
            s.details = serde_json::from_value(serde_json::json!({ "kind": kind })).unwrap();
        }
        Failure::Kube(kube::Error::Api(s.boxed()))
    }

    /// `push r.io` with defaults.
    fn push() -> Options {
        Options {
            registries: vec!["r.io".into()],
            name: "regcred".into(),
            ..Options::default()
        }
    }

    pub(super) fn explain(options: &Options, f: &Failure) -> String {
        let payload = Payload::build(vec![crate::backend::Credential {
            server_url: "r.io".into(),
            username: "alice".into(),
            secret: crate::Secret::new("hunter2-secret".into()),
        }])
        .unwrap();
        let mut sink = std::io::sink();
        let job = Job {
            options,
            payload: Some(&payload),
            timeout: Some(Duration::from_secs(7)),
            server_dry_run: false,
            err: std::cell::RefCell::new(&mut sink),
            known: Default::default(),
        };
        let ctx = Context {
            name: "dev".into(),
            server: "https://k.example:6443/".into(),
            client: Err(Reason::Context("unused".into())),
            default_namespace: "default".into(),
            exec_command: None,
            ca_source: "the cluster's certificate-authority-data in the kubeconfig".into(),
            exposure: None,
        };
        job.explain(&ctx, "team", "applying the secret", f)
            .to_string()
    }

    #[test]
    fn statuses_in_plain_language() {
        let e = explain(&push(), &status(401, "Unauthorized", "Unauthorized", None));
        assert!(
            e.contains("credentials of context \"dev\"") && e.contains("401"),
            "{e}"
        );
        let e = explain(
            &push(),
            &status(
                403,
                "Forbidden",
                "secrets \"regcred\" is forbidden: User \"bob\" cannot patch resource \"secrets\" in API group \"\" in the namespace \"team\"",
                Some("secrets"),
            ),
        );
        assert!(
            e.contains("cannot patch resource") && e.contains("RBAC"),
            "{e}"
        );
        let e = explain(
            &push(),
            &status(
                403,
                "Forbidden",
                "secrets \"regcred\" is forbidden: unable to create new content in namespace team because it is being terminated",
                Some("secrets"),
            ),
        );
        assert!(e.contains("terminating"), "{e}");
        let missing = status(
            404,
            "NotFound",
            "namespaces \"team\" not found",
            Some("namespaces"),
        );
        assert!(missing.is_namespace_missing());
        assert!(explain(&push(), &missing).contains("--create-namespace"));
        let plain = status(
            404,
            "Failed to parse error data",
            "404 page not found",
            None,
        );
        assert!(!plain.is_not_found() && !plain.is_namespace_missing());
        let e = explain(&push(), &plain);
        assert!(
            e.contains("without a Kubernetes status") && e.contains("404 page not found"),
            "{e}"
        );
        let e = explain(
            &push(),
            &status(
                422,
                "Invalid",
                "Secret \"regcred\" is invalid: type: field is immutable",
                None,
            ),
        );
        assert!(e.contains("--replace"), "{e}");
        let e = explain(&push(), &Failure::Timeout);
        assert!(
            e.contains("within 7s") && e.contains("https://k.example:6443/"),
            "{e}"
        );
    }

    #[test]
    fn server_messages_are_scrubbed() {
        let e = explain(
            &push(),
            &status(
                500,
                "InternalError",
                "oops hunter2-secret YWxpY2U6aHVudGVyMi1zZWNyZXQ=",
                None,
            ),
        );
        assert!(
            !e.contains("hunter2") && !e.contains("YWxpY2U6aHVudGVyMi1zZWNyZXQ="),
            "{e}"
        );
    }
}
