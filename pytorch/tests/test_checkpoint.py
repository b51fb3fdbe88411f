"""model.safetensors and training.safetensors: written, then read back the same."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lstmchat_torch import checkpoint as files
from lstmchat_torch.model import Seq2Seq, make_batch, summed_cross_entropy
from lstmchat_torch.text import SPECIAL_TOKENS, Vocabulary

VOCABULARY = Vocabulary(SPECIAL_TOKENS + ["hello", "there", ",", "how", "are", "you", "?"])


@pytest.mark.parametrize("attention, layers", [(False, 1), (True, 2)])
def test_model_round_trip(tmp_path: Path, attention: bool, layers: int) -> None:
    torch.manual_seed(3)
    model = Seq2Seq(len(VOCABULARY), 6, 5, layers, attention=attention)
    path = str(tmp_path / "model.safetensors")
    known = [(4, 5), (7, 8, 9)]
    files.write_model(path, model, VOCABULARY, "word", {"steps": 12, "note": "test"}, normalizes_questions=True,
                      known_questions=known, keeps_text=attention)
    config, tensors, tokens, kind, training = files.read_model(path)
    assert config == model.config and config.get("attention", False) == attention
    assert set(tensors) == set(files.parameter_names(model.config))
    state = model.state_dict()
    for name, tensor in tensors.items():
        assert tensor.dtype == torch.float32
        assert torch.equal(tensor, state[name])
    assert tokens == VOCABULARY.tokens and kind == "word"
    assert training == {"steps": "12", "note": "test", "normalizes_questions": True, "keeps_text": attention}
    assert files._metadata(path).get("answers") == ("as-written" if attention else None)
    assert files.model_format(path) == files.MODEL_FORMAT
    metadata = files._metadata(path)
    assert "known_questions" not in metadata
    assert files.read_known_questions(path) == [list(q) for q in known]
    assert metadata["questions"] == "final-punctuation-dropped"


def test_an_adaptive_softmax_keeps_pytorchs_names_and_cutoffs(tmp_path: Path) -> None:
    torch.manual_seed(5)
    model = Seq2Seq(len(VOCABULARY), 6, 16, 1, softmax="adaptive", cutoffs=[4, 8])
    path = str(tmp_path / "model.safetensors")
    files.write_model(path, model, VOCABULARY, "word", {})
    config, tensors, _, _, _ = files.read_model(path)
    assert config["softmax"] == "adaptive" and config["cutoffs"] == [4, 8]
    assert set(tensors) == set(model.state_dict()) == {
        "embedding.weight", *(f"{side}.{kind}_l0" for side in ("encoder", "decoder")
                              for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")),
        "proj.head.weight", "proj.tail.0.0.weight", "proj.tail.0.1.weight", "proj.tail.1.0.weight", "proj.tail.1.1.weight"}
    assert tuple(tensors["proj.head.weight"].shape) == (4 + 2, 16) and tuple(tensors["proj.tail.1.0.weight"].shape) == (1, 16)


def test_an_adaptive_softmaxs_loss_is_the_cross_entropy_of_its_log_probabilities() -> None:
    torch.manual_seed(6)
    model = Seq2Seq(len(VOCABULARY), 6, 16, 1, softmax="adaptive", cutoffs=[4, 8])
    source, lengths, inputs, targets, mask = make_batch([[4, 5], [6]], [[7, 8, 9, 10], [10]])
    log_p = model(source, lengths, inputs)
    assert torch.allclose(log_p.exp().sum(dim=2), torch.ones(log_p.shape[:2]), atol=1e-5)  # a whole distribution
    summed = model(source, lengths, inputs, targets, mask)
    assert torch.allclose(summed, summed_cross_entropy(log_p, targets, mask), atol=1e-5)


def test_training_state_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(4)
    model = Seq2Seq(len(VOCABULARY), 6, 5, 1, attention=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    source, lengths, inputs, targets, mask = make_batch([[4, 5], [6]], [[7, 8, 9], [10]])
    for _ in range(2):
        optimizer.zero_grad()
        (summed_cross_entropy(model(source, lengths, inputs), targets, mask) / mask.sum()).backward()
        optimizer.step()
    settings = {"epochs": 3, "learningRate": 0.01, "lrDecay": 0.9, "clip": 5.0, "dropout": 0.0, "batchSize": 2, "seed": 1}
    progress = {"epoch": 1, "stepInEpoch": 0, "step": 2, "elapsedSeconds": 0.5}
    run = {"recipe": "{}", "data_fingerprint": "abc"}
    path = str(tmp_path / "training.safetensors")
    files.write_state(path, model, optimizer, settings, progress, run)
    tensors, settings_read, progress_read, adam_step, run_read = files.read_state(path)
    assert (settings_read, progress_read, adam_step, run_read) == (settings, progress, 2, run)
    named = dict(model.named_parameters())
    for name in files.parameter_names(model.config):
        adam = optimizer.state[named[name]]
        assert torch.equal(tensors[name], named[name].detach())
        assert torch.equal(tensors["exp_avg." + name], adam["exp_avg"])
        assert torch.equal(tensors["exp_avg_sq." + name], adam["exp_avg_sq"])


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(files.CheckpointError, match="no such file"):
        files.read_model(str(tmp_path / "missing.safetensors"))
    torch.manual_seed(1)
    model = Seq2Seq(len(VOCABULARY), 4, 3, 1)
    state = str(tmp_path / "training.safetensors")
    files.write_state(state, model, torch.optim.Adam(model.parameters()), {}, {}, {})
    with pytest.raises(files.CheckpointError, match="not an lstmchat model"):
        files.read_model(state)
