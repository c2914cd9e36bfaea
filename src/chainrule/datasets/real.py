"""The small real datasets bundled with scikit-learn (the optional ``datasets`` extra).

No download happens: scikit-learn ships these files. Features are returned as
they are, except where noted; scale them before training (see :func:`standardize`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.extras import install_hint
from ..core.validation import check_dtype
from .base import Dataset

__all__ = ["load_digits", "load_iris", "load_breast_cancer", "load_wine", "standardize"]


def _sklearn_datasets() -> Any:
    try:
        from sklearn import datasets
    except ImportError:
        raise ImportError(f"the real datasets come with scikit-learn: {install_hint('datasets')}") from None
    return datasets


def _load(loader: str, name: str, dtype: Any) -> Dataset:
    bunch = getattr(_sklearn_datasets(), loader)()
    return Dataset(
        X=np.ascontiguousarray(bunch.data, dtype=check_dtype(dtype)),
        y=np.asarray(bunch.target, dtype=np.int64),
        name=name,
        target_names=[str(t) for t in bunch.target_names],
        feature_names=[str(f) for f in getattr(bunch, "feature_names", [])],
    )


def load_digits(dtype: Any = np.float64) -> Dataset:
    """1,797 handwritten digits, 8x8 pixels (64 features) scaled from 0..16 to 0..1; 10 classes."""
    data = _load("load_digits", "digits", dtype)
    data.X /= 16.0
    return data


def load_iris(dtype: Any = np.float64) -> Dataset:
    """150 iris flowers, 4 measurements in cm; 3 species."""
    return _load("load_iris", "iris", dtype)


def load_breast_cancer(dtype: Any = np.float64) -> Dataset:
    """569 tumours, 30 features of differing scales; 2 classes (malignant, benign)."""
    return _load("load_breast_cancer", "breast_cancer", dtype)


def load_wine(dtype: Any = np.float64) -> Dataset:
    """178 wines, 13 chemical measurements of differing scales; 3 cultivars."""
    return _load("load_wine", "wine", dtype)


def standardize(train: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    """Scale columns to mean 0 and standard deviation 1, using the statistics of ``train`` only.

    Returns new arrays ``(train, *others)`` in the input dtype; constant columns are only centred.
    """
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std[std == 0] = 1.0
    return tuple(((a - mean) / std).astype(train.dtype) for a in (train, *others))
