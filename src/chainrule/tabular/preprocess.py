"""Preprocessing learned from a table and stored in the model file.

* Features are standardised: ``x' = (x - mean) / scale`` with each column's
  mean and standard deviation (a constant column gets scale 1, so it maps to 0).
* The target is either **classification** (labels encoded one-hot, in sorted
  order, for a softmax output) or **regression** (standardised like a feature,
  and un-standardised on the way out).
* ``task="auto"`` decides: a target with any non-numeric value, or with whole
  numbers taking at most :data:`MAX_AUTO_CLASSES` distinct values, is
  classification; anything else is regression. Pass ``task`` to override.

The arithmetic of :meth:`Preprocessor.transform` runs in the network's dtype,
``(x - mean) / scale`` with both constants rounded to it first: exactly the
two operations (Sub, Div) that the ONNX export puts in front of the network,
so both give the same numbers.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..core.validation import check_dtype
from .reader import Table, _to_number

__all__ = ["MAX_AUTO_CLASSES", "Preprocessor", "infer_task", "label_of", "label_sort_key", "select_features"]

#: Whole-number targets with at most this many distinct values count as classes under task="auto".
MAX_AUTO_CLASSES = 20
TASKS = ("auto", "classification", "regression")
_CONFIG_KEYS = {"features", "target", "task", "mean", "scale", "classes", "target_mean", "target_scale"}


def label_of(cell: Any) -> Any:
    """A JSON-ready label: numbers as int where whole, else float; text stripped."""
    if isinstance(cell, str):
        number = _to_number(cell)
        if number is None:
            return cell.strip()
        cell = number
    if isinstance(cell, (bool, np.bool_)):
        return bool(cell)
    if isinstance(cell, (int, np.integer)):
        return int(cell)
    if isinstance(cell, (float, np.floating)):
        return int(cell) if float(cell).is_integer() else float(cell)
    return str(cell)


def label_sort_key(label: Any) -> tuple:
    """Sort key of class labels: numbers first (by value), then text."""
    return (isinstance(label, str), label if not isinstance(label, str) else 0, str(label))


def infer_task(labels: Sequence[Any]) -> str:
    """``"classification"`` or ``"regression"`` for a target's values (see the module docstring)."""
    values = [label_of(v) for v in labels]
    if any(isinstance(v, (str, bool)) for v in values):
        return "classification"
    if all(isinstance(v, int) for v in values) and len(set(values)) <= MAX_AUTO_CLASSES:
        return "classification"
    return "regression"


def select_features(table: Table, target: str, features: Sequence[str] | None, task: str) -> list[str]:
    """Check ``task`` and the target and feature columns; ``features`` defaults to every other column."""
    if task not in TASKS:
        raise ValueError(f"task: expected one of {list(TASKS)}, received: {task!r}")
    table.require([target], "target column")
    if features is None:
        features = [c for c in table.columns if c != target]
    else:
        features = list(features)
        table.require(features, "feature column")
        if target in features:
            raise ValueError(f"features: expected columns other than the target {target!r}, received: {features}")
    if not features:
        raise ValueError(f"{table.source}: no feature columns besides the target {target!r}")
    return features


