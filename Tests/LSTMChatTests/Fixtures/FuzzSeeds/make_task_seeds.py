"""Small checkpoint seeds for the checkpoint fuzzer, cut down from real models (seq2seq or lm).

A bundled model is megabytes; libFuzzer reads a few kB of each input (`make fuzz`, -max_len). This
keeps everything of a model but its size: every metadata key with its value (format, tokenizer,
question normalization, training, confidence), the configuration with small sizes, the first
VOCAB tokens of the vocabulary and the known questions that fit in them, and every tensor of the
task's layout at the new sizes, filled with small deterministic values.

    python3 make_task_seeds.py MODEL OUT VOCAB EMBED HIDDEN

Standard library only (the safetensors layout is written by hand, as lstmchat writes it).
"""
import json
import math
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    return header.pop("__metadata__"), {name: info["shape"] for name, info in header.items()}


def write(path, metadata, tensors):
    header, offset = {"__metadata__": metadata}, 0
    for name, (shape, _) in tensors.items():
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + 4 * len(tensors[name][1])]}
        offset += 4 * len(tensors[name][1])
    text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for _, values in tensors.values():
            f.write(struct.pack("<%df" % len(values), *values))


def main(model, out, vocab, embed, hidden):
    metadata, shapes = read(model)
    config = json.loads(metadata["config"])
    V, E, H = config["vocab_size"], config["embed_size"], config["hidden_size"]
    # Each size of the model becomes the new one; the old ones must differ to be told apart.
    new = {V: vocab, 4 * H: 4 * hidden, 2 * H: 2 * hidden, H: hidden, E: embed}
    assert len(new) == 5, "the model's sizes coincide: %s" % config
    config.update(vocab_size=vocab, embed_size=embed, hidden_size=hidden)
    metadata["config"] = json.dumps(config, sort_keys=True, separators=(",", ":"))
    metadata["vocabulary"] = json.dumps(json.loads(metadata["vocabulary"])[:vocab], separators=(",", ":"), ensure_ascii=False)
    if "known_questions" in metadata:
        kept = [q for q in json.loads(metadata["known_questions"]) if all(i < vocab for i in q)][:8]
        metadata["known_questions"] = json.dumps(kept, separators=(",", ":"))
    tensors, k = {}, 0
    for name in sorted(shapes):
        shape = [new[d] for d in shapes[name]]
        count = math.prod(shape)
        tensors[name] = (shape, [round(0.5 * math.sin(0.7 * (k + i)), 4) for i in range(count)])
        k += count
    write(out, metadata, tensors)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6]))
