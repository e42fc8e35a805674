"""Sentence sentiment with tinygradnb: a bag-of-words logistic regression against two neural classifiers.

    python examples/sentiment.py [--epochs 20] [--patience 6] [--ensemble 5] [--seed 0] [--device cpu|cuda]
                                 [--out DIR] [--limit N]

Data: the 3,000 UCI "Sentiment Labelled Sentences" (amazon, imdb, yelp; label 1 = positive), split once into
train/validation/test = 80/10/10 %, stratified by (source, label) with a fixed seed (``SPLIT_SEED``; ``--seed``
changes the weights and the batch order, never the split). Vocabularies are built from the training part only.

Models (each selected on the validation split — L2 strength, best epoch — and scored once on the test split):
  (a) baseline: logistic regression p(y=1|x) = σ(wᵀx + b) on a binary bag-of-words vector x (one entry per
      training word), full-batch gradient descent (Adam) on binary cross-entropy + λ‖w‖², λ chosen on validation;
  (b) an embedding-bag MLP (fastText-style): h = mean of the embeddings of the sentence's known words and of its
      word bigrams seen at least twice in training (whole tokens dropped with p = 0.1 while training), then
      Dropout → Linear → ReLU → Dropout → Linear;
  (c) a bidirectional LSTM over the word embeddings, run with ``lengths=`` (padding never enters the recurrence),
      its outputs max-pooled over the real tokens into a Linear head;
  (d) an ensemble: (b) and (c) are each trained with ``--ensemble`` seeds (5), and (d) averages the class
      probabilities of all of them. (b) and (c) are reported for the run with seed ``--seed`` (and the spread
      over the seeds); the best neural model is the one of (b), (c), (d) with the best validation accuracy.
The neural models train with AdamW on cross-entropy, mini-batches from the seeded DataLoader, and keep the weights
of their best validation epoch (``tinygradnb.utils.EarlyStopping``).

``--device cuda`` trains every model on the GPU: the same code, with the models, batches and targets on the device
(a training step reads back only its loss; evaluation reads the predictions). The numbers agree with the CPU's
to float32 rounding, except where Adam's first step g/(|g| + 1e-8) magnifies the rounding of a gradient that is
exactly 0 (at the baseline's start: its bias, on balanced labels, and words seen as often in positive as in
negative sentences), so the baseline's runs can end slightly apart.

Prints a summary table (validation and test accuracy of every model, beside the majority-class rate), saves the
checkpoints ``sentiment_{bow,bag,lstm}.npz`` (weights, optimizer, vocabulary, metrics; the bag and LSTM files
also hold the other seeds' weights, so the ensemble can be rebuilt) and the plot ``sentiment.png`` (validation
accuracy per epoch of each model, training loss per epoch) into ``--out``. Other scripts import
``load_split``/``build_vocab``/``majority_baseline``/``bow_baseline``/``train_classifier`` from here.
"""
import sys
from functools import partial
from pathlib import Path

# tinygradnb before NumPy: importing it shortens the time OpenBLAS's idle threads spin, which OpenBLAS reads
# when NumPy loads it, so that BLAS's threads and the kernels' threads take turns on the cores (README, Threads).
import tinygradnb as tg
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # common.py and datasets.py sit beside this file

import common
from datasets import load_sentiment

import tinygradnb.nn.functional as F
from tinygradnb import nn, optim
from tinygradnb.data import DataLoader, Vocab, pad_sequences, stratified_split, tokenize_words
from tinygradnb.utils import EarlyStopping

SPLIT_SEED = 2015  # the split is part of the task, not of a run: fixed whatever --seed says
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)


