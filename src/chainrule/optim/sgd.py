"""Stochastic gradient descent, with optional momentum and Nesterov momentum.

Without momentum this is the tutorial's update ``w+ = w - eta * dE/dw``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..core.layers import Parameter
from ..core.validation import check_positive_float, fail
from .base import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """``w <- w - learning_rate * d`` with ``d`` the gradient or its momentum average.

    As ``torch.optim.SGD``, with ``g = grad + weight_decay * w``::

        b_1 = g_1;  b_t = momentum * b_{t-1} + (1 - dampening) * g_t
        d_t = g_t + momentum * b_t   (nesterov)   or   b_t   (momentum > 0)   or   g_t

    Used on the whole data set at once this is gradient descent; on mini-batches
    it is stochastic gradient descent.
    """

    def __init__(
        self,
        parameters: Iterable[Parameter] | None = None,
        learning_rate: float = 0.01,
        *,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        self.momentum = check_positive_float(momentum, "momentum", allow_zero=True)
        self.dampening = check_positive_float(dampening, "dampening", allow_zero=True)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise fail("nesterov", "True or False", nesterov)
        if nesterov and (self.momentum == 0 or self.dampening != 0):
            raise fail("nesterov", "momentum > 0 and dampening = 0 with nesterov=True", (momentum, dampening))
        self.nesterov = bool(nesterov)
        super().__init__(parameters, learning_rate, weight_decay=weight_decay)

    def hyperparameters(self) -> dict[str, Any]:
        return {
            **super().hyperparameters(),
            "momentum": self.momentum,
            "dampening": self.dampening,
            "nesterov": self.nesterov,
        }

    def state_buffers(self) -> tuple[str, ...]:
        return ("momentum",) if self.momentum else ()

    @property
    def delta_scale(self) -> float | None:
        # Without momentum or decay the step is learning_rate * grad, element by element.
        return self.learning_rate if not self.momentum and not self.weight_decay else None

    def delta(self, index: int, param: Parameter) -> np.ndarray:
        if not self.momentum and not self.weight_decay:
            return param.grad  # apply_step multiplies by the learning rate (delta_scale)
        g = self.decayed_gradient(index, param) if self.weight_decay else param.grad
        step = self._buffers.get((index, "scratch"))  # (the common case without a call)
        if step is None:
            step = self.buffer(index, "scratch", param.value)
        if self.momentum:
            first = (index, "momentum") not in self._buffers
            b = self.buffer(index, "momentum", param.value)
            if first:
                np.copyto(b, g)
            else:
                b *= self.momentum
                np.multiply(g, 1.0 - self.dampening, out=step)
                b += step
            if self.nesterov:
                np.multiply(b, self.momentum, out=step)
                step += g
                g = step
            else:
                g = b
        np.multiply(g, self.learning_rate, out=step)
        return step
