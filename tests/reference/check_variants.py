#!/usr/bin/env python3
"""Independent cross-check of the `attention-variants` command.

numpy implementations written from the formulas (not from the Rust code):

* dense: softmax(c Q K^T) V, c = 1/sqrt(d_k) if scale else 1, keys j > i
  hidden from query i when causal;
* linear (Katharopoulos et al. 2020): phi(x) = elu(x) + 1;
  out_i = sum_j (phi(q_i) . phi(k_j)) v_j / sum_j phi(q_i) . phi(k_j), with
  j <= i when causal (the same formula serves for "linear" and
  "linear_quadratic", which must agree);
* tiled and ring: must equal dense (they are exact reorganisations of it).

It generates seeded random specs (several n, d_k, d_v, block sizes incl. 1
and > n, device counts incl. n not divisible by P, causal and scale on and
off, and inputs scaled by 30 so that a naive exp would overflow), runs the
binary on each and compares every output to a tolerance of 1e-10
(|a - b| <= 1e-10 * max(1, |b|)). It also checks that invalid specs exit with
status 2, one stderr line and an empty stdout.

Usage:
    python3 tests/reference/check_variants.py path/to/attention-variants

Prints "N passed, 0 failed"; exits 1 on any failure.
"""

import json
import subprocess
import sys

import numpy as np
from tally import Tally

TOL = 1e-10


def dense(q, k, v, causal, scale):
    n, d_k = q.shape
    c = 1.0 / np.sqrt(d_k) if scale else 1.0
    s = c * (q @ k.T)
    if causal:
        s = np.where(np.tril(np.ones((n, n), dtype=bool)), s, -np.inf)
    s = s - s.max(axis=1, keepdims=True)
    e = np.exp(s)
    w = e / e.sum(axis=1, keepdims=True)
    return w @ v


def phi(x):
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


def linear(q, k, v, causal):
    a = phi(q) @ phi(k).T
    if causal:
        a = np.tril(a)
    return (a @ v) / a.sum(axis=1, keepdims=True)


def run(binary, spec):
    p = subprocess.run(
        [binary, "-"], input=json.dumps(spec), capture_output=True, text=True
    )
    return p.returncode, p.stdout, p.stderr


def close(got, want):
    got = np.array(got, dtype=float)
    if got.shape != want.shape:
        return False, f"shape {got.shape} != {want.shape}"
    err = np.abs(got - want) / np.maximum(1.0, np.abs(want))
    worst = float(err.max())
    return worst <= TOL, f"max scaled error {worst:.3e}"


def specs():
    rng = np.random.default_rng(20240607)
    cases = []
    shapes = [(1, 1, 1), (2, 1, 2), (5, 3, 2), (7, 4, 3), (16, 2, 5), (17, 8, 4)]
    for n, d_k, d_v in shapes:
        for causal in (False, True):
            for scale in (False, True):
                for block in sorted({1, 3, n, n + 5}):
                    devices = int(rng.integers(1, min(n, 5) + 1))
                    amp = 30.0 if (n + block) % 3 == 0 else 1.0
                    cases.append(
                        {
                            "q": (amp * rng.standard_normal((n, d_k))).tolist(),
                            "k": (amp * rng.standard_normal((n, d_k))).tolist(),
                            "v": rng.standard_normal((n, d_v)).tolist(),
                            "causal": causal,
                            "scale": scale,
                            "block": block,
                            "devices": devices,
                        }
                    )
    return cases


def bad_specs():
    ok = {"q": [[1.0, 0.0]], "k": [[0.5, 1.0]], "v": [[2.0]]}
    return [
        "not json",
        dict(ok, block=0),
        dict(ok, devices=0),
        dict(ok, devices=2),
        dict(ok, k=[[1.0]]),
        dict(ok, v=[[1.0], [2.0]]),
        dict(ok, q=[]),
        dict(ok, q=[[1.0, "x"]]),
        dict(ok, causal="yes"),
        dict(ok, blocks=2),
    ]


def main():
    if len(sys.argv) != 2:
        print("usage: check_variants.py path/to/attention-variants", file=sys.stderr)
        return 2
    binary = sys.argv[1]
    report = Tally()

    for idx, spec in enumerate(specs()):
        q, k, v = (np.array(spec[x], dtype=float) for x in "qkv")
        code, out, err = run(binary, spec)
        label = (
            f"case {idx} (n={q.shape[0]} d_k={q.shape[1]} d_v={v.shape[1]} "
            f"causal={spec['causal']} scale={spec['scale']} "
            f"block={spec['block']} devices={spec['devices']})"
        )
        if code != 0:
            report(False, f"{label}: exit {code}: {err.strip()}")
            continue
        try:
            got = json.loads(out)
        except json.JSONDecodeError as e:
            report(False, f"{label}: stdout is not JSON: {e}")
            continue
        want_dense = dense(q, k, v, spec["causal"], spec["scale"])
        want_linear = linear(q, k, v, spec["causal"])
        keys = {"dense", "tiled", "ring", "linear", "linear_quadratic"}
        if not isinstance(got, dict) or set(got) != keys:
            report(False, f"{label}: expected an object with keys {sorted(keys)}")
            continue
        for key, want in [
            ("dense", want_dense),
            ("tiled", want_dense),
            ("ring", want_dense),
            ("linear", want_linear),
            ("linear_quadratic", want_linear),
        ]:
            ok, msg = close(got[key], want)
            report(ok, f"{label} {key}: {msg}")

    for spec in bad_specs():
        text = spec if isinstance(spec, str) else json.dumps(spec)
        p = subprocess.run([binary, "-"], input=text, capture_output=True, text=True)
        lines = p.stderr.strip().splitlines()
        ok = p.returncode == 2 and p.stdout == "" and len(lines) == 1
        report(ok, f"bad spec {text!r}: exit {p.returncode}, stderr {p.stderr!r}")

    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
