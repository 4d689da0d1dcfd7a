//! The D-Bus connection: finding the session bus, connecting with a deadline, method calls with a
//! deadline, and pipelined batches of calls (send them all, then collect the replies).

use super::Error;
use super::{SERVICE, Settings};
use dbus::Message;
use dbus::channel::Channel;
use dbus::message::MessageType;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The name we use for the service in error messages.
pub(super) const WHO: &str = "the Secret Service";
/// What to do when the service stops answering.
const FIX_STUCK: &str = "restart the keyring daemon (e.g. `gnome-keyring-daemon --replace`), or raise DOCKER_CREDENTIAL_KEYRING_TIMEOUT";

/// How many calls a pipelined batch keeps in flight at once. The session bus limits pending
/// replies per connection (dbus-daemon: 50000 on a session bus, 128 on a system-style config);
/// a sliding window keeps the pipe full without ever hitting that limit.
const WINDOW: usize = 100;

/// The session bus address: `DBUS_SESSION_BUS_ADDRESS`, else the systemd user bus at
/// `$XDG_RUNTIME_DIR/bus`. We never let libdbus "autolaunch" a bus (that would spawn
/// `dbus-launch`, and an X11 helper when DISPLAY is set).
pub(super) fn session_address() -> Result<String, Error> {
    if let Some(addr) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS") {
        let addr = addr.to_string_lossy().into_owned();
        if !addr.trim().is_empty() {
            return Ok(addr);
        }
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR") {
        let path = PathBuf::from(dir).join("bus");
        use std::os::unix::fs::FileTypeExt;
        if std::fs::metadata(&path).is_ok_and(|m| m.file_type().is_socket()) {
            return Ok(format!("unix:path={}", escape_address_value(&path)));
        }
    }
    Err(Error::NoSessionBus)
}

/// D-Bus address values escape every byte outside `[-0-9A-Za-z_/.\*]` as `%XX`.
fn escape_address_value(path: &std::path::Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::new();
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_/.\\*".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    out
}

/// One private connection to the session bus.
pub(super) struct Bus {
    channel: Channel,
    /// Signals that arrived while we waited for replies (e.g. a prompt's `Completed`).
    stash: std::cell::Cell<Vec<Message>>,
    /// The deadline of each call.
    pub(super) timeout: Duration,
}

impl Bus {
    /// Connect and register (the `Hello` handshake) within `timeout`. libdbus waits up to 25 s
    /// for `Hello` on a bus that accepted the socket but does not answer, so the handshake runs
    /// on a thread we can stop waiting for.
    pub(super) fn connect(settings: &Settings) -> Result<Bus, Error> {
        let address = session_address()?;
        let timeout = settings.call_timeout;
        let (tx, rx) = mpsc::channel();
        let addr = address.clone();
        std::thread::Builder::new()
            .name("dbus-connect".into())
            .spawn(move || {
                let result = Channel::open_private(&addr).and_then(|mut c| {
                    c.register()?;
                    Ok(c)
                });
                let _ = tx.send(result);
            })
            .map_err(|e| Error::BusUnreachable {
                address: address.clone(),
                reason: format!("cannot start a thread: {e}"),
            })?;
        match rx.recv_timeout(timeout) {
            Ok(Ok(channel)) => Ok(Bus {
                channel,
                stash: Default::default(),
                timeout,
            }),
            Ok(Err(e)) => Err(Error::BusUnreachable {
                address,
                reason: one_line(e.message().unwrap_or("unknown error")),
            }),
            Err(_) => Err(Error::Timeout {
                service: "the D-Bus session bus",
                what: format!("complete the connection handshake at {address}"),
                seconds: timeout.as_secs_f64(),
                fix: "restart the session bus (log out and in), or fix DBUS_SESSION_BUS_ADDRESS",
            }),
        }
    }

    /// Send one call and wait for its reply within the call deadline. An error reply becomes
    /// `Ok(Err(_))` so the caller can decide what it means; a dead or silent service is `Err`.
    pub(super) fn call(&self, msg: Message, what: &str) -> Result<Reply, Error> {
        let mut replies = self.call_all(vec![msg], what)?;
        Ok(replies.pop().expect("one reply per call"))
    }

    /// Send every call, then collect every reply (pipelined: a constant number of round trips
    /// however many calls). Replies come back in the order of `msgs`.
    pub(super) fn call_all(&self, msgs: Vec<Message>, what: &str) -> Result<Vec<Reply>, Error> {
        let n = msgs.len();
        let deadline = Instant::now() + self.timeout;
        let mut replies: Vec<Option<Reply>> = (0..n).map(|_| None).collect();
        let mut pending: HashMap<u32, usize> = HashMap::new();
        let mut queue = msgs.into_iter().enumerate();
        let mut done = 0;
        let send_more = |pending: &mut HashMap<u32, usize>,
                         queue: &mut std::iter::Enumerate<std::vec::IntoIter<Message>>|
         -> Result<(), Error> {
            while pending.len() < WINDOW {
                let Some((i, msg)) = queue.next() else { break };
                let serial = self.channel.send(msg).map_err(|()| self.lost(what))?;
                pending.insert(serial, i);
            }
            Ok(())
        };
        send_more(&mut pending, &mut queue)?;
        while done < n {
            let now = Instant::now();
            if now >= deadline {
                return Err(self.timed_out(what));
            }
            let msg = self
                .channel
                .blocking_pop_message(deadline - now)
                .map_err(|_| self.lost(what))?;
            let Some(msg) = msg else {
                if !self.channel.is_connected() {
                    return Err(self.lost(what));
                }
                continue;
            };
            let Some(i) = msg.get_reply_serial().and_then(|s| pending.remove(&s)) else {
                // A signal or a reply to something else: keep it for whoever waits for it.
                self.stash(msg);
                continue;
            };
            replies[i] = Some(match msg.msg_type() {
                MessageType::Error => {
                    let mut msg = msg;
                    let e = msg.as_result().expect_err("an error reply");
                    Err(ReplyError {
                        name: e.name().unwrap_or_default().to_owned(),
                        message: one_line(e.message().unwrap_or_default()),
                    })
                }
                _ => Ok(msg),
            });
            done += 1;
            send_more(&mut pending, &mut queue)?;
        }
        let replies: Vec<Reply> = replies
            .into_iter()
            .map(|r| r.expect("all replies"))
            .collect();
        // Errors that mean the same for every call are reported as such.
        for r in &replies {
            if let Err(e) = r
                && let Some(err) = self.transport_error(e, what)
            {
                return Err(err);
            }
        }
        Ok(replies)
    }

