"""Embedding kernels: the row gather of a lookup table and its scatter-add gradient.

An embedding maps token index k to row k of a table W (V, D) — the "word embeddings" the lecture's input layer
receives. Indices must already be validated to lie in [0, V): the kernels do not bounds-check.
"""
import numpy as np
from numba import njit


@njit(cache=True)
def embedding_forward(weight, idx):
    """Gather: outᵢⱼ = W[idxᵢ, j] for weight W (V, D) and idx (N,) int64. Returns out (N, D)."""
    n = idx.shape[0]
    d = weight.shape[1]
    out = np.empty((n, d), weight.dtype)
    for i in range(n):
        k = idx[i]
        for j in range(d):
            out[i, j] = weight[k, j]
    return out


@njit(cache=True)
def embedding_backward(grad, idx, num_embeddings, padding_idx):
    """Scatter-add: dW[k, j] = Σ_{i : idxᵢ = k} gradᵢⱼ for grad (N, D), idx (N,) int64, so repeated indices
    accumulate; row ``padding_idx`` gets zero gradient (pass −1 for none). Returns dW (num_embeddings, D) in the
    dtype of ``grad`` (accumulated in that dtype, as PyTorch's embedding_backward)."""
    n, d = grad.shape
    out = np.zeros((num_embeddings, d), grad.dtype)
    for i in range(n):
        k = idx[i]
        if k == padding_idx:
            continue
        for j in range(d):
            out[k, j] += grad[i, j]
    return out


__all__ = ["embedding_forward", "embedding_backward"]
