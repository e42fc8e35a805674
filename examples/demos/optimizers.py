"""SGD vs SGD with momentum vs Adam escaping a saddle point, on a 2-parameter surface.

    python examples/demos/optimizers.py [--epochs 150] [--lr 0.05] [--start 1.0 0.001] [--momentum 0.9]
                                        [--out examples/results]

The surface is the saddle f(x, y) = x² − y² made bounded below by a quartic term: f(x, y) = x² − y² + y⁴/4.
(0, 0) is a saddle point (curvature +2 along x, −2 along y) and the minima are at (0, ±√2), f = −1. Starting
near the x-axis, the gradient pushes x towards the saddle while the escaping component y grows only in
proportion to itself, ∂f/∂y ≈ −2y: plain SGD (θ ← θ − η∇f) crawls away from the saddle, momentum accumulates
the small consistent push, and Adam divides by √v̂ so even a tiny gradient gives a step of about η per
coordinate ("adapts step sizes per-parameter"). Each optimizer (the library's, on one Parameter of shape (2,))
takes --epochs steps with the same η. Prints, for each, the step at which it escaped (|y| ≥ 1), the step at
which f came within 1e-3 of the minimum, and the final point and value; plots the trajectories on the contour
plot and f − f_min per step.
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
from tinygradnb import nn, optim

F_MIN = -1.0  # at (0, ±√2)
ESCAPE_Y = 1.0
TOLERANCE = 1e-3


def surface(p):
    """f(x, y) = x² − y² + y⁴/4 of a Tensor p = (x, y) (differentiable)."""
    x, y = p[0], p[1]
    return x ** 2 - y ** 2 + y ** 4 / 4


def surface_np(x, y):
    return x ** 2 - y ** 2 + y ** 4 / 4


def make_optimizer(name, params, args):
    if name == "SGD":
        return optim.SGD(params, lr=args.lr)
    if name == "SGD + momentum":
        return optim.SGD(params, lr=args.lr, momentum=args.momentum)
    if name == "Adam":
        return optim.Adam(params, lr=args.lr)
    raise ValueError(name)


def run(name, args):
    p = nn.Parameter(tg.tensor(list(args.start), dtype=tg.float64))
    opt = make_optimizer(name, [p], args)
    path, values = [p.numpy().copy()], []
    escape = converged = None
    for step in range(1, args.epochs + 1):
        opt.zero_grad()
        loss = surface(p)
        loss.backward()
        values.append(loss.item())
        opt.step()
        path.append(p.numpy().copy())
        if escape is None and abs(path[-1][1]) >= ESCAPE_Y:
            escape = step
        if converged is None and surface_np(*path[-1]) <= F_MIN + TOLERANCE:
            converged = step
    values.append(float(surface_np(*path[-1])))
    return dict(path=np.array(path), values=values, escape_step=escape, converged_step=converged,
                final=path[-1].tolist(), final_value=values[-1])


def main(argv=None):
    p = common.parser(__doc__.splitlines()[0], epochs=150, lr=0.05)
    p.add_argument("--start", type=float, nargs=2, default=(1.0, 1e-3), metavar=("X", "Y"),
                   help="starting point (default 1.0 0.001: near the x-axis, which leads into the saddle)")
    p.add_argument("--momentum", type=float, default=0.9, help="momentum of the second run (default 0.9)")
    args = p.parse_args(argv)
    common.setup(args)

    runs = {}
    for name in common.progress(["SGD", "SGD + momentum", "Adam"], total=3, desc="optimizers"):
        runs[name] = run(name, args)

    print(f"\nf(x, y) = x² − y² + y⁴/4 from ({args.start[0]:g}, {args.start[1]:g}), lr {args.lr:g}, "
          f"{args.epochs} steps (saddle at (0, 0), minima f = −1 at (0, ±√2))")
    print(f"{'optimizer':16s} {'escaped (|y|≥1)':>16s} {'f ≤ −1 + 1e-3':>14s}   final (x, y)          final f − f_min")
    for name, r in runs.items():
        esc = f"step {r['escape_step']}" if r["escape_step"] else "never"
        conv = f"step {r['converged_step']}" if r["converged_step"] else "never"
        print(f"{name:16s} {esc:>16s} {conv:>14s}   ({r['final'][0]:+.4f}, {r['final'][1]:+.4f})   "
              f"{r['final_value'] - F_MIN:.2e}")
    order = sorted(runs, key=lambda n: runs[n]["escape_step"] or math.inf)
    print("escape order, fastest first: " + " < ".join(order))
    sgd, mom, adam = (runs[n]["escape_step"] or math.inf for n in ("SGD", "SGD + momentum", "Adam"))
    ok = mom < sgd and adam < sgd

    def draw(plt):
        fig, axes = plt.subplots(1, 2, figsize=(13, 5))
        paths = np.concatenate([r["path"] for r in runs.values()])
        lo = np.minimum(paths.min(axis=0), [-1.5, -2.0]) - 0.2
        hi = np.maximum(paths.max(axis=0), [1.5, 2.0]) + 0.2
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 300), np.linspace(lo[1], hi[1], 300))
        cs = axes[0].contourf(gx, gy, surface_np(gx, gy), levels=30, cmap="viridis")
        fig.colorbar(cs, ax=axes[0], label="f(x, y)")
        axes[0].contour(gx, gy, surface_np(gx, gy), levels=[0.0], colors="w", linewidths=0.8)
        for name, r in runs.items():
            axes[0].plot(r["path"][:, 0], r["path"][:, 1], ".-", ms=3, lw=1, label=name)
        axes[0].plot(0, 0, "X", color="w", mec="k", ms=11, ls="none", label="saddle (0, 0)")
        axes[0].plot([0, 0], [math.sqrt(2), -math.sqrt(2)], "r*", ms=12, ls="none", label="minima")
        axes[0].plot(*args.start, "o", color="w", mec="k", ms=7, ls="none", label="start")
        axes[0].set_xlabel("x")
        axes[0].set_ylabel("y")
        axes[0].set_title("f(x, y) = x² − y² + y⁴/4: trajectories")
        axes[0].legend(fontsize=8, loc="lower left", framealpha=0.9)
        for name, r in runs.items():
            axes[1].semilogy(np.maximum(np.array(r["values"]) - F_MIN, 1e-16), label=name)
        axes[1].set_xlabel("step")
        axes[1].set_ylabel("f − f_min")
        axes[1].set_title(f"distance to the minimum value (lr {args.lr:g})")
        axes[1].legend(fontsize=8)

    plot = common.save_plot(args.out / "optimizers_saddle.png", draw)
    return dict(ok=ok, runs={n: {k: v for k, v in r.items() if k != "path"} | {"path": r["path"].tolist()}
                             for n, r in runs.items()}, plot=plot)


if __name__ == "__main__":
    sys.exit(0 if main()["ok"] else 1)
