//! Finite-difference gradient checks of every layer of the training engine:
//! every parameter tensor, and every input a layer passes gradients back to.
//!
//! The scalar checked is `L = sum(R ⊙ output)` for a fixed random `R`, so the
//! output gradient fed to `backward` is `R`. Errors are entry-wise
//! `|a - n| / max(|a|, |n|, FLOOR)` (see `gradcheck::rel_error`).

// Always true for an integration test; stated so that the allow-*-in-tests
// settings of clippy.toml also cover its helper functions (rust-clippy#11119).
#![cfg(test)]

use attention_core::train::gradcheck::{numeric_grad, numeric_param_grads, rel_error};
use attention_core::train::*;
use attention_core::{Mask, Mat, Rng};

#[path = "shared/gradcheck.rs"]
mod shared;
use shared::{assert_input, assert_params, dot, FLOOR, H, TOL};

#[test]
fn rel_error_detects_a_wrong_gradient() {
    let a = Mat::from_row_slice(1, 3, &[1.0, 2.0, 3.0]);
    let mut b = a.clone();
    assert_eq!(rel_error(&a, &b, FLOOR), 0.0);
    b[(0, 1)] += 1e-4;
    assert!(rel_error(&a, &b, FLOOR) > TOL);
    assert_eq!(rel_error(&a, &Mat::zeros(3, 1), FLOOR), f64::INFINITY);
}

#[test]
fn gradcheck_catches_a_broken_backward() {
    // Sanity of the harness itself: a deliberately wrong analytic gradient fails.
    let mut rng = Rng::new(1);
    let mut lin = Linear::new(3, 2, &mut rng).unwrap();
    let x = rng.normal_matrix(4, 3, 1.0);
    let r = rng.normal_matrix(4, 2, 1.0);
    let (_, c) = lin.forward(&x).unwrap();
    lin.backward(&c, &r).unwrap();
    lin.weight.grad[(0, 0)] *= 1.001;
    let analytic = lin.weight.grad.clone();
    let numeric = numeric_param_grads(&mut lin, H, |m| Ok(dot(&r, &m.forward(&x)?.0))).unwrap();
    assert!(rel_error(&analytic, &numeric[0], FLOOR) > TOL);
}

#[test]
fn linear() {
    let mut rng = Rng::new(2);
    let mut lin = Linear::new(5, 3, &mut rng).unwrap();
    lin.bias.value = rng.normal_matrix(1, 3, 1.0);
    let x = rng.normal_matrix(4, 5, 1.0);
    let r = rng.normal_matrix(4, 3, 1.0);
    let (_, c) = lin.forward(&x).unwrap();
    let dx = lin.backward(&c, &r).unwrap();
    assert_params("linear", &mut lin, |m| Ok(dot(&r, &m.forward(&x)?.0)));
    assert_input("linear", &dx, &x, |x| Ok(dot(&r, &lin.forward(x)?.0)));
}

#[test]
fn embedding_and_positions() {
    let mut rng = Rng::new(3);
    let mut emb = Embedding::new(7, 4, 1.0, &mut rng).unwrap();
    let ids = [3, 0, 3, 6, 1]; // a repeated id accumulates
    let r = rng.normal_matrix(5, 4, 1.0);
    let (_, c) = emb.forward(&ids).unwrap();
    emb.backward(&c, &r).unwrap();
    assert_params("embedding", &mut emb, |m| Ok(dot(&r, &m.forward(&ids)?.0)));
    // Unused rows get no gradient.
    assert_eq!(emb.table.grad.row(2).amax(), 0.0);

    let mut pos = PositionalEmbedding::new(8, 4, 1.0, &mut rng).unwrap();
    let x = rng.normal_matrix(5, 4, 1.0);
    let (_, c) = pos.forward(&x).unwrap();
    let dx = pos.backward(&c, &r).unwrap();
    assert_params("positional", &mut pos, |m| Ok(dot(&r, &m.forward(&x)?.0)));
    assert_input("positional", &dx, &x, |x| Ok(dot(&r, &pos.forward(x)?.0)));
    assert_eq!(pos.table.grad.row(6).amax(), 0.0);
}

#[test]
fn layer_norm() {
    let mut rng = Rng::new(4);
    let mut ln = LayerNorm::new(6).unwrap();
    ln.gamma.value = rng.normal_matrix(1, 6, 1.0);
    ln.beta.value = rng.normal_matrix(1, 6, 1.0);
    let x = rng.normal_matrix(3, 6, 2.0);
    let r = rng.normal_matrix(3, 6, 1.0);
    let (_, c) = ln.forward(&x).unwrap();
    let dx = ln.backward(&c, &r).unwrap();
    assert_params("layer_norm", &mut ln, |m| Ok(dot(&r, &m.forward(&x)?.0)));
    assert_input("layer_norm", &dx, &x, |x| Ok(dot(&r, &ln.forward(x)?.0)));
}

