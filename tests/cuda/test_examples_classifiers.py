"""examples/sentiment.py, examples/attention_classifier.py and examples/cnn_classifier.py with ``--device cuda``:
the same run as on the CPU, losses within float32 tolerance and the same predictions.

The scripts' validation and test splits are whole 300-sentence sets (``--limit`` cuts training only), too much for
the simulator, so these runs swap in a tiny split of short sentences (and, for the baseline, a two-λ grid of a few
epochs); everything else is the scripts' own ``run``."""
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from examples_loader import load_example

RTOL = dict(rtol=1e-4, atol=1e-6)


def tiny_split(sentiment, n_train=(5, 7), n_eval=(3, 3), max_tokens=6):
    """The scripts' split cut to sentences of at most ``max_tokens`` tokens, ``n_train`` = (negative, positive)
    of them for training and ``n_eval`` for validation and for test.

    The training labels are not balanced on purpose: at the logistic regression's start (w = 0, p = 1/2) the
    bias gradient of balanced labels is exactly 0 in exact arithmetic, float32 rounding leaves ~1e-9 on one
    device and 0 on the other (the order of the sum differs), and Adam's first step g/(|g| + 1e-8) turns that
    into a bias step of a good fraction of lr against none: a real difference, but not the float32 agreement
    these tests measure."""
    split = sentiment.load_split()
    for part, n in (("train", n_train), ("val", n_eval), ("test", n_eval)):
        s = split[part]
        keep = []
        for label in (0, 1):
            keep += [i for i, (t, y) in enumerate(zip(s["tokens"], s["labels"]))
                     if y == label and len(t) <= max_tokens][:n[label]]
        keep.sort()
        split[part] = {k: v[keep] if isinstance(v, np.ndarray) else [v[i] for i in keep] for k, v in s.items()}
    return split


def small(sentiment, monkeypatch):
    """Point ``sentiment`` (a module) at the tiny split and a quick BoW baseline."""
    split = tiny_split(sentiment)
    monkeypatch.setattr(sentiment, "load_split", lambda limit=None: split)
    monkeypatch.setattr(sentiment, "bow_baseline", partial(sentiment.bow_baseline, l2_grid=(0.0, 1e-3), epochs=4))


class Reads:
    """Counts the copies from a GPU to the host (``tinygradnb.device.read`` of a non-CPU device)."""

    def __init__(self, monkeypatch):
        from tinygradnb import device
        self.n, read = 0, device.read

        def counted(dev, a):
            self.n += dev != "cpu"
            return read(dev, a)
        monkeypatch.setattr(device, "read", counted)


def on_cuda(model):
    return all(p.device == "cuda" for p in model.parameters())


