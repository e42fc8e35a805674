"""The device seam as a checked contract: ``tinygradnb.kernels.cpu`` and ``tinygradnb.kernels.cuda`` export the
same public names with the same signatures, and neither exports its internals (underscore names, imported modules,
Numba's decorators, the scalar formulas or the launchers). The CUDA backend is imported in a process of its own
under Numba's CUDA simulator (which must be switched on before Numba is imported)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_DESCRIBE = r"""
import inspect, json, sys, types
import importlib
pkg = importlib.import_module(sys.argv[1])
out = {}
for name in dir(pkg):
    v = getattr(pkg, name)
    if isinstance(v, types.ModuleType) and v.__name__.startswith(pkg.__name__ + "."):
        continue                       # the backend's own family modules (kernels.cpu.array, ...)
    py = getattr(v, "serial", v)       # a serial/parallel dispatching kernel (fastmath.row_dispatch): its serial one
    py = getattr(py, "py_func", py)    # an @njit kernel: the Python function it compiles
    try:
        sig = inspect.signature(py)
        params = [(p.name, p.kind.name, p.default is not p.empty) for p in sig.parameters.values()]
        sig = str(sig)
    except (TypeError, ValueError):
        sig = params = None            # a builtin without a Python signature
    out[name] = {"kind": type(v).__name__, "module": getattr(v, "__module__", None) or "", "signature": sig,
                 "params": params}
print(json.dumps(out))
"""


def _describe(module, simulator):
    env = dict(os.environ)
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    if simulator:
        env["NUMBA_ENABLE_CUDASIM"] = "1"
    p = subprocess.run([sys.executable, "-c", _DESCRIBE, module], env=env, capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def backends():
    pytest.importorskip("numba.cuda", reason="numba-cuda is not installed (pip install -e '.[cuda]')")
    return _describe("tinygradnb.kernels.cpu", False), _describe("tinygradnb.kernels.cuda", True)


def _public(d):
    return {n: v for n, v in d.items() if not n.startswith("_")}


def test_cpu_and_cuda_export_the_same_public_names(backends):
    cpu, gpu = (set(_public(d)) for d in backends)
    assert not cpu - gpu, f"only on the CPU: {sorted(cpu - gpu)}"
    assert not gpu - cpu, f"only on cuda: {sorted(gpu - cpu)}"


def _ours(v):
    return v["module"].startswith("tinygradnb.kernels")


def test_same_signatures(backends):
    """Kernels and primitives written here on both sides: identical signatures. Where the CPU primitive is NumPy's
    own function (``add = np.add``), the CUDA twin may take fewer arguments, but every argument it takes must be one
    NumPy's takes: no more positional arguments, keyword arguments under NumPy's names."""
    cpu, gpu = (_public(d) for d in backends)
    bad = {}
    for n in sorted(set(cpu) & set(gpu)):
        c, g = cpu[n], gpu[n]
        if _ours(c) and _ours(g):
            if c["signature"] != g["signature"]:
                bad[n] = (c["signature"], g["signature"])
        elif c["params"] is not None and g["params"] is not None:
            positional = [p for p in c["params"] if p[1] in ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")]
            names = {p[0] for p in c["params"]}
            g_required = [p for p in g["params"] if not p[2]]
            g_optional = [p[0] for p in g["params"] if p[2]]
            if len(g_required) > len(positional) or not set(g_optional) <= names:
                bad[n] = (c["signature"], g["signature"])
    assert not bad, json.dumps(bad, indent=1)


def test_no_internals_exported(backends):
    forbidden_modules = ("numpy", "math", "builtins", "operator", "sys", "numba", "llvmlite")
    for side, d in zip(("cpu", "cuda"), backends):
        pub = _public(d)
        modules = sorted(n for n, v in pub.items() if v["kind"] == "module")
        assert not modules, f"{side} exports imported modules: {modules}"
        for n in ("np", "math", "njit", "cuda", "jit", "launch", "map_", "zip_", "map_kernel", "zip_kernel",
                  "run_map", "formulas", "builtins", "vexp", "vtanh", "vsigmoid", "exp_f32", "row_dispatch"):
            assert n not in pub, f"{side} exports the internal {n!r}"
        numba_things = sorted(n for n, v in pub.items() if v["module"].split(".")[0] in forbidden_modules
                              and v["kind"] not in ("ufunc", "function", "builtin_function_or_method",
                                                    "_ArrayFunctionDispatcher"))
        assert not numba_things, f"{side} exports objects of {forbidden_modules}: {numba_things}"
        leaked = sorted(n for n, v in pub.items() if v["module"].endswith((".formulas", "._map", "._launch")))
        assert not leaked, f"{side} exports formulas or launchers: {leaked}"


def test_the_new_element_wise_names_are_on_both_sides(backends):
    want = {"sin", "cos", "tan", "rsqrt", "sign", "floor", "ceil", "round", "trunc", "log2", "log1p", "exp2", "expm1",
            "reciprocal", "square"} | {f"{n}_{d}" for n in ("silu", "elu", "hardtanh", "hardswish", "hardsigmoid",
                                                           "mish", "logsigmoid") for d in ("forward", "backward")}
    for d in backends:
        assert want <= set(d)
