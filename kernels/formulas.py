"""Element-wise formulas, each written once: scalar ``@njit(inline="always")`` functions of one element that the CPU
loops inline and that the CUDA kernels call as device functions.

Every function here maps scalars to a scalar and uses only what both of Numba's targets compile: arithmetic,
comparisons, ``math`` functions (libm on the CPU, libdevice on a GPU) and other functions of this module. The two
backends apply them through their generic launchers: ``kernels/cpu/_map.py`` (``map_`` over one array, ``zip_``
over two, inlined into a cached ``@njit`` kernel) and ``kernels/cuda/_launch.py`` (``map_kernel`` /
``zip_kernel``: one grid-stride ``@cuda.jit`` kernel per formula). So an activation's value and its derivative are
the same code on both devices; under Numba's CUDA simulator a kernel calls the compiled CPU formula, so it computes
exactly what the CPU does. Numba types Python float constants as float64, so a formula applied to a float32
element computes in float64 and the launcher rounds the result once to float32. One helper walks a whole line of
arrays instead, written once for both devices' kernels: ``cumprod_backward_line`` (see there).

Backward formulas take the element ``x`` (or the forward's output ``y`` where the derivative is cheaper from it)
and the upstream gradient ``g`` and return dL/dx = g · φ'(x); they follow PyTorch's backward kernels at the kinks,
±inf and NaN (which branch a boundary point and a NaN take). Names: ``<op>`` is the forward value, ``<op>_backward``
its gradient. Nothing here is exported through a backend namespace (``tests/test_seam.py`` checks it).

After editing a formula, clear the ``__pycache__`` folders of ``kernels/cpu``: Numba's on-disk cache of a kernel
does not notice a change in a function it inlined.
"""
import math

import numpy as np
from numba import njit

_SQRT_HALF = 0.7071067811865476        # 1/√2
_INV_SQRT_2PI = 0.3989422804014327     # 1/√(2π)
_SQRT_2_OVER_PI = 0.7978845608028654   # √(2/π)
_GELU_C = 0.044715
_ONE_SIXTH_F32 = 0.1666666716337204    # float32(1/6): PyTorch's hardsigmoid backward uses it for every dtype
_INTEGRAL = 4503599627370496.0         # 2^52: every float (32 or 64 bit) at least this large is an integer


def formula(fn):
    """A scalar formula: inlined into its callers on both targets; ``error_model="numpy"`` (x/0 is ±inf or NaN,
    never a Python exception, as on a GPU) and ``cache=True`` for direct calls (the CUDA simulator's)."""
    return njit(inline="always", error_model="numpy", cache=True)(fn)


# ----------------------------------------------------------------------------- activations
@formula
def relu(x):
    """h = max(0, z); NaN stays NaN (PyTorch's clamp_min)."""
    return 0.0 if x <= 0 else x


@formula
def relu_backward(x, g):
    """dx = g · 1[not z ≤ 0]: 0 at z ≤ 0 (also at z = 0), g at z = NaN (PyTorch's threshold_backward)."""
    return 0.0 if x <= 0 else g


@formula
def leaky_relu(x, slope):
    """h = z for z > 0, slope · z otherwise."""
    return x if x > 0 else slope * x


@formula
def leaky_relu_backward(x, g, slope):
    """dx = g for z > 0, slope · g otherwise (so slope · g at z = 0 and at NaN, as PyTorch)."""
    return g if x > 0 else slope * g


