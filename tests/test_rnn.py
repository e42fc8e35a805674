"""RNN / LSTM / GRU on every device: forward and gradients against NumPy float64 references (every returned
array: values, dtype, shape), variable lengths, reverse, cells, packed sequences, bad inputs; training and the CPU
kernels' blocking on the CPU."""
import itertools

import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb.kernels import cpu as K
from tinygradnb.nn import Linear
from tinygradnb.nn.functional import cross_entropy
from tinygradnb.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from tinygradnb.ops import rnn as R

from refgrad import check_grad

RNG = np.random.default_rng(7)
MODES = ["tanh", "relu", "lstm", "gru"]
GATES = {"tanh": 1, "relu": 1, "lstm": 4, "gru": 3}


# ----------------------------------------------------------------------------- NumPy float64 reference
def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def ref_step(mode, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step for one sample (vectors), PyTorch's equations. Returns (h', c')."""
    n = h.shape[0]
    gi = w_ih @ x + (b_ih if b_ih is not None else 0)
    gh = w_hh @ h + (b_hh if b_hh is not None else 0)
    if mode == "tanh":
        return np.tanh(gi + gh), None
    if mode == "relu":
        return np.maximum(gi + gh, 0.0), None
    if mode == "lstm":
        z = gi + gh
        i, f, g, o = _sig(z[:n]), _sig(z[n:2 * n]), np.tanh(z[2 * n:3 * n]), _sig(z[3 * n:])
        c2 = f * c + i * g
        return o * np.tanh(c2), c2
    r = _sig(gi[:n] + gh[:n])
    z = _sig(gi[n:2 * n] + gh[n:2 * n])
    nn_ = np.tanh(gi[2 * n:] + r * gh[2 * n:])
    return (1 - z) * nn_ + z * h, None


def ref_direction(mode, x, h0, c0, p, lengths, reverse):
    """One layer-direction over x (T, B, I), sample by sample over its valid prefix."""
    nt, nb, _ = x.shape
    n = h0.shape[1]
    out = np.zeros((nt, nb, n))
    hn, cn = np.zeros((nb, n)), np.zeros((nb, n))
    for b in range(nb):
        h, c = h0[b], (c0[b] if c0 is not None else None)
        steps = range(lengths[b])
        for t in (reversed(steps) if reverse else steps):
            h, c = ref_step(mode, x[t, b], h, c, *p)
            out[t, b] = h
        hn[b] = h
        if c is not None:
            cn[b] = c
    return out, hn, cn


def ref_module(mode, params, x, h0, c0, lengths, num_layers, bidirectional):
    """Stacked (bi)directional reference; params maps PyTorch's names to float64 arrays. x is (T, B, I)."""
    dirs = 2 if bidirectional else 1
    hs, cs = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            p = [params[f"weight_ih{sfx}"], params[f"weight_hh{sfx}"], params.get(f"bias_ih{sfx}"),
                 params.get(f"bias_hh{sfx}")]
            k = layer * dirs + d
            out, hn, cn = ref_direction(mode, x, h0[k], None if c0 is None else c0[k], p, lengths, d == 1)
            outs.append(out)
            hs.append(hn)
            cs.append(cn)
        x = np.concatenate(outs, axis=2)
    return x, np.stack(hs), np.stack(cs)


def make(mode, *args, **kw):
    if mode in ("tanh", "relu"):
        return RNN(*args, nonlinearity=mode, **kw)
    return {"lstm": LSTM, "gru": GRU}[mode](*args, **kw)


def np_params(m):
    return {k: np.asarray(v.numpy(), np.float64) for k, v in m.named_parameters()}


def ref_sequence(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, reverse):
    """The ops' outputs: (output, h_n) or, for the LSTM, (output, h_n, c_n)."""
    lengths = [x.shape[0]] * x.shape[1] if lengths is None else lengths
    out, hn, cn = ref_direction(mode, x, h0, c0, [w_ih, w_hh, b_ih, b_hh], lengths, reverse)
    return (out, hn, cn) if mode == "lstm" else (out, hn)


def ref_cell(mode, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step of every sample: h' or, for the LSTM, (h', c')."""
    steps = [ref_step(mode, x[b], h[b], None if c is None else c[b], w_ih, w_hh, b_ih, b_hh)
             for b in range(x.shape[0])]
    h1 = np.stack([s[0] for s in steps]).reshape(h.shape)
    return (h1, np.stack([s[1] for s in steps]).reshape(h.shape)) if mode == "lstm" else h1


@pytest.fixture(autouse=True)
def _nan_filled_outputs(request, monkeypatch):
    """On cuda, every array the recurrent kernels allocate starts as NaN (an uninitialised device array is often zero
    under the simulator), so that an element a kernel fails to write shows up in the outputs or gradients."""
    if "device" not in request.fixturenames or request.getfixturevalue("device") != "cuda":
        return
    from numba import cuda

    from tinygradnb.kernels.cuda import rnn as G
    empty = G.empty

    def nan_empty(shape, dtype=np.float64):
        if np.dtype(dtype).kind != "f":
            return empty(shape, dtype)
        return cuda.to_device(np.full(shape, np.nan, dtype))
    monkeypatch.setattr(G, "empty", nan_empty)


# ----------------------------------------------------------------------------- forward vs reference
CONFIGS = {
    "one_layer": dict(num_layers=1, bidirectional=False, batch_first=False, hx=False, lengths=None, bias=True),
    "deep_bidir_lengths": dict(num_layers=2, bidirectional=True, batch_first=False, hx=False, lengths=[5, 2, 4],
                               bias=True),
    "batch_first_hx": dict(num_layers=2, bidirectional=False, batch_first=True, hx=True, lengths=None, bias=True),
    "bidir_hx_lengths_nobias": dict(num_layers=1, bidirectional=True, batch_first=True, hx=True, lengths=[1, 5, 3],
                                    bias=False),
}


def test_forward_matches_reference(device):
    """One layer each way, an initial state, variable lengths, batch-first, no biases, on every device (the LSTM and
    GRU modules on every device: the torch cases of the packed modules below)."""
    _forward_case("tanh", "bidir_hx_lengths_nobias", device)


@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("mode", MODES)
def test_forward_matches_reference_more(mode, config):
    """Every mode and composition (layers, directions, layouts): above the device seam, so on the CPU only."""
    _forward_case(mode, config, "cpu")


def _forward_case(mode, config, device):
    cfg = CONFIGS[config]
    nt, nb, ni, nh = 5, 3, 4, 3
    m = make(mode, ni, nh, num_layers=cfg["num_layers"], bias=cfg["bias"], batch_first=cfg["batch_first"],
             bidirectional=cfg["bidirectional"], dtype=tg.float64, device=device)
    dirs = 2 if cfg["bidirectional"] else 1
    x = RNG.standard_normal((nt, nb, ni))
    h0 = RNG.standard_normal((cfg["num_layers"] * dirs, nb, nh)) if cfg["hx"] else np.zeros((2 * 2, nb, nh))
    c0 = RNG.standard_normal(h0.shape) if cfg["hx"] else np.zeros_like(h0)
    lengths = cfg["lengths"] or [nt] * nb
    xin = x.transpose(1, 0, 2) if cfg["batch_first"] else x
    hx = None
    if cfg["hx"]:
        hx = (tg.tensor(h0, device=device), tg.tensor(c0, device=device)) if mode == "lstm" else \
            tg.tensor(h0, device=device)
    out, state = m(tg.tensor(xin, device=device), hx, lengths=cfg["lengths"])
    assert out.device == device and out.dtype == tg.float64
    ref_out, ref_h, ref_c = ref_module(mode, np_params(m), x, h0, c0 if mode == "lstm" else None, lengths,
                                       cfg["num_layers"], cfg["bidirectional"])
    if cfg["batch_first"]:
        ref_out = ref_out.transpose(1, 0, 2)
    assert out.shape == ref_out.shape
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-12, atol=1e-12)
    if mode == "lstm":
        h_n, c_n = state
        np.testing.assert_allclose(c_n.numpy(), ref_c, rtol=1e-12, atol=1e-12)
    else:
        h_n = state
    assert h_n.shape == (cfg["num_layers"] * dirs, nb, nh) and h_n.device == device
    np.testing.assert_allclose(h_n.numpy(), ref_h, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_lengths_equal_running_each_sample_alone(mode, device="cpu"):
    """Packed semantics: a padded sample gives the outputs and final state of its unpadded prefix, zeros after.
    CPU only: module-level (the kernels' lengths on every device: test_sequence_gradients)."""
    m = make(mode, 2, 3, bidirectional=True, dtype=tg.float64, device=device)
    x = RNG.standard_normal((6, 3, 2))
    lengths = [6, 1, 4]
    out, state = m(tg.tensor(x, device=device), lengths=lengths)
    h_n = state[0] if mode == "lstm" else state
    for b, ln in enumerate(lengths):
        o1, s1 = m(tg.tensor(x[:ln, b:b + 1], device=device))
        h1 = s1[0] if mode == "lstm" else s1
        np.testing.assert_allclose(out.numpy()[:ln, b], o1.numpy()[:, 0], rtol=1e-13, atol=1e-13)
        assert not out.numpy()[ln:, b].any()
        np.testing.assert_allclose(h_n.numpy()[:, b], h1.numpy()[:, 0], rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("mode", MODES)
def test_unbatched_input(mode, device="cpu"):   # CPU only: the module's reshapes, above the device seam
    m = make(mode, 3, 2, num_layers=2, dtype=tg.float64, device=device)
    x = RNG.standard_normal((4, 3))
    h0, c0 = RNG.standard_normal((2, 2)), RNG.standard_normal((2, 2))  # unbatched state: (num_layers, H)
    hx = (tg.tensor(h0, device=device), tg.tensor(c0, device=device)) if mode == "lstm" else \
        tg.tensor(h0, device=device)
    out, state = m(tg.tensor(x, device=device), hx)
    ref_out, ref_h, _ = ref_module(mode, np_params(m), x[:, None], h0[:, None], c0[:, None], [4], 2, False)
    assert out.shape == (4, 2)
    np.testing.assert_allclose(out.numpy(), ref_out[:, 0], rtol=1e-12, atol=1e-12)
    h_n = state[0] if mode == "lstm" else state
    assert h_n.shape == (2, 2)
    np.testing.assert_allclose(h_n.numpy(), ref_h[:, 0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_float32_forward(mode, device="cpu"):   # CPU only; float32 on every device: test_sequence/cell_gradients
    m = make(mode, 4, 5, num_layers=2, bidirectional=True, device=device)
    x = RNG.standard_normal((6, 3, 4)).astype(np.float32)
    out, state = m(tg.tensor(x, device=device), lengths=[6, 3, 1])
    assert out.dtype == tg.float32 and out.device == device
    ref_out, ref_h, _ = ref_module(mode, np_params(m), x.astype(np.float64), np.zeros((4, 3, 5)),
                                   np.zeros((4, 3, 5)), [6, 3, 1], 2, True)
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-5, atol=2e-6)
    h_n = state[0] if mode == "lstm" else state
    assert h_n.dtype == tg.float32
    np.testing.assert_allclose(h_n.numpy(), ref_h, rtol=1e-5, atol=2e-6)


def test_sequence_kernels_keep_float32():
    xw = RNG.standard_normal((3, 2, 8)).astype(np.float32)
    h = np.zeros((2, 2), np.float32)
    w = RNG.standard_normal((8, 2)).astype(np.float32)
    lens = np.array([3, 2], np.int64)
    out, _, _, hs, cs, gates = K.lstm_sequence_forward(xw, h, h, w, np.zeros(8, np.float32), lens, False)
    assert {a.dtype for a in (out, hs, cs, gates)} == {np.dtype(np.float32)}
    grads = K.lstm_sequence_backward(out, h, h, hs, cs, gates, w, lens, False)
    assert {g.dtype for g in grads} == {np.dtype(np.float32)}


def test_parameters_names_shapes_and_init(device="cpu"):   # CPU only: init draws the same stream on every device
    m = LSTM(3, 4, num_layers=2, bidirectional=True, device=device)
    assert {p.device for p in m.parameters()} == {device}
    shapes = {k: v.shape for k, v in m.named_parameters()}
    assert shapes["weight_ih_l0"] == (16, 3) and shapes["weight_ih_l1_reverse"] == (16, 8)
    assert shapes["weight_hh_l1"] == (16, 4) and shapes["bias_hh_l0_reverse"] == (16,)
    assert len(shapes) == 16
    vals = np.concatenate([p.numpy().ravel() for p in m.parameters()])
    assert np.abs(vals).max() <= 0.5 and vals.std() > 0.2  # U(-1/sqrt(4), 1/sqrt(4)) has std 0.289
    assert [k for k, _ in GRU(2, 3, bias=False).named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]


def test_dropout_between_layers_only_in_training(device="cpu"):   # CPU only: module-level, above the device seam
    tg.manual_seed(3)
    m = GRU(3, 4, num_layers=2, dropout=0.5, dtype=tg.float64, device=device)
    x = tg.tensor(RNG.standard_normal((4, 2, 3)), device=device)
    train_out = m(x)[0].numpy()
    m.eval()
    eval_out = m(x)[0].numpy()
    ref, _, _ = ref_module("gru", np_params(m), x.numpy(), np.zeros((2, 2, 4)), None, [4, 4], 2, False)
    np.testing.assert_allclose(eval_out, ref, rtol=1e-12, atol=1e-12)
    assert not np.allclose(train_out, eval_out)


# ----------------------------------------------------------------------------- gradients
# Each case runs once forward and once backward on the device: every output and every gradient against the NumPy
# reference and its central differences (refgrad.check_grad; a gradcheck would run the op twice per element).
def _seq_arrays(mode, nt, nb, ni, nh, bias=True):
    g = GATES[mode] * nh
    arrays = [RNG.standard_normal((nt, nb, ni)), RNG.standard_normal((nb, nh))]
    if mode == "lstm":
        arrays.append(RNG.standard_normal((nb, nh)))
    shapes = ((g, ni), (g, nh), (g,), (g,)) if bias else ((g, ni), (g, nh))
    return arrays + [RNG.standard_normal(s) * 0.7 for s in shapes]


def _seq_op(mode, lengths, reverse):
    """The op of ``mode`` over (x, h0[, c0], w_ih, w_hh[, b_ih, b_hh]) and its NumPy reference."""
    def split(args):
        if mode == "lstm":
            x, h0, c0, *w = args
        else:
            (x, h0, *w), c0 = args, None
        return x, h0, c0, list(w) + [None] * (4 - len(w))

    def fn(*args):
        x, h0, c0, w = split(args)
        if mode == "lstm":
            return R.lstm_sequence(x, h0, c0, *w, lengths=lengths, reverse=reverse)
        if mode == "gru":
            return R.gru_sequence(x, h0, *w, lengths=lengths, reverse=reverse)
        return R.rnn_sequence(x, h0, *w, nonlinearity=mode, lengths=lengths, reverse=reverse)

    def ref(*args):
        x, h0, c0, w = split(args)
        return ref_sequence(mode, x, h0, c0, *w, lengths, reverse)
    return fn, ref


SEQ_CASES = [  # T, lengths, hidden, reverse, dtype
    (2, [2, 1, 2, 2, 1], 7, True, "float64"),    # B·H, B·G·H and G·H·H beyond the simulator's 32 threads
    (3, [3, 1], 3, False, "float32"),
    (3, [3, 2], 3, False, "float64"),
    (3, [1, 3], 3, True, "float64"),             # the one valid step of a reversed sample is its first
    (3, [3, 2], 3, True, "float64"),
    (3, [3, 3], 3, False, "float32"),
    (3, [3, 1], 3, True, "float32"),
]
# on every device: each kernel family (Elman tanh and relu share one, with a flag) in both dtypes and directions
SEQ_DEVICE = [(m, *SEQ_CASES[0]) for m in MODES] + [(m, *SEQ_CASES[1]) for m in ("tanh", "lstm", "gru")]


@pytest.mark.parametrize("mode,nt,lengths,nh,reverse,dtype", SEQ_DEVICE)
def test_sequence_gradients(mode, nt, lengths, nh, reverse, dtype, device):
    """Every returned array (output, h_n, c_n) and every gradient (x, h0, c0, weights, biases); the output is zero
    past each length and the cotangent there (non-zero) must be ignored."""
    _sequence_gradients(mode, nt, lengths, nh, reverse, dtype, device)


@pytest.mark.parametrize("mode,nt,lengths,nh,reverse,dtype",
                         [(m, *c) for m in MODES for c in SEQ_CASES if (m, *c) not in SEQ_DEVICE])
def test_sequence_gradients_more(mode, nt, lengths, nh, reverse, dtype):
    """Further combinations of the same kernels' paths (a reversed sample of length 1 among them): on the CPU only,
    to keep the simulator's time."""
    _sequence_gradients(mode, nt, lengths, nh, reverse, dtype, "cpu")


def _sequence_gradients(mode, nt, lengths, nh, reverse, dtype, device):
    fn, ref = _seq_op(mode, lengths, reverse)
    outs, _ = check_grad(fn, ref, _seq_arrays(mode, nt, len(lengths), 2, nh), device=device, dtype=dtype)
    for b, ln in enumerate(lengths):
        assert not outs[0].numpy()[ln:, b].any()


@pytest.mark.parametrize("mode", MODES)
def test_sequence_gradients_without_biases(mode, device="cpu"):   # CPU only: missing biases are zeros above the seam
    fn, ref = _seq_op(mode, [1, 3] if mode in ("lstm", "gru") else None, False)
    check_grad(fn, ref, _seq_arrays(mode, 3, 2, 2, 2, bias=False), device=device)


def test_module_gradients_bidirectional_lengths(device):
    """An Elman (relu) module, one layer each way, on every device (the LSTM and GRU modules' gradients on every
    device: the torch cases of the packed modules below)."""
    _module_gradients("relu", device, num_layers=1)


@pytest.mark.parametrize("mode", MODES)
def test_module_gradients_bidirectional_lengths_more(mode):
    """Two layers each way, every mode: on the CPU only, to keep the simulator's time."""
    _module_gradients(mode, "cpu", num_layers=2)


def _module_gradients(mode, device, num_layers):
    """Every parameter of a bidirectional module, the input and the initial state(s), with lengths."""
    nt, nb, ni, nh = 3, 2, 2, 2
    lstm = mode == "lstm"
    m = make(mode, ni, nh, num_layers=num_layers, bidirectional=True, dtype=tg.float64).to(device)
    names = [k for k, _ in m.named_parameters()]
    arrays = [RNG.standard_normal((nt, nb, ni)), RNG.standard_normal((2 * num_layers, nb, nh))]
    arrays += [RNG.standard_normal((2 * num_layers, nb, nh))] if lstm else []
    arrays += [p.numpy() for p in m.parameters()]

    def fn(x, h0, *rest):
        c0, ps = (rest[0], rest[1:]) if lstm else (None, rest)
        for k, p in zip(names, ps):
            object.__setattr__(m, k, p)  # route the checked tensors into the module's forward
        out, state = m(x, (h0, c0) if lstm else h0, lengths=[2, 3])
        return (out,) + (state if lstm else (state,))

    def ref(x, h0, *rest):
        c0, ps = (rest[0], rest[1:]) if lstm else (None, rest)
        out, hs, cs = ref_module(mode, dict(zip(names, ps)), x, h0, c0, [2, 3], num_layers, True)
        return (out, hs, cs) if lstm else (out, hs)

    check_grad(fn, ref, arrays, device=device)


CELL_CASES = [("tanh", 5, 7, "float64"), ("relu", 2, 2, "float32"), ("lstm", 5, 7, "float32"),
              ("lstm", 2, 2, "float64"), ("gru", 5, 7, "float64"), ("gru", 2, 2, "float32")]


@pytest.mark.parametrize("mode,nb,nh,dtype", CELL_CASES)
def test_cell_gradients(mode, nb, nh, dtype, device):
    """Each cell kernel family in both dtypes, with fewer and more work items (5·7) than the simulator's 32
    threads."""
    _cell_gradients(mode, nb, nh, dtype, device)


@pytest.mark.parametrize("mode,nb,nh,dtype", [(m, nb, nh, dt) for m in MODES for nb, nh in ((2, 2), (5, 7))
                                              for dt in ("float64", "float32") if (m, nb, nh, dt) not in CELL_CASES])
def test_cell_gradients_more(mode, nb, nh, dtype):
    """The other combinations: on the CPU only, to keep the simulator's time."""
    _cell_gradients(mode, nb, nh, dtype, "cpu")


def _cell_gradients(mode, nb, nh, dtype, device):
    ni, lstm = 3, mode == "lstm"
    g = GATES[mode] * nh
    arrays = [RNG.standard_normal((nb, ni)), RNG.standard_normal((nb, nh))]
    arrays += [RNG.standard_normal((nb, nh))] if lstm else []
    arrays += [RNG.standard_normal(s) * 0.7 for s in ((g, ni), (g, nh), (g,), (g,))]

    def fn(x, h, *rest):
        if lstm:
            return R.lstm_cell(x, h, *rest)
        if mode == "gru":
            return R.gru_cell(x, h, *rest)
        return R.rnn_cell(x, h, *rest, nonlinearity=mode)

    def ref(x, h, *rest):
        c, w = (rest[0], rest[1:]) if lstm else (None, rest)
        return ref_cell(mode, x, h, c, *w)

    check_grad(fn, ref, arrays, device=device, dtype=dtype)


def test_relu_cell_gradient_is_zero_where_inactive(device):
    """relu's dz is 0 where h' = 0: with W_ih = W_hh = I and h = 0, dx = dh = 1[x > 0], dW_hh = dzᵀ·h = 0 and
    db_hh = Σ_b dz."""
    f64 = dict(dtype=tg.float64, device=device, requires_grad=True)
    xv = np.array([[-1.0, 2.0, -3.0], [4.0, -5.0, 6.0]])
    x, h = tg.tensor(xv, **f64), tg.zeros(2, 3, **f64)
    w_ih, w_hh = tg.eye(3, **f64), tg.eye(3, **f64)
    b_ih, b_hh = tg.zeros(3, **f64), tg.zeros(3, **f64)
    out = R.rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity="relu")
    np.testing.assert_array_equal(out.numpy(), np.maximum(xv, 0))
    out.sum().backward()
    dz = (xv > 0).astype(np.float64)
    np.testing.assert_array_equal(x.grad.numpy(), dz)
    np.testing.assert_array_equal(h.grad.numpy(), dz)
    np.testing.assert_array_equal(w_hh.grad.numpy(), np.zeros((3, 3)))
    np.testing.assert_array_equal(b_hh.grad.numpy(), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(w_ih.grad.numpy(), dz.T @ xv)


@pytest.mark.parametrize("mode", ["tanh", "lstm", "gru"])
def test_empty_batch_forward_and_backward(mode, device):
    """B = 0: outputs (T, 0, H) and states (0, H); the weight gradients are zeros."""
    fn, _ = _seq_op(mode, None, False)
    ts = [tg.tensor(a, device=device, requires_grad=True) for a in _seq_arrays(mode, 2, 0, 3, 3)]
    outs = fn(*ts)
    assert outs[0].shape == (2, 0, 3) and all(o.shape == (0, 3) for o in outs[1:])
    sum((o * 2.0).sum() for o in outs).backward()
    for t in ts:
        assert t.grad is not None and t.grad.shape == t.shape and not t.grad.numpy().any()


def test_reversed_sample_of_length_one_equals_forward(device):
    """A sample of length 1 gives the same output forward and reversed (its one valid step is t = 0)."""
    ts = [tg.tensor(a, device=device) for a in _seq_arrays("gru", 3, 2, 2, 4)]
    f = R.gru_sequence(*ts, lengths=[1, 1], reverse=False)
    r = R.gru_sequence(*ts, lengths=[1, 1], reverse=True)
    for a, b in zip(f, r):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_gates_saturate_at_extreme_inputs(mode, device):
    tg.manual_seed(0)
    m = make(mode, 1, 2).to(device)
    x = np.array([[[-1e4]], [[1e4]]])
    out = m(tg.tensor(x, dtype=tg.float32, device=device))[0].numpy()
    with np.errstate(over="ignore"):
        ref, _, _ = ref_module(mode, np_params(m), x, np.zeros((1, 1, 2)), np.zeros((1, 1, 2)), [2], 1, False)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-7)


def test_gradient_of_final_state_only_reaches_valid_steps(device="cpu"):   # CPU only (devices: test_sequence_gradients)
    """With lengths, x at t >= lengths[b] must get zero gradient (it is never read)."""
    x = tg.tensor(RNG.standard_normal((4, 2, 3)), dtype=tg.float64, requires_grad=True, device=device)
    m = LSTM(3, 2, dtype=tg.float64, device=device)
    _, (h_n, c_n) = m(x, lengths=[4, 2])
    (h_n.sum() + c_n.sum()).backward()
    g = x.grad.numpy()
    assert not g[2:, 1].any() and np.abs(g[:2, 1]).min() > 0 and np.abs(g[:, 0]).min() > 0


# ----------------------------------------------------------------------------- cells
@pytest.mark.parametrize("mode", MODES)
def test_cell_modules_match_reference(mode, device="cpu"):   # CPU only (the kernels on devices: test_cell_gradients)
    nb, ni, nh = 3, 4, 2
    cls = {"tanh": RNNCell, "relu": RNNCell, "lstm": LSTMCell, "gru": GRUCell}[mode]
    kw = dict(dtype=tg.float64, device=device)
    cell = cls(ni, nh, nonlinearity=mode, **kw) if cls is RNNCell else cls(ni, nh, **kw)
    p = [np.asarray(t.numpy()) for t in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]
    x, h, c = RNG.standard_normal((nb, ni)), RNG.standard_normal((nb, nh)), RNG.standard_normal((nb, nh))
    ref = [ref_step(mode, x[b], h[b], c[b], *p) for b in range(nb)]

    def t(a):
        return tg.tensor(a, device=device)
    if mode == "lstm":
        h1, c1 = cell(t(x), (t(h), t(c)))
        np.testing.assert_allclose(c1.numpy(), np.stack([r[1] for r in ref]), rtol=1e-12, atol=1e-12)
        hu, cu = cell(t(x[0]), (t(h[0]), t(c[0])))  # unbatched
        np.testing.assert_allclose(cu.numpy(), ref[0][1], rtol=1e-12, atol=1e-12)
    else:
        h1 = cell(t(x), t(h))
        hu = cell(t(x[0]), t(h[0]))
    assert h1.device == hu.device == device
    np.testing.assert_allclose(h1.numpy(), np.stack([r[0] for r in ref]), rtol=1e-12, atol=1e-12)
    assert hu.shape == (nh,)
    np.testing.assert_allclose(hu.numpy(), ref[0][0], rtol=1e-12, atol=1e-12)
    h0 = cell(t(x))  # hx=None means zeros
    ref0 = ref_step(mode, x[1], np.zeros(nh), np.zeros(nh), *p)[0]
    np.testing.assert_allclose((h0[0] if mode == "lstm" else h0).numpy()[1], ref0, rtol=1e-12, atol=1e-12)


def test_cell_unrolled_equals_sequence_layer(device="cpu"):   # CPU only: module-level, above the device seam
    """An LSTMCell stepped over time with the layer's weights reproduces the LSTM layer."""
    m = LSTM(3, 4, dtype=tg.float64, device=device)
    cell = LSTMCell(3, 4, dtype=tg.float64, device=device)
    cell.load_state_dict({"weight_ih": m.weight_ih_l0, "weight_hh": m.weight_hh_l0, "bias_ih": m.bias_ih_l0,
                          "bias_hh": m.bias_hh_l0})
    x = tg.tensor(RNG.standard_normal((5, 2, 3)), device=device)
    out, (_, c_n) = m(x)
    h = c = None
    for t in range(5):
        h, c = cell(x[t], None if h is None else (h, c))
        np.testing.assert_allclose(h.numpy(), out.numpy()[t], rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(c.numpy(), c_n.numpy()[0], rtol=1e-13, atol=1e-13)


# ----------------------------------------------------------------------------- bad inputs
def test_bad_input_rank(device):
    with pytest.raises(ValueError, match=r"input must be 3-D .*got shape \(2, 3, 4, 5\)"):
        RNN(5, 2).to(device)(tg.randn(2, 3, 4, 5, device=device))


def test_bad_input_size(device):
    # torch 2.13: RuntimeError "input.size(-1) must be equal to input_size. Expected 5, got 4"
    with pytest.raises(RuntimeError, match=r"4 features .* input_size=5"):
        GRU(5, 2).to(device)(tg.randn(3, 2, 4, device=device))


def test_bad_input_dtype(device):
    # torch 2.13: ValueError "RNN input dtype (torch.float64) does not match weight dtype (torch.float32)"
    with pytest.raises(ValueError, match="LSTM: input has dtype float64, expected float32"):
        LSTM(3, 2).to(device)(tg.randn(3, 2, 3, dtype=tg.float64, device=device))


def test_bad_hx_shape(device):
    # torch 2.13: RuntimeError "Expected hidden size (2, 2, 3), got [1, 2, 3]"
    with pytest.raises(RuntimeError, match=r"hx must have shape \(2, 2, 3\).*got \(1, 2, 3\)"):
        GRU(4, 3, bidirectional=True).to(device)(tg.randn(5, 2, 4, device=device),
                                                    tg.zeros(1, 2, 3, device=device))


def test_bad_lstm_hx_not_a_pair(device):
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\)"):
        LSTM(4, 3).to(device)(tg.randn(5, 2, 4, device=device), tg.zeros(1, 2, 3, device=device))


def test_bad_lstm_c0_shape(device):
    with pytest.raises(RuntimeError, match=r"c_0 must have shape \(1, 2, 3\).*got \(1, 2, 4\)"):
        LSTM(4, 3).to(device)(tg.randn(5, 2, 4, device=device), (tg.zeros(1, 2, 3, device=device),
                                                                      tg.zeros(1, 2, 4, device=device)))


def test_bad_lengths_shape(device):
    with pytest.raises(ValueError, match=r"lengths must have shape \(2,\).*got \(3,\)"):
        RNN(4, 3).to(device)(tg.randn(5, 2, 4, device=device), lengths=[5, 5, 5])


def test_bad_lengths_zero(device):
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 5\].*got 0"):
        RNN(4, 3).to(device)(tg.randn(5, 2, 4, device=device), lengths=[0, 5])


def test_bad_lengths_too_long(device):
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 5\].*got 6"):
        LSTM(4, 3).to(device)(tg.randn(5, 2, 4, device=device), lengths=[6, 5])


def test_bad_lengths_float(device):
    with pytest.raises(TypeError, match="lengths must hold integers"):
        GRU(4, 3).to(device)(tg.randn(5, 2, 4, device=device), lengths=np.array([2.0, 5.0]))


def test_lengths_as_a_tensor_on_the_device(device):
    """Lengths in an integer tensor on the input's device: the values of the list; a bad length raises at the call
    on the CPU and at the next read on a GPU (checked there without waiting for it)."""
    m = GRU(2, 3).to(device)
    x = tg.randn(4, 2, 2, device=device)
    want = m(x, lengths=[4, 3])[0].numpy()
    np.testing.assert_array_equal(m(x, lengths=tg.tensor([4, 3], device=device))[0].numpy(), want)
    np.testing.assert_array_equal(m(x, lengths=tg.tensor([4, 3], dtype=tg.int32, device=device))[0].numpy(), want)
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 4\] \(the sequence length T\), got 5"):
        m(x, lengths=tg.tensor([4, 5], device=device))[0].numpy()
    with pytest.raises(TypeError, match="lengths must hold integers"):
        m(x, lengths=tg.tensor([4.0, 3.0], device=device))


