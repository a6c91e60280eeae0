//! Finite-difference assertions shared by the gradient-check tests
//! (`#[path]`-included, like `benches/shared/time.rs`).
//!
//! The scalar checked is usually `L = sum(R ⊙ output)` for a fixed random
//! `R` ([`dot`]); errors are entry-wise `|a - n| / max(|a|, |n|, FLOOR)`
//! (see `gradcheck::rel_error`).

use attention_core::train::gradcheck::{numeric_grad, numeric_param_grads, rel_error};
use attention_core::train::Module;
use attention_core::{AttnError, Mat};

pub const H: f64 = 1e-5;
/// Gradient entries below this size are compared in absolute terms: central
/// differences with step H carry about 1e-10 of rounding noise at these
/// output sizes, and some gradients are exactly 0 (the key bias: softmax
/// ignores a constant added to a whole row of scores).
pub const FLOOR: f64 = 1e-3;
pub const TOL: f64 = 1e-6;

pub fn dot(r: &Mat, out: &Mat) -> f64 {
    r.component_mul(out).sum()
}

/// Asserts analytic grads (already in `m`'s params) match the numeric ones.
pub fn assert_params<M: Module>(
    label: &str,
    m: &mut M,
    loss: impl FnMut(&M) -> Result<f64, AttnError>,
) {
    let analytic: Vec<Mat> = m.params().iter().map(|p| p.grad.clone()).collect();
    assert!(
        analytic.iter().any(|g| g.amax() > 1e-3),
        "{label}: all grads ~0"
    );
    let numeric = numeric_param_grads(m, H, loss).unwrap();
    assert_eq!(analytic.len(), numeric.len());
    for (i, (a, n)) in analytic.iter().zip(&numeric).enumerate() {
        let e = rel_error(a, n, FLOOR);
        assert!(
            e < TOL,
            "{label}: param {i} ({}x{}) rel error {e:e}",
            a.nrows(),
            a.ncols()
        );
    }
}

pub fn assert_input(
    label: &str,
    analytic: &Mat,
    x: &Mat,
    loss: impl FnMut(&Mat) -> Result<f64, AttnError>,
) {
    let numeric = numeric_grad(x, H, loss).unwrap();
    assert!(analytic.amax() > 1e-3, "{label}: input grad ~0");
    let e = rel_error(analytic, &numeric, FLOOR);
    assert!(e < TOL, "{label}: input rel error {e:e}");
}