# ----------------------------------------------------------------------------- data
def load_split(limit=None):
    """The fixed stratified split as ``{"train"|"val"|"test": {"index", "tokens", "labels", "sources", "text"}}``.

    ``limit`` keeps only the first ``limit`` training sentences (smoke tests); validation and test stay whole, so
    numbers from a limited run are comparable, only worse. The library's random stream is left as it was found.
    """
    rows = load_sentiment()
    strata = np.array([f"{source}/{label}" for source, label, _ in rows])
    state = tg.random.get_rng_state()
    tg.manual_seed(SPLIT_SEED)
    parts = stratified_split(strata, SPLIT_FRACTIONS)
    tg.random.set_rng_state(state)
    split = {}
    for name, idx in zip(("train", "val", "test"), parts):
        if name == "train" and limit is not None:
            idx = idx[:limit]
        split[name] = {
            "index": idx,  # rows of load_sentiment()
            "tokens": [tokenize_words(rows[i][2]) for i in idx],
            "labels": np.array([rows[i][1] for i in idx], dtype=np.int64),
            "sources": [rows[i][0] for i in idx],
            "text": [rows[i][2] for i in idx],
        }
    return split


def build_vocab(token_lists, min_freq=1):
    """Word vocabulary (``<pad>`` = 0, ``<unk>`` = 1) of the training sentences."""
    return Vocab.build(token_lists, min_freq=min_freq)


def bigrams(tokens):
    return [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]


def encode(tokens, vocab):
    """Word indices of a sentence (``<unk>`` for unseen words; never empty)."""
    return vocab.encode(tokens) or [vocab.unk_index]


def majority_baseline(split):
    """Accuracy on validation and test of always predicting the training split's most frequent label."""
    majority = int(np.bincount(split["train"]["labels"], minlength=2).argmax())
    return {part: float(np.mean(split[part]["labels"] == majority)) for part in ("val", "test")}


# ----------------------------------------------------------------------------- (a) bag-of-words logistic regression
def bow_matrix(token_lists, vocab):
    """Binary bag-of-words: X[i, j] = 1 if word j of ``vocab`` occurs in sentence i (``<pad>``/``<unk>`` off)."""
    x = np.zeros((len(token_lists), len(vocab)), dtype=np.float32)
    for i, tokens in enumerate(token_lists):
        x[i, encode(tokens, vocab)] = 1.0
    x[:, :2] = 0.0
    return x


class LogisticRegression(nn.Module):
    """p(y = 1 | x) = σ(wᵀx + b)."""

    def __init__(self, n_features):
        super().__init__()
        self.linear = nn.Linear(n_features, 1)
        nn.init.zeros_(self.linear.weight)  # a convex problem: start from w = 0
        nn.init.zeros_(self.linear.bias)

    def forward(self, x):
        return self.linear(x).squeeze(-1)


def bow_baseline(split, l2_grid=(0.0, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2), epochs=150, lr=0.05, seed=0,
                 device="cpu"):
    """Train the baseline once for each λ of ``l2_grid`` (``epochs`` full-batch Adam steps, one pass over the
    training set each) and keep the (λ, epoch) with the best validation accuracy; score that once on test. The
    bag-of-words matrices, targets and models live on ``device``.

    Returns a dict with the model, optimizer and vocabulary, ``l2``, ``epoch``, ``val_acc``, ``test_acc``,
    ``grid`` (λ → its best validation accuracy), ``curves`` (λ → validation accuracy per epoch) and ``history``
    (the chosen λ's training loss and validation accuracy per epoch)."""
    vocab = build_vocab(split["train"]["tokens"])
    x = {p: tg.tensor(bow_matrix(split[p]["tokens"], vocab), device=device) for p in ("train", "val", "test")}
    y_train = tg.tensor(split["train"]["labels"].astype(np.float32), device=device)
    loss_fn = nn.BCEWithLogitsLoss()
    best, grid, curves = None, {}, {}
    for l2 in common.progress(l2_grid, desc="BoW logistic regression (λ grid)"):
        tg.manual_seed(seed)
        model = LogisticRegression(len(vocab)).to(device)
        opt = optim.Adam(model.parameters(), lr=lr)
        stopper = EarlyStopping(patience=epochs, mode="max")
        history = {"train_loss": [], "val_acc": []}
        for _ in range(epochs):
            model.train()
            data_loss = loss_fn(model(x["train"]), y_train)
            w = model.linear.weight
            loss = data_loss + l2 * (w * w).sum()  # L2 on the weights, not on the bias
            opt.zero_grad()
            loss.backward()
            opt.step()
            model.eval()
            with tg.no_grad():
                val = float(np.mean((model(x["val"]).numpy() > 0) == split["val"]["labels"]))
            history["train_loss"].append(data_loss.item())
            history["val_acc"].append(val)
            stopper.step(val, model)
        stopper.restore(model)
        grid[l2], curves[l2] = stopper.best, history["val_acc"]
        if best is None or stopper.best > best["val_acc"]:
            best = {"model": model, "optimizer": opt, "l2": l2, "epoch": stopper.best_epoch,
                    "val_acc": stopper.best, "history": history}
    model = best["model"]
    model.eval()
    with tg.no_grad():
        best["test_acc"] = float(np.mean((model(x["test"]).numpy() > 0) == split["test"]["labels"]))
    best.update(vocab=vocab, grid=grid, curves=curves)
    return best


