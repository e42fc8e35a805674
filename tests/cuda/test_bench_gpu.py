"""bench/gpu.py (the GPU benchmarks) runs end to end in its quick mode, so that it works when a GPU is at hand."""
import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "gpu.py"


def test_gpu_benchmark_quick_mode_runs(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_gpu", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "gpu.md"
    text = mod.main(["--quick", "--out", str(out)])
    assert out.read_text() == text
    for name in ("copy bandwidth", "matmul", "softmax-CE fwd+bwd", "LayerNorm fwd+bwd"):
        assert f"| {name} |" in text
