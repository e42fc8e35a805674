"""Activations: forward against NumPy float64, float32 forward, gradients, numerics at ±100, bad inputs — on every
device of the ``device`` fixture (tests/conftest.py).

The CUDA simulator runs each thread as a Python thread and a launch costs milliseconds, so on ``cuda`` each op's
check_op takes one of CUDA_SHAPES (in turn over the ops) without tg.gradcheck (two launches per element plus a
graph); the gradients there are checked by test_float32_noncontiguous_and_empty (16 points against NumPy's central
differences) and by the infinities and kinks tests (against torch's values), as on cpu, where check_op also
gradchecks every op at every shape of SHAPES; test_past_one_launch makes the kernels' grid-stride loops run."""
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


SHAPES = [(3, 4), (2, 3, 2), (5,), ()]
CUDA_SHAPES = [(2, 1), (), (3,), (1, 1, 2)]


def shapes(device, i):
    """The shapes op number i is checked at: all of SHAPES on cpu; on cuda one of CUDA_SHAPES, in turn over the ops
    (every one is met by some op)."""
    return SHAPES if device == "cpu" else [CUDA_SHAPES[i % len(CUDA_SHAPES)]]


@pytest.mark.parametrize("i", range(len(OPS)), ids=[o[0] for o in OPS])
def test_forward_and_grad(i, device):
    _, fn, ref = OPS[i]
    for shape in shapes(device, i):
        check_op(fn, ref, shape, seed=len(shape), device=device, grad=device == "cpu")


def test_relu_gradient_at_zero_is_zero(device):
    x = tg.tensor([-1.0, 0.0, 2.0], requires_grad=True, device=device)
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
    # GELU at −inf is −inf · 0 = NaN in torch's formula, and its gradient at ±inf is 1 + ∞ · 0 = NaN (also in
    # float32 here, where torch 2.13's float32 CPU GELU gives NaN at +inf from its vectorised erf)
    "gelu": (gelu, [NAN, -0.15865525393145702, 0.0, 0.841344746068543, INF, NAN],
             [NAN, -0.08331547058768635, 0.5, 1.0833154705876864, NAN, NAN]),
    "gelu_tanh": (lambda t: gelu(t, approximate="tanh"), [NAN, -0.15880800939172324, 0.0, 0.8411919906082768, INF, NAN],
                  [NAN, -0.08296408384578252, 0.5, 1.0829640838457826, NAN, NAN]),
}


UPSTREAM = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]    # the upstream gradient at SPECIAL: the backward must scale by it


@pytest.mark.parametrize("name", list(TORCH_SPECIAL))
@pytest.mark.parametrize("dtype", [tg.float64, tg.float32], ids=str)
def test_infinities_and_nan_match_torch(name, dtype, device):
    fn, want, want_grad = TORCH_SPECIAL[name]
    x = tg.tensor(SPECIAL, dtype=dtype, requires_grad=True, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = fn(x)
        y.backward(tg.tensor(UPSTREAM, dtype=dtype, device=device))
    assert y.dtype == dtype and x.grad.dtype == dtype and y.device == device
    rtol = 1e-12 if dtype == tg.float64 else 1e-6
    np.testing.assert_allclose(y.numpy(), want, rtol=rtol)
    np.testing.assert_allclose(x.grad.numpy(), np.multiply(want_grad, UPSTREAM), rtol=rtol)


def test_relu_keeps_nan_and_passes_its_gradient(device):
    # torch 2.13: relu(nan) = nan (clamp_min), and relu's backward is grad · (not x <= 0), so 1 at nan
    x = tg.tensor([[NAN, -2.0], [3.0, NAN]], requires_grad=True, device=device)
    y = x.relu()
    assert np.isnan(y.numpy()[0, 0]) and np.isnan(y.numpy()[1, 1]) and y.numpy()[0, 1] == 0.0
    (y * tg.tensor([[2.0, 3.0], [4.0, 5.0]], device=device)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 0.0], [4.0, 5.0]])


