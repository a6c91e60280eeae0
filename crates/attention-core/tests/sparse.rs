//! Sparse attention patterns: masks and counts by hand, closed forms against
//! the mask, reach against a dense boolean matrix power, and sparse
//! attention against dense masked attention.

// Always true for an integration test; stated so that the allow-*-in-tests
// settings of clippy.toml also cover its helper functions (rust-clippy#11119).
#![cfg(test)]

use attention_core::sparse::*;
use attention_core::*;

fn patterns() -> Vec<Pattern> {
    vec![
        Pattern::Full,
        Pattern::Causal,
        Pattern::Window { w: 1 },
        Pattern::Window { w: 3 },
        Pattern::Window { w: 4 },
        Pattern::Dilated { w: 3, stride: 4 },
        Pattern::Dilated { w: 1, stride: 3 },
        Pattern::LocalGlobal { w: 3, globals: 2 },
        Pattern::LocalGlobal { w: 5, globals: 0 },
        Pattern::RandomBlocks {
            block: 4,
            per_row: 2,
            seed: 9,
        },
        Pattern::RandomBlocks {
            block: 3,
            per_row: 10,
            seed: 1,
        },
    ]
}

/// The mask entry straight from the definitions in the module docs
/// (RandomBlocks excepted: it is checked through its block structure).
fn allowed(p: &Pattern, i: usize, j: usize) -> bool {
    let d = i.abs_diff(j);
    match *p {
        Pattern::Full => true,
        Pattern::Causal => j <= i,
        Pattern::Window { w } => d <= w / 2,
        Pattern::Dilated { w, stride } => d <= w / 2 || d.is_multiple_of(stride),
        Pattern::LocalGlobal { w, globals } => d <= w / 2 || i < globals || j < globals,
        Pattern::RandomBlocks { .. } => unreachable!("checked by blocks"),
    }
}

/// Dense reference, written independently: full `n x n` logits with `-inf`
/// outside the mask, `softmax_rows`, times `v`.
fn dense_masked(q: &Mat, k: &Mat, v: &Mat, m: &BoolMask, scale: f64) -> Mat {
    let mut logits = q * k.transpose() * scale;
    for i in 0..m.n {
        for j in 0..m.n {
            if !m.allows(i, j) {
                logits[(i, j)] = f64::NEG_INFINITY;
            }
        }
    }
    softmax_rows(&logits).unwrap() * v
}

#[test]
fn masks_follow_the_definitions() {
    for n in [1, 2, 5, 8, 17, 40] {
        for p in patterns().into_iter().filter(|p| p.validate(n).is_ok()) {
            let m = mask(&p, n).unwrap();
            assert_eq!(m.rows.len(), n);
            for (i, row) in m.rows.iter().enumerate() {
                assert!(row.windows(2).all(|w| w[0] < w[1]), "sorted, distinct");
                assert!(m.allows(i, i), "{} diagonal", p.label());
                if let Pattern::RandomBlocks { block, .. } = p {
                    // Whole key blocks only, always including its own.
                    for &j in row {
                        let b = j / block;
                        for jj in b * block..((b + 1) * block).min(n) {
                            assert!(m.allows(i, jj));
                        }
                    }
                    // Same query block, same row.
                    assert_eq!(row, &m.rows[(i / block) * block]);
                } else {
                    for j in 0..n {
                        assert_eq!(m.allows(i, j), allowed(&p, i, j), "{} {i} {j}", p.label());
                    }
                }
            }
            let dense = m.to_dense().unwrap();
            let bits = m.to_bitsets();
            for i in 0..n {
                for j in 0..n {
                    assert_eq!(dense[i][j], m.allows(i, j));
                    assert_eq!((bits[i][j / 64] >> (j % 64)) & 1 == 1, m.allows(i, j));
                }
            }
        }
    }
}

