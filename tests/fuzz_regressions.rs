//! Findings of the fuzz targets (fuzz/fuzz_targets/), kept as regression tests that run in
//! `cargo test` without the fuzzer.

use docker_credential_keyring::docker_config::{parse, render};
use std::path::Path;

/// config_editor: a 112-digit number in a field we keep read back one ulp off after a rewrite
/// (serde_json's fast float parser), so every `setup` or `import` changed the user's value.
#[test]
fn config_numbers_survive_a_rewrite_exactly() {
    let input = format!("{{\n\t\"aus\":  {}4}}", "1".repeat(111));
    let path = Path::new("config.json");
    let root = parse(path, input.as_bytes()).unwrap();
    let bytes = render(&root);
    let back = parse(path, &bytes).unwrap();
    assert_eq!(back, root);
    assert_eq!(*render(&back), *bytes);
    for n in [
        "0.1",
        "1e308",
        "-2.2250738585072014e-308",
        "123456789012345678901234567890",
        "5e-324",
    ] {
        let input = format!("{{\"n\": {n}}}");
        let root = parse(path, input.as_bytes()).unwrap();
        let back = parse(path, &render(&root)).unwrap();
        assert_eq!(back, root, "{n}");
    }
}
