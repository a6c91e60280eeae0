//! Counting the cost of attention: hand-worked values, brute-force checks,
//! overflow, errors, and the KV cache (counted and run).

// Always true for an integration test; stated so that the allow-*-in-tests
// settings of clippy.toml also cover its helper functions (rust-clippy#11119).
#![cfg(test)]

use attention_core::cost::*;
use attention_core::*;

const GPT2: ModelShape = ModelShape::GPT2_SMALL;

#[test]
fn scores_hand_worked() {
    // n = 1,000: 1,000 * 1,000 = 1,000,000 scores per head.
    let c = Costs::at(&GPT2, 1_000).unwrap();
    assert_eq!(c.scores_per_head, 1_000_000);
    // 12 heads: 12,000,000 per layer; 12 layers: 144,000,000.
    assert_eq!(c.scores_per_layer, 12_000_000);
    assert_eq!(c.scores_model, 144_000_000);
    // fp32: 4 bytes each -> 48,000,000 bytes (48 MB) per layer;
    // bf16: 24,000,000; whole model fp32 576,000,000, bf16 288,000,000.
    assert_eq!(c.layer_bytes_fp32, 48_000_000);
    assert_eq!(c.layer_bytes_bf16, 24_000_000);
    assert_eq!(c.model_bytes_fp32, 576_000_000);
    assert_eq!(c.model_bytes_bf16, 288_000_000);

    // n = 100,000: 10^10 scores per head; 1.2 * 10^11 per layer, which is
    // 4.8 * 10^11 bytes = 480 GB in fp32 for a single layer.
    let c = Costs::at(&GPT2, 100_000).unwrap();
    assert_eq!(c.scores_per_head, 10_000_000_000);
    assert_eq!(c.scores_per_layer, 120_000_000_000);
    assert_eq!(c.layer_bytes_fp32, 480 * GB);

    // Transformer base, n = 2: 4 per head, 8 heads * 6 layers -> 192.
    let c = Costs::at(&ModelShape::TRANSFORMER_BASE, 2).unwrap();
    assert_eq!((c.scores_per_head, c.scores_model), (4, 192));
}

#[test]
fn flops_hand_worked_gpt2_small() {
    // GPT-2 small, n = 1,000, d = 768, d_ff = 3072 (multiply-add = 2 FLOPs):
    // QK^T    = 2 * 1000^2 * 768           = 1,536,000,000
    // W x V   = the same                   = 1,536,000,000
    // Q,K,V,O = 4 * 2 * 1000 * 768^2       = 8 * 1000 * 589,824 = 4,718,592,000
    // MLP     = 2 * 2 * 1000 * 768 * 3072  = 4 * 1000 * 2,359,296 = 9,437,184,000
    // total   = 17,227,776,000; attention share = 3,072,000,000 / total.
    let f = LayerFlops::at(&GPT2, 1_000).unwrap();
    assert_eq!(f.qk, 1_536_000_000);
    assert_eq!(f.av, 1_536_000_000);
    assert_eq!(f.attention, 3_072_000_000);
    assert_eq!(f.projections, 4_718_592_000);
    assert_eq!(f.mlp, 9_437_184_000);
    assert_eq!(f.rest, 14_155_776_000);
    assert_eq!(f.total, 17_227_776_000);
    assert!((f.attention_share - 3.072 / 17.227_776).abs() < 1e-12);
    let c = Costs::at(&GPT2, 1_000).unwrap();
    assert_eq!(c.model_flops, 12 * 17_227_776_000);

    // Per head the same count: heads * 2 n^2 d_k with d_k = 64.
    let d_k = GPT2.d_k().unwrap() as u128;
    assert_eq!(f.qk, 12 * 2 * 1_000 * 1_000 * d_k);
}

