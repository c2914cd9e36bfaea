"""The backward stages: one layer's dE/dout, dout/dnet, deltas and gradients, scalar by scalar.

``backward_output`` takes dE_total/dout from the loss; ``backward_hidden``
builds it from the paths ``delta_next * w`` into each hidden neuron. The rest
is the same for both: dout/dnet (softmax: its Jacobian), ``delta``, and per
weight ``dnet/dw`` and ``dE_total/dw``; per trainable bias its gradient.

The factors come from the engine's arrays and functions: dE_total/dout of
an output from the loss's ``gradient`` (its unfused form), dout/dnet from the
activation's ``derivative`` of the cached out (softmax: its ``jacobian``). The
chain rule is then worked here scalar by scalar, each product where it is
named, as the tutorial does by hand: each path ``delta_next * w``, their sum
added path by path in the order printed, ``delta = dE_total/dout * dout/dnet``
(softmax: through the whole Jacobian), ``dE_total/dw = delta * dnet/dw``.
This is independent of the engine's vectorised backward pass, which it equals
to rounding (the engine multiplies matrices, with fused multiply-adds, and
fuses the cross-entropies' delta into ``out - target``); the test suite
checks the two against each other and against finite differences.
"""

from __future__ import annotations

import functools
from typing import Protocol, cast

import numpy as np

from .. import facts, names
from ..forms import _derivative_form, _loss_forms
from ..formula import Expr, Neg, Sym, add, mul, sub
from ..model import Group, Stage
from ..prose import Math, Prose
from ..walk import StepWalk, edge

__all__ = ["build_backward"]


# The stages' sentences: built on first use (Math spells its formulas with the renderers, which
# import this module), then shared by every trace (a Prose is never changed once built).
@functools.cache
class _FullJacobian(Protocol):
    """An activation that is not elementwise (softmax): its Jacobian per row."""

    def jacobian(self, a: np.ndarray) -> np.ndarray: ...


def _output_description() -> Prose:
    chain = ["dE_total/dout", "dout/dnet"]
    return Prose(
        "Chain rule: {gradient}; {delta}; {bias} ({dnet_db}).",
        gradient=Math("dE_total/dw", mul(*chain, "dnet/dw")),
        delta=Math("delta", "dE_total/dnet", mul(*chain)),
        bias=Math("dE_total/db", "delta"),
        dnet_db=Math("dnet/db", 1),
    )


@functools.cache
def _hidden_description() -> Prose:
    return Prose(
        "A hidden neuron's out feeds every neuron of the next layer: each path contributes {path}, "
        "and {dE_dout} sums every path.",
        path=Math(mul("delta_next", "w")),
        dE_dout=Math("dE_total/dout"),
    )


@functools.cache
def _softmax_note() -> Prose:
    return Prose(
        "softmax couples its outputs: {diagonal} for {same} and {other} otherwise, a full Jacobian, so each "
        "delta sums {product} over every output {k}.",
        diagonal=Math("dout_k/dnet_j", mul("out_k", sub(1, "out_k"))),
        same=Math("k", "j"),
        other=Math(Neg(mul("out_k", "out_j"))),
        product=Math(mul("dE_total/dout_k", "dout_k/dnet_j")),
        k=Math("k"),
    )


@functools.cache
def _hidden_deltas_note(hidden_deltas: str) -> Prose:
    if hidden_deltas == "updated":
        return Prose(
            "convention hidden_deltas = updated: the paths use the ALREADY UPDATED weights of the next "
            "layer ({w_plus}), a mistake some published versions of the tutorial made; the values below are "
            "then not the gradient.",
            w_plus=Math("w+"),
        )
    return Prose("The paths use the ORIGINAL weights of the next layer, not the updated ones.")


def _stage(walk: StepWalk, is_output: bool) -> Stage:
    if is_output:
        created = not walk.has_stage("backward_output")
        stage = walk.stage("backward_output", _output_description())
        if created and not walk.network.layers[-1].activation.elementwise:
            stage.notes.append(_softmax_note())
        return stage
    created = not walk.has_stage("backward_hidden")
    stage = walk.stage("backward_hidden", _hidden_description())
    if created:
        stage.notes.append(_hidden_deltas_note(walk.hidden_deltas))
    return stage


