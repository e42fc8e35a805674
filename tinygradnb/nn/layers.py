"""Layers: Linear, Embedding, EmbeddingBag, Dropout, activations, norms, Residual (the loss modules are in
nn/loss.py, convolutions and pooling in nn/conv.py)."""
import math
import numbers

import numpy as np

from .. import creation
from ..tensor import float32, as_dtype, no_grad
from ..ops.matmul import linear
from ..ops import activation as A, loss as L, norm as N, embedding as E, dropout as D
from ..ops.shape import flatten
from . import init
from .module import Module, Parameter


def _factory(dtype, device):
    return dict(dtype=as_dtype(dtype) or float32, device=device)


def _size(v, cls, name):
    """A layer size: an int (TypeError otherwise, as PyTorch) that is not negative (RuntimeError, as PyTorch's
    "Trying to create tensor with negative dimension")."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{cls}: {name} must be an int, got {type(v).__name__} {v!r}")
    if v < 0:
        raise RuntimeError(f"{cls}: {name} must be >= 0, got {v} (trying to create a tensor with a negative "
                           f"dimension)")
    return int(v)


def _shape(normalized_shape, cls="LayerNorm"):
    ns = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) and \
        not isinstance(normalized_shape, bool) else normalized_shape
    if not isinstance(ns, (tuple, list)):
        raise TypeError(f"{cls}: normalized_shape must be an int or a tuple of ints, got "
                        f"{type(normalized_shape).__name__} {normalized_shape!r}")
    return tuple(_size(s, cls, "normalized_shape") for s in ns)


class Identity(Module):
    def forward(self, x):
        return x


class Linear(Module):
    """y = x·Wᵀ + b, W (out_features, in_features). Default init as PyTorch: W and b ~ U(−1/√n_in, 1/√n_in)
    (``kaiming_uniform_`` with a = √5)."""

    def __init__(self, in_features, out_features, bias=True, dtype=None, device=None):
        super().__init__()
        in_features, out_features = _size(in_features, "Linear", "in_features"), \
            _size(out_features, "Linear", "out_features")
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(creation.empty(out_features, in_features, **_factory(dtype, device)))
        self.bias = Parameter(creation.empty(out_features, **_factory(dtype, device))) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Embedding(Module):
    """A lookup table of ``num_embeddings`` vectors of size ``embedding_dim``, initialised N(0, 1) (row
    ``padding_idx`` zero and never updated)."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, dtype=None, device=None):
        super().__init__()
        num_embeddings = _size(num_embeddings, "Embedding", "num_embeddings")
        embedding_dim = _size(embedding_dim, "Embedding", "embedding_dim")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None:
            if isinstance(padding_idx, (bool, np.bool_)) or not isinstance(padding_idx, numbers.Integral):
                raise TypeError(f"Embedding: padding_idx must be an int or None, got {type(padding_idx).__name__} "
                                f"{padding_idx!r}")
            padding_idx = int(padding_idx)
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be within [-{num_embeddings}, {num_embeddings}), "
                                 f"got {padding_idx}")
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        self.weight = Parameter(creation.empty(num_embeddings, embedding_dim, **_factory(dtype, device)))
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, idx):
        return E.embedding(idx, self.weight, self.padding_idx)

    def extra_repr(self):
        pad = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"


