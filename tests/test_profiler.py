"""tinygradnb.profiler on every device: kernel calls through the seam counted and timed, and on cuda the kernel
launches, device allocations and host transfers; the table; the seam restored after the block."""
import numpy as np
import pytest

import tinygradnb as tg
import tinygradnb.nn.functional as F
from tinygradnb import device as _device


def _rows(prof, kind="kernel"):
    return {r.key: r for r in prof.key_averages() if r.kind == kind}


def test_profile_counts_the_kernel_calls_of_a_training_step(device):
    w = tg.tensor(np.ones((3, 4), np.float32), device=device, requires_grad=True)
    x = tg.tensor(np.arange(8, dtype=np.float32).reshape(2, 4), device=device)
    y = tg.tensor([0, 2], device=device)
    with tg.profiler.profile() as prof:
        loss = F.cross_entropy(F.linear(x, w), y)
        loss.backward()
        value = loss.item()
    rows = _rows(prof)
    assert rows["linear"].count == 1 and rows["linear_backward"].count == 1
    assert rows["cross_entropy_forward"].count == 1 and rows["cross_entropy_backward"].count == 1
    assert all(r.device == device and r.cpu_time_total > 0 and r.cpu_time == r.cpu_time_total / r.count
               for r in rows.values())
    t = prof.totals(device)
    assert t["calls"] == sum(r.count for r in rows.values())
    assert t["cpu_time_total"] == pytest.approx(sum(r.cpu_time_total for r in rows.values()))
    assert value == pytest.approx(np.log(3))           # equal logits: the loss of a uniform guess
    if device == "cpu":
        assert t["launches"] == t["allocations"] == t["h2d"] == t["d2h"] == 0
        assert not _rows(prof, "launch")
    else:
        launches = _rows(prof, "launch")
        assert t["launches"] == sum(r.count for r in launches.values()) > 0
        assert all("." in k and r.cpu_time_total == 0 for k, r in launches.items())   # family.kernel
        assert t["allocations"] + t["reuses"] > 0       # new blocks, or freed ones from the caching allocator
        assert t["h2d"] == 0                              # the inputs were copied before the block
        assert t["d2h"] >= 1 and t["d2h_bytes"] >= 4      # .item() (and the label-range check it runs first)
    # after the block the seam hands out the modules themselves again and nothing more is recorded
    assert not hasattr(_device.backend(device), "_mod")
    F.linear(x, w)
    assert prof.totals(device)["calls"] == t["calls"]


def test_profile_counts_host_transfers_on_a_gpu(device):
    with tg.profiler.profile() as prof:
        a = tg.tensor(np.arange(6, dtype=np.float64), device=device)
        b = (a * 2).numpy()
    np.testing.assert_array_equal(b, np.arange(6) * 2.0)
    t = prof.totals(device)
    if device == "cpu":
        assert t["h2d"] == t["d2h"] == 0
    else:
        assert (t["h2d"], t["h2d_bytes"], t["d2h"], t["d2h_bytes"]) == (1, 48, 1, 48)
        assert t["allocations"] + t["reuses"] >= 2     # the copy and the product


def test_table_sorts_limits_and_names_its_totals(device):
    x = tg.ones(4, 5, device=device)
    with tg.profiler.profile() as prof:
        for _ in range(3):
            x = x + 1
        x.sum()
    table = prof.key_averages().table(sort_by="count", row_limit=1)
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["Name", "Device", "Kind"]
    assert lines[2].split()[0] == "add" and lines[2].split()[3] == "3"   # the most called first, one row
    assert f"{device}: " in table and "kernel calls" in table
    assert prof.table(row_limit=-1).count("\n") > table.count("\n")
    with pytest.raises(ValueError, match="sort_by must be one of"):
        prof.key_averages().table(sort_by="cuda_time_total")


def test_profiles_do_not_nest_and_an_error_restores_the_seam():
    with tg.profiler.profile():
        with pytest.raises(RuntimeError, match="another profile is already recording"):
            with tg.profiler.profile():
                pass
    with pytest.raises(ZeroDivisionError):
        with tg.profiler.profile():
            1 / 0
    assert not hasattr(_device.backend("cpu"), "_mod")
    with tg.profiler.profile() as prof:                 # a new profile records again
        tg.ones(2) + 1
    assert prof.totals("cpu")["calls"] > 0
