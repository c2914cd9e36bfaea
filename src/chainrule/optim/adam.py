"""Adam and AdamW: per-weight step sizes from running moments of the gradient."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..core.layers import Parameter
from ..core.validation import check_positive_float, fail
from .base import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), as ``torch.optim.Adam``.

    With ``g = grad + weight_decay * w`` (L2 penalty) and ``t`` the step count::

        m_t = beta1 m_{t-1} + (1 - beta1) g        (m_0 = 0)
        v_t = beta2 v_{t-1} + (1 - beta2) g^2      (v_0 = 0)
        w  <- w - lr / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps)

    With ``amsgrad=True`` (Reddi et al., 2018) the denominator uses the largest
    second moment so far, ``vmax_t = max(vmax_{t-1}, v_t)`` (``vmax_0 = 0``), in
    place of ``v_t``, as ``torch.optim.Adam(amsgrad=True)``; the state then
    also holds ``max_exp_avg_sq``.
    """

    decoupled = False

    def __init__(
        self,
        parameters: Iterable[Parameter] | None = None,
        learning_rate: float = 1e-3,
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        if not isinstance(amsgrad, (bool, np.bool_)):
            raise fail("amsgrad", "True or False", amsgrad)
        self.amsgrad = bool(amsgrad)
        try:
            pair = [check_positive_float(b, "betas", allow_zero=True) for b in betas]
        except (TypeError, ValueError):  # not iterable, or not numbers
            pair = []
        if isinstance(betas, (str, bytes, dict)) or len(pair) != 2 or not all(b < 1.0 for b in pair):
            raise fail("betas", "two numbers in [0, 1)", betas)
        beta1, beta2 = pair
        self.betas = (beta1, beta2)
        self.eps = check_positive_float(eps, "eps", allow_zero=True)
        super().__init__(parameters, learning_rate, weight_decay=weight_decay)

    non_negative_buffers = frozenset({"exp_avg_sq", "max_exp_avg_sq"})

    def hyperparameters(self) -> dict[str, Any]:
        return {**super().hyperparameters(), "betas": self.betas, "eps": self.eps, "amsgrad": self.amsgrad}

    def state_buffers(self) -> tuple[str, ...]:
        return ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if self.amsgrad else ())

    @property
    def value_factor(self) -> float:
        # AdamW shrinks the weights before the step (torch: param.mul_(1 - lr * weight_decay)).
        return 1.0 - self.learning_rate * self.weight_decay if self.decoupled and self.weight_decay else 1.0

    def delta(self, index: int, param: Parameter) -> np.ndarray:
        beta1, beta2 = self.betas
        if self.decoupled:
            g = param.grad  # the decay is value_factor
        else:
            g = self.decayed_gradient(index, param)
        m = self.buffer(index, "exp_avg", param.value, fill=0.0)
        v = self.buffer(index, "exp_avg_sq", param.value, fill=0.0)
        tmp = self.buffer(index, "scratch", param.value)
        # m += (1 - beta1) (g - m): torch's lerp, the same rounding.
        np.subtract(g, m, out=tmp)
        tmp *= 1.0 - beta1
        m += tmp
        v *= beta2
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - beta2
        v += tmp
        t = self.steps
        step_size = self.learning_rate / (1.0 - beta1**t)
        if self.amsgrad:
            v_max = self.buffer(index, "max_exp_avg_sq", param.value, fill=0.0)
            np.maximum(v_max, v, out=v_max)
            v = v_max
        np.sqrt(v, out=tmp)
        tmp /= math.sqrt(1.0 - beta2**t)
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= step_size
        return tmp


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

    Each step first shrinks the weights, ``w <- w (1 - lr * weight_decay)``, then
    applies Adam's update to the raw gradient (no L2 term in ``g``).
    """

    decoupled = True

    def __init__(
        self,
        parameters: Iterable[Parameter] | None = None,
        learning_rate: float = 1e-3,
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(parameters, learning_rate, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
