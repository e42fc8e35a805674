"""Optimizers (``torch.optim`` in small): the ``Optimizer`` base with parameter groups and state dicts, and SGD,
Adam and AdamW.

Each step calls one fused in-place multi-tensor kernel (``sgd_step_``, ``adam_step_``) per parameter group,
device and dtype (and per step count, where parameters of one group have taken different numbers of steps), on
flat views of the parameters, their gradients and their state arrays: on ``cuda`` one launch updates a whole
model. State arrays are allocated on the parameter's device through its backend. The equations are in the
kernels' docstrings and in each class.
"""
import abc
import math
import numbers
from collections import defaultdict

from .. import device as _device
from ..tensor import Tensor, enable_grad, _FLOATS

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


def _flat_target(b, a):
    """A flat view of ``a`` to update in place, and whether it must be copied back (``a`` not C-contiguous)."""
    if a.flags["C_CONTIGUOUS"]:  # (indexing works for NumPy and Numba device arrays alike)
        return b.reshape(a, -1), False
    return b.contiguous(b.reshape(a, -1)), True


def _flat_source(b, a, dtype):
    """A flat C-contiguous array holding ``a``'s values in ``dtype`` (a view when it already is one)."""
    if a.dtype != dtype:
        a = b.astype(a, dtype)
    return b.contiguous(b.reshape(a, -1))


def _number(name, value, cls):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{cls}: {name} must be a real number, got {type(value).__name__} {value!r}")
    if math.isnan(value):
        raise ValueError(f"{cls}: {name} must not be NaN" + (" (Invalid learning rate: nan)" if name == "lr" else ""))
    return value


