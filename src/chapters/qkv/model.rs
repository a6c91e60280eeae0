//! The Q/K/V chapter's view model: the engine's trace for the current state
//! (on the seeded embeddings and weights of [`crate::widgets::seeded`]),
//! plus the per-query breakdown the page shows. A step that shows one head
//! computes only that head ([`heads_needed`]).
//!
//! The trace is kept in its engine's two halves: [`QkvScores`] (up to the
//! scaled scores: [`attention_core::attention_scores`]) and, on top of it,
//! [`QkvModel`] (from the temperature and the mask on:
//! [`attention_core::attention_softmax`]), so a temperature or mask change
//! reruns only the second half and the matrices before it keep their memos.
//!
//! Pure (no DOM), so it is tested natively. Every number comes from
//! `attention-core`; this module only arranges it.

#[cfg(test)]
use super::state::Masking;
use super::state::{QkvState, Step, MAX_QKV_TOKENS};
use crate::charts::heatmap::{signed, weights as weight_map, HeatmapData};
use crate::widgets::seeded::{embed_max, projection_weights, Embedded};
use attention_core::{
    attention_scores, attention_softmax, row_stats, AttentionConfig, HeadScores, Mask, Mat,
    MultiHeadWeights, Position, RowStats, Scored, Softened,
};
use std::sync::Arc;

/// The part of the model the temperature and the mask do not change.
#[derive(Clone, Debug, PartialEq)]
pub struct QkvScores {
    pub tokens: Vec<String>,
    /// Notes from tokenizing (limits hit).
    pub token_notes: Vec<String>,
    /// The engine's first half: of every head, or only of head `first_head`
    /// (a step that shows one head needs no other).
    pub scored: Scored,
    /// The output projection of the weights used (`None` with one head).
    pub w_o: Option<Mat>,
    /// The head of `scored.heads[0]`.
    pub first_head: usize,
    /// Whether `scored` holds every head (and so the concat and W_O output).
    pub all_heads: bool,
}

/// What the page shows for one state: the first half (shared, not copied,
/// between the temperatures and masks of one sentence and set of weights)
/// and the engine's second half on it.
#[derive(Clone, Debug, PartialEq)]
pub struct QkvModel {
    pub first: Arc<QkvScores>,
    pub soft: Softened,
}

/// Every matrix of one head, from both halves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeadView<'a> {
    pub q: &'a Mat,
    pub k: &'a Mat,
    pub v: &'a Mat,
    pub scores: &'a Mat,
    pub logits: &'a Mat,
    pub weights: &'a Mat,
    pub output: &'a Mat,
}

/// The matrices the page draws, in the order of the computation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matrix {
    /// The token vectors, n x d_model.
    X,
    Q,
    K,
    V,
    /// Q K^T, n x n.
    Scores,
    /// Scaled (and masked) scores, n x n.
    Logits,
    /// Softmax of each row of the logits, n x n.
    Weights,
    /// One head's weights times its values, n x d_k.
    HeadOutput,
    /// Every head's output side by side, n x (heads d_k).
    Concat,
    /// The concatenation times W_O, n x d_model.
    Output,
}

impl Matrix {
    /// Whether the matrix comes before the temperature and the mask (in
    /// [`QkvScores`]).
    pub fn before_softmax(self) -> bool {
        matches!(
            self,
            Matrix::X | Matrix::Q | Matrix::K | Matrix::V | Matrix::Scores
        )
    }
}

impl QkvScores {
    /// Where head `h` is in `scored.heads`, if it was computed.
    fn index(&self, h: usize) -> Option<usize> {
        let i = if self.all_heads {
            h
        } else {
            h.checked_sub(self.first_head).filter(|&i| i == 0)?
        };
        (i < self.scored.heads.len()).then_some(i)
    }

    /// The first half of head `h`, if it was computed.
    pub fn head(&self, h: usize) -> Option<&HeadScores> {
        self.scored.heads.get(self.index(h)?)
    }

    /// One matrix before the softmax, `None` for the others.
    fn matrix(&self, which: Matrix, head: usize) -> Option<&Mat> {
        Some(match which {
            Matrix::X => &self.scored.x,
            Matrix::Q => &self.head(head)?.q,
            Matrix::K => &self.head(head)?.k,
            Matrix::V => &self.head(head)?.v,
            Matrix::Scores => &self.head(head)?.scores,
            _ => return None,
        })
    }

    /// The shape of a matrix before the softmax (rows, columns).
    pub fn shape(&self, which: Matrix, head: usize) -> Option<(usize, usize)> {
        self.matrix(which, head).map(Mat::shape)
    }