    /// Wait for a signal that `matches`, until `deadline`. Messages that do not match are
    /// dropped (we only ever wait for one signal at a time).
    pub(super) fn wait_signal(
        &self,
        deadline: Instant,
        matches: impl Fn(&Message) -> bool,
    ) -> Result<Option<Message>, Error> {
        let mut stash = self.stash.take();
        let found = stash.iter().position(&matches).map(|pos| stash.remove(pos));
        self.stash.set(stash);
        if found.is_some() {
            return Ok(found);
        }
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            match self.channel.blocking_pop_message(deadline - now) {
                Ok(Some(m)) if matches(&m) => return Ok(Some(m)),
                Ok(_) => {
                    if !self.channel.is_connected() {
                        return Err(self.lost("wait for the unlock prompt"));
                    }
                }
                Err(_) => return Err(self.lost("wait for the unlock prompt")),
            }
        }
    }

    fn stash(&self, msg: Message) {
        if msg.msg_type() == MessageType::Signal {
            let mut s = self.stash.take();
            s.push(msg);
            self.stash.set(s);
        }
    }

    fn lost(&self, what: &str) -> Error {
        Error::Failed {
            service: "the D-Bus session bus",
            what: what.to_owned(),
            message: "the connection to the bus was lost; retry, and check that the session bus is running".into(),
        }
    }

    fn timed_out(&self, what: &str) -> Error {
        Error::Timeout {
            service: WHO,
            what: what.to_owned(),
            seconds: self.timeout.as_secs_f64(),
            fix: FIX_STUCK,
        }
    }

    /// Error replies that are about the bus or the service as a whole, not about the call.
    pub(super) fn transport_error(&self, e: &ReplyError, what: &str) -> Option<Error> {
        match e.name.as_str() {
            "org.freedesktop.DBus.Error.ServiceUnknown"
            | "org.freedesktop.DBus.Error.NameHasNoOwner" => Some(Error::NoSecretService),
            // The bus answers for a service that exits while it owes us a reply.
            "org.freedesktop.DBus.Error.NoReply" if e.message.contains("disconnected") => {
                Some(Error::Failed {
                    service: WHO,
                    what: what.to_owned(),
                    message: "the keyring daemon exited without answering; retry, and check that it stays up".into(),
                })
            }
            "org.freedesktop.DBus.Error.NoReply"
            | "org.freedesktop.DBus.Error.Timeout"
            | "org.freedesktop.DBus.Error.TimedOut" => Some(Error::Timeout {
                service: WHO,
                what: what.to_owned(),
                seconds: self.timeout.as_secs_f64(),
                fix: FIX_STUCK,
            }),
            "org.freedesktop.DBus.Error.Disconnected" => Some(self.lost(what)),
            _ => None,
        }
    }
}

/// An error reply: its D-Bus error name and message.
#[derive(Debug, Clone)]
pub(super) struct ReplyError {
    pub(super) name: String,
    pub(super) message: String,
}

impl ReplyError {
    /// The error as the user sees it.
    pub(super) fn into_error(self, what: &str) -> Error {
        Error::Failed {
            service: WHO,
            what: what.to_owned(),
            message: if self.message.is_empty() {
                self.name
            } else {
                format!("{} ({})", self.message, self.name)
            },
        }
    }

    pub(super) fn is(&self, name: &str) -> bool {
        self.name == name
    }
}

/// One reply: the message, or the error the service answered with.
pub(super) type Reply = Result<Message, ReplyError>;

/// A method call on the Secret Service.
pub(super) fn call(path: &str, interface: &str, member: &str) -> Message {
    Message::new_method_call(SERVICE, path, interface, member).expect("valid D-Bus names")
}

/// Service-supplied text, made safe to put in a one-line message.
pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_dir_paths_are_escaped_as_dbus_address_values() {
        assert_eq!(
            escape_address_value(std::path::Path::new("/run/user/1000/bus")),
            "/run/user/1000/bus"
        );
        assert_eq!(
            escape_address_value(std::path::Path::new("/tmp/a b,c=d;e/bus")),
            "/tmp/a%20b%2cc%3dd%3be/bus"
        );
    }

    #[test]
    fn service_text_becomes_one_line() {
        assert_eq!(one_line("a\nb\r\n  c\t"), "a b c");
    }
}
