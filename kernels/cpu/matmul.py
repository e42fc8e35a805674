"""Batched matrix multiply: C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j] over 3-D C-contiguous arrays of one dtype.

Two paths compute the same equation:

* ``matmul_tiled`` / ``matmul_tiled_parallel``: an own cache-blocked kernel, ``_mm_acc`` per matrix (also the
  per-step hidden product of kernels/cpu/rnn.py). The output is built in blocks of ``_NB`` columns × ``_KB`` depth
  (so the B block stays in L2); inside, an 8-row × 4-deep register block (then 4-row and single-row blocks for
  the remaining rows) updates eight rows of C at once from four rows of B — c[i,j] += a[i,k]·b[k,j] + … +
  a[i,k+3]·b[k+3,j] — with the innermost loop running over contiguous j so that LLVM vectorises it (AVX-512 here)
  and fuses the multiply-adds (``fastmath={"contract"}``: FMA contraction only, no reassociation). Each block of B
  is read M/8 times instead of M times by a row-at-a-time product. The parallel variant splits the work over
  (batch, block of ``_MB`` rows) with ``prange``.
* ``matmul_blas``: NumPy's ``np.matmul`` (OpenBLAS sgemm/dgemm per matrix), called from Python — ``np.dot``
  inside ``@njit`` would need SciPy, which is not a dependency.

``matmul`` picks between them per shape with the measured crossover below. Inputs are not checked here: the op
layer (``tinygradnb.ops.matmul``) validates shapes and dtypes before they reach a kernel.
"""
import numpy as np
from numba import njit, prange

from .reduce import sum as _sum

# Blocking of the own kernel, in elements: columns of C per block, depth of k per block, rows per parallel task.
_NB = 512
_KB = 128
_MB = 32

# Crossover, measured with ``python bench/matmul_crossover.py`` on this 2-core AMD EPYC (AVX-512) machine, NumPy 2.4
# (OpenBLAS), Numba 0.68 (OpenMP threading layer); times in µs, own-serial / own-parallel / np.matmul:
#   single square n, float32:  n=2: 0.6/3.0/0.8   n=4: 0.7/3.1/0.8   n=5: 0.8/-/1.1   n=6: 0.9/-/0.8
#                              n=8: 1.1/5.6/0.9   n=16: 2.4/5.8/1.0  n=64: 27/12/5.4  n=512: 3 000/1 400/1 300
#   single square n, float64:  n=4: 0.8/5.3/0.8   n=5: 0.9/-/0.9     n=8: 1.1/5.6/0.9  n=64: 30/17/11
#   batched B×(n×n·n×n), f32:  16×4³: 3.4/6.9/1.7   256×4³: 44/14/15   1024×2³: 61/18/54   256×8³: 129/30/20
#                              64×64³: 1 800/340/310   16×128³: 1 800/570/630   8×(128×32·32×128): 237/122/174
# (The own-kernel times above are of an earlier 2-row register block; the 8-row ``_mm_acc`` takes 0.64 µs at n=4,
# 1.05 µs at n=16, 2.1 µs at n=32 and reaches 164 GFLOP/s at n=1024, 0.71x OpenBLAS's AVX-512 sgemm.)
# The own serial kernel beats BLAS only on single matrices up to m·n·k = 64 (n ≤ 4; np.matmul's call overhead is
# ~0.8 µs): that is ``_OWN_MAX_MNK``, compared with the whole batch's B·m·n·k because a batch of small matrices
# goes faster through np.matmul than through the serial kernel. The parallel kernel reaches 190 GF/s (f32, n=512,
# OpenBLAS 200) and wins some mid-size batched shapes by 10-50 %, but it is not dispatched to: on this 2-core
# machine a Numba OpenMP region run next to (multi-threaded) OpenBLAS calls stalls for ~16 ms per call
# (oversubscription; bench runs show the stall in whichever of the two runs second), a cost that far exceeds
# the gain. It stays exported (``matmul_tiled_parallel``) for callers that do not mix it with BLAS.
_OWN_MAX_MNK = 64
_PAD_MIN = 256   # rows at least this long are padded (see matmul_tiled)
_FM = {"contract"}


