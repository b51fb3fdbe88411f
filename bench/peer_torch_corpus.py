"""Learning-quality peer: PyTorch seq2seq LSTM trained on the ChatterBot English corpus.

Measures wall time until greedy answers match a reference answer (any of a question's answers,
after normalisation) for a target share of the distinct training questions.

    python3 peer_torch_corpus.py CORPUS_DIR [--hidden 256] [--embed 128] [--layers 1] [--probe FILE]

Copied from ../shared/bench/ (lstmchat's quality peer) and kept equivalent, with three changes.
Greedy decoding stops once every row has ended (no answer changes; it is only sooner). --probe
reads lstmchat's reworded-question file as `lstmchat eval --keywords` does (`#` comment lines are
skipped and the key-word expression ignores case). The text is tokenized as lstmchat
tokenizes it (pytorch/lstmchat_torch/text.py, the tokenizer shared with lstmchat): questions
normalized, answers as written (case, spacing, line breaks), so that both sides' exact match asks
for the same tokens. `--answers lowercase` gives the original peer's lowercased tokens.
`make bench-quality` runs it.
"""
import argparse, collections, glob, json, os, re, sys, time
import torch, torch.nn as nn, torch.nn.functional as F, yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pytorch"))
from lstmchat_torch.text import Tokenizer  # noqa: E402

PAD, UNK, BOS, EOS = 0, 1, 2, 3


def lowercase_tokens(s):
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]", s.lower())


def load(d):
    pairs = []
    for f in sorted(glob.glob(f"{d}/*.yml")):
        for conv in (yaml.safe_load(open(f)) or {}).get("conversations", []) or []:
            conv = [str(x).strip() for x in conv]
            pairs += [(a, b) for a, b in zip(conv, conv[1:]) if a and b]
    return pairs


