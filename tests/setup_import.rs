//! `setup`, `import` and `doctor` run as users run them (the built binary, the real `file`
//! keychain backend, docker-py), with Docker's config file checked byte for byte.

#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;
use support::adoption::{Sandbox, auth, names};

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
        serde_json::json!({"quay.io": "keyring", "index.docker.io": "keyring", "docker.io": "keyring"})
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
    // Meanwhile, the file is always complete, valid JSON.
    for _ in 0..50 {
        let bytes = s.config_bytes();
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .unwrap_or_else(|e| panic!("torn config: {e}: {}", String::from_utf8_lossy(&bytes)));
    }
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

// ---------------------------------------------------------------------------------------------
// import

/// Docker Hub, host:port (password with a colon), an identity token, a stub, an email-only
/// entry, and fields import must not touch.
fn plaintext_config() -> String {
    format!(
        "{{\n\t\"auths\": {{\n\t\t\"https://index.docker.io/v1/\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}},\n\t\t\"reg.example:5000\": {{\n\t\t\t\"auth\": \"{}\",\n\t\t\t\"email\": \"bob@example.com\"\n\t\t}},\n\t\t\"tok.example\": {{\n\t\t\t\"auth\": \"{}\",\n\t\t\t\"identitytoken\": \"id-token-XYZ\"\n\t\t}},\n\t\t\"stub.example\": {{}}\n\t}},\n\t\"psFormat\": \"x\"\n}}",
        auth("alice", "hub-secret"),
        auth("bob", "pa:ss:word"),
        auth("carol", "")
    )
}

const SECRETS: &[&str] = &["hub-secret", "pa:ss:word", "id-token-XYZ"];

fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "a secret was printed: {text}");
    }
    for (u, p) in [("alice", "hub-secret"), ("bob", "pa:ss:word")] {
        assert!(!text.contains(&auth(u, p)), "a secret was printed: {text}");
    }
}

const PY_GET: &str = r#"
import json, docker.credentials as c
s = c.Store("keyring")
print(json.dumps([s.get(k) for k in ["https://index.docker.io/v1/", "reg.example:5000", "tok.example"]]))
"#;

#[test]
fn import_moves_hub_host_port_and_identity_token_and_strips_them() {
    let s = Sandbox::new();
    s.write_config(&plaintext_config());
    let out = s.ours(&["import"], "");
    out.ok();
    assert_no_secret(&out.stdout);
    assert_no_secret(&out.stderr);
    assert!(
        out.stdout.contains("moved tok.example (identity token)"),
        "{out:#?}"
    );

    assert_eq!(
        s.get("https://index.docker.io/v1/"),
        Some(("alice".into(), "hub-secret".into()))
    );
    assert_eq!(
        s.get("reg.example:5000"),
        Some(("bob".into(), "pa:ss:word".into()))
    );
    assert_eq!(
        s.get("tok.example"),
        Some(("<token>".into(), "id-token-XYZ".into()))
    );
    // docker-py reads them back too.
    let py = s.python(PY_GET);
    let got: serde_json::Value = serde_json::from_str(py.ok().trim()).unwrap();
    assert_eq!(
        got,
        serde_json::json!([
            {"ServerURL": "https://index.docker.io/v1/", "Username": "alice", "Secret": "hub-secret"},
            {"ServerURL": "reg.example:5000", "Username": "bob", "Secret": "pa:ss:word"},
            {"ServerURL": "tok.example", "Username": "<token>", "Secret": "id-token-XYZ"},
        ])
    );

    // What Docker itself keeps after storing in a helper: the empty stubs (email stays).
    assert_eq!(
        String::from_utf8(s.config_bytes()).unwrap(),
        "{\n\t\"auths\": {\n\t\t\"https://index.docker.io/v1/\": {},\n\t\t\"reg.example:5000\": {\n\t\t\t\"email\": \"bob@example.com\"\n\t\t},\n\t\t\"tok.example\": {},\n\t\t\"stub.example\": {}\n\t},\n\t\"psFormat\": \"x\"\n}"
    );
    // The backup does not keep the plaintext either.
    let bak = std::fs::read_to_string(s.config_dir().join("config.json.bak")).unwrap();
    assert_no_secret(&bak);
    assert!(bak.contains("stub.example"));

    // Nothing left: a second import changes nothing.
    let bytes = s.config_bytes();
    assert!(s.ours(&["import"], "").ok().contains("nothing to import"));
    assert_eq!(s.config_bytes(), bytes);
}

