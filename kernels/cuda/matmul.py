"""Batched matrix multiply on the GPU: C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j] over 3-D arrays of one dtype — the
``@cuda.jit`` twin of kernels/cpu/matmul.py, with the same names (``matmul``, ``matmul_tiled``,
``matmul_tiled_parallel``, ``matmul_blas``), arguments and equation.

This backend has no vendor BLAS (cuBLAS is not a dependency), so all four names run one shared-memory kernel with
register tiling, the classic GEMM blocking: a block of ``ROW_THREADS`` threads, arranged as an S × S grid
(S = √ROW_THREADS: 16 on a GPU, 4 under the simulator), owns a BM × BN tile of C (BM = BN = S·R with R = 4, so 64 ×
64 on a GPU; ``_launch.launch_rows`` over the B·⌈M/BM⌉·⌈N/BN⌉ output tiles, blocks striding over the rest). The
block walks k in steps of BK, staging A[i0:i0+BM, k0:k0+BK] (transposed, so that a thread's reads of one k are
consecutive) and B[k0:k0+BK, j0:j0+BN] in shared memory, zero-padded at the edges. Each thread keeps an R × R
block of C in registers — rows i0 + ty + S·r, columns j0 + tx + S·q (r, q < R), so that neighbouring threads read
neighbouring shared-memory words and write neighbouring columns of C — and per k loads R values of A and R of B
for R² multiply-adds, instead of 2 loads per multiply-add in a one-output-per-thread tile.

Accumulation is in the input dtype for float32 and float64 (as cuBLAS; float32 results may differ from the CPU
twin's by the rounding of a different summation order), and in int64 for integer inputs (exact while the sums fit
in int64, beyond float64's 2^53), stored in the input dtype. Each output's sum runs over k in ascending order, so
results do not depend on the launch shape. Inputs are (B, M, K) and (B, K, N) device arrays (the backend's arrays
are C-contiguous: its transpose materialises); ``linear`` and ``linear_backward`` instead pass W (N, K) or gᵀ's
source (K, M) with a flag, and the kernel reads that operand transposed while staging it (consecutive threads still
read consecutive addresses), which saves a transpose launch per product. The op layer
(``tinygradnb.ops.matmul``) validates shapes and dtypes.
"""
import math

import numpy as np
from numba import cuda, float32, float64, int64

from ._launch import ROW_THREADS, alloc, jit, launch_rows
from .reduce import sum as _sum
from .shape import reshape

S = math.isqrt(ROW_THREADS)         # the thread grid of a block is S × S
assert S * S == ROW_THREADS, "ROW_THREADS must be a square"
R = 4                               # each thread owns an R × R block of C
BM = BN = S * R                     # a block's tile of C
BK = 16 if S >= 8 else 8            # the k-step staged in shared memory
_A_LOADS = (BM * BK + ROW_THREADS - 1) // ROW_THREADS   # staged elements of A (and of B) per thread


