"""lstmchat's training defaults per task, as defaults.json (package data) holds them.

The values are lstmchat's own (`lstmchat train --help`); a Swift test compares defaults.json with
them, so that the two trainers start from the same recipe. The keys are the flag names with
underscores: lr_decay is --lr-decay.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

TASKS = ("seq2seq", "lm", "classify")

# Each key's type, as the flag parses it.
TYPES: dict[str, type] = {
    "tokenizer": str, "embed": int, "hidden": int, "layers": int, "attention": bool, "min_count": int,
    "max_vocab": int, "softmax": str, "cutoffs": str, "epochs": int, "lr": float, "lr_decay": float, "lr_floor": float, "clip": float, "dropout": float,
    "word_dropout": float, "batch_size": int, "max_length": int, "seq_length": int, "val_fraction": float,
    "seed": int,
}


class DefaultsError(Exception):
    """defaults.json is missing a task or key, or holds a value of the wrong type."""


def load() -> dict[str, dict[str, Any]]:
    """Every task's defaults, each value of its flag's type (a whole number is a float where the flag is)."""
    text = resources.files(__package__ or "lstmchat_torch").joinpath("defaults.json").read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict) or sorted(data) != sorted(TASKS):
        raise DefaultsError(f"defaults.json: expected the tasks {', '.join(TASKS)}")
    result: dict[str, dict[str, Any]] = {}
    for task, values in data.items():
        if not isinstance(values, dict):
            raise DefaultsError(f"defaults.json: {task} is not an object")
        typed: dict[str, Any] = {}
        for key, value in values.items():
            kind = TYPES.get(key)
            if kind is None:
                raise DefaultsError(f"defaults.json: {task}.{key} is not a flag of lstmchat train")
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise DefaultsError(f"defaults.json: {task}.{key} is {value!r}, not a {kind.__name__}")
            typed[key] = value
        result[task] = typed
    return result


def task_defaults(task: str) -> dict[str, Any]:
    """One task's defaults: {"embed": 64, "lr": 0.02, ...}."""
    return load()[task]


def shown(value: Any) -> str:
    """A default as --help shows it: on/off, 0.02, 5, word."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
