"""The array families' common ground on every device of TGNB_TEST_DEVICES (the ``device`` fixture): allocation,
copies and casts (kernels/*/array.py), and the strided index maps the other array families read and write
through — operands broadcast by element-wise ops, reduced axes gathered last, views materialised, basic and
advanced indexing with its scatter and scatter-add — at op level through the public API, against NumPy float64 or
torch 2.13's values written as literals. What the public API cannot reach (slices with a negative step, which
PyTorch refuses; ``index_stats`` at the int64 extremes) is called through the device's backend
(``tinygradnb.device.backend``), on either device, against NumPy.

On ``cuda`` under Numba's simulator every CUDA thread is a Python thread: shapes stay small, but longer than a
block's 16 threads and with more rows than its 2 blocks where a kernel loops (grid-stride, rows per block)."""
import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb.device import backend


def rand(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def t(a, device, **kw):
    return tg.tensor(a, device=device, **kw)


def same(got, want, dtype, rtol=0.0):
    """``got`` (a Tensor) has ``want``'s values (NaN where it has NaN), its shape, and the dtype ``dtype``."""
    assert got.dtype == dtype, (got.dtype, dtype)
    g = got.numpy()
    want = np.asarray(want)
    assert g.shape == want.shape, (g.shape, want.shape)
    if rtol:
        np.testing.assert_allclose(g, want, rtol=rtol, atol=0)
    else:
        np.testing.assert_array_equal(g, want)


# ----------------------------------------------------------------------------- allocation and conversion
def test_constructors_fill_every_element_in_their_dtype(device):
    z = tg.zeros(2, 3, device=device)
    assert z.device == device
    same(z, np.zeros((2, 3)), tg.float32)
    same(tg.full((4,), 2.5, dtype=tg.float64, device=device), [2.5] * 4, tg.float64)
    same(tg.full((2, 2), 7, device=device), [[7, 7], [7, 7]], tg.int64)
    same(tg.full((3,), True, device=device), [True] * 3, tg.bool_)
    same(tg.full((5, 13), -1.25, device=device), np.full((5, 13), -1.25), tg.float32)   # past 2 blocks of 16
    same(tg.ones(2, 0, device=device), np.ones((2, 0)), tg.float32)
    e = tg.empty(2, 5, dtype=tg.float64, device=device)
    assert e.shape == (2, 5) and e.dtype == tg.float64 and e.device == device
    same(t([[1.0, 2.0], [3.0, 4.0]], device), [[1.0, 2.0], [3.0, 4.0]], tg.float32)   # a nested list: float32
    same(t(np.arange(3, dtype=np.float64), device), [0.0, 1.0, 2.0], tg.float64)      # an array keeps its dtype
    s = t(2.5, device)
    assert s.shape == () and s.item() == 2.5 and isinstance(s.numpy(), np.ndarray)


@pytest.mark.parametrize("args,kw,dtype", [
    ((5,), {}, tg.int64), ((2, 9, 3), {}, tg.int64), ((0, 1, 0.1), {}, tg.float32), ((3,), {"dtype": tg.float64},
                                                                                      tg.float64),
    ((5, 0, -2), {}, tg.int64), ((0,), {}, tg.int64), ((1.5,), {}, tg.float32),
    ((0, 5, 1), {"dtype": tg.int32}, tg.int32), ((-3, 37), {}, tg.int64)], ids=str)
def test_arange_follows_torch(args, kw, dtype, device):
    # torch 2.13: int64 for int arguments, float32 for any float one, start + i·step below the end
    got = tg.arange(*args, device=device, **kw)
    same(got, np.arange(*args, dtype=np.dtype(dtype)), dtype, rtol=1e-6 if dtype == tg.float32 else 0.0)


def test_to_numpy_many_returns_each_array_from_one_copy(device):
    """The seam's batched read (what ``device.read`` uses to fetch queued checks with a value): arrays of several
    dtypes and shapes, a 0-d and an empty one, come back with their values, dtypes and shapes."""
    b = backend(device)
    host = [np.array([[1.5, -2.0], [3.0, 4.25]], np.float32), np.array([7, -8, 2**40], np.int64), np.array(3.0),
            np.zeros((0, 3), np.float32), np.array([True, False, True])]
    got = b.to_numpy_many([b.asarray(h) for h in host])
    assert len(got) == len(host)
    for g, h in zip(got, host):
        assert isinstance(g, np.ndarray) and g.dtype == h.dtype and g.shape == h.shape
        np.testing.assert_array_equal(g, h)
    assert b.to_numpy_many([]) == []


def test_casts_round_once_and_truncate_toward_zero(device):
    a = np.linspace(-4.6, 4.6, 37)                            # 37 elements: past the 32 threads of a launch
    x = t(a, device)
    same(x.float(), a.astype(np.float32), tg.float32)         # rounded once to the nearest float32
    same(x.long(), np.trunc(a).astype(np.int64), tg.int64)    # toward zero: -2.7 -> -2
    same(x.int(), np.trunc(a).astype(np.int32), tg.int32)
    same(x.float().double(), a.astype(np.float32).astype(np.float64), tg.float64)
    i = t(np.arange(-18, 19), device)
    same(i.double(), np.arange(-18.0, 19.0), tg.float64)
    same(i.to(tg.bool_), np.arange(-18, 19) != 0, tg.bool_)
    same(t([0.0, float("nan"), -1.0, 0.5], device).to(tg.bool_), [False, True, True, True], tg.bool_)
    same(t([True, False], device).long(), [1, 0], tg.int64)


def test_clone_copies_and_contiguous_orders_a_transpose(device):
    a = np.arange(12.0).reshape(3, 4)
    x = t(a, device)
    c = x.clone()
    c[0, 0] = 100.0
    same(x, a, tg.float64)                                     # the clone has memory of its own
    same(c, np.where(np.arange(12).reshape(3, 4) == 0, 100.0, a), tg.float64)
    y = x.T.contiguous()
    same(y, a.T, tg.float64)
    assert y.numpy().flags.c_contiguous
    same(x[:, 1:3].contiguous(), a[:, 1:3], tg.float64)
    same(tg.zeros(0, 3, device=device).T.contiguous(), np.zeros((3, 0)), tg.float32)
    same(t(a[:0], device).clone(), a[:0], tg.float64)
    # is_view: whether autograd must copy an array before handing it to a leaf's .grad. A fresh array is not one.
    # A reshape of a live array is; on cuda the array it was taken from is too while the reshape lives (the cpu
    # asks only whether an array is a view of a live base). A basic slice is a view of a live array on the cpu,
    # and a copy of its own on cuda (whose getitem materialises).
    b = backend(device)
    arr = b.asarray(a)
    assert b.is_view(b.getitem(arr, (slice(None), slice(1, 3)))) is (device == "cpu")
    fresh = b.copy(arr)
    assert b.is_view(fresh) is False
    flat = b.reshape(fresh, (12,))
    assert b.is_view(flat) is True and b.is_view(fresh) is (device != "cpu")
    del flat
    assert b.is_view(fresh) is False


def test_as_tensor_of_a_strided_array_reads_it_in_order(device):
    a = np.arange(24.0).reshape(4, 6)
    if device == "cpu":
        src = a[:, ::2]
    else:                                                      # a strided Numba device array (a CUDA array view)
        from numba import cuda
        src = cuda.to_device(a)[:, ::2]
    x = tg.as_tensor(src, device=device)
    same(x, a[:, ::2], tg.float64)
    assert x.device == device and x.numpy().flags.c_contiguous


# ----------------------------------------------------------------------------- element-wise: broadcast index maps
BINARY = {"add": (lambda x, y: x + y, np.add), "sub": (lambda x, y: x - y, np.subtract),
          "mul": (lambda x, y: x * y, np.multiply), "div": (lambda x, y: x / y, np.divide),
          "pow": (lambda x, y: x ** y, np.power), "maximum": (tg.maximum, np.maximum),
          "minimum": (tg.minimum, np.minimum), "gt": (lambda x, y: x > y, np.greater),
          "ge": (lambda x, y: x >= y, np.greater_equal), "lt": (lambda x, y: x < y, np.less),
          "le": (lambda x, y: x <= y, np.less_equal), "eq": (lambda x, y: x == y, np.equal),
          "ne": (lambda x, y: x != y, np.not_equal)}
COMPARISONS = ("gt", "ge", "lt", "le", "eq", "ne")
SHAPES = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 5)), ((2, 1, 3), (4, 1)), ((), (3,)), ((0, 2), (2,))]


