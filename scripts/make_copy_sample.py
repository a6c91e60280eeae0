#!/usr/bin/env python3
"""Writes the lab's copying sample: random letter strings, each said four times.

Every line is a string of 8 to 16 distinct lowercase letters (random, so
nothing in the text predicts it), said four times over with no separator,
then a newline. Three quarters of the characters can only be predicted by
finding the same letter earlier in the line and copying the one after it:
what an induction head does (Olsson et al. 2022). The lengths vary, so no
fixed look-back distance copies every line, and they cover the page's
probes (blocks of 13 and 9 letters: at most half the 26 letters). Seeded,
so the file is the same on every run; 440 lines keep it under 4.7 KB
gzipped.

The recipe this text is for (issue 17, tests/induction_recipe.rs): 2 layers,
2 heads, d_model 16, context 32, Adam 3e-3, batch 8; an induction head in
layer 2 appears within 1.4M characters of training.

Usage, from the repository root:
    python3 scripts/make_copy_sample.py > src/chapters/lab/train/samples/copying.txt
"""

import random
import string

LINES = 440
SHORTEST, LONGEST = 8, 16
REPEATS = 4


def main():
    rng = random.Random(17)
    for _ in range(LINES):
        s = "".join(rng.sample(string.ascii_lowercase, rng.randint(SHORTEST, LONGEST)))
        print(s * REPEATS)


if __name__ == "__main__":
    main()
