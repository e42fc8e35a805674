"""embedding and embedding_bag (tinygradnb/ops/embedding.py) on every device: the gather against NumPy, the
scatter-add gradient (repeated indices, padding_idx, rows never indexed), gradcheck, empty shapes, bad arguments,
and bad indices (raised at the call on the CPU, at the next read on cuda); the bags against torch 2.13's values."""
import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb.ops.embedding import embedding
import tinygradnb.nn.functional as F
from tinygradnb import nn

from refgrad import check_grad

# (index shape, V, D, dtype): 1-D, 0-d, empty and 1x1 cases; the backward test below looks up 2-D indices and 40
# indices (more than the simulator's 2 blocks of 16 threads, more than the table's rows) in both dtypes too. Few
# cases: each call costs on the simulator.
SHAPES = [((5,), 7, 4, "float64"), ((), 7, 4, "float32"), ((0,), 7, 4, "float64"), ((1,), 1, 1, "float32")]


def _table(device):
    """A (3, 2) float32 table (copied to the device: no kernel launch)."""
    return tg.tensor(np.zeros((3, 2), np.float32), device=device)


def _tol(dtype):
    # the gradient's repeated rows accumulate by atomics on cuda, in a scheduling-dependent order
    return dict(rtol=2e-6, atol=2e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("idx_shape,v,d,dtype", SHAPES)
def test_embedding_forward(idx_shape, v, d, dtype, device):
    rng = np.random.default_rng(1)
    w = rng.standard_normal((v, d)).astype(dtype)
    idx = rng.integers(0, v, size=idx_shape)
    out = embedding(tg.tensor(idx, dtype=tg.int64, device=device), tg.tensor(w, device=device))
    assert out.shape == idx_shape + (d,) and out.dtype == getattr(tg, dtype) and out.device == device
    np.testing.assert_array_equal(out.numpy(), w[idx])  # a gather is exact


def test_embedding_int32_indices_float32_weight(device):
    w = np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32)
    idx = np.array([[4, 0], [0, 2]], np.int32)
    out = embedding(tg.tensor(idx, dtype=tg.int32, device=device), tg.tensor(w, device=device))
    assert out.dtype == tg.float32
    np.testing.assert_array_equal(out.numpy(), w[idx])


def test_embedding_non_contiguous_indices(device):
    w = np.random.default_rng(3).standard_normal((6, 2))
    idx = np.array([[5, 0, 1], [2, 2, 4]])
    out = embedding(tg.tensor(idx, device=device).T, tg.tensor(w, device=device))
    np.testing.assert_array_equal(out.numpy(), w[idx.T])


def test_embedding_gradcheck_repeated_indices(device):
    idx = tg.tensor([[1, 2, 1], [5, 1, 0]], device=device)
    w = tg.tensor(np.random.default_rng(4).standard_normal((6, 3)), device=device, requires_grad=True)
    # off the CPU along one random direction (fast_mode): each evaluation launches kernels
    assert tg.gradcheck(lambda w: embedding(idx, w), [w], fast_mode=device != "cpu")


@pytest.mark.parametrize("idx,v,d,padding_idx,dtype", [
    ([[1, 2, 1], [5, 1, 2]], 6, 3, None, "float64"),
    ([[1, 2, 1], [5, 1, 2]], 6, 3, -5, "float32"),     # row 1 of 6
    ([0], 1, 1, None, "float32"),
    (np.random.default_rng(5).integers(0, 6, 40).tolist(), 6, 9, 2, "float32"),
    (np.random.default_rng(5).integers(0, 6, 40).tolist(), 6, 9, None, "float64"),
])
def test_embedding_backward_scatter_add_and_padding(idx, v, d, padding_idx, dtype, device):
    rng = np.random.default_rng(6)
    idx = np.array(idx)
    w = tg.tensor(rng.standard_normal((v, d)).astype(dtype), device=device, requires_grad=True)
    g = rng.standard_normal(idx.shape + (d,)).astype(dtype)
    out = embedding(tg.tensor(idx, device=device), w, padding_idx=padding_idx)
    assert out.dtype == w.dtype and out.shape == idx.shape + (d,)
    np.testing.assert_array_equal(out.numpy(), w.numpy()[idx])  # the padding row is still looked up
    out.backward(tg.tensor(g, device=device))
    ref = np.zeros((v, d))
    np.add.at(ref, idx.reshape(-1), g.reshape(-1, d).astype(np.float64))
    if padding_idx is not None:
        ref[padding_idx] = 0
    got = w.grad.numpy()
    assert got.dtype == dtype and got.shape == (v, d)
    np.testing.assert_allclose(got, ref, **_tol(dtype))
    assert not got[ref == 0].any()  # rows never indexed, and the padding row, are exactly zero


