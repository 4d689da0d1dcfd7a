//! Saved pushes and `sync`: `push … --save` records a push ([`saved`]), `sync` runs every
//! saved push again (once, or `--every` interval in the foreground), `sync --list` and
//! `--forget` manage them, and with `"sync_on_store": true` a `store` for a registry a saved
//! push includes starts that push in a detached process ([`after_store`]).
//!
//! Each run goes through `push` itself (its checks, its one line per target, its own runtime:
//! nothing async here, so the helper path that calls [`after_store`] stays synchronous and
//! cheap). What a run printed per target is kept as that push's last results.

mod on_store;
pub mod saved;
mod unsave;
mod watch;

pub use on_store::after_store;
pub use unsave::delete_and_unsave;

use crate::messages::{self, Speaker};
use crate::push::{self, PUSH};
use crate::settings::Settings;
use saved::{SavedPush, Store};
use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Who sync's warnings and notes come from ([`crate::messages`]).
const SYNC: Speaker = Speaker::Command("sync");

/// The systemd user timer and launchd agent we ship, by name.
pub const TIMER_UNIT: &str = "docker-credential-keyring-sync.timer";
pub const LAUNCHD_LABEL: &str = "io.github.docker-credential-keyring.sync";
/// The background sync's log, in our state directory.
pub const LOG_NAME: &str = "sync.log";
/// The file a running `sync --every` (or `--watch`) holds locked, in the state directory.
pub const EVERY_LOCK_NAME: &str = "sync-every.lock";

/// What `sync` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only these saved pushes (empty: every one).
    pub only: Vec<u64>,
    /// Run a round now and then every interval until a signal.
    pub every: Option<Duration>,
    /// Watch the clusters and heal what changes (rounds every `every`, default 5m).
    pub watch: bool,
}

/// Why `sync` did nothing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Saved(#[from] saved::Error),
    #[error("no saved push with id {0}: see `docker-credential-keyring sync --list`")]
    UnknownId(u64),
    #[error("cannot write to stdout: {0}")]
    Stdout(#[source] std::io::Error),
}

impl crate::hint::Hint for Error {}

