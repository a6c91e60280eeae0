//! Scaled dot-product (multi-head) attention with every intermediate kept.
//!
//! For each head, with positions as rows (`x` is `n x d_model`):
//! `q = x w_q`, `k = x w_k`, `v = x w_v` (RoPE rotates `q` and `k`),
//! `scores = q k^T`, `scaled = c * scores + bias` (c = 1/sqrt(d_k) or 1, bias
//! is ALiBi or 0), `logits = scaled / T` with masked entries `-inf`,
//! `weights = softmax_rows(logits)`, `output = weights v`.
//! Then `concat = [out_0 | out_1 | ...]` and `output = concat w_o` (or concat).

use crate::error::{dims, ensure_finite};
use crate::position::{add_learned, alibi_bias, alibi_slopes, rope_rotate, sinusoidal};
use crate::{softmax_rows, AttnError, Mat, MultiHeadWeights, Position};

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
        let scores = &q * k.transpose();
        let mut scaled = &scores * c;
        if cfg.position == Position::Alibi {
            let slope = slopes.get(h).copied().unwrap_or(0.0);
            scaled += alibi_bias(n, slope);
        }
        let mut logits = &scaled / t;
        for (name, m) in [("q", &q), ("k", &k), ("v", &v), ("logits", &logits)] {
            ensure_finite(&format!("heads[{h}].{name}"), m)?;
        }
        if cfg.mask == Mask::Causal {
            mask_future(&mut logits);
        }
        let w = softmax_rows(&logits)?;
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
