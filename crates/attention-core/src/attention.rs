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
//!
//! [`attention_scores`] (up to `scaled`) and [`attention_softmax`] (from the
//! temperature and the mask on) are the two halves of [`attention_trace`],
//! for a view that changes only the temperature or the mask: it reruns the
//! second half alone, with the same numbers to the bit.

use crate::error::{dims, ensure_finite};
use crate::position::{add_learned, alibi_slopes, rope_rotate, sinusoidal};
use crate::softmax::{lanes, softmax_rows_with_max, thin_product};
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

/// The part of one head's trace that the temperature and the mask do not
/// change (n = number of positions): what [`attention_scores`] keeps.
#[derive(Clone, Debug, PartialEq)]
pub struct HeadScores {
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
}

/// The rest of one head's trace, from the temperature and the mask on:
/// what [`attention_softmax`] computes.
#[derive(Clone, Debug, PartialEq)]
pub struct HeadSoftmax {
    /// `scaled / T`, `n x n`; masked entries are `f64::NEG_INFINITY`.
    pub logits: Mat,
    /// Row softmax of `logits`, `n x n`; masked entries exactly 0.
    pub weights: Mat,
    /// `weights v`, `n x d_v`.
    pub output: Mat,
}

/// Every intermediate before the temperature and the mask (see
/// [`attention_scores`]): a trace's first half.
#[derive(Clone, Debug, PartialEq)]
pub struct Scored {
    /// Input after the positional encoding, `n x d_model`.
    pub x: Mat,
    /// One per head.
    pub heads: Vec<HeadScores>,
    /// The factor c: `1/sqrt(d_k)` when scaling, else 1.
    pub scale_factor: f64,
}

/// Every intermediate from the temperature and the mask on (see
/// [`attention_softmax`]): a trace's second half.
#[derive(Clone, Debug, PartialEq)]
pub struct Softened {
    /// One per head.
    pub heads: Vec<HeadSoftmax>,
    /// Head outputs side by side, `n x (H * d_v)`.
    pub concat: Mat,
    /// `concat w_o` (`n x d_out`) or `concat` when there is no `w_o`.
    pub output: Mat,
}

impl HeadTrace {
    /// One head's trace from its two halves (moved, not copied).
    fn join(a: HeadScores, b: HeadSoftmax) -> HeadTrace {
        HeadTrace {
            q: a.q,
            k: a.k,
            v: a.v,
            scores: a.scores,
            scaled: a.scaled,
            logits: b.logits,
            weights: b.weights,
            output: b.output,
        }
    }
}

impl Trace {
    /// The whole trace from its two halves (moved, not copied).
    pub fn from_parts(scored: Scored, softened: Softened) -> Trace {
        let heads = scored
            .heads
            .into_iter()
            .zip(softened.heads)
            .map(|(a, b)| HeadTrace::join(a, b))
            .collect();
        Trace {
            x: scored.x,
            heads,
            concat: softened.concat,
            output: softened.output,
            scale_factor: scored.scale_factor,
        }
    }
}

/// Runs attention on `x` (`n x d_model`) with `weights` (see
/// [`MultiHeadWeights`]) and returns every intermediate (see [`Trace`]).
///
/// Validates everything first: empty `x`, non-finite `x` or weights,
/// mismatched shapes, temperature not finite or <= 0, odd `d_k` with RoPE, a
/// learned table that is too short. Also errs if a result overflows to a
/// non-finite value. Errors name the field and shape.
///
/// The same numbers, to the bit, as [`attention_scores`] followed by
/// [`attention_softmax`] (which let a temperature or mask change reuse the
/// first half).
pub fn attention_trace(
    x: &Mat,
    weights: &MultiHeadWeights,
    cfg: &AttentionConfig,
) -> Result<Trace, AttnError> {
    let (x, c) = prepare(x, weights, cfg, true)?;
    let slopes = alibi_slopes(weights.heads.len());
    let causal = cfg.mask == Mask::Causal;
    let mut heads = Vec::with_capacity(weights.heads.len());
    // Head by head, both halves: an error names the first head that has one.
    for (h, hw) in weights.heads.iter().enumerate() {
        let a = head_scores(h, &x, hw, c, cfg, &slopes)?;
        let b = head_softmax(h, &a, cfg.temperature, causal)?;
        heads.push(HeadTrace::join(a, b));
    }
    let outs: Vec<&Mat> = heads.iter().map(|h| &h.output).collect();
    let (concat, output) = combine(&outs, x.nrows(), weights.w_o.as_ref())?;
    Ok(Trace {
        x,
        heads,
        concat,
        output,
        scale_factor: c,
    })
}

