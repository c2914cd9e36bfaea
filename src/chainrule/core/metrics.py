"""Evaluation metrics: accuracy, mean squared error, mean absolute error, R^2.

Each metric takes targets ``y_true`` and network outputs ``y_pred``, both
``(n_samples, n_outputs)``, and optional ``sample_weight`` ``(n_samples,)``,
and returns a Python float. ``higher_is_better`` tells early stopping which way
is an improvement.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .validation import fail

__all__ = ["Metric", "METRICS", "get_metric", "accuracy", "mean_squared_error", "mean_absolute_error", "r2_score"]


def _average(values: np.ndarray, sample_weight: np.ndarray | None) -> float:
    """Mean over samples of ``values`` ``(n,)``, weighted when weights are given."""
    if sample_weight is None:
        return float(values.mean())
    return float(np.dot(values, sample_weight) / sample_weight.sum())


def accuracy(y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
    """Fraction of samples classified right.

    Several outputs: the class is the argmax (one-hot or probability targets).
    One output: the class is ``y >= 0.5`` (a sigmoid's probability, or 0/1 targets).
    """
    if y_true.shape[1] == 1:
        correct = (y_true[:, 0] >= 0.5) == (y_pred[:, 0] >= 0.5)
    else:
        correct = y_true.argmax(axis=1) == y_pred.argmax(axis=1)
    return _average(correct.astype(np.float64), sample_weight)


def mean_squared_error(y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
    """Mean over samples and outputs of ``(y_true - y_pred)^2``."""
    return _average(((y_true - y_pred) ** 2).mean(axis=1), sample_weight)


def mean_absolute_error(y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
    """Mean over samples and outputs of ``|y_true - y_pred|``."""
    return _average(np.abs(y_true - y_pred).mean(axis=1), sample_weight)


def r2_score(y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot``, averaged over outputs.

    As scikit-learn's ``r2_score`` (``multioutput="uniform_average"``): an output
    whose targets are constant scores 1 if predicted exactly, else 0.
    """
    w = np.ones(y_true.shape[0]) if sample_weight is None else sample_weight
    mean = np.dot(w, y_true) / w.sum()
    ss_res = np.dot(w, (y_true - y_pred) ** 2)
    ss_tot = np.dot(w, (y_true - mean) ** 2)
    scores = np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0), (ss_res == 0).astype(float))
    return float(scores.mean())


class Metric:
    """A named metric function and whether higher is better."""

    def __init__(self, name: str, function: Callable[..., float], higher_is_better: bool) -> None:
        self.name, self.function, self.higher_is_better = name, function, higher_is_better

    def __call__(self, y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
        return self.function(y_true, y_pred, sample_weight)

    def __repr__(self) -> str:
        return f"Metric({self.name!r})"


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", accuracy, True),
        Metric("mse", mean_squared_error, False),
        Metric("mae", mean_absolute_error, False),
        Metric("r2", r2_score, True),
    )
}


def get_metric(spec: str | Metric) -> Metric:
    """A metric by name (``"accuracy"``, ``"mse"``, ``"mae"``, ``"r2"``) or a :class:`Metric`."""
    if isinstance(spec, Metric):
        return spec
    if isinstance(spec, str) and spec in METRICS:
        return METRICS[spec]
    raise fail("metrics", f"names from {sorted(METRICS)} or Metric objects", spec)
