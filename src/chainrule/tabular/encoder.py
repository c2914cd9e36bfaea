"""A table's columns as the network's input matrix: imputation, standardisation, one-hot encoding.

Each used column becomes one or more inputs, in column order:

=============  ==========================================================  ==========================
column kind    inputs                                                      names
=============  ==========================================================  ==========================
numeric        ``(x - mean) / scale`` after imputation                     ``col``
boolean        the same, with true = 1 and false = 0                       ``col``
categorical    one 0/1 input per training category (sorted); an unseen     ``col=category``
               category is refused or all zeros (``unknown``)
any            with ``missing_indicator``: 1 where the value was missing    ``missing(col)``
               (only for columns that had missing values in training)
=============  ==========================================================  ==========================

The arithmetic is exactly what the ONNX graph does (:mod:`chainrule.export.preprocessing`):
a numeric value is rounded to the network's dtype, a missing one replaced
by the imputed value rounded to it, then ``(x - mean) / scale`` with both
constants rounded to it; one-hot and indicator inputs are exact 0s and 1s.

The whole encoder is a JSON-ready config (:meth:`TableEncoder.to_config`),
stored in the model file's preprocessing; :mod:`.fitting` learns it. This is a small NumPy encoder
rather than scikit-learn's: its config must be plain JSON for the model file,
its statistics must combine over MPI ranks (sums, counts, category sets, an
exact distributed median), and each step must map one to one onto ONNX
operators. scikit-learn's ``SimpleImputer``, ``StandardScaler`` and
``OneHotEncoder`` serve as the reference in the tests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from ..core.errors import ValidationError, excerpt
from ..core.validation import check_dtype, fail
from .columns import (
    BOOLEAN,
    CATEGORICAL,
    KINDS,
    NUMERIC,
    boolean_values,
    categorical_values,
    missing_message,
    numeric_values,
)
from .fields import check_keys, choice, finite_number, flag, refield, text
from .options import MISSING_POLICIES, UNKNOWN_POLICIES, TableOptions
from .reader import Table, missing_cells
from .reduce import Reducer

__all__ = ["ColumnEncoder", "TableEncoder", "column_values", "missing_mask"]


@dataclass
class ColumnEncoder:
    """How one column becomes inputs (see the module docstring).

    Attributes
    ----------
    name : str
    kind : {"numeric", "boolean", "categorical"}
    fill : float, str or None
        The value imputed for a missing cell (None: missing values are not imputed).
    indicator : bool
        Whether a 0/1 missing-indicator input follows the column's inputs.
    mean, scale : float
        Standardisation of a numeric or boolean column (0 and 1 when not standardised).
    categories : list of str
        A categorical column's categories, in input order.
    unknown : {"error", "ignore"}
        What an unseen category does (categorical columns).
    """

    name: str
    kind: str
    fill: float | str | None = None
    indicator: bool = False
    mean: float = 0.0
    scale: float = 1.0
    categories: list[str] = field(default_factory=list)
    unknown: str = "error"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise fail("column name", "a non-empty text", self.name)
        if self.kind not in KINDS:
            raise fail(f"column {self.name!r} kind", f"one of {list(KINDS)}", self.kind)
        if not isinstance(self.indicator, bool):
            raise fail(f"column {self.name!r} indicator", "True or False", self.indicator)
        if self.kind == CATEGORICAL:
            cats = self.categories
            if (
                not isinstance(cats, list)
                or not cats
                or not all(isinstance(c, str) for c in cats)
                or len(set(cats)) != len(cats)
            ):
                raise fail(f"column {self.name!r} categories", "a list of distinct texts", cats)
            if self.fill is not None and not isinstance(self.fill, str):
                raise fail(f"column {self.name!r} fill", "a category (text) or None", self.fill)
            if self.unknown not in UNKNOWN_POLICIES:
                raise fail(f"column {self.name!r} unknown", f"one of {list(UNKNOWN_POLICIES)}", self.unknown)
            self._index = {c: k for k, c in enumerate(cats)}
        else:
            if self.categories:
                raise fail(f"column {self.name!r} categories", "none for a numeric column", self.categories)
            self.mean, self.scale = float(self.mean), float(self.scale)
            if not (np.isfinite(self.mean) and np.isfinite(self.scale) and self.scale > 0):
                raise fail(
                    f"column {self.name!r}", "a finite mean and a positive finite scale", (self.mean, self.scale)
                )
            if self.fill is not None:
                if isinstance(self.fill, (bool, str)) or not np.isfinite(self.fill):
                    raise fail(f"column {self.name!r} fill", "a finite number or None", self.fill)
                self.fill = float(self.fill)

    # -- shape ---------------------------------------------------------------------------
    @property
    def feature_names(self) -> list[str]:
        """The names of this column's inputs."""
        names = [f"{self.name}={c}" for c in self.categories] if self.kind == CATEGORICAL else [self.name]
        return names + ([f"missing({self.name})"] if self.indicator else [])

    @property
    def width(self) -> int:
        return len(self.feature_names)

    # -- applying ------------------------------------------------------------------------------
    def values(self, table: Table) -> np.ndarray | list[Any]:
        """The column's cells as float64 values (NaN missing) or categories (None missing)."""
        return column_values(table, self.name, self.kind)

    def transform(self, table: Table, out: np.ndarray) -> None:
        """Write this column's inputs for every row of ``table`` into ``out`` ``(n_rows, width)``."""
        cells = self.values(table)
        if self.kind == CATEGORICAL:
            self._one_hot(table, cast("list[Any]", cells), out)  # categories: a list, None where missing
            return
        values = np.asarray(cells)  # numbers: float64 already, not copied
        missing = np.isnan(values)
        dtype = out.dtype.type
        if missing.any() and self.fill is None:
            raise ValueError(missing_message(table, self.name, int(np.argmax(missing))))
        with np.errstate(over="ignore", invalid="ignore"):  # a value out of the dtype's range is named below
            x = values.astype(out.dtype)
            if missing.any():
                x[missing] = dtype(self.fill)
            if self.mean != 0.0 or self.scale != 1.0:
                x = (x - dtype(self.mean)) / dtype(self.scale)
        bad = ~np.isfinite(x)
        if bad.any():
            row = int(np.argmax(bad))
            raise ValueError(
                f"{table.source}: column {self.name!r}, {table.where(row)}: the value {float(values[row])!r} is out "
                f"of the range of {out.dtype.name} once standardised (mean {self.mean:.6g}, scale {self.scale:.6g}); "
                "use float64 (--dtype float64) or rescale the column"
            )
        out[:, 0] = x
        if self.indicator:
            out[:, 1] = missing

    def _one_hot(self, table: Table, values: list[Any], out: np.ndarray) -> None:
        k = len(self.categories)
        out[...] = 0
        index = self._index
        for row, value in enumerate(values):
            if value is None:
                if self.fill is None:
                    raise ValueError(missing_message(table, self.name, row))
                if self.indicator:
                    out[row, k] = 1
                value = self.fill
            position = index.get(value)
            if position is None:
                if self.unknown == "ignore":
                    continue
                raise ValueError(
                    f"{table.source}: column {self.name!r}, {table.where(row)}: category {excerpt(value)} was not "
                    f"seen in training; the known categories are {excerpt(self.categories)} (to encode unseen "
                    "categories as zeros, train with --unknown-categories ignore or TableOptions(unknown='ignore'))"
                )
            out[row, position] = 1

    # -- storage ---------------------------------------------------------------------------------
    def to_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"name": self.name, "kind": self.kind, "fill": self.fill, "indicator": self.indicator}
        if self.kind == CATEGORICAL:
            config.update(categories=list(self.categories), unknown=self.unknown)
        else:
            config.update(mean=self.mean, scale=self.scale)
        return config

    #: The keys of a stored column: numeric and boolean columns, categorical columns.
    NUMERIC_KEYS = ("name", "kind", "fill", "indicator", "mean", "scale")
    CATEGORICAL_KEYS = ("name", "kind", "fill", "indicator", "categories", "unknown")

    @classmethod
    def from_config(cls, config: Any, field: str = "preprocessing column") -> ColumnEncoder:
        """Rebuild from :meth:`to_config`; every key checked, errors naming ``field.<key>``."""
        if not isinstance(config, dict):
            raise fail(field, "a column: an object with the keys 'name', 'kind', ...", config)
        kind = choice(config.get("kind"), f"{field}.kind", KINDS)
        config = check_keys(
            config, field, cls.CATEGORICAL_KEYS if kind == CATEGORICAL else cls.NUMERIC_KEYS, f"a {kind} column"
        )
        name = text(config["name"], f"{field}.name")
        indicator = flag(config["indicator"], f"{field}.indicator")
        fill = config["fill"]
        if kind == CATEGORICAL:
            categories = config["categories"]
            if (
                not isinstance(categories, list)
                or not categories
                or not all(isinstance(c, str) for c in categories)
                or len(set(categories)) != len(categories)
            ):
                raise fail(f"{field}.categories", "a non-empty list of distinct texts", categories)
            if fill is not None:
                text(fill, f"{field}.fill", "a category (text) or null")
            options: dict[str, Any] = dict(
                categories=list(categories), unknown=choice(config["unknown"], f"{field}.unknown", UNKNOWN_POLICIES)
            )
        else:
            options = dict(
                mean=finite_number(config["mean"], f"{field}.mean"),
                scale=finite_number(config["scale"], f"{field}.scale", positive=True),
            )
            if fill is not None:
                fill = finite_number(fill, f"{field}.fill")
        try:
            return cls(name, kind, fill=fill, indicator=indicator, **options)
        except ValidationError as err:  # checked above; a refusal of the constructor's own is still named here
            raise refield(err, field) from None


