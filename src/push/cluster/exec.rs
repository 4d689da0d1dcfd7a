//! A context's exec credential plugin, run once per context per run. kube 5 runs the plugin
//! itself on every `Auth` it derives from the kubeconfig user (three while building one TLS
//! client: the token layer and two looks for a client certificate), so an MFA plugin would
//! prompt three times per context. We run it as kube does, once, and put its answer in the
//! user's place: kube then builds the client from a plain token or client certificate.
//!
//! The answer is not refreshed during the run (a run lasts seconds; `sync` starts a new run,
//! and so a new plugin run, each round). A token that expires anyway is a 401 from the server,
//! reported as such.
//!
//! Unlike kube, the plugin runs within a deadline (the one of credential helpers) and its
//! output is capped: a plugin that hangs or floods fails its context, never the whole `sync`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use kube::client::AuthError;
use kube::config::{AuthInfo, ExecConfig, ExecInteractiveMode};
use secrecy::SecretString;
use std::io::IsTerminal;
use std::process::{Command, Stdio};
use std::time::Duration;

/// What a plugin prints (`client.authentication.k8s.io` ExecCredential), the parts we use.
#[derive(serde::Deserialize)]
struct ExecCredential {
    status: Option<Status>,
}

#[derive(serde::Deserialize)]
struct Status {
    #[serde(rename = "expirationTimestamp")]
    expiration_timestamp: Option<String>,
    token: Option<String>,
    #[serde(rename = "clientCertificateData")]
    client_certificate_data: Option<String>,
    #[serde(rename = "clientKeyData")]
    client_key_data: Option<String>,
}

impl Drop for Status {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.token.zeroize();
        self.client_key_data.zeroize();
    }
}

/// If `auth` gets its credentials from an exec plugin, run the plugin (once) and replace it
/// with what it answered, within `timeout`. The errors are kube's own, so they read as before.
pub(super) fn resolve(auth: &mut AuthInfo, timeout: Duration) -> Result<(), AuthError> {
    // kube (as client-go) uses the plugin only when nothing before it in this order is set.
    let preempted = auth.auth_provider.is_some()
        || (auth.username.is_some() && auth.password.is_some())
        || auth.token.is_some()
        || auth.token_file.is_some();
    if preempted {
        return Ok(());
    }
    let Some(exec) = auth.exec.take() else {
        return Ok(());
    };
    let status = run(&exec, timeout)?;
    // Checked as kube does, though the token is not refreshed (see the module doc).
    if let Some(ts) = &status.expiration_timestamp {
        ts.parse::<k8s_openapi::jiff::Timestamp>()
            .map_err(AuthError::MalformedTokenExpirationDate)?;
    }
    match (&status.client_certificate_data, &status.client_key_data) {
        // A client certificate wins over a token, as in kube.
        (Some(cert), Some(key)) => {
            auth.client_certificate_data = Some(B64.encode(cert));
            auth.client_key_data = Some(SecretString::from(B64.encode(key)));
            auth.client_certificate = None;
            auth.client_key = None;
        }
        _ => {
            if let Some(token) = &status.token {
                auth.token = Some(SecretString::from(token.as_str()));
            }
        }
    }
    Ok(())
}

/// The most a plugin may print on stdout (and on stderr): far above any ExecCredential.
const MAX_OUTPUT: usize = 1 << 20;

