//! Sync on store: after a successful `store`, with `"sync_on_store": true`, the saved pushes
//! that include the stored registry run in a detached process (own session, output to a log in
//! our state directory), so `docker login` never waits for a cluster nor fails because of one.

use super::LOG_NAME;
use super::saved::{SavedPush, Store};
use crate::settings::Settings;
use std::io::Write;

/// A log grown past this is moved to `sync.log.1` (one old generation kept).
const LOG_LIMIT: u64 = 1 << 20;

/// After a successful `store` of `server`: with `"sync_on_store": true`, start the saved
/// pushes that include it in a detached process and return at once. Never fails the store:
/// whatever goes wrong here is written to the log, or nowhere.
pub fn after_store(settings: &Settings, server: &str) {
    let Ok(config) = settings.config() else {
        return;
    };
    if !config.sync_on_store {
        return;
    }
    let Ok(store) = Store::beside(settings.config_path()) else {
        return;
    };
    let Some(log_dir) = crate::config::state_dir() else {
        return;
    };
    let data = match store.read() {
        Ok(d) => d,
        Err(e) => {
            if let Some(mut log) = open_log(&log_dir) {
                let _ = writeln!(log, "{}: sync on store: {e}", stamp());
            }
            return;
        }
    };
    let ids: Vec<u64> = data
        .pushes
        .iter()
        .filter(|p| includes(p, server))
        .map(|p| p.id)
        .collect();
    if ids.is_empty() {
        return;
    }
    let mut log = open_log(&log_dir);
    let list = ids.iter().map(u64::to_string).collect::<Vec<_>>();
    if let Some(log) = &mut log {
        let _ = writeln!(
            log,
            "{}: store of {server}: syncing saved push {}",
            stamp(),
            list.join(", ")
        );
    }
    if let Err(e) = spawn_detached(&ids, log.as_ref())
        && let Some(log) = &mut log
    {
        let _ = writeln!(log, "{}: cannot start the sync: {e}", stamp());
    }
}

fn stamp() -> String {
    crate::expiry::rfc3339(crate::expiry::now())
}

/// Whether a saved push reads the credential stored for `server` (the address rules of `get`).
pub(super) fn includes(p: &SavedPush, server: &str) -> bool {
    p.all
        || p.registries.iter().any(|q| {
            crate::registry::same_registry(q, server)
                || crate::registry::resolve(q, std::iter::once(server)).is_some()
        })
}

/// The log, appended to (0600 in a 0700 directory), moved aside once it grows past the limit.
fn open_log(dir: &std::path::Path) -> Option<std::fs::File> {
    crate::fs::create_private_dir(dir).ok()?;
    let path = dir.join(LOG_NAME);
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > LOG_LIMIT) {
        let _ = std::fs::rename(&path, dir.join(format!("{LOG_NAME}.1")));
    }
    let mut open = std::fs::OpenOptions::new();
    open.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    open.open(path).ok()
}

/// `docker-credential-keyring sync --only ID…` in its own session, stdin empty, output to the
/// log: the caller (docker login) neither waits for it nor sees it. It reads the keychain
/// itself; no secret is in its arguments or environment.
fn spawn_detached(ids: &[u64], log: Option<&std::fs::File>) -> std::io::Result<()> {
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.arg("sync");
    for id in ids {
        cmd.arg("--only").arg(id.to_string());
    }
    cmd.stdin(Stdio::null());
    match log {
        Some(f) => {
            cmd.stdout(f.try_clone()?).stderr(f.try_clone()?);
        }
        None => {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid is async-signal-safe, all that runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        const DETACHED_PROCESS: u32 = 0x0000_0008;
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        cmd.creation_flags(DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP);
    }
    // Not waited for: we exit right after, and the child is reparented.
    cmd.spawn().map(drop)
}
