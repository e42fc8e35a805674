"""Recurrent layers: RNN (Elman, tanh or relu), LSTM and GRU over whole sequences, and their single-step cells
(``torch.nn.RNN`` / ``LSTM`` / ``GRU`` / ``RNNCell`` / ``LSTMCell`` / ``GRUCell`` in small).

Parameters carry PyTorch's names and layouts — ``weight_ih_l{k}`` (G·H, I or D·H), ``weight_hh_l{k}`` (G·H, H),
``bias_ih_l{k}``, ``bias_hh_l{k}`` (G·H,), with ``_reverse`` for the backward direction; gates i, f, g, o (LSTM)
and r, z, n (GRU) stacked in that order — and PyTorch's default init U(−1/√H, 1/√H) for every one.

``forward(input, hx=None, lengths=None)`` takes input (T, B, I) (or (B, T, I) with ``batch_first``, or unbatched
(T, I)) and returns (output, h_n) — (output, (h_n, c_n)) for the LSTM — with output (T, B, D·H) and h_n
(num_layers·D, B, H). ``lengths`` (B,) gives each sample's valid length (PyTorch's packed-sequence semantics
without the PackedSequence: outputs past a sample's length are 0, its h_n is its state at t = lengths[b] − 1, and
the reverse direction reads only the valid prefix, backwards).

``input`` may also be a ``PackedSequence`` (``nn.utils.rnn``): then output is a PackedSequence with the input's
batch_sizes and indices, and h_0/h_n (c_0/c_n) are in the batch's original order, as PyTorch. It runs through the
same lengths path (the batch unpacked to (T, B, I) in its original order, its lengths as ``lengths``), so a
packed batch gives exactly what the padded batch with ``lengths`` gives.
"""
import math
import numbers

import numpy as np

