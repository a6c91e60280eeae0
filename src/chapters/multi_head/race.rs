//! Several heads or one wide head? Two encoders of the same width and
//! parameter count, 4 heads of width 8 and 1 head of width 32, trained from
//! the same seed (the URL's) on the same batches of [`TwoLookup`] (fetch the
//! digits after two markers at once), in the browser, run by a [`Runner`] a
//! slice of steps per frame.
//!
//! [`Race`] is plain data and logic (a [`Job`], tested natively).

use super::state::SEED;
use crate::charts::plots::{CurveChart, Series, SCALED, UNSCALED};
use crate::training::{Job, Runner};
use crate::widgets::chart::{curves, Chart};
use crate::widgets::run_buttons::run_label;
use crate::widgets::section::Section;
use crate::widgets::table::items_table;
use attention_core::train::{Adam, EncoderClassifier, Module, Optimizer, Question, TwoLookup};
use attention_core::Rng;
use leptos::prelude::*;

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

impl Point {
    /// Held-out accuracy of contestant `i` (NaN for no such contestant).
    fn of(&self, i: usize) -> f64 {
        self.accuracy.get(i).copied().unwrap_or(f64::NAN)
    }
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

/// What the page shows of a race.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RaceView {
    pub history: Vec<Point>,
    /// Parameters of each model (equal by construction).
    pub params: [usize; 2],
}

impl Race {
    pub fn new(seed: u64) -> Result<Self, String> {
        let task = task();
        let model = |h| {
            EncoderClassifier::new(task.model_config(D_MODEL, h, LAYERS, seed))
                .map_err(|e| e.to_string())
        };
        let [many, one] = HEADS;
        let mut r = Race {
            seed,
            models: [model(many)?, model(one)?],
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
        self.models
            .each_ref()
            .map(|m| m.evaluate(&self.held).map_or(f64::NAN, |s| s.accuracy))
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
        self.models.each_ref().map(Module::num_params)
    }
}

impl Job for Race {
    type View = RaceView;

    fn work(&mut self) -> Result<bool, String> {
        self.step()?;
        Ok(self.finished())
    }

    fn finished(&self) -> bool {
        Race::finished(self)
    }

    fn units(&self) -> usize {
        self.step
    }

    fn view(&self) -> RaceView {
        RaceView {
            history: self.history.clone(),
            params: self.params(),
        }
    }

    /// The page changes only when a held-out point is added.
    fn revision(&self) -> usize {
        self.history.len()
    }
}

/// "4 heads × 8", "1 head × 32".
fn name(heads: usize) -> String {
    format!(
        "{heads} head{} × {}",
        if heads == 1 { "" } else { "s" },
        D_MODEL / heads.max(1)
    )
}

/// Held-out accuracy of both models against step.
pub fn chart(history: &[Point]) -> CurveChart {
    let series = |i: usize, heads: usize, color, square| Series {
        name: name(heads),
        points: history.iter().map(|p| (p.step as f64, p.of(i))).collect(),
        color,
        square,
    };
    let [many, one] = HEADS;
    CurveChart {
        title: format!("Held-out accuracy ({EVAL_SIZE} sequences)"),
        x_label: "training step".into(),
        y_label: "accuracy".into(),
        y_range: (0.0, 1.0),
        series: vec![
            series(0, many, SCALED, false),
            series(1, one, UNSCALED, true),
        ],
        x_max: MAX_STEPS as f64,
    }
}

/// What the run measured so far, in words.
pub fn summary(history: &[Point]) -> String {
    let Some(last) = history.last() else {
        return String::new();
    };
    let part = |i: usize, heads: usize| {
        let first = history.iter().find(|p| p.of(i) >= 0.95).map(|p| p.step);
        format!(
            "{} at {:.0}%{}",
            name(heads),
            last.of(i) * 100.0,
            first.map_or(" (not yet at 95%)".to_string(), |s| format!(
                " (first at 95% or more at step {s})"
            ))
        )
    };
    let [many, one] = HEADS;
    format!(
        "After {} steps: {}; {}.",
        last.step,
        part(0, many),
        part(1, one)
    )
}

/// The toggle's label: "Pause" while running, "Continue" within a race,
/// else the start label.
fn toggle_label(running: bool, history: &[Point]) -> &'static str {
    let within = history
        .last()
        .is_some_and(|p| p.step > 0 && p.step < MAX_STEPS);
    run_label(running, false, within, "Train both")
}

