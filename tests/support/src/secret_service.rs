//! A real Secret Service for one test: a private `dbus-daemon` (own config, no service
//! activation) and an unlocked `gnome-keyring-daemon`, with HOME and XDG directories in a
//! temporary directory. Both daemons are killed when the fixture is dropped.
//!
//! Helpers put the service in the states the failure tests need: locked over D-Bus
//! (`org.freedesktop.Secret.Service.Lock`), locked since start (restarted without `--unlock`:
//! only hashed attributes are visible), stopped with SIGSTOP, killed; and a bus without any
//! Secret Service.

use super::{Home, Keyring, Run, run_command};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The password of the fixture's login keyring.
pub const PASSWORD: &str = "fixture-password";
/// The default collection gnome-keyring creates with `--unlock`.
pub const LOGIN: &str = "/org/freedesktop/secrets/collection/login";

/// A private session bus, with or without gnome-keyring on it.
pub struct SecretServiceFixture {
    pub home: Home,
    runtime_dir: PathBuf,
    address: String,
    dbus: Child,
    keyring: Option<Child>,
    prompter: Option<Prompter>,
}

/// A virtual X display (Xvfb) with gcr-prompter on the fixture's bus: gnome-keyring's unlock
/// dialogs appear there, and [`SecretServiceFixture::answer_prompt`] types into them.
struct Prompter {
    xvfb: Child,
    gcr: Child,
    display: String,
}

/// A private bus with an unlocked gnome-keyring: `pub fn fixture() -> impl Keyring` for the
/// protocol suite.
pub fn fixture() -> SecretServiceFixture {
    let mut f = SecretServiceFixture::bus_only();
    f.start_keyring(true);
    f
}

/// A private bus with nothing owning `org.freedesktop.secrets`.
pub fn bus_without_secret_service() -> SecretServiceFixture {
    SecretServiceFixture::bus_only()
}

impl Keyring for SecretServiceFixture {
    fn backend(&self) -> &'static str {
        "secret-service"
    }

    fn env(&self) -> Vec<(OsString, OsString)> {
        let mut env = self.home.env();
        env.push((
            "DBUS_SESSION_BUS_ADDRESS".into(),
            self.address.clone().into(),
        ));
        env
    }
}

