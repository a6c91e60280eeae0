//! Several heads or one wide head? Two encoders of the same width and
//! parameter count, 4 heads of width 8 and 1 head of width 32, trained from
//! the same seed on the same batches of [`TwoLookup`] (fetch the digits after
//! two markers at once), in the browser, a slice of steps per frame.
//!
//! [`Race`] is plain data and logic (tested natively).

use crate::charts::plots::{draw_curves, CurveChart, Series, SCALED, UNSCALED};
use crate::frames::{drive, now_ms};
use crate::widgets::chart::{Chart, DrawFn};
use crate::widgets::table::items_table;
use attention_core::train::{Adam, EncoderClassifier, Optimizer, Question, TwoLookup};
use attention_core::Rng;
use leptos::prelude::*;
use std::sync::Arc;

/// Heads of the two contestants (both `D_MODEL` wide).
pub const HEADS: [usize; 2] = [4, 1];
pub const D_MODEL: usize = 32;
pub const LAYERS: usize = 2;
pub const BATCH: usize = 32;
pub const LR: f64 = 3e-3;
pub const MAX_STEPS: usize = 500;
pub const EVAL_EVERY: usize = 25;
/// Held-out questions (a fixed stream, the same for every seed).
pub const EVAL_SIZE: usize = 200;
const EVAL_SEED: u64 = 999;
const FRAME_BUDGET_MS: f64 = 12.0;

/// The task: 10 digits and markers, digits 0-5.
pub fn task() -> TwoLookup {
    TwoLookup { len: 10, digits: 6 }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub step: usize,
    /// Held-out accuracy [4 heads, 1 head].
    pub accuracy: [f64; 2],
}

pub struct Race {
    pub seed: u64,
    models: [EncoderClassifier; 2],
    opts: [Adam; 2],
    task: TwoLookup,
    rng: Rng,
    held: Vec<Question>,
    pub step: usize,
    pub history: Vec<Point>,
}

impl Race {
    pub fn new(seed: u64) -> Result<Self, String> {
        let task = task();
        let model = |h| {
            EncoderClassifier::new(task.model_config(D_MODEL, h, LAYERS, seed))
                .map_err(|e| e.to_string())
        };
        let mut r = Race {
            seed,
            models: [model(HEADS[0])?, model(HEADS[1])?],
            opts: [Adam::new(LR), Adam::new(LR)],
            task,
            rng: Rng::new(seed + 100),
            held: task.questions(EVAL_SIZE, EVAL_SEED),
            step: 0,
            history: Vec::new(),
        };
        let accuracy = r.evaluate();
        r.history.push(Point { step: 0, accuracy });
        Ok(r)
    }

    fn evaluate(&self) -> [f64; 2] {
        [0, 1].map(|i| {
            self.models[i]
                .evaluate(&self.held)
                .map_or(f64::NAN, |s| s.accuracy)
        })
    }

    pub fn finished(&self) -> bool {
        self.step >= MAX_STEPS
    }

    /// One step of both models on the same batch; returns true when a
    /// held-out point was added.
    pub fn step(&mut self) -> Result<bool, String> {
        if self.finished() {
            return Ok(false);
        }
        let batch: Vec<Question> = (0..BATCH)
            .map(|_| self.task.sample(&mut self.rng))
            .collect();
        for (m, o) in self.models.iter_mut().zip(self.opts.iter_mut()) {
            m.train_step(&batch, o as &mut dyn Optimizer)
                .map_err(|e| e.to_string())?;
        }
        self.step += 1;
        if self.step.is_multiple_of(EVAL_EVERY) {
            let accuracy = self.evaluate();
            self.history.push(Point {
                step: self.step,
                accuracy,
            });
            return Ok(true);
        }
        Ok(false)
    }

    /// Parameters of each model (equal by construction).
    pub fn params(&self) -> [usize; 2] {
        [0, 1].map(|i| attention_core::train::Module::num_params(&self.models[i]))
    }
}

fn name(i: usize) -> String {
    let h = HEADS[i];
    format!(
        "{h} head{} × {}",
        if h == 1 { "" } else { "s" },
        D_MODEL / h
    )
}

/// Held-out accuracy of both models against step.
pub fn chart(history: &[Point]) -> CurveChart {
    let series = |i: usize, color, square| Series {
        name: name(i),
        points: history
            .iter()
            .map(|p| (p.step as f64, p.accuracy[i]))
            .collect(),
        color,
        square,
    };
    CurveChart {
        title: format!("Held-out accuracy ({EVAL_SIZE} sequences)"),
        x_label: "training step".into(),
        y_label: "accuracy".into(),
        y_range: (0.0, 1.0),
        series: vec![series(0, SCALED, false), series(1, UNSCALED, true)],
        x_max: MAX_STEPS as f64,
    }
}

