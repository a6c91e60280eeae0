#!/usr/bin/env python3
"""Cross-checks the `gpt-forward` command against Hugging Face `transformers`.

For each fixture checkpoint in tests/fixtures/gpt2/ (random, trained):
  1. `gpt-forward` loads it and exports it again (our safetensors writer and
     config.json); `GPT2LMHeadModel.from_pretrained` must load the export and
     give the same logits as the original checkpoint (within 1e-5);
  2. on new texts (not those of the fixtures), our logits, loss and top
     predictions, with and without an ablated head, must match what
     `transformers` computes (logits within 1e-4).

It also trains the lab's tiny character-level GPT for a few steps with the
`tiny-gpt` command (next to `gpt-forward`), loads the three files the lab's
"Download model" writes (model.safetensors, config.json, chars.json: a JSON
array of one-character strings, token id = index) into `transformers`, and
checks the ids, logits and loss against the training model's own.

With --gpt2-small it also builds a random model of GPT-2 small's shape
(124M parameters, seeded) in a temporary folder, checks our logits and
attention on 32 tokens with one head ablated, and reports (does not assert)
the wall time of `gpt-forward` loading it and of running it.

Needs what make_gpt2_fixtures.py needs (torch, transformers, tokenizers).
Usage, from the repository root:
    cargo build --release -p attention-core --bin gpt-forward --bin tiny-gpt
    python3 tests/reference/check_gpt_export.py [--gpt2-small] [target/release/gpt-forward]
The binary may also come from $GPT_FORWARD. Prints "N passed, M failed";
exits 1 on any mismatch.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import torch
from tokenizers import Tokenizer
from transformers import GPT2Config, GPT2LMHeadModel

from tally import Tally

FIXTURES = "tests/fixtures/gpt2"
TEXTS = [
    "She ran across the field after the White Rabbit, and",
    "\u00bfQu\u00e9?  Oh dear!\n\nI'm late \u2014 3:45 \U0001F407",
]
ABLATE = [[0, 1], [1, 3]]
TOL = 1e-4


def gpt_forward(binary, spec):
    proc = subprocess.run([binary, "-"], input=json.dumps(spec), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip())
    return json.loads(proc.stdout)


def load(path):
    return GPT2LMHeadModel.from_pretrained(path, attn_implementation="eager").eval()


def reference(model, ids, ablate):
    cfg = model.config
    d_head = cfg.n_embd // cfg.n_head
    handles = []
    for layer, head in ablate:

        def hook(_module, args, head=head):
            (x,) = args
            x = x.clone()
            x[..., head * d_head : (head + 1) * d_head] = 0.0
            return (x,)

        handles.append(model.transformer.h[layer].attn.c_proj.register_forward_pre_hook(hook))
    with torch.no_grad():
        x = torch.tensor([ids])
        out = model(x, labels=x, output_attentions=True)
    for h in handles:
        h.remove()
    return out.logits[0], float(out.loss), out.attentions


def gpt2_small(binary, check):
    """A random GPT-2-small-shaped model: numbers checked, times reported."""
    torch.manual_seed(17)
    model = GPT2LMHeadModel(GPT2Config(attn_implementation="eager")).eval()
    ids = list(range(1000, 1032))
    ablate = [[5, 3]]
    with tempfile.TemporaryDirectory() as out:
        model.save_pretrained(out)
        start = time.perf_counter()
        info = gpt_forward(binary, {"model": out})
        load_s = time.perf_counter() - start
        start = time.perf_counter()
        ours = gpt_forward(binary, {"model": out, "ids": ids, "ablate": ablate, "logits": True, "attentions": True})
        run_s = time.perf_counter() - start
    check(info["parameters"] == sum(p.numel() for p in model.parameters()), "gpt2-small: parameter count")
    logits, loss, ref = reference(model, ids, ablate)
    err = float((torch.tensor(ours["logits"]) - logits).abs().max())
    check(err < TOL, f"gpt2-small: logits off by {err:.2e}")
    check(abs(ours["loss"] - loss) < TOL, f"gpt2-small: loss {ours['loss']} vs {loss}")
    worst = 0.0
    for layer, heads in enumerate(ours["attentions"]):
        for head, w in enumerate(heads):
            # The ablated head's weights are zero in ours (the mask
            # multiplies them), unmasked in the reference.
            if [layer, head] not in ablate:
                worst = max(worst, float((torch.tensor(w) - ref[layer][0, head]).abs().max()))
    check(worst < TOL, f"gpt2-small: attention off by {worst:.2e}")
    zeroed = all(w == 0 for row in ours["attentions"][5][3] for w in row)
    check(zeroed, "gpt2-small: the ablated head's weights are not zero")
    print(
        f"gpt2-small ({info['parameters']} parameters): logits within {err:.1e}, attention within "
        f"{worst:.1e}; gpt-forward load {load_s:.2f} s, load + 32 tokens {run_s:.2f} s"
    )


def tiny(binary, check):
    """The lab's tiny GPT: trained by tiny-gpt, loaded by transformers."""
    tiny_bin = os.path.join(os.path.dirname(binary), "tiny-gpt")
    text = "The red fox ran over the hill; the brown dog sat by the gate.\n" * 8
    probe = "the brown fox sat over the hill"
    with tempfile.TemporaryDirectory() as out:
        src = os.path.join(out, "text.txt")
        with open(src, "w", encoding="utf-8") as f:
            f.write(text)
        proc = subprocess.run([tiny_bin, src, "20", out, probe], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.strip())
        ours = json.loads(proc.stdout)
        with open(os.path.join(out, "chars.json"), encoding="utf-8") as f:
            chars = json.load(f)
        model = load(out)
    check(chars == sorted(set(text)), "tiny: chars.json is not the sorted characters of the text")
    ids = [chars.index(c) for c in probe]
    check(ours["ids"] == ids, "tiny: ids differ from chars.json's")
    logits, loss, _ = reference(model, ids, [])
    err = float((torch.tensor(ours["logits"]) - logits).abs().max())
    check(err < TOL, f"tiny: logits off by {err:.2e}")
    check(abs(ours["loss"] - loss) < TOL, f"tiny: loss {ours['loss']} vs {loss}")
    print(f"tiny GPT after {ours['steps']} steps: transformers' logits within {err:.1e}, loss {loss:.4f}")


