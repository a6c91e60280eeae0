//! The training comparison of the sqrt(d_k) chapter: the same small attention
//! model (`attention_core::train::RecallModel`) trained twice from the same
//! seed on the same batches, once with and once without scaling, on
//! associative recall (find the key that matches the query, return its value).
//!
//! [`Run`] is plain data and logic, a [`crate::training::Job`] the page runs
//! over animation frames; tested natively. One call of its `work` is a part
//! of a step (one model's update, or one model measured on a quarter of the
//! held-out set), so that a frame is not held up by a whole step.

use crate::charts::plots::{CurveChart, Series};
use crate::query::Choice;
use attention_core::train::{
    Adam, AssocRecall, Batch, Optimizer, RecallConfig, RecallModel, Sgd, StepStats,
};
use attention_core::Rng;
use std::collections::VecDeque;

/// d_k values the learner can train at.
pub const TRAIN_D_KS: [usize; 3] = [16, 64, 256];
/// Sequences per step.
pub const BATCH: usize = 16;
/// Held-out sequences measured every [`EVAL_EVERY`] steps.
pub const EVAL_SIZE: usize = 128;
pub const EVAL_EVERY: usize = 25;
/// The held-out set is measured this many sequences per call of `work`.
pub const EVAL_CHUNK: usize = 32;
/// Training stops by itself here.
pub const MAX_STEPS: usize = 3000;
/// Adam's learning rate and SGD's (with momentum 0.9), as tuned in
/// `crates/attention-core/tests/train_recall.rs`.
pub const ADAM_LR: f64 = 3e-3;
pub const SGD_LR: f64 = 0.01;
pub const SGD_MOMENTUM: f64 = 0.9;

crate::query::choice! {
    /// Which optimiser both models use.
    pub enum Opt {
        Adam = "adam", "Adam (lr 0.003)",
        Sgd = "sgd", "SGD (lr 0.01, momentum 0.9)",
    }
}

impl Opt {
    fn make(self) -> Box<dyn Optimizer> {
        match self {
            Opt::Adam => Box::new(Adam::new(ADAM_LR)),
            Opt::Sgd => Box::new(Sgd::new(SGD_LR, SGD_MOMENTUM)),
        }
    }
}

/// What a run is trained with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunConfig {
    pub d_k: usize,
    pub opt: Opt,
    pub seed: u64,
}

/// One measurement on the held-out set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub step: usize,
    /// Mean training loss over the steps since the previous point [scaled, unscaled].
    pub train_loss: [f64; 2],
    /// Held-out accuracy [scaled, unscaled].
    pub accuracy: [f64; 2],
}

/// One of the two models and what is tracked of it.
struct Side {
    model: RecallModel,
    opt: Box<dyn Optimizer>,
    /// Why the model stopped (e.g. its scores overflowed), and at which step.
    failed: Option<(usize, String)>,
    /// Training loss summed since the last held-out point.
    loss_sum: f64,
}

impl Side {
    fn accuracy(&self, eval: &Batch) -> f64 {
        match self.failed {
            Some(_) => f64::NAN,
            None => self
                .model
                .evaluate(eval)
                .map_or(f64::NAN, |s: StepStats| s.accuracy),
        }
    }

    fn train(&mut self, batch: &Batch, step: usize) {
        if self.failed.is_some() {
            return;
        }
        match self.model.train_step(batch, self.opt.as_mut()) {
            Ok(s) if s.loss.is_finite() => self.loss_sum += s.loss,
            Ok(_) => {
                self.failed = Some((step, "its loss became infinite, so training stopped".into()))
            }
            Err(e) => {
                self.failed = Some((
                    step,
                    format!("its numbers blew up (the engine reported: {e}), so training stopped"),
                ))
            }
        }
    }
}

