//! Sequential steps against parallel depth (chapter 9, section 2): how much
//! work one layer of each kind does on a sequence of n positions, how much
//! of it must wait for what, and how many rounds it takes on P workers.
//!
//! Counting conventions (as in [`cost`](crate::cost)): only the
//! multiply-adds (MACs) of matrix products are counted (an `a x b` by
//! `b x c` product is `a b c` MACs); activations, gates' element-wise
//! products, softmax and biases are not. Inputs are `u64` and counts
//! checked `u128`, so n = 100,000 and far beyond are exact on native and
//! wasm32; an overflow is an error, never a wrap.
//!
//! **A stage** is a set of MACs that depend only on earlier stages, so all
//! of them may run at once. **The schedule on P workers**: each worker does
//! one MAC per round, a stage starts when the previous one has finished,
//! so a stage of m MACs takes `ceil(m / P)` rounds (the sums inside a dot
//! product are taken as free; a real machine pays `log2` of its length).
//!
//! * Recurrent layer (`g` weight blocks: 1 for the vanilla RNN, 3 for the
//!   GRU, 4 for an LSTM): one stage for the input products of all positions
//!   (`n g d_in d_h`, they do not depend on the state), then n dependent
//!   stages of `g d_h^2` each (step t needs `h_{t-1}`). Depth `n + 1`.
//! * Self-attention layer (H heads of width `d_head`): the Q, K, V
//!   projections (`3 n d_model H d_head`), the scores (`H n^2 d_head`), the
//!   weighted sum of values (`H n^2 d_head`), the output projection
//!   (`n H d_head d_model`): 4 stages, whatever n.

use crate::AttnError;

/// `count` stages in a row, each of `macs` multiply-adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stages {
    /// MACs of each of these stages (all of one stage may run at once).
    pub macs: u128,
    /// How many such stages follow one another.
    pub count: u64,
}

/// One layer's work on n positions: its stages in order, runs of equal
/// stages grouped (a recurrent layer's n steps are one entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerWork {
    /// The stages, in the order they must run.
    pub stages: Vec<Stages>,
}

impl LayerWork {
    /// The number of stages that must run one after another (the depth of
    /// the dependency chain): `n + 1` for a recurrent layer, 4 for
    /// self-attention.
    pub fn depth(&self) -> u128 {
        self.stages.iter().map(|s| u128::from(s.count)).sum()
    }

    /// All multiply-adds. Err on overflow.
    pub fn macs(&self) -> Result<u128, AttnError> {
        self.sum(Some)
    }

    /// Rounds on `workers` workers (each does one MAC per round, stages in
    /// order): `sum ceil(stage / P)`. With one worker this is [`macs`];
    /// with unlimited workers, [`depth`] (for stages that are not empty).
    /// Err if `workers` is 0 or on overflow.
    ///
    /// [`macs`]: LayerWork::macs
    /// [`depth`]: LayerWork::depth
    pub fn rounds(&self, workers: u64) -> Result<u128, AttnError> {
        if workers == 0 {
            return Err(AttnError::value("workers", "must be at least 1, got 0"));
        }
        let p = u128::from(workers);
        self.sum(|m| Some(m.div_ceil(p)))
    }

    /// `sum over stages of f(macs) * count`, checked.
    fn sum(&self, f: impl Fn(u128) -> Option<u128>) -> Result<u128, AttnError> {
        self.stages
            .iter()
            .try_fold(0u128, |acc, s| {
                f(s.macs)?
                    .checked_mul(u128::from(s.count))
                    .and_then(|v| acc.checked_add(v))
            })
            .ok_or_else(overflow)
    }
}

fn overflow() -> AttnError {
    AttnError::value("n", "the count overflows 128 bits")
}

/// Checked product of `u64` factors as `u128`.
fn product(factors: &[u64]) -> Result<u128, AttnError> {
    factors
        .iter()
        .try_fold(1u128, |acc, &f| acc.checked_mul(u128::from(f)))
        .ok_or_else(overflow)
}

fn positive(name: &str, v: u64) -> Result<(), AttnError> {
    if v == 0 {
        return Err(AttnError::value(name, "must be at least 1, got 0"));
    }
    Ok(())
}

/// A recurrent layer with `blocks` weight blocks (1 vanilla RNN, 3 GRU,
/// 4 LSTM) on n positions, input width `d_in`, state width `d_h`: one
/// stage of `n blocks d_in d_h` MACs, then n stages of `blocks d_h^2`.
/// Err if a size is 0 or a count overflows.
pub fn recurrent_work(n: u64, d_in: u64, d_h: u64, blocks: u64) -> Result<LayerWork, AttnError> {
    for (name, v) in [("n", n), ("d_in", d_in), ("d_h", d_h), ("blocks", blocks)] {
        positive(name, v)?;
    }
    Ok(LayerWork {
        stages: vec![
            once(product(&[n, blocks, d_in, d_h])?),
            Stages {
                macs: product(&[blocks, d_h, d_h])?,
                count: n,
            },
        ],
    })
}

fn once(macs: u128) -> Stages {
    Stages { macs, count: 1 }
}

/// One self-attention layer with `heads` heads of width `d_head` on n
/// positions of width `d_model`: the 4 stages listed in the module docs.
/// Err if a size is 0 or a count overflows.
pub fn attention_work(
    n: u64,
    d_model: u64,
    heads: u64,
    d_head: u64,
) -> Result<LayerWork, AttnError> {
    for (name, v) in [
        ("n", n),
        ("d_model", d_model),
        ("heads", heads),
        ("d_head", d_head),
    ] {
        positive(name, v)?;
    }
    let scores = product(&[heads, n, n, d_head])?;
    Ok(LayerWork {
        stages: vec![
            once(product(&[3, n, d_model, heads, d_head])?),
            once(scores),
            once(scores),
            once(product(&[n, heads, d_head, d_model])?),
        ],
    })
}