def test_gelu_known_values(device):
    x = tg.tensor([0.0, 1.0, -1.0], dtype=tg.float64, device=device)
    np.testing.assert_allclose(gelu(x).numpy(), [0.0, 0.8413447460685429, -0.15865525393145707], rtol=1e-12)
    np.testing.assert_allclose(gelu(x, approximate="tanh").numpy(), [0.0, 0.8411919906082768,
                                                                     -0.15880800939172324], rtol=1e-12)


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64], ids=str)
def test_sigmoid_tanh_extremes_are_finite(dtype, device):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        x = tg.tensor([-100.0, -30.0, 0.0, 30.0, 100.0], dtype=dtype, requires_grad=True, device=device)
        s = sigmoid(x)
        s.sum().backward()
        t = tanh(tg.tensor([-100.0, 100.0], dtype=dtype, device=device))
        g = gelu(tg.tensor([-100.0, 100.0], dtype=dtype, device=device))
        sp = softplus(tg.tensor([-100.0, 100.0], dtype=dtype, device=device), threshold=1e9)
    assert np.all(np.isfinite(s.numpy())) and np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(s.numpy()[[0, 2, 4]], [0.0, 0.5, 1.0], atol=1e-30)
    np.testing.assert_allclose(x.grad.numpy()[[0, 4]], [0.0, 0.0], atol=1e-30)
    np.testing.assert_array_equal(t.numpy(), [-1.0, 1.0])
    np.testing.assert_allclose(g.numpy(), [0.0, 100.0], atol=1e-30)
    np.testing.assert_allclose(sp.numpy(), [0.0, 100.0], atol=1e-30)


def test_integer_input_is_cast_to_float32(device):
    out = sigmoid(tg.tensor([0, 1], device=device))
    assert out.dtype == tg.float32 and out.device == device
    np.testing.assert_allclose(out.numpy(), [0.5, _np_sigmoid(1.0)], rtol=1e-6)


def test_float32_gradient(device):
    a = np.linspace(-2, 2, 7)
    x = tg.tensor(a.astype(np.float32), requires_grad=True, device=device)
    gelu(x).sum().backward()
    assert x.grad.dtype == tg.float32 and x.grad.device == device
    xd = tg.tensor(a, requires_grad=True, device=device)
    gelu(xd).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xd.grad.numpy(), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("fn", [relu, sigmoid, tanh, gelu, leaky_relu, softplus], ids=lambda f: f.__name__)
def test_not_a_tensor(fn):
    with pytest.raises(TypeError, match="must be a Tensor, got list"):
        fn([1.0, 2.0])


def test_bool_input(device):
    with pytest.raises(RuntimeError, match="boolean"):            # torch 2.13: RuntimeError
        relu(tg.tensor([True, False], device=device))


def test_gelu_bad_approximate(device):
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'erf'"):
        gelu(tg.tensor([1.0], device=device), approximate="erf")


def test_leaky_relu_bad_slope(device):
    with pytest.raises(TypeError, match="negative_slope must be a real number, got '0.1'"):
        leaky_relu(tg.tensor([1.0], device=device), "0.1")


def test_softplus_bad_beta(device):
    with pytest.raises(ValueError, match="beta must be > 0, got 0.0"):
        softplus(tg.tensor([1.0], device=device), beta=0)


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
    from tinygradnb.kernels.cpu import activation as ak

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


def test_integer_inputs_follow_torch(device):
    import tinygradnb.nn.functional as F
    x = tg.tensor([1, -2], device=device)
    assert relu(x).dtype == tg.int64 and relu(x).tolist() == [1, 0]              # torch 2.13: stays int64
    s, t = sigmoid(x), tanh(tg.tensor([True], device=device))
    assert s.dtype == tg.float32 and t.dtype == tg.float32
    np.testing.assert_allclose(s.numpy(), [0.7310585786300049, 0.11920292202211755], rtol=1e-6)   # torch 2.13
    np.testing.assert_allclose(t.numpy(), [0.7615941559557649], rtol=1e-6)
    for fn in (leaky_relu, softplus, gelu):
        with pytest.raises(RuntimeError, match="not implemented for int64"):
            fn(x)                                                                # torch 2.13: not implemented
    for fn in (F.softmax, F.log_softmax):
        with pytest.raises(RuntimeError, match="not implemented for int64"):
            fn(x, dim=0)


# ----------------------------------------------------------------------------- PyTorch's further activations
import tinygradnb.nn.functional as F  # noqa: E402
from tinygradnb import nn  # noqa: E402

_SELU_A, _SELU_S = 1.6732632423543772, 1.0507009873554805