/// Two models, two optimisers, one stream of batches: `[scaled, unscaled]`.
pub struct Run {
    pub cfg: RunConfig,
    sides: [Side; 2],
    task: AssocRecall,
    rng: Rng,
    eval: Batch,
    /// `eval` in pieces of [`EVAL_CHUNK`] sequences.
    eval_chunks: Vec<Batch>,
    pub step: usize,
    pub history: Vec<Point>,
    loss_n: usize,
    /// The current step's batch, while a model has still to train on it.
    batch: Option<Batch>,
    /// What is left of the current step.
    parts: VecDeque<Part>,
    /// Held-out answers right so far in the current measurement [scaled, unscaled].
    correct: [f64; 2],
}

/// A part of a step: one call of `work`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    /// Model `i` trains on the step's batch.
    Train(usize),
    /// Model `i` is measured on held-out chunk `c`.
    Eval(usize, usize),
}

/// The task both models learn: 4 key/value pairs, 8 keys, 8 values.
pub fn task() -> Result<AssocRecall, String> {
    AssocRecall::new(4, 8, 8).map_err(|e| e.to_string())
}

impl Run {
    /// Fresh models from `cfg.seed` (identical initial weights for both).
    pub fn new(cfg: RunConfig) -> Result<Self, String> {
        let task = task()?;
        let side = |scale: bool| {
            let mut c = RecallConfig::new(task.clone());
            c.d_k = cfg.d_k;
            c.d_v = 16;
            c.scale = scale;
            c.seed = cfg.seed;
            Ok::<_, String>(Side {
                model: RecallModel::new(c).map_err(|e| e.to_string())?,
                opt: cfg.opt.make(),
                failed: None,
                loss_sum: 0.0,
            })
        };
        let mut eval_rng = Rng::new(cfg.seed ^ 0xE7A1_0000);
        let eval = task.batch(&mut eval_rng, EVAL_SIZE);
        let eval_chunks = eval
            .tokens
            .chunks(EVAL_CHUNK)
            .zip(eval.targets.chunks(EVAL_CHUNK))
            .map(|(tokens, targets)| Batch {
                tokens: tokens.to_vec(),
                targets: targets.to_vec(),
            })
            .collect();
        let mut run = Run {
            cfg,
            sides: [side(true)?, side(false)?],
            rng: Rng::new(cfg.seed ^ 0x7EA1_0000),
            task,
            eval,
            eval_chunks,
            step: 0,
            history: Vec::new(),
            loss_n: 0,
            batch: None,
            parts: VecDeque::new(),
            correct: [0.0; 2],
        };
        let accuracy = run.evaluate();
        let train_loss = run
            .sides
            .each_ref()
            .map(|s| s.model.evaluate(&run.eval).map_or(f64::NAN, |s| s.loss));
        run.history.push(Point {
            step: 0,
            train_loss,
            accuracy,
        });
        Ok(run)
    }

    /// Whether there is nothing left to train.
    pub fn finished(&self) -> bool {
        self.parts.is_empty() && self.done_training()
    }

    /// Whether no further step will be started.
    fn done_training(&self) -> bool {
        self.step >= MAX_STEPS || self.sides.iter().all(|s| s.failed.is_some())
    }

    fn evaluate(&self) -> [f64; 2] {
        self.sides.each_ref().map(|s| s.accuracy(&self.eval))
    }

    /// Why each model stopped, if it did.
    pub fn failures(&self) -> [Option<&(usize, String)>; 2] {
        self.sides.each_ref().map(|s| s.failed.as_ref())
    }

    /// One step of both models on the same fresh batch (the rest of the
    /// current one if it is under way); every [`EVAL_EVERY`] steps a
    /// held-out point is added to the history.
    pub fn step(&mut self) {
        if self.parts.is_empty() {
            if self.done_training() {
                return;
            }
            self.begin_step();
        }
        while !self.parts.is_empty() {
            self.do_part();
        }
    }

    /// A fresh batch, and both models to train on it.
    fn begin_step(&mut self) {
        self.batch = Some(self.task.batch(&mut self.rng, BATCH));
        self.step += 1;
        self.parts.extend([Part::Train(0), Part::Train(1)]);
    }

