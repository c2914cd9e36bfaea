"""``chainrule gradcheck``: backpropagation against finite differences for a described network."""

from __future__ import annotations

import argparse
import math
from dataclasses import asdict

import numpy as np

from ..core.activations import ACTIVATIONS
from ..core.gradcheck import check_gradcheck_size, check_gradients, format_gradcheck
from ..core.initializers import make_rng
from ..core.json_numbers import dumps
from ..core.losses import ALIASES, LOSSES
from ..core.network import Network
from ..core.spec import BIAS_MODES
from ..core.validation import check_layer_sizes, check_positive_float, check_positive_int, count_parameters
from ._common import Subcommands


def register(subparsers: Subcommands) -> None:
    p = subparsers.add_parser(
        "gradcheck",
        help="check backpropagated gradients against central finite differences",
        description="Build a network from its description, draw random data, and compare every "
        "backpropagated gradient with a fourth-order central finite difference.",
    )
    p.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[3, 5, 4, 2],
        metavar="N",
        help="layer sizes, inputs first (default: 3 5 4 2, a 3-layer network)",
    )
    p.add_argument(
        "--activation", default="tanh", help=f"hidden activation, one of {sorted(ACTIVATIONS)} (default tanh)"
    )
    p.add_argument(
        "--output-activation",
        default=None,
        help="output activation (default: as --activation, "
        "softmax for categorical_cross_entropy, sigmoid for binary_cross_entropy)",
    )
    p.add_argument("--loss", default="squared_error", help=f"one of {sorted(LOSSES) + sorted(ALIASES)}")
    p.add_argument("--bias", choices=BIAS_MODES, default="per_neuron")
    p.add_argument("--samples", type=int, default=8, help="random samples (default 8)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tolerance", type=float, default=1e-6, help="largest relative error that passes (default 1e-6)")
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..core.losses import get_loss

    tolerance = check_positive_float(args.tolerance, "--tolerance")
    samples = check_positive_int(args.samples, "--samples")
    sizes = check_layer_sizes(args.sizes, "--sizes")
    # The finite differences' cost, bounded before the network is even built.
    check_gradcheck_size(
        samples,
        count_parameters(sizes, args.bias == "per_neuron"),
        what="--sizes and --samples",
        hint="use smaller --sizes or fewer --samples",
    )
    loss = get_loss(args.loss)
    output = args.output_activation or (loss.requires_activation or args.activation)
    network = Network.from_sizes(
        sizes, args.activation, output_activation=output, loss=loss, bias=args.bias, seed=args.seed
    )
    rng = make_rng(args.seed + 1)
    X = rng.normal(size=(samples, network.n_inputs))
    if loss.requires_activation == "softmax":
        Y = np.eye(network.n_outputs)[rng.integers(0, network.n_outputs, samples)]
    elif loss.requires_activation == "sigmoid":
        Y = rng.integers(0, 2, size=(samples, network.n_outputs)).astype(float)
    else:
        Y = rng.uniform(0.05, 0.95, size=(samples, network.n_outputs))
    rows = check_gradients(network, X, Y)
    errors = [r.max_rel_error for r in rows]
    worst = math.nan if any(math.isnan(e) for e in errors) else max(errors)
    passed = bool(worst < tolerance)  # a NaN error (a non-finite loss) fails
    if args.json:
        print(
            dumps(
                {
                    "network": repr(network),
                    "rows": [asdict(r) for r in rows],
                    "max_rel_error": worst,
                    "tolerance": tolerance,
                    "passed": passed,
                },
                indent=2,
            )
        )
    else:
        print(network)
        print(format_gradcheck(rows))
        print(f"largest relative error {worst:.3e}: {'PASS' if passed else 'FAIL'} (tolerance {tolerance:g})")
    return 0 if passed else 1
