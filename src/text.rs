//! Turning what a learner types into tokens, safely.
//!
//! Tokens are whitespace-separated words. Limits keep every view responsive:
//! at most [`MAX_TOKENS`] tokens ([`MAX_LONG_TOKENS`] in the Q/K/V chapter,
//! through [`tokenize_max`]) and [`MAX_TOKEN_CHARS`] characters per token.
//! Anything past a limit is dropped *with a note* the page shows. Counting is
//! in Unicode scalar values, so emoji, accents and right-to-left scripts never
//! split a character. Tokens are only ever shown as text (never as HTML).

/// Most tokens a chapter works with.
pub const MAX_TOKENS: usize = 64;
/// Most tokens of the chapter built for long inputs (Q/K/V).
pub const MAX_LONG_TOKENS: usize = 512;
/// Longest token kept, in characters.
pub const MAX_TOKEN_CHARS: usize = 32;
/// Longest sentence text kept in the URL, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Longest text kept for [`MAX_LONG_TOKENS`] tokens: room for every token at
/// its longest and one space after each.
pub const MAX_LONG_TEXT_CHARS: usize = MAX_LONG_TOKENS * (MAX_TOKEN_CHARS + 1);

/// The tokens of a sentence and what had to be cut.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tokenized {
    pub tokens: Vec<String>,
    /// Plain-language notes for the learner, one per limit hit.
    pub notes: Vec<String>,
}

/// Splits `text` on whitespace, applying the limits with notes.
pub fn tokenize(text: &str) -> Tokenized {
    tokenize_max(text, MAX_TOKENS)
}

/// The words of `text` that count as tokens (not only control characters),
/// with their byte offsets.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let start = text.as_ptr() as usize;
    text.split_whitespace()
        .filter(|w| w.chars().any(|c| !c.is_control()))
        .map(move |w| (w.as_ptr() as usize - start, w))
}

/// `text` cut just after its `max`-th token and the spaces that follow it
/// (what comes before is kept as typed, and a word typed next starts a new
/// token), and how many tokens it had; `None` when it has at most `max`.
pub fn cut_after_tokens(text: &str, max: usize) -> Option<(String, usize)> {
    let mut end = None;
    let mut total = 0usize;
    for (i, (at, w)) in words(text).enumerate() {
        total += 1;
        if i + 1 == max {
            let after = text.get(at + w.len()..).unwrap_or_default();
            let spaces: usize = after
                .chars()
                .take_while(|c| c.is_whitespace())
                .map(char::len_utf8)
                .sum();
            end = Some(at + w.len() + spaces);
        }
    }
    if total <= max {
        return None;
    }
    let kept = end.and_then(|e| text.get(..e)).unwrap_or_default();
    Some((kept.to_string(), total))
}

/// [`tokenize`] with at most `max` tokens.
pub fn tokenize_max(text: &str, max: usize) -> Tokenized {
    let mut notes = Vec::new();
    let mut tokens = Vec::new();
    let mut total = 0usize;
    let mut cut_long = 0usize;
    for (_, word) in words(text) {
        total += 1;
        if tokens.len() >= max {
            continue;
        }
        // Drop control characters that render as nothing.
        let clean: String = word.chars().filter(|c| !c.is_control()).collect();
        if clean.chars().count() > MAX_TOKEN_CHARS {
            cut_long += 1;
            tokens.push(clean.chars().take(MAX_TOKEN_CHARS).collect());
        } else {
            tokens.push(clean);
        }
    }
    if total > max {
        notes.push(format!(
            "You typed {total} tokens; the limit is {max}, so only the first {max} are used."
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
    cap_text_to(text, MAX_TEXT_CHARS)
}

/// Cuts text to `max` characters; returns whether it was cut.
pub fn cap_text_to(text: &str, max: usize) -> (String, bool) {
    match text.char_indices().nth(max) {
        Some((at, _)) => (text.get(..at).unwrap_or_default().to_string(), true),
        None => (text.to_string(), false),
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
    fn long_inputs_keep_512_tokens_with_a_note() {
        let text = (0..700)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let t = tokenize_max(&text, MAX_LONG_TOKENS);
        assert_eq!(t.tokens.len(), 512);
        assert_eq!(t.tokens[511], "w511");
        assert_eq!(
            t.notes,
            ["You typed 700 tokens; the limit is 512, so only the first 512 are used."]
        );
        assert_eq!(
            tokenize(&text).tokens.len(),
            MAX_TOKENS,
            "other chapters keep 64"
        );
    }

    #[test]
    fn cutting_after_a_token_keeps_the_text_as_typed() {
        assert_eq!(
            cut_after_tokens("a  b\nc  d", 3),
            Some(("a  b\nc  ".into(), 4))
        );
        assert_eq!(cut_after_tokens("a b c", 3), None);
        assert_eq!(
            cut_after_tokens("a b c ", 3),
            None,
            "a trailing space is kept"
        );
        assert_eq!(cut_after_tokens("", 3), None);
        // Control-only words are not tokens, so they do not count.
        assert_eq!(
            cut_after_tokens("a \u{7} b c", 2),
            Some(("a \u{7} b ".into(), 3))
        );
        // Any Unicode: the cut is on a character boundary.
        let (kept, n) = cut_after_tokens("猫 🐈‍⬛ e\u{301} <b>x</b>", 3).expect("cut");
        assert_eq!((kept.as_str(), n), ("猫 🐈‍⬛ e\u{301} ", 4));
        assert_eq!(tokenize_max(&kept, 3).tokens.len(), 3);
        assert_eq!(cut_after_tokens("a b", 0), Some((String::new(), 2)));
    }

    #[test]
    fn a_long_text_fits_512_tokens_of_the_longest_kind() {
        let text = vec!["x".repeat(MAX_TOKEN_CHARS); MAX_LONG_TOKENS].join(" ");
        assert!(!cap_text_to(&text, MAX_LONG_TEXT_CHARS).1);
        assert_eq!(tokenize_max(&text, MAX_LONG_TOKENS).tokens.len(), 512);
    }

    #[test]
    fn cap_text_counts_characters() {
        let (s, cut) = cap_text(&"ü".repeat(MAX_TEXT_CHARS + 5));
        assert!(cut);
        assert_eq!(s.chars().count(), MAX_TEXT_CHARS);
        assert_eq!(cap_text("short"), ("short".to_string(), false));
    }
}
