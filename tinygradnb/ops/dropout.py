"""Inverted dropout (PyTorch's ``torch.nn.functional.dropout`` semantics).

The mask is regenerated from the library's (seed, counter) stream in the backward pass
(``kernels/{cpu,cuda}/dropout.py``, the same stream on both devices), so no mask is stored and
``tinygradnb.manual_seed`` makes it reproducible.
"""
import math
import numbers

from ..tensor import Function, Tensor, _FLOATS
from .. import random as _random


class Dropout(Function):
    saves_inputs = ()       # backward regenerates the mask from (seed, offset)
    saves_output = False

    def forward(self, x, p, seed, offset):
        b = self.b
        self.shape, self.p, self.seed, self.offset = x.shape, p, seed, offset
        y = b.dropout_forward(b.reshape(b.contiguous(x), (-1,)), p, seed, offset)
        return b.reshape(y, x.shape)

    def backward(self, g):
        b = self.b
        dx = b.dropout_backward(b.reshape(b.contiguous(g), (-1,)), self.p, self.seed, self.offset)
        return b.reshape(dx, self.shape)


def dropout(x, p=0.5, training=True):
    """Inverted dropout (as ``torch.nn.functional.dropout``): in training, each element is zeroed with
    probability ``p`` and the kept ones are scaled by 1/(1 − p) (the lecture's hᵢ = rᵢ·hᵢ, rᵢ ~ Bernoulli, with the
    inference-time scaling moved into training). The mask comes from ``tinygradnb.random.draw(x.numel())`` — element
    i is kept iff u(seed, offset + i) ≥ p — so it is reproducible under ``tinygradnb.manual_seed`` and the backward
    pass regenerates it. ``training=False`` or ``p=0`` returns ``x`` itself (no numbers drawn); ``p=1`` gives zeros.
    """
    fn = "dropout"
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type(x).__name__}")
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{fn}: p must be a number in [0, 1], got {type(p).__name__}")
    p = float(p)
    if not (math.isfinite(p) and 0.0 <= p <= 1.0):
        raise ValueError(f"{fn}: dropout probability p must be in [0, 1], got {p}")
    if x.dtype not in _FLOATS:
        raise TypeError(f"{fn}: input must be a float32 or float64 tensor, got {x.dtype}")
    if not training or p == 0.0:
        return x
    seed, offset = _random.draw(x.numel())
    return Dropout.apply(x, p=p, seed=seed, offset=offset)