def _make_kernel(acc_type, name):
    """The register-tiled kernel staging and accumulating in ``acc_type``."""

    def _mm(a, b, c, ta, tb, bias, add_bias, row_sum, sum_a):
        nb, m, n = c.shape
        kk = a.shape[1] if ta else a.shape[2]
        ti_n = (m + BM - 1) // BM
        tj_n = (n + BN - 1) // BN
        t = cuda.threadIdx.x
        ty = t // S
        tx = t - ty * S
        sa = cuda.shared.array((BK, BM), acc_type)     # A's tile, transposed: sa[p, u] = A[i0 + u, k0 + p]
        sb = cuda.shared.array((BK, BN), acc_type)
        acc = cuda.local.array((R, R), acc_type)
        fa = cuda.local.array(R, acc_type)
        fb = cuda.local.array(R, acc_type)
        rs = cuda.local.array(R, acc_type)
        for tile in range(cuda.blockIdx.x, nb * ti_n * tj_n, cuda.gridDim.x):
            bi = tile // (ti_n * tj_n)
            rest = tile - bi * (ti_n * tj_n)
            i0 = (rest // tj_n) * BM
            j0 = (rest % tj_n) * BN
            for r in range(R):
                rs[r] = 0
                for q in range(R):
                    acc[r, q] = 0
            for k0 in range(0, kk, BK):
                for x in range(_A_LOADS):
                    e = t + x * ROW_THREADS
                    if e < BM * BK:
                        # consecutive threads read consecutive elements of a stored row: k of a row of A, or
                        # i of a row of the stored Aᵀ (ta); columns of B, or k of a row of the stored Bᵀ (tb)
                        if ta:
                            p = e // BM
                            u = e - p * BM
                        else:
                            u = e // BK
                            p = e - u * BK
                        if i0 + u < m and k0 + p < kk:
                            sa[p, u] = a[bi, k0 + p, i0 + u] if ta else a[bi, i0 + u, k0 + p]
                        else:
                            sa[p, u] = 0
                        if tb:
                            v = e // BK
                            p = e - v * BK
                        else:
                            p = e // BN
                            v = e - p * BN
                        if k0 + p < kk and j0 + v < n:
                            sb[p, v] = b[bi, j0 + v, k0 + p] if tb else b[bi, k0 + p, j0 + v]
                        else:
                            sb[p, v] = 0
                cuda.syncthreads()
                for p in range(BK):
                    for r in range(R):
                        fa[r] = sa[p, ty + S * r]
                    for q in range(R):
                        fb[q] = sb[p, tx + S * q]
                    for r in range(R):
                        for q in range(R):
                            acc[r, q] += fa[r] * fb[q]
                    if sum_a:
                        for r in range(R):
                            rs[r] += fa[r]
                cuda.syncthreads()
            for r in range(R):
                i = i0 + ty + S * r
                if i < m:
                    if sum_a and j0 == 0 and tx == 0:     # one thread per row of A, in the first column tile
                        row_sum[i] = rs[r]
                    for q in range(R):
                        j = j0 + tx + S * q
                        if j < n:
                            c[bi, i, j] = acc[r, q] + bias[j] if add_bias else acc[r, q]

    _mm.__name__ = name
    return jit(_mm, name=name)


_KERNELS = {np.dtype(np.float32): _make_kernel(float32, "_mm_f32"),
            np.dtype(np.float64): _make_kernel(float64, "_mm_f64")}
_mm_int = _make_kernel(int64, "_mm_int")


_none = {}   # dtype -> an empty array: the bias and row-sum arguments of a product that has neither


def _tiled(a, b, ta=False, tb=False, bias=None, row_sum=False):
    """C = op(A)·op(B) for a (B,M,K) — or, with ``ta``, a (B,K,M) read as its transpose — and b (B,K,N) — or, with
    ``tb``, b (B,N,K) read as its transpose: a transposed operand is read in place, not copied first. With
    ``bias`` (N,), C[b,i,j] = Σ_k … + bias[j] (added after the sum, in the epilogue); with ``row_sum`` (B = 1),
    also returns s[i] = Σ_k op(A)[0,i,k] (ascending k), summed from the staged tiles of A in the same launch.
    Returns C, or (C, s) with ``row_sum``."""
    nb = a.shape[0]
    m = a.shape[2] if ta else a.shape[1]
    n = b.shape[1] if tb else b.shape[2]
    dt = np.dtype(a.dtype)
    c = alloc((nb, m, n), dt)
    none = _none.get(dt)
    if none is None:
        none = _none[dt] = alloc(0, dt)
    s = alloc(m, dt) if row_sum else none
    tiles = nb * ((m + BM - 1) // BM) * ((n + BN - 1) // BN)
    launch_rows(_KERNELS.get(dt, _mm_int), tiles, a, b, c, bool(ta), bool(tb), none if bias is None else bias,
                bias is not None, s, bool(row_sum))
    return (c, s) if row_sum else c


def matmul_tiled(a, b):
    """C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j] for a (B,M,K), b (B,K,N) of one dtype: the shared-memory, register-tiled
    kernel (accumulating in the input dtype for floats, in int64 for integers). Returns C (B,M,N) in the input
    dtype."""
    return _tiled(a, b)


def matmul_tiled_parallel(a, b):
    """C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j]: the same shared-memory tiled kernel as ``matmul_tiled`` (on the GPU
    every launch is parallel; the name exists for parity with the CPU twin)."""
    return _tiled(a, b)


def matmul_blas(a, b):
    """C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j]: this backend has no vendor BLAS, so this runs the same shared-memory
    tiled kernel as ``matmul_tiled`` (the name exists for parity with the CPU twin)."""
    return _tiled(a, b)


def matmul(a, b):
    """C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j] for 3-D a (B,M,K), b (B,K,N) of one dtype (float32, float64 or an integer
    dtype): the shared-memory tiled kernel for every shape (there is no BLAS path to pick on this backend)."""
    return _tiled(a, b)


def linear(x, w, bias):
    """The affine map y = x·Wᵀ + b (the lecture's h = Wx + b for a batch of rows) for x (N, K), W (M, K) and b (M,)
    or None: one launch of the tiled product, W read transposed in place and b added in its epilogue."""
    n, k = x.shape
    m = w.shape[0]
    return reshape(_tiled(reshape(x, (1, n, k)), reshape(w, (1, m, k)), tb=True, bias=bias), (n, m))


def linear_backward(g, x, w, need_x, need_w, need_b):
    """The gradients of y = x·Wᵀ + b from g = dL/dy (N, M), x (N, K), W (M, K): dx = g·W (N, K), dW = gᵀ·x (M, K)
    and db = Σ_rows g (M,): two launches of the tiled product (gᵀ read transposed in place), db summed from gᵀ's
    staged tiles inside dW's launch; None for those not asked for."""
    n, m = g.shape
    k = x.shape[1]
    gx = reshape(_tiled(reshape(g, (1, n, m)), reshape(w, (1, m, k))), (n, k)) if need_x else None
    gw = gb = None
    if need_w:
        gw = _tiled(reshape(g, (1, n, m)), reshape(x, (1, n, k)), ta=True, row_sum=need_b)
        if need_b:
            gw, gb = gw
        gw = reshape(gw, (m, k))
    elif need_b:
        gb = _sum(g, axis=0)
    return gx, gw, gb


__all__ = ["matmul", "matmul_tiled", "matmul_tiled_parallel", "matmul_blas", "linear", "linear_backward"]
