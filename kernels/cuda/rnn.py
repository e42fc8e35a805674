"""Recurrent kernels on the GPU: the Elman RNN, LSTM and GRU, one step (cells) and whole sequences (BPTT in one
call) — the ``@cuda.jit`` twins of kernels/cpu/rnn.py, with the same names, arguments, return structures and
PyTorch's equations and gate layouts:

* Elman:  h' = φ(xw + h·W_hhᵀ + b_hh), φ = tanh or relu.
* LSTM:   [i, f, g, o] = [σ, σ, tanh, σ](xw + h·W_hhᵀ + b_hh)   (W_hh (4H, H) stacks the gates i, f, g, o)
          c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c').
* GRU:    [a_r, a_z, a_n] = xw,  [h_r, h_z, h_n] = h·W_hhᵀ + b_hh   (W_hh (3H, H) stacks r, z, n)
          r = σ(a_r + h_r),  z = σ(a_z + h_z),  n = tanh(a_n + r ⊙ h_n),  h' = (1 − z) ⊙ n + z ⊙ h.

``xw`` is the input projection x·W_ihᵀ + b_ih, computed by the op layer (tinygradnb.ops.rnn) for every time step
at once as one matrix product; these kernels do the hidden-to-hidden product inside the recurrence. Sequence
kernels take xw (T, B, G·H), the initial state(s) (B, H), W_hh (G·H, H), b_hh (G·H,), ``lengths`` (B,) int64 with
1 ≤ lengths[b] ≤ T and a ``reverse`` flag, with PyTorch's packed-sequence semantics (see the CPU twin): sample b
runs only over its valid steps, its output is 0 at t ≥ lengths[b] and its state is carried unchanged there;
with ``reverse`` its valid prefix runs backwards. Saved states are indexed by step (hs[0] = h_0, hs[s+1] = the
state after step s).

Structure. A whole sequence is one launch each way (see "whole-sequence kernels" below): one block per batch row,
the time loop inside the kernel and a ``syncthreads`` per step (per phase backward), so that the launches of a
recurrent layer do not grow with T (at toy sizes a launch costs more than a step's arithmetic):

* forward: thread j of row b's block forms its G hidden products b_hh + h·W_hhᵀ itself (dot products of length H
  over W_hhᵀ, made contiguous once per call, so consecutive threads read consecutive weights; the sums of
  ``_hidden``, which the cells use), then the gate math; it also copies the state and zeroes the output/gates of
  samples past their length;
* backward: per step the gate backward (dz for the step, saved by step, and the direct part of dh_{t−1}), then
  dh += dz·W_hh (it needs every dz of the row's step, hence the ``syncthreads`` between the two).

The one-step cells launch over (B × H) threads, as before (``_hidden``, ``_back_hidden``).

dW_hh = Σ_s dz_sᵀ·h_s and db_hh = Σ_s Σ_b dz_s need no step order: one launch after the time loop
(``_grad_w``, one thread per weight summing over the T·B rows in a fixed order, so deterministic, no atomics).
The per-step dot products (the hidden products, length H or G·H) accumulate in the arrays' dtype, as a BLAS
would (float64 runs at a small fraction of the float32 rate on most GPUs); the weight-gradient sums over T·B rows
accumulate in float64. The gate non-linearities run on the stored dtype with libdevice's exp/tanh (as the
activation kernels).

All outputs are freshly allocated C-contiguous device arrays of the inputs' dtype (float32 or float64); nothing
is validated here (the op layer checks shapes, dtypes and lengths).
"""
import math

from numba import cuda, float64

from ._launch import jit, launch, launch_rows
from .array import empty
from .shape import transpose


# The per-element gate math is shared by the cell and the sequence kernels through device functions declared
# ``inline="always"`` (a device function compiled separately needs a CUDA context to pick its target, which
# numba.cuda.compile_ptx does not have on a machine without a GPU; see _launch). Inlined, the kernels run the
# same operations in the same order and dtypes as if the math were written out in each. The store helpers take
# 2-D arrays: the sequence kernels pass the step's rows (gates[s], dzs[s], dxw[t], …). σ(v) is 1/(1 + e^(−v)):
# for v → −∞ e^(−v) overflows to inf and σ to 0, its limit, so no branch is needed.

# ----------------------------------------------------------------------------- gate device functions
@cuda.jit(device=True, inline="always")
def _sigmoid(v):
    """σ(v) = 1/(1 + e^(−v)), as e^v/(1 + e^v) for v < 0 so that e^x never overflows (the simulator's Python
    math.exp raises where a GPU gives inf)."""
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


@cuda.jit(device=True, inline="always")
def _rnn_act(v, relu):
    """h' = φ(v): relu or tanh."""
    if relu:
        return v if v > 0 else 0.0
    return math.tanh(v)


@cuda.jit(device=True, inline="always")
def _rnn_act_bwd(d, y, relu):
    """dz = d ⊙ φ'(z) from y = φ(z): 1[y > 0] for relu, 1 − y² for tanh."""
    if relu:
        return d if y > 0 else 0.0
    return d * (1.0 - y * y)


