"""Character-level language models of Shakespeare, scored in bits per character on whole works never seen in
training: an LSTM trained with truncated back-propagation through time, and the fixed-window neural language
model of Bengio et al. (2003), beside a unigram baseline computed in the same run.

    python examples/language_model.py [--minutes 8] [--bengio-minutes 1.2] [--hidden 256] [--bptt 64]
                                      [--batch 32] [--context 10] [--val-chars 120000] [--seed 0] [--out DIR]
    python examples/language_model.py --limit 20000 --minutes 0.1 --bengio-minutes 0.05   # a quick smoke run
    python examples/language_model.py --device cuda                                     # on an NVIDIA GPU

The lecture's language model predicts the next token, P(w_t | w_1..w_{t−1}) = softmax(W h_{t−1} + b), and the
probability of a text factorises autoregressively, P(x_1..x_n) = Π_t P(x_t | x_1..x_{t−1}). Both models here are
trained by minimising the mean cross-entropy −log P(x_t | context) with Adam and gradient clipping
(g ← g·τ/‖g‖ if ‖g‖ > τ); bits per character is that mean cross-entropy divided by ln 2.

* Split: the last 4 works in alphabetical order of their titles are held out whole (no random split of
  characters, which would leak nearly identical neighbouring text); everything else is training text. The
  validation score is over a fixed slice of ``--val-chars`` characters taken from those 4 works (4 contiguous
  streams per work, each preceded by 128 characters of burn-in context that are fed but not scored).
* Vocabulary: the training text's characters plus ``<unk>`` for any character only the held-out works use.
* LSTM: embedding → LSTM → linear → softmax over characters. The training text is cut into ``--batch``
  contiguous streams that are read ``--bptt`` characters at a time, the (h, c) state carried from one window to
  the next but detached (truncated BPTT). Training stops after ``--minutes`` of training wall-clock time (the
  learning rate follows a cosine from ``--lr`` down to lr/10 over that budget).
* Bengio et al.: the embeddings C(w) of the previous n = ``--context`` characters concatenated into x, then
  y = b + W x + U tanh(d + H x) with the direct connections W x (``--no-direct`` drops them), softmax over y;
  trained on random windows for ``--bengio-minutes``.
* Unigram baseline: P(c) = (count_train(c) + 1) / (N + V), the training text's character frequencies with
  add-one smoothing.

``--epochs`` caps the passes over the training text (the time budgets normally stop training first); ``--steps``
and ``--bengio-steps`` cap the updates; ``--limit N`` keeps the first N training characters and at most N
validation characters (smoke tests). ``--device cuda`` trains and scores both models and samples the LSTM on the
GPU: with step caps the same run as on the CPU to float32 rounding (the time budgets count the GPU's own steps);
sampling draws each character on the device (``tg.multinomial``) and reads the text back once.

The plot (``language_model.png`` in ``--out``) shows the validation bits per character against training time
for both models (during training on the first quarter of every validation stream, the final value on the whole
slice); the checkpoints are ``language_model_lstm.npz`` and ``language_model_bengio.npz``. At the end the
script prints both models' validation bpc beside the unigram baseline and samples text from the LSTM at
temperatures 0.5 and 1.0, drawn from the seeded stream (so ``--seed`` fixes the samples too).
"""
import math
import sys
import time
from pathlib import Path

# tinygradnb before NumPy: importing it shortens the time OpenBLAS's idle threads spin, which OpenBLAS reads
# when NumPy loads it, so that BLAS's threads and the kernels' threads take turns on the cores (README, Threads).
import tinygradnb as tg
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from datasets import load_shakespeare

import tinygradnb.nn.functional as F
from tinygradnb import nn, optim
from tinygradnb.data import Vocab, tokenize_chars
from tinygradnb.utils import clip_grad_norm_

LN2 = math.log(2.0)
N_HELD_OUT = 4          # the last 4 works alphabetically are the validation works
STREAMS_PER_WORK = 4    # validation streams taken from each held-out work
BURN_IN = 128           # characters of context fed before each validation stream, not scored
TARGET_BPC = 2.2


# ----------------------------------------------------------------------------- data
def split_works(works):
    """(train titles in file order, held-out titles): the last ``N_HELD_OUT`` titles alphabetically are held out."""
    held_out = sorted(works)[-N_HELD_OUT:]
    return [t for t in works if t not in held_out], held_out


