"""Non-finite numbers in JSON output: encoded as strings, so that the output is always JSON.

JSON has no NaN or infinity, and Python's ``json.dumps`` writes the invalid
tokens ``NaN`` and ``Infinity`` unless told not to. Everything chainrule
prints or serves as JSON goes through :func:`json_ready` first, which writes a
non-finite float as one of the strings ``"NaN"``, ``"Infinity"`` and
``"-Infinity"`` -- the convention of the protocol-buffers JSON mapping, which
``Number("Infinity")`` in JavaScript and ``float("Infinity")`` in Python read
back. Finite numbers, and everything else, are unchanged.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

__all__ = ["NON_FINITE", "dumps", "json_ready"]

#: The string each non-finite float becomes.
NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def _encode(value: float) -> Any:
    if math.isfinite(value):
        return value
    return NON_FINITE["nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")]


def json_ready(data: Any) -> Any:
    """``data`` with every non-finite float (Python or NumPy) replaced by its string (see above).

    Dicts, lists and tuples are copied (tuples become lists); NumPy scalars
    become Python numbers and NumPy arrays nested lists. Containers are walked
    without recursion, so nesting depth is not limited by Python's stack.
    """
    root: list[Any] = [data]
    stack: list[tuple[Any, Any, Any]] = [(root, 0, data)]
    while stack:
        parent, key, value = stack.pop()
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, dict):
            copy: Any = dict(value)
            parent[key] = copy
            stack.extend((copy, k, v) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            copy = list(value)
            parent[key] = copy
            stack.extend((copy, k, v) for k, v in enumerate(value))
        elif isinstance(value, (bool, np.bool_)):
            parent[key] = bool(value)
        elif isinstance(value, (float, np.floating)):
            parent[key] = _encode(float(value))
        elif isinstance(value, np.integer):
            parent[key] = int(value)
    return root[0]


def dumps(data: Any, **options: Any) -> str:
    """``json.dumps`` of :func:`json_ready` ``(data)``: always valid JSON (``allow_nan=False``)."""
    return json.dumps(json_ready(data), allow_nan=False, **options)