@cuda.jit(device=True, inline="always")
def _lstm_gates(zi, zf, zg, zo, c):
    """[i, f, g, o] = [σ, σ, tanh, σ](z), c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh c'. Returns (i, f, g, o, c', h')."""
    i = _sigmoid(zi)
    f = _sigmoid(zf)
    g = math.tanh(zg)
    o = _sigmoid(zo)
    cn = f * c + i * g
    return i, f, g, o, cn, o * math.tanh(cn)


@cuda.jit(device=True, inline="always")
def _lstm_gates_bwd(d, dc, c, c_new, i, f, g, o):
    """From d = dL/dh', dc = dL/dc': dc_tot = dc + d ⊙ o ⊙ (1 − tanh² c'); returns the gate gradients
    (dc_tot ⊙ g ⊙ i(1−i), dc_tot ⊙ c ⊙ f(1−f), dc_tot ⊙ i ⊙ (1−g²), d ⊙ tanh c' ⊙ o(1−o)) and dc_tot ⊙ f."""
    tc = math.tanh(c_new)
    dct = dc + d * o * (1.0 - tc * tc)
    di = dct * g * i * (1.0 - i)
    df = dct * c * f * (1.0 - f)
    dg = dct * i * (1.0 - g * g)
    do = d * tc * o * (1.0 - o)
    return di, df, dg, do, dct * f


@cuda.jit(device=True, inline="always")
def _gru_gates(ar, az, an, hr, hz, hn, h):
    """r = σ(a_r + h_r), z = σ(a_z + h_z), n = tanh(a_n + r ⊙ h_n), h' = (1 − z) ⊙ n + z ⊙ h. Returns (r, z, n, h')."""
    r = _sigmoid(ar + hr)
    z = _sigmoid(az + hz)
    nn = math.tanh(an + r * hn)
    return r, z, nn, (1.0 - z) * nn + z * h


@cuda.jit(device=True, inline="always")
def _gru_gates_bwd(d, h, r, z, nn, hn):
    """da_n = d ⊙ (1 − z) ⊙ (1 − n²), da_r = da_n ⊙ h_n ⊙ r(1 − r), da_z = d ⊙ (h − n) ⊙ z(1 − z).
    Returns (da_r, da_z, da_n, da_n ⊙ r, d ⊙ z)."""
    dan = d * (1.0 - z) * (1.0 - nn * nn)
    dar = dan * hn * r * (1.0 - r)
    daz = d * (h - nn) * z * (1.0 - z)
    return dar, daz, dan, dan * r, d * z


@cuda.jit(device=True, inline="always")
def _store3(a, b, j, n, v0, v1, v2):
    """a[b, q·n + j] = v_q for q = 0, 1, 2."""
    a[b, j] = v0
    a[b, n + j] = v1
    a[b, 2 * n + j] = v2


@cuda.jit(device=True, inline="always")
def _store4(a, b, j, n, v0, v1, v2, v3):
    """a[b, q·n + j] = v_q for q = 0, …, 3."""
    a[b, j] = v0
    a[b, n + j] = v1
    a[b, 2 * n + j] = v2
    a[b, 3 * n + j] = v3


@cuda.jit(device=True, inline="always")
def _zero(a, b, j, n, k):
    """a[b, q·n + j] = 0 for q < k."""
    for q in range(k):
        a[b, q * n + j] = 0


# ----------------------------------------------------------------------------- shared kernels
@jit
def _hidden(h, wt, bias, zh):
    """zh (B, G·H) = bias + h·W_hhᵀ from h (B, H) and W_hhᵀ (H, G·H); one dot product per thread, in the
    arrays' dtype."""
    gh = zh.shape[1]
    nk = h.shape[1]
    for i in range(cuda.grid(1), zh.shape[0] * gh, cuda.gridsize(1)):
        b = i // gh
        j = i - b * gh
        acc = bias[j]
        for k in range(nk):
            acc += h[b, k] * wt[k, j]
        zh[b, j] = acc


@jit
def _back_hidden(dz, w, dh):
    """dh (B, H) += dz·W_hh for dz (B, G·H), W_hh (G·H, H); one dot product per thread, in the arrays' dtype."""
    n = dh.shape[1]
    gh = dz.shape[1]
    for i in range(cuda.grid(1), dh.shape[0] * n, cuda.gridsize(1)):
        b = i // n
        k = i - b * n
        acc = dh[b, k]
        for j in range(gh):
            acc += dz[b, j] * w[j, k]
        dh[b, k] = acc


@jit
def _grad_w(dz, h, dw, db):
    """dW_hh (G·H, H) = dzᵀ·h and db_hh (G·H,) = Σ_r dz[r] for dz (R, G·H), h (R, H): one thread per weight,
    summing the R rows in order (float64); the thread of column 0 also sums db."""
    n = dw.shape[1]
    nr = dz.shape[0]
    for i in range(cuda.grid(1), dw.shape[0] * n, cuda.gridsize(1)):
        j = i // n
        k = i - j * n
        acc = 0.0
        for r in range(nr):
            acc += float64(dz[r, j]) * float64(h[r, k])
        dw[j, k] = acc
        if k == 0:
            sb = 0.0
            for r in range(nr):
                sb += float64(dz[r, j])
            db[j] = sb


