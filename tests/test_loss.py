"""softmax / log_softmax and the losses: forward against NumPy float64, gradcheck, float32, numerics, bad inputs."""
import contextlib
import warnings

import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb.ops.loss import softmax, log_softmax, cross_entropy, mse_loss, binary_cross_entropy_with_logits
from opcheck import check_op


@contextlib.contextmanager
def _no_warnings(device):
    """On the CPU, a block that must not warn (no overflow, no inf·0): warnings become errors. Under the CUDA
    simulator, kernels run as Python code whose NumPy scalars warn where a GPU computes silently."""
    with warnings.catch_warnings(), np.errstate(all="raise" if device == "cpu" else "ignore"):
        warnings.simplefilter("error" if device == "cpu" else "ignore")
        yield


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


@pytest.mark.device_sample(3)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", SOFTMAX_CASES, ids=str)
def test_softmax_forward_and_grad(log, shape, dim, device):
    fn = log_softmax if log else softmax
    ref = _np_log_softmax if log else _np_softmax
    check_op(lambda x: fn(x, dim=dim), lambda a: ref(a, axis=dim) if a.ndim else ref(a[None])[0], shape, device=device)


def test_softmax_rows_sum_to_one_and_large_logits(device):
    with _no_warnings(device):
        z = tg.tensor([[1e4, -1e4, 0.0], [1000.0, 1000.0, 1000.0]], dtype=tg.float32, device=device)
        p = softmax(z).numpy()
        lp = log_softmax(z).numpy()
    np.testing.assert_allclose(p.sum(axis=1), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(p[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(lp[0], [0.0, -2e4, -1e4], rtol=1e-6)
    np.testing.assert_allclose(lp[1], np.full(3, -np.log(3.0)), rtol=1e-6)


def test_softmax_integer_input_and_empty(device):
    with pytest.raises(RuntimeError, match="not implemented for int64"):   # torch 2.13: not implemented for Long
        softmax(tg.tensor([[1, 2]], device=device))
    assert softmax(tg.zeros(0, 3, dtype=tg.float64, device=device)).shape == (0, 3)
    assert log_softmax(tg.zeros(2, 0, dtype=tg.float64, device=device), dim=0).shape == (2, 0)


def test_softmax_bad_dim(device):
    with pytest.raises(IndexError, match="dim: 2 is out of range for a tensor with 2 dimension"):
        softmax(tg.zeros(2, 3, device=device), dim=2)


def test_log_softmax_bad_dim_type(device):
    with pytest.raises(TypeError, match="dim must be an int, got"):
        log_softmax(tg.zeros(2, 3, device=device), dim=(0, 1))


def test_softmax_not_a_tensor(device):
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


@pytest.mark.device_sample(2)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", CE_SHAPES, ids=str)
def test_cross_entropy_forward_and_grad(shape, reduction, device):
    z, y = _ce_case(shape)
    yt = tg.tensor(y, device=device)
    check_op(lambda x: cross_entropy(x, yt, reduction=reduction),
             lambda a: _np_cross_entropy(a, y, reduction), arrays=[z], device=device)


@pytest.mark.device_sample(5)
@pytest.mark.parametrize("ignore_index", [-100, 2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 2)], ids=str)
def test_cross_entropy_ignore_index(shape, reduction, ignore_index, device):
    z, y = _ce_case(shape, seed=1, ignore_index=ignore_index, n_ignored=2)
    yt = tg.tensor(y, device=device)
    out = check_op(lambda x: cross_entropy(x, yt, reduction=reduction, ignore_index=ignore_index),
                   lambda a: _np_cross_entropy(a, y, reduction, ignore_index), arrays=[z], device=device)
    x = tg.tensor(z, requires_grad=True, device=device)
    cross_entropy(x, yt, reduction=reduction, ignore_index=ignore_index).sum().backward()
    grad_rows = np.moveaxis(x.grad.numpy(), 1, -1)[y == ignore_index]
    np.testing.assert_array_equal(grad_rows, 0.0)  # ignored samples get no gradient
    if reduction == "none":
        np.testing.assert_array_equal(out.numpy()[y == ignore_index], 0.0)


def test_cross_entropy_all_ignored(device):
    x = tg.tensor(np.ones((2, 3)), requires_grad=True, device=device)
    y = tg.tensor([-100, -100], device=device)
    loss = cross_entropy(x, y)
    assert np.isnan(loss.item())
    assert cross_entropy(x, y, reduction="sum").item() == 0.0
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)


def test_cross_entropy_int32_target_and_empty_batch(device):
    z, y = _ce_case((3, 4), seed=2)
    out = cross_entropy(tg.tensor(z, device=device), tg.tensor(y.astype(np.int32), device=device))
    np.testing.assert_allclose(out.item(), _np_cross_entropy(z, y), rtol=1e-12)
    empty = cross_entropy(
        tg.zeros(0, 4, dtype=tg.float64, device=device),
        tg.tensor(np.zeros(0, np.int64), device=device),
        reduction="sum",
    )
    assert empty.item() == 0.0


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64], ids=str)
def test_cross_entropy_extreme_logits(dtype, device):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4], [3.0, 1e4, 1e4]])
    y = np.array([1, 1, 0])
    with _no_warnings(device):
        x = tg.tensor(z, dtype=dtype, requires_grad=True, device=device)
        loss = cross_entropy(x, tg.tensor(y, device=device), reduction="sum")
        loss.backward()
    # row 0: logsumexp = 1e4, loss = 2e4; row 1: loss 0; row 2: logsumexp = 1e4 + log 2, loss = 1e4 − 3 + log 2
    np.testing.assert_allclose(loss.item(), 2e4 + 0.0 + (1e4 - 3.0 + np.log(2.0)), rtol=1e-6)
    p = _np_softmax(z)
    want = p - np.eye(3)[y]
    np.testing.assert_allclose(x.grad.numpy(), want, atol=1e-6)
    assert np.all(np.isfinite(x.grad.numpy()))


