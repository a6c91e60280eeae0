//! Recurrent weight matrices with a chosen spectral radius, and the
//! measurement of a matrix's spectral radius.
//!
//! The spectral radius `rho(W) = max |lambda_i(W)|` is computed from the
//! real Schur form `W = Q T Q^T` (nalgebra's Francis QR iteration): the
//! eigenvalues are the 1 x 1 blocks and the complex pairs of the 2 x 2
//! blocks of `T`. A random matrix is then rescaled by `rho / rho(G)`, so its
//! measured radius is the one asked for (to rounding).
//!
//! Two kinds of random matrix ([`Spectrum`]):
//! * [`Spectrum::Orthogonal`]: `Q` from the QR decomposition of a Gaussian
//!   matrix (signs fixed so that `Q` is Haar-distributed). Every eigenvalue
//!   and every singular value of `rho Q` is `rho`, so `||v (rho Q)^k|| =
//!   rho^k ||v||` exactly for every row vector v: the case in which a linear
//!   RNN's gradient falls by exactly `rho` per step.
//! * [`Spectrum::Gaussian`]: `N(0, 1/d)` entries (radius near 1 by the
//!   circular law) rescaled to `rho`. Not normal: `||W^k||` can exceed
//!   `rho^k` for small k (transient growth); the rate tends to `rho` only as
//!   k grows.

use crate::{AttnError, Mat, Rng};
use nalgebra::linalg::Schur;

/// Which seeded random matrix is rescaled to the chosen spectral radius.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spectrum {
    /// A random orthogonal matrix times rho (all singular values rho).
    Orthogonal,
    /// A Gaussian matrix rescaled by its measured spectral radius.
    Gaussian,
}

/// How a cell's recurrent matrix (or matrices) is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RecurrentInit {
    /// The kind of random matrix.
    pub spectrum: Spectrum,
    /// The spectral radius it is rescaled to, finite and >= 0.
    pub radius: f64,
}

impl RecurrentInit {
    /// `rho Q` with Q random orthogonal.
    pub fn orthogonal(radius: f64) -> Self {
        RecurrentInit {
            spectrum: Spectrum::Orthogonal,
            radius,
        }
    }

    /// A Gaussian matrix rescaled to spectral radius `radius`.
    pub fn gaussian(radius: f64) -> Self {
        RecurrentInit {
            spectrum: Spectrum::Gaussian,
            radius,
        }
    }

    /// A seeded `d x d` matrix with spectral radius `self.radius` (measured
    /// by [`spectral_radius`]). Err if `d` is 0, the radius is negative or
    /// not finite, or the eigenvalues cannot be computed.
    pub fn matrix(&self, d: usize, rng: &mut Rng) -> Result<Mat, AttnError> {
        super::super::nonzero("d_hidden", d)?;
        let rho = self.radius;
        if !(rho.is_finite() && rho >= 0.0) {
            return Err(AttnError::value(
                "radius",
                format!("must be finite and >= 0, got {rho}"),
            ));
        }
        let g = match self.spectrum {
            Spectrum::Orthogonal => orthogonal(d, rng),
            Spectrum::Gaussian => rng.normal_matrix(d, d, (1.0 / d as f64).sqrt()),
        };
        let measured = spectral_radius(&g)?;
        if measured <= 0.0 {
            return Err(AttnError::value(
                "radius",
                "the random matrix has spectral radius 0",
            ));
        }
        Ok(g * (rho / measured))
    }
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
