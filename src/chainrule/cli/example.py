"""``chainrule example``: the tutorial's worked example, explained, then trained."""

from __future__ import annotations

import argparse
import json

import numpy as np

from .._checks import check_positive_int
from ..explain.naming import Naming
from ..explain.tutorial import (
    TUTORIAL_INPUT,
    TUTORIAL_LEARNING_RATE,
    TUTORIAL_MISPRINTS,
    TUTORIAL_TARGET,
    tutorial_network,
    worked_example,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "example",
        help="the tutorial's 2-2-2 worked example: forward, error, backward, update, repeat",
        description="Run the tutorial's worked example: one step with every quantity named, "
        "then repeat the update and report the error along the way.",
    )
    p.add_argument("--updates", type=int, default=10_000, help="how many updates to repeat (default 10000)")
    p.add_argument("--json", action="store_true", help="print one JSON object mapping names to values")
    p.add_argument("--precision", type=int, default=9, help="significant digits in the text output (default 9)")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    updates = check_positive_int(args.updates, "--updates", minimum=0)
    digits = check_positive_int(args.precision, "--precision")
    result = worked_example(updates, dtype=np.dtype(args.dtype))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(render_text(result, digits, args.dtype))
    return 0


def render_text(q: dict, digits: int, dtype: str = "float64") -> str:
    """The worked example as the tutorial tells it, with every number."""
    naming = Naming.of(tutorial_network())
    f = lambda v: f"{v:.{digits}g}"  # noqa: E731
    lines: list[str] = []
    add = lines.append
    add(f"The tutorial's worked example: a 2-2-2 sigmoid network, one sample, eta = {TUTORIAL_LEARNING_RATE} ({dtype})")
    add("")
    add(f"  inputs   i1 = {TUTORIAL_INPUT[0]}, i2 = {TUTORIAL_INPUT[1]}    targets  o1: {TUTORIAL_TARGET[0]}, o2: {TUTORIAL_TARGET[1]}")
    add("  weights  " + ", ".join(f"{p.name} = {naming.get(tutorial_network(), p.name)} ({p.source}->{p.targets[0]})" for p in naming.weights[:4]))
    add("           " + ", ".join(f"{p.name} = {naming.get(tutorial_network(), p.name)} ({p.source}->{p.targets[0]})" for p in naming.weights[4:]))
    add("  biases   b1 = 0.35 (shared by h1, h2), b2 = 0.6 (shared by o1, o2); not updated in this example")
    add("")
    add("1. Forward pass: net = weighted sum of the layer's inputs + bias, out = sigmoid(net) = 1 / (1 + exp(-net))")
    weights = {p.name: naming.get(tutorial_network(), p.name) for p in naming.weights}
    for layer, (sources, targets) in enumerate(zip(naming.neurons[:-1], naming.neurons[1:])):
        bias = f"b{layer + 1}"
        bias_value = 0.35 if layer == 0 else 0.6
        for j, t in enumerate(targets):
            ws = [naming.weight_between(layer, i, j).name for i in range(len(sources))]
            src_sym = [s if layer == 0 else f"out_{s}" for s in sources]
            src_val = [q[s] if layer == 0 else q[f"out_{s}"] for s in sources]
            symbolic = " + ".join(f"{w}*{s}" for w, s in zip(ws, src_sym)) + f" + {bias}"
            numeric = " + ".join(f"{f(weights[w])}*{f(v)}" for w, v in zip(ws, src_val)) + f" + {bias_value}"
            add(f"   net_{t} = {symbolic} = {numeric} = {f(q[f'net_{t}'])}")
            add(f"   out_{t} = sigmoid(net_{t}) = {f(q[f'out_{t}'])}")
    for name, (printed, correct) in TUTORIAL_MISPRINTS.items():
        add(f"   note: the tutorial prints {name} = {printed}, a transposition typo; the correct value is {correct}.")
    add("")
    add("2. Error: E_total = sum over outputs of 1/2 (target - out)^2")
    for o, t in zip(naming.outputs, TUTORIAL_TARGET):
        add(f"   E_{o} = 1/2 ({t} - {f(q[f'out_{o}'])})^2 = {f(q[f'E_{o}'])}")
    add(f"   E_total = E_o1 + E_o2 = {f(q['E_total'])}")
    add("")
    add("3. Backward pass, output layer: dE_total/dw = dE_total/dout * dout/dnet * dnet/dw")
    for j, o in enumerate(naming.outputs):
        add(f"   dE_total/dout_{o} = out_{o} - target_{o} = {f(q[f'dE_total/dout_{o}'])}")
        add(f"   dout_{o}/dnet_{o} = out_{o} (1 - out_{o}) = {f(q[f'dout_{o}/dnet_{o}'])}")
        add(f"   delta_{o} = dE_total/dout_{o} * dout_{o}/dnet_{o} = {f(q[f'delta_{o}'])}")
        for i, h in enumerate(naming.neurons[1]):
            w = naming.weight_between(1, i, j).name
            add(f"   dE_total/d{w} = delta_{o} * dnet_{o}/d{w} = delta_{o} * out_{h} = {f(q[f'dE_total/d{w}'])}")
    add("")
    add("4. Backward pass, hidden layer: out_h feeds both outputs, so both paths are summed")
    add("   (with the ORIGINAL w5..w8, not the updated ones)")
    for i, h in enumerate(naming.neurons[1]):
        paths = []
        for j, o in enumerate(naming.outputs):
            w = naming.weight_between(1, i, j).name
            add(f"   dE_{o}/dout_{h} = delta_{o} * {w} = {f(q[f'dE_{o}/dout_{h}'])}")
            paths.append(f"dE_{o}/dout_{h}")
        add(f"   dE_total/dout_{h} = {' + '.join(paths)} = {f(q[f'dE_total/dout_{h}'])}")
        add(f"   dout_{h}/dnet_{h} = out_{h} (1 - out_{h}) = {f(q[f'dout_{h}/dnet_{h}'])}")
        add(f"   delta_{h} = dE_total/dout_{h} * dout_{h}/dnet_{h} = {f(q[f'delta_{h}'])}")
        for k, inp in enumerate(naming.inputs):
            w = naming.weight_between(0, k, i).name
            add(f"   dE_total/d{w} = delta_{h} * dnet_{h}/d{w} = delta_{h} * {inp} = {f(q[f'dE_total/d{w}'])}")
    add("")
    add(f"5. Update: w+ = w - eta * dE_total/dw, eta = {TUTORIAL_LEARNING_RATE}")
    for p in naming.weights:
        add(f"   {p.name}+ = {weights[p.name]} - {TUTORIAL_LEARNING_RATE} * {f(q[f'dE_total/d{p.name}'])} = {f(q[f'{p.name}+'])}")
    add("")
    rep = q["repeated"]
    add(f"6. Repeating the update {rep['updates']} times (same sample, biases fixed)")
    add(f"   before any update: E_total = {f(q['E_total'])}")
    for h in rep["history"]:
        add(f"   after {h['updates']:>6} updates: E_total = {h['E_total']:.6e}, out_o1 = {h['out_o1']:.6f}, out_o2 = {h['out_o2']:.6f}")
    add(f"   the outputs approach the targets {TUTORIAL_TARGET[0]} and {TUTORIAL_TARGET[1]}.")
    return "\n".join(lines)
