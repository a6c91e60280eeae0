//! Steps per second of the chapter-4 model (`cargo bench -p attention-core`):
//! one Adam `train_step` on a batch of 16 associative-recall sequences
//! (4 pairs, 8 keys, 8 values, length 10), 2 layers x 2 heads, at
//! d_model 32 and 64, and at d_k 16 and 256.
//!
//! `page step` cases are the unit chapter 4's page runs (its `Run` job, what
//! `tests/e2e/bench_training.mjs` reports as steps/s): the scaled and the
//! unscaled model (d_model 32, 2 x 2 heads, d_v 16, seed 1) each take one
//! step on the same fresh batch of 16, and every 25 steps both are measured
//! on 128 held-out sequences. One iteration is 25 such steps (one held-out
//! measurement); divide its time by 25 for one page step.

use attention_core::train::{Adam, AssocRecall, Optimizer, RecallConfig, RecallModel, Sgd};
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
    page_steps(c, &task)
}

/// 25 steps of chapter 4's page run (see the module docs).
fn page_steps(c: &mut Criterion, task: &AssocRecall) -> Result<(), AttnError> {
    for (opt_name, d_k) in [("adam", 16), ("adam", 64), ("sgd", 16)] {
        let make = |scale: bool| -> Result<(RecallModel, Box<dyn Optimizer>), AttnError> {
            let mut cfg = RecallConfig::new(task.clone());
            (cfg.d_k, cfg.d_v, cfg.scale, cfg.seed) = (d_k, 16, scale, 1);
            let opt: Box<dyn Optimizer> = match opt_name {
                "adam" => Box::new(Adam::new(3e-3)),
                _ => Box::new(Sgd::new(0.01, 0.9)),
            };
            Ok((RecallModel::new(cfg)?, opt))
        };
        let mut sides = [make(true)?, make(false)?];
        let mut rng = Rng::new(1 ^ 0x7EA1_0000);
        let eval = task.batch(&mut Rng::new(1 ^ 0xE7A1_0000), 128);
        time(
            c,
            &format!("page step x25 {opt_name} b16 d_model 32 d_k {d_k} (2 models, held-out 128)"),
            || {
                for _ in 0..25 {
                    let batch = task.batch(&mut rng, 16);
                    for (model, opt) in &mut sides {
                        model.train_step(&batch, opt.as_mut())?;
                    }
                }
                for (model, _) in &sides {
                    model.evaluate(&eval)?;
                }
                Ok(())
            },
        )?;
    }
    Ok(())
}

#[path = "shared/time.rs"]
mod time;
use time::time;

criterion_group!(benches, bench);
criterion_main!(benches);
