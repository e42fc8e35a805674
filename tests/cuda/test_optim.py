"""CUDA optimizer kernels (SGD, Adam/AdamW, the clipping norms, factor and scaling) against their CPU twins, and
clip_grad_norm_ on ``cuda`` tensors: the same clipping as on the CPU, without a device→host copy."""
import math

import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb import nn
from tinygradnb.kernels import cpu as C
from tinygradnb.kernels.cuda import optim as G
from tinygradnb.utils import clip_grad_norm_

from conftest import dev, host, rand, tol

DTYPES = [np.float32, np.float64]
N = 301     # more elements than the simulator's 2 blocks × 16 threads: the grid-stride loops run


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


# 0 (empty), shorter than the threads of a block, several elements per thread, and more than one CHUNK
# (256 elements under the simulator), which takes a second pass over the partials
SIZES = [0, 1, 5, 301, 1500]
ORDS = [2.0, math.inf, 3.0, 0.5, 1.0]


def _partial(a, ord, kernels, to_dev):
    """grad_norm_partial of ``a`` into entry 1 of a 3-entry float64 array (the other entries must stay)."""
    out = to_dev(np.full(3, -7.0))
    assert kernels.grad_norm_partial(to_dev(a), ord, out, 1) is None
    out = host(out)
    assert out[0] == out[2] == -7.0
    return out[1]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("ord", ORDS)
def test_grad_norm_partial_matches_cpu(n, dtype, ord):
    a = rand(n, dtype, seed=3, scale=2.0)
    got = _partial(a, ord, G, dev)
    want = _partial(a, ord, C, lambda x: x)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)   # float64 sums of the same values
    if n == 0:
        assert got == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_grad_norm_partial_nan_and_inf(dtype):
    a = rand(1500, dtype, seed=4)
    a[700] = np.inf
    for ord in ORDS:
        assert _partial(a, ord, G, dev) == math.inf == _partial(a, ord, C, lambda x: x)
    for pos in (0, 31, 700, 1499):            # NaN anywhere (first pass, any block, the last chunk) wins
        b = a.copy()
        b[pos] = np.nan
        for ord in ORDS:
            assert math.isnan(_partial(b, ord, G, dev)) and math.isnan(_partial(b, ord, C, lambda x: x))
    b = -np.abs(a)
    b[900] = -np.inf
    assert _partial(b, math.inf, G, dev) == math.inf


def test_grad_norm_partial_does_not_depend_on_launch_shape(monkeypatch):
    from tinygradnb.kernels.cuda import _launch
    a = rand(1500, np.float32, seed=5)
    ref = [_partial(a, ord, G, dev) for ord in ORDS]
    monkeypatch.setattr(_launch, "MAX_BLOCKS", 1)
    assert [_partial(a, ord, G, dev) for ord in ORDS] == ref


def _coef(partials, ord, max_norm, kernels, to_dev):
    out = to_dev(np.full(2, -1.0))
    assert kernels.clip_coef(to_dev(partials), ord, max_norm, out) is None
    return host(out)


@pytest.mark.parametrize("n", [1, 3, 40])      # 40 > the simulator's 16 threads: threads take several partials
@pytest.mark.parametrize("ord", ORDS)
def test_clip_coef_matches_cpu(n, ord):
    partials = np.abs(rand(n, np.float64, seed=7, scale=10.0))
    for max_norm in (0.0, 1.0, 1e9):
        got = _coef(partials, ord, max_norm, G, dev)
        want = _coef(partials, ord, max_norm, C, lambda x: x)
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)


@pytest.mark.parametrize("ord", ORDS)
def test_clip_coef_nan_and_inf(ord):
    for bad in ([1.0, np.nan, 3.0], [np.nan, np.inf], [np.inf, np.nan], [2.0] * 30 + [np.nan]):
        got = _coef(np.array(bad), ord, 1.0, G, dev)
        assert math.isnan(got[0]) and math.isnan(got[1])
    got = _coef(np.array([1.0, np.inf, 3.0]), ord, 1.0, G, dev)
    assert got[0] == math.inf and got[1] == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [0, 5, 301])
