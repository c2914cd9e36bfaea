"""Datasets for examples and tests.

Real (scikit-learn's bundled files, optional extra ``datasets``): :func:`load_digits`,
:func:`load_iris`, :func:`load_breast_cancer`, :func:`load_wine`. Synthetic and
seeded (NumPy only): :func:`xor`, :func:`moons`, :func:`circles`, :func:`spirals`.
Each returns a :class:`Dataset` (``X``, labels ``y``, one-hot ``Y``, ``split``).
"""

from .base import Dataset, one_hot
from .real import load_breast_cancer, load_digits, load_iris, load_wine, standardize
from .synthetic import circles, moons, spirals, xor

__all__ = [
    "Dataset",
    "circles",
    "load_breast_cancer",
    "load_digits",
    "load_iris",
    "load_wine",
    "moons",
    "one_hot",
    "spirals",
    "standardize",
    "xor",
]