def test_bad_lengths_unbatched(device):
    with pytest.raises(ValueError, match="lengths needs a batched input"):
        GRU(4, 3).to(device)(tg.randn(5, 4, device=device), lengths=[5])


def test_bad_nonlinearity():
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        RNN(4, 3, nonlinearity="sigmoid")


def test_bad_hidden_size():
    # torch 2.13: ValueError "hidden_size must be greater than zero", TypeError "input_size should be of type int"
    with pytest.raises(ValueError, match="hidden_size must be an int >= 1, got 0"):
        LSTM(4, 0)
    with pytest.raises(TypeError, match="LSTM: input_size must be an int >= 1, got float 2.5"):
        LSTM(2.5, 3)
    with pytest.raises(TypeError, match="GRUCell: hidden_size must be an int >= 1, got str"):
        GRUCell(2, "3")


def test_bad_time_steps_and_unbatched_state(device):
    # torch 2.13: RuntimeError "Expected sequence length to be larger than 0 in RNN", RuntimeError for a 3-D hx with
    # an unbatched input
    d = dict(device=device)
    with pytest.raises(RuntimeError, match=r"LSTM: input must hold at least one time step, got shape \(0, 2, 5\)"):
        LSTM(5, 3).to(device)(tg.ones(0, 2, 5, **d))
    with pytest.raises(RuntimeError, match=r"RNN: hx must have shape \(1, 3\)"):
        RNN(5, 3).to(device)(tg.randn(4, 5, **d), tg.zeros(1, 1, 3, **d))
    with pytest.raises(TypeError, match="GRU: input must be a Tensor, got ndarray"):
        GRU(5, 3).to(device)(np.ones((4, 2, 5), np.float32))
    with pytest.raises(TypeError, match="LSTM: h_0 must be a Tensor, got NoneType"):
        LSTM(5, 3).to(device)(tg.ones(4, 2, 5, **d), (None, None))


