"""``chainrule train``'s options for mixed tables: columns, missing values, categories.

They build a :class:`chainrule.tabular.TableOptions` (see it for what each
choice means); the preprocessing learned with them is stored in the model
file, so ``predict``, ``evaluate`` and ``export`` need none of them again.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..core.validation import Described, ValidationError, fail
from ..tabular.options import CATEGORICAL_IMPUTATIONS, NUMERIC_IMPUTATIONS, UNKNOWN_POLICIES, TableOptions

__all__ = ["TABLE_OPTION_NAMES", "add_table_options", "given_table_options", "table_options"]

#: The argparse destinations of these options (to tell when a resumed run was given some).
TABLE_OPTION_NAMES = (
    "drop",
    "categorical",
    "impute",
    "impute_categorical",
    "fill_value",
    "fill_category",
    "missing_indicator",
    "drop_missing",
    "unknown_categories",
    "max_categories",
    "standardize",
)

_FLAGS = {"unknown": "--unknown-categories", "missing": "--impute/--drop-missing"}
_FLAGS.update(
    {
        name: f"--{name.replace('_', '-')}"
        for name in (
            "features",
            "drop",
            "categorical",
            "impute",
            "impute_categorical",
            "fill_value",
            "fill_category",
            "max_categories",
        )
    }
)


def add_table_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "columns and missing values",
        "Numeric, boolean and text columns are used as they are (text one-hot encoded); dates and free text "
        "are refused by name. A missing value is refused unless --impute or --drop-missing says what to do.",
    )
    group.add_argument("--drop", nargs="+", metavar="COLUMN", default=[], help="columns to leave out")
    group.add_argument(
        "--categorical",
        nargs="+",
        metavar="COLUMN",
        default=[],
        help="encode these columns as categories even though their values are numbers",
    )
    missing = group.add_mutually_exclusive_group()
    missing.add_argument(
        "--impute",
        choices=NUMERIC_IMPUTATIONS,
        metavar="STRATEGY",
        help="impute missing values: " + ", ".join(NUMERIC_IMPUTATIONS) + " (numbers; categories "
        "get the most frequent one, or --fill-category with 'constant')",
    )
    missing.add_argument(
        "--drop-missing",
        action="store_true",
        help="leave out rows with a missing value (predict writes an empty prediction for them)",
    )
    group.add_argument(
        "--impute-categorical",
        choices=CATEGORICAL_IMPUTATIONS,
        metavar="STRATEGY",
        help="imputation of categorical columns: most_frequent or constant",
    )
    group.add_argument(
        "--fill-value", type=float, default=0.0, metavar="NUMBER", help="the number that 'constant' imputes (default 0)"
    )
    group.add_argument(
        "--fill-category",
        default="missing_value",
        metavar="TEXT",
        help="the category that 'constant' imputes (default missing_value)",
    )
    group.add_argument(
        "--missing-indicator",
        action="store_true",
        help="add a 0/1 input per column that had missing values, 1 where one was imputed",
    )
    group.add_argument(
        "--unknown-categories",
        choices=UNKNOWN_POLICIES,
        default="error",
        help="a category not seen in training: refuse it (default) or encode it as zeros",
    )
    group.add_argument(
        "--max-categories",
        type=int,
        default=50,
        metavar="N",
        help="text columns with more distinct values are refused as free text (default 50)",
    )
    group.add_argument(
        "--standardize",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="standardise numeric inputs (default: yes)",
    )


def table_options(args: argparse.Namespace) -> TableOptions:
    """The :class:`TableOptions` that the command line's options say."""
    if args.impute is None:
        imputing_only = [
            flag
            for flag, given in (
                ("--impute-categorical", args.impute_categorical is not None),
                ("--missing-indicator", args.missing_indicator),
                ("--fill-value", args.fill_value != 0.0),
                ("--fill-category", args.fill_category != "missing_value"),
            )
            if given
        ]
        if imputing_only:
            raise fail(
                imputing_only[0],
                "--impute STRATEGY as well (it only concerns imputed values)",
                Described("no --impute"),
            )
    if args.impute is not None:
        missing = "impute"
    elif args.drop_missing:
        missing = "drop"
    else:
        missing = "error"
    try:
        return TableOptions(
            features=args.features,
            drop=args.drop,
            categorical=args.categorical,
            missing=missing,
            impute=args.impute or "mean",
            impute_categorical=args.impute_categorical,
            fill_value=args.fill_value,
            fill_category=args.fill_category,
            missing_indicator=args.missing_indicator,
            unknown=args.unknown_categories,
            max_categories=args.max_categories,
            standardize=args.standardize,
        )
    except ValidationError as err:  # name the option as the user typed it
        flag = _FLAGS.get(err.field.split("[")[0], err.field)
        raise fail(flag, err.expected, Described(err.received)) from None


def given_table_options(args: argparse.Namespace, parser_defaults: dict[str, Any]) -> list[str]:
    """The table options given on the command line (those that differ from their defaults)."""
    return [
        f"--{name.replace('_', '-')}"
        for name in TABLE_OPTION_NAMES
        if getattr(args, name, None) != parser_defaults.get(name)
    ]
