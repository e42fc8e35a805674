"""softmax / log_softmax and the losses: forward against NumPy float64, gradcheck, float32, numerics, bad inputs."""
import warnings

import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb.ops.loss import softmax, log_softmax, cross_entropy, mse_loss, binary_cross_entropy_with_logits
from opcheck import check_op


def _np_log_softmax(z, axis=-1):
    m = np.max(z, axis=axis, keepdims=True)
    return z - m - np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))


def _np_softmax(z, axis=-1):
    return np.exp(_np_log_softmax(z, axis))


def _np_cross_entropy(z, y, reduction="mean", ignore_index=-100):
    """z (N, C, ...) or (C,), y (N, ...) or (); the textbook −log softmax(z)[y], written independently."""
    if z.ndim == 1:
        z, y = z[None], np.asarray(y)[None]
        squeeze = True
    else:
        z = np.moveaxis(z, 1, -1)
        squeeze = False
    lp = _np_log_softmax(z)
    keep = y != ignore_index
    safe = np.where(keep, y, 0)
    loss = -np.take_along_axis(lp, safe[..., None], axis=-1)[..., 0] * keep
    if reduction == "none":
        return loss[0] if squeeze else loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / keep.sum()


def _np_bce_logits(x, t):
    s = 1.0 / (1.0 + np.exp(-x))
    return -(t * np.log(s) + (1.0 - t) * np.log(1.0 - s))


# ----------------------------------------------------------------------------- softmax / log_softmax
SOFTMAX_CASES = [((3, 4), -1), ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), 1), ((2, 3, 4), 0), ((5,), 0), ((), -1),
                 ((1, 1), -1)]


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", SOFTMAX_CASES, ids=str)
def test_softmax_forward_and_grad(log, shape, dim):
    fn = log_softmax if log else softmax
    ref = _np_log_softmax if log else _np_softmax
    check_op(lambda x: fn(x, dim=dim), lambda a: ref(a, axis=dim) if a.ndim else ref(a[None])[0], shape)


