#!/usr/bin/env python3
"""Builds the GPT-2 reference fixtures in tests/fixtures/gpt2/ (issue 17).

The Rust engine (crates/attention-core/src/gpt/) loads these files and is
checked against what Hugging Face `transformers` computes on them: token ids
equal, logits and attention weights within 1e-4, the loss of a text, and a
run with one head ablated. The tests read only the committed files, so they
need no torch.

Install (CPU is enough; the default PyPI torch wheel also pulls the CUDA
libraries, which is large but works without a GPU):
    pip install torch transformers tokenizers safetensors numpy
Run from the repository root (seeded: a rerun rewrites the same files up to
floating-point differences between torch builds):
    python3 tests/reference/make_gpt2_fixtures.py [--out tests/fixtures/gpt2]

What it writes:
  tokenizer.json, vocab.json, merges.txt   a byte-level BPE (GPT-2 style
      ByteLevel pre-tokenizer and decoder, vocabulary VOCAB_SIZE) trained by
      the `tokenizers` library on TRAIN_TEXT below;
  tokens.json     for each of TOKEN_TEXTS (odd Unicode, runs of spaces and
      newlines, contractions, digits): the pre-tokenized pieces (byte-mapped,
      as the ByteLevel pre-tokenizer prints them), the token ids and the
      decoded text;
  random/, trained/    GPT2LMHeadModel checkpoints (model.safetensors and
      config.json from `save_pretrained`): one with random weights, one
      trained TRAIN_STEPS steps with Adam on TRAIN_TEXT;
  random.json, trained.json   for each of MODEL_TEXTS: ids, logits
      (positions x vocab), attention weights (layer x head x n x n, from
      `output_attentions=True` with the eager attention), the mean next-token
      cross-entropy (`labels=input_ids`), and one ablated run;
  dtypes.safetensors, dtypes.json   tensors stored as F32, F16, BF16 and F64
      and their values as float64, to check the dtype conversions.

Ablation: transformers 5 removed GPT-2's `head_mask` argument. The ablated
run zeroes the head's slice of the merged head outputs just before
`attn.c_proj` (a forward pre-hook), which is what `head_mask = 0` for that
head did: the head's attention probabilities multiplied by 0. The recorded
attentions of the ablated run are the unmasked ones (the ablation acts after
them); later layers' attentions do change.

Numbers are rounded to 7 significant digits.
"""

import argparse
import json
import os

import numpy as np
import torch
from safetensors.numpy import save_file as save_numpy
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel

SEED = 17
VOCAB_SIZE = 320
N_POSITIONS = 64
TRAIN_STEPS = 400

# Public domain: Lewis Carroll, "Alice's Adventures in Wonderland" (1865),
# the opening of chapter I.
TRAIN_TEXT = """Alice was beginning to get very tired of sitting by her sister on the
bank, and of having nothing to do: once or twice she had peeped into the book
her sister was reading, but it had no pictures or conversations in it, "and
what is the use of a book," thought Alice "without pictures or conversations?"

So she was considering in her own mind (as well as she could, for the hot day
made her feel very sleepy and stupid), whether the pleasure of making a
daisy-chain would be worth the trouble of getting up and picking the daisies,
when suddenly a White Rabbit with pink eyes ran close by her.

There was nothing so very remarkable in that; nor did Alice think it so very
much out of the way to hear the Rabbit say to itself, "Oh dear! Oh dear! I
shall be late!" (when she thought it over afterwards, it occurred to her that
she ought to have wondered at this, but at the time it all seemed quite
natural); but when the Rabbit actually took a watch out of its
waistcoat-pocket, and looked at it, and then hurried on, Alice started to her
feet, for it flashed across her mind that she had never before seen a rabbit
with either a waistcoat-pocket, or a watch to take out of it, and burning with
curiosity, she ran across the field after it, and fortunately was just in time
to see it pop down a large rabbit-hole under the hedge.

In another moment down went Alice after it, never once considering how in the
world she was to get out again.
"""

TOKEN_TEXTS = [
    "Alice was beginning to get very tired of sitting by her sister.",
    "don't, won't, I'll, we've, they're, she'd, I'm, it's",
    "'s 's's  'S 'LL",
    "a  b   c    d     e",
    "    leading spaces and trailing   ",
    "lines\n\n\nand\n \n  \nbreaks\n",
    "tab\tseparated\t\tcolumns",
    "digits 0123456789 3.14159 1,000,000 2026-12-01",
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00dcber Stra\u00dfe",
    "e\u0301 combining accent",
    "emoji \U0001F600 \U0001F44D\U0001F3FD \U0001F468\u200d\U0001F469\u200d\U0001F467!",
    "\u6771\u4eac \u65e5\u672c\u8a9e \ud55c\uad6d\uc5b4 \u4e2d\u6587",
    "\u0391\u03b8\u03ae\u03bd\u03b1 \u041c\u043e\u0441\u043a\u0432\u0430 \u0627\u0644\u0639\u0631\u0628\u064a\u0629",
    "no\u00a0break and\u3000ideographic space",
    "\u00bd \u2167 \u0663 superscript\u00b2",
    "!!! ??? ... --- (((",
    "\u0939\u093f\u0928\u094d\u0926\u0940 \u092d\u093e\u0937\u093e",
    "\u0645\u064e\u0631\u0652\u062d\u064e\u0628\u064b\u0627 \u2136x",
    "\u24b6\u24b7c \u1f00\u0345 x\u0363y",
    "a\x1cb \x1d c\u0085d\u200be\u2028f x\u180ey \u2003 z",
    "",
    " ",
    "\n",
]