# ----------------------------------------------------------------------------- cell kernels
@jit
def _rnn_cell_fwd(xw, zh, relu, out):
    """h' = φ(xw + zh): relu or tanh."""
    n = out.shape[1]
    for i in range(cuda.grid(1), out.shape[0] * n, cuda.gridsize(1)):
        b = i // n
        j = i - b * n
        out[b, j] = _rnn_act(xw[b, j] + zh[b, j], relu)


@jit
def _rnn_cell_bwd(g, h_new, relu, dz, dh):
    """dz = g ⊙ φ'(z) from h' = φ(z) (1[h' > 0] for relu, 1 − h'² for tanh); dh = 0 (the W_hh path follows)."""
    n = dz.shape[1]
    for i in range(cuda.grid(1), dz.shape[0] * n, cuda.gridsize(1)):
        b = i // n
        j = i - b * n
        dz[b, j] = _rnn_act_bwd(g[b, j], h_new[b, j], relu)
        dh[b, j] = 0


@jit
def _lstm_cell_fwd(xw, zh, c, h_new, c_new, gates):
    """[i, f, g, o] = [σ, σ, tanh, σ](xw + zh), c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh c'."""
    n = c.shape[1]
    for e in range(cuda.grid(1), c.shape[0] * n, cuda.gridsize(1)):
        b = e // n
        j = e - b * n
        i, f, g, o, cn, hn = _lstm_gates(xw[b, j] + zh[b, j], xw[b, n + j] + zh[b, n + j],
                                         xw[b, 2 * n + j] + zh[b, 2 * n + j], xw[b, 3 * n + j] + zh[b, 3 * n + j],
                                         c[b, j])
        _store4(gates, b, j, n, i, f, g, o)
        c_new[b, j] = cn
        h_new[b, j] = hn


@jit
def _lstm_cell_bwd(gh, gc, c, c_new, gates, dz, dc, dh):
    """dc_tot = gc + gh ⊙ o ⊙ (1 − tanh² c'); dz = [dc_tot ⊙ g ⊙ i(1−i), dc_tot ⊙ c ⊙ f(1−f), dc_tot ⊙ i ⊙ (1−g²),
    gh ⊙ tanh c' ⊙ o(1−o)]; dc = dc_tot ⊙ f; dh = 0 (the W_hh path follows)."""
    n = c.shape[1]
    for e in range(cuda.grid(1), c.shape[0] * n, cuda.gridsize(1)):
        b = e // n
        j = e - b * n
        di, df, dg, do, dcp = _lstm_gates_bwd(gh[b, j], gc[b, j], c[b, j], c_new[b, j], gates[b, j],
                                              gates[b, n + j], gates[b, 2 * n + j], gates[b, 3 * n + j])
        _store4(dz, b, j, n, di, df, dg, do)
        dc[b, j] = dcp
        dh[b, j] = 0


@jit
def _gru_cell_fwd(xw, zh, h, h_new, gates):
    """r = σ(a_r + h_r), z = σ(a_z + h_z), n = tanh(a_n + r ⊙ h_n), h' = (1 − z) ⊙ n + z ⊙ h; gates [r, z, n, h_n]."""
    m = h.shape[1]
    for e in range(cuda.grid(1), h.shape[0] * m, cuda.gridsize(1)):
        b = e // m
        j = e - b * m
        hn = zh[b, 2 * m + j]
        r, z, nn, hnew = _gru_gates(xw[b, j], xw[b, m + j], xw[b, 2 * m + j], zh[b, j], zh[b, m + j], hn, h[b, j])
        _store4(gates, b, j, m, r, z, nn, hn)
        h_new[b, j] = hnew


@jit
def _gru_cell_bwd(g, h, gates, dxw, dzh, dh):
    """da_n = g ⊙ (1 − z) ⊙ (1 − n²), da_r = da_n ⊙ h_n ⊙ r(1 − r), da_z = g ⊙ (h − n) ⊙ z(1 − z);
    dxw = [da_r, da_z, da_n], dzh = [da_r, da_z, da_n ⊙ r], dh = g ⊙ z (the W_hh path follows)."""
    m = h.shape[1]
    for e in range(cuda.grid(1), h.shape[0] * m, cuda.gridsize(1)):
        b = e // m
        j = e - b * m
        dar, daz, dan, danr, dhd = _gru_gates_bwd(g[b, j], h[b, j], gates[b, j], gates[b, m + j],
                                                  gates[b, 2 * m + j], gates[b, 3 * m + j])
        _store3(dxw, b, j, m, dar, daz, dan)
        _store3(dzh, b, j, m, dar, daz, danr)
        dh[b, j] = dhd


