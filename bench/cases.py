"""The benchmark cases of issue #5: one ``Case`` per (family, case, implementation).

Implementations, compared at the same level:
* ``numpy``     — the careful-NumPy baseline of bench/baselines.py (forward + backward where the family has one);
* ``tg-kernel`` — the tinygradnb Numba kernels called directly on arrays, the same work as ``numpy``;
* ``tg``        — the tinygradnb op or module with autograd (Tensor forward + ``backward``);
* ``torch``     — the same op or module in PyTorch eager on the CPU (only when torch is installed).

The report's ratios are numpy ÷ tg-kernel ("vs NumPy") and torch ÷ tg ("vs PyTorch"): > 1 means tinygradnb is
faster. ``make()`` builds the inputs (deterministic, seeded) and returns a zero-argument callable; the callable
returns a list of outputs (arrays, tinygradnb or torch tensors, floats) that the agreement test compares
between implementations of one case.
"""
import importlib
import importlib.util
import os
from dataclasses import dataclass, field

import numpy as np

import baselines as B

# TGNB_BENCH_NO_TORCH=1 runs the suite as if PyTorch were missing (to check that path).
HAVE_TORCH = importlib.util.find_spec("torch") is not None and os.environ.get("TGNB_BENCH_NO_TORCH") != "1"


@dataclass
class Case:
    family: str
    case: str
    impl: str
    make: object
    flops: float = 0.0      # floating-point operations per call (an FMA counts 2), 0 when not meaningful
    nbytes: float = 0.0     # bytes a call must at least read + write (compulsory traffic), 0 when not meaningful
    tol: float = 1e-3       # relative tolerance of the agreement test
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def id(self):
        return f"{self.family}|{self.case}|{self.impl}"


def _rng(seed=0):
    return np.random.default_rng(seed)


def _k():
    import tinygradnb.device
    return tinygradnb.device.backend("cpu")


def _tg():
    import tinygradnb as tg
    return tg


def _torch():
    import torch
    return torch


def to_numpy(v):
    """Outputs of any implementation as float64 NumPy arrays."""
    if isinstance(v, (float, int, np.floating)):
        return np.asarray(v, np.float64)
    if isinstance(v, np.ndarray):
        return v.astype(np.float64)
    mod = type(v).__module__
    if mod.startswith("torch"):
        return v.detach().numpy().astype(np.float64)
    return np.asarray(v.numpy(), np.float64)


def _leaf_tg(a):
    return _tg().tensor(a, requires_grad=True)


def _leaf_torch(a):
    return _torch().tensor(a, requires_grad=True)


def _clear(*ts):
    for t in ts:
        t.grad = None


# ----------------------------------------------------------------------------- matmul
# Shapes of the examples' products (M, K, N): the embedding-bag MLP's hidden layer (batch 64, 64 → 64), the
# BiLSTM's input projection (32·32 tokens, 64 → 4·128 gates) and recurrent product (batch 32, 128 → 512), and
# the tagger's output layer (1024 tokens, 256 → 17 tags).
MODEL_SHAPES = [(64, 64, 64), (1024, 64, 512), (32, 128, 512), (1024, 256, 17)]