@pytest.mark.parametrize("sa,sb", SHAPES, ids=str)
def test_binary_ops_broadcast_as_numpy(sa, sb, device):
    # same shapes (one merged axis), a trailing operand, outer products, axes that merge for no operand, a 0-d
    # operand, no elements; a float32 with a float64 tensor: float64 (torch's promotion), ties included
    a = np.abs(rand(sa, np.float32, 1)) + 0.5
    b = rand(sb, np.float64, 2)
    if a.size and b.size:
        b.flat[0] = a.flat[0]
    x, y = t(a, device), t(b, device)
    for name, (fn, ref) in BINARY.items():
        want = ref(a.astype(np.float64), b)
        same(fn(x, y), want, tg.bool_ if name in COMPARISONS else tg.float64,
             rtol=0.0 if name in COMPARISONS else 1e-15)


def test_binary_ops_with_python_numbers_follow_torch(device):
    # torch 2.13: a Python number takes the tensor's dtype (float32 stays float32; int64 stays int64, but true
    # division gives the default float32); comparisons give bool
    a = np.abs(rand((2, 3), np.float32, 3)) + 0.5
    x = t(a, device)
    for name, (fn, ref) in BINARY.items():
        for got, want in ((fn(x, 2.0), ref(a, np.float32(2.0))),
                          (fn(3, x) if name not in ("maximum", "minimum") else fn(x, 3), None)):
            if want is None:
                want = ref(a, np.float32(3)) if name in ("maximum", "minimum") else ref(np.float32(3), a)
            same(got, want, tg.bool_ if name in COMPARISONS else tg.float32,
                 rtol=0.0 if name in COMPARISONS else 1e-6)
    i = np.arange(6, dtype=np.int64).reshape(2, 3) + 1
    xi = t(i, device)
    for name, (fn, ref) in BINARY.items():
        dtype = tg.bool_ if name in COMPARISONS else tg.float32 if name == "div" else tg.int64
        same(fn(xi, 2), ref(i, 2).astype(np.dtype(dtype)), dtype, rtol=1e-7 if name == "div" else 0.0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_inf_and_signed_zeros_follow_torch(device):
    nan, inf = float("nan"), float("inf")
    x = t([nan, 1.0, -inf, 0.0, -2.0], device, dtype=tg.float64)
    y = t([0.0, nan, 1.0, -0.0, 3.0], device, dtype=tg.float64)
    # torch 2.13: maximum/minimum propagate NaN from either side; sign(NaN) = 0; -0.0 from neg(0.0)
    same(tg.maximum(x, y), [nan, nan, 1.0, 0.0, 3.0], tg.float64)
    same(tg.minimum(x, y), [nan, nan, -inf, 0.0, -2.0], tg.float64)
    same(tg.sign(x), [0.0, 1.0, -1.0, 0.0, -1.0], tg.float64)
    n = tg.neg(x).numpy()
    np.testing.assert_array_equal(n, [nan, -1.0, inf, -0.0, 2.0])
    assert np.signbit(n[3])
    same(tg.abs(x), [nan, 1.0, inf, 0.0, 2.0], tg.float64)
    with np.errstate(all="ignore"):
        ref = np.array([nan, 1.0, -inf, 0.0, -2.0])
        for fn, r in ((tg.log, np.log), (tg.sqrt, np.sqrt), (tg.exp, np.exp)):
            same(fn(x), r(ref), tg.float64, rtol=1e-15)
    for dtype in (tg.float32, tg.float64):              # overflow is inf (not an exception), as on a GPU
        e = tg.exp(t([1e3, 710.0, 3e38, -1e3, inf, -inf, nan], device, dtype=dtype))
        same(e, [inf, inf, inf, 0.0, inf, 0.0, nan], dtype)


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64, tg.int64], ids=str)
def test_unary_ops_keep_or_promote_the_dtype_as_torch(dtype, device):
    # torch 2.13: exp/log/sqrt of an integer tensor give float32; neg/abs/sign keep the dtype
    a = np.round(rand((3, 13), np.float64, 4) * 3, 1).astype(np.dtype(dtype))
    x = t(a, device)
    out = dtype if dtype != tg.int64 else tg.float32
    f = np.float64
    for fn, ref, dt, pos in ((tg.neg, np.negative, dtype, False), (tg.abs, np.abs, dtype, False),
                             (tg.sign, np.sign, dtype, False), (tg.exp, np.exp, out, False),
                             (tg.log, np.log, out, True), (tg.sqrt, np.sqrt, out, True)):
        src = np.abs(a) + 1 if pos else a
        same(fn(t(src, device)), ref(src.astype(f)).astype(np.dtype(dt)), dt, rtol=0.0 if dt == dtype == tg.int64
             else 2e-7 if dt == tg.float32 else 1e-15)
    same((x > 0).logical_not(), ~(a > 0), tg.bool_)


