"""Train a two-layer MLP on XOR — the problem a single perceptron cannot solve — with tinygradnb.

    python examples/xor.py [--steps 2000] [--hidden 4] [--lr 0.5] [--seed 0]

A hidden layer h = tanh(xW₁ + b₁) makes the classes linearly separable for the output unit
ŷ = σ(hW₂ + b₂); training minimises binary cross-entropy by full-batch gradient descent, θ ← θ − η ∂L/∂θ.
Prints the loss as it falls and the four predictions; exits non-zero unless all four are right.
"""
import argparse
import math
import sys

import tinygradnb as tg
import tinygradnb.nn.functional as F


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--hidden", type=int, default=4)
    p.add_argument("--lr", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    tg.manual_seed(args.seed)
    x = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = tg.tensor([[0.0], [1.0], [1.0], [0.0]])

    def init(n_in, n_out):  # Xavier/Glorot normal: Var(w) = 2 / (n_in + n_out)
        return (tg.randn(n_in, n_out) * math.sqrt(2.0 / (n_in + n_out))).requires_grad_()

    params = [init(2, args.hidden), tg.zeros(args.hidden, requires_grad=True),
              init(args.hidden, 1), tg.zeros(1, requires_grad=True)]
    w1, b1, w2, b2 = params

    def forward(x):
        return tg.tanh(x @ w1 + b1) @ w2 + b2

    for step in range(args.steps + 1):
        loss = F.binary_cross_entropy_with_logits(forward(x), y)
        for q in params:
            q.grad = None
        loss.backward()
        with tg.no_grad():
            for q in params:
                q -= args.lr * q.grad
        if step % max(args.steps // 10, 1) == 0:
            print(f"step {step:5d}  loss {loss.item():.5f}")

    with tg.no_grad():
        prob = tg.sigmoid(forward(x))
    correct = 0
    for xi, yi, pi in zip(x.tolist(), y.tolist(), prob.tolist()):
        pred = int(pi[0] > 0.5)
        correct += pred == int(yi[0])
        print(f"x = {xi}  target {int(yi[0])}  p(1) = {pi[0]:.4f}  predicted {pred}")
    print(f"{correct}/4 correct")
    return 0 if correct == 4 else 1


if __name__ == "__main__":
    sys.exit(main())
