"""Checkpoints: a model file that also holds what a training run needs to continue exactly.

A checkpoint is an ordinary model file (:mod:`chainrule.io.model_file`) whose
``state`` records the epoch reached, the run's seed, the optimizer's
hyperparameters and step count, the early-stopping bookkeeping and the history
so far; the optimizer's moment arrays and the best weights travel as
``state.*`` tensors, bit for bit. Because :meth:`chainrule.Network.fit` derives
epoch ``e``'s shuffle from ``(seed, e)``, restoring all of this and calling
``fit(..., initial_epoch=epoch)`` ends with weights bitwise-equal to a run that
was never interrupted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import ValidationError
from ..optim import Optimizer
from ..training import Callback, EarlyStopping
from .consistency import CHECKPOINT_KEYS, OPTIMIZER_CLASSES, check_checkpoint_state
from .model_file import ModelFileError, SavedModel, load_model, save_model

__all__ = ["Checkpoint", "Resumed", "restore_checkpoint", "save_checkpoint"]


def save_checkpoint(
    path: str | os.PathLike[str],
    network: Any,
    optimizer: Optimizer,
    *,
    epoch: int,
    seed: int,
    history: dict[str, Any] | None = None,
    early_stopping: EarlyStopping | None = None,
    preprocessing: dict[str, Any] | None = None,
    training: dict[str, Any] | None = None,
) -> Path:
    """Atomically write a checkpoint after ``epoch`` epochs of the run seeded by ``seed``."""
    opt_state = optimizer.state_dict()
    tensors = {f"optimizer.{key}": array for key, array in opt_state.pop("buffers").items()}
    state: dict[str, Any] = {"epoch": int(epoch), "seed": int(seed), "optimizer": opt_state, "history": history or {}}
    if early_stopping is not None:
        es = early_stopping.state_dict()
        weights = es.pop("best_weights")
        if weights is not None:
            tensors["early_stopping.best_weights"] = weights
        state["early_stopping"] = es
    return save_model(path, network, preprocessing=preprocessing, training=training, state=state, state_tensors=tensors)


@dataclass
class Resumed:
    """What :func:`restore_checkpoint` rebuilt: continue with ``network.fit(..., optimizer=optimizer,
    seed=seed, initial_epoch=epoch)`` and, if any, ``early_stopping``."""

    network: Any
    optimizer: Optimizer
    epoch: int
    seed: int
    history: dict[str, Any]
    early_stopping_state: dict[str, Any] | None
    saved: SavedModel


def restore_checkpoint(source: str | os.PathLike[str] | SavedModel) -> Resumed:
    """Load a checkpoint and rebuild its optimizer, bound to the network's flat parameter.

    The state is checked as :func:`~chainrule.io.consistency.check_checkpoint_state`
    checks it (loading a file already does; a :class:`SavedModel` passed in is
    checked again): anything inconsistent raises :class:`ModelFileError` naming
    the checkpoint and the field (``state.seed``, ``state.optimizer.0.exp_avg``...).
    """
    saved = source if isinstance(source, SavedModel) else load_model(source)
    where = "checkpoint" if isinstance(source, SavedModel) else f"checkpoint {str(source)!r}"
    state = saved.state
    if not isinstance(state, dict) or not state:
        raise ModelFileError(f"{where}: a model file without training state (not a checkpoint)", "state")
    if not any(key in state for key in CHECKPOINT_KEYS):
        # A state of the writer's own (save_model(state=...)) loads as a model, but resumes nothing.
        raise ModelFileError(
            f"{where}: a model file whose state is its writer's own, with none of a checkpoint's keys "
            f"({', '.join(CHECKPOINT_KEYS[:-1])}): not a checkpoint",
            "state",
        )
    try:
        check_checkpoint_state(state, saved.tensors, saved.network)
    except ValidationError as err:
        raise ModelFileError(f"{where}: {err}", err.field) from None
    opt_state = dict(state["optimizer"])
    cls = OPTIMIZER_CLASSES[opt_state["name"]]
    hyper = {k: opt_state[k] for k in cls(None).hyperparameters() if k in opt_state}
    optimizer = cls(None, **hyper).bind([saved.network.flat_parameter()])
    opt_state["buffers"] = {
        key[len("optimizer.") :]: array for key, array in saved.tensors.items() if key.startswith("optimizer.")
    }
    optimizer.load_state_dict(opt_state)
    es_state = state.get("early_stopping")
    if es_state is not None:
        es_state = dict(es_state, best_weights=saved.tensors.get("early_stopping.best_weights"))
    return Resumed(saved.network, optimizer, state["epoch"], state["seed"], dict(state["history"]), es_state, saved)


class Checkpoint(Callback):
    """Save a checkpoint every ``every`` epochs (and at the end of training) to ``path``.

    ``history_before`` is the history of epochs trained before a resume, so the
    file always holds the whole run's history. ``preprocessing`` and
    ``training`` are stored as in a model file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        every: int = 1,
        *,
        preprocessing: dict[str, Any] | None = None,
        training: dict[str, Any] | None = None,
        history_before: dict[str, Any] | None = None,
    ) -> None:
        from ..core.validation import check_positive_int

        self.path = Path(path)
        self.every = check_positive_int(every, "checkpoint every")
        self.preprocessing, self.training = preprocessing, training
        self.history_before = history_before or {}
        self.saved_epochs: list[int] = []

    def on_epoch_end(self, loop: Any, epoch: int, logs: dict[str, float]) -> None:
        if epoch % self.every == 0:
            self.save(loop, epoch)

    def on_train_end(self, loop: Any) -> None:
        if loop.epoch not in self.saved_epochs:
            self.save(loop, loop.epoch)

    def save(self, loop: Any, epoch: int) -> None:
        save_checkpoint(
            self.path,
            loop.network,
            loop.optimizer,
            epoch=epoch,
            seed=loop.seed,
            history=merge_histories(self.history_before, loop.history.to_dict()),
            early_stopping=loop.early_stopping,
            preprocessing=self.preprocessing,
            training=self.training,
        )
        self.saved_epochs.append(epoch)


def merge_histories(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The history of a resumed run: the epochs before the resume, then the new ones."""
    if not before:
        return after
    keys = list(
        dict.fromkeys(
            [k for k in before if isinstance(before[k], list)] + [k for k in after if isinstance(after[k], list)]
        )
    )
    merged: dict[str, Any] = {key: list(before.get(key, [])) + list(after.get(key, [])) for key in keys}
    for key in ("seed", "stopped_epoch"):
        merged[key] = after.get(key, before.get(key))
    merged["steps"] = (before.get("steps") or 0) + (after.get("steps") or 0)
    return merged