#[test]
fn counts_by_hand_n8() {
    let n = 8;
    let count = |p: Pattern| {
        (
            nonzero_count(&p, n).unwrap(),
            mask(&p, n).unwrap().nonzero(),
        )
    };
    // Full 64, causal 8*9/2 = 36.
    assert_eq!(count(Pattern::Full), (64, 64));
    assert_eq!(count(Pattern::Causal), (36, 36));
    // Window w=3 (|i-j| <= 1): rows 0 and 7 have 2 keys, rows 1..6 have 3:
    // 2*2 + 6*3 = 22.
    assert_eq!(count(Pattern::Window { w: 3 }), (22, 22));
    // Window w=1: the diagonal, 8.
    assert_eq!(count(Pattern::Window { w: 1 }), (8, 8));
    // Dilated w=3 stride=3: band 22 plus offsets 3 (2*5 = 10) and 6 (2*2 = 4).
    assert_eq!(count(Pattern::Dilated { w: 3, stride: 3 }), (36, 36));
    // LocalGlobal w=3 g=1: row 0 all 8; row 1 {0,1,2} 3; rows 2..6 band + 0
    // = 4 each (20); row 7 {0,6,7} 3: 8 + 3 + 20 + 3 = 34.
    assert_eq!(count(Pattern::LocalGlobal { w: 3, globals: 1 }), (34, 34));
    // RandomBlocks block 2, one random block: every row sees 2 blocks = 4
    // keys: 32.
    let rb = Pattern::RandomBlocks {
        block: 2,
        per_row: 1,
        seed: 5,
    };
    assert_eq!(count(rb), (32, 32));
    assert_eq!(fraction(&Pattern::Window { w: 3 }, 8).unwrap(), 22.0 / 64.0);
    assert_eq!(
        mask(&Pattern::Window { w: 3 }, 8).unwrap().fraction(),
        22.0 / 64.0
    );
}

#[test]
fn closed_form_counts_equal_the_mask() {
    for n in 1..=40 {
        for w in 1..=9 {
            let mut ps = vec![Pattern::Window { w }];
            for stride in 1..=7 {
                ps.push(Pattern::Dilated { w, stride });
            }
            for globals in [0, 1, 3, n] {
                if globals <= n {
                    ps.push(Pattern::LocalGlobal { w, globals });
                }
            }
            for per_row in [0, 1, 3] {
                ps.push(Pattern::RandomBlocks {
                    block: w,
                    per_row,
                    seed: n as u64,
                });
            }
            for p in ps {
                let m = mask(&p, n).unwrap();
                assert_eq!(
                    nonzero_count(&p, n).unwrap(),
                    m.nonzero(),
                    "{} n={n}",
                    p.label()
                );
            }
        }
    }
    // Large n without building anything: window w=3 at n = 10^6 is
    // 3n - 2; full is n^2 and too big for a mask.
    let big = 1_000_000;
    assert_eq!(
        nonzero_count(&Pattern::Window { w: 3 }, big).unwrap(),
        2_999_998
    );
    assert_eq!(
        nonzero_count(&Pattern::Full, big).unwrap(),
        1_000_000_000_000
    );
    assert!(mask(&Pattern::Full, big).is_err());
    // Random blocks of 1 with 3 random blocks per row: 4 keys per query,
    // counted in O(n * per_row) without a mask.
    let rb = Pattern::RandomBlocks {
        block: 1,
        per_row: 3,
        seed: 2,
    };
    assert_eq!(nonzero_count(&rb, big).unwrap(), 4 * 1_000_000);
    // Beyond MAX_N: an error, not an overflow.
    assert_eq!(
        nonzero_count(&Pattern::Window { w: 3 }, usize::MAX)
            .unwrap_err()
            .field(),
        "n"
    );
    // Dilated at 10^6, stride 1000, w=1: diagonal + 2 * sum_{k=1}^{999} (n - 1000 k).
    let want: u128 = 1_000_000 + 2 * (1..=999u128).map(|k| 1_000_000 - 1_000 * k).sum::<u128>();
    assert_eq!(
        nonzero_count(
            &Pattern::Dilated {
                w: 1,
                stride: 1_000
            },
            big
        )
        .unwrap(),
        want
    );
}

