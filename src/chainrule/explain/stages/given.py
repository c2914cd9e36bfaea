"""The ``given`` stage: the sample, the targets, the parameters before the update, and ``eta``."""

from __future__ import annotations

from .. import names
from ..model import Group
from ..prose import Prose
from ..walk import StepWalk, edge

__all__ = ["build_given"]


def build_given(walk: StepWalk) -> None:
    """Inputs ``i1..``, targets ``target_o1..``, each layer's weights and biases, and ``eta``."""
    naming, layers = walk.naming, walk.network.layers
    stage = walk.stage(
        "given", Prose("The sample, the targets, the parameters before the update, and the learning rate.")
    )
    group = Group(Prose("inputs"), [])
    for name, value in zip(naming.inputs, walk.x):
        walk.add(group, name, "input", value, neuron=name)
    stage.groups.append(group)
    group = Group(Prose("targets"), [])
    for name, value in zip(naming.outputs, walk.y):
        walk.add(group, names.target(name), "target", value, neuron=name)
    stage.groups.append(group)
    for l, layer in enumerate(layers):
        group = Group(Prose("parameters of the {layer}", layer=walk.layer_title(l)), [])
        for p in naming.weights:
            if p.layer == l:
                walk.add(
                    group,
                    p.name,
                    "weight",
                    walk.weights[l][p.index],
                    layer=l,
                    index=list(p.index),
                    **edge(p.source, p.targets[0]),
                )
        for p in naming.biases:
            if p.layer == l:
                walk.add(
                    group,
                    p.name,
                    "bias",
                    layer.b[p.index],
                    layer=l,
                    index=list(p.index),
                    targets=list(p.targets),
                    trainable=layer.train_bias,
                )
        stage.groups.append(group)
    group = Group(Prose("learning rate"), [])
    walk.add(group, names.LEARNING_RATE, "learning_rate", walk.eta)
    stage.groups.append(group)
