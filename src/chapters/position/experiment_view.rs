//! Section 6 of the position chapter: the extrapolation experiment's
//! controls (k, steps, seed, train / pause / reset), its rate and summary,
//! and the accuracy and loss charts; plus the train button section 3 shares.
//! The work itself is [`super::experiment::Session`] on the chapter's one
//! [`ExpRunner`].

use super::experiment::{self, ExpRunner, Progress, L};
use super::state::{PosState, EXP_SEED, K, STEPS};
use crate::router::{field, UrlState};
use crate::widgets::chart::{curves, Chart};
use crate::widgets::run_buttons::{run_label, RunButtons};
use crate::widgets::section::Section;
use crate::widgets::slider::ParamSlider;
use crate::widgets::table::{NumbersTable, TableData};
use attention_core::train::position_task::Scheme;
use leptos::prelude::*;

/// What the runner shows now (an empty run if the models cannot be built;
/// [`ExpRunner::error`] says why).
pub fn progress_of(runner: ExpRunner) -> Memo<Progress> {
    Memo::new(move |_| runner.view().unwrap_or_default())
}

/// The start button's text before the first run.
const START: &str = "Train the five models";

/// Train / pause / continue; "Done" (disabled) once everything is measured.
#[component]
pub fn TrainButton(
    runner: ExpRunner,
    progress: Memo<Progress>,
    test_id: &'static str,
    /// Styled as the section's main action.
    #[prop(optional)]
    primary: bool,
) -> impl IntoView {
    let label = move || {
        let (done, started) = progress.with(|p| (p.done, p.step > 0));
        run_label(runner.running(), done, started, START)
    };
    view! {
        <button class=primary.then_some("primary") data-testid=test_id disabled=move || progress.with(|p| p.done) on:click=move |_| runner.toggle()>
            {label}
        </button>
    }
}

/// The heading of this section.
pub(super) const EXP_TITLE: &str = "6 · Which scheme reaches further? An experiment";

/// Section 6: which scheme reaches further?
#[component]
pub fn ExperimentSection(url: UrlState<PosState>, runner: ExpRunner) -> impl IntoView {
    let progress = progress_of(runner);
    let accuracy = Memo::new(move |_| progress.with(experiment::accuracy_chart));
    let loss = Memo::new(move |_| progress.with(experiment::loss_chart));
    let accuracy_draw = curves(accuracy);
    let loss_draw = curves(loss);
    let summary = move || {
        runner
            .error()
            .unwrap_or_else(|| progress.with(experiment::summary))
    };
    view! {
        <Section id="exp-title" title=EXP_TITLE class="training">
            <p>
                {format!(
                    "Five copies of one small causal transformer (2 layers, 2 heads, d_model 32) differ only in how they get position. They learn one task: at every position, name the token k steps back. Training sequences are 4 to {L} tokens long; afterwards each model is tested on {} new sequences at every length from {L} to {}.",
                    experiment::TEST_SEQS,
                    4 * L,
                )}
                " All five see the same batches in the same order, and they train right here, in your browser."
            </p>
            <ExperimentControls url=url runner=runner />
            <p class="measure" aria-live="polite">
                <span data-testid="exp-step">{move || progress.with(|p| format!("Step {} of {}", p.step, p.steps))}</span>
                " · "
                <span data-testid="exp-rate">
                    {move || runner.rate().map_or("—".to_string(), |r| format!("{r:.0} steps/s (all five models)"))}
                </span>
            </p>
            <p class="measure" data-testid="exp-summary">{summary}</p>
            <div class="row-of-maps">
                <Chart
                    size=(560.0, 320.0)
                    test_id="exp-accuracy"
                    label="Held-out accuracy against sequence length for the five schemes"
                    draw=accuracy_draw
                >
                    {move || progress.with(accuracy_table)}
                </Chart>
                <Chart size=(560.0, 320.0) test_id="exp-loss" label="Training loss of the five models" draw=loss_draw>
                    {move || progress.with(loss_table)}
                </Chart>
            </div>
            <p class="hint">
                "What the chart shows is what happened on this run: change the seed or k and run again. "
                "Guessing gives 12.5% (8 possible tokens)."
            </p>
            <p class="measure" data-testid="exp-reading">{move || progress.with(experiment::reading)}</p>
            <p class="hint">
                "Why ALiBi can struggle here: its penalty only grows with distance, so on its own it can favour “recent”, but not “exactly k back”. "
                "Language models need the first far more often than the second."
            </p>
        </Section>
    }
}

/// k, the training steps, and train / reset / new seed.
#[component]
fn ExperimentControls(url: UrlState<PosState>, runner: ExpRunner) -> impl IntoView {
    view! {
        <div class="control-grid">
            <ParamSlider label="Copy the token k steps back: k" param=K test_id="exp-k" bind=field!(url.k) />
            <ParamSlider
                label="Training steps per model"
                param=STEPS
                test_id="exp-steps"
                step=20.0
                bind=field!(url.steps)
            />
            <RunButtons
                prefix="exp"
                start=START
                runner=runner
                seed=field!(url.exp_seed)
                seed_param=EXP_SEED
            />
        </div>
    }
}

/// Held-out accuracy of each scheme at each length.
fn accuracy_table(p: &Progress) -> impl IntoView {
    let mut header = vec!["scheme".to_string()];
    header.extend(p.lengths.iter().map(|n| format!("length {n}")));
    let h: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows = Scheme::ALL.iter().zip(&p.accuracy).map(|(s, acc)| {
        let mut r = vec![s.name().to_string()];
        r.extend(
            acc.iter()
                .map(|a| a.map_or("—".into(), |v| format!("{:.1}%", v * 100.0))),
        );
        r
    });
    view! { <NumbersTable data=TableData::plain(&h, rows) test_id="extrapolation-table" /> }
}

/// The latest training loss of each model.
fn loss_table(p: &Progress) -> impl IntoView {
    let rows = Scheme::ALL.iter().zip(&p.losses).map(|(s, l)| {
        vec![
            s.name().to_string(),
            l.last().map_or("—".into(), |x| format!("{:.4}", x.1)),
        ]
    });
    view! { <NumbersTable data=TableData::plain(&["scheme", "latest training loss"], rows) /> }
}
