"""Reading tables (CSV, Parquet) for the command line, with errors that name the row and column.

A :class:`Table` keeps every cell as read (strings from CSV, numbers or
strings from Parquet, ``None`` where missing) and converts a column to numbers
only when asked, so that the message for a bad cell can say exactly where it
is: ``data.csv: column 'age', row 3 (line 4): expected a number, received: 'n/a'``.
Rows are counted from 1 at the first data row; for CSV the line number counts
the header as line 1. A table with rows left out (:meth:`Table.take`) keeps
naming the file's own rows.

Typed sources (Parquet, pandas) also say what each column *is*
(:attr:`Table.types`: ``"numeric"``, ``"boolean"``, ``"categorical"``,
``"text"``, ``"datetime"`` or ``"unsupported: <type>"``); a CSV column's
kind is inferred from its cells (:mod:`chainrule.tabular.columns`).

CSV is read with the standard library (UTF-8, with or without a byte-order
mark, or another encoding when asked); Parquet needs pyarrow
(the ``data`` extra).
"""

from __future__ import annotations

import csv
import decimal
import io
import math
import numbers
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import excerpt
from ..core.extras import install_hint

__all__ = [
    "MISSING_TEXT",
    "Table",
    "arrow_types",
    "cells_by_column",
    "check_data_file",
    "check_header",
    "is_missing",
    "missing_cells",
    "read_parquet",
    "read_table",
    "table_from_columns",
    "table_from_csv_text",
]

_MISSING = ("", "na", "nan", "null", "none", "n/a")
#: Text cells that read as missing (after stripping spaces and lowering the case).
MISSING_TEXT = frozenset(_MISSING)


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
    types : dict of str to str, or None
        What a typed source declares each column to be (see the module
        docstring); None or a missing entry: infer it from the cells.
    row_numbers : list of int or None
        The 1-based number of each row among those read, once rows were left
        out (:meth:`take`); None when the table holds every row read, in order.
    row_offset : int
        Rows of the file before the first one read (a shard of the file).
    """

    columns: list[str]
    cells: dict[str, list[Any]]
    source: str
    csv_lines: list[int] | None = None
    types: dict[str, str] | None = None
    row_numbers: list[int] | None = None
    row_offset: int = 0

    @property
    def n_rows(self) -> int:
        return len(self.cells[self.columns[0]]) if self.columns else 0

    def row_number(self, row: int) -> int:
        """The file's 1-based row number of the 0-based row index ``row``."""
        return self.row_offset + self._read_number(row)

    def _read_number(self, row: int) -> int:
        return self.row_numbers[row] if self.row_numbers is not None else row + 1

    def where(self, row: int) -> str:
        """``row 3 (line 4)`` for the 0-based row index ``row``."""
        text = f"row {self.row_number(row)}"
        if self.csv_lines is not None:
            text += f" (line {self.csv_lines[row]})"
        return text

    def declared_type(self, column: str) -> str | None:
        """The type a typed source gave ``column``, or None (infer it from the cells)."""
        return None if self.types is None else self.types.get(column)

    def take(self, rows: Sequence[int] | np.ndarray) -> Table:
        """A table of the rows ``rows`` (0-based indices, in the order given), still naming the file's rows."""
        rows = np.asarray(rows, dtype=np.intp).reshape(-1)
        index = rows.tolist()
        cells = {}
        for name, column in self.cells.items():
            cells[name] = column[rows] if isinstance(column, np.ndarray) else [column[k] for k in index]
        lines = None if self.csv_lines is None else [self.csv_lines[k] for k in index]
        return replace(self, cells=cells, csv_lines=lines, row_numbers=[self._read_number(k) for k in index])

    def require(self, columns: Sequence[str], what: str = "column") -> None:
        """Raise ValueError naming the first of ``columns`` the table lacks."""
        for name in columns:
            if name not in self.cells:
                raise ValueError(
                    f"{self.source}: {what} {excerpt(name)} not found; the columns are {excerpt(self.columns)}"
                )

    def numeric(self, column: str) -> np.ndarray:
        """The column as finite float64 numbers ``(n_rows,)``; names the first bad cell otherwise."""
        self.require([column])
        cells = self.cells[column]
        if isinstance(cells, np.ndarray) and cells.dtype.kind == "f" and np.isfinite(cells).all():
            return cells.astype(np.float64)
        if not any(isinstance(c, (bool, np.bool_)) for c in cells):
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
                problem = "a missing value" if is_missing(cell) else excerpt(cell)
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

    def raw(self, column: str) -> list[Any]:
        """The column's cells as read; a missing cell raises ValueError naming its row."""
        self.require([column])
        cells = self.cells[column]
        for row, cell in enumerate(cells):
            if is_missing(cell):
                raise ValueError(f"{self.source}: column {column!r}, {self.where(row)}: missing value")
        return [cell.strip() if isinstance(cell, str) else cell for cell in cells]


