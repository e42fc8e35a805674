"""Fixes to Numba's CUDA simulator, which the test suite uses to run this backend without a GPU (imported by
``_launch`` only when ``NUMBA_ENABLE_CUDASIM=1``; nothing here runs on a real GPU). Each one makes the simulator
behave as a GPU does where it did not.
"""
import contextlib
import sys
import threading
import traceback

import numpy as np
from numba import types
from numba.cuda.simulator import kernel as _sim_kernel
from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray
from numba.cuda.simulator.kernelapi import FakeCUDAShared
from numba.np import numpy_support

# The simulator's device arrays report a tuple subclass as their host-side shape that refuses negative indices
# (emulating in-kernel shapes); a real DeviceNDArray's host-side shape is a plain tuple, which the op layer
# indexes freely (x.shape[-1]). Give the simulator's arrays the real host behaviour.
FakeCUDAArray.shape = property(lambda self: tuple(self._ary.shape))

# The simulator gives each block's threads one array per `cuda.shared.array` source line, created by the
# first thread that asks: "get, and create and store if missing" — two threads switched between the get and
# the store each got an array of their own, and one thread's partial sums were lost (seen as rare wrong
# reductions). dict.setdefault does the get-or-store in one step, so every thread gets the same array.

_static_array = FakeCUDAShared.array


def _shared_array(self, shape, dtype, alignment=None):
    if alignment is not None or shape == 0:
        return _static_array(self, shape, dtype, alignment)
    if isinstance(dtype, types.Type):
        dtype = numpy_support.as_dtype(dtype)
    caller = tuple(traceback.extract_stack(sys._getframe())[-2][0:2])
    return self._allocations.setdefault(caller, np.empty(shape, dtype))


FakeCUDAShared.array = _shared_array

# The simulator runs a device function with the `cuda` globals of its module swapped for the launch's fake
# module, and swaps back when the call returns — per call, per thread. With many threads inside a device
# function of another module (the block reductions below, which call cuda.syncthreads), the first thread out
# swapped the real module back under the threads still inside. Count the callers inside each module instead:
# the first one in swaps, the last one out swaps back.

_swap_lock = threading.Lock()
_swaps = {}                # id(module globals) -> [callers inside, original globals]


@contextlib.contextmanager
def _swapped_cuda_module(fn, fake_cuda_module):
    # numba.cuda itself, not this module's `cuda`, which may be swapped right now
    from numba import cuda as real

    globs = fn.__globals__
    with _swap_lock:
        entry = _swaps.get(id(globs))
        if entry is None:
            orig = {k: v for k, v in globs.items() if v is real}
            globs.update({k: fake_cuda_module for k in orig})
            entry = _swaps[id(globs)] = [0, orig]
        entry[0] += 1
    try:
        yield
    finally:
        with _swap_lock:
            entry[0] -= 1
            if entry[0] == 0:
                globs.update(entry[1])
                del _swaps[id(globs)]


_sim_kernel.swapped_cuda_module = _swapped_cuda_module
