"""The benchmark suite of issue #5 in one command:
``python bench/run.py [--quick] [--threads N] [--no-memory] [--no-startup]``.

0. sets every library's thread count (--threads, default 1: single-thread comparisons);
1. measures this machine's roofline: peak float32 FMA rate (a large BLAS sgemm, np.matmul 1024³ float32 with
   that thread count) and copy bandwidth (np.copyto of a large float32 array; read + write bytes counted);
2. runs ``pytest bench/`` (pytest-benchmark) with ``--benchmark-json``: every case's time, and the agreement
   test of its implementations;
3. per family, the peak RSS of a fresh process running tinygradnb's cases and PyTorch's (bench/memory.py);
4. start-up: ``import tinygradnb`` time, and examples/xor.py with an empty and with a warm Numba cache;
5. writes bench/results/report.md (tables, targets met/missed) and bench/results/ratios.png;
6. in quick mode, runs ``bench/toy.py --quick`` (issue #13's toy workloads at tiny sizes, each library in its own
   process: they run and agree). The full toy run, with its own timings: ``python bench/toy.py``.

Ratios are baseline time ÷ tinygradnb time (> 1: tinygradnb is faster), from medians of one run: "vs NumPy" =
careful NumPy ÷ tinygradnb kernels, "vs PyTorch" = torch op/module with autograd ÷ tinygradnb op/module with
autograd. Quick mode (small sizes, about a minute) is what CI runs; it fails only on errors, never on timings.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def _threads_from_argv(argv):
    """--threads N (default 1): set before NumPy loads, so this process and every child (pytest, memory, start-up)
    share the setting. 0 keeps the libraries' defaults (all cores)."""
    n = 1
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            n = int(argv[i + 1])
        elif a.startswith("--threads="):
            n = int(a.split("=", 1)[1])
    if n > 0:
        for v in THREAD_VARS:
            os.environ[v] = str(n)
    return n


THREADS = _threads_from_argv(sys.argv)

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from blas import blas_core  # noqa: E402

from cases import FAMILIES, HAVE_TORCH  # noqa: E402


