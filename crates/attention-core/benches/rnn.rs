//! Chapter 9's models, natively (`cargo bench -p attention-core --bench rnn`):
//! * the forward pass over n positions of a tanh RNN, a GRU and one
//!   self-attention layer of about the same size as the RNN (width 32, one
//!   head of 16: 2080 and 2128 weights), at n = 64 and 512;
//! * the gradient reach (one forward and backward) of each at n = 512;
//! * one step of the recall race (three Adam steps on 16 sequences with up
//!   to 16 distractors).

use attention_core::train::rnn::{
    gradient_reach, probe, Activation, GruCell, RaceConfig, RecallRace, RecurrentInit, RnnCell,
};
use attention_core::train::{MhaConfig, MultiHeadAttention};
use attention_core::{AttnError, Rng};
use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    if let Err(e) = run(c) {
        eprintln!("rnn: {e}");
        std::process::exit(1);
    }
}

fn run(c: &mut Criterion) -> Result<(), AttnError> {
    let d = 32;
    let mut rng = Rng::new(1);
    let init = RecurrentInit::orthogonal(0.9);
    let rnn = RnnCell::new(d, d, Activation::Tanh, init, &mut rng)?;
    let gru = GruCell::new(d, d, init, -1.0, &mut rng)?;
    let attn = MultiHeadAttention::new(MhaConfig::self_attention(d, 1, 16), &mut rng)?;
    for n in [64, 512] {
        let (x, g) = probe(n, d, d, 2);
        time(c, &format!("rnn forward n={n}"), || rnn.forward(&x))?;
        time(c, &format!("gru forward n={n}"), || gru.forward(&x))?;
        time(c, &format!("attention forward n={n}"), || {
            attn.forward_self(&x)
        })?;
        if n == 512 {
            time(c, "rnn reach n=512", || gradient_reach(&rnn, &x, &g))?;
            time(c, "gru reach n=512", || gradient_reach(&gru, &x, &g))?;
            time(c, "attention reach n=512", || gradient_reach(&attn, &x, &g))?;
        }
    }
    let mut race = RecallRace::new(RaceConfig {
        steps: 1_000_000,
        ..RaceConfig::default()
    })?;
    time(c, "recall race: one step of all three models", || {
        race.step()
    })
}

#[path = "shared/time.rs"]
mod time;
use time::time;

criterion_group!(benches, bench);
criterion_main!(benches);