from .. import creation
from ..ops import rnn as R
from ..ops.dropout import dropout as _dropout
from ..ops.shape import concat, index_select, squeeze, stack, transpose, unsqueeze
from ..tensor import Tensor, as_dtype, float32, int64
from . import init
from .module import Module, Parameter
from .utils.rnn import PackedSequence, _pack_rows, pad_packed_sequence

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _positive_int(v, cls, name, minimum=1):
    """PyTorch's checks: TypeError for a non-int ("input_size should be of type int"), ValueError below
    ``minimum`` ("hidden_size must be greater than zero")."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{cls}: {name} must be an int >= {minimum}, got {type(v).__name__} {v!r}")
    if v < minimum:
        raise ValueError(f"{cls}: {name} must be an int >= {minimum}, got {v!r}")
    return int(v)


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU: parameters per layer and direction, validation, the layer loop."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=None, device=None):
        super().__init__()
        cls = type(self).__name__
        self.mode = mode
        self.input_size = _positive_int(input_size, cls, "input_size")
        self.hidden_size = _positive_int(hidden_size, cls, "hidden_size")
        self.num_layers = _positive_int(num_layers, cls, "num_layers")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{cls}: dropout must be a number in [0, 1], got {dropout!r}")
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        dirs = 2 if bidirectional else 1
        gh = _GATES[mode] * hidden_size
        f = dict(dtype=as_dtype(dtype) or float32, device=device)
        self._flat_names = []
        for layer in range(num_layers):
            n_in = input_size if layer == 0 else hidden_size * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                names = [f"weight_ih{sfx}", f"weight_hh{sfx}"]
                setattr(self, names[0], Parameter(creation.empty(gh, n_in, **f)))
                setattr(self, names[1], Parameter(creation.empty(gh, hidden_size, **f)))
                if bias:
                    names += [f"bias_ih{sfx}", f"bias_hh{sfx}"]
                    setattr(self, names[2], Parameter(creation.empty(gh, **f)))
                    setattr(self, names[3], Parameter(creation.empty(gh, **f)))
                self._flat_names.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias ~ U(−1/√H, 1/√H), as PyTorch."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -k, k)

    def _layer_params(self, layer, d):
        names = self._flat_names[layer * (2 if self.bidirectional else 1) + d]
        ps = [getattr(self, n) for n in names]
        return ps if self.bias else ps + [None, None]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._flat_names]

    # ------------------------------------------------------------------ validation
    def _check_features(self, x):
        cls = type(self).__name__
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"{cls}: input of shape {x.shape} has {x.shape[-1]} features in its last dimension, "
                               f"expected input_size={self.input_size}")
        dt = self.weight_hh_l0.dtype
        if x.dtype != dt:  # PyTorch: ValueError "RNN input dtype ... does not match weight dtype"
            raise ValueError(f"{cls}: input has dtype {x.dtype}, expected {dt} like the parameters (convert the "
                             f"input with .to({dt}) or the model with .to({x.dtype}))")

    def _check_input(self, x):
        cls = type(self).__name__
        if not isinstance(x, Tensor):
            raise TypeError(f"{cls}: input must be a Tensor, got {type(x).__name__}")
        if x.ndim not in (2, 3):
            layout = "(B, T, input_size)" if self.batch_first else "(T, B, input_size)"
            raise ValueError(f"{cls}: input must be 3-D {layout} or unbatched 2-D (T, input_size), got shape "
                             f"{x.shape}")
        self._check_features(x)
        batched = x.ndim == 3
        if not batched:
            x = unsqueeze(x, 1)
        elif self.batch_first:
            x = transpose(x, 0, 1)
        if x.shape[0] == 0:
            raise RuntimeError(f"{cls}: input must hold at least one time step, got shape {x.shape}")
        return x, batched

    def _check_state(self, h, name, nb, batched):
        cls = type(self).__name__
        n = self.num_layers * (2 if self.bidirectional else 1)
        want = (n, nb, self.hidden_size) if batched else (n, self.hidden_size)
        if not isinstance(h, Tensor):
            raise TypeError(f"{cls}: {name} must be a Tensor, got {type(h).__name__}")
        if h.shape != want:
            raise RuntimeError(f"{cls}: {name} must have shape {want} (num_layers·num_directions, "
                               f"{'B, ' if batched else ''}hidden_size), got {h.shape}")
        if h.dtype != self.weight_hh_l0.dtype:
            raise TypeError(f"{cls}: {name} has dtype {h.dtype}, expected {self.weight_hh_l0.dtype}")
        return h if batched else unsqueeze(h, 1)

    # ------------------------------------------------------------------ forward
    def forward(self, input, hx=None, lengths=None):
        cls = type(self).__name__
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx, lengths)
        x, batched = self._check_input(input)
        if lengths is not None and not batched:
            raise ValueError(f"{cls}: lengths needs a batched input, got unbatched input of shape {input.shape}")
        out, h_n, c_n = self._run(x, hx, lengths, batched)
        lstm = self.mode == "LSTM"
        if not batched:
            out, h_n = squeeze(out, 1), squeeze(h_n, 1)
            c_n = squeeze(c_n, 1) if lstm else None
        elif self.batch_first:
            out = transpose(out, 0, 1)
        return (out, (h_n, c_n)) if lstm else (out, h_n)

    def _forward_packed(self, input, hx, lengths):
        """A PackedSequence through the lengths path: unpack to (T, B, I) in the original batch order, run with
        its lengths (hx in the original order too, as PyTorch), pack the output in the input's sorted order."""
        cls = type(self).__name__
        if lengths is not None:
            raise ValueError(f"{cls}: lengths must be None for a PackedSequence input (its batch_sizes give the "
                             f"lengths)")
        data = input.data
        if not isinstance(data, Tensor):
            raise TypeError(f"{cls}: the PackedSequence's data must be a Tensor, got {type(data).__name__}")
        if data.ndim != 2:
            raise RuntimeError(f"{cls}: a PackedSequence's data must have 2 dimensions (sum of the lengths, "
                               f"input_size), got shape {data.shape}")
        self._check_features(data)
        x, lens = pad_packed_sequence(input)
        out, h_n, c_n = self._run(x, hx, lens, True)
        bs = input.batch_sizes.numpy()
        order = (input.sorted_indices.numpy() if input.sorted_indices is not None else
                 np.arange(x.shape[1])).astype(np.int64)
        rows = _pack_rows(x.shape[0], x.shape[1], bs, order, False)
        flat = out.reshape(x.shape[0] * x.shape[1], out.shape[2])
        out_data = index_select(flat, 0, creation.tensor(rows, dtype=int64, device=data.device))
        packed = PackedSequence(out_data, input.batch_sizes, input.sorted_indices, input.unsorted_indices)
        return (packed, (h_n, c_n)) if self.mode == "LSTM" else (packed, h_n)

    def _run(self, x, hx, lengths, batched):
        """The layers over x (T, B, I); returns (output (T, B, D·H), h_n, c_n or None), h_n and c_n
        (num_layers·D, B, H)."""
        cls = type(self).__name__
        nt, nb = x.shape[0], x.shape[1]
        if lengths is not None:
            R.check_lengths(lengths, nt, nb, x.device, cls)  # fail early, naming the module
        lstm = self.mode == "LSTM"
        h0 = c0 = None
        if hx is not None:
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"{cls}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
                h0 = self._check_state(hx[0], "h_0", nb, batched)
                c0 = self._check_state(hx[1], "c_0", nb, batched)
            else:
                h0 = self._check_state(hx, "hx", nb, batched)
        dirs = 2 if self.bidirectional else 1
        hn, cn = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                w_ih, w_hh, b_ih, b_hh = self._layer_params(layer, d)
                h = None if h0 is None else h0[k]
                args = dict(lengths=lengths, reverse=d == 1)
                if lstm:
                    c = None if c0 is None else c0[k]
                    y, h_last, c_last = R.lstm_sequence(x, h, c, w_ih, w_hh, b_ih, b_hh, **args)
                    cn.append(c_last)
                elif self.mode == "GRU":
                    y, h_last = R.gru_sequence(x, h, w_ih, w_hh, b_ih, b_hh, **args)
                else:
                    nl = "relu" if self.mode == "RNN_RELU" else "tanh"
                    y, h_last = R.rnn_sequence(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity=nl, **args)
                outs.append(y)
                hn.append(h_last)
            x = outs[0] if dirs == 1 else concat(outs, axis=2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, True)
        return x, stack(hn, 0), (stack(cn, 0) if lstm else None)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN (the lecture's h_t = f(W_xh·x_t + W_hh·h_{t−1} + b_h)), as torch.nn.RNN:
    h_t = φ(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh), φ = tanh or relu."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=None, device=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, dtype, device)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """LSTM, as torch.nn.LSTM: gates i, f, g, o; c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh c_t.
    Returns (output, (h_n, c_n))."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=None, device=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype, device)


class GRU(RNNBase):
    """GRU, as torch.nn.GRU: gates r, z, n; n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
    h' = (1 − z) ⊙ n + z ⊙ h."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=None, device=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype, device)


# ----------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    gates = 1

    def __init__(self, input_size, hidden_size, bias=True, dtype=None, device=None):
        super().__init__()
        cls = type(self).__name__
        self.input_size = _positive_int(input_size, cls, "input_size")
        self.hidden_size = _positive_int(hidden_size, cls, "hidden_size")
        self.bias = bool(bias)
        gh = self.gates * hidden_size
        f = dict(dtype=as_dtype(dtype) or float32, device=device)
        self.weight_ih = Parameter(creation.empty(gh, input_size, **f))
        self.weight_hh = Parameter(creation.empty(gh, hidden_size, **f))
        self.bias_ih = Parameter(creation.empty(gh, **f)) if bias else None
        self.bias_hh = Parameter(creation.empty(gh, **f)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias ~ U(−1/√H, 1/√H), as PyTorch."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -k, k)

    def _input(self, x):
        cls = type(self).__name__
        if not isinstance(x, Tensor):
            raise TypeError(f"{cls}: input must be a Tensor, got {type(x).__name__}")
        if x.ndim not in (1, 2):
            raise ValueError(f"{cls}: input must have shape (B, {self.input_size}) or ({self.input_size},), got "
                             f"{x.shape}")
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"{cls}: input must have shape (B, {self.input_size}) or ({self.input_size},), got "
                               f"{x.shape}")
        if x.dtype != self.weight_hh.dtype:
            raise TypeError(f"{cls}: input has dtype {x.dtype}, expected {self.weight_hh.dtype} like the parameters")
        return (x, True) if x.ndim == 2 else (unsqueeze(x, 0), False)

    def _state(self, h, name, nb, batched):
        if h is None:
            return None
        cls = type(self).__name__
        want = (nb, self.hidden_size) if batched else (self.hidden_size,)
        if not isinstance(h, Tensor):
            raise TypeError(f"{cls}: {name} must be a Tensor, got {type(h).__name__}")
        if h.shape != want:
            raise RuntimeError(f"{cls}: {name} must have shape {want}, got {h.shape}")
        return h if batched else unsqueeze(h, 0)

    def _params(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(RNNCellBase):
    """One Elman step h' = φ(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), φ = tanh or relu (torch.nn.RNNCell)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=None, device=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, dtype, device)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, batched = self._input(input)
        h = self._state(hx, "hx", x.shape[0], batched)
        out = R.rnn_cell(x, h, *self._params(), nonlinearity=self.nonlinearity)
        return out if batched else squeeze(out, 0)


class LSTMCell(RNNCellBase):
    """One LSTM step (torch.nn.LSTMCell); forward(input, (h, c)) returns (h', c')."""
    gates = 4

    def forward(self, input, hx=None):
        x, batched = self._input(input)
        h = c = None
        if hx is not None:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"LSTMCell: hx must be a tuple (h, c), got {type(hx).__name__}")
            h = self._state(hx[0], "h", x.shape[0], batched)
            c = self._state(hx[1], "c", x.shape[0], batched)
        h1, c1 = R.lstm_cell(x, h, c, *self._params())
        return (h1, c1) if batched else (squeeze(h1, 0), squeeze(c1, 0))


class GRUCell(RNNCellBase):
    """One GRU step h' = (1 − z) ⊙ n + z ⊙ h (torch.nn.GRUCell)."""
    gates = 3

    def forward(self, input, hx=None):
        x, batched = self._input(input)
        h = self._state(hx, "hx", x.shape[0], batched)
        out = R.gru_cell(x, h, *self._params())
        return out if batched else squeeze(out, 0)