/// Section 5 of the chapter: a new `seed` is a new race.
/// The section's heading.
pub const TITLE: &str = "5 · Several heads or one wide head?";

#[component]
pub fn RaceSection(#[prop(into)] seed: Signal<u64>, on_seed: Callback<u64>) -> impl IntoView {
    let runner = Runner::new(move || seed.get(), |&s: &u64| Race::new(s));
    let race = Memo::new(move |_| runner.view().unwrap_or_default());
    let history = Memo::new(move |_| race.with(|r| r.history.clone()));
    let chart_m = Memo::new(move |_| history.with(|h| chart(h)));
    let draw = curves(chart_m);
    let [many, one] = HEADS;
    let setup = format!(
        "Two encoders ({LAYERS} layers, width {D_MODEL}) learn it from the same random start and the same batches: one splits each layer into {many} heads of width {}, the other keeps {one} head of width {}. ",
        D_MODEL / many,
        D_MODEL / one,
    );
    view! {
        <Section id="race-title" title=TITLE class="training">
            <p>
                "Each sequence has ten digits and two markers, F and S; at the final ? the model must name the digit after F and the digit after S. "
                "That is two lookups at once, and the two must not be mixed up. "
                {setup}
                {move || race.with(|r| r.params.first().map(|p| format!("Both have {p} parameters. ")))}
                "Runs differ from seed to seed: try a few."
            </p>
            <div class="control-row">
                <button class="primary" data-testid="race-toggle" on:click=move |_| runner.toggle()>
                    {move || history.with(|h| toggle_label(runner.running(), h))}
                </button>
                <button data-testid="race-seed" on:click=move |_| on_seed.run(SEED.next(seed.get_untracked()))>
                    {move || format!("Seed {} · try the next", seed.get())}
                </button>
            </div>
            <p class="measure" data-testid="race-summary" aria-live="polite">
                {move || history.with(|h| summary(h))}
            </p>
            {move || runner.error().map(|e| view! { <p class="error">{e}</p> })}
            <Chart size=(560.0, 300.0) test_id="race-chart" label="Held-out accuracy of the 4-head and the 1-head model" draw=draw>
                {items_table(
                    history,
                    &["step", "4 heads × 8", "1 head × 32"],
                    |p| vec![p.step.to_string(), format!("{:.3}", p.of(0)), format!("{:.3}", p.of(1))],
                    "race-table",
                )}
            </Chart>
        </Section>
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

    #[test]
    fn as_a_job_it_publishes_a_point_every_eval_every_steps() {
        let mut r = Race::new(2).expect("builds");
        let v0 = r.view();
        assert_eq!((r.units(), r.revision(), v0.history.len()), (0, 1, 1));
        assert_eq!(v0.params, r.params());
        assert!(v0.params[0] > 0);
        for _ in 0..EVAL_EVERY - 1 {
            assert_eq!(r.work(), Ok(false));
        }
        assert_eq!((r.units(), r.revision()), (EVAL_EVERY - 1, 1));
        assert_eq!(r.view(), v0);
        assert_eq!(r.work(), Ok(false));
        let v1 = r.view();
        assert_eq!((r.revision(), v1.history.len()), (2, 2));
        assert_eq!(v1.history[1].step, EVAL_EVERY);
        assert_eq!(toggle_label(false, &v1.history), "Continue");
        assert_eq!(toggle_label(false, &v0.history), "Train both");
        assert_eq!(toggle_label(true, &v0.history), "Pause");
        // The same seed, the same race.
        let mut again = Race::new(2).expect("builds");
        for _ in 0..EVAL_EVERY {
            again.work().expect("steps");
        }
        assert_eq!(again.view(), v1);
    }
}