def test_cross_entropy_float32_gradient_matches_float64(device):
    z, y = _ce_case((5, 7), seed=3)
    grads = []
    for dt in (tg.float32, tg.float64):
        x = tg.tensor(z, dtype=dt, requires_grad=True, device=device)
        cross_entropy(x, tg.tensor(y, device=device)).backward()
        assert x.grad.dtype == dt
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-7)


def test_cross_entropy_noncontiguous_logits(device):
    z, y = _ce_case((4, 3), seed=4)
    x = tg.tensor(np.ascontiguousarray(z.T), device=device).T
    np.testing.assert_allclose(
        cross_entropy(x, tg.tensor(y, device=device)).item(), _np_cross_entropy(z, y), rtol=1e-12
    )


def test_cross_entropy_masked_logits(device):
    z = np.array([[-np.inf, 0.0, 1.0]])
    out = cross_entropy(tg.tensor(z, device=device), tg.tensor([2], device=device))
    np.testing.assert_allclose(out.item(), np.log1p(np.exp(-1.0)), rtol=1e-12)


# bad inputs
def test_cross_entropy_shape_mismatch(device):
    with pytest.raises(ValueError, match=r"input of shape \(4, 3\) needs target of shape \(4,\), got target of "
                                         r"shape \(3,\)"):
        cross_entropy(tg.zeros(4, 3, device=device), tg.tensor([0, 1, 2], device=device))


def test_cross_entropy_nd_shape_mismatch(device):
    with pytest.raises(ValueError, match=r"needs target of shape \(2, 5\), got target of shape \(2, 3\)"):
        cross_entropy(tg.zeros(2, 3, 5, device=device), tg.tensor(np.zeros((2, 3), np.int64), device=device))


def test_cross_entropy_float_target(device):
    with pytest.raises(TypeError, match="target must be an integer .* got float32"):
        cross_entropy(tg.zeros(2, 3, device=device), tg.tensor([0.0, 1.0], device=device))


def test_cross_entropy_target_not_a_tensor(device):
    with pytest.raises(TypeError, match="target must be a Tensor of class indices, got list"):
        cross_entropy(tg.zeros(2, 3, device=device), [0, 1])


@pytest.mark.parametrize("bad", [3, -1, 7])
def test_cross_entropy_label_out_of_range(bad, device):
    with pytest.raises(ValueError, match=rf"class index {bad}, outside \[0, 3\) .* C=3"):
        cross_entropy(tg.zeros(3, 3, device=device), tg.tensor([0, bad, 1], device=device)).item()  # cuda: at a read


def test_cross_entropy_label_out_of_range_nd(device):
    y = np.zeros((2, 2), np.int64)
    y[1, 1] = 4
    with pytest.raises(ValueError, match=r"class index 4, outside \[0, 3\)"):
        cross_entropy(tg.zeros(2, 3, 2, device=device), tg.tensor(y, device=device)).item()


def test_cross_entropy_bad_reduction(device):
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none', got 'avg'"):
        cross_entropy(tg.zeros(2, 3, device=device), tg.tensor([0, 1], device=device), reduction="avg")


def test_cross_entropy_integer_logits(device):
    with pytest.raises(TypeError, match="input must be a float32 or float64 tensor, got int64"):
        cross_entropy(tg.tensor([[1, 2]], device=device), tg.tensor([0], device=device))


def test_cross_entropy_0d_logits(device):
    with pytest.raises(ValueError, match="input must have a class dimension"):
        cross_entropy(tg.tensor(1.0, device=device), tg.tensor(0, device=device))


def test_cross_entropy_bad_ignore_index(device):
    with pytest.raises(TypeError, match="ignore_index must be an int, got 1.5"):
        cross_entropy(tg.zeros(2, 3, device=device), tg.tensor([0, 1], device=device), ignore_index=1.5)


# ----------------------------------------------------------------------------- mse_loss / BCE with logits
POINTWISE = [
    ("mse", mse_loss, lambda x, t: (x - t) ** 2, False),
    ("bce", binary_cross_entropy_with_logits, _np_bce_logits, True),
]


def _reduce(v, reduction):
    return v if reduction == "none" else v.sum() if reduction == "sum" else v.mean()


@pytest.mark.device_sample(5)
@pytest.mark.parametrize("name,fn,ref,prob", POINTWISE, ids=[p[0] for p in POINTWISE])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(3, 4), (5,), ()], ids=str)
def test_pointwise_loss_forward_and_grad(name, fn, ref, prob, reduction, shape, device):
    rng = np.random.default_rng(5)
    x = np.asarray(rng.normal(size=shape) * 2.0)
    t = np.asarray(rng.uniform(0, 1, size=shape) if prob else rng.normal(size=shape))
    check_op(
        lambda a, b: fn(a, b, reduction=reduction),
        lambda a, b: _reduce(ref(a, b), reduction),
        arrays=[x, t],
        device=device,
    )


@pytest.mark.parametrize("name,fn,ref,prob", POINTWISE, ids=[p[0] for p in POINTWISE])
def test_pointwise_loss_mixed_dtypes_and_empty(name, fn, ref, prob, device):
    x = tg.tensor([0.5, -1.0], dtype=tg.float32, device=device)
    t = tg.tensor([1.0, 0.0], dtype=tg.float64, device=device)
    out = fn(x, t)
    assert out.dtype == tg.float64
    np.testing.assert_allclose(out.item(), ref(np.array([0.5, -1.0]), np.array([1.0, 0.0])).mean(), rtol=1e-7)
    assert np.isnan(fn(tg.zeros(0, device=device), tg.zeros(0, device=device)).item())


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64], ids=str)
def test_bce_extreme_logits(dtype, device):
    x_np = np.array([-100.0, 100.0, -100.0, 100.0, 0.0])
    t_np = np.array([0.0, 1.0, 1.0, 0.0, 0.5])
    with _no_warnings(device):
        x = tg.tensor(x_np, dtype=dtype, requires_grad=True, device=device)
        loss = binary_cross_entropy_with_logits(x, tg.tensor(t_np, dtype=dtype, device=device), reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss.numpy(), [0.0, 0.0, 100.0, 100.0, np.log(2.0)], rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, -1.0, 1.0, 0.0], atol=1e-30)


