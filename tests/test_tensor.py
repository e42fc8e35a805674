"""Tensor API, creation, the autograd engine and the seeded random stream."""
import subprocess
import sys

import numpy as np
import pytest

import tinygradnb as tg


def test_creation_dtypes_follow_pytorch():
    assert tg.tensor([1.0, 2.0]).dtype == tg.float32
    assert tg.tensor([1, 2]).dtype == tg.int64
    assert tg.tensor([True]).dtype == tg.bool_
    assert tg.tensor(np.zeros(2)).dtype == tg.float64
    assert tg.tensor(np.zeros(2, np.int32)).dtype == tg.int32
    assert tg.tensor([1, 2], dtype=tg.float64).dtype == tg.float64
    assert tg.full((2,), 3).dtype == tg.int64 and tg.full((2,), 3.0).dtype == tg.float32
    assert tg.arange(5).tolist() == [0, 1, 2, 3, 4] and tg.arange(0, 1, 0.5).dtype == tg.float32
    assert tg.zeros(2, 3).shape == (2, 3) and tg.ones((2, 3)).shape == (2, 3)
    x = tg.randn(4, 5, dtype=tg.float64)
    for like in (tg.zeros_like, tg.ones_like, tg.rand_like, tg.randn_like, tg.empty_like):
        y = like(x)
        assert y.shape == x.shape and y.dtype == tg.float64
    assert tg.full_like(x, 2.5).numpy().mean() == 2.5


def test_tensor_copies_and_from_numpy_shares():
    a = np.zeros(3, np.float32)
    t, s = tg.tensor(a), tg.from_numpy(a)
    a[0] = 1
    assert t.tolist()[0] == 0 and s.tolist()[0] == 1


def test_properties_and_conversions():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert x.shape == (2, 2) and x.ndim == 2 and x.dtype == tg.float32 and x.device == "cpu"
    assert x.size() == (2, 2) and x.size(1) == 2 and x.numel() == 4 and len(x) == 2
    assert np.asarray(x).sum() == 10 and x[1, 1].item() == 4.0 and float(x[0, 0]) == 1.0
    assert x.double().dtype == tg.float64 and x.long().dtype == tg.int64 and x.to(tg.float64).dtype == tg.float64
    assert not x.detach().requires_grad and x.detach().numpy() is x.numpy()
    assert repr(x).startswith("tensor([[1., 2.],") and "requires_grad=True" in repr(x)
    assert "grad_fn=<MulBackward0>" in repr(x * 2)          # torch 2.13
    assert "dtype=float64" in repr(x.double())
    assert x.is_leaf and not (x * 2).is_leaf


def test_backward_accumulates_like_pytorch():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_shared_subexpression_and_grad_arrays_not_aliased():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    y = a + b
    (y * y).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [8, 12])
    a.grad.numpy()[:] = 0
    np.testing.assert_allclose(b.grad.numpy(), [8, 12])


def test_leaf_takes_gradient_without_copy_only_when_nothing_else_sees_it():
    # A leaf's .grad reuses the backward's fresh output array (no copy) but never an array that another leaf,
    # a view or the caller's ``grad`` also holds: in-place changes to one .grad must not leak anywhere.
    x = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    w = tg.tensor(np.ones((3, 2)), requires_grad=True)
    (x @ w).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 3), 2.0))
    np.testing.assert_allclose(w.grad.numpy(), [[3.0, 3.0], [5.0, 5.0], [7.0, 7.0]])
    a = tg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    b = tg.tensor([[1.0, 1.0], [1.0, 1.0]], requires_grad=True)
    y = a.reshape(2, 2) + b                     # Add hands one array to both branches; reshape's is a view
    g = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    y.backward(g)
    a.grad.numpy()[:] = 0
    np.testing.assert_array_equal(b.grad.numpy(), [[1.0, 2.0], [3.0, 4.0]])
    b.grad.numpy()[:] = -1
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(g.numpy(), [[1.0, 2.0], [3.0, 4.0]])
    c = tg.tensor([5.0, 6.0], requires_grad=True)
    gc = tg.tensor([1.0, 1.0])
    c.backward(gc)                              # the caller's grad itself reaches the leaf
    c.grad.numpy()[:] = 7
    np.testing.assert_array_equal(gc.numpy(), [1.0, 1.0])
    d = tg.tensor([1.0, 2.0], requires_grad=True)
    (d + 0.0).sum().backward()
    (d + 0.0).sum().backward()                  # the second pass accumulates into a new array
    np.testing.assert_array_equal(d.grad.numpy(), [2.0, 2.0])


