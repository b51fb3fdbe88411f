"""Question/answer corpora read as lstmchat reads them (Sources/LSTMChat/Data/DatasetReader.swift,
TextFile.swift, ChatterBotCorpus.swift): TSV files, parallel questions.txt + answers.txt, ChatterBot
YAML, and directories of them; the same pairs in the same order, and the same one-line errors."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import regex
import yaml

MAXIMUM_BYTES = 256 * 1024 * 1024
# libyaml's parser (what lstmchat's Yams uses) when PyYAML was built with it; its pure-Python twin otherwise.
_YAML_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class DataError(Exception):
    """FILE:LINE: problem, or FILE: problem."""

    def __init__(self, file: str, problem: str, line: int | None = None) -> None:
        self.file, self.line = file, line
        self.problem = " ".join(problem.splitlines())
        super().__init__(f"{file}:{line}: {self.problem}" if line is not None else f"{file}: {self.problem}")


class Pair:
    __slots__ = ("question", "answer", "file", "line")

    def __init__(self, question: str, answer: str, file: str, line: int) -> None:
        self.question, self.answer, self.file, self.line = question, answer, file, line


# Foundation's CharacterSet.whitespaces (Zs and tab) and .whitespacesAndNewlines (also U+000A–U+000D,
# U+0085, U+2028, U+2029), trimmed code point by code point as Foundation does.
def _is_space(c: str) -> bool:
    return c == "\t" or unicodedata.category(c) == "Zs"


def _is_space_or_newline(c: str) -> bool:
    return _is_space(c) or c in "\n\x0b\x0c\r\x85\u2028\u2029"


def _trim(text: str, test: Callable[[str], bool] = _is_space) -> str:
    start, end = 0, len(text)
    while start < end and test(text[start]):
        start += 1
    while end > start and test(text[end - 1]):
        end -= 1
    return text[start:end]


def text_lines(path: str) -> list[str]:
    """The lines of a UTF-8 file without their ends: BOM dropped, CRLF as LF, bad bytes refused."""
    if not os.path.exists(path):
        raise DataError(path, "no such file")
    if os.path.isdir(path):
        raise DataError(path, "is a directory, not a file")
    try:
        with open(path, "rb") as f:
            data = f.read(MAXIMUM_BYTES + 1)
    except OSError as error:
        raise DataError(path, f"cannot be read: {error.strerror}")
    if len(data) > MAXIMUM_BYTES:
        raise DataError(path, "is over 256 MB; files over 256 MB are not read")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data:
        raise DataError(path, "empty file")
    raw_lines = data.split(b"\n")
    if raw_lines[-1] == b"":
        raw_lines.pop()
    lines: list[str] = []
    for number, raw in enumerate(raw_lines, 1):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if b"\0" in raw:
            raise DataError(path, "contains a NUL byte; is this a text file?", number)
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise DataError(path, "not valid UTF-8", number)
    return lines


def _first_character(text: str) -> str:
    match = regex.match(r"\X", text)
    return match.group() if match else ""


def read_tsv(path: str) -> list[Pair]:
    pairs: list[Pair] = []
    for number, line in enumerate(text_lines(path), 1):
        trimmed = _trim(line)
        # Swift's hasPrefix compares Characters: "#" with a combining mark is not a comment.
        if not trimmed or _first_character(trimmed) == "#":
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise DataError(path, "no tab; a line is question<TAB>answer" if len(fields) == 1
                            else f"{len(fields) - 1} tabs; a line is question<TAB>answer with one tab", number)
        question, answer = _trim(fields[0]), _trim(fields[1])
        if not question:
            raise DataError(path, "empty question", number)
        if not answer:
            raise DataError(path, "empty answer", number)
        pairs.append(Pair(question, unescaped(answer), path, number))
    return pairs


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}


def unescaped(field: str) -> str:
    """A TSV answer as lstmchat reads it (TSVField.swift): \\n, \\r, \\t and \\\\ as the characters they
    stand for; any other backslash stays as it is."""
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 1 < len(field) and field[i + 1] in _ESCAPES:
            out.append(_ESCAPES[field[i + 1]])
            i += 2
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def read_parallel(questions: str, answers: str) -> list[Pair]:
    question_lines, answer_lines = text_lines(questions), text_lines(answers)
    if len(question_lines) != len(answer_lines):
        raise DataError(answers, f"has {len(answer_lines)} lines but {questions} has {len(question_lines)}; "
                        "line N of one must answer line N of the other")
    pairs: list[Pair] = []
    for number, (question, answer) in enumerate(zip(question_lines, answer_lines), 1):
        question, answer = _trim(question), _trim(answer)
        if not question:
            raise DataError(questions, "empty line", number)
        if not answer:
            raise DataError(answers, "empty line", number)
        pairs.append(Pair(question, answer, questions, number))
    if not pairs:
        raise DataError(questions, "no question/answer pairs in it")
    return pairs


def read_chatterbot(path: str) -> list[Pair]:
    """A ChatterBot corpus: conversations [a, b, c] give (a, b) and (b, c); every scalar is its text."""
    text = "\n".join(text_lines(path))
    try:
        # Anchors and aliases are refused (a few aliases can expand into an enormous tree).
        for event in yaml.parse(text, Loader=_YAML_LOADER):
            line = event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent):
                raise DataError(path, "YAML aliases (*name) are not allowed in a corpus", line)
            if getattr(event, "anchor", None) is not None:
                raise DataError(path, "YAML anchors (&name) are not allowed in a corpus", line)
        root = yaml.compose(text, Loader=_YAML_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        raise DataError(path, f"not valid YAML: {error.problem}", mark.line + 1 if mark else None)

    def not_a_corpus(problem: str, node: Any = None) -> DataError:
        return DataError(path, f"not a ChatterBot corpus: {problem}", node.start_mark.line + 1 if node else None)

    if root is None:
        raise not_a_corpus("no YAML document in it")
    if not isinstance(root, yaml.MappingNode):
        raise not_a_corpus("the top level is not a mapping", root)
    conversations: list[Any] | None = None
    for key, value in root.value:
        if key.value == "categories":
            if not isinstance(value, yaml.SequenceNode) or not all(isinstance(v, yaml.ScalarNode) for v in value.value):
                raise not_a_corpus("categories is not a list of names", value)
        elif key.value == "conversations":
            if not isinstance(value, yaml.SequenceNode):
                raise not_a_corpus("conversations is not a list", value)
            conversations = value.value
        else:
            raise not_a_corpus(f"unexpected key {key.value if isinstance(key, yaml.ScalarNode) else 'that is not text'}", key)
    if conversations is None:
        raise not_a_corpus("no conversations list")

    pairs: list[Pair] = []
    for conversation in conversations:
        # A lone message is a conversation of one, which gives no pair.
        if isinstance(conversation, yaml.ScalarNode):
            messages = [conversation]
        elif isinstance(conversation, yaml.SequenceNode):
            messages = conversation.value
        else:
            raise not_a_corpus("a conversation is not a list of messages", conversation)
        previous: tuple[str, int] | None = None
        for message in messages:
            line = message.start_mark.line + 1
            if not isinstance(message, yaml.ScalarNode):
                raise not_a_corpus("a message is not text", message)
            text = _trim(message.value, _is_space_or_newline)
            if not text:
                raise DataError(path, "empty message", line)
            if previous is not None:
                pairs.append(Pair(previous[0], text, path, previous[1]))
            previous = (text, line)
    return pairs


def format_from_extension(path: str) -> str:
    extension = os.path.splitext(path)[1][1:].lower()
    if extension == "tsv":
        return "tsv"
    if extension in ("yml", "yaml"):
        return "yaml"
    raise DataError(path, f"cannot tell the format of {path}; use --format tsv|parallel|yaml")


def read_file(path: str, format: str) -> list[Pair]:
    if format == "tsv":
        pairs = read_tsv(path)
    elif format == "yaml":
        pairs = read_chatterbot(path)
    else:
        raise DataError(path, "the parallel format reads a directory holding questions.txt and answers.txt "
                        "(or give both files)")
    if not pairs:
        raise DataError(path, "no question/answer pairs in it")
    return pairs


def read_directory(directory: str, format: str | None) -> list[Pair]:
    try:
        names = sorted(os.listdir(directory))
    except OSError as error:
        raise DataError(directory, f"cannot be listed: {error.strerror}")
    def path(name: str) -> str:
        return os.path.join(directory, name)
    pairs: list[Pair] = []
    read_any = False
    for name in names:
        if name.startswith(".") or not os.path.isfile(path(name)):
            continue
        try:
            file_format = format_from_extension(name)
        except DataError:
            continue
        if format is not None and format != file_format:
            continue
        pairs += read_file(path(name), file_format)
        read_any = True
    if format in (None, "parallel"):
        has_questions, has_answers = os.path.isfile(path("questions.txt")), os.path.isfile(path("answers.txt"))
        if has_questions and has_answers:
            pairs += read_parallel(path("questions.txt"), path("answers.txt"))
            read_any = True
        elif has_questions != has_answers:
            raise DataError(path("questions.txt" if has_questions else "answers.txt"),
                            "has no partner; parallel files are questions.txt and answers.txt together")
    if not read_any:
        raise DataError(directory, "no .tsv, .yml or .yaml files and no questions.txt + answers.txt in it")
    return pairs


def read(data: str | None = None, questions: str | None = None, answers: str | None = None,
         format: str | None = None) -> list[Pair]:
    """The pairs of DATA (a file or directory), or of --questions with --answers."""
    if questions is not None and answers is not None:
        return read_parallel(questions, answers)
    if data is None:
        raise ValueError("give DATA, or --questions with --answers")
    if not os.path.exists(data):
        raise DataError(data, "no such file or directory")
    pairs = (read_directory(data, format) if os.path.isdir(data)
             else read_file(data, format or format_from_extension(data)))
    if not pairs:
        raise DataError(data, "no question/answer pairs in it")
    return pairs


def fingerprint(pairs: Sequence[Pair]) -> str:
    """64-bit FNV-1a of the pairs' text, as lstmchat records it to tell whether the data changed."""
    h = 0xCBF29CE484222325
    for pair in pairs:
        for byte in pair.question.encode() + b"\t" + pair.answer.encode() + b"\n":
            h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return format(h, "x")
