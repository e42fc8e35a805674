"""CUDA dropout against its CPU twin: the mask is bit-identical (same counter-based stream), forward and backward."""
import numpy as np
import pytest

from tinygradnb.kernels import cpu as C
from tinygradnb.kernels.cuda import dropout as G

from conftest import dev, host, rand


def _nonzero(n, dtype, seed):
    x = rand(n, dtype, seed=seed)
    x[x == 0] = 1
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("n,seed,offset", [(1, 0, 0), (37, 7, 5), (301, 2**64 - 1, 2**33)])
def test_dropout_matches_cpu_exactly(n, seed, offset, p, dtype):
    x, g = _nonzero(n, dtype, 1), _nonzero(n, dtype, 2)
    y = G.dropout_forward(dev(x), p, seed, offset)
    y_c = C.dropout_forward(x, p, np.uint64(seed), offset)
    assert y.dtype == dtype and y.shape == (n,)
    np.testing.assert_array_equal(host(y) != 0, y_c != 0)       # the masks, exactly
    np.testing.assert_array_equal(host(y), y_c)                 # and the scaled values (same float ops)
    dx = G.dropout_backward(dev(g), p, seed, offset)
    dx_c = C.dropout_backward(g, p, np.uint64(seed), offset)
    assert dx.dtype == dtype and dx.shape == (n,)
    np.testing.assert_array_equal(host(dx) != 0, host(y) != 0)  # backward regenerates the forward mask
    np.testing.assert_array_equal(host(dx), dx_c)


def test_dropout_p1_gives_zeros_and_empty_input():
    assert not host(G.dropout_forward(dev(np.ones(40, np.float32)), 1.0, 3, 0)).any()
    out = G.dropout_forward(dev(np.zeros(0, np.float64)), 0.5, 3, 0)
    assert out.shape == (0,) and out.dtype == np.float64
