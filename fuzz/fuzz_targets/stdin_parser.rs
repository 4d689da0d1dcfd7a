//! The stdin parser: any bytes on stdin for store/get/erase never panic, and whatever `store`
//! accepts comes back out of Go-compatible JSON unchanged.
#![no_main]

use docker_credential_keyring::protocol::json::go_json;
use docker_credential_keyring::protocol::{parse_store, read_input, read_server_url};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(url) = read_server_url(&mut &data[..]) {
        assert!(!url.is_empty() && url.trim() == url);
    }
    let Ok(input) = read_input(&mut &data[..]) else {
        return;
    };
    assert!(!input.contains('\n'));
    if let Ok(cred) = parse_store(&input) {
        assert!(!cred.server_url.is_empty() && !cred.username.is_empty());
        let out = go_json(&[&cred.server_url, &cred.username, cred.secret.expose()]);
        assert!(out.ends_with('\n') && !out[..out.len() - 1].contains(['\n', '<', '>', '&']));
        let back: Vec<String> = serde_json::from_str(&out).expect("Go JSON is JSON");
        assert_eq!(back, [cred.server_url.as_str(), &cred.username, cred.secret.expose()]);
    }
});
