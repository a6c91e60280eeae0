#!/usr/bin/env python3
"""Cross-checks the `gpt-forward` command against Hugging Face `transformers`.

For each fixture checkpoint in tests/fixtures/gpt2/ (random, trained):
  1. `gpt-forward` loads it and exports it again (our safetensors writer and
     config.json); `GPT2LMHeadModel.from_pretrained` must load the export and
     give the same logits as the original checkpoint (within 1e-5);
  2. on new texts (not those of the fixtures), our logits, loss and top
     predictions, with and without an ablated head, must match what
     `transformers` computes (logits within 1e-4).

Needs what make_gpt2_fixtures.py needs (torch, transformers, tokenizers).
Usage, from the repository root:
    cargo build --release -p attention-core --bin gpt-forward
    python3 tests/reference/check_gpt_export.py [target/release/gpt-forward]
The binary may also come from $GPT_FORWARD. Prints "N passed, M failed";
exits 1 on any mismatch.
"""

import json
import os
import subprocess
import sys
import tempfile

import torch
from tokenizers import Tokenizer
from transformers import GPT2LMHeadModel

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
        out = model(x, labels=x)
    for h in handles:
        h.remove()
    return out.logits[0], float(out.loss)


def main():
    binary = (sys.argv[1:] or [os.environ.get("GPT_FORWARD", "target/release/gpt-forward")])[0]
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
                a, _ = reference(original, ids, [])
                b, _ = reference(exported, ids, [])
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
                logits, loss = reference(original, ids, ablate)
                check(ours["ids"] == ids, f"{name} {text!r}: ids differ")
                err = float((torch.tensor(ours["logits"]) - logits).abs().max())
                check(err < TOL, f"{name} {text!r} ablate={ablate}: logits off by {err:.2e}")
                check(abs(ours["loss"] - loss) < TOL, f"{name} {text!r} ablate={ablate}: loss {ours['loss']} vs {loss}")
                best = int(logits[-1].argmax())
                check(ours["top_k"][0]["id"] == best, f"{name} {text!r}: top prediction differs")
    sys.exit(check.finish())


if __name__ == "__main__":
    main()
