"""CUDA activation kernels against their CPU twins, forward and backward."""
import numpy as np
import pytest

from tinygradnb.kernels import cpu as C
from tinygradnb.kernels import cuda as G

from conftest import dev, host, rand, tol

CASES = [("relu", ()), ("leaky_relu", (0.1,)), ("sigmoid", ()), ("tanh", ()), ("softplus", (1.5, 20.0)),
         ("softplus", (1.0, 0.5)), ("gelu", (False,)), ("gelu", (True,))]
SAVED_OUTPUT = {"sigmoid", "tanh"}     # their backward takes the forward's output, the others the input


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,extra", CASES)
def test_activation_matches_cpu(name, extra, dtype):
    x = rand(301, dtype, seed=1, scale=3.0)
    x[:3] = [0.0, -0.0, 40.0]
    g = rand(301, dtype, seed=2)
    fwd_c, bwd_c = getattr(C, name + "_forward"), getattr(C, name + "_backward")
    fwd_g, bwd_g = getattr(G, name + "_forward"), getattr(G, name + "_backward")
    y_c = fwd_c(x, *extra)
    y_g = fwd_g(dev(x), *extra)
    assert y_g.dtype == dtype and y_g.shape == x.shape
    np.testing.assert_allclose(host(y_g), y_c, **tol(dtype))
    saved_c, saved_g = (y_c, y_g) if name in SAVED_OUTPUT else (x, dev(x))
    np.testing.assert_allclose(host(bwd_g(saved_g, dev(g), *extra)), bwd_c(saved_c, g, *extra), **tol(dtype))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # the simulator computes inf·0 in Python
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,extra", CASES)
def test_activation_infinities_and_nan_match_cpu(name, extra, dtype):
    # the CPU kernels give torch 2.13's values there (tests/test_activations.py); relu keeps NaN and passes g
    x = np.array([-np.inf, -1.0, 0.0, 1.0, np.inf, np.nan], dtype)
    g = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], dtype)
    fwd_c, bwd_c = getattr(C, name + "_forward"), getattr(C, name + "_backward")
    fwd_g, bwd_g = getattr(G, name + "_forward"), getattr(G, name + "_backward")
    y_c = fwd_c(x, *extra)
    y_g = fwd_g(dev(x), *extra)
    if name == "gelu" and dtype == np.float32:   # exact float32 GELU at ±inf: the CPU's erf, in float64, differs
        y_c, x, g, y_g = y_c[1:4], x[1:4], g[1:4], fwd_g(dev(x[1:4]), *extra)
    np.testing.assert_allclose(host(y_g), y_c, **tol(dtype))
    saved_c, saved_g = (y_c, y_g) if name in SAVED_OUTPUT else (x, dev(x))
    np.testing.assert_allclose(host(bwd_g(saved_g, dev(g), *extra)), bwd_c(saved_c, g, *extra), **tol(dtype))
    if name == "relu":
        assert np.isnan(host(y_g)[-1]) and host(bwd_g(dev(x), dev(g)))[-1] == 6.0


def test_empty_input_launches_nothing():
    out = G.relu_forward(dev(np.zeros(0, np.float32)))
    assert out.shape == (0,)
