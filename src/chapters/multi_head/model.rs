//! The multi-head chapter's view model (tested natively): the trained model
//! with some heads switched off, one layer's heads taken apart (weights,
//! per-head outputs, concatenation, W_O), and the head study as tables and
//! a pruning chart.

use crate::charts::heatmap::{signed, weights as weight_map, HeatmapData};
use crate::charts::plots::{CurveChart, Series};
use crate::widgets::table::TableData;
use attention_core::train::coref::Corpus;
use attention_core::train::head_study::HeadReport;
use attention_core::train::EncoderClassifier;
use attention_core::Mat;

/// `model` with the heads in `off` switched off.
pub fn masked(model: &EncoderClassifier, off: &[(usize, usize)]) -> EncoderClassifier {
    let mut m = model.clone();
    for &(l, h) in off {
        // Out-of-range heads were dropped when the URL was read; ignore any
        // left rather than fail.
        let _ = m.set_head(l, h, false);
    }
    m
}

/// One layer's attention taken apart for the learner's sentence.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerParts {
    pub words: Vec<String>,
    /// Per head, `n x n`.
    pub weights: Vec<Mat>,
    /// Per head, `n x d_v`: `A_h V_h` before the gate.
    pub outputs: Vec<Mat>,
    /// `n x (H d_v)`: the gated outputs side by side.
    pub concat: Mat,
    /// `(H d_v) x d_model`.
    pub w_o: Mat,
    /// `n x d_model`: `concat W_O + b_O`, what the layer adds to its input.
    pub out: Mat,
    /// Per head: on (gate 1) or off.
    pub on: Vec<bool>,
}

/// Runs `model` on `text` (cut to the model's length) and takes layer
/// `layer`'s attention apart. Err (for the learner) on an empty sentence.
pub fn layer_parts(
    model: &EncoderClassifier,
    corpus: &Corpus,
    text: &str,
    layer: usize,
) -> Result<LayerParts, String> {
    let mut e = corpus.encode(text);
    e.words.truncate(model.cfg.max_len);
    e.tokens.truncate(model.cfg.max_len);
    if e.tokens.is_empty() {
        return Err("Type a sentence to see the heads at work.".into());
    }
    let (_, cache) = model
        .forward(&e.tokens, 0)
        .map_err(|err| format!("The model could not read this sentence: {err}"))?;
    let (c, attn) = match (cache.layers.get(layer), model.layers.get(layer)) {
        (Some(c), Some(l)) => (&c.attn, &l.attn),
        _ => return Err(format!("There is no layer {}.", layer + 1)),
    };
    let (n, d_v, h_n) = (e.tokens.len(), attn.cfg.d_v, attn.cfg.n_heads);
    let gates: Vec<f64> = attn.gates.value.iter().copied().collect();
    let mut concat = Mat::zeros(n, h_n * d_v);
    for (h, (o, g)) in c.outputs.iter().zip(&gates).enumerate() {
        concat.columns_mut(h * d_v, d_v).copy_from(&(o * *g));
    }
    let w_o = attn.w_o.weight.value.clone();
    let mut out = &concat * &w_o;
    for mut row in out.row_iter_mut() {
        row += &attn.w_o.bias.value;
    }
    Ok(LayerParts {
        words: e.words,
        weights: c.weights.clone(),
        outputs: c.outputs.clone(),
        concat,
        w_o,
        out,
        on: gates.iter().map(|&g| g != 0.0).collect(),
    })
}

/// Width of the random-weights layer (as the trained model's).
pub const RANDOM_D_MODEL: usize = 32;
/// Seed of the random embeddings and weights.
pub const RANDOM_SEED: u64 = 7;

/// The same picture with random weights: `heads` heads of width `width`
/// (d_k = d_v) over seeded random word vectors of width
/// [`RANDOM_D_MODEL`], W_O back to that width. Err (for the learner) on an
/// empty sentence or a zero size.
pub fn layer_parts_random(text: &str, heads: usize, width: usize) -> Result<LayerParts, String> {
    use crate::widgets::seeded::{embed, projection_weights};
    use attention_core::{attention_trace, AttentionConfig};
    let emb = embed(text, RANDOM_D_MODEL, RANDOM_SEED)?;
    let w = projection_weights(RANDOM_D_MODEL, heads, width, RANDOM_SEED)?;
    let t = attention_trace(&emb.x, &w, &AttentionConfig::default()).map_err(|e| e.to_string())?;
    Ok(LayerParts {
        words: emb.tokens,
        weights: t.heads.iter().map(|h| h.weights.clone()).collect(),
        outputs: t.heads.iter().map(|h| h.output.clone()).collect(),
        w_o: w
            .w_o
            .clone()
            .unwrap_or_else(|| Mat::identity(t.concat.ncols(), t.concat.ncols())),
        concat: t.concat,
        out: t.output,
        on: vec![true; heads],
    })
}

