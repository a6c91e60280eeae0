#!/usr/bin/env python3
"""Speed of the Rust attention engine against numpy, side by side.

One command (from the repository root):
    python3 tests/reference/bench_trace.py [--reps R] [--n 64 128 ...]
        [--blas-threads T] [--no-build] [--rust-binary PATH]

It builds (`cargo build --release -p attention-core --example bench_trace`)
and runs crates/attention-core/examples/bench_trace.rs, times numpy on the
same shapes in this process, and prints a table: median ms of each side and
the ratio numpy/rust (> 1 means Rust is faster), for wall-clock time and for
CPU time (user + system, which includes the kernel's page faults; on a
machine shared with other work, CPU time is the steadier of the two).
Timings are reported, never asserted.

Settings: n = 64, 128, 256, 512, 1024; d_model 64, 8 heads, d_k = d_v = 8,
w_o 64 x 64; scale on (c = 1/sqrt(8)), temperature 1, position none, causal
mask off and on (the settings of the app's Q/K/V and multi-head chapters).
Each side does one untimed warm-up call, then at least R timed calls
(default 7) and at least 0.3 s of them; shown are the median wall time and
the mean CPU time per call.

What each side computes (the same steps, every intermediate kept):
  Rust: `attention_trace` (crates/attention-core/src/attention.rs) returning
    a `Trace`: x (a copy, position none), and per head q = x w_q, k = x w_k,
    v = x w_v (n x 8), scores = q k^T, scaled = c * scores, logits = scaled / T
    with masked entries -inf, weights = row softmax of logits (n x n each),
    output = weights v (n x 8); then concat (n x 64) and output = concat w_o.
    It also validates its inputs and checks the results are finite, and
    returns errors for bad shapes/values.
  numpy: the same arrays, each kept in a list of per-head dicts: x.copy(),
    q, k, v, scores = q @ k.T, scaled = c * scores, logits = scaled / T with
    logits[triu(k=1)] = -inf, weights = exp(logits - rowmax) / rowsum,
    output = weights @ v, concat, concat @ w_o (OpenBLAS or whatever BLAS
    numpy is linked to). numpy does no validation, so the comparison leans
    in numpy's favour.

The Rust engine is single-threaded (it also runs in the browser), and so is
numpy's BLAS by default here (`--blas-threads 1`); `--blas-threads 0` leaves
the BLAS its own default (all cores; on a loaded 2-core machine its threads
mostly wait for each other, which makes numpy slower there, not faster).
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

# numpy is imported in main(), after --blas-threads has set the BLAS's
# thread count (it is read when the library loads).
np = None

D_MODEL, HEADS, D_K = 64, 8, 8
MIN_SECONDS = 0.3  # as in bench_trace.rs
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def numpy_trace(x, heads, w_o, scale, temperature, causal):
    """Every intermediate of attention_trace, kept (see the module docstring)."""
    n = x.shape[0]
    d_k = heads[0][0].shape[1]
    c = 1.0 / math.sqrt(d_k) if scale else 1.0
    x = x.copy()
    masked = np.triu(np.ones((n, n), dtype=bool), k=1) if causal else None
    traces, outs = [], []
    for w_q, w_k, w_v in heads:
        q, k, v = x @ w_q, x @ w_k, x @ w_v
        scores = q @ k.T
        scaled = c * scores
        logits = scaled / temperature
        if causal:
            logits[masked] = -np.inf
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        weights = e / e.sum(axis=1, keepdims=True)
        output = weights @ v
        outs.append(output)
        traces.append(
            dict(q=q, k=k, v=v, scores=scores, scaled=scaled, logits=logits,
                 weights=weights, output=output)
        )
    concat = np.concatenate(outs, axis=1)
    return dict(x=x, heads=traces, concat=concat, output=concat @ w_o)


def cpu_clock():
    """CPU seconds of this thread, or of the process when BLAS may use threads."""
    if os.environ.get("OPENBLAS_NUM_THREADS") == "1":
        return time.thread_time()
    return time.process_time()


def time_numpy(n, causal, reps):
    """Every wall time (ms) after one warm-up, and the mean CPU ms per call."""
    rng = np.random.default_rng(n)
    s = 1.0 / math.sqrt(D_MODEL)
    heads = [tuple(s * rng.standard_normal((D_MODEL, D_K)) for _ in range(3)) for _ in range(HEADS)]
    w_o = (1.0 / math.sqrt(HEADS * D_K)) * rng.standard_normal((HEADS * D_K, D_MODEL))
    x = rng.standard_normal((n, D_MODEL))
    run = lambda: numpy_trace(x, heads, w_o, True, 1.0, causal)
    start = time.perf_counter()
    run()
    warm = time.perf_counter() - start
    count = max(reps, math.ceil(MIN_SECONDS / max(warm, 1e-6)))
    ms = []
    cpu_start = cpu_clock()
    for _ in range(count):
        start = time.perf_counter()
        trace = run()
        ms.append((time.perf_counter() - start) * 1e3)
        del trace
    return ms, (cpu_clock() - cpu_start) * 1e3 / count


BINARY = os.path.join(ROOT, "target", "release", "examples", "bench_trace")


def build_rust():
    cmd = ["cargo", "build", "--quiet", "--release", "-p", "attention-core",
           "--example", "bench_trace"]
    if subprocess.run(cmd, cwd=ROOT).returncode != 0:
        sys.exit("cargo build of the bench_trace example failed")


def time_rust(binary, ns, reps):
    cmd = [binary, str(reps)] + [str(n) for n in ns]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"bench_trace failed ({proc.returncode}): {proc.stderr.strip()}")
    out = {}
    for line in proc.stdout.splitlines():
        row = json.loads(line)
        out[(row["n"], row["mask"])] = (row["ms"], row["cpu_ms"])
    return out


def median(values):
    return statistics.median(values) if values else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--n", type=int, nargs="+", default=[64, 128, 256, 512, 1024])
    ap.add_argument("--no-build", action="store_true",
                    help="run target/release/examples/bench_trace as it is")
    ap.add_argument("--rust-binary", default=BINARY,
                    help="a bench_trace built elsewhere, e.g. from an older commit "
                         "(implies --no-build)")
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="threads of numpy's BLAS (default 1; 0: the BLAS's own default)")
    args = ap.parse_args()
    if args.blas_threads > 0:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.blas_threads)
    global np
    import numpy
    np = numpy
    if not args.no_build and args.rust_binary == BINARY:
        build_rust()
    threads = args.blas_threads if args.blas_threads > 0 else "default"
    print(f"attention_trace vs numpy {np.__version__} (BLAS threads: {threads}): "
          f"d_model {D_MODEL}, {HEADS} heads, d_k {D_K}, scale on, position none; "
          f">= {args.reps} calls (ms)")
    print(f"{'':>13} {'--- wall clock, median ---':>33}   {'--- CPU time, mean ---':>33}")
    print(f"{'n':>5} {'mask':>7} {'rust ms':>10} {'numpy ms':>10} {'numpy/rust':>11}"
          f"   {'rust ms':>10} {'numpy ms':>10} {'numpy/rust':>11}")
    for n in args.n:
        rust = time_rust(args.rust_binary, [n], args.reps)
        for mask in ("none", "causal"):
            r_ms, r_cpu = rust[(n, mask)]
            p_ms, p_cpu = time_numpy(n, mask == "causal", args.reps)
            r, p = median(r_ms), median(p_ms)
            rc, pc = (r_cpu if r_cpu is not None else float("nan")), p_cpu
            print(f"{n:>5} {mask:>7} {r:>10.3f} {p:>10.3f} {p / r:>10.2f}x"
                  f"   {rc:>10.3f} {pc:>10.3f} {pc / rc:>10.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