class TableEncoder:
    """Every used column's :class:`ColumnEncoder`, in input order, and the missing-value policy.

    Parameters
    ----------
    columns : list of ColumnEncoder
    missing : {"error", "drop", "impute"}
        ``"drop"``: rows with a missing value are left out (see :meth:`complete_rows`).
    """

    def __init__(self, columns: Sequence[ColumnEncoder], missing: str = "error") -> None:
        self.columns = list(columns)
        if not self.columns or not all(isinstance(c, ColumnEncoder) for c in self.columns):
            raise fail("columns", "a non-empty list of ColumnEncoder", columns)
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise fail("columns", "each column once", names)
        if missing not in MISSING_POLICIES:
            raise fail("missing", f"one of {list(MISSING_POLICIES)}", missing)
        self.missing = missing

    @property
    def column_names(self) -> list[str]:
        """The table columns the encoder reads, in order."""
        return [c.name for c in self.columns]

    @property
    def feature_names(self) -> list[str]:
        """The names of the network's inputs, in order."""
        return [name for c in self.columns for name in c.feature_names]

    @property
    def n_features(self) -> int:
        return sum(c.width for c in self.columns)

    @property
    def is_numeric(self) -> bool:
        """Whether every column is one numeric input (no categories, no indicators): a plain matrix."""
        return all(c.kind != CATEGORICAL and not c.indicator for c in self.columns)

    @classmethod
    def fit(cls, table: Table, options: TableOptions | None = None, reducer: Reducer | None = None) -> TableEncoder:
        """Learn the encoding of ``table``'s columns (``options.features``, default all, less ``options.drop``).

        Under ``missing="drop"`` the statistics come from the rows without a
        missing value. ``reducer`` combines them over processes (default: this one).
        """
        from .fitting import fit_columns, fit_encoder

        options = TableOptions() if options is None else options
        if not isinstance(options, TableOptions):
            raise fail("options", "a TableOptions", options)
        reducer = Reducer() if reducer is None else reducer
        with reducer.checking():
            names = list(table.columns) if options.features is None else list(options.features)
            table.require(names, "feature column")
            table.require(options.drop, "column to drop")
            names = [n for n in names if n not in options.drop]
            stray = [c for c in options.categorical if c not in names]
            if stray:
                raise fail("categorical", f"feature columns (among {names})", stray)
            if not names:
                raise ValueError(f"{table.source}: no columns left to encode")
        parsed: dict[str, Any] = {}
        kinds = fit_columns(table, names, options, reducer, parsed)
        with reducer.checking():
            rows, kept = table, None
            if options.missing == "drop":
                keep = np.ones(table.n_rows, dtype=bool)
                for name in names:
                    keep &= ~missing_mask(table, name)
                if not keep.all():
                    kept = np.flatnonzero(keep)
                    rows = table.take(kept)
        n_rows = int(reducer.sum(rows.n_rows))
        with reducer.checking():
            if n_rows == 0:
                raise ValueError(f"{table.source}: no rows left without a missing value")
        return fit_encoder(rows, kinds, options, reducer, n_rows, parsed, kept)

    def complete_rows(self, table: Table) -> np.ndarray:
        """A bool mask ``(n_rows,)``: the rows with a value in every column the encoder reads."""
        table.require(self.column_names, "column")
        keep = np.ones(table.n_rows, dtype=bool)
        for name in self.column_names:
            keep &= ~missing_mask(table, name)
        return keep

    def transform(self, table: Table, dtype: Any = np.float64) -> np.ndarray:
        """The network's inputs ``(n_rows, n_features)`` in ``dtype`` for every row of ``table``."""
        dtype = check_dtype(dtype)
        table.require(self.column_names, "column")
        out = np.empty((table.n_rows, self.n_features), dtype=dtype)
        start = 0
        for column in self.columns:
            column.transform(table, out[:, start : start + column.width])
            start += column.width
        return out

    def to_config(self) -> dict[str, Any]:
        return {"missing": self.missing, "columns": [c.to_config() for c in self.columns]}

    @classmethod
    def from_config(cls, config: Any, field: str = "preprocessing encoder") -> TableEncoder:
        """Rebuild from :meth:`to_config`; errors name the path (``field.columns[2].scale``)."""
        config = check_keys(config, field, ("missing", "columns"), "the encoder")
        missing = choice(config["missing"], f"{field}.missing", MISSING_POLICIES)
        columns = config["columns"]
        if not isinstance(columns, list) or not columns:
            raise fail(f"{field}.columns", "a non-empty list of columns", columns)
        encoders = [ColumnEncoder.from_config(c, f"{field}.columns[{k}]") for k, c in enumerate(columns)]
        seen: set[str] = set()
        for k, column in enumerate(encoders):
            if column.name in seen:
                raise fail(f"{field}.columns[{k}].name", "a column not encoded before (each column once)", column.name)
            seen.add(column.name)
        return cls(encoders, missing)

    def __repr__(self) -> str:
        kinds = Counter(c.kind for c in self.columns)
        return (
            f"TableEncoder({len(self.columns)} columns ({', '.join(f'{n} {k}' for k, n in kinds.items())}) "
            f"-> {self.n_features} inputs, missing={self.missing!r})"
        )


def column_values(table: Table, name: str, kind: str) -> np.ndarray | list[Any]:
    """Column ``name`` as float64 values, NaN where missing (numeric, boolean), or categories, None where missing."""
    table.require([name], "column")
    if kind == NUMERIC:
        return numeric_values(table, name)
    if kind == BOOLEAN:
        return boolean_values(table, name)
    return categorical_values(table, name)


def missing_mask(table: Table, name: str) -> np.ndarray:
    """Where column ``name`` is missing, ``(n_rows,)`` bool."""
    return missing_cells(table.cells[name])
