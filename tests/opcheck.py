"""The one helper most op tests need: forward against a NumPy float64 reference, float32 forward, and a
float64 finite-difference gradient check."""
import numpy as np

import tinygradnb as tg


def inputs(shapes, seed=0, positive=False, low=-2.0, high=2.0):
    rng = np.random.default_rng(seed)
    if positive:
        low, high = 0.5, 2.0
    return [rng.uniform(low, high, size=s) for s in shapes]


def check_op(tg_fn, np_fn, *shapes, positive=False, grad=True, rtol32=1e-5, atol32=1e-5, arrays=None, seed=0,
             device="cpu"):
    """tg_fn(*tensors) on ``device`` must equal np_fn(*arrays) in float64 and float32, and pass gradcheck in
    float64: element by element on the CPU, along a random direction (``fast_mode``) elsewhere, where each
    evaluation launches kernels (under the simulator, a thread per CUDA thread)."""
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
        assert tg.gradcheck(tg_fn, [tg.tensor(a, device=device, requires_grad=True) for a in arrays],
                            fast_mode=device != "cpu")
    return out
