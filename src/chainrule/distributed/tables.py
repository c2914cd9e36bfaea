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

:func:`fit_preprocessor` learns the same preprocessing as
:meth:`chainrule.tabular.Preprocessor.fit` on the whole file, through a
:class:`CommReducer`: column kinds are decided from every rank's evidence,
sums and counts are summed, category and label sets united, most frequent
values counted over all ranks, and medians found exactly by a distributed
bisection (:meth:`CommReducer.median`); means and standard deviations equal
the single-process ones to float rounding, everything else exactly.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.extras import install_hint
from ..tabular.options import TableOptions
from ..tabular.preprocess import Preprocessor
from ..tabular.reader import (
    Table,
    arrow_types,
    cells_by_column,
    check_data_file,
    check_header,
    read_parquet,
    read_table,
)
from ..tabular.reduce import Reducer
from .failure import agree
from .strategy import even_range

__all__ = ["CommReducer", "ShardTable", "read_table_shard", "fit_preprocessor"]

_BLOCK = 1 << 16


@dataclass
class ShardTable(Table):
    """A :class:`~chainrule.tabular.Table` holding rows ``row_offset ..`` of a file (0-based).

    Its messages name the file's rows (``Table.row_offset``).
    """


def read_table_shard(
    path: str | os.PathLike[str],
    comm: Any,
    format: str | None = None,
    encoding: str = "utf-8",
    split_lines: bool = True,
) -> ShardTable:
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
        check_data_file(path, source)
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
    return ShardTable(
        table.columns,
        {c: v[lo:hi] for c, v in table.cells.items()},
        table.source,
        lines,
        types=table.types,
        row_offset=lo,
    )


def _parquet_shard(path: Path, source: str, rank: int, size: int) -> ShardTable:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(f"reading Parquet files needs pyarrow: {install_hint('data')}") from None
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
    types = arrow_types(pf.schema_arrow)
    if not groups:
        return ShardTable(columns, {c: [] for c in columns}, source, None, types=types, row_offset=lo)
    try:
        table = pf.read_row_groups(groups).slice(lo - int(starts[groups[0]]), hi - lo)
    except Exception as err:
        raise ValueError(f"{source}: not a readable Parquet file ({err})") from None
    cells = {name: table.column(k).to_pylist() for k, name in enumerate(columns)}
    return ShardTable(columns, cells, source, None, types=types, row_offset=lo)


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
        block: bytes = f.read(_BLOCK)
        if not block:
            return total
        newline = block.find(b"\n")
        if newline >= 0:
            return position + newline
        position += len(block)


def _parse_csv(
    header: bytes, chunk: bytes, source: str, encoding: str, lines_before: int
) -> tuple[list[str], list[list[str]], list[int]]:
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


def fit_preprocessor(
    table: Table, target: str, features: Sequence[str] | None, task: str, comm: Any, options: TableOptions | None = None
) -> Preprocessor:
    """:meth:`Preprocessor.fit <chainrule.tabular.Preprocessor.fit>` over every rank's shard (collective).

    ``table`` is this rank's shard; every rank passes the same ``target``,
    ``features``, ``task`` and ``options`` and gets the same preprocessing.
    """
    return Preprocessor.fit(table, target, features, task, options=options, reducer=CommReducer(comm))


class CommReducer(Reducer):
    """:class:`~chainrule.tabular.Reducer` over the ranks of an MPI communicator (each method is collective)."""

    def __init__(self, comm: Any) -> None:
        self.comm = comm

    def checking(self) -> Any:
        return agree(self.comm)

    def sum(self, value: Any) -> Any:
        return self.comm.allreduce(value)

    def gather(self, value: Any) -> list[Any]:
        gathered: list[Any] = self.comm.allgather(value)
        return gathered

    def median(self, values: np.ndarray) -> float:
        """The exact median of every rank's values, as :func:`numpy.median` of all of them.

        Each order statistic is found by bisection over the floats' bit
        patterns (ordered as integers): 64 rounds of one small Allreduce of
        counts, whatever the number of rows, and no rank sends its values.
        """
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        n = self.comm.allreduce(values.size)
        keys = np.sort(_ordered_keys(values))
        low = _float_of_key(self._kth(keys, (n - 1) // 2))
        if n % 2:
            return low
        high = _float_of_key(self._kth(keys, n // 2))
        return float(np.mean(np.array([low, high])))  # numpy's median: the mean of the two middle values

    def _kth(self, keys: np.ndarray, k: int) -> int:
        """The key of the k-th smallest value (0-based) over every rank; ``keys`` sorted."""
        lo: int = self.comm.allreduce(int(keys[0]) if keys.size else _KEY_MAX, op=_op("MIN"))
        hi: int = self.comm.allreduce(int(keys[-1]) if keys.size else _KEY_MIN, op=_op("MAX"))
        while lo < hi:  # the smallest key v with at least k + 1 values <= v
            mid = (lo + hi) // 2
            at_most = self.comm.allreduce(int(np.searchsorted(keys, mid, side="right")))
            if at_most >= k + 1:
                hi = mid
            else:
                lo = mid + 1
        return lo


_KEY_MIN, _KEY_MAX = -(2**63), 2**63 - 1


def _ordered_keys(values: np.ndarray) -> np.ndarray:
    """int64 keys in the order of the floats (no NaN): flip the magnitude bits of negative numbers."""
    bits = values.view(np.int64)
    return np.where(bits < 0, bits ^ np.int64(0x7FFFFFFFFFFFFFFF), bits)


def _float_of_key(key: int) -> float:
    bits = np.int64(key)
    if bits < 0:
        bits = bits ^ np.int64(0x7FFFFFFFFFFFFFFF)
    return float(np.array([bits], dtype=np.int64).view(np.float64)[0])


def _op(name: str) -> Any:
    from mpi4py import MPI

    return getattr(MPI, name)