#[test]
fn masks_at_1024_build() {
    for p in patterns() {
        let m = mask(&p, 1024).unwrap();
        assert_eq!(m.nonzero(), nonzero_count(&p, 1024).unwrap());
    }
}

/// Dense boolean reachability after `l` layers: `R_l = R_{l-1} * M`.
fn brute_reach(m: &BoolMask, l: usize) -> Vec<Vec<bool>> {
    let d = m.to_dense().unwrap();
    let n = m.n;
    let mut r = d.clone();
    for _ in 1..l {
        let mut next = vec![vec![false; n]; n];
        for i in 0..n {
            for k in 0..n {
                if d[i][k] {
                    for j in 0..n {
                        next[i][j] |= r[k][j];
                    }
                }
            }
        }
        r = next;
    }
    r
}

#[test]
fn reach_matches_dense_matrix_power() {
    let n = 24;
    for p in patterns() {
        let m = mask(&p, n).unwrap();
        let got = reach(&p, n, 6).unwrap();
        assert_eq!(got.per_layer.len(), 6);
        for l in 1..=6 {
            let r = brute_reach(&m, l);
            let pairs = r.iter().flatten().filter(|b| **b).count() as u128;
            let info = &got.per_layer[l - 1];
            assert_eq!(info.layers, l);
            assert_eq!(info.connected_pairs, pairs, "{} L={l}", p.label());
            assert_eq!(info.first_reaches_last, r[n - 1][0]);
            assert_eq!(info.last_reaches_first, r[0][n - 1]);
            assert_eq!(info.fraction, pairs as f64 / (n * n) as f64);
        }
    }
}

#[test]
fn window_reach_layers() {
    // Half-width r = w / 2 moves information r positions per layer, so the
    // ends (and so every pair) connect after exactly ceil((n - 1) / r).
    for (n, w) in [
        (64usize, 3usize),
        (64, 4),
        (64, 8),
        (100, 9),
        (33, 2),
        (10, 20),
        (2, 2),
    ] {
        let r = w / 2;
        let want = (n - 1).div_ceil(r);
        let got = reach(&Pattern::Window { w }, n, 64).unwrap();
        assert_eq!(got.ends_connected_at, Some(want), "n={n} w={w}");
        assert_eq!(got.all_pairs_at, Some(want), "n={n} w={w}");
        assert_eq!(got.stops_growing_at, Some(want));
        // One layer fewer is not enough.
        if want > 1 {
            assert!(!got.per_layer[want - 2].ends_connected);
        }
    }
    // Layer count grows like n / w: n = 1024, w = 32 (r = 16) -> 64 layers.
    let got = reach(&Pattern::Window { w: 32 }, 1024, 64).unwrap();
    assert_eq!(got.all_pairs_at, Some(64));
    // w = 1: only itself, never.
    let got = reach(&Pattern::Window { w: 1 }, 10, 5).unwrap();
    assert_eq!((got.ends_connected_at, got.all_pairs_at), (None, None));
    assert_eq!(got.stops_growing_at, Some(1));
    assert_eq!(got.per_layer[4].connected_pairs, 10);
}

