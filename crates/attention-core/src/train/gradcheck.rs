//! Central finite-difference gradient checks (used by the tests; lessons may
//! use them to show that backpropagation is right).
//!
//! `numeric[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)`, compared with the
//! analytic gradient by [`rel_error`].

use super::Module;
use crate::{AttnError, Mat};

/// The numeric gradient of `f` at `x` (same shape as `x`, `rows x cols`) by
/// central differences with step `h`.
pub fn numeric_grad(
    x: &Mat,
    h: f64,
    mut f: impl FnMut(&Mat) -> Result<f64, AttnError>,
) -> Result<Mat, AttnError> {
    let mut g = Mat::zeros(x.nrows(), x.ncols());
    let mut xp = x.clone();
    // Entry i in storage order, the same for x, xp and g.
    for (i, (gi, &orig)) in g.iter_mut().zip(x.iter()).enumerate() {
        set_entry(&mut xp, i, orig + h);
        let up = f(&xp)?;
        set_entry(&mut xp, i, orig - h);
        let down = f(&xp)?;
        set_entry(&mut xp, i, orig);
        *gi = (up - down) / (2.0 * h);
    }
    Ok(g)
}

/// Sets entry `i` (storage order) of `m`, if there is one.
fn set_entry(m: &mut Mat, i: usize, v: f64) {
    if let Some(e) = m.get_mut(i) {
        *e = v;
    }
}

/// The numeric gradient of `f(module)` with respect to every parameter of
/// `module` (one matrix per entry of [`Module::params`], same shapes). The
/// module is restored exactly afterwards.
pub fn numeric_param_grads<M: Module>(
    module: &mut M,
    h: f64,
    mut f: impl FnMut(&M) -> Result<f64, AttnError>,
) -> Result<Vec<Mat>, AttnError> {
    let shapes: Vec<(usize, usize)> = module.params().iter().map(|p| p.shape()).collect();
    let mut out = Vec::with_capacity(shapes.len());
    for (pi, &(r, c)) in shapes.iter().enumerate() {
        let mut g = Mat::zeros(r, c);
        for (i, gi) in g.iter_mut().enumerate() {
            let orig = nudge(module, pi, i, None);
            nudge(module, pi, i, Some(orig + h));
            let up = f(module);
            nudge(module, pi, i, Some(orig - h));
            let down = f(module);
            nudge(module, pi, i, Some(orig));
            *gi = (up? - down?) / (2.0 * h);
        }
        out.push(g);
    }
    Ok(out)
}

/// Reads entry `i` of parameter `pi` and, if `set` is given, writes it.
fn nudge<M: Module>(module: &mut M, pi: usize, i: usize, set: Option<f64>) -> f64 {
    let mut params = module.params_mut();
    match params.get_mut(pi).and_then(|p| p.value.get_mut(i)) {
        Some(e) => {
            let old = *e;
            if let Some(v) = set {
                *e = v;
            }
            old
        }
        None => 0.0,
    }
}

/// Largest entry-wise relative error
/// `|a - n| / max(|a|, |n|, floor)` over two matrices of the same shape
/// (`floor > 0` keeps near-zero entries from dividing by ~0). Returns
/// `f64::INFINITY` if the shapes differ or a value is not finite.
pub fn rel_error(analytic: &Mat, numeric: &Mat, floor: f64) -> f64 {
    if analytic.shape() != numeric.shape() {
        return f64::INFINITY;
    }
    let mut worst: f64 = 0.0;
    for (a, n) in analytic.iter().zip(numeric.iter()) {
        let e = (a - n).abs() / a.abs().max(n.abs()).max(floor);
        if !e.is_finite() {
            return f64::INFINITY;
        }
        worst = worst.max(e);
    }
    worst
}
