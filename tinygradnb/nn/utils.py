"""``torch.nn.utils`` names: gradient clipping."""
from ..utils import clip_grad_norm_  # noqa: F401
