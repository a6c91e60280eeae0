//! Section 4 of the cost chapter: linear attention (Katharopoulos et al.
//! 2020, feature map elu(x) + 1). Its fast form phi(Q) (phi(K)^T V) next
//! to the quadratic form it equals, next to softmax attention on the same
//! input, and its measured slope from section 2's run.

use super::model::{diff, grouped_usize, trimmed};
use super::sparse::inputs;
use super::state::{CostState, LIN_N};
use super::time_it::TimingRunner;
use super::timing::{curves, Variant};
use super::Facts;
use crate::charts::export::ChartNumbers;
use crate::charts::heatmap::ColorScale;
use crate::charts::position::{draw_matrix_image, MatrixImage};
use crate::router::{field, UrlState};
use crate::widgets::chart::{draw_from_result, Chart, Drawing};
use crate::widgets::section::Section;
use crate::widgets::slider::{ParamSlider, Toggle};
use crate::widgets::table::{NumbersTable, TableData};
use attention_core::efficient::{
    difference, linear_attention, linear_attention_quadratic, linear_vs_softmax,
};
use attention_core::Mat;
use leptos::prelude::*;

/// Everything section 4 shows.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearView {
    pub n: usize,
    pub causal: bool,
    /// max |fast − quadratic| over the outputs.
    pub forms_diff: f64,
    pub output_diff: (f64, f64),
    pub weights_diff: (f64, f64),
    /// Numbers the fast form keeps instead of the n x n matrix.
    pub summary_numbers: usize,
    pub quadratic_numbers: usize,
    pub images: [MatrixImage; 2],
}

fn image(title: &str, w: &Mat, max: f64) -> MatrixImage {
    MatrixImage {
        title: title.into(),
        rows: w.nrows(),
        cols: w.ncols(),
        // Row-major.
        values: w.transpose().iter().copied().collect(),
        scale: ColorScale::Sequential { min: 0.0, max },
        row_label: "query".into(),
        col_label: "key".into(),
    }
}

/// Section 4 for the state.
pub fn linear_view(s: &CostState) -> Result<LinearView, String> {
    let (n, causal) = (s.lin_n, s.lin_causal);
    let (q, k, v) = inputs(n, s.seed);
    let e = |e: attention_core::AttnError| e.to_string();
    let fast = linear_attention(&q, &k, &v, causal).map_err(e)?;
    let slow = linear_attention_quadratic(&q, &k, &v, causal).map_err(e)?;
    let forms = difference(&fast.output, &slow.output).map_err(e)?;
    let vs = linear_vs_softmax(&q, &k, &v, causal, true).map_err(e)?;
    let max = vs
        .softmax_weights
        .iter()
        .chain(vs.linear_weights.iter())
        .copied()
        .fold(0.0, f64::max)
        .max(1e-9);
    Ok(LinearView {
        n,
        causal,
        forms_diff: forms.max_abs,
        output_diff: (vs.output_diff.max_abs, vs.output_diff.mean_abs),
        weights_diff: (vs.weights_diff.max_abs, vs.weights_diff.mean_abs),
        summary_numbers: fast.size.total,
        quadratic_numbers: fast.size.quadratic,
        images: [
            image("Softmax attention's weights", &vs.softmax_weights, max),
            image("Weights linear attention implies", &vs.linear_weights, max),
        ],
    })
}

/// The heading of this section.
pub(super) const LINEAR_TITLE: &str = "4 · Linear attention: change the similarity";