/// The first half of [`attention_trace`]: `x` after the position encoding
/// and, per head, `q`, `k`, `v` (`n x d_k`, `n x d_k`, `n x d_v`),
/// `scores` and `scaled` (`n x n`), which depend on `cfg.scale` and
/// `cfg.position` only: `cfg.temperature` and `cfg.mask` are not read
/// (they are [`attention_softmax`]'s). Validates as [`attention_trace`]
/// does, but for the temperature.
pub fn attention_scores(
    x: &Mat,
    weights: &MultiHeadWeights,
    cfg: &AttentionConfig,
) -> Result<Scored, AttnError> {
    let (x, c) = prepare(x, weights, cfg, false)?;
    let slopes = alibi_slopes(weights.heads.len());
    let heads = weights
        .heads
        .iter()
        .enumerate()
        .map(|(h, hw)| head_scores(h, &x, hw, c, cfg, &slopes))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Scored {
        x,
        heads,
        scale_factor: c,
    })
}

/// The second half of [`attention_trace`], from `scored` (of
/// [`attention_scores`]) with temperature `temperature` and `mask`: per head
/// `logits`, `weights` (`n x n`) and `output` (`n x d_v`), then `concat`
/// (`n x (H * d_v)`) and `concat w_o` (`w_o` is `(H * d_v) x d_out`, the
/// `w_o` of the weights `scored` came from; `None`: the output is the
/// concat). Errs on a temperature not finite or <= 0, a `scored` with no
/// head or with inconsistent shapes, a `w_o` of the wrong height, and a
/// result that overflows.
pub fn attention_softmax(
    scored: &Scored,
    w_o: Option<&Mat>,
    temperature: f64,
    mask: Mask,
) -> Result<Softened, AttnError> {
    check_temperature(temperature)?;
    let n = scored.x.nrows();
    if scored.heads.is_empty() {
        return Err(AttnError::shape("heads", "at least 1 head", "0 heads"));
    }
    for (h, s) in scored.heads.iter().enumerate() {
        for (name, m) in [("scaled", &s.scaled), ("v", &s.v)] {
            if m.nrows() != n || (name == "scaled" && m.ncols() != n) {
                let want = if name == "scaled" {
                    format!("{n} x {n}")
                } else {
                    format!("{n} x d_v")
                };
                return Err(AttnError::shape(
                    format!("heads[{h}].{name}"),
                    want,
                    dims(m),
                ));
            }
        }
    }
    let causal = mask == Mask::Causal;
    let heads = scored
        .heads
        .iter()
        .enumerate()
        .map(|(h, s)| head_softmax(h, s, temperature, causal))
        .collect::<Result<Vec<_>, _>>()?;
    let total: usize = heads.iter().map(|h| h.output.ncols()).sum();
    if let Some(w_o) = w_o {
        if w_o.nrows() != total {
            return Err(AttnError::shape(
                "w_o",
                format!("{total} x d_out"),
                dims(w_o),
            ));
        }
    }
    let outs: Vec<&Mat> = heads.iter().map(|h| &h.output).collect();
    let (concat, output) = combine(&outs, n, w_o)?;
    Ok(Softened {
        heads,
        concat,
        output,
    })
}

