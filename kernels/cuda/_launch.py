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

The block reductions of the row kernels are the device functions ``block_sum``, ``block_sum2``, ``block_max``
and ``block_max_nan`` below: each thread passes its partial and a ``cuda.shared.array(ROW_THREADS, ...)`` that the
kernel declares (the simulator keys shared arrays by source line, so the declarations stay in the kernels, one per
line); the partials are combined by halving steps (part[t] with part[t + h], h = ROW_THREADS/2, …, 1, a
``syncthreads`` per step), every thread gets part[0], and a final ``syncthreads`` lets the caller reuse the
shared array at once.

Device functions called by kernels must be declared ``inline="always"`` (``cuda.jit(device=True,
inline="always")`` or ``njit(inline="always")``): a device function compiled separately needs a CUDA context to
pick its target, which ``numba.cuda.compile_ptx`` does not have on a machine without a GPU.

Every kernel is compiled through ``jit`` (``numba.cuda.jit`` plus a registry entry under a unique name, so that
kernels made by factories can be found again). Signature recording, for the PTX check: when ``TGNB_CUDA_RECORD``
names a file, every launch appends the kernel's registry name and a JSON description of its argument types to
it; ``tests/cuda_ptx_check.py`` then compiles each recorded signature with ``numba.cuda.compile_ptx`` for real
GPU architectures, in a process without the simulator, and checks that every registered kernel was recorded.
"""
import ctypes
import functools
import itertools
import json
import math
import os
import sys
import weakref

import numpy as np
from numba import config, cuda, types
from numba.np import numpy_support

SIMULATOR = bool(config.ENABLE_CUDASIM)
if SIMULATOR:
    from . import _simulator  # noqa: F401  (fixes to the simulator's behaviour, see there)
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
    if observer is not None:
        observer("launch", _names.get(id(kernel), "?"), 0)
    kernel[blocks_for(n), THREADS](*args)


def launch_rows(kernel, rows, *args):
    """``kernel[rows', ROW_THREADS](*args)``: one block per row (rows' = min(rows, MAX_BLOCKS); the kernel
    strides over the remaining rows by the grid size); nothing is launched when rows is 0."""
    if rows <= 0:
        return
    _record(kernel, args)
    if observer is not None:
        observer("launch", _names.get(id(kernel), "?"), 0)
    kernel[min(rows, MAX_BLOCKS), ROW_THREADS](*args)


# ----------------------------------------------------------------------------- device memory and host transfers
# The backend's only calls that allocate device memory or copy between host and device. ``observer`` (None, or a
# function set by ``tinygradnb.profiler``) is told of each as (event, name, bytes): ("launch", kernel, 0),
# ("alloc", None, bytes) for a new device allocation, ("reuse", None, bytes) for a block served from the cache,
# ("memset", None, bytes), ("h2d", None, bytes), ("d2h", None, bytes).
#
# The caching allocator (PyTorch's, in small). Device memory is allocated in blocks of a size class (512 bytes,
# then steps of a sixteenth of the next power of two, at least 128 bytes: at most 12.5 % and 128 bytes unused), and
# it is never freed on the hot path: when the last
# array over a block (the array ``alloc`` returned, and every view or slice of it) is gone, the block goes back to
# the free list of its size class, and the next ``alloc`` of that class takes it without asking the driver
# (Numba's own frees call ``cuMemFree``, which waits for the GPU). The GPU runs kernels in the order they were
# queued on the one default stream, so a block handed out again is written only after the kernels queued before
# that read it. ``empty_cache`` gives the free blocks back to the driver; ``TGNB_CUDA_CACHE=0`` turns the cache
# off (every array its own ``cuda.device_array``). Lifetimes: on a GPU each array's memory is an ``AutoFreePointer``
# (Numba's reference-counted pointer: views and slices take references) whose finalizer returns the block; under
# the simulator, the NumPy array over the block that every view is derived from, with a ``weakref.finalize``.
observer = None
CACHE = os.environ.get("TGNB_CUDA_CACHE", "1") != "0"
_free = {}                     # size class -> blocks (uint8 device arrays) ready for reuse
_live = {}                     # key -> the root pointer of an array in use (GPU), until its last view is gone
_stats = {"allocated": 0, "reserved": 0}
_keys = itertools.count()


def size_class(nbytes):
    """The bytes of the cached block that serves an allocation of ``nbytes`` (> 0)."""
    if nbytes <= 512:
        return 512
    step = 1 << max(7, (nbytes - 1).bit_length() - 4)
    return (nbytes + step - 1) // step * step


def alloc(shape, dtype):
    """A new uninitialised C-contiguous device array, served from the cache of freed blocks when one fits."""
    dtype = np.dtype(dtype)
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    if nbytes == 0 or not CACHE:
        out = cuda.device_array(shape, dtype)
        if observer is not None and nbytes:
            observer("alloc", None, nbytes)
        return out
    size = size_class(nbytes)
    blocks = _free.get(size)
    if blocks:
        block = blocks.pop()
        if observer is not None:
            observer("reuse", None, size)
    else:
        block = cuda.device_array(size, np.uint8)
        _stats["reserved"] += size
        if observer is not None:
            observer("alloc", None, size)
    _stats["allocated"] += size
    return _carve(block, size, shape, dtype, count)


def _release(size, block, key=None):
    """The last array over ``block`` is gone: back to the free list of its size class."""
    if key is not None:
        _live.pop(key, None)
    _free.setdefault(size, []).append(block)
    _stats["allocated"] -= size


if SIMULATOR:
    from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray as _Fake

    def _carve(block, size, shape, dtype, count):
        base = np.frombuffer(memoryview(block._ary), dtype=dtype, count=count)   # every view's .base is this
        weakref.finalize(base, _release, size, block)
        return _Fake(base.reshape(shape))
else:
    from numba.cuda.cudadrv import devicearray as _devicearray
    from numba.cuda.cudadrv import driver as _driver

    def _carve(block, size, shape, dtype, count):
        key = next(_keys)
        ptr = ctypes.c_void_p(block.__cuda_array_interface__["data"][0])
        # a pointer of the array's bytes into the (possibly larger) block; DeviceNDArray computes its own
        # alloc_size (the bytes its copies move) from the shape
        root = _driver.AutoFreePointer(weakref.proxy(cuda.current_context()), ptr, count * dtype.itemsize,
                                       finalizer=functools.partial(_release, size, block, key))
        _live[key] = root
        strides = tuple(int(st) * dtype.itemsize for st in _elem_strides(shape))
        return _devicearray.DeviceNDArray(shape, strides, dtype, gpu_data=root.own())


def exclusive(a):
    """True when no other live array can see ``a``'s memory: ``a`` is over a block of the cache, and nothing else
    holds that block (no reshape or slice of ``a``, or of the array it was reshaped from, is alive). Decided from
    reference counts, as ``kernels/cpu/shape.is_view`` does with NumPy's base: under the simulator, the NumPy array
    over the block (what every view's ``.base`` is) referenced only by ``a``'s own array; on a GPU, ``a``'s
    ``OwnedPointer`` held by ``a`` alone (a reshape shares it) and the block's root counting no other pointer (a
    slice takes one). False whenever the structure is not the cache's own (interop arrays, the cache turned off)."""
    if SIMULATOR:
        ary = getattr(a, "_ary", None)
        base = getattr(ary, "base", None)
        if not isinstance(base, np.ndarray) or not isinstance(base.base, memoryview):
            return False
        return sys.getrefcount(base) == 3 and sys.getrefcount(ary) == 3   # ary.base or a._ary, the name, the argument
    ptr = getattr(a, "gpu_data", None)
    if type(ptr) is not _driver.OwnedPointer or ptr._view is not ptr._mem:
        return False
    try:                                                  # _mem: a weak proxy of the block's root pointer
        if not isinstance(ptr._mem, _driver.AutoFreePointer) or ptr._mem.refct != 1:
            return False
    except ReferenceError:
        return False
    return sys.getrefcount(ptr) == 3                      # a.gpu_data, the name ptr, the argument


