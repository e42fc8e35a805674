"""dropout (tinygradnb/ops/dropout.py) on every device: the mask against a NumPy reimplementation of the
(seed, counter) stream and, on every device, bit-identical to the CPU's for the same seed; the backward pass
regenerating the forward mask, gradcheck, reproducibility, the identity cases, bad arguments; and (CPU only, a big
draw) the keep rate."""
import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb import random as tg_random
from tinygradnb.ops.dropout import dropout

_G = np.uint64(0x9E3779B97F4A7C15)


def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def ref_keep(seed, offset, n, p):
    """NumPy reimplementation of the SplitMix64 stream: keep iff u(seed, offset + i) ≥ p."""
    with np.errstate(over="ignore"):
        key = _mix(np.array([seed], np.uint64) + _G)
        i = np.arange(offset, offset + n, dtype=np.uint64)
        u = (_mix(key + (i + np.uint64(1)) * _G) >> np.uint64(11)).astype(np.float64) / 2.0 ** 53
    return u >= p


def _nonzero(n, dtype, seed):
    x = np.random.default_rng(seed).standard_normal(n).astype(dtype)
    x[x == 0] = 1
    return x


def _run(x, g, p, seed, offset, device):
    """dropout's output and input gradient on ``device``, the stream set to (seed, offset)."""
    tg_random.set_rng_state({"seed": seed, "offset": offset})
    t = tg.tensor(x, device=device, requires_grad=True)
    out = dropout(t, p=p)
    out.backward(tg.tensor(g, device=device))
    assert out.dtype == t.grad.dtype == getattr(tg, x.dtype.name) and out.device == device
    return out.numpy(), t.grad.numpy()


@pytest.mark.parametrize("n,seed,offset,p,dtype", [
    (1, 0, 0, 0.1, "float32"), (1, 0, 0, 1.0, "float64"),
    (37, 7, 5, 0.1, "float64"), (37, 7, 5, 0.9, "float32"),
    (301, 2**64 - 1, 2**33, 0.1, "float32"), (301, 2**64 - 1, 2**33, 0.5, "float64"),
    (301, 2**64 - 1, 2**33, 0.9, "float64"), (301, 2**64 - 1, 2**33, 1.0, "float32"),
])
def test_dropout_mask_is_the_stream_and_the_same_on_every_device(n, seed, offset, p, dtype, device):
    # 37 and 301 elements: more than the simulator's 2 blocks of 16 threads (the grid-stride loop); the largest
    # seed and an offset past 2^32 exercise the 64-bit counter arithmetic
    x, g = _nonzero(n, dtype, 1), _nonzero(n, dtype, 2)
    y, dx = _run(x, g, p, seed, offset, device)
    keep = ref_keep(seed, offset, n, p)
    np.testing.assert_array_equal(y != 0, keep)                 # the mask is the stream's
    np.testing.assert_array_equal(dx != 0, keep)                # and backward regenerates it
    np.testing.assert_allclose(y, np.where(keep, x.astype(np.float64) / (1 - p) if p < 1 else 0, 0),
                               rtol=1e-6 if dtype == "float32" else 1e-15)
    y_cpu, dx_cpu = _run(x, g, p, seed, offset, "cpu")
    np.testing.assert_array_equal(y, y_cpu)                     # bit-identical to the CPU's (same float ops)
    np.testing.assert_array_equal(dx, dx_cpu)


def test_dropout_forward_matches_reference_mask(device):
    tg.manual_seed(1234)
    tg.randn(3)  # move the counter: the mask must start at the drawn offset
    seed, offset = tg_random.get_rng_state()["seed"], tg_random.get_rng_state()["offset"]
    x = np.random.default_rng(3).standard_normal((4, 50))
    out = dropout(tg.tensor(x, device=device), p=0.3)
    keep = ref_keep(seed, offset, x.size, 0.3).reshape(x.shape)
    np.testing.assert_allclose(out.numpy(), np.where(keep, x / 0.7, 0.0), rtol=1e-15)
    assert tg_random.get_rng_state()["offset"] == offset + x.size


def test_dropout_non_contiguous_input(device):
    # the mask runs over the elements in the input's logical (row-major) order, whatever its layout
    tg.manual_seed(8)
    base = np.random.default_rng(4).standard_normal((6, 10))
    x = tg.tensor(base, device=device)[:, 1::3].T           # (3, 6)
    out = dropout(x, p=0.5)
    keep = ref_keep(8, 0, 18, 0.5).reshape(3, 6)
    np.testing.assert_allclose(out.numpy(), np.where(keep, base[:, 1::3].T / 0.5, 0.0), rtol=1e-15)


