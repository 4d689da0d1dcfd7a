//! From the lists to the report: each Secret's registries with their states, and each pod that
//! cannot pull with its cause and the command that fixes it.

use super::compare::{self, Entry, Lookup, Sources};
use super::gather::{Fetched, Group, Lists, Plan, Scope};
use crate::push::kubeconfig::IN_CLUSTER;
use crate::push::pull_secret::{annotated_registries, is_dns1123_label, kubelet_key};
use crate::registry::DOCKER_HUB_KEY;
use crate::source::Source;
use crate::sync::saved::SavedPush;
use crate::untrusted::line;
use k8s_openapi::api::core::v1::{Pod, Secret as KubeSecret};
use serde::Serialize;
use std::time::Duration;

/// Everything `status` found.
#[derive(Debug, Default, Serialize)]
pub(super) struct Report {
    pub secrets: Vec<SecretRow>,
    pub pods: Vec<PodRow>,
    pub errors: Vec<ContextError>,
}

impl Report {
    /// Every registry current, no pod failing for a cause found here, every context read.
    pub fn healthy(&self) -> bool {
        self.errors.is_empty()
            && self
                .secrets
                .iter()
                .flat_map(|s| &s.registries)
                .all(|r| r.state == State::Current)
            && self.pods.iter().all(|p| p.cause == Cause::Retrying)
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SecretRow {
    pub context: String,
    pub namespace: String,
    pub name: String,
    pub saved_push: Option<u64>,
    pub service_accounts: Vec<String>,
    pub registries: Vec<RegistryRow>,
}

#[derive(Debug, Serialize)]
pub(super) struct RegistryRow {
    pub registry: String,
    pub state: State,
    /// RFC 3339, when the credential in the Secret says when it expires.
    pub expires: Option<String>,
    #[serde(skip)]
    pub expires_at: Option<u64>,
    /// Why (stale: since when; unknown: the reason; missing: who expects it).
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum State {
    Current,
    Stale,
    Expired,
    Missing,
    Unknown,
}

impl State {
    pub fn word(self) -> &'static str {
        match self {
            State::Current => "current",
            State::Stale => "stale",
            State::Expired => "expired",
            State::Missing => "missing",
            State::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Serialize)]
pub(super) struct PodRow {
    pub context: String,
    pub namespace: String,
    pub pod: String,
    pub image: String,
    pub registry: String,
    pub cause: Cause,
    pub fix: Option<String>,
    pub detail: String,
}

/// Why a pod cannot pull, as far as this machine can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum Cause {
    /// No Secret of ours holds the registry in the namespace.
    NoSecret,
    /// The Secret the pod references lacks the registry.
    SecretLacksRegistry,
    /// A Secret of ours holds it, and the pod does not reference it.
    NotReferenced,
    Stale,
    Expired,
    /// No credential for the registry on this machine.
    NoCredential,
    /// The source could not be read.
    Unknown,
    /// Nothing wrong found here: the kubelet retries.
    Retrying,
}

impl Cause {
    pub fn word(self) -> &'static str {
        match self {
            Cause::NoSecret => "no-secret",
            Cause::SecretLacksRegistry => "secret-lacks-registry",
            Cause::NotReferenced => "not-referenced",
            Cause::Stale => "stale",
            Cause::Expired => "expired",
            Cause::NoCredential => "no-credential",
            Cause::Unknown => "unknown",
            Cause::Retrying => "retrying",
        }
    }
}

#[derive(Debug, Serialize)]
pub(super) struct ContextError {
    pub context: String,
    pub error: String,
}

/// The whole report.
pub(super) fn report(
    plan: &Plan,
    fetched: &Fetched,
    saved: &[SavedPush],
    sources: &mut Sources,
    now: u64,
) -> Report {
    let mut report = Report::default();
    for e in &plan.errors {
        report.errors.push(ContextError {
            context: String::new(),
            error: e.clone(),
        });
    }
    for (group, results) in plan.groups.iter().zip(fetched) {
        for (scope, result) in group.scopes.iter().zip(results) {
            match result {
                Err(e) => report.errors.push(ContextError {
                    context: scope.context.clone(),
                    error: e.clone(),
                }),
                Ok(lists) => {
                    let at = At {
                        group,
                        scope,
                        lists,
                        saved,
                        now,
                    };
                    at.secrets(sources, &mut report.secrets);
                    at.pods(sources, &mut report.pods);
                }
            }
        }
    }
    report
}

/// One context's answer, and what it is judged against.
struct At<'a> {
    group: &'a Group,
    scope: &'a Scope,
    lists: &'a Lists,
    saved: &'a [SavedPush],
    now: u64,
}