/// What the run measured so far, in words.
pub fn summary(history: &[Point]) -> String {
    let Some(last) = history.last() else {
        return String::new();
    };
    let part = |i: usize| {
        let first = history
            .iter()
            .find(|p| p.accuracy[i] >= 0.95)
            .map(|p| p.step);
        format!(
            "{} at {:.0}%{}",
            name(i),
            last.accuracy[i] * 100.0,
            first.map_or(" (not yet at 95%)".to_string(), |s| format!(
                " (first at 95% or more at step {s})"
            ))
        )
    };
    format!("After {} steps: {}; {}.", last.step, part(0), part(1))
}

/// Section 5 of the chapter.
#[component]
pub fn RaceSection(#[prop(into)] seed: Signal<u64>, on_seed: Callback<u64>) -> impl IntoView {
    let run = StoredValue::new_local(None::<Race>);
    let history = RwSignal::new(Vec::<Point>::new());
    let running = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let reset = move |s: u64| {
        running.set(false);
        match Race::new(s) {
            Ok(r) => {
                history.set(r.history.clone());
                run.set_value(Some(r));
                error.set(None);
            }
            Err(e) => error.set(Some(e)),
        }
    };
    Effect::new(move |_| reset(seed.get()));
    let toggle = move |_| {
        if running.get_untracked() {
            running.set(false);
            return;
        }
        if run.with_value(|r| r.as_ref().is_none_or(Race::finished)) {
            reset(seed.get_untracked());
        }
        running.set(true);
        drive(running, FRAME_BUDGET_MS, move |deadline| {
            let mut update = None;
            let mut done = false;
            run.try_update_value(|r| {
                let Some(r) = r.as_mut() else {
                    done = true;
                    return;
                };
                while now_ms() < deadline && !r.finished() {
                    match r.step() {
                        Ok(true) => {
                            update = Some(r.history.clone());
                            break;
                        }
                        Ok(false) => {}
                        Err(e) => {
                            error.try_set(Some(e));
                            done = true;
                            return;
                        }
                    }
                }
                done = done || r.finished();
            })?;
            if let Some(h) = update {
                history.try_set(h);
            }
            Some(done)
        });
    };
    let chart_m = Memo::new(move |_| history.with(|h| chart(h)));
    let draw: Arc<DrawFn> = Arc::new(move |area, s, th| {
        chart_m.with(|c| draw_curves(area, c, th, s).map_err(|e| e.to_string()))
    });
    let params = run.with_value(|r| r.as_ref().map(Race::params));
    view! {
        <section aria-labelledby="race-title" class="training">
            <h2 id="race-title">"5 · Several heads or one wide head?"</h2>
            <p>
                "Each sequence has ten digits and two markers, F and S; at the final ? the model must name the digit after F and the digit after S. "
                "That is two lookups at once, and the two must not be mixed up. "
                {format!(
                    "Two encoders ({LAYERS} layers, width {D_MODEL}) learn it from the same random start and the same batches: one splits each layer into {} heads of width {}, the other keeps {} head of width {}. ",
                    HEADS[0], D_MODEL / HEADS[0], HEADS[1], D_MODEL / HEADS[1]
                )}
                {params.map(|p| format!("Both have {} parameters. ", p[0]))}
                "Runs differ from seed to seed: try a few."
            </p>
            <div class="control-row">
                <button class="primary" data-testid="race-toggle" on:click=toggle>
                    {move || if running.get() { "Pause" } else if history.with(|h| h.last().is_some_and(|p| p.step > 0 && p.step < MAX_STEPS)) { "Continue" } else { "Train both" }}
                </button>
                <button data-testid="race-seed" on:click=move |_| on_seed.run(seed.get_untracked() % 999 + 1)>
                    {move || format!("Seed {} · try the next", seed.get())}
                </button>
            </div>
            <p class="measure" data-testid="race-summary" aria-live="polite">{move || history.with(|h| summary(h))}</p>
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
            <Chart width=560.0 height=300.0 test_id="race-chart" label=Signal::derive(|| "Held-out accuracy of the 4-head and the 1-head model".to_string()) draw=draw>
                {items_table(history, &["step", "4 heads × 8", "1 head × 32"], |p| {
                    vec![p.step.to_string(), format!("{:.3}", p.accuracy[0]), format!("{:.3}", p.accuracy[1])]
                }, "race-table")}
            </Chart>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_models_match_in_size_and_see_the_same_batches() {
        let mut r = Race::new(3).expect("builds");
        let [a, b] = r.params();
        assert_eq!(a, b);
        assert_eq!(r.history.len(), 1);
        let mut points = 0;
        for _ in 0..EVAL_EVERY {
            points += usize::from(r.step().expect("steps"));
        }
        assert_eq!((points, r.history.len()), (1, 2));
        let c = chart(&r.history);
        assert_eq!(c.series.len(), 2);
        assert_eq!(c.series[1].name, "1 head × 32");
        assert!(summary(&r.history).starts_with("After 25 steps: 4 heads × 8 at"));
    }
}
