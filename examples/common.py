"""What every example script shares: arguments, device choice, progress bars, checkpoints and plots.

tqdm and matplotlib are optional (``pip install ".[examples]"`` brings both): without them progress is printed
as plain lines and plots are skipped with a note.
"""
import argparse
import sys
import time
from pathlib import Path

import tinygradnb as tg

RESULTS = Path(__file__).resolve().parent / "results"


def parser(description, epochs, lr=None):
    """An argument parser with the flags every example takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--epochs", type=int, default=epochs, help=f"training epochs (default {epochs})")
    p.add_argument("--seed", type=int, default=0, help="seed of every random number drawn (default 0)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where to train (default cpu)")
    p.add_argument("--out", type=Path, default=RESULTS, help=f"folder for checkpoints and plots (default {RESULTS})")
    p.add_argument("--limit", type=int, default=None, help="use only the first N training items (smoke tests)")
    if lr is not None:
        p.add_argument("--lr", type=float, default=lr, help=f"learning rate (default {lr})")
    return p


def setup(args, cuda=False):
    """Seed the library, check the device and create the output folder; returns the device name. Scripts that
    place their model and batches on ``args.device`` pass ``cuda=True`` (every task script); the others (the
    lecture demos in demos/) stop on ``--device cuda`` rather than silently training on the CPU."""
    tg.manual_seed(args.seed)
    if args.device == "cuda":
        if not cuda:
            sys.exit("--device cuda: this demo runs on the CPU only (the task scripts xor.py, sentiment.py, "
                     "attention_classifier.py, cnn_classifier.py, pos_tagger.py, language_model.py and seq2seq.py "
                     "run on cuda); use --device cpu")
        if not tg.cuda.is_available():
            sys.exit("--device cuda: no CUDA device here (an NVIDIA GPU and `pip install '.[cuda]'` are needed; "
                     "NUMBA_ENABLE_CUDASIM=1 runs Numba's slow simulator); use --device cpu")
    args.out.mkdir(parents=True, exist_ok=True)
    return args.device


def progress(iterable, total=None, desc=""):
    """``iterable`` with a progress bar (tqdm when installed, otherwise a line at every 25 %)."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _plain_progress(iterable, total if total is not None else len(iterable), desc)
    return tqdm(iterable, total=total, desc=desc, leave=False, file=sys.stderr)


def _plain_progress(iterable, total, desc):
    marks = {max(1, round(total * q)) for q in (0.25, 0.5, 0.75, 1.0)} if total else set()
    start = time.perf_counter()
    for i, item in enumerate(iterable, 1):
        yield item
        if i in marks:
            print(f"  {desc} {i}/{total} ({time.perf_counter() - start:.1f} s)", file=sys.stderr, flush=True)


def save_plot(path, draw):
    """Call ``draw(plt)`` and save the figure as PNG at ``path``; skipped (with a note) without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"(matplotlib is not installed: skipped the plot {path.name})")
        return None
    plt.close("all")
    draw(plt)
    plt.tight_layout()
    plt.savefig(path, dpi=110)
    plt.close("all")
    print(f"plot: {path}")
    return path


def draw_training(plt, res, bow, majority, name):
    """A classifier's validation accuracy per epoch (the kept epoch starred, the bag-of-words and majority-class
    rates as lines) beside its training and validation cross-entropy."""
    _, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    h = res["history"]
    ep = range(1, len(h["val_acc"]) + 1)
    a.plot(ep, h["val_acc"], marker="o", ms=3, label=name)
    a.plot([res["epoch"]], [res["val_acc"]], "*", ms=12, label="kept (best validation)")
    a.axhline(bow["val_acc"], color="gray", ls="--", label="BoW logistic regression")
    a.axhline(majority["val"], color="gray", ls=":", label="majority class")
    a.set(title="validation accuracy per epoch", xlabel="epoch", ylabel="accuracy")
    a.legend(fontsize=8)
    b.plot(ep, h["train_loss"], marker="o", ms=3, label="train (train mode)")
    b.plot(ep, h["val_loss"], marker="o", ms=3, label="validation")
    b.set(title="cross-entropy per epoch", xlabel="epoch", ylabel="loss")
    b.legend(fontsize=8)


def save_checkpoint(path, model, optimizer=None, **extra):
    """Model (and optimizer) state plus ``extra`` values in one ``.npz`` (written atomically)."""
    state = {"model": model.state_dict(), **extra}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    tg.save(state, path)
    print(f"checkpoint: {path}")


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