def test_strided_and_expanded_inputs_and_empty_batch(device):
    # torch 2.13: a transposed input or an expanded input/state runs as its values; a batch of 0 gives (T, 0, H)
    rnn = GRU(5, 3).to(device)
    x = tg.randn(2, 4, 5, device=device)
    xt = x.transpose(0, 1)
    np.testing.assert_allclose(rnn(xt)[0].numpy(), rnn(tg.tensor(xt.numpy(), device=device))[0].numpy())
    h = tg.randn(1, 1, 3, device=device)
    np.testing.assert_allclose(rnn(xt, h.expand(1, 2, 3))[0].numpy(),
                               rnn(xt, tg.tensor(h.expand(1, 2, 3).numpy(), device=device))[0].numpy())
    out, (h_n, c_n) = LSTM(5, 3).to(device)(tg.ones(4, 0, 5, device=device))
    assert out.shape == (4, 0, 3) and h_n.shape == (1, 0, 3) and c_n.shape == (1, 0, 3)


def test_bad_dropout():
    with pytest.raises(ValueError, match="dropout must be a number in"):
        GRU(4, 3, num_layers=2, dropout=1.5)


def test_bad_op_w_hh_shape(device):
    x = tg.randn(3, 2, 4, device=device)
    with pytest.raises(ValueError, match=r"w_hh must have shape \(4·hidden_size, hidden_size\), got \(12, 4\)"):
        R.lstm_sequence(x, None, None, tg.randn(12, 4, device=device), tg.randn(12, 4, device=device))


