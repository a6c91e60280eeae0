//! Positional information: sinusoidal and learned absolute encodings (added
//! to `x` before the projections), RoPE (rotates `q` and `k` after the
//! projections) and ALiBi (a per-head linear distance penalty on the scores).
//!
//! Positions `p` are 0-based row indices.

use crate::error::dims;
use crate::{AttnError, Mat, Rng};

/// Which positional scheme attention uses.
#[derive(Clone, Debug, PartialEq)]
pub enum Position {
    /// No position information (attention is permutation-equivariant).
    None,
    /// [`sinusoidal`] encoding added to `x`.
    Sinusoidal,
    /// [`rope_rotate`] applied to `q` and `k` of every head (even `d_k`).
    Rope,
    /// [`alibi_bias`] added to the scaled scores, slopes [`alibi_slopes`].
    Alibi,
    /// A learned absolute table (`max_len x d_model`) whose first `n` rows
    /// are added to `x`; see [`learned_table`].
    Learned(Mat),
}

/// Sinusoidal encoding, `n x d_model`: entry `(p, j)` is `sin(angle)` for even
/// `j` and `cos(angle)` for odd `j`, with
/// `angle = p / 10000^(2*floor(j/2)/d_model)`.
pub fn sinusoidal(n: usize, d_model: usize) -> Mat {
    Mat::from_fn(n, d_model, |p, j| sinusoid(p, j, d_model))
}

/// Entry `(p, j)` of [`sinusoidal`].
fn sinusoid(p: usize, j: usize, d_model: usize) -> f64 {
    let angle = p as f64 / 10000f64.powf((2 * (j / 2)) as f64 / d_model as f64);
    if j.is_multiple_of(2) {
        angle.sin()
    } else {
        angle.cos()
    }
}

/// RoPE: `m` is `n x d` (d even); row `r` is at position `p = start + r`, and
/// each column pair `(2i, 2i+1)` is rotated by `angle = p * 10000^(-2i/d)`:
/// `(a, b) -> (a cos - b sin, a sin + b cos)`. Returns an `n x d` matrix.
/// Err if `d` is odd.
pub fn rope_rotate(m: &Mat, start: usize) -> Result<Mat, AttnError> {
    rope_apply(m, start, 1.0)
}

/// The inverse of [`rope_rotate`] (each pair rotated by `-angle`); also the
/// backward pass of the rotation, which is orthogonal. Err if `d` is odd.
pub fn rope_unrotate(m: &Mat, start: usize) -> Result<Mat, AttnError> {
    rope_apply(m, start, -1.0)
}

fn rope_apply(m: &Mat, start: usize, sign: f64) -> Result<Mat, AttnError> {
    let d = m.ncols();
    if !d.is_multiple_of(2) {
        return Err(AttnError::shape(
            "d_k",
            "an even number of columns for rope",
            format!("{} ({})", d, dims(m)),
        ));
    }
    let mut out = m.clone();
    // Columns (2i, 2i+1) in pairs; d is even, so none is left over.
    let mut columns = out.column_iter_mut();
    for omega in frequencies(d) {
        let (Some(mut even), Some(mut odd)) = (columns.next(), columns.next()) else {
            break;
        };
        for (r, (a, b)) in even.iter_mut().zip(odd.iter_mut()).enumerate() {
            let p = (start + r) as f64;
            let angle = sign * p * omega;
            let (s, c) = angle.sin_cos();
            let (x, y) = (*a, *b);
            *a = x * c - y * s;
            *b = x * s + y * c;
        }
    }
    Ok(out)
}

/// ALiBi slopes for `n_heads` heads: `m_h = 2^(-8 (h+1) / H)`, h = 0..H.
pub fn alibi_slopes(n_heads: usize) -> Vec<f64> {
    (0..n_heads)
        .map(|h| 2f64.powf(-8.0 * (h + 1) as f64 / n_heads as f64))
        .collect()
}

/// ALiBi bias, `n x n`: entry `(i, j)` is `-slope * |i - j|`.
pub fn alibi_bias(n: usize, slope: f64) -> Mat {
    Mat::from_fn(n, n, |i, j| -slope * i.abs_diff(j) as f64)
}

