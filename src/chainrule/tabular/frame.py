"""pandas DataFrames as :class:`~chainrule.tabular.Table` objects, with their dtypes as column types.

=====================================================  ===============
pandas dtype                                           column type
=====================================================  ===============
bool, ``boolean`` (nullable)                           boolean
``category``                                           categorical
int, float, ``Int64``/``Float64`` (nullable), ...      numeric
datetime64, timedelta64, period                        datetime (refused)
object, ``string``                                     text (its cells decide)
=====================================================  ===============

Missing values (``NaN``, ``None``, ``pd.NA``, ``NaT``) become missing cells.
pandas is imported only when a frame is given.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .reader import Table, check_header

__all__ = ["is_frame", "table_from_frame"]


def is_frame(value: Any) -> bool:
    """Whether ``value`` is a pandas DataFrame (without importing pandas when it is not loaded)."""
    import sys

    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)


def table_from_frame(frame: Any, source: str = "<DataFrame>") -> Table:
    """A Table of ``frame``'s columns (named by ``str(name)``), typed from their dtypes (module docstring)."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, received: {type(frame).__name__}")
    columns = [str(name) for name in frame.columns]
    check_header(columns, source)
    if len(frame) == 0:
        raise ValueError(f"{source}: the DataFrame has no rows")
    cells: dict[str, Any] = {}
    types: dict[str, str] = {}
    for name, (_, series) in zip(columns, frame.items()):
        kind = dtype_kind(series.dtype)
        types[name] = kind
        if kind == "numeric":
            cells[name] = series.to_numpy(dtype=np.float64, na_value=np.nan)
        elif kind == "boolean" and not series.hasnans:
            cells[name] = series.to_numpy(dtype=bool)
        else:
            values = series.astype(object)
            cells[name] = values.where(series.notna(), None).tolist()
    return Table(columns, cells, source, None, types=types)


def dtype_kind(dtype: Any) -> str:
    """The column type of a pandas dtype (see the module docstring)."""
    import pandas as pd
    from pandas.api import types as t

    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if t.is_bool_dtype(dtype):
        return "boolean"
    if t.is_datetime64_any_dtype(dtype) or t.is_timedelta64_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
        return "datetime"
    if t.is_numeric_dtype(dtype) and not t.is_complex_dtype(dtype):
        return "numeric"
    if t.is_object_dtype(dtype) or t.is_string_dtype(dtype):
        return "text"
    return f"unsupported: {dtype}"
