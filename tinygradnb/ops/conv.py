"""1-D convolution and pooling over (N, C, L) tensors, as ``torch.nn.functional.conv1d``, ``max_pool1d``,
``avg_pool1d``, ``adaptive_max_pool1d`` and ``adaptive_avg_pool1d`` (a Kim-2014 CNN sentence classifier's layers).

Every op gathers its windows (im2col: the convolution as K strided slices of the padded input, pooling with one
integer-array index ``x[..., pos]``, ``pos`` of shape (L_out, K), positions outside the input masked), then
reduces them with existing ops — a batched
matrix product for the convolution (the lecture's cross-correlation y[o, t] = b[o] + Σ_c Σ_k W[o, c, k] ·
x[c, t·s + k·d − p]), a max or a mean for pooling — so both devices run them and the gradients (scatter-adds of
the gather) come from those ops.
"""
import math
import numbers

import numpy as np

from ..tensor import Tensor, _FLOATS
from ..creation import tensor as _tensor
from .elementwise import where, div
from .matmul import matmul
from .reduce import max as _max, sum as _sum
from .shape import pad as _pad, gather as _gather_dim, stack


def _int(v, fn, name, lo=0):
    if isinstance(v, (tuple, list)) and len(v) == 1:
        v = v[0]
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{fn}: {name} must be an int (or a 1-tuple), got {v!r}")
    if v < lo:
        raise RuntimeError(f"{fn}: {name} must be >= {lo}, got {v}")
    return int(v)


def _input(x, fn):
    """``x`` as (N, C, L) and whether it was unbatched (C, L), as PyTorch accepts both."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (2, 3):
        raise RuntimeError(f"{fn}: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape {tuple(x.shape)}")
    return (x.unsqueeze(0), True) if x.ndim == 2 else (x, False)


def _windows(x, pos):
    """x[..., pos] for positions ``pos`` (L_out, K) that may lie outside [0, L): (N, C, L_out, K) values (those
    outside are x[..., 0], to be masked) and the mask of valid positions as a bool tensor on x's device."""
    n = x.shape[-1]
    valid = (pos >= 0) & (pos < n)
    idx = np.where(valid, pos, 0) if n else np.zeros_like(pos)
    vals = x[:, :, idx] if n else x.new_zeros(x.shape[0], x.shape[1], *pos.shape)
    return vals, _tensor(valid, device=x.device)


def _out_len(fn, n, k, stride, padding, dilation, ceil_mode):
    span = n + 2 * padding - dilation * (k - 1) - 1
    if span < 0:
        raise RuntimeError(f"{fn}: the input of length {n} (padded by {padding}) is shorter than the kernel's "
                           f"span {dilation * (k - 1) + 1}")
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= n + padding:   # the last window must start inside the input or padding
        out -= 1
    return out


