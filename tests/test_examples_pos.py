"""Smoke test of examples/pos_tagger.py: a tiny end-to-end run (150 sentences, two epochs) and its parts."""
import importlib.util
import math

import numpy as np
import pytest

import tinygradnb as tg
from examples_loader import load_example

SMALL = ["--limit", "150", "--epochs", "2", "--hidden", "32", "--word-dim", "32", "--batch-size", "16"]


@pytest.fixture(scope="module")
def pos_tagger():
    return load_example("pos_tagger")


def test_word_features(pos_tagger):
    assert pos_tagger.shape("McDonald's") == "XxXx'x"
    assert pos_tagger.shape("1,000") == "d,d"
    assert pos_tagger.shape("e-mail") == "x-x"
    assert pos_tagger.normalize("Year-2023") == "year-0000"
    assert pos_tagger.suffix("Running", 3) == "ing" and pos_tagger.suffix("a", 2) == "<short>"


def test_bucket_batches_cover_every_sentence_once(pos_tagger):
    tg.manual_seed(0)
    lengths = np.array([5, 1, 9, 3, 3, 7, 2, 8, 4, 6, 10])
    for shuffle in (False, True):
        batches = pos_tagger.bucket_batches(lengths, 3, shuffle=shuffle, pool=2)
        assert sorted(np.concatenate(batches).tolist()) == list(range(len(lengths)))
        assert all(1 <= len(b) <= 3 for b in batches)
    assert lengths[pos_tagger.bucket_batches(lengths, 3, shuffle=False)[0]].tolist() == [10, 9, 8]


def test_most_frequent_tag_baseline(pos_tagger):
    base = pos_tagger.MostFrequentTag([[("the", "DET"), ("run", "NOUN")], [("run", "VERB"), ("run", "VERB")],
                                       [("dogs", "NOUN"), ("run", "VERB")]])
    # "run": VERB 3 times, NOUN once; unseen words get the overall most frequent tag (VERB 3 of 6 tokens)
    assert base(["run", "the", "unseen"]) == ["VERB", "DET", "VERB"]


def test_word_dropout_only_replaces_known_words(pos_tagger):
    tg.manual_seed(0)
    sents = [[("the", "DET"), ("cat", "NOUN")] * 3, [("a", "DET"), ("zebra", "NOUN")]]
    features = pos_tagger.Features.build(sents, min_freq=1)
    items = [features.encode(s) for s in sents]
    kept, _, _ = pos_tagger.collate(items)
    dropped, labels, lengths = pos_tagger.collate(items, features, word_dropout=1e6)  # p ≈ 1 for every word
    unk, pad = features.words.unk_index, features.words.pad_index
    w = kept[0].numpy()
    assert lengths.tolist() == [6, 2] and labels.numpy()[1, 2:].tolist() == [pos_tagger.IGNORE] * 4
    assert (dropped[0].numpy() == np.where(w == pad, pad, unk)).all()
    for k in range(1, len(kept)):  # suffix and shape features are never dropped
        np.testing.assert_array_equal(dropped[k].numpy(), kept[k].numpy())


def test_smoke_run_end_to_end(pos_tagger, tmp_path, capsys):
    res = pos_tagger.run(pos_tagger.parse_args(SMALL + ["--out", str(tmp_path)]))
    out = capsys.readouterr().out
    assert "most-frequent-tag" in out and "test OOV accuracy" in out

    for key in ("dev_acc", "test_acc", "test_oov_acc", "baseline_dev_acc", "baseline_test_acc",
                "baseline_test_oov_acc"):
        assert 0.0 <= res[key] <= 1.0, (key, res[key])
    assert res["baseline_test_acc"] > 0.5  # 150 sentences already give a useful most-frequent-tag baseline
    assert 0 < res["test_oov_tokens"] < res["test_tokens"]
    hist = res["history"]
    assert len(hist["train_loss"]) == 2 and len(hist["dev_acc"]) == 2 and len(hist["epoch_seconds"]) == 2
    assert all(math.isfinite(v) for v in hist["batch_loss"])
    assert hist["train_loss"][1] < hist["train_loss"][0]
    assert np.mean(hist["batch_loss"][-3:]) < np.mean(hist["batch_loss"][:3])
    assert res["best_epoch"] == 1 + int(np.argmax(hist["dev_acc"]))
    assert res["checkpoint"].exists()
    if importlib.util.find_spec("matplotlib") is not None:
        assert res["plot"] is not None and res["plot"].exists()

    # the checkpoint restores the vocabularies and the selected model: same predictions as the returned model
    state = tg.load(res["checkpoint"])
    features = pos_tagger.Features.from_state_dict(state["features"])
    assert features.tags.itos == res["features"].tags.itos and features.words.itos == res["features"].words.itos
    assert state["epoch"] == res["best_epoch"] and "optimizer" in state
    cfg = state["config"]
    model = pos_tagger.BiLSTMTagger(features, word_dim=cfg["word_dim"], hidden=cfg["hidden"], dropout=cfg["dropout"])
    model.load_state_dict(state["model"])
    data = [features.encode([("The", "DET"), ("dogs", "NOUN"), ("barked", "VERB"), (".", "PUNCT")])]
    np.testing.assert_array_equal(pos_tagger.predict(model, data)[0], pos_tagger.predict(res["model"], data)[0])


def test_main_returns_zero(pos_tagger, tmp_path):
    assert pos_tagger.main(["--limit", "20", "--epochs", "1", "--hidden", "8", "--word-dim", "8",
                            "--out", str(tmp_path)]) == 0
    assert (tmp_path / "pos_tagger.npz").exists()


def test_device_cuda_gives_a_clear_message(pos_tagger, tmp_path):
    if tg.cuda.is_available():
        pytest.skip("a CUDA device is available here (tests/cuda runs the tagger on it)")
    with pytest.raises(SystemExit) as e:
        pos_tagger.main(["--device", "cuda", "--limit", "10", "--epochs", "1", "--out", str(tmp_path)])
    assert "--device cuda" in str(e.value.code) and "use --device cpu" in str(e.value.code)
