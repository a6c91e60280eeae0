//! `attention-core`: the pure-math engine behind Attention Lab.
//!
//! Everything is `f64` and uses the row-vector convention: rows of a matrix
//! are positions, so `Q = X W_Q` with `X` of shape `n x d_model` and `W_Q` of
//! shape `d_model x d_k`. The crate has no web, thread, time or filesystem
//! dependencies and compiles for `wasm32-unknown-unknown`.
//!
//! * [`attention_trace`] runs (multi-head) attention and returns every
//!   intermediate matrix;
//! * [`order`] sorts the short lists the engine builds (insertion: little code);
//! * [`permutation`] measures permutation equivariance (reorder, compare rows);
//! * [`position`] holds the positional encodings (sinusoidal, RoPE, ALiBi,
//!   learned);
//! * [`efficient`] computes attention without the n x n matrix (linear,
//!   tiled with an online softmax, ring) next to the dense reference;
//! * [`cost`] counts scores, bytes and FLOPs of the n x n matrix (and the KV
//!   cache); [`sparse`] holds sparse attention patterns, masks and reach;
//! * [`stats`] measures attention rows (entropy, softmax Jacobian, ...);
//! * [`gpt`] loads GPT-2-family checkpoints (safetensors, byte-level BPE)
//!   and runs them, with head scores and ablation (the one part in `f32`,
//!   like the checkpoints and the reference it is checked against);
//! * [`spec`] is the JSON contract used by the `attention-trace` command;
//! * [`train`] is the training engine (layers with backpropagation,
//!   optimizers, the lessons' tasks, corpora and models); [`train::rnn`]
//!   holds the recurrent cells, backpropagation through time and the
//!   RNN-against-attention measurements.
//!
//! Every fallible function returns [`AttnError`], whose `Display` is one line
//! naming the offending field and its shape.
#![forbid(unsafe_code)]

pub mod attention;
pub mod case;
pub mod cost;
pub mod efficient;
pub mod embed;
pub mod error;
pub mod explain;
pub mod gpt;
pub mod order;
pub mod permutation;
pub mod position;
pub mod rng;
pub mod scaling;
pub mod softmax;
pub mod sparse;
pub mod spec;
pub mod stats;
pub mod train;
pub mod weights;

pub use nalgebra::DMatrix;

/// The matrix type used everywhere: dense, heap-allocated, `f64`.
pub type Mat = DMatrix<f64>;

pub use attention::{
    attention_scores, attention_softmax, attention_trace, AttentionConfig, HeadScores, HeadSoftmax,
    HeadTrace, Mask, Scored, Softened, Trace,
};
pub use embed::{embed_tokens, word_embedding};
pub use error::AttnError;
pub use explain::contributions;
pub use position::{alibi_bias, alibi_slopes, learned_table, rope_rotate, sinusoidal, Position};
pub use rng::Rng;
pub use softmax::{softmax, softmax_rows};
pub use stats::{
    dot_product_samples, entropy_bits, jacobian_norm, max_weight, row_stats, softmax_jacobian,
    variance, RowStats,
};
pub use train::{Module, Optimizer, Param};
pub use weights::{HeadWeights, MultiHeadWeights};
