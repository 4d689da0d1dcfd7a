//! A client for the credential-helper protocol: another helper (`docker-credential-NAME` on
//! PATH) run the way the docker CLI runs it, to read what it keeps (`list`, `get`).
//!
//! The query goes over the child's stdin and the secret comes back over its stdout pipe:
//! nothing in argv but the action, nothing added to its environment (our passphrase variable
//! left the environment at start, and is removed here again in case a library caller kept it).
//! One deadline covers each call (spawn, our input, its answer, its exit); past it the helper
//! and every process it started are killed (`crate::child`). Errors carry the helper's own
//! message line, never its answer nor anything that may be a credential.

use super::NOT_FOUND;
use crate::backend::Credential;
use crate::child;
use crate::settings::{HELPER_TIMEOUT_ENV, PASSPHRASE_ENV, Settings};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};
use std::time::Duration;
use zeroize::Zeroizing;

/// Every helper's program name starts with this.
pub const PREFIX: &str = "docker-credential-";
/// How long a helper may take when [`HELPER_TIMEOUT_ENV`] does not say: long enough for a
/// helper that asks for a passphrase (pass's pinentry) or mints a token over the network
/// (ecr-login), short enough that a hung one does not hang a `sync`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The most output read from a helper: far above any real answer.
const MAX_OUTPUT: usize = 1 << 20;
/// The most we write to a helper (a server address, or `list`'s `unused`): far above any real
/// query, and a bound on what a hostile list can make us send.
pub const MAX_INPUT: usize = 256 << 10;
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
    #[error(
        "{program} {action}: the query is {len} bytes, more than the {} KiB a helper is sent: check the registry address", MAX_INPUT >> 10
    )]
    TooLong {
        program: String,
        action: &'static str,
        len: usize,
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
            .find(|p| crate::fs::is_executable(p))
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
        serde_json::from_str::<BTreeMap<String, String>>(text).map_err(|e| {
            // serde's text for a value of the wrong type quotes the value: never repeated.
            let reason = match e.classify() {
                serde_json::error::Category::Data => format!(
                    "not an object of server to username, at line {} column {}",
                    e.line(),
                    e.column()
                ),
                _ => e.to_string(),
            };
            self.bad_answer("list", &reason)
        })
    }

    /// `get` for `server` as written: None when the helper does not hold it.
    pub fn get(&self, server: &str) -> Result<Option<Credential>, Error> {
        let out = match self.run("get", server.as_bytes()) {
            Err(Error::Failed { message, .. }) if message == NOT_FOUND => return Ok(None),
            other => other?,
        };
        let text = std::str::from_utf8(&out).map_err(|_| self.bad_answer("get", "not UTF-8"))?;
        let mut c = crate::protocol::parse_answer(text).map_err(|e| match e {
            super::Error::BadInput { reason } => self.bad_answer("get", &reason),
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
        if input.len() > MAX_INPUT {
            return Err(Error::TooLong {
                program: self.program.clone(),
                action,
                len: input.len(),
            });
        }
        let mut cmd = Command::new(&self.path);
        cmd.arg(action).env_remove(PASSPHRASE_ENV);
        let call = child::Call {
            input: Some(input),
            capture_stderr: true,
            own_group: true,
            timeout: self.timeout,
            max_output: MAX_OUTPUT,
        };
        let out = child::run(&mut cmd, call).map_err(|f| match f {
            child::Failure::Spawn(source) => Error::Spawn {
                program: self.program.clone(),
                source,
            },
            child::Failure::Timeout => Error::Timeout {
                program: self.program.clone(),
                action,
                secs: format!("{}", self.timeout.as_secs_f64()),
            },
            child::Failure::TooMuchOutput => self.bad_answer(action, "more than 1 MiB"),
        })?;
        if out.status.success() {
            return Ok(out.stdout);
        }
        Err(Error::Failed {
            program: self.program.clone(),
            action,
            message: message(&out.stdout, &out.stderr, out.status),
        })
    }
}

/// The helper's own error line, never something that may be its answer: the protocol puts the
/// message on stdout (`credentials not found in native keychain`), but a helper that printed
/// its credential and failed has its secret there. So the first line of stdout only when no
/// line of it may be a credential ([`may_hold_secret`]); else the last line of stderr (when
/// that line may not be one either); else the exit status. One line, bounded, printable.
fn message(stdout: &[u8], stderr: &[u8], status: ExitStatus) -> String {
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let (stdout, stderr) = (Zeroizing::new(text(stdout)), Zeroizing::new(text(stderr)));
    fn nonempty(t: &str) -> Vec<&str> {
        t.lines().map(str::trim).filter(|l| !l.is_empty()).collect()
    }
    let out_lines = nonempty(&stdout);
    let withheld = out_lines.iter().any(|l| may_hold_secret(l)) || may_hold_secret(&stdout);
    let from_stdout = out_lines.first().filter(|_| !withheld);
    let err_lines = nonempty(&stderr);
    let from_stderr = err_lines.last().filter(|l| !may_hold_secret(l));
    match from_stdout.or(from_stderr) {
        Some(line) => crate::untrusted::line(line, MAX_MESSAGE),
        None if withheld || !err_lines.is_empty() => {
            format!("it exited with {status} (its output is not repeated: it may hold a secret)")
        }
        None => format!("it exited with {status} and said nothing"),
    }
}

/// Whether helper output may be a credential rather than a message: JSON (or what starts like
/// it), or a `Secret` field (the protocol's name for the password) in any case and any
/// notation (`"Secret":`, `secret=`, `Secret :`). A message that only names secrets
/// (`org.freedesktop.secrets was not provided`) is still repeated.
fn may_hold_secret(text: &str) -> bool {
    let t = text.trim_start();
    if t.starts_with(['{', '[', '"']) || serde_json::from_str::<serde_json::Value>(t).is_ok() {
        return true;
    }
    let lower = t.to_ascii_lowercase();
    lower.match_indices("secret").any(|(i, word)| {
        lower[i + word.len()..]
            .trim_start_matches(['"', '\'', ' ', '\t'])
            .starts_with([':', '='])
    })
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
        assert_eq!(message(b"boom\nmore\n", b"x", status), "boom");
        assert_eq!(message(b"  \n", b"a\nlast\n", status), "last");
        assert!(message(b"", b"", status).contains("said nothing"));
        assert_eq!(message(NOT_FOUND.as_bytes(), b"", status), NOT_FOUND);
        assert_eq!(
            message(b"a\x1b]0;x\x07b\n", b"", status),
            "a]0;xb",
            "printable"
        );
        let secretservice =
            "The name org.freedesktop.secrets was not provided by any .service files";
        assert_eq!(
            message(secretservice.as_bytes(), b"", status),
            secretservice
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_list_answer_of_another_shape_is_not_quoted() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker-credential-odd");
        for answer in [
            r#""hunter2""#,
            r#"{"r.io":"u","s.io":{"Secret":"hunter2"}}"#,
        ] {
            std::fs::write(&path, format!("#!/bin/sh\necho '{answer}'\n")).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            let helper = Helper {
                program: "docker-credential-odd".into(),
                path: path.clone(),
                timeout: DEFAULT_TIMEOUT,
            };
            let e = helper.list().unwrap_err().to_string();
            assert!(e.contains("not an object of server to username"), "{e}");
            assert!(!e.contains("hunter2"), "{e}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn message_never_repeats_what_may_be_a_credential() {
        use std::os::unix::process::ExitStatusExt;
        let status = ExitStatus::from_raw(1 << 8);
        for answer in [
            &br#"{"ServerURL":"r.io","Username":"u","Secret":"hunter2"}"#[..],
            b"{\n  \"Username\": \"u\",\n  \"Secret\": \"hunter2\"\n}\n",
            b"oops\n{\"Secret\":\"hunter2\"",
            b"Secret: hunter2",
            b"user=u secret = hunter2",
            b"\"hunter2\"",
            b"[\"hunter2\"]",
        ] {
            let m = message(answer, b"", status);
            assert!(!m.contains("hunter2"), "{m}");
            assert!(m.contains("not repeated"), "{m}");
            assert_eq!(
                message(answer, b"warn\nvault sealed\n", status),
                "vault sealed"
            );
            let m = message(answer, b"Secret=hunter2", status);
            assert!(!m.contains("hunter2"), "{m}");
        }
    }
}
