//! Section 7 of the cost chapter: the KV cache. Tokens generated one by
//! one with one head (`attention_core::cost::kv_decode`): the work of each
//! new token with and without the cache, counted from the products done,
//! both outputs compared; and for the model of section 1, the work per new
//! token and the cache's size (`kv_step_cost`, `kv_cache_bytes`).

use super::model::{bytes, count, diff, grouped, grouped_usize};
use super::state::{CostState, KV_N};
use super::Facts;
use crate::charts::plots::{draw_curves, CurveChart, Series, SCALED, UNSCALED};
use crate::router::{field, UrlState};
use crate::widgets::chart::{draw_from_result, Chart};
use crate::widgets::section::Section;
use crate::widgets::slider::ParamSlider;
use crate::widgets::table::{NumbersTable, TableData};
use attention_core::cost::{kv_cache_bytes, kv_decode, kv_step_cost, KvDecode, KvStepCost};
use attention_core::{HeadWeights, Rng};
use leptos::prelude::*;

/// Width of the generated tokens and of the head.
pub const D_MODEL: usize = 32;
pub const D_K: usize = 16;

/// Everything section 7 shows.
#[derive(Clone, Debug, PartialEq)]
pub struct KvView {
    pub decode: KvDecode,
    pub chart: CurveChart,
    /// For section 1's model at its n: one new token's cost and the cache.
    pub model: Option<(String, u64, KvStepCost, u128)>,
}

/// Section 7 for the state.
pub fn kv_view(s: &CostState) -> Result<KvView, String> {
    let mut r = Rng::new(s.seed ^ 0x4B56_0000);
    let x = r.normal_matrix(s.kv_n, D_MODEL, 1.0);
    let w = 1.0 / (D_MODEL as f64).sqrt();
    let head = HeadWeights {
        w_q: r.normal_matrix(D_MODEL, D_K, w),
        w_k: r.normal_matrix(D_MODEL, D_K, w),
        w_v: r.normal_matrix(D_MODEL, D_K, w),
    };
    let decode = kv_decode(&x, &head).map_err(|e| e.to_string())?;
    let series =
        |name: &str, color, square, pick: fn(&attention_core::cost::KvDecodeStep) -> u128| Series {
            name: name.into(),
            points: decode
                .steps
                .iter()
                .map(|st| ((st.t + 1) as f64, pick(st) as f64))
                .collect(),
            color,
            square,
        };
    let top = decode
        .steps
        .last()
        .map_or(1.0, |st| st.macs_without_cache as f64);
    let chart = CurveChart {
        title: "Multiply-adds for each new token (one head)".into(),
        x_label: "token generated".into(),
        y_label: "multiply-adds".into(),
        y_range: (0.0, top * 1.05),
        series: vec![
            series("without cache", UNSCALED, true, |st| st.macs_without_cache),
            series("with cache", SCALED, false, |st| st.macs_with_cache),
        ],
        x_max: s.kv_n as f64,
    };
    let model = s.shape().ok().and_then(|shape| {
        let n = s.n as u64;
        let step = kv_step_cost(&shape, n.saturating_sub(1)).ok()?;
        let cache = kv_cache_bytes(n, shape.layers, shape.d_model, 2).ok()?;
        Some((shape.label.to_string(), n, step, cache))
    });
    Ok(KvView {
        decode,
        chart,
        model,
    })
}

