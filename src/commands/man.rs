//! Man pages, generated from the clap definition: `docker-credential-keyring(1)` with the
//! protocol, backends, environment, files and exit statuses, and one page per subcommand
//! (`docker-credential-keyring-push(1)`, …). `man/` in the repository holds the output of
//! `docker-credential-keyring man man/`; a test fails when it is stale.

use super::ExitStatus;
use crate::backend::Kind;
use crate::settings::{Settings, VARIABLES};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What the hidden `man DIR` command is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the pages go (packaging/generate-assets.sh refreshes man/ with it).
    pub dir: PathBuf,
}

/// Why the man pages could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write man pages to {}: {source}", dir.display())]
pub struct Error {
    dir: PathBuf,
    #[source]
    source: io::Error,
}

impl crate::hint::Hint for Error {}

/// Write every man page into the directory.
pub fn run(
    options: &Options,
    _settings: &Settings,
    _out: &mut dyn Write,
    _err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    match write_all(&options.dir) {
        Ok(_) => Ok(ExitStatus::Success),
        Err(source) => Err(Error {
            dir: options.dir.clone(),
            source,
        }),
    }
}

/// Sections of the main page that clap cannot know, in roff: PROTOCOL here, then BACKENDS and
/// ENVIRONMENT from [`Kind`] and [`VARIABLES`], then [`MAIN_TAIL`].
const MAIN_HEAD: &str = r#".SH "PROTOCOL"
Docker, buildx, podman, skopeo, crane, oras and docker\-py run the helper with exactly one
argument, the action, and talk to it over stdin and stdout:
.TP
\fBstore\fR
reads {"ServerURL":\&...,"Username":\&...,"Secret":\&...} and stores it, replacing whatever was
stored for that server.
.TP
\fBget\fR
reads a server URL and prints {"ServerURL":\&...,"Username":\&...,"Secret":\&...}.
.TP
\fBerase\fR
reads a server URL and deletes its credential.
.TP
\fBlist\fR
prints {"server":"username",\&...} without reading any secret; stdin is never read.
.TP
\fBversion\fR, \fB\-\-version\fR, \fB\-v\fR
prints the version; stdin is never read.
.PP
A query finds the exact server string first, then an equivalent spelling of the same registry
(scheme\-less is https, or http when only an http:// form is stored; host case, trailing slash,
default port, the Docker Hub aliases docker.io, index.docker.io, registry\-1.docker.io), then for
a repository path the longest stored prefix, then the host itself. Nothing ever matches across a
host, a non\-default port or an explicit http/https boundary.
"#;

