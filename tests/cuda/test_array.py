"""CUDA array primitives against the CPU backend's (NumPy's) on small random arrays."""
import numpy as np
import pytest

from tinygradnb.kernels import cpu as C
from tinygradnb.kernels.cuda import array as G

from conftest import cuda, dev, host, rand


def same(got, want):
    got = host(got)
    want = np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    if want.dtype.kind == "f":
        # float32 sums: NumPy adds in float32, this backend in float64 (then rounds once), so they may differ by
        # an ulp or two of the terms
        f32 = want.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=2e-6 if f32 else 1e-13, atol=2e-7 if f32 else 1e-12)
    else:
        np.testing.assert_array_equal(got, want)


BINARY = ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "greater", "greater_equal",
          "less", "less_equal", "equal", "not_equal"]
SHAPES = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 5)), ((2, 1, 3), (4, 1)), ((), (3,)), ((0, 2), (2,))]


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_binary_broadcasting(name, sa, sb):
    a = np.abs(rand(sa, np.float32, 1)) + 0.5
    b = rand(sb, np.float64, 2) if name != "power" else rand(sb, np.float32, 2)
    b.flat[:1] = a.flat[:1] if a.size and b.size else b.flat[:1]
    same(getattr(G, name)(dev(a), dev(b)), getattr(C, name)(a, b))


@pytest.mark.parametrize("name", BINARY)
def test_binary_with_python_scalars_follow_numpy_promotion(name):
    a = np.abs(rand((2, 3), np.float32, 3)) + 0.5
    same(getattr(G, name)(dev(a), 2.0), getattr(C, name)(a, 2.0))
    same(getattr(G, name)(3, dev(a)), getattr(C, name)(3, a))
    i = np.arange(6, dtype=np.int64).reshape(2, 3) + 1
    same(getattr(G, name)(dev(i), 2), getattr(C, name)(i, 2))


def test_nan_propagation_and_special_values():
    a = np.array([np.nan, 1.0, -np.inf, 0.0, -2.0], np.float64)
    b = np.array([0.0, np.nan, 1.0, -0.0, 3.0], np.float64)
    for name in ("maximum", "minimum"):
        same(getattr(G, name)(dev(a), dev(b)), getattr(C, name)(a, b))
    for name in ("log", "sqrt", "sign", "abs", "exp", "negative"):
        with np.errstate(all="ignore"):
            same(getattr(G, name)(dev(a)), getattr(C, name)(a))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_overflows_to_inf(dtype):
    """exp of x > log(float64 max) (beyond the fuzz tables' values) raised
    OverflowError on the simulator (Python's math.exp) where the CPU and a GPU give inf."""
    a = np.array([1e3, 710.0, 3e38, -1e3, np.inf, -np.inf, np.nan], dtype)
    with np.errstate(all="ignore"):
        same(G.exp(dev(a)), C.exp(a))
    assert host(G.exp(dev(a)))[0] == np.inf


