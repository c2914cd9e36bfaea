"""What a column is (numeric, boolean, categorical, or unusable) and its cells as values.

A typed source (Parquet, pandas) says what a column is; otherwise (CSV, text
columns) the cells decide, in this order:

* dates or times (typed, or text such as ``2007-11-11``, ``11/11/07``, ``13:45``)
  are **refused**: derive numbers from them (the year, the day of the week) first;
* a column with no value at all, or cells of other types (lists, bytes), is refused;
* typed booleans, or text that is only ``true``/``false`` (any case), are **boolean**
  (the numbers 1 and 0);
* numbers are **numeric**; a column that is mostly numbers with some other
  text is a data error, reported naming the first such cell (pass
  ``categorical`` for codes that really are categories);
* other text is **categorical**, unless it has more distinct values than
  ``max_categories``: that is free text (names, identifiers) and is refused.

Evidence about a column is gathered per process (:class:`ColumnEvidence`) and
combined over every process by :func:`decide_kind`, so that a sharded table
gets the kinds the whole table would.
"""

from __future__ import annotations

import datetime
import math
import numbers
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import excerpt
from .reader import MISSING_TEXT, Table, is_missing

__all__ = [
    "BOOLEAN",
    "CATEGORICAL",
    "ColumnEvidence",
    "KINDS",
    "NUMERIC",
    "boolean_values",
    "categorical_values",
    "category_of",
    "column_evidence",
    "decide_kind",
    "missing_message",
    "numeric_values",
]

NUMERIC, BOOLEAN, CATEGORICAL = "numeric", "boolean", "categorical"
KINDS = (NUMERIC, BOOLEAN, CATEGORICAL)

_TRUE, _FALSE = "true", "false"
_DATE = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?"
    r"|\d{1,2}/\d{1,2}/\d{2,4}( \d{1,2}:\d{2}(:\d{2})?)?"
    r"|\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?"
)
_TIME_TYPES = (datetime.date, datetime.time, datetime.timedelta, np.datetime64, np.timedelta64)
#: How to say, in a message, what to do about a missing value.
_MISSING_HINT = (
    "choose what to do with missing values: impute them (--impute STRATEGY, or "
    "TableOptions(missing='impute')) or leave their rows out (--drop-missing, or missing='drop')"
)


def missing_message(table: Table, column: str, row: int) -> str:
    """The message for a missing value that the options do not allow."""
    return f"{table.source}: column {column!r}, {table.where(row)}: missing value; {_MISSING_HINT}"


def category_of(cell: Any) -> str:
    """The text of a category: stripped text; whole numbers without ``.0``; ``True``/``False``.

    The CSV cell ``"7"``, the Parquet integer ``7`` and the float ``7.0`` are one category, ``"7"``.
    """
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, (bool, np.bool_)):
        return str(bool(cell))
    if isinstance(cell, (numbers.Integral, np.integer)):
        return str(int(cell))
    if isinstance(cell, (numbers.Real, np.floating)):
        value = float(cell)
        return str(int(value)) if value.is_integer() else repr(value)
    return str(cell)


@dataclass
class ColumnEvidence:
    """What one process's cells say about a column (see :func:`decide_kind`)."""

    name: str
    declared: str | None
    n_missing: int = 0
    n_numbers: int = 0  # finite numbers, typed or as text
    n_nonfinite: int = 0  # inf, -inf (typed or as text)
    n_bools: int = 0  # typed booleans
    n_text: int = 0  # text that is no number
    n_truefalse: int = 0  # ... of which "true"/"false"
    n_dates: int = 0  # ... or cells that look like (or are) dates and times
    n_other: int = 0  # cells of other types
    first_text: str | None = None  # where and what the first text cell is
    first_nonfinite: str | None = None
    other_type: str | None = None
    distinct: frozenset[Any] | None = None  # the categories (None: more than the cap)
    n_distinct: int = 0

    @property
    def n_values(self) -> int:
        return self.n_numbers + self.n_nonfinite + self.n_bools + self.n_text + self.n_other


