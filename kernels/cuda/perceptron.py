"""Rosenblatt's perceptron on the GPU (the lecture's first learnable neural architecture): one training epoch and
prediction — the ``@cuda.jit`` twin of kernels/cpu/perceptron.py, with the same names, arguments and equations.

The lecture's update rule is w ← w + η(y − ŷ)x, with ŷ = 1[w·x + b > 0] and the bias learnt the same way,
b ← b + η(y − ŷ). ``X`` is a 2-D C-contiguous (n_samples, n_features) device array of w's dtype (float32 or
float64), ``w`` 1-D (n_features,), ``b`` a 1-element device array (updated in place) and ``y`` int64 labels in
{0, 1}. Scores are accumulated in float64.

An epoch is sequential over the samples (each update changes the next score), so it runs as one block of
``ROW_THREADS`` threads that walks the samples in order; the threads split the features: each computes a partial dot
product over features j ≡ t (mod ROW_THREADS), a shared-memory tree reduction (fixed order, ``_launch.block_sum``)
adds them, thread 0 decides ŷ and updates b, and every thread updates its own features of w. The score's summation
order differs from the CPU twin's left-to-right sum, so a score within a rounding of 0 could be classified
differently. Prediction has no dependency between samples: one thread per sample, summing features left to right as
the CPU.
"""
import numpy as np
from numba import cuda, float64, int64

from ._launch import ROW_THREADS, alloc, block_sum, jit, launch, launch_rows, to_host


@jit
def _epoch(w, b, X, y, lr, mistakes):
    n, d = X.shape
    t = cuda.threadIdx.x
    part = cuda.shared.array(ROW_THREADS, float64)
    err_sh = cuda.shared.array(1, int64)
    if cuda.blockIdx.x == 0:                      # launched as one block; the samples are walked in order
        count = 0
        for i in range(n):
            s = np.float64(0.0)
            for j in range(t, d, ROW_THREADS):
                s += np.float64(w[j] * X[i, j])     # the product in X's dtype, summed in float64 (as the CPU)
            s = block_sum(part, t, s)
            if t == 0:
                score = np.float64(b[0]) + s
                yhat = 1 if score > 0.0 else 0
                err = y[i] - yhat
                err_sh[0] = err
                if err != 0:
                    count += 1
                    b[0] = b[0] + lr * err
            cuda.syncthreads()
            err = err_sh[0]
            if err != 0:
                step = lr * err
                for j in range(t, d, ROW_THREADS):
                    w[j] = w[j] + step * X[i, j]
        if t == 0:
            mistakes[0] = count


@jit
def _predict(w, b, X, out):
    n, d = X.shape
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        s = np.float64(b[0])
        for j in range(d):
            s += np.float64(w[j] * X[i, j])
        out[i] = 1 if s > 0.0 else 0


def perceptron_epoch_(w, b, X, y, lr):
    """One epoch of the perceptron rule over the samples in order, in place on ``w`` and ``b``: for each sample,
    ŷ = 1[w·x + b > 0]; if ŷ ≠ y: w ← w + η(y − ŷ)x, b ← b + η(y − ŷ). Returns the number of mistakes (samples
    with ŷ ≠ y, each counted when it was seen) as a Python int."""
    mistakes = alloc(1, np.int64)
    launch_rows(_epoch, 1, w, b, X, y, float(lr), mistakes)
    return int(to_host(mistakes)[0])


def perceptron_predict(w, b, X):
    """ŷ_i = 1[w·x_i + b > 0] for every row of ``X``, as an int64 device array (n_samples,)."""
    out = alloc(X.shape[0], np.int64)
    launch(_predict, X.shape[0], w, b, X, out)
    return out


__all__ = ["perceptron_epoch_", "perceptron_predict"]
