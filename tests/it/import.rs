//! `import` run as users run it (the built binary, the real `file`, Secret Service and kernel
//! keyring backends, docker-py), with Docker's config file checked byte for byte.

#![cfg(target_os = "linux")]

use support::adoption::{
    Sandbox, assert_no_secret, assert_refused_volatile, auth, names, owner, plaintext_config,
    users_files, volatile_sandbox,
};

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
    // The backup is the file as it was before, so that it can be restored whole; the report
    // says it still holds the secrets.
    let bak = std::fs::read_to_string(s.config_dir().join("config.json.bak")).unwrap();
    assert_eq!(bak, plaintext_config());
    assert!(
        out.stdout.contains(
            "(secrets included, so that it can be restored): remove it once docker works (rm "
        ),
        "{out:#?}"
    );

    // Nothing left: a second import changes nothing.
    let bytes = s.config_bytes();
    assert!(s.ours(&["import"], "").ok().contains("nothing to import"));
    assert_eq!(s.config_bytes(), bytes);
}

/// An entry whose fields cannot all move into a helper (a password and an identity token
/// together; a registry token beside a password) is left exactly as it is, with one warning line
/// naming it; the rest moves; the backup is the file from before.
#[test]
fn import_leaves_an_entry_that_cannot_all_move_as_it_is() {
    let s = Sandbox::new();
    let text = format!(
        "{{\n\t\"auths\": {{\n\t\t\"both.example\": {{\n\t\t\t\"auth\": \"{}\",\n\t\t\t\"identitytoken\": \"tok-both-8c1d\"\n\t\t}},\n\t\t\"rt.example\": {{\n\t\t\t\"auth\": \"{}\",\n\t\t\t\"registrytoken\": \"rt-5b0e\"\n\t\t}},\n\t\t\"reg.example:5000\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}}\n\t}}\n}}",
        auth("dan", "pw-both-44aa"),
        auth("erin", "pw-rt-9f31"),
        auth("bob", "pa:ss:word")
    );
    s.write_config(&text);
    let out = s.ours(&["import"], "");
    out.ok();
    let warnings: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(warnings.len(), 2, "{out:#?}");
    assert!(
        warnings[0].starts_with("warning: left both.example in ")
            && warnings[0]
                .contains("exactly as it is: it holds a password and an identity token together"),
        "{out:#?}"
    );
    assert!(
        warnings[1].starts_with("warning: left rt.example in ")
            && warnings[1].contains("registry token"),
        "{out:#?}"
    );
    for secret in ["tok-both-8c1d", "pw-both-44aa", "rt-5b0e", "pw-rt-9f31"] {
        assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));
    }
    let before: serde_json::Value = serde_json::from_str(&text).unwrap();
    let after = s.config_json();
    assert_eq!(
        after["auths"]["both.example"],
        before["auths"]["both.example"]
    );
    assert_eq!(after["auths"]["rt.example"], before["auths"]["rt.example"]);
    assert_eq!(after["auths"]["reg.example:5000"], serde_json::json!({}));
    assert_eq!(s.list(), serde_json::json!({"reg.example:5000": "bob"}));
    assert_eq!(
        std::fs::read_to_string(s.config_dir().join("config.json.bak")).unwrap(),
        text,
        "the backup is the file from before"
    );
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
    assert!(
        out.stderr
            .contains("cannot read /nonexistent/auth.json: no such file; check the path"),
        "says what is wrong in words, not a permission problem: {out:#?}"
    );
}

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
    // The backup is the file from before, still the user's.
    let bak = s.config_dir().join("config.json.bak");
    assert_eq!(std::fs::read_to_string(&bak).unwrap(), plaintext_config());
    assert_eq!(owner(&bak), (12345, 12345));
}

/// `import --from-helper NAME [REGISTRY...]`: Docker's Go helpers read by the built binary,
/// copied into another keychain of ours, read back through our `get`; the helper untouched.
mod from_helper {
    use serde_json::{Value, json};
    use std::ffi::OsString;
    use support::pass::PassStore;
    use support::secret_service::{SecretServiceFixture, fixture};
    use support::{Keyring, Run, command, run_command};

