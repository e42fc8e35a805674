"""Conv1d and pooling (tinygradnb/ops/conv.py) on every device: forward against
NumPy float64 references written from the definitions, gradients against central differences of those references,
PyTorch's output shapes and edge cases (values checked against torch 2.13)."""
import math

import numpy as np
import pytest

import tinygradnb as tg
import tinygradnb.nn.functional as F
from tinygradnb import nn

from refgrad import check_grad

RNG = np.random.default_rng(0)


def conv_ref(x, w, b, stride, pad, dil, groups):
    """y[n, o, t] = b[o] + Σ_c Σ_k W[o, c, k] x[n, g·C/G + c, t·s + k·d − p] (zero padding)."""
    n, c_in, length = x.shape
    c_out, c_per, k = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    l_out = (length + 2 * pad - dil * (k - 1) - 1) // stride + 1
    y = np.zeros((n, c_out, l_out))
    for o in range(c_out):
        g = o // (c_out // groups)
        for t in range(l_out):
            for kk in range(k):
                y[:, o, t] += xp[:, g * c_per:(g + 1) * c_per, t * stride + kk * dil] @ w[o, :, kk]
    return y + (0 if b is None else b[None, :, None])


def pool_ref(x, k, stride, pad=0, dil=1, ceil_mode=False, mode="max", count_include_pad=True):
    """PyTorch's max_pool1d / avg_pool1d from the definition: window t covers positions t·s + j·d − p, j < k;
    positions outside the input are −∞ (max) or 0 (avg), the mean divides by the window clipped to the padded
    input (count_include_pad) or by its positions inside the input; with ceil_mode a last partial window counts
    if it starts inside the input or the left padding."""
    n = x.shape[-1]
    span = n + 2 * pad - dil * (k - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= n + pad:
        out -= 1
    ys = []
    for t in range(out):
        pos = t * stride + np.arange(k) * dil - pad
        inside = pos[(pos >= 0) & (pos < n)]
        if mode == "max":
            ys.append(x[..., inside].max(-1))
        else:
            m = (min(t * stride - pad + k, n + pad) - (t * stride - pad)) if count_include_pad else inside.size
            ys.append(x[..., inside].sum(-1) / m)
    return np.stack(ys, -1)


# Each case of an op costs about a second under the CUDA simulator: the cases listed first run on every device,
# the others (the same device kernels with other window positions, which are computed on the host) on the CPU only.
@pytest.mark.parametrize("stride,pad,dil,groups,dtype", [(2, 1, 1, 2, "float64")])
def test_conv1d_against_the_definition(stride, pad, dil, groups, dtype, device):
    x, w, b = RNG.standard_normal((2, 4, 9)), RNG.standard_normal((6, 4 // groups, 3)), RNG.standard_normal(6)
    check_grad(lambda x, w, b: F.conv1d(x, w, b, stride, pad, dil, groups),
               lambda x, w, b: conv_ref(x, w, b, stride, pad, dil, groups), [x, w, b], device, dtype)


@pytest.mark.parametrize("stride,pad,dil,groups,dtype", [(1, 0, 1, 1, "float64"), (1, 2, 2, 1, "float64"),
                                                         (3, 0, 1, 2, "float64"), (2, 1, 1, 2, "float32")])
def test_conv1d_against_the_definition_more(stride, pad, dil, groups, dtype):
    test_conv1d_against_the_definition(stride, pad, dil, groups, dtype, "cpu")


def test_conv1d_padding_strings_unbatched_and_errors(device):
    x, w = RNG.standard_normal((2, 4, 7)), RNG.standard_normal((5, 4, 4))
    tx, tw = tg.tensor(x, device=device), tg.tensor(w, device=device)
    same = F.conv1d(tx, tw, padding="same")    # torch 2.13: left 1, right 2 for k = 4
    assert same.shape == (2, 5, 7) and same.device == device
    np.testing.assert_allclose(same.numpy(), conv_ref(np.pad(x, ((0, 0), (0, 0), (1, 2))), w, None, 1, 0, 1, 1))
    unbatched = F.conv1d(tg.tensor(x[0], device=device), tw)      # (C, L)
    assert unbatched.shape == (5, 4)
    np.testing.assert_allclose(unbatched.numpy(), conv_ref(x[:1], w, None, 1, 0, 1, 1)[0])
    with pytest.raises(RuntimeError, match="input channels"):
        F.conv1d(tx, tg.tensor(RNG.standard_normal((5, 3, 2)), device=device))
    with pytest.raises(RuntimeError, match="shorter than the kernel"):
        F.conv1d(tg.tensor(x[:, :, :2], device=device), tw)
    with pytest.raises(RuntimeError, match="one float dtype"):
        F.conv1d(tx, tg.tensor(w, dtype=tg.float32, device=device))
    with pytest.raises(ValueError, match="strided"):
        F.conv1d(tx, tw, stride=2, padding="same")


def test_conv1d_module_init_and_padding_modes(device):
    tg.manual_seed(0)
    m = nn.Conv1d(4, 6, 3, padding=1, padding_mode="reflect", groups=2)
    bound = 1 / math.sqrt(2 * 3)                                   # fan_in = in_channels / groups · kernel
    assert m.weight.shape == (6, 2, 3) and np.abs(m.weight.numpy()).max() <= bound
    assert np.abs(m.bias.numpy()).max() <= bound
    m = m.double().to(device)
    x = RNG.standard_normal((2, 4, 5))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1)), mode="reflect")
    out = m(tg.tensor(x, device=device))
    assert out.device == device
    np.testing.assert_allclose(out.detach().numpy(),
                               conv_ref(xp, m.weight.detach().numpy(), m.bias.detach().numpy(), 1, 0, 1, 2))
    assert repr(nn.Conv1d(4, 6, 3)) == "Conv1d(4, 6, kernel_size=(3,), stride=(1,))"         # torch 2.13


