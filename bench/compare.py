"""Runs `lstmchat bench` and the PyTorch peer side by side and prints one table of ratios.

Each measurement runs in its own process, ours and the peer's alternately, at the same thread
count; peak memory is each process's max resident set size as the kernel reports it (wait4).

    python3 bench/compare.py --lstmchat .build/release/lstmchat --python .build/bench-venv/bin/python
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import tempfile

WORKLOADS = ["anchor", "medium", "large", "corpus"]
CORPUS_STEPS = 73  # one epoch of the bundled corpus's batches
HERE = os.path.dirname(os.path.abspath(__file__))


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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lstmchat", required=True)
    p.add_argument("--python", required=True)
    p.add_argument("--threads", default="2,1")
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--loaded", "--busy-core", dest="loaded", action="store_true",
                   help="also run each workload at 2 threads with one core kept busy (yes > /dev/null)")
    args = p.parse_args()

    batches = os.path.join(tempfile.mkdtemp(prefix="lstmchat-bench-"), "corpus.json")
    subprocess.run([args.lstmchat, "bench", "--export-batches", batches], check=True)

    rows = []
    sgemm = {}
    for threads in [int(t) for t in args.threads.split(",")]:
        for workload in args.workloads.split(","):
            steps = CORPUS_STEPS if workload == "corpus" else args.steps
            common = ["--workload", workload, "--threads", str(threads), "--steps", str(steps)]
            ours, our_rss = run([args.lstmchat, "bench", "--json"] + common)
            peer, peer_rss = run([args.python, "-W", "ignore", os.path.join(HERE, "peer_torch.py")] + common
                                 + ["--batches", batches])
            sgemm[threads] = pick(ours, "sgemm")["gflops"]
            rows.append((workload, threads, ours, our_rss, peer, peer_rss))
    loaded = []
    if args.loaded:
        busy = subprocess.Popen(["yes"], stdout=subprocess.DEVNULL)
        try:
            for workload in args.workloads.split(","):
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

if __name__ == "__main__":
    main()