def is_missing(cell: Any) -> bool:
    """Whether a cell is missing: None, NaN, or text such as ``""``, ``NA``, ``nan``, ``null``, ``n/a``."""
    if cell is None:
        return True
    if isinstance(cell, str):
        return cell.strip().lower() in _MISSING
    if isinstance(cell, (float, np.floating)):
        return math.isnan(cell)
    return _is_pandas_missing(cell)


def missing_cells(cells: Any) -> np.ndarray:
    """:func:`is_missing` of every cell of a column, as a bool array ``(n,)`` (fast for text and arrays)."""
    if isinstance(cells, np.ndarray) and cells.dtype.kind in "fc":
        return np.isnan(cells)
    if isinstance(cells, np.ndarray) and cells.dtype.kind in "iub":
        return np.zeros(cells.shape, dtype=bool)
    n = len(cells)
    if set(map(type, cells)) <= {str, type(None)}:  # CSV and Parquet text: no call per cell
        return np.fromiter((c is None or c.strip().lower() in MISSING_TEXT for c in cells), dtype=bool, count=n)
    return np.fromiter((is_missing(c) for c in cells), dtype=bool, count=n)


def _is_pandas_missing(cell: Any) -> bool:
    # pandas' NA and NaT (without importing pandas): both are singletons of their own types.
    kind = type(cell).__name__
    return kind in ("NAType", "NaTType")


def _to_number(cell: Any) -> float | None:
    if isinstance(cell, (bool, np.bool_)) or cell is None:
        return None
    if isinstance(cell, (numbers.Real, decimal.Decimal)):
        value = float(cell)
    elif isinstance(cell, str):
        try:
            value = float(cell.strip())
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def read_table(path: str | os.PathLike[str], format: str | None = None, encoding: str = "utf-8") -> Table:
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
        raise ValueError(f"format: expected 'csv' or 'parquet', received: {excerpt(format)}")
    check_data_file(path, source)
    if format == "parquet":
        return read_parquet(path, source)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ValueError(f"{source}: cannot be read ({err.strerror or err})") from None
    return _read_csv(data, source, encoding)


def check_data_file(path: Path, source: str) -> None:
    """Refuse, naming the path, anything but an existing, readable regular file.

    A folder or a named pipe is called what it is (a pipe is never opened: reading
    one would wait for a writer); a path through a file, or without permission,
    gets the operating system's reason.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ValueError(f"{source}: no such file") from None
    except NotADirectoryError:
        raise ValueError(f"{source}: no such file (a part of the path is a file, not a folder)") from None
    except OSError as err:
        raise ValueError(f"{source}: cannot be read ({err.strerror or err})") from None
    if stat.S_ISDIR(mode):
        raise ValueError(f"{source}: is a folder, expected a data file")
    if stat.S_ISFIFO(mode):
        raise ValueError(f"{source}: is a named pipe (FIFO), expected a data file")
    if not stat.S_ISREG(mode):
        raise ValueError(f"{source}: is not a regular file (a device or socket), expected a data file")
    if not os.access(path, os.R_OK):
        raise ValueError(f"{source}: cannot be read (permission denied)")


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
        raise ValueError(f"encoding: expected a known text encoding, received: {excerpt(encoding)}") from None
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
        raise ImportError(f"reading Parquet files needs pyarrow: {install_hint('data')}") from None
    try:
        table = pq.read_table(path)
    except Exception as err:  # pyarrow raises several types for a damaged file
        raise ValueError(f"{source}: not a readable Parquet file ({err})") from None
    columns = [str(name) for name in table.column_names]
    check_header(columns, source)
    if table.num_rows == 0:
        raise ValueError(f"{source}: the file has columns but no data rows")
    cells = {name: table.column(k).to_pylist() for k, name in enumerate(columns)}
    return Table(columns, cells, source, None, types=arrow_types(table.schema))


def arrow_types(schema: Any) -> dict[str, str]:
    """What each field of a pyarrow schema is: numeric, boolean, categorical (dictionary), text, datetime."""
    import pyarrow as pa

    types = {}
    for field in schema:
        t = field.type
        if pa.types.is_dictionary(t):
            kind = "categorical"
        elif pa.types.is_boolean(t):
            kind = "boolean"
        elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
            kind = "numeric"
        elif pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t):
            kind = "text"
        elif (
            pa.types.is_timestamp(t)
            or pa.types.is_date(t)
            or pa.types.is_time(t)
            or pa.types.is_duration(t)
            or pa.types.is_interval(t)
        ):
            kind = "datetime"
        else:
            kind = f"unsupported: {t}"
        types[str(field.name)] = kind
    return types


def table_from_columns(columns: Mapping[str, Sequence[Any] | np.ndarray], source: str = "<data>") -> Table:
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
            raise ValueError(f"{source}: column {excerpt(name)} appears more than once in the header")
        seen.add(name)
