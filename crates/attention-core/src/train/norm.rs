//! Layer normalisation over the features of each row.
//!
//! For a row `x` of width d: `mu = mean(x)`, `var = mean((x - mu)^2)`,
//! `xhat = (x - mu) / sqrt(var + eps)`, `y = gamma ⊙ xhat + beta`.
//! `gamma` and `beta` are `1 x d`; `x` and `y` are `n x d`.
//!
//! Backward per row (`g = d_y ⊙ gamma`):
//! `d_x = (g - mean(g) - xhat * mean(g ⊙ xhat)) / sqrt(var + eps)`.

use super::{check_shape, check_width, nonzero, Module, Param};
use crate::{AttnError, Mat};

/// Layer norm with learned gain `gamma` (`1 x d`, starts at 1) and shift
/// `beta` (`1 x d`, starts at 0).
#[derive(Clone, Debug, PartialEq)]
pub struct LayerNorm {
    /// Gain, `1 x d`.
    pub gamma: Param,
    /// Shift, `1 x d`.
    pub beta: Param,
    /// Added to the variance, > 0 (default `1e-5`).
    pub eps: f64,
}

/// What [`LayerNorm::backward`] needs.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerNormCache {
    /// Normalised input, `n x d`.
    pub xhat: Mat,
    /// `1 / sqrt(var + eps)` of each row (length n).
    pub inv_std: Vec<f64>,
}

impl LayerNorm {
    /// Layer norm over width `d` (`gamma = 1`, `beta = 0`, `eps = 1e-5`).
    /// Err if `d == 0`.
    pub fn new(d: usize) -> Result<Self, AttnError> {
        nonzero("d", d)?;
        Ok(LayerNorm {
            gamma: Param::new(Mat::from_element(1, d, 1.0)),
            beta: Param::new(Mat::zeros(1, d)),
            eps: 1e-5,
        })
    }

    /// Width d.
    pub fn d(&self) -> usize {
        self.gamma.value.ncols()
    }

    /// `x` (`n x d`, n >= 1) -> `y` (`n x d`). Err on a wrong width, an empty
    /// or non-finite input, or `eps` not finite and > 0.
    pub fn forward(&self, x: &Mat) -> Result<(Mat, LayerNormCache), AttnError> {
        let d = self.d();
        check_width("layer_norm.x", x, d, "d")?;
        super::finite("layer_norm.x", x)?;
        if !self.eps.is_finite() || self.eps <= 0.0 {
            return Err(AttnError::value(
                "layer_norm.eps",
                format!("must be finite and > 0, got {}", self.eps),
            ));
        }
        check_shape("layer_norm.gamma", &self.gamma.value, 1, d)?;
        check_shape("layer_norm.beta", &self.beta.value, 1, d)?;
        let n = x.nrows();
        let mut xhat = Mat::zeros(n, d);
        let mut y = Mat::zeros(n, d);
        let mut inv_std = Vec::with_capacity(n);
        let params = || self.gamma.value.iter().zip(self.beta.value.iter());
        for ((row, mut xhat_row), mut y_row) in
            x.row_iter().zip(xhat.row_iter_mut()).zip(y.row_iter_mut())
        {
            let mu = row.sum() / d as f64;
            let var = row.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / d as f64;
            let s = 1.0 / (var + self.eps).sqrt();
            inv_std.push(s);
            for (((&v, xh), out), (&gamma, &beta)) in row
                .iter()
                .zip(xhat_row.iter_mut())
                .zip(y_row.iter_mut())
                .zip(params())
            {
                let h = (v - mu) * s;
                *xh = h;
                *out = gamma * h + beta;
            }
        }
        Ok((y, LayerNormCache { xhat, inv_std }))
    }

    /// `d_y` (`n x d`) -> `d_x` (`n x d`); adds `sum_i d_y ⊙ xhat` to
    /// `gamma.grad` and `sum_i d_y` to `beta.grad`. Err if `d_y`, the cache
    /// or the parameters do not have the shapes of the forward pass.
    // reason: every index is in range by the shape checks at the top (i < n,
    // j < d); one fused pass is the clearest form of the formula.
    #[allow(clippy::indexing_slicing)]
    pub fn backward(&mut self, cache: &LayerNormCache, d_y: &Mat) -> Result<Mat, AttnError> {
        let d = self.d();
        let n = cache.xhat.nrows();
        check_shape("layer_norm.d_y", d_y, n, d)?;
        check_shape("layer_norm.cache.xhat", &cache.xhat, n, d)?;
        check_shape("layer_norm.gamma", &self.gamma.value, 1, d)?;
        check_shape("layer_norm.gamma.grad", &self.gamma.grad, 1, d)?;
        check_shape("layer_norm.beta.grad", &self.beta.grad, 1, d)?;
        if cache.inv_std.len() != n {
            return Err(AttnError::shape(
                "layer_norm.cache.inv_std",
                format!("{n} entries (one per row)"),
                format!("{} entries", cache.inv_std.len()),
            ));
        }
        let mut d_x = Mat::zeros(n, d);
        let mut g = vec![0.0; d];
        for i in 0..n {
            let (mut mean_g, mut mean_gx) = (0.0, 0.0);
            for (j, gj) in g.iter_mut().enumerate() {
                let dy = d_y[(i, j)];
                let xh = cache.xhat[(i, j)];
                self.gamma.grad[(0, j)] += dy * xh;
                self.beta.grad[(0, j)] += dy;
                *gj = dy * self.gamma.value[(0, j)];
                mean_g += *gj;
                mean_gx += *gj * xh;
            }
            mean_g /= d as f64;
            mean_gx /= d as f64;
            for (j, gj) in g.iter().enumerate() {
                d_x[(i, j)] = (gj - mean_g - cache.xhat[(i, j)] * mean_gx) * cache.inv_std[i];
            }
        }
        Ok(d_x)
    }
}

impl Module for LayerNorm {
    fn params(&self) -> Vec<&Param> {
        vec![&self.gamma, &self.beta]
    }
    fn params_mut(&mut self) -> Vec<&mut Param> {
        vec![&mut self.gamma, &mut self.beta]
    }
}
