"""kernels/cpu/fastmath.py (the vectorisable exp and the row helpers) and the serial / parallel drivers of the
softmax, cross-entropy, LayerNorm and RMSNorm kernels that use them."""
import numpy as np
import pytest

from tinygradnb.kernels.cpu import fastmath as fm
from tinygradnb.kernels.cpu import loss as sk
from tinygradnb.kernels.cpu import norm as nk

F32 = np.finfo(np.float32)


def _ulps_f32(got, ref64):
    """|got − ref| in units of the float32 spacing at ref (ref rounded to float32)."""
    return np.abs(got.astype(np.float64) - ref64) / np.spacing(np.abs(ref64).astype(np.float32)).astype(np.float64)


# ----------------------------------------------------------------------------- vexp, float32
def test_vexp_float32_max_ulp_over_normal_range():
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(-87.3, 88.72, 2_000_001, dtype=np.float32),
                        rng.uniform(-87.3, 88.72, 1_000_000).astype(np.float32),
                        rng.uniform(-1, 1, 200_000).astype(np.float32),
                        (rng.standard_normal(200_000) * 1e-6).astype(np.float32)])
    got = fm.vexp_array(x)
    assert got.dtype == np.float32
    ref = np.exp(x.astype(np.float64))
    normal = (ref >= F32.tiny) & (ref <= F32.max)
    assert normal.mean() > 0.99
    assert _ulps_f32(got[normal], ref[normal]).max() <= 2.0


def test_vexp_float32_underflow_overflow_and_specials():
    x = np.array([-np.inf, np.inf, np.nan, 0.0, -0.0, 1.0, -1.0, 88.72, 88.73, 89.0, 100.0, 1e30, -1e30,
                  -87.5, -95.0, -103.0, -103.98, -104.0, -110.0], np.float32)
    got = fm.vexp_array(x)
    assert got[0] == 0.0
    assert got[1] == np.inf
    assert np.isnan(got[2])
    assert got[3] == 1.0 and got[4] == 1.0
    assert got[5] == np.float32(np.e)
    assert _ulps_f32(got[6:8], np.exp(x[6:8].astype(np.float64))).max() <= 2.0
    assert np.all(np.isposinf(got[8:12]))
    assert got[12] == 0.0
    # below the smallest normal: gradual underflow, correct to within one subnormal step, then 0
    ref = np.exp(x[13:].astype(np.float64))
    assert np.all(got[13:] >= 0)
    assert np.abs(got[13:].astype(np.float64) - ref).max() <= 2 * np.finfo(np.float32).smallest_subnormal
    assert got[-1] == 0.0 and got[-2] == 0.0
    # a dense sweep of the subnormal range keeps the absolute error below a subnormal step
    xs = np.linspace(-103.9, -87.34, 100_001, dtype=np.float32)
    err = np.abs(fm.vexp_array(xs).astype(np.float64) - np.exp(xs.astype(np.float64)))
    assert err.max() <= 2 * np.finfo(np.float32).smallest_subnormal


def test_vexp_float32_nan_payloads_and_monotone():
    x = np.linspace(-20, 20, 100_001, dtype=np.float32)
    y = fm.vexp_array(x)
    assert np.all(np.diff(y) >= 0)
    x[::7] = np.nan
    y = fm.vexp_array(x)
    assert np.all(np.isnan(y[::7]))
    assert not np.any(np.isnan(np.delete(y, np.s_[::7])))


# ----------------------------------------------------------------------------- vexp, float64
def test_vexp_float64_is_libm_accurate():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-745, 709, 200_000), rng.uniform(-1, 1, 100_000),
                        [-np.inf, np.inf, 0.0, 710.0, -746.0, -1e300, 1e300]])
    got = fm.vexp_array(x)
    assert got.dtype == np.float64
    with np.errstate(over="ignore"):
        ref = np.exp(x)
    fin = np.isfinite(ref) & (ref > np.finfo(np.float64).tiny)
    np.testing.assert_allclose(got[fin], ref[fin], rtol=4e-16, atol=0)
    assert got[-7] == 0.0 and got[-6] == np.inf and got[-5] == 1.0 and got[-4] == np.inf
    assert got[-3] == 0.0 and got[-2] == 0.0 and got[-1] == np.inf
    assert np.isnan(fm.vexp_array(np.array([np.nan]))[0])