def _np_sig(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _np_elu(x, alpha=1.0, scale=1.0, input_scale=1.0):
    return np.where(x > 0, scale * x, scale * alpha * np.expm1(input_scale * np.minimum(x, 0.0)))


NEW_OPS = [
    ("silu", F.silu, lambda x: x * _np_sig(x)),
    ("elu", F.elu, _np_elu),
    ("elu_alpha0.5", lambda x: F.elu(x, 0.5), lambda x: _np_elu(x, 0.5)),
    ("selu", F.selu, lambda x: _np_elu(x, _SELU_A, _SELU_S)),
    ("celu", F.celu, _np_elu),
    ("celu_alpha2", lambda x: F.celu(x, alpha=2.0), lambda x: _np_elu(x, 2.0, 1.0, 0.5)),
    ("hardtanh", F.hardtanh, lambda x: np.clip(x, -1.0, 1.0)),
    ("hardtanh_-0.5_1.5", lambda x: F.hardtanh(x, -0.5, 1.5), lambda x: np.clip(x, -0.5, 1.5)),
    ("relu6", lambda x: F.relu6(x * 4), lambda x: np.clip(x * 4, 0.0, 6.0)),
    ("hardswish", lambda x: F.hardswish(x * 2), lambda x: 2 * x * np.clip(2 * x + 3, 0, 6) / 6),
    ("hardsigmoid", lambda x: F.hardsigmoid(x * 2), lambda x: np.clip(2 * x + 3, 0, 6) / 6),
    ("mish", F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    ("softsign", F.softsign, lambda x: x / (1 + np.abs(x))),
    ("logsigmoid", F.logsigmoid, lambda x: -np.logaddexp(0.0, -x)),
]


@pytest.mark.parametrize("i", range(len(NEW_OPS)), ids=[o[0] for o in NEW_OPS])
def test_new_activations_forward_and_grad(i, device):
    # the inputs (uniform in ±2, scaled by up to 4) stay clear of the kinks, where finite differences straddle them
    _, fn, ref = NEW_OPS[i]
    for shape in shapes(device, i):
        check_op(fn, ref, shape, seed=len(shape) + 7, device=device, grad=device == "cpu")


# torch 2.13, float64, at x = [-inf, -1, 0, 1, inf, nan]: (forward, gradient of the sum)
TORCH_SPECIAL_NEW = {
    "silu": (F.silu, [NAN, -0.2689414213699951, 0.0, 0.7310585786300049, INF, NAN],
        [NAN, 0.07232948812851325, 0.5, 0.9276705118714869, NAN, NAN]),
    "elu": (F.elu, [-1.0, -0.6321205588285577, 0.0, 1.0, INF, NAN],
        [0.0, 0.36787944117144233, 1.0, 1.0, 1.0, 1.0]),
    "elu_alpha2": (lambda t: F.elu(t, 2.0), [-2.0, -1.2642411176571153, 0.0, 1.0, INF, NAN],
        [0.0, 0.7357588823428847, 2.0, 1.0, 1.0, 1.0]),
    "selu": (F.selu, [-1.7580993408473766, -1.1113307378125625, 0.0, 1.0507009873554805, INF, NAN],
        [0.0, 0.646768603034814, 1.7580993408473766, 1.0507009873554805, 1.0507009873554805, 1.0507009873554805]),
    "celu": (F.celu, [-1.0, -0.6321205588285577, 0.0, 1.0, INF, NAN],
        [0.0, 0.36787944117144233, 1.0, 1.0, 1.0, 1.0]),
    "celu_alpha2": (lambda t: F.celu(t, alpha=2.0), [-2.0, -0.7869386805747332, 0.0, 1.0, INF, NAN],
        [0.0, 0.6065306597126334, 1.0, 1.0, 1.0, 1.0]),
    "hardtanh": (F.hardtanh, [-1.0, -1.0, 0.0, 1.0, 1.0, NAN],
        [0.0, 0.0, 1.0, 0.0, 0.0, 1.0]),
    "relu6": (F.relu6, [0.0, 0.0, 0.0, 1.0, 6.0, NAN],
        [0.0, 0.0, 0.0, 1.0, 0.0, 1.0]),
    "hardswish": (F.hardswish, [NAN, -0.3333333333333333, 0.0, 0.6666666666666666, INF, NAN],
        [0.0, 0.16666666666666669, 0.5, 0.8333333333333333, 1.0, 1.0]),
    "hardsigmoid": (F.hardsigmoid, [0.0, 0.3333333333333333, 0.5, 0.6666666666666666, 1.0, NAN],
        [0.0, 0.1666666716337204, 0.1666666716337204, 0.1666666716337204, 0.0, 0.0]),
    "mish": (F.mish, [NAN, -0.30340146137410895, 0.0, 0.8650983882673103, INF, NAN],
        [NAN, 0.059216755877395014, 0.6, 1.0490362200997922, NAN, NAN]),
    "softsign": (F.softsign, [NAN, -0.5, 0.0, 0.5, NAN, NAN],
        [NAN, 0.25, 1.0, 0.25, NAN, NAN]),
    "logsigmoid": (F.logsigmoid, [-INF, -1.3132616875182228, -0.6931471805599453, -0.31326168751822286, 0.0, NAN],
        [1.0, 0.7310585786300049, 0.5, 0.2689414213699951, 0.0, NAN]),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # the simulator's threads compute inf / inf outside errstate
@pytest.mark.parametrize("name", list(TORCH_SPECIAL_NEW))
@pytest.mark.parametrize("dtype", [tg.float64, tg.float32], ids=str)
def test_new_activations_infinities_and_nan_match_torch(name, dtype, device):
    fn, want, want_grad = TORCH_SPECIAL_NEW[name]
    x = tg.tensor(SPECIAL, dtype=dtype, requires_grad=True, device=device)
    with np.errstate(all="ignore"):
        y = fn(x)
        y.backward(tg.tensor(UPSTREAM, dtype=dtype, device=device))
    assert y.dtype == dtype and x.grad.dtype == dtype and y.device == device
    rtol = 1e-12 if dtype == tg.float64 else 1e-6
    np.testing.assert_allclose(y.numpy(), want, rtol=rtol)
    np.testing.assert_allclose(x.grad.numpy(), np.multiply(want_grad, UPSTREAM), rtol=rtol)


# torch 2.13, float64: (fn, x, forward, gradient) at the kinks and boundaries
TORCH_KINKS = {
    "hardtanh": (F.hardtanh, [-1.0, 1.0], [-1.0, 1.0], [0.0, 0.0]),
    "hardtanh_-2_3": (lambda t: F.hardtanh(t, -2.0, 3.0), [-2.0, 3.0], [-2.0, 3.0], [0.0, 0.0]),
    "relu6": (F.relu6, [0.0, 6.0], [0.0, 6.0], [0.0, 0.0]),
    "hardswish": (F.hardswish, [-3.0, 3.0], [-0.0, 3.0], [0.0, 1.0]),
    "hardsigmoid": (F.hardsigmoid, [-3.0, 3.0], [0.0, 1.0], [0.0, 0.0]),
    "elu": (F.elu, [0.0, -0.0], [0.0, -0.0], [1.0, 1.0]),
    "selu": (F.selu, [0.0, -0.0], [0.0, -0.0], [1.7580993408473766, 1.7580993408473766]),
    "celu_alpha2": (lambda t: F.celu(t, 2.0), [0.0, -0.0], [0.0, -0.0], [1.0, 1.0]),
    "elu_alpha-1": (lambda t: F.elu(t, -1.0), [0.0, -0.5], [0.0, 0.3934693402873666], [-1.0, -0.6065306597126334]),
}


@pytest.mark.parametrize("name", list(TORCH_KINKS))
def test_gradients_at_kinks_match_torch(name, device):
    fn, x0, want, want_grad = TORCH_KINKS[name]
    x = tg.tensor(x0, dtype=tg.float64, requires_grad=True, device=device)
    y = fn(x)
    y.backward(tg.ones_like(y))
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-12)
    if name != "elu_alpha-1":   # elu(+0.0, alpha < 0) is −0.0 here ((e⁰ − 1)·α), +0.0 in torch 2.13
        np.testing.assert_array_equal(np.signbit(y.numpy()), np.signbit(want))    # −0.0 where torch gives it
    np.testing.assert_allclose(x.grad.numpy(), want_grad, rtol=1e-12)


def test_hardsigmoid_gradient_is_float32_one_sixth_as_torch(device):
    x = tg.tensor([0.5], dtype=tg.float64, requires_grad=True, device=device)
    F.hardsigmoid(x).backward()
    assert x.grad.item() == 0.1666666716337204      # torch 2.13: float(1/6f) also for float64


def test_new_activations_integer_and_bool_inputs_follow_torch(device):
    i = tg.tensor([-3, 0, 3], device=device)
    for fn in (F.silu, F.elu, F.selu, F.celu, F.hardswish, F.hardsigmoid, F.mish, F.logsigmoid):
        with pytest.raises(RuntimeError, match="not implemented for int64"):     # torch 2.13: NotImplementedError
            fn(i)
    y = F.hardtanh(i, -1.5, 1.5)                   # torch 2.13: tensor([-1, 0, 1]), int64 (bounds truncated)
    assert y.dtype == tg.int64 and y.tolist() == [-1, 0, 1]
    y = F.relu6(tg.tensor([-3, 2, 9], dtype=tg.int32, device=device))
    assert y.dtype == tg.int32 and y.tolist() == [0, 2, 6]
    y = F.softsign(tg.tensor([1, 0, 2], device=device))           # torch 2.13: float32 [0.5, 0.0, 0.6666667]
    assert y.dtype == tg.float32
    np.testing.assert_allclose(y.numpy(), [0.5, 0.0, 2 / 3], rtol=1e-7)
    b = tg.tensor([True, False], device=device)
    for fn in (F.hardtanh, F.relu6, F.softsign, F.silu):
        with pytest.raises(RuntimeError):          # torch 2.13: RuntimeError / NotImplementedError
            fn(b)


def test_new_activation_argument_errors_follow_torch(device):
    x = tg.tensor([-1.0, 0.5, 2.0], device=device)
    with pytest.raises(RuntimeError, match="alpha cannot be 0"):     # torch 2.13: RuntimeError (ZeroDivisionError)
        F.celu(x, 0.0)
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):   # torch 2.13: ValueError
        F.hardtanh(x, 2.0, 1.0)
    np.testing.assert_array_equal(F.hardtanh(x, 1.0, 1.0).numpy(), [1.0, 1.0, 1.0])   # torch 2.13: allowed
    with pytest.raises(TypeError, match="alpha must be a real number"):             # torch 2.13: TypeError
        F.elu(x, "a")
    with pytest.raises(TypeError, match="must be a Tensor"):
        F.silu([1.0])
    with pytest.raises(ValueError, match=r"max_val \(1.0\) must be greater than min_val \(2.0\)"):
        nn.Hardtanh(2.0, 1.0)                      # torch 2.13: AssertionError with this message
    # a negative alpha is accepted by torch 2.13: elu(-1, alpha=-1) = 0.6321205588285577
    np.testing.assert_allclose(F.elu(tg.tensor([-1.0], dtype=tg.float64, device=device), -1.0).numpy(),
                               [0.6321205588285577])


def test_inplace_activations_write_into_the_input_and_keep_the_gradient(device):
    a = np.array([-2.0, -0.5, 0.25, 3.0])
    s = _np_sig(a)
    # (fn, its values at a, the derivative at a: that of the out-of-place op)
    for fn, ref, dref in [(F.elu, _np_elu, np.where(a > 0, 1.0, np.exp(a))),
                          (F.silu, lambda v: v * _np_sig(v), s * (1 + a * (1 - s))),
                          (lambda t, inplace: F.hardtanh(t, -1.0, 1.0, inplace), lambda v: np.clip(v, -1, 1),
                           [0.0, 1.0, 1.0, 0.0]),
                          (F.relu6, lambda v: np.clip(v, 0, 6), [0.0, 0.0, 1.0, 1.0])]:
        w = tg.tensor(a, requires_grad=True, device=device)
        x = w * 1.0
        y = fn(x, inplace=True)
        assert y is x and x._version == 1
        np.testing.assert_allclose(x.numpy(), ref(a), rtol=1e-12)
        y.sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), dref, rtol=1e-12)
    leaf = tg.tensor([1.0], requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="leaf"):     # torch 2.13: a leaf Variable that requires grad ...
        F.elu(leaf, inplace=True)
    plain = tg.tensor([-1.0, 2.0], device=device)
    assert F.selu(plain, inplace=True) is plain
    np.testing.assert_allclose(plain.numpy(), [-1.1113307378125625, 2.101401974710961], rtol=1e-6)
    i = tg.tensor([-3, 0, 3], device=device)
    assert F.hardtanh(i, -1.5, 1.5, inplace=True) is i and i.tolist() == [-1, 0, 1]


