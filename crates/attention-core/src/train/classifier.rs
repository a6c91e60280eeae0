//! A small transformer encoder that answers a question asked at one position
//! of a sentence (the self-attention chapter's model; its corpus is
//! [`coref`](super::coref)).
//!
//! Token embedding + learned positions, `n_layers` [`EncoderLayer`]s
//! (post-layer-norm, `n_heads` heads of width `d_model / n_heads`), then a
//! linear readout of the query position's row into `n_classes` logits,
//! trained with softmax cross-entropy.
//!
//! Shapes: a sentence of n ids gives `x` of `n x d_model` through every
//! layer; each head's attention map is `n x n` (rows are the attending
//! positions); the logits are `1 x n_classes`.
//!
//! Every attention head has a gate (see [`MultiHeadAttention::gates`]):
//! [`EncoderClassifier::set_head`] switches heads off, and
//! [`EncoderClassifier::head_importance`] measures the importance score of
//! Michel, Levy & Neubig (2019), the mean of `|dL/dg_h|` over examples.
//!
//! [`EncoderClassifier::to_bytes`] / [`EncoderClassifier::from_bytes`] store
//! a model compactly: a header with the sizes, then every parameter as
//! little-endian `f32` in [`Module::params`] order.
//!
//! [`ClassifierStep`] is a training step (or a measurement) done in small
//! parts, one question's forward or backward pass or the update per part,
//! bit-identical to [`EncoderClassifier::train_step`] (so a page can spread
//! it over animation frames).

use super::{
    softmax_cross_entropy, Embedding, EmbeddingCache, EncoderCache, EncoderLayer, Linear,
    LinearCache, Module, MultiHeadAttention, Optimizer, Param, PositionalCache,
    PositionalEmbedding, StepStats,
};
use crate::{AttnError, Mask, Mat, Rng};

/// Sizes and options of an [`EncoderClassifier`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassifierConfig {
    /// Number of token ids.
    pub vocab: usize,
    /// Longest sentence (rows of the position table).
    pub max_len: usize,
    /// Number of answers (logits).
    pub n_classes: usize,
    /// Width of the residual stream.
    pub d_model: usize,
    /// Heads per layer (must divide `d_model`).
    pub n_heads: usize,
    /// Hidden width of each layer's MLP.
    pub d_hidden: usize,
    /// Encoder layers.
    pub n_layers: usize,
    /// Divide scores by `sqrt(d_k)`.
    pub scale: bool,
    /// Seed of the initialisation.
    pub seed: u64,
}

/// One question: a sentence (ids), the position it is asked at, the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// Token ids, `1 <= n <= max_len`.
    pub tokens: Vec<usize>,
    /// Position whose row is read out, `< n`.
    pub query: usize,
    /// The right answer, `< n_classes`.
    pub target: usize,
}

/// The model; see the module docs.
#[derive(Clone, Debug, PartialEq)]
pub struct EncoderClassifier {
    /// The configuration it was built with.
    pub cfg: ClassifierConfig,
    /// Token table, `vocab x d_model`.
    pub embed: Embedding,
    /// Position table, `max_len x d_model`.
    pub pos: PositionalEmbedding,
    /// The encoder layers.
    pub layers: Vec<EncoderLayer>,
    /// Readout of the query row, `d_model x n_classes`.
    pub readout: Linear,
}

/// What the backward pass needs; `layers[l].attn.weights` are layer l's
/// attention maps.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassifierCache {
    embed: EmbeddingCache,
    pos: PositionalCache,
    /// One cache per encoder layer.
    pub layers: Vec<EncoderCache>,
    readout: LinearCache,
    n: usize,
    query: usize,
}

/// The model's answer to one question.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// Softmax of the logits, `n_classes` probabilities summing to 1.
    pub probs: Vec<f64>,
    /// The arg-max class.
    pub best: usize,
    /// `maps[layer][head]`: that head's `n x n` attention weights.
    pub maps: Vec<Vec<Mat>>,
}

const MAGIC: &[u8; 4] = b"ATLC";
const VERSION: u32 = 1;

