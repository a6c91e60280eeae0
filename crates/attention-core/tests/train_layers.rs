//! Behaviour and error tests of the training engine's layers, optimizers and
//! task generator (gradients are in `train_gradcheck.rs`).

// Always true for an integration test; stated so that the allow-*-in-tests
// settings of clippy.toml also cover its helper functions (rust-clippy#11119).
#![cfg(test)]

use attention_core::train::*;
use attention_core::{AttnError, Mask, Mat, Rng};

#[test]
fn linear_forward_is_x_w_plus_b() {
    let w = Mat::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let b = Mat::from_row_slice(1, 3, &[0.5, -1.0, 0.0]);
    let lin = Linear::from_weights(w, b).unwrap();
    let x = Mat::from_row_slice(2, 2, &[1.0, 0.0, 1.0, 1.0]);
    let (y, _) = lin.forward(&x).unwrap();
    assert_eq!(
        y,
        Mat::from_row_slice(2, 3, &[1.5, 1.0, 3.0, 5.5, 6.0, 9.0])
    );
    assert!(Linear::from_weights(Mat::zeros(2, 3), Mat::zeros(1, 2)).is_err());
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let mut rng = Rng::new(1);
    let emb = Embedding::new(5, 4, 1.0, &mut rng).unwrap();
    let e = emb.forward(&[0, 5]).unwrap_err();
    assert_eq!(e.field(), "ids[1]");
    assert!(e.to_string().contains("out of the vocabulary"));
    assert!(matches!(emb.forward(&[]), Err(AttnError::Shape { .. })));

    let pos = PositionalEmbedding::new(3, 4, 1.0, &mut rng).unwrap();
    assert!(pos.forward(&Mat::zeros(4, 4)).is_err()); // longer than max_len
    assert!(pos.forward(&Mat::zeros(2, 3)).is_err()); // wrong width

    let lin = Linear::new(4, 2, &mut rng).unwrap();
    assert_eq!(
        lin.forward(&Mat::zeros(3, 5)).unwrap_err().field(),
        "linear.x"
    );
    assert!(lin.forward(&Mat::zeros(0, 4)).is_err());
    let mut nan = Mat::zeros(2, 4);
    nan[(1, 2)] = f64::NAN;
    assert!(matches!(lin.forward(&nan), Err(AttnError::Value { .. })));

    let cfg = MhaConfig {
        d_kv_in: 3,
        ..MhaConfig::self_attention(4, 2, 2)
    };
    let mut mha = MultiHeadAttention::new(cfg, &mut rng).unwrap();
    let e = mha
        .forward_cross(&Mat::zeros(2, 4), &Mat::zeros(3, 4))
        .unwrap_err();
    assert_eq!(e.field(), "attention.x_kv");
    let e = mha
        .forward_cross(&Mat::zeros(2, 5), &Mat::zeros(3, 3))
        .unwrap_err();
    assert_eq!(e.field(), "attention.x_q");
    let (_, c) = mha
        .forward_cross(&Mat::zeros(2, 4), &Mat::zeros(3, 3))
        .unwrap();
    assert!(mha.backward(&c, &Mat::zeros(3, 4)).is_err()); // d_out has n_kv rows
    assert!(mha.backward_self(&c, &Mat::zeros(2, 4)).is_err()); // cross cache
    assert!(MultiHeadAttention::new(MhaConfig::self_attention(4, 0, 2), &mut rng).is_err());

    assert!(LayerNorm::new(3)
        .unwrap()
        .forward(&Mat::zeros(2, 4))
        .is_err());
    assert!(Mlp::new(3, 0, 2, &mut rng).is_err());
    assert!(EncoderLayer::new(6, 4, 8, true, Mask::None, &mut rng).is_err()); // 4 does not divide 6
    assert!(residual_add(&Mat::zeros(2, 3), &Mat::zeros(3, 2)).is_err());

    let z = Mat::zeros(2, 3);
    assert_eq!(
        softmax_cross_entropy(&z, &[0, 3]).unwrap_err().field(),
        "targets[1]"
    );
    assert!(softmax_cross_entropy(&z, &[0]).is_err());
    assert!(softmax_cross_entropy(&Mat::zeros(0, 3), &[]).is_err());

    assert!(AssocRecall::new(3, 2, 4).is_err()); // keys must be distinct
    assert!(AssocRecall::new(0, 2, 4).is_err());
}

