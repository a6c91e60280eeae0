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
    Mat::from_fn(n, d_model, |p, j| {
        let angle = p as f64 / 10000f64.powf((2 * (j / 2)) as f64 / d_model as f64);
        if j % 2 == 0 {
            angle.sin()
        } else {
            angle.cos()
        }
    })
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
    for r in 0..m.nrows() {
        let p = (start + r) as f64;
        for i in 0..d / 2 {
            let angle = sign * p * 10000f64.powf(-((2 * i) as f64) / d as f64);
            let (s, c) = angle.sin_cos();
            let a = m[(r, 2 * i)];
            let b = m[(r, 2 * i + 1)];
            out[(r, 2 * i)] = a * c - b * s;
            out[(r, 2 * i + 1)] = a * s + b * c;
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
}
