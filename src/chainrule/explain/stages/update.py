"""The ``update`` stage: ``w+ = w - eta * dE_total/dw`` for one layer, once its gradients are known."""

from __future__ import annotations

import functools

from .. import names
from ..formula import mul, sub
from ..model import Group
from ..prose import Math, Prose
from ..walk import StepWalk

__all__ = ["build_update"]


@functools.cache
def _description() -> Prose:
    return Prose(
        "Gradient descent: {rule}.",
        rule=Math(names.updated("w"), sub("w", mul(names.LEARNING_RATE, names.gradient("w")))),
    )


def build_update(walk: StepWalk, l: int) -> None:
    """Layer ``l``'s updated weights and trainable biases (listed in the stage's group for that layer).

    Called right after :func:`~chainrule.explain.stages.backward.build_backward`
    of the same layer, so that the layer before can use ``W+`` under the
    ``"updated"`` hidden-deltas convention (``walk.updated_weights``).
    """
    naming, layers = walk.naming, walk.network.layers
    created = not walk.has_stage("update")
    stage = walk.stage("update", _description())
    if created:  # one group per layer, in the order of the layers, filled as the walk reaches each
        stage.groups.extend(Group(walk.layer_title(k), []) for k in range(walk.n_layers))
        frozen = [p.name for p in naming.biases if not layers[p.layer].train_bias]
        if frozen:
            biases = Prose.join(", ", [Math(name) for name in frozen])
            stage.notes.append(
                Prose("The bias {names} is frozen: it keeps its value.", names=biases)
                if len(frozen) == 1
                else Prose("The biases {names} are frozen: they keep their values.", names=biases)
            )
    group = stage.groups[l]
    G = walk.weight_gradients[l]
    assert G is not None, "the update of a layer follows its backward pass"
    W_plus = walk.weights[l] - walk.eta * G
    walk.updated_weights[l] = W_plus
    rule = [(p, W_plus[p.index]) for p in naming.weights if p.layer == l]
    gb = walk.bias_gradients[l]
    if gb is not None:
        b = layers[l].b
        rule += [(p, float(b[p.index]) - walk.eta * float(gb[p.index])) for p in naming.biases if p.layer == l]
    for p, value in rule:
        formula = sub(p.name, mul(names.LEARNING_RATE, names.gradient(p.name)))
        walk.updated_parameters[p.name] = walk.add(
            group, names.updated(p.name), "update", value, [(formula, True)], parameter=p.name
        )