def test_embedding_float_indices(device):
    with pytest.raises(TypeError, match="integer"):
        embedding(tg.tensor([0.0, 1.0], device=device), _table(device))


def test_embedding_bool_indices(device):
    with pytest.raises(TypeError, match="integer"):
        embedding(tg.tensor([True, False], device=device), _table(device))


# the CPU checks the indices at the call; cuda at the next read of a result (here out.numpy())
def test_embedding_index_too_large(device):
    with pytest.raises(IndexError, match=r"index 3 .* 3 rows"):
        embedding(tg.tensor([0, 3, 1], device=device), _table(device)).numpy()


def test_embedding_negative_index(device):
    with pytest.raises(IndexError, match=r"index -1 .* 3 rows"):
        embedding(tg.tensor([[0, -1]], device=device), _table(device)).numpy()


def test_embedding_bad_indices_stay_inside_the_table(device):
    # cuda launches the kernels before the indices are checked (at the next read): meanwhile they must neither
    # read nor write outside the table — an out-of-range row is NaN and its gradient is dropped
    if device != "cuda":
        pytest.skip("the CPU raises at the call, before any kernel runs")
    rng = np.random.default_rng(7)
    w0, g = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32)
    w = tg.tensor(w0, device=device, requires_grad=True)
    out = embedding(tg.tensor([1, 4, -1, 2], device=device), w)
    out.backward(tg.tensor(g, device=device))
    with pytest.raises(IndexError, match=r"index -1 .* 4 rows"):
        out.numpy()
    got = out.numpy()   # reported once; the values are readable after it
    np.testing.assert_array_equal(got[[0, 3]], w0[[1, 2]])
    assert np.isnan(got[[1, 2]]).all()
    want = np.zeros_like(w0)
    want[1], want[2] = g[0], g[3]
    np.testing.assert_array_equal(w.grad.numpy(), want)


@pytest.mark.parametrize("shape", [(6,), (2, 3, 2)])
def test_embedding_weight_not_2d(shape, device):
    with pytest.raises(ValueError, match="2-D"):
        embedding(tg.tensor([0], device=device), tg.tensor(np.zeros(shape, np.float32), device=device))


def test_embedding_integer_weight(device):
    with pytest.raises(TypeError, match="weight"):
        embedding(tg.tensor([0], device=device), tg.tensor([[1, 2]], device=device))


def test_embedding_padding_idx_out_of_range(device):
    with pytest.raises(ValueError, match="padding_idx"):
        embedding(tg.tensor([0], device=device), _table(device), padding_idx=3)


def test_embedding_padding_idx_type(device):
    with pytest.raises(TypeError, match="padding_idx"):
        embedding(tg.tensor([0], device=device), _table(device), padding_idx=1.0)


