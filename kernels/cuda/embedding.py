"""Embedding kernels on the GPU: the row gather of a lookup table and its scatter-add gradient — the ``@cuda.jit``
twin of kernels/cpu/embedding.py, with the same names, arguments and equations.

An embedding maps token index k to row k of a table W (V, D) — the "word embeddings" the lecture's input layer
receives. Indices (int64, 1-D) are validated by the caller (``index_stats``, checked at the next copy to the host),
so the kernels meet a bad index before it is reported: they stay inside the table (a NaN row, no gradient). One
thread per output element (i, j), grid-stride loops (``_launch.launch``); consecutive threads touch consecutive
columns j, so reads and writes of a row are coalesced.

The backward pass scatter-adds with ``cuda.atomic.add`` (float32/float64), so repeated indices accumulate from
several threads at once: the order of those additions depends on thread scheduling, and so may the last bits of
dW for a repeated index (the CPU twin adds in sample order). It is otherwise deterministic.
"""
import math

from numba import cuda

from ._launch import alloc, jit, launch, zero_fill


@jit
def _gather(weight, idx, out):
    n, d = out.shape
    for e in range(cuda.grid(1), n * d, cuda.gridsize(1)):
        i = e // d
        j = e - i * d
        k = idx[i]
        out[i, j] = weight[k, j] if 0 <= k < weight.shape[0] else math.nan


@jit
def _scatter_add(grad, idx, padding_idx, out):
    n, d = grad.shape
    for e in range(cuda.grid(1), n * d, cuda.gridsize(1)):
        i = e // d
        k = idx[i]
        if k != padding_idx and 0 <= k < out.shape[0]:
            j = e - i * d
            cuda.atomic.add(out, (k, j), grad[i, j])


def embedding_forward(weight, idx):
    """Gather: outᵢⱼ = W[idxᵢ, j] for weight W (V, D) and idx (N,) int64. Returns out (N, D) in W's dtype."""
    out = alloc((idx.shape[0], weight.shape[1]), weight.dtype)
    launch(_gather, out.size, weight, idx, out)
    return out


def embedding_backward(grad, idx, num_embeddings, padding_idx):
    """Scatter-add: dW[k, j] = Σ_{i : idxᵢ = k} gradᵢⱼ for grad (N, D), idx (N,) int64, so repeated indices
    accumulate (``cuda.atomic.add``, in the dtype of ``grad``, float32 or float64; the order of the additions for a
    repeated index depends on scheduling); row ``padding_idx`` gets zero gradient (pass −1 for none). Returns dW
    (num_embeddings, D) in the dtype of ``grad``."""
    out = alloc((int(num_embeddings), grad.shape[1]), grad.dtype)
    zero_fill(out)                                   # the driver's memset, no kernel
    launch(_scatter_add, grad.size, grad, idx, int(padding_idx), out)
    return out


__all__ = ["embedding_forward", "embedding_backward"]
