//! `setup` run as users run it (the built binary, the real `file` keychain backend), with
//! Docker's config file checked byte for byte; and how every command that reads config.json
//! (setup, import, doctor) treats a bad one.

#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;
use support::adoption::{
    Sandbox, assert_no_secret, assert_refused_volatile, auth, names, owner, plaintext_config,
    users_files, volatile_sandbox,
};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A config as a user might have it: two-space indent, fields docker and plugins add.
const USER_CONFIG: &str = r#"{
  "auths": {
    "reg.example:5000": {}
  },
  "psFormat": "table {{.ID}}\t{{.Names}}",
  "proxies": {"default": {"httpProxy": "http://proxy:3128", "noProxy": "localhost,<local>"}},
  "currentContext": "default",
  "plugins": {"x": {"a": [1, 2.5, true, null]}}
}
"#;

const USER_CONFIG_AFTER_SETUP: &str = "{\n\t\"auths\": {\n\t\t\"reg.example:5000\": {}\n\t},\n\t\"psFormat\": \"table {{.ID}}\\t{{.Names}}\",\n\t\"proxies\": {\n\t\t\"default\": {\n\t\t\t\"httpProxy\": \"http://proxy:3128\",\n\t\t\t\"noProxy\": \"localhost,\\u003clocal\\u003e\"\n\t\t}\n\t},\n\t\"currentContext\": \"default\",\n\t\"plugins\": {\n\t\t\"x\": {\n\t\t\t\"a\": [\n\t\t\t\t1,\n\t\t\t\t2.5,\n\t\t\t\ttrue,\n\t\t\t\tnull\n\t\t\t]\n\t\t}\n\t},\n\t\"credsStore\": \"keyring\"\n}";

