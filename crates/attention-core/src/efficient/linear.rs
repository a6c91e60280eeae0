//! Linear attention (Katharopoulos et al. 2020).
//!
//! Replace `exp(q . k)` by `phi(q) . phi(k)` with the positive feature map
//! `phi(x) = elu(x) + 1` (`x + 1` for `x > 0`, `exp(x)` otherwise). Then
//! `out_i = phi(q_i) S / (phi(q_i) . z)` with the `d_k x d_v` summary
//! `S = sum_j phi(k_j)^T v_j` and the normaliser `z = sum_j phi(k_j)`: no
//! `n x n` matrix, `O(n d_k d_v)` work. With a causal mask the sums run over
//! `j <= i` (prefix sums, still `O(n d_k d_v)`).

use super::{dense_attention, difference, validate_qkv, Difference};
use crate::error::ensure_finite;
use crate::{AttnError, Mat};

/// `phi(x) = elu(x) + 1` for one number: `x + 1` if `x > 0`, else `exp(x)`;
/// always > 0 (or 0 after underflow for `x` below about -745).
pub fn phi(x: f64) -> f64 {
    if x > 0.0 {
        x + 1.0
    } else {
        x.exp()
    }
}

/// How many numbers linear attention holds instead of the `n x n` matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SummarySize {
    /// The summary `S`: `d_k * d_v`.
    pub summary: usize,
    /// The normaliser `z`: `d_k`.
    pub normaliser: usize,
    /// `summary + normaliser`.
    pub total: usize,
    /// What the quadratic form holds for comparison: `n * n`.
    pub quadratic: usize,
}

/// Result of [`linear_attention`].
#[derive(Clone, Debug, PartialEq)]
pub struct LinearAttention {
    /// `phi(q)`, `n x d_k`.
    pub phi_q: Mat,
    /// `phi(k)`, `n x d_k`.
    pub phi_k: Mat,
    /// The final summary `S = sum_j phi(k_j)^T v_j`, `d_k x d_v` (causal: the
    /// prefix sum after the last position, which is the same sum).
    pub summary: Mat,
    /// The final normaliser `z = sum_j phi(k_j)`, length `d_k`.
    pub normaliser: Vec<f64>,
    /// Per query the denominator `phi(q_i) . z_i`, length `n`.
    pub denominators: Vec<f64>,
    /// The output, `n x d_v`.
    pub output: Mat,
    /// Numbers held by the summary (see [`SummarySize`]).
    pub size: SummarySize,
}

/// Result of [`linear_attention_quadratic`].
#[derive(Clone, Debug, PartialEq)]
pub struct LinearQuadratic {
    /// `A = phi(q) phi(k)^T`, `n x n`; masked entries (`j > i`) are 0.
    pub scores: Mat,
    /// `A` with rows normalised to sum 1: the weights linear attention
    /// implies, `n x n`.
    pub weights: Mat,
    /// `weights v`, `n x d_v`.
    pub output: Mat,
}

/// Linear attention vs softmax attention on the same inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearVsSoftmax {
    /// The linear attention output (`n x d_v`), from the quadratic form.
    pub linear_output: Mat,
    /// The softmax (dense) output, `n x d_v`.
    pub softmax_output: Mat,
    /// Implied linear weights, `n x n`.
    pub linear_weights: Mat,
    /// Softmax weights, `n x n`.
    pub softmax_weights: Mat,
    /// `|linear - softmax|` over the outputs.
    pub output_diff: Difference,
    /// `|linear - softmax|` over the weights.
    pub weights_diff: Difference,
}

/// `phi` applied to every entry.
fn phi_matrix(m: &Mat) -> Mat {
    m.map(phi)
}

/// Linear attention of `q`, `k` (`n x d_k`) and `v` (`n x d_v`) without any
/// `n x n` matrix: non-causal `phi(q) (phi(k)^T v)` row-normalised by
/// `phi(q_i) . sum_j phi(k_j)`; causal with prefix sums `S_i`, `z_i` over
/// `j <= i`. Returns the output (`n x d_v`), the feature maps, the final
/// summary (`d_k x d_v`) and normaliser (`d_k`), the denominators (`n`) and
/// the [`SummarySize`]. Err on bad shapes, non-finite inputs, a zero
/// denominator (every `phi` underflowed) or an overflowing result.
pub fn linear_attention(
    q: &Mat,
    k: &Mat,
    v: &Mat,
    causal: bool,
) -> Result<LinearAttention, AttnError> {
    let (n, d_k, d_v) = validate_qkv(q, k, v)?;
    let phi_q = phi_matrix(q);
    let phi_k = phi_matrix(k);
    let mut output = Mat::zeros(n, d_v);
    let mut denominators = Vec::with_capacity(n);
    let (summary, normaliser) = if causal {
        let mut s = Mat::zeros(d_k, d_v);
        let mut z = Mat::zeros(1, d_k);
        for (i, mut out_row) in output.row_iter_mut().enumerate() {
            let pk = phi_k.row(i);
            // S += phi(k_i)^T v_i, z += phi(k_i).
            s.ger(1.0, &pk.transpose(), &v.row(i).transpose(), 1.0);
            z += pk;
            let pq = phi_q.row(i);
            let den = pq.dot(&z);
            out_row.copy_from(&((pq * &s) / den));
            denominators.push(den);
        }
        (s, z)
    } else {
        let s = phi_k.transpose() * v;
        let z = Mat::from_iterator(1, d_k, phi_k.column_iter().map(|c| c.sum()));
        for (i, mut out_row) in output.row_iter_mut().enumerate() {
            let pq = phi_q.row(i);
            let den = pq.dot(&z);
            out_row.copy_from(&((pq * &s) / den));
            denominators.push(den);
        }
        (s, z)
    };
    if let Some((i, d)) = denominators
        .iter()
        .enumerate()
        .find(|(_, d)| !(**d > 0.0 && d.is_finite()))
    {
        return Err(AttnError::value(
            format!("denominators[{i}]"),
            format!("is {d}; phi(q_i) . z must be finite and > 0"),
        ));
    }
    ensure_finite("output", &output)?;
    let size = SummarySize {
        summary: d_k * d_v,
        normaliser: d_k,
        total: d_k * d_v + d_k,
        quadratic: n * n,
    };
    Ok(LinearAttention {
        phi_q,
        phi_k,
        summary,
        normaliser: normaliser.iter().copied().collect(),
        denominators,
        output,
        size,
    })
}

