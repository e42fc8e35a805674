"""Reductions (sum, mean, var, max/min, argmax/argmin, std, logsumexp, norm, any/all, the scans cumsum/cumprod,
sort/argsort/topk, F.cosine_similarity, F.normalize): forward against NumPy float64 or torch 2.13's values, and
gradients, on every device of TGNB_TEST_DEVICES (the ``device`` fixture, tests/conftest.py).

Under Numba's CUDA simulator every CUDA thread is a Python thread: a block reduction costs ~10 ms per row and a
gradcheck 2N forward passes. So on cuda a test takes smaller shapes and fewer of the cases that differ only on the
host (``on``; still more rows than the simulator's 2 blocks where the kernels loop over rows), and checks gradients
against central differences of the NumPy reference (``grad_ok``)."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

import tinygradnb as tg
import tinygradnb.nn.functional as F
from opcheck import check_op, grad_ok, inputs, on


AXES = [(axis, keepdims) for axis in (None, 0, 1, -1, (0, 2), (0, 1, 2)) for keepdims in (False, True)]
# cuda: each path of its kernels once (all axes in one row; the middle axis, transposed last; the last axis in
# place; two axes), keepdims both ways (a reshape on the host)
CUDA_AXES = [(None, False), (1, True), (-1, False), ((0, 2), True)]


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var"])
def test_reductions(name, device):
    ref = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min,
           "var": lambda a, axis, keepdims: np.var(a, axis=axis, keepdims=keepdims, ddof=1)}[name]
    for axis, keepdims in on(device, AXES, CUDA_AXES):
        check_op(lambda x: getattr(x, name)(axis=axis, keepdims=keepdims),
                 lambda x: ref(x, axis=axis, keepdims=keepdims), on(device, (2, 3, 4), (2, 3, 2)), device=device)


def test_long_rows_integers_bools_views_and_infinities(device):
    """Rows longer than a block's threads (16 under the simulator) and more rows than its blocks (2); float64, int64
    and bool inputs; a transposed (non-contiguous) input; rows with +inf and of -inf (and a column with both: NaN)."""
    rng = np.random.default_rng(7)
    ints = rng.integers(-50, 50, (3, 37))
    floats = ints * 0.25
    floats[1, 30] = np.inf
    floats[2] = -np.inf
    refs = {"amin": np.min, "argmin": np.argmin}                    # and max(dim): values and indices
    for arr in (ints, floats, ints > 0):
        x = tg.tensor(arr, device=device)
        for t, a, axis in ((x, arr, 1), (x.T, arr.T, 0)):         # x.T: the same 3 lines of 37, transposed
            s = t.sum(axis)
            assert s.dtype == (tg.float64 if arr.dtype == np.float64 else tg.int64)
            np.testing.assert_array_equal(s.numpy(), a.sum(axis))
            for name, ref in refs.items():
                got = getattr(t, name)(axis)
                assert got.dtype == (tg.int64 if name.startswith("arg") else t.dtype)
                np.testing.assert_array_equal(got.numpy(), ref(a, axis), err_msg=f"{name} {arr.dtype} {axis}")
            values, indices = t.max(axis)
            np.testing.assert_array_equal(values.numpy(), a.max(axis))
            np.testing.assert_array_equal(indices.numpy(), a.argmax(axis))


def test_torch_spellings_dim_keepdim_and_var_correction(device):
    x = tg.tensor(np.arange(12.0).reshape(3, 4), device=device)
    assert x.sum(dim=1, keepdim=True).shape == (3, 1)
    np.testing.assert_allclose(x.var(dim=0, correction=0).numpy(), np.arange(12.0).reshape(3, 4).var(axis=0))
    np.testing.assert_allclose(x.var(unbiased=False).item(), np.arange(12.0).var())


def test_max_ties_share_gradient(device):
    x = tg.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]], device=device, requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [1, 0, 0]])


def test_reductions_of_empty_and_size_one(device):
    assert tg.zeros(0, 3, device=device).sum(axis=0).tolist() == [0.0, 0.0, 0.0]
    assert tg.ones(1, 1, device=device).mean().item() == 1.0
    assert np.isnan(tg.zeros(0, device=device).mean().item())
    # torch 2.13: max()/amax() of no elements raise RuntimeError ("Expected reduction dim to be specified for
    # input.numel() == 0"), over an empty dim IndexError ("Expected reduction dim 1 to have non-zero size")
    with pytest.raises(RuntimeError, match="numel"):
        tg.zeros(0, device=device).max()
    with pytest.raises(RuntimeError, match="numel"):
        tg.zeros(3, 0, device=device).amin()


def test_reductions_over_a_non_empty_dim_of_an_empty_tensor(device):
    # torch 2.13, on torch.zeros(3, 0): reducing dim 0 gives empty results; reducing the empty dim 1 gives sum 0,
    # mean NaN, var NaN and IndexError for max/min/amax/argmax; argmax() (all dims) IndexError
    e = tg.zeros(3, 0, device=device)
    for r in (e.sum(0), e.mean(0), e.var(0), e.amax(0), e.argmax(0), e.max(0).values, e.max(0).indices,
              e.min(dim=0).indices):
        assert r.shape == (0,) and r.device == device
    assert e.max(0).indices.dtype == tg.int64
    assert e.sum(1).tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(e.mean(1).numpy()).all() and np.isnan(e.var(1).numpy()).all()
    for fn in (lambda: e.max(1), lambda: e.min(-1), lambda: e.amax(1), lambda: e.amin((0, 1)),
               lambda: e.argmax(1), lambda: e.argmin(dim=1), lambda: e.argmax(), lambda: e.max(axis=1)):
        with pytest.raises(IndexError, match="non-zero size|numel"):
            fn()
    x = tg.zeros(0, 4, device=device, requires_grad=True)   # the gradient of an empty reduction: empty
    x.max(1).values.sum().backward()
    assert x.grad.shape == (0, 4)
    x.grad = None
    x.sum(0).sum().backward()
    assert x.grad.shape == (0, 4)


def test_max_min_over_a_dim_return_values_and_indices(device):
    def t(data, **kw):
        return tg.tensor(data, device=device, **kw)
    # torch 2.13: torch.max(x, 1) is torch.return_types.max(values, indices); ties give the first index
    x = t([[1.0, 5.0, 5.0], [5.0, 4.0, 5.0]])
    r = tg.max(x, 1)
    assert isinstance(r, tuple) and r._fields == ("values", "indices") and type(r).__name__ == "max"
    assert r.values.tolist() == [5.0, 5.0] and r.indices.tolist() == [1, 0] and r.indices.dtype == tg.int64
    assert r.values.device == device and r.indices.device == device
    _, pred = tg.max(x, 1)
    assert pred.tolist() == [1, 0]
    assert x.max(dim=0).indices.tolist() == [1, 0, 0] and x.max(0).values.tolist() == [5.0, 5.0, 5.0]
    m = x.min(1, keepdim=True)
    assert type(m).__name__ == "min" and m.values.tolist() == [[1.0], [4.0]] and m.indices.tolist() == [[0], [1]]
    assert tg.max(x, 1, keepdim=True).indices.shape == (2, 1)
    assert x.min(dim=-1, keepdim=False).indices.tolist() == [0, 1]
    # without a dim: a 0-d tensor; with a Tensor second argument: element-wise (torch.maximum)
    assert x.max().shape == () and x.max().item() == 5.0 and x.min().item() == 1.0
    assert tg.max(t([1.0, 5.0]), t([3.0, 2.0])).tolist() == [3.0, 5.0]
    assert t([1.0, 5.0]).min(t([3.0, 2.0])).tolist() == [1.0, 2.0]
    # integer and bool tensors (torch 2.13: max(dim) of int64 [[1, 5], [7, 2]] is ([5, 7], [1, 0]); min(0) is
    # ([1, 2], [0, 1]); min of the int64 minimum is exact, no negation overflows)
    i = t([[1, 5], [7, 2]])
    assert i.max(1).values.tolist() == [5, 7] and i.max(1).values.dtype == tg.int64
    assert i.min(0).values.tolist() == [1, 2] and i.min(0).indices.tolist() == [0, 1]
    lo = np.iinfo(np.int64).min
    assert t([lo, 0]).min().item() == lo and t([[lo, 3]]).min(1).values.tolist() == [lo]
    assert t([[True, False]]).max(1).values.tolist() == [True]
    assert t([[True, False]]).min().item() is False
    # a 0-d tensor: itself at index 0 (torch 2.13: torch.tensor(4.).max(0) == (tensor(4.), tensor(0)))
    z = t(4.0).max(0)
    assert z.values.shape == () and z.values.item() == 4.0 and z.indices.item() == 0
    assert t(4.0).max(-1).indices.item() == 0 and t(4.0).max().item() == 4.0
    # NumPy's axis= spelling stays values-only (as np.max / torch.amax)
    assert x.max(axis=1).tolist() == [5.0, 5.0] and x.min(axis=(0, 1)).item() == 1.0
    with pytest.raises(TypeError, match="int"):
        x.max((0, 1))                   # torch 2.13: TypeError (several dims: amax)
    with pytest.raises(IndexError):
        x.max(2)
    with pytest.raises(TypeError, match="either"):
        x.max(1, axis=1)


def test_max_min_gradients_follow_torch(device):
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
        x = tg.tensor(a, dtype=tg.float64, device=device, requires_grad=True)
        fn(x).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), want)
    # finite differences away from ties
    for fn, ref in ((lambda t: t.max(1).values, lambda a: a.max(1)),
                    (lambda t: t.min(0, keepdim=True).values, lambda a: a.min(0, keepdims=True)),
                    (lambda t: t.max(), np.max), (lambda t: t.amax((0, 2)), lambda a: a.max((0, 2))),
                    (lambda t: t.amin(-1, keepdim=True), lambda a: a.min(-1, keepdims=True)),
                    (lambda t: tg.max(t, -1)[0] * 2.0, lambda a: a.max(-1) * 2.0),
                    (lambda t: tg.min(t, t * 0.5), lambda a: np.minimum(a, a * 0.5))):
        assert grad_ok(fn, ref, inputs([on(device, (3, 4, 5), (2, 3, 2))], seed=3), device)


def test_max_min_argmax_with_nan_follow_torch(device):
    nan = float("nan")
    # torch 2.13: a NaN is the maximum and the minimum: its (first) index is returned, the value is NaN
    y = tg.tensor([[1.0, nan, nan], [nan, 4.0, 5.0]], dtype=tg.float64, device=device, requires_grad=True)
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
    x = tg.tensor([[1.0, 3.0, 3.0], [2.0, nan, 5.0]], device=device, requires_grad=True)
    x.amax(1).sum().backward()              # torch 2.13: [[0, 0.5, 0.5], [nan, nan, nan]]
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5], [nan, nan, nan]])
    x.grad = None
    x.max().backward()                      # torch 2.13: [[0, 0, 0], [0, 1, 0]]
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 0], [0, 1, 0]])
    assert np.isnan(tg.tensor(nan, device=device).max(0).values.item())


def test_indices_of_max_are_guarded_against_in_place_changes(device):
    x = tg.tensor([[1.0, 3.0], [4.0, 2.0]], device=device, requires_grad=True)
    values, indices = x.max(1)
    indices += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        values.sum().backward()


def test_float32_sum_is_accurate_along_every_axis(device):
    """float32 sums over any axis are accurate: on this (10⁴, 10²) array summed over dim 0, torch 2.13's cascade
    sum errs by 1.2e-7 (max relative to the float64 sum), NumPy's naive float32 running sum by 3.9e-6, this
    library by 4.7e-8 (float64 accumulators). On cuda, lines of 2000 (a few of them: the simulator is slow)."""
    rng = np.random.default_rng(0)
    a = rng.random(on(device, (10**4, 100), (2000, 3)), dtype=np.float32)
    w = a if device == "cpu" else a.T.copy()                    # cuda: 3 lines of 2000 along dim 1 too
    for axis, src in ((0, a), (1, w), (None, a), (1, a.T), ((0, 1), a)):
        ref = src.astype(np.float64).sum(axis=axis)
        got = tg.tensor(src, device=device).sum(axis=axis).numpy()
        assert got.dtype == np.float32
        assert np.abs(got - ref).max() / np.abs(ref).max() < 2e-7, axis
    three = rng.random(on(device, (3, 5000, 7), (2, 2000, 2)), dtype=np.float32)
    ref = three.astype(np.float64).mean(axis=1)
    assert np.abs(tg.tensor(three, device=device).mean(dim=1).numpy() - ref).max() / ref.max() < 2e-7


def test_argmax_argmin(device):
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    x = tg.tensor(a, device=device)
    assert x.argmax(axis=1).tolist() == [1, 0] and x.argmin(dim=1).tolist() == [0, 1]
    assert x.argmax().item() == 3 and x.argmax().dtype == tg.int64
    assert x.argmax(1).tolist() == [1, 0] and x.argmax(1, keepdim=True).shape == (2, 1)
    assert tg.tensor(3.0, device=device).argmax().item() == 0 and tg.tensor(3.0, device=device).argmin(0).item() == 0


def test_reduction_gradients_property(device):
    """The gradient of sum over any axes is all ones; of mean, 1/N; both keep the input shape (30 examples on the
    cpu, 8 on cuda)."""
    @settings(max_examples=on(device, 30, 8), deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
    def prop(shape, data):
        axes = data.draw(st.lists(st.integers(0, len(shape) - 1), unique=True, max_size=len(shape)))
        axis = tuple(axes) if axes else None
        x = tg.tensor(inputs([tuple(shape)])[0], device=device, requires_grad=True)
        keep = data.draw(st.booleans())
        x.sum(axis=axis, keepdims=keep).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), np.ones(shape))
        x.grad = None
        x.mean(axis=axis, keepdims=keep).sum().backward()
        n = np.prod([shape[a] for a in (axes or range(len(shape)))])
        np.testing.assert_allclose(x.grad.numpy(), np.full(shape, 1.0 / n))
    prop()


def test_zero_d_reductions_follow_torch(device):
    for name in ("sum", "mean", "var"):
        x = tg.tensor(2.0, dtype=tg.float64, device=device, requires_grad=True)
        out = getattr(x, name)(dim=0)
        assert out.shape == ()                                              # torch 2.13: 0-d
        getattr(x, name)(dim=-1, keepdim=True).backward()
        assert x.grad.shape == ()
    assert tg.tensor(2.0, device=device).sum(dim=0).item() == 2.0
    assert tg.tensor(2, device=device).sum(dim=-1).item() == 2
    x = tg.tensor(3.0, device=device, requires_grad=True)
    x.sum().backward()
    assert x.grad.shape == () and x.grad.item() == 1.0                     # not (1,)


def test_mean_and_var_of_integers_raise_as_in_torch(device):
    with pytest.raises(RuntimeError, match="mean"):
        tg.zeros(3, dtype=tg.int64, device=device).mean()
    with pytest.raises(RuntimeError, match="floating point"):
        tg.zeros(3, dtype=tg.int64, device=device).var()
    with pytest.raises(TypeError, match="dim"):
        tg.ones(2, 3, device=device).sum(dim=1.5)


# ----------------------------------------------------------------------------- issue #12: std, logsumexp, norm,
# any/all, cumsum/cumprod, sort/argsort/topk, cosine_similarity, normalize
DIMS = [None, 0, 1, -1, (0, 2)]


def _np_lse(a, axis, keepdims):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


@pytest.mark.parametrize("dim", DIMS, ids=str)
def test_std_and_logsumexp(dim, device):
    shape = on(device, (3, 4, 5), (2, 3, 2))
    i = DIMS.index(dim)                 # cuda: one keepdim, correction and spelling per dim, in turn
    for keepdim in on(device, (False, True), (i % 2 == 1,)):
        for corr in on(device, (0, 1, 2), (i % 3,)):
            check_op(lambda x: tg.std(x, dim=dim, keepdim=keepdim, correction=corr),
                     lambda a: np.std(a, axis=dim, keepdims=keepdim, ddof=corr), shape, device=device)
        if dim is None:
            continue
        for lse in on(device, (tg.logsumexp, tg.Tensor.logsumexp), ((tg.logsumexp, tg.Tensor.logsumexp)[i % 2],)):
            check_op(lambda x: lse(x, dim, keepdim=keepdim), lambda a: _np_lse(a, dim, keepdim), shape, device=device)


def test_std_and_logsumexp_edge_cases_match_torch(device):
    def t(data, **kw):
        return tg.tensor(data, device=device, **kw)
    x = t([1., 1, 1], dtype=tg.float64, requires_grad=True)
    s = tg.std(x)
    s.backward()
    assert s.item() == 0.0 and x.grad.tolist() == [0.0, 0.0, 0.0]           # torch 2.13: gradient 0, not NaN
    assert tg.std(t([1., 2.]), correction=3).item() == np.inf               # torch: divides by max(0, N − c)
    assert np.isnan(tg.std(t([1.])).item())
    assert t([[1., 3.]]).std(1, unbiased=False).tolist() == [1.0]
    with pytest.raises(RuntimeError, match="only support floating point"):
        tg.std(t([1, 2]))
    # torch 2.13: rows of −inf, with +inf, with NaN; gradients NaN there
    x = t([[-np.inf, -np.inf], [np.inf, 1.0], [np.nan, 1.0], [-np.inf, 2.0]], dtype=tg.float64, requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out = tg.logsumexp(x, 1)
        out.sum().backward()
    np.testing.assert_array_equal(out.numpy(), [-np.inf, np.inf, np.nan, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), [[np.nan, np.nan], [np.nan, 0.0], [np.nan, np.nan], [0.0, 1.0]])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        big = tg.logsumexp(t([1e4, 1e4], dtype=tg.float32), 0).item()
    assert big == pytest.approx(1e4 + np.log(2.0))
    assert tg.logsumexp(tg.zeros(2, 0, device=device), 1).tolist() == [-np.inf, -np.inf]
    li = tg.logsumexp(t([1, 2, 3]), 0)
    assert li.dtype == tg.float32 and li.item() == pytest.approx(3.4076059644443806)
    assert tg.logsumexp(t(2.5), 0).item() == 2.5
    with pytest.raises(TypeError):
        tg.logsumexp(tg.zeros(2, device=device))                              # dim is required, as torch


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


NORMS = ["fro", 2, 1, 3, 1.5, 0.5, np.inf, -np.inf, 0, -1]
NORM_DIMS = [(dim, keepdim) for dim in (None, 1, (0, 2)) for keepdim in (False, True)]


@pytest.mark.parametrize("p", NORMS, ids=str)
def test_norm_forward_and_grad(p, device):
    i = NORMS.index(p)                  # cuda: one dim and keepdim per p, in turn
    for dim, keepdim in on(device, NORM_DIMS, [NORM_DIMS[i % len(NORM_DIMS)]]):
        check_op(lambda x: tg.norm(x, p, dim, keepdim), lambda a: _np_norm(a, p, dim, keepdim),
                 on(device, (2, 3, 4), (2, 3, 2)), grad=p != 0, device=device)


def test_norm_gradients_at_zero_and_ties_match_torch(device):
    # torch 2.13 (float64): rows [0, 0, 0], [1, −3, 3], [2, 0, 0]; backward of the sum of the row norms
    x_np = np.array([[0., 0, 0], [1, -3, 3], [2, 0, 0]])
    want = {2: [[0, 0, 0], [0.22941573387056174, -0.6882472016116852, 0.6882472016116852], [1, 0, 0]],
            1: [[0, 0, 0], [1, -1, 1], [1, 0, 0]],
            np.inf: [[0, 0, 0], [0, -0.5, 0.5], [1, 0, 0]],
            3: [[0, 0, 0], [0.06914459019566169, -0.6223013117609552, 0.6223013117609552], [1, 0, 0]],
            0.5: [[0, 0, 0], [4.464101615137754, -2.577350269189626, 2.577350269189626], [1, 0, 0]]}
    for p, g in want.items():
        x = tg.tensor(x_np, device=device, requires_grad=True)
        with np.errstate(all="ignore"):
            tg.norm(x, p, 1).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), g, rtol=1e-12, err_msg=str(p))
    assert x.norm().item() == pytest.approx(np.sqrt(23.0))
    assert tg.norm(tg.tensor([3., 4.], device=device), dtype=tg.float64).dtype == tg.float64


def test_norm_bad_arguments(device):
    with pytest.raises(RuntimeError, match="floating point"):
        tg.norm(tg.tensor([1, 2], device=device))
    with pytest.raises(ValueError, match="'nuc' is not supported"):
        tg.norm(tg.zeros(2, 2, device=device), "nuc")
    with pytest.raises(RuntimeError, match="dimension 1 because this dimension is empty"):
        tg.norm(tg.zeros(2, 0, device=device), np.inf, 1)
    assert tg.norm(tg.zeros(2, 0, device=device), 2, 1).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("name", ["any", "all"])
def test_any_all(name, device):
    rng = np.random.default_rng(3)
    shape = on(device, (3, 4, 5), (2, 3, 4))
    a = rng.integers(0, 3, shape) * (rng.uniform(size=shape) < 0.7)
    ref = getattr(np, name)
    for arr in (a, a.astype(np.float32), a > 0, np.ones((2, 3), np.int32)):
        x = tg.tensor(arr, device=device)
        for j, dim in enumerate(on(device, (None, 0, 1, -1, (0, 1)), (None, 1, (0, 1)))):
            if isinstance(dim, int) and dim >= arr.ndim:
                continue
            for keepdim in on(device, (False, True), (j % 2 == 1,)):     # cuda: keepdim in turn
                out = getattr(tg, name)(x, dim, keepdim)
                want = ref(arr, axis=dim, keepdims=keepdim)
                assert out.dtype == tg.bool_ and out.shape == want.shape and out.device == device
                np.testing.assert_array_equal(out.numpy(), want)
    # torch 2.13: NaN is true; an empty reduction is False for any, True for all; a 0-d tensor over dim 0
    assert getattr(tg, name)(tg.tensor([np.nan], device=device)).item() is True
    assert getattr(tg, name)(tg.zeros(0, device=device)).item() is (name == "all")
    assert getattr(tg.tensor(0.0, device=device), name)(0).shape == ()
    # over a line with a NaN and a line of zeros
    z = tg.tensor([[0.0, np.nan, 2.0, 2.0], [0.0, 0.0, 0.0, 0.0]], device=device)
    assert getattr(tg, name)(z, 1).tolist() == ([True, False] if name == "any" else [False, False])
    assert getattr(tg, name)(tg.ones(2, 2, device=device), (0, 1), keepdim=True).tolist() == [[True]]


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum_cumprod_forward_and_grad(dim, device):
    check_op(lambda x: tg.cumsum(x, dim), lambda a: np.cumsum(a, axis=dim), (3, 4, 5), device=device)
    check_op(lambda x: x.cumprod(dim), lambda a: np.cumprod(a, axis=dim), (3, 4, 5), device=device)
    rng = np.random.default_rng(4)
    a = rng.uniform(-2, 2, (3, 4, 5))
    a[0, 0, 0] = a[1, 2, 3] = a[1, 2, 1] = 0.0
    a[2, :, 2] = 0.0
    a[:, 1, 4] = 0.0
    check_op(lambda x: tg.cumprod(x, dim), lambda b: np.cumprod(b, axis=dim), arrays=[a], device=device)  # at zeros


def _np_cumprod_grad(x, g, axis):
    """dx_i = Σ_{j ≥ i} g_j Π_{k ≤ j, k ≠ i} x_k along ``axis``, by brute force (exact at zeros)."""
    x, g = np.moveaxis(x, axis, -1), np.moveaxis(g, axis, -1)
    n = x.shape[-1]
    out = np.zeros_like(x)
    for i in range(n):
        others = x.copy()
        others[..., i] = 1.0
        out[..., i] = (g[..., i:] * np.cumprod(others, axis=-1)[..., i:]).sum(-1)
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64], ids=str)
def test_scans_of_long_lines(dtype, device):
    """Lines longer than a block's threads (16 under the simulator), more lines than its blocks, each dim, every
    dtype; the reversed scan (cumsum's gradient) and cumprod's gradient with one and two zeros in a line."""
    x = np.round(np.random.default_rng(8).standard_normal((3, 17, 2)) * 1.5).astype(dtype)
    tol = dict(rtol=2e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for axis in (0, 1, 2):
        t = tg.tensor(x, device=device)
        s, p = tg.cumsum(t, axis), tg.cumprod(t, axis)
        assert s.dtype == p.dtype == t.dtype
        np.testing.assert_allclose(s.numpy(), np.cumsum(x, axis), **tol)
        np.testing.assert_allclose(p.numpy(), np.cumprod(x.astype(np.float64), axis), **tol)
    if dtype == np.int64:
        return
    g = np.random.default_rng(9).standard_normal((4, 18)).astype(dtype)
    x = np.random.default_rng(10).uniform(0.5, 1.5, (4, 18)).astype(dtype)
    x[0, 2] = x[1, 0] = x[2, 17] = 0.0
    x[3, 1] = x[3, 4] = 0.0                                              # two zeros in one line
    for axis in (0, 1):
        t = tg.tensor(x, device=device, requires_grad=True)
        tg.cumsum(t, axis).backward(tg.tensor(g, device=device))
        np.testing.assert_allclose(t.grad.numpy(), np.flip(np.cumsum(np.flip(g, axis), axis), axis), **tol)
        t.grad = None
        tg.cumprod(t, axis).backward(tg.tensor(g, device=device))
        want = _np_cumprod_grad(x.astype(np.float64), g.astype(np.float64), axis)
        np.testing.assert_allclose(t.grad.numpy(), want, rtol=tol["rtol"] * 10, atol=tol["atol"] * 10)


def test_cumsum_cumprod_dtypes_and_edge_cases_match_torch(device):
    def t(data, **kw):
        return tg.tensor(data, device=device, **kw)
    # torch 2.13: integer and bool inputs give int64; dtype= converts first; a 0-d tensor is itself
    for arr in (np.array([1, 2, 3], np.int32), np.array([True, True, False])):
        out = tg.cumsum(t(arr), 0)
        assert out.dtype == tg.int64 and out.tolist() == np.cumsum(arr).tolist()
        assert tg.cumprod(t(arr), 0).dtype == tg.int64
    assert tg.cumsum(t([1, 2]), 0, dtype=tg.float64).tolist() == [1.0, 3.0]
    assert tg.cumsum(t(2.5), 0).item() == 2.5 and tg.cumsum(t(2.5), -1).shape == ()
    assert tg.cumsum(tg.zeros(2, 0, device=device), 1).shape == (2, 0)
    assert tg.cumprod(tg.zeros(0, 2, device=device), 0).shape == (0, 2)
    x = t([2., 0, 3, 0, 5], dtype=tg.float64, requires_grad=True)
    y = tg.cumprod(x, 0)
    y.backward(t([1., 2, 3, 4, 5], dtype=tg.float64))
    assert y.tolist() == [2.0, 0.0, 0.0, 0.0, 0.0] and x.grad.tolist() == [1.0, 22.0, 0.0, 0.0, 0.0]
    with pytest.raises(TypeError):
        tg.cumsum(tg.zeros(3, device=device))                 # dim is required
    with pytest.raises(IndexError):
        tg.cumsum(tg.zeros(3, device=device), 1)


def _np_sort(a, axis, descending):
    """Stable sort with NaN above every number (torch's order), written with np.lexsort-free keys."""
    idx = np.argsort(a, axis=axis, kind="stable")
    if descending:
        n = a.shape[axis]
        idx = np.flip(n - 1 - np.argsort(np.flip(a, axis), axis=axis, kind="stable"), axis)
    return np.take_along_axis(a, idx, axis), idx


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_argsort_topk_forward_and_grad(dim, descending, device):
    shape = on(device, (3, 4, 5), (2, 3, 3))
    if device == "cpu" or not descending:                           # cuda: sort ascending, topk descending
        check_op(lambda x: tg.sort(x, dim, descending).values, lambda a: _np_sort(a, dim, descending)[0], shape,
                 device=device)
    if device == "cpu" or descending:
        check_op(lambda x: x.topk(2, dim, largest=descending).values,
                 lambda a: np.take(_np_sort(a, dim, descending)[0], [0, 1], axis=dim), shape, device=device)
    rng = np.random.default_rng(5)
    a = np.round(rng.normal(size=shape) * 2) / 2                   # ties
    a[0, 0, 0] = a[1, 1, 1] = a[1, 2, 1] = np.nan
    arrays = (a, np.nan_to_num(a * 2).astype(np.int64), a > 0)
    i = [0, 1, -1].index(dim) + 3 * descending                      # cuda: one dtype per case, in turn
    for arr in on(device, arrays, arrays[i % 3:i % 3 + 1]):
        vals, idx = _np_sort(arr if arr.dtype != bool else arr.astype(np.int64), dim, descending)
        r = tg.sort(tg.tensor(arr, device=device), dim=dim, descending=descending, stable=True)
        assert type(r).__name__ == "sort" and r._fields == ("values", "indices")
        assert r.values.dtype == tg.tensor(arr).dtype and r.indices.dtype == tg.int64
        np.testing.assert_array_equal(r.values.numpy(), vals.astype(arr.dtype))
        np.testing.assert_array_equal(r.indices.numpy(), idx)
        np.testing.assert_array_equal(tg.argsort(tg.tensor(arr, device=device), dim, descending).numpy(), idx)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64], ids=str)