@pytest.mark.parametrize("name", ["negative", "exp", "log", "sqrt", "abs", "sign", "logical_not"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_unary(name, dtype):
    a = (rand((3, 5), np.float64, 4) * 3).astype(dtype)
    if name in ("log", "sqrt"):
        a = np.abs(a) + 1
    same(getattr(G, name)(dev(a)), getattr(C, name)(a))


def test_clip_and_where():
    a = rand((4, 5), np.float32, 5)
    same(G.clip(dev(a), -0.5, 0.5), C.clip(a, -0.5, 0.5))
    same(G.clip(dev(a), None, 0.1), C.clip(a, None, 0.1))
    c = a > 0
    b = rand((5,), np.float32, 6)
    same(G.where(dev(c), dev(a), dev(b)), C.where(c, a, b))
    same(G.where(dev(c), dev(a), 0), C.where(c, a, 0))
    same(G.where(dev(c), 1.5, dev(a)), C.where(c, 1.5, a))


@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, True), (-1, False), ((0, 2), True), ((1, 2), False)])
def test_reductions(axis, keepdims):
    a = rand((3, 37, 2), np.float32, 7)
    a[1, 4, 1] = a.max() + 1
    for name in ("sum", "max", "min"):
        same(getattr(G, name)(dev(a), axis=axis, keepdims=keepdims), getattr(C, name)(a, axis=axis, keepdims=keepdims))
    i = (a * 10).astype(np.int64)
    same(G.sum(dev(i), axis=axis, keepdims=keepdims), C.sum(i, axis=axis, keepdims=keepdims))
    same(G.sum(dev(a > 0), axis=axis, keepdims=keepdims), C.sum(a > 0, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_argmax_argmin_first_occurrence_and_nan(axis):
    a = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, np.nan, 5.0, np.nan], [0.0, 0.0, -4.0, -4.0]], np.float64)
    for name in ("argmax", "argmin"):
        same(getattr(G, name)(dev(a), axis=axis), getattr(C, name)(a, axis=axis))
    b = rand((2, 70), np.float32, 8)
    for name in ("argmax", "argmin", "max", "min"):
        same(getattr(G, name)(dev(b), axis=axis), getattr(C, name)(b, axis=axis))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_max_argmax_min_argmin_match_cpu(axis):
    # torch.max(x, dim)'s (values, indices): the first extreme, a NaN counting as the extreme; ints and bools too
    a = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, np.nan, 5.0, np.nan], [0.0, 0.0, -4.0, -4.0]], np.float64)
    b = rand((3, 70), np.float32, 8)
    i = np.array([[np.iinfo(np.int64).min, 5, 5], [7, 2, 7], [0, 0, 0]], np.int64)
    for x in (a, b, i, i > 3, rand((2, 3, 5), np.float32, 9)):
        for name in ("max_argmax", "min_argmin"):
            got, want = getattr(G, name)(dev(x), axis), getattr(C, name)(x, axis)
            same(got[0], want[0])
            same(got[1], want[1])
    empty_rows = np.zeros((0, 4), np.float32)
    assert G.max_argmax(dev(empty_rows), 1)[1].shape == (0, 1)


def test_float32_sum_accumulates_in_float64_along_every_axis():
    # both devices sum float32 accurately over a non-contiguous axis (the CPU with float64 accumulators, here a
    # float64 tree): within a few float32 roundings of the float64 sum, and of each other
    a = (np.random.default_rng(0).random((4000, 3)) * 1000).astype(np.float32)
    exact = a.astype(np.float64)
    for axis in (0, 1, None):
        ref = exact.sum(axis=axis)
        for got in (host(G.sum(dev(a), axis=axis)), C.sum(a, axis=axis)):
            assert np.abs(got - ref).max() <= 2e-7 * np.abs(ref).max()


def test_reduction_of_empty_axis():
    a = np.zeros((3, 0), np.float32)
    same(G.sum(dev(a), axis=1), C.sum(a, axis=1))
    with pytest.raises(ValueError, match="zero-size array"):
        G.max(dev(a), axis=1)


def test_allocation_and_conversion():
    same(G.zeros((2, 3), np.float32), C.zeros((2, 3), np.float32))
    same(G.full((4,), 2.5, np.float64), C.full((4,), 2.5, np.float64))
    same(G.full((2, 2), 7, np.int64), C.full((2, 2), 7, np.int64))
    same(G.arange(2, 11, 3), C.arange(2, 11, 3))
    assert G.empty((2, 5), np.float32).shape == (2, 5)
    a = rand((3, 4), np.float64, 9)
    same(G.astype(dev(a), np.float32), C.astype(a, np.float32))
    same(G.astype(dev(a * 3), np.int64), C.astype(a * 3, np.int64))
    same(G.copy(dev(a)), a)
    same(G.asarray([[1.0, 2.0], [3.0, 4.0]]), C.asarray([[1.0, 2.0], [3.0, 4.0]]))
    assert isinstance(G.to_numpy(dev(a)), np.ndarray)


def test_views_materialised():
    a = rand((2, 3, 4), np.float32, 10)
    same(G.reshape(dev(a), (6, -1)), C.reshape(a, (6, -1)))
    same(G.reshape(dev(a), (24,)), a.reshape(24))
    same(G.transpose(dev(a), (2, 0, 1)), np.ascontiguousarray(C.transpose(a, (2, 0, 1))))
    same(G.transpose(dev(a[0])), np.ascontiguousarray(a[0].T))
    same(G.broadcast_to(dev(a[:, :1, :]), (2, 3, 4)), np.ascontiguousarray(C.broadcast_to(a[:, :1, :], (2, 3, 4))))
    same(G.broadcast_to(dev(a[0, 0]), (5, 4)), np.ascontiguousarray(C.broadcast_to(a[0, 0], (5, 4))))
    b = rand((2, 2, 4), np.float32, 11)
    same(G.concatenate([dev(a), dev(b)], axis=1), C.concatenate([a, b], axis=1))
    same(G.concatenate([dev(a[0]), dev(a[1]), dev(a[0])], axis=0), C.concatenate([a[0], a[1], a[0]], axis=0))
    assert G.is_view(dev(a)) is True


