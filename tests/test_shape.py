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


# In-place writes recorded in the graph, as PyTorch records them. Each case: the loss from w = [1, 2, 3] and
# h = [0.5, -1, 2] (both requiring grad), and torch 2.13's (loss, w.grad, h.grad).
def _buffer_rows(w, h):
    out = tg.zeros(3, 2)
    for t in range(3):
        out[t] = tg.stack([w[t] * h[t], w[t] + h[t]])
    return (out ** 2).sum()


def _add_then_read_old(w, h):
    x = w * 2
    y = x * 3
    x += h
    return (x * x).sum() + y.sum()


def _mul_in_place(w, h):
    x = w * 1
    x *= h
    return x.sum()


def _rows(w, h):
    buf = tg.zeros(2, 3)
    buf[0] = w
    buf[1] = h * w
    return (buf * buf).sum()


def _element_iadd(w, h):
    x = w + 0
    x[0] += h[1]
    return (x ** 2).sum()


def _earlier_consumer(w, h):
    x = w * 1
    s = x + 1                        # read before the write: its gradient goes to the old x
    x[1] = h[0] * 5
    return (s * 2).sum() + (x * x).sum()


def _zero(w, h):
    x = w * 1
    x.zero_()
    return (x + h).sum() + w.sum()


def _through_a_slice(w, h):
    x = w * 1
    v = x[1:]
    v *= h[1:]                       # writes into x
    return (x * x).sum()


def _mixed(w, h):
    m = tg.zeros(2, 3)
    m[:, 1] = w[:2]
    m[1, :] += h
    return (m * m).sum()


def _advanced_and_mask(w, h):
    x = w.reshape(3, 1) * 1
    x[[0, 2], 0] = h[:2]
    x[x > 1.5] = 0
    return (x ** 3).sum()


INPLACE = [
    (_buffer_rows, 68.5, [3.5, 6.0, 34.0], [4.0, -6.0, 46.0]),
    (_add_then_read_old, 115.25, [16.0, 18.0, 38.0], [5.0, 6.0, 16.0]),
    (_mul_in_place, 4.5, [0.5, -1.0, 2.0], [1.0, 2.0, 3.0]),
    (_rows, 54.25, [2.5, 8.0, 30.0], [1.0, -8.0, 36.0]),
    (_element_iadd, 13.0, [0.0, 4.0, 6.0], [0.0, 0.0, 0.0]),
    (_earlier_consumer, 34.25, [4.0, 2.0, 8.0], [25.0, 0.0, 0.0]),
    (_zero, 7.5, [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]),
    (_through_a_slice, 41.0, [2.0, 4.0, 24.0], [0.0, -8.0, 36.0]),
    (_mixed, 6.25, [2.0, 2.0, 0.0], [1.0, 2.0, 4.0]),
    (_advanced_and_mask, -0.875, [0.0, 0.0, 0.0], [0.75, 3.0, 0.0]),
]


@pytest.mark.parametrize("fn,loss,gw,gh", INPLACE, ids=[c[0].__name__ for c in INPLACE])
def test_inplace_writes_in_the_graph_follow_torch(fn, loss, gw, gh):
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = tg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    out = fn(w, h)
    out.backward()
    assert out.item() == pytest.approx(loss)
    np.testing.assert_allclose(w.grad.numpy(), gw, rtol=1e-6)
    np.testing.assert_allclose(h.grad.numpy(), gh, rtol=1e-6)


def test_inplace_write_gradcheck():
    def f(w, h):
        buf = tg.zeros(3, 2, dtype=tg.float64)
        buf[0] = w[:2] * h[1:]
        buf[1:, 1] += h[:2].exp()
        buf *= w.reshape(3, 1)
        return buf
    w = tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64, requires_grad=True)
    h = tg.tensor([0.5, -1.0, 2.0], dtype=tg.float64, requires_grad=True)
    assert tg.gradcheck(f, [w, h])


def test_inplace_errors():
    w = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w += 1                                   # torch 2.13: RuntimeError, a leaf Variable ... in-place
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w[0] = 2.0
    x = w * 1
    v = x[1:]
    x += tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="view .* was taken before an in-place operation"):
        v.sum()                                  # torch replays the view; tinygradnb refuses rather than misroute
    with pytest.raises(RuntimeError, match="on a view"):
        (w * 1).reshape(3, 1).__iadd__(tg.ones(1, requires_grad=True))
    i = tg.ones(3, dtype=tg.int64)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i += 1.5                                 # torch 2.13: result type Float can't be cast to Long
    with tg.no_grad():
        w += 1                                   # a parameter update
    assert w.tolist() == [2.0, 2.0, 2.0] and w.is_leaf


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


def test_ellipsis_for_no_axes_keeps_index_arrays_adjacent():
    x = tg.arange(16).reshape(4, 2, 2)
    assert x[:, tg.tensor([0, 1]), ..., tg.tensor([0, 1])].shape == (4, 2)      # torch 2.13
    assert x[..., tg.tensor([0, 1]), tg.tensor([0, 1])].shape == (4, 2)


def test_reversed_slices_are_refused_as_in_torch():
    with pytest.raises(ValueError, match="step must be greater than zero"):
        tg.zeros(3)[::-1]                                  # torch 2.13: ValueError


def test_view_needs_compatible_strides_reshape_does_not():
    x = tg.arange(6.0).reshape(2, 3)
    t = x.transpose(0, 1)                                  # (3, 2), not contiguous
    with pytest.raises(RuntimeError, match="view.*stride.*reshape"):
        t.view(6)                                          # torch 2.13: RuntimeError
    assert t.reshape(6).tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    assert t.view(3, 1, 2).shape == (3, 1, 2)              # splitting an axis is a view even when transposed
    v = x.view(3, 2)
    v[0, 0] = 9.0                                          # a view: writes reach x
    assert x[0, 0].item() == 9.0
    with pytest.raises(RuntimeError, match="invalid for a tensor of shape"):
        x.view(4, -1)


def test_clone_and_contiguous():
    x = tg.arange(6.0, dtype=tg.float64, requires_grad=True)
    c = x.clone()
    with tg.no_grad():
        c[0] = 5.0
    assert x[0].item() == 0.0 and c.requires_grad
    t = x.reshape(2, 3).transpose(0, 1)
    k = t.contiguous()
    assert k.numpy().flags.c_contiguous and k.tolist() == t.tolist()
    assert x.contiguous() is x
    assert tg.gradcheck(lambda a: a.reshape(2, 3).transpose(0, 1).contiguous() * a.reshape(3, 2).clone(), [x])
