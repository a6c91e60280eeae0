//! Head scores measured on attention weights, for any model: each head is an
//! `n x n` causal attention matrix (rows are query positions, row `i` sums
//! to 1 over keys `0..=i`).
//!
//! * **previous-token score**: mean over `i = 1..n` of `w[i][i-1]`;
//! * **induction (prefix-matching) score** (Olsson et al. 2022, "In-context
//!   learning and induction heads"): over every position `i` whose token
//!   occurred before, most recently at `p` with `p + 1 < i`, the mean of
//!   `w[i][p+1]`, the weight on the token that followed the earlier
//!   occurrence. Measured on [`induction_sequence`], a random block of
//!   distinct tokens repeated twice, where these positions are the second
//!   copy and `p + 1 = i - L + 1`;
//! * **first-token score**: mean over `i = 1..n` of `w[i][0]` (row 0 has no
//!   choice and is left out of all three);
//! * **mean attended distance**: mean over `i = 1..n` of `sum_j w[i][j]
//!   (i - j)`, in tokens, and relative to the furthest possible (`/ i`):
//!   0 is attending to itself, 1 to the first token, 0.5 uniform attention.
//!
//! [`HeadLabel`] names a head from these numbers with the thresholds below,
//! tried in the order of the enum.

use crate::rng::Rng;
use crate::{AttnError, Mat};

/// Induction score from which a head is labelled [`HeadLabel::Induction`].
pub const INDUCTION_MIN: f64 = 0.4;
/// Previous-token score from which a head is [`HeadLabel::PreviousToken`].
pub const PREVIOUS_MIN: f64 = 0.5;
/// First-token score from which a head is [`HeadLabel::FirstToken`].
pub const FIRST_MIN: f64 = 0.5;
/// Relative distance up to which a head is [`HeadLabel::Local`].
pub const LOCAL_MAX: f64 = 0.25;
/// Relative distance from which a head is [`HeadLabel::LongRange`]
/// (further back, on average, than uniform attention's 0.5).
pub const LONG_RANGE_MIN: f64 = 0.6;

/// What a head does, by measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadLabel {
    /// Induction score >= [`INDUCTION_MIN`].
    Induction,
    /// Previous-token score >= [`PREVIOUS_MIN`].
    PreviousToken,
    /// First-token score >= [`FIRST_MIN`].
    FirstToken,
    /// Relative distance <= [`LOCAL_MAX`].
    Local,
    /// Relative distance >= [`LONG_RANGE_MIN`].
    LongRange,
    /// None of the above.
    Mixed,
}

impl HeadLabel {
    /// A short name for the label.
    pub fn name(self) -> &'static str {
        match self {
            HeadLabel::Induction => "induction",
            HeadLabel::PreviousToken => "previous token",
            HeadLabel::FirstToken => "first token",
            HeadLabel::Local => "local",
            HeadLabel::LongRange => "long range",
            HeadLabel::Mixed => "mixed",
        }
    }
}

/// The scores of one head (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadScores {
    /// Mean weight on the previous position.
    pub previous_token: f64,
    /// Mean weight on the token after the previous occurrence of the
    /// current token; `None` when no token of the sequence repeats.
    pub induction: Option<f64>,
    /// Mean weight on position 0.
    pub first_token: f64,
    /// Mean attended distance in tokens.
    pub mean_distance: f64,
    /// Mean attended distance divided by the furthest possible.
    pub relative_distance: f64,
    /// The label these numbers give.
    pub label: HeadLabel,
}

fn check_square(w: &Mat, field: &str) -> Result<usize, AttnError> {
    let n = w.nrows();
    if w.ncols() != n || n < 2 {
        return Err(AttnError::shape(
            field,
            "n x n with n >= 2 (queries x keys)",
            format!("{} x {}", w.nrows(), w.ncols()),
        ));
    }
    crate::error::ensure_finite(field, w)?;
    Ok(n)
}

fn at(w: &Mat, i: usize, j: usize) -> f64 {
    w.get((i, j)).copied().unwrap_or(0.0)
}

/// Mean of `w[i][i-1]` over `i = 1..n`. `w` is `n x n`.
pub fn previous_token_score(w: &Mat) -> Result<f64, AttnError> {
    let n = check_square(w, "attention")?;
    Ok((1..n).map(|i| at(w, i, i - 1)).sum::<f64>() / (n - 1) as f64)
}

