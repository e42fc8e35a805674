"""The issue #12 shape/indexing ops and in-place methods on ``cuda``: forward against NumPy float64, gradients
by finite differences (small shapes), the same results as the CPU, and index checks reported at the next read."""
import numpy as np
import pytest

import tinygradnb as tg
import tinygradnb.nn.functional as F

from conftest import cuda  # noqa: F401  (skips the module without a CUDA device)

IDX = np.array([[0, 0, 2], [1, 0, 1]])
M = np.array([True, False, True])


def _c(a, **kw):
    return tg.tensor(np.asarray(a), device="cuda", **kw)


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


def _pad_np(a, pads, mode):
    width = [(0, 0)] * a.ndim
    for i in range(len(pads) // 2):
        width[a.ndim - 1 - i] = (pads[2 * i], pads[2 * i + 1])
    crop = tuple(slice(max(-lo, 0), a.shape[d] - max(-hi, 0)) for d, (lo, hi) in enumerate(width))
    mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    return np.pad(a[crop], [(max(lo, 0), max(hi, 0)) for lo, hi in width], mode=mode)


# (name, tinygradnb function of the tensors, NumPy reference, input shapes)
CASES = [
    ("split", lambda t: tg.split(t, [1, 2], 1)[1] * 2.0, lambda a: a[:, 1:] * 2, [(2, 3)]),
    ("chunk", lambda t: t.chunk(2, 0)[1] + t.unbind(1)[0].reshape(3, 1)[:1], lambda a: a[2:] + a[0, 0],
     [(3, 2)]),
    ("repeat", lambda t: t.repeat(2, 1, 2), lambda a: np.tile(a, (2, 1, 2)), [(2, 3)]),
    ("repeat_interleave", lambda t: tg.repeat_interleave(t, 2, dim=1), lambda a: np.repeat(a, 2, 1), [(2, 3)]),
    ("repeat_interleave_tensor", lambda t: t.repeat_interleave(_c([1, 0, 2]), dim=1),
     lambda a: np.repeat(a, [1, 0, 2], 1), [(2, 3)]),
    ("expand_as", lambda t: t.expand_as(tg.zeros(3, 2, device="cuda")) * 1.0,
     lambda a: np.broadcast_to(a, (3, 2)), [(2,)]),
    ("flip", lambda t: tg.flip(t, (0, 1)), lambda a: a[::-1, ::-1], [(2, 3)]),
    ("roll", lambda t: tg.roll(t, (1, -1), (0, 1)), lambda a: np.roll(a, (1, -1), (0, 1)), [(2, 3)]),
    ("roll_flat", lambda t: t.roll(2), lambda a: np.roll(a, 2), [(2, 3)]),
    ("triu", lambda t: tg.triu(t, 1), lambda a: np.triu(a, 1), [(2, 3, 3)]),
    ("tril", lambda t: t.tril(-1), lambda a: np.tril(a, -1), [(3, 4)]),
    ("gather", lambda t: tg.gather(t, 1, _c(IDX)), lambda a: np.take_along_axis(a, IDX, 1), [(2, 4)]),
    ("scatter", lambda t, s: tg.scatter(t, 1, _c(IDX[:, 1:]), s), lambda a, s: _scatter_np(a, 1, IDX[:, 1:], s),
     [(2, 4), (2, 2)]),
    ("scatter_value", lambda t: t.scatter(1, _c(IDX[:, :1]), 2.5),
     lambda a: _scatter_np(a, 1, IDX[:, :1], np.full((2, 1), 2.5)), [(2, 4)]),
    ("scatter_add", lambda t, s: tg.scatter_add(t, 1, _c(IDX), s), lambda a, s: _scatter_np(a, 1, IDX, s, True),
     [(2, 4), (2, 3)]),
    ("index_select", lambda t: tg.index_select(t, 1, _c([2, 0, 2])), lambda a: a[:, [2, 0, 2]], [(2, 3)]),
    ("masked_fill", lambda t: t.masked_fill(_c(M), 9.5), lambda a: np.where(M, 9.5, a), [(2, 3)]),
    ("masked_fill_tensor", lambda t, v: tg.masked_fill(t, _c(M), v.reshape(())), lambda a, v: np.where(M, v[0], a),
     [(2, 3), (1,)]),
    ("masked_select", lambda t: tg.masked_select(t, _c(M)), lambda a: a[:, M].reshape(-1), [(2, 3)]),
    ("pad_constant", lambda t: F.pad(t, (1, -1, 0, 2)), lambda a: _pad_np(a, (1, -1, 0, 2), "constant"), [(2, 3)]),
    ("pad_reflect", lambda t: F.pad(t, (2, 1), mode="reflect"), lambda a: _pad_np(a, (2, 1), "reflect"), [(2, 3)]),
    ("pad_replicate", lambda t: F.pad(t, (1, 2, 1, 0), mode="replicate"),
     lambda a: _pad_np(a, (1, 2, 1, 0), "replicate"), [(1, 2, 3)]),
    ("pad_circular", lambda t: F.pad(t, (1, 2), mode="circular"), lambda a: _pad_np(a, (1, 2), "circular"),
     [(2, 3)]),
]


@pytest.mark.parametrize("name,fn,ref,shapes", CASES, ids=[c[0] for c in CASES])
def test_forward_and_gradients_on_cuda(name, fn, ref, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(-2, 2, s) for s in shapes]
    out = fn(*[_c(a) for a in arrays])
    assert out.device == "cuda" and out.dtype == tg.float64
    np.testing.assert_allclose(out.numpy(), ref(*arrays), rtol=1e-12, atol=1e-12)
    out32 = fn(*[_c(a.astype(np.float32)) for a in arrays])
    assert out32.dtype == tg.float32
    np.testing.assert_allclose(out32.numpy(), ref(*arrays), rtol=1e-6, atol=1e-6)
    assert tg.gradcheck(fn, [_c(a, requires_grad=True) for a in arrays])


def test_same_gradients_as_the_cpu():
    def f(t, s):
        y = tg.gather(t, 1, tg.tensor(IDX, device=t.device)) * s
        y = y + tg.scatter_add(t, 1, tg.tensor(IDX, device=t.device), s)[:, :3]
        return (F.pad(y, (1, 1), mode="reflect").roll(1, 1).flip((0,)) ** 2).sum()
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 4)), rng.standard_normal((2, 3))
    grads = []
    for dev in ("cpu", "cuda"):
        t, s = (tg.tensor(v, device=dev, requires_grad=True) for v in (a, b))
        loss = f(t, s)
        loss.backward()
        grads.append((loss.item(), t.grad.numpy(), s.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-12)
    for g0, g1 in zip(grads[0][1:], grads[1][1:]):
        np.testing.assert_allclose(g0, g1, rtol=1e-12, atol=1e-12)


def test_integer_and_bool_results_on_cuda():
    x = tg.arange(6, device="cuda").reshape(2, 3)
    assert tg.eye(2, 3, device="cuda").tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert F.one_hot(tg.tensor([0, 2, 1], device="cuda")).tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert F.one_hot(tg.tensor([0, 2], device="cuda"), 4).device == "cuda"
    assert x.masked_fill(_c(M), 9.5).tolist() == [[9, 1, 9], [9, 4, 9]]
    assert x.scatter_add(1, _c([[0, 0]]), _c([[10, 20]])).tolist() == [[30, 1, 2], [3, 4, 5]]
    assert tg.triu(tg.ones(2, 2, dtype=tg.bool, device="cuda")).tolist() == [[True, True], [False, True]]
    assert [p.tolist() for p in tg.split(tg.arange(5, device="cuda"), 2)] == [[0, 1], [2, 3], [4]]
    assert tg.index_select(x, 0, tg.tensor([], dtype=tg.int64, device="cuda")).shape == (0, 3)


def test_index_checks_are_reported_at_the_next_read():
    x = tg.arange(6.0, device="cuda").reshape(2, 3)
    out = tg.gather(x, 1, _c([[3]]))                 # no wait for the GPU: the check runs at the next read
    with pytest.raises(RuntimeError, match="index 3 is out of bounds for dimension 1 with size 3"):
        out.numpy()
    with pytest.raises(RuntimeError, match="out of bounds"):
        tg.index_select(x, 1, _c([-1])).numpy()
    with pytest.raises(RuntimeError, match="out of bounds"):
        x.scatter(1, _c([[5]]), 1.0).numpy()
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(_c([0, 3]), 3).numpy()
    assert tg.gather(x, 1, _c([[2]])).tolist() == [[2.0]]          # later calls are unaffected


def test_inplace_methods_on_cuda():
    y = tg.arange(6.0, device="cuda").reshape(2, 3)
    y.add_(1, alpha=2).mul_(_c([1.0, 2.0, 3.0]))
    assert y.tolist() == [[2.0, 6.0, 12.0], [5.0, 12.0, 21.0]]
    y.sub_(_c([1.0, 1.0, 1.0]), alpha=2).div_(2).clamp_(0, 4)
    assert y.tolist() == [[0.0, 2.0, 4.0], [1.5, 4.0, 4.0]]
    y[1].fill_(-1.0)                                   # through a basic slice: reaches the base on cuda too
    assert y.tolist() == [[0.0, 2.0, 4.0], [-1.0, -1.0, -1.0]]
    y.masked_fill_(_c(M), 7.0)
    assert y.tolist() == [[7.0, 2.0, 7.0], [7.0, -1.0, 7.0]]
    y.copy_(tg.tensor([1.0, 2.0, 3.0]))                # from the CPU, as torch's copy_
    assert y.tolist() == [[1.0, 2.0, 3.0]] * 2
    tg.manual_seed(4)
    u = tg.zeros(50, device="cuda").uniform_(2, 3)
    tg.manual_seed(4)
    np.testing.assert_allclose(u.numpy(), tg.zeros(50).uniform_(2, 3).numpy(), rtol=1e-6)
    tg.manual_seed(4)
    n = tg.zeros(50, device="cuda", dtype=tg.float64).normal_(1.0, 2.0)
    tg.manual_seed(4)
    np.testing.assert_allclose(n.numpy(), tg.zeros(50, dtype=tg.float64).normal_(1.0, 2.0).numpy(), rtol=1e-12)


def test_inplace_methods_gradcheck_on_cuda():
    def f(a, v):
        y = a * 1
        y.add_(v[:3], alpha=2)
        y.mul_(v[1])
        y.clamp_(-1.0, 1.5)
        z = tg.zeros(2, 3, dtype=tg.float64, device="cuda")
        z.copy_(y)
        z[0].fill_(v[2])
        z.masked_fill_(_c(M), v[0])
        return z
    a = _c([0.3, -0.7, 1.1], requires_grad=True)
    v = _c([0.4, 1.3, -0.2, 0.9], requires_grad=True)
    assert tg.gradcheck(f, [a, v])
