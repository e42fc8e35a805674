"""The CUDA backend: ``@cuda.jit`` twins of every kernel family of ``tinygradnb.kernels.cpu`` and the array
primitives, under one flat namespace with the same names and signatures, over Numba device arrays.

``tinygradnb.device.backend("cuda")`` imports this module on first use, so a CPU-only user never imports
``numba.cuda``. It runs on an NVIDIA GPU, or without one under Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``
set before Numba is imported), which is how the test suite proves it on machines without a GPU.
"""
from .array import *
from .elementwise import *
from .reduce import *
from .shape import *
from .random import *
from .matmul import *
from .activation import *
from .loss import *
from .norm import *
from .embedding import *
from .dropout import *
from .optim import *
from .perceptron import *
from .rnn import *
