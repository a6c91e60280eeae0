//! The position chapter's extrapolation experiment: a causal transformer
//! that must copy the token `k` steps back, trained on sequences up to length
//! L and measured on longer ones, once per way of giving it position.
//!
//! * [`Scheme::None`]: no position information (only the causal mask).
//! * [`Scheme::Learned`]: a trained table of L position vectors added to the
//!   token vectors. Past L there is no row: positions `>= L` reuse the last
//!   row (what "the table ends at the trained length" means in practice).
//! * [`Scheme::Sinusoidal`]: the fixed sin/cos vectors added to the tokens.
//! * [`Scheme::Rope`]: queries and keys rotated by position in every head.
//! * [`Scheme::Alibi`]: a distance penalty with per-head slopes on the scores.
//!
//! [`Experiment`] trains its five models a step at a time, or a small part
//! of a step at a time ([`Experiment::part`], [`SeqStep`]: bit-identical to
//! whole steps); [`PositionCounts`] measures a sequence at a time.
//!
//! Shapes: a sequence of n ids gives `x` of `n x d_model`, attention maps
//! `n x n` (causal) and logits `n x vocab`, one row per position. Positions
//! `i < k` have no target.

use super::{
    softmax_cross_entropy, Embedding, EmbeddingCache, EncoderCache, EncoderLayer, Linear,
    LinearCache, Module, Optimizer, Param, PositionalEmbedding, Relative, StepStats,
};
use crate::{sinusoidal, AttnError, Mask, Mat, Rng};

/// How the model knows where a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    None,
    Learned,
    Sinusoidal,
    Rope,
    Alibi,
}

impl Scheme {
    pub const ALL: [Scheme; 5] = [
        Scheme::None,
        Scheme::Learned,
        Scheme::Sinusoidal,
        Scheme::Rope,
        Scheme::Alibi,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scheme::None => "none",
            Scheme::Learned => "learned absolute",
            Scheme::Sinusoidal => "sinusoidal",
            Scheme::Rope => "RoPE",
            Scheme::Alibi => "ALiBi",
        }
    }
}

/// "Copy the token `k` steps back" over `vocab` symbols.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CopyBack {
    pub k: usize,
    pub vocab: usize,
}

/// One sequence and its targets (`None` where there is nothing to copy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Labelled {
    pub tokens: Vec<usize>,
    pub targets: Vec<Option<usize>>,
}

impl CopyBack {
    /// A random sequence of length `len` (uniform symbols) with its targets.
    pub fn sample(&self, rng: &mut Rng, len: usize) -> Labelled {
        let tokens: Vec<usize> = (0..len).map(|_| rng.below(self.vocab)).collect();
        let targets = (0..len)
            .map(|i| i.checked_sub(self.k).and_then(|j| tokens.get(j).copied()))
            .collect();
        Labelled { tokens, targets }
    }
}

/// Sizes and options of a [`SeqModel`].
#[derive(Clone, Debug, PartialEq)]
pub struct SeqConfig {
    pub scheme: Scheme,
    pub vocab: usize,
    /// The longest training sequence, L (rows of the learned table).
    pub max_len: usize,
    pub d_model: usize,
    pub n_heads: usize,
    pub d_hidden: usize,
    pub n_layers: usize,
    pub seed: u64,
}

/// The model; see the module docs.
#[derive(Clone, Debug, PartialEq)]
pub struct SeqModel {
    pub cfg: SeqConfig,
    pub embed: Embedding,
    /// The learned table (`max_len x d_model`); unused unless the scheme is
    /// [`Scheme::Learned`], kept so every scheme has the same parameters
    /// list shape.
    pub pos: PositionalEmbedding,
    pub layers: Vec<EncoderLayer>,
    pub readout: Linear,
}

/// What the backward pass needs; `layers[l].attn.weights` are the maps.
#[derive(Clone, Debug, PartialEq)]
pub struct SeqCache {
    embed: EmbeddingCache,
    /// Which table row each position used (learned scheme).
    rows: Vec<usize>,
    pub layers: Vec<EncoderCache>,
    readout: LinearCache,
}

