"""Reading tables (CSV, Parquet) for the command line, with errors that name the row and column.

A :class:`Table` keeps every cell as read (strings from CSV, numbers or
strings from Parquet, ``None`` where missing) and converts a column to numbers
only when asked, so that the message for a bad cell can say exactly where it
is: ``data.csv: column 'age', row 3 (line 4): expected a number, received: 'n/a'``.
Rows are counted from 1 at the first data row; for CSV the line number counts
the header as line 1.

CSV is read with the standard library (UTF-8, with or without a byte-order
mark, or another encoding when asked); Parquet needs pyarrow
(``pip install 'chainrule[data]'``).
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

__all__ = ["Table", "cells_by_column", "check_header", "read_parquet", "read_table", "table_from_columns",
           "table_from_csv_text"]

_MISSING = ("", "na", "nan", "null", "none", "n/a")


@dataclass
class Table:
    """Columns of raw cells, in file order.

    Attributes
    ----------
    columns : list of str
        Column names, from the header.
    cells : dict of str to list
        One list of ``n_rows`` cells per column (str, int, float or None).
    source : str
        The file name, used in error messages.
    csv_lines : list of int or None
        For CSV, the file line of each row (rows may span lines when quoted).
    """

    columns: list[str]
    cells: dict[str, list]
    source: str
    csv_lines: list[int] | None = None

    @property
    def n_rows(self) -> int:
        return len(self.cells[self.columns[0]]) if self.columns else 0

    def where(self, row: int) -> str:
        """``row 3 (line 4)`` for the 0-based row index ``row``."""
        text = f"row {row + 1}"
        if self.csv_lines is not None:
            text += f" (line {self.csv_lines[row]})"
        return text

    def require(self, columns: Sequence[str], what: str = "column") -> None:
        """Raise ValueError naming the first of ``columns`` the table lacks."""
        for name in columns:
            if name not in self.cells:
                raise ValueError(
                    f"{self.source}: {what} {name!r} not found; the columns are {self.columns}"
                )

    def numeric(self, column: str) -> np.ndarray:
        """The column as finite float64 numbers ``(n_rows,)``; names the first bad cell otherwise."""
        self.require([column])
        cells = self.cells[column]
        if not any(isinstance(c, bool) for c in cells):
            # Fast path: parse the whole column at once; any problem falls through to the scan below.
            try:
                fast = np.fromiter(map(float, cells), dtype=np.float64, count=len(cells))
            except (TypeError, ValueError):
                fast = None
            if fast is not None and fast.shape == (self.n_rows,) and np.isfinite(fast).all():
                return fast
        out = np.empty(self.n_rows, dtype=np.float64)
        for row, cell in enumerate(cells):
            value = _to_number(cell)
            if value is None:
                problem = "a missing value" if is_missing(cell) else repr(cell)
                raise ValueError(
                    f"{self.source}: column {column!r}, {self.where(row)}: expected a finite number, "
                    f"received: {problem}"
                )
            out[row] = value
        return out

    def matrix(self, columns: Sequence[str]) -> np.ndarray:
        """Columns stacked as float64 ``(n_rows, len(columns))``."""
        self.require(columns)
        if not columns:
            return np.empty((self.n_rows, 0))
        return np.column_stack([self.numeric(c) for c in columns])

    def raw(self, column: str) -> list:
        """The column's cells as read; a missing cell raises ValueError naming its row."""
        self.require([column])
        cells = self.cells[column]
        for row, cell in enumerate(cells):
            if is_missing(cell):
                raise ValueError(f"{self.source}: column {column!r}, {self.where(row)}: missing value")
        return [cell.strip() if isinstance(cell, str) else cell for cell in cells]


def is_missing(cell: Any) -> bool:
    if cell is None:
        return True
    if isinstance(cell, str):
        return cell.strip().lower() in _MISSING
    return isinstance(cell, float) and math.isnan(cell)


