"""Smoke test of examples/cnn_classifier.py (a few seconds on a small slice of the training data, --limit), and
checks of its model: the forward pass equals a NumPy computation of Kim's equations, and padding never changes a
sentence's logits (padded windows never win the max over time)."""

import numpy as np
import pytest

import tinygradnb as tg
from examples_loader import HAS_MATPLOTLIB, load_example


def test_cnn_classifier_smoke(tmp_path):
    cnn = load_example("cnn_classifier")
    args = cnn.parse_args(["--limit", "150", "--epochs", "3", "--filters", "20", "--embed-dim", "32",
                           "--out", str(tmp_path)])
    out = cnn.run(args)

    assert out["sizes"] == {"train": 150, "val": 300, "test": 300}  # the limit cuts training data only
    assert set(out["test_acc"]) == {"majority", "bow", "cnn"}
    for part in ("val_acc", "test_acc"):
        for acc in out[part].values():
            assert 0.0 <= acc <= 1.0
    assert out["majority"]["test"] == pytest.approx(0.5)
    h = out["history"]
    loss = h["train_loss"]
    assert 1 <= len(loss) <= 3 and all(np.isfinite(loss)) and loss[-1] < loss[0], loss
    assert len(h["val_acc"]) == len(h["val_loss"]) == len(loss)
    res = out["cnn"]
    assert res["val_acc"] == max(h["val_acc"]) == h["val_acc"][res["epoch"] - 1]  # the kept epoch is the best

    ckpt = tg.load(tmp_path / "cnn_classifier.npz")
    assert ckpt["test_acc"] == out["test_acc"]["cnn"] and ckpt["best_epoch"] == res["epoch"]
    assert ckpt["config"]["widths"] == [3, 4, 5] and "optimizer" in ckpt
    fresh = cnn.CNNClassifier(np.asarray(ckpt["model"]["embedding.weight"]).shape[0], 32, (3, 4, 5), 20)
    fresh.load_state_dict(ckpt["model"])  # the saved weights fit a model built from the saved config
    if HAS_MATPLOTLIB:
        assert (tmp_path / "cnn_training.png").stat().st_size > 0

    for label in ("positive", "negative"):  # each shown k-gram has its filter's width (or is a shorter sentence)
        rows = out["ngrams"][label]
        assert len(rows) == 3
        for r in rows:
            assert 1 <= len(r["ngram"].split()) <= r["width"] and r["activation"] >= 0.0
    assert all(r["weight"] > 0 for r in out["ngrams"]["positive"])
    assert all(r["weight"] < 0 for r in out["ngrams"]["negative"])
    text = cnn.summary(out)
    assert "BoW logistic regression" in text and "CNN (widths 3,4,5 × 20)" in text


def _reference_features(model, ids, length=None):
    """ĉ_f = ReLU(max_t (b_f + Σ_j W_f[:, j] · E[w_{t+j}])) of one sentence, in float64 NumPy, over the windows
    that end inside it (a sentence shorter than a filter is followed by zero vectors: its one window at t = 0);
    ``length``: over every window of the sentence padded with zero vectors to that length (no mask)."""
    e = model.embedding.weight.numpy().astype(np.float64)[ids]  # (n, d)
    feats = []
    for conv, k in zip(model.convs, model.widths):
        w, b = conv.weight.numpy().astype(np.float64), conv.bias.numpy().astype(np.float64)
        x = np.concatenate([e, np.zeros((max(k, length or 0) - len(ids), e.shape[1]))]) if \
            max(k, length or 0) > len(ids) else e
        c = [b + np.einsum("fcj,jc->f", w, x[t:t + k]) for t in range(len(x) - k + 1)]
        feats.append(np.maximum(np.max(c, axis=0), 0.0))
    return np.concatenate(feats)


def test_cnn_forward_matches_the_equations_and_ignores_padding():
    cnn = load_example("cnn_classifier")
    sentiment = load_example("sentiment")
    tg.manual_seed(0)
    model = cnn.CNNClassifier(30, embed_dim=6, widths=(2, 4), filters=5)
    with tg.no_grad():  # a window of padding (zero vectors) answers b_f: raise it above most real windows
        for conv in model.convs:
            conv.bias.copy_(conv.bias + 0.3)
    model.eval()
    sentences = [[2, 3, 4, 5, 6, 7, 8], [9, 10, 11], [12]]  # 7 tokens, 3 (< width 4), 1 (< both widths)
    x, lengths, mask, _ = sentiment.collate([(s, 0) for s in sentences])
    with tg.no_grad():
        z, where = model.features(x, lengths)
        logits = model(x, lengths, mask).numpy()
    z = z.numpy()
    assert z.shape == (3, 10) and np.all(z > 0)
    differs = False
    for i, ids in enumerate(sentences):
        np.testing.assert_allclose(z[i], _reference_features(model, ids), rtol=1e-5, atol=1e-6)
        # without the mask the padded windows would win for some filters of the short sentences
        differs |= not np.allclose(z[i], _reference_features(model, ids, length=7), rtol=1e-5, atol=1e-6)
        for at, k in zip(where, model.widths):  # the best window starts inside the sentence
            assert np.all(at.numpy()[i] <= max(len(ids) - k, 0))
        with tg.no_grad():
            alone = model(*sentiment.collate([(ids, 0)])[:3]).numpy()
        np.testing.assert_allclose(alone[0], logits[i], rtol=1e-5, atol=1e-6)  # padding changes nothing
    assert differs


def test_cnn_device_cuda_without_a_gpu_stops_clearly(tmp_path):
    if tg.cuda.is_available():
        pytest.skip("a CUDA device is available here (tests/cuda runs this script on it)")
    cnn = load_example("cnn_classifier")
    with pytest.raises(SystemExit) as exc:
        cnn.main(["--device", "cuda", "--out", str(tmp_path)])
    assert "no CUDA device here" in str(exc.value.code) and "use --device cpu" in str(exc.value.code)
