//! How far a gradient reaches back: the norm of `d(loss at the last
//! position) / d(input at position t)` for every t, for any layer that maps
//! a sequence to a sequence ([`SequenceLayer`]: [`RnnCell`], [`GruCell`] and
//! [`MultiHeadAttention`] as self-attention), and the decay rate per step
//! fitted to those norms.
//!
//! The loss is `L = g · y_{n-1}` for a fixed row `g` (`1 x d_out`): the
//! output gradient is `g` at the last position and 0 elsewhere, so
//! `dL/dx_t` is row t of one backward pass. For a trained classifier the
//! same measurement with its real loss is
//! [`SeqClassifier::reach`](super::SeqClassifier::reach).
//!
//! Theory for the linear cell with `W_h = rho Q` (Q orthogonal, see
//! [`init`](super::init)): `dL/dh_t = g (W_h^T)^{n-1-t}` has norm exactly
//! `rho^{n-1-t} ||g||`, and `||dL/dx_t|| = ||W_x (dL/dh_t)^T||` lies
//! between `sigma_min(W_x)` and `sigma_max(W_x)` times that when
//! `d_in >= d_h` (below `sigma_max` times it in any case), so the fitted
//! rate per step tends to `rho` (within a factor
//! `(sigma_max / sigma_min)^{1/(n-1)}` at worst). In self-attention every input is one step from every output:
//! the norm does not depend on the distance, only on the attention weights.

use super::{GruCell, RnnCell};
use crate::train::{Module, MultiHeadAttention};
use crate::{AttnError, Mat, Rng};

/// A layer mapping a sequence (`n x d_in`, rows are positions) to a
/// sequence (`n x d_out`) that can return the gradient with respect to its
/// input.
pub trait SequenceLayer: Module + Clone {
    /// Input width `d_in`.
    fn input_width(&self) -> usize;
    /// Output width `d_out`.
    fn output_width(&self) -> usize;
    /// `x` (`n x d_in`) -> `y` (`n x d_out`).
    fn outputs(&self, x: &Mat) -> Result<Mat, AttnError>;
    /// `x` (`n x d_in`) and `d_y` (`n x d_out`) -> `dL/dx` (`n x d_in`) for
    /// `L = sum(d_y ⊙ y)`; adds the parameter gradients into the params.
    fn input_grad(&mut self, x: &Mat, d_y: &Mat) -> Result<Mat, AttnError>;
}

/// Implements [`SequenceLayer`] for a recurrent cell with `d_in`,
/// `d_hidden`, `forward` and `backward` (returning [`Bptt`](super::Bptt)).
macro_rules! recurrent_layer {
    ($cell:ty) => {
        impl SequenceLayer for $cell {
            fn input_width(&self) -> usize {
                self.d_in()
            }
            fn output_width(&self) -> usize {
                self.d_hidden()
            }
            fn outputs(&self, x: &Mat) -> Result<Mat, AttnError> {
                Ok(self.forward(x)?.0)
            }
            fn input_grad(&mut self, x: &Mat, d_y: &Mat) -> Result<Mat, AttnError> {
                let (_, cache) = self.forward(x)?;
                Ok(self.backward(&cache, d_y)?.d_x)
            }
        }
    };
}
recurrent_layer!(RnnCell);
recurrent_layer!(GruCell);

/// Self-attention (`x` is both the query and the key/value input).
impl SequenceLayer for MultiHeadAttention {
    fn input_width(&self) -> usize {
        self.cfg.d_q_in
    }
    fn output_width(&self) -> usize {
        self.cfg.d_out
    }
    fn outputs(&self, x: &Mat) -> Result<Mat, AttnError> {
        Ok(self.forward_self(x)?.0)
    }
    fn input_grad(&mut self, x: &Mat, d_y: &Mat) -> Result<Mat, AttnError> {
        let (_, cache) = self.forward_self(x)?;
        self.backward_self(&cache, d_y)
    }
}

