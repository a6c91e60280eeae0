//! Section 7 of the cost chapter: the KV cache. Tokens generated one by
//! one with one head (`attention_core::cost::kv_decode`): the work of each
//! new token with and without the cache, counted from the products done,
//! both outputs compared; and for the model of section 1, the work per new
//! token and the cache's size (`kv_step_cost`, `kv_cache_bytes`).

use super::model::{bytes, count, diff, grouped, grouped_usize};
use super::state::{CostState, KV_N};
use super::time_it::ms;
use super::timing::{mean_call_ms, median, MIN_BATCH_MS};
use super::Facts;
use crate::charts::export::ChartNumbers;
use crate::charts::plots::{draw_curves, CurveChart, Series, SCALED, UNSCALED};
use crate::router::{field, UrlState};
use crate::training::{Job, Runner};
use crate::widgets::chart::{draw_from_result, Chart, Drawing};
use crate::widgets::section::Section;
use crate::widgets::slider::ParamSlider;
use crate::widgets::table::{NumbersTable, TableData};
use attention_core::cost::{
    kv_cache_bytes, kv_decode, kv_generate, kv_step_cost, KvDecode, KvStepCost,
};
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

/// The generated tokens (`n x D_MODEL`) and the head, seeded.
fn kv_inputs(n: usize, seed: u64) -> (attention_core::Mat, HeadWeights) {
    let mut r = Rng::new(seed ^ 0x4B56_0000);
    let x = r.normal_matrix(n, D_MODEL, 1.0);
    let w = 1.0 / (D_MODEL as f64).sqrt();
    let head = HeadWeights {
        w_q: r.normal_matrix(D_MODEL, D_K, w),
        w_k: r.normal_matrix(D_MODEL, D_K, w),
        w_v: r.normal_matrix(D_MODEL, D_K, w),
    };
    (x, head)
}

/// Repeats of each timed path.
pub const KV_REPS: usize = 3;

/// What the KV timing measures: `n` tokens from the seeded inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KvConfig {
    pub n: usize,
    pub seed: u64,
}

/// The two paths' medians, once measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KvTimes {
    pub n: usize,
    /// Milliseconds to generate all `n` tokens with the cache.
    pub with_ms: Option<f64>,
    /// The same without the cache (everything recomputed per token).
    pub without_ms: Option<f64>,
}

/// Times `kv_generate` with and without the cache: a unit is one repeat of
/// one path (a short call is repeated for at least [`MIN_BATCH_MS`] and
/// averaged).
pub struct KvTiming {
    x: attention_core::Mat,
    head: HeadWeights,
    clock: fn() -> f64,
    times: [Vec<f64>; 2],
    units: usize,
    view: KvTimes,
}

impl KvTiming {
    pub fn new(c: KvConfig, clock: fn() -> f64) -> Result<Self, String> {
        let (x, head) = kv_inputs(c.n, c.seed);
        Ok(KvTiming {
            x,
            head,
            clock,
            times: [Vec::new(), Vec::new()],
            units: 0,
            view: KvTimes {
                n: c.n,
                ..KvTimes::default()
            },
        })
    }
}

impl Job for KvTiming {
    type View = KvTimes;

    fn work(&mut self) -> Result<bool, String> {
        let cached = self.view.with_ms.is_none();
        if !cached && self.view.without_ms.is_some() {
            return Ok(true);
        }
        self.units += 1;
        let (x, head) = (&self.x, &self.head);
        let t = mean_call_ms(self.clock, MIN_BATCH_MS, || {
            kv_generate(x, head, cached)
                .map(|_| ())
                .map_err(|e| e.to_string())
        })?;
        let (times, slot) = if cached {
            (&mut self.times[0], &mut self.view.with_ms)
        } else {
            (&mut self.times[1], &mut self.view.without_ms)
        };
        times.push(t);
        if times.len() >= KV_REPS {
            *slot = Some(median(times));
        }
        Ok(self.finished())
    }

    fn finished(&self) -> bool {
        self.view.with_ms.is_some() && self.view.without_ms.is_some()
    }

    fn units(&self) -> usize {
        self.units
    }

    fn view(&self) -> KvTimes {
        self.view.clone()
    }

    fn revision(&self) -> usize {
        usize::from(self.view.with_ms.is_some()) + usize::from(self.view.without_ms.is_some())
    }
}

/// The timing line: both medians and their ratio, or what is still running.
pub fn timing_text(t: &KvTimes) -> String {
    match (t.with_ms, t.without_ms) {
        (Some(a), Some(b)) => format!(
            "Timed in this page (median of {KV_REPS}): all {} tokens in {} ms with the cache, {} ms without: {:.1} times longer.",
            t.n,
            ms(a),
            ms(b),
            b / a.max(f64::MIN_POSITIVE)
        ),
        (Some(a), None) => format!(
            "Timed in this page: {} ms with the cache; timing the path without it…",
            ms(a)
        ),
        _ => "Timing both paths in this page…".to_string(),
    }
}

/// Section 7 for the state.
pub fn kv_view(s: &CostState) -> Result<KvView, String> {
    let (x, head) = kv_inputs(s.kv_n, s.seed);
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

/// The heading of this section.
pub(super) const KV_TITLE: &str = "7 · The KV cache: generating one token at a time";

/// Section 7.
#[component]
pub fn KvSection(url: UrlState<CostState>) -> impl IntoView {
    let state = url.state;
    let view_m = Memo::new(move |_| state.with(kv_view));
    let times = Runner::auto(
        move || {
            state.with(|s| KvConfig {
                n: s.kv_n,
                seed: s.seed,
            })
        },
        |c: &KvConfig| KvTiming::new(*c, crate::frames::now_ms),
    );
    let timing = move || {
        times
            .with(timing_text)
            .or_else(|| times.error())
            .unwrap_or_default()
    };
    let chart_draw = Drawing::from(draw_from_result(view_m, |a, v: &KvView, s, th| {
        draw_curves(a, &v.chart, th, s)
    }))
    .with_numbers_of(view_m, |r: &Result<KvView, String>| {
        r.as_ref().ok().map(|v| v.chart.numbers())
    });
    view! {
        <Section id="kv-title" title=KV_TITLE>
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
            <p class="measure" data-testid="kv-time" aria-live="polite">{timing}</p>
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
    fn the_timing_job_measures_both_paths_then_stops() {
        let mut j = KvTiming::new(
            KvConfig { n: 12, seed: 3 },
            crate::chapters::cost::timing::test_clock,
        )
        .unwrap();
        assert_eq!(
            (j.revision(), timing_text(&j.view())),
            (0, "Timing both paths in this page…".to_string())
        );
        let mut guard = 0;
        while !Job::finished(&j) {
            j.work().unwrap();
            guard += 1;
            assert!(guard <= 2 * KV_REPS, "one unit per repeat of each path");
        }
        assert_eq!((j.units(), j.revision()), (2 * KV_REPS, 2));
        let v = j.view();
        assert!(v.with_ms.is_some_and(|t| t > 0.0) && v.without_ms.is_some_and(|t| t > 0.0));
        let text = timing_text(&v);
        assert!(
            text.starts_with("Timed in this page (median of 3): all 12 tokens in "),
            "{text}"
        );
        assert!(text.ends_with(" times longer."), "{text}");
        assert_eq!(j.work(), Ok(true), "a finished job does nothing");
        assert_eq!(j.units(), 2 * KV_REPS);
    }

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
