"""Element-wise ops: forward against NumPy float64, float32 forward, gradcheck, broadcasting and dtypes."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

import tinygradnb as tg
from opcheck import check_op, inputs

BINARY = [
    ("add", lambda a, b: a + b, np.add),
    ("sub", lambda a, b: a - b, np.subtract),
    ("mul", lambda a, b: a * b, np.multiply),
    ("div", lambda a, b: a / b, np.divide),
    ("maximum", tg.maximum, np.maximum),
    ("minimum", tg.minimum, np.minimum),
]
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((1,), (5,)), ((), (2, 3)), ((2, 3), ())]


@pytest.mark.parametrize("name,fn,ref", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_binary(name, fn, ref, shapes):
    check_op(fn, ref, *shapes, positive=name == "div")


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_pow_tensor_exponent(shapes):
    check_op(lambda a, b: a ** b, np.power, *shapes, positive=True)


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


@pytest.mark.parametrize("name,fn,ref,positive", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("shape", [(3, 4), (5,), (), (2, 0, 3)], ids=str)
def test_unary(name, fn, ref, positive, shape):
    check_op(fn, ref, shape, positive=positive, grad=0 not in shape)


def test_where():
    rng = np.random.default_rng(1)
    cond = rng.uniform(size=(3, 4)) > 0.5
    check_op(lambda x, y: tg.where(tg.tensor(cond), x, y), lambda x, y: np.where(cond, x, y), (3, 4), (4,))


def test_maximum_ties_split_gradient():
    a = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = tg.tensor([1.0, 1.0, 5.0], requires_grad=True)
    tg.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 1.0, 0.0]
    assert b.grad.tolist() == [0.5, 0.0, 1.0]


def test_scalar_keeps_dtype_and_promotion():
    x = tg.ones(3)
    assert (x * 2).dtype == tg.float32 and (2 * x).dtype == tg.float32 and (x / 3).dtype == tg.float32
    assert (x + tg.ones(3, dtype=tg.float64)).dtype == tg.float64
    i = tg.arange(4)
    assert i.dtype == tg.int64 and (i + 1).dtype == tg.int64 and (i * 0.5).dtype == tg.float32
    assert (i / 2).dtype == tg.float32
    np.testing.assert_array_equal((i * 0.5).numpy(), [0, 0.5, 1, 1.5])


def test_mixed_dtype_gradients_keep_each_input_dtype():
    a = tg.ones(2, requires_grad=True)
    b = tg.ones(2, dtype=tg.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == tg.float32 and b.grad.dtype == tg.float64


def test_numpy_array_operand():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, tg.Tensor)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]


def test_comparisons_are_bool_and_not_differentiable():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = x > 1.5
    assert m.dtype == tg.bool_ and not m.requires_grad and m.tolist() == [False, True, True]
    assert (x == 2.0).tolist() == [False, True, False]
    assert (x <= 2).tolist() == [True, True, False]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 3), min_size=0, max_size=3), st.lists(st.booleans(), min_size=3, max_size=3),
       st.integers(0, 2))
def test_broadcast_gradients_property(shape, ones_mask, drop):
    """For any pair of broadcastable shapes, d(sum(a*b))/da = sum of b broadcast back to a's shape."""
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


def test_invert_bool_mask():
    m = tg.tensor(np.array([True, False]))
    assert (~m).tolist() == [False, True] and m.logical_not().tolist() == [False, True]
    with pytest.raises(TypeError, match="bool tensor"):
        ~tg.ones(2)