MATH = {"sin": np.sin, "cos": np.cos, "tan": np.tan, "rsqrt": lambda v: 1 / np.sqrt(v), "floor": np.floor,
        "ceil": np.ceil, "trunc": np.trunc, "round": np.rint, "log2": np.log2, "log1p": np.log1p, "exp2": np.exp2,
        "expm1": np.expm1, "reciprocal": lambda v: 1 / v, "square": np.square,
        "sign": lambda v: np.where(np.isnan(v), 0.0, np.sign(v))}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("dtype", [tg.float32, tg.float64], ids=str)
def test_unary_math_at_special_values(dtype, device):
    # halves (round to even), -0.0 kept where the result has it (floor/ceil/trunc/round/sign), NaN, ±inf, 2^60
    np_dt = np.dtype(dtype)
    a = np.concatenate([rand(10, np_dt, 7) * 3, np.array([-2.5, -1.5, -0.5, -0.0, 0.0, 0.5, 1.5, 2.5, np.nan, np.inf,
                                                          -np.inf, 2.0 ** 60, -0.3, 7.0], np_dt)]).reshape(3, 8)
    x = t(a, device)
    for name, ref in MATH.items():
        got = getattr(tg, name)(x)
        want = ref(a.astype(np.float64)).astype(np_dt)
        same(got, want, dtype, rtol=2e-6 if dtype == tg.float32 else 1e-13)
        num = ~np.isnan(want)
        np.testing.assert_array_equal(np.signbit(got.numpy()[num]), np.signbit(want[num]), err_msg=name)


