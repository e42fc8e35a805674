"""Optimizers and learning-rate schedules (``torch.optim`` in small)."""
from .optimizer import Optimizer, SGD, Adam, AdamW  # noqa: F401
from . import lr_scheduler  # noqa: F401

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler"]
