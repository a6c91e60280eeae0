//! Scaled dot-product (multi-head) attention with every intermediate kept.
//!
//! For each head, with positions as rows (`x` is `n x d_model`):
//! `q = x w_q`, `k = x w_k`, `v = x w_v` (RoPE rotates `q` and `k`),
//! `scores = q k^T`, `scaled = c * scores + bias` (c = 1/sqrt(d_k) or 1, bias
//! is ALiBi or 0), `logits = scaled / T` with masked entries `-inf`,
//! `weights = softmax_rows(logits)`, `output = weights v`.
//! Then `concat = [out_0 | out_1 | ...]` and `output = concat w_o` (or concat).
//!
//! Matrices are stored column by column, so the `n x n` steps sweep columns
//! (one key at a time, contiguous memory) and treat all rows together: each
//! kept matrix is written once and nothing else of that size is allocated.

use crate::error::{dims, ensure_finite};
use crate::position::{add_learned, alibi_slopes, rope_rotate, sinusoidal};
use crate::softmax::softmax_rows_with_max;
use crate::{AttnError, Mat, MultiHeadWeights, Position};

/// Which key positions a query may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mask {
    /// Every position sees every position.
    None,
    /// Position i may not see j > i.
    Causal,
}

/// Options of one attention computation.
#[derive(Clone, Debug, PartialEq)]
pub struct AttentionConfig {
    /// Multiply scores by `1/sqrt(d_k)`.
    pub scale: bool,
    /// Softmax temperature T (finite, > 0); logits are divided by it.
    pub temperature: f64,
    /// Attention mask.
    pub mask: Mask,
    /// Positional scheme.
    pub position: Position,
}

impl Default for AttentionConfig {
    /// Scaled, temperature 1, no mask, no position.
    fn default() -> Self {
        AttentionConfig {
            scale: true,
            temperature: 1.0,
            mask: Mask::None,
            position: Position::None,
        }
    }
}

/// Every intermediate of one head (n = number of positions).
#[derive(Clone, Debug, PartialEq)]
pub struct HeadTrace {
    /// Queries, `n x d_k` (after RoPE when it applies).
    pub q: Mat,
    /// Keys, `n x d_k` (after RoPE when it applies).
    pub k: Mat,
    /// Values, `n x d_v`.
    pub v: Mat,
    /// Raw dot products `q_i . k_j`, `n x n`.
    pub scores: Mat,
    /// `c * scores + bias` (ALiBi bias, else 0), `n x n`.
    pub scaled: Mat,
    /// `scaled / T`, `n x n`; masked entries are `f64::NEG_INFINITY`.
    pub logits: Mat,
    /// Row softmax of `logits`, `n x n`; masked entries exactly 0.
    pub weights: Mat,
    /// `weights v`, `n x d_v`.
    pub output: Mat,
}

/// The whole computation.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// Input after the positional encoding, `n x d_model`.
    pub x: Mat,
    /// One trace per head.
    pub heads: Vec<HeadTrace>,
    /// Head outputs side by side, `n x (H * d_v)`.
    pub concat: Mat,
    /// `concat w_o` (`n x d_out`) or `concat` when there is no `w_o`.
    pub output: Mat,
    /// The factor c: `1/sqrt(d_k)` when scaling, else 1.
    pub scale_factor: f64,
}

