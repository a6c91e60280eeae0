//! The "why divide by sqrt(d_k)" experiments: random unit-variance queries
//! and keys, their dot products with and without the 1/sqrt(d_k) factor, and
//! what that does to one softmax row (entropy, peak weight, Jacobian norm).
//!
//! Everything is seeded: the same arguments always give the same numbers.

use crate::stats::{entropy_bits, jacobian_norm, max_weight, variance};
use crate::{softmax, AttnError, Rng};

/// Largest d_k the experiments accept (keeps every call fast and bounded).
pub const MAX_D_K: usize = 4096;
/// Most keys one query may attend over.
pub const MAX_KEYS: usize = 512;
/// Most samples one call may draw.
pub const MAX_SAMPLES: usize = 200_000;

fn check(d_k: usize, n_keys: usize, temperature: f64) -> Result<(), AttnError> {
    if d_k == 0 || d_k > MAX_D_K {
        return Err(AttnError::value(
            "d_k",
            format!("must be in 1..={MAX_D_K}, got {d_k}"),
        ));
    }
    if n_keys == 0 || n_keys > MAX_KEYS {
        return Err(AttnError::value(
            "n_keys",
            format!("must be in 1..={MAX_KEYS}, got {n_keys}"),
        ));
    }
    if !(temperature.is_finite() && temperature > 0.0) {
        return Err(AttnError::value(
            "temperature",
            format!("must be finite and > 0, got {temperature}"),
        ));
    }
    Ok(())
}

/// The factor applied to dot products: `1/sqrt(d_k)` when scaling, else 1.
pub fn scale_factor(d_k: usize, scale: bool) -> f64 {
    if scale && d_k > 0 {
        1.0 / (d_k as f64).sqrt()
    } else {
        1.0
    }
}

/// What a softmax row looks like for one measurement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RowSummary {
    /// Entropy of the weights in bits (at most log2 n).
    pub entropy_bits: f64,
    /// Largest weight.
    pub max_weight: f64,
    /// Frobenius norm of the softmax Jacobian: how much gradient can flow.
    pub jacobian_norm: f64,
}

impl RowSummary {
    fn of(p: &[f64]) -> Self {
        RowSummary {
            entropy_bits: entropy_bits(p),
            max_weight: max_weight(p),
            jacobian_norm: jacobian_norm(p),
        }
    }
}

/// One query attending over `n_keys` keys.
#[derive(Clone, Debug, PartialEq)]
pub struct SingleQuery {
    /// Raw dot products `q . k_j` (length n_keys).
    pub raw: Vec<f64>,
    /// Logits `c * (q . k_j) / T` (length n_keys).
    pub logits: Vec<f64>,
    /// Softmax of the logits (length n_keys).
    pub weights: Vec<f64>,
    pub summary: RowSummary,
}

/// Draws a query `q` (length d_k) and keys `K` (n_keys x d_k) with N(0, 1)
/// entries from `seed`, and returns the row of scores, logits and weights.
/// The same seed gives the same `q` and `K` whether or not `scale` is on, so
/// toggling the scaling compares like with like.
pub fn single_query(
    d_k: usize,
    n_keys: usize,
    scale: bool,
    temperature: f64,
    seed: u64,
) -> Result<SingleQuery, AttnError> {
    check(d_k, n_keys, temperature)?;
    let mut rng = Rng::new(seed);
    let q: Vec<f64> = (0..d_k).map(|_| rng.normal()).collect();
    let raw: Vec<f64> = (0..n_keys)
        .map(|_| q.iter().map(|qi| qi * rng.normal()).sum())
        .collect();
    let c = scale_factor(d_k, scale) / temperature;
    let logits: Vec<f64> = raw.iter().map(|r| r * c).collect();
    let weights = softmax(&logits)?;
    let summary = RowSummary::of(&weights);
    Ok(SingleQuery {
        raw,
        logits,
        weights,
        summary,
    })
}

/// Averages over many random rows at one d_k, scaled and unscaled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SweepPoint {
    pub d_k: usize,
    pub scaled: RowSummary,
    pub unscaled: RowSummary,
    /// Measured variance of the raw dot products (theory: d_k).
    pub raw_variance: f64,
}

/// Raw dot-product rows drawn once per seed, so that moving the temperature
/// only re-runs the cheap softmax part ([`summarize`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSamples {
    /// For each d_k: `samples` rows of `n_keys` raw scores `q . k_j`.
    pub rows: Vec<(usize, Vec<Vec<f64>>)>,
}