def test_dropout_float32(device):
    tg.manual_seed(5)
    x = np.random.default_rng(5).standard_normal(300).astype(np.float32)
    out = dropout(tg.tensor(x, device=device), p=0.25)
    assert out.dtype == tg.float32
    keep = ref_keep(5, 0, x.size, 0.25)
    np.testing.assert_allclose(out.numpy(), np.where(keep, x.astype(np.float64) / 0.75, 0), rtol=1e-6)


def test_dropout_gradcheck(device):
    x = tg.tensor(np.random.default_rng(6).standard_normal((3, 4)), device=device, requires_grad=True)

    def f(x):
        tg.manual_seed(7)  # each evaluation draws the same mask
        return dropout(x, p=0.4)
    keep = f(x).numpy() != 0
    assert keep.any() and not keep.all()    # both kinds of element
    # off the CPU along one random direction (fast_mode): each evaluation launches kernels
    assert tg.gradcheck(f, [x], fast_mode=device != "cpu")


def test_dropout_backward_reuses_forward_mask(device):
    tg.manual_seed(11)
    x = tg.tensor(np.random.default_rng(7).random(300) + 1.0, device=device, requires_grad=True)
    out = dropout(x, p=0.5)
    tg.randn(10)  # advancing the stream between forward and backward must not change the mask
    out.backward(tg.tensor(np.ones(300), device=device))
    np.testing.assert_array_equal(x.grad.numpy() != 0, out.numpy() != 0)
    np.testing.assert_allclose(x.grad.numpy()[out.numpy() != 0], 2.0)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_keep_rate_and_mean(p):
    # CPU only: 200k draws; other devices draw the same mask (the test above), so the same statistics
    tg.manual_seed(2024)
    n = 200_000
    out = dropout(tg.ones(n, dtype=tg.float64), p=p).numpy()
    rate = np.mean(out != 0)
    sd = np.sqrt(p * (1 - p) / n)
    assert abs(rate - (1 - p)) < 5 * sd
    assert abs(out.mean() - 1.0) < 5 * sd / (1 - p)


def test_dropout_reproducible_with_manual_seed(device):
    x = tg.tensor(np.ones((8, 8), np.float32), device=device)
    tg.manual_seed(99)
    a, b = dropout(x).numpy(), dropout(x).numpy()
    tg.manual_seed(99)
    a2, b2 = dropout(x).numpy(), dropout(x).numpy()
    np.testing.assert_array_equal(a, a2)
    np.testing.assert_array_equal(b, b2)
    assert not np.array_equal(a, b)  # consecutive draws use fresh counters


def test_dropout_identity_cases(device):
    x = tg.tensor(np.ones((3, 4)), device=device, requires_grad=True)
    state = tg_random.get_rng_state()
    assert dropout(x, p=0.5, training=False) is x
    assert dropout(x, p=0.0) is x
    assert tg_random.get_rng_state() == state  # nothing drawn


def test_dropout_p_one_gives_zeros(device):
    # (and in both dtypes, more elements, on every device, in the stream test above)
    x = tg.tensor(_nonzero(12, "float64", 3).reshape(3, 4), device=device, requires_grad=True)
    out = dropout(x, p=1.0)
    assert out.dtype == x.dtype and np.all(out.numpy() == 0)
    out.backward(tg.tensor(np.ones((3, 4)), device=device))
    assert np.all(x.grad.numpy() == 0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dropout_empty(dtype, device):
    out = dropout(tg.zeros(0, 3, dtype=getattr(tg, dtype), device=device), p=0.5)
    assert out.shape == (0, 3) and out.dtype == getattr(tg, dtype) and out.numpy().shape == (0, 3)


@pytest.mark.parametrize("p", [-0.1, 1.1, float("nan")])
def test_dropout_p_out_of_range(p, device):
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        dropout(tg.tensor(np.ones(4), device=device), p=p)


def test_dropout_p_type(device):
    with pytest.raises(TypeError, match="p must be a number"):
        dropout(tg.tensor(np.ones(4), device=device), p="0.5")


def test_dropout_integer_input(device):
    with pytest.raises(TypeError, match="float"):
        dropout(tg.tensor([1, 2, 3], device=device), p=0.5)
