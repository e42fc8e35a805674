"""Matrix product with NumPy/PyTorch semantics: vector·vector, matrix·vector, matrix·matrix and batched N-D
products whose batch dimensions broadcast.

Rank rules (as ``np.matmul`` / ``torch.matmul``): a 1-D ``a`` of length k is treated as a (1, k) row and a 1-D
``b`` as a (k, 1) column, and the added axis is dropped from the result (so 1-D·1-D gives a 0-d dot product); all
dimensions before the last two are batch dimensions and broadcast against each other.

Dtypes: both operands must have one dtype, as in PyTorch, which does not promote in matrix products (float32 with
float64, or an integer with a float operand, raises ``RuntimeError`` naming both dtypes, where the element-wise ops
would promote); the result has that dtype. int32/int64 products compute with the backend's integer matmul (exact,
as PyTorch on the CPU) and are not differentiable (integer tensors cannot require grad); bool operands are rejected
with TypeError.

Errors follow PyTorch's exception types: shapes that cannot be multiplied (inner dimensions, batch dimensions,
0-d operands) raise ``RuntimeError`` naming both shapes; a bool, non-tensor or Python-number operand
``TypeError``.
"""
import numbers

import numpy as np

from ..tensor import Function, Tensor, bool_
from ._util import broadcast_shape, sum_to, prod
from .elementwise import as_tensor_like, mul


# PyTorch's C++ names of the dtypes, which its dtype-mismatch messages print ("float != double").
_C_NAME = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int", "bool": "bool"}


def _c_name(dtype):
    return _C_NAME.get(str(dtype), str(dtype))


def _same_dtype(fn, x, y, xname, yname):
    """``RuntimeError`` naming both arguments and dtypes unless ``x`` and ``y`` have one dtype (PyTorch does not
    promote in matmul, mm, bmm, addmm or linear: "expected m1 and m2 to have the same dtype, but got: float !=
    double")."""
    if x.dtype != y.dtype:
        raise RuntimeError(f"{fn}: {xname} has dtype {x.dtype} but {yname} has dtype {y.dtype}; expected both to have "
                           f"the same dtype (expected m1 and m2 to have the same dtype, but got: "
                           f"{_c_name(x.dtype)} != {_c_name(y.dtype)}); convert one with .to(dtype)")


class MatMul(Function):
    """C[..., i, j] = Σ_k A[..., i, k]·B[..., k, j] over broadcast batch dimensions; dA = dC·Bᵀ, dB = Aᵀ·dC."""

    def forward(self, x, y, sx, sy, batch, out_shape):
        b = self.b
        m, k = sx[-2:]
        n = sy[-1]
        nb = prod(batch)
        self.shapes = (x.shape, y.shape, sx, sy, batch)
        # Promote 1-D operands, broadcast the batch dimensions, and flatten them into one: (B, m, k), (B, k, n).
        x3 = _batched(b, x, sx, batch + (m, k), nb)
        y3 = _batched(b, y, sy, batch + (k, n), nb)
        self.x3, self.y3 = x3, y3
        return b.reshape(b.matmul(x3, y3), out_shape)

    def backward(self, g):
        b, (tx, ty) = self.b, self.inputs
        xshape, yshape, sx, sy, batch = self.shapes
        nb, m, k = self.x3.shape
        n = self.y3.shape[2]
        g3 = b.reshape(b.contiguous(g), (nb, m, n))
        gx = gy = None
        if tx.requires_grad:  # dA = dC·Bᵀ, then summed over the batch dimensions A was broadcast along
            gx3 = b.matmul(g3, b.transpose(self.y3, (0, 2, 1)))
            gx = b.reshape(sum_to(b, b.reshape(gx3, batch + (m, k)), sx), xshape)
        if ty.requires_grad:  # dB = Aᵀ·dC
            gy3 = b.matmul(b.transpose(self.x3, (0, 2, 1)), g3)
            gy = b.reshape(sum_to(b, b.reshape(gy3, batch + (k, n)), sy), yshape)
        return gx, gy