def test_pointwise_loss_shape_mismatch(device):
    # torch 2.13: binary_cross_entropy_with_logits raises ValueError; mse_loss broadcasts with a UserWarning
    with pytest.raises(ValueError, match=r"input shape \(2, 3\) and target shape \(3,\) must be equal"):
        binary_cross_entropy_with_logits(tg.zeros(2, 3, device=device), tg.zeros(3, device=device))
    x = np.arange(6.0).reshape(2, 3)
    with pytest.warns(UserWarning, match="different to the input size"):
        out = mse_loss(
            tg.tensor(x, device=device), tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64, device=device), reduction="none"
        )
    np.testing.assert_array_equal(out.numpy(), (x - [1.0, 2.0, 3.0]) ** 2)
    with pytest.raises(ValueError, match="do not broadcast"):
        mse_loss(tg.zeros(2, 3, device=device), tg.zeros(2, device=device))


@pytest.mark.parametrize("fn", [mse_loss, binary_cross_entropy_with_logits], ids=lambda f: f.__name__)
def test_pointwise_loss_integer_target(fn, device):
    with pytest.raises(TypeError, match="target must be a float32 or float64 tensor, got int64"):
        fn(tg.zeros(2, device=device), tg.tensor([0, 1], device=device))


@pytest.mark.parametrize("fn", [mse_loss, binary_cross_entropy_with_logits], ids=lambda f: f.__name__)
def test_pointwise_loss_bad_reduction(fn, device):
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none', got 'max'"):
        fn(tg.zeros(2, device=device), tg.zeros(2, device=device), reduction="max")


@pytest.mark.parametrize("fn", [mse_loss, binary_cross_entropy_with_logits], ids=lambda f: f.__name__)
def test_pointwise_loss_input_not_a_tensor(fn, device):
    with pytest.raises(TypeError, match="input must be a Tensor, got float"):
        fn(1.0, tg.zeros((), device=device))


# ----------------------------------------------------------------------------- ±inf, NaN and empty dims vs torch
INF, NAN = np.inf, np.nan


def test_bce_with_logits_at_infinite_logits_matches_torch(device):
    # torch 2.13 computes (1 − t)·x − log σ(x): ∞ where the logit points away from its target, NaN for 0·∞ and
    # ∞ − ∞; the gradient σ(x) − t is finite at ±∞, and the target's gradient is −x
    x_np = [-INF, -INF, INF, INF, 0.0, NAN, 100.0, -100.0]
    t_np = [0.0, 1.0, 0.0, 1.0, 0.5, 0.5, 1.0, 0.0]
    x = tg.tensor(x_np, dtype=tg.float64, requires_grad=True, device=device)
    t = tg.tensor(t_np, dtype=tg.float64, requires_grad=True, device=device)
    with _no_warnings(device):
        loss = binary_cross_entropy_with_logits(x, t, reduction="none")
        loss.backward(tg.ones_like(loss))
    np.testing.assert_allclose(loss.numpy(), [NAN, NAN, INF, NAN, 0.6931471805599453, NAN, 3.720075976020836e-44,
                                              0.0], rtol=1e-12, atol=0)
    np.testing.assert_allclose(x.grad.numpy(), [0.0, -1.0, 1.0, 0.0, 0.0, NAN, 0.0, 3.7200759760208356e-44],
                               rtol=1e-12, atol=0)
    np.testing.assert_allclose(t.grad.numpy(), [INF, INF, -INF, -INF, -0.0, NAN, -100.0, 100.0])
    half = binary_cross_entropy_with_logits(
        tg.tensor([-INF, INF], device=device), tg.tensor([0.5, 0.5], device=device), reduction="none"
    )
    np.testing.assert_array_equal(half.numpy(), [NAN, INF])      # torch 2.13: [nan, inf]
    assert tg.gradcheck(lambda a, b: binary_cross_entropy_with_logits(a, b, reduction="sum"),
                        [tg.tensor([-30.0, -3.0, 0.5, 4.0, 30.0], dtype=tg.float64, requires_grad=True, device=device),
                         tg.tensor([0.0, 0.3, 1.0, 0.9, 1.0], dtype=tg.float64, requires_grad=True, device=device)],
                        fast_mode=device != "cpu")


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
def test_softmax_and_cross_entropy_with_infinite_entries_match_torch(row, p, lp, lp_grad, ce, ce_grad, device):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")             # exp(−inf − (−inf)) and friends may warn in NumPy
        for dtype in (tg.float64, tg.float32):
            rtol = 1e-12 if dtype == tg.float64 else 1e-6
            np.testing.assert_allclose(softmax(tg.tensor(row, dtype=dtype, device=device)).numpy(), p, rtol=rtol)
            x = tg.tensor(row, dtype=dtype, requires_grad=True, device=device)
            y = log_softmax(x)
            y.backward(tg.ones_like(y))
            np.testing.assert_allclose(y.numpy(), lp, rtol=rtol)
            np.testing.assert_allclose(x.grad.numpy(), lp_grad, rtol=rtol)
            z = tg.tensor([row], dtype=dtype, requires_grad=True, device=device)
            loss = cross_entropy(z, tg.tensor([0], device=device), reduction="sum")
            loss.backward()
            np.testing.assert_allclose(loss.item(), ce, rtol=rtol)
            np.testing.assert_allclose(z.grad.numpy(), [ce_grad], rtol=rtol)


def test_softmax_over_an_empty_dim_is_empty(device):
    # torch 2.13: softmax/log_softmax of torch.zeros(3, 0) along dim 1 (empty) or dim 0 give (3, 0) tensors
    for fn in (softmax, log_softmax):
        for dim in (1, 0, -1):
            x = tg.zeros(3, 0, dtype=tg.float64, requires_grad=True, device=device)
            y = fn(x, dim=dim)
            assert y.shape == (3, 0) and y.dtype == tg.float64
            y.sum().backward()
            assert x.grad.shape == (3, 0)
        assert fn(tg.zeros(2, 0, 4, device=device), dim=1).shape == (2, 0, 4)
        assert fn(tg.zeros(0, device=device), dim=0).shape == (0,)


