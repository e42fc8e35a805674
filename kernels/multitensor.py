"""The argument check of the multi-tensor kernels, written once for both devices (``kernels/cpu/optim.py``,
``kernels/cuda/optim.py``): the kernels do not bounds-check, so a mismatch must raise before they run."""


def check(seqs, c_contiguous):
    """Raise ValueError unless the sequences ``seqs`` have one length and hold, index by index, 1-D C-contiguous
    arrays of one size, all of one dtype (``c_contiguous(a)`` says whether the array ``a`` is C-contiguous)."""
    first = seqs[0]
    dt = first[0].dtype if len(first) else None
    for s in seqs:
        if len(s) != len(first):
            raise ValueError(f"multi-tensor kernel: sequences of {len(first)} and {len(s)} arrays")
        for a, a0 in zip(s, first):
            if len(a.shape) != 1 or a.dtype != dt or a.size != a0.size or not c_contiguous(a):
                raise ValueError(f"multi-tensor kernel: arrays must be 1-D, C-contiguous, of one dtype and of "
                                 f"matching sizes, got {a.dtype} {a.shape} beside {a0.dtype} {a0.shape}")
