//! Optimizers that update any [`Module`](super::Module) through its
//! parameter list, and gradient-norm clipping.
//!
//! Use: `model.zero_grad(); /* forward + backward */ opt.step(model.params_mut())?;`
//! State (momentum, Adam moments) is kept per parameter, by position in the
//! list, with the parameter's shape; a list of another length or shape is an
//! error.

use super::Param;
use crate::{AttnError, Mat};

/// Something that updates parameters from their gradients.
pub trait Optimizer {
    /// Applies one update to every parameter (in [`Module::params_mut`]
    /// order). Err if the list does not match the one of earlier steps or a
    /// gradient is not finite (no parameter is changed then).
    ///
    /// [`Module::params_mut`]: super::Module::params_mut
    fn step(&mut self, params: Vec<&mut Param>) -> Result<(), AttnError>;

    /// The learning rate.
    fn learning_rate(&self) -> f64;

    /// Changes the learning rate (for schedules).
    fn set_learning_rate(&mut self, lr: f64);
}

/// Stochastic gradient descent with optional (heavy-ball) momentum:
/// `v = momentum * v + g`, `w -= lr * v`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sgd {
    /// Learning rate.
    pub lr: f64,
    /// Momentum in `[0, 1)`; 0 is plain SGD.
    pub momentum: f64,
    velocity: Vec<Mat>,
}

impl Sgd {
    /// SGD with learning rate `lr` and `momentum` (0 for none).
    pub fn new(lr: f64, momentum: f64) -> Self {
        Sgd {
            lr,
            momentum,
            velocity: Vec::new(),
        }
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, params: Vec<&mut Param>) -> Result<(), AttnError> {
        check_hyper("sgd.lr", self.lr, 0.0, f64::INFINITY)?;
        check_hyper("sgd.momentum", self.momentum, 0.0, 1.0)?;
        validate(&params, &mut self.velocity)?;
        for (p, v) in params.into_iter().zip(self.velocity.iter_mut()) {
            *v *= self.momentum;
            *v += &p.grad;
            for (w, &vi) in p.value.iter_mut().zip(v.iter()) {
                *w -= self.lr * vi;
            }
        }
        Ok(())
    }
    fn learning_rate(&self) -> f64 {
        self.lr
    }
    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }
}

/// Adam (Kingma & Ba) with bias correction:
/// `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g^2`,
/// `w -= lr * m_hat / (sqrt(v_hat) + eps)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Adam {
    /// Learning rate.
    pub lr: f64,
    /// First-moment decay b1 in `[0, 1)` (default 0.9).
    pub beta1: f64,
    /// Second-moment decay b2 in `[0, 1)` (default 0.999).
    pub beta2: f64,
    /// Added to the denominator, > 0 (default 1e-8).
    pub eps: f64,
    t: u64,
    m: Vec<Mat>,
    v: Vec<Mat>,
}

impl Adam {
    /// Adam with learning rate `lr` and the default betas and eps.
    pub fn new(lr: f64) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            t: 0,
            m: Vec::new(),
            v: Vec::new(),
        }
    }

    /// Number of steps taken so far.
    pub fn steps(&self) -> u64 {
        self.t
    }
}

impl Optimizer for Adam {
    fn step(&mut self, params: Vec<&mut Param>) -> Result<(), AttnError> {
        check_hyper("adam.lr", self.lr, 0.0, f64::INFINITY)?;
        check_hyper("adam.beta1", self.beta1, 0.0, 1.0)?;
        check_hyper("adam.beta2", self.beta2, 0.0, 1.0)?;
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(AttnError::value(
                "adam.eps",
                format!("must be finite and > 0, got {}", self.eps),
            ));
        }
        validate(&params, &mut self.m)?;
        validate(&params, &mut self.v)?;
        self.t += 1;
        let t = i32::try_from(self.t).unwrap_or(i32::MAX);
        let c1 = 1.0 - self.beta1.powi(t);
        let c2 = 1.0 - self.beta2.powi(t);
        let (b1, b2, lr, eps) = (self.beta1, self.beta2, self.lr, self.eps);
        for ((p, m), v) in params
            .into_iter()
            .zip(self.m.iter_mut())
            .zip(self.v.iter_mut())
        {
            for (((w, &g), m), v) in p
                .value
                .iter_mut()
                .zip(p.grad.iter())
                .zip(m.iter_mut())
                .zip(v.iter_mut())
            {
                *m = b1 * *m + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * g * g;
                *w -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
            }
        }
        Ok(())
    }
    fn learning_rate(&self) -> f64 {
        self.lr
    }
    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }
}

/// Scales all gradients so that their joint L2 norm is at most `max_norm`;
/// returns the norm before clipping. Err if `max_norm` is not finite and
/// > 0 or a gradient is not finite.
pub fn clip_grad_norm(params: Vec<&mut Param>, max_norm: f64) -> Result<f64, AttnError> {
    if !(max_norm.is_finite() && max_norm > 0.0) {
        return Err(AttnError::value(
            "max_norm",
            format!("must be finite and > 0, got {max_norm}"),
        ));
    }
    let norm = params
        .iter()
        .map(|p| p.grad.norm_squared())
        .sum::<f64>()
        .sqrt();
    if !norm.is_finite() {
        return Err(AttnError::value("grad", "gradient norm is not finite"));
    }
    if norm > max_norm {
        let s = max_norm / norm;
        for p in params {
            p.grad *= s;
        }
    }
    Ok(norm)
}

fn check_hyper(name: &str, v: f64, lo: f64, hi: f64) -> Result<(), AttnError> {
    if !(v.is_finite() && v >= lo && v < hi) {
        return Err(AttnError::value(
            name,
            format!("must be in [{lo}, {hi}), got {v}"),
        ));
    }
    Ok(())
}

/// Creates zero state on first use; checks count, shapes and finite grads.
fn validate(params: &[&mut Param], state: &mut Vec<Mat>) -> Result<(), AttnError> {
    if state.is_empty() {
        *state = params
            .iter()
            .map(|p| Mat::zeros(p.value.nrows(), p.value.ncols()))
            .collect();
    }
    if state.len() != params.len() {
        return Err(AttnError::shape(
            "params",
            format!("{} parameters (as at the first step)", state.len()),
            format!("{} parameters", params.len()),
        ));
    }
    for (i, (p, s)) in params.iter().zip(state.iter()).enumerate() {
        if p.value.shape() != s.shape() || p.grad.shape() != s.shape() {
            return Err(AttnError::shape(
                format!("params[{i}]"),
                format!("{} x {}", s.nrows(), s.ncols()),
                format!("{} x {}", p.value.nrows(), p.value.ncols()),
            ));
        }
        if !p.grad.as_slice().iter().all(|v| v.is_finite()) {
            crate::error::ensure_finite(&format!("params[{i}].grad"), &p.grad)?;
        }
    }
    Ok(())
}