#[test]
fn import_dry_run_shows_what_would_move_and_changes_nothing() {
    let s = Sandbox::new();
    let text = plaintext_config();
    s.write_config(&text);
    let out = s.ours(&["import", "--dry-run"], "");
    out.ok();
    assert_no_secret(&out.stdout);
    for line in [
        "would move https://index.docker.io/v1/ (user alice)",
        "would move reg.example:5000 (user bob)",
        "would move tok.example (identity token)",
    ] {
        assert!(out.stdout.contains(line), "{out:#?}");
    }
    assert!(!out.stdout.contains("stub.example"));
    assert_eq!(s.config_bytes(), text.as_bytes());
    assert_eq!(names(&s.config_dir()), ["config.json"]);
    assert_eq!(s.list(), serde_json::json!({}));
}

/// The keychain fails on the second write (the file backend's store cannot grow past a file
/// size limit: RLIMIT_FSIZE, with SIGXFSZ ignored so the write fails with EFBIG): nothing is
/// stripped, the error names the registry, and once the keychain works again import completes.
#[test]
fn a_keychain_failing_midway_strips_nothing() {
    let s = Sandbox::new();
    // Big secrets so that one sealed entry fits under the limit and two do not.
    let big = |c: char| std::iter::repeat_n(c, 3000).collect::<String>();
    let text = format!(
        "{{\n\t\"auths\": {{\n\t\t\"a.example\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}},\n\t\t\"b.example\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}},\n\t\t\"c.example\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}}\n\t}}\n}}",
        auth("u1", &big('a')),
        auth("u2", &big('b')),
        auth("u3", &big('c'))
    );
    s.write_config(&text);
    let mut cmd = s.command("/bin/bash");
    cmd.args(["-c", "trap '' XFSZ; ulimit -f 6; exec \"$0\" import"])
        .arg(support::bin());
    let out = support::run_command(cmd, b"");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(
        out.stderr.contains("b.example") && out.stderr.contains("config.json was not changed"),
        "{out:#?}"
    );
    assert!(!out.stderr.contains(&big('b')));
    assert_eq!(s.config_bytes(), text.as_bytes(), "nothing stripped");
    assert_eq!(names(&s.config_dir()), ["config.json"]);
    // It really failed midway: the first entry made it into the keychain.
    assert_eq!(s.list(), serde_json::json!({"a.example": "u1"}));

    // The keychain works again: import completes, every credential is there.
    s.ours(&["import"], "").ok();
    for (host, user, c) in [
        ("a.example", "u1", 'a'),
        ("b.example", "u2", 'b'),
        ("c.example", "u3", 'c'),
    ] {
        assert_eq!(s.get(host), Some((user.into(), big(c))));
    }
    assert!(
        !String::from_utf8(s.config_bytes())
            .unwrap()
            .contains("auth\"")
    );
}

#[test]
fn import_with_a_locked_keychain_changes_nothing() {
    // The file backend with a wrong passphrase is a keychain that will not open.
    let s = Sandbox::new();
    s.ours(
        &["store"],
        r#"{"ServerURL":"x.example","Username":"u","Secret":"s"}"#,
    )
    .ok();
    let text = plaintext_config();
    s.write_config(&text);
    let mut cmd = s.command(support::bin());
    cmd.arg("import")
        .env("DOCKER_CREDENTIAL_KEYRING_PASSPHRASE", "not the passphrase");
    let out = support::run_command(cmd, b"");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(
        out.stderr.contains("config.json was not changed"),
        "{out:#?}"
    );
    assert_no_secret(&out.stderr);
    assert_eq!(s.config_bytes(), text.as_bytes());
}

