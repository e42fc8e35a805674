"""The seeded random stream (rand, randn, uniform_, normal_) and tinygradnb.multinomial, on every device: against a
NumPy float64 reference of the counter-based stream (SplitMix64, Box–Muller, inverse transform sampling) and the
CPU's values, plus the distributions the draws sample."""
import math

import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb import random as tg_random
from tinygradnb.device import backend

P = np.array([0.1, 0.0, 0.6, 0.3])


# ----------------------------------------------------------------------------- NumPy reference of the stream
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix64(z):
    """SplitMix64's finaliser on a uint64 array (NumPy's array arithmetic wraps modulo 2^64)."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def ref_bits(seed, counters):
    """64 random bits for each counter: mix64(key + (counter + 1)·γ) with key = mix64(seed + γ)."""
    key = _mix64(np.array([seed % 2**64], np.uint64) + _GAMMA)
    return _mix64(key + (np.asarray(counters, np.uint64) + np.uint64(1)) * _GAMMA)


def ref_uniform(seed, offset, n, bits):
    """U[0, 1) numbers offset … offset + n − 1: the top ``bits`` bits over 2^bits (float64, exact)."""
    i = np.arange(n, dtype=np.uint64) + np.uint64(offset)
    return (ref_bits(seed, i) >> np.uint64(64 - bits)).astype(np.float64) / 2.0 ** bits


def ref_normal(seed, offset, n):
    """N(0, 1) numbers: Box–Muller of the 53-bit uniforms offset + 2i and offset + 2i + 1 (the equation of
    kernels/*/random.py's normal_fill)."""
    j = np.uint64(offset) + np.uint64(2) * np.arange(n, dtype=np.uint64)
    u1 = 1.0 - (ref_bits(seed, j) >> np.uint64(11)) / 2.0 ** 53
    u2 = (ref_bits(seed, j + np.uint64(1)) >> np.uint64(11)) / 2.0 ** 53
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def ref_multinomial(p, u, replacement):
    """Inverse transform sampling: draw k of row r is the first j whose running float64 sum of the row's weights
    exceeds u[r, k]·Σ (the last positive weight if rounding leaves none); without replacement each drawn weight
    leaves the row before the next draw."""
    out = np.zeros(u.shape, np.int64)
    for r, row in enumerate(np.asarray(p, np.float64)):
        row = row.copy()
        for k, x in enumerate(u[r]):
            acc = np.cumsum(row)
            hit = np.nonzero(acc > x * acc[-1])[0]
            out[r, k] = hit[0] if hit.size else np.nonzero(row > 0)[0][-1]
            if not replacement:
                row[out[r, k]] = 0.0
    return out


def _at(seed, offset):
    tg_random.set_rng_state({"seed": seed % 2**64, "offset": offset})


# ----------------------------------------------------------------------------- rand, randn, uniform_, normal_
SEEDS = [0, 67280421310721, 2**64 - 1]


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape,offset", [((1,), 0), ((5, 7), 3), ((70,), 2**40), ((), 11)])  # 70 > 32 threads
def test_rand_and_randn_are_the_stream_on_every_device(shape, offset, seed, dtype, device):
    """rand is bit-identical to the reference (and so to the CPU); randn equals it to the last rounding of
    log/cos/sqrt (a GPU's libdevice against the CPU's libm). Each consumes its counters: n, then 2n."""
    n = math.prod(shape)
    bits = 24 if dtype == tg.float32 else 53
    _at(seed, offset)
    u = tg.rand(*shape, dtype=dtype, device=device)
    assert tg_random.get_rng_state()["offset"] == offset + n
    z = tg.randn(*shape, dtype=dtype, device=device)
    assert tg_random.get_rng_state()["offset"] == offset + 3 * n
    for t in (u, z):
        assert t.device == device and t.dtype == dtype and t.shape == shape
    want_u = ref_uniform(seed, offset, n, bits).reshape(shape)
    np.testing.assert_array_equal(u.numpy(), want_u.astype(dtype))
    assert (u.numpy() >= 0).all() and (u.numpy() < 1).all()
    want_z = ref_normal(seed, offset + n, n).reshape(shape)
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == tg.float32 else dict(rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(z.numpy(), want_z, **tol)
    _at(seed, offset)                                       # the CPU draws the same numbers
    np.testing.assert_array_equal(u.numpy(), tg.rand(*shape, dtype=dtype).numpy())
    np.testing.assert_allclose(z.numpy(), tg.randn(*shape, dtype=dtype).numpy(), **tol)


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64])
def test_uniform_and_normal_fill_in_place(dtype, device):
    x = tg.zeros(37, dtype=dtype, device=device)
    _at(5, 9)
    assert x.uniform_(-2.0, 3.0) is x and x.device == device and x.dtype == dtype
    bits = 24 if dtype == tg.float32 else 53
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == tg.float32 else dict(rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(x.numpy(), -2.0 + 5.0 * ref_uniform(5, 9, 37, bits), **tol)
    assert x.normal_(1.0, 0.5) is x
    np.testing.assert_allclose(x.numpy(), 1.0 + 0.5 * ref_normal(5, 9 + 37, 37), **tol)
    assert tg_random.get_rng_state()["offset"] == 9 + 37 + 2 * 37


def test_numbers_depend_only_on_their_counter(device):
    """Number i is a hash of (seed, offset + i): a longer draw starts with the shorter one, whatever the launch."""
    _at(3, 0)
    long = tg.rand(100, dtype=tg.float64, device=device).numpy()
    _at(3, 40)
    np.testing.assert_array_equal(tg.rand(10, dtype=tg.float64, device=device).numpy(), long[40:50])


def test_consecutive_draws_use_disjoint_counters(device):
    """randn(n) reserves 2n counters from its offset and reads only those: numbers of the next draws are fresh
    (a normal once reused counters 2(offset + i) that a following rand also read)."""
    _at(0, 0)
    a = tg.randn(1, dtype=tg.float64, device=device).numpy()
    b = tg.randn(3, dtype=tg.float64, device=device).numpy()
    u = tg.rand(6, dtype=tg.float64, device=device).numpy()
    np.testing.assert_allclose(a, ref_normal(0, 0, 1), rtol=1e-12)
    np.testing.assert_allclose(b, ref_normal(0, 2, 3), rtol=1e-12)
    np.testing.assert_array_equal(u, ref_uniform(0, 8, 6, 53))
    assert tg_random.get_rng_state()["offset"] == 14


def test_empty_draws_consume_nothing(device):
    _at(1, 7)
    assert tg.rand(0, 3, device=device).shape == (0, 3)
    assert tg.randn(2, 0, dtype=tg.float64, device=device).shape == (2, 0)
    assert tg_random.get_rng_state()["offset"] == 7


# ----------------------------------------------------------------------------- multinomial
@pytest.mark.parametrize("dtype", [tg.float32, tg.float64])
def test_draws_with_replacement_follow_the_weights(dtype):
    tg.manual_seed(0)
    w = tg.tensor(np.stack([P * 7.0, np.ones(4)]), dtype=dtype)      # unnormalised weights are fine
    out = tg.multinomial(w, 20000, replacement=True)
    assert out.dtype == tg.int64 and out.shape == (2, 20000)
    freq = np.stack([np.bincount(r, minlength=4) / 20000 for r in out.numpy()])
    np.testing.assert_allclose(freq, np.stack([P, np.full(4, 0.25)]), atol=0.015)   # ~4.5 standard errors
    assert freq[0, 1] == 0.0                                              # a zero weight is never drawn


def test_draws_without_replacement_are_distinct_and_renormalised():
    tg.manual_seed(1)
    out = tg.multinomial(tg.tensor(np.tile(P, (20000, 1))), 2).numpy()
    assert (out[:, 0] != out[:, 1]).all() and not (out == 1).any()
    second = [sum(P[i] * P[j] / (1 - P[i]) for i in range(4) if i != j) for j in range(4)]
    np.testing.assert_allclose(np.bincount(out[:, 1], minlength=4) / 20000, second, atol=0.015)
    every = tg.multinomial(tg.tensor([1.0, 2.0, 3.0, 4.0]), 4).tolist()
    assert sorted(every) == [0, 1, 2, 3]


def test_reproducible_from_the_seed_and_a_method_of_tensor(device):
    w = tg.tensor([[0.2, 0.5, 0.3]], device=device)
    tg.manual_seed(5)
    a = tg.multinomial(w, 6, replacement=True)
    assert a.device == device and a.dtype == tg.int64
    tg.manual_seed(5)
    assert w.multinomial(6, replacement=True).tolist() == a.tolist()
    assert tg.multinomial(tg.tensor([0.0, 1.0], device=device), 1).tolist() == [1]


def test_inverse_transform_against_numpy(device):
    # each draw is the first j whose running sum exceeds u·Σp, with u the stream's numbers in order
    p = np.random.default_rng(0).random((3, 6))
    tg.manual_seed(9)
    u = tg.rand(3 * 4, dtype=tg.float64).numpy().reshape(3, 4)
    tg.manual_seed(9)
    got = tg.multinomial(tg.tensor(p, device=device), 4, replacement=True).numpy()
    want = [[np.searchsorted(np.cumsum(row), x * row.sum(), side="right") for x in us] for row, us in zip(p, u)]
    np.testing.assert_array_equal(got, np.minimum(want, 5))


@pytest.mark.parametrize("replacement", [True, False])
@pytest.mark.parametrize("dtype", [tg.float32, tg.float64])
def test_multinomial_draws_the_reference_and_cpu_indices(replacement, dtype, device):
    """Rows with leading zero weights and a one-hot row; without replacement the drawn categories leave the row.
    The stream's numbers are the same on every device, and so are the indices."""
    p = np.random.default_rng(4).random((5, 7)).astype(dtype)
    p[1, :3] = 0
    p[2] = [0, 0, 1, 0, 0, 0, 0] if replacement else p[2]
    _at(11, 5)
    got = tg.multinomial(tg.tensor(p, device=device), 3, replacement=replacement)
    assert got.device == device and got.dtype == tg.int64 and got.shape == (5, 3)
    assert tg_random.get_rng_state()["offset"] == 5 + 15
    want = ref_multinomial(p, ref_uniform(11, 5, 15, 53).reshape(5, 3), replacement)
    np.testing.assert_array_equal(got.numpy(), want)
    if not replacement:
        assert all(len(set(r)) == 3 for r in want)
    _at(11, 5)
    np.testing.assert_array_equal(got.numpy(), tg.multinomial(tg.tensor(p), 3, replacement=replacement).numpy())


def test_kernel_status_codes(device):
    """The per-row status of the multinomial kernel (the op reports the worst row as an error: see below)."""
    b = backend(device)
    p = tg.tensor([[1.0, -1.0], [0.0, 0.0], [1.0, 0.0], [np.inf, 1.0], [0.5, 0.5]], device=device)
    out, status = b.multinomial(p._data, 2, False, np.uint64(3), 0)
    out, status = b.to_numpy(out), b.to_numpy(status)
    assert status.tolist() == [1, 2, 3, 1, 0] and (out[:4] == 0).all() and sorted(out[4]) == [0, 1]


@pytest.mark.parametrize("bad,match", [
    ([-1.0, 1.0], "negative, NaN or infinite"), ([np.nan, 1.0], "negative, NaN or infinite"),
    ([[1.0, 1.0], [np.inf, 1.0]], "negative, NaN or infinite"),
    ([0.0, 0.0], "sum to 0"), ([[1.0, 0.0, 0.0]], "fewer positive weights")])
def test_invalid_weights_raise(bad, match, device):
    """The CPU raises at the call; a GPU checks the weights where they are and raises at the next read."""
    w = tg.tensor(bad, device=device)
    k = 2 if match.startswith("fewer") else 1
    if device == "cpu":
        with pytest.raises(ValueError, match=match):
            tg.multinomial(w, k)
    else:
        out = tg.multinomial(w, k)                              # queued: nothing is read yet
        with pytest.raises(ValueError, match=match):
            out.tolist()


def test_invalid_arguments_raise(device):
    w = tg.tensor([0.5, 0.5], device=device)
    with pytest.raises(ValueError, match="num_samples must be a positive int"):
        tg.multinomial(w, 0)
    with pytest.raises(ValueError, match="cannot draw 3 samples without replacement from 2 categories"):
        tg.multinomial(w, 3)
    with pytest.raises(TypeError, match="float32 or float64"):
        tg.multinomial(tg.tensor([1, 2], device=device), 1)
    with pytest.raises(ValueError, match=r"shape \(C,\) or \(N, C\)"):
        tg.multinomial(tg.ones(2, 2, 2, device=device), 1)
