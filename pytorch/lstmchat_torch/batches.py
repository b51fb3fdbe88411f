"""lstmchat's validation split and batch order (Sources/LSTMChat/Data/Shuffle.swift, Batcher.swift,
Math/Random.swift), number for number: the same seed holds out the same pairs, so the vocabulary
(counted on the training pairs) is the same, and each epoch cuts the same batches and replaces the
same question words by <unk> (--word-dropout)."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import TypeVar

from .text import UNKNOWN

MASK = 0xFFFFFFFFFFFFFFFF
# Mixed into an epoch's seed by the batch order (Batcher.batchRows) and by word dropout (Batcher.batches).
EPOCH_MIX = 0x9E3779B97F4A7C15
WORD_DROPOUT_MIX = 0x0D209D0F

T = TypeVar("T")
Pair = tuple[list[int], list[int]]


class Xoshiro256:
    """xoshiro256**, seeded through SplitMix64."""

    def __init__(self, seed: int | None = None, state: Sequence[int] | None = None) -> None:
        if state is not None:
            self.s = list(state)
            return
        if seed is None:
            raise ValueError("Xoshiro256 needs a seed or a state")
        x = seed & MASK
        words = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            words.append(z ^ (z >> 31))
        self.s = words

    @staticmethod
    def _rotl(x: int, k: int) -> int:
        return ((x << k) | (x >> (64 - k))) & MASK

    def next(self) -> int:
        s = self.s
        result = (self._rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return result

    def next_float(self) -> float:
        """Uniform in [0, 1) with 24 random bits: Swift's nextFloat(), a Float32 value held exactly."""
        return (self.next() >> 40) * (1.0 / 16_777_216.0)

    def index_below(self, bound: int) -> int:
        """Uniform in range(bound), Lemire's multiply-and-reject."""
        product = self.next() * bound
        if (product & MASK) < bound:
            threshold = ((1 << 64) - bound) % bound
            while (product & MASK) < threshold:
                product = self.next() * bound
        return product >> 64


def shuffle(items: list[T], generator: Xoshiro256) -> None:
    """Fisher–Yates, in place, as lstmchat's deterministicShuffle."""
    for i in range(len(items) - 1, 0, -1):
        j = generator.index_below(i + 1)
        items[i], items[j] = items[j], items[i]


def split_for_validation(items: Sequence[T], fraction: float, seed: int) -> tuple[list[T], list[T]]:
    """(train, validation): a seeded shuffle picks round(fraction · n) items (at least 1, never all)."""
    if not (fraction > 0 and len(items) >= 2):
        return list(items), []
    count = min(len(items) - 1, max(1, _round_half_away(len(items) * fraction)))
    order = list(range(len(items)))
    shuffle(order, Xoshiro256(seed))
    held = set(order[:count])
    return ([x for i, x in enumerate(items) if i not in held], [x for i, x in enumerate(items) if i in held])


def _round_half_away(x: float) -> int:
    # Swift's rounded() rounds halves away from zero; Python's round() to even.
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


def truncate(pairs: Sequence[Pair], max_length: int) -> tuple[list[Pair], int]:
    """Questions and answers cut to max_length tokens; returns (pairs, number cut)."""
    cut = 0
    result = []
    for question, answer in pairs:
        if len(question) > max_length or len(answer) > max_length:
            cut += 1
            question, answer = question[:max_length], answer[:max_length]
        result.append((question, answer))
    return result, cut


def float32(value: float) -> float:
    """value rounded to the nearest Float32 (as Swift holds a Float flag), as a Python float."""
    return float(struct.unpack("f", struct.pack("f", value))[0])


class Batcher:
    BATCHES_PER_CHUNK = 50
    ROW_TOKENS = 16  # a batch's tokens (question + answer, padding included) are at most batch_size times this

    def __init__(self, pairs: Sequence[Pair], batch_size: int, seed: int, word_dropout: float = 0.0) -> None:
        if not 0 <= word_dropout < 1:
            raise ValueError("word dropout is in [0, 1)")
        self.pairs = [p for p in pairs if p[0] and p[1]]
        self.dropped_empty = len(pairs) - len(self.pairs)
        self.batch_size, self.seed = batch_size, seed
        self.word_dropout = float32(word_dropout)  # a Float in lstmchat: compared as one

    def batch_rows(self, epoch: int) -> list[list[int]]:
        """The indices into pairs of each batch of epoch (0-based), in order."""
        generator = Xoshiro256(self.seed ^ ((epoch * EPOCH_MIX) & MASK))
        order = list(range(len(self.pairs)))
        shuffle(order, generator)

        def length(i: int) -> int:
            return len(self.pairs[i][0]) + len(self.pairs[i][1])

        rows = []
        chunk_size = self.batch_size * self.BATCHES_PER_CHUNK
        for start in range(0, len(order), chunk_size):
            chunk = order[start:start + chunk_size]
            by_length = [i for _, _, i in sorted((length(i), k, i) for k, i in enumerate(chunk))]
            budget, b = self.batch_size * self.ROW_TOKENS, 0
            while b < len(by_length):
                # As many rows as fit in the budget (the longest, last, sets the batch's length).
                end = b + 1
                while end < len(by_length) and end - b < self.batch_size and (end - b + 1) * length(by_length[end]) <= budget:
                    end += 1
                # Inside a batch, the longest question first (sorted is stable: ties keep their order).
                rows.append(sorted(by_length[b:end], key=lambda i: -len(self.pairs[i][0])))
                b = end
        shuffle(rows, generator)
        return rows

    def questions(self, epoch: int, rows_of_epoch: Sequence[Sequence[int]]) -> list[list[list[int]]]:
        """The questions of each batch of epoch (rows_of_epoch = batch_rows(epoch)) as trained on:
        with --word-dropout, each word is replaced by <unk> with that probability, drawn as lstmchat's
        Batcher.batches draws it (one generator for the epoch, batch by batch, row by row, word by
        word), so both trainers replace the same words."""
        if self.word_dropout <= 0:
            return [[self.pairs[i][0] for i in rows] for rows in rows_of_epoch]
        generator = Xoshiro256(self.seed ^ WORD_DROPOUT_MIX ^ ((epoch * EPOCH_MIX) & MASK))
        p = self.word_dropout
        return [[[UNKNOWN if generator.next_float() < p else token for token in self.pairs[i][0]] for i in rows]
                for rows in rows_of_epoch]
