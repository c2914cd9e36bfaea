"""The ``error`` stage: each output's share ``E_o`` (the loss's own ``per_output``) and their sum."""

from __future__ import annotations

from .. import names
from ..forms import _error_description, _loss_forms
from ..formula import add
from ..model import Group
from ..prose import Prose
from ..walk import StepWalk

__all__ = ["build_error"]


def build_error(walk: StepWalk) -> None:
    """``E_o1..`` from the engine's loss on the engine's outputs, and ``E_total = E_o1 + ...``."""
    loss, outputs = walk.network.loss_function, walk.naming.outputs
    m = len(outputs)
    stage = walk.stage("error", _error_description(loss, m))
    group = Group(Prose("error per output and in total"), [])
    per_output = loss.per_output(walk.outs[-1][None, :], walk.nets[-1][None, :], walk.y[None, :])[0]
    for o, value in zip(outputs, per_output):
        walk.add(group, names.error(o), "error", value, [(_loss_forms(loss, o, m)[0], True)], neuron=o)
    walk.add(
        group, names.ERROR_TOTAL, "error_total", per_output.sum(), [(add(*[names.error(o) for o in outputs]), True)]
    )
    stage.groups.append(group)
    note = loss.computation_note()
    if note is not None:  # the loss's own sentence: looked up in the catalogues as written
        stage.notes.append(Prose(note))