/// Why `push --save` did nothing, or saved nothing.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error(transparent)]
    Push(#[from] push::Error),
    /// The saved pushes cannot be used: nothing was pushed.
    #[error("{0}")]
    Unusable(saved::Error),
    #[error("the push ran but was not saved: {0}")]
    Saved(#[from] saved::Error),
    #[error("not saved: {0}")]
    FileInBackground(String),
}

impl crate::hint::Hint for SaveError {
    fn hint(&self) -> Option<String> {
        match self {
            SaveError::Push(e) => crate::hint::Hint::hint(e),
            SaveError::Saved(_) | SaveError::Unusable(_) | SaveError::FileInBackground(_) => None,
        }
    }
}

/// `push … --save`: run the push, then record it (a saved push writing the same Secrets is
/// updated, not duplicated) with this run's results.
pub fn push_and_save(
    options: &push::Options,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<push::Outcome, SaveError> {
    // Checked before the push runs: a broken file must not cost a push that cannot be saved.
    let store = Store::beside(settings.config_path()).map_err(SaveError::Unusable)?;
    store.read().map_err(SaveError::Unusable)?;
    refuse_unusable_in_background(options.backend.as_deref(), settings)?;
    // Pinned first, and the push itself goes where the pin says: what runs now is what
    // `sync` will re-check and repeat.
    let pinned = push::aim(options)?;
    let options = &push::Options {
        pinned: Some(pinned.clone()),
        ..options.clone()
    };
    let mut capture = Capture::new(out, false);
    let report = push::run_reporting(options, settings, &mut capture, err)?;
    let lines = capture.lines;
    let mut saved = SavedPush {
        pinned: None,
        id: 0,
        source: options.source.clone(),
        registries: options.registries.clone(),
        all: options.all,
        contexts: options.contexts.clone(),
        namespaces: options.namespaces.clone(),
        all_namespaces: options.all_namespaces,
        namespace_selector: options.rule()?.and_then(|r| r.label_selector()),
        excluded_namespaces: Vec::new(),
        name: options.name.clone(),
        service_accounts: options.service_accounts.clone(),
        kubeconfig: options
            .kubeconfig
            .as_deref()
            .map(|k| std::path::absolute(k).unwrap_or_else(|_| k.to_owned())),
        backend: options.backend.clone(),
        create_namespace: options.create_namespace,
        insecure: options.insecure,
        request_timeout: options.request_timeout.as_secs(),
        last_run: Some(crate::expiry::now()),
        last_results: lines,
        last_error: None,
        expires: earliest(&report.expires),
    };
    if !pinned.kubeconfig.is_empty() {
        // The contexts by name too (the current one when none was given): a later
        // `kubectl config use-context` must not redirect the push. (In-cluster has none.)
        saved.contexts = pinned.contexts.iter().map(|p| p.context.clone()).collect();
    }
    saved.pinned = Some(pinned);
    if options.dry_run.is_some() {
        // A preview: what would be saved, and nothing is.
        let data = store.read().map_err(SaveError::Unusable)?;
        let (verb, id) = match data.pushes.iter().find(|p| p.same_targets(&saved)) {
            Some(existing) => ("would update saved push", existing.id),
            None => ("would save as push", data.next_id.max(1)),
        };
        messages::info(
            err,
            PUSH,
            format_args!(
                "{verb} {id} ({}) (dry run: nothing was saved)",
                saved.describe()
            ),
        );
        return Ok(report.outcome);
    }
    let mut locked = store.lock()?;
    let verb = match locked
        .data
        .pushes
        .iter_mut()
        .find(|p| p.same_targets(&saved))
    {
        Some(existing) => {
            saved.id = existing.id;
            *existing = saved.clone();
            "updated saved push"
        }
        None => {
            saved.id = locked.data.next_id.max(1);
            locked.data.next_id = saved.id + 1;
            locked.data.pushes.push(saved.clone());
            "saved as push"
        }
    };
    locked.write()?;
    drop(locked);
    messages::info(
        err,
        PUSH,
        format_args!(
            "{verb} {} ({}): `{} sync` runs it again",
            saved.id,
            saved.describe(),
            crate::BINARY_NAME
        ),
    );
    if !timer_enabled() && !every_running() {
        let now = crate::expiry::now();
        let expiring: Vec<_> = report.expires.iter().filter(|(_, at)| *at > now).collect();
        for (registry, at) in &expiring {
            messages::warning(
                err,
                PUSH,
                format_args!(
                    "{registry}: the credential expires in {} and nothing runs the saved pushes, so the Secret goes stale then: {}",
                    crate::expiry::human(Duration::from_secs(at - now)),
                    how_to_run_sync(),
                ),
            );
        }
        if expiring.is_empty() {
            messages::note(
                err,
                PUSH,
                format_args!(
                    "nothing runs the saved pushes yet (no sync timer is enabled and no `sync --every` runs): {}",
                    how_to_run_sync(),
                ),
            );
        }
    }
    Ok(report.outcome)
}

/// The ways to have the saved pushes run.
fn how_to_run_sync() -> String {
    format!(
        "run `systemctl --user enable --now {TIMER_UNIT}` (macOS: `launchctl load ~/Library/LaunchAgents/{LAUNCHD_LABEL}.plist`), or keep `{} sync --every 30m` running",
        crate::BINARY_NAME
    )
}

/// Why the sync `store` starts in the background could never read the keychain, if it could
/// not: `"sync_on_store": true` with the `file` backend whose passphrase is only in the
/// environment (removed before any child runs; the detached sync has no terminal to ask on).
/// Said by `push --save` (which then saves nothing) and by `doctor`.
pub fn unusable_in_background(backend: Option<&str>, settings: &Settings) -> Option<String> {
    use crate::backend::{kind::Kind, select};
    if settings.passphrase.is_none() || !settings.config().is_ok_and(|c| c.sync_on_store) {
        return None;
    }
    let kind = match select::chosen(settings, backend).ok()?.0 {
        select::Choice::Kind(kind) => kind,
        select::Choice::Auto => select::auto(settings).ok()?.kind,
    };
    let config = settings
        .config_path()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "the config file".into());
    (kind == Kind::File).then(|| format!(
        "\"sync_on_store\": true runs sync in the background after each store, and with the file backend and the passphrase only in {} that sync can never unlock the file: set \"sync_on_store\": false in {config} (and run `{} sync` where the passphrase is set, e.g. a timer), or use another backend",
        crate::settings::PASSPHRASE_ENV,
        crate::BINARY_NAME,
    ))
}

fn refuse_unusable_in_background(
    backend: Option<&str>,
    settings: &Settings,
) -> Result<(), SaveError> {
    unusable_in_background(backend, settings)
        .map_or(Ok(()), |why| Err(SaveError::FileInBackground(why)))
}

fn earliest(expires: &[(String, u64)]) -> Option<u64> {
    expires.iter().map(|(_, at)| *at).min()
}

/// The note for an empty list of saved pushes.
fn none_saved(err: &mut dyn Write) {
    messages::info(
        err,
        Speaker::Program,
        format_args!(
            "no saved pushes: save one with `{} push REGISTRY … --save`",
            crate::BINARY_NAME
        ),
    );
}

/// The file a running `sync --every` holds locked (in the state directory), when it can be had.
fn every_marker() -> Option<std::fs::File> {
    crate::fs::open_private(&crate::settings::file::state_dir()?, EVERY_LOCK_NAME).ok()
}

/// Whether a `sync --every` of this user runs now.
fn every_running() -> bool {
    every_marker().is_some_and(|f| matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock)))
}

