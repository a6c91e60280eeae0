//! The long-range task's three models and the race that trains them on the
//! same batches.
//!
//! Each [`SeqClassifier`] embeds the tokens (`n x d_model`), runs one body
//! over the sequence and reads the answer out of the last position's row
//! (the `?`) with a linear layer into `symbols` logits, trained with softmax
//! cross-entropy:
//! * [`BodyKind::Rnn`]: an [`RnnCell`] (tanh), `d_h = d_model`;
//! * [`BodyKind::Gru`]: a [`GruCell`], `d_h = d_model`;
//! * [`BodyKind::Attention`]: one self-attention layer ([`MultiHeadAttention`],
//!   one head of width `attention_head`, scaled, no mask, no position
//!   information: the task does not need it), output `d_model`.
//!
//! Body sizes at `d_model = 32`, `attention_head = 16`: RNN `2 d^2 + d =
//! 2080`, attention `3 (32 * 16 + 16) + 16 * 32 + 32 = 2128`, GRU
//! `3 (2 d^2 + d) = 6240` (a GRU is three RNNs' worth of weights); the
//! embedding and readout are the same for all three
//! ([`SeqClassifier::body_params`]).
//!
//! Shapes: `n` tokens give `x` of `n x d_model`, body outputs `n x d_model`
//! (states, or attention outputs), logits `1 x symbols`.

use super::{Activation, GruCache, GruCell, Reach, RecallFirst, RecurrentInit, RnnCache, RnnCell};
use crate::train::{
    clip_grad_norm, softmax_cross_entropy, Adam, AttentionCache, Batch, Embedding, EmbeddingCache,
    Linear, LinearCache, MhaConfig, Module, MultiHeadAttention, Optimizer, Param, StepStats,
};
use crate::{AttnError, Mat, Rng};

/// Which body a [`SeqClassifier`] has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// The vanilla tanh RNN.
    Rnn,
    /// The GRU.
    Gru,
    /// One self-attention layer.
    Attention,
}

impl BodyKind {
    /// All three, in the order the race trains them.
    pub const ALL: [BodyKind; 3] = [BodyKind::Rnn, BodyKind::Gru, BodyKind::Attention];

    /// A short name for tables and legends.
    pub fn name(self) -> &'static str {
        match self {
            BodyKind::Rnn => "RNN (tanh)",
            BodyKind::Gru => "GRU",
            BodyKind::Attention => "attention",
        }
    }
}

/// Sizes and initialisation of a [`SeqClassifier`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeqClassifierConfig {
    /// The body.
    pub kind: BodyKind,
    /// Token ids.
    pub vocab: usize,
    /// Answers (logits).
    pub n_classes: usize,
    /// Embedding width, state width of the cells, output width of the
    /// attention layer.
    pub d_model: usize,
    /// Query/key/value width of the attention body's one head.
    pub attention_head: usize,
    /// How the recurrent matrices are drawn (spectral radius).
    pub recurrent: RecurrentInit,
    /// The GRU's initial update-gate bias (see [`GruCell::new`]).
    pub update_bias: f64,
    /// Seed of the initialisation.
    pub seed: u64,
}

/// One body; the variant is the [`BodyKind`].
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// The vanilla RNN.
    Rnn(RnnCell),
    /// The GRU.
    Gru(GruCell),
    /// Self-attention.
    Attention(Box<MultiHeadAttention>),
}

/// The body's cache (every intermediate; the attention weights of the
/// attention body are in [`AttentionCache::weights`]).
#[derive(Clone, Debug, PartialEq)]
pub enum BodyCache {
    /// Of [`Body::Rnn`].
    Rnn(RnnCache),
    /// Of [`Body::Gru`].
    Gru(GruCache),
    /// Of [`Body::Attention`].
    Attention(AttentionCache),
}

/// Embedding, body, readout of the last position; see the module docs.
#[derive(Clone, Debug, PartialEq)]
pub struct SeqClassifier {
    /// The configuration it was built with.
    pub cfg: SeqClassifierConfig,
    /// Token table, `vocab x d_model`.
    pub embed: Embedding,
    /// The body.
    pub body: Body,
    /// Readout of the last row, `d_model x n_classes`.
    pub readout: Linear,
}

/// What [`SeqClassifier::backward`] needs, and what a lesson may show.
#[derive(Clone, Debug, PartialEq)]
pub struct SeqClassifierCache {
    embed: Option<EmbeddingCache>,
    /// The body's cache.
    pub body: BodyCache,
    readout: LinearCache,
    /// The body's outputs, `n x d_model`.
    pub outputs: Mat,
}

