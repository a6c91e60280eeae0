//! The self-attention chapter's state, as it lives in the URL query:
//! `text` (the sentence), `w` (the selected word, 1-based) and `layer`
//! (whose heads' matrices are shown, 1-based).
//! [`SelfAttnState::from_query`] never fails: bad values are clamped and
//! explained.

use crate::query::{build, IntParam, Notes, Query, TextParam};
use crate::widgets::coref::{DEFAULT_TEXT, LAYERS};
use attention_core::train::coref::Corpus;

pub const TEXT: TextParam = TextParam::new("text", DEFAULT_TEXT);
/// The selected word, 1-based; its maximum is the sentence's word count
/// (see [`word_param`]), absent means the first question.
pub const WORD: IntParam = IntParam::new("w", "selected word", 1, 1, 1);
/// The layer shown, 1-based; the last one by default.
pub const LAYER: IntParam = IntParam::new("layer", "layer", 1, LAYERS as i64, LAYERS as i64);

/// [`WORD`] for a sentence of `words` words.
pub fn word_param(words: usize) -> IntParam {
    IntParam {
        max: i64::try_from(words).unwrap_or(i64::MAX),
        ..WORD
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SelfAttnState {
    pub text: String,
    /// 0-based selected word; `None` selects the first question ("it").
    pub word: Option<usize>,
    /// 0-based layer whose matrices are shown.
    pub layer: usize,
}

impl Default for SelfAttnState {
    fn default() -> Self {
        SelfAttnState {
            text: TEXT.default.to_string(),
            word: None,
            layer: LAYER.default_usize().saturating_sub(1),
        }
    }
}

/// Words the model reads in `text` (see [`Corpus::encode`]).
pub fn word_count(text: &str) -> usize {
    Corpus::new().encode(text).words.len()
}

impl SelfAttnState {
    pub fn from_query(q: &Query) -> (Self, Vec<String>) {
        let mut n = Notes::default();
        let text = TEXT.read(&mut n, q);
        let words = word_count(&text);
        let word = match q.get(WORD.key) {
            None => None,
            Some(raw) if raw.is_empty() => None,
            Some(_) if words == 0 => None,
            Some(_) => Some(word_param(words).read_usize(&mut n, q).saturating_sub(1)),
        };
        let layer = LAYER.read_usize(&mut n, q).saturating_sub(1);
        (SelfAttnState { text, word, layer }, n.0)
    }

    pub fn to_query(&self) -> String {
        let mut pairs = vec![TEXT.pair(&self.text), LAYER.pair(self.layer + 1)];
        if let Some(w) = self.word {
            pairs.push(WORD.pair(w + 1));
        }
        build(&pairs)
    }

    /// The state after the learner edits the sentence: the selection is
    /// kept while it still points at a word, else it goes back to the
    /// default (the first question).
    pub fn with_text(&self, text: String) -> Self {
        let words = word_count(&text);
        SelfAttnState {
            word: self.word.filter(|&w| w < words),
            text,
            layer: self.layer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{check_round_trip, parse};

    #[test]
    fn round_trip_and_defaults() {
        check_round_trip(
            SelfAttnState::from_query,
            SelfAttnState::to_query,
            SelfAttnState {
                text: "the keys to the cabinet are on the shelf".into(),
                word: Some(5),
                layer: 0,
            },
        );
    }

    #[test]
    fn garbage_is_clamped_with_notes() {
        let (s, notes) = SelfAttnState::from_query(&parse("w=99&layer=%3Cscript%3E"));
        assert_eq!(s.word, Some(10)); // the default sentence has 11 words
        assert_eq!(s.layer, 1);
        assert_eq!(notes.len(), 2, "{notes:?}");
        let (s, notes) = SelfAttnState::from_query(&parse("text=&w=3"));
        assert_eq!((s.text.as_str(), s.word), ("", None));
        assert!(notes.is_empty());
        let long = "a ".repeat(5000);
        let (s, notes) = SelfAttnState::from_query(&parse(&format!("text={long}")));
        assert!(s.text.chars().count() <= crate::text::MAX_TEXT_CHARS);
        assert_eq!(notes.len(), 1);
    }

    #[test]
    fn editing_keeps_a_selection_that_still_exists() {
        let s = SelfAttnState {
            word: Some(7),
            ..SelfAttnState::default()
        };
        assert_eq!(
            s.with_text(DEFAULT_TEXT.replace("tired", "wide")).word,
            Some(7)
        );
        assert_eq!(s.with_text("the cat".into()).word, None);
    }
}
