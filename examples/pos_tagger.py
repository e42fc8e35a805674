"""Tag English words with their part of speech: a BiLSTM sequence labeller on UD English-EWT, with tinygradnb.

    python examples/pos_tagger.py [--epochs 12] [--lr 0.002] [--batch-size 32] [--hidden 128] [--limit N]

Sequence labelling (the lecture's "Sequence labeling — BiLSTM — tag per token"): every word x_t gets one of the
17 universal POS tags, and the right tag depends on the context ("I *book* a flight" vs "a good *book*"). Each
word is represented by the concatenation of

* a word embedding learned from scratch (lowercased, digits → 0; vocabulary = train words seen ≥ 2 times);
  during training a word is replaced by <unk> with probability α/(α + count(w)) ("word dropout"), so the model
  also learns what to do with words it has never seen;
* features that still say something about unknown words: embeddings of its last 1, 2 and 3 characters
  (-s, -ed, -ly, -ing, -ion, …) and of its shape (Xxxx, xxxx, XX, d.d, x-x, … — capitalisation, digits,
  hyphens, punctuation).

A bidirectional LSTM reads the sentence both ways, h_t = [h→_t; h←_t], so every position sees the whole sentence;
a linear layer maps h_t to 17 tag scores and training minimises the token-level cross-entropy (padding ignored)
with Adam and gradient-norm clipping. Batches hold sentences of similar length (bucketing) to keep padding low.
The epoch with the best dev accuracy is kept (model selection on dev) and evaluated once on test.

Prints dev/test token accuracy and the accuracy on test words never seen in training (OOV), next to the
most-frequent-tag baseline (each word's most frequent train tag; unseen words get the most frequent tag overall)
computed in the same run. Writes ``pos_tagger.npz`` (model, optimizer, vocabularies) and ``pos_tagger.png``
(loss, dev accuracy, per-tag test accuracy) into ``--out``. ``--limit N`` trains on the first N training
sentences and evaluates on the first N dev/test sentences (smoke tests).

The default run (12 epochs) took 5.6 min on a shared 2-core CPU, about 26 s per epoch: dev 94.9 %, test 95.2 %
(80.6 % on the 9 % of test tokens unseen in train), against 86.1 % / 86.2 % (30.8 % OOV) for the baseline.
"""
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

# tinygradnb before NumPy: importing it shortens the time OpenBLAS's idle threads spin, which OpenBLAS reads
# when NumPy loads it, so that BLAS's threads and the kernels' threads take turns on the cores (README, Threads).
import tinygradnb as tg
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from datasets import load_pos

from tinygradnb import nn, optim
from tinygradnb.data import Vocab, pad_sequences, permutation
from tinygradnb.utils import clip_grad_norm_

IGNORE = -100  # the label of padded positions, ignored by the loss
SUFFIXES = (1, 2, 3)  # lengths of the suffix features
UPOS = ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT",
        "SCONJ", "SYM", "VERB", "X")  # the 17 universal POS tags (fixed, so a small --limit slice has them all)
_DIGIT = re.compile(r"[0-9]")


# ----------------------------------------------------------------------------- features
def normalize(word):
    """The form the word embedding sees: lowercased, every digit → 0 (so 1984 and 2023 share a row)."""
    return _DIGIT.sub("0", word.lower())


def shape(word):
    """The word's shape: uppercase → X, lowercase → x, digit → d, other characters kept, runs collapsed
    ("McDonald's" → "XxXx'x", "1,000" → "d,d", "e-mail" → "x-x"); long shapes are cut to 6 symbols."""
    out = []
    for ch in word:
        c = "X" if ch.isupper() else "x" if ch.islower() else "d" if ch.isdigit() else ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out[:6])


def suffix(word, k):
    w = normalize(word)
    return w[-k:] if len(w) >= k else "<short>"


