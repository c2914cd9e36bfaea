"""The explorer's data view: a 2-D data set, full-batch training on it, and the decision surface.

For a network with two inputs the explorer can show a whole data set instead
of one sample: the synthetic problems of :mod:`chainrule.datasets` (``xor``,
``moons``, ``circles``, ``spirals``) or a small CSV the user brings. The
server does every computation: it draws or checks the points, trains the
page's network on all of them at once (plain gradient descent, the state's
learning rate and hidden-deltas convention, through
:func:`~chainrule.explain.train_with_convention`), and evaluates the network on
a grid over the plane; the page only draws what it receives.

A CSV has a header row and three columns: the two inputs (any names) and the
class label, an integer from 0 or a name (at most :data:`MAX_CLASSES`
classes, numbered in order of first appearance). It may have at most
:data:`MAX_CSV_BYTES` bytes and :data:`MAX_POINTS` rows; every problem is
reported with the file's name, the row and the column.

Targets follow the network's outputs: one output learns the label itself (two
classes, 0 and 1); one output per class learns one-hot targets.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.errors import Described, ValidationError
from ..core.network import Network
from ..core.validation import check_choice
from ..datasets import Dataset, circles, moons, spirals, xor
from ..explain.prose import Prose
from ..tabular import table_from_csv_text
from .state import VALUE_LIMIT

__all__ = [
    "DATASETS",
    "MAX_CLASSES",
    "MAX_CSV_BYTES",
    "MAX_GRID",
    "MAX_POINTS",
    "dataset_points",
    "csv_points",
    "check_points",
    "targets_for",
    "surface",
]

#: The synthetic data sets the page offers, by name.
DATASETS: dict[str, Callable[..., Dataset]] = {"xor": xor, "moons": moons, "circles": circles, "spirals": spirals}
#: Limits on what the page may send: points, classes, CSV size, grid resolution.
MAX_POINTS = 1000
MAX_CLASSES = 6
MAX_CSV_BYTES = 64 * 1024
MAX_GRID = 80


def _int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(field, Prose("an integer from {low} to {high}", low=low, high=high), value)
    return value


def dataset_points(request: dict[str, Any]) -> dict[str, Any]:
    """A synthetic data set: ``{"name", "n", "noise", "seed"}`` -> ``{"name", "points", "labels", "classes"}``."""
    name = check_choice(request.get("name"), "dataset", tuple(DATASETS))
    n = _int(request.get("n", 200), "n", 4, MAX_POINTS)
    noise = request.get("noise", 0.1)
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0 <= noise <= 1:
        raise ValidationError("noise", Prose("a number from 0 to 1"), noise)
    seed = _int(request.get("seed", 0), "seed", 0, 2**32 - 1)
    data = DATASETS[name](n_samples=n, noise=float(noise), seed=seed)
    return {"name": name, "points": data.X.tolist(), "labels": data.y.tolist(), "classes": list(data.target_names)}


def csv_points(text: Any, filename: Any = "data.csv") -> dict[str, Any]:
    """A user's CSV (see the module docstring) as ``{"name", "points", "labels", "classes"}``."""
    source = filename if isinstance(filename, str) and filename else "data.csv"
    if not isinstance(text, str):
        raise ValidationError("csv", Prose("the text of a CSV file"), type(text).__name__)
    size = len(text.encode("utf-8"))
    if size > MAX_CSV_BYTES:
        raise ValidationError(
            "csv",
            Prose("in {source}, at most {size} KiB of CSV", source=source, size=MAX_CSV_BYTES // 1024),
            Described(f"{size} bytes"),
        )
    try:
        table = table_from_csv_text(text, source)
    except ValueError as err:
        raise _reader_error(err) from None
    if len(table.columns) != 3:
        raise ValidationError(
            "csv",
            Prose("in {source}, three columns (two inputs, then the class label)", source=source),
            Described(f"{len(table.columns)} columns {table.columns}"),
        )
    if table.n_rows > MAX_POINTS:
        raise ValidationError(
            "csv",
            Prose("in {source}, at most {count} rows", source=source, count=MAX_POINTS),
            Described(f"{table.n_rows} rows"),
        )
    try:
        X = table.matrix(table.columns[:2])
        raw = table.raw(table.columns[2])
    except ValueError as err:
        raise _reader_error(err) from None
    for column, values in zip(table.columns[:2], X.T):
        worst = int(np.argmax(np.abs(values)))
        if abs(values[worst]) > VALUE_LIMIT:
            raise ValidationError(
                "csv",
                Prose(
                    "in {source}, column {column}, {where}, a number between {low} and {high}",
                    source=source,
                    column=repr(column),
                    where=_where(table, worst),
                    low=f"-{VALUE_LIMIT:g}",
                    high=f"{VALUE_LIMIT:g}",
                ),
                float(values[worst]),
            )
    labels, classes = _labels(raw, table.columns[2], table, source)
    return {"name": source, "points": X.tolist(), "labels": labels, "classes": classes}


def _where(table: Any, row: int) -> Prose:
    """``row 3 (line 4)`` for the 0-based row index ``row``, as a sentence to translate."""
    if table.csv_lines is None:
        return Prose("row {row}", row=table.row_number(row))
    return Prose("row {row} (line {line})", row=table.row_number(row), line=table.csv_lines[row])


def _reader_error(err: ValueError) -> ValidationError:
    """The table reader's message (``data.csv: column 'x2', row 2 (line 3): expected ..., received: ...``)
    as a ValidationError of the field ``csv`` that keeps the row and column."""
    text = str(err)
    if ": expected " in text and ", received: " in text:
        where, rest = text.split(": expected ", 1)
        expected, received = rest.rsplit(", received: ", 1)
        return ValidationError("csv", f"in {where}, {expected}", Described(received))
    return ValidationError("csv", Prose("a CSV file with a header row, then one row per point"), Described(text))


def _labels(raw: list[Any], column: str, table: Any, source: str) -> tuple[list[int], list[str]]:
    """Integer labels 0.. (kept as they are) or names (numbered in order of first appearance)."""
    texts = [str(v).strip() for v in raw]
    if all(t.lstrip("+").isdigit() for t in texts):
        labels = [int(t) for t in texts]
        top = max(labels)
        if top >= MAX_CLASSES:
            row = labels.index(top)
            raise ValidationError(
                "csv",
                Prose(
                    "in {source}, column {column}, {where}, a class from 0 to {high}",
                    source=source,
                    column=repr(column),
                    where=_where(table, row),
                    high=MAX_CLASSES - 1,
                ),
                top,
            )
        return labels, [str(k) for k in range(top + 1)]
    classes: list[str] = []
    labels = []
    for row, t in enumerate(texts):
        if t not in classes:
            if len(classes) == MAX_CLASSES:
                raise ValidationError(
                    "csv",
                    Prose(
                        "in {source}, column {column}, {where}, at most {count} classes",
                        source=source,
                        column=repr(column),
                        where=_where(table, row),
                        count=MAX_CLASSES,
                    ),
                    t,
                )
            classes.append(t)
        labels.append(classes.index(t))
    return labels, classes


def check_points(data: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """The page's ``{"points": [[x1, x2]...], "labels": [...], "classes": [...]}`` as ``(X, labels, n_classes)``."""
    if not isinstance(data, dict):
        raise ValidationError("data", "an object with points, labels and classes", data)
    points, labels, classes = data.get("points"), data.get("labels"), data.get("classes")
    if not isinstance(points, list) or not 1 <= len(points) <= MAX_POINTS:
        raise ValidationError("data", f"1 to {MAX_POINTS} points", None if points is None else len(points))
    if not isinstance(classes, list) or not 1 <= len(classes) <= MAX_CLASSES:
        raise ValidationError("data", f"1 to {MAX_CLASSES} classes", classes)
    if not isinstance(labels, list) or len(labels) != len(points):
        raise ValidationError("data", f"one label per point ({len(points)})", None if labels is None else len(labels))
    X = np.empty((len(points), 2))
    for k, p in enumerate(points):
        if (
            not isinstance(p, list)
            or len(p) != 2
            or any(
                isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or abs(v) > VALUE_LIMIT
                for v in p
            )
        ):
            raise ValidationError("data", f"point {k + 1}: two finite numbers", p)
        X[k] = p
    y = np.empty(len(labels), dtype=np.int64)
    for k, label in enumerate(labels):
        if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < len(classes):
            raise ValidationError("data", f"label {k + 1}: a class from 0 to {len(classes) - 1}", label)
        y[k] = label
    return X, y, len(classes)


def targets_for(network: Network, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """The targets the network learns: the label (one output, two classes) or one-hot (one output per class)."""
    outputs = network.n_outputs
    if outputs == 1 and n_classes <= 2:
        return labels.astype(np.float64).reshape(-1, 1)
    if outputs == n_classes:
        Y = np.zeros((labels.size, n_classes))
        Y[np.arange(labels.size), labels] = 1.0
        return Y
    if n_classes == 2:
        raise ValidationError(
            "sizes",
            Prose("a network with 1 output (two classes) or 2 outputs (one per class) for this data set"),
            network.sizes,
        )
    raise ValidationError(
        "sizes",
        Prose("a network with {count} outputs (one per class) for this data set", count=n_classes),
        network.sizes,
    )


def surface(network: Network, X: np.ndarray, n: int) -> dict[str, Any]:
    """The network on an ``n`` x ``n`` grid over the data's box (10 % margin): each cell's class and confidence.

    ``classes``: the predicted class per cell (row-major, top row first: largest x2);
    ``strength``: how sure, 0 to 1 (one output: ``|2 out - 1|``; several: the
    largest out minus the second, over their sum for unnormalised outputs).
    """
    n = _int(n, "grid", 4, MAX_GRID)
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    lo, hi = lo - 0.1 * span, hi + 0.1 * span
    xs = np.linspace(lo[0], hi[0], n)
    ys = np.linspace(hi[1], lo[1], n)  # top row first, as the page draws it
    grid = np.array([[x, y] for y in ys for x in xs])
    out = network.predict(grid)
    if out.shape[1] == 1:
        p = out[:, 0]
        classes = (p >= 0.5).astype(int)
        strength = np.clip(np.abs(2 * p - 1), 0, 1)
    else:
        order = np.sort(out, axis=1)
        classes = np.argmax(out, axis=1)
        total = np.maximum(np.abs(out).sum(axis=1), 1e-12)
        strength = np.clip((order[:, -1] - order[:, -2]) / total, 0, 1)
    return {
        "x": [float(lo[0]), float(hi[0])],
        "y": [float(lo[1]), float(hi[1])],
        "n": n,
        "classes": classes.tolist(),
        "strength": [round(float(s), 4) for s in strength],
    }
