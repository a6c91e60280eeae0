//! Chapter 4: Why divide by sqrt(d_k).
//!
//! The learner slides d_k (log scale, 1 to 2048), toggles the scaling, moves
//! the temperature and resamples. Live: histograms of raw and scaled dot
//! products with measured vs theoretical variance; one query's weights over 16
//! keys with entropy, peak weight and softmax-Jacobian norm; those three
//! figures against d_k, scaled and unscaled, with the current d_k marked.
//!
//! Data flow: URL -> `Memo<ScalingState>` -> memos of engine experiments
//! (`attention_core::scaling`) -> chart widgets that only paint.

pub mod model;
pub mod state;
pub mod training;

use crate::chapters::ChapterHead;
use crate::charts::export::{labelled_values, ChartNumbers};
use crate::charts::plots::draw_curves;
use crate::charts::plots::{draw_histogram, draw_sweep, draw_weight_bars, SCALED, UNSCALED};
use crate::loader::{split_view, LazySection, PageFuture};
use crate::router::{field, UrlState};
use crate::training::Runner;
use crate::widgets::chart::{draw_from, draw_from_result, Chart, Drawing};
use crate::widgets::choice::{ChoiceButtons, ChoiceGroup};
use crate::widgets::formula::Formula;
use crate::widgets::notes::Notes;
use crate::widgets::run_buttons::run_label;
use crate::widgets::section::Section;
use crate::widgets::self_check::LazySelfCheck;
use crate::widgets::slider::{FloatSlider, ParamSlider, Toggle};
use crate::widgets::table::{items_table, NumbersTable, TableData};
use leptos::prelude::*;
use model::{one_query, spread, sweep_chart, sweep_points, sweep_samples, Metric};
use state::{ScalingState, D_K, N_KEYS, SEED, TEMPERATURE};

/// URL slug of this chapter.
pub const SLUG: &str = "scaling";

const FORMULA: &str = r#"<math display="block"><mrow><mtext>Var</mtext><mo>(</mo><mi>q</mi><mo>·</mo><mi>k</mi><mo>)</mo><mo>=</mo><munderover><mo>∑</mo><mrow><mi>i</mi><mo>=</mo><mn>1</mn></mrow><msub><mi>d</mi><mi>k</mi></msub></munderover><mtext>Var</mtext><mo>(</mo><msub><mi>q</mi><mi>i</mi></msub><msub><mi>k</mi><mi>i</mi></msub><mo>)</mo><mo>=</mo><msub><mi>d</mi><mi>k</mi></msub></mrow></math><math display="block"><mrow><mtext>Var</mtext><mrow><mo>(</mo><mfrac><mrow><mi>q</mi><mo>·</mo><mi>k</mi></mrow><msqrt><msub><mi>d</mi><mi>k</mi></msub></msqrt></mfrac><mo>)</mo></mrow><mo>=</mo><mn>1</mn></mrow></math>"#;

fn fmt(v: f64) -> String {
    format!("{v:.4}")
}

/// The chapter's page.
#[component]
pub fn ScalingChapter() -> impl IntoView {
    let url = UrlState::new(SLUG, ScalingState::from_query, ScalingState::to_query);
    view! {
        <article class="chapter scaling">
            <ChapterHead slug=SLUG>
                "A dot product of two random vectors adds up d_k small products, so it grows with the width. "
                "Large scores push softmax towards picking a single key, and a softmax that has already decided passes almost no gradient back. "
                "Slide d_k and see it happen, measured."
            </ChapterHead>
            <Controls url=url />
            <section class="formula-box" aria-label="Formula">
                <Formula mathml=FORMULA alt="Var(q·k) = sum over i of Var(q_i k_i) = d_k; Var(q·k / √d_k) = 1, for entries with mean 0 and variance 1." />
            </section>
            <SpreadSection url=url />
            // The first screen is section 1; the later ones load with
            // their own code (src/loader.rs).
            <LazySection title=ONE_TITLE load=move || Box::pin(one_part(url)) as PageFuture />
            <LazySection title=SWEEP_TITLE load=move || Box::pin(sweep_part(url)) as PageFuture />
            <LazySection title=TRAIN_TITLE load=move || Box::pin(train_part(url)) as PageFuture />
            <LazySelfCheck text=include_str!("questions.txt") />
        </article>
    }
}

