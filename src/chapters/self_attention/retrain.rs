//! Retraining the self-attention model from scratch in the browser, with the
//! same settings and seeds as the shipped weights (`train-coref`), run by a
//! [`Runner`] a slice of steps per animation frame. Every [`EVAL_EVERY`]
//! steps the run measures itself and keeps the model as it is then; while a
//! run has started, the panels above show that model (so the learner
//! watches attention form), and "Back to the shipped weights" resets it.
//!
//! [`Retrain`] is plain data and logic (a [`Job`], tested natively); the
//! section only shows its history and its buttons. Its unit of work is a
//! small part of a step ([`CorefTrainer::part`]: one sentence's forward or
//! backward pass, or the update) or one held-out sentence measured, so no
//! frame waits for a whole step.

use crate::charts::plots::{CurveChart, Series};
use crate::training::{Job, Runner};
use crate::widgets::chart::{curves, Chart};
use crate::widgets::run_buttons::run_label;
use crate::widgets::section::Section;
use crate::widgets::table::items_table;
use attention_core::train::coref::{
    accuracy, CorefTrainer, CorefTraining, Corpus, Measuring, Sentence,
};
use attention_core::train::EncoderClassifier;
use leptos::prelude::*;
use std::sync::Arc;

/// Steps of a full run (as `train-coref`).
pub const STEPS: usize = 1500;
/// Held-out sentences measured every [`EVAL_EVERY`] steps.
pub const EVAL_SIZE: usize = 200;
pub const EVAL_EVERY: usize = 100;

/// One measurement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub step: usize,
    /// Mean training loss since the previous point.
    pub loss: f64,
    /// Held-out accuracy, coreference and agreement together.
    pub accuracy: f64,
}

/// A training run in progress.
pub struct Retrain {
    trainer: CorefTrainer,
    held_out: Vec<Sentence>,
    pub history: Vec<Point>,
    /// The model as it was at the last measurement (what the page shows).
    measured: Arc<EncoderClassifier>,
    loss_sum: f64,
    loss_n: usize,
    pub error: Option<String>,
    /// The held-out measurement under way.
    measuring: Option<Measuring>,
}

/// What the page shows of a run: its measurements and the model at the
/// last one.
#[derive(Clone, Debug, PartialEq)]
pub struct RetrainView {
    pub history: Vec<Point>,
    pub model: Arc<EncoderClassifier>,
}

impl Retrain {
    pub fn new(corpus: &Corpus) -> Result<Self, String> {
        let settings = CorefTraining::new(corpus);
        let trainer = CorefTrainer::new(corpus.clone(), settings).map_err(|e| e.to_string())?;
        let held_out = corpus.held_out(EVAL_SIZE, 7);
        let acc = accuracy(&trainer.model, &held_out).map_or(f64::NAN, |a| a.all);
        Ok(Retrain {
            measured: Arc::new(trainer.model.clone()),
            trainer,
            held_out,
            history: vec![Point {
                step: 0,
                loss: f64::NAN,
                accuracy: acc,
            }],
            loss_sum: 0.0,
            loss_n: 0,
            error: None,
            measuring: None,
        })
    }

    pub fn steps(&self) -> usize {
        self.trainer.steps()
    }

    pub fn finished(&self) -> bool {
        (self.steps() >= STEPS && self.measuring.is_none()) || self.error.is_some()
    }

    pub fn model(&self) -> &EncoderClassifier {
        &self.trainer.model
    }

    /// One step (and the measurement when one is due); returns true when
    /// it completed a measurement point.
    pub fn step(&mut self) -> bool {
        let steps = self.steps();
        loop {
            let point = self.part();
            if self.finished() || (self.steps() > steps && self.measuring.is_none()) {
                return point;
            }
        }
    }

    /// One part of a step, or one held-out sentence measured; returns true
    /// when it completed a measurement point.
    pub fn part(&mut self) -> bool {
        if self.finished() {
            return false;
        }
        if let Some(m) = &mut self.measuring {
            let acc = match m.part(&self.trainer.model, &self.held_out) {
                Ok(None) => return false,
                Ok(Some(a)) => a.all,
                Err(_) => f64::NAN,
            };
            self.history.push(Point {
                step: self.steps(),
                loss: self.loss_sum / self.loss_n.max(1) as f64,
                accuracy: acc,
            });
            (self.loss_sum, self.loss_n) = (0.0, 0);
            self.measured = Arc::new(self.trainer.model.clone());
            self.measuring = None;
            return true;
        }
        match self.trainer.part() {
            Ok(None) => {}
            Ok(Some(s)) => {
                self.loss_sum += s.loss;
                self.loss_n += 1;
                if self.steps().is_multiple_of(EVAL_EVERY) {
                    self.measuring = Some(Measuring::default());
                }
            }
            Err(e) => {
                self.error = Some(format!("Training stopped: the engine reported {e}."));
            }
        }
        false
    }
}

