//! The Q/K/V chapter's state, as it lives in the URL query.
//!
//! `text` (sentence), `dm` (d_model), `dk` (d_k per head), `h` (heads),
//! `seed`, `scale` (1/0), `t` (temperature), `mask` (none/causal), `step`
//! (1-6 or all), `head` (1-based), `q` (selected query position, 1-based).
//! [`QkvState::from_query`] never fails: bad values are clamped and explained.

use crate::query::{
    build, Choice, ChoiceParam, FlagParam, FloatParam, IntParam, Notes, Query, TextParam,
};
use crate::text::{cap_text, tokenize};

pub const DEFAULT_TEXT: &str = "The animal didn't cross the street because it was too tired";
pub const TEXT: TextParam = TextParam::new("text", DEFAULT_TEXT);
pub const D_MODEL: IntParam = IntParam::new("dm", "d_model", 1, 128, 8);
pub const D_K: IntParam = IntParam::new("dk", "d_k", 1, 64, 4);
pub const HEADS: IntParam = IntParam::new("h", "heads", 1, 8, 2);
pub const SEED: IntParam = IntParam::seed("seed", "seed", 7);
pub const SCALE: FlagParam = FlagParam::new("scale", "scaling", true);
pub const TEMPERATURE: FloatParam = FloatParam::new("t", "temperature", 0.05, 20.0, 1.0);
pub const MASK: ChoiceParam<Masking> = ChoiceParam::new("mask", "mask", Masking::None);
pub const STEP: ChoiceParam<Step> = ChoiceParam::new("step", "step", Step::Embed);
/// The head shown, 1-based; its maximum is the number of heads (see
/// [`head_param`]).
pub const HEAD: IntParam = IntParam::new("head", "head", 1, 1, 1);
/// The selected query, 1-based; its maximum is the number of tokens (see
/// [`query_param`]), absent means none.
pub const QUERY: IntParam = IntParam::new("q", "selected token", 1, 1, 1);

/// [`HEAD`] for `heads` heads.
pub fn head_param(heads: usize) -> IntParam {
    IntParam {
        max: i64::try_from(heads).unwrap_or(i64::MAX),
        ..HEAD
    }
}

/// [`QUERY`] for `tokens` tokens.
pub fn query_param(tokens: usize) -> IntParam {
    IntParam {
        max: i64::try_from(tokens).unwrap_or(i64::MAX),
        ..QUERY
    }
}

/// The `mask` parameter: none, or causal (no peeking ahead).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Masking {
    None,
    Causal,
}

impl Masking {
    fn of(causal: bool) -> Self {
        if causal {
            Masking::Causal
        } else {
            Masking::None
        }
    }
}

impl Choice for Masking {
    const ALL: &'static [Self] = &[Masking::None, Masking::Causal];
    fn key(self) -> &'static str {
        match self {
            Masking::None => "none",
            Masking::Causal => "causal",
        }
    }
}

/// The steps of the computation, in teaching order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Embed,
    Project,
    Scores,
    Scale,
    Softmax,
    Output,
    All,
}

impl Step {
    pub const ORDER: [Step; 7] = [
        Step::Embed,
        Step::Project,
        Step::Scores,
        Step::Scale,
        Step::Softmax,
        Step::Output,
        Step::All,
    ];
    /// Button label.
    pub fn label(self) -> &'static str {
        match self {
            Step::Embed => "1 · Tokens → X",
            Step::Project => "2 · Q, K, V",
            Step::Scores => "3 · Q Kᵀ",
            Step::Scale => "4 · Scale",
            Step::Softmax => "5 · Softmax",
            Step::Output => "6 · Output",
            Step::All => "All steps",
        }
    }
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
    /// Index of the last single step in [`Step::ORDER`].
    const LAST: usize = 5;
    fn index(self) -> usize {
        Self::ORDER.iter().position(|s| *s == self).unwrap_or(0)
    }
    fn at(i: usize) -> Step {
        Self::ORDER.get(i).copied().unwrap_or(Step::Embed)
    }
}

impl Choice for Step {
    const ALL: &'static [Self] = &Step::ORDER;
    /// Query-string value.
    fn key(self) -> &'static str {
        match self {
            Step::Embed => "1",
            Step::Project => "2",
            Step::Scores => "3",
            Step::Scale => "4",
            Step::Softmax => "5",
            Step::Output => "6",
            Step::All => "all",
        }
    }
}

