//! A stub Docker daemon on `tcp://127.0.0.1:PORT` for the real docker CLI.
//!
//! It answers what `docker login`, `docker pull` and `docker logout` ask of a daemon: `/_ping`
//! (with the API-version headers the CLI negotiates from), `POST /vX/auth` (accepting only the
//! credentials it was given), `POST /vX/images/create` (a pull: a minimal JSON progress stream)
//! and `/vX/info`, `/vX/version`; anything else gets a 404 in the daemon's error format. Every
//! request is recorded, with the `X-Registry-Auth` header decoded, so a test can see exactly
//! which credentials the CLI sent.

use base64::Engine;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// The API version the stub claims (the CLI negotiates down to it).
pub const API_VERSION: &str = "1.47";

/// One request as the daemon received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, e.g. `/v1.47/images/create?fromImage=…&tag=latest`.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without the `/vX.Y` prefix and the query.
    pub fn endpoint(&self) -> &str {
        let path = self.target.split('?').next().unwrap_or("");
        match path.strip_prefix("/v") {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => {
                rest.find('/').map(|i| &rest[i..]).unwrap_or("/")
            }
            _ => path,
        }
    }

    /// The decoded `X-Registry-Auth` header (base64url JSON), if sent.
    pub fn registry_auth(&self) -> Option<serde_json::Value> {
        let raw = self.header("X-Registry-Auth")?;
        let bytes = base64::engine::general_purpose::URL_SAFE
            .decode(raw.trim())
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw.trim()))
            .or_else(|_| base64::engine::general_purpose::STANDARD.decode(raw.trim()))
            .expect("X-Registry-Auth is base64");
        Some(serde_json::from_slice(&bytes).expect("X-Registry-Auth is JSON"))
    }
}

/// A running stub daemon; stops accepting when dropped (the listener thread is detached).
pub struct DockerDaemon {
    port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl DockerDaemon {
    /// Start a daemon whose registry login accepts exactly `accepted` (username, password).
    pub fn start(accepted: &[(&str, &str)]) -> DockerDaemon {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the stub daemon");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let accepted = Arc::new(Mutex::new(
            accepted
                .iter()
                .map(|(u, p)| (u.to_string(), p.to_string()))
                .collect(),
        ));
        let reqs = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (reqs, acc) = (reqs.clone(), accepted.clone());
                std::thread::spawn(move || serve(stream, &reqs, &acc));
            }
        });
        DockerDaemon { port, requests }
    }

    /// The `DOCKER_HOST` value.
    pub fn host(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The pulls so far (`POST /images/create`).
    pub fn pulls(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.endpoint() == "/images/create")
            .collect()
    }

    /// The logins so far (`POST /auth`), with their JSON bodies.
    pub fn logins(&self) -> Vec<serde_json::Value> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.endpoint() == "/auth")
            .map(|r| serde_json::from_slice(&r.body).expect("auth body is JSON"))
            .collect()
    }
}

fn serve(
    stream: TcpStream,
    requests: &Mutex<Vec<Request>>,
    accepted: &Mutex<Vec<(String, String)>>,
) {
    let mut writer = stream.try_clone().expect("clone the stream");
    let mut reader = BufReader::new(stream);
    loop {
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        requests.lock().unwrap().push(request.clone());
        let mut response = respond(&request, accepted);
        if request.method == "HEAD" {
            // Headers only: a body after a HEAD answer desynchronises the client's connection.
            let end = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            response.truncate(end);
        }
        if writer
            .write_all(&response)
            .and_then(|()| writer.flush())
            .is_err()
        {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if let Some(len) = header("Content-Length").and_then(|l| l.parse::<usize>().ok()) {
        body.resize(len, 0);
        reader.read_exact(&mut body).ok()?;
    } else if header("Transfer-Encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

fn response(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nApi-Version: {API_VERSION}\r\nDocker-Experimental: false\r\n\
         Ostype: linux\r\nServer: Docker/27.5.1 (linux)\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn respond(request: &Request, accepted: &Mutex<Vec<(String, String)>>) -> Vec<u8> {
    const JSON: &str = "application/json";
    match (request.method.as_str(), request.endpoint()) {
        (_, "/_ping") => response("200 OK", "text/plain; charset=utf-8", "OK"),
        ("GET", "/version") => response(
            "200 OK",
            JSON,
            &serde_json::json!({
                "Version": "27.5.1", "ApiVersion": API_VERSION, "MinAPIVersion": "1.24",
                "Os": "linux", "Arch": "amd64", "GitCommit": "stub", "GoVersion": "go1.22",
                "KernelVersion": "6.1", "BuildTime": "2025-01-01T00:00:00Z"
            })
            .to_string(),
        ),
        ("GET", "/info") => response(
            "200 OK",
            JSON,
            &serde_json::json!({
                "ID": "stub", "Name": "stub", "OSType": "linux", "Architecture": "x86_64",
                "IndexServerAddress": "https://index.docker.io/v1/", "ServerVersion": "27.5.1"
            })
            .to_string(),
        ),
        ("POST", "/auth") => {
            let body: serde_json::Value =
                serde_json::from_slice(&request.body).unwrap_or(serde_json::Value::Null);
            let user = body["username"].as_str().unwrap_or("");
            let pass = body["password"].as_str().unwrap_or("");
            let ok = accepted
                .lock()
                .unwrap()
                .iter()
                .any(|(u, p)| u == user && p == pass);
            if ok {
                response(
                    "200 OK",
                    JSON,
                    r#"{"IdentityToken":"","Status":"Login Succeeded"}"#,
                )
            } else {
                let server = body["serveraddress"].as_str().unwrap_or("");
                response(
                    "401 Unauthorized",
                    JSON,
                    &serde_json::json!({
                        "message": format!("login attempt to https://{server}/v2/ failed with status: 401 Unauthorized")
                    })
                    .to_string(),
                )
            }
        }
        ("POST", "/images/create") => {
            let query = request.target.split_once('?').map(|x| x.1).unwrap_or("");
            let tag = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("tag="))
                .unwrap_or("latest");
            let body = format!(
                "{{\"status\":\"Pulling from stub\",\"id\":\"{tag}\"}}\r\n\
                 {{\"status\":\"Digest: sha256:0000000000000000000000000000000000000000000000000000000000000000\"}}\r\n\
                 {{\"status\":\"Status: Image is up to date\"}}\r\n"
            );
            response("200 OK", JSON, &body)
        }
        (method, _) => response(
            "404 Not Found",
            JSON,
            &serde_json::json!({
                "message": format!("stub daemon: {method} {} not implemented", request.target)
            })
            .to_string(),
        ),
    }
}
