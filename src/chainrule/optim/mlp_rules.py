"""scikit-learn's MLP update rules, operation for operation: :class:`MLPAdam` and :class:`MLPSGD`.

The rest of :mod:`chainrule.optim` follows ``torch.optim``. scikit-learn's
``MLPClassifier`` and ``MLPRegressor`` (``sklearn/neural_network/_stochastic_optimizers.py``)
define two of the same names differently:

* Adam: scikit-learn folds both bias corrections into the step size and adds
  ``epsilon`` to the *uncorrected* ``sqrt(v)``; torch adds ``eps`` to the
  corrected ``sqrt(v) / sqrt(1 - beta2^t)``. The two differ while ``v`` is
  small (early steps, rarely active weights).
* SGD with momentum: scikit-learn keeps a velocity that already holds the
  learning rate, ``v <- momentum v - lr g``, starting from ``v = 0``; torch keeps
  ``b <- momentum b + g`` (``b = g`` at the first step) and multiplies by the
  current rate. They agree for a constant rate and part once the rate changes
  (``invscaling``, ``adaptive``).

The estimators (:mod:`chainrule.sklearn`) use these, so that ``solver``,
``learning_rate_init``, ``momentum``, ``beta_1``, ``beta_2`` and ``epsilon`` mean
exactly what they mean in scikit-learn. Like every optimizer here they show
each step before it is taken (:meth:`~chainrule.optim.Optimizer.delta`: the
engine proves it safe, then applies it) and allocate nothing after their first step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..core.layers import Parameter
from ..core.validation import check_positive_float, fail
from .base import Optimizer

__all__ = ["MLPAdam", "MLPSGD"]


class MLPAdam(Optimizer):
    """Adam as scikit-learn's MLP defines it (``AdamOptimizer``).

    With ``g`` the gradient (plus ``weight_decay * w`` if set, as in every
    optimizer here) and ``t`` the step count::

        m_t = beta_1 m_{t-1} + (1 - beta_1) g        (m_0 = 0)
        v_t = beta_2 v_{t-1} + (1 - beta_2) g^2      (v_0 = 0)
        lr_t = learning_rate * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        w  <- w - lr_t m_t / (sqrt(v_t) + epsilon)

    ``epsilon`` sits outside the bias correction (torch's :class:`~chainrule.optim.Adam`
    puts it inside). Parameters are scikit-learn's names and defaults.
    """

    def __init__(
        self,
        parameters: Iterable[Parameter] | None = None,
        learning_rate: float = 1e-3,
        *,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        for name, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            number = check_positive_float(value, name, allow_zero=True)
            if not number < 1.0:
                raise fail(name, "a number in [0, 1)", value)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = check_positive_float(epsilon, "epsilon")
        super().__init__(parameters, learning_rate, weight_decay=weight_decay)

    non_negative_buffers = frozenset({"v"})

    def hyperparameters(self) -> dict[str, Any]:
        return {**super().hyperparameters(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}

    def state_buffers(self) -> tuple[str, ...]:
        return ("m", "v")

    def delta(self, index: int, param: Parameter) -> np.ndarray:
        g = self.decayed_gradient(index, param)
        m = self.buffer(index, "m", param.value, fill=0.0)
        v = self.buffer(index, "v", param.value, fill=0.0)
        tmp = self.buffer(index, "scratch", param.value)
        step = self.buffer(index, "scratch_step", param.value)
        b1, b2 = self.beta_1, self.beta_2
        # The same operations in the same order as scikit-learn, so the same rounding:
        # m = b1 * m + (1 - b1) * g;  v = b2 * v + (1 - b2) * g**2.
        m *= b1
        np.multiply(g, 1.0 - b1, out=tmp)
        m += tmp
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - b2
        v += tmp
        t = self.steps
        rate = self.learning_rate * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
        # scikit-learn: update = -rate * m / (sqrt(v) + epsilon); w += update. The step taken is
        # w - d with d = rate * m / (sqrt(v) + epsilon): negation is exact, so the same bits.
        np.sqrt(v, out=tmp)
        tmp += self.epsilon
        np.multiply(m, rate, out=step)
        step /= tmp
        return step


class MLPSGD(Optimizer):
    """Stochastic gradient descent with momentum as scikit-learn's MLP defines it (``SGDOptimizer``).

    With ``g`` the gradient and ``lr`` the current learning rate::

        v <- momentum v - lr g                      (v = 0 before the first step)
        w <- w + v                                  (nesterov=False)
        w <- w + momentum v - lr g                  (nesterov=True, the default)

    The velocity carries the learning rates it was made with, so a rate that
    changes (``invscaling``, ``adaptive``) acts as in scikit-learn. ``momentum``
    is in [0, 1]; ``momentum=0`` is plain SGD.
    """

    def __init__(
        self,
        parameters: Iterable[Parameter] | None = None,
        learning_rate: float = 0.001,
        *,
        momentum: float = 0.9,
        nesterov: bool = True,
        weight_decay: float = 0.0,
    ) -> None:
        number = check_positive_float(momentum, "momentum", allow_zero=True)
        if not number <= 1.0:
            raise fail("momentum", "a number in [0, 1]", momentum)
        self.momentum = number
        if not isinstance(nesterov, (bool, np.bool_)):
            raise fail("nesterov", "True or False", nesterov)
        self.nesterov = bool(nesterov)
        super().__init__(parameters, learning_rate, weight_decay=weight_decay)

    def hyperparameters(self) -> dict[str, Any]:
        return {**super().hyperparameters(), "momentum": self.momentum, "nesterov": self.nesterov}

    def state_buffers(self) -> tuple[str, ...]:
        return ("velocity",)

    def delta(self, index: int, param: Parameter) -> np.ndarray:
        g = self.decayed_gradient(index, param)
        velocity = self.buffer(index, "velocity", param.value, fill=0.0)
        scaled = self.buffer(index, "scratch", param.value)
        lr, mu = self.learning_rate, self.momentum
        # velocity = momentum * velocity - lr * g, in scikit-learn's order of operations.
        np.multiply(g, lr, out=scaled)
        velocity *= mu
        velocity -= scaled
        # scikit-learn adds its update u to w; the step taken is w - d with d = -u (negation is
        # exact: the same bits): u = momentum * velocity - lr * g (nesterov), else velocity.
        step = self.buffer(index, "scratch_step", param.value)
        if self.nesterov:
            np.multiply(velocity, mu, out=step)
            np.subtract(scaled, step, out=step)
        else:
            np.negative(velocity, out=step)
        return step
