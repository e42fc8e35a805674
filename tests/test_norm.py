"""layer_norm, rms_norm and batch_norm on every device: forward vs NumPy float64 references, gradients vs central
differences of those references, numerics, bad inputs. Shapes are small (the cuda device runs under Numba's
simulator in CI); the row shapes straddle the CUDA kernels' block of threads."""
import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb.ops.norm import batch_norm, layer_norm, rms_norm

from refgrad import check_grad

RNG = np.random.default_rng(0)


def t64(*shape, grad=False, device="cpu"):
    return tg.tensor(RNG.standard_normal(shape), dtype=tg.float64, requires_grad=grad, device=device)


def tol(dtype):
    return dict(rtol=1e-5, atol=1e-5) if np.dtype(dtype) == np.float32 else dict(rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- NumPy references (float64)
def ref_layer_norm(x, k, w=None, b=None, eps=1e-5):
    axes = tuple(range(x.ndim - k, x.ndim))
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mu) / np.sqrt(var + eps)
    return y * (1 if w is None else w) + (0 if b is None else b)


def ref_rms_norm(x, k, w=None, eps=1e-6):
    axes = tuple(range(x.ndim - k, x.ndim))
    y = x / np.sqrt((x ** 2).mean(axis=axes, keepdims=True) + eps)
    return y * (1 if w is None else w)


