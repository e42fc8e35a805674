"""The ``cuda`` device end to end: placement, interop, errors, autograd through every op family, and models that
train on ``cuda`` with the same losses as on the CPU (float32 tolerance)."""
import numpy as np
import pytest

import tinygradnb as tg
import tinygradnb.nn.functional as F
from tinygradnb import nn, optim

from numba import cuda


def test_is_available_and_placement():
    assert tg.cuda.is_available() and tg.cuda.device_count() >= 1
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], device="cuda")
    assert x.device == "cuda" and x.dtype == tg.float32 and x.shape == (2, 2)
    assert x.cpu().device == "cpu" and x.cpu().tolist() == [[1.0, 2.0], [3.0, 4.0]]
    y = tg.tensor(np.arange(3.0)).cuda()
    assert y.device == "cuda" and y.to("cuda") is y and y.numpy().tolist() == [0.0, 1.0, 2.0]
    for t in (tg.zeros(2, 3, device="cuda"), tg.ones(4, device="cuda"), tg.full((2,), 7, device="cuda"),
              tg.arange(5, device="cuda"), tg.rand(3, device="cuda"), tg.randn(2, 2, device="cuda"),
              tg.empty(3, device="cuda"), tg.zeros_like(x)):
        assert t.device == "cuda"
    assert tg.full((2,), 7, device="cuda").tolist() == [7, 7]
    assert tg.arange(5, device="cuda").tolist() == [0, 1, 2, 3, 4]
    assert x.sum().item() == 10.0 and "device='cuda'" in repr(x)


def test_random_numbers_match_the_cpu_stream():
    tg.manual_seed(3)
    a = tg.randn(4, 5).numpy()
    tg.manual_seed(3)
    b = tg.randn(4, 5, device="cuda").numpy()
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_mixing_devices_names_both():
    a = tg.ones(3)
    b = tg.ones(3, device="cuda")
    with pytest.raises(ValueError, match=r"one device, got 'cpu' and 'cuda'"):
        a + b
    with pytest.raises(ValueError, match=r"one device"):
        tg.matmul(b.reshape(1, 3), a.reshape(3, 1))


def test_numba_device_arrays_are_used_without_a_copy():
    d = cuda.to_device(np.arange(6, dtype=np.float32).reshape(2, 3))
    t = tg.as_tensor(d)
    assert t.device == "cuda" and t._data is d
    c = tg.tensor(d)                      # tensor() copies, as torch.tensor
    assert c._data is not d and c.tolist() == t.tolist()
    assert tg.as_tensor(d, dtype=tg.float64).dtype == tg.float64
    assert tg.tensor(d, device="cpu").tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    with pytest.raises(AttributeError, match="only CUDA tensors"):
        tg.ones(2).__cuda_array_interface__
    if hasattr(d, "__cuda_array_interface__"):  # a real GPU (the simulator's arrays lack the interface)
        assert t.__cuda_array_interface__["data"][0] == d.__cuda_array_interface__["data"][0]


def _grads(device, fn, *arrays):
    ts = [tg.tensor(a, device=device, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward()
    return out.item(), [t.grad.numpy() for t in ts]


OPS = {
    "elementwise": (lambda a, b: ((a * b + a / (b * b + 1)) ** 2).exp().mean(), [(3, 4), (4,)]),
    "reduce_shape": (lambda a, b: (a.max(dim=1).values.sum() + a.amax(dim=0).sum() + a.transpose(0, 1)[1:].var()
                                   + b.reshape(2, 2).min()),
                     [(3, 4), (4,)]),
    "index": (lambda a, b: a[[0, 2, 2]].sum() + a[:, 1:3].mean() + tg.concat([a, b.reshape(1, 4)], 0).sum(),
              [(3, 4), (4,)]),
    "matmul_linear": (lambda a, b: (a @ a.transpose(0, 1)).sum() + F.linear(a, b.reshape(1, 4)).sum(),
                      [(3, 4), (4,)]),
    "activations": (lambda a, b: (F.relu(a) + a.sigmoid() + a.tanh() + F.gelu(a) + F.softplus(a) * b).sum(),
                    [(3, 4), (4,)]),
    "softmax_ce": (lambda a, b: F.cross_entropy(a, tg.tensor([1, 0, 3], device=a.device)) + F.log_softmax(a, 1).mean()
                   + F.mse_loss(b, b.detach() * 0.5), [(3, 4), (4,)]),
    "norms": (lambda a, b: (F.layer_norm(a, (4,), b, b) ** 2).sum() + (F.rms_norm(a, (4,), b) ** 3).sum(),
              [(3, 4), (4,)]),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_families_forward_and_backward_match_cpu(name):
    fn, shapes = OPS[name]
    arrays = [np.random.default_rng(i).standard_normal(s) for i, s in enumerate(shapes)]
    v_cpu, g_cpu = _grads("cpu", fn, *arrays)
    v_gpu, g_gpu = _grads("cuda", fn, *arrays)
    np.testing.assert_allclose(v_gpu, v_cpu, rtol=1e-10)
    for a, b in zip(g_gpu, g_cpu):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def _xor_losses(device, steps, opt_name):
    tg.manual_seed(0)
    x = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], device=device)
    t = tg.tensor([0, 1, 1, 0], device=device)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2)).to(device)
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9) if opt_name == "sgd" else \
        optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(p.device == device for p in model.parameters())
    assert all(s.device == device for st in opt.state.values() for s in st.values() if isinstance(s, tg.Tensor))
    return losses, model(x).argmax(1).tolist()


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_xor_mlp_trains_on_cuda_like_on_cpu(opt_name):
    cpu, _ = _xor_losses("cpu", 12, opt_name)
    gpu, pred = _xor_losses("cuda", 12, opt_name)
    np.testing.assert_allclose(gpu, cpu, rtol=2e-4, atol=1e-5)
    assert gpu[-1] < gpu[0]


