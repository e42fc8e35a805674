"""Encoder–decoder translation with attention on a toy task generated in the script: English number words to
digits ("three hundred forty two thousand six" → "342006"), against the same decoder without attention.

    python examples/seq2seq.py [--epochs 10] [--train-size 4000] [--test-size 2000] [--hidden 128] [--lr 3e-3]
                               [--seed 0] [--out DIR]
    python examples/seq2seq.py --limit 300 --test-size 100 --epochs 1     # a few-second smoke run
    python examples/seq2seq.py --device cuda                              # on an NVIDIA GPU

Data: numbers 0 … 999 999, the digit count drawn uniformly from 1–6 and then the number uniformly among those
with that many digits, from the seeded stream (``--seed``); the distinct numbers are split into a training set
and a held-out set, so no held-out number is ever seen in training (and, since the small numbers are few and
mostly drawn into the training set, the held-out set is nearly all 3- to 6-digit numbers). Words follow American
usage without "and": 305 is "three hundred five", 12 000 is "twelve thousand".

Model (Luong et al. 2015, with input feeding):
* encoder: word embeddings → bidirectional GRU over the words (padding handled by ``lengths``), states
  h_j = [→h_j; ←h_j];
* decoder: a GRU cell over the previous digit's embedding and the previous attentional vector,
  s_t = GRU([E(y_{t−1}); h̃_{t−1}], s_{t−1}), s_0 = tanh(W_0 [→h_S; ←h_1]);
* attention: scores e_tj = (s_t)·(W_a h_j)/√d over the valid words, α_t = softmax(e_t), context c_t = Σ_j α_tj h_j
  (``F.scaled_dot_product_attention`` with a padding mask), h̃_t = tanh(W_c [c_t; s_t]), P(y_t) = softmax(W_o h̃_t);
* baseline: the same decoder without attention, h̃_t = tanh(W_c s_t): everything it knows about the source passes
  through s_0, the encoder's final states (Sutskever et al. 2014). (A constant answer scores 0: the held-out
  numbers are distinct and none occurs in training.)

Training uses teacher forcing (the true previous digit is fed) and cross-entropy over the digits and ``<eos>``;
evaluation decodes greedily (argmax at every step until ``<eos>``) and counts exact matches on the held-out
numbers. Both models get the same epochs, batches and learning rate. With the default 4 000 training numbers the
baseline is still clearly behind after 10 epochs; with ``--train-size 20000`` both reach 100 % and the difference
is in how fast (the summary prints the first epoch at ≥ 99 %). The plot (``seq2seq.png`` in ``--out``)
shows the attention weights of one held-out example as a heat map beside the held-out accuracy per epoch; the
checkpoints are ``seq2seq_attention.npz`` and ``seq2seq_no_attention.npz``.

``--device cuda`` trains and evaluates both models on the GPU, the same run as on the CPU to float32 rounding
(batches and targets are built on the device; greedy decoding reads the decoded digits back once per batch).
"""
import sys
from collections import Counter
from pathlib import Path

# tinygradnb before NumPy: importing it shortens the time OpenBLAS's idle threads spin, which OpenBLAS reads
# when NumPy loads it, so that BLAS's threads and the kernels' threads take turns on the cores (README, Threads).
import tinygradnb as tg
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

import tinygradnb.nn.functional as F
from tinygradnb import nn, optim
from tinygradnb.data import DataLoader, Vocab, pad_sequences
from tinygradnb.utils import clip_grad_norm_

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
MAX_DIGITS = 6


