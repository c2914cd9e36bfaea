"""``chainrule export MODEL --onnx OUT``: the model, preprocessing included, as an ONNX graph."""

from __future__ import annotations

import argparse

import numpy as np

from ..core.spec import DTYPES
from ..export import export_onnx
from ._common import Subcommands, friendly_import_errors, load_for_use


def register(subparsers: Subcommands) -> None:
    p = subparsers.add_parser(
        "export",
        help="export a model file to ONNX",
        description="Write the model as an ONNX graph taking the raw feature columns (input 'input', "
        "shape (n, n_features)): standardisation, layers and, for classification, 'probabilities' and "
        "'label' outputs; for regression a 'prediction' output in the target's units.",
    )
    p.add_argument("model", help="model file")
    p.add_argument("--onnx", required=True, metavar="OUT", help="ONNX file to write")
    p.add_argument("--dtype", choices=DTYPES, default="float32",
                   help="tensor type of the graph (default float32)")
    p.set_defaults(handler=friendly_import_errors(run))


def run(args: argparse.Namespace) -> int:
    network, pre, _ = load_for_use(args.model)
    out = export_onnx(args.onnx, network, pre, dtype=np.dtype(args.dtype))
    print(f"wrote {out} (input: {network.n_inputs} features; "
          f"{'outputs: probabilities, label' if pre and pre.task == 'classification' else 'output: ' + ('prediction' if pre else 'output')})")
    return 0
