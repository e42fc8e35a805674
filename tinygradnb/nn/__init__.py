"""Neural-network building blocks (``torch.nn`` in small). ``functional`` holds the stateless ops."""
from . import functional  # noqa: F401