fn name_of(s: &KubeSecret) -> &str {
    s.metadata.name.as_deref().unwrap_or_default()
}

fn namespace_of(s: &KubeSecret) -> &str {
    s.metadata.namespace.as_deref().unwrap_or_default()
}

/// The registry keys a saved push writes (None: `--all`, whatever the source holds).
fn saved_keys(p: &SavedPush) -> Option<Vec<String>> {
    (!p.all).then(|| {
        p.registries
            .iter()
            .map(|r| hub_key(&kubelet_key(r)))
            .collect()
    })
}

fn hub_key(key: &str) -> String {
    if key == "docker.io" || key == "index.docker.io" {
        DOCKER_HUB_KEY.to_owned()
    } else {
        key.to_owned()
    }
}

/// When the Secret last changed: its newest managedFields entry, else its creation.
fn changed(s: &KubeSecret) -> Option<u64> {
    let newest = s
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|m| m.time.as_ref())
        .map(|t| t.0.as_second())
        .max();
    newest
        .or_else(|| {
            s.metadata
                .creation_timestamp
                .as_ref()
                .map(|t| t.0.as_second())
        })
        .and_then(|t| u64::try_from(t).ok())
}

fn ago(at: u64, now: u64) -> String {
    crate::expiry::human(Duration::from_secs(now.saturating_sub(at)))
}

/// One registry's state in a Secret: its entry against what the source gives now.
fn judge(
    entry: &Entry,
    lookup: &Lookup,
    source: &Source,
    changed: Option<u64>,
    now: u64,
) -> Judged {
    let expires = crate::expiry::of(entry.password.expose());
    if let Some(at) = expires.filter(|at| *at <= now) {
        return Judged {
            state: State::Expired,
            expires,
            detail: Some(format!(
                "expired at {} ({} ago)",
                crate::expiry::rfc3339(at),
                ago(at, now)
            )),
        };
    }
    let since = changed
        .map(|t| {
            format!(
                "; the Secret last changed at {} ({} ago)",
                crate::expiry::rfc3339(t),
                ago(t, now)
            )
        })
        .unwrap_or_default();
    let (state, detail) = match lookup {
        Err(reason) => (State::Unknown, Some(reason.clone())),
        Ok(None) => (
            State::Stale,
            Some(format!("{} no longer holds it{since}", source.describe())),
        ),
        Ok(Some(c))
            if c.username == entry.username && compare::same(&c.secret, &entry.password) =>
        {
            (State::Current, None)
        }
        Ok(Some(_)) => (
            State::Stale,
            Some(format!("differs from {}{since}", source.describe())),
        ),
    };
    Judged {
        state,
        expires,
        detail,
    }
}

struct Judged {
    state: State,
    expires: Option<u64>,
    detail: Option<String>,
}

