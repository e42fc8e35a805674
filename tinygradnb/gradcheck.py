"""Finite-difference gradient checking in float64."""
import numpy as np

from .tensor import Tensor, float64


class GradcheckError(AssertionError):
    """The analytic gradient of a function disagrees with its finite-difference estimate."""


def _outputs(out):
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.kind == "f"]


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, fast_mode=False):
    """Check ``fn``'s backward against central differences at ``inputs``; return True or raise GradcheckError.

    ``inputs`` is a Tensor or a sequence of arguments; the Tensors among them with ``requires_grad`` (which must
    be float64) are checked. With a fixed random cotangent v for each output, the analytic vector–Jacobian
    product Jᵀv from ``backward`` is compared element by element with
    (⟨v, f(x + ε·eᵢ)⟩ − ⟨v, f(x − ε·eᵢ)⟩) / 2ε, within ``atol + rtol·|numeric|``: two evaluations of ``fn`` per
    input element.

    ``fast_mode=True`` (as ``torch.autograd.gradcheck``'s) checks one random direction u over all checked inputs
    instead: ⟨Jᵀv, u⟩ against (⟨v, f(x + ε·u)⟩ − ⟨v, f(x − ε·u)⟩) / 2ε, two evaluations in all. A wrong
    gradient passes only if its error is orthogonal to u, which a random u makes improbable.
    """
    args = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    checked = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")
    for i in checked:
        if args[i].dtype != float64:
            raise TypeError(f"gradcheck: inputs[{i}] must be float64 for finite differences, got {args[i].dtype}")
    host = {i: np.array(args[i].numpy(), dtype=np.float64) for i in checked}
    device = {i: args[i].device for i in checked}

    def call(values, grad):
        xs = list(args)
        for i in checked:
            xs[i] = Tensor._from(values[i], device=device[i], requires_grad=grad)
        return xs, _outputs(fn(*xs))

    xs, outs = call(host, True)
    if not outs:
        raise ValueError("gradcheck: fn returned no floating-point Tensor")
    rng = np.random.default_rng(seed)
    vs = [rng.standard_normal(o.shape) for o in outs]

    def project(outs):
        return sum(float(np.sum(np.asarray(o.numpy(), dtype=np.float64) * v)) for o, v in zip(outs, vs))

    loss = None
    for o, v in zip(outs, vs):
        if o.requires_grad:
            term = (o * Tensor._from(v.astype(o.dtype), device=o.device)).sum()
            loss = term if loss is None else loss + term
    analytic = {}
    if loss is not None:
        loss.backward()
    for i in checked:
        g = xs[i].grad
        analytic[i] = np.zeros_like(host[i]) if g is None else np.asarray(g.numpy(), dtype=np.float64)
        if analytic[i].shape != host[i].shape:
            raise GradcheckError(f"gradcheck: inputs[{i}] has shape {host[i].shape} but its gradient has shape "
                                 f"{analytic[i].shape}")

    if fast_mode:
        us = {i: rng.standard_normal(host[i].shape) for i in checked}
        plus = project(call({i: host[i] + eps * us[i] for i in checked}, False)[1])
        minus = project(call({i: host[i] - eps * us[i] for i in checked}, False)[1])
        numeric = (plus - minus) / (2 * eps)
        analytic_u = sum(float(np.sum(analytic[i] * us[i])) for i in checked)
        if abs(analytic_u - numeric) > atol + rtol * abs(numeric):
            raise GradcheckError(f"gradcheck (fast mode): the gradient along a random direction is {analytic_u!r} "
                                 f"by backward but {numeric!r} by finite differences (atol={atol}, rtol={rtol})")
        return True
    for i in checked:
        numeric = np.zeros_like(host[i])
        flat = host[i].reshape(-1)
        for j in range(flat.size):
            old = flat[j]
            flat[j] = old + eps
            plus = project(call(host, False)[1])
            flat[j] = old - eps
            minus = project(call(host, False)[1])
            flat[j] = old
            numeric.reshape(-1)[j] = (plus - minus) / (2 * eps)
        err = np.abs(analytic[i] - numeric)
        bad = err > atol + rtol * np.abs(numeric)
        if bad.any():
            k = np.unravel_index(np.argmax(np.where(bad, err, -1)), numeric.shape) if numeric.ndim else ()
            raise GradcheckError(f"gradcheck: inputs[{i}] (shape {host[i].shape}) gradient mismatch at index {k}: "
                                 f"analytic {analytic[i][k]!r}, numeric {numeric[k]!r}; {int(bad.sum())} of "
                                 f"{bad.size} elements outside atol={atol}, rtol={rtol}")
    return True
