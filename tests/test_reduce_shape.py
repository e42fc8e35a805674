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
    # torch 2.13: max()/amax() of no elements raise RuntimeError ("Expected reduction dim to be specified for
    # input.numel() == 0"), over an empty dim IndexError ("Expected reduction dim 1 to have non-zero size")
    with pytest.raises(RuntimeError, match="numel"):
        tg.zeros(0).max()
    with pytest.raises(RuntimeError, match="numel"):
        tg.zeros(3, 0).amin()


def test_reductions_over_a_non_empty_dim_of_an_empty_tensor():
    # torch 2.13, on torch.zeros(3, 0): reducing dim 0 gives empty results; reducing the empty dim 1 gives sum 0,
    # mean NaN, var NaN and IndexError for max/min/amax/argmax; argmax() (all dims) IndexError
    e = tg.zeros(3, 0)
    for r in (e.sum(0), e.mean(0), e.var(0), e.amax(0), e.argmax(0), e.max(0).values, e.max(0).indices,
              e.min(dim=0).indices):
        assert r.shape == (0,)
    assert e.max(0).indices.dtype == tg.int64
    assert e.sum(1).tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(e.mean(1).numpy()).all() and np.isnan(e.var(1).numpy()).all()
    for fn in (lambda: e.max(1), lambda: e.min(-1), lambda: e.amax(1), lambda: e.amin((0, 1)),
               lambda: e.argmax(1), lambda: e.argmin(dim=1), lambda: e.argmax(), lambda: e.max(axis=1)):
        with pytest.raises(IndexError, match="non-zero size|numel"):
            fn()
    x = tg.zeros(0, 4, requires_grad=True)                  # the gradient of an empty reduction: empty
    x.max(1).values.sum().backward()
    assert x.grad.shape == (0, 4)
    x.grad = None
    x.sum(0).sum().backward()
    assert x.grad.shape == (0, 4)


def test_max_min_over_a_dim_return_values_and_indices():
    # torch 2.13: torch.max(x, 1) is torch.return_types.max(values, indices); ties give the first index
    x = tg.tensor([[1.0, 5.0, 5.0], [5.0, 4.0, 5.0]])
    r = tg.max(x, 1)
    assert isinstance(r, tuple) and r._fields == ("values", "indices") and type(r).__name__ == "max"
    assert r.values.tolist() == [5.0, 5.0] and r.indices.tolist() == [1, 0] and r.indices.dtype == tg.int64
    _, pred = tg.max(x, 1)
    assert pred.tolist() == [1, 0]
    assert x.max(dim=0).indices.tolist() == [1, 0, 0] and x.max(0).values.tolist() == [5.0, 5.0, 5.0]
    m = x.min(1, keepdim=True)
    assert type(m).__name__ == "min" and m.values.tolist() == [[1.0], [4.0]] and m.indices.tolist() == [[0], [1]]
    assert tg.max(x, 1, keepdim=True).indices.shape == (2, 1)
    assert x.min(dim=-1, keepdim=False).indices.tolist() == [0, 1]
    # without a dim: a 0-d tensor; with a Tensor second argument: element-wise (torch.maximum)
    assert x.max().shape == () and x.max().item() == 5.0 and x.min().item() == 1.0
    assert tg.max(tg.tensor([1.0, 5.0]), tg.tensor([3.0, 2.0])).tolist() == [3.0, 5.0]
    assert tg.tensor([1.0, 5.0]).min(tg.tensor([3.0, 2.0])).tolist() == [1.0, 2.0]
    # integer and bool tensors (torch 2.13: max(dim) of int64 [[1, 5], [7, 2]] is ([5, 7], [1, 0]); min(0) is
    # ([1, 2], [0, 1]); min of the int64 minimum is exact, no negation overflows)
    i = tg.tensor([[1, 5], [7, 2]])
    assert i.max(1).values.tolist() == [5, 7] and i.max(1).values.dtype == tg.int64
    assert i.min(0).values.tolist() == [1, 2] and i.min(0).indices.tolist() == [0, 1]
    lo = np.iinfo(np.int64).min
    assert tg.tensor([lo, 0]).min().item() == lo and tg.tensor([[lo, 3]]).min(1).values.tolist() == [lo]
    assert tg.tensor([[True, False]]).max(1).values.tolist() == [True]
    assert tg.tensor([[True, False]]).min().item() is False
    # a 0-d tensor: itself at index 0 (torch 2.13: torch.tensor(4.).max(0) == (tensor(4.), tensor(0)))
    z = tg.tensor(4.0).max(0)
    assert z.values.shape == () and z.values.item() == 4.0 and z.indices.item() == 0
    assert tg.tensor(4.0).max(-1).indices.item() == 0 and tg.tensor(4.0).max().item() == 4.0
    # NumPy's axis= spelling stays values-only (as np.max / torch.amax)
    assert x.max(axis=1).tolist() == [5.0, 5.0] and x.min(axis=(0, 1)).item() == 1.0
    with pytest.raises(TypeError, match="int"):
        x.max((0, 1))                   # torch 2.13: TypeError (several dims: amax)
    with pytest.raises(IndexError):
        x.max(2)
    with pytest.raises(TypeError, match="either"):
        x.max(1, axis=1)


