"""Regularisation against overfitting: plain vs L2 (weight decay) vs dropout vs early stopping.

    python examples/demos/regularization.py [--epochs 500] [--lr 0.003] [--hidden 128] [--train 80]
                                            [--weight-decay 0.01] [--dropout 0.5] [--patience 50] [--seed 0]
                                            [--out examples/results]

A big MLP (2 → 128 → 128 → 2, ReLU) trained full-batch with Adam on 80 noisy "two moons" points (15 % of the
labels flipped) memorises them: its training loss goes to ~0 while the validation loss, after a minimum early
on, climbs. The lecture's three remedies, each from the same initial weights:
  - L2: L' = L + λ‖θ‖² penalises large weights (Adam's weight_decay adds wd·θ to the gradient, wd = 2λ);
  - dropout: in training each hidden unit is zeroed with probability p (h_i = r_i·h_i, inverted scaling),
    at evaluation all are used (model.eval());
  - early stopping: "stop when val ↑" — tinygradnb.utils.EarlyStopping watches the validation loss and, after
    --patience epochs without improvement, stops and restores the best epoch's weights.
Prints train / validation / test loss and accuracy of each (the test set is touched only at the end: early
stopping chose its epoch on the validation set), plots the validation curves, saves each model.
"""
import sys
from pathlib import Path

import numpy as np

_EXAMPLES = str(Path(__file__).resolve().parents[1])
if _EXAMPLES not in sys.path:
    sys.path.insert(0, _EXAMPLES)

import common

import tinygradnb as tg
import tinygradnb.nn.functional as F
from tinygradnb import nn, optim
from tinygradnb.utils import EarlyStopping

METHODS = ("plain", "L2", "dropout", "early stopping")


def two_moons(n, rng, noise=0.25, flip=0.15):
    """Two interleaved half circles with Gaussian noise; a fraction ``flip`` of the labels is flipped."""
    t = rng.uniform(0.0, np.pi, n)
    label = rng.integers(0, 2, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    X = np.where(label[:, None] == 0, upper, lower) + noise * rng.normal(size=(n, 2))
    y = label.copy()
    flipped = rng.random(n) < flip
    y[flipped] = 1 - y[flipped]
    return tg.tensor(X, dtype=tg.float32), tg.tensor(y)


def build(hidden, p, seed):
    tg.manual_seed(seed)  # the same initial weights for every method (Dropout has no weights)
    drop = [nn.Dropout(p)] if p > 0 else []
    return nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), *drop, nn.Linear(hidden, hidden), nn.ReLU(), *drop,
                         nn.Linear(hidden, 2))


def evaluate(model, x, y):
    model.eval()
    with tg.no_grad():
        logits = model(x)
        loss = F.cross_entropy(logits, y).item()
        acc = float((logits.argmax(dim=1).numpy() == y.numpy()).mean())
    return loss, acc


def train(method, data, args):
    (xt, yt), (xv, yv) = data["train"], data["val"]
    model = build(args.hidden, args.dropout if method == "dropout" else 0.0, args.seed + 1)
    opt = optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay if method == "L2" else 0.0)
    stopper = EarlyStopping(patience=args.patience, restore_best_weights=True) if method == "early stopping" \
        else None
    train_losses, val_losses, stopped_at = [], [], None
    for epoch in common.progress(range(1, args.epochs + 1), total=args.epochs, desc=method):
        model.train()
        opt.zero_grad()
        loss = F.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        train_losses.append(loss.item())
        val_losses.append(evaluate(model, xv, yv)[0])
        if stopper is not None and stopper.step(val_losses[-1], model):
            stopped_at = epoch  # the best weights are back in the model
            break
    if stopper is not None and stopped_at is None and stopper.best_state is not None:
        stopper.restore(model)  # ran out of epochs while still patient: keep the best epoch anyway
    result = dict(train_losses=train_losses, val_losses=val_losses, epochs_run=len(train_losses),
                  best_val_epoch=int(np.argmin(val_losses)) + 1, min_val_loss=float(min(val_losses)),
                  stopped_at=stopped_at, restored_epoch=stopper.best_epoch if stopper else None)
    for split in ("train", "val", "test"):
        result[f"{split}_loss"], result[f"{split}_acc"] = evaluate(model, *data[split])
    name = method.replace(" ", "_")
    common.save_checkpoint(args.out / f"regularization_{name}.npz", model, opt, method=method,
                           train_losses=train_losses, val_losses=val_losses)
    return result


