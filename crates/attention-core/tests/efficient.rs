#![cfg(test)]
//! Attention without the n x n matrix (src/efficient): every variant against
//! an independent dense reference (`attention_trace`, and a loop-by-loop
//! softmax written here), hand-worked counts, schedule properties and error
//! cases.

use attention_core::efficient::{
    dense_attention, difference, linear_attention, linear_attention_quadratic, linear_vs_softmax,
    phi, ring_attention, ring_blocks, tiled_attention, tiled_trace,
};
use attention_core::{
    attention_trace, AttentionConfig, AttnError, HeadWeights, Mask, Mat, MultiHeadWeights, Rng,
};

fn qkv(seed: u64, n: usize, d_k: usize, d_v: usize) -> (Mat, Mat, Mat) {
    let mut r = Rng::new(seed);
    (
        r.normal_matrix(n, d_k, 1.0),
        r.normal_matrix(n, d_k, 1.0),
        r.normal_matrix(n, d_v, 1.0),
    )
}

fn max_abs(a: &Mat, b: &Mat) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// `attention_trace` on x = [q | k | v] with 0/1 selector projections, so
/// the head's q, k, v are exactly the given ones.
fn trace_reference(q: &Mat, k: &Mat, v: &Mat, causal: bool, scale: bool) -> (Mat, Mat) {
    let (n, d_k, d_v) = (q.nrows(), q.ncols(), v.ncols());
    let d_model = 2 * d_k + d_v;
    let mut x = Mat::zeros(n, d_model);
    x.view_mut((0, 0), (n, d_k)).copy_from(q);
    x.view_mut((0, d_k), (n, d_k)).copy_from(k);
    x.view_mut((0, 2 * d_k), (n, d_v)).copy_from(v);
    let select = |offset: usize, width: usize| {
        let mut w = Mat::zeros(d_model, width);
        for j in 0..width {
            w[(offset + j, j)] = 1.0;
        }
        w
    };
    let weights = MultiHeadWeights {
        heads: vec![HeadWeights {
            w_q: select(0, d_k),
            w_k: select(d_k, d_k),
            w_v: select(2 * d_k, d_v),
        }],
        w_o: None,
    };
    let cfg = AttentionConfig {
        scale,
        mask: if causal { Mask::Causal } else { Mask::None },
        ..AttentionConfig::default()
    };
    let t = attention_trace(&x, &weights, &cfg).unwrap();
    let h = &t.heads[0];
    assert_eq!(&h.q, q);
    (h.output.clone(), h.weights.clone())
}

/// Softmax attention written loop by loop (row max, exp, sum), independent
/// of the crate.
fn naive_dense(q: &Mat, k: &Mat, v: &Mat, causal: bool, scale: bool) -> (Mat, Vec<f64>) {
    let (n, d_k, d_v) = (q.nrows(), q.ncols(), v.ncols());
    let c = if scale {
        1.0 / (d_k as f64).sqrt()
    } else {
        1.0
    };
    let mut out = Mat::zeros(n, d_v);
    let mut row_max = vec![0.0; n];
    for i in 0..n {
        let visible = if causal { i + 1 } else { n };
        let s: Vec<f64> = (0..visible)
            .map(|j| c * (0..d_k).map(|t| q[(i, t)] * k[(j, t)]).sum::<f64>())
            .collect();
        let m = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        row_max[i] = m;
        let e: Vec<f64> = s.iter().map(|x| (x - m).exp()).collect();
        let z: f64 = e.iter().sum();
        for c_ in 0..d_v {
            out[(i, c_)] = (0..visible).map(|j| e[j] * v[(j, c_)]).sum::<f64>() / z;
        }
    }
    (out, row_max)
}

const SHAPES: [(usize, usize, usize); 7] = [
    (1, 1, 1),
    (1, 3, 2),
    (2, 1, 1),
    (5, 1, 3),
    (7, 4, 2),
    (16, 3, 5),
    (17, 8, 4),
];

// ------------------------------------------------------------------ dense