/// Run the plugin as kube 5 does (same arguments, environment, `KUBERNETES_EXEC_INFO` and
/// terminal use) within `timeout`, and read its ExecCredential's status.
fn run(exec: &ExecConfig, timeout: Duration) -> Result<Status, AuthError> {
    let program = exec.command.as_deref().ok_or(AuthError::MissingCommand)?;
    let mut cmd = Command::new(program);
    let args = exec.args.clone().unwrap_or_default();
    cmd.args(&args);
    for pair in exec.env.iter().flatten() {
        if let (Some(name), Some(value)) = (pair.get("name"), pair.get("value")) {
            cmd.env(name, value);
        }
    }
    // An interactive plugin (an MFA prompt) talks to the user on our stdin and stderr.
    let interactive = exec.interactive_mode != Some(ExecInteractiveMode::Never);
    if interactive {
        cmd.stdin(Stdio::inherit());
        cmd.stderr(Stdio::inherit());
    } else {
        cmd.stdin(Stdio::null());
    }
    let mut spec = serde_json::json!({ "interactive": interactive });
    if exec.provide_cluster_info {
        let cluster = exec
            .cluster
            .as_ref()
            .ok_or(AuthError::ExecMissingClusterInfo)?;
        spec["cluster"] = serde_json::to_value(cluster).map_err(AuthError::AuthExecSerialize)?;
    }
    let info = serde_json::json!({
        "apiVersion": exec.api_version,
        "kind": "ExecCredential",
        "spec": spec,
    });
    cmd.env("KUBERNETES_EXEC_INFO", info.to_string());
    for name in exec.drop_env.iter().flatten() {
        cmd.env_remove(name);
    }
    // A plugin that talks to the user on our terminal stays in our (foreground) process
    // group: in a group of its own, reading the terminal would stop it.
    let own_group = !(interactive && std::io::stdin().is_terminal());
    let call = crate::child::Call {
        input: None,
        capture_stderr: !interactive,
        own_group,
        timeout,
        max_output: MAX_OUTPUT,
    };
    let out = crate::child::run(&mut cmd, call).map_err(|f| match f {
        crate::child::Failure::Spawn(e) => AuthError::AuthExecStart(e),
        crate::child::Failure::Timeout => AuthError::AuthExec(format!(
            "the exec plugin {program:?} did not answer within {} s and was stopped (it may be waiting for a login; raise {} if it needs longer)",
            timeout.as_secs_f64(),
            crate::settings::HELPER_TIMEOUT_ENV
        )),
        crate::child::Failure::TooMuchOutput => AuthError::AuthExec(format!(
            "the exec plugin {program:?} printed more than {} MiB and was stopped (not a client-go credential plugin?)",
            MAX_OUTPUT >> 20
        )),
    })?;
    if !out.status.success() {
        return Err(AuthError::AuthExecRun {
            // The program and arguments only: the environment may hold secrets.
            cmd: std::iter::once(program.to_owned())
                .chain(args)
                .collect::<Vec<_>>()
                .join(" "),
            // Without its stdout, which may be a credential and is never shown.
            out: Box::new(std::process::Output {
                status: out.status,
                stdout: Vec::new(),
                stderr: out.stderr.to_vec(),
            }),
        });
    }
    // The plugin's stdout is a credential (wiped when dropped).
    let stdout = out.stdout;
    // JSON, or YAML as client-go also accepts (YAML 1.2 is a superset of JSON).
    let credential: ExecCredential =
        serde_saphyr::from_slice(&stdout).map_err(|e| AuthError::AuthExecParse(Box::new(e)))?;
    credential.status.ok_or(AuthError::ExecPluginFailed)
}