#[test]
fn setup_keeps_fields_writes_dockers_layout_keeps_a_backup_and_is_idempotent() {
    let s = Sandbox::new();
    s.write_config(USER_CONFIG);
    std::fs::set_permissions(s.config(), std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = s.ours(&["setup"], "");
    assert!(
        out.ok().contains("now has \"credsStore\": \"keyring\""),
        "{out:#?}"
    );
    assert_eq!(
        String::from_utf8(s.config_bytes()).unwrap(),
        USER_CONFIG_AFTER_SETUP
    );
    assert_eq!(mode(&s.config()), 0o640, "permissions are kept");
    let bak = s.config_dir().join("config.json.bak");
    assert_eq!(std::fs::read_to_string(&bak).unwrap(), USER_CONFIG);
    assert_eq!(mode(&bak), 0o600);
    assert_eq!(names(&s.config_dir()), ["config.json", "config.json.bak"]);

    // A second run changes no byte (of the file or its backup) and says so.
    let before = (s.config_bytes(), std::fs::read(&bak).unwrap());
    let mtime = std::fs::metadata(s.config()).unwrap().modified().unwrap();
    let again = s.ours(&["setup"], "");
    assert!(again.ok().contains("nothing to change"), "{again:#?}");
    assert_eq!((s.config_bytes(), std::fs::read(&bak).unwrap()), before);
    assert_eq!(
        std::fs::metadata(s.config()).unwrap().modified().unwrap(),
        mtime
    );

    // --registry adds credHelpers entries (Docker Hub under both names clients use), once.
    s.ours(
        &[
            "setup",
            "--registry",
            "https://Quay.io/v2/",
            "--registry",
            "docker.io",
        ],
        "",
    )
    .ok();
    let c = s.config_json();
    assert_eq!(
        c["credHelpers"],
        serde_json::json!({"quay.io": "keyring", "https://index.docker.io/v1/": "keyring", "index.docker.io": "keyring", "docker.io": "keyring"})
    );
    let bytes = s.config_bytes();
    s.ours(
        &["setup", "--registry", "quay.io", "--registry", "docker.io"],
        "",
    )
    .ok();
    assert_eq!(s.config_bytes(), bytes);
}

#[test]
fn setup_creates_a_0600_config_in_a_0700_directory() {
    let s = Sandbox::new();
    std::fs::remove_dir(s.config_dir()).unwrap();
    s.ours(&["setup"], "").ok();
    assert_eq!(
        String::from_utf8(s.config_bytes()).unwrap(),
        "{\n\t\"credsStore\": \"keyring\"\n}"
    );
    assert_eq!(mode(&s.config()), 0o600);
    assert_eq!(mode(&s.config_dir()), 0o700);
    assert_eq!(
        names(&s.config_dir()),
        ["config.json"],
        "no backup of nothing"
    );
}

#[test]
fn setup_writes_through_a_symlinked_config() {
    let s = Sandbox::new();
    let dotfiles = s.home.path().join("dotfiles");
    std::fs::create_dir(&dotfiles).unwrap();
    std::fs::write(dotfiles.join("docker.json"), "{\"auths\": {}}").unwrap();
    std::os::unix::fs::symlink("../dotfiles/docker.json", s.config()).unwrap();
    s.ours(&["setup"], "").ok();
    assert!(
        std::fs::symlink_metadata(s.config())
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(dotfiles.join("docker.json")).unwrap(),
        "{\n\t\"auths\": {},\n\t\"credsStore\": \"keyring\"\n}"
    );
    assert_eq!(
        std::fs::read_to_string(dotfiles.join("docker.json.bak")).unwrap(),
        "{\"auths\": {}}"
    );
}

/// Every bad config: a clear one-line error naming the file, exit 1, the bytes unchanged,
/// nothing created next to it — for setup, import and import --dry-run; doctor reports it.
#[test]
fn bad_configs_are_refused_and_left_untouched() {
    let cases: &[(&str, &str)] = &[
        ("", "is empty"),
        ("  \n", "is empty"),
        ("{\"auths\": {", "not valid JSON"),
        ("{\"credsStore\": \"keyring\",}", "not valid JSON"),
        ("{} {}", "not valid JSON"),
        ("[]", "the top level must be an object"),
        ("\"x\"", "the top level must be an object"),
        ("{\"credsStore\": 5}", "\"credsStore\" must be a string"),
        (
            "{\"credHelpers\": \"keyring\"}",
            "\"credHelpers\" must be an object",
        ),
        ("{\"credHelpers\": {\"a\": true}}", "must be a string"),
        ("{\"auths\": []}", "\"auths\" must be an object"),
        (
            "{\"auths\": {\"h\": \"dXNlcjpwYXNz\"}}",
            "must be an object",
        ),
        ("{\"auths\": {\"h\": {\"auth\": 7}}}", "must be a string"),
    ];
    for (text, expected) in cases {
        let s = Sandbox::new();
        s.write_config(text);
        for args in [&["setup"][..], &["import"], &["import", "--dry-run"]] {
            let out = s.ours(args, "");
            assert_eq!(out.code, Some(1), "{args:?} on {text:?}: {out:#?}");
            assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
            assert!(
                out.stderr.contains(expected),
                "{args:?} on {text:?}: {out:#?}"
            );
            assert!(out.stderr.contains("config.json"), "{out:#?}");
            assert!(out.stderr.contains("nothing was changed"), "{out:#?}");
            assert_eq!(s.config_bytes(), text.as_bytes(), "{args:?} on {text:?}");
            assert_eq!(
                names(&s.config_dir()),
                ["config.json"],
                "{args:?} on {text:?}"
            );
        }
        let doctor = s.ours(&["doctor", "--json"], "");
        assert_eq!(doctor.code, Some(1));
        let report: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap();
        let check = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "docker-config")
            .expect("doctor reports the config");
        assert_eq!(check["status"], "problem");
        assert_eq!(s.config_bytes(), text.as_bytes());
    }
}

#[test]
fn errors_never_show_the_file_content() {
    let s = Sandbox::new();
    let secret = auth("alice", "do-not-print-me");
    s.write_config(&format!(
        "{{\"auths\": {{\"h\": {{\"auth\": \"{secret}\" }}"
    ));
    let out = s.ours(&["setup"], "");
    assert_eq!(out.code, Some(1));
    assert!(
        !out.stdout.contains(&secret) && !out.stderr.contains(&secret),
        "{out:#?}"
    );
    s.write_config(&format!(
        "{{\"auths\": {{\"h\": {{\"password\": [\"{secret}\"]}}}}}}"
    ));
    let out = s.ours(&["import"], "");
    assert_eq!(out.code, Some(1));
    assert!(
        !out.stdout.contains(&secret) && !out.stderr.contains(&secret),
        "{out:#?}"
    );
}

