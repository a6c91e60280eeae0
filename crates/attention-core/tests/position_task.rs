//! The extrapolation experiment's task and model: labels, gradients of
//! every positional scheme by finite differences, and the measured shape of
//! the result (trained on lengths up to L, tested up to 4L).

use attention_core::train::gradcheck::{numeric_param_grads, rel_error};
use attention_core::train::position_task::*;
use attention_core::train::{Adam, Module, Sgd};
use attention_core::Rng;

#[test]
fn copy_back_targets_are_the_tokens_k_steps_back() {
    let task = CopyBack { k: 3, vocab: 8 };
    let mut rng = Rng::new(1);
    for len in [1, 3, 4, 20, 64] {
        let s = task.sample(&mut rng, len);
        assert_eq!((s.tokens.len(), s.targets.len()), (len, len));
        for i in 0..len {
            assert_eq!(
                s.targets[i],
                if i >= 3 { Some(s.tokens[i - 3]) } else { None }
            );
            assert!(s.tokens[i] < 8);
        }
    }
}

fn tiny(scheme: Scheme) -> SeqModel {
    SeqModel::new(SeqConfig {
        scheme,
        vocab: 4,
        max_len: 5,
        d_model: 4,
        n_heads: 2,
        d_hidden: 6,
        n_layers: 2,
        seed: 3,
    })
    .unwrap()
}

#[test]
fn every_scheme_backpropagates_correctly_even_past_the_trained_length() {
    let task = CopyBack { k: 2, vocab: 4 };
    let mut rng = Rng::new(4);
    // Lengths 4 (inside L = 5) and 7 (past it: the learned table's last row
    // is reused, so it collects the gradients of positions 4, 5 and 6).
    let batch = vec![task.sample(&mut rng, 4), task.sample(&mut rng, 7)];
    for scheme in Scheme::ALL {
        let mut m = tiny(scheme);
        let before = m.clone();
        // lr 0: the step only leaves the gradients of the mean loss behind.
        m.train_step(&batch, &mut Sgd::new(0.0, 0.0)).unwrap();
        assert_eq!(m.embed.table.value, before.embed.table.value);
        let analytic: Vec<_> = m.params().iter().map(|p| p.grad.clone()).collect();
        let loss = |m: &SeqModel| -> Result<f64, attention_core::AttnError> {
            let mut probe = m.clone();
            Ok(probe.train_step(&batch, &mut Sgd::new(0.0, 0.0))?.loss)
        };
        let numeric = numeric_param_grads(&mut m, 1e-5, loss).unwrap();
        for (i, (a, n)) in analytic.iter().zip(&numeric).enumerate() {
            let e = rel_error(a, n, 1e-3);
            assert!(e < 1e-6, "{}: param {i} rel error {e:e}", scheme.name());
        }
        let pos_grad = &analytic[1];
        match scheme {
            Scheme::Learned => assert!(pos_grad.row(4).amax() > 0.0),
            _ => assert_eq!(
                pos_grad.amax(),
                0.0,
                "{}: the table is unused",
                scheme.name()
            ),
        }
    }
    // RoPE needs an even head width.
    let mut odd = tiny(Scheme::Rope).cfg;
    odd.n_heads = 4; // width 1
    assert!(SeqModel::new(odd).is_err());
}

/// Trains `scheme` on lengths 4..=16 for `steps` and measures accuracy at
/// lengths 16, 32, 48 and 64.
fn extrapolation(scheme: Scheme, k: usize, steps: usize) -> [f64; 4] {
    let task = CopyBack { k, vocab: 8 };
    let l = 16;
    let mut m = SeqModel::new(SeqConfig {
        scheme,
        vocab: 8,
        max_len: l,
        d_model: 32,
        n_heads: 2,
        d_hidden: 64,
        n_layers: 2,
        seed: 1,
    })
    .unwrap();
    let mut opt = Adam::new(3e-3);
    let mut rng = Rng::new(2);
    for _ in 0..steps {
        let batch: Vec<Labelled> = (0..16)
            .map(|_| {
                let n = 4 + rng.below(l - 3);
                task.sample(&mut rng, n)
            })
            .collect();
        m.train_step(&batch, &mut opt).unwrap();
    }
    let mut erng = Rng::new(9);
    [l, 2 * l, 3 * l, 4 * l].map(|n| {
        let seqs: Vec<Labelled> = (0..40).map(|_| task.sample(&mut erng, n)).collect();
        m.accuracy(&seqs).unwrap()
    })
}

#[test]
fn rope_extrapolates_and_the_learned_table_does_not() {
    let (rope, learned) = std::thread::scope(|s| {
        let r = s.spawn(|| extrapolation(Scheme::Rope, 3, 600));
        let l = s.spawn(|| extrapolation(Scheme::Learned, 3, 600));
        (r.join().unwrap(), l.join().unwrap())
    });
    eprintln!("copy 3 back, trained on lengths <= 16, accuracy at 16/32/48/64: RoPE {rope:.3?}, learned {learned:.3?}");
    assert!(
        rope[0] > 0.95 && learned[0] > 0.95,
        "both learn the trained lengths"
    );
    assert!(rope[3] > 0.8, "RoPE holds up at 4L: {rope:?}");
    assert!(
        learned[1] < 0.7,
        "the learned table fails past L: {learned:?}"
    );
}