#[test]
fn crossover_matches_brute_force() {
    // Closed form n = 2 d + d_ff + 1: base 3073, GPT-2 4609, 7B 24577.
    let want = [3_073u64, 4_609, 24_577];
    for (shape, want) in ModelShape::PRESETS.iter().zip(want) {
        let c = crossover_n(shape).unwrap();
        assert_eq!(c.n, want, "{}", shape.label);
        // Brute force: the first n whose counted attention exceeds the rest.
        let brute = (1..)
            .find(|&n| {
                let f = LayerFlops::at(shape, n).unwrap();
                f.attention > f.rest
            })
            .unwrap();
        assert_eq!(brute, c.n, "{}", shape.label);
        // Exactly equal one step before (4 n^2 d = n (8 d^2 + 4 d d_ff)).
        assert_eq!(c.before.attention, c.before.rest);
        assert!(c.at.attention_share > 0.5 && c.before.attention_share <= 0.5);
    }
    // A custom shape with another MLP width.
    let s = ModelShape::new(64, 4, 2).unwrap().with_d_ff(100).unwrap();
    assert_eq!(crossover_n(&s).unwrap().n, 2 * 64 + 100 + 1);
}

#[test]
fn max_n_fitting_boundary() {
    // GPT-2 small, 16 GB fp32: n^2 <= 16e9 / (12 * 4) = 333,333,333.3
    // -> n = 18,257 (18,257^2 = 333,318,049; 18,258^2 = 333,354,564).
    assert_eq!(max_n_fitting(&GPT2, 16 * GB, FP32_BYTES).unwrap(), 18_257);
    // 80 GB fp32: n^2 <= 1,666,666,666 -> 40,824 (40,825^2 = 1,666,680,625).
    assert_eq!(max_n_fitting(&GPT2, 80 * GB, FP32_BYTES).unwrap(), 40_824);
    // 7B class, 80 GB bf16: n^2 <= 80e9 / 64 = 1.25e9 -> 35,355.
    let big = ModelShape::LLAMA_7B_CLASS;
    assert_eq!(max_n_fitting(&big, 80 * GB, BF16_BYTES).unwrap(), 35_355);

    for shape in ModelShape::PRESETS {
        for budget in [16 * GB, 80 * GB, 16 * GIB, 80 * GIB, 12_345] {
            for (b, field) in [(FP32_BYTES, 0), (BF16_BYTES, 1)] {
                let n = max_n_fitting(&shape, budget, b).unwrap() as u64;
                let bytes = |n: u64| {
                    let c = Costs::at(&shape, n).unwrap();
                    [c.layer_bytes_fp32, c.layer_bytes_bf16][field]
                };
                if n > 0 {
                    assert!(bytes(n) <= budget, "{} n={n} fits", shape.label);
                }
                assert!(
                    bytes(n + 1) > budget,
                    "{} n+1={} does not",
                    shape.label,
                    n + 1
                );
            }
        }
    }
    // A budget below one score: nothing fits.
    assert_eq!(max_n_fitting(&GPT2, 10, FP32_BYTES).unwrap(), 0);
    assert!(max_n_fitting(&GPT2, GB, 0).is_err());
}

#[test]
fn no_overflow_at_large_n() {
    let big = ModelShape::LLAMA_7B_CLASS;
    // n = 10^6: 10^12 scores per head; 32 * 32 * 10^12 for the model.
    let c = Costs::at(&big, 1_000_000).unwrap();
    assert_eq!(c.scores_per_head, 1_000_000_000_000);
    assert_eq!(c.scores_model, 1_024 * 1_000_000_000_000);
    // n = 10^7: QK^T alone = 2 * 10^14 * 4096 = 8.192e17 per layer; the
    // model's FLOPs exceed u64::MAX and still count exactly.
    let c = Costs::at(&big, 10_000_000).unwrap();
    assert_eq!(c.layer_flops.qk, 2 * 100_000_000_000_000 * 4_096);
    assert!(c.model_flops > u64::MAX as u128);
    let f = &c.layer_flops;
    assert_eq!(f.total, f.qk + f.av + f.projections + f.mlp);
    assert!(f.attention_share > 0.99);
    // Absurd n: an error, not a wrap or a panic.
    assert!(Costs::at(&big, u64::MAX).is_err());
    assert!(kv_step_cost(&big, u64::MAX).is_err());
    assert!(kv_generation_macs(&big, u64::MAX).is_err());
    assert!(kv_cache_bytes(u64::MAX, u64::MAX, u64::MAX, 8).is_err());
}

