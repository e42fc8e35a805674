"""CUDA optimizer kernels (SGD, Adam/AdamW, the clipping norms and scaling) against their CPU twins."""
import math

import numpy as np
import pytest

from tinygradnb.kernels import cpu as C
from tinygradnb.kernels.cuda import optim as G

from conftest import dev, host, rand, tol

DTYPES = [np.float32, np.float64]
N = 301     # more elements than the simulator's 4 blocks × 32 threads: the grid-stride loops run


def _same(got_dev, want, dtype):
    got = host(got_dev)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, **tol(dtype))


SGD_CASES = [  # momentum, dampening, weight_decay, nesterov
    (0.0, 0.0, 0.0, False),
    (0.0, 0.0, 0.01, False),
    (0.9, 0.0, 0.0, False),
    (0.9, 0.1, 0.01, False),
    (0.9, 0.0, 0.01, True),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum,dampening,weight_decay,nesterov", SGD_CASES)
def test_sgd_matches_cpu(momentum, dampening, weight_decay, nesterov, dtype):
    p_c = rand(N, dtype, seed=1)
    p_g = dev(p_c)
    buf_c = np.zeros(N, dtype)
    buf_g = dev(buf_c)
    for step in range(3):
        g_c = rand(N, dtype, seed=10 + step)
        g_g = dev(g_c)
        first = step == 0
        if momentum == 0:      # as the optimizer: the gradient stands in for the unused buffer
            bc, bg = g_c, g_g
        else:
            bc, bg = buf_c, buf_g
        C.sgd_step_(p_c, g_c, bc, 0.05, momentum, dampening, weight_decay, nesterov, first)
        assert G.sgd_step_(p_g, g_g, bg, 0.05, momentum, dampening, weight_decay, nesterov, first) is None
        _same(p_g, p_c, dtype)
        _same(buf_g, buf_c, dtype)
        np.testing.assert_array_equal(host(g_g), g_c)    # the gradient is never written


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("decoupled", [False, True])
@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_adam_matches_cpu(decoupled, weight_decay, dtype):
    p_c = rand(N, dtype, seed=2)
    p_g = dev(p_c)
    m_c, v_c = np.zeros(N, dtype), np.zeros(N, dtype)
    m_g, v_g = dev(m_c), dev(v_c)
    for step in range(1, 4):
        g_c = rand(N, dtype, seed=20 + step)
        g_g = dev(g_c)
        C.adam_step_(p_c, g_c, m_c, v_c, 1e-2, 0.9, 0.999, 1e-8, weight_decay, step, decoupled)
        assert G.adam_step_(p_g, g_g, m_g, v_g, 1e-2, 0.9, 0.999, 1e-8, weight_decay, step, decoupled) is None
        _same(p_g, p_c, dtype)
        _same(m_g, m_c, dtype)
        _same(v_g, v_c, dtype)
        np.testing.assert_array_equal(host(g_g), g_c)


# 0 (empty), shorter than the 32 threads of a block, several elements per thread, and more than one CHUNK
# (512 elements under the simulator), which takes a second pass over the partials
SIZES = [0, 1, 5, 301, 1500]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_norm_reductions_match_cpu(n, dtype):
    a = rand(n, dtype, seed=3, scale=2.0)
    d = dev(a)
    for got, want in [(G.sum_squares(d), C.sum_squares(a)), (G.sum_abs_pow(d, 3.0), C.sum_abs_pow(a, 3.0)),
                      (G.sum_abs_pow(d, 0.5), C.sum_abs_pow(a, 0.5)), (G.max_abs(d), C.max_abs(a))]:
        assert type(got) is float
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)   # float64 sums of the same values
    if n == 0:
        assert G.sum_squares(d) == 0.0 and G.max_abs(d) == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions_nan_and_inf(dtype):
    a = rand(1500, dtype, seed=4)
    a[700] = np.inf
    assert G.max_abs(dev(a)) == math.inf == C.max_abs(a)
    assert G.sum_squares(dev(a)) == math.inf
    for pos in (0, 31, 700, 1499):            # NaN anywhere (first pass, any block, the last chunk) wins
        b = a.copy()
        b[pos] = np.nan
        assert math.isnan(G.max_abs(dev(b))) and math.isnan(C.max_abs(b))
        assert math.isnan(G.sum_squares(dev(b))) and math.isnan(G.sum_abs_pow(dev(b), 1.0))
    b = -np.abs(a)
    b[900] = -np.inf
    assert G.max_abs(dev(b)) == math.inf


def test_reductions_do_not_depend_on_launch_shape(monkeypatch):
    from tinygradnb.kernels.cuda import _launch
    a = dev(rand(1500, np.float32, seed=5))
    ref = (G.sum_squares(a), G.sum_abs_pow(a, 1.5))
    monkeypatch.setattr(_launch, "MAX_BLOCKS", 1)
    assert (G.sum_squares(a), G.sum_abs_pow(a, 1.5)) == ref


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [0, 5, 301])
def test_scale_matches_cpu(n, dtype):
    a = rand(n, dtype, seed=6)
    d = dev(a)
    c = 0.3172
    C.scale_(a, c)
    assert G.scale_(d, c) is None
    _same(d, a, dtype)
