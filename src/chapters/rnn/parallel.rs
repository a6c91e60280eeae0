//! Section 2: sequential steps against parallel depth. The engine's work
//! and schedule counts for one layer of each kind as n grows to 100,000
//! (two log-log charts, a table at the learner's n and P), and the
//! [`Timing`] job: the engine's forward pass of each layer timed in the
//! page, with an honest note on what one browser thread can show.

use super::model::trimmed;
use super::schedule::{
    attention_ahead_range, chart_numbers, counts, counts_table, macs_chart, name, steps_chart,
};
use super::state::{RnnState, REPS, SCHED_N, TIMED_MAX, TIMING_SEED, WORKERS};
use super::timing::{lengths, slope, time_at, timing_chart, Timing, TimingConfig, TimingView};
use crate::charts::cost::draw_loglog;
use crate::router::{field, UrlState};
use crate::training::Runner;
use crate::widgets::chart::{plot_from_result, Chart};
use crate::widgets::choice::ChoiceGroup;
use crate::widgets::measure::{grouped, grouped_usize, ms};
use crate::widgets::run_buttons::RunButtons;
use crate::widgets::section::Section;
use crate::widgets::slider::{ParamNumber, ParamSlider};
use crate::widgets::table::{NumbersTable, TableData};
use attention_core::train::rnn::BodyKind;
use leptos::prelude::*;

/// The runner of the timing job.
pub type TimingRunner = Runner<TimingConfig, Timing>;

fn timing_runner(state: Memo<RnnState>) -> TimingRunner {
    Runner::new(
        move || {
            state.with(|s| TimingConfig {
                max_n: s.t_max,
                reps: s.reps,
                seed: s.timing_seed,
            })
        },
        |c: &TimingConfig| Timing::new(*c, crate::frames::now_ms),
    )
}

fn status(v: &TimingView, running: bool, busy_s: f64) -> String {
    if v.finished {
        return format!(
            "Done: {} timed points (the median of {} repeats each) in {busy_s:.1} s of work.",
            v.points.len(),
            v.config.reps
        );
    }
    match (running, v.done) {
        (false, 0) => "Press “Time it” to start; the page stays usable while it runs.".into(),
        (true, d) => format!("Timing… {d} of {} repeats done.", v.total),
        (false, d) => format!("Paused after {d} of {} repeats.", v.total),
    }
}

/// The heading of this section.
pub(super) const PARALLEL_TITLE: &str = "2 · Sequential steps against parallel depth";

