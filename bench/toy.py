"""Toy-size workloads of issue #13, written once against the PyTorch API and run on torch and on tinygradnb, each
library in a process of its own, at the libraries' default thread counts and again at one thread.

    python bench/toy.py [--quick] [--rounds 7] [--only lstm,tagger] [--libs tinygradnb,torch] [--out DIR]

A workload is a function ``build(lib, quick)`` that takes the library module (``torch`` or ``tinygradnb``: the
same code runs on both) and returns ``(step, check)``: ``step()`` is one timed unit of work, ``check()`` returns
a few floats (a loss, gradient sums) that must agree between the libraries, so that the comparison is of the
same computation. Parameters are drawn from a NumPy generator and copied into both libraries' modules.

The child processes run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (as a user elsewhere has them) and
with no *_NUM_THREADS variable at default threads; at one thread OPENBLAS/OMP/MKL/NUMBA_NUM_THREADS=1 and
``torch.set_num_threads(1)``. A child imports its library before NumPy (tinygradnb's README: that is what lets
it shorten OpenBLAS's spin-wait). Each number is the median over ``rounds`` rounds of repeated steps. Ratios are
torch ÷ tinygradnb (> 1: tinygradnb is faster). Results go to ``DIR/toy.json`` and a Markdown table
``DIR/toy.md`` (default bench/results). Quick mode (tiny sizes, one round) checks that everything runs and
agrees; it is part of ``bench/run.py --quick``.
"""
import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

if "--child" in sys.argv:    # the library under test loads before NumPy, as its README asks
    importlib.import_module(sys.argv[sys.argv.index("--child") + 1])

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
SPEED_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
GOAL_DEFAULT, GOAL_ONE = 1.5, 1.0   # issue #13: torch ÷ tinygradnb at default threads and at one thread


def _init(lib, module, seed=0, scale=None):
    """Copy NumPy-drawn values into every parameter of ``module`` (by name order), the same in both libraries:
    U(−1/√fan_in, 1/√fan_in) with fan_in the last dimension (the default of torch's Linear/RNN layers); N(0, 1)
    for embedding tables."""
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        for name, p in sorted(module.named_parameters()):
            shape = tuple(p.shape)
            if "embedding" in name:
                v = rng.standard_normal(shape)
            else:
                k = scale if scale is not None else 1.0 / np.sqrt(shape[-1])
                v = rng.uniform(-k, k, shape)
            p.copy_(lib.tensor(v.astype(np.float32)))


def _grad_sums(module):
    return [float(p.grad.double().sum()) for _, p in sorted(module.named_parameters())]


# ----------------------------------------------------------------------------- recurrent layers
def _recurrent(kind):
    def build(lib, quick):
        t, b, i, h = (6, 4, 8, 16) if quick else (64, 32, 128, 256)
        layer = getattr(lib.nn, kind)(i, h)
        _init(lib, layer)
        x = lib.tensor(np.random.default_rng(1).standard_normal((t, b, i)).astype(np.float32), requires_grad=True)

        def step():
            layer.zero_grad()
            x.grad = None
            out, hn = layer(x)
            if kind == "LSTM":
                hn = hn[0]
            loss = out.sum() + hn.sum()
            loss.backward()
            return loss

        def check():
            loss = step()
            return [float(loss), float(x.grad.double().sum())] + _grad_sums(layer)
        return step, check
    return build, f"nn.{kind}(128, 256), batch 32, 64 steps, forward + backward"


# ----------------------------------------------------------------------------- BiLSTM tagger training step
def _tagger(lib, quick):
    v, d, h, tags, b, t = (50, 8, 16, 5, 4, 6) if quick else (5000, 64, 128, 17, 32, 32)
    nn, F = lib.nn, lib.nn.functional

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(v, d)
            self.lstm = nn.LSTM(d, h, batch_first=True, bidirectional=True)
            self.out = nn.Linear(2 * h, tags)

        def forward(self, x):
            return self.out(self.lstm(self.embedding(x))[0])

    model = Tagger()
    _init(lib, model)
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(2)
    x = lib.tensor(rng.integers(0, v, (b, t)))
    y = rng.integers(0, tags, (b, t))
    y[rng.random((b, t)) < 0.1] = -100          # padding positions, ignored by the loss
    y = lib.tensor(y.reshape(-1))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x).reshape(b * t, tags), y, ignore_index=-100)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        return loss

    def check():
        losses = [float(step()) for _ in range(3)]
        return losses + _grad_sums(model)
    return step, check


