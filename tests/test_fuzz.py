"""Differential fuzz tests: every op against a NumPy float64 reference and, when it is importable, PyTorch.

Each op family is a table of rows; a row is a Hypothesis strategy that draws one ``Case``: a call written once for
both libraries (``fn(m, *tensors)`` with ``m`` = tinygradnb or torch), its NumPy reference, the input arrays
(float32 / float64 / int64 / bool, contiguous or a non-contiguous view made by tinygradnb ops on a bigger tensor,
with 0-size, 1-size and 0-d shapes) and the result dtype PyTorch's promotion rules give. ``check`` compares the
forward values, shape and dtype, and the gradients of the inputs' base tensors against central differences of
the NumPy reference (and, for float64 contiguous inputs, ``tg.gradcheck``, in fast mode off the CPU); with torch it
also runs the same call in torch and compares everything with it. Where the reference (or torch) raises,
tinygradnb must raise ValueError, TypeError, IndexError or RuntimeError; ``test_bad_calls`` checks that for
generated bad calls.

The tests take the ``device`` fixture (tests/conftest.py): the tinygradnb tensors live on it, torch's stay on the
CPU. Each test draws its cases through ``fuzz``, with fewer examples on ``cuda`` (Numba's simulator is slow there).
"""
import functools
import operator
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import tinygradnb as tg

try:
    import torch
    torch.set_num_threads(1)
except ImportError:  # the NumPy references still run; the torch comparisons are skipped
    torch = None

