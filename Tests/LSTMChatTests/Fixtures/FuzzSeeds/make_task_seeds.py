"""Small checkpoint seeds for the checkpoint fuzzer, cut down from real models (seq2seq or lm).

A bundled model is megabytes; libFuzzer reads a few kB of each input (`make fuzz`, -max_len). This
keeps everything of a model but its size: every metadata key with its value (format, tokenizer,
question normalization, training, confidence), the configuration with small sizes, the first
VOCAB tokens of the vocabulary and the known questions that fit in them (as the two I32 tensors
lstmchat writes, `known_questions.tokens` and `.offsets`, whether the model holds them so or as
the JSON metadata of older files), and every tensor of the task's layout at the new sizes, filled
with small deterministic values.

    python3 make_task_seeds.py MODEL OUT VOCAB EMBED HIDDEN

Standard library only (the safetensors layout is written by hand, as lstmchat writes it).
"""
import json
import math
import struct
import sys


KNOWN = ("known_questions.tokens", "known_questions.offsets")


def read(path):
    """(metadata, {name: shape} of the parameters, the known questions)."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__")

    def ints(name):
        begin, end = header[name]["data_offsets"]
        return list(struct.unpack("<%di" % ((end - begin) // 4), data[8 + length + begin:8 + length + end]))

    if KNOWN[0] in header:
        tokens, offsets = ints(KNOWN[0]), ints(KNOWN[1])
        known = [tokens[a:b] for a, b in zip(offsets, offsets[1:])]
    else:
        known = json.loads(metadata.pop("known_questions", "[]"))
    return metadata, {name: info["shape"] for name, info in header.items() if name not in KNOWN}, known


def write(path, metadata, tensors):
    """tensors: name → (dtype "F32" or "I32", shape, values), written in this order."""
    header, offset = {"__metadata__": metadata}, 0
    for name, (dtype, shape, values) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + 4 * len(values)]}
        offset += 4 * len(values)
    text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for dtype, _, values in tensors.values():
            f.write(struct.pack("<%d%s" % (len(values), "f" if dtype == "F32" else "i"), *values))


def main(model, out, vocab, embed, hidden):
    metadata, shapes, known = read(model)
    config = json.loads(metadata["config"])
    V, E, H = config["vocab_size"], config["embed_size"], config["hidden_size"]
    # Each size of the model becomes the new one; the old ones must differ to be told apart.
    new = {V: vocab, 4 * H: 4 * hidden, 2 * H: 2 * hidden, H: hidden, E: embed}
    assert len(new) == 5, "the model's sizes coincide: %s" % config
    config.update(vocab_size=vocab, embed_size=embed, hidden_size=hidden)
    metadata["config"] = json.dumps(config, sort_keys=True, separators=(",", ":"))
    metadata["vocabulary"] = json.dumps(json.loads(metadata["vocabulary"])[:vocab], separators=(",", ":"), ensure_ascii=False)
    tensors, k = {}, 0
    for name in sorted(shapes):
        shape = [new[d] for d in shapes[name]]
        count = math.prod(shape)
        tensors[name] = ("F32", shape, [round(0.5 * math.sin(0.7 * (k + i)), 4) for i in range(count)])
        k += count
    kept = [q for q in known if all(i < vocab for i in q)][:8]
    if kept:
        tokens, offsets = [t for q in kept for t in q], [0]
        for q in kept:
            offsets.append(offsets[-1] + len(q))
        tensors[KNOWN[0]] = ("I32", [len(tokens)], tokens)
        tensors[KNOWN[1]] = ("I32", [len(offsets)], offsets)
    write(out, metadata, tensors)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6]))