# ----------------------------------------------------------------------------- data
def below_thousand(n):
    """Words of 1 ≤ n ≤ 999 (no "and")."""
    words = []
    if n >= 100:
        words += [ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(TENS[n // 10])
        n %= 10
    if n > 0:
        words.append(ONES[n])
    return words


def number_words(n):
    """English words of 0 ≤ n ≤ 999 999 as a list: 342006 → three hundred forty two thousand six."""
    if not 0 <= n < 10 ** MAX_DIGITS:
        raise ValueError(f"number_words: expected 0 <= n < {10 ** MAX_DIGITS}, got {n}")
    if n == 0:
        return ["zero"]
    words = []
    if n >= 1000:
        words += below_thousand(n // 1000) + ["thousand"]
        n %= 1000
    if n > 0:
        words += below_thousand(n)
    return words


def draw_numbers(count):
    """``count`` distinct numbers from the seeded stream: digit count uniform in 1..6, then uniform within it."""
    limit = 10 ** (MAX_DIGITS - 1) * 9 + sum(9 * 10 ** (d - 1) for d in range(1, MAX_DIGITS)) + 1
    if count > limit:
        raise ValueError(f"draw_numbers: only {limit} numbers exist, asked for {count}")
    seen, out = set(), []
    while len(out) < count:
        u = tg.rand(2, 4 * count, dtype=tg.float64).numpy()
        digits = 1 + np.minimum((u[0] * MAX_DIGITS).astype(np.int64), MAX_DIGITS - 1)
        lo = np.where(digits == 1, 0, 10 ** (digits - 1))
        hi = 10 ** digits
        nums = lo + np.minimum((u[1] * (hi - lo)).astype(np.int64), hi - lo - 1)
        for v in nums.tolist():
            if v not in seen:
                seen.add(v)
                out.append(v)
                if len(out) == count:
                    break
    return out


def make_vocabs():
    src = Vocab.build([ONES + TENS[2:] + ["hundred", "thousand"]], specials=("<pad>",))
    tgt = Vocab(["<pad>", "<bos>", "<eos>"] + [str(d) for d in range(10)], pad="<pad>", unk=None)
    return src, tgt


def encode_pairs(numbers, src, tgt):
    """(source word ids, target digit ids + <eos>) per number."""
    eos = tgt.stoi["<eos>"]
    return [(src.encode(number_words(n)), tgt.encode(list(str(n))) + [eos]) for n in numbers]


def collate(items, bos, device="cpu"):
    """Pad a batch: source (B, S), lengths (B,), key mask (B, 1, S) True on real words; decoder inputs
    <bos> y_1 … y_{L−1} and targets y_1 … y_L <eos> (B, L), padded with 0 (= <pad>, ignored by the loss). All
    on ``device`` but the lengths, which stay on the host (the encoder checks them there, as PyTorch's packing)."""
    srcs, tgts = zip(*items)
    x, lengths, mask = pad_sequences(srcs)
    y, _, _ = pad_sequences(tgts, device=device)
    y_in, _, _ = pad_sequences([[bos] + t[:-1] for t in tgts], device=device)
    return x.to(device), lengths, mask.unsqueeze(1).to(device), y_in, y


# ----------------------------------------------------------------------------- model
class Seq2Seq(nn.Module):
    """Bidirectional-GRU encoder; GRU-cell decoder with (``attention=True``) or without Luong attention."""

    def __init__(self, src_vocab, tgt_vocab, embed, hidden, attention=True):
        super().__init__()
        self.attention, self.hidden = attention, hidden
        self.src_embed = nn.Embedding(src_vocab, embed, padding_idx=0)
        self.encoder = nn.GRU(embed, hidden, batch_first=True, bidirectional=True)
        self.init = nn.Linear(2 * hidden, hidden)                          # s_0 = tanh(W_0 [→h_S; ←h_1])
        self.tgt_embed = nn.Embedding(tgt_vocab, embed, padding_idx=0)
        self.cell = nn.GRUCell(embed + hidden, hidden)                     # input: [E(y_{t−1}); h̃_{t−1}]
        if attention:
            self.key = nn.Linear(2 * hidden, hidden, bias=False)           # W_a h_j
            self.combine = nn.Linear(2 * hidden + hidden, hidden)          # W_c [c_t; s_t]
        else:
            self.combine = nn.Linear(hidden, hidden)                       # W_c s_t
        self.out = nn.Linear(hidden, tgt_vocab)

    def encode(self, x, lengths, mask):
        enc, h_n = self.encoder(self.src_embed(x), lengths=lengths)        # (B, S, 2H), (2, B, H)
        s = tg.tanh(self.init(tg.concat([h_n[0], h_n[1]], axis=1)))
        keys = self.key(enc) if self.attention else None
        feed = tg.zeros(x.shape[0], self.hidden, device=x.device)
        return {"enc": enc, "keys": keys, "mask": mask, "s": s, "feed": feed}

    def step(self, y_prev, state):
        """One decoder step from the previous digits y_prev (B,): returns logits (B, V) and the weights α (B, S)."""
        s = self.cell(tg.concat([self.tgt_embed(y_prev), state["feed"]], axis=1), state["s"])
        if self.attention:
            ctx, alpha = F.scaled_dot_product_attention(s.unsqueeze(1), state["keys"], state["enc"],
                                                        mask=state["mask"], return_weights=True)
            h = tg.tanh(self.combine(tg.concat([ctx.squeeze(1), s], axis=1)))
            alpha = alpha.squeeze(1)
        else:
            h, alpha = tg.tanh(self.combine(s)), None
        state["s"], state["feed"] = s, h
        return self.out(h), alpha

    def forward(self, x, lengths, mask, y_in):
        """Teacher forcing: logits (B, L, V) for decoder inputs y_in (B, L)."""
        state = self.encode(x, lengths, mask)
        logits = [self.step(y_in[:, t], state)[0] for t in range(y_in.shape[1])]
        return tg.stack(logits, axis=1)

    def greedy(self, x, lengths, mask, bos, eos, max_len=MAX_DIGITS + 2):
        """Greedy decoding: the argmax digit fed back at every step. Returns the output ids per sample (up to
        <eos>) and the attention weights (B, steps, S) (None without attention)."""
        with tg.no_grad():
            state = self.encode(x, lengths, mask)
            y = tg.full((x.shape[0],), bos, dtype=tg.int64, device=x.device)
            outs, alphas = [], []
            for _ in range(max_len):
                logits, alpha = self.step(y, state)
                y = logits.argmax(dim=1)
                outs.append(y)
                if alpha is not None:
                    alphas.append(alpha)
            outs = tg.stack(outs, axis=1).numpy()       # one copy to the host per batch
            alphas = tg.stack(alphas, axis=1).numpy() if alphas else None
        seqs = []
        for row in outs:
            stop = np.flatnonzero(row == eos)
            seqs.append(row[:stop[0]] if len(stop) else row)
        return seqs, alphas


# ----------------------------------------------------------------------------- training and evaluation
def exact_match(model, pairs, src, tgt, batch=512):
    """Fraction of ``pairs`` whose greedy output equals the target digits exactly; also the decoded strings."""
    model.eval()
    device = next(iter(model.parameters())).device
    bos, eos = tgt.stoi["<bos>"], tgt.stoi["<eos>"]
    right, decoded = 0, []
    for s in range(0, len(pairs), batch):
        chunk = pairs[s:s + batch]
        x, lengths, mask, _, _ = collate(chunk, bos, device)
        seqs, _ = model.greedy(x, lengths, mask, bos, eos)
        for (_, t), out in zip(chunk, seqs):
            text = "".join(tgt.decode(out))
            decoded.append(text)
            right += text == "".join(tgt.decode(t[:-1]))
    model.train()
    return right / max(len(pairs), 1), decoded


def train(name, model, args, train_pairs, test_pairs, src, tgt):
    opt = optim.Adam(model.parameters(), lr=args.lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(args.epochs, 1), eta_min=args.lr / 10)
    bos, device = tgt.stoi["<bos>"], next(iter(model.parameters())).device
    loader = DataLoader(train_pairs, batch_size=args.batch, shuffle=True,
                        collate_fn=lambda b: collate(b, bos, device))
    losses, curve = [], []
    with common.Timer() as timer:
        for epoch in range(1, args.epochs + 1):
            total, n = 0.0, 0
            for x, lengths, mask, y_in, y in common.progress(loader, total=len(loader), desc=f"{name} {epoch}"):
                logits = model(x, lengths, mask, y_in)
                loss = F.cross_entropy(logits.reshape(-1, logits.shape[2]), y.reshape(-1), ignore_index=0)
                opt.zero_grad()
                loss.backward()
                clip_grad_norm_(model.parameters(), args.clip)
                opt.step()
                value = loss.item()                 # the step's one copy to the host
                losses.append(value)
                total, n = total + value, n + 1
            sched.step()
            acc, _ = exact_match(model, test_pairs, src, tgt)
            curve.append(acc)
            print(f"{name}: epoch {epoch}  train loss {total / n:.4f}  held-out exact match {acc:.2%}")
    return opt, {"train_loss": losses, "accuracy": curve, "seconds": timer.seconds}


def build_parser():
    p = common.parser(__doc__.splitlines()[0], epochs=10, lr=3e-3)
    p.epilog = ("--device cuda trains and evaluates both models on an NVIDIA GPU (NUMBA_ENABLE_CUDASIM=1: Numba's "
                "slow simulator), the same run as on the CPU to float32 rounding.")
    p.add_argument("--train-size", type=int, default=4000, help="training numbers (default 4000)")
    p.add_argument("--test-size", type=int, default=2000, help="held-out numbers (default 2000)")
    p.add_argument("--embed", type=int, default=32, help="embedding size (default 32)")
    p.add_argument("--hidden", type=int, default=128, help="encoder (per direction) and decoder size (default 128)")
    p.add_argument("--batch", type=int, default=64, help="batch size (default 64)")
    p.add_argument("--clip", type=float, default=1.0, help="gradient norm clip (default 1)")
    p.add_argument("--examples", type=int, default=8, help="held-out translations to print (default 8)")
    return p


def run(args):
    """Generate the data, train both models, evaluate, plot; returns a dict of metrics and histories."""
    n_train = args.train_size if args.limit is None else min(args.train_size, args.limit)
    numbers = draw_numbers(n_train + args.test_size)
    train_numbers, test_numbers = numbers[:n_train], numbers[n_train:]
    assert not set(train_numbers) & set(test_numbers)
    src, tgt = make_vocabs()
    train_pairs = encode_pairs(train_numbers, src, tgt)
    test_pairs = encode_pairs(test_numbers, src, tgt)
    digits = Counter(len(str(n)) for n in test_numbers)
    print(f"{len(train_pairs)} training and {len(test_pairs)} held-out numbers (no overlap); held-out digit counts "
          + ", ".join(f"{d}: {digits[d]}" for d in sorted(digits)))

    models, results = {}, {}
    for name, attention in (("attention", True), ("no attention", False)):
        model = Seq2Seq(len(src), len(tgt), args.embed, args.hidden, attention=attention).to(args.device)
        opt, hist = train(name, model, args, train_pairs, test_pairs, src, tgt)
        acc, decoded = exact_match(model, test_pairs, src, tgt)
        models[name], results[name] = (model, opt), {**hist, "exact_match": acc, "decoded": decoded}
        tag = name.replace(" ", "_")
        common.save_checkpoint(args.out / f"seq2seq_{tag}.npz", model, opt, src_vocab=src.state_dict(),
                               tgt_vocab=tgt.state_dict(), exact_match=acc, epochs=args.epochs)

    att, base = results["attention"], results["no attention"]
    # The first held-out items, then (up to half of the lines) items that either model gets wrong.
    wrong = [i for i, n in enumerate(test_numbers) if str(n) not in (att["decoded"][i], base["decoded"][i])]
    k = min(len(wrong), args.examples // 2)
    shown = [i for i in range(len(test_numbers)) if i not in wrong[:k]][:args.examples - k] + wrong[:k]
    print("\nheld-out translations (attention | no attention):")
    for i in shown:
        words = " ".join(number_words(test_numbers[i]))
        a, b, want = att["decoded"][i], base["decoded"][i], str(test_numbers[i])
        print(f"  {words:<66s} → {a:>7s} ({'ok' if a == want else 'WRONG'}) | "
              f"{b:>7s} ({'ok' if b == want else 'WRONG'})")

    # The heat map: the first held-out example with at least 5 words, else the first one.
    pick = next((i for i, n in enumerate(test_numbers) if len(number_words(n)) >= 5), 0)
    x, lengths, mask, _, _ = collate([test_pairs[pick]], tgt.stoi["<bos>"], args.device)
    model = models["attention"][0]
    model.eval()
    seqs, alphas = model.greedy(x, lengths, mask, tgt.stoi["<bos>"], tgt.stoi["<eos>"])
    out_tokens = tgt.decode(seqs[0]) + ["<eos>"]
    weights = alphas[0, :len(out_tokens)]
    src_words = number_words(test_numbers[pick])

    def draw(plt):
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [1.3, 1]})
        im = a1.imshow(weights, cmap="viridis", vmin=0, vmax=1, aspect="auto")
        a1.set_xticks(range(len(src_words)), src_words, rotation=45, ha="right")
        a1.set_yticks(range(len(out_tokens)), out_tokens)
        a1.set_xlabel("source words")
        a1.set_ylabel("decoded output")
        a1.set_title(f"attention weights α: held-out {test_numbers[pick]}, decoded "
                     f"{''.join(tgt.decode(seqs[0]))}")
        fig.colorbar(im, ax=a1)
        ep = np.arange(1, args.epochs + 1)
        a2.plot(ep, att["accuracy"], "o-", label="attention")
        a2.plot(ep, base["accuracy"], "s-", label="no attention (final encoder state only)")
        a2.set_xlabel("epoch")
        a2.set_xticks(ep)
        a2.set_ylabel("held-out exact match")
        a2.set_ylim(-0.02, 1.02)
        a2.legend(fontsize=8)

    plot = common.save_plot(args.out / "seq2seq.png", draw)
    print(f"\nheld-out exact match on {len(test_pairs)} numbers never seen in training:")
    for label, r in (("encoder-decoder with attention", att), ("same decoder without attention", base)):
        first = next((e for e, a in enumerate(r["accuracy"], 1) if a >= 0.99), None)
        reached = f"epoch {first}" if first else "not reached"
        print(f"  {label:<32s} {r['exact_match']:7.2%}   ({r['seconds']:.0f} s; >= 99 % first at: {reached})")
    return {"attention_exact_match": att["exact_match"], "no_attention_exact_match": base["exact_match"],
            "attention": att, "no_attention": base, "attention_weights": weights,
            "heatmap_example": test_numbers[pick], "plot": plot,
            "checkpoints": [args.out / "seq2seq_attention.npz", args.out / "seq2seq_no_attention.npz"],
            "models": {name: model for name, (model, _) in models.items()}}


def main(argv=None):
    args = build_parser().parse_args(argv)
    common.setup(args, cuda=True)
    with common.Timer() as timer:
        run(args)
    print(f"total wall time {timer.seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