def test_round_with_decimals_follows_torch(device):
    x = t(np.array([1.2345, -1.2355, 125.0, 135.0, 1234.5, 0.05, -0.15], np.float32), device)
    # torch 2.13's values (float32, halves to even, -0.0 kept)
    f = np.float32
    same(tg.round(x, decimals=2), f([1.23, -1.24, 125.0, 135.0, 1234.5, 0.05, -0.15]), tg.float32)
    r = tg.round(x, decimals=-1)
    same(r, [0.0, -0.0, 120.0, 140.0, 1230.0, 0.0, -0.0], tg.float32)
    assert np.signbit(r.numpy()).tolist() == [False, True, False, False, False, False, True]
    same(tg.round(x, decimals=1), f([1.2, -1.2, 125.0, 135.0, 1234.5, 0.0, -0.2]), tg.float32)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_integer_and_bool_unary_math_follow_torch(device):
    i = t([[-3, 0, 5]], device)
    same(tg.sign(i), [[-1, 0, 1]], tg.int64)
    same(tg.square(i), [[9, 0, 25]], tg.int64)
    same(tg.abs(i), [[3, 0, 5]], tg.int64)
    same(tg.neg(i), [[3, 0, -5]], tg.int64)
    # torch 2.13: float functions of an integer tensor give float32
    f = np.float32
    same(tg.sin(i), f([[-0.14112000167369843, 0.0, -0.9589242935180664]]), tg.float32)
    same(tg.reciprocal(i), f([[-0.3333333432674408, np.inf, 0.20000000298023224]]), tg.float32)
    same(tg.rsqrt(i), f([[np.nan, np.inf, 0.4472135901451111]]), tg.float32)
    same(tg.exp2(i), f([[0.125, 1.0, 32.0]]), tg.float32)
    b = t([True, False], device)
    same(tg.sign(b), [True, False], tg.bool_)
    same(tg.square(b), [1, 0], tg.int64)