# ----------------------------------------------------------------------------- whole-sequence kernels
# One launch runs a whole sequence (Diamos et al., "Persistent RNNs", 2016, in its simplest form): one block per
# batch row (grid-stride over the rows), the time loop inside the kernel, the block's threads over the units j of
# the row, and a ``syncthreads`` between steps (rows are independent, so no grid-wide synchronisation is needed).
# Backward, each step is two phases with a ``syncthreads`` between them: the gate backward writes the row's dz for
# the step, then dh[b, k] += Σ_g dz[b, g]·W_hh[g, k] reads all of it. Step s of sample b processes time t = s (or
# lengths[b] − 1 − s with ``reverse``) when s < lengths[b]; at a step s ≥ lengths[b] the time index s itself is one
# of the sample's invalid times (each met exactly once), so the kernel zeroes out/gates (forward) or dz/dxw
# (backward) at index s there: every element of those arrays is written exactly once, and no zero-fill launch is
# needed. The initial states are copied in by the kernels themselves. The gate math is that of the cell kernels
# above (the same device functions), and every sum runs in the same order as theirs.
@cuda.jit(device=True, inline="always")
def _zh(hs, s, b, w, bias, col):
    """(b_hh + h_s·W_hhᵀ)[b, col] = bias[col] + Σ_k hs[s, b, k]·W_hh[col, k], ascending k in the arrays' dtype
    (the sums of ``_hidden``): the forward sequence kernels form their hidden products themselves, each thread
    reading its own rows of W_hh in place (no transposed copy: the rows stream through the cache)."""
    acc = bias[col]
    for k in range(w.shape[1]):
        acc += hs[s, b, k] * w[col, k]
    return acc


@cuda.jit(device=True, inline="always")
def _step_time(ln, s, reverse):
    """The time index that step s processes for a sample of ``ln`` valid steps, or −1 past its length."""
    if s >= ln:
        return -1
    return ln - 1 - s if reverse else s


@cuda.jit(device=True, inline="always")
def _init_rows(dst, src, b):
    """dst[b, :] = src[b, :] by the block's threads (a state's starting row)."""
    for j in range(cuda.threadIdx.x, dst.shape[1], cuda.blockDim.x):
        dst[b, j] = src[b, j]


@cuda.jit(device=True, inline="always")
def _add_back_hidden(dzs, s, b, w, dh):
    """dh[b, k] += Σ_g dz_s[b, g]·W_hh[g, k] for the block's units k (the sums of ``_back_hidden``)."""
    for k in range(cuda.threadIdx.x, dh.shape[1], cuda.blockDim.x):
        acc = dh[b, k]
        for g in range(w.shape[0]):
            acc += dzs[s, b, g] * w[g, k]
        dh[b, k] = acc


@jit
def _rnn_seq_fwd(xw, h0, w, bias, hs, out, lengths, relu, reverse):
    n = out.shape[2]
    for b in range(cuda.blockIdx.x, out.shape[1], cuda.gridDim.x):
        _init_rows(hs[0], h0, b)
        cuda.syncthreads()
        for s in range(xw.shape[0]):
            t = _step_time(lengths[b], s, reverse)
            for j in range(cuda.threadIdx.x, n, cuda.blockDim.x):
                if t < 0:
                    hs[s + 1, b, j] = hs[s, b, j]
                    out[s, b, j] = 0
                else:
                    y = _rnn_act(xw[t, b, j] + _zh(hs, s, b, w, bias, j), relu)
                    hs[s + 1, b, j] = y
                    out[t, b, j] = y
            cuda.syncthreads()


@jit
def _rnn_seq_bwd(g_out, g_hn, hs, w, lengths, relu, reverse, dh, dzs, dxw):
    n = dh.shape[1]
    for b in range(cuda.blockIdx.x, dh.shape[0], cuda.gridDim.x):
        _init_rows(dh, g_hn, b)
        cuda.syncthreads()
        for s in range(g_out.shape[0] - 1, -1, -1):
            t = _step_time(lengths[b], s, reverse)
            for j in range(cuda.threadIdx.x, n, cuda.blockDim.x):
                if t < 0:
                    dzs[s, b, j] = 0
                    if reverse:
                        dxw[s, b, j] = 0
                else:
                    dz = _rnn_act_bwd(dh[b, j] + g_out[t, b, j], hs[s + 1, b, j], relu)
                    dzs[s, b, j] = dz
                    if reverse:
                        dxw[t, b, j] = dz
                    dh[b, j] = 0
            cuda.syncthreads()
            _add_back_hidden(dzs, s, b, w, dh)
            cuda.syncthreads()


