"""Stateless neural-network functions under PyTorch's ``torch.nn.functional`` names."""
from ..ops.activation import (relu, leaky_relu, sigmoid, tanh, softplus, gelu, silu, elu, selu, celu, hardtanh, relu6,
                              hardswish, hardsigmoid, mish, softsign, logsigmoid)
from ..ops.conv import conv1d, max_pool1d, avg_pool1d, adaptive_max_pool1d, adaptive_avg_pool1d
from ..ops.dropout import dropout
from ..ops.embedding import embedding, embedding_bag
from ..ops.loss import (softmax, log_softmax, cross_entropy, nll_loss, mse_loss, binary_cross_entropy,
                        binary_cross_entropy_with_logits, kl_div, l1_loss, smooth_l1_loss, huber_loss)
from ..ops.matmul import linear
from ..ops.norm import layer_norm, rms_norm, batch_norm
from ..ops.reduce import cosine_similarity, normalize
from ..ops.shape import pad, one_hot
from .attention import scaled_dot_product_attention
