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
//! [`PosState::from_query`] never fails: bad values are clamped and explained.

use crate::query::{build, Notes, Query};
use crate::text::tokenize;

pub const MAX_POSITIONS: i64 = 512;
pub const MAX_D_MODEL: i64 = 512;
pub const ROPE_D_MAX: i64 = 16;
pub const ROPE_POS_MAX: i64 = 511;
pub const SHIFT_MAX: i64 = 500;
pub const HEADS_MAX: i64 = 16;
pub const K_MAX: i64 = 6;
pub const STEPS_MIN: i64 = 20;
pub const STEPS_MAX: i64 = 3000;
pub const SEED_MAX: i64 = 999_999;
pub const DEFAULT_TEXT: &str = "dog bites man";
pub const DEFAULT_ALIBI_TEXT: &str = "the cat that the dog chased ran up the old tree";

/// The positional scheme of the permutation experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PosScheme {
    None,
    Sinusoidal,
    Learned,
    Rope,
    Alibi,
}

impl PosScheme {
    pub const ALL: [PosScheme; 5] = [
        PosScheme::None,
        PosScheme::Sinusoidal,
        PosScheme::Learned,
        PosScheme::Rope,
        PosScheme::Alibi,
    ];
    /// Query-string value.
    pub fn key(self) -> &'static str {
        match self {
            PosScheme::None => "none",
            PosScheme::Sinusoidal => "sin",
            PosScheme::Learned => "learned",
            PosScheme::Rope => "rope",
            PosScheme::Alibi => "alibi",
        }
    }
    /// Button label.
    pub fn label(self) -> &'static str {
        match self {
            PosScheme::None => "Off",
            PosScheme::Sinusoidal => "Sinusoidal",
            PosScheme::Learned => "Learned table",
            PosScheme::Rope => "RoPE",
            PosScheme::Alibi => "ALiBi",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct PosState {
    pub text: String,
    /// 0-based: token `perm[i]` of the sentence is at place `i` of the new order.
    pub perm: Vec<usize>,
    pub scheme: PosScheme,
    pub sin_n: usize,
    pub sin_d: usize,
    pub anchor: usize,
    pub rope_d: usize,
    pub rope_m: usize,
    pub rope_n: usize,
    pub shift: usize,
    pub rope_seed: u64,
    pub alibi_text: String,
    pub alibi_heads: usize,
    pub causal: bool,
    /// 0-based.
    pub alibi_head: usize,
    pub k: usize,
    pub steps: usize,
    pub exp_seed: u64,
}

/// The reversed order of `n` tokens (the default reordering).
pub fn reversed(n: usize) -> Vec<usize> {
    (0..n).rev().collect()
}

impl Default for PosState {
    fn default() -> Self {
        PosState {
            text: DEFAULT_TEXT.into(),
            perm: reversed(3),
            scheme: PosScheme::None,
            sin_n: 128,
            sin_d: 128,
            anchor: 40,
            rope_d: 8,
            rope_m: 7,
            rope_n: 3,
            shift: 0,
            rope_seed: 1,
            alibi_text: DEFAULT_ALIBI_TEXT.into(),
            alibi_heads: 8,
            causal: true,
            alibi_head: 0,
            k: 3,
            steps: 600,
            exp_seed: 1,
        }
    }
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

/// An even number in `min..=max` (odd values round up, with a note).
fn even(n: &mut Notes, q: &Query, key: &str, label: &str, min: i64, max: i64, d: i64) -> usize {
    let v = n.int(q, key, label, min, max, d);
    if v % 2 == 1 {
        let up = (v + 1).min(max);
        n.0.push(format!("{label} must be even; using {up}."));
        up as usize
    } else {
        v as usize
    }
}

impl PosState {
    /// Reads the state; bad values are clamped and explained in the notes.
    pub fn from_query(q: &Query) -> (Self, Vec<String>) {
        let d = PosState::default();
        let mut n = Notes::default();
        let text = n.text(q, "text", &d.text);
        let count = tokenize(&text).tokens.len();
        let perm = match q.get("perm") {
            None => reversed(count),
            Some(_) if count == 0 => Vec::new(),
            Some(raw) => parse_perm(raw, count).unwrap_or_else(|| {
                n.0.push(format!(
                    "The new order “{}” is not a rearrangement of the {count} tokens; showing them reversed.",
                    raw.chars().take(40).collect::<String>()
                ));
                reversed(count)
            }),
        };
        let scheme_key = n.choice(
            q,
            "pos",
            "position",
            &PosScheme::ALL.map(PosScheme::key),
            "none",
        );
        let scheme = PosScheme::ALL
            .into_iter()
            .find(|s| s.key() == scheme_key)
            .unwrap_or(PosScheme::None);
        let sin_n = n.int(q, "sn", "positions", 1, MAX_POSITIONS, d.sin_n as i64) as usize;
        let sin_d = even(&mut n, q, "sd", "d_model", 2, MAX_D_MODEL, d.sin_d as i64);
        let anchor = n.int(
            q,
            "p",
            "anchor position",
            0,
            MAX_POSITIONS - 1,
            d.anchor as i64,
        ) as usize;
        let rope_d = even(
            &mut n,
            q,
            "rd",
            "head width",
            2,
            ROPE_D_MAX,
            d.rope_d as i64,
        );
        let rope_m = n.int(q, "rm", "query position", 0, ROPE_POS_MAX, d.rope_m as i64) as usize;
        let rope_n = n.int(q, "rn", "key position", 0, ROPE_POS_MAX, d.rope_n as i64) as usize;
        let shift = n.int(q, "shift", "shift", 0, SHIFT_MAX, 0) as usize;
        let rope_seed = n.int(q, "rseed", "seed", 0, SEED_MAX, 1) as u64;
        let alibi_text = n.text(q, "atext", &d.alibi_text);
        let alibi_heads =
            n.int(q, "ah", "ALiBi heads", 1, HEADS_MAX, d.alibi_heads as i64) as usize;
        let causal = n.flag(q, "causal", "causal", true);
        let alibi_head = n.int(q, "ahead", "selected head", 1, alibi_heads as i64, 1) as usize - 1;
        let k = n.int(q, "k", "k", 1, K_MAX, d.k as i64) as usize;
        let steps = n.int(
            q,
            "steps",
            "training steps",
            STEPS_MIN,
            STEPS_MAX,
            d.steps as i64,
        ) as usize;
        let exp_seed = n.int(q, "eseed", "experiment seed", 0, SEED_MAX, 1) as u64;
        (
            PosState {
                text,
                perm,
                scheme,
                sin_n,
                sin_d,
                anchor,
                rope_d,
                rope_m,
                rope_n,
                shift,
                rope_seed,
                alibi_text,
                alibi_heads,
                causal,
                alibi_head,
                k,
                steps,
                exp_seed,
            },
            n.0,
        )
    }

    /// The query string that restores this state.
    pub fn to_query(&self) -> String {
        let perm: Vec<String> = self.perm.iter().map(|p| (p + 1).to_string()).collect();
        build(&[
            ("text", self.text.clone()),
            ("perm", perm.join(",")),
            ("pos", self.scheme.key().into()),
            ("sn", self.sin_n.to_string()),
            ("sd", self.sin_d.to_string()),
            ("p", self.anchor.to_string()),
            ("rd", self.rope_d.to_string()),
            ("rm", self.rope_m.to_string()),
            ("rn", self.rope_n.to_string()),
            ("shift", self.shift.to_string()),
            ("rseed", self.rope_seed.to_string()),
            ("atext", self.alibi_text.clone()),
            ("ah", self.alibi_heads.to_string()),
            ("causal", if self.causal { "1" } else { "0" }.into()),
            ("ahead", (self.alibi_head + 1).to_string()),
            ("k", self.k.to_string()),
            ("steps", self.steps.to_string()),
            ("eseed", self.exp_seed.to_string()),
        ])
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
    use crate::query::parse;

    #[test]
    fn defaults_and_round_trip() {
        let (d, notes) = PosState::from_query(&parse(""));
        assert_eq!(d, PosState::default());
        assert!(notes.is_empty());
        let s = PosState {
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
        };
        assert_eq!(PosState::from_query(&parse(&s.to_query())), (s, vec![]));
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
        assert_eq!((s.k, s.steps), (1, STEPS_MIN as usize));
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
}