/// A least-squares line through `(k, ln norm_k)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DecayFit {
    /// Slope of `ln norm` per step of distance.
    pub slope: f64,
    /// `exp(slope)`: the factor the norm is multiplied by per step back
    /// (below 1 vanishing, above 1 exploding, 1 flat).
    pub rate: f64,
    /// `ln norm` of the line at distance 0.
    pub intercept: f64,
    /// Coefficient of determination of the line, in [0, 1] (1 when every
    /// point is on it, or when all points are equal).
    pub r_squared: f64,
    /// How many norms were fitted (zero and non-finite norms are skipped).
    pub points: usize,
}

/// Fits `ln norms[k] = intercept + slope k` by least squares, `norms`
/// indexed by distance k. Norms that are 0 or not finite are skipped. Err
/// if fewer than two remain.
pub fn decay_fit(norms: &[f64]) -> Result<DecayFit, AttnError> {
    let pts: Vec<(f64, f64)> = norms
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite() && **v > 0.0)
        .map(|(k, v)| (k as f64, v.ln()))
        .collect();
    if pts.len() < 2 {
        return Err(AttnError::value(
            "norms",
            format!(
                "need at least 2 positive finite norms to fit a rate, got {}",
                pts.len()
            ),
        ));
    }
    let m = pts.len() as f64;
    let mean_k = pts.iter().map(|p| p.0).sum::<f64>() / m;
    let mean_y = pts.iter().map(|p| p.1).sum::<f64>() / m;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for &(k, y) in &pts {
        sxy += (k - mean_k) * (y - mean_y);
        sxx += (k - mean_k) * (k - mean_k);
        syy += (y - mean_y) * (y - mean_y);
    }
    let slope = sxy / sxx;
    let r_squared = if syy > 0.0 {
        (sxy * sxy / (sxx * syy)).clamp(0.0, 1.0)
    } else {
        1.0
    };
    Ok(DecayFit {
        slope,
        rate: slope.exp(),
        intercept: mean_y - slope * mean_k,
        r_squared,
        points: pts.len(),
    })
}

/// The gradient of the last position's loss with respect to every input,
/// measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Reach {
    /// `dL/dx`, `n x d_in` (row t is position t).
    pub grads: Mat,
    /// `norms[k] = ||dL/dx_{n-1-k}||`: indexed by the distance k from the
    /// last position, `k = 0..n-1`.
    pub norms: Vec<f64>,
    /// The rate fitted to `norms` against k.
    pub fit: DecayFit,
}

impl Reach {
    /// The reach of `grads` (`n x d_in`, the gradient of the last
    /// position's loss with respect to each input row). Err if `grads` has
    /// fewer than two rows with a positive finite norm.
    pub fn of_grads(grads: Mat) -> Result<Self, AttnError> {
        let mut norms: Vec<f64> = grads.row_iter().map(|r| r.norm()).collect();
        norms.reverse();
        let fit = decay_fit(&norms)?;
        Ok(Reach { grads, norms, fit })
    }
}

/// The reach of `layer` on `x` (`n x d_in`, n >= 2) for the loss
/// `L = d_last · y_{n-1}` (`d_last` is `1 x d_out`). The layer is not
/// changed (the backward pass runs on a copy). Err on bad shapes or values.
pub fn gradient_reach<L: SequenceLayer>(
    layer: &L,
    x: &Mat,
    d_last: &Mat,
) -> Result<Reach, AttnError> {
    let d_out = layer.output_width();
    super::super::check_shape("d_last", d_last, 1, d_out)?;
    super::super::check_width("x", x, layer.input_width(), "d_in")?;
    let n = x.nrows();
    let mut d_y = Mat::zeros(n, d_out);
    d_y.row_mut(n - 1).copy_from(d_last);
    let mut copy = layer.clone();
    Reach::of_grads(copy.input_grad(x, &d_y)?)
}

/// A seeded probe for [`gradient_reach`]: an input of `N(0, 1)` entries
/// (`n x d_in`) and a loss direction of unit norm (`1 x d_out`).
pub fn probe(n: usize, d_in: usize, d_out: usize, seed: u64) -> (Mat, Mat) {
    let mut rng = Rng::new(seed);
    let x = rng.normal_matrix(n, d_in, 1.0);
    let mut g = rng.normal_matrix(1, d_out, 1.0);
    let norm = g.norm();
    if norm > 0.0 {
        g /= norm;
    }
    (x, g)
}
