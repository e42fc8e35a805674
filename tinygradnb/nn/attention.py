"""Attention: scaled dot-product attention, multi-head attention, sinusoidal positional encodings and the
Transformer encoder layer, under PyTorch's names and conventions, built only from existing differentiable ops.

The lecture's pieces (Part 4):
- all pairwise similarities in one product, (Q Kᵀ)_ij = q_i · k_j;
- softmax(z_i) = exp(z_i) / Σ_j exp(z_j) turns a row of scores into attention weights α_ij;
- the context is a weighted sum of values, output_i = Σ_j α_ij · v_j;
- autoregressive models see only the past, P(x_1..x_n) = Π_t P(x_t | x_1..x_{t−1}): the causal mask;
- order must be injected: PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d));
- residual connections h^[l+1] = f(h^[l]) + h^[l] and LayerNorm around every sub-block.

Masks. ``scaled_dot_product_attention`` takes a bool ``mask`` where True means "may attend" (the convention of
``torch.nn.functional.scaled_dot_product_attention``) or a float mask added to the scores (−inf blocks).
``MultiheadAttention`` follows ``torch.nn.MultiheadAttention`` instead: in a bool ``attn_mask`` or
``key_padding_mask`` True means "may NOT attend". A query row left with no key to attend to (every key masked)
gets all-zero weights and a zero output, and zero gradients (as PyTorch's ``scaled_dot_product_attention``;
``torch.nn.MultiheadAttention`` returns NaN there).

Errors follow PyTorch's exception types: shapes that do not fit together (q, k and v, a mask against the scores)
and mixed dtypes are a ``RuntimeError``; the input checks where ``torch.nn.MultiheadAttention`` raises
``AssertionError`` (a wrong rank or embedding size, key and value of different shapes, a key_padding_mask of the
wrong shape, a mask of an integer dtype) raise ``AttentionInputError``, which is both an ``AssertionError`` and a
``RuntimeError``; a non-tensor or non-float input is a ``TypeError``. Empty queries (L = 0) give an empty result and
no keys (S = 0) a zero output, as PyTorch.
"""
import copy
import math
import numbers

import numpy as np

from .. import creation
from ..tensor import as_dtype, float32
from ..ops._util import broadcast_shape, check_float, check_tensor
from ..ops.activation import relu, gelu
from ..ops.elementwise import cast, where, equal, greater, less_equal
from ..ops.dropout import dropout as _dropout
from ..ops.loss import softmax
from ..ops.matmul import matmul, linear
from ..ops.reduce import sum as _sum, mean as _mean
from ..ops.shape import reshape, permute, transpose, unsqueeze, squeeze, getitem
from . import init
from .layers import Linear, LayerNorm, Dropout
from .module import Module, Parameter, ModuleList

__all__ = ["scaled_dot_product_attention", "MultiheadAttention", "SinusoidalPositionalEncoding",
           "sinusoidal_table", "TransformerEncoderLayer", "TransformerEncoder", "AttentionInputError"]

_NEG_INF = float("-inf")


class AttentionInputError(RuntimeError, AssertionError):
    """An input that ``torch.nn.MultiheadAttention`` rejects with ``AssertionError`` (wrong rank or embedding size,
    key and value of different shapes, a key_padding_mask of the wrong shape, an integer mask). It is also a
    ``RuntimeError``, so both ``except AssertionError`` (code written against PyTorch) and ``except RuntimeError``
    catch it."""


# ----------------------------------------------------------------------------- validation helpers
def _check_bool(v, fn, arg):
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{fn}: {arg} must be a bool, got {v!r}")
    return bool(v)


def _check_int(v, fn, arg, lo=1):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{fn}: {arg} must be an int, got {v!r}")
    if v < lo:
        raise ValueError(f"{fn}: {arg} must be >= {lo}, got {v}")
    return int(v)


def _check_prob(p, fn, arg):
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{fn}: {arg} must be a number in [0, 1], got {p!r}")
    p = float(p)
    if not (math.isfinite(p) and 0.0 <= p <= 1.0):
        raise ValueError(f"{fn}: {arg} must be in [0, 1], got {p}")
    return p


