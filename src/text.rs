//! Turning what a learner types into tokens, safely.
//!
//! Tokens are whitespace-separated words. Limits keep every view responsive:
//! at most [`MAX_TOKENS`] tokens and [`MAX_TOKEN_CHARS`] characters per token.
//! Anything past a limit is dropped *with a note* the page shows. Counting is
//! in Unicode scalar values, so emoji, accents and right-to-left scripts never
//! split a character. Tokens are only ever shown as text (never as HTML).

/// Most tokens a chapter works with.
pub const MAX_TOKENS: usize = 64;
/// Longest token kept, in characters.
pub const MAX_TOKEN_CHARS: usize = 32;
/// Longest sentence text kept in the URL, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// The tokens of a sentence and what had to be cut.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tokenized {
    pub tokens: Vec<String>,
    /// Plain-language notes for the learner, one per limit hit.
    pub notes: Vec<String>,
}

/// Splits `text` on whitespace, applying the limits with notes.
pub fn tokenize(text: &str) -> Tokenized {
    let mut notes = Vec::new();
    let mut tokens = Vec::new();
    let mut total = 0usize;
    let mut cut_long = 0usize;
    for word in text.split_whitespace() {
        total += 1;
        if tokens.len() >= MAX_TOKENS {
            continue;
        }
        // Drop control characters that render as nothing.
        let clean: String = word.chars().filter(|c| !c.is_control()).collect();
        if clean.is_empty() {
            total -= 1;
            continue;
        }
        if clean.chars().count() > MAX_TOKEN_CHARS {
            cut_long += 1;
            tokens.push(clean.chars().take(MAX_TOKEN_CHARS).collect());
        } else {
            tokens.push(clean);
        }
    }
    if total > MAX_TOKENS {
        notes.push(format!(
            "You typed {total} tokens; the limit is {MAX_TOKENS}, so only the first {MAX_TOKENS} are used."
        ));
    }
    if cut_long > 0 {
        notes.push(format!(
            "{cut_long} token(s) longer than {MAX_TOKEN_CHARS} characters were shortened."
        ));
    }
    Tokenized { tokens, notes }
}

/// Joins tokens back into the sentence text stored in the URL.
pub fn join(tokens: &[String]) -> String {
    tokens.join(" ")
}

/// Cuts text to [`MAX_TEXT_CHARS`] characters; returns whether it was cut.
pub fn cap_text(text: &str) -> (String, bool) {
    if text.chars().count() > MAX_TEXT_CHARS {
        (text.chars().take(MAX_TEXT_CHARS).collect(), true)
    } else {
        (text.to_string(), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_any_whitespace() {
        let t = tokenize("  The cat\tsat\non  the mat ");
        assert_eq!(t.tokens, ["The", "cat", "sat", "on", "the", "mat"]);
        assert!(t.notes.is_empty());
    }

    #[test]
    fn empty_text_gives_no_tokens_and_no_panic() {
        assert!(tokenize("").tokens.is_empty());
        assert!(tokenize(" \t\n ").tokens.is_empty());
    }

    #[test]
    fn too_many_tokens_are_cut_with_a_note() {
        let text = (0..100)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let t = tokenize(&text);
        assert_eq!(t.tokens.len(), MAX_TOKENS);
        assert_eq!(t.tokens[63], "w63");
        assert_eq!(t.notes.len(), 1);
        assert!(t.notes[0].contains("100"));
    }

    #[test]
    fn unicode_and_html_are_kept_as_text() {
        let t = tokenize("<script>alert(1)</script> 猫 🐈‍⬛ مرحبا e\u{301}");
        assert_eq!(t.tokens[0], "<script>alert(1)</script>");
        assert_eq!(t.tokens[1], "猫");
        assert_eq!(t.tokens[2], "🐈‍⬛");
        assert_eq!(t.tokens[4], "e\u{301}");
    }

    #[test]
    fn long_tokens_are_cut_on_character_boundaries() {
        let long = "é".repeat(50);
        let t = tokenize(&long);
        assert_eq!(t.tokens[0].chars().count(), MAX_TOKEN_CHARS);
        assert_eq!(t.notes.len(), 1);
    }

    #[test]
    fn control_characters_are_dropped() {
        let t = tokenize("a\u{0007} \u{0000} b");
        assert_eq!(t.tokens, ["a", "b"]);
    }

    #[test]
    fn cap_text_counts_characters() {
        let (s, cut) = cap_text(&"ü".repeat(MAX_TEXT_CHARS + 5));
        assert!(cut);
        assert_eq!(s.chars().count(), MAX_TEXT_CHARS);
        assert_eq!(cap_text("short"), ("short".to_string(), false));
    }
}
