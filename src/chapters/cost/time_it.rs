//! Section 2 of the cost chapter: time the engine's dense attention (and
//! the variants of the later sections) in the page, on a log-log chart with
//! the fitted slopes written on it. The run is a [`Timing`] job on a
//! [`Runner`].

use super::model::{grouped_usize, trimmed};
use super::state::{CostState, CAP_MS, REPS, SEED, TIMED_MAX};
use super::timing::{
    curves, lengths, time_at, timing_chart, Timing, TimingConfig, TimingView, Variant, D,
};
use super::Facts;
use crate::charts::cost::draw_loglog;
use crate::router::{field, UrlState};
use crate::training::Runner;
use crate::widgets::chart::{plot_from_result, Chart};
use crate::widgets::choice::ChoiceGroup;
use crate::widgets::run_buttons::RunButtons;
use crate::widgets::section::Section;
use crate::widgets::slider::{ParamNumber, ParamSlider};
use crate::widgets::table::{NumbersTable, TableData};
use leptos::prelude::*;

/// The runner of the timing job.
pub type TimingRunner = Runner<TimingConfig, Timing>;

/// The timing runner for the state's settings.
pub fn timing_runner(url: UrlState<CostState>) -> TimingRunner {
    let state = url.state;
    Runner::new(
        move || {
            state.with(|s| TimingConfig {
                max_n: s.t_max,
                reps: s.reps,
                cap_ms: s.cap_ms as f64,
                seed: s.seed,
            })
        },
        |c: &TimingConfig| Timing::new(*c, crate::frames::now_ms),
    )
}

pub use crate::widgets::measure::ms;

/// What the run is doing, in a sentence.
fn status(v: &TimingView, running: bool, busy_s: f64) -> String {
    if v.finished {
        let stopped = if v.stops.is_empty() {
            String::new()
        } else {
            " Some variants stopped at the cap (see below).".into()
        };
        return format!(
            "Done: {} timed calls (the median of {} repeats per point) in {:.1} s of work.{stopped}",
            v.done_reps, v.config.reps, busy_s
        );
    }
    match (v.now, running, v.done_reps) {
        (_, false, 0) => "Press “Time it” to start; the page stays usable while it runs.".into(),
        (Some((var, n)), true, done) => format!(
            "Timing {} at n = {} ({done} of {} repeats done)…",
            var.label(),
            grouped_usize(n),
            v.total_reps
        ),
        (_, _, done) => format!("Paused after {done} of {} repeats.", v.total_reps),
    }
}

/// The heading of this section.
pub(super) const TIME_TITLE: &str = "2 · Time it on your machine";

/// Section 2: time it.
#[component]
pub fn TimeSection(url: UrlState<CostState>, runner: TimingRunner) -> impl IntoView {
    let view_m = Memo::new(move |_| runner.view());
    let chart =
        Memo::new(move |_| view_m.with(|v| v.as_ref().map(timing_chart).map_err(Clone::clone)));
    let chart_draw = plot_from_result(chart, |area, c, s, th| draw_loglog(area, c, th, s));
    let status_text = move || {
        let running = runner.running();
        let busy = runner.busy_seconds();
        runner.error().unwrap_or_else(|| {
            view_m.with(|v| {
                v.as_ref()
                    .map_or_else(Clone::clone, |v| status(v, running, busy))
            })
        })
    };
    view! {
        <Section id="time-title" title=TIME_TITLE>
            <p>
                {format!(
                    "Counting is one thing; here your own computer does the work. The button runs the engine's attention functions on random queries, keys and values of width {D} for n = 32, 64, 128, … "
                )}
                "doubling each time, repeats every point and keeps the median. "
                "The same run times the variants of the sections below (tiled, linear and a sliding window), so all curves share one chart."
            </p>
            <div class="control-grid">
                <ChoiceGroup
                    label="Largest n"
                    test_prefix="tmax"
                    options=&TIMED_MAX
                    bind=field!(url.t_max)
                />
                <ParamSlider
                    label="Repeats per point"
                    param=REPS
                    test_id="reps"
                    bind=field!(url.reps)
                />
                <ParamNumber
                    label="Time cap per point (ms)"
                    param=CAP_MS
                    test_id="cap"
                    bind=field!(url.cap_ms)
                />
                <RunButtons
                    prefix="time"
                    start="Time it"
                    runner=runner
                    seed=field!(url.seed)
                    seed_param=SEED
                />
            </div>
            <p class="measure progress" data-testid="time-status" aria-live="polite">{status_text}</p>
            {move || view_m.with(|v| v.as_ref().ok().map(summary))}
            <Chart
                size=(820.0, 440.0)
                test_id="time-chart"
                label="Measured time of dense, tiled, linear and sliding-window attention against n on log-log axes"
                draw=chart_draw
            >
                {move || view_m.with(|v| v.as_ref().ok().map(numbers))}
            </Chart>
            <p class="hint">
                "A slope near 2 means the time grows with n²; near 1, with n. At small n fixed costs blur the picture, so each slope is fitted over the largest lengths only. "
                "Tiled attention does the same n² work as dense attention (its gain is memory, section 5), while linear attention and the window do work proportional to n."
            </p>
        </Section>
    }
}

/// The slopes and a few times, one row per variant.
fn summary(v: &TimingView) -> impl IntoView {
    let cs = curves(v);
    let from = cs.first().map_or(0, |c| c.fit_from);
    // n = 1,024 and the largest n timed.
    let max = v.config.max_n;
    let mut shown = vec![max.min(1024), max];
    shown.dedup();
    let mut header = vec![
        "variant".to_string(),
        format!("fitted slope (n ≥ {})", grouped_usize(from)),
    ];
    header.extend(
        shown
            .iter()
            .map(|n| format!("ms at n = {}", grouped_usize(*n))),
    );
    header.push("stopped".into());
    let rows = cs
        .iter()
        .map(|c| {
            let mut cells = vec![c.slope.map_or("—".into(), |s| trimmed(s, 2))];
            cells.extend(
                shown
                    .iter()
                    .map(|n| time_at(v, c.variant, *n).map_or("—".into(), ms)),
            );
            cells.push(v.stops.iter().find(|s| s.variant == c.variant).map_or(
                String::new(),
                |s| {
                    format!(
                        "at n = {} (one repeat took {} ms)",
                        grouped_usize(s.n),
                        ms(s.spent_ms)
                    )
                },
            ));
            (c.variant.label().to_string(), cells)
        })
        .collect();
    Facts {
        caption: "Measured in this page".into(),
        header,
        rows,
        test_id: "time-table",
        current: None,
    }
    .view()
}

/// Every median, one row per n.
fn numbers(v: &TimingView) -> impl IntoView {
    let mut header = vec!["n"];
    header.extend(Variant::ALL.iter().map(|v| v.label()));
    let mut t = TableData::new(&header);
    t.rows = lengths(v.config.max_n)
        .into_iter()
        .map(|n| {
            let mut row = vec![grouped_usize(n)];
            row.extend(
                Variant::ALL
                    .iter()
                    .map(|var| time_at(v, *var, n).map_or(String::new(), ms)),
            );
            (None, row)
        })
        .collect();
    view! { <NumbersTable data=t test_id="time-numbers" /> }
}
