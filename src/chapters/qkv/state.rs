//! The Q/K/V chapter's state, as it lives in the URL query.
//!
//! `text` (sentence, up to [`MAX_LONG_TOKENS`] tokens: a pasted paragraph
//! stays in the link, percent-encoded), `dm` (d_model), `dk` (d_k per head), `h` (heads),
//! `seed`, `scale` (1/0), `t` (temperature), `mask` (none/causal), `step`
//! (1-6 or all), `head` (1-based), `q` (selected query position, 1-based).
//! [`QkvState::from_query`] never fails: bad values are clamped and explained.

use crate::query::{
    choice, url_state, Choice, ChoiceParam, FlagParam, FloatParam, IntParam, OneBased, Pick,
    TextParam,
};
use crate::text::{tokenize_max, MAX_LONG_TEXT_CHARS, MAX_LONG_TOKENS};

pub const DEFAULT_TEXT: &str = "The animal didn't cross the street because it was too tired";
/// Most tokens this chapter takes.
pub const MAX_QKV_TOKENS: usize = MAX_LONG_TOKENS;
pub const TEXT: TextParam =
    TextParam::new("text", DEFAULT_TEXT).with_max_chars(MAX_LONG_TEXT_CHARS);
pub const D_MODEL: IntParam = IntParam::new("dm", "d_model", 1, 128, 8);
pub const D_K: IntParam = IntParam::new("dk", "d_k", 1, 64, 4);
pub const HEADS: IntParam = IntParam::new("h", "heads", 1, 8, 2);
pub const SEED: IntParam = IntParam::seed("seed", "seed", 7);
pub const SCALE: FlagParam = FlagParam::new("scale", "scaling", true);
pub const TEMPERATURE: FloatParam = FloatParam::new("t", "temperature", 0.05, 20.0, 1.0);
pub const MASK: ChoiceParam<Masking> = ChoiceParam::new("mask", "mask", Masking::None);
pub const STEP: ChoiceParam<Step> = ChoiceParam::new("step", "step", Step::Embed);
/// The head shown, 1-based; its maximum is the number of heads.
pub const HEAD: IntParam = IntParam::new("head", "head", 1, 1, 1);
/// The selected query, 1-based; its maximum is the number of tokens,
/// absent means none.
pub const QUERY: IntParam = IntParam::new("q", "selected token", 1, 1, 1);

choice! {
    /// The `mask` parameter: none, or causal (no peeking ahead).
    pub enum Masking {
        None = "none",
        Causal = "causal",
    }
}

choice! {
    /// The steps of the computation, in teaching order, with their button
    /// labels ("all steps" last).
    pub enum Step {
        Embed = "1", "1 · Tokens → X",
        Project = "2", "2 · Q, K, V",
        Scores = "3", "3 · Q Kᵀ",
        Scale = "4", "4 · Scale",
        Softmax = "5", "5 · Softmax",
        Output = "6", "6 · Output",
        All = "all", "All steps",
    }
}

impl Step {
    /// Whether this view shows step `s`.
    pub fn shows(self, s: Step) -> bool {
        self == Step::All || self == s
    }
    /// The next step of the computation (the last one stays; "all steps"
    /// is not one of them).
    pub fn next(self) -> Step {
        let i = self.index();
        Self::at((i + 1).min(Self::LAST))
    }
    /// The previous step ("all steps" goes back to the last one).
    pub fn prev(self) -> Step {
        let i = self.index();
        Self::at(i.saturating_sub(1).min(Self::LAST))
    }
    /// Index of the last single step in [`Choice::ALL`].
    const LAST: usize = 5;
    fn index(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
    fn at(i: usize) -> Step {
        Self::ALL.get(i).copied().unwrap_or(Step::Embed)
    }
}

/// The number of tokens of a sentence (what the selected query picks among).
fn token_count(text: &str) -> usize {
    tokenize_max(text, MAX_QKV_TOKENS).tokens.len()
}

url_state! {
    /// Everything the chapter shows is a function of this.
    pub struct QkvState {
        pub text: String = TEXT,
        pub d_model: usize = D_MODEL,
        pub d_k: usize = D_K,
        pub heads: usize = HEADS,
        pub seed: u64 = SEED,
        pub scale: bool = SCALE,
        pub temperature: f64 = TEMPERATURE,
        pub mask: Masking = MASK,
        pub step: Step = STEP,
        /// 0-based head shown.
        pub head: usize = OneBased(HEAD.with_max(heads)),
        /// 0-based selected query position.
        pub query: Option<usize> = Pick { param: QUERY, count: token_count(&text) },
    }
}

impl Masking {
    pub fn of(causal: bool) -> Self {
        if causal {
            Masking::Causal
        } else {
            Masking::None
        }
    }
}

impl QkvState {
    /// Whether the causal mask is on.
    pub fn causal(&self) -> bool {
        self.mask == Masking::Causal
    }

    /// The state after the learner edits the sentence: the selected query is
    /// kept only while it still points at a token.
    pub fn with_text(&self, text: &str) -> Self {
        let text = TEXT.cap(text);
        let n = token_count(&text);
        QkvState {
            query: self.query.filter(|&q| q < n),
            text,
            ..self.clone()
        }
    }

