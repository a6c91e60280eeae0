//! A fully connected layer with bias: `y = x W + b`.
//!
//! Shapes: `x` is `n x d_in`, `W` is `d_in x d_out`, `b` is `1 x d_out`
//! (added to every row), `y` is `n x d_out`.

use super::{check_shape, check_width, nonzero, Module, Param};
use crate::{AttnError, Mat, Rng};

/// `y = x W + b`: `weight` is `d_in x d_out`, `bias` is `1 x d_out`.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    /// `W`, `d_in x d_out`.
    pub weight: Param,
    /// `b`, `1 x d_out`.
    pub bias: Param,
}

/// What [`Linear::backward`] needs: the input `x` (`n x d_in`).
#[derive(Clone, Debug, PartialEq)]
pub struct LinearCache {
    /// The input of the forward pass, `n x d_in`.
    pub x: Mat,
}

impl Linear {
    /// Seeded initialisation: `W` entries `N(0, 1/d_in)` (so a unit-variance
    /// input gives a unit-variance output), `b = 0`. Err if a size is 0.
    pub fn new(d_in: usize, d_out: usize, rng: &mut Rng) -> Result<Self, AttnError> {
        nonzero("d_in", d_in)?;
        nonzero("d_out", d_out)?;
        let w = rng.normal_matrix(d_in, d_out, (1.0 / d_in as f64).sqrt());
        Ok(Linear {
            weight: Param::new(w),
            bias: Param::new(Mat::zeros(1, d_out)),
        })
    }

    /// A layer with the given `weight` (`d_in x d_out`) and `bias`
    /// (`1 x d_out`). Err on empty or mismatched shapes or non-finite entries.
    pub fn from_weights(weight: Mat, bias: Mat) -> Result<Self, AttnError> {
        nonzero("weight rows (d_in)", weight.nrows())?;
        nonzero("weight cols (d_out)", weight.ncols())?;
        check_shape("bias", &bias, 1, weight.ncols())?;
        super::finite("weight", &weight)?;
        super::finite("bias", &bias)?;
        Ok(Linear {
            weight: Param::new(weight),
            bias: Param::new(bias),
        })
    }

    /// Input width `d_in`.
    pub fn d_in(&self) -> usize {
        self.weight.value.nrows()
    }

    /// Output width `d_out`.
    pub fn d_out(&self) -> usize {
        self.weight.value.ncols()
    }

    /// `x` (`n x d_in`, n >= 1) -> `y = x W + b` (`n x d_out`).
    /// Err if `x` is empty, has the wrong width or non-finite entries.
    pub fn forward(&self, x: &Mat) -> Result<(Mat, LinearCache), AttnError> {
        check_width("linear.x", x, self.d_in(), "d_in")?;
        super::finite("linear.x", x)?;
        check_shape("linear.bias", &self.bias.value, 1, self.d_out())?;
        let mut y = x * &self.weight.value;
        for (mut col, &b) in y.column_iter_mut().zip(self.bias.value.iter()) {
            col.add_scalar_mut(b);
        }
        Ok((y, LinearCache { x: x.clone() }))
    }

    /// `d_y` (`n x d_out`) -> `d_x = d_y W^T` (`n x d_in`); adds
    /// `x^T d_y` to `weight.grad` and the column sums of `d_y` to `bias.grad`.
    /// Err if `d_y` does not match the cached forward pass.
    pub fn backward(&mut self, cache: &LinearCache, d_y: &Mat) -> Result<Mat, AttnError> {
        check_shape("linear.d_y", d_y, cache.x.nrows(), self.d_out())?;
        check_shape("linear.bias.grad", &self.bias.grad, 1, self.d_out())?;
        self.weight.grad.gemm_tr(1.0, &cache.x, d_y, 1.0);
        for (g, col) in self.bias.grad.iter_mut().zip(d_y.column_iter()) {
            *g += col.sum();
        }
        Ok(d_y * self.weight.value.transpose())
    }
}

impl Module for Linear {
    fn params(&self) -> Vec<&Param> {
        vec![&self.weight, &self.bias]
    }
    fn params_mut(&mut self) -> Vec<&mut Param> {
        vec![&mut self.weight, &mut self.bias]
    }
}