impl EncoderClassifier {
    /// Seeded model (token and position entries `N(0, 1/2)`, layers as in
    /// [`EncoderLayer::new`], readout as in [`Linear::new`]). Err if a size
    /// is 0 or `n_heads` does not divide `d_model`.
    pub fn new(cfg: ClassifierConfig) -> Result<Self, AttnError> {
        for (name, v) in [
            ("vocab", cfg.vocab),
            ("max_len", cfg.max_len),
            ("n_classes", cfg.n_classes),
            ("n_layers", cfg.n_layers),
        ] {
            super::nonzero(name, v)?;
        }
        let mut rng = Rng::new(cfg.seed);
        let d = cfg.d_model;
        let std = 0.5f64.sqrt();
        let embed = Embedding::new(cfg.vocab, d, std, &mut rng)?;
        let pos = PositionalEmbedding::new(cfg.max_len, d, std, &mut rng)?;
        let layers = (0..cfg.n_layers)
            .map(|_| {
                EncoderLayer::new(
                    d,
                    cfg.n_heads,
                    cfg.d_hidden,
                    cfg.scale,
                    Mask::None,
                    &mut rng,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let readout = Linear::new(d, cfg.n_classes, &mut rng)?;
        Ok(EncoderClassifier {
            cfg,
            embed,
            pos,
            layers,
            readout,
        })
    }

    /// `tokens` (n ids, `1 <= n <= max_len`) and the query position -> the
    /// logits (`1 x n_classes`) and the cache. Err on an empty or too long
    /// sentence, an unknown id or a query outside the sentence.
    pub fn forward(
        &self,
        tokens: &[usize],
        query: usize,
    ) -> Result<(Mat, ClassifierCache), AttnError> {
        if query >= tokens.len() {
            return Err(AttnError::value(
                "query",
                format!(
                    "must be a position of the sentence (< {}), got {query}",
                    tokens.len()
                ),
            ));
        }
        let (e, embed) = self.embed.forward(tokens)?;
        let (mut x, pos) = self.pos.forward(&e)?;
        let mut layers = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let (y, c) = layer.forward(&x)?;
            x = y;
            layers.push(c);
        }
        let row = x.rows(query, 1).into_owned();
        let (logits, readout) = self.readout.forward(&row)?;
        Ok((
            logits,
            ClassifierCache {
                embed,
                pos,
                layers,
                readout,
                n: x.nrows(),
                query,
            },
        ))
    }

    /// `d_logits` (`1 x n_classes`) -> adds the gradient of every parameter
    /// (and of every head gate).
    pub fn backward(&mut self, cache: &ClassifierCache, d_logits: &Mat) -> Result<(), AttnError> {
        let d_row = self.readout.backward(&cache.readout, d_logits)?;
        let mut d_x = Mat::zeros(cache.n, self.cfg.d_model);
        d_x.rows_mut(cache.query, 1).copy_from(&d_row);
        for (layer, c) in self.layers.iter_mut().zip(&cache.layers).rev() {
            d_x = layer.backward(c, &d_x)?;
        }
        let d_e = self.pos.backward(&cache.pos, &d_x)?;
        self.embed.backward(&cache.embed, &d_e)
    }

    /// The answer to one question: probabilities, arg-max and every head's
    /// attention map.
    pub fn answer(&self, tokens: &[usize], query: usize) -> Result<Answer, AttnError> {
        let (logits, cache) = self.forward(tokens, query)?;
        let probs = crate::softmax(logits.row(0).iter().copied().collect::<Vec<_>>().as_slice())?;
        let best = argmax(&probs);
        let maps = cache.layers.into_iter().map(|c| c.attn.weights).collect();
        Ok(Answer { probs, best, maps })
    }

    /// Mean loss and accuracy over `questions` (no parameter changes).
    /// Err on an empty list or a bad question.
    pub fn evaluate(&self, questions: &[Question]) -> Result<StepStats, AttnError> {
        Ok(self.run(questions)?.0)
    }

    /// One optimisation step on `questions` (the loss is their mean):
    /// zero the grads, forward and backward each, `opt.step`. Returns the
    /// loss and accuracy measured before the update.
    pub fn train_step(
        &mut self,
        questions: &[Question],
        opt: &mut dyn Optimizer,
    ) -> Result<StepStats, AttnError> {
        let (stats, caches, d_logits) = self.run(questions)?;
        self.zero_grad();
        for (i, cache) in caches.iter().enumerate() {
            self.backward(cache, &d_logits.rows(i, 1).into_owned())?;
        }
        opt.step(self.params_mut())?;
        Ok(stats)
    }

    /// Switches head `head` of layer `layer` on (gate 1) or off (gate 0).
    /// Err if either index is out of range.
    pub fn set_head(&mut self, layer: usize, head: usize, on: bool) -> Result<(), AttnError> {
        let n_layers = self.layers.len();
        let attn = self.attn_mut(layer).ok_or_else(|| {
            AttnError::value("layer", format!("must be < {n_layers}, got {layer}"))
        })?;
        let n_heads = attn.gates.value.ncols();
        let gate =
            attn.gates.value.get_mut((0, head)).ok_or_else(|| {
                AttnError::value("head", format!("must be < {n_heads}, got {head}"))
            })?;
        *gate = if on { 1.0 } else { 0.0 };
        Ok(())
    }

    /// `on[layer][head]`: which heads are switched on.
    pub fn heads_on(&self) -> Vec<Vec<bool>> {
        self.layers
            .iter()
            .map(|l| l.attn.gates.value.iter().map(|&g| g != 0.0).collect())
            .collect()
    }

    /// Head importance (Michel, Levy & Neubig 2019): for every layer and
    /// head, the mean over `questions` of `|dL/dg_h|`, the loss's
    /// sensitivity to scaling that head's output, at the current gates.
    /// Parameters are unchanged (their gradients are left at zero).
    pub fn head_importance(&mut self, questions: &[Question]) -> Result<Vec<Vec<f64>>, AttnError> {
        if questions.is_empty() {
            return Err(AttnError::value("questions", "need at least one"));
        }
        let mut total: Vec<Vec<f64>> = self
            .layers
            .iter()
            .map(|l| vec![0.0; l.attn.cfg.n_heads])
            .collect();
        for q in questions {
            let (logits, cache) = self.forward(&q.tokens, q.query)?;
            let ce = softmax_cross_entropy(&logits, &[q.target])?;
            self.zero_all_grads();
            self.backward(&cache, &ce.d_logits)?;
            for (t, l) in total.iter_mut().zip(&self.layers) {
                for (acc, g) in t.iter_mut().zip(l.attn.gates.grad.iter()) {
                    *acc += g.abs();
                }
            }
        }
        self.zero_all_grads();
        let n = questions.len() as f64;
        Ok(total
            .into_iter()
            .map(|t| t.into_iter().map(|v| v / n).collect())
            .collect())
    }

    /// Rounds every parameter to the nearest `f32` (what
    /// [`EncoderClassifier::to_bytes`] stores), so a model evaluated after
    /// this behaves exactly like the file.
    pub fn round_to_f32(&mut self) {
        for p in self.params_mut() {
            p.value.apply(|v| *v = *v as f32 as f64);
        }
    }

    /// The compact file: `ATLC`, version, the sizes (`u32` each, `scale` as
    /// 0/1), the seed (`u64`), then every parameter as `f32`, all
    /// little-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        let c = &self.cfg;
        let mut out = Vec::with_capacity(48 + 4 * self.num_params());
        out.extend_from_slice(MAGIC);
        for v in [
            VERSION,
            c.vocab as u32,
            c.max_len as u32,
            c.n_classes as u32,
            c.d_model as u32,
            c.n_heads as u32,
            c.d_hidden as u32,
            c.n_layers as u32,
            u32::from(c.scale),
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&c.seed.to_le_bytes());
        super::param::write_f32_params(self, &mut out);
        out
    }

    /// Reads [`EncoderClassifier::to_bytes`]'s format. Err (naming `file`)
    /// on a wrong magic or version, implausible sizes, a length that does
    /// not match the sizes, or a non-finite weight.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AttnError> {
        let bad = |m: String| AttnError::value("file", m);
        if bytes.len() < 48 || !bytes.starts_with(MAGIC) {
            return Err(bad("not an Attention Lab model file".into()));
        }
        // Header field i is the u32 at byte 4 + 4 i.
        let u32_at = |i: usize| super::param::u32_at(bytes, 4 + 4 * i);
        let version = u32_at(0)?;
        if version != VERSION {
            return Err(bad(format!("version {version} (this app reads {VERSION})")));
        }
        let size = |i: usize| -> Result<usize, AttnError> {
            let v = u32_at(i)? as usize;
            if v == 0 || v > 4096 {
                return Err(bad(format!("size field {i} is {v}, expected 1..=4096")));
            }
            Ok(v)
        };
        let seed = super::param::bytes_at::<8>(bytes, 40)?;
        let cfg = ClassifierConfig {
            vocab: size(1)?,
            max_len: size(2)?,
            n_classes: size(3)?,
            d_model: size(4)?,
            n_heads: size(5)?,
            d_hidden: size(6)?,
            n_layers: size(7).and_then(|n| {
                if n > 16 {
                    Err(bad(format!("{n} layers, at most 16")))
                } else {
                    Ok(n)
                }
            })?,
            scale: u32_at(8)? != 0,
            seed: u64::from_le_bytes(seed),
        };
        let mut model = EncoderClassifier::new(cfg)?;
        super::param::read_f32_params(&mut model, bytes, 48)?;
        Ok(model)
    }

