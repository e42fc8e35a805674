"""The library's one source of randomness: a seed and a counter.

Every random draw (``rand``, ``randn``, dropout masks, initialisers) asks ``draw(n)`` for the counter range of its
``n`` numbers; the kernels then hash (seed, counter) into numbers, so a draw depends only on the seed and on how
many numbers were drawn before it — not on the device or on how a kernel is launched.
"""
import numpy as np

_DEFAULT_SEED = 67280421310721
_state = {"seed": _DEFAULT_SEED, "offset": 0}


def manual_seed(seed):
    """Reset the random stream to the start of ``seed`` (as ``torch.manual_seed``)."""
    if not isinstance(seed, int):
        raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
    _state["seed"] = seed & 0xFFFFFFFFFFFFFFFF
    _state["offset"] = 0


def initial_seed():
    """The seed of the current stream."""
    return _state["seed"]


def draw(n):
    """Reserve ``n`` numbers of the stream: returns ``(seed, offset)`` of the first and advances the counter. The
    seed is a ``numpy.uint64``, so every kernel is compiled for one seed type (a Python int ≥ 2^63 does not fit
    the int64 that a first call with a small seed would have compiled for)."""
    seed, offset = _state["seed"], _state["offset"]
    _state["offset"] = offset + int(n)
    return np.uint64(seed), offset


def get_rng_state():
    return dict(_state)


def set_rng_state(state):
    _state.update(seed=int(state["seed"]), offset=int(state["offset"]))