def _check_mask(mask, fn, arg, like, error=RuntimeError):
    """A mask is a bool Tensor or a float Tensor of ``like``'s dtype (PyTorch does not promote masks), on
    ``like``'s device. ``error``: the exception for an integer mask (PyTorch: RuntimeError in
    scaled_dot_product_attention, AssertionError in MultiheadAttention)."""
    check_tensor(mask, fn, arg)
    if mask.dtype.kind not in "bf":
        raise error(f"{fn}: {arg} must be a bool or float tensor, got {mask.dtype}")
    if mask.dtype.kind == "f" and mask.dtype != like.dtype:
        raise RuntimeError(f"{fn}: {arg} has dtype {mask.dtype} but the query has dtype {like.dtype}; a float mask "
                           f"must have the query's dtype (or pass a bool mask)")
    if mask.device != like.device:
        raise ValueError(f"{fn}: {arg} is on {mask.device!r} but the inputs are on {like.device!r}")
    return mask


def _logical_and(a, b):
    return b if a is None else a if b is None else where(a, b, False)


# ----------------------------------------------------------------------------- functional
def scaled_dot_product_attention(q, k, v, mask=None, causal=False, dropout_p=0.0, return_weights=False, *,
                                 scale=None, attn_mask=None, is_causal=False):
    """Attention(Q, K, V) = softmax(Q Kᵀ / √d_k + M) V (Vaswani et al.), over the last two dimensions.

    The lecture's (Q Kᵀ)_ij = q_i · k_j gives every query–key similarity in one matmul; the row softmax
    softmax(z_i) = exp(z_i) / Σ_j exp(z_j) gives weights α_ij, and output_i = Σ_j α_ij v_j.

    Shapes: ``q`` (..., L, d), ``k`` (..., S, d), ``v`` (..., S, d_v), all of one float dtype; the batch
    dimensions ``...`` broadcast (NumPy rules). Returns the output (batch..., L, d_v), or ``(output, weights)``
    with weights (batch..., L, S) when ``return_weights``. L = 0 gives an empty result; S = 0 (no keys) a zero
    output and (batch..., L, 0) weights; d = 0 gives equal weights (as PyTorch). Shapes that do not fit and mixed
    dtypes raise ``RuntimeError`` (as PyTorch).

    ``mask``: broadcastable to (batch..., L, S); a bool tensor where True means "may attend" (as
    ``torch.nn.functional.scaled_dot_product_attention``'s ``attn_mask``), or a float tensor of q's dtype added to
    the scores (entries of −inf block like False; a float mask may require grad). ``causal``: query i attends only
    to keys j ≤ i (top-left aligned when L ≠ S, as PyTorch), combined with ``mask``. Masked weights are exactly 0.
    A query row with no key left to attend to gets all-zero weights and a zero output row (as PyTorch's CPU
    implementation), and no gradient flows through that row.

    ``dropout_p``: dropout on the weights (applied whenever > 0; pass 0 in evaluation); the returned weights are
    the ones used, after dropout. ``scale`` defaults to 1/√d. ``attn_mask`` and ``is_causal`` are accepted as
    PyTorch's keyword spellings of ``mask`` and ``causal``.
    """
    fn = "scaled_dot_product_attention"
    if attn_mask is not None:
        if mask is not None:
            raise TypeError(f"{fn}: pass either mask= or attn_mask=, not both")
        mask = attn_mask
    causal = _check_bool(causal, fn, "causal") or _check_bool(is_causal, fn, "is_causal")
    return_weights = _check_bool(return_weights, fn, "return_weights")
    dropout_p = _check_prob(dropout_p, fn, "dropout_p")
    names = {"q": "(..., L, d)", "k": "(..., S, d)", "v": "(..., S, d_v)"}
    for name, t in (("q", q), ("k", k), ("v", v)):
        check_float(t, fn, name)
    # torch 2.13 raises RuntimeError for all of these ("Expected query, key, and value to have the same dtype",
    # "... to all be at least 2 dimensional", "Expected size for first two dimensions of batch2 tensor", ...).
    if not q.dtype == k.dtype == v.dtype:
        raise RuntimeError(f"{fn}: q, k and v must have the same dtype, got q {q.dtype}, k {k.dtype} and v "
                           f"{v.dtype}")
    for name, t in (("q", q), ("k", k), ("v", v)):
        if t.ndim < 2:
            raise RuntimeError(f"{fn}: {name} must have shape {names[name]} (at least 2 dimensions), got "
                               f"{tuple(t.shape)}")
    for name, t in (("k", k), ("v", v)):
        if t.device != q.device:
            raise ValueError(f"{fn}: {name} is on {t.device!r} but q is on {q.device!r}")
    L, d = q.shape[-2:]
    S = k.shape[-2]
    if k.shape[-1] != d:
        raise RuntimeError(f"{fn}: q of shape {tuple(q.shape)} and k of shape {tuple(k.shape)} must share the last "
                           f"dimension d (expected k of shape (..., S, {d}))")
    if v.shape[-2] != S:
        raise RuntimeError(f"{fn}: k of shape {tuple(k.shape)} has S={S} keys but v of shape {tuple(v.shape)} has "
                           f"{v.shape[-2]} (expected v of shape (..., {S}, d_v))")
    try:
        batch = broadcast_shape(broadcast_shape(q.shape[:-2], k.shape[:-2]), v.shape[:-2])
    except ValueError:
        raise RuntimeError(f"{fn}: the batch dimensions of q {tuple(q.shape)}, k {tuple(k.shape)} and v "
                           f"{tuple(v.shape)} do not broadcast") from None
    score_shape = batch + (L, S)
    if scale is None:
        scale = 1.0 / math.sqrt(d) if d else 1.0  # d = 0: every score is an empty sum, 0 at any scale
    elif isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not math.isfinite(scale):
        raise TypeError(f"{fn}: scale must be a finite real number or None, got {scale!r}")

    scores = matmul(q, transpose(k, -2, -1)) * float(scale)  # (Q Kᵀ)_ij / √d_k
    allowed = None  # bool, True where query i may attend to key j
    if mask is not None:
        _check_mask(mask, fn, "mask", q)
        try:
            ok = broadcast_shape(mask.shape, score_shape) == score_shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"{fn}: mask of shape {tuple(mask.shape)} must broadcast to the scores' shape "
                               f"{score_shape} (batch..., L, S)")
        if mask.dtype.kind == "b":
            allowed = mask
        else:
            allowed = greater(mask, _NEG_INF)  # −inf entries block, as False would
            scores = scores + where(allowed, mask, 0.0)
    if causal:  # key j is visible to query i iff j ≤ i
        i = reshape(creation.arange(L, device=q.device), (L, 1))
        j = reshape(creation.arange(S, device=q.device), (1, S))
        allowed = _logical_and(allowed, less_equal(j, i))
    if allowed is not None:
        row_any = greater(_sum(allowed, axis=-1, keepdims=True), 0)
        # A row with nothing to attend to softmaxes its raw scores (finite) and is zeroed below.
        scores = where(where(row_any, allowed, True), scores, _NEG_INF)
    weights = softmax(scores, -1)  # α_ij; exp(−inf) makes masked weights exactly 0
    if allowed is not None:
        weights = where(row_any, weights, 0.0)
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p, True)
    out = matmul(weights, v)  # output_i = Σ_j α_ij v_j
    return (out, weights) if return_weights else out


