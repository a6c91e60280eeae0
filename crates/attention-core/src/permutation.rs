//! Permutation equivariance, measured: run attention on a sequence and on a
//! reordering of it with the same weights, and compare output rows.
//!
//! Without position information, reordering the input rows reorders the
//! output rows the same way and changes nothing else; any positional scheme
//! breaks that.

use crate::{attention_trace, AttentionConfig, AttnError, Mat, MultiHeadWeights, Trace};

/// Err unless `perm` holds each of `0..n` exactly once.
pub fn check_permutation(perm: &[usize], n: usize) -> Result<(), AttnError> {
    let mut seen = vec![false; n];
    if perm.len() != n {
        return Err(AttnError::value(
            "perm",
            format!("needs {n} entries, got {}", perm.len()),
        ));
    }
    for &p in perm {
        match seen.get_mut(p) {
            Some(s) if !*s => *s = true,
            Some(_) => {
                return Err(AttnError::value(
                    "perm",
                    format!("position {p} appears twice"),
                ))
            }
            None => {
                return Err(AttnError::value(
                    "perm",
                    format!("position {p} is out of range 0..{n}"),
                ))
            }
        }
    }
    Ok(())
}

/// Rows of `m` (`n x d`) reordered: row `i` of the result is row `perm[i]`
/// of `m`. Err unless `perm` is a permutation of `0..n`.
pub fn permute_rows(m: &Mat, perm: &[usize]) -> Result<Mat, AttnError> {
    check_permutation(perm, m.nrows())?;
    Ok(m.select_rows(perm))
}

/// Attention on a sequence and on its reordering.
#[derive(Clone, Debug, PartialEq)]
pub struct Reordering {
    /// Attention on `x` (`n x d_model`).
    pub original: Trace,
    /// Attention on `permute_rows(x, perm)`.
    pub reordered: Trace,
    /// For each reordered row `i`: `max_j |reordered.output[i, j] -
    /// original.output[perm[i], j]|`, length n.
    pub row_diff: Vec<f64>,
    /// The largest entry of `row_diff`.
    pub max_diff: f64,
}

/// Runs [`attention_trace`] on `x` and on `x` reordered by `perm` (row `i` of
/// the reordered input is row `perm[i]` of `x`), same `weights` and `cfg`,
/// and compares each reordered output row with the original row it came from.
/// Positions are the row indices, so a positional scheme sees the new order.
pub fn reorder(
    x: &Mat,
    perm: &[usize],
    weights: &MultiHeadWeights,
    cfg: &AttentionConfig,
) -> Result<Reordering, AttnError> {
    let px = permute_rows(x, perm)?;
    let original = attention_trace(x, weights, cfg)?;
    let reordered = attention_trace(&px, weights, cfg)?;
    // Row i of `expected` is row perm[i] of the original output.
    let expected = permute_rows(&original.output, perm)?;
    let row_diff: Vec<f64> = reordered
        .output
        .row_iter()
        .zip(expected.row_iter())
        .map(|(got, want)| {
            got.iter()
                .zip(want.iter())
                .map(|(g, w)| (g - w).abs())
                .fold(0.0, f64::max)
        })
        .collect();
    let max_diff = row_diff.iter().copied().fold(0.0, f64::max);
    Ok(Reordering {
        original,
        reordered,
        row_diff,
        max_diff,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{embed_tokens, Position};

    fn setup() -> (Mat, MultiHeadWeights) {
        let x = embed_tokens(&["dog", "bites", "man", "today"], 8, 1).unwrap();
        (x, MultiHeadWeights::random(8, 2, 4, 4, 8, 3).unwrap())
    }

    #[test]
    fn permutations_are_checked() {
        assert!(check_permutation(&[2, 0, 1], 3).is_ok());
        assert!(check_permutation(&[], 0).is_ok());
        assert!(check_permutation(&[0, 0, 1], 3).is_err());
        assert!(check_permutation(&[0, 3, 1], 3).is_err());
        assert!(check_permutation(&[0, 1], 3).is_err());
        let m = Mat::from_row_slice(3, 1, &[10.0, 20.0, 30.0]);
        let p = permute_rows(&m, &[2, 0, 1]).unwrap();
        assert_eq!(p.as_slice(), &[30.0, 10.0, 20.0]);
    }

    #[test]
    fn without_position_outputs_move_with_their_tokens() {
        let (x, w) = setup();
        let r = reorder(&x, &[2, 1, 0, 3], &w, &AttentionConfig::default()).unwrap();
        assert!(r.max_diff < 1e-12, "{}", r.max_diff);
        // The weights are the same matrix with rows and columns reordered.
        let a = &r.original.heads[0].weights;
        let b = &r.reordered.heads[0].weights;
        assert!((b[(0, 1)] - a[(2, 1)]).abs() < 1e-12);
    }

    #[test]
    fn every_position_scheme_breaks_it() {
        let (x, w) = setup();
        for position in [
            Position::Sinusoidal,
            Position::Rope,
            Position::Alibi,
            Position::Learned(crate::learned_table(8, 8, 1)),
        ] {
            let cfg = AttentionConfig {
                position: position.clone(),
                ..AttentionConfig::default()
            };
            let r = reorder(&x, &[2, 1, 0, 3], &w, &cfg).unwrap();
            assert!(r.max_diff > 1e-3, "{position:?}: {}", r.max_diff);
        }
        // The identity permutation changes nothing, whatever the scheme.
        let cfg = AttentionConfig {
            position: Position::Sinusoidal,
            ..AttentionConfig::default()
        };
        assert_eq!(reorder(&x, &[0, 1, 2, 3], &w, &cfg).unwrap().max_diff, 0.0);
        assert!(reorder(&x, &[0, 1, 2], &w, &cfg).is_err());
    }
}