def test_cross_entropy_with_no_rows_matches_torch(device):
    # torch 2.13, logits (0, 3): 'mean' is NaN (0/0), 'sum' 0, 'none' an empty (0,) tensor; the gradient is (0, 3)
    y = tg.tensor(np.zeros(0, np.int64), device=device)
    for reduction, want in (("mean", NAN), ("sum", 0.0)):
        z = tg.zeros(0, 3, requires_grad=True, device=device)
        loss = cross_entropy(z, y, reduction=reduction)
        np.testing.assert_array_equal(loss.item(), want)
        loss.backward()
        assert z.grad.shape == (0, 3)
    assert cross_entropy(tg.zeros(0, 3, device=device), y, reduction="none").shape == (0,)
    assert cross_entropy(
        tg.zeros(0, 3, 2, device=device), tg.tensor(np.zeros((0, 2), np.int64), device=device), reduction="none"
    ).shape == (0, 2)


# ----------------------------------------------------------------------------- the kernels' row and block shapes
# Rows of 1, 5, 33 and 70 classes: shorter than a CUDA block's row threads and several elements per thread; 6 rows
# exceed the simulator's 4 blocks, so the blocks also stride over rows. −inf logits sit in two rows (one of them
# under its label: a loss of inf), and two rows are ignored.
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("dtype", [tg.float32, tg.float64], ids=str)
@pytest.mark.parametrize("c", [1, 5, 33, 70])
def test_softmax_and_cross_entropy_over_row_lengths(c, dtype, device):
    rng = np.random.default_rng(c)
    z = rng.standard_normal((6, c)) * 3.0
    y = rng.integers(0, c, 6)
    y[[2, 5]] = -100
    if c > 1:
        z[1, 0] = z[4, c - 1] = -INF
        y[1] = 0
    g = rng.standard_normal((6, c))
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == tg.float32 else dict(rtol=1e-12, atol=1e-14)
    p, lp = _np_softmax(z), _np_log_softmax(z)
    for fn, want, grad in ((softmax, p, p * (g - (p * g).sum(1, keepdims=True))),
                           (log_softmax, lp, g - p * g.sum(1, keepdims=True))):
        x = tg.tensor(z, dtype=dtype, requires_grad=True, device=device)
        out = fn(x, dim=1)
        out.backward(tg.tensor(g, dtype=dtype, device=device))
        assert out.dtype == dtype and out.device == device
        np.testing.assert_allclose(out.numpy(), want, **tol)
        np.testing.assert_allclose(x.grad.numpy(), grad, **tol)
    keep = y != -100
    onehot = np.eye(c)[np.where(keep, y, 0)]
    for reduction in ("none", "mean"):
        x = tg.tensor(z, dtype=dtype, requires_grad=True, device=device)
        loss = cross_entropy(x, tg.tensor(y, device=device), reduction=reduction)
        gl = rng.standard_normal(6) if reduction == "none" else np.full(6, 1.5 / keep.sum())
        loss.backward(tg.tensor(gl if reduction == "none" else 1.5, dtype=dtype, device=device))
        want = np.where(keep, -np.take_along_axis(lp, np.where(keep, y, 0)[:, None], 1)[:, 0], 0.0)
        np.testing.assert_allclose(loss.numpy(), want if reduction == "none" else want.sum() / keep.sum(), **tol)
        np.testing.assert_allclose(x.grad.numpy(), (p - onehot) * (gl * keep)[:, None], **tol)


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64], ids=str)
def test_cross_entropy_large_magnitude_logits(dtype, device):
    # logits near 1e4: float32 keeps log-sum-exp in float64 and its gradient finite
    rng = np.random.default_rng(5)
    z = rng.standard_normal((6, 33)) * 3.0 + 1e4
    y = rng.integers(0, 33, 6)
    x = tg.tensor(z, dtype=dtype, requires_grad=True, device=device)
    loss = cross_entropy(x, tg.tensor(y, device=device), reduction="sum")
    loss.backward()
    zz = np.asarray(tg.tensor(z, dtype=dtype).numpy(), np.float64)   # the logits as float32 rounds them
    want = -np.take_along_axis(_np_log_softmax(zz - 1e4), y[:, None], 1).sum()
    np.testing.assert_allclose(loss.item(), want, rtol=1e-4 if dtype == tg.float32 else 1e-12)
    np.testing.assert_allclose(x.grad.numpy(), _np_softmax(zz - 1e4) - np.eye(33)[y],
                               atol=1e-5 if dtype == tg.float32 else 1e-12)


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64], ids=str)
def test_pointwise_losses_over_many_elements(dtype, device):
    # 301 elements: several per thread and a partial block; logits 0 and ±40 where BCE's terms underflow
    rng = np.random.default_rng(11)
    x_np = rng.standard_normal(301) * 4.0
    x_np[:3] = [0.0, 40.0, -40.0]
    t_bce, t_mse = rng.random(301), rng.standard_normal(301)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == tg.float32 else dict(rtol=1e-12, atol=1e-14)
    for fn, t_np, ref, dref in (
            (mse_loss, t_mse, lambda x, t: (x - t) ** 2, lambda x, t: 2 * (x - t)),
            (binary_cross_entropy_with_logits, t_bce,
             lambda x, t: np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x))),
             lambda x, t: 1 / (1 + np.exp(-x)) - t)):
        xr = np.asarray(tg.tensor(x_np, dtype=dtype).numpy(), np.float64)
        tr = np.asarray(tg.tensor(t_np, dtype=dtype).numpy(), np.float64)
        for reduction in ("none", "mean"):
            x = tg.tensor(x_np, dtype=dtype, requires_grad=True, device=device)
            loss = fn(x, tg.tensor(t_np, dtype=dtype, device=device), reduction=reduction)
            loss.sum().backward()
            scale = 1.0 if reduction == "none" else 1.0 / 301
            np.testing.assert_allclose(loss.numpy(), ref(xr, tr) if reduction == "none" else ref(xr, tr).mean(),
                                       **tol)
            np.testing.assert_allclose(x.grad.numpy(), dref(xr, tr) * scale, **tol)