def test_sentiment_example_trains_on_cuda_like_on_cpu(tmp_path, monkeypatch):
    sentiment = load_example("sentiment")
    small(sentiment, monkeypatch)
    monkeypatch.setitem(sentiment.BAG, "embed_dim", 8)
    monkeypatch.setitem(sentiment.BAG, "hidden", 8)
    monkeypatch.setitem(sentiment.BAG, "batch_size", 6)
    monkeypatch.setitem(sentiment.LSTM, "embed_dim", 8)
    monkeypatch.setitem(sentiment.LSTM, "hidden", 4)
    monkeypatch.setitem(sentiment.LSTM, "batch_size", 6)
    argv = ["--epochs", "1", "--ensemble", "1"]
    runs = {}
    for device in ("cpu", "cuda"):
        args = sentiment.parse_args(argv + ["--device", device, "--out", str(tmp_path / device)])
        assert args.device == device
        runs[device] = sentiment.run(args)
    cpu, gpu = runs["cpu"], runs["cuda"]
    for key in ("bow", "bag", "lstm"):
        assert on_cuda(gpu["results"][key]["model"]), key
        for name, values in cpu["history"][key].items():
            np.testing.assert_allclose(gpu["history"][key][name], values, **RTOL, err_msg=f"{key} {name}")
    for key in ("bag", "lstm"):
        for part in ("val_proba", "test_proba"):
            np.testing.assert_allclose(gpu["results"][key][part], cpu["results"][key][part], **RTOL)
    assert gpu["val_acc"] == cpu["val_acc"] and gpu["test_acc"] == cpu["test_acc"]
    assert gpu["results"]["bow"]["l2"] == cpu["results"]["bow"]["l2"] and gpu["best"] == cpu["best"]
    assert [len(cpu["history"][k]["train_loss"]) for k in ("bow", "bag", "lstm")] == [4, 1, 1]
    table = {d: [row[:50] for row in sentiment.summary(runs[d]).splitlines()] for d in runs}  # less the times
    assert table["cuda"] == table["cpu"]
    for key in ("bow", "bag", "lstm"):  # the checkpoints written from the GPU hold the same weights
        a = sentiment.tg.load(tmp_path / "cpu" / f"sentiment_{key}.npz")["model"]
        b = sentiment.tg.load(tmp_path / "cuda" / f"sentiment_{key}.npz")["model"]
        assert a.keys() == b.keys()
        for name in a:
            np.testing.assert_allclose(np.asarray(b[name]), np.asarray(a[name]), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("variant", ["bag-linear", "lstm-last", "lstm-mean"])
def test_sentiment_model_variants_train_on_cuda_like_on_cpu(variant, monkeypatch):
    """The model settings the script does not use by default — the linear (fastText) bag, and the LSTM pooled by
    its final states or its mean — train the same on cuda, and a training step reads only its loss back."""
    sentiment = load_example("sentiment")
    tg = sentiment.tg
    split = tiny_split(sentiment, n_train=(3, 5), n_eval=(2, 2), max_tokens=5)
    epochs = 2 if variant == "bag-linear" else 1  # the LSTM is slow in the simulator
    vocab = sentiment.build_vocab(split["train"]["tokens"])
    data = sentiment.word_dataset(split, vocab)
    runs = {}
    for device in ("cpu", "cuda"):
        tg.manual_seed(0)
        if variant == "bag-linear":
            model = sentiment.EmbeddingBagMLP(len(vocab), 8, 0, 0.5, word_dropout=0.2)
        else:
            model = sentiment.LSTMClassifier(len(vocab), 6, 3, 0.5, pool=variant.split("-")[1])
        model.to(device)
        reads = Reads(monkeypatch)
        runs[device] = sentiment.train_classifier(variant, model, data, epochs, 3e-3, 1e-2, 4, 6,
                                                  clip=1.0 if variant != "bag-linear" else None)
        runs[device]["reads"] = reads.n
        runs[device]["proba"] = sentiment.predict_proba(model, data["test"])
        monkeypatch.undo()
    assert on_cuda(runs["cuda"]["model"])
    for name, values in runs["cpu"]["history"].items():
        np.testing.assert_allclose(runs["cuda"]["history"][name], values, **RTOL, err_msg=name)
    np.testing.assert_allclose(runs["cuda"]["proba"], runs["cpu"]["proba"], **RTOL)
    assert runs["cuda"]["test_acc"] == runs["cpu"]["test_acc"] and runs["cuda"]["epoch"] == runs["cpu"]["epoch"]
    # each step (2 per epoch) reads its loss, each epoch's validation and the final test read their predictions
    assert runs["cuda"]["reads"] == epochs * 2 + epochs + 1


def test_attention_classifier_example_trains_on_cuda_like_on_cpu(tmp_path, monkeypatch):
    attention = load_example("attention_classifier")
    small(attention.sentiment, monkeypatch)
    argv = ["--epochs", "1", "--d-model", "8", "--heads", "2", "--layers", "1", "--batch-size", "6"]
    runs = {}
    for device in ("cpu", "cuda"):
        args = attention.parse_args(argv + ["--device", device, "--out", str(tmp_path / device)])
        runs[device] = attention.run(args)
    cpu, gpu = runs["cpu"], runs["cuda"]
    assert on_cuda(gpu["transformer"]["model"]) and on_cuda(gpu["bow"]["model"])
    for name, values in cpu["history"].items():
        np.testing.assert_allclose(gpu["history"][name], values, **RTOL, err_msg=name)
    np.testing.assert_allclose(gpu["bow"]["history"]["train_loss"], cpu["bow"]["history"]["train_loss"], **RTOL)
    assert gpu["val_acc"] == cpu["val_acc"] and gpu["test_acc"] == cpu["test_acc"]
    a, b = cpu["attention"], gpu["attention"]
    assert b["index"] == a["index"] and b["tokens"] == a["tokens"]
    for wa, wb in zip(a["maps"], b["maps"]):
        np.testing.assert_allclose(wb, wa, **RTOL)
    np.testing.assert_allclose(b["p_positive"], a["p_positive"], **RTOL)
    a = attention.tg.load(tmp_path / "cpu" / "attention_classifier.npz")["model"]
    b = attention.tg.load(tmp_path / "cuda" / "attention_classifier.npz")["model"]
    assert a.keys() == b.keys()
    for name in a:
        wa, wb = np.array(a[name]), np.array(b[name])
        if name.endswith("self_attn.in_proj_bias"):
            # The key bias adds q·b_k to every score of a query, which the softmax ignores: its gradient is 0 up
            # to rounding, and Adam's g/(|g| + 1e-8) makes steps of up to lr out of that noise, differently on
            # each device. The rest agrees to float32 rounding.
            d = wa.size // 3
            assert np.all(np.abs(wb[d:2 * d] - wa[d:2 * d]) <= 2 * 1e-3)  # 2 steps of at most lr = 1e-3
            wa[d:2 * d] = wb[d:2 * d] = 0.0
        np.testing.assert_allclose(wb, wa, rtol=1e-4, atol=1e-5, err_msg=name)
    # the heat-map sentence is picked with the model on its device (here among training sentences: all known)
    sentiment = attention.sentiment
    split = sentiment.load_split()  # the tiny split
    train = {"test": sentiment.word_dataset(split, sentiment.build_vocab(split["train"]["tokens"]))["train"]}
    picked = {d: attention.pick_sentence(runs[d]["transformer"]["model"], train, min_len=1) for d in runs}
    assert picked["cuda"] == picked["cpu"]


def test_cnn_classifier_example_trains_on_cuda_like_on_cpu(tmp_path, monkeypatch):
    """examples/cnn_classifier.py: the Conv1d widths, the masked max over time and the head train the same on
    cuda; a training step reads only its loss back."""
    cnn = load_example("cnn_classifier")
    sentiment = cnn.sentiment
    small(sentiment, monkeypatch)
    reads, train = Reads(monkeypatch), sentiment.train_classifier

    def counted(*args, **kwargs):  # the reads of the CNN's training and scoring alone
        before = reads.n
        r = train(*args, **kwargs)
        r["reads"] = reads.n - before
        return r
    monkeypatch.setattr(sentiment, "train_classifier", counted)
    # widths 2 and 5: sentences of the tiny split are up to 6 tokens, some shorter than 5 (one masked window)
    argv = ["--epochs", "2", "--embed-dim", "8", "--filters", "3", "--widths", "2", "5", "--batch-size", "6"]
    runs = {}
    for device in ("cpu", "cuda"):
        args = cnn.parse_args(argv + ["--device", device, "--out", str(tmp_path / device)])
        runs[device] = cnn.run(args)
    cpu, gpu = runs["cpu"], runs["cuda"]
    assert on_cuda(gpu["cnn"]["model"]) and on_cuda(gpu["bow"]["model"])
    for name, values in cpu["history"].items():
        np.testing.assert_allclose(gpu["history"][name], values, **RTOL, err_msg=name)
    assert len(cpu["history"]["train_loss"]) == 2
    np.testing.assert_allclose(gpu["bow"]["history"]["train_loss"], cpu["bow"]["history"]["train_loss"], **RTOL)
    assert gpu["val_acc"] == cpu["val_acc"] and gpu["test_acc"] == cpu["test_acc"]
    assert gpu["cnn"]["epoch"] == cpu["cnn"]["epoch"]
    # 12 training sentences in batches of 6: 2 steps per epoch read their loss; validation per epoch and the
    # final test read their predictions
    assert cpu["cnn"]["reads"] == 0 and gpu["cnn"]["reads"] == 2 * 2 + 2 + 1
    for label in ("positive", "negative"):  # the strongest filters and their k-grams, found on the device
        for a, b in zip(cpu["ngrams"][label], gpu["ngrams"][label]):
            assert (b["filter"], b["ngram"]) == (a["filter"], a["ngram"])
            np.testing.assert_allclose(b["activation"], a["activation"], **RTOL)
    a = cnn.tg.load(tmp_path / "cpu" / "cnn_classifier.npz")["model"]
    b = cnn.tg.load(tmp_path / "cuda" / "cnn_classifier.npz")["model"]
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_allclose(np.asarray(b[name]), np.asarray(a[name]), rtol=1e-4, atol=1e-5, err_msg=name)
