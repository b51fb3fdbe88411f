"""The tokenizer and vocabulary of lstmchat, exactly as Sources/LSTMChat/Data/Tokenizer.swift and
Vocabulary.swift define them, so a model trained here reads text as lstmchat does.

Swift works on Characters (extended grapheme clusters) and asks a Character's first code point
whether it is a letter (Unicode Alphabetic), a number (any Numeric_Type) or whitespace
(White_Space); it lowercases code point by code point (full mappings, no context), and compares
strings by canonical equivalence. The `regex` module gives the clusters (\\X) and the Unicode
properties; NFC gives the equivalence.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence

import regex

SPECIAL_TOKENS = ["<pad>", "<unk>", "<bos>", "<eos>"]
PAD, UNKNOWN, BOS, EOS = 0, 1, 2, 3

_CLUSTER = regex.compile(r"\X")
_LETTER = regex.compile(r"\p{Alphabetic}")
_NOT_A_NUMBER = regex.compile(r"\p{Numeric_Type=None}")
_WHITESPACE = regex.compile(r"\p{White_Space}")


def _lowercased(text: str) -> str:
    # Code point by code point: str.lower() on the whole string would turn a final Σ into ς, Swift does not.
    return "".join(c.lower() for c in text)


_CONSONANT = regex.compile(r"\p{InCB=Consonant}")
_LINKER = regex.compile(r"\p{InCB=Linker}")
_INCB_EXTEND = regex.compile(r"\p{InCB=Extend}")
_APOSTROPHE = regex.compile(r"\u2019(?!\p{Grapheme_Cluster_Break=Extend})")
_PREPEND = regex.compile(r"\p{Grapheme_Cluster_Break=Prepend}")


def _clusters(text: str) -> list[str]:
    """Extended grapheme clusters. The regex module joins a virama and the consonant after it even
    with no consonant before the virama; UAX #29's rule GB9c (which Swift follows) joins them only
    in a conjunct, consonant (extend|linker)* linker (extend|linker)* × consonant. Such clusters
    are split again here before the consonant."""
    clusters: list[str] = []
    for cluster in _CLUSTER.findall(text):
        start = 0
        for k in range(1, len(cluster)):
            if not _CONSONANT.match(cluster[k]) or _PREPEND.match(cluster[k - 1]):
                continue
            j, linked = k - 1, False
            while j >= start and (_LINKER.match(cluster[j]) or _INCB_EXTEND.match(cluster[j])):
                linked = linked or bool(_LINKER.match(cluster[j]))
                j -= 1
            if not (linked and j >= start and _CONSONANT.match(cluster[j])):
                clusters.append(cluster[start:k])
                start = k
        clusters.append(cluster[start:])
    return clusters


@functools.lru_cache(maxsize=65536)
def _is_whitespace(cluster: str) -> bool:
    return bool(_WHITESPACE.match(cluster[0]))


@functools.lru_cache(maxsize=65536)
def _is_number(cluster: str) -> bool:
    return not _NOT_A_NUMBER.match(cluster[0])


@functools.lru_cache(maxsize=65536)
def _is_word_character(cluster: str) -> bool:
    return bool(_LETTER.match(cluster[0])) or _is_number(cluster) or cluster == "_"


# ASCII text, by far the most common, the same rules as one regular expression: a word is runs of
# [a-z0-9_] joined by ' or - (or by . , : between digits); any other mark that is not whitespace
# is a token of its own. (In ASCII every character is its own cluster but CR LF, which is whitespace.)
_ASCII_TOKEN = re.compile(r"\w+(?:(?:['-]|(?<=[0-9])[.,:](?=[0-9]))\w+)*|\S", re.ASCII)


def _word_end(characters: Sequence[str], start: int) -> int:
    """The end of the token that starts at start (not whitespace): a word or number with its joiners, or one mark."""
    if not _is_word_character(characters[start]):
        return start + 1
    i, n = start + 1, len(characters)
    while i < n:
        if _is_word_character(characters[i]):
            i += 1
            continue
        # A joiner continues the word only when a word character follows it.
        if not (i + 1 < n and _is_word_character(characters[i + 1])):
            break
        joins_words = characters[i] in ("'", "\u2019", "-")
        joins_digits = (characters[i] in (".", ",", ":") and _is_number(characters[i - 1])
                        and _is_number(characters[i + 1]))
        if not (joins_words or joins_digits):
            break
        i += 2
    return i


def words(text: str) -> list[str]:
    """Lowercased words, numbers and marks: "Don't stop, it's 3.14!" → don't stop , it's 3.14 !"""
    if text.isascii():
        return _ASCII_TOKEN.findall(text.lower())
    # The typographic apostrophe is common in pasted text: one spelling keeps "don’t" and "don't" one word.
    # Foundation replaces it only where no extending mark follows it ("’" + U+0301 stays as it is).
    characters = _clusters(_APOSTROPHE.sub("'", _lowercased(text)))
    tokens: list[str] = []
    i = 0
    while i < len(characters):
        if _is_whitespace(characters[i]):
            i += 1
            continue
        end = _word_end(characters, i)
        tokens.append("".join(characters[i:end]))
        i = end
    return tokens


SPACE = "\u2581"  # starts a token that follows one space, in text kept as written
_ASCII_WRITTEN = re.compile(r"(\s*)(" + _ASCII_TOKEN.pattern + ")", re.ASCII)


def _place(tokens: list[str], gap: str, token: str) -> None:
    """Appends token and the whitespace before it (gap; the text's start counts as a space)."""
    if gap == " ":
        tokens.append(SPACE + token)
        return
    if gap:
        tokens.append(gap if tokens else gap[1:])
    tokens.append(token)


def written_words(text: str) -> list[str]:
    """Words, numbers and marks as written: one space before a token is a ▁ starting it, any other
    whitespace a token of its own; whitespace at the end dropped. "Hi  you\n" → ▁Hi, "  ", you"""
    tokens: list[str] = []
    if text.isascii():
        for number, match in enumerate(_ASCII_WRITTEN.finditer(text)):
            _place(tokens, (" " if number == 0 else "") + match.group(1), match.group(2))
        return tokens
    characters = _clusters(text)
    gap, i = " ", 0
    while i < len(characters):
        if _is_whitespace(characters[i]):
            gap += characters[i]
            i += 1
            continue
        end = _word_end(characters, i)
        _place(tokens, gap, "".join(characters[i:end]))
        gap, i = "", end
    return tokens


def written_characters(text: str) -> list[str]:
    """Characters as written, whitespace at the end dropped."""
    tokens = _clusters(text)
    while tokens and _is_whitespace(tokens[-1]):
        tokens.pop()
    return tokens


def unmarked(token: str) -> tuple[str, bool]:
    """A token without the ▁ that says a space came before it, and whether it had one (by code
    points: the mark U+2581 alone is a token of its own)."""
    if len(token) > 1 and token[0] == SPACE:
        return token[1:], True
    return token, False


def join_written(tokens: Iterable[str]) -> str:
    text = ""
    for i, token in enumerate(tokens):
        word, spaced = unmarked(token)
        # The first token's space is the text's start.
        if spaced and i > 0:
            text += " "
        text += word
    return text


def characters(text: str) -> list[str]:
    """Lowercased characters, each run of whitespace one " " token, none at either end."""
    tokens: list[str] = []
    for c in _clusters(_lowercased(text)):
        if _is_whitespace(c):
            if tokens and tokens[-1] != " ":
                tokens.append(" ")
        else:
            tokens.append(c)
    if tokens and tokens[-1] == " ":
        tokens.pop()
    return tokens


NO_SPACE_BEFORE = {",", ".", "!", "?", ";", ":", ")", "]", "}", "'", "%", "…", "»"}
NO_SPACE_AFTER = {"(", "[", "{", "¿", "¡", "«"}


def join_words(tokens: Iterable[str]) -> str:
    text = ""
    space_allowed = False
    inside_quotes = False
    for token in tokens:
        space_before = space_allowed and token not in NO_SPACE_BEFORE
        space_after = token not in NO_SPACE_AFTER
        if token == '"':
            # Straight double quotes alternate: an opening one hugs the next word, a closing one the last.
            if inside_quotes:
                space_before = False
            else:
                space_after = False
            inside_quotes = not inside_quotes
        if space_before:
            text += " "
        text += token
        space_allowed = space_after
    return text


FINAL_PUNCTUATION = {"?", ".", "!", " "}
NORMALIZED_QUESTIONS = "final-punctuation-dropped"  # the checkpoint's "questions" metadata
ANSWERS_AS_WRITTEN = "as-written"  # the checkpoint's "answers" metadata, when keeps_text


class Tokenizer:
    """normalizes_questions: questions lose the ?, . and ! they end with (lstmchat records it in the
    checkpoint's metadata as questions = "final-punctuation-dropped"; older models lack it).
    keeps_text: answers are tokenized as written (written_words), and a question's words start
    with ▁ (answers = "as-written" in the metadata; older models lack it)."""

    def __init__(self, kind: str, normalizes_questions: bool = True, keeps_text: bool = False) -> None:
        if kind not in ("word", "char"):
            raise ValueError(f"unknown tokenizer {kind!r} (expected word or char)")
        self.kind = kind
        self.normalizes_questions = normalizes_questions
        self.keeps_text = keeps_text

    def tokenize(self, text: str) -> list[str]:
        """Normalized tokens: lowercased, whitespace dropped (word) or collapsed (char)."""
        return words(text) if self.kind == "word" else characters(text)

    def tokenize_question(self, text: str) -> list[str]:
        """tokenize, then without the final ?, . and ! (unless they are all the question holds);
        its words marked with ▁ when keeps_text."""
        tokens = self.tokenize(text)
        if self.normalizes_questions:
            end = len(tokens)
            while end > 0 and tokens[end - 1] in FINAL_PUNCTUATION:
                end -= 1
            if end > 0:
                tokens = tokens[:end]
        if not (self.keeps_text and self.kind == "word"):
            return tokens
        return [SPACE + t if _is_word_character(_clusters(t)[0]) else t for t in tokens]

    def tokenize_answer(self, text: str) -> list[str]:
        """As written when keeps_text, else as tokenize reads it."""
        if not self.keeps_text:
            return self.tokenize(text)
        return written_words(text) if self.kind == "word" else written_characters(text)

    def detokenize(self, tokens: Sequence[str]) -> str:
        if self.kind == "char":
            return "".join(tokens)
        return join_written(tokens) if self.keeps_text else join_words(tokens)


def _key(token: str) -> str:
    # Swift's String equality and hashing are canonical equivalence: é and e + ◌́ are one token.
    return unicodedata.normalize("NFC", token)


class Vocabulary:
    """The special tokens, then the corpus's tokens from most to least frequent, ties in code point order."""

    def __init__(self, tokens: Sequence[str]) -> None:
        if tokens[:4] != SPECIAL_TOKENS:
            raise ValueError("a vocabulary starts with " + " ".join(SPECIAL_TOKENS) + ", not " + " ".join(tokens[:4]))
        self.tokens = list(tokens)
        self.ids: dict[str, int] = {}
        for index, token in enumerate(self.tokens):
            if token == "":
                raise ValueError(f"token {index} of the vocabulary is empty")
            if _key(token) in self.ids:
                raise ValueError(f"the vocabulary holds {token} twice")
            self.ids[_key(token)] = index

    @classmethod
    def counting(cls, sequences: Iterable[Sequence[str]], min_count: int = 1, max_size: int | None = None) -> Vocabulary:
        counts: dict[str, int] = {}    # key → count
        spelling: dict[str, str] = {}  # key → the first spelling seen, which Swift's dictionary keeps
        for sequence in sequences:
            for token in sequence:
                key = _key(token)
                if key not in counts:
                    counts[key] = 0
                    spelling[key] = token
                counts[key] += 1
        for special in SPECIAL_TOKENS + [""]:
            counts.pop(_key(special), None)
        kept = sorted((spelling[k] for k, c in counts.items() if c >= min_count),
                      key=lambda token: (-counts[_key(token)], token))
        if max_size is not None:
            kept = kept[:max_size - len(SPECIAL_TOKENS)]
        return cls(SPECIAL_TOKENS + kept)

    def __len__(self) -> int:
        return len(self.tokens)

    def id(self, token: str) -> int:
        return self.ids.get(_key(token), UNKNOWN)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        return [self.id(t) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """The tokens of ids, leaving out the special tokens."""
        return [self.tokens[i] for i in ids if i >= len(SPECIAL_TOKENS)]
