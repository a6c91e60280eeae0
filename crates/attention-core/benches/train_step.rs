//! Steps per second of the chapter-4 model (`cargo bench -p attention-core`):
//! one Adam `train_step` on a batch of 16 associative-recall sequences
//! (4 pairs, 8 keys, 8 values, length 10), 2 layers x 2 heads, at
//! d_model 32 and 64, and at d_k 16 and 256.

use attention_core::train::{Adam, AssocRecall, RecallConfig, RecallModel};
use attention_core::Rng;
use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let task = AssocRecall::new(4, 8, 8).expect("valid task");
    for (d_model, d_k) in [(32, 16), (64, 32), (32, 256)] {
        let mut cfg = RecallConfig::new(task.clone());
        (cfg.d_model, cfg.d_k, cfg.d_v) = (d_model, d_k, d_model / 2);
        let mut model = RecallModel::new(cfg).expect("valid config");
        let mut opt = Adam::new(3e-3);
        let batch = task.batch(&mut Rng::new(1), 16);
        c.bench_function(
            &format!("train_step b16 d_model {d_model} d_k {d_k}"),
            |b| b.iter(|| model.train_step(&batch, &mut opt).expect("step")),
        );
        c.bench_function(&format!("evaluate b16 d_model {d_model} d_k {d_k}"), |b| {
            b.iter(|| model.evaluate(&batch).expect("eval"))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