# ----------------------------------------------------------------------------- issue #12: nll_loss, weighted and
# label-smoothed cross_entropy, binary_cross_entropy (+ weights), kl_div, l1, smooth_l1, huber
from tinygradnb import nn  # noqa: E402
from tinygradnb.ops.loss import (nll_loss, binary_cross_entropy, kl_div, l1_loss, smooth_l1_loss,  # noqa: E402
                                 huber_loss)


def _np_nll(lp, y, w=None, reduction="mean", ignore_index=-100):
    """lp (N, C, ...) or (C,) log-probabilities, y class indices: −w[y]·lp[y], ignored samples 0 and uncounted."""
    squeeze = lp.ndim == 1
    if squeeze:
        lp, y = lp[None], np.asarray(y)[None]
    lpm = np.moveaxis(lp, 1, -1)
    keep = y != ignore_index
    safe = np.where(keep, y, 0)
    wv = (np.ones(lp.shape[1]) if w is None else np.asarray(w))[safe] * keep
    loss = -np.take_along_axis(lpm, safe[..., None], axis=-1)[..., 0] * wv
    if reduction == "none":
        return loss[0] if squeeze else loss
    return loss.sum() if reduction == "sum" else loss.sum() / wv.sum()


def _np_ce_full(z, y, w=None, reduction="mean", ignore_index=-100, ls=0.0):
    """PyTorch's cross-entropy with class weights and label smoothing, in NumPy: (1 − ε)·nll + ε/C·smooth, the
    smooth term −Σ_c w_c log p_c over kept samples with nll's denominator."""
    axis = 0 if z.ndim == 1 else 1
    lp = _np_log_softmax(np.moveaxis(z, axis, -1))
    lp = np.moveaxis(lp, -1, axis)
    out = _np_nll(lp, y, w, reduction, ignore_index)
    if ls <= 0:
        return out
    c = z.shape[axis]
    wc = np.ones(c) if w is None else np.asarray(w)
    y_ = np.asarray(y)
    keep = y_ != ignore_index
    smooth = -(np.moveaxis(lp, axis, -1) * wc).sum(-1) * keep
    if reduction == "sum":
        smooth = smooth.sum()
    elif reduction == "mean":
        smooth = smooth.sum() / (wc[np.where(keep, y_, 0)] * keep).sum()
    return (1 - ls) * out + ls / c * smooth


NLL_CASES = [((5, 4), (5,)), ((3, 4, 2), (3, 2)), ((4,), ())]


@pytest.mark.device_sample(5)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape,tshape", NLL_CASES, ids=str)
def test_nll_loss_forward_and_grad(shape, tshape, reduction, weighted, device):
    rng = np.random.default_rng(7)
    lp = rng.normal(size=shape)
    y = rng.integers(0, 4, size=tshape)
    if y.ndim:
        y.reshape(-1)[0] = 2                      # ignore_index 2 below drops these
    w = rng.uniform(0.5, 2.0, 4) if weighted else None
    yt = tg.tensor(y, device=device)
    for ii in (-100, 2):
        if ii == 2 and not y.ndim:
            continue
        check_op(
            lambda a: nll_loss(
                a,
                yt,
                None if w is None else tg.tensor(w, dtype=a.dtype, device=device),
                reduction=reduction,
                ignore_index=ii,
            ),
            lambda a: _np_nll(a, y, w, reduction, ii),
            arrays=[lp],
            device=device,
        )


@pytest.mark.device_sample(7)
@pytest.mark.parametrize("ls", [0.0, 0.25, 1.0])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 2), (4,)], ids=str)
def test_cross_entropy_weight_and_label_smoothing(shape, reduction, weighted, ls, device):
    rng = np.random.default_rng(8)
    z = rng.normal(size=shape) * 2
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    y = rng.integers(0, 4, size=tshape)
    if y.ndim:
        y.reshape(-1)[1] = -100
    w = rng.uniform(0.5, 2.0, 4) if weighted else None
    yt = tg.tensor(y, device=device)
    check_op(
        lambda a: cross_entropy(
            a,
            yt,
            None if w is None else tg.tensor(w, dtype=a.dtype, device=device),
            reduction=reduction,
            label_smoothing=ls,
        ),
        lambda a: _np_ce_full(a, y, w, reduction, -100, ls),
        arrays=[z],
        device=device,
    )


def test_cross_entropy_weight_label_smoothing_ignore_index_match_torch(device):
    # torch 2.13: F.cross_entropy(z, y, w, label_smoothing=0.3) with a −100 target, float64
    z = np.array([[1., 2, 3], [0.5, -1, 2], [0, 0, 0], [3, 1, -2]])
    y, w = tg.tensor([2, 0, -100, 1], device=device), tg.tensor([0.2, 1.0, 3.0], dtype=tg.float64, device=device)
    want = {"mean": 1.2121638138816024, "sum": 5.091088018302731,
            "none": [1.1671670303998387, 0.6751343261280079, 0.0, 3.2487866617748846]}
    for reduction, v in want.items():
        np.testing.assert_allclose(
            cross_entropy(tg.tensor(z, device=device), y, w, reduction=reduction, label_smoothing=0.3).numpy(),
            v,
            rtol=1e-12,
        )
    x = tg.tensor(z, requires_grad=True, device=device)
    cross_entropy(x, y, w, label_smoothing=0.3).backward()
    np.testing.assert_allclose(x.grad.numpy(), [
        [0.049256439140323495, 0.12302755882335477, -0.17228399796367835],
        [-0.014723185809899873, -0.018594514040098816, 0.03331769984999869], [0.0, 0.0, 0.0],
        [0.2287315872549186, -0.1588762826001879, -0.06985530465473068]], rtol=1e-10, atol=1e-15)
    # every target ignored: 'mean' is 0/0 = NaN, with or without weights and smoothing (torch 2.13)
    with np.errstate(invalid="ignore"):
        assert np.isnan(nll_loss(tg.tensor(z, device=device), tg.tensor([-100] * 4, device=device), w).item())
        assert np.isnan(
            cross_entropy(
                tg.tensor(z, device=device), tg.tensor([-100] * 4, device=device), w, label_smoothing=0.2
            ).item()
        )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probability_targets(reduction, device):
    rng = np.random.default_rng(9)
    z, t, w = rng.normal(size=(3, 4, 2)), rng.uniform(size=(3, 4, 2)), rng.uniform(0.5, 2, 4)

    def ref(a, tt):
        lp = np.moveaxis(_np_log_softmax(np.moveaxis(a, 1, -1)), -1, 1)
        ts = tt * 0.8 + 0.2 / 4
        loss = -(lp * ts * w[None, :, None]).sum(1)
        return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.sum() / 6
    check_op(lambda a, tt: cross_entropy(a, tt, tg.tensor(w, dtype=a.dtype, device=device), reduction=reduction,
                                         label_smoothing=0.2), ref, arrays=[z, t], device=device)