/// The same linear attention the slow way, for checking and for showing the
/// implied weights: `A = phi(q) phi(k)^T` (`n x n`, entries `j > i` set to 0
/// when `causal`), rows normalised to sum 1, times `v`. Returns `A`, the
/// weights (`n x n`) and the output (`n x d_v`). Err as
/// [`linear_attention`].
pub fn linear_attention_quadratic(
    q: &Mat,
    k: &Mat,
    v: &Mat,
    causal: bool,
) -> Result<LinearQuadratic, AttnError> {
    validate_qkv(q, k, v)?;
    let mut scores = phi_matrix(q) * phi_matrix(k).transpose();
    if causal {
        for (j, mut col) in scores.column_iter_mut().enumerate() {
            for a in col.iter_mut().take(j) {
                *a = 0.0;
            }
        }
    }
    ensure_finite("scores", &scores)?;
    let mut weights = scores.clone();
    for (i, mut row) in weights.row_iter_mut().enumerate() {
        let sum = row.sum();
        if !(sum > 0.0 && sum.is_finite()) {
            return Err(AttnError::value(
                format!("scores[{i}]"),
                format!("row sum is {sum}; it must be finite and > 0"),
            ));
        }
        row /= sum;
    }
    let output = &weights * v;
    ensure_finite("output", &output)?;
    Ok(LinearQuadratic {
        scores,
        weights,
        output,
    })
}

/// How far linear attention is from softmax attention on the same `q`, `k`
/// (`n x d_k`), `v` (`n x d_v`) and mask (`scale` applies to the softmax
/// side only; linear attention has no scale): both outputs (`n x d_v`), both
/// weight matrices (`n x n`) and the max/mean absolute differences. Err as
/// [`linear_attention`] or [`dense_attention`].
pub fn linear_vs_softmax(
    q: &Mat,
    k: &Mat,
    v: &Mat,
    causal: bool,
    scale: bool,
) -> Result<LinearVsSoftmax, AttnError> {
    let lin = linear_attention_quadratic(q, k, v, causal)?;
    let soft = dense_attention(q, k, v, causal, scale)?;
    let output_diff = difference(&lin.output, &soft.output)?;
    let weights_diff = difference(&lin.weights, &soft.weights)?;
    Ok(LinearVsSoftmax {
        linear_output: lin.output,
        softmax_output: soft.output,
        linear_weights: lin.weights,
        softmax_weights: soft.weights,
        output_diff,
        weights_diff,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phi_is_elu_plus_one() {
        assert_eq!(phi(2.0), 3.0);
        assert_eq!(phi(0.0), 1.0);
        assert!((phi(-1.0) - (-1f64).exp()).abs() < 1e-16);
        assert!(phi(-50.0) > 0.0);
    }

    #[test]
    fn hand_worked_two_positions() {
        // d_k = d_v = 1: phi(q) = (2, 1), phi(k) = (1, 3), v = (10, 20).
        let q = Mat::from_row_slice(2, 1, &[1.0, 0.0]);
        let k = Mat::from_row_slice(2, 1, &[0.0, 2.0]);
        let v = Mat::from_row_slice(2, 1, &[10.0, 20.0]);
        // Non-causal: every row (1*10 + 3*20) / 4 = 17.5.
        let r = linear_attention(&q, &k, &v, false).unwrap();
        assert!((r.output[(0, 0)] - 17.5).abs() < 1e-14);
        assert!((r.output[(1, 0)] - 17.5).abs() < 1e-14);
        assert_eq!(r.size.total, 2);
        // Causal: row 0 sees only key 0 -> 10; row 1 -> 17.5.
        let r = linear_attention(&q, &k, &v, true).unwrap();
        assert!((r.output[(0, 0)] - 10.0).abs() < 1e-14);
        assert!((r.output[(1, 0)] - 17.5).abs() < 1e-14);
        assert_eq!(r.denominators, vec![2.0, 4.0]);
    }
}
