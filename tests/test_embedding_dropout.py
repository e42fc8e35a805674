"""embedding and dropout: forward vs NumPy references, gradcheck, RNG reproducibility, numerics, bad inputs."""
import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb import random as tg_random
from tinygradnb.ops.embedding import dropout, embedding

RNG = np.random.default_rng(1)


# ----------------------------------------------------------------------------- embedding
@pytest.mark.parametrize("idx_shape", [(5,), (2, 3), (), (0,)])
def test_embedding_forward(idx_shape):
    w = RNG.standard_normal((7, 4))
    idx = RNG.integers(0, 7, size=idx_shape)
    out = embedding(tg.tensor(idx, dtype=tg.int64), tg.tensor(w, dtype=tg.float64))
    assert out.shape == idx_shape + (4,)
    np.testing.assert_array_equal(out.numpy(), w[idx])


def test_embedding_int32_indices_float32_weight():
    w = RNG.standard_normal((5, 3)).astype(np.float32)
    idx = np.array([[4, 0], [0, 2]], np.int32)
    out = embedding(tg.tensor(idx, dtype=tg.int32), tg.tensor(w))
    assert out.dtype == tg.float32
    np.testing.assert_array_equal(out.numpy(), w[idx])


def test_embedding_gradcheck_repeated_indices():
    idx = tg.tensor([[1, 2, 1], [5, 1, 0]])
    w = tg.tensor(RNG.standard_normal((6, 3)), dtype=tg.float64, requires_grad=True)
    assert tg.gradcheck(lambda w: embedding(idx, w), [w])


@pytest.mark.parametrize("padding_idx", [1, -5])  # -5 is row 1 of 6
def test_embedding_backward_scatter_add_and_padding(padding_idx):
    idx = np.array([[1, 2, 1], [5, 1, 2]])
    w = tg.tensor(RNG.standard_normal((6, 3)), dtype=tg.float64, requires_grad=True)
    g = RNG.standard_normal((2, 3, 3))
    out = embedding(tg.tensor(idx), w, padding_idx=padding_idx)
    np.testing.assert_array_equal(out.numpy()[0, 0], w.numpy()[1])  # the padding row is still looked up
    out.backward(tg.tensor(g, dtype=tg.float64))
    ref = np.zeros((6, 3))
    np.add.at(ref, idx.reshape(-1), g.reshape(-1, 3))
    ref[1] = 0
    np.testing.assert_allclose(w.grad.numpy(), ref, rtol=1e-12, atol=1e-12)


def test_embedding_float_indices():
    with pytest.raises(TypeError, match="integer"):
        embedding(tg.tensor([0.0, 1.0]), tg.randn(3, 2))


def test_embedding_bool_indices():
    with pytest.raises(TypeError, match="integer"):
        embedding(tg.tensor([True, False]), tg.randn(3, 2))


def test_embedding_index_too_large():
    with pytest.raises(IndexError, match=r"index 3 .* 3 rows"):
        embedding(tg.tensor([0, 3, 1]), tg.randn(3, 2))


def test_embedding_negative_index():
    with pytest.raises(IndexError, match=r"index -1 .* 3 rows"):
        embedding(tg.tensor([[0, -1]]), tg.randn(3, 2))


@pytest.mark.parametrize("shape", [(6,), (2, 3, 2)])
def test_embedding_weight_not_2d(shape):
    with pytest.raises(ValueError, match="2-D"):
        embedding(tg.tensor([0]), tg.randn(*shape))


def test_embedding_integer_weight():
    with pytest.raises(TypeError, match="weight"):
        embedding(tg.tensor([0]), tg.tensor([[1, 2]]))


def test_embedding_padding_idx_out_of_range():
    with pytest.raises(ValueError, match="padding_idx"):
        embedding(tg.tensor([0]), tg.randn(3, 2), padding_idx=3)


def test_embedding_padding_idx_type():
    with pytest.raises(TypeError, match="padding_idx"):
        embedding(tg.tensor([0]), tg.randn(3, 2), padding_idx=1.0)


def test_embedding_with_empty_dims_matches_torch():
    # torch 2.13: a (5, 0) table gives (2, 0) rows and a (5, 0) gradient; a (0, 3) table with no indices gives
    # (0, 3); no indices into a (4, 3) table give a zero gradient
    w = tg.zeros(5, 0, requires_grad=True)
    out = embedding(tg.tensor([[1, 2]]), w)
    assert out.shape == (1, 2, 0)
    out.sum().backward()
    assert w.grad.shape == (5, 0)
    for table, idx in (((0, 3), (0,)), ((4, 3), (2, 0))):
        w = tg.zeros(*table, requires_grad=True)
        out = embedding(tg.tensor(np.zeros(idx, np.int64)), w, padding_idx=None)
        assert out.shape == idx + (3,)
        out.sum().backward()
        assert w.grad.shape == table and not w.grad.numpy().any()


