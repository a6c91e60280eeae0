//! The gated recurrent unit (Cho et al. 2014) over a whole sequence, with
//! backpropagation through time.
//!
//! Why a GRU and not an LSTM: the GRU keeps one state vector `h_t`, the same
//! quantity the vanilla cell has, so the chapter compares like with like
//! (the gradient with respect to one state, one input per position); it has
//! three weight blocks instead of four, so it is cheaper to train in the
//! browser and closer in size to the other models; and its update is the
//! interpolation `h_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ c_t`, whose Jacobian
//! contains the diagonal `1 - z_t`: where the update gate is near 0 the
//! gradient passes back almost unchanged, which is the whole point the
//! chapter makes about gates (the LSTM's cell state does the same with its
//! forget gate).
//!
//! Equations (rows are positions, `h_{-1} = 0`, σ the logistic function):
//! * `z_t = σ(x_t W_xz + h_{t-1} W_hz + b_z)` (update gate),
//! * `r_t = σ(x_t W_xr + h_{t-1} W_hr + b_r)` (reset gate),
//! * `c_t = tanh(x_t W_xc + (r_t ⊙ h_{t-1}) W_hc + b_c)` (candidate),
//! * `h_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ c_t`.
//!
//! Shapes: the three blocks are stored side by side in the column order
//! `[z | r | c]`: `W_x` is `d_in x 3 d_h`, `W_h` is `d_h x 3 d_h`, `b` is
//! `1 x 3 d_h`; `x` is `n x d_in`; gates, candidates and states are
//! `n x d_h` each.
//!
//! Backward at step t with `g = dL/dh_t` (direct plus from t+1):
//! `dz = g ⊙ (c - h_{t-1})`, `dc = g ⊙ z`, `da_c = dc ⊙ (1 - c^2)`,
//! `d(rh) = da_c W_hc^T`, `dr = d(rh) ⊙ h_{t-1}`, `da_z = dz ⊙ z(1 - z)`,
//! `da_r = dr ⊙ r(1 - r)`, and what flows to `h_{t-1}` is
//! `g ⊙ (1 - z) + d(rh) ⊙ r + da_z W_hz^T + da_r W_hr^T`.

use super::super::{check_shape, check_width, finite, nonzero, Module, Param};
use super::{add_column_sums, add_row, previous_states, Bptt, RecurrentInit};
use crate::{AttnError, Mat, Rng};
use nalgebra::RowDVector;

/// The GRU cell; see the module docs for the equations.
#[derive(Clone, Debug, PartialEq)]
pub struct GruCell {
    /// Input weights `[W_xz | W_xr | W_xc]`, `d_in x 3 d_h`.
    pub w_x: Param,
    /// Recurrent weights `[W_hz | W_hr | W_hc]`, `d_h x 3 d_h`.
    pub w_h: Param,
    /// Biases `[b_z | b_r | b_c]`, `1 x 3 d_h`.
    pub b: Param,
}

/// What [`GruCell::forward`] computed, all of it.
#[derive(Clone, Debug, PartialEq)]
pub struct GruCache {
    /// The input, `n x d_in`.
    pub x: Mat,
    /// Update gates `z_t`, `n x d_h` (in (0, 1)).
    pub z: Mat,
    /// Reset gates `r_t`, `n x d_h` (in (0, 1)).
    pub r: Mat,
    /// Candidates `c_t`, `n x d_h` (in (-1, 1)).
    pub c: Mat,
    /// States `h_t`, `n x d_h` (the same matrix forward returns).
    pub states: Mat,
}

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

