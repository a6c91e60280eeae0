//! The extrapolation experiment's task and model: labels, gradients of
//! every positional scheme by finite differences, and the measured shape of
//! the result (trained on lengths up to L, tested up to 4L).

// Always true for an integration test; stated so that the allow-*-in-tests
// settings of clippy.toml also cover its helper functions (rust-clippy#11119).
#![cfg(test)]

use attention_core::train::gradcheck::{numeric_param_grads, rel_error};
use attention_core::train::position_task::*;
use attention_core::train::{Module, Sgd};
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

/// Trains every scheme with the experiment's defaults (k = 3, L = 16, 600
/// steps) on 5 threads and measures accuracy at lengths 16, 32, 48 and 64.
fn run_experiment() -> Vec<(Scheme, [f64; 4])> {
    let exp = Experiment::new(ExperimentConfig::default()).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..exp.runs.len())
            .map(|r| {
                let mut e = exp.clone();
                s.spawn(move || {
                    // Only run r matters on this thread: drop the others' work.
                    let keep = e.runs.swap_remove(r);
                    e.runs = vec![keep];
                    while !e.finished() {
                        e.step().unwrap();
                    }
                    let acc = [16, 32, 48, 64]
                        .map(|n| e.runs[0].model.accuracy(&e.test_set(n, 40)).unwrap());
                    (e.runs[0].scheme, acc)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn experiment_lengths_and_test_sets_are_fixed() {
    let exp = Experiment::new(ExperimentConfig::default()).unwrap();
    assert_eq!(exp.lengths(), vec![16, 24, 32, 40, 48, 56, 64]);
    assert_eq!(exp.test_set(20, 3), exp.test_set(20, 3));
    assert_ne!(exp.test_set(20, 3), exp.test_set(21, 3)[..].to_vec());
    assert!(exp.test_set(20, 3).iter().all(|s| s.tokens.len() == 20));
    for bad in [
        ExperimentConfig {
            k: 0,
            ..Default::default()
        },
        ExperimentConfig {
            max_len: 4,
            ..Default::default()
        },
        ExperimentConfig {
            max_len: 1000,
            ..Default::default()
        },
        ExperimentConfig {
            steps: 0,
            ..Default::default()
        },
    ] {
        assert!(Experiment::new(bad).is_err(), "{bad:?}");
    }
    // Every model starts from the same token embeddings and sees the same batches.
    let e = Experiment::new(ExperimentConfig {
        steps: 2,
        ..Default::default()
    })
    .unwrap();
    let first = &e.runs[0].model.embed.table.value;
    assert!(e.runs.iter().all(|r| &r.model.embed.table.value == first));
}

#[test]
fn accuracy_by_position_counts_only_targets() {
    let exp = Experiment::new(ExperimentConfig::default()).unwrap();
    let m = &exp.runs[0].model;
    let seqs = vec![exp.test_set(5, 1)[0].clone(), exp.test_set(8, 1)[0].clone()];
    let by_pos = m.accuracy_by_position(&seqs).unwrap();
    assert_eq!(by_pos.len(), 8);
    assert!(
        by_pos[..3].iter().all(Option::is_none),
        "k = 3: no target before position 3"
    );
    assert!(by_pos[3..].iter().all(Option::is_some));
    // The overall accuracy is the target-weighted mean of the positions.
    let (mut right, mut count) = (0.0, 0.0);
    for (i, a) in by_pos.iter().enumerate() {
        if let Some(a) = a {
            let c = seqs
                .iter()
                .filter(|s| s.targets.get(i).is_some_and(Option::is_some))
                .count() as f64;
            right += a * c;
            count += c;
        }
    }
    assert!((right / count - m.accuracy(&seqs).unwrap()).abs() < 1e-12);
}

#[test]
fn rope_extrapolates_and_the_learned_table_does_not() {
    let results = run_experiment();
    for (s, acc) in &results {
        eprintln!(
            "copy 3 back, trained on lengths <= 16, accuracy at 16/32/48/64: {} {acc:.3?}",
            s.name()
        );
    }
    let get = |s: Scheme| results.iter().find(|r| r.0 == s).unwrap().1;
    let (rope, learned, none) = (get(Scheme::Rope), get(Scheme::Learned), get(Scheme::None));
    assert!(
        rope[0] > 0.95 && learned[0] > 0.95,
        "both learn the trained lengths: {rope:?} {learned:?}"
    );
    assert!(rope[3] > 0.8, "RoPE holds up at 4L: {rope:?}");
    assert!(
        learned[1] < 0.7,
        "the learned table fails past L: {learned:?}"
    );
    assert!(
        none[0] < 0.6,
        "without position the task cannot be learned: {none:?}"
    );
}
