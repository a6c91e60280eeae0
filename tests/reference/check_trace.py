#!/usr/bin/env python3
"""Independent cross-check of the `attention-trace` command.

A numpy implementation written from docs/attention-trace.md (not from
the Rust code). It generates random specs with a fixed seed covering every
combination of scale / mask / position / with-and-without w_o, with
temperature != 1 and several heads, runs the binary on each, and compares every
intermediate (x, q, k, v, logits, weights, head output, concat, output) to a
relative tolerance of 1e-9. It also checks that invalid specs exit with status
2, one stderr line and an empty stdout.

Usage:
    python3 tests/reference/check_trace.py [path/to/attention-trace]
The binary path may also come from $ATTENTION_TRACE; default
target/release/attention-trace.

Prints "N passed, 0 failed"; exits 1 on any mismatch.
"""

import itertools
import json
import math
import os
import subprocess
import sys

import numpy as np

RTOL = 1e-9


# ---------------------------------------------------------------- reference


def sinusoidal(n, d_model):
    pe = np.zeros((n, d_model))
    for p in range(n):
        for j in range(d_model):
            angle = p / 10000.0 ** (2 * (j // 2) / d_model)
            pe[p, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return pe


def rope(m):
    n, d = m.shape
    out = m.copy()
    for p in range(n):
        for i in range(d // 2):
            angle = p * 10000.0 ** (-2 * i / d)
            c, s = math.cos(angle), math.sin(angle)
            a, b = m[p, 2 * i], m[p, 2 * i + 1]
            out[p, 2 * i] = a * c - b * s
            out[p, 2 * i + 1] = a * s + b * c
    return out


def reference(spec):
    x = np.array(spec["x"], dtype=float)
    n, d_model = x.shape
    heads = spec["heads"]
    H = len(heads)
    d_k = len(heads[0]["w_q"][0])
    scale = spec.get("scale", True)
    T = spec.get("temperature", 1.0)
    mask = spec.get("mask", "none")
    position = spec.get("position", "none")
    c = 1.0 / math.sqrt(d_k) if scale else 1.0

    if position == "sinusoidal":
        x = x + sinusoidal(n, d_model)
    out = {"x": x, "heads": []}
    outs = []
    for h, hw in enumerate(heads):
        q = x @ np.array(hw["w_q"], dtype=float)
        k = x @ np.array(hw["w_k"], dtype=float)
        v = x @ np.array(hw["w_v"], dtype=float)
        if position == "rope":
            q, k = rope(q), rope(k)
        bias = np.zeros((n, n))
        if position == "alibi":
            slope = 2.0 ** (-8.0 * (h + 1) / H)
            idx = np.arange(n)
            bias = -slope * np.abs(idx[:, None] - idx[None, :])
        logits = (c * (q @ k.T) + bias) / T
        masked = np.zeros((n, n), dtype=bool)
        if mask == "causal":
            masked = np.triu(np.ones((n, n), dtype=bool), k=1)
        weights = np.zeros((n, n))
        for i in range(n):
            keep = ~masked[i]
            row = logits[i, keep]
            e = np.exp(row - row.max())
            weights[i, keep] = e / e.sum()
        logits = np.where(masked, -np.inf, logits)
        o = weights @ v
        outs.append(o)
        out["heads"].append(
            {"q": q, "k": k, "v": v, "logits": logits, "weights": weights, "output": o}
        )
    concat = np.concatenate(outs, axis=1)
    out["concat"] = concat
    out["output"] = concat @ np.array(spec["w_o"], dtype=float) if "w_o" in spec else concat
    return out


# ---------------------------------------------------------------- compare


def to_array(rows):
    return np.array(
        [[-np.inf if v is None else float(v) for v in row] for row in rows], dtype=float
    )


def compare(name, got_rows, want, errors):
    got = to_array(got_rows)
    if got.shape != want.shape:
        errors.append(f"{name}: shape {got.shape} != {want.shape}")
        return
    if not np.array_equal(np.isinf(got), np.isinf(want)):
        errors.append(f"{name}: masked (null) entries differ")
        return
    fin = np.isfinite(want)
    g, w = got[fin], want[fin]
    # Relative tolerance, with an absolute floor tied to the matrix's
    # magnitude so that entries produced by cancellation (near 0) compare sanely.
    floor = 1e-12 * (1.0 + (np.abs(w).max() if w.size else 0.0))
    bad = np.abs(g - w) > RTOL * np.maximum(np.abs(g), np.abs(w)) + floor
    if bad.any():
        i = int(np.argmax(bad))
        errors.append(f"{name}: {int(bad.sum())} entries differ, e.g. {g[i]!r} vs {w[i]!r}")


def check_valid(binary, spec):
    proc = subprocess.run(
        [binary, "-"], input=json.dumps(spec).encode(), capture_output=True, timeout=60
    )
    if proc.returncode != 0:
        return [f"exit {proc.returncode}: {proc.stderr.decode().strip()}"]
    got = json.loads(proc.stdout)
    want = reference(spec)
    errors = []
    if set(got) != {"x", "heads", "concat", "output"}:
        errors.append(f"top-level keys {sorted(got)}")
        return errors
    compare("x", got["x"], want["x"], errors)
    if len(got["heads"]) != len(want["heads"]):
        return errors + ["number of heads differs"]
    for h, (gh, wh) in enumerate(zip(got["heads"], want["heads"])):
        if set(gh) != {"q", "k", "v", "logits", "weights", "output"}:
            errors.append(f"heads[{h}] keys {sorted(gh)}")
            continue
        for key in ("q", "k", "v", "logits", "weights", "output"):
            compare(f"heads[{h}].{key}", gh[key], wh[key], errors)
        # Spec: masked weights are exactly 0, rows sum to 1.
        wts = to_array(gh["weights"])
        if not np.allclose(wts.sum(axis=1), 1.0, rtol=0, atol=1e-12):
            errors.append(f"heads[{h}].weights rows do not sum to 1")
        masked = np.isinf(to_array(gh["logits"]))
        if (wts[masked] != 0.0).any():
            errors.append(f"heads[{h}].weights: masked weight not exactly 0")
    compare("concat", got["concat"], want["concat"], errors)
    compare("output", got["output"], want["output"], errors)
    return errors


def check_invalid(binary, text):
    proc = subprocess.run([binary, "-"], input=text.encode(), capture_output=True, timeout=60)
    errors = []
    if proc.returncode != 2:
        errors.append(f"exit {proc.returncode}, expected 2")
    if proc.stdout:
        errors.append("stdout not empty")
    lines = proc.stderr.decode().splitlines()
    if len(lines) != 1:
        errors.append(f"stderr has {len(lines)} lines: {lines!r}")
    return errors


# ---------------------------------------------------------------- specs


def random_specs(rng):
    combos = itertools.product(
        [True, False], ["none", "causal"], ["none", "sinusoidal", "rope", "alibi"], [True, False]
    )
    for scale, mask, position, with_wo in combos:
        for _ in range(3):
            n = int(rng.integers(1, 8))
            d_model = int(rng.integers(1, 9))
            H = int(rng.integers(1, 5))
            d_k = int(rng.integers(1, 5)) * 2 if position == "rope" else int(rng.integers(1, 8))
            d_v = int(rng.integers(1, 6))
            amp = float(rng.choice([0.5, 1.0, 3.0]))
            spec = {
                "x": (amp * rng.standard_normal((n, d_model))).tolist(),
                "heads": [
                    {
                        "w_q": rng.standard_normal((d_model, d_k)).tolist(),
                        "w_k": rng.standard_normal((d_model, d_k)).tolist(),
                        "w_v": rng.standard_normal((d_model, d_v)).tolist(),
                    }
                    for _ in range(H)
                ],
                "scale": scale,
                "temperature": float(rng.choice([0.25, 0.7, 1.5, 3.0])),
                "mask": mask,
                "position": position,
            }
            if with_wo:
                spec["w_o"] = rng.standard_normal((H * d_v, int(rng.integers(1, 6)))).tolist()
            yield f"scale={scale} mask={mask} position={position} w_o={with_wo} n={n}", spec
    # Defaults (optional keys omitted) and huge logits.
    yield "defaults", {"x": [[0.1, 0.2], [0.3, 0.4]], "heads": [{"w_q": [[1], [2]], "w_k": [[3], [4]], "w_v": [[5], [6]]}]}
    yield "huge logits", {
        "x": [[100.0, 0.0], [0.0, 100.0], [100.0, 100.0]],
        "heads": [{"w_q": [[1, 0], [0, 1]], "w_k": [[1, 0], [0, 1]], "w_v": [[1, 0], [0, 1]]}],
        "scale": False,
        "temperature": 1.0,
    }


INVALID = [
    "not json",
    '{"x": [[1, 2], [3]], "heads": [{"w_q": [[1]], "w_k": [[1]], "w_v": [[1]]}]}',
    '{"x": [], "heads": [{"w_q": [[1]], "w_k": [[1]], "w_v": [[1]]}]}',
    '{"x": [[1]], "heads": [{"w_q": [[1]], "w_k": [[1, 2]], "w_v": [[1]]}]}',
    '{"x": [[1e999]], "heads": [{"w_q": [[1]], "w_k": [[1]], "w_v": [[1]]}]}',
    '{"x": [[1]], "heads": [{"w_q": [[1]], "w_k": [[1]], "w_v": [[1]]}], "temperature": 0}',
    '{"x": [[1]], "heads": [{"w_q": [[1]], "w_k": [[1]], "w_v": [[1]]}], "position": "rope"}',
    '{"x": [[1]], "heads": [{"w_q": [[1]], "w_k": [[1]], "w_v": [[1]]}], "mask": "banded"}',
    '{"x": [[1]], "heads": [{"w_q": [[1]], "w_k": [[1]], "w_v": [[1]]}], "position": "xpos"}',
    '{"x": [[1]], "heads": [{"w_q": [[1]], "w_k": [[1]], "w_v": [[1]]}], "w_o": [[1], [2]]}',
    '{"heads": [{"w_q": [[1]], "w_k": [[1]], "w_v": [[1]]}]}',
]


def main():
    binary = (
        sys.argv[1]
        if len(sys.argv) > 1
        else os.environ.get("ATTENTION_TRACE", "target/release/attention-trace")
    )
    rng = np.random.default_rng(20240611)
    passed = failed = 0
    for label, spec in random_specs(rng):
        errors = check_valid(binary, spec)
        if errors:
            failed += 1
            print(f"FAIL {label}: " + "; ".join(errors[:5]))
        else:
            passed += 1
    for text in INVALID:
        errors = check_invalid(binary, text)
        if errors:
            failed += 1
            print(f"FAIL invalid {text[:60]!r}: " + "; ".join(errors))
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
