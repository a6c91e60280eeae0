//! Projection weights for single- and multi-head attention, with shape
//! validation that names the offending field.
//!
//! Per head: `w_q`, `w_k` are `d_model x d_k`, `w_v` is `d_model x d_v`; all
//! heads share `d_k` and `d_v`. The optional output projection `w_o` is
//! `(H * d_v) x d_out`.

use crate::error::{dims, ensure_finite};
use crate::{AttnError, Mat, Rng};

/// One head's projections: `w_q`, `w_k` (`d_model x d_k`), `w_v` (`d_model x d_v`).
#[derive(Clone, Debug, PartialEq)]
pub struct HeadWeights {
    /// Query projection, `d_model x d_k`.
    pub w_q: Mat,
    /// Key projection, `d_model x d_k`.
    pub w_k: Mat,
    /// Value projection, `d_model x d_v`.
    pub w_v: Mat,
}

/// All heads plus the optional output projection `w_o` (`(H * d_v) x d_out`).
#[derive(Clone, Debug, PartialEq)]
pub struct MultiHeadWeights {
    /// The H >= 1 heads.
    pub heads: Vec<HeadWeights>,
    /// Output projection, `(H * d_v) x d_out`; `None` means output = concat.
    pub w_o: Option<Mat>,
}

impl MultiHeadWeights {
    /// Seeded random weights: `W_Q`, `W_K` (`d_model x d_k`) and `W_V`
    /// (`d_model x d_v`) have `N(0, 1/d_model)` entries (so projections of
    /// unit-variance inputs have about unit variance); `W_O`
    /// (`(n_heads * d_v) x d_out`) has `N(0, 1/(n_heads * d_v))` entries.
    /// Err if any dimension is 0.
    pub fn random(
        d_model: usize,
        n_heads: usize,
        d_k: usize,
        d_v: usize,
        d_out: usize,
        seed: u64,
    ) -> Result<Self, AttnError> {
        for (name, v) in [
            ("d_model", d_model),
            ("n_heads", n_heads),
            ("d_k", d_k),
            ("d_v", d_v),
            ("d_out", d_out),
        ] {
            if v == 0 {
                return Err(AttnError::value(name, "must be at least 1, got 0"));
            }
        }
        let mut rng = Rng::new(seed);
        let s = (1.0 / d_model as f64).sqrt();
        let heads = (0..n_heads)
            .map(|_| HeadWeights {
                w_q: rng.normal_matrix(d_model, d_k, s),
                w_k: rng.normal_matrix(d_model, d_k, s),
                w_v: rng.normal_matrix(d_model, d_v, s),
            })
            .collect();
        let hv = n_heads * d_v;
        let w_o = rng.normal_matrix(hv, d_out, (1.0 / hv as f64).sqrt());
        Ok(MultiHeadWeights {
            heads,
            w_o: Some(w_o),
        })
    }

    /// Checks every shape against `d_model` and that all entries are finite.
    /// Returns `(d_k, d_v)` taken from head 0. Errors name the field, e.g.
    /// `heads[1].w_k: expected 4 x 3 (d_model x d_k), got 4 x 2`.
    pub fn validate(&self, d_model: usize) -> Result<(usize, usize), AttnError> {
        let first = self
            .heads
            .first()
            .ok_or_else(|| AttnError::shape("heads", "at least 1 head", "0 heads"))?;
        let d_k = first.w_q.ncols();
        let d_v = first.w_v.ncols();
        for (h, head) in self.heads.iter().enumerate() {
            for (name, m, cols, label) in [
                ("w_q", &head.w_q, d_k, "d_k"),
                ("w_k", &head.w_k, d_k, "d_k"),
                ("w_v", &head.w_v, d_v, "d_v"),
            ] {
                let field = format!("heads[{h}].{name}");
                if m.ncols() == 0 {
                    return Err(AttnError::shape(
                        field,
                        format!("{d_model} x {label} with {label} >= 1"),
                        dims(m),
                    ));
                }
                if m.nrows() != d_model || m.ncols() != cols {
                    return Err(AttnError::shape(
                        field,
                        format!("{d_model} x {cols} (d_model x {label})"),
                        dims(m),
                    ));
                }
                ensure_finite(&field, m)?;
            }
        }
        if let Some(w_o) = &self.w_o {
            let hv = self.heads.len() * d_v;
            if w_o.nrows() != hv || w_o.ncols() == 0 {
                return Err(AttnError::shape(
                    "w_o",
                    format!("{hv} x d_out ((heads * d_v) x d_out, d_out >= 1)"),
                    dims(w_o),
                ));
            }
            ensure_finite("w_o", w_o)?;
        }
        Ok((d_k, d_v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_shapes_validate() {
        let w = MultiHeadWeights::random(6, 3, 4, 2, 5, 1).unwrap();
        assert_eq!(w.validate(6), Ok((4, 2)));
        assert_eq!(w.w_o.as_ref().map(|m| (m.nrows(), m.ncols())), Some((6, 5)));
        assert_eq!(w, MultiHeadWeights::random(6, 3, 4, 2, 5, 1).unwrap());
        assert!(MultiHeadWeights::random(6, 0, 4, 2, 5, 1).is_err());
    }

    #[test]
    fn mismatched_head_is_named() {
        let mut w = MultiHeadWeights::random(4, 2, 3, 3, 2, 1).unwrap();
        w.heads[1].w_k = Mat::zeros(4, 2);
        let e = w.validate(4).unwrap_err();
        assert_eq!(
            e.to_string(),
            "heads[1].w_k: expected 4 x 3 (d_model x d_k), got 4 x 2"
        );
        let w = MultiHeadWeights::random(4, 2, 3, 3, 2, 1).unwrap();
        assert_eq!(w.validate(5).unwrap_err().field(), "heads[0].w_q");
        let mut w2 = w.clone();
        w2.w_o = Some(Mat::zeros(5, 2));
        assert_eq!(w2.validate(4).unwrap_err().field(), "w_o");
        let mut w3 = w;
        w3.heads[0].w_v[(1, 1)] = f64::NAN;
        assert!(matches!(w3.validate(4), Err(AttnError::Value { .. })));
        let empty = MultiHeadWeights {
            heads: vec![],
            w_o: None,
        };
        assert!(matches!(empty.validate(4), Err(AttnError::Shape { .. })));
    }
}
