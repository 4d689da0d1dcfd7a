//! `backend::secret_service::probe`, the cheap "is a Secret Service here?" check that automatic
//! backend selection uses, against the real states it must tell apart. One test function: the
//! probe reads the process environment, which only a single-threaded test may change.

#![cfg(target_os = "linux")]

use docker_credential_keyring::backend::secret_service::Error;
use docker_credential_keyring::backend::secret_service::probe;
use docker_credential_keyring::hint::Hint;
use std::time::{Duration, Instant};
use support::secret_service::{bus_without_secret_service, fixture};

fn set_bus(address: Option<&str>, runtime_dir: Option<&std::path::Path>) {
    // SAFETY: this test binary has a single test, so no other thread reads the environment.
    unsafe {
        match address {
            Some(a) => std::env::set_var("DBUS_SESSION_BUS_ADDRESS", a),
            None => std::env::remove_var("DBUS_SESSION_BUS_ADDRESS"),
        }
        match runtime_dir {
            Some(d) => std::env::set_var("XDG_RUNTIME_DIR", d),
            None => std::env::remove_var("XDG_RUNTIME_DIR"),
        }
    }
}

#[test]
fn probe_tells_the_states_apart() {
    // Generous where an answer is due (a loaded machine may be slow to answer); short where
    // the wait itself is what is checked.
    let timeout = Duration::from_secs(10);
    let short = Duration::from_secs(1);

    let k = fixture();
    set_bus(Some(k.address()), None);
    probe(timeout).expect("a running gnome-keyring answers");
    // Found through $XDG_RUNTIME_DIR/bus as well.
    set_bus(None, Some(k.runtime_dir()));
    probe(timeout).expect("the bus at $XDG_RUNTIME_DIR/bus");

    k.stop_keyring();
    set_bus(Some(k.address()), None);
    let start = Instant::now();
    let e = probe(short).unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    // The wait is bounded by the timeout given, with a generous allowance over it.
    assert!(
        start.elapsed() >= short && start.elapsed() < short + Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    k.continue_keyring();
    drop(k);

    let bare = bus_without_secret_service();
    set_bus(Some(bare.address()), None);
    let e = probe(timeout).unwrap_err();
    assert!(matches!(e, Error::NoSecretService), "{e:?}");
    assert!(e.hint().is_some());
    drop(bare);

    let empty = tempfile::tempdir().unwrap();
    set_bus(None, Some(empty.path()));
    let e = probe(timeout).unwrap_err();
    assert!(matches!(e, Error::NoSessionBus), "{e:?}");

    let dead = format!("unix:path={}", empty.path().join("bus").display());
    set_bus(Some(&dead), None);
    let e = probe(timeout).unwrap_err();
    assert!(matches!(e, Error::BusUnreachable { .. }), "{e:?}");
}
