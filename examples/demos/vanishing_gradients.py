"""Vanishing gradients: gradient norm per layer of a deep sigmoid MLP vs ReLU with He init vs residual + LayerNorm.

    python examples/demos/vanishing_gradients.py [--depth 12] [--width 64] [--epochs 200] [--lr 0.05]
                                                 [--probe-step 20] [--seed 0] [--out examples/results]

The lecture's backward recursion δ^[l] = (W^[l+1])ᵀ δ^[l+1] ⊙ σ'(z^[l]) multiplies by σ'(z) ≤ 0.25 at every
sigmoid layer, so with Xavier init the gradient reaching the first of 12 layers is ~4¹¹ ≈ 10⁶–10⁷ times smaller
than the last one's. ReLU (σ' = 1 where active) with He init, Var(w) = 2/n_in, keeps the norm roughly level, and
a pre-norm residual block h + f(LayerNorm(h)) has ∂h^[l+1]/∂h^[l] = I + ∂f/∂h, a path the gradient takes
unchanged.

The three models (each --depth tracked Linear layers of --width units, then a Linear head to 4 classes) are
trained by full-batch SGD with momentum on a small synthetic task (labels of a random teacher network). The
script prints ‖∂L/∂W_l‖ for every layer at initialisation and after --probe-step steps, and the loss before and
after training; it plots the norms per layer (log scale) and the loss curves, and saves each model's checkpoint.
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

KINDS = ("sigmoid", "relu_he", "residual_ln")
LABELS = {"sigmoid": "sigmoid, Xavier init", "relu_he": "ReLU, He init",
          "residual_ln": "residual + LayerNorm (ReLU, He)"}


def make_data(n, d_in, n_classes):
    """Gaussian inputs labelled by a random tanh teacher network (every class present)."""
    x = tg.randn(n, d_in)
    teacher = nn.Sequential(nn.Linear(d_in, 32), nn.Tanh(), nn.Linear(32, n_classes))
    with tg.no_grad():
        y = teacher(x * 2.0).argmax(dim=1)
    return x, y


def _linear(n_in, n_out, kind):
    lin = nn.Linear(n_in, n_out)
    if kind == "sigmoid":
        nn.init.xavier_normal_(lin.weight)  # the lecture's init for sigmoid/tanh: Var = 2 / (n_in + n_out)
    else:
        nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")  # He: Var = 2 / n_in
    nn.init.zeros_(lin.bias)
    return lin


def build(kind, d_in, width, depth, n_out):
    """The model and the list of its ``depth`` tracked Linear layers, first to last."""
    layers, tracked = [], []
    if kind in ("sigmoid", "relu_he"):
        n = d_in
        for _ in range(depth):
            lin = _linear(n, width, kind)
            layers += [lin, nn.Sigmoid() if kind == "sigmoid" else nn.ReLU()]
            tracked.append(lin)
            n = width
    elif kind == "residual_ln":
        stem = _linear(d_in, width, kind)
        layers.append(stem)
        tracked.append(stem)
        for _ in range(depth - 1):  # pre-norm blocks: h ← h + ReLU(W·LayerNorm(h) + b)
            lin = _linear(width, width, kind)
            layers.append(nn.Residual(nn.Sequential(nn.LayerNorm(width), lin, nn.ReLU())))
            tracked.append(lin)
        layers.append(nn.LayerNorm(width))
    else:
        raise ValueError(f"unknown model kind {kind!r}")
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers), tracked


def grad_norms(tracked):
    """‖∂L/∂W_l‖₂ (Frobenius) of each tracked layer's weight."""
    return [math.sqrt(float(np.sum(lin.weight.grad.numpy().astype(np.float64) ** 2))) for lin in tracked]


