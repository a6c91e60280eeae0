//! The position chapter's state, as it lives in the URL query.
//!
//! * Permutation: `text` (sentence), `perm` (the new order as 1-based
//!   positions, e.g. `3,2,1`), `pos` (none/sin/learned/rope/alibi).
//! * Sinusoidal: `sn` (positions, 1-512), `sd` (d_model, even, 2-512), `p`
//!   (anchor position for the dot products).
//! * RoPE: `rd` (head width, even, 2-16), `rm` and `rn` (query and key
//!   positions), `shift` (added to both), `rseed`.
//! * ALiBi: `atext`, `ah` (heads, 1-16), `causal` (1/0), `ahead` (1-based).
//! * Experiment: `k` (copy k back, 1-6), `steps` (20-3000), `eseed`.
//!
//! Each parameter is defined once below (key, note name, range, default);
//! [`PosState::from_query`] never fails: bad values are clamped and explained.

use crate::query::{
    choice, url_state, ChoiceParam, Even, FlagParam, IntParam, Notes, OneBased, Param, Query,
    TextParam,
};
use crate::text::tokenize;

pub const TEXT: TextParam = TextParam::new("text", "dog bites man");
pub const PERM: PermParam = PermParam { key: "perm" };
pub const POS: ChoiceParam<PosScheme> = ChoiceParam::new("pos", "position", PosScheme::None);
pub const SIN_N: IntParam = IntParam::new("sn", "positions", 1, 512, 128);
pub const SIN_D: Even = Even(IntParam::new("sd", "d_model", 2, 512, 128));
pub const ANCHOR: IntParam = IntParam::new("p", "anchor position", 0, 511, 40);
pub const ROPE_D: Even = Even(IntParam::new("rd", "head width", 2, 16, 8));
pub const ROPE_M: IntParam = IntParam::new("rm", "query position", 0, 511, 7);
pub const ROPE_N: IntParam = IntParam::new("rn", "key position", 0, 511, 3);
pub const SHIFT: IntParam = IntParam::new("shift", "shift", 0, 500, 0);
pub const ROPE_SEED: IntParam = IntParam::seed("rseed", "seed", 1);
pub const ALIBI_TEXT: TextParam =
    TextParam::new("atext", "the cat that the dog chased ran up the old tree");
pub const ALIBI_HEADS: IntParam = IntParam::new("ah", "ALiBi heads", 1, 16, 8);
pub const CAUSAL: FlagParam = FlagParam::new("causal", "causal", true);
/// 1-based in the link; its maximum is the number of heads (`ah`).
pub const ALIBI_HEAD: IntParam = IntParam::new("ahead", "selected head", 1, ALIBI_HEADS.max, 1);
pub const K: IntParam = IntParam::new("k", "k", 1, 6, 3);
pub const STEPS: IntParam = IntParam::new("steps", "training steps", 20, 3000, 600);
pub const EXP_SEED: IntParam = IntParam::seed("eseed", "experiment seed", 1);

choice! {
    /// The positional scheme of the permutation experiment, with its name
    /// on the buttons.
    pub enum PosScheme {
        None = "none", "Off",
        Sinusoidal = "sin", "Sinusoidal",
        Learned = "learned", "Learned table",
        Rope = "rope", "RoPE",
        Alibi = "alibi", "ALiBi",
    }
}

/// The new order of the permutation section, written 1-based (`3,2,1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PermParam {
    pub key: &'static str,
}

impl PermParam {
    /// The parameter for the tokens of `text`.
    pub fn of(self, text: &str) -> PermOf {
        PermOf {
            key: self.key,
            count: tokenize(text).tokens.len(),
        }
    }
}

/// [`PermParam`] for a sentence of `count` tokens: reversed when absent,
/// and reversed with a note when the link's order is not a rearrangement
/// of the tokens.
pub struct PermOf {
    key: &'static str,
    count: usize,
}

