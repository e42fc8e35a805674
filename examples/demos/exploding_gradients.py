"""Exploding gradients: a deep ReLU MLP initialised too large, trained with and without gradient clipping.

    python examples/demos/exploding_gradients.py [--depth 10] [--gain 1.5] [--epochs 300] [--lr 0.02]
                                                 [--max-norm 5] [--seed 0] [--out examples/results]

With weights ~ N(0, gain²·2/n_in) every ReLU layer multiplies the signal, forward and backward, by about
``gain``: when ‖W^[l]‖ > 1 the factor compounds across layers (the lecture's exploding gradients), so the
gradient norm at initialisation grows like gain^depth (and shrinks like it below gain 1: vanishing). The script
first measures the total gradient norm at initialisation for a range of gains, then trains the --gain model on a
small regression task by plain SGD twice from the same weights: without clipping the first huge step throws the
weights out and the loss becomes inf/NaN; with ``clip_grad_norm_`` (g ← g·τ/‖g‖ if ‖g‖ > τ, τ = --max-norm)
every step is bounded and the loss falls. Prints the norms and losses, plots them, saves the clipped model.
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
from tinygradnb.utils import clip_grad_norm_

GAINS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


def make_data(n, d_in):
    """Regression targets in (−1, 1) from a random tanh teacher."""
    x = tg.randn(n, d_in)
    teacher = nn.Sequential(nn.Linear(d_in, 16), nn.Tanh(), nn.Linear(16, 1), nn.Tanh())
    with tg.no_grad():
        y = teacher(x)
    return x, y


def build(d_in, width, depth, gain, seed):
    """``depth`` ReLU layers with weights ~ N(0, gain²·2/n_in) (gain 1 is He init), then a Linear head; the
    weights depend only on ``seed`` (so both training runs start from the same point)."""
    tg.manual_seed(seed)
    layers, n = [], d_in
    for _ in range(depth):
        lin = nn.Linear(n, width)
        nn.init.normal_(lin.weight, 0.0, gain * math.sqrt(2.0 / n))
        nn.init.zeros_(lin.bias)
        layers += [lin, nn.ReLU()]
        n = width
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


def grad_norm(model):
    """‖g‖₂ over all parameters, computed in float64 with NumPy (independent of clip_grad_norm_)."""
    return math.sqrt(sum(float(np.sum(p.grad.numpy().astype(np.float64) ** 2))
                         for p in model.parameters() if p.grad is not None))


def delta_norms(model, x, y):
    """Backpropagate the loss once and return (loss, ‖∂L/∂z^[l]‖ for each layer's pre-activation z^[l]), the
    lecture's δ^[l] = (W^[l+1])ᵀ δ^[l+1] ⊙ σ'(z^[l]), in the order l = 1..depth."""
    h, zs = x, []
    for m in model:
        h = m(h)
        if isinstance(m, nn.Linear) and m is not model[len(model) - 1]:
            h.retain_grad()
            zs.append(h)
    loss = F.mse_loss(h, y)
    loss.backward()
    return loss.item(), [math.sqrt(float(np.sum(z.grad.numpy().astype(np.float64) ** 2))) for z in zs]


def train(model, x, y, args, clip):
    opt = optim.SGD(model.parameters(), lr=args.lr)
    losses, norms, clipped_norms, diverged_at = [], [], [], None
    desc = "with clipping" if clip else "no clipping"
    with np.errstate(over="ignore", invalid="ignore"):  # the unclipped run overflows on purpose
        for step in common.progress(range(args.epochs), total=args.epochs, desc=desc):
            opt.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            value = loss.item()
            losses.append(value)
            if not math.isfinite(value):  # inf/NaN weights never come back: stop here
                diverged_at = step
                norms.append(float("nan"))
                clipped_norms.append(float("nan"))
                break
            # clip_grad_norm_ returns the norm before clipping as a 0-d tensor (as PyTorch): .item() reads it
            total = clip_grad_norm_(model.parameters(), args.max_norm).item() if clip else grad_norm(model)
            norms.append(total)
            clipped_norms.append(grad_norm(model))
            opt.step()
    return dict(model=model, optimizer=opt, losses=losses, norms=norms, clipped_norms=clipped_norms,
                diverged_at=diverged_at, final_loss=losses[-1])


def main(argv=None):
    p = common.parser(__doc__.splitlines()[0], epochs=300, lr=0.02)
    p.add_argument("--depth", type=int, default=10, help="ReLU layers (default 10)")
    p.add_argument("--width", type=int, default=32, help="units per layer (default 32)")
    p.add_argument("--gain", type=float, default=1.5, help="init scale relative to He init (default 1.5)")
    p.add_argument("--max-norm", type=float, default=5.0, help="clipping threshold τ (default 5)")
    p.add_argument("--samples", type=int, default=256, help="training samples (default 256)")
    args = p.parse_args(argv)
    common.setup(args)
    n = args.samples if args.limit is None else min(args.samples, args.limit)
    x, y = make_data(n, 8)

    print(f"== gradient norm at initialisation, {args.depth} ReLU layers, weights ~ N(0, gain²·2/n_in) ==")
    sweep = {}
    for gain in sorted(set(GAINS) | {args.gain}):
        model = build(8, args.width, args.depth, gain, args.seed + 1)
        loss, deltas = delta_norms(model, x, y)
        sweep[gain] = dict(norm=grad_norm(model), deltas=deltas, loss=loss)
        print(f"gain {gain:4.2f}: ‖g‖ = {sweep[gain]['norm']:10.3e}   ‖δ^[1]‖/‖δ^[{args.depth}]‖ = "
              f"{deltas[0] / deltas[-1]:9.2e}   initial loss {loss:.3e}")

    print(f"\n== training gain {args.gain}, plain SGD lr {args.lr}, {args.epochs} steps ==")
    runs = {clip: train(build(8, args.width, args.depth, args.gain, args.seed + 1), x, y, args, clip)
            for clip in (False, True)}
    for clip, r in runs.items():
        name = f"with clip_grad_norm_(max_norm={args.max_norm})" if clip else "without clipping"
        if r["diverged_at"] is not None:
            print(f"{name:36s} loss {r['losses'][0]:.3e} → {r['final_loss']} (diverged at step "
                  f"{r['diverged_at']}; the step before had ‖g‖ = {r['norms'][r['diverged_at'] - 1]:.3e})"
                  if r["diverged_at"] > 0 else f"{name}: loss non-finite from the start")
        else:
            finite = [v for v in r["clipped_norms"] if math.isfinite(v)]
            print(f"{name:36s} loss {r['losses'][0]:.3e} → {r['final_loss']:.4f}; ‖g‖ before clipping: "
                  f"max {max(r['norms']):.3e}, last {r['norms'][-1]:.3e}; after clipping: max {max(finite):.4f}")
    clip_run = runs[True]
    clipped_ok = all(v <= args.max_norm * (1 + 1e-4) for v in clip_run["clipped_norms"])
    ok = (clip_run["diverged_at"] is None and clipped_ok and clip_run["final_loss"] < clip_run["losses"][0])
    print(f"clipped norms all ≤ max_norm: {clipped_ok}; clipped run finite and its loss fell: "
          f"{clip_run['diverged_at'] is None and clip_run['final_loss'] < clip_run['losses'][0]}")

    common.save_checkpoint(args.out / "exploding_gradients_clipped.npz", clip_run["model"], clip_run["optimizer"],
                           gain=args.gain, max_norm=args.max_norm, losses=clip_run["losses"],
                           norms=clip_run["norms"])

    def draw(plt):
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
        for gain, s in sweep.items():
            axes[0].semilogy(range(1, args.depth + 1), s["deltas"], "o-", label=f"gain {gain:g}")
        axes[0].set_xlabel("layer l (1 = next to the input)")
        axes[0].set_ylabel("‖δ_l‖ = ‖∂L/∂z_l‖ at init")
        axes[0].set_title("backpropagated gradient per layer vs init scale")
        axes[0].legend(fontsize=8)
        for clip, r in runs.items():
            label = f"clip τ = {args.max_norm:g}" if clip else "no clipping"
            if r["diverged_at"] is not None:
                label += f" (inf/NaN at step {r['diverged_at']})"
            axes[1].semilogy(r["losses"], "o-" if len(r["losses"]) < 5 else "-", label=label)
        axes[1].set_xlabel("step")
        axes[1].set_ylabel("training MSE")
        axes[1].set_title(f"loss, gain {args.gain:g}, SGD lr {args.lr:g}")
        axes[1].legend(fontsize=8)
        axes[2].semilogy(clip_run["norms"], label="‖g‖ before clipping")
        axes[2].semilogy(clip_run["clipped_norms"], label="‖g‖ after clipping")
        axes[2].axhline(args.max_norm, color="k", ls="--", lw=1, label="max_norm τ")
        axes[2].set_xlabel("step")
        axes[2].set_title("gradient norm of the clipped run")
        axes[2].legend(fontsize=8)

    plot = common.save_plot(args.out / "exploding_gradients.png", draw)
    return dict(ok=ok, init_norms={g: s["norm"] for g, s in sweep.items()},
                init_deltas={g: s["deltas"] for g, s in sweep.items()}, max_norm=args.max_norm,
                runs={("clipped" if clip else "unclipped"): {k: v for k, v in r.items()
                                                              if k not in ("model", "optimizer")}
                      for clip, r in runs.items()},
                plot=plot, checkpoint=args.out / "exploding_gradients_clipped.npz")


if __name__ == "__main__":
    sys.exit(0 if main()["ok"] else 1)