def matmul_cases(quick):
    sizes = [16, 32, 64, 128] if quick else [16, 32, 64, 128, 256, 512, 1024, 2048]
    shapes = [(n, n, n) for n in sizes] + (MODEL_SHAPES[:1] if quick else MODEL_SHAPES)
    out = []
    for m, kk, n in shapes:
        name = f"n={m}" if m == kk == n and (m, kk, n) not in MODEL_SHAPES else f"{m}x{kk}@{kk}x{n}"

        def data(m=m, kk=kk, n=n):
            r = _rng(m * 7 + kk * 3 + n)
            return (r.standard_normal((m, kk)).astype(np.float32), r.standard_normal((kk, n)).astype(np.float32))

        def mk_np(data=data):
            a, b = data()
            return lambda: [B.matmul(a, b)]

        def mk_kernel(data=data):
            a, b = data()
            a3, b3 = a[None], b[None]
            k = _k()
            return lambda: [k.matmul(a3, b3)[0]]

        def mk_tg(data=data):
            a, b = data()
            x, w = _leaf_tg(a), _leaf_tg(b)

            def f():
                _clear(x, w)
                y = x @ w
                y.sum().backward()
                return [y, x.grad, w.grad]
            return f

        def mk_torch(data=data):
            a, b = data()
            x, w = _leaf_torch(a), _leaf_torch(b)

            def f():
                _clear(x, w)
                y = x @ w
                y.sum().backward()
                return [y, x.grad, w.grad]
            return f

        fl = 2.0 * m * kk * n
        by = 4.0 * (m * kk + kk * n + m * n)
        tol = 1e-3 * max(1, kk ** 0.5)
        out += [Case("matmul", name, "numpy", mk_np, fl, by, tol),
                Case("matmul", name, "tg-kernel", mk_kernel, fl, by, tol),
                Case("matmul", name, "tg", mk_tg, 3 * fl, 3 * by, tol, "forward + backward"),
                Case("matmul", name, "torch", mk_torch, 3 * fl, 3 * by, tol, "forward + backward")]
    # The own tiled Numba kernel itself (not the dispatcher, which hands large products to BLAS).
    mm = importlib.import_module("tinygradnb.kernels.cpu.matmul")
    for n in ([128] if quick else [256, 512, 1024]):
        def data(n=n):
            r = _rng(n)
            return (r.standard_normal((1, n, n)).astype(np.float32), r.standard_normal((1, n, n)).astype(np.float32))

        def mk_np(data=data):
            a, b = data()
            return lambda: [np.matmul(a, b)]

        def mk_own(data=data):
            a, b = data()
            return lambda: [mm.matmul_tiled(a, b)]

        fl, by, tol = 2.0 * n ** 3, 12.0 * n * n, 1e-3 * n ** 0.5
        out += [Case("matmul-own-tiled", f"n={n}", "numpy", mk_np, fl, by, tol),
                Case("matmul-own-tiled", f"n={n}", "tg-kernel", mk_own, fl, by, tol, "matmul_tiled (one thread)")]
    return out


# ----------------------------------------------------------------------------- activations
def activation_cases(quick):
    n, d = (256, 256) if quick else (4096, 1024)
    out = []
    for name, (f_np, b_np, saved) in B.ACTIVATIONS.items():
        def data():
            r = _rng(1)
            return r.standard_normal((n, d)).astype(np.float32), r.standard_normal((n, d)).astype(np.float32)

        def mk_np(f_np=f_np, b_np=b_np, saved=saved):
            x, g = data()

            def f():
                y = f_np(x)
                return [y, b_np(x if saved == "x" else y, g)]
            return f

        def mk_kernel(name=name, saved=saved):
            x, g = data()
            k = _k()
            fw, bw = getattr(k, name + "_forward"), getattr(k, name + "_backward")
            x1, g1 = x.reshape(-1), g.reshape(-1)  # the element-wise kernels take flat arrays

            def f():
                y = fw(x1)
                return [y.reshape(n, d), bw(x1 if saved == "x" else y, g1).reshape(n, d)]
            return f

        def mk_tg(name=name):
            import tinygradnb.nn.functional as F
            x0, g0 = data()
            x, g = _leaf_tg(x0), _tg().tensor(g0)
            fn = getattr(F, name)

            def f():
                _clear(x)
                y = fn(x)
                y.backward(g)
                return [y, x.grad]
            return f

        def mk_torch(name=name):
            torch = _torch()
            x0, g0 = data()
            x, g = _leaf_torch(x0), torch.tensor(g0)
            fn = getattr(torch, name)

            def f():
                _clear(x)
                y = fn(x)
                y.backward(g)
                return [y, x.grad]
            return f

        by = 4.0 * n * d * 4  # forward reads x, writes y; backward reads x|y and g, writes dx
        c = f"{name} {n}x{d}"
        out += [Case("activations", c, "numpy", mk_np, 0, by), Case("activations", c, "tg-kernel", mk_kernel, 0, by),
                Case("activations", c, "tg", mk_tg, 0, by), Case("activations", c, "torch", mk_torch, 0, by)]
    return out