FUZZ = settings(max_examples=50, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
FEW = {50: 20, 150: 40}     # examples on cuda for a test's examples on cpu
ERRORS = (ValueError, TypeError, IndexError, RuntimeError)
FLOATS = ("float32", "float64")
NUMS = FLOATS + ("int64",)
KIND = {"bool": 0, "int32": 1, "int64": 1, "float32": 2, "float64": 2}
TOL = {"float32": 1e-5, "float64": 1e-9}            # forward; relative, and absolute times (1 + max |value|)
GRAD_TOL = {"float32": 1e-4, "float64": 1e-6}       # gradients against float64 central differences
SEEDS = st.integers(0, 2 ** 16)


def shapes(min_rank=0, max_rank=3, min_side=0, max_side=4):
    return st.lists(st.integers(min_side, max_side), min_size=min_rank, max_size=max_rank).map(tuple)


# ----------------------------------------------------------------------------------------------- cases
class Arg:
    """One tensor input: its logical values (rounded to ``dtype``), how it is laid out, whether it needs grad."""

    def __init__(self, values, dtype, layout="contiguous", grad=False):
        self.values, self.dtype, self.layout, self.grad = values, dtype, layout, grad

    def base(self):
        """The bigger array the input is a view of: ``layout`` 'transposed' stores it axes-reversed, 'sliced' at
        every other element of an array with 2n+1 elements per axis."""
        a = self.values.astype(self.dtype)
        if self.layout == "transposed":
            return a.transpose().copy()
        if self.layout == "sliced":
            out = np.zeros(tuple(2 * s + 1 for s in a.shape), a.dtype)
            out[self.slices()] = a
            return out
        return a

    def slices(self):
        return (slice(1, None, 2),) * self.values.ndim

    def view(self, base):
        """The input as a tinygradnb / torch op on its base tensor."""
        if self.layout == "transposed":
            return base.permute(*reversed(range(self.values.ndim)))
        if self.layout == "sliced":
            return base[self.slices()]
        return base

    def embed(self, base, logical):
        """``base`` (a NumPy array) with the elements the view reads replaced by ``logical``."""
        out = base.copy()
        if self.layout == "transposed":
            return logical.transpose().copy()
        if self.layout == "sliced":
            out[self.slices()] = logical
            return out
        return logical.copy()

    def __repr__(self):
        return f"{self.dtype}{list(self.values.shape)}{'' if self.layout == 'contiguous' else ' ' + self.layout}" \
               f"{' grad' if self.grad else ''}"


class Case:
    """``desc``: the call, for the failure report; ``fn(m, *tensors)`` with m = tinygradnb or torch;
    ``ref(*arrays)``: the NumPy result (float64 arithmetic); ``dtype``: the result dtype by PyTorch's promotion;
    ``writes``: fn writes into args[0] in place, so its base must change too; ``grads(v, *arrays)``: reference
    gradients where finite differences cannot see them."""

    def __init__(self, desc, fn, ref, args, dtype, writes=False, grads=None):
        self.desc, self.fn, self.ref, self.args, self.dtype, self.writes, self.grads = \
            desc, fn, ref, args, dtype, writes, grads

    def __repr__(self):
        return f"{self.desc} with {self.args} -> {self.dtype}"


def promote(a, b):
    if KIND[a] != KIND[b]:
        return a if KIND[a] > KIND[b] else b
    return a if np.dtype(a).itemsize >= np.dtype(b).itemsize else b


def result_type(*operands):
    """PyTorch's promotion: tensors with dimensions decide, then 0-d tensors and then Python numbers only where
    they are of a higher kind (bool < int < float), a Python float counting as float32."""
    tiers = [[], [], []]
    for o in operands:
        if isinstance(o, Arg):
            tiers[0 if o.values.ndim else 1].append(o.dtype)
        else:
            tiers[2].append("bool" if isinstance(o, bool) else "int64" if isinstance(o, int) else "float32")
    out = None
    for t in tiers:
        if t:
            r = functools.reduce(promote, t)
            out = r if out is None or KIND[r] > KIND[out] else out
    return out


def draw_arg(draw, shape, dtype, domain="real", grad=True, layouts=True, salt=0):
    """An input of ``shape`` and ``dtype`` with random values; ``salt`` (the argument's position) keeps two
    arguments drawn from one seed apart, so that no two inputs tie within a finite-difference step."""
    rng = np.random.default_rng([draw(SEEDS), salt])
    shape = tuple(shape)
    if dtype == "bool":
        v = rng.random(shape) < 0.5
    elif dtype.startswith("int"):
        lo, hi = {"real": (-5, 6), "pos": (1, 6), "nonzero": (1, 6), "small": (0, 4)}[domain]
        v = rng.integers(lo, hi, shape)
        if domain == "nonzero":
            v = v * rng.choice([-1, 1], shape)
    else:
        if domain in ("pos", "nonzero"):
            v = rng.uniform(0.5, 2.0, shape) * (rng.choice([-1, 1], shape) if domain == "nonzero" else 1)
        else:
            v = rng.uniform(-2.0, 2.0, shape)
        v = v.astype(dtype).astype(np.float64)
    v = np.asarray(v)
    options = ["contiguous"] + (["sliced"] if len(shape) >= 1 else []) + (["transposed"] if len(shape) >= 2 else [])
    layout = draw(st.sampled_from(options)) if layouts else "contiguous"
    return Arg(v, dtype, layout, grad and dtype in FLOATS)


# ----------------------------------------------------------------------------------------------- the check
class OnDevice:
    """tinygradnb with its constructors placing tensors on ``device``, so that a call written as ``fn(m, ...)``
    (``m.tensor(labels)``, ``m.zeros(shape)``) builds every tensor it makes there."""
    MAKERS = frozenset(["tensor", "zeros", "ones", "full", "empty", "arange", "rand", "randn"])

    def __init__(self, device):
        self.device, self.__name__ = device, f"tinygradnb[{device}]"

    def __getattr__(self, name):
        f = getattr(tg, name)
        return functools.partial(f, device=self.device) if name in self.MAKERS else f


def lib(m, device="cpu"):
    """The library a case's calls use: torch (always on the CPU), tinygradnb itself on the CPU, else an
    ``OnDevice``."""
    return m if m is not tg or device == "cpu" else OnDevice(device)


def base_sees_writes(device, layout):
    """Whether an in-place write into the view reaches its base: on ``cuda`` a transpose is a copy (README)."""
    return not (device == "cuda" and layout == "transposed")


def _np(t):
    return t.detach().numpy() if torch is not None and isinstance(t, torch.Tensor) else t.numpy()


def _dtype(t):
    return str(t.dtype).replace("torch.", "")


def run(m, case, device="cpu"):
    """Build the inputs in library ``m`` (tinygradnb's on ``device``), call the op (one tensor or a tuple of them,
    as ``x.max(dim)``) and backpropagate fixed cotangents; return the outputs, their dtypes, the bases' gradients
    (None where none arrived; no list when nothing needs grad) and the bases after the call."""
    m = lib(m, device)
    bases = [m.tensor(a.base(), requires_grad=a.grad) for a in case.args]
    xs = [a.view(b) for a, b in zip(case.args, bases)]
    outs = case.fn(m, *xs)
    outs = list(outs) if isinstance(outs, tuple) else [outs]
    for o in outs:
        assert isinstance(o, m.Tensor), f"{m.__name__}: expected a Tensor, got {type(o).__name__}"
        assert m is torch or o.device == device, f"{m.__name__}: the output is on {o.device!r}"
    vals, dts = [_np(o).copy() for o in outs], [_dtype(o) for o in outs]
    grads = None
    if any(a.grad for a in case.args) and not case.writes:
        loss = None
        for o, v in zip(outs, cotangents(vals, dts)):
            if v is not None:
                assert o.requires_grad, f"{m.__name__}: the output does not require grad"
                term = (o * m.tensor(v.astype(_dtype(o)))).sum()
                loss = term if loss is None else loss + term
        if loss is not None:
            loss.backward()
            grads = [None if b.grad is None else _np(b.grad).copy() for b in bases]
    return vals, dts, grads, [_np(b).copy() for b in bases]


def cotangents(vals, dts):
    """A fixed random cotangent per float output (None for integer and bool outputs)."""
    return [np.random.default_rng(i + 1).standard_normal(v.shape).astype(d).astype(np.float64) if KIND[d] == 2
            else None for i, (v, d) in enumerate(zip(vals, dts))]


def as_list(x):
    return list(x) if isinstance(x, (tuple, list)) else [x]


def numeric_grads(case, vs, eps=1e-6):
    """Central differences of sum_k <v_k, ref_k(x)> in float64 for every input that needs grad."""
    arrays = [a.values.copy() for a in case.args]
    if case.grads is not None:
        return case.grads(vs[0], *arrays)

    def project():
        return sum(np.sum(np.asarray(r, np.float64) * v) for r, v in zip(as_list(case.ref(*arrays)), vs)
                   if v is not None)
    out = []
    for i, a in enumerate(case.args):
        if not a.grad:
            out.append(None)
            continue
        x, g = arrays[i], np.zeros(a.values.shape)
        for j in np.ndindex(*x.shape):
            old = x[j]
            x[j] = old + eps
            plus = project()
            x[j] = old - eps
            minus = project()
            x[j] = old
            g[j] = (plus - minus) / (2 * eps)
        out.append(g)
    return out


def close(got, want, dtype, what, tol=TOL):
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    if KIND[dtype] < 2:
        np.testing.assert_array_equal(got, want, err_msg=what)
        return
    want = np.asarray(want, np.float64)
    finite = np.abs(want[np.isfinite(want)])
    t = tol[dtype]
    np.testing.assert_allclose(got, want, rtol=t, atol=t * (1 + np.max(finite, initial=0)), equal_nan=True,
                               err_msg=what)


def raises(m, case, device="cpu"):
    try:
        run(m, case, device)
    except Exception as e:  # any error: the caller decides whether it is one PyTorch raises
        return e
    return None


def assert_clean_error(e, what):
    assert e is not None, f"{what}: tinygradnb returned a result where the reference raises"
    if not isinstance(e, ERRORS) or type(e).__module__.startswith("numba"):
        raise AssertionError(f"{what}: tinygradnb raised {type(e).__module__}.{type(e).__name__} instead of "
                             f"ValueError/TypeError/IndexError/RuntimeError: {e}") from e


def check(case, device="cpu"):
    """Forward values, shapes and dtypes, and the bases' gradients of tinygradnb (its tensors on ``device``)
    against NumPy, tg.gradcheck and (when importable) torch; where NumPy or torch raises, tinygradnb must raise a
    clean error."""
    arrays = [a.values for a in case.args]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            refs = [np.asarray(r) for r in as_list(case.ref(*arrays))]
        except (ValueError, IndexError) as e:
            refs = e
        t_err = raises(torch, case) if torch is not None else None
        if isinstance(refs, Exception) or t_err is not None:
            assert torch is None or (isinstance(refs, Exception) and t_err is not None), \
                f"the reference and torch disagree on whether {case} is valid: {refs!r} / {t_err!r}"
            assert_clean_error(raises(tg, case, device), repr(case))
            return
        outs, dts, grads, bases = run(tg, case, device)
        want_dts = as_list(case.dtype)
        assert len(outs) == len(refs), f"{len(outs)} outputs, expected {len(refs)}"
        assert dts == want_dts, f"result dtype {dts}, expected {want_dts}"
        for k, (o, r, d) in enumerate(zip(outs, refs, dts)):
            close(o, r, d, f"output {k} vs NumPy")
        writes = case.writes and base_sees_writes(device, case.args[0].layout)
        if writes:
            a = case.args[0]
            close(bases[0], a.embed(a.base(), refs[0].astype(a.dtype)), dts[0], "the view's base after the write")
        if grads is not None:
            for a, g, n in zip(case.args, grads, numeric_grads(case, cotangents(outs, dts))):
                if a.grad:
                    assert g is not None, f"no gradient reached the {a} input"
                    close(g, a.embed(np.zeros(a.base().shape), n), a.dtype, f"gradient of the {a} input vs NumPy",
                          GRAD_TOL)
            if case.grads is None and sum(a.values.size for a in case.args if a.grad) <= 32 and \
                    all(a.dtype == "float64" and a.layout == "contiguous" for a in case.args if a.grad):
                m = lib(tg, device)
                tensors = [m.tensor(a.values.astype(a.dtype), requires_grad=a.grad) for a in case.args]
                assert tg.gradcheck(lambda *xs: case.fn(m, *xs), tensors, fast_mode=device != "cpu")
        if torch is not None:
            t_outs, t_dts, t_grads, t_bases = run(torch, case)
            assert dts == t_dts, f"result dtype {dts}, torch gives {t_dts}"
            for k, (o, r, d) in enumerate(zip(outs, t_outs, dts)):
                close(o, r, d, f"output {k} vs torch")
            if writes:
                close(bases[0], t_bases[0], dts[0], "the view's base after the write vs torch")
            if grads is not None:
                for a, g, tgr in zip(case.args, grads, t_grads):
                    if a.grad:
                        close(g, tgr, a.dtype, f"gradient of the {a} input vs torch", GRAD_TOL)


def fuzz(device, strategy, test=check, examples=50):
    """``test(case, device)`` for the cases Hypothesis draws from ``strategy``: ``examples`` of them on the CPU,
    fewer (``FEW``) on other devices."""
    @settings(FUZZ, max_examples=examples if device == "cpu" else FEW.get(examples, examples))
    @given(case=strategy)
    def run_cases(case):
        test(case, device)
    run_cases()


# ----------------------------------------------------------------------------------------------- element-wise
@st.composite
def broadcast_shapes(draw, n):
    """``n`` shapes that broadcast together: suffixes of one shape with some sides set to 1."""
    full = draw(shapes())
    out = []
    for _ in range(n):
        k = draw(st.integers(0, len(full)))
        out.append(tuple(1 if draw(st.integers(0, 3)) == 0 else s for s in full[len(full) - k:]))
    return out


OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow,
             "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
             "!=": operator.ne}


