//! The chapter-4 model for [`AssocRecall`]: token embedding + learned
//! positions, `n_layers` multi-head self-attention layers with residual
//! connections (`x <- x + Attn(x)`), and a linear readout of the last
//! position trained with softmax cross-entropy.
//!
//! One attention layer cannot solve the task (the value positions do not know
//! which key precedes them, and the last position cannot both find the key
//! and read the next position in one step), so the default has two layers:
//! the first lets each value position copy its key from the previous
//! position, the second lets the query key find that copy and read the
//! value. The scaling flag of every attention layer is [`RecallConfig::scale`].
//!
//! Shapes: a sequence of n ids gives `x` of `n x d_model`; each head has
//! query/key width `d_k` and value width `d_v`; the logits are `1 x vocab`.

use super::{
    softmax_cross_entropy, AssocRecall, AttentionCache, Batch, CrossEntropy, Embedding,
    EmbeddingCache, Linear, LinearCache, MhaConfig, Module, MultiHeadAttention, Optimizer, Param,
    PositionalCache, PositionalEmbedding, Relative,
};
use crate::{AttnError, Mask, Mat, Rng};

/// Sizes and options of a [`RecallModel`].
#[derive(Clone, Debug, PartialEq)]
pub struct RecallConfig {
    /// The task (gives the vocabulary and sequence length).
    pub task: AssocRecall,
    /// Width of the residual stream.
    pub d_model: usize,
    /// Heads per attention layer.
    pub n_heads: usize,
    /// Query/key width per head (the `d_k` of `1/sqrt(d_k)`).
    pub d_k: usize,
    /// Value width per head.
    pub d_v: usize,
    /// Attention layers (2 is the minimum that can solve the task).
    pub n_layers: usize,
    /// Divide scores by `sqrt(d_k)`.
    pub scale: bool,
    /// Seed of the initialisation.
    pub seed: u64,
}

impl RecallConfig {
    /// Defaults for a task: `d_model = 32`, 2 heads with `d_k = d_v = 16`,
    /// 2 layers, scaled, seed 0.
    pub fn new(task: AssocRecall) -> Self {
        RecallConfig {
            task,
            d_model: 32,
            n_heads: 2,
            d_k: 16,
            d_v: 16,
            n_layers: 2,
            scale: true,
            seed: 0,
        }
    }
}

/// Mean loss and accuracy over a batch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepStats {
    /// Mean cross-entropy (nats).
    pub loss: f64,
    /// Fraction of examples whose arg-max logit is the answer, in `[0, 1]`.
    pub accuracy: f64,
}

impl StepStats {
    /// The mean loss and the fraction correct of a batch's cross-entropy.
    pub fn of(ce: &CrossEntropy) -> Self {
        StepStats {
            loss: ce.loss,
            accuracy: ce.correct as f64 / ce.d_logits.nrows().max(1) as f64,
        }
    }
}

/// The model; see the module docs.
#[derive(Clone, Debug, PartialEq)]
pub struct RecallModel {
    /// The configuration it was built with.
    pub cfg: RecallConfig,
    /// Token table, `vocab x d_model`.
    pub embed: Embedding,
    /// Position table, `seq_len x d_model`.
    pub pos: PositionalEmbedding,
    /// The attention layers, `d_model -> d_model` each.
    pub layers: Vec<MultiHeadAttention>,
    /// Readout of the last position, `d_model x vocab`.
    pub readout: Linear,
}

/// What [`RecallModel::backward`] needs; `layers[l].head_weights()` are the
/// attention maps of layer l.
#[derive(Clone, Debug, PartialEq)]
pub struct RecallCache {
    embed: EmbeddingCache,
    pos: PositionalCache,
    /// One attention cache per layer.
    pub layers: Vec<AttentionCache>,
    readout: LinearCache,
    n: usize,
}

impl RecallModel {
    /// Seeded model. Token and position entries are `N(0, 1/2)` (so their sum
    /// has unit variance); see [`Linear::new`] for the rest. Err if a size is 0.
    pub fn new(cfg: RecallConfig) -> Result<Self, AttnError> {
        super::nonzero("n_layers", cfg.n_layers)?;
        let mut rng = Rng::new(cfg.seed);
        let (vocab, d) = (cfg.task.vocab_size(), cfg.d_model);
        let std = 0.5f64.sqrt();
        let embed = Embedding::new(vocab, d, std, &mut rng)?;
        let pos = PositionalEmbedding::new(cfg.task.seq_len(), d, std, &mut rng)?;
        let mha = MhaConfig {
            d_q_in: d,
            d_kv_in: d,
            d_out: d,
            n_heads: cfg.n_heads,
            d_k: cfg.d_k,
            d_v: cfg.d_v,
            scale: cfg.scale,
            mask: Mask::None,
            relative: Relative::None,
        };
        let layers = (0..cfg.n_layers)
            .map(|_| MultiHeadAttention::new(mha.clone(), &mut rng))
            .collect::<Result<Vec<_>, _>>()?;
        let readout = Linear::new(d, vocab, &mut rng)?;
        Ok(RecallModel {
            cfg,
            embed,
            pos,
            layers,
            readout,
        })
    }