def test_max_min_gradients_follow_torch():
    # torch 2.13, x = [[1, 5, 5], [5, 4, 5]]: max(1) sends the gradient to the returned index only;
    # max() and amax split it evenly among ties (max(): 0.25 each of 4; amax(1): 0.5 each of 2 per row)
    a = [[1.0, 5.0, 5.0], [5.0, 4.0, 5.0]]
    cases = [(lambda t: t.max(1).values, [[0, 1, 0], [1, 0, 0]]),
             (lambda t: t.max(1, keepdim=True)[0], [[0, 1, 0], [1, 0, 0]]),
             (lambda t: t.min(0).values, [[1, 0, 1], [0, 1, 0]]),
             (lambda t: t.max(), [[0, 0.25, 0.25], [0.25, 0, 0.25]]),
             (lambda t: t.amax(), [[0, 0.25, 0.25], [0.25, 0, 0.25]]),
             (lambda t: t.amax(1), [[0, 0.5, 0.5], [0.5, 0, 0.5]]),
             (lambda t: tg.amax(t, (0, 1), keepdim=True), [[0, 0.25, 0.25], [0.25, 0, 0.25]]),
             (lambda t: t.amin(1), [[1, 0, 0], [0, 1, 0]]),
             (lambda t: t.min(), [[1, 0, 0], [0, 0, 0]])]
    for fn, want in cases:
        x = tg.tensor(a, dtype=tg.float64, requires_grad=True)
        fn(x).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), want)
    # finite differences away from ties
    for fn in (lambda t: t.max(1).values, lambda t: t.min(0, keepdim=True).values, lambda t: t.max(),
               lambda t: t.amax((0, 2)), lambda t: t.amin(-1, keepdim=True), lambda t: tg.max(t, -1)[0] * 2.0,
               lambda t: tg.min(t, t * 0.5)):
        assert tg.gradcheck(fn, [tg.tensor(inputs([(3, 4, 5)], seed=3)[0], requires_grad=True)])


