"""Reductions (sum, mean, var, max/min, argmax, std, logsumexp, norm, any/all, scans, sorts, cosine_similarity,
normalize): forward against NumPy float64 and gradcheck."""
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


# ----------------------------------------------------------------------------- issue #12: std, logsumexp, norm,
# any/all, cumsum/cumprod, sort/argsort/topk, cosine_similarity, normalize
import warnings  # noqa: E402

import tinygradnb.nn.functional as F  # noqa: E402

DIMS = [None, 0, 1, -1, (0, 2)]


def _np_lse(a, axis, keepdims):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
def test_std_and_logsumexp(dim, keepdim):
    for corr in (0, 1, 2):
        check_op(lambda x: tg.std(x, dim=dim, keepdim=keepdim, correction=corr),
                 lambda a: np.std(a, axis=dim, keepdims=keepdim, ddof=corr), (3, 4, 5))
    if dim is not None:
        check_op(lambda x: tg.logsumexp(x, dim, keepdim), lambda a: _np_lse(a, dim, keepdim), (3, 4, 5))
        check_op(lambda x: x.logsumexp(dim, keepdim=keepdim), lambda a: _np_lse(a, dim, keepdim), (3, 4, 5))


def test_std_and_logsumexp_edge_cases_match_torch():
    x = tg.tensor([1., 1, 1], dtype=tg.float64, requires_grad=True)
    s = tg.std(x)
    s.backward()
    assert s.item() == 0.0 and x.grad.tolist() == [0.0, 0.0, 0.0]           # torch 2.13: gradient 0, not NaN
    assert tg.std(tg.tensor([1., 2.]), correction=3).item() == np.inf       # torch: divides by max(0, N − c)
    assert np.isnan(tg.std(tg.tensor([1.])).item())
    assert tg.tensor([[1., 3.]]).std(1, unbiased=False).tolist() == [1.0]
    with pytest.raises(RuntimeError, match="only support floating point"):
        tg.std(tg.tensor([1, 2]))
    # torch 2.13: rows of −inf, with +inf, with NaN; gradients NaN there
    x = tg.tensor([[-np.inf, -np.inf], [np.inf, 1.0], [np.nan, 1.0], [-np.inf, 2.0]], dtype=tg.float64,
                  requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out = tg.logsumexp(x, 1)
        out.sum().backward()
    np.testing.assert_array_equal(out.numpy(), [-np.inf, np.inf, np.nan, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), [[np.nan, np.nan], [np.nan, 0.0], [np.nan, np.nan], [0.0, 1.0]])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        big = tg.logsumexp(tg.tensor([1e4, 1e4], dtype=tg.float32), 0).item()
    assert big == pytest.approx(1e4 + np.log(2.0))
    assert tg.logsumexp(tg.zeros(2, 0), 1).tolist() == [-np.inf, -np.inf]
    li = tg.logsumexp(tg.tensor([1, 2, 3]), 0)
    assert li.dtype == tg.float32 and li.item() == pytest.approx(3.4076059644443806)
    assert tg.logsumexp(tg.tensor(2.5), 0).item() == 2.5
    with pytest.raises(TypeError):
        tg.logsumexp(tg.zeros(2))                                             # dim is required, as torch


def _np_norm(a, p, axis, keepdims):
    ab = np.abs(a)
    if p == "fro" or p == 2:
        return np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims))
    if p == np.inf:
        return np.max(ab, axis=axis, keepdims=keepdims)
    if p == -np.inf:
        return np.min(ab, axis=axis, keepdims=keepdims)
    if p == 0:
        return np.sum(a != 0, axis=axis, keepdims=keepdims).astype(float)
    return np.sum(ab ** p, axis=axis, keepdims=keepdims) ** (1.0 / p)


@pytest.mark.parametrize("p", ["fro", 2, 1, 3, 1.5, 0.5, np.inf, -np.inf, 0, -1], ids=str)
@pytest.mark.parametrize("dim", [None, 1, (0, 2)], ids=str)
def test_norm_forward_and_grad(p, dim):
    for keepdim in (False, True):
        check_op(lambda x: tg.norm(x, p, dim, keepdim), lambda a: _np_norm(a, p, dim, keepdim), (2, 3, 4),
                 grad=p != 0)