def test_backward_with_explicit_grad_and_non_scalar_error():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"only for scalar outputs, got shape \(3,\)"):   # torch 2.13
        y.backward(retain_graph=True)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(2,\), the output \(3,\)"):
        y.backward(tg.ones(2), retain_graph=True)
    y.backward(tg.tensor([1.0, 0.0, -1.0]))
    assert x.grad.tolist() == [2.0, 0.0, -2.0]


def test_backward_twice_needs_retain_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp([1.0, 2.0]), rtol=1e-6)
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.ones(1).backward()


def test_long_chain_has_no_recursion_limit():
    x = tg.tensor([1.0], dtype=tg.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1e-6
    y.sum().backward()
    assert x.grad.tolist() == [1.0]


def test_no_grad_context_and_decorator():
    x = tg.ones(2, requires_grad=True)
    with tg.no_grad():
        assert not (x * 2).requires_grad and not tg.is_grad_enabled()
        with tg.enable_grad():
            assert (x * 2).requires_grad
    assert tg.is_grad_enabled()

    @tg.no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad and (x * 2).requires_grad


def test_retain_grad_on_intermediate():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = (x * 3).retain_grad()
    (h * h).sum().backward()
    assert h.grad.tolist() == [6.0, 12.0] and x.grad.tolist() == [18.0, 36.0]


def test_requires_grad_only_for_floats():
    with pytest.raises(TypeError, match="float32/float64"):
        tg.tensor([1, 2], requires_grad=True)


def test_graph_frees_saved_arrays_after_backward():
    import gc
    import weakref
    x = tg.randn(1000, requires_grad=True)
    y = x.exp()
    ref = weakref.ref(y._ctx)
    saved = y._ctx.out
    y.sum().backward()
    assert not hasattr(y._ctx, "out")
    del saved, y
    gc.collect()
    assert ref() is None


def test_manual_seed_reproducible_and_distribution():
    tg.manual_seed(123)
    a, b = tg.randn(1000), tg.rand(10)
    tg.manual_seed(123)
    assert np.array_equal(a.numpy(), tg.randn(1000).numpy()) and np.array_equal(b.numpy(), tg.rand(10).numpy())
    assert not np.array_equal(a.numpy()[:10], tg.randn(10).numpy())
    tg.manual_seed(7)
    u = tg.rand(200_000, dtype=tg.float64).numpy()
    n = tg.randn(200_000, dtype=tg.float64).numpy()
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.005
    assert abs(n.mean()) < 0.01 and abs(n.std() - 1) < 0.01
    assert tg.rand(100_000).numpy().max() < 1.0


def test_seeds_above_2_63_after_small_ones():
    tg.manual_seed(5)
    a = tg.randn(3)
    tg.nn.functional.dropout(tg.ones(4), 0.5, training=True)
    tg.manual_seed(-1)                      # 2^64 − 1
    b = tg.randn(3)
    y = tg.nn.functional.dropout(tg.ones(64), 0.5, training=True)
    assert a.tolist() != b.tolist() and set(y.tolist()) <= {0.0, 2.0}
    assert tg.initial_seed() == 2 ** 64 - 1


def test_cuda_device_without_a_gpu_is_a_clear_error():
    if tg.cuda.is_available():
        pytest.skip("a CUDA device is available here")
    with pytest.raises(RuntimeError, match="device 'cuda' is not available"):
        tg.ones(2, device="cuda")
    with pytest.raises(RuntimeError, match="device 'cuda' is not available"):
        tg.ones(2).cuda()


def test_import_is_light():
    code = "import sys, tinygradnb; print('numba' in sys.modules, 'numba.cuda' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_inplace_update_under_no_grad_keeps_identity():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    data = w.numpy()
    with pytest.raises(RuntimeError, match="no_grad"):
        w -= 0.1 * w.grad
    with tg.no_grad():
        w -= 0.5 * w.grad
    assert w.numpy() is data and w.requires_grad and w.tolist() == [0.0, 0.0]
    w.grad.zero_()
    assert w.grad.tolist() == [0.0, 0.0]
    x = tg.ones(2)
    x *= 3
    x /= 2
    assert x.tolist() == [1.5, 1.5]


class _TwoOutputs(tg.Function):
    """(2x, x²): an op with two outputs, for the engine's multi-output path."""

    def forward(self, x):
        self.x = x
        return x * 2.0, x * x

    def backward(self, g_double, g_square):
        self.calls = getattr(self, "calls", 0) + 1
        dx = 0.0 * self.x
        if g_double is not None:
            dx = dx + 2.0 * g_double
        if g_square is not None:
            dx = dx + 2.0 * self.x * g_square
        return dx


def test_function_with_several_outputs_runs_its_backward_once():
    x0 = np.array([1.0, -2.0, 3.0])
    for use, want in [("both", 2.0 + 2 * x0 * 3.0), ("double", np.full(3, 2.0)), ("square", 2 * x0 * 3.0)]:
        x = tg.tensor(x0, requires_grad=True)
        d, s = _TwoOutputs.apply(x)
        assert d.requires_grad and s.requires_grad and d.grad_fn is s.grad_fn
        ctx = d.grad_fn
        loss = {"both": d.sum() + (s * 3.0).sum(), "double": d.sum(), "square": (s * 3.0).sum()}[use]
        loss.backward(retain_graph=True)
        np.testing.assert_allclose(x.grad.numpy(), want)
        assert ctx.calls == 1
    x = tg.tensor(x0, requires_grad=True)
    d, s = _TwoOutputs.apply(x)
    s.retain_grad()
    (d * s).sum().backward()                     # both outputs feed one op, and s keeps its gradient
    np.testing.assert_allclose(x.grad.numpy(), 2 * x0 ** 2 + 2 * x0 * 2 * x0)
    np.testing.assert_allclose(s.grad.numpy(), 2 * x0)
    with pytest.raises(RuntimeError, match="second time"):
        d.sum().backward()
    with tg.no_grad():
        d, s = _TwoOutputs.apply(tg.tensor(x0, requires_grad=True))
    assert not d.requires_grad and s.tolist() == (x0 ** 2).tolist()


# ---------------------------------------------------------------------------------------------------- version counter
def test_inplace_change_of_a_saved_tensor_is_an_error_not_a_wrong_gradient():
    # torch 2.13: RuntimeError "one of the variables needed for gradient computation has been modified by an
    # inplace operation" (w.grad would silently be [0, 0, 0] without the check)
    w = tg.ones(3, requires_grad=True)
    y = (w * w).sum()
    with tg.no_grad():
        w -= 1.0
    assert w._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


@pytest.mark.parametrize("write", [
    lambda t: t.__setitem__(0, 10**9),                    # setitem
    lambda t: t.__iadd__(1),                              # in-place operator
    lambda t: t.zero_(),                                  # in-place method
    lambda t: t.data.__setitem__(0, 1),                   # through .data
    lambda t: t.detach().__iadd__(1),                     # through detach()
    lambda t: t.view(-1)[0:1].__setitem__(0, 1),          # through a view of a view
])
def test_every_kind_of_inplace_write_bumps_the_version(write):
    z = tg.zeros(4, 3, requires_grad=True)
    y = tg.tensor([0, 1, 2, 1])
    loss = tg.nn.functional.cross_entropy(z, y)
    write(y)
    assert y._version >= 1
    with pytest.raises(RuntimeError, match="input 1 of CrossEntropy is at version"):
        loss.backward()                                   # never reads an out-of-range label (the old SIGSEGV)


def test_embedding_index_changed_after_forward_is_an_error():
    emb = tg.nn.Embedding(5, 2)
    idx = tg.tensor([1, 2])
    out = emb(idx).sum()
    idx[0] = 100000
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


def test_inplace_change_of_an_unsaved_input_or_after_backward_is_fine():
    w = tg.ones(3, requires_grad=True)
    x = tg.ones(3)
    y = (w + x).sum()                 # add does not save its inputs: torch accepts the change
    x += 1
    y.backward()
    assert w.grad.tolist() == [1.0, 1.0, 1.0]
    opt = tg.optim.SGD([w], lr=0.5)
    (w * w).sum().backward()
    v = w._version
    opt.step()                        # an optimizer step is an in-place write
    assert w._version == v + 1


def test_optimizer_step_between_forward_and_backward_is_an_error():
    w = tg.ones(2, requires_grad=True)
    w.grad = tg.ones(2)
    loss = (w * w).sum()
    tg.optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


# ---------------------------------------------------------------------------------------------------- grad mode
def test_grad_mode_is_per_thread():
    import threading
    seen = {}
    inside, release = threading.Event(), threading.Event()

    def worker():
        with tg.no_grad():
            inside.set()
            release.wait(5)
        seen["after"] = tg.is_grad_enabled()

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(5)
    seen["main"] = tg.is_grad_enabled()      # the other thread's no_grad does not reach this one
    w = tg.ones(2, requires_grad=True)
    seen["records"] = (w * 2).requires_grad
    release.set()
    t.join()
    assert seen == {"main": True, "records": True, "after": True}

    def other():
        seen["fresh"] = tg.is_grad_enabled()
    with tg.no_grad():                       # a new thread starts with grad mode on, as in torch
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert seen["fresh"] is True and tg.is_grad_enabled()


def test_set_grad_enabled_and_inference_mode():
    w = tg.ones(2, requires_grad=True)
    with tg.set_grad_enabled(False):
        assert not (w * 2).requires_grad
    assert tg.is_grad_enabled()
    tg.set_grad_enabled(False)
    assert not tg.is_grad_enabled()
    tg.set_grad_enabled(True)
    with tg.inference_mode():
        assert not (w * 2).requires_grad
    with tg.inference_mode(False):
        assert (w * 2).requires_grad

    @tg.set_grad_enabled(False)
    def f():
        return (w * 2).requires_grad
    assert tg.is_grad_enabled() and f() is False and tg.is_grad_enabled()

    @tg.inference_mode()
    def g():
        return (w * 2).requires_grad
    assert g() is False and tg.is_grad_enabled()


# ---------------------------------------------------------------------------------------------------- .data and .grad
def test_data_is_a_detached_tensor_sharing_memory():
    w = tg.ones(3, requires_grad=True)
    d = w.data
    assert isinstance(d, tg.Tensor) and not d.requires_grad and d.is_leaf
    d[0] = 5.0
    assert w.tolist() == [5.0, 1.0, 1.0]
    w.data = tg.zeros(3)
    assert w.tolist() == [0.0, 0.0, 0.0] and w.requires_grad
    with pytest.raises(TypeError, match="data"):
        w.data = np.zeros(3)


def test_grad_assignment_is_checked():
    p = tg.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="grad"):
        p.grad = np.ones(2)                 # torch 2.13: TypeError "assigned grad expected to be a Tensor or None"
    with pytest.raises(RuntimeError, match="shape"):
        p.grad = tg.ones(3)
    with pytest.raises(RuntimeError, match="dtype"):
        p.grad = tg.ones(2, dtype=tg.float64)
    p.grad = tg.full((2,), 0.5)
    p.grad = None


