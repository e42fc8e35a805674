"""Reductions, views, joins and indexing: forward against NumPy float64 and gradcheck."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

import tinygradnb as tg
from opcheck import check_op, inputs

AXES = [None, 0, 1, -1, (0, 2), (0, 1, 2)]


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var"])
def test_reductions(name, axis, keepdims):
    ref = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min,
           "var": lambda a, axis, keepdims: np.var(a, axis=axis, keepdims=keepdims, ddof=1)}[name]
    check_op(lambda x: getattr(x, name)(axis=axis, keepdims=keepdims),
             lambda x: ref(x, axis=axis, keepdims=keepdims), (2, 3, 4))


def test_torch_spellings_dim_keepdim_and_var_correction():
    x = tg.tensor(np.arange(12.0).reshape(3, 4))
    assert x.sum(dim=1, keepdim=True).shape == (3, 1)
    np.testing.assert_allclose(x.var(dim=0, correction=0).numpy(), np.arange(12.0).reshape(3, 4).var(axis=0))
    np.testing.assert_allclose(x.var(unbiased=False).item(), np.arange(12.0).var())


def test_max_ties_share_gradient():
    x = tg.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [1, 0, 0]])


def test_reductions_of_empty_and_size_one():
    assert tg.zeros(0, 3).sum(axis=0).tolist() == [0.0, 0.0, 0.0]
    assert tg.ones(1, 1).mean().item() == 1.0
    assert np.isnan(tg.zeros(0).mean().item())
    with pytest.raises(ValueError, match="empty"):
        tg.zeros(0).max()


def test_argmax_argmin():
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    x = tg.tensor(a)
    assert x.argmax(axis=1).tolist() == [1, 0] and x.argmin(dim=1).tolist() == [0, 1]
    assert x.argmax().item() == 3 and x.argmax().dtype == tg.int64


SHAPE_OPS = [
    ("reshape", lambda x: x.reshape(4, -1), lambda x: x.reshape(4, -1)),
    ("view", lambda x: x.view(24), lambda x: x.reshape(24)),
    ("permute", lambda x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1)),
    ("transpose", lambda x: x.transpose(0, 2), lambda x: np.swapaxes(x, 0, 2)),
    ("T", lambda x: x.T, lambda x: x.T),
    ("expand", lambda x: x[:, :1].expand(5, 2, 3, 4), lambda x: np.broadcast_to(x[:, :1], (5, 2, 3, 4))),
    ("unsqueeze", lambda x: x.unsqueeze(1), lambda x: x[:, None]),
    ("unsqueeze_neg", lambda x: x.unsqueeze(-1), lambda x: x[..., None]),
    ("squeeze", lambda x: x[:, :1].squeeze(), lambda x: x[:, 0]),
    ("squeeze_dim", lambda x: x[:1].squeeze(0), lambda x: x[0]),
    ("flatten", lambda x: x.flatten(1), lambda x: x.reshape(2, 12)),
    ("slice", lambda x: x[1:, ::2, -1], lambda x: x[1:, ::2, -1]),
    ("int_index", lambda x: x[0, 1], lambda x: x[0, 1]),
    ("ellipsis_none", lambda x: x[..., None, 1], lambda x: x[..., None, 1]),
    ("gather", lambda x: x[tg.tensor([1, 0, 1])], lambda x: x[[1, 0, 1]]),
    ("gather_2d", lambda x: x[:, tg.tensor([[0, 2], [2, 2]])], lambda x: x[:, [[0, 2], [2, 2]]]),
    ("pair_index", lambda x: x[tg.tensor([0, 1, 1]), tg.tensor([2, 2, 0])],
     lambda x: x[[0, 1, 1], [2, 2, 0]]),
    ("bool_mask", lambda x: x[tg.tensor(np.array([True, False]))], lambda x: x[np.array([True, False])]),
    ("list_index", lambda x: x[[0, 0]], lambda x: x[[0, 0]]),
]


@pytest.mark.parametrize("name,fn,ref", SHAPE_OPS, ids=[s[0] for s in SHAPE_OPS])
def test_shape_ops(name, fn, ref):
    check_op(fn, ref, (2, 3, 4))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_and_stack(axis):
    a, b, c = inputs([(2, 3), (2, 3), (2, 3)])
    check_op(lambda x, y, z: tg.concat([x, y, z], axis), lambda x, y, z: np.concatenate([x, y, z], axis),
             arrays=[a, b, c])
    check_op(lambda x, y: tg.stack([x, y], axis), lambda x, y: np.stack([x, y], axis), arrays=[a, b])
    check_op(lambda x, y: tg.cat([x, y[:1] if axis == 0 else y], dim=axis),
             lambda x, y: np.concatenate([x, y[:1] if axis == 0 else y], axis), arrays=[a, b])


def test_gather_repeated_indices_accumulate():
    w = tg.tensor(np.ones((4, 2)), requires_grad=True)
    w[tg.tensor([3, 3, 0, 3])].sum().backward()
    np.testing.assert_allclose(w.grad.numpy()[:, 0], [1, 0, 0, 3])


def test_setitem_outside_graph():
    x = tg.zeros(2, 3)
    x[0, 1:] = 5.0
    x[tg.tensor([1])] = tg.ones(1, 3)
    assert x.tolist() == [[0, 5, 5], [1, 1, 1]]
    w = tg.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        w[0] = 1.0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_reduction_gradients_property(shape, data):
    """The gradient of sum over any axes is all ones; of mean, 1/N; both keep the input shape."""
    axes = data.draw(st.lists(st.integers(0, len(shape) - 1), unique=True, max_size=len(shape)))
    axis = tuple(axes) if axes else None
    x = tg.tensor(inputs([tuple(shape)])[0], requires_grad=True)
    keep = data.draw(st.booleans())
    x.sum(axis=axis, keepdims=keep).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.ones(shape))
    x.grad = None
    x.mean(axis=axis, keepdims=keep).sum().backward()
    n = np.prod([shape[a] for a in (axes or range(len(shape)))])
    np.testing.assert_allclose(x.grad.numpy(), np.full(shape, 1.0 / n))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 6), st.lists(st.integers(-6, 5), min_size=1, max_size=8))
def test_gather_gradient_property(n, idx):
    """x[idx] backward scatter-adds: grad[i] = number of times i appears in idx (negative indices wrap)."""
    idx = [i for i in idx if -n <= i < n] or [0]
    x = tg.tensor(np.zeros(n), requires_grad=True)
    x[tg.tensor(idx)].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.bincount(np.array(idx) % n, minlength=n))