def binary(sym, ref, dtypes=NUMS, domain=("real", "real"), scalars=(2, -3, 0.5, -1.25), lscalars=None, out=None):
    """``a sym b`` for two tensors, or with a Python number on either side (``lscalars`` on the left)."""
    op = (lambda m, a, b: getattr(m, sym)(a, b)) if sym.isidentifier() else (lambda m, a, b: OPERATORS[sym](a, b))
    desc = (lambda a, b: f"{sym}({a}, {b})") if sym.isidentifier() else (lambda a, b: f"{a} {sym} {b}")

    @st.composite
    def case(draw):
        sa, sb = draw(broadcast_shapes(2))
        a = draw_arg(draw, sa, draw(st.sampled_from(dtypes)), domain[0])
        b = draw_arg(draw, sb, draw(st.sampled_from(dtypes)), domain[1], salt=1)
        dt = out or (lambda d: d)
        if scalars and draw(st.integers(0, 2)) == 0:
            left = draw(st.booleans())
            s = draw(st.sampled_from(lscalars if left and lscalars else scalars))
            if not left:
                return Case(desc("x", repr(s)), lambda m, x: op(m, x, s), lambda x: ref(x, s), [a],
                            dt(result_type(a, s)))
            return Case(desc(repr(s), "x"), lambda m, x: op(m, s, x), lambda x: ref(s, x), [b], dt(result_type(b, s)))
        return Case(desc("x", "y"), lambda m, x, y: op(m, x, y), ref, [a, b], dt(result_type(a, b)))
    return case()


def true_div(d):
    return d if KIND[d] == 2 else "float32"


def op1(name, fn, ref, params=lambda shape: st.none(), dtypes=NUMS, shape=shapes(), domain="real", out=None,
        grad=True, layouts=True):
    """One tensor input ``x`` and parameters drawn for its shape: ``fn(m, x, p)`` against ``ref(a, p)``."""
    @st.composite
    def case(draw):
        x = draw_arg(draw, draw(shape), draw(st.sampled_from(dtypes)), domain, grad, layouts)
        p = draw(params(x.values.shape))
        return Case(f"{name}{'' if p is None else p}", lambda m, t: fn(m, t, p), lambda a: ref(a, p), [x],
                    out(x.dtype, p) if out else x.dtype)
    return case()


def to_float(d, p=None):
    return d if KIND[d] == 2 else "float32"


@st.composite
def clamp_bounds(draw, shape):
    bounds = st.sampled_from([None, -1, 0, 1, 2, -1.5, -0.25, 0.5, 1.75])
    lo, hi = draw(bounds), draw(bounds)
    assume(lo is not None or hi is not None)
    return {"min": lo, "max": hi}


def clamp_ref(a, p):
    lo, hi = p["min"], p["max"]
    a = a if lo is None else np.maximum(a, lo)
    return a if hi is None else np.minimum(a, hi)


