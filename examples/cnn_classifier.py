"""A convolutional sentence classifier (Kim, 2014) on the sentiment split of examples/sentiment.py.

    python examples/cnn_classifier.py [--epochs 15] [--widths 3 4 5] [--filters 100] [--embed-dim 128]
                                      [--seed 0] [--device cpu|cuda] [--out DIR] [--limit N]

Same data, split and vocabulary as ``examples/sentiment.py`` (imported from there): the 3,000 UCI sentences,
stratified 80/10/10 with a fixed seed, the vocabulary built from the training part.

Model (Kim's CNN-rand: the word embeddings are learned from scratch, no pre-trained vectors):
  1. embedding: a sentence of n words w_1 … w_n becomes the rows x_t = E[w_t] ∈ R^d, read as d input channels
     over n positions (the padding row of E is zero and never trained);
  2. convolution: for each width k of ``--widths`` (3, 4, 5) a ``nn.Conv1d(d, F, k)`` with F = ``--filters``
     filters; filter f of width k answers at position t with
         c_f[t] = b_f + Σ_{j<k} Σ_c W_f[c, j] · x_{t+j}[c],        t = 0 … n − k,
     a detector of a k-word pattern (a k-gram) anywhere in the sentence;
  3. max-over-time pooling and ReLU: ĉ_f = ReLU(max_t c_f[t]) — the strongest match of the filter anywhere in
     the sentence, so the sentence vector does not depend on where a phrase stands or on the sentence's length.
     Only windows that start inside the sentence and end inside it count: padded positions get c = −10⁴ before
     the max and never win it (a sentence shorter than k keeps its one window at t = 0, its words followed by
     zero vectors, as Kim pads short sentences). ReLU after the max equals Kim's max of ReLUs (ReLU is
     monotone), on F numbers per sentence instead of F · n;
  4. head: z = [ĉ for all widths and filters] ∈ R^{3F} (three widths), Dropout(p) in training,
     logits = W z + b (two classes).
Trained with AdamW on the cross-entropy −log softmax(logits)_y of mini-batches, the best epoch chosen on
validation accuracy (early stopping with ``--patience``), test accuracy reported once, beside the majority-class
rate and the bag-of-words logistic-regression baseline (trained in the same run, λ chosen on validation).

Kim's settings are widths 3, 4, 5 with 100 filters each, dropout 0.5 and mini-batches of 50; here the learned
embeddings are d = 128 by default (d = 64 reached a lower validation accuracy in an earlier run, 0.850 against
0.863, and ties it in the current one; a CPU run takes about 25 s; see examples/README.md).
Afterwards the script prints, for the filters that push hardest towards each class, the test k-gram each fires
on most strongly: what the detectors learned.

Saves ``cnn_classifier.npz`` (weights, optimizer, vocabulary, metrics) and ``cnn_training.png`` (validation
accuracy and cross-entropy per epoch) into ``--out``. ``--device cuda`` trains the CNN and the baseline on the
GPU: the same code, with the models, batches and targets on the device (a training step reads back only its loss;
evaluation reads the predictions). The numbers agree with the CPU's to float32 rounding, up to the baseline's
bias, whose first Adam step g/(|g| + 1e-8) magnifies rounding in a gradient that is exactly 0 on balanced labels.
"""
import sys
from pathlib import Path

# tinygradnb before NumPy: importing it shortens the time OpenBLAS's idle threads spin, which OpenBLAS reads
# when NumPy loads it, so that BLAS's threads and the kernels' threads take turns on the cores (README, Threads).
import tinygradnb as tg
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # common.py and sentiment.py sit beside this file

import common
import sentiment

import tinygradnb.nn.functional as F
from tinygradnb import nn


