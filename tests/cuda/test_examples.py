"""The example scripts with ``--device cuda``: the same run as on the CPU, losses within float32 tolerance."""
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from examples_loader import load_example


def test_xor_example_mlp_trains_on_cuda_like_on_cpu():
    xor = load_example("xor")
    runs = {}
    for device in ("cpu", "cuda"):
        xor.tg.manual_seed(0)
        args = SimpleNamespace(hidden=4, optimizer="adam", lr=0.1, epochs=25, device=device)
        model, _, losses = xor.train_mlp(args)
        assert all(p.device == device for p in model.parameters())
        runs[device] = losses
    np.testing.assert_allclose(runs["cuda"], runs["cpu"], rtol=1e-4, atol=1e-6)
    assert runs["cuda"][-1] < runs["cuda"][0]


def test_pos_tagger_example_trains_on_cuda_like_on_cpu(tmp_path):
    pos = load_example("pos_tagger")
    args = ["--limit", "6", "--epochs", "1", "--hidden", "4", "--word-dim", "4", "--batch-size", "3"]
    cpu = pos.run(pos.parse_args(args + ["--out", str(tmp_path / "cpu")]))
    gpu = pos.run(pos.parse_args(args + ["--device", "cuda", "--out", str(tmp_path / "cuda")]))
    np.testing.assert_allclose(gpu["history"]["batch_loss"], cpu["history"]["batch_loss"], rtol=1e-4, atol=1e-6)
    assert gpu["dev_acc"] == cpu["dev_acc"] and gpu["test_acc"] == cpu["test_acc"]