def test_softmax_rows_sum_to_one_and_large_logits():
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        z = tg.tensor([[1e4, -1e4, 0.0], [1000.0, 1000.0, 1000.0]], dtype=tg.float32)
        p = softmax(z).numpy()
        lp = log_softmax(z).numpy()
    np.testing.assert_allclose(p.sum(axis=1), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(p[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(lp[0], [0.0, -2e4, -1e4], rtol=1e-6)
    np.testing.assert_allclose(lp[1], np.full(3, -np.log(3.0)), rtol=1e-6)


def test_softmax_integer_input_and_empty():
    with pytest.raises(RuntimeError, match="not implemented for int64"):   # torch 2.13: not implemented for Long
        softmax(tg.tensor([[1, 2]]))
    assert softmax(tg.zeros(0, 3, dtype=tg.float64)).shape == (0, 3)
    assert log_softmax(tg.zeros(2, 0, dtype=tg.float64), dim=0).shape == (2, 0)


def test_softmax_bad_dim():
    with pytest.raises(IndexError, match="dim: 2 is out of range for a tensor with 2 dimension"):
        softmax(tg.zeros(2, 3), dim=2)


def test_log_softmax_bad_dim_type():
    with pytest.raises(TypeError, match="dim must be an int, got"):
        log_softmax(tg.zeros(2, 3), dim=(0, 1))


def test_softmax_not_a_tensor():
    with pytest.raises(TypeError, match="x must be a Tensor, got list"):
        softmax([1.0, 2.0])


# ----------------------------------------------------------------------------- cross_entropy
def _ce_case(shape, seed=0, ignore_index=-100, n_ignored=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=shape) * 2.0
    c = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    y = rng.integers(0, c, size=tshape)
    if n_ignored:
        y.reshape(-1)[:n_ignored] = ignore_index
    return z, y


CE_SHAPES = [(4, 5), (5,), (2, 3, 4), (2, 3, 2, 2), (1, 1)]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", CE_SHAPES, ids=str)
def test_cross_entropy_forward_and_grad(shape, reduction):
    z, y = _ce_case(shape)
    yt = tg.tensor(y)
    check_op(lambda x: cross_entropy(x, yt, reduction=reduction),
             lambda a: _np_cross_entropy(a, y, reduction), arrays=[z])


@pytest.mark.parametrize("ignore_index", [-100, 2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 2)], ids=str)
def test_cross_entropy_ignore_index(shape, reduction, ignore_index):
    z, y = _ce_case(shape, seed=1, ignore_index=ignore_index, n_ignored=2)
    yt = tg.tensor(y)
    out = check_op(lambda x: cross_entropy(x, yt, reduction=reduction, ignore_index=ignore_index),
                   lambda a: _np_cross_entropy(a, y, reduction, ignore_index), arrays=[z])
    x = tg.tensor(z, requires_grad=True)
    cross_entropy(x, yt, reduction=reduction, ignore_index=ignore_index).sum().backward()
    grad_rows = np.moveaxis(x.grad.numpy(), 1, -1)[y == ignore_index]
    np.testing.assert_array_equal(grad_rows, 0.0)  # ignored samples get no gradient
    if reduction == "none":
        np.testing.assert_array_equal(out.numpy()[y == ignore_index], 0.0)


def test_cross_entropy_all_ignored():
    x = tg.tensor(np.ones((2, 3)), requires_grad=True)
    y = tg.tensor([-100, -100])
    loss = cross_entropy(x, y)
    assert np.isnan(loss.item())
    assert cross_entropy(x, y, reduction="sum").item() == 0.0
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)


def test_cross_entropy_int32_target_and_empty_batch():
    z, y = _ce_case((3, 4), seed=2)
    out = cross_entropy(tg.tensor(z), tg.tensor(y.astype(np.int32)))
    np.testing.assert_allclose(out.item(), _np_cross_entropy(z, y), rtol=1e-12)
    empty = cross_entropy(tg.zeros(0, 4, dtype=tg.float64), tg.tensor(np.zeros(0, np.int64)), reduction="sum")
    assert empty.item() == 0.0


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64], ids=str)
def test_cross_entropy_extreme_logits(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4], [3.0, 1e4, 1e4]])
    y = np.array([1, 1, 0])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        x = tg.tensor(z, dtype=dtype, requires_grad=True)
        loss = cross_entropy(x, tg.tensor(y), reduction="sum")
        loss.backward()
    # row 0: logsumexp = 1e4, loss = 2e4; row 1: loss 0; row 2: logsumexp = 1e4 + log 2, loss = 1e4 − 3 + log 2
    np.testing.assert_allclose(loss.item(), 2e4 + 0.0 + (1e4 - 3.0 + np.log(2.0)), rtol=1e-6)
    p = _np_softmax(z)
    want = p - np.eye(3)[y]
    np.testing.assert_allclose(x.grad.numpy(), want, atol=1e-6)
    assert np.all(np.isfinite(x.grad.numpy()))


def test_cross_entropy_float32_gradient_matches_float64():
    z, y = _ce_case((5, 7), seed=3)
    grads = []
    for dt in (tg.float32, tg.float64):
        x = tg.tensor(z, dtype=dt, requires_grad=True)
        cross_entropy(x, tg.tensor(y)).backward()
        assert x.grad.dtype == dt
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-7)


def test_cross_entropy_noncontiguous_logits():
    z, y = _ce_case((4, 3), seed=4)
    x = tg.tensor(np.ascontiguousarray(z.T)).T
    np.testing.assert_allclose(cross_entropy(x, tg.tensor(y)).item(), _np_cross_entropy(z, y), rtol=1e-12)


def test_cross_entropy_masked_logits():
    z = np.array([[-np.inf, 0.0, 1.0]])
    out = cross_entropy(tg.tensor(z), tg.tensor([2]))
    np.testing.assert_allclose(out.item(), np.log1p(np.exp(-1.0)), rtol=1e-12)


# bad inputs
def test_cross_entropy_shape_mismatch():
    with pytest.raises(ValueError, match=r"logits of shape \(4, 3\) need target of shape \(4,\), got target of "
                                         r"shape \(3,\)"):
        cross_entropy(tg.zeros(4, 3), tg.tensor([0, 1, 2]))


