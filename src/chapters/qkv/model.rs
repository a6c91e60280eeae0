//! The Q/K/V chapter's view model: the engine's trace for the current state,
//! plus the heatmap data and per-query breakdown the page shows.
//!
//! Pure (no DOM), so it is tested natively. Every number comes from
//! `attention-core`; this module only arranges it.

use super::state::QkvState;
use crate::text::tokenize;
use attention_core::{
    attention_trace, embed_tokens, row_stats, AttentionConfig, Mask, Mat, MultiHeadWeights,
    Position, RowStats, Trace,
};

/// Seed offset between embeddings and projection weights, so they differ.
const WEIGHT_SEED_SALT: u64 = 0x005e_ed0f_a77e;

/// What the page shows for one state.
#[derive(Clone, Debug, PartialEq)]
pub struct QkvModel {
    pub tokens: Vec<String>,
    /// Notes from tokenizing (limits hit).
    pub token_notes: Vec<String>,
    pub weights: MultiHeadWeights,
    pub trace: Trace,
    /// Entropy, max weight, Jacobian norm of every row of the shown head's weights.
    pub stats: Vec<RowStats>,
}

/// The token rows: tokens, tokenizer notes and X (n x d_model). Depends only
/// on the text, d_model and the seed, so the chapter memoises it separately.
#[derive(Clone, Debug, PartialEq)]
pub struct Embedded {
    pub tokens: Vec<String>,
    pub notes: Vec<String>,
    /// n x d_model.
    pub x: Mat,
}

/// Tokenizes and embeds `text` with `d_model` dimensions and `seed`.
pub fn embed(text: &str, d_model: usize, seed: u64) -> Result<Embedded, String> {
    let tk = tokenize(text);
    if tk.tokens.is_empty() {
        return Err("Type at least one word to see attention at work.".into());
    }
    let x = embed_tokens(&tk.tokens, d_model, seed).map_err(|e| e.to_string())?;
    Ok(Embedded {
        tokens: tk.tokens,
        notes: tk.notes,
        x,
    })
}

/// Seeded projection weights: `heads` heads of width `d_k` (d_v = d_k) over
/// `d_model`, and W_O back to `d_model`.
pub fn projection_weights(
    d_model: usize,
    heads: usize,
    d_k: usize,
    seed: u64,
) -> Result<MultiHeadWeights, String> {
    MultiHeadWeights::random(d_model, heads, d_k, d_k, d_model, seed ^ WEIGHT_SEED_SALT)
        .map_err(|e| e.to_string())
}

/// Runs attention for `state` on already embedded tokens and weights.
pub fn run(
    state: &QkvState,
    emb: &Embedded,
    weights: &MultiHeadWeights,
) -> Result<QkvModel, String> {
    let cfg = AttentionConfig {
        scale: state.scale,
        temperature: state.temperature,
        mask: if state.causal {
            Mask::Causal
        } else {
            Mask::None
        },
        position: Position::None,
    };
    let trace = attention_trace(&emb.x, weights, &cfg).map_err(|e| e.to_string())?;
    let head = state.head.min(trace.heads.len().saturating_sub(1));
    let stats = trace
        .heads
        .get(head)
        .map(|h| row_stats(&h.weights))
        .unwrap_or_default();
    Ok(QkvModel {
        tokens: emb.tokens.clone(),
        token_notes: emb.notes.clone(),
        weights: weights.clone(),
        trace,
        stats,
    })
}

/// Runs the engine for `state` from scratch. `Err` carries a message for the learner.
pub fn compute(state: &QkvState) -> Result<QkvModel, String> {
    let emb = embed(&state.text, state.d_model, state.seed)?;
    let weights = projection_weights(state.d_model, state.heads, state.d_k, state.seed)?;
    run(state, &emb, &weights)
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
pub fn breakdown(trace: &Trace, head: usize, q: usize) -> Option<QueryBreakdown> {
    let h = trace.heads.get(head)?;
    if q >= h.weights.nrows() {
        return None;
    }
    let row = |m: &Mat| m.row(q).iter().copied().collect::<Vec<f64>>();
    let w = row(&h.weights);
    let contributions = attention_core::contributions(&h.weights, &h.v, q).ok()?;
    Some(QueryBreakdown {
        scores: row(&h.scores),
        logits: row(&h.logits),
        weights: w,
        contributions,
        output: h.output.rows(q, 1).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::heatmap::{signed, ColorScale};

    #[test]
    fn default_state_computes_with_every_weight_row_summing_to_one() {
        let m = compute(&QkvState::default()).expect("computes");
        assert_eq!(m.tokens.len(), 11);
        assert_eq!(m.trace.heads.len(), 2);
        for h in &m.trace.heads {
            assert_eq!(h.weights.shape(), (11, 11));
            assert_eq!(h.q.shape(), (11, 4));
            for r in 0..11 {
                let s: f64 = h.weights.row(r).iter().sum();
                assert!((s - 1.0).abs() < 1e-12);
            }
        }
        assert_eq!(m.trace.output.shape(), (11, 8));
        assert_eq!(m.stats.len(), 11);
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
        let a = compute(&QkvState::default()).expect("a");
        let b = compute(&QkvState::default()).expect("b");
        assert_eq!(a, b);
        let c = compute(&QkvState {
            seed: 8,
            ..QkvState::default()
        })
        .expect("c");
        assert_ne!(a.trace.output, c.trace.output);
    }

    #[test]
    fn scaling_toggle_changes_the_logits_by_sqrt_dk() {
        let on = compute(&QkvState::default()).expect("on");
        let off = compute(&QkvState {
            scale: false,
            ..QkvState::default()
        })
        .expect("off");
        let (a, b) = (&on.trace.heads[0].logits, &off.trace.heads[0].logits);
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
            causal: true,
            ..QkvState::default()
        };
        let m = compute(&s).expect("computes");
        for h in &m.trace.heads {
            assert!(h.weights.iter().all(|w| w.is_finite()));
            assert_eq!(h.weights[(0, 1)], 0.0, "causal mask");
        }
    }

    #[test]
    fn breakdown_contributions_sum_to_the_output_row() {
        let m = compute(&QkvState::default()).expect("computes");
        let b = breakdown(&m.trace, 1, 3).expect("exists");
        for c in 0..b.contributions.ncols() {
            let s: f64 = b.contributions.column(c).iter().sum();
            assert!((s - b.output[(0, c)]).abs() < 1e-12);
        }
        assert!(breakdown(&m.trace, 5, 0).is_none());
        assert!(breakdown(&m.trace, 0, 99).is_none());
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