class CharCodec:
    """Characters ↔ indices through a ``Vocab`` (with ``<unk>``), encoding whole texts with one table lookup."""

    def __init__(self, vocab):
        self.vocab = vocab
        self.codes = {ch: i for i, ch in enumerate(vocab.itos) if len(ch) == 1}
        top = max(ord(c) for c in self.codes) + 1
        self.table = np.full(top, vocab.unk_index, dtype=np.int64)
        for ch, i in self.codes.items():
            self.table[ord(ch)] = i

    def encode(self, text):
        cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        out = np.full(cp.shape, self.vocab.unk_index, dtype=np.int64)
        ok = cp < len(self.table)
        out[ok] = self.table[cp[ok]]
        return out

    def decode(self, ids):
        return "".join(self.vocab.itos[int(i)] if len(self.vocab.itos[int(i)]) == 1 else "\uFFFD" for i in ids)


def validation_streams(works, held_out, codec, val_chars):
    """The fixed validation slice: ``STREAMS_PER_WORK`` contiguous streams from each held-out work, starting a fifth
    of the way in (past the cast lists), each with ``BURN_IN`` characters of preceding text.
    Returns ids (S, BURN_IN + L + 1) int64, S = 4 streams per work: a model reads ids[:, :-1] and is scored on
    predicting ids[:, BURN_IN + 1:], L characters per stream; consecutive streams of a work score consecutive
    stretches of its text (each character once)."""
    n_streams = STREAMS_PER_WORK * len(held_out)
    length = max(val_chars // n_streams, 1)
    rows = []
    for title in held_out:
        ids = codec.encode(works[title])
        start = max(len(ids) // 5, BURN_IN)
        need = start + STREAMS_PER_WORK * length + 1
        if need > len(ids):
            raise ValueError(f"validation: {title} has {len(ids)} characters, fewer than the {need} needed; "
                             f"lower --val-chars")
        for k in range(STREAMS_PER_WORK):
            s = start + k * length
            rows.append(ids[s - BURN_IN:s + length + 1])
    return np.stack(rows)


# ----------------------------------------------------------------------------- models
class CharLSTM(nn.Module):
    """Embedding → LSTM → linear: logits of the next character at every position."""

    def __init__(self, vocab_size, embed, hidden, layers=1, dropout=0.0):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, dropout=dropout)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, vocab_size)

    def forward(self, x, hx=None):
        """x (T, B) int64 → (logits (T, B, V), (h_n, c_n))."""
        y, hx = self.lstm(self.embed(x), hx)
        return self.out(self.drop(y)), hx


class BengioLM(nn.Module):
    """Bengio et al. (2003): x = [C(w_{t−n}); …; C(w_{t−1})], y = b + W x + U tanh(d + H x), P = softmax(y)."""

    def __init__(self, vocab_size, context, embed, hidden, direct=True):
        super().__init__()
        self.context = context
        self.C = nn.Embedding(vocab_size, embed)
        self.H = nn.Linear(context * embed, hidden)          # d + H x
        self.U = nn.Linear(hidden, vocab_size)               # b + U tanh(·)
        self.W = nn.Linear(context * embed, vocab_size, bias=False) if direct else None

    def forward(self, window):
        """window (B, n) int64, the previous n characters oldest first → logits (B, V)."""
        x = self.C(window).reshape(window.shape[0], -1)
        y = self.U(tg.tanh(self.H(x)))
        return y + self.W(x) if self.W is not None else y


# ----------------------------------------------------------------------------- evaluation
def _device(model):
    """The device of the model's parameters ("cpu" or "cuda"), where its inputs must be."""
    return next(iter(model.parameters())).device


def lstm_bpc(model, val, length=None, chunk=256):
    """Bits per character of the LSTM over the validation streams (the first ``length`` scored characters of
    each, all when None): the burn-in is read first, the state carried across chunks."""
    model.eval()
    device = _device(model)
    inputs, targets = val[:, :-1], val[:, 1:]
    end = inputs.shape[1] if length is None else min(inputs.shape[1], BURN_IN + length)
    total, count, hx = 0.0, 0, None
    with tg.no_grad():
        for s in range(0, end, chunk):
            e = min(s + chunk, end)
            x = tg.tensor(np.ascontiguousarray(inputs[:, s:e].T), device=device)
            logits, hx = model(x, hx)
            lo = max(BURN_IN - s, 0)      # positions before the burn-in's end are not scored
            if lo >= e - s:
                continue
            y = tg.tensor(np.ascontiguousarray(targets[:, s + lo:e].T), device=device).reshape(-1)
            z = logits[lo:].reshape(-1, logits.shape[2])
            total += F.cross_entropy(z, y, reduction="sum").item()
            count += y.shape[0]
    model.train()
    return total / count / LN2


