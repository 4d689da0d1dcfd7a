//! Findings of the fuzz targets (fuzz/fuzz_targets/), kept as regression tests that run in
//! `cargo test` without the fuzzer.

use docker_credential_keyring::docker_config::{parse, render};
use std::path::Path;

/// config_editor: a 112-digit number in a field we keep read back one ulp off after a rewrite
/// (serde_json's fast float parser), so every `setup` or `import` changed the user's value.
/// The oracle is the standard library's correctly rounded `str::parse::<f64>`: the number a
/// rewrite writes means the same float as the number the user wrote.
#[test]
fn config_numbers_survive_a_rewrite_exactly() {
    let path = Path::new("config.json");
    let long = format!("{}4", "1".repeat(111));
    for n in [
        long.as_str(),
        "0.1",
        "1e308",
        "-2.2250738585072014e-308",
        "123456789012345678901234567890",
        "5e-324",
        "9007199254740993",
        "2.4703282292062328e-324",
    ] {
        let input = format!("{{\n\t\"n\":  {n}}}");
        let root = parse(path, input.as_bytes()).unwrap();
        let bytes = render(&root);
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        // The number as written back: what follows `"n":`, up to the end of the value.
        let written = text
            .split_once("\"n\":")
            .map(|(_, rest)| rest.trim_start())
            .and_then(|rest| {
                rest.split(|c: char| c == ',' || c == '}' || c.is_whitespace())
                    .next()
            })
            .unwrap_or_else(|| panic!("no number in {text:?}"));
        assert_eq!(
            written.parse::<f64>().unwrap().to_bits(),
            n.parse::<f64>().unwrap().to_bits(),
            "{n} was written back as {written}"
        );
        // And a second rewrite changes nothing.
        let back = parse(path, &bytes).unwrap();
        assert_eq!(back, root, "{n}");
        assert_eq!(*render(&back), *bytes, "{n}");
    }
}
