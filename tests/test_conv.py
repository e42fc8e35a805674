"""Conv1d, pooling and EmbeddingBag (tinygradnb/ops/conv.py, ops/embedding.py): forward against NumPy float64
references written from the definitions, float64 gradchecks, PyTorch's output shapes and edge cases (values
checked against torch 2.13)."""
import math

import numpy as np
import pytest

import tinygradnb as tg
import tinygradnb.nn.functional as F
from tinygradnb import nn

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


@pytest.mark.parametrize("stride,pad,dil,groups", [(1, 0, 1, 1), (2, 1, 1, 2), (1, 2, 2, 1), (3, 0, 1, 2)])
def test_conv1d_against_the_definition(stride, pad, dil, groups):
    x, w, b = RNG.standard_normal((2, 4, 9)), RNG.standard_normal((6, 4 // groups, 3)), RNG.standard_normal(6)
    out = F.conv1d(tg.tensor(x), tg.tensor(w), tg.tensor(b), stride, pad, dil, groups)
    np.testing.assert_allclose(out.numpy(), conv_ref(x, w, b, stride, pad, dil, groups), rtol=1e-12, atol=1e-12)
    assert tg.gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride, pad, dil, groups),
                        [tg.tensor(a, requires_grad=True) for a in (x[:1, :, :7], w, b)])


def test_conv1d_padding_strings_unbatched_and_errors():
    x, w = RNG.standard_normal((2, 4, 7)), RNG.standard_normal((5, 4, 4))
    same = F.conv1d(tg.tensor(x), tg.tensor(w), padding="same")    # torch 2.13: left 1, right 2 for k = 4
    assert same.shape == (2, 5, 7)
    np.testing.assert_allclose(same.numpy(), conv_ref(np.pad(x, ((0, 0), (0, 0), (1, 2))), w, None, 1, 0, 1, 1))
    assert F.conv1d(tg.tensor(x[0]), tg.tensor(w)).shape == (5, 4)  # unbatched (C, L)
    with pytest.raises(RuntimeError, match="input channels"):
        F.conv1d(tg.tensor(x), tg.tensor(RNG.standard_normal((5, 3, 2))))
    with pytest.raises(RuntimeError, match="shorter than the kernel"):
        F.conv1d(tg.tensor(x[:, :, :2]), tg.tensor(w))
    with pytest.raises(RuntimeError, match="one float dtype"):
        F.conv1d(tg.tensor(x), tg.tensor(w, dtype=tg.float32))
    with pytest.raises(ValueError, match="strided"):
        F.conv1d(tg.tensor(x), tg.tensor(w), stride=2, padding="same")


def test_conv1d_module_init_and_padding_modes():
    tg.manual_seed(0)
    m = nn.Conv1d(4, 6, 3, padding=1, padding_mode="reflect", groups=2)
    bound = 1 / math.sqrt(2 * 3)                                   # fan_in = in_channels / groups · kernel
    assert m.weight.shape == (6, 2, 3) and np.abs(m.weight.numpy()).max() <= bound
    assert np.abs(m.bias.numpy()).max() <= bound
    x = tg.randn(2, 4, 5, dtype=tg.float64)
    m = m.double()
    xp = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1)), mode="reflect")
    np.testing.assert_allclose(m(x).detach().numpy(),
                               conv_ref(xp, m.weight.detach().numpy(), m.bias.detach().numpy(), 1, 0, 1, 2))
    assert repr(nn.Conv1d(4, 6, 3)) == "Conv1d(4, 6, kernel_size=(3,), stride=(1,))"         # torch 2.13


# torch 2.13 values for x = [[[1, NaN, 3, 0, 5, 2, -1]]] and small windows
def test_max_pool1d_follows_torch():
    x = tg.tensor([[[1.0, math.nan, 3.0, 0.0, 5.0, 2.0, -1.0]]], dtype=tg.float64, requires_grad=True)
    out, idx = F.max_pool1d(x, 3, return_indices=True)
    assert math.isnan(out.tolist()[0][0][0]) and out.tolist()[0][0][1] == 5.0 and idx.tolist() == [[[1, 4]]]
    out.sum().backward()
    assert x.grad.tolist() == [[[0, 1, 0, 0, 1, 0, 0]]]
    y = tg.tensor([[[1.0, 2.0, 3.0, 0.0, 5.0]]])
    assert F.max_pool1d(y, 2, 2, ceil_mode=True).tolist() == [[[2.0, 3.0, 5.0]]]                # torch 2.13
    assert F.max_pool1d(y, 3, 2, padding=1).tolist() == [[[2.0, 3.0, 5.0]]]
    assert nn.MaxPool1d(2)(y).shape == (1, 1, 2)
    with pytest.raises(RuntimeError, match="half of the kernel"):
        F.max_pool1d(y, 3, padding=2)
    z = tg.tensor(RNG.standard_normal((2, 3, 8)), requires_grad=True)
    assert tg.gradcheck(lambda t: F.max_pool1d(t, 3, 2, padding=1, dilation=2, ceil_mode=True), [z])