impl Job for Retrain {
    type View = RetrainView;

    fn work(&mut self) -> Result<bool, String> {
        self.part();
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(self.finished()),
        }
    }

    fn finished(&self) -> bool {
        Retrain::finished(self)
    }

    fn units(&self) -> usize {
        self.steps()
    }

    fn view(&self) -> RetrainView {
        RetrainView {
            history: self.history.clone(),
            model: self.measured.clone(),
        }
    }

    /// The page changes only when a measurement is added.
    fn revision(&self) -> usize {
        self.history.len()
    }
}

/// The retraining run of section 6.
pub type RetrainRunner = Runner<(), Retrain>;

/// The retraining run of the chapter (one per page: it has no settings).
pub fn runner(corpus: Corpus) -> RetrainRunner {
    Runner::on_demand(
        || (),
        move |_| Retrain::new(&corpus).map_err(|e| format!("Could not build the model: {e}")),
    )
}

/// Loss and held-out accuracy against step.
pub fn chart(history: &[Point]) -> CurveChart {
    let pick = |f: fn(&Point) -> f64| history.iter().map(|p| (p.step as f64, f(p))).collect();
    let max_loss = history
        .iter()
        .map(|p| p.loss)
        .filter(|v| v.is_finite())
        .fold(1.0_f64, f64::max);
    CurveChart {
        x_label: "training step".into(),
        title: format!(
            "Held-out accuracy ({EVAL_SIZE} sentences) and training loss / {max_loss:.1}"
        ),
        y_label: "accuracy, scaled loss".into(),
        y_range: (0.0, 1.0),
        series: vec![
            Series::primary("held-out accuracy", pick(|p| p.accuracy)),
            Series::secondary(
                "training loss (scaled)",
                history
                    .iter()
                    .filter(|p| p.loss.is_finite())
                    .map(|p| (p.step as f64, p.loss / max_loss))
                    .collect(),
            ),
        ],
        x_max: STEPS as f64,
    }
}

/// The toggle's label: "Pause" while running, "Continue" within a run,
/// else the start label.
fn toggle_label(running: bool, history: &[Point]) -> &'static str {
    let within = history.last().is_some_and(|p| p.step > 0 && p.step < STEPS);
    run_label(running, false, within, "Train from scratch")
}

/// One line on the run: step, accuracy, loss and speed.
fn progress_text(history: &[Point], rate: Option<f64>) -> String {
    match history.last() {
        None => "Using the shipped weights.".to_string(),
        Some(p) => format!(
            "Step {} of {STEPS} · held-out accuracy {:.0}%{}{}",
            p.step,
            p.accuracy * 100.0,
            if p.loss.is_finite() {
                format!(" · training loss {:.3}", p.loss)
            } else {
                String::new()
            },
            rate.map_or(String::new(), |r| format!(" · {r:.0} steps/s")),
        ),
    }
}

/// The heading of this section.
pub(super) const RETRAIN_TITLE: &str = "6 · Train it yourself";

