"""Where does BLAS beat the own Numba matmul kernel? Run: ``python bench/matmul_crossover.py [--quick]``.

Times the three paths of ``tinygradnb.kernels.cpu.matmul`` — own-serial (``matmul_tiled``), own-parallel
(``matmul_tiled_parallel``) and BLAS (``matmul_blas`` = ``np.matmul``) — on square single matrices n = 2 … 512
and on batched / rectangular shapes, float32 and float64, and prints one row per shape with the median-of-repeats
time of each path, its GFLOP/s and the winner. It then reports the crossovers that ``kernels/cpu/matmul.py``
uses, measured per matrix in multiply-adds m·n·k:

* single matrix: the largest m·n·k at which the best own path still beats BLAS;
* batch of small matrices (np.matmul calls BLAS once per matrix, so its overhead scales with the batch):
  the same, over the batched shapes;
* parallel: the smallest total work B·m·n·k at which own-parallel beats own-serial.

The constant in kernels/cpu/matmul.py is set from this output (see the comment there); nothing is asserted.
Caveat seen on the 2-core machine: a Numba OpenMP parallel region next to multi-threaded OpenBLAS calls can stall
~16 ms per call (thread oversubscription), so a row whose own-parallel or blas time reads ~16 000 µs measures that
stall, not the kernel; this is why the dispatcher never uses the parallel kernel.
"""
import importlib
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
# The module, not the flat backend's ``matmul`` function that shadows its name in tinygradnb.kernels.cpu.
mm = importlib.import_module("tinygradnb.kernels.cpu.matmul")

SQUARE = [2, 3, 4, 5, 6, 8, 12, 16, 20, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512]
# (B, M, K, N): batches of small matrices, then rectangular single matrices.
BATCHED = [(16, 4, 4, 4), (64, 4, 4, 4), (256, 4, 4, 4), (1024, 2, 2, 2), (64, 6, 6, 6), (256, 8, 8, 8),
           (256, 16, 16, 16), (64, 24, 24, 24), (256, 32, 32, 32),
           (64, 48, 48, 48), (64, 64, 64, 64), (16, 128, 128, 128), (32, 16, 64, 16), (8, 128, 32, 128),
           (1, 1, 512, 512), (1, 512, 512, 1), (1, 64, 1024, 64), (1, 1024, 64, 1024), (1, 8, 512, 8)]
PATHS = [("own-serial", mm.matmul_tiled), ("own-parallel", mm.matmul_tiled_parallel), ("blas", mm.matmul_blas)]


def timeit(fn, a, b, budget):
    """Median seconds per call over 5 repeats, each repeat long enough to last ~budget/5."""
    fn(a, b)
    t0 = time.perf_counter()
    fn(a, b)
    one = max(time.perf_counter() - t0, 1e-7)
    reps = max(1, int(budget / 5 / one))
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn(a, b)
        times.append((time.perf_counter() - t0) / reps)
    return float(np.median(times))


def run(shapes, dtype, budget, rng):
    rows = []
    for bsz, m, k, n in shapes:
        a = rng.standard_normal((bsz, m, k)).astype(dtype)
        b = rng.standard_normal((bsz, k, n)).astype(dtype)
        ref = np.matmul(a.astype(np.float64), b.astype(np.float64))
        ts = {}
        for name, fn in PATHS:
            out = fn(a, b)
            tol = 1e-3 if dtype == np.float32 else 1e-10
            if not np.allclose(out, ref, rtol=tol, atol=tol * max(1, k)):
                raise AssertionError(f"{name} wrong on {(bsz, m, k, n)} {np.dtype(dtype).name}")
            ts[name] = timeit(fn, a, b, budget)
        own = min(ts["own-serial"], ts["own-parallel"])
        rows.append(dict(shape=(bsz, m, k, n), mnk=m * n * k, total=bsz * m * n * k, t=ts,
                         own_wins=own < ts["blas"], par_wins=ts["own-parallel"] < ts["own-serial"]))
        flops = 2.0 * bsz * m * n * k
        cells = "  ".join(f"{ts[p] * 1e6:11.1f} µs {flops / ts[p] / 1e9:6.1f} GF/s" for p, _ in PATHS)
        winner = min(ts, key=ts.get)
        print(f"{np.dtype(dtype).name:8s} {str((bsz, m, k, n)):22s} mnk={m * n * k:<11d} {cells}  -> {winner}",
              flush=True)
    return rows


def crossover(rows):
    """(largest m·n·k where own beats BLAS, smallest m·n·k where BLAS beats own)."""
    own = [r["mnk"] for r in rows if r["own_wins"]]
    blas = [r["mnk"] for r in rows if not r["own_wins"]]
    return (max(own) if own else None), (min(blas) if blas else None)


def main():
    quick = "--quick" in sys.argv
    budget = 0.02 if quick else 0.1
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs; times are medians; GF/s counts 2·B·m·n·k flops")
    print(f"{'dtype':8s} {'(B, M, K, N)':22s} {'':15s} " + "  ".join(f"{p:>27s}" for p, _ in PATHS))
    for dtype in (np.float32, np.float64):
        sq = run([(1, n, n, n) for n in SQUARE], dtype, budget, rng)
        bt = run(BATCHED, dtype, budget, rng)
        s_own, s_blas = crossover(sq)
        b_own, b_blas = crossover([r for r in bt if r["shape"][0] > 1])
        par = [r["total"] for r in sq + bt if r["par_wins"]]
        ser = [r["total"] for r in sq + bt if not r["par_wins"]]
        name = np.dtype(dtype).name
        print(f"== {name} single matrix: own wins up to m·n·k = {s_own}, BLAS wins from m·n·k = {s_blas}")
        print(f"== {name} batched (B > 1): own wins up to m·n·k = {b_own}, BLAS wins from m·n·k = {b_blas}")
        print(f"== {name} parallel beats serial from B·m·n·k = {min(par) if par else None}"
              f" (serial still wins up to {max(ser) if ser else None})")
    print(f"constant in use: _OWN_MAX_MNK={mm._OWN_MAX_MNK} (own-serial when B·m·n·k <= it, else BLAS)")


if __name__ == "__main__":
    main()