@jit
def _lstm_seq_fwd(xw, h0, c0, w, bias, hs, cs, out, gates, lengths, reverse):
    n = out.shape[2]
    for b in range(cuda.blockIdx.x, out.shape[1], cuda.gridDim.x):
        _init_rows(hs[0], h0, b)
        _init_rows(cs[0], c0, b)
        cuda.syncthreads()
        for s in range(xw.shape[0]):
            t = _step_time(lengths[b], s, reverse)
            for j in range(cuda.threadIdx.x, n, cuda.blockDim.x):
                if t < 0:
                    hs[s + 1, b, j] = hs[s, b, j]
                    cs[s + 1, b, j] = cs[s, b, j]
                    out[s, b, j] = 0
                    _zero(gates[s], b, j, n, 4)
                else:
                    i, f, g, o, cn, hn = _lstm_gates(xw[t, b, j] + _zh(hs, s, b, w, bias, j),
                                                     xw[t, b, n + j] + _zh(hs, s, b, w, bias, n + j),
                                                     xw[t, b, 2 * n + j] + _zh(hs, s, b, w, bias, 2 * n + j),
                                                     xw[t, b, 3 * n + j] + _zh(hs, s, b, w, bias, 3 * n + j),
                                                     cs[s, b, j])
                    _store4(gates[s], b, j, n, i, f, g, o)
                    cs[s + 1, b, j] = cn
                    hs[s + 1, b, j] = hn
                    out[t, b, j] = hn
            cuda.syncthreads()


@jit
def _lstm_seq_bwd(g_out, g_hn, g_cn, cs, gates, w, lengths, reverse, dh, dc, dzs, dxw):
    n = dh.shape[1]
    for b in range(cuda.blockIdx.x, dh.shape[0], cuda.gridDim.x):
        _init_rows(dh, g_hn, b)
        _init_rows(dc, g_cn, b)
        cuda.syncthreads()
        for s in range(g_out.shape[0] - 1, -1, -1):
            t = _step_time(lengths[b], s, reverse)
            for j in range(cuda.threadIdx.x, n, cuda.blockDim.x):
                if t < 0:
                    _zero(dzs[s], b, j, n, 4)
                    if reverse:
                        _zero(dxw[s], b, j, n, 4)
                else:
                    di, df, dg, do, dcp = _lstm_gates_bwd(dh[b, j] + g_out[t, b, j], dc[b, j], cs[s, b, j],
                                                          cs[s + 1, b, j], gates[s, b, j], gates[s, b, n + j],
                                                          gates[s, b, 2 * n + j], gates[s, b, 3 * n + j])
                    _store4(dzs[s], b, j, n, di, df, dg, do)
                    if reverse:
                        _store4(dxw[t], b, j, n, di, df, dg, do)
                    dc[b, j] = dcp
                    dh[b, j] = 0
            cuda.syncthreads()
            _add_back_hidden(dzs, s, b, w, dh)
            cuda.syncthreads()


@jit
def _gru_seq_fwd(xw, h0, w, bias, hs, out, gates, lengths, reverse):
    m = out.shape[2]
    for b in range(cuda.blockIdx.x, out.shape[1], cuda.gridDim.x):
        _init_rows(hs[0], h0, b)
        cuda.syncthreads()
        for s in range(xw.shape[0]):
            t = _step_time(lengths[b], s, reverse)
            for j in range(cuda.threadIdx.x, m, cuda.blockDim.x):
                if t < 0:
                    hs[s + 1, b, j] = hs[s, b, j]
                    out[s, b, j] = 0
                    _zero(gates[s], b, j, m, 4)
                else:
                    hn = _zh(hs, s, b, w, bias, 2 * m + j)
                    r, z, nn, hnew = _gru_gates(xw[t, b, j], xw[t, b, m + j], xw[t, b, 2 * m + j],
                                                _zh(hs, s, b, w, bias, j), _zh(hs, s, b, w, bias, m + j), hn,
                                                hs[s, b, j])
                    _store4(gates[s], b, j, m, r, z, nn, hn)
                    hs[s + 1, b, j] = hnew
                    out[t, b, j] = hnew
            cuda.syncthreads()


@jit
def _gru_seq_bwd(g_out, g_hn, hs, gates, w, lengths, reverse, dh, dzs, dxw):
    m = dh.shape[1]
    for b in range(cuda.blockIdx.x, dh.shape[0], cuda.gridDim.x):
        _init_rows(dh, g_hn, b)
        cuda.syncthreads()
        for s in range(g_out.shape[0] - 1, -1, -1):
            t = _step_time(lengths[b], s, reverse)
            for j in range(cuda.threadIdx.x, m, cuda.blockDim.x):
                if t < 0:
                    _zero(dzs[s], b, j, m, 3)
                    _zero(dxw[s], b, j, m, 3)
                else:
                    dar, daz, dan, danr, dhd = _gru_gates_bwd(dh[b, j] + g_out[t, b, j], hs[s, b, j],
                                                              gates[s, b, j], gates[s, b, m + j],
                                                              gates[s, b, 2 * m + j], gates[s, b, 3 * m + j])
                    _store3(dxw[t], b, j, m, dar, daz, dan)
                    _store3(dzs[s], b, j, m, dar, daz, danr)
                    dh[b, j] = dhd
            cuda.syncthreads()
            _add_back_hidden(dzs, s, b, w, dh)
            cuda.syncthreads()


# ----------------------------------------------------------------------------- host helpers
def _hidden_product(h, wt, b_hh, zh):
    """zh = b_hh + h·W_hhᵀ for the whole batch."""
    launch(_hidden, zh.shape[0] * zh.shape[1], h, wt, b_hh, zh)


