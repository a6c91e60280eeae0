//! Measurements of attention rows, used by the "why divide by sqrt(d_k)"
//! chapter: entropy, peak weight, the softmax Jacobian and its size, and the
//! spread of random dot products.

use crate::{Mat, Rng};

/// Shannon entropy in bits, `-sum p log2 p`, with `0 log 0 = 0`.
/// `p` is one attention row (length n).
pub fn entropy_bits(p: &[f64]) -> f64 {
    -p.iter()
        .filter(|&&v| v > 0.0)
        .map(|&v| v * v.log2())
        .sum::<f64>()
}

/// The largest entry of `p` (length n); 0 for an empty slice.
pub fn max_weight(p: &[f64]) -> f64 {
    p.iter()
        .copied()
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
        .unwrap_or(0.0)
}

/// Jacobian of softmax at output `p` (length n): the `n x n` matrix
/// `diag(p) - p p^T`.
pub fn softmax_jacobian(p: &[f64]) -> Mat {
    let n = p.len();
    Mat::from_fn(n, n, |i, j| {
        let (a, b) = (
            p.get(i).copied().unwrap_or(0.0),
            p.get(j).copied().unwrap_or(0.0),
        );
        if i == j {
            a - a * b
        } else {
            -a * b
        }
    })
}

/// Frobenius norm of [`softmax_jacobian`]`(p)`: near 0 when `p` is one-hot
/// (saturated softmax, vanishing gradient).
///
/// Computed in O(n) without building the matrix: with `s2 = Σ p_i²` and
/// `s3 = Σ p_i³`, `‖diag(p) − p pᵀ‖²_F = s2 − 2·s3 + s2²`
/// (diagonal `(p_i − p_i²)²`, off-diagonal `p_i² p_j²`).
pub fn jacobian_norm(p: &[f64]) -> f64 {
    let s2: f64 = p.iter().map(|x| x * x).sum();
    let s3: f64 = p.iter().map(|x| x * x * x).sum();
    (s2 - 2.0 * s3 + s2 * s2).max(0.0).sqrt()
}

/// Population variance of `values`; 0 for an empty slice.
pub fn variance(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n
}

/// Summary of one attention row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RowStats {
    /// [`entropy_bits`] of the row.
    pub entropy_bits: f64,
    /// [`max_weight`] of the row.
    pub max_weight: f64,
    /// [`jacobian_norm`] of the row.
    pub jacobian_norm: f64,
}

/// [`RowStats`] for each row of an `n x m` weights matrix (n entries).
pub fn row_stats(weights: &Mat) -> Vec<RowStats> {
    weights
        .row_iter()
        .map(|r| {
            let p: Vec<f64> = r.iter().copied().collect();
            RowStats {
                entropy_bits: entropy_bits(&p),
                max_weight: max_weight(&p),
                jacobian_norm: jacobian_norm(&p),
            }
        })
        .collect()
}

/// `samples` dot products `c * (q . k)` of independent random vectors of
/// length `d_k` with `N(0, 1)` entries, where `c = 1/sqrt(d_k)` if `scale`
/// else 1. Their variance is about 1 when scaled and about `d_k` when not.
pub fn dot_product_samples(d_k: usize, samples: usize, scale: bool, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let c = if scale && d_k > 0 {
        1.0 / (d_k as f64).sqrt()
    } else {
        1.0
    };
    (0..samples)
        .map(|_| c * (0..d_k).map(|_| rng.normal() * rng.normal()).sum::<f64>())
        .collect()
}

#[cfg(test)]
mod closed_form_tests {
    use super::*;

    #[test]
    fn jacobian_norm_matches_the_explicit_matrix() {
        let mut rng = Rng::new(3);
        for n in [1_usize, 2, 3, 7, 64] {
            for _ in 0..20 {
                let raw: Vec<f64> = (0..n).map(|_| rng.normal() * 3.0).collect();
                let p = crate::softmax(&raw).expect("finite");
                let explicit = softmax_jacobian(&p).norm();
                assert!((jacobian_norm(&p) - explicit).abs() < 1e-12, "n={n}");
            }
        }
        assert_eq!(jacobian_norm(&[1.0, 0.0, 0.0]), 0.0);
        // Uniform over 2: diag(.5) - .25 => entries ±.25, norm = sqrt(4 * .0625) = .5
        assert!((jacobian_norm(&[0.5, 0.5]) - 0.5).abs() < 1e-15);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_values() {
        assert_eq!(entropy_bits(&[0.5, 0.5]), 1.0);
        assert_eq!(entropy_bits(&[1.0, 0.0]), 0.0);
        assert_eq!(entropy_bits(&[0.25; 4]), 2.0);
        assert_eq!(max_weight(&[0.2, 0.7, 0.1]), 0.7);
        assert_eq!(max_weight(&[]), 0.0);
        // p = (1/2, 1/2): J = [[1/4, -1/4], [-1/4, 1/4]], Frobenius = sqrt(4/16) = 1/2
        let j = softmax_jacobian(&[0.5, 0.5]);
        assert_eq!(j, Mat::from_row_slice(2, 2, &[0.25, -0.25, -0.25, 0.25]));
        assert_eq!(jacobian_norm(&[0.5, 0.5]), 0.5);
        assert_eq!(jacobian_norm(&[1.0, 0.0]), 0.0);
        assert_eq!(variance(&[1.0, 3.0]), 1.0);
        assert_eq!(variance(&[]), 0.0);
        let s = row_stats(&Mat::from_row_slice(2, 2, &[0.5, 0.5, 1.0, 0.0]));
        assert_eq!(s[0].entropy_bits, 1.0);
        assert_eq!(s[1].max_weight, 1.0);
    }
}
