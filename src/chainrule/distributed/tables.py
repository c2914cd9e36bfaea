"""Each rank reads its own shard of a CSV or Parquet file; preprocessing is learned over all shards.

A shard is a contiguous run of rows, in rank order, so the shards together
are the file's rows in file order, as one process would read them.

* CSV: rank ``r`` of ``p`` takes the lines that *start* in bytes
  ``[r B/p, (r+1) B/p)`` of the body (after the header line): it reads only
  those bytes (plus the header and the rest of its last line). Row and line
  numbers in error messages are the file's, found with an exclusive prefix
  sum of the ranks' counts. A quoted field must not contain a line break
  (a file that has them is read whole by every rank instead: pass
  ``split_lines=False``). Encodings in which a newline is not the byte
  ``\\n`` (UTF-16, UTF-32) are also read whole.
* Parquet: the rows are split evenly and each rank reads only the row groups
  that overlap its rows (a file written as one row group is read whole).

:func:`fit_preprocessor` learns the same standardisation and target encoding
as :meth:`chainrule.tabular.Preprocessor.fit` on the whole file: sums and
label sets are combined across ranks (equal to float rounding).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..tabular.preprocess import MAX_AUTO_CLASSES, Preprocessor, label_of, label_sort_key, select_features
from ..tabular.reader import Table, check_header, read_parquet, cells_by_column, read_table
from .failure import agree
from .strategy import even_range

__all__ = ["ShardTable", "read_table_shard", "fit_preprocessor"]

_BLOCK = 1 << 16


@dataclass
class ShardTable(Table):
    """A :class:`~chainrule.tabular.Table` holding rows ``row_offset ..`` of a file (0-based)."""

    row_offset: int = 0

    def where(self, row: int) -> str:
        text = f"row {row + 1 + self.row_offset}"
        if self.csv_lines is not None:
            text += f" (line {self.csv_lines[row]})"
        return text


def read_table_shard(path: str | os.PathLike, comm: Any, format: str | None = None, encoding: str = "utf-8",
                     split_lines: bool = True) -> ShardTable:
    """This rank's contiguous share of the rows of a CSV or Parquet file (collective).

    Raises ValueError on every rank (:class:`~chainrule.distributed.PeerError`
    on those that did not fail) for the errors :func:`chainrule.tabular.read_table`
    reports, naming the file's row and line.
    """
    path = Path(path)
    source = str(path)
    rank, size = comm.Get_rank(), comm.Get_size()
    if format is None:
        format = "parquet" if path.suffix.lower() in (".parquet", ".pq") else "csv"
    whole = format != "csv" or not split_lines or not _newline_is_byte(encoding)
    with agree(comm):
        if format not in ("csv", "parquet"):
            raise ValueError(f"format: expected 'csv' or 'parquet', received: {format!r}")
        if not path.is_file():
            raise ValueError(f"{source}: no such file")
        if format == "parquet":
            table = _parquet_shard(path, source, rank, size)
        elif whole:
            table = _slice(read_table(path, format="csv", encoding=encoding), rank, size)
        else:
            header, chunk, header_lines = _csv_bytes(path, source, rank, size)
    if format == "parquet" or whole:
        return table
    # Lines before this chunk: the header's plus the earlier ranks' (a prefix sum over ranks).
    lines_before = header_lines + (comm.exscan(chunk.count(b"\n")) or 0)  # exscan gives rank 0 None
    with agree(comm):
        columns, rows, lines = _parse_csv(header, chunk, source, encoding, lines_before)
    rows_before = comm.exscan(len(rows)) or 0
    total = comm.allreduce(len(rows))
    with agree(comm):
        if total == 0:
            raise ValueError(f"{source}: the file has a header but no data rows")
        cells = cells_by_column(columns, rows, lines, source, row_offset=rows_before)
    return ShardTable(columns, cells, source, lines, row_offset=rows_before)


def _newline_is_byte(encoding: str) -> bool:
    try:
        return "\n".encode(encoding) == b"\n" and "a".encode(encoding) == b"a"
    except LookupError:
        return False  # read_table reports the unknown encoding


def _slice(table: Table, rank: int, size: int) -> ShardTable:
    lo, hi = even_range(table.n_rows, rank, size)
    lines = None if table.csv_lines is None else table.csv_lines[lo:hi]
    return ShardTable(table.columns, {c: v[lo:hi] for c, v in table.cells.items()}, table.source, lines, row_offset=lo)


def _parquet_shard(path: Path, source: str, rank: int, size: int) -> ShardTable:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError("reading Parquet files needs pyarrow: pip install 'chainrule[data]'") from None
    try:
        pf = pq.ParquetFile(path)
        counts = [pf.metadata.row_group(g).num_rows for g in range(pf.metadata.num_row_groups)]
    except Exception:  # pyarrow raises several types for a damaged file: let the reader word it
        return _slice(read_parquet(path, source), rank, size)
    n = sum(counts)
    lo, hi = even_range(n, rank, size)
    starts = np.concatenate([[0], np.cumsum(counts)])
    groups = [g for g in range(len(counts)) if starts[g] < hi and starts[g + 1] > lo]
    columns = [str(name) for name in pf.schema_arrow.names]
    check_header(columns, source)
    if n == 0:
        raise ValueError(f"{source}: the file has columns but no data rows")
    if not groups:
        return ShardTable(columns, {c: [] for c in columns}, source, None, row_offset=lo)
    try:
        table = pf.read_row_groups(groups).slice(lo - int(starts[groups[0]]), hi - lo)
    except Exception as err:
        raise ValueError(f"{source}: not a readable Parquet file ({err})") from None
    cells = {name: table.column(k).to_pylist() for k, name in enumerate(columns)}
    return ShardTable(columns, cells, source, None, row_offset=lo)


def _csv_bytes(path: Path, source: str, rank: int, size: int) -> tuple[bytes, bytes, int]:
    """``(header line, this rank's lines, lines in the header)``, reading only those bytes."""
    with open(path, "rb") as f:
        total = os.fstat(f.fileno()).st_size
        header = f.readline()
        if not header.strip() and total == len(header):
            raise ValueError(f"{source}: the file is empty; expected a header row and data rows")
        body = f.tell()
        span = total - body
        start = _line_start(f, body + span * rank // size, body, total)
        stop = _line_start(f, body + span * (rank + 1) // size, body, total)
        f.seek(start)
        return header, f.read(stop - start), header.count(b"\n")


def _line_start(f: Any, position: int, body: int, total: int) -> int:
    """The first line start at or after ``position`` (``body`` and ``total`` are line starts)."""
    if position <= body or position >= total:
        return min(max(position, body), total)
    f.seek(position - 1)
    while True:
        block = f.read(_BLOCK)
        if not block:
            return total
        newline = block.find(b"\n")
        if newline >= 0:
            return position + newline
        position += len(block)


def _parse_csv(header: bytes, chunk: bytes, source: str, encoding: str,
               lines_before: int) -> tuple[list[str], list[list[str]], list[int]]:
    if encoding.lower().replace("-", "").replace("_", "") == "utf8":
        encoding = "utf-8-sig"
    texts = []
    for data, first_line in ((header, 1), (chunk, lines_before + 1)):
        try:
            texts.append(data.decode(encoding if data is header else encoding.replace("-sig", "")))
        except UnicodeDecodeError as err:
            line = first_line + data[: err.start].count(b"\n")
            raise ValueError(
                f"{source}: line {line} is not valid {encoding.replace('-sig', '')} text "
                f"(byte {data[err.start]:#04x}); re-save the file as UTF-8 "
                "or pass its encoding (--encoding latin-1, for example)"
            ) from None
        except LookupError:
            raise ValueError(f"encoding: expected a known text encoding, received: {encoding!r}") from None
    try:
        columns = [name.strip() for name in next(csv.reader(io.StringIO(texts[0], newline="")))]
    except (StopIteration, csv.Error):
        columns = []
    check_header(columns, source)
    reader = csv.reader(io.StringIO(texts[1], newline=""))
    rows, lines = [], []
    try:
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue  # blank lines
            rows.append(row)
            lines.append(lines_before + reader.line_num)
    except csv.Error as err:
        raise ValueError(f"{source}: line {lines_before + reader.line_num}: not valid CSV ({err})") from None
    return columns, rows, lines


def fit_preprocessor(table: Table, target: str, features: Sequence[str] | None, task: str, comm: Any) -> Preprocessor:
    """:meth:`Preprocessor.fit <chainrule.tabular.Preprocessor.fit>` over every rank's shard (collective)."""
    with agree(comm):
        features = select_features(table, target, features, task)
        X = table.matrix(features)
        labels = table.raw(target)
    mean, scale = _mean_and_std(X, comm)
    scale[~(scale > np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean)))] = 1.0
    distinct = {label_of(v) for v in labels}
    if task == "auto":
        text = any(isinstance(v, (str, bool)) for v in distinct)
        whole = all(isinstance(v, int) for v in distinct)
        reports = comm.allgather((text, whole, distinct if len(distinct) <= MAX_AUTO_CLASSES else None))
        union: set = set()
        for _, _, values in reports:
            union |= values if values is not None else set(range(MAX_AUTO_CLASSES + 1))
        if any(r[0] for r in reports) or (all(r[1] for r in reports) and len(union) <= MAX_AUTO_CLASSES):
            task = "classification"
        else:
            task = "regression"
    if task == "classification":
        classes = sorted(set().union(*comm.allgather(distinct)), key=label_sort_key)
        with agree(comm):
            if len(classes) < 2:
                raise ValueError(f"{table.source}: target column {target!r} has a single class {classes!r}; "
                                 "classification needs at least 2")
        return Preprocessor(features, target, task, mean, scale, classes=classes)
    with agree(comm):
        y = table.numeric(target)
    y_mean, y_std = _mean_and_std(y[:, None], comm)
    std = float(y_std[0])
    return Preprocessor(features, target, task, mean, scale, target_mean=float(y_mean[0]),
                        target_scale=std if std > 0 else 1.0)


def _mean_and_std(X: np.ndarray, comm: Any) -> tuple[np.ndarray, np.ndarray]:
    """Column means and (population) standard deviations of the rows of every rank, two passes as NumPy."""
    n = comm.allreduce(X.shape[0])
    mean = comm.allreduce(X.sum(axis=0)) / n
    squares = comm.allreduce(((X - mean) ** 2).sum(axis=0))
    return mean, np.sqrt(squares / n)
