"""Learning a :class:`~chainrule.tabular.encoder.TableEncoder` from the training rows.

Two steps, both through a :class:`~chainrule.tabular.reduce.Reducer` so that
every MPI rank learns the same from its shard:

* :func:`fit_columns` decides each column's kind from every process's cells,
  and refuses the unusable columns together (:func:`refusal_message`);
* :func:`fit_encoder` learns each column's imputed value (mean, median, most
  frequent, constant), standardisation (after imputation, over the training
  rows) and categories (sorted; after imputation, as an imputer followed by
  a one-hot encoder would see them), as scikit-learn's SimpleImputer,
  StandardScaler and OneHotEncoder do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from .columns import CATEGORICAL, NUMERIC, column_evidence, decide_kind, missing_message
from .encoder import ColumnEncoder, TableEncoder, column_values
from .options import TableOptions
from .reader import Table
from .reduce import Reducer, merge_counts

__all__ = ["fit_columns", "fit_encoder", "mean_and_std", "refusal_message"]

#: Processes send their value counts for ``most_frequent`` only up to this many distinct values each.
_MAX_COUNTS = 1_000_000


def refusal_message(source: str, refused: list[tuple[str, str]], chosen: bool) -> str:
    """One message for every column that cannot be used, with how to leave them out."""
    import shlex

    names = [name for name, _ in refused]
    reasons = "; ".join(f"{name!r}: {reason}" for name, reason in refused)
    plural = len(refused) > 1
    where = (
        "remove them from --features / TableOptions(features=...)"
        if chosen
        else f"leave {'them' if plural else 'it'} out with --drop {' '.join(shlex.quote(n) for n in names)} "
        f"(TableOptions(drop={names!r}))"
    )
    return f"{source}: cannot use column{'s' if plural else ''} {reasons}; {where}"


def fit_columns(
    table: Table, names: Sequence[str], options: TableOptions, reducer: Reducer, parsed: dict[str, Any] | None = None
) -> list[tuple[str, str]]:
    """The kind of each column in ``names`` over every process: ``[(name, kind)]``.

    Raises ValueError naming every column that cannot be used (with the
    reasons), or the first bad cell of a numeric column. ``parsed`` receives
    the values of the columns whose cells were parsed as numbers on the way.
    """
    with reducer.checking():
        evidence = [column_evidence(table, name, options.max_categories, parsed) for name in names]
    everyone = reducer.gather(evidence)
    kinds, refused = [], []
    with reducer.checking():  # every process decides the same from the same evidence
        for k, name in enumerate(names):
            try:
                kind, reason = decide_kind(
                    [part[k] for part in everyone], name in options.categorical, options.max_categories
                )
            except ValueError as err:
                raise ValueError(f"{table.source}: {err}") from None
            if kind is None:
                refused.append((name, reason))
            else:
                kinds.append((name, kind))
        if refused:
            raise ValueError(refusal_message(table.source, refused, options.features is not None))
    return kinds


def fit_encoder(
    table: Table,
    kinds: list[tuple[str, str]],
    options: TableOptions,
    reducer: Reducer,
    n_rows: int,
    parsed: dict[str, Any] | None = None,
    kept: np.ndarray | None = None,
) -> TableEncoder:
    """Learn each column's imputation, standardisation and categories from ``table``'s rows.

    ``table`` holds this process's training rows (rows with missing values
    already left out under ``missing="drop"``); ``n_rows`` counts them over
    every process. ``parsed`` holds numeric values :func:`fit_columns` already
    parsed, for the rows ``kept`` (indices into them; None: all) that
    ``table`` holds. Collective under MPI: every process calls it alike.
    """
    impute = options.missing == "impute"
    parsed = parsed or {}
    with reducer.checking():
        values = []
        for name, kind in kinds:
            if kind == NUMERIC and name in parsed:
                column = parsed[name] if kept is None else parsed[name][kept]
            else:
                column = column_values(table, name, kind)
            if options.missing == "error":
                missing = np.isnan(column) if kind != CATEGORICAL else np.array([v is None for v in column], bool)
                if missing.any():
                    raise ValueError(missing_message(table, name, int(np.argmax(missing))))
            values.append(column)
    columns = []
    for (name, kind), column in zip(kinds, values):
        if kind == CATEGORICAL:
            columns.append(_fit_categorical(table, name, column, options, reducer, impute))
        else:
            columns.append(_fit_numeric(table, name, kind, column, options, reducer, impute, n_rows))
    return TableEncoder(columns, options.missing)


def _fit_numeric(
    table: Table,
    name: str,
    kind: str,
    values: np.ndarray,
    options: TableOptions,
    reducer: Reducer,
    impute: bool,
    n_rows: int,
) -> ColumnEncoder:
    missing = np.isnan(values)
    observed = values[~missing]
    n_missing = int(reducer.sum(int(missing.sum())))
    n_observed = n_rows - n_missing
    with reducer.checking():
        if n_observed == 0:
            raise ValueError(f"{table.source}: column {name!r} has no value in the training rows")
    fill = None
    if impute:
        strategy = options.impute
        if strategy == "mean":
            fill = mean_and_std(observed, n_observed, reducer, f"{table.source}: column {name!r}")[0]
        elif strategy == "median":
            fill = reducer.median(observed)
        elif strategy == "most_frequent":
            fill = float(_most_frequent(observed.tolist(), reducer, f"{table.source}: column {name!r}"))
        else:
            fill = options.fill_value
    x = np.where(missing, fill, values) if (impute and n_missing and fill is not None) else values  # fill: set
    mean, scale = 0.0, 1.0
    if options.standardize:
        mean, scale = mean_and_std(x, n_rows, reducer, f"{table.source}: column {name!r}")
        if not scale > np.finfo(np.float64).eps * max(1.0, abs(mean)):
            scale = 1.0  # a constant column: maps to 0
    indicator = impute and options.missing_indicator and n_missing > 0
    return ColumnEncoder(name, kind, fill=fill, indicator=indicator, mean=mean, scale=scale)


def mean_and_std(x: np.ndarray, n: int, reducer: Reducer, what: str) -> tuple[float, float]:
    """The mean and (population) standard deviation of every process's values ``x`` (``n`` of them).

    Without overflow for values up to float64's largest: when the plain sums
    overflow, the values are scaled by a power of two first (exact). Values
    that cannot be standardised in float64 at all (say +-1.7e308, whose
    distances from the mean overflow) are refused, naming ``what``.
    Collective under MPI.
    """
    peak = max(reducer.gather(float(np.max(np.abs(x))) if x.size else 0.0))
    with np.errstate(over="ignore", invalid="ignore"):
        exponent = 0
        if not np.isfinite(float(reducer.sum(float(np.sum(x))))) or peak * peak > np.finfo(np.float64).max / max(n, 1):
            exponent = int(np.frexp(peak)[1])  # sums and squares of the scaled values stay in range
        scaled = np.ldexp(x, -exponent) if exponent else x
        mean = float(reducer.sum(float(scaled.sum())) / n)
        std = float(np.sqrt(reducer.sum(float(((scaled - mean) ** 2).sum())) / n))
        mean, std = float(np.ldexp(mean, exponent)), float(np.ldexp(std, exponent))
    with reducer.checking():  # every process decides alike, from the same sums
        if not (np.isfinite(mean) and np.isfinite(std) and abs(mean) + peak <= np.finfo(np.float64).max):
            raise ValueError(
                f"{what}: its values (up to {peak:.6g} in magnitude) are too large to standardise in "
                "float64; rescale the column"
            )
    return mean, std


def _fit_categorical(
    table: Table, name: str, values: list[Any], options: TableOptions, reducer: Reducer, impute: bool
) -> ColumnEncoder:
    local = Counter(v for v in values if v is not None)
    n_missing = int(reducer.sum(len(values) - sum(local.values())))
    counts = merge_counts(reducer.gather(local))
    assert counts is not None
    with reducer.checking():
        if not counts and not (impute and options.categorical_imputation == "constant"):
            raise ValueError(f"{table.source}: column {name!r} has no value in the training rows")
    fill = None
    if impute:
        if options.categorical_imputation == "most_frequent":
            fill = _mode(counts)
        else:
            fill = options.fill_category
    categories = set(counts)
    if impute and n_missing:
        categories.add(fill)  # the imputed category is a training category, as in an imputer -> encoder pipeline
    indicator = impute and options.missing_indicator and n_missing > 0
    return ColumnEncoder(
        name, CATEGORICAL, fill=fill, indicator=indicator, categories=sorted(categories), unknown=options.unknown
    )


def _mode(counts: Counter[Any]) -> Any:
    """The most frequent value; among ties the smallest (scikit-learn's SimpleImputer rule)."""
    top = max(counts.values())
    return min(value for value, count in counts.items() if count == top)


def _most_frequent(values: list[Any], reducer: Reducer, what: str) -> Any:
    local = Counter(values)
    counts = merge_counts(reducer.gather(local if len(local) <= _MAX_COUNTS else None))
    with reducer.checking():  # every process sees the same counts: all raise, or none
        if counts is None:
            raise ValueError(
                f"{what}: too many distinct values to find the most frequent one over several "
                "processes; impute the mean, the median or a constant instead"
            )
    return _mode(counts)