#[test]
fn import_from_a_podman_auth_file_copies_and_leaves_it() {
    let s = Sandbox::new();
    s.write_config("{\"credsStore\": \"keyring\"}");
    let auth_json = s.home.path().join("auth.json");
    let text = format!(
        "{{\"auths\": {{\"docker.io\": {{\"auth\": \"{}\"}}, \"quay.io/org\": {{\"auth\": \"{}\"}}}}}}",
        auth("alice", "hub-secret"),
        auth("bob", "pa:ss:word")
    );
    std::fs::write(&auth_json, &text).unwrap();

    let dry = s.ours(
        &["import", "--from", auth_json.to_str().unwrap(), "--dry-run"],
        "",
    );
    assert!(
        dry.ok()
            .contains("would copy https://index.docker.io/v1/ (user alice)"),
        "{dry:#?}"
    );
    assert_eq!(s.list(), serde_json::json!({}));

    let out = s.ours(&["import", "--from", auth_json.to_str().unwrap()], "");
    out.ok();
    assert_no_secret(&out.stdout);
    assert!(out.stdout.contains("was left as it is"), "{out:#?}");
    assert_eq!(std::fs::read_to_string(&auth_json).unwrap(), text);
    assert_eq!(s.config_bytes(), b"{\"credsStore\": \"keyring\"}");
    assert_eq!(
        s.get("https://index.docker.io/v1/"),
        Some(("alice".into(), "hub-secret".into()))
    );
    assert_eq!(
        s.get("quay.io/org"),
        Some(("bob".into(), "pa:ss:word".into()))
    );
    // Docker asks for a repository under it: the prefix answers.
    assert_eq!(
        s.get("quay.io/org/app"),
        Some(("bob".into(), "pa:ss:word".into()))
    );
}

#[test]
fn import_from_finds_podmans_default_auth_file() {
    let mut s = Sandbox::new();
    let runtime = s.home.path().join("run");
    std::fs::create_dir_all(runtime.join("containers")).unwrap();
    std::fs::write(
        runtime.join("containers/auth.json"),
        format!(
            "{{\"auths\": {{\"r.example\": {{\"auth\": \"{}\"}}}}}}",
            auth("xdg", "p1")
        ),
    )
    .unwrap();
    s.extra_env
        .push(("XDG_RUNTIME_DIR".into(), runtime.clone().into()));
    s.ours(&["import", "--from"], "").ok();
    assert_eq!(s.get("r.example"), Some(("xdg".into(), "p1".into())));

    // REGISTRY_AUTH_FILE wins over XDG_RUNTIME_DIR.
    let other = s.home.path().join("other.json");
    std::fs::write(
        &other,
        format!(
            "{{\"auths\": {{\"r2.example\": {{\"auth\": \"{}\"}}}}}}",
            auth("env", "p2")
        ),
    )
    .unwrap();
    s.extra_env
        .push(("REGISTRY_AUTH_FILE".into(), other.into()));
    s.ours(&["import", "--from"], "").ok();
    assert_eq!(s.get("r2.example"), Some(("env".into(), "p2".into())));

    // Neither set: a clear error.
    s.extra_env.clear();
    let out = s.ours(&["import", "--from"], "");
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("pass --from PATH"), "{out:#?}");
    // A missing file is an error, not "nothing to import".
    let out = s.ours(&["import", "--from", "/nonexistent/auth.json"], "");
    assert_eq!(out.code, Some(1), "{out:#?}");
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

#[test]
fn setup_replacing_another_store_warns() {
    let s = Sandbox::new();
    s.write_config("{\"credsStore\": \"desktop\"}");
    let out = s.ours(&["setup"], "");
    assert!(out.ok().contains("credsStore was \"desktop\""), "{out:#?}");
    assert_eq!(s.config_json()["credsStore"], "keyring");

    s.write_config("{\"credHelpers\": {\"gcr.io\": \"gcloud\", \"quay.io\": \"keyring\"}}");
    let out = s.ours(
        &["setup", "--registry", "gcr.io", "--registry", "quay.io"],
        "",
    );
    assert!(out.ok().contains("gcr.io (was \"gcloud\")"), "{out:#?}");
    assert!(!out.stdout.contains("quay.io (was"), "{out:#?}");
    assert_eq!(s.config_json()["credHelpers"]["gcr.io"], "keyring");
}

// ---------------------------------------------------------------------------------------------
// doctor