    /// The state after the number of heads changes: the shown head stays valid.
    pub fn with_heads(&self, heads: usize) -> Self {
        let heads = HEADS.clamp_usize(heads as f64);
        QkvState {
            heads,
            head: self.head.min(heads.saturating_sub(1)),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{check_round_trip, parse, Notes};

    #[test]
    fn defaults_and_round_trip() {
        check_round_trip(
            QkvState::from_query,
            QkvState::to_query,
            QkvState {
                text: "le <b>chat</b> 猫 & noir".into(),
                d_model: 64,
                d_k: 16,
                heads: 8,
                seed: 42,
                scale: false,
                temperature: 0.25,
                mask: Masking::Causal,
                step: Step::All,
                head: 7,
                query: Some(2),
            },
        );
        assert!(
            !QkvState::default().to_query().contains("q="),
            "no selected query, no key"
        );
    }

    #[test]
    fn garbage_is_clamped_with_notes() {
        let (s, notes) = QkvState::from_query(&parse(
            "dm=0&dk=100000&h=abc&seed=-1&scale=2&t=0&mask=diag&step=9&head=5&q=99",
        ));
        assert_eq!(s.d_model, 1);
        assert_eq!(s.d_k, 64);
        assert_eq!(s.heads, 2);
        assert_eq!(s.seed, 0);
        assert!(s.scale);
        assert_eq!(s.temperature, TEMPERATURE.min);
        assert!(!s.causal());
        assert_eq!(s.step, Step::Embed);
        assert_eq!(s.head, 1);
        assert_eq!(s.query, Some(10));
        assert_eq!(notes.len(), 10, "{notes:?}");
        assert_eq!(notes[1], "d_k = 100000 is above the maximum 64; using 64.");
        assert_eq!(notes[2], "heads = “abc” is not a number; using 2.");
        assert_eq!(
            notes[6],
            "mask = “diag” is not one of none, causal; using none."
        );
        assert_eq!(
            notes[7],
            "step = “9” is not one of 1, 2, 3, 4, 5, 6, all; using 1."
        );
        assert_eq!(notes[8], "head = 5 is above the maximum 2; using 2.");
        assert_eq!(
            notes[9],
            "selected token = 99 is above the maximum 11; using 11."
        );
    }

    /// A paragraph of `n` distinct words.
    fn words(n: usize) -> String {
        (1..=n)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn five_hundred_twelve_tokens_round_trip_through_the_link() {
        let s = QkvState {
            text: format!("{} «猫» <i>x</i> &amp;", words(509)),
            query: Some(511),
            d_model: 64,
            heads: 8,
            d_k: 8,
            ..QkvState::default()
        };
        let query = s.to_query();
        let (back, notes) = QkvState::from_query(&parse(&query));
        assert_eq!(back, s);
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(token_count(&back.text), 512);
    }

    #[test]
    fn a_link_with_more_than_512_tokens_uses_the_first_512_and_says_so() {
        let (s, notes) = QkvState::from_query(&parse(&format!("text={}&q=600", words(700))));
        assert_eq!(token_count(&s.text), 512);
        assert_eq!(s.query, Some(511), "the query is clamped to the last token");
        assert_eq!(
            notes,
            ["selected token = 600 is above the maximum 512; using 512."]
        );
        // The tokenizer's note is what the token editor shows.
        let t = tokenize_max(&s.text, MAX_QKV_TOKENS);
        assert!(t.notes[0].starts_with("You typed 700 tokens; the limit is 512"));
        // A text longer than any 512 tokens is cut, with a note.
        let huge = "x".repeat(MAX_LONG_TEXT_CHARS + 10);
        let (s, notes) = QkvState::from_query(&parse(&format!("text={huge}")));
        assert_eq!(s.text.chars().count(), MAX_LONG_TEXT_CHARS);
        assert_eq!(
            notes,
            ["The sentence in the link was too long and has been shortened."]
        );
    }

    #[test]
    fn garbage_in_a_long_link_is_handled() {
        for q in [
            "text=%E0%A4%A&q=1",
            "text=%&q=abc",
            "text=%00%01%02&q=1",
            "text=a+b&text=c&q=-5",
        ] {
            let (s, _) = QkvState::from_query(&parse(q));
            assert!(
                s.query.is_none_or(|q| q < token_count(&s.text).max(1)),
                "{q}"
            );
        }
    }

    #[test]
    fn query_on_empty_text_is_dropped() {
        let (s, _) = QkvState::from_query(&parse("text=&q=3"));
        assert_eq!(s.query, None);
        assert_eq!(s.text, "");
    }

    #[test]
    fn editing_text_keeps_only_a_valid_query() {
        let s = QkvState {
            query: Some(5),
            ..QkvState::default()
        };
        assert_eq!(s.with_text("a b c").query, None);
        assert_eq!(s.with_text("a b c d e f g").query, Some(5));
    }

    #[test]
    fn fewer_heads_keep_the_head_valid() {
        let s = QkvState {
            heads: 8,
            head: 6,
            ..QkvState::default()
        };
        let t = s.with_heads(2);
        assert_eq!((t.heads, t.head), (2, 1));
        assert_eq!(s.with_heads(0).heads, 1);
        assert_eq!(s.with_heads(99).heads, 8);
    }

    #[test]
    fn steps_walk_in_order() {
        assert_eq!(Step::Embed.next(), Step::Project);
        assert_eq!(Step::Output.next(), Step::Output);
        assert_eq!(Step::Embed.prev(), Step::Embed);
        assert_eq!(Step::All.prev(), Step::Output);
        assert!(Step::All.shows(Step::Scale));
        assert_eq!(Step::Softmax.next(), Step::Output);
        assert_eq!(Step::Project.prev(), Step::Embed);
        assert_eq!(Step::All.next(), Step::Output);
        assert_eq!(
            STEP.read(&mut Notes::default(), &crate::query::parse("step=all")),
            Step::All
        );
        assert!(!Step::Embed.shows(Step::Scale));
    }
}
