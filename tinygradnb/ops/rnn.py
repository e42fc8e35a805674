"""Recurrent layers as differentiable ops: one layer-direction over a whole sequence, and single-step cells.

The lecture's recurrence h_t = f(W_xh·x_t + W_hh·h_{t−1} + b_h) (Elman), and its gated forms LSTM and GRU in
PyTorch's equations and gate layouts (see ``kernels/cpu/rnn.py``). Each public function splits the work in two:

1. the input projection of every time step at once, XW = x·W_ihᵀ + b_ih, one matrix product of T·B rows
   (``linear``; its backward gives dx, dW_ih and db_ih as matrix products too);
2. the recurrence over time inside one compiled kernel call (``*_sequence_forward``), with the hidden-to-hidden
   product in the loop, and back-propagation through time in one call (``*_sequence_backward``).

A sequence Function has several outputs — the output sequence (T, B, H), the final hidden state (and the final
cell state for the LSTM) — and its backward takes the gradient of each (zeros for one no gradient reached), so
that every gradient reaches the inputs, the initial state(s) and all weights.

Variable lengths follow PyTorch's packed sequences: ``lengths`` (B,) with 1 ≤ lengths[b] ≤ T; sample b's output
is 0 at t ≥ lengths[b] and its final state is the state at t = lengths[b] − 1. ``reverse=True`` processes each
sample's valid prefix backwards (the reverse direction of a bidirectional layer).
"""
import numbers

import numpy as np

from .. import creation
from .. import device as _device
from ..tensor import Function, Tensor, int64
from .matmul import linear

_GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


# ----------------------------------------------------------------------------- whole-sequence Functions
def _grads(b, like, *gs):
    """The output gradients as C-contiguous arrays, zeros (shaped like ``like``'s arrays) for a missing one."""
    return [b.zeros(x.shape, x.dtype) if g is None else b.contiguous(g) for g, x in zip(gs, like)]


class _OneStateSequence(Function):
    """A recurrence with one state over t; inputs (XW (T, B, G·H), h0, W_hh, b_hh); outputs (out (T, B, H),
    h_n (B, H)). ``kernel`` picks the kernels ``<kernel>_sequence_forward/backward``; ``mode`` holds their extra
    arguments (the Elman nonlinearity)."""
    kernel = None

    def forward(self, xw, h0, w_hh, b_hh, lengths, reverse, mode=()):
        b = self.b
        xw, h0 = b.contiguous(xw), b.contiguous(h0)
        out, h_n, hs, *saved = getattr(b, self.kernel + "_sequence_forward")(xw, h0, w_hh, b_hh, lengths, *mode,
                                                                              reverse)
        self.args = (hs, *saved, w_hh, lengths, *mode, reverse)
        self.outs = (out, h_n)
        return self.outs

    def backward(self, g_out, g_h):
        b = self.b
        dxw, dw, db, dh0 = getattr(b, self.kernel + "_sequence_backward")(*_grads(b, self.outs, g_out, g_h), *self.args)
        return dxw, dh0, dw, db


class RNNSequence(_OneStateSequence):
    """Elman recurrence h_t = φ(XW_t + h_{t−1}·W_hhᵀ + b_hh) over t (mode = (relu,))."""
    kernel = "rnn"


class GRUSequence(_OneStateSequence):
    """GRU recurrence over t (XW (T, B, 3H))."""
    kernel = "gru"


class LSTMSequence(Function):
    """LSTM recurrence over t; inputs (XW (T, B, 4H), h0, c0, W_hh, b_hh); outputs (out (T, B, H), h_n, c_n)."""

    def forward(self, xw, h0, c0, w_hh, b_hh, lengths, reverse):
        b = self.b
        xw, h0, c0 = b.contiguous(xw), b.contiguous(h0), b.contiguous(c0)
        out, h_n, c_n, hs, cs, gates = b.lstm_sequence_forward(xw, h0, c0, w_hh, b_hh, lengths, reverse)
        self.saved = (hs, cs, gates, w_hh, lengths, reverse)
        self.outs = (out, h_n, c_n)
        return self.outs

    def backward(self, g_out, g_h, g_c):
        hs, cs, gates, w_hh, lengths, reverse = self.saved
        g_out, g_h, g_c = _grads(self.b, self.outs, g_out, g_h, g_c)
        dxw, dw, db, dh0, dc0 = self.b.lstm_sequence_backward(g_out, g_h, g_c, hs, cs, gates, w_hh, lengths,
                                                              reverse)
        return dxw, dh0, dc0, dw, db