def _elem_strides(shape):
    st, acc = [], 1
    for s in reversed(shape):
        st.append(acc)
        acc *= s
    return tuple(reversed(st))


def empty_cache():
    """Give the cached free blocks back to the driver (``torch.cuda.empty_cache``)."""
    for blocks in _free.values():
        for b in blocks:
            _stats["reserved"] -= b.size
    _free.clear()


def memory_stats():
    """Bytes in blocks held by live arrays ("allocated") and in all blocks the cache holds ("reserved")."""
    return dict(_stats)


def zero_fill(a):
    """Set every byte of the C-contiguous device array ``a`` to 0 with the driver's memset (``cuMemsetD8``, queued
    on the default stream like the kernels, no kernel launch; ``torch.zeros`` does the same)."""
    nbytes = a.size * a.dtype.itemsize
    if nbytes == 0:
        return
    if observer is not None:
        observer("memset", None, nbytes)
    if SIMULATOR:
        a._ary.fill(0)
    else:
        _driver.device_memset(a, 0, nbytes)


def to_device(host):
    """A new device array (``alloc``) holding the host array ``host`` (a host-to-device copy)."""
    out = alloc(host.shape, host.dtype)
    if host.size == 0:
        return out
    if observer is not None:
        observer("h2d", None, host.nbytes)
    out.copy_to_device(np.ascontiguousarray(host) if host.ndim else host)
    return out


