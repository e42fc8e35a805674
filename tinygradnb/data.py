"""Text data helpers: tokenisation, a vocabulary, padding with lengths and masks, seeded mini-batches, splits.

Everything random here draws from the library's stream (``tinygradnb.manual_seed``), so a seed fixes the
shuffles and splits as it fixes the weights.
"""
import re
from collections import Counter

import numpy as np

from . import random as _random
from .creation import tensor
from .tensor import int64

_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?|[^\sA-Za-z0-9]")


def tokenize_words(text, lower=True):
    """Words, numbers and single punctuation marks: ``"Don't stop!"`` → ``["don't", "stop", "!"]``."""
    return _WORD.findall(text.lower() if lower else text)


def tokenize_chars(text):
    """The characters of ``text``."""
    return list(text)


class Vocab:
    """A token ↔ index table. The specials come first (``<pad>`` = 0, ``<unk>`` = 1 by default); other tokens
    follow by descending frequency (ties in first-seen order), kept if they occur at least ``min_freq`` times,
    at most ``max_size`` entries in all. Unknown tokens map to ``<unk>``."""

    def __init__(self, itos, pad="<pad>", unk="<unk>"):
        self.itos = list(itos)
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("Vocab: tokens must be unique")
        self.pad, self.unk = pad, unk
        self.pad_index = self.stoi.get(pad)
        self.unk_index = self.stoi.get(unk)

    @classmethod
    def build(cls, token_lists, min_freq=1, max_size=None, specials=("<pad>", "<unk>")):
        """A vocabulary of the tokens in ``token_lists`` (an iterable of token sequences)."""
        if min_freq < 1:
            raise ValueError(f"Vocab.build: min_freq must be >= 1, got {min_freq}")
        counts = Counter()
        for tokens in token_lists:
            counts.update(tokens)
        itos = list(specials)
        for tok, c in counts.most_common():
            if c < min_freq or (max_size is not None and len(itos) >= max_size):
                break
            if tok not in itos:
                itos.append(tok)
        pad = "<pad>" if "<pad>" in specials else None
        unk = "<unk>" if "<unk>" in specials else None
        return cls(itos, pad=pad, unk=unk)

    def __len__(self):
        return len(self.itos)

    def __contains__(self, token):
        return token in self.stoi

    def __getitem__(self, token):
        i = self.stoi.get(token, self.unk_index)
        if i is None:
            raise KeyError(f"Vocab: {token!r} is not in the vocabulary and there is no unknown token")
        return i

    def encode(self, tokens):
        """The indices of ``tokens``."""
        return [self[t] for t in tokens]

    def decode(self, indices):
        """The tokens of ``indices``."""
        return [self.itos[int(i)] for i in indices]

    def state_dict(self):
        return {"itos": list(self.itos), "pad": self.pad, "unk": self.unk}

    @classmethod
    def from_state_dict(cls, state):
        return cls(state["itos"], pad=state["pad"], unk=state["unk"])


def pad_sequences(seqs, pad_value=0, max_len=None, dtype=int64, device=None):
    """Pad index sequences into one (B, T) tensor, T the longest length (or ``max_len``, truncating).

    Returns ``(padded, lengths, mask)``: ``lengths`` (B,) int64 and ``mask`` (B, T) bool, True on real tokens.
    """
    seqs = [list(s) for s in seqs]
    if not seqs:
        raise ValueError("pad_sequences: expected at least one sequence")
    lengths = np.array([len(s) if max_len is None else min(len(s), max_len) for s in seqs], dtype=np.int64)
    t = int(lengths.max()) if max_len is None else int(max_len)
    out = np.full((len(seqs), t), pad_value, dtype=dtype)
    for i, s in enumerate(seqs):
        out[i, :lengths[i]] = s[:lengths[i]]
    mask = np.arange(t)[None, :] < lengths[:, None]
    return tensor(out, device=device), tensor(lengths, device=device), tensor(mask, device=device)


def permutation(n):
    """A random permutation of range(n) from the library's seeded stream."""
    seed, offset = _random.draw(n)
    return np.random.default_rng([seed, offset]).permutation(n)


class DataLoader:
    """Mini-batches of a sequence ``dataset``: each epoch (each ``iter()``) yields ``collate_fn(items)`` for
    consecutive chunks of ``batch_size`` items, reshuffled every epoch from the seeded stream when ``shuffle``.
    Without ``collate_fn`` a batch is the list of items."""

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, collate_fn=None):
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be >= 1, got {batch_size}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self.collate_fn = collate_fn or (lambda items: items)

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            if self.drop_last and len(idx) < self.batch_size:
                return
            yield self.collate_fn([self.dataset[int(i)] for i in idx])


def stratified_split(labels, fractions=(0.8, 0.1, 0.1)):
    """Index arrays splitting samples by ``fractions`` while keeping each label's share in every part; the
    shuffle comes from the seeded stream."""
    labels = np.asarray(labels)
    if abs(sum(fractions) - 1.0) > 1e-9 or any(f < 0 for f in fractions):
        raise ValueError(f"stratified_split: fractions must be non-negative and sum to 1, got {fractions}")
    parts = [[] for _ in fractions]
    for value in np.unique(labels):
        idx = np.flatnonzero(labels == value)
        idx = idx[permutation(len(idx))]
        bounds = np.round(np.cumsum((0,) + tuple(fractions)) * len(idx)).astype(int)
        for k in range(len(fractions)):
            parts[k].extend(idx[bounds[k]:bounds[k + 1]].tolist())
    return [np.array(sorted(p), dtype=np.int64) for p in parts]