def _grad(fn, a, device, seed=1):
    x = t(a, device, requires_grad=True)
    out = fn(x)
    out.backward(t(np.random.default_rng(seed).standard_normal(out.shape), device))
    return out.numpy(), x.grad.numpy()


def test_unary_math_gradients(device):
    """On the cpu by finite differences (gradcheck); on another device the values and the gradient for a random
    cotangent equal the cpu's (which the cpu run proves), at a fraction of a simulated gradcheck's cost."""
    a = np.random.default_rng(2).uniform(0.5, 2.0, size=(2, 3))
    for fn, ref in [(tg.sin, np.sin), (tg.cos, np.cos), (tg.tan, np.tan), (tg.rsqrt, lambda v: 1 / np.sqrt(v)),
                    (tg.log2, np.log2), (tg.log1p, np.log1p), (tg.exp2, np.exp2), (tg.expm1, np.expm1),
                    (tg.reciprocal, lambda v: 1 / v), (tg.square, np.square)]:
        if device == "cpu":
            np.testing.assert_allclose(fn(t(a, device)).numpy(), ref(a), rtol=1e-12)
            assert tg.gradcheck(fn, [t(a, device, requires_grad=True)])
        else:
            (v, g), (v0, g0) = _grad(fn, a, device), _grad(fn, a, "cpu")
            np.testing.assert_allclose(v, v0, rtol=1e-13)
            np.testing.assert_allclose(g, g0, rtol=1e-13)
    x = t([-2.5, -0.5, 0.5, 1.5, float("nan")], device, requires_grad=True)
    (tg.round(x) + tg.floor(x) + tg.ceil(x) + tg.trunc(x) + tg.sign(x)).sum().backward()
    assert x.grad.tolist() == [0.0] * 5                         # piecewise constant: 0, also at NaN


def test_clamp_and_where_broadcast(device):
    a = rand((4, 5), np.float32, 5)
    x = t(a, device)
    same(tg.clamp(x, -0.5, 0.5), np.clip(a, -0.5, 0.5), tg.float32)
    same(x.clamp(max=0.1), np.minimum(a, np.float32(0.1)), tg.float32)
    c = a > 0
    b = rand((5,), np.float32, 6)
    cond = t(c, device)
    same(tg.where(cond, x, t(b, device)), np.where(c, a, b), tg.float32)
    same(tg.where(cond, x, 0.0), np.where(c, a, np.float32(0)), tg.float32)
    same(tg.where(cond, 1.5, x), np.where(c, np.float32(1.5), a), tg.float32)
    same(tg.where(cond[:1], x, t(b[:, None][:4], device)), np.where(c[:1], a, b[:4, None]), tg.float32)


