"""Packed and padded batches of variable-length sequences (``torch.nn.utils.rnn`` in small).

A batch of B sequences of lengths L_b (longest T) lives either *padded*, one tensor (T, B, *) (or (B, T, *) with
``batch_first``) whose rows past a sequence's length hold ``padding_value``, or *packed*, a ``PackedSequence``:
``data`` (ΣL_b, *) holds the valid rows time step by time step — the rows of step t of the sequences still running
at t, longest first — and ``batch_sizes`` (T,) how many sequences run at each step. ``sorted_indices`` says which
sample sits at each sorted position (None when the batch came sorted by decreasing length), ``unsorted_indices``
the inverse permutation. ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` take and return PackedSequences.

Packing and unpacking are row gathers (``index_select``) with indices built on the host from the lengths, so they
are differentiable and run on any device: ``data`` and the index tensors stay on the data's device, ``batch_sizes``
and the returned lengths are CPU int64 tensors, as in PyTorch.
"""
import numbers
from collections import namedtuple
from collections.abc import Iterable

import numpy as np

from ... import creation
from ...ops.shape import concat, index_select, unbind
from ...tensor import Tensor, int64

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]

_SORT_HINT = ("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
              "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if "
              "you do not need ONNX exportability.")


def _host(t):
    """A tensor's values as a host NumPy array (waits for the device)."""
    return np.asarray(t.numpy())


def _index(arr, device):
    """A host integer array as an int64 tensor on ``device``."""
    return creation.tensor(np.ascontiguousarray(arr, dtype=np.int64), dtype=int64, device=device)


def invert_permutation(permutation):
    """The inverse of the 1-D permutation ``permutation`` (None for None), on its device, as
    ``torch.nn.utils.rnn.invert_permutation``."""
    if permutation is None:
        return None
    if not isinstance(permutation, Tensor):
        raise TypeError(f"invert_permutation: permutation must be a Tensor or None, got {type(permutation).__name__}")
    if permutation.dtype.kind not in "iu" or permutation.ndim != 1:
        raise RuntimeError(f"invert_permutation: permutation must be a 1-D integer tensor, got shape "
                           f"{tuple(permutation.shape)} and dtype {permutation.dtype}")
    p = _host(permutation).astype(np.int64)
    n = p.shape[0]
    if not np.array_equal(np.sort(p), np.arange(n)):
        raise RuntimeError(f"invert_permutation: permutation must hold each of 0..{n - 1} once, got {p.tolist()}")
    inv = np.empty(n, np.int64)
    inv[p] = np.arange(n)
    return _index(inv, permutation.device)


_PackedSequenceBase = namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    """A packed batch of variable-length sequences, the named tuple (data, batch_sizes, sorted_indices,
    unsorted_indices) of ``torch.nn.utils.rnn.PackedSequence``. Build one with ``pack_padded_sequence`` or
    ``pack_sequence``; ``data`` may be on any device, ``batch_sizes`` is always a CPU int64 tensor, the index
    tensors are int64 on the data's device (or None for a batch that came sorted)."""
    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence((data, batch_sizes), sorted_indices=...)
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise TypeError("PackedSequence: without batch_sizes, data must be a pair (data, batch_sizes), got "
                                f"{type(data).__name__}")
            data, batch_sizes = data
        if not isinstance(batch_sizes, Tensor):
            raise TypeError(f"PackedSequence: batch_sizes must be a Tensor, got {type(batch_sizes).__name__}")
        if batch_sizes.device != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                             "created manually. They should be instantiated by functions like pack_sequence and "
                             "pack_padded_sequences in nn.utils.rnn.")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """``data`` converted as ``Tensor.to`` (a device, a dtype, or a tensor whose device and dtype to take;
        ``device=`` and ``dtype=`` as keywords); the index tensors follow the data's device, ``batch_sizes`` stays
        on the CPU. Returns ``self`` when nothing changes."""
        targets = []
        for a in args:
            targets += [a.device, a.dtype] if isinstance(a, Tensor) else [a]
        for k in ("device", "dtype"):
            if kwargs.get(k) is not None:
                targets.append(kwargs[k])
        unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy"}
        if unknown:
            raise TypeError(f"PackedSequence.to: unexpected keyword argument(s) {sorted(unknown)}")
        data = self.data
        for t in targets:
            data = data.to(t)
        if data is self.data:
            return self

        def move(t):
            return None if t is None else t.to(data.device)
        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def cuda(self):
        return self.to("cuda")

    def cpu(self):
        return self.to("cpu")

    def double(self):
        return self.to(np.dtype(np.float64))

    def float(self):
        return self.to(np.dtype(np.float32))

    def long(self):
        return self.to(np.dtype(np.int64))

    def int(self):
        return self.to(np.dtype(np.int32))

    @property
    def is_cuda(self):
        """True when ``data`` is on a CUDA device."""
        return self.data.device == "cuda"