def _dh_add(dz, w_hh, dh):
    """dh += dz·W_hh for the whole batch."""
    launch(_back_hidden, dh.shape[0] * dh.shape[1], dz, w_hh, dh)


def _weight_grad(dz, h, w_hh):
    """(dW_hh, db_hh) = (dzᵀ·h, Σ_r dz[r]) for dz (R, G·H) and h (R, H)."""
    gh, n = w_hh.shape
    dw = empty((gh, n), dz.dtype)
    db = empty(gh, dz.dtype)
    launch(_grad_w, gh * n, dz, h, dw, db)
    return dw, db


def _seq_weight_grad(dzs, hs, w_hh):
    """dW_hh = Σ_s dz_sᵀ·h_s, db_hh = Σ_s Σ_b dz_s for dz by step (T, B, G·H), hs (T+1, B, H)."""
    nt, nb, gh = dzs.shape
    return _weight_grad(dzs.reshape(nt * nb, gh), hs[:nt].reshape(nt * nb, hs.shape[2]), w_hh)


# ----------------------------------------------------------------------------- cells (one step)
def rnn_cell_forward(xw, h, w_hh, b_hh, relu):
    """Elman step (lecture: h_t = f(W_xh·x_t + W_hh·h_{t−1} + b_h)): h' = φ(xw + h·W_hhᵀ + b_hh) for xw (B, H),
    h (B, H), W_hh (H, H), b_hh (H,); φ = relu if ``relu`` else tanh. Returns h' (B, H)."""
    nb, n = h.shape
    zh = empty((nb, n), xw.dtype)
    _hidden_product(h, transpose(w_hh), b_hh, zh)
    out = empty((nb, n), xw.dtype)
    launch(_rnn_cell_fwd, nb * n, xw, zh, bool(relu), out)
    return out


def rnn_cell_backward(g, h, w_hh, h_new, relu):
    """Backward of the Elman step h' = φ(xw + h·W_hhᵀ + b_hh) from g = dL/dh' (B, H) and the saved h, h':
    dz = g ⊙ φ'(z); dxw = dz, db_hh = Σ_b dz, dW_hh = dzᵀ·h, dh = dz·W_hh. Returns (dxw, dh, dW_hh, db_hh)."""
    nb, n = h.shape
    dxw = empty((nb, n), g.dtype)
    dh = empty((nb, n), g.dtype)
    launch(_rnn_cell_bwd, nb * n, g, h_new, bool(relu), dxw, dh)
    _dh_add(dxw, w_hh, dh)
    dw, db = _weight_grad(dxw, h, w_hh)
    return dxw, dh, dw, db


def lstm_cell_forward(xw, h, c, w_hh, b_hh):
    """LSTM step (gates i, f, g, o): [i, f, g, o] = [σ, σ, tanh, σ](xw + h·W_hhᵀ + b_hh), c' = f ⊙ c + i ⊙ g,
    h' = o ⊙ tanh(c') for xw (B, 4H), h, c (B, H), W_hh (4H, H), b_hh (4H,).
    Returns (h' (B, H), c' (B, H), gates (B, 4H) activated, saved for backward)."""
    nb, n = h.shape
    zh = empty((nb, 4 * n), xw.dtype)
    _hidden_product(h, transpose(w_hh), b_hh, zh)
    h_new = empty((nb, n), xw.dtype)
    c_new = empty((nb, n), xw.dtype)
    gates = empty((nb, 4 * n), xw.dtype)
    launch(_lstm_cell_fwd, nb * n, xw, zh, c, h_new, c_new, gates)
    return h_new, c_new, gates


def lstm_cell_backward(gh, gc, h, c, c_new, gates, w_hh):
    """Backward of the LSTM step (c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh c') from gh = dL/dh', gc = dL/dc' (B, H) and
    the saved h, c, c', gates: dc_tot = gc + gh ⊙ o ⊙ (1 − tanh² c'), dz = [dc_tot ⊙ g ⊙ i(1−i),
    dc_tot ⊙ c ⊙ f(1−f), dc_tot ⊙ i ⊙ (1−g²), gh ⊙ tanh c' ⊙ o(1−o)], dc = dc_tot ⊙ f, dh = dz·W_hh.
    Returns (dxw (B, 4H), dh (B, H), dc (B, H), dW_hh (4H, H), db_hh (4H,))."""
    nb, n = h.shape
    dxw = empty((nb, 4 * n), gh.dtype)
    dh = empty((nb, n), gh.dtype)
    dc = empty((nb, n), gh.dtype)
    launch(_lstm_cell_bwd, nb * n, gh, gc, c, c_new, gates, dxw, dc, dh)
    _dh_add(dxw, w_hh, dh)
    dw, db = _weight_grad(dxw, h, w_hh)
    return dxw, dh, dc, dw, db


