//! Speed of the position and translation chapters' models
//! (`cargo bench -p attention-core --bench seq_models`):
//! * one step of the five-model extrapolation experiment (five Adam steps on
//!   16 copy-back sequences of length 4 to 16);
//! * one Adam step of the shipped translator settings (batch 32, sentences
//!   of 3 to 40 words), attention and bottleneck;
//! * one greedy translation of a 20-word held-out sentence.

use attention_core::train::position_task::{Experiment, ExperimentConfig};
use attention_core::train::seq2seq::Memory;
use attention_core::train::translator::{held_out, Trainer, TranslatorTraining};
use attention_core::AttnError;
use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    if let Err(e) = run(c) {
        eprintln!("seq_models: {e}");
        std::process::exit(1);
    }
}

fn run(c: &mut Criterion) -> Result<(), AttnError> {
    let mut exp = Experiment::new(ExperimentConfig {
        steps: 1_000_000,
        ..ExperimentConfig::default()
    })?;
    time(
        c,
        "position experiment: one step of all five models",
        || exp.step(),
    )?;
    for memory in [Memory::Attention, Memory::Bottleneck { context: 32 }] {
        let (mut t, _) = Trainer::new(TranslatorTraining::shipped(memory), 5)?;
        time(
            c,
            &format!("translator train_step b32 ({memory:?})"),
            || t.train_step(),
        )?;
    }
    let (t, _) = Trainer::new(TranslatorTraining::shipped(Memory::Attention), 5)?;
    let (_, sets) = held_out(1);
    let pair = sets
        .get(3)
        .and_then(|set| set.first())
        .ok_or_else(|| AttnError::value("held_out", "no sentence in bucket 3"))?;
    let src = t.vocab.encode_source(&pair.source);
    time(
        c,
        &format!("greedy translation, {} source words", src.len()),
        || t.model.translate(&src, 50),
    )
}

#[path = "shared/time.rs"]
mod time;
use time::time;

criterion_group!(benches, bench);
criterion_main!(benches);