    /// A matrix before the softmax as a heatmap (rows are the tokens);
    /// `None` for the others and for a head that does not exist.
    pub fn heatmap(&self, which: Matrix, head: usize) -> Option<HeatmapData> {
        let m = self.matrix(which, head)?;
        let cols = if which == Matrix::Scores {
            self.tokens.clone()
        } else {
            dim_labels(m.ncols())
        };
        Some(signed(m, self.tokens.clone(), cols))
    }

    /// The variance of `head`'s raw scores.
    pub fn score_variance(&self, head: usize) -> Option<f64> {
        Some(attention_core::variance(self.head(head)?.scores.as_slice()))
    }
}

impl QkvModel {
    /// The tokens (rows of every matrix).
    pub fn tokens(&self) -> &[String] {
        &self.first.tokens
    }

    /// The trace of head `h`, if it was computed.
    pub fn head(&self, h: usize) -> Option<HeadView<'_>> {
        let i = self.first.index(h)?;
        let (a, b) = (self.first.scored.heads.get(i)?, self.soft.heads.get(i)?);
        Some(HeadView {
            q: &a.q,
            k: &a.k,
            v: &a.v,
            scores: &a.scores,
            logits: &b.logits,
            weights: &b.weights,
            output: &b.output,
        })
    }

    /// One matrix from the softmax on, `None` for the others.
    fn matrix(&self, which: Matrix, head: usize) -> Option<&Mat> {
        if matches!(which, Matrix::Concat | Matrix::Output) && !self.first.all_heads {
            return None;
        }
        let i = self.first.index(head);
        let h = || self.soft.heads.get(i?);
        Some(match which {
            Matrix::Logits => &h()?.logits,
            Matrix::Weights => &h()?.weights,
            Matrix::HeadOutput => &h()?.output,
            Matrix::Concat => &self.soft.concat,
            Matrix::Output => &self.soft.output,
            _ => return None,
        })
    }

    /// The shape of one matrix (rows, columns), without copying it.
    pub fn shape(&self, which: Matrix, head: usize) -> Option<(usize, usize)> {
        if which.before_softmax() {
            return self.first.shape(which, head);
        }
        self.matrix(which, head).map(Mat::shape)
    }

    /// Entropy, largest weight and softmax Jacobian norm of query `q`'s
    /// weights in `head` (only the row the page shows is computed).
    pub fn row_stats(&self, head: usize, q: usize) -> Option<RowStats> {
        let w = self.head(head)?.weights;
        (q < w.nrows())
            .then(|| row_stats(&w.rows(q, 1).into_owned()).pop())
            .flatten()
    }

    /// One matrix as a heatmap (rows are the tokens); the per-head ones
    /// are `head`'s. `None` for a head that does not exist.
    pub fn heatmap(&self, which: Matrix, head: usize) -> Option<HeatmapData> {
        if which.before_softmax() {
            return self.first.heatmap(which, head);
        }
        let m = self.matrix(which, head)?;
        let tokens = self.tokens();
        Some(match which {
            Matrix::Logits => signed(m, tokens.to_vec(), tokens.to_vec()),
            Matrix::Weights => weight_map(m, tokens),
            _ => signed(m, tokens.to_vec(), dim_labels(m.ncols())),
        })
    }

    /// The sum of each row of `head`'s weights (1, up to rounding).
    pub fn row_sums(&self, head: usize) -> Option<Vec<f64>> {
        let h = self.head(head)?;
        Some(h.weights.row_iter().map(|r| r.sum()).collect())
    }

    /// "Spread of the numbers" for `head`: the variance of its raw scores and
    /// of its finite logits.
    pub fn variances(&self, head: usize) -> Option<(f64, f64)> {
        let raw = self.first.score_variance(head)?;
        Some((raw, self.logit_variance(head)?))
    }

    /// The variance of `head`'s finite logits.
    pub fn logit_variance(&self, head: usize) -> Option<f64> {
        let h = self.head(head)?;
        let fin: Vec<f64> = h.logits.iter().copied().filter(|v| v.is_finite()).collect();
        Some(attention_core::variance(&fin))
    }
}

/// The engine's options for `state`: what the trace depends on besides the
/// tokens and weights (the step, head and selected query are not).
pub fn config(state: &QkvState) -> AttentionConfig {
    AttentionConfig {
        scale: state.scale,
        temperature: state.temperature,
        mask: mask(state),
        position: Position::None,
    }
}

/// The engine's mask for `state`.
pub fn mask(state: &QkvState) -> Mask {
    if state.causal() {
        Mask::Causal
    } else {
        Mask::None
    }
}

