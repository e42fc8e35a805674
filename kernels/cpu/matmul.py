"""Batched matrix multiply: C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j] over 3-D C-contiguous arrays of one dtype.

Two paths compute the same equation:

* ``matmul_tiled`` / ``matmul_tiled_parallel``: an own cache-blocked kernel. The output is built in blocks of
  ``_NB`` columns × ``_KB`` depth (so the B block stays in L2); inside, a 2-row × 4-deep register block updates
  two rows of C at once from four rows of B — c[i,j] += a[i,k]·b[k,j] + … + a[i,k+3]·b[k+3,j] — with the
  innermost loop running over contiguous j so that LLVM vectorises it (AVX-512 here) and fuses the multiply-adds
  (``fastmath={"contract"}``: FMA contraction only, no reassociation). The parallel variant splits the work over
  (batch, block of ``_MB`` rows) with ``prange``.
* ``matmul_blas``: NumPy's ``np.matmul`` (OpenBLAS sgemm/dgemm per matrix), called from Python — ``np.dot``
  inside ``@njit`` would need SciPy, which is not a dependency.

``matmul`` picks between them per shape with the measured crossover below. Inputs are not checked here: the op
layer (``tinygradnb.ops.matmul``) validates shapes and dtypes before they reach a kernel.
"""
import numpy as np
from numba import njit, prange

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
# The own serial kernel beats BLAS only on single matrices up to m·n·k = 64 (n ≤ 4; np.matmul's call overhead is
# ~0.8 µs): that is ``_OWN_MAX_MNK``, compared with the whole batch's B·m·n·k because a batch of small matrices
# goes faster through np.matmul than through the serial kernel. The parallel kernel reaches 190 GF/s (f32, n=512,
# OpenBLAS 200) and wins some mid-size batched shapes by 10-50 %, but it is not dispatched to: on this 2-core
# machine a Numba OpenMP region run next to (multi-threaded) OpenBLAS calls stalls for ~16 ms per call
# (oversubscription; bench runs show the stall in whichever of the two runs second), a cost that far exceeds
# the gain. It stays exported (``matmul_tiled_parallel``) for callers that do not mix it with BLAS.
_OWN_MAX_MNK = 64
_FM = {"contract"}


@njit(cache=True, fastmath=_FM, inline="always")
def _block(a, b, c, bi, i0, i1, jb, j1, kb, k1):
    """C[bi, i0:i1, jb:j1] += A[bi, i0:i1, kb:k1] · B[bi, kb:k1, jb:j1] (2-row × 4-deep register block)."""
    nj = j1 - jb
    for i in range(i0, i1, 2):
        two = i + 1 < i1
        i1r = i + 1 if two else i
        c0 = c[bi, i, jb:j1]
        c1 = c[bi, i1r, jb:j1]
        k = kb
        while k + 4 <= k1:
            b0 = b[bi, k, jb:j1]
            b1 = b[bi, k + 1, jb:j1]
            b2 = b[bi, k + 2, jb:j1]
            b3 = b[bi, k + 3, jb:j1]
            a00 = a[bi, i, k]
            a01 = a[bi, i, k + 1]
            a02 = a[bi, i, k + 2]
            a03 = a[bi, i, k + 3]
            if two:
                a10 = a[bi, i1r, k]
                a11 = a[bi, i1r, k + 1]
                a12 = a[bi, i1r, k + 2]
                a13 = a[bi, i1r, k + 3]
                for j in range(nj):
                    x0 = b0[j]
                    x1 = b1[j]
                    x2 = b2[j]
                    x3 = b3[j]
                    c0[j] += a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3
                    c1[j] += a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3
            else:
                for j in range(nj):
                    c0[j] += a00 * b0[j] + a01 * b1[j] + a02 * b2[j] + a03 * b3[j]
            k += 4
        while k < k1:
            b0 = b[bi, k, jb:j1]
            a00 = a[bi, i, k]
            if two:
                a10 = a[bi, i1r, k]
                for j in range(nj):
                    x0 = b0[j]
                    c0[j] += a00 * x0
                    c1[j] += a10 * x0
            else:
                for j in range(nj):
                    c0[j] += a00 * b0[j]
            k += 1


@njit(cache=True, fastmath=_FM)
def matmul_tiled(a, b):
    """C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j] for a (B,M,K), b (B,K,N) of one dtype; own blocked kernel, one thread."""
    nb, m, kk = a.shape
    n = b.shape[2]
    c = np.zeros((nb, m, n), a.dtype)
    for bi in range(nb):
        for jb in range(0, n, _NB):
            j1 = min(jb + _NB, n)
            for kb in range(0, kk, _KB):
                _block(a, b, c, bi, 0, m, jb, j1, kb, min(kb + _KB, kk))
    return c


@njit(parallel=True, cache=True, fastmath=_FM)
def matmul_tiled_parallel(a, b):
    """C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j] for a (B,M,K), b (B,K,N) of one dtype; own blocked kernel, threads over
    (batch, block of _MB rows of C)."""
    nb, m, kk = a.shape
    n = b.shape[2]
    c = np.zeros((nb, m, n), a.dtype)
    nblk = (m + _MB - 1) // _MB
    for t in prange(nb * nblk):
        bi = t // nblk
        i0 = (t - bi * nblk) * _MB
        i1 = min(i0 + _MB, m)
        for jb in range(0, n, _NB):
            j1 = min(jb + _NB, n)
            for kb in range(0, kk, _KB):
                _block(a, b, c, bi, i0, i1, jb, j1, kb, min(kb + _KB, kk))
    return c


def matmul_blas(a, b):
    """C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j] through NumPy's np.matmul (OpenBLAS for float32/float64; NumPy's own loop
    for integer dtypes)."""
    return np.matmul(a, b)


def matmul(a, b):
    """C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j] for 3-D a (B,M,K), b (B,K,N) of one dtype, by the path that is fastest
    for the shape (see the measured crossover above); integer dtypes go to np.matmul. Strided views (e.g. a
    transpose) go to BLAS as they are, which reads them through its transpose flags without a copy."""
    if a.dtype.kind != "f":
        return np.matmul(a, b)
    nb, m, k = a.shape
    if nb * m * b.shape[2] * k <= _OWN_MAX_MNK:
        return matmul_tiled(np.ascontiguousarray(a), np.ascontiguousarray(b))
    return np.matmul(a, b)


__all__ = ["matmul", "matmul_tiled", "matmul_tiled_parallel", "matmul_blas"]
