"""GPU benchmarks of the CUDA backend: matmul against cuBLAS, softmax-CE and LayerNorm against the card's copy
bandwidth, and a training step (issue #6's targets: matmul ≥ 0.5× cuBLAS at n = 4096; softmax-CE and LayerNorm
≥ 60 % of the measured copy bandwidth).

    python bench/gpu.py [--quick] [--out bench/results/gpu.md]

Needs an NVIDIA GPU and the ``cuda`` extra; cuBLAS is reached through CuPy or PyTorch, whichever is installed
(the row is skipped with a note when neither is). Every number is the median of several timed repetitions after
a warm-up call that compiles the kernels, timed between two ``cuda.synchronize()`` calls. ``--quick`` uses tiny
sizes and one repetition: it checks that the script and the kernels run (tests/cuda runs it under the simulator),
and its times mean nothing.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _time(fn, reps):
    from numba import cuda
    fn()
    cuda.synchronize()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        cuda.synchronize()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def _cublas():
    """(library name, make(a, b) → a timed callable computing a @ b with cuBLAS), or None when neither CuPy nor a
    CUDA build of PyTorch is installed."""
    try:
        import cupy as cp

        def make_cupy(a, b):
            x, y = cp.asarray(a), cp.asarray(b)
            return lambda: cp.matmul(x, y)
        return "CuPy", make_cupy
    except Exception:  # CuPy missing or without a usable GPU
        pass
    try:
        import torch
        if torch.cuda.is_available():
            def make_torch(a, b):
                x, y = torch.as_tensor(a, device="cuda"), torch.as_tensor(b, device="cuda")
                return lambda: torch.matmul(x, y)
            return "PyTorch", make_torch
    except Exception:
        pass
    return None


def run(quick=False):
    """The benchmark rows: a list of dicts (name, size, time, rate, baseline, ratio, target, met)."""
    from numba import cuda

    import tinygradnb as tg
    import tinygradnb.nn.functional as F
    from tinygradnb.kernels import cuda as K

    reps = 1 if quick else 20
    rng = np.random.default_rng(0)
    rows = []

    # Copy bandwidth: a device-to-device copy of a large float32 array (read + write bytes).
    m = 64 if quick else 64 * 2 ** 20
    src = cuda.to_device(np.ones(m, np.float32))
    dst = cuda.device_array_like(src)
    t_copy = _time(lambda: dst.copy_to_device(src), reps)
    bw = 2 * 4 * m / t_copy / 1e9
    rows.append(dict(name="copy bandwidth", size=f"{m} float32", time=t_copy, rate=f"{bw:.0f} GB/s"))

    # Matmul against cuBLAS.
    n = 32 if quick else 4096
    a = rng.standard_normal((1, n, n)).astype(np.float32)
    b = rng.standard_normal((1, n, n)).astype(np.float32)
    da, db = cuda.to_device(a), cuda.to_device(b)
    got = K.matmul(da, db).copy_to_host()
    np.testing.assert_allclose(got, a @ b, rtol=1e-3, atol=1e-3 * n ** 0.5)
    t_mm = _time(lambda: K.matmul(da, db), reps)
    row = dict(name="matmul", size=f"n={n}", time=t_mm, rate=f"{2 * n ** 3 / t_mm / 1e12:.2f} TFLOP/s",
               target="≥ 0.5× cuBLAS")
    blas = _cublas()
    if blas is not None and not quick:
        t_ref = _time(blas[1](a[0], b[0]), reps)
        row.update(baseline=f"{blas[0]} {t_ref * 1e3:.2f} ms", ratio=t_ref / t_mm, met=t_ref / t_mm >= 0.5)
    else:
        row.update(baseline="no cuBLAS (CuPy/PyTorch with CUDA not installed)" if blas is None else "-")
    rows.append(row)

    # Softmax-CE and LayerNorm forward + backward, against the copy bandwidth.
    n_rows, c = (8, 37) if quick else (16384, 1000)
    z = tg.tensor(rng.standard_normal((n_rows, c)).astype(np.float32), device="cuda", requires_grad=True)
    y = tg.tensor(rng.integers(0, c, n_rows), device="cuda")

    def ce():
        z.grad = None
        F.cross_entropy(z, y).backward()
    t_ce = _time(ce, reps)
    bytes_ce = 3 * 4 * n_rows * c          # read z (forward), read z and write dz (backward)
    rows.append(dict(name="softmax-CE fwd+bwd", size=f"{n_rows}×{c}", time=t_ce,
                     rate=f"{bytes_ce / t_ce / 1e9:.0f} GB/s", ratio=bytes_ce / t_ce / 1e9 / bw,
                     target="≥ 60 % of copy", met=bytes_ce / t_ce / 1e9 / bw >= 0.6))
    n_rows, d = (8, 33) if quick else (16384, 1024)
    x = tg.tensor(rng.standard_normal((n_rows, d)).astype(np.float32), device="cuda", requires_grad=True)
    ln = tg.nn.LayerNorm(d).to("cuda")
    g = tg.tensor(rng.standard_normal((n_rows, d)).astype(np.float32), device="cuda")

    def layer_norm():
        x.grad = None
        ln(x).backward(g)
    t_ln = _time(layer_norm, reps)
    bytes_ln = 5 * 4 * n_rows * d           # forward: read x, write y; backward: read x and g, write dx
    rows.append(dict(name="LayerNorm fwd+bwd", size=f"{n_rows}×{d}", time=t_ln,
                     rate=f"{bytes_ln / t_ln / 1e9:.0f} GB/s", ratio=bytes_ln / t_ln / 1e9 / bw,
                     target="≥ 60 % of copy", met=bytes_ln / t_ln / 1e9 / bw >= 0.6))
    return rows


def render(rows, device_name):
    lines = [f"GPU: {device_name}", "", "| benchmark | size | time | rate | baseline | ratio | target | met |",
             "| --- | --- | ---: | ---: | --- | ---: | --- | --- |"]
    for r in rows:
        ratio = r.get("ratio")
        met = r.get("met")
        lines.append(f"| {r['name']} | {r['size']} | {r['time'] * 1e3:.3f} ms | {r['rate']} | {r.get('baseline', '-')} "
                     f"| {'-' if ratio is None else f'{ratio:.2f}'} | {r.get('target', '-')} | "
                     f"{'-' if met is None else ('met' if met else 'missed')} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes, one repetition (a smoke run)")
    ap.add_argument("--out", type=Path, default=None, help="also write the Markdown table to this file")
    args = ap.parse_args(argv)
    from numba import cuda
    if not cuda.is_available():
        sys.exit("bench/gpu.py: no CUDA device (an NVIDIA GPU and the cuda extra are needed)")
    dev = cuda.get_current_device()
    name = getattr(dev, "name", b"CUDA simulator")
    name = name.decode() if isinstance(name, bytes) else str(name)
    text = render(run(args.quick), name)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return text


if __name__ == "__main__":
    main()