# ----------------------------------------------------------------------------- softmax cross-entropy
def cross_entropy_cases(quick):
    n, c = (256, 100) if quick else (4096, 1000)

    def data():
        r = _rng(2)
        return r.standard_normal((n, c)).astype(np.float32) * 3, r.integers(0, c, n).astype(np.int64)

    def mk_np():
        z, y = data()

        def f():
            loss, p = B.cross_entropy_fwd(z, y)
            return [loss, B.cross_entropy_bwd(p, y)]
        return f

    def mk_kernel():
        z, y = data()
        k = _k()
        g = np.ones(1, np.float32)

        def f():
            loss, lse = k.cross_entropy_forward(z, y, -100)
            return [loss.mean(), k.cross_entropy_backward(z, y, lse, g, 1.0 / n, -100)]
        return f

    def mk_tg():
        import tinygradnb.nn.functional as F
        z0, y0 = data()
        z, y = _leaf_tg(z0), _tg().tensor(y0)

        def f():
            _clear(z)
            loss = F.cross_entropy(z, y)
            loss.backward()
            return [loss, z.grad]
        return f

    def mk_torch():
        torch = _torch()
        z0, y0 = data()
        z, y = _leaf_torch(z0), torch.tensor(y0)

        def f():
            _clear(z)
            loss = torch.nn.functional.cross_entropy(z, y)
            loss.backward()
            return [loss, z.grad]
        return f

    by, fl = 4.0 * n * c * 3, 0
    name = f"{n}x{c}"
    return [Case("softmax-CE", name, "numpy", mk_np, fl, by), Case("softmax-CE", name, "tg-kernel", mk_kernel, fl, by),
            Case("softmax-CE", name, "tg", mk_tg, fl, by), Case("softmax-CE", name, "torch", mk_torch, fl, by)]


# ----------------------------------------------------------------------------- norms
def norm_cases(quick):
    n, d = (256, 256) if quick else (4096, 1024)
    out = []
    for fam in ("LayerNorm", "RMSNorm", "BatchNorm"):
        def data():
            r = _rng(3)
            return (r.standard_normal((n, d)).astype(np.float32) * 2 + 0.5,
                    r.standard_normal((n, d)).astype(np.float32),
                    (1 + 0.1 * r.standard_normal(d)).astype(np.float32),
                    (0.1 * r.standard_normal(d)).astype(np.float32))

        def mk_np(fam=fam):
            x, g, gamma, beta = data()
            if fam == "LayerNorm":
                def f():
                    y, xh, rstd = B.layer_norm_fwd(x, gamma, beta)
                    return [y, *B.layer_norm_bwd(g, xh, rstd, gamma)]
            elif fam == "RMSNorm":
                def f():
                    y, xh, rrms = B.rms_norm_fwd(x, gamma)
                    return [y, *B.rms_norm_bwd(g, xh, rrms, gamma)]
            else:
                def f():
                    y, xh, rstd = B.batch_norm_fwd(x, gamma, beta)
                    return [y, *B.batch_norm_bwd(g, xh, rstd, gamma)]
            return f

        def mk_kernel(fam=fam):
            x, g, gamma, beta = data()
            k = _k()
            if fam == "LayerNorm":
                def f():
                    y, mean, rstd = k.layer_norm_forward(x, gamma, beta, 1e-5)
                    return [y, *k.layer_norm_backward(g, x, gamma, mean, rstd)]
            elif fam == "RMSNorm":
                eps = float(np.finfo(np.float32).eps)

                def f():
                    y, rrms = k.rms_norm_forward(x, gamma, eps)
                    return [y, *k.rms_norm_backward(g, x, gamma, rrms)]
            else:
                rm, rv = np.zeros(d, np.float32), np.ones(d, np.float32)

                def f():
                    y, mean, rstd = k.batch_norm_forward_train(x, gamma, beta, rm, rv, 0.1, 1e-5, False)
                    return [y, *k.batch_norm_backward(g, x, gamma, mean, rstd, True)]
            return f

        def mk_tg(fam=fam):
            import tinygradnb.nn.functional as F
            tg = _tg()
            x0, g0, ga0, be0 = data()
            x, gamma, beta, g = _leaf_tg(x0), _leaf_tg(ga0), _leaf_tg(be0), tg.tensor(g0)
            rm, rv = tg.zeros(d), tg.ones(d)
            fn = {"LayerNorm": lambda: F.layer_norm(x, (d,), gamma, beta),
                  "RMSNorm": lambda: F.rms_norm(x, (d,), gamma),
                  "BatchNorm": lambda: F.batch_norm(x, rm, rv, gamma, beta, training=True)}[fam]

            def f():
                _clear(x, gamma, beta)
                y = fn()
                y.backward(g)
                return [y, x.grad, gamma.grad] + ([] if fam == "RMSNorm" else [beta.grad])
            return f

        def mk_torch(fam=fam):
            torch = _torch()
            F = torch.nn.functional
            x0, g0, ga0, be0 = data()
            x, gamma, beta, g = _leaf_torch(x0), _leaf_torch(ga0), _leaf_torch(be0), torch.tensor(g0)
            rm, rv = torch.zeros(d), torch.ones(d)
            fn = {"LayerNorm": lambda: F.layer_norm(x, (d,), gamma, beta),
                  "RMSNorm": lambda: F.rms_norm(x, (d,), gamma),
                  "BatchNorm": lambda: F.batch_norm(x, rm, rv, gamma, beta, training=True)}[fam]

            def f():
                _clear(x, gamma, beta)
                y = fn()
                y.backward(g)
                return [y, x.grad, gamma.grad] + ([] if fam == "RMSNorm" else [beta.grad])
            return f

        by = 4.0 * n * d * 5  # fwd: read x, write y; bwd: read x, g, write dx
        c = f"{n}x{d}"
        out += [Case(fam, c, "numpy", mk_np, 0, by), Case(fam, c, "tg-kernel", mk_kernel, 0, by),
                Case(fam, c, "tg", mk_tg, 0, by), Case(fam, c, "torch", mk_torch, 0, by)]
    return out


