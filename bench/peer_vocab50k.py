"""PyTorch peer of the vocab50k workloads: the seq2seq of peer_torch.py (a shared embedding,
encoder and decoder LSTMs, one layer, no attention) with a vocabulary of 50,000 words, trained
with the full softmax (nn.Linear + cross-entropy) or nn.AdaptiveLogSoftmaxWithLoss (cutoffs
2000, 10000, div_value 4), Adam 1e-3, clipping at 5, float32 on the CPU. Prints one JSON line.

    python3 peer_vocab50k.py --softmax adaptive --batches vocab50k.json --threads 2
    python3 peer_vocab50k.py --softmax full --random      # the first peer's random Zipf batches

With --batches (from `lstmchat bench --workload vocab50k[-adaptive] --export-batches FILE`) it
trains on lstmchat's own batches of the synthetic corpus (bench/make_vocab50k.py): the encoder
reads each row's real tokens (pack_padded_sequence), padded targets are left out, and tokens/s
counts real tokens (question tokens and answer targets), as lstmchat bench does. --random is the
peer this one was copied from (../shared/bench/peer_vocab50k.py): E128 H256, batch 32, S=9,
T=13, token ids drawn from Zipf's law, every position counted.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence

E, H, B = 128, 256, 32


class Seq2Seq(nn.Module):
    def __init__(self, V, adaptive, cutoffs):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        self.encoder = nn.LSTM(E, H, batch_first=True)
        self.decoder = nn.LSTM(E, H, batch_first=True)
        self.adaptive = adaptive
        self.out = nn.AdaptiveLogSoftmaxWithLoss(H, V, cutoffs=cutoffs, div_value=4.0) if adaptive else nn.Linear(H, V)

    def loss(self, src, lengths, dec_in, y):
        x = pack_padded_sequence(self.embedding(src), lengths, batch_first=True, enforce_sorted=False)
        _, state = self.encoder(x)
        out, _ = self.decoder(self.embedding(dec_in), state)
        out, y = out.reshape(-1, H), y.reshape(-1)
        counted = y != 0  # padding after shorter answers
        if self.adaptive:
            return self.out(out[counted], y[counted]).loss
        return F.cross_entropy(self.out(out[counted]), y[counted])


def padded(rows):
    width = max(len(r) for r in rows)
    return torch.tensor([r + [0] * (width - len(r)) for r in rows], dtype=torch.long)


def lstmchat_batches(path):
    with open(path) as f:
        spec = json.load(f)
    batches = [(padded(b["sources"]), torch.tensor([len(r) for r in b["sources"]]),
                padded(b["decoder_inputs"]), padded(b["targets"]),
                sum(len(r) for r in b["sources"]) + sum(len(r) for r in b["targets"]))
               for b in spec["batches"]]
    return spec["vocab"], batches


def random_batches(count, V=50000, S=9, T=13):
    zipf = 1.0 / torch.arange(1, V + 1, dtype=torch.float)
    def ids(n): return torch.multinomial(zipf, B * n, replacement=True).view(B, n).clamp(min=3)
    batches = []
    for _ in range(count):
        a = ids(T + 1)
        batches.append((ids(S), torch.full((B,), S), a[:, :-1], a[:, 1:], B * (S + T)))
    return V, batches


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--softmax", choices=["full", "adaptive"], required=True)
    p.add_argument("--batches", help="lstmchat's batches (lstmchat bench --workload vocab50k --export-batches FILE)")
    p.add_argument("--random", action="store_true", help="random Zipf batches instead, as the first peer")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    args = p.parse_args()
    if not args.batches and not args.random:
        raise SystemExit("peer_vocab50k.py: give --batches FILE or --random")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    V, batches = lstmchat_batches(args.batches) if args.batches else random_batches(args.warmup + args.steps)
    model = Seq2Seq(V, args.softmax == "adaptive", [2000, 10000])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    times, tokens = [], 0
    for i in range(args.warmup + args.steps):
        src, lengths, dec_in, y, n = batches[i % len(batches)]
        t0 = time.perf_counter()
        loss = model.loss(src, lengths, dec_in, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        t1 = time.perf_counter()
        if i >= args.warmup:
            times.append(t1 - t0)
            tokens += n
    workload = "vocab50k" + ("-adaptive" if args.softmax == "adaptive" else "")
    print(json.dumps({
        "peer": "torch", "version": torch.__version__, "measure": "train", "workload": workload,
        "softmax": args.softmax, "threads": args.threads, "batches": "random" if args.random else "lstmchat",
        "tokens_per_s": tokens / sum(times), "step_ms_median": statistics.median(times) * 1e3,
        "step_ms_min": min(times) * 1e3, "step_ms_mean": sum(times) / len(times) * 1e3,
        "params": sum(p.numel() for p in model.parameters()),
    }), flush=True)


if __name__ == "__main__":
    main()
