"""What one BiLSTM-tagger training step asks of the GPU, counted with ``tinygradnb.profiler`` (issue #14's goal:
≤ 40 kernel launches per step and none more per time step, no device allocation in steady state, host→device
copies only for the batch, one device→host read per step).

    NUMBA_ENABLE_CUDASIM=1 python bench/launches.py     # without a GPU (the counts are the same)
    python bench/launches.py                            # on a GPU

The step is the issue's: Embedding → LSTM(bidirectional, batch_first) → Linear → cross_entropy(ignore_index) →
backward → clip_grad_norm_ → Adam, then ``loss.item()``. For each of two sequence lengths T it runs three warm-up
steps (compilation, Adam's state, the caching allocator's blocks), then one step inside a profile; the difference
between the two lengths gives the launches per time step. Counts do not depend on the other sizes, so the
simulator runs small ones. Prints a table and writes it to ``--out`` (markdown).
"""
import argparse
import sys
from pathlib import Path

import tinygradnb as tg
import numpy as np

from tinygradnb import nn
import tinygradnb.nn.functional as F


def _step_counts(t, vocab=50, dim=8, hidden=8, tags=5, batch=4, device="cuda"):
    tg.manual_seed(0)
    emb = nn.Embedding(vocab, dim).to(device)
    lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True).to(device)
    out = nn.Linear(2 * hidden, tags).to(device)
    params = list(emb.parameters()) + list(lstm.parameters()) + list(out.parameters())
    opt = tg.optim.Adam(params, lr=1e-3)
    rng = np.random.default_rng(0)
    x_host = rng.integers(0, vocab, (batch, t))
    y_host = rng.integers(0, tags, (batch * t,))
    y_host[::7] = -100

    def step():
        x = tg.tensor(x_host, device=device)          # the batch: the step's host→device copies
        y = tg.tensor(y_host, device=device)
        opt.zero_grad()
        logits = out(lstm(emb(x))[0]).reshape(batch * t, tags)
        loss = F.cross_entropy(logits, y, ignore_index=-100)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        return loss.item()

    for _ in range(3):                                # warm-up: compiles, creates Adam's state, and lets the
        step()                                        # caching allocator's blocks reach their steady set
    with tg.profiler.profile() as prof:
        step()
    return prof


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lengths", default="8,16", help="two sequence lengths T (comma-separated)")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "launches.md"))
    a = ap.parse_args(argv)
    if not tg.cuda.is_available():
        sys.exit("launches.py: no cuda device (set NUMBA_ENABLE_CUDASIM=1 before Python starts to use the simulator)")
    t1, t2 = (int(v) for v in a.lengths.split(","))
    p1, p2 = _step_counts(t1), _step_counts(t2)
    c1, c2 = p1.totals("cuda"), p2.totals("cuda")
    from numba import config
    where = "Numba's CUDA simulator" if config.ENABLE_CUDASIM else "a GPU"
    per_t = (c2["launches"] - c1["launches"]) / (t2 - t1)
    lines = [f"BiLSTM tagger training step on cuda ({where}), one step after three warm-up steps.", "",
             f"| count | T = {t1} | T = {t2} | goal |", "| --- | ---: | ---: | --- |",
             f"| kernel launches per step | {c1['launches']} | {c2['launches']} | ≤ 40 |",
             f"| launches per time step | {per_t:g} | | 0 |",
             f"| device allocations | {c1['allocations']} | {c2['allocations']} | 0 in steady state |",
             f"| allocations served from the cache | {c1['reuses']} | {c2['reuses']} | |",
             f"| zero fills by memset (no kernel) | {c1['memsets']} | {c2['memsets']} | |",
             f"| allocated bytes | {c1['allocated_bytes']} | {c2['allocated_bytes']} | |",
             f"| host→device copies | {c1['h2d']} | {c2['h2d']} | the batch only (2) |",
             f"| device→host copies | {c1['d2h']} | {c2['d2h']} | 1 (the loss) |",
             f"| calls through the seam | {c1['calls']} | {c2['calls']} | |", "",
             f"Launches by kernel at T = {t1} (most first):", "", "```"]
    rows = sorted((r for r in p1.key_averages() if r.kind == "launch"), key=lambda r: (-r.count, r.key))
    lines += [f"{r.count:5d}  {r.key}" for r in rows] + ["```"]
    text = "\n".join(lines)
    print(text)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")


if __name__ == "__main__":
    main()
