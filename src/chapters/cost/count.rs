//! Section 1 of the cost chapter: count the scores, bytes and FLOPs of the
//! n x n matrix for a model shape, find where attention overtakes the rest
//! of the layer and where one layer's scores stop fitting a card, and plot
//! it all against n.

use super::model::{bytes, count, count_view, grouped, CountView};
use super::state::{divisor_at_most, CostState, Preset, D_MODEL, HEADS, LAYERS, N};
use super::Facts;
use crate::charts::cost::draw_loglog;
use crate::charts::export::ChartNumbers;
use crate::router::{field, UrlState};
use crate::widgets::chart::{draw_from_result, Chart, Drawing};
use crate::widgets::choice::ChoiceButtons;
use crate::widgets::section::Section;
use crate::widgets::slider::{ParamNumber, ParamSlider};
use crate::widgets::table::{NumbersTable, TableData};
use crate::widgets::Bound;
use leptos::prelude::*;

/// Section 1: count.
#[component]
pub fn CountSection(url: UrlState<CostState>) -> impl IntoView {
    let state = url.state;
    let view_m = Memo::new(move |_| state.with(count_view));
    let n = Memo::new(move |_| state.with(|s| s.n));
    let headline = move || {
        view_m.with(|v| match v {
            Ok(v) => format!(
                "n = {}: {} scores per head",
                grouped(v.costs.n as u128),
                grouped(v.costs.scores_per_head)
            ),
            Err(e) => e.clone(),
        })
    };
    // A size box: editing it switches to the custom shape.
    let size = move |label: &'static str,
                     param,
                     test_id: &'static str,
                     get: fn(&CostState) -> usize,
                     set: fn(&mut CostState, usize)| {
        view! {
            <ParamNumber
                label=label
                param=param
                test_id=test_id
                bind=Bound::new(
                    move || state.with(get),
                    move |v: usize| {
                        url.edit(|s| {
                            s.pick(Preset::Custom);
                            set(s, v);
                        })
                    },
                )
            />
        }
    };
    let chart_draw = Drawing::from(draw_from_result(view_m, |area, v: &CountView, s, th| {
        draw_loglog(area, &v.chart, th, s)
    }))
    .with_numbers_of(view_m, |r: &Result<CountView, String>| {
        r.as_ref().ok().map(|v| v.chart.numbers())
    });
    view! {
        <Section id="count-title" title="1 · Count the scores">
            <p>
                "Every head compares each of the n positions with each of the n positions: that is n × n scores, written into a matrix, "
                "pushed through a softmax and multiplied with the values. Slide n and see how many numbers that is for a real model."
            </p>
            <div class="control-grid">
                <ParamSlider
                    label="Sequence length n (log scale)"
                    param=N
                    log=true
                    test_id="n"
                    bind=field!(url.n)
                />
                <ParamNumber
                    label="or type n exactly"
                    param=N
                    test_id="n-exact"
                    bind=field!(url.n)
                />
                <ChoiceButtons label="Model" test_prefix="model" bind=Bound::new(move || state.with(|s| s.model), move |p| url.edit(|s| s.pick(p))) />
            </div>
            <div class="control-grid">
                {size("d_model", D_MODEL, "d-model", |s| s.d_model, |s, v| {
                    s.d_model = v;
                    s.heads = divisor_at_most(v, s.heads);
                })}
                {size("heads (must divide d_model)", HEADS, "heads", |s| s.heads, |s, v| {
                    s.heads = divisor_at_most(s.d_model, v);
                })}
                {size("layers", LAYERS, "layers", |s| s.layers, |s, v| s.layers = v)}
            </div>
            <p class="headline" data-testid="scores-head" aria-live="polite">{headline}</p>
            {move || view_m.with(|v| match v {
                Ok(v) => count_details(v).into_any(),
                Err(_) => ().into_any(),
            })}
            <Chart
                size=(900.0, 460.0)
                test_id="count-chart"
                label=move || format!("Scores, bytes and FLOPs of one layer against n on log-log axes, n = {} marked", grouped(n.get() as u128))
                draw=chart_draw
            >
                {move || view_m.with(|v| v.as_ref().ok().map(chart_table))}
            </Chart>
            <p class="hint">
                "On log-log axes a power of n is a straight line whose slope is the power: the scores and attention's FLOPs climb twice as steeply as the projections and the MLP. "
                "The dashed lines mark contexts of 128K and 200K tokens, the 16 GB and 80 GB levels (read against the bytes curve) and the crossover."
            </p>
        </Section>
    }
}