/// d_k, temperature, scaling and seed: every section reads them.
#[component]
fn Controls(url: UrlState<ScalingState>) -> impl IntoView {
    let state = url.state;
    let seed = Memo::new(move |_| state.with(|s| s.seed));
    view! {
        <section class="controls" aria-label="Controls">
            <div class="control-grid">
                <ParamSlider
                    label="d_k (width of queries and keys)"
                    param=D_K
                    test_id="d-k"
                    log=true
                    bind=field!(url.d_k)
                />
                <FloatSlider label="Temperature τ" param=TEMPERATURE test_id="temperature" log=true bind=field!(url.temperature) />
                <Toggle label="Divide scores by √d_k" test_id="scale" bind=field!(url.scale) />
                <div class="control seed">
                    <span class="label">{move || format!("Seed {}", seed.get())}</span>
                    <button data-testid="resample" on:click=move |_| url.edit(|s| s.seed = SEED.next(s.seed))>
                        "Draw new random vectors"
                    </button>
                </div>
            </div>
            <Notes notes=url.notes />
        </section>
    }
}

/// Section 1: histograms of raw and scaled dot products.
#[component]
fn SpreadSection(url: UrlState<ScalingState>) -> impl IntoView {
    let state = url.state;
    let key = Memo::new(move |_| state.with(|s| (s.d_k, s.seed)));
    let spread_m = Memo::new(move |_| key.with(|&(dk, seed)| spread(dk, seed)));
    let d_k = move || key.get().0;
    let variance_text = move || {
        spread_m.with(|r| match r {
            Ok(sp) => format!(
                "Measured over {} random dot products at d_k = {}: variance of q·k = {:.2} (theory {}), of q·k/√d_k = {:.3} (theory 1).",
                sp.samples,
                d_k(),
                sp.raw_variance,
                d_k(),
                sp.scaled_variance
            ),
            Err(e) => e.clone(),
        })
    };
    let hist_draw = move |raw: bool| {
        Drawing::from(draw_from_result(
            spread_m,
            move |area, sp: &model::Spread, s, th| {
                draw_histogram(area, if raw { &sp.raw } else { &sp.scaled }, th, s)
            },
        ))
        .with_numbers_of(spread_m, move |r| {
            r.as_ref()
                .ok()
                .map(|sp| if raw { &sp.raw } else { &sp.scaled }.numbers())
        })
    };
    view! {
        <Section id="spread-title" title="1 · The spread of the scores">
            <p>"Queries and keys here have independent entries with mean 0 and variance 1. Left: the raw dot products. Right: the same numbers divided by √d_k."</p>
            <p class="measure" data-testid="variance">{variance_text}</p>
            <div class="row-of-maps">
                <Chart
                    size=(460.0, 260.0)
                    test_id="hist-raw"
                    label=move || format!("Histogram of raw dot products at d_k = {}", d_k())
                    draw=hist_draw(true)
                >
                    <HistTable spread=spread_m raw=true />
                </Chart>
                <Chart
                    size=(460.0, 260.0)
                    test_id="hist-scaled"
                    label=move || format!("Histogram of scaled dot products at d_k = {}", d_k())
                    draw=hist_draw(false)
                >
                    <HistTable spread=spread_m raw=false />
                </Chart>
            </div>
        </Section>
    }
}

split_view!(fn one_part(url: UrlState<ScalingState>) in scaling_one
    => view! { <OneQuerySection url=url /> }.into_any());