def _batched(b, x, s, full, nb):
    """Operand ``x`` (of rank-promoted shape ``s``) as a (B, rows, cols) array for the kernel: a reshape (a view, so a
    transposed operand reaches BLAS as a strided view) unless its batch dimensions must be broadcast first."""
    if s == full:
        return b.reshape(x, (nb,) + full[-2:])
    return b.reshape(b.contiguous(b.broadcast_to(b.reshape(x, s), full)), (nb,) + full[-2:])


def matmul(a, b):
    """The matrix product a @ b (``np.matmul`` / ``torch.matmul`` semantics; see the module docstring).

    ``a`` of shape (..., m, k) or (k,), ``b`` of shape (..., k, n) or (k,); the result has the broadcast batch
    shape followed by (m, n), without m when ``a`` is 1-D and without n when ``b`` is 1-D.
    """
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"matmul: expected a Tensor operand, got a {type(a).__name__} and b {type(b).__name__}")
    for name, t in (("a", a), ("b", b)):
        if isinstance(t, (numbers.Number, np.bool_)) or t is None:
            raise TypeError(f"matmul: {name} must be a Tensor or an array, got {type(t).__name__} {t!r} (use mul "
                            f"to scale by a number)")
    if not isinstance(a, Tensor):
        a = as_tensor_like(a, b)
    elif not isinstance(b, Tensor):
        b = as_tensor_like(b, a)
    for name, t in (("a", a), ("b", b)):
        if t.ndim == 0:
            raise RuntimeError(f"matmul: {name} is 0-d (shape ()); expected at least 1 dimension (use mul to scale "
                             f"by a scalar)")
        if t.dtype == bool_:
            raise TypeError(f"matmul: {name} has dtype bool; expected float32, float64, int32 or int64")
    sa, sb = a.shape, b.shape
    sx = (1,) + sa if a.ndim == 1 else sa
    sy = sb + (1,) if b.ndim == 1 else sb
    if sx[-1] != sy[-2]:
        raise RuntimeError(f"matmul: a has shape {sa} and b has shape {sb}: inner dimensions {sx[-1]} and {sy[-2]} "
                           f"differ (expected a[..., k] and b[..., k, n]; mat1 and mat2 shapes cannot be "
                           f"multiplied ({sx[-2]}x{sx[-1]} and {sy[-2]}x{sy[-1]}))")
    try:
        batch = broadcast_shape(sx[:-2], sy[:-2])
    except ValueError:
        raise RuntimeError(f"matmul: a has shape {sa} and b has shape {sb}: batch dimensions {sx[:-2]} and "
                         f"{sy[:-2]} do not broadcast (NumPy rules: trailing dimensions must be equal or 1)") from None
    out_shape = batch + sx[-2:-1] * (a.ndim > 1) + sy[-1:] * (b.ndim > 1)
    _same_dtype("matmul", a, b, "a", "b")
    return MatMul.apply(a, b, sx=sx, sy=sy, batch=batch, out_shape=out_shape)


class Linear(Function):
    """y = x·Wᵀ + b over the rows of x (N, n_in), W (n_out, n_in), b (n_out,): the lecture's affine layer
    h = Wx + b for a batch; dx = g·W, dW = gᵀ·x, db = Σ_rows g: one backend kernel each way (``linear``,
    ``linear_backward``)."""

    def forward(self, x, w, bias=None):
        self.x, self.w = x, w
        return self.b.linear(x, w, bias)

    def backward(self, g):
        need = self.needs_input_grad
        return self.b.linear_backward(g, self.x, self.w, need[0], need[1], len(need) == 3 and need[2])