# ----------------------------------------------------------------------------- embedding
def embedding_cases(quick):
    v, d, n = (1000, 32, 2048) if quick else (50000, 128, 65536)

    def data():
        r = _rng(4)
        return (r.standard_normal((v, d)).astype(np.float32), r.integers(0, v, n).astype(np.int64),
                r.standard_normal((n, d)).astype(np.float32))

    def mk_np():
        w, idx, g = data()
        return lambda: [B.embedding_fwd(w, idx), B.embedding_bwd(g, idx, v)]

    def mk_kernel():
        w, idx, g = data()
        k = _k()
        return lambda: [k.embedding_forward(w, idx), k.embedding_backward(g, idx, v, -1)]

    def mk_tg():
        import tinygradnb.nn.functional as F
        w0, i0, g0 = data()
        w, idx, g = _leaf_tg(w0), _tg().tensor(i0), _tg().tensor(g0)

        def f():
            _clear(w)
            y = F.embedding(idx, w)
            y.backward(g)
            return [y, w.grad]
        return f

    def mk_torch():
        torch = _torch()
        w0, i0, g0 = data()
        w, idx, g = _leaf_torch(w0), torch.tensor(i0), torch.tensor(g0)

        def f():
            _clear(w)
            y = torch.nn.functional.embedding(idx, w)
            y.backward(g)
            return [y, w.grad]
        return f

    by = 4.0 * (3 * n * d + v * d)
    c = f"V={v} D={d} N={n}"
    return [Case("embedding", c, "numpy", mk_np, 0, by), Case("embedding", c, "tg-kernel", mk_kernel, 0, by),
            Case("embedding", c, "tg", mk_tg, 0, by), Case("embedding", c, "torch", mk_torch, 0, by)]


# ----------------------------------------------------------------------------- Adam
def adam_cases(quick):
    n = 2 ** 16 if quick else 2 ** 20

    def data():
        r = _rng(5)
        return r.standard_normal(n).astype(np.float32), r.standard_normal(n).astype(np.float32)

    # Each call is one step from the same state (p, m, v reset by copying), so outputs agree between impls.
    def mk_np():
        p0, g = data()
        p, m, v, tmp = p0.copy(), np.zeros(n, np.float32), np.zeros(n, np.float32), np.empty(n, np.float32)

        def f():
            B.adam_step_(p, g, m, v, 1, tmp=tmp)
            return [p]
        return f

    def mk_kernel():
        p0, g = data()
        p, m, v = p0.copy(), np.zeros(n, np.float32), np.zeros(n, np.float32)
        k = _k()

        def f():
            k.adam_step_((p,), (g,), (m,), (v,), 1e-3, 0.9, 0.999, 1e-8, 0.0, 1, False)
            return [p]
        return f

    def mk_tg():
        tg = _tg()
        p0, g0 = data()
        from tinygradnb import nn, optim
        p = nn.Parameter(tg.tensor(p0))
        p.grad = tg.tensor(g0)
        opt = optim.Adam([p], lr=1e-3)

        def f():
            opt.step()
            return [p]
        return f

    def mk_torch():
        torch = _torch()
        p0, g0 = data()
        p = torch.nn.Parameter(torch.tensor(p0))
        p.grad = torch.tensor(g0)
        opt = torch.optim.Adam([p], lr=1e-3, foreach=False)

        def f():
            opt.step()
            return [p]
        return f

    by = 4.0 * n * 7  # read p, g, m, v; write p, m, v
    c = f"{n} params"
    # Steps repeat, so outputs drift apart after the first call; the agreement test uses the first call only.
    return [Case("Adam step", c, "numpy", mk_np, 0, by), Case("Adam step", c, "tg-kernel", mk_kernel, 0, by),
            Case("Adam step", c, "tg", mk_tg, 0, by, note="optim.Adam.step"),
            Case("Adam step", c, "torch", mk_torch, 0, by, note="torch.optim.Adam(foreach=False).step")]


