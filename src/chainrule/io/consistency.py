"""What makes a model file's content consistent: the checks run after its checksum.

A checksum proves that a file is what was written, not that what was written
makes sense: a file re-checksummed after tampering (or written by a buggy
program) passes it. So a model file is trusted only once its parts agree with
each other. :func:`~chainrule.io.model_file.model_from_bytes` runs, after the
spec's own checks and each tensor's shape and dtype against it:

* :func:`check_finite` -- every tensor's values are finite (NaN or infinite
  weights predict NaN, or one class for every row);
* :func:`check_preprocessing` -- the preprocessing is one
  :meth:`Preprocessor.to_config <chainrule.tabular.Preprocessor.to_config>`
  could have written and fits the network
  (:meth:`~chainrule.tabular.Preprocessor.check_fits`: features against the
  inputs, classes against the outputs, the task against the output
  activation and loss);
* :func:`check_training` -- the training record's known entries (history,
  settings, the written epoch's metrics) have the types ``chainrule info`` reads;
* :func:`check_checkpoint_state` -- a non-empty ``state`` is a checkpoint's:
  epoch and seed, the optimizer (a known one, every hyperparameter valid -- one
  added after the file was written takes its default --, its step count,
  exactly the moment arrays that many steps keep, each finite, of
  the network's dtype and of the trainable parameters' shape), the history and
  the early-stopping bookkeeping (with its best weights); and no other tensor.

Each raises :class:`~chainrule.core.errors.ValidationError` whose ``field``
is the place in the file: a metadata path (``"preprocessing.classes"``,
``"state.optimizer.steps"``) or a tensor's name (``"layers.0.W"``,
``"state.optimizer.0.exp_avg"``). The model-file reader turns it into a
:class:`~chainrule.io.model_file.ModelFileError` naming the file.
The same checks run before a file is written, so that chainrule never writes
a file it would refuse to read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core.errors import Described, ValidationError, excerpt
from ..core.validation import check_positive_int, fail
from ..optim import OPTIMIZERS
from ..tabular import Preprocessor
from ..training import EarlyStopping, History

__all__ = [
    "CHECKPOINT_KEYS",
    "OPTIMIZER_CLASSES",
    "check_checkpoint_state",
    "check_finite",
    "check_history",
    "check_preprocessing",
    "check_training",
]

#: Optimizers a checkpoint may name, by class name (what ``Optimizer.state_dict()`` writes).
OPTIMIZER_CLASSES = {cls.__name__: cls for cls in OPTIMIZERS.values()}
#: The keys of a checkpoint's state: all required but ``early_stopping``.
CHECKPOINT_KEYS = ("epoch", "seed", "optimizer", "history", "early_stopping")
_STATE_TENSORS = ("optimizer.", "early_stopping.best_weights")


def _key(key: Any) -> str:
    """A key as a field name's part: itself when a short text, else an excerpt."""
    return key if isinstance(key, str) and len(key) <= 40 else excerpt(key)


def check_finite(tensors: Mapping[str, np.ndarray], prefix: str = "") -> None:
    """Refuse a float tensor holding NaN or infinity; the field is its name (``prefix + name``)."""
    for name in sorted(tensors):
        array = tensors[name]
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            bad = ~np.isfinite(array)
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise fail(
                f"{prefix}{name}",
                "finite values",
                Described(f"{int(bad.sum())} non-finite values (the first, {array[first]}, at {list(first)})"),
            )


def check_preprocessing(config: Any, network: Any) -> Preprocessor | None:
    """The preprocessing a file stores, checked and fitted to ``network`` (None when there is none)."""
    if config is None:
        return None
    preprocessor = Preprocessor.from_config(config, "preprocessing")
    preprocessor.check_fits(network, "preprocessing")
    return preprocessor


def check_history(history: Any, field: str) -> None:
    """A history as :meth:`History.to_dict` writes it (``{}`` before any epoch ended)."""
    if isinstance(history, dict) and not history:
        return
    History.from_dict(history, field_name=lambda key: f"{field}.{key}" if key else field)


