"""CUDA embedding gather and atomic scatter-add gradient against their CPU twins."""
import numpy as np
import pytest

from tinygradnb.kernels import cpu as C
from tinygradnb.kernels.cuda import embedding as G

from conftest import dev, host, rand, tol


def _idx(n, v, seed=0):
    return np.random.default_rng(seed).integers(0, v, n).astype(np.int64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n,v,d", [(1, 1, 1), (7, 5, 3), (40, 6, 9)])
def test_embedding_forward_matches_cpu(n, v, d, dtype):
    w, idx = rand((v, d), dtype, seed=1), _idx(n, v)
    got = G.embedding_forward(dev(w), dev(idx))
    assert got.dtype == dtype and got.shape == (n, d)
    np.testing.assert_array_equal(host(got), C.embedding_forward(w, idx))   # a gather is exact


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pad", [-1, 2])
@pytest.mark.parametrize("n,v,d", [(1, 1, 1), (7, 5, 3), (40, 6, 9)])
def test_embedding_backward_matches_cpu(n, v, d, pad, dtype):
    # repeated indices (n > v) accumulate through atomics in a scheduling-dependent order: compare with a tolerance
    g, idx = rand((n, d), dtype, seed=2), _idx(n, v, seed=3)
    got = G.embedding_backward(dev(g), dev(idx), v, pad)
    want = C.embedding_backward(g, idx, v, pad)
    assert got.dtype == dtype and got.shape == (v, d)
    np.testing.assert_allclose(host(got), want, **tol(dtype))
    if 0 <= pad < v:
        assert not host(got)[pad].any()


def test_embedding_backward_rows_never_indexed_are_zero():
    g, idx = rand((4, 3), np.float64, seed=4), np.array([1, 1, 3, 1], np.int64)
    got = host(G.embedding_backward(dev(g), dev(idx), 6, -1))
    np.testing.assert_allclose(got[1], g[0] + g[1] + g[3], **tol(np.float64))
    assert not got[[0, 2, 4, 5]].any()


def test_embedding_empty_inputs():
    w = rand((5, 3), np.float32)
    out = G.embedding_forward(dev(w), dev(np.zeros(0, np.int64)))
    assert out.shape == (0, 3) and out.dtype == np.float32
    dw = G.embedding_backward(dev(np.zeros((0, 3), np.float32)), dev(np.zeros(0, np.int64)), 5, -1)
    assert dw.shape == (5, 3) and not host(dw).any()


def test_embedding_with_an_empty_table_dim():
    # a (5, 0) table: rows of nothing and a (5, 0) gradient, as the CPU twin (and torch 2.13)
    w = np.zeros((5, 0), np.float64)
    idx = np.array([1, 2, 1], np.int64)
    out = G.embedding_forward(dev(w), dev(idx))
    assert out.shape == (3, 0) and C.embedding_forward(w, idx).shape == (3, 0)
    dw = G.embedding_backward(dev(np.zeros((3, 0))), dev(idx), 5, -1)
    assert dw.shape == (5, 0) and C.embedding_backward(np.zeros((3, 0)), idx, 5, -1).shape == (5, 0)


def test_out_of_range_indices_stay_inside_the_table():
    # The op layer reports a bad index after the launch (tinygradnb.device.check); meanwhile the kernels must
    # neither read nor write outside the table: the row is NaN, its gradient is dropped.
    w = rand((4, 3), np.float32)
    idx = np.array([1, 4, -1, 2], np.int64)
    out = host(G.embedding_forward(dev(w), dev(idx)))
    np.testing.assert_array_equal(out[[0, 3]], w[[1, 2]])
    assert np.isnan(out[[1, 2]]).all()
    g = rand((4, 3), np.float32, 1)
    dw = host(G.embedding_backward(dev(g), dev(idx), 4, -1))
    want = np.zeros_like(w)
    want[1], want[2] = g[0], g[3]
    np.testing.assert_array_equal(dw, want)
