"""tinygradnb.autograd (grad, backward, Variable, custom Functions) and the legacy PyTorch spellings (LongTensor,
Tensor(*sizes), Size, grad_fn names, type()); expected values are torch 2.13's."""
import numpy as np
import pytest

import tinygradnb as tg
from tinygradnb.autograd import Function


class ScaledExp(Function):
    @staticmethod
    def forward(ctx, x, scale):
        y = (x * scale).exp()
        ctx.save_for_backward(y)
        ctx.scale = scale
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * ctx.scale, None


def test_custom_function_forward_backward_and_gradcheck():
    x = tg.tensor([0.5, -1.0, 2.0], dtype=tg.float64, requires_grad=True)
    y = ScaledExp.apply(x, 2.0)
    assert y.grad_fn.name() == "ScaledExpBackward" and y.requires_grad   # torch 2.13: ScaledExpBackward
    (y * y).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), np.exp([1.0, -2.0, 4.0]))
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp(2 * np.array([1.0, -2.0, 4.0])))   # torch 2.13
    assert tg.gradcheck(lambda t: ScaledExp.apply(t, -0.5), [tg.tensor([0.3, 1.2], dtype=tg.float64,
                                                                       requires_grad=True)])
    with tg.no_grad():
        assert not ScaledExp.apply(x, 1.0).requires_grad


def test_custom_function_ctx_features():
    class Split(Function):
        @staticmethod
        def forward(ctx, a):
            idx = (a > 0).long()
            ctx.mark_non_differentiable(idx)
            assert ctx.needs_input_grad == (True,)
            return a * 2, idx

        @staticmethod
        def backward(ctx, g, gi):
            assert gi is not None                                   # materialized zeros, as torch
            return g * 2

    a = tg.tensor([1.0, -2.0], requires_grad=True)
    v, i = Split.apply(a)
    assert not i.requires_grad and v.requires_grad                # torch 2.13
    v.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]

    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    y = ScaledExp.apply(x, 1.0)
    with tg.no_grad():
        y += 1                                                    # the saved output changed in place
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_grad_of_leaves_and_intermediates_leaves_dot_grad_alone():
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = w * w
    z = (h * 3).sum()
    gw, gh = tg.autograd.grad(z, [w, h], retain_graph=True)
    assert gw.tolist() == [6.0, 12.0, 18.0] and gh.tolist() == [3.0, 3.0, 3.0] and w.grad is None   # torch 2.13
    u = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        tg.autograd.grad(z, [u], retain_graph=True)
    assert tg.autograd.grad(z, [u], allow_unused=True, retain_graph=True) == (None,)
    assert tg.autograd.grad(z, u, materialize_grads=True, retain_graph=True)[0].tolist() == [0.0]
    (g,) = tg.autograd.grad(z, w, grad_outputs=tg.tensor(2.0))
    assert g.tolist() == [12.0, 24.0, 36.0]
    with pytest.raises(RuntimeError, match="create_graph"):
        tg.autograd.grad((w * w).sum(), w, create_graph=True)
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.autograd.grad((w * w).sum(), tg.ones(3))


def test_backward_of_several_outputs_and_inputs_argument():
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    q = tg.tensor([3.0], requires_grad=True)
    shared = p * 2
    tg.autograd.backward([shared.sum(), (shared * q).sum()])     # one pass through the shared node
    assert p.grad.tolist() == [8.0, 8.0] and q.grad.tolist() == [6.0]                              # torch 2.13
    p2 = tg.tensor([1.0, 2.0], requires_grad=True)
    q2 = tg.tensor([3.0], requires_grad=True)
    (p2 * q2).sum().backward(inputs=[q2])
    assert p2.grad is None and q2.grad.tolist() == [3.0]
    v = tg.autograd.Variable(tg.tensor([1.0, 2.0]), requires_grad=True)
    assert v.requires_grad and isinstance(v, tg.Tensor)


def test_legacy_constructors_and_types():
    x = tg.LongTensor([1, 2])
    assert x.dtype == tg.int64 and isinstance(x, tg.LongTensor) and not isinstance(x, tg.FloatTensor)
    assert x.type() == "torch.LongTensor" and tg.ones(2).type() == "torch.FloatTensor"
    assert tg.FloatTensor(2, 3).shape == (2, 3) and tg.FloatTensor(2, 3).dtype == tg.float32
    assert tg.DoubleTensor([1, 2]).dtype == tg.float64 and tg.BoolTensor([1, 0]).tolist() == [True, False]
    assert tg.Tensor([1, 2]).dtype == tg.float32 and tg.Tensor([1, 2]).tolist() == [1.0, 2.0]   # torch 2.13
    assert tg.Tensor(np.zeros(2)).dtype == tg.float32 and tg.Tensor(2, 3).shape == (2, 3)
    assert tg.Tensor().shape == (0,)
    assert x.type(tg.FloatTensor).dtype == tg.float32 and x.type("torch.DoubleTensor").dtype == tg.float64
    assert x.type(tg.float64).dtype == tg.float64 and x.type_as(tg.ones(1)).dtype == tg.float32
    with pytest.raises(TypeError, match="sizes"):
        tg.Tensor(2, [3])


def test_size_grad_fn_names_and_new_tensors():
    y = tg.ones(2, 3, requires_grad=True) * 2
    s = y.size()
    assert isinstance(s, tg.Size) and s == (2, 3) and repr(s) == "tinygradnb.Size([2, 3])" and s.numel() == 6
    assert y.size(-1) == 3 and y.size(0) == 2
    with pytest.raises(IndexError, match="out of range"):
        y.size(2)
    assert y.grad_fn.name() == "MulBackward0" and "grad_fn=<MulBackward0>" in repr(y)
    assert repr((y + 1).grad_fn).startswith("<AddBackward0 object at")
    assert y.new_zeros(2, 3).dtype == tg.float32 and y.new_ones((1, 2)).tolist() == [[1.0, 1.0]]
    assert y.new_full((2,), 3.0).tolist() == [3.0, 3.0] and y.new_tensor([1, 2]).dtype == tg.float32
    assert tg.LongTensor([1]).new_zeros(2).dtype == tg.int64