def test_sort_long_lines_with_ties_and_nan(dtype, device):
    """Lines longer than a block's threads (16 under the simulator), more lines than its blocks, many ties, NaNs
    (NaN above every number), each dim, both orders: argsort, sort and topk against a stable NumPy sort."""
    x = np.round(np.random.default_rng(11).standard_normal((5, 19)) * 2)
    if dtype != np.int64:
        x[1, 3] = x[2, 3] = x[1, 7] = np.nan
    x = x.astype(dtype)
    t = tg.tensor(x, device=device)
    cases = [(0, False, "sort"), (0, True, "topk"), (1, False, "topk"), (1, True, "sort")]
    few = {np.float32: [0, 3], np.float64: [1, 2], np.int64: [2, 3]}[dtype]     # cuda: two cases per dtype
    for axis, descending, fn in on(device, cases, [cases[k] for k in few]):
        vals, idx = _np_sort(x, axis, descending)
        np.testing.assert_array_equal(tg.argsort(t, axis, descending).numpy(), idx)
        if fn == "sort":
            r = tg.sort(t, axis, descending)
        else:
            r = tg.topk(t, 3, axis, largest=descending)
            vals, idx = np.take(vals, [0, 1, 2], axis), np.take(idx, [0, 1, 2], axis)
        assert r.values.dtype == t.dtype
        np.testing.assert_array_equal(r.values.numpy(), vals)
        np.testing.assert_array_equal(r.indices.numpy(), idx)