/// Whether our sync timer (systemd user timer, or launchd agent) is enabled for this user.
fn timer_enabled() -> bool {
    let mut places: Vec<PathBuf> = Vec::new();
    if let Some(base) = directories::BaseDirs::new() {
        places.push(
            base.config_dir()
                .join("systemd/user/timers.target.wants")
                .join(TIMER_UNIT),
        );
        let agents = base.home_dir().join("Library/LaunchAgents");
        places.push(agents.join(format!("{LAUNCHD_LABEL}.plist")));
        // `brew services start docker-credential-keyring` loads the formula's own agent.
        places.push(agents.join(format!("homebrew.mxcl.{}.plist", crate::BINARY_NAME)));
    }
    places.push(PathBuf::from("/etc/systemd/user/timers.target.wants").join(TIMER_UNIT));
    places.iter().any(|p| p.exists())
}

/// `sync --list`: each saved push, its last run and each target's last result.
pub fn list(settings: &Settings, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Error> {
    let data = Store::beside(settings.config_path())?.read()?;
    if data.pushes.is_empty() {
        none_saved(err);
        return Ok(());
    }
    let mut text = String::new();
    for p in &data.pushes {
        text.push_str(&format!("{}: {}\n", p.id, p.describe()));
        match p.last_run {
            None => text.push_str("  last run: never\n"),
            Some(at) => text.push_str(&format!("  last run: {}\n", crate::expiry::rfc3339(at))),
        }
        for line in p.describe_pins() {
            text.push_str(&format!("  {}\n", crate::untrusted::line(&line, 2000)));
        }
        // Saved text (a file an older version wrote may hold a cluster's raw words): cleaned.
        let clean = |t: &str| crate::untrusted::line(t, 2000);
        if let Some(e) = &p.last_error {
            text.push_str(&format!("  failed: {}\n", clean(e)));
        }
        for line in &p.last_results {
            text.push_str(&format!("  {}\n", clean(line)));
        }
        if let Some(at) = p.expires {
            text.push_str(&format!(
                "  credential expires: {}\n",
                crate::expiry::rfc3339(at)
            ));
        }
    }
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Error::Stdout)
}

