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
//!
//! ## What counts as an induction head
//!
//! A high induction score on one block length can be faked: a head that
//! always looks back a fixed `L - 1` positions lands on `p + 1` for every
//! query of a block of length `L` said twice, without matching any token.
//! So an honest measurement ([`mean_over_probes`]) scores probes of two
//! block lengths and keeps, for each head, the **smaller** of the two
//! length's mean induction scores: a fixed offset can be right for one
//! length only, while a head that follows the matching token is right for
//! both. And, as in Olsson et al., an induction head is a composition: its
//! query or key must carry the previous token (written by an earlier
//! layer's previous-token head) to find "the token after the earlier
//! occurrence of mine". A head in the **first layer** (layer index 0) sees
//! only token and position embeddings and cannot do that, so [`label`]
//! never calls it induction, whatever its score.

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

/// The label of a head of layer `layer` (0 is the first) from its scores
/// (thresholds in the module docs). A first-layer head is never
/// [`HeadLabel::Induction`] (no earlier layer to compose with; module docs).
pub fn label(
    layer: usize,
    previous_token: f64,
    induction: Option<f64>,
    first_token: f64,
    relative_distance: f64,
) -> HeadLabel {
    if layer > 0 && induction.is_some_and(|s| s >= INDUCTION_MIN) {
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

/// Every score of one head of layer `layer` (0 is the first): `w` is
/// `n x n`, `tokens` the `n` token ids.
pub fn head_scores(w: &Mat, tokens: &[usize], layer: usize) -> Result<HeadScores, AttnError> {
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
        label: label(
            layer,
            previous_token,
            induction,
            first_token,
            relative_distance,
        ),
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
                    head_scores(w, tokens, l).map_err(|e| match e {
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

/// The honest scores of every head over several probes: `runs` holds, per
/// probe, its block length `L` and its [`score_heads`] (`layer x head`, all
/// runs the same layout). Every score is the mean over all runs, except the
/// induction score: the mean over the runs of each block length, then the
/// **smallest** of these means (a head at a fixed offset passes one length
/// only; module docs). Labels are given again from these numbers, the layer
/// rule included. Err when `runs` is empty or the layouts differ.
pub fn mean_over_probes(
    runs: &[(usize, Vec<Vec<HeadScores>>)],
) -> Result<Vec<Vec<HeadScores>>, AttnError> {
    let Some((_, first)) = runs.first() else {
        return Err(AttnError::value("runs", "no probe was measured"));
    };
    let layout: Vec<usize> = first.iter().map(Vec::len).collect();
    if let Some((i, _)) = runs
        .iter()
        .enumerate()
        .find(|(_, (_, r))| r.iter().map(Vec::len).collect::<Vec<_>>() != layout)
    {
        return Err(AttnError::shape(
            format!("runs[{i}]"),
            format!("heads per layer {layout:?}"),
            "another layout",
        ));
    }
    let mut lengths: Vec<usize> = runs.iter().map(|(b, _)| *b).collect();
    lengths.sort_unstable();
    lengths.dedup();
    let n = runs.len() as f64;
    let mut out = Vec::with_capacity(layout.len());
    for (l, &heads) in layout.iter().enumerate() {
        let mut row = Vec::with_capacity(heads);
        for h in 0..heads {
            let of = |r: &Vec<Vec<HeadScores>>| r.get(l).and_then(|x| x.get(h)).copied();
            let all: Vec<(usize, HeadScores)> = runs
                .iter()
                .filter_map(|(b, r)| of(r).map(|s| (*b, s)))
                .collect();
            let mean = |f: fn(&HeadScores) -> f64| all.iter().map(|(_, s)| f(s)).sum::<f64>() / n;
            let induction = lengths
                .iter()
                .filter_map(|&len| {
                    let of_len: Vec<f64> = all
                        .iter()
                        .filter(|(b, _)| *b == len)
                        .filter_map(|(_, s)| s.induction)
                        .collect();
                    (!of_len.is_empty()).then(|| of_len.iter().sum::<f64>() / of_len.len() as f64)
                })
                .reduce(f64::min);
            let previous_token = mean(|s| s.previous_token);
            let first_token = mean(|s| s.first_token);
            let relative_distance = mean(|s| s.relative_distance);
            row.push(HeadScores {
                previous_token,
                induction,
                first_token,
                mean_distance: mean(|s| s.mean_distance),
                relative_distance,
                label: label(l, previous_token, induction, first_token, relative_distance),
            });
        }
        out.push(row);
    }
    Ok(out)
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
        let s = head_scores(&w, &tokens, 1).unwrap();
        let spread: f64 = (1..n).map(|i| 0.1 / (i + 1) as f64).sum::<f64>() / (n - 1) as f64;
        assert!((s.previous_token - (0.9 + spread)).abs() < 1e-12);
        assert!(s.induction.unwrap() < 0.1, "{s:?}");
        assert_eq!(s.label, HeadLabel::PreviousToken);
        assert!(s.mean_distance < 2.0);
    }

    /// Planted heads are in layer 1 (the second): an induction head needs an
    /// earlier layer to compose with, so layer 0 never gets the label.
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
        let s = head_scores(&w, &tokens, 1).unwrap();
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
        let s = head_scores(&first, &tokens, 1).unwrap();
        assert_eq!(s.first_token, 1.0);
        assert_eq!(s.induction, None);
        assert!((s.relative_distance - 1.0).abs() < 1e-12);
        assert_eq!(s.label, HeadLabel::FirstToken);
        let itself = planted(20, 1.0, Some);
        let s = head_scores(&itself, &tokens, 1).unwrap();
        assert_eq!((s.mean_distance, s.label), (0.0, HeadLabel::Local));
        let uniform = planted(20, 0.0, |_| None);
        let s = head_scores(&uniform, &tokens, 1).unwrap();
        assert!((s.relative_distance - 0.5).abs() < 1e-12);
        assert_eq!(s.label, HeadLabel::Mixed);
        let far = planted(20, 0.7, |i| Some(i / 4));
        assert_eq!(
            head_scores(&far, &tokens, 1).unwrap().label,
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

    /// A head attending to the token after the earlier occurrence of the
    /// query's token, found by matching tokens (not by offset), on any
    /// sequence: row `i` puts `weight` on `p + 1` for its induction target.
    fn matching(tokens: &[usize], weight: f64) -> Mat {
        let targets: std::collections::HashMap<usize, usize> =
            induction_targets(tokens).into_iter().collect();
        planted(tokens.len(), weight, |i| targets.get(&i).copied())
    }

    /// Probes of two block lengths (12 and 9), two of each.
    fn two_length_probes() -> Vec<(usize, Vec<usize>)> {
        [(12, 1), (12, 2), (9, 3), (9, 4)]
            .into_iter()
            .map(|(b, seed)| (b, induction_sequence(seed, b, 1, 300, None).unwrap()))
            .collect()
    }

    #[test]
    fn a_fixed_offset_head_is_not_an_induction_head() {
        // Looks back 11 = L - 1 of the 12-token blocks, on every sequence.
        let runs: Vec<(usize, Vec<Vec<HeadScores>>)> = two_length_probes()
            .into_iter()
            .map(|(b, ids)| {
                let w = planted(ids.len(), 0.9, |i| i.checked_sub(11));
                (b, score_heads(&[vec![w.clone()], vec![w]], &ids).unwrap())
            })
            .collect();
        // On the 12-blocks alone it would pass...
        let long = runs[0].1[1][0];
        assert!(long.induction.unwrap() > 0.9, "{long:?}");
        assert_eq!(long.label, HeadLabel::Induction);
        // ...but on the 9-blocks it lands nowhere useful: the minimum fails.
        let m = mean_over_probes(&runs).unwrap();
        for layer in &m {
            assert!(layer[0].induction.unwrap() < 0.1, "{m:?}");
            assert_ne!(layer[0].label, HeadLabel::Induction);
        }
    }

    #[test]
    fn a_token_matching_head_after_the_first_layer_is_an_induction_head() {
        let runs: Vec<(usize, Vec<Vec<HeadScores>>)> = two_length_probes()
            .into_iter()
            .map(|(b, ids)| {
                let w = matching(&ids, 0.7);
                (b, score_heads(&[vec![w.clone()], vec![w]], &ids).unwrap())
            })
            .collect();
        let m = mean_over_probes(&runs).unwrap();
        let (first, second) = (m[0][0], m[1][0]);
        assert!(second.induction.unwrap() >= 0.7, "{second:?}");
        assert_eq!(second.label, HeadLabel::Induction);
        // The same pattern in the first layer scores as high, but is not
        // labelled induction (no earlier layer to compose with).
        assert_eq!(first.induction, second.induction);
        assert_ne!(first.label, HeadLabel::Induction);
        assert_eq!(
            label(0, 0.0, Some(1.0), 0.0, 0.5),
            HeadLabel::Mixed,
            "layer 0"
        );
        assert_eq!(label(1, 0.0, Some(1.0), 0.0, 0.5), HeadLabel::Induction);
    }

    #[test]
    fn mean_over_probes_means_and_minimum() {
        let a = |p: f64, i: f64| HeadScores {
            previous_token: p,
            induction: Some(i),
            first_token: 0.0,
            mean_distance: 1.0,
            relative_distance: 0.5,
            label: HeadLabel::Mixed,
        };
        let runs = vec![
            (8, vec![vec![a(0.2, 0.9)], vec![a(0.0, 0.8)]]),
            (8, vec![vec![a(0.4, 0.7)], vec![a(0.0, 0.6)]]),
            (6, vec![vec![a(0.6, 0.5)], vec![a(0.0, 0.4)]]),
        ];
        let m = mean_over_probes(&runs).unwrap();
        assert!((m[0][0].previous_token - 0.4).abs() < 1e-12);
        // min(mean of the 8s = 0.8, the 6 = 0.5)
        assert!((m[0][0].induction.unwrap() - 0.5).abs() < 1e-12);
        assert!((m[1][0].induction.unwrap() - 0.4).abs() < 1e-12);
        assert_eq!(m[1][0].label, HeadLabel::Induction);
        assert!(mean_over_probes(&[]).is_err());
        let bad = vec![runs[0].clone(), (6, vec![vec![a(0.0, 0.0)]])];
        assert!(mean_over_probes(&bad)
            .unwrap_err()
            .to_string()
            .contains("runs[1]"));
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
            let s = head_scores(&w, &tokens, 1).unwrap();
            for v in [s.previous_token, s.first_token, s.relative_distance, s.induction.unwrap_or(0.0)] {
                prop_assert!((0.0..=1.0 + 1e-12).contains(&v));
            }
            prop_assert!(s.mean_distance <= (n - 1) as f64);
        }
    }
}
