"""Bounds on untrusted input: every limit chainrule puts on a file or request, and why.

A file or request is checked against these bounds *before* anything is
allocated or built from it, so that a small hostile input (a 1 KB YAML
"billion laughs", a 140-byte network file claiming a million weights, JSON
nested 100,000 deep, a 400-digit number) is refused in milliseconds with the
library's :class:`~chainrule.core.errors.ValidationError`, never answered
with a ``MemoryError``, a ``RecursionError``, an ``OverflowError`` or a hang.

==============================  ===============  ====================================================
bound                           value            why this number
==============================  ===============  ====================================================
:data:`MAX_PARAMETERS`          10^9             weights and biases of any network spec: 10^9
                                                 float64 values are 8 GB per copy and training keeps
                                                 at least two (values, gradients); a spec past it is
                                                 a typo or an attack, refused before a byte is allocated
:data:`MAX_LAYERS`              1,000            layers of any network spec: each layer is a Python
                                                 object with its own workspace, and plain
                                                 backpropagation does not train fully connected
                                                 networks of more than a few dozen layers
:data:`MAX_FILE_PARAMETERS`     10^6             weights and biases of a network *file* (``chainrule
                                                 explain``'s configs, the explorer's files): such a
                                                 file lists every weight as text, so 10^6 of them are
                                                 already 10-20 MB; larger networks live in model files
:data:`MAX_FILE_BYTES`          16 MiB           size of a network file (or its text sent to the
                                                 explorer): room for :data:`MAX_FILE_PARAMETERS`
                                                 weights written out, read in well under a second
:data:`MAX_DEPTH`               64               nesting of lists and objects in any document
                                                 (network file, model-file metadata): the deepest
                                                 real one is 6 (``preprocessing.encoder.columns[k].
                                                 categories[j]``); far below the ~1,000 levels at
                                                 which Python's parsers would raise RecursionError
:data:`MAX_NODES`               4 * 10^6         values (numbers, strings, lists, objects) in one
                                                 parsed document, YAML aliases *expanded*: twice
                                                 what a network file at :data:`MAX_FILE_PARAMETERS`
                                                 holds, and the bound that stops a YAML alias bomb
                                                 while it is composed, before anything is built
:data:`MAX_NUMBER_LENGTH`       100 characters   one number literal (and, after parsing, integers
                                                 below 10^100): 17 significant digits identify any
                                                 float64 and 20 any count or seed; CPython converts
                                                 long digit strings in quadratic time, and integers
                                                 past 10^308 do not even fit in a float
:data:`MAX_HEADER_BYTES`        16 MiB           a model file's JSON header (its metadata and the
                                                 tensors' table); the header of a real model file is
                                                 a few kilobytes, even with preprocessing
==============================  ===============  ====================================================

:data:`MAX_PARAMETERS` also bounds ``Network.from_sizes`` and the command
line's ``--sizes`` (:func:`chainrule.core.validation.check_layer_sizes`).
Bounds kept beside the code they protect, each documented there:

* the explorer server's requests (:mod:`chainrule.visual.server`): ``MAX_BODY``
  (1 MiB), ``MAX_DEPTH`` (32: the page's own requests nest 3 deep),
  ``MAX_INT_DIGITS`` (32), and its queue and timeouts;
* the explorer's state (:mod:`chainrule.visual.state`): ``MAX_NEURONS`` and
  ``MAX_LAYERS`` (what it draws legibly, 6 and 5), ``VALUE_LIMIT`` (1e6);
  ``chainrule.visual.api.MAX_UPDATES`` (one request's training steps);
* :data:`chainrule.core.gradcheck.MAX_GRADCHECK_WORK` (samples x parameters^2
  of a gradient check, about ten seconds of finite differences);
* :data:`chainrule.explain.trace.MAX_TRACE_PARAMETERS` (a readable
  step-by-step trace, 128 parameters by default);
* :data:`chainrule.core.validation.MAX_INT` (any count or option, 2^63 - 1);
* :data:`chainrule.io.atomic.STALE_AFTER_S` (when a killed save's temporary
  file counts as left behind).

The helpers here parse and check documents within these bounds:
:func:`load_json` (JSON text), :func:`check_document` (any parsed document:
depth, size and numbers, with the path of the first bad value) and
:func:`check_file_size`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import Described, ValidationError, excerpt

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_FILE_PARAMETERS",
    "MAX_HEADER_BYTES",
    "MAX_LAYERS",
    "MAX_NODES",
    "MAX_NUMBER_LENGTH",
    "MAX_PARAMETERS",
    "check_document",
    "check_file_size",
    "document_path",
    "load_json",
]

MAX_PARAMETERS = 10**9
MAX_LAYERS = 1_000
MAX_FILE_PARAMETERS = 10**6
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 4 * 10**6
MAX_NUMBER_LENGTH = 100
MAX_HEADER_BYTES = 16 * 1024 * 1024


def fail(field: str, expected: str, received: Any) -> ValidationError:
    """The library's error (as :func:`chainrule.core.validation.fail`, which builds on this module)."""
    return ValidationError(field, expected, received)