def test_bad_op_w_ih_input_size(device):
    def r(*shape):
        return tg.randn(*shape, device=device)
    with pytest.raises(ValueError, match=r"input has 4 features but w_ih has shape \(9, 5\)"):
        R.gru_sequence(r(3, 2, 4), None, r(9, 5), r(9, 3))


def test_bad_op_bias_shape(device):
    def r(*shape):
        return tg.randn(*shape, device=device)
    with pytest.raises(ValueError, match=r"b_hh must have shape \(3,\), got \(4,\)"):
        R.rnn_sequence(r(3, 2, 4), None, r(3, 4), r(3, 3), None, r(4))


def test_bad_cell_input_size(device):
    # torch 2.13: RuntimeError "input has inconsistent input_size: got 4 expected 3"; ValueError for a 3-D input
    with pytest.raises(ValueError, match=r"GRUCell: input must have shape \(B, 3\) or \(3,\), got \(2, 2, 3\)"):
        GRUCell(3, 2).to(device)(tg.randn(2, 2, 3, device=device))
    with pytest.raises(RuntimeError, match=r"input must have shape \(B, 3\) or \(3,\), got \(2, 4\)"):
        GRUCell(3, 2).to(device)(tg.randn(2, 4, device=device))


def test_bad_cell_hx_shape(device):
    # torch 2.13: RuntimeError "Input batch size 2 doesn't match hidden0 batch size 3"
    with pytest.raises(RuntimeError, match=r"h must have shape \(2, 2\), got \(2, 3\)"):
        LSTMCell(3, 2).to(device)(tg.randn(2, 3, device=device), (tg.zeros(2, 3, device=device),
                                                                      tg.zeros(2, 2, device=device)))


# ----------------------------------------------------------------------------- training
def _adam(params, lr):
    """tinygradnb.optim.Adam when the optim package is present, else a minimal Adam written here."""
    try:
        from tinygradnb.optim import Adam
        return Adam(params, lr=lr)
    except ImportError:
        pass

    class _Adam:
        def __init__(self):
            self.m = [np.zeros(p.shape, p.dtype) for p in params]
            self.v = [np.zeros(p.shape, p.dtype) for p in params]
            self.t = 0

        def zero_grad(self):
            for p in params:
                p.grad = None

        def step(self):
            self.t += 1
            for p, m, v in zip(params, self.m, self.v):
                g = p.grad.numpy()
                m *= 0.9
                m += 0.1 * g
                v *= 0.999
                v += 0.001 * g * g
                mh, vh = m / (1 - 0.9 ** self.t), v / (1 - 0.999 ** self.t)
                p.numpy()[...] -= (lr * mh / (np.sqrt(vh) + 1e-8)).astype(p.dtype)
    return _Adam()


def _parity_data(max_len=5):
    """Every bit string of length 1..max_len, padded to max_len; target = parity of its valid bits."""
    rows, lens, ys = [], [], []
    for ln in range(1, max_len + 1):
        for bits in itertools.product([0, 1], repeat=ln):
            rows.append(list(bits) + [0] * (max_len - ln))
            lens.append(ln)
            ys.append(sum(bits) % 2)
    x = (2 * np.array(rows, np.float32).T[:, :, None] - 1)  # (T, B, 1), bits as ±1
    return tg.tensor(x), lens, tg.tensor(np.array(ys))


def _train_parity(seed, steps, stop_at_perfect):
    tg.manual_seed(seed)
    x, lens, y = _parity_data()
    lstm, head = LSTM(1, 16), Linear(16, 2)
    opt = _adam(list(lstm.parameters()) + list(head.parameters()), lr=0.05)
    losses, acc = [], 0.0
    for _ in range(steps):
        _, (h_n, _) = lstm(x, lengths=lens)
        logits = head(h_n[0])
        loss = cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        acc = float((logits.numpy().argmax(1) == y.numpy()).mean())
        if stop_at_perfect and acc == 1.0 and losses[-1] < 0.05:
            break
    return losses, acc


def test_lstm_learns_parity_of_variable_length_bit_strings():
    losses, acc = _train_parity(seed=0, steps=300, stop_at_perfect=True)
    assert acc == 1.0, f"accuracy {acc} after {len(losses)} steps, loss {losses[-1]:.4f}"
    assert losses[-1] < 0.05 < losses[0]


def test_same_seed_gives_bitwise_identical_loss_curve():
    a, _ = _train_parity(seed=5, steps=25, stop_at_perfect=False)
    b, _ = _train_parity(seed=5, steps=25, stop_at_perfect=False)
    c, _ = _train_parity(seed=6, steps=25, stop_at_perfect=False)
    assert a == b
    assert a != c


# ----------------------------------------------------------------------------- batched kernels at blocking sizes
# The sequence kernels compute the hidden product of the whole batch per step in 8-row, then 4-row, then 1-row
# × 4-deep register blocks of 512 columns × 128 depth; B = 13 (one block of each), H = 130 (two depth blocks, a depth
# tail of 2) and G·H = 520 for the LSTM (two column blocks) exercise every edge, with variable lengths in both
# directions.
def _seq_kernel(mode, xw, h0, c0, w_hh, b_hh, lens, reverse):
    """(out, h_n, c_n or None, backward(g_out, g_hn, g_cn) -> dict of gradients) through the kernels."""
    nt = xw.shape[0]
    if mode in ("tanh", "relu"):
        out, h_n, hs = K.rnn_sequence_forward(xw, h0, w_hh, b_hh, lens, mode == "relu", reverse)

        def bwd(go, gh, gc):
            dxw, dw, db, dh0 = K.rnn_sequence_backward(go, gh, hs, w_hh, lens, mode == "relu", reverse)
            return dict(xw=dxw, h0=dh0, w_hh=dw, b_hh=db)
        assert np.array_equal(h_n, hs[nt])
        return out, h_n, None, bwd
    if mode == "lstm":
        out, h_n, c_n, hs, cs, gates = K.lstm_sequence_forward(xw, h0, c0, w_hh, b_hh, lens, reverse)

        def bwd(go, gh, gc):
            dxw, dw, db, dh0, dc0 = K.lstm_sequence_backward(go, gh, gc, hs, cs, gates, w_hh, lens, reverse)
            return dict(xw=dxw, h0=dh0, c0=dc0, w_hh=dw, b_hh=db)
        assert np.array_equal(h_n, hs[nt]) and np.array_equal(c_n, cs[nt])
        return out, h_n, c_n, bwd
    out, h_n, hs, gates = K.gru_sequence_forward(xw, h0, w_hh, b_hh, lens, reverse)

    def bwd(go, gh, gc):
        dxw, dw, db, dh0 = K.gru_sequence_backward(go, gh, hs, gates, w_hh, lens, reverse)
        return dict(xw=dxw, h0=dh0, w_hh=dw, b_hh=db)
    assert np.array_equal(h_n, hs[nt])
    return out, h_n, None, bwd