class Tagger(nn.Module):
    """The BiLSTM tagger of examples/pos_tagger.py in miniature: Embedding → bidirectional LSTM → dropout →
    Linear per token."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(20, 6, padding_idx=0)
        self.lstm = nn.LSTM(6, 5, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(0.2)
        self.out = nn.Linear(10, 4)

    def forward(self, x):
        return self.out(self.drop(self.lstm(self.embedding(x))[0]))


def _tagger_losses(device, steps):
    tg.manual_seed(1)
    model = Tagger().to(device)
    opt = optim.AdamW(model.parameters(), lr=0.02)
    r = np.random.default_rng(0)
    x = tg.tensor(r.integers(1, 20, (3, 4)), device=device)
    y = tg.tensor(r.integers(0, 4, 12), device=device)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x).reshape(12, 4), y)
        loss.backward()
        tg.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    return losses


def test_bilstm_tagger_trains_on_cuda_like_on_cpu():
    cpu = _tagger_losses("cpu", 3)
    gpu = _tagger_losses("cuda", 3)
    np.testing.assert_allclose(gpu, cpu, rtol=2e-4, atol=1e-5)
    assert gpu[-1] < gpu[0]


# ---------------------------------------------------------------------------------- checks without host reads
@pytest.fixture
def host_copies(monkeypatch):
    """Counts the device-to-host copies (every one waits for the GPU's queue)."""
    from numba import config
    if config.ENABLE_CUDASIM:
        from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray as cls
    else:
        from numba.cuda.cudadrv.devicearray import DeviceNDArray as cls
    calls = []
    original = cls.copy_to_host

    def counting(self, *args, **kwargs):
        calls.append(self.shape)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, "copy_to_host", counting)
    return calls


def test_bad_labels_raise_at_the_next_read_not_at_the_call(host_copies):
    z = tg.randn(4, 3, device="cuda", requires_grad=True)
    loss = F.cross_entropy(z, tg.tensor([0, 2, 7, 1], device="cuda"))   # queued: no wait for the GPU
    assert host_copies == []
    with pytest.raises(ValueError, match=r"target holds class index 7, outside \[0, 3\)") as err:
        loss.item()
    assert any("next copy to the host" in n for n in getattr(err.value, "__notes__", []))
    loss = F.cross_entropy(z, tg.tensor([0, 2, -1, 1], device="cuda"))
    with pytest.raises(ValueError, match="class index -1"):
        tg.cuda.synchronize()
    assert F.cross_entropy(z, tg.tensor([0, 2, 2, 1], device="cuda")).item() > 0   # the failed checks are gone


def test_bad_indices_and_lengths_raise_at_the_next_read():
    emb = nn.Embedding(5, 2).to("cuda")
    out = emb(tg.tensor([[1, 5]], device="cuda"))
    out.sum().backward()                                  # the kernels stay inside the table meanwhile
    with pytest.raises(IndexError, match="index 5 is out of range for an embedding table of 5 rows"):
        out.numpy()
    rnn = nn.GRU(2, 3).to("cuda")
    x = tg.randn(4, 2, 2, device="cuda")
    y, _ = rnn(x, lengths=tg.tensor([4, 3], device="cuda"))
    np.testing.assert_allclose(y.numpy(), rnn.cpu()(x.cpu(), lengths=[4, 3])[0].numpy(), rtol=1e-5, atol=1e-6)
    rnn.to("cuda")
    rnn(x, lengths=tg.tensor([4, 5], device="cuda"))
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 4\] \(the sequence length T\), got 5"):
        tg.cuda.synchronize()