def column_evidence(table: Table, name: str, cap: int, parsed: dict[str, Any] | None = None) -> ColumnEvidence:
    """The evidence of ``table``'s cells in column ``name``; ``cap`` bounds the categories kept.

    When the cells are all numbers or missing, their float64 values (NaN where
    missing) are put in ``parsed[name]``, so that fitting need not parse them again.
    """
    evidence = ColumnEvidence(name, table.declared_type(name))
    cells = table.cells[name]
    if isinstance(cells, np.ndarray) and cells.dtype.kind in "fiub":
        return _array_evidence(evidence, table, cells, cap)
    types = set(map(type, cells))
    if evidence.declared != "categorical" and not ({bool, np.bool_} & types):
        values = _as_numbers(cells, types)  # numbers (as text or typed) and missing values only
        if values is not None:
            if parsed is not None:
                parsed[name] = values
            return _array_evidence(evidence, table, values, cap, cells)
    if types <= {str, type(None)}:
        return _text_evidence(evidence, table, cells, cap)
    return _cell_evidence(evidence, table, cells, cap)


def _as_numbers(cells: list[Any], types: set[Any]) -> np.ndarray | None:
    """The cells as float64 (NaN where missing) when every one is a number or missing, else None."""
    n = len(cells)
    try:
        values = np.array(cells, dtype=np.float64)  # parses text; None and "nan" are NaN
    except (TypeError, ValueError):
        if not types <= {str, type(None)}:
            return None
        # Missing cells other than "nan" ("", "NA", ...) fail the parse: read them as NaN, then try again.
        cells = ["nan" if c is None or c.strip().lower() in MISSING_TEXT else c for c in cells]
        try:
            values = np.array(cells, dtype=np.float64)
        except ValueError:
            return None
    return values if values.shape == (n,) else None


def _text_evidence(evidence: ColumnEvidence, table: Table, cells: list[Any], cap: int) -> ColumnEvidence:
    """Evidence of text cells (None where missing), judged once per distinct value."""
    counts = Counter(cells)
    texts, nonfinite, distinct = set(), set(), set()
    dates = 0
    for value, count in counts.items():
        if value is None or value.strip().lower() in MISSING_TEXT:
            evidence.n_missing += count
            continue
        text = value.strip()
        distinct.add(text)
        number = _parse_number(text)
        if number is not None:
            if math.isfinite(number):
                evidence.n_numbers += count
            else:
                evidence.n_nonfinite += count
                nonfinite.add(value)
            continue
        evidence.n_text += count
        texts.add(value)
        if text.lower() in (_TRUE, _FALSE):
            evidence.n_truefalse += count
        if _DATE.fullmatch(text):
            dates += count
    evidence.n_dates = dates if dates == evidence.n_text else 0  # dates only if every text is one
    for found, attribute in ((texts, "first_text"), (nonfinite, "first_nonfinite")):
        if found:
            row = next(r for r, cell in enumerate(cells) if cell in found)
            setattr(evidence, attribute, f"{table.where(row)}: received: {excerpt(cells[row])}")
    evidence.n_distinct = len(distinct)
    evidence.distinct = frozenset(distinct) if len(distinct) <= cap else None
    return evidence