#[test]
fn dense_equals_attention_trace_and_naive_loops() {
    for (s, &(n, d_k, d_v)) in SHAPES.iter().enumerate() {
        let (q, k, v) = qkv(100 + s as u64, n, d_k, d_v);
        for causal in [false, true] {
            for scale in [false, true] {
                let d = dense_attention(&q, &k, &v, causal, scale).unwrap();
                let (t_out, t_w) = trace_reference(&q, &k, &v, causal, scale);
                assert!(max_abs(&d.output, &t_out) < 1e-14, "{n} {causal} {scale}");
                assert!(max_abs(&d.weights, &t_w) < 1e-14);
                let (naive, _) = naive_dense(&q, &k, &v, causal, scale);
                assert!(max_abs(&d.output, &naive) < 1e-12);
                assert_eq!(d.weights.shape(), (n, n));
                if causal && n > 1 {
                    assert_eq!(d.weights[(0, 1)], 0.0);
                    assert_eq!(d.logits[(0, 1)], f64::NEG_INFINITY);
                }
            }
        }
    }
}

#[test]
fn difference_hand_worked() {
    let a = Mat::from_row_slice(1, 3, &[1.0, 2.0, 3.0]);
    let b = Mat::from_row_slice(1, 3, &[1.0, 2.5, 2.0]);
    let d = difference(&a, &b).unwrap();
    assert_eq!(d.max_abs, 1.0);
    assert_eq!(d.mean_abs, 0.5);
    assert!(difference(&a, &Mat::zeros(3, 1)).is_err());
}

// ----------------------------------------------------------------- linear

#[test]
fn linear_equals_its_quadratic_form() {
    for (s, &(n, d_k, d_v)) in SHAPES.iter().chain(&[(40, 6, 3)]).enumerate() {
        let (q, k, v) = qkv(200 + s as u64, n, d_k, d_v);
        for causal in [false, true] {
            let fast = linear_attention(&q, &k, &v, causal).unwrap();
            let slow = linear_attention_quadratic(&q, &k, &v, causal).unwrap();
            let err = max_abs(&fast.output, &slow.output);
            assert!(err < 1e-12, "n={n} d_k={d_k} causal={causal}: {err}");
            assert_eq!(fast.summary.shape(), (d_k, d_v));
            assert_eq!(fast.size.summary, d_k * d_v);
            assert_eq!(fast.size.normaliser, d_k);
            assert_eq!(fast.size.total, d_k * d_v + d_k);
            assert_eq!(fast.size.quadratic, n * n);
            // Implied weights: rows sum to 1, positive, zero above the
            // diagonal when causal.
            for i in 0..n {
                let row_sum: f64 = slow.weights.row(i).sum();
                assert!((row_sum - 1.0).abs() < 1e-12);
                for j in 0..n {
                    if causal && j > i {
                        assert_eq!(slow.weights[(i, j)], 0.0);
                    } else {
                        assert!(slow.weights[(i, j)] > 0.0);
                    }
                }
            }
        }
    }
}

#[test]
fn linear_matches_the_formula_written_per_query() {
    // out_i = sum_j (phi(q_i).phi(k_j)) v_j / sum_j phi(q_i).phi(k_j), j <= i
    // when causal; computed with plain loops.
    let (q, k, v) = qkv(7, 9, 3, 2);
    for causal in [false, true] {
        let fast = linear_attention(&q, &k, &v, causal).unwrap();
        for i in 0..9 {
            let visible = if causal { i + 1 } else { 9 };
            let a: Vec<f64> = (0..visible)
                .map(|j| (0..3).map(|t| phi(q[(i, t)]) * phi(k[(j, t)])).sum())
                .collect();
            let z: f64 = a.iter().sum();
            assert!((fast.denominators[i] - z).abs() < 1e-12);
            for c in 0..2 {
                let num: f64 = (0..visible).map(|j| a[j] * v[(j, c)]).sum();
                assert!((fast.output[(i, c)] - num / z).abs() < 1e-12);
            }
        }
    }
}

