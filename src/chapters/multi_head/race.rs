//! Several heads or one wide head? Two encoders of the same width and
//! parameter count, 4 heads of width 8 and 1 head of width 32, trained from
//! the same seed (the URL's) on the same batches of [`TwoLookup`] (fetch the
//! digits after two markers at once), in the browser, run by a [`Runner`] a
//! slice of work per frame.
//!
//! [`Race`] is plain data and logic (a [`Job`], tested natively). A step is
//! done in small parts ([`ClassifierStep`]: one question's forward or
//! backward pass of one model, or one model's update; the held-out
//! measurement one question at a time), so no frame waits for a whole step.

use super::state::SEED;
use crate::charts::plots::{CurveChart, Series, SCALED, UNSCALED};
use crate::training::{Job, Runner};
use crate::widgets::chart::{curves, Chart};
use crate::widgets::run_buttons::run_label;
use crate::widgets::section::Section;
use crate::widgets::table::items_table;
use attention_core::train::{
    Adam, ClassifierStep, EncoderClassifier, Module, Question, StepStats, TwoLookup,
};
use attention_core::Rng;
use leptos::prelude::*;
use std::collections::VecDeque;

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
    /// What is left of the current step, in order.
    parts: VecDeque<Part>,
    /// Held-out accuracy measured so far at the current step.
    measured: [f64; 2],
}

/// A piece of a step: training or measuring one model.
struct Part {
    model: usize,
    step: ClassifierStep,
    train: bool,
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
            parts: VecDeque::new(),
            measured: [f64::NAN; 2],
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
        self.step >= MAX_STEPS && self.parts.is_empty()
    }

    /// One step of both models on the same batch (and the held-out
    /// measurement when one is due); returns true when a held-out point
    /// was added.
    pub fn step(&mut self) -> Result<bool, String> {
        let points = self.history.len();
        loop {
            self.part()?;
            if self.parts.is_empty() {
                return Ok(self.history.len() > points);
            }
        }
    }

    /// The parts of the next step: both models trained on one new batch,
    /// then (every [`EVAL_EVERY`] steps) both measured.
    fn plan(&mut self) -> Result<(), String> {
        let batch: Vec<Question> = (0..BATCH)
            .map(|_| self.task.sample(&mut self.rng))
            .collect();
        let n = self.task.n_classes();
        let eval = (self.step + 1).is_multiple_of(EVAL_EVERY);
        for (train, questions) in [(true, &batch), (false, &self.held)] {
            if !train && !eval {
                continue;
            }
            for model in 0..self.models.len() {
                let make = if train {
                    ClassifierStep::train
                } else {
                    ClassifierStep::evaluate
                };
                let step = make(questions.clone(), n).map_err(|e| e.to_string())?;
                self.parts.push_back(Part { model, step, train });
            }
        }
        self.measured = [f64::NAN; 2];
        Ok(())
    }

    /// One part of the current step (a new step is planned when none is
    /// under way; nothing once finished).
    fn part(&mut self) -> Result<(), String> {
        if self.parts.is_empty() {
            if self.finished() {
                return Ok(());
            }
            self.plan()?;
        }
        let Some(p) = self.parts.front_mut() else {
            return Ok(());
        };
        let (Some(m), Some(o)) = (self.models.get_mut(p.model), self.opts.get_mut(p.model)) else {
            return Err(format!("There is no model {}.", p.model));
        };
        let stats: Option<StepStats> = match p.step.part(m, o) {
            Ok(s) => s,
            // A failed measurement shows as a missing point.
            Err(_) if !p.train => Some(StepStats {
                loss: f64::NAN,
                accuracy: f64::NAN,
            }),
            Err(e) => return Err(e.to_string()),
        };
        let Some(stats) = stats else {
            return Ok(());
        };
        let (model, train) = (p.model, p.train);
        self.parts.pop_front();
        if !train {
            if let Some(a) = self.measured.get_mut(model) {
                *a = stats.accuracy;
            }
        }
        if train && !self.parts.iter().any(|p| p.train) {
            self.step += 1;
        }
        if !train && self.parts.is_empty() {
            self.history.push(Point {
                step: self.step,
                accuracy: self.measured,
            });
        }
        Ok(())
    }

    /// Parameters of each model (equal by construction).
    pub fn params(&self) -> [usize; 2] {
        self.models.each_ref().map(Module::num_params)
    }
}

impl Job for Race {
    type View = RaceView;

    /// One part of a step.
    fn work(&mut self) -> Result<bool, String> {
        self.part()?;
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

    /// Calls `work` until a whole step is done; returns the calls.
    fn work_a_step(r: &mut Race) -> usize {
        let (units, mut calls) = (r.units(), 0);
        while r.units() == units || !r.parts.is_empty() {
            assert_eq!(r.work(), Ok(false));
            calls += 1;
        }
        calls
    }

    #[test]
    fn as_a_job_it_publishes_a_point_every_eval_every_steps() {
        let mut r = Race::new(2).expect("builds");
        let v0 = r.view();
        assert_eq!((r.units(), r.revision(), v0.history.len()), (0, 1, 1));
        assert_eq!(v0.params, r.params());
        assert!(v0.params[0] > 0);
        // A unit is one question's pass of one model, or one model's update.
        let train = 2 * (2 * BATCH + 1);
        for _ in 0..EVAL_EVERY - 1 {
            assert_eq!(work_a_step(&mut r), train);
        }
        assert_eq!((r.units(), r.revision()), (EVAL_EVERY - 1, 1));
        assert_eq!(r.view(), v0);
        assert_eq!(work_a_step(&mut r), train + 2 * EVAL_SIZE);
        let v1 = r.view();
        assert_eq!((r.revision(), v1.history.len()), (2, 2));
        assert_eq!(v1.history[1].step, EVAL_EVERY);
        assert_eq!(toggle_label(false, &v1.history), "Continue");
        assert_eq!(toggle_label(false, &v0.history), "Train both");
        assert_eq!(toggle_label(true, &v0.history), "Pause");
        // The same seed, the same race, whether run by parts or by steps.
        let mut again = Race::new(2).expect("builds");
        for _ in 0..EVAL_EVERY {
            again.step().expect("steps");
        }
        assert_eq!(again.view(), v1);
    }

    #[test]
    fn parts_give_the_models_whole_steps_give() {
        // The reference: the engine's whole train_step and evaluate.
        let mut r = Race::new(4).expect("builds");
        let task = task();
        let mut rng = Rng::new(4 + 100);
        let mut models = r.models.clone();
        let mut opts = [Adam::new(LR), Adam::new(LR)];
        for _ in 0..EVAL_EVERY {
            let batch: Vec<Question> = (0..BATCH).map(|_| task.sample(&mut rng)).collect();
            for (m, o) in models.iter_mut().zip(opts.iter_mut()) {
                m.train_step(&batch, o).expect("trains");
            }
            work_a_step(&mut r);
        }
        assert_eq!(r.models, models);
        let held = task.questions(EVAL_SIZE, EVAL_SEED);
        let acc = models
            .each_ref()
            .map(|m| m.evaluate(&held).expect("measures").accuracy);
        assert_eq!(r.history[1].accuracy, acc);
    }
}