def ref_batch_norm(x, mean, var, w=None, b=None, eps=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    if w is not None:
        y = y * w.reshape(shape)
    if b is not None:
        y = y + b.reshape(shape)
    return y


def batch_stats(x):
    axes = (0,) if x.ndim == 2 else (0, 2)
    return x.mean(axis=axes), x.var(axis=axes), x.var(axis=axes, ddof=1)


def ref_batch_norm_train(x, w=None, b=None, eps=1e-5):
    mean, var, _ = batch_stats(x)
    return ref_batch_norm(x, mean, var, w, b, eps)


# ----------------------------------------------------------------------------- layer_norm
# Each case costs a fraction of a second under the CUDA simulator: where a test's cases differ only above the device
# seam (how the op reshapes its arguments for the same kernels), the first ones run on every device and the others,
# in a test named ..._more, on the CPU only.
@pytest.mark.parametrize("shape,k,affine", [((2, 3, 4, 5), 2, True), ((4, 6), 1, False)])
def test_layer_norm_forward(shape, k, affine, device):
    x = RNG.standard_normal(shape) * 3 + 1
    ns = shape[len(shape) - k:]
    w = RNG.standard_normal(ns) if affine else None
    b = RNG.standard_normal(ns) if affine else None
    out = layer_norm(tg.tensor(x, device=device), ns, None if w is None else tg.tensor(w, device=device),
                     None if b is None else tg.tensor(b, device=device))
    assert out.shape == shape and out.dtype == tg.float64 and out.device == device
    np.testing.assert_allclose(out.numpy(), ref_layer_norm(x, k, w, b), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape,k,affine", [((4, 6), 1, True), ((2, 3, 4), 3, True), ((7,), 1, True)])
def test_layer_norm_forward_more(shape, k, affine):
    test_layer_norm_forward(shape, k, affine, "cpu")


def test_layer_norm_float32(device):
    x = RNG.standard_normal((5, 16)).astype(np.float32)
    w, b = RNG.standard_normal(16).astype(np.float32), RNG.standard_normal(16).astype(np.float32)
    out = layer_norm(tg.tensor(x, device=device), 16, tg.tensor(w, device=device), tg.tensor(b, device=device))
    assert out.dtype == tg.float32
    np.testing.assert_allclose(out.numpy(), ref_layer_norm(x.astype(np.float64), 1, w, b), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("use_w,use_b", [(True, False), (False, True)])   # (True, True): the rows test below
def test_layer_norm_gradients(use_w, use_b, device):
    arrays = [RNG.standard_normal((3, 5))] + [RNG.standard_normal(5) for use in (use_w, use_b) if use]

    def params(p):
        p = list(p)
        return (p.pop(0) if use_w else None), (p.pop(0) if use_b else None)
    check_grad(lambda x, *p: layer_norm(x, 5, *params(p)), lambda x, *p: ref_layer_norm(x, 1, *params(p)), arrays,
               device)


@pytest.mark.parametrize("use_w,use_b", [(True, True), (False, False)])
def test_layer_norm_gradients_more(use_w, use_b):
    test_layer_norm_gradients(use_w, use_b, "cpu")


def test_layer_norm_gradients_multidim(device):
    arrays = [RNG.standard_normal(s) for s in ((2, 3, 4), (3, 4), (3, 4))]
    check_grad(lambda x, w, b: layer_norm(x, (3, 4), w, b), lambda x, w, b: ref_layer_norm(x, 2, w, b), arrays,
               device)


# (rows, features) and dtype: rows of 1, 5, 33 and 70 features (fewer and more than the 16 threads of a row block
# under the CUDA simulator) and more rows than its 2 blocks; more rows than one 32-row chunk of the CUDA kernels'
# column sums (dγ, dβ) in test_column_sums_do_not_depend_on_the_launch_shape
ROW_CASES = [((6, 1), "float32"), ((6, 5), "float64"), ((5, 33), "float32"), ((3, 70), "float64")]


@pytest.mark.parametrize("shape,dtype", ROW_CASES)
def test_layer_norm_rows_of_every_length(shape, dtype, device):
    d = shape[1]
    arrays = [RNG.standard_normal(shape) * 2 + 0.5, RNG.standard_normal(d) + 1, RNG.standard_normal(d)]
    check_grad(lambda x, w, b: layer_norm(x, d, w, b), lambda x, w, b: ref_layer_norm(x, 1, w, b), arrays, device,
               dtype)


def test_layer_norm_backward_through_noncontiguous_grad(device):
    x = t64(4, 3, grad=True, device=device)
    layer_norm(x, 3).T.sum().backward()  # upstream grad arrives transposed / broadcast
    assert np.allclose(x.grad.numpy(), 0, atol=1e-12)  # Σ of normalised row is constant


# torch 2.13 does not promote in layer_norm or batch_norm: a parameter or running statistic whose float dtype differs
# from the input's raises RuntimeError ("mixed dtype (CPU): expect parameter to have scalar type of Float", "mixed
# dtype (CPU): all inputs must share same datatype.", "expected scalar type Float but found Double").
@pytest.mark.parametrize("xd,wd", [("float32", "float64"), ("float64", "float32")])
@pytest.mark.parametrize("which", ["weight", "bias"])
def test_layer_norm_mixed_dtypes_raise(xd, wd, which, device):
    p = {"weight": tg.ones(3, dtype=xd, device=device), "bias": tg.zeros(3, dtype=xd, device=device)}
    p[which] = tg.ones(3, dtype=wd, device=device)
    with pytest.raises(RuntimeError, match=rf"layer_norm: {which} has dtype {wd} but the input has dtype {xd}; "
                                           rf"expected weight, bias to have the input's dtype"):
        layer_norm(tg.randn(2, 3, dtype=xd, device=device), 3, p["weight"], p["bias"])
    only = {which: p[which]}   # the other one None
    with pytest.raises(RuntimeError, match=rf"layer_norm: {which} has dtype {wd}"):
        layer_norm(tg.randn(2, 3, dtype=xd, device=device), 3, **only)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layer_and_rms_norm_of_no_rows(dtype, device):
    x = tg.zeros(0, 4, dtype=dtype, device=device, requires_grad=True)
    w = tg.ones(4, dtype=dtype, device=device, requires_grad=True)
    b = tg.zeros(4, dtype=dtype, device=device, requires_grad=True)
    out = layer_norm(x, 4, w, b)
    assert out.shape == (0, 4) and out.dtype == dtype
    (out.sum() + rms_norm(x, 4, w).sum()).backward()
    assert x.grad.shape == (0, 4)
    for p in (w, b):
        assert p.grad.dtype == dtype and p.grad.tolist() == [0.0] * 4


def test_layer_norm_constant_rows_finite(device):
    x = tg.full((3, 8), 2.5, dtype=tg.float64, device=device, requires_grad=True)
    w, b = t64(8, grad=True, device=device), t64(8, grad=True, device=device)
    out = layer_norm(x, 8, w, b)
    np.testing.assert_allclose(out.numpy(), np.broadcast_to(b.numpy(), (3, 8)), atol=1e-12)
    out.sum().backward()
    for t in (x, w, b):
        assert np.isfinite(t.grad.numpy()).all()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # the CUDA simulator's NumPy scalars warn on 0·inf
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_zero_eps_meeting_a_constant_row(dtype, device):
    """ε = 0 and a row without spread: 1/σ = inf and that row's output NaN (IEEE arithmetic, as torch 2.13), the
    other rows as usual."""
    x = RNG.standard_normal((3, 5))
    x[1] = 2.0
    w, b = RNG.standard_normal(5) + 1, RNG.standard_normal(5)

    def on(a):
        return tg.tensor(a, dtype=dtype, device=device)
    y = layer_norm(on(x), 5, on(w), on(b), eps=0.0).numpy()
    assert np.isnan(y[1]).all()
    np.testing.assert_allclose(y[[0, 2]], ref_layer_norm(x, 1, w, b, eps=0.0)[[0, 2]], **tol(dtype))
    x[1] = 0.0
    y = rms_norm(on(x), 5, on(w), eps=0.0).numpy()
    assert np.isnan(y[1]).all()
    np.testing.assert_allclose(y[[0, 2]], ref_rms_norm(x, 1, w, eps=0.0)[[0, 2]], **tol(dtype))


# ----------------------------------------------------------------------------- rms_norm
@pytest.mark.parametrize("shape,k,affine", [((4, 6), 1, True), ((4, 6), 1, False), ((2, 3, 4), 2, True)])
def test_rms_norm_forward(shape, k, affine, device):
    x = RNG.standard_normal(shape)
    ns = shape[len(shape) - k:]
    w = RNG.standard_normal(ns) if affine else None
    out = rms_norm(tg.tensor(x, device=device), ns, None if w is None else tg.tensor(w, device=device), eps=1e-6)
    assert out.device == device
    np.testing.assert_allclose(out.numpy(), ref_rms_norm(x, k, w, 1e-6), rtol=1e-12, atol=1e-12)


def test_rms_norm_default_eps_is_finfo_eps(device):
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    out = rms_norm(tg.tensor(x, device=device), 4)
    ref = ref_rms_norm(x.astype(np.float64), 1, eps=float(np.finfo(np.float32).eps))
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-6)


def test_rms_norm_float32(device):
    x, w = RNG.standard_normal((6, 32)).astype(np.float32), RNG.standard_normal(32).astype(np.float32)
    out = rms_norm(tg.tensor(x, device=device), 32, tg.tensor(w, device=device), eps=1e-6)
    assert out.dtype == tg.float32
    np.testing.assert_allclose(out.numpy(), ref_rms_norm(x.astype(np.float64), 1, w, 1e-6), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("affine", [True, False])
def test_rms_norm_gradients(affine, device):
    x, w = RNG.standard_normal((3, 2, 4)), RNG.standard_normal((2, 4))
    if affine:
        check_grad(lambda x, w: rms_norm(x, (2, 4), w, eps=1e-6), lambda x, w: ref_rms_norm(x, 2, w, 1e-6), [x, w],
                   device)
    else:
        check_grad(lambda x: rms_norm(x, 4, eps=1e-6), lambda x: ref_rms_norm(x, 1, eps=1e-6), [x], device)


@pytest.mark.parametrize("shape,dtype", ROW_CASES)
def test_rms_norm_rows_of_every_length(shape, dtype, device):
    d, eps = shape[1], float(np.finfo(dtype).eps)      # the default ε: the machine epsilon of the dtype
    arrays = [RNG.standard_normal(shape) * 2, RNG.standard_normal(d) + 1]
    check_grad(lambda x, w: rms_norm(x, d, w), lambda x, w: ref_rms_norm(x, 1, w, eps), arrays, device, dtype)


def test_rms_norm_zero_rows_finite(device):
    x = tg.zeros(2, 5, dtype=tg.float64, device=device, requires_grad=True)
    out = rms_norm(x, 5, eps=1e-6)
    assert np.all(out.numpy() == 0)
    out.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


# ----------------------------------------------------------------------------- batch_norm
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
def test_batch_norm_train_forward_and_running_stats(shape, device):
    x = RNG.standard_normal(shape) * 2 + 0.5
    c = shape[1]
    w, b = RNG.standard_normal(c), RNG.standard_normal(c)
    rm0, rv0 = RNG.standard_normal(c), RNG.random(c) + 0.5
    rm, rv = tg.tensor(rm0, device=device), tg.tensor(rv0, device=device)
    out = batch_norm(tg.tensor(x, device=device), rm, rv, tg.tensor(w, device=device), tg.tensor(b, device=device),
                     training=True, momentum=0.2)
    mean, var, uvar = batch_stats(x)
    np.testing.assert_allclose(out.numpy(), ref_batch_norm(x, mean, var, w, b), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rm.numpy(), 0.8 * rm0 + 0.2 * mean, rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.8 * rv0 + 0.2 * uvar, rtol=1e-12)


def test_batch_norm_float32_running_stats(device):
    x = RNG.standard_normal((16, 4)).astype(np.float32)
    rm, rv = tg.zeros(4, device=device), tg.ones(4, device=device)
    out = batch_norm(tg.tensor(x, device=device), rm, rv, training=True)
    mean, var, uvar = batch_stats(x.astype(np.float64))
    assert out.dtype == tg.float32 and rm.dtype == tg.float32
    np.testing.assert_allclose(out.numpy(), ref_batch_norm(x.astype(np.float64), mean, var), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(rm.numpy(), 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.numpy(), 0.9 + 0.1 * uvar, rtol=1e-5)


# (N, C) and dtype: more rows than the CUDA simulator's 2 blocks of 16 threads and than one 32-row chunk of the
# kernels' column sums (70, 33), one channel, and more channels than threads
BN_CASES = [((6, 5), "float64"), ((70, 3), "float32"), ((33, 1), "float64"), ((2, 40), "float32")]


@pytest.mark.parametrize("shape,dtype", BN_CASES)
def test_batch_norm_train_shapes(shape, dtype, device):
    c = shape[1]
    x = RNG.standard_normal(shape) * 3 + 1
    rm0, rv0 = RNG.standard_normal(c), RNG.random(c) + 0.5
    rm, rv = tg.tensor(rm0, dtype=dtype, device=device), tg.tensor(rv0, dtype=dtype, device=device)
    check_grad(lambda x, w, b: batch_norm(x, rm, rv, w, b, training=True),
               lambda x, w, b: ref_batch_norm_train(x, w, b), [x, RNG.standard_normal(c) + 1, RNG.standard_normal(c)],
               device, dtype)
    _, _, uvar = batch_stats(x)
    np.testing.assert_allclose(rm.numpy(), 0.9 * rm0 + 0.1 * x.mean(0), **tol(dtype))
    np.testing.assert_allclose(rv.numpy(), 0.9 * rv0 + 0.1 * uvar, **tol(dtype))


@pytest.mark.parametrize("shape,dtype", [((6, 5), "float32"), ((70, 3), "float64"), ((2, 3, 4), "float32")])
def test_batch_norm_eval_shapes_leave_the_running_stats(shape, dtype, device):
    c = shape[1]
    rm0, rv0 = RNG.standard_normal(c).astype(dtype), (RNG.random(c) + 0.5).astype(dtype)
    rm, rv = tg.tensor(rm0, device=device), tg.tensor(rv0, device=device)
    arrays = [RNG.standard_normal(shape), RNG.standard_normal(c), RNG.standard_normal(c)]
    check_grad(lambda x, w, b: batch_norm(x, rm, rv, w, b, training=False),
               lambda x, w, b: ref_batch_norm(x, rm0.astype(np.float64), rv0.astype(np.float64), w, b), arrays,
               device, dtype)
    assert np.array_equal(rm.numpy(), rm0) and np.array_equal(rv.numpy(), rv0)


def test_batch_norm_train_without_running_stats(device):
    x = RNG.standard_normal((5, 2, 3))
    check_grad(lambda x: batch_norm(x, None, None, training=True), lambda x: ref_batch_norm_train(x), [x], device)


@pytest.mark.parametrize("shape", [(5, 3), (3, 2, 4)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradients(shape, training, device):
    c = shape[1]
    rv0 = RNG.random(c) + 0.5

    def f(x, w, b):
        return batch_norm(x, tg.zeros(c, dtype=tg.float64, device=device), tg.tensor(rv0, device=device), w, b,
                          training=training)

    def ref(x, w, b):
        return ref_batch_norm_train(x, w, b) if training else ref_batch_norm(x, np.zeros(c), rv0, w, b)
    check_grad(f, ref, [RNG.standard_normal(shape), RNG.standard_normal(c), RNG.standard_normal(c)], device)


def test_batch_norm_constant_channel_finite(device):
    x = tg.full((4, 2, 3), -1.0, dtype=tg.float64, device=device, requires_grad=True)
    out = batch_norm(x, None, None, training=True)
    assert np.allclose(out.numpy(), 0)
    out.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_batch_norm_running_stats_update_under_no_grad(device):
    rm, rv = tg.zeros(2, dtype=tg.float64, device=device), tg.ones(2, dtype=tg.float64, device=device)
    with tg.no_grad():
        batch_norm(tg.tensor([[1.0, 2.0], [3.0, 6.0]], dtype=tg.float64, device=device), rm, rv, training=True,
                   momentum=1.0)
    np.testing.assert_allclose(rm.numpy(), [2.0, 4.0])
    np.testing.assert_allclose(rv.numpy(), [2.0, 8.0])


def test_column_sums_do_not_depend_on_the_launch_shape(device, monkeypatch):
    """40 rows: two of the CUDA kernels' 32-row chunks of the column sums (dγ, dβ here; BatchNorm's statistics
    alike), which they add in a fixed order: the reference's values, and the same bits with one block as with
    several."""
    if device != "cuda":
        pytest.skip("the launch shape of the CUDA kernels")
    from tinygradnb.kernels.cuda import _launch
    arrays = [RNG.standard_normal((40, 5)) * 2 + 0.5, RNG.standard_normal(5) + 1, RNG.standard_normal(5)]

    def run():
        outs, ins = check_grad(lambda x, w, b: layer_norm(x, 5, w, b), lambda x, w, b: ref_layer_norm(x, 1, w, b),
                               arrays, device, "float32")
        return [outs[0].numpy()] + [t.grad.numpy() for t in ins]

    ref = run()
    monkeypatch.setattr(_launch, "MAX_BLOCKS", 1)
    for got, want in zip(run(), ref):
        np.testing.assert_array_equal(got, want)


# ----------------------------------------------------------------------------- bad inputs
def test_layer_norm_shape_mismatch(device):
    # torch 2.13: RuntimeError "Given normalized_shape=[5], expected input with shape [*, 5], ..."
    with pytest.raises(RuntimeError, match=r"normalized_shape \(5,\).*\(3, 4\)"):
        layer_norm(tg.randn(3, 4, device=device), 5)


def test_layer_norm_normalized_shape_longer_than_input(device):
    with pytest.raises(RuntimeError, match="normalized_shape"):
        layer_norm(tg.randn(4, device=device), (2, 4))


def test_layer_norm_normalized_shape_type(device):
    with pytest.raises(TypeError, match="normalized_shape"):
        layer_norm(tg.randn(3, 4, device=device), 4.0)


def test_layer_norm_normalized_shape_empty(device):
    with pytest.raises(RuntimeError, match="normalized_shape must name at least one dimension"):
        layer_norm(tg.randn(3, 4, device=device), ())


def test_layer_norm_weight_shape(device):
    # torch 2.13: RuntimeError "Expected weight to be of same shape as normalized_shape, ..."
    with pytest.raises(RuntimeError, match=r"weight must have shape \(4,\), got \(3,\)"):
        layer_norm(tg.randn(3, 4, device=device), 4, weight=tg.ones(3, device=device))


def test_layer_norm_bias_shape(device):
    with pytest.raises(RuntimeError, match=r"bias must have shape \(4,\), got \(4, 1\)"):
        layer_norm(tg.randn(3, 4, device=device), 4, bias=tg.ones(4, 1, device=device))


def test_layer_norm_integer_input(device):
    with pytest.raises(TypeError, match="float"):
        layer_norm(tg.tensor([[1, 2]], device=device), 2)


def test_layer_norm_not_a_tensor():
    with pytest.raises(TypeError, match="Tensor"):
        layer_norm(np.ones((2, 2)), 2)


def test_layer_norm_negative_eps(device):
    with pytest.raises(ValueError, match="eps"):
        layer_norm(tg.randn(2, 2, device=device), 2, eps=-1.0)


# torch 2.13: rms_norm takes a weight of the other float dtype (a warning, then its non-fused path):
# result = (x·rsqrt(mean(x²) + eps)).type_as(x); result = (result·weight).type_as(x) — the input's dtype, eps the
# input dtype's machine epsilon; the gradients come back in each argument's dtype.
@pytest.mark.parametrize("xd,wd", [("float32", "float64")])
def test_rms_norm_weight_of_the_other_float_dtype(xd, wd, device):
    x = RNG.standard_normal((4, 2, 3)).astype(xd)
    w = RNG.standard_normal((2, 3)).astype(wd)
    tx, tw = tg.tensor(x, requires_grad=True, device=device), tg.tensor(w, requires_grad=True, device=device)
    out = rms_norm(tx, (2, 3), tw)
    assert out.dtype == xd and out.shape == (4, 2, 3)
    eps = float(np.finfo(xd).eps)
    normed = (x * (1 / np.sqrt((x.astype(np.float64) ** 2).mean(axis=(1, 2), keepdims=True) + eps))).astype(xd)
    want = (normed.astype(np.float64) * w.astype(np.float64)).astype(xd)
    tol = 1e-6 if xd == "float32" else 1e-12
    np.testing.assert_allclose(out.numpy(), want, rtol=tol, atol=tol)
    g = RNG.standard_normal((4, 2, 3))
    out.backward(tg.tensor(g, dtype=xd, device=device))
    assert tx.grad.dtype == xd and tw.grad.dtype == wd
    np.testing.assert_allclose(tw.grad.numpy(), (g.astype(xd) * normed).sum(axis=0), rtol=1e-5, atol=1e-5)
    xs = tg.tensor(x, requires_grad=True, device=device)   # dx as with the weight in the input's dtype
    rms_norm(xs, (2, 3), tg.tensor(w.astype(xd), device=device)).backward(tg.tensor(g, dtype=xd, device=device))
    np.testing.assert_allclose(tx.grad.numpy(), xs.grad.numpy(), rtol=100 * tol, atol=100 * tol)


@pytest.mark.parametrize("xd,wd", [("float64", "float32")])
def test_rms_norm_weight_of_the_other_float_dtype_more(xd, wd):
    test_rms_norm_weight_of_the_other_float_dtype(xd, wd, "cpu")


def test_rms_norm_shape_mismatch(device):
    with pytest.raises(RuntimeError, match=r"normalized_shape \(3,\).*\(2, 4\)"):
        rms_norm(tg.randn(2, 4, device=device), 3)


def test_rms_norm_weight_shape(device):
    with pytest.raises(RuntimeError, match=r"weight must have shape \(4,\), got \(2,\)"):
        rms_norm(tg.randn(2, 4, device=device), 4, weight=tg.ones(2, device=device))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("which", ["weight", "bias", "running_mean", "running_var"])
@pytest.mark.parametrize("xd,od", [("float32", "float64"), ("float64", "float32")])
def test_batch_norm_mixed_dtypes_raise(training, which, xd, od, device):
    # torch 2.13: RuntimeError in training and in eval, for the parameters and for the running statistics
    args = dict(weight=tg.ones(3, dtype=xd, device=device), bias=tg.zeros(3, dtype=xd, device=device),
                running_mean=tg.zeros(3, dtype=xd, device=device), running_var=tg.ones(3, dtype=xd, device=device))
    args[which] = (tg.zeros if which != "running_var" else tg.ones)(3, dtype=od, device=device)
    rm0 = args["running_mean"].numpy().copy()
    with pytest.raises(RuntimeError, match=rf"batch_norm: {which} has dtype {od} but the input has dtype {xd}; "
                                           rf"expected weight, bias, running_mean, running_var to have the input's"):
        batch_norm(tg.randn(4, 3, dtype=xd, device=device), args["running_mean"], args["running_var"], args["weight"],
                   args["bias"], training=training)
    np.testing.assert_array_equal(args["running_mean"].numpy(), rm0)   # nothing was updated


def test_batch_norm_without_running_stats_mixed_weight_raises(device):
    with pytest.raises(RuntimeError, match=r"batch_norm: weight has dtype float64 but the input has dtype float32"):
        batch_norm(tg.randn(4, 3, device=device), None, None, tg.ones(3, dtype=tg.float64, device=device),
                   training=True)


@pytest.mark.parametrize("shape", [(4,), (2, 3, 4, 5)])
def test_batch_norm_rank(shape, device):
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        batch_norm(tg.randn(*shape, device=device), None, None, training=True)


def test_batch_norm_running_mean_shape(device):
    # torch 2.13: RuntimeError "running_mean should contain 3 elements not 2"
    with pytest.raises(RuntimeError, match=r"running_mean must have shape \(3,\)"):
        batch_norm(tg.randn(4, 3, device=device), tg.zeros(2, device=device), tg.ones(3, device=device))


def test_batch_norm_running_var_shape(device):
    with pytest.raises(RuntimeError, match=r"running_var must have shape \(3,\)"):
        batch_norm(tg.randn(4, 3, device=device), tg.zeros(3, device=device), tg.ones(4, device=device))


def test_batch_norm_only_one_running_stat(device):
    # torch 2.13: ValueError in training, RuntimeError "running_var must be defined in evaluation mode" in eval
    with pytest.raises(ValueError, match="both"):
        batch_norm(tg.randn(4, 3, device=device), tg.zeros(3, device=device), None, training=True)
    with pytest.raises(RuntimeError, match="running_var must be defined in evaluation mode"):
        batch_norm(tg.randn(4, 3, device=device), tg.zeros(3, device=device), None, training=False)


def test_batch_norm_weight_shape(device):
    with pytest.raises(RuntimeError, match=r"weight must have shape \(3,\), got \(4,\)"):
        batch_norm(tg.randn(4, 3, device=device), None, None, weight=tg.ones(4, device=device), training=True)


def test_batch_norm_bias_shape(device):
    with pytest.raises(RuntimeError, match=r"bias must have shape \(3,\), got \(2,\)"):
        batch_norm(tg.randn(4, 3, device=device), None, None, bias=tg.ones(2, device=device), training=True)


@pytest.mark.parametrize("shape", [(1, 3), (1, 3, 1)])
def test_batch_norm_one_value_per_channel_in_training(shape, device):
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        batch_norm(tg.randn(*shape, device=device), tg.zeros(3, device=device), tg.ones(3, device=device),
                   training=True)


def test_batch_norm_one_value_per_channel_ok_in_eval(device):
    y = batch_norm(tg.randn(1, 3, device=device), tg.zeros(3, device=device), tg.ones(3, device=device), training=False)
    assert y.shape == (1, 3)


def test_batch_norm_eval_needs_running_stats(device):
    # torch 2.13: RuntimeError "running_mean must be defined in evaluation mode"
    with pytest.raises(RuntimeError, match="running_mean and running_var must be defined in evaluation mode"):
        batch_norm(tg.randn(4, 3, device=device), None, None, training=False)


@pytest.mark.parametrize("momentum", [-0.1, 1.5])
def test_batch_norm_momentum_range(momentum, device):
    with pytest.raises(ValueError, match="momentum"):
        batch_norm(tg.randn(4, 3, device=device), tg.zeros(3, device=device), tg.ones(3, device=device), training=True,
                   momentum=momentum)


def test_batch_norm_running_stat_requires_grad(device):
    # torch 2.13: RuntimeError "... not differentiable with respect to argument 'running_mean' ..."
    with pytest.raises(RuntimeError, match="running_mean is a buffer updated in place and must not require grad"):
        batch_norm(tg.randn(4, 3, device=device), tg.zeros(3, requires_grad=True, device=device),
                   tg.ones(3, device=device), training=True)



# ----------------------------------------------------------------------------- strided, expanded and empty inputs
_X = [[1.0, 2.0, 0.0], [3.0, 6.0, 1.0], [5.0, 1.0, 2.0], [7.0, 3.0, 5.0]]


def test_batch_norm_strided_running_stats_are_updated_in_place(device):
    base_m, base_v = tg.zeros(6, device=device), tg.ones(6, device=device)
    rm, rv = base_m[::2], base_v[::2]
    v_m, v_v = rm._version, rv._version
    y = batch_norm(tg.tensor(_X, device=device), rm, rv, training=True, momentum=0.5)
    # torch 2.13: F.batch_norm(x, torch.zeros(6)[::2], torch.ones(6)[::2], training=True, momentum=0.5)
    np.testing.assert_allclose(y.numpy(), [[-1.3416, -0.5345, -1.0690], [-0.4472, 1.6036, -0.5345],
                                           [0.4472, -1.0690, 0.0], [1.3416, 0.0, 1.6036]], atol=1e-4)
    np.testing.assert_allclose(base_m.numpy(), [2.0, 0.0, 1.5, 0.0, 1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(base_v.numpy(), [3.8333, 1.0, 2.8333, 1.0, 2.8333, 1.0], atol=1e-4)
    assert rm._version > v_m and rv._version > v_v


@pytest.mark.parametrize("which", ["running_mean", "running_var"])
def test_batch_norm_expanded_running_stat_in_training(which, device):
    """On the CPU an expanded tensor's elements share one memory location: the in-place update cannot be written
    (PyTorch raises this RuntimeError for in-place writes into expanded tensors); never a Numba TypingError. The
    CUDA backend materialises expand, so there the tensor owns its elements and is updated."""
    x = tg.tensor(_X, device=device)
    stats = {"running_mean": tg.zeros(3, device=device), "running_var": tg.ones(3, device=device)}
    stats[which] = (tg.zeros if which == "running_mean" else tg.ones)(1, device=device).expand(3)
    bn = tg.nn.BatchNorm1d(3).to(device)
    setattr(bn, which, (tg.zeros if which == "running_mean" else tg.ones)(1, device=device).expand(3))
    if device == "cpu":
        with pytest.raises(RuntimeError, match=rf"batch_norm: {which} is an expanded .*clone\(\)"):
            batch_norm(x, stats["running_mean"], stats["running_var"], training=True)
        with pytest.raises(RuntimeError, match=rf"{which} is an expanded"):
            bn(x)
        return
    batch_norm(x, stats["running_mean"], stats["running_var"], training=True, momentum=1.0)
    bn(x)
    want = {"running_mean": np.mean(_X, axis=0), "running_var": np.var(_X, axis=0, ddof=1)}[which]
    np.testing.assert_allclose(stats[which].numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(getattr(bn, which).numpy(), 0.1 * want + 0.9 * (which == "running_var"), rtol=1e-6)


def test_batch_norm_read_only_running_stat_in_training_is_a_runtime_error():
    ro = np.zeros(3, np.float32)
    ro.flags.writeable = False
    rm = tg.as_tensor(ro)
    if rm._data.flags.writeable:
        pytest.skip("as_tensor copied the read-only array")
    with pytest.raises(RuntimeError, match="batch_norm: running_mean is read-only"):
        batch_norm(tg.tensor(_X), rm, tg.ones(3), training=True)


def test_batch_norm_expanded_running_stats_in_eval_and_strided_parameters(device):
    rm, rv = tg.zeros(1, device=device).expand(3), tg.ones(1, device=device).expand(3)
    y = batch_norm(tg.tensor(_X, device=device), rm, rv, training=False)
    np.testing.assert_allclose(y.numpy(), np.array(_X) / np.sqrt(1 + 1e-5), rtol=1e-6)
    x = tg.tensor(np.array(_X, np.float32).T.copy(), device=device).T  # a transposed (non-contiguous) float32 input
    w = tg.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], device=device)[::2]
    y = batch_norm(x, tg.zeros(3, device=device), tg.ones(3, device=device), weight=w,
                   bias=tg.zeros(1, device=device).expand(3), training=True)
    # torch 2.13: the same call
    np.testing.assert_allclose(y.numpy(), [[-1.3416, -1.6036, -5.3452], [-0.4472, 4.8107, -2.6726],
                                           [0.4472, -3.2071, 0.0], [1.3416, 0.0, 8.0178]], atol=1e-4)
    x3 = tg.arange(24, device=device).float().reshape(2, 4, 3).transpose(1, 2)  # (2, 3, 4), non-contiguous
    rm3, rv3 = tg.zeros(3, device=device), tg.ones(3, device=device)
    y3 = batch_norm(x3, rm3, rv3, training=True, momentum=1.0)
    # torch 2.13: y3[0, :, :2] == -1.5275, -1.0911 in every channel; running stats [10.5, 11.5, 12.5], [54.] * 3
    np.testing.assert_allclose(y3.numpy()[0, :, :2], [[-1.5275, -1.0911]] * 3, atol=1e-4)
    np.testing.assert_allclose(rm3.numpy(), [10.5, 11.5, 12.5])
    np.testing.assert_allclose(rv3.numpy(), [54.0, 54.0, 54.0])


def test_layer_and_rms_norm_with_strided_and_expanded_parameters(device):
    w = tg.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], device=device)[::2]
    y = layer_norm(tg.tensor(_X, device=device), 3, weight=w, bias=tg.tensor([1.0], device=device).expand(3))
    # torch 2.13: F.layer_norm(x, (3,), weight=torch.tensor([1., 2, 3, 4, 5, 6])[::2],
    #                          bias=torch.tensor([1.]).expand(3))
    np.testing.assert_allclose(y.numpy(), [[1.0, 4.6742, -5.1237], [0.8378, 4.8933, -4.6777],
                                           [2.3728, -1.9417, -0.9612], [2.2247, -2.6742, 1.0]], atol=1e-4)
    y = layer_norm(tg.tensor(_X, device=device).T, 4)
    np.testing.assert_allclose(y.numpy(), [[-1.3416, -0.4472, 0.4472, 1.3416], [-0.5345, 1.6036, -1.0690, 0.0],
                                           [-1.0690, -0.5345, 0.0, 1.6036]], atol=1e-4)
    y = rms_norm(tg.tensor(_X, device=device), 3, weight=w, eps=1e-6)
    # torch 2.13: F.rms_norm(x, (3,), weight=torch.tensor([1., 2, 3, 4, 5, 6])[::2], eps=1e-6)
    np.testing.assert_allclose(y.numpy(), [[0.7746, 4.6476, 0.0], [0.7661, 4.5968, 1.2769],
                                           [1.5811, 0.9487, 3.1623], [1.3308, 1.7111, 4.7529]], atol=1e-4)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(0, 3), (4, 0), (2, 3, 0)])
def test_batch_norm_empty_batch(shape, training, device):
    # torch 2.13: an empty output of the input's shape, the running statistics unchanged, zero parameter grads
    x = tg.zeros(*shape, device=device, requires_grad=True)
    c = shape[1]
    rm, rv = tg.zeros(c, device=device), tg.ones(c, device=device)
    w = tg.ones(c, device=device, requires_grad=True)
    b = tg.zeros(c, device=device, requires_grad=True)
    y = batch_norm(x, rm, rv, weight=w, bias=b, training=training)
    assert y.shape == shape
    assert rm.tolist() == [0.0] * c and rv.tolist() == [1.0] * c
    y.sum().backward()
    assert x.grad.shape == shape and w.grad.tolist() == [0.0] * c and b.grad.tolist() == [0.0] * c