impl At<'_> {
    /// The Secrets saved pushes write here: those they name, and those their rules cover.
    fn expected(&self) -> impl Iterator<Item = &(String, String, u64)> {
        self.scope.expected.iter().chain(
            self.lists
                .covered
                .iter()
                .filter(|(ns, _, _)| self.scope.shows(ns)),
        )
    }

    /// The saved push writing Secret `name` in `ns` here, if any.
    fn owner(&self, ns: &str, name: &str) -> Option<&SavedPush> {
        let id = self.expected().find(|(n, s, _)| n == ns && s == name)?.2;
        self.saved.iter().find(|p| p.id == id)
    }

    fn source_of(&self, ns: &str, name: &str) -> (Source, Option<String>) {
        match self.owner(ns, name) {
            Some(p) => (p.source.clone(), p.backend.clone()),
            None => (Source::Keychain, None),
        }
    }

    fn ours(&self) -> impl Iterator<Item = &KubeSecret> {
        self.lists
            .secrets
            .iter()
            .filter(|s| self.scope.shows(namespace_of(s)))
    }

    fn secrets(&self, sources: &mut Sources, rows: &mut Vec<SecretRow>) {
        for s in self.ours() {
            let (ns, name) = (namespace_of(s), name_of(s));
            let entries = compare::entries(s);
            let mut keys =
                annotated_registries(s).unwrap_or_else(|| entries.keys().cloned().collect());
            let owner = self.owner(ns, name);
            let expected = owner.and_then(saved_keys).unwrap_or_default();
            for k in &expected {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
            let (source, backend) = self.source_of(ns, name);
            let changed = changed(s);
            let registries = keys
                .iter()
                .map(|k| match entries.get(k) {
                    Some(entry) => {
                        let lookup = sources.get(&source, backend.as_deref(), k);
                        let j = judge(entry, &lookup, &source, changed, self.now);
                        RegistryRow {
                            registry: line(k, 300),
                            state: j.state,
                            expires: j.expires.map(crate::expiry::rfc3339),
                            expires_at: j.expires,
                            detail: j.detail,
                        }
                    }
                    None => RegistryRow {
                        registry: line(k, 300),
                        state: State::Missing,
                        expires: None,
                        expires_at: None,
                        detail: Some(match owner {
                            Some(p) => format!(
                                "saved push {} writes it here: {} sync --only {}",
                                p.id,
                                crate::BINARY_NAME,
                                p.id
                            ),
                            None => "listed as ours, absent from the Secret's data".into(),
                        }),
                    },
                })
                .collect();
            rows.push(SecretRow {
                context: self.scope.context.clone(),
                namespace: line(ns, 253),
                name: line(name, 253),
                saved_push: owner.map(|p| p.id),
                service_accounts: self.accounts_using(ns, name),
                registries,
            });
        }
        // What a saved push writes here and the cluster lacks altogether.
        for (ns, name, id) in self.expected() {
            let present = self
                .lists
                .secrets
                .iter()
                .any(|s| namespace_of(s) == ns && name_of(s) == name);
            let duplicate = rows
                .iter()
                .any(|r| r.context == self.scope.context && &r.namespace == ns && &r.name == name);
            if present || duplicate {
                continue;
            }
            let keys = self
                .saved
                .iter()
                .find(|p| p.id == *id)
                .and_then(saved_keys)
                .unwrap_or_else(|| vec!["*".to_owned()]);
            rows.push(SecretRow {
                context: self.scope.context.clone(),
                namespace: ns.clone(),
                name: name.clone(),
                saved_push: Some(*id),
                service_accounts: self.accounts_using(ns, name),
                registries: keys
                    .into_iter()
                    .map(|k| RegistryRow {
                        registry: k,
                        state: State::Missing,
                        expires: None,
                        expires_at: None,
                        detail: Some(format!(
                            "saved push {id} writes this Secret and the cluster has none: {} sync --only {id}",
                            crate::BINARY_NAME
                        )),
                    })
                    .collect(),
            });
        }
    }

    /// The service accounts in `ns` whose imagePullSecrets list `name`.
    fn accounts_using(&self, ns: &str, name: &str) -> Vec<String> {
        self.lists
            .accounts
            .iter()
            .filter(|a| a.metadata.namespace.as_deref() == Some(ns))
            .filter(|a| {
                a.image_pull_secrets
                    .iter()
                    .flatten()
                    .any(|r| r.name == name)
            })
            .map(|a| line(a.metadata.name.as_deref().unwrap_or_default(), 253))
            .collect()
    }

    fn pods(&self, sources: &mut Sources, rows: &mut Vec<PodRow>) {
        for pod in &self.lists.pods {
            let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
            let related = self.scope.all_pods
                || self.scope.fallback.iter().any(|n| n == ns)
                || self.ours().any(|s| namespace_of(s) == ns);
            if !self.scope.shows(ns) || !related {
                continue;
            }
            let Some(status) = &pod.status else { continue };
            let statuses = status
                .init_container_statuses
                .iter()
                .flatten()
                .chain(status.container_statuses.iter().flatten());
            let mut seen = Vec::new();
            for c in statuses {
                let waiting = c
                    .state
                    .as_ref()
                    .and_then(|s| s.waiting.as_ref())
                    .and_then(|w| w.reason.as_deref());
                if !matches!(waiting, Some("ErrImagePull" | "ImagePullBackOff")) {
                    continue;
                }
                if seen.contains(&c.image) {
                    continue;
                }
                seen.push(c.image.clone());
                rows.push(self.pod_row(pod, &c.image, sources));
            }
        }
    }

    fn pod_row(&self, pod: &Pod, image: &str, sources: &mut Sources) -> PodRow {
        let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
        let name = pod.metadata.name.as_deref().unwrap_or_default();
        let mut row = PodRow {
            context: self.scope.context.clone(),
            namespace: line(ns, 253),
            pod: line(name, 253),
            image: line(image, 300),
            registry: String::new(),
            cause: Cause::Unknown,
            fix: None,
            detail: String::new(),
        };
        let Some(image_ref) = ImageRef::parse(image) else {
            row.detail = "the image names no registry this tool can check".into();
            return row;
        };
        row.registry = image_ref.shown();
        // Only names a shell reads as plain words go into a fix command.
        let plain = is_dns1123_label(ns) && crate::push::pull_secret::is_dns1123_subdomain(name);
        let spec = pod.spec.as_ref();
        let refs: Vec<&str> = spec
            .and_then(|s| s.image_pull_secrets.as_ref())
            .into_iter()
            .flatten()
            .map(|r| r.name.as_str())
            .collect();
        let account = spec
            .and_then(|s| s.service_account_name.as_deref())
            .unwrap_or("default");
        let ours: Vec<&KubeSecret> = self.ours().filter(|s| namespace_of(s) == ns).collect();
        let holds = |s: &KubeSecret| {
            compare::entries(s)
                .keys()
                .find(|k| image_ref.matched_by(k))
                .cloned()
        };
        let key = image_ref.key();
        // The source: the saved push writing this registry into this namespace, else the keychain.
        let owner = self
            .expected()
            .filter(|(n, _, _)| n == ns)
            .filter_map(|(_, _, id)| self.saved.iter().find(|p| p.id == *id))
            .find(|p| saved_keys(p).is_none_or(|k| k.contains(&key)));
        let (source, backend) = owner
            .map(|p| (p.source.clone(), p.backend.clone()))
            .unwrap_or((Source::Keychain, None));
        let lookup = sources.get(&source, backend.as_deref(), &key);
        let fixes = Fixes {
            at: self,
            ns,
            pod: name,
            owned: pod
                .metadata
                .owner_references
                .as_ref()
                .is_some_and(|o| !o.is_empty()),
            account,
            registry: &image_ref.query(),
            source: &source,
        };
        let expired_here = matches!(&lookup, Ok(Some(c))
            if crate::expiry::of(c.secret.expose()).is_some_and(|at| at <= self.now));
        let login = format!("docker login {}", image_ref.query());
        let (cause, fix, detail) = match &lookup {
            Err(reason) => (Cause::Unknown, None, reason.clone()),
            Ok(None) => (
                Cause::NoCredential,
                Some(format!("{login} && {}", fixes.without_ours(&refs, &ours))),
                format!(
                    "{} holds no credential for {}",
                    source.describe(),
                    row.registry
                ),
            ),
            Ok(Some(_)) => {
                let referenced = ours.iter().find(|s| refs.contains(&name_of(s)));
                let holding_ref = ours
                    .iter()
                    .filter(|s| refs.contains(&name_of(s)))
                    .find_map(|s| holds(s).map(|k| (*s, k)));
                if let Some((s, k)) = holding_ref {
                    let entries = compare::entries(s);
                    let entry = entries.get(&k).expect("found above");
                    let j = judge(entry, &lookup, &source, changed(s), self.now);
                    let sname = name_of(s);
                    let refresh = if expired_here {
                        format!("{login} && {}", fixes.refresh(s))
                    } else {
                        fixes.refresh(s)
                    };
                    match j.state {
                        State::Current => (
                            Cause::Retrying,
                            None,
                            format!(
                                "its pull Secret {sname} holds a current credential: the kubelet retries (back-off up to 5 minutes); if it keeps failing the registry refuses that credential or the image: kubectl describe pod -n {ns} {name}"
                            ),
                        ),
                        State::Expired => (
                            Cause::Expired,
                            Some(refresh),
                            format!("{sname}: {}", j.detail.unwrap_or_default()),
                        ),
                        State::Unknown => (Cause::Unknown, None, j.detail.unwrap_or_default()),
                        _ => (
                            Cause::Stale,
                            Some(refresh),
                            format!("{sname}: {}", j.detail.unwrap_or_default()),
                        ),
                    }
                } else if let Some(s) = referenced {
                    (
                        Cause::SecretLacksRegistry,
                        Some(fixes.add_registry(s, &key)),
                        format!(
                            "its pull Secret {} has no entry for {}",
                            name_of(s),
                            row.registry
                        ),
                    )
                } else if let Some(s) = ours.iter().find(|s| holds(s).is_some()) {
                    let by_account = self
                        .accounts_using(ns, name_of(s))
                        .iter()
                        .any(|a| a == account);
                    (
                        Cause::NotReferenced,
                        Some(fixes.reference(s, by_account)),
                        if by_account {
                            format!(
                                "Secret {} holds it and service account {account} lists it, but the pod was created before (pods take their service account's imagePullSecrets when created)",
                                name_of(s)
                            )
                        } else {
                            format!(
                                "Secret {} holds it; neither the pod nor service account {account} references it",
                                name_of(s)
                            )
                        },
                    )
                } else {
                    (
                        Cause::NoSecret,
                        Some(fixes.without_ours(&refs, &ours)),
                        format!("no Secret of ours in namespace {ns} holds {}", row.registry),
                    )
                }
            }
        };
        row.cause = cause;
        row.fix = fix.filter(|_| plain);
        row.detail = line(&detail, 1000);
        row
    }
}