def test_cross_entropy_and_nll_bad_arguments(device):
    z, y = tg.zeros(2, 3, device=device), tg.tensor([0, 1], device=device)
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
        cross_entropy(z, y, label_smoothing=1.5)
    # torch 2.13 treats label_smoothing <= 0 as none
    assert cross_entropy(z, y, label_smoothing=-0.1).item() == pytest.approx(np.log(3.0))
    for fn in (nll_loss, cross_entropy):
        with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 3 classes"):
            fn(z, y, tg.ones(2, device=device))
        with pytest.raises(RuntimeError, match="expected weight of the input's dtype float32, got float64"):
            fn(z, y, tg.ones(3, dtype=tg.float64, device=device))
        with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
            fn(z, y, tg.ones(3, requires_grad=True, device=device))
        with pytest.raises(ValueError, match=r"class index 3, outside \[0, 3\)"):
            fn(z, tg.tensor([0, 3], device=device)).item()
        with pytest.raises(TypeError, match="weight must be a Tensor or None"):
            fn(z, y, [1.0, 1.0, 1.0])
    with tg.no_grad():                            # no graph: a weight that requires grad is fine
        nll_loss(z, y, tg.ones(3, requires_grad=True, device=device))


def test_legacy_size_average_and_reduce(device):
    z, y = tg.tensor(np.arange(6.0).reshape(2, 3), device=device), tg.tensor([0, 2], device=device)
    assert nll_loss(z, y, size_average=False).item() == -(0.0 + 5.0)
    assert nll_loss(z, y, reduce=False).tolist() == [-0.0, -5.0]
    assert nll_loss(z, y, size_average=True, reduce=True).item() == -2.5


# binary cross-entropy of probabilities
def _np_bce(x, t, w=None):
    out = -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log1p(-x), -100))
    return out if w is None else out * w


@pytest.mark.device_sample(5)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_forward_and_grad(reduction, weighted, device):
    rng = np.random.default_rng(10)
    x, t, w = rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4)), rng.uniform(0.5, 2, (4,))
    check_op(lambda a, b: binary_cross_entropy(a, b, tg.tensor(w, dtype=a.dtype, device=device) if weighted else None,
                                               reduction=reduction),
             lambda a, b: _reduce(_np_bce(a, b, w if weighted else None), reduction), arrays=[x, t], device=device)


def test_binary_cross_entropy_clamps_log_as_torch(device):
    # torch 2.13: logs clamped to >= −100; gradients (x − t)/max((1 − x)x, 1e-12 as float32), target: log(1−x) − log x
    x = tg.tensor([0., 1, 1e-50, 0.5, 1], dtype=tg.float64, requires_grad=True, device=device)
    t = tg.tensor([1., 0, 1, 0.3, 1], dtype=tg.float64, requires_grad=True, device=device)
    with np.errstate(divide="ignore"):
        loss = binary_cross_entropy(x, t, reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0, 100.0, 0.6931471805599453, 0.0], rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), [-1000000003995.8029, 1000000003995.8029, -1000000003995.8029, 0.8,
                                                0.0], rtol=1e-12)
    np.testing.assert_allclose(t.grad.numpy(), [np.inf, -np.inf, 115.12925464970229, 0.0, -np.inf], rtol=1e-12)


def test_binary_cross_entropy_bad_arguments(device):
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        binary_cross_entropy(tg.tensor([0.5, 1.5], device=device), tg.tensor([0.0, 1.0], device=device)).item()
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        binary_cross_entropy(tg.tensor([0.5, np.nan], device=device), tg.tensor([0.0, 1.0], device=device)).item()
    with pytest.raises(ValueError, match="different to the input size"):
        binary_cross_entropy(tg.tensor([0.5, 0.5], device=device), tg.tensor([0.0], device=device))
    with pytest.raises(RuntimeError, match="found target dtype float64 but expected the input's float32"):
        binary_cross_entropy(
            tg.tensor([0.5, 0.2], device=device), tg.tensor([0.0, 1.0], dtype=tg.float64, device=device)
        )
    with pytest.raises(RuntimeError, match="does not broadcast to the input's shape"):
        binary_cross_entropy(
            tg.tensor([0.5, 0.2], device=device), tg.tensor([0.0, 1.0], device=device), tg.ones(3, 2, device=device)
        )
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        binary_cross_entropy(
            tg.tensor([0.5, 0.2], device=device),
            tg.tensor([0.0, 1.0], device=device),
            tg.ones(2, requires_grad=True, device=device),
        )


def _np_bce_logits_w(x, t, w, pw):
    log_sig = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
    return ((1 - t) * x - (1 + (pw - 1) * t) * log_sig) * w


