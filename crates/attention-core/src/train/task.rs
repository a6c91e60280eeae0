//! The chapter-4 associative-recall task.
//!
//! A sequence lists N key/value pairs, a query marker and one of the keys:
//! `k_a v_a k_b v_b ... ? k_q`; the answer is the value that was paired with
//! `k_q`. Keys in one sequence are distinct; values are drawn independently
//! (they may repeat).
//!
//! Token ids: keys are `0..n_keys`, values are `n_keys..n_keys + n_values`,
//! the query marker `?` is `n_keys + n_values`; the vocabulary has
//! `n_keys + n_values + 1` tokens and a sequence has `2 N + 2` tokens.

use super::nonzero;
use crate::{AttnError, Rng};

/// The task's sizes: `n_pairs` pairs per sequence, `n_keys` possible keys
/// (>= `n_pairs`), `n_values` possible values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssocRecall {
    /// Pairs per sequence, N >= 1.
    pub n_pairs: usize,
    /// Size of the key vocabulary (>= N).
    pub n_keys: usize,
    /// Size of the value vocabulary (>= 1).
    pub n_values: usize,
}

/// A batch of sequences and their answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// One token-id sequence (length `2 N + 2`) per example.
    pub tokens: Vec<Vec<usize>>,
    /// The answer (a value token id) of each example.
    pub targets: Vec<usize>,
}

impl Batch {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// True if the batch has no example.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Err (field `batch`) unless there is at least one example and as
    /// many sequences as targets.
    pub fn check(&self) -> Result<(), AttnError> {
        if self.is_empty() || self.tokens.len() != self.targets.len() {
            return Err(AttnError::shape(
                "batch",
                "as many sequences as targets, at least 1",
                format!(
                    "{} sequences, {} targets",
                    self.tokens.len(),
                    self.targets.len()
                ),
            ));
        }
        Ok(())
    }
}

impl AssocRecall {
    /// Err if a size is 0 or `n_keys < n_pairs` (keys must be distinct).
    pub fn new(n_pairs: usize, n_keys: usize, n_values: usize) -> Result<Self, AttnError> {
        nonzero("n_pairs", n_pairs)?;
        nonzero("n_values", n_values)?;
        if n_keys < n_pairs {
            return Err(AttnError::value(
                "n_keys",
                format!("must be >= n_pairs = {n_pairs}, got {n_keys}"),
            ));
        }
        Ok(AssocRecall {
            n_pairs,
            n_keys,
            n_values,
        })
    }

    /// `n_keys + n_values + 1`.
    pub fn vocab_size(&self) -> usize {
        self.n_keys + self.n_values + 1
    }

    /// `2 n_pairs + 2`.
    pub fn seq_len(&self) -> usize {
        2 * self.n_pairs + 2
    }

    /// The id of the query marker `?`.
    pub fn query_token(&self) -> usize {
        self.n_keys + self.n_values
    }

    /// A readable name for a token id: `k3`, `v5`, `?` (or `#id` if unknown).
    pub fn token_label(&self, id: usize) -> String {
        if id < self.n_keys {
            format!("k{id}")
        } else if id < self.n_keys + self.n_values {
            format!("v{}", id - self.n_keys)
        } else if id == self.query_token() {
            "?".to_string()
        } else {
            format!("#{id}")
        }
    }

    /// One random example: `(tokens, target)`.
    pub fn sample(&self, rng: &mut Rng) -> (Vec<usize>, usize) {
        // Partial Fisher-Yates over the key ids: the first n_pairs are distinct.
        let mut keys: Vec<usize> = (0..self.n_keys).collect();
        for i in 0..self.n_pairs {
            let j = i + rng.below(self.n_keys - i);
            keys.swap(i, j);
        }
        let mut tokens = Vec::with_capacity(self.seq_len());
        let mut pairs = Vec::with_capacity(self.n_pairs);
        for &k in keys.iter().take(self.n_pairs) {
            let v = self.n_keys + rng.below(self.n_values);
            tokens.push(k);
            tokens.push(v);
            pairs.push((k, v));
        }
        // The queried pair; there are n_pairs >= 1 of them.
        let (key, value) = rng.pick(&pairs).copied().unwrap_or_default();
        tokens.push(self.query_token());
        tokens.push(key);
        (tokens, value)
    }

    /// `size` independent examples.
    pub fn batch(&self, rng: &mut Rng, size: usize) -> Batch {
        let (tokens, targets) = (0..size).map(|_| self.sample(rng)).unzip();
        Batch { tokens, targets }
    }
}