# ----------------------------------------------------------------------------- MultiheadAttention
def _factory(dtype, device):
    return dict(dtype=as_dtype(dtype) or float32, device=device)


class MultiheadAttention(Module):
    """Multi-head attention as ``torch.nn.MultiheadAttention``: MultiHead(Q, K, V) = Concat(head_1..head_h)W_O
    with head_i = Attention(Q W_Q^i, K W_K^i, V W_V^i), Attention = softmax(Q Kᵀ/√d_k) V, d_k = E / h.

    Parameters (PyTorch's names, so a state_dict maps over): ``in_proj_weight`` (3E, E) stacking W_Q, W_K, W_V
    (Xavier-uniform), ``in_proj_bias`` (3E,) (zeros), ``out_proj`` a Linear(E, E) (its default init, bias zeros).
    Separate key/value sizes (kdim, vdim), add_bias_kv and add_zero_attn are not supported.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)``: query (L, N, E), key/value (S, N, E), or (N, L, E) / (N, S, E)
    with ``batch_first``, or unbatched (L, E) / (S, E). ``key_padding_mask`` (N, S) (or (S,) unbatched): bool with
    True = ignore that key, or float added to the scores. ``attn_mask`` (L, S) or (N·num_heads, L, S): bool with
    True = may NOT attend (PyTorch's MultiheadAttention convention, the opposite of
    ``scaled_dot_product_attention``'s), or float added. ``is_causal`` applies the causal mask (query i sees keys
    j ≤ i), combined with ``attn_mask`` if given. Returns (attn_output, attn_weights): the output in the query's
    layout, and the weights (N, L, S) averaged over heads, (N, num_heads, L, S) if not ``average_attn_weights``,
    or None if not ``need_weights``. Dropout on the weights acts in training mode only. A query with every key
    masked gets a zero attention output (so ``out_proj.bias``) instead of PyTorch's NaN; with no keys at all
    (S = 0) every query gets that, as in PyTorch; no queries (L = 0) give an empty output.

    query, key and value must have the parameters' dtype, and a float mask too (``RuntimeError`` otherwise, as
    PyTorch). Where PyTorch asserts (a wrong rank or embedding size, key and value of different shapes, a
    key_padding_mask of the wrong shape, an integer mask, embed_dim not divisible by num_heads) this raises
    ``AttentionInputError``, an ``AssertionError`` that is also a ``RuntimeError``.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False, dtype=None, device=None):
        super().__init__()
        fn = "MultiheadAttention"
        embed_dim = _check_int(embed_dim, fn, "embed_dim")
        num_heads = _check_int(num_heads, fn, "num_heads")
        if embed_dim % num_heads:  # torch 2.13: AssertionError "embed_dim must be divisible by num_heads"
            raise AttentionInputError(f"{fn}: embed_dim={embed_dim} must be divisible by num_heads={num_heads}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout = _check_prob(dropout, fn, "dropout")
        self.batch_first = _check_bool(batch_first, fn, "batch_first")
        f = _factory(dtype, device)
        self.in_proj_weight = Parameter(creation.empty(3 * embed_dim, embed_dim, **f))
        if _check_bool(bias, fn, "bias"):
            self.in_proj_bias = Parameter(creation.empty(3 * embed_dim, **f))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, **f)
        self._reset_parameters()

    def _reset_parameters(self):
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def extra_repr(self):
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
                f"batch_first={self.batch_first}")

    def _heads(self, x, n, length):
        """(N, length, E) -> (N, H, length, head_dim)."""
        return permute(reshape(x, (n, length, self.num_heads, self.head_dim)), (0, 2, 1, 3))

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        fn = "MultiheadAttention"
        E = self.embed_dim
        # torch 2.13 asserts the ranks, the embedding size and key.shape == value.shape (AssertionError); a dtype
        # other than the parameters' fails in its in-projection (RuntimeError "mat1 and mat2 must have the same
        # dtype"); a batch size that differs between query and key fails in a reshape (RuntimeError).
        for name, t in (("query", query), ("key", key), ("value", value)):
            check_float(t, fn, name)
            if t.ndim not in (2, 3) or t.shape[-1] != E:
                layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
                raise AttentionInputError(f"{fn}: {name} must have shape {layout} or unbatched (L, E) with E={E}, "
                                          f"got {tuple(t.shape)}")
            if t.device != query.device:
                raise ValueError(f"{fn}: {name} is on {t.device!r} but query is on {query.device!r}")
            if t.dtype != self.in_proj_weight.dtype:
                raise RuntimeError(f"{fn}: {name} has dtype {t.dtype} but the module's parameters have dtype "
                                   f"{self.in_proj_weight.dtype}; convert one with .to(dtype)")
        if not (query.ndim == key.ndim == value.ndim):
            raise AttentionInputError(f"{fn}: query, key and value must all be batched (3-D) or all unbatched "
                                      f"(2-D), got shapes {tuple(query.shape)}, {tuple(key.shape)}, "
                                      f"{tuple(value.shape)}")
        if key.shape != value.shape:
            raise AttentionInputError(f"{fn}: key of shape {tuple(key.shape)} and value of shape "
                                      f"{tuple(value.shape)} must have one shape")
        need_weights = _check_bool(need_weights, fn, "need_weights")
        average_attn_weights = _check_bool(average_attn_weights, fn, "average_attn_weights")
        is_causal = _check_bool(is_causal, fn, "is_causal")
        batched = query.ndim == 3
        self_attn = query is key and key is value
        # Work batch-first: (N, L, E).
        if not batched:
            query, key, value = (unsqueeze(t, 0) for t in (query, key, value))
        elif not self.batch_first:
            query, key, value = (transpose(t, 0, 1) for t in (query, key, value))
        n, L, _ = query.shape
        S = key.shape[1]
        if key.shape[0] != n:
            raise RuntimeError(f"{fn}: query has batch size {n} but key has {key.shape[0]}")

        mask = self._mask(key_padding_mask, attn_mask, n, L, S, batched, query)

        w, bias = self.in_proj_weight, self.in_proj_bias
        if self_attn:  # one packed projection [Q K V] = x W_inᵀ + b_in
            qkv = linear(query, w, bias)
            q, k, v = (getitem(qkv, (Ellipsis, slice(i * E, (i + 1) * E))) for i in range(3))
        else:
            parts = [(getitem(w, slice(i * E, (i + 1) * E)),
                      None if bias is None else getitem(bias, slice(i * E, (i + 1) * E))) for i in range(3)]
            q, k, v = (linear(t, wi, bi) for t, (wi, bi) in zip((query, key, value), parts))
        q, k, v = self._heads(q, n, L), self._heads(k, n, S), self._heads(v, n, S)
        p = self.dropout if self.training else 0.0
        out, weights = scaled_dot_product_attention(q, k, v, mask=mask, causal=is_causal, dropout_p=p,
                                                    return_weights=True)
        out = reshape(permute(out, (0, 2, 1, 3)), (n, L, E))  # Concat(head_1..head_h)
        out = self.out_proj(out)
        if not batched:
            out = squeeze(out, 0)
        elif not self.batch_first:
            out = transpose(out, 0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = _mean(weights, axis=1)
        return out, (squeeze(weights, 0) if not batched else weights)

    def _mask(self, key_padding_mask, attn_mask, n, L, S, batched, like):
        """Both masks as one bool "may attend" mask or one additive float mask, broadcastable to (N, H, L, S)."""
        fn = "MultiheadAttention"
        H = self.num_heads
        masks = []
        # torch 2.13: an integer mask, a key_padding_mask of the wrong shape and an attn_mask of the wrong rank are
        # AssertionErrors; an attn_mask of the right rank but the wrong shape a RuntimeError.
        if key_padding_mask is not None:
            _check_mask(key_padding_mask, fn, "key_padding_mask", like, AttentionInputError)
            expected = (n, S) if batched else (S,)
            if tuple(key_padding_mask.shape) != expected:
                raise AttentionInputError(f"{fn}: key_padding_mask must have shape {expected} (batch, source "
                                          f"length), got {tuple(key_padding_mask.shape)}")
            masks.append(reshape(key_padding_mask, (n, 1, 1, S)))
        if attn_mask is not None:
            _check_mask(attn_mask, fn, "attn_mask", like, AttentionInputError)
            shapes = [(L, S), (n * H, L, S)] if batched else [(L, S), (H, L, S)]
            if tuple(attn_mask.shape) not in shapes:
                error = RuntimeError if attn_mask.ndim in (2, 3) else AttentionInputError
                raise error(f"{fn}: attn_mask must have shape {shapes[0]} or {shapes[1]}, got "
                            f"{tuple(attn_mask.shape)}")
            masks.append(attn_mask if attn_mask.ndim == 2 else reshape(attn_mask, (n, H, L, S)))
        if not masks:
            return None
        # PyTorch's bool convention here is True = blocked; turn it into True = may attend.
        masks = [equal(m, False) if m.dtype.kind == "b" else m for m in masks]
        if all(m.dtype.kind == "b" for m in masks):
            out = None
            for m in masks:
                out = _logical_and(out, m)
            return out
        ref = creation.zeros((), dtype=like.dtype, device=like.device)  # float masks have the query's dtype
        out = None
        for m in masks:
            m = where(m, ref, _NEG_INF) if m.dtype.kind == "b" else m
            out = m if out is None else out + m
        return out


# ----------------------------------------------------------------------------- positional encoding
def sinusoidal_table(max_len, d_model):
    """The (max_len, d_model) float64 NumPy table of Vaswani et al. (the lecture's position encodings):
    PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)). With an odd d the last
    column is a sine. Built on the host once; a constant, not a tensor op."""
    pos = np.arange(max_len, dtype=np.float64)[:, None]
    two_i = (np.arange(d_model) // 2 * 2).astype(np.float64)  # 2i for both columns 2i and 2i+1
    angle = pos / np.power(10000.0, two_i / d_model)
    return np.where(np.arange(d_model) % 2 == 0, np.sin(angle), np.cos(angle))


class SinusoidalPositionalEncoding(Module):
    """x + PE[:L], then dropout: PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d))
    (Vaswani et al.; the lecture's "Sinusoidal position encodings"). The table is a registered buffer ``pe`` of
    shape (max_len, d_model) (in ``state_dict``, moved by ``to``/``double``, not a parameter).

    Input (L, N, d_model), or (N, L, d_model) with ``batch_first``, or unbatched (L, d_model); L ≤ ``max_len``.
    """

    def __init__(self, d_model, max_len=5000, dropout=0.0, batch_first=False, dtype=None, device=None):
        super().__init__()
        fn = "SinusoidalPositionalEncoding"
        self.d_model = _check_int(d_model, fn, "d_model")
        self.max_len = _check_int(max_len, fn, "max_len")
        self.batch_first = _check_bool(batch_first, fn, "batch_first")
        self.dropout = Dropout(_check_prob(dropout, fn, "dropout"))
        f = _factory(dtype, device)
        self.register_buffer("pe", creation.tensor(sinusoidal_table(self.max_len, self.d_model), **f))

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}, batch_first={self.batch_first}"

    def forward(self, x):
        fn = "SinusoidalPositionalEncoding"
        check_float(x, fn, "x")
        layout = "(N, L, d_model)" if self.batch_first else "(L, N, d_model)"
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            raise ValueError(f"{fn}: x must have shape {layout} or (L, d_model) with d_model={self.d_model}, got "
                             f"{tuple(x.shape)}")
        if x.device != self.pe.device:
            raise ValueError(f"{fn}: x is on {x.device!r} but the table is on {self.pe.device!r}")
        L = x.shape[1] if x.ndim == 3 and self.batch_first else x.shape[0]
        if L > self.max_len:
            raise ValueError(f"{fn}: sequence length {L} (x of shape {tuple(x.shape)}) exceeds max_len="
                             f"{self.max_len}")
        pe = cast(getitem(self.pe, slice(0, L)), x.dtype)
        if x.ndim == 3:
            pe = unsqueeze(pe, 0 if self.batch_first else 1)
        return self.dropout(x + pe)


# ----------------------------------------------------------------------------- Transformer encoder
_ACTIVATIONS = {"relu": relu, "gelu": gelu}


class TransformerEncoderLayer(Module):
    """One Transformer encoder block (``torch.nn.TransformerEncoderLayer``): self-attention and a feed-forward
    network FF(x) = W_2 Dropout(act(W_1 x + b_1)) + b_2, each wrapped in the lecture's residual connection
    h^[l+1] = f(h^[l]) + h^[l] and LayerNorm.

    ``norm_first=True`` (the default here; PyTorch's default is False) is pre-norm:
        x = x + Dropout(SelfAttn(LN1(x)));  x = x + Dropout(FF(LN2(x)))
    ``norm_first=False`` is the original post-norm:
        x = LN1(x + Dropout(SelfAttn(x)));  x = LN2(x + Dropout(FF(x)))
    ``activation``: 'relu', 'gelu' or a callable. Submodule names are PyTorch's (self_attn, linear1, dropout,
    linear2, norm1, norm2, dropout1, dropout2), so a state_dict maps over.

    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``: src (S, N, E), or (N, S, E) with
    ``batch_first``, or unbatched (S, E), of the parameters' dtype; the masks follow ``MultiheadAttention`` (bool
    True = blocked). Errors as PyTorch: a src of the wrong rank or size is an ``AttentionInputError`` (an
    ``AssertionError`` and a ``RuntimeError``), a src of another dtype or an unknown activation name a
    ``RuntimeError``, a negative dim_feedforward a ``RuntimeError`` (0 is allowed).
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=True, bias=True, dtype=None, device=None):
        super().__init__()
        fn = "TransformerEncoderLayer"
        self.d_model = _check_int(d_model, fn, "d_model")
        if isinstance(dim_feedforward, bool) or not isinstance(dim_feedforward, numbers.Integral):
            raise TypeError(f"{fn}: dim_feedforward must be an int, got {dim_feedforward!r}")
        if dim_feedforward < 0:  # torch 2.13: RuntimeError "Trying to create tensor with negative dimension"
            raise RuntimeError(f"{fn}: dim_feedforward must be >= 0, got {dim_feedforward} (trying to create a "
                               f"tensor with a negative dimension)")
        dim_feedforward = int(dim_feedforward)
        dropout = _check_prob(dropout, fn, "dropout")
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:  # torch 2.13: RuntimeError "activation should be relu/gelu, not ..."
                raise RuntimeError(f"{fn}: activation must be 'relu', 'gelu' or a callable, got {activation!r}")
            activation = _ACTIVATIONS[activation]
        elif not callable(activation):
            raise TypeError(f"{fn}: activation must be 'relu', 'gelu' or a callable, got {activation!r}")
        f = _factory(dtype, device)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **f)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **f)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **f)
        self.norm_first = _check_bool(norm_first, fn, "norm_first")
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **f)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **f)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = activation
        self.batch_first = batch_first

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        fn = "TransformerEncoderLayer"
        check_float(src, fn, "src")
        if src.ndim not in (2, 3) or src.shape[-1] != self.d_model:  # torch 2.13: AssertionError
            layout = "(N, S, E)" if self.batch_first else "(S, N, E)"
            raise AttentionInputError(f"{fn}: src must have shape {layout} or (S, E) with E=d_model="
                                      f"{self.d_model}, got {tuple(src.shape)}")
        dt = self.self_attn.in_proj_weight.dtype
        if src.dtype != dt:  # torch 2.13: RuntimeError "mat1 and mat2 must have the same dtype"
            raise RuntimeError(f"{fn}: src has dtype {src.dtype} but the layer's parameters have dtype {dt}; "
                               f"convert one with .to(dtype)")
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x


class TransformerEncoder(Module):
    """``num_layers`` independent deep copies of ``encoder_layer`` applied in turn (``torch.nn.TransformerEncoder``),
    then ``norm`` if given (a final LayerNorm, as pre-norm stacks use). ``forward(src, mask=None,
    src_key_padding_mask=None, is_causal=False)`` passes the masks to every layer. ``num_layers=0`` is allowed (as
    PyTorch: only ``norm`` acts); a negative count is a ``ValueError`` (PyTorch treats it as 0)."""

    def __init__(self, encoder_layer, num_layers, norm=None):
        super().__init__()
        fn = "TransformerEncoder"
        if not isinstance(encoder_layer, Module):
            raise TypeError(f"{fn}: encoder_layer must be a Module, got {type(encoder_layer).__name__}")
        if norm is not None and not isinstance(norm, Module):
            raise TypeError(f"{fn}: norm must be a Module or None, got {type(norm).__name__}")
        self.num_layers = _check_int(num_layers, fn, "num_layers", lo=0)
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(self.num_layers)])
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=is_causal)
        return x if self.norm is None else self.norm(x)
