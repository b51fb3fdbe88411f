"""Train lstmchat's model with PyTorch, on one process or many (torchrun), CPUs or GPUs.

Reads the data formats lstmchat reads, with its tokenizer, vocabulary, validation split and batch
order; trains with the same Adam, per-epoch learning-rate decay, clipping and loss; writes the
files `lstmchat train` writes (model.safetensors, training.safetensors, loss.csv), so that
`lstmchat chat`, `ask`, `eval` and `train --resume` take the result as their own.

Each step takes one of lstmchat's batches and splits its rows over the processes; every process
weighs its summed loss by the whole batch's token count, so the gradients DistributedDataParallel
averages are those of the whole batch, as if one process had taken it.

    python pytorch/train.py datasets/examples/small.tsv --out checkpoints/small
    torchrun --nproc_per_node 4 pytorch/train.py datasets/chatterbot-english --out checkpoints/big
    python pytorch/train.py --resume checkpoints/big --epochs 60
    python pytorch/train.py more.tsv --init checkpoints/default --out checkpoints/tuned --lr 0.001
"""

import argparse
import json
import math
import os
import signal
import sys
import time

import numpy as np
import torch
import torch.distributed as dist

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import batches  # noqa: E402
import checkpoint as files  # noqa: E402
import corpus  # noqa: E402
from model import Seq2Seq, greedy_answer, make_batch, summed_cross_entropy  # noqa: E402
from text import BOS, EOS, Tokenizer, Vocabulary  # noqa: E402

LOG_HEADER = "step,epoch,loss,lr,grad_norm,tokens_per_s,val_loss,val_accuracy,elapsed_s,exact_match"
# lstmchat's header before it measured the exact match per epoch: still read, its rows given the empty column.
OLD_LOG_HEADER = "step,epoch,loss,lr,grad_norm,tokens_per_s,val_loss,val_accuracy,elapsed_s"
DEFAULTS = dict(embed=64, hidden=128, layers=1, attention=True, tokenizer="word", min_count=1, max_vocab=20000, epochs=40,
                lr=0.02, lr_decay=0.9, clip=5.0, dropout=0.0, batch_size=32, max_length=60, val_fraction=0.0, seed=1)


class Failure(Exception):
    """One line for the user, printed as `train.py: <line>` with status 1."""