def build_backward(walk: StepWalk, l: int) -> None:
    """Layer ``l``'s backward pass; the layers after it (and, for ``"updated"``, their updates) come first.

    Three passes over the layer's neurons, each adding to every neuron's
    group in turn: dE_total/dout (a softmax delta needs every one of them),
    then dout/dnet and delta, then each weight's dnet/dw and gradient.
    """
    is_output = l == walk.n_layers - 1
    stage = _stage(walk, is_output)
    groups = [Group(Prose("neuron {name}", name=Math(t)), []) for t in walk.naming.neurons[l + 1]]
    dE_dout = _output_dE_dout(walk, groups) if is_output else _hidden_dE_dout(walk, l, groups)
    delta = _deltas(walk, l, groups, dE_dout)
    groups += _gradients(walk, l, groups, delta)
    if not is_output:
        for group in groups:
            group.title = Prose("{layer}, {group}", layer=walk.layer_title(l), group=group.title)
    stage.groups += groups
    walk.deltas[l] = delta


def _output_dE_dout(walk: StepWalk, groups: list[Group]) -> np.ndarray:
    """dE_total/dout of each output: the loss's unfused derivative, on the engine's outputs."""
    loss, outputs = walk.network.loss_function, walk.naming.outputs
    dE_dout: np.ndarray = loss.gradient(walk.outs[-1][None, :], walk.y[None, :])[0]
    for o, group, value in zip(outputs, groups, dE_dout):
        walk.add(group, names.dE_dout(o), "dE_dout", value, [(_loss_forms(loss, o, len(outputs))[1], True)], neuron=o)
    return dE_dout


def _hidden_dE_dout(walk: StepWalk, l: int, groups: list[Group]) -> np.ndarray:
    """dE_total/dout of each neuron of hidden layer ``l``: every path ``delta_next * w``, then their sum."""
    updated = walk.hidden_deltas == "updated"
    W = walk.updated_weights[l + 1] if updated else walk.weights[l + 1]
    delta_next = walk.deltas[l + 1]
    assert W is not None and delta_next is not None, "the walk reaches the layers from the output"
    following = walk.naming.neurons[l + 2]
    # Named as the derivative dE_o1/dout_h1 only where it is one (names.path says when).
    kind = {"output": l + 1 == walk.n_layers - 1, "elementwise": walk.network.layers[l + 1].activation.elementwise}
    dE_dout = np.zeros(len(groups))
    for j, (t, group) in enumerate(zip(walk.naming.neurons[l + 1], groups)):
        paths = []
        for k, through in enumerate(following):
            w = walk.naming.weight_between(l + 1, j, k).name
            w_used = names.updated(w) if updated else w
            path = names.path(through, t, **kind)
            # Summed path by path, in the order printed.
            dE_dout[j] += walk.add(
                group,
                path,
                "path",
                delta_next[k] * W[j, k],
                [(mul(names.delta(through), w_used), True)],
                neuron=t,
                through=through,
                weight=w_used,
            )
            paths.append(path)
        walk.add(group, names.dE_dout(t), "dE_dout", dE_dout[j], [(add(*paths), True)], neuron=t, paths=paths)
    return dE_dout


def _deltas(walk: StepWalk, l: int, groups: list[Group], dE_dout: np.ndarray) -> np.ndarray:
    """dout/dnet from the activation's derivative of the cached values, and delta = dE_total/dout * dout/dnet."""
    act = walk.network.layers[l].activation
    targets = walk.naming.neurons[l + 1]
    a = walk.outs[l + 1]
    # From the cached out, and net for the activations whose derivative needs it (GELU, SiLU...).
    derivative = act.derivative_from(z=walk.nets[l][None, :], a=a[None, :], out=np.empty((1, len(targets))))[0]
    jacobian = None if act.elementwise else cast(_FullJacobian, act).jacobian(a)
    delta: np.ndarray = dE_dout * derivative if jacobian is None else jacobian @ dE_dout  # softmax: all of it
    last = l == walk.n_layers - 1
    for j, (t, group) in enumerate(zip(targets, groups)):
        # The loss's fused delta, where it fuses with this output activation (cross-entropies).
        fused = facts.fused_delta_form(walk.network.loss_function, act, t) if last else None
        walk.add(
            group,
            names.dout_dnet(t, t),
            "dout_dnet",
            derivative[j],
            [(_derivative_form(act, names.out(t), names.net(t)), True)],
            neuron=t,
            out=t,
            net=t,
        )
        if jacobian is None:
            factors = [names.dE_dout(t), names.dout_dnet(t, t)]
            walk.add(group, names.delta(t), "delta", delta[j], [(mul(*factors), True)], neuron=t, factors=factors)
        else:
            _softmax_delta(walk, group, l, j, jacobian, delta[j], fused)
        if fused is not None and jacobian is None:
            walk.extend(
                names.delta(t),
                fused,
                Prose(
                    "the product of the two factors is the fused delta {fused}, which the engine computes "
                    "directly (never dividing by {derivative}).",
                    fused=Math(sub("out", "target")),
                    derivative=Math(mul("out", sub(1, "out"))),
                ),
            )
    return delta