/// Section 2.
#[component]
pub fn ParallelSection(url: UrlState<RnnState>) -> impl IntoView {
    let state = url.state;
    let runner = timing_runner(state);
    let sched = Memo::new(move |_| state.with(|s| (s.sched_n as u64, s.workers as u64)));
    let steps = Memo::new(move |_| {
        let (n, p) = sched.get();
        steps_chart(n, p)
    });
    let macs = Memo::new(move |_| macs_chart(sched.get().0));
    let table = Memo::new(move |_| {
        let (n, p) = sched.get();
        counts(n, p).map(|cs| (counts_table(&cs, p), cs))
    });
    let headline = move || {
        let (n, p) = sched.get();
        table.with(|t| {
            t.as_ref().ok().map(|(_, cs)| {
                let get = |k: BodyKind| cs.iter().find(|c| c.kind == k);
                let (Some(r), Some(a)) = (get(BodyKind::Rnn), get(BodyKind::Attention)) else {
                    return String::new();
                };
                let ratio = a.macs as f64 / r.macs.max(1) as f64;
                let who = if a.rounds < r.rounds {
                    "attention finishes first"
                } else {
                    "the RNN finishes first"
                };
                format!(
                    "At n = {}: attention does {}× the RNN's arithmetic, but in {} dependent steps instead of {}. On P = {} workers the RNN needs {} rounds and attention {}: {who}.",
                    grouped(u128::from(n)),
                    trimmed(ratio, 1),
                    a.depth,
                    grouped(r.depth),
                    grouped(u128::from(p)),
                    grouped(r.rounds),
                    grouped(a.rounds),
                )
            })
        })
    };
    let range = move || {
        let p = sched.get().1;
        match attention_ahead_range(p) {
            Some((first, last)) if last >= super::schedule::MAX_N => format!(
                "With P = {} workers attention needs fewer rounds from n = {first} all the way to 100,000.",
                grouped(u128::from(p))
            ),
            Some((first, last)) => format!(
                "With P = {} workers attention needs fewer rounds for n from {first} to {}; beyond that its n² work is more than the workers can take in, and more workers move the limit up (it is near P / 32 for these layers).",
                grouped(u128::from(p)),
                grouped(u128::from(last))
            ),
            None => format!(
                "With P = {} workers attention never needs fewer rounds than the RNN here: there are too few workers for its n² work.",
                grouped(u128::from(p))
            ),
        }
    };
    let view_m = Memo::new(move |_| runner.view());
    let time_chart =
        Memo::new(move |_| view_m.with(|v| v.as_ref().map(timing_chart).map_err(Clone::clone)));
    let status_text = move || {
        let (running, busy) = (runner.running(), runner.busy_seconds());
        runner.error().unwrap_or_else(|| {
            view_m.with(|v| {
                v.as_ref()
                    .map_or_else(Clone::clone, |v| status(v, running, busy))
            })
        })
    };
    view! {
        <Section id="parallel-title" title=PARALLEL_TITLE>
            <p>
                "A recurrent layer cannot compute step t before it has the state of step t − 1: however many processors it has, its n steps run one after another. "
                "Self-attention's work comes in four stages (the projections, the scores, the weighted sum, the output projection), and everything inside a stage can run at once. "
                "The counts below are the engine's, for the layers of this chapter (width 32; attention with one head of 16)."
            </p>
            <div class="control-grid">
                <ParamSlider label="Sequence length n" param=SCHED_N log=true test_id="sn" bind=field!(url.sched_n) />
                <ParamNumber label="Parallel workers P" param=WORKERS test_id="p" bind=field!(url.workers) />
            </div>
            <p class="measure" data-testid="sched-head">{headline}</p>
            {move || table.with(|t| t.as_ref().ok().map(|(t, _)| view! { <NumbersTable data=t.clone() test_id="sched-table" /> }))}
            <p data-testid="sched-range">{range}</p>
            <Chart
                size=(820.0, 420.0)
                test_id="steps-chart"
                label="Dependent steps and rounds on P workers against n on log-log axes, for the RNN and self-attention"
                draw=plot_from_result(steps, |area, c, s, th| draw_loglog(area, c, th, s))
            >
                {move || view! { <NumbersTable data=chart_numbers(sched.get().1) test_id="steps-numbers" /> }}
            </Chart>
            <Chart
                size=(820.0, 380.0)
                test_id="macs-chart"
                label="Multiply-adds of one RNN, GRU and self-attention layer against n on log-log axes"
                draw=plot_from_result(macs, |area, c, s, th| draw_loglog(area, c, th, s))
            >
                {move || view! { <NumbersTable data=chart_numbers(sched.get().1) test_id="macs-numbers" /> }}
            </Chart>
            <p class="hint">
                "The schedule is a simplified machine: P workers each do one multiply-add per round, and a stage starts when the one before has finished. "
                "Attention does more arithmetic (its scores grow with n²), yet with enough workers it needs far fewer rounds, because none of its scores waits for another. "
                "That is what graphics cards offer: thousands of arithmetic units that are only useful if the work does not form a chain."
            </p>
            <h3>"Measured in this page"</h3>
            <p>
                "The button times the engine's forward pass of each layer on random inputs, for n = 16, 32, … doubling each time, and keeps the median of the repeats. "
                "The RNN and attention are matched in size (their parameters are in the table); the GRU has three times the RNN's weights. Each call is timed whole, so at the largest n the page may pause briefly between frames."
            </p>
            <div class="control-grid">
                <ChoiceGroup label="Largest n" test_prefix="tmax" options=&TIMED_MAX bind=field!(url.t_max) />
                <ParamSlider label="Repeats per point" param=REPS test_id="reps" bind=field!(url.reps) />
                <RunButtons
                    prefix="time"
                    start="Time it"
                    runner=runner
                    seed=field!(url.timing_seed)
                    seed_param=TIMING_SEED
                />
            </div>
            <p class="measure progress" data-testid="time-status" aria-live="polite">{status_text}</p>
            {move || view_m.with(|v| v.as_ref().ok().filter(|v| !v.points.is_empty()).map(|v| view! { <NumbersTable data=summary(v) test_id="time-table" /> }))}
            <Chart
                size=(820.0, 420.0)
                test_id="time-chart"
                label="Measured forward time of the RNN, the GRU and self-attention against n on log-log axes"
                draw=plot_from_result(time_chart, |area, c, s, th| draw_loglog(area, c, th, s))
            >
                {move || view_m.with(|v| v.as_ref().ok().map(|v| view! { <NumbersTable data=numbers(v) test_id="time-numbers" /> }))}
            </Chart>
            <p class="hint" data-testid="time-honest">
                "What one browser thread can show: the total work. This page runs every multiply-add one after another on a single thread, so here attention's extra n² arithmetic simply costs time, and for long sequences it is the slower of the two. "
                "What it cannot show is the parallel speed-up: nothing here runs at once, so the RNN's chain of dependent steps costs it nothing extra. "
                "The rounds above are a simulation of exactly that missing part."
            </p>
        </Section>
    }
    .into_any()
}

/// Per layer: parameters, the time at the largest n measured so far, the slope.
fn summary(v: &TimingView) -> TableData {
    let max = lengths(v.config.max_n).last().copied().unwrap_or(0);
    let at = format!("ms at n = {}", grouped_usize(max));
    TableData::plain(
        &["layer", "parameters", &at, "slope (n ≥ 128)"],
        BodyKind::ALL.iter().map(|&k| {
            vec![
                name(k).to_string(),
                v.params
                    .iter()
                    .find(|p| p.0 == k)
                    .map_or(String::new(), |p| grouped_usize(p.1)),
                time_at(v, k, max).map_or("—".into(), ms),
                slope(v, k).map_or("—".into(), |s| trimmed(s, 2)),
            ]
        }),
    )
}

/// Every median, one row per n.
fn numbers(v: &TimingView) -> TableData {
    let mut header = vec!["n"];
    header.extend(BodyKind::ALL.iter().map(|&k| name(k)));
    TableData::plain(
        &header,
        lengths(v.config.max_n).into_iter().map(|n| {
            let mut row = vec![grouped_usize(n)];
            row.extend(
                BodyKind::ALL
                    .iter()
                    .map(|&k| time_at(v, k, n).map_or(String::new(), ms)),
            );
            row
        }),
    )
}
