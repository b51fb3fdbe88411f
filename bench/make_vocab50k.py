"""Writes the synthetic corpus of the vocab50k workload: question<TAB>answer pairs of made-up
words whose frequencies follow Zipf's law, as a large real corpus's do.

    python3 bench/make_vocab50k.py OUT.tsv [--pairs 500000] [--words 60000] [--seed 1]

Word r (0 = the most frequent) is drawn with probability proportional to 1 / (r + 1), from
--words words, more than the 50,000 that `--max-vocab 50000` keeps (the rest become <unk>).
Questions have 4-14 words (mean 9), answers 6-20 (mean 13); each answer word repeats a word of
its question with probability 0.3, so an answer depends on its question and a model has
something to learn. Words are syllables of a consonant and a vowel (ba, be, ..., zu), fewer for
the frequent ones, lowercase letters only: the word tokenizer keeps each as one token. The same
arguments always write the same file (500,000 pairs: about 46 MB).
"""
import argparse
import itertools
import random

CONSONANTS = "bcdfghjklmnprstvwxz"
VOWELS = "aeiou"
SYLLABLES = [c + v for c in CONSONANTS for v in VOWELS]  # 95


def word(rank):
    """A distinct word for each rank: rank in base 95, one syllable per digit."""
    parts = []
    rank += 1
    while rank > 0:
        rank -= 1
        parts.append(SYLLABLES[rank % len(SYLLABLES)])
        rank //= len(SYLLABLES)
    return "".join(reversed(parts))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--pairs", type=int, default=500_000)
    p.add_argument("--words", type=int, default=60_000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    rng = random.Random(args.seed)
    words = [word(r) for r in range(args.words)]
    cumulative = list(itertools.accumulate(1.0 / (r + 1) for r in range(args.words)))
    with open(args.out, "w", encoding="utf-8") as f:
        for _ in range(args.pairs):
            question = rng.choices(words, cum_weights=cumulative, k=rng.randint(4, 14))
            answer = rng.choices(words, cum_weights=cumulative, k=rng.randint(6, 20))
            answer = [rng.choice(question) if rng.random() < 0.3 else w for w in answer]
            f.write(" ".join(question) + "\t" + " ".join(answer) + "\n")


if __name__ == "__main__":
    main()