@pytest.mark.device_sample(2)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_weight_and_pos_weight(reduction, device):
    rng = np.random.default_rng(11)
    x, t = rng.normal(size=(3, 4)) * 3, rng.uniform(0, 1, (3, 4))
    w, pw = rng.uniform(0.5, 2, (3, 1)), rng.uniform(0.5, 3, (4,))
    for wt, pwt in ((w, None), (None, pw), (w, pw)):
        check_op(lambda a, b: binary_cross_entropy_with_logits(
                     a, b, None if wt is None else tg.tensor(wt, dtype=a.dtype, device=device), reduction=reduction,
                     pos_weight=None if pwt is None else tg.tensor(pwt, dtype=a.dtype, device=device)),
                 lambda a, b: _reduce(_np_bce_logits_w(a, b, 1.0 if wt is None else wt, 1.0 if pwt is None else pwt),
                                      reduction), arrays=[x, t], device=device)


def test_bce_with_logits_pos_weight_at_infinite_logits_matches_torch(device):
    # torch 2.13, weight 0.5 and pos_weight 2
    x = tg.tensor([-np.inf, np.inf, 0, 50, -50], dtype=tg.float64, requires_grad=True, device=device)
    t = tg.tensor([0., 0, 1, 1, 0], dtype=tg.float64, device=device)
    with np.errstate(invalid="ignore"):
        loss = binary_cross_entropy_with_logits(
            x,
            t,
            tg.tensor([0.5], dtype=tg.float64, device=device),
            reduction="none",
            pos_weight=tg.tensor([2.0], dtype=tg.float64, device=device),
        )
        loss.sum().backward()
    np.testing.assert_allclose(loss.numpy(), [np.nan, np.inf, 0.6931471805599453, 1.9287498479639178e-22, 0.0],
                               rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.5, -0.5, 0.0, 9.64374923981959e-23], rtol=1e-12)
    with pytest.raises(RuntimeError, match="argument 'pos_weight'"):
        binary_cross_entropy_with_logits(
            x, t, pos_weight=tg.ones(5, dtype=tg.float64, requires_grad=True, device=device)
        )


# kl_div
@pytest.mark.device_sample(3)
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
def test_kl_div_forward_and_grad(reduction, log_target, device):
    rng = np.random.default_rng(12)
    lp = np.log(rng.uniform(0.1, 1, (3, 4)))
    t = rng.uniform(0.1, 1, (3, 4))
    if log_target:
        t = np.log(t)

    def ref(a, b):
        v = np.exp(b) * (b - a) if log_target else b * (np.log(b) - a)
        return v.sum() / 3 if reduction == "batchmean" else _reduce(v, reduction)
    check_op(lambda a, b: kl_div(a, b, reduction=reduction, log_target=log_target), ref, arrays=[lp, t], device=device)


def test_kl_div_zero_target_matches_torch(device):
    # torch 2.13: xlogy(0, 0) = 0 in the value; the target's gradient there is NaN (xlogy's t/t)
    i = tg.tensor([-1., -2, -0.5], dtype=tg.float64, requires_grad=True, device=device)
    t = tg.tensor([0., 0.5, 0.5], dtype=tg.float64, requires_grad=True, device=device)
    with np.errstate(invalid="ignore"):
        loss = kl_div(i, t, reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss.numpy(), [0.0, 0.6534264097200273, -0.09657359027997264], rtol=1e-12)
    np.testing.assert_allclose(i.grad.numpy(), [0.0, -0.5, -0.5])
    np.testing.assert_allclose(t.grad.numpy(), [np.nan, 2.3068528194400546, 0.8068528194400547], rtol=1e-12)
    t2 = tg.tensor([-np.inf, -1, 0.], dtype=tg.float64, device=device)          # log_target: e^t (t − x), NaN at t = −∞
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(kl_div(i, t2, reduction="none", log_target=True).numpy(),
                                   [np.nan, 0.36787944117144233, 0.5], rtol=1e-12)
    assert kl_div(
        tg.tensor(-0.3, device=device), tg.tensor(0.4, device=device), reduction="batchmean"
    ).item() == pytest.approx(0.4 * (np.log(0.4) + 0.3))  # a 0-d input: batchmean is the sum
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'batchmean'"):
        kl_div(i, t, reduction="avg")


# l1 / smooth_l1 / huber
def _np_smooth_l1(d, beta):
    a = np.abs(d)
    return np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta) if beta else a


def _np_huber(d, delta):
    a = np.abs(d)
    return np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))


REGRESSION = [
    ("l1", lambda a, b, r: l1_loss(a, b, reduction=r), lambda d: np.abs(d)),
    ("smooth_l1", lambda a, b, r: smooth_l1_loss(a, b, reduction=r), lambda d: _np_smooth_l1(d, 1.0)),
    ("smooth_l1_beta0.5", lambda a, b, r: smooth_l1_loss(a, b, reduction=r, beta=0.5), lambda d: _np_smooth_l1(d, 0.5)),
    ("smooth_l1_beta0", lambda a, b, r: smooth_l1_loss(a, b, reduction=r, beta=0.0), lambda d: np.abs(d)),
    ("huber", lambda a, b, r: huber_loss(a, b, reduction=r), lambda d: _np_huber(d, 1.0)),
    ("huber_delta2", lambda a, b, r: huber_loss(a, b, reduction=r, delta=2.0), lambda d: _np_huber(d, 2.0)),
]


@pytest.mark.device_sample(5)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,fn,ref", REGRESSION, ids=[r[0] for r in REGRESSION])
def test_regression_losses_forward_and_grad(name, fn, ref, reduction, device):
    rng = np.random.default_rng(13)
    x, t = rng.normal(size=(3, 5)) * 2, rng.normal(size=(3, 5))
    check_op(
        lambda a, b: fn(a, b, reduction), lambda a, b: _reduce(ref(a - b), reduction), arrays=[x, t], device=device
    )