/// Column labels `h1.1 … h4.8`: head and dimension within the head.
pub fn head_dims(h_n: usize, d_v: usize) -> Vec<String> {
    (0..h_n)
        .flat_map(|h| (0..d_v).map(move |j| format!("h{}.{}", h + 1, j + 1)))
        .collect()
}

impl LayerParts {
    pub fn weight_map(&self, h: usize) -> Option<HeatmapData> {
        Some(weight_map(self.weights.get(h)?, &self.words))
    }
    pub fn output_map(&self, h: usize) -> Option<HeatmapData> {
        let o = self.outputs.get(h)?;
        let cols = (1..=o.ncols()).map(|j| j.to_string()).collect();
        Some(signed(o, self.words.clone(), cols))
    }
    pub fn concat_map(&self) -> HeatmapData {
        let d_v = self.outputs.first().map_or(1, Mat::ncols);
        signed(
            &self.concat,
            self.words.clone(),
            head_dims(self.outputs.len(), d_v),
        )
    }
    pub fn w_o_map(&self) -> HeatmapData {
        let d_v = self.outputs.first().map_or(1, Mat::ncols);
        let cols = (1..=self.w_o.ncols()).map(|j| j.to_string()).collect();
        signed(&self.w_o, head_dims(self.outputs.len(), d_v), cols)
    }
    pub fn out_map(&self) -> HeatmapData {
        let cols = (1..=self.out.ncols()).map(|j| j.to_string()).collect();
        signed(&self.out, self.words.clone(), cols)
    }
}

/// A change in accuracy as signed percentage points, "−17.7" / "+0.3" /
/// "0.0" (never "-0.0").
pub fn signed_points(delta: f64) -> String {
    let v = (delta * 1000.0).round() / 10.0;
    if v == 0.0 {
        "0.0".into()
    } else if v < 0.0 {
        format!("−{:.1}", -v)
    } else {
        format!("+{v:.1}")
    }
}

/// "L1 H2" for 0-based `(layer, head)`.
pub fn head_name(l: usize, h: usize) -> String {
    format!("L{} H{}", l + 1, h + 1)
}

/// The ranking table: every head, most important (by accuracy drop) first.
pub fn ranking(report: &HeadReport) -> TableData {
    let mut heads: Vec<_> = report.heads.iter().collect();
    attention_core::order::sort_small_by(&mut heads, |a, b| {
        b.drop
            .total_cmp(&a.drop)
            .then(b.importance.total_cmp(&a.importance))
    });
    let n = report.order_gradient.len();
    let grad_rank = |l: usize, h: usize| {
        report
            .order_gradient
            .iter()
            .position(|&x| x == (l, h))
            .map_or(0, |i| n - i)
    };
    TableData::plain(
        &[
            "head",
            "what it does (measured)",
            "accuracy without it",
            "drop (points)",
            "gradient importance",
            "rank by gradient",
        ],
        heads.iter().map(|i| {
            vec![
                head_name(i.layer, i.head),
                i.pattern.label(),
                format!("{:.1}%", i.without.all * 100.0),
                signed_points(-i.drop),
                format!("{:.2e}", i.importance),
                grad_rank(i.layer, i.head).to_string(),
            ]
        }),
    )
}

/// Accuracy against heads pruned, in both orders.
pub fn pruning_chart(report: &HeadReport) -> CurveChart {
    let points = |c: &[f64]| c.iter().enumerate().map(|(k, &a)| (k as f64, a)).collect();
    CurveChart {
        title: format!(
            "Held-out accuracy ({} sentences) as heads are pruned, least important first",
            report.sentences
        ),
        x_label: "heads switched off".into(),
        y_label: "accuracy".into(),
        y_range: (0.0, 1.0),
        series: vec![
            Series::primary("by accuracy drop", points(&report.curve_drop)),
            Series::secondary("by gradient importance", points(&report.curve_gradient)),
        ],
        x_max: report.curve_drop.len().saturating_sub(1).max(1) as f64,
    }
}