/// Mean of `w[i][0]` over `i = 1..n`. `w` is `n x n`.
pub fn first_token_score(w: &Mat) -> Result<f64, AttnError> {
    let n = check_square(w, "attention")?;
    Ok((1..n).map(|i| at(w, i, 0)).sum::<f64>() / (n - 1) as f64)
}

/// `(mean distance in tokens, mean relative distance)` over `i = 1..n`.
/// `w` is `n x n`.
pub fn attended_distance(w: &Mat) -> Result<(f64, f64), AttnError> {
    let n = check_square(w, "attention")?;
    let (mut abs, mut rel) = (0.0, 0.0);
    for i in 1..n {
        let d: f64 = (0..=i).map(|j| at(w, i, j) * (i - j) as f64).sum();
        abs += d;
        rel += d / i as f64;
    }
    Ok((abs / (n - 1) as f64, rel / (n - 1) as f64))
}

/// The `(position, target)` pairs of the induction score: every `i` whose
/// token occurred before, most recently at `p`, with `p + 1 < i`, paired
/// with `p + 1`.
pub fn induction_targets(tokens: &[usize]) -> Vec<(usize, usize)> {
    let mut last = std::collections::HashMap::new();
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if let Some(&p) = last.get(t) {
            if p + 1 < i {
                out.push((i, p + 1));
            }
        }
        last.insert(*t, i);
    }
    out
}

/// The induction score of `w` (`n x n`) on `tokens` (`n`); `None` when no
/// token repeats (see [`induction_targets`]).
pub fn induction_score(w: &Mat, tokens: &[usize]) -> Result<Option<f64>, AttnError> {
    let n = check_square(w, "attention")?;
    if tokens.len() != n {
        return Err(AttnError::shape(
            "tokens",
            format!("{n} (one per attention row)"),
            format!("{}", tokens.len()),
        ));
    }
    let targets = induction_targets(tokens);
    if targets.is_empty() {
        return Ok(None);
    }
    let sum: f64 = targets.iter().map(|&(i, j)| at(w, i, j)).sum();
    Ok(Some(sum / targets.len() as f64))
}

/// The label of a head from its scores (thresholds in the module docs).
pub fn label(
    previous_token: f64,
    induction: Option<f64>,
    first_token: f64,
    relative_distance: f64,
) -> HeadLabel {
    if induction.is_some_and(|s| s >= INDUCTION_MIN) {
        HeadLabel::Induction
    } else if previous_token >= PREVIOUS_MIN {
        HeadLabel::PreviousToken
    } else if first_token >= FIRST_MIN {
        HeadLabel::FirstToken
    } else if relative_distance <= LOCAL_MAX {
        HeadLabel::Local
    } else if relative_distance >= LONG_RANGE_MIN {
        HeadLabel::LongRange
    } else {
        HeadLabel::Mixed
    }
}

/// Every score of one head: `w` is `n x n`, `tokens` the `n` token ids.
pub fn head_scores(w: &Mat, tokens: &[usize]) -> Result<HeadScores, AttnError> {
    let previous_token = previous_token_score(w)?;
    let induction = induction_score(w, tokens)?;
    let first_token = first_token_score(w)?;
    let (mean_distance, relative_distance) = attended_distance(w)?;
    Ok(HeadScores {
        previous_token,
        induction,
        first_token,
        mean_distance,
        relative_distance,
        label: label(previous_token, induction, first_token, relative_distance),
    })
}

/// Scores of every head: `attentions[layer][head]` is `n x n` (as
/// [`super::model::GptOutput::attentions`]); the result has the same
/// `layer x head` layout.
pub fn score_heads(
    attentions: &[Vec<Mat>],
    tokens: &[usize],
) -> Result<Vec<Vec<HeadScores>>, AttnError> {
    attentions
        .iter()
        .enumerate()
        .map(|(l, heads)| {
            heads
                .iter()
                .enumerate()
                .map(|(h, w)| {
                    head_scores(w, tokens).map_err(|e| match e {
                        AttnError::Shape {
                            field,
                            expected,
                            got,
                        } => AttnError::Shape {
                            field: format!("attentions[{l}][{h}].{field}"),
                            expected,
                            got,
                        },
                        AttnError::Value { field, message } => AttnError::Value {
                            field: format!("attentions[{l}][{h}].{field}"),
                            message,
                        },
                    })
                })
                .collect()
        })
        .collect()
}