def test_activation_modules_follow_torch():
    # the modules call the functions above (which run on every device); their plumbing and reprs are device-free
    x = tg.tensor(np.linspace(-4, 4, 9))
    for m, fn in [(nn.SiLU(), F.silu), (nn.ELU(alpha=0.5), lambda t: F.elu(t, 0.5)), (nn.SELU(), F.selu),
                  (nn.CELU(2.0), lambda t: F.celu(t, 2.0)), (nn.Hardtanh(-2, 3), lambda t: F.hardtanh(t, -2, 3)),
                  (nn.ReLU6(), F.relu6), (nn.Hardswish(), F.hardswish), (nn.Hardsigmoid(), F.hardsigmoid),
                  (nn.Mish(), F.mish), (nn.Softsign(), F.softsign), (nn.LogSigmoid(), F.logsigmoid)]:
        np.testing.assert_array_equal(m(x).numpy(), fn(x).numpy())
    # torch 2.13's reprs
    assert repr(nn.ELU()) == "ELU(alpha=1.0)" and repr(nn.ELU(2, inplace=True)) == "ELU(alpha=2, inplace=True)"
    assert repr(nn.Hardtanh(-2, 3)) == "Hardtanh(min_val=-2, max_val=3)"
    assert repr(nn.ReLU6(True)) == "ReLU6(inplace=True)"
    assert repr(nn.SiLU(inplace=True)) == "SiLU(inplace=True)" and repr(nn.Hardswish(True)) == "Hardswish()"
    assert repr(nn.Mish()) == "Mish()" and repr(nn.CELU()) == "CELU(alpha=1.0)"
    assert repr(nn.LogSigmoid()) == "LogSigmoid()"
    with pytest.warns(FutureWarning):
        m = nn.Hardtanh(min_value=-0.5)
    assert m.min_val == -0.5
    y = tg.tensor([-1.0, 1.0]) * 1
    assert nn.ELU(inplace=True)(y) is y
    np.testing.assert_allclose(y.numpy(), [-0.6321205588285577, 1.0], rtol=1e-6)