/// The sections after BACKENDS and ENVIRONMENT (other programs' variables first).
const MAIN_TAIL: &str = r#".TP
\fBDBUS_SESSION_BUS_ADDRESS\fR, \fBPASSWORD_STORE_DIR\fR, \fBPASSWORD_STORE_GPG_OPTS\fR, \fBGNUPGHOME\fR
as for D\-Bus, pass and gpg (pass's gpg options are kept, with \-\-status\-fd added).
.TP
\fBXDG_RUNTIME_DIR\fR, \fBXDG_CONFIG_HOME\fR, \fBXDG_DATA_HOME\fR, \fBXDG_STATE_HOME\fR, \fBHOME\fR
where the session bus, this helper's config, data and state directories are found (Linux); the
store lock depends on none of them, except HOME for a uid the password database lacks.
.TP
\fBDOCKER_CONFIG\fR
the directory of Docker's config.json (setup, import, doctor); without it, .docker in $HOME
(Windows: %USERPROFILE%), as the docker CLI finds it.
.TP
\fBREGISTRY_AUTH_FILE\fR
podman's auth.json for import \-\-from (else $XDG_RUNTIME_DIR/containers/auth.json).
.TP
\fBKUBECONFIG\fR, \fBKUBERNETES_SERVICE_HOST\fR
the kubeconfig files push, sync and status read, as kubectl does; inside a pod, with no
kubeconfig, the pod's service account.
.SH "FILES"
Linux paths (the XDG variables move them). On macOS the config, data and state directories are
all ~/Library/Application Support/docker\-credential\-keyring/; on Windows the config is in
%APPDATA%\\docker\-credential\-keyring\\config\\, the file store in %APPDATA%\\docker\-credential\-keyring\\data\\
and sync.log in %LOCALAPPDATA%\\docker\-credential\-keyring\\data\\.
.TP
\fI~/.config/docker\-credential\-keyring/config.json\fR
this helper's settings, e.g. {"backend": "pass", "sync_on_store": true}. With
"sync_on_store": true, a store for a registry a saved push includes runs that push in the
background (detached; docker login never waits for it). setup \-\-backend NAME writes the backend.
.TP
\fI~/.config/docker\-credential\-keyring/saved\-pushes.json\fR, \fIsaved\-pushes.lock\fR
the pushes saved with push \-\-save, which sync runs again, with each one's last results; the
lock serializes their read\-modify\-write.
.TP
\fI~/.local/state/docker\-credential\-keyring/sync.log\fR, \fIsync.log.1\fR, \fIsync\-every.lock\fR
the output of the syncs started by store (past 1 MiB it moves to sync.log.1); the lock is held
by a running sync \-\-every, so push \-\-save knows the saved pushes are run.
.TP
\fI/run/user/<uid>/docker\-credential\-keyring/store.lock\fR
the per\-user lock of store and erase (else ~/.cache/docker\-credential\-keyring/, macOS
~/Library/Caches/docker\-credential\-keyring/, Windows %LOCALAPPDATA%; see
DOCKER_CREDENTIAL_KEYRING_LOCK_DIR).
.TP
\fI/usr/lib/systemd/user/docker\-credential\-keyring\-sync.timer\fR, \fIdocker\-credential\-keyring\-watch.service\fR
the timer runs sync every 30 minutes: systemctl \-\-user enable \-\-now docker\-credential\-keyring\-sync.timer;
the service runs sync \-\-watch. On macOS, the launchd agent io.github.docker\-credential\-keyring.sync
runs sync every 30 minutes.
.TP
\fI~/.local/share/docker\-credential\-keyring/credentials.enc.json\fR, \fIcredentials.lock\fR
the file backend's encrypted store and the lock of its writes.
.TP
\fI~/.docker/config.json\fR
Docker's config: "credsStore": "keyring" makes docker use this helper.
.SH "EXIT STATUS"
0 on success. 1 on any error: for the protocol actions the one\-line message is on stdout, where
docker reads it; "credentials not found in native keychain" means there is no credential. Other
subcommands print their errors on stderr; 2 means the command line was wrong.
"#;

/// Write every man page into `dir`; returns the files written.
pub fn write_all(dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut cmd = crate::cli::help::command().disable_help_subcommand(true);
    cmd.build();
    let mut written = Vec::new();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("{}-{}", crate::BINARY_NAME, sub.get_name());
        let usage = synopsis(sub);
        let page =
            clap_mangen::Man::new(sub.clone().display_name(name.clone()).override_usage(usage));
        let mut buf = Vec::new();
        page.render_title(&mut buf)?;
        page.render_name_section(&mut buf)?;
        page.render_synopsis_section(&mut buf)?;
        // NAME already says what the command does; DESCRIPTION says the rest, when there is one.
        if let Some(after) = sub.get_after_help() {
            buf.extend_from_slice(
                format!(".SH \"DESCRIPTION\"\n{}\n", roff(&after.to_string())).as_bytes(),
            );
        }
        page.render_options_section(&mut buf)?;
        buf.extend_from_slice(examples(sub.get_name()).as_bytes());
        let path = dir.join(format!("{name}.1"));
        std::fs::write(&path, buf)?;
        written.push(path);
    }
    let page = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    page.render_title(&mut buf)?;
    page.render_name_section(&mut buf)?;
    page.render_synopsis_section(&mut buf)?;
    page.render_description_section(&mut buf)?;
    page.render_options_section(&mut buf)?;
    page.render_subcommands_section(&mut buf)?;
    buf.extend_from_slice(MAIN_HEAD.as_bytes());
    buf.extend_from_slice(backends_and_environment().as_bytes());
    buf.extend_from_slice(MAIN_TAIL.as_bytes());
    let path = dir.join(format!("{}.1", crate::BINARY_NAME));
    std::fs::write(&path, buf)?;
    written.push(path);
    Ok(written)
}

