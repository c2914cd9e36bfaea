"""The optimizer base class: validation and the loop over parameters live here.

A subclass writes only its update rule, :meth:`Optimizer.update`, which changes
``param.value`` in place from ``param.grad`` and must allocate nothing after
its first call (use :meth:`Optimizer.buffer` for scratch space and state).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from .._checks import check_positive_float, fail
from ..layers import Parameter

__all__ = ["Optimizer"]


class Optimizer:
    """Applies gradients to parameters; never computes them.

    Parameters
    ----------
    parameters : iterable of Parameter
        Usually ``network.parameters()``. Frozen parameters are skipped.
    learning_rate : float
        The tutorial's eta, > 0.
    """

    def __init__(self, parameters: Iterable[Parameter], learning_rate: float = 0.01) -> None:
        self.parameters = [p for p in parameters if _is_parameter(p) and p.trainable]
        if not self.parameters:
            raise fail("parameters", "at least one trainable Parameter", list(parameters))
        self.learning_rate = check_positive_float(learning_rate, "learning_rate")
        self.steps = 0
        self._buffers: dict[tuple[int, str], np.ndarray] = {}

    def step(self) -> None:
        """Apply one update to every parameter from its current gradient."""
        self.steps += 1
        for index, param in enumerate(self.parameters):
            self.update(index, param)

    def update(self, index: int, param: Parameter) -> None:
        """Update ``param.value`` in place from ``param.grad`` (subclasses implement)."""
        raise NotImplementedError

    def buffer(self, index: int, name: str, like: np.ndarray, fill: float | None = None) -> np.ndarray:
        """A persistent array shaped like ``like`` for parameter ``index`` (state or scratch)."""
        key = (index, name)
        buf = self._buffers.get(key)
        if buf is None:
            buf = self._buffers[key] = np.empty_like(like) if fill is None else np.full_like(like, fill)
        return buf

    def state_dict(self) -> dict:
        """Hyperparameters, the step count and state arrays (copies)."""
        return {
            "name": type(self).__name__,
            "learning_rate": self.learning_rate,
            "steps": self.steps,
            "buffers": {f"{i}.{n}": b.copy() for (i, n), b in self._buffers.items() if n != "scratch"},
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.learning_rate!r}, parameters={len(self.parameters)})"


def _is_parameter(p: object) -> bool:
    if not isinstance(p, Parameter):
        raise fail("parameters", "Parameter objects (use network.parameters())", p)
    return True