# ----------------------------------------------------------------------------- reductions: axes gathered last
@pytest.mark.parametrize("axis,keepdims", [((0, 2), True), ((1, 2), False), ((0, 1), False)], ids=str)
def test_reductions_over_a_tuple_of_axes(axis, keepdims, device):
    # the reduced axes are moved last (a strided gather unless they already are) and each row is reduced in a
    # block: rows of 37·2 or 3·37 elements; float32, int64 and bool inputs
    a = rand((3, 37, 2), np.float32, 7)
    a[1, 4, 1] = a.max() + 1
    x = t(a, device)
    kw = dict(dim=axis, keepdim=keepdims)
    same(x.sum(**kw), a.astype(np.float64).sum(axis, keepdims=keepdims).astype(np.float32), tg.float32, rtol=2e-6)
    same(tg.amax(x, **kw), a.max(axis, keepdims=keepdims), tg.float32)
    same(tg.amin(x, **kw), a.min(axis, keepdims=keepdims), tg.float32)
    i = (a * 10).astype(np.int64)
    same(t(i, device).sum(**kw), i.sum(axis, keepdims=keepdims), tg.int64)
    same(t(a > 0, device).sum(**kw), (a > 0).sum(axis, keepdims=keepdims), tg.int64)


# ----------------------------------------------------------------------------- views, joins and indexing
def test_views_and_joins_are_read_in_order(device):
    a = rand((2, 3, 4), np.float32, 10)
    x = t(a, device)
    same(x.reshape(6, -1), a.reshape(6, -1), tg.float32)
    same(x.reshape(24), a.reshape(24), tg.float32)
    same(x.permute(2, 0, 1), a.transpose(2, 0, 1), tg.float32)
    same(x[0].T, a[0].T, tg.float32)
    same(x[:, :1, :].expand(2, 3, 4), np.broadcast_to(a[:, :1, :], (2, 3, 4)), tg.float32)
    same(tg.broadcast_to(x[0, 0], (5, 4)), np.broadcast_to(a[0, 0], (5, 4)), tg.float32)
    b = rand((2, 2, 4), np.float32, 11)
    same(tg.cat([x, t(b, device)], 1), np.concatenate([a, b], 1), tg.float32)
    same(tg.cat([x[0], x[1], x[0]], 0), np.concatenate([a[0], a[1], a[0]], 0), tg.float32)
    c = rand((2, 3, 1), np.float64, 12)
    same(tg.cat([x[:, :, :2], t(c, device)], 2), np.concatenate([a[:, :, :2], c], 2), tg.float64)   # promoted


BASIC_KEYS = [1, -1, slice(None), slice(1, None), (slice(None), 2), (0, slice(None, None, 2)), (Ellipsis, 1),
              (None, 1, slice(0, 2)), (slice(0, 1), None, Ellipsis), ()]


@pytest.mark.parametrize("key", BASIC_KEYS, ids=repr)
def test_basic_indexing_gets_and_sets_as_numpy(key, device):
    a = rand((3, 4, 5), np.float64, 12)
    same(t(a, device)[key], a[key], tg.float64)
    x, want = t(a, device), a.copy()
    x[key] = 7.0
    want[key] = 7.0
    same(x, want, tg.float64)
    v = rand(np.shape(a[key]), np.float64, 13)
    x, want = t(a, device), a.copy()
    x[key] = t(v, device)
    want[key] = v
    same(x, want, tg.float64)


def _i(*v):
    return np.array(v, np.int64)


@pytest.mark.parametrize("key", [(0, slice(None, None, -2)), slice(None, None, -1), (slice(None), slice(3, 0, -1)),
                                 (Ellipsis, slice(-1, None, -3)), (1, slice(None), _i(2, 3))], ids=repr)
def test_numpy_indexing_the_public_api_does_not_reach(key, device):
    # PyTorch refuses a negative step (so does the public API), and selects with an int before it indexes with an
    # array where NumPy counts the int as an advanced index (a[1, :, [2, 3]] has shape (2, 4), torch's (4, 2)):
    # the backends' getitem/setitem take NumPy's whole indexing
    b = backend(device)
    a = rand((3, 4, 5), np.float64, 14)
    np.testing.assert_array_equal(b.to_numpy(b.getitem(b.asarray(a), key)), a[key])
    got, want = b.asarray(a), a.copy()
    v = rand(np.shape(a[key]), np.float64, 15)
    b.setitem(got, key, b.asarray(v))
    want[key] = v
    np.testing.assert_array_equal(b.to_numpy(got), want)


