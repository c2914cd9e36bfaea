"""Helpers shared by the subcommands: data files, model files, output paths, optional extras.

Commands check what they can before any costly work: every output path
(:func:`check_output`), every optional package a later step needs
(:func:`require_extra`) and every input file (:func:`check_input_file`,
:func:`check_model_file`, :func:`check_text_file`), so that a bad path or a
missing extra is a one-line message naming it, not a traceback after training.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import functools
import importlib
import io
import os
import stat
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import Described, excerpt
from ..core.extras import install_hint
from ..core.limits import MAX_HEADER_BYTES
from ..core.validation import fail
from ..io import load_model
from ..io.atomic import check_writable
from ..tabular import Preprocessor, read_table

#: The optional packages commands use, with the message naming the extra that installs each.
EXTRAS = {
    "safetensors": f"model files need the safetensors package: {install_hint('safetensors')}",
    "matplotlib": f"plots need matplotlib: {install_hint('plot')}",
    "onnx": f"ONNX export needs the onnx package: {install_hint('onnx')}",
}

#: What ``ArgumentParser.add_subparsers()`` returns (argparse names its class privately).
Subcommands = Any


def add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=["csv", "parquet"], help="file format (default: from the extension)")
    parser.add_argument("--encoding", default="utf-8", help="text encoding of a CSV file (default utf-8)")


def read_data(args: argparse.Namespace, path: str | None = None) -> Any:
    return read_table(path or args.data, format=args.format, encoding=args.encoding)


def require_extra(module: str) -> None:
    """Raise ImportError with the install hint of :data:`EXTRAS` when ``module`` cannot be imported."""
    try:
        importlib.import_module(module)
    except ImportError:
        raise ImportError(EXTRAS[module]) from None


def check_output(path: str | os.PathLike[str], option: str) -> Path:
    """Refuse at once an output path that could not be written (see :func:`chainrule.io.atomic.check_writable`)."""
    return check_writable(path, option)


def check_input_file(path: str | os.PathLike[str], what: str) -> Path:
    """An existing, readable regular file; else the library's error naming ``what`` and the path.

    ``config file: expected a readable file, received: 'data' (a folder)``. A named
    pipe is refused without being opened (reading one waits for a writer).
    """
    path = Path(path)

    def refuse(problem: str) -> ValueError:
        return fail(what, "a readable file", Described(f"{excerpt(str(path))} ({problem})"))

    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise refuse("no such file") from None
    except NotADirectoryError:
        raise refuse("no such file: a part of the path is a file, not a folder") from None
    except OSError as err:
        raise refuse(err.strerror or type(err).__name__) from None
    if stat.S_ISDIR(mode):
        raise refuse("a folder")
    if stat.S_ISFIFO(mode):
        raise refuse("a named pipe (FIFO)")
    if not stat.S_ISREG(mode):
        raise refuse("not a regular file: a device or a socket")
    if not os.access(path, os.R_OK):
        raise refuse("permission denied")
    return path


def check_model_file(path: str | os.PathLike[str], what: str = "model file") -> Path:
    """A file that starts like a model file (a safetensors header), with safetensors installed to read it.

    Catches a CSV, a network file or any other file given where a model is expected
    before the model reader sees it, and says so instead of quoting its header length.
    """
    path = check_input_file(path, what)
    size = path.stat().st_size
    try:
        with open(path, "rb") as handle:
            start = handle.read(64)
    except OSError as err:
        raise fail(what, "a readable file", Described(f"{excerpt(str(path))} ({err.strerror or err})")) from None
    header_len = struct.unpack("<Q", start[:8])[0] if len(start) >= 8 else None
    if header_len is None or header_len > MAX_HEADER_BYTES or 8 + header_len > size or start[8:9] != b"{":
        raise fail(
            what,
            "a chainrule model file (written by `chainrule train` or save_model)",
            Described(f"{excerpt(str(path))} (it does not start with a safetensors header{_looks_like(start, size)})"),
        )
    require_extra("safetensors")
    return path


def _looks_like(start: bytes, size: int) -> str:
    if size == 0:
        return "; it is empty"
    text = start.decode("utf-8", errors="replace")
    line = text.splitlines()[0] if text.strip() else ""
    if line and line.isprintable() and "\ufffd" not in line:
        return f"; it starts with the text {excerpt(line)}"
    return ""


def check_text_file(path: str | os.PathLike[str], what: str) -> Path:
    """A readable regular file of UTF-8 text; a byte that is not UTF-8 is named with its line."""
    path = check_input_file(path, what)
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, offset = 1, 0

    def refuse(problem: str) -> ValueError:
        return fail(what, "a UTF-8 text file", Described(f"{excerpt(str(path))} ({problem}); save it as UTF-8"))

    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 16):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as err:
                    line += chunk[: err.start].count(b"\n")
                    raise refuse(
                        f"line {line} is not UTF-8: byte {chunk[err.start]:#04x} at offset {offset + err.start}"
                    ) from None
                line += chunk.count(b"\n")
                offset += len(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise refuse("it ends inside a UTF-8 character (truncated?)") from None
    except OSError as err:
        raise fail(what, "a readable file", Described(f"{excerpt(str(path))} ({err.strerror or err})")) from None
    return path


def os_error_text(err: OSError) -> str:
    """One line for an operating-system error, naming its path(s): ``'out/m.csv': Permission denied``."""
    reason = err.strerror or str(err) or type(err).__name__
    if err.filename is None:
        return reason
    names = excerpt(os.fsdecode(err.filename))
    if getattr(err, "filename2", None) is not None:
        names += f" -> {excerpt(os.fsdecode(err.filename2))}"
    return f"{names}: {reason}"


def load_for_use(path: str) -> tuple[Any, Preprocessor | None, Any]:
    """``(network, preprocessor or None, saved)`` from a model file."""
    check_model_file(path)
    saved = load_model(path)
    pre = None if saved.preprocessing is None else Preprocessor.from_config(saved.preprocessing)
    return saved.network, pre, saved


def require_preprocessing(pre: Preprocessor | None, path: str) -> Preprocessor:
    if pre is None:
        raise ValueError(
            f"model file {excerpt(path)}: it stores no preprocessing (not trained by `chainrule train`), "
            "so its columns are unknown"
        )
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