    /// Zeroes the parameter and the gate gradients.
    fn zero_all_grads(&mut self) {
        self.zero_grad();
        for l in &mut self.layers {
            l.attn.gates.zero_grad();
        }
    }

    fn attn_mut(&mut self, layer: usize) -> Option<&mut MultiHeadAttention> {
        self.layers.get_mut(layer).map(|l| &mut l.attn)
    }

    /// Forward of every question: stats, caches and `d_logits`
    /// (`B x n_classes`).
    fn run(
        &self,
        questions: &[Question],
    ) -> Result<(StepStats, Vec<ClassifierCache>, Mat), AttnError> {
        let mut logits = empty_logits(questions, self.cfg.n_classes)?;
        let mut caches = Vec::with_capacity(questions.len());
        for (i, q) in questions.iter().enumerate() {
            caches.push(self.forward_into(q, &mut logits, i)?);
        }
        let ce = softmax_cross_entropy(&logits, &targets(questions))?;
        Ok((StepStats::of(&ce), caches, ce.d_logits))
    }

    /// Forward of `q`, its logits written into row `i` of `logits`.
    fn forward_into(
        &self,
        q: &Question,
        logits: &mut Mat,
        i: usize,
    ) -> Result<ClassifierCache, AttnError> {
        let (l, c) = self.forward(&q.tokens, q.query)?;
        if i >= logits.nrows() {
            return Err(AttnError::value("question", format!("{i} is out of range")));
        }
        logits.row_mut(i).copy_from(&l.row(0));
        Ok(c)
    }
}

