"""Recurrent kernels: the Elman RNN, LSTM and GRU, one step (cells) and whole sequences (BPTT in one call).

The lecture's recurrence ("RNNs model sequences by maintaining state across time steps") is the Elman RNN

    h_t = f(W_xh·x_t + W_hh·h_{t−1} + b_h),

with the same W_xh, W_hh at every step; its "gating mechanisms" (LSTM, Hochreiter & Schmidhuber 1997; GRU,
Cho et al. 2014) are written here in PyTorch's form and gate layouts:

* Elman:  h' = φ(xw + h·W_hhᵀ + b_hh), φ = tanh or relu.
* LSTM:   [i, f, g, o] = [σ, σ, tanh, σ](xw + h·W_hhᵀ + b_hh)   (W_hh (4H, H) stacks the gates i, f, g, o)
          c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c').
* GRU:    [a_r, a_z, a_n] = xw,  [h_r, h_z, h_n] = h·W_hhᵀ + b_hh   (W_hh (3H, H) stacks r, z, n)
          r = σ(a_r + h_r),  z = σ(a_z + h_z),  n = tanh(a_n + r ⊙ h_n),  h' = (1 − z) ⊙ n + z ⊙ h.

``xw`` is the input projection x·W_ihᵀ + b_ih, which the op layer computes for every time step at once as one
matrix product; the kernels do the hidden-to-hidden product h·W_hhᵀ inside the recurrence. The input-side bias
b_ih lives in ``xw``; b_hh is passed separately (zeros when the layer has no bias).

Sequence kernels take xw (T, B, G·H), the initial state(s) (B, H), W_hh (G·H, H), b_hh (G·H,), ``lengths``
(B,) int64 with 1 ≤ lengths[b] ≤ T and a ``reverse`` flag. Packed-sequence semantics (PyTorch): sample b runs
only over its valid steps t < lengths[b]; at t ≥ lengths[b] its output is 0 and its state is carried unchanged,
so the final state is the state at t = lengths[b] − 1. With ``reverse`` each sample's valid prefix is processed
backwards (t = lengths[b] − 1, …, 0), as the reverse direction of a bidirectional layer, and output row t still
belongs to input row t. Saved state arrays are indexed by *step* s (hs[0] = h_0, hs[s+1] = state after step s),
not by time. Backward kernels run back-propagation through time in reverse inside one call and return the
gradient of xw for every step, dW_hh, db_hh and the initial state's gradient(s).

Speed. Per time step the hidden product of the whole batch, (B, H)·(H, G·H), is one register-blocked product
(``_mm_acc``: W_hhᵀ made contiguous once per call, inner loops over contiguous columns that LLVM vectorises with
FMA; ~120 GFLOP/s float32 on one core here, instead of ~21 row by row), and so is dh ← dz·W_hh backward. The
weight gradient dW_hh = Σ_t dz_tᵀ·h_{t−1} needs no step order, so it is one (G·H, T·B)·(T·B, H) BLAS product
after the compiled time loop (the public ``*_sequence_backward`` are thin Python wrappers for that). The gate
non-linearities vectorise for float32 through ``fastmath.vtanh`` / ``vsigmoid``; float64 keeps math.tanh/exp. The
sequence kernels split the batch into one block of rows per thread, each block's whole time loop in one parallel
iteration (see "whole sequences" below); the single-step cells are serial.

All arrays are C-contiguous float32 or float64 of one dtype; nothing is validated here (the op layer
``tinygradnb.ops.rnn`` checks shapes, dtypes and lengths).
"""
import numpy as np
from numba import get_num_threads, njit, prange

from .fastmath import vsigmoid as _sigmoid
from .fastmath import vtanh as _tanh
from .matmul import _mm_acc

# ----------------------------------------------------------------------------- activations
# The gate non-linearities are ``fastmath.vtanh`` / ``fastmath.vsigmoid`` (the same functions as the activation
# kernels): math.tanh / math.exp for float64, branch-free float32 forms built on a vectorisable exp for float32
# (≤ 1.5 and ≤ 3 ulp), so that the gate loops vectorise.


# ----------------------------------------------------------------------------- batched hidden product
# The whole batch's hidden product per step is one blocked product, ``matmul._mm_acc`` (an 8-row × 4-deep register
# block; ~150 GFLOP/s at B=32 on one core).
_FM = {"contract"}


