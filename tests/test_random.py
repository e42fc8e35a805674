"""tinygradnb.multinomial: categorical draws from the seeded stream, against the distributions they sample."""
import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb.device import backend

P = np.array([0.1, 0.0, 0.6, 0.3])


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


def test_reproducible_from_the_seed_and_a_method_of_tensor():
    w = tg.tensor([[0.2, 0.5, 0.3]])
    tg.manual_seed(5)
    a = tg.multinomial(w, 6, replacement=True).tolist()
    tg.manual_seed(5)
    assert w.multinomial(6, replacement=True).tolist() == a
    assert tg.multinomial(tg.tensor([0.0, 1.0]), 1).shape == (1,)


def test_inverse_transform_against_numpy():
    # each draw is the first j whose running sum exceeds u·Σp, with u the stream's numbers in order
    p = np.random.default_rng(0).random((3, 6))
    tg.manual_seed(9)
    u = tg.rand(3 * 4, dtype=tg.float64).numpy().reshape(3, 4)
    tg.manual_seed(9)
    got = tg.multinomial(tg.tensor(p), 4, replacement=True).numpy()
    want = [[np.searchsorted(np.cumsum(row), x * row.sum(), side="right") for x in us] for row, us in zip(p, u)]
    np.testing.assert_array_equal(got, np.minimum(want, 5))


def test_kernel_status_codes():
    b = backend("cpu")
    p = np.array([[1.0, -1.0], [0.0, 0.0], [1.0, 0.0], [np.inf, 1.0], [0.5, 0.5]])
    out, status = b.multinomial(p, 2, False, np.uint64(3), 0)
    assert status.tolist() == [1, 2, 3, 1, 0] and (out[:4] == 0).all() and sorted(out[4]) == [0, 1]


@pytest.mark.parametrize("bad,match", [
    ([-1.0, 1.0], "negative, NaN or infinite"), ([np.nan, 1.0], "negative, NaN or infinite"),
    ([0.0, 0.0], "sum to 0"), ([[1.0, 0.0, 0.0]], "fewer positive weights")])
def test_invalid_weights_raise(bad, match):
    with pytest.raises(ValueError, match=match):
        tg.multinomial(tg.tensor(bad), 2 if match.startswith("fewer") else 1)


def test_invalid_arguments_raise():
    w = tg.tensor([0.5, 0.5])
    with pytest.raises(ValueError, match="num_samples must be a positive int"):
        tg.multinomial(w, 0)
    with pytest.raises(ValueError, match="cannot draw 3 samples without replacement from 2 categories"):
        tg.multinomial(w, 3)
    with pytest.raises(TypeError, match="float32 or float64"):
        tg.multinomial(tg.tensor([1, 2]), 1)
    with pytest.raises(ValueError, match=r"shape \(C,\) or \(N, C\)"):
        tg.multinomial(tg.ones(2, 2, 2), 1)
