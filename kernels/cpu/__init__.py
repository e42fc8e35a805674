"""The CPU backend: NumPy array primitives plus the ``@njit`` kernel families, under one flat namespace.

``tinygradnb.device.backend("cpu")`` returns this module. A GPU backend exports the same names.
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
