"""The CUDA backend: ``@cuda.jit`` twins of every kernel family of ``tinygradnb.kernels.cpu`` and the array
primitives, under one flat namespace with the same names and signatures, over Numba device arrays.

``tinygradnb.device.backend("cuda")`` imports this module on first use, so a CPU-only user never imports
``numba.cuda``. It runs on an NVIDIA GPU, or without one under Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``
set before Numba is imported), which is how the test suite proves it on machines without a GPU.
"""
from .array import *  # noqa: F403
from .elementwise import *  # noqa: F403
from .reduce import *  # noqa: F403
from .shape import *  # noqa: F403
from .random import *  # noqa: F403
from .matmul import *  # noqa: F403
from .activation import *  # noqa: F403
from .loss import *  # noqa: F403
from .norm import *  # noqa: F403
from .embedding import *  # noqa: F403
from .dropout import *  # noqa: F403
from .optim import *  # noqa: F403
from .perceptron import *  # noqa: F403
from .rnn import *  # noqa: F403
