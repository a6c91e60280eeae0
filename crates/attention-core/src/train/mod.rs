//! The training engine: layers with hand-written backpropagation,
//! optimizers, a loss, a toy task and a small model built from them.
//!
//! Conventions (as in the rest of the crate): everything is `f64`, a sequence
//! is a matrix whose rows are positions (`n x d`), and a linear layer computes
//! `y = x W + b` with `W` of shape `d_in x d_out`.
//!
//! Every layer is a struct with
//! * `forward(&self, ...) -> Result<(output, Cache), AttnError>`: the cache
//!   keeps what the backward pass needs (and, for attention, the weights of
//!   every head, which lessons draw);
//! * `backward(&mut self, &cache, &d_output) -> Result<d_input(s), AttnError>`:
//!   it **adds** the parameter gradients into each [`Param::grad`] (so a batch
//!   is several forward/backward calls followed by one optimizer step) and
//!   returns the gradient with respect to the input(s).
//!
//! Every layer and model implements [`Module`], which lists its parameters,
//! so one [`Optimizer`] ([`Sgd`] or [`Adam`]) can update any model. All
//! initialisation takes an explicit [`Rng`](crate::Rng); there is no global
//! random state, no threads, no clock and no filesystem, so everything runs
//! unchanged on `wasm32-unknown-unknown`.
//!
//! Building blocks: [`Embedding`], [`PositionalEmbedding`], [`Linear`],
//! [`MultiHeadAttention`] (self or cross, scaled or not, causal or not),
//! [`LayerNorm`], [`Mlp`], [`residual_add`], [`EncoderLayer`],
//! [`DecoderLayer`], [`softmax_cross_entropy`]. The chapter-4 task is
//! [`AssocRecall`] and its model is [`RecallModel`]. The self-attention
//! chapter's corpus (coreference and agreement sentences with known answers)
//! is [`coref`], its model [`EncoderClassifier`] (with head gates for
//! pruning and head-importance scores); [`head_study`] measures what each
//! of its heads does and is worth. [`TwoLookup`] is the task on which
//! several heads are compared with one head of the same width.
//! [`position_task`] is the position chapter's extrapolation experiment.
//! [`translate`] is the toy parallel corpus with known alignments and
//! [`seq2seq`] the encoder-decoder (attention or a bottleneck) trained on it.
//! [`rnn`] is chapter 9's recurrent side: RNN and GRU cells with
//! backpropagation through time, how far a gradient reaches back, the
//! recall-the-first-token task and its three models.
//! [`gradcheck`] holds the finite-difference helpers the tests use.

mod attention;
mod blocks;
mod classifier;
pub mod coref;
mod embedding;
pub mod gradcheck;
pub mod head_study;
mod linear;
mod loss;
mod mlp;
mod norm;
mod optim;
mod param;
pub mod position_task;
mod recall;
pub mod rnn;
pub mod seq2seq;
mod task;
pub mod translate;
pub mod translator;
mod two_lookup;

pub use attention::{AttentionCache, AttentionGrads, MhaConfig, MultiHeadAttention, Relative};
pub use blocks::{
    residual_add, DecoderCache, DecoderGrads, DecoderLayer, EncoderCache, EncoderLayer,
};
pub use classifier::{
    argmax, Answer, ClassifierCache, ClassifierConfig, ClassifierStep, EncoderClassifier, Question,
};
pub use embedding::{Embedding, EmbeddingCache, PositionalCache, PositionalEmbedding};
pub use linear::{Linear, LinearCache};
pub use loss::{softmax_cross_entropy, CrossEntropy};
pub use mlp::{Mlp, MlpCache};
pub use norm::{LayerNorm, LayerNormCache};
pub use optim::{clip_grad_norm, Adam, Optimizer, Sgd};
pub use param::{Module, Param};
pub use recall::{RecallCache, RecallConfig, RecallModel, StepStats};
pub use task::{AssocRecall, Batch};
pub use two_lookup::TwoLookup;

use crate::error::{dims, ensure_finite};
use crate::{AttnError, Mat};

/// Err unless `m` has exactly `cols` columns and at least one row.
pub(crate) fn check_width(field: &str, m: &Mat, cols: usize, label: &str) -> Result<(), AttnError> {
    if m.nrows() == 0 || m.ncols() != cols {
        return Err(AttnError::shape(
            field,
            format!("n x {cols} (n x {label}, n >= 1)"),
            dims(m),
        ));
    }
    Ok(())
}

/// Err unless `m` is exactly `rows x cols`.
pub(crate) fn check_shape(field: &str, m: &Mat, rows: usize, cols: usize) -> Result<(), AttnError> {
    if m.nrows() != rows || m.ncols() != cols {
        return Err(AttnError::shape(field, format!("{rows} x {cols}"), dims(m)));
    }
    Ok(())
}

/// Err naming `name` if `v == 0`.
pub(crate) fn nonzero(name: &str, v: usize) -> Result<(), AttnError> {
    if v == 0 {
        return Err(AttnError::value(name, "must be at least 1, got 0"));
    }
    Ok(())
}

/// [`ensure_finite`] with a fast path (one pass over the storage).
pub(crate) fn finite(field: &str, m: &Mat) -> Result<(), AttnError> {
    if m.as_slice().iter().all(|v| v.is_finite()) {
        return Ok(());
    }
    ensure_finite(field, m)
}