def bengio_windows(ids, positions, n):
    """The n characters before each position (oldest first) as a (len(positions), n) array."""
    return ids[positions[:, None] + np.arange(-n, 0)[None, :]]


def bengio_bpc(model, val, length=None, batch=8192):
    """Bits per character of the fixed-window model over the same scored characters as ``lstm_bpc``."""
    model.eval()
    device = _device(model)
    n = model.context
    stop = val.shape[1] if length is None else min(val.shape[1], BURN_IN + 1 + length)
    total, count = 0.0, 0
    with tg.no_grad():
        for row in val:
            pos = np.arange(BURN_IN + 1, stop)
            for s in range(0, len(pos), batch):
                p = pos[s:s + batch]
                logits = model(tg.tensor(bengio_windows(row, p, n), device=device))
                total += F.cross_entropy(logits, tg.tensor(row[p], device=device), reduction="sum").item()
                count += len(p)
    model.train()
    return total / count / LN2


def unigram_bpc(train_ids, val, vocab_size):
    """Add-one smoothed unigram: P(c) = (count(c) + 1) / (N + V), scored on the validation targets."""
    counts = np.bincount(train_ids, minlength=vocab_size).astype(np.float64)
    logp = np.log2((counts + 1.0) / (counts.sum() + vocab_size))
    return float(-logp[val[:, BURN_IN + 1:]].mean())


# ----------------------------------------------------------------------------- sampling
def sample(model, codec, prime, n_chars, temperature):
    """``n_chars`` characters from the LSTM after reading ``prime``: P ∝ softmax(logits / temperature), each draw
    from the seeded stream (``tg.multinomial``). The drawn characters stay on the model's device and are read
    back once, at the end."""
    model.eval()
    device = _device(model)
    out = []
    with tg.no_grad():
        ids = codec.encode(prime)
        logits, hx = model(tg.tensor(ids.reshape(-1, 1), device=device))
        for _ in range(n_chars):
            nxt = tg.multinomial(F.softmax(logits[-1, 0] / temperature, dim=-1), 1)
            out.append(nxt)
            logits, hx = model(nxt.reshape(1, 1), hx)
    model.train()
    return prime + codec.decode(tg.cat(out).tolist() if out else [])


# ----------------------------------------------------------------------------- training
def cosine_lr(lr, frac):
    """Cosine from lr down to lr/10 as the budget fraction goes 0 → 1."""
    frac = min(max(frac, 0.0), 1.0)
    return lr * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * frac)))


class Budget:
    """Stops training at a wall-clock budget of training time (evaluations excluded), a step cap or an epoch cap;
    ``fraction`` is how far along the tightest of them training is."""

    def __init__(self, seconds, max_steps=None, max_items=None):
        self.seconds, self.max_steps, self.max_items = seconds, max_steps, max_items
        self.elapsed, self.steps, self.items = 0.0, 0, 0

    def fraction(self):
        f = self.elapsed / self.seconds if self.seconds > 0 else 1.0
        if self.max_steps:
            f = max(f, self.steps / self.max_steps)
        if self.max_items:
            f = max(f, self.items / self.max_items)
        return f

    def done(self):
        return self.fraction() >= 1.0

    def estimate_total(self, step_seconds):
        est = int(self.seconds / max(step_seconds, 1e-6)) + 1
        if self.max_steps:
            est = min(est, self.max_steps)
        return max(est, 1)


def _steps(budget):
    while not budget.done():
        yield budget.steps


