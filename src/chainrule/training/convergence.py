"""scikit-learn MLP's convergence rule and learning-rate schedules, as a callback.

:class:`EarlyStopping` is Keras's rule (patience, ``min_delta``, best weights
restored). scikit-learn's ``MLPClassifier``/``MLPRegressor`` use another one
(``_update_no_improvement_count`` in ``sklearn/neural_network/_multilayer_perceptron.py``);
:class:`ConvergenceRule` is that rule, for any :meth:`chainrule.Network.fit`.
After every epoch, in scikit-learn's order:

1. the count of epochs without improvement. Monitoring the training loss
   (``monitor="loss"``, lower is better)::

       count = count + 1 if loss > best_loss - tol else 0;  best_loss = min(best_loss, loss)

   monitoring a validation score (``monitor="val_accuracy"``, ``"val_r2"``:
   higher is better)::

       count = count + 1 if score < best_score + tol else 0
       if score > best_score: best_score = score, and the weights are kept

2. ``learning_rate="invscaling"``: the rate becomes
   ``initial_rate / (samples_seen + 1) ** power_t`` (``samples_seen``: training
   rows visited so far, scikit-learn's ``t_``);
3. once ``count > n_iter_no_change``: with ``learning_rate="adaptive"`` the rate
   is divided by 5 and the count restarts, unless the rate is already at most
   ``1e-6``; otherwise training stops (``converged`` becomes True).

With a validation score the best epoch's weights are put back when training
ends (however it ends, as scikit-learn does). The state carries over between
``fit`` calls on the same callback (warm starts, ``partial_fit``), as
scikit-learn's does between calls on the same estimator; :meth:`reset` forgets it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.metrics import METRICS
from ..core.validation import check_choice, check_positive_float, fail
from .callbacks import Callback

if TYPE_CHECKING:
    from .loop import TrainingLoop

__all__ = ["ConvergenceRule", "LEARNING_RATE_SCHEDULES"]

#: scikit-learn's ``learning_rate`` choices.
LEARNING_RATE_SCHEDULES = ("constant", "invscaling", "adaptive")
#: The rate below which ``adaptive`` stops dividing and stops training (scikit-learn's constant).
SMALLEST_ADAPTIVE_RATE = 1e-6


class ConvergenceRule(Callback):
    """Stop when the monitored value has not improved by ``tol`` for more than ``n_iter_no_change`` epochs.

    Parameters
    ----------
    tol : float >= 0
        The improvement that counts (scikit-learn's ``tol``).
    n_iter_no_change : int >= 1 or ``math.inf``
        Epochs in a row without such an improvement that are tolerated; the
        next one stops training (or divides an adaptive rate). ``inf`` never stops.
    monitor : str
        ``"loss"`` (the training loss the history records, penalty included)
        or a validation metric the history records, ``"val_accuracy"``,
        ``"val_r2"`` (higher is better).
    learning_rate : {"constant", "invscaling", "adaptive"}
        scikit-learn's schedule (see the module docstring); it sets the
        optimizer's ``learning_rate`` after each epoch.
    power_t : float >= 0
        The exponent of ``invscaling``.
    restore_best_weights : bool
        With a validation score: put back the best epoch's weights at the end.
    training_loss : callable ``(loop, logs) -> float``, optional
        The training loss to monitor instead of ``logs["loss"]`` (the
        estimators use it to follow scikit-learn's loss for several regression outputs).

    Attributes
    ----------
    n_no_improvement : int
        scikit-learn's ``_no_improvement_count``.
    best_loss, best_score : float
        The best training loss (``inf`` before any) and validation score (``-inf``).
    samples_seen : int
        Training rows visited (scikit-learn's ``t_``), over every fit.
    converged : bool
        Whether the rule stopped the last run; ``message`` says why.
    best_weights : ndarray or None
        The flat weights of the best validation score.
    """

    def __init__(
        self,
        tol: float = 1e-4,
        n_iter_no_change: float = 10,
        *,
        monitor: str = "loss",
        learning_rate: str = "constant",
        power_t: float = 0.5,
        restore_best_weights: bool = True,
        training_loss: Callable[[TrainingLoop, dict[str, float]], float] | None = None,
    ) -> None:
        self.tol = check_positive_float(tol, "tol", allow_zero=True)
        if isinstance(n_iter_no_change, bool) or not (
            (isinstance(n_iter_no_change, numbers.Integral) and n_iter_no_change >= 1) or n_iter_no_change == math.inf
        ):
            raise fail("n_iter_no_change", "an integer >= 1 or math.inf", n_iter_no_change)
        self.n_iter_no_change = n_iter_no_change if n_iter_no_change == math.inf else int(n_iter_no_change)
        if not isinstance(monitor, str) or not (monitor == "loss" or monitor.startswith("val_")):
            raise fail("monitor", "'loss' or a validation metric such as 'val_accuracy'", monitor)
        if monitor != "loss":
            metric = METRICS.get(monitor[4:])
            if metric is not None and not metric.higher_is_better:
                raise fail("monitor", "a score where higher is better (val_accuracy, val_r2)", monitor)
        self.monitor = monitor
        self.learning_rate = check_choice(learning_rate, "learning_rate", LEARNING_RATE_SCHEDULES)
        self.power_t = check_positive_float(power_t, "power_t", allow_zero=True)
        if not isinstance(restore_best_weights, (bool, np.bool_)):
            raise fail("restore_best_weights", "True or False", restore_best_weights)
        self.restore_best_weights = bool(restore_best_weights)
        if training_loss is not None and not callable(training_loss):
            raise fail("training_loss", "a callable (loop, logs) -> float, or None", training_loss)
        self.training_loss = training_loss
        self.reset()

    @property
    def uses_validation(self) -> bool:
        """Whether the rule monitors a validation score (else the training loss)."""
        return self.monitor != "loss"

    def reset(self) -> None:
        """Forget every previous run."""
        self.n_no_improvement = 0
        self.best_loss = math.inf
        self.best_score = -math.inf
        self.best_epoch: int | None = None
        self.best_weights: np.ndarray | None = None
        self.samples_seen = 0
        self.converged = False
        self.message = ""
        self.scores: list[float] = []

    # -- hooks -----------------------------------------------------------------------
    def on_train_begin(self, loop: TrainingLoop) -> None:
        if self.monitor not in loop.log_names:
            raise fail("ConvergenceRule monitor", f"one of {sorted(loop.log_names)}", self.monitor)
        self.converged, self.message = False, ""

    def on_epoch_end(self, loop: TrainingLoop, epoch: int, logs: dict[str, float]) -> None:
        if self.uses_validation:
            score = float(logs[self.monitor])
            self.scores.append(score)
            # NaN compares False both ways: it resets the count, as in scikit-learn.
            if score < self.best_score + self.tol:
                self.n_no_improvement += 1
            else:
                self.n_no_improvement = 0
            if score > self.best_score:
                self.best_score, self.best_epoch = score, epoch
                flat = loop.network.buffer.values
                if self.best_weights is None or self.best_weights.shape != flat.shape:
                    self.best_weights = np.empty_like(flat)
                np.copyto(self.best_weights, flat)
        else:
            loss = float(self.training_loss(loop, logs) if self.training_loss is not None else logs["loss"])
            if loss > self.best_loss - self.tol:
                self.n_no_improvement += 1
            else:
                self.n_no_improvement = 0
            if loss < self.best_loss:
                self.best_loss, self.best_epoch = loss, epoch
        self.samples_seen += loop.n_train
        optimizer = loop.optimizer
        if self.learning_rate == "invscaling":
            optimizer.learning_rate = optimizer.initial_learning_rate / (self.samples_seen + 1) ** self.power_t
        if self.n_no_improvement > self.n_iter_no_change:
            what = "Validation score" if self.uses_validation else "Training loss"
            self.message = (
                f"{what} did not improve more than tol={self.tol:f} for {self.n_iter_no_change} consecutive epochs."
            )
            if self.learning_rate == "adaptive" and optimizer.learning_rate > SMALLEST_ADAPTIVE_RATE:
                optimizer.learning_rate /= 5.0
                self.n_no_improvement = 0
            else:
                self.converged = True
                loop.stop_training = True

    def on_train_end(self, loop: TrainingLoop) -> None:
        self.restore(loop.network)

    def restore(self, network: Any) -> bool:
        """With a validation score: copy the best weights into ``network``; False when none are kept."""
        if not (self.uses_validation and self.restore_best_weights) or self.best_weights is None:
            return False
        np.copyto(network.buffer.values, self.best_weights)
        return True

    def __repr__(self) -> str:
        return (
            f"ConvergenceRule(tol={self.tol}, n_iter_no_change={self.n_iter_no_change}, "
            f"monitor={self.monitor!r}, learning_rate={self.learning_rate!r})"
        )