/// `sync --forget ID`: remove one saved push (nothing in any cluster changes).
pub fn forget(settings: &Settings, id: u64, out: &mut dyn Write) -> Result<(), Error> {
    let store = Store::beside(settings.config_path())?;
    let mut locked = store.lock()?;
    let before = locked.data.pushes.len();
    locked.data.pushes.retain(|p| p.id != id);
    if locked.data.pushes.len() == before {
        return Err(Error::UnknownId(id));
    }
    locked.write()?;
    writeln!(
        out,
        "forgot saved push {id} (its Secrets stay; remove them with push --delete)"
    )
    .map_err(Error::Stdout)
}

/// Set by SIGINT/SIGTERM: `sync --every` ends.
static STOP: AtomicBool = AtomicBool::new(false);
/// While a round talks to clusters, a signal ends the process at once (every cluster write
/// is one request, applied whole or not at all; nothing of ours is being written then).
static ABORTABLE: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
    if ABORTABLE.load(Ordering::SeqCst) {
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(0) };
    }
}

/// Make SIGINT and SIGTERM end `sync --every` cleanly (exit status 0).
fn install_stop_handler() {
    #[cfg(unix)]
    // SAFETY: the handler only touches atomics and calls _exit, both async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
        libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut());
    }
}

/// `sync` (or `sync --every`): run the saved pushes. `SomeFailed` when any target or push
/// failed; with `--every`, only a signal ends it, and that is success.
pub fn run(
    options: &Options,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<push::Outcome, Error> {
    let store = Store::beside(settings.config_path())?;
    let data = store.read()?;
    if let Some(id) = options
        .only
        .iter()
        .find(|id| !data.pushes.iter().any(|p| p.id == **id))
    {
        return Err(Error::UnknownId(*id));
    }
    if options.watch {
        let _running = every_marker().filter(|f| f.try_lock().is_ok());
        install_stop_handler();
        return watch::run(&store, options, settings, out, err);
    }
    if data.pushes.is_empty() {
        // Like an empty `kubectl get`: nothing to do is no failure (a timer enabled before
        // the first `push --save` stays green).
        none_saved(err);
        return Ok(push::Outcome::AllDone);
    }
    let Some(every) = options.every else {
        return round(&store, options, settings, out, err, None);
    };
    // Held while it runs, so `push --save` knows something runs the saved pushes.
    let _running = every_marker().filter(|f| f.try_lock().is_ok());
    install_stop_handler();
    let mut seen = Seen::default();
    while !STOP.load(Ordering::SeqCst) {
        let started = Instant::now();
        // A failing round is said and the loop goes on.
        if let Err(e) = round(
            &store,
            options,
            settings,
            out,
            err,
            Some((every, &mut seen)),
        ) {
            messages::info(err, SYNC, format_args!("{e}"));
        }
        // Short slices, so a signal ends the wait within a fraction of a second.
        while !STOP.load(Ordering::SeqCst) && started.elapsed() < every {
            std::thread::sleep(Duration::from_millis(100).min(every));
        }
    }
    Ok(push::Outcome::AllDone)
}

/// What `--every` already said, so each round prints only what is new.
#[derive(Default)]
struct Seen {
    notes: HashSet<String>,
    expiry_warnings: HashSet<(u64, u64)>,
}

/// One round: every selected saved push run as `push` runs, its results recorded.
fn round(
    store: &Store,
    options: &Options,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
    mut every: Option<(Duration, &mut Seen)>,
) -> Result<push::Outcome, Error> {
    let data = store.read()?;
    let mut failed = false;
    // The keychain (by `--backend`) found locked, or whose unlock prompt nobody answered: the
    // other saved pushes that read it wait for the next round instead of prompting again.
    let mut locked_out: Option<Option<String>> = None;
    for saved in data
        .pushes
        .iter()
        .filter(|p| options.only.is_empty() || options.only.contains(&p.id))
    {
        if STOP.load(Ordering::SeqCst) {
            break;
        }
        if saved.pinned.is_none() {
            // Saved before pushes were pinned: where it would go now is nowhere verified.
            failed = true;
            let e = format!(
                "saved push {} is not pinned to a cluster (saved by an older version): run its push again with --save to pin it, or `{} sync --forget {}`",
                saved.id,
                crate::BINARY_NAME,
                saved.id
            );
            writeln!(out, "push {}: failed: {e}", saved.id).map_err(Error::Stdout)?;
            record(store, saved.id, Vec::new(), Some(e), saved.expires)?;
            continue;
        }
        if saved.source == crate::source::Source::Keychain
            && locked_out.as_ref() == Some(&saved.backend)
        {
            continue;
        }
        let quiet = every.is_some();
        let mut capture = Capture::new(out, quiet);
        let mut notes = match &mut every {
            Some((_, seen)) => Notes::Once(err, &mut seen.notes, Vec::new()),
            None => Notes::All(err),
        };
        ABORTABLE.store(true, Ordering::SeqCst);
        let result = push::run_reporting(&to_options(saved), settings, &mut capture, &mut notes);
        ABORTABLE.store(false, Ordering::SeqCst);
        if STOP.load(Ordering::SeqCst) {
            break;
        }
        let lines = capture.lines;
        let mut just_locked = false;
        let (error, expires) = match result {
            Ok(report) => {
                failed |= report.outcome == push::Outcome::SomeFailed;
                (None, earliest(&report.expires))
            }
            Err(e) => {
                failed = true;
                writeln!(out, "push {}: failed: {e}", saved.id).map_err(Error::Stdout)?;
                just_locked = saved.source == crate::source::Source::Keychain && is_locked(&e);
                (Some(e.to_string()), saved.expires)
            }
        };
        drop(notes);
        if let (true, Some((interval, seen))) = (just_locked, &mut every) {
            locked_out = Some(saved.backend.clone());
            let note = format!(
                "the keychain is locked: the other saved pushes that read it wait for the next round (in {}) instead of prompting again",
                crate::expiry::human(*interval)
            );
            // Once per `--every`: each round's failure line already says it again.
            if seen.notes.insert(note.clone()) {
                messages::info(err, SYNC, format_args!("{note}"));
            }
        }
        if let (Some((interval, seen)), Some(at)) = (&mut every, expires) {
            let now = crate::expiry::now();
            if at > now
                && Duration::from_secs(at - now) < *interval
                && seen.expiry_warnings.insert((saved.id, at))
            {
                messages::warning(
                    err,
                    SYNC,
                    format_args!(
                        "push {}: a credential expires in {}, before the next round (every {}): use a shorter --every",
                        saved.id,
                        crate::expiry::human(Duration::from_secs(at - now)),
                        crate::expiry::human(*interval)
                    ),
                );
            }
        }
        record(store, saved.id, lines, error, expires)?;
    }
    Ok(if failed {
        push::Outcome::SomeFailed
    } else {
        push::Outcome::AllDone
    })
}

/// Whether a push failed because the keychain is locked or its unlock prompt went unanswered.
fn is_locked(e: &push::Error) -> bool {
    matches!(
        e,
        push::Error::Keychain(crate::protocol::Error::Backend(
            crate::backend::Error::SecretService(e)
        )) if e.is_locked()
    )
}

/// Keep a run's results on its saved push (re-read under the lock: another sync may have
/// recorded meanwhile, and a push forgotten meanwhile stays forgotten).
fn record(
    store: &Store,
    id: u64,
    lines: Vec<String>,
    error: Option<String>,
    expires: Option<u64>,
) -> Result<(), Error> {
    let mut locked = store.lock()?;
    let Some(p) = locked.data.pushes.iter_mut().find(|p| p.id == id) else {
        return Ok(());
    };
    p.last_run = Some(crate::expiry::now());
    if error.is_none() {
        p.last_results = lines;
    }
    p.last_error = error;
    p.expires = expires;
    locked.write()?;
    Ok(())
}

fn to_options(p: &SavedPush) -> push::Options {
    push::Options {
        registries: p.registries.clone(),
        all: p.all,
        namespaces: p.namespaces.clone(),
        all_namespaces: p.all_namespaces,
        namespace_selector: p.namespace_selector.clone(),
        excluded_namespaces: p.excluded_namespaces.clone(),
        contexts: p.contexts.clone(),
        kubeconfig: p.kubeconfig.clone(),
        name: p.name.clone(),
        service_accounts: p.service_accounts.clone(),
        create_namespace: p.create_namespace,
        insecure: p.insecure,
        request_timeout: Duration::from_secs(p.request_timeout),
        backend: p.backend.clone(),
        source: p.source.clone(),
        pinned: p.pinned.clone(),
        ..push::Options::default()
    }
}

/// Whether a target line says nothing changed.
fn is_unchanged(line: &str) -> bool {
    !line.contains(": failed: ")
        && (line.ends_with(": unchanged") || line.contains(": unchanged ("))
}

/// Passes push's lines on (with `quiet`, only those that are not `unchanged`) and keeps them.
struct Capture<'a> {
    inner: &'a mut dyn Write,
    quiet: bool,
    partial: Vec<u8>,
    lines: Vec<String>,
}