@st.composite
def where_case(draw):
    sc, sa, sb = draw(broadcast_shapes(3))
    c = draw_arg(draw, sc, "bool")
    a = draw_arg(draw, sa, draw(st.sampled_from(NUMS)), salt=1)
    if draw(st.booleans()):
        b = draw_arg(draw, sb, draw(st.sampled_from(NUMS)), salt=2)
        return Case("where(c, x, y)", lambda m, c, x, y: m.where(c, x, y), np.where, [c, a, b], result_type(a, b))
    s = draw(st.sampled_from([0, 1.5]))
    return Case(f"where(c, x, {s})", lambda m, c, x: m.where(c, x, s), lambda c, x: np.where(c, x, s), [c, a],
                result_type(a, s))


def _pow(a, b):
    return np.power(np.asarray(a, np.float64), b)


ELEMENTWISE = {
    "add": binary("+", operator.add, scalars=(2, -3, 0.5, True)),
    "sub": binary("-", operator.sub),
    "mul": binary("*", operator.mul, scalars=(2, -3, 0.5, True)),
    "div": binary("/", operator.truediv, domain=("real", "nonzero"), out=true_div),
    "pow": binary("**", _pow, domain=("pos", "small"), scalars=(0, 2, 3, 0.5, -1.5), lscalars=(2, 0.5, 3.0)),
    "maximum": binary("maximum", np.maximum, scalars=()),
    "minimum": binary("minimum", np.minimum, scalars=()),
    "lt": binary("<", np.less, out=lambda d: "bool"),
    "le": binary("<=", np.less_equal, out=lambda d: "bool"),
    "gt": binary(">", np.greater, out=lambda d: "bool"),
    "ge": binary(">=", np.greater_equal, out=lambda d: "bool"),
    "eq": binary("==", np.equal, out=lambda d: "bool"),
    "ne": binary("!=", np.not_equal, out=lambda d: "bool"),
    "neg": op1("neg", lambda m, x, p: -x, lambda a, p: -a),
    "exp": op1("exp", lambda m, x, p: x.exp(), lambda a, p: np.exp(a), out=to_float),
    "log": op1("log", lambda m, x, p: x.log(), lambda a, p: np.log(a), domain="pos", out=to_float),
    "sqrt": op1("sqrt", lambda m, x, p: x.sqrt(), lambda a, p: np.sqrt(a), domain="pos", out=to_float),
    "abs": op1("abs", lambda m, x, p: x.abs(), lambda a, p: np.abs(a), domain="nonzero"),
    "clamp": op1("clamp", lambda m, x, p: x.clamp(**p), clamp_ref, params=clamp_bounds,
                 out=lambda d, p: result_type(Arg(np.zeros(1), d), *[v for v in p.values() if v is not None])),
    "where": where_case(),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise(name, device):
    fuzz(device, ELEMENTWISE[name])


# ----------------------------------------------------------------------------------------------- reductions
def on_0d(f):
    """A NumPy reduction that treats a 0-d array as PyTorch does (dim 0 / -1 reduce its one element)."""
    def g(a, dim=None, keepdim=False):
        if a.ndim == 0:
            if dim not in (None, 0, -1, (0,), (-1,), ()):
                raise IndexError(f"dim {dim} out of range for a 0-d array")
            return np.asarray(f(a.reshape(1), axis=0))
        if dim == ():
            dim = None
        return np.asarray(f(a, axis=dim, keepdims=keepdim))
    return g


@st.composite
def reduce_dims(draw, shape, tuples=True, bare=False):
    nd = max(len(shape), 1)
    dims = [None] + list(range(-nd, nd))
    kw = {"dim": draw(st.sampled_from(dims))}
    if tuples and len(shape) > 1 and draw(st.integers(0, 2)) == 0:
        kw["dim"] = tuple(draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True)))
    if draw(st.booleans()):
        kw["keepdim"] = draw(st.booleans())
    if kw["dim"] is None and (bare or "keepdim" not in kw):
        kw = {}                 # torch takes keepdim only with a dim (None included, but not for max/min)
    return kw


def reduction(name, ref, dtypes=NUMS, out=None, tuples=True, bare=False):
    """``x.name(dim=..., keepdim=...)`` (dim None, an int or a tuple; keepdim given or not)."""
    return op1(name, lambda m, x, kw: getattr(x, name)(**kw), lambda a, kw: ref(a, **kw),
               params=lambda s: reduce_dims(s, tuples, bare), dtypes=dtypes, out=out)


def with_indices(f, arg):
    """torch.max / torch.min: over one dim the pair (values, indices), without a dim the value."""
    def g(a, dim=None, keepdim=False):
        if dim is None:
            return on_0d(f)(a)
        return on_0d(f)(a, dim, keepdim), on_0d(arg)(a, dim, keepdim)
    return g


REDUCTIONS = {
    "sum": reduction("sum", on_0d(np.sum)),
    "mean": reduction("mean", on_0d(np.mean), dtypes=FLOATS),
    "var": reduction("var", on_0d(functools.partial(np.var, ddof=1)), dtypes=FLOATS),
    "amax": reduction("amax", on_0d(np.max)),
    "amin": reduction("amin", on_0d(np.min)),
    "max": reduction("max", with_indices(np.max, np.argmax), tuples=False, bare=True,
                     out=lambda d, p: d if "dim" not in p else (d, "int64")),
    "min": reduction("min", with_indices(np.min, np.argmin), tuples=False, bare=True,
                     out=lambda d, p: d if "dim" not in p else (d, "int64")),
    "argmax": reduction("argmax", on_0d(np.argmax), tuples=False, out=lambda d, p: "int64"),
    "argmin": reduction("argmin", on_0d(np.argmin), tuples=False, out=lambda d, p: "int64"),
}


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions(name, device):
    fuzz(device, REDUCTIONS[name])