split_view!(fn sweep_part(url: UrlState<ScalingState>) in scaling_sweep
    => view! { <SweepSection url=url /> }.into_any());
split_view!(fn train_part(url: UrlState<ScalingState>) in scaling_train
    => view! { <TrainingSection url=url /> }.into_any());

/// The heading of this section.
const ONE_TITLE: &str = "2 · One query, sixteen keys";

/// Section 2: one query's weights over sixteen keys.
#[component]
fn OneQuerySection(url: UrlState<ScalingState>) -> impl IntoView {
    let state = url.state;
    let single = Memo::new(move |_| state.with(one_query));
    let scaled_now = Memo::new(move |_| state.with(|s| s.scale));
    let key_labels: Vec<String> = (1..=N_KEYS).map(|i| format!("k{i}")).collect();
    let labels = key_labels.clone();
    let csv_labels = key_labels.clone();
    let bars_draw = Drawing::from(draw_from_result(
        single,
        move |area, q: &attention_core::scaling::SingleQuery, s, th| {
            let color = if scaled_now.get() { SCALED } else { UNSCALED };
            draw_weight_bars(area, &labels, &q.weights, color, th, s)
        },
    ))
    .with_numbers_of(
        single,
        move |r: &Result<attention_core::scaling::SingleQuery, _>| {
            r.as_ref()
                .ok()
                .map(|q| labelled_values("key", "weight", &csv_labels, &q.weights))
        },
    );
    let stats_text = move || {
        single.with(|r| match r {
            Ok(q) => format!(
                "Entropy {:.3} bits (uniform maximum {:.0} bits) · largest weight {:.3} · softmax Jacobian norm {:.4}",
                q.summary.entropy_bits,
                (N_KEYS as f64).log2(),
                q.summary.max_weight,
                q.summary.jacobian_norm
            ),
            Err(e) => e.clone(),
        })
    };
    view! {
        <Section id="one-title" title=ONE_TITLE>
            <p>
                {move || {
                    if scaled_now.get() {
                        "Scaling is on: the logits are q·k / (√d_k · τ)."
                    } else {
                        "Scaling is off: the logits are q·k / τ. Push d_k up and watch one bar take over."
                    }
                }}
            </p>
            <p class="measure" data-testid="row-stats">{stats_text}</p>
            <Chart size=(620.0, 240.0) test_id="bars" label=format!("Attention weights of one query over {N_KEYS} keys") draw=bars_draw>
                <SingleTable single=single labels=key_labels.clone() />
            </Chart>
        </Section>
    }
}

/// The heading of this section.
const SWEEP_TITLE: &str = "3 · Against d_k";

/// Section 3: entropy, peak weight and Jacobian norm against d_k.
#[component]
fn SweepSection(url: UrlState<ScalingState>) -> impl IntoView {
    let state = url.state;
    let seed = Memo::new(move |_| state.with(|s| s.seed));
    let samples = Memo::new(move |_| seed.with(|&s| sweep_samples(s)));
    let temperature = Memo::new(move |_| state.with(|s| s.temperature));
    let points = Memo::new(move |_| {
        let t = temperature.get();
        samples.with(|s| {
            s.as_ref()
                .map_err(Clone::clone)
                .and_then(|s| sweep_points(s, t))
        })
    });
    let d_k = Memo::new(move |_| state.with(|s| s.d_k));
    let charts = Memo::new(move |_| {
        let dk = d_k.get();
        points.with(|p| {
            p.as_ref()
                .map(|p| Metric::ALL.map(|m| sweep_chart(p, m, dk)))
                .map_err(Clone::clone)
        })
    });
    view! {
        <Section id="sweep-title" title=SWEEP_TITLE>
            <p>
                {format!(
                    "Each point averages {} random queries over {N_KEYS} keys, with and without scaling (the same draws). The vertical line marks your d_k.",
                    model::SWEEP_SAMPLES,
                )}
            </p>
            <div class="row-of-maps">
                {Metric::ALL
                    .into_iter()
                    .enumerate()
                    .map(|(i, m)| {
                        let draw = Drawing::from(draw_from_result(charts, move |area, c: &[_; 3], s, th| {
                            c.get(i).map_or(Ok(()), |c| draw_sweep(area, c, th, s))
                        }))
                        .with_numbers_of(charts, move |r| r.as_ref().ok()?.get(i).map(|c| c.numbers()));
                        view! {
                            <Chart
                                size=(560.0, 320.0)
                                test_id=format!("sweep-{i}")
                                label=format!("{} against d_k, scaled and unscaled", m.title())
                                draw=draw
                            >
                                <SweepTable points=points metric=m />
                            </Chart>
                        }
                    })
                    .collect_view()}
            </div>
        </Section>
    }
}