def to_host(a):
    """The host NumPy array holding device array a's values (a device-to-host copy, which waits for the GPU)."""
    out = a.copy_to_host()
    if observer is not None:
        observer("d2h", None, out.nbytes)
    return out


# ----------------------------------------------------------------------------- generic element-wise launchers
_ELEMENTWISE = {}              # ("map" or "zip", formula, number of parameters) -> kernel
def map_kernel(fn, nparams=0):
    """The kernel out[i] = fn(x[i], p₁, …, p_k) over 1-D arrays (one thread per element, grid-stride), for a scalar
    formula ``fn`` of ``kernels/formulas.py`` with k = ``nparams`` (0 to 3) scalar parameters; its arguments are
    (x, p₁, …, p_k, out). Registered as ``map_<formula>``. The formula is an inline ``@njit`` function: a GPU
    compiles it into the kernel as a device function, the simulator calls the compiled CPU formula (so it computes
    what the CPU computes). Build kernels at import (module level), so that the PTX check finds them; asking again
    for the same formula returns the same kernel."""
    key = ("map", fn, nparams)
    if key in _ELEMENTWISE:
        return _ELEMENTWISE[key]
    if nparams == 0:
        def kernel(x, out):
            for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
                out[i] = fn(x[i])
    elif nparams == 1:
        def kernel(x, a, out):
            for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
                out[i] = fn(x[i], a)
    elif nparams == 2:
        def kernel(x, a, b, out):
            for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
                out[i] = fn(x[i], a, b)
    elif nparams == 3:
        def kernel(x, a, b, c, out):
            for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
                out[i] = fn(x[i], a, b, c)
    else:
        raise ValueError(f"map_kernel: at most 3 scalar parameters, got {nparams}")
    _ELEMENTWISE[key] = jit(kernel, name=f"map_{fn.__name__}")
    return _ELEMENTWISE[key]


