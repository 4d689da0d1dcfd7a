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
    let Some(log_dir) = crate::settings::file::state_dir() else {
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
    // Said, not started: it could not unlock the keychain (push --save and doctor say so too).
    let stuck = data
        .pushes
        .iter()
        .filter(|p| ids.contains(&p.id))
        .find_map(|p| super::unusable_in_background(p.backend.as_deref(), settings));
    if let Some(why) = stuck {
        if let Some(log) = &mut log {
            let _ = writeln!(log, "{}: store of {server}: not syncing: {why}", stamp());
        }
        return;
    }
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

/// The log, appended to: a private file in a private directory, opened as the store lock is
/// (no symbolic link, ours, writable by nobody else; crate::fs::append_private), moved aside
/// once it grows past the limit. None when it cannot be used safely.
fn open_log(dir: &std::path::Path) -> Option<std::fs::File> {
    let log = crate::fs::append_private(dir, LOG_NAME).ok()?;
    if log.metadata().is_ok_and(|m| m.len() > LOG_LIMIT) {
        // The name was checked through the descriptor just opened; renaming it moves the
        // file we checked (or, raced, whatever is there now, which is only renamed).
        let _ = std::fs::rename(dir.join(LOG_NAME), dir.join(format!("{LOG_NAME}.1")));
        return crate::fs::append_private(dir, LOG_NAME).ok();
    }
    Some(log)
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
        // SAFETY: setsid, close_range, getrlimit and fcntl are async-signal-safe, all that
        // runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                close_inherited();
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

/// In the child, between fork and exec: every descriptor above 2 is closed at exec, so
/// nothing our caller passed down (a pipe it waits on for EOF, a socket) stays open while the
/// sync talks to clusters. close-on-exec rather than close: std's own error pipe to the parent
/// (already close-on-exec) keeps working until the exec. close_range (Linux 5.11) marks them
/// all at once; elsewhere, or on older kernels, each possible descriptor is marked in turn.
#[cfg(unix)]
fn close_inherited() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: a plain system call on descriptor numbers; no memory is passed.
        let r = unsafe {
            libc::syscall(
                libc::SYS_close_range,
                3 as libc::c_uint,
                libc::c_uint::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            )
        };
        if r == 0 {
            return;
        }
    }
    // SAFETY: getrlimit writes into the struct we own; fcntl on a descriptor number is safe
    // whether or not it is open (EBADF).
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        let max = if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0
            && limit.rlim_cur != libc::RLIM_INFINITY
        {
            limit.rlim_cur.min(1 << 20) as libc::c_int
        } else {
            1 << 16
        };
        for fd in 3..max {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
    }
}
