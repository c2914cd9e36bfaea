"""Callbacks: code that runs at the boundaries of training.

A callback subclasses :class:`Callback` and overrides the hooks it needs. Each
hook receives the running :class:`~chainrule.training.loop.TrainingLoop`, whose
``network``, ``optimizer``, ``epoch`` (1-based), ``step`` (updates so far),
``history`` and ``stop_training`` it may read; setting
``loop.stop_training = True`` ends training after the current step.
``on_batch_end`` runs on every update, so it is only called for callbacks
that override it, and should be cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .loop import TrainingLoop

__all__ = ["Callback", "KeepEpochWeights", "LambdaCallback"]


class Callback:
    """Base class: every hook does nothing."""

    def on_train_begin(self, loop: TrainingLoop) -> None:
        """Before the first epoch (after data, optimizer and validation split are ready)."""

    def on_epoch_begin(self, loop: TrainingLoop, epoch: int) -> None:
        """Before epoch ``epoch`` (1-based), after its learning rate is set."""

    def on_batch_end(self, loop: TrainingLoop, step: int, loss: float) -> None:
        """After update ``step`` (1-based, counted over the whole run); ``loss`` is the batch's E."""

    def on_epoch_end(self, loop: TrainingLoop, epoch: int, logs: dict[str, float]) -> None:
        """After epoch ``epoch``; ``logs`` holds what the history records for it."""

    def on_train_end(self, loop: TrainingLoop) -> None:
        """After the last epoch or a requested stop (not after an exception)."""

    def overrides(self, hook: str) -> bool:
        """Whether this callback defines its own ``hook``."""
        return getattr(type(self), hook) is not getattr(Callback, hook)


class LambdaCallback(Callback):
    """A callback from plain functions, e.g. ``LambdaCallback(on_epoch_end=lambda loop, epoch, logs: ...)``."""

    def __init__(self, **hooks: Callable[..., None]) -> None:
        for name, function in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name) or not callable(function):
                from ..core.validation import fail

                raise fail(name, "a callable for one of Callback's on_* hooks", function)
            setattr(self, name, function)

    def overrides(self, hook: str) -> bool:
        return hook in self.__dict__


class KeepEpochWeights(Callback):
    """Keeps a copy of the weights as they were at the end of the latest epoch.

    A run stopped in the middle of an epoch (Ctrl-C, divergence) can then
    write the weights of its last complete epoch, whose loss and metrics the
    history records, instead of weights no metric describes. ``epoch`` is that
    epoch (None before the first one ends); the copy reuses one array.
    """

    def __init__(self) -> None:
        self.epoch: int | None = None
        self.weights: np.ndarray | None = None

    def on_epoch_end(self, loop: TrainingLoop, epoch: int, logs: dict[str, float]) -> None:
        values = loop.network.buffer.values
        if self.weights is None or self.weights.shape != values.shape:
            self.weights = np.empty_like(values)
        np.copyto(self.weights, values)
        self.epoch = epoch

    def restore(self, network: Any) -> bool:
        """Copy the kept weights into ``network``; False when no epoch has ended yet."""
        if self.weights is None:
            return False
        np.copyto(network.buffer.values, self.weights)
        return True