/// Runs attention on `x` (`n x d_model`) with `weights` (see
/// [`MultiHeadWeights`]) and returns every intermediate (see [`Trace`]).
///
/// Validates everything first: empty `x`, non-finite `x` or weights,
/// mismatched shapes, temperature not finite or <= 0, odd `d_k` with RoPE, a
/// learned table that is too short. Also errs if a result overflows to a
/// non-finite value. Errors name the field and shape.
pub fn attention_trace(
    x: &Mat,
    weights: &MultiHeadWeights,
    cfg: &AttentionConfig,
) -> Result<Trace, AttnError> {
    let (n, d_model) = (x.nrows(), x.ncols());
    if n == 0 || d_model == 0 {
        return Err(AttnError::shape(
            "x",
            "n x d_model with n >= 1 and d_model >= 1",
            dims(x),
        ));
    }
    ensure_finite("x", x)?;
    let (d_k, _d_v) = weights.validate(d_model)?;
    let t = cfg.temperature;
    if !t.is_finite() || t <= 0.0 {
        return Err(AttnError::value(
            "temperature",
            format!("must be finite and > 0, got {t}"),
        ));
    }
    if cfg.position == Position::Rope && !d_k.is_multiple_of(2) {
        return Err(AttnError::shape(
            "heads[0].w_q",
            format!("an even d_k for rope ({d_model} x even)"),
            format!("{d_model} x {d_k}"),
        ));
    }

    let x = match &cfg.position {
        Position::Sinusoidal => x + sinusoidal(n, d_model),
        Position::Learned(table) => add_learned(x, table)?,
        _ => x.clone(),
    };
    ensure_finite("x (after position encoding)", &x)?;

    let c = if cfg.scale {
        1.0 / (d_k as f64).sqrt()
    } else {
        1.0
    };
    let slopes = alibi_slopes(weights.heads.len());
    let mut heads = Vec::with_capacity(weights.heads.len());
    for (h, hw) in weights.heads.iter().enumerate() {
        let mut q = &x * &hw.w_q;
        let mut k = &x * &hw.w_k;
        let v = &x * &hw.w_v;
        if cfg.position == Position::Rope {
            q = rope_rotate(&q, 0)?;
            k = rope_rotate(&k, 0)?;
        }
        let slope = match cfg.position {
            Position::Alibi => Some(slopes.get(h).copied().unwrap_or(0.0)),
            _ => None,
        };
        for (name, m) in [("q", &q), ("k", &k), ("v", &v)] {
            ensure_finite(&format!("heads[{h}].{name}"), m)?;
        }
        let causal = cfg.mask == Mask::Causal;
        let (scores, scaled, logits, max, finite) = head_logits(&q, &k, c, slope, t, causal);
        if !finite {
            // Name the first logit that overflowed (before masking).
            ensure_finite(&format!("heads[{h}].logits"), &(&scaled / t))?;
        }
        // Every row keeps its diagonal entry, so its maximum is finite.
        let w = softmax_rows_with_max(&logits, &max);
        let output = &w * &v;
        ensure_finite(&format!("heads[{h}].output"), &output)?;
        heads.push(HeadTrace {
            q,
            k,
            v,
            scores,
            scaled,
            logits,
            weights: w,
            output,
        });
    }

    let outs: Vec<&Mat> = heads.iter().map(|h| &h.output).collect();
    let concat = hconcat(&outs, n);
    let output = match &weights.w_o {
        Some(w_o) => &concat * w_o,
        None => concat.clone(),
    };
    ensure_finite("output", &output)?;
    Ok(Trace {
        x,
        heads,
        concat,
        output,
        scale_factor: c,
    })
}

