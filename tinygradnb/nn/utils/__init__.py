"""``torch.nn.utils`` names: gradient clipping, and ``rnn`` (packed and padded batches of sequences)."""
from ...utils import clip_grad_norm_
from . import rnn
