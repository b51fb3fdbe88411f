"""The tokenizer and vocabulary: the cases of lstmchat's Tests/LSTMChatTests/Data/TokenizerTests.swift,
so both sides are held to the same answers (`make interop` compares them on whole corpora)."""

from __future__ import annotations

import json
import pathlib

import pytest

from lstmchat_torch import corpus
from lstmchat_torch.text import SPECIAL_TOKENS, UNKNOWN, Tokenizer, Vocabulary

WORDS = Tokenizer("word")
CHARACTERS = Tokenizer("char")


@pytest.mark.parametrize("text, expected", [
    ("Hello, world!", ["hello", ",", "world", "!"]),
    ("Don't worry, I'm sure it's fine.", ["don't", "worry", ",", "i'm", "sure", "it's", "fine", "."]),
    ("Don’t", ["don't"]),
    ("Pi is 3.14, not 1,000 or 10:30.", ["pi", "is", "3.14", ",", "not", "1,000", "or", "10:30", "."]),
    ("(A well-known fact)", ["(", "a", "well-known", "fact", ")"]),
    ("The dogs' bowls", ["the", "dogs", "'", "bowls"]),
    ("Wait...what?!", ["wait", ".", ".", ".", "what", "?", "!"]),
    ("ÇA VA? Ñandú ПРИВЕТ", ["ça", "va", "?", "ñandú", "привет"]),
    ("  spaced \t out\n", ["spaced", "out"]),
    ("end.", ["end", "."]),
    ("", []),
])
def test_word_tokens(text: str, expected: list[str]) -> None:
    assert WORDS.tokenize(text) == expected


def test_word_detokenize_attaches_punctuation() -> None:
    assert WORDS.detokenize(["hello", ",", "world", "!"]) == "hello, world!"
    assert WORDS.detokenize(["(", "see", "below", ")", "ok", "?"]) == "(see below) ok?"
    assert WORDS.detokenize([]) == ""


@pytest.mark.parametrize("sentence", [
    "Hello, world!",
    "Don't worry; it's fine.",
    "I'm 3.14 meters tall?!",
    "(See the manual) please.",
    "She said \"hi there\" to me.",
    "The dogs' bowls are empty.",
    "Well-known facts: 1,000 cats and 2 dogs.",
    "Ça va? Très bien!",
    "ПРИВЕТ, МИР!",
    "Wait... what?",
    "It costs 5% [roughly] {maybe}.",
    "¿Qué tal? ¡Bien!",
    "What is lstmchat?",
    "Numbers like 10:30 and 2.5 stay whole.",
])
def test_word_round_trip_gives_the_lowercased_sentence(sentence: str) -> None:
    assert WORDS.detokenize(WORDS.tokenize(sentence)) == sentence.lower()


@pytest.mark.parametrize("text, expected", [
    ("Hi  there!", ["h", "i", " ", "t", "h", "e", "r", "e", "!"]),
    ("  A\tb\n", ["a", " ", "b"]),
    ("Çé", ["ç", "é"]),
    ("", []),
])
def test_character_tokens(text: str, expected: list[str]) -> None:
    assert CHARACTERS.tokenize(text) == expected


@pytest.mark.parametrize("text", ["hello, world!", "Don't  stop\tnow.", " Ça va? "])
def test_character_round_trip_collapses_whitespace(text: str) -> None:
    assert CHARACTERS.detokenize(CHARACTERS.tokenize(text)) == " ".join(text.lower().split())


@pytest.mark.parametrize("text", ["what is ai", "What is AI?", "what is AI .", "  WHAT  is ai!", "what is ai ?!", "What is AI..."])
def test_questions_lose_case_spacing_and_final_punctuation(text: str) -> None:
    assert Tokenizer("word").tokenize_question(text) == ["what", "is", "ai"]
    assert Tokenizer("char").tokenize_question(text) == list("what is ai")


def test_question_punctuation_elsewhere_stays_and_alone_is_kept() -> None:
    assert WORDS.tokenize_question("Hello, how are you?") == ["hello", ",", "how", "are", "you"]
    assert WORDS.tokenize_question("?") == ["?"]
    assert WORDS.tokenize_question("") == []
    # Models trained before normalization are asked as they were trained.
    assert Tokenizer("word", normalizes_questions=False).tokenize_question("What is AI?") == ["what", "is", "ai", "?"]


