"""``chainrule export MODEL --onnx OUT``: the model, preprocessing included, as an ONNX graph."""

from __future__ import annotations

import argparse

import numpy as np

from ..core.spec import DTYPES
from ..export import export_onnx
from ._common import Subcommands, check_output, friendly_import_errors, load_for_use, require_extra


def register(subparsers: Subcommands) -> None:
    p = subparsers.add_parser(
        "export",
        help="export a model file to ONNX",
        description="Write the model as an ONNX graph that takes the table's columns as they are (one input "
        "per column, shape (n, 1): numbers as floats with NaN for missing, text as strings with '' for missing) "
        "and does the imputation, standardisation and one-hot encoding inside, then the layers and, for "
        "classification, 'probabilities' and 'label' outputs; for regression a 'prediction' output in the "
        "target's units. Names, feature order, classes and the chainrule version are in its metadata.",
    )
    p.add_argument("model", help="model file")
    p.add_argument("--onnx", required=True, metavar="OUT", help="ONNX file to write")
    p.add_argument("--dtype", choices=DTYPES, default="float32", help="tensor type of the graph (default float32)")
    p.add_argument(
        "--inputs",
        choices=["columns", "matrix"],
        default="columns",
        help="one input per column (default), or one float matrix 'input' (n, n_columns) for a model "
        "whose columns are all numeric",
    )
    p.set_defaults(handler=friendly_import_errors(run))


def run(args: argparse.Namespace) -> int:
    require_extra("onnx")
    check_output(args.onnx, "--onnx")
    network, pre, _ = load_for_use(args.model)
    out = export_onnx(args.onnx, network, pre, dtype=np.dtype(args.dtype), inputs=args.inputs)
    if pre is None or args.inputs == "matrix":
        inputs = f"input: {len(pre.columns) if pre else network.n_inputs} columns"
    else:
        inputs = f"inputs: {', '.join(pre.columns)}"
    outputs = (
        "outputs: probabilities, label"
        if pre and pre.task == "classification"
        else "output: " + ("prediction" if pre else "output")
    )
    print(f"wrote {out} ({inputs}; {outputs})")
    return 0