def _seq_ref(mode, a, lens, reverse):
    """NumPy reference of one direction with xw given directly (W_ih = I, no b_ih)."""
    gh = a["w_hh"].shape[0]
    p = [np.eye(gh), a["w_hh"], None, a["b_hh"]]
    return ref_direction(mode, a["xw"], a["h0"], a.get("c0"), p, lens, reverse)


@pytest.mark.parametrize("mode,reverse", list(itertools.product(MODES, [False, True])))
def test_sequence_kernels_at_blocking_sizes_float64(mode, reverse):
    nt, nb, nh = 4, 13, 130
    gh = GATES[mode] * nh
    lens = np.array([4, 1, 3, 4, 2, 4, 4, 3, 1, 4, 2, 4, 3], np.int64)
    a = dict(xw=RNG.standard_normal((nt, nb, gh)) * 0.5, h0=RNG.standard_normal((nb, nh)) * 0.5,
             w_hh=RNG.standard_normal((gh, nh)) / np.sqrt(nh), b_hh=RNG.standard_normal(gh) * 0.1)
    if mode == "lstm":
        a["c0"] = RNG.standard_normal((nb, nh)) * 0.5
    out, hn, cn, bwd = _seq_kernel(mode, a["xw"], a["h0"], a.get("c0"), a["w_hh"], a["b_hh"], lens, reverse)
    ref_out, ref_hn, ref_cn = _seq_ref(mode, a, lens, reverse)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hn, ref_hn, rtol=1e-12, atol=1e-12)
    if mode == "lstm":
        np.testing.assert_allclose(cn, ref_cn, rtol=1e-12, atol=1e-12)

    # Backward: every gradient against a central difference of the reference along a random direction.
    g_out, g_hn, g_cn = RNG.standard_normal(out.shape), RNG.standard_normal(hn.shape), RNG.standard_normal(hn.shape)
    grads = bwd(g_out, g_hn, g_cn)

    def loss(args, absolute=False):
        o, h, c = _seq_ref(mode, args, lens, reverse)
        f = np.abs if absolute else (lambda v: v)
        return np.sum(f(o * g_out)) + np.sum(f(h * g_hn)) + (np.sum(f(c * g_cn)) if mode == "lstm" else 0.0)

    # relu is piecewise linear: its central difference is exact up to rounding unless a pre-activation lies within
    # the step of its kink, so it takes a step 100× smaller (smooth modes need the larger one for accuracy).
    eps = 1e-8 if mode == "relu" else 1e-6
    rounding = 64 * np.finfo(np.float64).eps * loss(a, absolute=True) / eps   # the difference's rounding error
    for name, g in grads.items():
        v = RNG.standard_normal(a[name].shape)
        plus = dict(a, **{name: a[name] + eps * v})
        minus = dict(a, **{name: a[name] - eps * v})
        fd = (loss(plus) - loss(minus)) / (2 * eps)
        np.testing.assert_allclose(np.sum(g * v), fd, rtol=1e-6, atol=1e-8 + rounding, err_msg=name)


