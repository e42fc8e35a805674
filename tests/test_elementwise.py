"""Element-wise ops: forward against NumPy float64, float32 forward, gradients, broadcasting and dtypes — on every
device of the ``device`` fixture (tests/conftest.py).

The CUDA simulator runs each thread as a Python thread and a launch costs milliseconds, so on ``cuda`` each op of a
table is checked at one of the table's shapes (in turn over the ops, so that every shape is met), and its gradient
against NumPy's central differences (tests/refgrad.py: one backward) instead of tg.gradcheck (two forwards per
element); on cpu every op is checked at every shape, with both.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

import tinygradnb as tg
from opcheck import check_op, inputs
from refgrad import check_grad


def check(fn, ref, *shapes, device, positive=False, grad=True, seed=0):
    """check_op on ``device``, with tg.gradcheck on the CPU; elsewhere the gradient against NumPy's central
    differences of ref."""
    check_op(fn, ref, *shapes, positive=positive, grad=grad and device == "cpu", seed=seed, device=device)
    if grad and device != "cpu":
        check_grad(fn, ref, inputs(shapes, seed=seed, positive=positive), device=device)


def cases(device, items, i):
    """All of items on the CPU; on other devices item i modulo their number (op i of a table takes one shape)."""
    return items if device == "cpu" else [items[i % len(items)]]

BINARY = [
    ("add", lambda a, b: a + b, np.add),
    ("sub", lambda a, b: a - b, np.subtract),
    ("mul", lambda a, b: a * b, np.multiply),
    ("div", lambda a, b: a / b, np.divide),
    ("maximum", tg.maximum, np.maximum),
    ("minimum", tg.minimum, np.minimum),
]
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((1,), (5,)), ((), (2, 3)), ((2, 3), ())]


@pytest.mark.parametrize("i", range(len(BINARY)), ids=[b[0] for b in BINARY])
def test_binary(i, device):
    name, fn, ref = BINARY[i]
    for shapes in cases(device, SHAPES, i):
        check(fn, ref, *shapes, positive=name == "div", device=device)


def test_pow_tensor_exponent(device):
    for shapes in cases(device, SHAPES, 2):
        check(lambda a, b: a ** b, np.power, *shapes, positive=True, device=device)


UNARY = [
    ("neg", lambda x: -x, np.negative, False),
    ("exp", tg.exp, np.exp, False),
    ("log", tg.log, np.log, True),
    ("sqrt", tg.sqrt, np.sqrt, True),
    ("abs", tg.abs, np.abs, False),
    ("square", lambda x: x ** 2, np.square, False),
    ("cube", lambda x: x ** 3.0, lambda x: x ** 3, False),
    ("rsub", lambda x: 1.5 - x, lambda x: 1.5 - x, False),
    ("rdiv", lambda x: 2.0 / x, lambda x: 2.0 / x, True),
    ("rpow", lambda x: 2.0 ** x, lambda x: 2.0 ** x, False),
    ("clamp", lambda x: tg.clamp(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), False),
    ("clamp_min", lambda x: x.clamp(min=0.1), lambda x: np.maximum(x, 0.1), False),
    ("clamp_max", lambda x: x.clamp(max=0.1), lambda x: np.minimum(x, 0.1), False),
]


UNARY_SHAPES = [(3, 4), (5,), (), (2, 0, 3)]


@pytest.mark.parametrize("i", range(len(UNARY)), ids=[u[0] for u in UNARY])
def test_unary(i, device):
    _, fn, ref, positive = UNARY[i]
    for shape in cases(device, UNARY_SHAPES, i):
        check(fn, ref, shape, positive=positive, grad=0 not in shape, device=device)


def test_where(device):
    rng = np.random.default_rng(1)
    cond = rng.uniform(size=(3, 4)) > 0.5
    check(lambda x, y: tg.where(tg.tensor(cond, device=device), x, y), lambda x, y: np.where(cond, x, y), (3, 4),
          (4,), device=device)


def test_maximum_ties_split_gradient(device):
    a = tg.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    b = tg.tensor([1.0, 1.0, 5.0], requires_grad=True, device=device)
    tg.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 1.0, 0.0]
    assert b.grad.tolist() == [0.5, 0.0, 1.0]


def test_scalar_keeps_dtype_and_promotion(device):
    x = tg.ones(3, device=device)
    assert (x * 2).dtype == tg.float32 and (2 * x).dtype == tg.float32 and (x / 3).dtype == tg.float32
    assert (x + tg.ones(3, dtype=tg.float64, device=device)).dtype == tg.float64
    i = tg.arange(4, device=device)
    assert i.dtype == tg.int64 and (i + 1).dtype == tg.int64 and (i * 0.5).dtype == tg.float32
    assert (i / 2).dtype == tg.float32 and (i + 1).tolist() == [1, 2, 3, 4]
    np.testing.assert_array_equal((i * 0.5).numpy(), [0, 0.5, 1, 1.5])
    np.testing.assert_array_equal((i / 2).numpy(), [0, 0.5, 1, 1.5])


def test_mixed_dtype_gradients_keep_each_input_dtype(device):
    a = tg.ones(2, requires_grad=True, device=device)
    b = tg.tensor([2.0, 3.0], dtype=tg.float64, requires_grad=True, device=device)
    (a * b).sum().backward()
    assert a.grad.dtype == tg.float32 and b.grad.dtype == tg.float64
    assert a.grad.tolist() == [2.0, 3.0] and b.grad.tolist() == [1.0, 1.0]


def test_numpy_array_operand():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, tg.Tensor)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]


def test_comparisons_are_bool_and_not_differentiable(device):
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    m = x > 1.5
    assert m.dtype == tg.bool_ and not m.requires_grad and m.tolist() == [False, True, True]
    assert (x == 2.0).tolist() == [False, True, False]
    assert (x <= 2).tolist() == [True, True, False]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 3), min_size=0, max_size=3), st.lists(st.booleans(), min_size=3, max_size=3),
       st.integers(0, 2))
def test_broadcast_gradients_property(shape, ones_mask, drop):
    """For any pair of broadcastable shapes, d(sum(a*b))/da = sum of b broadcast back to a's shape. (On the CPU: on
    cuda test_binary meets every kind of broadcast of SHAPES, with gradients.)"""
    a_shape = tuple(shape)
    b_shape = tuple(1 if m else s for s, m in zip(a_shape, ones_mask))[drop:]
    a_np, b_np = inputs([a_shape, b_shape], seed=len(shape))
    a, b = tg.tensor(a_np, requires_grad=True), tg.tensor(b_np, requires_grad=True)
    (a * b + a).sum().backward()
    full = np.broadcast_shapes(a_shape, b_shape)
    np.testing.assert_allclose(a.grad.numpy(), np.broadcast_to(b_np, full).reshape(a_shape) + 1)
    exp_b = np.broadcast_to(a_np, full).sum(axis=tuple(range(len(full) - len(b_shape))))
    exp_b = exp_b.sum(axis=tuple(i for i, s in enumerate(b_shape) if s == 1), keepdims=True).reshape(b_shape)
    np.testing.assert_allclose(b.grad.numpy(), exp_b)
    assert a.grad.shape == a_shape and b.grad.shape == b_shape


def test_invert_bool_mask(device):
    m = tg.tensor(np.array([True, False]), device=device)
    assert (~m).tolist() == [False, True] and m.logical_not().tolist() == [False, True]
    with pytest.raises(TypeError, match="bool tensor"):
        ~tg.ones(2, device=device)


# torch 2.13 (torch.result_type): tensors with dimensions decide; 0-d tensors and Python numbers count only when of
# a higher category (bool < integer < float); a Python float is the default float32, a Python int int64.
PROMOTION = [
    (lambda d: tg.ones(2, device=d) + tg.tensor(2.0, dtype=tg.float64, device=d), tg.float32),
    (lambda d: tg.ones(2, dtype=tg.float64, device=d) + tg.tensor(2.0, device=d), tg.float64),
    (lambda d: tg.tensor(2.0, device=d) + tg.tensor(2.0, dtype=tg.float64, device=d), tg.float64),  # both 0-d: promote
    (lambda d: tg.ones(2, dtype=tg.int64, device=d) * 2.5, tg.float32),
    (lambda d: tg.ones(2, dtype=tg.int32, device=d) + tg.tensor(3, device=d), tg.int32),
    (lambda d: tg.ones(2, dtype=tg.int32, device=d) + tg.tensor([3], device=d), tg.int64),
    (lambda d: tg.ones(2, dtype=tg.int64, device=d) + tg.tensor(3.0, dtype=tg.float64, device=d), tg.float64),
    (lambda d: tg.tensor([True], device=d) + 1, tg.int64),
    (lambda d: tg.tensor([True], device=d) + True, tg.bool_),
    (lambda d: tg.tensor([True], device=d) * 1.5, tg.float32),
    (lambda d: tg.ones(2, dtype=tg.int32, device=d) * 2, tg.int32),
    (lambda d: tg.ones(2, dtype=tg.int32, device=d) / tg.ones(2, dtype=tg.int32, device=d), tg.float32),
    (lambda d: 2 ** tg.ones(2, dtype=tg.int32, device=d), tg.int32),
    (lambda d: tg.ones(2, device=d) ** tg.tensor(2, dtype=tg.int64, device=d), tg.float32),
    (lambda d: tg.maximum(tg.ones(2, device=d), tg.tensor(1.0, dtype=tg.float64, device=d)), tg.float32),
    (lambda d: tg.where(tg.tensor([True, False], device=d), 4, 2), tg.int64),
    (lambda d: tg.where(tg.tensor([True, False], device=d), 4.0, 2), tg.float32),
    (lambda d: tg.where(tg.tensor([True, False], device=d), tg.ones(2, device=d),
                        tg.tensor(0.0, dtype=tg.float64, device=d)), tg.float32),
    (lambda d: tg.cat([tg.ones(1, dtype=tg.int32, device=d), tg.ones(1, device=d)]), tg.float32),
]


@pytest.mark.parametrize("make,dtype", PROMOTION)
def test_result_dtype_follows_torch_result_type(make, dtype, device):
    out = make(device)
    assert out.dtype == dtype and out.device == device


def test_where_with_two_numbers(device):
    out = tg.where(tg.tensor([True, False, True], device=device), 4, 2)
    assert out.tolist() == [4, 2, 4] and out.device == device


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # 0 ** -1 = inf and inf * 0 = nan, meant here
def test_pow_gradients_at_base_zero_follow_torch(device):
    x = tg.tensor([0.0, 1.0], dtype=tg.float64, requires_grad=True, device=device)
    (x ** 0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]                      # torch 2.13: [0, 0] (not NaN)
    x = tg.tensor([0.0, 1.0], dtype=tg.float64, requires_grad=True, device=device)
    (x ** x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0]                      # torch 2.13: [0, 1]
    p = tg.tensor([0.0, 2.0, 0.5, -1.0], dtype=tg.float64, requires_grad=True, device=device)
    x = tg.zeros(4, dtype=tg.float64, requires_grad=True, device=device)
    (x ** p).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, np.inf, -np.inf]     # torch 2.13
    assert p.grad.tolist() == [0.0, 0.0, 0.0, -np.inf]        # torch 2.13
    check_grad(lambda x: x ** x, lambda x: x ** x, [np.array([0.5, 2.0])], device=device)


def test_clamp_dtype_and_tensor_bounds_follow_torch(device):
    i = tg.tensor([1, 2, 3], device=device)
    assert i.clamp(max=1.5).tolist() == [1.0, 1.5, 1.5]       # torch 2.13: float32
    assert i.clamp(max=1.5).dtype == tg.float32
    assert i.clamp(max=1).dtype == tg.int64 and i.clamp(max=1).tolist() == [1, 1, 1]
    f = tg.tensor([1.0, 2.0], device=device).clamp(min=tg.tensor(1.5, dtype=tg.float64, device=device))
    assert f.dtype == tg.float32 and f.tolist() == [1.5, 2.0]
    a = tg.tensor([0.5, 2.0, 3.0], dtype=tg.float64, requires_grad=True, device=device)
    lo = tg.tensor([1.0, 1.0, 4.0], dtype=tg.float64, requires_grad=True, device=device)
    out = a.clamp(min=lo, max=2.5)
    assert out.tolist() == [1.0, 2.0, 2.5]
    out.sum().backward()
    assert a.grad.tolist() == [0.0, 1.0, 0.0] and lo.grad.tolist() == [1.0, 0.0, 0.0]   # torch 2.13


def test_bool_negation_and_abs_raise_as_in_torch(device):
    with pytest.raises(RuntimeError, match="bool"):
        -tg.tensor([True], device=device)
    with pytest.raises(RuntimeError, match="bool"):
        tg.abs(tg.tensor([True], device=device))


# ----------------------------------------------------------------------------- unary math (issue #12)
INF, NAN = float("inf"), float("nan")
MATH = [
    ("sin", tg.sin, np.sin, False),
    ("cos", tg.cos, np.cos, False),
    ("tan", lambda x: tg.tan(x * 0.7), lambda x: np.tan(x * 0.7), False),
    ("rsqrt", tg.rsqrt, lambda x: 1 / np.sqrt(x), True),
    ("log2", tg.log2, np.log2, True),
    ("log1p", tg.log1p, np.log1p, True),
    ("exp2", tg.exp2, np.exp2, False),
    ("expm1", tg.expm1, np.expm1, False),
    ("reciprocal", tg.reciprocal, lambda x: 1 / x, True),
    ("square_fn", tg.square, np.square, False),
    ("methods", lambda x: x.sin() + x.cos().square() + x.expm1() - x.exp2().log2().log1p(),
     lambda x: np.sin(x) + np.cos(x) ** 2 + np.expm1(x) - np.log1p(np.log2(np.exp2(x))), True),
]


@pytest.mark.parametrize("i", range(len(MATH)), ids=[u[0] for u in MATH])
def test_unary_math(i, device):
    _, fn, ref, positive = MATH[i]
    for shape in cases(device, UNARY_SHAPES, i):
        check(fn, ref, shape, positive=positive, grad=0 not in shape, device=device)


PIECEWISE_POINTS = [-2.5, -1.5, -0.5, -0.0, 0.5, 1.5, 2.5, -0.3, 0.3, NAN, INF, -INF]
# torch 2.13, float64, at PIECEWISE_POINTS: (forward, gradient of the sum)
TORCH_UNARY = {
    "sign": ([-1.0, -1.0, -1.0, 0.0, 1.0, 1.0, 1.0, -1.0, 1.0, 0.0, 1.0, -1.0],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    "floor": ([-3.0, -2.0, -1.0, -0.0, 0.0, 1.0, 2.0, -1.0, 0.0, NAN, INF, -INF],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    "ceil": ([-2.0, -1.0, -0.0, -0.0, 1.0, 2.0, 3.0, -0.0, 1.0, NAN, INF, -INF],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    "round": ([-2.0, -2.0, -0.0, -0.0, 0.0, 2.0, 2.0, -0.0, 0.0, NAN, INF, -INF],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    "trunc": ([-2.0, -1.0, -0.0, -0.0, 0.0, 1.0, 2.0, -0.0, 0.0, NAN, INF, -INF],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    "rsqrt": ([NAN, NAN, NAN, -INF, 1.414213562373095, 0.8164965809277261, 0.6324555320336759, NAN, 1.8257418583505538,
               NAN, 0.0, NAN],
        [NAN, NAN, NAN, INF, -1.4142135623730947, -0.2721655269759088, -0.1264911064067352, NAN, -3.0429030972509232,
         NAN, -0.0, NAN]),
    "reciprocal": ([-0.4, -0.6666666666666666, -2.0, -INF, 2.0, 0.6666666666666666, 0.4, -3.3333333333333335,
                    3.3333333333333335, NAN, 0.0, -0.0],
        [-0.16000000000000003, -0.4444444444444444, -4.0, -INF, -4.0, -0.4444444444444444, -0.16000000000000003,
         -11.111111111111112, -11.111111111111112, NAN, -0.0, -0.0]),
    "square": ([6.25, 2.25, 0.25, 0.0, 0.25, 2.25, 6.25, 0.09, 0.09, NAN, INF, INF],
        [-5.0, -3.0, -1.0, -0.0, 1.0, 3.0, 5.0, -0.6, 0.6, NAN, INF, -INF]),
    "log2": ([NAN, NAN, NAN, -INF, -1.0, 0.5849625007211562, 1.3219280948873624, NAN, -1.7369655941662063, NAN, INF,
              NAN],
        [-0.5770780163555853, -0.9617966939259757, -2.8853900817779268, -INF, 2.8853900817779268, 0.9617966939259757,
         0.5770780163555853, -4.808983469629878, 4.808983469629878, NAN, 0.0, -0.0]),
    "exp2": ([0.1767766952966369, 0.3535533905932738, 0.7071067811865476, 1.0, 1.4142135623730951, 2.8284271247461903,
              5.656854249492381, 0.8122523963562356, 1.2311444133449163, NAN, INF, 0.0],
        [0.1225322679335684, 0.2450645358671368, 0.4901290717342736, 0.6931471805599453, 0.9802581434685472,
         1.9605162869370945, 3.921032573874189, 0.5630104584373838, 0.8533642789721566, NAN, INF, 0.0]),
    "sin": ([-0.5984721441039565, -0.9974949866040544, -0.479425538604203, -0.0, 0.479425538604203, 0.9974949866040544,
             0.5984721441039565, -0.29552020666133955, 0.29552020666133955, NAN, NAN, NAN],
        [-0.8011436155469337, 0.0707372016677029, 0.8775825618903728, 1.0, 0.8775825618903728, 0.0707372016677029,
         -0.8011436155469337, 0.955336489125606, 0.955336489125606, NAN, NAN, NAN]),
    "cos": ([-0.8011436155469337, 0.0707372016677029, 0.8775825618903728, 1.0, 0.8775825618903728, 0.0707372016677029,
             -0.8011436155469337, 0.955336489125606, 0.955336489125606, NAN, NAN, NAN],
        [0.5984721441039565, 0.9974949866040544, 0.479425538604203, 0.0, -0.479425538604203, -0.9974949866040544,
         -0.5984721441039565, 0.29552020666133955, -0.29552020666133955, NAN, NAN, NAN]),
    "tan": ([0.7470222972386603, -14.101419947171719, -0.5463024898437905, -0.0, 0.5463024898437905, 14.101419947171719,
             -0.7470222972386603, -0.30933624960962325, 0.30933624960962325, NAN, NAN, NAN],
        [1.5580423125717253, 199.85004452649244, 1.2984464104095248, 1.0, 1.2984464104095248, 199.85004452649244,
         1.5580423125717253, 1.095688915322547, 1.095688915322547, NAN, NAN, NAN]),
    "log1p": ([NAN, NAN, -0.6931471805599453, -0.0, 0.4054651081081644, 0.9162907318741551, 1.252762968495368,
               -0.35667494393873234, 0.26236426446749106, NAN, INF, NAN],
        [-0.6666666666666666, -2.0, 2.0, 1.0, 0.6666666666666666, 0.4, 0.2857142857142857, 1.4285714285714286,
         0.7692307692307692, NAN, 0.0, -0.0]),
    "expm1": ([-0.9179150013761012, -0.7768698398515702, -0.3934693402873666, -0.0, 0.6487212707001282,
               3.481689070338065, 11.182493960703473, -0.2591817793182821, 0.3498588075760031, NAN, INF, -1.0],
        [0.08208499862389884, 0.2231301601484298, 0.6065306597126334, 1.0, 1.6487212707001282, 4.481689070338065,
         12.182493960703473, 0.7408182206817179, 1.3498588075760032, NAN, INF, 0.0]),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # the simulator's threads compute log2(0) outside errstate
@pytest.mark.parametrize("name", list(TORCH_UNARY))
@pytest.mark.parametrize("dtype", [tg.float64, tg.float32], ids=str)
def test_unary_math_special_values_match_torch(name, dtype, device):
    want, want_grad = TORCH_UNARY[name]
    x = tg.tensor(PIECEWISE_POINTS, dtype=dtype, requires_grad=True, device=device)
    with np.errstate(all="ignore"):
        y = getattr(tg, name)(x)
        y.backward(tg.ones_like(y))
    assert y.dtype == dtype and x.grad.dtype == dtype
    rtol = 1e-12 if dtype == tg.float64 else 2e-6
    np.testing.assert_allclose(y.numpy(), want, rtol=rtol)
    num = ~np.isnan(want)                           # −0.0 exactly where torch has it (a NaN's sign bit means nothing)
    np.testing.assert_array_equal(np.signbit(y.numpy()[num]), np.signbit(np.array(want)[num]))
    np.testing.assert_allclose(x.grad.numpy(), want_grad, rtol=rtol)


def test_round_half_to_even_and_decimals_follow_torch(device):
    # torch 2.13: round(x, decimals=2), round(x, decimals=-1) on float32
    x = tg.tensor([1.2345, -1.2355, 125.0, 135.0], device=device)
    np.testing.assert_allclose(tg.round(x, decimals=2).numpy(), np.float32([1.23, -1.24, 125.0, 135.0]))
    np.testing.assert_array_equal(tg.round(tg.tensor([125.0, 135.0, 1234.5], device=device), decimals=-1).numpy(),
                                  [120, 140, 1230])
    np.testing.assert_array_equal(tg.tensor([0.5, 1.5, 2.5, -2.5], device=device).round().numpy(),
                                  [0.0, 2.0, 2.0, -2.0])
    big = tg.tensor([2.0 ** 52 + 1, -(2.0 ** 60), 4503599627370495.5], dtype=tg.float64, device=device)
    np.testing.assert_array_equal(tg.round(big).numpy(), [2.0 ** 52 + 1, -(2.0 ** 60), 4503599627370496.0])
    with pytest.raises(TypeError, match="decimals must be an int"):
        tg.round(x, decimals=1.5)


def test_unary_math_integer_and_bool_dtypes_follow_torch(device):
    i64, i32 = tg.tensor([1, 0, 2], device=device), tg.tensor([1, 0, 2], dtype=tg.int32, device=device)
    b = tg.tensor([True, False], device=device)
    for name in ("sin", "cos", "tan", "rsqrt", "log2", "log1p", "exp2", "expm1", "reciprocal"):
        for t in (i64, i32, b):                    # torch 2.13: float32 for integer and bool inputs
            y = getattr(tg, name)(t)
            assert y.dtype == tg.float32, (name, t.dtype, y.dtype)
    np.testing.assert_allclose(tg.reciprocal(i64).numpy(), [1.0, np.inf, 0.5])
    np.testing.assert_allclose(tg.rsqrt(i64).numpy(), [1.0, np.inf, 0.7071067690849304])
    for name in ("sign", "floor", "ceil", "round", "trunc", "square"):    # torch 2.13: integers stay integers
        for t in (i64, i32):
            y = getattr(tg, name)(t)
            assert y.dtype == t.dtype, (name, t.dtype, y.dtype)
    assert tg.sign(tg.tensor([-5, 0, 7], device=device)).tolist() == [-1, 0, 1]
    assert tg.square(tg.tensor([-3, 4], device=device)).tolist() == [9, 16]
    assert tg.sign(b).dtype == tg.bool_ and tg.sign(b).tolist() == [True, False]   # torch 2.13: bool
    assert tg.square(b).dtype == tg.int64 and tg.square(b).tolist() == [1, 0]      # torch 2.13: int64
    for name in ("floor", "ceil", "round", "trunc"):
        with pytest.raises(RuntimeError, match="bool"):           # torch 2.13: NotImplementedError for Bool
            getattr(tg, name)(b)
    with pytest.raises(RuntimeError, match="decimals"):           # torch 2.13: "round_cpu" not implemented for Long
        tg.round(i64, decimals=0)
    y = tg.floor(i64)
    assert y.tolist() == [1, 0, 2] and y._data is not i64._data   # a copy, as torch
    for name in ("sin", "sign", "floor", "square"):
        with pytest.raises(TypeError, match="Tensor"):
            getattr(tg, name)([1.0])


def test_piecewise_constant_ops_have_zero_gradient(device):
    for name in ("sign", "floor", "ceil", "round", "trunc"):
        x = tg.tensor([[-1.7, 0.2], [2.5, 3.0]], requires_grad=True, device=device)
        y = getattr(x, name)()
        assert y.requires_grad
        (y * 3).sum().backward()
        assert x.grad.dtype == tg.float32 and x.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_unary_math_saves_only_what_backward_reads(device):
    # tan, rsqrt, exp2, expm1 and reciprocal read their output; the others their input; sign & co nothing
    x = tg.tensor([0.5, 1.0], requires_grad=True, device=device) * 1
    y = tg.sin(x)
    x += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    w = tg.tensor([0.5, 1.0], requires_grad=True, device=device)
    x = w * 1
    y = tg.reciprocal(x)
    x += 1                                          # the output is saved, not the input
    y.sum().backward()
    assert w.grad.tolist() == [-4.0, -1.0]          # −1/x² at the values before the += 1
    x = tg.tensor([0.5, 1.0], requires_grad=True, device=device) * 1
    y = tg.floor(x)
    x += 1
    y.sum().backward()


def test_comparison_short_names(device):
    a = tg.tensor([1, 2, 3], device=device)
    assert tg.eq(a, 2).tolist() == [False, True, False] and a.ne(2).tolist() == [True, False, True]
    assert a.lt(2.5).tolist() == [True, True, False] and tg.le(a, 2).tolist() == [True, True, False]
    assert tg.gt(a, tg.tensor([3, 2, 1], device=device)).tolist() == [False, False, True]
    assert a.ge(3).tolist() == [False, False, True]


def test_isnan_isinf_isfinite_match_torch(device):
    # torch 2.13 on [1, nan, inf, -inf, -0.0]; integers are never NaN or infinite
    for dtype in (tg.float32, tg.float64):
        x = tg.tensor([1.0, float("nan"), float("inf"), -float("inf"), -0.0], dtype=dtype, device=device)
        assert tg.isnan(x).tolist() == [False, True, False, False, False] and x.isnan().dtype == tg.bool
        assert x.isinf().tolist() == [False, False, True, True, False]
        assert tg.isfinite(x).tolist() == [True, False, False, False, True]
    i = tg.tensor([3, -2], device=device)
    assert i.isnan().tolist() == [False, False] and i.isinf().tolist() == [False, False]
    assert i.isfinite().tolist() == [True, True]