def test_cross_entropy_nd_shape_mismatch():
    with pytest.raises(ValueError, match=r"need target of shape \(2, 5\), got target of shape \(2, 3\)"):
        cross_entropy(tg.zeros(2, 3, 5), tg.tensor(np.zeros((2, 3), np.int64)))


def test_cross_entropy_float_target():
    with pytest.raises(TypeError, match="target must be an integer .* got float32"):
        cross_entropy(tg.zeros(2, 3), tg.tensor([0.0, 1.0]))


def test_cross_entropy_target_not_a_tensor():
    with pytest.raises(TypeError, match="target must be a Tensor of class indices, got list"):
        cross_entropy(tg.zeros(2, 3), [0, 1])


@pytest.mark.parametrize("bad", [3, -1, 7])
def test_cross_entropy_label_out_of_range(bad):
    with pytest.raises(ValueError, match=rf"class index {bad}, outside \[0, 3\) .* C=3"):
        cross_entropy(tg.zeros(3, 3), tg.tensor([0, bad, 1]))


def test_cross_entropy_label_out_of_range_nd():
    y = np.zeros((2, 2), np.int64)
    y[1, 1] = 4
    with pytest.raises(ValueError, match=r"class index 4, outside \[0, 3\)"):
        cross_entropy(tg.zeros(2, 3, 2), tg.tensor(y))


def test_cross_entropy_bad_reduction():
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none', got 'avg'"):
        cross_entropy(tg.zeros(2, 3), tg.tensor([0, 1]), reduction="avg")


def test_cross_entropy_integer_logits():
    with pytest.raises(TypeError, match="logits must be a float32 or float64 tensor, got int64"):
        cross_entropy(tg.tensor([[1, 2]]), tg.tensor([0]))


def test_cross_entropy_0d_logits():
    with pytest.raises(ValueError, match="logits must have a class dimension"):
        cross_entropy(tg.tensor(1.0), tg.tensor(0))


def test_cross_entropy_bad_ignore_index():
    with pytest.raises(TypeError, match="ignore_index must be an int, got 1.5"):
        cross_entropy(tg.zeros(2, 3), tg.tensor([0, 1]), ignore_index=1.5)


# ----------------------------------------------------------------------------- mse_loss / BCE with logits
POINTWISE = [
    ("mse", mse_loss, lambda x, t: (x - t) ** 2, False),
    ("bce", binary_cross_entropy_with_logits, _np_bce_logits, True),
]


def _reduce(v, reduction):
    return v if reduction == "none" else v.sum() if reduction == "sum" else v.mean()


@pytest.mark.parametrize("name,fn,ref,prob", POINTWISE, ids=[p[0] for p in POINTWISE])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(3, 4), (5,), ()], ids=str)
def test_pointwise_loss_forward_and_grad(name, fn, ref, prob, reduction, shape):
    rng = np.random.default_rng(5)
    x = np.asarray(rng.normal(size=shape) * 2.0)
    t = np.asarray(rng.uniform(0, 1, size=shape) if prob else rng.normal(size=shape))
    check_op(lambda a, b: fn(a, b, reduction=reduction), lambda a, b: _reduce(ref(a, b), reduction), arrays=[x, t])


@pytest.mark.parametrize("name,fn,ref,prob", POINTWISE, ids=[p[0] for p in POINTWISE])
def test_pointwise_loss_mixed_dtypes_and_empty(name, fn, ref, prob):
    x = tg.tensor([0.5, -1.0], dtype=tg.float32)
    t = tg.tensor([1.0, 0.0], dtype=tg.float64)
    out = fn(x, t)
    assert out.dtype == tg.float64
    np.testing.assert_allclose(out.item(), ref(np.array([0.5, -1.0]), np.array([1.0, 0.0])).mean(), rtol=1e-7)
    assert np.isnan(fn(tg.zeros(0), tg.zeros(0)).item())


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64], ids=str)
def test_bce_extreme_logits(dtype):
    x_np = np.array([-100.0, 100.0, -100.0, 100.0, 0.0])
    t_np = np.array([0.0, 1.0, 1.0, 0.0, 0.5])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        x = tg.tensor(x_np, dtype=dtype, requires_grad=True)
        loss = binary_cross_entropy_with_logits(x, tg.tensor(t_np, dtype=dtype), reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss.numpy(), [0.0, 0.0, 100.0, 100.0, np.log(2.0)], rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, -1.0, 1.0, 0.0], atol=1e-30)


