"""Train lstmchat's model with PyTorch, on one process or many (torchrun), CPUs or GPUs.

Reads the data formats lstmchat reads, with its tokenizer, vocabulary, validation split and batch
order (and --word-dropout's choice of words); trains with the same Adam, per-epoch learning-rate
decay, clipping and loss; writes the files `lstmchat train` writes (model.safetensors,
training.safetensors, loss.csv), so that `lstmchat chat`, `ask`, `eval` and `train --resume` take
the result as their own.

Each step takes one of lstmchat's batches and splits its rows over the processes; every process
weighs its summed loss by the whole batch's token count, so the gradients DistributedDataParallel
averages are those of the whole batch, as if one process had taken it.

The flags are `lstmchat train`'s, with its defaults (lstmchat_torch/defaults.json), plus --init
and --device. Not here: --task lm and classify (lstmchat trains those), and the confidence
threshold `lstmchat train` chooses at the end (--unrelated, --keywords): a model trained here
answers every question until `lstmchat calibrate --checkpoint DIR` stores one in it.

    lstmchat-torch-train datasets/examples/small.tsv --out checkpoints/small
    torchrun --nproc_per_node 4 -m lstmchat_torch.train datasets/chatterbot-english --out checkpoints/big
    lstmchat-torch-train --resume checkpoints/big --epochs 60
    lstmchat-torch-train more.tsv --init checkpoints/default --out checkpoints/tuned --lr 0.001
    lstmchat calibrate --checkpoint checkpoints/big --unrelated unrelated.txt
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import numpy as np
import torch
import torch.distributed as dist

from . import batches
from . import checkpoint as files
from . import corpus
from . import defaults
from .model import Seq2Seq, greedy_answer, make_batch
from .text import Tokenizer, Vocabulary

LOG_HEADER = "step,epoch,loss,lr,grad_norm,tokens_per_s,val_loss,val_accuracy,elapsed_s,exact_match"
# lstmchat's header before it measured the exact match per epoch: still read, its rows given the empty column.
OLD_LOG_HEADER = "step,epoch,loss,lr,grad_norm,tokens_per_s,val_loss,val_accuracy,elapsed_s"
# The model formats of lstmchat's other tasks, which it trains itself.
OTHER_TASKS = {"lstmchat-lm/1": "lm", "lstmchat-classifier/1": "classify"}

Pair = tuple[list[int], list[int]]


class Failure(Exception):
    """One line for the user, printed as `train.py: <line>` with status 1."""


def program() -> str:
    """The name errors start with: train.py, or lstmchat-torch-train as the console script."""
    return os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "train.py"


def invocation() -> str:
    """How this trainer was started, for the line that says how to resume."""
    script = sys.argv[0] if sys.argv else ""
    if os.path.basename(script) == "train.py":
        if os.path.basename(os.path.dirname(os.path.abspath(script))) == "lstmchat_torch":
            return "python -m lstmchat_torch.train"
        return f"python {script}"
    return os.path.basename(script) or "lstmchat-torch-train"


def build_parser(defaults_of_task: dict[str, Any]) -> argparse.ArgumentParser:
    d = {key: defaults.shown(value) for key, value in defaults_of_task.items()}
    doc = __doc__ or ""
    p = argparse.ArgumentParser(prog=program(), description=doc.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n\n".join(doc.split("\n\n")[1:]))
    p.add_argument("data", nargs="?", help="a .tsv or .yml file, or a directory of them")
    p.add_argument("--questions", metavar="FILE", help="questions file, one per line (with --answers)")
    p.add_argument("--answers", metavar="FILE", help="answers file, one per line, parallel to --questions")
    p.add_argument("--format", choices=["tsv", "parallel", "yaml"], help="data format when the extension does not say")
    p.add_argument("--task", metavar="TASK", help="what to train: only seq2seq here; lstmchat train trains lm and classify "
                   "(default: seq2seq)")
    p.add_argument("--seq-length", type=int, metavar="N", help="lm only, which is lstmchat's (refused here)")
    p.add_argument("--out", metavar="DIR", help="checkpoint directory (default: checkpoints/<data name>)")
    p.add_argument("--resume", metavar="DIR", help="continue the run saved in this directory (lstmchat's or this trainer's)")
    p.add_argument("--init", metavar="PATH", help="start from this lstmchat model (fine-tuning): its weights, "
                   "vocabulary and tokenizer; Adam starts afresh")
    p.add_argument("--log", metavar="FILE", help="loss log CSV (default: loss.csv in the checkpoint directory)")
    model = p.add_argument_group("model")
    model.add_argument("--embed", type=int, help=f"word vector size (default: {d['embed']})")
    model.add_argument("--hidden", type=int, help=f"LSTM hidden size (default: {d['hidden']})")
    model.add_argument("--layers", type=int, help=f"LSTM layers in the encoder and in the decoder (default: {d['layers']})")
    model.add_argument("--attention", action=argparse.BooleanOptionalAction, default=None,
                       help="Luong attention: the decoder looks back at the question's words at every step "
                       f"(default: {d['attention']})")
    model.add_argument("--softmax", choices=["full", "adaptive"], help="the output layer's softmax: full, or adaptive for "
                       f"large vocabularies (default: {d['softmax']})")
    model.add_argument("--cutoffs", metavar="IDS", help="adaptive softmax: the ids where the shortlist and each rarer "
                       f"cluster of words end (default: {d['cutoffs']})")
    model.add_argument("--tokenizer", choices=["word", "char"], help=f"tokenizer (default: {d['tokenizer']})")
    model.add_argument("--min-count", type=int, help=f"keep words seen at least this often (default: {d['min_count']})")
    model.add_argument("--max-vocab", type=int,
                       help=f"vocabulary size limit, special tokens included (default: {d['max_vocab']})")
    solver = p.add_argument_group("solver")
    solver.add_argument("--epochs", type=int, help=f"passes over the training data (default: {d['epochs']})")
    solver.add_argument("--lr", type=float, help=f"Adam learning rate (default: {d['lr']})")
    solver.add_argument("--lr-decay", type=float,
                        help=f"learning-rate factor applied after every epoch (default: {d['lr_decay']})")
    solver.add_argument("--lr-floor", type=float, metavar="SHARE", help="the decay stops at this share of --lr, so that "
                        f"a long run keeps learning; 0 never stops it (default: {d['lr_floor']})")
    solver.add_argument("--clip", type=float,
                        help=f"clip the global gradient norm to this; 0 turns it off (default: {d['clip']})")
    solver.add_argument("--dropout", type=float,
                        help=f"dropout between layers and before the output layer (default: {d['dropout']})")
    solver.add_argument("--word-dropout", type=float, help="share of question words replaced by <unk> in training, so "
                        f"that no one word decides the answer; the same words as lstmchat's (default: {d['word_dropout']})")
    solver.add_argument("--batch-size", type=int, help=f"pairs per batch, over all processes (default: {d['batch_size']}), "
                        f"fewer when the data would give under {MINIMUM_STEPS_PER_EPOCH} steps an epoch")
    solver.add_argument("--max-length", type=int,
                        help=f"longest question or answer in tokens; longer ones are cut (default: {d['max_length']})")
    solver.add_argument("--val-fraction", type=float,
                        help=f"share of pairs held out for validation (default: {d['val_fraction']})")
    solver.add_argument("--seed", type=int,
                        help=f"random seed for the split, the batches and the first weights (default: {d['seed']})")
    p.add_argument("--unrelated", metavar="FILE", help="lstmchat train's, for the confidence threshold: refused here "
                   "(run lstmchat calibrate after training)")
    p.add_argument("--keywords", metavar="FILE", help="lstmchat train's, for the confidence threshold: refused here "
                   "(run lstmchat calibrate after training)")
    p.add_argument("--until-accuracy", type=float, metavar="SHARE",
                   help="stop once the greedy exact match on the training questions reaches this share (0 to 1), "
                   "measured after every epoch; the model is saved")
    p.add_argument("--exact-match-sample", type=int, metavar="N",
                   help="distinct training questions whose greedy answers --until-accuracy checks after every epoch; "
                   f"0 checks all (default: {EXACT_MATCH_SAMPLE})")
    p.add_argument("--threads", type=int, help="threads of each process on the CPU (default: the CPUs shared out "
                   "among the processes on this machine)")
    p.add_argument("--device", help="cpu, cuda, or cuda:N (default: each process's GPU when there are GPUs, else cpu)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return p


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    p = build_parser(defaults.task_defaults("seq2seq"))
    args = p.parse_args(argv)

    # lstmchat's other tasks and its confidence threshold: refused in one line, pointing to lstmchat.
    if args.task is not None and args.task not in defaults.TASKS:
        p.error("--task must be seq2seq, lm or classify")
    if args.task in ("lm", "classify"):
        raise Failure(f"--task {args.task} is not supported by the PyTorch trainer; use lstmchat train --task {args.task}")
    if args.seq_length is not None:
        raise Failure("--seq-length is for --task lm, which is not supported by the PyTorch trainer; "
                      "use lstmchat train --task lm")
    for flag in ("unrelated", "keywords"):
        if getattr(args, flag) is not None:
            raise Failure(f"--{flag} is not supported by the PyTorch trainer, which chooses no confidence threshold; "
                          f"after training, run lstmchat calibrate --checkpoint DIR --{flag} {getattr(args, flag)}")

    if args.resume is None and args.data is None and args.questions is None:
        p.error("give the training data: a file or directory, or --questions and --answers")
    if (args.questions is None) != (args.answers is None):
        p.error("--questions and --answers go together")
    if args.data is not None and args.questions is not None:
        p.error("give DATA or --questions/--answers, not both")
    if args.resume is not None:
        fixed = [f for f in ("data", "questions", "format", "task", "out", "init", "embed", "hidden", "layers", "attention",
                             "softmax", "cutoffs", "tokenizer", "min_count", "max_vocab", "lr", "lr_decay", "lr_floor", "clip", "dropout",
                             "word_dropout", "batch_size", "max_length", "val_fraction", "seed", "until_accuracy",
                             "exact_match_sample") if getattr(args, f) is not None]
        if fixed:
            name = "DATA" if fixed[0] == "data" else "--" + fixed[0].replace("_", "-")
            p.error(f"{name} cannot change when resuming: a resumed run keeps its data and settings (only --epochs may grow)")
    if args.init is not None and any(getattr(args, f) is not None for f in ("embed", "hidden", "layers", "attention",
                                                                            "softmax", "cutoffs", "tokenizer",
                                                                            "min_count", "max_vocab")):
        p.error("--init takes the model's shape, vocabulary and tokenizer from the checkpoint; --embed, --hidden, "
                "--layers, --attention, --softmax, --cutoffs, --tokenizer, --min-count and --max-vocab do not apply")
    if args.cutoffs is not None:
        try:
            args.cutoffs = parse_cutoffs(args.cutoffs)
        except ValueError:
            p.error("--cutoffs must be increasing whole numbers above 0, separated by commas (2000,10000)")
    Check = tuple[str, Any, Callable[[Any], bool], str]
    checks: list[Check] = [
        ("--epochs", args.epochs, lambda v: v >= 1, "must be at least 1"),
        ("--embed", args.embed, lambda v: v >= 1, "must be at least 1"),
        ("--hidden", args.hidden, lambda v: v >= 1, "must be at least 1"),
        ("--layers", args.layers, lambda v: v >= 1, "must be at least 1"),
        ("--min-count", args.min_count, lambda v: v >= 1, "must be at least 1"),
        ("--max-vocab", args.max_vocab, lambda v: v >= 5, "must be at least 5 (4 special tokens and a word)"),
        ("--lr", args.lr, lambda v: v > 0, "must be greater than 0"),
        ("--lr-decay", args.lr_decay, lambda v: 0 < v <= 1, "must be in (0, 1]"),
        ("--lr-floor", args.lr_floor, lambda v: 0 <= v <= 1, "must be in [0, 1]"),
        ("--clip", args.clip, lambda v: v >= 0, "must be 0 or more"),
        ("--dropout", args.dropout, lambda v: 0 <= v < 1, "must be in [0, 1)"),
        ("--word-dropout", args.word_dropout, lambda v: 0 <= v < 1, "must be in [0, 1)"),
        ("--batch-size", args.batch_size, lambda v: v >= 1, "must be at least 1"),
        ("--max-length", args.max_length, lambda v: v >= 1, "must be at least 1"),
        ("--val-fraction", args.val_fraction, lambda v: 0 <= v < 1, "must be in [0, 1)"),
        ("--seed", args.seed, lambda v: 0 <= v < 2 ** 64, "must be a whole number from 0 to 2^64 - 1"),
        ("--until-accuracy", args.until_accuracy, lambda v: 0 < v <= 1, "must be in (0, 1]"),
        ("--exact-match-sample", args.exact_match_sample, lambda v: v >= 0, "must be 0 or more"),
        ("--threads", args.threads, lambda v: v >= 1, "must be at least 1"),
    ]
    for flag, value, ok, problem in checks:
        if value is not None and not ok(value):
            p.error(f"{flag} {problem}")
    return args


# ---------------------------------------------------------------------------------------------
# What to train: lstmchat's TrainingRecipe, as JSON in the run's state so --resume needs no flags.

# The recipe's fields lstmchat stores whatever the task: seq2seq does not window text (lstmchat
# writes its Recipe's 100), and samples 500 questions for the exact match unless told otherwise.
UNUSED_SEQ_LENGTH = 100
EXACT_MATCH_SAMPLE = 500
# A data set too small for 8 steps an epoch gets smaller batches, unless --batch-size is given
# (lstmchat's Recipe.fittedBatchSize).
MINIMUM_STEPS_PER_EPOCH = 8


def parse_cutoffs(text: str) -> list[int]:
    """"2000,10000" → [2000, 10000], as lstmchat's --cutoffs; ValueError unless increasing and above 0."""
    cutoffs = [int(part) for part in text.split(",")]
    if cutoffs[0] <= 0 or any(a >= b for a, b in zip(cutoffs, cutoffs[1:])):
        raise ValueError(text)
    return cutoffs


