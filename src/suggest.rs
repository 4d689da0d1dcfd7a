//! "Did you mean": the closest of some known names to a misspelt one.

/// The candidate closest to `word` (case aside), when it is close enough to be what was meant:
/// the measure and the threshold clap uses for its own suggestions.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro(&word, &c.to_lowercase()), c))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn typos_find_what_was_meant() {
        let commands = ["doctor", "push", "sync", "list", "get", "setup"];
        assert_eq!(closest("docter", commands), Some("doctor"));
        assert_eq!(closest("pushh", commands), Some("push"));
        assert_eq!(closest("sycn", commands), Some("sync"));
        assert_eq!(closest("lsit", commands), Some("list"));
        assert_eq!(closest("GET", commands), Some("get"));
        assert_eq!(closest("frobnicate", commands), None);
        assert_eq!(
            closest("keyutil", ["secret-service", "pass", "keyutils", "file"]),
            Some("keyutils")
        );
    }
}
