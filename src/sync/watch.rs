//! `sync --watch`: the saved pushes kept true as clusters change. In the foreground, one watch
//! per context on namespaces and one on our Secrets (a thread of its own with its own
//! runtime); what they see changing (a namespace created or relabelled, a Secret of ours
//! deleted or edited) is pushed again for just those namespaces, as the saved push says at
//! that moment (a target `push --delete` took out stays out). Every `--every`, and at about
//! 70% of a known expiry, a whole round re-reads the credentials. A context that cannot be
//! reached is retried with backoff (up to `--every`), said once when it goes and once when it
//! is back; a watch that expires (410 Gone) lists again.

use super::saved::{SavedPush, Store};
use super::{Capture, Error, Notes, Options, STOP, Seen, round, to_options};
use crate::push;
use crate::push::kubeconfig::{self, Target};
use crate::settings::Settings;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, Secret as KubeSecret};
use kube::api::{Api, ListParams, WatchEvent, WatchParams};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// `--every` under `--watch` when none is given.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(300);
/// Changes seen within this long are pushed together.
const SETTLE: Duration = Duration::from_millis(100);
/// The first retry of an unreachable context; doubled up to `--every`.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// How often the saved pushes are read again for contexts to watch.
const RESCAN: Duration = Duration::from_secs(2);
/// How long a watch request stays open before it is made again.
const WATCH_SECONDS: u32 = 290;

/// What the watcher thread tells the main loop.
enum Note {
    /// Something changed in these namespaces of a context.
    Changed(String, String),
    /// The context was listed again (after an outage or an expired watch): a whole round.
    Relisted,
    /// A line for stderr.
    Say(String),
}

/// One context to watch: how to reach it.
#[derive(Clone)]
struct Watched {
    context: String,
    files: Vec<PathBuf>,
}

pub(super) fn run(
    store: &Store,
    options: &Options,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<push::Outcome, Error> {
    let every = options.every.unwrap_or(DEFAULT_EVERY);
    let data = store.read()?;
    let selected: Vec<&SavedPush> = data
        .pushes
        .iter()
        .filter(|p| options.only.is_empty() || options.only.contains(&p.id))
        .collect();
    let mut watched = contexts_of(&selected);
    let what: Vec<String> = selected.iter().map(|p| watch_line(p)).collect();
    let _ = writeln!(
        err,
        "{}: sync: watching namespaces and Secrets in {} {} for {}; credentials re-read every {}; stop with Ctrl-C",
        crate::BINARY_NAME,
        if watched.len() == 1 {
            "context"
        } else {
            "contexts"
        },
        crate::untrusted::line(&watched.keys().cloned().collect::<Vec<_>>().join(","), 500),
        if what.is_empty() {
            "the pushes saved from now on (none yet)".to_owned()
        } else {
            crate::untrusted::line(&what.join("; "), 2000)
        },
        interval(every),
    );
    let mut seen = Seen::default();
    let mut next_round = Instant::now();
    let (tx, rx) = mpsc::channel();
    let plugin_timeout =
        crate::protocol::client::timeout(settings).unwrap_or(Duration::from_secs(60));
    let spawn = |contexts: Vec<Watched>| {
        let tx = tx.clone();
        std::thread::Builder::new()
            .name("sync-watch".into())
            .spawn(move || watch_all(contexts, tx, every, plugin_timeout))
            .map(drop)
            .map_err(|e| Error::Stdout(std::io::Error::other(e)))
    };
    spawn(watched.values().cloned().collect())?;
    // A push saved while this runs: its contexts are watched from then on.
    let mut looked = Instant::now();
    let mut dirty: BTreeSet<(String, String)> = BTreeSet::new();
    let mut since: Option<Instant> = None;
    while !STOP.load(Ordering::SeqCst) {
        if Instant::now() >= next_round {
            if let Err(e) = round(store, options, settings, out, err, Some((every, &mut seen))) {
                let _ = writeln!(err, "{}: sync: {e}", crate::BINARY_NAME);
            }
            next_round = Instant::now() + due(store, options, every);
            // What a round just wrote need not be pushed again.
            dirty.clear();
            since = None;
        }
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(Note::Changed(context, ns)) => {
                dirty.insert((context, ns));
                since.get_or_insert_with(Instant::now);
            }
            Ok(Note::Relisted) => next_round = Instant::now(),
            Ok(Note::Say(line)) => {
                let _ = writeln!(err, "{}: sync: {line}", crate::BINARY_NAME);
            }
            Err(_) => {}
        }
        if looked.elapsed() >= RESCAN {
            looked = Instant::now();
            let data = store.read().unwrap_or_default();
            let selected: Vec<&SavedPush> = data
                .pushes
                .iter()
                .filter(|p| options.only.is_empty() || options.only.contains(&p.id))
                .collect();
            let new: Vec<Watched> = contexts_of(&selected)
                .into_values()
                .filter(|w| !watched.contains_key(&w.context))
                .collect();
            if !new.is_empty() {
                let names: Vec<String> = new.iter().map(|w| w.context.clone()).collect();
                let _ = writeln!(
                    err,
                    "{}: sync: now also watching context {} (a push saved meanwhile)",
                    crate::BINARY_NAME,
                    crate::untrusted::line(&names.join(","), 500)
                );
                for w in &new {
                    watched.insert(w.context.clone(), w.clone());
                }
                spawn(new)?;
            }
        }
        if since.is_some_and(|s| s.elapsed() >= SETTLE) && !STOP.load(Ordering::SeqCst) {
            let targets: Vec<Target> = std::mem::take(&mut dirty)
                .into_iter()
                .map(|(context, namespace)| Target { context, namespace })
                .collect();
            since = None;
            heal(store, options, settings, &targets, out, err, &mut seen);
        }
    }
    Ok(push::Outcome::AllDone)
}