impl SeqClassifier {
    /// Seeded model: token entries `N(0, 1)` (unit-variance inputs), the
    /// body as in [`RnnCell::new`] / [`GruCell::new`] /
    /// [`MultiHeadAttention::new`], readout as in [`Linear::new`]. Err if a
    /// size is 0 or the recurrent init is bad.
    pub fn new(cfg: SeqClassifierConfig) -> Result<Self, AttnError> {
        let mut rng = Rng::new(cfg.seed);
        let d = cfg.d_model;
        let embed = Embedding::new(cfg.vocab, d, 1.0, &mut rng)?;
        let body = match cfg.kind {
            BodyKind::Rnn => Body::Rnn(RnnCell::new(
                d,
                d,
                Activation::Tanh,
                cfg.recurrent,
                &mut rng,
            )?),
            BodyKind::Gru => Body::Gru(GruCell::new(
                d,
                d,
                cfg.recurrent,
                cfg.update_bias,
                &mut rng,
            )?),
            BodyKind::Attention => {
                let mut mha = MhaConfig::self_attention(d, 1, cfg.attention_head);
                mha.d_out = d;
                Body::Attention(Box::new(MultiHeadAttention::new(mha, &mut rng)?))
            }
        };
        let readout = Linear::new(d, cfg.n_classes, &mut rng)?;
        Ok(SeqClassifier {
            cfg,
            embed,
            body,
            readout,
        })
    }

    /// The number of scalar parameters of the body alone.
    pub fn body_params(&self) -> usize {
        self.body_module().num_params()
    }

    fn body_module(&self) -> &dyn Module {
        match &self.body {
            Body::Rnn(c) => c,
            Body::Gru(c) => c,
            Body::Attention(a) => a.as_ref(),
        }
    }

    /// `tokens` (n >= 1 ids, each `< vocab`) -> logits (`1 x n_classes`)
    /// and the cache.
    pub fn forward(&self, tokens: &[usize]) -> Result<(Mat, SeqClassifierCache), AttnError> {
        let (x, e) = self.embed.forward(tokens)?;
        let (logits, mut cache) = self.forward_rows(&x)?;
        cache.embed = Some(e);
        Ok((logits, cache))
    }

    /// The model from its input rows on: `x` (`n x d_model`) -> logits
    /// (`1 x n_classes`) and the cache (which then holds no token ids:
    /// backward returns `dL/dx` and changes no embedding gradient).
    pub fn forward_rows(&self, x: &Mat) -> Result<(Mat, SeqClassifierCache), AttnError> {
        let (outputs, body) = match &self.body {
            Body::Rnn(c) => {
                let (y, k) = c.forward(x)?;
                (y, BodyCache::Rnn(k))
            }
            Body::Gru(c) => {
                let (y, k) = c.forward(x)?;
                (y, BodyCache::Gru(k))
            }
            Body::Attention(a) => {
                let (y, k) = a.forward_self(x)?;
                (y, BodyCache::Attention(k))
            }
        };
        let last = outputs
            .rows(outputs.nrows().saturating_sub(1), 1)
            .into_owned();
        let (logits, readout) = self.readout.forward(&last)?;
        Ok((
            logits,
            SeqClassifierCache {
                embed: None,
                body,
                readout,
                outputs,
            },
        ))
    }

    /// `d_logits` (`1 x n_classes`) -> adds every parameter's gradient and
    /// returns `dL/dx` (`n x d_model`, the gradient with respect to the
    /// embedded input rows). Err if the cache is not of this model's body.
    pub fn backward(
        &mut self,
        cache: &SeqClassifierCache,
        d_logits: &Mat,
    ) -> Result<Mat, AttnError> {
        let d_last = self.readout.backward(&cache.readout, d_logits)?;
        let (n, d) = cache.outputs.shape();
        let mut d_y = Mat::zeros(n, d);
        if n > 0 {
            super::super::check_shape("classifier.d_last", &d_last, 1, d)?;
            d_y.row_mut(n - 1).copy_from(&d_last);
        }
        let d_x = match (&mut self.body, &cache.body) {
            (Body::Rnn(c), BodyCache::Rnn(k)) => c.backward(k, &d_y)?.d_x,
            (Body::Gru(c), BodyCache::Gru(k)) => c.backward(k, &d_y)?.d_x,
            (Body::Attention(a), BodyCache::Attention(k)) => a.backward_self(k, &d_y)?,
            _ => {
                return Err(AttnError::value(
                    "classifier.cache",
                    "is the cache of another kind of body",
                ))
            }
        };
        if let Some(e) = &cache.embed {
            self.embed.backward(e, &d_x)?;
        }
        Ok(d_x)
    }

