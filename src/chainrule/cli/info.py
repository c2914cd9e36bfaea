"""``chainrule info MODEL``: what a model file holds, after verifying it."""

from __future__ import annotations

import argparse
import json

from ..io import load_model
from ._common import Subcommands, friendly_import_errors


def register(subparsers: Subcommands) -> None:
    p = subparsers.add_parser(
        "info",
        help="describe a model file (architecture, preprocessing, training)",
        description="Verify a model file (checksum, format version, architecture) and describe it.",
    )
    p.add_argument("model", help="model file")
    p.add_argument("--json", action="store_true", help="print the verified metadata as JSON")
    p.set_defaults(handler=friendly_import_errors(run))


def describe(saved) -> dict:
    net = saved.network
    info = {
        "format_version": saved.format_version,
        "sizes": net.sizes,
        "activations": [layer.activation.name for layer in net.layers],
        "loss": net.loss_function.config(),
        "dtype": net.dtype.name,
        "parameters": net.n_parameters(),
        "preprocessing": saved.preprocessing,
        "training": saved.training,
    }
    if saved.state:
        info["checkpoint_epoch"] = saved.state.get("epoch")
    return info


def run(args: argparse.Namespace) -> int:
    saved = load_model(args.model)
    info = describe(saved)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    lines = [
        f"model file     {args.model} (format version {info['format_version']}, checksum verified)",
        f"layers         {' -> '.join(map(str, info['sizes']))}",
        f"activations    {', '.join(info['activations'])}",
        f"loss           {info['loss']['name']}",
        f"dtype          {info['dtype']}",
        f"parameters     {info['parameters']}",
    ]
    pre = saved.preprocessing
    if pre:
        lines.append(f"task           {pre['task']} of {pre['target']!r}")
        lines.append(f"features       {', '.join(pre['features'])}")
        if pre["classes"] is not None:
            lines.append(f"classes        {', '.join(map(str, pre['classes']))}")
    training = saved.training or {}
    settings = training.get("settings")
    if settings:
        lines.append("settings       " + ", ".join(f"{k}={v}" for k, v in settings.items()))
    history = training.get("history") or {}
    if history.get("loss"):
        last = ", ".join(f"{k} {v[-1]:.6g}" for k, v in history.items() if isinstance(v, list) and v and k != "epoch")
        lines.append(f"epochs         {len(history['loss'])} (last: {last})")
    if training.get("stopped"):
        lines.append(f"stopped        {training['stopped']}")
    if "checkpoint_epoch" in info:
        lines.append(f"checkpoint     after epoch {info['checkpoint_epoch']}")
    print("\n".join(lines))
    return 0