fn doctor_json(s: &Sandbox) -> (Option<i32>, serde_json::Value) {
    let out = s.ours(&["doctor", "--json"], "");
    let v = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:#?}"));
    (out.code, v)
}

fn check<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check: {report}"))
}

#[test]
fn doctor_is_healthy_after_setup_and_cleans_up() {
    let s = Sandbox::new();
    s.ours(&["setup"], "").ok();
    let out = s.ours(&["doctor"], "");
    assert!(out.ok().contains("healthy"), "{out:#?}");
    let (code, report) = doctor_json(&s);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["healthy"], true);
    assert_eq!(report["backend"], "file");
    assert!(
        check(&report, "backend")["detail"]
            .as_str()
            .unwrap()
            .contains("DOCKER_CREDENTIAL_KEYRING_BACKEND")
    );
    for name in ["backend", "keychain", "binary", "credsStore", "plaintext"] {
        assert_eq!(check(&report, name)["status"], "ok", "{report}");
    }
    // The throw-away entry is gone.
    assert_eq!(s.list(), serde_json::json!({}));

    // credHelpers sending a registry elsewhere is a note, not a problem.
    let mut c = s.config_json();
    c["credHelpers"] = serde_json::json!({"gcr.io": "gcloud"});
    s.write_config(&c.to_string());
    let (code, report) = doctor_json(&s);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(check(&report, "credHelpers")["status"], "note");
    assert!(
        check(&report, "credHelpers")["detail"]
            .as_str()
            .unwrap()
            .contains("gcr.io")
    );
}

#[test]
fn doctor_names_each_problem_and_its_fix() {
    let s = Sandbox::without_helper_on_path();
    s.write_config(&plaintext_config());
    let out = s.ours(&["doctor"], "");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_no_secret(&out.stdout);
    assert!(out.stdout.contains("not healthy"));
    let (code, report) = doctor_json(&s);
    assert_eq!(code, Some(1));
    assert_eq!(report["healthy"], false);
    assert_eq!(check(&report, "binary")["status"], "problem");
    assert!(
        check(&report, "binary")["fix"]
            .as_str()
            .unwrap()
            .starts_with("install -m755 ")
    );
    assert_eq!(check(&report, "credsStore")["status"], "problem");
    assert_eq!(
        check(&report, "credsStore")["fix"],
        "docker-credential-keyring setup"
    );
    assert_eq!(check(&report, "plaintext")["status"], "problem");
    assert_eq!(
        check(&report, "plaintext")["fix"],
        "docker-credential-keyring import"
    );
    assert_eq!(check(&report, "keychain")["status"], "ok");
    assert_eq!(
        s.config_bytes(),
        plaintext_config().as_bytes(),
        "doctor changes nothing"
    );

    // Another helper's store is a problem too.
    s.write_config("{\"credsStore\": \"desktop\"}");
    let (_, report) = doctor_json(&s);
    assert!(
        check(&report, "credsStore")["detail"]
            .as_str()
            .unwrap()
            .contains("docker-credential-desktop")
    );
}

#[test]
fn doctor_reports_a_keychain_that_will_not_open() {
    let s = Sandbox::new();
    s.ours(&["setup"], "").ok();
    s.ours(
        &["store"],
        r#"{"ServerURL":"x.example","Username":"u","Secret":"s"}"#,
    )
    .ok();
    let mut cmd = s.command(support::bin());
    cmd.args(["doctor", "--json"])
        .env("DOCKER_CREDENTIAL_KEYRING_PASSPHRASE", "not the passphrase");
    let out = support::run_command(cmd, b"");
    assert_eq!(out.code, Some(1), "{out:#?}");
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(check(&report, "keychain")["status"], "problem", "{report}");
    assert!(check(&report, "keychain")["fix"].is_string());

    // An unknown backend: the backend check itself fails.
    let mut cmd = s.command(support::bin());
    cmd.args(["doctor", "--json", "--backend", "nonesuch"]);
    let out = support::run_command(cmd, b"");
    assert_eq!(out.code, Some(1), "{out:#?}");
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(check(&report, "backend")["status"], "problem", "{report}");
}

// ---------------------------------------------------------------------------------------------
// On the Secret Service (a private bus with a real gnome-keyring)