# ----------------------------------------------------------------------------- row helpers
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("c", [0, 1, 7, 8, 9, 16, 33, 1000])
def test_row_max_and_sums(dtype, c):
    from numba import njit

    @njit
    def run(a, b):
        return fm.row_max(a), fm.row_sum64(a), fm.row_dot64(a, b)

    rng = np.random.default_rng(c)
    a = rng.standard_normal(c).astype(dtype)
    b = rng.standard_normal(c).astype(dtype)
    if c:
        a[c // 2] = 50.0
        a[0] = -np.inf
    m, s, d = run(a, b)
    assert m == (a.max() if c else -np.inf)
    np.testing.assert_allclose(s, a.astype(np.float64).sum(), rtol=1e-13)
    np.testing.assert_allclose(d, (a.astype(np.float64) * b).sum(), rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- serial vs parallel drivers
def _ref_log_softmax(z):
    z = z.astype(np.float64)
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_kernels_parallel_match_serial_and_reference(dtype):
    rng = np.random.default_rng(2)
    n, c = 300, 257
    z = (rng.standard_normal((n, c)) * 5).astype(dtype)
    z[3, 5] = -np.inf
    z[4, :] = 1e4
    z[5, 0] = 3e4
    g = rng.standard_normal((n, c)).astype(dtype)
    lp_ref = _ref_log_softmax(z)
    tol = dict(rtol=2e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    for k in (1, 3, 16):
        p = sk.softmax_forward.parallel(z, k)
        assert np.array_equal(p, sk.softmax_forward.serial(z))
        np.testing.assert_allclose(p, np.exp(lp_ref), **tol)
        lp = sk.log_softmax_forward.parallel(z, k)
        assert np.array_equal(lp, sk.log_softmax_forward.serial(z))
        fin = np.isfinite(lp_ref)
        np.testing.assert_allclose(lp[fin], lp_ref[fin], **tol)
        assert np.array_equal(sk.softmax_backward.parallel(p, g, k), sk.softmax_backward.serial(p, g))
        assert np.array_equal(sk.log_softmax_backward.parallel(lp, g, k), sk.log_softmax_backward.serial(lp, g))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_kernels_parallel_match_serial_and_reference(dtype):
    rng = np.random.default_rng(3)
    n, c = 300, 1000
    z = (rng.standard_normal((n, c)) * 4).astype(dtype)
    z[7, :] = -1e4
    z[7, 3] = 1e4
    z[8, ::2] = -np.inf
    y = rng.integers(0, c, n).astype(np.int64)
    y[8] = 1
    y[10:20] = -100
    lp = _ref_log_softmax(z)
    want_loss = np.where(y == -100, 0.0, -lp[np.arange(n), np.where(y == -100, 0, y)])
    want_dz = np.exp(lp)
    want_dz[np.arange(n), np.where(y == -100, 0, y)] -= 1.0
    want_dz[y == -100] = 0.0
    scale = 1.0 / (n - 10)
    g = np.ones(1, dtype)
    tol = dict(rtol=2e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    loss_s, lse_s = sk.cross_entropy_forward.serial(z, y, -100)
    dz_s = sk.cross_entropy_backward.serial(z, y, lse_s, g, scale, -100)
    np.testing.assert_allclose(loss_s, want_loss, **tol)
    np.testing.assert_allclose(dz_s, want_dz * scale, rtol=tol["rtol"], atol=tol["atol"] * scale)
    for k in (1, 2, 7, 32):
        loss, lse = sk.cross_entropy_forward.parallel(z, y, -100, k)
        assert np.array_equal(loss, loss_s) and np.array_equal(lse, lse_s)
        assert np.array_equal(sk.cross_entropy_backward.parallel(z, y, lse, g, scale, -100, k), dz_s)


def test_cross_entropy_float32_large_logits_gradient_accuracy():
    # z − lse is formed in float32 from a hi/lo split of the float64 lse: the probabilities of logits ~1e4 keep
    # float32 accuracy (a plain float32(lse) would be off by up to half an ulp of 1e4 ≈ 5e-4 in the exponent).
    rng = np.random.default_rng(4)
    z = (1e4 + rng.standard_normal((64, 50)) * 3).astype(np.float32)
    y = rng.integers(0, 50, 64).astype(np.int64)
    loss, lse = sk.cross_entropy_forward(z, y, -100)
    dz = sk.cross_entropy_backward(z, y, lse, np.ones(1, np.float32), 1.0, -100)
    want = np.exp(_ref_log_softmax(z))
    want[np.arange(64), y] -= 1.0
    np.testing.assert_allclose(dz, want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_norm_kernels_parallel_match_serial(dtype):
    rng = np.random.default_rng(5)
    n, d = 301, 129
    x = (rng.standard_normal((n, d)) * 3 + 1).astype(dtype)
    w = rng.standard_normal(d).astype(dtype)
    b = rng.standard_normal(d).astype(dtype)
    g = rng.standard_normal((n, d)).astype(dtype)
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-13)
    col_tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else tol
    y_s, mu_s, r_s = nk.layer_norm_forward.serial(x, w, b, 1e-5)
    dx_s, dw_s, db_s = nk.layer_norm_backward.serial(g, x, w, mu_s, r_s)
    ry_s, rr_s = nk.rms_norm_forward.serial(x, w, 1e-6)
    rdx_s, rdw_s = nk.rms_norm_backward.serial(g, x, w, rr_s)
    for k in (1, 4, 16):
        y, mu, r = nk.layer_norm_forward.parallel(x, w, b, 1e-5, k)
        assert np.array_equal(y, y_s) and np.array_equal(mu, mu_s) and np.array_equal(r, r_s)
        dx, dw, db = nk.layer_norm_backward.parallel(g, x, w, mu, r, k)
        np.testing.assert_allclose(dx, dx_s, **tol)
        # dγ, dβ sum 32-row blocks in x's dtype before the float64 total, and a chunk boundary can split a block:
        # float32 results may differ by a few float32 roundings of a block sum (~2e-6 here).
        np.testing.assert_allclose(dw, dw_s, **col_tol)
        np.testing.assert_allclose(db, db_s, **col_tol)
        assert dw.dtype == dtype and db.dtype == dtype
        ry, rr = nk.rms_norm_forward.parallel(x, w, 1e-6, k)
        assert np.array_equal(ry, ry_s) and np.array_equal(rr, rr_s)
        rdx, rdw = nk.rms_norm_backward.parallel(g, x, w, rr, k)
        np.testing.assert_allclose(rdx, rdx_s, **tol)
        np.testing.assert_allclose(rdw, rdw_s, **tol)


def test_norm_kernels_large_float32_against_float64_reference():
    # a shape above PARALLEL_MIN goes through the dispatcher's parallel driver (when Numba has > 1 thread)
    rng = np.random.default_rng(6)
    n, d = 256, 512
    assert n * d >= fm.PARALLEL_MIN
    x = (rng.standard_normal((n, d)) * 2 + 3).astype(np.float32)
    w = rng.standard_normal(d).astype(np.float32)
    b = rng.standard_normal(d).astype(np.float32)
    g = rng.standard_normal((n, d)).astype(np.float32)
    x64, w64, g64 = x.astype(np.float64), w.astype(np.float64), g.astype(np.float64)
    mu = x64.mean(1, keepdims=True)
    rstd = 1 / np.sqrt(((x64 - mu) ** 2).mean(1, keepdims=True) + 1e-5)
    xh = (x64 - mu) * rstd
    y, m, r = nk.layer_norm_forward(x, w, b, 1e-5)
    np.testing.assert_allclose(y, xh * w64 + b, rtol=1e-5, atol=1e-5)
    dx, dw, db = nk.layer_norm_backward(g, x, w, m, r)
    gw = g64 * w64
    want_dx = rstd * (gw - gw.mean(1, keepdims=True) - xh * (gw * xh).mean(1, keepdims=True))
    np.testing.assert_allclose(dx, want_dx, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dw, (g64 * xh).sum(0), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(db, g64.sum(0), rtol=1e-4, atol=1e-3)