def adaptive_softmax_problem(recipe: dict[str, Any], vocabulary_size: int) -> str | None:
    """Why the recipe's cutoffs cannot split the vocabulary (lstmchat's ModelConfig.adaptiveSoftmaxProblem)."""
    if recipe.get("softmax") != "adaptive":
        return None
    cutoffs = recipe["cutoffs"]
    if cutoffs[-1] >= vocabulary_size:
        return (f"cutoffs {','.join(map(str, cutoffs))} must be below the vocabulary size, {vocabulary_size} "
                "(give smaller --cutoffs, or use --softmax full)")
    if recipe["hidden"] // 4 ** len(cutoffs) < 1:
        return f"hidden size {recipe['hidden']} is too small for {len(cutoffs)} tail clusters (each divides it by 4 again)"
    return None


def new_recipe(args: argparse.Namespace) -> dict[str, Any]:
    """lstmchat's Recipe (Sources/LSTMChat/Training/Recipe.swift) of a new run: the flags given, the
    task's defaults for the others."""
    default = defaults.task_defaults("seq2seq")

    def pick(name: str) -> Any:
        value = getattr(args, name)
        return default[name] if value is None else value
    data = {k: v for k, v in dict(data=args.data, questions=args.questions, answers=args.answers,
                                   format=args.format).items() if v is not None}
    recipe = dict(task="seq2seq", data=data, tokenizer=pick("tokenizer"), embed=pick("embed"), hidden=pick("hidden"),
                  layers=pick("layers"), attention=pick("attention"), softmax=pick("softmax"),
                  cutoffs=parse_cutoffs(default["cutoffs"]) if args.cutoffs is None else args.cutoffs,
                  minCount=pick("min_count"), maxVocab=pick("max_vocab"), epochs=pick("epochs"), lr=pick("lr"), lrDecay=pick("lr_decay"),
                  lrFloor=pick("lr_floor"), clip=pick("clip"), dropout=pick("dropout"), wordDropout=pick("word_dropout"),
                  batchSize=pick("batch_size"), seed=pick("seed"), maxLength=pick("max_length"),
                  seqLength=UNUSED_SEQ_LENGTH, valFraction=pick("val_fraction"),
                  exactMatchSample=EXACT_MATCH_SAMPLE if args.exact_match_sample is None else args.exact_match_sample)
    if args.until_accuracy is not None:
        recipe["untilAccuracy"] = args.until_accuracy
    return recipe