/// Imported credentials land where Docker's own helper finds them: switching back to
/// `docker-credential-secretservice` after an import loses nothing.
#[test]
fn import_into_the_secret_service_is_read_by_dockers_own_helper() {
    let ss = std::rc::Rc::new(support::secret_service::fixture());
    let s = Sandbox::new().keyring(Box::new(ss.clone()));
    s.write_config(&plaintext_config());
    s.ours(&["import"], "").ok();
    let go = ss.go_helper(&["get"], "reg.example:5000");
    let v: serde_json::Value = serde_json::from_str(go.ok()).unwrap();
    assert_eq!(v["Username"], "bob");
    assert_eq!(v["Secret"], "pa:ss:word");
    let py = s.python(PY_GET);
    let got: serde_json::Value = serde_json::from_str(py.ok().trim()).unwrap();
    assert_eq!(got[2]["Secret"], "id-token-XYZ");
    assert!(
        !String::from_utf8(s.config_bytes())
            .unwrap()
            .contains("\"auth\"")
    );
}

#[test]
fn doctor_on_the_secret_service_healthy_then_locked() {
    let ss = std::rc::Rc::new(support::secret_service::fixture());
    let s = Sandbox::new().keyring(Box::new(ss.clone()));
    s.ours(&["setup"], "").ok();
    let (code, report) = doctor_json(&s);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["backend"], "secret-service");
    assert_eq!(check(&report, "keychain")["status"], "ok");
    assert_eq!(
        s.list(),
        serde_json::json!({}),
        "the throw-away entry is gone"
    );

    // Locked, and nobody can answer an unlock prompt: a problem with a fix, and a config
    // left as it was.
    ss.lock();
    let bytes = s.config_bytes();
    let (code, report) = doctor_json(&s);
    assert_eq!(code, Some(1), "{report}");
    let keychain = check(&report, "keychain");
    assert_eq!(keychain["status"], "problem", "{report}");
    assert!(
        keychain["detail"].as_str().unwrap().contains("locked"),
        "{report}"
    );
    assert!(keychain["fix"].is_string());
    assert_eq!(s.config_bytes(), bytes);

    // And an import into the locked keychain strips nothing.
    s.write_config(&plaintext_config());
    let out = s.ours(&["import"], "");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(out.stderr.contains("was not changed"), "{out:#?}");
    assert_eq!(s.config_bytes(), plaintext_config().as_bytes());
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

/// The keychain already holds a different credential for a registry: that entry is kept in
/// the file (the file's copy may be the stale one) and reported; the others move; an identical
/// one is simply stripped. `--overwrite` replaces. Nothing moved at all is a failure.
#[test]
fn import_never_overwrites_a_different_keychain_credential_unless_asked() {
    let s = Sandbox::new();
    s.ours(
        &["store"],
        r#"{"ServerURL":"reg.example:5000","Username":"bob","Secret":"newer"}"#,
    )
    .ok();
    s.ours(
        &["store"],
        r#"{"ServerURL":"tok.example","Username":"<token>","Secret":"id-token-XYZ"}"#,
    )
    .ok();
    s.write_config(&plaintext_config());
    let out = s.ours(&["import"], "");
    out.ok();
    assert_no_secret(&out.stdout);
    assert_no_secret(&out.stderr);
    assert!(
        out.stderr.contains("kept reg.example:5000 in the file"),
        "{out:#?}"
    );
    assert!(out.stderr.contains("--overwrite"), "{out:#?}");
    assert!(
        out.stdout
            .contains("tok.example (identity token) was already in the keychain"),
        "{out:#?}"
    );
    assert_eq!(
        s.get("reg.example:5000"),
        Some(("bob".into(), "newer".into()))
    );
    assert_eq!(
        s.get("https://index.docker.io/v1/"),
        Some(("alice".into(), "hub-secret".into()))
    );
    let c = s.config_json();
    assert!(
        c["auths"]["reg.example:5000"]["auth"].is_string(),
        "kept: {c}"
    );
    assert_eq!(c["auths"]["tok.example"], serde_json::json!({}));
    assert_eq!(
        c["auths"]["https://index.docker.io/v1/"],
        serde_json::json!({})
    );

    // Only the conflict is left: importing again moves nothing and says so, exit 1.
    let bytes = s.config_bytes();
    let out = s.ours(&["import"], "");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(out.stderr.contains("nothing was imported"), "{out:#?}");
    assert_eq!(s.config_bytes(), bytes);

    // Asked to, import replaces it.
    s.ours(&["import", "--overwrite"], "").ok();
    assert_eq!(
        s.get("reg.example:5000"),
        Some(("bob".into(), "pa:ss:word".into()))
    );
    assert!(
        !String::from_utf8(s.config_bytes())
            .unwrap()
            .contains("\"auth\"")
    );
}