def test_gradient_of_a_reduction_over_size_one_axes_is_writable():
    for shape, dims in (((1, 3), 0), ((3, 1), 1), ((1,), 0), ((1, 1), (0, 1))):
        x = tg.ones(*shape, requires_grad=True)
        x.sum(dim=dims).sum().backward()
        assert x.grad.numpy().flags.writeable
        x.grad += 1                          # in-place on the gradient
        with tg.no_grad():
            tg.utils.clip_grad_norm_([x], 0.1)
        tg.optim.SGD([x], lr=0.1, momentum=0.9).step()
        tg.optim.SGD([x], lr=0.1).zero_grad(set_to_none=False)
        assert x.grad.tolist() == np.zeros(shape).tolist()


def test_single_element_indexes_to_a_zero_d_view():
    t = tg.arange(4.0)
    t[1] += 1                                # torch 2.13: tensor([0., 2., 2., 3.])
    v = t[2]
    assert v.shape == () and isinstance(v, tg.Tensor)
    v += 10                                  # a view: writes reach t
    assert t.tolist() == [0.0, 2.0, 12.0, 3.0]
    m = tg.zeros(2, 3)
    m[1, 2] += 5
    assert m.tolist() == [[0, 0, 0], [0, 0, 5]]


def test_gradients_follow_the_edges_recorded_at_forward():
    # torch 2.13: x.grad stays None — x did not require grad when y was computed
    w = tg.ones(3, requires_grad=True)
    x = tg.ones(3)
    y = (w * x).sum()
    x.requires_grad_(True)
    y.backward()
    assert x.grad is None and w.grad.tolist() == [1.0, 1.0, 1.0]
    assert (w * 2).grad_fn.needs_input_grad == (True, False)