# torch 2.13 (torch.result_type): tensors with dimensions decide; 0-d tensors and Python numbers count only when of
# a higher category (bool < integer < float); a Python float is the default float32, a Python int int64.
PROMOTION = [
    (lambda: tg.ones(2) + tg.tensor(2.0, dtype=tg.float64), tg.float32),
    (lambda: tg.ones(2, dtype=tg.float64) + tg.tensor(2.0), tg.float64),
    (lambda: tg.tensor(2.0) + tg.tensor(2.0, dtype=tg.float64), tg.float64),      # both 0-d: promote
    (lambda: tg.ones(2, dtype=tg.int64) * 2.5, tg.float32),
    (lambda: tg.ones(2, dtype=tg.int32) + tg.tensor(3), tg.int32),
    (lambda: tg.ones(2, dtype=tg.int32) + tg.tensor([3]), tg.int64),
    (lambda: tg.ones(2, dtype=tg.int64) + tg.tensor(3.0, dtype=tg.float64), tg.float64),
    (lambda: tg.tensor([True]) + 1, tg.int64),
    (lambda: tg.tensor([True]) + True, tg.bool_),
    (lambda: tg.tensor([True]) * 1.5, tg.float32),
    (lambda: tg.ones(2, dtype=tg.int32) * 2, tg.int32),
    (lambda: tg.ones(2, dtype=tg.int32) / tg.ones(2, dtype=tg.int32), tg.float32),
    (lambda: 2 ** tg.ones(2, dtype=tg.int32), tg.int32),
    (lambda: tg.ones(2) ** tg.tensor(2, dtype=tg.int64), tg.float32),
    (lambda: tg.maximum(tg.ones(2), tg.tensor(1.0, dtype=tg.float64)), tg.float32),
    (lambda: tg.where(tg.tensor([True, False]), 4, 2), tg.int64),
    (lambda: tg.where(tg.tensor([True, False]), 4.0, 2), tg.float32),
    (lambda: tg.where(tg.tensor([True, False]), tg.ones(2), tg.tensor(0.0, dtype=tg.float64)), tg.float32),
    (lambda: tg.cat([tg.ones(1, dtype=tg.int32), tg.ones(1)]), tg.float32),
]


@pytest.mark.parametrize("make,dtype", PROMOTION)
def test_result_dtype_follows_torch_result_type(make, dtype):
    assert make().dtype == dtype


def test_where_with_two_numbers():
    out = tg.where(tg.tensor([True, False, True]), 4, 2)
    assert out.tolist() == [4, 2, 4]


def test_pow_gradients_at_base_zero_follow_torch():
    x = tg.tensor([0.0, 1.0], dtype=tg.float64, requires_grad=True)
    (x ** 0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]                      # torch 2.13: [0, 0] (not NaN)
    x = tg.tensor([0.0, 1.0], dtype=tg.float64, requires_grad=True)
    (x ** x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0]                      # torch 2.13: [0, 1]
    p = tg.tensor([0.0, 2.0, 0.5, -1.0], dtype=tg.float64, requires_grad=True)
    x = tg.zeros(4, dtype=tg.float64, requires_grad=True)
    (x ** p).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, np.inf, -np.inf]     # torch 2.13
    assert p.grad.tolist() == [0.0, 0.0, 0.0, -np.inf]        # torch 2.13
    x = tg.tensor([0.5, 2.0], dtype=tg.float64, requires_grad=True)
    assert tg.gradcheck(lambda x: x ** x, [x])


def test_clamp_dtype_and_tensor_bounds_follow_torch():
    assert tg.tensor([1, 2, 3]).clamp(max=1.5).tolist() == [1.0, 1.5, 1.5]       # torch 2.13: float32
    assert tg.tensor([1, 2, 3]).clamp(max=1.5).dtype == tg.float32
    assert tg.tensor([1, 2, 3]).clamp(max=1).dtype == tg.int64
    assert tg.tensor([1.0, 2.0]).clamp(min=tg.tensor(1.5, dtype=tg.float64)).dtype == tg.float32
    a = tg.tensor([0.5, 2.0, 3.0], dtype=tg.float64, requires_grad=True)
    lo = tg.tensor([1.0, 1.0, 4.0], dtype=tg.float64, requires_grad=True)
    out = a.clamp(min=lo, max=2.5)
    assert out.tolist() == [1.0, 2.0, 2.5]
    out.sum().backward()
    assert a.grad.tolist() == [0.0, 1.0, 0.0] and lo.grad.tolist() == [1.0, 0.0, 0.0]   # torch 2.13


def test_bool_negation_and_abs_raise_as_in_torch():
    with pytest.raises(RuntimeError, match="bool"):
        -tg.tensor([True])
    with pytest.raises(RuntimeError, match="bool"):
        tg.abs(tg.tensor([True]))
