"""Training utilities: gradient-norm clipping and early stopping.

The lecture's remedy for exploding gradients is clipping, g ← g·τ/‖g‖ if ‖g‖ > τ; its early stopping monitors
the validation loss and stops when it rises ("stop when val ↑").
"""
import math
import numbers

import numpy as np

from . import device as _device
from .tensor import Tensor

__all__ = ["clip_grad_norm_", "EarlyStopping"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    out = []
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"clip_grad_norm_: parameters[{i}] must be a Tensor, got {type(p).__name__}")
        if p.grad is not None:
            out.append(p.grad)
    return out


def _flat(b, a):
    return b.contiguous(b.reshape(a, -1))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Clip the gradients of ``parameters`` (a tensor or an iterable of tensors) in place so that their joint
    norm is at most ``max_norm``: with ‖g‖ the ``norm_type``-norm of all gradients concatenated
    (‖g‖₂ = √Σ_k ‖g_k‖₂², ‖g‖_∞ = max_k ‖g_k‖_∞, ‖g‖_p = (Σ_k Σ_i |g_ki|^p)^(1/p)), every gradient is scaled by
    τ/(‖g‖ + 1e-6) when that factor is below 1 (the lecture's g ← g·τ/‖g‖ if ‖g‖ > τ; PyTorch's 1e-6 guards
    the division). Parameters without a gradient are ignored; the gradients must all be on one device.

    As in PyTorch, the norm, the factor and the scaling are computed on the gradients' device (in float64) and
    nothing is copied to the host, so on ``cuda`` a training step does not wait for the GPU here. Returns the
    total norm before clipping as a 0-d tensor on that device, in the gradients' dtype, not requiring grad
    (``float(norm)``, ``norm.item()`` or ``f"{norm:.3f}"`` read it, which on ``cuda`` waits for the GPU); a
    float32 zero on the CPU when no parameter has a gradient. With ``error_if_nonfinite`` the norm is read on the
    host (a device→host copy, as in PyTorch) and a NaN or infinite norm raises ``RuntimeError`` before anything
    is scaled; otherwise the gradients are scaled by the resulting NaN/0 factor, as PyTorch does.
    """
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real) or math.isnan(max_norm):
        raise TypeError(f"clip_grad_norm_: max_norm must be a real number, got {max_norm!r}")
    if max_norm < 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm}")
    if isinstance(norm_type, str) and norm_type.lower() in ("inf", "infinity"):
        norm_type = math.inf
    if isinstance(norm_type, bool) or not isinstance(norm_type, numbers.Real) or not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be a positive number or inf, got {norm_type!r}")
    norm_type = float(norm_type)
    grads = _grads(parameters)
    if not grads:
        return Tensor._wrap(np.zeros((), np.float32), "cpu", False, None)
    dev = grads[0].device
    for g in grads:
        if g.device != dev:
            raise ValueError(f"clip_grad_norm_: all gradients must be on one device, got {dev!r} and {g.device!r}")
    dtype = np.result_type(*{g.dtype for g in grads})      # the norm's dtype: the grads' promoted dtype
    b = _device.backend(dev)
    flats = [_flat(b, g._data) for g in grads]
    coef = b.empty((2,), np.float64)
    norm = b.empty((1,), dtype)
    same = all(f.dtype == dtype for f in flats)
    b.grad_norm(flats if same else [b.astype(f, dtype) for f in flats], norm_type, float(max_norm), coef, norm)
    if error_if_nonfinite:
        total = float(_device.read(dev, coef)[0])
        if not math.isfinite(total):
            raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}; "
                               f"pass error_if_nonfinite=False to clip anyway")
    for dt in {f.dtype for f in flats}:
        b.clip_scale_([f for f in flats if f.dtype == dt], coef)
    for g, flat in zip(grads, flats):
        if not g._data.flags["C_CONTIGUOUS"]:    # flat is a copy: write the (maybe) scaled values back
            b.setitem(g._data, Ellipsis, b.reshape(flat, g.shape))
        g._bump()
    return Tensor._wrap(b.reshape(norm, ()), dev, False, None)


class EarlyStopping:
    """Stop training when a monitored metric (the lecture's validation loss) has not improved for ``patience``
    consecutive epochs.

    ``patience=0`` stops at the first epoch without improvement. ``mode='min'``: an epoch improves when
    metric < best − ``min_delta``; ``mode='max'``: metric > best + ``min_delta``. A NaN metric never improves.
    ``step(metric, model)`` returns True when training should stop; with ``restore_best_weights`` a copy of the
    best epoch's ``model.state_dict()`` (copies of the arrays, made through the model's backend) is kept
    and loaded back into the model at that moment, or on demand with ``restore(model)``.

    Attributes: ``best`` (best metric so far), ``best_epoch`` (1-based count of ``step`` calls at which it was
    seen), ``num_bad_epochs``, ``epoch`` (``step`` calls so far), ``should_stop``.
    """

    def __init__(self, patience=5, min_delta=0.0, mode="min", restore_best_weights=True):
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an int >= 0, got {patience!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real) or not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be a number >= 0, got {min_delta!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        self.patience, self.min_delta, self.mode = patience, float(min_delta), mode
        self.restore_best_weights = bool(restore_best_weights)
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = 0
        self.num_bad_epochs = 0
        self.epoch = 0
        self.should_stop = False
        self.best_state = None

    def _improved(self, metric):
        if metric != metric:
            return False
        if self.mode == "min":
            return metric < self.best - self.min_delta
        return metric > self.best + self.min_delta

    def step(self, metric, model=None):
        """Record this epoch's ``metric`` (a number or a one-element tensor); returns True when there have been
        ``patience`` epochs without improvement (restoring the best weights into ``model`` if asked)."""
        if isinstance(metric, Tensor):
            metric = metric.item()
        if isinstance(metric, bool) or not isinstance(metric, numbers.Real):
            raise TypeError(f"EarlyStopping.step: metric must be a number or a one-element Tensor, got "
                            f"{type(metric).__name__}")
        if self.restore_best_weights and model is None:
            raise ValueError("EarlyStopping.step: model is required when restore_best_weights=True")
        metric = float(metric)
        self.epoch += 1
        if self._improved(metric):
            self.best, self.best_epoch, self.num_bad_epochs = metric, self.epoch, 0
            if self.restore_best_weights:
                self.best_state = _copy_state(model.state_dict())
        else:
            self.num_bad_epochs += 1
        self.should_stop = self.num_bad_epochs > 0 and self.num_bad_epochs >= self.patience
        if self.should_stop and self.restore_best_weights and self.best_state is not None:
            self.restore(model)
        return self.should_stop

    def restore(self, model):
        """Load the best epoch's weights into ``model``."""
        if self.best_state is None:
            raise RuntimeError("EarlyStopping.restore: no best weights recorded yet (no improving step with "
                               "restore_best_weights=True)")
        model.load_state_dict(self.best_state)
        return model

    def state_dict(self):
        """The counters and the best weights, for checkpointing with ``tinygradnb.save``."""
        return {k: v for k, v in self.__dict__.items()}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)


def _copy_state(state):
    out = type(state)()
    for k, v in state.items():
        b = _device.backend(v.device)
        out[k] = Tensor._wrap(b.copy(v._data), v.device, False, None)
    return out