#[test]
fn linear_vs_softmax_reports_its_differences() {
    let (q, k, v) = qkv(8, 12, 4, 3);
    for causal in [false, true] {
        let cmp = linear_vs_softmax(&q, &k, &v, causal, true).unwrap();
        let (soft_out, soft_w) = trace_reference(&q, &k, &v, causal, true);
        assert!(max_abs(&cmp.softmax_output, &soft_out) < 1e-14);
        assert!(max_abs(&cmp.softmax_weights, &soft_w) < 1e-14);
        let lin = linear_attention_quadratic(&q, &k, &v, causal).unwrap();
        let want = max_abs(&lin.output, &soft_out);
        assert!((cmp.output_diff.max_abs - want).abs() < 1e-14);
        assert!((cmp.weights_diff.max_abs - max_abs(&lin.weights, &soft_w)).abs() < 1e-14);
        // They are different methods: the difference is real but bounded.
        assert!(cmp.output_diff.max_abs > 1e-6);
        assert!(cmp.weights_diff.mean_abs <= cmp.weights_diff.max_abs);
        assert!(cmp.weights_diff.max_abs <= 1.0);
    }
    // One position: both give v_0 exactly.
    let (q, k, v) = qkv(9, 1, 2, 2);
    let cmp = linear_vs_softmax(&q, &k, &v, false, true).unwrap();
    assert!(cmp.output_diff.max_abs < 1e-15);
}

// ------------------------------------------------------------------ tiled

fn blocks_for(n: usize) -> [usize; 6] {
    [1, 2, 3, 7, n, n + 5]
}

#[test]
fn tiled_equals_dense_for_every_block_size() {
    for (s, &(n, d_k, d_v)) in SHAPES.iter().enumerate() {
        let (q, k, v) = qkv(300 + s as u64, n, d_k, d_v);
        for causal in [false, true] {
            for scale in [false, true] {
                let (dense, _) = trace_reference(&q, &k, &v, causal, scale);
                for block in blocks_for(n) {
                    let t = tiled_attention(&q, &k, &v, causal, scale, block).unwrap();
                    let err = max_abs(&t.output, &dense);
                    assert!(
                        err < 1e-12,
                        "n={n} block={block} c={causal} s={scale}: {err}"
                    );
                    assert_eq!(t.block, block.min(n));
                }
            }
        }
    }
}

#[test]
fn tiled_stays_finite_with_huge_scores() {
    // Inputs scaled by 30: scores of several thousand, exp would overflow.
    for (s, &(n, d_k, d_v)) in [(9, 4, 3), (16, 8, 2), (5, 1, 1)].iter().enumerate() {
        let (q, k, v) = qkv(400 + s as u64, n, d_k, d_v);
        let (q, k) = (q * 30.0, k * 30.0);
        for causal in [false, true] {
            for scale in [false, true] {
                let d = dense_attention(&q, &k, &v, causal, scale).unwrap();
                let max_score = d
                    .logits
                    .iter()
                    .copied()
                    .filter(|x| x.is_finite())
                    .fold(0.0, f64::max);
                if !scale {
                    assert!(max_score > 710.0, "exp({max_score}) should overflow");
                }
                let (naive, _) = naive_dense(&q, &k, &v, causal, scale);
                assert!(max_abs(&d.output, &naive) < 1e-12);
                for block in blocks_for(n) {
                    let t = tiled_attention(&q, &k, &v, causal, scale, block).unwrap();
                    assert!(t.output.iter().all(|x| x.is_finite()));
                    assert!(max_abs(&t.output, &d.output) < 1e-12);
                }
            }
        }
    }
}

