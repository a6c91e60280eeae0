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
use nalgebra::DVector;

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
        // The input part of every gate, for all positions at once; then
        // the recurrence with columns as positions (allocation-free gemvs).
        let mut gx = x * &self.w_x.value;
        add_row(&mut gx, &self.b.value);
        let gx_t = gx.transpose();
        let w_hzr_t = self.w_h.value.columns(0, 2 * d_h).transpose();
        let w_hc_t = self.w_h.value.columns(2 * d_h, d_h).transpose();
        let [mut z, mut r, mut c, mut states] = [(); 4].map(|_| Mat::zeros(d_h, n));
        let mut h = DVector::zeros(d_h);
        let mut zr = DVector::zeros(2 * d_h);
        let mut ct = DVector::zeros(d_h);
        let mut rh = DVector::zeros(d_h);
        for t in 0..n {
            let g = gx_t.column(t);
            zr.copy_from(&g.rows(0, 2 * d_h));
            zr.gemv(1.0, &w_hzr_t, &h, 1.0);
            zr.apply(|v| *v = sigmoid(*v));
            let (zt, rt) = (zr.rows(0, d_h), zr.rows(d_h, d_h));
            rh.copy_from(&rt);
            rh.component_mul_assign(&h);
            ct.copy_from(&g.rows(2 * d_h, d_h));
            ct.gemv(1.0, &w_hc_t, &rh, 1.0);
            ct.apply(|v| *v = v.tanh());
            // h_t = h + z ⊙ (c - h)
            h.zip_zip_apply(&zt, &ct, |hv, zv, cv| *hv += zv * (cv - *hv));
            z.column_mut(t).copy_from(&zt);
            r.column_mut(t).copy_from(&rt);
            c.column_mut(t).copy_from(&ct);
            states.column_mut(t).copy_from(&h);
        }
        let [z, r, c, states] = [z, r, c, states].map(|m| m.transpose());
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
        // Columns are positions: the products with W_h^T become gemvs with
        // W_h's blocks, without transposing.
        let w_hzr = self.w_h.value.columns(0, 2 * d_h);
        let w_hc = self.w_h.value.columns(2 * d_h, d_h);
        let [z_t, r_t, c_t, prev_t] = [&cache.z, &cache.r, &cache.c, &prev].map(|m| m.transpose());
        let mut total = d_states.transpose();
        let mut d_pre_t = Mat::zeros(3 * d_h, n);
        let mut carry = DVector::zeros(d_h);
        let mut d_rh = DVector::zeros(d_h);
        for t in (0..n).rev() {
            let mut g = total.column_mut(t);
            g += &carry;
            let (z, r, c, hp) = (
                z_t.column(t),
                r_t.column(t),
                c_t.column(t),
                prev_t.column(t),
            );
            let mut d = d_pre_t.column_mut(t);
            // da_z = g ⊙ (c - h_{t-1}) ⊙ z (1 - z)
            let mut da_z = d.rows_mut(0, d_h);
            da_z.copy_from(&c);
            da_z -= &hp;
            da_z.component_mul_assign(&g);
            da_z.zip_apply(&z, |v, zv| *v *= zv * (1.0 - zv));
            // da_c = g ⊙ z ⊙ (1 - c^2)
            let mut da_c = d.rows_mut(2 * d_h, d_h);
            da_c.copy_from(&g);
            da_c.zip_zip_apply(&z, &c, |v, zv, cv| *v *= zv * (1.0 - cv * cv));
            d_rh.gemv(1.0, &w_hc, &d.rows(2 * d_h, d_h), 0.0);
            // da_r = d(rh) ⊙ h_{t-1} ⊙ r (1 - r)
            let mut da_r = d.rows_mut(d_h, d_h);
            da_r.copy_from(&d_rh);
            da_r.zip_zip_apply(&hp, &r, |v, hv, rv| *v *= hv * rv * (1.0 - rv));
            // to h_{t-1}: g ⊙ (1 - z) + d(rh) ⊙ r + [da_z | da_r] [W_hz | W_hr]^T
            carry.copy_from(&g);
            carry.zip_apply(&z, |v, zv| *v *= 1.0 - zv);
            carry.zip_zip_apply(&d_rh, &r, |v, a, rv| *v += a * rv);
            carry.gemv(1.0, &w_hzr, &d.rows(0, 2 * d_h), 1.0);
        }
        let (total, d_pre) = (total.transpose(), d_pre_t.transpose());
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
