"""The optimizer base class: validation, the loop over parameters and state live here.

A subclass writes only its update rule, :meth:`Optimizer.update`, which changes
``param.value`` in place from ``param.grad`` and must allocate nothing after
its first call (use :meth:`Optimizer.buffer` for scratch space and state).

Every rule follows ``torch.optim``'s definition of the same name, operation
for operation, so that a run can be checked step by step against PyTorch.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..core.validation import check_positive_float, fail
from ..core.layers import Parameter

__all__ = ["Optimizer"]


class Optimizer:
    """Applies gradients to parameters; never computes them.

    Parameters
    ----------
    parameters : iterable of Parameter, or None
        Usually ``[network.flat_parameter()]`` (every trainable value in one
        array, the fastest) or ``network.parameters()``. Frozen parameters are
        skipped. None leaves the optimizer unbound: :meth:`Network.fit` binds
        it to the network's flat parameter.
    learning_rate : float
        The tutorial's eta, > 0.
    weight_decay : float
        L2 penalty ``weight_decay * w`` added to every gradient before the
        update (as ``torch.optim``'s ``weight_decay``; AdamW decouples it).
    """

    def __init__(
        self, parameters: Iterable[Parameter] | Parameter | None = None, learning_rate: float = 0.01, *, weight_decay: float = 0.0
    ) -> None:
        self.learning_rate = check_positive_float(learning_rate, "learning_rate")
        #: The rate a schedule starts from; ``learning_rate`` is the one in use now.
        self.initial_learning_rate = self.learning_rate
        self.weight_decay = check_positive_float(weight_decay, "weight_decay", allow_zero=True)
        self.steps = 0
        self._buffers: dict[tuple[int, str], np.ndarray] = {}
        self.parameters: list[Parameter] = []
        if parameters is not None:
            self.bind(parameters)

    def bind(self, parameters: Iterable[Parameter] | Parameter) -> "Optimizer":
        """Attach the optimizer to ``parameters`` (state starts afresh); returns self."""
        parameters = [parameters] if isinstance(parameters, Parameter) else list(parameters)
        self.parameters = [p for p in parameters if _is_parameter(p) and p.trainable]
        if not self.parameters:
            raise fail("parameters", "at least one trainable Parameter", parameters)
        self._buffers.clear()
        self.steps = 0
        return self

    @property
    def bound(self) -> bool:
        """Whether the optimizer has parameters to update."""
        return bool(self.parameters)

    def step(self) -> None:
        """Apply one update to every parameter from its current gradient."""
        if not self.parameters:
            raise RuntimeError(f"{type(self).__name__}: bind parameters before calling step()")
        self.steps += 1
        for index, param in enumerate(self.parameters):
            self.update(index, param)

    def update(self, index: int, param: Parameter) -> None:
        """Update ``param.value`` in place from ``param.grad`` (subclasses implement)."""
        raise NotImplementedError

    def buffer(self, index: int, name: str, like: np.ndarray, fill: float | None = None) -> np.ndarray:
        """A persistent array shaped like ``like`` for parameter ``index`` (state or scratch).

        Names starting with ``scratch`` are temporary space, left out of :meth:`state_dict`.
        """
        key = (index, name)
        buf = self._buffers.get(key)
        if buf is None:
            buf = self._buffers[key] = np.empty_like(like) if fill is None else np.full_like(like, fill)
        return buf

    def decayed_gradient(self, index: int, param: Parameter) -> np.ndarray:
        """``grad + weight_decay * value`` (L2 penalty), or ``grad`` itself without decay."""
        if not self.weight_decay:
            return param.grad
        g = self.buffer(index, "scratch_decay", param.grad)
        np.multiply(param.value, self.weight_decay, out=g)
        g += param.grad
        return g

    # -- state -------------------------------------------------------------------------
    def hyperparameters(self) -> dict[str, Any]:
        """The constructor's arguments other than the parameters."""
        return {"learning_rate": self.learning_rate, "weight_decay": self.weight_decay}

    def state_dict(self) -> dict:
        """Hyperparameters, the step count and every state array (copies).

        Restoring it with :meth:`load_state_dict` on an optimizer bound to the
        same parameters continues the run bitwise as if it had never stopped.
        """
        return {
            "name": type(self).__name__,
            **self.hyperparameters(),
            "initial_learning_rate": self.initial_learning_rate,
            "steps": self.steps,
            "buffers": {
                f"{i}.{n}": b.copy() for (i, n), b in sorted(self._buffers.items()) if not n.startswith("scratch")
            },
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` saved (the optimizer must already be bound)."""
        if not isinstance(state, dict) or state.get("name") != type(self).__name__:
            raise fail("state", f"a state_dict of {type(self).__name__}", state)
        if not self.parameters:
            raise RuntimeError(f"{type(self).__name__}: bind parameters before load_state_dict()")
        steps = state.get("steps")
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise fail("state steps", "an integer >= 0", steps)
        buffers = {}
        for key, value in dict(state.get("buffers", {})).items():
            index, _, name = str(key).partition(".")
            if not index.isdigit() or int(index) >= len(self.parameters):
                raise fail("state buffers", f"keys '<parameter index>.<name>' below {len(self.parameters)}", key)
            like = self.parameters[int(index)].value
            array = np.asarray(value)
            if array.shape != like.shape:
                raise fail(f"state buffer {key!r}", f"shape {like.shape}", array)
            buffers[(int(index), name)] = np.array(array, dtype=like.dtype)
        for name, value in self.hyperparameters().items():
            if name in state:
                setattr(self, name, type(value)(state[name]) if value is not None else state[name])
        if "initial_learning_rate" in state:
            self.initial_learning_rate = float(state["initial_learning_rate"])
        self.steps = int(steps)
        self._buffers = buffers

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args}, parameters={len(self.parameters)})"


def _is_parameter(p: object) -> bool:
    if not isinstance(p, Parameter):
        raise fail("parameters", "Parameter objects (use network.parameters())", p)
    return True
