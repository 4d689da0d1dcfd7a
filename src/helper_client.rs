//! A client for the credential-helper protocol: another helper (`docker-credential-NAME` on
//! PATH) run the way the docker CLI runs it, to read what it keeps (`list`, `get`).
//!
//! The query goes over the child's stdin and the secret comes back over its stdout pipe:
//! nothing in argv but the action, nothing added to its environment (our passphrase variable
//! left the environment at start, and is removed here again in case a library caller kept it).
//! Every call has a deadline, after which the child is killed. Errors carry the helper's own
//! message (its first line), never its answer: an answer can hold a secret.

use crate::backend::Credential;
use crate::settings::{HELPER_TIMEOUT_ENV, PASSPHRASE_ENV, Settings};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// Every helper's program name starts with this.
pub const PREFIX: &str = "docker-credential-";
/// What the reference helpers print (exit 1) for a server they do not hold.
pub const NOT_FOUND: &str = "credentials not found in native keychain";
/// How long a helper may take when [`HELPER_TIMEOUT_ENV`] does not say: long enough for a
/// helper that asks for a passphrase (pass's pinentry) or mints a token over the network
/// (ecr-login), short enough that a hung one does not hang a `sync`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The most output read from a helper: far above any real answer.
const MAX_OUTPUT: u64 = 1 << 20;
/// The longest piece of a helper's own message we repeat.
const MAX_MESSAGE: usize = 300;

/// Why another helper could not be read. One line naming cause and fix; never a secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "invalid credential helper name {0:?}: give what follows docker-credential- in its program name (e.g. pass, secretservice, ecr-login)"
    )]
    BadName(String),
    #[error(
        "{program} was not found on PATH: install it, or add the directory that holds it to PATH"
    )]
    Missing { program: String },
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{program} {action} failed: {message}")]
    Failed {
        program: String,
        action: &'static str,
        message: String,
    },
    #[error(
        "{program} {action} did not answer within {secs} s and was stopped; check that it works on its own (it may be waiting for a prompt), or raise {HELPER_TIMEOUT_ENV}"
    )]
    Timeout {
        program: String,
        action: &'static str,
        secs: String,
    },
    #[error(
        "{program} {action} answered something that is not the credential-helper protocol's JSON ({reason}); check that it is a Docker credential helper"
    )]
    BadAnswer {
        program: String,
        action: &'static str,
        reason: String,
    },
    #[error(
        "invalid {HELPER_TIMEOUT_ENV} {0:?}: give a number of seconds greater than 0 and at most 86400"
    )]
    BadTimeout(String),
}

/// Whether `name` can be the NAME of `docker-credential-NAME`: a program name, never a path.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && !name.contains(['/', '\\'])
        && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The deadline of each helper call: [`HELPER_TIMEOUT_ENV`], else [`DEFAULT_TIMEOUT`].
