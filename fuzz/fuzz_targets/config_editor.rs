//! Docker's config.json editor: arbitrary bytes in never panic; a file it accepts renders in
//! Docker's layout, reads back to the same tree (round trip), renders to the same bytes again
//! (the layout is a fixed point), and an edit like `setup`'s (set credsStore, strip auths) keeps
//! every other field, in order, with its value.
#![no_main]

use docker_credential_keyring::docker_config::{Json, parse, render};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("config.json");
    let Ok(root) = parse(path, data) else {
        return;
    };
    let bytes = render(&root);
    let back = parse(path, &bytes).expect("what we render, we read back");
    assert_eq!(back, root, "round trip");
    assert_eq!(*render(&back), *bytes, "the layout is a fixed point");
    // Docker's own reader (encoding/json, here serde_json) sees the same document.
    let ours: serde_json::Value = serde_json::from_slice(&bytes).expect("valid JSON");
    assert!(ours.is_object());

    // The edit `setup` and `import` make.
    let mut edited = root.clone();
    edited.insert("credsStore", Json::String("keyring".into()));
    if let Some(auths) = edited.object_entry("auths") {
        for (_, entry) in auths.iter_mut() {
            if let Json::Object(o) = entry {
                o.remove("auth");
                o.remove("password");
            }
        }
    }
    let edited_bytes = render(&edited);
    let reread = parse(path, &edited_bytes).expect("an edited config reads back");
    assert_eq!(reread, edited);
    assert_eq!(
        reread.get("credsStore").and_then(Json::as_str),
        Some("keyring")
    );
    // Every other top-level field is kept, in its order, with its value.
    let others = |o: &docker_credential_keyring::docker_config::Object| {
        o.iter()
            .filter(|(k, _)| *k != "credsStore" && *k != "auths")
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(others(&reread), others(&root));
});