/// Which heads a step needs: all of them for the output (its concat and
/// W_O), else only the head shown (`Some(head)`), an eighth of the work
/// with 8 heads.
pub fn heads_needed(state: &QkvState) -> Option<usize> {
    match state.step {
        Step::Output | Step::All => None,
        _ => Some(state.head),
    }
}

/// The engine's first half on already embedded tokens and weights, scaled
/// or not, for every head or only head `only`.
pub fn scores(
    emb: &Embedded,
    weights: &MultiHeadWeights,
    scale: bool,
    only: Option<usize>,
) -> Result<QkvScores, String> {
    let one = only.and_then(|h| weights.heads.get(h).map(|w| (h, w)));
    // The temperature and the mask are the second half's.
    let cfg = AttentionConfig {
        scale,
        ..AttentionConfig::default()
    };
    let (scored, first_head, w_o) = match one {
        Some((h, w)) => {
            let single = MultiHeadWeights {
                heads: vec![w.clone()],
                w_o: None,
            };
            (attention_scores(&emb.x, &single, &cfg), h, None)
        }
        None => (
            attention_scores(&emb.x, weights, &cfg),
            0,
            weights.w_o.clone(),
        ),
    };
    Ok(QkvScores {
        tokens: emb.tokens.clone(),
        token_notes: emb.notes.clone(),
        scored: scored.map_err(|e| e.to_string())?,
        w_o,
        first_head,
        all_heads: one.is_none(),
    })
}

/// The engine's second half on `first` with the temperature and mask.
pub fn soften(first: Arc<QkvScores>, temperature: f64, mask: Mask) -> Result<QkvModel, String> {
    let soft = attention_softmax(&first.scored, first.w_o.as_ref(), temperature, mask)
        .map_err(|e| e.to_string())?;
    Ok(QkvModel { first, soft })
}

/// Runs attention with `cfg` on already embedded tokens and weights, for
/// every head or only head `only`: both halves.
pub fn run(
    cfg: &AttentionConfig,
    emb: &Embedded,
    weights: &MultiHeadWeights,
    only: Option<usize>,
) -> Result<QkvModel, String> {
    let first = scores(emb, weights, cfg.scale, only)?;
    soften(Arc::new(first), cfg.temperature, cfg.mask)
}

/// Runs the engine for `state` from scratch. `Err` carries a message for the learner.
pub fn compute(state: &QkvState) -> Result<QkvModel, String> {
    let emb = embed_max(&state.text, state.d_model, state.seed, MAX_QKV_TOKENS)?;
    let weights = projection_weights(state.d_model, state.heads, state.d_k, state.seed)?;
    run(&config(state), &emb, &weights, heads_needed(state))
}

/// Column labels `0..n` for feature dimensions.
pub fn dim_labels(n: usize) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

/// One query's view of one head: per key its raw score, scaled logit, weight,
/// and the weighted value row it contributes (`weight * v_j`).
#[derive(Clone, Debug, PartialEq)]
pub struct QueryBreakdown {
    pub scores: Vec<f64>,
    pub logits: Vec<f64>,
    pub weights: Vec<f64>,
    /// n x d_v: row j is weight_j * v_j; the rows sum to the output row.
    pub contributions: Mat,
    /// 1 x d_v: the query's output row.
    pub output: Mat,
}