# torch 2.13 values for x = [[[1, NaN, 3, 0, 5, 2, -1]]] and small windows
def test_max_pool1d_follows_torch(device):
    x = tg.tensor([[[1.0, math.nan, 3.0, 0.0, 5.0, 2.0, -1.0]]], dtype=tg.float64, device=device, requires_grad=True)
    out, idx = F.max_pool1d(x, 3, return_indices=True)
    assert math.isnan(out.tolist()[0][0][0]) and out.tolist()[0][0][1] == 5.0 and idx.tolist() == [[[1, 4]]]
    out.sum().backward()
    assert x.grad.tolist() == [[[0, 1, 0, 0, 1, 0, 0]]]
    y = tg.tensor([[[1.0, 2.0, 3.0, 0.0, 5.0]]], device=device)
    assert F.max_pool1d(y, 2, 2, ceil_mode=True).tolist() == [[[2.0, 3.0, 5.0]]]                # torch 2.13
    assert F.max_pool1d(y, 3, 2, padding=1).tolist() == [[[2.0, 3.0, 5.0]]]
    assert nn.MaxPool1d(2)(y).shape == (1, 1, 2)
    with pytest.raises(RuntimeError, match="half of the kernel"):
        F.max_pool1d(y, 3, padding=2)
    z = RNG.standard_normal((2, 3, 8))
    check_grad(lambda t: F.max_pool1d(t, 3, 2, padding=1, dilation=2, ceil_mode=True),
               lambda t: pool_ref(t, 3, 2, 1, 2, ceil_mode=True), [z], device)


def test_avg_pool1d_follows_torch(device):
    y = tg.tensor([[[1.0, 2.0, 3.0, 0.0, 5.0]]], device=device)
    # torch 2.13
    np.testing.assert_allclose(F.avg_pool1d(y, 3, 2, padding=1).numpy(), [[[1.0, 5.0 / 3, 5.0 / 3]]], rtol=1e-6)
    np.testing.assert_allclose(F.avg_pool1d(y, 3, 2, padding=1, count_include_pad=False).numpy(),
                               [[[1.5, 5.0 / 3, 2.5]]], rtol=1e-6)
    np.testing.assert_allclose(F.avg_pool1d(y, 2, 2, ceil_mode=True).numpy(), [[[1.5, 1.5, 5.0]]], rtol=1e-6)
    z = RNG.standard_normal((2, 3, 8))
    check_grad(lambda t: F.avg_pool1d(t, 4, 3, padding=2, ceil_mode=True, count_include_pad=False),
               lambda t: pool_ref(t, 4, 3, 2, ceil_mode=True, mode="avg", count_include_pad=False), [z], device)
    assert nn.AvgPool1d(2)(tg.ones(1, 2, 6, device=device)).shape == (1, 2, 3)


@pytest.mark.parametrize("size", [1, 2, 5, 8, 11])
def test_adaptive_pools_against_the_definition_more(size):
    test_adaptive_pools_against_the_definition(size, "cpu")


@pytest.mark.parametrize("size", [3])   # overlapping windows of 3 and 4 positions
def test_adaptive_pools_against_the_definition(size, device):
    x = RNG.standard_normal((2, 3, 8))
    lo = (np.arange(size) * 8) // size
    hi = -((-(np.arange(size) + 1) * 8) // size)                  # window i: [⌊i·L/out⌋, ⌈(i+1)·L/out⌉)

    def ref(x):
        return (np.stack([x[..., a:b].max(-1) for a, b in zip(lo, hi)], -1),
                np.stack([x[..., a:b].mean(-1) for a, b in zip(lo, hi)], -1))
    check_grad(lambda t: (F.adaptive_max_pool1d(t, size), nn.AdaptiveAvgPool1d(size)(t)), ref, [x], device)
