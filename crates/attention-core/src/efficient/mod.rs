//! Attention without the `n x n` matrix (chapter 6, "The cost of the n x n
//! matrix"), for ONE head.
//!
//! Inputs everywhere: `q` (`n x d_k`), `k` (`n x d_k`), `v` (`n x d_v`),
//! rows are positions; `causal` hides keys `j > i` from query `i`; `scale`
//! divides the scores by `sqrt(d_k)`.
//!
//! * [`dense_attention`] is the reference that builds the `n x n` weights;
//! * [`linear`]: linear attention (Katharopoulos et al. 2020, feature map
//!   `elu(x) + 1`), with its `O(n d_k d_v)` form and the quadratic form it
//!   equals;
//! * [`tiled`]: tiled attention with an online softmax (the FlashAttention
//!   idea), with a memory count and a step-by-step trace of one query;
//! * [`ring`]: ring attention on `P` simulated devices, with the schedule of
//!   who holds which key/value block;
//! * [`stepwise`]: dense and tiled attention a slice of query rows at a
//!   time (what `dense_attention` and `tiled_attention` run), for timing
//!   them in a page that keeps drawing frames.
//!
//! Every function validates its inputs first (non-empty, matching shapes,
//! finite values) and returns [`AttnError`] instead of panicking.

pub mod linear;
pub mod ring;
pub mod stepwise;
pub mod tiled;

pub use linear::{
    linear_attention, linear_attention_quadratic, linear_vs_softmax, phi, LinearAttention,
    LinearQuadratic, LinearVsSoftmax, SummarySize,
};
pub use ring::{ring_attention, ring_blocks, DeviceMemory, DeviceStep, RingAttention, RingStep};
pub use stepwise::{DenseRun, TiledRun};
pub use tiled::{tiled_attention, tiled_trace, MemoryCount, TiledAttention, TiledStep, TiledTrace};

use crate::error::{dims, ensure_finite};
use crate::{AttnError, Mat};

/// Dense (ordinary) softmax attention of one head, with its `n x n`
/// intermediates.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseAttention {
    /// `c * q k^T` (`n x n`, c = `1/sqrt(d_k)` or 1); masked entries are
    /// `f64::NEG_INFINITY`.
    pub logits: Mat,
    /// Row softmax of `logits`, `n x n`; masked entries exactly 0.
    pub weights: Mat,
    /// `weights v`, `n x d_v`.
    pub output: Mat,
    /// The factor c.
    pub scale_factor: f64,
}

/// How far two matrices of the same shape are apart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Difference {
    /// Largest `|a_ij - b_ij|`.
    pub max_abs: f64,
    /// Mean of `|a_ij - b_ij|` over all entries.
    pub mean_abs: f64,
}

/// The reference: `softmax(c q k^T) v` for `q`, `k` (`n x d_k`) and `v`
/// (`n x d_v`), with c = `1/sqrt(d_k)` when `scale` else 1, and keys
/// `j > i` masked for query `i` when `causal`. Builds the `n x n` logits and
/// weights (this is the method the others avoid) and returns them with the
/// `n x d_v` output. Gives the same numbers as
/// [`attention_trace`](crate::attention_trace) on the same `q`, `k`, `v`.
/// Err on empty or mismatched shapes, non-finite inputs, or overflowing
/// scores.
pub fn dense_attention(
    q: &Mat,
    k: &Mat,
    v: &Mat,
    causal: bool,
    scale: bool,
) -> Result<DenseAttention, AttnError> {
    DenseRun::new(q, k, v, causal, scale)?.run()
}

/// Max and mean absolute difference of two matrices of the same shape
/// (`a` and `b` both `r x c`). Err if the shapes differ or either is empty.
pub fn difference(a: &Mat, b: &Mat) -> Result<Difference, AttnError> {
    if a.shape() != b.shape() {
        return Err(AttnError::shape("b", dims(a), dims(b)));
    }
    if a.is_empty() {
        return Err(AttnError::shape("a", "at least 1 x 1", dims(a)));
    }
    let (mut max_abs, mut sum) = (0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b.iter()) {
        let d = (x - y).abs();
        max_abs = max_abs.max(d);
        sum += d;
    }
    Ok(Difference {
        max_abs,
        mean_abs: sum / a.len() as f64,
    })
}

/// The score factor c: `1/sqrt(d_k)` when `scale`, else 1.
pub fn scale_factor(d_k: usize, scale: bool) -> f64 {
    if scale {
        1.0 / (d_k as f64).sqrt()
    } else {
        1.0
    }
}

/// Checks `q` (`n x d_k`), `k` (`n x d_k`), `v` (`n x d_v`): all non-empty,
/// the same number of rows, `q` and `k` the same width, every entry finite.
/// Returns `(n, d_k, d_v)`.
pub fn validate_qkv(q: &Mat, k: &Mat, v: &Mat) -> Result<(usize, usize, usize), AttnError> {
    let (n, d_k) = q.shape();
    if n == 0 || d_k == 0 {
        return Err(AttnError::shape(
            "q",
            "n x d_k with n >= 1 and d_k >= 1",
            dims(q),
        ));
    }
    if k.shape() != (n, d_k) {
        return Err(AttnError::shape(
            "k",
            format!("{n} x {d_k} (n x d_k, like q)"),
            dims(k),
        ));
    }
    let d_v = v.ncols();
    if v.nrows() != n || d_v == 0 {
        return Err(AttnError::shape(
            "v",
            format!("{n} x d_v with d_v >= 1 (n rows, like q)"),
            dims(v),
        ));
    }
    ensure_finite("q", q)?;
    ensure_finite("k", k)?;
    ensure_finite("v", v)?;
    Ok((n, d_k, d_v))
}

