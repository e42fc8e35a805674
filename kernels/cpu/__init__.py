"""The CPU backend: NumPy array primitives plus the ``@njit`` kernel families, under one flat namespace.

``tinygradnb.device.backend("cpu")`` returns this module. A GPU backend exports the same names.
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