def test_sort_topk_edge_cases_match_torch(device):
    def t(data, **kw):
        return tg.tensor(data, device=device, **kw)
    # torch 2.13: NaN sorts last ascending and first descending; ties in original order with stable=True
    x = t([3., np.nan, 1, 3, 2, 1, np.nan])
    assert tg.argsort(x, stable=True).tolist() == [2, 5, 4, 0, 3, 1, 6]
    assert tg.argsort(x, descending=True, stable=True).tolist() == [1, 6, 0, 3, 4, 2, 5]
    r = tg.sort(t([True, False, True]), descending=True)
    assert r.values.tolist() == [True, True, False] and r.indices.tolist() == [0, 2, 1]
    assert tg.argsort(t([True, False, True])).tolist() == [1, 0, 2]
    r = tg.sort(t([[0.0, np.nan, 2.0, 2.0], [0.0, 0.0, 0.0, 0.0]]), 1, descending=True, stable=True)
    assert r.indices.tolist() == [[1, 2, 3, 0], [0, 1, 2, 3]]
    tk = tg.topk(t([1.0, 5.0, np.nan, 2.0]), 2)
    assert type(tk).__name__ == "topk" and tk.indices.tolist() == [2, 1]
    assert tg.topk(t([1.0, 5.0, 2.0]), 2, largest=False).values.tolist() == [1.0, 2.0]
    s0 = tg.sort(t(3.0))
    assert s0.values.shape == () and s0.indices.item() == 0
    assert tg.topk(t(3.0), 1).values.item() == 3.0
    assert tg.topk(tg.zeros(2, 3, device=device), 0).values.shape == (2, 0)
    assert tg.sort(tg.zeros(0, 3, device=device), 1).values.shape == (0, 3)
    for k in (4, -1):
        with pytest.raises(RuntimeError, match="selected index k out of range"):
            tg.topk(tg.zeros(2, 3, device=device), k)
    x = t([[3.0, 1.0, 2.0]], requires_grad=True)                           # the gradient goes to the picked places
    tg.topk(x, 2).values.backward(t([[10.0, 20.0]]))
    assert x.grad.tolist() == [[10.0, 0.0, 20.0]]