/// Draws, for each d_k in `d_ks`, `samples` independent queries against
/// `n_keys` keys (all entries N(0, 1)) and keeps the raw scores.
pub fn sample_sweep(
    d_ks: &[usize],
    n_keys: usize,
    samples: usize,
    seed: u64,
) -> Result<SweepSamples, AttnError> {
    if samples == 0 || samples.saturating_mul(n_keys) > MAX_SAMPLES {
        return Err(AttnError::value(
            "samples",
            format!("samples x n_keys must be in 1..={MAX_SAMPLES}, got {samples} x {n_keys}"),
        ));
    }
    let mut rows = Vec::with_capacity(d_ks.len());
    for (i, &d_k) in d_ks.iter().enumerate() {
        check(d_k, n_keys, 1.0)?;
        // Row seeds come out of a generator, not seed + s: SplitMix64 streams
        // whose seeds differ by multiples of its increment overlap.
        let mut seeder = Rng::new(seed ^ ((i as u64) << 32));
        let per_dk = (0..samples)
            .map(|_| single_query(d_k, n_keys, false, 1.0, seeder.next_u64()).map(|r| r.raw))
            .collect::<Result<Vec<_>, _>>()?;
        rows.push((d_k, per_dk));
    }
    Ok(SweepSamples { rows })
}

/// Entropy, peak weight and Jacobian norm averaged over the samples, with and
/// without scaling, at temperature `temperature`.
pub fn summarize(samples: &SweepSamples, temperature: f64) -> Result<Vec<SweepPoint>, AttnError> {
    let mut out = Vec::with_capacity(samples.rows.len());
    for (d_k, rows) in &samples.rows {
        let n = rows.len().max(1) as f64;
        let mut acc = [[0.0_f64; 3]; 2];
        for raw in rows {
            check(*d_k, raw.len(), temperature)?;
            for (a, scale) in acc.iter_mut().zip([true, false]) {
                let c = scale_factor(*d_k, scale) / temperature;
                let logits: Vec<f64> = raw.iter().map(|r| r * c).collect();
                let s = RowSummary::of(&softmax(&logits)?);
                a[0] += s.entropy_bits;
                a[1] += s.max_weight;
                a[2] += s.jacobian_norm;
            }
        }
        let avg = |a: [f64; 3]| RowSummary {
            entropy_bits: a[0] / n,
            max_weight: a[1] / n,
            jacobian_norm: a[2] / n,
        };
        let all: Vec<f64> = rows.iter().flatten().copied().collect();
        out.push(SweepPoint {
            d_k: *d_k,
            scaled: avg(acc[0]),
            unscaled: avg(acc[1]),
            raw_variance: variance(&all),
        });
    }
    Ok(out)
}

/// [`sample_sweep`] then [`summarize`].
pub fn sweep(
    d_ks: &[usize],
    n_keys: usize,
    samples: usize,
    temperature: f64,
    seed: u64,
) -> Result<Vec<SweepPoint>, AttnError> {
    summarize(&sample_sweep(d_ks, n_keys, samples, seed)?, temperature)
}

/// Raw scores `Q K^T` of random `n x d_k` matrices Q and K with N(0, 1)
/// entries: `n * n` dot products (row-major), the same computation attention
/// does, used for the histogram of raw vs scaled scores. Cost is
/// `2 n d_k` draws and `n^2 d_k` multiply-adds.
pub fn score_samples(d_k: usize, n: usize, seed: u64) -> Result<Vec<f64>, AttnError> {
    check(d_k, n, 1.0)?;
    let mut rng = Rng::new(seed);
    let q = rng.normal_matrix(n, d_k, 1.0);
    let k = rng.normal_matrix(n, d_k, 1.0);
    let s = q * k.transpose();
    // Row-major: the storage of the transpose is column-major.
    Ok(s.transpose().as_slice().to_vec())
}