ADVANCED_KEYS = [(_i(2, 0, -1),), (slice(None), _i(3, -4)), (_i(0, 2), slice(1, 3), _i(4, 0)),
                 (_i(1, 2), _i(0, 3), _i(4, 4)), (Ellipsis, _i(-1, 0)), (1, _i(2, 3)),
                 (_i([[0], [2]]), _i(1, 2, 3)), (None, _i(1), 2), (slice(None), None, _i(0, 1)),
                 (_i(0, 1), None, _i(1, 2)), (np.array(-2),), (_i(), slice(None)),
                 (0, _i(1, 2), slice(None, None, 2)), (_i(0, 2), _i(1, 1), slice(None), None),
                 (np.array([True, False, True]),), (slice(None), np.array([True, False, True, True]))]


@pytest.mark.parametrize("key", ADVANCED_KEYS, ids=repr)
def test_advanced_indexing_gets_sets_and_accumulates_as_numpy(key, device):
    # index tensors on the device broadcast together, their axes in place when adjacent and first otherwise,
    # negative indices wrap; the gradient of a gather is the scatter-add of the cotangent (repeated indices add up)
    a = rand((3, 4, 5), np.float64, 16)
    dkey = tuple(t(k, device) if isinstance(k, np.ndarray) else k for k in key)
    want = a[key]
    same(t(a, device)[dkey], want, tg.float64)
    v = a[key] * 2 + 1                              # equal values where a repeated index writes twice
    x, ref = t(a, device), a.copy()
    x[dkey] = t(v, device)
    ref[key] = v
    same(x, ref, tg.float64)
    x = t(a, device, requires_grad=True)
    w = rand(want.shape, np.float64, 17)
    (x[dkey] * t(w, device)).sum().backward()
    ref = np.zeros_like(a)
    np.add.at(ref, key, w)
    same(x.grad, ref, tg.float64)


def test_too_many_indices_is_an_index_error(device):
    x = t(np.zeros((2, 3)), device)
    with pytest.raises(IndexError):
        x[0, 0, 0]
    with pytest.raises(IndexError):
        x[t(_i(0, 1), device), 0, 0]


# ----------------------------------------------------------------------------- index validation
@pytest.mark.parametrize("n", [0, 1, 5, 40, 100])
def test_index_stats_min_max_and_count(n, device):
    """(min, max, count) of an int64 array's elements other than ``skip`` in one pass (index range checks and the
    count of a mean loss's non-ignored targets); an empty selection is (INT64_MAX, INT64_MIN, 0)."""
    b = backend(device)
    info = np.iinfo(np.int64)
    for skip, has_skip in ((-100, True), (3, True), (0, False)):
        a = np.random.default_rng(n).integers(-5, 50, n).astype(np.int64)
        a[: n // 3] = skip if has_skip else a[: n // 3]
        sel = a[a != skip] if has_skip else a
        want = [sel.min(), sel.max(), sel.size] if sel.size else [info.max, info.min, 0]
        got = b.to_numpy(b.index_stats(b.asarray(a), skip, has_skip))
        assert got.dtype == np.int64 and got.tolist() == want, (skip, has_skip)


def test_index_stats_at_the_int64_extremes(device):
    b = backend(device)
    info = np.iinfo(np.int64)
    a = b.asarray(np.array([5, info.min, info.max, -1], np.int64))
    assert b.to_numpy(b.index_stats(a, 0, False)).tolist() == [info.min, info.max, 4]
    assert b.to_numpy(b.index_stats(b.getitem(a, slice(0, 1)), 5, True)).tolist() == [info.max, info.min, 0]