/// `questions.len() x n_classes` zeros; Err on an empty list.
fn empty_logits(questions: &[Question], n_classes: usize) -> Result<Mat, AttnError> {
    if questions.is_empty() {
        return Err(AttnError::value("questions", "need at least one"));
    }
    Ok(Mat::zeros(questions.len(), n_classes))
}

fn targets(questions: &[Question]) -> Vec<usize> {
    questions.iter().map(|q| q.target).collect()
}

/// Where a [`ClassifierStep`] is.
#[derive(Clone, Debug)]
enum Phase {
    /// The next forward pass.
    Forward(usize),
    /// The loss is known; the next backward pass.
    Backward(usize, StepStats, Mat),
    /// Every gradient is in: the optimizer step is next.
    Update(StepStats),
    /// Complete.
    Done(StepStats),
    /// A part failed.
    Failed,
}

/// [`EncoderClassifier::train_step`] (or [`EncoderClassifier::evaluate`])
/// split into small parts, so a page can spread one step over animation
/// frames: a forward pass of one question per part (the last one also
/// computes the loss over every logit), then (training only) a backward
/// pass of one question per part, then the optimizer step as a part of its
/// own. The same operations in the same order as the whole step, so the
/// parameters come out bit-identical (tested); the model must not change
/// between parts except through them.
#[derive(Clone, Debug)]
pub struct ClassifierStep {
    questions: Vec<Question>,
    /// `questions.len() x n_classes`, filled by the forward parts.
    logits: Mat,
    caches: Vec<ClassifierCache>,
    /// Whether the step updates the model (else it only measures).
    train: bool,
    phase: Phase,
}