impl<'a> Capture<'a> {
    fn new(inner: &'a mut dyn Write, quiet: bool) -> Capture<'a> {
        Capture {
            inner,
            quiet,
            partial: Vec::new(),
            lines: Vec::new(),
        }
    }
}

impl Write for Capture<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.partial.extend_from_slice(buf);
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
            if !(self.quiet && is_unchanged(&text)) {
                self.inner.write_all(&line)?;
            }
            self.lines.push(text);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// push's warnings and notes: all of them, or (with `--every`) each only the first time.
enum Notes<'a, 'b> {
    All(&'a mut dyn Write),
    Once(&'a mut dyn Write, &'b mut HashSet<String>, Vec<u8>),
}

impl Write for Notes<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Notes::All(w) => w.write(buf),
            Notes::Once(w, seen, partial) => {
                partial.extend_from_slice(buf);
                while let Some(end) = partial.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = partial.drain(..=end).collect();
                    let text = String::from_utf8_lossy(&line);
                    // "expires at T (in 11h 59m)" is the same note a minute later.
                    let key = text.split(" (in ").next().unwrap_or_default().to_owned();
                    if seen.insert(key) {
                        w.write_all(&line)?;
                    }
                }
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Notes::All(w) | Notes::Once(w, ..) => w.flush(),
        }
    }
}