# ----------------------------------------------------------------------------- char-RNN at batch 1
def _char_rnn(lib, quick):
    """The PyTorch char-RNN name-classification tutorial's training loop: per character ``cat`` + two Linear +
    LogSoftmax, NLLLoss after the last character, backward, then manual SGD on every parameter."""
    n_letters, n_hidden, n_cat = 57, 128, 18
    n_names = 5 if quick else 100
    nn = lib.nn

    class RNN(nn.Module):
        def __init__(self, input_size, hidden_size, output_size):
            super().__init__()
            self.hidden_size = hidden_size
            self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
            self.i2o = nn.Linear(input_size + hidden_size, output_size)
            self.softmax = nn.LogSoftmax(dim=1)

        def forward(self, input, hidden):
            combined = lib.cat((input, hidden), 1)
            hidden = self.i2h(combined)
            output = self.softmax(self.i2o(combined))
            return output, hidden

        def initHidden(self):
            return lib.zeros(1, self.hidden_size)

    rnn = RNN(n_letters, n_hidden, n_cat)
    _init(lib, rnn)
    criterion = nn.NLLLoss()
    rng = np.random.default_rng(3)
    names = []
    for _ in range(n_names):
        letters = rng.integers(0, n_letters, rng.integers(3, 10))
        onehot = np.zeros((len(letters), 1, n_letters), np.float32)
        onehot[np.arange(len(letters)), 0, letters] = 1
        names.append((lib.tensor(onehot), lib.tensor([int(rng.integers(0, n_cat))])))
    lr = 0.005

    def train(category_tensor, line_tensor):
        hidden = rnn.initHidden()
        rnn.zero_grad()
        for i in range(line_tensor.size()[0]):
            output, hidden = rnn(line_tensor[i], hidden)
        loss = criterion(output, category_tensor)
        loss.backward()
        for p in rnn.parameters():
            p.data.add_(p.grad.data, alpha=-lr)
        return loss.item()

    def step():
        return sum(train(c, line) for line, c in names)

    def check():
        return [step(), step()] + [float(p.double().sum()) for _, p in sorted(rnn.named_parameters())]
    return step, check


# ----------------------------------------------------------------------------- layer_norm and cross_entropy
def _layer_norm(lib, quick):
    n, d = (64, 32) if quick else (4096, 1024)
    rng = np.random.default_rng(4)
    x = lib.tensor(rng.standard_normal((n, d)).astype(np.float32), requires_grad=True)
    w = lib.tensor((1 + 0.1 * rng.standard_normal(d)).astype(np.float32), requires_grad=True)
    bias = lib.tensor((0.1 * rng.standard_normal(d)).astype(np.float32), requires_grad=True)

    def step():
        x.grad = w.grad = bias.grad = None
        y = lib.nn.functional.layer_norm(x, (d,), w, bias)
        y.sum().backward()
        return y

    def check():
        step()
        return [float(g.double().abs().sum()) for g in (x.grad, w.grad, bias.grad)]
    return step, check


def _cross_entropy(lib, quick):
    n, c = (64, 10) if quick else (4096, 1000)
    rng = np.random.default_rng(5)
    x = lib.tensor(rng.standard_normal((n, c)).astype(np.float32), requires_grad=True)
    y = lib.tensor(rng.integers(0, c, n))

    def step():
        x.grad = None
        loss = lib.nn.functional.cross_entropy(x, y)
        loss.backward()
        return loss

    def check():
        loss = step()
        return [float(loss), float(x.grad.double().abs().sum())]
    return step, check


WORKLOADS = {
    "lstm": _recurrent("LSTM"),
    "gru": _recurrent("GRU"),
    "rnn": _recurrent("RNN"),
    "tagger": (_tagger, "BiLSTM tagger step: Embedding(5000, 64) + LSTM(64, 128, bidirectional) + Linear(256, 17) "
                        "+ cross_entropy(ignore_index) + clip_grad_norm_ + Adam, B = 32, T = 32"),
    "char_rnn": (_char_rnn, "char-RNN tutorial at batch 1: per character cat + 2 Linear + LogSoftmax, NLLLoss, "
                            "manual SGD; 100 names of 3–9 characters"),
    "layer_norm": (_layer_norm, "F.layer_norm 4096×1024 forward + .sum().backward() (x, weight, bias)"),
    "cross_entropy": (_cross_entropy, "F.cross_entropy 4096×1000 forward + backward"),
}


