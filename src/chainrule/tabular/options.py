"""The user's choices for turning a table into network inputs: which columns, missing values, categories.

:class:`TableOptions` is what ``chainrule train``'s data options and the
estimators' ``table_options`` build. Every choice is checked when it is made,
and the whole is stored (as plain JSON) with the encoder it produced.
"""

from __future__ import annotations

import math
import numbers
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..core.errors import Described, ValidationError, excerpt
from ..core.validation import fail

__all__ = [
    "CATEGORICAL_IMPUTATIONS",
    "MISSING_POLICIES",
    "NUMERIC_IMPUTATIONS",
    "TableOptions",
    "UNKNOWN_POLICIES",
]

#: What to do with a missing value: refuse it (naming the cell), leave its row out, or impute it.
MISSING_POLICIES = ("error", "drop", "impute")
#: Imputation of numeric and boolean columns (as scikit-learn's SimpleImputer strategies).
NUMERIC_IMPUTATIONS = ("mean", "median", "most_frequent", "constant")
#: Imputation of categorical columns.
CATEGORICAL_IMPUTATIONS = ("most_frequent", "constant")
#: A category not seen in training: refuse it, or encode it as all zeros.
UNKNOWN_POLICIES = ("error", "ignore")


@dataclass(frozen=True)
class TableOptions:
    """How a table's columns become the network's inputs.

    Parameters
    ----------
    features : sequence of str or None
        The columns to use; None: every column but the target.
    drop : sequence of str
        Columns left out (of ``features``, or of all the columns).
    categorical : sequence of str
        Columns encoded as categories even though their values are numbers
        (codes such as a postcode or a class number).
    missing : {"error", "drop", "impute"}
        A missing value (empty cell, ``NA``, ``NaN``, ``null``, pandas' ``NA``)
        in a used column is refused naming its cell (default), leaves its row
        out (training and evaluation; ``predict`` writes an empty prediction),
        or is imputed with a value learned from the training rows.
    impute : {"mean", "median", "most_frequent", "constant"}
        The imputation of numeric and boolean columns (with ``missing="impute"``).
    impute_categorical : {"most_frequent", "constant"} or None
        The imputation of categorical columns; None: ``"constant"`` when
        ``impute="constant"``, else ``"most_frequent"``.
    fill_value : float
        The number that ``"constant"`` imputes (default 0).
    fill_category : str
        The category that ``"constant"`` imputes (default ``"missing_value"``, as
        scikit-learn); it becomes a category of its own when the training rows
        have missing values.
    missing_indicator : bool
        Add a 0/1 input per column that had missing values in training
        (1 where the value was missing), as scikit-learn's ``add_indicator``.
    unknown : {"error", "ignore"}
        A category that training never saw: refused naming its cell
        (default), or encoded as all zeros (scikit-learn's ``handle_unknown``).
    max_categories : int
        A text column with more distinct values than this is refused as free
        text (names, identifiers, comments), naming it.
    standardize : bool
        Standardise numeric and boolean inputs, ``(x - mean) / std`` over the
        training rows (after imputation); one-hot and indicator inputs stay 0/1.
    """

    features: Sequence[str] | None = None
    drop: Sequence[str] = ()
    categorical: Sequence[str] = ()
    missing: str = "error"
    impute: str = "mean"
    impute_categorical: str | None = None
    fill_value: float = 0.0
    fill_category: str = "missing_value"
    missing_indicator: bool = False
    unknown: str = "error"
    max_categories: int = 50
    standardize: bool = True

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise once, here
        if self.features is not None:
            set_(self, "features", _names(self.features, "features"))
        set_(self, "drop", _names(self.drop, "drop"))
        set_(self, "categorical", _names(self.categorical, "categorical"))
        _choice(self.missing, "missing", MISSING_POLICIES)
        _choice(self.impute, "impute", NUMERIC_IMPUTATIONS)
        if self.impute_categorical is not None:
            _choice(self.impute_categorical, "impute_categorical", CATEGORICAL_IMPUTATIONS)
        value = self.fill_value
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise fail("fill_value", "a finite number", value)
        set_(self, "fill_value", float(value))
        if not isinstance(self.fill_category, str) or not self.fill_category.strip():
            raise fail("fill_category", "a non-empty text", self.fill_category)
        set_(self, "fill_category", self.fill_category.strip())
        for name in ("missing_indicator", "standardize"):
            if not isinstance(getattr(self, name), bool):
                raise fail(name, "True or False", getattr(self, name))
        if self.missing != "impute":
            # Both only concern imputed values: asking for them otherwise is a mistake, not a no-op.
            if self.missing_indicator:
                raise fail(
                    "missing_indicator",
                    "missing='impute' as well (it marks imputed values)",
                    f"missing={self.missing!r}",
                )
            if self.impute_categorical is not None:
                raise fail("impute_categorical", "missing='impute' as well", f"missing={self.missing!r}")
        _choice(self.unknown, "unknown", UNKNOWN_POLICIES)
        limit = self.max_categories
        if isinstance(limit, bool) or not isinstance(limit, numbers.Integral) or limit < 2:
            raise fail("max_categories", "an integer >= 2", limit)
        set_(self, "max_categories", int(limit))

    @property
    def categorical_imputation(self) -> str:
        """The imputation of categorical columns, once ``impute_categorical``'s default is resolved."""
        if self.impute_categorical is not None:
            return self.impute_categorical
        return "constant" if self.impute == "constant" else "most_frequent"

    def to_config(self) -> dict[str, Any]:
        """JSON-ready (lists for the column names)."""
        config = asdict(self)
        for key in ("drop", "categorical"):
            config[key] = list(config[key])
        if config["features"] is not None:
            config["features"] = list(config["features"])
        return config

    @classmethod
    def from_config(cls, config: Any, field: str = "table options") -> TableOptions:
        """Rebuild from :meth:`to_config` (keys may be left out: their defaults); errors name ``field.<key>``."""
        known = list(cls.__dataclass_fields__)
        if not isinstance(config, dict):
            raise fail(field, f"an object with keys among {known}", config)
        for key in config:
            if key not in known:
                shown = key if isinstance(key, str) and len(key) <= 40 else excerpt(key)
                raise fail(f"{field}.{shown}", f"one of the keys {known}", Described("an unknown key"))
        try:
            return cls(**config)
        except ValidationError as err:  # the option's own check: ``err.field`` is the option (``features[1]``)
            raise fail(f"{field}.{err.field}", err.expected, Described(err.received)) from None


def _names(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        raise fail(what, "a list of column names", value)
    names = tuple(value)
    for k, name in enumerate(names):
        if not isinstance(name, str) or not name:
            raise fail(f"{what}[{k}]", "a column name", name)
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise fail(what, "each column once", duplicates)
    return names


def _choice(value: Any, what: str, choices: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in choices:
        raise fail(what, f"one of {list(choices)}", value)