def test_embedding_indices_are_guarded_against_in_place_changes():
    # torch 2.13 saves the indices for backward: changing them in place before backward raises
    w = tg.randn(4, 2, requires_grad=True)
    idx = tg.tensor([0, 3])
    out = embedding(idx, w)
    idx += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


# ----------------------------------------------------------------------------- dropout
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


def test_dropout_forward_matches_reference_mask():
    tg.manual_seed(1234)
    tg.randn(3)  # move the counter: the mask must start at the drawn offset
    seed, offset = tg_random.get_rng_state()["seed"], tg_random.get_rng_state()["offset"]
    x = RNG.standard_normal((4, 50))
    out = dropout(tg.tensor(x, dtype=tg.float64), p=0.3)
    keep = ref_keep(seed, offset, x.size, 0.3).reshape(x.shape)
    np.testing.assert_allclose(out.numpy(), np.where(keep, x / 0.7, 0.0), rtol=1e-15)
    assert tg_random.get_rng_state()["offset"] == offset + x.size


def test_dropout_float32():
    tg.manual_seed(5)
    x = RNG.standard_normal(1000).astype(np.float32)
    out = dropout(tg.tensor(x), p=0.25)
    assert out.dtype == tg.float32
    keep = ref_keep(5, 0, x.size, 0.25)
    np.testing.assert_allclose(out.numpy(), np.where(keep, x.astype(np.float64) / 0.75, 0), rtol=1e-6)


def test_dropout_gradcheck():
    x = tg.tensor(RNG.standard_normal((3, 4)), dtype=tg.float64, requires_grad=True)

    def f(x):
        tg.manual_seed(7)  # each evaluation draws the same mask
        return dropout(x, p=0.4)
    assert tg.gradcheck(f, [x])


def test_dropout_backward_reuses_forward_mask():
    tg.manual_seed(11)
    x = tg.tensor(RNG.random(500) + 1.0, dtype=tg.float64, requires_grad=True)
    out = dropout(x, p=0.5)
    tg.randn(10)  # advancing the stream between forward and backward must not change the mask
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy() != 0, out.numpy() != 0)
    np.testing.assert_allclose(x.grad.numpy()[out.numpy() != 0], 2.0)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_keep_rate_and_mean(p):
    tg.manual_seed(2024)
    n = 200_000
    out = dropout(tg.ones(n, dtype=tg.float64), p=p).numpy()
    rate = np.mean(out != 0)
    sd = np.sqrt(p * (1 - p) / n)
    assert abs(rate - (1 - p)) < 5 * sd
    assert abs(out.mean() - 1.0) < 5 * sd / (1 - p)


def test_dropout_reproducible_with_manual_seed():
    x = tg.ones(64, 8)
    tg.manual_seed(99)
    a, b = dropout(x).numpy(), dropout(x).numpy()
    tg.manual_seed(99)
    a2, b2 = dropout(x).numpy(), dropout(x).numpy()
    np.testing.assert_array_equal(a, a2)
    np.testing.assert_array_equal(b, b2)
    assert not np.array_equal(a, b)  # consecutive draws use fresh counters


def test_dropout_identity_cases():
    x = tg.randn(3, 4, requires_grad=True)
    state = tg_random.get_rng_state()
    assert dropout(x, p=0.5, training=False) is x
    assert dropout(x, p=0.0) is x
    assert tg_random.get_rng_state() == state  # nothing drawn


def test_dropout_p_one_gives_zeros():
    x = tg.randn(3, 4, dtype=tg.float64, requires_grad=True)
    out = dropout(x, p=1.0)
    assert np.all(out.numpy() == 0)
    out.sum().backward()
    assert np.all(x.grad.numpy() == 0)


def test_dropout_empty():
    assert dropout(tg.zeros(0, 3), p=0.5).shape == (0, 3)


@pytest.mark.parametrize("p", [-0.1, 1.1, float("nan")])
def test_dropout_p_out_of_range(p):
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        dropout(tg.randn(4), p=p)


def test_dropout_p_type():
    with pytest.raises(TypeError, match="p must be a number"):
        dropout(tg.randn(4), p="0.5")


def test_dropout_integer_input():
    with pytest.raises(TypeError, match="float"):
        dropout(tg.tensor([1, 2, 3]), p=0.5)
