//! Retraining the self-attention model from scratch in the browser, with the
//! same settings and seeds as the shipped weights (`train-coref`), a slice of
//! steps per animation frame. Every [`EVAL_EVERY`] steps the page switches to
//! the model as it is, so the learner watches attention form.
//!
//! [`Retrain`] is plain data and logic (tested natively); the component only
//! drives it and shows its history.

use crate::charts::plots::{draw_curves, CurveChart, Series, SCALED, UNSCALED};
use crate::frames::{drive, now_ms};
use crate::widgets::chart::{Chart, DrawFn};
use crate::widgets::table::items_table;
use attention_core::train::coref::{accuracy, CorefTrainer, CorefTraining, Corpus, Sentence};
use attention_core::train::EncoderClassifier;
use leptos::prelude::*;
use std::sync::Arc;

/// Steps of a full run (as `train-coref`).
pub const STEPS: usize = 1500;
/// Held-out sentences measured every [`EVAL_EVERY`] steps.
pub const EVAL_SIZE: usize = 200;
pub const EVAL_EVERY: usize = 100;
/// Milliseconds of each animation frame spent training.
const FRAME_BUDGET_MS: f64 = 12.0;

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
    loss_sum: f64,
    loss_n: usize,
    pub error: Option<String>,
}

impl Retrain {
    pub fn new(corpus: &Corpus) -> Result<Self, String> {
        let settings = CorefTraining::new(corpus);
        let trainer = CorefTrainer::new(corpus.clone(), settings).map_err(|e| e.to_string())?;
        let held_out = corpus.held_out(EVAL_SIZE, 7);
        let acc = accuracy(&trainer.model, &held_out).map_or(f64::NAN, |a| a.all);
        Ok(Retrain {
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
        })
    }

    pub fn steps(&self) -> usize {
        self.trainer.steps()
    }

    pub fn finished(&self) -> bool {
        self.steps() >= STEPS || self.error.is_some()
    }

    pub fn model(&self) -> &EncoderClassifier {
        &self.trainer.model
    }

    /// One step; returns true when it completed a measurement point.
    pub fn step(&mut self) -> bool {
        if self.finished() {
            return false;
        }
        match self.trainer.step() {
            Ok(s) => {
                self.loss_sum += s.loss;
                self.loss_n += 1;
            }
            Err(e) => {
                self.error = Some(format!("Training stopped: the engine reported {e}."));
                return false;
            }
        }
        if !self.steps().is_multiple_of(EVAL_EVERY) {
            return false;
        }
        let acc = accuracy(&self.trainer.model, &self.held_out).map_or(f64::NAN, |a| a.all);
        self.history.push(Point {
            step: self.steps(),
            loss: self.loss_sum / self.loss_n.max(1) as f64,
            accuracy: acc,
        });
        (self.loss_sum, self.loss_n) = (0.0, 0);
        true
    }
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
            Series {
                name: "held-out accuracy".into(),
                points: pick(|p| p.accuracy),
                color: SCALED,
                square: false,
            },
            Series {
                name: "training loss (scaled)".into(),
                points: history
                    .iter()
                    .filter(|p| p.loss.is_finite())
                    .map(|p| (p.step as f64, p.loss / max_loss))
                    .collect(),
                color: UNSCALED,
                square: true,
            },
        ],
        x_max: STEPS as f64,
    }
}

/// Section 6 of the chapter.
#[component]
pub fn RetrainSection(
    retrained: RwSignal<Option<Arc<EncoderClassifier>>>,
    corpus: Corpus,
) -> impl IntoView {
    let run = StoredValue::new_local(None::<Retrain>);
    let history = RwSignal::new(Vec::<Point>::new());
    let running = RwSignal::new(false);
    let status = RwSignal::new(String::new());
    let rate = RwSignal::new(None::<f64>);

    let start = move |_| {
        if running.get_untracked() {
            running.set(false);
            return;
        }
        if run.with_value(|r| r.as_ref().is_none_or(Retrain::finished)) {
            match Retrain::new(&corpus) {
                Ok(r) => {
                    history.set(r.history.clone());
                    retrained.set(Some(Arc::new(r.model().clone())));
                    run.set_value(Some(r));
                }
                Err(e) => {
                    status.set(format!("Could not build the model: {e}"));
                    return;
                }
            }
        }
        running.set(true);
        drive(running, FRAME_BUDGET_MS, move |deadline| {
            let t0 = now_ms();
            let mut steps = 0usize;
            let mut update = None;
            let mut done = false;
            run.try_update_value(|r| {
                let Some(r) = r.as_mut() else {
                    done = true;
                    return;
                };
                while now_ms() < deadline && !r.finished() {
                    steps += 1;
                    if r.step() {
                        update = Some((r.history.clone(), Arc::new(r.model().clone())));
                        break;
                    }
                }
                done = r.finished();
                if let Some(e) = &r.error {
                    status.try_set(e.clone());
                }
            })?;
            let dt = now_ms() - t0;
            if steps > 0 && dt > 0.0 {
                let v = steps as f64 / dt * 1000.0;
                rate.try_update(|s| *s = Some(s.map_or(v, |old| old * 0.8 + v * 0.2)))?;
            }
            if let Some((h, m)) = update {
                history.try_set(h);
                retrained.try_set(Some(m));
            }
            Some(done)
        });
    };
    let back_to_shipped = move |_| {
        running.set(false);
        run.set_value(None);
        history.set(Vec::new());
        retrained.set(None);
        status.set(String::new());
    };
    let chart_m = Memo::new(move |_| history.with(|h| chart(h)));
    let draw: Arc<DrawFn> = Arc::new(move |area, s, th| {
        chart_m.with(|c| draw_curves(area, c, th, s).map_err(|e| e.to_string()))
    });
    let progress = move || {
        history.with(|h| match h.last() {
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
                rate.get()
                    .map_or(String::new(), |r| format!(" · {r:.0} steps/s")),
            ),
        })
    };
    view! {
        <section aria-labelledby="retrain-title" class="training">
            <h2 id="retrain-title">"6 · Train it yourself"</h2>
            <p>
                {format!("The shipped weights come from {STEPS} steps of Adam on generated sentences, a command anyone can rerun. ")}
                "Here the same training runs in your browser from random weights. Every "
                {EVAL_EVERY.to_string()}
                " steps the panels above switch to the model as it is, so you can watch “it” learn where to look."
            </p>
            <div class="control">
                <button class="primary" data-testid="retrain-toggle" on:click=start>
                    {move || if running.get() { "Pause" } else if history.with(|h| h.last().is_some_and(|p| p.step > 0 && p.step < STEPS)) { "Continue" } else { "Train from scratch" }}
                </button>
                <button data-testid="retrain-reset" on:click=back_to_shipped disabled=move || retrained.with(Option::is_none)>
                    "Back to the shipped weights"
                </button>
            </div>
            <p class="measure" aria-live="polite" data-testid="retrain-progress">{progress}</p>
            <p class="measure">{move || status.get()}</p>
            {move || (!history.with(Vec::is_empty)).then(|| view! {
                <Chart width=560.0 height=280.0 test_id="retrain-chart" label=Signal::derive(|| "Held-out accuracy and training loss of the model being trained".to_string()) draw=draw.clone()>
                    {items_table(history, &["step", "training loss", "held-out accuracy"], |p| {
                        vec![p.step.to_string(), format!("{:.4}", p.loss), format!("{:.3}", p.accuracy)]
                    }, "retrain-table")}
                </Chart>
            })}
        </section>
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
}