def zip_kernel(fn, nparams=0):
    """The kernel out[i] = fn(x[i], y[i], p₁, …, p_k) over two 1-D arrays of one length, as ``map_kernel``; its
    arguments are (x, y, p₁, …, p_k, out). Registered as ``zip_<formula>``."""
    key = ("zip", fn, nparams)
    if key in _ELEMENTWISE:
        return _ELEMENTWISE[key]
    if nparams == 0:
        def kernel(x, y, out):
            for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
                out[i] = fn(x[i], y[i])
    elif nparams == 1:
        def kernel(x, y, a, out):
            for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
                out[i] = fn(x[i], y[i], a)
    elif nparams == 2:
        def kernel(x, y, a, b, out):
            for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
                out[i] = fn(x[i], y[i], a, b)
    elif nparams == 3:
        def kernel(x, y, a, b, c, out):
            for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
                out[i] = fn(x[i], y[i], a, b, c)
    else:
        raise ValueError(f"zip_kernel: at most 3 scalar parameters, got {nparams}")
    _ELEMENTWISE[key] = jit(kernel, name=f"zip_{fn.__name__}")
    return _ELEMENTWISE[key]


def run_map(kernel, dtype, *arrays_and_params):
    """A new 1-D device array ``out`` of ``dtype`` and the length of the first array, filled by
    ``kernel(*arrays_and_params, out)`` (a ``map_kernel`` or ``zip_kernel``)."""
    n = arrays_and_params[0].size
    out = alloc(n, np.dtype(dtype))
    launch(kernel, n, *arrays_and_params, out)
    return out


# ----------------------------------------------------------------------------- block reductions (device functions)
@cuda.jit(device=True, inline="always")
def block_sum(part, t, v):
    """Σ of the block's partials v (thread t passes its own) in a fixed tree order: part[t] = v, then
    part[t] += part[t + h] for h = ROW_THREADS/2, …, 1. Returns part[0] to every thread; ``part`` (a shared array of
    ROW_THREADS entries, of the partials' type) may be reused as soon as it returns. Every thread must call it."""
    part[t] = v
    cuda.syncthreads()
    h = ROW_THREADS // 2
    while h > 0:
        if t < h:
            part[t] += part[t + h]
        cuda.syncthreads()
        h //= 2
    total = part[0]
    cuda.syncthreads()
    return total


@cuda.jit(device=True, inline="always")
def block_sum2(part1, part2, t, v1, v2):
    """(Σ v1, Σ v2): two ``block_sum`` trees stepped together (same order, one ``syncthreads`` per step)."""
    part1[t] = v1
    part2[t] = v2
    cuda.syncthreads()
    h = ROW_THREADS // 2
    while h > 0:
        if t < h:
            part1[t] += part1[t + h]
            part2[t] += part2[t + h]
        cuda.syncthreads()
        h //= 2
    total1 = part1[0]
    total2 = part2[0]
    cuda.syncthreads()
    return total1, total2


@cuda.jit(device=True, inline="always")
def block_max(part, t, v):
    """The maximum of the block's partials, as ``block_sum``: part[t] takes part[t + h] when part[t + h] > part[t]
    (so a NaN partial from the upper half is never taken: callers pass NaN-free partials, e.g. a max started at
    −inf that skipped NaNs)."""
    part[t] = v
    cuda.syncthreads()
    h = ROW_THREADS // 2
    while h > 0:
        if t < h and part[t + h] > part[t]:
            part[t] = part[t + h]
        cuda.syncthreads()
        h //= 2
    total = part[0]
    cuda.syncthreads()
    return total


@cuda.jit(device=True, inline="always")
def block_max_nan(part, t, v):
    """The maximum of the block's partials that propagates NaN, as ``block_sum``: part[t] takes part[t + h] when
    part[t] is not NaN and part[t + h] is larger or NaN."""
    part[t] = v
    cuda.syncthreads()
    h = ROW_THREADS // 2
    while h > 0:
        if t < h:
            u = part[t]
            w = part[t + h]
            if not math.isnan(u) and (w > u or math.isnan(w)):
                part[t] = w
        cuda.syncthreads()
        h //= 2
    total = part[0]
    cuda.syncthreads()
    return total


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
