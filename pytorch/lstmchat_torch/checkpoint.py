"""lstmchat's files, read and written here (Sources/LSTMChat/Checkpoint/):

model.safetensors     every weight under its PyTorch name, F32; __metadata__ holds
                      format "lstmchat-seq2seq/1", config (JSON), vocabulary (JSON list),
                      tokenizer ("word" or "char") and training (JSON of strings, informative).
                      The distinct training questions, which chat matches questions asked in
                      other words to, are two I32 tensors that are not parameters:
                      known_questions.tokens (every question's ids, one after another) and
                      known_questions.offsets (where each begins; 0 first, the token count last).
training.safetensors  the weights again, Adam's moments as exp_avg.<name> and exp_avg_sq.<name>;
                      __metadata__: format "lstmchat-training/1", settings, progress, adam_step, run.

Files are written beside their destination and renamed over it, so a crash leaves the old one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

if TYPE_CHECKING:
    from .model import Seq2Seq
    from .text import Vocabulary

MODEL_FORMAT = "lstmchat-seq2seq/1"
STATE_FORMAT = "lstmchat-training/1"


class CheckpointError(Exception):
    def __init__(self, file: str, problem: str) -> None:
        super().__init__(f"{file}: {problem}")


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def parameter_names(config: dict[str, Any]) -> list[str]:
    """The model's tensors in lstmchat's layout order (ModelConfig.seq2seqLayout)."""
    names = ["embedding.weight"]
    for side in ("encoder", "decoder"):
        for l in range(config["layers"]):
            names += [f"{side}.weight_ih_l{l}", f"{side}.weight_hh_l{l}", f"{side}.bias_ih_l{l}", f"{side}.bias_hh_l{l}"]
    if config.get("attention"):
        names += ["attn.weight", "attn_combine.weight", "attn_combine.bias"]
    if config.get("softmax") == "adaptive":  # nn.AdaptiveLogSoftmaxWithLoss's state_dict under proj
        clusters = len(config["cutoffs"])
        return names + ["proj.head.weight"] + [f"proj.tail.{i}.{j}.weight" for i in range(clusters) for j in (0, 1)]
    return names + ["proj.weight", "proj.bias"]


def _atomic_save(tensors: dict[str, torch.Tensor], metadata: dict[str, str], path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".tmp-", dir=directory)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # as any new file, not mkstemp's 0600
    try:
        save_file(tensors, temporary, metadata=metadata)
        with open(temporary, "rb") as f:
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _metadata(path: str) -> dict[str, str]:
    with safe_open(path, framework="pt") as f:
        return f.metadata() or {}


def write_model(path: str, model: Seq2Seq, vocabulary: Vocabulary, tokenizer: str, training: dict[str, Any],
                normalizes_questions: bool = False, known_questions: Sequence[Sequence[int]] = (),
                keeps_text: bool = False) -> None:
    """model.safetensors that `lstmchat chat` reads as its own. known_questions: the distinct
    training questions as token-id lists, which chat matches questions in other words to."""
    state = model.state_dict()
    tensors = {name: state[name].detach().float().cpu().contiguous() for name in parameter_names(model.config)}
    metadata = {
        "format": MODEL_FORMAT,
        "config": _json(model.config),
        "vocabulary": _json(vocabulary.tokens),
        "tokenizer": tokenizer,
        "training": _json({k: str(v) for k, v in training.items()}),
    }
    if normalizes_questions:
        metadata["questions"] = "final-punctuation-dropped"
    if keeps_text:
        metadata["answers"] = "as-written"
    if known_questions:
        tensors.update(known_question_tensors(known_questions))
    _atomic_save(tensors, metadata, path)


KNOWN_QUESTIONS = ("known_questions.tokens", "known_questions.offsets")


def known_question_tensors(questions: Sequence[Sequence[int]]) -> dict[str, torch.Tensor]:
    """The two I32 tensors lstmchat stores its known questions as (CheckpointFile.swift)."""
    lengths = torch.tensor([len(q) for q in questions], dtype=torch.int64)
    offsets = torch.cat([torch.zeros(1, dtype=torch.int64), lengths.cumsum(0)]).to(torch.int32)
    tokens = torch.tensor([t for q in questions for t in q], dtype=torch.int32)
    return dict(zip(KNOWN_QUESTIONS, (tokens, offsets)))


def read_known_questions(path: str) -> list[list[int]]:
    """A model's known questions: from its two tensors, or from the JSON metadata of older files."""
    with safe_open(path, framework="pt") as f:
        if KNOWN_QUESTIONS[0] in f.keys():
            tokens, offsets = (f.get_tensor(name).tolist() for name in KNOWN_QUESTIONS)
            return [tokens[a:b] for a, b in zip(offsets, offsets[1:])]
        return json.loads((f.metadata() or {}).get("known_questions", "[]"))