/// The tables of section 1.
fn count_details(v: &CountView) -> impl IntoView {
    let c = &v.costs;
    let s = &v.shape;
    let shape_text = format!(
        "{}: d_model {}, {} heads of d_k = {}, {} layers, MLP width {}.",
        s.label, s.d_model, s.heads, v.d_k, s.layers, s.d_ff
    );
    let scores = Facts {
        caption: "How many scores, and their memory".into(),
        header: vec![
            "".into(),
            "scores".into(),
            "fp32 (4 bytes)".into(),
            "bf16 (2 bytes)".into(),
        ],
        rows: vec![
            (
                "one head".into(),
                vec![
                    count(c.scores_per_head),
                    bytes(c.scores_per_head * 4),
                    bytes(c.scores_per_head * 2),
                ],
            ),
            (
                format!("one layer ({} heads)", s.heads),
                vec![
                    count(c.scores_per_layer),
                    bytes(c.layer_bytes_fp32),
                    bytes(c.layer_bytes_bf16),
                ],
            ),
            (
                format!("whole model ({} layers)", s.layers),
                vec![
                    count(c.scores_model),
                    bytes(c.model_bytes_fp32),
                    bytes(c.model_bytes_bf16),
                ],
            ),
        ],
        test_id: "scores-table",
        current: None,
    };
    let flops = Facts {
        caption: format!(
            "FLOPs of one layer at n = {} (a multiply-add is 2 FLOPs)",
            grouped(c.n as u128)
        ),
        header: vec![
            "part".into(),
            "FLOPs".into(),
            "share".into(),
            "grows with".into(),
        ],
        rows: v
            .flops
            .iter()
            .map(|r| {
                (
                    r.part.to_string(),
                    vec![
                        count(r.flops),
                        format!("{:.1}%", r.share * 100.0),
                        if r.quadratic { "n²" } else { "n" }.to_string(),
                    ],
                )
            })
            .collect(),
        test_id: "flops-table",
        current: None,
    };
    let share = c.layer_flops.attention_share * 100.0;
    let cross = v.crossover.n;
    let crossover_text = format!(
        "Attention's two products (4 n² d_model FLOPs) overtake the projections and the MLP (8 n d_model² + 4 n d_model d_ff) once n > 2 d_model + d_ff, that is from n = {}. At your n they are {share:.1}% of the layer's work{}",
        grouped(cross as u128),
        if (c.n) >= cross { ": attention dominates." } else { ": the projections and MLP still dominate." }
    );
    let fits = Facts {
        caption: "Where one layer's score matrices stop fitting in memory".into(),
        header: vec![
            "memory".into(),
            "precision".into(),
            "largest n that fits".into(),
            "at your n".into(),
        ],
        rows: v
            .fits
            .iter()
            .map(|f| {
                (
                    format!("{} GB", f.budget_gb),
                    vec![
                        f.precision.to_string(),
                        grouped(f.max_n),
                        if f.fits_now { "fits" } else { "does not fit" }.to_string(),
                    ],
                )
            })
            .collect(),
        test_id: "fit-table",
        current: None,
    };
    view! {
        <p>{shape_text}</p>
        <div class="row-of-maps">
            {scores.view()}
            {flops.view()}
            {fits.view()}
        </div>
        <p data-testid="crossover">{crossover_text}</p>
    }
}

/// The chart's numbers: every sampled n.
fn chart_table(v: &CountView) -> impl IntoView {
    let mut header = vec!["n"];
    header.extend(v.chart.series.iter().map(|s| s.name.as_str()));
    let mut t = TableData::new(&header);
    let len = v.chart.series.first().map_or(0, |s| s.points.len());
    t.rows = (0..len)
        .map(|i| {
            let n = v
                .chart
                .series
                .first()
                .and_then(|s| s.points.get(i))
                .map_or(0.0, |p| p.0);
            let mut row = vec![grouped(n as u128)];
            row.extend(v.chart.series.iter().map(|s| {
                s.points
                    .get(i)
                    .map_or(String::new(), |p| super::model::power_of_ten(p.1))
            }));
            (None, row)
        })
        .collect();
    view! { <NumbersTable data=t test_id="count-numbers" /> }
}
