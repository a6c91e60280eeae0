//! Trains the translator of the bottleneck and alignment chapters and writes
//! its weights.
//!
//! ```text
//! cargo run --release -p attention-core --bin train-translate -- \
//!     [--memory attention|bottleneck:C] [--steps N] [--out PATH] [--report N]
//! ```
//!
//! Seeded and single-threaded, so the same command gives the same file. The
//! shipped files are its output with `--memory attention`,
//! `--memory bottleneck:8` and `--memory bottleneck:32` (see
//! `scripts/train-translators.sh`). Prints training progress and, at the
//! end, held-out token accuracy and AER for each source-length bucket (30
//! sentences each) of the weights as stored (rounded to f32).

use attention_core::train::seq2seq::Memory;
use attention_core::train::translator::{
    measure, Trainer, TranslatorTraining, BUCKETS, HELD_OUT_PER_BUCKET,
};
use std::time::Instant;

/// Steps of the shipped models.
const STEPS: usize = 3000;

fn main() {
    if let Err(e) = run() {
        eprintln!("train-translate: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut steps = STEPS;
    let mut memory = Memory::Attention;
    let mut out: Option<String> = None;
    let mut report = 500;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--steps" => {
                steps = value()?
                    .parse()
                    .map_err(|_| "--steps needs a whole number")?
            }
            "--report" => {
                report = value()?
                    .parse()
                    .map_err(|_| "--report needs a whole number")?
            }
            "--out" => out = Some(value()?),
            "--memory" => {
                let v = value()?;
                memory = match v.strip_prefix("bottleneck:") {
                    Some(c) => Memory::Bottleneck {
                        context: c.parse().map_err(|_| format!("bad context width in {v}"))?,
                    },
                    None if v == "attention" => Memory::Attention,
                    None => return Err(format!("--memory is attention or bottleneck:C, got {v}")),
                }
            }
            _ => return Err(format!("unknown argument {a:?}")),
        }
    }
    let out = out.unwrap_or_else(|| match memory {
        Memory::Attention => "public/models/translate-attention.bin".into(),
        Memory::Bottleneck { context } => {
            format!("public/models/translate-bottleneck-{context}.bin")
        }
    });
    let (mut trainer, sets) =
        Trainer::new(TranslatorTraining::shipped(memory), HELD_OUT_PER_BUCKET)
            .map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    let (mut loss, mut acc) = (0.0, 0.0);
    for step in 1..=steps {
        let s = trainer.train_step().map_err(|e| e.to_string())?;
        loss += s.loss;
        acc += s.accuracy;
        if report > 0 && step % report == 0 {
            let set = sets.get(2).ok_or("no held-out set of 11-15 words")?;
            let m = measure(&trainer.model, &trainer.vocab, set).map_err(|e| e.to_string())?;
            println!(
                "step {step:5}  train loss {:.4}  teacher-forced acc {:.3}  held-out 11-15 words: tokens {:.3}, AER {:.3}  {:.1} s",
                loss / report as f64,
                acc / report as f64,
                m.accuracy,
                m.aer,
                t0.elapsed().as_secs_f64()
            );
            (loss, acc) = (0.0, 0.0);
        }
    }
    trainer.model.round_to_f32();
    for (b, set) in BUCKETS.iter().zip(&sets) {
        let m = measure(&trainer.model, &trainer.vocab, set).map_err(|e| e.to_string())?;
        println!(
            "held-out {:>2}-{:<2} words: token accuracy {:.3}, exact {:.3}, AER {:.3}",
            b.0, b.1, m.accuracy, m.exact, m.aer
        );
    }
    let bytes = trainer.model.to_bytes();
    std::fs::write(&out, &bytes).map_err(|e| format!("writing {out}: {e}"))?;
    println!(
        "wrote {out} ({} bytes) in {:.1} s",
        bytes.len(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