class CNNClassifier(nn.Module):
    """Embedding → a Conv1d per width → max over valid positions → ReLU → concatenation → Dropout → Linear.

    ``forward(x, lengths, mask)`` takes the padded word indices (B, T), the lengths (B,) and the padding mask
    (B, T) that ``sentiment.collate`` makes (the mask is implied by the lengths and not needed here)."""

    def __init__(self, vocab_size, embed_dim=128, widths=(3, 4, 5), filters=100, dropout=0.5, padding_idx=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        nn.init.normal_(self.embedding.weight, 0.0, 0.1)
        with tg.no_grad():
            self.embedding.weight[padding_idx] = 0.0
        self.widths = tuple(widths)
        self.convs = nn.ModuleList([nn.Conv1d(embed_dim, filters, k) for k in self.widths])
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(filters * len(self.widths), 2)

    def features(self, x, lengths):
        """The pooled sentence vector z (B, len(widths) · filters) and, per width, the argmax positions (B, F)
        (the start of the k-gram each filter matched best)."""
        e = self.embedding(x).transpose(1, 2)  # (B, d, T): embedding dimensions are the input channels
        short = max(self.widths) - e.shape[2]
        if short > 0:  # a batch of sentences all shorter than the widest filter: zero vectors after them
            e = F.pad(e, (0, short))
        pooled, where = [], []
        for conv, k in zip(self.convs, self.widths):
            c = conv(e)  # (B, F, T − k + 1)
            start = tg.arange(c.shape[2], device=x.device).unsqueeze(0)
            valid = start <= (lengths - k).clamp(min=0).unsqueeze(1)  # the window [t, t + k) ends in the sentence
            c = tg.where(valid.unsqueeze(1), c, -1e4)  # padded windows never win the max
            best, at = F.adaptive_max_pool1d(c, 1, return_indices=True)  # max over time: (B, F, 1)
            pooled.append(F.relu(best.squeeze(-1)))
            where.append(at.squeeze(-1))
        return tg.concat(pooled, axis=1), where

    def forward(self, x, lengths, mask=None):
        z, _ = self.features(x, lengths)
        return self.out(self.drop(z))


def top_ngrams(model, data, vocab, widths_shown=None, n_filters=3):
    """For the filters with the largest positive / negative output weights, the test k-gram that excites each
    most (highest ĉ_f over the test sentences): what the strongest detectors of each class look for."""
    model.eval()
    x, lengths, _, _ = sentiment.collate(data["test"], sentiment.model_device(model))
    with tg.no_grad():
        z, where = model.features(x, lengths)
    z = z.numpy()
    where = [w.numpy() for w in where]
    w = model.out.weight.numpy()
    score = w[1] - w[0]  # how much filter f pushes the logit of "positive" over "negative"
    n_per = z.shape[1] // len(model.widths)
    out = {}
    for label, order in (("positive", np.argsort(-score)), ("negative", np.argsort(score))):
        rows = []
        for f in order[:n_filters]:
            s = int(np.argmax(z[:, f]))
            k = model.widths[f // n_per]
            ids, _ = data["test"][s]
            t = int(where[f // n_per][s, f % n_per])
            rows.append({"filter": int(f), "width": k, "weight": float(score[f]), "activation": float(z[s, f]),
                         "ngram": " ".join(vocab.decode(ids[t:t + k]))})
        out[label] = rows
    return out


def run(args):
    """Train and score the CNN and the baselines; returns ``{"test_acc", "val_acc" (model → accuracy; models
    'majority', 'bow', 'cnn'), "history" (the CNN's per-epoch training loss, validation accuracy and loss),
    "cnn" (everything ``sentiment.train_classifier`` returned, the model included), "bow", "ngrams" (the
    k-grams of the strongest filters), "seconds"}``."""
    split = sentiment.load_split(args.limit)
    sizes = {p: len(split[p]["labels"]) for p in split}
    print(f"UCI sentiment sentences: train {sizes['train']}, validation {sizes['val']}, test {sizes['test']} "
          f"(the split of sentiment.py, seed {sentiment.SPLIT_SEED})"
          + (f", device {args.device}" if args.device != "cpu" else ""))
    majority = sentiment.majority_baseline(split)
    with common.Timer() as t_bow:
        bow = sentiment.bow_baseline(split, seed=args.seed, device=args.device)

    vocab = sentiment.build_vocab(split["train"]["tokens"])
    data = sentiment.word_dataset(split, vocab)
    tg.manual_seed(args.seed)
    model = CNNClassifier(len(vocab), args.embed_dim, args.widths, args.filters, args.dropout).to(args.device)
    with common.Timer() as t:
        res = sentiment.train_classifier("CNN", model, data, args.epochs, args.lr, args.weight_decay,
                                         args.batch_size, args.patience)
    ngrams = top_ngrams(model, data, vocab)

    common.save_checkpoint(args.out / "cnn_classifier.npz", model, res["optimizer"], vocab=vocab.state_dict(),
                           val_acc=res["val_acc"], test_acc=res["test_acc"], best_epoch=res["epoch"],
                           history=res["history"], split_seed=sentiment.SPLIT_SEED, seed=args.seed,
                           config={"embed_dim": args.embed_dim, "widths": list(args.widths),
                                   "filters": args.filters, "dropout": args.dropout})
    common.save_plot(args.out / "cnn_training.png", lambda plt: common.draw_training(plt, res, bow, majority, "CNN"))
    return {"args": args, "sizes": sizes, "majority": majority, "bow": bow, "cnn": res, "ngrams": ngrams,
            "seconds": {"bow": t_bow.seconds, "cnn": t.seconds},
            "val_acc": {"majority": majority["val"], "bow": bow["val_acc"], "cnn": res["val_acc"]},
            "test_acc": {"majority": majority["test"], "bow": bow["test_acc"], "cnn": res["test_acc"]},
            "history": res["history"]}


def parse_args(argv=None):
    """The script's arguments, after ``common.setup`` (seed, device check, output folder)."""
    p = common.parser(__doc__.splitlines()[0], epochs=15, lr=1e-3)
    p.add_argument("--widths", type=int, nargs="+", default=[3, 4, 5], help="filter widths (default 3 4 5)")
    p.add_argument("--filters", type=int, default=100, help="filters per width (default 100)")
    p.add_argument("--embed-dim", type=int, default=128, help="word embedding size (default 128)")
    p.add_argument("--dropout", type=float, default=0.5, help="dropout before the head (default 0.5)")
    p.add_argument("--weight-decay", type=float, default=1e-2, help="AdamW weight decay (default 0.01)")
    p.add_argument("--batch-size", type=int, default=50, help="mini-batch size (default 50, Kim's)")
    p.add_argument("--patience", type=int, default=4,
                   help="early stopping: epochs without a better validation accuracy (default 4)")
    args = p.parse_args(argv)
    common.setup(args, cuda=True)
    return args


def summary(out):
    """What the strongest filters match and the results table, as text."""
    res, bow, args = out["cnn"], out["bow"], out["args"]
    lines = ["what the strongest filters match (the test k-gram with the highest activation ĉ_f):"]
    for label in ("positive", "negative"):
        lines.append(f"  towards {label}: " + "; ".join(
            f"\"{r['ngram']}\" (width {r['width']}, ĉ = {r['activation']:.2f})" for r in out["ngrams"][label]))
    lines += ["",
              f"{'model':<34} {'val acc':>8} {'test acc':>9}   selected on validation",
              "-" * 80,
              f"{'majority class':<34} {out['majority']['val']:>8.3f} {out['majority']['test']:>9.3f}   -",
              f"{'BoW logistic regression':<34} {bow['val_acc']:>8.3f} {bow['test_acc']:>9.3f}   "
              f"λ = {bow['l2']:g}, epoch {bow['epoch']} ({out['seconds']['bow']:.0f} s)"]
    name = f"CNN (widths {','.join(map(str, args.widths))} × {args.filters})"
    lines.append(f"{name:<34} {res['val_acc']:>8.3f} {res['test_acc']:>9.3f}   epoch {res['epoch']} "
                 f"({out['seconds']['cnn']:.0f} s)")
    n_test = out["sizes"]["test"]
    acc, base = res["test_acc"], bow["test_acc"]
    lines.append(f"CNN vs BoW baseline on test: {100 * (acc - base):+.1f} points ({round(acc * n_test)} vs "
                 f"{round(base * n_test)} of {n_test} test sentences)")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    with common.Timer() as t:
        out = run(args)
    print()
    print(summary(out))
    print(f"total {t.seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
