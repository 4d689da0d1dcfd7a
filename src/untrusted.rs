//! Text from outside (a cluster, another helper, a Secret, a file we did not write) before it is
//! printed or saved: one line, bounded, and with nothing a terminal would act on.

/// `text` as one printable line of at most `max_chars` characters (an ellipsis marks a cut):
/// control characters (C0, C1, so every escape sequence loses its ESC) and the invisible
/// direction and zero-width marks that make text read otherwise than it is are dropped; line
/// breaks and tabs become spaces; leading and trailing white space goes.
pub fn line(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    let chars = text.trim().chars().filter_map(|c| match c {
        '\n' | '\r' | '\t' => Some(' '),
        c if c.is_control() || is_invisible_format(c) => None,
        c => Some(c),
    });
    for (count, c) in chars.enumerate() {
        if count == max_chars {
            out.pop();
            out.push('…');
            break;
        }
        out.push(c);
    }
    out.trim_end().to_owned()
}

/// Bidirectional overrides and isolates, zero-width characters and the BOM.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::line;

    #[test]
    fn escape_sequences_lose_their_escape() {
        assert_eq!(line("a\x1b]0;owned\x07b", 100), "a]0;ownedb");
        assert_eq!(line("\x1b[31mred\x1b[0m", 100), "[31mred[0m");
        assert_eq!(line("c1\u{9b}31m", 100), "c131m");
    }

    #[test]
    fn one_line_without_invisible_marks() {
        assert_eq!(line("  two\nlines\r\tend \n", 100), "two lines  end");
        assert_eq!(line("evil\u{202E}txt.exe\u{200B}", 100), "eviltxt.exe");
    }

    #[test]
    fn bounded_by_characters_with_a_mark_where_cut() {
        assert_eq!(line("abcdef", 6), "abcdef");
        assert_eq!(line("abcdefg", 6), "abcde…");
        assert_eq!(line("ééééééé", 3), "éé…");
        assert_eq!(line("", 3), "");
    }
}