@njit(cache=True, fastmath=_FM, error_model="numpy")
def _elman_row(xw, zh, relu, h_new):
    """Elman step of one row given zh = b_hh + h·W_hhᵀ: h' = φ(xw + zh), φ = relu or tanh."""
    for j in range(h_new.shape[0]):
        v = xw[j] + zh[j]
        if relu:
            h_new[j] = v if v > 0 else 0
        else:
            h_new[j] = _tanh(v)


@njit(cache=True, fastmath=_FM, error_model="numpy")
def _elman_row_backward(d, h_new, relu, dz):
    """dz = d ⊙ φ'(z) from the output h' = φ(z): 1 − h'² for tanh, 1[h' > 0] for relu."""
    for j in range(dz.shape[0]):
        y = h_new[j]
        if relu:
            dz[j] = d[j] if y > 0 else 0
        else:
            dz[j] = d[j] * (1.0 - y * y)


@njit(cache=True, fastmath=_FM, error_model="numpy")
def _lstm_row(xw, zh, c, h_new, c_new, gates):
    """LSTM step of one row given zh = b_hh + h·W_hhᵀ: i, f, o = σ(·), g = tanh(·) of xw + zh (gate order
    i, f, g, o); c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c'). Saves the activated gates (4H,)."""
    n = c.shape[0]
    for j in range(n):
        i = _sigmoid(xw[j] + zh[j])
        f = _sigmoid(xw[n + j] + zh[n + j])
        g = _tanh(xw[2 * n + j] + zh[2 * n + j])
        o = _sigmoid(xw[3 * n + j] + zh[3 * n + j])
        cn = f * c[j] + i * g
        gates[j] = i
        gates[n + j] = f
        gates[2 * n + j] = g
        gates[3 * n + j] = o
        c_new[j] = cn
        h_new[j] = o * _tanh(cn)


@njit(cache=True, fastmath=_FM, error_model="numpy")
def _lstm_row_backward(dh, dc, c, c_new, gates, dz, dc_prev):
    """LSTM step backward of one row, from dL/dh' = dh and dL/dc' = dc (both already including the output's
    and the later steps' contributions): dc_tot = dc + dh ⊙ o ⊙ (1 − tanh² c'); pre-activation gradients
    dz = [dc_tot ⊙ g ⊙ i(1−i), dc_tot ⊙ c ⊙ f(1−f), dc_tot ⊙ i ⊙ (1−g²), dh ⊙ tanh c' ⊙ o(1−o)];
    dc_prev = dc_tot ⊙ f."""
    n = c.shape[0]
    for j in range(n):
        i = gates[j]
        f = gates[n + j]
        g = gates[2 * n + j]
        o = gates[3 * n + j]
        tc = _tanh(c_new[j])
        dct = dc[j] + dh[j] * o * (1.0 - tc * tc)
        dz[j] = dct * g * i * (1.0 - i)
        dz[n + j] = dct * c[j] * f * (1.0 - f)
        dz[2 * n + j] = dct * i * (1.0 - g * g)
        dz[3 * n + j] = dh[j] * tc * o * (1.0 - o)
        dc_prev[j] = dct * f


@njit(cache=True, fastmath=_FM, error_model="numpy")
def _gru_row(xw, zh, h, h_new, gates):
    """GRU step of one row given zh = [h_r, h_z, h_n] = b_hh + h·W_hhᵀ: r = σ(a_r + h_r), z = σ(a_z + h_z),
    n = tanh(a_n + r ⊙ h_n), h' = (1 − z) ⊙ n + z ⊙ h. Saves gates = [r, z, n, h_n] (4H,)."""
    m = h.shape[0]
    for j in range(m):
        r = _sigmoid(xw[j] + zh[j])
        z = _sigmoid(xw[m + j] + zh[m + j])
        hn = zh[2 * m + j]
        nn = _tanh(xw[2 * m + j] + r * hn)
        gates[j] = r
        gates[m + j] = z
        gates[2 * m + j] = nn
        gates[3 * m + j] = hn
        h_new[j] = (1.0 - z) * nn + z * h[j]