def test_norm_gradients_at_zero_and_ties_match_torch():
    # torch 2.13 (float64): rows [0, 0, 0], [1, −3, 3], [2, 0, 0]; backward of the sum of the row norms
    x_np = np.array([[0., 0, 0], [1, -3, 3], [2, 0, 0]])
    want = {2: [[0, 0, 0], [0.22941573387056174, -0.6882472016116852, 0.6882472016116852], [1, 0, 0]],
            1: [[0, 0, 0], [1, -1, 1], [1, 0, 0]],
            np.inf: [[0, 0, 0], [0, -0.5, 0.5], [1, 0, 0]],
            3: [[0, 0, 0], [0.06914459019566169, -0.6223013117609552, 0.6223013117609552], [1, 0, 0]],
            0.5: [[0, 0, 0], [4.464101615137754, -2.577350269189626, 2.577350269189626], [1, 0, 0]]}
    for p, g in want.items():
        x = tg.tensor(x_np, requires_grad=True)
        with np.errstate(all="ignore"):
            tg.norm(x, p, 1).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), g, rtol=1e-12, err_msg=str(p))
    assert x.norm().item() == pytest.approx(np.sqrt(23.0))
    assert tg.norm(tg.tensor([3., 4.]), dtype=tg.float64).dtype == tg.float64


def test_norm_bad_arguments():
    with pytest.raises(RuntimeError, match="floating point"):
        tg.norm(tg.tensor([1, 2]))
    with pytest.raises(ValueError, match="'nuc' is not supported"):
        tg.norm(tg.zeros(2, 2), "nuc")
    with pytest.raises(RuntimeError, match="dimension 1 because this dimension is empty"):
        tg.norm(tg.zeros(2, 0), np.inf, 1)
    assert tg.norm(tg.zeros(2, 0), 2, 1).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("name", ["any", "all"])
def test_any_all(name):
    rng = np.random.default_rng(3)
    a = rng.integers(0, 3, (3, 4, 5)) * (rng.uniform(size=(3, 4, 5)) < 0.7)
    ref = getattr(np, name)
    for arr in (a, a.astype(np.float32), a > 0, np.ones((2, 3), np.int32)):
        x = tg.tensor(arr)
        for dim in (None, 0, 1, -1, (0, 1)):
            if isinstance(dim, int) and dim >= arr.ndim:
                continue
            for keepdim in (False, True):
                out = getattr(tg, name)(x, dim, keepdim)
                want = ref(arr, axis=dim, keepdims=keepdim)
                assert out.dtype == tg.bool_ and out.shape == want.shape
                np.testing.assert_array_equal(out.numpy(), want)
    # torch 2.13: NaN is true; an empty reduction is False for any, True for all; a 0-d tensor over dim 0
    assert getattr(tg, name)(tg.tensor([np.nan])).item() is True
    assert getattr(tg, name)(tg.zeros(0)).item() is (name == "all")
    assert getattr(tg.tensor(0.0), name)(0).shape == ()


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum_cumprod_forward_and_grad(dim):
    check_op(lambda x: tg.cumsum(x, dim), lambda a: np.cumsum(a, axis=dim), (3, 4, 5))
    check_op(lambda x: x.cumprod(dim), lambda a: np.cumprod(a, axis=dim), (3, 4, 5))
    rng = np.random.default_rng(4)
    a = rng.uniform(-2, 2, (3, 4, 5))
    a[0, 0, 0] = a[1, 2, 3] = a[1, 2, 1] = 0.0
    a[2, :, 2] = 0.0
    a[:, 1, 4] = 0.0
    check_op(lambda x: tg.cumprod(x, dim), lambda b: np.cumprod(b, axis=dim), arrays=[a])   # gradcheck at zeros