#[test]
fn attention_weights_are_exposed_and_respect_mask_and_scale() {
    let mut rng = Rng::new(2);
    let mut cfg = MhaConfig::self_attention(8, 3, 4);
    let x = rng.normal_matrix(5, 8, 1.0);
    cfg.mask = Mask::Causal;
    let causal = MultiHeadAttention::new(cfg.clone(), &mut Rng::new(3)).unwrap();
    let (_, c) = causal.forward_self(&x).unwrap();
    assert_eq!(c.head_weights().len(), 3);
    for w in c.head_weights() {
        assert_eq!(w.shape(), (5, 5));
        for i in 0..5 {
            assert!((w.row(i).sum() - 1.0).abs() < 1e-12);
            for j in (i + 1)..5 {
                assert_eq!(w[(i, j)], 0.0);
            }
        }
        assert_eq!(w[(0, 0)], 1.0);
    }
    assert_eq!(c.scale_factor, 0.5);
    // The same weights without scaling give sharper (lower-entropy) rows.
    cfg.mask = Mask::None;
    let mut layer = MultiHeadAttention::new(cfg, &mut Rng::new(3)).unwrap();
    let entropy = |w: &[Mat]| -> f64 {
        w.iter()
            .flat_map(|m| m.iter().copied().collect::<Vec<_>>())
            .filter(|p| *p > 0.0)
            .map(|p| -p * p.ln())
            .sum()
    };
    let (_, scaled) = layer.forward_self(&x).unwrap();
    layer.cfg.scale = false;
    let (_, unscaled) = layer.forward_self(&x).unwrap();
    assert_eq!(unscaled.scale_factor, 1.0);
    assert!(entropy(unscaled.head_weights()) < entropy(scaled.head_weights()));
}

#[test]
fn key_bias_gets_no_gradient() {
    // softmax is invariant to adding q.b_k to every score of a row, so the
    // key bias cannot change the loss.
    let mut rng = Rng::new(4);
    let mut mha = MultiHeadAttention::new(MhaConfig::self_attention(4, 2, 3), &mut rng).unwrap();
    let x = rng.normal_matrix(5, 4, 1.0);
    let (_, c) = mha.forward_self(&x).unwrap();
    mha.backward_self(&c, &rng.normal_matrix(5, 4, 1.0))
        .unwrap();
    assert!(mha.w_k.bias.grad.amax() < 1e-12);
    assert!(mha.w_q.bias.grad.amax() > 1e-3);
}

#[test]
fn backward_accumulates_and_zero_grad_resets() {
    let mut rng = Rng::new(5);
    let mut lin = Linear::new(3, 2, &mut rng).unwrap();
    let x = rng.normal_matrix(4, 3, 1.0);
    let d = rng.normal_matrix(4, 2, 1.0);
    let (_, c) = lin.forward(&x).unwrap();
    lin.backward(&c, &d).unwrap();
    let once = lin.weight.grad.clone();
    lin.backward(&c, &d).unwrap();
    assert!((&lin.weight.grad - &once * 2.0).amax() < 1e-12);
    lin.zero_grad();
    assert_eq!(lin.weight.grad.amax() + lin.bias.grad.amax(), 0.0);
    assert_eq!(lin.num_params(), 8);
}

fn quadratic_param() -> Param {
    // L = 0.5 * |w|^2, grad = w.
    let mut p = Param::new(Mat::from_row_slice(1, 2, &[1.0, -2.0]));
    p.grad = p.value.clone();
    p
}