def train(kind, x, y, args):
    model, tracked = build(kind, x.shape[1], args.width, args.depth, int(y.numpy().max()) + 1)
    opt = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    losses, probes = [], {}
    for step in common.progress(range(args.epochs + 1), total=args.epochs + 1, desc=kind):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        losses.append(loss.item())
        if step in (0, args.probe_step):
            probes[step] = grad_norms(tracked)
        if step < args.epochs:  # the last pass only measures the final loss
            opt.step()
    common.save_checkpoint(args.out / f"vanishing_gradients_{kind}.npz", model, opt, kind=kind,
                           losses=losses, grad_norms_init=probes[0])
    return dict(norms_init=probes[0], norms_probe=probes.get(args.probe_step), losses=losses,
                loss_start=losses[0], loss_end=losses[-1])


def main(argv=None):
    p = common.parser(__doc__.splitlines()[0], epochs=200, lr=0.05)
    p.add_argument("--depth", type=int, default=12, help="tracked layers per model (default 12)")
    p.add_argument("--width", type=int, default=64, help="units per hidden layer (default 64)")
    p.add_argument("--samples", type=int, default=512, help="training samples (default 512)")
    p.add_argument("--probe-step", type=int, default=20, help="also measure the norms after this many steps "
                                                                "(default 20)")
    args = p.parse_args(argv)
    if args.depth < 2 or args.epochs < 0:
        p.error("--depth must be >= 2 and --epochs >= 0")
    common.setup(args)
    n = args.samples if args.limit is None else min(args.samples, args.limit)
    x, y = make_data(n, 16, 4)
    args.probe_step = min(args.probe_step, args.epochs)

    results = {}
    for kind in KINDS:
        results[kind] = train(kind, x, y, args)

    def show(vals):
        return " ".join(f"{v:8.1e}" for v in vals)

    print(f"\n‖∂L/∂W_l‖ per layer l = 1..{args.depth} (first layer left), {n} samples, {args.width} wide")
    for step, key in ((0, "norms_init"), (args.probe_step, "norms_probe")):
        print(f"-- step {step} --")
        for kind, r in results.items():
            print(f"{kind:12s} {show(r[key])}")
    print("\nfirst-layer / last-layer gradient norm at init, loss before → after training:")
    for kind, r in results.items():
        r["first_over_last"] = r["norms_init"][0] / r["norms_init"][-1]
        print(f"{LABELS[kind]:32s} ratio {r['first_over_last']:9.2e}   loss {r['loss_start']:.4f} → "
              f"{r['loss_end']:.4f} after {args.epochs} steps")
    sig = results["sigmoid"]["norms_init"][0]
    ok = results["relu_he"]["norms_init"][0] > sig and results["residual_ln"]["norms_init"][0] > sig
    print(f"first-layer gradient: ReLU+He / sigmoid = {results['relu_he']['norms_init'][0] / sig:.1e}, "
          f"residual+LN / sigmoid = {results['residual_ln']['norms_init'][0] / sig:.1e}"
          + ("" if ok else "   (claim NOT shown: sigmoid's is not the smallest)"))

    def draw(plt):
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
        layers = np.arange(1, args.depth + 1)
        for ax, step, key in ((axes[0], 0, "norms_init"), (axes[1], args.probe_step, "norms_probe")):
            for kind, r in results.items():
                ax.semilogy(layers, r[key], "o-", label=LABELS[kind])
            ax.set_xlabel("layer (1 = next to the input)")
            ax.set_ylabel("‖∂L/∂W‖")
            ax.set_title(f"gradient norm per layer, step {step}")
            ax.grid(True, which="both", alpha=0.3)
        axes[0].legend(fontsize=8)
        for kind, r in results.items():
            axes[2].plot(r["losses"], label=LABELS[kind])
        axes[2].set_xlabel("step")
        axes[2].set_ylabel("training cross-entropy")
        axes[2].set_title(f"training loss ({args.depth} layers, SGD momentum, lr {args.lr})")
        axes[2].legend(fontsize=8)

    plot = common.save_plot(args.out / "vanishing_gradients.png", draw)
    return dict(ok=ok, results=results, depth=args.depth, probe_step=args.probe_step, plot=plot,
                checkpoints=[args.out / f"vanishing_gradients_{k}.npz" for k in KINDS])


if __name__ == "__main__":
    sys.exit(0 if main()["ok"] else 1)
