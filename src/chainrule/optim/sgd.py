"""Plain gradient descent, the tutorial's update ``w+ = w - eta * dE/dw``."""

from __future__ import annotations

import numpy as np

from ..layers import Parameter
from .base import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """``w <- w - learning_rate * grad`` for every trainable parameter.

    Used on the whole data set at once this is gradient descent; on mini-batches
    it is stochastic gradient descent.
    """

    def update(self, index: int, param: Parameter) -> None:
        step = self.buffer(index, "scratch", param.value)
        np.multiply(param.grad, self.learning_rate, out=step)
        np.subtract(param.value, step, out=param.value)
