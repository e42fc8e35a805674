"""Rosenblatt's perceptron (1958), the lecture's first learnable neural architecture.

ŷ = 1[w·x + b > 0], trained by the rule w ← w + η(y − ŷ)x, b ← b + η(y − ŷ), one sample at a time. It learns
any linearly separable labelling (AND, OR, NOT: the perceptron convergence theorem bounds its mistakes) and
never converges on one that is not (XOR: "no single line can separate the classes").
"""
from dataclasses import dataclass, field

import numpy as np

from .. import creation
from .. import device as _device
from ..tensor import Tensor, as_dtype, float32, int64, _FLOATS
from .module import Module, Parameter

__all__ = ["Perceptron", "PerceptronFit"]


@dataclass
class PerceptronFit:
    """What ``Perceptron.fit`` did: ``converged`` (an epoch made no mistake), ``epochs`` (epochs run; with
    ``converged`` the 1-based epoch that made no mistake) and ``mistakes`` (per epoch)."""

    converged: bool
    epochs: int
    mistakes: list = field(default_factory=list)


class Perceptron(Module):
    """A single threshold unit over ``n_features`` inputs: ``weight`` (n_features,) and ``bias`` (1,), both
    starting at zero and learnt by the perceptron rule (not by gradients: they do not require grad)."""

    def __init__(self, n_features, dtype=None, device=None):
        super().__init__()
        if isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer)) or n_features < 1:
            raise ValueError(f"Perceptron: n_features must be a positive int, got {n_features!r}")
        dt = as_dtype(dtype) or float32
        if dt not in _FLOATS:
            raise TypeError(f"Perceptron: dtype must be float32 or float64, got {dt}")
        self.n_features = int(n_features)
        self.weight = Parameter(creation.zeros(self.n_features, dtype=dt, device=device), requires_grad=False)
        self.bias = Parameter(creation.zeros(1, dtype=dt, device=device), requires_grad=False)

    def extra_repr(self):
        return f"n_features={self.n_features}"

    def _inputs(self, X, where):
        b = _device.backend(self.weight.device)
        if not isinstance(X, Tensor):
            X = Tensor(np.asarray(X, dtype=self.weight.dtype) if not isinstance(X, np.ndarray) else X,
                       device=self.weight.device)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"Perceptron.{where}: X must have shape (n_samples, {self.n_features}), got "
                             f"{tuple(X.shape)}")
        if X.dtype == np.dtype(bool):
            raise TypeError(f"Perceptron.{where}: X must be numeric, got bool")
        x = X.to(self.weight.device)._data
        if x.dtype != self.weight.dtype:
            x = b.astype(x, self.weight.dtype)
        return b, b.contiguous(x)

    def forward(self, x):
        """The score w·x + b of each row of ``x`` (n_samples, n_features), shape (n_samples,)."""
        return x @ self.weight + self.bias

    def predict(self, X):
        """ŷ = 1[w·x + b > 0] for each row of ``X``, as an int64 Tensor of shape (n_samples,)."""
        b, x = self._inputs(X, "predict")
        return Tensor._wrap(b.perceptron_predict(self.weight._data, self.bias._data, x), self.weight.device, False,
                            None)

    def fit(self, X, y, lr=1.0, epochs=100):
        """Train by the perceptron rule, one epoch over the samples in order per kernel call, until an epoch makes
        no mistake (converged) or ``epochs`` have run. ``y`` holds labels 0/1 (bool, int or float). Continues
        from the current weights. Returns a ``PerceptronFit``."""
        b, x = self._inputs(X, "fit")
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating, np.integer)) or not lr > 0:
            raise ValueError(f"Perceptron.fit: lr must be a number > 0, got {lr!r}")
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"Perceptron.fit: epochs must be an int >= 1, got {epochs!r}")
        if not isinstance(y, Tensor):
            y = Tensor._from(np.asarray(y), device=self.weight.device)
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise ValueError(f"Perceptron.fit: y must have shape ({x.shape[0]},) (one label per row of X), got "
                             f"{tuple(y.shape)}")
        yd = y.to(self.weight.device)._data
        bad = int(_device.read(self.weight.device, b.sum(b.multiply(b.not_equal(yd, 0), b.not_equal(yd, 1)))))
        if bad:
            raise ValueError(f"Perceptron.fit: labels must be 0 or 1, got {bad} other value(s) (e.g. "
                             f"{_first_bad(b, yd)})")
        yd = b.contiguous(b.astype(yd, int64))
        result = PerceptronFit(converged=False, epochs=0)
        for epoch in range(1, int(epochs) + 1):
            m = int(b.perceptron_epoch_(self.weight._data, self.bias._data, x, yd, float(lr)))
            result.mistakes.append(m)
            result.epochs = epoch
            if m == 0:
                result.converged = True
                break
        return result


def _first_bad(b, y):
    mask = b.multiply(b.not_equal(y, 0), b.not_equal(y, 1))
    return b.to_numpy(b.getitem(y, mask))[:1].tolist()[0]