impl SeqModel {
    /// Seeded model; causal layers, with RoPE or ALiBi inside the attention
    /// for those schemes. Err on a zero size, `n_heads` not dividing
    /// `d_model`, or an odd head width with RoPE.
    pub fn new(cfg: SeqConfig) -> Result<Self, AttnError> {
        super::nonzero("max_len", cfg.max_len)?;
        super::nonzero("n_layers", cfg.n_layers)?;
        let mut rng = Rng::new(cfg.seed);
        let std = 0.5f64.sqrt();
        let embed = Embedding::new(cfg.vocab, cfg.d_model, std, &mut rng)?;
        let pos = PositionalEmbedding::new(cfg.max_len, cfg.d_model, std, &mut rng)?;
        let relative = match cfg.scheme {
            Scheme::Rope => Relative::Rope,
            Scheme::Alibi => Relative::Alibi,
            _ => Relative::None,
        };
        let mut layers = Vec::with_capacity(cfg.n_layers);
        for _ in 0..cfg.n_layers {
            let mut l = EncoderLayer::new(
                cfg.d_model,
                cfg.n_heads,
                cfg.d_hidden,
                true,
                Mask::Causal,
                &mut rng,
            )?;
            l.attn.cfg.relative = relative;
            layers.push(l);
        }
        if relative == Relative::Rope && !(cfg.d_model / cfg.n_heads).is_multiple_of(2) {
            return Err(AttnError::value(
                "n_heads",
                "RoPE needs an even head width (d_model / n_heads)",
            ));
        }
        let readout = Linear::new(cfg.d_model, cfg.vocab, &mut rng)?;
        Ok(SeqModel {
            cfg,
            embed,
            pos,
            layers,
            readout,
        })
    }

    /// `tokens` (n ids, any n >= 1) -> logits `n x vocab` and the cache.
    pub fn forward(&self, tokens: &[usize]) -> Result<(Mat, SeqCache), AttnError> {
        let (mut x, embed) = self.embed.forward(tokens)?;
        let n = x.nrows();
        let last = self.cfg.max_len - 1;
        let rows: Vec<usize> = (0..n).map(|i| i.min(last)).collect();
        match self.cfg.scheme {
            Scheme::Learned => {
                for (i, &r) in rows.iter().enumerate() {
                    let mut row = x.row_mut(i);
                    row += self.pos.table.value.row(r);
                }
            }
            Scheme::Sinusoidal => x += sinusoidal(n, self.cfg.d_model),
            _ => {}
        }
        let mut layers = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let (y, c) = layer.forward(&x)?;
            x = y;
            layers.push(c);
        }
        let (logits, readout) = self.readout.forward(&x)?;
        Ok((
            logits,
            SeqCache {
                embed,
                rows,
                layers,
                readout,
            },
        ))
    }

    /// `d_logits` (`n x vocab`) -> adds every parameter's gradient.
    pub fn backward(&mut self, cache: &SeqCache, d_logits: &Mat) -> Result<(), AttnError> {
        let mut d_x = self.readout.backward(&cache.readout, d_logits)?;
        for (layer, c) in self.layers.iter_mut().zip(&cache.layers).rev() {
            d_x = layer.backward(c, &d_x)?;
        }
        if self.cfg.scheme == Scheme::Learned {
            for (i, &r) in cache.rows.iter().enumerate() {
                let mut g = self.pos.table.grad.row_mut(r);
                g += d_x.row(i);
            }
        }
        self.embed.backward(&cache.embed, &d_x)
    }

    /// Cross-entropy over the targeted positions of one sequence: the loss
    /// summed over them, the count right, the count targeted, and
    /// `d_logits` of the summed loss (`n x vocab`, zero rows where there is
    /// no target).
    fn loss(
        &self,
        logits: &Mat,
        targets: &[Option<usize>],
    ) -> Result<(f64, usize, usize, Mat), AttnError> {
        check_targets(logits, targets)?;
        // The targeted rows and their targets.
        let (rows, t): (Vec<usize>, Vec<usize>) = targets
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.map(|t| (i, t)))
            .unzip();
        let mut d = Mat::zeros(logits.nrows(), logits.ncols());
        if rows.is_empty() {
            return Ok((0.0, 0, 0, d));
        }
        let picked = logits.select_rows(&rows);
        let ce = softmax_cross_entropy(&picked, &t)?;
        let m = rows.len() as f64;
        for (r, &i) in rows.iter().enumerate() {
            // softmax_cross_entropy averages over its rows; undo that.
            d.row_mut(i).copy_from(&(ce.d_logits.row(r) * m));
        }
        Ok((ce.loss * m, ce.correct, rows.len(), d))
    }

    /// One optimisation step on `batch` (the loss is the mean over every
    /// targeted position). Returns the batch's loss and accuracy before
    /// the update.
    pub fn train_step(
        &mut self,
        batch: &[Labelled],
        opt: &mut dyn Optimizer,
    ) -> Result<StepStats, AttnError> {
        self.zero_grad();
        let (mut loss, mut right, mut count) = (0.0, 0, 0);
        let mut work = Vec::with_capacity(batch.len());
        for s in batch {
            let (logits, cache) = self.forward(&s.tokens)?;
            let (l, r, c, d) = self.loss(&logits, &s.targets)?;
            loss += l;
            right += r;
            count += c;
            work.push((cache, d));
        }
        if count == 0 {
            return Err(AttnError::value("batch", "no position has a target"));
        }
        let scale = 1.0 / count as f64;
        for (cache, d) in &work {
            self.backward(cache, &(d * scale))?;
        }
        opt.step(self.params_mut())?;
        Ok(StepStats {
            loss: loss * scale,
            accuracy: right as f64 / count as f64,
        })
    }

    /// Fraction of targeted positions answered right over `seqs`.
    pub fn accuracy(&self, seqs: &[Labelled]) -> Result<f64, AttnError> {
        let (mut right, mut count) = (0, 0);
        for s in seqs {
            let (logits, _) = self.forward(&s.tokens)?;
            let (_, r, c, _) = self.loss(&logits, &s.targets)?;
            right += r;
            count += c;
        }
        Ok(right as f64 / count.max(1) as f64)
    }
}