/// `90s`, `30m`, `6h` (also `1d`): the interval of `sync --every`.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let interval = crate::duration::parse(text)?;
    if interval.is_zero() {
        return Err(format!("{text:?}: the interval must be at least 1s"));
    }
    Ok(interval)
}

#[cfg(test)]
mod tests {
    use super::*;
    use on_store::includes;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_interval("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_interval("6h"), Ok(Duration::from_secs(21600)));
        for bad in ["", "5", "m", "1.5h", "-1s", "0s", "10x", "1 h"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unchanged_lines_are_told_apart() {
        assert!(is_unchanged("c/n/regcred: unchanged"));
        assert!(is_unchanged(
            "c/n/regcred: unchanged (kept its other registries: a.io)"
        ));
        assert!(is_unchanged("c/n/serviceaccount/ci: unchanged"));
        assert!(!is_unchanged("c/n/regcred: updated"));
        assert!(!is_unchanged("c/n/regcred: failed: unchanged"));
    }

    #[test]
    fn a_saved_push_includes_the_spellings_get_would_match() {
        let p = SavedPush {
            registries: vec!["registry.example.com".into()],
            ..SavedPush::default()
        };
        assert!(includes(&p, "https://registry.example.com"));
        assert!(includes(&p, "registry.example.com"));
        assert!(!includes(&p, "other.example.com"));
        let all = SavedPush {
            all: true,
            ..SavedPush::default()
        };
        assert!(includes(&all, "anything.io"));
    }
}
