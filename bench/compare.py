"""Runs `lstmchat bench` and the PyTorch peer side by side and prints one table of ratios.

Each measurement runs in its own process, ours and the peer's alternately, at the same thread
count; peak memory is each process's max resident set size as the kernel reports it (wait4).

    python3 bench/compare.py --lstmchat .build/release/lstmchat --python .build/bench-venv/bin/python

Besides the table it prints, each run is kept as one JSON record,
bench/results/<UTC date and time>-bench.json (`--results DIR` elsewhere, `--results ''` not at
all): the date, the CPU, the BLAS core, the versions of lstmchat, torch and Python, and every
figure of the tables. bench/quality.py writes its runs the same way, with `write_record` below.
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile

WORKLOADS = ["anchor", "medium", "large", "corpus", "vocab50k", "int8"]
CORPUS_STEPS = 73  # one epoch of the bundled corpus's batches
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(ROOT, "bench", "results")
VOCAB50K_DATA = os.path.join(ROOT, ".build", "vocab50k", "vocab50k.tsv")  # bench/make_vocab50k.py writes it


def run(command):
    """Runs a command; returns its JSON lines and its peak memory in MB."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"compare.py: {' '.join(command)} exited with status {process.returncode}")
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return lines, usage.ru_maxrss / 1024


def pick(lines, measure):
    return next(line for line in lines if line["measure"] == measure)


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


# --- The JSON record of a run (bench/results/), shared with bench/quality.py ---

def lstmchat_version(binary):
    """`lstmchat --version`: its first line (version, BLAS, core, threads) and the second (why that
    core), or None when the binary cannot say."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=300).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip() or None


def python_versions(python):
    """The Python and torch versions of the peer's interpreter (None for what it cannot give)."""
    code = "import sys; print(sys.version.split()[0]); import torch; print(torch.__version__)"
    try:
        out = subprocess.run([python, "-W", "ignore", "-c", code], capture_output=True, text=True,
                             timeout=300).stdout.split()
    except (OSError, subprocess.SubprocessError):
        out = []
    return {"python": out[0] if out else None, "torch": out[1] if len(out) > 1 else None}


def git_state():
    """The commit measured, and whether tracked files differed from it."""
    def git(*args):
        return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True, timeout=60).stdout.strip()
    try:
        commit = git("rev-parse", "HEAD")
        return {"commit": commit or None, "modified": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "modified": None}


def rounded(value, digits):
    return None if value is None else round(value, digits)


