//! The registry address matcher: the answer is always one of the stored strings, never across
//! a host or port, and `same_registry` is symmetric.
#![no_main]

use docker_credential_keyring::registry::{Address, equivalents, resolve, same_registry};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (String, Vec<String>)| {
    let (query, stored) = input;
    let found = resolve(&query, stored.iter().map(String::as_str));
    if let Some(hit) = found {
        assert!(stored.iter().any(|s| s == hit));
        if hit != query {
            let q = Address::parse(&query).expect("only parsable queries match loosely");
            let h = Address::parse(hit).expect("only parsable entries match loosely");
            assert_eq!((q.host, q.port), (h.host, h.port), "{query:?} matched {hit:?}");
        }
    }
    for e in equivalents(&query, stored.iter().map(String::as_str)) {
        assert!(stored.iter().any(|s| s == e));
    }
    for s in &stored {
        assert_eq!(same_registry(&query, s), same_registry(s, &query));
    }
});