# ----------------------------------------------------------------------------- (b) embedding-bag MLP
class EmbeddingBagMLP(nn.Module):
    """h = (1/n) Σ_t E[w_t] over the sentence's n word and bigram indices (the padding row of E is zero and
    never trained, so a plain sum over the padded batch is the sum over real tokens), then an MLP
    (``hidden=0``: a linear layer, fastText). ``word_dropout`` drops whole tokens in training."""

    def __init__(self, vocab_size, embed_dim, hidden, dropout, word_dropout=0.0, padding_idx=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        nn.init.normal_(self.embedding.weight, 0.0, 0.1)
        with tg.no_grad():
            self.embedding.weight[padding_idx] = 0.0
        self.word_dropout = word_dropout
        self.drop = nn.Dropout(dropout)
        if hidden:
            self.mlp = nn.Sequential(nn.Linear(embed_dim, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 2))
        else:
            self.mlp = nn.Linear(embed_dim, 2)

    def forward(self, x, lengths, mask=None):
        e = self.embedding(x)
        if self.training and self.word_dropout > 0:
            e = e * F.dropout(tg.ones(x.shape[0], x.shape[1], 1, device=x.device), self.word_dropout, True)
        h = e.sum(dim=1) / lengths.float().unsqueeze(-1)
        return self.mlp(self.drop(h))


# ----------------------------------------------------------------------------- (c) LSTM
class LSTMClassifier(nn.Module):
    """Embedding → Dropout → bidirectional LSTM with ``lengths=`` → sentence vector → Dropout → Linear.

    ``pool='last'``: [h_n forward; h_n backward] (each direction's state after reading the whole sentence);
    ``'mean'``: the mean of the outputs over real tokens (the LSTM outputs 0 past a sentence's length);
    ``'max'``: their maximum over real tokens."""

    def __init__(self, vocab_size, embed_dim, hidden, dropout, pool="last", padding_idx=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        nn.init.normal_(self.embedding.weight, 0.0, 0.1)
        with tg.no_grad():
            self.embedding.weight[padding_idx] = 0.0
        self.drop = nn.Dropout(dropout)
        self.lstm = nn.LSTM(embed_dim, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, 2)
        self.pool = pool

    def forward(self, x, lengths, mask=None):
        out, (h_n, _) = self.lstm(self.drop(self.embedding(x)), lengths=lengths)
        if self.pool == "last":
            h = tg.concat([h_n[0], h_n[1]], axis=1)
        elif self.pool == "mean":
            h = out.sum(dim=1) / lengths.float().unsqueeze(-1)
        else:
            h = tg.where(mask.unsqueeze(-1), out, -1e4).amax(dim=1)
        return self.out(self.drop(h))


# ----------------------------------------------------------------------------- neural training loop
def collate(items, device="cpu"):
    """(indices, label) pairs → (padded (B, T), lengths (B,), mask (B, T), labels (B,)), all on ``device``."""
    x, lengths, mask = pad_sequences([ids for ids, _ in items], device=device)
    return x, lengths, mask, tg.tensor(np.array([label for _, label in items], dtype=np.int64), device=device)


def model_device(model):
    """The device of ``model``'s parameters (where its batches must go)."""
    return next(iter(model.parameters())).device


def predict_proba(model, dataset, batch_size=256):
    """Class probabilities (N, 2) of ``model`` (in eval mode) for a list of (indices, label) pairs, on the host."""
    model.eval()
    out = []
    collate_fn = partial(collate, device=model_device(model))
    with tg.no_grad():
        for x, lengths, mask, _ in DataLoader(dataset, batch_size, collate_fn=collate_fn):
            out.append(F.softmax(model(x, lengths, mask), dim=-1).numpy())
    return np.concatenate(out)


def evaluate(model, dataset, batch_size=256):
    """Accuracy and mean cross-entropy of ``model`` on a list of (indices, label) pairs."""
    p = predict_proba(model, dataset, batch_size)
    y = np.array([label for _, label in dataset])
    return float(np.mean(p.argmax(axis=1) == y)), float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))