def model_format(path: str) -> str | None:
    """The format metadata of a model file ("lstmchat-seq2seq/1", "lstmchat-lm/1",
    "lstmchat-classifier/1"), or None when there is no such file or it is not a safetensors file."""
    try:
        return _metadata(path).get("format")
    except Exception:
        return None


def read_model(path: str) -> tuple[dict[str, Any], dict[str, torch.Tensor], list[str], str, dict[str, Any]]:
    """(config dict, {name: tensor}, vocabulary tokens, tokenizer kind, training dict) of an lstmchat model."""
    if not os.path.isfile(path):
        raise CheckpointError(path, "no such file")
    metadata = _metadata(path)
    if metadata.get("format") != MODEL_FORMAT:
        raise CheckpointError(path, f"not an lstmchat model (format {metadata.get('format')!r}, expected {MODEL_FORMAT})")
    config = json.loads(metadata["config"])
    vocabulary = json.loads(metadata["vocabulary"])
    tensors = {name: t for name, t in load_file(path).items() if name not in KNOWN_QUESTIONS}
    expected = parameter_names(config)
    if sorted(tensors) != sorted(expected):
        extra = sorted(set(tensors) - set(expected))
        raise CheckpointError(path, f"unexpected tensor {extra[0]}" if extra else
                              f"missing tensor {sorted(set(expected) - set(tensors))[0]}")
    if len(vocabulary) != config["vocab_size"]:
        raise CheckpointError(path, f"vocabulary has {len(vocabulary)} tokens but the model has {config['vocab_size']}")
    training = json.loads(metadata.get("training", "{}"))
    # Whether questions lose their final punctuation: absent in models from before lstmchat did it.
    training["normalizes_questions"] = metadata.get("questions") == "final-punctuation-dropped"
    # Whether answers were tokenized as written: absent in models from before lstmchat did it.
    training["keeps_text"] = metadata.get("answers") == "as-written"
    return config, tensors, vocabulary, metadata["tokenizer"], training


def write_state(path: str, model: Seq2Seq, optimizer: torch.optim.Optimizer, settings: dict[str, Any],
                progress: dict[str, Any], run: dict[str, str]) -> None:
    """training.safetensors that `lstmchat train --resume` continues (Adam's moments under PyTorch's names)."""
    weights = dict(model.named_parameters())
    tensors, step = {}, 0
    for name in parameter_names(model.config):
        parameter = weights[name]
        adam = optimizer.state.get(parameter, {})
        tensors[name] = parameter.detach().float().cpu().contiguous()
        zeros = torch.zeros_like(tensors[name])
        tensors["exp_avg." + name] = adam["exp_avg"].detach().float().cpu().contiguous() if adam else zeros
        tensors["exp_avg_sq." + name] = adam["exp_avg_sq"].detach().float().cpu().contiguous() if adam else zeros.clone()
        if adam:
            step = int(adam["step"])
    metadata = {"format": STATE_FORMAT, "settings": _json(settings), "progress": _json(progress),
                "adam_step": str(step), "run": _json(run)}
    _atomic_save(tensors, metadata, path)


def read_state(path: str) -> tuple[dict[str, torch.Tensor], dict[str, Any], dict[str, Any], int, dict[str, str]]:
    """(tensors, settings, progress, adam step, run) of a training.safetensors."""
    if not os.path.isfile(path):
        raise CheckpointError(path, "no training run to resume here (no training.safetensors)")
    metadata = _metadata(path)
    if metadata.get("format") != STATE_FORMAT:
        raise CheckpointError(path, "not an lstmchat training state")
    return (load_file(path), json.loads(metadata["settings"]), json.loads(metadata["progress"]),
            int(metadata["adam_step"]), json.loads(metadata.get("run", "{}")))
