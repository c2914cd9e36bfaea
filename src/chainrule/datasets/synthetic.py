"""Seeded synthetic 2-D classification problems: XOR, moons, circles, spirals.

Each returns a :class:`Dataset` with ``X`` ``(n_samples, 2)`` and integer labels;
randomness comes only from ``seed`` (an int or a Generator).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.initializers import make_rng
from ..core.validation import check_dtype, check_positive_float, check_positive_int, fail
from .base import Dataset

__all__ = ["xor", "moons", "circles", "spirals"]


def _counts(n: int, k: int) -> list[int]:
    """Split ``n`` samples into ``k`` classes as evenly as possible (first classes get the extra)."""
    return [n // k + (1 if c < n % k else 0) for c in range(k)]


def _finish(
    parts: list[np.ndarray], name: str, noise: float, rng: np.random.Generator, dtype: Any, classes: list[str]
) -> Dataset:
    X = np.concatenate(parts)
    y = np.concatenate([np.full(len(p), c, dtype=np.int64) for c, p in enumerate(parts)])
    if noise:
        X = X + rng.normal(scale=noise, size=X.shape)
    order = rng.permutation(len(y))  # so that a plain slice is not one class
    return Dataset(np.ascontiguousarray(X[order], dtype=check_dtype(dtype)), y[order], name, classes, ["x1", "x2"])


def _check(n_samples: int, noise: float, minimum: int = 2) -> tuple[int, float]:
    return check_positive_int(n_samples, "n_samples", minimum), check_positive_float(noise, "noise", allow_zero=True)


def xor(
    n_samples: int = 200, noise: float = 0.1, seed: int | np.random.Generator | None = None, dtype: Any = np.float64
) -> Dataset:
    """Points near the corners of the unit square; class 1 where exactly one coordinate is 1.

    With ``n_samples=4`` and ``noise=0`` it is the four XOR rows themselves.
    """
    n, noise = _check(n_samples, noise, minimum=4)
    rng = make_rng(seed)
    corners = np.array([[0, 0], [1, 1], [0, 1], [1, 0]], dtype=np.float64)
    picks = np.arange(n) % 4
    points = corners[picks]
    parts = [points[picks < 2], points[picks >= 2]]
    return _finish(parts, "xor", noise, rng, dtype, ["same", "different"])


def moons(
    n_samples: int = 200, noise: float = 0.1, seed: int | np.random.Generator | None = None, dtype: Any = np.float64
) -> Dataset:
    """Two interleaving half circles (as scikit-learn's ``make_moons``)."""
    n, noise = _check(n_samples, noise)
    rng = make_rng(seed)
    n0, n1 = _counts(n, 2)
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)])
    return _finish([upper, lower], "moons", noise, rng, dtype, ["upper", "lower"])


def circles(
    n_samples: int = 200,
    noise: float = 0.05,
    factor: float = 0.5,
    seed: int | np.random.Generator | None = None,
    dtype: Any = np.float64,
) -> Dataset:
    """A small circle (class 1, radius ``factor``) inside a unit circle (class 0)."""
    n, noise = _check(n_samples, noise)
    factor = check_positive_float(factor, "factor")
    if factor >= 1:
        raise fail("factor", "a number in (0, 1)", factor)
    rng = make_rng(seed)
    n0, n1 = _counts(n, 2)
    t0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
    outer = np.column_stack([np.cos(t0), np.sin(t0)])
    inner = factor * np.column_stack([np.cos(t1), np.sin(t1)])
    return _finish([outer, inner], "circles", noise, rng, dtype, ["outer", "inner"])


def spirals(
    n_samples: int = 300,
    n_classes: int = 2,
    noise: float = 0.1,
    turns: float = 1.5,
    seed: int | np.random.Generator | None = None,
    dtype: Any = np.float64,
) -> Dataset:
    """``n_classes`` interleaved arms of a spiral from the origin, each turning ``turns`` times."""
    n, noise = _check(n_samples, noise)
    k = check_positive_int(n_classes, "n_classes", 2)
    turns = check_positive_float(turns, "turns")
    if n < k:
        raise fail("n_samples", f"at least n_classes ({k})", n_samples)
    rng = make_rng(seed)
    parts = []
    for c, count in enumerate(_counts(n, k)):
        r = np.linspace(0.05, 1.0, count)
        theta = 2 * np.pi * (turns * r + c / k)
        parts.append(np.column_stack([r * np.cos(theta), r * np.sin(theta)]))
    return _finish(parts, "spirals", noise, rng, dtype, [f"arm {c}" for c in range(k)])
