"""CUDA activation kernels against their CPU twins, forward and backward."""
import numpy as np
import pytest

from tinygradnb.kernels import cpu as C
from tinygradnb.kernels import cuda as G

from conftest import dev, host, rand, tol

CASES = [("relu", ()), ("leaky_relu", (0.1,)), ("sigmoid", ()), ("tanh", ()), ("softplus", (1.5, 20.0)),
         ("softplus", (1.0, 0.5)), ("gelu", (False,)), ("gelu", (True,)), ("silu", ()), ("elu", (1.0, 1.0, 1.0)),
         ("elu", (1.6732632423543772, 1.0507009873554805, 1.0)), ("elu", (2.0, 1.0, 0.5)), ("hardtanh", (-1.0, 1.0)),
         ("hardtanh", (0.0, 6.0)), ("hardswish", ()), ("hardsigmoid", ()), ("mish", ()), ("logsigmoid", ())]
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


# ----------------------------------------------------------------------------- the ops on the cuda device
import tinygradnb as tg  # noqa: E402
import tinygradnb.nn.functional as F  # noqa: E402

_SIG = lambda x: 0.5 * (1.0 + np.tanh(0.5 * x))  # noqa: E731
OPS = [
    ("silu", F.silu, lambda x: x * _SIG(x)),
    ("elu", lambda t: F.elu(t, 0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(np.minimum(x, 0)))),
    ("selu", F.selu,
     lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0)))),
    ("celu", lambda t: F.celu(t, 2.0), lambda x: np.where(x > 0, x, 2.0 * np.expm1(np.minimum(x, 0) / 2.0))),
    ("hardtanh", lambda t: F.hardtanh(t, -0.5, 1.5), lambda x: np.clip(x, -0.5, 1.5)),
    ("relu6", lambda t: F.relu6(t * 4), lambda x: np.clip(4 * x, 0, 6)),
    ("hardswish", lambda t: F.hardswish(t * 2), lambda x: 2 * x * np.clip(2 * x + 3, 0, 6) / 6),
    ("hardsigmoid", lambda t: F.hardsigmoid(t * 2), lambda x: np.clip(2 * x + 3, 0, 6) / 6),
    ("mish", F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    ("softsign", F.softsign, lambda x: x / (1 + np.abs(x))),
    ("logsigmoid", F.logsigmoid, lambda x: -np.logaddexp(0, -x)),
]


@pytest.mark.parametrize("name,fn,ref", OPS, ids=[o[0] for o in OPS])
def test_activation_ops_on_cuda_forward_and_gradcheck(name, fn, ref):
    a = np.random.default_rng(4).uniform(-2, 2, size=(2, 3))
    x = tg.tensor(a, device="cuda", requires_grad=True)
    y = fn(x)
    assert y.device == "cuda" and y.dtype == tg.float64
    np.testing.assert_allclose(y.numpy(), ref(a), rtol=1e-10, atol=1e-12)
    assert tg.gradcheck(fn, [x])
    x32 = tg.tensor(a.astype(np.float32), device="cuda")
    np.testing.assert_allclose(fn(x32).numpy(), ref(a), rtol=2e-5, atol=2e-6)


def test_activation_kinks_and_inplace_on_cuda():
    # torch 2.13's gradients at the boundaries: hardtanh 0 at ±1, relu6 0 at 0 and 6, hardswish 0 at −3 and 1 at 3
    for fn, pts, want in [(F.hardtanh, [-1.0, 1.0, 0.0], [0.0, 0.0, 1.0]), (F.relu6, [0.0, 6.0, 3.0], [0.0, 0.0, 1.0]),
                          (F.hardswish, [-3.0, 3.0, 0.0], [0.0, 1.0, 0.5]), (F.elu, [0.0], [1.0])]:
        x = tg.tensor(pts, dtype=tg.float64, device="cuda", requires_grad=True)
        fn(x).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), want)
    y = tg.tensor([-1.0, 2.0], device="cuda")
    assert F.elu(y, inplace=True) is y
    np.testing.assert_allclose(y.numpy(), [-0.6321205588285577, 2.0], rtol=1e-6)