def _np_cos(a, b, axis, eps):
    a, b = np.broadcast_arrays(a, b)                # torch broadcasts before taking the norms
    na = np.maximum(np.sqrt((a * a).sum(axis, keepdims=True)), eps)
    nb = np.maximum(np.sqrt((b * b).sum(axis, keepdims=True)), eps)
    return ((a / na) * (b / nb)).sum(axis)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cosine_similarity_and_normalize(dim, device):
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(1, 4))
    check_op(lambda x, y: F.cosine_similarity(x, y, dim), lambda x, y: _np_cos(x, y, dim, 1e-8), arrays=[a, b],
             device=device)
    # a binding eps is outside the gradient (torch's clamp_min_ under no_grad): values only here, torch's
    # gradients in the test below (cuda: for dim 1 only)
    if device == "cpu" or dim == 1:
        check_op(lambda x, y: F.cosine_similarity(x, y, dim, eps=0.5), lambda x, y: _np_cos(x, y, dim, 0.5),
                 arrays=[a * 0.1, b], grad=False, device=device)
    # cuda: two of the (p, eps) cases per dim, in turn (p = 2 and 1 with either eps, 3 and inf with one)
    cuda = {0: [(2, 1e-12), (1, 0.3)], 1: [(1, 1e-12), (3, 0.3)], -1: [(np.inf, 1e-12), (2, 0.3)]}[dim]
    for p, eps in on(device, [(p, eps) for p in (2, 1, 3, np.inf) for eps in (1e-12, 0.3)], cuda):
        if eps < 0.1:
            check_op(lambda x: F.normalize(x, p, dim), lambda x: x / np.maximum(_np_norm(x, p, dim, True), 1e-12),
                     arrays=[a], device=device)
        else:
            check_op(lambda x: F.normalize(x, p, dim, eps=eps),
                     lambda x: x / np.maximum(_np_norm(x, p, dim, True), eps), arrays=[a * 0.1], device=device)