    const CANARY_A: &str = "canary-imp-A-77c2e0";
    const CANARY_T: &str = "canary-imp-T-1b5f93";
    const CANARY_B: &str = "canary-imp-B-e8a4d1";

    #[track_caller]
    fn assert_no_canary(run: &Run) {
        for c in [CANARY_A, CANARY_T, CANARY_B] {
            assert!(
                !run.stdout.contains(c) && !run.stderr.contains(c),
                "{run:#?}"
            );
        }
    }

    /// Our binary on `ours`, with `extra` (what the source helper needs) and `bin` first on PATH.
    fn ours_run(
        ours: &dyn Keyring,
        extra: Vec<(OsString, OsString)>,
        bin: Option<&std::path::Path>,
        args: &[&str],
        stdin: &str,
    ) -> Run {
        let mut env = ours.env();
        env.push((
            "DOCKER_CREDENTIAL_KEYRING_BACKEND".into(),
            ours.backend().into(),
        ));
        env.extend(extra);
        if let Some(bin) = bin {
            let path = std::env::var_os("PATH").unwrap_or_default();
            let mut dirs = vec![bin.to_path_buf()];
            dirs.extend(std::env::split_paths(&path));
            env.push(("PATH".into(), std::env::join_paths(dirs).unwrap()));
        }
        let mut cmd = command(&env);
        cmd.args(args);
        let run = run_command(cmd, stdin.as_bytes());
        assert_no_canary(&run);
        run
    }

    fn bus(ss: &SecretServiceFixture) -> Vec<(OsString, OsString)> {
        vec![("DBUS_SESSION_BUS_ADDRESS".into(), ss.address().into())]
    }

    fn pass_env(p: &PassStore) -> Vec<(OsString, OsString)> {
        vec![
            ("GNUPGHOME".into(), p.gnupg.clone().into()),
            ("PASSWORD_STORE_DIR".into(), p.store.clone().into()),
        ]
    }

    /// Our `get` for `server`: (username, secret).
    fn get(ours: &dyn Keyring, extra: Vec<(OsString, OsString)>, server: &str) -> Value {
        let mut env = ours.env();
        env.push((
            "DOCKER_CREDENTIAL_KEYRING_BACKEND".into(),
            ours.backend().into(),
        ));
        env.extend(extra);
        let mut cmd = command(&env);
        cmd.arg("get");
        let run = run_command(cmd, server.as_bytes());
        serde_json::from_str(run.ok()).unwrap()
    }

    fn list(ours: &dyn Keyring) -> Value {
        serde_json::from_str(support::helper(ours, &["list"], "").ok()).unwrap()
    }

    #[test]
    fn secretservice_everything_it_lists_is_copied_and_read_back() {
        let ss = fixture();
        ss.go_store("a.example.com", "alice", CANARY_A);
        ss.go_store("tok.example.com", "<token>", CANARY_T);
        let ours = PassStore::new();
        let args = ["import", "--from-helper", "secretservice"];

        let run = ours_run(
            &ours,
            bus(&ss),
            None,
            &[&args[..], &["--dry-run"]].concat(),
            "",
        );
        assert_eq!(
            run.ok(),
            "would copy a.example.com (user alice) into the keychain\n\
             would copy tok.example.com (identity token) into the keychain\n\
             dry run: nothing was changed\n"
        );
        assert_eq!(list(&ours), json!({}));

        let run = ours_run(&ours, bus(&ss), None, &args, "");
        assert_eq!(
            run.ok(),
            "copied a.example.com (user alice) into the keychain (pass)\n\
             copied tok.example.com (identity token) into the keychain (pass)\n\
             docker-credential-secretservice was left as it is\n"
        );
        assert_eq!(
            get(&ours, vec![], "a.example.com"),
            json!({"ServerURL": "a.example.com", "Username": "alice", "Secret": CANARY_A})
        );
        assert_eq!(
            get(&ours, vec![], "tok.example.com"),
            json!({"ServerURL": "tok.example.com", "Username": "<token>", "Secret": CANARY_T})
        );
        // The source still holds both.
        let listed: Value = serde_json::from_str(&ss.go_helper(&["list"], "").stdout).unwrap();
        assert_eq!(
            listed,
            json!({"a.example.com": "alice", "tok.example.com": "<token>"})
        );
        // A second run finds them there.
        let run = ours_run(&ours, bus(&ss), None, &args, "");
        assert!(
            run.ok()
                .contains("a.example.com (user alice) was already in the keychain"),
            "{run:#?}"
        );
    }