# ----------------------------------------------------------------------------- RNN / LSTM sequences
def _copy_params(src_tg, dst_torch):
    torch = _torch()
    with torch.no_grad():
        for name, p in dst_torch.named_parameters():
            p.copy_(torch.tensor(_tg_params(src_tg)[name].numpy()))


def _tg_params(m):
    return dict(m.named_parameters())


def rnn_cases(quick):
    t, b, i, h = (8, 8, 32, 64) if quick else (64, 32, 128, 256)
    out = []
    for fam, gates in (("Elman RNN", 1), ("LSTM", 4)):
        def data():
            r = _rng(6)
            return r.standard_normal((t, b, i)).astype(np.float32), r.standard_normal((t, b, h)).astype(np.float32)

        def tg_model(fam=fam):
            tg = _tg()
            tg.manual_seed(0)
            return (tg.nn.RNN if fam == "Elman RNN" else tg.nn.LSTM)(i, h)

        def mk_tg(tg_model=tg_model):
            tg = _tg()
            m = tg_model()
            x0, g0 = data()
            x, g = _leaf_tg(x0), tg.tensor(g0)
            ps = list(m.parameters())

            def f():
                _clear(x, *ps)
                y = m(x)[0]
                y.backward(g)
                return [y, x.grad] + [p.grad for p in ps]
            return f

        def mk_torch(fam=fam, tg_model=tg_model):
            torch = _torch()
            m = (torch.nn.RNN if fam == "Elman RNN" else torch.nn.LSTM)(i, h)
            _copy_params(tg_model(), m)
            x0, g0 = data()
            x, g = _leaf_torch(x0), torch.tensor(g0)
            ps = list(m.parameters())

            def f():
                _clear(x, *ps)
                y = m(x)[0]
                y.backward(g)
                return [y, x.grad] + [p.grad for p in ps]
            return f

        fl = 3 * 2.0 * t * b * gates * h * (i + h)  # forward products + the two backward products
        c = f"T={t} B={b} I={i} H={h}"
        out += [Case(fam, c, "tg", mk_tg, fl, 0, 2e-3, "nn module forward + backward"),
                Case(fam, c, "torch", mk_torch, fl, 0, 2e-3, "nn module forward + backward")]
    return out


# ----------------------------------------------------------------------------- small op overhead
def small_op_cases(quick):
    def data():
        r = _rng(7)
        return r.standard_normal(16).astype(np.float32), r.standard_normal(16).astype(np.float32)

    def mk(lib):
        a0, b0 = data()
        leaf = _leaf_tg if lib == "tg" else _leaf_torch
        a, b = leaf(a0), leaf(b0)

        def f():
            _clear(a, b)
            y = (a * b + a).sum()
            y.backward()
            return [y, a.grad, b.grad]
        return f

    c = "(a*b + a).sum().backward(), 16 elements"
    return [Case("small op + autograd", c, "tg", lambda: mk("tg")),
            Case("small op + autograd", c, "torch", lambda: mk("torch"))]


# ----------------------------------------------------------------------------- training steps
def _bag_model(nn, v, d, hdim):
    class BagMLP(nn.Module):
        """Embedding-bag MLP of examples/sentiment.py (dropout left out): mean of the token embeddings → MLP."""

        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(v, d, padding_idx=0)
            self.mlp = nn.Sequential(nn.Linear(d, hdim), nn.ReLU(), nn.Linear(hdim, 2))

        def forward(self, x, lengths):
            return self.mlp(self.embedding(x).sum(dim=1) / lengths)
    return BagMLP()


