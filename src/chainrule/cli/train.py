"""``chainrule train DATA --target COLUMN``: train a network on a CSV or Parquet file.

The preprocessing (numbers imputed and standardised, text one-hot encoded,
labels encoded or the target standardised; see :mod:`chainrule.cli._tables`
for the options) is learned from the file and stored in the model file with
the architecture and the training settings. Rows without a target value are
left out (and counted). With ``--checkpoint-every N`` a checkpoint is written
every N epochs; ``--resume CHECKPOINT`` continues from one and ends with the
same weights, bit for bit, as an uninterrupted run. Ctrl-C stops after the
current update and still writes the model: the best epoch's weights when a
validation fraction is held out (or ``--patience`` is given), else the last
complete epoch's. The summary, and ``training["weights"]`` in the model file,
say which epoch's weights were written and quote that epoch's metrics.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..core.activations import ACTIVATIONS, default_initializer
from ..core.errors import DivergenceError, excerpt
from ..core.network import Network
from ..core.spec import DTYPES
from ..core.validation import Described, check_positive_float, check_positive_int, fail
from ..distributed.cli import Launch, mpi_aware
from ..io import Checkpoint, merge_histories, restore_checkpoint, save_model
from ..optim import OPTIMIZERS
from ..tabular import Preprocessor
from ..tabular.preprocess import TASKS
from ..training import EarlyStopping, KeepEpochWeights
from ..training.history import display_order
from ._common import (
    Subcommands,
    add_data_options,
    check_model_file,
    check_output,
    friendly_import_errors,
    require_extra,
)
from ._tables import TABLE_OPTION_NAMES, add_table_options, given_table_options, table_options

#: Defaults of the options that shape a run (stored in the model file as "settings").
DEFAULTS = {
    "layers": [32],
    "activation": ["relu"],
    "optimizer": "adam",
    "learning_rate": None,
    "epochs": 50,
    "batch_size": 32,
    "validation_fraction": 0.1,
    "patience": None,
    "seed": 0,
    "dtype": "float32",
}


#: The table options' defaults, to tell which ones a resumed run was given (filled by register()).
_TABLE_DEFAULTS: dict[str, Any] = {}


def register(subparsers: Subcommands) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a network on a CSV or Parquet file and write a model file",
        description="Train a fully connected network to predict one column of a CSV or Parquet file "
        "from the others. Classification or regression is inferred from the target (override with "
        "--task); numbers are standardised, text columns one-hot encoded and labels encoded, and all of it "
        "is stored in the model file.",
    )
    p.add_argument("data", help="training data (.csv, or .parquet/.pq)")
    p.add_argument("--target", required=True, help="the column to predict")
    p.add_argument("--features", nargs="+", metavar="COLUMN", help="feature columns (default: all others)")
    p.add_argument("--task", choices=TASKS, default="auto", help="default: inferred from the target")
    p.add_argument("--layers", nargs="*", type=int, metavar="SIZE", help="hidden layer sizes (default: 32)")
    p.add_argument(
        "--activation",
        nargs="+",
        choices=sorted(a for a, cls in ACTIVATIONS.items() if cls.elementwise),
        metavar="NAME",
        help="hidden activation, one for all or one per layer (default: relu)",
    )
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), help="default: adam")
    p.add_argument("--learning-rate", type=float, help="default: the optimizer's (adam: 0.001)")
    p.add_argument("--epochs", type=int, help="epochs to train, counted from the start of the run (default: 50)")
    p.add_argument("--batch-size", type=int, help="samples per update (default: 32)")
    p.add_argument(
        "--validation-fraction", type=float, help="fraction held out to validate each epoch; 0 for none (default: 0.1)"
    )
    p.add_argument("--patience", type=int, help="stop after this many epochs without improvement (default: never)")
    p.add_argument("--seed", type=int, help="seed of the initial weights, shuffles and split (default: 0)")
    p.add_argument("--dtype", choices=DTYPES, help="default: float32")
    add_data_options(p)
    add_table_options(p)
    p.add_argument(
        "-o", "--output", default="model.safetensors", help="model file to write (default: model.safetensors)"
    )
    p.add_argument("--checkpoint-every", type=int, metavar="N", help="write a checkpoint every N epochs")
    p.add_argument(
        "--checkpoint", metavar="PATH", help="checkpoint file (default: OUTPUT with .ckpt before its suffix)"
    )
    p.add_argument("--resume", metavar="CHECKPOINT", help="continue the run saved in CHECKPOINT")
    p.add_argument("--plot", metavar="PNG", help="write the loss curves (and, for 2 features, the decision boundary)")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar (default: on a terminal, for runs over 2 s)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(handler=friendly_import_errors(mpi_aware(run)))
    _TABLE_DEFAULTS.update({name: p.get_default(name) for name in TABLE_OPTION_NAMES})


def _settings(args: argparse.Namespace, stored: Any | None) -> dict[str, Any]:
    """The run's settings: the checkpoint's when resuming (only --epochs may change), else options or defaults."""
    given = {key: getattr(args, key) for key in DEFAULTS}
    if stored is not None:
        where = f"--resume {excerpt(args.resume)}: training.settings"
        if not isinstance(stored, dict):
            raise fail(where, "the settings `chainrule train` records (an object)", stored)
        missing = [key for key in DEFAULTS if key not in stored]
        if missing:
            raise fail(
                f"{where}.{missing[0]}",
                "a value (`chainrule train` records every setting)",
                Described("nothing, the setting is missing"),
            )
        if stored["dtype"] not in ("float32", "float64"):
            raise fail(f"{where}.dtype", "float32 or float64", stored["dtype"])
        fraction = stored["validation_fraction"]
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
            raise fail(f"{where}.validation_fraction", "a number in [0, 1)", fraction)
        settings = dict(stored)
        ignored = [
            f"--{k.replace('_', '-')}"
            for k, v in given.items()
            if v is not None and k != "epochs" and v != stored.get(k)
        ]
        if ignored and not args.quiet:
            print(
                f"chainrule train: note: resuming keeps the checkpoint's settings; ignored {' '.join(ignored)}",
                file=sys.stderr,
            )
        if given["epochs"] is not None:
            settings["epochs"] = given["epochs"]
    else:
        settings = {key: DEFAULTS[key] if value is None else value for key, value in given.items()}
    settings["epochs"] = check_positive_int(settings["epochs"], "--epochs")
    check_positive_int(settings["batch_size"], "--batch-size")
    check_positive_int(settings["seed"], "--seed", minimum=0)
    if settings["learning_rate"] is not None:
        check_positive_float(settings["learning_rate"], "--learning-rate")
    if settings["patience"] is not None:
        check_positive_int(settings["patience"], "--patience", minimum=0)
    fraction = settings["validation_fraction"]
    if not 0 <= fraction < 1:
        raise fail("--validation-fraction", "a number in [0, 1)", fraction)
    return settings


def _checkpoint_path(args: argparse.Namespace) -> Path:
    if args.checkpoint:
        return Path(args.checkpoint)
    out = Path(args.output)
    return out.with_name(f"{out.stem}.ckpt{out.suffix or '.safetensors'}")


def check_before_training(args: argparse.Namespace, writes: bool) -> None:
    """Everything that could fail after training, tried first: the extras, the inputs, the output paths."""
    require_extra("safetensors")  # the model file (and any checkpoint) is safetensors
    if args.plot:
        require_extra("matplotlib")
    if args.resume:
        check_model_file(args.resume, "--resume checkpoint")
    if not writes:
        return
    outputs = [("-o", args.output)]
    if args.checkpoint_every is not None:
        outputs.append(
            ("--checkpoint", str(_checkpoint_path(args)) if not args.resume or args.checkpoint else args.resume)
        )
    if args.plot:
        outputs.append(("--plot", args.plot))
    for option, path in outputs:
        check_output(path, option)
        if _same_file(path, args.data):
            raise fail(option, "a path other than the data file", path)


def _same_file(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve() or os.path.samefile(a, b)
    except OSError:
        return False


def run(args: argparse.Namespace) -> int:
    launch = Launch.detect()  # under `mpiexec -n N`: this rank's shard, data-parallel fit, rank 0 writes
    if not launch.is_root:
        args.quiet = True  # rank 0 alone prints
    with launch.checking():  # rank 0 alone writes: its checks decide for every rank
        check_before_training(args, writes=launch.is_root)
    table = launch.read_table(args.data, args.format, args.encoding)
    resumed = restore_checkpoint(args.resume) if args.resume else None
    if resumed is not None:
        saved = resumed.saved
        if saved.preprocessing is None or "settings" not in saved.training:
            raise ValueError(f"--resume {excerpt(args.resume)}: not a checkpoint written by `chainrule train`")
        pre = Preprocessor.from_config(saved.preprocessing)
        if args.target != pre.target:
            raise fail("--target", f"{pre.target!r} (the checkpoint's target)", args.target)
        ignored = given_table_options(args, _TABLE_DEFAULTS)
        if ignored and not args.quiet:
            print(
                "chainrule train: note: resuming keeps the checkpoint's preprocessing; ignored " + " ".join(ignored),
                file=sys.stderr,
            )
        settings = _settings(args, saved.training["settings"])
        network, history_before = resumed.network, resumed.history
        if resumed.epoch >= settings["epochs"]:
            raise fail(
                "--epochs", f"more than the {resumed.epoch} epochs the checkpoint already trained", settings["epochs"]
            )
    else:
        settings = _settings(args, None)
        pre = launch.fit_preprocessor(table, args.target, table_options(args), args.task)
        network = _build_network(pre, settings)
        history_before = {}
    with launch.checking():
        if args.plot and launch.is_root and draws_boundary(pre):
            check_output(_boundary_path(args.plot), "--plot")
    dtype = np.dtype(settings["dtype"])
    rows, left_out = pre.labelled_rows(table)  # this process's rows with a target (and, with --drop-missing, complete)
    left_out = launch.total(left_out)
    X = pre.features_of(rows, dtype)
    Y = pre.encode_target(rows)
    validation = settings["validation_fraction"] > 0
    early = None
    if validation:
        # Always watch the validation loss, so that the best epoch's weights are kept (on Ctrl-C too).
        patience = settings["patience"] if settings["patience"] is not None else settings["epochs"]
        early = EarlyStopping(patience=patience, restore_best_weights=True, monitor="val_loss")
    elif settings["patience"] is not None:
        early = EarlyStopping(patience=settings["patience"], restore_best_weights=True, monitor="loss")
    if resumed is not None and early is not None and resumed.early_stopping_state is not None:
        early.load_state_dict(resumed.early_stopping_state)
    # Without early stopping, a run stopped mid-epoch writes its last complete epoch's weights.
    last_epoch = KeepEpochWeights() if early is None else None
    callbacks: list[Any] = [] if last_epoch is None else [last_epoch]
    every = args.checkpoint_every
    checkpoint_path = Path(args.resume) if (args.resume and not args.checkpoint) else _checkpoint_path(args)
    if every is not None and launch.is_root:
        callbacks.append(
            Checkpoint(
                checkpoint_path,
                check_positive_int(every, "--checkpoint-every"),
                preprocessing=pre.to_config(),
                training={"settings": settings},
                history_before=history_before,
            )
        )
    metrics = ["accuracy"] if pre.task == "classification" else ["r2"]
    fit_options: dict[str, Any] = dict(
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        seed=settings["seed"],
        validation_fraction=settings["validation_fraction"] if validation else None,
        metrics=metrics,
        early_stopping=early,
        callbacks=callbacks,
        progress=False if args.quiet else args.progress,
        **launch.fit_options(),
    )
    if resumed is not None:
        fit_options.update(optimizer=resumed.optimizer, initial_epoch=resumed.epoch)
    else:
        fit_options.update(optimizer=settings["optimizer"], learning_rate=settings["learning_rate"])
    status, stopped = 0, None
    try:
        history = network.fit(X, Y, **fit_options).to_dict()
    except KeyboardInterrupt as err:
        history = _history_of(err)
        stopped = f"interrupted during epoch {len(history.get('epoch', [])) + (resumed.epoch if resumed else 0) + 1}"
        status = 130
    except DivergenceError as err:
        history = _history_of(err)
        stopped = str(err)
        status = 1
    if status and early is not None and early.restore_best_weights:
        early.restore(network)
    if status and last_epoch is not None:
        last_epoch.restore(network)
    history = merge_histories(history_before, history)
    weights = written_weights(history, early, last_epoch, stopped=bool(status))
    training = {
        "settings": settings,
        "history": history,
        "stopped": stopped,
        "best_epoch": None if early is None else early.best_epoch,
        "weights": weights,
        "n_samples": launch.n_rows(rows),
        "n_left_out": left_out,
        "source": Path(args.data).name,
    }
    if not launch.is_root:
        return status
    out = save_model(args.output, network, preprocessing=pre.to_config(), training=training)
    if stopped:  # even with --quiet: the run did not finish
        print(f"chainrule train: {stopped}; wrote {describe_weights(weights)} to {out}", file=sys.stderr)
    if not args.quiet:
        print(_summary(history, pre, out, weights, left_out))
    if args.plot:
        _plots(args.plot, history, network, pre, rows, quiet=args.quiet)
    return status


def _history_of(err: BaseException) -> dict[str, Any]:
    history = getattr(err, "history", None)
    return history.to_dict() if history is not None else {}


def _build_network(pre: Preprocessor, settings: dict[str, Any]) -> Network:
    layers = [check_positive_int(s, f"--layers[{k}]") for k, s in enumerate(settings["layers"])]
    activations = list(settings["activation"])
    if len(activations) == 1:
        activations = activations * len(layers)
    if len(activations) != len(layers):
        raise fail("--activation", f"one name or {len(layers)} (one per hidden layer)", activations)
    output_activation, loss = pre.output_spec()
    return Network.from_sizes(
        [len(pre.features), *layers, pre.n_outputs],
        [*activations, output_activation],
        loss=loss,
        init=default_initializer(activations),
        seed=settings["seed"],
        dtype=settings["dtype"],
    )


def written_weights(
    history: dict[str, Any], early: EarlyStopping | None, last_epoch: KeepEpochWeights | None, stopped: bool
) -> dict[str, Any]:
    """Which epoch's weights a run writes, why, and that epoch's loss and metrics (JSON-ready).

    ``{"epoch": e or None, "rule": ..., "metrics": {name: value}}``: the best
    epoch when early stopping keeps the best weights (at the end of the run
    and when it is stopped), else the last epoch, or the last complete one of
    a stopped run; ``epoch`` is None (and ``metrics`` empty) when a run stopped
    before any epoch ended.
    """
    epoch, rule = None, "the latest, from before any epoch ended"
    if early is not None and early.restore_best_weights and early.best_epoch is not None:
        epoch, rule = early.best_epoch, f"{'highest' if early.higher_is_better else 'lowest'} {early.monitor}"
    elif stopped and last_epoch is not None and last_epoch.epoch is not None:
        epoch, rule = last_epoch.epoch, "the last complete epoch"
    elif not stopped and history.get("epoch"):
        epoch, rule = history["epoch"][-1], "the last epoch"
    metrics = {}
    epochs = history.get("epoch", [])
    if epoch is not None and epoch in epochs:
        row = epochs.index(epoch)
        metrics = {
            name: values[row]
            for name, values in history.items()
            if name != "epoch" and isinstance(values, list) and len(values) == len(epochs)
        }
    return {"epoch": epoch, "rule": rule, "metrics": metrics}


def describe_weights(weights: dict[str, Any]) -> str:
    """``epoch 12's weights (lowest val_loss: loss 0.1, val_loss 0.2)``."""
    if weights.get("epoch") is None:
        return "the latest weights (no epoch had ended, so no metrics describe them)"
    values = weights.get("metrics", {})
    metrics = ", ".join(f"{name} {values[name]:.6g}" for name in display_order(values))
    return f"epoch {weights['epoch']}'s weights ({weights['rule']}{': ' + metrics if metrics else ''})"


