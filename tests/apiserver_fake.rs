//! The API-server fake kept honest: the real kubectl, through real kubeconfig files, gets from
//! it what it gets from a real kube-apiserver.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use support::apiserver::{ApiServer, DEFAULT_USER, Fault, FaultKind};
use support::kubeconfig::{Auth, Ca, ExecPlugin, Kubeconfig, kubeconfig_env};

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn kubectl(home: &Path, kubeconfig: &Path, args: &[&str], stdin: Option<&str>) -> Out {
    use std::io::Write;
    let mut cmd = Command::new("kubectl");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("KUBECONFIG", kubeconfig)
        .args(args)
        .args(["--request-timeout=20s"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("run kubectl");
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    let o = child.wait_with_output().unwrap();
    let out = Out {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    };
    eprintln!(
        "kubectl {args:?} -> {:?}\n{}\n{}",
        out.code, out.stdout, out.stderr
    );
    out
}

#[test]
fn explore() {
    let server = ApiServer::start_tls();
    server.create_namespace("dev");
    let dir = tempfile::tempdir().unwrap();
    let kc = Kubeconfig::new()
        .server("fake", &server)
        .current("fake")
        .write(dir.path().join("config"));
    kubectl(dir.path(), &kc, &["get", "ns", "-v=8"], None);
    kubectl(
        dir.path(),
        &kc,
        &[
            "create",
            "secret",
            "docker-registry",
            "regcred",
            "-n",
            "dev",
            "--docker-server=r.example.com",
            "--docker-username=a",
            "--docker-password=b",
        ],
        None,
    );
    kubectl(
        dir.path(),
        &kc,
        &["get", "secret", "-n", "dev", "regcred", "-o", "json"],
        None,
    );
    let manifest = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"other","namespace":"dev"},"type":"Opaque","stringData":{"a":"b"}}"#;
    kubectl(
        dir.path(),
        &kc,
        &["apply", "--server-side", "-f", "-"],
        Some(manifest),
    );
    kubectl(
        dir.path(),
        &kc,
        &["apply", "--server-side", "-f", "-"],
        Some(manifest),
    );
    for r in server.requests() {
        eprintln!(
            "{} {} ?{} {:?} -> {:?} {:?}",
            r.method, r.path, r.query, r.content_type, r.status, r.headers
        );
    }
    let _ = (
        json!({}),
        Value::Null,
        DEFAULT_USER,
        Fault::new(FaultKind::InternalError, "/"),
        Auth::Anonymous,
        Ca::None,
        kubeconfig_env(&[]),
    );
    let _ = ExecPlugin::new;
}
#[test]
fn show_yaml() {
    let server = ApiServer::start();
    eprintln!(
        "{}",
        Kubeconfig::new()
            .server("fake", &server)
            .current("fake")
            .to_yaml()
    );
}