@pytest.mark.parametrize("name,fn,ref", OPS + NEW_OPS, ids=[o[0] for o in OPS + NEW_OPS])
def test_float32_noncontiguous_and_empty(name, fn, ref, device):
    # float32 through a transposed (non-contiguous) 4 x 4 view of 15 points in [-4.7, 4.5] and 25.0 (past softplus'
    # threshold; none at a kink), the gradient for an upstream g against g times NumPy's central difference of ref
    # in float64 (the ops are element-wise)
    a = np.append(np.linspace(-4.7, 4.5, 15), 25.0).reshape(4, 4)
    x = tg.tensor(a, dtype=tg.float32, requires_grad=True, device=device)
    y = fn(x.T)
    assert y.dtype == tg.float32 and y.shape == (4, 4) and y.device == device
    np.testing.assert_allclose(y.numpy(), ref(a.T), rtol=2e-6, atol=2e-6)
    g = np.random.default_rng(1).standard_normal((4, 4))
    y.backward(tg.tensor(g, dtype=tg.float32, device=device))
    assert x.grad.dtype == tg.float32 and x.grad.shape == (4, 4)
    want_grad = g * (ref(a.T + 1e-6) - ref(a.T - 1e-6)) / 2e-6
    np.testing.assert_allclose(x.grad.numpy().T, want_grad, rtol=2e-6, atol=2e-6)
    y = fn(tg.zeros(2, 0, 3, dtype=tg.float64, device=device))      # nothing to launch on cuda
    assert y.shape == (2, 0, 3) and y.device == device