/// Checks `x` and `weights` (the temperature too when `check_t`, and
/// RoPE's even d_k) and returns `x` after the position encoding with the
/// scale factor c.
fn prepare(
    x: &Mat,
    weights: &MultiHeadWeights,
    cfg: &AttentionConfig,
    check_t: bool,
) -> Result<(Mat, f64), AttnError> {
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
    if check_t {
        check_temperature(cfg.temperature)?;
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
    Ok((x, c))
}

/// Err unless the temperature is finite and > 0.
fn check_temperature(t: f64) -> Result<(), AttnError> {
    if !t.is_finite() || t <= 0.0 {
        return Err(AttnError::value(
            "temperature",
            format!("must be finite and > 0, got {t}"),
        ));
    }
    Ok(())
}

/// Head `h`'s first half on `x` (after the position encoding).
fn head_scores(
    h: usize,
    x: &Mat,
    hw: &crate::HeadWeights,
    c: f64,
    cfg: &AttentionConfig,
    slopes: &[f64],
) -> Result<HeadScores, AttnError> {
    let mut q = x * &hw.w_q;
    let mut k = x * &hw.w_k;
    let v = x * &hw.w_v;
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
    let (scores, scaled) = head_scaled(&q, &k, c, slope);
    Ok(HeadScores {
        q,
        k,
        v,
        scores,
        scaled,
    })
}

/// Head `h`'s second half from its first (`t` finite and > 0).
fn head_softmax(h: usize, s: &HeadScores, t: f64, causal: bool) -> Result<HeadSoftmax, AttnError> {
    let (logits, max, finite) = head_logits(&s.scaled, t, causal);
    if !finite {
        // Name the first logit that overflowed (before masking).
        ensure_finite(&format!("heads[{h}].logits"), &(&s.scaled / t))?;
    }
    // Every row keeps its diagonal entry, so its maximum is finite.
    let weights = softmax_rows_with_max(&logits, &max);
    let output = thin_product(&weights, &s.v);
    ensure_finite(&format!("heads[{h}].output"), &output)?;
    Ok(HeadSoftmax {
        logits,
        weights,
        output,
    })
}

/// The concat of the heads' `n x d_v` outputs and `concat w_o` (or the
/// concat), checked finite.
fn combine(outs: &[&Mat], n: usize, w_o: Option<&Mat>) -> Result<(Mat, Mat), AttnError> {
    let concat = hconcat(outs, n);
    let output = match w_o {
        Some(w_o) => &concat * w_o,
        None => concat.clone(),
    };
    ensure_finite("output", &output)?;
    Ok((concat, output))
}

/// The `n_q x n_kv` scores of one head from `q` (`n_q x d_k`) and `k`
/// (`n_kv x d_k`): `scores = q k^T` and `scaled = c * scores + bias` (bias
/// `-slope * |i - j|` when `slope` is given, else none).
///
/// `scores` is one matrix product; `scaled` is then appended to its storage
/// (column-major) one column (one key) at a time, with no temporaries.
fn head_scaled(q: &Mat, k: &Mat, c: f64, slope: Option<f64>) -> (Mat, Mat) {
    let (n_q, n_kv) = (q.nrows(), k.nrows());
    let len = n_q * n_kv;
    let mut scores = Mat::from_vec(n_q, n_kv, vec![0.0; len]);
    scores.gemm(1.0, q, &k.transpose(), 0.0);
    let mut scaled = Vec::with_capacity(len);
    for (j, col_s) in scores.as_slice().chunks_exact(n_q.max(1)).enumerate() {
        match slope {
            Some(slope) => scaled.extend(
                col_s
                    .iter()
                    .enumerate()
                    .map(|(i, &s)| s * c + -slope * i.abs_diff(j) as f64),
            ),
            None => scaled.extend(col_s.iter().map(|&s| s * c)),
        }
    }
    (scores, Mat::from_vec(n_q, n_kv, scaled))
}

/// `logits = scaled / t` of an `n_q x n_kv` matrix, with `-inf` at `j > i`
/// when `causal`; then the maximum of each row of `logits` over its
/// unmasked entries (`n_q` values) and whether every logit (before masking)
/// is finite.
///
/// `logits` is written to its storage (column-major) one column (one key)
/// at a time, the new column still in cache when it is masked and searched
/// for the maxima: written once, with no temporaries, by the loops of
/// `softmax::lanes` (two entries at a time with wasm SIMD).
fn head_logits(scaled: &Mat, t: f64, causal: bool) -> (Mat, Vec<f64>, bool) {
    let (n_q, n_kv) = scaled.shape();
    let mut logits = vec![0.0; n_q * n_kv];
    let mut max = vec![f64::NEG_INFINITY; n_q];
    let mut finite = true;
    // Dividing by a power of two is multiplying by its exact inverse: the
    // same result, without the (slow) division. T = 1 is the usual case.
    let inv_t = (t.to_bits() & ((1 << 52) - 1) == 0 && t.is_normal()).then(|| 1.0 / t);
    for (j, (col_c, col_l)) in scaled
        .as_slice()
        .chunks_exact(n_q.max(1))
        .zip(logits.chunks_exact_mut(n_q.max(1)))
        .enumerate()
    {
        finite &= lanes::scale_column(col_c, t, inv_t, col_l);
        // Rows i < j (a query before key j) are masked when causal.
        let (masked, kept) = col_l.split_at_mut(if causal { j.min(n_q) } else { 0 });
        masked.fill(f64::NEG_INFINITY);
        lanes::raise_max(kept, max.get_mut(masked.len()..).unwrap_or_default());
    }
    (Mat::from_vec(n_q, n_kv, logits), max, finite)
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

    /// Every positional scheme, both masks, scaled or not.
    fn configs() -> Vec<AttentionConfig> {
        let mut out = Vec::new();
        for position in [
            Position::None,
            Position::Sinusoidal,
            Position::Rope,
            Position::Alibi,
            Position::Learned(crate::learned_table(9, 6, 4)),
        ] {
            for mask in [Mask::None, Mask::Causal] {
                for (scale, temperature) in [(true, 1.0), (false, 0.7), (true, 3.0)] {
                    out.push(AttentionConfig {
                        scale,
                        temperature,
                        mask,
                        position: position.clone(),
                    });
                }
            }
        }
        out
    }

    #[test]
    fn the_two_halves_make_the_whole_trace_to_the_bit() {
        let w = MultiHeadWeights::random(6, 3, 4, 3, 5, 11).unwrap();
        let no_wo = MultiHeadWeights {
            w_o: None,
            ..w.clone()
        };
        let x = crate::Rng::new(5).normal_matrix(7, 6, 1.5);
        for cfg in configs() {
            for weights in [&w, &no_wo] {
                let whole = attention_trace(&x, weights, &cfg).unwrap();
                let scored = attention_scores(&x, weights, &cfg).unwrap();
                let soft =
                    attention_softmax(&scored, weights.w_o.as_ref(), cfg.temperature, cfg.mask)
                        .unwrap();
                assert_eq!(Trace::from_parts(scored, soft), whole, "{cfg:?}");
            }
        }
    }

    #[test]
    fn one_first_half_serves_every_temperature_and_mask() {
        // What a temperature drag does: the first half is computed once,
        // the second half again for each temperature and mask.
        let w = MultiHeadWeights::random(8, 2, 4, 4, 8, 3).unwrap();
        let x = crate::Rng::new(9).normal_matrix(12, 8, 1.0);
        for position in [Position::None, Position::Alibi] {
            let base = AttentionConfig {
                position,
                ..AttentionConfig::default()
            };
            // The first half does not read the temperature or the mask.
            let scored = attention_scores(
                &x,
                &w,
                &AttentionConfig {
                    temperature: f64::NAN,
                    mask: Mask::Causal,
                    ..base.clone()
                },
            )
            .unwrap();
            for t in [0.05, 0.5, 1.0, 2.0, 20.0] {
                for mask in [Mask::None, Mask::Causal] {
                    let cfg = AttentionConfig {
                        temperature: t,
                        mask,
                        ..base.clone()
                    };
                    let soft = attention_softmax(&scored, w.w_o.as_ref(), t, mask).unwrap();
                    let whole = attention_trace(&x, &w, &cfg).unwrap();
                    assert_eq!(Trace::from_parts(scored.clone(), soft), whole, "{cfg:?}");
                }
            }
        }
    }

    #[test]
    fn the_second_half_refuses_bad_input_with_a_named_field() {
        let w = MultiHeadWeights::random(4, 2, 2, 3, 4, 1).unwrap();
        let x = crate::Rng::new(1).normal_matrix(5, 4, 1.0);
        let scored = attention_scores(&x, &w, &AttentionConfig::default()).unwrap();
        let field = |r: Result<Softened, AttnError>| r.unwrap_err().field().to_string();
        for t in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                field(attention_softmax(&scored, w.w_o.as_ref(), t, Mask::None)),
                "temperature"
            );
        }
        // w_o must take the 2 x 3 concatenated values.
        let short = Mat::zeros(5, 4);
        assert_eq!(
            field(attention_softmax(&scored, Some(&short), 1.0, Mask::None)),
            "w_o"
        );
        let none = Scored {
            heads: Vec::new(),
            ..scored.clone()
        };
        assert_eq!(
            field(attention_softmax(&none, None, 1.0, Mask::None)),
            "heads"
        );
        let mut odd = scored.clone();
        odd.heads[1].scaled = Mat::zeros(5, 4);
        assert_eq!(
            field(attention_softmax(&odd, w.w_o.as_ref(), 1.0, Mask::None)),
            "heads[1].scaled"
        );
        let mut odd = scored.clone();
        odd.heads[0].v = Mat::zeros(4, 3);
        assert_eq!(
            field(attention_softmax(&odd, None, 1.0, Mask::None)),
            "heads[0].v"
        );
        // An overflow (scores near 1 over a subnormal T) is named as the
        // whole trace names it.
        let t = 1e-310;
        let whole = attention_trace(
            &x,
            &w,
            &AttentionConfig {
                temperature: t,
                ..AttentionConfig::default()
            },
        )
        .unwrap_err();
        let half = attention_softmax(&scored, w.w_o.as_ref(), t, Mask::None).unwrap_err();
        assert_eq!(half, whole);
        assert!(half.field().starts_with("heads[0].logits["), "{half}");
    }
}