def parse_arguments(argv):
    p = argparse.ArgumentParser(prog="train.py", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    p.add_argument("data", nargs="?", help="a .tsv or .yml file, or a directory of them")
    p.add_argument("--questions", metavar="FILE", help="questions file, one per line (with --answers)")
    p.add_argument("--answers", metavar="FILE", help="answers file, one per line, parallel to --questions")
    p.add_argument("--format", choices=["tsv", "parallel", "yaml"], help="data format when the extension does not say")
    p.add_argument("--out", metavar="DIR", help="checkpoint directory (default: checkpoints/<data name>)")
    p.add_argument("--resume", metavar="DIR", help="continue the run saved in this directory (lstmchat's or this trainer's)")
    p.add_argument("--init", metavar="PATH", help="start from this lstmchat model (fine-tuning): its weights, "
                   "vocabulary and tokenizer; Adam starts afresh")
    p.add_argument("--log", metavar="FILE", help="loss log CSV (default: loss.csv in the checkpoint directory)")
    model = p.add_argument_group("model (default in brackets)")
    model.add_argument("--embed", type=int, help="word vector size [64]")
    model.add_argument("--hidden", type=int, help="LSTM hidden size [128]")
    model.add_argument("--layers", type=int, help="LSTM layers in the encoder and in the decoder [1]")
    model.add_argument("--attention", action=argparse.BooleanOptionalAction, default=None,
                       help="Luong attention: the decoder looks back at the question's words at every step [on]")
    model.add_argument("--tokenizer", choices=["word", "char"], help="tokenizer [word]")
    model.add_argument("--min-count", type=int, help="keep words seen at least this often [1]")
    model.add_argument("--max-vocab", type=int, help="vocabulary size limit, special tokens included [20000]")
    solver = p.add_argument_group("solver")
    solver.add_argument("--epochs", type=int, help="passes over the training data [40]")
    solver.add_argument("--lr", type=float, help="Adam learning rate [0.02]")
    solver.add_argument("--lr-decay", type=float, help="learning-rate factor applied after every epoch [0.9]")
    solver.add_argument("--clip", type=float, help="clip the global gradient norm to this; 0 turns it off [5]")
    solver.add_argument("--dropout", type=float, help="dropout between layers and before the output layer [0]")
    solver.add_argument("--batch-size", type=int, help="pairs per batch, over all processes [32]")
    solver.add_argument("--max-length", type=int, help="longest question or answer in tokens; longer ones are cut [60]")
    solver.add_argument("--val-fraction", type=float, help="share of pairs held out for validation [0: a chatbot learns all its pairs]")
    solver.add_argument("--seed", type=int, help="random seed for the split, the batches and the first weights [1]")
    p.add_argument("--device", help="cpu, cuda, or cuda:N (default: each process's GPU when there are GPUs, else cpu)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    args = p.parse_args(argv)

    if args.resume is None and args.data is None and args.questions is None:
        p.error("give the training data: a file or directory, or --questions and --answers")
    if (args.questions is None) != (args.answers is None):
        p.error("--questions and --answers go together")
    if args.data is not None and args.questions is not None:
        p.error("give DATA or --questions/--answers, not both")
    if args.resume is not None:
        fixed = [f for f in ("data", "questions", "format", "out", "init", "embed", "hidden", "layers", "attention", "tokenizer",
                             "min_count", "max_vocab", "lr", "lr_decay", "clip", "dropout", "batch_size",
                             "max_length", "val_fraction", "seed") if getattr(args, f) is not None]
        if fixed:
            name = "DATA" if fixed[0] == "data" else "--" + fixed[0].replace("_", "-")
            p.error(f"{name} cannot change when resuming: a resumed run keeps its data and settings (only --epochs may grow)")
    if args.init is not None and any(getattr(args, f) is not None for f in ("embed", "hidden", "layers", "attention",
                                                                            "tokenizer", "min_count", "max_vocab")):
        p.error("--init takes the model's shape, vocabulary and tokenizer from the checkpoint; --embed, --hidden, "
                "--layers, --attention, --tokenizer, --min-count and --max-vocab do not apply")
    checks = [("--epochs", args.epochs, lambda v: v >= 1, "must be at least 1"),
              ("--embed", args.embed, lambda v: v >= 1, "must be at least 1"),
              ("--hidden", args.hidden, lambda v: v >= 1, "must be at least 1"),
              ("--layers", args.layers, lambda v: v >= 1, "must be at least 1"),
              ("--min-count", args.min_count, lambda v: v >= 1, "must be at least 1"),
              ("--max-vocab", args.max_vocab, lambda v: v >= 5, "must be at least 5 (4 special tokens and a word)"),
              ("--lr", args.lr, lambda v: v > 0, "must be greater than 0"),
              ("--lr-decay", args.lr_decay, lambda v: 0 < v <= 1, "must be in (0, 1]"),
              ("--clip", args.clip, lambda v: v >= 0, "must be 0 or more"),
              ("--dropout", args.dropout, lambda v: 0 <= v < 1, "must be in [0, 1)"),
              ("--batch-size", args.batch_size, lambda v: v >= 1, "must be at least 1"),
              ("--max-length", args.max_length, lambda v: v >= 1, "must be at least 1"),
              ("--val-fraction", args.val_fraction, lambda v: 0 <= v < 1, "must be in [0, 1)"),
              ("--seed", args.seed, lambda v: 0 <= v < 2 ** 64, "must be a whole number from 0 to 2^64 - 1")]
    for flag, value, ok, problem in checks:
        if value is not None and not ok(value):
            p.error(f"{flag} {problem}")
    return args


# ---------------------------------------------------------------------------------------------
# What to train: lstmchat's TrainingRecipe, as JSON in the run's state so --resume needs no flags.

def new_recipe(args):
    def pick(name):
        value = getattr(args, name)
        return DEFAULTS[name] if value is None else value
    source = {k: v for k, v in dict(data=args.data, questions=args.questions, answers=args.answers,
                                     format=args.format).items() if v is not None}
    settings = dict(epochs=pick("epochs"), learningRate=pick("lr"), lrDecay=pick("lr_decay"), clip=pick("clip"),
                    dropout=pick("dropout"), batchSize=pick("batch_size"), seed=pick("seed"))
    recipe = dict(source=source, tokenizer=pick("tokenizer"), embed=pick("embed"), hidden=pick("hidden"),
                  layers=pick("layers"), minCount=pick("min_count"), maxVocab=pick("max_vocab"),
                  maxLength=pick("max_length"), validationFraction=pick("val_fraction"), settings=settings,
                  attention=pick("attention"))
    return recipe


def data_name(source):
    path = source.get("data") or source.get("questions") or "run"
    return os.path.splitext(os.path.basename(os.path.normpath(path)))[0]


def read_pairs(source):
    return corpus.read(source.get("data"), source.get("questions"), source.get("answers"), source.get("format"))


def learning_rate(settings, epoch):
    """lr · decay^epoch in Float32, as lstmchat computes it."""
    return float(np.float32(settings["learningRate"]) * np.float32(settings["lrDecay"]) ** np.float32(epoch))


def f32(value):
    """A Float written as lstmchat writes one: the shortest text that reads back to the same Float32."""
    return "" if value is None else str(np.float32(value))


class LossLog:
    """Appends rows to loss.csv; on resume, rows after the saved step (a crashed run's) are dropped."""

    def __init__(self, path, keep_through):
        lines = []
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            lines = text.split("\n")
            header = lines[0].rstrip("\r")
            if header not in (LOG_HEADER, OLD_LOG_HEADER):
                raise Failure(f"{path}:1: expected the header {LOG_HEADER}, found {lines[0]!r}")
            complete = lines[1:-1]  # the last piece is "" or a line half-written by a crash
            kept = [l.rstrip("\r") + ("," if header == OLD_LOG_HEADER else "") for l in complete
                    if l.split(",")[0].isdigit() and int(l.split(",")[0]) <= keep_through]
            lines = [LOG_HEADER] + kept
        else:
            lines = [LOG_HEADER]
        temporary = path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(temporary, path)
        self.file = open(path, "a", encoding="utf-8", buffering=1)

    def append(self, step, epoch, loss, lr, norm, tokens_per_s, elapsed, val_loss=None, val_accuracy=None):
        self.file.write(",".join([str(step), str(epoch), f32(loss), f32(lr), f32(norm), f32(tokens_per_s),
                                  f32(val_loss), f32(val_accuracy), f"{elapsed:.3f}", ""]) + "\n")  # no exact match measured here


# ---------------------------------------------------------------------------------------------

def evaluate(model, pairs, answer_tokens, vocabulary, max_length, device, batch_size=64):
    """lstmchat's validation: mean token loss, and the share of distinct questions whose greedy
    answer equals one of their reference answers."""
    model.eval()
    loss_sum, tokens = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(pairs), batch_size):
            rows = pairs[start:start + batch_size]
            source, lengths, inputs, targets, mask = make_batch([q for q, _ in rows], [a for _, a in rows], device)
            loss_sum += float(summed_cross_entropy(model(source, lengths, inputs), targets, mask))
            tokens += int(mask.sum())
    references, order = {}, []
    for (question, _), answer in zip(pairs, answer_tokens):
        key = tuple(question)
        if key not in references:
            order.append(key)
            references[key] = []
        references[key].append(answer)
    correct = sum(vocabulary.decode(greedy_answer(model, list(q), max_length)[0]) in references[q] for q in order)
    model.train()
    return loss_sum / max(tokens, 1), correct / len(order)


def main(argv):
    args = parse_arguments(argv)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if args.device:
        device = torch.device(args.device)
    elif torch.cuda.is_available():
        device = torch.device("cuda", local_rank % torch.cuda.device_count())
    else:
        device = torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    else:
        # Processes on one machine share its cores.
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_world))
    distributed = world > 1
    if distributed:
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    say = (lambda text: print(text, file=sys.stderr, flush=True)) if rank == 0 and not args.quiet else (lambda text: None)

    # What to train: from the flags, or from the run being resumed.
    resumed = None
    if args.resume is not None:
        directory = args.resume
        state_tensors, settings, progress, adam_step, run = files.read_state(os.path.join(directory, "training.safetensors"))
        config, _, vocabulary_tokens, tokenizer_kind, saved = files.read_model(os.path.join(directory, "model.safetensors"))
        normalizes_questions = saved["normalizes_questions"]
        if "recipe" not in run:
            raise Failure(f"{directory}/training.safetensors: no record of the data this run trained on")
        recipe = json.loads(run["recipe"])
        if recipe.get("wordDropout"):
            raise Failure(f"{directory}: this run trains with --word-dropout, which pytorch/train.py does not do; resume it with lstmchat")
        if args.epochs is not None:
            settings["epochs"] = args.epochs
        recipe["settings"] = settings
        resumed = dict(tensors=state_tensors, progress=progress, adam_step=adam_step, run=run)
    else:
        recipe = new_recipe(args)
        settings = recipe["settings"]
        directory = args.out or os.path.join("checkpoints", data_name(recipe["source"]))
        if os.path.exists(os.path.join(directory, "training.safetensors")):
            raise Failure(f"{directory} already holds a training run; continue it with --resume {directory}, or choose another --out")
        if args.init is not None:
            path = args.init
            if os.path.isdir(path):
                path = os.path.join(path, "model.safetensors")
            config, init_tensors, vocabulary_tokens, tokenizer_kind, saved = files.read_model(path)
            normalizes_questions = saved["normalizes_questions"]
            recipe.update(tokenizer=tokenizer_kind, embed=config["embed_size"], hidden=config["hidden_size"],
                          layers=config["layers"], maxVocab=config["vocab_size"])
            recipe["attention"] = bool(config.get("attention"))

    # The data: read, split, tokenized, encoded, as lstmchat does.
    pairs = read_pairs(recipe["source"])
    train_pairs, validation_pairs = batches.split_for_validation(pairs, recipe["validationFraction"], settings["seed"])
    # Questions lose their final ?, . and ! (as lstmchat's new runs do), unless the model started from did not.
    tokenizer = Tokenizer(recipe["tokenizer"], normalizes_questions=True) if resumed is None and args.init is None \
        else Tokenizer(tokenizer_kind, normalizes_questions=normalizes_questions)
    tokenized = lambda ps: [(tokenizer.tokenize_question(p.question), tokenizer.tokenize(p.answer)) for p in ps]
    train_tokens, validation_tokens = tokenized(train_pairs), tokenized(validation_pairs)
    if resumed is not None or args.init is not None:
        vocabulary = Vocabulary(vocabulary_tokens)
    else:
        vocabulary = Vocabulary.counting([s for pair in train_tokens for s in pair], recipe["minCount"], recipe["maxVocab"])
    encode = lambda tps: [(vocabulary.encode(q), vocabulary.encode(a)) for q, a in tps]
    train, truncated = batches.truncate(encode(train_tokens), recipe["maxLength"])
    batcher = batches.Batcher(train, settings["batchSize"], settings["seed"])
    if truncated:
        say(f"warning: {truncated} pairs longer than {recipe['maxLength']} tokens were cut (--max-length)")
    if batcher.dropped_empty:
        say(f"warning: {batcher.dropped_empty} pairs with no tokens on one side were left out")
    if not batcher.pairs:
        raise Failure("no pairs left to train on")
    # The distinct training questions in the order first seen, stored with the model as lstmchat
    # stores them (KnownQuestions): chat asks a question in other words as the nearest of them.
    known_questions = list(dict.fromkeys(tuple(q) for q, _ in batcher.pairs if q)) if tokenizer.kind == "word" else []
    kept = [(q, a) for q, a in validation_tokens if q and a]
    validation = batches.truncate(encode(kept), recipe["maxLength"])[0]
    validation_answers = [a[:recipe["maxLength"]] for _, a in kept]
    run_info = {"recipe": json.dumps(recipe, sort_keys=True, separators=(",", ":")),
                "data_fingerprint": corpus.fingerprint(pairs)}
    if resumed is not None and resumed["run"].get("data_fingerprint") != run_info["data_fingerprint"]:
        say("warning: the data changed since this run started; continuing on the data as it is now")

    # The model: PyTorch's initialisation (lstmchat's distributions) from the seed, an lstmchat
    # model's weights (--init), or the resumed run's.
    torch.manual_seed(settings["seed"])
    model = Seq2Seq(len(vocabulary), recipe["embed"], recipe["hidden"], recipe["layers"], settings["dropout"],
                    attention=recipe.get("attention", False))
    source_tensors = resumed["tensors"] if resumed is not None else (init_tensors if args.init is not None else None)
    if source_tensors is not None:
        model.load_state_dict({name: source_tensors[name] for name in files.parameter_names(model.config)}, strict=True)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings["learningRate"], betas=(0.9, 0.999), eps=1e-8)
    if resumed is not None and resumed["adam_step"] > 0:
        named = dict(model.named_parameters())
        for name in files.parameter_names(model.config):
            optimizer.state[named[name]] = {
                "step": torch.tensor(float(resumed["adam_step"])),
                "exp_avg": resumed["tensors"]["exp_avg." + name].to(device).clone(),
                "exp_avg_sq": resumed["tensors"]["exp_avg_sq." + name].to(device).clone(),
            }
    trained = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None) \
        if distributed else model
    progress = resumed["progress"] if resumed is not None else dict(
        epoch=0, stepInEpoch=0, step=0, dropoutRNG=batches.Xoshiro256(settings["seed"] ^ 0x5EEDD80F).s, elapsedSeconds=0.0)

    log = None
    if rank == 0:
        os.makedirs(directory, exist_ok=True)
        log = LossLog(args.log or os.path.join(directory, "loss.csv"), keep_through=progress["step"])
    parameters = sum(p.numel() for p in model.parameters())
    say(f"training on {len(batcher.pairs)} pairs ({len(validation)} held out), vocabulary {len(vocabulary)}, "
        f"{recipe['layers']}×{recipe['hidden']} LSTM{' with attention' if model.has_attention else ''}, {parameters} parameters, {world} process{'es' if world > 1 else ''} "
        f"on {device.type}{f' ({dist.get_backend()})' if distributed else ''}"
        + (f", resuming at epoch {progress['epoch'] + 1} step {progress['step']}" if resumed is not None else ""))

    def save(is_best):
        if rank == 0:
            files.write_state(os.path.join(directory, "training.safetensors"), model, optimizer, settings, progress, run_info)
            info = dict(run_info, steps=progress["step"], epochs=progress["epoch"],
                        trained_with=f"PyTorch {torch.__version__}, {world} process{'es' if world > 1 else ''} on {device.type}")
            for name in ["model.safetensors"] + (["best.safetensors"] if is_best else []):
                files.write_model(os.path.join(directory, name), model, vocabulary, tokenizer.kind, info,
                                  tokenizer.normalizes_questions, known_questions)
        if distributed:
            dist.barrier()

    stop = {"requested": False}
    signal.signal(signal.SIGINT, lambda *_: stop.update(requested=True))
    signal.signal(signal.SIGTERM, lambda *_: stop.update(requested=True))

    def all_agree_to_stop():
        flag = torch.tensor([1.0 if stop["requested"] else 0.0], device=device)
        if distributed:
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item())

    trained.train()
    started, elapsed_before = time.time(), progress["elapsedSeconds"]
    elapsed = lambda: elapsed_before + time.time() - started
    while progress["epoch"] < settings["epochs"]:
        rows_of_epoch = batcher.batch_rows(progress["epoch"])
        lr = learning_rate(settings, progress["epoch"])
        for group in optimizer.param_groups:
            group["lr"] = lr
        last_row = None
        while progress["stepInEpoch"] < len(rows_of_epoch):
            if all_agree_to_stop():
                progress["elapsedSeconds"] = elapsed()
                save(False)
                say(f"saved at step {progress['step']}; continue with: python {sys.argv[0]} --resume {directory}")
                return 130
            t0 = time.time()
            rows = rows_of_epoch[progress["stepInEpoch"]]
            batch_tokens = sum(len(batcher.pairs[i][1]) + 1 for i in rows)
            mine = rows[rank::world]
            weight = 1.0
            if not mine:  # fewer rows than processes: take part with a row that counts for nothing
                mine, weight = rows[:1], 0.0
            source, lengths, inputs, targets, mask = make_batch(
                [batcher.pairs[i][0] for i in mine], [batcher.pairs[i][1] for i in mine], device)
            summed = summed_cross_entropy(trained(source, lengths, inputs), targets, mask) * weight
            optimizer.zero_grad(set_to_none=False)
            # DDP averages over processes: scaled by the process count, the mean is the whole batch's gradient.
            (summed * world / batch_tokens).backward()
            loss = summed.detach().clone()
            if distributed:
                dist.all_reduce(loss)
            loss = float(loss) / batch_tokens
            norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), settings["clip"] if settings["clip"] > 0 else float("inf")))
            if not (math.isfinite(loss) and math.isfinite(norm)):
                raise Failure(f"training diverged at step {progress['step'] + 1} (loss {loss}, gradient norm {norm}); "
                              "the last good checkpoint is kept — try a smaller --lr or --clip")
            optimizer.step()
            progress["step"] += 1
            progress["stepInEpoch"] += 1
            seconds = max(time.time() - t0, 1e-9)
            row = (progress["step"], progress["epoch"] + 1, loss, lr, norm, batch_tokens / seconds)
            if progress["stepInEpoch"] < len(rows_of_epoch):
                if log:
                    log.append(*row, elapsed())
            else:
                last_row = row
            if rank == 0 and not args.quiet and sys.stderr.isatty():
                print(f"\repoch {progress['epoch'] + 1}/{settings['epochs']} step {progress['stepInEpoch']}/"
                      f"{len(rows_of_epoch)} loss {loss:.3f}", end="", file=sys.stderr, flush=True)

        result = None
        if rank == 0 and validation:
            result = evaluate(model, validation, validation_answers, vocabulary, recipe["maxLength"], device)
        if log and last_row:
            log.append(*last_row, elapsed(), *(result or (None, None)))
        progress["epoch"] += 1
        progress["stepInEpoch"] = 0
        is_best = False
        if result is not None and result[0] < progress.get("bestValidationLoss", float("inf")):
            progress["bestValidationLoss"] = result[0]
            is_best = True
        progress["elapsedSeconds"] = elapsed()
        save(is_best)
        started, elapsed_before = time.time(), progress["elapsedSeconds"]
        figures = f": validation loss {result[0]:.3f}, perplexity {math.exp(result[0]):.1f}, accuracy {100 * result[1]:.1f}%" \
            if result else ""
        if rank == 0 and not args.quiet and sys.stderr.isatty():
            print("\r\033[K", end="", file=sys.stderr)
        say(f"epoch {progress['epoch']}/{settings['epochs']} done{figures}")
    say(f"saved {os.path.join(directory, 'model.safetensors')}; chat with it: lstmchat chat --checkpoint {directory}")
    if distributed:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (Failure, corpus.DataError, files.CheckpointError, ValueError) as error:
        print(f"train.py: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:  # before training began: nothing to save
        sys.exit(130)
