"""scikit-learn MLP's conventions that are the estimators' own: scores, printed progress, its loss.

* :func:`classifier_accuracy`: the validation score early stopping watches, as
  ``MLPClassifier._score``: ``accuracy_score`` of the predicted labels (a
  probability ``> 0.5`` is the positive class; a multi-label row counts only
  when every label is right), weighted by the validation rows' weights.
* :class:`PrintProgress`: ``verbose=True`` prints what scikit-learn prints.
* :class:`OutputMeanLoss`: scikit-learn reports the squared error of several
  regression outputs as the *mean* over outputs (``0.5 * mean_k mean_i (y - p)^2``)
  while its gradient is that of the sum; the network trains on the sum (the
  same gradient), and this callback reports and monitors scikit-learn's number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..core.metrics import Metric
from ..core.penalty import l2_penalty_value
from ..training import Callback

if TYPE_CHECKING:
    from ..training import TrainingLoop

__all__ = ["OutputMeanLoss", "PrintProgress", "classifier_accuracy"]


class _ClassifierAccuracy(Metric):
    """Accuracy of the labels a softmax output (argmax) or sigmoid outputs (each ``> 0.5``) predict."""

    def __init__(self, softmax: bool | None = None) -> None:
        super().__init__("accuracy", self._score, True)
        self.softmax = softmax

    def _score(self, y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
        if not np.isfinite(y_pred).all():
            return float("nan")
        if self.softmax:
            correct = y_true.argmax(axis=1) == y_pred.argmax(axis=1)
        else:
            correct = np.all((y_pred > 0.5) == (y_true > 0.5), axis=1)
        correct = correct.astype(np.float64)
        if sample_weight is None:
            return float(correct.mean())
        return float(np.dot(correct, sample_weight) / sample_weight.sum())


def classifier_accuracy(softmax: bool) -> Metric:
    """scikit-learn's validation accuracy for a softmax output (argmax) or sigmoid outputs (``> 0.5``)."""
    return _ClassifierAccuracy(softmax)


class PrintProgress(Callback):
    """Prints scikit-learn's lines: ``Iteration 3, loss = 0.12345678`` and ``Validation score: 0.9``."""

    def __init__(
        self, loss_of: Callable[[TrainingLoop, dict[str, float]], float] | None = None, offset: int = 0
    ) -> None:
        self.loss_of, self.offset = loss_of, offset

    def on_epoch_end(self, loop: TrainingLoop, epoch: int, logs: dict[str, float]) -> None:
        loss = self.loss_of(loop, logs) if self.loss_of is not None else logs["loss"]
        print(f"Iteration {epoch + self.offset:d}, loss = {loss:.8f}")
        for name in ("val_accuracy", "val_r2"):
            if name in logs:
                print(f"Validation score: {logs[name]:f}")


class OutputMeanLoss(Callback):
    """scikit-learn's training loss for ``m`` regression outputs: the data term over ``m``, plus the penalty.

    Each batch's loss is ``D_b + P_b`` (the network's squared error summed over
    outputs, and the L2 penalty at the weights before the step); scikit-learn's
    is ``D_b / m + P_b``. The penalty of each step is recomputed from the
    weights the step started from: the epoch's start, then after each update.
    """

    def __init__(self, n_outputs: int, alpha: float) -> None:
        self.n_outputs, self.alpha = n_outputs, alpha
        self.value = float("nan")
        #: scikit-learn's loss of every epoch so far.
        self.values: list[float] = []
        self._penalty_total = 0.0
        self._rows_done = 0
        self._pending = 0.0

    def _penalty(self, loop: TrainingLoop) -> float:
        return l2_penalty_value(loop.network, self.alpha, 1) if self.alpha else 0.0

    def on_epoch_begin(self, loop: TrainingLoop, epoch: int) -> None:
        # The penalty 0.5 alpha ||W||^2 / n_b of each batch, times its n_b rows, summed: sum of 0.5 alpha ||W||^2.
        self._penalty_total = 0.0
        self._pending = self._penalty(loop)

    def on_batch_end(self, loop: TrainingLoop, step: int, loss: float) -> None:
        if self.alpha:
            self._penalty_total += self._pending
            self._pending = self._penalty(loop)

    def on_epoch_end(self, loop: TrainingLoop, epoch: int, logs: dict[str, float]) -> None:
        n = loop.n_train
        penalty = self._penalty_total / n  # sum_b P_b n_b / n, as the epoch's loss weighs each batch
        self.value = (logs["loss"] - penalty) / self.n_outputs + penalty
        self.values.append(self.value)

    def loss(self, loop: TrainingLoop, logs: dict[str, float]) -> float:
        """For :class:`~chainrule.training.ConvergenceRule` and :class:`PrintProgress`: this epoch's value."""
        return self.value