/// Counts of `values` in `bins` equal bins over `[lo, hi]`; values outside
/// are counted in the first or last bin (so nothing disappears silently).
/// Non-finite values are skipped. Empty input or a bad range gives zeros.
pub fn histogram(values: &[f64], bins: usize, lo: f64, hi: f64) -> Vec<usize> {
    let mut counts = vec![0; bins];
    if bins == 0 || !(lo.is_finite() && hi.is_finite() && hi > lo) {
        return counts;
    }
    let width = (hi - lo) / bins as f64;
    for v in values.iter().filter(|v| v.is_finite()) {
        let i = (((v - lo) / width).floor().max(0.0) as usize).min(bins - 1);
        if let Some(c) = counts.get_mut(i) {
            *c += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_draws_whether_scaled_or_not() {
        let a = single_query(64, 16, true, 1.0, 5).expect("ok");
        let b = single_query(64, 16, false, 1.0, 5).expect("ok");
        assert_eq!(a.raw, b.raw);
        for (x, y) in a.logits.iter().zip(&b.logits) {
            assert!((x * 8.0 - y).abs() < 1e-12, "sqrt(64) = 8");
        }
        assert!((a.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn unscaled_large_d_k_saturates_and_scaling_restores_entropy() {
        let pts = sweep(&[4, 512], 16, 200, 1.0, 1).expect("ok");
        let (small, big) = (pts[0], pts[1]);
        // Unscaled: more d_k, sharper softmax.
        assert!(big.unscaled.max_weight > 0.9, "{:?}", big.unscaled);
        assert!(big.unscaled.entropy_bits < 0.5);
        assert!(big.unscaled.jacobian_norm < 0.1);
        // Scaled: about the same at any d_k.
        assert!((big.scaled.entropy_bits - small.scaled.entropy_bits).abs() < 0.3);
        assert!(big.scaled.entropy_bits > 2.0);
        // Theory: raw variance ~ d_k (within 10% at 3200 samples).
        assert!(
            (big.raw_variance / 512.0 - 1.0).abs() < 0.1,
            "{}",
            big.raw_variance
        );
        assert!(
            (small.raw_variance / 4.0 - 1.0).abs() < 0.1,
            "{}",
            small.raw_variance
        );
    }

    #[test]
    fn temperature_only_changes_the_summary_not_the_draws() {
        let samples = sample_sweep(&[16, 64], 16, 50, 9).expect("ok");
        let cold = summarize(&samples, 0.5).expect("ok");
        let hot = summarize(&samples, 4.0).expect("ok");
        assert_eq!(cold[0].raw_variance, hot[0].raw_variance);
        assert!(hot[0].scaled.entropy_bits > cold[0].scaled.entropy_bits);
        assert!(summarize(&samples, 0.0).is_err());
    }

    #[test]
    fn score_samples_have_variance_d_k() {
        // The n queries and n keys are shared across the n^2 scores, so the
        // estimate is looser at tiny d_k (few independent numbers).
        for (d_k, tol) in [(1, 0.35), (16, 0.15), (256, 0.1)] {
            let v = variance(&score_samples(d_k, 96, 3).expect("ok"));
            assert!((v / d_k as f64 - 1.0).abs() < tol, "d_k {d_k}: {v}");
            let c = scale_factor(d_k, true);
            let scaled: Vec<f64> = score_samples(d_k, 96, 3)
                .expect("ok")
                .iter()
                .map(|x| x * c)
                .collect();
            assert!((variance(&scaled) - 1.0).abs() < tol);
        }
        assert!(score_samples(0, 4, 1).is_err());
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(single_query(0, 16, true, 1.0, 1).is_err());
        assert!(single_query(8, 0, true, 1.0, 1).is_err());
        assert!(single_query(MAX_D_K + 1, 16, true, 1.0, 1).is_err());
        assert!(single_query(8, 16, true, 0.0, 1).is_err());
        assert!(single_query(8, 16, true, f64::NAN, 1).is_err());
        assert!(sweep(&[8], 16, 0, 1.0, 1).is_err());
        assert!(sweep(&[8], 512, 1000, 1.0, 1).is_err());
    }

    #[test]
    fn histogram_counts_every_finite_value() {
        let v = [-5.0, 0.0, 0.1, 0.5, 0.99, 1.0, 7.0, f64::NAN];
        let h = histogram(&v, 2, 0.0, 1.0);
        assert_eq!(h, vec![3, 4]);
        assert_eq!(h.iter().sum::<usize>(), 7);
        assert_eq!(histogram(&v, 3, 1.0, 1.0), vec![0, 0, 0]);
        assert!(histogram(&v, 0, 0.0, 1.0).is_empty());
    }
}