def train_classifier(name, model, data, epochs, lr, weight_decay, batch_size, patience, clip=None):
    """Train ``model`` on ``data["train"]`` with AdamW and cross-entropy; after every epoch score the validation
    split, stop after ``patience`` epochs without a better validation accuracy, keep the best epoch's weights
    and score them once on ``data["test"]``. Returns the model, optimizer, ``epoch`` (the best, 1-based),
    ``val_acc``, ``test_acc`` and ``history`` (per epoch: mean training loss, validation accuracy and loss). The
    batches go to the device of the model's parameters; a step reads nothing back but its loss."""
    opt = optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    stopper = EarlyStopping(patience=patience, mode="max")
    collate_fn = partial(collate, device=model_device(model))
    loader = DataLoader(data["train"], batch_size, shuffle=True, collate_fn=collate_fn)
    history = {"train_loss": [], "val_acc": [], "val_loss": []}
    for _ in common.progress(range(epochs), desc=name):
        model.train()
        losses = []
        for x, lengths, mask, y in loader:
            loss = F.cross_entropy(model(x, lengths, mask), y)
            opt.zero_grad()
            loss.backward()
            if clip is not None:
                tg.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            losses.append(loss.item())
        val_acc, val_loss = evaluate(model, data["val"])
        history["train_loss"].append(float(np.mean(losses)))
        history["val_acc"].append(val_acc)
        history["val_loss"].append(val_loss)
        if stopper.step(val_acc, model):
            break  # EarlyStopping has put the best weights back
    if not stopper.should_stop:
        stopper.restore(model)
    test_acc, _ = evaluate(model, data["test"])
    return {"model": model, "optimizer": opt, "epoch": stopper.best_epoch, "val_acc": stopper.best,
            "test_acc": test_acc, "history": history}


def ngram_dataset(split, vocab, bigram_vocab):
    """Each sentence as its word indices followed by its bigram indices (offset past the word vocabulary)."""
    out = {}
    for part in ("train", "val", "test"):
        items = []
        for tokens, label in zip(split[part]["tokens"], split[part]["labels"]):
            ids = [i for i in vocab.encode(tokens) if i != vocab.unk_index]
            ids += [len(vocab) + j for j in bigram_vocab.encode(bigrams(tokens)) if j >= 2]
            items.append((ids or [vocab.unk_index], int(label)))
        out[part] = items
    return out


def word_dataset(split, vocab):
    return {part: [(encode(t, vocab), int(label)) for t, label in zip(split[part]["tokens"], split[part]["labels"])]
            for part in ("train", "val", "test")}


# ----------------------------------------------------------------------------- the script
# Chosen by 3-fold cross-validation inside the training split (validation and test untouched). Single settings
# were all within about one point of each other (the noise level of 800-sentence folds); what helped on every
# fold was averaging seeds: BoW 0.794, bag 0.804 / LSTM 0.799 one seed, ensemble of 5 + 5 seeds 0.823.
BAG = dict(embed_dim=64, hidden=64, dropout=0.5, word_dropout=0.1, lr=1e-3, weight_decay=1e-2, batch_size=32,
           bigram_min_freq=2)
