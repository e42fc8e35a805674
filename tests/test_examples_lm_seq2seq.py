"""Smoke tests of examples/language_model.py and examples/seq2seq.py: tiny data and budgets, a few seconds each.

The scripts are imported by path (examples/ is not a package); each run must end with finite metrics in range, a
falling training loss, its checkpoints (loadable, holding the reported metric) and, with matplotlib, its plot.
"""
import math
from pathlib import Path

import numpy as np
import pytest

import tinygradnb as tg
from examples_loader import HAS_MATPLOTLIB, load_example

def _falls(losses, k=5):
    losses = np.asarray(losses, dtype=float)
    return losses[:k].mean() > losses[-k:].mean()


@pytest.fixture(scope="module")
def lm():
    return load_example("language_model")


@pytest.fixture(scope="module")
def s2s():
    return load_example("seq2seq")


def test_language_model_holds_out_whole_works(lm):
    works = {"b": "x", "a": "y", "f": "z", "c": "w", "e": "v", "d": "u"}
    train, held_out = lm.split_works(works)
    assert held_out == ["c", "d", "e", "f"] and train == ["b", "a"]


def test_language_model_smoke(lm, tmp_path):
    args = lm.build_parser().parse_args([
        "--limit", "20000", "--steps", "40", "--bengio-steps", "40", "--minutes", "5", "--bengio-minutes", "5",
        "--hidden", "32", "--embed", "16", "--bptt", "32", "--batch", "8", "--bengio-hidden", "64",
        "--val-chars", "3200", "--eval-every", "1000", "--sample-chars", "20", "--out", str(tmp_path)])
    lm.common.setup(args)
    r = lm.run(args)

    uniform = math.log2(r["vocab_size"])
    for key in ("unigram_bpc", "lstm_bpc", "bengio_bpc"):
        assert math.isfinite(r[key]) and 0.0 < r[key] < uniform + 1.0, (key, r[key])
    assert r["unigram_bpc"] < uniform                 # the unigram beats the uniform distribution
    assert r["lstm_bpc"] < uniform and r["bengio_bpc"] < uniform
    assert r["scored_chars"] == 3200 and r["lstm"]["steps"] == 40 and r["bengio"]["steps"] == 40
    assert _falls([loss for _, _, loss in r["lstm"]["train_loss"]])
    assert _falls([loss for _, _, loss in r["bengio"]["train_loss"]])
    assert r["lstm_bpc"] < r["lstm"]["history"][0][2]       # validation bpc fell from the untrained model's
    assert r["bengio_bpc"] < r["bengio"]["history"][0][2]
    for temp, text in r["samples"].items():
        assert text.startswith("\n") and len(text) == 21, (temp, text)

    for path, key in zip(r["checkpoints"], ("lstm_bpc", "bengio_bpc")):
        state = tg.load(path)
        assert state["val_bpc"] == pytest.approx(r[key])
        assert "optimizer" in state and state["vocab"]["itos"][0] == "<unk>"
    # The LSTM checkpoint restores a model that scores the same on the validation slice.
    model = lm.CharLSTM(r["vocab_size"], 16, 32)
    model.load_state_dict(tg.load(r["checkpoints"][0])["model"])
    assert model.out.weight.shape == (r["vocab_size"], 32)
    if HAS_MATPLOTLIB:
        assert r["plot"] is not None and Path(r["plot"]).stat().st_size > 0


def test_language_model_scores_the_same_characters(lm):
    """LSTM, Bengio and unigram scores are the mean −log2 P over exactly the targets after the burn-in: checked
    against direct computations (whole sequence at once; windows built by hand)."""
    import tinygradnb.nn.functional as F
    tg.manual_seed(0)
    V, b, n = 7, lm.BURN_IN, 3
    val = np.random.default_rng(0).integers(0, V, size=(3, b + 1 + 50))
    targets = val[:, b + 1:]
    counts = np.bincount(val.ravel(), minlength=V)
    expected = -np.log2((counts + 1.0) / (counts.sum() + V))[targets].mean()
    assert lm.unigram_bpc(val.ravel(), val, V) == pytest.approx(expected)

    lstm = lm.CharLSTM(V, 4, 8)
    with tg.no_grad():
        logp = F.log_softmax(lstm(tg.tensor(np.ascontiguousarray(val[:, :-1].T)))[0], dim=-1).numpy()
    ref = -np.mean([logp[t, s, val[s, t + 1]] for s in range(3) for t in range(b, val.shape[1] - 1)]) / np.log(2)
    for chunk in (17, 64, 1000):      # the state is carried across chunks: chunking changes nothing
        assert lm.lstm_bpc(lstm, val, chunk=chunk) == pytest.approx(ref, rel=1e-5)
    first = -np.mean([logp[t, s, val[s, t + 1]] for s in range(3) for t in range(b, b + 10)]) / np.log(2)
    assert lm.lstm_bpc(lstm, val, length=10) == pytest.approx(first, rel=1e-5)

    bengio = lm.BengioLM(V, n, 4, 8)
    rows = [(val[s, t - n:t], val[s, t]) for s in range(3) for t in range(b + 1, val.shape[1])]
    with tg.no_grad():
        logp = F.log_softmax(bengio(tg.tensor(np.stack([w for w, _ in rows]))), dim=-1).numpy()
    ref = -np.mean(logp[np.arange(len(rows)), [y for _, y in rows]]) / np.log(2)
    assert lm.bengio_bpc(bengio, val, batch=20) == pytest.approx(ref, rel=1e-5)


def test_number_words(s2s):
    cases = {0: "zero", 7: "seven", 13: "thirteen", 40: "forty", 105: "one hundred five",
             12000: "twelve thousand", 342006: "three hundred forty two thousand six",
             999999: "nine hundred ninety nine thousand nine hundred ninety nine"}
    for n, words in cases.items():
        assert " ".join(s2s.number_words(n)) == words
    tg.manual_seed(3)
    nums = s2s.draw_numbers(500)
    assert len(set(nums)) == 500 and all(0 <= n < 10 ** 6 for n in nums)


def test_seq2seq_smoke(s2s, tmp_path):
    args = s2s.build_parser().parse_args([
        "--limit", "400", "--test-size", "60", "--epochs", "2", "--hidden", "32", "--embed", "16",
        "--batch", "32", "--examples", "2", "--out", str(tmp_path)])
    s2s.common.setup(args)
    r = s2s.run(args)

    for key in ("attention_exact_match", "no_attention_exact_match"):
        assert 0.0 <= r[key] <= 1.0
    for name in ("attention", "no_attention"):
        hist = r[name]
        assert len(hist["accuracy"]) == 2 and len(hist["decoded"]) == 60
        assert all(math.isfinite(x) for x in hist["train_loss"]) and _falls(hist["train_loss"])
    w = np.asarray(r["attention_weights"])
    n_words = len(s2s.number_words(r["heatmap_example"]))
    assert w.shape[1] == n_words and np.all(w >= 0)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-5)       # each output step's weights sum to 1
    for path in r["checkpoints"]:
        state = tg.load(path)
        assert "model" in state and "optimizer" in state and 0.0 <= state["exact_match"] <= 1.0
    if HAS_MATPLOTLIB:
        assert r["plot"] is not None and Path(r["plot"]).stat().st_size > 0