def train_lstm(args, train_ids, val, vocab_size):
    device = args.device
    model = CharLSTM(vocab_size, args.embed, args.hidden, args.layers, args.dropout).to(device)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    nb, nt = args.batch, args.bptt
    per = (len(train_ids) - 1) // nb
    if per < nt + 1:
        raise ValueError(f"LSTM: {len(train_ids)} training characters are too few for {nb} streams of {nt}")
    streams_x = train_ids[:nb * per].reshape(nb, per)
    streams_y = train_ids[1:nb * per + 1].reshape(nb, per)
    budget = Budget(args.minutes * 60.0, args.steps, args.epochs * nb * per)
    monitor = max((val.shape[1] - BURN_IN - 1) // 4, 1)
    history, losses = [], []                  # (step, train seconds, bpc); (step, train seconds, loss in bpc)
    state = {"pos": per, "hx": None, "epoch": 0}

    def batch():
        if state["pos"] + nt > per:           # new epoch: reset the state, shift the window grid randomly
            state["epoch"] += 1
            state["pos"] = int(tg.rand(1, dtype=tg.float64).item() * min(nt, per - nt))
            state["hx"] = None
        p = state["pos"]
        state["pos"] += nt
        return (tg.tensor(np.ascontiguousarray(streams_x[:, p:p + nt].T), device=device),
                tg.tensor(np.ascontiguousarray(streams_y[:, p:p + nt].T), device=device).reshape(-1))

    def step():
        t0 = time.perf_counter()
        for g in opt.param_groups:
            g["lr"] = cosine_lr(args.lr, budget.fraction())
        x, y = batch()
        hx = state["hx"]
        logits, (h, c) = model(x, hx)
        loss = F.cross_entropy(logits.reshape(-1, vocab_size), y)
        opt.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        state["hx"] = (h.detach(), c.detach())
        value = loss.item()                   # the step's one copy to the host (on a GPU: waits for the step)
        budget.elapsed += time.perf_counter() - t0
        budget.steps += 1
        budget.items += nb * nt
        losses.append((budget.steps, budget.elapsed, value / LN2))

    history.append((0, 0.0, lstm_bpc(model, val, monitor)))
    while budget.steps < 3 and not budget.done():   # measure the step time before sizing the progress bar
        step()
    step_s = budget.elapsed / max(budget.steps, 1)
    total = budget.estimate_total(step_s)
    print(f"LSTM: {sum(p.numel() for p in model.parameters()):,} parameters, H={args.hidden}, T={nt}, B={nb}: "
          f"{step_s * 1000:.0f} ms/step ({nb * nt / step_s:,.0f} chars/s), ~{total} steps in the budget")
    next_eval = args.eval_every
    for _ in common.progress(_steps(budget), total=total, desc="LSTM"):
        step()
        if budget.elapsed >= next_eval:
            history.append((budget.steps, budget.elapsed, lstm_bpc(model, val, monitor)))
            next_eval += args.eval_every
    final = lstm_bpc(model, val)
    return model, opt, {"bpc": final, "history": history, "train_loss": losses, "steps": budget.steps,
                        "seconds": budget.elapsed, "chars": budget.items, "epochs": state["epoch"],
                        "chars_per_s": budget.items / max(budget.elapsed, 1e-9)}


def train_bengio(args, train_ids, val, vocab_size):
    n = args.context
    device = args.device
    model = BengioLM(vocab_size, n, args.bengio_embed, args.bengio_hidden, direct=args.direct).to(device)
    opt = optim.Adam(model.parameters(), lr=args.bengio_lr)
    budget = Budget(args.bengio_minutes * 60.0, args.bengio_steps, args.epochs * len(train_ids))
    monitor = max((val.shape[1] - BURN_IN - 1) // 4, 1)
    history, losses = [], []
    nb = args.bengio_batch

    def step():
        t0 = time.perf_counter()
        for g in opt.param_groups:
            g["lr"] = cosine_lr(args.bengio_lr, budget.fraction())
        u = tg.rand(nb, dtype=tg.float64).numpy()   # drawn on the host, which builds the windows
        pos = n + np.minimum((u * (len(train_ids) - n)).astype(np.int64), len(train_ids) - n - 1)
        logits = model(tg.tensor(bengio_windows(train_ids, pos, n), device=device))
        loss = F.cross_entropy(logits, tg.tensor(train_ids[pos], device=device))
        opt.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        value = loss.item()
        budget.elapsed += time.perf_counter() - t0
        budget.steps += 1
        budget.items += nb
        losses.append((budget.steps, budget.elapsed, value / LN2))

    history.append((0, 0.0, bengio_bpc(model, val, monitor)))
    while budget.steps < 3 and not budget.done():
        step()
    step_s = budget.elapsed / max(budget.steps, 1)
    total = budget.estimate_total(step_s)
    print(f"Bengio: {sum(p.numel() for p in model.parameters()):,} parameters, n={n}, hidden {args.bengio_hidden}, "
          f"batch {nb}: {step_s * 1000:.1f} ms/step, ~{total} steps in the budget")
    eval_every = args.eval_every * args.bengio_minutes / max(args.minutes, 1e-9)
    next_eval = eval_every
    for _ in common.progress(_steps(budget), total=total, desc="Bengio"):
        step()
        if budget.elapsed >= next_eval:
            history.append((budget.steps, budget.elapsed, bengio_bpc(model, val, monitor)))
            next_eval += eval_every
    final = bengio_bpc(model, val)
    return model, opt, {"bpc": final, "history": history, "train_loss": losses, "steps": budget.steps,
                        "seconds": budget.elapsed, "windows": budget.items}


# ----------------------------------------------------------------------------- script
def build_parser():
    p = common.parser(__doc__.splitlines()[0], epochs=10, lr=1e-2)
    p.epilog = ("--device cuda trains and scores both models on an NVIDIA GPU (NUMBA_ENABLE_CUDASIM=1: Numba's slow "
                "simulator); with --steps and --bengio-steps caps it is the same run as on the CPU to float32 "
                "rounding (the time budgets count the GPU's own steps).")
    p.add_argument("--minutes", type=float, default=8.0, help="LSTM training wall-clock budget (default 8)")
    p.add_argument("--steps", type=int, default=None, help="cap on LSTM steps (default: none, the budget rules)")
    p.add_argument("--hidden", type=int, default=256, help="LSTM hidden size (default 256)")
    p.add_argument("--embed", type=int, default=64, help="LSTM character embedding size (default 64)")
    p.add_argument("--layers", type=int, default=1, help="LSTM layers (default 1)")
    p.add_argument("--dropout", type=float, default=0.0, help="LSTM dropout (default 0)")
    p.add_argument("--bptt", type=int, default=64, help="truncated BPTT window T (default 64)")
    p.add_argument("--batch", type=int, default=32, help="LSTM streams B (default 32)")
    p.add_argument("--clip", type=float, default=1.0, help="gradient norm clip τ (default 1)")
    p.add_argument("--bengio-minutes", type=float, default=1.2, help="Bengio training budget (default 1.2)")
    p.add_argument("--bengio-steps", type=int, default=None, help="cap on Bengio steps (default: none)")
    p.add_argument("--context", type=int, default=10, help="Bengio window n, previous characters (default 10)")
    p.add_argument("--bengio-embed", type=int, default=24, help="Bengio embedding size per character (default 24)")
    p.add_argument("--bengio-hidden", type=int, default=512, help="Bengio tanh hidden units (default 512)")
    p.add_argument("--bengio-batch", type=int, default=256, help="Bengio windows per step (default 256)")
    p.add_argument("--bengio-lr", type=float, default=5e-3, help="Bengio Adam learning rate (default 5e-3)")
    p.add_argument("--no-direct", dest="direct", action="store_false",
                   help="drop Bengio's direct input→output connections W x")
    p.add_argument("--val-chars", type=int, default=120_000, help="scored validation characters (default 120000)")
    p.add_argument("--eval-every", type=float, default=30.0,
                   help="seconds of LSTM training between validation points on the plot (default 30)")
    p.add_argument("--sample-chars", type=int, default=300, help="characters sampled per temperature (default 300)")
    return p


def run(args):
    """Train and score both models; returns a dict of metrics, histories, samples and paths."""
    works = load_shakespeare()
    train_titles, held_out = split_works(works)
    train_text = "".join(works[t] for t in train_titles)
    val_chars = args.val_chars
    if args.limit is not None:
        train_text = train_text[:args.limit]
        val_chars = min(val_chars, args.limit)
    vocab = Vocab.build([tokenize_chars(train_text)], specials=("<unk>",))
    codec = CharCodec(vocab)
    train_ids = codec.encode(train_text)
    val = validation_streams(works, held_out, codec, val_chars)
    scored = val.shape[0] * (val.shape[1] - BURN_IN - 1)
    print(f"training: {len(train_titles)} works, {len(train_ids):,} characters; held out: {', '.join(held_out)}; "
          f"validation slice: {val.shape[0]} streams, {scored:,} scored characters; vocabulary {len(vocab)}")

    uni = unigram_bpc(train_ids, val, len(vocab))
    lstm, lstm_opt, L = train_lstm(args, train_ids, val, len(vocab))
    print(f"LSTM: {L['steps']} steps, {L['chars']:,} characters ({L['chars'] / len(train_ids):.2f} epochs) in "
          f"{L['seconds']:.0f} s of training: validation {L['bpc']:.3f} bpc")
    bengio, bengio_opt, B = train_bengio(args, train_ids, val, len(vocab))
    print(f"Bengio: {B['steps']} steps, {B['windows']:,} windows in {B['seconds']:.0f} s of training: "
          f"validation {B['bpc']:.3f} bpc")

    samples = {}
    for temp in (0.5, 1.0):
        samples[temp] = sample(lstm, codec, "\n", args.sample_chars, temp)

    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    ck_lstm = args.out / "language_model_lstm.npz"
    ck_bengio = args.out / "language_model_bengio.npz"
    common.save_checkpoint(ck_lstm, lstm, lstm_opt, vocab=vocab.state_dict(), config=config,
                           val_bpc=L["bpc"], held_out=held_out)
    common.save_checkpoint(ck_bengio, bengio, bengio_opt, vocab=vocab.state_dict(), config=config,
                           val_bpc=B["bpc"], held_out=held_out)

    def draw(plt):
        _, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.5))
        for name, R, color in (("LSTM", L, "C0"), (f"Bengio et al. (n={args.context})", B, "C1")):
            h = np.array(R["history"])
            a1.plot(h[:, 1], h[:, 2], "o-", color=color, ms=3, label=f"{name} (first quarter of each stream)")
            a1.plot([R["seconds"]], [R["bpc"]], "*", color=color, ms=12, label=f"{name} final, full slice: "
                                                                                f"{R['bpc']:.2f}")
            t = np.array(R["train_loss"])
            k = max(len(t) // 100, 1)
            sm = np.convolve(t[:, 2], np.ones(k) / k, mode="valid")
            a2.plot(t[k - 1:, 1], sm, color=color, label=name)
        a1.axhline(uni, color="gray", ls="--", label=f"unigram (add-one): {uni:.2f}")
        a1.axhline(TARGET_BPC, color="red", ls=":", label=f"target {TARGET_BPC}")
        a1.set_xlabel("training time (s)")
        a1.set_ylabel("validation bits per character")
        a1.set_ylim(1.4, max(uni + 0.6, 5.0))
        a1.set_title("held-out works: " + ", ".join(held_out), fontsize=8)
        a1.legend(fontsize=7)
        a2.set_xlabel("training time (s)")
        a2.set_ylabel("training loss (bits per character, smoothed)")
        a2.set_ylim(1.2, 5.0)
        a2.legend(fontsize=8)

    plot = common.save_plot(args.out / "language_model.png", draw)

    print("\nsamples from the LSTM:")
    for temp, text in samples.items():
        print(f"--- temperature {temp} ---\n{text}\n")
    print(f"validation bits per character on {scored:,} characters of {', '.join(held_out)}:")
    print(f"  {'unigram baseline (add-one)':<34s} {uni:.3f}")
    print(f"  {f'Bengio et al. fixed window n={args.context}':<34s} {B['bpc']:.3f}   "
          f"({B['seconds']:.0f} s of training)")
    print(f"  {f'LSTM H={args.hidden}':<34s} {L['bpc']:.3f}   ({L['seconds']:.0f} s of training, "
          f"target <= {TARGET_BPC}: {'met' if L['bpc'] <= TARGET_BPC else 'NOT met'})")
    return {"unigram_bpc": uni, "lstm_bpc": L["bpc"], "bengio_bpc": B["bpc"], "lstm": L, "bengio": B,
            "samples": samples, "vocab_size": len(vocab), "scored_chars": scored, "held_out": held_out,
            "checkpoints": [ck_lstm, ck_bengio], "plot": plot, "models": {"lstm": lstm, "bengio": bengio}}


def main(argv=None):
    args = build_parser().parse_args(argv)
    common.setup(args, cuda=True)
    with common.Timer() as timer:
        run(args)
    print(f"total wall time {timer.seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