def _softmax_delta(
    walk: StepWalk, group: Group, l: int, j: int, jacobian: np.ndarray, value: float, fused: Expr | None
) -> None:
    """A softmax neuron's off-diagonal Jacobian entries, then its delta as the sum over the Jacobian's column.

    ``fused``: the loss's fused delta (cross-entropy's ``out - target``), shown after the sum.
    """
    targets = walk.naming.neurons[l + 1]
    t = targets[j]
    # Softmax couples its neurons: dout_k/dnet_j = -out_k out_j off the diagonal.
    for k, other in enumerate(targets):
        if k != j:
            walk.add(
                group,
                names.dout_dnet(other, t),
                "dout_dnet",
                jacobian[k, j],
                [(Neg(mul(names.out(other), names.out(t))), True)],
                neuron=t,
                out=other,
                net=t,
            )
    factors = [(names.dE_dout(k), names.dout_dnet(k, t)) for k in targets]
    forms: list[tuple[Expr, bool]] = [(add(*[mul(a, c) for a, c in factors]), True)]
    note = None
    if fused is not None:
        if abs(sum(walk.values[names.target(k)] for k in targets) - 1.0) < 1e-9:
            forms.append((fused, True))
        else:  # the fused form for targets that do not sum to 1
            forms.append((sub(mul(names.out(t), add(*[names.target(k) for k in targets])), names.target(t)), True))
        note = Prose(
            "the sum of the factors' products is the fused delta {fused} (targets summing to 1), which the "
            "engine computes directly.",
            fused=Math(sub("out", "target")),
        )
    walk.add(
        group,
        names.delta(t),
        "delta",
        value,
        forms,
        note=note,
        neuron=t,
        factors=[name for pair in factors for name in pair],
    )


def _gradients(walk: StepWalk, l: int, groups: list[Group], delta: np.ndarray) -> list[Group]:
    """Per weight dnet/dw and dE_total/dw = delta * dnet/dw; per trainable bias its gradient.

    Fills ``walk.weight_gradients[l]`` and ``walk.bias_gradients[l]``; returns
    the extra group of a shared bias (none otherwise).
    """
    layer = walk.network.layers[l]
    naming, targets = walk.naming, walk.naming.neurons[l + 1]
    elementwise = layer.activation.elementwise
    G = np.empty_like(walk.weights[l])
    gb = np.empty(layer.b.shape) if layer.train_bias else None
    for j, (t, group) in enumerate(zip(targets, groups)):
        for i, s in enumerate(naming.neurons[l]):
            w = naming.weight_between(l, i, j).name
            source = s if l == 0 else names.out(s)
            walk.add(group, names.dnet_dw(t, w), "dnet_dw", walk.outs[l][i], [(Sym(source), True)], weight=w, neuron=t)
            factors = [names.dE_dout(t), names.dout_dnet(t, t)] if elementwise else [names.delta(t)]
            chain = factors + [names.dnet_dw(t, w)]
            G[i, j] = walk.add(
                group,
                names.gradient(w),
                "gradient",
                delta[j] * walk.outs[l][i],
                [(mul(*chain), True)],
                weight=w,
                factors=chain,
                delta=names.delta(t),
                **edge(s, t),
            )
        bias = naming.bias_of(l, j)
        if gb is not None and bias is not None and layer.bias_mode == "per_neuron":
            gb[j] = walk.add(
                group,
                names.gradient(bias.name),
                "gradient",
                delta[j],
                [(Sym(names.delta(t)), True)],
                bias=bias.name,
                delta=names.delta(t),
                factors=[names.delta(t)],
            )
    extra = []
    if gb is not None and layer.bias_mode == "shared":
        bias = naming.bias_of(l, 0)
        assert bias is not None
        group = Group(Prose("shared bias {name}", name=Math(bias.name)), [])
        deltas = [names.delta(t) for t in targets]
        gb[0] = walk.add(
            group,
            names.gradient(bias.name),
            "gradient",
            delta.sum(),
            [(add(*deltas), True)],
            bias=bias.name,
            factors=deltas,
        )
        extra.append(group)
    walk.weight_gradients[l], walk.bias_gradients[l] = G, gb
    return extra