#[test]
fn bad_shapes_are_errors() {
    assert_eq!(ModelShape::new(768, 0, 12).unwrap_err().field(), "heads");
    assert_eq!(ModelShape::new(768, 7, 12).unwrap_err().field(), "heads");
    assert_eq!(ModelShape::new(0, 1, 12).unwrap_err().field(), "d_model");
    assert_eq!(ModelShape::new(768, 12, 0).unwrap_err().field(), "layers");
    assert_eq!(GPT2.with_d_ff(0).unwrap_err().field(), "d_ff");
    let bad = ModelShape { heads: 5, ..GPT2 };
    assert!(Costs::at(&bad, 10).is_err());
    assert!(crossover_n(&bad).is_err());
    assert!(max_n_fitting(&bad, GB, 4).is_err());
    assert!(kv_step_cost(&bad, 3).is_err());
    assert_eq!(Costs::at(&GPT2, 0).unwrap_err().field(), "n");
    assert!(kv_cache_bytes(0, 1, 1, 1).is_err());
    let ok = ModelShape::new(768, 12, 12).unwrap();
    assert_eq!(ok.d_ff, 3_072);
    assert_eq!((ok.d_model, ok.heads, ok.layers), (768, 12, 12));
}

#[test]
fn kv_counts_hand_worked() {
    // GPT-2 small, one layer, d = 768, d^2 = 589,824.
    // t = 0: with = without = 4 d^2 + 2 d = 2,359,296 + 1,536 = 2,360,832.
    let s = kv_step_cost(&GPT2, 0).unwrap();
    assert_eq!(s.layer_macs_with_cache, 2_360_832);
    assert_eq!(s.layer_macs_without_cache, 2_360_832);
    // t = 99 (context 100): with = 2,359,296 + 2*100*768 = 2,512,896;
    // without = 4 d^2 * 100 + 2 * 100^2 * 768 = 235,929,600 + 15,360,000.
    let s = kv_step_cost(&GPT2, 99).unwrap();
    assert_eq!(s.context, 100);
    assert_eq!(s.layer_macs_with_cache, 2_512_896);
    assert_eq!(s.layer_macs_without_cache, 251_289_600);
    assert_eq!(s.model_macs_with_cache, 12 * 2_512_896);
    assert_eq!(s.model_flops_without_cache, 2 * 12 * 251_289_600);

    // With the cache linear in t (constant first difference 2d), without
    // quadratic (constant second difference 4d).
    let w: Vec<u128> = (0..50)
        .map(|t| kv_step_cost(&GPT2, t).unwrap().layer_macs_with_cache)
        .collect();
    let wo: Vec<u128> = (0..50)
        .map(|t| kv_step_cost(&GPT2, t).unwrap().layer_macs_without_cache)
        .collect();
    for t in 0..48 {
        assert_eq!(w[t + 1] - w[t], 2 * 768);
        assert_eq!((wo[t + 2] - wo[t + 1]) - (wo[t + 1] - wo[t]), 4 * 768);
    }
    // The closed-form totals are the sums of the steps.
    let (tw, two) = kv_generation_macs(&GPT2, 50).unwrap();
    assert_eq!(tw, w.iter().sum::<u128>());
    assert_eq!(two, wo.iter().sum::<u128>());

    // Cache size: 7B class, 4096 tokens, bf16:
    // 2 * 4096 * 32 * 4096 * 2 = 2,147,483,648 bytes = exactly 2 GiB.
    assert_eq!(
        kv_cache_bytes(4_096, 32, 4_096, BF16_BYTES).unwrap(),
        2 * GIB
    );
}

fn one_head(d_model: usize, d_k: usize, d_v: usize, seed: u64) -> HeadWeights {
    MultiHeadWeights::random(d_model, 1, d_k, d_v, 1, seed)
        .unwrap()
        .heads
        .remove(0)
}