/// The heading of this section.
const TRAIN_TITLE: &str = "4 · Train it both ways";

/// Section 4: train the same model with and without scaling, live.
#[component]
fn TrainingSection(url: UrlState<ScalingState>) -> impl IntoView {
    let state = url.state;
    // A new optimiser, d_k or seed means a new experiment.
    let runner = Runner::new(
        move || {
            state.with(|s| training::RunConfig {
                d_k: s.train_d_k,
                opt: s.opt,
                seed: s.seed,
            })
        },
        |c: &training::RunConfig| training::Run::new(*c),
    );
    let run = Memo::new(move |_| runner.view().unwrap_or_default());
    let history = Memo::new(move |_| run.with(|r| r.history.clone()));
    let charts = Memo::new(move |_| history.with(|h| training::charts(h)));
    let curve_draw = move |i: usize| {
        Drawing::from(draw_from(charts, move |area, c: &[_; 2], s, th| {
            c.get(i).map_or(Ok(()), |c| draw_curves(area, c, th, s))
        }))
        .with_numbers_of(charts, move |c: &[_; 2]| c.get(i).map(|c| c.numbers()))
    };
    let steps_done = move || history.with(|h| h.last().map_or(0, |p| p.step));
    let status = move || {
        runner
            .error()
            .unwrap_or_else(|| run.with(|r| r.summary.clone()))
    };
    view! {
        <Section id="train-title" title=TRAIN_TITLE class="training">
            <p>
                "Two copies of one small attention model (2 layers, 2 heads, d_model 32) start from the same random weights and see the same batches. "
                "Their job is associative recall: read pairs like "<code>"K3 V7 K1 V2 …"</code>
                ", then a query key, and name the value stored with it, which only works if attention finds the right position. "
                "The only difference: one divides its scores by √d_k."
            </p>
            <div class="control-grid">
                <TrainSettings url=url />
                <div class="control">
                    <button class="primary" data-testid="train-toggle" on:click=move |_| runner.toggle()>
                        {move || run_label(runner.running(), false, steps_done() > 0, "Start training")}
                    </button>
                    <button data-testid="train-reset" on:click=move |_| runner.reset()>
                        "Reset"
                    </button>
                </div>
            </div>
            <p class="measure" aria-live="polite">
                <span data-testid="train-step">{move || format!("Step {}", steps_done())}</span>
                " · "
                <span data-testid="train-rate">
                    {move || {
                        runner
                            .rate()
                            .map_or("— steps/s".to_string(), |r| format!("{r:.0} steps/s (both models)"))
                    }}
                </span>
            </p>
            <p class="measure" data-testid="train-summary">{status}</p>
            <div class="row-of-maps">
                <Chart size=(560.0, 300.0) test_id="train-loss" label="Training loss of the scaled and unscaled models" draw=curve_draw(0)>
                    {train_table(history)}
                </Chart>
                <Chart size=(560.0, 300.0) test_id="train-acc" label="Held-out accuracy of the scaled and unscaled models" draw=curve_draw(1)>
                    {train_table(history)}
                </Chart>
            </div>
            <p class="hint">
                "What to expect is whatever the curves show: run both optimizers at each d_k and compare. "
                "Adam rescales every update by its own running size, which can hide part of the damage done by large scores; plain SGD cannot."
            </p>
        </Section>
    }
}