/// Section 6 of the chapter. `runner` is the chapter's (its live model
/// replaces the shipped one in the panels above).
#[component]
pub fn RetrainSection(runner: RetrainRunner) -> impl IntoView {
    // Empty before a run has started (the shipped weights are in use).
    let history = Memo::new(move |_| runner.live().map(|v| v.history).unwrap_or_default());
    let chart_m = Memo::new(move |_| history.with(|h| chart(h)));
    let draw = curves(chart_m);
    let progress = move || history.with(|h| progress_text(h, runner.rate()));
    view! {
        <Section id="retrain-title" title=RETRAIN_TITLE class="training">
            <p>
                {format!(
                    "The shipped weights come from {STEPS} steps of Adam on generated sentences, a command anyone can rerun. ",
                )}
                "Here the same training runs in your browser from random weights. Every "
                {EVAL_EVERY.to_string()}
                " steps the panels above switch to the model as it is, so you can watch “it” learn where to look."
            </p>
            <div class="control">
                <button class="primary" data-testid="retrain-toggle" on:click=move |_| runner.toggle()>
                    {move || history.with(|h| toggle_label(runner.running(), h))}
                </button>
                <button data-testid="retrain-reset" on:click=move |_| runner.reset() disabled=move || !runner.started()>
                    "Back to the shipped weights"
                </button>
            </div>
            <p class="measure" aria-live="polite" data-testid="retrain-progress">
                {progress}
            </p>
            <p class="measure">{move || runner.error().unwrap_or_default()}</p>
            {move || {
                (!history.with(Vec::is_empty))
                    .then(|| {
                        view! {
                            <Chart
                                size=(560.0, 280.0)
                                test_id="retrain-chart"
                                label="Held-out accuracy and training loss of the model being trained"
                                draw=draw.clone()
                            >
                                {items_table(
                                    history,
                                    &["step", "training loss", "held-out accuracy"],
                                    |p| {
                                        vec![
                                            p.step.to_string(),
                                            format!("{:.4}", p.loss),
                                            format!("{:.3}", p.accuracy),
                                        ]
                                    },
                                    "retrain-table",
                                )}
                            </Chart>
                        }
                    })
            }}
        </Section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_measures_every_hundred_steps_and_stops_at_the_end() {
        let corpus = Corpus::new();
        let mut r = Retrain::new(&corpus).expect("builds");
        assert_eq!(r.history.len(), 1);
        let first = r.history[0].accuracy;
        assert!((0.0..0.5).contains(&first), "random weights: {first}");
        let mut points = 0;
        for _ in 0..EVAL_EVERY {
            points += usize::from(r.step());
        }
        assert_eq!((points, r.history.len(), r.steps()), (1, 2, EVAL_EVERY));
        assert!(r.history[1].loss.is_finite() && r.history[1].loss > 0.0);
        let c = chart(&r.history);
        assert_eq!(c.series[0].points.len(), 2);
        assert!(c.series[1]
            .points
            .iter()
            .all(|p| (0.0..=1.0).contains(&p.1)));
    }

    /// Calls `work` until a step (and its measurement, if due) is done;
    /// returns the calls.
    fn work_a_step(r: &mut Retrain) -> usize {
        let (units, mut calls) = (r.units(), 0);
        while r.units() == units || r.measuring.is_some() {
            assert_eq!(r.work(), Ok(false));
            calls += 1;
        }
        calls
    }

    #[test]
    fn parts_train_the_model_whole_steps_train() {
        let corpus = Corpus::new();
        let mut r = Retrain::new(&corpus).expect("builds");
        let mut whole =
            CorefTrainer::new(corpus.clone(), CorefTraining::new(&corpus)).expect("builds");
        let batch = whole.settings.batch;
        for _ in 0..3 {
            // A unit is one sentence's forward or backward pass, or the update.
            assert_eq!(work_a_step(&mut r), 2 * batch + 1);
            whole.step().expect("steps");
        }
        assert!(r.trainer.model == whole.model);
    }

    #[test]
    fn as_a_job_it_publishes_the_model_at_each_measurement() {
        let corpus = Corpus::new();
        let mut r = Retrain::new(&corpus).expect("builds");
        let v0 = r.view();
        assert_eq!((r.units(), r.revision(), v0.history.len()), (0, 1, 1));
        // (Models are compared with `assert!`: their Debug output is huge.)
        assert!(*v0.model == r.trainer.model);
        for _ in 0..EVAL_EVERY - 1 {
            work_a_step(&mut r);
        }
        // Between measurements the page keeps the last measured model.
        assert_eq!((r.units(), r.revision()), (EVAL_EVERY - 1, 1));
        let between = r.view();
        assert_eq!(between.history.len(), 1);
        assert!(Arc::ptr_eq(&between.model, &v0.model));
        assert!(*between.model != r.trainer.model);
        work_a_step(&mut r);
        let v1 = r.view();
        assert_eq!(
            (r.units(), r.revision(), v1.history.len()),
            (EVAL_EVERY, 2, 2)
        );
        assert!(*v1.model == r.trainer.model);
        assert_eq!(v1.history[1].step, EVAL_EVERY);
        assert!(!Job::finished(&r));
        assert_eq!(toggle_label(false, &v1.history), "Continue");
        assert_eq!(toggle_label(true, &v1.history), "Pause");
        assert_eq!(toggle_label(false, &v0.history), "Train from scratch");
        let text = progress_text(&v1.history, Some(250.4));
        assert!(
            text.starts_with("Step 100 of 1500 · held-out accuracy "),
            "{text}"
        );
        assert!(
            text.contains(" · training loss ") && text.ends_with(" · 250 steps/s"),
            "{text}"
        );
        assert_eq!(progress_text(&[], None), "Using the shipped weights.");
    }
}