class Seq2Seq(nn.Module):
    def __init__(self, V, E, H, L):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        self.encoder = nn.LSTM(E, H, L, batch_first=True)
        self.decoder = nn.LSTM(E, H, L, batch_first=True)
        self.proj = nn.Linear(H, V)

    def forward(self, src, lens, dec_in):
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(src), lens, batch_first=True, enforce_sorted=False)
        _, st = self.encoder(packed)
        out, _ = self.decoder(self.embedding(dec_in), st)
        return self.proj(out)

    @torch.no_grad()
    def greedy(self, src, lens, maxlen):
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(src), lens, batch_first=True, enforce_sorted=False)
        _, st = self.encoder(packed)
        tok_ = torch.full((src.shape[0], 1), BOS)
        outs, done = [], torch.zeros(src.shape[0], dtype=torch.bool)
        for _ in range(maxlen):
            o, st = self.decoder(self.embedding(tok_), st)
            tok_ = self.proj(o[:, -1]).argmax(-1, keepdim=True)
            outs.append(tok_)
            done |= tok_[:, 0] == EOS
            if bool(done.all()):  # every row has ended: the rest would be cut at EOS anyway
                break
        return torch.cat(outs, 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("corpus")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--embed", type=int, default=128)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--decay", type=float, default=0.97)
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--target", type=float, default=0.95)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--maxlen", type=int, default=40)
    p.add_argument("--probe", help="TSV of question<TAB>regex of key words: share answered")
    p.add_argument("--answers", choices=["as-written", "lowercase"], default="as-written",
                   help="lstmchat's tokens (answers as written) or the original peer's lowercased ones")
    a = p.parse_args()
    if a.answers == "as-written":
        tokenizer = Tokenizer("word", keeps_text=True)
        tok_q, tok_a, join = tokenizer.tokenize_question, tokenizer.tokenize_answer, tokenizer.detokenize
    else:
        tok_q = tok_a = lowercase_tokens
        join = " ".join
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    pairs = load(a.corpus)
    words = collections.Counter(w for q, r in pairs for w in tok_q(q) + tok_a(r))
    itos = ["<pad>", "<unk>", "<bos>", "<eos>"] + sorted(words)
    stoi = {w: i for i, w in enumerate(itos)}
    enc = lambda tokens: [stoi.get(w, UNK) for w in tokens][: a.maxlen]
    data = [(enc(tok_q(q)) or [UNK], enc(tok_a(r))) for q, r in pairs]
    refs = collections.defaultdict(set)
    for (q, r), (qi, ri) in zip(pairs, data):
        refs[tuple(qi)].add(tuple(ri))
    distinct = list(refs)
    model = Seq2Seq(len(itos), a.embed, a.hidden, a.layers)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, a.decay)

    def batchify(rows):
        S = max(len(q) for q, _ in rows); T = max(len(r) for _, r in rows) + 1
        src = torch.zeros(len(rows), S, dtype=torch.long); din = torch.zeros(len(rows), T, dtype=torch.long)
        tgt = torch.zeros(len(rows), T, dtype=torch.long)
        for i, (q, r) in enumerate(rows):
            src[i, : len(q)] = torch.tensor(q); din[i, : len(r) + 1] = torch.tensor([BOS] + r)
            tgt[i, : len(r) + 1] = torch.tensor(r + [EOS])
        return src, torch.tensor([len(q) for q, _ in rows]), din, tgt

    def accuracy():
        model.eval(); ok = 0
        for i in range(0, len(distinct), 256):
            qs = [list(q) for q in distinct[i:i + 256]]
            src, lens, _, _ = batchify([(q, []) for q in qs])
            out = model.greedy(src, lens, a.maxlen + 1).tolist()
            for q, o in zip(qs, out):
                o = o[: o.index(EOS)] if EOS in o else o
                ok += tuple(o) in refs[tuple(q)]
        model.train(); return ok / len(distinct)

    t0 = time.perf_counter(); train_time = 0.0; tokens = 0
    g = torch.Generator().manual_seed(0)
    for epoch in range(1, a.epochs + 1):
        t1 = time.perf_counter()
        order = torch.randperm(len(data), generator=g).tolist()
        for i in range(0, len(order), a.batch):
            src, lens, din, tgt = batchify([data[j] for j in order[i:i + a.batch]])
            loss = F.cross_entropy(model(src, lens, din).reshape(-1, len(itos)), tgt.reshape(-1), ignore_index=PAD)
            opt.zero_grad(); loss.backward(); nn.utils.clip_grad_norm_(model.parameters(), 5.0); opt.step()
            tokens += int(lens.sum()) + int((tgt != PAD).sum())
        sched.step(); train_time += time.perf_counter() - t1
        acc = accuracy()
        print(json.dumps({"epoch": epoch, "loss": round(loss.item(), 4), "exact_match": round(acc, 4),
                          "train_s": round(train_time, 1), "wall_s": round(time.perf_counter() - t0, 1),
                          "tokens_per_s": round(tokens / train_time)}), flush=True)
        if acc >= a.target:
            break
    print(json.dumps({"pairs": len(pairs), "distinct_questions": len(distinct), "vocab": len(itos),
                      "reached": acc >= a.target, "epochs": epoch, "train_s": round(train_time, 1),
                      "wall_s": round(time.perf_counter() - t0, 1), "exact_match": acc}), flush=True)
    if a.probe:
        model.eval(); ok = 0
        rows = [l.rstrip("\n").split("\t") for l in open(a.probe) if l.strip() and not l.startswith("#")]
        for q, keys in rows:
            src, lens, _, _ = batchify([(enc(tok_q(q)) or [UNK], [])])
            o = model.greedy(src, lens, a.maxlen + 1)[0].tolist()
            o = o[: o.index(EOS)] if EOS in o else o
            ok += bool(re.search(keys, join([itos[i] for i in o]), re.IGNORECASE))
        print(json.dumps({"probe": a.probe.split("/")[-1], "answered": ok, "of": len(rows)}), flush=True)


if __name__ == "__main__":
    main()