    /// Does the next part of the current step.
    fn do_part(&mut self) {
        let Some(part) = self.parts.pop_front() else {
            return;
        };
        match part {
            Part::Train(i) => {
                if let (Some(side), Some(batch)) = (self.sides.get_mut(i), &self.batch) {
                    side.train(batch, self.step);
                }
                if self.parts.is_empty() {
                    // Both models have trained on this batch.
                    self.batch = None;
                    self.loss_n += 1;
                    if self.step.is_multiple_of(EVAL_EVERY) || self.done_training() {
                        self.correct = [0.0; 2];
                        for i in 0..self.sides.len() {
                            for c in 0..self.eval_chunks.len() {
                                self.parts.push_back(Part::Eval(i, c));
                            }
                        }
                    }
                }
            }
            Part::Eval(i, c) => {
                if let (Some(side), Some(chunk), Some(correct)) = (
                    self.sides.get(i),
                    self.eval_chunks.get(c),
                    self.correct.get_mut(i),
                ) {
                    *correct += side.accuracy(chunk) * chunk.len() as f64;
                }
                if self.parts.is_empty() {
                    self.add_point();
                }
            }
        }
    }

    /// The held-out point of the step just measured.
    fn add_point(&mut self) {
        let n = self.loss_n.max(1) as f64;
        let train_loss = self.sides.each_ref().map(|s| match s.failed {
            Some(_) => f64::NAN,
            None => s.loss_sum / n,
        });
        let total = self.eval.len().max(1) as f64;
        let accuracy = self.correct.map(|c| c / total);
        self.history.push(Point {
            step: self.step,
            train_loss,
            accuracy,
        });
        for side in &mut self.sides {
            side.loss_sum = 0.0;
        }
        self.loss_n = 0;
    }

    /// First step at which model `i` reached `target` held-out accuracy.
    pub fn first_reaching(&self, i: usize, target: f64) -> Option<usize> {
        self.history
            .iter()
            .find(|p| p.accuracy.get(i).is_some_and(|a| *a >= target))
            .map(|p| p.step)
    }
}

/// The loss and accuracy charts for a history.
pub fn charts(history: &[Point]) -> [CurveChart; 2] {
    let last = history.last().map_or(0, |p| p.step);
    let x_max = (last.max(EVAL_EVERY * 4)) as f64;
    let series = |pick: fn(&Point) -> [f64; 2]| {
        vec![
            Series::primary(
                "scaled",
                history
                    .iter()
                    .map(|p| (p.step as f64, pick(p)[0]))
                    .collect(),
            ),
            Series::secondary(
                "unscaled",
                history
                    .iter()
                    .map(|p| (p.step as f64, pick(p)[1]))
                    .collect(),
            ),
        ]
    };
    let max_loss = history
        .iter()
        .flat_map(|p| p.train_loss)
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max)
        .max(0.5);
    [
        CurveChart {
            title: "Training loss (cross-entropy)".into(),
            x_label: "training step".into(),
            y_label: "loss".into(),
            y_range: (0.0, max_loss * 1.05),
            series: series(|p| p.train_loss),
            x_max,
        },
        CurveChart {
            title: format!("Held-out accuracy ({EVAL_SIZE} sequences)"),
            x_label: "training step".into(),
            y_label: "accuracy".into(),
            y_range: (0.0, 1.0),
            series: series(|p| p.accuracy),
            x_max,
        },
    ]
}

/// What the page shows of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunView {
    pub history: Vec<Point>,
    pub summary: String,
}

impl crate::training::Job for Run {
    type View = RunView;

    /// A part of a step: one model's update or one held-out chunk.
    fn work(&mut self) -> Result<bool, String> {
        if self.parts.is_empty() {
            if self.done_training() {
                return Ok(true);
            }
            self.begin_step();
        }
        self.do_part();
        Ok(self.finished())
    }