/// Err unless `size >= 1`.
pub(crate) fn ensure_positive(field: &str, size: usize) -> Result<(), AttnError> {
    if size == 0 {
        Err(AttnError::value(field, "must be at least 1, got 0"))
    } else {
        Ok(())
    }
}

/// The running state of an online softmax for a block of `b` queries:
/// running max `m`, running sum `l` and the rescaled, unnormalised partial
/// output `o` (`b x d_v`).
#[derive(Clone, Debug)]
pub(crate) struct OnlineState {
    /// Running max of the scores seen so far, per query (`-inf` before any).
    pub m: Vec<f64>,
    /// Running sum of `exp(s - m)`, per query.
    pub l: Vec<f64>,
    /// `sum_j exp(s_j - m) v_j`, `b x d_v`.
    pub o: Mat,
}

/// What one key block did to an [`OnlineState`].
pub(crate) struct BlockUpdate {
    /// Per query: the block's max score (`-inf` if fully masked).
    pub block_max: Vec<f64>,
    /// Per query: the factor `exp(m_old - m_new)` applied to `l` and `o`.
    pub rescale: Vec<f64>,
    /// `exp(s - m_new)`, `b x block` (0 where masked).
    pub weights: Mat,
}

impl OnlineState {
    /// The empty state for `rows` queries and `d_v` value columns.
    pub fn new(rows: usize, d_v: usize) -> Self {
        OnlineState {
            m: vec![f64::NEG_INFINITY; rows],
            l: vec![0.0; rows],
            o: Mat::zeros(rows, d_v),
        }
    }

    /// Numbers held by the running stats (`m` and `l`).
    pub fn stats_numbers(&self) -> usize {
        self.m.len() + self.l.len()
    }

    /// Absorbs one key block: `tile` holds the (scaled, masked with `-inf`)
    /// scores of these queries against the block's keys (`b x block`),
    /// `v_block` the block's values (`block x d_v`). Updates `m`, `l`, `o`:
    /// `m' = max(m, max s)`, `o = o exp(m - m') + exp(s - m') V_b`,
    /// `l = l exp(m - m') + sum exp(s - m')`.
    pub fn absorb(
        &mut self,
        mut tile: Mat,
        v_block: &nalgebra::DMatrixView<'_, f64>,
    ) -> BlockUpdate {
        let rows = tile.nrows();
        let mut block_max = Vec::with_capacity(rows);
        let mut rescale = Vec::with_capacity(rows);
        for ((mut row, m), l) in tile
            .row_iter_mut()
            .zip(self.m.iter_mut())
            .zip(self.l.iter_mut())
        {
            let bmax = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let m_new = m.max(bmax);
            block_max.push(bmax);
            if m_new == f64::NEG_INFINITY {
                // Every key so far is masked: nothing to add, nothing to rescale.
                row.fill(0.0);
                rescale.push(1.0);
                continue;
            }
            // exp(-inf - finite) = 0: the first block rescales the empty state.
            let factor = (*m - m_new).exp();
            let mut added = 0.0;
            for s in row.iter_mut() {
                // exp(-inf) = 0 for masked keys.
                *s = (*s - m_new).exp();
                added += *s;
            }
            *l = *l * factor + added;
            *m = m_new;
            rescale.push(factor);
        }
        for (mut row, f) in self.o.row_iter_mut().zip(rescale.iter()) {
            row *= *f;
        }
        self.o.gemm(1.0, &tile, v_block, 1.0);
        BlockUpdate {
            block_max,
            rescale,
            weights: tile,
        }
    }

    /// The final output `o / l` (`b x d_v`). Err if a query saw no key.
    pub fn finish(&self) -> Result<Mat, AttnError> {
        let mut out = self.o.clone();
        for (i, (mut row, l)) in out.row_iter_mut().zip(self.l.iter()).enumerate() {
            if !(*l > 0.0 && l.is_finite()) {
                return Err(AttnError::value(
                    format!("running_sum[{i}]"),
                    format!("is {l}; the query saw no key"),
                ));
            }
            row /= *l;
        }
        Ok(out)
    }
}

/// The scaled scores of the queries `q_start..q_start + qb.nrows()` against
/// the keys `k_start..k_start + kb.nrows()`: `c qb kb^T` (`qb.nrows() x
/// kb.nrows()`), with keys after a query set to `-inf` when `causal`. Err if
/// a score overflows.
pub(crate) fn score_tile(
    qb: &nalgebra::DMatrixView<'_, f64>,
    q_start: usize,
    kb: &nalgebra::DMatrixView<'_, f64>,
    k_start: usize,
    c: f64,
    causal: bool,
) -> Result<Mat, AttnError> {
    let mut tile = (qb * kb.transpose()) * c;
    for (r, mut row) in tile.row_iter_mut().enumerate() {
        let i = q_start + r;
        for (col, s) in row.iter_mut().enumerate() {
            if !s.is_finite() {
                return Err(AttnError::value(
                    format!("scores[{i}][{}]", k_start + col),
                    format!("overflowed to {s}"),
                ));
            }
            if causal && k_start + col > i {
                *s = f64::NEG_INFINITY;
            }
        }
    }
    Ok(tile)
}
