//! Small attention examples computed by hand (the arithmetic is in comments).

// Always true for an integration test; stated so that the allow-*-in-tests
// settings of clippy.toml also cover its helper functions (rust-clippy#11119).
#![cfg(test)]

use attention_core::{attention_trace, AttentionConfig, HeadWeights, Mask, Mat, MultiHeadWeights};

fn identity_weights(d: usize) -> MultiHeadWeights {
    MultiHeadWeights {
        heads: vec![HeadWeights {
            w_q: Mat::identity(d, d),
            w_k: Mat::identity(d, d),
            w_v: Mat::identity(d, d),
        }],
        w_o: None,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn two_by_two_scaled() {
    // x = [[1, 0], [1, 1]], identity projections: q = k = v = x, d_k = 2.
    // scores = q k^T = [[1, 1], [1, 2]]; c = 1/sqrt 2.
    // row 0: logits (c, c) -> weights (1/2, 1/2); output = (1, 1/2).
    // row 1: logits (c, 2c): w1 = 1 / (1 + e^{-c}), w0 = 1 - w1;
    //        output = (w0 + w1, w1) = (1, w1).
    let x = Mat::from_row_slice(2, 2, &[1.0, 0.0, 1.0, 1.0]);
    let t = attention_trace(&x, &identity_weights(2), &AttentionConfig::default()).unwrap();
    let c = 1.0 / 2f64.sqrt();
    let h = &t.heads[0];
    assert_eq!(t.scale_factor, c);
    assert_eq!(h.scores, Mat::from_row_slice(2, 2, &[1.0, 1.0, 1.0, 2.0]));
    assert!(close(h.logits[(1, 1)], 2.0 * c));
    assert_eq!(h.weights[(0, 0)], 0.5);
    let w1 = 1.0 / (1.0 + (-c).exp());
    assert!(close(h.weights[(1, 1)], w1));
    assert!(close(h.weights[(1, 0)], 1.0 - w1));
    assert!(close(t.output[(0, 1)], 0.5));
    assert!(close(t.output[(1, 0)], 1.0) && close(t.output[(1, 1)], w1));
    assert_eq!(t.output, t.concat);
}

#[test]
fn unscaled_and_temperature() {
    // Same x, scale off, T = 2: logits = scores / 2 = [[0.5, 0.5], [0.5, 1]].
    // row 1 weight on key 1 = 1 / (1 + e^{-0.5}).
    let x = Mat::from_row_slice(2, 2, &[1.0, 0.0, 1.0, 1.0]);
    let cfg = AttentionConfig {
        scale: false,
        temperature: 2.0,
        ..AttentionConfig::default()
    };
    let t = attention_trace(&x, &identity_weights(2), &cfg).unwrap();
    assert_eq!(t.scale_factor, 1.0);
    assert_eq!(
        t.heads[0].logits,
        Mat::from_row_slice(2, 2, &[0.5, 0.5, 0.5, 1.0])
    );
    assert!(close(
        t.heads[0].weights[(1, 1)],
        1.0 / (1.0 + (-0.5f64).exp())
    ));
}

#[test]
fn causal_mask_two_by_two() {
    // Causal: row 0 sees only key 0 -> weights (1, 0), output row 0 = v_0 = (1, 0).
    // Row 1 is unaffected (sees keys 0 and 1).
    let x = Mat::from_row_slice(2, 2, &[1.0, 0.0, 1.0, 1.0]);
    let cfg = AttentionConfig {
        mask: Mask::Causal,
        ..AttentionConfig::default()
    };
    let t = attention_trace(&x, &identity_weights(2), &cfg).unwrap();
    let h = &t.heads[0];
    assert_eq!(h.logits[(0, 1)], f64::NEG_INFINITY);
    assert_eq!(h.weights[(0, 0)], 1.0);
    assert_eq!(h.weights[(0, 1)], 0.0);
    assert_eq!((t.output[(0, 0)], t.output[(0, 1)]), (1.0, 0.0));
    let w1 = 1.0 / (1.0 + (-1.0 / 2f64.sqrt()).exp());
    assert!(close(h.weights[(1, 1)], w1));
}

#[test]
fn two_heads_concat_and_w_o() {
    // Two identical identity heads: concat = [out | out]; w_o (4 x 1) of ones sums it.
    let x = Mat::from_row_slice(2, 2, &[1.0, 0.0, 1.0, 1.0]);
    let mut w = identity_weights(2);
    w.heads.push(w.heads[0].clone());
    w.w_o = Some(Mat::from_element(4, 1, 1.0));
    let t = attention_trace(&x, &w, &AttentionConfig::default()).unwrap();
    assert_eq!((t.concat.nrows(), t.concat.ncols()), (2, 4));
    assert_eq!(t.concat.columns(0, 2), t.concat.columns(2, 2));
    let row_sum = 2.0 * (t.heads[0].output[(1, 0)] + t.heads[0].output[(1, 1)]);
    assert!(close(t.output[(1, 0)], row_sum));
}