def linear(x, weight, bias=None):
    """y = x·Wᵀ + b over the last axis of ``x`` (…, n_in) with ``weight`` (n_out, n_in) and optional ``bias``
    (n_out,), as ``torch.nn.functional.linear``. ``x``, ``weight`` and ``bias`` must share one dtype (PyTorch does
    not promote here: a mismatch is a ``RuntimeError`` naming both dtypes); float32, float64, or an integer dtype
    (an exact, non-differentiable integer product, as PyTorch on the CPU)."""
    for t, name in ((x, "input"), (weight, "weight")):
        if not isinstance(t, Tensor):
            raise TypeError(f"linear: {name} must be a Tensor, got {type(t).__name__}")
        if t.dtype == bool_:
            raise TypeError(f"linear: {name} has dtype bool; expected a float32, float64, int32 or int64 tensor")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"linear: bias must be a Tensor or None, got {type(bias).__name__}")
    if weight.ndim != 2:
        raise RuntimeError(f"linear: weight must be 2-D (out_features, in_features), got shape {weight.shape}")
    if x.ndim == 0:
        raise RuntimeError(f"linear: input must have at least 1 dimension (..., in_features={weight.shape[1]}), got "
                           f"a 0-d tensor")
    if x.shape[-1] != weight.shape[1]:
        rows = prod(x.shape[:-1])
        raise RuntimeError(f"linear: input of shape {x.shape} needs a last dimension of in_features="
                           f"{weight.shape[1]} to match weight of shape {weight.shape} (mat1 and mat2 shapes cannot "
                           f"be multiplied ({rows}x{x.shape[-1]} and {weight.shape[1]}x{weight.shape[0]}))")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise RuntimeError(f"linear: bias must have shape ({weight.shape[0]},) (out_features), got {bias.shape}")
    _same_dtype("linear", x, weight, "input", "weight")
    if bias is not None and bias.dtype != x.dtype:
        raise RuntimeError(f"linear: bias has dtype {bias.dtype} but input and weight have dtype {x.dtype}; expected "
                           f"all three to have the same dtype (self and mat2 must have the same dtype, but got "
                           f"{_c_name(bias.dtype)} and {_c_name(x.dtype)}); convert one with .to(dtype)")
    lead = x.shape[:-1]
    x2 = x if x.ndim == 2 else x.reshape(prod(lead), x.shape[-1])
    y = Linear.apply(x2, weight) if bias is None else Linear.apply(x2, weight, bias)
    return y if x.ndim == 2 else y.reshape(lead + (weight.shape[0],))


# ----------------------------------------------------------------------------- named products and einsum
def _rank(fn, x, name, ranks):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: {name} must be a Tensor, got {type(x).__name__}")
    if x.ndim not in ranks:
        want = " or ".join(f"{r}-D" for r in ranks)
        raise RuntimeError(f"{fn}: {name} must be {want}, got a {x.ndim}-D tensor of shape {tuple(x.shape)}")