def main(argv=None):
    p = common.parser(__doc__.splitlines()[0], epochs=500, lr=0.003)
    p.add_argument("--hidden", type=int, default=128, help="units per hidden layer (default 128)")
    p.add_argument("--train", type=int, default=80, help="training points (default 80)")
    p.add_argument("--val", type=int, default=400, help="validation points (default 400)")
    p.add_argument("--test", type=int, default=1000, help="test points (default 1000)")
    p.add_argument("--weight-decay", type=float, default=0.01, help="L2 run: Adam weight_decay (default 0.01)")
    p.add_argument("--dropout", type=float, default=0.5, help="dropout run: p (default 0.5)")
    p.add_argument("--patience", type=int, default=50, help="early stopping patience in epochs (default 50)")
    args = p.parse_args(argv)
    common.setup(args)
    rng = np.random.default_rng(args.seed)
    n_train = args.train if args.limit is None else min(args.train, args.limit)
    data = {"train": two_moons(n_train, rng), "val": two_moons(args.val, rng), "test": two_moons(args.test, rng)}

    results = {m: train(m, data, args) for m in METHODS}

    print(f"\n{n_train} training points (15 % labels flipped), MLP 2 → {args.hidden} → {args.hidden} → 2, Adam lr "
          f"{args.lr:g}, up to {args.epochs} epochs")
    print(f"{'method':16s} {'train loss':>10s} {'acc':>6s} {'val loss':>9s} {'acc':>6s} {'test loss':>9s} "
          f"{'acc':>6s}   min val loss (epoch)")
    for m, r in results.items():
        extra = ""
        if m == "early stopping":
            extra = (f"; stopped at epoch {r['stopped_at']}, restored epoch {r['restored_epoch']}"
                     if r["stopped_at"] else f"; never stopped, restored epoch {r['restored_epoch']}")
        print(f"{m:16s} {r['train_loss']:10.4f} {r['train_acc']:6.3f} {r['val_loss']:9.4f} {r['val_acc']:6.3f} "
              f"{r['test_loss']:9.4f} {r['test_acc']:6.3f}   {r['min_val_loss']:.4f} ({r['best_val_epoch']})"
              + extra)
    plain = results["plain"]
    overfit = plain["val_loss"] > 1.5 * plain["min_val_loss"] and plain["train_loss"] < plain["val_loss"]
    better = [m for m in METHODS[1:] if results[m]["val_loss"] < plain["val_loss"]]
    print(f"plain overfits (final val loss {plain['val_loss']:.3f} vs its minimum {plain['min_val_loss']:.3f} "
          f"at epoch {plain['best_val_epoch']}): {overfit}; lower final val loss than plain: "
          f"{', '.join(better) if better else 'none'}")
    ok = overfit and len(better) == len(METHODS) - 1

    def draw(plt):
        fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
        for m, r in results.items():
            label = "early stopping (= plain until it stops)" if m == "early stopping" else m
            line, = axes[0].plot(range(1, r["epochs_run"] + 1), r["val_losses"], label=label)
            axes[1].plot(range(1, r["epochs_run"] + 1), r["train_losses"], color=line.get_color(), label=m)
            if m == "early stopping" and r["restored_epoch"]:
                axes[0].axvline(r["restored_epoch"], color=line.get_color(), ls=":", lw=1)
                axes[0].plot(r["restored_epoch"], r["val_losses"][r["restored_epoch"] - 1], "o",
                             color=line.get_color(), label="early stopping: restored best epoch")
        axes[0].set_yscale("log")
        axes[0].set_xlabel("epoch")
        axes[0].set_ylabel("validation cross-entropy (eval mode)")
        axes[0].set_title("validation loss")
        axes[0].legend(fontsize=8)
        axes[1].set_yscale("log")
        axes[1].set_xlabel("epoch")
        axes[1].set_ylabel("training cross-entropy (train mode)")
        axes[1].set_title("training loss")
        axes[1].legend(fontsize=8)

    plot = common.save_plot(args.out / "regularization.png", draw)
    return dict(ok=ok, overfit=overfit, results=results, plot=plot,
                checkpoints=[args.out / f"regularization_{m.replace(' ', '_')}.npz" for m in METHODS])


if __name__ == "__main__":
    sys.exit(0 if main()["ok"] else 1)
