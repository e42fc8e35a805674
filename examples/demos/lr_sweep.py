"""Learning-rate sweep: final training loss of the same small MLP for learning rates on a log grid.

    python examples/demos/lr_sweep.py [--lr-min 1e-4] [--lr-max 10] [--points 16] [--epochs 300] [--seed 0]
                                      [--out examples/results]

The lecture's W ← W − η ∂L/∂W with η "too high → unstable, may diverge; too low → slow convergence". Every
run starts from the same weights (a 1 → 32 → 32 → 1 tanh MLP) and fits y = sin(πx) + noise by full-batch plain
SGD for --epochs steps; only η changes. Small η barely moves the loss in that budget, a band of η fits well,
and past it the steps overshoot and the loss grows to inf/NaN. Prints the table (η, final loss, regime), plots
final loss vs η and a few loss curves, and saves the best run's model.
"""
import math
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


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n, 1))
    Y = np.sin(np.pi * X) + 0.05 * rng.normal(size=X.shape)
    return tg.tensor(X, dtype=tg.float32), tg.tensor(Y, dtype=tg.float32)


def build(seed):
    tg.manual_seed(seed)  # the same initial weights for every learning rate
    return nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))


def train(lr, x, y, args):
    model = build(args.seed + 1)
    opt = optim.SGD(model.parameters(), lr=float(lr))
    losses = []
    with np.errstate(over="ignore", invalid="ignore"):  # the largest rates overflow on purpose
        for _ in range(args.epochs):
            opt.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            losses.append(loss.item())
            if not math.isfinite(losses[-1]):
                break  # inf/NaN weights never recover
            opt.step()
        if math.isfinite(losses[-1]):
            with tg.no_grad():
                losses.append(F.mse_loss(model(x), y).item())  # the loss after the last step
    return model, opt, losses


def _spikes(losses):
    """Whether the loss ever rose to more than twice its lowest value so far (an unstable, spiky run)."""
    low = math.inf
    for v in losses:
        if v > 2 * low:
            return True
        low = min(low, v)
    return False


def main(argv=None):
    p = common.parser(__doc__.splitlines()[0], epochs=300)
    p.add_argument("--lr-min", type=float, default=1e-4, help="smallest learning rate (default 1e-4)")
    p.add_argument("--lr-max", type=float, default=10.0, help="largest learning rate (default 10)")
    p.add_argument("--points", type=int, default=16, help="learning rates on the log grid (default 16)")
    p.add_argument("--samples", type=int, default=128, help="training samples (default 128)")
    args = p.parse_args(argv)
    if not 0 < args.lr_min < args.lr_max or args.points < 2 or args.epochs < 1:
        p.error("need 0 < --lr-min < --lr-max, --points >= 2 and --epochs >= 1")
    common.setup(args)
    n = args.samples if args.limit is None else min(args.samples, args.limit)
    x, y = make_data(n, args.seed)

    lrs = np.logspace(math.log10(args.lr_min), math.log10(args.lr_max), args.points)
    runs = []
    for lr in common.progress(lrs, total=len(lrs), desc="learning rates"):
        model, opt, losses = train(lr, x, y, args)
        final = losses[-1]
        diverged = not math.isfinite(final) or final > losses[0]
        runs.append(dict(lr=float(lr), losses=losses, initial=losses[0], final=final, diverged=diverged,
                         model=model, optimizer=opt))
    finite = [r for r in runs if not r["diverged"]]
    best = min(finite, key=lambda r: r["final"]) if finite else None
    for r in runs:
        if r["diverged"]:
            r["regime"] = "diverged (too large)"
        elif r is best:
            r["regime"] = "best"
        elif r["lr"] < best["lr"] and r["final"] > 2 * best["final"]:
            r["regime"] = "too small (slow)"
        elif r["lr"] > best["lr"] and r["final"] > 2 * best["final"]:
            r["regime"] = "too large (unstable)"
        elif _spikes(r["losses"]):
            r["regime"] = "good, with loss spikes (near the edge)"
        else:
            r["regime"] = "good"

    print(f"\nfull-batch SGD, {args.epochs} steps, {n} samples, initial loss {runs[0]['initial']:.4f}")
    print(f"{'lr':>10s}  {'final loss':>12s}  regime")
    for r in runs:
        where = f" (inf/NaN after {len(r['losses'])} steps)" if not math.isfinite(r["final"]) else ""
        print(f"{r['lr']:10.2e}  {r['final']:12.4g}  {r['regime']}{where}")
    too_small = [r for r in runs if r["regime"] == "too small (slow)"]
    too_large = [r for r in runs if r["diverged"]]
    ok = best is not None and bool(too_small) and bool(too_large)
    if best is not None:
        print(f"best lr {best['lr']:.2e}: loss {best['initial']:.4f} → {best['final']:.4f}; "
              f"{len(too_small)} rate(s) too small, {len(too_large)} diverged"
              + (f" (the smallest diverging: {min(r['lr'] for r in too_large):.2e})" if too_large else ""))
        common.save_checkpoint(args.out / "lr_sweep_best.npz", best["model"], best["optimizer"], lr=best["lr"],
                               losses=best["losses"], lrs=[r["lr"] for r in runs],
                               final_losses=[r["final"] if math.isfinite(r["final"]) else None for r in runs])
    else:
        print("every learning rate diverged")

    def draw(plt):
        fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
        ok_runs = [r for r in runs if not r["diverged"]]
        axes[0].loglog([r["lr"] for r in ok_runs], [r["final"] for r in ok_runs], "o-", label="final loss")
        if too_large:
            top = max([r["initial"] for r in runs] + [r["final"] for r in ok_runs]) * 3
            axes[0].scatter([r["lr"] for r in too_large], [top] * len(too_large), marker="x", c="red", s=60,
                            label="diverged (loss grew / inf / NaN)")
        axes[0].axhline(runs[0]["initial"], color="gray", ls="--", lw=1, label="initial loss")
        axes[0].set_xlabel("learning rate η")
        axes[0].set_ylabel(f"training MSE after {args.epochs} steps")
        axes[0].set_title("final loss vs learning rate")
        axes[0].legend(fontsize=8)
        shown = [runs[0], best] + ([r for r in ok_runs if r["lr"] > best["lr"]][-1:] if best else []) + \
            too_large[:1]
        for r in shown:
            if r is None:
                continue
            vals = [v if math.isfinite(v) else np.nan for v in r["losses"]]
            axes[1].semilogy(vals, label=f"η = {r['lr']:.1e} ({r['regime']})")
        lows = [v for r in shown if r is not None for v in r["losses"] if math.isfinite(v)]
        axes[1].set_ylim(min(lows) * 0.5, runs[0]["initial"] * 100)  # diverging curves leave through the top
        axes[1].set_xlabel("step")
        axes[1].set_ylabel("training MSE")
        axes[1].set_title("loss curves")
        axes[1].legend(fontsize=8)

    plot = common.save_plot(args.out / "lr_sweep.png", draw)
    return dict(ok=ok, runs=[{k: v for k, v in r.items() if k not in ("model", "optimizer")} for r in runs],
                best_lr=best["lr"] if best else None, plot=plot,
                checkpoint=args.out / "lr_sweep_best.npz" if best else None)


if __name__ == "__main__":
    sys.exit(0 if main()["ok"] else 1)
