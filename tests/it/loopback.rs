//! Plain http:// on loopback goes only to a listener of our own uid. The real `kubectl proxy`
//! (in front of the project's API-server fake, over TLS) listens on a loopback port, run by us
//! or, through `setpriv`, by another user; the built binary pushes to it through a real
//! kubeconfig and reads a real kernel keyring.

#![cfg(target_os = "linux")]

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::apiserver::ApiServer;
use support::keyutils::{KernelKeyring, is_root};
use support::kubeconfig::{Auth, Ca, Kubeconfig, require_kubectl};
use support::{Run, helper_command, run_command, store};

const REGISTRY: &str = "registry.example.com";
const PASSWORD: &str = "canary-loopback-3e9a";
/// Another user, who can listen on loopback ports as well as we can.
const OTHER_UID: u32 = 65534;

/// A running `kubectl proxy` on a free loopback port; killed when dropped.
struct Proxy {
    child: Child,
    port: u16,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kubectl proxy --port=0` for `kubeconfig`, run as `uid` (None: as us).
fn kubectl_proxy(kubeconfig: &Path, home: &Path, uid: Option<u32>) -> Proxy {
    let mut cmd = match uid {
        Some(uid) => {
            let mut c = Command::new("setpriv");
            c.args([
                format!("--reuid={uid}"),
                format!("--regid={uid}"),
                "--clear-groups".into(),
                "--".into(),
                "kubectl".into(),
            ]);
            c
        }
        None => Command::new("kubectl"),
    };
    cmd.arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["proxy", "--port=0"])
        .env("HOME", home)
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("run kubectl proxy");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let mut proxy = Proxy { child, port: 0 };
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("kubectl proxy says where it serves");
    proxy.port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    proxy
}

/// A keyring holding the credential, a TLS fake with namespace `dev`, a kubeconfig for it
/// that the other user can read (for its proxy), and a HOME for kubectl.
struct World {
    keyring: KernelKeyring,
    server: ApiServer,
    dir: tempfile::TempDir,
    upstream: PathBuf,
}

impl World {
    fn new() -> World {
        use std::os::unix::fs::PermissionsExt;
        require_kubectl();
        let keyring = KernelKeyring::new();
        store(&keyring, REGISTRY, "alice", PASSWORD);
        let server = ApiServer::start_tls();
        server.create_namespace("dev");
        let dir = tempfile::tempdir().unwrap();
        let upstream = Kubeconfig::new()
            .server("fake", &server)
            .current("fake")
            .write(dir.path().join("upstream/config"));
        let home = dir.path().join("home");
        std::fs::create_dir(&home).unwrap();
        for (path, mode) in [
            (dir.path(), 0o755),
            (upstream.parent().unwrap(), 0o755),
            (upstream.as_path(), 0o644),
            (home.as_path(), 0o777),
        ] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        World {
            keyring,
            server,
            dir,
            upstream,
        }
    }

    fn proxy(&self, uid: Option<u32>) -> Proxy {
        kubectl_proxy(&self.upstream, &self.dir.path().join("home"), uid)
    }

    /// `push REGISTRY -n dev` through a kubeconfig whose context `proxy` is `server` (plain
    /// http, no credentials: the proxy adds them).
    fn push(&self, server: &str, extra: &[&str]) -> Run {
        let kubeconfig = Kubeconfig::new()
            .cluster("proxy", server, Ca::None)
            .user("proxy", Auth::Anonymous)
            .context("proxy", "proxy", "proxy", Some("dev"))
            .current("proxy")
            .write(self.dir.path().join("proxy-config"));
        let mut args = vec![
            "push",
            REGISTRY,
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let run = run_command(helper_command(&self.keyring, &args), b"");
        for text in [&run.stdout, &run.stderr] {
            assert!(!text.contains(PASSWORD), "{run:#?}");
        }
        run
    }

    fn pushed(&self) -> bool {
        self.server.secret("dev", "regcred").is_some()
    }
}

#[test]
fn another_users_listener_on_loopback_gets_nothing_without_insecure() {
    if !is_root() {
        eprintln!("skipped: needs root to run kubectl proxy as another user");
        return;
    }
    let w = World::new();
    let proxy = w.proxy(Some(OTHER_UID));
    let url = format!("http://127.0.0.1:{}", proxy.port);
    let run = w.push(&url, &[]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(
        run.stdout,
        format!(
            "proxy/dev/regcred: failed: refused to send the registry passwords to context \"proxy\": its API server {url}/ is plain http:// on loopback, and port {port} on 127.0.0.1 is listened on by uid {OTHER_UID}, not by you (uid 0), so that user would get the registry passwords: run the proxy (kubectl proxy) as yourself, or give the cluster an https:// server, or pass --insecure to send them anyway\n",
            port = proxy.port
        ),
        "{run:#?}"
    );
    // (kubectl proxy itself asks for /version when it starts.)
    let sent: Vec<_> = w
        .server
        .requests()
        .into_iter()
        .filter(|r| r.path != "/version")
        .collect();
    assert!(sent.is_empty(), "{sent:#?}");
    assert!(!w.pushed());

    // The same listener works, and the passwords go there, when the user says so.
    let run = w.push(&url, &["--insecure"]);
    assert_eq!(run.stdout, "proxy/dev/regcred: created\n", "{run:#?}");
    assert!(
        run.stderr.contains("(--insecure)") && run.stderr.contains("uid 65534"),
        "{run:#?}"
    );
    assert!(w.pushed());
}

#[test]
fn our_own_kubectl_proxy_on_loopback_is_used_and_a_stopped_one_is_not() {
    let w = World::new();
    let proxy = w.proxy(None);
    let port = proxy.port;
    let run = w.push(&format!("http://127.0.0.1:{port}"), &[]);
    assert_eq!(
        (run.stdout.as_str(), run.stderr.as_str()),
        ("proxy/dev/regcred: created\n", ""),
        "{run:#?}"
    );
    // By name too: `localhost` is checked on every address it resolves to.
    let run = w.push(&format!("http://localhost:{port}"), &[]);
    assert_eq!(run.stdout, "proxy/dev/regcred: unchanged\n", "{run:#?}");

    // Stopped: whoever listens there next is unknown now, so nothing is sent.
    drop(proxy);
    w.server.clear_requests();
    let run = w.push(&format!("http://127.0.0.1:{port}"), &[]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stdout.contains(&format!(
            "nothing listens on port {port} on 127.0.0.1 now, so who would get the registry passwords cannot be checked"
        )) && run.stdout.contains("--insecure"),
        "{run:#?}"
    );
}