class Features:
    """Vocabularies of words, suffixes, shapes and tags built from the training sentences, and the encoding
    of a sentence as an int array (L, 2 + len(SUFFIXES)) of [word, suffix1, suffix2, suffix3, shape] indices."""

    def __init__(self, words, suffixes, shapes, tags, word_counts=None):
        self.words, self.suffixes, self.shapes, self.tags = words, suffixes, shapes, tags
        counts = np.zeros(len(words), dtype=np.float64)
        for w, c in (word_counts or {}).items():
            if w in words:
                counts[words[w]] = c
        self.word_counts = counts  # train frequency of every vocabulary row (for word dropout)

    @classmethod
    def build(cls, sentences, min_freq=2, suffix_min_freq=2):
        words = [[normalize(w) for w, _ in s] for s in sentences]
        word_vocab = Vocab.build(words, min_freq=min_freq)
        suffix_vocabs = [Vocab.build([[suffix(w, k) for w, _ in s] for s in sentences], min_freq=suffix_min_freq)
                         for k in SUFFIXES]
        shape_vocab = Vocab.build([[shape(w) for w, _ in s] for s in sentences], min_freq=suffix_min_freq)
        tag_vocab = Vocab(UPOS, pad=None, unk=None)
        counts = Counter(w for s in words for w in s)
        return cls(word_vocab, suffix_vocabs, shape_vocab, tag_vocab, counts)

    def state_dict(self):
        return {"words": self.words.state_dict(), "suffixes": [v.state_dict() for v in self.suffixes],
                "shapes": self.shapes.state_dict(), "tags": self.tags.state_dict(),
                "word_counts": self.word_counts}

    @classmethod
    def from_state_dict(cls, state):
        f = cls(Vocab.from_state_dict(state["words"]), [Vocab.from_state_dict(s) for s in state["suffixes"]],
                Vocab.from_state_dict(state["shapes"]), Vocab.from_state_dict(state["tags"]))
        f.word_counts = np.asarray(state["word_counts"], dtype=np.float64)
        return f

    def encode_words(self, sentence_words):
        cols = [[self.words[normalize(w)] for w in sentence_words]]
        cols += [[v[suffix(w, k)] for w in sentence_words] for k, v in zip(SUFFIXES, self.suffixes)]
        cols += [[self.shapes[shape(w)] for w in sentence_words]]
        return np.array(cols, dtype=np.int64).T  # (L, 5)

    def encode(self, sentence):
        x = self.encode_words([w for w, _ in sentence])
        y = np.array([self.tags[t] for _, t in sentence], dtype=np.int64)
        return x, y