super::param::stacked_module!(SeqModel);

/// Err unless there is one target (or `None`) per row of `logits`.
fn check_targets(logits: &Mat, targets: &[Option<usize>]) -> Result<(), AttnError> {
    if targets.len() != logits.nrows() {
        return Err(AttnError::shape(
            "targets",
            format!("{} entries (one per position)", logits.nrows()),
            format!("{} entries", targets.len()),
        ));
    }
    Ok(())
}

impl SeqModel {
    /// Accuracy at each position over `seqs` (which may differ in length):
    /// entry `i` is `None` where no sequence has a target at `i`.
    pub fn accuracy_by_position(&self, seqs: &[Labelled]) -> Result<Vec<Option<f64>>, AttnError> {
        let mut counts = PositionCounts::default();
        for s in seqs {
            counts.add(self, s)?;
        }
        Ok(counts.by_position())
    }
}

/// Where a [`SeqStep`] is.
#[derive(Clone, Debug)]
enum SeqPhase {
    /// The next forward pass.
    Forward(usize),
    /// The next backward pass.
    Backward(usize),
    /// Every gradient is in: the optimizer step is next.
    Update,
    Done(StepStats),
    /// A part failed.
    Failed,
}

/// [`SeqModel::train_step`] split into small parts, so a page can spread a
/// step over animation frames: a forward pass of one sequence per part, a
/// backward pass of one sequence per part, then the optimizer step as a
/// part of its own. The same operations in the same order as the whole
/// step, so the parameters come out bit-identical (tested); the model must
/// not change between parts except through them.
#[derive(Clone, Debug)]
pub struct SeqStep {
    batch: Vec<Labelled>,
    /// Per sequence done: its cache and `d_logits` of its summed loss.
    work: Vec<(SeqCache, Mat)>,
    loss: f64,
    right: usize,
    count: usize,
    phase: SeqPhase,
}

impl SeqStep {
    /// A step on `batch`. Err on an empty batch.
    pub fn new(batch: Vec<Labelled>) -> Result<Self, AttnError> {
        super::nonzero("batch", batch.len())?;
        Ok(SeqStep {
            work: Vec::with_capacity(batch.len()),
            batch,
            loss: 0.0,
            right: 0,
            count: 0,
            phase: SeqPhase::Forward(0),
        })
    }

    /// Parts in all: two per sequence and the update.
    pub fn parts(&self) -> usize {
        2 * self.batch.len() + 1
    }

