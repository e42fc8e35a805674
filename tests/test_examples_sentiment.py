"""Smoke tests of examples/sentiment.py and examples/attention_classifier.py: a few seconds each on a small slice
of the training data (--limit), checking that a run ends with sane metrics, a falling training loss, a
checkpoint that loads back, and (with matplotlib) its plots."""

import numpy as np
import pytest

import tinygradnb as tg
from examples_loader import HAS_MATPLOTLIB, load_example

def test_sentiment_smoke(tmp_path):
    sentiment = load_example("sentiment")
    args = sentiment.parse_args(["--limit", "150", "--epochs", "3", "--ensemble", "2", "--out", str(tmp_path)])
    out = sentiment.run(args)

    assert out["sizes"] == {"train": 150, "val": 300, "test": 300}  # the limit cuts training data only
    assert set(out["test_acc"]) == {"bow", "bag", "lstm", "ensemble"}
    assert out["best"] in ("bag", "lstm", "ensemble")
    assert out["val_acc"][out["best"]] == max(out["val_acc"][k] for k in ("bag", "lstm", "ensemble"))
    assert [len(out["seed_test_acc"][k]) for k in ("bag", "lstm")] == [2, 2]
    assert out["seed_test_acc"]["bag"][0] == out["test_acc"]["bag"]
    for part in ("val_acc", "test_acc"):
        for acc in out[part].values():
            assert 0.0 <= acc <= 1.0
    assert out["majority"]["test"] == pytest.approx(0.5)  # the split is stratified: 150 of each label
    assert out["test_acc"]["bow"] > 0.55  # even 150 sentences teach the linear model something

    bow = out["history"]["bow"]["train_loss"]
    assert bow[-1] < 0.9 * bow[0]
    for key in ("bag", "lstm"):
        loss = out["history"][key]["train_loss"]
        assert 1 <= len(loss) <= 3 and all(np.isfinite(loss))
        assert loss[-1] < loss[0], (key, loss)
        assert len(out["history"][key]["val_acc"]) == len(loss)

    for key in ("bow", "bag", "lstm"):
        ckpt = tg.load(tmp_path / f"sentiment_{key}.npz")
        assert ckpt["test_acc"] == out["test_acc"][key] and "optimizer" in ckpt
        model = out["results"][key]["model"]
        model.load_state_dict(ckpt["model"])  # the saved weights fit the model they came from
        if key != "bow":
            assert [m["seed"] for m in ckpt["other_seeds"]] == [1]
            model.load_state_dict(ckpt["other_seeds"][0]["model"])
    if HAS_MATPLOTLIB:
        assert (tmp_path / "sentiment.png").stat().st_size > 0

    text = sentiment.summary(out)
    assert "BoW logistic regression" in text and "BiLSTM" in text and "target" in text


def test_sentiment_split_is_fixed_and_stratified():
    sentiment = load_example("sentiment")
    tg.manual_seed(123)
    a = sentiment.load_split()
    after = tg.random.get_rng_state()
    tg.manual_seed(7)
    b = sentiment.load_split()
    assert a["test"]["text"] == b["test"]["text"]  # --seed never moves the split
    assert after == {"seed": 123, "offset": 0}  # and the split leaves the caller's stream alone
    sizes = {p: len(a[p]["labels"]) for p in a}
    assert sizes == {"train": 2400, "val": 300, "test": 300}
    index = {p: set(a[p]["index"].tolist()) for p in a}
    assert not index["train"] & index["val"] and not index["train"] & index["test"] and not index["val"] & index["test"]
    for part, n in sizes.items():
        pairs = list(zip(a[part]["sources"], a[part]["labels"]))
        for source in ("amazon", "imdb", "yelp"):
            for label in (0, 1):
                assert pairs.count((source, label)) == n // 6


def test_attention_classifier_smoke(tmp_path):
    attention = load_example("attention_classifier")
    args = attention.parse_args(["--limit", "150", "--epochs", "3", "--out", str(tmp_path)])
    out = attention.run(args)

    assert set(out["test_acc"]) == {"majority", "bow", "transformer"}
    for part in ("val_acc", "test_acc"):
        for acc in out[part].values():
            assert 0.0 <= acc <= 1.0
    loss = out["history"]["train_loss"]
    assert 1 <= len(loss) <= 3 and all(np.isfinite(loss)) and loss[-1] < loss[0], loss

    rep = out["attention"]
    n = len(rep["tokens"])
    assert len(rep["maps"]) == args.layers
    for w in rep["maps"]:
        assert w.shape == (args.heads, n, n)
        np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-5)  # each query's weights are a distribution
    assert rep["received"].shape == (n,) and rep["received"].sum() == pytest.approx(1.0, rel=1e-5)

    ckpt = tg.load(tmp_path / "attention_classifier.npz")
    assert ckpt["test_acc"] == out["test_acc"]["transformer"]
    if HAS_MATPLOTLIB:
        assert (tmp_path / "attention_heatmap.png").stat().st_size > 0
        assert (tmp_path / "attention_training.png").stat().st_size > 0
    assert "what does the model attend to" in attention.summary(out)


def test_attention_maps_match_the_model_and_ignore_padding():
    attention = load_example("attention_classifier")
    sentiment = load_example("sentiment")
    tg.manual_seed(0)
    model = attention.TransformerClassifier(40, d_model=16, nhead=2, num_layers=2, dim_feedforward=32)
    model.eval()
    x, lengths, mask, _ = sentiment.collate([([2, 3, 4, 5], 1), ([6, 7], 0)])
    with tg.no_grad():
        logits = model(x, lengths, mask).numpy()
        again, maps = model.attention_maps(x, lengths, mask)
        alone = model(*sentiment.collate([([6, 7], 0)])[:3]).numpy()
    np.testing.assert_allclose(again.numpy(), logits, atol=1e-6)
    np.testing.assert_allclose(alone[0], logits[1], atol=1e-5)  # padding changes nothing
    for w in maps:
        assert w.shape == (2, 2, 4, 4) and np.all(w[1, :, :, 2:] == 0.0)  # no weight on padded keys


@pytest.mark.parametrize("name", ["sentiment", "attention_classifier"])
def test_device_cuda_without_a_gpu_stops_clearly(name, tmp_path):
    if tg.cuda.is_available():
        pytest.skip("a CUDA device is available here (tests/cuda runs these scripts on it)")
    module = load_example(name)
    with pytest.raises(SystemExit) as exc:
        module.main(["--device", "cuda", "--out", str(tmp_path)])
    assert "no CUDA device here" in str(exc.value.code) and "use --device cpu" in str(exc.value.code)