def gru_cell_forward(xw, h, w_hh, b_hh):
    """GRU step (gates r, z, n): r = σ(a_r + h_r), z = σ(a_z + h_z), n = tanh(a_n + r ⊙ h_n),
    h' = (1 − z) ⊙ n + z ⊙ h with [a_r, a_z, a_n] = xw (B, 3H) and [h_r, h_z, h_n] = h·W_hhᵀ + b_hh, W_hh (3H, H).
    Returns (h' (B, H), gates (B, 4H) = [r, z, n, h_n], saved for backward)."""
    nb, m = h.shape
    zh = empty((nb, 3 * m), xw.dtype)
    _hidden_product(h, transpose(w_hh), b_hh, zh)
    h_new = empty((nb, m), xw.dtype)
    gates = empty((nb, 4 * m), xw.dtype)
    launch(_gru_cell_fwd, nb * m, xw, zh, h, h_new, gates)
    return h_new, gates


def gru_cell_backward(g, h, gates, w_hh):
    """Backward of the GRU step h' = (1 − z) ⊙ n + z ⊙ h from g = dL/dh' (B, H), the saved h and gates
    [r, z, n, h_n]: da_n = g ⊙ (1 − z) ⊙ (1 − n²), da_r = da_n ⊙ h_n ⊙ r(1 − r), da_z = g ⊙ (h − n) ⊙ z(1 − z);
    dxw = [da_r, da_z, da_n], hidden side dzh = [da_r, da_z, da_n ⊙ r], dh = g ⊙ z + dzh·W_hh, dW_hh = dzhᵀ·h,
    db_hh = Σ_b dzh. Returns (dxw (B, 3H), dh (B, H), dW_hh (3H, H), db_hh (3H,))."""
    nb, m = h.shape
    dxw = empty((nb, 3 * m), g.dtype)
    dzh = empty((nb, 3 * m), g.dtype)
    dh = empty((nb, m), g.dtype)
    launch(_gru_cell_bwd, nb * m, g, h, gates, dxw, dzh, dh)
    _dh_add(dzh, w_hh, dh)
    dw, db = _weight_grad(dzh, h, w_hh)
    return dxw, dh, dw, db


# ----------------------------------------------------------------------------- whole sequences
def rnn_sequence_forward(xw, h0, w_hh, b_hh, lengths, relu, reverse):
    """Elman recurrence over a whole sequence (lecture: h_t = f(W_xh·x_t + W_hh·h_{t−1} + b_h)):
    h_t = φ(xw_t + h_{t−1}·W_hhᵀ + b_hh) for xw (T, B, H), h0 (B, H), W_hh (H, H), b_hh (H,), lengths (B,) int64,
    φ = relu if ``relu`` else tanh, in ``reverse`` order per sample if asked (see the module docstring).
    Returns (out (T, B, H), zero where t ≥ lengths[b]; h_n (B, H), the final state; hs (T+1, B, H), the state
    after each step, h_n being a view of hs[T])."""
    nt, nb, n = xw.shape
    relu, reverse = bool(relu), bool(reverse)
    out = empty((nt, nb, n), xw.dtype)
    hs = empty((nt + 1, nb, n), xw.dtype)
    launch_rows(_rnn_seq_fwd, nb, xw, h0, w_hh, b_hh, hs, out, lengths, relu, reverse)
    return out, hs[nt], hs


def rnn_sequence_backward(g_out, g_hn, hs, w_hh, lengths, relu, reverse):
    """BPTT of ``rnn_sequence_forward`` in one call, from g_out = dL/dout (T, B, H), g_hn = dL/dh_final (B, H)
    and the saved hs: going back over the steps, dh ← dh + g_out_t, dz = dh ⊙ φ'(z_t), d(xw_t) = dz,
    db_hh += dz, dW_hh += dzᵀ·h_{t−1}, dh ← dz·W_hh (steps t ≥ lengths[b] pass dh through unchanged).
    Returns (dxw (T, B, H), dW_hh (H, H), db_hh (H,), dh0 (B, H))."""
    nt, nb, n = g_out.shape
    relu, reverse = bool(relu), bool(reverse)
    dzs = empty((nt, nb, n), g_out.dtype)
    dxw = empty((nt, nb, n), g_out.dtype) if reverse else dzs   # forward in time, dz by step is dxw by time
    dh = empty((nb, n), g_out.dtype)
    launch_rows(_rnn_seq_bwd, nb, g_out, g_hn, hs, w_hh, lengths, relu, reverse, dh, dzs, dxw)
    dw, db = _seq_weight_grad(dzs, hs, w_hh)
    return dxw, dw, db, dh


