"""The ``forward`` stage: ``net = sum of w * input + b`` and ``out = f(net)``, from the engine's inference pass."""

from __future__ import annotations

from .. import names
from ..forms import _activation_forms
from ..formula import Add, Expr, Sym, mul
from ..model import Group
from ..prose import Math, Prose
from ..walk import StepWalk

__all__ = ["build_forward"]


def build_forward(walk: StepWalk) -> None:
    """Per layer, per neuron: ``net_X`` (the weighted sum) and ``out_X`` (the activation's formulas).

    The values are the engine's ``z`` and ``a`` (:meth:`Network.infer`); the
    formulas say how they were computed.
    """
    naming, neurons = walk.naming, walk.naming.neurons
    stage = walk.stage(
        "forward",
        Prose(
            "{net} = weighted sum of the layer's inputs + bias; {out} = activation({net}).",
            net=Math("net"),
            out=Math("out"),
        ),
    )
    for l, layer in enumerate(walk.network.layers):
        group = Group(Prose("{layer} ({activation})", layer=walk.layer_title(l), activation=layer.activation.name), [])
        targets = neurons[l + 1]
        # Every net of the layer before its outs (a softmax out uses them all); listed net, out by neuron.
        for j, t in enumerate(targets):
            terms: list[Expr] = []
            for i, s in enumerate(neurons[l]):
                terms.append(mul(naming.weight_between(l, i, j).name, s if l == 0 else names.out(s)))
            bias = naming.bias_of(l, j)
            if bias is not None:
                terms.append(Sym(bias.name))
            walk.add(None, names.net(t), "net", walk.nets[l][j], [(Add(tuple(terms)), True)], neuron=t, layer=l)
        for j, t in enumerate(targets):
            walk.add(
                None,
                names.out(t),
                "out",
                walk.outs[l + 1][j],
                _activation_forms(layer.activation, names.net(t), targets),
                neuron=t,
                layer=l,
                activation=layer.activation.name,
            )
            group.names += [names.net(t), names.out(t)]
        stage.groups.append(group)
