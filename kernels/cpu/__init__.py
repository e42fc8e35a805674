"""The CPU backend: NumPy array primitives plus the ``@njit`` kernel families, under one flat namespace.

``tinygradnb.device.backend("cpu")`` returns this module. A GPU backend exports the same names.
"""
from .array import *  # noqa: F401,F403
from .random import *  # noqa: F401,F403
