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


INF, NAN = math.inf, math.nan
SPECIAL = [-INF, -1.0, 0.0, 1.0, INF, NAN]
# torch 2.13, float64, at x = [-inf, -1, 0, 1, inf, nan]: (forward, gradient of the sum)
TORCH_SPECIAL = {
    "relu": (relu, [0.0, 0.0, 0.0, 1.0, INF, NAN], [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]),
    "leaky_relu": (leaky_relu, [-INF, -0.01, 0.0, 1.0, INF, NAN], [0.01, 0.01, 0.01, 1.0, 1.0, 0.01]),
    "sigmoid": (sigmoid, [0.0, 0.2689414213699951, 0.5, 0.7310585786300049, 1.0, NAN],
                [0.0, 0.19661193324148185, 0.25, 0.19661193324148185, 0.0, NAN]),
    "tanh": (tanh, [-1.0, -0.7615941559557649, 0.0, 0.7615941559557649, 1.0, NAN],
             [0.0, 0.41997434161402614, 1.0, 0.41997434161402614, 0.0, NAN]),
    "softplus": (softplus, [0.0, 0.31326168751822286, 0.6931471805599453, 1.3132616875182228, INF, NAN],
                 [0.0, 0.2689414213699951, 0.5, 0.7310585786300049, 1.0, NAN]),
    "softplus_beta2_threshold5": (lambda t: softplus(t, beta=2, threshold=5),
                                  [0.0, 0.06346400552148625, 0.34657359027997264, 1.0634640055214863, INF, NAN],
                                  [0.0, 0.11920292202211755, 0.5, 0.8807970779778824, 1.0, NAN]),
    # GELU at −inf is −inf · 0 = NaN in torch's formula, and its gradient at ±inf is 1 + ∞ · 0 = NaN
    "gelu": (gelu, [NAN, -0.15865525393145702, 0.0, 0.841344746068543, INF, NAN],
             [NAN, -0.08331547058768635, 0.5, 1.0833154705876864, NAN, NAN]),
    "gelu_tanh": (lambda t: gelu(t, approximate="tanh"), [NAN, -0.15880800939172324, 0.0, 0.8411919906082768, INF, NAN],
                  [NAN, -0.08296408384578252, 0.5, 1.0829640838457826, NAN, NAN]),
}


@pytest.mark.parametrize("name", list(TORCH_SPECIAL))
def test_infinities_and_nan_match_torch(name):
    fn, want, want_grad = TORCH_SPECIAL[name]
    for dtype in (tg.float64, tg.float32):
        if dtype == tg.float32 and name == "gelu":
            continue            # torch 2.13's float32 CPU GELU gives NaN at +inf (its vectorised erf); this gives inf
        x = tg.tensor(SPECIAL, dtype=dtype, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = fn(x)
            y.backward(tg.ones_like(y))
        rtol = 1e-12 if dtype == tg.float64 else 1e-6
        np.testing.assert_allclose(y.numpy(), want, rtol=rtol)
        np.testing.assert_allclose(x.grad.numpy(), want_grad, rtol=rtol)


def test_relu_keeps_nan_and_passes_its_gradient():
    # torch 2.13: relu(nan) = nan (clamp_min), and relu's backward is grad · (not x <= 0), so 1 at nan
    x = tg.tensor([[NAN, -2.0], [3.0, NAN]], requires_grad=True)
    y = x.relu()
    assert np.isnan(y.numpy()[0, 0]) and np.isnan(y.numpy()[1, 1]) and y.numpy()[0, 1] == 0.0
    (y * tg.tensor([[2.0, 3.0], [4.0, 5.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 0.0], [4.0, 5.0]])


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
    with pytest.raises(RuntimeError, match="boolean"):            # torch 2.13: RuntimeError
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


# ----------------------------------------------------------------------------- float32 tanh / sigmoid accuracy
def _ulps_f32(got, ref64):
    """|got − ref| in units of the float32 spacing at ref (ref rounded to float32)."""
    return np.abs(got.astype(np.float64) - ref64) / np.spacing(np.abs(ref64).astype(np.float32)).astype(np.float64)


def _dense_f32():
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(-20, 20, 2_000_001, dtype=np.float32),
                        np.linspace(-0.7, 0.7, 1_000_001, dtype=np.float32),   # around the 0.625 switch of tanh
                        rng.uniform(-120, 120, 500_000).astype(np.float32),
                        (rng.standard_normal(200_000) * 1e-4).astype(np.float32),
                        np.geomspace(1e-45, 1e-3, 100_000).astype(np.float32),  # subnormals and tiny values
                        np.array([0.0, 0.625, np.nextafter(np.float32(0.625), np.float32(0)), 9.0, 88.7, 89.0,
                                  104.0, 1e30, np.finfo(np.float32).max], np.float32)])
    return np.concatenate([x, -x])