/// The contexts the saved pushes write to, each with the kubeconfig files pinned.
fn contexts_of(pushes: &[&SavedPush]) -> BTreeMap<String, Watched> {
    let mut watched = BTreeMap::new();
    for p in pushes {
        let Some(pinned) = &p.pinned else { continue };
        for pin in &pinned.contexts {
            watched.entry(pin.context.clone()).or_insert(Watched {
                context: pin.context.clone(),
                files: pinned.kubeconfig.clone(),
            });
        }
    }
    watched
}

/// `90s`, `5m`, `1h30m`: an interval as `--every` takes it.
fn interval(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    let mut out = String::new();
    for (n, unit) in [(h, "h"), (m, "m"), (sec, "s")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() { "0s".into() } else { out }
}

/// `push 1: all namespaces`, `push 2: namespaces a,b`.
fn watch_line(p: &SavedPush) -> String {
    let nss = if let Some(s) = &p.namespace_selector {
        format!("namespaces matching {s}")
    } else if p.all_namespaces {
        "all namespaces".into()
    } else {
        let all: Vec<String> = p
            .pinned
            .iter()
            .flat_map(|x| x.contexts.iter().flat_map(|c| c.namespaces.iter().cloned()))
            .collect();
        format!("namespaces {}", all.join(","))
    };
    let what = if p.all {
        "--all".to_owned()
    } else {
        p.registries.join(" ")
    };
    format!("push {} ({} {what} -> {}: {nss})", p.id, p.source, p.name)
}

/// When the next whole round is due: `every`, or sooner at 70% of the time left before the
/// earliest known expiry.
fn due(store: &Store, options: &Options, every: Duration) -> Duration {
    let now = crate::expiry::now();
    let earliest = store.read().ok().and_then(|d| {
        d.pushes
            .iter()
            .filter(|p| options.only.is_empty() || options.only.contains(&p.id))
            .filter_map(|p| p.expires)
            .min()
    });
    due_after(now, earliest, every)
}

/// [`due`] at `now` (epoch seconds) with the earliest expiry `earliest`: an expired one (the
/// round just failed to renew it) waits for the interval, as the round's warning said.
fn due_after(now: u64, earliest: Option<u64>, every: Duration) -> Duration {
    match earliest.filter(|at| *at > now) {
        Some(at) => every.min(Duration::from_secs((at - now) * 7 / 10).max(Duration::from_secs(1))),
        None => every,
    }
}

/// Push again, as each saved push says now, to just the targets that changed.
fn heal(
    store: &Store,
    options: &Options,
    settings: &Settings,
    targets: &[Target],
    out: &mut dyn Write,
    err: &mut dyn Write,
    seen: &mut Seen,
) {
    let Ok(data) = store.read() else { return };
    for saved in data
        .pushes
        .iter()
        .filter(|p| options.only.is_empty() || options.only.contains(&p.id))
    {
        let Some(pinned) = &saved.pinned else {
            continue;
        };
        let rule = saved.all_namespaces || saved.namespace_selector.is_some();
        let mine: Vec<Target> = targets
            .iter()
            .filter(|t| {
                pinned.contexts.iter().any(|c| {
                    c.context == t.context && (rule || c.namespaces.contains(&t.namespace))
                })
            })
            .cloned()
            .collect();
        if mine.is_empty() {
            continue;
        }
        let mut push_options = to_options(saved);
        push_options.only_targets = mine;
        let mut capture = Capture::new(out, true);
        let mut notes = Notes::Once(err, &mut seen.notes, Vec::new());
        super::ABORTABLE.store(true, Ordering::SeqCst);
        let result = push::run(&push_options, settings, &mut capture, &mut notes);
        super::ABORTABLE.store(false, Ordering::SeqCst);
        drop(notes);
        if let Err(e) = result {
            let _ = writeln!(out, "push {}: failed: {e}", saved.id);
        }
    }
}

/// The watcher thread: every context at once, on a runtime of its own.
fn watch_all(
    contexts: Vec<Watched>,
    tx: mpsc::Sender<Note>,
    every: Duration,
    plugin_timeout: Duration,
) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        let _ = tx.send(Note::Say(
            "cannot start the network runtime: nothing is watched".into(),
        ));
        return;
    };
    runtime.block_on(futures::future::join_all(
        contexts
            .iter()
            .map(|w| watch_context(w, &tx, every, plugin_timeout)),
    ));
}

