#!/usr/bin/env python3
"""A GPT-2-sized byte-level BPE (50,257 tokens), for the tokenizer benchmark.

No GPT-2 vocabulary can be downloaded here, so this trains one of the same
size and kind with Hugging Face `tokenizers` (pip install tokenizers): a
ByteLevel pre-tokenizer and decoder as in GPT-2, `<|endoftext|>` as the one
special token, trained on the text of Python's own standard library (the
`.py` files of the running interpreter, read in sorted order, so the same
Python gives the same vocabulary).

Usage: python3 scripts/make_bpe_50k.py OUT_DIR

Writes to OUT_DIR:
* tokenizer.json: the trained tokenizer;
* bench.json: {"texts": {name: text}, "ids": {name: [ids]}, "hf_seconds":
  {name: seconds}}: texts of about 1, 10 and 100 KB (English prose written
  here and code from the same library), the ids `tokenizers` gives them
  (the reference our BPE must match) and how long `tokenizers` took.

Then: BPE_DIR=OUT_DIR cargo bench -p attention-core --bench bpe
"""
import json
import pathlib
import sys
import sysconfig
import time

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

VOCAB = 50257

PROSE = (
    "Attention lets every position of a sequence look at every other one and "
    "decide how much of each to take. A query is compared with every key; the "
    "scores are scaled, turned into weights that sum to one, and the values "
    "are averaged with those weights. Heads that copy the token after an "
    "earlier copy of the current one appear suddenly during training, and "
    "the loss drops when they do. "
)


def corpus_files():
    root = pathlib.Path(sysconfig.get_paths()["stdlib"])
    files = []
    for p in sorted(root.rglob("*.py")):
        if "site-packages" in p.parts:
            continue
        try:
            p.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # a few test files are deliberately not UTF-8
        files.append(str(p))
    return files


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    files = corpus_files()
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    t0 = time.perf_counter()
    tok.train(files, trainer)
    print(f"trained on {len(files)} files in {time.perf_counter() - t0:.1f} s: "
          f"{tok.get_vocab_size()} tokens")
    tok.save(str(out / "tokenizer.json"))

    code = pathlib.Path(files[len(files) // 2]).read_text(errors="replace")
    texts = {}
    for kb in (1, 10, 100):
        texts[f"prose_{kb}k"] = (PROSE * (kb * 1000 // len(PROSE) + 1))[: kb * 1000]
    while len(code) < 100_000:
        code += code
    texts["code_10k"] = code[:10_000]
    ids, secs = {}, {}
    for name, text in texts.items():
        t0 = time.perf_counter()
        enc = tok.encode(text)
        secs[name] = time.perf_counter() - t0
        ids[name] = enc.ids
        print(f"{name}: {len(text)} chars -> {len(enc.ids)} tokens, tokenizers {secs[name] * 1000:.2f} ms")
    (out / "bench.json").write_text(json.dumps({"texts": texts, "ids": ids, "hf_seconds": secs}))


if __name__ == "__main__":
    main()