pub fn timeout(settings: &Settings) -> Result<Duration, Error> {
    match settings.helper_timeout.as_deref() {
        None => Ok(DEFAULT_TIMEOUT),
        Some(raw) => match raw.trim().parse::<f64>() {
            Ok(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => Ok(Duration::from_secs_f64(s)),
            _ => Err(Error::BadTimeout(raw.to_owned())),
        },
    }
}

/// One helper found on PATH.
#[derive(Debug, Clone)]
pub struct Helper {
    program: String,
    path: PathBuf,
    timeout: Duration,
}

impl Helper {
    /// Find `docker-credential-NAME` on PATH (absolute directories only: a helper is never run
    /// from the current directory), with the deadline [`HELPER_TIMEOUT_ENV`] gives.
    pub fn find(name: &str, settings: &Settings) -> Result<Helper, Error> {
        Helper::find_with_timeout(name, timeout(settings)?)
    }

    /// [`Helper::find`] with a deadline of `timeout` per call.
    pub fn find_with_timeout(name: &str, timeout: Duration) -> Result<Helper, Error> {
        if !valid_name(name) {
            return Err(Error::BadName(name.to_owned()));
        }
        let program = format!("{PREFIX}{name}");
        let path = std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .filter(|dir| dir.is_absolute())
            .map(|dir| dir.join(format!("{program}{}", std::env::consts::EXE_SUFFIX)))
            .find(|p| is_executable(p))
            .ok_or_else(|| Error::Missing {
                program: program.clone(),
            })?;
        Ok(Helper {
            program,
            path,
            timeout,
        })
    }

    /// The program name (`docker-credential-NAME`).
    pub fn program(&self) -> &str {
        &self.program
    }

    /// `list`: every server the helper holds, with its username. Helpers that mint tokens
    /// (ecr-login) list only what they cached: ask those with [`Helper::get`].
    pub fn list(&self) -> Result<BTreeMap<String, String>, Error> {
        // The docker CLI writes "unused" on list's stdin; some helpers read it.
        let out = self.run("list", b"unused")?;
        let text = std::str::from_utf8(&out).map_err(|_| self.bad_answer("list", "not UTF-8"))?;
        serde_json::from_str::<BTreeMap<String, String>>(text)
            .map_err(|e| self.bad_answer("list", &e.to_string()))
    }

    /// `get` for `server` as written: None when the helper does not hold it.
    pub fn get(&self, server: &str) -> Result<Option<Credential>, Error> {
        let out = match self.run("get", server.as_bytes()) {
            Err(Error::Failed { message, .. }) if message == NOT_FOUND => return Ok(None),
            other => other?,
        };
        let text = std::str::from_utf8(&out).map_err(|_| self.bad_answer("get", "not UTF-8"))?;
        let mut c = crate::protocol::parse_answer(text).map_err(|e| match e {
            crate::Error::BadInput { reason } => self.bad_answer("get", &reason),
            other => self.bad_answer("get", &other.to_string()),
        })?;
        if c.username.is_empty() && c.secret.expose().is_empty() {
            // Some helpers answer an empty credential instead of "not found".
            return Ok(None);
        }
        // What we asked for is what it is known as (the docker CLI does the same).
        c.server_url = server.to_owned();
        Ok(Some(c))
    }

    /// The credential for `query`: asked as written, then (on a miss) as the server string the
    /// docker CLI files it under (`docker login docker.io` stores Docker Hub's
    /// `https://index.docker.io/v1/`, `docker login https://r.io/` stores `r.io`). Asked
    /// directly, never looked up in `list`: helpers that mint tokens list only what they cached.
    pub fn lookup(&self, query: &str) -> Result<Option<Credential>, Error> {
        if let Some(c) = self.get(query)? {
            return Ok(Some(c));
        }
        let docker = crate::registry::docker_hostname(query);
        if docker == query {
            return Ok(None);
        }
        self.get(&docker)
    }

    fn bad_answer(&self, action: &'static str, reason: &str) -> Error {
        Error::BadAnswer {
            program: self.program.clone(),
            action,
            reason: reason.to_owned(),
        }
    }

    /// Run `ACTION` with `input` on stdin; its stdout when it exits 0 within the deadline.
    fn run(&self, action: &'static str, input: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let deadline = Instant::now() + self.timeout;
        let mut child = Command::new(&self.path)
            .arg(action)
            .env_remove(PASSPHRASE_ENV)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| Error::Spawn {
                program: self.program.clone(),
                source,
            })?;
        let stdout = read_pipe(child.stdout.take());
        let stderr = read_pipe(child.stderr.take());
        if let Some(mut stdin) = child.stdin.take() {
            // A helper may exit without reading its input: a broken pipe is its answer.
            let _ = stdin.write_all(input);
        }
        let timeout = || Error::Timeout {
            program: self.program.clone(),
            action,
            secs: format!("{}", self.timeout.as_secs_f64()),
        };
        let status = wait_until(&mut child, deadline).ok_or_else(timeout)?;
        // A grandchild may still hold the pipes open: they get the rest of the deadline.
        let remaining = deadline.saturating_duration_since(Instant::now());
        let out = stdout
            .recv_timeout(remaining.max(Duration::from_millis(100)))
            .map_err(|_| timeout())?;
        if status.success() {
            return Ok(out);
        }
        let err = stderr.recv_timeout(Duration::from_millis(100)).ok();
        Err(Error::Failed {
            program: self.program.clone(),
            action,
            message: message(&out, err.as_deref().map(|v| &v[..]), status),
        })
    }
}

/// Read a child's pipe to its end (bounded) on a thread of its own.
fn read_pipe(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Zeroizing<Vec<u8>>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Zeroizing::new(Vec::with_capacity(4096));
        if let Some(pipe) = pipe {
            let _ = pipe.take(MAX_OUTPUT).read_to_end(&mut buf);
        }
        let _ = tx.send(buf);
    });
    rx
}

/// Wait for `child` until `deadline`; past it the child is killed and None returned.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    let mut pause = Duration::from_micros(500);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => {}
            Err(_) => break,
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// The helper's own error line: the protocol puts it on stdout; else the last line of stderr;
/// else the exit status. One line, bounded, without control characters.
fn message(stdout: &[u8], stderr: Option<&[u8]>, status: ExitStatus) -> String {
    let first_line = |bytes: &[u8], last: bool| {
        let text = String::from_utf8_lossy(bytes);
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let line = if last {
            lines.next_back()
        } else {
            lines.next()
        };
        line.map(|l| {
            l.chars()
                .filter(|c| !c.is_control())
                .take(MAX_MESSAGE)
                .collect::<String>()
        })
    };
    first_line(stdout, false)
        .or_else(|| stderr.and_then(|e| first_line(e, true)))
        .unwrap_or_else(|| format!("it exited with {status} and said nothing"))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_program_names_not_paths() {
        for ok in ["pass", "secretservice", "ecr-login", "desktop.exe"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "../x", "a/b", "a\\b", "-x", "a b", "a\nb"] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn docker_files_registries_as_its_cli_does() {
        use crate::registry::{DOCKER_HUB_KEY, docker_hostname};
        assert_eq!(docker_hostname("docker.io"), DOCKER_HUB_KEY);
        assert_eq!(
            docker_hostname("https://index.docker.io/v1/"),
            DOCKER_HUB_KEY
        );
        assert_eq!(
            docker_hostname("https://r.example.com/v2/"),
            "r.example.com"
        );
        assert_eq!(docker_hostname("r.example.com:5000"), "r.example.com:5000");
    }

    #[cfg(unix)]
    #[test]
    fn message_prefers_stdout_first_line_then_stderr_last_line() {
        use std::os::unix::process::ExitStatusExt;
        let status = ExitStatus::from_raw(1 << 8);
        assert_eq!(message(b"boom\nmore\n", Some(b"x"), status), "boom");
        assert_eq!(message(b"  \n", Some(b"a\nlast\n"), status), "last");
        assert!(message(b"", None, status).contains("said nothing"));
    }
}