def _cell_evidence(evidence: ColumnEvidence, table: Table, cells: Any, cap: int) -> ColumnEvidence:
    """Evidence of cells of any types (pandas object columns, Python lists), one cell at a time."""
    distinct: set[str] | None = set()
    dates_so_far = True
    for row, cell in enumerate(cells):
        if is_missing(cell):
            evidence.n_missing += 1
            continue
        if isinstance(cell, (bool, np.bool_)):
            evidence.n_bools += 1
        elif isinstance(cell, (numbers.Real, np.number)) and not isinstance(cell, (np.datetime64, np.timedelta64)):
            if math.isfinite(float(cell)):
                evidence.n_numbers += 1
            else:
                evidence.n_nonfinite += 1
                evidence.first_nonfinite = evidence.first_nonfinite or f"{table.where(row)}: received: {excerpt(cell)}"
        elif isinstance(cell, str):
            text = cell.strip()
            number = _parse_number(text)
            if number is not None:
                if math.isfinite(number):
                    evidence.n_numbers += 1
                else:
                    evidence.n_nonfinite += 1
                    evidence.first_nonfinite = (
                        evidence.first_nonfinite or f"{table.where(row)}: received: {excerpt(cell)}"
                    )
            else:
                evidence.n_text += 1
                if evidence.first_text is None:
                    evidence.first_text = f"{table.where(row)}: received: {excerpt(cell)}"
                if text.lower() in (_TRUE, _FALSE):
                    evidence.n_truefalse += 1
                if dates_so_far:
                    if _DATE.fullmatch(text):
                        evidence.n_dates += 1
                    else:
                        dates_so_far = False
        elif isinstance(cell, _TIME_TYPES):
            evidence.n_text += 1
            evidence.n_dates += 1
        else:
            evidence.n_other += 1
            evidence.other_type = evidence.other_type or type(cell).__name__
            continue
        if distinct is not None:
            distinct.add(category_of(cell))
            if len(distinct) > cap:
                distinct = None
    if not dates_so_far:
        evidence.n_dates = 0
    if distinct is not None:
        evidence.distinct, evidence.n_distinct = frozenset(distinct), len(distinct)
    elif evidence.n_text > evidence.n_numbers:  # only a text column needs the count, to say it is free text
        evidence.n_distinct = len({category_of(c) for c in cells if not is_missing(c)})
    else:
        evidence.n_distinct = cap + 1
    return evidence


def _array_evidence(
    evidence: ColumnEvidence, table: Table, cells: np.ndarray, cap: int, original: Any = None
) -> ColumnEvidence:
    if cells.dtype.kind == "b":
        evidence.n_bools = int(cells.size)
        values = cells.astype(np.float64)
    else:
        values = cells.astype(np.float64)
        missing = np.isnan(values)
        evidence.n_missing = int(missing.sum())
        finite = np.isfinite(values)
        evidence.n_numbers = int(finite.sum())
        bad = ~finite & ~missing
        evidence.n_nonfinite = int(bad.sum())
        if evidence.n_nonfinite:
            row = int(np.argmax(bad))
            cell = float(values[row]) if original is None else original[row]
            evidence.first_nonfinite = f"{table.where(row)}: received: {excerpt(cell)}"
        values = values[finite]
    uniques = np.unique(values)
    evidence.n_distinct = int(uniques.size)
    if uniques.size <= cap:
        evidence.distinct = frozenset(category_of(v) for v in uniques.tolist())
    return evidence


def _parse_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def decide_kind(parts: list[ColumnEvidence], forced_categorical: bool, max_categories: int) -> tuple[str | None, str]:
    """``(kind, "")`` for a usable column, ``(None, reason)`` for one that cannot be used.

    ``parts`` holds every process's evidence, in rank order (so in file order).
    Raises ValueError for a data error: a numeric column with text or an
    infinite value, naming the first such cell.
    """
    name, declared = parts[0].name, parts[0].declared
    total = {
        key: sum(getattr(p, key) for p in parts)
        for key in ("n_missing", "n_numbers", "n_nonfinite", "n_bools", "n_text", "n_truefalse", "n_dates", "n_other")
    }
    n_values = sum(p.n_values for p in parts)
    if declared == "datetime" or (
        total["n_dates"] and total["n_dates"] == total["n_text"] and total["n_numbers"] == total["n_bools"] == 0
    ):
        return None, "dates or times, which are not encoded: derive numbers from them (the year, the month) first"
    if declared is not None and declared.startswith("unsupported"):
        return None, f"its type ({declared.partition(': ')[2]}) cannot be encoded"
    if total["n_other"]:
        other = next(p.other_type for p in parts if p.other_type)
        return None, f"it holds values of type {other}, which cannot be encoded"
    if n_values == 0:
        return None, "every value is missing"
    if forced_categorical or declared == "categorical":
        return _categorical(parts, max_categories)
    if declared == "boolean" or total["n_bools"] == n_values:
        return BOOLEAN, ""
    if total["n_text"] == 0:
        if total["n_nonfinite"]:
            where = next(p.first_nonfinite for p in parts if p.first_nonfinite)
            raise ValueError(f"column {name!r}, {where.replace('received:', 'expected a finite number, received:')}")
        return NUMERIC, ""
    if total["n_truefalse"] == total["n_text"] == n_values:
        return BOOLEAN, ""
    if total["n_numbers"] + total["n_nonfinite"] >= total["n_text"]:
        where = next(p.first_text for p in parts if p.first_text)
        raise ValueError(
            f"column {name!r}, {where.replace('received:', 'expected a finite number, received:')} "
            f"({total['n_numbers']} of its {n_values} values are numbers; to encode the column as categories, "
            f"pass --categorical {name} or TableOptions(categorical=[{name!r}]))"
        )
    return _categorical(parts, max_categories)