/// Section 7.
#[component]
pub fn KvSection(url: UrlState<CostState>) -> impl IntoView {
    let state = url.state;
    let view_m = Memo::new(move |_| state.with(kv_view));
    let chart_draw = draw_from_result(view_m, |a, v: &KvView, s, th| {
        draw_curves(a, &v.chart, th, s)
    });
    view! {
        <Section id="kv-title" title="7 · The KV cache: generating one token at a time">
            <p>
                "A model that writes text produces one token at a time, and each new token attends to all the earlier ones. "
                "Without a cache every step recomputes the keys and values of the whole prefix and the full causal score matrix. "
                "With a cache the keys and values of earlier tokens are kept, so a step only projects the new token and scores one query row: "
                "its work grows with the prefix instead of with its square, at the price of memory that grows with every token."
            </p>
            <div class="control-grid">
                <ParamSlider label="Tokens generated" param=KV_N test_id="kv-n" bind=field!(url.kv_n) />
            </div>
            {move || view_m.with(|v| match v {
                Ok(v) => facts(v).into_any(),
                Err(e) => view! { <p class="error">{e.clone()}</p> }.into_any(),
            })}
            <Chart size=(620.0, 320.0) test_id="kv-chart" label="Multiply-adds per generated token with and without the KV cache" draw=chart_draw>
                {move || view_m.with(|v| v.as_ref().ok().map(steps_table))}
            </Chart>
        </Section>
    }
}

fn facts(v: &KvView) -> impl IntoView {
    let d = &v.decode;
    let ratio = d.total_macs_without_cache as f64 / (d.total_macs_with_cache.max(1) as f64);
    let mut rows = vec![
        (
            format!(
                "{} tokens, one head (d_model {D_MODEL}, d_k {D_K})",
                d.steps.len()
            ),
            vec![
                grouped(d.total_macs_with_cache),
                grouped(d.total_macs_without_cache),
            ],
        ),
        (
            "largest |with − without| in any output".into(),
            vec![diff(d.max_abs_diff), String::new()],
        ),
    ];
    if let Some((label, n, st, cache)) = &v.model {
        rows.push((
            format!("{label}: attention FLOPs of token {}", grouped(*n as u128)),
            vec![
                count(st.model_flops_with_cache),
                count(st.model_flops_without_cache),
            ],
        ));
        rows.push((
            format!(
                "{label}: the cache at {} tokens (bf16)",
                grouped(*n as u128)
            ),
            vec![bytes(*cache), "—".into()],
        ));
    }
    view! {
        {Facts {
            caption: format!("Work counted from the products done: {ratio:.1} times less with the cache"),
            header: vec!["".into(), "with cache".into(), "without".into()],
            rows,
            test_id: "kv-facts",
            current: None,
        }
        .view()}
    }
}

fn steps_table(v: &KvView) -> impl IntoView {
    let mut t = TableData::new(&[
        "token",
        "with cache",
        "without",
        "cached numbers",
        "|difference|",
    ]);
    t.rows = v
        .decode
        .steps
        .iter()
        .map(|st| {
            (
                None,
                vec![
                    (st.t + 1).to_string(),
                    grouped(st.macs_with_cache),
                    grouped(st.macs_without_cache),
                    grouped_usize(st.cache_numbers),
                    diff(st.max_abs_diff),
                ],
            )
        })
        .collect();
    view! { <NumbersTable data=t test_id="kv-numbers" /> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_saves_work_and_changes_nothing() {
        let s = CostState {
            kv_n: 10,
            n: 1000,
            ..CostState::default()
        };
        let v = kv_view(&s).unwrap();
        assert_eq!(v.decode.steps.len(), 10);
        assert!(v.decode.max_abs_diff < 1e-12);
        // Step t (0-based) with the cache: d (2 d_k + d_v) + (t + 1)(d_k + d_v).
        let last = v.decode.steps.last().unwrap();
        assert_eq!(last.macs_with_cache, (32 * 48 + 10 * 32) as u128);
        assert_eq!(last.macs_without_cache, (10 * 32 * 48 + 100 * 32) as u128);
        assert_eq!(v.chart.series.len(), 2);
        let (label, n, _, cache) = v.model.clone().unwrap();
        assert_eq!((label.as_str(), n), ("GPT-2 small", 1000));
        // 2 (K and V) x 1000 tokens x 12 layers x 768 x 2 bytes.
        assert_eq!(cache, 2 * 1000 * 12 * 768 * 2);
    }
}