@pytest.mark.parametrize("mode", MODES)
def test_sequence_kernels_at_blocking_sizes_float32(mode):
    nt, nb, nh = 5, 13, 130
    gh = GATES[mode] * nh
    lens = np.array([5, 2, 5, 1, 4, 5, 3, 5, 5, 2, 5, 4, 5], np.int64)
    a = dict(xw=RNG.standard_normal((nt, nb, gh)) * 0.5, h0=RNG.standard_normal((nb, nh)) * 0.5,
             w_hh=RNG.standard_normal((gh, nh)) / np.sqrt(nh), b_hh=RNG.standard_normal(gh) * 0.1,
             c0=RNG.standard_normal((nb, nh)) * 0.5)
    a32 = {k: v.astype(np.float32) for k, v in a.items()}
    a64 = {k: v.astype(np.float64) for k, v in a32.items()}
    if mode != "lstm":
        a64.pop("c0")
    out, hn, cn, bwd = _seq_kernel(mode, a32["xw"], a32["h0"], a32["c0"], a32["w_hh"], a32["b_hh"], lens, False)
    assert out.dtype == hn.dtype == np.float32
    ref_out, ref_hn, ref_cn = _seq_ref(mode, a64, lens, False)
    np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(hn, ref_hn, rtol=1e-5, atol=1e-5)
    if mode == "lstm":
        np.testing.assert_allclose(cn, ref_cn, rtol=1e-5, atol=1e-5)
    # float32 gradients against the float64 kernels' (checked against the reference above).
    go = RNG.standard_normal(out.shape).astype(np.float32)
    gn = RNG.standard_normal(hn.shape).astype(np.float32)
    g32 = bwd(go, gn, gn)
    _, _, _, bwd64 = _seq_kernel(mode, a64["xw"], a64["h0"], a64.get("c0"), a64["w_hh"], a64["b_hh"], lens, False)
    g64 = bwd64(go.astype(np.float64), gn.astype(np.float64), gn.astype(np.float64))
    for name in g64:
        assert g32[name].dtype == np.float32
        scale = np.abs(g64[name]).max()
        np.testing.assert_allclose(g32[name], g64[name], rtol=0, atol=2e-5 * scale, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vectorised_activations_match_numpy(dtype):
    from tinygradnb.kernels.cpu.rnn import _lstm_row

    # The gate loop of the LSTM uses σ and tanh over the whole range, saturation included.
    nh = 4001
    z = np.linspace(-30, 30, 4 * nh).astype(dtype)
    zero = np.zeros(4 * nh, dtype)
    c = np.linspace(-20, 20, nh).astype(dtype)
    h_new, c_new, gates = np.empty(nh, dtype), np.empty(nh, dtype), np.empty(4 * nh, dtype)
    _lstm_row(z, zero, c, h_new, c_new, gates)
    z64 = z.astype(np.float64)
    sig = 1.0 / (1.0 + np.exp(-z64))
    ref_tanh = np.tanh(z64[2 * nh:3 * nh])
    sig_parts = np.concatenate([gates[:2 * nh], gates[3 * nh:]])
    ref_sig = np.concatenate([sig[:2 * nh], sig[3 * nh:]])
    if dtype == np.float32:
        # float32: tanh within 2 ulp (relative); σ = ½ + ½·tanh(v/2) within 2^-23 (one ulp of 1) absolutely.
        np.testing.assert_allclose(gates[2 * nh:3 * nh], ref_tanh, rtol=3e-7, atol=1e-12)
        np.testing.assert_allclose(sig_parts, ref_sig, rtol=0, atol=1.25e-7)
    else:
        np.testing.assert_allclose(gates[2 * nh:3 * nh], ref_tanh, rtol=1e-14, atol=1e-300)
        np.testing.assert_allclose(sig_parts, ref_sig, rtol=1e-14, atol=1e-300)
    assert np.all(sig_parts >= 0) and np.all(sig_parts <= 1) and np.all(np.abs(gates) <= 1)
    np.testing.assert_allclose(h_new, gates[3 * nh:] * np.tanh(c_new.astype(np.float64)),
                               rtol=1e-6 if dtype == np.float32 else 1e-14, atol=1e-30)


# ----------------------------------------------------------------------------- packed sequences (nn.utils.rnn)
from tinygradnb.nn.utils import rnn as U  # noqa: E402
from tinygradnb.nn.utils.rnn import (PackedSequence, pack_padded_sequence, pack_sequence,  # noqa: E402
                                     pad_packed_sequence, pad_sequence, unpack_sequence, unpad_sequence)


def _ints(t, device="cpu"):
    """A tensor's values as a list, after checking it is an int64 tensor on ``device`` (the CPU: batch_sizes and
    lengths always are; sorted_indices and unsorted_indices live with the data)."""
    assert t.device == device and t.dtype == tg.int64
    return t.numpy().tolist()


def test_utils_keeps_clip_grad_norm_and_exposes_rnn():
    from tinygradnb.nn.utils import clip_grad_norm_
    assert clip_grad_norm_ is tg.utils.clip_grad_norm_
    assert tg.nn.utils.rnn.pack_padded_sequence is pack_padded_sequence


def test_pack_padded_sequence_unsorted_batch_first_as_torch(device):
    # torch 2.13: the example of pad_packed_sequence's docstring
    seq = tg.tensor([[1, 2, 0], [3, 0, 0], [4, 5, 6]], device=device)
    packed = pack_padded_sequence(seq, [2, 1, 3], batch_first=True, enforce_sorted=False)
    assert isinstance(packed, PackedSequence) and isinstance(packed, tuple)
    assert packed._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert packed.data.dtype == tg.int64 and packed.data.numpy().tolist() == [4, 1, 3, 5, 2, 6]
    assert packed.data.device == device and packed.is_cuda == (device == "cuda")
    assert _ints(packed.batch_sizes) == [3, 2, 1]
    assert _ints(packed.sorted_indices, device) == [2, 0, 1] and _ints(packed.unsorted_indices, device) == [1, 2, 0]
    if device == "cpu":
        assert repr(packed).startswith("PackedSequence(data=tensor([4, 1, 3, 5, 2, 6]), batch_sizes=tensor([3, 2, "
                                       "1])")
    padded, lengths = pad_packed_sequence(packed, batch_first=True)
    assert padded.numpy().tolist() == [[1, 2, 0], [3, 0, 0], [4, 5, 6]] and padded.dtype == tg.int64
    assert padded.device == device
    assert _ints(lengths) == [2, 1, 3]
    data, batch_sizes, sorted_indices, unsorted_indices = packed           # a named tuple unpacks
    assert data is packed.data and sorted_indices is packed.sorted_indices


def test_pack_padded_sequence_sorted_time_major_as_torch(device):
    x = tg.arange(12.0, device=device).reshape(3, 4, 1)                    # T = 3, B = 4
    for lengths in ([3, 2, 2, 1], (3, 2, 2, 1), tg.tensor([3, 2, 2, 1]), np.array([3, 2, 2, 1], np.int32),
                    tg.tensor([3, 2, 2, 1], dtype=tg.int32)):
        packed = pack_padded_sequence(x, lengths)
        # torch 2.13: data [0, 1, 2, 3, 4, 5, 6, 8], batch_sizes [4, 3, 1], no indices
        assert packed.data.shape == (8, 1) and packed.data.dtype == tg.float32 and packed.data.device == device
        assert packed.data.numpy()[:, 0].tolist() == [0, 1, 2, 3, 4, 5, 6, 8]
        assert _ints(packed.batch_sizes) == [4, 3, 1]
        assert packed.sorted_indices is None and packed.unsorted_indices is None
    # torch 2.13: float lengths convert to int64 (as torch.as_tensor(lengths, dtype=torch.int64))
    assert _ints(pack_padded_sequence(x, [3.0, 2, 2, 1]).batch_sizes) == [4, 3, 1]
    # torch 2.13: with no trailing dimension the data is 1-D
    packed = pack_padded_sequence(tg.arange(4.0, device=device).reshape(4, 1), [4])
    assert packed.data.shape == (4,) and _ints(packed.batch_sizes) == [1, 1, 1, 1]


def test_pack_padded_sequence_ties_keep_their_order(device):
    """enforce_sorted=False sorts by decreasing length, equal lengths in their original order (torch's CPU sort)."""
    x = tg.arange(12.0, device=device).reshape(3, 4)
    packed = pack_padded_sequence(x, [1, 3, 1, 3], enforce_sorted=False)
    # torch 2.13: data [1, 3, 0, 2, 5, 7, 9, 11], batch_sizes [4, 2, 2], sorted [1, 3, 0, 2], unsorted [2, 0, 3, 1]
    assert packed.data.numpy().tolist() == [1, 3, 0, 2, 5, 7, 9, 11]
    assert _ints(packed.batch_sizes) == [4, 2, 2]
    assert _ints(packed.sorted_indices, device) == [1, 3, 0, 2]
    assert _ints(packed.unsorted_indices, device) == [2, 0, 3, 1]
    packed = pack_padded_sequence(x, [2, 2, 2, 2], enforce_sorted=False)
    assert _ints(packed.sorted_indices, device) == [0, 1, 2, 3] and _ints(packed.batch_sizes) == [4, 4]


def test_pad_packed_sequence_total_length_padding_value_batch_first(device):
    x = tg.arange(12.0, device=device).reshape(3, 4, 1)
    packed = pack_padded_sequence(x, [2, 3, 1, 2], enforce_sorted=False)
    # torch 2.13: pad_packed_sequence(packed)
    padded, lengths = pad_packed_sequence(packed)
    assert padded.shape == (3, 4, 1) and _ints(lengths) == [2, 3, 1, 2]
    assert padded.numpy()[..., 0].tolist() == [[0, 1, 2, 3], [4, 5, 0, 7], [0, 9, 0, 0]]
    # torch 2.13: pad_packed_sequence(packed, batch_first=True, padding_value=-1, total_length=4)
    padded, lengths = pad_packed_sequence(packed, batch_first=True, padding_value=-1, total_length=4)
    assert padded.shape == (4, 4, 1) and padded.dtype == tg.float32 and padded.device == device
    assert _ints(lengths) == [2, 3, 1, 2]
    assert padded.numpy()[..., 0].tolist() == [[0, 4, -1, -1], [1, 5, 9, -1], [2, -1, -1, -1], [3, 7, -1, -1]]
    # torch 2.13: an integer batch pads with the padding value converted to its dtype (2.5 -> 2)
    packed = pack_padded_sequence(tg.arange(12, device=device).reshape(3, 4, 1), [3, 2, 2, 1])
    padded, _ = pad_packed_sequence(packed, padding_value=2.5)
    assert padded.dtype == tg.int64
    assert padded.numpy()[..., 0].tolist() == [[0, 1, 2, 3], [4, 5, 6, 2], [8, 2, 2, 2]]


def test_pack_then_pad_is_the_identity_on_valid_rows(device):
    _pack_then_pad(True, False, [2, 5, 1, 4], device)


@pytest.mark.parametrize("batch_first,enforce_sorted,lengths", [(False, True, [5, 3, 3, 1]),
                                                                (True, True, [5, 3, 3, 1]),
                                                                (False, False, [2, 5, 1, 4]),
                                                                (False, False, [4, 4, 4, 4]),
                                                                (True, False, [4, 4, 4, 4])])
def test_pack_then_pad_is_the_identity_on_valid_rows_more(batch_first, enforce_sorted, lengths):
    """The other layouts: the same gathers on the CPU only, to keep the simulator's time."""
    _pack_then_pad(batch_first, enforce_sorted, lengths, "cpu")


def _pack_then_pad(batch_first, enforce_sorted, lengths, device):
    x = RNG.standard_normal((4, 5, 2, 3) if batch_first else (5, 4, 2, 3))
    packed = pack_padded_sequence(tg.tensor(x, device=device), lengths, batch_first=batch_first,
                                  enforce_sorted=enforce_sorted)
    assert packed.data.shape == (sum(lengths), 2, 3)
    padded, lens = pad_packed_sequence(packed, batch_first=batch_first, padding_value=7.0)
    assert _ints(lens) == list(lengths) and padded.device == device
    got = padded.numpy()
    for b, ln in enumerate(lengths):
        row, want = (got[b], x[b]) if batch_first else (got[:, b], x[:, b])
        np.testing.assert_array_equal(row[:ln], want[:ln])
        assert (row[ln:] == 7.0).all()
    assert unpack_sequence(packed)[1].shape == (lengths[1], 2, 3)
    for s, ln, b in zip(unpack_sequence(packed), lengths, range(4)):
        np.testing.assert_array_equal(s.numpy(), (x[b] if batch_first else x[:, b])[:ln])


def test_pack_and_pad_are_differentiable(device):
    """pad_packed_sequence(pack_padded_sequence(x)) passes gradients to the valid rows of x and none to the rest;
    pack_sequence and pad_sequence pass them to every element."""
    lengths = [2, 4, 1]

    def fn(x):
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        return pad_packed_sequence(packed, padding_value=0.5, total_length=5)[0] * 3.0

    def ref(x):
        out = np.full((5, 3, 2), 1.5)
        for b, ln in enumerate(lengths):
            out[:ln, b] = 3.0 * x[:ln, b]
        return out
    check_grad(fn, ref, [RNG.standard_normal((4, 3, 2))], device=device)
    seqs = [RNG.standard_normal((n, 2)) for n in (3, 1, 2)]

    def ref_pack(*s):                      # time-major rows of the samples by decreasing length (ties in order)
        order = sorted(range(len(s)), key=lambda b: -len(s[b]))
        return np.stack([s[b][t] for t in range(max(map(len, s))) for b in order if len(s[b]) > t])

    def ref_pad_left(*s):
        out = np.full((len(s), max(map(len, s)), 2), -1.0)
        for b, q in enumerate(s):
            out[b, out.shape[1] - len(q):] = q
        return out
    check_grad(lambda *s: pack_sequence(list(s), enforce_sorted=False).data, ref_pack, seqs, device=device)
    check_grad(lambda *s: pad_sequence(list(s), True, -1.0, "left"), ref_pad_left, seqs, device=device)


def test_pad_sequence_as_torch(device="cpu"):   # CPU only (on devices: test_pack_and_pad_are_differentiable)
    d = dict(device=device)
    a, b = tg.ones(2, 2, **d), tg.ones(3, 2, **d)
    # torch 2.13: pad_sequence([ones(2, 2), ones(3, 2)]) -> (3, 2, 2), zeros at [2, 0]
    out = pad_sequence([a, b])
    assert out.shape == (3, 2, 2) and out.dtype == tg.float32 and out.device == device
    assert out.numpy().tolist() == [[[1, 1], [1, 1]], [[1, 1], [1, 1]], [[0, 0], [1, 1]]]
    # torch 2.13: padding_side='left', batch_first=True, padding_value=5
    out = pad_sequence([a, b], padding_side="left", batch_first=True, padding_value=5)
    assert out.numpy().tolist() == [[[5, 5], [1, 1], [1, 1]], [[1, 1], [1, 1], [1, 1]]]
    # torch 2.13: the first sequence's dtype; an int batch rounds the padding value toward zero
    assert pad_sequence([a, b.double()]).dtype == tg.float32
    assert pad_sequence([b.long(), a]).dtype == tg.int64
    out = pad_sequence([tg.tensor([1, 1], **d), tg.tensor([1, 1, 1], **d)], padding_value=2.7)
    assert out.dtype == tg.int64 and out.numpy().tolist() == [[1, 1], [1, 1], [2, 1]]
    # torch 2.13: a tensor is the sequence of its rows; a tuple works; empty sequences pad fully
    assert pad_sequence(tg.ones(2, 3, **d)).shape == (3, 2)
    assert pad_sequence((tg.ones(0, 2, **d), tg.ones(0, 2, **d))).shape == (0, 2, 2)
    out = pad_sequence([tg.ones(0, 2, **d), tg.ones(2, 2, **d)], batch_first=True)
    assert out.numpy().tolist() == [[[0, 0], [0, 0]], [[1, 1], [1, 1]]]
    # torch 2.13: pack_sequence([[1, 2, 3], [4, 5], [6]]) -> data [1, 4, 6, 2, 5, 3], batch_sizes [3, 2, 1]
    packed = pack_sequence([tg.tensor([1, 2, 3], **d), tg.tensor([4, 5], **d), tg.tensor([6], **d)])
    assert packed.data.numpy().tolist() == [1, 4, 6, 2, 5, 3] and _ints(packed.batch_sizes) == [3, 2, 1]
    packed = pack_sequence([tg.ones(2, **d), tg.ones(3, **d)], enforce_sorted=False)
    assert _ints(packed.batch_sizes) == [2, 2, 1] and _ints(packed.sorted_indices, device) == [1, 0]
    padded = pad_sequence([tg.tensor([1.0, 2.0], **d), tg.tensor([3.0], **d)])
    assert [s.numpy().tolist() for s in unpad_sequence(padded, tg.tensor([2, 1]))] == [[1, 2], [3]]
    assert padded.shape == (2, 2)                                         # left as it was


def test_packed_sequence_construction_and_to():
    data, bs = tg.ones(3), tg.tensor([2, 1])
    p = PackedSequence(data, bs)
    assert p.sorted_indices is None and p.unsorted_indices is None
    # torch 2.13: unsorted_indices is the inverse of sorted_indices when not given
    p = PackedSequence(data, bs, tg.tensor([1, 2, 0]))
    assert _ints(p.unsorted_indices) == [2, 0, 1]
    p = PackedSequence((data, bs))                                        # the (data, batch_sizes) pair form
    assert p.data is data and p.batch_sizes is bs
    with pytest.raises(TypeError, match="pair"):
        PackedSequence(data)
    x = tg.tensor(RNG.standard_normal((3, 2)), dtype=tg.float32)
    p = pack_padded_sequence(x, [3, 1], enforce_sorted=False)
    assert p.to(tg.float32) is p and p.to("cpu") is p and p.cpu() is p
    q = p.to(tg.float64)
    assert isinstance(q, PackedSequence) and q.data.dtype == tg.float64
    assert q.batch_sizes is p.batch_sizes and q.sorted_indices is p.sorted_indices
    assert p.double().data.dtype == tg.float64 and q.float().data.dtype == tg.float32
    assert p.to(dtype=tg.float64).data.dtype == tg.float64 and p.to(tg.zeros(1, dtype=tg.float64)).data.dtype \
        == tg.float64
    assert not p.is_cuda
    assert U.invert_permutation(None) is None
    assert _ints(U.invert_permutation(tg.tensor([2, 0, 1]))) == [1, 2, 0]
    with pytest.raises(RuntimeError, match="permutation"):
        U.invert_permutation(tg.tensor([0, 0, 1]))
    with pytest.raises(TypeError, match="unexpected keyword"):
        p.to(memory_format=None)


def test_packed_sequence_to_a_device_moves_data_and_indices_only(device):
    p = pack_padded_sequence(tg.randn(3, 2, 4), [1, 3], enforce_sorted=False)
    for q in (p.to(device), p.cuda() if device == "cuda" else p.cpu()):
        assert q.is_cuda == (device == "cuda") and q.data.device == device
        assert q.sorted_indices.device == q.unsorted_indices.device == device
        assert q.batch_sizes is p.batch_sizes
        np.testing.assert_array_equal(q.data.numpy(), p.data.numpy())
        np.testing.assert_array_equal(q.sorted_indices.numpy(), p.sorted_indices.numpy())
        assert q.to(device) is q and q.cpu().data.device == "cpu" and q.cpu().sorted_indices.device == "cpu"
    if device != "cpu":
        with pytest.raises(ValueError, match="batch_sizes should always be on CPU"):
            PackedSequence(p.data, p.batch_sizes.to(device))
        with pytest.raises(RuntimeError, match="'lengths' argument should be a 1D CPU int64 tensor"):
            pack_padded_sequence(tg.randn(3, 2, device=device), tg.tensor([3, 2], device=device))


def test_pack_padded_sequence_errors_as_torch(device):
    x = tg.arange(12.0, device=device).reshape(3, 4, 1)
    # torch 2.13: RuntimeError for unsorted lengths, naming enforce_sorted and how to fix it
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order when `enforce_sorted` is True. "
                                           "You can pass `enforce_sorted=False`"):
        pack_padded_sequence(x, [3, 2, 3, 1])
    with pytest.raises(RuntimeError, match="enforce_sorted=False"):
        pack_sequence([tg.ones(2, device=device), tg.ones(3, device=device)])
    for sort in (True, False):
        with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
            pack_padded_sequence(x, [3, 2, 2, 0], enforce_sorted=sort)
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        pack_sequence([tg.ones(2, device=device), tg.ones(0, device=device)], enforce_sorted=False)
    # torch 2.13 reads past the input for a length > T; here it is an error naming T
    with pytest.raises(RuntimeError, match="lengths must be at most the input's sequence length T=3"):
        pack_padded_sequence(x, [4, 2, 2, 1])
    with pytest.raises(RuntimeError, match=r"T=4 \(dim 1"):
        pack_padded_sequence(x, [5, 2, 2], batch_first=True)
    for lengths in ([3, 2, 2], [3, 2, 2, 1, 1]):
        with pytest.raises(RuntimeError, match=r"Expected `len\(lengths\)` to be equal to batch_size, but got "
                                               rf"{len(lengths)} \(batch_size=4\)"):
            pack_padded_sequence(x, lengths)
    for lengths in (tg.tensor([[3, 2, 2, 1]]), 3):
        with pytest.raises(RuntimeError, match="'lengths' argument should be a 1D CPU int64 tensor"):
            pack_padded_sequence(x, lengths)
    with pytest.raises(RuntimeError, match="Cannot pack empty tensors"):
        pack_padded_sequence(x[:0], [3, 2, 2, 1])
    with pytest.raises(RuntimeError, match="Cannot pack empty tensors"):
        pack_padded_sequence(x[:, :0], [], enforce_sorted=False)
    with pytest.raises(IndexError, match="at least 2 dimensions"):
        pack_padded_sequence(tg.arange(4.0, device=device), [1])
    with pytest.raises(TypeError, match="input must be a Tensor"):
        pack_padded_sequence([[1.0]], [1])
    with pytest.raises(TypeError, match="lengths"):
        pack_padded_sequence(x, ["a", "b", "c", "d"])
    with pytest.raises(TypeError, match="enforce_sorted must be a bool"):
        pack_padded_sequence(x, [3, 2, 2, 1], enforce_sorted="no")


