//! The pull-secret builder: arbitrary credentials in; when accepted, the output is one valid
//! JSON object of kubectl's shape (`{"auths":{KEY:{"username","password"[,"email"],"auth"}}}`,
//! compact, no trailing newline), one entry per distinct key (the last one wins), and every
//! `auth` decodes to `username:password`.
#![no_main]

use arbitrary::Arbitrary;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use docker_credential_keyring::Secret;
use docker_credential_keyring::push::pull_secret::{Entry, dockerconfigjson, kubelet_key};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

#[derive(Arbitrary, Debug)]
struct Input {
    server: String,
    username: String,
    password: String,
    email: String,
}

fuzz_target!(|inputs: Vec<Input>| {
    let entries: Vec<Entry> = inputs
        .iter()
        .map(|i| Entry {
            key: kubelet_key(&i.server),
            username: i.username.clone(),
            password: Secret::new(i.password.clone()),
            email: i.email.clone(),
        })
        .collect();
    let Ok(bytes) = dockerconfigjson(&entries) else {
        return;
    };
    let bytes = bytes.expose();
    assert!(!bytes.ends_with(b"\n"), "kubectl writes no trailing newline");
    let doc: serde_json::Value = serde_json::from_slice(bytes).expect("valid JSON");
    let top = doc.as_object().expect("an object");
    assert_eq!(top.keys().collect::<Vec<_>>(), ["auths"]);
    let auths = top["auths"].as_object().expect("auths is an object");
    // The last entry for a key wins.
    let mut expected: BTreeMap<&str, &Input> = BTreeMap::new();
    for (e, i) in entries.iter().zip(&inputs) {
        expected.insert(e.key.as_str(), i);
    }
    assert_eq!(auths.len(), expected.len());
    for (key, input) in expected {
        let entry = auths[key].as_object().expect("an entry object");
        let mut fields: Vec<&str> = vec!["username", "password"];
        if !input.email.is_empty() {
            fields.push("email");
        }
        fields.push("auth");
        let mut have: Vec<&str> = entry.keys().map(String::as_str).collect();
        have.sort();
        fields.sort();
        assert_eq!(have, fields, "kubectl's fields");
        assert_eq!(entry["username"], input.username.as_str());
        assert_eq!(entry["password"], input.password.as_str());
        let auth = STANDARD
            .decode(entry["auth"].as_str().expect("auth is a string"))
            .expect("auth is standard base64");
        assert_eq!(
            auth,
            format!("{}:{}", input.username, input.password).into_bytes()
        );
    }
});
