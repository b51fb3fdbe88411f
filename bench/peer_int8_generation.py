"""PyTorch generation on the large workload (V16000 E512 H512 L2), batch 1, one token a step:
float32 eager vs torch.ao.quantization.quantize_dynamic (int8 LSTM + Linear). Prints one JSON
line per model with its ms/token. The peer of `lstmchat bench --workload large --quantize int8`
(bench/compare.py runs both in the same run); from ../shared/bench/peer_int8_generation.py.

    python peer_int8_generation.py [THREADS]"""
import json, sys, time, torch, torch.nn as nn
threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
torch.set_num_threads(threads)
V, E, H, L = 16000, 512, 512, 2
class M(nn.Module):
    def __init__(s):
        super().__init__(); s.emb = nn.Embedding(V, E); s.dec = nn.LSTM(E, H, L, batch_first=True); s.proj = nn.Linear(H, V)
    def step(s, tok, st):
        o, st = s.dec(s.emb(tok), st); return s.proj(o[:, -1]).argmax(-1, keepdim=True), st
m = M().eval()
q = torch.ao.quantization.quantize_dynamic(m, {nn.LSTM, nn.Linear}, dtype=torch.qint8)
for name, model in (("float32", m), ("quantize_dynamic int8", q)):
    with torch.no_grad():
        tok = torch.tensor([[2]]); st = (torch.zeros(L, 1, H), torch.zeros(L, 1, H))
        for i in range(110):
            if i == 10: t0 = time.perf_counter()
            tok, st = model.step(tok, st)
        print(json.dumps({"model": name, "threads": threads, "version": torch.__version__,
                          "ms_per_token": round((time.perf_counter() - t0) * 1000 / 100, 3)}))