#[test]
fn sgd_and_momentum_updates() {
    let mut p = quadratic_param();
    let mut sgd = Sgd::new(0.1, 0.0);
    sgd.step(vec![&mut p]).unwrap();
    assert!((&p.value - Mat::from_row_slice(1, 2, &[0.9, -1.8])).amax() < 1e-15);

    let mut p = quadratic_param();
    let mut mom = Sgd::new(0.1, 0.5);
    mom.step(vec![&mut p]).unwrap(); // v = g = (1, -2), w = (0.9, -1.8)
    p.grad = Mat::from_row_slice(1, 2, &[1.0, 1.0]);
    mom.step(vec![&mut p]).unwrap(); // v = 0.5 (1, -2) + (1, 1) = (1.5, 0), w = (0.75, -1.8)
    assert!((&p.value - Mat::from_row_slice(1, 2, &[0.75, -1.8])).amax() < 1e-15);

    // A list of another shape or length is an error and changes nothing.
    let mut other = Param::new(Mat::zeros(2, 2));
    assert!(mom.step(vec![&mut other]).is_err());
    assert!(mom.step(vec![&mut p, &mut other]).is_err());
    let mut bad = quadratic_param();
    bad.grad[(0, 0)] = f64::NAN;
    assert!(Sgd::new(0.1, 0.0).step(vec![&mut bad]).is_err());
    assert_eq!(bad.value[(0, 0)], 1.0);
    assert!(Sgd::new(0.1, 1.0)
        .step(vec![&mut quadratic_param()])
        .is_err());
}

#[test]
fn adam_first_step_is_lr_times_sign_and_it_minimises() {
    let mut p = quadratic_param();
    let mut adam = Adam::new(0.01);
    adam.step(vec![&mut p]).unwrap();
    assert!((p.value[(0, 0)] - 0.99).abs() < 1e-9);
    assert!((p.value[(0, 1)] + 1.99).abs() < 1e-9);
    for _ in 0..2000 {
        p.grad = p.value.clone();
        adam.step(vec![&mut p]).unwrap();
    }
    assert_eq!(adam.steps(), 2001);
    assert!(p.value.amax() < 0.05, "{}", p.value);
    adam.set_learning_rate(0.5);
    assert_eq!(adam.learning_rate(), 0.5);
}

#[test]
fn clip_grad_norm_scales_to_max() {
    let mut p = quadratic_param(); // |g| = sqrt(5)
    let norm = clip_grad_norm(vec![&mut p], 1.0).unwrap();
    assert!((norm - 5f64.sqrt()).abs() < 1e-12);
    assert!((p.grad.norm() - 1.0).abs() < 1e-12);
    assert!(clip_grad_norm(vec![&mut p], 0.0).is_err());
}

#[test]
fn recall_task_sequences_are_well_formed() {
    let task = AssocRecall::new(4, 6, 5).unwrap();
    assert_eq!(
        (task.vocab_size(), task.seq_len(), task.query_token()),
        (12, 10, 11)
    );
    assert_eq!(task.token_label(2), "k2");
    assert_eq!(task.token_label(7), "v1");
    assert_eq!(task.token_label(11), "?");
    let mut rng = Rng::new(6);
    let b = task.batch(&mut rng, 200);
    assert_eq!(b.len(), 200);
    let mut query_slots = [0usize; 4];
    for (t, &target) in b.tokens.iter().zip(&b.targets) {
        assert_eq!(t.len(), 10);
        let keys: Vec<usize> = t.iter().step_by(2).take(4).copied().collect();
        let vals: Vec<usize> = t.iter().skip(1).step_by(2).take(4).copied().collect();
        assert!(keys.iter().all(|&k| k < 6));
        assert!(vals.iter().all(|&v| (6..11).contains(&v)));
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 4, "keys must be distinct: {t:?}");
        assert_eq!(t[8], 11);
        let slot = keys.iter().position(|&k| k == t[9]).unwrap();
        assert_eq!(vals[slot], target);
        query_slots[slot] += 1;
    }
    // Every pair slot gets queried.
    assert!(query_slots.iter().all(|&c| c > 20), "{query_slots:?}");
    // Seeded: same seed, same batch; another seed, another batch.
    assert_eq!(b, task.batch(&mut Rng::new(6), 200));
    assert_ne!(b, task.batch(&mut Rng::new(7), 200));
}

