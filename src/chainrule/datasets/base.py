"""The Dataset record, one-hot targets and a seeded train/test split."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.initializers import make_rng
from ..core.validation import check_dtype, check_positive_float, check_positive_int, fail

__all__ = ["Dataset", "one_hot"]


def one_hot(labels: Any, n_classes: int | None = None, dtype: Any = np.float64) -> np.ndarray:
    """Integer labels ``(n,)`` in ``0..n_classes-1`` as one-hot rows ``(n, n_classes)``."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or (labels.size and labels.min() < 0):
        raise fail("labels", "a 1-D array of non-negative integers", labels)
    k = int(labels.max()) + 1 if n_classes is None else check_positive_int(n_classes, "n_classes")
    if labels.size and labels.max() >= k:
        raise fail("labels", f"values below n_classes ({k})", int(labels.max()))
    out = np.zeros((labels.size, k), dtype=check_dtype(dtype))
    out[np.arange(labels.size), labels] = 1.0
    return out


@dataclass
class Dataset:
    """Samples ``X`` ``(n, n_features)`` with integer class labels ``y`` ``(n,)``.

    ``Y`` gives the one-hot targets ``(n, n_classes)`` that a softmax network
    trains on (or ``(n, 1)`` 0/1 targets with :meth:`binary_targets` for a
    sigmoid output).
    """

    X: np.ndarray
    y: np.ndarray
    name: str = ""
    target_names: list[str] = field(default_factory=list)
    feature_names: list[str] = field(default_factory=list)

    @property
    def n_classes(self) -> int:
        return len(self.target_names) if self.target_names else int(self.y.max()) + 1

    @property
    def Y(self) -> np.ndarray:
        """One-hot targets ``(n, n_classes)`` in ``X``'s dtype."""
        return one_hot(self.y, self.n_classes, self.X.dtype)

    def binary_targets(self) -> np.ndarray:
        """Labels as a column ``(n, 1)`` of 0.0 and 1.0 (two-class data only)."""
        if self.n_classes != 2:
            raise fail(f"{self.name or 'dataset'} binary_targets", "a two-class dataset", self.n_classes)
        return self.y.astype(self.X.dtype).reshape(-1, 1)

    def __len__(self) -> int:
        return int(self.X.shape[0])

    def split(
        self, test_fraction: float = 0.25, seed: int | np.random.Generator | None = None, stratify: bool = True
    ) -> tuple[Dataset, Dataset]:
        """A seeded ``(train, test)`` split; stratified keeps each class's share in both."""
        fraction = check_positive_float(test_fraction, "test_fraction")
        if fraction >= 1.0:
            raise fail("test_fraction", "a fraction in (0, 1)", test_fraction)
        rng = make_rng(seed)
        groups = [np.flatnonzero(self.y == c) for c in np.unique(self.y)] if stratify else [np.arange(len(self))]
        test = []
        for rows in groups:
            rows = rng.permutation(rows)
            test.append(rows[: round(fraction * rows.size)])
        test_rows = np.sort(np.concatenate(test))
        if test_rows.size in (0, len(self)):
            raise fail("test_fraction", f"a fraction leaving samples on both sides of {len(self)}", test_fraction)
        train_rows = np.setdiff1d(np.arange(len(self)), test_rows)
        return self._subset(train_rows), self._subset(test_rows)

    def _subset(self, rows: np.ndarray) -> Dataset:
        return Dataset(self.X[rows], self.y[rows], self.name, list(self.target_names), list(self.feature_names))

    def astype(self, dtype: Any) -> Dataset:
        """The same data with ``X`` in float32 or float64."""
        return Dataset(self.X.astype(check_dtype(dtype)), self.y, self.name, self.target_names, self.feature_names)

    def __repr__(self) -> str:
        return f"Dataset({self.name!r}, X={self.X.shape} {self.X.dtype}, classes={self.n_classes})"