impl Param<Vec<usize>> for PermOf {
    fn read_value(&self, n: &mut Notes, q: &Query) -> Vec<usize> {
        let count = self.count;
        match q.get(self.key) {
            None => reversed(count),
            Some(_) if count == 0 => Vec::new(),
            Some(raw) => parse_perm(raw, count).unwrap_or_else(|| {
                n.0.push(format!(
                    "The new order “{}” is not a rearrangement of the {count} tokens; showing them reversed.",
                    raw.chars().take(40).collect::<String>()
                ));
                reversed(count)
            }),
        }
    }
    fn default_value(&self) -> Vec<usize> {
        reversed(self.count)
    }
    /// 0-based in, 1-based out.
    fn write(&self, perm: &Vec<usize>) -> (&'static str, String) {
        let perm: Vec<String> = perm.iter().map(|p| (p + 1).to_string()).collect();
        (self.key, perm.join(","))
    }
}

url_state! {
    pub struct PosState {
        pub text: String = TEXT,
        /// 0-based: token `perm[i]` of the sentence is at place `i` of the new order.
        pub perm: Vec<usize> = PERM.of(&text),
        pub scheme: PosScheme = POS,
        pub sin_n: usize = SIN_N,
        pub sin_d: usize = SIN_D,
        pub anchor: usize = ANCHOR,
        pub rope_d: usize = ROPE_D,
        pub rope_m: usize = ROPE_M,
        pub rope_n: usize = ROPE_N,
        pub shift: usize = SHIFT,
        pub rope_seed: u64 = ROPE_SEED,
        pub alibi_text: String = ALIBI_TEXT,
        pub alibi_heads: usize = ALIBI_HEADS,
        pub causal: bool = CAUSAL,
        /// 0-based.
        pub alibi_head: usize = OneBased(ALIBI_HEAD.with_max(alibi_heads)),
        pub k: usize = K,
        pub steps: usize = STEPS,
        pub exp_seed: u64 = EXP_SEED,
    }
}

/// The reversed order of `n` tokens (the default reordering).
pub fn reversed(n: usize) -> Vec<usize> {
    (0..n).rev().collect()
}

/// Parses `3,2,1` (1-based) into a 0-based permutation of `0..n`.
pub fn parse_perm(raw: &str, n: usize) -> Option<Vec<usize>> {
    let perm: Vec<usize> = raw
        .split(',')
        .map(|p| p.trim().parse::<usize>().ok()?.checked_sub(1))
        .collect::<Option<_>>()?;
    attention_core::permutation::check_permutation(&perm, n)
        .ok()
        .map(|()| perm)
}

impl PosState {
    /// Sets the number of ALiBi heads (from a slider), keeping the selected
    /// head among them.
    pub fn set_alibi_heads(&mut self, v: usize) {
        self.alibi_heads = ALIBI_HEADS.clamp_usize(v as f64);
        self.alibi_head = self.alibi_head.min(self.alibi_heads.saturating_sub(1));
    }

    /// The next step of the "move both" animation: the shift grows by one,
    /// wrapping past its maximum to 0.
    pub fn next_shift(&mut self) {
        let max = usize::try_from(SHIFT.max).unwrap_or(0);
        self.shift = if self.shift >= max { 0 } else { self.shift + 1 };
    }
    /// New sentence text: the order is reset to reversed when the number of
    /// tokens changes.
    pub fn with_text(&self, text: &str) -> Self {
        let (text, _) = crate::text::cap_text(text);
        let n = tokenize(&text).tokens.len();
        let perm = if self.perm.len() == n {
            self.perm.clone()
        } else {
            reversed(n)
        };
        PosState {
            text,
            perm,
            ..self.clone()
        }
    }

    /// Swaps places `a` and `b` of the new order (ignored if out of range).
    pub fn swap(&mut self, a: usize, b: usize) {
        if a < self.perm.len() && b < self.perm.len() {
            self.perm.swap(a, b);
        }
    }

