"""CUDA normalisation kernels (LayerNorm, RMSNorm, BatchNorm) against their CPU twins, forward and backward."""
import numpy as np
import pytest

from tinygradnb.kernels import cpu as C
from tinygradnb.kernels.cuda import norm as G

from conftest import dev, host, rand, tol

DTYPES = [np.float32, np.float64]
# (rows, features): rows of 1, 5, 33 and 70 features (fewer and more elements than the simulator's 32 threads),
# more rows than the simulator's 4 blocks, and 40 rows (two CHUNK_ROWS chunks of the column sums)
ROW_SHAPES = [(6, 1), (6, 5), (5, 33), (3, 70), (40, 5)]


def _params(d, dtype, affine):
    if affine:
        return rand(d, dtype, seed=11) + 1, rand(d, dtype, seed=12)
    return np.ones(d, dtype), np.zeros(d, dtype)    # what the op layer passes for a layer without parameters


def _check(got, want, dtype, shape=None):
    want = np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert tuple(got.shape) == tuple(want.shape if shape is None else shape)
    np.testing.assert_allclose(host(got), want, **tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", ROW_SHAPES)
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_matches_cpu(shape, dtype, affine):
    n, d = shape
    x = rand(shape, dtype, seed=1, scale=2.0) + 0.5
    g = rand(shape, dtype, seed=2)
    w, b = _params(d, dtype, affine)
    y_c, mean_c, rstd_c = C.layer_norm_forward(x, w, b, 1e-5)
    y_g, mean_g, rstd_g = G.layer_norm_forward(dev(x), dev(w), dev(b), 1e-5)
    _check(y_g, y_c, dtype)
    _check(mean_g, mean_c, dtype)
    _check(rstd_g, rstd_c, dtype)
    assert mean_g.dtype == np.float64 and rstd_g.dtype == np.float64 and mean_g.shape == (n,)
    dx_c, dw_c, db_c = C.layer_norm_backward(g, x, w, mean_c, rstd_c)
    dx_g, dw_g, db_g = G.layer_norm_backward(dev(g), dev(x), dev(w), mean_g, rstd_g)
    _check(dx_g, dx_c, dtype)
    _check(dw_g, dw_c, dtype)
    _check(db_g, db_c, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", ROW_SHAPES)
@pytest.mark.parametrize("affine", [True, False])
def test_rms_norm_matches_cpu(shape, dtype, affine):
    n, d = shape
    x = rand(shape, dtype, seed=3, scale=2.0)
    g = rand(shape, dtype, seed=4)
    w, _ = _params(d, dtype, affine)
    eps = float(np.finfo(dtype).eps)
    y_c, r_c = C.rms_norm_forward(x, w, eps)
    y_g, r_g = G.rms_norm_forward(dev(x), dev(w), eps)
    _check(y_g, y_c, dtype)
    assert r_g.dtype == np.float64 and r_g.shape == (n,)
    np.testing.assert_allclose(host(r_g), r_c, **tol(dtype))
    dx_c, dw_c = C.rms_norm_backward(g, x, w, r_c)
    dx_g, dw_g = G.rms_norm_backward(dev(g), dev(x), dev(w), r_g)
    _check(dx_g, dx_c, dtype)
    _check(dw_g, dw_c, dtype)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # the simulator's NumPy scalars warn on 0·inf
@pytest.mark.parametrize("dtype", DTYPES)
def test_row_norms_constant_row_zero_eps(dtype):
    """ε = 0 meeting a constant row: rstd = inf and y = NaN in that row, as the CPU twin's IEEE arithmetic."""
    x = rand((3, 5), dtype, seed=5)
    x[1] = 2.0
    w, b = _params(5, dtype, True)
    with np.errstate(all="ignore"):
        y_c, _, rstd_c = C.layer_norm_forward(x, w, b, 0.0)
        y_g, _, rstd_g = G.layer_norm_forward(dev(x), dev(w), dev(b), 0.0)
        assert np.isinf(host(rstd_g)[1]) and np.isnan(host(y_g)[1]).all()
        np.testing.assert_allclose(host(y_g), y_c, **tol(dtype))
        np.testing.assert_allclose(host(rstd_g), rstd_c, **tol(dtype))
        x[1] = 0.0
        ry_c, rr_c = C.rms_norm_forward(x, w, 0.0)
        ry_g, rr_g = G.rms_norm_forward(dev(x), dev(w), 0.0)
        np.testing.assert_allclose(host(ry_g), ry_c, **tol(dtype))
        np.testing.assert_allclose(host(rr_g), rr_c, **tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_row_norms_no_rows(dtype):
    x = np.zeros((0, 5), dtype)
    w, b = _params(5, dtype, True)
    y, mean, rstd = G.layer_norm_forward(dev(x), dev(w), dev(b), 1e-5)
    assert y.shape == (0, 5) and mean.shape == (0,) and rstd.shape == (0,)
    dx, dw, db = G.layer_norm_backward(dev(x), dev(x), dev(w), mean, rstd)
    assert dx.shape == (0, 5) and dw.dtype == dtype
    np.testing.assert_array_equal(host(dw), 0)
    np.testing.assert_array_equal(host(db), 0)
    y, r = G.rms_norm_forward(dev(x), dev(w), 1e-6)
    dx, dw = G.rms_norm_backward(dev(x), dev(x), dev(w), r)
    assert y.shape == (0, 5) and r.shape == (0,) and dx.shape == (0, 5)
    np.testing.assert_array_equal(host(dw), 0)


BN_SHAPES = [(6, 5), (70, 3), (33, 1), (2, 40)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("update", [True, False])
def test_batch_norm_train_matches_cpu(shape, dtype, update):
    c = shape[1]
    x = rand(shape, dtype, seed=6, scale=3.0) + 1.0
    g = rand(shape, dtype, seed=7)
    w, b = _params(c, dtype, True)
    if update:
        rm_c, rv_c = rand(c, dtype, seed=8), np.abs(rand(c, dtype, seed=9)) + 0.5
    else:
        rm_c, rv_c = np.zeros(0, dtype), np.zeros(0, dtype)
    rm_g, rv_g = dev(rm_c), dev(rv_c)
    rm_c, rv_c = rm_c.copy(), rv_c.copy()
    y_c, mean_c, rstd_c = C.batch_norm_forward_train(x, w, b, rm_c, rv_c, 0.1, 1e-5, update)
    y_g, mean_g, rstd_g = G.batch_norm_forward_train(dev(x), dev(w), dev(b), rm_g, rv_g, 0.1, 1e-5, update)
    _check(y_g, y_c, dtype)
    assert mean_g.dtype == np.float64 and rstd_g.dtype == np.float64 and mean_g.shape == (c,)
    np.testing.assert_allclose(host(mean_g), mean_c, **tol(dtype))
    np.testing.assert_allclose(host(rstd_g), rstd_c, **tol(dtype))
    _check(rm_g, rm_c, dtype)          # updated in place (or left empty) as on the CPU
    _check(rv_g, rv_c, dtype)
    dx_c, dw_c, db_c = C.batch_norm_backward(g, x, w, mean_c, rstd_c, True)
    dx_g, dw_g, db_g = G.batch_norm_backward(dev(g), dev(x), dev(w), mean_g, rstd_g, True)
    _check(dx_g, dx_c, dtype)
    _check(dw_g, dw_c, dtype)
    _check(db_g, db_c, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(6, 5), (70, 3)])
@pytest.mark.parametrize("stats_dtype", [np.float32, np.float64])
def test_batch_norm_eval_matches_cpu(shape, dtype, stats_dtype):
    c = shape[1]
    x = rand(shape, dtype, seed=6, scale=3.0)
    g = rand(shape, dtype, seed=7)
    w, b = _params(c, dtype, True)
    rm = rand(c, stats_dtype, seed=8)
    rv = np.abs(rand(c, stats_dtype, seed=9)) + 0.5
    y_c, mean_c, rstd_c = C.batch_norm_forward_eval(x, w, b, rm, rv, 1e-5)
    rm_g, rv_g = dev(rm), dev(rv)
    y_g, mean_g, rstd_g = G.batch_norm_forward_eval(dev(x), dev(w), dev(b), rm_g, rv_g, 1e-5)
    _check(y_g, y_c, dtype)
    assert mean_g.dtype == np.float64 and rstd_g.dtype == np.float64
    np.testing.assert_allclose(host(mean_g), mean_c, **tol(dtype))
    np.testing.assert_allclose(host(rstd_g), rstd_c, **tol(dtype))
    np.testing.assert_array_equal(host(rm_g), rm)      # eval leaves the running statistics alone
    np.testing.assert_array_equal(host(rv_g), rv)
    for training in (False, True):
        dx_c, dw_c, db_c = C.batch_norm_backward(g, x, w, mean_c, rstd_c, training)
        dx_g, dw_g, db_g = G.batch_norm_backward(dev(g), dev(x), dev(w), mean_g, rstd_g, training)
        _check(dx_g, dx_c, dtype)
        _check(dw_g, dw_c, dtype)
        _check(db_g, db_c, dtype)


def test_batch_norm_eval_no_rows():
    x = np.zeros((0, 3), np.float32)
    w, b = _params(3, np.float32, True)
    rm, rv = np.zeros(3, np.float32), np.ones(3, np.float32)
    y, mean, rstd = G.batch_norm_forward_eval(dev(x), dev(w), dev(b), dev(rm), dev(rv), 1e-5)
    assert y.shape == (0, 3)
    np.testing.assert_allclose(host(rstd), 1 / np.sqrt(1 + 1e-5))
    dx, dw, db = G.batch_norm_backward(dev(x), dev(x), dev(w), mean, rstd, False)
    assert dx.shape == (0, 3) and dw.dtype == np.float32
    np.testing.assert_array_equal(host(dw), 0)
    np.testing.assert_array_equal(host(db), 0)


def test_column_sums_do_not_depend_on_launch_shape(monkeypatch):
    """The partial sums follow fixed chunks of rows: the same bits with fewer blocks."""
    from tinygradnb.kernels.cuda import _launch
    x = rand((40, 5), np.float32, seed=1)
    g = rand((40, 5), np.float32, seed=2)
    w, b = _params(5, np.float32, True)
    _, mean, rstd = G.layer_norm_forward(dev(x), dev(w), dev(b), 1e-5)
    ref = host(G.layer_norm_backward(dev(g), dev(x), dev(w), mean, rstd))
    monkeypatch.setattr(_launch, "MAX_BLOCKS", 1)
    got = host(G.layer_norm_backward(dev(g), dev(x), dev(w), mean, rstd))
    for a, r in zip(got, ref):
        np.testing.assert_array_equal(a, r)


# ----------------------------------------------------------------------------- the op layer on the device
_X = [[1.0, 2.0, 0.0], [3.0, 6.0, 1.0], [5.0, 1.0, 2.0], [7.0, 3.0, 5.0]]


def test_batch_norm_op_strided_expanded_and_empty_on_the_device():
    """The op layer's handling of strided/expanded running statistics and parameters and of empty batches
    (validation above the device seam) gives the CPU's results on the device."""
    import tinygradnb as tg
    import tinygradnb.nn.functional as F
    out = {}
    for d in ("cpu", "cuda"):
        rm, rv = tg.zeros(6, device=d)[::2], tg.ones(6, device=d)[::2]
        w = tg.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], device=d)[::2]
        x = tg.tensor(np.array(_X, np.float32).T.copy(), device=d).T
        y = F.batch_norm(x, rm, rv, weight=w, bias=tg.zeros(1, device=d).expand(3), training=True, momentum=0.5)
        ye = F.batch_norm(x, tg.zeros(1, device=d).expand(3), tg.ones(1, device=d).expand(3), training=False)
        yl = F.layer_norm(x, 3, weight=w, bias=tg.ones(1, device=d).expand(3))
        out[d] = [a.numpy() for a in (y, rm, rv, ye, yl)]
        rm, rv = tg.zeros(3, device=d), tg.ones(3, device=d)
        assert F.batch_norm(tg.zeros(0, 3, device=d), rm, rv, training=True).shape == (0, 3)
        assert rm.tolist() == [0.0] * 3 and rv.tolist() == [1.0] * 3
    for got, want in zip(out["cuda"], out["cpu"]):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)
    # An expanded running statistic shares one memory location on the CPU, where training cannot update it in
    # place (RuntimeError, as PyTorch for in-place writes into expanded tensors); the CUDA backend materialises
    # expand, so there the tensor owns its elements and is updated.
    with pytest.raises(RuntimeError, match="batch_norm: running_mean is an expanded"):
        F.batch_norm(tg.tensor(_X), tg.zeros(1).expand(3), tg.ones(3), training=True)
    rm = tg.zeros(1, device="cuda").expand(3)
    F.batch_norm(tg.tensor(_X, device="cuda"), rm, tg.ones(3, device="cuda"), training=True, momentum=1.0)
    np.testing.assert_allclose(rm.numpy(), np.mean(_X, axis=0), rtol=1e-6)


