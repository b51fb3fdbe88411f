"""Held-out perplexity of the full and the adaptive softmax after the same epochs, on a slice of
the vocab50k corpus (bench/make_vocab50k.py): two `lstmchat train` runs that differ only in
--softmax, the same data, split, seed and recipe (E128 H256, one layer, no attention, batch 32,
--max-vocab 50000, 10% held out). Prints both and their ratio, and writes a JSON record to
bench/results/ (kind "vocab50k-perplexity").

    python3 bench/vocab50k_perplexity.py --lstmchat .build/release/lstmchat [--pairs 8000] [--epochs 3]
"""
import argparse
import csv
import datetime
import math
import os
import subprocess
import sys
import tempfile
import time

from compare import RESULTS, ROOT, VOCAB50K_DATA, write_record


def validations(log):
    """[(epoch, validation loss, seconds of training)] of a loss.csv: its rows at the end of an epoch."""
    with open(log, newline="") as f:
        return [(int(r["epoch"]), float(r["val_loss"]), float(r["elapsed_s"])) for r in csv.DictReader(f) if r.get("val_loss")]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lstmchat", default=os.path.join(ROOT, ".build", "release", "lstmchat"))
    p.add_argument("--pairs", type=int, default=8000, help="the first N pairs of the corpus")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--cutoffs", default="2000,10000")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--results", default=RESULTS, metavar="DIR")
    args = p.parse_args()
    started = datetime.datetime.now(datetime.timezone.utc)
    if not os.path.exists(VOCAB50K_DATA):
        os.makedirs(os.path.dirname(VOCAB50K_DATA), exist_ok=True)
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "make_vocab50k.py"), VOCAB50K_DATA], check=True)
    scratch = tempfile.mkdtemp(prefix="lstmchat-vocab50k-")
    data = os.path.join(scratch, "slice.tsv")
    with open(VOCAB50K_DATA, encoding="utf-8") as f, open(data, "w", encoding="utf-8") as out:
        for _, line in zip(range(args.pairs), f):
            out.write(line)
    recipe = ["--embed", "128", "--hidden", "256", "--no-attention", "--max-vocab", "50000", "--batch-size", "32",
              "--epochs", str(args.epochs), "--lr", "0.002", "--lr-decay", "0.9", "--val-fraction", "0.1",
              "--max-length", "30", "--exact-match-sample", "1", "--threads", str(args.threads), "--quiet"]
    runs = {}
    for softmax in ("full", "adaptive"):
        out = os.path.join(scratch, softmax)
        flags = ["--softmax", softmax] + (["--cutoffs", args.cutoffs] if softmax == "adaptive" else [])
        start = time.time()
        subprocess.run([args.lstmchat, "train", data, "--out", out] + recipe + flags, check=True)
        epochs = validations(os.path.join(out, "loss.csv"))
        runs[softmax] = {"epochs": [{"epoch": e, "val_loss": round(loss, 4), "val_perplexity": round(math.exp(loss), 1),
                                     "train_seconds": round(seconds, 1)} for e, loss, seconds in epochs],
                         "wall_seconds": round(time.time() - start, 1)}
        for e, loss, seconds in epochs:
            print(f"{softmax}, epoch {e}: validation loss {loss:.4f}, perplexity {math.exp(loss):.1f} "
                  f"({seconds:.0f} s of training)", flush=True)
    ratios = [round(math.exp(a["val_loss"] - f["val_loss"]), 4) for f, a in zip(runs["full"]["epochs"], runs["adaptive"]["epochs"])]
    print("adaptive ÷ full perplexity, epoch by epoch: " + ", ".join(f"{r:.3f}" for r in ratios)
          + f"; training time adaptive ÷ full: "
          f"{runs['adaptive']['epochs'][-1]['train_seconds'] / runs['full']['epochs'][-1]['train_seconds']:.2f}")
    if args.results:
        figures = {"pairs": args.pairs, "epochs": args.epochs, "cutoffs": args.cutoffs, "recipe": recipe,
                   "runs": runs, "perplexity_ratios": ratios}
        path = write_record("vocab50k-perplexity", started, figures, args.lstmchat, sys.executable,
                            directory=args.results, source="bench/vocab50k_perplexity.py")
        print(f"vocab50k_perplexity.py: this run's record: {os.path.relpath(path)}", file=sys.stderr)


if __name__ == "__main__":
    main()