def test_cosine_similarity_and_normalize_small_norms_match_torch(device):
    def t(data, **kw):
        return tg.tensor(data, device=device, **kw)
    # torch 2.13 (float64, eps=0.1): each input divided by its clamped norm; the clamp is outside the gradient of
    # cosine_similarity (clamp_min_ under no_grad) but inside normalize's (clamp_min)
    x1 = t([[1e-3, 0.], [0., 0.], [3., 4.]], dtype=tg.float64, requires_grad=True)
    x2 = t([[1., 1.]], dtype=tg.float64, requires_grad=True)
    c = F.cosine_similarity(x1, x2, eps=0.1)
    c.sum().backward()
    np.testing.assert_allclose(c.numpy(), [0.0070710678118654745, 0.0, 0.9899494936611665], rtol=1e-12)
    np.testing.assert_allclose(x1.grad.numpy(), [[7.00035713374682, 7.071067811865475],
                                                 [7.071067811865475, 7.071067811865475],
                                                 [0.02262741699796955, -0.016970562748477136]], rtol=1e-12)
    np.testing.assert_allclose(x2.grad.numpy(), [[-0.06717514421272198, 0.0671751442127221]], rtol=1e-10)
    x = t([[1e-3, 0.], [0., 0.], [3., 4.]], dtype=tg.float64, requires_grad=True)
    n = F.normalize(x, eps=0.1)
    n.backward(t([[1., 2], [3, 4], [5, 6]], dtype=tg.float64))
    np.testing.assert_allclose(n.numpy(), [[0.01, 0.0], [0.0, 0.0], [0.6, 0.8]], rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), [[10.0, 20.0], [30.0, 40.0], [0.064, -0.048]], rtol=1e-10)
    with pytest.raises(RuntimeError, match="expected common dtype to be floating point"):
        F.cosine_similarity(t([[1, 2]]), t([[1, 2]]))
    assert F.cosine_similarity(t([[1., 2]]), t([[1, 2]])).item() == pytest.approx(1.0)
    with pytest.raises(IndexError):
        F.cosine_similarity(t([1., 2]), t([1., 2]))                         # dim=1 of 1-D inputs
    with pytest.raises(RuntimeError, match="floating point"):
        F.normalize(t([1, 2]))


