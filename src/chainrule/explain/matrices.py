"""The step in matrix form: which named quantity sits where in each layer's vectors and matrices.

The trace names every scalar of a step; :func:`layer_matrices` arranges those
names as the vectors and matrices of the same step written with whole
layers, in the engine's orientation (a sample is a row; a layer's ``W`` is
``(n_in, n_out)``, ``w5`` in row h1 and column o1, as ``Dense.W`` holds it):

==========================  ==============================================================
forward                     ``net = a W + b``, ``out = f(net)``
backward, output layer      ``delta = dE/dout * f'(net)`` (softmax: ``delta = dE/dout J``,
                            ``J[k, j] = dout_k/dnet_j``)
backward, hidden layer      ``dE/dout = delta_next W_next^T``, then ``delta`` as above
gradients                   ``dE/dW = a^T delta`` (an outer product), ``dE/db = delta``
                            (a shared bias: the sum of the layer's deltas)
update                      ``W+ = W - eta dE/dW``
==========================  ==============================================================

With column vectors and ``W`` stored the other way round (outputs by inputs)
the backward step reads ``delta = (W^T delta_next) * f'(z)``: the same
numbers. Each entry is a name of the trace, so a page can link every element
to its equation; the values are the trace's (the engine's), see
``tests/test_visual_matrices.py`` for the check against the engine's
vectorised arrays. Under ``hidden_deltas="updated"`` the hidden layers'
``dE/dout`` use ``W+`` of the next layer (``next_weights`` says which).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import names
from .model import Trace
from .naming import Naming

__all__ = ["LayerMatrices", "layer_matrices"]


@dataclass(frozen=True)
class LayerMatrices:
    """The names in one layer's vectors (lists) and matrices (lists of rows).

    Attributes
    ----------
    layer : int
        Index into ``network.layers``.
    inputs : list of str
        ``a``, what the layer multiplies: the inputs ``i1..`` or the previous layer's ``out_*``.
    weights, gradients, updated : list of list of str
        ``W``, ``dE/dW`` and ``W+``, each ``(n_in, n_out)``.
    biases : list of str
        ``b`` per neuron; a shared bias is one name repeated.
    shared_bias : bool
    bias_gradients, updated_biases : list of str or None
        ``dE/db`` and ``b+`` per bias parameter (one for a shared bias); None when frozen.
    net, out, dE_dout, delta : list of str
        Per neuron of the layer.
    derivative : list of str or list of list of str
        ``f'(net)`` per neuron (elementwise), or softmax's Jacobian ``J[k][j] = dout_k/dnet_j``.
    elementwise : bool
    next_weights : list of list of str or None
        For a hidden layer, the next layer's ``W`` (or ``W+``) that ``dE/dout = delta_next W^T`` uses.
    next_delta : list of str or None
        The next layer's deltas.
    """

    layer: int
    inputs: list[str]
    weights: list[list[str]]
    biases: list[str]
    shared_bias: bool
    net: list[str]
    out: list[str]
    dE_dout: list[str]
    derivative: list[str] | list[list[str]]
    elementwise: bool
    delta: list[str]
    gradients: list[list[str]]
    bias_gradients: list[str] | None
    updated: list[list[str]]
    updated_biases: list[str] | None
    next_weights: list[list[str]] | None
    next_delta: list[str] | None


def layer_matrices(trace: Trace) -> list[LayerMatrices]:
    """Every layer's vectors and matrices, as names of ``trace`` (see the module docstring)."""
    naming = Naming(trace.sizes, [info["bias"] == "shared" for info in trace.layers])
    updated_convention = trace.conventions.get("hidden_deltas") == "updated"
    out: list[LayerMatrices] = []
    n_layers = len(trace.layers)
    for l, info in enumerate(trace.layers):
        sources, targets = naming.neurons[l], naming.neurons[l + 1]
        inputs = list(sources) if l == 0 else [names.out(s) for s in sources]
        weights = [[naming.weight_between(l, i, j).name for j in range(len(targets))] for i in range(len(sources))]
        biases = []
        for j in range(len(targets)):
            bias = naming.bias_of(l, j)
            assert bias is not None
            biases.append(bias.name)
        shared = info["bias"] == "shared"
        params = sorted(set(biases), key=biases.index)
        trained = bool(info["train_bias"])
        # Softmax names its Jacobian's off-diagonal entries; an elementwise activation has none.
        elementwise = len(targets) == 1 or names.dout_dnet(targets[1], targets[0]) not in trace.quantities
        derivative: list[str] | list[list[str]]
        if elementwise:
            derivative = [names.dout_dnet(t, t) for t in targets]
        else:
            derivative = [[names.dout_dnet(k, j) for j in targets] for k in targets]
        next_weights = next_delta = None
        if l < n_layers - 1:
            following = naming.neurons[l + 2]
            w_next = [
                [naming.weight_between(l + 1, i, k).name for k in range(len(following))] for i in range(len(targets))
            ]
            next_weights = [[names.updated(w) for w in row] for row in w_next] if updated_convention else w_next
            next_delta = [names.delta(k) for k in following]
        out.append(
            LayerMatrices(
                layer=l,
                inputs=inputs,
                weights=weights,
                biases=biases,
                shared_bias=shared,
                net=[names.net(t) for t in targets],
                out=[names.out(t) for t in targets],
                dE_dout=[names.dE_dout(t) for t in targets],
                derivative=derivative,
                elementwise=elementwise,
                delta=[names.delta(t) for t in targets],
                gradients=[[names.gradient(w) for w in row] for row in weights],
                bias_gradients=[names.gradient(b) for b in params] if trained else None,
                updated=[[names.updated(w) for w in row] for row in weights],
                updated_biases=[names.updated(b) for b in params] if trained else None,
                next_weights=next_weights,
                next_delta=next_delta,
            )
        )
    return out