@njit(cache=True, fastmath=_FM, error_model="numpy")
def _gru_row_backward(dh, h, gates, dxw, dzh, dh_prev):
    """GRU step backward of one row from dL/dh' = dh: dn = dh ⊙ (1 − z), da_n = dn ⊙ (1 − n²),
    da_r = da_n ⊙ h_n ⊙ r(1 − r), da_z = dh ⊙ (h − n) ⊙ z(1 − z). Input side dxw = [da_r, da_z, da_n], hidden
    side dzh = [da_r, da_z, da_n ⊙ r]; dh_prev = dh ⊙ z (the W_hh path dzh·W_hh is added for the whole batch by
    ``_mm_acc``)."""
    m = h.shape[0]
    for j in range(m):
        r = gates[j]
        z = gates[m + j]
        nn = gates[2 * m + j]
        hn = gates[3 * m + j]
        d = dh[j]
        dan = d * (1.0 - z) * (1.0 - nn * nn)
        dar = dan * hn * r * (1.0 - r)
        daz = d * (h[j] - nn) * z * (1.0 - z)
        dxw[j] = dar
        dxw[m + j] = daz
        dxw[2 * m + j] = dan
        dzh[j] = dar
        dzh[m + j] = daz
        dzh[2 * m + j] = dan * r
        dh_prev[j] = d * z


# ----------------------------------------------------------------------------- batched step helpers
@njit(cache=True)
def _pre(h, whh_t, b_hh, zh):
    """zh (B, G·H) = b_hh + h·W_hhᵀ for every batch row at once, W_hhᵀ (H, G·H) contiguous."""
    for b in range(zh.shape[0]):
        zh[b] = b_hh
    _mm_acc(h, whh_t, zh)


@njit(cache=True, fastmath=_FM, error_model="numpy")
def _grad_w(dz, h, dw, db):
    """dW_hh += dzᵀ·h (a (G·H, R)·(R, H) product whose inner loop runs over contiguous rows of h) and
    db_hh += Σ_r dz[r] for dz (R, G·H), h (R, H)."""
    _mm_acc(dz.T, h, dw)
    for r in range(dz.shape[0]):
        for j in range(dz.shape[1]):
            db[j] += dz[r, j]


# ----------------------------------------------------------------------------- cells (one step)
@njit(cache=True)
def rnn_cell_forward(xw, h, w_hh, b_hh, relu):
    """Elman step (lecture: h_t = f(W_xh·x_t + W_hh·h_{t−1} + b_h)): h' = φ(xw + h·W_hhᵀ + b_hh) for xw (B, H),
    h (B, H), W_hh (H, H), b_hh (H,); φ = relu if ``relu`` else tanh. Returns h' (B, H)."""
    nb, n = h.shape
    whh_t = np.ascontiguousarray(w_hh.T)
    out = np.empty((nb, n), xw.dtype)
    zh = np.empty((nb, n), xw.dtype)
    _pre(h, whh_t, b_hh, zh)
    for b in range(nb):
        _elman_row(xw[b], zh[b], relu, out[b])
    return out


@njit(cache=True)
def rnn_cell_backward(g, h, w_hh, h_new, relu):
    """Backward of the Elman step h' = φ(xw + h·W_hhᵀ + b_hh) from g = dL/dh' (B, H) and the saved h, h':
    dz = g ⊙ φ'(z); dxw = dz, db_hh = Σ_b dz, dW_hh = dzᵀ·h, dh = dz·W_hh. Returns (dxw, dh, dW_hh, db_hh)."""
    nb, n = h.shape
    dxw = np.empty((nb, n), g.dtype)
    dh = np.zeros((nb, n), g.dtype)
    dw = np.zeros(w_hh.shape, g.dtype)
    db = np.zeros(n, g.dtype)
    for b in range(nb):
        _elman_row_backward(g[b], h_new[b], relu, dxw[b])
    _mm_acc(dxw, w_hh, dh)
    _grad_w(dxw, h, dw, db)
    return dxw, dh, dw, db


@njit(cache=True)
def lstm_cell_forward(xw, h, c, w_hh, b_hh):
    """LSTM step (gates i, f, g, o): [i, f, g, o] = [σ, σ, tanh, σ](xw + h·W_hhᵀ + b_hh), c' = f ⊙ c + i ⊙ g,
    h' = o ⊙ tanh(c') for xw (B, 4H), h, c (B, H), W_hh (4H, H), b_hh (4H,).
    Returns (h' (B, H), c' (B, H), gates (B, 4H) activated, saved for backward)."""
    nb, n = h.shape
    whh_t = np.ascontiguousarray(w_hh.T)
    h_new = np.empty((nb, n), xw.dtype)
    c_new = np.empty((nb, n), xw.dtype)
    gates = np.empty((nb, 4 * n), xw.dtype)
    zh = np.empty((nb, 4 * n), xw.dtype)
    _pre(h, whh_t, b_hh, zh)
    for b in range(nb):
        _lstm_row(xw[b], zh[b], c[b], h_new[b], c_new[b], gates[b])
    return h_new, c_new, gates