    /// `tokens` (n ids, 1 <= n <= seq_len) -> logits of the last position
    /// (`1 x vocab`) and the cache. Err on an empty or too long sequence or an
    /// id out of the vocabulary.
    pub fn forward(&self, tokens: &[usize]) -> Result<(Mat, RecallCache), AttnError> {
        let (e, embed) = self.embed.forward(tokens)?;
        let (mut x, pos) = self.pos.forward(&e)?;
        let mut layers = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let (a, c) = layer.forward_self(&x)?;
            x += a;
            layers.push(c);
        }
        let n = x.nrows();
        let last = x.rows(n - 1, 1).into_owned();
        let (logits, readout) = self.readout.forward(&last)?;
        Ok((
            logits,
            RecallCache {
                embed,
                pos,
                layers,
                readout,
                n,
            },
        ))
    }

    /// `d_logits` (`1 x vocab`) -> adds the gradients of every parameter.
    pub fn backward(&mut self, cache: &RecallCache, d_logits: &Mat) -> Result<(), AttnError> {
        let d_last = self.readout.backward(&cache.readout, d_logits)?;
        let mut d_x = Mat::zeros(cache.n, self.cfg.d_model);
        d_x.rows_mut(cache.n - 1, 1).copy_from(&d_last);
        for (layer, c) in self.layers.iter_mut().zip(&cache.layers).rev() {
            let d_a = layer.backward_self(c, &d_x)?;
            d_x += d_a;
        }
        let d_e = self.pos.backward(&cache.pos, &d_x)?;
        self.embed.backward(&cache.embed, &d_e)
    }

    /// The attention weights for `tokens`: `maps[layer][head]` is `n x n`.
    pub fn attention_maps(&self, tokens: &[usize]) -> Result<Vec<Vec<Mat>>, AttnError> {
        let (_, cache) = self.forward(tokens)?;
        Ok(cache.layers.into_iter().map(|c| c.weights).collect())
    }

    /// The arg-max answer for `tokens`.
    pub fn predict(&self, tokens: &[usize]) -> Result<usize, AttnError> {
        let (logits, _) = self.forward(tokens)?;
        Ok(super::argmax(logits.as_slice())) // 1 x vocab: the storage is the row
    }

    /// Mean loss and accuracy on `batch` (no parameter changes).
    /// Err on an empty batch or bad sequences.
    pub fn evaluate(&self, batch: &Batch) -> Result<StepStats, AttnError> {
        let (stats, _, _) = self.run(batch)?;
        Ok(stats)
    }

    /// One optimisation step on `batch`: zero the grads, forward and
    /// backward every example (the loss is the batch mean), `opt.step`.
    /// Returns the loss and accuracy measured before the update.
    pub fn train_step(
        &mut self,
        batch: &Batch,
        opt: &mut dyn Optimizer,
    ) -> Result<StepStats, AttnError> {
        let (stats, caches, d_logits) = self.run(batch)?;
        self.zero_grad();
        for (i, cache) in caches.iter().enumerate() {
            let d = d_logits.rows(i, 1).into_owned();
            self.backward(cache, &d)?;
        }
        opt.step(self.params_mut())?;
        Ok(stats)
    }

    /// Forward of the whole batch: stats, caches and `d_logits` (`B x vocab`).
    fn run(&self, batch: &Batch) -> Result<(StepStats, Vec<RecallCache>, Mat), AttnError> {
        batch.check()?;
        let vocab = self.cfg.task.vocab_size();
        let mut logits = Mat::zeros(batch.len(), vocab);
        let mut caches = Vec::with_capacity(batch.len());
        for (i, tokens) in batch.tokens.iter().enumerate() {
            let (l, c) = self
                .forward(tokens)
                .map_err(|e| prefix(e, &format!("batch.tokens[{i}].")))?;
            logits.row_mut(i).copy_from(&l.row(0));
            caches.push(c);
        }
        let ce = softmax_cross_entropy(&logits, &batch.targets)?;
        Ok((StepStats::of(&ce), caches, ce.d_logits))
    }
}

super::param::stacked_module!(RecallModel);

fn prefix(e: AttnError, p: &str) -> AttnError {
    match e {
        AttnError::Shape {
            field,
            expected,
            got,
        } => AttnError::Shape {
            field: format!("{p}{field}"),
            expected,
            got,
        },
        AttnError::Value { field, message } => AttnError::Value {
            field: format!("{p}{field}"),
            message,
        },
    }
}