    /// Does the next part on `model`; returns the step's loss and accuracy
    /// (before the update, as [`SeqModel::train_step`]) once it is
    /// complete, and again at later calls (which do nothing).
    pub fn part(
        &mut self,
        model: &mut SeqModel,
        opt: &mut dyn Optimizer,
    ) -> Result<Option<StepStats>, AttnError> {
        let n = self.batch.len();
        let lost = |i: usize| AttnError::value("sequence", format!("{i} is out of range"));
        let phase = std::mem::replace(&mut self.phase, SeqPhase::Failed);
        self.phase = match phase {
            SeqPhase::Forward(i) => {
                let s = self.batch.get(i).ok_or_else(|| lost(i))?;
                let (logits, cache) = model.forward(&s.tokens)?;
                let (l, r, c, d) = model.loss(&logits, &s.targets)?;
                self.loss += l;
                self.right += r;
                self.count += c;
                self.work.push((cache, d));
                if i + 1 < n {
                    SeqPhase::Forward(i + 1)
                } else if self.count == 0 {
                    return Err(AttnError::value("batch", "no position has a target"));
                } else {
                    model.zero_grad();
                    SeqPhase::Backward(0)
                }
            }
            SeqPhase::Backward(i) => {
                let (cache, d) = self.work.get(i).ok_or_else(|| lost(i))?;
                model.backward(cache, &(d * (1.0 / self.count as f64)))?;
                if i + 1 < n {
                    SeqPhase::Backward(i + 1)
                } else {
                    SeqPhase::Update
                }
            }
            SeqPhase::Update => {
                opt.step(model.params_mut())?;
                let scale = 1.0 / self.count as f64;
                SeqPhase::Done(StepStats {
                    loss: self.loss * scale,
                    accuracy: self.right as f64 / self.count as f64,
                })
            }
            SeqPhase::Done(s) => SeqPhase::Done(s),
            SeqPhase::Failed => return Err(AttnError::value("step", "an earlier part failed")),
        };
        Ok(match self.phase {
            SeqPhase::Done(s) => Some(s),
            _ => None,
        })
    }
}

/// Right answers and targeted positions counted per position, a sequence
/// at a time (what [`SeqModel::accuracy`] and
/// [`SeqModel::accuracy_by_position`] measure, in parts a page can spread
/// over animation frames).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PositionCounts {
    right: Vec<usize>,
    count: Vec<usize>,
}

impl PositionCounts {
    /// Counts `s` answered by `model`. Err on a sequence the model cannot
    /// read or targets that do not match it.
    pub fn add(&mut self, model: &SeqModel, s: &Labelled) -> Result<(), AttnError> {
        let (logits, _) = model.forward(&s.tokens)?;
        check_targets(&logits, &s.targets)?;
        if self.right.len() < s.tokens.len() {
            self.right.resize(s.tokens.len(), 0);
            self.count.resize(s.tokens.len(), 0);
        }
        // Position i of every sequence counts in entry i.
        let positions = self.right.iter_mut().zip(self.count.iter_mut());
        for ((t, row), (r, c)) in s.targets.iter().zip(logits.row_iter()).zip(positions) {
            if let Some(t) = *t {
                *c += 1;
                if super::classifier::argmax(&row.iter().copied().collect::<Vec<_>>()) == t {
                    *r += 1;
                }
            }
        }
        Ok(())
    }

    /// The fraction right over every targeted position (0 with none).
    pub fn accuracy(&self) -> f64 {
        let right: usize = self.right.iter().sum();
        let count: usize = self.count.iter().sum();
        right as f64 / count.max(1) as f64
    }

    /// The fraction right at each position (`None` where nothing was
    /// targeted), as long as the longest sequence counted.
    pub fn by_position(&self) -> Vec<Option<f64>> {
        self.right
            .iter()
            .zip(&self.count)
            .map(|(&r, &c)| (c > 0).then(|| r as f64 / c as f64))
            .collect()
    }
}

/// The extrapolation experiment's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExperimentConfig {
    /// The task: copy the token `k` steps back.
    pub k: usize,
    /// Longest training sequence L (also the learned table's length).
    pub max_len: usize,
    /// Adam steps per model.
    pub steps: usize,
    /// Sequences per step.
    pub batch: usize,
    pub seed: u64,
}

impl Default for ExperimentConfig {
    /// k = 3, L = 16, 600 steps of 16 sequences, seed 1.
    fn default() -> Self {
        ExperimentConfig {
            k: 3,
            max_len: 16,
            steps: 600,
            batch: 16,
            seed: 1,
        }
    }
}

/// Token ids of the experiment.
pub const EXPERIMENT_VOCAB: usize = 8;

/// One model of the experiment.
#[derive(Clone, Debug)]
pub struct Run {
    pub scheme: Scheme,
    pub model: SeqModel,
    opt: super::Adam,
    /// Training loss after each step.
    pub losses: Vec<f64>,
}

/// Five models, one per [`Scheme`], same architecture (2 causal layers, 2
/// heads, d_model 32, MLP 64), same initial weights where shapes match, the
/// same batches in the same order: only the positional scheme differs.
/// Training takes one step of every model at a time (so a page can spread it
/// over animation frames); sequences have lengths 4 to L.
#[derive(Clone, Debug)]
pub struct Experiment {
    pub cfg: ExperimentConfig,
    pub task: CopyBack,
    pub runs: Vec<Run>,
    rng: Rng,
    /// Steps taken by every model so far.
    pub step: usize,
    /// The step [`Experiment::part`] is doing: its batch, the model at
    /// work and that model's step.
    pending: Option<(Vec<Labelled>, usize, SeqStep)>,
}

