"""CUDA perceptron epoch (one block walking the samples in order) and prediction against their CPU twins."""
import numpy as np
import pytest

from tinygradnb.kernels import cpu as C
from tinygradnb.kernels.cuda import perceptron as G

from conftest import dev, host, rand, tol


def _problem(n, d, dtype, seed=0):
    X = rand((n, d), dtype, seed=seed)
    w_true = rand(d, np.float64, seed=seed + 1)
    y = (X.astype(np.float64) @ w_true + 0.3 > 0).astype(np.int64)
    return X, y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n,d", [(1, 1), (9, 5), (12, 70), (0, 3)])
def test_epochs_match_cpu(n, d, dtype):
    X, y = _problem(n, d, dtype)
    w_c, b_c = np.zeros(d, dtype), np.zeros(1, dtype)
    w_g, b_g = dev(w_c), dev(b_c)
    for lr in (1.0, 0.5, 0.25):                                   # several epochs, continuing from the weights
        m_c = C.perceptron_epoch_(w_c, b_c, X, y, lr)
        m_g = G.perceptron_epoch_(w_g, b_g, dev(X), dev(y), lr)
        assert type(m_g) is int and m_g == m_c
        assert host(w_g).dtype == dtype and host(b_g).shape == (1,)
        np.testing.assert_allclose(host(w_g), w_c, **tol(dtype))
        np.testing.assert_allclose(host(b_g), b_c, **tol(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n,d", [(1, 1), (45, 6), (0, 3)])
def test_predict_matches_cpu(n, d, dtype):
    X, _ = _problem(n, d, dtype, seed=3)
    w, b = rand(d, dtype, seed=5), rand(1, dtype, seed=6)
    got = G.perceptron_predict(dev(w), dev(b), dev(X))
    assert got.dtype == np.int64 and got.shape == (n,)
    np.testing.assert_array_equal(host(got), C.perceptron_predict(w, b, X))


def test_epoch_converges_on_separable_data():
    X = np.array([[2, 1], [-1, -2], [1, 2], [-2, -1], [3, 3], [-3, -3]], np.float64)
    y = np.array([1, 0, 1, 0, 1, 0], np.int64)
    w, b = dev(np.zeros(2)), dev(np.zeros(1))
    mistakes = []
    while not mistakes or (mistakes[-1] and len(mistakes) < 10):
        mistakes.append(G.perceptron_epoch_(w, b, dev(X), dev(y), 1.0))
    assert mistakes[0] > 0 and mistakes[-1] == 0
    np.testing.assert_array_equal(host(G.perceptron_predict(w, b, dev(X))), y)