#: The largest integer a document may hold (just under 10^MAX_NUMBER_LENGTH).
_INT_LIMIT = 10**MAX_NUMBER_LENGTH
#: A JSON string literal (with its escapes), removed before brackets are counted.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
#: ``bytes.translate`` tables: keep only brackets; number characters as ``0``, the rest as spaces.
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")
_NUMBER_RUNS = bytes(b"0"[0] if c in b"-+0123456789.eE" else b" "[0] for c in range(256))
#: Longest key text an error's field name shows.
_KEY_TEXT = 40

#: A place in a document: keys and list indices from the top.
DocumentPath = tuple[str | int, ...]
#: Turns a :data:`DocumentPath` into the field name an error reports.
FieldName = Callable[[DocumentPath], str]


def document_path(path: DocumentPath, root: str = "") -> str:
    """``("weights", 0, 1)`` -> ``"weights[0][1]"`` (prefixed by ``root.`` when given)."""
    text = root
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "document"


def check_file_size(n_bytes: int, what: str, limit: int = MAX_FILE_BYTES) -> None:
    """Refuse a file or text of more than ``limit`` bytes, before it is parsed."""
    if n_bytes > limit:
        raise fail(what, f"at most {limit:,} bytes ({limit // (1024 * 1024)} MiB)", Described(f"{n_bytes:,} bytes"))


def _outside_strings(text: bytes) -> bytes:
    """JSON text with every string literal emptied (brackets and digits inside strings do not count)."""
    return _JSON_STRING.sub(b'""', text)


def _depth(outside: bytes) -> int:
    """The deepest nesting of ``[`` and ``{`` in JSON text whose strings are emptied (linear time, no parse)."""
    brackets = np.frombuffer(outside.translate(None, _NOT_BRACKETS), dtype=np.uint8)
    steps = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1)
    return int(np.cumsum(steps).max(initial=0))


def _longest_number(outside: bytes) -> bytes | None:
    """A run of number characters longer than :data:`MAX_NUMBER_LENGTH` in emptied JSON text, or None."""
    runs = outside.translate(_NUMBER_RUNS)
    start = runs.find(b"0" * (MAX_NUMBER_LENGTH + 1))
    if start < 0:
        return None
    end = runs.find(b" ", start)
    return outside[start : end if end >= 0 else len(outside)]


def load_json(
    text: str | bytes, what: str, *, max_bytes: int = MAX_FILE_BYTES, field_name: FieldName | None = None
) -> Any:
    """Parse JSON text within the bounds: size, nesting depth, number lengths; no NaN or Infinity.

    Raises :class:`ValidationError` naming ``what`` (``"config file 'net.json'"``)
    before parsing for more than ``max_bytes`` bytes or nesting deeper than
    :data:`MAX_DEPTH`; while parsing for the tokens ``NaN``/``Infinity`` (not
    JSON) and text that is not JSON or not UTF-8; after it, through
    :func:`check_document` naming the value's field (``field_name(path)``,
    default ``what`` and the path), for a number literal longer than
    :data:`MAX_NUMBER_LENGTH` characters (found before parsing, kept as text,
    never converted) or past float64's range (which JSON reads as infinity).
    """
    if isinstance(text, str):
        data = text.encode("utf-8", errors="surrogatepass")
    elif isinstance(text, (bytes, bytearray, memoryview)):
        data = bytes(text)
    else:
        raise fail(what, "JSON text", text)
    check_file_size(len(data), what, max_bytes)
    outside = _outside_strings(data)
    depth = _depth(outside)
    if depth > MAX_DEPTH:
        raise fail(what, f"JSON nested at most {MAX_DEPTH} levels deep", Described(f"nesting {depth} levels deep"))
    # A number literal past the bound is kept as its text (never converted: CPython converts long digit
    # strings in quadratic time) and refused by check_document below, naming its field.
    parse_int: Callable[[str], Any] | None = None  # None: json's own conversion
    parse_float: Callable[[str], Any] | None = None
    if _longest_number(outside) is not None:
        parse_int, parse_float = _bounded_literal(int), _bounded_literal(float)
    if isinstance(text, str):
        decoded = text
    else:
        try:
            decoded = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise fail(what, "UTF-8 text", Described(f"byte {err.start} is not UTF-8 ({err.reason})")) from None
    try:
        document = json.loads(
            decoded, parse_constant=_json_constant(what), parse_int=parse_int, parse_float=parse_float
        )
    except json.JSONDecodeError as err:
        raise fail(what, "valid JSON", Described(f"{err.msg} at line {err.lineno}, column {err.colno}")) from None
    except ValidationError:
        raise
    except (RecursionError, ValueError) as err:  # cannot happen within the bounds; no parser error escapes
        raise fail(what, "JSON within the bounds of chainrule.core.limits", Described(str(err)[:80])) from None
    return check_document(document, field_name or (lambda path: document_path(path, what)), finite=True)


