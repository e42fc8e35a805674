"""Loaders for the text data in ``examples/data`` (sources and licenses: ``examples/data/SOURCES.md``)."""
import csv
import gzip
import io
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def _open(name):
    return io.TextIOWrapper(gzip.open(DATA / name), encoding="utf-8")


def load_sentiment():
    """The 3,000 UCI sentiment sentences as (source, label, text) triples; label 1 is positive."""
    with _open("uci_sentiment_sentences.tsv.gz") as f:
        rows = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(r["source"], int(r["label"]), r["text"]) for r in rows]


def load_pos(split):
    """UD English-EWT sentences of ``split`` ('train', 'dev' or 'test') as lists of (word, UPOS tag) pairs."""
    if split not in ("train", "dev", "test"):
        raise ValueError(f"split: expected 'train', 'dev' or 'test', got {split!r}")
    sentences, current = [], []
    with _open(f"en_ewt_upos_{split}.tsv.gz") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                if current:
                    sentences.append(current)
                current = []
                continue
            word, tag = line.split("\t")
            current.append((word, tag))
    if current:
        sentences.append(current)
    return sentences


def load_shakespeare():
    """Shakespeare's works as a dict from title to text, in the file's order."""
    works, title, lines = {}, None, []
    with _open("shakespeare_works.txt.gz") as f:
        for line in f:
            if line.startswith("=== ") and line.rstrip().endswith(" ==="):
                if title is not None:
                    works[title] = "".join(lines)
                title, lines = line.strip()[4:-4], []
            else:
                lines.append(line)
    if title is not None:
        works[title] = "".join(lines)
    return works