BASIC_KEYS = [1, -1, slice(None), slice(1, None), (slice(None), 2), (0, slice(None, None, -2)), (Ellipsis, 1),
              (None, 1, slice(0, 2)), (slice(0, 1), None, Ellipsis), ()]


@pytest.mark.parametrize("key", BASIC_KEYS, ids=repr)
def test_basic_getitem_and_setitem(key):
    a = rand((3, 4, 5), np.float64, 12)
    same(G.getitem(dev(a), key), np.ascontiguousarray(C.getitem(a, key)))
    want = a.copy()
    C.setitem(want, key, 7.0)
    got = dev(a)
    G.setitem(got, key, 7.0)
    same(got, want)
    sel = C.getitem(a, key)
    vals = rand(np.shape(sel), np.float64, 13)
    want = a.copy()
    C.setitem(want, key, vals)
    got = dev(a)
    G.setitem(got, key, dev(vals))
    same(got, want)


def test_advanced_indexing_gather_set_and_index_add():
    a = rand((5, 3), np.float32, 14)
    idx = np.array([4, 0, 4, 2], np.int64)
    same(G.getitem(dev(a), (dev(idx),)), C.getitem(a, (idx,)))
    same(G.getitem(dev(a), (dev(idx), slice(1, 3))), C.getitem(a, (idx, slice(1, 3))))
    rows, cols = np.array([0, 1, 4], np.int64), np.array([2, 0, 1], np.int64)
    same(G.getitem(dev(a), (dev(rows), dev(cols))), C.getitem(a, (rows, cols)))
    mask = a > 0
    same(G.getitem(dev(a), (dev(mask),)), C.getitem(a, (mask,)))
    want = a.copy()
    C.setitem(want, (idx,), 0.0)
    got = dev(a)
    G.setitem(got, (dev(idx),), 0.0)
    same(got, want)
    g = rand((4, 3), np.float32, 15)
    same(G.index_add((5, 3), (dev(idx),), dev(g), np.float32), C.index_add((5, 3), (idx,), g, np.float32))
    with pytest.raises(IndexError):
        G.getitem(dev(a), (0, 0, 0))


def _i(*v):
    return np.array(v, np.int64)


ADVANCED_KEYS = [(_i(2, 0, -1),), (slice(None), _i(3, -4)), (_i(0, 2), slice(1, 3), _i(4, 0)),
                 (_i(1, 2), _i(0, 3), _i(4, 4)), (Ellipsis, _i(-1, 0)), (1, slice(None), _i(2, 3)),
                 (_i([[0], [2]]), _i(1, 2, 3)), (None, _i(1), 2), (slice(None), None, _i(0, 1)),
                 (_i(0, 1), None, _i(1, 2)), (np.array(-2),), (_i(), slice(None)),
                 (0, _i(1, 2), slice(None, None, -2)), (_i(0, 2), _i(1, 1), slice(None), None),
                 (np.array([True, False, True]),), (slice(None), np.array([True, False, True, True]))]


@pytest.mark.parametrize("key", ADVANCED_KEYS, ids=repr)
def test_advanced_indexing_follows_numpy(key):
    # integer arrays are resolved on the device (adjacent advanced axes in place, else first; negative indices
    # wrap); a bool mask goes through the host
    a = rand((3, 4, 5), np.float64, 16)
    dkey = tuple(cuda.to_device(k) if isinstance(k, np.ndarray) else k for k in key)   # (dev() makes 0-d 1-d)
    want = a[key]
    same(G.getitem(dev(a), dkey), np.ascontiguousarray(want))
    v = rand(want.shape, np.float64, 17)
    got, ref = dev(a), a.copy()
    G.setitem(got, dkey, dev(v))
    ref[key] = v
    same(got, ref)
    ref = np.zeros_like(a)
    np.add.at(ref, key, v)
    same(G.index_add(a.shape, dkey, dev(v), np.float64), ref)


def test_arange_on_the_device_follows_numpy():
    for args, kw in [((5,), {}), ((2, 9, 3), {}), ((0, 1, 0.1), {}), ((3,), {"dtype": np.float32}), ((5, 0, -2), {}),
                     ((0,), {}), ((1.5,), {}), ((0, 5, 1), {"dtype": np.int32})]:
        same(G.arange(*args, **kw), np.arange(*args, **kw))