# the kernels of every number of scalar parameters (0 to 3: relu, leaky_relu, softplus, elu), all made by the same
# two launchers (kernels/cuda/_launch.py: map_kernel forward, zip_kernel backward)
PAST_ONE_LAUNCH = [o for o in OPS + NEW_OPS if o[0] in ("relu", "leaky_relu_0.2", "softplus_beta2", "elu_alpha0.5")]


@pytest.mark.parametrize("name,fn,ref", PAST_ONE_LAUNCH, ids=[o[0] for o in PAST_ONE_LAUNCH])
@pytest.mark.parametrize("dtype", [tg.float64, tg.float32], ids=str)
def test_past_one_launch(name, fn, ref, dtype, device):
    # 40 elements: more than the simulator's 2 blocks of 16 threads, so on cuda each thread's grid-stride loop runs
    # a second round, forward and backward
    a = np.linspace(-4.9, 4.9, 40)
    x = tg.tensor(a, dtype=dtype, requires_grad=True, device=device)
    y = fn(x)
    f32 = dict(rtol=2e-6, atol=2e-6)
    tol, grad_tol = (dict(rtol=1e-10, atol=1e-12), dict(rtol=1e-7, atol=1e-8)) if dtype == tg.float64 else (f32, f32)
    np.testing.assert_allclose(y.numpy(), ref(a), **tol)
    g = np.random.default_rng(2).standard_normal(40)
    y.backward(tg.tensor(g, dtype=dtype, device=device))
    want_grad = g * (ref(a + 1e-6) - ref(a - 1e-6)) / 2e-6
    np.testing.assert_allclose(x.grad.numpy(), want_grad, **grad_tol)
