"""Learning quality beside PyTorch, in the same run (`make bench-quality`).

Trains lstmchat with its default recipe (`lstmchat train CORPUS`, no flags but --until-accuracy
and the full exact-match sample) and the PyTorch peer (bench/peer_torch_corpus.py) on the same
corpus, one after the other, each until 95% greedy exact match over its distinct training
questions (answer tokens equal to any reference answer's, references cut to the same maximum
length). Prints, for each: epochs and wall seconds to the target, and the share of the reworded
questions answered.

    python3 bench/quality.py --lstmchat .build/release/lstmchat --python .build/bench-venv/bin/python

Each run is also kept as one JSON record, bench/results/<UTC date and time>-quality.json
(`--results DIR` elsewhere, `--results ''` not at all), written by compare.py's `write_record`.
"""
import argparse, csv, datetime, json, os, re, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.dont_write_bytecode = True  # no __pycache__ left in bench/ by the import below
from compare import RESULTS, rounded, write_record  # noqa: E402


def run_lstmchat(binary, corpus, reworded, target, max_epochs, extra):
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([binary, "train", corpus, "--out", out, "--until-accuracy", str(target), "--exact-match-sample", "0",
                        "--epochs", str(max_epochs), "--quiet"] + extra, check=True)
        wall = time.perf_counter() - start
        rows = [r for r in csv.DictReader(open(os.path.join(out, "loss.csv"))) if r.get("exact_match")]
        last = rows[-1]
        score = lambda *flags: json.loads(subprocess.run([binary, "eval", "--checkpoint", out, "--keywords", reworded, "--json", *flags],
                                                         check=True, capture_output=True, text=True).stdout)["keywords"]
        matched, alone = score(), score("--no-match")
        return {"epochs": int(last["epoch"]), "exact_match": float(last["exact_match"]), "train_s": float(last["elapsed_s"]),
                "wall_s": wall, "reached": float(last["exact_match"]) >= target,
            "answered": matched["answered"], "alone": alone["answered"], "of": matched["questions"]}


def run_peer(python, corpus, reworded, target, max_epochs, max_length):
    start = time.perf_counter()
    out = subprocess.run([python, os.path.join(ROOT, "bench", "peer_torch_corpus.py"), corpus, "--target", str(target),
                          "--epochs", str(max_epochs), "--maxlen", str(max_length), "--probe", reworded],
                         check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - start
    lines = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    summary = next(l for l in lines if "reached" in l)
    probe = next(l for l in lines if "probe" in l)
    return {"epochs": summary["epochs"], "exact_match": summary["exact_match"], "train_s": summary["wall_s"],
            "wall_s": wall, "reached": summary["reached"], "answered": probe["answered"], "of": probe["of"]}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lstmchat", default=os.path.join(ROOT, ".build/release/lstmchat"))
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--corpus", default=os.path.join(ROOT, "datasets/chatterbot-english"))
    p.add_argument("--reworded", default=os.path.join(ROOT, "datasets/chatterbot-english-reworded.tsv"))
    p.add_argument("--target", type=float, default=0.95)
    p.add_argument("--max-epochs", type=int, default=60)
    p.add_argument("--max-length", type=int, default=400,
                   help="the peer's --maxlen: at 400, lstmchat's own --max-length (the corpus's longest answer is "
                        "331 tokens as written) it scores whole answers, as lstmchat's exact match does")
    p.add_argument("--peer-max-epochs", type=int,
                   help="stop the peer after this many epochs (default: --max-epochs); if it has not reached the "
                        "target by then, its wall time is a lower bound and the ratio printed an upper bound")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--skip-peer", action="store_true")
    p.add_argument("--results", default=RESULTS, metavar="DIR",
                   help="where the run's JSON record goes (default: bench/results; '' writes none)")
    p.add_argument("lstmchat_flags", nargs="*", help="extra flags for lstmchat train (after --)")
    a = p.parse_args()
    started = datetime.datetime.now(datetime.timezone.utc)
    results = []
    for i in range(a.repeat):
        results.append(("lstmchat", run_lstmchat(a.lstmchat, a.corpus, a.reworded, a.target, a.max_epochs, a.lstmchat_flags)))
        print(json.dumps({"run": "lstmchat", **results[-1][1]}), flush=True)
        if not a.skip_peer:
            results.append(("pytorch", run_peer(a.python, a.corpus, a.reworded, a.target, a.peer_max_epochs or a.max_epochs,
                                                  a.max_length)))
            print(json.dumps({"run": "pytorch", **results[-1][1]}), flush=True)
    # lstmchat's reworded score is with its questions matched to known ones (chat's default), and
    # in brackets the model alone (--no-match), which is what the peer is.
    print(f"\n{'run':10} {'epochs':>6} {'exact match':>11} {'train s':>8} {'wall s':>7} {'reworded (model alone)':>24}")
    for name, r in results:
        alone = f"({r['alone']})" if "alone" in r else ""
        print(f"{name:10} {r['epochs']:6d} {100 * r['exact_match']:10.1f}% {r['train_s']:8.1f} {r['wall_s']:7.1f} "
              f"{r['answered']:9d}/{r['of']:<4d}{alone:>10}")
    by = lambda n: [r["wall_s"] for m, r in results if m == n]
    # The ratio is exact when both sides reached the target; a peer stopped short of it makes its
    # wall time a lower bound, so the ratio is an upper bound ("<"); lstmchat short of it, no ratio.
    reached = lambda n: all(r["reached"] for m, r in results if m == n)
    ratio = sum(by("lstmchat")) / sum(by("pytorch")) if by("lstmchat") and by("pytorch") and reached("lstmchat") else None
    if ratio is not None:
        print(f"\nwall time to {100 * a.target:.0f}% exact match, lstmchat / PyTorch: "
              f"{'' if reached('pytorch') else '< '}{ratio:.2f}"
              f"{'' if reached('pytorch') else ' (PyTorch stopped short of the target)'}")
    if a.results:
        figures = {
            "target": a.target, "max_epochs": a.max_epochs, "max_length": a.max_length, "repeat": a.repeat,
            "lstmchat_flags": a.lstmchat_flags,
            "runs": [{"run": name, **{k: rounded(v, 4) if isinstance(v, float) else v for k, v in r.items()}}
                     for name, r in results],
            "wall_ratio": rounded(ratio, 4) if ratio is not None else None,
            "wall_ratio_is_upper_bound": ratio is not None and not reached("pytorch"),
        }
        path = write_record("quality", started, figures, a.lstmchat, a.python, directory=a.results)
        print(f"quality.py: this run's record: {os.path.relpath(path)}", file=sys.stderr)


if __name__ == "__main__":
    main()