def _tagger_model(nn, v, d, hdim, tags):
    class Tagger(nn.Module):
        """BiLSTM tagger as examples/pos_tagger.py: Embedding → bidirectional LSTM → Linear per token."""

        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(v, d)
            self.lstm = nn.LSTM(d, hdim, batch_first=True, bidirectional=True)
            self.out = nn.Linear(2 * hdim, tags)

        def forward(self, x):
            return self.out(self.lstm(self.embedding(x))[0])
    return Tagger()


def train_cases(quick):
    out = []
    # embedding-bag MLP step, AdamW
    v, d, hdim, bsz, t = (2000, 32, 32, 32, 16) if quick else (20000, 64, 64, 64, 32)

    def bag_data():
        r = _rng(8)
        lengths = r.integers(t // 2, t + 1, bsz)
        x = r.integers(1, v, (bsz, t)).astype(np.int64)
        x[np.arange(t)[None, :] >= lengths[:, None]] = 0
        return x, lengths.astype(np.float32)[:, None], r.integers(0, 2, bsz).astype(np.int64)

    def bag_tg():
        tg = _tg()
        tg.manual_seed(0)
        return _bag_model(tg.nn, v, d, hdim)

    def mk_bag(lib):
        x0, l0, y0 = bag_data()
        if lib == "tg":
            tg = _tg()
            m, F, T = bag_tg(), tg.nn.functional, tg.tensor
            opt = tg.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=1e-4)
        else:
            torch = _torch()
            m, F, T = _bag_model(torch.nn, v, d, hdim), torch.nn.functional, torch.tensor
            _copy_params(bag_tg(), m)
            opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=1e-4)
        x, lengths, y = T(x0), T(l0), T(y0)

        def f():
            opt.zero_grad()
            loss = F.cross_entropy(m(x, lengths), y)
            loss.backward()
            opt.step()
            return [loss]
        return f

    c = f"emb-bag MLP V={v} D={d} H={hdim} B={bsz} T={t}"
    out += [Case("training step", c, "tg", lambda: mk_bag("tg"), tol=1e-4, note="AdamW"),
            Case("training step", c, "torch", lambda: mk_bag("torch"), tol=1e-4, note="AdamW")]

    # BiLSTM tagger step, Adam
    v2, d2, h2, tags, b2, t2 = (500, 16, 32, 8, 8, 12) if quick else (5000, 64, 128, 17, 32, 32)

    def tag_data():
        r = _rng(9)
        return r.integers(0, v2, (b2, t2)).astype(np.int64), r.integers(0, tags, b2 * t2).astype(np.int64)

    def tag_tg():
        tg = _tg()
        tg.manual_seed(0)
        return _tagger_model(tg.nn, v2, d2, h2, tags)

    def mk_tag(lib):
        x0, y0 = tag_data()
        if lib == "tg":
            tg = _tg()
            m, F, T = tag_tg(), tg.nn.functional, tg.tensor
            opt = tg.optim.Adam(m.parameters(), lr=1e-3)
        else:
            torch = _torch()
            m, F, T = _tagger_model(torch.nn, v2, d2, h2, tags), torch.nn.functional, torch.tensor
            _copy_params(tag_tg(), m)
            opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        x, y = T(x0), T(y0)

        def f():
            opt.zero_grad()
            loss = F.cross_entropy(m(x).reshape(b2 * t2, tags), y)
            loss.backward()
            opt.step()
            return [loss]
        return f

    c = f"BiLSTM tagger V={v2} D={d2} H={h2} B={b2} T={t2}"
    out += [Case("training step", c, "tg", lambda: mk_tag("tg"), tol=1e-4, note="Adam"),
            Case("training step", c, "torch", lambda: mk_tag("torch"), tol=1e-4, note="Adam")]
    return out


FAMILIES = [matmul_cases, activation_cases, cross_entropy_cases, norm_cases, embedding_cases, adam_cases, rnn_cases,
            small_op_cases, train_cases]


def all_cases(quick):
    """Every case; the torch ones stay in the list (the tests skip them with a note when torch is missing)."""
    return [c for fam in FAMILIES for c in fam(quick)]
