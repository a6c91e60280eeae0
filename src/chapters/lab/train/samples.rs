//! The texts section 1 trains on: four short public-domain samples shipped
//! as text files (`samples/*.txt`), or the learner's own pasted text, and
//! the checks a text goes through before training ([`check_text`]).
//!
//! * `rhymes.txt`: traditional English nursery rhymes;
//! * `sonnets.txt`: Shakespeare's sonnets 18, 116 and 130 (1609);
//! * `genesis.txt`: Genesis 1:1-5 and Psalm 23, King James Version (1611);
//! * `copying.txt`: random strings of 8 to 16 distinct lowercase letters,
//!   each said four times on a line, written by
//!   `scripts/make_copy_sample.py` (seeded): the later copies can only be
//!   predicted by finding the earlier ones, which rewards an induction head
//!   (with the page's default settings, made for it, one appears in layer 2
//!   within about 5,000 steps: `crates/attention-core/tests/induction_recipe.rs`).

use attention_core::gpt::train::MAX_VOCAB;

crate::query::choice! {
    /// Which text the model trains on.
    pub enum Sample {
        Copying = "copying", "Random letters, each line four times",
        Rhymes = "rhymes", "Nursery rhymes",
        Sonnets = "sonnets", "Three Shakespeare sonnets",
        Genesis = "genesis", "Genesis 1 and Psalm 23 (King James)",
        Paste = "paste", "Your own text",
    }
}

impl Sample {
    /// The shipped text, `None` for [`Sample::Paste`].
    pub fn text(self) -> Option<&'static str> {
        Some(match self {
            Sample::Copying => include_str!("samples/copying.txt"),
            Sample::Rhymes => include_str!("samples/rhymes.txt"),
            Sample::Sonnets => include_str!("samples/sonnets.txt"),
            Sample::Genesis => include_str!("samples/genesis.txt"),
            Sample::Paste => return None,
        })
    }
}

/// Most bytes (UTF-8) a pasted text may have.
pub const MAX_TEXT_BYTES: usize = 1_000_000;

/// What the page says about a text that can be trained on.
#[derive(Clone, Debug, PartialEq)]
pub struct TextInfo {
    /// Characters (Unicode scalar values) after line endings are made `\n`.
    pub chars: usize,
    /// Distinct characters: the vocabulary size.
    pub distinct: usize,
    /// Things worth knowing that do not stop training.
    pub notes: Vec<String>,
}