# ----------------------------------------------------------------------------- machine
def roofline(quick):
    """(peak float32 GFLOP/s from a BLAS sgemm, copy GB/s from np.copyto), best of a few repeats; both with the
    thread setting of the run (--threads)."""
    n = 1024  # ~16 ms a product on one core: many short repeats, so the best one dodges the neighbours' load
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    np.matmul(a, a)
    best = min(_t(lambda: np.matmul(a, a)) for _ in range(5 if quick else 15))
    peak = 2.0 * n ** 3 / best / 1e9
    m = (16 if quick else 64) * 2 ** 20  # elements: 64 MiB / 256 MiB of float32, far beyond the caches
    src = np.ones(m, np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    best = min(_t(lambda: np.copyto(dst, src)) for _ in range(5))
    return peak, 2.0 * src.nbytes / best / 1e9


def _t(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def machine_info():
    info = {"python": platform.python_version(), "cores": os.cpu_count()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                info["cpu"] = line.split(":", 1)[1].strip()
    except OSError:
        info["cpu"] = platform.processor() or "unknown"
    import numba
    import llvmlite
    info.update(numpy=np.__version__, numba=numba.__version__, llvmlite=llvmlite.__version__)
    env = {k: os.environ.get(k, "(unset)") for k in THREAD_VARS + ("NUMBA_THREADING_LAYER", "OPENBLAS_CORETYPE",
                                                                    "OPENBLAS_L2_SIZE")}
    info["env"] = env
    info["blas_core"] = blas_core()
    info["numba_num_threads"] = numba.config.NUMBA_NUM_THREADS
    try:
        import tinygradnb.kernels.cpu  # noqa: F401  (loads the kernels; the threading layer shows after a parallel call)
        import importlib
        mm = importlib.import_module("tinygradnb.kernels.cpu.matmul")
        x = np.ones((1, 8, 8), np.float32)
        mm.matmul_tiled_parallel(x, x)
        info["numba_threading_layer"] = numba.threading_layer()
    except Exception as e:  # reported, not fatal
        info["numba_threading_layer"] = f"unknown ({type(e).__name__})"
    if HAVE_TORCH:
        import torch
        info.update(torch=torch.__version__, torch_threads=torch.get_num_threads())
    else:
        info.update(torch="not installed", torch_threads="-")
    return info


# ----------------------------------------------------------------------------- benchmarks
# glibc's malloc hands out blocks above its mmap threshold (128 KiB at start, raised on the fly up to 32 MiB as
# such blocks are freed) as fresh mmaps whose pages fault in on first touch: the same kernel measured 3.4 ms or
# 16.5 ms (LayerNorm 4096×1024 fwd+bwd) depending on which cases ran before it in the process. A fixed high
# threshold (and no trimming of the heap top) gives every implementation the steady state of a long training
# loop, whatever the order of the cases. Ignored by other C libraries.
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(256 * 2 ** 20), "MALLOC_TRIM_THRESHOLD_": str(1024 * 2 ** 20)}

def run_pytest(quick, json_path, impls, select):
    env = dict(os.environ, TGNB_BENCH_QUICK="1" if quick else "0", TGNB_BENCH_IMPLS=impls, **MALLOC_ENV)
    args = [sys.executable, "-m", "pytest", str(HERE / "test_bench.py"), "-q", "-p", "no:cacheprovider", "-k", select,
            "--rootdir", str(HERE), f"--benchmark-json={json_path}", "--benchmark-sort=name",
            "--benchmark-columns=median,iqr,rounds", "--benchmark-warmup=off"]
    args += (["--benchmark-min-rounds=5", "--benchmark-max-time=0.05"] if quick
             else ["--benchmark-min-rounds=7", "--benchmark-max-time=0.5"])
    print("$", " ".join(args), flush=True)
    return subprocess.run(args, env=env, cwd=ROOT).returncode


def load_times(json_paths):
    """{(family, case): {impl: median seconds}}, and the extra info per (family, case, impl)."""
    benches = [b for p in json_paths if Path(p).exists() for b in json.loads(Path(p).read_text())["benchmarks"]]
    order = {}
    for fam in FAMILIES:  # the report lists the cases in the order of bench/cases.py
        for c in fam(True) + fam(False):
            order.setdefault((c.family, c.case), len(order))
    benches.sort(key=lambda b: order.get((b["extra_info"]["family"], b["extra_info"]["case"]), 1e9))
    times, extra = {}, {}
    for b in benches:
        e = b["extra_info"]
        times.setdefault((e["family"], e["case"]), {})[e["impl"]] = b["stats"]["median"]
        extra[(e["family"], e["case"], e["impl"])] = e
    return times, extra


def ratio(t, base, ours):
    return t[base] / t[ours] if base in t and ours in t else None


# ----------------------------------------------------------------------------- memory and start-up
def family_names(quick):
    names = []
    for fam in FAMILIES:
        for c in fam(quick):
            if c.family not in names:
                names.append(c.family)
    return names


def memory(quick):
    """{family: {side: peak RSS MiB}} from one fresh process per family and side."""
    sides = ["tinygradnb"] + (["torch"] if HAVE_TORCH else [])
    out = {}
    for fam in family_names(quick):
        out[fam] = {}
        for side in sides:
            r = subprocess.run([sys.executable, str(HERE / "memory.py"), fam, side] + (["--quick"] if quick else []),
                               capture_output=True, text=True, cwd=ROOT)
            if r.returncode != 0:
                raise RuntimeError(f"memory.py {fam} {side} failed:\n{r.stderr[-2000:]}")
            v = float(r.stdout.strip().splitlines()[-1])
            out[fam][side] = None if v != v else v
        print(f"peak RSS {fam}: {out[fam]}", flush=True)
    return out


def startup():
    """import time (median of 5 fresh processes, measured inside the process), and the XOR example's wall time with
    an empty Numba cache and then with the warm one (NUMBA_CACHE_DIR in a fresh temporary directory)."""
    code = "import time; t = time.perf_counter(); import tinygradnb; print(time.perf_counter() - t)"
    imports = []
    for _ in range(5):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=True)
        imports.append(float(r.stdout.strip()))
    res = {"import_s": statistics.median(imports)}
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NUMBA_CACHE_DIR=os.path.join(tmp, "numba-cache"), MPLBACKEND="Agg")
        for label in ("xor_cold_s", "xor_warm_s"):
            t0 = time.perf_counter()
            r = subprocess.run([sys.executable, str(ROOT / "examples" / "xor.py"), "--out", os.path.join(tmp, "out")],
                               capture_output=True, text=True, env=env, cwd=tmp)
            res[label] = time.perf_counter() - t0
            if r.returncode != 0:
                raise RuntimeError(f"examples/xor.py failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    print(f"start-up: {res}", flush=True)
    return res


# ----------------------------------------------------------------------------- report
def fmt_t(s):
    if s is None:
        return "-"
    return f"{s * 1e6:.1f} µs" if s < 1e-3 else f"{s * 1e3:.2f} ms"


def fmt_r(r):
    return "-" if r is None else f"{r:.2f}×"


def targets(times, start, quick):
    """[(target, measured text, met)] for the issue's targets; met is None when not measured in this run."""
    rows = []

    def get(fam, case, base, ours):
        t = times.get((fam, case))
        return ratio(t, base, ours) if t else None

    own = [(k[1], ratio(t, "numpy", "tg-kernel")) for k, t in times.items() if k[0] == "matmul-own-tiled"]
    own_1024 = dict(own).get("n=1024")
    rows.append(("own Numba matmul (matmul_tiled) float32 n=1024 ≥ 0.6× NumPy",
                 fmt_r(own_1024) if own_1024
                 else "not run (quick: " + ", ".join(f"{c} {fmt_r(r)}" for c, r in own) + ")",
                 None if own_1024 is None else own_1024 >= 0.6))
    sq = [(int(k[1][2:]), ratio(t, "numpy", "tg-kernel")) for k, t in times.items()
          if k[0] == "matmul" and k[1].startswith("n=")]
    sq.sort()
    if sq:
        worst = min(r for _, r in sq)
        small = [r for n, r in sq if n <= 32]
        rows.append(("engine matmul (dispatcher kernel) ≥ 0.95× NumPy at every square size",
                     f"min {fmt_r(worst)} over n = {sq[0][0]}…{sq[-1][0]}", worst >= 0.95))
        rows.append(("engine matmul ≥ 1.5× NumPy at n ≤ 32", ", ".join(f"n={n} {fmt_r(r)}" for n, r in sq if n <= 32),
                     all(r >= 1.5 for r in small) if small else None))
    big = not quick
    for fam, case, base, ours, goal, label in [
            ("softmax-CE", "4096x1000", "numpy", "tg-kernel", 2.5, "softmax-CE fwd+bwd 4096×1000 ≥ 2.5× NumPy"),
            ("softmax-CE", "4096x1000", "torch", "tg", 1.5, "softmax-CE fwd+bwd 4096×1000 ≥ 1.5× PyTorch"),
            ("LayerNorm", "4096x1024", "numpy", "tg-kernel", 5.0, "LayerNorm fwd+bwd 4096×1024 ≥ 5× NumPy"),
            ("LayerNorm", "4096x1024", "torch", "tg", 1.5, "LayerNorm fwd+bwd 4096×1024 ≥ 1.5× PyTorch"),
            ("Elman RNN", "T=64 B=32 I=128 H=256", "torch", "tg", 1.5, "Elman RNN fwd+bwd ≥ 1.5× torch nn.RNN")]:
        r = get(fam, case, base, ours) if big else None
        if r is None and quick:
            qc = [(k[1], ratio(t, base, ours)) for k, t in times.items() if k[0] == fam]
            rows.append((label, "not run (quick: " + ", ".join(f"{c} {fmt_r(x)}" for c, x in qc) + ")", None))
        else:
            rows.append((label, fmt_r(r), None if r is None else r >= goal))
    for k, t in times.items():
        if k[0] == "small op + autograd":
            r = ratio(t, "torch", "tg")
            rows.append(("small op with autograd no slower than PyTorch (≥ 1×)", fmt_r(r),
                         None if r is None else r >= 1.0))
        if k[0] == "training step":
            r = ratio(t, "torch", "tg")
            rows.append((f"training step ≥ 1.5× PyTorch eager: {k[1]}", fmt_r(r), None if r is None else r >= 1.5))
    if start:
        rows.append(("import tinygradnb ≤ 0.5 s", f"{start['import_s']:.3f} s", start["import_s"] <= 0.5))
        rows.append(("XOR example, empty Numba cache ≤ 20 s", f"{start['xor_cold_s']:.1f} s",
                     start["xor_cold_s"] <= 20))
        rows.append(("XOR example, warm Numba cache ≤ 2 s", f"{start['xor_warm_s']:.2f} s", start["xor_warm_s"] <= 2))
    return rows


def render(out_dir, quick, info, peak, bw, times, extra, mem, start, elapsed):
    lines = [f"# tinygradnb benchmark report ({'quick' if quick else 'full'} mode)", "",
             f"Machine: {info.get('cpu', '?')}, {info['cores']} cores; Python {info['python']}; numpy {info['numpy']}, "
             f"numba {info['numba']}, llvmlite {info['llvmlite']}, torch {info['torch']}.",
             "Threads: " + ", ".join(f"{k}={v}" for k, v in info["env"].items())
             + f"; numba threading layer {info['numba_threading_layer']},"
             f" NUMBA_NUM_THREADS={info['numba_num_threads']};"
             f" torch.get_num_threads()={info['torch_threads']}; NumPy's OpenBLAS kernels: {info['blas_core']}.",
             f"Roofline: peak float32 FMA rate {peak:.0f} GFLOP/s (BLAS sgemm, np.matmul float32 "
             f"1024³ (best of {5 if quick else 15}), {'all cores' if THREADS == 0 else f'{THREADS} thread(s)'}); "
             f"copy bandwidth {bw:.1f} GB/s (np.copyto of a large float32 "
             "array, read + write bytes).",
             "",
             "Ratios are baseline time ÷ tinygradnb time (> 1: tinygradnb faster), medians of one run "
             "(NumPy and tinygradnb in one process, PyTorch in a second one: PyTorch's OpenMP runtime stalls "
             "Numba's OpenMP parallel kernels when both live in one process; both processes with glibc "
             f"{' '.join(k + '=' + v for k, v in MALLOC_ENV.items())}, so that large blocks are reused rather than "
             "faulted in afresh on each call, whatever the order of the cases). "
             "**vs NumPy** = careful NumPy (bench/baselines.py) ÷ tinygradnb kernels called on arrays (tg-kernel); "
             "**vs PyTorch** = torch op/module with autograd ÷ tinygradnb op/module with autograd (tg). "
             "Forward + backward unless the case says otherwise "
             "(the kernel-level matmul rows are the forward product). "
             "GFLOP/s and GB/s are tinygradnb's (tg-kernel where it exists, else tg), from the case's flop count or "
             "its compulsory bytes, with the fraction of the roofline numbers above.", "",
             "| family | case | NumPy | tg-kernel | tg (autograd) | PyTorch | vs NumPy | vs PyTorch "
             "| GFLOP/s (% peak) | GB/s (% copy) |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    plot = []
    for (fam, case), t in times.items():
        ours = "tg-kernel" if "tg-kernel" in t else "tg"
        e = extra[(fam, case, ours)]
        gf = (f"{e['flops'] / t[ours] / 1e9:.1f} ({100 * e['flops'] / t[ours] / 1e9 / peak:.0f} %)"
              if e["flops"] else "-")
        gb = (f"{e['nbytes'] / t[ours] / 1e9:.1f} ({100 * e['nbytes'] / t[ours] / 1e9 / bw:.0f} %)"
              if e["nbytes"] else "-")
        rn, rt = ratio(t, "numpy", "tg-kernel"), ratio(t, "torch", "tg")
        lines.append(f"| {fam} | {case} | {fmt_t(t.get('numpy'))} | {fmt_t(t.get('tg-kernel'))} | {fmt_t(t.get('tg'))} "
                     f"| {fmt_t(t.get('torch'))} | {fmt_r(rn)} | {fmt_r(rt)} | {gf} | {gb} |")
        plot.append((f"{fam}: {case}", rn, rt))
    if not HAVE_TORCH:
        lines += ["", "PyTorch is not installed: the PyTorch columns are skipped."]
    if mem:
        lines += ["", "Peak RSS per family (MiB; a fresh process running the family's cases three times each, "
                  "interpreter and libraries included):", "",
                  "| family | tinygradnb | PyTorch |", "| --- | ---: | ---: |"]
        for fam, m in mem.items():
            cell = lambda v: "-" if v is None else f"{v:.0f}"  # noqa: E731
            lines.append(f"| {fam} | {cell(m.get('tinygradnb'))} | {cell(m.get('torch'))} |")
    if start:
        lines += ["", f"Start-up: `import tinygradnb` {start['import_s']:.3f} s (median of 5 fresh processes); "
                  f"examples/xor.py {start['xor_cold_s']:.1f} s with an empty Numba cache, "
                  f"{start['xor_warm_s']:.2f} s with the warm one (subprocess wall time)."]
    lines += ["", "## Targets (issue #5)", "", "| target | measured | met |", "| --- | --- | --- |"]
    for label, val, met in targets(times, start, quick):
        lines.append(f"| {label} | {val} | {'-' if met is None else ('met' if met else 'missed')} |")
    lines += ["", f"Suite wall time {elapsed:.0f} s."]
    (out_dir / "report.md").write_text("\n".join(lines) + "\n")
    plot_ratios(out_dir / "ratios.png", plot, quick)


def plot_ratios(path, rows, quick):
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no ratios.png (the table in report.md has the same numbers)")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    h = max(4.0, 0.28 * len(rows) + 1.5)
    fig, ax = plt.subplots(figsize=(10, h))
    y = np.arange(len(rows))
    for off, idx, label, color in ((-0.2, 1, "vs NumPy (kernels)", "tab:blue"),
                                   (0.2, 2, "vs PyTorch (autograd)", "tab:orange")):
        vals = [r[idx] if r[idx] else np.nan for r in rows]
        ax.barh(y + off, vals, height=0.4, label=label, color=color)
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_yticks(y, [r[0] for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("baseline time ÷ tinygradnb time (> 1: tinygradnb faster; log scale)")
    ax.set_title(f"tinygradnb speed ratios ({'quick' if quick else 'full'} mode)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, about a minute (what CI runs)")
    ap.add_argument("--no-memory", action="store_true", help="skip the per-family peak-RSS processes")
    ap.add_argument("--no-startup", action="store_true", help="skip the import and XOR start-up timings")
    ap.add_argument("--threads", type=int, default=1,
                    help="threads of every library (BLAS, OpenMP, Numba, PyTorch), default 1: on a small shared "
                         "machine multi-threaded runtimes stall each other by whole scheduler slices; 0 keeps "
                         "the libraries' defaults")
    ap.add_argument("--out", type=Path, default=HERE / "results", help="results folder (default bench/results)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    peak, bw = roofline(args.quick)  # before machine_info(), which loads PyTorch and Numba's threads
    info = machine_info()
    print(f"roofline: {peak:.0f} GFLOP/s sgemm, {bw:.1f} GB/s copy", flush=True)
    # Two pytest processes: NumPy and tinygradnb timings; then PyTorch timings and the agreement tests (see
    # test_bench.py: PyTorch's OpenMP runtime stalls Numba's parallel kernels in a shared process).
    passes = [("numpy,tg-kernel,tg", "test_time", args.out / "benchmark.json")]
    passes.append(("torch", "test_time or test_agree", args.out / "benchmark-torch.json") if HAVE_TORCH
                  else ("none", "test_agree", args.out / "benchmark-torch.json"))
    for impls, select, path in passes:
        rc = run_pytest(args.quick, path, impls, select)
        if rc != 0:
            print(f"pytest failed (exit {rc})", file=sys.stderr)
            return rc
    if args.quick:              # issue #13's toy workloads, tiny sizes: they run and agree (bench/toy.py)
        rc = subprocess.run([sys.executable, str(HERE / "toy.py"), "--quick", "--out", str(args.out)]).returncode
        if rc != 0:
            print(f"bench/toy.py --quick failed (exit {rc})", file=sys.stderr)
            return rc
    times, extra = load_times([p for _, _, p in passes])
    mem = None if args.no_memory else memory(args.quick)
    start = None if args.no_startup else startup()
    render(args.out, args.quick, info, peak, bw, times, extra, mem, start, time.perf_counter() - t0)
    print(f"wrote {args.out / 'report.md'} (and ratios.png when matplotlib is installed) "
          f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