#[test]
fn import_without_a_config_file_creates_nothing() {
    let s = Sandbox::new();
    std::fs::remove_dir(s.config_dir()).unwrap();
    assert!(s.ours(&["import"], "").ok().contains("nothing to import"));
    assert!(!s.config_dir().exists());
}

/// A backup still holding plaintext secrets is pointed out; after import it holds none.
#[test]
fn doctor_points_out_a_backup_with_plaintext_and_import_clears_it() {
    let s = Sandbox::new();
    s.write_config(&plaintext_config());
    s.ours(&["setup", "--no-import"], "").ok();
    let (code, report) = doctor_json(&s);
    assert_eq!(code, Some(1));
    assert_eq!(check(&report, "plaintext")["status"], "problem");
    assert_eq!(check(&report, "backup")["status"], "note", "{report}");
    assert!(
        check(&report, "backup")["fix"]
            .as_str()
            .unwrap()
            .starts_with("rm ")
    );

    s.ours(&["import"], "").ok();
    let (code, report) = doctor_json(&s);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "backup"),
        "{report}"
    );
    let bak = std::fs::read_to_string(s.config_dir().join("config.json.bak")).unwrap();
    assert_no_secret(&bak);
}

// ---------------------------------------------------------------------------------------------
// A store that forgets at reboot (keyutils): never made the only copy without --allow-volatile.

/// A sandbox on a real kernel keyring of its own, holding the plaintext config and a backup
/// (whose bytes must survive a refusal too).
#[cfg(target_os = "linux")]
fn volatile_sandbox() -> (Sandbox, String, Vec<u8>) {
    let s = Sandbox::new().keyring(Box::new(support::keyutils::KernelKeyring::new()));
    let text = plaintext_config();
    s.write_config(&text);
    let bak = format!(
        "{{\"auths\": {{\"old.example\": {{\"auth\": \"{}\"}}}}}}",
        auth("dan", "old")
    );
    std::fs::write(s.config_dir().join("config.json.bak"), &bak).unwrap();
    (s, text, bak.into_bytes())
}

/// The refusal: exit 1, one line naming the store, what it keeps, for how long and the fix;
/// config.json and its backup byte for byte as they were; nothing in the keychain.
#[cfg(target_os = "linux")]
fn assert_refused_volatile(s: &Sandbox, out: &support::Run, text: &str, bak: &[u8]) {
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
    for part in [
        "keyutils",
        "kernel memory only",
        "until reboot, or 3 days without use",
        "--allow-volatile",
        "durable backend",
        "was not changed",
    ] {
        assert!(out.stderr.contains(part), "{part:?} missing: {out:#?}");
    }
    assert_no_secret(&out.stdout);
    assert_no_secret(&out.stderr);
    assert_eq!(s.config_bytes(), text.as_bytes());
    assert_eq!(
        std::fs::read(s.config_dir().join("config.json.bak")).unwrap(),
        bak
    );
    assert_eq!(names(&s.config_dir()), ["config.json", "config.json.bak"]);
    assert_eq!(s.list(), serde_json::json!({}), "nothing stored either");
}

#[cfg(target_os = "linux")]
#[test]
fn import_into_keyutils_refuses_and_changes_no_byte() {
    let (s, text, bak) = volatile_sandbox();
    let out = s.ours(&["import"], "");
    assert_refused_volatile(&s, &out, &text, &bak);
}