    fn finished(&self) -> bool {
        Run::finished(self)
    }

    fn units(&self) -> usize {
        self.step
    }

    fn view(&self) -> RunView {
        RunView {
            history: self.history.clone(),
            summary: summary(self),
        }
    }

    /// The page changes only when a held-out point is added.
    fn revision(&self) -> usize {
        self.history.len()
    }
}

/// A plain-language summary of what this run measured so far.
pub fn summary(run: &Run) -> String {
    let last = run.history.last();
    let parts: Vec<String> = ["scaled", "unscaled"]
        .into_iter()
        .zip(run.failures())
        .enumerate()
        .map(|(i, (model_name, failed))| match failed {
            Some((step, why)) => format!("The {model_name} model stopped at step {step}: {why}."),
            None => {
                let acc = last
                    .and_then(|p| p.accuracy.get(i).copied())
                    .unwrap_or(f64::NAN);
                let reached = match run.first_reaching(i, 0.9) {
                    Some(step) => format!(" (first reached 90% at step {step})."),
                    None => ".".into(),
                };
                format!(
                    "The {model_name} model is at {:.0}% held-out accuracy{reached}",
                    acc * 100.0
                )
            }
        })
        .collect();
    format!(
        "After {} steps with {} at d_k = {}: {}",
        run.step,
        run.cfg.opt.label(),
        run.cfg.d_k,
        parts.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> RunConfig {
        RunConfig {
            d_k: 16,
            opt: Opt::Adam,
            seed: 1,
        }
    }

    #[test]
    fn both_models_start_identical_apart_from_scaling_and_see_the_same_batches() {
        let run = Run::new(cfg()).expect("run");
        assert_eq!(run.history.len(), 1);
        assert_eq!(run.history[0].step, 0);
        // Same initial weights: the embeddings match exactly.
        assert_eq!(
            run.sides[0].model.embed.table.value,
            run.sides[1].model.embed.table.value
        );
        assert!(run.sides[0].model.cfg.scale && !run.sides[1].model.cfg.scale);
    }

    #[test]
    fn stepping_adds_points_and_is_deterministic() {
        let mut a = Run::new(cfg()).expect("a");
        let mut b = Run::new(cfg()).expect("b");
        for _ in 0..EVAL_EVERY {
            a.step();
            b.step();
        }
        assert_eq!(a.history.len(), 2);
        assert_eq!(a.history, b.history);
        assert!(a.history[1]
            .train_loss
            .iter()
            .all(|l| l.is_finite() && *l > 0.0));
        let [loss, acc] = charts(&a.history);
        assert_eq!(loss.series[0].points.len(), 2);
        assert_eq!(acc.y_range, (0.0, 1.0));
        assert!(summary(&a).starts_with("After 25 steps with Adam"));
    }

    #[test]
    fn parts_of_steps_give_the_same_history_as_whole_steps() {
        use crate::training::Job;
        let mut whole = Run::new(cfg()).expect("whole");
        let mut parts = Run::new(cfg()).expect("parts");
        let mut calls = 0;
        for _ in 0..2 * EVAL_EVERY {
            whole.step();
        }
        while parts.step < 2 * EVAL_EVERY || !parts.parts.is_empty() {
            parts.work().expect("work");
            calls += 1;
        }
        assert_eq!(parts.history, whole.history);
        // Two models per step, and two measurements of 128 / 32 chunks each.
        assert_eq!(calls, 2 * 2 * EVAL_EVERY + 2 * 2 * (EVAL_SIZE / EVAL_CHUNK));
        // The chunked measurement is the whole set's.
        let last = whole.history.last().expect("point");
        assert_eq!(last.accuracy, whole.evaluate());
    }

    #[test]
    fn every_offered_setting_builds() {
        for d_k in TRAIN_D_KS {
            for opt in [Opt::Adam, Opt::Sgd] {
                assert!(Run::new(RunConfig { d_k, opt, seed: 3 }).is_ok());
            }
        }
    }
}