def test_max_min_argmax_with_nan_follow_torch():
    nan = float("nan")
    # torch 2.13: a NaN is the maximum and the minimum: its (first) index is returned, the value is NaN
    y = tg.tensor([[1.0, nan, nan], [nan, 4.0, 5.0]], dtype=tg.float64, requires_grad=True)
    assert y.argmax(1).tolist() == [1, 0] and y.argmin(1).tolist() == [1, 0]
    assert y.argmax().item() == 1 and y.argmin().item() == 1
    r = y.max(1)
    assert np.isnan(r.values.numpy()).all() and r.indices.tolist() == [1, 0]
    assert y.min(1).indices.tolist() == [1, 0] and np.isnan(y.amin(1).numpy()).all()
    r.values.sum().backward()               # max(dim): the gradient goes to the NaN's index
    np.testing.assert_array_equal(y.grad.numpy(), [[0, 1, 0], [1, 0, 0]])
    y.grad = None
    y.max().backward()                      # max(): split among the NaNs, 1/3 each
    np.testing.assert_allclose(y.grad.numpy(), [[0, 1 / 3, 1 / 3], [1 / 3, 0, 0]])
    y.grad = None
    y.amax(1).sum().backward()              # amax: grad · 1[x == max] / count is 0/0 = NaN over NaN rows
    assert np.isnan(y.grad.numpy()).all()
    x = tg.tensor([[1.0, 3.0, 3.0], [2.0, nan, 5.0]], requires_grad=True)
    x.amax(1).sum().backward()              # torch 2.13: [[0, 0.5, 0.5], [nan, nan, nan]]
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5], [nan, nan, nan]])
    x.grad = None
    x.max().backward()                      # torch 2.13: [[0, 0, 0], [0, 1, 0]]
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 0], [0, 1, 0]])
    assert np.isnan(tg.tensor(nan).max(0).values.item())


def test_indices_of_max_are_guarded_against_in_place_changes():
    x = tg.tensor([[1.0, 3.0], [4.0, 2.0]], requires_grad=True)
    values, indices = x.max(1)
    indices += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        values.sum().backward()


def test_float32_sum_is_accurate_along_every_axis():
    """float32 sums over any axis are accurate: on this (10⁴, 10²) array summed over dim 0, torch 2.13's cascade
    sum errs by 1.2e-7 (max relative to the float64 sum), NumPy's naive float32 running sum by 3.9e-6, this
    library by 4.7e-8 (float64 accumulators)."""
    rng = np.random.default_rng(0)
    a = rng.random((10**4, 100), dtype=np.float32)
    exact = a.astype(np.float64)
    for axis, src in ((0, a), (1, a), (None, a), (1, a.T), ((0, 1), a)):
        e = exact.T if src is not a else exact
        ref = e.sum(axis=axis)
        got = tg.tensor(src).sum(axis=axis).numpy()
        assert got.dtype == np.float32
        assert np.abs(got - ref).max() / np.abs(ref).max() < 2e-7, axis
    three = rng.random((3, 5000, 7), dtype=np.float32)
    ref = three.astype(np.float64).mean(axis=1)
    assert np.abs(tg.tensor(three).mean(dim=1).numpy() - ref).max() / ref.max() < 2e-7


def test_argmax_argmin():
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    x = tg.tensor(a)
    assert x.argmax(axis=1).tolist() == [1, 0] and x.argmin(dim=1).tolist() == [0, 1]
    assert x.argmax().item() == 3 and x.argmax().dtype == tg.int64
    assert x.argmax(1).tolist() == [1, 0] and x.argmax(1, keepdim=True).shape == (2, 1)
    assert tg.tensor(3.0).argmax().item() == 0 and tg.tensor(3.0).argmin(0).item() == 0


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


def test_zero_d_reductions_follow_torch():
    for name in ("sum", "mean", "var"):
        x = tg.tensor(2.0, dtype=tg.float64, requires_grad=True)
        out = getattr(x, name)(dim=0)
        assert out.shape == ()                                              # torch 2.13: 0-d
        getattr(x, name)(dim=-1, keepdim=True).backward()
        assert x.grad.shape == ()
    assert tg.tensor(2.0).sum(dim=0).item() == 2.0 and tg.tensor(2).sum(dim=-1).item() == 2
    x = tg.tensor(3.0, requires_grad=True)
    x.sum().backward()
    assert x.grad.shape == () and x.grad.item() == 1.0                     # not (1,)


def test_mean_and_var_of_integers_raise_as_in_torch():
    with pytest.raises(RuntimeError, match="mean"):
        tg.zeros(3, dtype=tg.int64).mean()
    with pytest.raises(RuntimeError, match="floating point"):
        tg.zeros(3, dtype=tg.int64).var()
    with pytest.raises(TypeError, match="dim"):
        tg.ones(2, 3).sum(dim=1.5)