@njit(cache=True, fastmath=_FM, error_model="numpy")
def _mm_acc(a, w, c):
    """c[:, :N] += a·w[:, :N] for a (M, K) (any layout: only scalars are read from it), w (K, ≥ N) and c (M, ≥ N)
    C-contiguous, N = the smaller of their widths (either may carry padding columns)."""
    m, kk = a.shape
    n = c.shape[1]
    for jb in range(0, n, _NB):
        j1 = min(jb + _NB, n)
        nj = j1 - jb
        for kb in range(0, kk, _KB):
            k1 = min(kb + _KB, kk)
            i = 0
            while i + 8 <= m:
                c0 = c[i, jb:j1]
                c1 = c[i + 1, jb:j1]
                c2 = c[i + 2, jb:j1]
                c3 = c[i + 3, jb:j1]
                c4 = c[i + 4, jb:j1]
                c5 = c[i + 5, jb:j1]
                c6 = c[i + 6, jb:j1]
                c7 = c[i + 7, jb:j1]
                k = kb
                while k + 4 <= k1:
                    w0 = w[k, jb:j1]
                    w1 = w[k + 1, jb:j1]
                    w2 = w[k + 2, jb:j1]
                    w3 = w[k + 3, jb:j1]
                    a00 = a[i, k]
                    a01 = a[i, k + 1]
                    a02 = a[i, k + 2]
                    a03 = a[i, k + 3]
                    a10 = a[i + 1, k]
                    a11 = a[i + 1, k + 1]
                    a12 = a[i + 1, k + 2]
                    a13 = a[i + 1, k + 3]
                    a20 = a[i + 2, k]
                    a21 = a[i + 2, k + 1]
                    a22 = a[i + 2, k + 2]
                    a23 = a[i + 2, k + 3]
                    a30 = a[i + 3, k]
                    a31 = a[i + 3, k + 1]
                    a32 = a[i + 3, k + 2]
                    a33 = a[i + 3, k + 3]
                    a40 = a[i + 4, k]
                    a41 = a[i + 4, k + 1]
                    a42 = a[i + 4, k + 2]
                    a43 = a[i + 4, k + 3]
                    a50 = a[i + 5, k]
                    a51 = a[i + 5, k + 1]
                    a52 = a[i + 5, k + 2]
                    a53 = a[i + 5, k + 3]
                    a60 = a[i + 6, k]
                    a61 = a[i + 6, k + 1]
                    a62 = a[i + 6, k + 2]
                    a63 = a[i + 6, k + 3]
                    a70 = a[i + 7, k]
                    a71 = a[i + 7, k + 1]
                    a72 = a[i + 7, k + 2]
                    a73 = a[i + 7, k + 3]
                    for j in range(nj):
                        x0 = w0[j]
                        x1 = w1[j]
                        x2 = w2[j]
                        x3 = w3[j]
                        c0[j] += a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3
                        c1[j] += a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3
                        c2[j] += a20 * x0 + a21 * x1 + a22 * x2 + a23 * x3
                        c3[j] += a30 * x0 + a31 * x1 + a32 * x2 + a33 * x3
                        c4[j] += a40 * x0 + a41 * x1 + a42 * x2 + a43 * x3
                        c5[j] += a50 * x0 + a51 * x1 + a52 * x2 + a53 * x3
                        c6[j] += a60 * x0 + a61 * x1 + a62 * x2 + a63 * x3
                        c7[j] += a70 * x0 + a71 * x1 + a72 * x2 + a73 * x3
                    k += 4
                while k < k1:
                    w0 = w[k, jb:j1]
                    a00 = a[i, k]
                    a10 = a[i + 1, k]
                    a20 = a[i + 2, k]
                    a30 = a[i + 3, k]
                    a40 = a[i + 4, k]
                    a50 = a[i + 5, k]
                    a60 = a[i + 6, k]
                    a70 = a[i + 7, k]
                    for j in range(nj):
                        x0 = w0[j]
                        c0[j] += a00 * x0
                        c1[j] += a10 * x0
                        c2[j] += a20 * x0
                        c3[j] += a30 * x0
                        c4[j] += a40 * x0
                        c5[j] += a50 * x0
                        c6[j] += a60 * x0
                        c7[j] += a70 * x0
                    k += 1
                i += 8
            while i + 4 <= m:
                c0 = c[i, jb:j1]
                c1 = c[i + 1, jb:j1]
                c2 = c[i + 2, jb:j1]
                c3 = c[i + 3, jb:j1]
                k = kb
                while k + 4 <= k1:
                    w0 = w[k, jb:j1]
                    w1 = w[k + 1, jb:j1]
                    w2 = w[k + 2, jb:j1]
                    w3 = w[k + 3, jb:j1]
                    a00 = a[i, k]
                    a01 = a[i, k + 1]
                    a02 = a[i, k + 2]
                    a03 = a[i, k + 3]
                    a10 = a[i + 1, k]
                    a11 = a[i + 1, k + 1]
                    a12 = a[i + 1, k + 2]
                    a13 = a[i + 1, k + 3]
                    a20 = a[i + 2, k]
                    a21 = a[i + 2, k + 1]
                    a22 = a[i + 2, k + 2]
                    a23 = a[i + 2, k + 3]
                    a30 = a[i + 3, k]
                    a31 = a[i + 3, k + 1]
                    a32 = a[i + 3, k + 2]
                    a33 = a[i + 3, k + 3]
                    for j in range(nj):
                        x0 = w0[j]
                        x1 = w1[j]
                        x2 = w2[j]
                        x3 = w3[j]
                        c0[j] += a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3
                        c1[j] += a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3
                        c2[j] += a20 * x0 + a21 * x1 + a22 * x2 + a23 * x3
                        c3[j] += a30 * x0 + a31 * x1 + a32 * x2 + a33 * x3
                    k += 4
                while k < k1:
                    w0 = w[k, jb:j1]
                    a00 = a[i, k]
                    a10 = a[i + 1, k]
                    a20 = a[i + 2, k]
                    a30 = a[i + 3, k]
                    for j in range(nj):
                        x0 = w0[j]
                        c0[j] += a00 * x0
                        c1[j] += a10 * x0
                        c2[j] += a20 * x0
                        c3[j] += a30 * x0
                    k += 1
                i += 4
            while i < m:
                c0 = c[i, jb:j1]
                k = kb
                while k + 4 <= k1:
                    w0 = w[k, jb:j1]
                    w1 = w[k + 1, jb:j1]
                    w2 = w[k + 2, jb:j1]
                    w3 = w[k + 3, jb:j1]
                    a00 = a[i, k]
                    a01 = a[i, k + 1]
                    a02 = a[i, k + 2]
                    a03 = a[i, k + 3]
                    for j in range(nj):
                        c0[j] += a00 * w0[j] + a01 * w1[j] + a02 * w2[j] + a03 * w3[j]
                    k += 4
                while k < k1:
                    w0 = w[k, jb:j1]
                    a00 = a[i, k]
                    for j in range(nj):
                        c0[j] += a00 * w0[j]
                    k += 1
                i += 1



