"""Activations: forward against NumPy float64, float32 forward, gradcheck, numerics at ±100, bad inputs."""
import math
import warnings

import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb.ops.activation import relu, leaky_relu, sigmoid, tanh, softplus, gelu
from opcheck import check_op

_erf = np.vectorize(math.erf)


def _np_sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # an independent, overflow-free form


def _np_gelu(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _np_gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def _np_softplus(x, beta=1.0, threshold=20.0):
    u = beta * x
    return np.where(u > threshold, x, np.logaddexp(0.0, u) / beta)


OPS = [
    ("relu", relu, lambda x: np.maximum(x, 0.0)),
    ("leaky_relu", leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x)),
    ("leaky_relu_0.2", lambda x: leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    ("sigmoid", sigmoid, _np_sigmoid),
    ("tanh", tanh, np.tanh),
    ("softplus", softplus, _np_softplus),
    ("softplus_beta2", lambda x: softplus(x, beta=2.0, threshold=3.0), lambda x: _np_softplus(x, 2.0, 3.0)),
    ("gelu", gelu, _np_gelu),
    ("gelu_tanh", lambda x: gelu(x, approximate="tanh"), _np_gelu_tanh),
]


@pytest.mark.parametrize("name,fn,ref", OPS, ids=[o[0] for o in OPS])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2), (5,), ()], ids=str)
def test_forward_and_grad(name, fn, ref, shape):
    check_op(fn, ref, shape, seed=len(shape))


@pytest.mark.parametrize("name,fn,ref", OPS, ids=[o[0] for o in OPS])
def test_empty_and_noncontiguous(name, fn, ref):
    assert fn(tg.zeros(2, 0, 3, dtype=tg.float64)).shape == (2, 0, 3)
    a = np.random.default_rng(3).uniform(-2, 2, size=(4, 3))
    x = tg.tensor(a, requires_grad=True).T  # a transposed (non-contiguous) view
    np.testing.assert_allclose(fn(x).numpy(), ref(a.T), rtol=1e-10, atol=1e-12)
    assert tg.gradcheck(lambda t: fn(t.T), [tg.tensor(a, requires_grad=True)])


def test_relu_gradient_at_zero_is_zero():
    x = tg.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])


def test_gelu_known_values():
    x = tg.tensor([0.0, 1.0, -1.0], dtype=tg.float64)
    np.testing.assert_allclose(gelu(x).numpy(), [0.0, 0.8413447460685429, -0.15865525393145707], rtol=1e-12)
    np.testing.assert_allclose(gelu(x, approximate="tanh").numpy(), [0.0, 0.8411919906082768,
                                                                     -0.15880800939172324], rtol=1e-12)


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64], ids=str)
def test_sigmoid_tanh_extremes_are_finite(dtype):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        x = tg.tensor([-100.0, -30.0, 0.0, 30.0, 100.0], dtype=dtype, requires_grad=True)
        s = sigmoid(x)
        s.sum().backward()
        t = tanh(tg.tensor([-100.0, 100.0], dtype=dtype))
        g = gelu(tg.tensor([-100.0, 100.0], dtype=dtype))
        sp = softplus(tg.tensor([-100.0, 100.0], dtype=dtype), threshold=1e9)
    assert np.all(np.isfinite(s.numpy())) and np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(s.numpy()[[0, 2, 4]], [0.0, 0.5, 1.0], atol=1e-30)
    np.testing.assert_allclose(x.grad.numpy()[[0, 4]], [0.0, 0.0], atol=1e-30)
    np.testing.assert_array_equal(t.numpy(), [-1.0, 1.0])
    np.testing.assert_allclose(g.numpy(), [0.0, 100.0], atol=1e-30)
    np.testing.assert_allclose(sp.numpy(), [0.0, 100.0], atol=1e-30)


def test_integer_input_is_cast_to_float32():
    out = sigmoid(tg.tensor([0, 1]))
    assert out.dtype == tg.float32
    np.testing.assert_allclose(out.numpy(), [0.5, _np_sigmoid(1.0)], rtol=1e-6)


def test_float32_gradient():
    a = np.linspace(-2, 2, 7)
    x = tg.tensor(a.astype(np.float32), requires_grad=True)
    gelu(x).sum().backward()
    assert x.grad.dtype == tg.float32
    xd = tg.tensor(a, requires_grad=True)
    gelu(xd).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xd.grad.numpy(), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("fn", [relu, sigmoid, tanh, gelu, leaky_relu, softplus], ids=lambda f: f.__name__)
def test_not_a_tensor(fn):
    with pytest.raises(TypeError, match="must be a Tensor, got list"):
        fn([1.0, 2.0])


def test_bool_input():
    with pytest.raises(TypeError, match="got bool"):
        relu(tg.tensor([True, False]))


def test_gelu_bad_approximate():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'erf'"):
        gelu(tg.tensor([1.0]), approximate="erf")


def test_leaky_relu_bad_slope():
    with pytest.raises(TypeError, match="negative_slope must be a real number, got '0.1'"):
        leaky_relu(tg.tensor([1.0]), "0.1")


def test_softplus_bad_beta():
    with pytest.raises(ValueError, match="beta must be > 0, got 0.0"):
        softplus(tg.tensor([1.0]), beta=0)
