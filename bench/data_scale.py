"""Issue #28's "data at scale" targets: peak memory and time to the first step of `lstmchat
train` on the vocab50k corpus, fresh and resumed.

    python3 bench/data_scale.py [--pairs 500000] [--steps 5] [--binary .build/release/lstmchat]

Writes the corpus with bench/make_vocab50k.py if it is not there (.build/vocab50k/, named by its
pair count), then trains E128 H256 with the adaptive softmax (`--max-vocab 50000`) under
/usr/bin/time -v into a fresh directory, stops it with SIGINT (as Ctrl-C does) once `--steps`
steps are in its loss log, and does the same to `train --resume` of that directory. For each run:
seconds from the start to the first step in the loss log, peak RSS, and the wall time. The
target (issue #28): peak RSS <= model + optimizer state (weights, gradients and Adam's two
moments: 16 bytes a parameter) + 2x the text; a resumed run's first step in under 2 s. The
record goes to bench/results/<time>-data-scale.json.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def corpus(pairs):
    name = "vocab50k.tsv" if pairs == 500_000 else f"vocab50k-{pairs}.tsv"
    path = os.path.join(ROOT, ".build", "vocab50k", name)
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "make_vocab50k.py"), path, "--pairs", str(pairs)], check=True)
    return path


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def rows(log):
    try:
        with open(log) as f:
            return max(0, sum(1 for _ in f) - 1)
    except OSError:
        return 0


def run(binary, args, log, steps):
    """Runs `lstmchat ARGS` under /usr/bin/time -v until `steps` more rows are in `log`, then
    sends SIGINT; returns its figures."""
    before = rows(log)
    start = time.monotonic()
    timed = subprocess.Popen(["/usr/bin/time", "-v", binary] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = None
    while timed.poll() is None:
        n = rows(log)
        if first is None and n > before:
            first = time.monotonic() - start
        if n >= before + steps:
            for pid in children(timed.pid):
                os.kill(pid, signal.SIGINT)
            break
        time.sleep(0.02)
    out, err = timed.communicate()
    wall = time.monotonic() - start
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1)) * 1024
    parameters = re.search(r"(\d+) parameters", err)
    return {
        "command": " ".join(["lstmchat"] + args),
        "seconds_to_first_step": round(first, 3) if first is not None else None,
        "peak_rss_bytes": rss,
        "wall_seconds": round(wall, 2),
        "parameters": int(parameters.group(1)) if parameters else None,
        "exit_status": timed.returncode,
        "stderr_tail": err.strip().splitlines()[:3],
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pairs", type=int, default=500_000)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "lstmchat"))
    p.add_argument("--out", default=os.path.join(ROOT, ".build", "data-scale-run"))
    p.add_argument("--no-resume", action="store_true", help="the fresh run only")
    args = p.parse_args()
    data = corpus(args.pairs)
    shutil.rmtree(args.out, ignore_errors=True)
    log = os.path.join(args.out, "loss.csv")
    recipe = [data, "--max-vocab", "50000", "--embed", "128", "--hidden", "256", "--softmax", "adaptive", "--out", args.out]
    runs = {"fresh": run(args.binary, ["train"] + recipe, log, args.steps)}
    if not args.no_resume:
        runs["resumed"] = run(args.binary, ["train", "--resume", args.out], log, args.steps)
    text = os.path.getsize(data)
    parameters = runs["fresh"]["parameters"]
    cache = os.path.join(args.out, "pairs.cache")
    record = {
        "time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "pairs": args.pairs, "text_bytes": text,
        "cache_bytes": os.path.getsize(cache) if os.path.exists(cache) else None,
        "model_and_optimizer_bytes": 16 * parameters if parameters else None,
        "target_peak_rss_bytes": 16 * parameters + 2 * text if parameters else None,
        "runs": runs,
        "load_average": os.getloadavg(),
    }
    print(json.dumps(record, indent=2))
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    with open(os.path.join(ROOT, "bench", "results", f"{stamp}-data-scale.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