# ----------------------------------------------------------------------------------------------- matmul
@st.composite
def matmul_case(draw):
    n, k, p = (draw(st.integers(0, 4)) for _ in range(3))
    ba, bb = draw(broadcast_shapes(2)) if draw(st.booleans()) else ((), ())
    ba, bb = ba[-2:], bb[-2:]
    form = draw(st.sampled_from(["1x1", "2x1", "1x2", "nd", "ndx1", "1xnd"]))
    sa = {"1x1": (k,), "2x1": (n, k), "1x2": (k,), "nd": ba + (n, k), "ndx1": ba + (n, k), "1xnd": (k,)}[form]
    sb = {"1x1": (k,), "2x1": (k,), "1x2": (k, p), "nd": bb + (k, p), "ndx1": (k,), "1xnd": bb + (k, p)}[form]
    dt = draw(st.sampled_from(NUMS))
    a, b = draw_arg(draw, sa, dt), draw_arg(draw, sb, dt, salt=1)
    return Case("x @ y", lambda m, x, y: x @ y, np.matmul, [a, b], dt)


def test_matmul(device):
    fuzz(device, matmul_case())


# ----------------------------------------------------------------------------------------------- indexing
def torch_index(a, key):
    """``a[key]`` by PyTorch's rules in NumPy: ints select first (they are not advanced indices in torch), then
    slices, None and the integer / bool arrays index the rest with NumPy's placement of advanced indices."""
    key = list(key) if isinstance(key, tuple) else [key]
    is_mask = lambda k: isinstance(k, np.ndarray) and k.dtype == bool    # noqa: E731
    used = sum(k.ndim if is_mask(k) else 1 for k in key if k is not None and k is not Ellipsis)
    ell = [i for i, k in enumerate(key) if k is Ellipsis]
    if len(ell) > 1 or used > a.ndim:
        raise IndexError("too many indices")
    if ell:
        i = ell[0]
        key[i:i + 1] = [slice(None)] * (a.ndim - used)
    key += [slice(None)] * (a.ndim - len([k for k in key if k is not None]) - sum(k.ndim - 1 for k in key
                                                                                   if is_mask(k)))
    first, rest = [], []
    for k in key:
        if k is None:
            rest.append(None)
        elif isinstance(k, int):
            first.append(k)
        else:
            first += [slice(None)] * (k.ndim if is_mask(k) else 1)
            rest.append(k)
    return a[tuple(first)][tuple(rest)]


