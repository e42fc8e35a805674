"""CUDA softmax / log-softmax / cross-entropy / MSE / BCE kernels against their CPU twins, forward and backward.

Row lengths 1, 5, 33 and 70 cover rows shorter than the simulator's 32 row threads and rows with several elements
per thread; 6 rows exceed the simulator's 4 blocks, so the blocks also stride over rows.
"""
import numpy as np
import pytest

from tinygradnb.kernels import cpu as C
from tinygradnb.kernels.cuda import softmax as G

from conftest import dev, host, rand, tol

DTYPES = [np.float32, np.float64]
LENGTHS = [1, 5, 33, 70]
ROWS = 6


def _logits(c, dtype, seed, offset=0.0):
    z = rand((ROWS, c), np.float64, seed=seed, scale=3.0) + offset
    if c > 1:
        z[1, 0] = -np.inf                  # a −inf logit in a row
        z[4, c - 1] = -np.inf
    return z.astype(dtype)


def _check(got, want, dtype, shape, out_dtype=None):
    assert got.dtype == (out_dtype or dtype) and got.shape == shape
    np.testing.assert_allclose(host(got), want, **tol(dtype))


# ----------------------------------------------------------------------------- softmax / log_softmax
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("c", LENGTHS)
def test_softmax_and_log_softmax_match_cpu(c, dtype):
    x = _logits(c, dtype, seed=c)
    g = rand((ROWS, c), dtype, seed=c + 100)
    p = C.softmax_forward(x)
    p_g = G.softmax_forward(dev(x))
    _check(p_g, p, dtype, x.shape)
    _check(G.softmax_backward(p_g, dev(g)), C.softmax_backward(p, g), dtype, x.shape)
    lp = C.log_softmax_forward(x)
    lp_g = G.log_softmax_forward(dev(x))
    _check(lp_g, lp, dtype, x.shape)
    _check(G.log_softmax_backward(lp_g, dev(g)), C.log_softmax_backward(lp, g), dtype, x.shape)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")   # the simulator's numpy on −inf − (−inf)
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_large_magnitude_and_degenerate_rows(dtype):
    x = rand((5, 7), np.float64, seed=3, scale=3.0)
    x[0] += 1e4                            # large-magnitude logits (exp would overflow without the max shift)
    x[1] -= 1e4
    x[2] = -np.inf                         # an all −inf row: NaN, as on the CPU
    x[3, 2] = np.nan                       # a NaN spreads over its row
    x = x.astype(dtype)
    g = rand((5, 7), dtype, seed=4)
    p, lp = C.softmax_forward(x), C.log_softmax_forward(x)
    p_g, lp_g = G.softmax_forward(dev(x)), G.log_softmax_forward(dev(x))
    _check(p_g, p, dtype, x.shape)
    _check(lp_g, lp, dtype, x.shape)
    assert np.isnan(host(p_g)[2]).all() and np.isnan(host(p_g)[3]).all()
    np.testing.assert_allclose(host(p_g)[:2].sum(axis=1), 1.0, rtol=1e-5)
    _check(G.softmax_backward(p_g, dev(g)), C.softmax_backward(p, g), dtype, x.shape)
    _check(G.log_softmax_backward(lp_g, dev(g)), C.log_softmax_backward(lp, g), dtype, x.shape)


@pytest.mark.parametrize("shape", [(0, 5), (3, 0)])
def test_softmax_empty(shape):
    x = np.zeros(shape, np.float32)
    for fwd, bwd in [(G.softmax_forward, G.softmax_backward), (G.log_softmax_forward, G.log_softmax_backward)]:
        out = fwd(dev(x))
        assert out.shape == shape and out.dtype == np.float32
        assert bwd(out, dev(x)).shape == shape


# ----------------------------------------------------------------------------- cross-entropy
def _labels(c, seed, ignore_index=-100):
    y = np.random.default_rng(seed).integers(0, c, ROWS).astype(np.int64)
    y[2] = ignore_index
    y[5] = ignore_index
    if c > 1:
        y[1] = 0                           # the label on a −inf logit: ℓ = inf
    return y


def _ce_check(z, y, dtype, ignore_index=-100, seed=0):
    n = z.shape[0]
    loss, lse = C.cross_entropy_forward(z, y, ignore_index)
    loss_g, lse_g = G.cross_entropy_forward(dev(z), dev(y), ignore_index)
    _check(loss_g, loss, dtype, (n,))
    assert lse_g.dtype == np.float64 and lse_g.shape == (n,)
    np.testing.assert_allclose(host(lse_g), lse, **tol(dtype))
    ignored = y == ignore_index
    assert (host(loss_g)[ignored] == 0).all() and (host(lse_g)[ignored] == 0).all()
    count = int((~ignored).sum())
    scale = 1.0 / count if count else float("nan")
    g_rows = rand(n, dtype, seed=seed + 7)
    g_one = np.array([1.5], dtype)
    for g, sc in [(g_rows, 1.0), (g_one, scale), (g_one, 1.0)]:
        dz = C.cross_entropy_backward(z, y, lse, g, sc, ignore_index)
        dz_g = G.cross_entropy_backward(dev(z), dev(y), lse_g, dev(g), sc, ignore_index)
        _check(dz_g, dz, dtype, z.shape)
        assert (host(dz_g)[ignored] == 0).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("c", LENGTHS)