    /// Loss and accuracy of `batch` (every sequence answered at its last
    /// position), and `d_logits` (`B x n_classes`) with the caches.
    fn run(&self, batch: &Batch) -> Result<(StepStats, Vec<SeqClassifierCache>, Mat), AttnError> {
        batch.check()?;
        let mut logits = Mat::zeros(batch.len(), self.cfg.n_classes);
        let mut caches = Vec::with_capacity(batch.len());
        for (mut row, tokens) in logits.row_iter_mut().zip(&batch.tokens) {
            let (l, c) = self.forward(tokens)?;
            row.copy_from(&l);
            caches.push(c);
        }
        let ce = softmax_cross_entropy(&logits, &batch.targets)?;
        Ok((StepStats::of(&ce), caches, ce.d_logits))
    }

    /// Loss and accuracy on `batch` without training.
    pub fn evaluate(&self, batch: &Batch) -> Result<StepStats, AttnError> {
        Ok(self.run(batch)?.0)
    }

    /// One optimisation step on `batch` (mean loss), with the gradient
    /// norm clipped to `clip` if given. Returns the loss and accuracy
    /// measured before the update.
    pub fn train_step(
        &mut self,
        batch: &Batch,
        opt: &mut dyn Optimizer,
        clip: Option<f64>,
    ) -> Result<StepStats, AttnError> {
        let (stats, caches, d_logits) = self.run(batch)?;
        self.zero_grad();
        for (i, cache) in caches.iter().enumerate() {
            self.backward(cache, &d_logits.rows(i, 1).into_owned())?;
        }
        if let Some(max) = clip {
            clip_grad_norm(self.params_mut(), max)?;
        }
        opt.step(self.params_mut())?;
        Ok(stats)
    }

    /// How far the gradient of this model's loss on one sequence reaches:
    /// `||dL/dx_t||` of the embedded input rows (`tokens`: n >= 2 ids,
    /// answered `target` at the last position). The model is not changed.
    pub fn reach(&self, tokens: &[usize], target: usize) -> Result<Reach, AttnError> {
        let (x, _) = self.embed.forward(tokens)?;
        let (logits, cache) = self.forward_rows(&x)?;
        let ce = softmax_cross_entropy(&logits, &[target])?;
        let mut copy = self.clone();
        Reach::of_grads(copy.backward(&cache, &ce.d_logits)?)
    }
}

impl Module for SeqClassifier {
    fn params(&self) -> Vec<&Param> {
        let mut v = self.embed.params();
        v.extend(self.body_module().params());
        v.extend(self.readout.params());
        v
    }
    fn params_mut(&mut self) -> Vec<&mut Param> {
        let mut v = self.embed.params_mut();
        v.extend(match &mut self.body {
            Body::Rnn(c) => c.params_mut(),
            Body::Gru(c) => c.params_mut(),
            Body::Attention(a) => a.params_mut(),
        });
        v.extend(self.readout.params_mut());
        v
    }
}

/// The race's settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RaceConfig {
    /// Symbols to remember (classes).
    pub symbols: usize,
    /// Distractor tokens.
    pub distractors: usize,
    /// Training sequences have d uniform in `1..=max_distance`.
    pub max_distance: usize,
    /// Width of every model (see [`SeqClassifierConfig::d_model`]).
    pub d_model: usize,
    /// The attention body's head width.
    pub attention_head: usize,
    /// Spectral radius of the recurrent matrices at initialisation (random
    /// orthogonal times it).
    pub radius: f64,
    /// The GRU's initial update-gate bias (see [`GruCell::new`]).
    pub update_bias: f64,
    /// Adam steps per model.
    pub steps: usize,
    /// Sequences per step.
    pub batch: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// Gradient-norm clipping (the same for all three models).
    pub clip: f64,
    /// Seed of the models (the same for all three) and of the batches.
    pub seed: u64,
}

impl Default for RaceConfig {
    /// 8 symbols, 8 distractors, d up to 16, width 32 (head 16), radius
    /// 1, update-gate bias -1, 300 steps of 16 sequences, Adam 3e-3, clip 1, seed 1.
    fn default() -> Self {
        RaceConfig {
            symbols: 8,
            distractors: 8,
            max_distance: 16,
            d_model: 32,
            attention_head: 16,
            radius: 1.0,
            update_bias: -1.0,
            steps: 300,
            batch: 16,
            lr: 3e-3,
            clip: 1.0,
            seed: 1,
        }
    }
}

/// One model of the race.
#[derive(Clone, Debug)]
pub struct RaceRun {
    /// Its body.
    pub kind: BodyKind,
    /// The model.
    pub model: SeqClassifier,
    opt: Adam,
    /// Training loss (before the update) of each step.
    pub losses: Vec<f64>,
}

