//! The single error type of the crate.
//!
//! Errors always name the offending field (e.g. `heads[1].w_k`) and, for shape
//! problems, the expected and actual shapes, so that the app and the
//! `attention-trace` command can show a precise one-line message.

use std::fmt;

/// An invalid input: a wrong shape or a bad value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttnError {
    /// A matrix or list has the wrong shape.
    Shape {
        /// The field, e.g. `heads[1].w_k`.
        field: String,
        /// The expected shape, e.g. `4 x 3 (d_model x d_k)`.
        expected: String,
        /// The actual shape, e.g. `4 x 2`.
        got: String,
    },
    /// A value is invalid (non-finite, out of range, unknown name, ...).
    Value {
        /// The field, e.g. `temperature`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

impl AttnError {
    /// Convenience constructor for [`AttnError::Shape`].
    pub fn shape(
        field: impl Into<String>,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) -> Self {
        AttnError::Shape {
            field: field.into(),
            expected: expected.into(),
            got: got.into(),
        }
    }

    /// Convenience constructor for [`AttnError::Value`].
    pub fn value(field: impl Into<String>, message: impl Into<String>) -> Self {
        AttnError::Value {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The field this error is about.
    pub fn field(&self) -> &str {
        match self {
            AttnError::Shape { field, .. } | AttnError::Value { field, .. } => field,
        }
    }
}

impl fmt::Display for AttnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = match self {
            AttnError::Shape {
                field,
                expected,
                got,
            } => format!("{field}: expected {expected}, got {got}"),
            AttnError::Value { field, message } => format!("{field}: {message}"),
        };
        // Always a single line.
        f.write_str(&line.replace(['\n', '\r'], " "))
    }
}

impl std::error::Error for AttnError {}

/// `"r x c"` for a matrix shape.
pub(crate) fn dims(m: &crate::Mat) -> String {
    format!("{} x {}", m.nrows(), m.ncols())
}

/// Err naming the first non-finite entry of `m` (in row-major order).
pub(crate) fn ensure_finite(field: &str, m: &crate::Mat) -> Result<(), AttnError> {
    // Fast path: one sweep in storage (column-major) order; the row-major
    // search below, which strides across columns, only runs on an error.
    if m.iter().all(|v| v.is_finite()) {
        return Ok(());
    }
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            let v = m[(i, j)];
            if !v.is_finite() {
                return Err(AttnError::value(
                    format!("{field}[{i}][{j}]"),
                    format!("non-finite value {v} (matrix is {})", dims(m)),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_with_field_and_shape() {
        let e = AttnError::shape("heads[1].w_k", "4 x 3 (d_model x d_k)", "4 x 2");
        assert_eq!(
            e.to_string(),
            "heads[1].w_k: expected 4 x 3 (d_model x d_k), got 4 x 2"
        );
        let e = AttnError::value("temperature", "must be > 0\nreally");
        assert_eq!(e.to_string(), "temperature: must be > 0 really");
        assert_eq!(e.field(), "temperature");
    }
}