def test_cross_entropy_matches_cpu(c, dtype):
    _ce_check(_logits(c, dtype, seed=c + 1), _labels(c, seed=c), dtype, seed=c)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_large_magnitude_logits(dtype):
    z = _logits(33, dtype, seed=5, offset=1e4)  # float32 logits ~1e4: lse kept in float64, split in the backward
    y = _labels(33, seed=5)
    _ce_check(z, y, dtype, seed=5)
    _, lse_g = G.cross_entropy_forward(dev(z), dev(y), -100)
    assert np.all(host(lse_g)[y != -100] > 1e4)


def test_cross_entropy_ignore_index_is_a_class_and_all_ignored():
    z = _logits(5, np.float64, seed=9)
    y = np.array([2, 0, 2, 4, 1, 2], np.int64)
    _ce_check(z, y, np.float64, ignore_index=2)
    _ce_check(z, np.full(ROWS, 2, np.int64), np.float64, ignore_index=2)   # mean over nothing: scale NaN, dz 0


def test_cross_entropy_out_of_range_label_gives_nan_not_a_stray_read():
    # reported by the op layer after the launch (tinygradnb.device.check); the kernels stay inside z meanwhile
    z = _logits(4, np.float32, seed=3)
    y = np.array([1, 4, -3, 0, 2, 3], np.int64)
    loss, lse = G.cross_entropy_forward(dev(z), dev(y), -100)
    loss = host(loss)
    ok = [0, 3, 4, 5]
    np.testing.assert_allclose(loss[ok], C.cross_entropy_forward(z[ok], y[ok], -100)[0], **tol(np.float32))
    assert np.isnan(loss[[1, 2]]).all()
    dz = host(G.cross_entropy_backward(dev(z), dev(y), lse, dev(np.ones(1, np.float32)), 1.0, -100))
    assert np.isfinite(dz).all()


def test_cross_entropy_empty():
    z, y = np.zeros((0, 4), np.float32), np.zeros(0, np.int64)
    loss, lse = G.cross_entropy_forward(dev(z), dev(y), -100)
    assert loss.shape == (0,) and loss.dtype == np.float32 and lse.shape == (0,) and lse.dtype == np.float64
    dz = G.cross_entropy_backward(dev(z), dev(y), lse, dev(np.ones(1, np.float32)), 1.0, -100)
    assert dz.shape == (0, 4) and dz.dtype == np.float32


# ----------------------------------------------------------------------------- MSE / BCE with logits
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["mse_loss", "bce_with_logits"])
def test_pointwise_losses_match_cpu(name, dtype):
    n = 301
    x = rand(n, dtype, seed=11, scale=4.0)
    x[:3] = [0.0, 40.0, -40.0]
    t = rand(n, dtype, seed=12) if name == "mse_loss" else \
        np.random.default_rng(13).random(n).astype(dtype)
    fwd_c, bwd_c = getattr(C, name + "_forward"), getattr(C, name + "_backward")
    fwd_g, bwd_g = getattr(G, name + "_forward"), getattr(G, name + "_backward")
    _check(fwd_g(dev(x), dev(t)), fwd_c(x, t), dtype, (n,))
    for g, scale in [(rand(n, dtype, seed=14), 1.0), (np.array([0.5], dtype), 1.0 / n)]:
        _check(bwd_g(dev(x), dev(t), dev(g), scale), bwd_c(x, t, g, scale), dtype, (n,))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # the simulator computes inf·0 in Python
@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_at_infinite_logits_matches_cpu(dtype):
    # torch 2.13's (1 − t)·x − log σ(x): [nan, nan, inf, nan, log 2, nan] here (tests/test_losses.py)
    x = np.array([-np.inf, -np.inf, np.inf, np.inf, 0.0, np.nan], dtype)
    t = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 0.5], dtype)
    want = C.bce_with_logits_forward(x, t)
    np.testing.assert_array_equal(np.isnan(want), [True, True, False, True, False, True])
    _check(G.bce_with_logits_forward(dev(x), dev(t)), want, dtype, (6,))
    g = np.ones(6, dtype)
    _check(G.bce_with_logits_backward(dev(x), dev(t), dev(g), 1.0), C.bce_with_logits_backward(x, t, g, 1.0),
           dtype, (6,))


def test_pointwise_losses_empty():
    x = np.zeros(0, np.float64)
    assert G.mse_loss_forward(dev(x), dev(x)).shape == (0,)
    assert G.bce_with_logits_backward(dev(x), dev(x), dev(np.ones(1)), 1.0).shape == (0,)
