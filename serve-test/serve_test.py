"""`make serve-test`: `lstmchat serve` against real clients, each check one function:

- the official `openai` client (PyPI), unchanged: chat completions, streamed and not, n, models;
- the chat page in a real headless Chromium driven by Selenium: a question typed, the answer read
  (and docs/serve-chat.png, the README's screenshot, taken);
- schemathesis against /openapi.json: no 5xx, whatever it sends;
- bad input and connection churn: malformed and oversized requests, half requests, 10,000
  connections opened and dropped: no 5xx, and the server still answers;
- memory: resident size after 100,000 requests within 10% of that after 1,000 (wrk).

    .build/serve-venv/bin/python serve-test/serve_test.py --lstmchat .build/release/lstmchat
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from serve import corpus_questions  # noqa: E402  (bench/serve.py: the corpus's questions)


class Server:
    """`lstmchat serve --port 0`, its port read from the line it prints at start."""

    def __init__(self, lstmchat, *flags):
        self.process = subprocess.Popen([lstmchat, "serve", "--port", "0", "--quiet", *flags], cwd=ROOT,
                                        stderr=subprocess.PIPE, text=True)
        line = self.process.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if not match:
            raise SystemExit(f"serve-test: the server did not start: {line}")
        self.port = int(match.group(1))
        self.url = f"http://127.0.0.1:{self.port}"

    def request(self, path, body=None, timeout=30):
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        request = urllib.request.Request(self.url + path, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def ask(self, question):
        status, body = self.request("/v1/ask", {"question": question})
        assert status == 200, (status, body)
        return json.loads(body)

    def statuses(self):
        """The metrics' request counts by status."""
        counts = {}
        for line in self.request("/metrics")[1].decode().splitlines():
            match = re.match(r'lstmchat_requests_total\{route="[^"]*",status="(\d+)"\} (\d+)', line)
            if match:
                counts[int(match.group(1))] = counts.get(int(match.group(1)), 0) + int(match.group(2))
        return counts

    def rss_kb(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

    def stop(self):
        """SIGTERM: the server exits 0."""
        self.process.terminate()
        status = self.process.wait(timeout=30)
        assert status == 0, f"exit status {status} after SIGTERM"


def check(name, function, *args):
    start = time.time()
    function(*args)
    print(f"ok  {name} ({time.time() - start:.1f} s)", flush=True)


def openai_client(server):
    from openai import OpenAI
    client = OpenAI(base_url=server.url + "/v1", api_key="not-needed")
    assert [model.id for model in client.models.list()] == ["default"]
    question = "what is your favorite book"
    expected = server.ask(question)["reply"]
    completion = client.chat.completions.create(model="default", messages=[{"role": "user", "content": question}])
    assert completion.choices[0].message.content == expected, (completion, expected)
    assert completion.usage.completion_tokens > 0
    stream = client.chat.completions.create(model="default", messages=[{"role": "user", "content": question}], stream=True)
    pieces = [chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices]
    assert "".join(pieces) == expected and len([p for p in pieces if p]) > 2, pieces
    sampled = client.chat.completions.create(model="default", messages=[{"role": "user", "content": "tell me a joke"}],
                                             n=3, temperature=0.9, top_p=0.95, seed=1, max_tokens=30)
    assert len(sampled.choices) == 3 and all(choice.message.content for choice in sampled.choices)


def browser(server, screenshot):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=900,760"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(server.url + "/")
        for question in ["hello", "what is AI?", "tell me a joke", "do you like pizza"]:
            expected = server.ask(question)["reply"]
            count = len(driver.find_elements(By.CSS_SELECTOR, ".bot"))
            box = driver.find_element(By.ID, "question")
            box.send_keys(question)
            box.send_keys(Keys.ENTER)
            # The answer is done when its note (the confidence) is shown under it.
            WebDriverWait(driver, 20).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".turn .note")) > count)
            answer = driver.find_elements(By.CSS_SELECTOR, ".bot")[-1].text
            assert answer == expected, (question, answer, expected)
        notes = [note.text for note in driver.find_elements(By.CSS_SELECTOR, ".note")]
        assert all(note.startswith("confidence ") for note in notes), notes
        driver.save_screenshot(screenshot)
    finally:
        driver.quit()