#[test]
fn kv_decode_equals_recompute_and_attention_trace() {
    let (n, d_model, d_k, d_v) = (12, 6, 4, 3);
    for seed in 0..4 {
        let x = Rng::new(100 + seed).normal_matrix(n, d_model, 1.0);
        let head = one_head(d_model, d_k, d_v, seed);
        let run = kv_decode(&x, &head).unwrap();
        assert_eq!(run.steps.len(), n);
        assert!(run.max_abs_diff < 1e-12, "diff {}", run.max_abs_diff);
        // Independent reference: causal attention_trace over x[0..=t].
        let mw = MultiHeadWeights {
            heads: vec![head.clone()],
            w_o: None,
        };
        let cfg = AttentionConfig {
            mask: Mask::Causal,
            ..AttentionConfig::default()
        };
        for step in &run.steps {
            let t = step.t;
            let tr = attention_trace(&x.rows(0, t + 1).into_owned(), &mw, &cfg).unwrap();
            let want = tr.output.rows(t, 1).into_owned();
            assert!((&step.with_cache - &want).amax() < 1e-12);
            assert!((&step.without_cache - &want).amax() < 1e-12);
            // Counted work: formulas in the docs.
            let c = (t + 1) as u128;
            let (dm, dk, dv) = (d_model as u128, d_k as u128, d_v as u128);
            assert_eq!(step.macs_with_cache, dm * (2 * dk + dv) + c * (dk + dv));
            assert_eq!(
                step.macs_without_cache,
                c * dm * (2 * dk + dv) + c * c * (dk + dv)
            );
            assert_eq!(step.cache_numbers, (t + 1) * (d_k + d_v));
        }
        // The cache holds exactly the keys and values of all tokens.
        assert!((&run.k_cache - &x * &head.w_k).amax() < 1e-12);
        assert!((&run.v_cache - &x * &head.w_v).amax() < 1e-12);
        // Linear vs quadratic per step.
        let s = &run.steps;
        for t in 0..n - 2 {
            let a = s[t + 1].macs_with_cache - s[t].macs_with_cache;
            let b = s[t + 2].macs_with_cache - s[t + 1].macs_with_cache;
            assert_eq!(a, b);
            let a = s[t + 1].macs_without_cache - s[t].macs_without_cache;
            let b = s[t + 2].macs_without_cache - s[t + 1].macs_without_cache;
            assert_eq!(b - a, 2 * (d_k + d_v) as u128);
        }
        assert!(run.total_macs_without_cache > run.total_macs_with_cache);
    }
}

#[test]
fn kv_generate_follows_one_path_of_kv_decode() {
    let mut r = Rng::new(11);
    let x = r.normal_matrix(9, 6, 1.0);
    let head = HeadWeights {
        w_q: r.normal_matrix(6, 4, 0.5),
        w_k: r.normal_matrix(6, 4, 0.5),
        w_v: r.normal_matrix(6, 3, 0.5),
    };
    let run = kv_decode(&x, &head).unwrap();
    let (cached, m_cached) = kv_generate(&x, &head, true).unwrap();
    let (recomputed, m_recomputed) = kv_generate(&x, &head, false).unwrap();
    assert_eq!(cached.shape(), (9, 3));
    for st in &run.steps {
        assert_eq!(cached.row(st.t), st.with_cache.row(0), "token {}", st.t);
        assert_eq!(
            recomputed.row(st.t),
            st.without_cache.row(0),
            "token {}",
            st.t
        );
    }
    assert!((&cached - &recomputed).amax() < 1e-12);
    assert_eq!(
        (m_cached, m_recomputed),
        (run.total_macs_with_cache, run.total_macs_without_cache)
    );
    assert!(kv_generate(&Mat::zeros(0, 6), &head, true).is_err());
    assert!(
        kv_generate(&r.normal_matrix(3, 5, 1.0), &head, false).is_err(),
        "d_model mismatch"
    );
}

#[test]
fn kv_decode_errors() {
    let head = one_head(4, 2, 2, 1);
    assert!(matches!(
        kv_decode(&Mat::zeros(0, 4), &head),
        Err(AttnError::Shape { .. })
    ));
    assert_eq!(
        kv_decode(&Mat::zeros(3, 5), &head).unwrap_err().field(),
        "heads[0].w_q"
    );
    let mut x = Mat::zeros(3, 4);
    x[(1, 2)] = f64::NAN;
    assert!(matches!(kv_decode(&x, &head), Err(AttnError::Value { .. })));
}