#[test]
fn mlp() {
    let mut rng = Rng::new(5);
    let mut mlp = Mlp::new(4, 9, 3, &mut rng).unwrap();
    mlp.l1.bias.value = rng.normal_matrix(1, 9, 0.5);
    let x = rng.normal_matrix(5, 4, 1.0);
    let r = rng.normal_matrix(5, 3, 1.0);
    let (_, c) = mlp.forward(&x).unwrap();
    // Both signs of the ReLU are exercised.
    assert!(c.pre.iter().any(|v| *v < 0.0) && c.pre.iter().any(|v| *v > 0.0));
    let dx = mlp.backward(&c, &r).unwrap();
    assert_params("mlp", &mut mlp, |m| Ok(dot(&r, &m.forward(&x)?.0)));
    assert_input("mlp", &dx, &x, |x| Ok(dot(&r, &mlp.forward(x)?.0)));
}

#[test]
fn cross_entropy() {
    let mut rng = Rng::new(6);
    let logits = rng.normal_matrix(4, 5, 2.0);
    let targets = [1, 4, 0, 1];
    let ce = softmax_cross_entropy(&logits, &targets).unwrap();
    assert_input("cross_entropy", &ce.d_logits, &logits, |z| {
        Ok(softmax_cross_entropy(z, &targets)?.loss)
    });
}

fn attention_case(scale: bool, mask: Mask, cross: bool, relative: Relative, seed: u64) {
    let label = format!("attention scale={scale} mask={mask:?} cross={cross} {relative:?}");
    let mut rng = Rng::new(seed);
    let (d_q_in, d_kv_in) = if cross { (5, 3) } else { (5, 5) };
    let cfg = MhaConfig {
        d_q_in,
        d_kv_in,
        d_out: 4,
        n_heads: 2,
        d_k: if relative == Relative::Rope { 4 } else { 3 },
        d_v: 2,
        scale,
        mask,
        relative,
    };
    let mut mha = MultiHeadAttention::new(cfg, &mut rng).unwrap();
    for p in mha.params_mut() {
        if p.value.nrows() == 1 {
            p.value = rng.normal_matrix(1, p.value.ncols(), 0.3); // non-zero biases
        }
    }
    let n_q = 4;
    let n_kv = if cross { 6 } else { n_q };
    let x_q = rng.normal_matrix(n_q, d_q_in, 1.0);
    let x_kv = if cross {
        rng.normal_matrix(n_kv, d_kv_in, 1.0)
    } else {
        x_q.clone()
    };
    let r = rng.normal_matrix(n_q, 4, 1.0);
    // Gates other than 1 so the gating itself is differentiated.
    mha.gates.value = Mat::from_row_slice(1, 2, &[0.8, -1.3]);
    if cross {
        let (_, c) = mha.forward_cross(&x_q, &x_kv).unwrap();
        assert_eq!(c.head_weights()[1].shape(), (n_q, n_kv));
        let g = mha.backward(&c, &r).unwrap();
        assert_params(&label, &mut mha, |m| {
            Ok(dot(&r, &m.forward_cross(&x_q, &x_kv)?.0))
        });
        assert_input(&format!("{label} x_q"), &g.d_x_q, &x_q, |x| {
            Ok(dot(&r, &mha.forward_cross(x, &x_kv)?.0))
        });
        assert_input(&format!("{label} x_kv"), &g.d_x_kv, &x_kv, |x| {
            Ok(dot(&r, &mha.forward_cross(&x_q, x)?.0))
        });
    } else {
        let (_, c) = mha.forward_self(&x_q).unwrap();
        let dx = mha.backward_self(&c, &r).unwrap();
        assert_params(&label, &mut mha, |m| Ok(dot(&r, &m.forward_self(&x_q)?.0)));
        assert_input(&label, &dx, &x_q, |x| Ok(dot(&r, &mha.forward_self(x)?.0)));
    }
    // The gate gradients (the head-importance scores).
    let analytic = mha.gates.grad.clone();
    let gates = mha.gates.value.clone();
    let mut probe = mha.clone();
    let numeric = numeric_grad(&gates, H, |g| {
        probe.gates.value = g.clone();
        let out = if cross {
            probe.forward_cross(&x_q, &x_kv)?.0
        } else {
            probe.forward_self(&x_q)?.0
        };
        Ok(dot(&r, &out))
    })
    .unwrap();
    let e = rel_error(&analytic, &numeric, FLOOR);
    assert!(analytic.amax() > 1e-3, "{label}: gate grads ~0");
    assert!(e < TOL, "{label}: gate rel error {e:e}");
}

