//! Tiled attention with an online softmax (the FlashAttention idea).
//!
//! Queries and keys/values are cut into blocks of `block` rows (the last
//! block may be shorter; a `block` larger than `n` is one block of `n`).
//! For each query block the engine keeps, per query, a running max `m`, a
//! running sum `l` and a rescaled partial output `o`; for each key block
//! with scores `s = c q K_b^T`:
//! `m' = max(m, max s)`, `o = o exp(m - m') + exp(s - m') V_b`,
//! `l = l exp(m - m') + sum exp(s - m')`, and at the end `out = o / l`.
//! No `n x n` matrix is ever built: the working set is one
//! `block x block` score tile, `2 block` running stats and a
//! `block x d_v` partial output. With a causal mask, key blocks that start
//! after the query block's last query are skipped entirely.

use super::{ensure_positive, scale_factor, score_tile, validate_qkv, OnlineState};
use crate::{AttnError, Mat};

/// Numbers held by tiled attention, counted by the engine as it runs, next
/// to what dense attention holds. The inputs `q`, `k`, `v` are held by both
/// and not counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryCount {
    /// Largest score tile (`rows x cols` of one query block against one key
    /// block), at most `block * block`.
    pub score_tile: usize,
    /// Largest running stats (`m` and `l` of a query block): `2 * rows`.
    pub running_stats: usize,
    /// Largest partial output of a query block: `rows * d_v`.
    pub partial_output: usize,
    /// Peak of `score_tile + running_stats + partial_output` held at one
    /// time: `O(block^2 + block d_v)`, independent of `n`.
    pub working_peak: usize,
    /// The finished output rows, `n * d_v` (both methods hold it).
    pub output: usize,
    /// `working_peak + output`: `O(n d_v + block^2)`, linear in `n`.
    pub total_peak: usize,
    /// Dense attention's score matrix, `n * n` (its weights replace the
    /// scores in place).
    pub dense_scores: usize,
    /// Dense attention's total: `n * n + n * d_v`.
    pub dense_total: usize,
}

/// Result of [`tiled_attention`].
#[derive(Clone, Debug, PartialEq)]
pub struct TiledAttention {
    /// The output, `n x d_v` (equal to dense attention's).
    pub output: Mat,
    /// The block size used (`min(block, n)`).
    pub block: usize,
    /// Number of score tiles computed (causal skips tiles above the
    /// diagonal).
    pub tiles: usize,
    /// The memory count.
    pub memory: MemoryCount,
    /// The factor c.
    pub scale_factor: f64,
}

/// One key block of [`tiled_trace`].
#[derive(Clone, Debug, PartialEq)]
pub struct TiledStep {
    /// First key of the block.
    pub key_start: usize,
    /// One past the last key of the block.
    pub key_end: usize,
    /// The query's scaled scores against the block's keys
    /// (`key_end - key_start` entries; masked keys are `-inf`).
    pub scores: Vec<f64>,
    /// Max of `scores` (`-inf` if all masked).
    pub block_max: f64,
    /// Running max before the block (`-inf` before the first).
    pub max_before: f64,
    /// Running max after the block.
    pub running_max: f64,
    /// `exp(max_before - running_max)`, applied to the old sum and partial
    /// output (0 on the first block, where they are still empty).
    pub rescale: f64,
    /// `exp(scores - running_max)` (0 where masked).
    pub block_weights: Vec<f64>,
    /// Running sum after the block.
    pub running_sum: f64,
    /// Rescaled, unnormalised partial output `o` after the block (`d_v`).
    pub partial_output: Vec<f64>,
    /// `o / running_sum`: the attention output over the keys seen so far
    /// (`d_v`); after the last block it is the final output row.
    pub normalised_output: Vec<f64>,
}

/// Result of [`tiled_trace`].
#[derive(Clone, Debug, PartialEq)]
pub struct TiledTrace {
    /// The query traced.
    pub query_index: usize,
    /// The block size used (`min(block, n)`).
    pub block: usize,
    /// The factor c.
    pub scale_factor: f64,
    /// One step per key block processed.
    pub steps: Vec<TiledStep>,
    /// The final output row (`d_v`), equal to the last step's
    /// `normalised_output`.
    pub output: Vec<f64>,
}

