//! Speed of attention with and without the n x n matrix (chapter 6)
//! (`cargo bench -p attention-core --bench variants`): one head, d_k = d_v
//! = 32 (as the chapter's timing run in the page), seeded random inputs, at n = 256, 1024 and 4096: dense softmax
//! attention, tiled attention with an online softmax (blocks of 64), linear
//! attention (elu + 1) and a sliding window of width 65.

use attention_core::efficient::{dense_attention, linear_attention, tiled_attention};
use attention_core::sparse::{sparse_attention, Pattern};
use attention_core::{AttnError, Rng};
use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    if let Err(e) = run(c) {
        eprintln!("variants: {e}");
        std::process::exit(1);
    }
}

fn run(c: &mut Criterion) -> Result<(), AttnError> {
    let d = 32;
    let scale = 1.0 / (d as f64).sqrt();
    let mut group = c.benchmark_group("attention variants");
    group.sample_size(10);
    for n in [256, 1024, 4096] {
        let mut rng = Rng::new(n as u64);
        let (q, k, v) = (
            rng.normal_matrix(n, d, 1.0),
            rng.normal_matrix(n, d, 1.0),
            rng.normal_matrix(n, d, 1.0),
        );
        let mut first_error = None;
        let mut check = |r: Result<(), AttnError>| {
            if let Err(e) = r {
                first_error.get_or_insert(e);
            }
        };
        group.bench_function(format!("dense n={n}"), |b| {
            b.iter(|| check(dense_attention(&q, &k, &v, false, true).map(|_| ())))
        });
        group.bench_function(format!("tiled B=64 n={n}"), |b| {
            b.iter(|| check(tiled_attention(&q, &k, &v, false, true, 64).map(|_| ())))
        });
        group.bench_function(format!("linear n={n}"), |b| {
            b.iter(|| check(linear_attention(&q, &k, &v, false).map(|_| ())))
        });
        let window = Pattern::Window { w: 65 };
        group.bench_function(format!("window w=65 n={n}"), |b| {
            b.iter(|| check(sparse_attention(&q, &k, &v, &window, scale).map(|_| ())))
        });
        if let Some(e) = first_error {
            return Err(e);
        }
    }
    group.finish();
    Ok(())
}

criterion_group!(benches, bench);
criterion_main!(benches);