/// Section 4.
#[component]
pub fn LinearSection(url: UrlState<CostState>, runner: TimingRunner) -> impl IntoView {
    let state = url.state;
    let view_m = Memo::new(move |_| state.with(linear_view));
    let draw = move |i: usize| {
        Drawing::from(draw_from_result(view_m, move |a, v: &LinearView, s, th| {
            v.images
                .get(i)
                .map_or(Ok(()), |m| draw_matrix_image(a, m, th, s))
        }))
        .with_numbers_of(view_m, move |r: &Result<LinearView, String>| {
            r.as_ref().ok()?.images.get(i).map(|m| m.numbers())
        })
    };
    let slope = move || {
        runner.with(|t| {
            let cs = curves(t);
            let get = |var| cs.iter().find(|c| c.variant == var).and_then(|c| c.slope);
            match (get(Variant::Linear), get(Variant::Dense)) {
                (Some(l), Some(d)) => format!(
                    "Measured in section 2: linear attention's time grows with slope {} on the log-log chart, dense attention's with {}.",
                    trimmed(l, 2),
                    trimmed(d, 2)
                ),
                _ => "Run the timing in section 2 to see linear attention's measured slope next to dense attention's.".into(),
            }
        })
    };
    view! {
        <Section id="linear-title" title=LINEAR_TITLE>
            <p>
                "Softmax needs every score of a row before it can normalise, which ties it to the n × n matrix. "
                "Linear attention replaces exp(q·k) by φ(q)·φ(k) with φ(x) = elu(x) + 1 (always positive). "
                "Then the sums can be regrouped: φ(Q) (φ(K)ᵀ V) first adds up a small d × d summary of the keys and values once, and each query reads it. "
                "No n × n matrix, and work proportional to n."
            </p>
            <div class="control-grid">
                <ParamSlider
                    label="Length n"
                    param=LIN_N
                    test_id="lin-n"
                    bind=field!(url.lin_n)
                />
                <Toggle
                    label="Causal (prefix sums)"
                    test_id="lin-causal"
                    bind=field!(url.lin_causal)
                />
            </div>
            {move || view_m.with(|v| match v {
                Ok(v) => facts(v).into_any(),
                Err(e) => view! { <p class="error">{e.clone()}</p> }.into_any(),
            })}
            <p class="measure" data-testid="lin-slope">{slope}</p>
            <div class="row-of-maps">
                <Chart size=(420.0, 460.0) test_id="lin-softmax" label="Softmax attention weights as an image" draw=draw(0)>
                    {move || view_m.with(|v| v.as_ref().ok().and_then(|v| v.images.first().map(weights_table)))}
                </Chart>
                <Chart size=(420.0, 460.0) test_id="lin-linear" label="Weights implied by linear attention as an image" draw=draw(1)>
                    {move || view_m.with(|v| v.as_ref().ok().and_then(|v| v.images.last().map(weights_table)))}
                </Chart>
            </div>
            <p class="hint">
                "What is lost: φ(q)·φ(k) is a much blunter similarity than exp(q·k). The implied weights are spread over many keys, "
                "so linear attention cannot pick out one key as sharply as softmax does; models built on it need other tricks to recover that."
            </p>
        </Section>
    }
}

fn facts(v: &LinearView) -> impl IntoView {
    Facts {
        caption: format!(
            "n = {}, d = {}{}",
            v.n,
            super::sparse::D,
            if v.causal { ", causal" } else { "" }
        ),
        header: vec!["".into(), "max".into(), "mean".into()],
        rows: vec![
            (
                "|φ(Q)(φ(K)ᵀV) − the quadratic form|".into(),
                vec![diff(v.forms_diff), String::new()],
            ),
            (
                "|linear − softmax| in the outputs".into(),
                vec![
                    format!("{:.3}", v.output_diff.0),
                    format!("{:.3}", v.output_diff.1),
                ],
            ),
            (
                "|linear − softmax| in the weights".into(),
                vec![
                    format!("{:.3}", v.weights_diff.0),
                    format!("{:.4}", v.weights_diff.1),
                ],
            ),
            (
                "numbers held instead of n × n".into(),
                vec![
                    format!(
                        "{} instead of {}",
                        grouped_usize(v.summary_numbers),
                        grouped_usize(v.quadratic_numbers)
                    ),
                    String::new(),
                ],
            ),
        ],
        test_id: "lin-facts",
        current: None,
    }
    .view()
}

/// A weight image's numbers, one row per query.
pub fn weights_table(m: &MatrixImage) -> impl IntoView {
    let header: Vec<String> = std::iter::once("query".to_string())
        .chain((0..m.cols).map(|j| format!("k{j}")))
        .collect();
    let h: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = TableData::new(&h);
    t.rows = m
        .values
        .chunks(m.cols.max(1))
        .enumerate()
        .map(|(i, row)| {
            (
                Some(i.to_string()),
                row.iter().map(|w| format!("{w:.3}")).collect(),
            )
        })
        .collect();
    view! { <NumbersTable data=t /> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_form_equals_the_quadratic_form_and_differs_from_softmax() {
        for causal in [false, true] {
            let s = CostState {
                lin_n: 24,
                lin_causal: causal,
                ..CostState::default()
            };
            let v = linear_view(&s).unwrap();
            assert!(v.forms_diff < 1e-12, "{}", v.forms_diff);
            assert!(v.output_diff.0 > 1e-3, "a different method");
            assert_eq!(v.summary_numbers, 16 * 16 + 16);
            assert_eq!(v.quadratic_numbers, 24 * 24);
            assert_eq!(v.images[0].values.len(), 24 * 24);
            // Each weight row sums to 1 in both images.
            for img in &v.images {
                for row in img.values.chunks(24) {
                    assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
                }
            }
        }
    }
}
