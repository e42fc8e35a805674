"""Neural-network building blocks (``torch.nn`` in small). ``functional`` holds the stateless ops, ``init`` the
initialisers."""
from . import functional, init, utils  # noqa: F401
from .module import Module, Parameter, Sequential, ModuleList  # noqa: F401
from .attention import (MultiheadAttention, SinusoidalPositionalEncoding, TransformerEncoderLayer,  # noqa: F401
                        TransformerEncoder)
from .perceptron import Perceptron, PerceptronFit  # noqa: F401
from .rnn import RNNBase, RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell  # noqa: F401
from .layers import (Identity, Linear, Embedding, Dropout, ReLU, Sigmoid, Tanh, LeakyReLU, GELU,  # noqa: F401
                     Softmax, LogSoftmax, Flatten, LayerNorm, RMSNorm, BatchNorm1d, Residual)
from .loss import (L1Loss, MSELoss, NLLLoss, CrossEntropyLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss,  # noqa: F401,E402
                   SmoothL1Loss, HuberLoss)
from .conv import Conv1d, MaxPool1d, AvgPool1d, AdaptiveMaxPool1d, AdaptiveAvgPool1d  # noqa: F401,E402
from .layers import EmbeddingBag  # noqa: F401,E402
from .activation import (SiLU, ELU, SELU, CELU, Hardtanh, ReLU6, Hardswish, Hardsigmoid, Mish,  # noqa: F401,E402
                         Softsign, LogSigmoid)