/// The held-out accuracy of every model at one distance.
#[derive(Clone, Debug, PartialEq)]
pub struct DistanceAccuracy {
    /// Distractors between the symbol and `?`.
    pub d: usize,
    /// One accuracy per model, in [`RecallRace::runs`] order (chance is
    /// `1 / symbols`).
    pub accuracy: Vec<f64>,
}

/// The three models trained on the same batches, one step of each at a
/// time (so a page can spread training over animation frames).
#[derive(Clone, Debug)]
pub struct RecallRace {
    /// The settings.
    pub cfg: RaceConfig,
    /// The task.
    pub task: RecallFirst,
    /// RNN, GRU, attention (in [`BodyKind::ALL`] order).
    pub runs: Vec<RaceRun>,
    rng: Rng,
    distances: Vec<usize>,
    /// Steps taken by every model so far.
    pub step: usize,
}

impl RecallRace {
    /// Err on a bad task size, a zero size, `max_distance` 0 or above 512,
    /// or a bad radius, learning rate or clip.
    pub fn new(cfg: RaceConfig) -> Result<Self, AttnError> {
        let task = RecallFirst::new(cfg.symbols, cfg.distractors)?;
        if cfg.max_distance == 0 || cfg.max_distance > 512 {
            return Err(AttnError::value(
                "max_distance",
                format!("must be in 1..=512, got {}", cfg.max_distance),
            ));
        }
        super::super::nonzero("steps", cfg.steps)?;
        super::super::nonzero("batch", cfg.batch)?;
        for (name, v) in [("lr", cfg.lr), ("clip", cfg.clip)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(AttnError::value(
                    name,
                    format!("must be finite and > 0, got {v}"),
                ));
            }
        }
        let runs = BodyKind::ALL
            .iter()
            .map(|&kind| {
                Ok(RaceRun {
                    kind,
                    model: SeqClassifier::new(SeqClassifierConfig {
                        kind,
                        vocab: task.vocab_size(),
                        n_classes: task.n_classes(),
                        d_model: cfg.d_model,
                        attention_head: cfg.attention_head,
                        recurrent: RecurrentInit::orthogonal(cfg.radius),
                        update_bias: cfg.update_bias,
                        seed: cfg.seed,
                    })?,
                    opt: Adam::new(cfg.lr),
                    losses: Vec::with_capacity(cfg.steps.min(10_000)),
                })
            })
            .collect::<Result<Vec<_>, AttnError>>()?;
        Ok(RecallRace {
            cfg,
            task,
            runs,
            rng: Rng::new(cfg.seed.wrapping_add(1)),
            distances: (1..=cfg.max_distance).collect(),
            step: 0,
        })
    }

    /// Whether every model has taken `cfg.steps` steps.
    pub fn finished(&self) -> bool {
        self.step >= self.cfg.steps
    }

    /// One step of every model on one new training batch (no-op once
    /// finished).
    pub fn step(&mut self) -> Result<(), AttnError> {
        if self.finished() {
            return Ok(());
        }
        let batch = self
            .task
            .train_batch(&self.distances, self.cfg.batch, &mut self.rng)?;
        for run in &mut self.runs {
            let stats = run
                .model
                .train_step(&batch, &mut run.opt, Some(self.cfg.clip))?;
            run.losses.push(stats.loss);
        }
        self.step += 1;
        Ok(())
    }

    /// The distances measured: 1, 2, 4, ... up to `max_distance`, and
    /// `max_distance` itself.
    pub fn test_distances(&self) -> Vec<usize> {
        let mut ds: Vec<usize> = std::iter::successors(Some(1usize), |d| d.checked_mul(2))
            .take_while(|&d| d < self.cfg.max_distance)
            .collect();
        ds.push(self.cfg.max_distance);
        ds
    }

    /// Held-out accuracy of every model at every distance in `distances`,
    /// on `count` sequences each (the same sequences for every model and
    /// call; never trained on).
    pub fn accuracy_by_distance(
        &self,
        distances: &[usize],
        count: usize,
    ) -> Result<Vec<DistanceAccuracy>, AttnError> {
        super::super::nonzero("count", count)?;
        distances
            .iter()
            .map(|&d| {
                let set = self.task.held_out(d, count, self.cfg.seed)?;
                let accuracy = self
                    .runs
                    .iter()
                    .map(|r| Ok(r.model.evaluate(&set)?.accuracy))
                    .collect::<Result<Vec<_>, AttnError>>()?;
                Ok(DistanceAccuracy { d, accuracy })
            })
            .collect()
    }
}
