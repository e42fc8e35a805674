"""Forward+backward time of tinygradnb.nn.RNN / LSTM / GRU against torch.nn.RNN / LSTM / GRU (CPU, float32).

    python bench/rnn_speed.py [--T 64] [--B 32] [--I 128] [--H 256] [--rounds 7] [--modes RNN,LSTM,GRU]

One step = output = layer(x); loss = output.sum() + h_n.sum(); loss.backward() with fresh gradients. Torch is
timed in its default thread count and again with torch.set_num_threads(1); everything runs in one process, and
each number is the median of ``rounds`` rounds of ``reps`` steps, so ratios (torch time / tinygradnb time, > 1
means tinygradnb is faster) compare like with like. The recurrence kernels run on one thread; tinygradnb's input
projections and dW_hh go through NumPy's OpenBLAS (set OPENBLAS_NUM_THREADS=1 to compare with torch on 1 thread).
torch is used here only as the reference; the library never imports it.

GFLOP/s counts the matrix products only (``_flops``). Torch's CPU LSTM runs oneDNN's RNN primitive (AVX-512
brgemm, ~260 GFLOP/s on one core here); tinygradnb's products run at OpenBLAS's rate (~135 GFLOP/s with the Haswell
kernels that this machine's OPENBLAS_CORETYPE=Haswell forces, ~250 with the SkylakeX ones OpenBLAS picks itself)
and its own AVX-512 loop (~130-210 GFLOP/s).
"""
import argparse
import os
import statistics
import time

import numpy as np

from blas import blas_core

_GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


def _flops(mode, a):
    """Matrix-product FLOPs of one forward+backward step (an FMA counts 2): the input projection, the hidden
    product and, backward, dx, dW_ih, dh ← dz·W_hh and dW_hh — three products of each size."""
    gh = _GATES[mode] * a.H
    return 3 * 2 * a.T * a.B * gh * (a.I + a.H)


def _time(fn, rounds, reps):
    fn()
    fn()
    ts = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        ts.append((time.perf_counter() - t0) / reps)
    return statistics.median(ts)


def _bench_mode(mode, a, x_np, default_threads, torch, tg, tnn):
    """Time one layer kind and print its line."""
    ours = getattr(tnn, mode)(a.I, a.H)
    ref = getattr(torch.nn, mode)(a.I, a.H)
    with torch.no_grad():
        for name, p in ref.named_parameters():
            p.copy_(torch.from_numpy(np.ascontiguousarray(getattr(ours, name).numpy())))
    x_ours = tg.tensor(x_np, requires_grad=True)
    x_ref = torch.from_numpy(x_np.copy()).requires_grad_(True)

    def step_ours():
        for p in ours.parameters():
            p.grad = None
        x_ours.grad = None
        out, hn = ours(x_ours)
        if mode == "LSTM":
            hn = hn[0]
        (out.sum() + hn.sum()).backward()

    def step_ref():
        ref.zero_grad(set_to_none=True)
        x_ref.grad = None
        out, hn = ref(x_ref)
        if mode == "LSTM":
            hn = hn[0]
        (out.sum() + hn.sum()).backward()

    # Same result first (the comparison is meaningless otherwise).
    step_ours()
    step_ref()
    gw = ours.weight_hh_l0.grad.numpy()
    rw = ref.weight_hh_l0.grad.numpy()
    err = float(np.max(np.abs(gw - rw)) / max(1e-30, float(np.max(np.abs(rw)))))

    torch.set_num_threads(default_threads)
    t_ours = _time(step_ours, a.rounds, a.reps)
    t_ref = _time(step_ref, a.rounds, a.reps)
    torch.set_num_threads(1)
    t_ref1 = _time(step_ref, a.rounds, a.reps)
    torch.set_num_threads(default_threads)
    fl = _flops(mode, a)
    print(f"{mode:5s} tinygradnb {t_ours * 1e3:8.2f} ms ({fl / t_ours / 1e9:4.0f} GFLOP/s) | torch({default_threads} "
          f"thr) {t_ref * 1e3:8.2f} ms ratio {t_ref / t_ours:5.2f}x | torch(1 thr) {t_ref1 * 1e3:8.2f} ms "
          f"({fl / t_ref1 / 1e9:4.0f} GFLOP/s) ratio {t_ref1 / t_ours:5.2f}x | rel. err dW_hh {err:.1e}")



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--T", type=int, default=64)
    ap.add_argument("--B", type=int, default=32)
    ap.add_argument("--I", type=int, default=128)
    ap.add_argument("--H", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--modes", default="RNN,LSTM,GRU")
    a = ap.parse_args()

    import torch

    import tinygradnb as tg
    import tinygradnb.nn as tnn

    default_threads = torch.get_num_threads()
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((a.T, a.B, a.I)).astype(np.float32)
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"T={a.T} B={a.B} I={a.I} H={a.H} float32; torch default threads = {default_threads}; "
          f"tinygradnb's OpenBLAS threads (OPENBLAS_NUM_THREADS) = {blas}, kernels {blas_core()}; "
          f"median of {a.rounds} rounds x {a.reps} steps (forward+backward)")
    for mode in a.modes.split(","):
        _bench_mode(mode, a, x_np, default_threads, torch, tg, tnn)


if __name__ == "__main__":
    main()
