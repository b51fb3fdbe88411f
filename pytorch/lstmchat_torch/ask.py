"""Answer questions with an lstmchat model in PyTorch, greedily, as `lstmchat ask` does.

    lstmchat-torch-ask --checkpoint checkpoints/default "how are you"
    lstmchat-torch-ask --checkpoint checkpoints/small --json < questions.txt
    python -m lstmchat_torch.ask --checkpoint checkpoints/default "how are you"
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import torch

from . import checkpoint as files
from .model import Seq2Seq, greedy_answer
from .text import Tokenizer, Vocabulary

MAX_QUESTION_TOKENS = 200  # lstmchat's ChatModel.maxQuestionTokens


class ChatModel:
    """An lstmchat model file in PyTorch: the network, its vocabulary and its tokenizer."""

    def __init__(self, path: str, device: torch.device | str = "cpu") -> None:
        if os.path.isdir(path):
            path = os.path.join(path, "model.safetensors")
        config, tensors, tokens, kind, self.training = files.read_model(path)
        self.network = Seq2Seq(config["vocab_size"], config["embed_size"], config["hidden_size"], config["layers"],
                               attention=config.get("attention", False), softmax=config.get("softmax", "full"),
                               cutoffs=config.get("cutoffs", ()))
        self.network.load_state_dict(tensors, strict=True)
        self.network.to(device).eval()
        self.vocabulary = Vocabulary(tokens)
        self.tokenizer = Tokenizer(kind, normalizes_questions=self.training["normalizes_questions"],
                                   keeps_text=self.training["keeps_text"])

    def encode(self, text: str) -> list[int]:
        return self.vocabulary.encode(self.tokenizer.tokenize_question(text)[:MAX_QUESTION_TOKENS])

    def answer(self, text: str, max_length: int = 60) -> tuple[str, list[str], float]:
        """(text, tokens, log-probability) of the greedy answer."""
        ids, log_p, _ = greedy_answer(self.network, self.encode(text), max_length)
        tokens = [self.vocabulary.tokens[i] for i in ids]
        return self.tokenizer.detokenize(tokens), tokens, log_p


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=os.path.basename(sys.argv[0]) if sys.argv[0] else "ask.py",
                                description=(__doc__ or "").split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n\n".join((__doc__ or "").split("\n\n")[1:]))
    p.add_argument("question", nargs="?", help="the question; without it, one per line of standard input")
    p.add_argument("--checkpoint", default="checkpoints/default/model.safetensors",
                   help="a model.safetensors file, or a checkpoint directory holding one")
    p.add_argument("--max-length", type=int, default=60, help="the most tokens an answer may have")
    p.add_argument("--json", action="store_true", help="one JSON object per question: text, tokens, log-probability")
    return p.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_arguments(argv)
    torch.set_grad_enabled(False)
    model = ChatModel(args.checkpoint)
    questions: Iterable[str] = [args.question] if args.question is not None else (line.rstrip("\n") for line in sys.stdin)
    for question in questions:
        if not question.strip():
            print()
            continue
        text, tokens, log_p = model.answer(question, args.max_length)
        record: dict[str, Any] = dict(question=question, text=text, tokens=tokens, log_probability=log_p)
        print(json.dumps(record, ensure_ascii=False) if args.json else text, flush=True)
    return 0


def cli() -> None:
    """The console script lstmchat-torch-ask (and python -m lstmchat_torch.ask)."""
    name = os.path.basename(sys.argv[0]) or "ask.py"
    try:
        sys.exit(main(sys.argv[1:]))
    except (files.CheckpointError, ValueError) as error:
        print(f"{name}: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    cli()