/// The fix commands for one pod.
struct Fixes<'a> {
    at: &'a At<'a>,
    ns: &'a str,
    pod: &'a str,
    owned: bool,
    account: &'a str,
    /// The registry as the user would type it.
    registry: &'a str,
    source: &'a Source,
}

/// A word for a shell: quoted unless plainly safe.
fn sh(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c));
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

impl Fixes<'_> {
    /// `--kubeconfig K --context C` (what the context is called where status found it).
    fn target_flags(&self) -> String {
        let mut f = String::new();
        if let Some(k) = &self.at.group.kubeconfig_flag {
            f.push_str(&format!(" --kubeconfig {}", sh(&k.to_string_lossy())));
        }
        if self.at.scope.context != IN_CLUSTER {
            f.push_str(&format!(" --context {}", sh(&self.at.scope.context)));
        }
        f
    }

    fn source_flag(&self) -> String {
        match self.source {
            Source::Keychain => String::new(),
            other => format!(" --from {other}"),
        }
    }

    fn push(&self, registries: &[String], rest: &str) -> String {
        let regs: Vec<String> = registries.iter().map(|r| sh(r)).collect();
        format!(
            "{} push {}{}{} -n {}{rest}",
            crate::BINARY_NAME,
            regs.join(" "),
            self.source_flag(),
            self.target_flags(),
            self.ns
        )
    }

    /// Recreate the pod so it takes its service account's imagePullSecrets.
    fn restart(&self) -> String {
        let k = self.target_flags();
        if self.owned {
            format!("kubectl{k} delete pod -n {} {}", self.ns, self.pod)
        } else {
            format!(
                "kubectl{k} get pod -n {ns} {pod} -o yaml | kubectl{k} replace --force -f -",
                ns = self.ns,
                pod = self.pod
            )
        }
    }

    /// No Secret of ours holds the registry: push one under the name the pod references, or
    /// for its service account (and restart the pod).
    fn without_ours(&self, refs: &[&str], ours: &[&KubeSecret]) -> String {
        let reg = vec![self.registry.to_owned()];
        // A referenced name not taken by another Secret of ours with other registries.
        match refs
            .iter()
            .find(|r| !ours.iter().any(|s| name_of(s) == **r))
        {
            Some(name) => self.push(&reg, &format!(" --name {}", sh(name))),
            None => format!(
                "{} && {}",
                self.push(&reg, &format!(" --service-account {}", sh(self.account))),
                self.restart()
            ),
        }
    }

    /// The registries push wrote into `s` (what a push under its name must write again).
    fn registries_of(s: &KubeSecret) -> Vec<String> {
        annotated_registries(s)
            .unwrap_or_default()
            .into_iter()
            .map(|k| {
                if k == DOCKER_HUB_KEY {
                    "docker.io".into()
                } else {
                    k
                }
            })
            .collect()
    }

    /// Refresh `s`: its saved push again, else a push of its registries.
    fn refresh(&self, s: &KubeSecret) -> String {
        match self.at.owner(self.ns, name_of(s)) {
            Some(p) => format!("{} sync --only {}", crate::BINARY_NAME, p.id),
            None => self.push(
                &Self::registries_of(s),
                &format!(" --name {}", sh(name_of(s))),
            ),
        }
    }

    /// Add `key` to `s`: its saved push saved again with the registry added, else a push of
    /// its registries and this one.
    fn add_registry(&self, s: &KubeSecret, key: &str) -> String {
        if let Some(p) = self.at.owner(self.ns, name_of(s)) {
            return saved_again(p, self.registry);
        }
        let mut regs = Self::registries_of(s);
        if !regs.iter().any(|r| hub_key(&kubelet_key(r)) == key) {
            regs.push(self.registry.to_owned());
        }
        self.push(&regs, &format!(" --name {}", sh(name_of(s))))
    }

    /// Make the pod use `s`: through its service account, then recreate it.
    fn reference(&self, s: &KubeSecret, by_account: bool) -> String {
        if by_account {
            return self.restart();
        }
        let push = match self.at.owner(self.ns, name_of(s)) {
            Some(p) if !p.service_accounts.iter().any(|a| a == self.account) => {
                let mut p = p.clone();
                p.service_accounts.push(self.account.to_owned());
                saved_again(&p, "")
            }
            _ => self.push(
                &Self::registries_of(s),
                &format!(
                    " --name {} --service-account {}",
                    sh(name_of(s)),
                    sh(self.account)
                ),
            ),
        };
        format!("{push} && {}", self.restart())
    }
}