def main():
    args = sys.argv[1:]
    small = "--gpt2-small" in args
    args = [a for a in args if a != "--gpt2-small"]
    binary = (args or [os.environ.get("GPT_FORWARD", "target/release/gpt-forward")])[0]
    tok = Tokenizer.from_file(os.path.join(FIXTURES, "tokenizer.json"))
    check = Tally()

    for name in ["random", "trained"]:
        src = os.path.join(FIXTURES, name)
        original = load(src)
        with tempfile.TemporaryDirectory() as out:
            gpt_forward(binary, {"model": src, "export": out})
            exported = load(out)
            for text in TEXTS:
                ids = tok.encode(text).ids
                a = reference(original, ids, [])[0]
                b = reference(exported, ids, [])[0]
                err = float((a - b).abs().max())
                check(err < 1e-5, f"{name}: export differs by {err:.2e}")
        for text in TEXTS:
            ids = tok.encode(text).ids
            for ablate in [[], ABLATE]:
                ours = gpt_forward(
                    binary,
                    {
                        "model": src,
                        "tokenizer": os.path.join(FIXTURES, "tokenizer.json"),
                        "text": text,
                        "ablate": ablate,
                        "logits": True,
                        "top_k": 3,
                    },
                )
                logits, loss, _ = reference(original, ids, ablate)
                check(ours["ids"] == ids, f"{name} {text!r}: ids differ")
                err = float((torch.tensor(ours["logits"]) - logits).abs().max())
                check(err < TOL, f"{name} {text!r} ablate={ablate}: logits off by {err:.2e}")
                check(abs(ours["loss"] - loss) < TOL, f"{name} {text!r} ablate={ablate}: loss {ours['loss']} vs {loss}")
                best = int(logits[-1].argmax())
                check(ours["top_k"][0]["id"] == best, f"{name} {text!r}: top prediction differs")
    tiny(binary, check)
    if small:
        gpt2_small(binary, check)
    sys.exit(check.finish())


if __name__ == "__main__":
    main()