@njit(cache=True)
def lstm_cell_backward(gh, gc, h, c, c_new, gates, w_hh):
    """Backward of the LSTM step (c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh c') from gh = dL/dh', gc = dL/dc' (B, H) and
    the saved h, c, c', gates. Returns (dxw (B, 4H), dh (B, H), dc (B, H), dW_hh (4H, H), db_hh (4H,))."""
    nb, n = h.shape
    dxw = np.empty((nb, 4 * n), gh.dtype)
    dh = np.zeros((nb, n), gh.dtype)
    dc = np.empty((nb, n), gh.dtype)
    dw = np.zeros(w_hh.shape, gh.dtype)
    db = np.zeros(4 * n, gh.dtype)
    for b in range(nb):
        _lstm_row_backward(gh[b], gc[b], c[b], c_new[b], gates[b], dxw[b], dc[b])
    _mm_acc(dxw, w_hh, dh)
    _grad_w(dxw, h, dw, db)
    return dxw, dh, dc, dw, db


@njit(cache=True)
def gru_cell_forward(xw, h, w_hh, b_hh):
    """GRU step (gates r, z, n): r = σ(a_r + h_r), z = σ(a_z + h_z), n = tanh(a_n + r ⊙ h_n),
    h' = (1 − z) ⊙ n + z ⊙ h with [a_r, a_z, a_n] = xw (B, 3H) and [h_r, h_z, h_n] = h·W_hhᵀ + b_hh, W_hh (3H, H).
    Returns (h' (B, H), gates (B, 4H) = [r, z, n, h_n], saved for backward)."""
    nb, m = h.shape
    whh_t = np.ascontiguousarray(w_hh.T)
    h_new = np.empty((nb, m), xw.dtype)
    gates = np.empty((nb, 4 * m), xw.dtype)
    zh = np.empty((nb, 3 * m), xw.dtype)
    _pre(h, whh_t, b_hh, zh)
    for b in range(nb):
        _gru_row(xw[b], zh[b], h[b], h_new[b], gates[b])
    return h_new, gates


@njit(cache=True)
def gru_cell_backward(g, h, gates, w_hh):
    """Backward of the GRU step h' = (1 − z) ⊙ n + z ⊙ h from g = dL/dh' (B, H), the saved h and gates
    [r, z, n, h_n]. Returns (dxw (B, 3H), dh (B, H), dW_hh (3H, H), db_hh (3H,))."""
    nb, m = h.shape
    dxw = np.empty((nb, 3 * m), g.dtype)
    dh = np.empty((nb, m), g.dtype)
    dw = np.zeros(w_hh.shape, g.dtype)
    db = np.zeros(3 * m, g.dtype)
    dzh = np.empty((nb, 3 * m), g.dtype)
    for b in range(nb):
        _gru_row_backward(g[b], h[b], gates[b], dxw[b], dzh[b], dh[b])
    _mm_acc(dzh, w_hh, dh)
    _grad_w(dzh, h, dw, db)
    return dxw, dh, dw, db


# ----------------------------------------------------------------------------- whole sequences
# The samples of a batch are independent through the whole recurrence (only dW_hh and db_hh sum over them), so a
# sequence kernel splits the batch into one block of rows per thread (``_blocks``) and runs the entire time loop
# of each block inside one ``prange`` iteration: one fork/join per call, none per step, every core busy. Per step
# a block's hidden product is one blocked product (``_pre`` forward, ``_mm_acc`` for dh ← dz·W_hh backward);
# rows of samples past their length are computed and discarded forward, and carry a zero dz backward. dW_hh =
# Σ_s dz_sᵀ·h_s and db_hh are computed after the compiled time loop as one (G·H, T·B)·(T·B, H) BLAS product from
# the hidden-side gradients saved by step (``_weight_grad``). Every row's arithmetic is the same whatever the
# split, so results do not depend on the thread count.
_MIN_ROWS = 4   # rows per block at least (the register block of ``_mm_acc`` is 8 rows; 4-row blocks follow)