# ----------------------------------------------------------------------------- batches
def bucket_batches(lengths, batch_size, shuffle, pool=50):
    """Lists of sentence indices, each a batch of sentences of similar length: with ``shuffle`` the sentences
    are shuffled, cut into pools of ``pool`` batches, sorted by length inside each pool and the batches of all
    pools shuffled again (random batches, little padding); without it, sorted by length."""
    lengths = np.asarray(lengths)
    n = len(lengths)
    if not shuffle:
        order = np.argsort(-lengths, kind="stable")
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]
    order = permutation(n)
    batches = []
    span = batch_size * pool
    for start in range(0, n, span):
        chunk = order[start:start + span]
        chunk = chunk[np.argsort(-lengths[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in permutation(len(batches))]


def collate(items, features=None, word_dropout=0.0, device="cpu"):
    """Pad a list of (x (L, 5), y (L,)) into feature tensors (B, T) each, labels (B, T) (IGNORE at padding)
    and lengths (B,), the features and labels on ``device``. With ``word_dropout`` α > 0 each word index is
    replaced by <unk> with probability α/(α + train count), drawn from the library's seeded stream."""
    xs = [x for x, _ in items]
    padded = [pad_sequences([x[:, k] for x in xs])[0].numpy() for k in range(xs[0].shape[1])]
    labels, lengths, _ = pad_sequences([y for _, y in items], pad_value=IGNORE)
    if word_dropout > 0:
        w = padded[0]
        p = word_dropout / (word_dropout + features.word_counts[w])
        drop = (tg.rand(*w.shape).numpy() < p) & (w > features.words.unk_index)
        padded[0] = np.where(drop, features.words.unk_index, w)
    return [tg.tensor(a, device=device) for a in padded], labels.to(device), lengths


# ----------------------------------------------------------------------------- model
class BiLSTMTagger(nn.Module):
    """[word emb; suffix embs; shape emb] → dropout → BiLSTM → dropout → Linear → tag scores."""

    def __init__(self, features, word_dim=100, suffix_dim=(16, 24, 32), shape_dim=16, hidden=128, dropout=0.25):
        super().__init__()
        self.word_emb = nn.Embedding(len(features.words), word_dim, padding_idx=0)
        self.suffix_embs = nn.ModuleList([nn.Embedding(len(v), d, padding_idx=0)
                                          for v, d in zip(features.suffixes, suffix_dim)])
        self.shape_emb = nn.Embedding(len(features.shapes), shape_dim, padding_idx=0)
        with tg.no_grad():  # N(0, 0.1²) instead of N(0, 1): inputs on the scale of the LSTM's weights
            for emb in [self.word_emb, *self.suffix_embs, self.shape_emb]:
                emb.weight *= 0.1
        dim = word_dim + sum(suffix_dim) + shape_dim
        self.drop = nn.Dropout(dropout)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, len(features.tags))

    def forward(self, feats, lengths):
        word, *sufs, shp = feats
        parts = [self.word_emb(word)] + [e(s) for e, s in zip(self.suffix_embs, sufs)] + [self.shape_emb(shp)]
        x = self.drop(tg.concat(parts, axis=2))
        h, _ = self.lstm(x, lengths=lengths)  # (B, T, 2H), zeros at padded steps
        return self.out(self.drop(h))  # (B, T, tags)


# ----------------------------------------------------------------------------- evaluation
def predict(model, data, batch_size=64):
    """Predicted tag indices for every sentence of ``data`` (a list of (x, y)), in evaluation mode."""
    was_training = model.training
    model.eval()
    preds = [None] * len(data)
    device = next(iter(model.parameters())).device
    with tg.no_grad():
        for idx in bucket_batches([len(y) for _, y in data], batch_size, shuffle=False):
            feats, _, lengths = collate([data[i] for i in idx], device=device)
            tags = model(feats, lengths).argmax(dim=2).numpy()
            for row, i in enumerate(idx):
                preds[i] = tags[row, :len(data[i][1])]
    model.train(was_training)
    return preds


def accuracy(gold, pred, mask=None):
    """Token accuracy of flat arrays (over the tokens where ``mask`` is True); NaN when there are none."""
    ok = gold == pred
    if mask is not None:
        ok = ok[mask]
    return float(ok.mean()) if ok.size else float("nan")


class MostFrequentTag:
    """The baseline: each word form's most frequent train tag; words never seen in train get the tag that is
    most frequent overall."""

    def __init__(self, sentences):
        counts, overall = defaultdict(Counter), Counter()
        for s in sentences:
            for w, t in s:
                counts[w][t] += 1
                overall[t] += 1
        self.best = {w: c.most_common(1)[0][0] for w, c in counts.items()}
        self.default = overall.most_common(1)[0][0]

    def __call__(self, words):
        return [self.best.get(w, self.default) for w in words]


# ----------------------------------------------------------------------------- training
def snapshot(state):
    """A deep copy of a (model or optimizer) state dict with every tensor as a NumPy array of its own."""
    if isinstance(state, tg.Tensor):
        return state.numpy().copy()
    if isinstance(state, dict):
        return type(state)((k, snapshot(v)) for k, v in state.items())
    if isinstance(state, (list, tuple)):
        return type(state)(snapshot(v) for v in state)
    return state


def run(args):
    """Train, select on dev, evaluate on test; returns a dict of metrics, histories and output paths."""
    device = common.setup(args, cuda=True)
    train_s, dev_s, test_s = load_pos("train"), load_pos("dev"), load_pos("test")
    if args.limit is not None:
        train_s, dev_s, test_s = train_s[:args.limit], dev_s[:args.limit], test_s[:args.limit]
    print(f"UD English-EWT: {len(train_s)} train / {len(dev_s)} dev / {len(test_s)} test sentences "
          f"({sum(map(len, train_s))} / {sum(map(len, dev_s))} / {sum(map(len, test_s))} tokens), device {device}")

    features = Features.build(train_s, min_freq=args.min_freq)
    train, dev, test = ([features.encode(s) for s in split] for split in (train_s, dev_s, test_s))
    print(f"vocabularies: {len(features.words)} words, "
          f"{'/'.join(str(len(v)) for v in features.suffixes)} suffixes, {len(features.shapes)} shapes, "
          f"{len(features.tags)} tags")

    model = BiLSTMTagger(features, word_dim=args.word_dim, hidden=args.hidden, dropout=args.dropout).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    opt = optim.Adam(model.parameters(), lr=args.lr)
    # the learning rate follows half a cosine from lr down to lr/20 over the epochs
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(args.epochs - 1, 1), eta_min=args.lr / 20)
    criterion = nn.CrossEntropyLoss(ignore_index=IGNORE)
    n_tags = len(features.tags)
    dev_gold = np.concatenate([y for _, y in dev])
    print(f"model: {n_params:,} parameters, Adam lr {args.lr} (cosine decay), batch {args.batch_size}, "
          f"clip {args.clip}")

    history = {"train_loss": [], "dev_acc": [], "epoch_seconds": [], "dev_seconds": [], "batch_loss": []}
    best = {"dev_acc": -1.0, "epoch": 0, "state": None, "opt": None}
    lengths = [len(y) for _, y in train]
    for epoch in range(1, args.epochs + 1):
        with common.Timer() as t:
            batches = bucket_batches(lengths, args.batch_size, shuffle=True)
            total, tokens = 0.0, 0
            bar = common.progress(batches, desc=f"epoch {epoch}/{args.epochs}")
            for i, idx in enumerate(bar):
                feats, labels, lens = collate([train[j] for j in idx], features, args.word_dropout, device)
                logits = model(feats, lens)
                loss = criterion(logits.reshape(-1, n_tags), labels.reshape(-1))
                opt.zero_grad()
                loss.backward()
                clip_grad_norm_(model.parameters(), args.clip)
                opt.step()
                n = int(lens.numpy().sum())
                value = loss.item()
                total += value * n
                tokens += n
                history["batch_loss"].append(value)
                if hasattr(bar, "set_postfix") and i % 20 == 0:
                    bar.set_postfix(loss=f"{total / tokens:.3f}")
        with common.Timer() as t_dev:
            dev_acc = accuracy(dev_gold, np.concatenate(predict(model, dev)))
        lr = opt.param_groups[0]["lr"]
        sched.step()
        history["train_loss"].append(total / tokens)
        history["dev_acc"].append(dev_acc)
        history["epoch_seconds"].append(t.seconds)
        history["dev_seconds"].append(t_dev.seconds)
        mark = ""
        if dev_acc > best["dev_acc"]:
            best.update(dev_acc=dev_acc, epoch=epoch, state=snapshot(model.state_dict()),
                        opt=snapshot(opt.state_dict()))
            mark = " *"
        print(f"epoch {epoch:2d}  train loss {total / tokens:.4f}  dev acc {dev_acc:.4f}  "
              f"lr {lr:.2g}  ({t.seconds:.1f} s + {t_dev.seconds:.1f} s dev){mark}")

    model.load_state_dict(best["state"])  # the selected epoch's model, with its optimizer state
    opt.load_state_dict(best["opt"])
    ckpt = args.out / "pos_tagger.npz"
    common.save_checkpoint(ckpt, model, opt, features=features.state_dict(),
                           epoch=best["epoch"], dev_acc=best["dev_acc"], config=config(args))

    # --- final evaluation: the selected model and the baseline on the same tokens
    train_words = {w for s in train_s for w, _ in s}
    baseline = MostFrequentTag(train_s)
    results = {}
    for name, data, sents in (("dev", dev, dev_s), ("test", test, test_s)):
        gold = np.concatenate([y for _, y in data])
        pred = np.concatenate(predict(model, data))
        base = np.array([features.tags[t] if t in features.tags else -1
                         for s in sents for t in baseline([w for w, _ in s])], dtype=np.int64)
        oov = np.array([w not in train_words for s in sents for w, _ in s])
        results[name] = dict(gold=gold, pred=pred, base=base, oov=oov,
                             acc=accuracy(gold, pred), oov_acc=accuracy(gold, pred, oov),
                             base_acc=accuracy(gold, base), base_oov_acc=accuracy(gold, base, oov))
    te = results["test"]
    tag_names = features.tags.itos
    per_tag = {tag: (accuracy(te["gold"], te["pred"], te["gold"] == k), accuracy(te["gold"], te["base"],
                                                                                  te["gold"] == k),
                     int((te["gold"] == k).sum()))
               for k, tag in enumerate(tag_names)}

    plot = common.save_plot(args.out / "pos_tagger.png",
                            lambda plt: draw(plt, history, results, per_tag, best["epoch"]))

    print(f"\nselected epoch {best['epoch']} (best dev accuracy); {sum(history['epoch_seconds']):.1f} s training, "
          f"{np.mean(history['epoch_seconds']):.1f} s per epoch (+ {np.mean(history['dev_seconds']):.1f} s dev "
          f"evaluation)")
    print(f"{'':24s}{'BiLSTM':>10s}{'most-frequent-tag':>20s}")
    for name in ("dev", "test"):
        r = results[name]
        print(f"{name + ' accuracy':24s}{r['acc']:10.4f}{r['base_acc']:20.4f}")
    print(f"{'test OOV accuracy':24s}{te['oov_acc']:10.4f}{te['base_oov_acc']:20.4f}   "
          f"({int(te['oov'].sum())} of {te['oov'].size} test tokens unseen in train)")

    return {
        "dev_acc": results["dev"]["acc"], "test_acc": te["acc"], "test_oov_acc": te["oov_acc"],
        "dev_oov_acc": results["dev"]["oov_acc"],
        "baseline_dev_acc": results["dev"]["base_acc"], "baseline_test_acc": te["base_acc"],
        "baseline_test_oov_acc": te["base_oov_acc"], "test_oov_tokens": int(te["oov"].sum()),
        "test_tokens": int(te["oov"].size), "per_tag": per_tag, "best_epoch": best["epoch"],
        "history": history, "parameters": n_params, "checkpoint": ckpt, "plot": plot,
        "model": model, "features": features,
    }


