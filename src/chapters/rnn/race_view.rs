//! Section 3: the long-range task trained in the page. The [`Race`] job
//! (section 3's run, which section 1 measures "after training") on a
//! [`Runner`], its buttons, the live accuracy-by-distance chart and table,
//! and the training speed.

use super::race::{accuracy_chart, accuracy_table, race_reading, RaceView};
use super::state::{RnnState, DISTANCES, RACE_SEED, STEPS};
use crate::router::{field, UrlState};
use crate::widgets::chart::{curves, Chart};
use crate::widgets::choice::ChoiceGroup;
use crate::widgets::run_buttons::RunButtons;
use crate::widgets::section::Section;
use crate::widgets::slider::ParamNumber;
use crate::widgets::table::NumbersTable;
use attention_core::train::rnn::{BodyKind, RaceConfig};
use leptos::prelude::*;

pub use super::race::RaceRunner;

/// The status line: what the run is doing, and how fast.
fn status(v: &RaceView, running: bool, rate: Option<f64>, busy_s: f64) -> String {
    let speed = rate.map_or(String::new(), |r| format!(" ({r:.0} steps per second)"));
    if v.finished {
        return format!(
            "Done: {} steps for each model in {busy_s:.1} s of work{speed}.",
            v.step
        );
    }
    match (running, v.step) {
        (false, 0) => {
            "Press “Train all three” to start; the page stays usable while it runs.".into()
        }
        (true, s) => format!("Training: step {s} of {}{speed}…", v.settings.steps),
        (false, s) => format!("Paused after {s} of {} steps.", v.settings.steps),
    }
}

/// The heading of this section.
pub(super) const RACE_TITLE: &str = "3 · A long-range task, trained in your browser";

/// Section 3.
#[component]
pub fn RaceSection(url: UrlState<RnnState>, race: RaceRunner) -> impl IntoView {
    let view_m = Memo::new(move |_| race.view());
    let chart = Memo::new(move |_| {
        view_m.with(|v| {
            v.as_ref()
                .map_or_else(|_| accuracy_chart_placeholder(), accuracy_chart)
        })
    });
    let status_text = move || {
        let (running, rate, busy) = (race.running(), race.rate(), race.busy_seconds());
        race.error().unwrap_or_else(|| {
            view_m.with(|v| {
                v.as_ref()
                    .map_or_else(Clone::clone, |v| status(v, running, rate, busy))
            })
        })
    };
    let d = RaceConfig::default();
    view! {
        <Section id="race-title" title=RACE_TITLE>
            <p>
                {format!(
                    "Each sequence starts with one of {} symbols, then comes a run of d distractor tokens, then a question mark; the answer is the first symbol. ",
                    d.symbols
                )}
                "To answer, a recurrent model has to carry the symbol in its state across all d steps; attention can look it up directly. "
                {format!(
                    "Three models of about the same size (width {}) learn it from the same batches of {} sequences, with d drawn from 1 up to the longest distance: a vanilla tanh RNN, a GRU, and one self-attention layer with one head. ",
                    d.d_model, d.batch
                )}
                {format!(
                    "Every measurement is on held-out sequences none of the models trained on; guessing gives one right answer in {} (chance).",
                    d.symbols
                )}
            </p>
            <div class="control-grid">
                <ParamNumber label="Training steps" param=STEPS test_id="steps" bind=field!(url.steps) />
                <ChoiceGroup label="Longest distance d" test_prefix="dmax" options=&DISTANCES bind=field!(url.d_max) />
                <RunButtons
                    prefix="race"
                    start="Train all three"
                    runner=race
                    seed=field!(url.race_seed)
                    seed_param=RACE_SEED
                />
            </div>
            <p class="measure progress" data-testid="race-status" aria-live="polite">{status_text}</p>
            {move || view_m.with(|v| v.as_ref().ok().map(sizes))}
            <Chart
                size=(820.0, 420.0)
                test_id="race-chart"
                label="Held-out accuracy against the distance d for the RNN, the GRU and attention, with chance as a flat line"
                draw=curves(chart)
            >
                {move || view_m.with(|v| v.as_ref().ok().map(|v| view! { <NumbersTable data=accuracy_table(v) test_id="race-numbers" /> }))}
            </Chart>
            {move || view_m.with(|v| v.as_ref().ok().filter(|v| v.accuracy.is_some()).map(|v| {
                let caption = match &v.accuracy {
                    Some((0, _)) => "Held-out accuracy before training".to_string(),
                    Some((s, _)) => format!("Held-out accuracy after {s} steps (200 sequences per distance)"),
                    None => String::new(),
                };
                view! {
                    <p class="table-caption">{caption}</p>
                    <NumbersTable data=accuracy_table(v) test_id="race-table" />
                    <p class="measure" data-testid="race-reading">{race_reading(v)}</p>
                }
            }))}
            <p class="hint">
                "What to look for: whether each model is above chance at the longest distances. "
                "A model that falls to chance far back is the one whose gradient, in section 1, shrinks with every step it travels: the signal that would teach it to keep the symbol never reaches the symbol. "
                "Try another seed or more steps and see whether the picture holds."
            </p>
        </Section>
    }
    .into_any()
}

/// An empty chart while the job cannot be built.
fn accuracy_chart_placeholder() -> crate::charts::plots::CurveChart {
    crate::charts::plots::CurveChart {
        title: "Held-out accuracy".into(),
        x_label: "distance d".into(),
        y_label: "accuracy (%)".into(),
        y_range: (0.0, 100.0),
        series: Vec::new(),
        x_max: 16.0,
    }
}

/// The models' sizes and their current training loss.
fn sizes(v: &RaceView) -> impl IntoView {
    let rows = BodyKind::ALL.iter().enumerate().map(|(i, k)| {
        vec![
            k.name().to_string(),
            v.body_params.get(i).map_or(String::new(), |p| {
                crate::widgets::measure::grouped_usize(*p)
            }),
            v.loss
                .get(i)
                .filter(|l| l.is_finite())
                .map_or("—".into(), |l| loss_text(*l)),
        ]
    });
    view! {
        <NumbersTable
            data=crate::widgets::table::TableData::plain(&["model", "parameters in the body", "training loss (last 25 steps)"], rows)
            test_id="race-sizes"
        />
    }
}

/// A training loss: three decimals, or scientific below 0.001 (so a tiny
/// loss does not read as exactly 0).
fn loss_text(l: f64) -> String {
    if l != 0.0 && l.abs() < 1e-3 {
        format!("{l:.2e}")
    } else {
        format!("{l:.3}")
    }
}
