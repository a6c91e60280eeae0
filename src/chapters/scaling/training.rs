//! The training comparison of the sqrt(d_k) chapter: the same small attention
//! model (`attention_core::train::RecallModel`) trained twice from the same
//! seed on the same batches, once with and once without scaling, on
//! associative recall (find the key that matches the query, return its value).
//!
//! [`Run`] is plain data and logic, stepped by the page a few steps per
//! animation frame; tested natively.

use crate::charts::plots::{CurveChart, Series, SCALED, UNSCALED};
use attention_core::train::{
    Adam, AssocRecall, Batch, Optimizer, RecallConfig, RecallModel, Sgd, StepStats,
};
use attention_core::Rng;

/// d_k values the learner can train at.
pub const TRAIN_D_KS: [usize; 3] = [16, 64, 256];
/// Sequences per step.
pub const BATCH: usize = 16;
/// Held-out sequences measured every [`EVAL_EVERY`] steps.
pub const EVAL_SIZE: usize = 128;
pub const EVAL_EVERY: usize = 25;
/// Training stops by itself here.
pub const MAX_STEPS: usize = 3000;
/// Adam's learning rate and SGD's (with momentum 0.9), as tuned in
/// `crates/attention-core/tests/train_recall.rs`.
pub const ADAM_LR: f64 = 3e-3;
pub const SGD_LR: f64 = 0.01;
pub const SGD_MOMENTUM: f64 = 0.9;

/// Which optimiser both models use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opt {
    Adam,
    Sgd,
}

impl Opt {
    pub fn key(self) -> &'static str {
        match self {
            Opt::Adam => "adam",
            Opt::Sgd => "sgd",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Opt::Adam => "Adam (lr 0.003)",
            Opt::Sgd => "SGD (lr 0.01, momentum 0.9)",
        }
    }
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

/// Two models, two optimisers, one stream of batches.
pub struct Run {
    pub cfg: RunConfig,
    models: [RecallModel; 2],
    opts: [Box<dyn Optimizer>; 2],
    task: AssocRecall,
    rng: Rng,
    eval: Batch,
    pub step: usize,
    pub history: Vec<Point>,
    /// Why a model stopped (e.g. its scores overflowed), per model.
    pub failed: [Option<(usize, String)>; 2],
    loss_acc: [f64; 2],
    loss_n: usize,
}

/// The task both models learn: 4 key/value pairs, 8 keys, 8 values.
pub fn task() -> Result<AssocRecall, String> {
    AssocRecall::new(4, 8, 8).map_err(|e| e.to_string())
}

impl Run {
    /// Fresh models from `cfg.seed` (identical initial weights for both).
    pub fn new(cfg: RunConfig) -> Result<Self, String> {
        let task = task()?;
        let model = |scale: bool| {
            let mut c = RecallConfig::new(task.clone());
            c.d_k = cfg.d_k;
            c.d_v = 16;
            c.scale = scale;
            c.seed = cfg.seed;
            RecallModel::new(c).map_err(|e| e.to_string())
        };
        let mut eval_rng = Rng::new(cfg.seed ^ 0xE7A1_0000);
        let eval = task.batch(&mut eval_rng, EVAL_SIZE);
        let mut run = Run {
            cfg,
            models: [model(true)?, model(false)?],
            opts: [cfg.opt.make(), cfg.opt.make()],
            rng: Rng::new(cfg.seed ^ 0x7EA1_0000),
            task,
            eval,
            step: 0,
            history: Vec::new(),
            failed: [None, None],
            loss_acc: [0.0; 2],
            loss_n: 0,
        };
        let acc = run.evaluate();
        let loss0 = [0, 1].map(|i| {
            run.models[i]
                .evaluate(&run.eval)
                .map_or(f64::NAN, |s| s.loss)
        });
        run.history.push(Point {
            step: 0,
            train_loss: loss0,
            accuracy: acc,
        });
        Ok(run)
    }

    /// Whether there is nothing left to train.
    pub fn finished(&self) -> bool {
        self.step >= MAX_STEPS || self.failed.iter().all(Option::is_some)
    }

