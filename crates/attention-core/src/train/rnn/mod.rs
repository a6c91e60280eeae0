//! Recurrent networks against attention (chapter 9, "Why attention replaced
//! RNNs"): the cells, backpropagation through time, how far a gradient
//! reaches back, a long-range task with its three models, and the work and
//! schedule counts of both kinds of layer.
//!
//! Conventions as in the rest of the training engine: rows are positions, a
//! sequence is `n x d`, `y = x W + b` with `W` of shape `d_in x d_out`, the
//! hidden state is a row `1 x d_h` and the states of a sequence are stacked
//! into `n x d_h` (row t is `h_t`). The state before the first position is
//! `h_{-1} = 0`.
//!
//! * [`RnnCell`]: `h_t = f(x_t W_x + h_{t-1} W_h + b)` with `f = tanh` or the
//!   identity ([`Activation::Linear`], the case the theory is exact for);
//! * [`GruCell`]: the gated cell (why a GRU and not an LSTM: see its docs);
//! * [`init`]: recurrent matrices with a chosen spectral radius (random
//!   orthogonal, or [`gaussian`] rescaled by the radius [`spectral_radius`]
//!   measures from the real Schur form);
//! * [`reach`]: the per-position norms `||dL_{n-1} / dx_t||` of any
//!   [`SequenceLayer`] (both cells and one self-attention layer) and their
//!   fitted decay rate per step;
//! * [`task`]: "recall the first token after d distractors", with a held-out
//!   split; [`model`]: the three classifiers (vanilla RNN, GRU, one attention
//!   layer) and [`RecallRace`], which trains them on the same batches;
//! * [`schedule`]: sequential steps, multiply-adds and rounds on P workers.
//!
//! Each cell's `forward` returns the states and a cache with every
//! intermediate (pre-activations, gates); `backward` takes the gradient of
//! the loss with respect to every state (`n x d_h`, zero rows where a
//! position has no loss), adds the parameter gradients into each
//! [`Param::grad`](super::Param) and returns the gradients with respect to
//! the inputs and to every state ([`Bptt`]).

mod cell;
mod gru;
pub mod init;
pub mod model;
pub mod reach;
pub mod schedule;
pub mod task;

pub use cell::{Activation, RnnCache, RnnCell};
pub use gru::{GruCache, GruCell};
pub use init::{gaussian, spectral_radius, RecurrentInit};
pub use model::{
    Body, BodyCache, BodyKind, DistanceAccuracy, RaceConfig, RaceRun, RecallRace, SeqClassifier,
    SeqClassifierCache, SeqClassifierConfig,
};
pub use reach::{decay_fit, gradient_reach, probe, DecayFit, Reach, SequenceLayer};
pub use task::RecallFirst;

use crate::Mat;

/// The gradients backpropagation through time returns (the parameter
/// gradients are added into the cell's params).
#[derive(Clone, Debug, PartialEq)]
pub struct Bptt {
    /// `dL/dx_t` for every position, `n x d_in`.
    pub d_x: Mat,
    /// The total `dL/dh_t` for every position (the direct gradient of
    /// position t plus everything flowing back from later positions),
    /// `n x d_h`.
    pub d_states: Mat,
}

/// The states shifted down by one row: row t is `h_{t-1}` (row 0 is
/// `h_{-1} = 0`), `n x d_h`.
pub(crate) fn previous_states(states: &Mat) -> Mat {
    let (n, d_h) = states.shape();
    let mut prev = Mat::zeros(n, d_h);
    if n > 1 {
        prev.rows_mut(1, n - 1).copy_from(&states.rows(0, n - 1));
    }
    prev
}

/// Adds the row vector `b` (`1 x d`) to every row of `m` (`n x d`).
pub(crate) fn add_row(m: &mut Mat, b: &Mat) {
    for (mut col, &v) in m.column_iter_mut().zip(b.iter()) {
        col.add_scalar_mut(v);
    }
}

/// Adds the column sums of `d` (`n x d`) to `grad` (`1 x d`).
pub(crate) fn add_column_sums(grad: &mut Mat, d: &Mat) {
    for (g, col) in grad.iter_mut().zip(d.column_iter()) {
        *g += col.sum();
    }
}

/// Err unless every parameter's gradient has the parameter's shape.
pub(crate) fn check_grads(label: &str, m: &dyn super::Module) -> Result<(), crate::AttnError> {
    for (i, p) in m.params().iter().enumerate() {
        let (r, c) = p.shape();
        super::check_shape(&format!("{label}.params[{i}].grad"), &p.grad, r, c)?;
    }
    Ok(())
}
