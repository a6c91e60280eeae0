//! Trains the self-attention chapter's model and writes its weights.
//!
//! ```text
//! cargo run --release -p attention-core --bin train-coref -- [--steps N] [--out PATH]
//! ```
//!
//! Seeded and single-threaded, so the same command gives the same file
//! (`public/models/coref.bin` is its output with the defaults). Prints the
//! training progress and the held-out accuracy (1000 sentences, seed 7) of
//! the weights as stored (rounded to f32).

use attention_core::train::coref::{accuracy, CorefTrainer, CorefTraining, Corpus};
use std::time::Instant;

/// Steps of the shipped model.
const STEPS: usize = 1500;
/// Held-out set used for the reported accuracy.
const HELD_OUT: (usize, u64) = (1000, 7);

fn main() {
    if let Err(e) = run() {
        eprintln!("train-coref: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut steps = STEPS;
    let mut out = String::from("public/models/coref.bin");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--steps" => {
                steps = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--steps needs a whole number")?
            }
            "--out" => out = args.next().ok_or("--out needs a path")?,
            _ => return Err(format!("unknown argument {a:?} (try --steps N --out PATH)")),
        }
    }
    let corpus = Corpus::new();
    let held_out = corpus.held_out(HELD_OUT.0, HELD_OUT.1);
    let settings = CorefTraining::new(&corpus);
    let mut trainer = CorefTrainer::new(corpus, settings).map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    let (mut loss, mut acc) = (0.0, 0.0);
    for step in 1..=steps {
        let s = trainer.step().map_err(|e| e.to_string())?;
        loss += s.loss;
        acc += s.accuracy;
        if step % 250 == 0 {
            let h = accuracy(&trainer.model, &held_out).map_err(|e| e.to_string())?;
            println!(
                "step {step:5}  train loss {:.4}  train acc {:.3}  held-out {:.3} (coref {:.3}, agreement {:.3})  {:.1} s",
                loss / 250.0,
                acc / 250.0,
                h.all,
                h.coref.unwrap_or(f64::NAN),
                h.agreement.unwrap_or(f64::NAN),
                t0.elapsed().as_secs_f64()
            );
            (loss, acc) = (0.0, 0.0);
        }
    }
    let mut model = trainer.model;
    model.round_to_f32();
    let h = accuracy(&model, &held_out).map_err(|e| e.to_string())?;
    let bytes = model.to_bytes();
    std::fs::write(&out, &bytes).map_err(|e| format!("writing {out}: {e}"))?;
    println!(
        "wrote {out}: {} bytes, {steps} steps in {:.1} s; held-out accuracy (f32 weights) {:.4} (coref {:.4}, agreement {:.4}); fnv1a64 {:016x}",
        bytes.len(),
        t0.elapsed().as_secs_f64(),
        h.all,
        h.coref.unwrap_or(f64::NAN),
        h.agreement.unwrap_or(f64::NAN),
        fnv1a64(&bytes)
    );
    Ok(())
}

/// FNV-1a, 64-bit: a checksum to compare files by eye.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
