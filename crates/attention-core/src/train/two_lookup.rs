//! A task that needs two lookups at once, for comparing several attention
//! heads with one head of the same total width.
//!
//! A sequence of `len` digits (`0..digits`) contains two markers, `F` and
//! `S`, at random non-adjacent positions (neither last); each is followed by
//! a digit. The sequence ends with `?`, where the model answers with the
//! pair (digit after `F`, digit after `S`), one of `digits²` classes
//! (`x * digits + y`). From `?` the model must fetch two different
//! positions, found by their content, and keep their roles apart.
//!
//! Token ids: digits `0..digits`, `F` = digits, `S` = digits + 1,
//! `?` = digits + 2.

use super::{ClassifierConfig, Question};
use crate::{AttnError, Rng};

/// The task's sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TwoLookup {
    /// Digits and markers before `?` (>= 5).
    pub len: usize,
    /// Distinct digits (>= 2).
    pub digits: usize,
}

impl TwoLookup {
    /// Err unless `len >= 5` and `digits >= 2`.
    pub fn new(len: usize, digits: usize) -> Result<Self, AttnError> {
        if len < 5 {
            return Err(AttnError::value(
                "len",
                format!("must be at least 5, got {len}"),
            ));
        }
        if digits < 2 {
            return Err(AttnError::value(
                "digits",
                format!("must be at least 2, got {digits}"),
            ));
        }
        Ok(TwoLookup { len, digits })
    }

    pub fn vocab_size(&self) -> usize {
        self.digits + 3
    }

    pub fn n_classes(&self) -> usize {
        self.digits * self.digits
    }

    /// Label of a token id: a digit, `F`, `S` or `?`.
    pub fn token_label(&self, id: usize) -> String {
        match id.checked_sub(self.digits) {
            None => id.to_string(),
            Some(0) => "F".into(),
            Some(1) => "S".into(),
            _ => "?".into(),
        }
    }

    /// One random question (tokens end with `?`, asked there).
    pub fn sample(&self, rng: &mut Rng) -> Question {
        let n = self.len;
        let mut t: Vec<usize> = (0..n).map(|_| rng.below(self.digits)).collect();
        let (f, s) = loop {
            let (f, s) = (rng.below(n - 1), rng.below(n - 1));
            if f.abs_diff(s) >= 2 {
                break (f, s);
            }
        };
        // f, s < n - 1: both markers and the digits after them are in t.
        for (at, marker) in [(f, self.digits), (s, self.digits + 1)] {
            if let Some(x) = t.get_mut(at) {
                *x = marker;
            }
        }
        let digit_after = |at: usize| t.get(at + 1).copied().unwrap_or(0);
        let target = digit_after(f) * self.digits + digit_after(s);
        t.push(self.digits + 2);
        Question {
            query: n,
            tokens: t,
            target,
        }
    }

    /// `count` questions from a seeded stream.
    pub fn questions(&self, count: usize, seed: u64) -> Vec<Question> {
        let mut rng = Rng::new(seed);
        (0..count).map(|_| self.sample(&mut rng)).collect()
    }

    /// An encoder for this task: `n_layers` layers of width `d_model` split
    /// into `n_heads` heads (the same parameter count for any `n_heads`
    /// dividing `d_model`), MLP width `2 d_model`, scaled.
    pub fn model_config(
        &self,
        d_model: usize,
        n_heads: usize,
        n_layers: usize,
        seed: u64,
    ) -> ClassifierConfig {
        ClassifierConfig {
            vocab: self.vocab_size(),
            max_len: self.len + 1,
            n_classes: self.n_classes(),
            d_model,
            n_heads,
            d_hidden: 2 * d_model,
            n_layers,
            scale: true,
            seed,
        }
    }
}