def test_clip_scale_matches_cpu(n, dtype):
    a0 = rand(n, dtype, seed=6)
    for c in (1.0, 2.5, math.inf, 0.3172, 0.0, math.nan):
        coef = np.array([123.0, c])
        a = a0.copy()
        d = dev(a0)
        C.clip_scale_(a, coef)
        assert G.clip_scale_(d, dev(coef)) is None
        np.testing.assert_array_equal(host(d), a)        # the same float64 product, rounded to a's dtype
        if c >= 1.0:
            np.testing.assert_array_equal(host(d), a0)   # untouched


# ---------------------------------------------------------------------------------------------------- clip_grad_norm_
def _model_grads(device, dtype, scale):
    shapes = [(7, 5), (5,), (1500,), (3, 4, 2)]
    ps = []
    for i, shape in enumerate(shapes):
        p = nn.Parameter(tg.zeros(*shape, dtype=dtype, device=device))
        p.grad = tg.tensor(rand(shape, dtype, seed=30 + i, scale=scale), device=device)
        ps.append(p)
    return ps


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ord", [2.0, math.inf, 3.0])
@pytest.mark.parametrize("max_norm", [1.0, 1e9])
def test_clip_grad_norm_on_cuda_matches_cpu(dtype, ord, max_norm):
    cpu = _model_grads("cpu", dtype, 3.0)
    gpu = _model_grads("cuda", dtype, 3.0)
    want = clip_grad_norm_(cpu, max_norm, norm_type=ord)
    got = clip_grad_norm_(gpu, max_norm, norm_type=ord)
    assert got.device == "cuda" and got.shape == () and got.dtype == np.dtype(dtype) and not got.requires_grad
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-12 if dtype == np.float64 else 1e-7)
    for p, q in zip(gpu, cpu):
        assert p.grad.device == "cuda"
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), **tol(dtype))


def test_clip_grad_norm_on_cuda_edge_cases():
    p = nn.Parameter(tg.ones(3, device="cuda"))
    assert clip_grad_norm_([p], 1.0).item() == 0.0      # no gradients: tensor(0.) on the CPU, as PyTorch
    p.grad = tg.tensor([np.inf, 1.0, 0.0], device="cuda")
    with pytest.raises(RuntimeError, match="total norm .* is inf"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(p.grad.numpy(), [np.inf, 1.0, 0.0])
    p.grad = tg.tensor([np.nan, 1.0, 0.0], device="cuda")
    assert math.isnan(clip_grad_norm_([p], 1.0).item()) and np.isnan(p.grad.numpy()).all()
    q = nn.Parameter(tg.ones(2))
    q.grad = tg.ones(2)
    p.grad = tg.ones(3, device="cuda")
    with pytest.raises(ValueError, match="one device, got 'cuda' and 'cpu'"):
        clip_grad_norm_([p, q], 1.0)


def test_clip_grad_norm_on_cuda_copies_nothing_to_the_host(monkeypatch):
    """The whole clipping (norms, factor, scaling, the returned norm) stays on the device: no to_numpy, no
    copy_to_host. Only reading the returned norm copies it."""
    from numba import config

    from tinygradnb.device import backend
    if config.ENABLE_CUDASIM:
        from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray as DeviceArray
    else:
        from numba.cuda.cudadrv.devicearray import DeviceNDArray as DeviceArray
    b = backend("cuda")
    ps = _model_grads("cuda", np.float32, 3.0)
    calls = []
    to_numpy, copy_to_host = b.to_numpy, DeviceArray.copy_to_host

    def counting_to_numpy(a):
        calls.append("to_numpy")
        return to_numpy(a)

    def counting_copy_to_host(self, *args, **kwargs):
        calls.append("copy_to_host")
        return copy_to_host(self, *args, **kwargs)

    monkeypatch.setattr(b, "to_numpy", counting_to_numpy)
    monkeypatch.setattr(DeviceArray, "copy_to_host", counting_copy_to_host)
    for ord in (2.0, math.inf, 3.0):
        for max_norm in (1.0, 1e9):
            norm = clip_grad_norm_(ps, max_norm, norm_type=ord)
            assert calls == [], calls
            assert norm.device == "cuda"
    norm.item()                                          # reading the value is the (one) copy
    assert calls
    calls.clear()
    clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)    # the check reads the norm on the host, as PyTorch
    assert calls