impl SecretServiceFixture {
    fn bus_only() -> SecretServiceFixture {
        let home = Home::new();
        let runtime_dir = home.path().join("run");
        std::fs::create_dir_all(&runtime_dir).unwrap();
        set_mode(&runtime_dir, 0o700);
        for d in [".config", ".local/share", ".cache"] {
            std::fs::create_dir_all(home.path().join(d)).unwrap();
        }
        let socket = runtime_dir.join("bus");
        let config = home.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="max_replies_per_connection">50000</limit>
</busconfig>
"#,
                socket.display()
            ),
        )
        .unwrap();
        let (dbus, address) = Self::bus_only_at(&home);
        assert!(
            address.starts_with("unix:"),
            "dbus-daemon address: {address:?}"
        );
        SecretServiceFixture {
            home,
            runtime_dir,
            address,
            dbus,
            keyring: None,
            prompter: None,
        }
    }

    /// The private bus's address.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// `$XDG_RUNTIME_DIR` of this fixture; the bus socket is `bus` in it.
    pub fn runtime_dir(&self) -> &Path {
        &self.runtime_dir
    }

    /// The environment every tool run against this keyring gets.
    pub fn tool_env(&self) -> Vec<(OsString, OsString)> {
        let mut env = self.env();
        env.push(("XDG_RUNTIME_DIR".into(), self.runtime_dir.clone().into()));
        env
    }

    /// Start gnome-keyring-daemon (secrets only), unlocking (and on first start creating) the
    /// login keyring with [`PASSWORD`] when `unlock`; wait until it owns its name and has a
    /// default collection.
    fn start_keyring(&mut self, unlock: bool) {
        let mut cmd = Command::new("gnome-keyring-daemon");
        cmd.args(["--foreground", "--components=secrets"]);
        if unlock {
            cmd.arg("--unlock");
        }
        let mut child = cmd
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.tool_env())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gnome-keyring-daemon (Debian package gnome-keyring)");
        let mut stdin = child.stdin.take().unwrap();
        if unlock {
            stdin.write_all(PASSWORD.as_bytes()).unwrap();
        }
        drop(stdin);
        self.keyring = Some(child);
        let start = Instant::now();
        loop {
            let out = self.dbus_send(&[
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.ReadAlias",
                "string:default",
            ]);
            // The alias answered, and so does a search (once seen failing with UnknownMethod
            // right after start on a loaded machine): the service is whole.
            let searched = || {
                self.dbus_send(&[
                    "/org/freedesktop/secrets",
                    "org.freedesktop.Secret.Service.SearchItems",
                    "dict:string:string:docker-credential-keyring-fixture,ready",
                ])
                .status
                .success()
            };
            if String::from_utf8_lossy(&out.stdout).contains(LOGIN) && searched() {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "gnome-keyring-daemon did not come up: {out:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `dbus-send --print-reply --dest=org.freedesktop.secrets ARGS…` on this bus.
    pub fn dbus_send(&self, args: &[&str]) -> Output {
        Command::new("dbus-send")
            .args([
                &format!("--bus={}", self.address),
                "--print-reply",
                "--reply-timeout=5000",
                "--dest=org.freedesktop.secrets",
            ])
            .args(args)
            .output()
            .expect("run dbus-send")
    }

    /// Lock the login collection (`org.freedesktop.Secret.Service.Lock`).
    pub fn lock(&self) {
        let out = self.dbus_send(&[
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            &format!("array:objpath:{LOGIN}"),
        ]);
        assert!(out.status.success(), "lock: {out:?}");
        let items = self.dbus_send(&[
            LOGIN,
            "org.freedesktop.DBus.Properties.Get",
            "string:org.freedesktop.Secret.Collection",
            "string:Locked",
        ]);
        assert!(
            String::from_utf8_lossy(&items.stdout).contains("boolean true"),
            "collection still unlocked: {items:?}"
        );
    }

    /// Restart gnome-keyring without unlocking: the login keyring is then locked as after a
    /// reboot, with only hashed attributes visible.
    pub fn restart_locked(&mut self) {
        self.kill_keyring();
        self.start_keyring(false);
    }

    /// The gnome-keyring-daemon process id.
    pub fn keyring_pid(&self) -> u32 {
        self.keyring.as_ref().expect("keyring running").id()
    }

    /// SIGSTOP gnome-keyring: it stays on the bus but answers nothing.
    pub fn stop_keyring(&self) {
        signal("STOP", self.keyring_pid());
    }

    /// SIGCONT gnome-keyring.
    pub fn continue_keyring(&self) {
        signal("CONT", self.keyring_pid());
    }

    /// Kill gnome-keyring and wait until its name is gone from the bus.
    pub fn kill_keyring(&mut self) {
        if let Some(mut child) = self.keyring.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.wait_for_name("org.freedesktop.secrets", false);
    }

    /// Stop the bus itself with SIGSTOP: it accepts connections but answers nothing.
    pub fn stop_bus(&self) {
        signal("STOP", self.dbus.id());
    }

    pub fn continue_bus(&self) {
        signal("CONT", self.dbus.id());
    }

    /// Whether gnome-keyring-daemon is still running (it has not crashed).
    pub fn keyring_alive(&mut self) -> bool {
        self.keyring
            .as_mut()
            .is_some_and(|c| c.try_wait().expect("poll gnome-keyring").is_none())
    }

    /// Start Xvfb and gcr-prompter (Debian packages xvfb, gcr) so that unlock prompts are shown
    /// on a display nobody looks at, unless the test answers them.
    pub fn start_prompter(&mut self) {
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                "800x600x24",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb (Debian package xvfb)");
        let mut line = String::new();
        BufReader::new(xvfb.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("Xvfb prints its display number");
        let display = format!(":{}", line.trim());
        let gcr = Command::new("/usr/libexec/gcr-prompter")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.tool_env())
            .env("DISPLAY", &display)
            .env("GDK_BACKEND", "x11")
            .env("NO_AT_BRIDGE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gcr-prompter (Debian package gcr)");
        self.prompter = Some(Prompter { xvfb, gcr, display });
        self.wait_for_name("org.gnome.keyring.SystemPrompter", true);
    }

    /// The titles of the windows on the prompter's display.
    pub fn prompt_windows(&self) -> Vec<String> {
        let display = &self.prompter.as_ref().expect("prompter started").display;
        let ids = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", "."])
            .env("DISPLAY", display)
            .output()
            .expect("run xdotool (Debian package xdotool)");
        String::from_utf8_lossy(&ids.stdout)
            .split_whitespace()
            .map(|id| {
                let name = Command::new("xdotool")
                    .args(["getwindowname", id])
                    .env("DISPLAY", display)
                    .output()
                    .expect("run xdotool");
                String::from_utf8_lossy(&name.stdout).trim().to_owned()
            })
            .collect()
    }

    /// Wait for the unlock dialog, type `password` into it and press Return.
    pub fn answer_prompt(&self, password: &str) {
        let display = &self.prompter.as_ref().expect("prompter started").display;
        let start = Instant::now();
        let window = loop {
            let out = Command::new("xdotool")
                .args(["search", "--onlyvisible", "--name", "Unlock"])
                .env("DISPLAY", display)
                .output()
                .expect("run xdotool (Debian package xdotool)");
            if let Some(id) = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .last()
            {
                break id.to_owned();
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no unlock dialog appeared"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let xdotool = |args: &[&str]| {
            let status = Command::new("xdotool")
                .args(args)
                .env("DISPLAY", display)
                .status()
                .expect("run xdotool");
            assert!(status.success(), "xdotool {args:?}");
        };
        xdotool(&["windowfocus", "--sync", &window]);
        xdotool(&["type", "--delay", "10", password]);
        xdotool(&["key", "Return"]);
    }

    /// Whether the login collection is locked.
    pub fn is_locked(&self) -> bool {
        let out = self.dbus_send(&[
            LOGIN,
            "org.freedesktop.DBus.Properties.Get",
            "string:org.freedesktop.Secret.Collection",
            "string:Locked",
        ]);
        String::from_utf8_lossy(&out.stdout).contains("boolean true")
    }

    /// Wait until `name` is (or is no longer) owned on the bus.
    fn wait_for_name(&self, name: &str, owned: bool) {
        let start = Instant::now();
        let want = if owned {
            "boolean true"
        } else {
            "boolean false"
        };
        while start.elapsed() < Duration::from_secs(20) {
            let out = Command::new("dbus-send")
                .args([
                    &format!("--bus={}", self.address),
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    &format!("string:{name}"),
                ])
                .output()
                .expect("run dbus-send");
            if String::from_utf8_lossy(&out.stdout).contains(want) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("{name}: owned should be {owned}");
    }

    /// Start `dbus-monitor` on the bus; [`Monitor::finish`] returns what it saw.
    pub fn monitor(&self) -> Monitor {
        let mut child = Command::new("dbus-monitor")
            .args(["--address", &self.address, "--monitor"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run dbus-monitor (Debian package dbus)");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        // It is monitoring once it has told us it lost its own name.
        let mut seen = String::new();
        while !seen.contains("NameLost") {
            let mut line = String::new();
            if out.read_line(&mut line).expect("read dbus-monitor") == 0 {
                panic!("dbus-monitor exited: {seen}");
            }
            seen.push_str(&line);
        }
        let (lines, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            loop {
                let mut line = String::new();
                match out.read_line(&mut line) {
                    Ok(n) if n > 0 && lines.send(line).is_ok() => {}
                    _ => return,
                }
            }
        });
        Monitor {
            child,
            lines: rx,
            address: self.address.clone(),
        }
    }

    /// Run Debian's `docker-credential-secretservice` on this keyring.
    pub fn go_helper(&self, args: &[&str], stdin: &str) -> Run {
        let mut cmd = Command::new(GO_HELPER);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.tool_env())
            .args(args);
        run_command(cmd, stdin.as_bytes())
    }

    /// Store through the Go helper and assert it worked.
    #[track_caller]
    pub fn go_store(&self, server: &str, username: &str, secret: &str) {
        let payload =
            serde_json::json!({"ServerURL": server, "Username": username, "Secret": secret});
        let run = self.go_helper(&["store"], &payload.to_string());
        assert_eq!(run.code, Some(0), "Go helper store: {run:#?}");
    }

    /// `secret-tool ARGS…` (libsecret-tools) on this keyring, stderr merged into stdout (it
    /// prints an item's attributes on stderr, the rest on stdout).
    pub fn secret_tool(&self, args: &[&str]) -> Output {
        Command::new("sh")
            .args(["-c", "exec secret-tool \"$@\" 2>&1", "sh"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.tool_env())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run secret-tool (Debian package libsecret-tools)")
    }

    /// Every Docker item for `server` as `secret-tool search --all` prints them: one map of
    /// `key = value` lines per item.
    pub fn items_for(&self, server: &str) -> Vec<std::collections::BTreeMap<String, String>> {
        let out = self.secret_tool(&[
            "search",
            "--all",
            "--unlock",
            "xdg:schema",
            "io.docker.Credentials",
            "server",
            server,
        ]);
        parse_secret_tool(&out)
    }
}

/// Parse `secret-tool search --all` output: one map of `key = value` per `[path]` item.
pub fn parse_secret_tool(out: &Output) -> Vec<std::collections::BTreeMap<String, String>> {
    let text = String::from_utf8_lossy(&out.stdout);
    let mut items = Vec::new();
    let mut current: Option<std::collections::BTreeMap<String, String>> = None;
    for line in text.lines() {
        if line.starts_with('[') && line.ends_with(']') {
            items.extend(current.take());
            let mut m = std::collections::BTreeMap::new();
            m.insert("path".into(), line[1..line.len() - 1].to_owned());
            current = Some(m);
        } else if let (Some(m), Some((k, v))) = (current.as_mut(), line.split_once(" = ")) {
            m.insert(k.to_owned(), v.to_owned());
        }
    }
    items.extend(current);
    items
}

/// A running `dbus-monitor`.
pub struct Monitor {
    child: Child,
    /// Its output, line by line.
    lines: std::sync::mpsc::Receiver<String>,
    address: String,
}

impl Monitor {
    /// Stop monitoring; every message seen on the bus since [`SecretServiceFixture::monitor`].
    ///
    /// Complete up to this call: a sentinel call is sent on the bus and the capture read until
    /// the monitor shows it (the bus daemon forwards messages to the monitor in the order it
    /// routes them, and everything a finished client sent was routed before its replies). The
    /// sentinel's own connection (its `Hello`, its call, their replies and signals) is left out.
    pub fn finish(mut self) -> String {
        static SENTINELS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let token = format!(
            "dck-monitor-sentinel-{}-{}",
            std::process::id(),
            SENTINELS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let out = Command::new("dbus-send")
            .args([
                &format!("--bus={}", self.address),
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                &format!("string:{token}"),
            ])
            .output()
            .expect("run dbus-send");
        assert!(out.status.success(), "the sentinel call: {out:?}");
        let mut seen = String::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        let marker = format!("string \"{token}\"");
        while !seen.contains(&marker) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => seen.push_str(&line),
                Err(e) => panic!("dbus-monitor never showed the sentinel call ({e}): {seen}"),
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        without_sentinel(&seen, &marker)
    }
}

/// `seen` (dbus-monitor's output) up to the sentinel call marked `marker`, without the messages
/// of the sentinel's connection.
fn without_sentinel(seen: &str, marker: &str) -> String {
    // One message: a header line at column 0, then its indented arguments.
    let mut messages: Vec<String> = Vec::new();
    for line in seen.split_inclusive('\n') {
        match messages.last_mut() {
            Some(m) if line.starts_with([' ', '\t']) => m.push_str(line),
            _ => messages.push(line.to_owned()),
        }
    }
    let at = messages
        .iter()
        .position(|m| m.contains(marker))
        .expect("the sentinel");
    let sender = messages[at]
        .split_whitespace()
        .find_map(|w| w.strip_prefix("sender="))
        .expect("the sentinel's sender")
        .to_owned();
    let own = |m: &String| {
        let header = m.lines().next().unwrap_or_default();
        header.contains(&format!("sender={sender} "))
            || header.contains(&format!("destination={sender} "))
            || (header.contains("member=NameOwnerChanged") && m.contains(&format!("\"{sender}\"")))
    };
    messages[..at].iter().filter(|m| !own(m)).cloned().collect()
}

/// Debian's Go helper (package golang-docker-credential-helpers).
pub const GO_HELPER: &str = "/usr/bin/docker-credential-secretservice";

fn signal(sig: &str, pid: u32) {
    // The shell's builtin kill: /usr/bin/kill (procps) is not on every minimal image.
    let status = Command::new("sh")
        .args(["-c", "kill -s \"$1\" \"$2\"", "sh", sig, &pid.to_string()])
        .status()
        .expect("run sh");
    assert!(status.success(), "kill -{sig} {pid}");
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

impl Drop for SecretServiceFixture {
    fn drop(&mut self) {
        if let Some(mut p) = self.prompter.take() {
            for child in [&mut p.gcr, &mut p.xvfb] {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        // SIGKILL works on stopped processes too.
        if let Some(mut child) = self.keyring.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = self.dbus.kill();
        let _ = self.dbus.wait();
    }
}

impl SecretServiceFixture {
    /// Start gnome-keyring again (unlocked, on the same keyring files) after
    /// [`SecretServiceFixture::kill_keyring`].
    pub fn restart_keyring(&mut self) {
        self.kill_keyring();
        self.start_keyring(true);
    }

    /// Kill the bus daemon (SIGKILL): every connection to it breaks.
    pub fn kill_bus(&mut self) {
        let _ = self.dbus.kill();
        let _ = self.dbus.wait();
    }

    /// Kill what runs, start a new bus at the same address and gnome-keyring (unlocked) on the
    /// same keyring files.
    pub fn restart_bus_and_keyring(&mut self) {
        if let Some(mut child) = self.keyring.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.kill_bus();
        let _ = std::fs::remove_file(self.runtime_dir.join("bus"));
        let fresh = SecretServiceFixture::bus_only_at(&self.home);
        let path = |a: &str| a.split(',').next().unwrap_or_default().to_owned();
        assert_eq!(
            path(&fresh.1),
            path(&self.address),
            "the new bus listens at the same path"
        );
        self.dbus = fresh.0;
        self.address = fresh.1;
        self.start_keyring(true);
    }

    /// A dbus-daemon on `home`'s existing `bus.conf`: (process, address).
    fn bus_only_at(home: &Home) -> (Child, String) {
        let config = home.path().join("bus.conf");
        let mut dbus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--nopidfile", "--print-address"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon (Debian package dbus)");
        let mut line = String::new();
        BufReader::new(dbus.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("dbus-daemon prints its address");
        (dbus, line.trim().to_owned())
    }
}

impl SecretServiceFixture {
    /// The dbus-daemon process id.
    pub fn bus_pid(&self) -> u32 {
        self.dbus.id()
    }
}