@st.composite
def index_keys(draw, shape):
    """A key of ints (negative too), slices with steps, None, Ellipsis and either integer arrays (lists or tensors,
    one broadcast shape) or one bool mask over one or more leading axes."""
    mode = draw(st.sampled_from(["basic", "arrays", "mask"]))
    rng = np.random.default_rng(draw(SEEDS))
    adv = draw(shapes(1, 2, 0, 3))
    comps, d = [], 0
    if mode == "mask" and shape:
        k = draw(st.integers(1, len(shape)))
        comps.append(("mask", rng.random(shape[:k]) < 0.5))
        d = k
    for n in shape[d:]:
        kinds = ["slice", "full"] + (["int"] if n else []) + (["array"] if mode == "arrays" and n else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "int":
            comps.append(("int", draw(st.integers(-n, n - 1)), draw(st.integers(0, 3)) == 0))
        elif kind == "array":
            arr = rng.integers(-n, n, adv)
            comps.append(("array", arr, arr.size == 0 or draw(st.booleans())))   # lists only when not empty
        elif kind == "slice":
            ends = st.one_of(st.none(), st.integers(-n - 1, n + 1))
            comps.append(("slice", slice(draw(ends), draw(ends), draw(st.sampled_from([None, 1, 2, 3])))))
        else:
            comps.append(("slice", slice(None)))
    while comps and comps[-1] == ("slice", slice(None)) and draw(st.booleans()):
        comps.pop()
    if draw(st.booleans()):   # an Ellipsis standing for a run of full slices (perhaps none)
        i = draw(st.integers(0, len(comps)))
        j = i
        while j < len(comps) and comps[j] == ("slice", slice(None)):
            j += 1
        comps[i:draw(st.integers(i, j))] = [("ellipsis",)]
    for _ in range(draw(st.integers(0, 2)) if draw(st.booleans()) else 0):
        comps.insert(draw(st.integers(0, len(comps))), ("none",))
    return comps


def make_key(m, comps):
    """The key for library ``m`` (None: the NumPy arrays themselves)."""
    out = []
    for c in comps:
        if c[0] == "int" and c[2] and m is not None:
            out.append(m.tensor(c[1]))      # a 0-d integer tensor indexes as an int in torch
        elif c[0] in ("int", "slice"):
            out.append(c[1])
        elif c[0] == "none":
            out.append(None)
        elif c[0] == "ellipsis":
            out.append(Ellipsis)
        elif c[0] == "mask" or c[2]:
            out.append(c[1] if m is None else m.tensor(c[1]))
        else:
            out.append(c[1] if m is None else c[1].tolist())
    # one component goes bare (x[k]), except a nested list, which torch would read as a tuple of indices
    return out[0] if len(out) == 1 and not (comps[0][0] == "array" and not comps[0][2]) else tuple(out)


def show_key(comps):
    def text(v):
        return "" if v is None else str(v)
    parts = {"int": lambda c: f"tensor({c[1]})" if c[2] else str(c[1]), "none": lambda c: "None",
             "ellipsis": lambda c: "...",
             "slice": lambda c: f"{text(c[1].start)}:{text(c[1].stop)}" + (f":{c[1].step}" if c[1].step else ""),
             "mask": lambda c: f"tensor({c[1].astype(int).tolist()}).bool()",
             "array": lambda c: f"{'tensor(' if c[2] else ''}{c[1].tolist()}{')' if c[2] else ''}"}
    return ", ".join(parts[c[0]](c) for c in comps) if comps else "()"


@st.composite
def getitem_case(draw):
    x = draw_arg(draw, draw(shapes()), draw(st.sampled_from(NUMS)))
    comps = draw(index_keys(x.values.shape))
    return Case(f"x[{show_key(comps)}]", lambda m, t: t[make_key(m, comps)],
                lambda a: torch_index(a, make_key(None, comps)), [x], x.dtype)


@st.composite
def setitem_case(draw):
    x = draw_arg(draw, draw(shapes(1)), draw(st.sampled_from(NUMS)), grad=False)
    comps = draw(index_keys(x.values.shape))
    try:
        sel = torch_index(np.arange(x.values.size).reshape(x.values.shape), make_key(None, comps))
    except IndexError:
        assume(False)
    assume(len(np.unique(sel)) == sel.size)      # repeated targets have no defined winner
    if draw(st.booleans()):
        value = draw(st.sampled_from([7, -2])) if x.dtype == "int64" else draw(st.sampled_from([7.5, -2.0]))
        vdesc = repr(value)
    else:
        vshape = sel.shape[draw(st.integers(0, sel.ndim)):]
        vshape = tuple(1 if draw(st.integers(0, 3)) == 0 else s for s in vshape)
        value = draw_arg(draw, vshape, x.dtype, layouts=False).values.astype(x.dtype)
        vdesc = f"tensor of shape {vshape}"

    def fn(m, t):
        t[make_key(m, comps)] = value if not isinstance(value, np.ndarray) else m.tensor(value)
        return t

    def ref(a):
        out = a.copy()
        out.reshape(-1)[sel.reshape(-1)] = np.broadcast_to(value, sel.shape).reshape(-1)
        return out
    return Case(f"x[{show_key(comps)}] = {vdesc}", fn, ref, [x], x.dtype, writes=True)


def test_getitem(device):
    fuzz(device, getitem_case(), examples=150)


def test_setitem(device):
    fuzz(device, setitem_case(), examples=150)


def test_torch_placement_of_advanced_indices(device):
    """PyTorch's placement rules where NumPy's differ: an int selects first (``[0, :, [1, 2]]`` keeps the list's
    axis in place), and an Ellipsis standing for no axes does not separate two index arrays."""
    x = tg.arange(120, device=device).reshape(2, 3, 4, 5)
    a = np.arange(120).reshape(2, 3, 4, 5)
    got = x[0, :, [1, 2]]
    assert got.shape == (3, 2, 5) and got.device == device
    np.testing.assert_array_equal(got.numpy(), a[0][:, [1, 2]])
    got = x[0, :, tg.tensor([1, 2], device=device), :]
    assert got.shape == (3, 2, 5)
    np.testing.assert_array_equal(got.numpy(), a[0][:, [1, 2], :])
    y = tg.arange(16, device=device).reshape(4, 2, 2)
    got = y[:, [0, 1], ..., [0, 1]]
    assert got.shape == (4, 2)
    np.testing.assert_array_equal(got.numpy(), np.arange(16).reshape(4, 2, 2)[:, [0, 1], [0, 1]])


# ----------------------------------------------------------------------------------------------- shape ops
@st.composite
def reshape_target(draw, shape):
    n = int(np.prod(shape))
    options = [(n,), tuple(reversed(shape)), (1,) + shape, shape + (1,), shape[:1] + (int(np.prod(shape[1:])),)]
    if n:
        options += [(-1,), (-1,) + shape[-1:], shape[:1] + (-1,) if shape and shape[0] else (-1,)]
    return draw(st.sampled_from(options))


@st.composite
def expand_target(draw, shape):
    lead = tuple(draw(st.lists(st.integers(0, 3), max_size=1)))
    return lead + tuple(draw(st.sampled_from([0, 2, 3, 1, -1])) if s == 1 else draw(st.sampled_from([s, -1]))
                        for s in shape)


def dim(shape, extra=0):
    nd = max(len(shape) + extra, 1)
    return st.integers(-nd, nd - 1)


@st.composite
def squeeze_dims(draw, shape):
    if draw(st.booleans()):
        return ()
    d = draw(dim(shape))
    return (d,) if draw(st.booleans()) else d


def squeeze_ref(a, d):
    if d == ():
        return np.squeeze(a)
    ds = [x % max(a.ndim, 1) for x in (d if isinstance(d, tuple) else (d,))]
    return a.reshape(tuple(s for i, s in enumerate(a.shape) if not (i in ds and s == 1)))


@st.composite
def flatten_dims(draw, shape):
    s = draw(dim(shape))
    e = draw(dim(shape))
    nd = max(len(shape), 1)
    assume(s % nd <= e % nd)
    return s, e


def flatten_ref(a, p):
    if a.ndim == 0:
        return a.reshape(1)
    s, e = (d % a.ndim for d in p)
    return a.reshape(a.shape[:s] + (int(np.prod(a.shape[s:e + 1])),) + a.shape[e + 1:])


def permute_ref(a, p):
    return a.transpose([d % a.ndim for d in p]) if a.ndim else a


def join_case(name):
    """``m.cat`` / ``m.stack`` of 1-3 tensors of mixed dtypes along a drawn dim."""
    @st.composite
    def case(draw):
        shape = draw(shapes(1 if name == "cat" else 0))
        d = draw(dim(shape, 0 if name == "cat" else 1))
        xs = []
        for i in range(draw(st.integers(1, 3))):
            s = list(shape)
            if name == "cat":
                s[d] = draw(st.integers(0, 3))
            xs.append(draw_arg(draw, s, draw(st.sampled_from(NUMS)), salt=i))
        f = np.concatenate if name == "cat" else np.stack
        return Case(f"{name}([{len(xs)} tensors], dim={d})", lambda m, *ts: getattr(m, name)(list(ts), dim=d),
                    lambda *a: f(a, axis=d), xs, result_type(*[Arg(x.values.reshape(-1), x.dtype) for x in xs]))
    return case()


SHAPE_OPS = {
    "reshape": op1("reshape", lambda m, x, s: x.reshape(s), lambda a, s: a.reshape(s), params=reshape_target),
    "view": op1("view", lambda m, x, s: x.view(s), lambda a, s: a.reshape(s), params=reshape_target,
                layouts=False),   # torch's view needs compatible strides; contiguous input only
    "permute": op1("permute", lambda m, x, p: x.permute(*p), permute_ref,
                   params=lambda s: st.permutations(range(len(s))).map(
                       lambda p: tuple(d - len(s) if i % 2 else d for i, d in enumerate(p))), shape=shapes(1)),
    "transpose": op1("transpose", lambda m, x, p: x.transpose(*p), lambda a, p: np.swapaxes(a, *p),
                     params=lambda s: st.tuples(dim(s), dim(s)), shape=shapes(1)),
    "T": op1("T", lambda m, x, p: x.T, lambda a, p: a.T, shape=shapes(2, 2)),
    "expand": op1("expand", lambda m, x, s: x.expand(s),
                  lambda a, s: np.broadcast_to(a, tuple(a.shape[i - len(s) + a.ndim] if v == -1 else v
                                                        for i, v in enumerate(s))),
                  params=expand_target, shape=shapes().map(lambda s: tuple(min(v, 1) if i % 2 == 0 else v
                                                                         for i, v in enumerate(s)))),
    "squeeze": op1("squeeze", lambda m, x, d: x.squeeze() if d == () else x.squeeze(d), squeeze_ref,
                   params=squeeze_dims, shape=shapes().map(lambda s: tuple(min(v, 1) if i % 2 else v
                                                                         for i, v in enumerate(s)))),
    "unsqueeze": op1("unsqueeze", lambda m, x, d: x.unsqueeze(d), lambda a, d: np.expand_dims(a, d),
                     params=lambda s: dim(s, 1)),
    "flatten": op1("flatten", lambda m, x, p: x.flatten(*p), flatten_ref, params=flatten_dims),
    "cat": join_case("cat"),
    "stack": join_case("stack"),
}


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_ops(name, device):
    fuzz(device, SHAPE_OPS[name])


# ----------------------------------------------------------------------------------------------- nn.functional
def F(m):
    return m.nn.functional


def softmax_ref(a, d, log=False):
    b = a.reshape(1) if a.ndim == 0 else a
    z = b - np.max(b, axis=d, keepdims=True, initial=-np.inf)
    lse = np.log(np.sum(np.exp(z), axis=d, keepdims=True))
    return (z - lse if log else np.exp(z - lse)).reshape(a.shape)


@st.composite
def cross_entropy_case(draw):
    c, n, extra = draw(st.integers(1, 4)), draw(st.integers(0, 4)), draw(shapes(0, 1, 0, 3))
    form = draw(st.integers(0, 2))
    lshape = [(c,), (n, c), (n, c) + extra][form]
    tshape = [(), (n,), (n,) + extra][form]
    z = draw_arg(draw, lshape, draw(st.sampled_from(FLOATS)))
    rng = np.random.default_rng(draw(SEEDS))
    ignore = draw(st.sampled_from([-100, 0, 1]))
    t = rng.integers(0, c, tshape)
    t = np.where(rng.random(tshape) < 0.2, ignore, t) if ignore < 0 or ignore >= c else t
    reduction = draw(st.sampled_from(["mean", "sum", "none"]))

    def ref(z):
        zz = np.moveaxis(z, 1, -1) if z.ndim > 1 else z
        lse = np.log(np.sum(np.exp(zz - zz.max(-1, keepdims=True)), -1)) + zz.max(-1)
        picked = np.take_along_axis(zz, np.where(t == ignore, 0, t)[..., None], -1)[..., 0]
        loss = np.where(t == ignore, 0.0, lse - picked)
        return {"none": loss, "sum": loss.sum(), "mean": loss.sum() / np.sum(t != ignore)}[reduction]
    # torch: a mean over no counted sample is NaN, and its gradient zero
    none_counted = reduction == "mean" and not np.any(t != ignore)
    return Case(f"cross_entropy(z, target={t.tolist()}, reduction={reduction!r}, ignore_index={ignore})",
                lambda m, x: F(m).cross_entropy(x, m.tensor(t), reduction=reduction, ignore_index=ignore), ref,
                [z], z.dtype, grads=(lambda v, z: [np.zeros(z.shape)]) if none_counted else None)


@st.composite
def layer_norm_case(draw):
    shape = draw(shapes(1))
    ns = shape[len(shape) - draw(st.integers(1, len(shape))):]
    dt = draw(st.sampled_from(FLOATS))
    x = draw_arg(draw, shape, dt)
    params = [draw_arg(draw, ns, dt, salt=i + 1) for i in range(draw(st.integers(0, 2)))]
    axes = tuple(range(len(shape) - len(ns), len(shape)))

    def ref(a, w=1.0, b=0.0):
        return (a - a.mean(axes, keepdims=True)) / np.sqrt(a.var(axes, keepdims=True) + 1e-5) * w + b
    return Case(f"layer_norm(x, {ns}, {len(params)} params)",
                lambda m, t, *p: F(m).layer_norm(t, ns, *p), ref, [x] + params, dt)


@st.composite
def embedding_case(draw):
    v, d = draw(st.integers(1, 4)), draw(st.integers(0, 4))
    w = draw_arg(draw, (v, d), draw(st.sampled_from(FLOATS)))
    idx = np.random.default_rng(draw(SEEDS)).integers(0, v, draw(shapes(0, 2)))
    pad = draw(st.one_of(st.none(), st.integers(-v, v - 1)))

    def grads(g, w):
        gw = np.zeros(w.shape)
        np.add.at(gw, idx.reshape(-1), g.reshape(idx.size, w.shape[1]))
        if pad is not None:
            gw[pad] = 0
        return [gw]
    return Case(f"embedding(tensor({idx.tolist()}), w, padding_idx={pad})",
                lambda m, t: F(m).embedding(m.tensor(idx), t, padding_idx=pad), lambda a: a[idx], [w], w.dtype,
                grads=grads)


FUNCTIONAL = {
    "softmax": op1("softmax", lambda m, x, d: F(m).softmax(x, dim=d), softmax_ref, params=dim, dtypes=FLOATS),
    "log_softmax": op1("log_softmax", lambda m, x, d: F(m).log_softmax(x, dim=d),
                       lambda a, d: softmax_ref(a, d, log=True), params=dim, dtypes=FLOATS),
    "cross_entropy": cross_entropy_case(),
    "layer_norm": layer_norm_case(),
    "embedding": embedding_case(),
}


@pytest.mark.parametrize("name", FUNCTIONAL)
def test_functional(name, device):
    fuzz(device, FUNCTIONAL[name])


# ----------------------------------------------------------------------------------------------- bad calls
def bad(desc, fn):
    return st.just((desc, fn))


@st.composite
def mismatched_shapes(draw):
    a, b = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    assume(a != b)
    lead = draw(shapes(0, 2, 1))
    return lead + (a,), lead + (b,)


def t(m, shape, dtype="float32"):
    return m.zeros(shape, dtype=getattr(m, dtype))


def past_end(shape, high):
    """A dim just outside [-ndim, ndim) (a 0-d tensor takes dims -1 and 0, as in torch)."""
    nd = max(len(shape), 1)
    return nd if high else -nd - 1


BAD_CALLS = {
    "add": mismatched_shapes().map(lambda s: (f"zeros{s[0]} + zeros{s[1]}", lambda m: t(m, s[0]) + t(m, s[1]))),
    "matmul": mismatched_shapes().map(lambda s: (f"zeros{s[0][:-1] + (2, s[0][-1])} @ zeros{s[1] + (3,)}",
                                                 lambda m: t(m, s[0][:-1] + (2, s[0][-1])) @ t(m, s[1] + (3,)))),
    "matmul_1d": mismatched_shapes().map(lambda s: (f"zeros({s[0][-1]}) @ zeros({s[1][-1]})",
                                                    lambda m: t(m, s[0][-1:]) @ t(m, s[1][-1:]))),
    "matmul_0d": bad("zeros(()) @ zeros(3)", lambda m: t(m, ()) @ t(m, (3,))),
    "matmul_dtypes": bad("zeros(2, 3, float32) @ zeros(3, 2, float64)",
                         lambda m: t(m, (2, 3)) @ t(m, (3, 2), "float64")),
    "reduce_dim": st.tuples(shapes(), st.sampled_from(["sum", "mean", "var", "argmax", "softmax"]),
                            st.booleans()).map(
        lambda p: (f"zeros{p[0]}.{p[1]}(dim={past_end(p[0], p[2])})",
                   lambda m: getattr(t(m, p[0]), p[1])(dim=past_end(p[0], p[2])))),
    "unsqueeze_dim": shapes().map(lambda s: (f"zeros{s}.unsqueeze({len(s) + 1})",
                                             lambda m: t(m, s).unsqueeze(len(s) + 1))),
    "transpose_dim": shapes(1).map(lambda s: (f"zeros{s}.transpose(0, {len(s)})",
                                              lambda m: t(m, s).transpose(0, len(s)))),
    "permute_dims": shapes(2).map(lambda s: (f"zeros{s}.permute(0, 0, ...)",
                                             lambda m: t(m, s).permute(*([0] * len(s))))),
    "int_index": st.tuples(shapes(1, 3, 0), st.booleans()).map(
        lambda p: (f"zeros{p[0]}[{p[0][0] if p[1] else -p[0][0] - 1}]",
                   lambda m: t(m, p[0])[p[0][0] if p[1] else -p[0][0] - 1])),
    "array_index": shapes(1, 3, 1).map(lambda s: (f"zeros{s}[tensor([0, {s[0]}])]",
                                                  lambda m: t(m, s)[m.tensor([0, s[0]])])),
    "too_many_indices": shapes(0, 2, 1).map(lambda s: (f"zeros{s}[{(0,) * (len(s) + 1)}]",
                                                       lambda m: t(m, s)[(0,) * (len(s) + 1)])),
    "mask_shape": shapes(1, 3, 1).map(lambda s: (f"zeros{s}[ones({s[0] + 1}).bool()]",
                                                 lambda m: t(m, s)[m.ones(s[0] + 1, dtype=m.bool)])),
    "negative_step": shapes(1, 3, 1).map(lambda s: (f"zeros{s}[::-1]", lambda m: t(m, s)[::-1])),
    "setitem_shape": mismatched_shapes().map(lambda s: (f"zeros{s[0]}[...] = zeros{s[1]}",
                                                        lambda m: t(m, s[0]).__setitem__(Ellipsis, t(m, s[1])))),
    "reshape": shapes(1, 3, 1).map(lambda s: (f"zeros{s}.reshape({int(np.prod(s)) + 1})",
                                              lambda m: t(m, s).reshape(int(np.prod(s)) + 1))),
    "expand": mismatched_shapes().map(lambda s: (f"zeros{s[0]}.expand{s[1]}", lambda m: t(m, s[0]).expand(*s[1]))),
    "cat": mismatched_shapes().map(lambda s: (f"cat([zeros{s[0] + (1,)}, zeros{s[1] + (1,)}], dim=-1)",
                                              lambda m: m.cat([t(m, s[0] + (1,)), t(m, s[1] + (1,))], dim=-1))),
    "cat_0d": bad("cat([zeros(()), zeros(())])", lambda m: m.cat([t(m, ()), t(m, ())])),
    "stack": mismatched_shapes().map(lambda s: (f"stack([zeros{s[0]}, zeros{s[1]}])",
                                                lambda m: m.stack([t(m, s[0]), t(m, s[1])]))),
    "cross_entropy_target": st.tuples(st.integers(1, 4), st.booleans()).map(
        lambda p: (f"cross_entropy(zeros(2, {p[0]}), tensor([0, {p[0] if p[1] else -1}]))",
                   lambda m: F(m).cross_entropy(t(m, (2, p[0])), m.tensor([0, p[0] if p[1] else -1])))),
    "embedding_index": st.integers(1, 4).map(lambda v: (f"embedding(tensor([{v}]), zeros({v}, 2))",
                                                        lambda m: F(m).embedding(m.tensor([v]), t(m, (v, 2))))),
    "int_mean": st.sampled_from(["mean", "var"]).map(lambda f: (f"zeros(3, int64).{f}()",
                                                                lambda m: getattr(t(m, (3,), "int64"), f)())),
    "int_softmax": bad("softmax(zeros(3, int64), dim=0)", lambda m: F(m).softmax(t(m, (3,), "int64"), dim=0)),
    "clamp_no_bounds": bad("zeros(3).clamp()", lambda m: t(m, (3,)).clamp()),
}


def check_bad(desc, fn, device="cpu"):
    """``fn(m)`` raises in torch; tinygradnb (its tensors on ``device``) must raise a clean error."""
    if torch is not None:
        with pytest.raises(Exception):
            fn(torch)
    try:
        fn(lib(tg, device))
        if device != "cpu":
            tg.cuda.synchronize()      # GPU argument checks report at the next synchronisation
    except Exception as e:
        assert_clean_error(e, desc)
    else:
        pytest.fail(f"{desc}: torch raises, tinygradnb returned a result")


@pytest.mark.parametrize("name", BAD_CALLS)
def test_bad_calls(name, device):
    fuzz(device, BAD_CALLS[name], lambda call, device: check_bad(*call, device), examples=4)
