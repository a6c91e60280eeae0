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
use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let mut exp = Experiment::new(ExperimentConfig {
        steps: 1_000_000,
        ..ExperimentConfig::default()
    })
    .expect("valid experiment");
    c.bench_function("position experiment: one step of all five models", |b| {
        b.iter(|| exp.step().expect("step"))
    });
    for memory in [Memory::Attention, Memory::Bottleneck { context: 32 }] {
        let (mut t, _) = Trainer::new(TranslatorTraining::shipped(memory), 5).expect("trainer");
        c.bench_function(&format!("translator train_step b32 ({memory:?})"), |b| {
            b.iter(|| t.train_step().expect("step"))
        });
    }
    let (t, _) = Trainer::new(TranslatorTraining::shipped(Memory::Attention), 5).expect("trainer");
    let (_, sets) = held_out(1);
    let pair = &sets[3][0];
    let src = t.vocab.encode_source(&pair.source);
    c.bench_function(
        &format!("greedy translation, {} source words", src.len()),
        |b| b.iter(|| t.model.translate(&src, 50).expect("translate")),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