def lstm_sequence_forward(xw, h0, c0, w_hh, b_hh, lengths, reverse):
    """LSTM recurrence over a whole sequence (gates i, f, g, o): [i, f, g, o]_t = [σ, σ, tanh, σ](xw_t +
    h_{t−1}·W_hhᵀ + b_hh), c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh c_t, for xw (T, B, 4H), h0, c0 (B, H),
    W_hh (4H, H), b_hh (4H,), lengths (B,) int64, ``reverse`` per sample if asked.
    Returns (out (T, B, H) zero where t ≥ lengths[b]; h_n, c_n (B, H) the final states, views of hs[T] and
    cs[T]; hs, cs (T+1, B, H) the states after each step; gates (T, B, 4H) activated, by step, zero at steps
    s ≥ lengths[b])."""
    nt, nb, g4 = xw.shape
    n = g4 // 4
    reverse = bool(reverse)
    out = empty((nt, nb, n), xw.dtype)
    hs = empty((nt + 1, nb, n), xw.dtype)
    cs = empty((nt + 1, nb, n), xw.dtype)
    gates = empty((nt, nb, g4), xw.dtype)
    launch_rows(_lstm_seq_fwd, nb, xw, h0, c0, w_hh, b_hh, hs, cs, out, gates, lengths, reverse)
    return out, hs[nt], cs[nt], hs, cs, gates


def lstm_sequence_backward(g_out, g_hn, g_cn, hs, cs, gates, w_hh, lengths, reverse):
    """BPTT of ``lstm_sequence_forward`` in one call, from g_out (T, B, H), the final states' gradients g_hn,
    g_cn (B, H) and the saved hs, cs, gates: per step backwards dh ← dh + g_out_t, then the LSTM step backward
    (dc_tot = dc + dh ⊙ o ⊙ (1 − tanh² c_t), gate gradients, dc ← dc_tot ⊙ f) and the W_hh path
    (dW_hh += dzᵀ·h_{t−1}, dh ← dz·W_hh); steps t ≥ lengths[b] pass dh, dc through.
    Returns (dxw (T, B, 4H), dW_hh (4H, H), db_hh (4H,), dh0 (B, H), dc0 (B, H))."""
    nt, nb, n = g_out.shape
    reverse = bool(reverse)
    dzs = empty((nt, nb, 4 * n), g_out.dtype)
    dxw = empty((nt, nb, 4 * n), g_out.dtype) if reverse else dzs
    dh, dc = empty((nb, n), g_out.dtype), empty((nb, n), g_out.dtype)
    launch_rows(_lstm_seq_bwd, nb, g_out, g_hn, g_cn, cs, gates, w_hh, lengths, reverse, dh, dc, dzs, dxw)
    dw, db = _seq_weight_grad(dzs, hs, w_hh)
    return dxw, dw, db, dh, dc


def gru_sequence_forward(xw, h0, w_hh, b_hh, lengths, reverse):
    """GRU recurrence over a whole sequence (gates r, z, n): r_t = σ(a_r + h_r), z_t = σ(a_z + h_z),
    n_t = tanh(a_n + r_t ⊙ h_n), h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1} with [a_r, a_z, a_n] = xw_t and
    [h_r, h_z, h_n] = h_{t−1}·W_hhᵀ + b_hh, for xw (T, B, 3H), h0 (B, H), W_hh (3H, H), b_hh (3H,), lengths (B,)
    int64, ``reverse`` per sample if asked. Returns (out (T, B, H) zero where t ≥ lengths[b]; the final state
    (B, H), a view of hs[T]; hs (T+1, B, H); gates (T, B, 4H) = [r, z, n, h_n] by step, zero at steps
    s ≥ lengths[b])."""
    nt, nb, g3 = xw.shape
    m = g3 // 3
    reverse = bool(reverse)
    out = empty((nt, nb, m), xw.dtype)
    hs = empty((nt + 1, nb, m), xw.dtype)
    gates = empty((nt, nb, 4 * m), xw.dtype)
    launch_rows(_gru_seq_fwd, nb, xw, h0, w_hh, b_hh, hs, out, gates, lengths, reverse)
    return out, hs[nt], hs, gates


def gru_sequence_backward(g_out, g_hn, hs, gates, w_hh, lengths, reverse):
    """BPTT of ``gru_sequence_forward`` in one call, from g_out (T, B, H), g_hn (B, H) and the saved hs, gates:
    per step backwards dh ← dh + g_out_t, the GRU step backward (see ``gru_cell_backward``) and the W_hh path;
    steps t ≥ lengths[b] pass dh through. Returns (dxw (T, B, 3H), dW_hh (3H, H), db_hh (3H,), dh0 (B, H))."""
    nt, nb, m = g_out.shape
    reverse = bool(reverse)
    dxw = empty((nt, nb, 3 * m), g_out.dtype)
    dzs = empty((nt, nb, 3 * m), g_out.dtype)
    dh = empty((nb, m), g_out.dtype)
    launch_rows(_gru_seq_bwd, nb, g_out, g_hn, hs, gates, w_hh, lengths, reverse, dh, dzs, dxw)
    dw, db = _seq_weight_grad(dzs, hs, w_hh)
    return dxw, dw, db, dh


__all__ = ["rnn_cell_forward", "rnn_cell_backward", "lstm_cell_forward", "lstm_cell_backward", "gru_cell_forward",
           "gru_cell_backward", "rnn_sequence_forward", "rnn_sequence_backward", "lstm_sequence_forward",
           "lstm_sequence_backward", "gru_sequence_forward", "gru_sequence_backward"]
