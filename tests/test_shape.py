"""Shape and indexing ops: views, joins, indexing with PyTorch's rules (placement of advanced-index axes, 0-d views,
set with broadcasting), in-place writes in the graph, split/chunk, repeat, flip/roll, triu/tril, gather/scatter,
masked ops, F.pad, F.one_hot and the in-place methods; expected values are NumPy float64's or torch 2.13's, on
every device of TGNB_TEST_DEVICES (the ``device`` fixture, tests/conftest.py).

Under Numba's CUDA simulator every CUDA thread is a Python thread and a gradcheck takes 2N forward passes, so on
cuda gradients are checked against central differences of the NumPy reference (``grad_ok``)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

import tinygradnb as tg
import tinygradnb.nn.functional as F
from opcheck import check_op, grad_ok, inputs, on


def _t(a, **kw):
    """A tensor of ``a`` (indices, masks) on the device given as ``device=`` (the cpu when none)."""
    return tg.tensor(np.asarray(a), **kw)


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
def test_advanced_index_placement_follows_torch(key, shape, device):
    a = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    x = tg.tensor(a, device=device, requires_grad=True)
    out = x[key]
    assert out.shape == shape and out.device == device
    # torch's result is NumPy's result of the same key with the ints applied first
    ints = tuple(k if isinstance(k, int) else slice(None) if isinstance(k, list) else k for k in key)
    rest = tuple(k if isinstance(k, list) or k is Ellipsis else slice(None) for k in key if not isinstance(k, int))
    np.testing.assert_array_equal(out.numpy(), a[ints][rest])
    assert grad_ok(lambda t: t[key] * 1.5, lambda b: b[ints][rest] * 1.5, [a], device)
    z = tg.zeros(2, 3, 4, 5, dtype=tg.float64, device=device)           # set: the same placement
    z[key] = tg.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape), device=device)
    np.testing.assert_array_equal(z[key].numpy(), np.arange(np.prod(shape)).reshape(shape))


def test_zero_d_integer_tensor_index_is_an_int(device):
    x = tg.zeros(2, 3, 4, 5, device=device)
    assert x[tg.tensor(0, device=device), :, [1, 2]].shape == (3, 2, 5)    # torch 2.13
    assert x[tg.tensor(1, device=device)].shape == (3, 4, 5)


def test_setitem_shape_mismatch_is_a_clear_error(device):
    x = tg.zeros(4, device=device)
    with pytest.raises(RuntimeError, match=r"value of shape \(3,\).*selection.*\(2,\)"):
        x[:2] = tg.ones(3, device=device)
    with pytest.raises(TypeError, match="value"):
        x[:2] = "a"
    x[1:3] = tg.tensor([1.5, 2.5], dtype=tg.float64, device=device)        # cast to x's dtype, as torch
    assert x.dtype == tg.float32 and x.tolist() == [0.0, 1.5, 2.5, 0.0]


# In-place writes recorded in the graph, as PyTorch records them. Each case: the loss from w = [1, 2, 3] and
# h = [0.5, -1, 2] (both requiring grad), and torch 2.13's (loss, w.grad, h.grad).
def _buffer_rows(w, h):
    out = tg.zeros(3, 2, device=w.device)
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
    buf = tg.zeros(2, 3, device=w.device)
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
    m = tg.zeros(2, 3, device=w.device)
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
def test_inplace_writes_in_the_graph_follow_torch(fn, loss, gw, gh, device):
    w = tg.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    h = tg.tensor([0.5, -1.0, 2.0], device=device, requires_grad=True)
    out = fn(w, h)
    out.backward()
    assert out.item() == pytest.approx(loss)
    np.testing.assert_allclose(w.grad.numpy(), gw, rtol=1e-6)
    np.testing.assert_allclose(h.grad.numpy(), gh, rtol=1e-6)


def test_inplace_write_gradcheck(device):
    def f(w, h):
        buf = tg.zeros(3, 2, dtype=tg.float64, device=w.device)
        buf[0] = w[:2] * h[1:]
        buf[1:, 1] += h[:2].exp()
        buf *= w.reshape(3, 1)
        return buf
    def ref(w, h):
        buf = np.zeros((3, 2))
        buf[0] = w[:2] * h[1:]
        buf[1:, 1] += np.exp(h[:2])
        return buf * w.reshape(3, 1)
    assert grad_ok(f, ref, [np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])], device)


def test_inplace_errors(device):
    w = tg.ones(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w += 1                                   # torch 2.13: RuntimeError, a leaf Variable ... in-place
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w[0] = 2.0
    x = w * 1
    v = x[1:]
    x += tg.ones(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="view .* was taken before an in-place operation"):
        v.sum()                                  # torch replays the view; tinygradnb refuses rather than misroute
    with pytest.raises(RuntimeError, match="on a view"):
        (w * 1).reshape(3, 1).__iadd__(tg.ones(1, device=device, requires_grad=True))
    i = tg.ones(3, dtype=tg.int64, device=device)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i += 1.5                                 # torch 2.13: result type Float can't be cast to Long
    with tg.no_grad():
        w += 1                                   # a parameter update
    assert w.tolist() == [2.0, 2.0, 2.0] and w.is_leaf


def test_gather_indices_are_kept_for_backward(device):
    x = tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64, device=device, requires_grad=True)
    idx = tg.tensor([0, 2], device=device)
    y = (x[idx] * tg.tensor([1.0, 10.0], dtype=tg.float64, device=device)).sum()
    idx[0] = 1                                            # an index the gather used: its gradient stays put
    y.backward()
    assert x.grad.tolist() == [1.0, 0.0, 10.0]


def test_zero_d_shape_ops(device):
    x = tg.tensor(3.0, device=device, requires_grad=True)
    one, two = tg.tensor(1.0, device=device), tg.tensor(2.0, device=device)
    assert x.transpose(0, -1).shape == () and x.T.shape == ()   # torch 2.13 accepts dims 0 and -1
    with pytest.raises(RuntimeError, match="zero-dimensional"):
        tg.cat([one, two])                                     # torch 2.13: RuntimeError
    assert tg.stack([one, two]).tolist() == [1.0, 2.0]
    assert x.reshape(1).shape == (1,) and x.unsqueeze(0).shape == (1,) and x.flatten().shape == (1,)


def test_ellipsis_for_no_axes_keeps_index_arrays_adjacent(device):
    x = tg.arange(16, device=device).reshape(4, 2, 2)
    i = tg.tensor([0, 1], device=device)
    assert x[:, i, ..., i].shape == (4, 2)                                     # torch 2.13
    assert x[..., i, i].shape == (4, 2) and x[..., i, i].tolist() == [[0, 3], [4, 7], [8, 11], [12, 15]]


def test_reversed_slices_are_refused_as_in_torch(device):
    with pytest.raises(ValueError, match="step must be greater than zero"):
        tg.zeros(3, device=device)[::-1]                                  # torch 2.13: ValueError


def test_view_needs_compatible_strides_reshape_does_not():
    """On the cpu, where a transpose is a strided view. The cuda backend materialises transposes (its arrays are
    contiguous), so there view() of a transposed tensor succeeds, on a copy."""
    x = tg.arange(6.0).reshape(2, 3)
    t = x.transpose(0, 1)                                  # (3, 2), not contiguous
    with pytest.raises(RuntimeError, match="view.*stride.*reshape"):
        t.view(6)                                          # torch 2.13: RuntimeError
    assert t.view(3, 1, 2).shape == (3, 1, 2)              # splitting an axis is a view even when transposed


def test_view_and_reshape(device):
    x = tg.arange(6.0, device=device).reshape(2, 3)
    t = x.transpose(0, 1)
    assert t.reshape(6).tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    assert t.view(3, 1, 2).tolist() == [[[0.0, 3.0]], [[1.0, 4.0]], [[2.0, 5.0]]]
    v = x.view(3, 2)
    v[0, 0] = 9.0                                          # a view: writes reach x
    assert x[0, 0].item() == 9.0
    with pytest.raises(RuntimeError, match="invalid for a tensor of shape"):
        x.view(4, -1)


def test_clone_and_contiguous(device):
    x = tg.arange(6.0, dtype=tg.float64, device=device, requires_grad=True)
    c = x.clone()
    with tg.no_grad():
        c[0] = 5.0
    assert x[0].item() == 0.0 and c.requires_grad
    t = x.reshape(2, 3).transpose(0, 1)
    k = t.contiguous()
    assert k.numpy().flags.c_contiguous and k.tolist() == t.tolist()
    assert x.contiguous() is x
    assert grad_ok(lambda a: a.reshape(2, 3).transpose(0, 1).contiguous() * a.reshape(3, 2).clone(),
                   lambda a: a.reshape(2, 3).T * a.reshape(3, 2), [np.arange(6.0)], device)


# ----------------------------------------------------------------------------- views, joins and gathers
SHAPE_OPS = [
    ("reshape", lambda x: x.reshape(4, -1), lambda x: x.reshape(4, -1)),
    ("view", lambda x: x.view(24), lambda x: x.reshape(24)),
    ("permute", lambda x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1)),
    ("transpose", lambda x: x.transpose(0, 2), lambda x: np.swapaxes(x, 0, 2)),
    ("T", lambda x: x.T, lambda x: x.T),
    ("expand", lambda x: x[:, :1].expand(5, 2, 3, 4), lambda x: np.broadcast_to(x[:, :1], (5, 2, 3, 4))),
    ("unsqueeze", lambda x: x.unsqueeze(1), lambda x: x[:, None]),
    ("unsqueeze_neg", lambda x: x.unsqueeze(-1), lambda x: x[..., None]),
    ("squeeze", lambda x: x[:, :1].squeeze(), lambda x: x[:, 0]),
    ("squeeze_dim", lambda x: x[:1].squeeze(0), lambda x: x[0]),
    ("flatten", lambda x: x.flatten(1), lambda x: x.reshape(2, 12)),
    ("slice", lambda x: x[1:, ::2, -1], lambda x: x[1:, ::2, -1]),
    ("int_index", lambda x: x[0, 1], lambda x: x[0, 1]),
    ("ellipsis_none", lambda x: x[..., None, 1], lambda x: x[..., None, 1]),
    ("gather", lambda x: x[_t([1, 0, 1], device=x.device)], lambda x: x[[1, 0, 1]]),
    ("gather_2d", lambda x: x[:, _t([[0, 2], [2, 2]], device=x.device)], lambda x: x[:, [[0, 2], [2, 2]]]),
    ("pair_index", lambda x: x[_t([0, 1, 1], device=x.device), _t([2, 2, 0], device=x.device)],
     lambda x: x[[0, 1, 1], [2, 2, 0]]),
    ("bool_mask", lambda x: x[_t([True, False], device=x.device)], lambda x: x[np.array([True, False])]),
    ("cpu_index", lambda x: x[_t([1, 0])], lambda x: x[[1, 0]]),                # as torch: a cpu index anywhere
    ("list_index", lambda x: x[[0, 0]], lambda x: x[[0, 0]]),
]


@pytest.mark.parametrize("name,fn,ref", SHAPE_OPS, ids=[s[0] for s in SHAPE_OPS])
def test_shape_ops(name, fn, ref, device):
    check_op(fn, ref, (2, 3, 4), device=device)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_and_stack(axis, device):
    a, b, c = inputs([(2, 3), (2, 3), (2, 3)])
    check_op(lambda x, y, z: tg.concat([x, y, z], axis), lambda x, y, z: np.concatenate([x, y, z], axis),
             arrays=[a, b, c], device=device)
    check_op(lambda x, y: tg.stack([x, y], axis), lambda x, y: np.stack([x, y], axis), arrays=[a, b], device=device)
    check_op(lambda x, y: tg.cat([x, y[:1] if axis == 0 else y], dim=axis),
             lambda x, y: np.concatenate([x, y[:1] if axis == 0 else y], axis), arrays=[a, b], device=device)


def test_gather_repeated_indices_accumulate(device):
    w = tg.tensor(np.ones((4, 2)), device=device, requires_grad=True)
    w[_t([3, 3, 0, 3], device=device)].sum().backward()
    np.testing.assert_allclose(w.grad.numpy()[:, 0], [1, 0, 0, 3])


def test_setitem_outside_graph(device):
    x = tg.zeros(2, 3, device=device)
    x[0, 1:] = 5.0
    x[_t([1], device=device)] = tg.ones(1, 3, device=device)
    assert x.tolist() == [[0, 5, 5], [1, 1, 1]]
    w = tg.zeros(2, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        w[0] = 1.0


def test_gather_gradient_property(device):
    """x[idx] backward scatter-adds: grad[i] = number of times i appears in idx (negative indices wrap); 30
    examples on the cpu, 8 on cuda."""
    @settings(max_examples=on(device, 30, 8), deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.integers(1, 6), st.lists(st.integers(-6, 5), min_size=1, max_size=8))
    def prop(n, idx):
        idx = [i for i in idx if -n <= i < n] or [0]
        x = tg.tensor(np.zeros(n), device=device, requires_grad=True)
        x[_t(idx, device=device)].sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), np.bincount(np.array(idx) % n, minlength=n))
    prop()


# ============================================================================= issue #12: shape/indexing ops

# ----------------------------------------------------------------------------- split, chunk, unbind
def test_split_values_and_views(device):
    x = tg.arange(5, device=device)
    assert [p.tolist() for p in tg.split(x, 2)] == [[0, 1], [2, 3], [4]]          # torch 2.13
    assert [p.tolist() for p in x.split([1, 4])] == [[0], [1, 2, 3, 4]]
    assert [p.shape for p in tg.split(x[:0], 2)] == [(0,)]                         # one empty piece
    assert [p.shape for p in tg.split(x[:0], 0)] == [(0,)]
    assert [p.shape for p in tg.split(x, [5, 0])] == [(5,), (0,)]
    m = tg.arange(6.0, device=device).reshape(2, 3)
    a, b = tg.split(m, 2, dim=1)
    assert a.tolist() == [[0.0, 1.0], [3.0, 4.0]] and b.tolist() == [[2.0], [5.0]] and a.device == device
    a[0, 0] = 9.0                                              # a view, as torch's: the write reaches m
    assert m[0, 0].item() == 9.0


def test_chunk_and_unbind_values(device):
    x = tg.arange(6, device=device)
    assert [p.tolist() for p in tg.chunk(x[:5], 3)] == [[0, 1], [2, 3], [4]]                  # torch 2.13
    assert [p.tolist() for p in x.chunk(4)] == [[0, 1], [2, 3], [4, 5]]                       # fewer pieces
    assert [p.tolist() for p in tg.chunk(x[:5], 10)] == [[0], [1], [2], [3], [4]]
    assert [p.shape for p in tg.chunk(x[:0], 3)] == [(0,)] * 3
    assert [p.shape for p in tg.chunk(tg.zeros(2, 0, device=device), 3, 1)] == [(2, 0)] * 3
    m = tg.arange(6.0, device=device).reshape(2, 3)
    assert [p.tolist() for p in tg.unbind(m, 1)] == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert len(m.unbind()) == 2
    assert tg.unbind(tg.zeros(0, 3, device=device)) == ()
    u = m.unbind(0)[1]
    u += 1.0                                                   # a view
    assert m.tolist() == [[0.0, 1.0, 2.0], [4.0, 5.0, 6.0]]


def test_split_chunk_unbind_gradients(device):
    x = inputs([(4, 5)])[0]
    assert grad_ok(lambda t: tg.split(t, [1, 3], 0)[1] * tg.split(t, 2, 1)[0].sum(),
                   lambda a: a[1:] * a[:, :2].sum(), [x], device)
    assert grad_ok(lambda t: tg.chunk(t, 3, 1)[1] * tg.stack(tg.unbind(t[:, :2], 0)[::-1], 0),
                   lambda a: a[:, 2:4] * a[::-1, :2], [x], device)


def test_split_chunk_unbind_errors(device):
    x = tg.arange(5, device=device)
    with pytest.raises(RuntimeError, match="split_size can only be 0"):
        tg.split(x, 0)                                         # torch 2.13: RuntimeError
    with pytest.raises(RuntimeError, match="non-negative"):
        tg.split(x, -1)
    with pytest.raises(RuntimeError, match="sum exactly to 5"):
        tg.split(x, [2, 2])
    with pytest.raises(RuntimeError, match="non-negative"):
        tg.split(x, [2, -1, 4])
    with pytest.raises(RuntimeError, match="at least a 1-dimensional"):
        tg.split(x[0], 1)
    with pytest.raises(IndexError):
        tg.split(tg.zeros(2, 3, device=device), 2, 2)
    with pytest.raises(TypeError, match="split_size_or_sections"):
        tg.split(x, 2.0)
    with pytest.raises(RuntimeError, match="greater than 0"):
        tg.chunk(x, 0)
    with pytest.raises(TypeError, match="chunks"):
        tg.chunk(x, 2.0)
    with pytest.raises(IndexError):
        tg.unbind(x[0])


# ----------------------------------------------------------------------------- repeat, repeat_interleave
def test_repeat_against_numpy(device):
    check_op(lambda t: t.repeat(2, 1, 3), lambda a: np.tile(a, (2, 1, 3)), (2, 3), device=device)
    check_op(lambda t: t.repeat((1, 2)), lambda a: np.tile(a, (1, 2)), (3, 2), device=device)
    z = tg.zeros(2, 3, device=device)
    assert z.repeat(0, 2).shape == (0, 6)                                   # torch 2.13
    assert tg.tensor(1.0, device=device).repeat(3).tolist() == [1.0, 1.0, 1.0]
    assert tg.arange(3, device=device).repeat(2).tolist() == [0, 1, 2, 0, 1, 2]
    with pytest.raises(RuntimeError, match="can not be smaller"):
        z.repeat(2)
    with pytest.raises(RuntimeError, match="non-negative"):
        z.repeat(-1, 2)
    with pytest.raises(TypeError, match="repeats"):
        z.repeat()


def test_repeat_interleave_against_numpy(device):
    check_op(lambda t: tg.repeat_interleave(t, 2), lambda a: np.repeat(a, 2), (2, 3), device=device)
    check_op(lambda t: t.repeat_interleave(3, dim=1), lambda a: np.repeat(a, 3, axis=1), (2, 3), device=device)
    check_op(lambda t: tg.repeat_interleave(t, _t([1, 2, 0], device=t.device), dim=1),
             lambda a: np.repeat(a, [1, 2, 0], axis=1), (2, 3), device=device)
    check_op(lambda t: tg.repeat_interleave(t, _t([2], dtype=tg.int32, device=t.device), dim=0),
             lambda a: np.repeat(a, 2, axis=0), (2, 3), device=device)

    def t(data, **kw):
        return tg.tensor(data, device=device, **kw)
    assert tg.repeat_interleave(t([1, 2, 3])).tolist() == [0, 1, 1, 2, 2, 2]     # torch 2.13
    assert tg.repeat_interleave(t(3.0), 2).tolist() == [3.0, 3.0]
    assert tg.repeat_interleave(tg.ones(2, 3, device=device), 2, dim=1, output_size=6).shape == (2, 6)
    x = tg.arange(6.0, device=device).reshape(2, 3)
    with pytest.raises(RuntimeError, match="same size as input along dim"):
        tg.repeat_interleave(x, t([1, 2]), dim=1)
    with pytest.raises(RuntimeError, match="can not be negative"):
        tg.repeat_interleave(x, t([-1, 2]), dim=0)
    with pytest.raises(RuntimeError, match="non-negative"):
        tg.repeat_interleave(x, -1)
    with pytest.raises(RuntimeError, match="integer tensor"):
        tg.repeat_interleave(x, t([1.0, 2.0]), dim=0)
    with pytest.raises(RuntimeError, match="output_size"):
        tg.repeat_interleave(x, 2, dim=1, output_size=5)
    with pytest.raises(IndexError):
        tg.repeat_interleave(t(3.0), 2, dim=0)


# ----------------------------------------------------------------------------- expand_as, flip, roll
def test_expand_as_flip_roll_against_numpy(device):
    check_op(lambda t: t.expand_as(tg.zeros(3, 2, 4, device=t.device)) * 1.0, lambda a: np.broadcast_to(a, (3, 2, 4)),
             (2, 1), device=device)
    check_op(lambda t: tg.flip(t, (0, 2)), lambda a: a[::-1, :, ::-1], (2, 3, 4), device=device)
    check_op(lambda t: t.flip(1), lambda a: a[:, ::-1], (2, 3), device=device)
    check_op(lambda t: t.flip(-1, 0), lambda a: a[::-1, ::-1], (2, 3), device=device)
    check_op(lambda t: tg.roll(t, 1), lambda a: np.roll(a, 1), (2, 3), device=device)
    check_op(lambda t: tg.roll(t, (1, -1), (0, 1)), lambda a: np.roll(a, (1, -1), (0, 1)), (2, 3), device=device)
    check_op(lambda t: t.roll(-7, 1), lambda a: np.roll(a, -7, 1), (2, 3), device=device)
    check_op(lambda t: tg.roll(t, (1, 2), (1, 1)), lambda a: np.roll(a, 3, 1), (2, 4), device=device)
    one = tg.tensor(1.0, device=device)
    assert tg.flip(one, (0,)).item() == 1.0 and tg.flip(tg.ones(2, 3, device=device), []).shape == (2, 3)
    assert tg.roll(tg.zeros(0, 3, device=device), 1, 0).shape == (0, 3) and tg.roll(one, 1).item() == 1.0
    x = tg.arange(6.0, device=device).reshape(2, 3)
    f = x.flip(0)
    f[0, 0] = 100.0                                      # flip and roll copy, as torch's
    assert x[1, 0].item() == 3.0


def test_expand_as_flip_roll_errors(device):
    x = tg.arange(6.0, device=device).reshape(2, 3)
    with pytest.raises(RuntimeError):
        x.expand_as(tg.zeros(3, 3, device=device))      # torch 2.13: RuntimeError
    with pytest.raises(TypeError, match="dims"):
        tg.flip(x, 1)                                    # torch.flip needs a tuple (the method takes ints)
    with pytest.raises(RuntimeError, match="multiple times"):
        tg.flip(x, (0, 0))
    with pytest.raises(IndexError):
        tg.flip(x, (2,))
    with pytest.raises(RuntimeError, match="must align"):
        tg.roll(x, (1, 2), (0,))
    with pytest.raises(RuntimeError, match="must align"):
        tg.roll(x, 1, (0, 0))
    with pytest.raises(RuntimeError, match="shifts"):
        tg.roll(x, (), ())
    with pytest.raises(IndexError):
        tg.roll(x[0, 0], 1, 0)


# ----------------------------------------------------------------------------- triu, tril, eye
def test_triu_tril_against_numpy(device):
    for k in on(device, (0, 1, -1, 10, -10), (1, -1)):         # cuda: k only moves the mask's diagonal
        check_op(lambda t: tg.triu(t, k), lambda a: np.triu(a, k), (3, 4), device=device)
        check_op(lambda t: t.tril(k), lambda a: np.tril(a, k), (2, 4, 3), device=device)
    ones = tg.ones(2, 2, dtype=tg.bool, device=device)
    assert tg.triu(ones).tolist() == [[True, True], [False, True]] and tg.triu(ones).dtype == tg.bool   # torch 2.13
    assert tg.tril(tg.arange(4, device=device).reshape(2, 2)).dtype == tg.int64
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        tg.triu(tg.arange(3, device=device))
    with pytest.raises(TypeError, match="diagonal"):
        tg.triu(tg.ones(2, 2, device=device), 1.5)


def test_eye(device):
    def eye(*args, **kw):
        return tg.eye(*args, device=device, **kw)
    assert eye(3).tolist() == np.eye(3).tolist() and eye(3).dtype == tg.float32 and eye(3).device == device
    assert eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]                       # torch 2.13
    assert eye(0).shape == (0, 0)
    assert eye(2, dtype=tg.int64).tolist() == [[1, 0], [0, 1]] and eye(2, dtype=tg.bool).dtype == tg.bool
    assert eye(2, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="n must be greater or equal to 0"):
        eye(-1)
    with pytest.raises(RuntimeError, match="m must be greater or equal to 0"):
        eye(2, -1)
    with pytest.raises(TypeError, match="n must be an int"):
        eye(2.0)


# ----------------------------------------------------------------------------- gather, scatter, index_select
IDX = np.array([[0, 0, 2], [1, 0, 1]])


def _scatter_np(a, dim, idx, src, add=False):
    out = a.copy()
    for pos in np.ndindex(*idx.shape):
        tgt = list(pos)
        tgt[dim] = idx[pos]
        if add:
            out[tuple(tgt)] += src[pos]
        else:
            out[tuple(tgt)] = src[pos]
    return out


def raises_at_read(device, match, fn):
    """fn()'s out-of-range index values raise RuntimeError matching ``match``: on the cpu at the call; on cuda at
    the next read (the check runs then instead of waiting for the GPU), as PyTorch reports a device-side assert."""
    if device == "cpu":
        with pytest.raises(RuntimeError, match=match):
            fn()
        return
    out = fn()
    with pytest.raises(RuntimeError, match=match):
        out.numpy()


def test_gather_against_numpy(device):
    check_op(lambda t: tg.gather(t, 1, _t(IDX, device=t.device)), lambda a: np.take_along_axis(a, IDX, 1), (2, 4),
             device=device)
    check_op(lambda t: t.gather(0, _t(IDX[:, :2].T, device=t.device)), lambda a: np.take_along_axis(a, IDX[:, :2].T, 0),
             (3, 2), device=device)

    def t(data, **kw):
        return tg.tensor(data, device=device, **kw)
    i32 = t(IDX, dtype=tg.int32)
    x = tg.arange(6.0, device=device).reshape(2, 3)
    assert tg.gather(tg.arange(8.0, device=device).reshape(2, 4), 1, i32).tolist() == [[0.0, 0.0, 2.0],
                                                                                       [5.0, 4.0, 5.0]]
    # index smaller than the input apart from dim; 0-d cases as torch 2.13
    assert tg.gather(x, 1, tg.zeros(1, 4, dtype=tg.int64, device=device)).shape == (1, 4)
    assert tg.gather(x, 1, tg.zeros(0, 4, dtype=tg.int64, device=device)).shape == (0, 4)
    assert tg.gather(t(5.0), 0, t(0)).shape == ()
    assert tg.gather(t(5.0), 0, t([0, 0])).tolist() == [5.0, 5.0]
    assert tg.gather(t([5.0, 6.0]), 0, t(1)).item() == 6.0
    # repeated indices accumulate in the gradient
    x = t([1.0, 2.0, 3.0], requires_grad=True)
    tg.gather(x, 0, t([2, 2, 0])).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 2.0]


def test_scatter_and_scatter_add_against_numpy(device):
    check_op(lambda t, s: tg.scatter(t, 1, _t(IDX[:, 1:], device=t.device), s),
             lambda a, s: _scatter_np(a, 1, IDX[:, 1:], s), (2, 4), (2, 3), device=device)
    check_op(lambda t, s: t.scatter_add(1, _t(IDX, device=t.device), s),
             lambda a, s: _scatter_np(a, 1, IDX, s, add=True), (2, 4), (2, 3), device=device)
    check_op(lambda t: tg.scatter(t, 0, _t([[0, 1], [2, 0]], device=t.device), value=2.5),
             lambda a: _scatter_np(a, 0, np.array([[0, 1], [2, 0]]), np.full((2, 2), 2.5)), (3, 2), device=device)
    check_op(lambda t: t.scatter(0, _t([[1]], device=t.device), 7),
             lambda a: _scatter_np(a, 0, np.array([[1]]), np.full((1, 1), 7)), (3, 2), device=device)
    # torch 2.13's values
    x = tg.arange(6.0, device=device).reshape(2, 3)
    i = tg.tensor([[0, 0], [1, 0]], device=device)
    v = tg.tensor([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]], device=device)
    assert x.scatter_add(1, i, v).tolist() == [[30.0, 1.0, 2.0], [53.0, 44.0, 5.0]]
    assert x.long().scatter(1, i, 7.5).tolist() == [[7, 1, 2], [7, 7, 5]]
    assert x.scatter(0, tg.tensor([[0], [1], [0]], device=device), tg.ones(3, 1, device=device)).tolist() == \
        [[1.0, 1.0, 2.0], [1.0, 4.0, 5.0]]
    assert x.scatter(1, i.int(), 1.0).tolist() == [[1.0, 1.0, 2.0], [1.0, 1.0, 5.0]]
    assert x.long().scatter_add(1, i, v.long()).tolist() == [[30, 1, 2], [53, 44, 5]]
    # gradients as torch's: input's with the written places zeroed; src's gathered (also where a write lost)
    w = tg.arange(6.0, device=device).reshape(2, 3) + 1
    for op, gx in ((tg.scatter, [[0.0, 2.0, 3.0], [0.0, 0.0, 6.0]]), (tg.scatter_add, [[1.0, 2.0, 3.0],
                                                                                      [4.0, 5.0, 6.0]])):
        xg = tg.tensor(x.numpy(), device=device, requires_grad=True)
        s = tg.tensor([[10.0, 20.0], [40.0, 50.0]], device=device, requires_grad=True)
        (op(xg, 1, i, s) * w).sum().backward()
        assert xg.grad.tolist() == gx and s.grad.tolist() == [[1.0, 1.0], [5.0, 4.0]]


def test_index_select_against_numpy(device):
    check_op(lambda t: tg.index_select(t, 1, _t([2, 0, 2], device=t.device)), lambda a: a[:, [2, 0, 2]], (2, 3),
             device=device)
    check_op(lambda t: t.index_select(0, _t([1], dtype=tg.int32, device=t.device)), lambda a: a[[1]], (2, 3),
             device=device)

    def t(data, **kw):
        return tg.tensor(data, device=device, **kw)
    assert tg.index_select(tg.arange(6.0, device=device).reshape(2, 3), 1, t(2)).shape == (2, 1)     # torch 2.13
    assert tg.index_select(t(4.0), 0, t([0])).shape == ()
    assert tg.index_select(tg.ones(2, 3, device=device), 0, t([], dtype=tg.int64)).shape == (0, 3)


def test_gather_scatter_index_errors(device):
    def t(data, **kw):
        return tg.tensor(data, device=device, **kw)
    x = tg.arange(6.0, device=device).reshape(2, 3)
    i = t([[0, 0], [1, 0]])
    # torch 2.13: RuntimeError, same words (on cuda: at the next read)
    raises_at_read(device, "index 3 is out of bounds for dimension 1 with size 3", lambda: tg.gather(x, 1, t([[3]])))
    raises_at_read(device, "index -1 is out of bounds", lambda: tg.gather(x, 1, t([[-1]])))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        tg.gather(x, 1, t([0]))
    with pytest.raises(RuntimeError, match="no larger than input"):
        tg.gather(x, 1, tg.zeros(3, 1, dtype=tg.int64, device=device))
    with pytest.raises(RuntimeError, match="int32 or int64"):
        tg.gather(x, 1, i.float())
    with pytest.raises(TypeError, match="index"):
        tg.gather(x, 1, 0)
    with pytest.raises(IndexError):
        tg.gather(x, 2, i)
    with pytest.raises(RuntimeError, match="self.dtype to be equal to src.dtype"):
        x.scatter(1, i, t([[10, 20, 30], [40, 50, 60]]))
    with pytest.raises(RuntimeError, match="same number of dimensions as src"):
        x.scatter(1, i, t(9.0))
    with pytest.raises(RuntimeError, match="no larger than src"):
        x.scatter(1, i, t([[1.0]]))
    raises_at_read(device, "out of bounds", lambda: x.scatter(1, t([[3]]), t([[1.0]])))
    with pytest.raises(TypeError, match="src"):
        x.scatter_add(1, i, 1.0)
    with pytest.raises(ValueError, match="reduce"):
        x.scatter(1, i, tg.ones(2, 2, device=device), reduce="add")
    with pytest.raises(IndexError, match="vector"):
        tg.index_select(x, 1, t([[2]]))
    raises_at_read(device, "out of bounds", lambda: tg.index_select(x, 1, t([3])))
    raises_at_read(device, "out of bounds", lambda: tg.index_select(x, 1, t([-1])))
    with pytest.raises(RuntimeError, match="int32 or int64"):
        tg.index_select(x, 1, t([1.0]))
    assert tg.gather(x, 1, t([[2]])).tolist() == [[2.0]]          # later calls are unaffected


def test_gather_guards_its_index(device):
    x = tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64, device=device, requires_grad=True)
    i = tg.tensor([0, 2], device=device)
    y = tg.gather(x, 0, i).sum()
    i[0] = 1                                       # torch 2.13 saves the index: backward refuses the change
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


# ----------------------------------------------------------------------------- masked_fill, masked_select
M = np.array([True, False, True])


def test_masked_fill_and_select_against_numpy(device):
    check_op(lambda t: tg.masked_fill(t, _t(M, device=t.device), 9.5), lambda a: np.where(M, 9.5, a), (2, 3),
             device=device)
    check_op(lambda t: t.masked_fill(_t(M, device=t.device), tg.tensor(-2.0, dtype=tg.float64, device=t.device)),
             lambda a: np.where(M, -2.0, a), (2, 3), device=device)
    check_op(lambda t: tg.masked_select(t, _t(M, device=t.device)), lambda a: a[np.broadcast_to(M, a.shape)], (2, 3),
             device=device)
    check_op(lambda t: t.masked_select(_t([[True], [False]], device=t.device)), lambda a: a[0], (2, 3), device=device)
    m = _t(M, device=device)
    x = tg.arange(6, device=device).reshape(2, 3)
    assert x.masked_fill(m, 9.5).tolist() == [[9, 1, 9], [9, 4, 9]]            # torch 2.13: stays int64
    assert x.masked_fill(m, tg.tensor(9.5, device=device)).dtype == tg.int64
    assert x.float().masked_fill(m, True).tolist() == [[1.0, 1.0, 1.0], [1.0, 4.0, 1.0]]
    full = tg.ones(2, 3, dtype=tg.bool, device=device)
    assert tg.zeros(3, device=device).masked_fill(full, 1).shape == (2, 3)     # both broadcast
    assert tg.masked_select(tg.zeros(3, device=device), full).shape == (6,)
    assert tg.masked_select(tg.tensor(3.0, device=device), tg.tensor(True, device=device)).tolist() == [3.0]
    # a 0-d value tensor gets the gradient summed where the mask holds (torch 2.13: 4)
    v = tg.tensor(2.0, device=device, requires_grad=True)
    (tg.zeros(2, 3, device=device).masked_fill(m, v) * tg.arange(3.0, device=device)).sum().backward()
    assert v.grad.item() == 4.0
    assert grad_ok(lambda a, b: a.masked_fill(_t(M, device=a.device), b), lambda a, b: np.where(M, b, a),
                   [inputs([(2, 3)])[0], np.array(2.0)], device)


def test_masked_errors(device):
    x = tg.arange(6.0, device=device).reshape(2, 3)
    m = _t(M, device=device)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        x.masked_fill(m, tg.tensor([9.0], device=device))
    with pytest.raises(RuntimeError, match="boolean masks"):
        x.masked_fill(m.int(), 9)
    with pytest.raises(RuntimeError, match="broadcast"):
        x.masked_fill(tg.ones(2, dtype=tg.bool, device=device), 1)
    with pytest.raises(TypeError, match="value"):
        x.masked_fill(m, "a")
    with pytest.raises(RuntimeError, match="boolean masks"):
        tg.masked_select(x, m.int())


# ----------------------------------------------------------------------------- F.pad, F.one_hot
PADS = [
    ((1, 2), "constant"), ((1, 1, 2, 0), "constant"), ((-1, 1), "constant"), ((-3, 0), "constant"),
    ((1, 1), "reflect"), ((2, 2), "reflect"), ((-1, 1), "reflect"), ((1, 2), "replicate"), ((-1, 1), "replicate"),
    ((1, 2), "circular"), ((3, 0), "circular"), ((-1, 2, 1, -1), "circular"), ((2, -1, 0, 1), "reflect"),
]
_NP_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad_np(a, pads, mode, value=0.0):
    width = [(0, 0)] * a.ndim
    for i in range(len(pads) // 2):
        width[a.ndim - 1 - i] = (pads[2 * i], pads[2 * i + 1])
    crop = tuple(slice(max(-lo, 0), a.shape[d] - max(-hi, 0)) for d, (lo, hi) in enumerate(width))
    a = a[crop]
    width = [(max(lo, 0), max(hi, 0)) for lo, hi in width]
    kw = {"constant_values": value} if mode == "constant" else {}
    return np.pad(a, width, mode=_NP_MODE[mode], **kw)


@pytest.mark.parametrize("pads,mode", PADS)
def test_pad_against_numpy(pads, mode, device):
    check_op(lambda t: F.pad(t, pads, mode=mode), lambda a: _pad_np(a, pads, mode), (2, 3, 4), device=device)


def test_pad_values_as_torch(device):
    x = tg.arange(6.0, device=device).reshape(2, 3)
    assert F.pad(x, (1, 2), value=3).tolist() == [[3.0, 0.0, 1.0, 2.0, 3.0, 3.0], [3.0, 3.0, 4.0, 5.0, 3.0, 3.0]]
    assert F.pad(x.long(), (1, 0), value=3.5).tolist() == [[3, 0, 1, 2], [3, 3, 4, 5]]     # torch 2.13
    assert F.pad(x[None], (1, 1, 1, 0), mode="reflect").tolist() == [[[4.0, 3.0, 4.0, 5.0, 4.0],
                                                                      [1.0, 0.0, 1.0, 2.0, 1.0],
                                                                      [4.0, 3.0, 4.0, 5.0, 4.0]]]
    assert F.pad(x, (1, 1), mode="replicate", value=0.0).shape == (2, 5)
    assert F.pad(tg.zeros(2, 0, device=device), (1, 1)).shape == (2, 2) and F.pad(x[0, 0], ()).item() == 0.0
    assert F.pad(x.to(tg.bool), (1, 1), value=1).tolist() == [[True, False, True, True, True], [True] * 5]
    assert F.pad(tg.zeros(2, 3, 4, 5, 6, device=device), (1, 1, 1, 1, 1, 1), mode="reflect").shape == (2, 3, 6, 7, 8)
    assert F.pad(tg.zeros(2, 3, 4, 5, device=device), (1, 1, 1, 1, 1, 1), mode="replicate").shape == (2, 5, 6, 7)
    assert F.pad(x, [1, 0], "reflect").tolist() == [[1.0, 0.0, 1.0, 2.0], [4.0, 3.0, 4.0, 5.0]]


def test_pad_errors(device):
    x = tg.arange(6.0, device=device).reshape(2, 3)
    with pytest.raises(RuntimeError, match="divisible by 2"):
        F.pad(x, (1,))
    with pytest.raises(RuntimeError, match="two times the input dimension"):
        F.pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(RuntimeError, match="negative size"):
        F.pad(x, (-2, -2))
    with pytest.raises(TypeError, match="pad"):
        F.pad(x, (1.0, 0))
    with pytest.raises(RuntimeError, match="less than the corresponding input dimension"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(NotImplementedError, match="not supported"):           # torch 2.13: NotImplementedError
        F.pad(x, (1, 1, 1, 1), mode="reflect")
    with pytest.raises(NotImplementedError):
        F.pad(x[0], (1, 2), mode="replicate")
    with pytest.raises(RuntimeError, match="value"):
        F.pad(x, (1, 1), mode="reflect", value=2.0)
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        F.pad(x[None], (4, 0), mode="circular")
    with pytest.raises(NotImplementedError, match="padding mode"):
        F.pad(x, (1, 1), mode="foo")
    with pytest.raises(RuntimeError, match="non-zero dimensions"):
        F.pad(tg.zeros(2, 0, device=device), (1, 1), mode="reflect")
    with pytest.raises(RuntimeError, match="two times"):
        F.pad(x[0, 0], (1, 1))


def test_one_hot(device):
    def t(data, **kw):
        return tg.tensor(data, device=device, **kw)
    assert F.one_hot(t([0, 2, 1])).tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]      # torch 2.13
    assert F.one_hot(t([0, 2, 1]), 4).shape == (3, 4) and F.one_hot(t([0, 2])).dtype == tg.int64
    assert F.one_hot(t([0, 2])).device == device
    assert F.one_hot(t([], dtype=tg.int64), 3).shape == (0, 3)
    assert F.one_hot(t(2)).tolist() == [0, 0, 1]
    assert F.one_hot(t([[0, 1]]), num_classes=3).shape == (1, 2, 3)
    raises_at_read(device, "smaller than num_classes", lambda: F.one_hot(t([0, 2, 1]), 2))   # cuda: at the read
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(t([0, -2, 1]))                               # without num_classes: the max is read at once
    raises_at_read(device, "non-negative", lambda: F.one_hot(t([0, -2, 1]), 3))
    with pytest.raises(RuntimeError, match="int64"):
        F.one_hot(t([0, 2, 1]).int())
    with pytest.raises(RuntimeError, match="empty tensor"):
        F.one_hot(t([], dtype=tg.int64))
    raises_at_read(device, "smaller than num_classes", lambda: F.one_hot(t([0]), 0))


# ----------------------------------------------------------------------------- in-place methods
def test_inplace_method_values_as_torch(device):
    def x():
        return tg.arange(6.0, device=device).reshape(2, 3)

    def ln():
        return tg.arange(6, device=device).reshape(2, 3)

    def t(data, **kw):
        return tg.tensor(data, device=device, **kw)
    y = x()
    v0 = y._version
    assert y.add_(1, alpha=2) is y and y.tolist() == [[2.0, 3.0, 4.0], [5.0, 6.0, 7.0]]       # torch 2.13
    assert y._version == v0 + 1 and y.device == device
    assert x().add_(tg.ones(3, device=device), alpha=0.5).tolist() == [[0.5, 1.5, 2.5], [3.5, 4.5, 5.5]]
    assert x().sub_(1, alpha=2).tolist() == [[-2.0, -1.0, 0.0], [1.0, 2.0, 3.0]]
    assert x().mul_(2).tolist() == [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]
    assert x().div_(2).tolist() == [[0.0, 0.5, 1.0], [1.5, 2.0, 2.5]]
    assert ln().fill_(3.7).tolist() == [[3, 3, 3], [3, 3, 3]] and ln().fill_(-3.7).tolist()[0] == [-3, -3, -3]
    assert x().fill_(t(3)).tolist() == [[3.0] * 3] * 2 and x().fill_(True).tolist() == [[1.0] * 3] * 2
    assert x().copy_(t([1, 2, 3])).tolist() == [[1.0, 2.0, 3.0]] * 2
    assert x().copy_(tg.tensor([1.0, 2.0, 3.0])).tolist() == [[1.0, 2.0, 3.0]] * 2      # from the cpu, as torch's
    assert ln().copy_(t([1.7, -2.7, 3.0])).tolist() == [[1, -2, 3]] * 2
    assert x().to(tg.bool).copy_(t([0.0, 2.0, 0.5])).tolist() == [[False, True, True]] * 2
    assert x().copy_(5).tolist() == [[5.0] * 3] * 2
    assert x().clamp_(1, 4).tolist() == [[1.0, 1.0, 2.0], [3.0, 4.0, 4.0]]
    assert ln().clamp_(max=2).tolist() == [[0, 1, 2], [2, 2, 2]]
    assert x().masked_fill_(t(M), 7).tolist() == [[7.0, 1.0, 7.0], [7.0, 4.0, 7.0]]
    z = tg.zeros(2, 3, dtype=tg.float64, device=device)
    z.copy_(tg.ones(3, dtype=tg.float32, device=device) * 0.1)
    assert z.dtype == tg.float64 and z[0, 0].item() == float(np.float32(0.1))
    m = x()
    m[1].fill_(-1.0)                                         # through a basic slice: reaches the base
    assert m.tolist() == [[0.0, 1.0, 2.0], [-1.0, -1.0, -1.0]]
    m.add_(1).mul_(t([1.0, 2.0, 3.0])).sub_(t([1.0, 1.0, 1.0]), alpha=2).div_(2).clamp_(-1, 1)      # chained
    assert m.tolist() == [[-0.5, 1.0, 1.0], [-1.0, -1.0, -1.0]]


def test_inplace_method_errors_as_torch(device):
    def ln():
        return tg.arange(6, device=device).reshape(2, 3)

    def z(*shape):
        return tg.zeros(*shape, device=device)
    with pytest.raises(RuntimeError, match="alpha must not be a floating point"):
        ln().add_(1, alpha=0.5)
    with pytest.raises(RuntimeError, match="can't be cast"):
        ln().add_(1.5)
    with pytest.raises(RuntimeError, match="can't be cast"):
        ln().mul_(2.5)
    with pytest.raises(RuntimeError, match="can't be cast"):
        ln().div_(2)
    with pytest.raises(RuntimeError, match="can't be cast"):
        ln().clamp_(max=1.5)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        z(2, 3).add_(tg.ones(2, 2, 3, device=device))
    with pytest.raises(RuntimeError, match="does not broadcast"):
        z(2, 3).copy_(tg.ones(2, device=device))
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        z(3).masked_fill_(tg.ones(2, 3, dtype=tg.bool, device=device), 1)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        z(3).fill_(tg.tensor([3.0], device=device))
    with pytest.raises(TypeError, match="value"):
        z(3).fill_("a")
    with pytest.raises(TypeError, match="other"):
        z(3).add_("a")
    with pytest.raises(RuntimeError, match="from=3.0 > to=2.0"):
        z(3).uniform_(3, 2)
    with pytest.raises(RuntimeError, match="std >= 0.0"):
        z(3).normal_(0, -1)
    with pytest.raises(NotImplementedError):
        ln().uniform_()
    with pytest.raises(NotImplementedError):
        ln().normal_()
    w = tg.ones(3, device=device, requires_grad=True)
    for op in (lambda: w.add_(1), lambda: w.fill_(0), lambda: w.uniform_(), lambda: w.copy_(z(3))):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
            op()


def test_uniform_and_normal_draw_from_the_seeded_stream(device):
    """uniform_/normal_ draw what rand/randn draw after the same seed, on every device the same numbers."""
    tg.manual_seed(5)
    u = tg.zeros(1000, dtype=tg.float64, device=device).uniform_(2, 3)
    tg.manual_seed(5)
    ref = tg.rand(1000, dtype=tg.float64) * 1.0 + 2.0                  # on the cpu
    np.testing.assert_allclose(u.numpy(), ref.numpy(), rtol=1e-15)
    assert u.device == device and 2.0 <= u.numpy().min() and u.numpy().max() < 3.0
    assert tg.zeros(3, device=device).uniform_(**{"from": -1, "to": 0}).numpy().max() <= 0.0
    tg.manual_seed(5)
    n = tg.zeros(2000, device=device).normal_(1.5, 0.5)
    tg.manual_seed(5)
    np.testing.assert_allclose(n.numpy(), (tg.randn(2000) * 0.5 + 1.5).numpy(), rtol=1e-6)
    assert abs(n.numpy().mean() - 1.5) < 0.05 and abs(n.numpy().std() - 0.5) < 0.05
    tg.manual_seed(5)
    n64 = tg.zeros(50, dtype=tg.float64, device=device).normal_(1.0, 2.0)
    tg.manual_seed(5)
    np.testing.assert_allclose(n64.numpy(), (tg.randn(50, dtype=tg.float64) * 2.0 + 1.0).numpy(), rtol=1e-12)
    assert tg.zeros(2, 3, device=device).normal_(std=0).tolist() == [[0.0] * 3] * 2
    with tg.no_grad():
        w = tg.ones(3, device=device, requires_grad=True)
        w.uniform_()
    assert w.requires_grad and w.is_leaf


def _copy_square(a):
    y = tg.zeros(3, device=a.device)
    y.copy_(a * 3)
    return (y * y).sum()


def _copy_broadcast(a):
    y = tg.zeros(2, 3, device=a.device)
    y.copy_(a * 3)
    return y.sum()


def _fill_tensor(a):
    y = tg.ones(3, device=a.device) * 1
    y.fill_(a[0])
    return (y * tg.arange(3.0, device=a.device)).sum()


def _clamp_(a):
    y = a * 1
    y.clamp_(1.5, 2.5)
    return y.sum()


def _add_alpha(a):
    y = a * 1
    y.add_(a, alpha=3)
    return y.sum()


def _sub_alpha(a):
    y = a * 1
    y.sub_(a * a, alpha=3)
    return y.sum()


def _uniform_in_graph(a):
    y = a * 2
    y.uniform_()
    return y.sum() * 0 + (a * 1).sum()


def _mul_div(a):
    y = a * 1
    y.mul_(a)
    y.div_(a + 1)
    return y.sum()


# (fn, torch 2.13's gradient of a = [1, 2, 3])
INPLACE_METHODS = [
    (_copy_square, [18.0, 36.0, 54.0]), (_copy_broadcast, [6.0, 6.0, 6.0]), (_fill_tensor, [3.0, 0.0, 0.0]),
    (_clamp_, [0.0, 1.0, 0.0]), (_add_alpha, [4.0, 4.0, 4.0]), (_sub_alpha, [-5.0, -11.0, -17.0]),
    (_uniform_in_graph, [1.0, 1.0, 1.0]), (_mul_div, [0.75, 8 / 9, 15 / 16]),
]


@pytest.mark.parametrize("fn,grad", INPLACE_METHODS, ids=[c[0].__name__ for c in INPLACE_METHODS])
def test_inplace_methods_in_the_graph_follow_torch(fn, grad, device):
    a = tg.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    fn(a).backward()
    np.testing.assert_allclose(a.grad.numpy(), grad, rtol=1e-6)


def test_inplace_methods_gradcheck(device):
    def f(a, v):
        y = a * 1
        y.add_(v[:3], alpha=2)
        y.mul_(v[1])
        y[1:].masked_fill_(_t([True, False], device=a.device), v[0])
        y.clamp_(-1.0, 1.5)
        z = tg.zeros(2, 3, dtype=tg.float64, device=a.device)
        z.copy_(y)
        z[0].fill_(v[2])
        return z
    def ref(a, v):
        y = (a + 2 * v[:3]) * v[1]
        y[1] = v[0]
        z = np.empty((2, 3))
        z[:] = np.clip(y, -1.0, 1.5)
        z[0] = v[2]
        return z
    assert grad_ok(f, ref, [np.array([0.3, -0.7, 1.1]), np.array([0.4, 1.3, -0.2, 0.9])], device)
    assert grad_ok(lambda t: tg.gather(t, 1, _t(IDX, device=t.device))
                   + tg.scatter_add(t, 1, _t(IDX, device=t.device), t[:2, :3] * 2)[:2, :3],
                   lambda a: np.take_along_axis(a[:2], IDX, 1)
                   + _scatter_np(a, 1, IDX, a[:2, :3] * 2, add=True)[:2, :3], inputs([(4, 5)]), device)


def test_unsupported_arguments_are_refused_by_name(device):
    x = tg.ones(2, 3, device=device)
    with pytest.raises(ValueError, match="rounding_mode"):
        x.div_(2, rounding_mode="floor")
    assert x.tolist() == [[1.0] * 3] * 2                     # nothing written


# ----------------------------------------------------------------------------- t, mT, narrow, view_as, nonzero
def test_t_mT_narrow_view_as_reshape_as(device):
    a = np.arange(6.0).reshape(2, 3)
    check_op(lambda x: x.t(), lambda x: x.T, arrays=[a], device=device)
    check_op(lambda x: x.narrow(1, 1, 2), lambda x: x[:, 1:3], arrays=[a], device=device)
    check_op(lambda x: x.narrow(0, -1, 1), lambda x: x[-1:], arrays=[a], device=device)
    x = tg.tensor(a, device=device)
    assert x.t().t().tolist() == a.tolist() and tg.tensor([1.0, 2.0], device=device).t().tolist() == [1.0, 2.0]
    assert tg.ones(4, 2, 3, device=device).mT.shape == (4, 3, 2)
    assert x.view_as(tg.ones(3, 2)).shape == (3, 2) and x.reshape_as(tg.ones(6)).tolist() == a.reshape(-1).tolist()
    x.narrow(1, 0, 1).fill_(-1.0)                 # a view: writes reach x
    assert x[:, 0].tolist() == [-1.0, -1.0]
    with pytest.raises(RuntimeError, match=r"t\(\) expects a tensor with <= 2 dimensions, but self is 3D"):
        tg.ones(2, 2, 2, device=device).t()
    with pytest.raises(RuntimeError, match="mT is only supported on matrices"):
        tg.ones(2, device=device).mT
    with pytest.raises(RuntimeError, match=r"start \(2\) \+ length \(2\) exceeds dimension size \(3\)"):
        x.narrow(1, 2, 2)


def test_nonzero_and_argwhere_match_torch(device):
    x = tg.tensor([[1.0, 0.0, 2.0], [0.0, 0.0, -3.0]], device=device)
    want = [[0, 0], [0, 2], [1, 2]]
    assert x.nonzero().tolist() == want and tg.argwhere(x).tolist() == want and x.nonzero().dtype == tg.int64
    rows, cols = tg.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 0, 1] and cols.tolist() == [0, 2, 2] and rows.device == device
    assert tg.tensor(5, device=device).nonzero().shape == (1, 0) and tg.tensor(0).nonzero().shape == (0, 0)
    assert tg.zeros(3, device=device).nonzero().shape == (0, 1)


def test_unary_in_place_methods(device):
    # relu_ … pow_ write f(x) into x's memory; in the graph their gradient is f's
    a = np.array([-1.5, 0.5, 2.0])
    for name, f, df in (("relu_", lambda v: np.maximum(v, 0), lambda v: (v > 0) * 1.0),
                        ("tanh_", np.tanh, lambda v: 1 - np.tanh(v) ** 2),
                        ("exp_", np.exp, np.exp), ("abs_", np.abs, np.sign), ("neg_", np.negative, lambda v: -1.0)):
        x = tg.tensor(a, device=device)
        assert getattr(x, name)() is x
        np.testing.assert_allclose(x.numpy(), f(a), rtol=1e-12)
        leaf = tg.tensor(a, device=device, requires_grad=True)
        y = leaf * 1.0
        getattr(y, name)()
        y.sum().backward()
        np.testing.assert_allclose(leaf.grad.numpy(), df(a) * np.ones(3), rtol=1e-12)
    x = tg.tensor([1.0, 2.0, 3.0], device=device)
    assert x.pow_(2).tolist() == [1.0, 4.0, 9.0] and x.sqrt_().tolist() == [1.0, 2.0, 3.0]
    assert x.log_().tolist() == pytest.approx(np.log([1.0, 2.0, 3.0]).tolist())
    with pytest.raises(RuntimeError, match="can't be cast"):
        tg.tensor([1, 2], device=device).exp_()      # torch 2.13: result type Float can't be cast to Long
    with pytest.raises(RuntimeError, match="leaf"):
        tg.ones(2, requires_grad=True, device=device).relu_()


def test_add_sub_inplace_fast_path_matches_the_general_path(device):
    # p.data.add_(g, alpha=-lr) (manual SGD) runs as one kernel when nothing is recorded; it must give the general
    # path's values, write through .data into p, bump the version counter, and leave overlapping views alone
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 5)).astype(np.float32)
    g = rng.standard_normal((4, 5)).astype(np.float32)
    p = tg.tensor(a, requires_grad=True, device=device)
    saved = p * p                                      # saves p
    p.data.add_(tg.tensor(g, device=device), alpha=-0.5)
    np.testing.assert_allclose(p.detach().numpy(), a - np.float32(0.5) * g, rtol=1e-6)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        saved.sum().backward()
    q = tg.tensor(a, device=device)
    q.sub_(tg.tensor(g, device=device), alpha=2)
    np.testing.assert_allclose(q.numpy(), a - 2 * g, rtol=1e-6)
    q.add_(q)                                          # the same memory on both sides
    np.testing.assert_allclose(q.numpy(), 2 * (a - 2 * g), rtol=1e-6)
    if device == "cpu":                                # an overlapping view (views are copies on cuda)
        r = tg.tensor(np.arange(6, dtype=np.float32))
        r[1:].add_(r[:-1])
        np.testing.assert_array_equal(r.numpy(), np.arange(6) + np.r_[0, np.arange(5)])