    #[test]
    fn pass_named_registries_only_and_a_different_credential_needs_overwrite() {
        let p = PassStore::new();
        for (server, user, secret) in [
            ("a.example.com", "alice", CANARY_A),
            ("b.example.com", "bob", CANARY_B),
        ] {
            let payload = json!({"ServerURL": server, "Username": user, "Secret": secret});
            let run = p.docker_credential_pass(&["store"], &payload.to_string());
            assert_eq!(run.code, Some(0), "{run:#?}");
        }
        let ours = fixture();
        support::store(&ours, "a.example.com", "old-user", "old-secret");

        let run = ours_run(
            &ours,
            pass_env(&p),
            None,
            &["import", "--from-helper", "pass", "a.example.com"],
            "",
        );
        assert_eq!(run.code, Some(1), "{run:#?}");
        assert!(
            run.stderr.starts_with(
                "docker-credential-keyring: nothing was imported: the keychain already holds different credentials for a.example.com; run `docker-credential-keyring import --overwrite` to replace them with the ones in docker-credential-pass"
            ),
            "{run:#?}"
        );
        assert_eq!(get(&ours, vec![], "a.example.com")["Username"], "old-user");

        let run = ours_run(
            &ours,
            pass_env(&p),
            None,
            &[
                "import",
                "--from-helper",
                "pass",
                "--overwrite",
                "a.example.com",
            ],
            "",
        );
        assert_eq!(
            run.ok(),
            "copied a.example.com (user alice) into the keychain (secret-service)\n\
             docker-credential-pass was left as it is\n"
        );
        assert_eq!(
            get(&ours, vec![], "a.example.com"),
            json!({"ServerURL": "a.example.com", "Username": "alice", "Secret": CANARY_A})
        );
        // Only the registry named.
        assert_eq!(list(&ours), json!({"a.example.com": "alice"}));

        // A registry it does not hold: nothing is written.
        let run = ours_run(
            &ours,
            pass_env(&p),
            None,
            &[
                "import",
                "--from-helper",
                "pass",
                "b.example.com",
                "zzz.example.com",
            ],
            "",
        );
        assert_eq!(run.code, Some(1), "{run:#?}");
        assert_eq!(
            run.stderr,
            "docker-credential-keyring: docker-credential-pass holds no credentials for zzz.example.com (nothing was changed); `docker-credential-pass list` shows what it holds\n"
        );
        assert_eq!(list(&ours), json!({"a.example.com": "alice"}));
    }

    #[test]
    fn a_missing_or_failing_helper_writes_nothing() {
        let ours = PassStore::new();
        let run = ours_run(
            &ours,
            vec![],
            None,
            &["import", "--from-helper", "nonexistent"],
            "",
        );
        assert_eq!(run.code, Some(1), "{run:#?}");
        assert_eq!(
            run.stderr,
            "docker-credential-keyring: docker-credential-nonexistent was not found on PATH: install it, or add the directory that holds it to PATH\n"
        );
        let bin = tempfile::tempdir().unwrap();
        let script = bin.path().join("docker-credential-broken");
        std::fs::write(&script, "#!/bin/sh\necho 'vault is sealed'\nexit 1\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let run = ours_run(
            &ours,
            vec![],
            Some(bin.path()),
            &["import", "--from-helper", "broken"],
            "",
        );
        assert_eq!(run.code, Some(1), "{run:#?}");
        assert_eq!(
            run.stderr,
            "docker-credential-keyring: docker-credential-broken list failed: vault is sealed\n"
        );
        assert_eq!(list(&ours), json!({}));
    }
}
