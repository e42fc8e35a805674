"""Rosenblatt's perceptron (the lecture's first learnable neural architecture): one training epoch and prediction.

The lecture's update rule is w ← w + η(y − ŷ)x, with ŷ = 1[w·x + b > 0] and the bias learnt the same way,
b ← b + η(y − ŷ). ``X`` is a 2-D C-contiguous (n_samples, n_features) array of w's dtype (float32 or float64),
``w`` 1-D (n_features,), ``b`` a 1-element array (so that it can be updated in place) and ``y`` int64 labels in
{0, 1}. Scores are accumulated in float64.
"""
import numpy as np
from numba import njit


@njit(cache=True)
def perceptron_epoch_(w, b, X, y, lr):
    """One epoch of the perceptron rule over the samples in order, in place on ``w`` and ``b``: for each sample,
    ŷ = 1[w·x + b > 0]; if ŷ ≠ y: w ← w + η(y − ŷ)x, b ← b + η(y − ŷ). Returns the number of mistakes (samples
    with ŷ ≠ y, each counted when it was seen)."""
    n, d = X.shape
    mistakes = 0
    for i in range(n):
        s = b[0] + 0.0
        for j in range(d):
            s += w[j] * X[i, j]
        yhat = 1 if s > 0.0 else 0
        err = y[i] - yhat
        if err != 0:
            mistakes += 1
            step = lr * err
            for j in range(d):
                w[j] = w[j] + step * X[i, j]
            b[0] = b[0] + step
    return mistakes


@njit(cache=True)
def perceptron_predict(w, b, X):
    """ŷ_i = 1[w·x_i + b > 0] for every row of ``X``, as int64."""
    n, d = X.shape
    out = np.empty(n, np.int64)
    for i in range(n):
        s = b[0] + 0.0
        for j in range(d):
            s += w[j] * X[i, j]
        out[i] = 1 if s > 0.0 else 0
    return out


__all__ = ["perceptron_epoch_", "perceptron_predict"]