def recipe_from_json(text: str) -> dict[str, Any]:
    """A stored recipe; one of the shape runs had before lstmchat gave every task one Recipe (source,
    settings, validationFraction) is read as the same recipe in today's shape."""
    recipe: dict[str, Any] = json.loads(text)
    if "source" not in recipe:
        return recipe
    settings = recipe["settings"]
    return dict(task="seq2seq", data=recipe["source"], tokenizer=recipe["tokenizer"], embed=recipe["embed"],
                hidden=recipe["hidden"], layers=recipe["layers"], attention=bool(recipe.get("attention")),
                minCount=recipe["minCount"], maxVocab=recipe["maxVocab"], epochs=settings["epochs"],
                lr=settings["learningRate"], lrDecay=settings["lrDecay"], lrFloor=settings.get("lrFloor", 0.0),
                clip=settings["clip"], dropout=settings["dropout"], wordDropout=recipe.get("wordDropout") or 0.0,
                batchSize=settings["batchSize"], seed=settings["seed"], maxLength=recipe["maxLength"],
                seqLength=UNUSED_SEQ_LENGTH, valFraction=recipe["validationFraction"], exactMatchSample=EXACT_MATCH_SAMPLE)


def settings_of(recipe: dict[str, Any]) -> dict[str, Any]:
    """lstmchat's TrainingSettings of a recipe, as the training state stores them."""
    return dict(epochs=recipe["epochs"], learningRate=recipe["lr"], lrDecay=recipe["lrDecay"], lrFloor=recipe["lrFloor"],
                clip=recipe["clip"], dropout=recipe["dropout"], batchSize=recipe["batchSize"], seed=recipe["seed"])


