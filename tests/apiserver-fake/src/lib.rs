//! An in-process Kubernetes API-server fake on loopback, for the tests of `push`.
//!
//! No real API server can run where the project is tested (docs/kubernetes.md §6), so this crate
//! behaves like kube-apiserver for exactly what `push` (through kube-rs) and kubectl use, over
//! plain HTTP or TLS with a CA made per run. It emulates:
//!
//! - discovery: `/version`, `/api`, `/apis`, `/api/v1`, `/healthz`, `/livez`, `/readyz`;
//! - `namespaces` (cluster-scoped), `secrets` and `serviceaccounts`: GET, LIST (label selectors,
//!   set-based ones too, and field selectors), POST, PUT, PATCH (server-side apply, JSON merge,
//!   strategic merge without its `$` directives, which get 415; JSON patch), DELETE (with
//!   preconditions; graceful for an object with finalizers: it stays, with a
//!   `deletionTimestamp`, for one more request), `dryRun=All`, `fieldValidation=Strict`;
//! - `pods` with a phase and container statuses, seeded ([`PodSeed`]), listed and selected
//!   by `status.phase` (nothing schedules or runs them);
//! - one global `resourceVersion` bumped per write, `409 Conflict` on a stale one, no bump on a
//!   no-op write, a create carrying one refused (500, as the storage layer answers);
//!   `metadata.managedFields` with Apply/Update ownership and apply conflicts, an apply carrying
//!   them refused (400);
//! - validation as pkg/apis/core/validation does it (names, label and annotation keys, Secret
//!   data keys and size, `type` and `immutable`), NamespaceLifecycle admission, a `default`
//!   ServiceAccount per new namespace;
//! - bearer tokens (401), RBAC denials per user/verb/resource/namespace (403), faults per route
//!   (500, slow, plain-text 404, dropped connection, a write committed and its answer dropped,
//!   echoed body, an object another client creates just before the request), and a concurrent
//!   writer that changes an object just before a client's write.
//!
//! Every `Status` body is byte-identical to the real server's, and every request is recorded.
//! The repository's `tests/it/apiserver_fake.rs` checks it against the real kubectl.
//!
//! Watches (`watch=true` on a list, label and field selectors, from a `resourceVersion`, `410
//! Gone` for one older than [`ApiServer::expire_watches`] allows) stream as chunked JSON lines.
//! [`ApiServer::set_down`] makes it unreachable (every connection closed) until set up again.
//!
//! Not emulated: pagination (one page), answers other than JSON (protobuf bodies
//! are read, never written), YAML that is not JSON, aggregated discovery and OpenAPI v2, other
//! API groups, resources and subresources, `generateName`, garbage collection, finalizers
//! beyond the one round above (a deleted namespace stays Terminating), admission webhooks,
//! client-certificate, basic auth and
//! impersonation, 429, HTTP/2, list merge keys (every list is atomic: right for
//! `imagePullSecrets`, not for a ServiceAccount's `secrets`), `Warning` headers.
//!
//! Modules by concern: `state` (objects, resourceVersion, uids, the request log), `routing`
//! (paths and verbs to handlers), `patching` (apply, merge and JSON patches, managedFields),
//! `validation` (decoding and the server's checks), `tls`, `http` (the wire), `protobuf` and
//! `status` (the server's error bodies).

mod http;
mod patching;
mod pods;
mod protobuf;
mod routing;
mod server;
mod state;
mod status;
mod tls;
mod validation;
mod watch;

pub use pods::PodSeed;
pub use server::ApiServer;
pub use state::{Fault, FaultKind, Request};
pub use tls::unrelated_ca_pem;

/// The token `ApiServer::start*` accept for [`DEFAULT_USER`].
pub const DEFAULT_TOKEN: &str = "fake-apiserver-token";
/// The user [`DEFAULT_TOKEN`] authenticates as.
pub const DEFAULT_USER: &str = "alice";
/// The field manager of objects the tests seed.
pub const SEED_MANAGER: &str = "test-seed";
/// The field manager of the concurrent writer.
pub const CONCURRENT_MANAGER: &str = "concurrent-writer";

/// A resource the fake serves.
pub(crate) struct Kind {
    pub(crate) resource: &'static str,
    pub(crate) singular: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) namespaced: bool,
    pub(crate) short: &'static [&'static str],
    /// Top-level fields of the type; anything else is an unknown field.
    pub(crate) fields: &'static [&'static str],
}

pub(crate) const KINDS: &[Kind] = &[
    Kind {
        resource: "namespaces",
        singular: "namespace",
        kind: "Namespace",
        namespaced: false,
        short: &["ns"],
        fields: &["apiVersion", "kind", "metadata", "spec", "status"],
    },
    Kind {
        resource: "secrets",
        singular: "secret",
        kind: "Secret",
        namespaced: true,
        short: &[],
        fields: &[
            "apiVersion",
            "kind",
            "metadata",
            "data",
            "stringData",
            "type",
            "immutable",
        ],
    },
    Kind {
        resource: "serviceaccounts",
        singular: "serviceaccount",
        kind: "ServiceAccount",
        namespaced: true,
        short: &["sa"],
        fields: &[
            "apiVersion",
            "kind",
            "metadata",
            "secrets",
            "imagePullSecrets",
            "automountServiceAccountToken",
        ],
    },
    // Pods as status reads them (src/pods.rs): listed with their status, never scheduled.
    Kind {
        resource: "pods",
        singular: "pod",
        kind: "Pod",
        namespaced: true,
        short: &["po"],
        fields: &["apiVersion", "kind", "metadata", "spec", "status"],
    },
];

pub(crate) const METADATA_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

pub(crate) fn kind_of(resource: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.resource == resource)
}