@njit(cache=True, fastmath=_FM)
def matmul_tiled(a, b):
    """C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j] for a (B,M,K), b (B,K,N) of one dtype; own blocked kernel, one thread."""
    nb, m, kk = a.shape
    n = b.shape[2]
    if n < _PAD_MIN:
        c = np.zeros((nb, m, n), a.dtype)
        for bi in range(nb):
            _mm_acc(a[bi], b[bi], c[bi])
        return c
    c = np.empty((nb, m, n), a.dtype)
    # B and C in rows padded by 16 elements: rows 2^k bytes apart all map to the same L1 sets (n = 1024: 104
    # instead of 163 GFLOP/s); the copies are O(K·N + M·N) against the O(M·K·N) product.
    wp = np.empty((kk, n + 16), a.dtype)
    cp = np.empty((m, n + 16), a.dtype)
    for bi in range(nb):
        wp[:, :n] = b[bi]
        cp[:] = 0
        _mm_acc(a[bi], wp, cp)
        c[bi] = cp[:, :n]
    return c


@njit(parallel=True, cache=True, fastmath=_FM)
def matmul_tiled_parallel(a, b):
    """C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j] for a (B,M,K), b (B,K,N) of one dtype; own blocked kernel, threads over
    (batch, block of _MB rows of C)."""
    nb, m, _ = a.shape
    c = np.zeros((nb, m, b.shape[2]), a.dtype)
    nblk = (m + _MB - 1) // _MB
    for t in prange(nb * nblk):
        bi = t // nblk
        i0 = (t - bi * nblk) * _MB
        i1 = min(i0 + _MB, m)
        _mm_acc(a[bi, i0:i1], b[bi], c[bi, i0:i1])
    return c