#[test]
fn reach_full_causal_global() {
    let n = 50;
    let full = reach(&Pattern::Full, n, 4).unwrap();
    assert_eq!(full.all_pairs_at, Some(1));
    assert_eq!(full.ends_connected_at, Some(1));
    assert_eq!(full.stops_growing_at, Some(1));

    let causal = reach(&Pattern::Causal, n, 10).unwrap();
    for info in &causal.per_layer {
        assert!(info.first_reaches_last && info.ends_connected);
        assert!(!info.last_reaches_first, "causal never reaches backwards");
        assert_eq!(info.connected_pairs, (n * (n + 1) / 2) as u128);
    }
    assert_eq!(causal.all_pairs_at, None);
    assert_eq!(causal.ends_connected_at, Some(1));

    // One global token (position 0): the ends are linked directly (0 sees
    // and is seen by everything), every other pair through it in 2 layers.
    let lg = reach(&Pattern::LocalGlobal { w: 3, globals: 1 }, n, 4).unwrap();
    assert_eq!(lg.ends_connected_at, Some(1));
    assert_eq!(lg.all_pairs_at, Some(2));
    assert_eq!(lg.stops_growing_at, Some(2));
    assert!(lg.per_layer[0].connected_pairs < (n * n) as u128);
    // Window with the same w and no globals needs n - 1 = 49 layers.
    let w = reach(&Pattern::Window { w: 3 }, n, 64).unwrap();
    assert_eq!(w.all_pairs_at, Some(49));
}

#[test]
fn random_blocks_deterministic_per_seed() {
    let p = |seed| Pattern::RandomBlocks {
        block: 4,
        per_row: 2,
        seed,
    };
    let a = mask(&p(3), 64).unwrap();
    assert_eq!(a, mask(&p(3), 64).unwrap());
    let differ = (4..20).any(|s| mask(&p(s), 64).unwrap() != a);
    assert!(differ, "other seeds give other blocks");
    // Each query block: its own block + exactly 2 others = 12 keys.
    assert!(a.rows.iter().all(|r| r.len() == 12));
    // per_row beyond the number of other blocks: every block (full).
    let all = Pattern::RandomBlocks {
        block: 4,
        per_row: 100,
        seed: 0,
    };
    assert_eq!(nonzero_count(&all, 30).unwrap(), 900);
}

fn qkv(n: usize, d_k: usize, d_v: usize, seed: u64) -> (Mat, Mat, Mat) {
    let mut rng = Rng::new(seed);
    (
        rng.normal_matrix(n, d_k, 1.0),
        rng.normal_matrix(n, d_k, 1.0),
        rng.normal_matrix(n, d_v, 1.0),
    )
}

#[test]
fn sparse_attention_equals_dense_masked() {
    for (n, seed) in [(1, 1), (2, 2), (7, 3), (33, 4), (64, 5)] {
        let (q, k, v) = qkv(n, 4, 3, seed);
        let scale = 0.5;
        for p in patterns().into_iter().filter(|p| p.validate(n).is_ok()) {
            let m = mask(&p, n).unwrap();
            let got = sparse_attention(&q, &k, &v, &p, scale).unwrap();
            let want = dense_masked(&q, &k, &v, &m, scale);
            assert!((&got.output - &want).amax() < 1e-12, "{} n={n}", p.label());
            assert_eq!(got.scores_computed, m.nonzero());
            for (i, row) in got.weights.iter().enumerate() {
                let keys: Vec<usize> = row.iter().map(|(j, _)| *j).collect();
                assert_eq!(keys, m.rows[i]);
                let s: f64 = row.iter().map(|(_, w)| w).sum();
                assert!((s - 1.0).abs() < 1e-12);
            }
        }
    }
}

#[test]
fn full_and_causal_equal_attention_trace() {
    let (n, d_model, d_k, d_v) = (20, 6, 4, 3);
    let x = Rng::new(11).normal_matrix(n, d_model, 1.0);
    let mut w = MultiHeadWeights::random(d_model, 1, d_k, d_v, 1, 12).unwrap();
    w.w_o = None;
    let h = &w.heads[0];
    let (q, k, v) = (&x * &h.w_q, &x * &h.w_k, &x * &h.w_v);
    let scale = 1.0 / (d_k as f64).sqrt();
    for (p, m) in [(Pattern::Full, Mask::None), (Pattern::Causal, Mask::Causal)] {
        let cfg = AttentionConfig {
            mask: m,
            ..AttentionConfig::default()
        };
        let tr = attention_trace(&x, &w, &cfg).unwrap();
        let got = sparse_attention(&q, &k, &v, &p, scale).unwrap();
        assert!((&got.output - &tr.output).amax() < 1e-12);
        for (i, row) in got.weights.iter().enumerate() {
            for &(j, wt) in row {
                assert!((wt - tr.heads[0].weights[(i, j)]).abs() < 1e-12);
            }
        }
    }
}