def _categorical(parts: list[ColumnEvidence], max_categories: int) -> tuple[str | None, str]:
    if all(p.distinct is not None for p in parts):
        union = frozenset().union(*(p.distinct for p in parts if p.distinct is not None))  # all are (above)
        if len(union) <= max_categories:
            return CATEGORICAL, ""
        count = f"{len(union)}"
    else:
        count = (
            f"{max(p.n_distinct for p in parts)}" if len(parts) == 1 else f"at least {max(p.n_distinct for p in parts)}"
        )
    return None, (
        f"free text with {count} distinct values, more than max_categories={max_categories} "
        "(raise it with --max-categories if they really are categories)"
    )


# -- cells as values ---------------------------------------------------------------------------
def numeric_values(table: Table, name: str) -> np.ndarray:
    """The column as float64 ``(n_rows,)``, NaN where missing; names the first cell that is no finite number."""
    cells = table.cells[name]
    values = None
    if isinstance(cells, np.ndarray) and cells.dtype.kind in "fiu":
        values = cells.astype(np.float64)
    else:
        types = set(map(type, cells))
        if not ({bool, np.bool_} & types):
            values = _as_numbers(cells, types)
    if values is None:
        values = np.empty(len(cells), dtype=np.float64)
        for row, cell in enumerate(cells):
            if is_missing(cell):
                values[row] = np.nan
                continue
            number = None if isinstance(cell, (bool, np.bool_)) else _number(cell)
            if number is None:
                raise ValueError(
                    f"{table.source}: column {name!r}, {table.where(row)}: expected a finite number, "
                    f"received: {excerpt(cell)}"
                )
            values[row] = number
    bad = np.isinf(values)
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(
            f"{table.source}: column {name!r}, {table.where(row)}: expected a finite number, "
            f"received: {excerpt(cells[row])}"
        )
    return values


def _number(cell: Any) -> float | None:
    if isinstance(cell, str):
        return _parse_number(cell.strip())
    try:
        return float(cell)
    except (TypeError, ValueError):
        return None


def boolean_values(table: Table, name: str) -> np.ndarray:
    """The column as float64 1.0 (true) / 0.0 (false) ``(n_rows,)``, NaN where missing."""
    cells = table.cells[name]
    if isinstance(cells, np.ndarray) and cells.dtype.kind == "b":
        return cells.astype(np.float64)
    values = np.empty(len(cells), dtype=np.float64)
    for row, cell in enumerate(cells):
        if is_missing(cell):
            values[row] = np.nan
        elif isinstance(cell, (bool, np.bool_)):
            values[row] = float(cell)
        elif isinstance(cell, str) and cell.strip().lower() in (_TRUE, _FALSE):
            values[row] = float(cell.strip().lower() == _TRUE)
        elif isinstance(cell, (numbers.Real, np.number)) and float(cell) in (0.0, 1.0):
            values[row] = float(cell)
        else:
            raise ValueError(
                f"{table.source}: column {name!r}, {table.where(row)}: expected true or false, "
                f"received: {excerpt(cell)}"
            )
    return values


def categorical_values(table: Table, name: str) -> list[str | None]:
    """The column's categories (:func:`category_of`), None where missing."""
    cells = table.cells[name]
    if not isinstance(cells, np.ndarray) and set(map(type, cells)) <= {str, type(None)}:
        # Text: each distinct value judged once.
        meaning = {v: None if v is None or v.strip().lower() in MISSING_TEXT else v.strip() for v in set(cells)}
        return [meaning[c] for c in cells]
    return [None if is_missing(cell) else category_of(cell) for cell in cells]
