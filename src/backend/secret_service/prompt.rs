//! Unlocking, and running the prompts the service asks for, each with a deadline.
//!
//! A prompt is an object the service hands back when it needs the user (to type the keyring
//! password). We call its `Prompt` method and wait for its `Completed` signal, at most
//! `DOCKER_CREDENTIAL_KEYRING_PROMPT_TIMEOUT` seconds. Where no prompt can be shown (no display,
//! no prompter on the bus), gnome-keyring completes it as dismissed at once, and we report the
//! keyring as locked.
//!
//! When the deadline passes we do **not** call the prompt's `Dismiss`: gnome-keyring (42.1 here,
//! reported up to 50) aborts on it while its unlock dialog is up (`gkd-secret-unlock.c`
//! `perform_next_unlock`: assertion `!self->current`), which would take the keyring down and
//! re-lock it for every application of the session. The dialog stays on screen instead;
//! answering it later unlocks the keyring for the next call.

use super::Error;
use super::bus::{self, Bus};
use super::{IFACE_PROMPT, IFACE_SERVICE, SERVICE_PATH, Settings};
use dbus::Message;
use dbus::Path;
use dbus::arg::{RefArg, Variant};
use dbus::message::MessageType;
use std::time::Instant;

/// Unlock `objects` (collections or items), prompting the user if the service asks to.
pub(super) fn unlock(
    bus: &Bus,
    settings: &Settings,
    objects: Vec<Path<'static>>,
) -> Result<(), Error> {
    const WHAT: &str = "unlock the keyring";
    let msg = bus::call(SERVICE_PATH, IFACE_SERVICE, "Unlock").append1(objects.clone());
    let reply = bus.call(msg, WHAT)?.map_err(|e| e.into_error(WHAT))?;
    let (unlocked, prompt): (Vec<Path<'static>>, Path<'static>) =
        reply.read2().map_err(|e| bad_reply(WHAT, e))?;
    if &*prompt == "/" {
        return if unlocked.len() >= objects.len() {
            Ok(())
        } else {
            Err(Error::Locked)
        };
    }
    match run(bus, settings, &prompt)? {
        Some(_) => Ok(()),
        None => Err(Error::Locked),
    }
}

/// Run `prompt` and wait for it to complete: `Some(result)` when the user went through with
/// it, `None` when it was dismissed (or could not be shown).
pub(super) fn run(
    bus: &Bus,
    settings: &Settings,
    prompt: &Path<'static>,
) -> Result<Option<Variant<Box<dyn RefArg>>>, Error> {
    const WHAT: &str = "show the unlock prompt";
    let rule = format!(
        "type='signal',interface='{IFACE_PROMPT}',member='Completed',path='{}'",
        &**prompt
    );
    let add_match = Message::new_method_call(
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus",
        "AddMatch",
    )
    .expect("valid D-Bus names")
    .append1(&rule);
    let show = bus::call(prompt, IFACE_PROMPT, "Prompt").append1("");
    // Subscribe and show in one round trip: the bus handles AddMatch before it forwards Prompt.
    let replies = bus.call_all(vec![add_match, show], WHAT)?;
    for r in replies {
        r.map_err(|e| e.into_error("show the unlock prompt"))?;
    }
    let deadline = Instant::now() + settings.prompt_timeout;
    let is_completed = |m: &Message| {
        m.msg_type() == MessageType::Signal
            && m.member().as_deref() == Some("Completed")
            && m.path().as_deref() == Some(&**prompt)
    };
    match bus.wait_signal(deadline, is_completed)? {
        Some(signal) => {
            let (dismissed, result): (bool, Variant<Box<dyn RefArg>>) =
                signal.read2().map_err(|e| bad_reply(WHAT, e))?;
            Ok(if dismissed { None } else { Some(result) })
        }
        // No `Dismiss`: see the module docs (it aborts gnome-keyring).
        None => Err(Error::PromptTimeout {
            seconds: settings.prompt_timeout.as_secs_f64(),
        }),
    }
}

/// A reply of an unexpected shape.
pub(super) fn bad_reply(what: &str, e: dbus::arg::TypeMismatchError) -> Error {
    Error::Failed {
        service: bus::WHO,
        what: what.to_owned(),
        message: format!("unexpected reply ({e})"),
    }
}
