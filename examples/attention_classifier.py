"""A small Transformer encoder classifies sentence sentiment, and shows what its attention heads look at.

    python examples/attention_classifier.py [--epochs 30] [--layers 2] [--heads 4] [--seed 0] [--device cpu|cuda]
                                            [--out DIR] [--limit N]

Same data, split and vocabulary as ``examples/sentiment.py`` (imported from there): the 3,000 UCI sentences,
stratified 80/10/10 with a fixed seed. Model: word embedding + sinusoidal positional encoding
PE(pos, 2i) = sin(pos/10000^(2i/d)), PE(pos, 2i+1) = cos(pos/10000^(2i/d)); ``--layers`` pre-norm
TransformerEncoderLayers whose self-attention softmax(QKᵀ/√d_k)V never looks at padding
(``src_key_padding_mask``); the mean of the final states over the real tokens; a Linear head. AdamW on
cross-entropy, best epoch chosen on validation accuracy, test accuracy reported once, beside the majority-class
rate and the bag-of-words logistic-regression baseline (trained in the same run, λ chosen on validation).

Then the lecture's question "what does the model attend to": for one test sentence, the attention weights
α_ij (query token i → key token j) of every head of every layer are drawn as heat maps with the tokens on both
axes (``attention_heatmap.png``), and the tokens that receive the most attention are printed.
Also saves ``attention_classifier.npz`` (weights, optimizer, vocabulary, metrics) and ``attention_training.png``.
``--device cuda`` trains the Transformer and the baseline on the GPU: the same code, with the models, batches and
targets on the device (a training step reads back only its loss; evaluation and the heat maps read their values).
The numbers agree with the CPU's to float32 rounding, up to rounding that Adam magnifies in gradients that are
exactly 0 (the key biases, which the softmax ignores; the baseline's bias on balanced labels).
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

from tinygradnb import nn


class TransformerClassifier(nn.Module):
    """Embedding → + positional encoding → TransformerEncoder (padding masked) → final LayerNorm → mean over
    real tokens → Dropout → Linear(d_model, 2)."""

    def __init__(self, vocab_size, d_model=64, nhead=4, num_layers=2, dim_feedforward=128, dropout=0.1,
                 max_len=512, padding_idx=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=padding_idx)  # N(0, 1), like PE's scale
        self.pos = nn.SinusoidalPositionalEncoding(d_model, max_len=max_len, dropout=dropout, batch_first=True)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(d_model))
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(d_model, 2)

    def forward(self, x, lengths, mask):
        padding = mask == False  # noqa: E712  (MultiheadAttention's convention: True = ignore this key)
        h = self.encoder(self.pos(self.embedding(x)), src_key_padding_mask=padding)
        pooled = (h * mask.float().unsqueeze(-1)).sum(dim=1) / lengths.float().unsqueeze(-1)
        return self.out(self.drop(pooled))

    def attention_maps(self, x, lengths, mask):
        """Logits and, per layer, the attention weights (B, heads, L, L) the layers use — recomputed with
        ``need_weights=True`` from each layer's own (pre-norm) self-attention input; call in eval mode."""
        padding = mask == False  # noqa: E712
        h = self.pos(self.embedding(x))
        maps = []
        for layer in self.encoder.layers:
            src = layer.norm1(h) if layer.norm_first else h
            _, w = layer.self_attn(src, src, src, key_padding_mask=padding, need_weights=True,
                                   average_attn_weights=False)
            maps.append(w.numpy())
            h = layer(h, src_key_padding_mask=padding)
        h = self.encoder.norm(h)
        pooled = (h * mask.float().unsqueeze(-1)).sum(dim=1) / lengths.float().unsqueeze(-1)
        return self.out(pooled), maps


def pick_sentence(model, data, min_len=6, max_len=14):
    """The first test sentence of ``min_len``..``max_len`` tokens, all in the vocabulary, that the model gets
    right (any sentence if none qualifies)."""
    model.eval()
    fallback = None
    for i, (ids, label) in enumerate(data["test"]):
        if not min_len <= len(ids) <= max_len or 1 in ids:  # 1 = <unk>
            continue
        x, lengths, mask, _ = sentiment.collate([(ids, label)], sentiment.model_device(model))
        with tg.no_grad():
            pred = int(model(x, lengths, mask).argmax(dim=1).item())
        if pred == label:
            return i
        fallback = i if fallback is None else fallback
    return fallback if fallback is not None else 0


def attention_report(model, data, split, vocab, index):
    """Attention maps of test sentence ``index`` and its per-token attention received."""
    ids, label = data["test"][index]
    x, lengths, mask, _ = sentiment.collate([(ids, label)], sentiment.model_device(model))
    model.eval()
    with tg.no_grad():
        logits, maps = model.attention_maps(x, lengths, mask)
    prob = np.exp(logits.numpy()[0] - logits.numpy()[0].max())
    prob /= prob.sum()
    tokens = vocab.decode(ids)
    maps = [m[0] for m in maps]  # (heads, L, L) per layer
    received = np.mean([m.mean(axis=(0, 1)) for m in maps], axis=0)  # mean over layers, heads and queries
    return {"index": index, "text": split["test"]["text"][index], "tokens": tokens, "label": label,
            "p_positive": float(prob[1]), "maps": maps, "received": received}