def test_float32_tanh_sigmoid_ulp_bounds_and_specials():
    # Every float32 in (−120, 120) was checked once (1.33 ulp for tanh, 2.40 ulp for σ, also when compiled with
    # fastmath "contract" as in the RNN gate loops); here a dense sample against float64 libm references.
    from tinygradnb.kernels.cpu import activations as ak

    x = _dense_f32()
    t = ak.tanh_forward(x)
    s = ak.sigmoid_forward(x)
    assert t.dtype == np.float32 and s.dtype == np.float32
    x64 = x.astype(np.float64)
    assert _ulps_f32(t, np.tanh(x64)).max() <= 1.5
    e = np.exp(-np.abs(x64))
    ref_s = np.where(x64 >= 0, 1.0, e) / (1.0 + e)             # float64, overflow-free, relative-accurate tail
    nz = ref_s >= np.finfo(np.float32).tiny                     # normal float32 results: relative bound
    assert _ulps_f32(s[nz], ref_s[nz]).max() <= 3.0
    assert np.abs(s[~nz].astype(np.float64) - ref_s[~nz]).max() <= 2 * np.finfo(np.float32).smallest_subnormal
    assert np.all(np.diff(ak.tanh_forward(np.linspace(-10, 10, 100_001, dtype=np.float32))) >= 0)
    assert np.all(np.diff(ak.sigmoid_forward(np.linspace(-110, 30, 100_001, dtype=np.float32))) >= 0)

    sp = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-40, -1e-40], np.float32)
    t, s = ak.tanh_forward(sp), ak.sigmoid_forward(sp)
    assert t[0] == 1.0 and t[1] == -1.0 and np.isnan(t[2])
    assert t[3] == 0.0 and not np.signbit(t[3]) and t[4] == 0.0 and np.signbit(t[4])
    assert t[5] == sp[5] and t[6] == sp[6]
    assert s[0] == 1.0 and s[1] == 0.0 and np.isnan(s[2]) and s[3] == 0.5 and s[4] == 0.5
    t, s = ak.tanh_forward(x), ak.sigmoid_forward(x)
    assert np.all(np.abs(t) <= 1) and np.all((s >= 0) & (s <= 1))


def test_integer_inputs_follow_torch():
    import tinygradnb.nn.functional as F
    x = tg.tensor([1, -2])
    assert relu(x).dtype == tg.int64 and relu(x).tolist() == [1, 0]              # torch 2.13: stays int64
    assert sigmoid(x).dtype == tg.float32 and tanh(tg.tensor([True])).dtype == tg.float32
    for fn in (leaky_relu, softplus, gelu):
        with pytest.raises(RuntimeError, match="not implemented for int64"):
            fn(x)                                                                # torch 2.13: not implemented
    for fn in (F.softmax, F.log_softmax):
        with pytest.raises(RuntimeError, match="not implemented for int64"):
            fn(x, dim=0)
