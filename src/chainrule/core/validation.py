"""Validation of user input, shared by every public entry point.

Each helper raises :class:`~chainrule.core.errors.ValidationError` (a
``ValueError``) with one message shape, ``"<field>: expected <expected>,
received: <value>"``, and the three parts as attributes, so that a user always
learns which argument was wrong, what it should have been, and what it was.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import Described, ValidationError, excerpt
from .limits import MAX_PARAMETERS  # most weights and biases of a network (the reason is kept there)

__all__ = [
    "FLOAT_DTYPES",
    "MAX_PARAMETERS",
    "Described",
    "ValidationError",
    "as_2d",
    "check_bool",
    "check_choice",
    "check_dtype",
    "check_layer_sizes",
    "check_positive_float",
    "check_positive_int",
    "check_sample_weight",
    "fail",
]

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def fail(field: str, expected: str, received: Any) -> ValidationError:
    """Build (not raise) the library's error for a bad value of ``field``."""
    return ValidationError(field, expected, received)


def check_bool(value: Any, what: str) -> bool:
    """Accept ``True`` or ``False`` (and NumPy booleans), nothing else."""
    if not isinstance(value, (bool, np.bool_)):
        raise fail(what, "True or False", value)
    return bool(value)


def check_choice(value: Any, what: str, choices: Any) -> str:
    """Accept one of the strings ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise fail(what, f"one of {sorted(choices)}", value)
    return value


def check_sample_weight(weights: Any, n_samples: int, dtype: Any, what: str = "sample_weight") -> np.ndarray:
    """Sample weights as a finite, non-negative, C-contiguous ``(n_samples,)`` array of ``dtype``."""
    try:
        array = np.asarray(weights)
        if array.dtype.kind not in "biufO":
            raise TypeError(array.dtype)
        array = np.asarray(array, dtype=dtype)
    except (TypeError, ValueError, OverflowError, RecursionError):
        raise fail(what, f"{n_samples} non-negative numbers", weights) from None
    if array.shape != (n_samples,):
        raise fail(what, f"shape ({n_samples},) (one weight per sample)", Described(f"shape {array.shape}"))
    if not np.isfinite(array).all() or (array < 0).any():
        raise fail(what, "finite, non-negative weights", array)
    return np.ascontiguousarray(array)


def check_dtype(dtype: Any, what: str = "dtype") -> np.dtype:
    """Return ``dtype`` as a NumPy dtype; only float32 and float64 are accepted."""
    try:
        resolved: np.dtype = np.dtype(dtype)
    except (TypeError, ValueError, RecursionError):
        raise fail(what, "float32 or float64", dtype) from None
    if resolved not in FLOAT_DTYPES:
        raise fail(what, "float32 or float64", dtype)
    return resolved


#: Largest integer any count, size or option accepts (a larger one is never meant, and overflows floats).
MAX_INT = 2**63 - 1


def check_positive_int(value: Any, what: str, minimum: int = 1, maximum: int = MAX_INT) -> int:
    """Accept Python or NumPy integers from ``minimum`` to ``maximum`` (booleans are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise fail(what, f"an integer >= {minimum}", value)
    if int(value) > maximum:
        raise fail(what, f"an integer from {minimum} to {maximum}", value)
    return int(value)


def check_positive_float(value: Any, what: str, allow_zero: bool = False) -> float:
    """Accept a finite real number > 0 (or >= 0 with ``allow_zero``)."""
    number = math.nan
    if not isinstance(value, bool) and isinstance(value, numbers.Real):
        try:
            number = float(value)
        except (OverflowError, TypeError, ValueError):  # an integer of hundreds of digits
            pass
    if not (math.isfinite(number) and (number >= 0 if allow_zero else number > 0)):
        raise fail(what, "a finite number >= 0" if allow_zero else "a finite number > 0", value)
    return number


def count_parameters(sizes: Any, per_neuron_bias: bool = True) -> int:
    """Weights and biases of a dense network with layer ``sizes`` (exact Python integers)."""
    return sum(int(a) * int(b) + (int(b) if per_neuron_bias else 1) for a, b in itertools.pairwise(sizes))


def check_layer_sizes(
    sizes: Any, what: str = "sizes", max_parameters: int = MAX_PARAMETERS, per_neuron_bias: bool = True
) -> list[int]:
    """Layer sizes (inputs first, at least 2, each >= 1) of a network with at most ``max_parameters``.

    Checked before anything is allocated: the refusal names the largest layer.
    """
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise fail(what, "a sequence of at least 2 layer sizes (inputs, ..., outputs)", sizes)
    checked = [check_positive_int(s, f"{what}[{k}]") for k, s in enumerate(sizes)]
    total = count_parameters(checked, per_neuron_bias)
    if total > max_parameters:
        k = max(range(len(checked) - 1), key=lambda i: checked[i] * checked[i + 1])
        raise fail(
            what,
            f"a network of at most {_count(max_parameters)} weights and biases",
            Described(
                f"{excerpt(checked)}, {_count(total)} parameters (layer {k + 1}, {what}[{k}] -> "
                f"{what}[{k + 1}], alone has {_count(checked[k] * checked[k + 1])} weights)"
            ),
        )
    return checked


def _count(n: int) -> str:
    """``1,000,000`` for a count; its size in digits when it is too long to print."""
    return f"{n:,}" if n.bit_length() <= 128 else excerpt(n)


def _dense_input(data: Any, what: str, dtype: np.dtype) -> Any:
    """``data`` ready for ``np.asarray``: a pandas frame converted with its missing values as NaN.

    A sparse matrix is refused rather than densified (the engine has dense kernels
    only, and the dense copy of a large sparse matrix may not fit in memory).
    """
    if hasattr(data, "nnz") and hasattr(data, "toarray"):  # scipy.sparse (and pydata sparse)
        raise fail(
            what,
            "a dense array (convert a sparse matrix with X.toarray())",
            Described(f"a sparse matrix of shape {excerpt(getattr(data, 'shape', None))}"),
        )
    to_numpy = getattr(data, "to_numpy", None)
    if callable(to_numpy) and (hasattr(data, "dtypes") or hasattr(data, "dtype")):  # pandas, incl. nullable dtypes
        dtypes = getattr(data, "dtypes", None)
        if dtypes is not None and hasattr(dtypes, "items"):
            for name, column_dtype in dtypes.items():
                if getattr(column_dtype, "kind", "O") not in "biuf":
                    raise fail(what, "numeric columns", Described(f"column {excerpt(name)} of dtype {column_dtype}"))
        try:
            return to_numpy(dtype=dtype, na_value=np.nan)
        except (TypeError, ValueError):
            return data
    return data


def as_2d(
    data: Any,
    what: str,
    dtype: np.dtype,
    n_columns: int | None = None,
    check_finite: bool = True,
) -> np.ndarray:
    """Convert ``data`` to a C-contiguous 2-D array of ``dtype``.

    Shape stays ``(n_samples, n_columns)``; a 1-D input is refused rather than
    guessed (it could be one sample or one feature).
    """
    data = _dense_input(data, what, dtype)
    try:
        array = np.asarray(data)
    except (TypeError, ValueError, OverflowError, RecursionError) as err:
        raise fail(what, "a 2-D array of numbers", data) from err
    if array.dtype.kind == "O" and all(v is None or isinstance(v, numbers.Real) for v in array.flat):
        try:  # numbers held as Python objects; None becomes NaN, refused below as a missing value
            array = array.astype(np.float64)
        except (TypeError, ValueError, OverflowError):
            raise fail(what, "numbers within the range of a float64", Described(excerpt(data))) from None
    if array.dtype.kind not in "biuf":
        raise fail(what, "numeric values", Described(f"values of dtype {array.dtype}"))
    if array.ndim != 2:
        hint = " (for one sample use X.reshape(1, -1))" if array.ndim == 1 else ""
        raise fail(what, f"a 2-D array (n_samples, n_features){hint}", Described(f"shape {array.shape}"))
    if array.shape[0] == 0:
        raise fail(what, "at least one sample (row)", Described(f"shape {array.shape}"))
    if n_columns is not None and array.shape[1] != n_columns:
        raise fail(what, f"{n_columns} columns", Described(f"shape {array.shape}"))
    array = np.ascontiguousarray(array, dtype=dtype)
    # A sum is finite when every value is (one pass, no n x d boolean array); only
    # when it is not (a bad value, or an overflowing sum) look for the culprit.
    if check_finite and not math.isfinite(np.add.reduce(array, axis=None)) and not np.isfinite(array).all():
        row, col = np.argwhere(~np.isfinite(array))[0]
        raise fail(what, "finite values", Described(f"{array[row, col]} at row {row}, column {col}"))
    return array
