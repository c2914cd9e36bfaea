"""Learning-rate schedules: the learning rate as a pure function of the epoch (or step).

A schedule holds no state: ``schedule(t, base)`` gives the learning rate after
``t`` completed epochs (``per="epoch"``, the default) or updates
(``per="step"``), starting from ``base``. :meth:`chainrule.Network.fit` sets
the optimizer's rate from it before each epoch (or step), so a run resumed at
epoch ``t`` needs nothing saved but ``t``. The formulas are the closed forms of
``torch.optim.lr_scheduler``'s classes of the same names.

A rate that grows past the largest float (``ExponentialLR(10.0)`` after 308
epochs) is ``inf``, never an ``OverflowError``; the training loop refuses a
non-finite rate, before the first epoch when it can see it coming.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..core.validation import check_choice, check_positive_float, check_positive_int, fail

__all__ = ["Schedule", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "SequentialLR", "warmup"]

UNITS = ("epoch", "step")


def _scaled_power(base: float, gamma: float, n: int) -> float:
    """``base * gamma ** n``, ``inf`` (not OverflowError) when the power overflows."""
    try:
        return base * gamma**n
    except OverflowError:
        return math.copysign(math.inf, base) if base else 0.0


class Schedule:
    """Base class; subclasses implement :meth:`__call__`."""

    def __init__(self, per: str = "epoch") -> None:
        self.per = check_choice(per, "per", UNITS)

    def __call__(self, t: int, base: float) -> float:
        """Learning rate after ``t`` (>= 0) epochs or steps, from base rate ``base``."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """The schedule's arguments (it keeps no other state)."""
        return {"name": type(self).__name__, **self._args()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Check that ``state`` describes this schedule; nothing else to restore."""
        if state != self.state_dict():
            raise fail("state", f"the state_dict of {self!r}", state)

    def _args(self) -> dict[str, Any]:
        return {"per": self.per}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._args().items())})"


class StepLR(Schedule):
    """``base * gamma ** (t // step_size)``: multiply by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, step_size: int, gamma: float = 0.1, *, per: str = "epoch") -> None:
        super().__init__(per)
        self.step_size = check_positive_int(step_size, "step_size")
        self.gamma = check_positive_float(gamma, "gamma")

    def __call__(self, t: int, base: float) -> float:
        return _scaled_power(base, self.gamma, t // self.step_size)

    def _args(self) -> dict[str, Any]:
        return {"step_size": self.step_size, "gamma": self.gamma, **super()._args()}


class ExponentialLR(Schedule):
    """``base * gamma ** t``."""

    def __init__(self, gamma: float, *, per: str = "epoch") -> None:
        super().__init__(per)
        self.gamma = check_positive_float(gamma, "gamma")

    def __call__(self, t: int, base: float) -> float:
        return _scaled_power(base, self.gamma, t)

    def _args(self) -> dict[str, Any]:
        return {"gamma": self.gamma, **super()._args()}


class CosineAnnealingLR(Schedule):
    """``eta_min + (base - eta_min) (1 + cos(pi t / t_max)) / 2`` for ``t <= t_max``.

    Beyond ``t_max`` the cosine continues (rising again), as in PyTorch.
    """

    def __init__(self, t_max: int, eta_min: float = 0.0, *, per: str = "epoch") -> None:
        super().__init__(per)
        self.t_max = check_positive_int(t_max, "t_max")
        self.eta_min = check_positive_float(eta_min, "eta_min", allow_zero=True)

    def __call__(self, t: int, base: float) -> float:
        return self.eta_min + (base - self.eta_min) * (1.0 + math.cos(math.pi * t / self.t_max)) / 2.0

    def _args(self) -> dict[str, Any]:
        return {"t_max": self.t_max, "eta_min": self.eta_min, **super()._args()}


class LinearLR(Schedule):
    """``base * f`` with ``f`` moving linearly from ``start_factor`` to ``end_factor`` over ``total_iters``.

    ``f = start + (end - start) * min(t, total_iters) / total_iters``; with the
    defaults this is a linear warm-up from a third of the rate.
    """

    def __init__(
        self, start_factor: float = 1.0 / 3.0, end_factor: float = 1.0, total_iters: int = 5, *, per: str = "epoch"
    ) -> None:
        super().__init__(per)
        self.start_factor = check_positive_float(start_factor, "start_factor")
        self.end_factor = check_positive_float(end_factor, "end_factor", allow_zero=True)
        if self.start_factor > 1.0 or self.end_factor > 1.0:
            raise fail("start_factor, end_factor", "numbers in (0, 1] and [0, 1]", (start_factor, end_factor))
        self.total_iters = check_positive_int(total_iters, "total_iters")

    def __call__(self, t: int, base: float) -> float:
        frac = min(t, self.total_iters) / self.total_iters
        return base * (self.start_factor + (self.end_factor - self.start_factor) * frac)

    def _args(self) -> dict[str, Any]:
        return {
            "start_factor": self.start_factor,
            "end_factor": self.end_factor,
            "total_iters": self.total_iters,
            **super()._args(),
        }


class SequentialLR(Schedule):
    """``schedules[k]`` from ``milestones[k-1]`` on, each restarted at its milestone (t counted from there)."""

    def __init__(self, schedules: Sequence[Schedule], milestones: Sequence[int]) -> None:
        schedules, milestones = list(schedules), list(milestones)
        if not schedules or not all(isinstance(s, Schedule) for s in schedules):
            raise fail("schedules", "a non-empty list of Schedule objects", schedules)
        if len(milestones) != len(schedules) - 1:
            raise fail("milestones", f"{len(schedules) - 1} milestones (one fewer than schedules)", milestones)
        milestones = [check_positive_int(m, "milestones") for m in milestones]
        if milestones != sorted(set(milestones)):
            raise fail("milestones", "strictly increasing integers", milestones)
        if len({s.per for s in schedules}) != 1:
            raise fail("schedules", "schedules that all count epochs or all count steps", schedules)
        super().__init__(schedules[0].per)
        self.schedules, self.milestones = schedules, milestones

    def __call__(self, t: int, base: float) -> float:
        start, current = 0, self.schedules[0]
        for milestone, schedule in zip(self.milestones, self.schedules[1:]):
            if t >= milestone:
                start, current = milestone, schedule
        return current(t - start, base)

    def _args(self) -> dict[str, Any]:
        return {"schedules": [s.state_dict() for s in self.schedules], "milestones": self.milestones}

    def __repr__(self) -> str:
        return f"SequentialLR({self.schedules!r}, milestones={self.milestones!r})"


def warmup(
    steps: int, then: Schedule | None = None, start_factor: float = 1.0 / 3.0, *, per: str = "epoch"
) -> Schedule:
    """Linear warm-up over ``steps`` epochs (or steps) from ``start_factor * base``, then ``then``.

    The same as PyTorch's ``SequentialLR([LinearLR(start_factor, 1, steps), then], [steps])``;
    without ``then`` the rate stays at ``base`` after the warm-up.
    """
    ramp = LinearLR(start_factor, 1.0, steps, per=then.per if then is not None else per)
    return ramp if then is None else SequentialLR([ramp, then], [ramp.total_iters])
