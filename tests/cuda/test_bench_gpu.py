"""bench/gpu.py (the GPU benchmarks), bench/launches.py (the launch counts of a training step) and the one-command
GPU check bench/gpu_check.sh run end to end, so that they work when a GPU is at hand."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPT = BENCH / "gpu.py"


def test_gpu_benchmark_quick_mode_runs(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_gpu", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "gpu.md"
    text = mod.main(["--quick", "--out", str(out)])
    assert out.read_text() == text
    for name in ("copy bandwidth", "matmul", "softmax-CE fwd+bwd", "LayerNorm fwd+bwd"):
        assert f"| {name} |" in text


def test_launch_count_script_counts_a_training_step(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_launches", BENCH / "launches.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "launches.md"
    mod.main(["--lengths", "2,3", "--out", str(out)])
    rows = {line.split("|")[1].strip(): line.split("|")[2:4] for line in out.read_text().splitlines()
            if line.startswith("| ") and "---" not in line}
    def counts(name):
        return [int(v) for v in rows[name]]
    # issue #14's goal for a BiLSTM-tagger training step (embedding, bidirectional LSTM, linear, cross-entropy with
    # ignore_index, backward, clip_grad_norm_, Adam, loss.item()) after warm-up, counted through the public API
    launches = counts("kernel launches per step")
    assert 0 < launches[0] <= 40 and launches[0] == launches[1], launches    # ≤ 40, none more per time step
    assert counts("device allocations") == [0, 0]                            # no allocation in steady state
    assert counts("host→device copies") == [2, 2]                            # the batch: tokens and labels
    assert counts("device→host copies") == [1, 1]                            # the loss the user reads
    assert "rnn." in out.read_text()                                         # launches are named family.kernel


def test_gpu_check_script_dry_run(tmp_path):
    """bench/gpu_check.sh under the simulator (DRY=1): its env phase and its tagger-step phase (pos: warm-up and timed
    steps on cuda) within a short time budget, each phase cut at its share as on a GPU, and the summary file it
    writes. Its bench phase runs bench/gpu.py and bench/launches.py, tested above."""
    env = dict(os.environ, DRY="1", OUT=str(tmp_path), PY=sys.executable, PHASES="env pos", BUDGET_S="80",
               POS_BUDGET="60")
    p = subprocess.run(["bash", str(BENCH / "gpu_check.sh")], env=env, cwd=BENCH.parent, capture_output=True,
                       text=True, timeout=300)
    summary = (tmp_path / "summary.txt").read_text()
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    assert "smoke (x*2).sum() = 30.0 expected 30.0" in summary, summary
    assert "[pos] cuda warm-up" in summary and "[pos] cuda step: median" in summary, summary
