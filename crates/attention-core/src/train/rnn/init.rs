//! Recurrent weight matrices with a chosen spectral radius, and the
//! measurement of a matrix's spectral radius.
//!
//! The cells draw their recurrent matrices as [`RecurrentInit`] says:
//! `rho Q` with `Q` the orthogonal factor of the QR decomposition of a
//! Gaussian matrix (signs fixed so that `Q` is Haar-distributed). Every
//! eigenvalue and every singular value of `rho Q` has modulus `rho`, so its
//! spectral radius is `rho` by construction (no measuring needed) and
//! `||v (rho Q)^k|| = rho^k ||v||` exactly for every row vector v: the case
//! in which a linear RNN's gradient falls by exactly `rho` per step.
//!
//! [`gaussian`] draws the other classic kind: `N(0, 1/d)` entries (radius
//! near 1 by the circular law) rescaled by their measured spectral radius.
//! Not normal: `||W^k||` can exceed `rho^k` for small k (transient growth);
//! the rate tends to `rho` only as k grows. A cell takes one by replacing
//! its `w_h` (the gradient checks do, so the cells are checked on matrices
//! that are not orthogonal).
//!
//! [`spectral_radius`] is `max |lambda_i(W)|` from the real Schur form
//! `W = Q T Q^T` (nalgebra's Francis QR iteration): the eigenvalues are the
//! 1 x 1 blocks and the complex pairs of the 2 x 2 blocks of `T`.

use crate::{AttnError, Mat, Rng};
use nalgebra::linalg::Schur;

/// How a cell's recurrent matrix (or matrices) is drawn: `radius` times a
/// seeded random orthogonal matrix.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RecurrentInit {
    /// The spectral radius, finite and >= 0.
    pub radius: f64,
}

impl RecurrentInit {
    /// `rho Q` with Q random orthogonal.
    pub fn orthogonal(radius: f64) -> Self {
        RecurrentInit { radius }
    }

    /// A seeded `d x d` matrix with spectral radius `self.radius` (every
    /// eigenvalue has that modulus). Err if `d` is 0 or the radius is
    /// negative or not finite.
    pub fn matrix(&self, d: usize, rng: &mut Rng) -> Result<Mat, AttnError> {
        super::super::nonzero("d_hidden", d)?;
        let rho = checked_radius(self.radius)?;
        Ok(orthogonal(d, rng) * rho)
    }
}

/// `radius` if it is finite and >= 0.
fn checked_radius(radius: f64) -> Result<f64, AttnError> {
    if radius.is_finite() && radius >= 0.0 {
        Ok(radius)
    } else {
        Err(AttnError::value(
            "radius",
            format!("must be finite and >= 0, got {radius}"),
        ))
    }
}

/// A seeded `d x d` Gaussian matrix (`N(0, 1/d)` entries) rescaled to
/// spectral radius `radius`, as measured by [`spectral_radius`]. Err if `d`
/// is 0, the radius is negative or not finite, or the eigenvalues cannot be
/// computed.
pub fn gaussian(d: usize, radius: f64, rng: &mut Rng) -> Result<Mat, AttnError> {
    super::super::nonzero("d_hidden", d)?;
    let rho = checked_radius(radius)?;
    let g = rng.normal_matrix(d, d, (1.0 / d as f64).sqrt());
    let measured = spectral_radius(&g)?;
    if measured <= 0.0 {
        return Err(AttnError::value(
            "radius",
            "the random matrix has spectral radius 0",
        ));
    }
    Ok(g * (rho / measured))
}

/// A seeded random orthogonal `d x d` matrix: the Q of the QR decomposition
/// of a `N(0, 1)` matrix, each column's sign chosen so that R has a positive
/// diagonal (which makes Q uniformly (Haar) distributed).
pub fn orthogonal(d: usize, rng: &mut Rng) -> Mat {
    let qr = rng.normal_matrix(d, d, 1.0).qr();
    let mut q = qr.q();
    let r = qr.r();
    for (mut col, &rii) in q.column_iter_mut().zip(r.diagonal().iter()) {
        if rii < 0.0 {
            col.neg_mut();
        }
    }
    q
}

/// The spectral radius `max |lambda_i|` of a square matrix (`d x d`,
/// d >= 1), from its real Schur form. Err if the matrix is not square,
/// empty, has non-finite entries, or the QR iteration does not converge.
pub fn spectral_radius(m: &Mat) -> Result<f64, AttnError> {
    if m.nrows() != m.ncols() || m.nrows() == 0 {
        return Err(AttnError::shape(
            "matrix",
            "d x d with d >= 1",
            crate::error::dims(m),
        ));
    }
    super::super::finite("matrix", m)?;
    let d = m.nrows();
    let schur = Schur::try_new(m.clone(), 1e-14, 1000 * d.max(10)).ok_or_else(|| {
        AttnError::value("matrix", "the eigenvalue (QR) iteration did not converge")
    })?;
    Ok(schur
        .complex_eigenvalues()
        .iter()
        .map(|l| l.norm())
        .fold(0.0, f64::max))
}