impl ClassifierStep {
    /// A training step on `questions` for a model of `n_classes` answers.
    /// Err on an empty list.
    pub fn train(questions: Vec<Question>, n_classes: usize) -> Result<Self, AttnError> {
        ClassifierStep::with(questions, n_classes, true)
    }

    /// A measurement on `questions` (forward parts only), as
    /// [`EncoderClassifier::evaluate`].
    pub fn evaluate(questions: Vec<Question>, n_classes: usize) -> Result<Self, AttnError> {
        ClassifierStep::with(questions, n_classes, false)
    }

    fn with(questions: Vec<Question>, n_classes: usize, train: bool) -> Result<Self, AttnError> {
        Ok(ClassifierStep {
            logits: empty_logits(&questions, n_classes)?,
            caches: Vec::with_capacity(if train { questions.len() } else { 0 }),
            questions,
            train,
            phase: Phase::Forward(0),
        })
    }

    /// Parts in all: a forward pass per question, and for training a
    /// backward pass per question and the update.
    pub fn parts(&self) -> usize {
        let n = self.questions.len();
        if self.train {
            2 * n + 1
        } else {
            n
        }
    }

    /// Does the next part on `model` (`opt` is used by the update only).
    /// Returns the stats (loss and accuracy before the update, as
    /// [`EncoderClassifier::train_step`]) once the step is complete; later
    /// calls return them again and do nothing. Err once a part has failed.
    pub fn part(
        &mut self,
        model: &mut EncoderClassifier,
        opt: &mut dyn Optimizer,
    ) -> Result<Option<StepStats>, AttnError> {
        let n = self.questions.len();
        let phase = std::mem::replace(&mut self.phase, Phase::Failed);
        self.phase = match phase {
            Phase::Forward(i) => {
                let q = self.questions.get(i).ok_or_else(|| lost(i))?;
                let c = model.forward_into(q, &mut self.logits, i)?;
                if self.train {
                    self.caches.push(c);
                }
                if i + 1 < n {
                    Phase::Forward(i + 1)
                } else {
                    let ce = softmax_cross_entropy(&self.logits, &targets(&self.questions))?;
                    let stats = StepStats::of(&ce);
                    if self.train {
                        model.zero_grad();
                        Phase::Backward(0, stats, ce.d_logits)
                    } else {
                        Phase::Done(stats)
                    }
                }
            }
            Phase::Backward(i, stats, d_logits) => {
                let cache = self.caches.get(i).ok_or_else(|| lost(i))?;
                model.backward(cache, &d_logits.rows(i, 1).into_owned())?;
                if i + 1 < n {
                    Phase::Backward(i + 1, stats, d_logits)
                } else {
                    Phase::Update(stats)
                }
            }
            Phase::Update(stats) => {
                opt.step(model.params_mut())?;
                Phase::Done(stats)
            }
            Phase::Done(stats) => Phase::Done(stats),
            Phase::Failed => {
                return Err(AttnError::value("step", "an earlier part failed"));
            }
        };
        Ok(match self.phase {
            Phase::Done(stats) => Some(stats),
            _ => None,
        })
    }
}

fn lost(i: usize) -> AttnError {
    AttnError::value("question", format!("{i} is out of range"))
}

super::param::stacked_module!(EncoderClassifier);

/// Index of the largest entry (the first on ties; 0 for an empty slice).
pub fn argmax(v: &[f64]) -> usize {
    v.iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (j, &x)| {
            if x > best.1 {
                (j, x)
            } else {
                best
            }
        })
        .0
}
