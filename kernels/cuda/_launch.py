"""Launch helpers shared by the ``@cuda.jit`` kernel families (not exported through the backend namespace).

Every kernel of this backend is launched through ``launch`` (one thread per element, grid-stride loops) or
``launch_rows`` (one block per row, a shared-memory tree reduction inside), so that launch shapes are chosen in
one place:

* on a GPU, 256 threads per block and at most ``MAX_BLOCKS`` blocks (the kernels loop over the rest);
* under Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``, where every thread is a Python thread), 16 threads
  and at most 2 blocks, which keeps the simulator's cost bounded while still exercising the grid-stride loops and
  the cross-thread reductions.

Results never depend on the launch shape: element-wise kernels compute each element independently, and row
reductions add their partial sums in a fixed tree order for a given ``ROW_THREADS``.

Device functions called by kernels must be declared ``inline="always"`` (``cuda.jit(device=True,
inline="always")`` or ``njit(inline="always")``): a device function compiled separately needs a CUDA context to
pick its target, which ``numba.cuda.compile_ptx`` does not have on a machine without a GPU.

Every kernel is compiled through ``jit`` (``numba.cuda.jit`` plus a registry entry under a unique name, so that
kernels made by factories can be found again). Signature recording, for the PTX check: when ``TGNB_CUDA_RECORD``
names a file, every launch appends the kernel's registry name and a JSON description of its argument types to
it; ``tests/cuda_ptx_check.py`` then compiles each recorded signature with ``numba.cuda.compile_ptx`` for real
GPU architectures, in a process without the simulator, and checks that every registered kernel was recorded.
"""
import json
import os

import numpy as np
from numba import config, cuda, types
from numba.np import numpy_support

SIMULATOR = bool(config.ENABLE_CUDASIM)
if SIMULATOR:
    # The simulator's device arrays report a tuple subclass as their host-side shape that refuses negative indices
    # (emulating in-kernel shapes); a real DeviceNDArray's host-side shape is a plain tuple, which the op layer
    # indexes freely (x.shape[-1]). Give the simulator's arrays the real host behaviour.
    from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray as _Fake
    _Fake.shape = property(lambda self: tuple(self._ary.shape))

    # The simulator gives each block's threads one array per `cuda.shared.array` source line, created by the
    # first thread that asks: "get, and create and store if missing" — two threads switched between the get and
    # the store each got an array of their own, and one thread's partial sums were lost (seen as rare wrong
    # reductions). dict.setdefault does the get-or-store in one step, so every thread gets the same array.
    import sys as _sys
    import traceback as _traceback

    from numba.cuda.simulator.kernelapi import FakeCUDAShared as _Shared

    _static_array = _Shared.array

    def _shared_array(self, shape, dtype, alignment=None):
        if alignment is not None or shape == 0:
            return _static_array(self, shape, dtype, alignment)
        if isinstance(dtype, types.Type):
            dtype = numpy_support.as_dtype(dtype)
        caller = tuple(_traceback.extract_stack(_sys._getframe())[-2][0:2])
        return self._allocations.setdefault(caller, np.empty(shape, dtype))
    _Shared.array = _shared_array
THREADS = 16 if SIMULATOR else 256
ROW_THREADS = THREADS          # threads of a row block: a power of two (the tree reductions halve it)
MAX_BLOCKS = 2 if SIMULATOR else 65535
_RECORD = os.environ.get("TGNB_CUDA_RECORD")
_seen = set()
REGISTRY = {}                  # registry name -> kernel (a numba.cuda dispatcher)
_names = {}                    # id(kernel) -> registry name


def jit(fn=None, *, name=None, **options):
    """``numba.cuda.jit(**options)`` that also registers the kernel as ``<module>.<name or fn.__name__>``. Kernels
    built by a factory must pass a ``name`` unique in their module."""
    def wrap(f):
        k = cuda.jit(**options)(f)
        key = f"{f.__module__}.{name or f.__name__}"
        if key in REGISTRY:
            raise ValueError(f"two CUDA kernels registered as {key!r}")
        REGISTRY[key] = k
        _names[id(k)] = key
        return k
    return wrap if fn is None else wrap(fn)


def blocks_for(n):
    """Blocks of ``THREADS`` threads that cover n elements (at most MAX_BLOCKS; kernels grid-stride the rest)."""
    return max(1, min(MAX_BLOCKS, (n + THREADS - 1) // THREADS))


def launch(kernel, n, *args):
    """``kernel[blocks, THREADS](*args)`` covering n work items; nothing is launched when n is 0."""
    if n <= 0:
        return
    _record(kernel, args)
    kernel[blocks_for(n), THREADS](*args)


def launch_rows(kernel, rows, *args):
    """``kernel[rows', ROW_THREADS](*args)``: one block per row (rows' = min(rows, MAX_BLOCKS); the kernel
    strides over the remaining rows by the grid size); nothing is launched when rows is 0."""
    if rows <= 0:
        return
    _record(kernel, args)
    kernel[min(rows, MAX_BLOCKS), ROW_THREADS](*args)


def describe(a):
    """A JSON-able description of the Numba type a kernel argument is compiled for."""
    if hasattr(a, "shape") and hasattr(a, "dtype") and not np.isscalar(a):
        return {"array": np.dtype(a.dtype).name, "ndim": len(a.shape), "layout": "C" if _is_c_contiguous(a) else "A"}
    if isinstance(a, tuple):
        return {"tuple": [describe(x) for x in a]}
    if isinstance(a, (bool, np.bool_)):
        return {"scalar": "bool"}
    if isinstance(a, np.generic):
        return {"scalar": a.dtype.name}
    if isinstance(a, int):
        return {"scalar": "int64"}
    if isinstance(a, float):
        return {"scalar": "float64"}
    raise TypeError(f"kernel argument of unsupported type {type(a).__name__}")


def numba_type(d):
    """The Numba type of a ``describe`` description."""
    if "array" in d:
        return types.Array(numpy_support.from_dtype(np.dtype(d["array"])), d["ndim"], d["layout"])
    if "tuple" in d:
        return types.Tuple([numba_type(x) for x in d["tuple"]])
    return types.boolean if d["scalar"] == "bool" else numpy_support.from_dtype(np.dtype(d["scalar"]))


def _is_c_contiguous(a):
    flags = getattr(a, "flags", None)
    if flags is not None:
        return bool(flags["C_CONTIGUOUS"])
    return bool(a.is_c_contiguous())


def _record(kernel, args):
    if _RECORD is None:
        return
    entry = json.dumps({"kernel": _names.get(id(kernel), "?"), "args": [describe(a) for a in args]}, sort_keys=True)
    if entry in _seen:
        return
    _seen.add(entry)
    with open(_RECORD, "a") as f:
        f.write(entry + "\n")