/// The command line of saved push `p` with `registry` added (none: as it is), and `--save`:
/// it updates that saved push (same kubeconfig, contexts, namespaces and name).
fn saved_again(p: &SavedPush, registry: &str) -> String {
    let mut words = vec![crate::BINARY_NAME.to_owned(), "push".to_owned()];
    if p.all {
        words.push("--all".into());
    } else {
        words.extend(p.registries.iter().map(|r| sh(r)));
        if !registry.is_empty()
            && !p
                .registries
                .iter()
                .any(|r| hub_key(&kubelet_key(r)) == hub_key(&kubelet_key(registry)))
        {
            words.push(sh(registry));
        }
    }
    if p.source != Source::Keychain {
        words.push(format!("--from {}", p.source));
    }
    if let Some(k) = &p.kubeconfig {
        words.push(format!("--kubeconfig {}", sh(&k.to_string_lossy())));
    }
    for c in &p.contexts {
        words.push(format!("--context {}", sh(c)));
    }
    for n in &p.namespaces {
        words.push(format!("-n {}", sh(n)));
    }
    words.push(format!("--name {}", sh(&p.name)));
    for a in &p.service_accounts {
        words.push(format!("--service-account {}", sh(a)));
    }
    if let Some(b) = &p.backend {
        words.push(format!("--backend {}", sh(b)));
    }
    if p.create_namespace {
        words.push("--create-namespace".into());
    }
    if p.insecure {
        words.push("--insecure".into());
    }
    words.push("--save".into());
    words.join(" ")
}

