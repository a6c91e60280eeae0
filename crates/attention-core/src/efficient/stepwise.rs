//! Dense and tiled attention a slice at a time, so that a page can time
//! them while it keeps drawing frames (chapter 6, "Time it").
//!
//! [`DenseRun`] is [`dense_attention`](super::dense_attention) itself (that
//! function runs one to the end): it allocates the `n x n` logits and
//! weights up front and fills them `rows` query rows per [`DenseRun::step`].
//! [`TiledRun`] is [`tiled_attention`](super::tiled_attention) itself, one
//! query block per step. Cutting the work into slices changes no number:
//! each output row is computed by the same operations as in one go.

use super::tiled::MemoryCount;
use super::{
    ensure_positive, scale_factor, score_tile, validate_qkv, DenseAttention, OnlineState,
    TiledAttention,
};
use crate::error::ensure_finite;
use crate::{softmax_rows, AttnError, Mat};

/// Dense softmax attention of one head, computed a block of query rows at
/// a time (see the module docs). Inputs as in
/// [`dense_attention`](super::dense_attention).
#[derive(Clone, Debug)]
pub struct DenseRun {
    q: Mat,
    /// `k^T`, `d_k x n`.
    kt: Mat,
    v: Mat,
    causal: bool,
    c: f64,
    /// `n x n`; rows `0..next` are filled.
    logits: Mat,
    /// `n x n`; rows `0..next` are filled.
    weights: Mat,
    /// `n x d_v`; rows `0..next` are filled.
    output: Mat,
    next: usize,
}

impl DenseRun {
    /// Checks the inputs (Err as [`dense_attention`](super::dense_attention))
    /// and allocates the `n x n` logits and weights.
    pub fn new(q: &Mat, k: &Mat, v: &Mat, causal: bool, scale: bool) -> Result<Self, AttnError> {
        let (n, d_k, d_v) = validate_qkv(q, k, v)?;
        Ok(DenseRun {
            q: q.clone(),
            kt: k.transpose(),
            v: v.clone(),
            causal,
            c: scale_factor(d_k, scale),
            logits: Mat::zeros(n, n),
            weights: Mat::zeros(n, n),
            output: Mat::zeros(n, d_v),
            next: 0,
        })
    }

    /// Number of positions `n`.
    pub fn n(&self) -> usize {
        self.q.nrows()
    }

    /// Query rows finished so far.
    pub fn rows_done(&self) -> usize {
        self.next
    }

    /// Whether every row is finished.
    pub fn done(&self) -> bool {
        self.next >= self.n()
    }

    /// Computes the next `rows` query rows (at least 1, at most what is
    /// left): their logits `c q_i k^T` (keys `j > i` set to `-inf` when
    /// causal), softmax weights and outputs. `Ok(true)` once every row is
    /// done. Err if a score or an output overflows.
    pub fn step(&mut self, rows: usize) -> Result<bool, AttnError> {
        let n = self.n();
        if self.done() {
            return Ok(true);
        }
        let start = self.next;
        let r = rows.max(1).min(n - start);
        let mut block = (self.q.rows(start, r) * &self.kt) * self.c;
        ensure_finite("scores", &block)?;
        if self.causal {
            for (i, mut row) in block.row_iter_mut().enumerate() {
                for s in row.iter_mut().skip(start + i + 1) {
                    *s = f64::NEG_INFINITY;
                }
            }
        }
        let w = softmax_rows(&block)?;
        let out = &w * &self.v;
        ensure_finite("output", &out)?;
        self.logits.rows_mut(start, r).copy_from(&block);
        self.weights.rows_mut(start, r).copy_from(&w);
        self.output.rows_mut(start, r).copy_from(&out);
        self.next = start + r;
        Ok(self.done())
    }

    /// The finished result; Err if rows are left.
    pub fn finish(self) -> Result<DenseAttention, AttnError> {
        if !self.done() {
            return Err(AttnError::value(
                "rows",
                format!("{} of {} rows are done", self.next, self.n()),
            ));
        }
        Ok(DenseAttention {
            logits: self.logits,
            weights: self.weights,
            output: self.output,
            scale_factor: self.c,
        })
    }

