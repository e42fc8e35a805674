"""CUDA recurrent kernels (Elman tanh/relu, LSTM, GRU; cells and whole sequences, forward and BPTT) against their
CPU twins: every returned array's values, dtype, shape and contiguity, with variable lengths and ``reverse``."""
import numpy as np
import pytest

from tinygradnb.kernels import cpu as C
from tinygradnb.kernels.cuda import rnn as G
from tinygradnb.kernels.cuda._launch import _is_c_contiguous

from conftest import dev, host, rand, tol

DTYPES = [np.float32, np.float64]


@pytest.fixture(autouse=True)
def _nan_filled_outputs(monkeypatch):
    """Every array the kernels allocate starts as NaN (device_array is uninitialised on a GPU but often zero in
    the simulator), so that an element a kernel fails to write is caught."""
    monkeypatch.setattr(G, "empty", lambda shape, dtype: dev(np.full(shape, np.nan, dtype)))
KINDS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]
NGATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def _same(got, want, dtype):
    """One device result against the CPU's: dtype, shape, C-contiguity and values."""
    assert _is_c_contiguous(got)
    got = host(got)
    assert got.dtype == want.dtype == np.dtype(dtype)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, **tol(dtype))


def _all_same(got, want, dtype):
    assert isinstance(got, tuple) and len(got) == len(want)
    for a, b in zip(got, want):
        _same(a, b, dtype)


def _params(kind, nb, n, dtype, seed=0):
    g = NGATES[kind]
    return dict(w_hh=rand((g * n, n), dtype, seed + 1, 0.5), b_hh=rand(g * n, dtype, seed + 2, 0.5),
                h=rand((nb, n), dtype, seed + 3, 0.5), c=rand((nb, n), dtype, seed + 4, 0.5))


# ----------------------------------------------------------------------------- cells
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("nb,n", [(2, 3), (2, 5), (5, 7)])   # (5, 7): more work items than simulator threads
def test_cell_matches_cpu(kind, nb, n, dtype):
    p = _params(kind, nb, n, dtype)
    w, b, h, c = p["w_hh"], p["b_hh"], p["h"], p["c"]
    xw = rand((nb, NGATES[kind] * n), dtype, seed=7)
    g = rand((nb, n), dtype, seed=8)
    if kind.startswith("rnn"):
        relu = kind == "rnn_relu"
        out = C.rnn_cell_forward(xw, h, w, b, relu)
        got = G.rnn_cell_forward(dev(xw), dev(h), dev(w), dev(b), relu)
        _same(got, out, dtype)
        want = C.rnn_cell_backward(g, h, w, out, relu)
        got = G.rnn_cell_backward(dev(g), dev(h), dev(w), dev(out), relu)
    elif kind == "lstm":
        want = C.lstm_cell_forward(xw, h, c, w, b)
        _all_same(G.lstm_cell_forward(dev(xw), dev(h), dev(c), dev(w), dev(b)), want, dtype)
        _, c_new, gates = want
        gc = rand((nb, n), dtype, seed=9)
        want = C.lstm_cell_backward(g, gc, h, c, c_new, gates, w)
        got = G.lstm_cell_backward(dev(g), dev(gc), dev(h), dev(c), dev(c_new), dev(gates), dev(w))
    else:
        want = C.gru_cell_forward(xw, h, w, b)
        _all_same(G.gru_cell_forward(dev(xw), dev(h), dev(w), dev(b)), want, dtype)
        gates = want[1]
        want = C.gru_cell_backward(g, h, gates, w)
        got = G.gru_cell_backward(dev(g), dev(h), dev(gates), dev(w))
    _all_same(got, want, dtype)


def test_cell_relu_zero_gradient_where_inactive():
    """relu's dz is 0 where h' = 0, so those rows contribute nothing to dW_hh, db_hh."""
    w = np.eye(3, dtype=np.float64)
    h = np.zeros((2, 3))
    xw = np.array([[-1.0, 2.0, -3.0], [4.0, -5.0, 6.0]])
    out = host(G.rnn_cell_forward(dev(xw), dev(h), dev(w), dev(np.zeros(3)), True))
    np.testing.assert_array_equal(out, np.maximum(xw, 0))
    dxw, dh, dw, db = host(G.rnn_cell_backward(dev(np.ones((2, 3))), dev(h), dev(w), dev(out), True))
    np.testing.assert_array_equal(dxw, (xw > 0).astype(np.float64))
    np.testing.assert_array_equal(dh, dxw)            # dh = dz·W_hh with W_hh = I
    np.testing.assert_array_equal(dw, np.zeros((3, 3)))  # dW_hh = dzᵀ·h with h = 0
    np.testing.assert_array_equal(db, [1.0, 1.0, 1.0])