LSTM = dict(embed_dim=64, hidden=64, dropout=0.5, pool="max", lr=3e-3, weight_decay=1e-2, batch_size=32, clip=5.0)
NAMES = {"majority": "majority class", "bow": "(a) BoW logistic regression", "bag": "(b) embedding-bag MLP",
         "lstm": "(c) BiLSTM", "ensemble": "(d) ensemble of (b) and (c)"}
NEURAL = ("bag", "lstm", "ensemble")


def _train_seeds(kind, split, vocab, bigram_vocab, args):
    """``args.ensemble`` runs of one neural model, seeds ``args.seed``, ``args.seed + 1``, …; each run's dict
    gains ``seed``, ``seconds``, ``val_proba`` and ``test_proba``."""
    data = ngram_dataset(split, vocab, bigram_vocab) if kind == "bag" else word_dataset(split, vocab)
    runs = []
    for k in range(args.ensemble):
        seed = args.seed + k
        tg.manual_seed(seed)
        if kind == "bag":
            model = EmbeddingBagMLP(len(vocab) + len(bigram_vocab), BAG["embed_dim"], BAG["hidden"],
                                    BAG["dropout"], BAG["word_dropout"])
            cfg, clip = BAG, None
        else:
            model = LSTMClassifier(len(vocab), LSTM["embed_dim"], LSTM["hidden"], LSTM["dropout"], LSTM["pool"])
            cfg, clip = LSTM, LSTM["clip"]
        model.to(args.device)
        with common.Timer() as t:
            r = train_classifier(f"{NAMES[kind][4:]} seed {seed}", model, data, args.epochs, cfg["lr"],
                                 cfg["weight_decay"], cfg["batch_size"], args.patience, clip)
        r.update(seed=seed, seconds=t.seconds, val_proba=predict_proba(model, data["val"]),
                 test_proba=predict_proba(model, data["test"]))
        print(f"  {NAMES[kind]}, seed {seed}: best epoch {r['epoch']}, validation {r['val_acc']:.3f} "
              f"({t.seconds:.0f} s)")
        runs.append(r)
    return runs


