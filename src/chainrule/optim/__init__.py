"""Optimizers: they apply the gradients that backward computed."""

from .base import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD"]
