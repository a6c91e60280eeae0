//! Section 1: how far the gradient reaches. The norm of the gradient of
//! the last position's loss with respect to every input, against the
//! distance back, for a vanilla RNN (tanh or linear), a GRU and one
//! self-attention layer, at initialisation or after section 3's training;
//! the fitted decay rate per step is written on the chart.

use super::model::{norms_table, rates_table, reach_at_init, reach_chart, reading, Measured};
use super::race::RaceLink;
use super::state::{RnnState, When, N, RHO, SEED};
use crate::charts::semilog::draw_semilog;
use crate::loader::Deferred;
use crate::router::{field, UrlState};
use crate::widgets::chart::{plot_from_result, Chart};
use crate::widgets::choice::ChoiceButtons;
use crate::widgets::section::Section;
use crate::widgets::slider::{FloatSlider, ParamSlider, SeedField};
use crate::widgets::table::NumbersTable;
use leptos::prelude::*;

/// What the section shows when "after training" is chosen before any.
pub const NOT_TRAINED: &str =
    "The three models of section 3 have not been trained yet, so there is nothing trained to measure.";

/// Section 1.
#[component]
pub fn ReachSection(url: UrlState<RnnState>, race: Deferred<RaceLink>) -> impl IntoView {
    let state = url.state;
    // The curves and a sentence saying what was measured.
    let measured = Memo::new(move |_| -> Measured {
        let (n, rho, act, seed, when) = state.with(|s| (s.n, s.rho, s.act, s.seed, s.when));
        match when {
            When::Init => reach_at_init(n, rho, act, seed).map(|c| {
                let what = format!(
                    "Freshly initialised layers of width 32 (recurrent matrices: a random orthogonal matrix times ρ = {rho:.2}), one random input of length {n}, seed {seed}."
                );
                (c, what)
            }),
            // Until the race's code has made it, nothing has been trained.
            When::Trained => match race.get() {
                Some(link) => (link.measure_trained)(link.runner, n, seed),
                None => Err(NOT_TRAINED.to_string()),
            },
        }
    });
    let chart = Memo::new(move |_| {
        measured.with(|m| {
            m.as_ref()
                .map(|(c, _)| reach_chart(c, "Gradient of the last position's loss, by distance"))
                .map_err(Clone::clone)
        })
    });
    let draw = plot_from_result(chart, |area, c, s, th| draw_semilog(area, c, th, s));
    let trained = move || state.with(|s| s.when == When::Trained);
    // The training code loads on the first start (`super::start_race`), and
    // is fetched as soon as the button is pointed at or focused.
    let start_failed = RwSignal::new(false);
    let train_now = move |_| {
        leptos::task::spawn_local(async move {
            start_failed.try_set(super::start_race(url, race).await.is_err());
        })
    };
    let warm = move || crate::loader::fetch_ahead("the training", super::preload_race_start());
    let untrained_note = move || {
        let empty = measured.with(|m| matches!(m, Err(e) if e == NOT_TRAINED));
        empty.then(|| {
            view! {
                <p class="note" data-testid="reach-untrained">
                    {NOT_TRAINED}
                    " "
                    <button
                        data-testid="reach-train"
                        on:click=train_now
                        on:pointerenter=move |_| warm()
                        on:focus=move |_| warm()
                    >
                        "Train them now"
                    </button>
                    " (section 3 shows the run; this chart follows it)."
                </p>
                {move || start_failed.get().then(|| view! {
                    <p class="error" role="status" data-testid="reach-train-error">
                        "The training code did not arrive (offline, or the site was updated): press the button again, or reload the page."
                    </p>
                })}
            }
        })
    };
    view! {
        <Section id="reach-title" title="1 · How far the gradient reaches">
            <p>
                "To learn that the answer depends on a token far back, a model needs a signal from the loss at the end to that token: the gradient. "
                "Here one sequence of length n goes through each layer, and the chart shows how large the gradient of the last position's loss is at every input, by how far back that input is. "
                "A recurrent network passes the signal back one step at a time, through the same matrix each time; attention connects the last position to every input directly."
            </p>
            <div class="control-grid">
                <ParamSlider label="Sequence length n" param=N test_id="n" bind=field!(url.n) />
                <FloatSlider label="Spectral radius ρ of the recurrent matrix" param=RHO test_id="rho" bind=field!(url.rho) />
                <ChoiceButtons label="RNN nonlinearity" test_prefix="act" bind=field!(url.act) />
                <ChoiceButtons label="Models" test_prefix="at" bind=field!(url.when) />
                <SeedField param=SEED bind=field!(url.seed) button="New random weights" />
            </div>
            {move || trained().then(|| view! {
                <p class="hint">"After training, the spectral radius and the nonlinearity are the trained models' own (a tanh RNN)."</p>
            })}
            {untrained_note}
            <p class="measure" data-testid="reach-what">
                {move || measured.with(|m| m.as_ref().map(|(_, w)| w.clone()).unwrap_or_default())}
            </p>
            <Chart
                size=(820.0, 440.0)
                test_id="reach-chart"
                label="Gradient norm against distance back on a log axis, for the RNN, the GRU and self-attention, with the fitted decay rate per step written on the chart"
                draw=draw
            >
                {move || measured.with(|m| m.as_ref().ok().map(|(c, _)| view! { <NumbersTable data=norms_table(c) test_id="reach-numbers" /> }))}
            </Chart>
            {move || measured.with(|m| m.as_ref().ok().map(|(c, _)| view! { <NumbersTable data=rates_table(c) test_id="reach-rates" /> }))}
            <p class="measure" data-testid="reach-reading">
                {move || measured.with(|m| m.as_ref().map(|(c, _)| reading(c)).unwrap_or_default())}
            </p>
            <p class="hint">
                "A straight line on this log axis is a geometric decay: the gradient is multiplied by the same factor for every step back, and that factor is the rate written on the chart. "
                "For the linear RNN the factor is the spectral radius itself: below 1 the signal from far back vanishes, above 1 it explodes. "
                "With tanh the picture is worse than ρ alone suggests: tanh's slope is at most 1 and below 1 wherever the state is not zero, so each step shrinks the gradient a little more, and the tanh RNN still loses the signal at ρ a little above 1 (only the linear RNN grows there). "
                "The GRU's gates can keep part of its state unchanged from one step to the next, which gives the gradient a path that does not shrink; how much they do that at initialisation depends on the weights, and training is what opens the path (compare “after training”). "
                "Self-attention's line is flat: every input is one step from the output, however far back it is."
            </p>
        </Section>
    }
    .into_any()
}