@pytest.mark.parametrize("fn", [mse_loss, binary_cross_entropy_with_logits], ids=lambda f: f.__name__)
def test_pointwise_loss_shape_mismatch(fn):
    with pytest.raises(ValueError, match=r"input shape \(2, 3\) and target shape \(3,\) must be equal"):
        fn(tg.zeros(2, 3), tg.zeros(3))


@pytest.mark.parametrize("fn", [mse_loss, binary_cross_entropy_with_logits], ids=lambda f: f.__name__)
def test_pointwise_loss_integer_target(fn):
    with pytest.raises(TypeError, match="target must be a float32 or float64 tensor, got int64"):
        fn(tg.zeros(2), tg.tensor([0, 1]))


@pytest.mark.parametrize("fn", [mse_loss, binary_cross_entropy_with_logits], ids=lambda f: f.__name__)
def test_pointwise_loss_bad_reduction(fn):
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none', got 'max'"):
        fn(tg.zeros(2), tg.zeros(2), reduction="max")


@pytest.mark.parametrize("fn", [mse_loss, binary_cross_entropy_with_logits], ids=lambda f: f.__name__)
def test_pointwise_loss_input_not_a_tensor(fn):
    with pytest.raises(TypeError, match="input must be a Tensor, got float"):
        fn(1.0, tg.zeros(()))


# ----------------------------------------------------------------------------- ±inf, NaN and empty dims vs torch
INF, NAN = np.inf, np.nan


