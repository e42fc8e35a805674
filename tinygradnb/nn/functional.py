"""Stateless neural-network functions under PyTorch's ``torch.nn.functional`` names."""
from ..ops.matmul import linear  # noqa: F401
from ..ops.activation import relu, leaky_relu, sigmoid, tanh, softplus, gelu  # noqa: F401
from ..ops.loss import (softmax, log_softmax, cross_entropy, mse_loss,  # noqa: F401
                        binary_cross_entropy_with_logits)
from ..ops.norm import layer_norm, rms_norm, batch_norm  # noqa: F401
from ..ops.embedding import embedding  # noqa: F401
from ..ops.dropout import dropout  # noqa: F401
from ..ops.shape import pad, one_hot  # noqa: F401
from .attention import scaled_dot_product_attention  # noqa: F401
from ..ops.loss import (nll_loss, binary_cross_entropy, kl_div, l1_loss, smooth_l1_loss, huber_loss)  # noqa: F401
from ..ops.conv import (conv1d, max_pool1d, avg_pool1d, adaptive_max_pool1d,  # noqa: F401
                       adaptive_avg_pool1d)
from ..ops.embedding import embedding_bag  # noqa: F401
from ..ops.activation import (silu, elu, selu, celu, hardtanh, relu6, hardswish, hardsigmoid, mish,  # noqa: F401
                             softsign, logsigmoid)
from ..ops.reduce import cosine_similarity, normalize  # noqa: F401
