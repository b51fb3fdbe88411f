"""The validation split, batch order and word dropout, against lstmchat's BatcherTests.swift."""

from __future__ import annotations

import pytest

from lstmchat_torch.batches import Batcher, Xoshiro256, split_for_validation, truncate
from lstmchat_torch.text import UNKNOWN


def pairs(count: int) -> list[tuple[list[int], list[int]]]:
    """BatcherTests.pairs: each question starts with its index + 10; lengths 1 to 20 from a fixed generator."""
    generator = Xoshiro256(7)
    result = []
    for index in range(count):
        question_length, answer_length = 1 + generator.index_below(20), 1 + generator.index_below(20)
        result.append(([index + 10] + [5] * (question_length - 1), [6] * answer_length))
    return result


def test_batches_are_lstmchats_row_for_row() -> None:
    # BatcherTests.theRowsOfAnEpoch, lstmchat's own numbers.
    rows = Batcher(pairs(40), batch_size=8, seed=42).batch_rows(0)
    assert [sorted(r) for r in rows] == [
        [0, 7, 11, 18, 35], [8, 10, 12, 14, 21, 22, 30], [3, 4, 9, 13, 15, 28, 36, 39], [20, 33, 34, 37],
        [24, 25, 27, 38], [23, 29, 31], [1, 6, 16], [5, 17, 26, 32], [2, 19],
    ]
    assert rows == [
        [0, 11, 7, 18, 35], [12, 22, 21, 8, 14, 10, 30], [4, 39, 36, 9, 28, 15, 3, 13], [33, 20, 37, 34],
        [38, 24, 27, 25], [31, 29, 23], [6, 16, 1], [17, 5, 32, 26], [2, 19],
    ]


@pytest.mark.parametrize("count, batch_size", [(1, 1), (7, 3), (100, 10), (1234, 8), (5, 64)])
def test_every_pair_is_in_exactly_one_batch_per_epoch(count: int, batch_size: int) -> None:
    batcher = Batcher(pairs(count), batch_size, seed=42)
    for epoch in range(2):
        rows = batcher.batch_rows(epoch)
        # batch_size rows, or fewer when they are long: at most batch_size × ROW_TOKENS tokens.
        for r in rows:
            longest = max(len(batcher.pairs[i][0]) + len(batcher.pairs[i][1]) for i in r)
            assert len(r) <= batch_size
            assert len(r) == 1 or len(r) * longest <= batch_size * Batcher.ROW_TOKENS
        assert sorted(i for r in rows for i in r) == list(range(count))


def test_long_pairs_come_in_smaller_batches() -> None:
    short = [([10 + i], [6] * 9) for i in range(64)]
    long = [([100 + i], [6] * 99) for i in range(64)]
    sizes = sorted(len(r) for r in Batcher(short + long, 32, seed=1).batch_rows(0))
    assert sizes == [4] + [5] * 12 + [32, 32]  # 32 × 16 tokens hold 32 pairs of 10 tokens, but 5 of 100


def test_rows_of_a_batch_come_longest_question_first() -> None:
    data = pairs(500)
    for rows in Batcher(data, 20, seed=3).batch_rows(1):
        lengths = [len(data[i][0]) for i in rows]
        assert lengths == sorted(lengths, reverse=True)


@pytest.mark.parametrize("p", [0.1, 0.3])
def test_word_dropout_replaces_question_words_by_unknown_only(p: float) -> None:
    data = pairs(1000)
    plain, noisy = Batcher(data, 16, seed=42), Batcher(data, 16, seed=42, word_dropout=p)
    rows = noisy.batch_rows(2)
    assert rows == plain.batch_rows(2)  # word dropout does not change the batches
    clean, dropped = plain.questions(2, rows), noisy.questions(2, rows)
    words = replaced = 0
    for batch_clean, batch_dropped in zip(clean, dropped):
        for x, y in zip(batch_clean, batch_dropped):
            assert len(x) == len(y)
            for a, b in zip(x, y):
                words += 1
                if a != b:
                    replaced += 1
                    assert b == UNKNOWN
    share = replaced / words
    assert abs(share - p) < 5 * (p * (1 - p) / words) ** 0.5
    # The same words every time an epoch is asked for (resuming), others for another epoch.
    assert noisy.questions(2, rows) == dropped
    assert noisy.questions(3, noisy.batch_rows(3)) != plain.questions(3, plain.batch_rows(3))


def test_word_dropout_draws_as_swift_next_float() -> None:
    # Swift: Float(next() >> 40) * (1 / 16_777_216), a Float32 in [0, 1) held exactly in a double.
    a, b = Xoshiro256(5), Xoshiro256(5)
    for _ in range(100):
        value = a.next_float()
        assert value == (b.next() >> 40) / 2 ** 24 and 0 <= value < 1


def test_pairs_with_an_empty_side_are_dropped_and_counted() -> None:
    batcher = Batcher([([10], [11]), ([], [12]), ([13], []), ([14], [15])], batch_size=2, seed=0)
    assert batcher.dropped_empty == 2
    assert [q for q, _ in batcher.pairs] == [[10], [14]]


@pytest.mark.parametrize("max_length, cut", [(1, 3), (2, 1), (3, 0), (10, 0)])
def test_truncate_cuts_long_sides_and_counts_the_pairs_cut(max_length: int, cut: int) -> None:
    data = [([1, 2, 3], [4]), ([5], [6, 7]), ([8, 9], [10])]
    result, count = truncate(data, max_length)
    assert count == cut
    assert result == [(q[:max_length], a[:max_length]) for q, a in data]


@pytest.mark.parametrize("count, fraction, held", [(10, 0.1, 1), (10, 0.0, 0), (2, 0.01, 1), (1, 0.5, 0), (0, 0.5, 0),
                                                   (100, 0.25, 25), (3, 0.9, 2)])
def test_validation_size_follows_the_fraction(count: int, fraction: float, held: int) -> None:
    train, validation = split_for_validation(list(range(count)), fraction, seed=9)
    assert len(validation) == held and len(train) == count - held


def test_split_is_deterministic_disjoint_and_keeps_order() -> None:
    items = list(range(200))
    train, validation = split_for_validation(items, 0.2, seed=5)
    assert train == split_for_validation(items, 0.2, seed=5)[0]
    assert validation != split_for_validation(items, 0.2, seed=6)[1]
    assert sorted(train + validation) == items
    assert train == sorted(train) and validation == sorted(validation)
    assert validation != list(range(len(validation)))