def test_pad_packed_sequence_and_pad_sequence_errors_as_torch(device):
    d = dict(device=device)
    packed = pack_padded_sequence(tg.arange(12.0, **d).reshape(3, 4), [3, 2, 2, 1])
    # torch 2.13: ValueError naming total_length and the longest length
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of the longest sequence "
                                         "in input, but got total_length=2 and max sequence length being 3"):
        pad_packed_sequence(packed, total_length=2)
    with pytest.raises(TypeError, match="total_length must be an int"):
        pad_packed_sequence(packed, total_length=3.0)
    with pytest.raises(TypeError, match="sequence must be a PackedSequence"):
        pad_packed_sequence(tg.ones(3, 2, **d))
    with pytest.raises(RuntimeError, match="batch_sizes sum to 8 but data has 7 rows"):
        pad_packed_sequence(PackedSequence(packed.data[:7], packed.batch_sizes))
    with pytest.raises(RuntimeError, match="non-increasing"):
        pad_packed_sequence(PackedSequence(packed.data, tg.tensor([1, 3, 4])))
    # torch 2.13: RuntimeError messages of pad_sequence
    with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right, but got middle."):
        pad_sequence([tg.ones(2, **d)], padding_side="middle")
    with pytest.raises(RuntimeError, match="received an empty list of sequences"):
        pad_sequence([])
    with pytest.raises(RuntimeError, match="received an empty list of sequences"):
        pack_sequence([])
    with pytest.raises(RuntimeError, match="Expected iterable for input sequences"):
        pad_sequence(5)
    with pytest.raises(TypeError, match="0-d tensor"):
        pad_sequence(tg.tensor(1.0, **d))
    with pytest.raises(RuntimeError, match=r"sequences\[1\] has shape \(3, 3\), expected \(L, \*\(2,\)\)"):
        pad_sequence([tg.ones(2, 2, **d), tg.ones(3, 3, **d)])
    with pytest.raises(RuntimeError, match=r"sequences\[0\] is a 0-d tensor"):
        pad_sequence([tg.tensor(1.0, **d)])
    with pytest.raises(TypeError, match="expected Tensor as element 1 in argument 0, but got list"):
        pad_sequence([tg.ones(2, **d), [3.0]])
    with pytest.raises(TypeError, match="padding_value must be a number"):
        pad_sequence([tg.ones(2, **d)], padding_value="0")


# ----------------------------------------------------------------------------- modules on PackedSequences
def _torch_setup(cls, device, **kw):
    """The weights and input of the hard-coded torch 2.13 cases: every parameter, in named_parameters order, and
    then x (3, 3, 2) drawn from default_rng(2024) (U(-0.7, 0.7) and standard normal)."""
    rng = np.random.default_rng(2024)
    m = cls(2, 2, dtype=tg.float64, **kw)
    with tg.no_grad():
        for _, p in m.named_parameters():
            p.data = tg.tensor(rng.uniform(-0.7, 0.7, p.shape))
    return m.to(device), rng.standard_normal((3, 3, 2))


def test_packed_lstm_bidirectional_two_layers_as_torch(device):
    m, x = _torch_setup(LSTM, device, num_layers=2, bidirectional=True)
    xt = tg.tensor(x, requires_grad=True, device=device)
    out, (h_n, c_n) = m(pack_padded_sequence(xt, [2, 3, 1], enforce_sorted=False))
    assert isinstance(out, PackedSequence) and out.data.device == h_n.device == c_n.device == device
    assert _ints(out.batch_sizes) == [3, 2, 1]
    assert _ints(out.sorted_indices, device) == [1, 0, 2] and _ints(out.unsorted_indices, device) == [1, 0, 2]
    # torch 2.13: the same weights in torch.nn.LSTM(2, 2, num_layers=2, bidirectional=True, dtype=float64)
    want_out = [[-0.1227291529, 0.1338689865, -0.0151992442, -0.3627948326],
                [-0.1262266928, 0.1481637929, 0.0062266357, -0.2922215669],
                [-0.1224011724, 0.1326279773, 0.0092471696, -0.1775137801],
                [-0.1633604099, 0.221327849, -0.0084068802, -0.3009537815],
                [-0.1590280686, 0.2219406527, 0.0179783903, -0.1728968373],
                [-0.1577738317, 0.2721735049, 0.0020282669, -0.1763409575]]
    want_h = [[[-0.0796727909, 0.098588016], [-0.0683866769, 0.2577785815], [-0.1543774848, 0.1203861004]],
              [[-0.0557603201, -0.1334704736], [-0.1137332718, -0.1861511003], [-0.0530020762, -0.1144199593]],
              [[-0.1590280686, 0.2219406527], [-0.1577738317, 0.2721735049], [-0.1224011724, 0.1326279773]],
              [[0.0062266357, -0.2922215669], [-0.0151992442, -0.3627948326], [0.0092471696, -0.1775137801]]]
    want_c = [[[-0.1763444436, 0.3406632007], [-0.0939292562, 0.4262189249], [-0.2747222543, 0.3358538659]],
              [[-0.1329450884, -0.2223829086], [-0.2311867539, -0.4583880642], [-0.1202278164, -0.1876692868]],
              [[-0.2718949097, 0.3877196772], [-0.2695497247, 0.4784870482], [-0.2047515663, 0.2204803297]],
              [[0.0098173446, -0.5969486021], [-0.0238922369, -0.7649042637], [0.0148750666, -0.34943716]]]
    np.testing.assert_allclose(out.data.numpy(), want_out, rtol=0, atol=2e-10)
    np.testing.assert_allclose(h_n.numpy(), want_h, rtol=0, atol=2e-10)  # h_n in the original batch order
    np.testing.assert_allclose(c_n.numpy(), want_c, rtol=0, atol=2e-10)
    weights = tg.arange(1.0, 25.0, device=device).reshape(4, 3, 2).double()
    (out.data.sum() + (h_n * weights).sum() + c_n.sum()).backward()
    # torch 2.13: the gradients of the same loss
    want_gx = [[[-1.1909013795, -0.815911268], [-1.1054199338, -1.175570075], [-1.5353668262, -0.1539480892]],
               [[-0.786316174, -0.5331706692], [-0.4251979536, 0.1152525507], [0.0, 0.0]],
               [[0.0, 0.0], [-1.1798725297, -0.9494464232], [0.0, 0.0]]]
    want_gw = [[0.0001704713, 0.08305218], [-0.0157094407, 0.7548674525], [0.0022076191, -0.0037538173],
               [-0.0047630791, 0.5071986707], [0.042662829, -2.3270781961], [0.0433510517, -2.3965608554],
               [0.0018371771, 0.0290862103], [-0.0209525538, 1.7107663165]]
    np.testing.assert_allclose(xt.grad.numpy(), want_gx, rtol=0, atol=2e-10)
    np.testing.assert_allclose(m.weight_hh_l1_reverse.grad.numpy(), want_gw, rtol=0, atol=2e-10)


