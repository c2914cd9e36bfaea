"""Early stopping: end training when a monitored quantity stops improving."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import Described, excerpt
from ..core.metrics import METRICS
from ..core.validation import check_positive_float, check_positive_int, fail
from .callbacks import Callback

if TYPE_CHECKING:
    from .loop import TrainingLoop

__all__ = ["EarlyStopping"]


def _finite(value: Any, what: str) -> float:
    """A finite number (of either sign), as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise fail(what, "a finite number", value)
    try:
        number = float(value)
    except OverflowError:
        number = float("inf")
    if not np.isfinite(number):
        raise fail(what, "a finite number", value)
    return number


MODES = ("auto", "min", "max")


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    Parameters
    ----------
    monitor : str
        A name the history records: ``"val_loss"`` (default; needs validation
        data), ``"loss"``, ``"val_accuracy"``, ...
    patience : int
        Training stops after this many epochs in a row without improvement
        (0 stops at the first one), as in Keras.
    min_delta : float
        The smallest change that counts as an improvement (>= 0).
    restore_best_weights : bool
        At the end of training, put back the weights of the best epoch.
    mode : {"auto", "min", "max"}
        Whether lower or higher is better; ``"auto"`` knows losses, errors (lower)
        and accuracy, R^2 (higher).

    Notes
    -----
    After training, ``best_epoch``, ``best`` (the monitored value there) and
    ``stopped_epoch`` (None when training ran to the end) describe what happened.
    ``best_weights`` is a copy of every parameter value (the network's flat
    buffer) at the best epoch; if training ends by an exception (Ctrl-C,
    divergence) they are *not* restored automatically: call
    :meth:`restore` to put them back.
    """

    def __init__(
        self,
        patience: int = 5,
        min_delta: float = 0.0,
        restore_best_weights: bool = True,
        *,
        monitor: str = "val_loss",
        mode: str = "auto",
    ) -> None:
        self.patience = check_positive_int(patience, "patience", minimum=0)
        self.min_delta = check_positive_float(min_delta, "min_delta", allow_zero=True)
        if not isinstance(restore_best_weights, (bool, np.bool_)):
            raise fail("restore_best_weights", "True or False", restore_best_weights)
        self.restore_best_weights = bool(restore_best_weights)
        if not isinstance(monitor, str) or not monitor:
            raise fail("monitor", "a history name such as 'val_loss'", monitor)
        if mode not in MODES:
            raise fail("mode", f"one of {list(MODES)}", mode)
        self.monitor = monitor
        base = monitor[4:] if monitor.startswith("val_") else monitor
        self.higher_is_better = mode == "max" or (mode == "auto" and base in METRICS and METRICS[base].higher_is_better)
        self.mode = mode
        self.reset()

    def reset(self) -> None:
        """Forget any previous run."""
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.best_weights: np.ndarray | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None

    # -- hooks -----------------------------------------------------------------------
    def on_train_begin(self, loop: TrainingLoop) -> None:
        if self.monitor not in loop.log_names:
            raise fail("EarlyStopping monitor", f"one of {sorted(loop.log_names)}", self.monitor)
        self.stopped_epoch = None

    def improved(self, value: float) -> bool:
        """Whether ``value`` beats the best so far by more than ``min_delta``."""
        if self.best is None:
            return bool(np.isfinite(value))
        if self.higher_is_better:
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_epoch_end(self, loop: TrainingLoop, epoch: int, logs: dict[str, float]) -> None:
        value = float(logs[self.monitor])
        if self.improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                flat = loop.network.buffer.values
                if self.best_weights is None or self.best_weights.shape != flat.shape:
                    self.best_weights = np.empty_like(flat)
                np.copyto(self.best_weights, flat)
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            loop.stop_training = True

    def on_train_end(self, loop: TrainingLoop) -> None:
        if self.restore_best_weights and self.best_epoch is not None and self.best_epoch != loop.epoch:
            self.restore(loop.network)

    def restore(self, network: Any) -> bool:
        """Copy the best epoch's weights into ``network``; False when none were kept."""
        if self.best_weights is None:
            return False
        np.copyto(network.buffer.values, self.best_weights)
        return True

    # -- state, for checkpoints ------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """What a resumed run needs: best value and epoch, patience counter, best weights (a copy)."""
        return {
            "best": self.best,
            "best_epoch": self.best_epoch,
            "wait": self.wait,
            "best_weights": None if self.best_weights is None else self.best_weights.copy(),
        }

    #: The keys of :meth:`state_dict`.
    STATE_KEYS = ("best", "best_epoch", "wait", "best_weights")

    def load_state_dict(self, state: dict[str, Any], *, field_name: Callable[[str], str] | None = None) -> None:
        """Restore what :meth:`state_dict` saved, checked first (:class:`ValidationError` naming the key).

        ``best`` is a finite number and ``best_epoch`` an epoch (>= 1), or both
        None before any epoch was monitored; ``wait`` counts epochs (>= 0);
        ``best_weights`` (optional) is None or a 1-D array of finite floats,
        and only with a ``best_epoch``. ``field_name(key)`` names a bad entry
        (default ``"early_stopping state 'best'"``; ``""`` for the state itself).
        """
        name_of = field_name or (lambda key: f"early_stopping state {key!r}" if key else "early_stopping state")
        if not isinstance(state, dict):
            raise fail(name_of(""), "an object from EarlyStopping.state_dict()", state)
        for key in state:
            if key not in self.STATE_KEYS:
                shown = key[:40] if isinstance(key, str) else excerpt(key)
                raise fail(name_of(shown), f"one of the keys {list(self.STATE_KEYS)}", Described("an unknown key"))
        for key in ("best", "best_epoch", "wait"):
            if key not in state:
                raise fail(name_of(key), "a value (the key is required)", Described("nothing, the key is missing"))
        best, best_epoch = state["best"], state["best_epoch"]
        if (best is None) != (best_epoch is None):
            raise fail(name_of("best"), "a value exactly when best_epoch has one", best)
        if best is not None:
            best = _finite(best, name_of("best"))
            best_epoch = check_positive_int(best_epoch, name_of("best_epoch"))
        wait = check_positive_int(state["wait"], name_of("wait"), minimum=0)
        weights = state.get("best_weights")
        if weights is not None:
            try:
                weights = np.array(weights)
            except (TypeError, ValueError, OverflowError):
                raise fail(name_of("best_weights"), "an array of numbers", weights) from None
            if weights.ndim != 1 or weights.dtype.kind != "f" or not np.isfinite(weights).all():
                raise fail(name_of("best_weights"), "a 1-D array of finite floats (the flat weights)", weights)
            if best_epoch is None:
                raise fail(name_of("best_weights"), "none before a best epoch", weights)
        self.best, self.best_epoch, self.wait, self.best_weights = best, best_epoch, wait, weights

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, "
            f"restore_best_weights={self.restore_best_weights}, monitor={self.monitor!r})"
        )
