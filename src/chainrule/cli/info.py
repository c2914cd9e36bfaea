"""``chainrule info MODEL``: what a model file holds, after verifying it.

Besides the architecture: how each column is encoded, which epoch's weights
the file holds and that epoch's metrics, and the training history.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..core.json_numbers import dumps
from ..io import load_model
from ..tabular import Preprocessor
from ..training.history import display_order
from ._common import Subcommands, check_model_file, friendly_import_errors

#: The history table shows every epoch up to this many, else the first and last few and the kept epoch.
HISTORY_ROWS = 12


def register(subparsers: Subcommands) -> None:
    p = subparsers.add_parser(
        "info",
        help="describe a model file (architecture, preprocessing, training)",
        description="Verify a model file (checksum, format version, architecture) and describe it.",
    )
    p.add_argument("model", help="model file")
    p.add_argument("--json", action="store_true", help="print the verified metadata as JSON")
    p.set_defaults(handler=friendly_import_errors(run))


if TYPE_CHECKING:
    from ..io import SavedModel


def describe(saved: SavedModel) -> dict[str, Any]:
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
    weights = weights_of(saved.training or {})
    if weights is not None:
        info["weights"] = weights
    if saved.state:
        info["checkpoint_epoch"] = saved.state.get("epoch")
    return info


def weights_of(training: dict[str, Any]) -> dict[str, Any] | None:
    """Which epoch's weights a file holds, with that epoch's metrics (also for files older than the record)."""
    weights = training.get("weights")
    if isinstance(weights, dict):
        return weights
    history = training.get("history") or {}
    epochs = history.get("epoch") or []
    if not epochs:
        return None
    epoch, rule = epochs[-1], "the last epoch"
    if training.get("best_epoch") in epochs:
        epoch, rule = training["best_epoch"], "the best epoch"
    row = epochs.index(epoch)
    metrics = {k: v[row] for k, v in history.items() if k != "epoch" and isinstance(v, list) and len(v) == len(epochs)}
    return {"epoch": epoch, "rule": rule, "metrics": metrics}


def _columns_lines(pre: Preprocessor) -> list[str]:
    lines = []
    width = max(len(c.name) for c in pre.encoder.columns)
    for column in pre.encoder.columns:
        if column.kind == "categorical":
            shown = ", ".join(column.categories[:6]) + (", ..." if len(column.categories) > 6 else "")
            text = f"categorical, {len(column.categories)} categories ({shown}); unseen: {column.unknown}"
        else:
            text = column.kind
            if column.mean != 0.0 or column.scale != 1.0:
                text += f", standardised (mean {column.mean:.6g}, scale {column.scale:.6g})"
        if column.fill is not None:
            text += (
                f"; missing -> {column.fill!r}" if isinstance(column.fill, str) else f"; missing -> {column.fill:.6g}"
            )
        if column.indicator:
            text += " (+ indicator)"
        lines.append(f"  {column.name:<{width}}  {text}")
    return lines


def _history_lines(history: dict[str, Any], kept: int | None) -> list[str]:
    epochs = history.get("epoch") or []
    names = display_order(
        {k: v for k, v in history.items() if k != "epoch" and isinstance(v, list) and len(v) == len(epochs)}
    )
    if not epochs or not names:
        return []
    rows = list(range(len(epochs)))
    if len(rows) > HISTORY_ROWS:
        head, tail = rows[: HISTORY_ROWS // 2 - 1], rows[-(HISTORY_ROWS // 2 - 1) :]
        rows = sorted(set(head) | set(tail) | ({epochs.index(kept)} if kept in epochs else set()))
    widths = [max(len(n), 10) for n in names]
    lines = ["  " + f"{'epoch':>7}  " + "  ".join(f"{n:>{w}}" for n, w in zip(names, widths))]
    previous = None
    for row in rows:
        if previous is not None and row != previous + 1:
            lines.append(f"  {'...':>7}")
        mark = "*" if epochs[row] == kept else " "
        values = "  ".join(f"{history[n][row]:>{w}.6g}" for n, w in zip(names, widths))
        lines.append(f"  {epochs[row]:>6}{mark}  {values}")
        previous = row
    return lines


def run(args: argparse.Namespace) -> int:
    check_model_file(args.model)  # "not a model file", or the missing extra, before the reader's details
    saved = load_model(args.model)
    info = describe(saved)
    if args.json:
        print(dumps(info, indent=2))
        return 0
    lines = [
        f"model file     {args.model} (format version {info['format_version']}, checksum verified)",
        f"layers         {' -> '.join(map(str, info['sizes']))}",
        f"activations    {', '.join(info['activations'])}",
        f"loss           {info['loss']['name']}",
        f"dtype          {info['dtype']}",
        f"parameters     {info['parameters']}",
    ]
    if saved.preprocessing:
        pre = Preprocessor.from_config(saved.preprocessing)
        lines.append(f"task           {pre.task} of {pre.target!r}")
        if pre.classes is not None:
            lines.append(f"classes        {', '.join(map(str, pre.classes))}")
        lines.append(
            f"columns        {len(pre.columns)} -> {pre.encoder.n_features} inputs; missing values: "
            f"{pre.encoder.missing}"
        )
        lines.extend(_columns_lines(pre))
    training = saved.training or {}
    settings = training.get("settings")
    if settings:
        lines.append("settings       " + ", ".join(f"{k}={v}" for k, v in settings.items()))
    history = training.get("history") or {}
    weights = info.get("weights")
    if history.get("epoch"):
        lines.append(
            f"epochs         {len(history['epoch'])} trained"
            + (f" on {training['n_samples']} rows" if training.get("n_samples") else "")
            + (f" ({training['n_left_out']} left out)" if training.get("n_left_out") else "")
        )
    if weights is not None:
        values = weights.get("metrics", {})
        metrics = ", ".join(f"{k} {values[k]:.6g}" for k in display_order(values))
        held = "the latest (no epoch had ended)" if weights.get("epoch") is None else f"epoch {weights['epoch']}"
        lines.append(f"weights        {held}, {weights.get('rule')}" + (f": {metrics}" if metrics else ""))
    if training.get("stopped"):
        lines.append(f"stopped        {training['stopped']}")
    table = _history_lines(history, None if weights is None else weights.get("epoch"))
    if table:
        lines.append("history        (* the epoch whose weights the file holds)")
        lines.extend(table)
    if "checkpoint_epoch" in info:
        lines.append(f"checkpoint     after epoch {info['checkpoint_epoch']}")
    print("\n".join(lines))
    return 0
