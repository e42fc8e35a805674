"""Which OpenBLAS kernels NumPy runs: printed by the benchmark scripts beside their timings."""
import ctypes


def blas_core():
    """The kernel family NumPy's OpenBLAS runs (e.g. 'Haswell' = AVX2, 'SkylakeX' = AVX-512), or '?' when the
    library does not say. OPENBLAS_CORETYPE overrides OpenBLAS's own choice: some machines set it (older
    OpenBLAS builds misbehave on their CPUs), which on an AVX-512 CPU halves sgemm's speed."""
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({w for w in f.read().split() if "openblas" in w and w.endswith(".so")})
        lib = ctypes.CDLL(paths[0])
    except (OSError, IndexError):
        return "?"
    for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename64_",
                 "openblas_get_corename"):
        fn = getattr(lib, name, None)
        if fn is not None:
            fn.restype = ctypes.c_char_p
            return fn().decode()
    return "?"