def _blocks(nb):
    """How many row blocks to split a batch of nb rows into: one per Numba thread, each of ≥ _MIN_ROWS rows
    (decided in Python: a compiled function that reads the thread count cannot be cached)."""
    return max(1, min(get_num_threads(), nb // _MIN_ROWS))


@njit(cache=True)
def _bounds(c, nblk, nb):
    """Rows [b0, b1) of block c of nblk."""
    return c * nb // nblk, (c + 1) * nb // nblk


def _weight_grad(dzs, hs):
    """dW_hh = Σ_s dz_sᵀ·h_s and db_hh = Σ_s Σ_b dz_s for dz by step (T, B, G·H) and hs (T+1, B, H): one
    (G·H, T·B)·(T·B, H) product through np.matmul (BLAS reads the transposed operand in place; called from
    Python, since np.dot inside @njit would need SciPy)."""
    nt, nb, gh = dzs.shape
    dz = dzs.reshape(nt * nb, gh)
    return np.matmul(dz.T, hs[:nt].reshape(nt * nb, hs.shape[2])), dz.sum(axis=0)


@njit(cache=True)
def _time(s, length, reverse):
    """The time index processed at step s by a sample of ``length`` valid steps."""
    return length - 1 - s if reverse else s


@njit(cache=True)
def _rnn_forward_rows(xw, whh_t, b_hh, lengths, relu, reverse, out, hs, b0, b1):
    """The Elman time loop of ``rnn_sequence_forward`` for batch rows [b0, b1)."""
    zh = np.empty((b1 - b0, xw.shape[2]), xw.dtype)
    for s in range(xw.shape[0]):
        _pre(hs[s, b0:b1], whh_t, b_hh, zh)
        for b in range(b0, b1):
            ln = lengths[b]
            if s >= ln:
                hs[s + 1, b] = hs[s, b]
                continue
            t = _time(s, ln, reverse)
            _elman_row(xw[t, b], zh[b - b0], relu, hs[s + 1, b])
            out[t, b] = hs[s + 1, b]


def rnn_sequence_forward(xw, h0, w_hh, b_hh, lengths, relu, reverse):
    """Elman recurrence over a whole sequence (lecture: h_t = f(W_xh·x_t + W_hh·h_{t−1} + b_h)):
    h_t = φ(xw_t + h_{t−1}·W_hhᵀ + b_hh) for xw (T, B, H), h0 (B, H), W_hh (H, H), b_hh (H,), lengths (B,) int64,
    φ = relu if ``relu`` else tanh, in ``reverse`` order per sample if asked (see the module docstring).
    Returns (out (T, B, H), zero where t ≥ lengths[b]; h_n (B, H), the final state; hs (T+1, B, H), the state
    after each step, h_n being a view of hs[T])."""
    out, hs = _rnn_forward(xw, h0, w_hh, b_hh, lengths, relu, reverse, _blocks(xw.shape[1]))
    return out, hs[-1], hs


@njit(cache=True, parallel=True)
def _rnn_forward(xw, h0, w_hh, b_hh, lengths, relu, reverse, nblk):
    """``rnn_sequence_forward`` with the batch split into nblk row blocks."""
    nt, nb, n = xw.shape
    whh_t = np.ascontiguousarray(w_hh.T)
    out = np.zeros((nt, nb, n), xw.dtype)
    hs = np.empty((nt + 1, nb, n), xw.dtype)
    hs[0] = h0
    for c in prange(nblk):
        b0, b1 = _bounds(c, nblk, nb)
        _rnn_forward_rows(xw, whh_t, b_hh, lengths, relu, reverse, out, hs, b0, b1)
    return out, hs


@njit(cache=True)
def _rnn_bptt_rows(g_out, hs, w_hh, lengths, relu, reverse, dxw, dzs, dh, b0, b1):
    """The BPTT time loop of ``rnn_sequence_backward`` for batch rows [b0, b1) (dh holds g_hn on entry)."""
    nt, _, n = g_out.shape
    d = np.empty(n, g_out.dtype)
    for s in range(nt - 1, -1, -1):
        dz = dzs[s, b0:b1]
        for b in range(b0, b1):
            ln = lengths[b]
            if s >= ln:
                continue
            t = _time(s, ln, reverse)
            for j in range(n):
                d[j] = dh[b, j] + g_out[t, b, j]
                dh[b, j] = 0
            _elman_row_backward(d, hs[s + 1, b], relu, dz[b - b0])
            if reverse:
                dxw[t, b] = dz[b - b0]
        _mm_acc(dz, w_hh, dh[b0:b1])


@njit(cache=True, parallel=True)
def _rnn_bptt(g_out, g_hn, hs, w_hh, lengths, relu, reverse, nblk):
    """The time loop of ``rnn_sequence_backward``: returns (dxw (T, B, H), dz by step (T, B, H), dh0 (B, H))."""
    nt, nb, n = g_out.shape
    dzs = np.zeros((nt, nb, n), g_out.dtype)
    # Forward in time, step s is time s for every sample, so d(xw) by time is dz by step (zero past a length).
    dxw = np.zeros((nt, nb, n), g_out.dtype) if reverse else dzs
    dh = g_hn.copy()
    for c in prange(nblk):
        b0, b1 = _bounds(c, nblk, nb)
        _rnn_bptt_rows(g_out, hs, w_hh, lengths, relu, reverse, dxw, dzs, dh, b0, b1)
    return dxw, dzs, dh


def rnn_sequence_backward(g_out, g_hn, hs, w_hh, lengths, relu, reverse):
    """BPTT of ``rnn_sequence_forward`` in one call, from g_out = dL/dout (T, B, H), g_hn = dL/dh_final (B, H)
    and the saved hs: going back over the steps, dh ← dh + g_out_t, dz = dh ⊙ φ'(z_t), d(xw_t) = dz,
    db_hh += dz, dW_hh += dzᵀ·h_{t−1}, dh ← dz·W_hh (steps t ≥ lengths[b] pass dh through unchanged).
    Returns (dxw (T, B, H), dW_hh (H, H), db_hh (H,), dh0 (B, H))."""
    dxw, dzs, dh = _rnn_bptt(g_out, g_hn, hs, w_hh, lengths, relu, reverse, _blocks(g_out.shape[1]))
    dw, db = _weight_grad(dzs, hs)
    return dxw, dw, db, dh


@njit(cache=True)
def _lstm_forward_rows(xw, whh_t, b_hh, lengths, reverse, out, hs, cs, gates, b0, b1):
    """The LSTM time loop of ``lstm_sequence_forward`` for batch rows [b0, b1)."""
    zh = np.empty((b1 - b0, xw.shape[2]), xw.dtype)
    for s in range(xw.shape[0]):
        _pre(hs[s, b0:b1], whh_t, b_hh, zh)
        for b in range(b0, b1):
            ln = lengths[b]
            if s >= ln:
                hs[s + 1, b] = hs[s, b]
                cs[s + 1, b] = cs[s, b]
                continue
            t = _time(s, ln, reverse)
            _lstm_row(xw[t, b], zh[b - b0], cs[s, b], hs[s + 1, b], cs[s + 1, b], gates[s, b])
            out[t, b] = hs[s + 1, b]


def lstm_sequence_forward(xw, h0, c0, w_hh, b_hh, lengths, reverse):
    """LSTM recurrence over a whole sequence (gates i, f, g, o): [i, f, g, o]_t = [σ, σ, tanh, σ](xw_t +
    h_{t−1}·W_hhᵀ + b_hh), c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh c_t, for xw (T, B, 4H), h0, c0 (B, H),
    W_hh (4H, H), b_hh (4H,), lengths (B,) int64, ``reverse`` per sample if asked.
    Returns (out (T, B, H) zero where t ≥ lengths[b]; h_n, c_n (B, H) the final states, views of hs[T] and
    cs[T]; hs, cs (T+1, B, H) the states after each step; gates (T, B, 4H) activated, by step)."""
    out, hs, cs, gates = _lstm_forward(xw, h0, c0, w_hh, b_hh, lengths, reverse, _blocks(xw.shape[1]))
    return out, hs[-1], cs[-1], hs, cs, gates


@njit(cache=True, parallel=True)
def _lstm_forward(xw, h0, c0, w_hh, b_hh, lengths, reverse, nblk):
    """``lstm_sequence_forward`` with the batch split into nblk row blocks."""
    nt, nb, g4 = xw.shape
    n = g4 // 4
    whh_t = np.ascontiguousarray(w_hh.T)
    out = np.zeros((nt, nb, n), xw.dtype)
    hs = np.empty((nt + 1, nb, n), xw.dtype)
    cs = np.empty((nt + 1, nb, n), xw.dtype)
    gates = np.zeros((nt, nb, g4), xw.dtype)
    hs[0] = h0
    cs[0] = c0
    for c in prange(nblk):
        b0, b1 = _bounds(c, nblk, nb)
        _lstm_forward_rows(xw, whh_t, b_hh, lengths, reverse, out, hs, cs, gates, b0, b1)
    return out, hs, cs, gates


@njit(cache=True)
def _lstm_bptt_rows(g_out, hs, cs, gates, w_hh, lengths, reverse, dxw, dzs, dh, dc, b0, b1):
    """The BPTT time loop of ``lstm_sequence_backward`` for batch rows [b0, b1) (dh, dc hold g_hn, g_cn)."""
    nt, _, n = g_out.shape
    d = np.empty(n, g_out.dtype)
    dcp = np.empty(n, g_out.dtype)
    for s in range(nt - 1, -1, -1):
        dz = dzs[s, b0:b1]
        for b in range(b0, b1):
            ln = lengths[b]
            if s >= ln:
                continue
            t = _time(s, ln, reverse)
            for j in range(n):
                d[j] = dh[b, j] + g_out[t, b, j]
                dh[b, j] = 0
            _lstm_row_backward(d, dc[b], cs[s, b], cs[s + 1, b], gates[s, b], dz[b - b0], dcp)
            dc[b] = dcp
            if reverse:
                dxw[t, b] = dz[b - b0]
        _mm_acc(dz, w_hh, dh[b0:b1])


@njit(cache=True, parallel=True)
def _lstm_bptt(g_out, g_hn, g_cn, hs, cs, gates, w_hh, lengths, reverse, nblk):
    """The time loop of ``lstm_sequence_backward``: returns (dxw (T, B, 4H), dz by step (T, B, 4H), dh0, dc0)."""
    nt, nb, n = g_out.shape
    dzs = np.zeros((nt, nb, 4 * n), g_out.dtype)
    dxw = np.zeros((nt, nb, 4 * n), g_out.dtype) if reverse else dzs   # see _rnn_bptt
    dh = g_hn.copy()
    dc = g_cn.copy()
    for c in prange(nblk):
        b0, b1 = _bounds(c, nblk, nb)
        _lstm_bptt_rows(g_out, hs, cs, gates, w_hh, lengths, reverse, dxw, dzs, dh, dc, b0, b1)
    return dxw, dzs, dh, dc


def lstm_sequence_backward(g_out, g_hn, g_cn, hs, cs, gates, w_hh, lengths, reverse):
    """BPTT of ``lstm_sequence_forward`` in one call, from g_out (T, B, H), the final states' gradients g_hn,
    g_cn (B, H) and the saved hs, cs, gates: per step backwards dh ← dh + g_out_t, then the LSTM step backward
    (dc_tot = dc + dh ⊙ o ⊙ (1 − tanh² c_t), gate gradients, dc ← dc_tot ⊙ f) and the W_hh path
    (dW_hh += dzᵀ·h_{t−1}, dh ← dz·W_hh); steps t ≥ lengths[b] pass dh, dc through.
    Returns (dxw (T, B, 4H), dW_hh (4H, H), db_hh (4H,), dh0 (B, H), dc0 (B, H))."""
    dxw, dzs, dh, dc = _lstm_bptt(g_out, g_hn, g_cn, hs, cs, gates, w_hh, lengths, reverse, _blocks(g_out.shape[1]))
    dw, db = _weight_grad(dzs, hs)
    return dxw, dw, db, dh, dc


@njit(cache=True)
def _gru_forward_rows(xw, whh_t, b_hh, lengths, reverse, out, hs, gates, b0, b1):
    """The GRU time loop of ``gru_sequence_forward`` for batch rows [b0, b1)."""
    zh = np.empty((b1 - b0, xw.shape[2]), xw.dtype)
    for s in range(xw.shape[0]):
        _pre(hs[s, b0:b1], whh_t, b_hh, zh)
        for b in range(b0, b1):
            ln = lengths[b]
            if s >= ln:
                hs[s + 1, b] = hs[s, b]
                continue
            t = _time(s, ln, reverse)
            _gru_row(xw[t, b], zh[b - b0], hs[s, b], hs[s + 1, b], gates[s, b])
            out[t, b] = hs[s + 1, b]


def gru_sequence_forward(xw, h0, w_hh, b_hh, lengths, reverse):
    """GRU recurrence over a whole sequence (gates r, z, n): r_t = σ(a_r + h_r), z_t = σ(a_z + h_z),
    n_t = tanh(a_n + r_t ⊙ h_n), h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1} with [a_r, a_z, a_n] = xw_t and
    [h_r, h_z, h_n] = h_{t−1}·W_hhᵀ + b_hh, for xw (T, B, 3H), h0 (B, H), W_hh (3H, H), b_hh (3H,), lengths (B,)
    int64, ``reverse`` per sample if asked. Returns (out (T, B, H) zero where t ≥ lengths[b]; the final state
    (B, H), a view of hs[T]; hs (T+1, B, H); gates (T, B, 4H) = [r, z, n, h_n] by step)."""
    out, hs, gates = _gru_forward(xw, h0, w_hh, b_hh, lengths, reverse, _blocks(xw.shape[1]))
    return out, hs[-1], hs, gates


@njit(cache=True, parallel=True)
def _gru_forward(xw, h0, w_hh, b_hh, lengths, reverse, nblk):
    """``gru_sequence_forward`` with the batch split into nblk row blocks."""
    nt, nb, g3 = xw.shape
    m = g3 // 3
    whh_t = np.ascontiguousarray(w_hh.T)
    out = np.zeros((nt, nb, m), xw.dtype)
    hs = np.empty((nt + 1, nb, m), xw.dtype)
    gates = np.zeros((nt, nb, 4 * m), xw.dtype)
    hs[0] = h0
    for c in prange(nblk):
        b0, b1 = _bounds(c, nblk, nb)
        _gru_forward_rows(xw, whh_t, b_hh, lengths, reverse, out, hs, gates, b0, b1)
    return out, hs, gates


@njit(cache=True)
def _gru_bptt_rows(g_out, hs, gates, w_hh, lengths, reverse, dxw, dzs, dh, b0, b1):
    """The BPTT time loop of ``gru_sequence_backward`` for batch rows [b0, b1) (dh holds g_hn on entry)."""
    nt, _, m = g_out.shape
    d = np.empty(m, g_out.dtype)
    for s in range(nt - 1, -1, -1):
        dz = dzs[s, b0:b1]
        for b in range(b0, b1):
            ln = lengths[b]
            if s >= ln:
                continue
            t = _time(s, ln, reverse)
            for j in range(m):
                d[j] = dh[b, j] + g_out[t, b, j]
            _gru_row_backward(d, hs[s, b], gates[s, b], dxw[t, b], dz[b - b0], dh[b])
        _mm_acc(dz, w_hh, dh[b0:b1])


@njit(cache=True, parallel=True)
def _gru_bptt(g_out, g_hn, hs, gates, w_hh, lengths, reverse, nblk):
    """The time loop of ``gru_sequence_backward``: returns (dxw (T, B, 3H), hidden-side dz by step (T, B, 3H),
    dh0 (B, H))."""
    nt, nb, m = g_out.shape
    dxw = np.zeros((nt, nb, 3 * m), g_out.dtype)
    dzs = np.zeros((nt, nb, 3 * m), g_out.dtype)
    dh = g_hn.copy()
    for c in prange(nblk):
        b0, b1 = _bounds(c, nblk, nb)
        _gru_bptt_rows(g_out, hs, gates, w_hh, lengths, reverse, dxw, dzs, dh, b0, b1)
    return dxw, dzs, dh


def gru_sequence_backward(g_out, g_hn, hs, gates, w_hh, lengths, reverse):
    """BPTT of ``gru_sequence_forward`` in one call, from g_out (T, B, H), g_hn (B, H) and the saved hs, gates:
    per step backwards dh ← dh + g_out_t, the GRU step backward (see ``gru_cell_backward``) and the W_hh path;
    steps t ≥ lengths[b] pass dh through. Returns (dxw (T, B, 3H), dW_hh (3H, H), db_hh (3H,), dh0 (B, H))."""
    dxw, dzs, dh = _gru_bptt(g_out, g_hn, hs, gates, w_hh, lengths, reverse, _blocks(g_out.shape[1]))
    dw, db = _weight_grad(dzs, hs)
    return dxw, dw, db, dh


__all__ = ["rnn_cell_forward", "rnn_cell_backward", "lstm_cell_forward", "lstm_cell_backward", "gru_cell_forward",
           "gru_cell_backward", "rnn_sequence_forward", "rnn_sequence_backward", "lstm_sequence_forward",
           "lstm_sequence_backward", "gru_sequence_forward", "gru_sequence_backward"]
