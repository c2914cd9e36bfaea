"""The optimizer base class: validation, the loop over parameters and state live here.

A subclass writes only its update rule, :meth:`Optimizer.delta`: from
``param.grad`` (and the optimizer's state) it computes the change ``d`` of one
parameter for this step, in an array the optimizer owns, advances its state,
and leaves ``param.value`` alone; it must allocate nothing after its first call
(use :meth:`Optimizer.buffer` for scratch space and state). Applying is
separate (:meth:`Optimizer.apply_step`: ``value <- value * value_factor - d``),
so that the engine can see the step before it is taken and refuse one that
would overflow (:meth:`chainrule.core.Network.apply_update`) without copying
the weights first. :meth:`Optimizer.step` does both.

A subclass written for the earlier contract, which overrides ``update(index,
param)`` to change ``param.value`` in place, still works: its steps cannot be
seen in advance, so the engine checks them the slow way (a copy of the weights
before, a look at them after).

Every rule follows ``torch.optim``'s definition of the same name, operation
for operation, so that a run can be checked step by step against PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..core.errors import Described, ValidationError
from ..core.layers import Parameter
from ..core.validation import check_positive_float, fail

__all__ = ["Optimizer"]

#: Bytes per chunk of a scaled step (see Optimizer._subtract_scaled); measured best on a 2 MB L2 cache.
_CHUNK_BYTES = 1 << 18


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

    _in_place = False  # see __init_subclass__
    _scales_values = False
    _scales_gradients = False
    #: value_factor and delta_scale of the step prepare_step prepared.
    prepared_factor: float = 1.0
    prepared_scale: float | None = None
    _scale_source: Any = None  # the last delta_scale and itself as a 0-d array (_subtract_scaled)
    _scale: np.ndarray = np.empty(())
    _deltas: list[np.ndarray] | None = None  # what prepare_step returns, one list reused for every step

    def __init__(
        self,
        parameters: Iterable[Parameter] | Parameter | None = None,
        learning_rate: float = 0.01,
        *,
        weight_decay: float = 0.0,
    ) -> None:
        self.learning_rate = check_positive_float(learning_rate, "learning_rate")
        #: The rate a schedule starts from; ``learning_rate`` is the one in use now.
        self.initial_learning_rate = self.learning_rate
        self.weight_decay = check_positive_float(weight_decay, "weight_decay", allow_zero=True)
        self.steps = 0
        self._buffers: dict[tuple[int, str], np.ndarray] = {}
        # per parameter: (value, grad, [(grad chunk, value chunk, scratch chunk), ...]), the chunks cache-sized
        self._chunk_views: dict[
            int, tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray, np.ndarray]]]
        ] = {}
        self.parameters: list[Parameter] = []
        if parameters is not None:
            self.bind(parameters)

    def bind(self, parameters: Iterable[Parameter] | Parameter) -> Optimizer:
        """Attach the optimizer to ``parameters`` (state starts afresh); returns self."""
        if isinstance(parameters, Parameter):
            parameters = [parameters]
        elif isinstance(parameters, (str, bytes)) or not isinstance(parameters, Iterable):
            # (e.g. SGD(0.1): the first positional argument is the parameters, as in torch.optim)
            raise fail(
                "parameters",
                "Parameter objects (network.parameters()) or None; the learning rate is learning_rate=",
                parameters,
            )
        else:
            parameters = list(parameters)
        self.parameters = [p for p in parameters if _is_parameter(p) and p.trainable]
        if not self.parameters:
            raise fail("parameters", "at least one trainable Parameter", parameters)
        self._buffers.clear()
        self._deltas = None
        self._chunk_views = {}
        self.steps = 0
        return self

    @property
    def shows_step(self) -> bool:
        """Whether :meth:`prepare_step` returns the step before it is taken.

        False for a rule of the earlier contract (an in-place ``update``): its
        :meth:`prepare_step` only counts the step, and :meth:`step` is the way to take it.
        """
        return not self._in_place

    @property
    def bound(self) -> bool:
        """Whether the optimizer has parameters to update."""
        return bool(self.parameters)

    def step(self) -> None:
        """Apply one update to every parameter from its current gradient (unchecked)."""
        deltas = self.prepare_step()
        if deltas is None:  # a rule written for the in-place contract
            for index, param in enumerate(self.parameters):
                self.update(index, param)
        else:
            self.apply_step(deltas)

    def prepare_step(self) -> list[np.ndarray] | None:
        """Advance the state by one step; return, per parameter, what :meth:`apply_step` will apply.

        That is the change ``d`` of the parameter (its new value is
        ``value * value_factor - d``), or, when :attr:`delta_scale` is set, the
        gradient itself, which :meth:`apply_step` scales (one pass over the
        values instead of two; :meth:`delta` is then not called). The arrays
        belong to the optimizer or the parameters (valid until the next step;
        the list is reused too). :attr:`prepared_factor` and
        :attr:`prepared_scale` hold this step's :attr:`value_factor` and
        :attr:`delta_scale`. None for a subclass that only implements the
        in-place ``update``: then nothing has happened yet and :meth:`step`
        does the whole step.
        """
        params = self.parameters
        if not params:
            raise RuntimeError(f"{type(self).__name__}: bind parameters before calling step()")
        self.steps += 1
        if self._in_place:
            return None
        self.prepared_factor = self.value_factor if self._scales_values else 1.0
        scale = self.prepared_scale = self.delta_scale if self._scales_gradients else None
        deltas = self._deltas
        if deltas is None or len(deltas) != len(params):
            deltas = self._deltas = [p.grad for p in params]
        if scale is None:
            delta = self.delta
            for index, param in enumerate(params):
                deltas[index] = delta(index, param)
        elif deltas[0] is not params[0].grad:
            deltas[:] = [p.grad for p in params]
        return deltas

    def apply_step(self, deltas: list[np.ndarray]) -> None:
        """Apply what :meth:`prepare_step` returned: ``value <- value * value_factor - d`` for each parameter."""
        factor, scale = self.prepared_factor, self.prepared_scale
        for index, param in enumerate(self.parameters):
            value = param.value
            if factor != 1.0:
                value *= factor
            if scale is None:
                np.subtract(value, deltas[index], out=value)
            else:
                self._subtract_scaled(index, value, deltas[index], scale)

    def _subtract_scaled(self, index: int, value: np.ndarray, g: np.ndarray, scale: float) -> None:
        # value -= fl(scale * g), through a scratch chunk small enough to stay in cache between
        # the two ufuncs: the full-size intermediate would be written to memory and read back.
        chunks = self._chunk_views.get(index)
        if chunks is None or chunks[0] is not value or chunks[1] is not g:
            flat_value, flat_g, size = value.reshape(-1), g.reshape(-1), max(1, _CHUNK_BYTES // value.itemsize)
            if value.size <= size:  # the arrays themselves: no views to go through
                views = [(g, value, self.buffer(index, "scratch_step", value))]
            else:
                step = self.buffer(index, "scratch_step", flat_value[:size])
                # Last chunk first: the next forward pass starts with the first layer's weights,
                # at the start of the buffer, so those are the ones to leave in cache.
                views = [
                    (flat_g[k : k + size], flat_value[k : k + size], step[: min(size, value.size - k)])
                    for k in reversed(range(0, value.size, size))
                ]
            chunks = self._chunk_views[index] = (value, g, views)
        multiply, subtract = np.multiply, np.subtract
        # The Python float as a 0-d array of the values' dtype (the same bits as converting it in
        # each ufunc call, which costs more than the arithmetic on small layers), kept while the
        # learning rate stays the same object.
        if scale is not self._scale_source or self._scale.dtype is not value.dtype:
            self._scale_source, self._scale = scale, np.asarray(scale, dtype=value.dtype)
        scale_0d = self._scale
        for g_part, value_part, step_part in chunks[2]:
            multiply(g_part, scale_0d, step_part)
            subtract(value_part, step_part, value_part)

    def delta(self, index: int, param: Parameter) -> np.ndarray:
        """This step's change of ``param`` from ``param.grad``: the new value is ``value * value_factor - d``.

        Subclasses implement it: advance the state kept for ``index``, write
        ``d`` into an array from :meth:`buffer` and return it; never change
        ``param.value``. (With :attr:`delta_scale` set, return ``param.grad``.)
        """
        raise NotImplementedError(f"{type(self).__name__} implements neither delta() nor update()")

    def update(self, index: int, param: Parameter) -> None:
        """Update ``param.value`` in place from ``param.grad``: one parameter's whole step, unchecked.

        The earlier contract for subclasses, still honoured when overridden
        (instead of :meth:`delta`).
        """
        d = self.delta(index, param)
        if self.value_factor != 1.0:
            param.value *= self.value_factor
        scale = self.delta_scale
        if scale is None:
            np.subtract(param.value, d, out=param.value)
        else:
            self._subtract_scaled(index, param.value, d, scale)

    @property
    def value_factor(self) -> float:
        """What every value is multiplied by before ``d`` is subtracted (1; AdamW's decay is ``1 - lr * wd``)."""
        return 1.0

    @property
    def delta_scale(self) -> float | None:
        """``c`` when this step's change is ``fl(c * grad)`` elementwise (plain SGD: the learning rate), else None.

        Then :meth:`prepare_step` hands back the gradients and :meth:`apply_step`
        scales them, and the engine bounds the step from the gradient it has
        already checked, without a pass over ``d``.
        """
        return None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A rule of the earlier contract overrides update() below (or without) any delta().
        update, delta = (next(k for k in cls.__mro__ if name in k.__dict__) for name in ("update", "delta"))
        cls._in_place = update is not delta and issubclass(update, delta)
        cls._scales_values = cls.value_factor is not Optimizer.value_factor
        cls._scales_gradients = cls.delta_scale is not Optimizer.delta_scale

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

    def __getstate__(self) -> dict[str, Any]:
        # The reused step list and the chunk views are views of the parameters: rebuilt, not copied.
        return {k: v for k, v in self.__dict__.items() if k not in ("_deltas", "_chunk_views")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._deltas, self._chunk_views = None, {}

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

    def state_dict(self) -> dict[str, Any]:
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

    def load_state_dict(
        self, state: dict[str, Any], *, field_name: Callable[[tuple[str, ...]], str] | None = None
    ) -> None:
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
            raise fail(
                name_of(()), f"the hyperparameters of {type(self).__name__}", Described(str(sorted(hyper)))
            ) from None
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
                raise fail(
                    name_of(("buffers", str(key)[:40])),
                    f"keys '<parameter index>.<name>' below {len(self.parameters)}",
                    key,
                )
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
                raise fail(
                    where,
                    "values >= 0 (a running average of squares)",
                    Described(f"{int((array < 0).sum())} negative values"),
                )
            buffers[(int(index), name)] = array
        declared = checked.state_buffers()
        if declared is not None:
            expected = {(i, name) for i in range(len(self.parameters)) for name in declared} if steps else set()
            for i, name in sorted(expected - set(buffers)):
                raise fail(
                    name_of(("buffers", f"{i}.{name}")),
                    f"an array (every step of {type(self).__name__} keeps {list(declared)} per parameter)",
                    Described("nothing, it is missing"),
                )
            for i, name in sorted(set(buffers) - expected):
                raise fail(
                    name_of(("buffers", f"{i}.{name}")),
                    f"one of {list(declared)}" if steps else "no state arrays before the first step",
                    Described("an array this optimizer does not keep"),
                )
        for name, value in checked.hyperparameters().items():
            setattr(self, name, value)
        self.initial_learning_rate = initial
        self.steps = int(steps)
        self._buffers = buffers

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args}, parameters={len(self.parameters)})"


def _state_field(path: tuple[str, ...]) -> str:
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