/// Everything the chapter shows is a function of this.
#[derive(Clone, Debug, PartialEq)]
pub struct QkvState {
    pub text: String,
    pub d_model: usize,
    pub d_k: usize,
    pub heads: usize,
    pub seed: u64,
    pub scale: bool,
    pub temperature: f64,
    pub causal: bool,
    pub step: Step,
    /// 0-based head shown.
    pub head: usize,
    /// 0-based selected query position.
    pub query: Option<usize>,
}

impl Default for QkvState {
    fn default() -> Self {
        QkvState {
            text: TEXT.default.to_string(),
            d_model: D_MODEL.default_usize(),
            d_k: D_K.default_usize(),
            heads: HEADS.default_usize(),
            seed: SEED.default_u64(),
            scale: SCALE.default,
            temperature: TEMPERATURE.default,
            causal: MASK.default == Masking::Causal,
            step: STEP.default,
            head: HEAD.default_usize().saturating_sub(1),
            query: None,
        }
    }
}

impl QkvState {
    /// Reads the state from a query; returns the notes for every value fixed.
    pub fn from_query(q: &Query) -> (Self, Vec<String>) {
        let mut n = Notes::default();
        let text = TEXT.read(&mut n, q);
        let d_model = D_MODEL.read_usize(&mut n, q);
        let d_k = D_K.read_usize(&mut n, q);
        let heads = HEADS.read_usize(&mut n, q);
        let seed = SEED.read_u64(&mut n, q);
        let scale = SCALE.read(&mut n, q);
        let temperature = TEMPERATURE.read(&mut n, q);
        let causal = MASK.read(&mut n, q) == Masking::Causal;
        let step = STEP.read(&mut n, q);
        let head = head_param(heads).read_usize(&mut n, q).saturating_sub(1);
        let n_tokens = tokenize(&text).tokens.len();
        let query = match q.get(QUERY.key) {
            None => None,
            Some(raw) if raw.is_empty() => None,
            Some(_) if n_tokens == 0 => None,
            Some(_) => Some(
                query_param(n_tokens)
                    .read_usize(&mut n, q)
                    .saturating_sub(1),
            ),
        };
        (
            QkvState {
                text,
                d_model,
                d_k,
                heads,
                seed,
                scale,
                temperature,
                causal,
                step,
                head,
                query,
            },
            n.0,
        )
    }

    /// The query string that restores this state.
    pub fn to_query(&self) -> String {
        let mut pairs = vec![
            TEXT.pair(&self.text),
            D_MODEL.pair(self.d_model),
            D_K.pair(self.d_k),
            HEADS.pair(self.heads),
            SEED.pair(self.seed),
            SCALE.pair(self.scale),
            TEMPERATURE.pair(self.temperature),
            MASK.pair(Masking::of(self.causal)),
            STEP.pair(self.step),
            HEAD.pair(self.head + 1),
        ];
        if let Some(q) = self.query {
            pairs.push(QUERY.pair(q + 1));
        }
        build(&pairs)
    }

    /// The state after the learner edits the sentence: the selected query is
    /// kept only while it still points at a token.
    pub fn with_text(&self, text: &str) -> Self {
        let (text, _) = cap_text(text);
        let n = tokenize(&text).tokens.len();
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
    use crate::query::parse;

    #[test]
    fn defaults_without_query() {
        let (s, notes) = QkvState::from_query(&parse(""));
        assert_eq!(s, QkvState::default());
        assert!(notes.is_empty());
    }

    #[test]
    fn round_trips_through_the_url() {
        let s = QkvState {
            text: "le <b>chat</b> 猫 & noir".into(),
            d_model: 64,
            d_k: 16,
            heads: 8,
            seed: 42,
            scale: false,
            temperature: 0.25,
            causal: true,
            step: Step::All,
            head: 7,
            query: Some(2),
        };
        let (back, notes) = QkvState::from_query(&parse(&s.to_query()));
        assert_eq!(back, s);
        assert!(notes.is_empty(), "{notes:?}");
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
        assert!(!s.causal);
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