# ----------------------------------------------------------------------------- single-step Functions
class RNNCellStep(Function):
    """h' = φ(XW + h·W_hhᵀ + b_hh); inputs (XW (B, H), h, W_hh, b_hh)."""

    def forward(self, xw, h, w_hh, b_hh, relu):
        h = self.b.contiguous(h)
        out = self.b.rnn_cell_forward(self.b.contiguous(xw), h, w_hh, b_hh, relu)
        self.h, self.w_hh, self.out, self.relu = h, w_hh, out, relu
        return out

    def backward(self, g):
        dxw, dh, dw, db = self.b.rnn_cell_backward(self.b.contiguous(g), self.h, self.w_hh, self.out, self.relu)
        return dxw, dh, dw, db


class LSTMCellStep(Function):
    """LSTM step; inputs (XW (B, 4H), h, c, W_hh, b_hh); outputs (h', c')."""

    def forward(self, xw, h, c, w_hh, b_hh):
        b = self.b
        h, c = b.contiguous(h), b.contiguous(c)
        h_new, c_new, gates = b.lstm_cell_forward(b.contiguous(xw), h, c, w_hh, b_hh)
        self.saved = (h, c, c_new, gates, w_hh)
        self.outs = (h_new, c_new)
        return self.outs

    def backward(self, g_h, g_c):
        h, c, c_new, gates, w_hh = self.saved
        g_h, g_c = _grads(self.b, self.outs, g_h, g_c)
        dxw, dh, dc, dw, db = self.b.lstm_cell_backward(g_h, g_c, h, c, c_new, gates, w_hh)
        return dxw, dh, dc, dw, db


class GRUCellStep(Function):
    """GRU step; inputs (XW (B, 3H), h, W_hh, b_hh)."""

    def forward(self, xw, h, w_hh, b_hh):
        h = self.b.contiguous(h)
        out, gates = self.b.gru_cell_forward(self.b.contiguous(xw), h, w_hh, b_hh)
        self.h, self.gates, self.w_hh = h, gates, w_hh
        return out

    def backward(self, g):
        dxw, dh, dw, db = self.b.gru_cell_backward(self.b.contiguous(g), self.h, self.gates, self.w_hh)
        return dxw, dh, dw, db


# ----------------------------------------------------------------------------- validation
def _mode(mode, fn):
    if mode not in _GATES:
        raise ValueError(f"{fn}: mode must be one of {sorted(_GATES)}, got {mode!r}")
    return _GATES[mode]


def _check_weights(fn, w_ih, w_hh, b_ih, b_hh, gates, input_size=None):
    """Shapes and dtypes of W_ih (G·H, I), W_hh (G·H, H), b_ih, b_hh (G·H,) (biases optional). Returns (H, dtype)."""
    for name, t in (("w_ih", w_ih), ("w_hh", w_hh)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}: {name} must be a Tensor, got {type(t).__name__}")
    if w_hh.ndim != 2 or w_hh.shape[0] % gates or w_hh.shape[0] != gates * w_hh.shape[1]:
        raise ValueError(f"{fn}: w_hh must have shape ({gates}·hidden_size, hidden_size), got {w_hh.shape}")
    gh, hidden = w_hh.shape
    if w_ih.ndim != 2 or w_ih.shape[0] != gh:
        raise ValueError(f"{fn}: w_ih must have shape ({gh}, input_size) to match w_hh of shape {w_hh.shape}, "
                         f"got {w_ih.shape}")
    if input_size is not None and w_ih.shape[1] != input_size:
        raise ValueError(f"{fn}: input has {input_size} features but w_ih has shape {w_ih.shape} (expected "
                         f"({gh}, {input_size}))")
    dt = w_hh.dtype
    if dt.kind != "f":
        raise TypeError(f"{fn}: w_hh must be float32 or float64, got {dt}")
    for name, t in (("b_ih", b_ih), ("b_hh", b_hh)):
        if t is None:
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}: {name} must be a Tensor or None, got {type(t).__name__}")
        if t.shape != (gh,):
            raise ValueError(f"{fn}: {name} must have shape ({gh},), got {t.shape}")
    for name, t in (("w_ih", w_ih), ("b_ih", b_ih), ("b_hh", b_hh)):
        if t is not None and t.dtype != dt:
            raise TypeError(f"{fn}: {name} has dtype {t.dtype}, expected {dt} like w_hh")
    return hidden, dt