# ----------------------------------------------------------------------------- child: one library, one setting
def _child(a):
    lib = importlib.import_module(a.child)
    if a.child == "torch" and a.one_thread:
        lib.set_num_threads(1)
    results = {}
    for name in a.only:
        build = WORKLOADS[name][0]
        step, check = build(lib, a.quick)
        t0 = time.perf_counter()
        step()                                     # compile / warm up
        first = time.perf_counter() - t0
        values = check()
        t0 = time.perf_counter()
        step()
        per = time.perf_counter() - t0
        reps = 1 if a.quick else max(1, int(0.25 / per))
        times = []
        for _ in range(a.rounds):
            t0 = time.perf_counter()
            for _ in range(reps):
                step()
            times.append((time.perf_counter() - t0) / reps)
        results[name] = {"median_s": statistics.median(times), "min_s": min(times), "reps": reps,
                         "first_s": first, "check": values}
    json.dump(results, sys.stdout)


def _run_child(lib, one_thread, a):
    env = {k: v for k, v in os.environ.items() if k not in SPEED_VARS + THREAD_VARS}
    if one_thread:
        env.update({v: "1" for v in THREAD_VARS})
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", lib, "--only", ",".join(a.only),
           "--rounds", str(a.rounds)] + (["--quick"] if a.quick else []) + (["--one-thread"] if one_thread else [])
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit(f"{lib} ({'1 thread' if one_thread else 'default threads'}) failed")
    return json.loads(p.stdout)


def _agree(a, b, rtol):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= rtol * np.maximum(1.0, np.abs(b))))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--only", default=",".join(WORKLOADS))
    ap.add_argument("--libs", default="tinygradnb,torch")
    ap.add_argument("--threads", default="default,1", help="default,1 | default | 1")
    ap.add_argument("--out", default=str(HERE / "results"))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--one-thread", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    a.only = [w for w in a.only.split(",") if w]
    unknown = set(a.only) - set(WORKLOADS)
    if unknown:
        raise SystemExit(f"unknown workload(s): {sorted(unknown)}; known: {list(WORKLOADS)}")
    if a.quick:
        a.rounds = 1
    if a.child:
        return _child(a)

    libs = [x for x in a.libs.split(",") if x]
    if "torch" in libs and importlib.util.find_spec("torch") is None:
        print("toy.py: torch is not installed; timing tinygradnb alone")
        libs.remove("torch")
    settings = [s for s in a.threads.split(",") if s]
    res = {s: {lib: _run_child(lib, s == "1", a) for lib in libs} for s in settings}
    rows, bad = [], []
    for name in a.only:
        row = {"workload": name, "what": WORKLOADS[name][1]}
        for s in settings:
            ours = res[s]["tinygradnb"][name]
            row[f"tinygradnb_{s}"] = ours["median_s"]
            if "torch" in libs:
                ref = res[s]["torch"][name]
                row[f"torch_{s}"] = ref["median_s"]
                row[f"ratio_{s}"] = ref["median_s"] / ours["median_s"]
                if not _agree(ours["check"], ref["check"], 2e-3):
                    bad.append((name, s, ours["check"], ref["check"]))
        rows.append(row)

    lines = ["| workload | " + " | ".join(f"torch ({s}) | tinygradnb ({s}) | ratio ({s})" for s in settings) + " |",
             "| --- |" + " ---: | ---: | ---: |" * len(settings)]
    for r in rows:
        cells = []
        for s in settings:
            goal = GOAL_ONE if s == "1" else GOAL_DEFAULT
            ratio = r.get(f"ratio_{s}")
            cells += [f"{r[f'torch_{s}'] * 1e3:.2f} ms" if f"torch_{s}" in r else "—",
                      f"{r[f'tinygradnb_{s}'] * 1e3:.2f} ms",
                      "—" if ratio is None else f"{ratio:.2f}× ({'met' if ratio >= goal else 'missed'})"]
        lines.append(f"| {r['workload']}: {r['what']} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "toy.json").write_text(json.dumps({"rows": rows, "raw": res}, indent=1))
    (out / "toy.md").write_text(f"Goal: ≥ {GOAL_DEFAULT}× torch at default threads, ≥ {GOAL_ONE}× at one thread "
                                f"(ratio = torch ÷ tinygradnb).\n\n{table}\n")
    for name, s, ours, ref in bad:
        print(f"DISAGREE {name} ({s} threads): tinygradnb {ours[:4]} vs torch {ref[:4]}")
    if bad:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