def _draw_attention(plt, rep):
    maps, tokens = rep["maps"], rep["tokens"]
    n_layers, n_heads = len(maps), maps[0].shape[0]
    cols = n_heads + 1
    size = max(2.6, 0.28 * len(tokens) + 1.2)
    fig, axes = plt.subplots(n_layers, cols, figsize=(size * cols, size * n_layers + 0.8), squeeze=False)
    for li, m in enumerate(maps):
        for hi in range(cols):
            ax = axes[li][hi]
            w = m[hi] if hi < n_heads else m.mean(axis=0)
            im = ax.imshow(w, cmap="viridis", vmin=0.0, vmax=max(float(w.max()), 1e-6))
            ax.set_xticks(range(len(tokens)))
            ax.set_xticklabels(tokens, rotation=90, fontsize=7)
            ax.set_yticks(range(len(tokens)))
            ax.set_yticklabels(tokens if hi == 0 else [], fontsize=7)
            ax.set_title(f"layer {li + 1}, " + (f"head {hi + 1}" if hi < n_heads else "mean of heads"), fontsize=8)
            if hi == 0:
                ax.set_ylabel("query (attends from)", fontsize=7)
            if li == n_layers - 1:
                ax.set_xlabel("key (attends to)", fontsize=7)
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02)
    truth = "positive" if rep["label"] else "negative"
    fig.suptitle(f"\"{rep['text']}\" — label {truth}, p(positive) = {rep['p_positive']:.2f}", fontsize=9)


def run(args):
    """Train and score the Transformer and the baselines; returns ``{"test_acc", "val_acc" (model → accuracy;
    models 'majority', 'bow', 'transformer'), "history" (the Transformer's per-epoch training loss, validation
    accuracy and loss), "attention" (the heat-map sentence: tokens, per-layer weights, attention received)}``."""
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
    model = TransformerClassifier(len(vocab), args.d_model, args.heads, args.layers, 2 * args.d_model,
                                  args.dropout).to(args.device)
    with common.Timer() as t:
        res = sentiment.train_classifier("Transformer", model, data, args.epochs, args.lr, args.weight_decay,
                                         args.batch_size, args.patience, clip=1.0)

    rep = attention_report(model, data, split, vocab, pick_sentence(model, data))
    common.save_checkpoint(args.out / "attention_classifier.npz", model, res["optimizer"],
                           vocab=vocab.state_dict(), val_acc=res["val_acc"], test_acc=res["test_acc"],
                           best_epoch=res["epoch"], history=res["history"], split_seed=sentiment.SPLIT_SEED,
                           seed=args.seed, config={k: getattr(args, k) for k in
                                                   ("d_model", "heads", "layers", "dropout")})
    common.save_plot(args.out / "attention_heatmap.png", lambda plt: _draw_attention(plt, rep))
    common.save_plot(args.out / "attention_training.png",
                     lambda plt: common.draw_training(plt, res, bow, majority, "Transformer"))
    return {"args": args, "sizes": sizes, "majority": majority, "bow": bow, "transformer": res, "attention": rep,
            "seconds": {"bow": t_bow.seconds, "transformer": t.seconds},
            "val_acc": {"majority": majority["val"], "bow": bow["val_acc"], "transformer": res["val_acc"]},
            "test_acc": {"majority": majority["test"], "bow": bow["test_acc"], "transformer": res["test_acc"]},
            "history": res["history"]}


def parse_args(argv=None):
    """The script's arguments, after ``common.setup`` (seed, device check, output folder)."""
    p = common.parser(__doc__.splitlines()[0], epochs=30, lr=1e-3)
    p.add_argument("--layers", type=int, default=2, help="encoder layers (default 2)")
    p.add_argument("--heads", type=int, default=4, help="attention heads (default 4)")
    p.add_argument("--d-model", type=int, default=64, help="model width (default 64; feed-forward 2x)")
    p.add_argument("--dropout", type=float, default=0.3, help="dropout (default 0.3)")
    p.add_argument("--weight-decay", type=float, default=1e-2, help="AdamW weight decay (default 0.01)")
    p.add_argument("--batch-size", type=int, default=32, help="mini-batch size (default 32)")
    p.add_argument("--patience", type=int, default=8,
                   help="early stopping: epochs without a better validation accuracy (default 8)")
    args = p.parse_args(argv)
    common.setup(args, cuda=True)
    return args


def summary(out):
    """The attended-to tokens of the heat-map sentence and the results table, as text."""
    rep, res, bow, args = out["attention"], out["transformer"], out["bow"], out["args"]
    order = np.argsort(-rep["received"])
    lines = [f"what does the model attend to — test sentence #{rep['index']}: \"{rep['text']}\"",
             f"  label {'positive' if rep['label'] else 'negative'}, p(positive) = {rep['p_positive']:.2f}",
             f"  attention received (mean over layers, heads and queries; uniform would be "
             f"{1 / len(rep['tokens']):.3f}): "
             + ", ".join(f"{rep['tokens'][i]} {rep['received'][i]:.3f}" for i in order[:6]),
             "",
             f"{'model':<34} {'val acc':>8} {'test acc':>9}   selected on validation",
             "-" * 80,
             f"{'majority class':<34} {out['majority']['val']:>8.3f} {out['majority']['test']:>9.3f}   -",
             f"{'BoW logistic regression':<34} {bow['val_acc']:>8.3f} {bow['test_acc']:>9.3f}   "
             f"λ = {bow['l2']:g}, epoch {bow['epoch']} ({out['seconds']['bow']:.0f} s)"]
    name = f"Transformer ({args.layers} layers, {args.heads} heads)"
    lines.append(f"{name:<34} {res['val_acc']:>8.3f} {res['test_acc']:>9.3f}   epoch {res['epoch']} "
                 f"({out['seconds']['transformer']:.0f} s)")
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