def _summary(history: dict[str, Any], pre: Preprocessor, out: Path, weights: dict[str, Any], left_out: int) -> str:
    epochs = history.get("epoch", [])
    inputs = f"{len(pre.columns)} column{'s' if len(pre.columns) != 1 else ''}"
    if pre.encoder.n_features != len(pre.columns):
        inputs += f" -> {pre.encoder.n_features} inputs"
    text = (
        f"trained {len(epochs)} epoch{'s' if len(epochs) != 1 else ''} ({pre.task}, {inputs} -> "
        f"{pre.n_outputs} output{'s' if pre.n_outputs != 1 else ''})"
    )
    if left_out:
        text += f"; left out {left_out} row{'s' if left_out != 1 else ''} without a target value" + (
            " or with a missing value" if pre.encoder.missing == "drop" else ""
        )
    return text + f"; wrote {describe_weights(weights)} to {out}"


def draws_boundary(pre: Preprocessor) -> bool:
    """Whether ``--plot`` also draws a decision boundary: a classifier of two numeric columns."""
    return pre.task == "classification" and pre.encoder.is_numeric and len(pre.columns) == 2


def _boundary_path(plot: str) -> Path:
    """Where the decision boundary goes: beside the loss curves, ``<stem>-boundary.png``."""
    return Path(plot).with_name(f"{Path(plot).stem}-boundary.png")


def _plots(path: str, history: dict[str, Any], network: Network, pre: Preprocessor, table: Any, quiet: bool) -> None:
    from ..plots import plot_decision_boundary, plot_loss_curves

    written = []
    if history.get("loss"):
        plot_loss_curves(history, path)
        written.append(path)
    if draws_boundary(pre):
        boundary = _boundary_path(path)
        dtype = network.dtype
        plot_decision_boundary(
            lambda P: pre.decode(network.predict(pre.transform(P, dtype))),
            table.matrix(pre.columns),
            pre.target_values(table),
            boundary,
            feature_names=pre.columns,
        )
        written.append(str(boundary))
    if not quiet and written:
        print("plots: " + ", ".join(written))
