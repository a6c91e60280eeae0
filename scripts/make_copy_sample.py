#!/usr/bin/env python3
"""Writes the lab's copying sample: made-up words, each line said twice.

Every line is two or three random words of two or three syllables, then
" / " and the same words again, so the second half of a line can only be
predicted by finding its first half: the text rewards in-context copying
(an induction head). Seeded, so the file is the same on every run.

Usage, from the repository root:
    python3 scripts/make_copy_sample.py > src/chapters/lab/train/samples/copying.txt
"""

import random

CONSONANTS = "bdfgklmnprstvz"
VOWELS = "aeiou"
LINES = 400


def word(rng):
    return "".join(rng.choice(CONSONANTS) + rng.choice(VOWELS) for _ in range(rng.randint(2, 3)))


def main():
    rng = random.Random(17)
    for _ in range(LINES):
        words = " ".join(word(rng) for _ in range(rng.randint(2, 3)))
        print(f"{words} / {words}")


if __name__ == "__main__":
    main()