// The plugins are `#!/bin/sh` scripts made executable by mode bits: Unix only.
#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::os::unix::fs::PermissionsExt;

    const T: Duration = Duration::from_secs(30);

    fn plugin(dir: &std::path::Path, status: &str) -> AuthInfo {
        let path = dir.join("plugin");
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\ncat <<'EOF'\n{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{status}}}\nEOF\n"
            ),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        AuthInfo {
            exec: Some(ExecConfig {
                api_version: Some("client.authentication.k8s.io/v1".into()),
                command: Some(path.to_string_lossy().into_owned()),
                args: None,
                env: None,
                drop_env: None,
                install_hint: None,
                interactive_mode: Some(ExecInteractiveMode::Never),
                provide_cluster_info: false,
                cluster: None,
                other: Default::default(),
            }),
            ..AuthInfo::default()
        }
    }

    #[test]
    fn a_token_takes_the_plugins_place() {
        let dir = tempfile::tempdir().unwrap();
        let mut auth = plugin(dir.path(), r#"{"token":"t0k"}"#);
        resolve(&mut auth, T).unwrap();
        assert!(auth.exec.is_none());
        assert_eq!(auth.token.unwrap().expose_secret(), "t0k");
    }

    #[test]
    fn a_client_certificate_takes_the_plugins_place_and_wins_over_a_token() {
        let dir = tempfile::tempdir().unwrap();
        let mut auth = plugin(
            dir.path(),
            r#"{"token":"t0k","clientCertificateData":"CERT PEM","clientKeyData":"KEY PEM"}"#,
        );
        auth.client_certificate = Some("/some/other/cert".into());
        resolve(&mut auth, T).unwrap();
        assert!(auth.exec.is_none() && auth.token.is_none());
        assert!(auth.client_certificate.is_none() && auth.client_key.is_none());
        assert_eq!(
            B64.decode(auth.client_certificate_data.unwrap()).unwrap(),
            b"CERT PEM"
        );
        assert_eq!(
            B64.decode(auth.client_key_data.unwrap().expose_secret())
                .unwrap(),
            b"KEY PEM"
        );
    }

    #[test]
    fn a_token_in_the_kubeconfig_wins_and_the_plugin_never_runs() {
        let dir = tempfile::tempdir().unwrap();
        let mut auth = plugin(dir.path(), r#"{"token":"t0k"}"#);
        // A plugin that cannot run: resolving succeeds only if it is left alone.
        auth.exec.as_mut().unwrap().command = Some(dir.path().join("absent").display().to_string());
        auth.token = Some(SecretString::from("static"));
        resolve(&mut auth, T).unwrap();
        assert!(auth.exec.is_some());
        assert_eq!(auth.token.unwrap().expose_secret(), "static");
    }

    /// A plugin script `body` (non-interactive, as under `sync`).
    fn script(dir: &std::path::Path, body: &str) -> AuthInfo {
        let mut auth = plugin(dir, "{}");
        let path = dir.join("plugin");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        auth.exec.as_mut().unwrap().command = Some(path.display().to_string());
        auth
    }

    #[test]
    fn a_hanging_plugin_and_what_it_started_are_stopped_at_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let pid = dir.path().join("pid");
        let mut auth = script(
            dir.path(),
            &format!(
                "sleep 1000 &\necho $! > '{}'\nexec sleep 1000",
                pid.display()
            ),
        );
        let started = std::time::Instant::now();
        let e = resolve(&mut auth, Duration::from_secs(1)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(20));
        let text = e.to_string();
        assert!(
            text.contains("did not answer within 1 s and was stopped"),
            "{text}"
        );
        let pid = std::fs::read_to_string(&pid).unwrap();
        let stat = format!("/proc/{}/stat", pid.trim());
        // Killed: gone, or a zombie until its new parent reaps it.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::fs::read_to_string(&stat).is_ok_and(|s| !s.contains(") Z ")) {
            assert!(
                std::time::Instant::now() < deadline,
                "the plugin's child survived"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn a_flooding_plugin_is_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let mut auth = script(dir.path(), "exec yes '{\"status\":{\"token\":\"t\"}}'");
        let e = resolve(&mut auth, T).unwrap_err();
        assert!(e.to_string().contains("printed more than 1 MiB"), "{e}");
    }

    #[test]
    fn a_failing_plugins_stdout_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut auth = script(
            dir.path(),
            "echo '{\"token\":\"t0k-leak\"}'; echo bad >&2; exit 2",
        );
        let e = resolve(&mut auth, T).unwrap_err();
        let AuthError::AuthExecRun { out, .. } = &e else {
            panic!("{e}")
        };
        assert!(out.stdout.is_empty());
        assert_eq!(out.stderr, b"bad\n");
    }
}