def test_embedding_with_empty_dims_matches_torch(device):
    # torch 2.13: a (5, 0) table gives (2, 0) rows and a (5, 0) gradient; a (0, 3) table with no indices gives
    # (0, 3); no indices into a (4, 3) table give a zero gradient
    w = tg.zeros(5, 0, device=device, requires_grad=True)
    out = embedding(tg.tensor([[1, 2]], device=device), w)
    assert out.shape == (1, 2, 0)
    out.backward(tg.zeros(1, 2, 0, device=device))
    assert w.grad.shape == (5, 0)
    for table, idx in (((0, 3), (0,)), ((4, 3), (2, 0))):
        w = tg.zeros(*table, device=device, requires_grad=True)
        out = embedding(tg.tensor(np.zeros(idx, np.int64), device=device), w, padding_idx=None)
        assert out.shape == idx + (3,) and out.dtype == tg.float32
        out.backward(tg.zeros(*out.shape, device=device))
        assert w.grad.shape == table and not w.grad.numpy().any()


def test_embedding_indices_are_guarded_against_in_place_changes(device):
    # torch 2.13 saves the indices for backward: changing them in place before backward raises
    w = tg.ones(4, 2, device=device, requires_grad=True)
    idx = tg.tensor([0, 3], device=device)
    out = embedding(idx, w)
    idx += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward(tg.ones(2, 2, device=device))


# ----------------------------------------------------------------------------- embedding_bag
RNG = np.random.default_rng(0)


def test_embedding_bag_follows_torch(device):
    w = tg.tensor(np.arange(18.0).reshape(6, 3), device=device)
    idx, off = tg.tensor([1, 2, 4, 5, 4, 3, 2, 0], device=device), tg.tensor([0, 3, 3, 6], device=device)
    out = F.embedding_bag(idx, w, off, mode="mean")
    # torch 2.13: bag 1 is empty (zeros), bag 2 = rows 5, 4, 3, bag 3 = rows 2, 0
    assert out.tolist() == [[7.0, 8.0, 9.0], [0.0, 0.0, 0.0], [12.0, 13.0, 14.0], [3.0, 4.0, 5.0]]
    m = F.embedding_bag(tg.tensor([[1, 2, 0], [0, 0, 0]], device=device), w, mode="max", padding_idx=0)
    assert m.tolist() == [[6.0, 7.0, 8.0], [0.0, 0.0, 0.0]]                                # torch 2.13
    s = F.embedding_bag(tg.tensor([1, 2, 4, 5], device=device), w, tg.tensor([0, 2], device=device), mode="sum",
                        per_sample_weights=tg.tensor([0.5, 1.0, 2.0, -1.0], dtype=tg.float64, device=device))
    assert s.tolist() == [[7.5, 9.0, 10.5], [9.0, 10.0, 11.0]]
    bags = [[1, 2, 4], [], [5, 4, 3], [2, 0]]                     # the bags of idx and off
    check_grad(lambda t: F.embedding_bag(idx, t, off, mode="max"),
               lambda t: np.stack([t[b].max(0) if b else np.zeros(3) for b in bags]), [RNG.standard_normal((6, 3))],
               device)


def test_embedding_bag_mean_gradient_module_and_errors():
    w = tg.tensor(np.arange(18.0).reshape(6, 3), requires_grad=True)
    idx, off = tg.tensor([1, 2, 4, 5, 4, 3, 2, 0]), tg.tensor([0, 3, 3, 6])
    F.embedding_bag(idx, w, off, mode="mean").sum().backward()
    np.testing.assert_allclose(w.grad.numpy()[:, 0], [0.5, 1 / 3, 1 / 3 + 0.5, 1 / 3, 2 / 3, 1 / 3])
    bag = nn.EmbeddingBag(6, 3, mode="sum")
    assert bag(tg.tensor([[1, 2], [3, 4]])).shape == (2, 3) and [n for n, _ in bag.named_parameters()] == ["weight"]
    with pytest.raises(ValueError, match="offsets"):
        F.embedding_bag(idx, w)
    with pytest.raises(ValueError, match="per_sample_weights"):
        F.embedding_bag(idx, w, off, mode="mean", per_sample_weights=tg.ones(8, dtype=tg.float64))