def write_record(kind, started, figures, lstmchat, python, blas_core=None, directory=RESULTS, source=None):
    """Writes one run as bench/results/<UTC date and time>-<kind>.json and returns its path.

    kind: "bench" (compare.py) or "quality" (quality.py); started: the run's start, an aware
    datetime; figures: what the script printed, as numbers. The BLAS core is taken from
    `lstmchat --version` when not given. The file is written whole and renamed into place."""
    started = started.astimezone(datetime.timezone.utc)
    version = lstmchat_version(lstmchat)
    lines = version.splitlines() if version else []
    if blas_core is None and lines:
        match = re.search(r"core ([^,)\s]+)", lines[0])
        blas_core = match.group(1) if match else None
    record = {
        "date": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "kind": kind,
        "source": source or f"bench/{'compare' if kind == 'bench' else kind}.py",
        "command": [os.path.basename(sys.argv[0]), *sys.argv[1:]],
        "cpu": {"model": cpu_model(), "count": os.cpu_count()},
        "blas": {"library": "OpenBLAS", "core": blas_core, "detail": lines[1] if len(lines) > 1 else None},
        "versions": {"lstmchat": lines[0] if lines else None, **python_versions(python)},
        "git": git_state(),
        "figures": figures,
    }
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{started.strftime('%Y%m%dT%H%M%SZ')}-{kind}.json")
    temporary = path + ".tmp"
    with open(temporary, "w") as f:
        json.dump(record, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(temporary, path)
    return path


def run_vocab50k(args, threads_list):
    """The vocab50k workloads: lstmchat with the full and the adaptive softmax against
    bench/peer_vocab50k.py on the same batches (lstmchat's, exported), alternately."""
    if not os.path.exists(VOCAB50K_DATA):
        os.makedirs(os.path.dirname(VOCAB50K_DATA), exist_ok=True)
        subprocess.run([sys.executable, os.path.join(HERE, "make_vocab50k.py"), VOCAB50K_DATA], check=True)
    batches = os.path.join(tempfile.mkdtemp(prefix="lstmchat-bench-"), "vocab50k.json")
    subprocess.run([args.lstmchat, "bench", "--workload", "vocab50k", "--vocab50k-data", VOCAB50K_DATA,
                    "--steps", str(args.steps), "--export-batches", batches], check=True)
    rows = []
    for threads in threads_list:
        for softmax in ("full", "adaptive"):
            workload = "vocab50k" + ("-adaptive" if softmax == "adaptive" else "")
            common = ["--threads", str(threads), "--steps", str(args.steps)]
            ours, our_rss = run([args.lstmchat, "bench", "--json", "--workload", workload, "--vocab50k-data", VOCAB50K_DATA]
                                + common)
            peer, peer_rss = run([args.python, "-W", "ignore", os.path.join(HERE, "peer_vocab50k.py"), "--softmax", softmax,
                                  "--batches", batches] + common)
            rows.append((softmax, threads, pick(ours, "train"), our_rss, pick(peer, "train"), peer_rss))
    return rows


def vocab50k_figures(rows):
    return [{
        "softmax": softmax, "threads": threads,
        "train_tokens_per_s": {"lstmchat": rounded(ot["tokens_per_s"], 1), "pytorch": rounded(pt["tokens_per_s"], 1)},
        "train_ratio": rounded(ot["tokens_per_s"] / pt["tokens_per_s"], 3),
        "step_ms_mean": {"lstmchat": rounded(ot["step_ms_mean"], 2), "pytorch": rounded(pt["step_ms_mean"], 2)},
        "max_rss_mb": {"lstmchat": rounded(our_rss, 1), "pytorch": rounded(peer_rss, 1)},
    } for softmax, threads, ot, our_rss, pt, peer_rss in rows]


def print_vocab50k(rows):
    print()
    print("vocab50k: E128 H256, 1 layer, batch 32, 50,000 words of bench/make_vocab50k.py's Zipf corpus, the same "
          "batches for both (lstmchat's, exported to bench/peer_vocab50k.py):")
    print()
    print("| softmax | threads | train tokens/s: ours | PyTorch | ratio | step ms: ours | PyTorch |")
    print("|---|---|---|---|---|---|---|")
    for softmax, threads, ot, _, pt, _ in rows:
        print(f"| {softmax} | {threads} | {ot['tokens_per_s']:,.0f} | {pt['tokens_per_s']:,.0f} "
              f"| **{ot['tokens_per_s'] / pt['tokens_per_s']:.2f}×** | {ot['step_ms_mean']:.0f} | {pt['step_ms_mean']:.0f} |")
    full = {t: ot["tokens_per_s"] for s, t, ot, _, _, _ in rows if s == "full"}
    for softmax, threads, ot, _, _, _ in rows:
        if softmax == "adaptive" and threads in full:
            print(f"\nadaptive ÷ full softmax, lstmchat, {threads} thread{'s' if threads > 1 else ''}: "
                  f"{ot['tokens_per_s'] / full[threads]:.2f}×", end="")
    print()


def run_int8(args, threads_list):
    """Large generation on int8 weights (`bench --quantize int8`) and bench/peer_int8_generation.py
    (PyTorch float32 and quantize_dynamic), alternately at each thread count."""
    int8 = []
    for threads in threads_list:
        ours, _ = run([args.lstmchat, "bench", "--json", "--workload", "large", "--quantize", "int8",
                       "--threads", str(threads), "--steps", str(args.steps)])
        peer, _ = run([args.python, "-W", "ignore", os.path.join(HERE, "peer_int8_generation.py"), str(threads)])
        int8.append((threads, ours, peer))
    return int8


def int8_figures(int8, rows):
    """Large generation on int8 weights against PyTorch's float32 and quantize_dynamic, same run
    (and lstmchat's float32 generation when the large workload ran too)."""
    ours_float = {t: pick(o, "generate")["ms_per_token"] for w, t, o, _, _, _ in rows if w == "large"}
    table = []
    for threads, ours, peer in int8:
        mine = pick(ours, "generate")["ms_per_token"]
        by_model = {line["model"]: line["ms_per_token"] for line in peer}
        pf, pq = by_model["float32"], by_model["quantize_dynamic int8"]
        table.append({
            "workload": "large", "threads": threads, "kernel": pick(ours, "generate").get("kernel"),
            "generate_ms_per_token": {"lstmchat_int8": rounded(mine, 4), "lstmchat_float32": rounded(ours_float.get(threads), 4),
                                      "pytorch_float32": rounded(pf, 4), "pytorch_quantize_dynamic": rounded(pq, 4)},
            "ratio_to_pytorch_quantize_dynamic": rounded(pq / mine, 3),
            "ratio_to_pytorch_float32": rounded(pf / mine, 3),
            "int8_over_float32_lstmchat": rounded(ours_float[threads] / mine, 3) if threads in ours_float else None,
        })
    return table


def print_int8(int8, rows):
    print()
    print("Large generation on int8 weights (`bench --quantize int8`) against PyTorch's quantize_dynamic, ms/token:")
    print()
    print("| threads | kernel | ours int8 | ours float32 | PyTorch float32 | PyTorch quantize_dynamic "
          "| ratio to quantize_dynamic | ratio to float32 |")
    print("|---|---|---|---|---|---|---|---|")
    for row in int8_figures(int8, rows):
        ms = row["generate_ms_per_token"]
        ours_float = f"{ms['lstmchat_float32']:.3f}" if ms["lstmchat_float32"] is not None else "—"
        print(f"| {row['threads']} | {row['kernel']} | {ms['lstmchat_int8']:.3f} | {ours_float} | {ms['pytorch_float32']:.3f} "
              f"| {ms['pytorch_quantize_dynamic']:.3f} | **{row['ratio_to_pytorch_quantize_dynamic']:.2f}×** "
              f"| **{row['ratio_to_pytorch_float32']:.1f}×** |")


def bench_figures(rows, loaded, sgemm, args):
    """The figures of compare.py's tables, as numbers (ratios as printed: above 1, lstmchat ahead;
    memory below 1, lstmchat uses less)."""
    table = []
    unloaded = {}
    for workload, threads, ours, our_rss, peer, peer_rss in rows:
        ot, pt = pick(ours, "train"), pick(peer, "train")
        og, pg = pick(ours, "generate"), pick(peer, "generate")
        peer_step = pt.get("step_ms_mean", pt["step_ms_median"]) if workload == "corpus" else pt["step_ms_median"]
        unloaded[(workload, threads)] = (ot["tokens_per_s"], pt["tokens_per_s"])
        table.append({
            "workload": workload, "threads": threads,
            "train_tokens_per_s": {"lstmchat": rounded(ot["tokens_per_s"], 1), "pytorch": rounded(pt["tokens_per_s"], 1)},
            "train_ratio": rounded(ot["tokens_per_s"] / pt["tokens_per_s"], 3),
            "step_ms": {"lstmchat": rounded(ot["step_ms_median"], 3), "pytorch": rounded(peer_step, 3)},
            "products_ms": rounded(ot["products_ms"], 3),
            "ceiling": rounded(peer_step / ot["products_ms"], 3),
            "step_gflops": rounded(ot["gflops"], 2),
            "step_share_of_sgemm": rounded(ot["gflops"] / sgemm[threads], 3),
            "products_gflops": rounded(ot["products_gflops"], 2),
            "products_share_of_sgemm": rounded(ot["products_gflops"] / sgemm[threads], 3),
            "generate_ms_per_token": {"lstmchat": rounded(og["ms_per_token"], 4), "pytorch": rounded(pg["ms_per_token"], 4)},
            "generate_ratio": rounded(pg["ms_per_token"] / og["ms_per_token"], 3),
            "max_rss_mb": {"lstmchat": rounded(our_rss, 1), "pytorch": rounded(peer_rss, 1)},
            "memory_ratio": rounded(our_rss / peer_rss, 3),
        })
    busy = []
    for workload, ours, peer, adaptive in loaded:
        ot, pt, ft = pick(ours, "train"), pick(peer, "train"), pick(adaptive, "train")
        base = unloaded.get((workload, 2))
        busy.append({
            "workload": workload, "threads": 2,
            "train_tokens_per_s": {"lstmchat": rounded(ot["tokens_per_s"], 1), "pytorch": rounded(pt["tokens_per_s"], 1),
                                   "lstmchat_tuned": rounded(ft["tokens_per_s"], 1)},
            "train_ratio": rounded(ot["tokens_per_s"] / pt["tokens_per_s"], 3),
            "tuned_ratio": rounded(ft["tokens_per_s"] / pt["tokens_per_s"], 3),
            "lstmchat_of_unloaded": rounded(ot["tokens_per_s"] / base[0], 3) if base else None,
            "pytorch_of_unloaded": rounded(pt["tokens_per_s"] / base[1], 3) if base else None,
            "tuned_of_unloaded": rounded(ft["tokens_per_s"] / base[0], 3) if base else None,
            "tuned_threads_chosen": ft.get("threads_at_end"),
        })
    return {
        "steps": args.steps, "corpus_steps": CORPUS_STEPS,
        "sgemm_2048_gflops": {str(t): rounded(g, 1) for t, g in sgemm.items()},
        "workloads": table,
        "busy_core": busy,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lstmchat", required=True)
    p.add_argument("--python", required=True)
    p.add_argument("--threads", default="2,1")
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--loaded", "--busy-core", dest="loaded", action="store_true",
                   help="also run each workload at 2 threads with one core kept busy (yes > /dev/null)")
    p.add_argument("--results", default=RESULTS, metavar="DIR",
                   help="where the run's JSON record goes (default: bench/results; '' writes none)")
    args = p.parse_args()
    started = datetime.datetime.now(datetime.timezone.utc)

    batches = os.path.join(tempfile.mkdtemp(prefix="lstmchat-bench-"), "corpus.json")
    subprocess.run([args.lstmchat, "bench", "--export-batches", batches], check=True)

    rows = []
    sgemm = {}
    threads_list = [int(t) for t in args.threads.split(",")]
    vocab50k = run_vocab50k(args, threads_list) if "vocab50k" in args.workloads.split(",") else []
    separate = ("vocab50k", "int8")  # workloads with tables of their own
    for threads in threads_list:
        for workload in [w for w in args.workloads.split(",") if w not in separate]:
            steps = CORPUS_STEPS if workload == "corpus" else args.steps
            common = ["--workload", workload, "--threads", str(threads), "--steps", str(steps)]
            ours, our_rss = run([args.lstmchat, "bench", "--json"] + common)
            peer, peer_rss = run([args.python, "-W", "ignore", os.path.join(HERE, "peer_torch.py")] + common
                                 + ["--batches", batches])
            sgemm[threads] = pick(ours, "sgemm")["gflops"]
            rows.append((workload, threads, ours, our_rss, peer, peer_rss))
    int8 = run_int8(args, threads_list) if "int8" in args.workloads.split(",") else []
    loaded = []
    if args.loaded:
        busy = subprocess.Popen(["yes"], stdout=subprocess.DEVNULL)
        try:
            for workload in [w for w in args.workloads.split(",") if w not in separate]:
                steps = CORPUS_STEPS if workload == "corpus" else args.steps
                common = ["--workload", workload, "--threads", "2", "--steps", str(steps)]
                ours, _ = run([args.lstmchat, "bench", "--json"] + common)
                peer, _ = run([args.python, "-W", "ignore", os.path.join(HERE, "peer_torch.py")] + common
                              + ["--batches", batches, "--measure", "train"])
                adaptive, _ = run([args.lstmchat, "bench", "--json", "--adaptive-threads"] + common)
                loaded.append((workload, ours, peer, adaptive))
        finally:
            busy.kill()
            busy.wait()

    if not rows:  # vocab50k or int8 alone
        figures = {"steps": args.steps}
        if vocab50k:
            print_vocab50k(vocab50k)
            figures["vocab50k"] = vocab50k_figures(vocab50k)
        if int8:
            print_int8(int8, rows)
            figures["int8_generation"] = int8_figures(int8, rows)
        if args.results:
            path = write_record("bench", started, figures, args.lstmchat, args.python,
                                blas_core=vocab50k[0][2]["blas_core"] if vocab50k else None, directory=args.results)
            print(f"compare.py: this run's record: {os.path.relpath(path)}", file=sys.stderr)
        return
    version = pick(rows[0][4], "train")["version"]
    core = pick(rows[0][2], "train")["blas_core"]
    print(f"{datetime.date.today()}, {cpu_model()}, {os.cpu_count()} CPUs; "
          f"lstmchat (OpenBLAS, core {core}) vs PyTorch {version}; "
          + ", ".join(f"sgemm 2048² {g:.0f} GFLOP/s at {t} thread{'s' if t > 1 else ''}" for t, g in sgemm.items()))
    print()
    print("| workload | threads | train tokens/s: ours | PyTorch | ratio | ceiling | GFLOP/s: step (% of sgemm) "
          "| products alone (% of sgemm) | generate ms/token: ours | PyTorch | ratio | max RSS MB: ours | PyTorch | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for workload, threads, ours, our_rss, peer, peer_rss in rows:
        ot, pt = pick(ours, "train"), pick(peer, "train")
        og, pg = pick(ours, "generate"), pick(peer, "generate")
        peer_step = pt.get("step_ms_mean", pt["step_ms_median"]) if workload == "corpus" else pt["step_ms_median"]
        print(f"| {workload} | {threads} | {ot['tokens_per_s']:,.0f} | {pt['tokens_per_s']:,.0f} "
              f"| **{ot['tokens_per_s'] / pt['tokens_per_s']:.2f}×** "
              f"| {peer_step / ot['products_ms']:.2f}× "
              f"| {ot['gflops']:.1f} ({100 * ot['gflops'] / sgemm[threads]:.0f}%) "
              f"| {ot['products_gflops']:.1f} ({100 * ot['products_gflops'] / sgemm[threads]:.0f}%) "
              f"| {og['ms_per_token']:.3f} | {pg['ms_per_token']:.3f} "
              f"| **{pg['ms_per_token'] / og['ms_per_token']:.2f}×** "
              f"| {our_rss:,.0f} | {peer_rss:,.0f} | {our_rss / peer_rss:.2f} |")
    print()
    print("Ratios: tokens/s ours ÷ PyTorch and ms/token PyTorch ÷ ours (above 1: lstmchat is faster); "
          "memory ours ÷ PyTorch (below 1: lstmchat uses less). Ceiling: PyTorch's step time ÷ the time "
          "of our step's matrix products alone, the training ratio if everything else took no time. "
          "GFLOP/s: the step's flops over the whole step's time, and over the time of its products alone.")
    if loaded:
        unloaded = {(w, t): (pick(o, "train"), pick(p, "train")) for w, t, o, _, p, _ in rows}
        print()
        print("With one core kept busy (`yes > /dev/null`), 2 threads:")
        print()
        print("| workload | train tokens/s: ours, 2 threads | PyTorch | ratio | ours ÷ ours unloaded "
              "| PyTorch ÷ PyTorch unloaded | ours as `train` runs it (tuned) | ratio | ÷ ours unloaded | threads it chose |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for workload, ours, peer, adaptive in loaded:
            ot, pt, ft = pick(ours, "train"), pick(peer, "train"), pick(adaptive, "train")
            base = unloaded.get((workload, 2))
            keep = (f"{ot['tokens_per_s'] / base[0]['tokens_per_s']:.2f} | {pt['tokens_per_s'] / base[1]['tokens_per_s']:.2f}"
                    if base else "— | —")
            tuned_keep = f"{ft['tokens_per_s'] / base[0]['tokens_per_s']:.2f}" if base else "—"
            print(f"| {workload} | {ot['tokens_per_s']:,.0f} | {pt['tokens_per_s']:,.0f} "
                  f"| **{ot['tokens_per_s'] / pt['tokens_per_s']:.2f}×** | {keep} | {ft['tokens_per_s']:,.0f} "
                  f"| **{ft['tokens_per_s'] / pt['tokens_per_s']:.2f}×** | {tuned_keep} "
                  f"| {ft.get('threads_at_end', '—')} |")
        print()
        print("Tuned: `bench --adaptive-threads`, which trains as `train` does without --threads, choosing "
              "between 2 threads and 1 by timing its first steps and again every 100 (`ThreadTuner`).")
    if vocab50k:
        print_vocab50k(vocab50k)
    if int8:
        print_int8(int8, rows)
    if args.results:
        figures = bench_figures(rows, loaded, sgemm, args)
        if vocab50k:
            figures["vocab50k"] = vocab50k_figures(vocab50k)
        if int8:
            figures["int8_generation"] = int8_figures(int8, rows)
        path = write_record("bench", started, figures, args.lstmchat, args.python,
                            blas_core=core, directory=args.results)
        print(f"compare.py: this run's record: {os.path.relpath(path)}", file=sys.stderr)

if __name__ == "__main__":
    main()