def test_mixed_dtypes_raise_on_the_device_as_on_the_cpu():
    """torch 2.13: layer_norm and batch_norm with a float64 parameter or running statistic and a float32 input raise
    RuntimeError; rms_norm takes the weight and returns the input's dtype. The check sits above the device seam."""
    import tinygradnb as tg
    import tinygradnb.nn.functional as F
    x = tg.tensor(_X, device="cuda")
    w64 = tg.ones(3, dtype=tg.float64, device="cuda")
    with pytest.raises(RuntimeError, match="layer_norm: weight has dtype float64 but the input has dtype float32"):
        F.layer_norm(x, 3, w64)
    rm, rv = tg.zeros(3, dtype=tg.float64, device="cuda"), tg.ones(3, dtype=tg.float64, device="cuda")
    with pytest.raises(RuntimeError, match="batch_norm: running_mean has dtype float64 but the input has dtype"):
        F.batch_norm(x, rm, rv, training=True)
    assert rm.tolist() == [0.0] * 3
    y = F.rms_norm(x, 3, w64)
    assert y.dtype == tg.float32 and y.device == x.device
    np.testing.assert_allclose(y.numpy(), F.rms_norm(tg.tensor(_X), 3, tg.ones(3, dtype=tg.float64)).numpy(),
                               rtol=1e-6)
