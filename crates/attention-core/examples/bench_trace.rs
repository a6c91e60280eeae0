//! Wall-clock timing of [`attention_trace`] for `tests/reference/bench_trace.py`
//! (which builds and runs this, times numpy on the same shapes and prints the
//! ratios). Not a test: nothing here asserts a timing.
//!
//! `cargo run --release -p attention-core --example bench_trace -- [REPS] [N...]`
//!
//! For every n (default 64 128 256 512 1024) and mask (none, causal): d_model
//! 64, 8 heads, d_k = d_v = 8, `w_o` 64 x 64, scale on, temperature 1,
//! position none, seeded random `x` (`n x 64`) and weights. One untimed warm-up
//! call, then REPS (default 7) timed calls; prints one JSON object per line:
//! `{"n": .., "mask": "none"|"causal", "ms": [..]}` (every repetition, in ms).

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use attention_core::{attention_trace, AttentionConfig, Mask, MultiHeadWeights, Position, Rng};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let reps: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let mut ns: Vec<usize> = args.filter_map(|a| a.parse().ok()).collect();
    if ns.is_empty() {
        ns = vec![64, 128, 256, 512, 1024];
    }
    let (d_model, heads, d_k) = (64, 8, 8);
    for &n in &ns {
        let weights = match MultiHeadWeights::random(d_model, heads, d_k, d_k, d_model, 7) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("bench_trace: {e}");
                return ExitCode::FAILURE;
            }
        };
        let x = Rng::new(n as u64).normal_matrix(n, d_model, 1.0);
        for (mask, name) in [(Mask::None, "none"), (Mask::Causal, "causal")] {
            let cfg = AttentionConfig {
                scale: true,
                temperature: 1.0,
                mask,
                position: Position::None,
            };
            let mut ms = Vec::with_capacity(reps);
            for rep in 0..=reps {
                let start = Instant::now();
                let trace = attention_trace(black_box(&x), black_box(&weights), &cfg);
                let elapsed = start.elapsed().as_secs_f64() * 1e3;
                if let Err(e) = black_box(trace) {
                    eprintln!("bench_trace: {e}");
                    return ExitCode::FAILURE;
                }
                if rep > 0 {
                    ms.push(elapsed);
                }
            }
            let list: Vec<String> = ms.iter().map(|v| format!("{v:.4}")).collect();
            println!(
                "{{\"n\": {n}, \"mask\": \"{name}\", \"ms\": [{}]}}",
                list.join(", ")
            );
        }
    }
    ExitCode::SUCCESS
}