#[test]
fn a_head_gated_off_contributes_nothing_and_learns_nothing() {
    let mut rng = Rng::new(40);
    let mut mha = MultiHeadAttention::new(MhaConfig::self_attention(4, 2, 2), &mut rng).unwrap();
    let x = rng.normal_matrix(3, 4, 1.0);
    let r = rng.normal_matrix(3, 4, 1.0);
    let (full, _) = mha.forward_self(&x).unwrap();
    mha.gates.value[(0, 1)] = 0.0;
    let (gated, c) = mha.forward_self(&x).unwrap();
    // Head 1's value columns are 2..4 of W_V: their gradient must be exactly 0.
    mha.backward_self(&c, &r).unwrap();
    assert!(mha.w_v.weight.grad.columns(2, 2).iter().all(|&g| g == 0.0));
    assert!(mha.w_v.weight.grad.columns(0, 2).amax() > 0.0);
    assert!(
        (full - &gated).amax() > 1e-6,
        "switching a head off changes the output"
    );
    // The output equals head 0 alone through W_O's first two rows.
    let head0 = &c.outputs[0] * mha.w_o.weight.value.rows(0, 2);
    let expected = head0 + Mat::from_fn(3, 4, |_, j| mha.w_o.bias.value[(0, j)]);
    assert!((gated - expected).amax() < 1e-12);
}

#[test]
fn attention_all_variants() {
    // 2 x 2 x 2 variants, each without position, with RoPE and with ALiBi.
    let mut seed = 10;
    for relative in [Relative::None, Relative::Rope, Relative::Alibi] {
        for scale in [true, false] {
            for mask in [Mask::None, Mask::Causal] {
                for cross in [false, true] {
                    attention_case(scale, mask, cross, relative, seed);
                    seed += 1;
                }
            }
        }
    }
}

#[test]
fn encoder_layer() {
    let mut rng = Rng::new(30);
    let mut enc = EncoderLayer::new(6, 2, 8, true, Mask::None, &mut rng).unwrap();
    let x = rng.normal_matrix(4, 6, 1.0);
    let r = rng.normal_matrix(4, 6, 1.0);
    let (_, c) = enc.forward(&x).unwrap();
    let dx = enc.backward(&c, &r).unwrap();
    assert_params("encoder", &mut enc, |m| Ok(dot(&r, &m.forward(&x)?.0)));
    assert_input("encoder", &dx, &x, |x| Ok(dot(&r, &enc.forward(x)?.0)));
}

#[test]
fn decoder_layer() {
    let mut rng = Rng::new(31);
    let mut dec = DecoderLayer::new(4, 2, 6, false, &mut rng).unwrap();
    let x = rng.normal_matrix(3, 4, 1.0);
    let enc = rng.normal_matrix(5, 4, 1.0);
    let r = rng.normal_matrix(3, 4, 1.0);
    let (_, c) = dec.forward(&x, &enc).unwrap();
    assert_eq!(c.cross_attn.head_weights()[0].shape(), (3, 5));
    assert_eq!(c.self_attn.head_weights()[0][(0, 1)], 0.0); // causal
    let g = dec.backward(&c, &r).unwrap();
    assert_params("decoder", &mut dec, |m| {
        Ok(dot(&r, &m.forward(&x, &enc)?.0))
    });
    assert_input("decoder x", &g.d_x, &x, |x| {
        Ok(dot(&r, &dec.forward(x, &enc)?.0))
    });
    assert_input("decoder enc", &g.d_enc, &enc, |e| {
        Ok(dot(&r, &dec.forward(&x, e)?.0))
    });
}

#[test]
fn recall_model_end_to_end() {
    let task = AssocRecall::new(2, 3, 3).unwrap();
    let mut cfg = RecallConfig::new(task.clone());
    (cfg.d_model, cfg.n_heads, cfg.d_k, cfg.d_v, cfg.seed) = (6, 2, 3, 2, 7);
    let mut model = RecallModel::new(cfg).unwrap();
    let batch = task.batch(&mut Rng::new(8), 3);
    // Analytic grads of the mean batch loss via train_step with lr = 0.
    let mut sgd = Sgd::new(0.0, 0.0);
    model.train_step(&batch, &mut sgd).unwrap();
    assert_params("recall model", &mut model, |m| Ok(m.evaluate(&batch)?.loss));
}