def test_packed_gru_batch_first_with_hx_as_torch(device):
    m, x = _torch_setup(GRU, device, batch_first=True)
    xt = tg.tensor(x, requires_grad=True, device=device)
    h0 = tg.tensor([[[0.5, -0.25], [0.1, 0.2], [-0.3, 0.4]]], dtype=tg.float64, requires_grad=True, device=device)
    packed = pack_padded_sequence(xt, tg.tensor([1, 3, 2]), batch_first=True, enforce_sorted=False)
    out, h_n = m(packed, h0)                                   # h0 in the original batch order
    # torch 2.13: torch.nn.GRU(2, 2, batch_first=True, dtype=float64) with the same weights
    assert _ints(out.sorted_indices, device) == [1, 2, 0] and _ints(out.unsorted_indices, device) == [2, 0, 1]
    np.testing.assert_allclose(out.data.numpy(), [[0.1706729064, -0.2063234686], [-0.3047786624, -0.2035300904],
                                                  [-0.0160041346, -0.4455561665], [-0.0391479239, -0.400486408],
                                                  [-0.1959616928, -0.4137776779], [-0.2155753883, -0.5218168579]],
                               rtol=0, atol=2e-10)
    np.testing.assert_allclose(h_n.numpy(), [[[-0.0160041346, -0.4455561665], [-0.2155753883, -0.5218168579],
                                              [-0.1959616928, -0.4137776779]]], rtol=0, atol=2e-10)
    ((out.data ** 2).sum() + h_n.sum()).backward()
    np.testing.assert_allclose(xt.grad.numpy(), [[[0.1351614718, -0.2647277487], [0, 0], [0, 0]],
                                                 [[0.0701479861, 0.0419346826], [0.0226812168, -0.0286795134],
                                                  [-0.0267552576, -0.1722142692]],
                                                 [[-0.0068217078, -0.016428295], [-0.0800147832, -0.158788813],
                                                  [0, 0]]], rtol=0, atol=2e-10)
    np.testing.assert_allclose(h0.grad.numpy(), [[[0.6651073413, 0.1555090875], [0.2808678807, -0.4904608591],
                                                  [-0.36479845, -0.0755023371]]], rtol=0, atol=2e-10)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("num_layers,bidirectional,batch_first,enforce_sorted,lengths", [
    (1, False, False, True, [4, 3, 3, 1]),
    (2, True, False, False, [2, 4, 1, 3]),
    (2, False, True, False, [1, 4, 1, 4]),
    (1, True, True, True, [4, 4]),
])
def test_packed_input_equals_the_lengths_path(mode, num_layers, bidirectional, batch_first, enforce_sorted,
                                              lengths, device="cpu"):
    """A PackedSequence gives the padded-with-lengths outputs at the valid rows, h_n/c_n in the original order and
    the same gradients for the input, the initial state and every parameter. Two routes above the device seam to
    the same kernels: on the CPU (the packed modules on every device: the torch cases above)."""
    nt, nb, ni, nh = max(lengths), len(lengths), 3, 2
    m = make(mode, ni, nh, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first,
             dtype=tg.float64, device=device)
    dirs = 2 if bidirectional else 1
    x = RNG.standard_normal((nb, nt, ni) if batch_first else (nt, nb, ni))
    h0, c0 = RNG.standard_normal((2, num_layers * dirs, nb, nh))
    g_out = RNG.standard_normal((nb, nt, dirs * nh) if batch_first else (nt, nb, dirs * nh))
    g_h = RNG.standard_normal((num_layers * dirs, nb, nh))

    def run(packed):
        xt, ht, ct = (tg.tensor(a, requires_grad=True, device=device) for a in (x, h0, c0))
        hx = (ht, ct) if mode == "lstm" else ht
        if packed:
            p = pack_padded_sequence(xt, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
            out, state = m(p, hx)
            assert isinstance(out, PackedSequence) and out.batch_sizes is p.batch_sizes
            assert out.sorted_indices is p.sorted_indices and out.data.shape == (sum(lengths), dirs * nh)
            out = pad_packed_sequence(out, batch_first=batch_first)[0]
        else:
            out, state = m(xt, hx, lengths=lengths)
        h_n = state[0] if mode == "lstm" else state
        loss = (out * tg.tensor(g_out, device=device)).sum() + (h_n * tg.tensor(g_h, device=device)).sum()
        if mode == "lstm":
            loss = loss + state[1].sum()
        m.zero_grad()
        loss.backward()
        grads = [xt.grad.numpy(), ht.grad.numpy()] + [p.grad.numpy() for p in m.parameters()]
        return [out.numpy()] + [s.numpy() for s in (state if mode == "lstm" else (state,))] + grads

    for got, want in zip(run(True), run(False)):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)


def test_packed_input_float32_and_default_state(device="cpu"):   # CPU only (float32 on devices: the ops' tests)
    m = LSTM(3, 4, device=device)
    seqs = [tg.randn(n, 3, device=device) for n in (2, 5, 3)]
    out, (h_n, c_n) = m(pack_sequence(seqs, enforce_sorted=False))
    assert out.data.dtype == tg.float32 and out.data.shape == (10, 4) and h_n.shape == c_n.shape == (1, 3, 4)
    assert out.data.device == h_n.device == device
    for b, s in enumerate(seqs):                               # each sample alone, in the original order
        o1, (h1, _) = m(s)
        np.testing.assert_allclose(h_n.numpy()[0, b], h1.numpy()[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(unpack_sequence(out)[b].numpy(), o1.numpy(), rtol=1e-5, atol=1e-6)


def test_packed_input_errors(device):
    d = dict(device=device)
    m = GRU(2, 3).to(device)
    p = pack_padded_sequence(tg.randn(3, 4, 2, **d), [2, 3, 1, 2], enforce_sorted=False)
    with pytest.raises(ValueError, match="lengths must be None for a PackedSequence"):
        m(p, lengths=[2, 3, 1, 2])
    # torch 2.13: RuntimeError "input.size(-1) must be equal to input_size. Expected 2, got 3"
    with pytest.raises(RuntimeError, match="expected input_size=2"):
        m(PackedSequence(tg.randn(8, 3, **d), p.batch_sizes, p.sorted_indices))
    # torch 2.13: RuntimeError "input must have 2 dimensions, got 3"
    with pytest.raises(RuntimeError, match="must have 2 dimensions"):
        m(PackedSequence(tg.randn(8, 1, 2, **d), p.batch_sizes, p.sorted_indices))
    # torch 2.13: ValueError "RNN input dtype (torch.float64) does not match weight dtype (torch.float32)"
    with pytest.raises(ValueError, match="dtype float64"):
        m(p.double())
    with pytest.raises(RuntimeError, match=r"hx must have shape \(1, 4, 3\)"):
        m(p, tg.zeros(1, 3, 3, **d))
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\)"):
        LSTM(2, 3).to(device)(p, tg.zeros(1, 4, 3, **d))


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("mode", ["rnn", "lstm", "gru"])
def test_sequence_kernels_give_the_same_rows_for_any_batch_split(mode, reverse):
    """The CPU sequence kernels split the batch into row blocks, one per thread; every row's result, and dW_hh,
    must not depend on the split (1 block, 3 uneven blocks, one block per row)."""
    from tinygradnb.kernels.cpu import rnn as KR
    rng = np.random.default_rng(5)
    nt, nb, nh = 5, 13, 6
    g = {"rnn": 1, "lstm": 4, "gru": 3}[mode]
    xw = rng.standard_normal((nt, nb, g * nh))
    h0, c0 = rng.standard_normal((nb, nh)), rng.standard_normal((nb, nh))
    w, bias = rng.standard_normal((g * nh, nh)) / 3, rng.standard_normal(g * nh)
    lengths = rng.integers(1, nt + 1, nb).astype(np.int64)
    g_out, g_h, g_c = (rng.standard_normal(s) for s in ((nt, nb, nh), (nb, nh), (nb, nh)))
    results = []
    for nblk in (1, 3, nb):
        if mode == "rnn":
            out, hs = KR._rnn_forward(xw, h0, w, bias, lengths, False, reverse, nblk)
            back = KR._rnn_bptt(g_out, g_h, hs, w, lengths, False, reverse, nblk)
        elif mode == "lstm":
            out, hs, cs, gates = KR._lstm_forward(xw, h0, c0, w, bias, lengths, reverse, nblk)
            back = KR._lstm_bptt(g_out, g_h, g_c, hs, cs, gates, w, lengths, reverse, nblk)
        else:
            out, hs, gates = KR._gru_forward(xw, h0, w, bias, lengths, reverse, nblk)
            back = KR._gru_bptt(g_out, g_h, hs, gates, w, lengths, reverse, nblk)
        results.append([out, hs, *back, *KR._weight_grad(back[1], hs)])
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