# ----------------------------------------------------------------------------- prod
def test_prod_forward_and_grad(device):
    # the gradient is cumprod's: exact with one and with two zeros in a line
    a = np.array([[1.5, 0.0, 3.0, -2.0], [2.0, 0.0, 0.0, 1.0], [0.5, -1.0, 2.0, 3.0]])
    for dim in (None, 0, 1, -1):
        for keepdim in ((False,) if dim is None else (False, True)):
            fn = (lambda x: x.prod()) if dim is None else (lambda x: tg.prod(x, dim, keepdim=keepdim))
            check_op(fn, lambda x: np.prod(x, axis=dim, keepdims=keepdim), arrays=[a], device=device)


def test_prod_dtypes_and_edge_cases_match_torch(device):
    # torch 2.13: integers and bools give int64; an empty product is 1; a 0-d tensor's product over dim 0 is itself
    x = tg.tensor([[1, 2, 3], [4, 5, 6]], dtype=tg.int32, device=device)
    assert x.prod().dtype == tg.int64 and x.prod().item() == 720 and x.prod(0).tolist() == [4, 10, 18]
    assert tg.tensor([[True, False], [True, True]], device=device).prod(1).tolist() == [0, 1]
    assert tg.prod(tg.tensor([1.0, 2.0], device=device), dtype=tg.float64).dtype == tg.float64
    assert tg.zeros(2, 0, device=device).prod(1).tolist() == [1.0, 1.0]
    assert tg.zeros(0, device=device).prod().item() == 1.0
    assert tg.zeros(2, 0, device=device).prod(1, keepdim=True).shape == (2, 1)
    assert tg.tensor(3.0, device=device).prod(0).shape == ()
    with pytest.raises(IndexError, match="dim"):
        tg.ones(2, 3, device=device).prod(2)