/// Tiled attention of `q`, `k` (`n x d_k`) and `v` (`n x d_v`) with key
/// and query blocks of `block` rows and an online softmax; never builds an
/// `n x n` matrix. Returns the `n x d_v` output (equal to
/// [`dense_attention`](super::dense_attention) up to rounding), the number
/// of tiles and the [`MemoryCount`]. Err if `block == 0`, on bad shapes,
/// non-finite inputs or overflowing scores.
pub fn tiled_attention(
    q: &Mat,
    k: &Mat,
    v: &Mat,
    causal: bool,
    scale: bool,
    block: usize,
) -> Result<TiledAttention, AttnError> {
    super::TiledRun::new(q, k, v, causal, scale, block)?.run()
}

/// Steps through tiled attention for ONE query (`query_index < n`) of `q`,
/// `k` (`n x d_k`) and `v` (`n x d_v`), key block by key block (blocks of
/// `block` keys; with `causal` only the blocks that start at or before the
/// query). Each [`TiledStep`] gives the block's range, scores and weights,
/// the running max and sum after it, the rescale factor applied and the
/// partial output (raw and normalised by the current sum). Err if
/// `block == 0`, `query_index >= n`, or as [`tiled_attention`].
pub fn tiled_trace(
    q: &Mat,
    k: &Mat,
    v: &Mat,
    causal: bool,
    scale: bool,
    block: usize,
    query_index: usize,
) -> Result<TiledTrace, AttnError> {
    ensure_positive("block", block)?;
    let (n, d_k, d_v) = validate_qkv(q, k, v)?;
    if query_index >= n {
        return Err(AttnError::value(
            "query_index",
            format!("must be below n = {n}, got {query_index}"),
        ));
    }
    let c = scale_factor(d_k, scale);
    let block = block.min(n);
    let qb = q.rows(query_index, 1);
    let mut state = OnlineState::new(1, d_v);
    let mut steps = Vec::new();
    for k_start in (0..n).step_by(block) {
        if causal && k_start > query_index {
            break;
        }
        let cols = block.min(n - k_start);
        let tile = score_tile(&qb, query_index, &k.rows(k_start, cols), k_start, c, causal)?;
        let scores: Vec<f64> = tile.iter().copied().collect();
        let max_before = state.m.first().copied().unwrap_or(f64::NEG_INFINITY);
        let update = state.absorb(tile, &v.rows(k_start, cols));
        let running_sum = state.l.first().copied().unwrap_or(0.0);
        let partial_output: Vec<f64> = state.o.iter().copied().collect();
        let normalised_output = partial_output.iter().map(|o| o / running_sum).collect();
        steps.push(TiledStep {
            key_start: k_start,
            key_end: k_start + cols,
            scores,
            block_max: update
                .block_max
                .first()
                .copied()
                .unwrap_or(f64::NEG_INFINITY),
            max_before,
            running_max: state.m.first().copied().unwrap_or(f64::NEG_INFINITY),
            rescale: update.rescale.first().copied().unwrap_or(1.0),
            block_weights: update.weights.iter().copied().collect(),
            running_sum,
            partial_output,
            normalised_output,
        });
    }
    let output = state.finish()?.iter().copied().collect();
    Ok(TiledTrace {
        query_index,
        block,
        scale_factor: c,
        steps,
        output,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_one_query_two_blocks() {
        // d_k = d_v = 1, no scale: q = 1, keys (0, ln 3) -> weights (1/4, 3/4).
        let q = Mat::from_row_slice(2, 1, &[1.0, 1.0]);
        let k = Mat::from_row_slice(2, 1, &[0.0, 3f64.ln()]);
        let v = Mat::from_row_slice(2, 1, &[4.0, 8.0]);
        let t = tiled_trace(&q, &k, &v, false, false, 1, 0).unwrap();
        assert_eq!(t.steps.len(), 2);
        let s0 = &t.steps[0];
        assert_eq!(
            (s0.running_max, s0.running_sum, s0.rescale),
            (0.0, 1.0, 0.0)
        );
        assert_eq!(s0.normalised_output, vec![4.0]);
        let s1 = &t.steps[1];
        // m' = ln 3, rescale = 1/3, l = 1/3 + 1, o = 4/3 + 8.
        assert!((s1.rescale - 1.0 / 3.0).abs() < 1e-15);
        assert!((s1.running_sum - 4.0 / 3.0).abs() < 1e-15);
        assert!((t.output[0] - 7.0).abs() < 1e-14); // 4/4 + 8*3/4
        let r = tiled_attention(&q, &k, &v, false, false, 1).unwrap();
        assert!((r.output[(0, 0)] - 7.0).abs() < 1e-14);
        assert_eq!(r.tiles, 4);
    }
}
