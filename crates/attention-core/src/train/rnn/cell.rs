//! The vanilla (Elman) RNN cell over a whole sequence, with
//! backpropagation through time.
//!
//! Shapes: `x` is `n x d_in` (row t is `x_t`), `W_x` is `d_in x d_h`, `W_h`
//! is `d_h x d_h`, `b` is `1 x d_h`; the pre-activations `a_t = x_t W_x +
//! h_{t-1} W_h + b` and the states `h_t = f(a_t)` are stacked into
//! `n x d_h`; `h_{-1} = 0`.
//!
//! Backward (t from n-1 down to 0): `g_t = dL/dh_t (direct) + c_t`, where
//! `c_t` is what flows back from position t+1 (`c_{n-1} = 0`);
//! `da_t = g_t ⊙ f'(a_t)` (`1 - h_t^2` for tanh, 1 for the linear cell);
//! `c_{t-1} = da_t W_h^T`; then `dW_x = X^T dA`, `dW_h = H_prev^T dA`,
//! `db = colsum(dA)` and `dX = dA W_x^T`. For the linear cell
//! `dL/dh_t = g (W_h^T)^{n-1-t}` when only the last state has a loss `g`:
//! the gradient is multiplied by `W_h^T` once per step back.

use super::super::{check_shape, check_width, finite, nonzero, Module, Param};
use super::{add_column_sums, add_row, previous_states, Bptt, RecurrentInit};
use crate::{AttnError, Mat, Rng};
use nalgebra::DVector;

/// The cell's nonlinearity f.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `h_t = tanh(a_t)`.
    Tanh,
    /// `h_t = a_t`: a linear RNN, whose gradients the theory gives exactly.
    Linear,
}

/// `h_t = f(x_t W_x + h_{t-1} W_h + b)`.
#[derive(Clone, Debug, PartialEq)]
pub struct RnnCell {
    /// Input weights `W_x`, `d_in x d_h`.
    pub w_x: Param,
    /// Recurrent weights `W_h`, `d_h x d_h`.
    pub w_h: Param,
    /// Bias `b`, `1 x d_h`.
    pub b: Param,
    /// The nonlinearity (may be switched at any time).
    pub activation: Activation,
}

/// What [`RnnCell::forward`] computed, all of it (a lesson may show any).
#[derive(Clone, Debug, PartialEq)]
pub struct RnnCache {
    /// The input, `n x d_in`.
    pub x: Mat,
    /// Pre-activations `a_t`, `n x d_h`.
    pub pre: Mat,
    /// States `h_t`, `n x d_h` (the same matrix forward returns).
    pub states: Mat,
}

impl RnnCell {
    /// Seeded cell: `W_x` entries `N(0, 1/d_in)`, `W_h` drawn by `init`
    /// (spectral radius `init.radius`), `b = 0`. Err if a size is 0 or the
    /// radius is bad.
    pub fn new(
        d_in: usize,
        d_h: usize,
        activation: Activation,
        init: RecurrentInit,
        rng: &mut Rng,
    ) -> Result<Self, AttnError> {
        nonzero("d_in", d_in)?;
        nonzero("d_hidden", d_h)?;
        let w_x = rng.normal_matrix(d_in, d_h, (1.0 / d_in as f64).sqrt());
        let w_h = init.matrix(d_h, rng)?;
        Ok(RnnCell {
            w_x: Param::new(w_x),
            w_h: Param::new(w_h),
            b: Param::new(Mat::zeros(1, d_h)),
            activation,
        })
    }

    /// A cell with the given `w_x` (`d_in x d_h`), `w_h` (`d_h x d_h`) and
    /// `b` (`1 x d_h`). Err on empty or mismatched shapes or non-finite
    /// entries.
    pub fn from_weights(
        w_x: Mat,
        w_h: Mat,
        b: Mat,
        activation: Activation,
    ) -> Result<Self, AttnError> {
        nonzero("w_x rows (d_in)", w_x.nrows())?;
        nonzero("w_x cols (d_hidden)", w_x.ncols())?;
        let d_h = w_x.ncols();
        check_shape("w_h", &w_h, d_h, d_h)?;
        check_shape("b", &b, 1, d_h)?;
        for (name, m) in [("w_x", &w_x), ("w_h", &w_h), ("b", &b)] {
            finite(name, m)?;
        }
        Ok(RnnCell {
            w_x: Param::new(w_x),
            w_h: Param::new(w_h),
            b: Param::new(b),
            activation,
        })
    }

    /// Input width `d_in`.
    pub fn d_in(&self) -> usize {
        self.w_x.value.nrows()
    }