MODEL_TEXTS = [
    "Alice was beginning to get very tired of sitting",
    "don't  stop:\n\n caf\u00e9 \U0001F600 42!",
]

ABLATE = {"layer": 1, "head": 2}


def sig7(x):
    """Rounds every number of a nested list to 7 significant digits."""
    if isinstance(x, list):
        return [sig7(v) for v in x]
    return float(f"{x:.7g}")


def train_tokenizer(out):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=["<|endoftext|>"],
        show_progress=False,
    )
    tok.train_from_iterator([TRAIN_TEXT], trainer=trainer)
    tok.save(os.path.join(out, "tokenizer.json"))
    tok.model.save(out)  # vocab.json + merges.txt
    return tok


def make_config(vocab):
    config = GPT2Config(
        vocab_size=vocab,
        n_positions=N_POSITIONS,
        n_embd=32,
        n_layer=2,
        n_head=4,
        activation_function="gelu_new",
        layer_norm_epsilon=1e-5,
        bos_token_id=0,
        eos_token_id=0,
    )
    config._attn_implementation = "eager"
    return config


def train(model, ids):
    """TRAIN_STEPS Adam steps on random windows of the training text."""
    gen = torch.Generator().manual_seed(SEED)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    data = torch.tensor(ids)
    window = N_POSITIONS
    model.train()
    for _ in range(TRAIN_STEPS):
        starts = torch.randint(0, len(ids) - window, (8,), generator=gen)
        batch = torch.stack([data[s : s + window] for s in starts])
        loss = model(batch, labels=batch).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return float(loss.detach())


def ablation_hook(head, d_head):
    def hook(_module, args):
        (x,) = args
        x = x.clone()
        x[..., head * d_head : (head + 1) * d_head] = 0.0
        return (x,)

    return hook


def run(model, ids):
    with torch.no_grad():
        x = torch.tensor([ids])
        out = model(x, labels=x, output_attentions=True)
    return {
        "logits": sig7(out.logits[0].tolist()),
        "attentions": sig7([a[0].tolist() for a in out.attentions]),
        "loss": sig7(float(out.loss)),
    }


def record(model, tok, name, out, extra):
    texts = []
    for i, text in enumerate(MODEL_TEXTS):
        ids = tok.encode(text).ids
        entry = {"text": text, "ids": ids}
        entry.update(run(model, ids))
        if i == 0:
            cfg = model.config
            d_head = cfg.n_embd // cfg.n_head
            attn = model.transformer.h[ABLATE["layer"]].attn
            handle = attn.c_proj.register_forward_pre_hook(ablation_hook(ABLATE["head"], d_head))
            ablated = run(model, ids)
            handle.remove()
            entry["ablated"] = {
                "layer": ABLATE["layer"],
                "head": ABLATE["head"],
                "logits": ablated["logits"],
                "loss": ablated["loss"],
            }
        texts.append(entry)
    doc = {"model": name, "texts": texts}
    doc.update(extra)
    with open(os.path.join(out, f"{name}.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))


def dtype_fixture(out):
    rng = np.random.default_rng(SEED)
    base = rng.normal(size=(3, 4)).astype(np.float32)
    tensors = {
        "f32": base,
        "f16": base.astype(np.float16),
        "f64": base.astype(np.float64) * 1.5,
        "scalar_row": np.arange(5, dtype=np.float32),
    }
    t = torch.from_numpy(base.copy()).to(torch.bfloat16)
    save_numpy(tensors, os.path.join(out, "dtypes_np.safetensors"), metadata={"made_by": "make_gpt2_fixtures.py"})
    # numpy has no bfloat16: add it with the torch writer, which supports it.
    from safetensors.torch import save_file as save_torch
    from safetensors.torch import load_file as load_torch

    all_t = load_torch(os.path.join(out, "dtypes_np.safetensors"))
    all_t["bf16"] = t
    save_torch(all_t, os.path.join(out, "dtypes.safetensors"), metadata={"made_by": "make_gpt2_fixtures.py"})
    os.remove(os.path.join(out, "dtypes_np.safetensors"))
    values = {
        "f32": base.astype(np.float64).tolist(),
        "f16": base.astype(np.float16).astype(np.float64).tolist(),
        "f64": (base.astype(np.float64) * 1.5).tolist(),
        "bf16": t.to(torch.float64).tolist(),
        "scalar_row": list(range(5)),
    }
    with open(os.path.join(out, "dtypes.json"), "w") as f:
        json.dump(values, f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="tests/fixtures/gpt2")
    args = parser.parse_args()
    out = args.out
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)

    tok = train_tokenizer(out)
    tokens = [
        {
            "text": t,
            "pieces": [p for p, _ in tok.pre_tokenizer.pre_tokenize_str(t)],
            "ids": tok.encode(t).ids,
            "decoded": tok.decode(tok.encode(t).ids),
        }
        for t in TOKEN_TEXTS
    ]
    with open(os.path.join(out, "tokens.json"), "w") as f:
        json.dump({"vocab_size": tok.get_vocab_size(), "texts": tokens}, f, ensure_ascii=False)

    vocab = tok.get_vocab_size()
    for name in ["random", "trained"]:
        torch.manual_seed(SEED + (name == "trained"))
        model = GPT2LMHeadModel(make_config(vocab))
        model.eval()
        extra = {}
        if name == "trained":
            ids = tok.encode(TRAIN_TEXT).ids
            extra["final_train_loss"] = sig7(train(model, ids))
        model.save_pretrained(os.path.join(out, name))
        record(model, tok, name, out, extra)

    dtype_fixture(out)
    total = 0
    for root, _, files in os.walk(out):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    print(f"wrote {out}: {total} bytes")


if __name__ == "__main__":
    main()
