//! A keyring of its own inside the user's persistent kernel keyring, for one test.
//!
//! Real kernel keyring: each fixture names a unique keyring
//! (`DOCKER_CREDENTIAL_KEYRING_KEYUTILS_KEYRING`), so tests running in parallel never see each
//! other's keys; Drop destroys it. Inspection goes through the real `keyctl` program.

use super::{Home, Keyring, Run, run_command};
use std::ffi::OsString;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct KernelKeyring {
    pub home: Home,
    /// Our keyring's name inside the persistent keyring.
    pub name: String,
    /// Run everything as this user (`setpriv`), when set: the non-root quota applies.
    pub as_user: Option<u32>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl KernelKeyring {
    pub fn new() -> KernelKeyring {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        KernelKeyring {
            home: Home::new(),
            name: format!(
                "dck-test-{}-{}-{nanos}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ),
            as_user: None,
        }
    }

    /// A fixture whose commands run as `uid` (when the tests run as root) or as ourselves.
    pub fn unprivileged() -> KernelKeyring {
        let mut k = KernelKeyring::new();
        if is_root() {
            k.as_user = Some(65534);
            make_world_accessible(k.home.path());
        }
        k
    }

    /// `program args…` wrapped as this fixture runs things (`setpriv` to `as_user`).
    pub fn wrap(&self, program: &std::path::Path, args: &[&str]) -> Command {
        let mut cmd = match self.as_user {
            Some(uid) => {
                let mut c = Command::new("setpriv");
                c.args([
                    format!("--reuid={uid}"),
                    format!("--regid={uid}"),
                    "--clear-groups".to_owned(),
                    "--".to_owned(),
                ])
                .arg(program);
                c
            }
            None => Command::new(program),
        };
        cmd.args(args);
        cmd
    }

    /// Run a shell script that finds our keyring: in it, `$P` is the persistent keyring (linked
    /// into a fresh session keyring) and `$R` our keyring (empty when it does not exist).
    pub fn keyctl_script(&self, script: &str) -> Run {
        let full = format!(
            "P=$(keyctl get_persistent @s) || exit 3; R=$(keyctl search \"$P\" keyring \"$NAME\" 2>/dev/null); {script}"
        );
        let mut cmd = self.wrap(
            std::path::Path::new("keyctl"),
            &["session", "-", "sh", "-c", &full],
        );
        cmd.env("NAME", &self.name);
        run_command(cmd, b"")
    }

    /// The descriptions of the keys in our keyring, sorted.
    pub fn descriptions(&self) -> Vec<String> {
        let run = self.keyctl_script(
            "[ -n \"$R\" ] || exit 0; for k in $(keyctl rlist \"$R\"); do keyctl rdescribe \"$k\"; echo; done",
        );
        assert_eq!(run.code, Some(0), "{run:#?}");
        let mut d: Vec<String> = run
            .stdout
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.splitn(5, ';').nth(4).unwrap_or_default().to_owned())
            .collect();
        d.sort();
        d
    }
}

pub fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

#[cfg(unix)]
fn make_world_accessible(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).unwrap();
}

impl Keyring for KernelKeyring {
    fn backend(&self) -> &'static str {
        "keyutils"
    }
    fn env(&self) -> Vec<(OsString, OsString)> {
        let mut env = self.home.env();
        env.push((
            "DOCKER_CREDENTIAL_KEYRING_KEYUTILS_KEYRING".into(),
            self.name.clone().into(),
        ));
        env
    }
}

impl Drop for KernelKeyring {
    fn drop(&mut self) {
        // Destroy our keys and keyring (invalidate: gone from every keyring at once; the ring
        // first unlinked would no longer be ours to invalidate).
        let _ = self.keyctl_script(
            "[ -z \"$R\" ] || { for k in $(keyctl rlist \"$R\"); do keyctl invalidate \"$k\"; done; keyctl invalidate \"$R\"; } >/dev/null 2>&1; exit 0",
        );
    }
}