/// The text as the model sees it: Windows and old Mac line endings become
/// `\n` (so a pasted file trains the same on every system).
pub fn normalise(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

fn thousands(n: usize) -> String {
    crate::widgets::measure::grouped_usize(n)
}

/// Checks a (normalised) text: `Err` says why it cannot be trained on
/// (empty, too long, a single character, too many distinct characters);
/// `Ok` counts its characters and notes what is unusual (control
/// characters, what looks like HTML, a text shorter than the context).
pub fn check_text(text: &str, context: usize) -> Result<TextInfo, String> {
    if text.trim().is_empty() {
        return Err("The text is empty: paste some text, or pick one of the samples.".into());
    }
    if text.len() > MAX_TEXT_BYTES {
        return Err(format!(
            "The text is {} bytes; the page trains on at most {} (about a megabyte). Paste a shorter part of it.",
            thousands(text.len()),
            thousands(MAX_TEXT_BYTES)
        ));
    }
    let mut chars: Vec<char> = text.chars().collect();
    let count = chars.len();
    if count < 2 {
        return Err("The text has a single character: the model needs at least two to learn what follows what.".into());
    }
    let control = chars
        .iter()
        .filter(|c| (c.is_control() && **c != '\n' && **c != '\t') || is_invisible(**c))
        .count();
    chars.sort_unstable();
    chars.dedup();
    let distinct = chars.len();
    if distinct > MAX_VOCAB {
        return Err(format!(
            "The text has {} distinct characters; the model can hold at most {}. Paste a text in fewer scripts, or a shorter part of it.",
            thousands(distinct),
            thousands(MAX_VOCAB)
        ));
    }
    if distinct < 2 {
        return Err("The text repeats one character only: there is nothing to predict.".into());
    }
    let mut notes = Vec::new();
    if control > 0 {
        notes.push(format!(
            "{} characters are invisible (control or zero-width characters); the model learns them like any other.",
            thousands(control)
        ));
    }
    if looks_like_html(text) {
        notes.push("This looks like HTML: the model learns the tags too. Paste the page's text rather than its source for a model of the words.".into());
    }
    if count <= context {
        notes.push(format!(
            "The text ({count} characters) is no longer than the context ({context}): every window is the whole text, so the model can only learn it by heart."
        ));
    }
    Ok(TextInfo {
        chars: count,
        distinct,
        notes,
    })
}

/// Zero-width and bidirectional format characters, which show as nothing.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

/// Whether the text opens like an HTML document or has many tags.
fn looks_like_html(text: &str) -> bool {
    let start: String = text
        .trim_start()
        .chars()
        .take(15)
        .collect::<String>()
        .to_ascii_lowercase();
    if start.starts_with("<!doctype html") || start.starts_with("<html") {
        return true;
    }
    let tags = text.matches("</").count();
    tags >= 5 && tags * 200 >= text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_is_a_text_the_model_can_train_on() {
        for s in <Sample as crate::query::Choice>::ALL {
            match s.text() {
                Some(t) => {
                    let info = check_text(t, 128).unwrap_or_else(|e| panic!("{s:?}: {e}"));
                    assert!(info.chars > 1000, "{s:?}: {}", info.chars);
                    assert!(info.notes.is_empty(), "{s:?}: {:?}", info.notes);
                    assert_eq!(normalise(t), t, "{s:?} has carriage returns");
                }
                None => assert_eq!(*s, Sample::Paste),
            }
        }
    }

    #[test]
    fn the_copying_sample_says_every_line_four_times() {
        let text = Sample::Copying.text().unwrap_or("");
        let mut lines = 0;
        for line in text.lines() {
            let n = line.len() / 4;
            assert!((8..=16).contains(&n), "{line}");
            assert_eq!(line, line[..n].repeat(4), "{line}");
            let mut letters: Vec<char> = line[..n].chars().collect();
            letters.sort_unstable();
            letters.dedup();
            assert_eq!(letters.len(), n, "distinct letters: {line}");
            lines += 1;
        }
        assert_eq!(lines, 440);
    }

    #[test]
    fn bad_texts_get_messages_that_say_what_to_do() {
        for t in ["", "   \n\t ", "a", "aaaaaa"] {
            let e = check_text(t, 64).unwrap_err();
            assert!(e.ends_with('.'), "{e}");
        }
        assert!(check_text("", 64).unwrap_err().contains("empty"));
        let big = "ab".repeat(MAX_TEXT_BYTES / 2 + 1);
        assert!(check_text(&big, 64).unwrap_err().contains("1,000,000"));
        let many: String = (0..5000u32)
            .filter_map(|i| char::from_u32(0x4e00 + i))
            .collect();
        assert!(check_text(&many, 64)
            .unwrap_err()
            .contains("5,000 distinct"));
    }

    #[test]
    fn odd_texts_train_with_notes() {
        let info = check_text("héllo\u{200b} wörld 🦓\u{7}\n", 64).unwrap();
        assert_eq!(info.chars, 16);
        assert_eq!(info.distinct, 13);
        assert_eq!(info.notes.len(), 2, "{:?}", info.notes);
        assert!(info.notes[0].starts_with("2 characters are invisible"));
        let html = "<!DOCTYPE html><html><body><p>Hi there, this is long enough to train on.</p></body></html>";
        let info = check_text(html, 16).unwrap();
        assert!(info.notes.iter().any(|n| n.contains("HTML")));
        assert_eq!(normalise("a\r\nb\rc"), "a\nb\nc");
    }
}