class Preprocessor:
    """Feature standardisation and target encoding, fitted on a :class:`~chainrule.tabular.Table`.

    Attributes
    ----------
    features : list of str
        Feature columns, in the network's input order.
    target : str
        Target column.
    task : {"classification", "regression"}
    mean, scale : ndarray ``(n_features,)``, float64
    classes : list or None
        Class labels in output order (classification).
    target_mean, target_scale : float or None
        Regression target's standardisation.
    """

    def __init__(self, features: Sequence[str], target: str, task: str, mean: Any, scale: Any,
                 classes: Sequence[Any] | None = None, target_mean: float | None = None,
                 target_scale: float | None = None) -> None:
        self.features = [str(f) for f in features]
        self.target = str(target)
        if task not in ("classification", "regression"):
            raise ValueError(f"task: expected 'classification' or 'regression', received: {task!r}")
        self.task = task
        self.mean = np.asarray(mean, dtype=np.float64).reshape(-1)
        self.scale = np.asarray(scale, dtype=np.float64).reshape(-1)
        if self.mean.shape != (len(self.features),) or self.scale.shape != self.mean.shape:
            raise ValueError(f"preprocessing: expected mean and scale of length {len(self.features)}, "
                             f"received: {self.mean.shape} and {self.scale.shape}")
        if not (np.isfinite(self.mean).all() and np.isfinite(self.scale).all() and (self.scale > 0).all()):
            raise ValueError("preprocessing: expected finite means and positive finite scales")
        self.classes = None if classes is None else [label_of(c) for c in classes]
        if task == "classification" and (self.classes is None or len(self.classes) < 2):
            raise ValueError(f"target {self.target!r}: expected at least 2 classes, received: {self.classes!r}")
        self.target_mean = None if target_mean is None else float(target_mean)
        self.target_scale = None if target_scale is None else float(target_scale)
        if task == "regression" and not (self.target_scale is not None and self.target_scale > 0
                                         and self.target_mean is not None and np.isfinite(self.target_mean)):
            raise ValueError("preprocessing: a regression target needs a finite target_mean and target_scale > 0")

    # -- fitting ---------------------------------------------------------------------------
    @classmethod
    def fit(cls, table: Table, target: str, features: Sequence[str] | None = None,
            task: str = "auto") -> "Preprocessor":
        """Learn the preprocessing from ``table``; ``features`` defaults to every other column."""
        features = select_features(table, target, features, task)
        X = table.matrix(features)
        mean = X.mean(axis=0)
        scale = X.std(axis=0)
        scale[~(scale > np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean)))] = 1.0
        labels = table.raw(target)
        if task == "auto":
            task = infer_task(labels)
        if task == "classification":
            classes = sorted({label_of(v) for v in labels}, key=label_sort_key)
            if len(classes) < 2:
                raise ValueError(f"{table.source}: target column {target!r} has a single class {classes!r}; "
                                 "classification needs at least 2")
            return cls(features, target, task, mean, scale, classes=classes)
        y = table.numeric(target)
        std = float(y.std())
        return cls(features, target, task, mean, scale, target_mean=float(y.mean()),
                   target_scale=std if std > 0 else 1.0)

    # -- applying --------------------------------------------------------------------------
    @property
    def n_outputs(self) -> int:
        return len(self.classes) if self.task == "classification" else 1

    def output_spec(self) -> tuple[str, str]:
        """``(output_activation, loss)`` that suit the task."""
        if self.task == "classification":
            return "softmax", "categorical_cross_entropy"
        return "identity", "squared_error"

    def transform(self, X: np.ndarray, dtype: Any = np.float64) -> np.ndarray:
        """Standardise raw features ``(n, n_features)`` in ``dtype``: ``(X - mean) / scale``."""
        dtype = check_dtype(dtype)
        X = np.asarray(X, dtype=dtype)
        return (X - self.mean.astype(dtype)) / self.scale.astype(dtype)

    def features_of(self, table: Table, dtype: Any = np.float64) -> np.ndarray:
        """The table's feature columns, checked and standardised: ``(n_rows, n_features)``."""
        return self.transform(table.matrix(self.features), dtype)

    def encode_target(self, table: Table) -> np.ndarray:
        """The target as network outputs ``(n_rows, n_outputs)``: one-hot, or standardised values."""
        if self.task == "regression":
            return ((table.numeric(self.target) - self.target_mean) / self.target_scale)[:, None]
        index = {label: k for k, label in enumerate(self.classes)}
        Y = np.zeros((table.n_rows, len(self.classes)))
        for row, cell in enumerate(table.raw(self.target)):
            k = index.get(label_of(cell))
            if k is None:
                raise ValueError(f"{table.source}: column {self.target!r}, {table.where(row)}: label {cell!r} "
                                 f"was not seen in training; known classes: {self.classes}")
            Y[row, k] = 1.0
        return Y

    def target_values(self, table: Table) -> list | np.ndarray:
        """The target column as labels (classification) or float64 values (regression)."""
        if self.task == "regression":
            return table.numeric(self.target)
        return [label_of(cell) for cell in table.raw(self.target)]

    def decode(self, outputs: np.ndarray) -> list | np.ndarray:
        """Network outputs ``(n, n_outputs)`` to labels (argmax) or regression values ``(n,)``."""
        if self.task == "regression":
            return outputs[:, 0].astype(np.float64) * self.target_scale + self.target_mean
        return [self.classes[k] for k in np.argmax(outputs, axis=1)]

    # -- storage -------------------------------------------------------------------------------
    def to_config(self) -> dict:
        """JSON-ready; floats written as Python reprs round-trip exactly."""
        return {
            "features": self.features,
            "target": self.target,
            "task": self.task,
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "classes": self.classes,
            "target_mean": self.target_mean,
            "target_scale": self.target_scale,
        }

    @classmethod
    def from_config(cls, config: Any) -> "Preprocessor":
        if not isinstance(config, dict) or set(config) != _CONFIG_KEYS:
            keys = sorted(config) if isinstance(config, dict) else config
            raise ValueError(f"preprocessing: expected keys {sorted(_CONFIG_KEYS)}, received: {keys!r}")
        if not isinstance(config["features"], list) or not all(isinstance(f, str) for f in config["features"]):
            raise ValueError(f"preprocessing features: expected a list of names, received: {config['features']!r}")
        return cls(**config)

    def __repr__(self) -> str:
        extra = f"classes={self.classes}" if self.task == "classification" else "standardised target"
        return f"Preprocessor(features={self.features}, target={self.target!r}, task={self.task!r}, {extra})"
