"""Forward and backward on any device against a NumPy float64 reference.

``tg.gradcheck`` runs the op twice per input element; under Numba's CUDA simulator each run costs tens of
milliseconds, so a gradcheck of a composite op takes seconds there. ``check_grad`` runs the op once forward and once
backward on the device and compares the gradient with central differences of the NumPy reference (computed on the
host, cheap): as strict a check of the backward pass, at the price of one backward.
"""
import numpy as np

import tinygradnb as tg


def _tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def numeric_vjp(np_fn, arrays, cotangents, eps=1e-6):
    """Central differences of Σ_o ⟨cotangent_o, np_fn(*arrays)_o⟩ with respect to each of ``arrays`` (float64)."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]

    def project():
        outs = _tuple(np_fn(*arrays))
        return sum(float(np.sum(c * np.asarray(o, dtype=np.float64))) for c, o in zip(cotangents, outs))

    grads = []
    for a in arrays:
        d = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            old = a[i]
            a[i] = old + eps
            plus = project()
            a[i] = old - eps
            minus = project()
            a[i] = old
            d[i] = (plus - minus) / (2 * eps)
        grads.append(d)
    return grads


def check_grad(tg_fn, np_fn, arrays, device="cpu", dtype="float64", rtol=1e-6, atol=1e-8, seed=0):
    """``tg_fn(*tensors)`` on ``device`` (tensors of ``dtype`` that require grad, made from ``arrays``) must equal
    ``np_fn(*arrays)`` (NumPy float64; a tuple of outputs for a tuple), and its gradients under random cotangents
    the central differences of ``np_fn``. Tolerances are for float64; float32 gets at least rtol=atol=1e-4.
    Returns the outputs and the inputs (tuples of Tensors; the inputs hold their ``.grad``)."""
    if np.dtype(dtype) == np.float32:
        rtol, atol = max(rtol, 1e-4), max(atol, 1e-4)
    tensors = [tg.tensor(np.asarray(a), dtype=dtype, device=device, requires_grad=True) for a in arrays]
    outs = _tuple(tg_fn(*tensors))
    refs = [np.asarray(r, dtype=np.float64) for r in _tuple(np_fn(*[np.asarray(a, np.float64) for a in arrays]))]
    assert len(outs) == len(refs)
    rng = np.random.default_rng(seed)
    cots = [rng.standard_normal(r.shape) for r in refs]
    loss = None
    for o, r, c in zip(outs, refs, cots):
        assert o.dtype == dtype and o.device == device and tuple(o.shape) == r.shape, (o.dtype, o.device, o.shape)
        np.testing.assert_allclose(o.numpy(), r, rtol=rtol, atol=atol)
        if len(outs) > 1:
            term = (o * tg.tensor(c, dtype=dtype, device=device)).sum()
            loss = term if loss is None else loss + term
    if loss is None:
        outs[0].backward(tg.tensor(cots[0], dtype=dtype, device=device))
    else:
        loss.backward()
    for i, (t, want) in enumerate(zip(tensors, numeric_vjp(np_fn, arrays, cots))):
        got = np.zeros(want.shape) if t.grad is None else t.grad.numpy()
        assert t.grad is None or (t.grad.dtype == dtype and t.grad.device == device)
        np.testing.assert_allclose(got, want, rtol=max(rtol, 1e-6), atol=max(atol, 1e-7),
                                   err_msg=f"gradient of input {i}")
    return outs, tuple(tensors)