def run(args):
    """Train and score every model. Returns ``{"sizes", "majority" (val/test accuracy), "val_acc", "test_acc"
    (model → accuracy; models 'bow', 'bag', 'lstm' — the runs with seed ``args.seed`` — and 'ensemble'),
    "seed_test_acc" ('bag'/'lstm' → test accuracy of every seed), "history" (model → training loss and
    validation accuracy per epoch, seed ``args.seed``), "best" (the neural model with the best validation
    accuracy), "results" (model → everything its trainer returned, the models included)}``."""
    split = load_split(args.limit)
    sizes = {p: len(split[p]["labels"]) for p in split}
    on = f", device {args.device}" if args.device != "cpu" else ""
    print(f"UCI sentiment sentences: train {sizes['train']}, validation {sizes['val']}, test {sizes['test']} "
          f"(stratified by source and label, split seed {SPLIT_SEED}){on}")
    majority = majority_baseline(split)
    results = {}

    with common.Timer() as t:
        results["bow"] = bow_baseline(split, seed=args.seed, device=args.device)
    results["bow"]["seconds"] = t.seconds
    print(f"  {NAMES['bow']}: λ = {results['bow']['l2']:g}, best epoch {results['bow']['epoch']}, validation "
          f"{results['bow']['val_acc']:.3f} ({t.seconds:.0f} s)")

    vocab = build_vocab(split["train"]["tokens"])
    bigram_vocab = Vocab.build([bigrams(t) for t in split["train"]["tokens"]], min_freq=BAG["bigram_min_freq"])
    runs = {kind: _train_seeds(kind, split, vocab, bigram_vocab, args) for kind in ("bag", "lstm")}
    for kind in ("bag", "lstm"):
        results[kind] = dict(runs[kind][0], seconds=sum(r["seconds"] for r in runs[kind]), runs=runs[kind])

    members = runs["bag"] + runs["lstm"]  # the ensemble averages the members' class probabilities
    val_p = np.mean([r["val_proba"] for r in members], axis=0)
    test_p = np.mean([r["test_proba"] for r in members], axis=0)
    results["ensemble"] = {
        "val_acc": float(np.mean(val_p.argmax(axis=1) == split["val"]["labels"])),
        "test_acc": float(np.mean(test_p.argmax(axis=1) == split["test"]["labels"])),
        "members": len(members), "seconds": results["bag"]["seconds"] + results["lstm"]["seconds"]}
    best = max(NEURAL, key=lambda k: results[k]["val_acc"])  # chosen on validation, never on test

    common_extra = {"vocab": vocab.state_dict(), "split_seed": SPLIT_SEED, "seed": args.seed}
    bow = results["bow"]
    common.save_checkpoint(args.out / "sentiment_bow.npz", bow["model"], bow["optimizer"], l2=bow["l2"],
                           val_acc=bow["val_acc"], test_acc=bow["test_acc"], best_epoch=bow["epoch"],
                           history=bow["history"], **common_extra)
    for kind in ("bag", "lstm"):
        r = results[kind]
        extra = dict(common_extra, config=BAG if kind == "bag" else LSTM)
        if kind == "bag":
            extra["bigram_vocab"] = bigram_vocab.state_dict()
        # the run with seed --seed is "model"; the other ensemble members follow, each with its seed
        extra["other_seeds"] = [{"seed": m["seed"], "model": m["model"].state_dict()} for m in r["runs"][1:]]
        common.save_checkpoint(args.out / f"sentiment_{kind}.npz", r["model"], r["optimizer"],
                               val_acc=r["val_acc"], test_acc=r["test_acc"], best_epoch=r["epoch"],
                               history=r["history"], seed_test_acc=[m["test_acc"] for m in r["runs"]],
                               ensemble_val_acc=results["ensemble"]["val_acc"],
                               ensemble_test_acc=results["ensemble"]["test_acc"], **extra)
    common.save_plot(args.out / "sentiment.png", lambda plt: _draw(plt, results, majority))
    keys = ("bow", "bag", "lstm", "ensemble")
    return {"sizes": sizes, "majority": majority, "best": best, "ensemble_size": args.ensemble,
            "val_acc": {k: results[k]["val_acc"] for k in keys},
            "test_acc": {k: results[k]["test_acc"] for k in keys},
            "seed_test_acc": {k: [m["test_acc"] for m in results[k]["runs"]] for k in ("bag", "lstm")},
            "history": {k: results[k]["history"] for k in ("bow", "bag", "lstm")}, "results": results}