#[test]
fn read_only_file_or_directory_is_refused_and_left_untouched() {
    let s = Sandbox::new();
    s.write_config("{\"auths\": {}}");
    std::fs::set_permissions(s.config(), std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = s.ours(&["setup"], "");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(out.stderr.contains("is read-only"), "{out:#?}");
    assert_eq!(s.config_bytes(), b"{\"auths\": {}}");
    assert_eq!(names(&s.config_dir()), ["config.json"]);

    std::fs::set_permissions(s.config(), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(s.config_dir(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = s.ours(&["setup"], "");
    std::fs::set_permissions(s.config_dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(out.stderr.contains("cannot write in"), "{out:#?}");
    assert_eq!(s.config_bytes(), b"{\"auths\": {}}");
    assert_eq!(names(&s.config_dir()), ["config.json"]);
}

#[test]
fn setup_refuses_when_docker_cannot_find_the_helper() {
    let s = Sandbox::without_helper_on_path();
    s.write_config("{}");
    let out = s.ours(&["setup"], "");
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr
            .contains("no executable named docker-credential-keyring on PATH"),
        "{out:#?}"
    );
    assert_eq!(s.config_bytes(), b"{}");
    // A non-executable file of that name does not count either.
    let fake = s.bin_dir().join("docker-credential-keyring");
    std::fs::write(&fake, "").unwrap();
    assert_eq!(s.ours(&["setup"], "").code, Some(1));
    assert_eq!(s.config_bytes(), b"{}");
}

/// With no usable keychain every `get` would fail and docker fails a pull on any error but "not
/// found": setup must not switch docker over.
#[test]
fn setup_refuses_when_no_keychain_is_usable() {
    let s = Sandbox::new();
    s.write_config(USER_CONFIG);
    // A fresh HOME, no session bus, no pass store, no file store: `auto` finds nothing.
    let out = s.ours(&["--backend", "auto", "setup"], "");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(
        out.stderr.contains("no usable keychain here")
            && out.stderr.contains("nothing was changed"),
        "{out:#?}"
    );
    assert!(
        out.stderr.contains("pass init"),
        "the set-up commands are shown: {out:#?}"
    );
    assert_eq!(s.config_bytes(), USER_CONFIG.as_bytes());
}

/// Many setups (each adding its own registry) and helpers at once: every setup's change
/// survives (the lock serialises read-modify-write), the file is always valid, no temp file is
/// left behind, every helper call works.
#[test]
fn concurrent_setups_and_helpers_never_corrupt_the_config() {
    let s = Sandbox::new();
    s.write_config(USER_CONFIG);
    let mut children = Vec::new();
    for i in 0..8 {
        let mut cmd = s.command(support::bin());
        cmd.args(["setup", "--registry", &format!("r{i}.example")]);
        cmd.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        children.push(cmd.spawn().unwrap());
        let mut cmd = s.command(support::bin());
        cmd.arg("list")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped());
        children.push(cmd.spawn().unwrap());
    }
    // Meanwhile, until every child has exited, the file is always complete, valid JSON; and
    // the reads did overlap the writes (they saw it change while children still ran).
    let initial = s.config_bytes();
    let (mut reads, mut changed_while_running) = (0, false);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let done = children.iter_mut().all(|c| c.try_wait().unwrap().is_some());
        let bytes = s.config_bytes();
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .unwrap_or_else(|e| panic!("torn config: {e}: {}", String::from_utf8_lossy(&bytes)));
        reads += 1;
        if done {
            break;
        }
        changed_while_running |= bytes != initial;
        assert!(
            std::time::Instant::now() < deadline,
            "the children did not finish within 60 s"
        );
    }
    assert!(
        changed_while_running,
        "no read overlapped a write ({reads} reads): nothing was tested"
    );
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let c = s.config_json();
    for i in 0..8 {
        assert_eq!(c["credHelpers"][format!("r{i}.example")], "keyring", "{c}");
    }
    assert_eq!(c["psFormat"], "table {{.ID}}\t{{.Names}}");
    assert_eq!(names(&s.config_dir()), ["config.json", "config.json.bak"]);
}

#[test]
fn setup_imports_first_or_says_how_with_no_import() {
    let s = Sandbox::new();
    let text = plaintext_config();
    s.write_config(&text);
    let out = s.ours(&["setup", "--no-import"], "");
    out.ok();
    assert!(
        out.stdout.contains("docker-credential-keyring import"),
        "{out:#?}"
    );
    let c = s.config_json();
    assert_eq!(c["credsStore"], "keyring");
    assert!(
        c["auths"]["reg.example:5000"]["auth"].is_string(),
        "not imported"
    );
    assert_eq!(s.list(), serde_json::json!({}));

    let s = Sandbox::new();
    s.write_config(&text);
    // stdin is not a terminal: no question, the import just happens.
    let out = s.ours(&["setup"], "n\n");
    out.ok();
    assert_no_secret(&out.stdout);
    assert_eq!(
        s.get("reg.example:5000"),
        Some(("bob".into(), "pa:ss:word".into()))
    );
    assert_eq!(s.config_json()["credsStore"], "keyring");
    assert!(
        !String::from_utf8(s.config_bytes())
            .unwrap()
            .contains("\"auth\"")
    );
}

/// The helper docker used cannot be run (docker-credential-desktop and -gcloud are not
/// installed here): setup changes nothing; --no-import switches anyway and names what it
/// replaced.
#[test]
fn setup_replacing_a_helper_that_cannot_be_read_needs_no_import() {
    let s = Sandbox::new();
    s.write_config("{\"credsStore\": \"desktop\"}");
    let out = s.ours(&["setup"], "");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(
        out.stderr
            .contains("docker-credential-desktop was not found on PATH"),
        "{out:#?}"
    );
    assert_eq!(s.config_bytes(), b"{\"credsStore\": \"desktop\"}");
    let out = s.ours(&["setup", "--no-import"], "");
    assert!(out.ok().contains("instead of \"desktop\""), "{out:#?}");
    assert_eq!(s.config_json()["credsStore"], "keyring");

    let text = "{\"credHelpers\": {\"gcr.io\": \"gcloud\", \"quay.io\": \"keyring\"}}";
    s.write_config(text);
    let args = ["setup", "--registry", "gcr.io", "--registry", "quay.io"];
    let out = s.ours(&args, "");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(
        out.stderr
            .contains("docker-credential-gcloud was not found on PATH")
            && out
                .stderr
                .contains("the logins docker keeps in it for gcr.io"),
        "{out:#?}"
    );
    assert_eq!(s.config_bytes(), text.as_bytes());
    let out = s.ours(&[&args[..], &["--no-import"]].concat(), "");
    assert!(out.ok().contains("gcr.io was \"gcloud\""), "{out:#?}");
    assert!(!out.stdout.contains("quay.io was"), "{out:#?}");
    assert_eq!(s.config_json()["credHelpers"]["gcr.io"], "keyring");
}

/// On a terminal, setup asks before importing; "n" cancels and changes nothing, "y" imports.
/// (`script` gives the command a pseudo-terminal.)
#[test]
fn setup_on_a_terminal_asks_before_importing() {
    for (answer, imported) in [("n", false), ("y", true)] {
        let s = Sandbox::new();
        let text = plaintext_config();
        s.write_config(&text);
        let mut cmd = s.command("/usr/bin/script");
        cmd.args([
            "-qec",
            &format!("{} setup", support::bin().display()),
            "/dev/null",
        ]);
        let out = support::run_command(cmd, format!("{answer}\n").as_bytes());
        assert!(
            out.stdout
                .contains("move them into the keychain now? [Y/n]"),
            "{out:#?}"
        );
        assert_no_secret(&out.stdout);
        if imported {
            assert_eq!(out.code, Some(0), "{out:#?}");
            assert_eq!(
                s.get("reg.example:5000"),
                Some(("bob".into(), "pa:ss:word".into()))
            );
            assert_eq!(s.config_json()["credsStore"], "keyring");
        } else {
            assert_eq!(out.code, Some(1), "{out:#?}");
            assert!(out.stdout.contains("cancelled"), "{out:#?}");
            assert_eq!(s.config_bytes(), text.as_bytes());
            assert_eq!(s.list(), serde_json::json!({}));
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn setup_into_keyutils_refuses_to_import_and_changes_no_byte() {
    let (s, text, bak) = volatile_sandbox();
    let out = s.ours(&["setup"], "");
    assert_refused_volatile(&s, &out, &text, &bak);
}

#[cfg(target_os = "linux")]
#[test]
fn setup_into_keyutils_with_allow_volatile_imports_and_says_so() {
    let (s, _, _) = volatile_sandbox();
    let out = s.ours(&["setup", "--allow-volatile"], "");
    out.ok();
    assert!(
        out.stdout
            .contains("is now in keyutils, which keeps them until reboot"),
        "{out:#?}"
    );
    assert_eq!(s.config_json()["credsStore"], "keyring");
    assert_eq!(
        s.get("https://index.docker.io/v1/"),
        Some(("alice".into(), "hub-secret".into()))
    );
    assert!(
        !String::from_utf8(s.config_bytes())
            .unwrap()
            .contains("\"auth\"")
    );
}

#[test]
fn setup_as_root_keeps_the_owner_of_config_and_backup() {
    let s = users_files(USER_CONFIG);
    s.ours(&["setup"], "").ok();
    assert_eq!(s.config_json()["credsStore"], "keyring");
    assert_eq!(owner(&s.config()), (12345, 12345));
    let bak = s.config_dir().join("config.json.bak");
    assert_eq!(std::fs::read_to_string(&bak).unwrap(), USER_CONFIG);
    assert_eq!(owner(&bak), (12345, 12345));
}

/// Not root, on a file another user owns (writable to us): the owner cannot be given back, so
/// nothing is written, rather than handing the user's file to us.
#[cfg(target_os = "linux")]
#[test]
fn setup_by_another_user_that_cannot_keep_the_owner_writes_nothing() {
    let s = users_files("{\"auths\": {}}");
    // The unprivileged user's quota is shared with the keyutils quota tests.
    let _one_at_a_time = crate::UNPRIVILEGED_QUOTA
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let keyring = support::keyutils::KernelKeyring::unprivileged();
    let s = s.keyring(Box::new(keyring));
    for (p, mode) in [
        (s.home.path().to_path_buf(), 0o755),
        (s.bin_dir(), 0o755),
        (s.config_dir(), 0o777),
        (s.config(), 0o666),
    ] {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    // setpriv from the inherited PATH (the sandbox's PATH holds only docker and us).
    let setpriv = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("setpriv"))
        .find(|p| p.is_file())
        .expect("setpriv (util-linux) is installed");
    let mut cmd = s.command(setpriv);
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(support::bin())
        .arg("setup");
    let out = support::run_command(cmd, b"");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
    assert!(
        out.stderr
            .contains("config.json its owner 12345:12345 back")
            && out.stderr.contains("run this as that user or as root"),
        "{out:#?}"
    );
    assert_eq!(s.config_bytes(), b"{\"auths\": {}}");
    assert_eq!(owner(&s.config()), (12345, 12345));
    let bak = s.config_dir().join("config.json.bak");
    assert_eq!(std::fs::read(&bak).unwrap(), b"{}");
    assert_eq!(owner(&bak), (12345, 12345));
    assert_eq!(names(&s.config_dir()), ["config.json", "config.json.bak"]);
}

/// Asked on a terminal, "n" changes nothing and says which registries it was about and how to
/// switch without moving them (`--no-import`), instead of a bare "cancelled".
#[test]
fn answering_no_on_a_terminal_names_the_registries_and_no_import() {
    let s = Sandbox::new();
    s.write_config(&plaintext_config());
    let before = s.config_bytes();
    // `script` gives setup a terminal and types what it reads from its own stdin.
    let mut cmd = s.command("/usr/bin/script");
    cmd.args([
        "-qec",
        &format!("{} setup", support::bin().display()),
        "/dev/null",
    ]);
    let run = support::run_command(cmd, b"n\n");
    let text = format!("{}{}", run.stdout, run.stderr);
    assert!(
        text.contains("plaintext credentials for https://index.docker.io/v1/, reg.example:5000"),
        "the question names the registries: {run:#?}"
    );
    assert!(
        text.contains("setup cancelled: nothing was changed")
            && text.contains("run setup --no-import"),
        "{run:#?}"
    );
    assert_eq!(s.config_bytes(), before, "nothing was changed");
    assert_no_secret(&text);
}