def test_weighted_regression_losses_as_torch(device):
    # torch 2.13: weighted l1/mse 'mean' divide by Σ weight, weighted huber 'mean' by the number of elements
    rng = np.random.default_rng(14)
    x, t, w = rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.uniform(0.5, 2, (2, 3))
    check_op(lambda a, b, c: l1_loss(a, b, weight=c), lambda a, b, c: (np.abs(a - b) * c).sum() / c.sum(),
             arrays=[x, t, w], device=device)
    check_op(lambda a, b, c: mse_loss(a, b, weight=c), lambda a, b, c: ((a - b) ** 2 * c).sum() / c.sum(),
             arrays=[x, t, w], device=device)
    check_op(lambda a, b, c: huber_loss(a, b, weight=c, delta=0.5), lambda a, b, c: (_np_huber(a - b, 0.5) * c).mean(),
             arrays=[x, t, w], device=device)
    with pytest.raises(ValueError, match="weights and input must have the same size"):
        l1_loss(tg.zeros(2, device=device), tg.zeros(2, device=device), weight=tg.ones(1, device=device))


def test_regression_losses_edge_cases(device):
    x, t = tg.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device), tg.tensor([1.0, 0.0, 3.5], device=device)
    l1_loss(x, t, reduction="sum").backward()
    assert x.grad.tolist() == [0.0, 1.0, -1.0]                    # sign(0) = 0, as torch
    with pytest.raises(RuntimeError, match="does not support negative values for beta"):
        smooth_l1_loss(x, t, beta=-1)
    for delta in (0, -1):
        with pytest.raises(RuntimeError, match="does not support non-positive values for delta"):
            huber_loss(x, t, delta=delta)
    with pytest.warns(UserWarning, match="different to the input size"):
        out = l1_loss(tg.tensor([[1.0], [2.0]], device=device), tg.tensor([0.0, 1.0], device=device), reduction="none")
    assert out.tolist() == [[1.0, 0.0], [2.0, 1.0]]  # broadcast as torch
    assert (
        l1_loss(tg.tensor([1.0, 2.0], device=device), tg.tensor([0.0, 1.0], dtype=tg.float64, device=device)).dtype
        == tg.float64
    )
    assert np.isnan(huber_loss(tg.zeros(0, device=device), tg.zeros(0, device=device)).item())


# modules
def test_loss_modules_torch_signatures(device):
    rng = np.random.default_rng(15)
    z = tg.tensor(rng.normal(size=(4, 3)), device=device)
    y = tg.tensor([0, 2, 1, 2], device=device)
    w = tg.tensor([0.5, 1.0, 2.0], dtype=tg.float64, device=device)
    assert nn.NLLLoss(w, None, 2)(z, y).item() == pytest.approx(nll_loss(z, y, w, ignore_index=2).item())
    m = nn.CrossEntropyLoss(w, label_smoothing=0.1, reduction="sum")
    assert m(z, y).item() == pytest.approx(cross_entropy(z, y, w, reduction="sum", label_smoothing=0.1).item())
    assert "weight" in m.state_dict() and m.reduction == "sum"
    assert nn.CrossEntropyLoss(reduce=False)(z, y).shape == (4,)
    p, t = (
        tg.tensor([0.2, 0.7], dtype=tg.float64, device=device),
        tg.tensor([0.0, 1.0], dtype=tg.float64, device=device),
    )
    assert nn.BCELoss(tg.tensor([2.0, 1.0], dtype=tg.float64, device=device))(p, t).item() == pytest.approx(
        (2 * -np.log(0.8) - np.log(0.7)) / 2)
    pw = tg.tensor([3.0, 1.0], dtype=tg.float64, device=device)
    assert nn.BCEWithLogitsLoss(pos_weight=pw)(p, t).item() == pytest.approx(
        binary_cross_entropy_with_logits(p, t, pos_weight=pw).item())
    assert nn.KLDivLoss(reduction="batchmean", log_target=True)(p, t).item() == pytest.approx(
        kl_div(p, t, reduction="batchmean", log_target=True).item())
    assert nn.L1Loss()(p, t).item() == pytest.approx(0.25)
    assert nn.MSELoss(reduction="sum")(p, t).item() == pytest.approx(0.04 + 0.09)
    assert nn.SmoothL1Loss(beta=0.5)(p, t).item() == pytest.approx((0.04 + 0.09) / 2)
    assert nn.HuberLoss("sum", 0.25)(p, t).item() == pytest.approx(0.02 + 0.25 * (0.3 - 0.125))


def test_range_checks_raise_by_the_next_read(device):
    # the CPU checks at the call; cuda checks on the device without waiting for it and reports at the next read
    bad_bce = (tg.tensor([0.5, 1.5], device=device), tg.tensor([0.0, 1.0], device=device))
    bad_nll = (tg.zeros(2, 3, device=device), tg.tensor([0, 5], device=device))
    if device == "cuda":
        loss = binary_cross_entropy(*bad_bce)          # queued: the call returns
        with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
            loss.item()
        loss = nll_loss(*bad_nll)
        with pytest.raises(ValueError, match=r"class index 5, outside \[0, 3\)"):
            loss.numpy()
    else:
        with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
            binary_cross_entropy(*bad_bce)
        with pytest.raises(ValueError, match=r"class index 5, outside \[0, 3\)"):
            nll_loss(*bad_nll)
    assert nll_loss(tg.zeros(2, 3, device=device), tg.tensor([0, 2], device=device)).item() == 0.0


def test_nll_loss_reads_only_the_target_entry(device):
    # torch 2.13: F.nll_loss([[-inf, -1.5], [-0.25, nan]], [1, 0]) = 0.875, grad [[0, -0.5], [-0.5, 0]]; all
    # targets ignored: 'mean' is NaN, 'sum' 0
    x = tg.tensor([[-np.inf, -1.5], [-0.25, np.nan]], requires_grad=True, device=device)
    loss = nll_loss(x, tg.tensor([1, 0], device=device))
    assert loss.item() == 0.875
    loss.backward()
    assert x.grad.tolist() == [[0.0, -0.5], [-0.5, 0.0]]
    ignored = tg.tensor([-100, -100], device=device)
    with np.errstate(invalid="ignore"):
        assert np.isnan(nll_loss(x, ignored).item())
    assert nll_loss(x, ignored, reduction="sum").item() == 0.0