# ----------------------------------------------------------------------------- whole sequences
def _run_sequence(kind, nt, nb, n, lengths, reverse, dtype):
    """Forward and backward of one sequence kernel on both backends; compares every returned array."""
    p = _params(kind, nb, n, dtype, seed=10)
    w, b, h0, c0 = p["w_hh"], p["b_hh"], p["h"], p["c"]
    lens = np.asarray(lengths, np.int64)
    xw = rand((nt, nb, NGATES[kind] * n), dtype, seed=20)
    g_out = rand((nt, nb, n), dtype, seed=21)     # also non-zero at invalid times: the kernels must ignore it
    g_hn = rand((nb, n), dtype, seed=22)
    d = dict(xw=dev(xw), h0=dev(h0), w=dev(w), b=dev(b), lens=dev(lens), g_out=dev(g_out), g_hn=dev(g_hn))
    if kind.startswith("rnn"):
        relu = kind == "rnn_relu"
        want = C.rnn_sequence_forward(xw, h0, w, b, lens, relu, reverse)
        _all_same(G.rnn_sequence_forward(d["xw"], d["h0"], d["w"], d["b"], d["lens"], relu, reverse), want, dtype)
        hs = want[1]
        want_b = C.rnn_sequence_backward(g_out, g_hn, hs, w, lens, relu, reverse)
        got_b = G.rnn_sequence_backward(d["g_out"], d["g_hn"], dev(hs), d["w"], d["lens"], relu, reverse)
    elif kind == "lstm":
        want = C.lstm_sequence_forward(xw, h0, c0, w, b, lens, reverse)
        _all_same(G.lstm_sequence_forward(d["xw"], d["h0"], dev(c0), d["w"], d["b"], d["lens"], reverse), want,
                  dtype)
        _, hs, cs, gates = want
        g_cn = rand((nb, n), dtype, seed=23)
        want_b = C.lstm_sequence_backward(g_out, g_hn, g_cn, hs, cs, gates, w, lens, reverse)
        got_b = G.lstm_sequence_backward(d["g_out"], d["g_hn"], dev(g_cn), dev(hs), dev(cs), dev(gates), d["w"],
                                         d["lens"], reverse)
    else:
        want = C.gru_sequence_forward(xw, h0, w, b, lens, reverse)
        _all_same(G.gru_sequence_forward(d["xw"], d["h0"], d["w"], d["b"], d["lens"], reverse), want, dtype)
        _, hs, gates = want
        want_b = C.gru_sequence_backward(g_out, g_hn, hs, gates, w, lens, reverse)
        got_b = G.gru_sequence_backward(d["g_out"], d["g_hn"], dev(hs), dev(gates), d["w"], d["lens"], reverse)
    _all_same(got_b, want_b, dtype)
    return want, want_b


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lengths,reverse", [([3, 3], False), ([3, 1], False), ([3, 1], True), ([2, 3], True)])
def test_sequence_matches_cpu(kind, lengths, reverse, dtype):
    want, _ = _run_sequence(kind, 3, 2, 4, lengths, reverse, dtype)
    out = want[0]
    for b, ln in enumerate(lengths):                  # sanity of the reference itself: zero past each length
        assert not out[ln:, b].any()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reverse", [False, True])
def test_sequence_more_items_than_threads(kind, reverse):
    """B·G·H, B·H and G·H·H beyond the simulator's 128 threads, so that every grid-stride loop takes several
    turns; a mix of lengths."""
    _run_sequence(kind, 2, 5, 7, [2, 1, 2, 2, 1], reverse, np.float64)


@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru"])
def test_sequence_empty_batch(kind):
    """B = 0 launches nothing but the weight kernels: dW_hh, db_hh are zeros."""
    _, want_b = _run_sequence(kind, 2, 0, 3, [], False, np.float32)
    assert not want_b[1].any() and not want_b[2].any()


def test_reverse_single_step_sample_equals_forward():
    """A sample of length 1 gives the same output forward and reversed (its one valid step is t = 0)."""
    nt, nb, n = 3, 2, 4
    p = _params("gru", nb, n, np.float64)
    xw = rand((nt, nb, 3 * n), np.float64, seed=5)
    lens = dev(np.array([1, 1], np.int64))
    f = host(G.gru_sequence_forward(dev(xw), dev(p["h"]), dev(p["w_hh"]), dev(p["b_hh"]), lens, False))
    r = host(G.gru_sequence_forward(dev(xw), dev(p["h"]), dev(p["w_hh"]), dev(p["b_hh"]), lens, True))
    for a, b in zip(f, r):
        np.testing.assert_array_equal(a, b)