def test_cross_entropy_mean_over_no_targets_is_nan_on_cuda():
    z = tg.randn(3, 4, device="cuda", requires_grad=True)
    loss = F.cross_entropy(z, tg.tensor([-100, -100, -100], device="cuda"))
    loss.backward()
    assert np.isnan(loss.item()) and (z.grad.numpy() == 0).all()


def test_a_training_step_waits_for_the_gpu_once(host_copies):
    # Embedding -> BiLSTM -> Linear, cross-entropy with ignored targets, clip_grad_norm_, AdamW: the step reads
    # only the loss; the argument checks of the step (labels, indices) come back in the same copy as the loss.
    tg.manual_seed(1)
    model = Tagger().to("cuda")
    opt = optim.AdamW(model.parameters(), lr=0.02)
    r = np.random.default_rng(0)
    x = tg.tensor(r.integers(1, 20, (3, 4)), device="cuda")
    y = tg.tensor(np.where(r.random(12) < 0.2, -100, r.integers(0, 4, 12)), device="cuda")
    for step in range(2):
        del host_copies[:]
        opt.zero_grad()
        loss = F.cross_entropy(model(x).reshape(12, 4), y)
        loss.backward()
        tg.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        assert host_copies == []
        loss.item()
        assert host_copies == [(2 * 3 * 8 + 4,)]   # one copy of bytes: two checks (3 int64 each), the float32 loss


def test_integer_indexing_stays_on_the_device(host_copies):
    a = tg.randn(5, 4, dtype=tg.float64, device="cuda", requires_grad=True)
    rows, cols = tg.tensor([4, 0, -1], device="cuda"), tg.tensor([1, 3, 0], device="cuda")
    picked = a[rows, cols] + a[rows][:, 1:3].sum(1)
    picked.sum().backward()
    assert host_copies == []
    ac = a.detach().cpu().requires_grad_()
    want = ac[tg.tensor([4, 0, -1]), tg.tensor([1, 3, 0])] + ac[tg.tensor([4, 0, -1])][:, 1:3].sum(1)
    want.sum().backward()
    np.testing.assert_allclose(picked.numpy(), want.numpy(), rtol=1e-12)
    np.testing.assert_allclose(a.grad.numpy(), ac.grad.numpy(), rtol=1e-12)
    assert a[tg.tensor([1, 2])].tolist() == a.cpu()[[1, 2]].tolist()     # a CPU index is copied over


def test_out_of_bounds_index_tensor_raises_at_the_next_read():
    a = tg.zeros(3, 4, device="cuda")
    out = a[:, tg.tensor([0, 4], device="cuda")]
    with pytest.raises(IndexError, match=r"index 4 is out of bounds for axis 1 with size 4 \(tensor of shape "
                                         r"\(3, 4\)\)"):
        out.numpy()
    a[tg.tensor([-4], device="cuda")] = 1.0
    with pytest.raises(IndexError, match="index -4 is out of bounds for axis 0 with size 3"):
        tg.cuda.synchronize()
    with pytest.raises(ValueError, match="indices must be on the CPU or on the indexed tensor's device"):
        tg.zeros(3)[tg.tensor([0], device="cuda")]


def test_zero_dimensional_tensors_keep_their_shape_on_cuda():
    for t in (tg.tensor(3.0, device="cuda"), tg.tensor(3.0).cuda(), tg.tensor(np.array(2), device="cuda")):
        assert t.shape == () and t.cpu().shape == ()
    a = tg.arange(6, device="cuda").reshape(2, 3)
    assert a[tg.tensor(1, device="cuda")].tolist() == [3, 4, 5]


# ---------------------------------------------------------------------------------------------------- PyTorch semantics
def test_version_counter_guards_saved_tensors_on_cuda():
    z = tg.zeros(4, 3, device="cuda", requires_grad=True)
    y = tg.tensor([0, 1, 2, 1], device="cuda")
    loss = F.cross_entropy(z, y)
    y[0] = 10**9                                         # never reaches the kernel: backward refuses
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    w = tg.ones(3, device="cuda", requires_grad=True)
    out = (w * w).sum()
    with tg.no_grad():
        w -= 1.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


