//! The Q/K/V chapter's state, as it lives in the URL query.
//!
//! `text` (sentence), `dm` (d_model), `dk` (d_k per head), `h` (heads),
//! `seed`, `scale` (1/0), `t` (temperature), `mask` (none/causal), `step`
//! (1-6 or all), `head` (1-based), `q` (selected query position, 1-based).
//! [`QkvState::from_query`] never fails: bad values are clamped and explained.

use crate::query::{build, Notes, Query};
use crate::text::{cap_text, tokenize};

pub const D_MODEL_MAX: i64 = 128;
pub const D_K_MAX: i64 = 64;
pub const HEADS_MAX: i64 = 8;
pub const SEED_MAX: i64 = 999_999;
pub const T_MIN: f64 = 0.05;
pub const T_MAX: f64 = 20.0;
pub const DEFAULT_TEXT: &str = "The animal didn't cross the street because it was too tired";

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
    /// Query-string value.
    pub fn key(self) -> &'static str {
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
    pub fn next(self) -> Step {
        let i = Self::ORDER.iter().position(|s| *s == self).unwrap_or(0);
        Self::ORDER[(i + 1).min(5)]
    }
    pub fn prev(self) -> Step {
        let i = Self::ORDER.iter().position(|s| *s == self).unwrap_or(0);
        Self::ORDER[i.saturating_sub(1).min(5)]
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
            text: DEFAULT_TEXT.to_string(),
            d_model: 8,
            d_k: 4,
            heads: 2,
            seed: 7,
            scale: true,
            temperature: 1.0,
            causal: false,
            step: Step::Embed,
            head: 0,
            query: None,
        }
    }
}

impl QkvState {
    /// Reads the state from a query; returns the notes for every value fixed.
    pub fn from_query(q: &Query) -> (Self, Vec<String>) {
        let d = QkvState::default();
        let mut n = Notes::default();
        let text = n.text(q, "text", &d.text);
        let d_model = n.int(q, "dm", "d_model", 1, D_MODEL_MAX, d.d_model as i64) as usize;
        let d_k = n.int(q, "dk", "d_k", 1, D_K_MAX, d.d_k as i64) as usize;
        let heads = n.int(q, "h", "heads", 1, HEADS_MAX, d.heads as i64) as usize;
        let seed = n.int(q, "seed", "seed", 0, SEED_MAX, d.seed as i64) as u64;
        let scale = n.flag(q, "scale", "scaling", d.scale);
        let temperature = n.float(q, "t", "temperature", T_MIN, T_MAX, d.temperature);
        let causal = n.choice(q, "mask", "mask", &["none", "causal"], "none") == "causal";
        let step_key = n.choice(
            q,
            "step",
            "step",
            &["1", "2", "3", "4", "5", "6", "all"],
            "1",
        );
        let step = Step::ORDER
            .iter()
            .copied()
            .find(|s| s.key() == step_key)
            .unwrap_or(Step::Embed);
        let head = n.int(q, "head", "head", 1, heads as i64, 1) as usize - 1;
        let n_tokens = tokenize(&text).tokens.len();
        let query = match q.get("q") {
            None => None,
            Some(raw) if raw.is_empty() => None,
            Some(_) if n_tokens == 0 => None,
            Some(_) => Some(n.int(q, "q", "selected token", 1, n_tokens as i64, 1) as usize - 1),
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
            ("text", self.text.clone()),
            ("dm", self.d_model.to_string()),
            ("dk", self.d_k.to_string()),
            ("h", self.heads.to_string()),
            ("seed", self.seed.to_string()),
            ("scale", if self.scale { "1" } else { "0" }.to_string()),
            ("t", format!("{}", self.temperature)),
            (
                "mask",
                if self.causal { "causal" } else { "none" }.to_string(),
            ),
            ("step", self.step.key().to_string()),
            ("head", (self.head + 1).to_string()),
        ];
        if let Some(q) = self.query {
            pairs.push(("q", (q + 1).to_string()));
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
        let heads = heads.clamp(1, HEADS_MAX as usize);
        QkvState {
            heads,
            head: self.head.min(heads - 1),
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
        assert_eq!(s.temperature, T_MIN);
        assert!(!s.causal);
        assert_eq!(s.step, Step::Embed);
        assert_eq!(s.head, 1);
        assert_eq!(s.query, Some(10));
        assert_eq!(notes.len(), 10, "{notes:?}");
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
    }

    #[test]
    fn steps_walk_in_order() {
        assert_eq!(Step::Embed.next(), Step::Project);
        assert_eq!(Step::Output.next(), Step::Output);
        assert_eq!(Step::Embed.prev(), Step::Embed);
        assert_eq!(Step::All.prev(), Step::Output);
        assert!(Step::All.shows(Step::Scale));
        assert!(!Step::Embed.shows(Step::Scale));
    }
}