def test_bce_with_logits_at_infinite_logits_matches_torch():
    # torch 2.13 computes (1 − t)·x − log σ(x): ∞ where the logit points away from its target, NaN for 0·∞ and
    # ∞ − ∞; the gradient σ(x) − t is finite at ±∞, and the target's gradient is −x
    x_np = [-INF, -INF, INF, INF, 0.0, NAN, 100.0, -100.0]
    t_np = [0.0, 1.0, 0.0, 1.0, 0.5, 0.5, 1.0, 0.0]
    x = tg.tensor(x_np, dtype=tg.float64, requires_grad=True)
    t = tg.tensor(t_np, dtype=tg.float64, requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        loss = binary_cross_entropy_with_logits(x, t, reduction="none")
        loss.backward(tg.ones_like(loss))
    np.testing.assert_allclose(loss.numpy(), [NAN, NAN, INF, NAN, 0.6931471805599453, NAN, 3.720075976020836e-44,
                                              0.0], rtol=1e-12, atol=0)
    np.testing.assert_allclose(x.grad.numpy(), [0.0, -1.0, 1.0, 0.0, 0.0, NAN, 0.0, 3.7200759760208356e-44],
                               rtol=1e-12, atol=0)
    np.testing.assert_allclose(t.grad.numpy(), [INF, INF, -INF, -INF, -0.0, NAN, -100.0, 100.0])
    half = binary_cross_entropy_with_logits(tg.tensor([-INF, INF]), tg.tensor([0.5, 0.5]), reduction="none")
    np.testing.assert_array_equal(half.numpy(), [NAN, INF])      # torch 2.13: [nan, inf]
    assert tg.gradcheck(lambda a, b: binary_cross_entropy_with_logits(a, b, reduction="sum"),
                        [tg.tensor([-30.0, -3.0, 0.5, 4.0, 30.0], dtype=tg.float64, requires_grad=True),
                         tg.tensor([0.0, 0.3, 1.0, 0.9, 1.0], dtype=tg.float64, requires_grad=True)])


# torch 2.13, float64 rows: (softmax, log_softmax, gradient of log_softmax's sum, cross-entropy with target 0 and
# its gradient); a row of −inf or one with +inf or NaN is NaN throughout
TORCH_ROWS = [
    ([-INF, 0.0, 1.0], [0.0, 0.26894142136999516, 0.7310585786300049],
     [-INF, -1.3132616875182228, -0.31326168751822286], [1.0, 0.1931757358900147, -1.1931757358900148],
     INF, [-1.0, 0.2689414213699951, 0.7310585786300049]),
    ([-INF, -INF, 2.0], [0.0, 0.0, 1.0], [-INF, -INF, 0.0], [1.0, 1.0, -2.0], INF, [-1.0, 0.0, 1.0]),
    ([-INF, -INF, -INF], [NAN] * 3, [NAN] * 3, [NAN] * 3, NAN, [NAN] * 3),
    ([INF, 0.0, 1.0], [NAN] * 3, [NAN] * 3, [NAN] * 3, NAN, [NAN] * 3),
    ([INF, INF, 0.0], [NAN] * 3, [NAN] * 3, [NAN] * 3, NAN, [NAN] * 3),
    ([NAN, 0.0, 1.0], [NAN] * 3, [NAN] * 3, [NAN] * 3, NAN, [NAN] * 3),
    ([0.0, NAN, 1.0], [NAN] * 3, [NAN] * 3, [NAN] * 3, NAN, [NAN] * 3),
]


@pytest.mark.parametrize("row,p,lp,lp_grad,ce,ce_grad", TORCH_ROWS, ids=[str(r[0]) for r in TORCH_ROWS])
def test_softmax_and_cross_entropy_with_infinite_entries_match_torch(row, p, lp, lp_grad, ce, ce_grad):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")             # exp(−inf − (−inf)) and friends may warn in NumPy
        for dtype in (tg.float64, tg.float32):
            rtol = 1e-12 if dtype == tg.float64 else 1e-6
            np.testing.assert_allclose(softmax(tg.tensor(row, dtype=dtype)).numpy(), p, rtol=rtol)
            x = tg.tensor(row, dtype=dtype, requires_grad=True)
            y = log_softmax(x)
            y.backward(tg.ones_like(y))
            np.testing.assert_allclose(y.numpy(), lp, rtol=rtol)
            np.testing.assert_allclose(x.grad.numpy(), lp_grad, rtol=rtol)
            z = tg.tensor([row], dtype=dtype, requires_grad=True)
            loss = cross_entropy(z, tg.tensor([0]), reduction="sum")
            loss.backward()
            np.testing.assert_allclose(loss.item(), ce, rtol=rtol)
            np.testing.assert_allclose(z.grad.numpy(), [ce_grad], rtol=rtol)


def test_softmax_over_an_empty_dim_is_empty():
    # torch 2.13: softmax/log_softmax of torch.zeros(3, 0) along dim 1 (empty) or dim 0 give (3, 0) tensors
    for fn in (softmax, log_softmax):
        for dim in (1, 0, -1):
            x = tg.zeros(3, 0, dtype=tg.float64, requires_grad=True)
            y = fn(x, dim=dim)
            assert y.shape == (3, 0) and y.dtype == tg.float64
            y.sum().backward()
            assert x.grad.shape == (3, 0)
        assert fn(tg.zeros(2, 0, 4), dim=1).shape == (2, 0, 4)
        assert fn(tg.zeros(0), dim=0).shape == (0,)


def test_cross_entropy_with_no_rows_matches_torch():
    # torch 2.13, logits (0, 3): 'mean' is NaN (0/0), 'sum' 0, 'none' an empty (0,) tensor; the gradient is (0, 3)
    y = tg.tensor(np.zeros(0, np.int64))
    for reduction, want in (("mean", NAN), ("sum", 0.0)):
        z = tg.zeros(0, 3, requires_grad=True)
        loss = cross_entropy(z, y, reduction=reduction)
        np.testing.assert_array_equal(loss.item(), want)
        loss.backward()
        assert z.grad.shape == (0, 3)
    assert cross_entropy(tg.zeros(0, 3), y, reduction="none").shape == (0,)
    assert cross_entropy(tg.zeros(0, 3, 2), tg.tensor(np.zeros((0, 2), np.int64)), reduction="none").shape == (0, 2)
