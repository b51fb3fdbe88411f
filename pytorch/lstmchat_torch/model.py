"""lstmchat's encoder–decoder in PyTorch, under the names and layouts of its checkpoints:

    question ──embedding──▶ encoder (nn.LSTM) ──(h, c) of every layer──┐
    <bos> answer ──embedding──▶ decoder (nn.LSTM, starts from that state) ──▶ proj ──▶ softmax

One embedding serves both sides; the encoder's state is taken after each row's last real token.
Dropout as lstmchat: between LSTM layers and on the decoder's output before proj.

With attention (lstmchat train --attention; Sources/LSTMChat/Layers/LuongAttention.swift), Luong's
"general" score without input feeding sits between the decoder and proj: each decoder output h_t
looks at the encoder's top-layer outputs e_s of its question's real tokens,

    a_t = softmax_s(h_t · W_a e_s)    c_t = Σ_s a_t,s e_s    h~_t = tanh(W_c [c_t ; h_t] + b_c)

(attn.weight W_a [H, H], attn_combine.weight W_c [H, 2H], attn_combine.bias b_c), and proj reads h~_t.

With an adaptive softmax (lstmchat train --softmax adaptive --cutoffs 2000,10000;
Sources/LSTMChat/Layers/AdaptiveSoftmax.swift), proj is nn.AdaptiveLogSoftmaxWithLoss(H, V, cutoffs,
div_value=4): the model's scores are then its log_prob, the full log-distribution, and training
computes a tail cluster only for the targets in it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .text import BOS, EOS, PAD, UNKNOWN

State = tuple[torch.Tensor, torch.Tensor]
# What attention reads: the encoder's top-layer outputs [S, B, H], their keys W_a e_s, the mask [S, B] of real tokens.
Memory = Optional[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]


class Seq2Seq(nn.Module):
    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, layers: int, dropout: float = 0.0,
                 attention: bool = False, softmax: str = "full", cutoffs: Sequence[int] = ()) -> None:
        super().__init__()
        self.config: dict[str, Any] = dict(vocab_size=vocab_size, embed_size=embed_size, hidden_size=hidden_size, layers=layers)
        if attention:
            self.config["attention"] = True  # written only when on, as lstmchat does
        if softmax == "adaptive":
            self.config["softmax"] = "adaptive"
            self.config["cutoffs"] = list(cutoffs)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.encoder = nn.LSTM(embed_size, hidden_size, layers, dropout=dropout if layers > 1 else 0.0)
        self.decoder = nn.LSTM(embed_size, hidden_size, layers, dropout=dropout if layers > 1 else 0.0)
        if attention:
            self.attn = nn.Linear(hidden_size, hidden_size, bias=False)
            self.attn_combine = nn.Linear(2 * hidden_size, hidden_size)
        self.output_dropout = nn.Dropout(dropout)
        self.proj: nn.Module = nn.AdaptiveLogSoftmaxWithLoss(hidden_size, vocab_size, list(cutoffs), div_value=4.0) \
            if softmax == "adaptive" else nn.Linear(hidden_size, vocab_size)

    @property
    def has_attention(self) -> bool:
        return "attention" in self.config

    @property
    def has_adaptive_softmax(self) -> bool:
        return self.config.get("softmax") == "adaptive"

    def scores(self, top: torch.Tensor) -> torch.Tensor:
        """[..., V] from top [..., H]: proj's logits, or the adaptive softmax's log-probabilities
        (a softmax over either gives the model's distribution)."""
        if not self.has_adaptive_softmax:
            return self.proj(top)
        V = self.config["vocab_size"]
        return self.proj.log_prob(top.reshape(-1, top.shape[-1])).reshape(*top.shape[:-1], V)

    def encode(self, source: torch.Tensor, lengths: torch.Tensor) -> tuple[State, Memory]:
        """source [S, B] padded, lengths [B] (each ≥ 1): the encoder's final (h, c), [L, B, H] each,
        and what attention reads: the top layer's outputs [S, B, H] with their keys, and the mask
        [S, B] of real tokens (None without attention)."""
        packed = pack_padded_sequence(self.embedding(source), lengths.cpu(), enforce_sorted=False)
        outputs, state = self.encoder(packed)
        if not self.has_attention:
            return state, None
        memory, _ = pad_packed_sequence(outputs, total_length=source.shape[0])
        real = torch.arange(source.shape[0], device=source.device).unsqueeze(1) < lengths.to(source.device).unsqueeze(0)
        return state, (memory, self.attn(memory), real)

    def attend(self, top: torch.Tensor, memory: Memory) -> torch.Tensor:
        """h~ [T, B, H] from the decoder outputs top [T, B, H] (h itself without attention)."""
        if memory is None:
            return top
        outputs, keys, real = memory
        scores = torch.einsum("tbh,sbh->bts", top, keys).masked_fill(~real.t().unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=2).nan_to_num(0.0)  # a question with no tokens has no context
        context = torch.einsum("bts,sbh->tbh", weights, outputs)
        return torch.tanh(self.attn_combine(torch.cat([context, top], dim=2)))

    def forward(self, source: torch.Tensor, lengths: torch.Tensor, decoder_inputs: torch.Tensor,
                targets: torch.Tensor | None = None, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Scores [T, B, V] of the decoder reading decoder_inputs [T, B] after the question; with
        targets and mask [T, B], the summed loss instead (summed_cross_entropy's; one call, so
        that DistributedDataParallel sees it)."""
        state, memory = self.encode(source, lengths)
        top, _ = self.decoder(self.embedding(decoder_inputs), state)
        top = self.output_dropout(self.attend(top, memory))
        if targets is None or mask is None:
            return self.scores(top)
        if not self.has_adaptive_softmax:
            return summed_cross_entropy(self.proj(top), targets, mask)
        # Only the counted positions, as lstmchat: the module computes a cluster only for its targets.
        weights = mask.reshape(-1)
        counted = weights > 0
        log_p = self.proj(top.reshape(-1, top.shape[-1])[counted].float(), targets.reshape(-1)[counted]).output
        return -(log_p * weights[counted]).sum()


def make_batch(questions: Sequence[Sequence[int]], answers: Sequence[Sequence[int]], device: torch.device | str | None = None
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Time-major tensors as lstmchat's Seq2SeqBatch: source [S, B], lengths [B], decoder inputs
    [T, B] (<bos> + answer), targets [T, B] (answer + <eos>), mask [T, B]."""
    B = len(questions)
    S = max(1, max(len(q) for q in questions))
    T = max(len(a) for a in answers) + 1
    source = torch.full((S, B), PAD, dtype=torch.long)
    inputs = torch.full((T, B), PAD, dtype=torch.long)
    targets = torch.full((T, B), PAD, dtype=torch.long)
    mask = torch.zeros((T, B))
    for b, (q, a) in enumerate(zip(questions, answers)):
        source[:len(q), b] = torch.tensor(q, dtype=torch.long)
        inputs[:len(a) + 1, b] = torch.tensor([BOS, *a], dtype=torch.long)
        targets[:len(a) + 1, b] = torch.tensor([*a, EOS], dtype=torch.long)
        mask[:len(a) + 1, b] = 1
    lengths = torch.tensor([len(q) for q in questions], dtype=torch.long)

    def to(t: torch.Tensor) -> torch.Tensor:
        return t.to(device) if device is not None else t
    return to(source), lengths, to(inputs), to(targets), to(mask)


def summed_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Σ over counted target tokens of −log p(target): lstmchat's loss before dividing by the count."""
    V = logits.shape[-1]
    losses = F.cross_entropy(logits.reshape(-1, V).float(), targets.reshape(-1), reduction="none")
    return (losses * mask.reshape(-1)).sum()


@torch.no_grad()
def greedy_answer(model: Seq2Seq, question_ids: Sequence[int], max_length: int = 60, allow_unknown: bool = False,
                  keep_going: Callable[[list[int]], bool] | None = None) -> tuple[list[int], float, bool]:
    """lstmchat's greedy decoding: the most likely token each step, never <pad>, <bos> (or <unk>),
    until <eos> or max_length tokens. Returns (token ids, log-probability, finished).

    keep_going: asked after every token with the answer so far; when it says false, the answer stops
    there, unfinished (as lstmchat's BatchedGreedy, for a measure that only needs to know whether
    an answer can still be right)."""
    device = next(model.parameters()).device
    # A question with no tokens leaves the encoder's state at zero, as in lstmchat.
    state: State | None = None
    memory: Memory = None
    if not question_ids and model.has_attention:  # nothing to look at: a zero context
        H = model.config["hidden_size"]
        zeros = torch.zeros(1, 1, H, device=device)
        memory = (zeros, zeros, torch.zeros(1, 1, dtype=torch.bool, device=device))
    if question_ids:
        source = torch.tensor(question_ids, dtype=torch.long, device=device).view(-1, 1)
        state, memory = model.encode(source, torch.tensor([len(question_ids)]))
    forbidden = [PAD, BOS] + ([] if allow_unknown else [UNKNOWN])
    token, log_p = BOS, 0.0
    tokens: list[int] = []
    while len(tokens) < max_length:
        top, state = model.decoder(model.embedding(torch.tensor([[token]], device=device)), state)
        logits = model.scores(model.attend(top, memory))[0, 0].float()
        logits[forbidden] = float("-inf")
        token = int(torch.argmax(logits))
        log_p += float(torch.log_softmax(logits, dim=0)[token])
        if token == EOS:
            return tokens, log_p, True
        tokens.append(token)
        if keep_going is not None and not keep_going(tokens):
            return tokens, log_p, False
    return tokens, log_p, False