def _check_state(fn, name, h, shape, dt):
    if not isinstance(h, Tensor):
        raise TypeError(f"{fn}: {name} must be a Tensor, got {type(h).__name__}")
    if h.shape != shape:
        raise ValueError(f"{fn}: {name} must have shape {shape}, got {h.shape}")
    if h.dtype != dt:
        raise TypeError(f"{fn}: {name} has dtype {h.dtype}, expected {dt} like the weights")


_FULL = {}   # (device, T, B) -> the lengths array of B full-length samples (read-only, made once per shape)


def check_lengths(lengths, nt, nb, device, fn="rnn"):
    """``lengths`` (None, a sequence, array or integer Tensor of shape (B,), each in [1, T]) as a device int64
    array; None means every sample is T long (one shared, never-written array per shape)."""
    b = _device.backend(device)
    if lengths is None:
        key = (device, nt, nb)
        full = _FULL.get(key)
        if full is None:
            if len(_FULL) >= 64:
                _FULL.clear()
            full = _FULL[key] = b.full((nb,), nt, int64)
        return full
    if isinstance(lengths, Tensor) and lengths.device == device != "cpu":
        return _device_lengths(b, lengths, nt, nb, device, fn)
    if isinstance(lengths, Tensor):
        arr = np.asarray(lengths.numpy())
    elif isinstance(lengths, (list, tuple, np.ndarray)):
        arr = np.asarray(lengths)
    else:
        raise TypeError(f"{fn}: lengths must be a sequence, array or Tensor of ints, got {type(lengths).__name__}")
    if arr.size and arr.dtype.kind not in "iu" and not (arr.dtype == object and
                                                         all(isinstance(v, numbers.Integral) for v in arr.flat)):
        raise TypeError(f"{fn}: lengths must hold integers, got dtype {arr.dtype}")
    if arr.shape != (nb,):
        raise ValueError(f"{fn}: lengths must have shape ({nb},) (one length per batch sample), got {arr.shape}")
    arr = arr.astype(np.int64)
    if nb and (arr.min() < 1 or arr.max() > nt):
        bad = int(arr.min()) if arr.min() < 1 else int(arr.max())
        raise ValueError(f"{fn}: lengths must lie in [1, {nt}] (the sequence length T), got {bad} in "
                         f"{arr.tolist()}")
    return b.asarray(arr)


def _device_lengths(b, lengths, nt, nb, device, fn):
    """A GPU tensor of lengths, checked without waiting for the GPU (``tinygradnb.device.check``: a bad length
    raises at the next copy to the host) and clipped to [1, T] so that the kernels stay inside their arrays."""
    if lengths.dtype.kind not in "iu":
        raise TypeError(f"{fn}: lengths must hold integers, got dtype {lengths.dtype}")
    if lengths.shape != (nb,):
        raise ValueError(f"{fn}: lengths must have shape ({nb},) (one length per batch sample), got {lengths.shape}")
    flat = b.contiguous(lengths._data if lengths.dtype == int64 else b.astype(lengths._data, int64))
    _device.check_range(device, flat, 1, nt, lambda bad: ValueError(
        f"{fn}: lengths must lie in [1, {nt}] (the sequence length T), got {bad}"))
    return b.clip(flat, 1, nt)


def _sequence_args(fn, mode, x, w_ih, w_hh, b_ih, b_hh, lengths):
    gates = _mode(mode, fn)
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: x must be a Tensor, got {type(x).__name__}")
    if x.ndim != 3:
        raise ValueError(f"{fn}: x must have shape (T, B, input_size), got {x.shape}")
    nt, nb, ni = x.shape
    if nt == 0:
        raise ValueError(f"{fn}: x must hold at least one time step, got shape {x.shape}")
    hidden, dt = _check_weights(fn, w_ih, w_hh, b_ih, b_hh, gates, ni)
    if x.dtype != dt:
        raise TypeError(f"{fn}: x has dtype {x.dtype}, expected {dt} like the weights")
    lens = check_lengths(lengths, nt, nb, x.device, fn)
    xw = linear(x.reshape(nt * nb, ni), w_ih, b_ih).reshape(nt, nb, gates * hidden)
    if b_hh is None:
        b_hh = creation.zeros(gates * hidden, dtype=dt, device=x.device)
    return nt, nb, hidden, dt, lens, xw, b_hh


def _initial(fn, name, h, nb, hidden, dt, device):
    if h is None:
        return creation.zeros(nb, hidden, dtype=dt, device=device)
    _check_state(fn, name, h, (nb, hidden), dt)
    return h


