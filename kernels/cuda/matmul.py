"""Batched matrix multiply on the GPU: C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j] over 3-D arrays of one dtype — the
``@cuda.jit`` twin of kernels/cpu/matmul.py, with the same names (``matmul``, ``matmul_tiled``,
``matmul_tiled_parallel``, ``matmul_blas``), arguments and equation.

This backend has no vendor BLAS (cuBLAS is not a dependency), so all four names run the same shared-memory tiled
kernel: one block of ``ROW_THREADS`` threads per TILE × TILE tile of C (``_launch.launch_rows`` over the
B·⌈M/TILE⌉·⌈N/TILE⌉ output tiles; blocks stride over the rest). The block walks the k dimension in steps of TILE,
staging a TILE × TILE tile of A and one of B in shared memory (zero-padded at the edges), and each thread adds
the products of its output element(s) from the staged tiles. TILE is derived from ``ROW_THREADS`` at import:
the smallest power of two ≥ 8 with TILE² ≥ ROW_THREADS, i.e. 16 on a GPU (256 threads, one output element per
thread) and 8 under the simulator (16 threads, four output elements per thread). Consecutive threads own
consecutive columns j, so the loads of B and the stores of C are coalesced.

Accumulation: float32 and float64 inputs are staged and accumulated in float64 (the result is rounded once to
the input dtype, so float32 results may differ from the CPU twin, which accumulates in float32, by a few
roundings); integer inputs are staged and accumulated in int64 (exact while the sums fit in int64, beyond
float64's 2^53) and stored in the input dtype. The summation order over k is fixed (ascending k), so results do not
depend on the launch shape. Inputs are (B, M, K) and (B, K, N) device arrays (the backend's arrays are
C-contiguous: its transpose materialises); the op layer (``tinygradnb.ops.matmul``) validates shapes and dtypes.
"""
import numpy as np
from numba import cuda, float64, int64

from ._launch import ROW_THREADS, jit, launch_rows

TILE = 8   # at least 8: under the simulator (16 threads) a 4 × 4 tile meant 8x more barriers, its costly part
while TILE * TILE < ROW_THREADS:
    TILE *= 2
_TT = TILE * TILE                                  # elements of a tile
_PER_THREAD = (_TT + ROW_THREADS - 1) // ROW_THREADS  # output elements of a tile owned by one thread


def _make_kernel(acc_type, name):
    """The tiled kernel staging and accumulating in ``acc_type`` (float64 or int64)."""

    def _mm_tiled(a, b, c):
        nb, m, kk = a.shape
        n = b.shape[2]
        ti_n = (m + TILE - 1) // TILE
        tj_n = (n + TILE - 1) // TILE
        tiles = nb * ti_n * tj_n
        t = cuda.threadIdx.x
        sa = cuda.shared.array((TILE, TILE), acc_type)
        sb = cuda.shared.array((TILE, TILE), acc_type)
        acc = cuda.local.array(_PER_THREAD, acc_type)
        for r in range(cuda.blockIdx.x, tiles, cuda.gridDim.x):
            bi = r // (ti_n * tj_n)
            rest = r - bi * (ti_n * tj_n)
            i0 = (rest // tj_n) * TILE
            j0 = (rest % tj_n) * TILE
            for q in range(_PER_THREAD):
                acc[q] = 0
            for k0 in range(0, kk, TILE):
                for e in range(t, _TT, ROW_THREADS):      # stage A[bi, i0:i0+T, k0:k0+T] and B[bi, k0:k0+T, j0:j0+T]
                    u = e // TILE
                    v = e - u * TILE
                    if i0 + u < m and k0 + v < kk:
                        sa[u, v] = a[bi, i0 + u, k0 + v]
                    else:
                        sa[u, v] = 0
                    if k0 + u < kk and j0 + v < n:
                        sb[u, v] = b[bi, k0 + u, j0 + v]
                    else:
                        sb[u, v] = 0
                cuda.syncthreads()
                for q in range(_PER_THREAD):
                    e = t + q * ROW_THREADS
                    if e < _TT:
                        u = e // TILE
                        v = e - u * TILE
                        s = acc[q]
                        for p in range(TILE):
                            s += sa[u, p] * sb[p, v]
                        acc[q] = s
                cuda.syncthreads()
            for q in range(_PER_THREAD):
                e = t + q * ROW_THREADS
                if e < _TT:
                    u = e // TILE
                    v = e - u * TILE
                    if i0 + u < m and j0 + v < n:
                        c[bi, i0 + u, j0 + v] = acc[q]

    _mm_tiled.__name__ = name
    return jit(_mm_tiled, name=name)


_mm_float = _make_kernel(float64, "_mm_tiled_float")
_mm_int = _make_kernel(int64, "_mm_tiled_int")


def _tiled(a, b):
    nb, m, _ = a.shape
    n = b.shape[2]
    c = cuda.device_array((nb, m, n), a.dtype)
    tiles = nb * ((m + TILE - 1) // TILE) * ((n + TILE - 1) // TILE)
    launch_rows(_mm_float if np.dtype(a.dtype).kind == "f" else _mm_int, tiles, a, b, c)
    return c


def matmul_tiled(a, b):
    """C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j] for a (B,M,K), b (B,K,N) of one dtype: the shared-memory tiled kernel
    (float64 accumulation for float inputs, int64 for integers). Returns C (B,M,N) in the input dtype."""
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


__all__ = ["matmul", "matmul_tiled", "matmul_tiled_parallel", "matmul_blas"]