    /// State width `d_h`.
    pub fn d_hidden(&self) -> usize {
        self.w_x.value.ncols()
    }

    /// `x` (`n x d_in`, n >= 1) -> the states (`n x d_h`) and the cache.
    /// Err on an empty or wrong-width input, non-finite values, mismatched
    /// parameter shapes, or states that overflow (a linear cell with a
    /// radius above 1 on a very long sequence).
    pub fn forward(&self, x: &Mat) -> Result<(Mat, RnnCache), AttnError> {
        let d_h = self.d_hidden();
        check_width("rnn.x", x, self.d_in(), "d_in")?;
        finite("rnn.x", x)?;
        self.check()?;
        // Columns are positions here (the transposed system), so each step
        // is one allocation-free gemv: a_t^T += W_h^T h_{t-1}^T.
        let mut pre = x * &self.w_x.value;
        add_row(&mut pre, &self.b.value);
        let mut pre_t = pre.transpose();
        let w_h_t = self.w_h.value.transpose();
        let mut states_t = Mat::zeros(d_h, x.nrows());
        let mut h = DVector::zeros(d_h);
        for (mut a, mut out) in pre_t.column_iter_mut().zip(states_t.column_iter_mut()) {
            a.gemv(1.0, &w_h_t, &h, 1.0);
            h.copy_from(&a);
            if self.activation == Activation::Tanh {
                h.apply(|v| *v = v.tanh());
            }
            out.copy_from(&h);
        }
        let (pre, states) = (pre_t.transpose(), states_t.transpose());
        finite("rnn.states", &states)?;
        Ok((
            states.clone(),
            RnnCache {
                x: x.clone(),
                pre,
                states,
            },
        ))
    }

    /// Backpropagation through time. `d_states` (`n x d_h`) is the direct
    /// gradient of the loss with respect to each state (zero rows where a
    /// position has no loss). Adds `dW_x`, `dW_h`, `db` into the params and
    /// returns `dL/dx` (`n x d_in`) and the total `dL/dh_t` (`n x d_h`).
    /// Err if `d_states` does not match the cached forward pass.
    pub fn backward(&mut self, cache: &RnnCache, d_states: &Mat) -> Result<Bptt, AttnError> {
        let d_h = self.d_hidden();
        let n = cache.states.nrows();
        self.check()?;
        check_shape("rnn.d_states", d_states, n, d_h)?;
        check_shape("rnn.cache.states", &cache.states, n, d_h)?;
        check_shape("rnn.cache.x", &cache.x, n, self.d_in())?;
        // Transposed system (columns are positions): c_{t-1}^T = W_h da_t^T.
        let mut total = d_states.transpose();
        let states_t = cache.states.transpose();
        let mut d_pre_t = Mat::zeros(d_h, n);
        let mut carry = DVector::zeros(d_h);
        for t in (0..n).rev() {
            let mut g = total.column_mut(t);
            g += &carry;
            let mut da = d_pre_t.column_mut(t);
            da.copy_from(&g);
            if self.activation == Activation::Tanh {
                da.zip_apply(&states_t.column(t), |d, h| *d *= 1.0 - h * h);
            }
            carry.gemv(1.0, &self.w_h.value, &da, 0.0);
        }
        let (total, d_pre) = (total.transpose(), d_pre_t.transpose());
        let prev = previous_states(&cache.states);
        self.w_x.grad.gemm_tr(1.0, &cache.x, &d_pre, 1.0);
        self.w_h.grad.gemm_tr(1.0, &prev, &d_pre, 1.0);
        add_column_sums(&mut self.b.grad, &d_pre);
        Ok(Bptt {
            d_x: &d_pre * self.w_x.value.transpose(),
            d_states: total,
        })
    }
}

impl RnnCell {
    /// Err unless `w_h` is `d_h x d_h`, `b` is `1 x d_h` and every gradient
    /// has its parameter's shape.
    fn check(&self) -> Result<(), AttnError> {
        let d_h = self.d_hidden();
        check_shape("rnn.w_h", &self.w_h.value, d_h, d_h)?;
        check_shape("rnn.b", &self.b.value, 1, d_h)?;
        super::check_grads("rnn", self)
    }
}

impl Module for RnnCell {
    fn params(&self) -> Vec<&Param> {
        vec![&self.w_x, &self.w_h, &self.b]
    }
    fn params_mut(&mut self) -> Vec<&mut Param> {
        vec![&mut self.w_x, &mut self.w_h, &mut self.b]
    }
}
