"""lstmchat's seq2seq LSTM in PyTorch: the trainer (lstmchat-torch-train, also under torchrun) and
greedy answers (lstmchat-torch-ask), reading and writing the checkpoints lstmchat reads.

Modules: text (tokenizer, vocabulary), corpus (data readers), batches (validation split, batch
order, word dropout), model (the network, greedy decoding), checkpoint (safetensors files),
defaults (the per-task training defaults, defaults.json), train, ask.
"""

__version__ = "0.1.0"
