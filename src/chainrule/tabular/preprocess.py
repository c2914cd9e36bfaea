"""Preprocessing learned from a table and stored in the model file.

* Features: each used column is encoded by :class:`~chainrule.tabular.encoder.TableEncoder`
  (numbers and booleans imputed and standardised, categories one-hot,
  optional missing indicators), as :class:`~chainrule.tabular.TableOptions` say.
* The target is either **classification** (labels encoded one-hot, in sorted
  order, for a softmax output) or **regression** (standardised like a feature,
  and un-standardised on the way out). Rows without a target value are left
  out of training and evaluation (and counted).
* ``task="auto"`` decides: a target with any non-numeric value, or with whole
  numbers taking at most :data:`MAX_AUTO_CLASSES` distinct values, is
  classification; anything else is regression. Pass ``task`` to override.

Fitting goes through a :class:`~chainrule.tabular.reduce.Reducer`, so that
:func:`chainrule.distributed.fit_preprocessor` learns exactly this over the
shards of every MPI rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.activations import get_activation
from ..core.errors import Described, ValidationError, excerpt
from ..core.losses import get_loss
from ..core.spec import NetworkSpec
from ..core.validation import check_dtype, fail
from .encoder import TableEncoder, missing_mask
from .fields import check_keys, choice, finite_number, text
from .fitting import fit_columns, fit_encoder, mean_and_std
from .options import TableOptions
from .reader import Table, _to_number, table_from_columns
from .reduce import Reducer

__all__ = ["MAX_AUTO_CLASSES", "Preprocessor", "infer_task", "label_of", "label_sort_key", "select_columns"]

#: Whole-number targets with at most this many distinct values count as classes under task="auto".
MAX_AUTO_CLASSES = 20
TASKS = ("auto", "classification", "regression")
#: Version of the config written by :meth:`Preprocessor.to_config` (version 1: numeric columns only).
CONFIG_VERSION = 2
_CONFIG_ORDER = (
    "version",
    "target",
    "task",
    "classes",
    "target_mean",
    "target_scale",
    "columns",
    "features",
    "encoder",
    "options",
)
_CONFIG_ORDER_V1 = ("features", "target", "task", "mean", "scale", "classes", "target_mean", "target_scale")
_CONFIG_KEYS, _CONFIG_KEYS_V1 = set(_CONFIG_ORDER), set(_CONFIG_ORDER_V1)


def label_of(cell: Any) -> Any:
    """A JSON-ready label: numbers as int where whole, else float; text stripped."""
    if isinstance(cell, str):
        number = _to_number(cell)
        if number is None:
            return cell.strip()
        cell = number
    if isinstance(cell, (bool, np.bool_)):
        return bool(cell)
    if isinstance(cell, (int, np.integer)):
        return int(cell)
    if isinstance(cell, (float, np.floating)):
        return int(cell) if float(cell).is_integer() else float(cell)
    return str(cell)


def label_sort_key(label: Any) -> tuple[bool, Any, str]:
    """Sort key of class labels: numbers first (by value), then text."""
    return (isinstance(label, str), label if not isinstance(label, str) else 0, str(label))


def infer_task(labels: Sequence[Any]) -> str:
    """``"classification"`` or ``"regression"`` for a target's values (see the module docstring)."""
    values = [label_of(v) for v in labels]
    if any(isinstance(v, (str, bool)) for v in values):
        return "classification"
    if all(isinstance(v, int) for v in values) and len(set(values)) <= MAX_AUTO_CLASSES:
        return "classification"
    return "regression"


def select_columns(table: Table, target: str, options: TableOptions, task: str = "auto") -> list[str]:
    """The feature columns: ``options.features`` (default every column but the target) less ``options.drop``.

    Checks ``task``, the target and every named column.
    """
    if task not in TASKS:
        raise fail("task", f"one of {list(TASKS)}", task)
    table.require([target], "target column")
    if options.features is None:
        features = [c for c in table.columns if c != target]
    else:
        features = list(options.features)
        table.require(features, "feature column")
        if target in features:
            raise fail("features", f"columns other than the target {target!r}", features)
    table.require(options.drop, "column to drop")
    if target in options.drop:
        raise fail("drop", f"columns other than the target {target!r} (the column to predict)", list(options.drop))
    features = [c for c in features if c not in options.drop]
    stray = [c for c in options.categorical if c not in features]
    if stray:
        raise fail("categorical", f"feature columns (among {features})", stray)
    if not features:
        raise ValueError(f"{table.source}: no feature columns left besides the target {target!r}")
    return features