class Optimizer(abc.ABC):
    """Base class of optimizers, as ``torch.optim.Optimizer``.

    ``params`` is an iterable of tensors (leaf floating tensors, normally ``Parameter``s) or of dicts, each with
    ``'params'`` and any per-group hyper-parameters overriding ``defaults``. ``param_groups`` is the list of
    those dicts; ``state`` maps each parameter to its dict of state (allocated on its first step).
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params must be an iterable of Tensors or of dicts, got a Tensor; wrap it in "
                            f"a list")
        if isinstance(params, dict):
            params = [params]
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: parameters must be given in an ordered collection, got a set (its order "
                            f"changes between runs); use a list")
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(f"{name}: params must be an iterable of Tensors or of dicts, got "
                            f"{type(params).__name__}") from None
        if not groups:
            raise ValueError(f"{name}: optimizer got an empty parameter list; pass model.parameters() of a model with "
                             f"parameters")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    # ------------------------------------------------------------------ groups
    def _check_group(self, group):
        """Validate one group's hyper-parameters (subclasses raise ``ValueError`` naming the bad one)."""

    def add_param_group(self, param_group):
        """Add a dict with ``'params'`` (and optional hyper-parameters) as a new group, e.g. to train layers that
        were frozen. Missing hyper-parameters take the optimizer's defaults."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}.add_param_group: expected a dict with 'params', got "
                            f"{type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}.add_param_group: the dict has no 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{name}: parameters must be given in an ordered collection, got a set (its order "
                            f"changes between runs); use a list")
        else:
            try:
                params = list(params)
            except TypeError:
                raise TypeError(f"{name}: a param group's 'params' must be a Tensor or an iterable of Tensors, got "
                                f"{type(params).__name__}") from None
        if not params:
            raise ValueError(f"{name}: got an empty parameter list in a param group")
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: params[{i}] must be a Tensor, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: params[{i}] must be a leaf tensor (a Parameter or a tensor created by "
                                 f"the user), got the output of {type(p._ctx).__name__}")
            if p.dtype not in _FLOATS:
                raise TypeError(f"{name}: params[{i}] must be float32 or float64, got {p.dtype}")
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{name}: a parameter appears twice in one param group")
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if existing.intersection(ids):
            raise ValueError(f"{name}: some parameters appear in more than one param group")
        group = {k: v for k, v in param_group.items() if k != "params"}
        for k, v in self.defaults.items():
            if v is required and k not in group:
                raise ValueError(f"{name}: param group didn't specify a value of required hyper-parameter {k!r}")
            group.setdefault(k, v)
        self._check_group(group)
        group["params"] = params
        self.param_groups.append(group)

    # ------------------------------------------------------------------ gradients and steps
    def zero_grad(self, set_to_none=True):
        """Clear the gradients of all parameters: to None (the default, as PyTorch 2), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad.zero_()

    def step(self, closure=None):
        """One update of every parameter that has a gradient (parameters whose ``.grad`` is None are skipped).
        ``closure``, if given, re-evaluates the model and returns the loss (with grad enabled); its result is
        returned."""
        loss = None
        if closure is not None and not callable(closure):
            raise TypeError(f"{type(self).__name__}.step: closure must be a callable that returns the loss, got "
                            f"{type(closure).__name__}")
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            batches, written = {}, []
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                if g.shape != p.shape:
                    raise ValueError(f"{type(self).__name__}.step: a gradient of shape {g.shape} for a parameter "
                                     f"of shape {p.shape}")
                if g.device != p.device:
                    raise ValueError(f"{type(self).__name__}.step: gradient on {g.device!r}, parameter on "
                                     f"{p.device!r}")
                b = _device.backend(p.device)
                flat_p, copy_back = _flat_target(b, p._data)
                key, arrays = self._prepare(b, group, self.state[p], p, flat_p, _flat_source(b, g._data, p.dtype))
                batches.setdefault((p.device, p.dtype, key), []).append(arrays)
                written.append((b, p, flat_p, copy_back))
            for (dev, _, key), items in batches.items():
                self._update(_device.backend(dev), group, key, [list(a) for a in zip(*items)])
            for b, p, flat_p, copy_back in written:
                if copy_back:
                    b.setitem(p._data, Ellipsis, b.reshape(flat_p, p.shape))
                p._bump()
        return loss

    @abc.abstractmethod
    def _prepare(self, b, group, state, p, flat_p, flat_g):
        """Make ``state`` ready for this step of ``p`` (creating it on the first one); return the key that parameters
        updated by one kernel call share (e.g. the step count) and the tuple of flat arrays the kernel takes for p."""

    @abc.abstractmethod
    def _update(self, b, group, key, arrays):
        """Apply one step of this optimizer's rule in place to the parameters of one batch: ``arrays`` holds a list
        per kernel argument (parameters, gradients, state arrays), index by index."""

    @staticmethod
    def _zeros_like(b, p):
        return Tensor._wrap(b.zeros(p.shape, p.dtype), p.device, False, None)

    # ------------------------------------------------------------------ state dicts
    def state_dict(self):
        """PyTorch's structure: ``{'state': {index: {name: value}}, 'param_groups': [{hyper-parameters...,
        'params': [index, ...]}]}``, parameters numbered in group order from 0. State tensors are detached
        tensors sharing the optimizer's arrays (as PyTorch); ``load_state_dict`` copies them."""
        index = {}
        groups = []
        for group in self.param_groups:
            g = {k: v for k, v in group.items() if k != "params"}
            g["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                g["params"].append(index[id(p)])
            groups.append(g)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state and self.state[p]:
                    state[index[id(p)]] = {k: (v.detach() if isinstance(v, Tensor) else v)
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore hyper-parameters and state from ``state_dict()``'s output (or its ``load``-ed copy). The
        groups must hold as many parameters as this optimizer's; state tensors must have their parameter's shape
        and are copied onto its device in its dtype ('step' stays as saved)."""
        name = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups', got "
                            f"{type(state_dict).__name__}")
        if "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups', got "
                             f"dict with keys {list(state_dict)}")
        saved = state_dict["param_groups"]
        if not isinstance(saved, (list, tuple)) or not all(isinstance(g, dict) and isinstance(g.get("params"),
                                                                                      (list, tuple)) for g in saved):
            raise ValueError(f"{name}.load_state_dict: 'param_groups' must be a list of dicts each with a 'params' "
                             f"list, got {saved!r:.200}")
        if not isinstance(state_dict["state"], dict) or not all(isinstance(v, dict)
                                                                for v in state_dict["state"].values()):
            raise ValueError(f"{name}.load_state_dict: 'state' must be a dict from parameter indices to dicts, got "
                             f"{state_dict['state']!r:.200}")
        if len(saved) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(saved)} param groups, this "
                             f"optimizer has {len(self.param_groups)}")
        lens = [len(g["params"]) for g in saved], [len(g["params"]) for g in self.param_groups]
        if lens[0] != lens[1]:
            raise ValueError(f"{name}.load_state_dict: param group sizes {lens[0]} in the state dict, {lens[1]} "
                             f"in this optimizer")
        by_index = {}
        for sg, group in zip(saved, self.param_groups):
            for i, p in zip(sg["params"], group["params"]):
                by_index[int(i)] = p
        new_state = defaultdict(dict)
        for k, st in state_dict["state"].items():
            try:
                k = int(k)
            except (TypeError, ValueError):
                raise ValueError(f"{name}.load_state_dict: 'state' keys must be parameter indices, got {k!r}") from None
            if k not in by_index:
                raise ValueError(f"{name}.load_state_dict: state for parameter index {k}, which no param group "
                                 f"lists")
            p = by_index[k]
            b = _device.backend(p.device)
            out = {}
            for key, v in st.items():
                if isinstance(v, Tensor):
                    if v.shape != p.shape and key != "step":
                        raise ValueError(f"{name}.load_state_dict: state {key!r} of parameter {k} has shape "
                                         f"{v.shape}, the parameter has shape {p.shape}")
                    arr = v.to(p.device)._data
                    if key != "step" and arr.dtype in _FLOATS and arr.dtype != p.dtype:
                        arr = b.astype(arr, p.dtype)
                    else:
                        arr = b.copy(arr)
                    v = Tensor._wrap(b.contiguous(arr), p.device, False, None)
                out[key] = v
            new_state[p] = out
        for sg, group in zip(saved, self.param_groups):
            hyper = {k: (tuple(v) if isinstance(v, list) and isinstance(self.defaults.get(k), tuple) else v)
                     for k, v in sg.items() if k != "params"}
            self._check_group({**group, **hyper})
        for sg, group in zip(saved, self.param_groups):
            hyper = {k: (tuple(v) if isinstance(v, list) and isinstance(self.defaults.get(k), tuple) else v)
                     for k, v in sg.items() if k != "params"}
            group.update(hyper)
        self.state = new_state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {g[k]}" for k in sorted(g) if k != "params"]
        return "\n".join(lines) + "\n)"


class SGD(Optimizer):
    """Stochastic gradient descent, θ ← θ − η·d (the lecture's θ_{t+1} = θ_t − η∇θL(θ_t; B_t)), with PyTorch's
    options: d = g + wd·θ (L2 penalty; the lecture's L' = L + λ‖θ‖² has gradient 2λθ, i.e. wd = 2λ);
    momentum μ keeps buf ← μ·buf + (1 − dampening)·d (buf = d on the first step) and uses d = buf, or
    d = d + μ·buf with ``nesterov``. State per parameter: ``momentum_buffer`` (only when μ ≠ 0)."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov))

    def _check_group(self, group):
        for k in ("lr", "momentum", "dampening", "weight_decay"):
            _number(k, group[k], "SGD")
        if group["lr"] < 0:
            raise ValueError(f"SGD: Invalid learning rate: lr must be >= 0, got {group['lr']}")
        if group["momentum"] < 0:
            raise ValueError(f"SGD: Invalid momentum value: momentum must be >= 0, got {group['momentum']}")
        if group["weight_decay"] < 0:
            raise ValueError(f"SGD: Invalid weight_decay value: weight_decay must be >= 0, got "
                             f"{group['weight_decay']}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov requires momentum > 0 and dampening = 0, got momentum="
                             f"{group['momentum']}, dampening={group['dampening']}")

    def _prepare(self, b, group, state, p, flat_p, flat_g):
        first = False
        if group["momentum"] != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = self._zeros_like(b, p)
                first = True
            return first, (flat_p, flat_g, b.reshape(buf._data, -1))
        return first, (flat_p, flat_g, flat_g)     # the buffer is not read or written when momentum is 0

    def _update(self, b, group, first, arrays):
        b.sgd_step_(*arrays, float(group["lr"]), float(group["momentum"]), float(group["dampening"]),
                    float(group["weight_decay"]), bool(group["nesterov"]), first)


class Adam(Optimizer):
    """Adam (the lecture's m_t = β1·m_{t−1} + (1 − β1)·g_t, v_t = β2·v_{t−1} + (1 − β2)·g_t²,
    θ ← θ − η·m̂_t/(√v̂_t + ε), defaults β1 = 0.9, β2 = 0.999, ε = 1e-8) with PyTorch's bias correction
    m̂_t = m_t/(1 − β1ᵗ), v̂_t = v_t/(1 − β2ᵗ). ``weight_decay`` adds wd·θ to the gradient (L2 penalty,
    wd = 2λ for the lecture's L' = L + λ‖θ‖²). State per parameter: ``step`` (an int), ``exp_avg`` (m) and
    ``exp_avg_sq`` (v)."""

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _check_group(self, group):
        name = type(self).__name__
        for k in ("lr", "eps", "weight_decay"):
            _number(k, group[k], name)
        if group["lr"] < 0:
            raise ValueError(f"{name}: Invalid learning rate: lr must be >= 0, got {group['lr']}")
        if group["eps"] < 0:
            raise ValueError(f"{name}: Invalid epsilon value: eps must be >= 0, got {group['eps']}")
        if group["weight_decay"] < 0:
            raise ValueError(f"{name}: Invalid weight_decay value: weight_decay must be >= 0, got "
                             f"{group['weight_decay']}")
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            _number(f"betas[{i}]", beta, name)
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{name}: Invalid beta parameter at index {i}: betas[{i}] must be in [0, 1), got "
                                 f"{beta}")
        group["betas"] = tuple(betas)

    def _prepare(self, b, group, state, p, flat_p, flat_g):
        if "step" not in state:
            state["step"] = 0
            state["exp_avg"] = self._zeros_like(b, p)
            state["exp_avg_sq"] = self._zeros_like(b, p)
        state["step"] += 1
        return state["step"], (flat_p, flat_g, b.reshape(state["exp_avg"]._data, -1),
                               b.reshape(state["exp_avg_sq"]._data, -1))

    def _update(self, b, group, step, arrays):
        beta1, beta2 = group["betas"]
        b.adam_step_(*arrays, float(group["lr"]), float(beta1), float(beta2), float(group["eps"]),
                     float(group["weight_decay"]), int(step), self._decoupled)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): θ ← θ·(1 − η·wd) before the Adam step, instead
    of adding wd·θ to the gradient; ``weight_decay`` defaults to 1e-2 as PyTorch."""

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