/// The `n_q x n_kv` matrices of one head before the softmax, from `q`
/// (`n_q x d_k`) and `k` (`n_kv x d_k`): `scores = q k^T`, `scaled = c *
/// scores + bias` (bias `-slope * |i - j|` when `slope` is given, else none)
/// and `logits = scaled / t`, with `-inf` at `j > i` when `causal`; then the
/// maximum of each row of `logits` over its unmasked entries (`n_q` values)
/// and whether every logit (before masking) is finite.
///
/// `scores` is one matrix product; `scaled` and `logits` are then appended to
/// their storage (column-major) one column (one key) at a time, the new
/// column still in cache when it is masked and searched for the maxima: each
/// `n x n` matrix is written once, with no temporaries.
fn head_logits(
    q: &Mat,
    k: &Mat,
    c: f64,
    slope: Option<f64>,
    t: f64,
    causal: bool,
) -> (Mat, Mat, Mat, Vec<f64>, bool) {
    let (n_q, n_kv) = (q.nrows(), k.nrows());
    let len = n_q * n_kv;
    let mut scores = Mat::from_vec(n_q, n_kv, vec![0.0; len]);
    scores.gemm(1.0, q, &k.transpose(), 0.0);
    let (mut scaled, mut logits) = (Vec::with_capacity(len), Vec::with_capacity(len));
    let mut max = vec![f64::NEG_INFINITY; n_q];
    let mut finite = true;
    // Dividing by a power of two is multiplying by its exact inverse: the
    // same result, without the (slow) division. T = 1 is the usual case.
    let inv_t = (t.to_bits() & ((1 << 52) - 1) == 0 && t.is_normal()).then(|| 1.0 / t);
    for (j, col_s) in scores.as_slice().chunks_exact(n_q.max(1)).enumerate() {
        let start = scaled.len();
        match slope {
            Some(slope) => scaled.extend(
                col_s
                    .iter()
                    .enumerate()
                    .map(|(i, &s)| s * c + -slope * i.abs_diff(j) as f64),
            ),
            None => scaled.extend(col_s.iter().map(|&s| s * c)),
        }
        let col_c = scaled.get(start..).unwrap_or_default();
        match inv_t {
            Some(inv_t) => logits.extend(col_c.iter().map(|&v| v * inv_t)),
            None => logits.extend(col_c.iter().map(|&v| v / t)),
        }
        let col_l = logits.get_mut(start..).unwrap_or_default();
        finite &= col_l.iter().fold(true, |ok, v| ok & v.is_finite());
        // Rows i < j (a query before key j) are masked when causal.
        let (masked, kept) = col_l.split_at_mut(if causal { j.min(n_q) } else { 0 });
        masked.fill(f64::NEG_INFINITY);
        for (mx, &l) in max.iter_mut().skip(masked.len()).zip(kept.iter()) {
            *mx = mx.max(l);
        }
    }
    (
        scores,
        Mat::from_vec(n_q, n_kv, scaled),
        Mat::from_vec(n_q, n_kv, logits),
        max,
        finite,
    )
}

/// The causal mask: sets every entry `(i, j)` with `j > i` (a key after
/// the query) of the `n_q x n_kv` scores to `f64::NEG_INFINITY`.
pub(crate) fn mask_future(scores: &mut Mat) {
    for (j, mut col) in scores.column_iter_mut().enumerate() {
        // Rows i < j of column j.
        for v in col.iter_mut().take(j) {
            *v = f64::NEG_INFINITY;
        }
    }
}

/// Horizontal concatenation of `n x d_i` matrices into `n x sum(d_i)`.
fn hconcat(parts: &[&Mat], n: usize) -> Mat {
    let total: usize = parts.iter().map(|m| m.ncols()).sum();
    let mut out = Mat::zeros(n, total);
    let mut col = 0;
    for m in parts {
        out.view_mut((0, col), (n, m.ncols())).copy_from(*m);
        col += m.ncols();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overflowing_logit_is_named_even_where_masked() {
        // q = k = x = [[1, 0], [1e10, 0]]: scores = [[1, 1e10], [1e10, 1e20]];
        // with T = 1e-300 the first logit to overflow, in row-major order, is
        // (0, 1), which the causal mask hides; it is still the one named.
        let x = Mat::from_row_slice(2, 2, &[1.0, 0.0, 1e10, 0.0]);
        let id = Mat::identity(2, 2);
        let weights = MultiHeadWeights {
            heads: vec![crate::HeadWeights {
                w_q: id.clone(),
                w_k: id.clone(),
                w_v: id,
            }],
            w_o: None,
        };
        let cfg = AttentionConfig {
            scale: false,
            temperature: 1e-300,
            mask: Mask::Causal,
            position: Position::None,
        };
        let e = attention_trace(&x, &weights, &cfg).unwrap_err();
        assert_eq!(e.field(), "heads[0].logits[0][1]", "{e}");
    }

    #[test]
    fn logits_are_scaled_over_t_to_the_bit() {
        // Powers of two take the multiply-by-inverse path, the others divide.
        let w = MultiHeadWeights::random(6, 2, 4, 3, 5, 9).unwrap();
        let x = crate::Rng::new(2).normal_matrix(7, 6, 2.0);
        for t in [1.0, 0.25, 2.0, 0.7, 3.0, 1e-300] {
            for position in [Position::None, Position::Alibi] {
                let cfg = AttentionConfig {
                    temperature: t,
                    position,
                    ..AttentionConfig::default()
                };
                let trace = attention_trace(&x, &w, &cfg).unwrap();
                for h in &trace.heads {
                    assert_eq!(h.logits, &h.scaled / t, "T = {t}");
                }
            }
        }
    }
}