def schemathesis(server, examples):
    result = subprocess.run([os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run", server.url + "/openapi.json",
                             "--checks", "not_a_server_error", "--max-examples", str(examples), "--no-color"],
                            capture_output=True, text=True)
    tail = "\n".join(result.stdout.splitlines()[-15:])
    assert result.returncode == 0, tail
    assert not any(status >= 500 for status in server.statuses()), server.statuses()


def raw(server, data, read=True):
    """Sends bytes on a new connection; returns what came back before the server closed (or 5 s)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(data)
        if not read:
            return b""
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except (socket.timeout, ConnectionResetError):
            pass
        return b"".join(chunks)


def bad_input(server):
    cases = [b"{", b"[]", b'"x"', b'{"question": 1}', b'{"question": ""}', b'{"question": "hi", "n_best": 0}',
             json.dumps({"question": "x" * 100_000}).encode(), b'{"question": "\\ud800"}', b"\xff\xfe\x00",
             json.dumps({"question": "hi", "nested": {"a": [1] * 1000}}).encode()]
    for body in cases:
        status, answer = server.request("/v1/ask", body)
        assert 400 <= status < 500 and "error" in json.loads(answer), (body[:40], status, answer[:200])
    status, _ = server.request("/v1/ask", b'{"question": "' + b"a" * (2 << 20) + b'"}')
    assert status == 413, status
    status, _ = server.request("/v1/chat/completions", {"messages": "nope"})
    assert status == 400, status
    # Half a request, a body shorter than its length, a client that hangs up mid-stream, garbage.
    raw(server, b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{\"question\"", read=False)
    raw(server, b"GARBAGE\r\n\r\n")
    stream = json.dumps({"messages": [{"role": "user", "content": "tell me a joke"}], "stream": True}).encode()
    raw(server, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(stream) + stream, read=False)
    # 10,000 connections opened and dropped.
    for _ in range(10_000):
        socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
    assert server.ask("hello")["reply"]
    statuses = server.statuses()
    assert not any(status >= 500 for status in statuses), statuses


def wrk(server, seconds, connections, questions):
    subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", os.path.join(ROOT, "bench/post.lua"), server.url],
                   env={**os.environ, "QUESTIONS": questions}, capture_output=True, check=True)


def memory(server, questions):
    """Requests until 1,000, then until 100,000: the resident size grows by less than 10%."""
    def until(total):
        while sum(server.statuses().values()) < total:
            wrk(server, 5, 64, questions)
    until(1_000)
    early = server.rss_kb()
    until(100_000)
    late = server.rss_kb()
    print(f"    RSS after {sum(server.statuses().values())} requests: {late} kB; after 1,000: {early} kB ({100 * (late / early - 1):+.1f}%)")
    assert late <= early * 1.10, (early, late)
    assert not any(status >= 500 for status in server.statuses())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lstmchat", default=os.path.join(ROOT, ".build/release/lstmchat"))
    parser.add_argument("--screenshot", default=os.path.join(ROOT, "docs/serve-chat.png"))
    parser.add_argument("--examples", type=int, default=100, help="schemathesis's examples per operation")
    parser.add_argument("--skip-memory", action="store_true", help="not the 100,000 requests")
    args = parser.parse_args()
    server = Server(args.lstmchat)
    try:
        check("the openai client, unchanged: chat completions, streamed and not, n, models", openai_client, server)
        check("the chat page in headless Chromium: questions typed, answers read", browser, server, args.screenshot)
        check("schemathesis against /openapi.json: no 5xx", schemathesis, server, args.examples)
        check("bad input, half requests, 10,000 dropped connections: 4xx, no 5xx, still answering", bad_input, server)
        if not args.skip_memory:
            with tempfile.NamedTemporaryFile("w", suffix=".txt") as questions:
                questions.write("\n".join(corpus_questions(os.path.join(ROOT, "datasets/chatterbot-english"))) + "\n")
                questions.flush()
                check("memory: RSS after 100,000 requests within 10% of after 1,000", memory, server, questions.name)
    finally:
        server.stop()
    print("ok  SIGTERM: exit status 0")


if __name__ == "__main__":
    main()