/// Why a watch cycle ended.
enum End {
    /// Expired (410) or closed: list again.
    Relist,
    /// The context could not be reached or refused us: said once, retried with backoff.
    Unreachable(String),
}

async fn watch_context(
    w: &Watched,
    tx: &mpsc::Sender<Note>,
    every: Duration,
    plugin_timeout: Duration,
) {
    let name = crate::untrusted::line(&w.context, 256);
    let mut outage = false;
    let mut backoff = FIRST_BACKOFF;
    loop {
        let listed = &mut false;
        match cycle(w, tx, plugin_timeout, listed, outage).await {
            End::Relist => {
                backoff = FIRST_BACKOFF;
                outage = false;
            }
            End::Unreachable(why) => {
                if *listed {
                    outage = false;
                }
                if !outage {
                    let _ = tx.send(Note::Say(format!(
                        "context {name}: unreachable ({}): retrying with backoff up to every {}",
                        crate::untrusted::line(&why, 500),
                        interval(every)
                    )));
                    outage = true;
                    backoff = FIRST_BACKOFF;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(every);
            }
        }
    }
}

/// One list-then-watch of a context. `listed` is set once both lists succeeded.
async fn cycle(
    w: &Watched,
    tx: &mpsc::Sender<Note>,
    plugin_timeout: Duration,
    listed: &mut bool,
    outage: bool,
) -> End {
    let limit = Duration::from_secs(30);
    // The kubeconfig is read again each time: a re-aimed context is refused as sync refuses it.
    let config = match kubeconfig::load_pinned(&w.files) {
        Ok(c) => c,
        Err(e) => return End::Unreachable(e.to_string()),
    };
    let client =
        match push::cluster::reader(config.as_ref(), &w.context, Some(limit), plugin_timeout).await
        {
            Ok(c) => c,
            Err(e) => return End::Unreachable(e),
        };
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let secrets: Api<KubeSecret> = Api::all(client);
    let ours = format!(
        "{}={}",
        crate::push::pull_secret::MANAGED_BY_LABEL,
        crate::push::pull_secret::MANAGED_BY
    );
    let timed = |f| tokio::time::timeout(limit, f);
    let ns_list = match timed(namespaces.list(&ListParams::default())).await {
        Ok(Ok(l)) => l,
        Ok(Err(e)) => return End::Unreachable(e.to_string()),
        Err(_) => return End::Unreachable("no answer within 30s".into()),
    };
    let lp = ListParams::default().labels(&ours);
    let sec_list = match tokio::time::timeout(limit, secrets.list(&lp)).await {
        Ok(Ok(l)) => l,
        Ok(Err(e)) => return End::Unreachable(e.to_string()),
        Err(_) => return End::Unreachable("no answer within 30s".into()),
    };
    *listed = true;
    if outage {
        let _ = tx.send(Note::Say(format!(
            "context {}: reachable again: syncing",
            crate::untrusted::line(&w.context, 256)
        )));
    }
    // What changed while nobody watched is caught by a whole round.
    let _ = tx.send(Note::Relisted);
    let ns_rv = ns_list.metadata.resource_version.unwrap_or_default();
    let sec_rv = sec_list.metadata.resource_version.unwrap_or_default();
    let wp = WatchParams::default().timeout(WATCH_SECONDS);
    let ns_watch = match namespaces.watch(&wp, &ns_rv).await {
        Ok(s) => s,
        Err(e) => return End::Unreachable(e.to_string()),
    };
    let sec_watch = match secrets.watch(&wp.clone().labels(&ours), &sec_rv).await {
        Ok(s) => s,
        Err(e) => return End::Unreachable(e.to_string()),
    };
    let ns_events = ns_watch.map(|e| e.map(|e| event_namespace(&e, true)));
    let sec_events = sec_watch.map(|e| e.map(|e| event_namespace(&e, false)));
    let mut events = futures::stream::select(ns_events.boxed(), sec_events.boxed());
    // A connection that died silently (a laptop put to sleep) ends no stream: past the
    // server's own timeout, it is taken for an outage.
    let quiet = Duration::from_secs(u64::from(WATCH_SECONDS) + 30);
    loop {
        let event = match tokio::time::timeout(quiet, events.next()).await {
            Ok(Some(event)) => event,
            Ok(None) => return End::Relist,
            Err(_) => return End::Unreachable("the watch went silent".into()),
        };
        match event {
            Ok(Ok(Some(ns))) => {
                if tx.send(Note::Changed(w.context.clone(), ns)).is_err() {
                    return End::Relist;
                }
            }
            Ok(Ok(None)) => {}
            Ok(Err(410)) => return End::Relist,
            Ok(Err(code)) => return End::Unreachable(format!("the watch ended with {code}")),
            Err(e) => return End::Unreachable(e.to_string()),
        }
    }
}

/// The namespace an event is about (None: nothing to do), or the code of an error event.
fn event_namespace<K>(e: &WatchEvent<K>, is_namespace: bool) -> Result<Option<String>, u16>
where
    K: kube::Resource,
{
    let meta = match e {
        WatchEvent::Added(k) | WatchEvent::Modified(k) => k.meta(),
        // A namespace gone needs nothing; a Secret of ours gone may need to come back.
        WatchEvent::Deleted(k) if !is_namespace => k.meta(),
        WatchEvent::Deleted(_) | WatchEvent::Bookmark(_) => return Ok(None),
        WatchEvent::Error(s) => return Err(s.code),
    };
    Ok(if is_namespace {
        meta.name.clone()
    } else {
        meta.namespace.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_comes_at_70_percent_of_a_known_expiry_else_every_interval() {
        let every = Duration::from_secs(300);
        assert_eq!(due_after(1000, None, every), every);
        // Expires in 100 s: the round comes after 70.
        assert_eq!(due_after(1000, Some(1100), every), Duration::from_secs(70));
        // Expires in an hour: the interval comes first.
        assert_eq!(due_after(1000, Some(4600), every), every);
        // Already expired, or about to: never a busy loop.
        assert_eq!(due_after(1000, Some(900), every), every);
        assert_eq!(due_after(1000, Some(1001), every), Duration::from_secs(1));
    }

    #[test]
    fn intervals_are_said_as_every_takes_them() {
        assert_eq!(interval(Duration::from_secs(300)), "5m");
        assert_eq!(interval(Duration::from_secs(5400)), "1h30m");
        assert_eq!(interval(Duration::from_secs(3)), "3s");
    }
}
