//! The two-lookup task: labels by construction, and the measured comparison
//! of 4 heads of width 8 with 1 head of width 32 (same parameter count) that
//! the multi-head chapter reports.

// Always true for an integration test; stated so that the allow-*-in-tests
// settings of clippy.toml also cover its helper functions (rust-clippy#11119).
#![cfg(test)]

use attention_core::train::*;
use attention_core::Rng;

#[test]
fn labels_are_the_digits_after_the_markers() {
    let task = TwoLookup::new(10, 6).unwrap();
    let mut rng = Rng::new(3);
    for _ in 0..2000 {
        let q = task.sample(&mut rng);
        assert_eq!(q.tokens.len(), 11);
        assert_eq!(q.query, 10);
        assert_eq!(task.token_label(q.tokens[10]), "?");
        let f = q
            .tokens
            .iter()
            .position(|&t| task.token_label(t) == "F")
            .unwrap();
        let s = q
            .tokens
            .iter()
            .position(|&t| task.token_label(t) == "S")
            .unwrap();
        assert!(f.abs_diff(s) >= 2 && f < 9 && s < 9);
        let (x, y) = (q.tokens[f + 1], q.tokens[s + 1]);
        assert!(x < 6 && y < 6, "a digit follows each marker");
        assert_eq!(q.target, x * 6 + y);
        assert_eq!(q.tokens.iter().filter(|&&t| t >= 6).count(), 3);
    }
    assert!(TwoLookup::new(4, 6).is_err() && TwoLookup::new(10, 1).is_err());
    assert_eq!(task.questions(5, 1), task.questions(5, 1));
}

/// Trains one model for `steps` and returns its held-out accuracy.
fn race(task: &TwoLookup, heads: usize, seed: u64, steps: usize, held: &[Question]) -> f64 {
    let mut m = EncoderClassifier::new(task.model_config(32, heads, 2, seed)).unwrap();
    let mut opt = Adam::new(3e-3);
    let mut rng = Rng::new(seed + 100);
    for _ in 0..steps {
        let batch: Vec<Question> = (0..32).map(|_| task.sample(&mut rng)).collect();
        m.train_step(&batch, &mut opt).unwrap();
    }
    m.evaluate(held).unwrap().accuracy
}

#[test]
fn four_heads_learn_two_lookups_more_reliably_than_one_head_of_the_same_width() {
    let task = TwoLookup::new(10, 6).unwrap();
    let held = task.questions(300, 999);
    let cfg = |h| task.model_config(32, h, 2, 0);
    let params = |h| EncoderClassifier::new(cfg(h)).unwrap().num_params();
    assert_eq!(params(1), params(4), "same width, same parameter count");
    // Sixteen independent runs, spread over the machine's cores.
    let results: Vec<(u64, f64, f64)> = std::thread::scope(|scope| {
        let runs: Vec<_> = (1..=8u64)
            .map(|seed| {
                let (task, held) = (&task, &held);
                scope.spawn(move || {
                    let multi = race(task, 4, seed, 500, held);
                    let single = race(task, 1, seed, 500, held);
                    (seed, multi, single)
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().expect("run")).collect()
    });
    let mut solved = [0usize; 2];
    for (seed, multi, single) in results {
        eprintln!(
            "seed {seed}: 4 heads x 8 -> {multi:.3}, 1 head x 32 -> {single:.3} after 500 steps"
        );
        solved[0] += usize::from(multi >= 0.95);
        solved[1] += usize::from(single >= 0.95);
    }
    eprintln!(
        "runs at >= 95% held-out after 500 steps: 4 heads {}/8, 1 head {}/8",
        solved[0], solved[1]
    );
    assert_eq!(solved[0], 8, "every multi-head run solves it");
    assert!(
        solved[1] <= 6,
        "one head should solve it in fewer runs, got {}",
        solved[1]
    );
}