def test_cumsum_cumprod_dtypes_and_edge_cases_match_torch():
    # torch 2.13: integer and bool inputs give int64; dtype= converts first; a 0-d tensor is itself
    for arr in (np.array([1, 2, 3], np.int32), np.array([True, True, False])):
        out = tg.cumsum(tg.tensor(arr), 0)
        assert out.dtype == tg.int64 and out.tolist() == np.cumsum(arr).tolist()
        assert tg.cumprod(tg.tensor(arr), 0).dtype == tg.int64
    assert tg.cumsum(tg.tensor([1, 2]), 0, dtype=tg.float64).tolist() == [1.0, 3.0]
    assert tg.cumsum(tg.tensor(2.5), 0).item() == 2.5 and tg.cumsum(tg.tensor(2.5), -1).shape == ()
    assert tg.cumsum(tg.zeros(2, 0), 1).shape == (2, 0) and tg.cumprod(tg.zeros(0, 2), 0).shape == (0, 2)
    x = tg.tensor([2., 0, 3, 0, 5], dtype=tg.float64, requires_grad=True)
    y = tg.cumprod(x, 0)
    y.backward(tg.tensor([1., 2, 3, 4, 5], dtype=tg.float64))
    assert y.tolist() == [2.0, 0.0, 0.0, 0.0, 0.0] and x.grad.tolist() == [1.0, 22.0, 0.0, 0.0, 0.0]
    with pytest.raises(TypeError):
        tg.cumsum(tg.zeros(3))                                # dim is required
    with pytest.raises(IndexError):
        tg.cumsum(tg.zeros(3), 1)


def _np_sort(a, axis, descending):
    """Stable sort with NaN above every number (torch's order), written with np.lexsort-free keys."""
    idx = np.argsort(a, axis=axis, kind="stable")
    if descending:
        n = a.shape[axis]
        idx = np.flip(n - 1 - np.argsort(np.flip(a, axis), axis=axis, kind="stable"), axis)
    return np.take_along_axis(a, idx, axis), idx


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_argsort_topk_forward_and_grad(dim, descending):
    check_op(lambda x: tg.sort(x, dim, descending).values, lambda a: _np_sort(a, dim, descending)[0], (3, 4, 5))
    check_op(lambda x: x.topk(2, dim, largest=descending).values,
             lambda a: np.take(_np_sort(a, dim, descending)[0], [0, 1], axis=dim), (3, 4, 5))
    rng = np.random.default_rng(5)
    a = np.round(rng.normal(size=(3, 4, 5)) * 2) / 2               # ties
    a[0, 0, 0] = a[1, 1, 1] = a[1, 2, 1] = np.nan
    for arr in (a, (a * 2).astype(np.int64) if False else np.nan_to_num(a * 2).astype(np.int64), a > 0):
        vals, idx = _np_sort(arr if arr.dtype != bool else arr.astype(np.int64), dim, descending)
        r = tg.sort(tg.tensor(arr), dim=dim, descending=descending, stable=True)
        assert type(r).__name__ == "sort" and r._fields == ("values", "indices")
        assert r.values.dtype == tg.tensor(arr).dtype and r.indices.dtype == tg.int64
        np.testing.assert_array_equal(r.values.numpy(), vals.astype(arr.dtype))
        np.testing.assert_array_equal(r.indices.numpy(), idx)
        np.testing.assert_array_equal(tg.argsort(tg.tensor(arr), dim, descending).numpy(), idx)


def test_sort_topk_edge_cases_match_torch():
    # torch 2.13: NaN sorts last ascending and first descending; ties in original order with stable=True
    x = tg.tensor([3., np.nan, 1, 3, 2, 1, np.nan])
    assert tg.argsort(x, stable=True).tolist() == [2, 5, 4, 0, 3, 1, 6]
    assert tg.argsort(x, descending=True, stable=True).tolist() == [1, 6, 0, 3, 4, 2, 5]
    r = tg.sort(tg.tensor([True, False, True]), descending=True)
    assert r.values.tolist() == [True, True, False] and r.indices.tolist() == [0, 2, 1]
    t = tg.topk(tg.tensor([1.0, 5.0, np.nan, 2.0]), 2)
    assert type(t).__name__ == "topk" and t.indices.tolist() == [2, 1]
    assert tg.topk(tg.tensor([1.0, 5.0, 2.0]), 2, largest=False).values.tolist() == [1.0, 2.0]
    s0 = tg.sort(tg.tensor(3.0))
    assert s0.values.shape == () and s0.indices.item() == 0
    assert tg.topk(tg.tensor(3.0), 1).values.item() == 3.0
    assert tg.topk(tg.zeros(2, 3), 0).values.shape == (2, 0)
    assert tg.sort(tg.zeros(0, 3), 1).values.shape == (0, 3)
    for k in (4, -1):
        with pytest.raises(RuntimeError, match="selected index k out of range"):
            tg.topk(tg.zeros(2, 3), k)
    x = tg.tensor([[3.0, 1.0, 2.0]], requires_grad=True)                 # the gradient goes to the picked places
    tg.topk(x, 2).values.backward(tg.tensor([[10.0, 20.0]]))
    assert x.grad.tolist() == [[10.0, 0.0, 20.0]]