class Preprocessor:
    """A table's features encoded and its target encoded, fitted on a :class:`~chainrule.tabular.Table`.

    Attributes
    ----------
    encoder : TableEncoder
        The feature columns' encoding.
    target : str
        Target column.
    task : {"classification", "regression"}
    classes : list or None
        Class labels in output order (classification).
    target_mean, target_scale : float or None
        Regression target's standardisation.
    options : TableOptions or None
        The options the preprocessing was fitted with (for the record).
    """

    def __init__(
        self,
        encoder: TableEncoder,
        target: str,
        task: str,
        classes: Sequence[Any] | None = None,
        target_mean: float | None = None,
        target_scale: float | None = None,
        options: TableOptions | None = None,
    ) -> None:
        if not isinstance(encoder, TableEncoder):
            raise fail("encoder", "a TableEncoder", encoder)
        self.encoder = encoder
        self.target = str(target)
        if self.target in encoder.column_names:
            raise fail("target", "a column that is not also a feature", self.target)
        if task not in ("classification", "regression"):
            raise fail("task", "'classification' or 'regression'", task)
        self.task = task
        self.classes = None if classes is None else [label_of(c) for c in classes]
        if task == "classification" and (self.classes is None or len(self.classes) < 2):
            raise ValueError(f"target {self.target!r}: expected at least 2 classes, received: {excerpt(self.classes)}")
        self.target_mean = None if target_mean is None else float(target_mean)
        self.target_scale = None if target_scale is None else float(target_scale)
        if task == "regression" and not (
            self.target_scale is not None
            and self.target_scale > 0
            and self.target_mean is not None
            and np.isfinite(self.target_mean)
        ):
            raise ValueError("preprocessing: a regression target needs a finite target_mean and target_scale > 0")
        self.options = options

    @property
    def features(self) -> list[str]:
        """The names of the network's inputs, in order (``island=Biscoe``, ``bill_length_mm``, ...)."""
        return self.encoder.feature_names

    @property
    def columns(self) -> list[str]:
        """The table columns the features are computed from, in order."""
        return self.encoder.column_names

    # -- fitting ---------------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        table: Table,
        target: str,
        features: Sequence[str] | None = None,
        task: str = "auto",
        options: TableOptions | None = None,
        reducer: Reducer | None = None,
    ) -> Preprocessor:
        """Learn the preprocessing from ``table``.

        ``features`` (a shorthand for ``options.features``) defaults to every
        other column. ``reducer`` combines the statistics over processes (see
        :mod:`chainrule.tabular.reduce`); the default is this process alone.
        """
        options = TableOptions() if options is None else options
        if not isinstance(options, TableOptions):
            raise fail("options", "a TableOptions", options)
        if features is not None:
            options = TableOptions(**{**options.to_config(), "features": list(features)})
        reducer = Reducer() if reducer is None else reducer
        with reducer.checking():
            names = select_columns(table, target, options, task)
        parsed: dict[str, Any] = {}
        kinds = fit_columns(table, names, options, reducer, parsed)
        with reducer.checking():
            keep = ~missing_mask(table, target)
            if options.missing == "drop":
                for name in names:
                    keep &= ~missing_mask(table, name)
            kept = None if keep.all() else np.flatnonzero(keep)
            rows = table if kept is None else table.take(kept)
        n_rows = int(reducer.sum(rows.n_rows))
        with reducer.checking():
            if n_rows == 0:
                left_out = (
                    "with a target value"
                    if options.missing != "drop"
                    else "with a target value and no missing value in the feature columns"
                )
                raise ValueError(f"{table.source}: no training rows left: none {left_out}")
        encoder = fit_encoder(rows, kinds, options, reducer, n_rows, parsed, kept)
        with reducer.checking():
            labels = rows.raw(target)
        if task == "auto":
            task = _infer_task_over(labels, reducer)
        if task == "classification":
            distinct = {label_of(v) for v in _distinct(labels)}
            classes = sorted(set().union(*reducer.gather(distinct)), key=label_sort_key)
            with reducer.checking():
                if len(classes) < 2:
                    raise ValueError(
                        f"{table.source}: target column {target!r} has a single class {classes!r}; "
                        "classification needs at least 2"
                    )
            return cls(encoder, target, task, classes=classes, options=options)
        with reducer.checking():
            y = rows.numeric(target)
        y_mean, y_std = mean_and_std(y, n_rows, reducer, f"{table.source}: column {target!r}")
        return cls(encoder, target, task, target_mean=y_mean, target_scale=y_std if y_std > 0 else 1.0, options=options)

    # -- rows ------------------------------------------------------------------------------
    def labelled_rows(self, table: Table) -> tuple[Table, int]:
        """``(rows, n_left_out)``: the rows that have a target value (and, under ``missing="drop"``,
        a value in every feature column), for training and evaluation."""
        table.require([self.target], "target column")
        keep = ~missing_mask(table, self.target)
        if self.encoder.missing == "drop":
            keep &= self.encoder.complete_rows(table)
        left_out = int(table.n_rows - keep.sum())
        return (table if not left_out else table.take(np.flatnonzero(keep))), left_out

    def predictable_rows(self, table: Table) -> np.ndarray:
        """A bool mask ``(n_rows,)`` of the rows a prediction can be made for (all but, under
        ``missing="drop"``, those with a missing feature value)."""
        if self.encoder.missing == "drop":
            return self.encoder.complete_rows(table)
        table.require(self.columns, "column")
        return np.ones(table.n_rows, dtype=bool)

    # -- what the task guarantees (checked in __init__) -------------------------------------------
    def _class_labels(self) -> list[Any]:
        """The classes of a classification preprocessor."""
        assert self.classes is not None, "a classification Preprocessor has classes"
        return self.classes

    def _standardisation(self) -> tuple[float, float]:
        """``(target_mean, target_scale)`` of a regression preprocessor."""
        assert self.target_mean is not None and self.target_scale is not None, "a regression Preprocessor has them"
        return self.target_mean, self.target_scale

    # -- applying --------------------------------------------------------------------------
    @property
    def n_outputs(self) -> int:
        return len(self._class_labels()) if self.task == "classification" else 1

    def output_spec(self) -> tuple[str, str]:
        """``(output_activation, loss)`` that suit the task."""
        if self.task == "classification":
            return "softmax", "categorical_cross_entropy"
        return "identity", "squared_error"

    def features_of(self, table: Table, dtype: Any = np.float64) -> np.ndarray:
        """The network's inputs for every row of ``table``: ``(n_rows, n_features)`` in ``dtype``."""
        return self.encoder.transform(table, dtype)

    def transform(self, X: np.ndarray, dtype: Any = np.float64) -> np.ndarray:
        """The inputs for raw numeric columns ``X`` ``(n, n_columns)`` (an encoder of numeric columns only)."""
        if not self.encoder.is_numeric:
            raise fail("transform", "an encoder of numeric columns only (use features_of with a table)", self.encoder)
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.columns):
            raise fail("X", f"an array (n, {len(self.columns)}) of the columns {self.columns}", X)
        table = (
            table_from_columns({name: X[:, k] for k, name in enumerate(self.columns)}, "<array>")
            if X.shape[0]
            else None
        )
        if table is None:
            return np.empty((0, self.encoder.n_features), dtype=check_dtype(dtype))
        return self.features_of(table, dtype)

    def encode_target(self, table: Table) -> np.ndarray:
        """The target as network outputs ``(n_rows, n_outputs)``: one-hot, or standardised values."""
        if self.task == "regression":
            mean, scale = self._standardisation()
            return ((table.numeric(self.target) - mean) / scale)[:, None]
        classes = self._class_labels()
        index = {label: k for k, label in enumerate(classes)}
        Y = np.zeros((table.n_rows, len(classes)))
        for row, cell in enumerate(table.raw(self.target)):
            k = index.get(label_of(cell))
            if k is None:
                raise ValueError(
                    f"{table.source}: column {self.target!r}, {table.where(row)}: label {excerpt(cell)} "
                    f"was not seen in training; known classes: {excerpt(classes)}"
                )
            Y[row, k] = 1.0
        return Y

    def target_values(self, table: Table) -> list[Any] | np.ndarray:
        """The target column as labels (classification) or float64 values (regression)."""
        if self.task == "regression":
            return table.numeric(self.target)
        return [label_of(cell) for cell in table.raw(self.target)]

    def decode(self, outputs: np.ndarray) -> list[Any] | np.ndarray:
        """Network outputs ``(n, n_outputs)`` to labels (argmax) or regression values ``(n,)``."""
        if self.task == "regression":
            mean, scale = self._standardisation()
            return outputs[:, 0].astype(np.float64) * scale + mean
        classes = self._class_labels()
        return [classes[k] for k in np.argmax(outputs, axis=1)]

    # -- storage -------------------------------------------------------------------------------
    def to_config(self) -> dict[str, Any]:
        """JSON-ready; floats written as Python reprs round-trip exactly."""
        return {
            "version": CONFIG_VERSION,
            "target": self.target,
            "task": self.task,
            "classes": self.classes,
            "target_mean": self.target_mean,
            "target_scale": self.target_scale,
            "columns": self.columns,
            "features": self.features,
            "encoder": self.encoder.to_config(),
            "options": None if self.options is None else self.options.to_config(),
        }

    @classmethod
    def from_config(cls, config: Any, field: str = "preprocessing") -> Preprocessor:
        """Rebuild from :meth:`to_config` (or from a version-1 config: numeric columns only).

        Every key is checked (:mod:`chainrule.tabular.fields`): anything
        :meth:`to_config` could not have written raises :class:`ValidationError`
        whose ``field`` is the path (``"preprocessing.encoder.columns[2].scale"``,
        ``"preprocessing.classes[1]"``). Whether it fits a network is :meth:`check_fits`.
        """
        if isinstance(config, dict) and set(config) == _CONFIG_KEYS_V1:
            return cls._from_version_1(config, field)
        if isinstance(config, dict) and config and "version" not in config and set(config) <= _CONFIG_KEYS_V1:
            check_keys(config, field, _CONFIG_ORDER_V1, "a version-1 preprocessing config")
        config = check_keys(config, field, _CONFIG_ORDER, "a preprocessing config")
        version = config["version"]
        if isinstance(version, bool) or version != CONFIG_VERSION:
            raise fail(f"{field}.version", f"{CONFIG_VERSION} (or a version-1 config)", version)
        encoder = TableEncoder.from_config(config["encoder"], f"{field}.encoder")
        for key, derived in (("columns", encoder.column_names), ("features", encoder.feature_names)):
            if config[key] != derived:
                raise fail(f"{field}.{key}", f"{excerpt(derived)} (as the encoder says)", config[key])
        options = None
        if config["options"] is not None:
            options = TableOptions.from_config(config["options"], f"{field}.options")
        return cls._checked(encoder, config, field, options)

    @classmethod
    def _checked(
        cls, encoder: TableEncoder, config: dict[str, Any], field: str, options: TableOptions | None = None
    ) -> Preprocessor:
        """The target, task, classes and target scaling of a stored config, checked, with ``encoder``."""
        target = text(config["target"], f"{field}.target")
        if target in encoder.column_names:
            raise fail(f"{field}.target", "a column that is not also a feature", target)
        task = choice(config["task"], f"{field}.task", ("classification", "regression"))
        classes, mean, scale = config["classes"], config["target_mean"], config["target_scale"]
        if task == "classification":
            if not isinstance(classes, list) or len(classes) < 2:
                raise fail(f"{field}.classes", "a list of at least 2 class labels (classification)", classes)
            seen = set()
            for k, label in enumerate(classes):
                canonical = label_of(label) if isinstance(label, (str, int, float)) else None
                if (
                    canonical is None
                    or canonical != label
                    or type(canonical) is not type(label)
                    or (type(label), label) in seen
                ):
                    raise fail(
                        f"{field}.classes[{k}]",
                        "a label not listed before (a text, a whole number or a finite number)",
                        label,
                    )
                seen.add((type(label), label))
            for key, value in (("target_mean", mean), ("target_scale", scale)):
                if value is not None:
                    raise fail(f"{field}.{key}", "null (a classification target is not scaled)", value)
        else:
            if classes is not None:
                raise fail(f"{field}.classes", "null (a regression has no classes)", classes)
            mean = finite_number(mean, f"{field}.target_mean")
            scale = finite_number(scale, f"{field}.target_scale", positive=True)
        return cls(encoder, target, task, classes, mean, scale, options)

    @classmethod
    def _from_version_1(cls, config: dict[str, Any], field: str = "preprocessing") -> Preprocessor:
        from .encoder import ColumnEncoder

        features = config["features"]
        if (
            not isinstance(features, list)
            or not features
            or not all(isinstance(f, str) and f for f in features)
            or len(set(features)) != len(features)
        ):
            raise fail(f"{field}.features", "a non-empty list of distinct column names", features)
        columns = []
        for key in ("mean", "scale"):
            values = config[key]
            if not isinstance(values, list) or len(values) != len(features):
                raise fail(f"{field}.{key}", f"a list of {len(features)} numbers (one per feature)", values)
        for k, name in enumerate(features):
            mean = finite_number(config["mean"][k], f"{field}.mean[{k}]")
            scale = finite_number(config["scale"][k], f"{field}.scale[{k}]", positive=True)
            columns.append(ColumnEncoder(name, "numeric", mean=mean, scale=scale))
        return cls._checked(TableEncoder(columns, "error"), config, field)

    # -- fitting a network -------------------------------------------------------------------
    def check_fits(self, network: Any, field: str = "preprocessing") -> None:
        """Refuse a network (a :class:`~chainrule.Network` or its :class:`~chainrule.core.spec.NetworkSpec`)
        this preprocessing cannot feed or whose outputs it cannot read.

        Checks that the network has one input per feature; one output per class
        (classification) or a single output (regression); and, for a
        regression, whose targets are standardised (any real number), a loss
        that takes such targets (not a cross-entropy, which needs values in
        [0, 1]) and an output activation computed per output (a normalising one
        such as softmax would make the single output constant). Raises
        :class:`ValidationError` naming ``field.features``, ``field.classes`` or ``field.task``.
        """
        spec = network if isinstance(network, NetworkSpec) else network.spec()
        n_inputs, n_outputs = spec.n_inputs, spec.n_outputs
        if self.encoder.n_features != n_inputs:
            raise fail(
                f"{field}.features",
                f"{n_inputs} features (one per input of the network)",
                Described(f"{self.encoder.n_features} features {excerpt(self.features)}"),
            )
        if self.task == "classification":
            classes = self._class_labels()
            if len(classes) != n_outputs:
                raise fail(
                    f"{field}.classes",
                    f"{n_outputs} classes (one per output of the network)",
                    Described(f"{len(classes)} classes {excerpt(classes)}"),
                )
            return
        if n_outputs != 1:
            raise fail(
                f"{field}.task",
                f"classification (a regression predicts one number; the network has {n_outputs} outputs)",
                self.task,
            )
        loss = get_loss(spec.loss)
        try:
            loss.check_targets(np.array([[-1.0]]))
        except ValidationError:
            raise fail(
                f"{field}.task",
                f"a task that loss {loss.name!r} suits (its targets are in [0, 1]; a "
                "regression's standardised targets are any number)",
                self.task,
            ) from None
        activation = get_activation(spec.layers[-1].activation)
        if not activation.elementwise:
            raise fail(
                f"{field}.task",
                f"classification, or an output activation computed per output (a "
                f"regression's single output through {activation.name!r} is constant)",
                self.task,
            )

    def __repr__(self) -> str:
        extra = f"classes={self.classes}" if self.task == "classification" else "standardised target"
        return (
            f"Preprocessor(columns={self.columns}, {self.encoder.n_features} inputs, target={self.target!r}, "
            f"task={self.task!r}, {extra})"
        )


def _infer_task_over(labels: list[Any], reducer: Reducer) -> str:
    """:func:`infer_task` over every process's labels."""
    distinct = {label_of(v) for v in _distinct(labels)}
    text = any(isinstance(v, (str, bool)) for v in distinct)
    whole = all(isinstance(v, int) for v in distinct)
    reports = reducer.gather((text, whole, distinct if len(distinct) <= MAX_AUTO_CLASSES else None))
    union: set[Any] = set()
    for _, _, values in reports:
        union |= values if values is not None else set(range(MAX_AUTO_CLASSES + 1))
    if any(r[0] for r in reports) or (all(r[1] for r in reports) and len(union) <= MAX_AUTO_CLASSES):
        return "classification"
    return "regression"


def _distinct(cells: list[Any]) -> Any:
    """The distinct cells (so that label_of runs once per value), or all of them when some are unhashable."""
    try:
        return [cell for _, cell in {(type(c), c) for c in cells}]  # keyed by type too: True and 1 stay apart
    except TypeError:
        return cells