impl GruCell {
    /// Seeded cell: `W_x` entries `N(0, 1/d_in)`; each of the three
    /// recurrent blocks drawn by `init` (so each has spectral radius
    /// `init.radius`); `b_z = update_bias` (negative: the gate starts mostly
    /// closed, keeping the state, as the LSTM's forget-gate bias of 1 in
    /// Jozefowicz et al. 2015), `b_r = b_c = 0`. Err if a size is 0, the
    /// radius is bad or `update_bias` is not finite.
    pub fn new(
        d_in: usize,
        d_h: usize,
        init: RecurrentInit,
        update_bias: f64,
        rng: &mut Rng,
    ) -> Result<Self, AttnError> {
        nonzero("d_in", d_in)?;
        nonzero("d_hidden", d_h)?;
        if !update_bias.is_finite() {
            return Err(AttnError::value(
                "update_bias",
                format!("must be finite, got {update_bias}"),
            ));
        }
        let w_x = rng.normal_matrix(d_in, 3 * d_h, (1.0 / d_in as f64).sqrt());
        let mut w_h = Mat::zeros(d_h, 3 * d_h);
        for k in 0..3 {
            w_h.columns_mut(k * d_h, d_h)
                .copy_from(&init.matrix(d_h, rng)?);
        }
        let mut b = Mat::zeros(1, 3 * d_h);
        b.columns_mut(0, d_h).fill(update_bias);
        Ok(GruCell {
            w_x: Param::new(w_x),
            w_h: Param::new(w_h),
            b: Param::new(b),
        })
    }

    /// Input width `d_in`.
    pub fn d_in(&self) -> usize {
        self.w_x.value.nrows()
    }

    /// State width `d_h`.
    pub fn d_hidden(&self) -> usize {
        self.w_h.value.nrows()
    }

    /// Err unless `w_x` is `d_in x 3 d_h`, `w_h` is `d_h x 3 d_h`, `b` is
    /// `1 x 3 d_h` and every gradient has its parameter's shape.
    fn check(&self) -> Result<(), AttnError> {
        let d_h = self.d_hidden();
        nonzero("gru.d_hidden", d_h)?;
        check_shape("gru.w_x", &self.w_x.value, self.d_in(), 3 * d_h)?;
        check_shape("gru.w_h", &self.w_h.value, d_h, 3 * d_h)?;
        check_shape("gru.b", &self.b.value, 1, 3 * d_h)?;
        super::check_grads("gru", self)
    }

    /// `x` (`n x d_in`, n >= 1) -> the states (`n x d_h`) and the cache
    /// (gates, candidates, states). Err on an empty or wrong-width input,
    /// non-finite values or mismatched parameter shapes.
    pub fn forward(&self, x: &Mat) -> Result<(Mat, GruCache), AttnError> {
        self.check()?;
        let d_h = self.d_hidden();
        check_width("gru.x", x, self.d_in(), "d_in")?;
        finite("gru.x", x)?;
        let n = x.nrows();
        // The input part of every gate, for all positions at once.
        let mut gx = x * &self.w_x.value;
        add_row(&mut gx, &self.b.value);
        let w_hzr = self.w_h.value.columns(0, 2 * d_h);
        let w_hc = self.w_h.value.columns(2 * d_h, d_h);
        let (mut z, mut r, mut c) = (Mat::zeros(n, d_h), Mat::zeros(n, d_h), Mat::zeros(n, d_h));
        let mut states = Mat::zeros(n, d_h);
        let mut h = Mat::zeros(1, d_h);
        for t in 0..n {
            let zr = gx.view((t, 0), (1, 2 * d_h)) + &h * w_hzr;
            let zt = zr.columns(0, d_h).map(sigmoid);
            let rt = zr.columns(d_h, d_h).map(sigmoid);
            let rh = rt.component_mul(&h);
            let ct = (gx.view((t, 2 * d_h), (1, d_h)) + rh * w_hc).map(f64::tanh);
            // h_t = h + z ⊙ (c - h)
            h += (&ct - &h).component_mul(&zt);
            z.row_mut(t).copy_from(&zt);
            r.row_mut(t).copy_from(&rt);
            c.row_mut(t).copy_from(&ct);
            states.row_mut(t).copy_from(&h);
        }
        finite("gru.states", &states)?;
        Ok((
            states.clone(),
            GruCache {
                x: x.clone(),
                z,
                r,
                c,
                states,
            },
        ))
    }