@pytest.mark.parametrize("n", [0, 1, 5, 40, 100])
@pytest.mark.parametrize("skip,has_skip", [(-100, True), (3, True), (0, False)])
def test_index_stats_matches_cpu(n, skip, has_skip):
    a = np.random.default_rng(n).integers(-5, 50, n).astype(np.int64)
    a[: n // 3] = skip if has_skip else a[: n // 3]
    same(G.index_stats(dev(a), skip, has_skip), C.index_stats(a, skip, has_skip))


def test_index_stats_extremes_of_int64():
    info = np.iinfo(np.int64)
    a = np.array([5, info.min, info.max, -1], np.int64)
    same(G.index_stats(dev(a), 0, False), np.array([info.min, info.max, 4]))
    same(G.index_stats(dev(a[:1]), 5, True), np.array([info.max, info.min, 0]))   # nothing counted


# ----------------------------------------------------------------------------- unary math through the map launcher
MATH = ["sin", "cos", "tan", "rsqrt", "floor", "ceil", "trunc", "round", "log2", "log1p", "exp2", "expm1",
        "reciprocal", "square", "sign"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", MATH)
def test_unary_math_matches_cpu(name, dtype):
    a = np.concatenate([rand((2, 5), dtype, 7).ravel() * 3,
                        np.array([-2.5, -1.5, -0.5, -0.0, 0.0, 0.5, 1.5, 2.5, np.nan, np.inf, -np.inf, 2.0 ** 60,
                                  -0.3, 7.0], dtype)]).reshape(3, 8)
    got, want = host(getattr(G, name)(dev(a))), getattr(C, name)(a)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=2e-6 if dtype == np.float32 else 1e-13, atol=1e-30)
    num = ~np.isnan(want)
    np.testing.assert_array_equal(np.signbit(got[num]), np.signbit(want[num]))     # −0.0 where the CPU has it


@pytest.mark.parametrize("decimals", [2, -1, 1])
def test_round_decimals_matches_cpu(decimals):
    a = np.array([1.2345, -1.2355, 125.0, 135.0, 1234.5, 0.05, -0.15], np.float32)
    np.testing.assert_array_equal(host(G.round(dev(a), decimals)), C.round(a, decimals))


def test_integer_unary_math_matches_cpu():
    i = np.array([[-3, 0, 5]], np.int64)
    for name in ("sign", "square", "abs", "negative"):
        same(getattr(G, name)(dev(i)), getattr(C, name)(i))
    for name in ("sin", "reciprocal", "rsqrt", "exp2"):
        with np.errstate(all="ignore"):
            same(getattr(G, name)(dev(i)), getattr(C, name)(i))
    b = np.array([True, False])
    same(G.sign(dev(b)), C.sign(b))


def test_unary_math_ops_on_cuda_gradcheck():
    import tinygradnb as tg
    a = np.random.default_rng(2).uniform(0.5, 2.0, size=(2, 3))
    for fn, ref in [(tg.sin, np.sin), (tg.cos, np.cos), (tg.tan, np.tan), (tg.rsqrt, lambda v: 1 / np.sqrt(v)),
                    (tg.log2, np.log2), (tg.log1p, np.log1p), (tg.exp2, np.exp2), (tg.expm1, np.expm1),
                    (tg.reciprocal, lambda v: 1 / v), (tg.square, np.square)]:
        x = tg.tensor(a, device="cuda", requires_grad=True)
        np.testing.assert_allclose(fn(x).numpy(), ref(a), rtol=1e-12)
        assert tg.gradcheck(fn, [x])
    x = tg.tensor([-2.5, -0.5, 0.5, 1.5, float("nan")], device="cuda", requires_grad=True)
    y = tg.round(x) + tg.floor(x) + tg.ceil(x) + tg.trunc(x) + tg.sign(x)
    y.sum().backward()
    np.testing.assert_array_equal(tg.round(x).numpy(), [-2.0, -0.0, 0.0, 2.0, np.nan])
    np.testing.assert_array_equal(tg.sign(x).numpy(), [-1.0, -1.0, 1.0, 1.0, 0.0])
    assert x.grad.tolist() == [0.0] * 5
    assert tg.square(tg.tensor([True, False], device="cuda")).tolist() == [1, 0]
