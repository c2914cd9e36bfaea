"""``chainrule predict MODEL DATA``: predictions for every row of a CSV or Parquet file, as CSV.

The model file's preprocessing encodes the rows (imputing missing values
where it was trained to); under ``--drop-missing`` training, a row with a
missing value gets empty cells instead of a prediction, so that output row
``k`` always belongs to input row ``k``.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from ..io.atomic import atomic_write_bytes
from ._common import (
    Subcommands,
    add_data_options,
    check_output,
    csv_text,
    friendly_import_errors,
    load_for_use,
    read_data,
    require_preprocessing,
)


def register(subparsers: Subcommands) -> None:
    p = subparsers.add_parser(
        "predict",
        help="predict the target of every row of a data file (CSV out)",
        description="Apply a model written by `chainrule train` to a CSV or Parquet file with the same "
        "feature columns (the target column may be absent) and write one CSV row per input row.",
    )
    p.add_argument("model", help="model file written by `chainrule train`")
    p.add_argument("data", help="data file (.csv, or .parquet/.pq)")
    add_data_options(p)
    p.add_argument("-o", "--output", help="CSV file to write (default: standard output)")
    p.add_argument("--probabilities", action="store_true", help="add one probability column per class")
    p.set_defaults(handler=friendly_import_errors(run))


def run(args: argparse.Namespace) -> int:
    if args.output:
        check_output(args.output, "-o")
    network, pre, _ = load_for_use(args.model)
    pre = require_preprocessing(pre, args.model)
    table = read_data(args)
    if args.probabilities and pre.task != "classification":
        raise ValueError("--probabilities: expected a classification model, received: a regression model")
    usable = pre.predictable_rows(table)
    rows = table if usable.all() else table.take(np.flatnonzero(usable))
    outputs = network.predict(pre.features_of(rows, network.dtype))
    predictions = pre.decode(outputs)
    header = [f"{pre.target}_predicted"]
    columns = [list(predictions)]
    if args.probabilities:
        header += [f"probability_{label}" for label in pre.classes or ()]  # a classifier's (checked above)
        columns += [outputs[:, k].tolist() for k in range(outputs.shape[1])]
    predicted = iter(zip(*columns))
    lines = [list(next(predicted)) if ok else [""] * len(header) for ok in usable.tolist()]
    text = csv_text(header, lines)
    if args.output:
        atomic_write_bytes(args.output, text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    return 0