/// Angular frequency of each column pair `(2i, 2i+1)` for width `d`:
/// `omega_i = 10000^(-2i/d)`, `i = 0..ceil(d/2)`. Shared by [`sinusoidal`]
/// and [`rope_rotate`].
pub fn frequencies(d: usize) -> Vec<f64> {
    (0..d.div_ceil(2))
        .map(|i| 10000f64.powf(-((2 * i) as f64) / d as f64))
        .collect()
}

/// Wavelength of each column pair, in positions: `2 pi / omega_i`. Pair 0
/// turns once every 2 pi (about 6.28) positions; the last pair of a wide
/// encoding needs up to `2 pi * 10000`.
pub fn wavelengths(d: usize) -> Vec<f64> {
    frequencies(d)
        .into_iter()
        .map(|w| std::f64::consts::TAU / w)
        .collect()
}

/// Dot products `PE(anchor) . PE(anchor + delta)` of the sinusoidal encoding
/// of width `d_model`, for `delta = 0..=max_offset` (length `max_offset + 1`).
/// For even `d_model` each equals `sum_i cos(omega_i * delta)`, whatever the
/// anchor. Err if `d_model` is 0 or the positions exceed 100,000.
pub fn sinusoidal_offset_dots(
    anchor: usize,
    max_offset: usize,
    d_model: usize,
) -> Result<Vec<f64>, AttnError> {
    if d_model == 0 {
        return Err(AttnError::value("d_model", "must be at least 1, got 0"));
    }
    let last = anchor.saturating_add(max_offset);
    if last > 100_000 {
        return Err(AttnError::value(
            "position",
            format!("anchor + offset must be at most 100000, got {last}"),
        ));
    }
    Ok((0..=max_offset)
        .map(|delta| {
            (0..d_model)
                .map(|j| sinusoid(anchor, j, d_model) * sinusoid(anchor + delta, j, d_model))
                .sum()
        })
        .collect())
}

/// One column pair of a RoPE query/key pair (see [`rope_view`]).
#[derive(Clone, Debug, PartialEq)]
pub struct RopePair {
    /// The pair's angular frequency `omega_i` (radians per position).
    pub omega: f64,
    /// The query's pair before and after rotating by `m * omega`.
    pub q: (f64, f64),
    pub q_rot: (f64, f64),
    /// The key's pair before and after rotating by `n * omega`.
    pub k: (f64, f64),
    pub k_rot: (f64, f64),
    /// This pair's share of the score: `q_rot . k_rot`.
    pub contribution: f64,
}

/// A query at position `m` and a key at position `n`, both rotated by RoPE.
#[derive(Clone, Debug, PartialEq)]
pub struct RopeView {
    /// One entry per column pair, `d / 2` of them.
    pub pairs: Vec<RopePair>,
    /// `rope(q, m) . rope(k, n)`: the sum of the contributions. It depends on
    /// `m - n` only.
    pub score: f64,
    /// `q . k` without rotation (what the score is at offset 0).
    pub plain: f64,
}

/// Rotates the 1 x d vectors `q` (at position `m`) and `k` (at `n`) with RoPE
/// and splits the score into the `d / 2` pair contributions. Err if the
/// lengths differ or are odd or zero, or a value is not finite.
pub fn rope_view(q: &[f64], k: &[f64], m: usize, n: usize) -> Result<RopeView, AttnError> {
    let d = q.len();
    if d == 0 || k.len() != d || !d.is_multiple_of(2) {
        return Err(AttnError::shape(
            "q, k",
            "two vectors of the same even length",
            format!("{} and {}", q.len(), k.len()),
        ));
    }
    if q.iter().chain(k).any(|v| !v.is_finite()) {
        return Err(AttnError::value("q, k", "every entry must be finite"));
    }
    let qm = rope_rotate(&Mat::from_row_slice(1, d, q), m)?;
    let kn = rope_rotate(&Mat::from_row_slice(1, d, k), n)?;
    // A 1 x d matrix stores its entries in column order, i.e. as the row.
    let pairs: Vec<RopePair> = frequencies(d)
        .into_iter()
        .zip(column_pairs(q).zip(column_pairs(k)))
        .zip(column_pairs(qm.as_slice()).zip(column_pairs(kn.as_slice())))
        .map(|((omega, (q, k)), (q_rot, k_rot))| RopePair {
            omega,
            q,
            q_rot,
            k,
            k_rot,
            contribution: q_rot.0 * k_rot.0 + q_rot.1 * k_rot.1,
        })
        .collect();
    Ok(RopeView {
        score: pairs.iter().map(|p| p.contribution).sum(),
        plain: q.iter().zip(k).map(|(a, b)| a * b).sum(),
        pairs,
    })
}

