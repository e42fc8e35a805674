"""``torch.autograd`` in small: ``grad``, ``backward``, ``Variable`` and ``Function`` for custom ops.

A custom op subclasses ``Function`` with static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` over
Tensors, as in PyTorch: ``forward`` runs without recording a graph, may ``ctx.save_for_backward`` tensors (read
back through ``ctx.saved_tensors``, which refuses tensors changed in place since) and ``mark_non_differentiable``
outputs; ``backward`` returns one gradient (or None) per argument of ``forward``. ``Function.apply`` records the
op as one node of tinygradnb's graph (``_Custom``), so ``grad``, ``backward``, in-place checks and ``no_grad``
treat it like a built-in op.
"""
from .tensor import Function as _Op, Tensor, is_grad_enabled, no_grad, run_backward

__all__ = ["grad", "backward", "Variable", "Function", "FunctionCtx"]


def _as_list(x, name):
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return list(x)
    raise TypeError(f"{name}: expected a Tensor or a sequence of Tensors, got {type(x).__name__}")


def _grads_for(outputs, grad_outputs):
    if grad_outputs is None:
        return [None] * len(outputs)
    grads = _as_list(grad_outputs, "grad_outputs") if not isinstance(grad_outputs, Tensor) else [grad_outputs]
    if len(grads) != len(outputs):
        raise RuntimeError(f"grad_outputs: got {len(grads)} gradients for {len(outputs)} outputs")
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` (seeded with ``grad_tensors``) into the leaves' ``.grad`` in one
    pass, as ``torch.autograd.backward``."""
    tensors = _as_list(tensors, "tensors")
    inputs = None if inputs is None else _as_list(inputs, "inputs")
    run_backward(tensors, _grads_for(tensors, grad_tensors), retain_graph, create_graph, inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs`` (leaves or not) as a tuple, without touching any
    ``.grad``, as ``torch.autograd.grad``. An input no gradient reaches is an error unless ``allow_unused``
    (then None, or zeros with ``materialize_grads``)."""
    outputs = _as_list(outputs, "outputs")
    inputs = _as_list(inputs, "inputs")
    got = run_backward(outputs, _grads_for(outputs, grad_outputs), retain_graph, create_graph, inputs,
                       accumulate=False)
    if materialize_grads:
        allow_unused = True
    out = []
    for k, (x, g) in enumerate(zip(inputs, got)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"grad: inputs[{k}] was not used in the graph of the outputs; pass "
                                   f"allow_unused=True if this is intended")
            if materialize_grads:
                from .creation import zeros_like
                g = zeros_like(x)
        out.append(g)
    return tuple(out)


def Variable(data, requires_grad=False):
    """The legacy wrapper of old PyTorch code: the tensor itself (with ``requires_grad`` set when asked)."""
    if not isinstance(data, Tensor):
        raise TypeError(f"Variable: data must be a Tensor, got {type(data).__name__}")
    if requires_grad:
        data.requires_grad_(True)
    return data


class FunctionCtx:
    """The ``ctx`` of a custom ``Function``: what ``forward`` leaves for ``backward``."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self._saved = ()
        self._non_diff = set()
        self.materialize_grads = True

    def save_for_backward(self, *tensors):
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward: argument {i} must be a Tensor or None, got "
                                f"{type(t).__name__}")
        self._saved = tuple((t, None if t is None else t._vc, None if t is None else t._vc[0]) for t in tensors)

    @property
    def saved_tensors(self):
        """The saved tensors; ``RuntimeError`` if one was changed in place after it was saved (as PyTorch)."""
        for i, (t, vc, v) in enumerate(self._saved):
            if t is not None and vc[0] != v:
                raise RuntimeError(f"one of the variables needed for gradient computation has been modified by an "
                                   f"inplace operation: saved tensor {i} is at version {vc[0]}; expected version "
                                   f"{v} instead")
        return tuple(t for t, _, _ in self._saved)

    def mark_non_differentiable(self, *tensors):
        self._non_diff.update(id(t) for t in tensors)

    def set_materialize_grads(self, value):
        """Whether ``backward`` receives zeros (True, the default) or None for outputs no gradient reached."""
        self.materialize_grads = bool(value)


class _Custom(_Op):
    """The graph node of a custom ``Function``: its outputs were computed by the user's ``forward``; its
    ``backward`` calls the user's ``backward`` on Tensors and hands back the arrays of the tensor arguments."""
    saves_inputs, saves_output = (), False      # the user's ctx guards what it saves

    def forward(self, *arrays, fn, ctx, outs, positions):
        self.fn, self.ctx, self.positions = fn, ctx, positions
        self.shapes = [(o.shape, o.dtype, o.device) for o in outs]
        return tuple(o._data for o in outs) if len(outs) > 1 else outs[0]._data

    def name(self):
        return self.fn.__name__ + "Backward"          # as PyTorch names a custom Function's node

    def backward(self, *grads):
        ctx = self.ctx
        gs = []
        for g, (shape, dtype, dev) in zip(grads, self.shapes):
            if g is None and ctx.materialize_grads:
                g = self.b.zeros(shape, dtype)
            gs.append(None if g is None else Tensor._wrap(g, dev, False, None))
        with no_grad():
            result = self.fn.backward(ctx, *gs)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) < max(self.positions, default=-1) + 1:
            raise RuntimeError(f"{self.fn.__name__}.backward returned {len(result)} gradients; expected one per "
                               f"argument of forward")
        out = []
        for k, p in enumerate(self.positions):
            g = result[p]
            if g is None:
                out.append(None)
                continue
            if not isinstance(g, Tensor):
                raise TypeError(f"{self.fn.__name__}.backward: gradient {p} must be a Tensor or None, got "
                                f"{type(g).__name__}")
            x = self.inputs[k]
            if g.shape != x.shape:
                raise RuntimeError(f"{self.fn.__name__}.backward: gradient {p} has shape {tuple(g.shape)}, its "
                                   f"input {tuple(x.shape)}")
            out.append(g._data if g.dtype == x.dtype else self.b.astype(g._data, x.dtype))
        return tuple(out)


class Function:
    """Base class of custom differentiable ops (``torch.autograd.Function``): define static
    ``forward(ctx, *args, **kwargs)`` and ``backward(ctx, *grad_outputs)``, call ``YourOp.apply(*args)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise RuntimeError("a custom Function must define a static forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise RuntimeError("a custom Function must define a static backward(ctx, *grad_outputs) to be "
                           "differentiated")

    @classmethod
    def apply(cls, *args, **kwargs):
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
        with no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        outs = result if isinstance(result, tuple) else (result,)
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                raise TypeError(f"{cls.__name__}.forward must return a Tensor or a tuple of Tensors; output {i} is "
                                f"{type(o).__name__}")
        inputs = [args[i] for i in positions]
        if not (is_grad_enabled() and any(t.requires_grad for t in inputs)):
            return result
        wrapped = _Custom.apply(*inputs, fn=cls, ctx=ctx, outs=outs, positions=positions)
        wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
        for o, w in zip(outs, wrapped):
            w._vc = o._vc                      # the same memory as the tensor forward returned
            if id(o) in ctx._non_diff or o.dtype.kind != "f":
                w.requires_grad, w._ctx = False, None
        return wrapped if isinstance(result, tuple) else wrapped[0]
