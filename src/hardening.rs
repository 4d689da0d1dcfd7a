//! Process hardening done first thing at start: a helper that holds a secret must not leave it
//! in a core dump, nor be readable by other processes of the same user through ptrace or
//! `/proc/<pid>/mem` (ssh-agent and gpg-agent do the same).

/// Disable core dumps and make the process non-dumpable (Linux), best effort: failure to
/// harden is not a reason to fail a `docker pull`.
pub fn protect_process() {
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
}
