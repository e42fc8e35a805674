"""Neural-network building blocks (``torch.nn`` in small). ``functional`` holds the stateless ops, ``init`` the
initialisers."""
from . import functional, init, utils
from .module import Module, Parameter, Sequential, ModuleList
from .attention import (MultiheadAttention, SinusoidalPositionalEncoding, TransformerEncoderLayer,
                        TransformerEncoder)
from .perceptron import Perceptron, PerceptronFit
from .rnn import RNNBase, RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell
from .layers import (Identity, Linear, Embedding, Dropout, ReLU, Sigmoid, Tanh, LeakyReLU, GELU,
                     Softmax, LogSoftmax, Flatten, LayerNorm, RMSNorm, BatchNorm1d, Residual)
from .loss import (L1Loss, MSELoss, NLLLoss, CrossEntropyLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss,
                   SmoothL1Loss, HuberLoss)
from .conv import Conv1d, MaxPool1d, AvgPool1d, AdaptiveMaxPool1d, AdaptiveAvgPool1d
from .layers import EmbeddingBag
from .activation import (SiLU, ELU, SELU, CELU, Hardtanh, ReLU6, Hardswish, Hardsigmoid, Mish,
                         Softsign, LogSigmoid)
