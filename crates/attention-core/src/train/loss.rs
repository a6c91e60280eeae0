//! Softmax cross-entropy, averaged over rows.
//!
//! `logits` is `n x C` (one row per example, C classes), `targets` has n class
//! ids. `loss = mean_i (logsumexp(z_i) - z_i[t_i])`, and
//! `d_logits = (softmax(z) - onehot(t)) / n` (`n x C`).

use crate::{AttnError, Mat};

/// Result of [`softmax_cross_entropy`].
#[derive(Clone, Debug, PartialEq)]
pub struct CrossEntropy {
    /// Mean loss over the n rows (nats).
    pub loss: f64,
    /// Gradient of `loss` with respect to the logits, `n x C`.
    pub d_logits: Mat,
    /// Rows whose arg-max (first maximum) equals the target.
    pub correct: usize,
}

/// Mean softmax cross-entropy of `logits` (`n x C`, n >= 1, C >= 1) against
/// `targets` (length n, each `< C`). Err on empty or mismatched inputs, a
/// target out of range or non-finite logits.
pub fn softmax_cross_entropy(logits: &Mat, targets: &[usize]) -> Result<CrossEntropy, AttnError> {
    let (n, c) = (logits.nrows(), logits.ncols());
    if n == 0 || c == 0 || targets.len() != n {
        return Err(AttnError::shape(
            "logits",
            format!(
                "{} x C with C >= 1 (one row per target)",
                targets.len().max(1)
            ),
            crate::error::dims(logits),
        ));
    }
    super::finite("logits", logits)?;
    if let Some((i, &t)) = targets.iter().enumerate().find(|(_, &t)| t >= c) {
        return Err(AttnError::value(
            format!("targets[{i}]"),
            format!("class {t} is out of range (C = {c})"),
        ));
    }
    let mut d_logits = Mat::zeros(n, c);
    let mut loss = 0.0;
    let mut correct = 0;
    for ((&t, row), mut d_row) in targets
        .iter()
        .zip(logits.row_iter())
        .zip(d_logits.row_iter_mut())
    {
        let (mut arg, mut max) = (0, f64::NEG_INFINITY);
        for (j, &v) in row.iter().enumerate() {
            if v > max {
                (arg, max) = (j, v);
            }
        }
        if arg == t {
            correct += 1;
        }
        let sum: f64 = row.iter().map(|v| (v - max).exp()).sum();
        let lse = max + sum.ln();
        for (j, (d, &v)) in d_row.iter_mut().zip(row.iter()).enumerate() {
            *d = (v - lse).exp() / n as f64;
            if j == t {
                // t < c (checked above), so this happens once per row.
                loss += lse - v;
                *d -= 1.0 / n as f64;
            }
        }
    }
    Ok(CrossEntropy {
        loss: loss / n as f64,
        d_logits,
        correct,
    })
}
