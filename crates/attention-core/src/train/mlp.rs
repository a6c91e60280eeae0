//! The position-wise feed-forward block: `Linear -> ReLU -> Linear`.
//!
//! Shapes: `x` is `n x d_in`, hidden is `n x d_hidden`, `y` is `n x d_out`.

use super::{Linear, LinearCache, Module, Param};
use crate::{AttnError, Mat, Rng};

/// `y = relu(x W1 + b1) W2 + b2`.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    /// First layer, `d_in x d_hidden`.
    pub l1: Linear,
    /// Second layer, `d_hidden x d_out`.
    pub l2: Linear,
}

/// What [`Mlp::backward`] needs.
#[derive(Clone, Debug, PartialEq)]
pub struct MlpCache {
    c1: LinearCache,
    c2: LinearCache,
    /// Pre-activation `x W1 + b1`, `n x d_hidden`.
    pub pre: Mat,
}

impl Mlp {
    /// Seeded layers (see [`Linear::new`]). Err if a size is 0.
    pub fn new(
        d_in: usize,
        d_hidden: usize,
        d_out: usize,
        rng: &mut Rng,
    ) -> Result<Self, AttnError> {
        Ok(Mlp {
            l1: Linear::new(d_in, d_hidden, rng)?,
            l2: Linear::new(d_hidden, d_out, rng)?,
        })
    }

    /// `x` (`n x d_in`) -> `y` (`n x d_out`). Err on a wrong width or an empty
    /// or non-finite input.
    pub fn forward(&self, x: &Mat) -> Result<(Mat, MlpCache), AttnError> {
        let (pre, c1) = self.l1.forward(x)?;
        let hidden = pre.map(|v| v.max(0.0));
        let (y, c2) = self.l2.forward(&hidden)?;
        Ok((y, MlpCache { c1, c2, pre }))
    }

    /// `d_y` (`n x d_out`) -> `d_x` (`n x d_in`); adds both layers' grads.
    /// (The ReLU derivative at exactly 0 is taken as 0.)
    pub fn backward(&mut self, cache: &MlpCache, d_y: &Mat) -> Result<Mat, AttnError> {
        let d_hidden = self.l2.backward(&cache.c2, d_y)?;
        let d_pre = d_hidden.zip_map(&cache.pre, |g, p| if p > 0.0 { g } else { 0.0 });
        self.l1.backward(&cache.c1, &d_pre)
    }
}

impl Module for Mlp {
    fn params(&self) -> Vec<&Param> {
        let mut v = self.l1.params();
        v.extend(self.l2.params());
        v
    }
    fn params_mut(&mut self) -> Vec<&mut Param> {
        let mut v = self.l1.params_mut();
        v.extend(self.l2.params_mut());
        v
    }
}