# ----------------------------------------------------------------------------- public functions
def rnn_sequence(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh", lengths=None, reverse=False):
    """One Elman layer-direction over a sequence: h_t = φ(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh), φ = tanh or
    relu. x (T, B, I), h0 (B, H) or None (zeros), W_ih (H, I), W_hh (H, H), biases (H,) or None, lengths (B,) or
    None. Returns (output (T, B, H), h_n (B, H))."""
    fn = "rnn_sequence"
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{fn}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    nt, nb, hidden, dt, lens, xw, b_hh = _sequence_args(fn, "rnn_" + nonlinearity, x, w_ih, w_hh, b_ih, b_hh,
                                                        lengths)
    h0 = _initial(fn, "h0", h0, nb, hidden, dt, x.device)
    return RNNSequence.apply(xw, h0, w_hh, b_hh, lengths=lens, reverse=bool(reverse), mode=(nonlinearity == "relu",))


def lstm_sequence(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, lengths=None, reverse=False):
    """One LSTM layer-direction over a sequence (gates i, f, g, o stacked in W_ih (4H, I), W_hh (4H, H)).
    h0, c0 (B, H) or None (zeros). Returns (output (T, B, H), h_n (B, H), c_n (B, H))."""
    fn = "lstm_sequence"
    nt, nb, hidden, dt, lens, xw, b_hh = _sequence_args(fn, "lstm", x, w_ih, w_hh, b_ih, b_hh, lengths)
    h0 = _initial(fn, "h0", h0, nb, hidden, dt, x.device)
    c0 = _initial(fn, "c0", c0, nb, hidden, dt, x.device)
    return LSTMSequence.apply(xw, h0, c0, w_hh, b_hh, lengths=lens, reverse=bool(reverse))


def gru_sequence(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, lengths=None, reverse=False):
    """One GRU layer-direction over a sequence (gates r, z, n stacked in W_ih (3H, I), W_hh (3H, H);
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))). Returns (output (T, B, H), h_n (B, H))."""
    fn = "gru_sequence"
    nt, nb, hidden, dt, lens, xw, b_hh = _sequence_args(fn, "gru", x, w_ih, w_hh, b_ih, b_hh, lengths)
    h0 = _initial(fn, "h0", h0, nb, hidden, dt, x.device)
    return GRUSequence.apply(xw, h0, w_hh, b_hh, lengths=lens, reverse=bool(reverse))


def _cell_args(fn, gates, x, w_ih, w_hh, b_ih, b_hh):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type(x).__name__}")
    if x.ndim != 2:
        raise ValueError(f"{fn}: input must have shape (B, input_size), got {x.shape}")
    hidden, dt = _check_weights(fn, w_ih, w_hh, b_ih, b_hh, gates, x.shape[1])
    if x.dtype != dt:
        raise TypeError(f"{fn}: input has dtype {x.dtype}, expected {dt} like the weights")
    xw = linear(x, w_ih, b_ih)
    if b_hh is None:
        b_hh = creation.zeros(gates * hidden, dtype=dt, device=x.device)
    return x.shape[0], hidden, dt, xw, b_hh


def rnn_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """One Elman step h' = φ(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) for x (B, I), h (B, H) or None (zeros)."""
    fn = "rnn_cell"
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{fn}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    nb, hidden, dt, xw, b_hh = _cell_args(fn, 1, x, w_ih, w_hh, b_ih, b_hh)
    h = _initial(fn, "hx", h, nb, hidden, dt, x.device)
    return RNNCellStep.apply(xw, h, w_hh, b_hh, relu=nonlinearity == "relu")


def lstm_cell(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step for x (B, I), h, c (B, H) or None (zeros). Returns (h', c')."""
    fn = "lstm_cell"
    nb, hidden, dt, xw, b_hh = _cell_args(fn, 4, x, w_ih, w_hh, b_ih, b_hh)
    h = _initial(fn, "h", h, nb, hidden, dt, x.device)
    c = _initial(fn, "c", c, nb, hidden, dt, x.device)
    return LSTMCellStep.apply(xw, h, c, w_hh, b_hh)


def gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step h' = (1 − z) ⊙ n + z ⊙ h for x (B, I), h (B, H) or None (zeros)."""
    fn = "gru_cell"
    nb, hidden, dt, xw, b_hh = _cell_args(fn, 3, x, w_ih, w_hh, b_ih, b_hh)
    h = _initial(fn, "hx", h, nb, hidden, dt, x.device)
    return GRUCellStep.apply(xw, h, w_hh, b_hh)