#[test]
fn tiled_trace_ends_at_the_dense_row() {
    let (n, d_k, d_v) = (11, 3, 2);
    let (q, k, v) = qkv(500, n, d_k, d_v);
    for causal in [false, true] {
        for scale in [false, true] {
            let (dense, row_max) = naive_dense(&q, &k, &v, causal, scale);
            for block in [1, 3, 4, n, n + 5] {
                for i in [0, 4, n - 1] {
                    let t = tiled_trace(&q, &k, &v, causal, scale, block, i).unwrap();
                    let last = t.steps.last().unwrap();
                    for c in 0..d_v {
                        assert!((last.normalised_output[c] - dense[(i, c)]).abs() < 1e-12);
                        assert!((t.output[c] - dense[(i, c)]).abs() < 1e-12);
                    }
                    assert_eq!(last.running_max, row_max[i]);
                    // Blocks tile 0..visible end without gaps.
                    let b = block.min(n);
                    let visible_end = if causal { i + 1 } else { n };
                    assert_eq!(t.steps.len(), visible_end.div_ceil(b));
                    assert_eq!(t.steps[0].key_start, 0);
                    assert_eq!(t.steps[0].rescale, 0.0);
                    for w in t.steps.windows(2) {
                        assert_eq!(w[0].key_end, w[1].key_start);
                        assert!(w[1].running_max >= w[0].running_max);
                        assert_eq!(w[1].max_before, w[0].running_max);
                        let f = (w[0].running_max - w[1].running_max).exp();
                        assert!((w[1].rescale - f).abs() < 1e-15);
                        // l' = l * rescale + sum(block weights)
                        let added: f64 = w[1].block_weights.iter().sum();
                        let want = w[0].running_sum * w[1].rescale + added;
                        assert!((w[1].running_sum - want).abs() < 1e-12);
                    }
                    // Masked keys carry -inf scores and weight 0.
                    for st in &t.steps {
                        assert_eq!(st.scores.len(), st.key_end - st.key_start);
                        for (j, (s, w)) in st.scores.iter().zip(&st.block_weights).enumerate() {
                            if causal && st.key_start + j > i {
                                assert_eq!((*s, *w), (f64::NEG_INFINITY, 0.0));
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn tiled_memory_grows_linearly_dense_quadratically() {
    let (block, d_k, d_v) = (8, 4, 4);
    let mut totals = Vec::new();
    for (s, n) in [64usize, 128, 256].into_iter().enumerate() {
        let (q, k, v) = qkv(600 + s as u64, n, d_k, d_v);
        let t = tiled_attention(&q, &k, &v, false, true, block).unwrap();
        let m = t.memory;
        // Hand-worked: tile 8*8, stats 2*8, partial 8*4.
        assert_eq!(m.score_tile, 64);
        assert_eq!(m.running_stats, 16);
        assert_eq!(m.partial_output, 32);
        assert_eq!(m.working_peak, 112);
        assert_eq!(m.output, n * d_v);
        assert_eq!(m.total_peak, 112 + n * d_v);
        assert_eq!(m.dense_scores, n * n);
        assert_eq!(m.dense_total, n * n + n * d_v);
        assert!(m.total_peak < m.dense_scores);
        assert_eq!(t.tiles, (n / block) * (n / block));
        totals.push(m.total_peak);
        let causal = tiled_attention(&q, &k, &v, true, true, block).unwrap();
        let nb = n / block;
        assert_eq!(causal.tiles, nb * (nb + 1) / 2);
        assert_eq!(causal.memory, m);
    }
    // Doubling n adds the same per-position amount: linear, not quadratic.
    assert_eq!(totals[1] - totals[0], 64 * d_v);
    assert_eq!(totals[2] - totals[1], 128 * d_v);
    // A block larger than n: a single n x n tile.
    let (q, k, v) = qkv(610, 5, 2, 3);
    let t = tiled_attention(&q, &k, &v, false, true, 9).unwrap();
    assert_eq!((t.memory.score_tile, t.tiles), (25, 1));
    // Uneven last block: n = 5, block 2 -> tiles 2x2, 2x1, 1x2, 1x1 ...
    let t = tiled_attention(&q, &k, &v, false, true, 2).unwrap();
    assert_eq!((t.memory.score_tile, t.tiles), (4, 9));
    assert_eq!(t.memory.working_peak, 4 + 4 + 2 * 3);
}

// ------------------------------------------------------------------- ring

#[test]
fn ring_equals_dense_for_every_device_count() {
    for (s, n) in [1usize, 5, 16, 17].into_iter().enumerate() {
        let (q, k, v) = qkv(700 + s as u64, n, 3, 2);
        for causal in [false, true] {
            for scale in [false, true] {
                let (dense, _) = trace_reference(&q, &k, &v, causal, scale);
                for p in 1..=5usize {
                    let r = ring_attention(&q, &k, &v, causal, scale, p);
                    if p > n {
                        assert!(matches!(r, Err(AttnError::Value { .. })));
                        continue;
                    }
                    let r = r.unwrap();
                    let err = max_abs(&r.output, &dense);
                    assert!(err < 1e-12, "n={n} P={p} c={causal} s={scale}: {err}");
                    check_schedule(&r, n, p, causal);
                }
            }
        }
    }
}

fn check_schedule(r: &attention_core::efficient::RingAttention, n: usize, p: usize, causal: bool) {
    // Contiguous blocks differing by at most one row.
    assert_eq!(r.blocks.len(), p);
    assert_eq!(r.blocks[0].0, 0);
    assert_eq!(r.blocks[p - 1].1, n);
    let lens: Vec<usize> = r.blocks.iter().map(|(s, e)| e - s).collect();
    assert!(lens.iter().max().unwrap() - lens.iter().min().unwrap() <= 1);
    for w in r.blocks.windows(2) {
        assert_eq!(w[0].1, w[1].0);
    }
    assert_eq!(r.schedule.len(), p);
    // Every device sees every block exactly once; step 0 is its own block;
    // a block moves from device d to d + 1 between steps.
    for dev in 0..p {
        let mut seen = vec![0; p];
        for step in &r.schedule {
            let ds = &step.devices[dev];
            assert_eq!(ds.device, dev);
            seen[ds.kv_block] += 1;
            assert_eq!(ds.kv_range, r.blocks[ds.kv_block]);
            let (qs, qe) = r.blocks[dev];
            assert_eq!(ds.computed, !(causal && ds.kv_range.0 >= qe));
            let rows = qe - qs;
            let cols = ds.kv_range.1 - ds.kv_range.0;
            assert_eq!(ds.query_numbers, rows * 3);
            assert_eq!(ds.kv_numbers, cols * 5);
            assert_eq!(ds.stats_numbers, 2 * rows);
            assert_eq!(ds.partial_numbers, rows * 2);
            assert_eq!(ds.tile_numbers, if ds.computed { rows * cols } else { 0 });
        }
        assert!(seen.iter().all(|&c| c == 1), "device {dev}: {seen:?}");
        assert_eq!(r.schedule[0].devices[dev].kv_block, dev);
        let peak = r
            .schedule
            .iter()
            .map(|s| s.devices[dev].total_numbers)
            .max()
            .unwrap();
        assert_eq!(r.devices[dev].peak_numbers, peak);
        assert_eq!(r.devices[dev].query_range, r.blocks[dev]);
    }
    for t in 1..p {
        for dev in 0..p {
            assert_eq!(
                r.schedule[t].devices[(dev + 1) % p].kv_block,
                r.schedule[t - 1].devices[dev].kv_block
            );
        }
    }
    assert_eq!(r.dense_numbers, n * n + n * 2);
}

#[test]
fn ring_memory_per_device_hand_worked() {
    // n = 16, P = 4, d_k = 3, d_v = 2: every block 4 rows. Per device:
    // q 4*3 + kv 4*5 + stats 8 + partial 8 + tile 16 = 64.
    let (q, k, v) = qkv(800, 16, 3, 2);
    let r = ring_attention(&q, &k, &v, false, true, 4).unwrap();
    assert!(r.devices.iter().all(|d| d.peak_numbers == 64));
    assert_eq!(r.dense_numbers, 16 * 16 + 32);
    // Causal: device 0 computes only its own block; device 3 all four.
    let r = ring_attention(&q, &k, &v, true, true, 4).unwrap();
    let computed = |dev: usize| {
        r.schedule
            .iter()
            .filter(|s| s.devices[dev].computed)
            .count()
    };
    assert_eq!((computed(0), computed(3)), (1, 4));
    assert_eq!(ring_blocks(17, 5).unwrap()[0], (0, 4));
}

// ----------------------------------------------------------------- errors

#[test]
fn errors_name_the_field() {
    let (q, k, v) = qkv(900, 4, 2, 3);
    let field = |e: AttnError| e.field().to_string();
    assert_eq!(
        field(tiled_attention(&q, &k, &v, false, true, 0).unwrap_err()),
        "block"
    );
    assert_eq!(
        field(tiled_trace(&q, &k, &v, false, true, 0, 0).unwrap_err()),
        "block"
    );
    assert_eq!(
        field(tiled_trace(&q, &k, &v, false, true, 2, 4).unwrap_err()),
        "query_index"
    );
    assert_eq!(
        field(ring_attention(&q, &k, &v, false, true, 0).unwrap_err()),
        "devices"
    );
    assert_eq!(
        field(ring_attention(&q, &k, &v, false, true, 5).unwrap_err()),
        "devices"
    );
    // Shapes: k of another width, v of another length, empty q, empty v.
    let k3 = Mat::zeros(4, 3);
    let v5 = Mat::zeros(5, 3);
    let empty = Mat::zeros(0, 2);
    let v0 = Mat::zeros(4, 0);
    type Run = fn(&Mat, &Mat, &Mat) -> Result<(), AttnError>;
    let runs: [Run; 6] = [
        |q, k, v| dense_attention(q, k, v, false, true).map(|_| ()),
        |q, k, v| linear_attention(q, k, v, true).map(|_| ()),
        |q, k, v| linear_attention_quadratic(q, k, v, false).map(|_| ()),
        |q, k, v| linear_vs_softmax(q, k, v, false, true).map(|_| ()),
        |q, k, v| tiled_attention(q, k, v, true, true, 2).map(|_| ()),
        |q, k, v| ring_attention(q, k, v, true, true, 2).map(|_| ()),
    ];
    let mut nan_q = q.clone();
    nan_q[(1, 1)] = f64::NAN;
    let mut inf_v = v.clone();
    inf_v[(3, 0)] = f64::INFINITY;
    for run in runs {
        assert!(matches!(run(&q, &k3, &v), Err(AttnError::Shape { .. })));
        assert_eq!(field(run(&q, &k3, &v).unwrap_err()), "k");
        assert_eq!(field(run(&q, &k, &v5).unwrap_err()), "v");
        assert_eq!(field(run(&q, &k, &v0).unwrap_err()), "v");
        assert_eq!(field(run(&empty, &empty, &v).unwrap_err()), "q");
        assert_eq!(field(run(&nan_q, &k, &v).unwrap_err()), "q[1][1]");
        assert_eq!(field(run(&q, &k, &inf_v).unwrap_err()), "v[3][0]");
        // Finite inputs whose scores overflow: an error, not a panic.
        let huge = Mat::from_element(4, 2, 1e200);
        assert!(run(&huge, &huge, &v).is_err());
    }
}

#[test]
fn stepwise_runs_in_slices_equal_the_one_call_functions() {
    use attention_core::efficient::{DenseRun, TiledRun};
    for (n, causal) in [(1, false), (7, true), (33, false), (64, true)] {
        let (q, k, v) = qkv(n as u64 + 5, n, 4, 3);
        let whole = dense_attention(&q, &k, &v, causal, true).unwrap();
        let mut run = DenseRun::new(&q, &k, &v, causal, true).unwrap();
        assert!(run.clone().finish().is_err() || n == 0, "unfinished run");
        let mut steps = 0;
        while !run.step(5).unwrap() {
            steps += 1;
        }
        assert_eq!(steps, n.div_ceil(5) - 1);
        assert_eq!(run.rows_done(), n);
        let sliced = run.finish().unwrap();
        assert!(max_abs(&sliced.output, &whole.output) < 1e-14);
        assert!(max_abs(&sliced.weights, &whole.weights) < 1e-14);
        let tiled = tiled_attention(&q, &k, &v, causal, true, 8).unwrap();
        let mut t = TiledRun::new(&q, &k, &v, causal, true, 8).unwrap();
        let mut blocks = 1;
        while !t.step().unwrap() {
            blocks += 1;
        }
        assert_eq!(blocks, n.div_ceil(8));
        let t = t.finish().unwrap();
        assert_eq!(t.output, tiled.output);
        assert_eq!((t.tiles, t.memory), (tiled.tiles, tiled.memory));
        assert!(max_abs(&t.output, &whole.output) < 1e-12);
    }
    assert!(TiledRun::new(
        &Mat::zeros(2, 2),
        &Mat::zeros(2, 2),
        &Mat::zeros(2, 2),
        false,
        true,
        0
    )
    .is_err());
    assert!(DenseRun::new(
        &Mat::zeros(0, 2),
        &Mat::zeros(0, 2),
        &Mat::zeros(0, 2),
        false,
        true
    )
    .is_err());
}
