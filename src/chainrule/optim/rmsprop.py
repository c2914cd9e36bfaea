"""RMSprop: divide each gradient by a running root-mean-square of its recent values."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..core.layers import Parameter
from ..core.validation import check_positive_float, fail
from .base import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012), as ``torch.optim.RMSprop``.

    With ``g = grad + weight_decay * w``::

        s <- alpha s + (1 - alpha) g^2                       (s_0 = 0)
        c <- c + (1 - alpha) (g - c)   (centered only)       (c_0 = 0)
        r  = sqrt(s - c^2) + eps   (centered)   or   sqrt(s) + eps
        b <- momentum b + g / r;  w <- w - lr b              (momentum > 0, b_0 = 0)
        w <- w - lr g / r                                    (momentum = 0)
    """

    def __init__(
        self,
        parameters: Iterable[Parameter] | None = None,
        learning_rate: float = 1e-2,
        *,
        alpha: float = 0.99,
        eps: float = 1e-8,
        momentum: float = 0.0,
        centered: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        self.alpha = check_positive_float(alpha, "alpha", allow_zero=True)
        if self.alpha >= 1.0:
            raise fail("alpha", "a number in [0, 1)", alpha)
        self.eps = check_positive_float(eps, "eps", allow_zero=True)
        self.momentum = check_positive_float(momentum, "momentum", allow_zero=True)
        if not isinstance(centered, (bool, np.bool_)):
            raise fail("centered", "True or False", centered)
        self.centered = bool(centered)
        super().__init__(parameters, learning_rate, weight_decay=weight_decay)

    def hyperparameters(self) -> dict[str, Any]:
        return {
            **super().hyperparameters(),
            "alpha": self.alpha,
            "eps": self.eps,
            "momentum": self.momentum,
            "centered": self.centered,
        }

    non_negative_buffers = frozenset({"square_avg"})

    def state_buffers(self) -> tuple[str, ...]:
        return ("square_avg",) + (("grad_avg",) if self.centered else ()) + (("momentum",) if self.momentum else ())

    def delta(self, index: int, param: Parameter) -> np.ndarray:
        g = self.decayed_gradient(index, param)
        s = self.buffer(index, "square_avg", param.value, fill=0.0)
        r = self.buffer(index, "scratch", param.value)
        s *= self.alpha
        np.multiply(g, g, out=r)
        r *= 1.0 - self.alpha
        s += r
        if self.centered:
            c = self.buffer(index, "grad_avg", param.value, fill=0.0)
            np.subtract(g, c, out=r)
            r *= 1.0 - self.alpha
            c += r
            np.multiply(c, c, out=r)
            np.subtract(s, r, out=r)
            np.sqrt(r, out=r)
        else:
            np.sqrt(s, out=r)
        r += self.eps
        np.divide(g, r, out=r)  # r = g / rms
        if self.momentum:
            b = self.buffer(index, "momentum", param.value, fill=0.0)
            b *= self.momentum
            b += r
            r = self.buffer(index, "scratch", param.value)
            np.multiply(b, self.learning_rate, out=r)
        else:
            r *= self.learning_rate
        return r