def _positions(out, k, stride, padding, dilation):
    return np.arange(out)[:, None] * stride + np.arange(k)[None, :] * dilation - padding


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """y[n, o, t] = b[o] + Σ_c Σ_k W[o, c, k] · x[n, g·C/G + c, t·stride + k·dilation − padding] over the
    channels c of o's group g (``torch.nn.functional.conv1d``; ``padding`` an int, 'valid' or 'same')."""
    fn = "conv1d"
    x, unbatched = _input(input, fn)
    if not isinstance(weight, Tensor) or weight.ndim != 3:
        raise RuntimeError(f"{fn}: weight must be a 3-D (out_channels, in_channels/groups, kernel) tensor, got "
                           f"{getattr(weight, 'shape', type(weight).__name__)}")
    if x.dtype not in _FLOATS or weight.dtype != x.dtype:
        raise RuntimeError(f"{fn}: input ({x.dtype}) and weight ({weight.dtype}) must have one float dtype")
    stride, dilation = _int(stride, fn, "stride", 1), _int(dilation, fn, "dilation", 1)
    groups = _int(groups, fn, "groups", 1)
    c_out, c_per, k = weight.shape
    c_in = x.shape[1]
    if c_in != c_per * groups or c_out % groups:
        raise RuntimeError(f"{fn}: weight of shape {tuple(weight.shape)} with groups={groups} expects "
                           f"{c_per * groups} input channels (and out_channels divisible by groups), got input of "
                           f"shape {tuple(input.shape)}")
    if isinstance(padding, str):
        if padding == "valid":
            left = right = 0
        elif padding == "same":
            if stride != 1:
                raise ValueError(f"{fn}: padding='same' is not supported for strided convolutions")
            total = dilation * (k - 1)
            left, right = total // 2, total - total // 2
        else:
            raise ValueError(f"{fn}: padding must be an int, 'valid' or 'same', got {padding!r}")
    else:
        left = right = _int(padding, fn, "padding")
    if left or right:
        x = _pad(x, (left, right))
    n_out = _out_len(fn, x.shape[-1], k, stride, 0, dilation, False)
    # im2col as K strided slices (their backward writes each slice back, where a gather's scatter-adds)
    span = stride * (n_out - 1) + 1
    cols = stack([x[:, :, j * dilation:j * dilation + span:stride] for j in range(k)], -1)   # (N, C_in, L_out, K)
    nb, g = x.shape[0], groups
    cols = cols.reshape(nb, g, c_per, n_out, k).permute(1, 0, 3, 2, 4).reshape(g, nb * n_out, c_per * k)
    w = weight.reshape(g, c_out // g, c_per * k).permute(0, 2, 1)
    out = matmul(cols, w).reshape(g, nb, n_out, c_out // g).permute(1, 0, 3, 2).reshape(nb, c_out, n_out)
    if bias is not None:
        if not isinstance(bias, Tensor) or bias.shape != (c_out,):
            raise RuntimeError(f"{fn}: bias must be a tensor of shape ({c_out},), got "
                               f"{getattr(bias, 'shape', type(bias).__name__)}")
        out = out + bias.reshape(c_out, 1)
    return out.squeeze(0) if unbatched else out


def _pool_args(fn, kernel_size, stride, padding, dilation):
    k = _int(kernel_size, fn, "kernel_size", 1)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _int(stride, fn, "stride", 1)
    p, d = _int(padding, fn, "padding"), _int(dilation, fn, "dilation", 1)
    if p > k // 2:
        raise RuntimeError(f"{fn}: padding should be at most half of the kernel size, got padding={p}, "
                           f"kernel_size={k}")
    return k, s, p, d


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """y[n, c, t] = max_k x[n, c, t·stride + k·dilation − padding] over positions inside the input (padding
    counts as −∞), as ``torch.nn.functional.max_pool1d``; the gradient goes to the first maximum of each window
    and ``return_indices`` also gives its position in the input."""
    fn = "max_pool1d"
    x, unbatched = _input(input, fn)
    k, s, p, d = _pool_args(fn, kernel_size, stride, padding, dilation)
    n_out = _out_len(fn, x.shape[-1], k, s, p, d, ceil_mode)
    pos = _positions(n_out, k, s, p, d)
    vals, valid = _windows(x, pos)
    vals = where(valid, vals, -math.inf) if not bool(np.all(pos >= 0) and np.all(pos < x.shape[-1])) else vals
    values, j = _max(vals, -1)
    if unbatched:
        values, j = values.squeeze(0), j.squeeze(0)
    if not return_indices:
        return values
    where_ = _tensor(pos, device=x.device).expand(*j.shape, k)
    return values, _gather_dim(where_, -1, j.unsqueeze(-1)).squeeze(-1)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """y[n, c, t] = Σ_k x[n, c, t·stride + k − padding] / m, zeros for the padding, with m the kernel size
    counted up to the padded end (``count_include_pad``) or the number of input elements in the window, as
    ``torch.nn.functional.avg_pool1d``."""
    fn = "avg_pool1d"
    x, unbatched = _input(input, fn)
    k, s, p, _ = _pool_args(fn, kernel_size, stride, padding, 1)
    n = x.shape[-1]
    n_out = _out_len(fn, n, k, s, p, 1, ceil_mode)
    pos = _positions(n_out, k, s, p, 1)
    vals, valid = _windows(x, pos)
    total = _sum(where(valid, vals, 0), -1)
    inside = (pos >= -p) & (pos < n + p) if count_include_pad else (pos >= 0) & (pos < n)
    out = div(total, _tensor(inside.sum(-1).astype(x.dtype), device=x.device))
    return out.squeeze(0) if unbatched else out


def _adaptive_positions(n, out):
    """Window i covers [⌊i·n/out⌋, ⌈(i+1)·n/out⌉) (PyTorch's adaptive pooling); returns (out, K) positions with
    −1 past each window's end."""
    start = (np.arange(out) * n) // out
    end = -((-(np.arange(out) + 1) * n) // out)
    k = int((end - start).max()) if out else 0
    pos = start[:, None] + np.arange(k)[None, :]
    return np.where(pos < end[:, None], pos, -1)


def _adaptive_args(fn, input, output_size):
    x, unbatched = _input(input, fn)
    out = _int(output_size, fn, "output_size")
    if x.shape[-1] == 0 and out:
        raise RuntimeError(f"{fn}: the input has an empty length dimension, shape {tuple(input.shape)}")
    return x, unbatched, out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """The maximum over each of ``output_size`` windows that tile the length (``F.adaptive_max_pool1d``);
    ``output_size=1`` is max-over-time pooling."""
    x, unbatched, out = _adaptive_args("adaptive_max_pool1d", input, output_size)
    pos = _adaptive_positions(x.shape[-1], out)
    vals, valid = _windows(x, pos)
    values, j = _max(where(valid, vals, -math.inf), -1)
    if unbatched:
        values, j = values.squeeze(0), j.squeeze(0)
    if not return_indices:
        return values
    where_ = _tensor(pos, device=x.device).expand(*j.shape, pos.shape[1])
    return values, _gather_dim(where_, -1, j.unsqueeze(-1)).squeeze(-1)


def adaptive_avg_pool1d(input, output_size):
    """The mean over each of ``output_size`` windows that tile the length (``F.adaptive_avg_pool1d``)."""
    x, unbatched, out = _adaptive_args("adaptive_avg_pool1d", input, output_size)
    pos = _adaptive_positions(x.shape[-1], out)
    vals, valid = _windows(x, pos)
    total = _sum(where(valid, vals, 0), -1)
    res = div(total, _tensor((pos >= 0).sum(-1).astype(x.dtype), device=x.device))
    return res.squeeze(0) if unbatched else res