def test_gates_saturate_at_extreme_inputs_as_on_the_cpu():
    import tinygradnb as tg
    from tinygradnb import nn
    for cls in (nn.LSTM, nn.GRU):
        tg.manual_seed(0)
        m = cls(1, 2)
        x = tg.tensor([[[-1e4]], [[1e4]]])
        want = m(x)[0].numpy()
        got = m.to("cuda")(x.to("cuda"))[0].numpy()
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------------- packed sequences on cuda
def _rnn_utils():
    import tinygradnb as tg
    from tinygradnb.nn.utils import rnn as U
    return tg, U


def test_pack_and_pad_keep_data_on_the_device_and_batch_sizes_on_the_cpu():
    tg, U = _rnn_utils()
    x = np.random.default_rng(0).standard_normal((4, 3, 2))
    lengths = [2, 4, 1]
    xc = tg.tensor(x, device="cuda", requires_grad=True)
    packed = U.pack_padded_sequence(xc, lengths, enforce_sorted=False)
    want = U.pack_padded_sequence(tg.tensor(x), lengths, enforce_sorted=False)
    assert packed.is_cuda and packed.data.device == "cuda"
    assert packed.batch_sizes.device == "cpu" and packed.batch_sizes.dtype == tg.int64
    assert packed.sorted_indices.device == packed.unsorted_indices.device == "cuda"
    np.testing.assert_array_equal(packed.data.numpy(), want.data.numpy())
    np.testing.assert_array_equal(packed.sorted_indices.numpy(), want.sorted_indices.numpy())
    padded, lens = U.pad_packed_sequence(packed, batch_first=True, padding_value=-2.0, total_length=5)
    assert padded.device == "cuda" and lens.device == "cpu" and lens.numpy().tolist() == lengths
    np.testing.assert_array_equal(padded.numpy(), U.pad_packed_sequence(want, True, -2.0, 5)[0].numpy())
    w = np.random.default_rng(1).standard_normal((3, 5, 2))
    (padded * tg.tensor(w, device="cuda")).sum().backward()
    assert xc.grad.device == "cuda"
    g = np.zeros_like(x)
    for b, ln in enumerate(lengths):
        g[:ln, b] = w[b, :ln]
    np.testing.assert_array_equal(xc.grad.numpy(), g)
    seqs = [tg.tensor(x[:ln, b], device="cuda") for b, ln in enumerate(lengths)]
    out = U.pad_sequence(seqs, batch_first=True, padding_side="left")
    assert out.device == "cuda"
    np.testing.assert_array_equal(out.numpy(), U.pad_sequence([s.cpu() for s in seqs], True, 0.0, "left").numpy())


def test_packed_sequence_to_moves_data_and_indices_only():
    tg, U = _rnn_utils()
    p = U.pack_padded_sequence(tg.randn(3, 2, 4), [1, 3], enforce_sorted=False)
    for q in (p.to("cuda"), p.cuda()):
        assert q.is_cuda and q.sorted_indices.device == q.unsorted_indices.device == "cuda"
        assert q.batch_sizes is p.batch_sizes
        np.testing.assert_array_equal(q.data.numpy(), p.data.numpy())
        assert q.to("cuda") is q and q.cpu().data.device == "cpu" and q.cpu().sorted_indices.device == "cpu"
    with pytest.raises(ValueError, match="batch_sizes should always be on CPU"):
        U.PackedSequence(p.data, p.batch_sizes.to("cuda"))
    with pytest.raises(RuntimeError, match="'lengths' argument should be a 1D CPU int64 tensor"):
        U.pack_padded_sequence(tg.randn(3, 2, device="cuda"), tg.tensor([3, 2], device="cuda"))


def test_packed_lstm_on_cuda_equals_the_cpu():
    tg, U = _rnn_utils()
    from tinygradnb import nn
    tg.manual_seed(0)
    m = nn.LSTM(2, 3, num_layers=2, bidirectional=True, dtype=tg.float64)
    mc = nn.LSTM(2, 3, num_layers=2, bidirectional=True, dtype=tg.float64)
    mc.load_state_dict(m.state_dict())
    mc.to("cuda")
    x = np.random.default_rng(2).standard_normal((3, 3, 2))
    h0 = np.random.default_rng(3).standard_normal((4, 3, 3))
    results = []
    for model, device in ((m, "cpu"), (mc, "cuda")):
        xt = tg.tensor(x, device=device, requires_grad=True)
        ht = tg.tensor(h0, device=device, requires_grad=True)
        packed = U.pack_padded_sequence(xt, [2, 3, 1], enforce_sorted=False)
        out, (h_n, c_n) = model(packed, (ht, tg.zeros(4, 3, 3, dtype=tg.float64, device=device)))
        assert out.data.device == h_n.device == device and out.batch_sizes.device == "cpu"
        ((out.data ** 2).sum() + h_n.sum() + c_n.sum()).backward()
        results.append([out.data.numpy(), h_n.numpy(), c_n.numpy(), xt.grad.numpy(), ht.grad.numpy(),
                        model.weight_ih_l1_reverse.grad.numpy()])
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