/// The breakdown for query `q` of head `head`, if both exist.
pub fn breakdown(m: &QkvModel, head: usize, q: usize) -> Option<QueryBreakdown> {
    let h = m.head(head)?;
    if q >= h.weights.nrows() {
        return None;
    }
    let row = |m: &Mat| m.row(q).iter().copied().collect::<Vec<f64>>();
    let w = row(h.weights);
    let contributions = attention_core::contributions(h.weights, h.v, q).ok()?;
    Some(QueryBreakdown {
        scores: row(h.scores),
        logits: row(h.logits),
        weights: w,
        contributions,
        output: h.output.rows(q, 1).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::heatmap::{signed, ColorScale};

    /// The default state on "all steps": every head is computed.
    fn every_step() -> QkvState {
        QkvState {
            step: Step::All,
            ..QkvState::default()
        }
    }

    #[test]
    fn default_state_computes_with_every_weight_row_summing_to_one() {
        let m = compute(&every_step()).expect("computes");
        assert_eq!(m.tokens().len(), 11);
        assert_eq!(m.soft.heads.len(), 2);
        for h in [m.head(0).expect("0"), m.head(1).expect("1")] {
            assert_eq!(h.weights.shape(), (11, 11));
            assert_eq!(h.q.shape(), (11, 4));
            for r in 0..11 {
                let s: f64 = h.weights.row(r).iter().sum();
                assert!((s - 1.0).abs() < 1e-12);
            }
        }
        assert_eq!(m.soft.output.shape(), (11, 8));
        let all = row_stats(&m.soft.heads[1].weights);
        assert_eq!(m.row_stats(1, 4), Some(all[4]), "one row, the same numbers");
        assert_eq!(m.row_stats(1, 11), None);
        assert_eq!(m.row_stats(2, 0), None);
    }

    #[test]
    fn empty_text_is_a_message_not_a_panic() {
        let s = QkvState {
            text: "   ".into(),
            ..QkvState::default()
        };
        assert!(compute(&s).unwrap_err().contains("at least one word"));
    }

    #[test]
    fn same_state_same_numbers_and_seed_changes_them() {
        let a = compute(&every_step()).expect("a");
        let b = compute(&every_step()).expect("b");
        assert_eq!(a, b);
        let c = compute(&QkvState {
            seed: 8,
            ..every_step()
        })
        .expect("c");
        assert_ne!(a.soft.output, c.soft.output);
    }

    #[test]
    fn scaling_toggle_changes_the_logits_by_sqrt_dk() {
        let on = compute(&every_step()).expect("on");
        let off = compute(&QkvState {
            scale: false,
            ..every_step()
        })
        .expect("off");
        let (a, b) = (&on.soft.heads[0].logits, &off.soft.heads[0].logits);
        assert!(
            (b[(0, 1)] - a[(0, 1)] * 2.0).abs() < 1e-12,
            "d_k = 4, so sqrt = 2"
        );
    }

    #[test]
    fn extreme_but_allowed_settings_stay_finite() {
        let s = QkvState {
            text: (0..64)
                .map(|i| format!("w{i}"))
                .collect::<Vec<_>>()
                .join(" "),
            d_model: 128,
            d_k: 64,
            heads: 8,
            scale: false,
            temperature: 0.05,
            mask: Masking::Causal,
            ..QkvState::default()
        };
        let m = compute(&s).expect("computes");
        for h in &m.soft.heads {
            assert!(h.weights.iter().all(|w| w.is_finite()));
            assert_eq!(h.weights[(0, 1)], 0.0, "causal mask");
        }
    }

    #[test]
    fn a_step_of_one_head_computes_that_head_only_with_the_same_numbers() {
        let all = compute(&QkvState {
            step: Step::All,
            heads: 4,
            ..QkvState::default()
        })
        .expect("all");
        assert!(all.first.all_heads);
        let one = compute(&QkvState {
            step: Step::Softmax,
            heads: 4,
            head: 2,
            ..QkvState::default()
        })
        .expect("one");
        assert!(!one.first.all_heads);
        assert_eq!(one.soft.heads.len(), 1);
        assert_eq!(one.head(2), all.head(2), "same numbers");
        assert!(one.head(1).is_none() && one.head(3).is_none());
        assert_eq!(
            one.heatmap(Matrix::Weights, 2),
            all.heatmap(Matrix::Weights, 2)
        );
        assert_eq!(one.heatmap(Matrix::Concat, 2), None);
        assert_eq!(one.shape(Matrix::Output, 2), None);
        assert_eq!(breakdown(&one, 2, 3), breakdown(&all, 2, 3));
        assert_eq!(one.row_stats(2, 3), all.row_stats(2, 3));
        assert_eq!(one.variances(2), all.variances(2));
    }

    #[test]
    fn a_temperature_or_mask_change_on_the_kept_first_half_equals_a_fresh_run() {
        // What the page does on a temperature drag: the first half stays,
        // the second half reruns.
        let s = QkvState {
            heads: 4,
            ..every_step()
        };
        let emb = embed_max(&s.text, s.d_model, s.seed, MAX_QKV_TOKENS).expect("emb");
        let w = projection_weights(s.d_model, s.heads, s.d_k, s.seed).expect("w");
        for only in [None, Some(2)] {
            let first = Arc::new(scores(&emb, &w, s.scale, only).expect("first"));
            for (t, mask) in [(0.3, Masking::None), (4.0, Masking::Causal)] {
                let next = QkvState {
                    temperature: t,
                    mask,
                    step: if only.is_some() {
                        Step::Softmax
                    } else {
                        Step::All
                    },
                    head: 2,
                    ..s.clone()
                };
                let kept = soften(Arc::clone(&first), t, super::mask(&next)).expect("kept");
                assert_eq!(kept, compute(&next).expect("fresh"), "{only:?} {t}");
                assert!(Arc::ptr_eq(&kept.first, &first), "not copied");
            }
        }
        // X, Q, K, V and the scores come from the first half alone.
        let first = scores(&emb, &w, s.scale, None).expect("first");
        let m = compute(&s).expect("m");
        for which in [Matrix::X, Matrix::Q, Matrix::K, Matrix::V, Matrix::Scores] {
            assert!(which.before_softmax());
            assert_eq!(first.heatmap(which, 3), m.heatmap(which, 3), "{which:?}");
        }
        assert_eq!(first.heatmap(Matrix::Logits, 0), None);
        assert!(!Matrix::Logits.before_softmax());
        assert_eq!(first.score_variance(1), m.variances(1).map(|v| v.0));
    }

    #[test]
    fn five_hundred_twelve_tokens_compute() {
        let s = QkvState {
            text: (0..600)
                .map(|i| format!("w{i}"))
                .collect::<Vec<_>>()
                .join(" "),
            d_model: 64,
            heads: 8,
            d_k: 8,
            ..every_step()
        };
        let m = compute(&s).expect("computes");
        assert_eq!(m.tokens().len(), 512);
        assert_eq!(m.shape(Matrix::Weights, 7), Some((512, 512)));
        assert!(m.first.token_notes[0].contains("600"));
    }

    #[test]
    fn breakdown_contributions_sum_to_the_output_row() {
        let m = compute(&every_step()).expect("computes");
        let b = breakdown(&m, 1, 3).expect("exists");
        for c in 0..b.contributions.ncols() {
            let s: f64 = b.contributions.column(c).iter().sum();
            assert!((s - b.output[(0, c)]).abs() < 1e-12);
        }
        assert!(breakdown(&m, 5, 0).is_none());
        assert!(breakdown(&m, 0, 99).is_none());
    }

    #[test]
    fn every_matrix_has_its_shape_and_labels() {
        let m = compute(&every_step()).expect("computes");
        let shape = |w, h| m.heatmap(w, h).map(|d| (d.rows, d.cols));
        assert_eq!(shape(Matrix::X, 0), Some((11, 8)));
        assert_eq!(shape(Matrix::Q, 1), Some((11, 4)));
        assert_eq!(shape(Matrix::V, 1), Some((11, 4)));
        assert_eq!(shape(Matrix::Scores, 0), Some((11, 11)));
        assert_eq!(shape(Matrix::Logits, 0), Some((11, 11)));
        assert_eq!(shape(Matrix::HeadOutput, 0), Some((11, 4)));
        assert_eq!(shape(Matrix::Concat, 0), Some((11, 8)));
        assert_eq!(shape(Matrix::Output, 5), Some((11, 8)), "not per head");
        assert_eq!(shape(Matrix::K, 2), None, "two heads");
        for which in [
            Matrix::X,
            Matrix::Q,
            Matrix::Weights,
            Matrix::Concat,
            Matrix::Output,
        ] {
            assert_eq!(m.shape(which, 1), shape(which, 1), "{which:?}");
        }
        assert_eq!(m.shape(Matrix::Q, 2), None);
        let w = m.heatmap(Matrix::Weights, 1).expect("weights");
        assert_eq!(w.col_labels, m.tokens());
        assert_eq!(w.get(2, 3), Some(m.soft.heads[1].weights[(2, 3)]));
        let q = m.heatmap(Matrix::Q, 0).expect("q");
        assert_eq!(
            (q.row_labels[0].as_str(), q.col_labels[3].as_str()),
            ("The", "3")
        );
        let sums = m.row_sums(0).expect("sums");
        assert_eq!(sums.len(), 11);
        assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-12));
        assert!(m.row_sums(2).is_none());
        let (raw, scaled) = m.variances(0).expect("variances");
        assert!(
            raw > 0.0 && (scaled * 4.0 - raw).abs() < 1e-9,
            "d_k = 4, τ = 1"
        );
        assert!(m.variances(2).is_none());
    }

    #[test]
    fn heatmap_data_is_row_major_with_labels() {
        let m = Mat::from_row_slice(2, 3, &[1.0, -2.0, 3.0, 4.0, 5.0, -6.0]);
        let d = signed(&m, vec!["a".into(), "b".into()], dim_labels(3));
        assert_eq!(d.get(0, 1), Some(-2.0));
        assert_eq!(d.get(1, 2), Some(-6.0));
        assert_eq!(d.scale, ColorScale::Diverging { abs_max: 6.0 });
        assert_eq!(d.col_labels, ["0", "1", "2"]);
    }
}
