//! The long-range task: recall the first token after d distractors.
//!
//! A sequence is `s x_1 ... x_d ?`: a symbol `s` (one of `symbols`), then
//! `d` distractors (drawn independently from `distractors` other tokens),
//! then the query marker `?`. The answer, given at `?`, is `s`: the model
//! must carry one token across d positions. Symbols and distractors are
//! different tokens, so a model can find `s` by what it is (attention needs
//! no position information), and only by remembering it (a recurrent model
//! must keep it in its state for d steps).
//!
//! Token ids: symbols `0..symbols`, distractors
//! `symbols..symbols + distractors`, `?` = `symbols + distractors`; the
//! vocabulary has `symbols + distractors + 1` tokens, the classes are the
//! `symbols` symbols, a sequence has `d + 2` tokens.
//!
//! Held-out split: a sequence is held out when the FNV-1a hash of its ids
//! is divisible by 5 (about one sequence in five, the same on every
//! platform). [`RecallFirst::train_batch`] never produces one and
//! [`RecallFirst::held_out`] produces only those, so test sequences are
//! never trained on (this matters at small d, where there are only
//! `symbols * distractors^d` different sequences).

use crate::train::{nonzero, Batch};
use crate::{AttnError, Rng};

/// The task's sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecallFirst {
    /// Symbols to remember (the classes), >= 2.
    pub symbols: usize,
    /// Distractor tokens, >= 1.
    pub distractors: usize,
}

/// Draws at most this many sequences to find one on the wanted side of the
/// split (one in five is held out, so this is never reached in practice).
const MAX_TRIES: usize = 10_000;

impl RecallFirst {
    /// Err unless `symbols >= 2` and `distractors >= 1`.
    pub fn new(symbols: usize, distractors: usize) -> Result<Self, AttnError> {
        if symbols < 2 {
            return Err(AttnError::value(
                "symbols",
                format!("must be at least 2, got {symbols}"),
            ));
        }
        nonzero("distractors", distractors)?;
        Ok(RecallFirst {
            symbols,
            distractors,
        })
    }

    /// `symbols + distractors + 1`.
    pub fn vocab_size(&self) -> usize {
        self.symbols + self.distractors + 1
    }

    /// The number of answers, `symbols`.
    pub fn n_classes(&self) -> usize {
        self.symbols
    }

    /// The id of the query marker `?`.
    pub fn query_token(&self) -> usize {
        self.symbols + self.distractors
    }

    /// A readable name for a token id: `A`..`Z` for symbols (then `s26`,
    /// ...), `.` for distractors (with their number: `.3`), `?`, or `#id`.
    pub fn token_label(&self, id: usize) -> String {
        if id < self.symbols {
            match u8::try_from(id) {
                Ok(i) if i < 26 => char::from(b'A' + i).to_string(),
                _ => format!("s{id}"),
            }
        } else if id < self.query_token() {
            format!(".{}", id - self.symbols)
        } else if id == self.query_token() {
            "?".into()
        } else {
            format!("#{id}")
        }
    }

    /// One random sequence with `d` distractors (length `d + 2`) and its
    /// answer, ignoring the split.
    pub fn sample(&self, d: usize, rng: &mut Rng) -> (Vec<usize>, usize) {
        let s = rng.below(self.symbols);
        let mut tokens = Vec::with_capacity(d + 2);
        tokens.push(s);
        tokens.extend((0..d).map(|_| self.symbols + rng.below(self.distractors)));
        tokens.push(self.query_token());
        (tokens, s)
    }

    /// Whether `tokens` belongs to the held-out fifth (FNV-1a hash of the
    /// ids, divisible by 5).
    pub fn is_held_out(tokens: &[usize]) -> bool {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &t in tokens {
            for byte in (t as u64).to_le_bytes() {
                h ^= u64::from(byte);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        h.is_multiple_of(5)
    }

    /// A sequence with `d` distractors on the chosen side of the split.
    /// Err if none is found in [`MAX_TRIES`] draws: only when there are so
    /// few different sequences (tiny `symbols`, `distractors` and d) that
    /// one side of the split is empty.
    fn sample_side(
        &self,
        d: usize,
        held_out: bool,
        rng: &mut Rng,
    ) -> Result<(Vec<usize>, usize), AttnError> {
        for _ in 0..MAX_TRIES {
            let (tokens, s) = self.sample(d, rng);
            if Self::is_held_out(&tokens) == held_out {
                return Ok((tokens, s));
            }
        }
        Err(AttnError::value(
            "d",
            format!(
                "no {} sequence with d = {d} found in {MAX_TRIES} draws (too few sequences)",
                if held_out { "held-out" } else { "training" }
            ),
        ))
    }

    /// `size` training sequences (never held out), each with a number of
    /// distractors drawn uniformly from `distances`. Err if `distances` is
    /// empty or one side of the split is empty (see [`RecallFirst::held_out`]).
    pub fn train_batch(
        &self,
        distances: &[usize],
        size: usize,
        rng: &mut Rng,
    ) -> Result<Batch, AttnError> {
        if distances.is_empty() {
            return Err(AttnError::value("distances", "must not be empty"));
        }
        let mut batch = Batch {
            tokens: Vec::with_capacity(size),
            targets: Vec::with_capacity(size),
        };
        for _ in 0..size {
            let d = rng.pick(distances).copied().unwrap_or_default();
            let (tokens, s) = self.sample_side(d, false, rng)?;
            batch.tokens.push(tokens);
            batch.targets.push(s);
        }
        Ok(batch)
    }

    /// `count` held-out sequences with exactly `d` distractors, the same
    /// for a given `(d, count, seed)` on every call and platform. Err if
    /// the split leaves no held-out sequence at this d.
    pub fn held_out(&self, d: usize, count: usize, seed: u64) -> Result<Batch, AttnError> {
        let mut rng = Rng::new(seed ^ 0x4E1D_0000 ^ ((d as u64) << 24));
        let mut batch = Batch {
            tokens: Vec::with_capacity(count),
            targets: Vec::with_capacity(count),
        };
        for _ in 0..count {
            let (tokens, s) = self.sample_side(d, true, &mut rng)?;
            batch.tokens.push(tokens);
            batch.targets.push(s);
        }
        Ok(batch)
    }
}