def test_avg_pool1d_follows_torch():
    y = tg.tensor([[[1.0, 2.0, 3.0, 0.0, 5.0]]])
    # torch 2.13
    np.testing.assert_allclose(F.avg_pool1d(y, 3, 2, padding=1).numpy(), [[[1.0, 5.0 / 3, 5.0 / 3]]], rtol=1e-6)
    np.testing.assert_allclose(F.avg_pool1d(y, 3, 2, padding=1, count_include_pad=False).numpy(),
                               [[[1.5, 5.0 / 3, 2.5]]], rtol=1e-6)
    np.testing.assert_allclose(F.avg_pool1d(y, 2, 2, ceil_mode=True).numpy(), [[[1.5, 1.5, 5.0]]], rtol=1e-6)
    z = tg.tensor(RNG.standard_normal((2, 3, 8)), requires_grad=True)
    assert tg.gradcheck(lambda t: F.avg_pool1d(t, 4, 3, padding=2, ceil_mode=True, count_include_pad=False), [z])
    assert nn.AvgPool1d(2)(tg.ones(1, 2, 6)).shape == (1, 2, 3)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 11])
def test_adaptive_pools_against_the_definition(size):
    x = RNG.standard_normal((2, 3, 8))
    lo = (np.arange(size) * 8) // size
    hi = -((-(np.arange(size) + 1) * 8) // size)                  # window i: [⌊i·L/out⌋, ⌈(i+1)·L/out⌉)
    want_max = np.stack([x[..., a:b].max(-1) for a, b in zip(lo, hi)], -1)
    want_avg = np.stack([x[..., a:b].mean(-1) for a, b in zip(lo, hi)], -1)
    np.testing.assert_allclose(F.adaptive_max_pool1d(tg.tensor(x), size).numpy(), want_max)
    np.testing.assert_allclose(nn.AdaptiveAvgPool1d(size)(tg.tensor(x)).numpy(), want_avg)
    t = tg.tensor(x, requires_grad=True)
    assert tg.gradcheck(lambda u: F.adaptive_max_pool1d(u, size) + F.adaptive_avg_pool1d(u, size), [t])


def test_embedding_bag_follows_torch():
    w = tg.tensor(np.arange(18.0).reshape(6, 3), requires_grad=True)
    idx, off = tg.tensor([1, 2, 4, 5, 4, 3, 2, 0]), tg.tensor([0, 3, 3, 6])
    out = F.embedding_bag(idx, w, off, mode="mean")
    # torch 2.13: bag 1 is empty (zeros), bag 2 = rows 5, 4, 3, bag 3 = rows 2, 0
    assert out.tolist() == [[7.0, 8.0, 9.0], [0.0, 0.0, 0.0], [12.0, 13.0, 14.0], [3.0, 4.0, 5.0]]
    out.sum().backward()
    np.testing.assert_allclose(w.grad.numpy()[:, 0], [0.5, 1 / 3, 1 / 3 + 0.5, 1 / 3, 2 / 3, 1 / 3])
    w2 = tg.tensor(np.arange(18.0).reshape(6, 3), requires_grad=True)
    m = F.embedding_bag(tg.tensor([[1, 2, 0], [0, 0, 0]]), w2, mode="max", padding_idx=0)
    assert m.tolist() == [[6.0, 7.0, 8.0], [0.0, 0.0, 0.0]]                                # torch 2.13
    s = F.embedding_bag(tg.tensor([1, 2, 4, 5]), w2, tg.tensor([0, 2]), mode="sum",
                        per_sample_weights=tg.tensor([0.5, 1.0, 2.0, -1.0], dtype=tg.float64))
    assert s.tolist() == [[7.5, 9.0, 10.5], [9.0, 10.0, 11.0]]
    bag = nn.EmbeddingBag(6, 3, mode="sum")
    assert bag(tg.tensor([[1, 2], [3, 4]])).shape == (2, 3) and [n for n, _ in bag.named_parameters()] == ["weight"]
    with pytest.raises(ValueError, match="offsets"):
        F.embedding_bag(idx, w)
    with pytest.raises(ValueError, match="per_sample_weights"):
        F.embedding_bag(idx, w, off, mode="mean", per_sample_weights=tg.ones(8, dtype=tg.float64))
    x = tg.tensor(RNG.standard_normal((6, 3)), requires_grad=True)
    assert tg.gradcheck(lambda t: F.embedding_bag(idx, t, off, mode="max"), [x])