/// The entries `(v[2i], v[2i+1])` of `v`, i = 0..len/2 (a last odd entry
/// is left out).
fn column_pairs(v: &[f64]) -> impl Iterator<Item = (f64, f64)> + '_ {
    v.as_chunks::<2>().0.iter().map(|&[a, b]| (a, b))
}

/// Mean distance `|i - j|` each query looks over, weighted by its attention
/// weights (`weights` is `n x n`, rows sum to 1): a measure of how local a
/// head is. Returns one value per row.
pub fn attended_distance(weights: &Mat) -> Vec<f64> {
    (0..weights.nrows())
        .map(|i| {
            (0..weights.ncols())
                .map(|j| weights[(i, j)] * i.abs_diff(j) as f64)
                .sum()
        })
        .collect()
}

/// A seeded "learned" absolute position table, `max_len x d_model`, entries
/// `N(0, 1)`. Using it (via [`Position::Learned`]) for an input with more than
/// `max_len` rows is an error naming both lengths.
pub fn learned_table(max_len: usize, d_model: usize, seed: u64) -> Mat {
    Rng::new(seed ^ 0x1EA2_4ED0_7AB1_E000).normal_matrix(max_len, d_model, 1.0)
}

/// Adds the first `x.nrows()` rows of `table` (`max_len x d_model`) to `x`
/// (`n x d_model`). Err if the table is too short or has the wrong width.
pub(crate) fn add_learned(x: &Mat, table: &Mat) -> Result<Mat, AttnError> {
    let (n, d) = (x.nrows(), x.ncols());
    if table.ncols() != d {
        return Err(AttnError::shape(
            "position.learned",
            format!("{} columns (d_model)", d),
            dims(table),
        ));
    }
    if table.nrows() < n {
        return Err(AttnError::value(
            "position.learned",
            format!(
                "table covers {} positions (max_len) but the input has n = {} positions",
                table.nrows(),
                n
            ),
        ));
    }
    crate::error::ensure_finite("position.learned", table)?;
    Ok(x + table.rows(0, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn sinusoidal_hand_values() {
        // d_model = 4: columns use angles p, p, p/100, p/100
        // (10000^(2*1/4) = 100).
        let s = sinusoidal(3, 4);
        // p = 0: sin 0, cos 0, sin 0, cos 0
        assert_eq!(
            s.row(0).iter().copied().collect::<Vec<_>>(),
            vec![0.0, 1.0, 0.0, 1.0]
        );
        assert!(close(s[(1, 0)], 1f64.sin()));
        assert!(close(s[(1, 1)], 1f64.cos()));
        assert!(close(s[(2, 2)], 0.02f64.sin()));
        assert!(close(s[(2, 3)], 0.02f64.cos()));
    }

    #[test]
    fn alibi_slopes_for_8_heads() {
        let s = alibi_slopes(8);
        let want = [
            0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625,
        ];
        assert_eq!(s.len(), 8);
        for (a, b) in s.iter().zip(want) {
            assert!(close(*a, b), "{a} vs {b}");
        }
        let b = alibi_bias(3, 0.5);
        assert_eq!(b[(0, 2)], -1.0);
        assert_eq!(b[(2, 1)], -0.5);
        assert_eq!(b[(1, 1)], 0.0);
    }

    #[test]
    fn rope_rotates_known_vector() {
        // d = 2: pair 0 has angle p * 10000^0 = p. (1, 0) at p = 1 -> (cos 1, sin 1).
        let m = Mat::from_row_slice(2, 2, &[1.0, 0.0, 1.0, 0.0]);
        let r = rope_rotate(&m, 0).unwrap();
        assert_eq!((r[(0, 0)], r[(0, 1)]), (1.0, 0.0)); // p = 0: identity
        assert!(close(r[(1, 0)], 1f64.cos()) && close(r[(1, 1)], 1f64.sin()));
        // d = 4, p = 2: second pair angle 2 * 10000^(-1/2) = 0.02; (0, 1) -> (-sin, cos).
        let m = Mat::from_row_slice(1, 4, &[0.0, 0.0, 0.0, 1.0]);
        let r = rope_rotate(&m, 2).unwrap();
        assert!(close(r[(0, 2)], -(0.02f64.sin())) && close(r[(0, 3)], 0.02f64.cos()));
        assert!(rope_rotate(&Mat::zeros(2, 3), 0).is_err());
    }

    #[test]
    fn learned_table_is_seeded_and_checked() {
        let t = learned_table(4, 3, 5);
        assert_eq!(t, learned_table(4, 3, 5));
        assert_eq!((t.nrows(), t.ncols()), (4, 3));
        let x = Mat::zeros(5, 3);
        let e = add_learned(&x, &t).unwrap_err();
        assert!(e.to_string().contains("4 positions") && e.to_string().contains("n = 5"));
        assert_eq!(
            add_learned(&Mat::zeros(2, 3), &t).unwrap(),
            t.rows(0, 2).into_owned()
        );
        assert!(matches!(
            add_learned(&Mat::zeros(2, 2), &t),
            Err(AttnError::Shape { .. })
        ));
    }

    #[test]
    fn wavelengths_follow_the_formula() {
        let w = wavelengths(8);
        assert_eq!(w.len(), 4);
        assert!(close(w[0], std::f64::consts::TAU));
        // pair 2 of 8: 10000^(4/8) = 100.
        assert!((w[2] - 100.0 * std::f64::consts::TAU).abs() < 1e-9);
        assert_eq!(frequencies(5).len(), 3);
    }

    #[test]
    fn sinusoidal_dot_depends_on_the_offset_only() {
        let d = 16;
        let a = sinusoidal_offset_dots(0, 40, d).unwrap();
        let b = sinusoidal_offset_dots(123, 40, d).unwrap();
        for (delta, (x, y)) in a.iter().zip(&b).enumerate() {
            let closed: f64 = frequencies(d)
                .iter()
                .map(|w| (w * delta as f64).cos())
                .sum();
            assert!((x - closed).abs() < 1e-9 && (y - closed).abs() < 1e-9);
        }
        assert!(close(a[0], (d / 2) as f64));
        assert!(sinusoidal_offset_dots(0, 3, 0).is_err());
        assert!(sinusoidal_offset_dots(99_999, 3, 4).is_err());
    }

    #[test]
    fn rope_view_splits_the_score_and_sees_only_the_offset() {
        let q = [0.3, -1.2, 0.8, 0.5, 1.1, -0.4];
        let k = [-0.7, 0.2, 0.9, -1.5, 0.1, 0.6];
        let v = rope_view(&q, &k, 5, 2).unwrap();
        assert_eq!(v.pairs.len(), 3);
        let total: f64 = v.pairs.iter().map(|p| p.contribution).sum();
        assert!(close(v.score, total));
        // Same as rotating the full vectors and taking the dot product.
        let qm = rope_rotate(&Mat::from_row_slice(1, 6, &q), 5).unwrap();
        let kn = rope_rotate(&Mat::from_row_slice(1, 6, &k), 2).unwrap();
        assert!(close(v.score, qm.dot(&kn)));
        // Shifting both positions leaves it; changing the offset does not.
        let shifted = rope_view(&q, &k, 5 + 300, 2 + 300).unwrap();
        assert!((shifted.score - v.score).abs() < 1e-9);
        assert!((rope_view(&q, &k, 6, 2).unwrap().score - v.score).abs() > 1e-3);
        // Offset 0 is the plain dot product.
        assert!((rope_view(&q, &k, 7, 7).unwrap().score - v.plain).abs() < 1e-12);
        // Rotation keeps each pair's length.
        for p in &v.pairs {
            assert!(close(p.q.0.hypot(p.q.1), p.q_rot.0.hypot(p.q_rot.1)));
        }
        assert!(rope_view(&q[..5], &k[..5], 0, 0).is_err());
        assert!(rope_view(&q, &k[..4], 0, 0).is_err());
        assert!(rope_view(&[f64::NAN, 0.0], &[0.0, 0.0], 0, 0).is_err());
    }

    #[test]
    fn attended_distance_weights_the_offsets() {
        let w = Mat::from_row_slice(2, 3, &[1.0, 0.0, 0.0, 0.25, 0.25, 0.5]);
        assert_eq!(attended_distance(&w), vec![0.0, 0.25 + 0.5]);
    }
}
