"""The helpers most op tests need: forward against a NumPy float64 reference in float64 and float32, and the
float64 gradient, on any device."""
import numpy as np

import tinygradnb as tg
from refgrad import check_grad


def inputs(shapes, seed=0, positive=False, low=-2.0, high=2.0):
    rng = np.random.default_rng(seed)
    if positive:
        low, high = 0.5, 2.0
    return [rng.uniform(low, high, size=s) for s in shapes]


def on(device, cpu, cuda):
    """The case a test runs on the cpu, or the smaller one it runs on another device (the CUDA simulator runs
    each CUDA thread as a Python thread)."""
    return cpu if device == "cpu" else cuda


def grad_ok(tg_fn, np_fn, arrays, device):
    """tg_fn's float64 gradient at ``arrays`` is right: by ``tg.gradcheck`` on the cpu; on another device against
    central differences of the NumPy reference ``np_fn`` (refgrad.check_grad: one backward pass on the device
    instead of gradcheck's 2N forward passes, each of which launches kernels)."""
    if device == "cpu":
        return tg.gradcheck(tg_fn, [tg.tensor(a, requires_grad=True) for a in arrays])
    check_grad(tg_fn, np_fn, arrays, device=device, rtol=1e-10, atol=1e-12)
    return True


def check_op(tg_fn, np_fn, *shapes, positive=False, grad=True, rtol32=1e-5, atol32=1e-5, arrays=None, seed=0,
             device="cpu"):
    """tg_fn(*tensors) on ``device`` must equal np_fn(*arrays) in float64 and float32, and its float64 gradient
    must be right (``grad_ok``)."""
    arrays = arrays if arrays is not None else inputs(shapes, seed=seed, positive=positive)
    ref = np.asarray(np_fn(*arrays), dtype=np.float64)
    out = tg_fn(*[tg.tensor(a, device=device) for a in arrays])
    assert out.dtype == tg.float64, out.dtype
    assert out.device == device, out.device
    assert out.shape == ref.shape, (out.shape, ref.shape)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-12)
    out32 = tg_fn(*[tg.tensor(a.astype(np.float32), device=device) for a in arrays])
    assert out32.dtype == tg.float32, out32.dtype
    np.testing.assert_allclose(out32.numpy(), ref, rtol=rtol32, atol=atol32)
    if grad:
        assert grad_ok(tg_fn, np_fn, arrays, device)
    return out