/// An image's registry and repository path, as the kubelet matches them to `auths` keys.
struct ImageRef {
    /// Lowercase host[:port]; Docker Hub as `docker.io`.
    host: String,
    path: Vec<String>,
}

impl ImageRef {
    fn parse(image: &str) -> Option<ImageRef> {
        let name = image.split('@').next()?;
        let (first, rest) = match name.split_once('/') {
            Some((f, r)) if f.contains(['.', ':']) || f == "localhost" => (f, r),
            _ => ("docker.io", name),
        };
        // The tag goes (a ':' after the last '/').
        let rest = match rest.rsplit_once(':') {
            Some((r, tag)) if !tag.contains('/') => r,
            _ => rest,
        };
        let host = first.to_ascii_lowercase();
        let host = if host == "index.docker.io" || host == "registry-1.docker.io" {
            "docker.io".to_owned()
        } else {
            host
        };
        // Only a plain address goes into a command line or a lookup.
        let clean = host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
        if !clean || crate::registry::check_address(&host).is_err() {
            return None;
        }
        Some(ImageRef {
            host,
            path: rest.split('/').map(str::to_owned).collect(),
        })
    }

    fn is_hub(&self) -> bool {
        self.host == "docker.io"
    }

    /// The registry as shown and typed (`docker login HOST`).
    fn shown(&self) -> String {
        self.host.clone()
    }