/// The pruning curves as a table.
pub fn pruning_table(report: &HeadReport) -> TableData {
    let name = |o: &[(usize, usize)], k: usize| {
        k.checked_sub(1)
            .and_then(|i| o.get(i))
            .map_or("—".to_string(), |&(l, h)| head_name(l, h))
    };
    TableData::plain(
        &[
            "heads off",
            "by drop: last head removed",
            "accuracy",
            "by gradient: last head removed",
            "accuracy",
        ],
        report.curve_drop.iter().enumerate().map(|(k, drop)| {
            vec![
                k.to_string(),
                name(&report.order_drop, k),
                format!("{drop:.3}"),
                name(&report.order_gradient, k),
                format!(
                    "{:.3}",
                    report.curve_gradient.get(k).copied().unwrap_or(f64::NAN)
                ),
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use attention_core::train::head_study::HeadStudy;

    use crate::models::shipped_coref as shipped;

    #[test]
    fn layer_parts_add_up() {
        let (m, c) = (shipped(), Corpus::new());
        let text = crate::widgets::coref::DEFAULT_TEXT;
        let p = layer_parts(&m, &c, text, 1).unwrap();
        assert_eq!((p.concat.nrows(), p.concat.ncols()), (11, 32));
        assert_eq!((p.w_o.nrows(), p.w_o.ncols()), (32, 32));
        assert_eq!(p.weights.len(), 4);
        assert_eq!(p.outputs[0].shape(), (11, 8));
        // Head 2's block of the concat is its output (all gates are on).
        assert_eq!(p.concat.columns(8, 8), p.outputs[1].columns(0, 8));
        // Switching a head off zeroes its block and changes the layer output.
        let off = layer_parts(&masked(&m, &[(1, 1)]), &c, text, 1).unwrap();
        assert!(off.concat.columns(8, 8).iter().all(|&v| v == 0.0));
        assert_eq!(off.on, vec![true, false, true, true]);
        assert!((&off.out - &p.out).amax() > 1e-6);
        assert_eq!(p.concat_map().col_labels[8], "h2.1");
        assert!(layer_parts(&m, &c, "  ", 0).is_err());
        assert!(layer_parts(&m, &c, text, 5).is_err());
    }

    #[test]
    fn random_layers_have_the_chosen_shape() {
        let p = layer_parts_random("the cat sat on the mat", 8, 3).unwrap();
        assert_eq!(p.weights.len(), 8);
        assert_eq!(p.concat.shape(), (6, 24));
        assert_eq!(p.w_o.shape(), (24, RANDOM_D_MODEL));
        assert_eq!(p.out.shape(), (6, RANDOM_D_MODEL));
        assert!((&p.concat * &p.w_o - &p.out).amax() < 1e-12);
        assert_eq!(p.concat.columns(3, 3), p.outputs[1].columns(0, 3));
        assert!(layer_parts_random("", 2, 2).is_err());
        assert!(layer_parts_random("a b", 0, 2).is_err());
    }

    #[test]
    fn signed_points_never_show_minus_zero() {
        assert_eq!(signed_points(-0.177), "−17.7");
        assert_eq!(signed_points(-0.0001), "0.0");
        assert_eq!(signed_points(0.003), "+0.3");
    }

    #[test]
    fn tables_and_chart_from_a_study() {
        let m = shipped();
        let sentences = Corpus::new().held_out(40, 5);
        let r = HeadStudy::new(&m, sentences).unwrap().run().unwrap();
        let t = ranking(&r);
        assert_eq!(t.rows.len(), 8);
        // Sorted by drop, largest first.
        let drops: Vec<f64> = t
            .rows
            .iter()
            .map(|r| -r.1[3].replace('−', "-").parse::<f64>().unwrap())
            .collect();
        assert!(drops.windows(2).all(|w| w[0] >= w[1]), "{drops:?}");
        let c = pruning_chart(&r);
        assert_eq!(c.series[0].points.len(), 9);
        assert_eq!(c.x_max, 8.0);
        let p = pruning_table(&r);
        assert_eq!(p.rows[0].1[1], "—");
        assert_eq!(p.rows.len(), 9);
    }
}