def test_numpy_scalars_keep_their_dtype_as_in_torch():
    # torch 2.13: a NumPy scalar is a 0-d array; in a list, each element has a dtype (Python float float32, int
    # int64, NumPy scalars their own) and the widest of the highest category wins
    cases = [(np.float64(1.5), tg.float64), (np.float32(1.5), tg.float32), (np.int32(3), tg.int32),
             (np.bool_(True), tg.bool), ([np.float64(1.5)], tg.float64), ([np.float64(1), 2.0], tg.float64),
             ([np.float32(1), 2], tg.float32), ([np.int32(1), 2], tg.int64), ([np.int32(1), np.int32(2)], tg.int32),
             ([[np.float64(1)], [2.0]], tg.float64), ([1, 2.5], tg.float32), ([True, 2], tg.int64), ([], tg.float32),
             ([tg.tensor(1.5, dtype=tg.float64)], tg.float64)]
    for data, dtype in cases:
        assert tg.tensor(data).dtype == dtype, (data, tg.tensor(data).dtype)
    assert tg.tensor(np.float64(0.1)).item() == 0.1


def test_bool_is_cuda_get_device_nelement_ndimension(device):
    x = tg.tensor([[0.0, 2.0]], device=device)
    assert x.bool().tolist() == [[False, True]] and x.bool().dtype == tg.bool
    assert x.is_cuda == (device == "cuda") and x.get_device() == (0 if device == "cuda" else -1)
    assert x.nelement() == 2 and x.ndimension() == 2