def data_name(source: dict[str, str]) -> str:
    path = source.get("data") or source.get("questions") or "run"
    return os.path.splitext(os.path.basename(os.path.normpath(path)))[0]


def read_pairs(source: dict[str, str]) -> list[corpus.Pair]:
    return corpus.read(source.get("data"), source.get("questions"), source.get("answers"), source.get("format"))


def learning_rate(settings: dict[str, Any], epoch: int) -> float:
    """lr · max(decay^epoch, floor) in Float32, as lstmchat computes it (runs saved before the floor have none)."""
    decayed = np.float32(settings["lrDecay"]) ** np.float32(epoch)
    return float(np.float32(settings["learningRate"]) * max(decayed, np.float32(settings.get("lrFloor", 0.0))))


def f32(value: float | None) -> str:
    """A Float written as lstmchat writes one: the shortest text that reads back to the same Float32."""
    return "" if value is None else str(np.float32(value))


class LossLog:
    """Appends rows to loss.csv; on resume, rows after the saved step (a crashed run's) are dropped."""

    def __init__(self, path: str, keep_through: int) -> None:
        lines = []
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            lines = text.split("\n")
            header = lines[0].rstrip("\r")
            if header not in (LOG_HEADER, OLD_LOG_HEADER):
                raise Failure(f"{path}:1: expected the header {LOG_HEADER}, found {lines[0]!r}")
            complete = lines[1:-1]  # the last piece is "" or a line half-written by a crash
            kept = [line.rstrip("\r") + ("," if header == OLD_LOG_HEADER else "") for line in complete
                    if line.split(",")[0].isdigit() and int(line.split(",")[0]) <= keep_through]
            lines = [LOG_HEADER, *kept]
        else:
            lines = [LOG_HEADER]
        temporary = path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(temporary, path)
        self.file: TextIO = open(path, "a", encoding="utf-8", buffering=1)

    def append(self, step: int, epoch: int, loss: float, lr: float, norm: float, tokens_per_s: float, elapsed: float,
               val_loss: float | None = None, val_accuracy: float | None = None, exact_match: float | None = None) -> None:
        self.file.write(",".join([str(step), str(epoch), f32(loss), f32(lr), f32(norm), f32(tokens_per_s),
                                  f32(val_loss), f32(val_accuracy), f"{elapsed:.3f}", f32(exact_match)]) + "\n")

    def close(self) -> None:
        self.file.close()


