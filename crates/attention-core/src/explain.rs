//! Break-downs a lesson shows next to the main trace.

use crate::{AttnError, Mat};

/// How one query's output row is assembled: row `j` of the result is
/// `weights[query][j] * v_j`, so the rows sum to that query's output row.
///
/// Shapes: `weights` is n x n (rows are queries), `v` is n x d_v; the result is
/// n x d_v. Errors if the shapes disagree or `query >= n`.
pub fn contributions(weights: &Mat, v: &Mat, query: usize) -> Result<Mat, AttnError> {
    let n = weights.nrows();
    if weights.ncols() != n || v.nrows() != n {
        return Err(AttnError::Shape {
            field: "contributions".into(),
            expected: format!("weights n x n and v n x d_v with n = {n}"),
            got: format!(
                "weights {} x {}, v {} x {}",
                weights.nrows(),
                weights.ncols(),
                v.nrows(),
                v.ncols()
            ),
        });
    }
    if query >= n {
        return Err(AttnError::Value {
            field: "query".into(),
            message: format!("position {query} is outside 0..{n}"),
        });
    }
    let mut out = v.clone();
    for j in 0..n {
        let w = weights[(query, j)];
        out.row_mut(j).scale_mut(w);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_weighted_values_and_sum_to_the_output() {
        // Hand-worked: weights row 0 = [0.25, 0.75]; v = [[4, 0], [0, 8]].
        let w = Mat::from_row_slice(2, 2, &[0.25, 0.75, 1.0, 0.0]);
        let v = Mat::from_row_slice(2, 2, &[4.0, 0.0, 0.0, 8.0]);
        let c = contributions(&w, &v, 0).expect("ok");
        assert_eq!(c, Mat::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 6.0]));
        let out = &w * &v;
        assert_eq!(c.row_sum(), out.rows(0, 1).into_owned());
    }

    #[test]
    fn bad_shapes_and_queries_are_errors() {
        let w = Mat::zeros(2, 2);
        assert!(contributions(&w, &Mat::zeros(3, 2), 0).is_err());
        assert!(contributions(&Mat::zeros(2, 3), &Mat::zeros(2, 2), 0).is_err());
        assert!(matches!(
            contributions(&w, &Mat::zeros(2, 2), 2),
            Err(AttnError::Value { .. })
        ));
    }
}
