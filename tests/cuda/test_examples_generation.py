"""examples/language_model.py and examples/seq2seq.py with ``--device cuda``: the same tiny run as on the CPU (losses
and scores within float32 tolerance, the same sampled text and greedy translations), the models on the device.

Tiny models and data: under Numba's simulator every CUDA thread is a Python thread."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from examples_loader import load_example

TOL = dict(rtol=1e-4, atol=1e-6)


def _runs(module, argv, out):
    """``module.run`` on the CPU and on cuda with the same arguments and seed: {device: results}."""
    runs = {}
    for device in ("cpu", "cuda"):
        args = module.build_parser().parse_args(argv + ["--device", device, "--out", str(out / device)])
        assert module.common.setup(args, cuda=True) == device
        runs[device] = module.run(args)
    return runs


def _on(model, device):
    params = list(model.parameters())
    return params and all(p.device == device for p in params)


def test_language_model_example_trains_on_cuda_like_on_cpu(tmp_path, monkeypatch):
    """Both models (the LSTM with truncated BPTT and the carried state, Bengio's fixed-window model) for 3 steps,
    their validation bpc, and the sampled text; step caps, not the wall-clock budgets, end training."""
    lm = load_example("language_model")
    monkeypatch.setattr(lm, "STREAMS_PER_WORK", 1)    # 4 validation streams of 128 + 2 characters, not 16
    runs = _runs(lm, [
        "--limit", "600", "--steps", "3", "--bengio-steps", "3", "--minutes", "1e4", "--bengio-minutes", "1e4",
        "--hidden", "4", "--embed", "4", "--bptt", "4", "--batch", "2", "--bengio-hidden", "4", "--bengio-embed", "2",
        "--context", "3", "--bengio-batch", "4", "--val-chars", "4", "--eval-every", "1e9", "--sample-chars", "4"],
        tmp_path)
    cpu, gpu = runs["cpu"], runs["cuda"]
    for name in ("lstm", "bengio"):
        assert gpu[name]["steps"] == cpu[name]["steps"] == 3
        np.testing.assert_allclose([v for *_, v in gpu[name]["train_loss"]],
                                   [v for *_, v in cpu[name]["train_loss"]], **TOL)
        np.testing.assert_allclose([v for *_, v in gpu[name]["history"]], [v for *_, v in cpu[name]["history"]],
                                   **TOL)
        np.testing.assert_allclose(gpu[f"{name}_bpc"], cpu[f"{name}_bpc"], **TOL)
        assert _on(gpu["models"][name], "cuda") and _on(cpu["models"][name], "cpu")
    assert gpu["unigram_bpc"] == cpu["unigram_bpc"] and gpu["scored_chars"] == cpu["scored_chars"] == 4
    assert gpu["samples"] == cpu["samples"]

    # The GPU run's checkpoint restores a CPU model that scores what the GPU model scored.
    lstm = lm.CharLSTM(gpu["vocab_size"], 4, 4)
    lstm.load_state_dict(lm.tg.load(gpu["checkpoints"][0])["model"])
    val = np.random.default_rng(0).integers(0, gpu["vocab_size"], size=(2, lm.BURN_IN + 3))
    np.testing.assert_allclose(lm.lstm_bpc(lstm, val), lm.lstm_bpc(gpu["models"]["lstm"], val), **TOL)


def test_seq2seq_example_trains_on_cuda_like_on_cpu(tmp_path):
    """The encoder-decoder with and without attention: one epoch of teacher-forced training, the held-out greedy
    translations, exact match and the attention weights of the heat map."""
    s2s = load_example("seq2seq")
    # seed 19 draws the training numbers 4 and 84 (3 decoder steps per training batch) and the held-out 59055 and
    # 759519; another seed changes only the test's duration
    runs = _runs(s2s, ["--seed", "19", "--limit", "2", "--test-size", "2", "--epochs", "1", "--hidden", "4",
                       "--embed", "4", "--batch", "2", "--examples", "2"], tmp_path)
    cpu, gpu = runs["cpu"], runs["cuda"]
    for name in ("attention", "no_attention"):
        assert len(gpu[name]["train_loss"]) == len(cpu[name]["train_loss"]) == 1
        np.testing.assert_allclose(gpu[name]["train_loss"], cpu[name]["train_loss"], **TOL)
        assert gpu[name]["decoded"] == cpu[name]["decoded"] and len(gpu[name]["decoded"]) == 2
        assert gpu[name]["accuracy"] == cpu[name]["accuracy"]
        assert gpu[f"{name}_exact_match"] == cpu[f"{name}_exact_match"]
    for name, model in gpu["models"].items():
        assert _on(model, "cuda") and _on(cpu["models"][name], "cpu")
    assert gpu["heatmap_example"] == cpu["heatmap_example"]
    np.testing.assert_allclose(gpu["attention_weights"], cpu["attention_weights"], **TOL)