def _to_number(cell: Any) -> float | None:
    if isinstance(cell, bool) or cell is None:
        return None
    if isinstance(cell, numbers.Real):
        value = float(cell)
    elif isinstance(cell, str):
        try:
            value = float(cell.strip())
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def read_table(path: str | os.PathLike, format: str | None = None, encoding: str = "utf-8") -> Table:
    """Read a CSV or Parquet file.

    Parameters
    ----------
    path : str or path
    format : {"csv", "parquet"} or None
        None guesses from the extension (``.parquet``/``.pq`` is Parquet, anything else CSV).
    encoding : str
        Text encoding of a CSV file (default UTF-8; a byte-order mark is skipped).

    Raises
    ------
    ValueError
        Missing or empty file, wrong encoding (naming the line), ragged rows,
        duplicate or empty column names, unreadable Parquet.
    """
    path = Path(path)
    source = str(path)
    if format is None:
        format = "parquet" if path.suffix.lower() in (".parquet", ".pq") else "csv"
    if format not in ("csv", "parquet"):
        raise ValueError(f"format: expected 'csv' or 'parquet', received: {format!r}")
    if not path.is_file():
        raise ValueError(f"{source}: no such file")
    if format == "parquet":
        return read_parquet(path, source)
    return _read_csv(path.read_bytes(), source, encoding)


def _read_csv(data: bytes, source: str, encoding: str) -> Table:
    if not data.strip():
        raise ValueError(f"{source}: the file is empty; expected a header row and data rows")
    if encoding.lower().replace("-", "").replace("_", "") == "utf8":
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ValueError(
            f"{source}: line {line} is not valid {encoding.replace('-sig', '')} text "
            f"(byte {data[err.start]:#04x} at offset {err.start}); re-save the file as UTF-8 "
            "or pass its encoding (--encoding latin-1, for example)"
        ) from None
    except LookupError:
        raise ValueError(f"encoding: expected a known text encoding, received: {encoding!r}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
        rows, lines = [], []
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue  # blank lines
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as err:
        raise ValueError(f"{source}: line {reader.line_num}: not valid CSV ({err})") from None
    columns = [name.strip() for name in header]
    check_header(columns, source)
    if not rows:
        raise ValueError(f"{source}: the file has a header but no data rows")
    return Table(columns, cells_by_column(columns, rows, lines, source), source, lines)


def table_from_csv_text(text: str, source: str = "<csv>") -> Table:
    """A CSV table from text already in memory (an upload, a text field), with the same checks and
    messages as :func:`read_table` (``source`` names it in them)."""
    if not isinstance(text, str):
        raise ValueError(f"{source}: expected the text of a CSV file, received: {type(text).__name__}")
    return _read_csv(text.encode("utf-8"), source, "utf-8")


def cells_by_column(
    columns: list[str], rows: list[list[str]], lines: list[int], source: str, row_offset: int = 0
) -> dict[str, list[str]]:
    """Each column's cells, after checking that every row has one field per column.

    ``row_offset`` is the number of data rows before ``rows`` in the file (for shards),
    so that errors name the file's own row and line.
    """
    for index, (row, line) in enumerate(zip(rows, lines)):
        if len(row) != len(columns):
            raise ValueError(
                f"{source}: row {row_offset + index + 1} (line {line}) has {len(row)} fields, "
                f"expected {len(columns)} (one per header column)"
            )
    return {name: [row[k] for row in rows] for k, name in enumerate(columns)}


def read_parquet(path: Path, source: str) -> Table:
    """The whole Parquet file at ``path`` as a Table (``source`` names it in messages)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError("reading Parquet files needs pyarrow: pip install 'chainrule[data]'") from None
    try:
        table = pq.read_table(path)
    except Exception as err:  # pyarrow raises several types for a damaged file
        raise ValueError(f"{source}: not a readable Parquet file ({err})") from None
    columns = [str(name) for name in table.column_names]
    check_header(columns, source)
    if table.num_rows == 0:
        raise ValueError(f"{source}: the file has columns but no data rows")
    cells = {name: table.column(k).to_pylist() for k, name in enumerate(columns)}
    return Table(columns, cells, source, None)


def table_from_columns(columns: dict[str, Sequence], source: str = "<data>") -> Table:
    """A Table from in-memory columns (e.g. ``{"x": [...], "y": [...]}``)."""
    names = [str(c) for c in columns]
    check_header(names, source)
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1 or 0 in lengths:
        raise ValueError(f"{source}: expected columns of one non-zero length, received lengths {sorted(lengths)}")
    return Table(names, {str(k): list(v) for k, v in columns.items()}, source, None)


def check_header(columns: list[str], source: str) -> None:
    """Refuse an empty header, a column without a name and a name given twice."""
    if not columns or (len(columns) == 1 and not columns[0]):
        raise ValueError(f"{source}: the header row is empty; expected column names")
    for k, name in enumerate(columns):
        if not name:
            raise ValueError(f"{source}: column {k + 1} of the header has no name")
    seen = set()
    for name in columns:
        if name in seen:
            raise ValueError(f"{source}: column {name!r} appears more than once in the header")
        seen.add(name)
