"""The trainer end to end, without lstmchat: a short run, its files, resuming, the flags' defaults
and refusals, and the console scripts."""

from __future__ import annotations

import csv
import json
import re
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open

from conftest import run, script
from lstmchat_torch import checkpoint as files
from lstmchat_torch import defaults
from lstmchat_torch.train import LOG_HEADER, cli, learning_rate, main, settings_of

# A small model on one thread: on a tiny corpus, more threads only wait for each other.
SMALL = ["--embed", "8", "--hidden", "16", "--batch-size", "4", "--lr", "0.01", "--threads", "1"]


def log_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_a_two_step_run_writes_lstmchats_files_and_resumes(tiny_tsv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = run([*script("lstmchat-torch-train"), str(tiny_tsv), "--out", str(out), "--epochs", "1", *SMALL])
    assert result.returncode == 0, result.stderr
    for name in ("model.safetensors", "training.safetensors", "loss.csv"):
        assert (out / name).is_file(), name
    assert (out / "loss.csv").read_text(encoding="utf-8").splitlines()[0] == LOG_HEADER
    rows = log_rows(out / "loss.csv")
    assert [int(r["step"]) for r in rows] == [1, 2]  # 8 pairs in batches of 4
    assert all(float(r["loss"]) > 0 for r in rows)
    assert "training on 8 pairs" in result.stderr
    assert "lstmchat calibrate --checkpoint" in result.stderr and "to choose the confidence threshold" in result.stderr
    config, _, vocabulary, kind, training = files.read_model(str(out / "model.safetensors"))
    assert (config["embed_size"], config["hidden_size"], config["layers"], config.get("attention")) == (8, 16, 1, True)
    assert kind == "word" and vocabulary[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"] and training["steps"] == "2"
    recipe = json.loads(training["recipe"])
    assert recipe["task"] == "seq2seq" and recipe["wordDropout"] == 0 and recipe["lr"] == 0.01 and recipe["batchSize"] == 4

    # --resume continues from the saved step; only --epochs may change.
    result = run([*script("lstmchat-torch-train"), "--resume", str(out), "--epochs", "2", "--quiet"])
    assert result.returncode == 0, result.stderr
    assert [int(r["step"]) for r in log_rows(out / "loss.csv")] == [1, 2, 3, 4]

    # lstmchat-torch-ask answers with it.
    result = run([*script("lstmchat-torch-ask"), "--checkpoint", str(out), "--json", "hello"])
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["question"] == "hello" and isinstance(answer["text"], str) and answer["log_probability"] <= 0


def test_word_dropout_and_until_accuracy(tiny_tsv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = run([*script("lstmchat-torch-train"), str(tiny_tsv), "--task", "seq2seq", "--out", str(out), "--epochs", "60", *SMALL,
                  "--embed", "16", "--hidden", "32", "--lr", "0.05", "--word-dropout", "0.1", "--until-accuracy", "0.25"])
    assert result.returncode == 0, result.stderr
    rows = log_rows(out / "loss.csv")
    measured = [(int(r["epoch"]), float(r["exact_match"])) for r in rows if r["exact_match"]]
    assert len(measured) == int(rows[-1]["epoch"]) < 60  # measured after every epoch, stopped early
    assert measured[-1][1] >= 0.25 and all(share < 0.25 for _, share in measured[:-1])
    assert re.search(r"^reached \d+\.\d% exact match \(asked: 25\.0%\) after epoch \d+", result.stderr, re.M)
    with safe_open(str(out / "model.safetensors"), framework="pt") as f:
        recipe = json.loads(json.loads(f.metadata()["training"])["recipe"])
    assert recipe["wordDropout"] == 0.1


def test_a_small_data_set_gets_smaller_batches(tiny_tsv: Path, tmp_path: Path) -> None:
    # lstmchat's Recipe.fittedBatchSize: at least 8 steps an epoch unless --batch-size is given.
    out = tmp_path / "run"
    assert main([str(tiny_tsv), "--out", str(out), "--epochs", "1", "--embed", "8", "--hidden", "16", "--threads", "1",
                 "--quiet"]) == 0
    assert len(log_rows(out / "loss.csv")) == 8  # 8 pairs in batches of max(1, min(32, 8 // 8))
    config, _, _, _, training = files.read_model(str(out / "model.safetensors"))
    recipe = json.loads(training["recipe"])
    assert recipe["batchSize"] == 1 and recipe["lrFloor"] == defaults.task_defaults("seq2seq")["lr_floor"]
    _, settings, _, _, _ = files.read_state(str(out / "training.safetensors"))
    assert settings == settings_of(recipe)


def test_an_adaptive_softmax_trains_resumes_and_answers(tiny_tsv: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = run([*script("lstmchat-torch-train"), str(tiny_tsv), "--out", str(out), "--epochs", "1", *SMALL,
                  "--softmax", "adaptive", "--cutoffs", "6,12"])
    assert result.returncode == 0, result.stderr
    config, tensors, _, _, training = files.read_model(str(out / "model.safetensors"))
    assert config["softmax"] == "adaptive" and config["cutoffs"] == [6, 12] and "proj.tail.1.1.weight" in tensors
    recipe = json.loads(training["recipe"])
    assert recipe["softmax"] == "adaptive" and recipe["cutoffs"] == [6, 12]
    result = run([*script("lstmchat-torch-train"), "--resume", str(out), "--epochs", "2", "--quiet"])
    assert result.returncode == 0, result.stderr
    result = run([*script("lstmchat-torch-ask"), "--checkpoint", str(out), "--json", "hello"])
    assert result.returncode == 0 and json.loads(result.stdout)["log_probability"] <= 0, result.stderr


def test_cutoffs_past_the_vocabulary_are_refused_in_one_line(tiny_tsv: Path, tmp_path: Path) -> None:
    result = run([*script("lstmchat-torch-train"), str(tiny_tsv), "--out", str(tmp_path / "run"), *SMALL,
                  "--softmax", "adaptive"])
    assert result.returncode == 1
    assert result.stderr == ("lstmchat-torch-train: cutoffs 2000,10000 must be below the vocabulary size, 34 "
                             "(give smaller --cutoffs, or use --softmax full)\n")


def test_the_learning_rate_decays_to_its_floor() -> None:
    settings = {"learningRate": 0.02, "lrDecay": 0.9, "lrFloor": 0.1}
    assert learning_rate(settings, 0) == float(np.float32(0.02))
    assert learning_rate(settings, 3) == float(np.float32(0.02) * np.float32(0.9) ** np.float32(3))
    assert learning_rate(settings, 30) == float(np.float32(0.02) * np.float32(0.1))
    assert learning_rate({"learningRate": 0.02, "lrDecay": 0.9}, 30) < float(np.float32(0.02) * np.float32(0.1))


def help_by_flag(text: str) -> dict[str, str]:
    """Each option's help, from --help printed unwrapped: {"--embed": "word vector size (default: 64)"}."""
    blocks: dict[str, str] = {}
    flag = None
    for line in text.splitlines():
        match = re.match(r"^  (--[a-z-]+)(.*)$", line)
        if match:
            flag = match.group(1)
            blocks[flag] = match.group(2)
        elif flag is not None and line.startswith("    "):
            blocks[flag] += " " + line.strip()
        else:
            flag = None
    return blocks


def test_help_shows_the_defaults_of_defaults_json() -> None:
    result = run([*script("lstmchat-torch-train"), "--help"])
    assert result.returncode == 0
    shown = help_by_flag(result.stdout)
    data = json.loads(resources.files("lstmchat_torch").joinpath("defaults.json").read_text(encoding="utf-8"))
    for key, value in data["seq2seq"].items():
        flag = "--" + key.replace("_", "-")
        text = "on" if value is True else "off" if value is False else f"{value:g}" if isinstance(value, float) else str(value)
        assert f"(default: {text})" in shown[flag], (flag, shown.get(flag))


def test_defaults_json_holds_every_task_and_flag() -> None:
    common = {"tokenizer", "embed", "hidden", "layers", "min_count", "max_vocab", "epochs", "lr", "lr_decay", "lr_floor", "clip",
              "dropout", "batch_size", "val_fraction", "seed"}
    loaded = defaults.load()
    assert set(loaded["seq2seq"]) == common | {"attention", "softmax", "cutoffs", "word_dropout", "max_length"}
    assert set(loaded["lm"]) == common | {"seq_length"}
    assert set(loaded["classify"]) == common | {"max_length"}
    assert loaded["seq2seq"]["word_dropout"] == 0 and loaded["lm"]["tokenizer"] == "char"
    assert all(isinstance(v, float) for task in loaded.values() for k, v in task.items() if defaults.TYPES[k] is float)


def refused(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """(exit status, standard error) of the console script refusing argv, run in this process."""
    monkeypatch.setattr(sys, "argv", ["lstmchat-torch-train", *argv])
    with pytest.raises(SystemExit) as stopped:
        cli()
    code = stopped.value.code
    return code if isinstance(code, int) else 1, capsys.readouterr().err


def test_other_tasks_are_refused_in_one_line(tiny_tsv: Path) -> None:
    result = run([*script("lstmchat-torch-train"), str(tiny_tsv), "--task", "lm"])
    assert result.returncode == 1
    assert result.stderr == ("lstmchat-torch-train: --task lm is not supported by the PyTorch trainer; "
                             "use lstmchat train --task lm\n")


def test_classify_is_refused_in_one_line(tiny_tsv: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    assert refused([str(tiny_tsv), "--task", "classify"], capsys, monkeypatch) == (
        1, "lstmchat-torch-train: --task classify is not supported by the PyTorch trainer; use lstmchat train --task classify\n")


def test_as_a_module_errors_start_with_train_py(tiny_tsv: Path) -> None:
    result = run([sys.executable, "-m", "lstmchat_torch.train", str(tiny_tsv), "--task", "lm"])
    assert result.returncode == 1
    assert result.stderr == "train.py: --task lm is not supported by the PyTorch trainer; use lstmchat train --task lm\n"


@pytest.mark.parametrize("flags, status, message", [
    (["--unrelated", "u.txt"], 1, "--unrelated is not supported by the PyTorch trainer, which chooses no confidence threshold"),
    (["--keywords", "k.tsv"], 1, "run lstmchat calibrate --checkpoint DIR --keywords k.tsv"),
    (["--seq-length", "50"], 1, "--seq-length is for --task lm"),
    (["--task", "chat"], 2, "--task must be seq2seq, lm or classify"),
    (["--word-dropout", "1"], 2, "--word-dropout must be in [0, 1)"),
    (["--until-accuracy", "0"], 2, "--until-accuracy must be in (0, 1]"),
    (["--exact-match-sample", "-1"], 2, "--exact-match-sample must be 0 or more"),
    (["--threads", "0"], 2, "--threads must be at least 1"),
    (["--lr-floor", "2"], 2, "--lr-floor must be in [0, 1]"),
    (["--cutoffs", "10,5"], 2, "--cutoffs must be increasing whole numbers above 0"),
    (["--softmax", "hierarchical"], 2, "invalid choice: 'hierarchical'"),
])
def test_bad_and_unsupported_flags_are_refused(flags: list[str], status: int, message: str, tiny_tsv: Path,
                                               capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, error = refused([str(tiny_tsv), *flags], capsys, monkeypatch)
    assert code == status and message in error, error


@pytest.mark.parametrize("flag", [["--word-dropout", "0.1"], ["--lr", "0.1"], ["--attention"], ["--lr-floor", "0"],
                                  ["--softmax", "adaptive"], ["--cutoffs", "5"],
                                  ["--until-accuracy", "0.9"], ["--task", "seq2seq"]])
def test_a_resumed_run_keeps_its_settings(flag: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    code, error = refused(["--resume", str(tmp_path), *flag], capsys, monkeypatch)
    assert code == 2 and f"{flag[0]} cannot change when resuming" in error