def config(args):
    keys = ("epochs", "seed", "lr", "batch_size", "hidden", "word_dim", "dropout", "word_dropout", "clip",
            "min_freq", "limit")
    return {k: getattr(args, k) for k in keys}


def draw(plt, history, results, per_tag, best_epoch):
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    ax.plot(epochs, history["train_loss"], "o-")
    ax.set(xlabel="epoch", ylabel="cross-entropy per token", title="training loss")
    ax = axes[1]
    ax.plot(epochs, history["dev_acc"], "o-", label="BiLSTM")
    ax.axhline(results["dev"]["base_acc"], color="gray", ls="--", label="most-frequent tag")
    ax.axvline(best_epoch, color="C2", ls=":", label=f"selected (epoch {best_epoch})")
    ax.set(xlabel="epoch", ylabel="token accuracy", title="dev accuracy")
    ax.legend()
    ax = axes[2]
    tags = sorted(per_tag, key=lambda t: -per_tag[t][2])
    x = np.arange(len(tags))
    ax.bar(x - 0.2, [per_tag[t][0] for t in tags], 0.4, label="BiLSTM")
    ax.bar(x + 0.2, [per_tag[t][1] for t in tags], 0.4, label="most-frequent tag", color="gray")
    ax.set_xticks(x, tags, rotation=60)
    ax.set(ylim=(0, 1.18), ylabel="accuracy", title="test accuracy per gold tag (most frequent first)")
    ax.legend(loc="upper right", ncol=2, fontsize="small")


def parse_args(argv=None):
    p = common.parser(__doc__.splitlines()[0], epochs=12, lr=2e-3)
    p.add_argument("--batch-size", type=int, default=32, help="sentences per batch (default 32)")
    p.add_argument("--hidden", type=int, default=128, help="LSTM units per direction (default 128)")
    p.add_argument("--word-dim", type=int, default=100, help="word embedding size (default 100)")
    p.add_argument("--dropout", type=float, default=0.25,
                   help="dropout on the embeddings and the LSTM output (default 0.25)")
    p.add_argument("--word-dropout", type=float, default=0.25,
                   help="α of the word dropout probability α/(α + count) (default 0.25; 0 turns it off)")
    p.add_argument("--clip", type=float, default=5.0, help="gradient-norm clipping threshold (default 5)")
    p.add_argument("--min-freq", type=int, default=2, help="train count a word needs for its own embedding")
    return p.parse_args(argv)


def main(argv=None):
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
