"""Optimizers and learning-rate schedules (``torch.optim`` in small)."""
from .optimizer import Optimizer, SGD, Adam, AdamW
from . import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler"]
