"""XOR: what a single perceptron cannot learn, and the two-layer MLP that can.

    python examples/xor.py [--epochs 500] [--hidden 4] [--lr 0.1] [--optimizer sgd|adam] [--seed 0]
                           [--perceptron-epochs 100] [--out examples/results]

Part 1, Rosenblatt's perceptron (``tinygradnb.nn.Perceptron``): ŷ = 1[w·x + b > 0], trained by the rule
w ← w + η(y − ŷ)x, b ← b + η(y − ŷ). It converges on AND, OR and NOT (linearly separable: the convergence
theorem bounds its mistakes) and never on XOR, whose classes sit on opposite corners of the square: no single
line separates them, so every epoch makes mistakes and the accuracy stays below 100 %.

Part 2, a hidden layer h = tanh(xW₁ + b₁) makes XOR separable for the output layer; the two-layer MLP
(nn.Sequential Linear → Tanh → Linear, two logits) is trained on softmax cross-entropy by full-batch SGD with
momentum (or Adam). Prints the loss as it falls and the four predictions, saves the MLP's checkpoint and one
plot of the decision regions (perceptron on AND, OR, XOR; MLP on XOR). Exits non-zero unless the MLP gets all
four right.
"""
import sys
from pathlib import Path

import numpy as np

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

import tinygradnb as tg
import tinygradnb.nn.functional as F
from tinygradnb import nn, optim

X2 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
GATES = {  # name: (inputs, targets)
    "AND": (X2, np.array([0, 0, 0, 1])),
    "OR": (X2, np.array([0, 1, 1, 1])),
    "NOT": (np.array([[0.0], [1.0]]), np.array([1, 0])),
    "XOR": (X2, np.array([0, 1, 1, 0])),
}


def train_perceptrons(epochs, lr=1.0):
    """Fit one perceptron per gate; returns {gate: dict(model, converged, epochs, mistakes, accuracy)}."""
    out = {}
    for name, (X, y) in GATES.items():
        p = nn.Perceptron(X.shape[1])
        fit = p.fit(X, y, lr=lr, epochs=epochs)
        pred = p.predict(X).numpy()
        out[name] = dict(model=p, converged=fit.converged, epochs=fit.epochs, mistakes=list(fit.mistakes),
                         accuracy=float((pred == y).mean()), predictions=pred.tolist())
    return out


