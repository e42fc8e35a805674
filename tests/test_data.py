"""The text data layer: tokenisers, vocabulary, padding, seeded batches and splits."""
import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb.data import DataLoader, Vocab, pad_sequences, stratified_split, tokenize_chars, tokenize_words


def test_tokenizers():
    assert tokenize_words("Don't stop, it's GREAT!") == ["don't", "stop", ",", "it's", "great", "!"]
    assert tokenize_words("A b", lower=False) == ["A", "b"]
    assert tokenize_chars("ab c") == ["a", "b", " ", "c"]


def test_vocab_specials_frequency_cutoff_and_unknown():
    v = Vocab.build([["b", "a", "b"], ["c", "b", "a"]], min_freq=2)
    assert v.itos == ["<pad>", "<unk>", "b", "a"] and v.pad_index == 0 and v.unk_index == 1
    assert v.encode(["a", "zzz", "b"]) == [3, 1, 2] and v.decode([2, 3]) == ["b", "a"]
    assert "c" not in v and len(v) == 4
    assert Vocab.from_state_dict(v.state_dict()).itos == v.itos
    assert len(Vocab.build([list("aabbc")], max_size=3)) == 3
    with pytest.raises(KeyError):
        Vocab.build([["a"]], specials=())["b"]


def test_pad_sequences_lengths_and_mask():
    x, lengths, mask = pad_sequences([[5, 6, 7], [8], [9, 10]])
    assert x.tolist() == [[5, 6, 7], [8, 0, 0], [9, 10, 0]] and x.dtype == tg.int64
    assert lengths.tolist() == [3, 1, 2]
    assert mask.tolist() == [[True, True, True], [True, False, False], [True, True, False]]
    x, lengths, _ = pad_sequences([[1, 2, 3, 4]], pad_value=-1, max_len=2)
    assert x.tolist() == [[1, 2]] and lengths.tolist() == [2]


def test_dataloader_is_seeded_and_covers_every_item():
    data = list(range(10))
    tg.manual_seed(0)
    first = list(DataLoader(data, batch_size=4, shuffle=True))
    second = list(DataLoader(data, batch_size=4, shuffle=True))
    tg.manual_seed(0)
    again = list(DataLoader(data, batch_size=4, shuffle=True))
    assert first == again and first != second
    assert sorted(sum(first, [])) == data and [len(b) for b in first] == [4, 4, 2]
    assert len(DataLoader(data, 4, drop_last=True)) == 2 and list(DataLoader(data, 3))[0] == [0, 1, 2]
    batches = list(DataLoader(data, 5, collate_fn=lambda items: sum(items)))
    assert batches == [10, 35]


def test_stratified_split_keeps_label_shares():
    labels = np.array([0] * 50 + [1] * 150)
    tg.manual_seed(1)
    train, val, test = stratified_split(labels, (0.8, 0.1, 0.1))
    assert len(train) == 160 and len(val) == 20 and len(test) == 20
    assert set(train) | set(val) | set(test) == set(range(200)) and not set(train) & set(test)
    assert (labels[test] == 0).sum() == 5 and (labels[val] == 1).sum() == 15
    tg.manual_seed(1)
    assert np.array_equal(stratified_split(labels)[2], test)
    with pytest.raises(ValueError, match="sum to 1"):
        stratified_split(labels, (0.5, 0.2))