def test_non_ascii_words_take_the_same_path_as_ascii() -> None:
    # The ASCII fast path and the general one agree: an ASCII sentence with one accented word.
    assert WORDS.tokenize("Don't stop, it's 3.14! café") == ["don't", "stop", ",", "it's", "3.14", "!", "café"]
    assert WORDS.tokenize("é e\u0301") == ["é", "e\u0301"]


def test_vocabulary_counts_most_frequent_first_ties_in_code_point_order() -> None:
    vocabulary = Vocabulary.counting([["b", "a", "c", "a"], ["c", "b", "a"]], min_count=1)
    assert vocabulary.tokens == SPECIAL_TOKENS + ["a", "b", "c"]
    assert vocabulary.encode(["a", "zebra"]) == [4, UNKNOWN]
    assert vocabulary.decode([0, 1, 2, 3, 4, 6]) == ["a", "c"]
    assert Vocabulary.counting([["x", "y", "y"]], min_count=2).tokens == SPECIAL_TOKENS + ["y"]
    assert len(Vocabulary.counting([["a", "b", "c"]], max_size=6)) == 6


def test_vocabulary_takes_canonically_equivalent_spellings_as_one_token() -> None:
    vocabulary = Vocabulary.counting([["é", "e\u0301"]])
    assert vocabulary.tokens == SPECIAL_TOKENS + ["é"]
    assert vocabulary.id("e\u0301") == 4
    with pytest.raises(ValueError):
        Vocabulary(["<pad>", "<unk>", "<bos>", "<eos>", "é", "e\u0301"])


# Answers kept as written: the vectors shared with lstmchat's own tests (WrittenTextTests in
# Tests/LSTMChatTests/Data/TokenizerTests.swift), and every answer of datasets/ back as written.
_VECTORS = json.loads((pathlib.Path(__file__).parents[2] / "Tests" / "Shared" / "tokenizer-vectors.json").read_text("utf-8"))
WRITTEN_WORDS = Tokenizer("word", keeps_text=True)
WRITTEN_CHARACTERS = Tokenizer("char", keeps_text=True)


@pytest.mark.parametrize("vector", _VECTORS["answers"])
def test_answers_tokenize_as_the_shared_vectors_say(vector: dict) -> None:
    assert WRITTEN_WORDS.tokenize_answer(vector["answer"]) == vector["word"]
    assert WRITTEN_CHARACTERS.tokenize_answer(vector["answer"]) == vector["char"]
    assert WRITTEN_WORDS.detokenize(vector["word"]) == vector["text"]
    assert WRITTEN_CHARACTERS.detokenize(vector["char"]) == vector["text"]


@pytest.mark.parametrize("vector", _VECTORS["questions"])
def test_questions_tokenize_as_the_shared_vectors_say(vector: dict) -> None:
    assert WRITTEN_WORDS.tokenize_question(vector["question"]) == vector["word"]


@pytest.mark.parametrize("path", ["chatterbot-english", "examples/small.tsv", "examples/parallel"])
def test_every_answer_of_the_datasets_comes_back_as_written(path: str) -> None:
    pairs = corpus.read(str(pathlib.Path(__file__).parents[2] / "datasets" / path))
    assert pairs
    for pair in pairs:
        written = pair.answer.rstrip()
        assert WRITTEN_WORDS.detokenize(WRITTEN_WORDS.tokenize_answer(pair.answer)) == written, (pair.file, pair.line)
        assert WRITTEN_CHARACTERS.detokenize(WRITTEN_CHARACTERS.tokenize_answer(pair.answer)) == written, (pair.file, pair.line)


@pytest.mark.parametrize("field, text", [
    (r"a\nb", "a\nb"), (r"tab\there", "tab\there"), (r"back\\slash", "back\\slash"), (r"C:\data", "C:\\data"),
    (r"\\n", "\\n"), ("end\\", "end\\"), ("plain", "plain"),
])
def test_tsv_answers_read_escapes_as_lstmchat_does(field: str, text: str) -> None:
    assert corpus.unescaped(field) == text
