"""Answer questions with an lstmchat model in PyTorch, greedily, as `lstmchat ask` does.

    python pytorch/ask.py --checkpoint checkpoints/default "how are you"
    python pytorch/ask.py --checkpoint checkpoints/small --json < questions.txt
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checkpoint as files  # noqa: E402
from model import Seq2Seq, greedy_answer  # noqa: E402
from text import Tokenizer, Vocabulary  # noqa: E402

MAX_QUESTION_TOKENS = 200  # lstmchat's ChatModel.maxQuestionTokens


class ChatModel:
    """An lstmchat model file in PyTorch: the network, its vocabulary and its tokenizer."""

    def __init__(self, path, device="cpu"):
        if os.path.isdir(path):
            path = os.path.join(path, "model.safetensors")
        config, tensors, tokens, kind, self.training = files.read_model(path)
        self.network = Seq2Seq(config["vocab_size"], config["embed_size"], config["hidden_size"], config["layers"],
                               attention=config.get("attention", False))
        self.network.load_state_dict(tensors, strict=True)
        self.network.to(device).eval()
        self.vocabulary = Vocabulary(tokens)
        self.tokenizer = Tokenizer(kind, normalizes_questions=self.training["normalizes_questions"])

    def encode(self, text):
        return self.vocabulary.encode(self.tokenizer.tokenize_question(text)[:MAX_QUESTION_TOKENS])

    def answer(self, text, max_length=60):
        """(text, tokens, log-probability) of the greedy answer."""
        ids, log_p, _ = greedy_answer(self.network, self.encode(text), max_length)
        tokens = [self.vocabulary.tokens[i] for i in ids]
        return self.tokenizer.detokenize(tokens), tokens, log_p


def main(argv):
    p = argparse.ArgumentParser(prog="ask.py", description=__doc__.split("\n\n")[0])
    p.add_argument("question", nargs="?", help="the question; without it, one per line of standard input")
    p.add_argument("--checkpoint", default="checkpoints/default/model.safetensors",
                   help="a model.safetensors file, or a checkpoint directory holding one")
    p.add_argument("--max-length", type=int, default=60, help="the most tokens an answer may have")
    p.add_argument("--json", action="store_true", help="one JSON object per question: text, tokens, log-probability")
    args = p.parse_args(argv)
    torch.set_grad_enabled(False)
    model = ChatModel(args.checkpoint)
    questions = [args.question] if args.question is not None else (line.rstrip("\n") for line in sys.stdin)
    for question in questions:
        if not question.strip():
            print()
            continue
        text, tokens, log_p = model.answer(question, args.max_length)
        print(json.dumps(dict(question=question, text=text, tokens=tokens, log_probability=log_p), ensure_ascii=False)
              if args.json else text, flush=True)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (files.CheckpointError, ValueError) as error:
        print(f"ask.py: {error}", file=sys.stderr)
        sys.exit(1)
