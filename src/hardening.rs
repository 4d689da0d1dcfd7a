//! Process hardening done first thing at start: a helper that holds a secret must not leave it
//! in a core dump, nor be readable by other processes of the same user through ptrace or
//! `/proc/<pid>/mem` (ssh-agent and gpg-agent do the same).

/// Disable core dumps and make the process non-dumpable (Linux), keep the standard streams'
/// slots from being reused, and keep panic messages out of stderr; best effort: failure to
/// harden is not a reason to fail a `docker pull`.
pub fn protect_process() {
    #[cfg(unix)]
    occupy_closed_standard_streams();
    quiet_panics();
    #[cfg(unix)]
    {
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: plain syscalls with a valid pointer to a local struct.
        unsafe {
            libc::setrlimit(libc::RLIMIT_CORE, &zero);
        }
    }
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_DUMPABLE takes an integer argument and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

/// Whether stdout was closed when the process started, recorded before Rust's runtime puts
/// `/dev/null` in its place (std does that for closed standard descriptors, so that nothing
/// else lands on 0, 1 or 2). A `get` with stdout closed would then "print" the credential into
/// `/dev/null` and exit 0: success when nothing reached anyone.
#[cfg(target_os = "linux")]
static STDOUT_WAS_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static RECORD_CLOSED_STDOUT: extern "C" fn() = record_closed_stdout;

#[cfg(target_os = "linux")]
extern "C" fn record_closed_stdout() {
    // SAFETY: fcntl(F_GETFD) on an integer descriptor touches no memory.
    if unsafe { libc::fcntl(1, libc::F_GETFD) } == -1 {
        STDOUT_WAS_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A stdout that was closed at start becomes `/dev/full`: every write fails (ENOSPC), so the
/// protocol's output fails and the helper exits 1 instead of claiming success.
#[cfg(unix)]
fn occupy_closed_standard_streams() {
    #[cfg(target_os = "linux")]
    if STDOUT_WAS_CLOSED.load(std::sync::atomic::Ordering::Relaxed) {
        // SAFETY: a NUL-terminated literal path; dup2 onto descriptor 1 (std's /dev/null).
        unsafe {
            let full = libc::open(c"/dev/full".as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if full >= 0 {
                libc::dup2(full, 1);
                libc::close(full);
            }
        }
    }
}

/// Panic messages can carry data (`unwrap` on an error prints its Debug form, which for a
/// `FromUtf8Error` is the bytes themselves). Our hook prints where the bug is, never the
/// message: no secret can reach stderr through a panic.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "{}: internal error{place} (a bug, please report it; its message is withheld because it may hold a secret)",
            crate::BINARY_NAME
        );
    }));
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn process_becomes_non_dumpable_without_core_dumps() {
        // Run in a child so the test process itself stays debuggable.
        let exe = std::env::current_exe().unwrap();
        if std::env::var_os("HARDENING_CHILD").is_some() {
            super::protect_process();
            let dumpable = unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) };
            let mut lim = libc::rlimit {
                rlim_cur: 1,
                rlim_max: 1,
            };
            unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut lim) };
            assert_eq!((dumpable, lim.rlim_cur, lim.rlim_max), (0, 0, 0));
            return;
        }
        let status = std::process::Command::new(exe)
            .args([
                "--exact",
                "hardening::tests::process_becomes_non_dumpable_without_core_dumps",
                "--nocapture",
            ])
            .env("HARDENING_CHILD", "1")
            .status()
            .unwrap();
        assert!(status.success());
    }

    #[test]
    fn a_panic_prints_where_but_never_its_message() {
        let exe = std::env::current_exe().unwrap();
        if std::env::var_os("HARDENING_PANIC_CHILD").is_some() {
            super::protect_process();
            let secret = String::from("CANARY-in-a-panic-message");
            let bytes = vec![0xff, b'C', b'A', b'N'];
            // The Debug form of the error holds the bytes: the default hook would print them.
            let _ = String::from_utf8(bytes).expect(&secret);
            return;
        }
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "hardening::tests::a_panic_prints_where_but_never_its_message",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("HARDENING_PANIC_CHILD", "1")
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !out.status.success(),
            "the child panicked: {stdout} {stderr}"
        );
        assert!(
            stderr.contains("internal error at src/hardening.rs:"),
            "the hook names the place: {stderr}"
        );
        for leak in ["CANARY", "255, 67, 65, 78", "panicked at"] {
            assert!(!stderr.contains(leak), "{leak:?} in {stderr}");
            assert!(!stdout.contains(leak), "{leak:?} in {stdout}");
        }
    }
}
