"""Attention: scaled_dot_product_attention, MultiheadAttention, SinusoidalPositionalEncoding,
TransformerEncoderLayer / TransformerEncoder — forward against NumPy float64 references, gradients against
central differences of those references, masking semantics (fully-masked rows), a tiny training run, and bad inputs.

The tests that take ``device`` run on cuda too. Under the CUDA simulator a forward and backward pass of sdpa costs
about half a second and one of MultiheadAttention or an encoder layer well over a second, so the device runs one
or two cases of each (the ``..._more`` tests run the other cases on the CPU only); the larger compositions
(gradients of the modules, stacked encoders, training) run on the CPU, on kernels the device tests already run.
"""
import math

import numpy as np
import pytest

import tinygradnb as tg
import tinygradnb.nn.functional as F
from tinygradnb import nn
from tinygradnb.nn.attention import (scaled_dot_product_attention as sdpa, MultiheadAttention,
                                     SinusoidalPositionalEncoding, TransformerEncoderLayer, TransformerEncoder,
                                     AttentionInputError)

from refgrad import check_grad

RNG = np.random.default_rng(0)


def t64(a, grad=False, device="cpu"):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad, device=device)


# ----------------------------------------------------------------------------- NumPy float64 references
def ref_sdpa(q, k, v, allowed=None, add=None, causal=False, scale=None):
    """softmax(q kᵀ·scale + add, masked) v; a row with nothing allowed gives zero weights."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    L, S = s.shape[-2:]
    allow = np.ones(s.shape, bool)
    if allowed is not None:
        allow = allow & allowed
    if add is not None:
        allow = allow & (add > -np.inf)
        s = s + np.where(add > -np.inf, add, 0.0)
    if causal:
        allow = allow & np.tril(np.ones((L, S), bool))
    s = np.broadcast_to(s, allow.shape)
    any_ = allow.any(axis=-1, keepdims=True)
    s = np.where(allow, s, -np.inf)
    m = np.where(any_, s.max(axis=-1, keepdims=True), 0.0)
    e = np.where(allow, np.exp(np.where(allow, s - m, 0.0)), 0.0)
    w = np.where(any_, e / np.where(any_, e.sum(axis=-1, keepdims=True), 1.0), 0.0)
    return w @ v, w


def ref_mha(mod, query, key, value, key_padding_mask=None, attn_mask=None, causal=False, average=True):
    """PyTorch's MultiheadAttention in NumPy from the module's own weights (bool masks: True = blocked)."""
    E, H = mod.embed_dim, mod.num_heads
    hd = E // H
    W = mod.in_proj_weight.numpy().astype(np.float64)
    b = np.zeros(3 * E) if mod.in_proj_bias is None else mod.in_proj_bias.numpy().astype(np.float64)
    Wo = mod.out_proj.weight.numpy().astype(np.float64)
    bo = np.zeros(E) if mod.out_proj.bias is None else mod.out_proj.bias.numpy().astype(np.float64)
    if not mod.batch_first:
        query, key, value = (np.swapaxes(t, 0, 1) for t in (query, key, value))
    N, L, _ = query.shape
    S = key.shape[1]
    q, k, v = (x @ W[i * E:(i + 1) * E].T + b[i * E:(i + 1) * E] for i, x in enumerate((query, key, value)))
    q, k, v = (x.reshape(N, -1, H, hd).transpose(0, 2, 1, 3) for x in (q, k, v))
    allowed, add = np.ones((N, H, L, S), bool), np.zeros((N, H, L, S))
    if key_padding_mask is not None:
        if key_padding_mask.dtype == bool:
            allowed &= ~key_padding_mask[:, None, None, :]
        else:
            add = add + key_padding_mask[:, None, None, :]
    if attn_mask is not None:
        am = attn_mask if attn_mask.ndim == 2 else attn_mask.reshape(N, H, L, S)
        if am.dtype == bool:
            allowed &= ~am
        else:
            add = add + am
    out, w = ref_sdpa(q, k, v, allowed, add, causal)
    out = out.transpose(0, 2, 1, 3).reshape(N, L, E) @ Wo.T + bo
    if not mod.batch_first:
        out = np.swapaxes(out, 0, 1)
    return out, (w.mean(axis=1) if average else w)


def ref_layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps) * w + b


def ref_encoder_layer(layer, x, key_padding_mask=None):
    """Pre-norm or post-norm encoder layer with ReLU, no dropout."""
    p = {n: t.numpy().astype(np.float64) for n, t in layer.named_parameters()}

    def ln(h, i):
        return ref_layer_norm(h, p[f"norm{i}.weight"], p[f"norm{i}.bias"])

    def sa(h):
        return ref_mha(layer.self_attn, h, h, h, key_padding_mask=key_padding_mask)[0]

    def ff(h):
        return np.maximum(h @ p["linear1.weight"].T + p["linear1.bias"], 0) @ p["linear2.weight"].T + p["linear2.bias"]

    if layer.norm_first:
        x = x + sa(ln(x, 1))
        return x + ff(ln(x, 2))
    x = ln(x + sa(x), 1)
    return ln(x + ff(x), 2)


# ----------------------------------------------------------------------------- scaled_dot_product_attention
SDPA_CASES = {
    "plain": dict(),
    "padding": dict(allowed=np.array([[True, True, True, False, False]])[:, None, :]),
    "causal": dict(causal=True),
    "padding+causal": dict(allowed=np.array([[True, True, True, True, False]])[:, None, :], causal=True),
    "full_bool": dict(allowed=RNG.random((2, 3, 5)) < 0.7),
    "float": dict(add=RNG.standard_normal((3, 5))),
    "float_neg_inf": dict(add=np.where(RNG.random((2, 3, 5)) < 0.3, -np.inf, RNG.standard_normal((2, 3, 5)))),
}


@pytest.mark.parametrize("case", list(SDPA_CASES))
def test_sdpa_forward_matches_reference(case):
    kw = SDPA_CASES[case]
    q, k, v = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 5, 4)), RNG.standard_normal((2, 5, 6))
    mask = None
    if "allowed" in kw:
        mask = tg.tensor(kw["allowed"])
    elif "add" in kw:
        mask = t64(kw["add"])
    out, w = sdpa(t64(q), t64(k), t64(v), mask=mask, causal=kw.get("causal", False), return_weights=True)
    ref_out, ref_w = ref_sdpa(q, k, v, kw.get("allowed"), kw.get("add"), kw.get("causal", False))
    assert out.shape == (2, 3, 6) and w.shape == (2, 3, 5) and out.dtype == tg.float64
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.numpy(), ref_w, rtol=1e-12, atol=1e-12)


def test_sdpa_weights_rows_sum_to_one_and_masked_entries_exactly_zero():
    q, k, v = RNG.standard_normal((3, 4, 8)), RNG.standard_normal((3, 6, 8)), RNG.standard_normal((3, 6, 2))
    lengths = np.array([6, 4, 2])
    allowed = np.arange(6)[None, None, :] < lengths[:, None, None]  # (3, 1, 6) key padding
    _, w = sdpa(t64(q), t64(k), t64(v), mask=tg.tensor(allowed), causal=True, return_weights=True)
    w = w.numpy()
    blocked = ~(allowed & np.tril(np.ones((4, 6), bool)))
    assert np.all(w[np.broadcast_to(blocked, w.shape)] == 0.0)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-12)
    assert np.all(w[np.broadcast_to(~blocked, w.shape)] > 0)


def test_sdpa_batch_broadcasting():
    q, k, v = RNG.standard_normal((2, 3, 4, 5)), RNG.standard_normal((3, 6, 5)), RNG.standard_normal((1, 1, 6, 7))
    out = sdpa(t64(q), t64(k), t64(v))
    assert out.shape == (2, 3, 4, 7)
    np.testing.assert_allclose(out.numpy(), ref_sdpa(q, k, v)[0], rtol=1e-12, atol=1e-12)


def test_sdpa_causal_with_more_keys_than_queries_is_top_left_aligned():
    q, k, v = RNG.standard_normal((2, 4)), RNG.standard_normal((5, 4)), RNG.standard_normal((5, 3))
    _, w = sdpa(t64(q), t64(k), t64(v), causal=True, return_weights=True)
    np.testing.assert_array_equal(w.numpy() > 0, np.tril(np.ones((2, 5), bool)))


def test_sdpa_float_neg_inf_mask_equals_bool_mask():
    q, k, v = RNG.standard_normal((3, 4)), RNG.standard_normal((5, 4)), RNG.standard_normal((5, 2))
    allowed = RNG.random((3, 5)) < 0.6
    allowed[:, 0] = True
    a = sdpa(t64(q), t64(k), t64(v), mask=tg.tensor(allowed))
    b = sdpa(t64(q), t64(k), t64(v), mask=t64(np.where(allowed, 0.0, -np.inf)))
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_sdpa_custom_scale_and_pytorch_keyword_spellings():
    q, k, v = RNG.standard_normal((3, 4)), RNG.standard_normal((5, 4)), RNG.standard_normal((5, 2))
    allowed = np.ones((3, 5), bool)
    allowed[1, 2:] = False
    out = sdpa(t64(q), t64(k), t64(v), attn_mask=tg.tensor(allowed), is_causal=True, scale=0.3)
    np.testing.assert_allclose(out.numpy(), ref_sdpa(q, k, v, allowed, causal=True, scale=0.3)[0], rtol=1e-12)


def test_sdpa_float32(device):
    q, k, v = (RNG.standard_normal(s).astype(np.float32) for s in ((2, 3, 8), (2, 5, 8), (2, 5, 4)))
    out = sdpa(tg.tensor(q, device=device), tg.tensor(k, device=device), tg.tensor(v, device=device), causal=True)
    assert out.dtype == tg.float32
    ref = ref_sdpa(q.astype(np.float64), k.astype(np.float64), v.astype(np.float64), causal=True)[0]
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-6)


def test_sdpa_fully_masked_row_gives_zero_output_and_finite_gradients(device):
    allowed = np.ones((3, 5), bool)
    allowed[1] = False  # query 1 may attend to nothing
    mask = tg.tensor(allowed, device=device)
    (out, w), (q, k, v) = check_grad(lambda q, k, v: sdpa(q, k, v, mask=mask, return_weights=True),
                                     lambda q, k, v: ref_sdpa(q, k, v, allowed),
                                     [RNG.standard_normal(s) for s in ((3, 4), (5, 4), (5, 2))], device)
    np.testing.assert_array_equal(out.numpy()[1], 0.0)
    np.testing.assert_array_equal(w.numpy()[1], 0.0)
    for t in (q, k, v):
        assert np.all(np.isfinite(t.grad.numpy()))
    np.testing.assert_array_equal(q.grad.numpy()[1], 0.0)  # the dead row passes no gradient back


def test_sdpa_fully_masked_row_by_float_mask_is_zero_not_nan(device):
    # torch 2.13's sdpa on the CPU gives such a row zeros as well (MultiheadAttention gives NaN)
    q, k, v = (t64(RNG.standard_normal(s), device=device) for s in ((2, 4), (3, 4), (3, 2)))
    add = np.array([[0.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf]])
    out = sdpa(q, k, v, mask=t64(add, device=device)).numpy()
    np.testing.assert_array_equal(out[1], 0.0)
    np.testing.assert_allclose(out, ref_sdpa(q.numpy(), k.numpy(), v.numpy(), add=add)[0], rtol=1e-12)


# torch 2.13: no queries (L = 0) give an empty (..., 0, d_v) result; no keys (S = 0) give a zero output and
# (..., L, 0) weights, with or without a mask or is_causal, and zero gradients; d = 0 gives every key the same weight
# (the scores are empty sums), e.g. sdpa(q (1, 2, 0), k (1, 3, 0), arange(6).reshape(1, 3, 2)) == [[2, 3], [2, 3]].
@pytest.mark.parametrize("kw", [{"mask": "bool"}], ids=str)
def test_sdpa_no_keys_gives_zeros(kw, device):
    kw = dict(kw)
    if kw.get("mask") == "bool":
        kw["mask"] = tg.ones(3, 0, dtype=tg.bool_, device=device)
    elif kw.get("mask") == "float":
        kw["mask"] = t64(np.zeros((3, 0)), device=device)
    q, k, v = t64(RNG.standard_normal((2, 3, 4)), grad=True, device=device), \
        t64(np.zeros((2, 0, 4)), grad=True, device=device), t64(np.zeros((2, 0, 6)), grad=True, device=device)
    out, w = sdpa(q, k, v, return_weights=True, **kw)
    assert out.shape == (2, 3, 6) and w.shape == (2, 3, 0) and out.dtype == tg.float64
    np.testing.assert_array_equal(out.numpy(), 0.0)
    out.sum().backward()
    np.testing.assert_array_equal(q.grad.numpy(), 0.0)
    assert k.grad.shape == (2, 0, 4) and v.grad.shape == (2, 0, 6)


@pytest.mark.parametrize("kw", [{}, {"causal": True}, {"mask": "float"}], ids=str)
def test_sdpa_no_keys_gives_zeros_more(kw):
    test_sdpa_no_keys_gives_zeros(kw, "cpu")


def test_sdpa_no_queries_gives_an_empty_result(device):
    q, k = t64(np.zeros((2, 0, 4)), grad=True, device=device), t64(RNG.standard_normal((2, 5, 4)), grad=True,
                                                                   device=device)
    out, w = sdpa(q, k, t64(RNG.standard_normal((2, 5, 6)), device=device), return_weights=True, causal=True)
    assert out.shape == (2, 0, 6) and w.shape == (2, 0, 5)
    out.sum().backward()
    np.testing.assert_array_equal(k.grad.numpy(), 0.0)


def test_sdpa_empty_feature_dimensions(device):
    q, k = tg.zeros(1, 2, 0, device=device), tg.zeros(1, 3, 0, device=device)
    v = tg.arange(6, device=device).float().reshape(1, 3, 2)
    np.testing.assert_array_equal(sdpa(q, k, v).numpy(), [[[2.0, 3.0], [2.0, 3.0]]])
    np.testing.assert_array_equal(sdpa(q, k, v, scale=2.0).numpy(), [[[2.0, 3.0], [2.0, 3.0]]])
    assert sdpa(_q(device, 2, 3, 4), _q(device, 2, 5, 4), _q(device, 2, 5, 0)).shape == (2, 3, 0)


def test_attention_input_error_is_an_assertion_and_a_runtime_error():
    # torch.nn.MultiheadAttention asserts; code ported from PyTorch catches AssertionError, this project's rule
    # (issue #11) is RuntimeError: the error is both
    assert issubclass(AttentionInputError, AssertionError) and issubclass(AttentionInputError, RuntimeError)
    for exc in (AssertionError, RuntimeError):
        with pytest.raises(exc, match="embed_dim=10 must be divisible by num_heads=3"):
            MultiheadAttention(10, 3)


@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_no_keys_gives_the_output_bias_and_no_queries_an_empty_result(batch_first):
    # torch 2.13: S = 0 -> attention output 0, so out_proj.bias in every position; weights (N, L, 0); zero
    # gradients. L = 0 -> output (0, N, E) (or (N, 0, E)), weights (N, 0, S). Also unbatched.
    mod = MultiheadAttention(4, 2, batch_first=batch_first, dtype=tg.float64)
    with tg.no_grad():
        mod.out_proj.bias[...] = tg.tensor([1.0, 2.0, 3.0, 4.0], dtype=tg.float64)
    lay = (lambda n, length: (n, length, 4)) if batch_first else (lambda n, length: (length, n, 4))
    q = t64(RNG.standard_normal(lay(2, 3)), grad=True)
    out, w = mod(q, t64(np.zeros(lay(2, 0))), t64(np.zeros(lay(2, 0))))
    assert out.shape == lay(2, 3) and w.shape == (2, 3, 0)
    np.testing.assert_array_equal(out.numpy(), np.broadcast_to([1.0, 2.0, 3.0, 4.0], lay(2, 3)))
    out.sum().backward()
    np.testing.assert_array_equal(q.grad.numpy(), 0.0)
    np.testing.assert_array_equal(mod.in_proj_weight.grad.numpy(), 0.0)
    out, w = mod(t64(np.zeros(lay(2, 0))), t64(np.ones(lay(2, 5))), t64(np.ones(lay(2, 5))),
                 key_padding_mask=tg.zeros(2, 5, dtype=tg.bool_))
    assert out.shape == lay(2, 0) and w.shape == (2, 0, 5)
    out, w = mod(t64(np.ones((3, 4))), t64(np.zeros((0, 4))), t64(np.zeros((0, 4))))
    assert out.shape == (3, 4) and w.shape == (3, 0)
    x = t64(np.zeros(lay(2, 0)))
    out, w = mod(x, x, x, average_attn_weights=False)
    assert out.shape == lay(2, 0) and w.shape == (2, 2, 0, 0)


def test_encoder_layer_empty_sequence_zero_feedforward_and_zero_layers():
    tg.manual_seed(0)
    # torch 2.13: an empty sequence passes through (S = 0 -> (0, N, E)); dim_feedforward=0 is allowed (the
    # feed-forward block gives linear2.bias); TransformerEncoder(layer, 0) applies only its norm
    layer = TransformerEncoderLayer(8, 2, dim_feedforward=4, dropout=0.0, dtype=tg.float64)
    assert layer(t64(np.zeros((0, 2, 8)))).shape == (0, 2, 8)
    assert layer(t64(np.zeros((3, 0, 8)))).shape == (3, 0, 8)
    for norm_first in (True, False):
        with pytest.warns(UserWarning, match="zero-element"):   # as torch's Linear(8, 0)
            layer = TransformerEncoderLayer(8, 2, dim_feedforward=0, dropout=0.0, norm_first=norm_first,
                                            dtype=tg.float64)
        assert layer.linear1.weight.shape == (0, 8) and layer.linear2.weight.shape == (8, 0)
        x = RNG.standard_normal((3, 2, 8))
        np.testing.assert_allclose(layer(t64(x)).numpy(), ref_encoder_layer(layer, x), rtol=1e-12, atol=1e-12)
    final = nn.LayerNorm(8, dtype=tg.float64)
    enc = TransformerEncoder(layer, 0, norm=final)
    assert len(enc.layers) == 0
    x = t64(RNG.standard_normal((3, 2, 8)))
    np.testing.assert_array_equal(enc(x).numpy(), final(x).numpy())
    assert TransformerEncoder(layer, 0)(x) is x


def test_sdpa_dropout_zeroes_or_rescales_weights_reproducibly():
    q, k, v = (t64(RNG.standard_normal(s)) for s in ((4, 4), (6, 4), (6, 3)))
    _, w0 = sdpa(q, k, v, return_weights=True)
    tg.manual_seed(7)
    out1, w1 = sdpa(q, k, v, dropout_p=0.5, return_weights=True)
    tg.manual_seed(7)
    out2 = sdpa(q, k, v, dropout_p=0.5)
    w0, w1 = w0.numpy(), w1.numpy()
    kept = w1 != 0
    assert 0 < kept.sum() < kept.size
    np.testing.assert_allclose(w1[kept], 2.0 * w0[kept], rtol=1e-12)
    np.testing.assert_allclose(out1.numpy(), w1 @ v.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(out1.numpy(), out2.numpy())


@pytest.mark.parametrize("case", ["plain", "padding", "causal", "float_mask", "dead_row", "broadcast"])
def test_sdpa_gradcheck(case):
    L, S = (3, 4)
    qs, ks, vs = (2, L, 3), (2, S, 3), (2, S, 2)
    kw = {}
    if case == "padding":
        kw["mask"] = tg.tensor(np.array([[True, True, False, False], [True, True, True, True]])[:, None, :])
    elif case == "causal":
        kw["causal"] = True
    elif case == "dead_row":
        allowed = np.ones((2, L, S), bool)
        allowed[0, 1] = False
        kw["mask"] = tg.tensor(allowed)
    elif case == "broadcast":
        ks, vs = (S, 3), (1, S, 2)
    args = [t64(RNG.standard_normal(s), grad=True) for s in (qs, ks, vs)]
    if case == "float_mask":  # an additive mask that is itself learned (a relative-position bias)
        args.append(t64(RNG.standard_normal((L, S)), grad=True))
        assert tg.gradcheck(lambda q, k, v, m: sdpa(q, k, v, mask=m, return_weights=True), args)
    else:
        assert tg.gradcheck(lambda q, k, v: sdpa(q, k, v, return_weights=True, **kw), args)


# ----------------------------------------------------------------------------- MultiheadAttention
def make_mha(E=8, H=2, batch_first=False, bias=True, seed=0, device="cpu", **kw):
    tg.manual_seed(seed)
    mod = MultiheadAttention(E, H, batch_first=batch_first, bias=bias, dtype=tg.float64, **kw)
    with tg.no_grad():  # non-zero biases so the reference checks them
        if bias:
            mod.in_proj_bias += t64(RNG.standard_normal(3 * E) * 0.1)
            mod.out_proj.bias += t64(RNG.standard_normal(E) * 0.1)
    return mod.to(device)


def seq(shape_lne, batch_first):
    """A random float64 array in (L, N, E), or (N, L, E) when batch_first."""
    L, N, E = shape_lne
    return RNG.standard_normal((N, L, E) if batch_first else (L, N, E))


def test_mha_parameters_names_shapes_and_init_as_pytorch():
    tg.manual_seed(0)
    mod = MultiheadAttention(12, 3)
    sd = mod.state_dict()
    assert list(sd) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert sd["in_proj_weight"].shape == (36, 12) and sd["in_proj_bias"].shape == (36,)
    assert sd["out_proj.weight"].shape == (12, 12) and sd["out_proj.bias"].shape == (12,)
    assert isinstance(mod.out_proj, nn.Linear)
    np.testing.assert_array_equal(sd["in_proj_bias"].numpy(), 0.0)
    np.testing.assert_array_equal(sd["out_proj.bias"].numpy(), 0.0)
    w = sd["in_proj_weight"].numpy()
    bound = math.sqrt(6.0 / (12 + 36))  # xavier_uniform_ on (3E, E)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert abs(w.var() - bound ** 2 / 3) < 0.25 * bound ** 2 / 3
    nobias = MultiheadAttention(12, 3, bias=False)
    assert list(nobias.state_dict()) == ["in_proj_weight", "out_proj.weight"]


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("kind", ["self", "cross"])
@pytest.mark.parametrize("average", [True, False])
def test_mha_forward_matches_reference(batch_first, kind, average):
    mod = make_mha(batch_first=batch_first)
    L, S, N, E = 4, 5, 3, 8
    x = seq((L, N, E), batch_first)
    kpm = np.zeros((N, S if kind == "cross" else L), bool)
    kpm[1, -2:] = True
    kpm[2, -1] = True
    if kind == "self":
        xt = t64(x)
        out, w = mod(xt, xt, xt, key_padding_mask=tg.tensor(kpm), average_attn_weights=average)
        ref_out, ref_w = ref_mha(mod, x, x, x, key_padding_mask=kpm, average=average)
    else:
        kv, vv = seq((S, N, E), batch_first), seq((S, N, E), batch_first)
        out, w = mod(t64(x), t64(kv), t64(vv), key_padding_mask=tg.tensor(kpm), average_attn_weights=average)
        ref_out, ref_w = ref_mha(mod, x, kv, vv, key_padding_mask=kpm, average=average)
    assert out.shape == x.shape
    assert w.shape == ((N, L, kpm.shape[1]) if average else (N, 2, L, kpm.shape[1]))
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(w.numpy(), ref_w, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("mask", ["bool+float_kpm"])
def test_mha_attn_masks_match_reference(mask, device):
    mod = make_mha(H=2, device=device)
    L, N, E, H = 4, 2, 8, 2
    x = seq((L, N, E), False)
    kw, rkw = {}, {}
    if mask == "bool2d":
        am = RNG.random((L, L)) < 0.4
        kw["attn_mask"], rkw["attn_mask"] = tg.tensor(am, device=device), am
    elif mask == "bool3d":
        am = RNG.random((N * H, L, L)) < 0.4
        kw["attn_mask"], rkw["attn_mask"] = tg.tensor(am, device=device), am
    elif mask == "float2d":
        am = RNG.standard_normal((L, L))
        kw["attn_mask"], rkw["attn_mask"] = t64(am, device=device), am
    elif mask == "bool+float_kpm":
        am = RNG.random((L, L)) < 0.3
        kpm = np.array([[0.0, 0.5, -np.inf, -1.0], [0.0, 0.0, 0.0, -np.inf]])
        kw.update(attn_mask=tg.tensor(am, device=device), key_padding_mask=t64(kpm, device=device))
        rkw.update(attn_mask=am, key_padding_mask=kpm)
    elif mask == "causal":
        kw["is_causal"], rkw["causal"] = True, True
    else:
        am = np.zeros((L, L), bool)
        am[:, 0] = True  # nobody may look at key 0, on top of causality: query 0 sees nothing
        kw.update(attn_mask=tg.tensor(am, device=device), is_causal=True)
        rkw.update(attn_mask=am, causal=True)
    xt = t64(x, device=device)
    out, w = mod(xt, xt, xt, **kw)
    ref_out, ref_w = ref_mha(mod, x, x, x, **rkw)
    np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(w.numpy(), ref_w, rtol=1e-11, atol=1e-12)
    assert np.all(np.isfinite(out.numpy()))


@pytest.mark.parametrize("mask", ["bool2d", "bool3d", "float2d", "causal", "causal+bool"])
def test_mha_attn_masks_match_reference_more(mask):
    test_mha_attn_masks_match_reference(mask, "cpu")


def test_mha_unbatched_equals_batch_of_one_and_need_weights_false():
    mod = make_mha()
    x = RNG.standard_normal((5, 8))
    kpm = np.array([False, False, True, False, True])
    out, w = mod(t64(x), t64(x), t64(x), key_padding_mask=tg.tensor(kpm))
    out_b, w_b = mod(t64(x[:, None]), t64(x[:, None]), t64(x[:, None]), key_padding_mask=tg.tensor(kpm[None]))
    assert out.shape == (5, 8) and w.shape == (5, 5)
    np.testing.assert_allclose(out.numpy(), out_b.numpy()[:, 0], rtol=1e-13)
    np.testing.assert_allclose(w.numpy(), w_b.numpy()[0], rtol=1e-13)
    out2, none = mod(t64(x), t64(x), t64(x), need_weights=False)
    assert none is None and out2.shape == (5, 8)


def test_mha_fully_padded_sequence_outputs_out_proj_bias_with_finite_gradients():
    mod = make_mha(batch_first=True)
    x = t64(RNG.standard_normal((2, 3, 8)), grad=True)
    kpm = np.array([[False, True, False], [True, True, True]])  # batch element 1 has no real key
    out, _ = mod(x, x, x, key_padding_mask=tg.tensor(kpm))
    np.testing.assert_allclose(out.numpy()[1], np.broadcast_to(mod.out_proj.bias.numpy(), (3, 8)), rtol=1e-13)
    out.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    assert all(np.all(np.isfinite(p.grad.numpy())) for p in mod.parameters())


def test_mha_dropout_only_in_training():
    mod = make_mha(dropout=0.5)
    ref = make_mha(dropout=0.0)
    ref.load_state_dict(mod.state_dict())
    x = t64(RNG.standard_normal((4, 2, 8)))
    mod.eval()
    np.testing.assert_array_equal(mod(x, x, x)[0].numpy(), ref(x, x, x)[0].numpy())
    mod.train()
    assert not np.allclose(mod(x, x, x)[0].numpy(), ref(x, x, x)[0].numpy())


@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_gradcheck_self_attention_input(batch_first):
    mod = make_mha(E=4, H=2, batch_first=batch_first)
    x = t64(seq((3, 2, 4), batch_first), grad=True)  # L=3, N=2
    kpm = tg.tensor(np.array([[False, False, True], [False, False, False]]))
    assert tg.gradcheck(lambda x: mod(x, x, x, key_padding_mask=kpm), [x])


def test_mha_gradcheck_cross_attention_inputs():
    mod = make_mha(E=4, H=2, batch_first=True)
    q, k, v = (t64(RNG.standard_normal(s), grad=True) for s in ((2, 2, 4), (2, 3, 4), (2, 3, 4)))
    assert tg.gradcheck(lambda q, k, v: mod(q, k, v, average_attn_weights=False, is_causal=True), [q, k, v])


def test_mha_parameter_gradients_match_finite_differences():
    mod = make_mha(E=4, H=2)
    x = RNG.standard_normal((3, 2, 4))
    g = RNG.standard_normal((3, 2, 4))

    def loss():
        xt = t64(x)
        return (mod(xt, xt, xt)[0] * t64(g)).sum()

    mod.zero_grad()
    loss().backward()
    eps = 1e-6
    for name, p in mod.named_parameters():
        arr = p.numpy()  # the parameter's own CPU array: perturb it in place
        num = np.zeros_like(arr)
        for i in np.ndindex(arr.shape):
            old = arr[i]
            arr[i] = old + eps
            with tg.no_grad():
                plus = loss().item()
            arr[i] = old - eps
            with tg.no_grad():
                minus = loss().item()
            arr[i] = old
            num[i] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(p.grad.numpy(), num, rtol=1e-5, atol=1e-7, err_msg=name)


# ----------------------------------------------------------------------------- positional encoding
@pytest.mark.parametrize("d_model", [6, 7])
def test_positional_encoding_table_matches_formula(d_model):
    pe = SinusoidalPositionalEncoding(d_model, max_len=50, dtype=tg.float64)
    table = pe.pe.numpy()
    assert table.shape == (50, d_model)
    for pos in range(50):
        for j in range(d_model):
            i = j // 2
            angle = pos / 10000 ** (2 * i / d_model)
            expected = math.sin(angle) if j % 2 == 0 else math.cos(angle)
            assert abs(table[pos, j] - expected) < 1e-12, (pos, j)


def test_positional_encoding_is_a_buffer_not_a_parameter():
    pe = SinusoidalPositionalEncoding(4, max_len=10)
    assert list(pe.parameters()) == []
    assert list(pe.state_dict()) == ["pe"] and [n for n, _ in pe.named_buffers()] == ["pe"]
    assert pe.pe.dtype == tg.float32 and not pe.pe.requires_grad
    pe.double()
    assert pe.pe.dtype == tg.float64


@pytest.mark.parametrize("layout", ["batch_first"])
def test_positional_encoding_adds_the_table(layout, device):
    pe = SinusoidalPositionalEncoding(6, max_len=20, batch_first=layout == "batch_first", dtype=tg.float64,
                                      device=device)
    assert pe.pe.device == device
    table = pe.pe.numpy()
    L = 5
    x = RNG.standard_normal({"seq_first": (L, 3, 6), "batch_first": (3, L, 6), "unbatched": (L, 6)}[layout])
    expected = x + {"seq_first": table[:L, None], "batch_first": table[None, :L], "unbatched": table[:L]}[layout]
    xt = t64(x, grad=True, device=device)
    out = pe(xt)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-14)
    out.sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy(), 1.0)


@pytest.mark.parametrize("layout", ["seq_first", "unbatched"])
def test_positional_encoding_adds_the_table_more(layout):
    test_positional_encoding_adds_the_table(layout, "cpu")


def test_positional_encoding_float32_input_stays_float32():
    pe = SinusoidalPositionalEncoding(4, max_len=8)
    assert pe(tg.zeros(8, 2, 4)).dtype == tg.float32


# ----------------------------------------------------------------------------- Transformer encoder
def make_layer(norm_first=True, batch_first=False, E=8, H=2, F_=16, seed=0, device="cpu", **kw):
    tg.manual_seed(seed)
    layer = TransformerEncoderLayer(E, H, dim_feedforward=F_, norm_first=norm_first, batch_first=batch_first,
                                    dtype=tg.float64, **kw)
    with tg.no_grad():  # non-trivial norms and attention biases
        for n, p in layer.named_parameters():
            if n.startswith("norm") or "bias" in n:
                p += t64(RNG.standard_normal(p.shape) * 0.1)
    return layer.to(device)


@pytest.mark.parametrize("norm_first,batch_first", [(False, True)])
def test_encoder_layer_forward_matches_reference(norm_first, batch_first, device):
    layer = make_layer(norm_first, batch_first, device=device).eval()
    x = seq((5, 3, 8), batch_first)
    kpm = np.zeros((3, 5), bool)
    kpm[0, 3:] = True
    out = layer(t64(x, device=device), src_key_padding_mask=tg.tensor(kpm, device=device))
    assert out.shape == x.shape and out.device == device
    np.testing.assert_allclose(out.numpy(), ref_encoder_layer(layer, x, kpm), rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize("norm_first,batch_first", [(True, False), (True, True), (False, False)])
def test_encoder_layer_forward_matches_reference_more(norm_first, batch_first):
    test_encoder_layer_forward_matches_reference(norm_first, batch_first, "cpu")


def test_encoder_layer_float32_shape_and_gelu():
    tg.manual_seed(0)
    layer = TransformerEncoderLayer(8, 4, dim_feedforward=16, activation="gelu", batch_first=True)
    out = layer(tg.randn(2, 5, 8), is_causal=True)
    assert out.shape == (2, 5, 8) and out.dtype == tg.float32
    assert np.all(np.isfinite(out.numpy()))


@pytest.mark.parametrize("norm_first", [True, False])
def test_encoder_layer_gradcheck_eval(norm_first):
    layer = make_layer(norm_first, E=4, H=2, F_=6, dropout=0.3).eval()
    x = t64(RNG.standard_normal((3, 2, 4)), grad=True)
    kpm = tg.tensor(np.array([[False, False, True], [False, False, False]]))
    assert tg.gradcheck(lambda x: layer(x, src_key_padding_mask=kpm), [x])


@pytest.mark.parametrize("norm_first", [True, False])
def test_encoder_padding_positions_do_not_influence_real_positions(norm_first):
    layer = make_layer(norm_first, batch_first=True)
    enc = TransformerEncoder(layer, 2).eval()
    x = RNG.standard_normal((2, 6, 8))
    kpm = np.zeros((2, 6), bool)
    kpm[0, 4:] = True
    kpm[1, 2:] = True
    x2 = x.copy()
    x2[kpm] = RNG.standard_normal((int(kpm.sum()), 8)) * 10  # scribble over the padding
    a = enc(t64(x), src_key_padding_mask=tg.tensor(kpm)).numpy()
    b = enc(t64(x2), src_key_padding_mask=tg.tensor(kpm)).numpy()
    np.testing.assert_allclose(a[~kpm], b[~kpm], rtol=1e-12, atol=1e-12)
    assert not np.allclose(a[kpm], b[kpm])
    # and the gradient w.r.t. padded inputs from real outputs is zero
    xt = t64(x, grad=True)
    out = enc(xt, src_key_padding_mask=tg.tensor(kpm))
    (out * tg.tensor((~kpm)[..., None].astype(np.float64))).sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy()[kpm], 0.0)


def test_encoder_layer_is_permutation_equivariant_without_positions():
    layer = make_layer(batch_first=True).eval()
    x = RNG.standard_normal((2, 5, 8))
    perm = np.array([3, 0, 4, 1, 2])
    a = layer(t64(x)).numpy()
    b = layer(t64(x[:, perm])).numpy()
    np.testing.assert_allclose(b, a[:, perm], rtol=1e-12, atol=1e-12)


def test_transformer_encoder_deep_copies_and_stacks():
    layer = make_layer(batch_first=True)
    final = nn.LayerNorm(8, dtype=tg.float64)
    enc = TransformerEncoder(layer, 3, norm=final).eval()
    assert len(enc.layers) == 3
    names = [n for n, _ in enc.named_parameters()]
    assert "layers.2.self_attn.in_proj_weight" in names and "norm.weight" in names
    ids = {id(p) for p in enc.parameters()}
    assert not ids & {id(p) for p in layer.parameters()}  # copies, not shared
    assert len(ids) == 3 * len(list(layer.parameters())) + 2
    with tg.no_grad():
        enc.layers[1].linear1.weight += 1.0  # the copies are independent
    assert not np.allclose(enc.layers[1].linear1.weight.numpy(), enc.layers[0].linear1.weight.numpy())
    x = t64(RNG.standard_normal((2, 4, 8)))
    h = x
    for lyr in enc.layers:
        h = lyr(h, is_causal=True)
    np.testing.assert_allclose(enc(x, is_causal=True).numpy(), final(h).numpy(), rtol=1e-13)


def test_tiny_encoder_learns_whether_a_comes_before_b():
    """Embedding + positional encoding + one encoder layer + mean-pool + Linear, SGD with momentum: is token A
    before token B? Needs both attention (to relate A and B) and positions (mean-pooling is order-blind)."""
    tg.manual_seed(0)
    rng = np.random.default_rng(1)
    T, V, A, B, d = 6, 8, 1, 2, 16

    def batch(n):
        x = rng.integers(3, V, size=(n, T))
        y = np.zeros(n, np.int64)
        for r in range(n):
            i, j = rng.choice(T, 2, replace=False)
            x[r, i], x[r, j], y[r] = A, B, int(i < j)
        return tg.tensor(x), tg.tensor(y)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(V, d)
            self.pos = SinusoidalPositionalEncoding(d, max_len=T, batch_first=True)
            self.enc = TransformerEncoderLayer(d, 2, dim_feedforward=2 * d, dropout=0.0, batch_first=True)
            self.head = nn.Linear(d, 2)

        def forward(self, x):
            return self.head(self.enc(self.pos(self.emb(x))).mean(axis=1))

    model = Model()
    params = list(model.parameters())
    vel = [None] * len(params)
    for _ in range(300):
        x, y = batch(64)
        loss = F.cross_entropy(model(x), y)
        model.zero_grad()
        loss.backward()
        with tg.no_grad():
            for i, p in enumerate(params):
                vel[i] = p.grad if vel[i] is None else vel[i] * 0.9 + p.grad
                p -= 0.1 * vel[i]
    x, y = batch(500)
    with tg.no_grad():
        acc = (model(x).argmax(axis=1).numpy() == y.numpy()).mean()
    assert acc >= 0.95, acc


# ----------------------------------------------------------------------------- bad inputs
def _q(d, *s):
    return t64(RNG.standard_normal(s), device=d)


_QKV = [RNG.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 6))]


def qkv(d):
    return [t64(a, device=d) for a in _QKV]


def _mask(d, *s, dtype=tg.bool_):
    return tg.ones(*s, dtype=dtype, device=d)


# torch 2.13 raises RuntimeError for shapes that do not fit and for mixed dtypes: "Expected query, key, and value to
# all be at least 2 dimensional", "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got:
# [2, 3]", "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0", "Expected
# query, key, and value to have the same dtype", "Expected attn_mask dtype to be bool or float or to match query
# dtype"; TypeError for a non-float scale.
SDPA_BAD = {
    "q_not_tensor": (TypeError, "q must be a Tensor", lambda Q, K, V, d: sdpa(np.zeros((3, 4)), K, V)),
    "k_int": (TypeError, "k must be a float32 or float64",
              lambda Q, K, V, d: sdpa(Q, _mask(d, 2, 5, 4, dtype=tg.int64), V)),
    "q_1d": (RuntimeError, r"q must have shape \(\.\.\., L, d\) \(at least 2 dimensions\), got \(4,\)",
             lambda Q, K, V, d: sdpa(_q(d, 4), K, V)),
    "d_mismatch": (RuntimeError, "share the last dimension", lambda Q, K, V, d: sdpa(Q, _q(d, 2, 5, 3), V)),
    "s_mismatch": (RuntimeError, "has S=5 keys", lambda Q, K, V, d: sdpa(Q, K, _q(d, 2, 4, 6))),
    "batch_mismatch": (RuntimeError, "do not broadcast", lambda Q, K, V, d: sdpa(_q(d, 3, 3, 4), K, V)),
    "k_float32": (RuntimeError, "q, k and v must have the same dtype, got q float64, k float32 and v float64",
                  lambda Q, K, V, d: sdpa(Q, K.float(), V)),
    "v_float32": (RuntimeError, "got q float64, k float64 and v float32", lambda Q, K, V, d: sdpa(Q, K, V.float())),
    "mask_shape": (RuntimeError, r"mask of shape \(4, 5\)", lambda Q, K, V, d: sdpa(Q, K, V, mask=_mask(d, 4, 5))),
    "mask_expands_batch": (RuntimeError, "must broadcast to the scores",
                           lambda Q, K, V, d: sdpa(Q, K, V, mask=_mask(d, 3, 2, 3, 5))),
    "mask_int": (RuntimeError, "mask must be a bool or float",
                 lambda Q, K, V, d: sdpa(Q, K, V, mask=_mask(d, 3, 5, dtype=tg.int64))),
    "mask_float32": (RuntimeError, "mask has dtype float32 but the query has dtype float64",
                     lambda Q, K, V, d: sdpa(Q, K, V, mask=_mask(d, 3, 5, dtype=tg.float32))),
    "mask_not_tensor": (TypeError, "mask must be a Tensor",
                        lambda Q, K, V, d: sdpa(Q, K, V, mask=np.ones((3, 5), bool))),
    "mask_twice": (TypeError, "either mask= or attn_mask=",
                   lambda Q, K, V, d: sdpa(Q, K, V, mask=_mask(d, 3, 5), attn_mask=_mask(d, 3, 5))),
    "causal_not_bool": (TypeError, "causal must be a bool", lambda Q, K, V, d: sdpa(Q, K, V, causal=0.1)),
    "dropout_range": (ValueError, r"dropout_p must be in \[0, 1\]", lambda Q, K, V, d: sdpa(Q, K, V, dropout_p=1.5)),
    "scale_str": (TypeError, "scale must be", lambda Q, K, V, d: sdpa(Q, K, V, scale="big")),
}


@pytest.mark.parametrize("case", list(SDPA_BAD))
def test_sdpa_bad_inputs(case, device):
    exc, msg, call = SDPA_BAD[case]
    with pytest.raises(exc, match=msg):
        call(*qkv(device), device)


def _mha(d):
    tg.manual_seed(0)
    return MultiheadAttention(8, 2).to(d)


_X = RNG.standard_normal((4, 3, 8)).astype(np.float32)


def _x(d, *s, dtype=tg.float32):
    return tg.tensor(_X if not s else RNG.standard_normal(s), dtype=dtype, device=d)


# torch 2.13: AssertionError for a wrong rank or embedding size ("was expecting embedding dimension of 8, but got
# 6"), key and value of different shapes, mixed batched/unbatched inputs, a key_padding_mask of the wrong shape
# ("Expected key_padded_mask.shape[1] to be 4, but got 3"), an integer mask ("only bool and floating types of
# key_padding_mask are supported") and embed_dim not divisible by num_heads; RuntimeError for an attn_mask of the
# right rank but wrong shape ("The shape of the 3D attn_mask is ..., but should be (6, 4, 4)."), a batch size that
# differs between query and key (a failed reshape) and a dtype other than the parameters' ("mat1 and mat2 must
# have the same dtype"); ValueError for embed_dim or num_heads < 1.
MHA_BAD = {
    "wrong_E": (AttentionInputError, r"query must have shape \(L, N, E\).*E=8",
                lambda m, X, d: m(_x(d, 4, 3, 6), X, X)),
    "query_4d": (AttentionInputError, r"query must have shape", lambda m, X, d: m(_x(d, 4, 3, 2, 8), X, X)),
    "rank_mix": (AttentionInputError, "all be batched", lambda m, X, d: m(_x(d, 4, 8), X, X)),
    "kv_shape": (AttentionInputError, "must have one shape", lambda m, X, d: m(X, X, _x(d, 5, 3, 8))),
    "batch_size": (RuntimeError, "batch size 3 but key has 2", lambda m, X, d: m(X, _x(d, 4, 2, 8),
                                                                                _x(d, 4, 2, 8))),
    "query_float64": (RuntimeError, "query has dtype float64 but the module's parameters have dtype float32",
                      lambda m, X, d: m(X.double(), X, X)),
    "value_float64": (RuntimeError, "value has dtype float64 but the module's parameters",
                      lambda m, X, d: m(X, X, X.double())),
    "kpm_shape": (AttentionInputError, r"key_padding_mask must have shape \(3, 4\)",
                  lambda m, X, d: m(X, X, X, key_padding_mask=_mask(d, 4, 3))),
    "kpm_int": (AttentionInputError, "key_padding_mask must be a bool or float",
                lambda m, X, d: m(X, X, X, key_padding_mask=_mask(d, 3, 4, dtype=tg.int64))),
    "kpm_float64": (RuntimeError, "key_padding_mask has dtype float64 but the query has dtype float32",
                    lambda m, X, d: m(X, X, X, key_padding_mask=_mask(d, 3, 4, dtype=tg.float64))),
    "attn_mask_shape": (RuntimeError, r"attn_mask must have shape \(4, 4\) or \(6, 4, 4\)",
                        lambda m, X, d: m(X, X, X, attn_mask=_mask(d, 3, 4, 4))),
    "attn_mask_4d": (AttentionInputError, r"attn_mask must have shape \(4, 4\) or \(6, 4, 4\)",
                     lambda m, X, d: m(X, X, X, attn_mask=_mask(d, 3, 2, 4, 4))),
    "attn_mask_int": (AttentionInputError, "attn_mask must be a bool or float",
                      lambda m, X, d: m(X, X, X, attn_mask=_mask(d, 4, 4, dtype=tg.int32))),
    "need_weights_type": (TypeError, "need_weights must be a bool", lambda m, X, d: m(X, X, X, need_weights=None)),
}


@pytest.mark.parametrize("case", list(MHA_BAD))
def test_mha_bad_inputs(case, device):
    exc, msg, call = MHA_BAD[case]
    with pytest.raises(exc, match=msg):
        call(_mha(device), _x(device), device)


PE_LAYER_BAD = {
    "pe_too_long": (ValueError, "sequence length 11 .* exceeds max_len=10",
                    lambda d: SinusoidalPositionalEncoding(4, max_len=10, device=d)(_x(d, 11, 2, 4))),
    "pe_too_long_batch_first": (ValueError, "exceeds max_len=10", lambda d: SinusoidalPositionalEncoding(
        4, max_len=10, batch_first=True, device=d)(_x(d, 2, 11, 4))),
    "pe_wrong_d": (ValueError, "d_model=4", lambda d: SinusoidalPositionalEncoding(4, device=d)(_x(d, 3, 2, 5))),
    "pe_int_input": (TypeError, "x must be a float32 or float64",
                     lambda d: SinusoidalPositionalEncoding(4, device=d)(_mask(d, 3, 4, dtype=tg.int64))),
    # torch 2.13: AssertionError "was expecting embedding dimension of 8, but got 6" / "query should be unbatched
    # 2D or batched 3D tensor"; RuntimeError "mat1 and mat2 must have the same dtype" for a float64 src
    "layer_src_shape": (AttentionInputError, r"src must have shape \(S, N, E\).*d_model=8",
                        lambda d: TransformerEncoderLayer(8, 2, dim_feedforward=4).to(d)(_x(d, 3, 2, 6))),
    "layer_src_4d": (AttentionInputError, r"src must have shape",
                     lambda d: TransformerEncoderLayer(8, 2, dim_feedforward=4).to(d)(_x(d, 3, 2, 2, 8))),
    "layer_src_float64": (RuntimeError, "src has dtype float64 but the layer's parameters have dtype float32",
                          lambda d: TransformerEncoderLayer(8, 2, dim_feedforward=4).to(d)(
                              _x(d, 3, 2, 8, dtype=tg.float64))),
}


@pytest.mark.parametrize("case", list(PE_LAYER_BAD))
def test_positional_encoding_and_encoder_bad_inputs(case, device):
    exc, msg, call = PE_LAYER_BAD[case]
    with pytest.raises(exc, match=msg):
        call(device)


# The arguments of the constructors (no tensor, so no device)
CONSTRUCTOR_BAD = {
    "heads_divide": (AttentionInputError, "divisible by num_heads", lambda: MultiheadAttention(10, 3)),
    "heads_zero": (ValueError, "num_heads must be >= 1", lambda: MultiheadAttention(8, 0)),
    "embed_dim_type": (TypeError, "embed_dim must be an int", lambda: MultiheadAttention(8.0, 2)),
    "dropout_range": (ValueError, r"dropout must be in \[0, 1\]", lambda: MultiheadAttention(8, 2, dropout=-0.1)),
    "pe_d_model_zero": (ValueError, "d_model must be >= 1", lambda: SinusoidalPositionalEncoding(0)),
    # torch 2.13: RuntimeError "activation should be relu/gelu, not swish"
    "layer_activation": (RuntimeError, "activation must be 'relu', 'gelu'", lambda: TransformerEncoderLayer(
        8, 2, activation="swish")),
    "layer_activation_type": (TypeError, "activation must be", lambda: TransformerEncoderLayer(8, 2, activation=3)),
    # torch 2.13: AssertionError "embed_dim must be divisible by num_heads", ValueError for nhead=0
    "layer_heads": (AttentionInputError, "divisible by num_heads", lambda: TransformerEncoderLayer(8, 3)),
    "layer_heads_zero": (ValueError, "num_heads must be >= 1", lambda: TransformerEncoderLayer(8, 0)),
    # torch 2.13: RuntimeError "Trying to create tensor with negative dimension -1: [-1, 8]"; TypeError for a float
    "layer_ff_negative": (RuntimeError, "dim_feedforward must be >= 0, got -1", lambda: TransformerEncoderLayer(
        8, 2, dim_feedforward=-1)),
    "layer_ff_float": (TypeError, "dim_feedforward must be an int", lambda: TransformerEncoderLayer(
        8, 2, dim_feedforward=4.0)),
    "encoder_layer_type": (TypeError, "encoder_layer must be a Module", lambda: TransformerEncoder("layer", 2)),
    "encoder_num_layers": (ValueError, "num_layers must be >= 0", lambda: TransformerEncoder(
        TransformerEncoderLayer(8, 2, dim_feedforward=4), -1)),
    "encoder_num_layers_type": (TypeError, "num_layers must be an int", lambda: TransformerEncoder(
        TransformerEncoderLayer(8, 2, dim_feedforward=4), 2.0)),
}


@pytest.mark.parametrize("case", list(CONSTRUCTOR_BAD))
def test_constructor_bad_inputs(case):
    exc, msg, call = CONSTRUCTOR_BAD[case]
    with pytest.raises(exc, match=msg):
        call()
