//! Steps per second of the chapter-4 model (`cargo bench -p attention-core`):
//! one Adam `train_step` on a batch of 16 associative-recall sequences
//! (4 pairs, 8 keys, 8 values, length 10), 2 layers x 2 heads, at
//! d_model 32 and 64, and at d_k 16 and 256.

use attention_core::train::{Adam, AssocRecall, RecallConfig, RecallModel};
use attention_core::{AttnError, Rng};
use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    if let Err(e) = run(c) {
        eprintln!("train_step: {e}");
        std::process::exit(1);
    }
}

fn run(c: &mut Criterion) -> Result<(), AttnError> {
    let task = AssocRecall::new(4, 8, 8)?;
    for (d_model, d_k) in [(32, 16), (64, 32), (32, 256)] {
        let mut cfg = RecallConfig::new(task.clone());
        (cfg.d_model, cfg.d_k, cfg.d_v) = (d_model, d_k, d_model / 2);
        let mut model = RecallModel::new(cfg)?;
        let mut opt = Adam::new(3e-3);
        let batch = task.batch(&mut Rng::new(1), 16);
        time(
            c,
            &format!("train_step b16 d_model {d_model} d_k {d_k}"),
            || model.train_step(&batch, &mut opt),
        )?;
        time(
            c,
            &format!("evaluate b16 d_model {d_model} d_k {d_k}"),
            || model.evaluate(&batch),
        )?;
    }
    Ok(())
}

#[path = "shared/time.rs"]
mod time;
use time::time;

criterion_group!(benches, bench);
criterion_main!(benches);
