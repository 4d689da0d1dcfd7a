//! `doctor` run as users run it (the built binary, the real `file` and Secret Service
//! backends): what it reports, and the fix it names for each problem.

#![cfg(target_os = "linux")]

use support::adoption::{Sandbox, assert_no_secret, plaintext_config};

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

    // An unknown backend from the environment: the backend check itself fails. (On the command
    // line it is a bad command line: exit 2 before doctor runs.)
    let mut cmd = s.command(support::bin());
    cmd.args(["doctor", "--json"])
        .env("DOCKER_CREDENTIAL_KEYRING_BACKEND", "nonesuch");
    let out = support::run_command(cmd, b"");
    assert_eq!(out.code, Some(1), "{out:#?}");
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(check(&report, "backend")["status"], "problem", "{report}");
    let mut cmd = s.command(support::bin());
    cmd.args(["doctor", "--json", "--backend", "nonesuch"]);
    let out = support::run_command(cmd, b"");
    assert_eq!(out.code, Some(2), "{out:#?}");
    assert!(out.stderr.contains("'nonesuch'"), "{out:#?}");
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

/// A backup still holding plaintext secrets is pointed out (a note: it is the file from before
/// the last run, kept so that it can be restored), and removing it clears the note.
#[test]
fn doctor_points_out_a_backup_with_plaintext() {
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
    assert_no_secret(&String::from_utf8(s.config_bytes()).unwrap());
    let (code, report) = doctor_json(&s);
    assert_eq!(code, Some(0), "a note is no problem: {report}");
    assert_eq!(check(&report, "backup")["status"], "note", "{report}");
    std::fs::remove_file(s.config_dir().join("config.json.bak")).unwrap();
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
}

/// An empty `auths` entry (what docker keeps beside a helper's credential) for a registry that
/// no helper serves: docker sends no credential for it, and doctor says so.
#[test]
fn doctor_flags_an_empty_auths_entry_that_no_helper_serves() {
    let s = Sandbox::new();
    s.ours(&["setup", "--registry", "ghcr.io"], "").ok();
    s.write_config(
        "{\"auths\": {\"ghcr.io\": {}, \"lost.example\": {}, \"plain.example\": {\"auth\": \"YTpi\"}, \"gcr.io\": {}}, \"credHelpers\": {\"ghcr.io\": \"keyring\", \"gcr.io\": \"gcloud\"}}",
    );
    let (code, report) = doctor_json(&s);
    assert_eq!(code, Some(1), "{report}");
    let logins = check(&report, "logins");
    assert_eq!(logins["status"], "problem", "{report}");
    let detail = logins["detail"].as_str().unwrap();
    assert!(
        detail.ends_with("so docker sends no credential for lost.example"),
        "only the unserved empty entry: {report}"
    );
    assert!(
        logins["fix"]
            .as_str()
            .unwrap()
            .contains("docker login lost.example"),
        "{report}"
    );
    // Served by a credsStore, the same entry is fine.
    s.write_config("{\"auths\": {\"lost.example\": {}}, \"credsStore\": \"keyring\"}");
    let (code, report) = doctor_json(&s);
    assert_eq!(code, Some(0), "{report}");
}

/// A remedy written for an error line reads as the fix itself: never `fix: hint: …`, and one
/// of several lines starts on a line of its own (never `fix: Why each was passed over:`).
#[test]
fn doctor_prints_each_fix_as_a_fix() {
    let s = Sandbox::new();
    s.ours(&["setup"], "").ok();
    s.ours(
        &["store"],
        r#"{"ServerURL":"x.example","Username":"u","Secret":"s"}"#,
    )
    .ok();
    let mut cmd = s.command(support::bin());
    cmd.arg("doctor")
        .env("DOCKER_CREDENTIAL_KEYRING_PASSPHRASE", "not the passphrase");
    let wrong = support::run_command(cmd, b"");
    assert_eq!(wrong.code, Some(1), "{wrong:#?}");
    assert!(wrong.stdout.contains(" fix: "), "{wrong:#?}");
    let mut cmd = s.command(support::bin());
    cmd.arg("doctor")
        .env_remove("DOCKER_CREDENTIAL_KEYRING_BACKEND")
        .env("XDG_DATA_HOME", s.home.path().join("nothing-here"))
        .env("XDG_CONFIG_HOME", s.home.path().join("no-config"));
    let nothing = support::run_command(cmd, b"");
    assert_eq!(nothing.code, Some(1), "{nothing:#?}");
    assert!(
        nothing.stdout.contains("Why each was passed over:"),
        "{nothing:#?}"
    );
    for run in [&wrong, &nothing] {
        for bad in ["fix: hint:", "fix: Why", "fix: Set up"] {
            assert!(!run.stdout.contains(bad), "{bad}: {}", run.stdout);
        }
    }
}
