"""`lstmchat serve` under load beside the server a Python user would write (bench/peer_fastapi_server.py:
the bundled model in PyTorch behind FastAPI + uvicorn, one request at a time), in the same run.

wrk (Debian's) posts the corpus's questions in turn (bench/post.lua) to POST /v1/ask for SECONDS each:

    lstmchat serve                  1 connection, then 64
    lstmchat serve --max-batch 1    64 connections: one question at a time (no batching), the baseline
    the FastAPI + PyTorch peer      1 connection, then 64

and prints requests/s, latency (p50, p99), errors and timeouts, and the ratios the issue sets
targets for. Each run is kept as bench/results/<UTC date and time>-serve.json.

"One-at-a-time answering" (the baseline of the batching ratio) is the same server, the same
binary and threads, with --max-batch 1 under the same 64 connections: it decodes exactly one
question at a time, and the 64 clients keep it always busy, so it shows the most requests/s that
answering one question after the other gives (more than 1 connection does: there the server
waits for the client between requests). Only batching differs between the two.

    python3 bench/serve.py --lstmchat .build/release/lstmchat --python .build/bench-venv/bin/python
"""
import argparse
import datetime
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from compare import ROOT, RESULTS, write_record

HERE = os.path.dirname(os.path.abspath(__file__))


def corpus_questions(path):
    """The bundled corpus's questions, one a line: each conversation's first line ("- - ...")."""
    questions = []
    for name in sorted(os.listdir(path)):
        if name.endswith(".yml"):
            with open(os.path.join(path, name)) as f:
                for line in f:
                    if line.startswith("- - ") and "\\" not in line:
                        question = " ".join(line[4:].split()).strip("'\"")
                        if question:
                            questions.append(question)
    return questions


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(port, process, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"serve.py: the server exited with status {process.returncode}")
        try:
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/v1/ask", data=b'{"question": "hello"}',
                                                          headers={"Content-Type": "application/json"}), timeout=5).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("serve.py: the server did not answer")


def milliseconds(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def wrk(port, connections, seconds, questions):
    """One wrk run: requests/s, p50 and p99 in ms, non-2xx responses, socket errors and timeouts."""
    threads = min(connections, 2)
    output = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "--latency",
                             "-s", os.path.join(HERE, "post.lua"), f"http://127.0.0.1:{port}"],
                            env={**os.environ, "QUESTIONS": questions}, capture_output=True, text=True, check=True).stdout
    figures = {"connections": connections, "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
               "requests": int(re.search(r"(\d+) requests in", output).group(1))}
    for percentile in ("50", "99"):
        figures[f"p{percentile}_ms"] = milliseconds(re.search(rf"^\s+{percentile}%\s+(\S+)", output, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    figures["non_2xx"] = int(non2xx.group(1)) if non2xx else 0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    figures["socket_errors"] = sum(map(int, errors.groups()[:3])) if errors else 0
    figures["timeouts"] = int(errors.group(4)) if errors else 0
    return figures


def measure(name, command, connections, seconds, questions):
    port = free_port()
    process = subprocess.Popen([part.replace("PORT", str(port)) for part in command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(port, process)
        runs = {}
        for n in connections:
            runs[n] = wrk(port, n, seconds, questions)
            run = runs[n]
            print(f"{name:34} {n:3} conn  {run['requests_per_second']:8.1f} req/s  p50 {run['p50_ms']:7.1f} ms  "
                  f"p99 {run['p99_ms']:7.1f} ms  non-2xx {run['non_2xx']}  timeouts {run['timeouts']}", flush=True)
        return runs
    finally:
        process.terminate()
        process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lstmchat", default=os.path.join(ROOT, ".build/release/lstmchat"))
    parser.add_argument("--python", default=os.path.join(ROOT, ".build/bench-venv/bin/python"), help="with torch, fastapi and uvicorn")
    parser.add_argument("--checkpoint", default=os.path.join(ROOT, "checkpoints/default"))
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--results", default=RESULTS, help="where to write the JSON record ('' for nowhere)")
    args = parser.parse_args()
    started = datetime.datetime.now(datetime.timezone.utc)
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as questions:
        lines = corpus_questions(os.path.join(ROOT, "datasets/chatterbot-english"))
        questions.write("\n".join(lines) + "\n")
        questions.flush()
        serve = [args.lstmchat, "serve", "--checkpoint", args.checkpoint, "--port", "PORT", "--quiet"]
        batched = measure("lstmchat serve", serve, [1, 64], args.seconds, questions.name)
        single = measure("lstmchat serve --max-batch 1", serve + ["--max-batch", "1"], [64], args.seconds, questions.name)
        peer = measure("FastAPI + PyTorch (peer)", [args.python, os.path.join(HERE, "peer_fastapi_server.py"), args.checkpoint, "PORT"],
                       [1, 64], args.seconds, questions.name)
    ratios = {"batched_64_over_one_at_a_time_64": batched[64]["requests_per_second"] / single[64]["requests_per_second"],
              "lstmchat_64_over_peer_64": batched[64]["requests_per_second"] / peer[64]["requests_per_second"],
              "lstmchat_1_over_peer_1": batched[1]["requests_per_second"] / peer[1]["requests_per_second"]}
    print(f"64 connections: {ratios['batched_64_over_one_at_a_time_64']:.1f}x one at a time (target >= 8, p99 < 250 ms: "
          f"{batched[64]['p99_ms']:.0f} ms), {ratios['lstmchat_64_over_peer_64']:.1f}x the peer (target >= 5); "
          f"1 connection: p50 {batched[1]['p50_ms']:.1f} ms (target < 10), {ratios['lstmchat_1_over_peer_1']:.1f}x the peer")
    figures = {"questions": len(lines), "seconds": args.seconds, "lstmchat": {str(n): run for n, run in batched.items()},
               "lstmchat_max_batch_1": {str(n): run for n, run in single.items()}, "peer_fastapi_torch": {str(n): run for n, run in peer.items()},
               "ratios": ratios, "load": os.getloadavg()}
    if args.results:
        print("wrote", write_record("serve", started, figures, args.lstmchat, args.python, directory=args.results, source="bench/serve.py"))


if __name__ == "__main__":
    sys.exit(main())
