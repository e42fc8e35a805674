"""The benchmark suite of issue #5 as pytest-benchmark tests; run it through ``python bench/run.py [--quick]``,
which also renders the report. Each case is timed by ``test_time``; ``test_agree`` checks that the
implementations of one case compute the same outputs (NumPy or PyTorch as the reference), so a kernel that is fast
because it is wrong fails the suite."""
import os

import numpy as np
import pytest

from cases import HAVE_TORCH, all_cases, to_numpy

QUICK = os.environ.get("TGNB_BENCH_QUICK", "1") == "1"
# Implementations to time (comma-separated; default all). bench/run.py times PyTorch in a process of its own:
# PyTorch's OpenMP runtime next to Numba's OpenMP threading layer in one process stalls Numba's parallel kernels
# (measured: LayerNorm 4096×1024 forward 8 ms instead of 0.35 ms).
IMPLS = os.environ.get("TGNB_BENCH_IMPLS")
ALL = all_cases(QUICK)
CASES = [c for c in ALL if IMPLS is None or c.impl in IMPLS.split(",")]
GROUPS = {}
for _c in ALL:
    GROUPS.setdefault((_c.family, _c.case), []).append(_c)


def _skip_torch(case):
    if case.impl == "torch" and not HAVE_TORCH:
        pytest.skip("PyTorch is not installed: the PyTorch baseline is skipped")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_time(benchmark, case):
    _skip_torch(case)
    fn = case.make()
    fn()  # warm-up: compiles (or loads from the cache) the kernels this case uses
    benchmark.group = f"{case.family}|{case.case}"
    benchmark.extra_info.update(family=case.family, case=case.case, impl=case.impl, flops=case.flops,
                                nbytes=case.nbytes, note=case.note)
    benchmark(fn)


@pytest.mark.parametrize("key", list(GROUPS), ids=["|".join(k) for k in GROUPS])
def test_agree(key):
    impls = {c.impl: c for c in GROUPS[key] if c.impl != "torch" or HAVE_TORCH}
    if len(impls) < 2:
        pytest.skip("one implementation only (PyTorch is not installed)")
    outs = {name: [to_numpy(v) for v in case.make()()] for name, case in impls.items()}
    # Every implementation against NumPy (or PyTorch where there is no NumPy baseline), and the op-level tg against
    # torch on all its outputs (the op-level impls return gradients the kernel-level reference may not have).
    pairs = [(name, "numpy" if "numpy" in impls else "torch") for name in impls]
    if "tg" in impls and "torch" in impls:
        pairs.append(("tg", "torch"))
    checked = 0
    for name, ref_name in pairs:
        if name == ref_name:
            continue
        ref, got, tol = outs[ref_name], outs[name], impls[name].tol
        assert len(got) >= 1 and len(ref) >= 1
        for i, (r, g) in enumerate(zip(ref, got)):
            assert r.shape == g.shape, f"{name}: output {i} shape {g.shape} != {ref_name} {r.shape}"
            scale = max(1.0, float(np.abs(r).max()) if r.size else 1.0)
            err = float(np.abs(r - g).max()) / scale if r.size else 0.0
            assert err <= tol, f"{key} {name}: output {i} differs from {ref_name} by {err:.3g} (tol {tol})"
            checked += 1
    assert checked >= 1
