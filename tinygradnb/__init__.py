"""tinygradnb: a minimal tensor and autograd engine whose hot kernels are compiled by Numba.

``import tinygradnb`` loads only NumPy; each device's kernels (Numba for the CPU) load on first use.

Threads: the CPU kernels use Numba's OpenMP threads and NumPy's OpenBLAS threads, one pool after the other. Both
pools' idle workers spin-wait by default (OpenBLAS about 0.1 s after each call, libgomp 300 000 spins after each
parallel region), so on a machine with few cores each pool stalls the next one. Importing tinygradnb shortens both
waits, unless the variables are already set: ``OPENBLAS_THREAD_TIMEOUT=8`` (2⁸ cycles; read when OpenBLAS loads,
so it takes effect only if tinygradnb is imported before NumPy) and ``GOMP_SPINCOUNT=10000`` (read when Numba
starts its OpenMP pool, at the first parallel kernel).

Memory: glibc serves large blocks with fresh mmaps (a dynamic threshold that other allocations move) and returns
freed heap to the system, so a training step's large arrays can be page-faulted in afresh on every call (measured:
layer_norm 4096×1024 forward + backward 22 ms instead of 5.5). On glibc the import sets malloc's mmap threshold to
64 MiB and its trim threshold to 256 MiB (``mallopt``), unless ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_``
are set: freed blocks below 64 MiB are reused without new page faults, at the cost of up to 256 MiB of freed memory
kept by the process.
"""
import os as _os

_os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "8")
_os.environ.setdefault("GOMP_SPINCOUNT", "10000")


from .tensor import (Tensor, Function, no_grad, enable_grad, is_grad_enabled, set_grad_enabled, inference_mode,
                     float32, float64, int32, int64, bool_, Size, FloatTensor, DoubleTensor, LongTensor, IntTensor,
                     BoolTensor)
from .creation import (tensor, as_tensor, from_numpy, zeros, ones, full, empty, arange, rand, randn, zeros_like,
                       ones_like, full_like, empty_like, rand_like, randn_like, multinomial)
from .creation import eye
from .ops import (split, chunk, unbind, repeat_interleave, flip, roll, triu, tril, gather, scatter, scatter_add,
                  index_select, masked_fill, masked_select)
from .ops import std, logsumexp, norm, any, all, cumsum, cumprod, prod, sort, argsort, topk, nonzero, argwhere, \
    isnan, isinf, isfinite
from .random import manual_seed, initial_seed
from .gradcheck import gradcheck, GradcheckError
from .ops import (add, sub, mul, div, pow, neg, exp, log, sqrt, abs, clamp, maximum, minimum, where, sum, mean,
                  var, max, min, amax, amin, argmax, argmin, reshape, permute, transpose, expand, broadcast_to,
                  squeeze, unsqueeze, flatten, concat, cat, stack, matmul, relu, sigmoid, tanh, softmax, log_softmax,
                  result_type, mm, bmm, mv, dot, outer, einsum, eq, ne, lt, le, gt, ge)
from .ops import (sin, cos, tan, rsqrt, sign, floor, ceil, round, trunc, log2, log1p, exp2, expm1, reciprocal,
                  square)
from . import nn, optim, utils, data, cuda, autograd, profiler
from .serialization import save, load

float = float32
double = float64
long = int64
bool = bool_

__version__ = "0.1.0"


def _malloc_settings():
    import ctypes
    import sys
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):        # not glibc
        return
    if "MALLOC_MMAP_THRESHOLD_" not in _os.environ:
        mallopt(-3, 64 << 20)                # M_MMAP_THRESHOLD
    if "MALLOC_TRIM_THRESHOLD_" not in _os.environ:
        mallopt(-1, 256 << 20)               # M_TRIM_THRESHOLD


_malloc_settings()