    /// Runs every remaining row in one step and finishes.
    pub fn run(mut self) -> Result<DenseAttention, AttnError> {
        let n = self.n();
        self.step(n)?;
        self.finish()
    }
}

/// Tiled attention with an online softmax, one query block per step (see
/// the module docs). Inputs as in [`tiled_attention`](super::tiled_attention).
#[derive(Clone, Debug)]
pub struct TiledRun {
    q: Mat,
    k: Mat,
    v: Mat,
    causal: bool,
    c: f64,
    block: usize,
    output: Mat,
    next: usize,
    tiles: usize,
    /// Peaks so far: score tile, running stats, partial output, working set.
    peaks: (usize, usize, usize, usize),
}

impl TiledRun {
    /// Checks the inputs (Err as [`tiled_attention`](super::tiled_attention)).
    pub fn new(
        q: &Mat,
        k: &Mat,
        v: &Mat,
        causal: bool,
        scale: bool,
        block: usize,
    ) -> Result<Self, AttnError> {
        ensure_positive("block", block)?;
        let (n, d_k, d_v) = validate_qkv(q, k, v)?;
        Ok(TiledRun {
            q: q.clone(),
            k: k.clone(),
            v: v.clone(),
            causal,
            c: scale_factor(d_k, scale),
            block: block.min(n),
            output: Mat::zeros(n, d_v),
            next: 0,
            tiles: 0,
            peaks: (0, 0, 0, 0),
        })
    }

    /// Number of positions `n`.
    pub fn n(&self) -> usize {
        self.q.nrows()
    }

    /// Whether every query block is finished.
    pub fn done(&self) -> bool {
        self.next >= self.n()
    }

    /// Runs the next query block against every key block it may see.
    /// `Ok(true)` once every block is done. Err if a score overflows or a
    /// query sees no key.
    pub fn step(&mut self) -> Result<bool, AttnError> {
        let n = self.n();
        if self.done() {
            return Ok(true);
        }
        let (q_start, block) = (self.next, self.block);
        let rows = block.min(n - q_start);
        let qb = self.q.rows(q_start, rows);
        let mut state = OnlineState::new(rows, self.v.ncols());
        for k_start in (0..n).step_by(block) {
            if self.causal && k_start > q_start + rows - 1 {
                break; // every later key is after every query of the block
            }
            let cols = block.min(n - k_start);
            let tile = score_tile(
                &qb,
                q_start,
                &self.k.rows(k_start, cols),
                k_start,
                self.c,
                self.causal,
            )?;
            let tile_numbers = tile.len();
            state.absorb(tile, &self.v.rows(k_start, cols));
            self.tiles += 1;
            let (stats, partial) = (state.stats_numbers(), state.o.len());
            let p = &mut self.peaks;
            p.0 = p.0.max(tile_numbers);
            p.1 = p.1.max(stats);
            p.2 = p.2.max(partial);
            p.3 = p.3.max(tile_numbers + stats + partial);
        }
        let done = state.finish()?;
        self.output.rows_mut(q_start, rows).copy_from(&done);
        self.next = q_start + rows;
        Ok(self.done())
    }

    /// The finished result with its memory count; Err if blocks are left.
    pub fn finish(self) -> Result<TiledAttention, AttnError> {
        if !self.done() {
            return Err(AttnError::value(
                "blocks",
                format!("{} of {} rows are done", self.next, self.n()),
            ));
        }
        let (n, d_v) = self.output.shape();
        let (score_tile, running_stats, partial_output, working_peak) = self.peaks;
        Ok(TiledAttention {
            output: self.output,
            block: self.block,
            tiles: self.tiles,
            memory: MemoryCount {
                score_tile,
                running_stats,
                partial_output,
                working_peak,
                output: n * d_v,
                total_peak: working_peak + n * d_v,
                dense_scores: n * n,
                dense_total: n * n + n * d_v,
            },
            scale_factor: self.c,
        })
    }

    /// Runs every remaining block and finishes.
    pub fn run(mut self) -> Result<TiledAttention, AttnError> {
        while !self.step()? {}
        self.finish()
    }
}
