"""Searches training recipes for the bundled corpus: for each, the epochs and seconds to 95%
exact match on the training questions and the reworded-question score (bench/quality.py's
lstmchat side). Prints a Markdown table for the README.

    python3 bench/recipe_search.py [--only NAME ...]

Timings are disturbed by whatever else runs on the machine: compare rows of one run, repeat.
"""
import argparse, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quality import ROOT, run_lstmchat

BASE = ["--embed", "128", "--hidden", "256", "--layers", "1", "--batch-size", "32", "--val-fraction", "0",
        "--max-length", "60", "--clip", "5", "--seed", "1"]
RECIPES = {
    "peer recipe (Adam 3e-3, decay 0.97)": ["--lr", "0.003", "--lr-decay", "0.97", "--dropout", "0"],
    "Adam 0.01, decay 0.9": ["--lr", "0.01", "--lr-decay", "0.9", "--dropout", "0"],
    "Adam 0.02, decay 0.85": ["--lr", "0.02", "--lr-decay", "0.85", "--dropout", "0"],
    "word dropout 0.1": ["--lr", "0.01", "--lr-decay", "0.9", "--word-dropout", "0.1"],
    "word dropout 0.2": ["--lr", "0.01", "--lr-decay", "0.9", "--word-dropout", "0.2"],
    "word dropout 0.3": ["--lr", "0.01", "--lr-decay", "0.9", "--word-dropout", "0.3"],
    "word dropout 0.2, dropout 0.2": ["--lr", "0.01", "--lr-decay", "0.9", "--word-dropout", "0.2", "--dropout", "0.2"],
    "attention": ["--lr", "0.01", "--lr-decay", "0.9", "--attention"],
    "attention, Adam 0.02, decay 0.85": ["--lr", "0.02", "--lr-decay", "0.85", "--attention"],
    "attention, hidden 128": ["--lr", "0.01", "--lr-decay", "0.9", "--attention", "--hidden", "128"],
    "attention, word dropout 0.1": ["--lr", "0.01", "--lr-decay", "0.9", "--attention", "--word-dropout", "0.1"],
    "attention, word dropout 0.2": ["--lr", "0.01", "--lr-decay", "0.9", "--attention", "--word-dropout", "0.2"],
    "attention, batch 64, Adam 0.02, decay 0.85": ["--lr", "0.02", "--lr-decay", "0.85", "--attention", "--batch-size", "64"],
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lstmchat", default=os.path.join(ROOT, ".build/release/lstmchat"))
    p.add_argument("--only", nargs="*", help="recipe names (substrings) to run")
    p.add_argument("--max-epochs", type=int, default=60)
    a = p.parse_args()
    corpus = os.path.join(ROOT, "datasets/chatterbot-english")
    reworded = os.path.join(ROOT, "datasets/chatterbot-english-reworded.tsv")
    print("| recipe | epochs to 95% | s of training | exact match | reworded | model alone |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, flags in RECIPES.items():
        if a.only and not any(o in name for o in a.only):
            continue
        r = run_lstmchat(a.lstmchat, corpus, reworded, 0.95, a.max_epochs, BASE + flags)
        reached = r["exact_match"] >= 0.95
        print(f"| {name} | {r['epochs'] if reached else '>' + str(r['epochs'])} | {r['train_s']:.0f} | "
              f"{100 * r['exact_match']:.1f}% | {r['answered']}/{r['of']} | {r['alone']}/{r['of']} |", flush=True)


if __name__ == "__main__":
    main()
