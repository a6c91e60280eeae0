#!/usr/bin/env python3
"""Writes a random GPT-2-shaped checkpoint (config.json, model.safetensors)
with numpy only, for benchmarks of the lab (tests/e2e/bench_lab.mjs):
no torch, no hub.

Usage: python3 scripts/make_gpt2_shaped.py OUT_DIR [--layers 12] [--heads 12]
       [--embd 768] [--vocab 50257] [--positions 1024] [--seed 0]

The defaults are GPT-2 small's shape (124M parameters, 498 MB in f32). The
tensors have Hugging Face's names (`transformer.h.0.attn.c_attn.weight`,
Conv1D layout: in x out), the weights N(0, 0.02) from a seeded generator,
layer norms 1 and biases 0, the output head tied to `wte` as GPT-2's is.
The numbers are random: good for timing and memory, not for reading.
"""
import argparse
import json
import pathlib
import struct

import numpy as np


def tensors(layers, embd, vocab, positions, rng):
    inner = 4 * embd

    def normal(*shape):
        return (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(np.float32)

    def ones(n):
        return np.ones(n, dtype=np.float32)

    def zeros(n):
        return np.zeros(n, dtype=np.float32)

    yield "transformer.wte.weight", normal(vocab, embd)
    yield "transformer.wpe.weight", normal(positions, embd)
    for i in range(layers):
        p = f"transformer.h.{i}."
        yield p + "ln_1.weight", ones(embd)
        yield p + "ln_1.bias", zeros(embd)
        yield p + "attn.c_attn.weight", normal(embd, 3 * embd)
        yield p + "attn.c_attn.bias", zeros(3 * embd)
        yield p + "attn.c_proj.weight", normal(embd, embd)
        yield p + "attn.c_proj.bias", zeros(embd)
        yield p + "ln_2.weight", ones(embd)
        yield p + "ln_2.bias", zeros(embd)
        yield p + "mlp.c_fc.weight", normal(embd, inner)
        yield p + "mlp.c_fc.bias", zeros(inner)
        yield p + "mlp.c_proj.weight", normal(inner, embd)
        yield p + "mlp.c_proj.bias", zeros(embd)
    yield "transformer.ln_f.weight", ones(embd)
    yield "transformer.ln_f.bias", zeros(embd)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--embd", type=int, default=768)
    ap.add_argument("--vocab", type=int, default=50257)
    ap.add_argument("--positions", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if a.embd % a.heads:
        ap.error("--embd must be a multiple of --heads")
    rng = np.random.default_rng(a.seed)
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    items = list(tensors(a.layers, a.embd, a.vocab, a.positions, rng))
    header, offset = {}, 0
    for name, t in items:
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + t.nbytes]}
        offset += t.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(out / "model.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for _, t in items:
            f.write(np.ascontiguousarray(t, dtype="<f4").tobytes())
    config = {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "activation_function": "gelu_new",
        "n_layer": a.layers,
        "n_head": a.heads,
        "n_embd": a.embd,
        "n_positions": a.positions,
        "n_ctx": a.positions,
        "vocab_size": a.vocab,
        "layer_norm_epsilon": 1e-5,
        "scale_attn_weights": True,
        "tie_word_embeddings": True,
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))
    params = sum(t.size for _, t in items)
    print(f"{out}: {params:,} parameters, {offset / 1e6:.0f} MB of f32 weights")


if __name__ == "__main__":
    main()
