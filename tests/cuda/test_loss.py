"""The issue #12 losses on cuda against the CPU (values and gradients, float64) and gradcheck on the device:
nll_loss, weighted / label-smoothed / probability-target cross_entropy, binary_cross_entropy (+ its range check at
the next read), binary_cross_entropy_with_logits with weight and pos_weight, kl_div, l1, smooth_l1, huber."""
import numpy as np
import pytest

import tinygradnb as tg
import tinygradnb.nn.functional as F


def _t(a, device, grad=False):
    a = np.asarray(a)
    return tg.tensor(a, device=device, requires_grad=grad and a.dtype.kind == "f")


Y = np.array([0, 3, -100, 2, 3])
W = np.array([0.5, 1.0, 2.0, 1.5])

CASES = {
    "nll": (lambda d, x: F.nll_loss(x, _t(Y, d), _t(W, d), reduction="sum"), [(5, 4)]),
    "nll_3d_ignore": (lambda d, x: F.nll_loss(x, _t(Y[:4].reshape(2, 2) % 4, d), ignore_index=3), [(2, 4, 2)]),
    "ce_weight_smoothing": (lambda d, x: F.cross_entropy(x, _t(Y, d), _t(W, d), label_smoothing=0.2), [(5, 4)]),
    "ce_smoothing_none": (lambda d, x: F.cross_entropy(x, _t(Y, d), reduction="none", label_smoothing=0.1)
                          * _t(np.arange(1.0, 6.0), d), [(5, 4)]),
    "ce_probs": (lambda d, x, t: F.cross_entropy(x, t.exp(), _t(W, d), label_smoothing=0.1), [(5, 4), (5, 4)]),
    "bce": (lambda d, x, t: F.binary_cross_entropy(x.sigmoid(), t.sigmoid(), _t(W, d)), [(3, 4), (3, 4)]),
    "bce_logits_weights": (lambda d, x, t: F.binary_cross_entropy_with_logits(
        x * 3, t.sigmoid(), _t(W[:3, None], d), reduction="sum", pos_weight=_t(W, d)), [(3, 4), (3, 4)]),
    "kl": (lambda d, x, t: F.kl_div(x, t.exp(), reduction="batchmean"), [(3, 4), (3, 4)]),
    "kl_log_target": (lambda d, x, t: F.kl_div(x, t, reduction="sum", log_target=True), [(3, 4), (3, 4)]),
    "l1_weight": (lambda d, x, t: F.l1_loss(x, t, weight=_t(np.arange(1.0, 13.0).reshape(3, 4), d)),
                  [(3, 4), (3, 4)]),
    "smooth_l1": (lambda d, x, t: F.smooth_l1_loss(x * 2, t, beta=0.7), [(3, 4), (3, 4)]),
    "huber": (lambda d, x, t: F.huber_loss(x * 2, t, reduction="sum", delta=0.6), [(3, 4), (3, 4)]),
}


def _run(device, fn, arrays):
    ts = [_t(a, device, True) for a in arrays]
    out = fn(device, *ts)
    out.backward(tg.ones_like(out))
    return out.numpy(), [t.grad.numpy() for t in ts]


@pytest.mark.parametrize("name", sorted(CASES))
def test_losses_on_cuda_match_cpu_and_gradcheck(name):
    fn, shapes = CASES[name]
    arrays = [np.random.default_rng(i + 20).standard_normal(s) for i, s in enumerate(shapes)]
    v_cpu, g_cpu = _run("cpu", fn, arrays)
    v_gpu, g_gpu = _run("cuda", fn, arrays)
    np.testing.assert_allclose(v_gpu, v_cpu, rtol=1e-10, atol=1e-12)
    for a, b in zip(g_gpu, g_cpu):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert tg.gradcheck(lambda *ts: fn("cuda", *ts), [_t(a, "cuda", True) for a in arrays])


def test_bce_edge_values_on_cuda_match_torch():
    # torch 2.13 values (as in tests/test_losses.py): logs clamped at −100, gradients with float32(1e-12)
    x = _t([0., 1, 1e-50, 0.5, 1], "cuda", True)
    t = _t([1., 0, 1, 0.3, 1], "cuda")
    loss = F.binary_cross_entropy(x, t, reduction="none")
    loss.sum().backward()
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0, 100.0, 0.6931471805599453, 0.0], rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), [-1000000003995.8029, 1000000003995.8029, -1000000003995.8029, 0.8,
                                                0.0], rtol=1e-12)


def test_bce_range_and_label_checks_on_cuda_are_reported_at_the_next_read():
    loss = F.binary_cross_entropy(_t([0.5, 1.5], "cuda"), _t([0.0, 1.0], "cuda"))   # queued: no wait
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        loss.item()
    loss = F.nll_loss(_t(np.zeros((2, 3)), "cuda"), _t([0, 5], "cuda"))
    with pytest.raises(ValueError, match=r"class index 5, outside \[0, 3\)"):
        loss.item()
    assert F.nll_loss(_t(np.zeros((2, 3)), "cuda"), _t([0, 2], "cuda")).item() == 0.0