def matmul_blas(a, b):
    """C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j] through NumPy's np.matmul (OpenBLAS for float32/float64; NumPy's own loop
    for integer dtypes)."""
    return np.matmul(a, b)


def matmul(a, b):
    """C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j] for 3-D a (B,M,K), b (B,K,N) of one dtype, by the path that is fastest
    for the shape (see the measured crossover above); integer dtypes go to np.matmul. Strided views (e.g. a
    transpose) go to BLAS as they are, which reads them through its transpose flags without a copy."""
    if a.size * b.shape[2] <= _OWN_MAX_MNK and a.dtype.kind == "f":   # B·M·K·N: tiny products only
        return matmul_tiled(np.ascontiguousarray(a), np.ascontiguousarray(b))
    return np.matmul(a, b)


def linear(x, w, bias):
    """The affine map y = x·Wᵀ + b (the lecture's h = Wx + b for a batch of rows) for x (N, K), W (M, K) and b (M,)
    or None: one np.matmul that reads Wᵀ in place (BLAS's transpose flag, no copy), then b added in place."""
    y = np.matmul(x, w.T)
    if bias is not None:
        y += bias
    return y


@njit(cache=True, fastmath=_FM, error_model="numpy")
def _linear_backward_row(g, x, w, need_x, need_w, need_b):
    """linear_backward for one row (g (1, M), x (1, K)) in one pass over j: dW[j,:] = g[0,j]·x[0,:] (an outer
    product), db[j] = g[0,j], dx[0,:] += g[0,j]·W[j,:]; arrays of length 0 for those not asked for."""
    m = g.shape[1]
    kk = x.shape[1]
    gx = np.zeros((1 if need_x else 0, kk), g.dtype)
    gw = np.empty((m if need_w else 0, kk), g.dtype)
    gb = np.empty(m if need_b else 0, g.dtype)
    for j in range(m):
        a = g[0, j]
        if need_w:
            for k in range(kk):
                gw[j, k] = a * x[0, k]
        if need_x:
            for k in range(kk):
                gx[0, k] += a * w[j, k]
        if need_b:
            gb[j] = a
    return gx, gw, gb


def linear_backward(g, x, w, need_x, need_w, need_b):
    """The gradients of y = x·Wᵀ + b from g = dL/dy (N, M), x (N, K), W (M, K): dx = g·W (N, K), dW = gᵀ·x (M, K)
    and db = Σ_rows g (M,) (an accurate float32 sum, ``reduce.sum``); None for those not asked for. One row (batch
    1) goes through one own kernel, ``_linear_backward_row``: OpenBLAS's gᵀ·x with an inner dimension of 1 took 26 µs
    for (128×1)·(1×185), against 2 µs for two rows, and the whole backward takes 3.5 µs there instead of 30."""
    if g.shape[0] == 1 and g.dtype.kind == "f":
        gx, gw, gb = _linear_backward_row(np.ascontiguousarray(g), np.ascontiguousarray(x),
                                           np.ascontiguousarray(w), need_x, need_w, need_b)
        return gx if need_x else None, gw if need_w else None, gb if need_b else None
    gx = np.matmul(g, w) if need_x else None
    gw = np.matmul(g.T, x) if need_w else None
    gb = _sum(g, axis=0) if need_b else None
    return gx, gw, gb


__all__ = ["matmul", "matmul_tiled", "matmul_tiled_parallel", "matmul_blas", "linear", "linear_backward"]
