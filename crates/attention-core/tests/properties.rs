//! Property tests of the math (proptest).

// Always true for an integration test; stated so that the allow-*-in-tests
// settings of clippy.toml also cover its helper functions (rust-clippy#11119).
#![cfg(test)]

use attention_core::Rng;
use attention_core::*;
use proptest::prelude::*;

fn spec_strategy() -> impl Strategy<Value = (usize, usize, usize, usize, u64)> {
    // (n, d_model, n_heads, d_k/2, seed)
    (1usize..7, 1usize..6, 1usize..4, 1usize..4, any::<u64>())
}

fn mask_strategy() -> impl Strategy<Value = Mask> {
    prop_oneof![Just(Mask::None), Just(Mask::Causal)]
}

/// All positional schemes; `Learned` gets a table sized for the input.
fn position_for(kind: u8, n: usize, d_model: usize, seed: u64) -> Position {
    match kind {
        0 => Position::None,
        1 => Position::Sinusoidal,
        2 => Position::Rope,
        3 => Position::Alibi,
        _ => Position::Learned(learned_table(n + 2, d_model, seed)),
    }
}

proptest! {
    #[test]
    fn softmax_rows_sum_to_one_even_with_huge_logits(
        row in prop::collection::vec(-1e6f64..1e6, 1..20),
        scale in prop_oneof![Just(1.0), Just(1e4), Just(1e300)],
        mask_bits in any::<u32>(),
    ) {
        let mut row: Vec<f64> = row.iter().map(|v| (v * scale).clamp(-f64::MAX, f64::MAX)).collect();
        // Mask some entries, but never entry 0, so the row is never fully masked.
        for (j, v) in row.iter_mut().enumerate().skip(1) {
            if mask_bits >> (j % 32) & 1 == 1 {
                *v = f64::NEG_INFINITY;
            }
        }
        let w = softmax(&row).unwrap();
        prop_assert!(w.iter().all(|v| v.is_finite() && *v >= 0.0));
        prop_assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        for (l, p) in row.iter().zip(&w) {
            if *l == f64::NEG_INFINITY {
                prop_assert_eq!(*p, 0.0);
            }
        }
    }

    #[test]
    fn trace_weights_are_distributions_and_mask_is_exact(
        (n, d_model, n_heads, half_dk, seed) in spec_strategy(),
        mask in mask_strategy(),
        kind in 0u8..5,
        temperature in 0.05f64..5.0,
        scale in any::<bool>(),
        amp in prop_oneof![Just(1.0), Just(100.0)],
    ) {
        let d_k = 2 * half_dk;
        let position = position_for(kind, n, d_model, seed);
        let x = Rng::new(seed).normal_matrix(n, d_model, amp);
        let w = MultiHeadWeights::random(d_model, n_heads, d_k, 3, 2, seed ^ 1).unwrap();
        let cfg = AttentionConfig { scale, temperature, mask, position };
        let t = attention_trace(&x, &w, &cfg).unwrap();
        prop_assert_eq!(t.heads.len(), n_heads);
        prop_assert_eq!((t.output.nrows(), t.output.ncols()), (n, 2));
        for h in &t.heads {
            for i in 0..n {
                let row: Vec<f64> = h.weights.row(i).iter().copied().collect();
                prop_assert!(row.iter().all(|v| v.is_finite()));
                prop_assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
                for j in 0..n {
                    if mask == Mask::Causal && j > i {
                        prop_assert_eq!(h.weights[(i, j)], 0.0);
                        prop_assert_eq!(h.logits[(i, j)], f64::NEG_INFINITY);
                    } else {
                        prop_assert!(h.logits[(i, j)].is_finite());
                    }
                }
            }
        }
    }

    #[test]
    fn without_position_attention_is_permutation_equivariant(
        (n, d_model, n_heads, half_dk, seed) in spec_strategy(),
        perm_seed in any::<u64>(),
    ) {
        let x = Rng::new(seed).normal_matrix(n, d_model, 1.0);
        let w = MultiHeadWeights::random(d_model, n_heads, 2 * half_dk, 2, 3, seed ^ 7).unwrap();
        // Fisher-Yates permutation from our own Rng.
        let mut perm: Vec<usize> = (0..n).collect();
        let mut r = Rng::new(perm_seed);
        for i in (1..n).rev() {
            perm.swap(i, (r.next_u64() % (i as u64 + 1)) as usize);
        }
        let px = Mat::from_fn(n, d_model, |i, j| x[(perm[i], j)]);
        let cfg = AttentionConfig::default();
        let a = attention_trace(&x, &w, &cfg).unwrap().output;
        let b = attention_trace(&px, &w, &cfg).unwrap().output;
        for i in 0..n {
            for j in 0..a.ncols() {
                prop_assert!((b[(i, j)] - a[(perm[i], j)]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn rope_scores_depend_only_on_offset(
        half_d in 1usize..8,
        p in 0usize..50,
        p2 in 0usize..50,
        s in 0usize..1000,
        seed in any::<u64>(),
    ) {
        let d = 2 * half_d;
        let mut r = Rng::new(seed);
        let q = r.normal_matrix(1, d, 1.0);
        let k = r.normal_matrix(1, d, 1.0);
        let dot = |pq: usize, pk: usize| -> f64 {
            let a = rope_rotate(&q, pq).unwrap();
            let b = rope_rotate(&k, pk).unwrap();
            a.row(0).dot(&b.row(0))
        };
        let base = dot(p, p2);
        let shifted = dot(p + s, p2 + s);
        prop_assert!((base - shifted).abs() < 1e-9 * (1.0 + base.abs()), "{} vs {}", base, shifted);
    }

    #[test]
    fn rope_preserves_norms(half_d in 1usize..8, start in 0usize..10_000, seed in any::<u64>()) {
        let m = Rng::new(seed).normal_matrix(3, 2 * half_d, 1.0);
        let r = rope_rotate(&m, start).unwrap();
        for i in 0..3 {
            prop_assert!((m.row(i).norm() - r.row(i).norm()).abs() < 1e-12);
        }
    }

    #[test]
    fn embeddings_are_deterministic(word in ".*", d in 1usize..32, seed in any::<u64>()) {
        let a = word_embedding(&word, d, seed);
        prop_assert_eq!(a.len(), d);
        prop_assert!(a.iter().all(|v| v.is_finite()));
        let b = word_embedding(&word, d, seed);
        prop_assert_eq!(a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                        b.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        let m = embed_tokens(&[word.as_str(), "x"], d, seed).unwrap();
        prop_assert_eq!(m.row(0).iter().copied().collect::<Vec<_>>(), a);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn scaling_gives_unit_variance_dot_products(d_k in 1usize..256, seed in any::<u64>()) {
        // Var(q.k) = d_k for unit-variance entries; relative std of the sample
        // variance over N samples is sqrt((2 + 6/d_k)/N) <= 0.045 for N = 4000,
        // so 0.25 is more than 5 sigma.
        let scaled = variance(&dot_product_samples(d_k, 4000, true, seed));
        prop_assert!((scaled - 1.0).abs() < 0.25, "scaled variance {} at d_k {}", scaled, d_k);
        let raw = variance(&dot_product_samples(d_k, 4000, false, seed));
        prop_assert!((raw / d_k as f64 - 1.0).abs() < 0.25, "raw variance {} at d_k {}", raw, d_k);
    }
}

#[test]
fn scaled_attention_logits_have_unit_variance_with_random_weights() {
    // End to end with a fixed seed: embeddings (unit variance) through
    // MultiHeadWeights::random (N(0, 1/d_model)) give ~unit-variance q, k, so
    // scaled scores have variance ~1 and raw scores ~d_k.
    let (n, d_model, d_k) = (64, 64, 64);
    let x = Rng::new(3).normal_matrix(n, d_model, 1.0);
    let mut scaled_all = Vec::new();
    let mut raw_all = Vec::new();
    for seed in 0..8 {
        let w = MultiHeadWeights::random(d_model, 1, d_k, 4, 4, seed).unwrap();
        let t = attention_trace(&x, &w, &AttentionConfig::default()).unwrap();
        scaled_all.extend(t.heads[0].scaled.iter().copied());
        raw_all.extend(t.heads[0].scores.iter().copied());
    }
    let vs = variance(&scaled_all);
    let vr = variance(&raw_all);
    assert!((vs - 1.0).abs() < 0.3, "scaled variance {vs}");
    assert!((vr / d_k as f64 - 1.0).abs() < 0.3, "raw variance {vr}");
}