    /// Backpropagation through time. `d_states` (`n x d_h`) is the direct
    /// gradient of the loss with respect to each state. Adds `dW_x`, `dW_h`,
    /// `db` into the params and returns `dL/dx` (`n x d_in`) and the total
    /// `dL/dh_t` (`n x d_h`). Err if `d_states` does not match the cache.
    pub fn backward(&mut self, cache: &GruCache, d_states: &Mat) -> Result<Bptt, AttnError> {
        self.check()?;
        let d_h = self.d_hidden();
        let n = cache.states.nrows();
        check_shape("gru.d_states", d_states, n, d_h)?;
        check_shape("gru.cache.x", &cache.x, n, self.d_in())?;
        for (name, m) in [("gru.cache.z", &cache.z), ("gru.cache.r", &cache.r)] {
            check_shape(name, m, n, d_h)?;
        }
        check_shape("gru.cache.c", &cache.c, n, d_h)?;
        check_shape("gru.cache.states", &cache.states, n, d_h)?;
        let prev = previous_states(&cache.states);
        let w_hzr_t = self.w_h.value.columns(0, 2 * d_h).transpose();
        let w_hc_t = self.w_h.value.columns(2 * d_h, d_h).transpose();
        let mut total = d_states.clone();
        let mut d_pre = Mat::zeros(n, 3 * d_h);
        let mut carry = RowDVector::zeros(d_h);
        for t in (0..n).rev() {
            let mut g_row = total.row_mut(t);
            g_row += &carry;
            let g = g_row.into_owned();
            let (z, r, c, hp) = (cache.z.row(t), cache.r.row(t), cache.c.row(t), prev.row(t));
            let dz = g.component_mul(&(c - hp));
            let da_c = g
                .component_mul(&z)
                .zip_map(&c.into_owned(), |d, cv| d * (1.0 - cv * cv));
            let d_rh = &da_c * &w_hc_t;
            let dr = d_rh.component_mul(&hp);
            let da_z = dz.zip_map(&z.into_owned(), |d, zv| d * zv * (1.0 - zv));
            let da_r = dr.zip_map(&r.into_owned(), |d, rv| d * rv * (1.0 - rv));
            let mut da_zr = RowDVector::zeros(2 * d_h);
            da_zr.columns_mut(0, d_h).copy_from(&da_z);
            da_zr.columns_mut(d_h, d_h).copy_from(&da_r);
            carry = g.zip_map(&z.into_owned(), |gv, zv| gv * (1.0 - zv))
                + d_rh.component_mul(&r)
                + &da_zr * &w_hzr_t;
            let mut row = d_pre.row_mut(t);
            row.columns_mut(0, 2 * d_h).copy_from(&da_zr);
            row.columns_mut(2 * d_h, d_h).copy_from(&da_c);
        }
        let rh = cache.r.component_mul(&prev);
        self.w_x.grad.gemm_tr(1.0, &cache.x, &d_pre, 1.0);
        self.w_h
            .grad
            .columns_mut(0, 2 * d_h)
            .gemm_tr(1.0, &prev, &d_pre.columns(0, 2 * d_h), 1.0);
        self.w_h.grad.columns_mut(2 * d_h, d_h).gemm_tr(
            1.0,
            &rh,
            &d_pre.columns(2 * d_h, d_h),
            1.0,
        );
        add_column_sums(&mut self.b.grad, &d_pre);
        Ok(Bptt {
            d_x: &d_pre * self.w_x.value.transpose(),
            d_states: total,
        })
    }
}

impl Module for GruCell {
    fn params(&self) -> Vec<&Param> {
        vec![&self.w_x, &self.w_h, &self.b]
    }
    fn params_mut(&mut self) -> Vec<&mut Param> {
        vec![&mut self.w_x, &mut self.w_h, &mut self.b]
    }
}