def _draw(plt, results, majority):
    from matplotlib.ticker import MaxNLocator
    _, axes = plt.subplots(1, 3, figsize=(16, 4.4))
    ax = axes[0]
    bow = results["bow"]
    for l2, curve in bow["curves"].items():
        chosen = l2 == bow["l2"]
        ax.plot(range(1, len(curve) + 1), curve, lw=2 if chosen else 1, alpha=1 if chosen else 0.6,
                label=f"λ = {l2:g}" + (" (chosen)" if chosen else ""))
    ax.plot([bow["epoch"]], [bow["val_acc"]], "k*", ms=10)
    ax.set(title="(a) BoW logistic regression, per λ", xlabel="epoch (one full-batch step)",
           ylabel="validation accuracy")
    ax.legend(fontsize=8)
    ax = axes[1]
    for key, color in (("bag", "tab:blue"), ("lstm", "tab:orange")):
        for i, r in enumerate(results[key]["runs"]):
            curve = r["history"]["val_acc"]
            ax.plot(range(1, len(curve) + 1), curve, color=color, lw=2 if i == 0 else 0.8, alpha=1 if i == 0 else 0.4,
                    marker="o" if i == 0 else None, ms=3, label=f"{NAMES[key]} (thin: other seeds)" if i == 0 else None)
            ax.plot([r["epoch"]], [r["val_acc"]], "*", color=color, ms=12 if i == 0 else 7, alpha=1 if i == 0 else 0.5)
    ax.axhline(results["ensemble"]["val_acc"], color="tab:green", ls="-.",
               label=f"{NAMES['ensemble']}, {results['ensemble']['members']} members")
    ax.axhline(bow["val_acc"], color="gray", ls="--", label=f"{NAMES['bow']} (best)")
    ax.axhline(majority["val"], color="gray", ls=":", label=NAMES["majority"])
    ax.set(title="validation accuracy per epoch (★ = kept epoch)", xlabel="epoch", ylabel="validation accuracy")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=7, loc="lower right")
    ax = axes[2]
    for key, color in (("bag", "tab:blue"), ("lstm", "tab:orange")):
        for i, r in enumerate(results[key]["runs"]):
            loss = r["history"]["train_loss"]
            ax.plot(range(1, len(loss) + 1), loss, color=color, lw=2 if i == 0 else 0.8, alpha=1 if i == 0 else 0.4,
                    marker="o" if i == 0 else None, ms=3, label=NAMES[key] if i == 0 else None)
    ax.set(title="training loss (cross-entropy, train mode)", xlabel="epoch", ylabel="mean loss per epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8)


def summary(out):
    """The results table as text."""
    res, n_test = out["results"], out["sizes"]["test"]
    rows = [(NAMES["majority"], out["majority"]["val"], out["majority"]["test"], "", "-", "-")]
    for key in ("bow", "bag", "lstm", "ensemble"):
        r = res[key]
        seeds = ""
        if key in ("bag", "lstm"):
            accs = out["seed_test_acc"][key]
            seeds = f"{np.mean(accs):.3f} ± {np.std(accs):.3f}" if len(accs) > 1 else ""
        sel = {"bow": f"λ = {r.get('l2', 0):g}, epoch {r.get('epoch')}", "ensemble": f"{r.get('members')} members"}
        rows.append((NAMES[key], r["val_acc"], r["test_acc"], seeds, sel.get(key, f"epoch {r.get('epoch')}"),
                     f"{r['seconds']:.0f} s"))
    k = out["ensemble_size"]
    seeds_col = f"test, {k} seed" + ("s" if k != 1 else "")
    head = f"{'model':<30} {'val acc':>8} {'test acc':>9} {seeds_col:>15}   {'selected':<22} {'time':>6}"
    lines = [head, "-" * len(head)]
    lines += [f"{n:<30} {v:>8.3f} {te:>9.3f} {sd:>15}   {s:<22} {t:>6}" for n, v, te, sd, s, t in rows]
    lines.append("-" * len(head))
    lines.append(f"(b) and (c): the run with --seed; the column '{seeds_col}' is the mean ± sd over the seeds "
                 f"that (d) averages")
    best = out["best"]
    acc, base = res[best]["test_acc"], res["bow"]["test_acc"]
    lines.append(f"best neural model on validation: {NAMES[best]} — test {acc:.3f} vs BoW baseline {base:.3f} "
                 f"({100 * (acc - base):+.1f} points; {round(acc * n_test)} vs {round(base * n_test)} of {n_test} "
                 f"test sentences)")
    verdict = "met" if acc >= 0.80 and acc > base else "missed"
    lines.append(f"target (the best neural model >= 0.800 test accuracy and above the baseline): {verdict}")
    return "\n".join(lines)


def parse_args(argv=None):
    """The script's arguments, after ``common.setup`` (seed, device check, output folder)."""
    p = common.parser(__doc__.splitlines()[0], epochs=20)
    p.add_argument("--patience", type=int, default=6,
                   help="early stopping: epochs without a better validation accuracy (default 6)")
    p.add_argument("--ensemble", type=int, default=5,
                   help="seeds of each neural model; (d) averages all of them (default 5)")
    args = p.parse_args(argv)
    common.setup(args, cuda=True)
    return args


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