class EmbeddingBag(Module):
    """Sums, means or maxima of bags of embedding rows (``torch.nn.EmbeddingBag``): ``forward(input, offsets=None,
    per_sample_weights=None)`` with a 2-D input (a bag per row) or a 1-D input and the bags' start ``offsets``;
    the table is initialised N(0, 1) (row ``padding_idx`` zero)."""

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                 mode="mean", sparse=False, _weight=None, include_last_offset=False, padding_idx=None, device=None,
                 dtype=None):
        super().__init__()
        self.embed = Embedding(num_embeddings, embedding_dim, padding_idx, dtype=dtype, device=device)
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"EmbeddingBag: mode must be 'sum', 'mean' or 'max', got {mode!r}")
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise ValueError("EmbeddingBag: max_norm, scale_grad_by_freq and sparse are not supported")
        self.num_embeddings, self.embedding_dim, self.mode = num_embeddings, embedding_dim, mode
        self.include_last_offset, self.padding_idx = include_last_offset, self.embed.padding_idx
        self.weight = self.embed.weight
        del self._modules["embed"]
        if _weight is not None:
            with no_grad():
                self.weight[...] = _weight

    def forward(self, input, offsets=None, per_sample_weights=None):
        return E.embedding_bag(input, self.weight, offsets, mode=self.mode, per_sample_weights=per_sample_weights,
                               include_last_offset=self.include_last_offset, padding_idx=self.padding_idx)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}, mode='{self.mode}'"


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability p and scale the rest by 1/(1 − p)."""

    def __init__(self, p=0.5):
        super().__init__()
        if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real):
            raise TypeError(f"Dropout: p must be a number in [0, 1], got {type(p).__name__} {p!r}")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return D.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class ReLU(Module):
    def forward(self, x):
        return A.relu(x)


class Sigmoid(Module):
    def forward(self, x):
        return A.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return A.tanh(x)


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return A.leaky_relu(x, self.negative_slope)


class GELU(Module):
    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, x):
        return A.gelu(x, self.approximate)


class Softmax(Module):
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return L.softmax(x, self.dim)


class LogSoftmax(Softmax):
    def forward(self, x):
        return L.log_softmax(x, self.dim)


class Flatten(Module):
    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return flatten(x, self.start_dim, self.end_dim)


class LayerNorm(Module):
    """y = (x − μ)/√(σ² + ε)·γ + β over the trailing ``normalized_shape`` dimensions (γ = 1, β = 0 at start)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=None, device=None):
        super().__init__()
        self.normalized_shape, self.eps = _shape(normalized_shape, "LayerNorm"), eps
        f = _factory(dtype, device)
        self.weight = Parameter(creation.ones(self.normalized_shape, **f)) if elementwise_affine else None
        self.bias = Parameter(creation.zeros(self.normalized_shape, **f)) if elementwise_affine and bias else None

    def forward(self, x):
        return N.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.weight is not None}"


class RMSNorm(Module):
    """y = x/√(mean(x²) + ε)·γ over the trailing ``normalized_shape`` dimensions."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, dtype=None, device=None):
        super().__init__()
        self.normalized_shape, self.eps = _shape(normalized_shape, "RMSNorm"), eps
        self.weight = Parameter(creation.ones(self.normalized_shape, **_factory(dtype, device))) \
            if elementwise_affine else None

    def forward(self, x):
        return N.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.weight is not None}"


class BatchNorm1d(Module):
    """Batch normalisation of (N, C) or (N, C, L) inputs per channel: batch statistics in training (updating
    the running estimates with ``momentum``), running statistics in eval."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, dtype=None,
                 device=None):
        super().__init__()
        num_features = _size(num_features, "BatchNorm1d", "num_features")
        if momentum is None:
            raise ValueError("BatchNorm1d: momentum=None (PyTorch's cumulative moving average) is not supported; "
                             "pass a number in [0, 1]")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        f = _factory(dtype, device)
        self.weight = Parameter(creation.ones(num_features, **f)) if affine else None
        self.bias = Parameter(creation.zeros(num_features, **f)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, **f))
            self.register_buffer("running_var", creation.ones(num_features, **f))
        else:
            self.running_mean = self.running_var = None

    def forward(self, x):
        use_batch = self.training or not self.track_running_stats
        return N.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, training=use_batch,
                            momentum=self.momentum, eps=self.eps)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


class Residual(Module):
    """h + f(h): the residual connection that lets gradients flow past ``fn`` unchanged."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x, *args, **kwargs):
        return x + self.fn(x, *args, **kwargs)