#[test]
fn rope_and_alibi_inside_trainable_attention() {
    use attention_core::position::{rope_rotate, rope_unrotate};
    let mut rng = Rng::new(50);
    let m = rng.normal_matrix(5, 6, 1.0);
    let back = rope_unrotate(&rope_rotate(&m, 3).unwrap(), 3).unwrap();
    assert!((back - &m).amax() < 1e-12);
    assert!(rope_unrotate(&Mat::zeros(2, 3), 0).is_err());

    // Every position holds the same token: without position all weights are
    // uniform; with ALiBi each row peaks on itself and falls with distance;
    // with RoPE the scores depend only on the offset i - j.
    let row = rng.normal_matrix(1, 8, 1.0);
    let x = Mat::from_fn(6, 8, |_, j| row[(0, j)]);
    let mut cfg = MhaConfig::self_attention(8, 2, 4);
    let mha = MultiHeadAttention::new(cfg.clone(), &mut Rng::new(51)).unwrap();
    let (_, plain) = mha.forward_self(&x).unwrap();
    assert!(plain.weights[0]
        .iter()
        .all(|w| (w - 1.0 / 6.0).abs() < 1e-12));

    cfg.relative = Relative::Alibi;
    let alibi = MultiHeadAttention::new(cfg.clone(), &mut Rng::new(51)).unwrap();
    let (_, c) = alibi.forward_self(&x).unwrap();
    for a in &c.weights {
        for i in 0..6 {
            for j in 0..6 {
                if j + 1 < 6 && j >= i {
                    assert!(a[(i, j)] > a[(i, j + 1)], "falls to the right of {i}");
                }
                if j > 0 && j <= i {
                    assert!(a[(i, j)] > a[(i, j - 1)], "falls to the left of {i}");
                }
            }
        }
    }
    // The second head has the smaller slope, so it spreads further.
    assert!(c.weights[1][(0, 5)] > c.weights[0][(0, 5)]);

    cfg.relative = Relative::Rope;
    let rope = MultiHeadAttention::new(cfg, &mut Rng::new(51)).unwrap();
    let (_, c) = rope.forward_self(&x).unwrap();
    for h in 0..2 {
        let q = rope_rotate(&c.q.columns(h * 4, 4).into_owned(), 0).unwrap();
        let k = rope_rotate(&c.k.columns(h * 4, 4).into_owned(), 0).unwrap();
        let s = &q * k.transpose();
        for i in 1..6 {
            for j in 1..6 {
                assert!(
                    (s[(i, j)] - s[(i - 1, j - 1)]).abs() < 1e-9,
                    "Toeplitz at ({i}, {j})"
                );
            }
        }
        // ... and these rotated scores are the ones the layer used.
        let expected = attention_core::softmax_rows(&(s * c.scale_factor)).unwrap();
        assert!((&expected - &c.weights[h]).amax() < 1e-12);
        assert!(
            (&c.weights[h] - &plain.weights[h]).amax() > 1e-3,
            "position matters"
        );
    }
    // An odd d_k cannot be rotated: a clear error, not a panic.
    let mut odd = MhaConfig::self_attention(6, 2, 3);
    odd.relative = Relative::Rope;
    let m = MultiHeadAttention::new(odd, &mut Rng::new(52)).unwrap();
    assert!(m.forward_self(&Mat::zeros(3, 6)).is_err());
}
