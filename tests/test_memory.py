"""A long training loop keeps its memory flat: after each step the autograd graph, and the arrays its Functions
saved for the backward, must be released (issue #5). Resident set size from /proc/self/statm (Linux only)."""
import os
import sys

import numpy as np
import pytest

import tinygradnb as tg
import tinygradnb.nn.functional as F
from tinygradnb import nn, optim

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm (Linux)")


def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def test_training_loop_rss_flat():
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    # Inputs of 128 × 256 float32 (128 KiB): a graph that leaked its saved activations would grow by ~1 MiB a step.
    x = tg.tensor(rng.standard_normal((128, 256)).astype(np.float32))
    y = tg.tensor(rng.integers(0, 10, 128))
    model = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.LayerNorm(256), nn.Linear(256, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    losses, rss = [], {}
    for step in range(1, 1001):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if step % 100 == 0:
            losses.append(loss.item())
        if step in (200, 1000):
            rss[step] = rss_mib()
    assert losses[-1] < losses[0], losses  # the loop really trains
    growth = rss[1000] - rss[200]
    assert growth < 20.0, f"RSS grew by {growth:.1f} MiB between step 200 and step 1000 (a leak of the autograd graph?)"