    fn evaluate(&self) -> [f64; 2] {
        [0, 1].map(|i| match &self.failed[i] {
            Some(_) => f64::NAN,
            None => self.models[i]
                .evaluate(&self.eval)
                .map_or(f64::NAN, |s: StepStats| s.accuracy),
        })
    }

    /// One step of both models on the same fresh batch; every
    /// [`EVAL_EVERY`] steps a held-out point is added to the history.
    pub fn step(&mut self) {
        if self.finished() {
            return;
        }
        let batch = self.task.batch(&mut self.rng, BATCH);
        self.step += 1;
        for i in 0..2 {
            if self.failed[i].is_some() {
                continue;
            }
            match self.models[i].train_step(&batch, self.opts[i].as_mut()) {
                Ok(s) if s.loss.is_finite() => self.loss_acc[i] += s.loss,
                Ok(_) => {
                    self.failed[i] = Some((
                        self.step,
                        "its loss became infinite, so training stopped".into(),
                    ))
                }
                Err(e) => {
                    self.failed[i] = Some((
                        self.step,
                        format!(
                            "its numbers blew up (the engine reported: {e}), so training stopped"
                        ),
                    ))
                }
            }
        }
        self.loss_n += 1;
        if self.step.is_multiple_of(EVAL_EVERY) || self.finished() {
            let n = self.loss_n.max(1) as f64;
            let train_loss = [0, 1].map(|i| {
                if self.failed[i].is_some() {
                    f64::NAN
                } else {
                    self.loss_acc[i] / n
                }
            });
            let accuracy = self.evaluate();
            self.history.push(Point {
                step: self.step,
                train_loss,
                accuracy,
            });
            self.loss_acc = [0.0; 2];
            self.loss_n = 0;
        }
    }

    /// First step at which model `i` reached `target` held-out accuracy.
    pub fn first_reaching(&self, i: usize, target: f64) -> Option<usize> {
        self.history
            .iter()
            .find(|p| p.accuracy[i] >= target)
            .map(|p| p.step)
    }
}

/// The loss and accuracy charts for a history.
pub fn charts(history: &[Point]) -> [CurveChart; 2] {
    let last = history.last().map_or(0, |p| p.step);
    let x_max = (last.max(EVAL_EVERY * 4)) as f64;
    let series = |pick: fn(&Point) -> [f64; 2]| {
        vec![
            Series {
                name: "scaled".into(),
                points: history
                    .iter()
                    .map(|p| (p.step as f64, pick(p)[0]))
                    .collect(),
                color: SCALED,
                square: false,
            },
            Series {
                name: "unscaled".into(),
                points: history
                    .iter()
                    .map(|p| (p.step as f64, pick(p)[1]))
                    .collect(),
                color: UNSCALED,
                square: true,
            },
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

/// A plain-language summary of what this run measured so far.
pub fn summary(run: &Run) -> String {
    let name = ["scaled", "unscaled"];
    let mut parts = Vec::new();
    let last = run.history.last();
    for (i, model_name) in name.iter().enumerate() {
        let acc = last.map_or(f64::NAN, |p| p.accuracy[i]);
        let mut s = match &run.failed[i] {
            Some((step, why)) => format!("The {model_name} model stopped at step {step}: {why}."),
            None => format!(
                "The {model_name} model is at {:.0}% held-out accuracy",
                acc * 100.0
            ),
        };
        if run.failed[i].is_none() {
            match run.first_reaching(i, 0.9) {
                Some(step) => s.push_str(&format!(" (first reached 90% at step {step}).")),
                None => s.push('.'),
            }
        }
        parts.push(s);
    }
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
            run.models[0].embed.table.value,
            run.models[1].embed.table.value
        );
        assert!(run.models[0].cfg.scale && !run.models[1].cfg.scale);
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
    fn every_offered_setting_builds() {
        for d_k in TRAIN_D_KS {
            for opt in [Opt::Adam, Opt::Sgd] {
                assert!(Run::new(RunConfig { d_k, opt, seed: 3 }).is_ok());
            }
        }
    }
}