class _LongLiteral(str):
    """A number literal of more than :data:`MAX_NUMBER_LENGTH` characters, left unconverted."""


def _bounded_literal(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    return lambda literal: _LongLiteral(literal) if len(literal) > MAX_NUMBER_LENGTH else convert(literal)


def _json_constant(what: str) -> Callable[[str], Any]:
    def parse(token: str) -> Any:
        raise fail(what, "valid JSON (it has no NaN or Infinity; write finite numbers)", Described(token))

    return parse


def check_document(data: Any, field_name: FieldName = document_path, *, finite: bool = False) -> Any:
    """Check a parsed document (from JSON, TOML, YAML, or a request) within the bounds; return it.

    Walks the document without recursion, shared parts (YAML aliases) once per
    use, and stops at the first value past a bound: nesting deeper than
    :data:`MAX_DEPTH`, more than :data:`MAX_NODES` values, an integer of
    :data:`MAX_NUMBER_LENGTH` digits or more, and with ``finite`` a float that
    is infinite or NaN (JSON text reads a number past float64's range as
    infinity). Errors name ``field_name(path)`` of that value (``"config field
    'weights[0][1]'"``); the work is at most :data:`MAX_NODES` steps whatever the document.
    """

    # Each entry: (container, depth, where); ``where`` is (parent's where, key), so that a
    # path is only spelt out for the value an error names. Scalars are checked in place.
    def refuse_scalar(value: Any, where: Any) -> None:
        if isinstance(value, _LongLiteral):
            raise fail(
                field_name(_path(where)),
                f"a number of at most {MAX_NUMBER_LENGTH} characters",
                Described(f"a number of {len(value)} characters ({value[:20]}...)"),
            )
        if isinstance(value, float):
            raise fail(
                field_name(_path(where)),
                "a finite number (a JSON number past float64's range, about 1.8e308, reads as infinity)",
                value,
            )
        raise fail(field_name(_path(where)), f"an integer of fewer than {MAX_NUMBER_LENGTH} digits", value)

    containers = (dict, list, tuple)
    if not isinstance(data, containers):
        if (
            (type(data) is int and not -_INT_LIMIT < data < _INT_LIMIT)
            or type(data) is _LongLiteral
            or (finite and type(data) is float and not math.isfinite(data))
        ):
            refuse_scalar(data, None)
        return data
    stack: list[tuple[Any, int, Any]] = [(data, 0, None)]
    nodes = 1
    while stack:
        value, depth, where = stack.pop()
        if depth >= MAX_DEPTH:
            raise fail(
                field_name(_path(where)),
                f"lists and tables nested at most {MAX_DEPTH} levels deep",
                Described(f"nesting deeper than {MAX_DEPTH} levels"),
            )
        nodes += len(value)
        if nodes > MAX_NODES:
            raise fail(
                field_name(()),
                f"a document of at most {MAX_NODES:,} values (aliases expanded)",
                Described(f"more than {MAX_NODES:,} values"),
            )
        for key, child in value.items() if isinstance(value, dict) else enumerate(value):
            kind = type(child)
            if kind is float:
                if finite and not math.isfinite(child):
                    refuse_scalar(child, (where, key))
            elif kind is int:
                if not -_INT_LIMIT < child < _INT_LIMIT:
                    refuse_scalar(child, (where, key))
            elif isinstance(child, containers):
                stack.append((child, depth + 1, (where, key)))
            elif kind is _LongLiteral or (
                isinstance(child, int) and not isinstance(child, bool) and not -_INT_LIMIT < child < _INT_LIMIT
            ):
                refuse_scalar(child, (where, key))
    return data


def _path(where: Any) -> DocumentPath:
    """The path of a walk entry's ``where`` chain; long or odd keys shortened for messages."""
    parts = []
    while where is not None:
        where, key = where
        if not isinstance(key, (int, str)) or isinstance(key, bool):
            key = excerpt(key)
        elif isinstance(key, str) and len(key) > _KEY_TEXT:
            key = key[: _KEY_TEXT - 3] + "..."
        parts.append(key)
    return tuple(reversed(parts))