def train_mlp(args):
    """The two-layer MLP on XOR; returns (model, optimizer, loss history)."""
    X, y = GATES["XOR"]
    x, t = tg.tensor(X, dtype=tg.float32, device=args.device), tg.tensor(y, device=args.device)
    model = nn.Sequential(nn.Linear(2, args.hidden), nn.Tanh(), nn.Linear(args.hidden, 2)).to(args.device)
    if args.optimizer == "adam":
        opt = optim.Adam(model.parameters(), lr=args.lr)
    else:
        opt = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    losses = []
    every = max(args.epochs // 10, 1)
    for epoch in range(1, args.epochs + 1):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if epoch == 1 or epoch % every == 0 or epoch == args.epochs:
            print(f"epoch {epoch:5d}  loss {losses[-1]:.5f}")
    return model, opt, losses


def _grid(n=121):
    g = np.linspace(-0.5, 1.5, n)
    gx, gy = np.meshgrid(g, g)
    return gx, gy, np.stack([gx.ravel(), gy.ravel()], axis=1)


def plot_boundaries(path, perceptrons, mlp):
    gx, gy, pts = _grid()
    with tg.no_grad():
        dev = next(iter(mlp.parameters())).device
        mlp_region = mlp(tg.tensor(pts, dtype=tg.float32, device=dev)).argmax(dim=1).numpy().reshape(gx.shape)
    panels = [(f"perceptron on {g}" + ("" if perceptrons[g]["converged"] else " (never converges)"), g,
               perceptrons[g]["model"].predict(pts).numpy().reshape(gx.shape)) for g in ("AND", "OR", "XOR")]
    panels.append(("two-layer MLP on XOR", "XOR", mlp_region))

    def draw(plt):
        fig, axes = plt.subplots(1, 4, figsize=(15, 4))
        for ax, (title, gate, region) in zip(axes, panels):
            X, y = GATES[gate]
            ax.contourf(gx, gy, region, levels=[-0.5, 0.5, 1.5], colors=["#d0e0ff", "#ffd0d0"])
            ax.contour(gx, gy, region, levels=[0.5], colors="k", linewidths=1)
            for cls, colour in ((0, "tab:blue"), (1, "tab:red")):
                m = y == cls
                ax.scatter(X[m, 0], X[m, 1], c=colour, s=120, edgecolors="k", label=f"target {cls}", zorder=3)
            ax.set_title(title)
            ax.set_xlim(-0.5, 1.5), ax.set_ylim(-0.5, 1.5), ax.set_aspect("equal")
            ax.set_xlabel("x₁"), ax.set_ylabel("x₂")
        axes[0].legend(loc="upper left", fontsize=8)
        fig.suptitle("Decision regions (shaded: predicted class; red = 1)")

    return common.save_plot(path, draw)


def main(argv=None):
    p = common.parser(__doc__.splitlines()[0], epochs=500, lr=0.1)
    p.add_argument("--hidden", type=int, default=4, help="hidden units of the MLP (default 4)")
    p.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd",
                   help="sgd (momentum 0.9) or adam (default sgd)")
    p.add_argument("--perceptron-epochs", type=int, default=100,
                   help="epochs the perceptron gets per gate before giving up (default 100)")
    args = p.parse_args(argv)
    common.setup(args, cuda=True)

    print("== Rosenblatt's perceptron: w ← w + η(y − ŷ)x ==")
    perceptrons = train_perceptrons(args.perceptron_epochs)
    for name, r in perceptrons.items():
        if r["converged"]:
            verdict = f"converged after {r['epochs']} epoch(s)"
        else:
            verdict = (f"did NOT converge in {r['epochs']} epochs (mistakes in the last epochs: "
                       f"{r['mistakes'][-5:]})")
        print(f"{name:4s} {verdict}; accuracy {100 * r['accuracy']:.0f} %  predictions {r['predictions']}")
    if not perceptrons["XOR"]["converged"]:
        print("XOR is not linearly separable: no single line puts (0,1), (1,0) on one side and (0,0), (1,1) on "
              "the other, so the perceptron keeps cycling (it can never be right on all four).")

    print(f"\n== two-layer MLP 2 → {args.hidden} (tanh) → 2 on XOR, {args.optimizer}, lr {args.lr} ==")
    model, opt, losses = train_mlp(args)
    X, y = GATES["XOR"]
    with tg.no_grad():
        prob = F.softmax(model(tg.tensor(X, dtype=tg.float32, device=args.device)), dim=1).numpy()[:, 1]
    pred = (prob > 0.5).astype(int)
    for xi, yi, pi, yh in zip(X.tolist(), y.tolist(), prob.tolist(), pred.tolist()):
        print(f"x = {xi}  target {yi}  p(1) = {pi:.4f}  predicted {yh}")
    correct = int((pred == y).sum())
    print(f"MLP: {correct}/4 correct (perceptron on XOR: {int(round(4 * perceptrons['XOR']['accuracy']))}/4)")

    common.save_checkpoint(args.out / "xor_mlp.npz", model, opt, epoch=args.epochs, losses=losses,
                           hidden=args.hidden)
    plot = plot_boundaries(args.out / "xor_decision_boundaries.png", perceptrons, model)
    return dict(
        ok=correct == 4,
        perceptron={k: {kk: v for kk, v in r.items() if kk != "model"} for k, r in perceptrons.items()},
        mlp_correct=correct, mlp_probabilities=prob.tolist(), losses=losses,
        checkpoint=args.out / "xor_mlp.npz", plot=plot)


if __name__ == "__main__":
    sys.exit(0 if main()["ok"] else 1)