def test_indexing_placement_and_promotion_on_cuda():
    a = np.arange(120.0).reshape(2, 3, 4, 5)
    x = tg.tensor(a, device="cuda")
    assert x[0, :, [1, 2]].shape == (3, 2, 5)            # torch 2.13
    np.testing.assert_array_equal(x[0, :, [1, 2]].numpy(), a[0][:, [1, 2]])
    z = tg.zeros(2, 3, 4, device="cuda")
    z[0, :, [1, 2]] = tg.ones(3, 2, device="cuda")
    assert z.sum().item() == 6.0 and z[0, :, 1].tolist() == [1.0, 1.0, 1.0]
    t = tg.arange(4.0, device="cuda")
    t[1] += 10
    assert t.tolist() == [0.0, 11.0, 2.0, 3.0] and t[2].shape == ()
    assert (tg.ones(2, device="cuda") + tg.tensor(2.0, dtype=tg.float64, device="cuda")).dtype == tg.float32
    assert (tg.ones(2, dtype=tg.int64, device="cuda") * 2.5).dtype == tg.float32
    assert tg.where(tg.tensor([True, False], device="cuda"), 4, 2).tolist() == [4, 2]


# ---------------------------------------------------------------------------------- the caching allocator
def test_a_steady_training_step_allocates_no_device_memory():
    tg.manual_seed(1)
    model = Tagger().to("cuda")
    opt = optim.Adam(model.parameters(), lr=0.02)
    r = np.random.default_rng(0)
    x = tg.tensor(r.integers(1, 20, (3, 4)), device="cuda")
    y = tg.tensor(r.integers(0, 4, 12), device="cuda")
    counts = []
    tg.cuda.empty_cache()                    # no free blocks left by earlier tests
    for _ in range(3):
        with tg.profiler.profile() as prof:
            opt.zero_grad()
            loss = F.cross_entropy(model(x).reshape(12, 4), y)
            loss.backward()
            opt.step()
            loss.item()
        t = prof.totals("cuda")
        counts.append((t["allocations"], t["reuses"]))
    assert counts[0][0] > 0                  # the first step creates Adam's state and the blocks
    assert counts[2][0] == 0 and counts[2][1] > 0, counts   # then every array reuses a freed block


def test_a_block_is_reused_only_after_its_last_view_is_gone():
    import gc
    from tinygradnb.kernels.cuda import _launch
    a = _launch.alloc((4, 8), np.float32)
    a.copy_to_device(np.arange(32, dtype=np.float32).reshape(4, 8))
    view = a.reshape(32)[8:16]               # a slice of a reshape: shares a's block
    del a
    gc.collect()
    others = [_launch.alloc((4, 8), np.float32) for _ in range(3)]   # same size class: may not take a's block
    for o in others:
        o.copy_to_device(np.full((4, 8), -1, np.float32))
    np.testing.assert_array_equal(view.copy_to_host(), np.arange(8, 16, dtype=np.float32))
    before = _launch.memory_stats()["allocated"]
    del view
    gc.collect()
    assert _launch.memory_stats()["allocated"] == before - _launch.size_class(128)
    assert _launch.alloc(32, np.float32).size == 32          # served from the freed block


def test_memory_stats_and_empty_cache_follow_torch_names():
    import gc
    base = tg.cuda.memory_allocated()
    x = tg.zeros(1000, device="cuda")
    assert tg.cuda.memory_allocated() >= base + 4000 and tg.cuda.memory_reserved() >= tg.cuda.memory_allocated()
    del x
    gc.collect()
    assert tg.cuda.memory_allocated() == base
    reserved = tg.cuda.memory_reserved()
    tg.cuda.empty_cache()
    assert tg.cuda.memory_reserved() < reserved and tg.cuda.memory_allocated() == base


def test_size_classes_waste_at_most_an_eighth():
    from tinygradnb.kernels.cuda._launch import size_class
    assert [size_class(n) for n in (1, 512, 513, 1024, 1025, 4096, 4097, 10**6)] == [512, 512, 640, 1024, 1152,
                                                                                      4096, 4608, 1048576]
    for n in range(1, 3_000_000, 9973):
        assert n <= size_class(n) <= max(512, n + n / 8 + 128) and size_class(n) % 128 == 0


def test_zeros_are_a_driver_memset_not_a_kernel():
    with tg.profiler.profile() as prof:
        z = tg.zeros(5, 3, device="cuda")
        i = tg.zeros(4, dtype=tg.int64, device="cuda")
        m = tg.full((4,), -0.0, device="cuda")          # not all-zero bytes: a fill kernel keeps its sign
    t = prof.totals("cuda")
    assert (t["memsets"], t["launches"]) == (2, 1)
    assert not z.numpy().any() and z.dtype == tg.float32 and not i.numpy().any() and i.dtype == tg.int64
    assert (m.numpy() == 0).all() and np.signbit(m.numpy()).all()