    /// A seeded shuffle of the new order (never the identity when n > 1).
    pub fn shuffle(&mut self, seed: u64) {
        let n = self.perm.len();
        if n < 2 {
            return;
        }
        let mut rng = attention_core::Rng::new(seed);
        loop {
            let mut p: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                p.swap(i, rng.below(i + 1));
            }
            if p != self.perm {
                self.perm = p;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{check_round_trip, parse};

    #[test]
    fn defaults_and_round_trip() {
        check_round_trip(
            PosState::from_query,
            PosState::to_query,
            PosState {
                text: "le <b>chat</b> 猫".into(),
                perm: vec![1, 2, 0],
                scheme: PosScheme::Rope,
                sin_n: 512,
                sin_d: 6,
                anchor: 40,
                rope_d: 16,
                rope_m: 500,
                rope_n: 0,
                shift: 17,
                rope_seed: 9,
                alibi_text: "a b".into(),
                alibi_heads: 3,
                causal: false,
                alibi_head: 2,
                k: 1,
                steps: 20,
                exp_seed: 4,
            },
        );
    }

    #[test]
    fn garbage_is_clamped_with_notes() {
        let (s, notes) = PosState::from_query(&parse(
            "perm=1,1,2&pos=%3Cscript%3E&sn=99999&sd=7&p=-3&rd=3&rm=x&shift=1e9&ah=0&ahead=99&k=0&steps=1&causal=maybe",
        ));
        assert_eq!(s.perm, vec![2, 1, 0]);
        assert_eq!(s.scheme, PosScheme::None);
        assert_eq!(
            (s.sin_n, s.sin_d, s.anchor),
            (512, 8, 0),
            "p = -3 clamps to 0"
        );
        assert_eq!((s.rope_d, s.rope_m, s.shift), (4, 7, 500));
        assert_eq!((s.alibi_heads, s.alibi_head), (1, 0));
        assert_eq!((s.k, s.steps), (1, STEPS.min as usize));
        assert!(s.causal);
        assert!(notes.len() >= 12, "{notes:?}");
        assert!(notes.iter().any(|n| n.contains("not a rearrangement")));
    }

    #[test]
    fn perm_parsing_and_editing() {
        assert_eq!(parse_perm("3, 1,2", 3), Some(vec![2, 0, 1]));
        assert_eq!(parse_perm("0,1,2", 3), None);
        assert_eq!(parse_perm("1,2", 3), None);
        assert_eq!(parse_perm("", 0), None);
        let s = PosState::default().with_text("a b c d");
        assert_eq!(s.perm, vec![3, 2, 1, 0]);
        let mut t = s.with_text("w x y z");
        assert_eq!(t.perm, s.perm, "same length keeps the order");
        t.swap(0, 3);
        assert_eq!(t.perm, vec![0, 2, 1, 3]);
        t.swap(0, 9);
        assert_eq!(t.perm, vec![0, 2, 1, 3]);
        let before = t.perm.clone();
        t.shuffle(5);
        assert_ne!(t.perm, before);
        assert!(attention_core::permutation::check_permutation(&t.perm, 4).is_ok());
        let empty = PosState::default().with_text("   ");
        assert!(empty.perm.is_empty());
    }
    #[test]
    fn notes_name_each_parameter_as_before() {
        let (s, notes) = PosState::from_query(&parse("sd=7&rd=15&ah=4&ahead=9&k=abc&eseed=-1"));
        assert_eq!((s.sin_d, s.rope_d), (8, 16));
        assert_eq!((s.alibi_heads, s.alibi_head), (4, 3));
        assert_eq!((s.k, s.exp_seed), (3, 0));
        assert_eq!(
            notes,
            vec![
                "d_model must be even; using 8.".to_string(),
                "head width must be even; using 16.".to_string(),
                "selected head = 9 is above the maximum 4; using 4.".to_string(),
                "k = “abc” is not a number; using 3.".to_string(),
                "experiment seed = -1 is below the minimum 0; using 0.".to_string(),
            ]
        );
        let (_, notes) = PosState::from_query(&parse("pos=x"));
        assert_eq!(
            notes,
            vec![
                "position = “x” is not one of none, sin, learned, rope, alibi; using none."
                    .to_string()
            ]
        );
    }

    #[test]
    fn slider_helpers_stay_in_range() {
        assert_eq!(SIN_D.clamp_usize(7.0), 8);
        assert_eq!(SIN_D.clamp_usize(1e9), 512);
        assert_eq!(ROPE_D.clamp_usize(0.0), 2);
        let mut s = PosState {
            alibi_head: 7,
            ..PosState::default()
        };
        s.set_alibi_heads(3);
        assert_eq!((s.alibi_heads, s.alibi_head), (3, 2));
        s.set_alibi_heads(99);
        assert_eq!((s.alibi_heads, s.alibi_head), (16, 2));
        s.shift = 499;
        s.next_shift();
        assert_eq!(s.shift, 500);
        s.next_shift();
        assert_eq!(s.shift, 0, "wraps past the maximum");
    }
}
