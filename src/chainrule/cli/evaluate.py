"""``chainrule evaluate MODEL DATA``: a model's loss and metrics on a labelled data file."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.json_numbers import dumps
from ._common import (
    Subcommands,
    add_data_options,
    check_output,
    friendly_import_errors,
    load_for_use,
    read_data,
    require_extra,
    require_preprocessing,
)

if TYPE_CHECKING:
    from ..core.network import Network
    from ..tabular import Preprocessor, Table


def register(subparsers: Subcommands) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="loss and metrics of a model on a labelled data file",
        description="Score a model written by `chainrule train` on a CSV or Parquet file that has the "
        "target column: loss and accuracy (classification) or MSE, MAE and R^2 in the target's units "
        "(regression).",
    )
    p.add_argument("model", help="model file written by `chainrule train`")
    p.add_argument("data", help="labelled data file (.csv, or .parquet/.pq)")
    add_data_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--plot",
        metavar="PNG",
        help="confusion matrix (classification) or predicted against true (regression) as a PNG",
    )
    p.set_defaults(handler=friendly_import_errors(run))


def metrics_for(network: Network, pre: Preprocessor, table: Table) -> tuple[dict[str, float], list[Any], list[Any]]:
    """``(metrics, true values, predicted values)`` of ``network`` on the labelled rows of ``table``.

    Rows without a target value (and, for a model trained with ``--drop-missing``,
    rows with a missing value) are left out and counted as ``n_left_out``.
    """
    table, left_out = pre.labelled_rows(table)
    if table.n_rows == 0:
        raise ValueError(f"{table.source}: no row has a value in the target column {pre.target!r}")
    X = pre.features_of(table, network.dtype)
    Y = pre.encode_target(table).astype(network.dtype)
    names = ["accuracy"] if pre.task == "classification" else []
    result: dict[str, float] = {"n_samples": table.n_rows}
    if left_out:
        result["n_left_out"] = left_out
    result.update(network.evaluate(X, Y, names))
    truth = pre.target_values(table)
    predicted = pre.decode(network.predict(X))
    if pre.task == "regression":
        values = np.asarray(truth)  # regression targets: float64 already
        error = np.asarray(predicted) - values
        total = float(((values - values.mean()) ** 2).sum())
        result["mse"] = float(np.mean(error**2))
        result["mae"] = float(np.mean(np.abs(error)))
        result["r2"] = 1.0 - float((error**2).sum()) / total if total > 0 else float(np.all(error == 0))
    return result, list(truth), list(predicted)


def run(args: argparse.Namespace) -> int:
    if args.plot:
        require_extra("matplotlib")
        check_output(args.plot, "--plot")
    network, pre, _ = load_for_use(args.model)
    pre = require_preprocessing(pre, args.model)
    table = read_data(args)
    result, truth, predicted = metrics_for(network, pre, table)
    if args.json:
        print(dumps(result, indent=2))
    else:
        width = max(len(k) for k in result)
        for key, value in result.items():
            print(f"{key:<{width}}  {value:.6g}" if isinstance(value, float) else f"{key:<{width}}  {value}")
    if args.plot:
        _plot(args.plot, pre, truth, predicted)
    return 0


def _plot(path: str, pre: Preprocessor, truth: list[Any], predicted: list[Any]) -> None:
    from ..plots import new_figure, plot_confusion_matrix, save_png

    if pre.task == "classification":
        plot_confusion_matrix(truth, predicted, path, labels=pre.classes)
        return
    fig = new_figure()
    ax = fig.add_subplot()
    ax.scatter(truth, predicted, s=12)
    lo, hi = min(min(truth), min(predicted)), max(max(truth), max(predicted))
    ax.plot([lo, hi], [lo, hi], color="grey", linewidth=1, label="perfect prediction")
    ax.set_xlabel(f"true {pre.target}")
    ax.set_ylabel(f"predicted {pre.target}")
    ax.legend()
    fig.tight_layout()
    save_png(fig, path)