impl Experiment {
    /// Err if `k` is 0 or L is below `k + 2` or above 256, or `steps` or
    /// `batch` is 0.
    pub fn new(cfg: ExperimentConfig) -> Result<Self, AttnError> {
        if cfg.k == 0 || cfg.max_len < cfg.k + 2 || cfg.max_len > 256 {
            return Err(AttnError::value(
                "max_len",
                format!(
                    "L must be between k + 2 and 256 with k >= 1, got L = {} and k = {}",
                    cfg.max_len, cfg.k
                ),
            ));
        }
        super::nonzero("steps", cfg.steps)?;
        super::nonzero("batch", cfg.batch)?;
        let runs = Scheme::ALL
            .iter()
            .map(|&scheme| {
                Ok(Run {
                    scheme,
                    model: SeqModel::new(SeqConfig {
                        scheme,
                        vocab: EXPERIMENT_VOCAB,
                        max_len: cfg.max_len,
                        d_model: 32,
                        n_heads: 2,
                        d_hidden: 64,
                        n_layers: 2,
                        seed: cfg.seed,
                    })?,
                    opt: super::Adam::new(3e-3),
                    losses: Vec::with_capacity(cfg.steps.min(10_000)),
                })
            })
            .collect::<Result<Vec<_>, AttnError>>()?;
        Ok(Experiment {
            cfg,
            task: CopyBack {
                k: cfg.k,
                vocab: EXPERIMENT_VOCAB,
            },
            runs,
            rng: Rng::new(cfg.seed.wrapping_add(1)),
            step: 0,
            pending: None,
        })
    }

    /// Whether every model has taken `cfg.steps` steps.
    pub fn finished(&self) -> bool {
        self.step >= self.cfg.steps
    }

    /// One training step of every model on one new batch (no-op once finished).
    pub fn step(&mut self) -> Result<(), AttnError> {
        if self.finished() {
            return Ok(());
        }
        let batch = self.batch();
        for run in &mut self.runs {
            let stats = run.model.train_step(&batch, &mut run.opt)?;
            run.losses.push(stats.loss);
        }
        self.step += 1;
        Ok(())
    }

    /// [`Experiment::step`] in small parts ([`SeqStep`]: one sequence's
    /// forward or backward pass of one model, or one model's update),
    /// models in [`Scheme::ALL`] order; the batch is drawn at the first
    /// part. `step` counts the step once every model has taken it. The
    /// models come out as whole steps leave them (tested). No-op once
    /// finished.
    pub fn part(&mut self) -> Result<(), AttnError> {
        if self.finished() {
            return Ok(());
        }
        let (batch, r, mut step) = match self.pending.take() {
            Some(p) => p,
            None => {
                let batch = self.batch();
                (batch.clone(), 0, SeqStep::new(batch)?)
            }
        };
        let run = self
            .runs
            .get_mut(r)
            .ok_or_else(|| AttnError::value("run", format!("{r} is out of range")))?;
        let Some(stats) = step.part(&mut run.model, &mut run.opt)? else {
            self.pending = Some((batch, r, step));
            return Ok(());
        };
        run.losses.push(stats.loss);
        if r + 1 < self.runs.len() {
            self.pending = Some((batch.clone(), r + 1, SeqStep::new(batch)?));
        } else {
            self.step += 1;
        }
        Ok(())
    }

    /// The next training batch.
    fn batch(&mut self) -> Vec<Labelled> {
        let l = self.cfg.max_len;
        let lo = (self.cfg.k + 1).min(4);
        (0..self.cfg.batch)
            .map(|_| {
                let n = lo + self.rng.below(l - lo + 1);
                self.task.sample(&mut self.rng, n)
            })
            .collect()
    }

    /// Test lengths: L, 1.5 L, 2 L, ... 4 L.
    pub fn lengths(&self) -> Vec<usize> {
        (2..=8).map(|h| self.cfg.max_len * h / 2).collect()
    }

    /// `count` seeded held-out sequences of length `len` (the same for every
    /// model and every call).
    pub fn test_set(&self, len: usize, count: usize) -> Vec<Labelled> {
        let mut rng = Rng::new(self.cfg.seed ^ 0x7E57_0000 ^ (len as u64) << 20);
        (0..count)
            .map(|_| self.task.sample(&mut rng, len))
            .collect()
    }
}