def mm(input, mat2):
    """The product of two matrices (``torch.mm``: both 2-D, no broadcasting)."""
    _rank("mm", input, "input", (2,))
    _rank("mm", mat2, "mat2", (2,))
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched matrix products of (B, n, m) and (B, m, p) (``torch.bmm``: one batch size, no broadcasting)."""
    _rank("bmm", input, "input", (3,))
    _rank("bmm", mat2, "mat2", (3,))
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: input {tuple(input.shape)}, mat2 {tuple(mat2.shape)}")
    return matmul(input, mat2)


def mv(input, vec):
    """Matrix · vector (``torch.mv``)."""
    _rank("mv", input, "input", (2,))
    _rank("mv", vec, "vec", (1,))
    return matmul(input, vec)


def dot(input, other):
    """Σ_i a_i b_i of two 1-D tensors of one length (``torch.dot``), a 0-d tensor."""
    _rank("dot", input, "input", (1,))
    _rank("dot", other, "other", (1,))
    if input.shape != other.shape:
        raise RuntimeError(f"dot: expected both vectors to have the same number of elements, got "
                           f"{input.shape[0]} and {other.shape[0]}")
    return matmul(input, other)


def outer(input, vec2):
    """out_ij = a_i b_j of two 1-D tensors (``torch.outer``)."""
    _rank("outer", input, "input", (1,))
    _rank("outer", vec2, "vec2", (1,))
    return mul(input.reshape(-1, 1), vec2.reshape(1, -1))


def _parse_einsum(equation, operands):
    if not isinstance(equation, str):
        raise TypeError(f"einsum: equation must be a string, got {type(equation).__name__}")
    eq = equation.replace(" ", "")
    if "." in eq:
        raise ValueError("einsum: '...' (ellipsis) is not supported; name every dimension")
    lhs, arrow, out = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(operands):
        raise ValueError(f"einsum: the equation has {len(ins)} operand(s), got {len(operands)} tensor(s)")
    sizes = {}
    for k, (spec, x) in enumerate(zip(ins, operands)):
        if not isinstance(x, Tensor):
            raise TypeError(f"einsum: operand {k} must be a Tensor, got {type(x).__name__}")
        if not all(c.isalpha() for c in spec) or len(spec) != x.ndim:
            raise ValueError(f"einsum: subscripts {spec!r} do not match operand {k} of shape {tuple(x.shape)}")
        if len(set(spec)) != len(spec):
            raise ValueError(f"einsum: a repeated subscript within one operand ({spec!r}: a diagonal) is not "
                             f"supported")
        for c, s in zip(spec, x.shape):
            if sizes.setdefault(c, s) != s:
                raise RuntimeError(f"einsum: subscript {c!r} has size {sizes[c]} and {s} in different operands")
    if not arrow:                                   # implicit output: the letters seen once, in alphabetical order
        out = "".join(sorted(c for c in sizes if lhs.count(c) == 1))
    if len(set(out)) != len(out) or any(c not in sizes for c in out):
        raise ValueError(f"einsum: output subscripts {out!r} must be distinct letters of the operands")
    return ins, out, sizes


def _einsum_pair(a, sa, b, sb, keep):
    """a (subscripts sa) times b (sb), summing the letters in neither ``keep`` nor the other operand first and
    the shared letters not in ``keep`` by one batched matrix product; returns (result, its subscripts)."""
    def reduce_own(x, s, other):
        axes = tuple(i for i, c in enumerate(s) if c not in keep and c not in other)
        if axes:
            x, s = x.sum(dim=axes), "".join(c for c in s if c in keep or c in other)
        return x, s
    a, sa = reduce_own(a, sa, sb)
    b, sb = reduce_own(b, sb, sa)
    batch = [c for c in sa if c in sb and c in keep]
    contract = [c for c in sa if c in sb and c not in keep]
    left = [c for c in sa if c not in sb]
    right = [c for c in sb if c not in sa]
    size = dict(zip(sa, a.shape), **dict(zip(sb, b.shape)))

    def n(cs):
        p = 1
        for c in cs:
            p *= size[c]
        return p
    a3 = a.permute(*[sa.index(c) for c in batch + left + contract]).reshape(n(batch), n(left), n(contract))
    b3 = b.permute(*[sb.index(c) for c in batch + contract + right]).reshape(n(batch), n(contract), n(right))
    out = matmul(a3, b3).reshape(*[size[c] for c in batch + left + right])
    return out, "".join(batch + left + right)


def einsum(equation, *operands):
    """Σ over the subscripts missing from the output of the product of the operands (``torch.einsum``), e.g.
    ``'ij,jk->ik'``, ``'bij,bjk->bik'``, ``'bhqd,bhkd->bhqk'``, ``'i,j->ij'``, ``'ij->ji'``, ``'ij->'``; operands
    are contracted pairwise from the left, each pair as one batched matrix product. Not supported: ``...`` and a
    subscript repeated within one operand (diagonals)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: expected at least one operand")
    ins, out, _ = _parse_einsum(equation, operands)
    x, sx = operands[0], ins[0]
    for k in range(1, len(operands)):
        later = set(out).union(*ins[k + 1:])
        x, sx = _einsum_pair(x, sx, operands[k], ins[k], later)
    extra = [i for i, c in enumerate(sx) if c not in out]
    if extra:
        x = x.sum(dim=tuple(extra))
        sx = "".join(c for c in sx if c in out)
    return x.permute(*[sx.index(c) for c in out]) if sx != out else x