def _optional(value: Any, field: str, kind: type, what: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
        raise fail(field, f"{what} or null", value)


def check_training(training: Mapping[str, Any]) -> None:
    """The entries of a training record that chainrule reads back, where present, of the right types.

    ``history`` (a history), ``settings`` (an object), ``weights`` (``{"epoch",
    "rule", "metrics"}``: an epoch or null, a text, numbers by name),
    ``best_epoch`` (an epoch or null), ``n_samples`` and ``n_left_out`` (counts),
    ``stopped`` and ``source`` (texts or null). Other entries are the writer's own.
    """
    if "history" in training:
        check_history(training["history"], "training.history")
    _optional(training.get("settings"), "training.settings", dict, "an object of settings")
    for key in ("stopped", "source"):
        _optional(training.get(key), f"training.{key}", str, "a text")
    for key, minimum in (("best_epoch", 1), ("n_samples", 0), ("n_left_out", 0)):
        if training.get(key) is not None:
            check_positive_int(training[key], f"training.{key}", minimum=minimum)
    weights = training.get("weights")
    if weights is None:
        return
    if not isinstance(weights, dict):
        raise fail("training.weights", 'an object {"epoch", "rule", "metrics"} or null', weights)
    if weights.get("epoch") is not None:
        check_positive_int(weights["epoch"], "training.weights.epoch")
    _optional(weights.get("rule"), "training.weights.rule", str, "a text")
    metrics = weights.get("metrics", {})
    if not isinstance(metrics, dict):
        raise fail("training.weights.metrics", "an object of numbers by name", metrics)
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail(f"training.weights.metrics.{_key(name)}", "a number", value)


def check_checkpoint_state(state: Mapping[str, Any], tensors: Mapping[str, np.ndarray], network: Any) -> None:
    """A checkpoint's state and ``state.*`` tensors (names without the prefix), consistent with ``network``.

    See the module docstring; the optimizer is rebuilt and loaded (then
    dropped) so that its own checks run too. An empty state (a plain model)
    must come without state tensors; a state with none of a checkpoint's keys is
    the writer's own and is left as it is.
    """
    if not state:
        for name in sorted(tensors):
            raise fail(
                f"state.{name}", "no state tensors in a model without a checkpoint's state", Described("a state tensor")
            )
        return
    if not any(key in state for key in CHECKPOINT_KEYS):
        # The writer's own state (save_model(state=..., state_tensors=...) is public): chainrule
        # reads none of it, and its tensors were checked finite with the others.
        return
    for key in CHECKPOINT_KEYS[:-1]:
        if key not in state:
            raise fail(
                f"state.{key}",
                "a value (a checkpoint's state has epoch, seed, optimizer and history)",
                Described("nothing, the key is missing"),
            )
    for key in state:
        if key not in CHECKPOINT_KEYS:
            raise fail(f"state.{_key(key)}", f"one of the keys {list(CHECKPOINT_KEYS)}", Described("an unknown key"))
    for name in sorted(tensors):
        if not name.startswith(_STATE_TENSORS):
            raise fail(
                f"state.{name}",
                "optimizer.<parameter>.<moment> or early_stopping.best_weights",
                Described("a tensor no part of a checkpoint owns"),
            )
    epoch = check_positive_int(state["epoch"], "state.epoch", minimum=0)
    check_positive_int(state["seed"], "state.seed", minimum=0)
    check_history(state["history"], "state.history")
    epochs = state["history"].get("epoch") or []
    if epochs and epochs[-1] > epoch:
        raise fail(
            "state.history.epoch", f"epochs up to the checkpoint's epoch {epoch}", Described(f"epoch {epochs[-1]}")
        )
    _check_optimizer(state["optimizer"], tensors, network)
    _check_early_stopping(state.get("early_stopping"), tensors, network, epoch)


def _check_optimizer(settings: Any, tensors: Mapping[str, np.ndarray], network: Any) -> None:
    if not isinstance(settings, dict):
        raise fail("state.optimizer", "an object from Optimizer.state_dict() (without its buffers)", settings)
    name = settings.get("name")
    cls = OPTIMIZER_CLASSES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise fail("state.optimizer.name", f"one of {sorted(OPTIMIZER_CLASSES)}", name)
    keys = ["name", *cls(None).hyperparameters(), "initial_learning_rate", "steps"]
    # A hyperparameter added in a later version (amsgrad) may be missing from an older file: its default.
    for key in ("steps", "learning_rate"):
        if key not in settings:
            raise fail(
                f"state.optimizer.{key}",
                f"a value ({name} stores {keys[1:]})",
                Described("nothing, the key is missing"),
            )
    for key in settings:
        if key not in keys:
            raise fail(f"state.optimizer.{_key(key)}", f"one of the keys {keys}", Described("an unknown key"))
    buffers = {key[len("optimizer.") :]: array for key, array in tensors.items() if key.startswith("optimizer.")}
    for key, array in sorted(buffers.items()):
        if array.dtype != network.dtype:
            raise fail(f"state.optimizer.{key}", f"dtype {network.dtype} (the network's)", Described(str(array.dtype)))

    def field_name(path: tuple[Any, ...]) -> str:
        if path[:1] == ("buffers",) and len(path) > 1:
            return f"state.optimizer.{path[1]}"
        return "state.optimizer" + (f".{path[0]}" if path else "")

    try:
        optimizer = cls(None).bind([network.flat_parameter()])
    except ValidationError as err:  # a network with nothing to train has no optimizer state
        raise fail("state.optimizer", err.expected, Described(err.received)) from None
    optimizer.load_state_dict({**settings, "buffers": buffers}, field_name=field_name)


def _check_early_stopping(settings: Any, tensors: Mapping[str, np.ndarray], network: Any, epoch: int) -> None:
    weights = tensors.get("early_stopping.best_weights")
    if settings is None:
        if weights is not None:
            raise fail(
                "state.early_stopping.best_weights", "none without an early-stopping state", Described("a tensor")
            )
        return
    if not isinstance(settings, dict) or "best_weights" in settings:
        raise fail("state.early_stopping", "an object {best, best_epoch, wait} (the weights are a tensor)", settings)
    flat = network.buffer.values
    if weights is not None and (weights.shape != flat.shape or weights.dtype != flat.dtype):
        raise fail(
            "state.early_stopping.best_weights",
            f"shape {flat.shape} and dtype {flat.dtype} (every weight and bias of the network)",
            Described(f"shape {weights.shape} and dtype {weights.dtype}"),
        )
    early = EarlyStopping()
    early.load_state_dict(
        {**settings, "best_weights": weights},
        field_name=lambda key: f"state.early_stopping.{key}" if key else "state.early_stopping",
    )
    for key in ("best_epoch", "wait"):
        value = getattr(early, key)
        if value is not None and value > epoch:
            raise fail(f"state.early_stopping.{key}", f"at most the checkpoint's epoch {epoch}", value)
