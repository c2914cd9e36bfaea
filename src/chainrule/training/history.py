"""The record of a training run: one value per epoch for each quantity."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from ..core.errors import excerpt

__all__ = ["History", "display_order"]


def display_order(names: Any) -> list[str]:
    """Series names in the order to show them: ``loss``, ``val_loss``, then each metric beside its ``val_`` form."""
    names = [n for n in names if n not in ("epoch", "seed", "steps", "stopped_epoch")]
    order = [n for n in ("loss", "val_loss") if n in names]
    for name in names:
        if not name.startswith("val_") and name not in order:
            order += [n for n in (name, f"val_{name}") if n in names]
    return order + [n for n in names if n not in order]


class History:
    """Per-epoch training loss, validation loss and metrics.

    ``history.epoch`` lists the 1-based epoch numbers; ``history.loss`` the mean
    training loss of each epoch (over its mini-batches, each weighted by its
    size); ``history.val_loss`` and ``history.val_<metric>`` are computed on the
    validation data after each epoch, and ``history.<metric>`` on the training
    data (only for requested metrics). Every list has one entry per epoch.
    ``history["loss"]`` works too, and :meth:`to_dict` returns plain lists.

    Attributes besides the series: ``stopped_epoch`` (the epoch where a callback
    or early stopping ended training, else None), ``seed`` (the integer from
    which every shuffle was derived), ``steps`` (updates applied).
    """

    def __init__(self, seed: int | None = None) -> None:
        self.epoch: list[int] = []
        self.series: dict[str, list[float]] = {}
        self.seed = seed
        self.stopped_epoch: int | None = None
        self.steps = 0

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Record ``logs`` (name -> value) for ``epoch``."""
        self.epoch.append(epoch)
        for name, value in logs.items():
            self.series.setdefault(name, []).append(float(value))

    def __getattr__(self, name: str) -> list[float]:
        series: dict[str, list[float]] = self.__dict__.get("series", {})
        if name in series:
            return series[name]
        raise AttributeError(f"History has no series {name!r}; it has {sorted(series)}")

    def __getitem__(self, name: str) -> list[float]:
        return self.series[name]

    def __contains__(self, name: object) -> bool:
        return name in self.series

    def __len__(self) -> int:
        return len(self.epoch)

    def to_dict(self) -> dict[str, Any]:
        """``{"epoch": [...], "loss": [...], ...}`` plus ``seed``, ``steps``, ``stopped_epoch``; JSON-ready."""
        return {
            "epoch": list(self.epoch),
            **{k: list(v) for k, v in self.series.items()},
            "seed": self.seed,
            "steps": self.steps,
            "stopped_epoch": self.stopped_epoch,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, field_name: Callable[[str], str] | None = None) -> History:
        """Rebuild a history from :meth:`to_dict` (e.g. read back from a checkpoint), checked first.

        ``epoch`` lists increasing epochs (>= 1); every other list is a series
        of numbers, one per epoch; ``seed`` and ``steps`` are integers >= 0 (or
        None), ``stopped_epoch`` an epoch or None. Errors are
        :class:`ValidationError` naming the entry: ``field_name(key)`` with
        ``key`` such as ``"loss"``, ``"loss[3]"`` or ``""`` for the whole
        history, by default ``"history 'loss'"``, ``"history 'loss'[3]"``.
        """
        from ..core.validation import check_positive_int, fail

        def name_of(key: str) -> str:
            if field_name is not None:
                return field_name(key)
            series, _, index = key.partition("[")
            return f"history {series!r}" + (f"[{index}" if index else "") if key else "history"

        epochs = data.get("epoch") if isinstance(data, dict) else None
        if not isinstance(epochs, list):
            raise fail(name_of(""), "a dict from History.to_dict() with an 'epoch' list", data)
        for k, epoch in enumerate(epochs):
            check_positive_int(epoch, name_of(f"epoch[{k}]"))
            if k and epoch <= epochs[k - 1]:
                raise fail(name_of(f"epoch[{k}]"), f"an epoch after {epochs[k - 1]} (epochs increase)", epoch)
        history = cls()
        history.epoch = [int(e) for e in epochs]
        for name, values in data.items():
            if name in ("epoch", "seed", "steps", "stopped_epoch"):
                continue
            if not isinstance(name, str):
                raise fail(name_of(excerpt(name)), "a series named by a text", values)
            shown = name if len(name) <= 40 else name[:37] + "..."
            if not isinstance(values, list) or len(values) != len(epochs):
                raise fail(name_of(shown), f"a list of {len(epochs)} values (one per epoch)", values)
            series = []
            for k, value in enumerate(values):
                try:
                    if isinstance(value, bool) or not isinstance(value, numbers.Real):
                        raise TypeError
                    series.append(float(value))
                except (TypeError, OverflowError):
                    raise fail(name_of(f"{shown}[{k}]"), "a number within float64's range", value) from None
            history.series[name] = series
        for key, minimum in (("seed", 0), ("steps", 0), ("stopped_epoch", 1)):
            value = data.get(key)
            if value is not None:
                check_positive_int(value, name_of(key), minimum=minimum)
        history.seed = data.get("seed")
        history.steps = int(data.get("steps") or 0)
        history.stopped_epoch = data.get("stopped_epoch")
        return history

    def extend(self, later: History) -> History:
        """Append a resumed run's epochs (``later``) to this one; returns self."""
        from ..core.validation import fail

        if self.epoch and later.epoch and later.epoch[0] <= self.epoch[-1]:
            raise fail("later", f"epochs after {self.epoch[-1]}", later.epoch[0])
        n_before = len(self.epoch)
        self.epoch.extend(later.epoch)
        for name in set(self.series) | set(later.series):
            mine = self.series.setdefault(name, [float("nan")] * n_before)
            mine.extend(later.series.get(name, [float("nan")] * len(later.epoch)))
        self.steps, self.stopped_epoch = later.steps, later.stopped_epoch
        return self

    def __repr__(self) -> str:
        last = {k: round(v[-1], 6) for k, v in self.series.items() if v}
        return f"History(epochs={len(self.epoch)}, last={last})"
