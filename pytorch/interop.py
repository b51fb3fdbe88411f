"""`make interop`: lstmchat and the PyTorch trainer in pytorch/ agree, both ways.

  1. The tokenizer gives the same tokens in Swift and Python on every question and answer of the
     bundled corpora and on hostile strings; the readers give the same pairs, and the vocabulary
     counted here from the English corpus is the bundled model's.
  2. The bundled lstmchat model, and one with attention, give the same logits in PyTorch on a
     batch (1e-5 relative) and the same greedy answers.
  3. torchrun with 2 processes on the CPU trains a few epochs on datasets/examples/small.tsv, the
     loss falls, and `lstmchat ask` on its checkpoint gives PyTorch's greedy answers.
  4. `lstmchat train --resume` continues the PyTorch-written run (and the PyTorch trainer continues
     an lstmchat-written one, and fine-tunes the bundled model).
  5. --word-dropout replaces the same question words in both: an lstmchat run with word dropout,
     continued by each trainer, gives the same losses step by step; --until-accuracy stops the
     PyTorch trainer at the exact match `lstmchat eval` measures on its model.

The trainer runs as `python -m lstmchat_torch.train` (and under `torchrun -m`), from this folder's
lstmchat_torch (put first on PYTHONPATH), so that the source is checked, installed or not.

Run from the repository's root: python pytorch/interop.py --lstmchat .build/release/lstmchat
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence

import torch
from safetensors import safe_open
from safetensors.torch import load_file

from lstmchat_torch import corpus
from lstmchat_torch.ask import ChatModel
from lstmchat_torch.model import make_batch
from lstmchat_torch.text import Tokenizer, Vocabulary

HERE = os.path.dirname(os.path.abspath(__file__))
# Child processes import lstmchat_torch from here too (this script does: Python puts its folder first).
ENVIRONMENT = dict(os.environ, PYTHONPATH=os.pathsep.join([HERE, *filter(None, [os.environ.get("PYTHONPATH")])]))
TRAIN = ["-m", "lstmchat_torch.train"]

CORPORA = ["datasets/chatterbot-english", "datasets/examples/small.tsv", "datasets/examples/parallel"]
BUNDLED = "checkpoints/default/model.safetensors"

HOSTILE = [
    "Don't STOP, it's 3.14! Well-known: 10:30, 1,000.", "don’t DON’T won’t’", "été e\u0301te\u0301 ÉTÉ E\u0301",
    "İstanbul ΣΟΦΟΣ ὈΔΥΣΣΕΎΣ ıi", "straße STRASSE ẞ ß", "ﬁne Ǆemal ǅ ǰ", "👨‍👩‍👧 family 🇫🇷🇩🇪 flags 👍🏽 ok ❤️ 1️⃣",
    "a\u200db zero\u200bwidth \ufeffbom", "tabs\tand\u00a0nbsp\u2003em\u3000ideo\u2028line\u2029para\u0085nel\x0bvt\x0cff",
    "٣٫١٤ ١٠ ۱۲ 一二三 ½ ⅚ Ⅻ ² ³⁄₄", "x--y a''b -start end- 'quoted' \"double\" (paren) [b] {c}", "3.-1 1..2 a.b 3,a 1:2:3 ...",
    "!!!???...…", "日本語のテキスト、句読点。", "한국어 텍스트 \u1100\u1161\u11a8", "مرحبا بالعالم", "שָׁלוֹם",
    "हिन्दी क्षत्रिय", "\u0301leading combining", " \u0301space then combining", "#\u0301 not a comment", "'\u0301x",
    "cr\r\nlf\rcr alone\nnewline", "\x01\x1b[31mred\x1b[0m\x7f", "under_score __init__ _x_ _", "a" * 5000,
    "\U0001F3FB lone modifier", "a\u0308\u0301\u0316\u0317 zalgo", "ＦＵＬＬＷＩＤＴＨ　ｔｅｘｔ１２３", "𝐁𝐨𝐥𝐝 𝟏𝟐𝟑", "Ⓐⓑ ⓒ",
    "", " ", "\t\n", "1,000,000.5 v2.0 2:30pm 3.14.15", "'tis rock'n'roll o'clock", "¿Qué? ¡Sí! «non» (x) [y]",
    "C++ C# .NET e-mail @user #tag $5 50% a/b a\\b", "\U0001F600\U0001F600\u200d", "ǅungla Ǉ ǈ ǉ", "Ⅰ ⅱ ⓐ ㊈ 𝟠 ๒",
    "x\u0345y", "don’\u0301t ’\u0301", "ℌ ℍ ℎ K Å", "ᾈ ᾼ", "\u05d0\u05b0 \u0e01\u0e33", "\U000E0041 tag", "a\u034fb", "e\u0300\u0301",
]


# Random strings from the characters where tokenizers go wrong: joiners between letters and digits,
# combining marks, zero-width joiners, emoji, regional indicators, Hangul jamo, Indic viramas,
# digits of other scripts, every kind of space, case pairs whose lowercase is longer.
POOL = list("aZ9_'-.,:’ \t\"#") + ["\u0301", "\u0308", "\u200d", "\u200c", "\u00a0", "\u2028", "\u3000", "\u0085",
    "\r", "\n", "\U0001F468", "\U0001F3FD", "\U0001F1EB", "\U0001F1F7", "\u2764", "\ufe0f", "\u20e3", "\u1100",
    "\u1161", "\u11a8", "\uac00", "\u0915", "\u094d", "\u0937", "\u0663", "\u0661", "\u00bd", "\u2166", "\u0130",
    "\u03a3", "\u00df", "\u1e9e", "\ufb01", "\u01c5", "\u0345", "\u24b6", "\u0600", "\u0e33", "\u05b0", "\x01",
    "\x7f", "\U000E0041", "\u034f", "\u2019", "\u00c9", "\u0d4e", "\U0001D7E0", "\u4e00"]


def random_strings(count: int, seed: int = 1) -> list[str]:
    generator = random.Random(seed)
    return ["".join(generator.choice(POOL) for _ in range(generator.randint(1, 24))) for _ in range(count)]


class Check:
    def __init__(self, number: int, name: str) -> None:
        self.number, self.name, self.passed = number, name, True
        self.lines: list[str] = []

    def note(self, text: str) -> None:
        self.lines.append(text)

    def expect(self, condition: bool, failure: str) -> bool:
        if not condition:
            self.passed = False
            self.lines.append("FAIL: " + failure)
        return condition

    def report(self) -> None:
        print(f"{self.number}. {self.name}: {'ok' if self.passed else 'FAILED'}")
        for line in self.lines:
            print("   " + line)
        sys.stdout.flush()


def run(command: Sequence[str], stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, input=stdin, capture_output=True, text=True, env=ENVIRONMENT)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def swift_tokens(lstmchat: str, kind: str, texts: Sequence[str], written: bool = False) -> list[list[str]]:
    stdin = "".join(json.dumps(t) + "\n" for t in texts)
    command = [lstmchat, "tokenize", "--tokenizer", kind] + (["--written"] if written else [])
    # Lines end at \n alone: tokens as written may hold U+2028 or U+0085, which splitlines() also splits at.
    return [json.loads(line) for line in run(command, stdin).stdout.split("\n")[:-1]]


def check_tokenizer(lstmchat: str) -> Check:
    check = Check(1, "tokenizer, readers and vocabulary")
    texts: list[str] = []
    pair_counts: dict[str, int] = {}
    for path in CORPORA:
        pairs = corpus.read(path)
        pair_counts[path] = len(pairs)
        texts += [t for p in pairs for t in (p.question, p.answer)]
    check.note("pairs read: " + ", ".join(f"{p} {n}" for p, n in pair_counts.items()))
    check.expect(pair_counts["datasets/chatterbot-english"] == 2306, "the English corpus has 2306 pairs (datasets/README.md)")
    texts += HOSTILE + random_strings(3000)
    for kind, written in (("word", False), ("char", False), ("word", True), ("char", True)):
        tokenizer = Tokenizer(kind, keeps_text=written)
        swift = swift_tokens(lstmchat, kind, texts, written)
        python = [tokenizer.tokenize_answer(t) for t in texts]
        differ = [(t, s, p) for t, s, p in zip(texts, swift, python) if s != p]
        check.expect(len(swift) == len(texts), f"lstmchat tokenize answered {len(swift)} of {len(texts)} texts")
        if check.expect(not differ, f"{kind}{' as written' if written else ''}: {len(differ)} of {len(texts)} texts differ, first {differ[:1]!r}"):
            check.note(f"{kind}{' as written' if written else ''}: {len(texts)} texts ({len(HOSTILE)} hostile, 3000 random from hard characters), {sum(map(len, python))} tokens, all the same")
    # The bundled model was trained on the English corpus with --val-fraction 0 (Makefile's MODEL_FLAGS).
    tokenizer = Tokenizer("word", normalizes_questions=True, keeps_text=True)
    pairs = corpus.read("datasets/chatterbot-english")
    counted = Vocabulary.counting([s for p in pairs for s in (tokenizer.tokenize_question(p.question), tokenizer.tokenize_answer(p.answer))], 1, 20000)
    with safe_open(BUNDLED, framework="pt") as f:
        bundled = json.loads(f.metadata()["vocabulary"])
    if check.expect(counted.tokens == bundled, "the vocabulary counted here is not the bundled model's"):
        check.note(f"vocabulary counted from the English corpus = the bundled model's ({len(bundled)} tokens, same order)")
    return check


def answers_of_lstmchat(lstmchat: str, checkpoint: str, questions: Sequence[str]) -> list[str]:
    # --min-confidence 0: the model's answer always, never the fallback for a question it is unsure of.
    # --no-match: the models are compared, not chat's matching of questions to known ones.
    # --max-length 60 --max-repeats 0: ChatModel.answer's greedy decoding, which blocks no repeats.
    # --json: the answers as written (piped, plain ask writes a line break as \\n).
    output = run([lstmchat, "ask", "--checkpoint", checkpoint, "--min-confidence", "0", "--no-match", "--max-length", "60",
                  "--max-repeats", "0", "--json"], "".join(q + "\n" for q in questions)).stdout
    return [json.loads(line)["reply"] for line in output.split("\n")[:-1]]


def compare_with_lstmchat(check: Check, lstmchat: str, checkpoint: str, pairs: Sequence[corpus.Pair], scratch: str) -> None:
    """Logits of one batch of pairs, and greedy answers to their questions, from lstmchat and here."""
    model = ChatModel(checkpoint)
    encoded = [(model.encode(p.question)[:60], model.encode(p.answer)[:60]) for p in pairs]
    encoded = [(q, a) for q, a in encoded if q and a]
    output = os.path.join(scratch, "logits.safetensors")
    run([lstmchat, "logits", "--checkpoint", checkpoint, "-o", output], "".join(json.dumps([q, a]) + "\n" for q, a in encoded))
    swift = load_file(output)["logits"].double()
    with torch.no_grad():
        source, lengths, inputs, targets, mask = make_batch([q for q, _ in encoded], [a for _, a in encoded])
        python = model.network(source, lengths, inputs).double()
    check.expect(swift.shape == python.shape, f"logits shapes differ: {tuple(swift.shape)} and {tuple(python.shape)}")
    relative = float((swift - python).abs().max() / python.abs().max())
    check.expect(relative <= 1e-5, f"logits differ by {relative:.2e} of the largest (limit 1e-5)")
    check.note(f"logits of a batch of {len(encoded)} pairs, {tuple(python.shape)}: largest difference "
               f"{relative:.1e} of the largest logit")
    questions = sorted({p.question for p in pairs})
    swift_answers = answers_of_lstmchat(lstmchat, checkpoint, questions)
    python_answers = [model.answer(q)[0] for q in questions]
    same = sum(s == p for s, p in zip(swift_answers, python_answers))
    check.expect(same == len(questions), f"greedy answers differ for {len(questions) - same} of {len(questions)} questions, "
                 f"first: {next(((q, s, p) for q, s, p in zip(questions, swift_answers, python_answers) if s != p), None)!r}")
    check.note(f"greedy answers: {same} of {len(questions)} the same")


def check_bundled_model(lstmchat: str, scratch: str) -> Check:
    check = Check(2, "lstmchat models in PyTorch")
    check.note(f"the bundled model ({BUNDLED}):")
    pairs = corpus.read("datasets/chatterbot-english")[::97] + corpus.read("datasets/examples/small.tsv")
    compare_with_lstmchat(check, lstmchat, BUNDLED, pairs, scratch)
    # A model with attention, trained by lstmchat for a few epochs.
    attention = os.path.join(scratch, "attention")
    run([lstmchat, "train", "datasets/examples/small.tsv", "--out", attention, "--attention", "--epochs", "6",
         "--embed", "32", "--hidden", "48", "--layers", "2", "--batch-size", "8", "--lr", "0.01", "--quiet"])
    check.note("a model with attention (lstmchat train --attention, 6 epochs on small.tsv):")
    compare_with_lstmchat(check, lstmchat, attention, corpus.read("datasets/examples/small.tsv"), scratch)
    return check


def log_rows(path: str) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def check_torchrun(lstmchat: str, python: str, scratch: str) -> Check:
    check = Check(3, "torchrun, 2 processes on the CPU")
    out = os.path.join(scratch, "torchrun")
    torchrun = os.path.join(os.path.dirname(python), "torchrun")
    # No dropout, so that one process must give the same numbers as two.
    flags = ["datasets/examples/small.tsv", "--embed", "32", "--hidden", "64", "--layers", "2", "--batch-size", "8",
             "--lr", "0.01", "--dropout", "0", "--val-fraction", "0.1"]
    result = run([torchrun, "--standalone", "--nproc_per_node", "2", *TRAIN, *flags,
                  "--out", out, "--epochs", "12"], check=False)
    if not check.expect(result.returncode == 0, f"torchrun failed ({result.returncode}): {result.stderr.strip()[-600:]}"):
        return check
    check.note(next(line for line in result.stderr.splitlines() if line.startswith("training on")))
    rows = log_rows(os.path.join(out, "loss.csv"))
    # The same run on one process, for its first 2 epochs: each step's loss and gradient norm must agree.
    single = os.path.join(scratch, "one-process")
    run([python, *TRAIN, *flags, "--out", single, "--epochs", "2", "--quiet"])
    one = log_rows(os.path.join(single, "loss.csv"))
    worst = max(abs(float(a[k]) - float(b[k])) / abs(float(a[k])) for a, b in zip(one, rows) for k in ("loss", "grad_norm"))
    check.expect(worst <= 1e-5, f"1 and 2 processes differ by {worst:.1e} (relative) in loss or gradient norm")
    check.note(f"1 process and 2 agree on the loss and gradient norm of the first {len(one)} steps to {worst:.1e} (relative)")
    by_epoch: dict[int, list[float]] = {}
    for row in rows:
        by_epoch.setdefault(int(row["epoch"]), []).append(float(row["loss"]))
    first, last = sum(by_epoch[1]) / len(by_epoch[1]), sum(by_epoch[12]) / len(by_epoch[12])
    check.expect(last < 0.5 * first, f"the loss fell only from {first:.3f} to {last:.3f}")
    check.note(f"{len(rows)} steps in 12 epochs; mean loss epoch 1 {first:.3f} → epoch 12 {last:.3f}")
    check.expect(len(rows) == int(rows[-1]["step"]) and rows[-1]["val_loss"] != "", "loss.csv lacks steps or validation")
    questions = sorted({p.question for p in corpus.read("datasets/examples/small.tsv")})
    model = ChatModel(out)
    python_answers = [model.answer(q)[0] for q in questions]
    swift_answers = answers_of_lstmchat(lstmchat, out, questions)
    same = sum(s == p for s, p in zip(swift_answers, python_answers))
    check.expect(same == len(questions), f"lstmchat ask and PyTorch differ on {len(questions) - same} of {len(questions)} questions")
    check.note(f"lstmchat ask on its checkpoint: {same} of {len(questions)} answers PyTorch's "
               f"(e.g. {questions[0]!r} → {swift_answers[0]!r})")
    plot = run([lstmchat, "plot", os.path.join(out, "loss.csv"), "-o", os.path.join(scratch, "loss.svg")], check=False)
    check.expect(plot.returncode == 0, f"lstmchat plot refused its log: {plot.stderr.strip()}")
    return check


def check_resume(lstmchat: str, python: str, scratch: str) -> Check:
    check = Check(4, "resuming across the two")
    out = os.path.join(scratch, "torchrun")  # the run of check 3: 12 epochs
    steps_before = len(log_rows(os.path.join(out, "loss.csv")))
    result = run([lstmchat, "train", "--resume", out, "--epochs", "15", "--quiet"], check=False)
    if check.expect(result.returncode == 0, f"lstmchat train --resume refused it: {result.stderr.strip()}"):
        rows = log_rows(os.path.join(out, "loss.csv"))
        steps = [int(r["step"]) for r in rows]
        check.expect(steps == list(range(1, len(rows) + 1)), "the loss log's steps are not 1, 2, 3, ... after resuming")
        with safe_open(os.path.join(out, "model.safetensors"), framework="pt") as f:
            training = json.loads(f.metadata()["training"])
        check.expect(training.get("epochs") == "15", f"the model after resuming records epochs {training.get('epochs')}")
        check.note(f"lstmchat train --resume continued the PyTorch run: steps {steps_before} → {len(rows)}, "
                   f"epoch 12 → 15, loss {float(rows[steps_before - 1]['loss']):.3f} → {float(rows[-1]['loss']):.3f}")

    # The other way: an lstmchat run continued by PyTorch.
    swift_run = os.path.join(scratch, "lstmchat-run")
    run([lstmchat, "train", "datasets/examples/small.tsv", "--out", swift_run, "--epochs", "2", "--embed", "16",
         "--hidden", "32", "--layers", "1", "--attention", "--batch-size", "8", "--quiet"])
    steps_before = len(log_rows(os.path.join(swift_run, "loss.csv")))
    result = run([python, *TRAIN, "--resume", swift_run, "--epochs", "4", "--quiet"], check=False)
    if check.expect(result.returncode == 0, f"train.py --resume failed: {result.stderr.strip()[-400:]}"):
        rows = log_rows(os.path.join(swift_run, "loss.csv"))
        check.expect([int(r["step"]) for r in rows] == list(range(1, len(rows) + 1)), "steps not continuous")
        answer = run([lstmchat, "ask", "--checkpoint", swift_run, "hello"], check=False)
        check.expect(answer.returncode == 0, f"lstmchat ask refused the resumed model: {answer.stderr.strip()}")
        check.note(f"train.py --resume continued an lstmchat run with attention: steps {steps_before} → {len(rows)}, "
                   "epoch 2 → 4; lstmchat ask answers with it")

    # Fine-tuning the bundled model.
    tuned = os.path.join(scratch, "tuned")
    result = run([python, *TRAIN, "datasets/examples/small.tsv", "--init", BUNDLED, "--out", tuned,
                  "--epochs", "2", "--lr", "0.001", "--val-fraction", "0", "--quiet"], check=False)
    if check.expect(result.returncode == 0, f"train.py --init failed: {result.stderr.strip()[-400:]}"):
        rows = log_rows(os.path.join(tuned, "loss.csv"))
        answer = run([lstmchat, "ask", "--checkpoint", tuned, "hello"], check=False)
        check.expect(answer.returncode == 0, f"lstmchat ask refused the fine-tuned model: {answer.stderr.strip()}")
        check.note(f"train.py --init {BUNDLED}: fine-tuned {len(rows)} steps on small.tsv, loss "
                   f"{float(rows[0]['loss']):.3f} → {float(rows[-1]['loss']):.3f}; lstmchat ask answers with it")
    return check


def check_word_dropout(lstmchat: str, python: str, scratch: str) -> Check:
    check = Check(5, "--word-dropout and --until-accuracy")
    # An lstmchat run with word dropout (no dropout, whose random numbers the two draw differently),
    # one epoch; then a copy of it continued by each trainer: every step of the next epochs sees the
    # same questions with the same words replaced by <unk> only if both choose the same words.
    data = "datasets/examples/small.tsv"
    start = os.path.join(scratch, "word-dropout")
    # --lr-decay 0.3 reaches the floor (0.1 of --lr) in epoch 3: the schedule is compared too.
    run([lstmchat, "train", data, "--out", start, "--word-dropout", "0.3", "--dropout", "0", "--epochs", "1",
         "--embed", "32", "--hidden", "48", "--layers", "2", "--batch-size", "8", "--lr", "0.01", "--lr-decay", "0.3",
         "--quiet"])
    steps_before = len(log_rows(os.path.join(start, "loss.csv")))
    runs = {name: os.path.join(scratch, f"word-dropout-{name}") for name in ("lstmchat", "pytorch")}
    for directory in runs.values():
        shutil.copytree(start, directory)
    run([lstmchat, "train", "--resume", runs["lstmchat"], "--epochs", "4", "--quiet"])
    result = run([python, *TRAIN, "--resume", runs["pytorch"], "--epochs", "4", "--quiet"], check=False)
    if check.expect(result.returncode == 0, f"train.py --resume of a run with word dropout failed: {result.stderr.strip()[-400:]}"):
        swift, here = (log_rows(os.path.join(d, "loss.csv"))[steps_before:] for d in (runs["lstmchat"], runs["pytorch"]))
        check.expect(len(swift) == len(here) > 0, f"the two logged {len(swift)} and {len(here)} steps after epoch 1")
        worst = max((abs(float(a["loss"]) - float(b["loss"])) / abs(float(a["loss"])) for a, b in zip(swift, here)), default=0.0)
        check.expect(worst <= 1e-4, f"the losses of the two continuations differ by {worst:.1e} (relative; limit 1e-4)")
        rates = sorted({(int(r["epoch"]), r["lr"]) for r in here})
        check.expect([(a["epoch"], a["lr"]) for a in swift] == [(b["epoch"], b["lr"]) for b in here],
                     f"the learning rates differ: lstmchat {sorted({(int(r['epoch']), r['lr']) for r in swift})}, PyTorch {rates}")
        check.note(f"an lstmchat run with --word-dropout 0.3, continued by each for epochs 2-4: the losses of "
                   f"{len(here)} steps agree to {worst:.1e} (relative), the learning rates exactly "
                   f"({', '.join(lr for _, lr in rates)}: down to the floor)")

    # --until-accuracy: the PyTorch trainer stops when its exact match reaches the share asked for,
    # and its figure is lstmchat's for the model it saved.
    until = os.path.join(scratch, "until-accuracy")
    result = run([python, *TRAIN, data, "--out", until, "--until-accuracy", "0.5", "--epochs", "40", "--embed", "32",
                  "--hidden", "64", "--batch-size", "8", "--lr", "0.01"], check=False)
    if check.expect(result.returncode == 0, f"train.py --until-accuracy failed: {result.stderr.strip()[-400:]}"):
        rows = log_rows(os.path.join(until, "loss.csv"))
        measured = [(int(r["epoch"]), float(r["exact_match"])) for r in rows if r["exact_match"]]
        epoch, exact = measured[-1]
        check.expect(exact >= 0.5 and all(e < 0.5 for _, e in measured[:-1]) and epoch < 40,
                     f"the exact match by epoch is {measured}; expected a stop at the first epoch with 0.5 or more")
        check.expect(any(line.startswith("reached ") for line in result.stderr.splitlines()), "no \"reached\" line")
        check.expect("lstmchat calibrate --checkpoint" in result.stderr, "no line pointing to lstmchat calibrate")
        report = run([lstmchat, "eval", "--checkpoint", until, data]).stdout
        line = next((l for l in report.splitlines() if "exact match" in l.lower()), "")
        check.expect(f"{100 * exact:.1f}%" in line, f"lstmchat eval says {line.strip()!r}; PyTorch measured {100 * exact:.1f}%")
        check.note(f"--until-accuracy 0.5 stopped after epoch {epoch} of 40 at {100 * exact:.1f}% exact match; "
                   f"lstmchat eval on the model: {line.strip()}")
    return check


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--lstmchat", default=".build/release/lstmchat")
    p.add_argument("--only", type=int, action="append", metavar="N", help="run only check N (repeatable)")
    args = p.parse_args()
    lstmchat = os.path.abspath(args.lstmchat)
    python = sys.executable
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    makers: list[tuple[int, Callable[[str], Check]]] = [
        (1, lambda scratch: check_tokenizer(lstmchat)), (2, lambda scratch: check_bundled_model(lstmchat, scratch)),
        (3, lambda scratch: check_torchrun(lstmchat, python, scratch)),
        (4, lambda scratch: check_resume(lstmchat, python, scratch)),  # continues check 3's run
        (5, lambda scratch: check_word_dropout(lstmchat, python, scratch))]
    if args.only:
        wanted = set(args.only) | ({3} if 4 in args.only else set())
        makers = [(n, make) for n, make in makers if n in wanted]
    with tempfile.TemporaryDirectory(prefix="lstmchat-interop-") as scratch:
        checks = []
        for _, make in makers:
            check = make(scratch)
            check.report()
            checks.append(check)
    failed = [c.number for c in checks if not c.passed]
    print(f"interop: all {len(checks)} checks passed" if not failed else f"interop: checks {failed} FAILED")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