/// The trained models' d_k and their optimiser.
#[component]
fn TrainSettings(url: UrlState<ScalingState>) -> impl IntoView {
    view! {
        <ChoiceGroup label="d_k of both models" group_label="d_k of the trained models" test_prefix="tdk" options=&training::TRAIN_D_KS bind=field!(url.train_d_k) />
        <ChoiceButtons label="Optimizer" test_prefix="opt" bind=field!(url.opt) />
    }
}

#[component]
fn HistTable(spread: Memo<Result<model::Spread, String>>, raw: bool) -> impl IntoView {
    move || {
        spread.with(|r| {
            r.as_ref().ok().map(|sp| {
                let h = if raw { &sp.raw } else { &sp.scaled };
                let w = (h.hi - h.lo) / h.counts.len().max(1) as f64;
                let mut t = TableData::new(&["bin", "count"]);
                t.rows = h
                    .counts
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let lo = h.lo + w * i as f64;
                        (
                            None,
                            vec![format!("{lo:.2} to {:.2}", lo + w), c.to_string()],
                        )
                    })
                    .collect();
                view! { <NumbersTable data=t /> }
            })
        })
    }
}

#[component]
fn SingleTable(
    single: Memo<Result<attention_core::scaling::SingleQuery, String>>,
    labels: Vec<String>,
) -> impl IntoView {
    move || {
        single.with(|r| {
            r.as_ref().ok().map(|q| {
                let mut t = TableData::new(&["key", "q·k", "logit", "weight"]);
                t.rows = q
                    .raw
                    .iter()
                    .zip(&q.logits)
                    .zip(&q.weights)
                    .enumerate()
                    .map(|(j, ((raw, logit), weight))| {
                        (
                            Some(labels.get(j).cloned().unwrap_or_default()),
                            vec![fmt(*raw), fmt(*logit), format!("{weight:.6}")],
                        )
                    })
                    .collect();
                view! { <NumbersTable data=t test_id="single-table" /> }
            })
        })
    }
}

#[component]
fn SweepTable(
    points: Memo<Result<Vec<attention_core::scaling::SweepPoint>, String>>,
    metric: Metric,
) -> impl IntoView {
    move || {
        points.with(|r| {
            r.as_ref().ok().map(|pts| {
                let mut t = TableData::new(&["d_k", "scaled", "unscaled", "raw variance"]);
                t.rows = pts
                    .iter()
                    .map(|p| {
                        let (s, u) = metric.values(p);
                        (
                            None,
                            vec![
                                p.d_k.to_string(),
                                fmt(s),
                                fmt(u),
                                format!("{:.1}", p.raw_variance),
                            ],
                        )
                    })
                    .collect();
                view! { <NumbersTable data=t /> }
            })
        })
    }
}

/// The training history of both models as a table.
fn train_table(history: Memo<Vec<training::Point>>) -> impl IntoView {
    let header: &'static [&'static str] = &[
        "step",
        "loss scaled",
        "loss unscaled",
        "accuracy scaled",
        "accuracy unscaled",
    ];
    items_table(
        history,
        header,
        |p| {
            let mut r = vec![p.step.to_string()];
            r.extend(p.train_loss.iter().chain(&p.accuracy).map(|v| fmt(*v)));
            r
        },
        "train-table",
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn sweep_covers_the_slider_range() {
        assert_eq!(
            super::model::SWEEP_D_KS.first().copied(),
            Some(super::D_K.min as usize)
        );
        assert_eq!(
            super::model::SWEEP_D_KS.last().copied(),
            Some(super::D_K.max as usize)
        );
    }
}