# ---------------------------------------------------------------------------------------------

def evaluate(model: Seq2Seq, pairs: Sequence[Pair], answer_tokens: Sequence[list[str]], vocabulary: Vocabulary,
             max_length: int, device: torch.device, batch_size: int = 64) -> tuple[float, float]:
    """lstmchat's validation: mean token loss, and the share of distinct questions whose greedy
    answer equals one of their reference answers."""
    model.eval()
    loss_sum, tokens = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(pairs), batch_size):
            rows = pairs[start:start + batch_size]
            source, lengths, inputs, targets, mask = make_batch([q for q, _ in rows], [a for _, a in rows], device)
            loss_sum += float(model(source, lengths, inputs, targets, mask))
            tokens += int(mask.sum())
    references: dict[tuple[int, ...], list[list[str]]] = {}
    order: list[tuple[int, ...]] = []
    for (question, _), answer in zip(pairs, answer_tokens):
        key = tuple(question)
        if key not in references:
            order.append(key)
            references[key] = []
        references[key].append(answer)
    correct = sum(vocabulary.decode(greedy_answer(model, list(q), max_length)[0]) in references[q] for q in order)
    model.train()
    return loss_sum / max(tokens, 1), correct / len(order)


class ExactMatchProbe:
    """lstmchat's ExactMatchProbe (Sources/LSTMChat/Tasks/Seq2Seq/ExactMatchProbe.swift): the share of a
    fixed sample of the distinct training questions whose greedy answer is one of their answers, token
    for token as trained. The sample is at most `limit` questions (0: all), evenly spread over the
    questions in the order first seen; an answer stops once it can no longer equal a reference."""

    def __init__(self, pairs: Sequence[Pair], limit: int, max_length: int) -> None:
        answers: dict[tuple[int, ...], set[tuple[int, ...]]] = {}
        order: list[tuple[int, ...]] = []
        for question, answer in pairs:
            if not question:
                continue
            key = tuple(question)
            if key not in answers:
                order.append(key)
                answers[key] = set()
            answers[key].add(tuple(answer))
        n = len(order)
        k = min(limit, n) if limit > 0 else n
        self.questions = [order[i * n // k] for i in range(k)]
        self.references = [answers[q] for q in self.questions]
        self.max_length = max_length

    def measure(self, model: Seq2Seq) -> float:
        """The exact match, a Float32 value as lstmchat computes it."""
        if not self.questions:
            return 0.0
        model.eval()
        right = 0
        for question, references in zip(self.questions, self.references):
            prefixes = {reference[:n] for reference in references for n in range(len(reference) + 1)}
            answer, _, _ = greedy_answer(model, list(question), self.max_length,
                                         keep_going=lambda tokens: tuple(tokens) in prefixes)
            right += tuple(answer) in references
        model.train()
        return float(np.float32(right) / np.float32(len(self.questions)))


def main(argv: Sequence[str]) -> int:
    args = parse_arguments(argv)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if args.device:
        device = torch.device(args.device)
    elif torch.cuda.is_available():
        device = torch.device("cuda", local_rank % torch.cuda.device_count())
    else:
        device = torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    elif device.type != "cuda":
        # Processes on one machine share its cores.
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_world))
    distributed = world > 1
    if distributed:
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")

    def say(text: str) -> None:
        if rank == 0 and not args.quiet:
            print(text, file=sys.stderr, flush=True)

    # What to train: from the flags, or from the run being resumed.
    resumed: dict[str, Any] | None = None
    init_tensors: dict[str, torch.Tensor] | None = None
    if args.resume is not None:
        directory = args.resume
        other = OTHER_TASKS.get(files.model_format(os.path.join(directory, "model.safetensors")) or "")
        if other is not None:
            raise Failure(f"{directory} holds a --task {other} run, which is not supported by the PyTorch trainer; "
                          f"continue it with lstmchat train --resume {directory}")
        state_tensors, settings, progress, adam_step, run = files.read_state(os.path.join(directory, "training.safetensors"))
        config, _, vocabulary_tokens, tokenizer_kind, saved = files.read_model(os.path.join(directory, "model.safetensors"))
        normalizes_questions, keeps_text = saved["normalizes_questions"], saved["keeps_text"]
        # The recipe: with the model, as lstmchat reads it (or in the training state, as runs kept it before).
        stored = saved.get("recipe") or run.get("recipe")
        if stored is None:
            raise Failure(f"{directory}/model.safetensors: no record of the recipe this run trained with")
        recipe = recipe_from_json(stored)
        if args.epochs is not None:
            recipe["epochs"] = args.epochs
        settings["epochs"] = recipe["epochs"]
        resumed = dict(tensors=state_tensors, progress=progress, adam_step=adam_step, run=run)
    else:
        recipe = new_recipe(args)
        directory = args.out or os.path.join("checkpoints", data_name(recipe["data"]))
        if os.path.exists(os.path.join(directory, "training.safetensors")):
            raise Failure(f"{directory} already holds a training run; continue it with --resume {directory}, or choose another --out")
        if args.init is not None:
            path = args.init
            if os.path.isdir(path):
                path = os.path.join(path, "model.safetensors")
            config, init_tensors, vocabulary_tokens, tokenizer_kind, saved = files.read_model(path)
            normalizes_questions, keeps_text = saved["normalizes_questions"], saved["keeps_text"]
            recipe.update(tokenizer=tokenizer_kind, embed=config["embed_size"], hidden=config["hidden_size"],
                          layers=config["layers"], maxVocab=config["vocab_size"])
            recipe["attention"] = bool(config.get("attention"))
            recipe["softmax"] = config.get("softmax", "full")
            recipe["cutoffs"] = config.get("cutoffs", recipe["cutoffs"])

    # The data: read, split, tokenized, encoded, as lstmchat does.
    pairs = read_pairs(recipe["data"])
    train_pairs, validation_pairs = batches.split_for_validation(pairs, recipe["valFraction"], recipe["seed"])
    # Questions lose their final ?, . and ! (as lstmchat's new runs do), unless the model started from did not.
    # A new model keeps its answers as written (lstmchat's Seq2SeqTask does the same).
    tokenizer = Tokenizer(recipe["tokenizer"], normalizes_questions=True, keeps_text=True) if resumed is None and args.init is None \
        else Tokenizer(tokenizer_kind, normalizes_questions=normalizes_questions, keeps_text=keeps_text)

    def tokenized(ps: Sequence[corpus.Pair]) -> list[tuple[list[str], list[str]]]:
        return [(tokenizer.tokenize_question(p.question), tokenizer.tokenize_answer(p.answer)) for p in ps]
    train_tokens, validation_tokens = tokenized(train_pairs), tokenized(validation_pairs)
    if resumed is not None or args.init is not None:
        vocabulary = Vocabulary(vocabulary_tokens)
    else:
        vocabulary = Vocabulary.counting([s for pair in train_tokens for s in pair], recipe["minCount"], recipe["maxVocab"])

    def encode(tps: Sequence[tuple[list[str], list[str]]]) -> list[Pair]:
        return [(vocabulary.encode(q), vocabulary.encode(a)) for q, a in tps]
    train, truncated = batches.truncate(encode(train_tokens), recipe["maxLength"])
    if resumed is None:
        if args.batch_size is None:
            recipe["batchSize"] = max(1, min(recipe["batchSize"], len(train) // MINIMUM_STEPS_PER_EPOCH))
        settings = settings_of(recipe)
    batcher = batches.Batcher(train, recipe["batchSize"], recipe["seed"], word_dropout=recipe["wordDropout"])
    if truncated:
        say(f"warning: {truncated} pairs longer than {recipe['maxLength']} tokens were cut (--max-length)")
    if batcher.dropped_empty:
        say(f"warning: {batcher.dropped_empty} pairs with no tokens on one side were left out")
    if not batcher.pairs:
        raise Failure("no pairs left to train on")
    problem = adaptive_softmax_problem(recipe, len(vocabulary))
    if problem is not None:
        raise Failure(problem)
    # The distinct training questions in the order first seen, stored with the model as lstmchat
    # stores them (KnownQuestions): chat asks a question in other words as the nearest of them.
    known_questions = list(dict.fromkeys(tuple(q) for q, _ in batcher.pairs if q)) if tokenizer.kind == "word" else []
    kept = [(q, a) for q, a in validation_tokens if q and a]
    validation = batches.truncate(encode(kept), recipe["maxLength"])[0]
    validation_answers = [a[:recipe["maxLength"]] for _, a in kept]
    # --until-accuracy (the run's own when resuming): the exact match on the training questions after every epoch.
    target = recipe.get("untilAccuracy")
    probe = ExactMatchProbe(batcher.pairs, recipe["exactMatchSample"], recipe["maxLength"]) if target is not None else None
    run_info = {"recipe": json.dumps(recipe, sort_keys=True, separators=(",", ":")),
                "data_fingerprint": corpus.fingerprint(pairs)}
    if resumed is not None and resumed["run"].get("data_fingerprint") != run_info["data_fingerprint"]:
        say("warning: the data changed since this run started; continuing on the data as it is now")

    # The model: PyTorch's initialisation (lstmchat's distributions) from the seed, an lstmchat
    # model's weights (--init), or the resumed run's.
    torch.manual_seed(settings["seed"])
    model = Seq2Seq(len(vocabulary), recipe["embed"], recipe["hidden"], recipe["layers"], settings["dropout"],
                    attention=recipe["attention"], softmax=recipe.get("softmax") or "full", cutoffs=recipe.get("cutoffs") or ())
    source_tensors = resumed["tensors"] if resumed is not None else init_tensors
    if source_tensors is not None:
        model.load_state_dict({name: source_tensors[name] for name in files.parameter_names(model.config)}, strict=True)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings["learningRate"], betas=(0.9, 0.999), eps=1e-8)
    if resumed is not None and resumed["adam_step"] > 0:
        named = dict(model.named_parameters())
        for name in files.parameter_names(model.config):
            optimizer.state[named[name]] = {
                "step": torch.tensor(float(resumed["adam_step"])),
                "exp_avg": resumed["tensors"]["exp_avg." + name].to(device).clone(),
                "exp_avg_sq": resumed["tensors"]["exp_avg_sq." + name].to(device).clone(),
            }
    trained: torch.nn.Module = torch.nn.parallel.DistributedDataParallel(
        model, device_ids=[device.index] if device.type == "cuda" else None) if distributed else model
    progress = resumed["progress"] if resumed is not None else dict(
        epoch=0, stepInEpoch=0, step=0, dropoutRNG=batches.Xoshiro256(settings["seed"] ^ 0x5EEDD80F).s, elapsedSeconds=0.0)

    log = None
    if rank == 0:
        os.makedirs(directory, exist_ok=True)
        log = LossLog(args.log or os.path.join(directory, "loss.csv"), keep_through=progress["step"])
    parameters = sum(p.numel() for p in model.parameters())
    say(f"training on {len(batcher.pairs)} pairs ({len(validation)} held out), vocabulary {len(vocabulary)}, "
        f"{recipe['layers']}×{recipe['hidden']} LSTM{' with attention' if model.has_attention else ''}, {parameters} parameters, {world} process{'es' if world > 1 else ''} "
        f"on {device.type}{f' ({dist.get_backend()})' if distributed else ''}"
        + (f", resuming at epoch {progress['epoch'] + 1} step {progress['step']}" if resumed is not None else ""))

    def save(is_best: bool) -> None:
        if rank == 0:
            info = dict(run_info, steps=progress["step"], epochs=progress["epoch"],
                        trained_with=f"PyTorch {torch.__version__}, {world} process{'es' if world > 1 else ''} on {device.type}")

            def write_model(name: str) -> None:
                files.write_model(os.path.join(directory, name), model, vocabulary, tokenizer.kind, info,
                                  tokenizer.normalizes_questions, known_questions, tokenizer.keeps_text)
            # As lstmchat: the first save writes the model first (a state with no model beside it
            # could not be resumed; a model with no state is a run that starts over).
            first = not os.path.exists(os.path.join(directory, "model.safetensors"))
            if first:
                write_model("model.safetensors")
            files.write_state(os.path.join(directory, "training.safetensors"), model, optimizer, settings, progress, run_info)
            for name in ([] if first else ["model.safetensors"]) + (["best.safetensors"] if is_best else []):
                write_model(name)
        if distributed:
            dist.barrier()

    stop = {"requested": False}

    def request_stop(*_: Any) -> None:
        stop["requested"] = True
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    def all_agree_to_stop() -> bool:
        flag = torch.tensor([1.0 if stop["requested"] else 0.0], device=device)
        if distributed:
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item())

    trained.train()
    started, elapsed_before = time.time(), progress["elapsedSeconds"]

    def elapsed() -> float:
        return elapsed_before + time.time() - started
    reached: float | None = None
    while progress["epoch"] < settings["epochs"]:
        rows_of_epoch = batcher.batch_rows(progress["epoch"])
        questions_of_epoch = batcher.questions(progress["epoch"], rows_of_epoch)
        lr = learning_rate(settings, progress["epoch"])
        for group in optimizer.param_groups:
            group["lr"] = lr
        last_row = None
        while progress["stepInEpoch"] < len(rows_of_epoch):
            if all_agree_to_stop():
                progress["elapsedSeconds"] = elapsed()
                save(False)
                say(f"saved at step {progress['step']}; continue with: {invocation()} --resume {directory}")
                return 130
            t0 = time.time()
            rows = rows_of_epoch[progress["stepInEpoch"]]
            questions = questions_of_epoch[progress["stepInEpoch"]]
            batch_tokens = sum(len(batcher.pairs[i][1]) + 1 for i in rows)
            mine = list(range(len(rows)))[rank::world]
            weight = 1.0
            if not mine:  # fewer rows than processes: take part with a row that counts for nothing
                mine, weight = [0], 0.0
            source, lengths, inputs, targets, mask = make_batch(
                [questions[k] for k in mine], [batcher.pairs[rows[k]][1] for k in mine], device)
            summed = trained(source, lengths, inputs, targets, mask) * weight
            optimizer.zero_grad(set_to_none=False)
            # DDP averages over processes: scaled by the process count, the mean is the whole batch's gradient.
            (summed * world / batch_tokens).backward()
            summed_loss = summed.detach().clone()
            if distributed:
                dist.all_reduce(summed_loss)
            loss = float(summed_loss) / batch_tokens
            norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), settings["clip"] if settings["clip"] > 0 else float("inf")))
            if not (math.isfinite(loss) and math.isfinite(norm)):
                raise Failure(f"training diverged at step {progress['step'] + 1} (loss {loss}, gradient norm {norm}); "
                              "the last good checkpoint is kept — try a smaller --lr or --clip")
            optimizer.step()
            progress["step"] += 1
            progress["stepInEpoch"] += 1
            seconds = max(time.time() - t0, 1e-9)
            row = (progress["step"], progress["epoch"] + 1, loss, lr, norm, batch_tokens / seconds)
            if progress["stepInEpoch"] < len(rows_of_epoch):
                if log:
                    log.append(*row, elapsed())
            else:
                last_row = row
            if rank == 0 and not args.quiet and sys.stderr.isatty():
                print(f"\repoch {progress['epoch'] + 1}/{settings['epochs']} step {progress['stepInEpoch']}/"
                      f"{len(rows_of_epoch)} loss {loss:.3f}", end="", file=sys.stderr, flush=True)

        result = None
        if rank == 0 and validation:
            result = evaluate(model, validation, validation_answers, vocabulary, recipe["maxLength"], device)
        exact_match = None
        if probe is not None:
            measured = torch.tensor([probe.measure(model) if rank == 0 else 0.0], dtype=torch.float64, device=device)
            if distributed:
                dist.broadcast(measured, 0)
            exact_match = float(measured.item())
        if log and last_row:
            log.append(*last_row, elapsed(), val_loss=result[0] if result else None,
                       val_accuracy=result[1] if result else None, exact_match=exact_match)
        progress["epoch"] += 1
        progress["stepInEpoch"] = 0
        is_best = False
        if result is not None and result[0] < progress.get("bestValidationLoss", float("inf")):
            progress["bestValidationLoss"] = result[0]
            is_best = True
        progress["elapsedSeconds"] = elapsed()
        save(is_best)
        started, elapsed_before = time.time(), progress["elapsedSeconds"]
        figures = []
        if exact_match is not None and probe is not None:
            figures.append(f"exact match {100 * exact_match:.1f}% of {len(probe.questions)} training questions")
        if result:
            figures.append(f"validation loss {result[0]:.3f}, perplexity {math.exp(result[0]):.1f}, accuracy {100 * result[1]:.1f}%")
        if rank == 0 and not args.quiet and sys.stderr.isatty():
            print("\r\033[K", end="", file=sys.stderr)
        say(f"epoch {progress['epoch']}/{settings['epochs']} done" + (": " + "; ".join(figures) if figures else ""))
        if target is not None and exact_match is not None and np.float32(exact_match) >= np.float32(target):
            reached = exact_match
            break
    if target is not None:
        if reached is not None:
            say(f"reached {100 * reached:.1f}% exact match (asked: {100 * float(np.float32(target)):.1f}%) after epoch "
                f"{progress['epoch']}, {progress['elapsedSeconds']:.1f} s of training")
        else:
            say(f"did not reach {100 * float(np.float32(target)):.1f}% exact match in {settings['epochs']} epochs")
    # lstmchat train chooses the confidence threshold here; this trainer leaves it to lstmchat calibrate.
    say(f"no confidence threshold stored (the model answers every question): run `lstmchat calibrate --checkpoint "
        f"{directory} --unrelated FILE` to choose the confidence threshold (FILE: questions unrelated to the data; "
        "DATA-unrelated.txt beside the data is read without --unrelated)")
    say(f"saved {os.path.join(directory, 'model.safetensors')}; chat with it: lstmchat chat --checkpoint {directory}")
    if log:
        log.close()
    if distributed:
        dist.destroy_process_group()
    return 0


def cli() -> None:
    """The console script lstmchat-torch-train (and python -m lstmchat_torch.train, under torchrun too)."""
    try:
        sys.exit(main(sys.argv[1:]))
    except (Failure, corpus.DataError, files.CheckpointError, defaults.DefaultsError, ValueError) as error:
        print(f"{program()}: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:  # before training began: nothing to save
        sys.exit(130)


if __name__ == "__main__":
    cli()
