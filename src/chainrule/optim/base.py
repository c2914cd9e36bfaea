"""The optimizer base class: validation, the loop over parameters and state live here.

A subclass writes only its update rule, :meth:`Optimizer.update`, which changes
``param.value`` in place from ``param.grad`` and must allocate nothing after
its first call (use :meth:`Optimizer.buffer` for scratch space and state).

Every rule follows ``torch.optim``'s definition of the same name, operation
for operation, so that a run can be checked step by step against PyTorch.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from ..core.errors import Described, ValidationError
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
    #: State arrays whose values are never negative (running averages of squared gradients):
    #: a negative value there would make the update's square root NaN.
    non_negative_buffers: frozenset[str] = frozenset()

    def hyperparameters(self) -> dict[str, Any]:
        """The constructor's arguments other than the parameters."""
        return {"learning_rate": self.learning_rate, "weight_decay": self.weight_decay}

    def state_buffers(self) -> tuple[str, ...] | None:
        """The names of the state arrays every step keeps per parameter, once a step has run (in
        :meth:`state_dict`'s ``buffers``, ``"<parameter index>.<name>"``); None when not declared.

        :meth:`load_state_dict` refuses a state without exactly these (none before the first step).
        """
        return None

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

    def load_state_dict(self, state: dict, *, field_name: Callable[[tuple], str] | None = None) -> None:
        """Restore what :meth:`state_dict` saved (the optimizer must already be bound).

        Everything is checked before anything changes: the hyperparameters by
        the constructor's own checks, the step count, and each state array --
        its key, shape, finite values (non-negative for :attr:`non_negative_buffers`)
        and, where :meth:`state_buffers` declares them, exactly the arrays a
        step keeps. Errors are :class:`ValidationError` naming the entry:
        ``field_name(path)`` for its path in the state (``("steps",)``,
        ``("betas",)``, ``("buffers", "0.exp_avg")``), by default
        ``"state steps"``, ``"state buffer '0.exp_avg'"``.
        """
        name_of = field_name or _state_field
        if not isinstance(state, dict) or state.get("name") != type(self).__name__:
            raise fail(name_of(()), f"a state_dict of {type(self).__name__}", state)
        if not self.parameters:
            raise RuntimeError(f"{type(self).__name__}: bind parameters before load_state_dict()")
        steps = state.get("steps")
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise fail(name_of(("steps",)), "an integer >= 0", steps)
        hyper = {name: state[name] for name in self.hyperparameters() if name in state}
        try:
            checked = type(self)(None, **hyper)
        except ValidationError as err:  # the constructor names its argument: betas, learning_rate, ...
            raise fail(name_of((err.field,)), err.expected, Described(err.received)) from None
        except TypeError:
            raise fail(name_of(()), f"the hyperparameters of {type(self).__name__}",
                       Described(str(sorted(hyper)))) from None
        initial = checked.learning_rate
        if "initial_learning_rate" in state:
            initial = check_positive_float(state["initial_learning_rate"], name_of(("initial_learning_rate",)))
        stored = state.get("buffers", {})
        if not isinstance(stored, dict):
            raise fail(name_of(("buffers",)), "an object of arrays", stored)
        buffers = {}
        for key, value in stored.items():
            index, _, name = str(key).partition(".")
            if not index.isdigit() or int(index) >= len(self.parameters) or not name:
                raise fail(name_of(("buffers", str(key)[:40])),
                           f"keys '<parameter index>.<name>' below {len(self.parameters)}", key)
            where = name_of(("buffers", str(key)))
            like = self.parameters[int(index)].value
            try:
                value = np.asarray(value)
            except (TypeError, ValueError, OverflowError):
                value = None
            if value is None or value.dtype.kind not in "fiu":
                raise fail(where, f"a numeric array of shape {like.shape}", stored[key])
            if value.shape != like.shape:
                raise fail(where, f"shape {like.shape}", Described(f"shape {value.shape}"))
            array = np.array(value, dtype=like.dtype)
            if not np.isfinite(array).all():
                raise fail(where, "finite values", Described(f"{int((~np.isfinite(array)).sum())} non-finite values"))
            if name in self.non_negative_buffers and (array < 0).any():
                raise fail(where, "values >= 0 (a running average of squares)",
                           Described(f"{int((array < 0).sum())} negative values"))
            buffers[(int(index), name)] = array
        declared = checked.state_buffers()
        if declared is not None:
            expected = {(i, name) for i in range(len(self.parameters)) for name in declared} if steps else set()
            for i, name in sorted(expected - set(buffers)):
                raise fail(name_of(("buffers", f"{i}.{name}")), f"an array (every step of {type(self).__name__} "
                           f"keeps {list(declared)} per parameter)", Described("nothing, it is missing"))
            for i, name in sorted(set(buffers) - expected):
                raise fail(name_of(("buffers", f"{i}.{name}")),
                           f"one of {list(declared)}" if steps else "no state arrays before the first step",
                           Described("an array this optimizer does not keep"))
        for name, value in checked.hyperparameters().items():
            setattr(self, name, value)
        self.initial_learning_rate = initial
        self.steps = int(steps)
        self._buffers = buffers

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args}, parameters={len(self.parameters)})"


def _state_field(path: tuple) -> str:
    """The default field names of :meth:`Optimizer.load_state_dict`: ``state steps``, ``state buffer '0.m'``."""
    if not path:
        return "state"
    if path[0] == "buffers" and len(path) > 1:
        return f"state buffer {path[1]!r}"
    return f"state {path[0]}"


def _is_parameter(p: object) -> bool:
    if not isinstance(p, Parameter):
        raise fail("parameters", "Parameter objects (use network.parameters())", p)
    return True