    fn query(&self) -> String {
        self.host.clone()
    }

    /// The `auths` key push writes for this registry.
    fn key(&self) -> String {
        if self.is_hub() {
            DOCKER_HUB_KEY.to_owned()
        } else {
            kubelet_key(&self.host)
        }
    }

    /// Whether the kubelet would use the `auths` entry `key` for this image: same host, and
    /// the key's path (if any) a prefix of the image's.
    fn matched_by(&self, key: &str) -> bool {
        let key = hub_key(key);
        if key == DOCKER_HUB_KEY {
            return self.is_hub();
        }
        let key = kubelet_key(&key);
        let mut parts = key.split('/');
        let host = parts.next().unwrap_or_default();
        if host != self.host {
            return false;
        }
        parts
            .zip(
                self.path
                    .iter()
                    .map(String::as_str)
                    .chain(std::iter::repeat("")),
            )
            .all(|(want, have)| want == have)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_name_their_registry() {
        let r = ImageRef::parse("ghcr.io/org/app:1.0").unwrap();
        assert_eq!((r.shown(), r.key()), ("ghcr.io".into(), "ghcr.io".into()));
        assert!(r.matched_by("ghcr.io"));
        assert!(r.matched_by("ghcr.io/org"));
        assert!(!r.matched_by("ghcr.io/other"));
        assert!(!r.matched_by("quay.io"));
        let hub = ImageRef::parse("nginx").unwrap();
        assert_eq!(hub.key(), DOCKER_HUB_KEY);
        assert!(hub.matched_by(DOCKER_HUB_KEY));
        let port = ImageRef::parse("localhost:5000/a@sha256:abc").unwrap();
        assert_eq!(port.shown(), "localhost:5000");
        assert!(ImageRef::parse("evil.io;rm -rf x/a").is_none());
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(sh("ghcr.io"), "ghcr.io");
        assert_eq!(sh("/a b/k"), "'/a b/k'");
        assert_eq!(sh("it's"), r"'it'\''s'");
    }
}