#[test]
fn vs_full_differences() {
    let (q, k, v) = qkv(30, 4, 2, 77);
    let full = vs_full(&q, &k, &v, &Pattern::Full, 0.5).unwrap();
    assert!(full.max_abs_diff < 1e-12);
    // The full reference is the dense unmasked attention.
    let dense = dense_masked(&q, &k, &v, &mask(&Pattern::Full, 30).unwrap(), 0.5);
    assert!((&full.full_output - &dense).amax() < 1e-12);
    let win = vs_full(&q, &k, &v, &Pattern::Window { w: 3 }, 0.5).unwrap();
    assert!(win.max_abs_diff > 1e-3);
    assert_eq!(win.row_max_abs_diff.len(), 30);
    let m = win.row_max_abs_diff.iter().copied().fold(0.0, f64::max);
    assert_eq!(m, win.max_abs_diff);
    let want = (&win.sparse.output - &win.full_output).amax();
    assert_eq!(want, win.max_abs_diff);
}

#[test]
fn errors() {
    let field = |r: Result<BoolMask, AttnError>| r.unwrap_err().field().to_string();
    assert_eq!(field(mask(&Pattern::Window { w: 0 }, 8)), "w");
    assert_eq!(
        field(mask(&Pattern::Dilated { w: 3, stride: 0 }, 8)),
        "stride"
    );
    assert_eq!(field(mask(&Pattern::Dilated { w: 0, stride: 2 }, 8)), "w");
    assert_eq!(field(mask(&Pattern::Full, 0)), "n");
    assert_eq!(
        field(mask(&Pattern::LocalGlobal { w: 3, globals: 9 }, 8)),
        "globals"
    );
    let rb = Pattern::RandomBlocks {
        block: 0,
        per_row: 1,
        seed: 0,
    };
    assert_eq!(field(mask(&rb, 8)), "block");
    assert!(nonzero_count(&Pattern::Window { w: 0 }, 8).is_err());
    assert!(fraction(&Pattern::Causal, 0).is_err());
    assert_eq!(reach(&Pattern::Full, 8, 0).unwrap_err().field(), "layers");
    assert_eq!(reach(&Pattern::Full, 5000, 2).unwrap_err().field(), "n");
    assert!(reach(&Pattern::Window { w: 0 }, 8, 2).is_err());

    let (q, k, v) = qkv(5, 3, 2, 1);
    let p = Pattern::Window { w: 3 };
    assert_eq!(
        sparse_attention(&Mat::zeros(0, 3), &k, &v, &p, 1.0)
            .unwrap_err()
            .field(),
        "q"
    );
    assert_eq!(
        sparse_attention(&q, &Mat::zeros(5, 2), &v, &p, 1.0)
            .unwrap_err()
            .field(),
        "k"
    );
    assert_eq!(
        sparse_attention(&q, &k, &Mat::zeros(4, 2), &p, 1.0)
            .unwrap_err()
            .field(),
        "v"
    );
    assert_eq!(
        sparse_attention(&q, &k, &v, &p, f64::NAN)
            .unwrap_err()
            .field(),
        "scale"
    );
    let mut bad = q.clone();
    bad[(2, 1)] = f64::INFINITY;
    assert!(sparse_attention(&bad, &k, &v, &p, 1.0).is_err());
    assert!(vs_full(&q, &k, &v, &Pattern::Window { w: 0 }, 1.0).is_err());
    // Overflowing logits are an error, not NaN output.
    let huge = &q * 1e200;
    assert!(sparse_attention(&huge, &(&k * 1e200), &v, &p, 1.0).is_err());
}
