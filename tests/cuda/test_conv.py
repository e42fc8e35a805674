"""Conv1d, pooling and EmbeddingBag on cuda: values and gradients equal the CPU's."""
import numpy as np

import tinygradnb as tg
import tinygradnb.nn.functional as F


def _run(device, fn, arrays):
    ts = [tg.tensor(a, device=device, requires_grad=a.dtype.kind == "f") for a in arrays]
    out = fn(*ts)
    (out * out).sum().backward()
    return [out.numpy()] + [t.grad.numpy() for t in ts if t.requires_grad]


def test_conv_pool_and_bags_match_the_cpu():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 4, 7)), rng.standard_normal((6, 2, 3)), rng.standard_normal(6)
    table = rng.standard_normal((5, 3))
    cases = [
        (lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, groups=2), [x, w, b]),
        (lambda x: F.max_pool1d(x, 3, 2, padding=1, ceil_mode=True) + F.avg_pool1d(x, 2, count_include_pad=False,
                                                                                 ceil_mode=True), [x]),
        (lambda x: F.adaptive_max_pool1d(x, 3) * F.adaptive_avg_pool1d(x, 3), [x]),
        (lambda t, i: F.embedding_bag(i, t, tg.tensor([0, 2, 2], device=t.device), mode="max"),
         [table, np.array([1, 4, 0, 3, 3])]),
    ]
    for fn, arrays in cases:
        for got, want in zip(_run("cuda", fn, arrays), _run("cpu", fn, arrays)):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