#[cfg(target_os = "linux")]
#[test]
fn import_into_keyutils_with_allow_volatile_moves_and_says_so() {
    let (s, _, _) = volatile_sandbox();
    let out = s.ours(&["import", "--allow-volatile"], "");
    out.ok();
    assert_no_secret(&out.stdout);
    assert!(
        out.stdout
            .contains("moved reg.example:5000 (user bob) into the keychain (keyutils)"),
        "{out:#?}"
    );
    assert!(
        out.stdout.contains(
            "the only copy of these credentials is now in keyutils, which keeps them until reboot"
        ),
        "{out:#?}"
    );
    assert_eq!(
        s.get("reg.example:5000"),
        Some(("bob".into(), "pa:ss:word".into()))
    );
    assert!(
        !String::from_utf8(s.config_bytes())
            .unwrap()
            .contains("\"auth\"")
    );
}

#[cfg(target_os = "linux")]
#[test]
fn import_dry_run_into_keyutils_says_import_would_refuse() {
    let (s, text, bak) = volatile_sandbox();
    let out = s.ours(&["import", "--dry-run"], "");
    out.ok();
    assert!(
        out.stdout.contains("note: import would stop here")
            && out.stdout.contains("import --allow-volatile"),
        "{out:#?}"
    );
    assert_eq!(s.config_bytes(), text.as_bytes());
    assert_eq!(
        std::fs::read(s.config_dir().join("config.json.bak")).unwrap(),
        bak
    );
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

/// `--from` never modifies its source: copying into a store that forgets loses nothing, so it
/// proceeds without the flag, with a warning.
#[cfg(target_os = "linux")]
#[test]
fn import_from_into_keyutils_copies_with_a_warning() {
    let s = Sandbox::new().keyring(Box::new(support::keyutils::KernelKeyring::new()));
    let auth_json = s.home.path().join("auth.json");
    let text = format!(
        "{{\"auths\": {{\"quay.io\": {{\"auth\": \"{}\"}}}}}}",
        auth("bob", "pa:ss:word")
    );
    std::fs::write(&auth_json, &text).unwrap();
    let out = s.ours(&["import", "--from", auth_json.to_str().unwrap()], "");
    out.ok();
    assert!(
        out.stderr
            .contains("warning: keyutils keeps the copies until reboot")
            && out.stderr.contains("still holds them"),
        "{out:#?}"
    );
    assert_eq!(std::fs::read_to_string(&auth_json).unwrap(), text);
    assert_eq!(s.get("quay.io"), Some(("bob".into(), "pa:ss:word".into())));
}

// ---------------------------------------------------------------------------------------------
// Run as root on a user's file: the owner is kept.

fn owner(path: &std::path::Path) -> (u32, u32) {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).unwrap();
    (m.uid(), m.gid())
}

/// A sandbox whose config.json and backup belong to uid/gid 12345 (we are root: the tests run
/// as root here, which is what `sudo docker-credential-keyring setup` is).
fn users_files(text: &str) -> Sandbox {
    assert!(
        support::keyutils::is_root(),
        "this test needs root (tests/run.sh runs the suite as root)"
    );
    let s = Sandbox::new();
    s.write_config(text);
    let bak = s.config_dir().join("config.json.bak");
    std::fs::write(&bak, "{}").unwrap();
    for p in [s.config(), bak] {
        std::os::unix::fs::chown(&p, Some(12345), Some(12345)).unwrap();
    }
    s
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

#[test]
fn import_as_root_keeps_the_owner_of_config_and_backup() {
    let s = users_files(&plaintext_config());
    s.ours(&["import"], "").ok();
    assert!(
        !String::from_utf8(s.config_bytes())
            .unwrap()
            .contains("\"auth\"")
    );
    assert_eq!(owner(&s.config()), (12345, 12345));
    // The backup was written, then stripped of the imported secrets: still the user's.
    let bak = s.config_dir().join("config.json.bak");
    assert_no_secret(&std::fs::read_to_string(&bak).unwrap());
    assert_eq!(owner(&bak), (12345, 12345));
}

/// Not root, on a file another user owns (writable to us): the owner cannot be given back, so
/// nothing is written, rather than handing the user's file to us.
#[cfg(target_os = "linux")]
#[test]
fn setup_by_another_user_that_cannot_keep_the_owner_writes_nothing() {
    let s = users_files("{\"auths\": {}}");
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