def _np_cos(a, b, axis, eps):
    a, b = np.broadcast_arrays(a, b)                # torch broadcasts before taking the norms
    na = np.maximum(np.sqrt((a * a).sum(axis, keepdims=True)), eps)
    nb = np.maximum(np.sqrt((b * b).sum(axis, keepdims=True)), eps)
    return ((a / na) * (b / nb)).sum(axis)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cosine_similarity_and_normalize(dim):
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(1, 4))
    check_op(lambda x, y: F.cosine_similarity(x, y, dim), lambda x, y: _np_cos(x, y, dim, 1e-8), arrays=[a, b])
    # a binding eps is outside the gradient (torch's clamp_min_ under no_grad): values only here, torch's
    # gradients in the test below
    check_op(lambda x, y: F.cosine_similarity(x, y, dim, eps=0.5), lambda x, y: _np_cos(x, y, dim, 0.5),
             arrays=[a * 0.1, b], grad=False)
    for p in (2, 1, 3, np.inf):
        check_op(lambda x: F.normalize(x, p, dim),
                 lambda x: x / np.maximum(_np_norm(x, p, dim, True), 1e-12), arrays=[a])
        check_op(lambda x: F.normalize(x, p, dim, eps=0.3),
                 lambda x: x / np.maximum(_np_norm(x, p, dim, True), 0.3), arrays=[a * 0.1])


def test_cosine_similarity_and_normalize_small_norms_match_torch():
    # torch 2.13 (float64, eps=0.1): each input divided by its clamped norm; the clamp is outside the gradient of
    # cosine_similarity (clamp_min_ under no_grad) but inside normalize's (clamp_min)
    x1 = tg.tensor([[1e-3, 0.], [0., 0.], [3., 4.]], dtype=tg.float64, requires_grad=True)
    x2 = tg.tensor([[1., 1.]], dtype=tg.float64, requires_grad=True)
    c = F.cosine_similarity(x1, x2, eps=0.1)
    c.sum().backward()
    np.testing.assert_allclose(c.numpy(), [0.0070710678118654745, 0.0, 0.9899494936611665], rtol=1e-12)
    np.testing.assert_allclose(x1.grad.numpy(), [[7.00035713374682, 7.071067811865475],
                                                 [7.071067811865475, 7.071067811865475],
                                                 [0.02262741699796955, -0.016970562748477136]], rtol=1e-12)
    np.testing.assert_allclose(x2.grad.numpy(), [[-0.06717514421272198, 0.0671751442127221]], rtol=1e-10)
    x = tg.tensor([[1e-3, 0.], [0., 0.], [3., 4.]], dtype=tg.float64, requires_grad=True)
    n = F.normalize(x, eps=0.1)
    n.backward(tg.tensor([[1., 2], [3, 4], [5, 6]], dtype=tg.float64))
    np.testing.assert_allclose(n.numpy(), [[0.01, 0.0], [0.0, 0.0], [0.6, 0.8]], rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), [[10.0, 20.0], [30.0, 40.0], [0.064, -0.048]], rtol=1e-10)
    with pytest.raises(RuntimeError, match="expected common dtype to be floating point"):
        F.cosine_similarity(tg.tensor([[1, 2]]), tg.tensor([[1, 2]]))
    assert F.cosine_similarity(tg.tensor([[1., 2]]), tg.tensor([[1, 2]])).item() == pytest.approx(1.0)
    with pytest.raises(IndexError):
        F.cosine_similarity(tg.tensor([1., 2]), tg.tensor([1., 2]))       # dim=1 of 1-D inputs
    with pytest.raises(RuntimeError, match="floating point"):
        F.normalize(tg.tensor([1, 2]))
