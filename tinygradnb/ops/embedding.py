"""Embedding lookup and embedding bags (PyTorch's ``torch.nn.functional.embedding`` / ``embedding_bag``
semantics).

``embedding`` gathers rows of a table (``kernels/{cpu,cuda}/embedding.py``) and scatter-adds its gradient;
``embedding_bag`` sums, averages or maxes the rows of each bag with existing ops.
"""
import math

import numpy as np

from ..tensor import Function, Tensor, _FLOATS, int64
from .. import device as _device


# ----------------------------------------------------------------------------- embedding
class Embedding(Function):
    saves_inputs = (1,)     # backward reads the indices (not the weight: its row count only)
    saves_output = False

    def forward(self, weight, idx, padding_idx, flat):
        b = self.b                      # flat: idx as a contiguous int64 1-D array, already range-checked
        self.v, self.padding_idx, self.shape = weight.shape[0], padding_idx, idx.shape
        self.idx = flat
        out = b.embedding_forward(b.contiguous(weight), flat)
        return b.reshape(out, idx.shape + (weight.shape[1],))

    def backward(self, g):
        b = self.b
        g2 = b.reshape(b.contiguous(g), (self.idx.shape[0], g.shape[-1]))   # (N, D); D or N may be 0
        pad = -1 if self.padding_idx is None else self.padding_idx
        return b.embedding_backward(g2, self.idx, self.v, pad), None


def embedding(input, weight, padding_idx=None):
    """Rows of ``weight`` (V, D) picked by the integer tensor ``input`` (any shape): out[..., :] =
    weight[input[...], :], of shape ``input.shape + (D,)``. The gradient scatter-adds into ``weight`` (repeated
    indices accumulate); row ``padding_idx`` (negative counts from the end, as PyTorch) gets no gradient."""
    fn = "embedding"
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor of indices, got {type(input).__name__}")
    if not isinstance(weight, Tensor):
        raise TypeError(f"{fn}: weight must be a Tensor, got {type(weight).__name__}")
    if input.dtype.kind not in "iu":
        raise TypeError(f"{fn}: input must be an integer (int32/int64) tensor of indices, got {input.dtype}")
    if weight.dtype not in _FLOATS:
        raise TypeError(f"{fn}: weight must be a float32 or float64 tensor, got {weight.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"{fn}: weight must be 2-D (num_embeddings, embedding_dim), got shape {tuple(weight.shape)}")
    if input.device != weight.device:
        raise ValueError(f"{fn}: input is on {input.device!r} but weight is on {weight.device!r}")
    v = weight.shape[0]
    if padding_idx is not None:
        if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
            raise TypeError(f"{fn}: padding_idx must be an int or None, got {type(padding_idx).__name__}")
        padding_idx = int(padding_idx)
        if not -v <= padding_idx < v:
            raise ValueError(f"{fn}: padding_idx must be within [-{v}, {v}) for {v} embeddings, got {padding_idx}")
        padding_idx %= v
    b = _device.backend(input.device)
    idx = input._data
    flat = b.reshape(b.contiguous(idx if idx.dtype == int64 else b.astype(idx, int64)), (-1,))
    _device.check_range(input.device, flat, 0, v - 1, lambda bad: IndexError(
        f"{fn}: index {bad} is out of range for an embedding table of {v} rows (expected 0 <= index < {v})"))
    return Embedding.apply(weight, input, padding_idx=padding_idx, flat=flat)


# ----------------------------------------------------------------------------- embedding bags
def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """The sum, mean or max of the embedding rows of each bag (``torch.nn.functional.embedding_bag``): bags are
    the rows of a 2-D ``input``, or the runs of a 1-D ``input`` that start at ``offsets``. Indices equal to
    ``padding_idx`` are left out of their bag; an empty bag gives zeros; ``per_sample_weights`` scale the rows
    ('sum' only). Computed as a (bags × indices) membership matrix times the gathered rows ('sum'/'mean') or a
    masked max, so both devices and the gradients come from existing ops."""
    from ..creation import tensor as _tensor
    from .elementwise import where, div, mul
    from .matmul import matmul
    from .reduce import max as _max
    fn = "embedding_bag"
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise ValueError(f"{fn}: max_norm, scale_grad_by_freq and sparse are not supported")
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"{fn}: mode must be 'sum', 'mean' or 'max', got {mode!r}")
    if not isinstance(input, Tensor) or input.ndim not in (1, 2):
        raise ValueError(f"{fn}: input must be a 1-D or 2-D tensor of indices, got "
                         f"{getattr(input, 'shape', type(input).__name__)}")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{fn}: offsets must be None when input is 2-D (each row is a bag)")
        nb, per = input.shape
        starts = np.arange(nb) * per
        flat_idx = input.reshape(-1)
    else:
        if offsets is None:
            raise ValueError(f"{fn}: offsets are required when input is 1-D")
        off = np.asarray(offsets.numpy() if isinstance(offsets, Tensor) else offsets).astype(np.int64).reshape(-1)
        if include_last_offset:
            if off.size == 0 or off[-1] != input.shape[0]:
                raise ValueError(f"{fn}: with include_last_offset the last offset must equal the number of indices "
                                 f"{input.shape[0]}")
            off = off[:-1]
        if off.size and (off[0] != 0 or np.any(np.diff(off) < 0) or off[-1] > input.shape[0]):
            raise ValueError(f"{fn}: offsets must start at 0, not decrease and not exceed the number of indices "
                             f"{input.shape[0]}, got {off.tolist()}")
        starts, nb, flat_idx = off, off.size, input
    n = flat_idx.shape[0]
    rows = embedding(flat_idx, weight, padding_idx)                       # (n, D)
    member = np.zeros((nb, n), bool)
    if nb and n:
        bag = np.searchsorted(starts, np.arange(n), side="right") - 1
        member[bag, np.arange(n)] = True
    keep = _tensor(member, device=weight.device)
    if padding_idx is not None:
        pad = padding_idx % weight.shape[0]
        keep = where((flat_idx != pad).reshape(1, n), keep, False)
    if per_sample_weights is not None:
        if mode != "sum":
            raise ValueError(f"{fn}: per_sample_weights are only supported for mode='sum', got mode={mode!r}")
        if not isinstance(per_sample_weights, Tensor) or per_sample_weights.shape != tuple(flat_idx.shape):
            raise ValueError(f"{fn}: per_sample_weights must be a tensor of input's shape {tuple(input.shape)}")
        rows = mul(rows, per_sample_weights.reshape(n, 1))
    count = keep.sum(dim=1, keepdim=True)                                 # (B, 1)
    if mode == "max":
        vals = _max(where(keep.reshape(nb, n, 1), rows.reshape(1, n, -1), -math.inf), 1).values
        return where(count > 0, vals, 0.0)
    total = matmul(where(keep, 1.0, 0.0).to(weight.dtype), rows)         # (B, D)
    if mode == "sum":
        return total
    return div(total, where(count > 0, count, 1).to(weight.dtype))
