"""Compile every recorded CUDA kernel signature to PTX for real GPU architectures, with no GPU needed.

    python tests/cuda/ptx_check.py RECORD.jsonl [--cc 80,90]

RECORD.jsonl is written by a run of tests/cuda with ``TGNB_CUDA_RECORD`` set (``kernels/cuda/_launch.py`` appends
each launched kernel's registry name and argument types). This script must run without the simulator: it
imports the CUDA backend for the real target and calls ``numba.cuda.compile_ptx`` (which needs NVVM and NVRTC,
installed with the ``cuda`` extra) on each signature. It fails when a signature does not compile or when a
registered kernel was never launched by the tests (and so was never checked).
"""
import argparse
import importlib
import json
import os
import pkgutil
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("record")
    ap.add_argument("--cc", default="80,90", help="compute capabilities, e.g. 80,90")
    args = ap.parse_args()
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") == "1":
        sys.exit("ptx_check: run without NUMBA_ENABLE_CUDASIM (compile_ptx is not available under the simulator)")
    from numba import cuda

    import tinygradnb.kernels.cuda as pkg
    from tinygradnb.kernels.cuda._launch import REGISTRY, numba_type

    for m in pkgutil.iter_modules(pkg.__path__):   # every family module registers its kernels on import
        importlib.import_module(f"{pkg.__name__}.{m.name}")

    ccs = [(int(c[0]), int(c[1:])) for c in args.cc.split(",")]
    with open(args.record) as f:
        records = [json.loads(line) for line in f if line.strip()]
    failures, seen, t0 = [], set(), time.perf_counter()
    for r in records:
        name = r["kernel"]
        if name not in REGISTRY:
            failures.append(f"{name}: launched but not in the registry")
            continue
        seen.add(name)
        sig = tuple(numba_type(d) for d in r["args"])
        for cc in ccs:
            try:
                cuda.compile_ptx(REGISTRY[name].py_func, sig, cc=cc)
            except Exception as e:  # every failure is reported
                failures.append(f"{name}{sig} for sm_{cc[0]}{cc[1]}: {type(e).__name__}: {str(e)[:300]}")
    never = sorted(set(REGISTRY) - seen)
    failures += [f"{name}: registered but never launched by tests/cuda, so not checked" for name in never]
    print(f"ptx_check: {len(records)} signatures of {len(seen)}/{len(REGISTRY)} kernels compiled for "
          f"{', '.join(f'sm_{a}{b}' for a, b in ccs)} in {time.perf_counter() - t0:.1f} s")
    if failures:
        print("\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