/// The command with every option and the value it takes, e.g. `docker-credential-keyring push
/// [--from SOURCE] [-n|--namespace NS]… [REGISTRY]…` (clap's own synopsis leaves the values out).
fn synopsis(cmd: &clap::Command) -> String {
    let mut line = format!("{} {}", crate::BINARY_NAME, cmd.get_name());
    let (positionals, options): (Vec<_>, Vec<_>) = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .partition(|a| a.is_positional());
    for arg in options.into_iter().chain(positionals) {
        let repeat = matches!(arg.get_action(), clap::ArgAction::Append);
        let value = || {
            arg.get_value_names()
                .map(|v| v.join(" "))
                .unwrap_or_else(|| arg.get_id().as_str().to_uppercase())
        };
        let item = if arg.is_positional() {
            value()
        } else {
            let mut names: Vec<String> = arg
                .get_short()
                .map(|c| format!("-{c}"))
                .into_iter()
                .collect();
            names.extend(arg.get_long().map(|l| format!("--{l}")));
            let mut item = names.join("|");
            if arg.get_num_args().is_some_and(|n| n.takes_values()) {
                let v = value();
                if arg.is_require_equals_set() {
                    item.push_str(&format!("[={v}]"));
                } else {
                    item.push_str(&format!(" {v}"));
                }
            }
            item
        };
        let many = if repeat || arg.get_num_args().is_some_and(|n| n.max_values() > 1) {
            "…"
        } else {
            ""
        };
        if arg.is_required_set() {
            line.push_str(&format!(" {item}{many}"));
        } else {
            line.push_str(&format!(" [{item}]{many}"));
        }
    }
    line
}

/// EXAMPLES from [`crate::cli::help::EXAMPLES`].
fn examples(command: &str) -> String {
    let Some((_, examples)) = crate::cli::help::EXAMPLES
        .iter()
        .find(|(c, _)| *c == command)
    else {
        return String::new();
    };
    let mut out = String::from(".SH \"EXAMPLES\"\n");
    for (what, line) in *examples {
        if !what.is_empty() {
            out.push_str(&format!(".PP\n{}\n", roff(what)));
        }
        out.push_str(&format!(
            ".PP\n.RS 4\n.nf\n\\fB{}\\fR\n.fi\n.RE\n",
            roff(line)
        ));
    }
    out
}

/// BACKENDS from each [`Kind`]'s facts, ENVIRONMENT from [`VARIABLES`].
fn backends_and_environment() -> String {
    let mut out = String::from(".SH \"BACKENDS\"\n");
    for kind in Kind::ALL {
        out.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            roff(kind.name()),
            roff(kind.facts().summary)
        ));
    }
    out.push_str(
        ".TP\n\\fBauto\\fR\n\
         the default: the platform keychain when it answers (the Secret Service on Linux), else pass when\n\
         its store is initialised (Linux and the BSDs), else the file backend when its file exists.\n\
         It never picks keyutils (it forgets at reboot) and never creates the file store.\n\
         Run \\fBdocker\\-credential\\-keyring backends\\fR to see which one is picked here and why.\n",
    );
    out.push_str(".SH \"ENVIRONMENT\"\n");
    for var in VARIABLES {
        out.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            roff(var.name),
            roff(var.doc)
        ));
    }
    out
}

/// Plain text as roff: hyphens as `\-`, backslashes escaped, no line starting a request.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    match escaped.chars().next() {
        Some('.' | '\'') => format!("\\&{escaped}"),
        _ => escaped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FILES names every file we keep, by the names the code uses: a file added or renamed
    /// without the man page fails here.
    #[test]
    fn files_names_every_file_we_keep() {
        let files = &MAIN_TAIL[MAIN_TAIL.find(".SH \"FILES\"").unwrap()..];
        for name in [
            crate::settings::file::FILE_NAME,
            crate::sync::saved::FILE_NAME,
            crate::sync::saved::LOCK_NAME,
            crate::sync::LOG_NAME,
            &format!("{}.1", crate::sync::LOG_NAME),
            crate::sync::EVERY_LOCK_NAME,
            crate::store_lock::LOCK_NAME,
            crate::backend::file::FILE_NAME,
            crate::backend::file::LOCK_NAME,
            crate::sync::TIMER_UNIT,
            crate::sync::LAUNCHD_LABEL,
        ] {
            assert!(files.contains(&roff(name)), "FILES lacks {name}");
        }
    }
}
