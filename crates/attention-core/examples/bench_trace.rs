//! Wall-clock timing of [`attention_trace`] for `tests/reference/bench_trace.py`
//! (which builds and runs this, times numpy on the same shapes and prints the
//! ratios). Not a test: nothing here asserts a timing.
//!
//! `cargo run --release -p attention-core --example bench_trace -- [REPS] [N...]`
//!
//! For every n (default 64 128 256 512 1024) and mask (none, causal): d_model
//! 64, 8 heads, d_k = d_v = 8, `w_o` 64 x 64, scale on, temperature 1,
//! position none, seeded random `x` (`n x 64`) and weights. One untimed warm-up
//! call, then at least REPS (default 7) timed calls, more if needed to last
//! `MIN_SECONDS`; prints one JSON object per line: `{"n": .., "mask":
//! "none"|"causal", "ms": [..], "cpu_ms": ..}` with every repetition's
//! wall-clock time and the thread's mean CPU time per call (user + system,
//! from Linux's `/proc/thread-self/schedstat`, which is only exact over
//! longer spans; `null` elsewhere), in ms.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use attention_core::{
    attention_trace, AttentionConfig, AttnError, Mask, Mat, MultiHeadWeights, Position, Rng,
};

/// Every (n, mask) is timed for at least this long (CPU time needs it).
const MIN_SECONDS: f64 = 0.3;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let reps: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let mut ns: Vec<usize> = args.filter_map(|a| a.parse().ok()).collect();
    if ns.is_empty() {
        ns = vec![64, 128, 256, 512, 1024];
    }
    match bench(&ns, reps) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_trace: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Times every n of `ns` with both masks and prints the JSON lines.
fn bench(ns: &[usize], reps: usize) -> Result<(), AttnError> {
    let (d_model, heads, d_k) = (64, 8, 8);
    let weights = MultiHeadWeights::random(d_model, heads, d_k, d_k, d_model, 7)?;
    for &n in ns {
        let x: Mat = Rng::new(n as u64).normal_matrix(n, d_model, 1.0);
        for (mask, name) in [(Mask::None, "none"), (Mask::Causal, "causal")] {
            let cfg = AttentionConfig {
                scale: true,
                temperature: 1.0,
                mask,
                position: Position::None,
            };
            let run = || {
                let start = Instant::now();
                let trace = attention_trace(black_box(&x), black_box(&weights), &cfg);
                black_box(trace).map(|_| start.elapsed().as_secs_f64() * 1e3)
            };
            let (ms, cpu_ms) = time(run, reps)?;
            let cpu_ms = cpu_ms.map_or("null".to_string(), |v| format!("{v:.4}"));
            println!(
                "{{\"n\": {n}, \"mask\": \"{name}\", \"ms\": [{}], \"cpu_ms\": {cpu_ms}}}",
                list(&ms)
            );
        }
    }
    Ok(())
}

/// Calls `run` (which returns its wall time in ms) once to warm up, then at
/// least `reps` times and for at least [`MIN_SECONDS`]: every wall time, and
/// the mean CPU time per call.
fn time(
    mut run: impl FnMut() -> Result<f64, AttnError>,
    reps: usize,
) -> Result<(Vec<f64>, Option<f64>), AttnError> {
    let warm = run()?;
    let count = reps.max((MIN_SECONDS * 1e3 / warm.max(1e-3)).ceil() as usize);
    let cpu_start = cpu_ns();
    let ms = (0..count).map(|_| run()).collect::<Result<Vec<f64>, _>>()?;
    let cpu = cpu_ns()
        .zip(cpu_start)
        .map(|(b, a)| (b - a) as f64 / 1e6 / count as f64);
    Ok((ms, cpu))
}

/// `[a, b, ...]` without the brackets, 4 decimals.
fn list(values: &[f64]) -> String {
    let items: Vec<String> = values.iter().map(|v| format!("{v:.4}")).collect();
    items.join(", ")
}

/// This thread's CPU time so far in ns (the first field of
/// `/proc/thread-self/schedstat`), or None where there is no such file.
fn cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}