/// A block of `block` distinct random token ids from `low..vocab`, twice,
/// after `prefix` (e.g. a beginning-of-text token) if given: `block * 2`
/// (+1) tokens. The seed fixes the block.
pub fn induction_sequence(
    seed: u64,
    block: usize,
    low: usize,
    vocab: usize,
    prefix: Option<usize>,
) -> Result<Vec<usize>, AttnError> {
    if block < 2 || low >= vocab || vocab - low < block {
        return Err(AttnError::value(
            "block",
            format!("{block} distinct tokens from {low}..{vocab}: need 2 or more, and no more than the range holds"),
        ));
    }
    let mut rng = Rng::new(seed);
    let mut pool: Vec<usize> = (low..vocab).collect();
    // Partial Fisher-Yates: the first `block` entries become the sample.
    for i in 0..block {
        let j = i + rng.below(pool.len() - i);
        pool.swap(i, j);
    }
    let sample = pool.get(..block).unwrap_or(&[]);
    let mut out: Vec<usize> = prefix.into_iter().collect();
    out.extend_from_slice(sample);
    out.extend_from_slice(sample);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Row `i` puts `weight` on `target(i)` (when `Some` and `<= i`) and
    /// spreads the rest evenly over `0..=i`.
    fn planted(n: usize, weight: f64, target: impl Fn(usize) -> Option<usize>) -> Mat {
        let mut w = Mat::zeros(n, n);
        for i in 0..n {
            match target(i).filter(|&t| t <= i) {
                Some(t) => {
                    let rest = (1.0 - weight) / (i + 1) as f64;
                    for j in 0..=i {
                        w[(i, j)] = rest;
                    }
                    w[(i, t)] += weight;
                }
                None => {
                    for j in 0..=i {
                        w[(i, j)] = 1.0 / (i + 1) as f64;
                    }
                }
            }
        }
        w
    }

    #[test]
    fn planted_previous_token_head() {
        let tokens = induction_sequence(3, 10, 1, 300, Some(0)).unwrap();
        let n = tokens.len();
        let w = planted(n, 0.9, |i| i.checked_sub(1));
        let s = head_scores(&w, &tokens).unwrap();
        let spread: f64 = (1..n).map(|i| 0.1 / (i + 1) as f64).sum::<f64>() / (n - 1) as f64;
        assert!((s.previous_token - (0.9 + spread)).abs() < 1e-12);
        assert!(s.induction.unwrap() < 0.1, "{s:?}");
        assert_eq!(s.label, HeadLabel::PreviousToken);
        assert!(s.mean_distance < 2.0);
    }

    #[test]
    fn planted_induction_head() {
        let block = 12;
        let tokens = induction_sequence(9, block, 1, 300, Some(0)).unwrap();
        assert_eq!(tokens.len(), 2 * block + 1);
        // The second copy starts at 1 + block; its token at i first
        // appeared at i - block, followed by position i - block + 1.
        let targets = induction_targets(&tokens);
        assert_eq!(targets.len(), block);
        assert!(targets.iter().all(|&(i, t)| t == i - block + 1));
        let w = planted(tokens.len(), 0.8, |i| (i > block).then(|| i - block + 1));
        let s = head_scores(&w, &tokens).unwrap();
        let spread: f64 = targets
            .iter()
            .map(|&(i, _)| 0.2 / (i + 1) as f64)
            .sum::<f64>()
            / block as f64;
        assert!((s.induction.unwrap() - (0.8 + spread)).abs() < 1e-12);
        assert_eq!(s.label, HeadLabel::Induction);
        assert!(s.previous_token < 0.2);
    }

    #[test]
    fn first_token_local_and_uniform_heads() {
        let tokens: Vec<usize> = (0..20).collect();
        let first = planted(20, 1.0, |_| Some(0));
        let s = head_scores(&first, &tokens).unwrap();
        assert_eq!(s.first_token, 1.0);
        assert_eq!(s.induction, None);
        assert!((s.relative_distance - 1.0).abs() < 1e-12);
        assert_eq!(s.label, HeadLabel::FirstToken);
        let itself = planted(20, 1.0, Some);
        let s = head_scores(&itself, &tokens).unwrap();
        assert_eq!((s.mean_distance, s.label), (0.0, HeadLabel::Local));
        let uniform = planted(20, 0.0, |_| None);
        let s = head_scores(&uniform, &tokens).unwrap();
        assert!((s.relative_distance - 0.5).abs() < 1e-12);
        assert_eq!(s.label, HeadLabel::Mixed);
        let far = planted(20, 0.7, |i| Some(i / 4));
        assert_eq!(
            head_scores(&far, &tokens).unwrap().label,
            HeadLabel::LongRange
        );
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(previous_token_score(&Mat::zeros(1, 1)).is_err());
        assert!(first_token_score(&Mat::zeros(3, 2)).is_err());
        let mut nan = Mat::zeros(3, 3);
        nan[(2, 1)] = f64::NAN;
        assert!(attended_distance(&nan)
            .unwrap_err()
            .to_string()
            .contains("[2][1]"));
        let e = induction_score(&Mat::zeros(3, 3), &[1, 2]).unwrap_err();
        assert!(e.to_string().contains("tokens"));
        let e = score_heads(&[vec![Mat::zeros(3, 3), Mat::zeros(2, 3)]], &[1, 2, 3]).unwrap_err();
        assert!(e.to_string().starts_with("attentions[0][1]"), "{e}");
        assert!(induction_sequence(1, 10, 5, 10, None).is_err());
        assert!(induction_sequence(1, 1, 0, 10, None).is_err());
        let a = induction_sequence(1, 5, 0, 10, None).unwrap();
        assert_eq!(a, induction_sequence(1, 5, 0, 10, None).unwrap());
        let mut block = a[..5].to_vec();
        block.sort_unstable();
        block.dedup();
        assert_eq!(block.len(), 5);
    }

    #[test]
    fn scores_of_the_trained_fixture_model_are_well_formed() {
        use crate::gpt::{fixture, model::Gpt2};
        let config = String::from_utf8(fixture("trained/config.json")).unwrap();
        let m = Gpt2::from_files(&config, &fixture("trained/model.safetensors"), 1 << 30).unwrap();
        let tokens = induction_sequence(17, 20, 1, 320, Some(0)).unwrap();
        let out = m.forward(&tokens, None).unwrap();
        let scores = score_heads(&out.attentions, &tokens).unwrap();
        assert_eq!(scores.len(), 2);
        for (l, layer) in scores.iter().enumerate() {
            for (h, s) in layer.iter().enumerate() {
                eprintln!(
                    "L{l}H{h}: prev {:.3} induction {:.3} first {:.3} distance {:.2} ({:.2}) -> {}",
                    s.previous_token,
                    s.induction.unwrap(),
                    s.first_token,
                    s.mean_distance,
                    s.relative_distance,
                    s.label.name()
                );
                for v in [
                    s.previous_token,
                    s.induction.unwrap(),
                    s.first_token,
                    s.relative_distance,
                ] {
                    assert!((-1e-6..=1.0 + 1e-6).contains(&v));
                }
            }
        }
    }

    proptest! {
        #[test]
        fn scores_of_any_causal_attention_lie_in_0_1(seed in 0u64..1000, n in 2usize..24) {
            let mut rng = crate::rng::Rng::new(seed);
            let mut w = Mat::zeros(n, n);
            for i in 0..n {
                let raw: Vec<f64> = (0..=i).map(|_| rng.uniform() + 1e-9).collect();
                let sum: f64 = raw.iter().sum();
                for (j, r) in raw.iter().enumerate() {
                    w[(i, j)] = r / sum;
                }
            }
            let tokens: Vec<usize> = (0..n).map(|_| rng.below(4)).collect();
            let s = head_scores(&w, &tokens).unwrap();
            for v in [s.previous_token, s.first_token, s.relative_distance, s.induction.unwrap_or(0.0)] {
                prop_assert!((0.0..=1.0 + 1e-12).contains(&v));
            }
            prop_assert!(s.mean_distance <= (n - 1) as f64);
        }
    }
}