# ----------------------------------------------------------------------------- index maps
def _lengths_array(lengths, fn):
    """``lengths`` (a list, tuple, array or CPU tensor; floats truncate as PyTorch's int64 conversion) as a 1-D
    host int64 array."""
    if isinstance(lengths, Tensor):
        if lengths.device != "cpu" or lengths.ndim != 1:
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.ndim}D "
                               f"{lengths.device} tensor ({fn}: move it with lengths.cpu())")
        arr = _host(lengths)
    else:
        try:
            arr = np.asarray(lengths)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{fn}: lengths must be a list or a CPU tensor of ints, got {type(lengths).__name__}") \
                from e
        if arr.dtype.kind not in "iufb":
            raise TypeError(f"{fn}: lengths must be a list or a CPU tensor of ints, got {lengths!r}")
        if arr.ndim != 1:
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {arr.ndim}D cpu tensor "
                               f"({fn}: one length per batch sample)")
    if arr.dtype.kind not in "iufb":
        raise TypeError(f"{fn}: lengths must hold numbers, got dtype {arr.dtype}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise RuntimeError(f"{fn}: lengths must be finite, got {arr.tolist()}")
    return arr.astype(np.int64)


def _batch_sizes_array(batch_sizes, nrows, fn):
    """A PackedSequence's batch_sizes as a host int64 array, checked against its data's number of rows."""
    if not isinstance(batch_sizes, Tensor) or batch_sizes.ndim != 1 or batch_sizes.dtype.kind not in "iu":
        raise TypeError(f"{fn}: batch_sizes must be a 1-D integer tensor, got {batch_sizes!r}")
    bs = _host(batch_sizes).astype(np.int64)
    if bs.size == 0 or bs.min() < 1 or np.any(np.diff(bs) > 0):
        raise RuntimeError(f"{fn}: batch_sizes must be positive and non-increasing, got {bs.tolist()}")
    if int(bs.sum()) != nrows:
        raise RuntimeError(f"{fn}: batch_sizes sum to {int(bs.sum())} but data has {nrows} rows")
    return bs


def _pack_rows(nt, nb, batch_sizes, order, batch_first):
    """The rows of a padded tensor flattened to (T·B, *) (or (B·T, *) with ``batch_first``) that make a packed
    ``data``: for each step t, the samples ``order[j]`` for j < batch_sizes[t]."""
    rows = []
    for t, n in enumerate(batch_sizes):
        b = order[:n]
        rows.append(b * nt + t if batch_first else t * nb + b)
    return np.concatenate(rows)


def _padded_rows(batch_sizes, unsorted, nrows, total, batch_first):
    """For each position of a padded (total, B) (or (B, total)) tensor, the row of ``data`` it reads, or
    ``nrows`` (the padding row) past the sample's length. ``unsorted[b]`` is sample b's sorted position."""
    nt = batch_sizes.shape[0]
    bs = np.zeros(total, np.int64)
    bs[:nt] = batch_sizes
    offsets = np.zeros(total, np.int64)
    offsets[1:nt] = np.cumsum(batch_sizes)[:-1]
    u = unsorted[None, :]
    src = np.where(u < bs[:, None], offsets[:, None] + u, nrows)
    return (src.T if batch_first else src).reshape(-1)


def _lengths_of(counts, n):
    """For j < n, how many of ``counts`` exceed j: each sorted position's length from the batch sizes, and each
    step's batch size from the lengths."""
    return (counts[None, :] > np.arange(n)[:, None]).sum(axis=1).astype(np.int64)


def _pad_row(data, padding_value):
    """One row shaped like data's rows, filled with ``padding_value`` (converted to data's dtype as PyTorch)."""
    kind = data.dtype.kind
    v = bool(padding_value) if kind == "b" else int(padding_value) if kind in "iu" else float(padding_value)
    return creation.full((1,) + tuple(data.shape[1:]), v, dtype=data.dtype, device=data.device)


def _check_flag(v, name, fn):
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{fn}: {name} must be a bool, got {type(v).__name__} {v!r}")
    return bool(v)


def _check_padding_value(v, fn):
    if isinstance(v, Tensor):
        if v.numel() != 1:
            raise ValueError(f"{fn}: padding_value must be a number, got a tensor of shape {tuple(v.shape)}")
        v = v.item()
    if not isinstance(v, numbers.Number) or isinstance(v, complex):
        raise TypeError(f"{fn}: padding_value must be a number, got {type(v).__name__} {v!r}")
    return v


# ----------------------------------------------------------------------------- public functions
def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch ``input`` (T, B, *) (or (B, T, *) with ``batch_first``) of sequences of ``lengths``
    (B,) (a list or a CPU tensor) into a ``PackedSequence``, as ``torch.nn.utils.rnn.pack_padded_sequence``.
    With ``enforce_sorted`` the lengths must not increase; otherwise the batch is sorted by decreasing length
    (a stable sort, as PyTorch's on the CPU) and ``sorted_indices`` records the order. Rows past a sample's length
    are not read."""
    fn = "pack_padded_sequence"
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type(input).__name__}")
    batch_first = _check_flag(batch_first, "batch_first", fn)
    enforce_sorted = _check_flag(enforce_sorted, "enforce_sorted", fn)
    if input.ndim < 2:
        raise IndexError(f"{fn}: input must have at least 2 dimensions ({'B, T' if batch_first else 'T, B'}, *), "
                         f"got shape {tuple(input.shape)}")
    lens = _lengths_array(lengths, fn)
    nt, nb = (input.shape[1], input.shape[0]) if batch_first else (input.shape[0], input.shape[1])
    if nt == 0 or nb == 0:
        raise RuntimeError(f"Cannot pack empty tensors. ({fn}: input has shape {tuple(input.shape)})")
    if lens.shape[0] != nb:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lens.shape[0]} "
                           f"(batch_size={nb})")
    if lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if enforce_sorted and np.any(np.diff(lens) > 0):
        raise RuntimeError(_SORT_HINT)
    if lens.max() > nt:
        raise RuntimeError(f"{fn}: lengths must be at most the input's sequence length T={nt} (dim "
                           f"{1 if batch_first else 0} of input of shape {tuple(input.shape)}), got {int(lens.max())}")
    if enforce_sorted:
        order, sorted_indices = np.arange(nb), None
    else:
        order = np.argsort(-lens, kind="stable")
        sorted_indices = _index(order, input.device)
    batch_sizes = _lengths_of(lens, int(lens.max()))  # steps t: how many lengths exceed t
    rows = _pack_rows(nt, nb, batch_sizes, order, batch_first)
    flat = input.reshape((nt * nb,) + tuple(input.shape[2:]))
    data = index_select(flat, 0, _index(rows, input.device))
    return PackedSequence(data, _index(batch_sizes, "cpu"), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Unpack a ``PackedSequence`` into (padded, lengths), as ``torch.nn.utils.rnn.pad_packed_sequence``: padded
    (T, B, *) (or (B, T, *) with ``batch_first``) in the batch's original order, ``padding_value`` past each
    length, T = ``total_length`` if given (at least the longest length, else ValueError); lengths a CPU int64
    tensor (B,)."""
    fn = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{fn}: sequence must be a PackedSequence, got {type(sequence).__name__}")
    batch_first = _check_flag(batch_first, "batch_first", fn)
    padding_value = _check_padding_value(padding_value, fn)
    data = sequence.data
    if not isinstance(data, Tensor) or data.ndim < 1:
        raise TypeError(f"{fn}: the PackedSequence's data must be a Tensor of at least 1 dimension, got {data!r}")
    bs = _batch_sizes_array(sequence.batch_sizes, data.shape[0], fn)
    max_len = bs.shape[0]
    if total_length is not None:
        if isinstance(total_length, bool) or not isinstance(total_length, numbers.Integral):
            raise TypeError(f"{fn}: total_length must be an int or None, got {type(total_length).__name__}")
        if total_length < max_len:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {max_len}")
        max_len = int(total_length)
    nb = int(bs[0])
    unsorted = np.arange(nb) if sequence.unsorted_indices is None else _host(sequence.unsorted_indices).astype(np.int64)
    if unsorted.shape != (nb,):
        raise RuntimeError(f"{fn}: unsorted_indices must have shape ({nb},) (the batch size), got {unsorted.shape}")
    src = _padded_rows(bs, unsorted, data.shape[0], max_len, batch_first)
    ext = concat([data, _pad_row(data, padding_value)], 0)
    padded = index_select(ext, 0, _index(src, data.device))
    shape = ((nb, max_len) if batch_first else (max_len, nb)) + tuple(data.shape[1:])
    lengths = _lengths_of(bs, nb)[unsorted]
    return padded.reshape(shape), _index(lengths, "cpu")


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack the sequences (each (L_i, *), one trailing shape) into one (T, B, *) tensor (or (B, T, *) with
    ``batch_first``), T the longest length, ``padding_value`` after (``padding_side='right'``) or before
    (``'left'``) each shorter one, as ``torch.nn.utils.rnn.pad_sequence``. The result has the first sequence's
    dtype; a tensor is taken as the sequence of its rows."""
    fn = "pad_sequence"
    if isinstance(sequences, Tensor):
        if sequences.ndim == 0:
            raise TypeError("pad_sequence: sequences is a 0-d tensor; pass a list of tensors or a tensor whose rows "
                            "are the sequences")
        sequences = unbind(sequences, 0)
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = tuple(sequences)
    batch_first = _check_flag(batch_first, "batch_first", fn)
    padding_value = _check_padding_value(padding_value, fn)
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    for i, s in enumerate(sequences):
        if not isinstance(s, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(s).__name__}")
    first = sequences[0]
    trailing = tuple(first.shape[1:])
    for i, s in enumerate(sequences):
        if s.ndim == 0:
            raise RuntimeError(f"{fn}: sequences[{i}] is a 0-d tensor; every sequence must have at least 1 "
                               f"dimension (L, *)")
        if tuple(s.shape[1:]) != trailing:
            raise RuntimeError(f"{fn}: sequences[{i}] has shape {tuple(s.shape)}, expected (L, *{trailing}) like "
                               f"sequences[0] (every sequence must have the same trailing dimensions)")
        if s.device != first.device:
            raise RuntimeError(f"{fn}: sequences[{i}] is on {s.device!r}, sequences[0] on {first.device!r}")
    seqs = [s if s.dtype == first.dtype else s.to(first.dtype) for s in sequences]
    lens = np.array([s.shape[0] for s in seqs], np.int64)
    nb, nt = len(seqs), int(lens.max())
    pad = _pad_row(first, padding_value)
    nrows = int(lens.sum())
    offsets = np.concatenate([[0], np.cumsum(lens)[:-1]])
    t = np.arange(nt)[:, None]
    start = (nt - lens)[None, :] if padding_side == "left" else np.zeros((1, nb), np.int64)
    k = t - start                                                   # (T, B): step within the sequence
    src = np.where((k >= 0) & (k < lens[None, :]), offsets[None, :] + k, nrows)
    src = (src.T if batch_first else src).reshape(-1)
    ext = concat([*seqs, pad], 0)
    out = index_select(ext, 0, _index(src, first.device))
    return out.reshape(((nb, nt) if batch_first else (nt, nb)) + trailing)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences (L_b, *) in a padded batch (T, B, *) (or (B, T, *)), as
    ``torch.nn.utils.rnn.unpad_sequence`` (which transposes its input in place when not ``batch_first``; this one
    leaves it as it is)."""
    fn = "unpad_sequence"
    if not isinstance(padded_sequences, Tensor):
        raise TypeError(f"{fn}: padded_sequences must be a Tensor, got {type(padded_sequences).__name__}")
    if padded_sequences.ndim < 2:
        raise IndexError(f"{fn}: padded_sequences must have at least 2 dimensions, got shape "
                         f"{tuple(padded_sequences.shape)}")
    lens = _host(lengths).astype(np.int64) if isinstance(lengths, Tensor) else np.asarray(lengths, np.int64)
    nb = padded_sequences.shape[0 if batch_first else 1]
    nt = padded_sequences.shape[1 if batch_first else 0]
    if lens.shape != (nb,):
        raise ValueError(f"{fn}: lengths must have one entry per sample ({nb}), got shape {lens.shape}")
    if nb and (lens.min() < 0 or lens.max() > nt):
        raise ValueError(f"{fn}: lengths must lie in [0, {nt}], got {lens.tolist()}")
    out = []
    for b in range(nb):
        out.append(padded_sequences[b, :int(lens[b])] if batch_first else padded_sequences[:int(lens[b]), b])
    return out


def pack_sequence(sequences, enforce_sorted=True):
    """``pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)`` with each
    sequence's length, as ``torch.nn.utils.rnn.pack_sequence``."""
    if isinstance(sequences, Tensor):
        if sequences.ndim == 0:
            raise TypeError("pack_sequence: sequences is a 0-d tensor; pass a list of tensors")
        sequences = unbind(sequences, 0)
    if not isinstance(sequences, Iterable):
        raise TypeError(f"pack_sequence: sequences must be a list of Tensors, got {type(sequences).__name__}")
    sequences = list(sequences)
    for i, s in enumerate(sequences):
        if not isinstance(s, Tensor):
            raise TypeError(f"pack_sequence: sequences[{i}] must be a Tensor, got {type(s).__name__}")
        if s.ndim == 0:
            raise RuntimeError(f"pack_sequence: sequences[{i}] is a 0-d tensor; every sequence must have at least "
                               f"1 dimension (L, *)")
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences in a ``PackedSequence``, in the original order, as
    ``torch.nn.utils.rnn.unpack_sequence``."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
