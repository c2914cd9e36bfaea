"""Helpers shared by the subcommands that read data files and model files."""

from __future__ import annotations

import argparse
import csv
import functools
import io
import sys
from typing import Any, Callable

import numpy as np

from ..io import load_model
from ..tabular import Preprocessor, read_table

#: What ``ArgumentParser.add_subparsers()`` returns (argparse names its class privately).
Subcommands = Any


def add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=["csv", "parquet"], help="file format (default: from the extension)")
    parser.add_argument("--encoding", default="utf-8", help="text encoding of a CSV file (default utf-8)")


def read_data(args: argparse.Namespace, path: str | None = None) -> Any:
    return read_table(path or args.data, format=args.format, encoding=args.encoding)


def load_for_use(path: str) -> tuple[Any, Preprocessor | None, Any]:
    """``(network, preprocessor or None, saved)`` from a model file."""
    saved = load_model(path)
    pre = None if saved.preprocessing is None else Preprocessor.from_config(saved.preprocessing)
    return saved.network, pre, saved


def require_preprocessing(pre: Preprocessor | None, path: str) -> Preprocessor:
    if pre is None:
        raise ValueError(f"model file {path!r}: it stores no preprocessing (not trained by `chainrule train`), "
                         "so its columns are unknown")
    return pre


def friendly_import_errors(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn a missing optional extra into a one-line message and exit status 2."""

    @functools.wraps(handler)
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except ImportError as err:
            print(f"chainrule {args.command}: error: {err}", file=sys.stderr)
            return 2

    return wrapped


def format_number(value: Any) -> str:
    """Shortest text that reads back as the same float (Python's repr), ints as ints."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return str(value)


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([format_number(v) for v in row])
    return buffer.getvalue()
