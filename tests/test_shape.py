"""Indexing with PyTorch's rules (placement of advanced-index axes, 0-d views, set with broadcasting), 0-d shape
ops, and joins; expected values are torch 2.13's."""
import numpy as np
import pytest

import tinygradnb as tg

# (key, torch 2.13's result shape for a (2, 3, 4, 5) tensor). An int is a plain selection in torch, not an
# advanced index as in NumPy, so it does not move the array-indexed axes to the front.
KEYS = [
    ((0, slice(None), [1, 2]), (3, 2, 5)),
    ((slice(None), 0, slice(None), [1, 2]), (2, 4, 2)),
    ((Ellipsis, 0, [1, 2]), (2, 3, 2)),
    ((None, 0, [1, 2]), (1, 2, 4, 5)),
    (([0, 1], None, [0, 1]), (2, 1, 4, 5)),
    (([0], slice(None), [1, 2]), (2, 3, 5)),
    (([0, 1], 0, [0, 1]), (2, 5)),
    ((1, [0, 2], slice(None), 3), (2, 4)),
    ((slice(None), [[0, 1]], 1), (2, 1, 2, 5)),
]


@pytest.mark.parametrize("key,shape", KEYS)
def test_advanced_index_placement_follows_torch(key, shape):
    a = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    x = tg.tensor(a, requires_grad=True)
    out = x[key]
    assert out.shape == shape
    # torch's result is NumPy's result of the same key with the ints applied first
    ints = tuple(k if isinstance(k, int) else slice(None) if isinstance(k, list) else k for k in key)
    rest = tuple(k if isinstance(k, list) or k is Ellipsis else slice(None) for k in key if not isinstance(k, int))
    np.testing.assert_array_equal(out.numpy(), a[ints][rest])
    assert tg.gradcheck(lambda t: t[key] * 1.5, [x])
    z = tg.zeros(2, 3, 4, 5, dtype=tg.float64)           # set: the same placement
    z[key] = tg.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape))
    np.testing.assert_array_equal(z[key].numpy(), np.arange(np.prod(shape)).reshape(shape))


def test_zero_d_integer_tensor_index_is_an_int():
    x = tg.zeros(2, 3, 4, 5)
    assert x[tg.tensor(0), :, [1, 2]].shape == (3, 2, 5)    # torch 2.13
    assert x[tg.tensor(1)].shape == (3, 4, 5)


def test_setitem_shape_mismatch_is_a_clear_error():
    x = tg.zeros(4)
    with pytest.raises(RuntimeError, match=r"value of shape \(3,\).*selection.*\(2,\)"):
        x[:2] = tg.ones(3)
    with pytest.raises(TypeError, match="value"):
        x[:2] = "a"
    x[1:3] = tg.tensor([1.5, 2.5], dtype=tg.float64)        # cast to x's dtype, as torch
    assert x.dtype == tg.float32 and x.tolist() == [0.0, 1.5, 2.5, 0.0]


def test_setitem_of_a_value_that_requires_grad_is_an_error_not_a_lost_gradient():
    buf = tg.zeros(2, 3)
    h = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="stack"):
        buf[0] = h
    with tg.no_grad():
        buf[0] = h
    assert buf.tolist()[0] == [1.0, 1.0, 1.0]


def test_gather_indices_are_kept_for_backward():
    x = tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64, requires_grad=True)
    idx = tg.tensor([0, 2])
    y = (x[idx] * tg.tensor([1.0, 10.0], dtype=tg.float64)).sum()
    idx[0] = 1                                            # an index the gather used: its gradient stays put
    y.backward()
    assert x.grad.tolist() == [1.0, 0.0, 10.0]


def test_zero_d_shape_ops():
    x = tg.tensor(3.0, requires_grad=True)
    assert x.transpose(0, -1).shape == () and x.T.shape == ()   # torch 2.13 accepts dims 0 and -1
    with pytest.raises(RuntimeError, match="zero-dimensional"):
        tg.cat([tg.tensor(1.0), tg.tensor(2.0)])              # torch 2.13: RuntimeError
    assert tg.stack([tg.tensor(1.0), tg.tensor(2.0)]).tolist() == [1.0, 2.0]
    assert x.reshape(1).shape == (1,) and x.unsqueeze(0).shape == (1,) and x.flatten().shape == (1,)
