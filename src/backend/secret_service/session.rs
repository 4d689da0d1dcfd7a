//! The transfer session secrets travel in: Diffie-Hellman ([`super::dh`]) where the service
//! offers it, `plain` where it refuses; opened in the same batch as the first call that needs it.

use super::Error;
use super::errors::{ERR_IS_LOCKED, ERR_NOT_SUPPORTED, failed, vanished};
use super::{IFACE_SERVICE, SERVICE_PATH, SecretService, bus, dh, prompt};
use crate::secret::Secret;
use bus::Reply;
use dbus::Message;
use dbus::Path;
use dbus::arg::{RefArg, Variant};

/// An open transfer session.
pub(super) struct Session {
    pub(super) path: Path<'static>,
    /// `None` for a `plain` session (a service that refuses Diffie-Hellman).
    pub(super) key: Option<dh::AesKey>,
}

impl SecretService {
    /// Run `msgs` pipelined, opening the transfer session in the same batch if there is none
    /// yet.
    pub(super) fn call_with_session(
        &self,
        mut msgs: Vec<Message>,
        what: &str,
    ) -> Result<Vec<Reply>, Error> {
        if self.session.borrow().is_some() {
            return self.bus.call_all(msgs, what);
        }
        let pair = dh::KeyPair::generate().map_err(|e| failed("open a session", e))?;
        let open = bus::call(SERVICE_PATH, IFACE_SERVICE, "OpenSession")
            .append2(dh::ALGORITHM, Variant(pair.public.clone()));
        msgs.insert(0, open);
        let mut replies = self.bus.call_all(msgs, what)?;
        let first = replies.remove(0);
        let session = match first {
            Ok(reply) => {
                let (output, path): (Variant<Vec<u8>>, Path<'static>) = reply
                    .read2()
                    .map_err(|e| prompt::bad_reply("open a session", e))?;
                let key = pair
                    .derive_key(&output.0)
                    .map_err(|e| failed("open a session", e))?;
                Session {
                    path,
                    key: Some(key),
                }
            }
            Err(e) if e.is(ERR_NOT_SUPPORTED) => self.open_plain_session()?,
            Err(e) => return Err(e.into_error("open an encrypted session")),
        };
        *self.session.borrow_mut() = Some(session);
        Ok(replies)
    }

    /// A `plain` session, only for services that refuse Diffie-Hellman: secrets then cross the
    /// (user-private) session bus unencrypted, as with libsecret in that case.
    pub(super) fn open_plain_session(&self) -> Result<Session, Error> {
        const WHAT: &str = "open a session";
        let open = bus::call(SERVICE_PATH, IFACE_SERVICE, "OpenSession")
            .append2("plain", Variant(String::new()));
        let reply = self.bus.call(open, WHAT)?.map_err(|e| e.into_error(WHAT))?;
        let (_, path): (Variant<Box<dyn RefArg>>, Path<'static>) =
            reply.read2().map_err(|e| prompt::bad_reply(WHAT, e))?;
        Ok(Session { path, key: None })
    }

    /// The secret of `item`, decrypted.
    pub(super) fn read_secret(&self, reply: Reply) -> Result<Option<Secret>, Error> {
        const WHAT: &str = "read a secret";
        let reply = match reply {
            Ok(m) => m,
            Err(e) if vanished(&e) => return Ok(None),
            Err(e) if e.is(ERR_IS_LOCKED) => return Err(Error::Locked),
            Err(e) => return Err(e.into_error(WHAT)),
        };
        let (_, parameters, value, _): (Path<'static>, Vec<u8>, Vec<u8>, String) =
            reply.read1().map_err(|e| prompt::bad_reply(WHAT, e))?;
        let value = zeroize::Zeroizing::new(value);
        let session = self.session.borrow();
        let plain = match session.as_ref().and_then(|s| s.key.as_ref()) {
            Some(key) => key
                .decrypt(&parameters, &value)
                .map_err(|e| failed(WHAT, e))?,
            None => Secret::new(value.to_vec()),
        };
        let mut bytes = plain;
        let bytes = std::mem::take(bytes.expose_mut());
        match String::from_utf8(bytes) {
            Ok(s) => Ok(Some(Secret::new(s))),
            Err(e) => {
                drop(zeroize::Zeroizing::new(e.into_bytes()));
                Err(Error::Failed {
                    service: bus::WHO,
                    what: WHAT.to_owned(),
                    message:
                        "the stored secret is not UTF-8 text, so it is not a Docker credential"
                            .into(),
                })
            }
        }
    }

    pub(super) fn session_path(&self) -> Path<'static> {
        self.session
            .borrow()
            .as_ref()
            .expect("session opened")
            .path
            .clone()
    }
}