@formula
def sigmoid(x):
    """σ(z) = 1/(1 + e^(−z)), as e^z/(1 + e^z) for z < 0 so that e^(·) never sees a positive argument."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@formula
def sigmoid_backward(y, g):
    """dx = g · σ(z)(1 − σ(z)), from the output y = σ(z)."""
    return g * y * (1.0 - y)


@formula
def tanh(x):
    """h = tanh z = (e^z − e^(−z))/(e^z + e^(−z))."""
    return math.tanh(x)


@formula
def tanh_backward(y, g):
    """dx = g · (1 − tanh² z), from the output y = tanh z."""
    return g * (1.0 - y * y)


@formula
def softplus(x, beta, threshold):
    """h = (1/β) ln(1 + e^(βz)) as (max(βz, 0) + ln(1 + e^(−|βz|)))/β; h = z where βz > threshold (PyTorch's
    linear region)."""
    u = beta * x
    if u > threshold:
        return x
    return (max(u, 0.0) + math.log1p(math.exp(-abs(u)))) / beta


@formula
def softplus_backward(x, g, beta, threshold):
    """dx = g · σ(βz), σ evaluated stably; g where βz > threshold."""
    u = beta * x
    if u > threshold:
        return g
    if u >= 0:
        return g / (1.0 + math.exp(-u))
    e = math.exp(u)
    return g * e / (1.0 + e)


@formula
def gelu(x, approximate):
    """GELU(z) = z · Φ(z): exact 0.5 · z · (1 + erf(z/√2)); with ``approximate`` the tanh form
    0.5 · z · (1 + tanh(√(2/π) · (z + 0.044715 z³)))."""
    if approximate:
        return 0.5 * x * (1.0 + math.tanh(_SQRT_2_OVER_PI * (x + _GELU_C * x * x * x)))
    return 0.5 * x * (1.0 + math.erf(x * _SQRT_HALF))


@formula
def gelu_backward(x, g, approximate):
    """dx = g · GELU'(z). Exact: Φ(z) + z·φ(z), Φ(z) = 0.5(1 + erf(z/√2)), φ(z) = e^(−z²/2)/√(2π). Tanh form, with
    t = tanh(√(2/π)(z + 0.044715 z³)): 0.5(1 + t) + 0.5 · z · (1 − t²) · √(2/π)(1 + 3 · 0.044715 z²)."""
    if approximate:
        t = math.tanh(_SQRT_2_OVER_PI * (x + _GELU_C * x * x * x))
        d = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_C * x * x)
    else:
        d = 0.5 * (1.0 + math.erf(x * _SQRT_HALF)) + x * _INV_SQRT_2PI * math.exp(-0.5 * x * x)
    return g * d


@formula
def silu(x):
    """SiLU(z) = z · σ(z) = z / (1 + e^(−z)) (PyTorch's form: NaN at z = −inf, −∞/∞)."""
    return x / (1.0 + math.exp(-x))


@formula
def silu_backward(x, g):
    """dx = g · σ(z)(1 + z(1 − σ(z))) with σ(z) = 1/(1 + e^(−z)) (NaN at z = ±inf, as PyTorch)."""
    s = 1.0 / (1.0 + math.exp(-x))
    return g * s * (1.0 + x * (1.0 - s))


@formula
def elu(x, alpha, scale, input_scale):
    """ELU family (PyTorch's elu kernel): h = scale · z for z > 0, scale · α · (e^(input_scale · z) − 1) (expm1)
    for z ≤ 0 and NaN. ELU: scale = input_scale = 1; SELU: α = 1.6733, scale = 1.0507; CELU: input_scale = 1/α."""
    if x <= 0:
        return math.expm1(x * input_scale) * (alpha * scale)
    return x * scale


@formula
def elu_backward(x, g, alpha, scale, input_scale):
    """dx = g · scale · α · input_scale · e^(input_scale · z) for z ≤ 0 (so g · scale · α · input_scale at z = 0),
    g · scale for z > 0 and NaN."""
    if x <= 0:
        return g * input_scale * (alpha * scale) * math.exp(x * input_scale)
    return g * scale


@formula
def hardtanh(x, min_val, max_val):
    """h = min_val for z < min_val, max_val for z > max_val, z otherwise (NaN and −0.0 stay)."""
    if x < min_val:
        return min_val
    if x > max_val:
        return max_val
    return x


@formula
def hardtanh_backward(x, g, min_val, max_val):
    """dx = 0 where z ≤ min_val or z ≥ max_val (0 at both boundaries, as PyTorch), g elsewhere and at NaN."""
    return 0.0 if (x <= min_val or x >= max_val) else g


@formula
def hardswish(x):
    """h = z · min(max(z + 3, 0), 6) / 6 (NaN at z = −inf: −∞ · 0)."""
    t = x + 3.0
    t = 0.0 if t < 0 else t
    t = 6.0 if t > 6 else t
    return x * t / 6.0


@formula
def hardswish_backward(x, g):
    """dx = 0 for z ≤ −3, g · (z/3 + 1/2) for −3 < z < 3, g for z ≥ 3 and NaN (PyTorch 2.13's boundaries)."""
    if x <= -3.0:
        return 0.0
    if x < 3.0:
        return g * (x / 3.0 + 0.5)
    return g


@formula
def hardsigmoid(x):
    """h = min(max(z + 3, 0), 6) / 6 (NaN stays NaN)."""
    t = x + 3.0
    t = 0.0 if t < 0 else t
    t = 6.0 if t > 6 else t
    return t / 6.0


@formula
def hardsigmoid_backward(x, g):
    """dx = g · float32(1/6) for −3 < z < 3, 0 elsewhere (at ±3 and NaN), as PyTorch's kernel."""
    return g * _ONE_SIXTH_F32 if (x > -3.0 and x < 3.0) else 0.0


@formula
def mish(x):
    """Mish(z) = z · tanh(softplus(z)) = z · tanh(ln(1 + e^z)) (PyTorch's form: NaN at z = −inf)."""
    return x * math.tanh(math.log1p(math.exp(x)))


@formula
def mish_backward(x, g):
    """dx = g · (t + z · σ(z) · (1 − t²)) with t = tanh(ln(1 + e^z)), σ(z) = 1/(1 + e^(−z)) (NaN at ±inf)."""
    s = 1.0 / (1.0 + math.exp(-x))
    t = math.tanh(math.log1p(math.exp(x)))
    return g * (t + x * s * (1.0 - t * t))


@formula
def logsigmoid(x):
    """log σ(z) = min(z, 0) − ln(1 + e^(−|z|)) (no overflow for any z)."""
    m = x if x < 0 else 0.0
    return m - math.log1p(math.exp(-abs(x)))


@formula
def logsigmoid_backward(x, g):
    """dx = g · (1 − σ(z)) = g · (m − s · e/(1 + e)), e = e^(−|z|), (m, s) = (1, 1) for z < 0, (0, −1) otherwise
    (PyTorch's log_sigmoid_backward: 1 at −inf, 0 at +inf)."""
    e = math.exp(-abs(x))
    if x < 0:
        return g * (1.0 - e / (1.0 + e))
    return g * (e / (1.0 + e))


# ----------------------------------------------------------------------------- unary math
@formula
def neg(x):
    """−x."""
    return -x


@formula
def exp(x):
    """eˣ (inf on overflow)."""
    return math.exp(x)


@formula
def log(x):
    """ln x (−inf at 0, NaN below)."""
    return math.log(x)


@formula
def sqrt(x):
    """√x (NaN below 0)."""
    return math.sqrt(x)


@formula
def absolute(x):
    """|x|."""
    return abs(x)


@formula
def sign(x):
    """sign x = [x > 0] − [x < 0] ∈ {−1, 0, 1}: 0 (not NaN) at NaN and +0 at −0, as PyTorch's sign."""
    return (x > 0) - (x < 0)


@formula
def logical_not(x):
    """not x."""
    return not x


@formula
def sin(x):
    """sin x."""
    return math.sin(x)


@formula
def cos(x):
    """cos x."""
    return math.cos(x)


@formula
def tan(x):
    """tan x."""
    return math.tan(x)


@formula
def rsqrt(x):
    """1/√x (inf at +0, −inf at −0, NaN below 0)."""
    return 1.0 / math.sqrt(x)


@formula
def trunc(x):
    """x rounded toward zero: the int64 conversion (exact, rounds toward zero) of |x| < 2^52; x itself where
    |x| ≥ 2^52 (already an integer, or ±inf) and at NaN; the sign of x kept (trunc(−0.5) = −0.0). (Numba's CPU
    target has no math.fmod, and math.trunc/floor return integers.)"""
    if not abs(x) < _INTEGRAL:
        return x
    return math.copysign(float(int(x)), x)


@formula
def floor(x):
    """⌊x⌋ = trunc x − 1 where trunc x > x (negative non-integers); floor(−0.0) = −0.0."""
    t = trunc(x)
    return t - 1.0 if t > x else t


@formula
def ceil(x):
    """⌈x⌉ = trunc x + 1 where trunc x < x (positive non-integers); ceil(−0.5) = −0.0 (trunc's sign)."""
    t = trunc(x)
    return t + 1.0 if t < x else t


@formula
def rint(x):
    """x rounded to the nearest integer, halves to the even one (IEEE roundTiesToEven, PyTorch's round): with
    f = ⌊x⌋ and d = x − f (exact), f + 1 where d > 1/2 or d = 1/2 and f is odd; the sign of x kept."""
    f = floor(x)
    d = x - f
    up = d > 0.5 or (d == 0.5 and (int(f) & 1) == 1)      # d = 1/2 only for |x| < 2^52
    return math.copysign(f + 1.0 if up else f, x)


@formula
def round_decimals(x, p, negative):
    """PyTorch's round(x, decimals=d) in the element's dtype: rint(x · p)/p with p = 10^d for d ≥ 0,
    rint(x / p) · p with p = 10^(−d) for d < 0 (``negative``)."""
    if negative:
        return rint(x / p) * p
    return rint(x * p) / p


@formula
def log2(x):
    """log₂ x (−inf at 0, NaN below)."""
    return math.log2(x)


@formula
def log1p(x):
    """ln(1 + x), accurate near 0."""
    return math.log1p(x)


@formula
def exp2(x):
    """2ˣ."""
    return math.pow(2.0, x)


@formula
def expm1(x):
    """eˣ − 1, accurate near 0."""
    return math.expm1(x)


@formula
def reciprocal(x):
    """1/x (±inf at ±0)."""
    return 1.0 / x


@formula
def square(x):
    """x² = x · x (integers stay integers)."""
    return x * x


# ----------------------------------------------------------------------------- scans
@formula
def cumprod_backward_line(x, y, g, out, o, r):
    """The gradient of y = cumprod(x) along the line (o, :, r) of (outer, n, inner) arrays, written to out there:
    with z the line's first zero of x (n if none), dx_i = (Σ_{j ≥ i} g_j y_j)/x_i for i < z;
    dx_z = Σ_{j ≥ z} g_j·Π_{k ≤ j, k ≠ z} x_k; dx_i = 0 for i > z (PyTorch's cumprod_backward, exact at zeros).
    The accumulators are float64 (g_j y_j is formed in the arrays' dtype), each dx_i rounded once to out's dtype;
    they are NumPy float64 scalars, not Python floats, so that the simulator, which runs this function's Python
    code (its arrays are Python objects that the compiled function cannot take), computes in the same types as
    the compiled function. Not a map over elements but one walk of a line (the CPU loops over the lines, a CUDA
    thread takes one); the only formula here that takes arrays."""
    n = x.shape[1]
    z = n
    for k in range(n):
        if x[o, k, r] == 0:
            z = k
            break
    for i in range(z + 1, n):
        out[o, i, r] = 0
    acc = np.float64(0.0)
    for i in range(z - 1, -1, -1):
        acc += g[o, i, r] * y[o, i, r]
        out[o, i, r] = acc / x[o, i, r]
    if z < n:
        p = np.float64(1.0)
        if z > 0:
            p = np.float64(y[o, z - 1, r])
        s = g[o, z, r] * p
        for j in range(z + 1, n):
            p *= x[o, j, r]
            s += g[o, j, r] * p
        out[o, z, r] = s
